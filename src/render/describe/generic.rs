//! Any other kind (CRDs included): metadata, every spec/status field flattened with
//! kubectl's "smart labels", conditions as they appear, and related events.

use serde_json::{Map, Value};

use super::Related;
use super::events::describe_events;
use super::writer::*;

const SKIP: [&str; 5] = [
    ".metadata.managedFields",
    ".metadata.name",
    ".metadata.namespace",
    ".metadata.labels",
    ".metadata.annotations",
];

/// kubectl's `genericDescriber`.
pub fn describe_generic(obj: &Value, rel: &Related) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", s(obj, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(obj, &["metadata", "namespace"])),
    );
    labels_multiline(&mut w, "Labels", &str_map(obj, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(obj, &["metadata", "annotations"]),
    );
    if let Some(map) = obj.as_object() {
        print_content(&mut w, 0, map, "");
    }
    if let Some(ev) = &rel.events {
        describe_events(&mut w, ev);
    }
    w.finish()
}

fn print_content(w: &mut W, level: usize, content: &Map<String, Value>, prefix: &str) {
    let mut fields: Vec<&String> = content.keys().collect();
    fields.sort();
    for field in fields {
        let value = &content[field];
        let skip_expr = format!("{prefix}.{field}");
        if SKIP.contains(&skip_expr.as_str()) {
            continue;
        }
        match value {
            Value::Object(map) => {
                w.w(level, &format!("{}:\n", smart_label(field)));
                print_content(w, level + 1, map, &skip_expr);
            }
            Value::Array(items) => {
                w.w(level, &format!("{}:\n", smart_label(field)));
                for child in items {
                    match child {
                        Value::Object(map) => print_content(w, level + 1, map, &skip_expr),
                        other => w.w(level + 1, &format!("{}\n", scalar(other))),
                    }
                }
            }
            other => w.w(
                level,
                &format!("{}:\t{}\n", smart_label(field), scalar(other)),
            ),
        }
    }
}

/// `github.com/fatih/camelcase.Split`.
fn camel_split(src: &str) -> Vec<String> {
    let class = |c: char| {
        if c.is_lowercase() {
            1
        } else if c.is_uppercase() {
            2
        } else if c.is_numeric() {
            3
        } else {
            4
        }
    };
    let mut runs: Vec<Vec<char>> = Vec::new();
    let mut last = 0;
    for c in src.chars() {
        let k = class(c);
        match runs.last_mut() {
            Some(run) if k == last => run.push(c),
            _ => runs.push(vec![c]),
        }
        last = k;
    }
    for i in 0..runs.len().saturating_sub(1) {
        let upper_then_lower = runs[i].first().is_some_and(|c| c.is_uppercase())
            && runs[i + 1].first().is_some_and(|c| c.is_lowercase());
        if upper_then_lower && let Some(moved) = runs[i].pop() {
            runs[i + 1].insert(0, moved);
        }
    }
    runs.into_iter()
        .filter(|r| !r.is_empty())
        .map(|r| r.into_iter().collect())
        .collect()
}

/// kubectl's `smartLabelFor`: `apiVersion` → `API Version`, `podIP` → `Pod IP`.
pub fn smart_label(field: &str) -> String {
    if field.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return field.to_string();
    }
    let acronyms = ["API", "URL", "UID", "OSB", "GUID"];
    camel_split(field)
        .into_iter()
        .filter(|p| p != "_")
        .map(|p| {
            let upper = p.to_uppercase();
            if acronyms.contains(&upper.as_str()) {
                upper
            } else {
                title(&p)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Go's `strings.Title`: upper-case the first letter of each word.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_letter = false;
    for c in s.chars() {
        if !prev_letter && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn smart_labels() {
        assert_eq!(smart_label("apiVersion"), "API Version");
        assert_eq!(smart_label("creationTimestamp"), "Creation Timestamp");
        assert_eq!(smart_label("uid"), "UID");
        assert_eq!(smart_label("podIPs"), "Pod I Ps");
        assert_eq!(smart_label("lastTransitionTime"), "Last Transition Time");
        assert_eq!(smart_label("v1"), "v1");
    }

    #[test]
    fn flattens_fields_and_skips_metadata() {
        let obj = json!({"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "gizmo", "namespace": "shop", "uid": "u-1", "labels": {"tier": "gold"},
                         "managedFields": [{"manager": "x"}]},
            "spec": {"size": 3, "ports": [80, 443], "owner": {"name": "bob"}},
            "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Broken"}]}});
        let out = describe_generic(
            &obj,
            &Related {
                events: Some(vec![]),
                ..Default::default()
            },
        );
        assert_eq!(
            out,
            "Name:         gizmo\nNamespace:    shop\nLabels:       tier=gold\nAnnotations:  <none>\nAPI Version:  example.com/v1\nKind:         Widget\nMetadata:\n  UID:  u-1\nSpec:\n  Owner:\n    Name:  bob\n  Ports:\n    80\n    443\n  Size:  3\nStatus:\n  Conditions:\n    Reason:  Broken\n    Status:  False\n    Type:    Ready\nEvents:      <none>\n"
        );
    }
}
