//! The shape of a query: what it reads, without the object names. "Approve this shape for
//! the rest of the session" approves every later query with the same shape, e.g. all
//! `logs pod/NAME -n shop --tail=N` whatever the pod.

use crate::query::{
    ConfigKind, OutputFormat, Query, ResourceRef, RolloutKind, Scope, TopTarget, Verb,
};

/// A stable, human-readable description of a query with names and numbers generalised.
pub fn shape_of(query: &Query) -> String {
    let mut parts: Vec<String> = Vec::new();
    match &query.verb {
        Verb::Get(a) => {
            parts.push("get".into());
            parts.push(targets(&a.targets));
            flag(&mut parts, "-l", a.label_selector.is_some());
            flag(&mut parts, "--field-selector", a.field_selector.is_some());
            output(&mut parts, &a.output);
            flag(&mut parts, "--show-labels", a.show_labels);
            flag(&mut parts, "--sort-by", a.sort_by.is_some());
        }
        Verb::Describe(a) => {
            parts.push("describe".into());
            parts.push(targets(&a.targets));
            flag(&mut parts, "-l", a.label_selector.is_some());
        }
        Verb::Logs(a) => {
            parts.push("logs".into());
            if let Some(t) = &a.target {
                parts.push(target(t));
            }
            flag(&mut parts, "-l", a.label_selector.is_some());
            flag(&mut parts, "-c", a.container.is_some());
            flag(&mut parts, "--all-containers", a.all_containers);
            flag(&mut parts, "--previous", a.previous);
            flag(&mut parts, "--tail", a.tail.is_some());
            flag(
                &mut parts,
                "--since",
                a.since_seconds.is_some() || a.since_time.is_some(),
            );
        }
        Verb::Events(a) => {
            parts.push("events".into());
            if let Some(t) = &a.for_object {
                parts.push(format!("--for {}", target(t)));
            }
            flag(&mut parts, "--field-selector", a.field_selector.is_some());
            if !a.types.is_empty() {
                parts.push(format!("--types={}", a.types.join(",")));
            }
            output(&mut parts, &a.output);
        }
        Verb::Top(t) => match t {
            TopTarget::Pods { name, .. } => {
                parts.push("top pods".into());
                flag(&mut parts, "NAME", name.is_some());
            }
            TopTarget::Nodes { name, .. } => {
                parts.push("top nodes".into());
                flag(&mut parts, "NAME", name.is_some());
            }
        },
        Verb::Rollout { kind, target: t } => {
            parts.push(match kind {
                RolloutKind::History { .. } => "rollout history".into(),
                RolloutKind::Status => "rollout status".into(),
            });
            parts.push(target(t));
        }
        Verb::AuthCanI(_) => parts.push("auth can-i".into()),
        Verb::AuthWhoami { .. } => parts.push("auth whoami".into()),
        Verb::ApiResources { .. } => parts.push("api-resources".into()),
        Verb::ApiVersions => parts.push("api-versions".into()),
        Verb::Version { .. } => parts.push("version".into()),
        Verb::ClusterInfo => parts.push("cluster-info".into()),
        Verb::Config(k) => parts.push(match k {
            ConfigKind::CurrentContext => "config current-context".into(),
            ConfigKind::GetContexts { .. } => "config get-contexts".into(),
            ConfigKind::View { .. } => "config view".into(),
        }),
    }
    parts.push(scope(&query.scope));
    parts.retain(|p| !p.is_empty());
    parts.join(" ")
}

fn targets(refs: &[ResourceRef]) -> String {
    let mut t: Vec<String> = refs.iter().map(target).collect();
    t.sort();
    t.dedup();
    t.join(",")
}

fn target(r: &ResourceRef) -> String {
    match r.name {
        Some(_) => format!("{}/NAME", r.resource.to_ascii_lowercase()),
        None => r.resource.to_ascii_lowercase(),
    }
}

fn flag(parts: &mut Vec<String>, name: &str, on: bool) {
    if on {
        parts.push(name.to_string());
    }
}

fn output(parts: &mut Vec<String>, format: &OutputFormat) {
    let o = match format {
        OutputFormat::Table => return,
        OutputFormat::Wide => "-o wide",
        OutputFormat::Yaml => "-o yaml",
        OutputFormat::Json => "-o json",
        OutputFormat::Name => "-o name",
        OutputFormat::JsonPath(_) => "-o jsonpath",
        OutputFormat::CustomColumns(_) => "-o custom-columns",
    };
    parts.push(o.to_string());
}

fn scope(s: &Scope) -> String {
    if s.all_namespaces {
        "-A".into()
    } else if let Some(ns) = &s.namespace {
        format!("-n {ns}")
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{GetArgs, LogsArgs};

    fn get(name: Option<&str>, ns: &str) -> Query {
        Query {
            verb: Verb::Get(GetArgs {
                targets: vec![ResourceRef {
                    resource: "pods".into(),
                    name: name.map(Into::into),
                }],
                label_selector: None,
                field_selector: None,
                output: OutputFormat::Yaml,
                show_labels: false,
                label_columns: vec![],
                sort_by: None,
                chunk_size: None,
                no_headers: false,
            }),
            scope: Scope {
                namespace: Some(ns.into()),
                all_namespaces: false,
            },
        }
    }

    #[test]
    fn names_are_generalised_but_scope_is_not() {
        assert_eq!(
            shape_of(&get(Some("a"), "shop")),
            "get pods/NAME -o yaml -n shop"
        );
        assert_eq!(
            shape_of(&get(Some("a"), "shop")),
            shape_of(&get(Some("b"), "shop"))
        );
        assert_ne!(
            shape_of(&get(Some("a"), "shop")),
            shape_of(&get(Some("a"), "kube-system"))
        );
        assert_ne!(
            shape_of(&get(None, "shop")),
            shape_of(&get(Some("a"), "shop"))
        );
    }

    #[test]
    fn logs_shape_keeps_flags_not_values() {
        let logs = |tail: i64| Query {
            verb: Verb::Logs(LogsArgs {
                target: Some(ResourceRef {
                    resource: "pod".into(),
                    name: Some("web-1".into()),
                }),
                container: None,
                all_containers: false,
                previous: true,
                tail: Some(tail),
                since_seconds: None,
                since_time: None,
                timestamps: false,
                label_selector: None,
                max_log_requests: 5,
                prefix: false,
                limit_bytes: None,
            }),
            scope: Scope::default(),
        };
        assert_eq!(shape_of(&logs(5)), "logs pod/NAME --previous --tail");
        assert_eq!(shape_of(&logs(5)), shape_of(&logs(50)));
    }
}
