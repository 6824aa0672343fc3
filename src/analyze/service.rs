//! Services: a selector that matches no pods, no ready endpoints, a targetPort the pods do
//! not expose.

use serde_json::Value;

use super::util::{
    arr, condition, int, labels, map_selector_matches, meta_name, meta_namespace, ns_flag, s, sp,
};
use super::{ClusterView, Finding, ObjectRef, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for svc in view.all("Service") {
        let ns = meta_namespace(svc).unwrap_or("");
        if sp(svc, "/spec/type") == "ExternalName" || !view.is_listed("Pod", Some(ns)) {
            continue;
        }
        let Some(selector) = svc.pointer("/spec/selector").and_then(Value::as_object) else {
            continue;
        };
        if selector.is_empty() {
            continue;
        }
        let pods: Vec<&Value> = view
            .in_namespace("Pod", ns)
            .filter(|p| !matches!(sp(p, "/status/phase"), "Succeeded" | "Failed"))
            .collect();
        let matched: Vec<&Value> = pods
            .iter()
            .copied()
            .filter(|p| {
                p.pointer("/metadata/labels")
                    .is_some_and(|l| map_selector_matches(selector, l))
            })
            .collect();
        if matched.is_empty() {
            // The workload behind it is scaled to 0 (a retired or parked one): no pods is
            // what its owner asked for, not a fault.
            if idle_backend(view, ns, selector).is_none() {
                out.push(no_pods(svc, selector, &pods));
            }
            continue;
        }
        if let Some(f) = wrong_target_port(svc, &matched) {
            out.push(f);
        }
        let ready: Vec<&&Value> = matched
            .iter()
            .filter(|p| condition(p, "Ready").is_some_and(|(st, _, _)| st == "True"))
            .collect();
        if ready.is_empty() {
            out.push(no_ready(view, svc, &matched));
        }
    }
    out
}

fn sel_text(selector: &serde_json::Map<String, Value>) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(",")
}

fn svc_finding(svc: &Value, severity: Severity, rank: u8) -> Finding {
    let ns = meta_namespace(svc).unwrap_or("");
    let name = meta_name(svc);
    Finding {
        analyzer: "service".into(),
        severity,
        object: ObjectRef::new("Service", Some(ns), name),
        title: String::new(),
        explanation: String::new(),
        evidence: Vec::new(),
        remediation: String::new(),
        checks: vec![
            format!("describe service {name}{}", ns_flag(ns)),
            format!("get endpoints {name}{}", ns_flag(ns)),
        ],
        related: Vec::new(),
        rank,
    }
}

/// A Deployment or StatefulSet in `ns`, scaled to 0, whose pod template the selector matches.
fn idle_backend(
    view: &ClusterView,
    ns: &str,
    selector: &serde_json::Map<String, Value>,
) -> Option<(String, String)> {
    ["Deployment", "StatefulSet"].iter().find_map(|kind| {
        view.in_namespace(kind, ns)
            .find(|w| {
                int(w, "/spec/replicas") == Some(0)
                    && w.pointer("/spec/template/metadata/labels")
                        .is_some_and(|l| map_selector_matches(selector, l))
            })
            .map(|w| (kind.to_string(), meta_name(w).to_string()))
    })
}

fn no_pods(svc: &Value, selector: &serde_json::Map<String, Value>, pods: &[&Value]) -> Finding {
    let ns = meta_namespace(svc).unwrap_or("");
    let sel = sel_text(selector);
    let mut f = svc_finding(svc, Severity::Critical, 5);
    f.title = format!("selector {sel} matches no pods");
    f.explanation = "The Service's selector matches no running pod in its namespace, so it has no endpoints and every connection to it fails.".into();
    f.evidence.push(format!("selector: {sel}"));
    f.evidence
        .push(format!("pods in namespace {ns}: {}", pods.len()));
    // Near misses: pods sharing a selector key with a different value, or sharing a value.
    let mut near: Vec<String> = Vec::new();
    let mut suggestion = None;
    for p in pods {
        let ls = labels(p);
        let shares = selector
            .iter()
            .any(|(k, v)| ls.iter().any(|(lk, lv)| lk == k || Some(*lv) == v.as_str()));
        if shares {
            let l = ls
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",");
            near.push(format!("pod {} has labels {l}", meta_name(p)));
            if suggestion.is_none() {
                let fixed: Vec<String> = selector
                    .iter()
                    .map(|(k, v)| {
                        let have = ls.iter().find(|(lk, _)| lk == k).map(|(_, lv)| *lv);
                        format!("{k}={}", have.unwrap_or(v.as_str().unwrap_or("")))
                    })
                    .collect();
                suggestion = Some(fixed.join(","));
            }
        }
    }
    near.sort();
    near.dedup();
    f.evidence.extend(near.into_iter().take(5));
    f.remediation = match suggestion {
        Some(sug) if sug != sel => format!(
            "Fix the Service selector to match the pods' labels (it says {sel}; the pods carry {sug}), or fix the pods' labels in their workload template."
        ),
        _ => "Fix the Service selector to match the labels of the pods it should route to, or deploy those pods.".into(),
    };
    f.checks
        .push(format!("get pods{} --show-labels", ns_flag(ns)));
    f
}

