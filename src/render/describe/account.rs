//! ServiceAccounts: their image pull, mountable and token secrets (names only).

use serde_json::Value;

use super::Related;
use super::events::describe_events;
use super::writer::*;

/// `kubectl describe serviceaccount`. `rel.secrets` holds the namespace's secrets (for the
/// token list and the "(not found)" marks); only their names and annotations are read.
pub fn describe_service_account(sa: &Value, rel: &Related) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", s(sa, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(sa, &["metadata", "namespace"])),
    );
    labels_multiline(&mut w, "Labels", &str_map(sa, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(sa, &["metadata", "annotations"]),
    );
    let names = |key: &str| -> Vec<String> {
        arr(sa, &[key])
            .iter()
            .map(|r| s(r, &["name"]).to_string())
            .collect()
    };
    let (name, uid) = (s(sa, &["metadata", "name"]), s(sa, &["metadata", "uid"]));
    let existing: Option<Vec<&str>> = rel
        .secrets
        .as_ref()
        .map(|l| l.iter().map(|x| s(x, &["metadata", "name"])).collect());
    let tokens: Vec<String> = rel
        .secrets
        .iter()
        .flatten()
        .filter(|x| {
            s(x, &["type"]) == "kubernetes.io/service-account-token"
                && s(
                    x,
                    &[
                        "metadata",
                        "annotations",
                        "kubernetes.io/service-account.name",
                    ],
                ) == name
                && s(
                    x,
                    &[
                        "metadata",
                        "annotations",
                        "kubernetes.io/service-account.uid",
                    ],
                ) == uid
        })
        .map(|x| s(x, &["metadata", "name"]).to_string())
        .collect();
    let sections = [
        ("Image pull secrets:", names("imagePullSecrets")),
        ("Mountable secrets: ", names("secrets")),
        ("Tokens:            ", tokens),
    ];
    for (header, list) in sections {
        if list.is_empty() {
            w.w(0, &format!("{header}\t<none>\n"));
            continue;
        }
        let mut prefix = header.to_string();
        for n in list {
            let missing = existing.as_ref().is_some_and(|e| !e.contains(&n.as_str()));
            let mark = if missing { " (not found)" } else { "" };
            w.w(0, &format!("{prefix}\t{n}{mark}\n"));
            prefix = " ".repeat(19);
        }
    }
    if let Some(ev) = &rel.events {
        describe_events(&mut w, ev);
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_secrets_by_name() {
        let sa = json!({"metadata": {"name": "builder", "namespace": "ci", "uid": "u1"},
            "secrets": [{"name": "builder-token-x"}, {"name": "gone"}], "imagePullSecrets": [{"name": "regcred"}]});
        let rel = Related {
            events: Some(vec![]),
            secrets: Some(vec![
                json!({"metadata": {"name": "builder-token-x", "annotations": {
                    "kubernetes.io/service-account.name": "builder", "kubernetes.io/service-account.uid": "u1"}},
                    "type": "kubernetes.io/service-account-token"}),
                json!({"metadata": {"name": "regcred"}, "type": "kubernetes.io/dockerconfigjson"}),
            ]),
            ..Default::default()
        };
        assert_eq!(
            describe_service_account(&sa, &rel),
            "Name:                builder\nNamespace:           ci\nLabels:              <none>\nAnnotations:         <none>\nImage pull secrets:  regcred\nMountable secrets:   builder-token-x\n                     gone (not found)\nTokens:              builder-token-x\nEvents:              <none>\n"
        );
    }
}
