//! Admission webhooks pointing at a Service that is missing or has no ready pods.

use serde_json::Value;

use super::util::{arr, condition, map_selector_matches, meta_name, s};
use super::{ClusterView, Finding, ObjectRef, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for kind in [
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ] {
        for cfg in view.all(kind) {
            let cname = meta_name(cfg);
            for wh in arr(cfg, "/webhooks") {
                let Some(svc_ref) = wh.pointer("/clientConfig/service") else {
                    continue;
                };
                let sns = s(svc_ref, "namespace");
                let sname = s(svc_ref, "name");
                let fail = s(wh, "failurePolicy") != "Ignore";
                let sev = if fail {
                    Severity::Critical
                } else {
                    Severity::Warning
                };
                let effect = if fail {
                    "failurePolicy is Fail, so every API request it intercepts is rejected"
                } else {
                    "failurePolicy is Ignore, so its checks are silently skipped"
                };
                let rules: Vec<String> = arr(wh, "/rules")
                    .iter()
                    .map(|r| {
                        let list = |p: &str| {
                            arr(r, p)
                                .iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(",")
                        };
                        format!("{} {}", list("/operations"), list("/resources"))
                    })
                    .collect();
                let mut base = Finding {
                    analyzer: "webhook".into(),
                    severity: sev,
                    object: ObjectRef::new(kind, None, cname),
                    title: String::new(),
                    explanation: String::new(),
                    evidence: vec![
                        format!(
                            "webhook {}: service {sns}/{sname}, failurePolicy {}",
                            s(wh, "name"),
                            if fail { "Fail" } else { "Ignore" }
                        ),
                        format!("intercepts: {}", rules.join("; ")),
                    ],
                    remediation: String::new(),
                    checks: vec![
                        format!("get {} {cname} -o yaml", kind.to_ascii_lowercase()),
                        format!("get service {sname} -n {sns}"),
                    ],
                    related: vec![ObjectRef::new("Service", Some(sns), sname)],
                    rank: 5,
                };
                match view.get("Service", sns, sname) {
                    None if view.is_listed("Service", Some(sns)) => {
                        base.title = format!(
                            "webhook {} points at missing Service {sns}/{sname}",
                            s(wh, "name")
                        );
                        base.explanation =
                            format!("The API server cannot call the webhook; {effect}.");
                        base.remediation = format!(
                            "Restore Service {sns}/{sname} (and its pods), or delete the stale {} {cname}.",
                            kind
                        );
                        out.push(base);
                    }
                    Some(svc) if view.is_listed("Pod", Some(sns)) => {
                        let Some(sel) = svc.pointer("/spec/selector").and_then(Value::as_object)
                        else {
                            continue;
                        };
                        let ready = view.in_namespace("Pod", sns).any(|p| {
                            p.pointer("/metadata/labels")
                                .is_some_and(|l| map_selector_matches(sel, l))
                                && condition(p, "Ready").is_some_and(|(st, _, _)| st == "True")
                        });
                        if !ready && !sel.is_empty() {
                            base.title = format!(
                                "webhook {} has no ready pods behind Service {sns}/{sname}",
                                s(wh, "name")
                            );
                            base.explanation = format!("Calls to the webhook fail; {effect}.");
                            base.remediation = format!(
                                "Bring the webhook's pods behind Service {sns}/{sname} back, or delete the stale {kind} {cname}."
                            );
                            base.rank = 8;
                            out.push(base);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}