fn container_ports(pod: &Value) -> Vec<(i64, String)> {
    arr(pod, "/spec/containers")
        .iter()
        .flat_map(|c| arr(c, "/ports"))
        .map(|p| {
            (
                int(p, "/containerPort").unwrap_or(0),
                s(p, "name").to_string(),
            )
        })
        .collect()
}

fn wrong_target_port(svc: &Value, matched: &[&Value]) -> Option<Finding> {
    let declared: Vec<(i64, String)> = matched.iter().flat_map(|p| container_ports(p)).collect();
    if declared.is_empty() {
        return None; // ports not declared: nothing to compare with
    }
    let declared_text = {
        let mut d: Vec<String> = declared
            .iter()
            .map(|(n, nm)| {
                if nm.is_empty() {
                    n.to_string()
                } else {
                    format!("{n} ({nm})")
                }
            })
            .collect();
        d.sort();
        d.dedup();
        d.join(", ")
    };
    for port in arr(svc, "/spec/ports") {
        let tp = port.get("targetPort").or_else(|| port.get("port"))?;
        let (ok, shown) = match tp {
            Value::Number(n) => {
                let n = n.as_i64().unwrap_or(0);
                (declared.iter().any(|(p, _)| *p == n), n.to_string())
            }
            Value::String(name) => (declared.iter().any(|(_, nm)| nm == name), name.clone()),
            _ => continue,
        };
        if !ok {
            let mut f = svc_finding(svc, Severity::Critical, 6);
            let port_no = int(port, "/port").unwrap_or(0);
            f.title = format!(
                "port {port_no} targets port {shown}, which the selected pods do not expose"
            );
            f.explanation = "Traffic to the Service is forwarded to a container port nothing listens on, so connections are refused or time out.".into();
            f.evidence
                .push(format!("service port {port_no} -> targetPort {shown}"));
            f.evidence.push(format!(
                "container ports of the selected pods: {declared_text}"
            ));
            f.remediation = format!(
                "Set targetPort of service port {port_no} to the container port the application listens on ({declared_text})."
            );
            return Some(f);
        }
    }
    None
}

fn no_ready(view: &ClusterView, svc: &Value, matched: &[&Value]) -> Finding {
    let ns = meta_namespace(svc).unwrap_or("");
    let name = meta_name(svc);
    let mut f = svc_finding(svc, Severity::Warning, 40);
    f.title = format!(
        "no ready endpoints ({} matching pods, none ready)",
        matched.len()
    );
    f.explanation = "The Service selects pods, but none of them is Ready, so it has no endpoints to send traffic to. The pods' own problems are the cause.".into();
    for p in matched.iter().take(5) {
        let why = arr(p, "/status/containerStatuses")
            .iter()
            .map(|c| {
                let w = sp(c, "/state/waiting/reason");
                if w.is_empty() {
                    format!(
                        "{} ready={}",
                        s(c, "name"),
                        c.get("ready").and_then(Value::as_bool).unwrap_or(false)
                    )
                } else {
                    format!("{} {w}", s(c, "name"))
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        f.evidence.push(format!(
            "pod {} ({}): {why}",
            meta_name(p),
            sp(p, "/status/phase")
        ));
        f.related
            .push(ObjectRef::new("Pod", Some(ns), meta_name(p)));
    }
    if let Some(ep) = view.get("Endpoints", ns, name) {
        let ready: usize = arr(ep, "/subsets")
            .iter()
            .map(|s| arr(s, "/addresses").len())
            .sum();
        let not_ready: usize = arr(ep, "/subsets")
            .iter()
            .map(|s| arr(s, "/notReadyAddresses").len())
            .sum();
        f.evidence.push(format!(
            "endpoints {name}: {ready} ready, {not_ready} not ready"
        ));
    }
    f.remediation = "Fix why the selected pods are not Ready (see the findings about those pods); the Service recovers on its own when they are.".into();
    f.checks.push(format!(
        "get pods{} -l {}",
        ns_flag(ns),
        sel_text(
            svc.pointer("/spec/selector")
                .and_then(Value::as_object)
                .unwrap_or(&serde_json::Map::new())
        )
    ));
    f
}
