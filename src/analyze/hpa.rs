//! HorizontalPodAutoscalers unable to scale: no metrics, no requests, missing target.

use serde_json::Value;

use super::util::{arr, meta_name, meta_namespace, ns_flag, s, sp};
use super::{ClusterView, Finding, ObjectRef, Severity};

/// Conditions of an HPA: status.conditions (v2) or the v1 annotation.
fn conditions(hpa: &Value) -> Vec<Value> {
    let direct = arr(hpa, "/status/conditions");
    if !direct.is_empty() {
        return direct.to_vec();
    }
    let ann = sp(
        hpa,
        "/metadata/annotations/autoscaling.alpha.kubernetes.io~1conditions",
    );
    serde_json::from_str::<Vec<Value>>(ann).unwrap_or_default()
}

/// Resources the HPA scales on (`cpu`, `memory`).
fn resources(hpa: &Value) -> Vec<String> {
    let mut out: Vec<String> = arr(hpa, "/spec/metrics")
        .iter()
        .filter(|m| s(m, "type") == "Resource" || s(m, "type") == "ContainerResource")
        .map(|m| {
            let r = sp(m, "/resource/name");
            if r.is_empty() {
                sp(m, "/containerResource/name").to_string()
            } else {
                r.to_string()
            }
        })
        .collect();
    if hpa
        .pointer("/spec/targetCPUUtilizationPercentage")
        .is_some()
    {
        out.push("cpu".into());
    }
    out
}

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for hpa in view.all("HorizontalPodAutoscaler") {
        let ns = meta_namespace(hpa).unwrap_or("");
        let name = meta_name(hpa);
        let tkind = sp(hpa, "/spec/scaleTargetRef/kind");
        let tname = sp(hpa, "/spec/scaleTargetRef/name");
        let mut evidence = vec![format!("target: {tkind}/{tname}")];
        let mut causes: Vec<String> = Vec::new();
        let mut fix: Vec<String> = Vec::new();
        for c in conditions(hpa) {
            let ty = s(&c, "type");
            if (ty == "ScalingActive" || ty == "AbleToScale") && s(&c, "status") == "False" {
                evidence.push(format!(
                    "condition {ty}=False ({}): {}",
                    s(&c, "reason"),
                    s(&c, "message")
                ));
                causes.push(format!("{ty} is False ({})", s(&c, "reason")));
            }
        }
        let target = view.get(tkind, ns, tname);
        if target.is_none() && view.is_listed(tkind, Some(ns)) && !tkind.is_empty() {
            causes.insert(0, format!("its target {tkind} {tname} does not exist"));
            fix.push(format!(
                "Point scaleTargetRef at an existing workload, or create {tkind} {tname}."
            ));
        }
        if let Some(t) = target {
            for res in resources(hpa) {
                let missing: Vec<&str> = arr(t, "/spec/template/spec/containers")
                    .iter()
                    .filter(|c| sp(c, &format!("/resources/requests/{res}")).is_empty())
                    .map(|c| s(c, "name"))
                    .collect();
                if !missing.is_empty() {
                    causes.insert(
                        0,
                        format!(
                            "containers {} of {tkind} {tname} have no {res} request",
                            missing.join(", ")
                        ),
                    );
                    evidence.push(format!("no {res} request on: {}", missing.join(", ")));
                    fix.push(format!("Set resources.requests.{res} on every container of {tkind} {tname}: utilization is computed against requests."));
                }
            }
        }
        if causes.is_empty() {
            continue;
        }
        let text = evidence.join(" ").to_ascii_lowercase();
        if fix.is_empty() {
            if text.contains("metrics") || text.contains("failedgetresourcemetric") {
                fix.push("Install or repair metrics-server (the metrics.k8s.io API) so the HPA can read usage.".into());
            } else {
                fix.push("Fix what the HPA's conditions report.".into());
            }
        }
        let mut related = Vec::new();
        if !tname.is_empty() {
            related.push(ObjectRef::new(tkind, Some(ns), tname));
        }
        out.push(Finding {
            analyzer: "hpa".into(),
            severity: Severity::Warning,
            object: ObjectRef::new("HorizontalPodAutoscaler", Some(ns), name),
            title: format!("autoscaler cannot scale: {}", causes[0]),
            explanation: "The HorizontalPodAutoscaler cannot compute a replica count, so the workload stays at its current size under load.".into(),
            evidence,
            remediation: fix.join(" "),
            checks: vec![format!("describe hpa {name}{}", ns_flag(ns))],
            related,
            rank: 15,
        });
    }
    out
}
