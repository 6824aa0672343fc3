//! NetworkPolicies that isolate pods: egress without DNS, ingress denied to pods a Service
//! routes to.

use serde_json::Value;

use super::util::{
    arr, int, label_selector_matches, map_selector_matches, meta_name, meta_namespace, ns_flag, sp,
};
use super::{ClusterView, Finding, ObjectRef, Severity};

fn has_type(np: &Value, ty: &str) -> bool {
    let types = arr(np, "/spec/policyTypes");
    if types.is_empty() {
        // Defaulted: Ingress always, Egress when egress rules are present.
        return ty == "Ingress" || np.pointer("/spec/egress").is_some();
    }
    types.iter().any(|t| t.as_str() == Some(ty))
}

/// Does an egress rule allow DNS (port 53) to somewhere outside the pod's own namespace's
/// plain pod selectors (DNS lives in kube-system)?
fn rule_allows_dns(rule: &Value, own_ns: &str) -> bool {
    let ports = arr(rule, "/ports");
    let port_ok = ports.is_empty()
        || ports.iter().any(|p| {
            let port = p.get("port");
            port.is_none()
                || port.and_then(Value::as_i64) == Some(53)
                || port
                    .and_then(Value::as_str)
                    .is_some_and(|n| n == "dns" || n == "dns-tcp" || n == "53")
                || int(p, "/endPort").is_some_and(|e| e >= 53)
                    && port.and_then(Value::as_i64).is_some_and(|s| s <= 53)
        });
    let to = arr(rule, "/to");
    let peer_ok = to.is_empty()
        || own_ns == "kube-system"
        || to
            .iter()
            .any(|peer| peer.get("namespaceSelector").is_some() || peer.get("ipBlock").is_some());
    port_ok && peer_ok
}

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for np in view.all("NetworkPolicy") {
        let ns = meta_namespace(np).unwrap_or("");
        let name = meta_name(np);
        let sel = np
            .pointer("/spec/podSelector")
            .cloned()
            .unwrap_or(Value::Null);
        let pods: Vec<&Value> = view
            .in_namespace("Pod", ns)
            .filter(|p| sp(p, "/status/phase") != "Succeeded" && sp(p, "/status/phase") != "Failed")
            .filter(|p| label_selector_matches(&sel, p))
            .collect();
        if pods.is_empty() {
            continue;
        }
        // Policies are additive: DNS counts as allowed if any policy selecting the pod allows it.
        let policies_for = |pod: &Value, ty: &str| -> Vec<&Value> {
            view.in_namespace("NetworkPolicy", ns)
                .filter(|p| has_type(p, ty))
                .filter(|p| {
                    label_selector_matches(
                        &p.pointer("/spec/podSelector")
                            .cloned()
                            .unwrap_or(Value::Null),
                        pod,
                    )
                })
                .collect()
        };
        if has_type(np, "Egress") {
            let blocked: Vec<&str> = pods
                .iter()
                .filter(|p| {
                    !policies_for(p, "Egress").iter().any(|pol| {
                        arr(pol, "/spec/egress")
                            .iter()
                            .any(|r| rule_allows_dns(r, ns))
                    })
                })
                .map(|p| meta_name(p))
                .collect();
            if !blocked.is_empty() {
                out.push(Finding {
                    analyzer: "network-policy".into(),
                    severity: Severity::Warning,
                    object: ObjectRef::new("NetworkPolicy", Some(ns), name),
                    title: "egress policy blocks DNS (port 53) for the pods it selects".into(),
                    explanation: "The pods may only send traffic the egress rules allow, and none allows DNS to kube-system, so every name lookup fails (connections by service name time out).".into(),
                    evidence: vec![
                        format!("policyTypes include Egress; egress rules: {}", arr(np, "/spec/egress").len()),
                        format!("isolated pods: {}", blocked.iter().take(8).copied().collect::<Vec<_>>().join(", ")),
                    ],
                    remediation: "Add an egress rule allowing UDP and TCP port 53 to the cluster DNS (namespaceSelector kubernetes.io/metadata.name: kube-system, podSelector k8s-app: kube-dns).".into(),
                    checks: vec![format!("describe networkpolicy {name}{}", ns_flag(ns))],
                    related: blocked.iter().map(|p| ObjectRef::new("Pod", Some(ns), p)).collect(),
                    rank: 12,
                });
            }
        }
        if has_type(np, "Ingress") && arr(np, "/spec/ingress").is_empty() {
            // Denies all ingress unless another policy opens it; a problem when a Service routes there.
            let isolated: Vec<(&str, String)> = pods
                .iter()
                .filter(|p| {
                    !policies_for(p, "Ingress")
                        .iter()
                        .any(|pol| !arr(pol, "/spec/ingress").is_empty())
                })
                .filter_map(|p| {
                    view.in_namespace("Service", ns)
                        .find(|svc| {
                            svc.pointer("/spec/selector")
                                .and_then(Value::as_object)
                                .is_some_and(|sel| {
                                    p.pointer("/metadata/labels")
                                        .is_some_and(|l| map_selector_matches(sel, l))
                                })
                        })
                        .map(|svc| (meta_name(p), meta_name(svc).to_string()))
                })
                .collect();
            if !isolated.is_empty() {
                let svcs: std::collections::BTreeSet<&str> =
                    isolated.iter().map(|(_, s)| s.as_str()).collect();
                out.push(Finding {
                    analyzer: "network-policy".into(),
                    severity: Severity::Warning,
                    object: ObjectRef::new("NetworkPolicy", Some(ns), name),
                    title: format!("denies all ingress to pods behind Service {}", svcs.iter().copied().collect::<Vec<_>>().join(", ")),
                    explanation: "The policy selects the pods for Ingress with no rules, so all incoming connections (from the Service's clients too) are dropped.".into(),
                    evidence: vec![
                        format!("podSelector: {}; ingress rules: none", np.pointer("/spec/podSelector").map(Value::to_string).unwrap_or_default()),
                        format!("isolated pods: {}", isolated.iter().map(|(p, _)| *p).take(8).collect::<Vec<_>>().join(", ")),
                    ],
                    remediation: "Add an ingress rule allowing the clients (their namespace/pod selectors and the service's port), or narrow the policy's podSelector.".into(),
                    checks: vec![format!("describe networkpolicy {name}{}", ns_flag(ns))],
                    related: svcs.iter().map(|s2| ObjectRef::new("Service", Some(ns), s2)).collect(),
                    rank: 12,
                });
            }
        }
    }
    out
}
