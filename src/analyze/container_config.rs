//! CreateContainerConfigError: a missing ConfigMap, Secret or key referenced by a container.

use serde_json::Value;

use super::pod::{PodFinding, workload_name};
use super::util::{arr, containers_with_status, meta_namespace, ns_flag, s, sp};
use super::{ClusterView, Finding, ObjectRef, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in view.all("Pod") {
        for init in [true, false] {
            for (spec, status) in containers_with_status(pod, init) {
                let Some(st) = status else { continue };
                let reason = sp(st, "/state/waiting/reason");
                if reason != "CreateContainerConfigError" && reason != "CreateContainerError" {
                    continue;
                }
                out.push(finding(view, pod, spec, st, reason));
            }
        }
    }
    out
}

/// What the container references: `(kind, name, key)`; key empty for envFrom.
fn references(spec: &Value) -> Vec<(&'static str, String, String)> {
    let mut refs = Vec::new();
    for env in arr(spec, "/env") {
        if let Some(r) = env.pointer("/valueFrom/secretKeyRef") {
            refs.push(("Secret", s(r, "name").to_string(), s(r, "key").to_string()));
        }
        if let Some(r) = env.pointer("/valueFrom/configMapKeyRef") {
            refs.push((
                "ConfigMap",
                s(r, "name").to_string(),
                s(r, "key").to_string(),
            ));
        }
    }
    for src in arr(spec, "/envFrom") {
        if let Some(r) = src.get("secretRef") {
            refs.push(("Secret", s(r, "name").to_string(), String::new()));
        }
        if let Some(r) = src.get("configMapRef") {
            refs.push(("ConfigMap", s(r, "name").to_string(), String::new()));
        }
    }
    refs
}

fn optional(spec: &Value, kind: &str, name: &str) -> bool {
    let ptr = if kind == "Secret" {
        "secretKeyRef"
    } else {
        "configMapKeyRef"
    };
    arr(spec, "/env").iter().any(|e| {
        e.pointer(&format!("/valueFrom/{ptr}")).is_some_and(|r| {
            s(r, "name") == name && r.get("optional").and_then(Value::as_bool) == Some(true)
        })
    })
}

fn has_key(obj: &Value, key: &str) -> bool {
    ["data", "stringData", "binaryData"]
        .iter()
        .any(|f| obj.get(*f).and_then(|d| d.get(key)).is_some())
}

fn finding(view: &ClusterView, pod: &Value, spec: &Value, st: &Value, reason: &str) -> Finding {
    let ns = meta_namespace(pod).unwrap_or("");
    let container = s(spec, "name");
    let msg = sp(st, "/state/waiting/message");
    let mut evidence = vec![format!("container {container}: {reason}")];
    if !msg.is_empty() {
        evidence.push(format!("status message: {msg}"));
    }
    let mut related = Vec::new();
    let mut problems = Vec::new();
    for (kind, name, key) in references(spec) {
        if optional(spec, kind, &name) {
            continue;
        }
        let listed = view.is_listed(kind, Some(ns));
        match view.get(kind, ns, &name) {
            None if listed => {
                problems.push(format!("{kind} {name} does not exist in namespace {ns}"));
                related.push(ObjectRef::new(kind, Some(ns), &name));
            }
            Some(obj) if !key.is_empty() && !has_key(obj, &key) => {
                problems.push(format!("{kind} {name} has no key {key}"));
                related.push(ObjectRef::new(kind, Some(ns), &name));
            }
            _ => {}
        }
    }
    // The kubelet's message names the culprit even when the objects were not listed.
    let lower = msg.to_ascii_lowercase();
    if problems.is_empty() {
        if let Some(caps) = msg_regex().and_then(|re| re.captures(msg)) {
            let kind = if caps[1].eq_ignore_ascii_case("secret") {
                "Secret"
            } else {
                "ConfigMap"
            };
            problems.push(format!("{kind} {} not found", &caps[2]));
            related.push(ObjectRef::new(kind, Some(ns), &caps[2]));
        } else if let Some(caps) = key_regex().and_then(|re| re.captures(msg)) {
            let kind = if caps[2].eq_ignore_ascii_case("secret") {
                "Secret"
            } else {
                "ConfigMap"
            };
            let obj = caps[3].rsplit('/').next().unwrap_or(&caps[3]).to_string();
            problems.push(format!("{kind} {obj} has no key {}", &caps[1]));
            related.push(ObjectRef::new(kind, Some(ns), &obj));
        }
    }
    for p in &problems {
        evidence.push(p.clone());
    }
    let what = problems.first().cloned().unwrap_or_else(|| {
        if lower.is_empty() {
            "its configuration is invalid".into()
        } else {
            msg.to_string()
        }
    });
    let mut checks = Vec::new();
    for r in &related {
        checks.push(format!(
            "get {} {}{}",
            r.kind.to_ascii_lowercase(),
            r.name,
            ns_flag(ns)
        ));
    }
    let mut f = PodFinding { pod, analyzer: "container-config", severity: Severity::Critical, rank: 5 }.build(
        format!("container {container} cannot start: {what}"),
        "The kubelet cannot build the container's environment or volumes because a referenced ConfigMap, Secret or key is missing; the container is never started.".to_string(),
        evidence,
        format!(
            "Create the missing object or key ({what}) in namespace {ns}, or correct the reference in the {} spec (or mark it optional).",
            workload_name(pod)
        ),
        checks,
    );
    f.related.extend(related);
    f
}

fn msg_regex() -> Option<&'static regex::Regex> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r#"(?i)(secret|configmap) "([^"]+)" not found"#).ok())
        .as_ref()
}

fn key_regex() -> Option<&'static regex::Regex> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?i)couldn't find key (\S+) in (Secret|ConfigMap) (\S+)").ok()
    })
    .as_ref()
}
