//! `auth can-i` (SelfSubjectAccessReview / SelfSubjectRulesReview) and `auth whoami`
//! (SelfSubjectReview, where served). The only POSTs klue makes: virtual review objects that
//! are never stored, built here and allowed through the GET-only layer by
//! [`review_request`](crate::cluster::getonly::review_request).

use serde_json::{Value, json};

use super::error::from_kube;
use super::{ExecError, Executor, Output};
use crate::cluster::getonly::review_request;
use crate::query::{CanIArgs, OutputFormat, Scope};
use crate::render::table::tabwrite;
use crate::render::{json as json_out, yaml};

async fn post_review(ex: &Executor, path: &str, body: Value) -> Result<Value, ExecError> {
    let req = review_request(path, &body).map_err(|e| ExecError::Refused(e.to_string()))?;
    let resp = super::api::send(ex.cluster(), req).await?;
    let bytes = resp
        .into_body()
        .collect_bytes()
        .await
        .map_err(|e| from_kube(e, ex.cluster()))?;
    serde_json::from_slice(&bytes).map_err(|e| ExecError::Decode {
        detail: format!("{path}: {e}"),
    })
}

/// The served version of a review resource in a group, preferred first.
async fn review_version(
    ex: &Executor,
    group: &str,
    resource: &str,
) -> Result<Option<String>, ExecError> {
    let d = ex
        .cluster()
        .discovery()
        .await
        .map_err(|e| from_kube(e, ex.cluster()))?;
    Ok(d.resources
        .iter()
        .find(|r| r.group == group && r.name == resource)
        .map(|r| r.version.clone()))
}

pub async fn can_i(ex: &Executor, scope: &Scope, args: &CanIArgs) -> Result<Output, ExecError> {
    let namespace = ex.namespace_for(scope).unwrap_or_default();
    if args.list {
        return can_i_list(ex, &namespace).await;
    }
    let version = review_version(ex, "authorization.k8s.io", "selfsubjectaccessreviews")
        .await?
        .unwrap_or_else(|| "v1".into());
    let mut warning = String::new();
    let spec = if args.resource.starts_with('/') {
        json!({"nonResourceAttributes": {"path": args.resource, "verb": args.verb}})
    } else {
        let (res, sub_from_slash) = match args.resource.split_once('/') {
            Some((r, s)) => (r.to_string(), Some(s.to_string())),
            None => (args.resource.clone(), None),
        };
        let subresource = args
            .subresource
            .clone()
            .or(sub_from_slash)
            .unwrap_or_default();
        let (group, resource) = if res == "*" {
            ("*".to_string(), "*".to_string())
        } else {
            match ex.resolve(&res).await {
                Ok(r) => (r.group, r.name),
                Err(ExecError::UnknownResource { .. }) => {
                    warning =
                        format!("Warning: the server doesn't have a resource type '{res}'\n\n");
                    match res.split_once('.') {
                        Some((r, g)) => (g.to_string(), r.to_string()),
                        None => (String::new(), res.clone()),
                    }
                }
                Err(e) => return Err(e),
            }
        };
        let mut attrs = json!({
            "namespace": namespace,
            "verb": args.verb,
            "group": group,
            "resource": resource,
        });
        if !subresource.is_empty() {
            attrs["subresource"] = Value::from(subresource);
        }
        if let Some(n) = &args.name {
            attrs["name"] = Value::from(n.clone());
        }
        json!({"resourceAttributes": attrs})
    };
    let body = json!({
        "apiVersion": format!("authorization.k8s.io/{version}"),
        "kind": "SelfSubjectAccessReview",
        "spec": spec,
    });
    let path = format!("/apis/authorization.k8s.io/{version}/selfsubjectaccessreviews");
    let resp = post_review(ex, &path, body).await?;
    let status = resp.get("status").cloned().unwrap_or(Value::Null);
    let allowed = status
        .get("allowed")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut text = warning;
    if allowed {
        text.push_str("yes\n");
    } else {
        text.push_str("no");
        if let Some(r) = status
            .get("reason")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
        {
            text.push_str(&format!(" - {r}"));
        }
        text.push('\n');
    }
    Ok(Output {
        text,
        truncated: false,
        objects: vec![resp],
    })
}

fn bracket(v: Option<&Value>) -> String {
    fmt_list(&strings(v))
}

async fn can_i_list(ex: &Executor, namespace: &str) -> Result<Output, ExecError> {
    let version = review_version(ex, "authorization.k8s.io", "selfsubjectrulesreviews")
        .await?
        .unwrap_or_else(|| "v1".into());
    let body = json!({
        "apiVersion": format!("authorization.k8s.io/{version}"),
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": namespace},
    });
    let path = format!("/apis/authorization.k8s.io/{version}/selfsubjectrulesreviews");
    let resp = post_review(ex, &path, body).await?;
    let mut lines = vec![vec![
        "Resources".to_string(),
        "Non-Resource URLs".into(),
        "Resource Names".into(),
        "Verbs".into(),
    ]];
    let rules = rule_rows(&resp);
    let rows: Vec<Vec<String>> = rules
        .into_iter()
        .map(|r| {
            vec![
                combine_resource_group(&r.resources, &r.groups),
                fmt_list(&r.urls),
                fmt_list(&r.names),
                fmt_list(&r.verbs),
            ]
        })
        .collect();
    lines.extend(rows);
    Ok(Output {
        text: tabwrite(&lines),
        truncated: false,
        objects: vec![resp],
    })
}

pub async fn whoami(ex: &Executor, output: &OutputFormat) -> Result<Output, ExecError> {
    let Some(version) = review_version(ex, "authentication.k8s.io", "selfsubjectreviews").await?
    else {
        return Err(ExecError::Unsupported {
            what: "the selfsubjectreviews API is not enabled in the cluster (auth whoami needs Kubernetes 1.26 or newer with authentication.k8s.io SelfSubjectReview served)".into(),
        });
    };
    let body = json!({
        "apiVersion": format!("authentication.k8s.io/{version}"),
        "kind": "SelfSubjectReview",
    });
    let path = format!("/apis/authentication.k8s.io/{version}/selfsubjectreviews");
    let mut resp = post_review(ex, &path, body).await?;
    if let Some(md) = resp.get_mut("metadata").and_then(Value::as_object_mut) {
        md.remove("managedFields");
    }
    let text = match output {
        OutputFormat::Yaml => yaml::to_yaml(&resp),
        OutputFormat::Json => json_out::to_json(&resp),
        _ => {
            let ui = resp
                .pointer("/status/userInfo")
                .cloned()
                .unwrap_or(Value::Null);
            let mut lines = vec![vec!["ATTRIBUTE".to_string(), "VALUE".into()]];
            if let Some(u) = ui.get("username").and_then(Value::as_str) {
                lines.push(vec!["Username".into(), u.into()]);
            }
            if let Some(u) = ui.get("uid").and_then(Value::as_str) {
                lines.push(vec!["UID".into(), u.into()]);
            }
            if ui.get("groups").is_some() {
                lines.push(vec!["Groups".into(), bracket(ui.get("groups"))]);
            }
            if let Some(extra) = ui.get("extra").and_then(Value::as_object) {
                let mut keys: Vec<&String> = extra.keys().collect();
                keys.sort();
                for k in keys {
                    lines.push(vec![format!("Extra: {k}"), bracket(extra.get(k))]);
                }
            }
            tabwrite(&lines)
        }
    };
    Ok(Output {
        text,
        truncated: false,
        objects: vec![resp],
    })
}

/// One broken-down RBAC rule, as kubectl's `auth can-i --list` prints them.
#[derive(Debug, Clone, Default, PartialEq)]
struct Rule {
    verbs: Vec<String>,
    groups: Vec<String>,
    resources: Vec<String>,
    names: Vec<String>,
    urls: Vec<String>,
}

impl Rule {
    /// The protobuf `String()` kubectl sorts by.
    fn sort_key(&self) -> String {
        format!(
            "&PolicyRule{{Verbs:{},APIGroups:{},Resources:{},ResourceNames:{},NonResourceURLs:{},}}",
            fmt_list(&self.verbs),
            fmt_list(&self.groups),
            fmt_list(&self.resources),
            fmt_list(&self.names),
            fmt_list(&self.urls)
        )
    }
}

fn fmt_list(v: &[String]) -> String {
    format!("[{}]", v.join(" "))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn combine_resource_group(resources: &[String], groups: &[String]) -> String {
    let Some(first) = resources.first() else {
        return String::new();
    };
    let (res, sub) = match first.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (first.as_str(), None),
    };
    let mut out = res.to_string();
    if let Some(g) = groups.first().filter(|g| !g.is_empty()) {
        out.push('.');
        out.push_str(g);
    }
    if let Some(s) = sub {
        out.push('/');
        out.push_str(s);
    }
    out
}

/// kubectl's BreakdownRule + CompactRules + SortableRuleSlice over a rules review.
fn rule_rows(resp: &Value) -> Vec<Rule> {
    let mut broken = Vec::new();
    let empty = Vec::new();
    let res_rules = resp
        .pointer("/status/resourceRules")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let non_rules = resp
        .pointer("/status/nonResourceRules")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    for r in res_rules.iter().chain(non_rules.iter()) {
        let verbs = strings(r.get("verbs"));
        let names = strings(r.get("resourceNames"));
        for g in strings(r.get("apiGroups")) {
            for res in strings(r.get("resources")) {
                if names.is_empty() {
                    broken.push(Rule {
                        verbs: verbs.clone(),
                        groups: vec![g.clone()],
                        resources: vec![res.clone()],
                        ..Default::default()
                    });
                } else {
                    for n in &names {
                        broken.push(Rule {
                            verbs: verbs.clone(),
                            groups: vec![g.clone()],
                            resources: vec![res.clone()],
                            names: vec![n.clone()],
                            ..Default::default()
                        });
                    }
                }
            }
        }
        for u in strings(r.get("nonResourceURLs")) {
            broken.push(Rule {
                verbs: verbs.clone(),
                urls: vec![u],
                ..Default::default()
            });
        }
    }
    // compact: simple resource rules with the same group and resource merge their verbs
    let mut compacted: Vec<Rule> = Vec::new();
    let mut simple: Vec<Rule> = Vec::new();
    for r in broken {
        let is_simple = r.groups.len() == 1
            && r.resources.len() == 1
            && r.names.is_empty()
            && r.urls.is_empty();
        if is_simple {
            if let Some(existing) = simple
                .iter_mut()
                .find(|s| s.groups == r.groups && s.resources == r.resources)
            {
                existing.verbs.extend(r.verbs);
            } else {
                simple.push(r);
            }
        } else {
            compacted.push(r);
        }
    }
    compacted.extend(simple);
    compacted.sort_by_key(Rule::sort_key);
    compacted
}
