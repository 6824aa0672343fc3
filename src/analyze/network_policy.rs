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

/// The namespace the cluster DNS (CoreDNS / kube-dns) runs in.
pub const DNS_NAMESPACE: &str = "kube-system";

/// Does an egress rule's port list include DNS (53, a named `dns` port, or a range over 53)?
fn ports_allow_dns(rule: &Value) -> bool {
    let ports = arr(rule, "/ports");
    ports.is_empty()
        || ports.iter().any(|p| {
            let port = p.get("port");
            port.is_none()
                || port.and_then(Value::as_i64) == Some(53)
                || port
                    .and_then(Value::as_str)
                    .is_some_and(|n| n == "dns" || n == "dns-tcp" || n == "53")
                || int(p, "/endPort").is_some_and(|e| e >= 53)
                    && port.and_then(Value::as_i64).is_some_and(|s| s <= 53)
        })
}

/// The labels the DNS namespace carries: its object's labels when it was read, plus
/// `kubernetes.io/metadata.name`, which the API server sets on every namespace (1.21 on).
/// `None` when the namespace was not read and the selector asks for another label.
fn dns_namespace_matches(selector: &Value, dns_ns: Option<&Value>) -> Option<bool> {
    let mut labels = dns_ns
        .and_then(|n| n.pointer("/metadata/labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.insert(
        "kubernetes.io/metadata.name".into(),
        Value::String(DNS_NAMESPACE.into()),
    );
    let ns = serde_json::json!({"metadata": {"labels": labels}});
    if dns_ns.is_none() && !selector_keys(selector).all(|k| k == "kubernetes.io/metadata.name") {
        return None;
    }
    Some(label_selector_matches(selector, &ns))
}

fn selector_keys(selector: &Value) -> impl Iterator<Item = &str> {
    selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.keys().map(String::as_str))
        .chain(
            arr(selector, "/matchExpressions")
                .iter()
                .map(|e| e.get("key").and_then(Value::as_str).unwrap_or("")),
        )
}

/// Does an egress rule allow DNS (port 53) to the cluster DNS? `dns_ns` is the DNS
/// namespace's object when it was read: a `namespaceSelector` that does not select it opens
/// port 53 to other namespaces only. Unknown labels count as allowing (nothing shows a block).
pub fn rule_allows_dns(rule: &Value, own_ns: &str, dns_ns: Option<&Value>) -> bool {
    if !ports_allow_dns(rule) {
        return false;
    }
    let to = arr(rule, "/to");
    to.is_empty()
        || own_ns == DNS_NAMESPACE
        || to.iter().any(|peer| {
            peer.get("ipBlock").is_some()
                || peer
                    .get("namespaceSelector")
                    .is_some_and(|sel| dns_namespace_matches(sel, dns_ns).unwrap_or(true))
        })
}

/// A rule that opens port 53 only to namespaces the DNS namespace is not among: the selector
/// it uses (`name=kube-system`), to say why DNS stays blocked.
pub fn dns_selector_missed(rule: &Value, own_ns: &str, dns_ns: Option<&Value>) -> Option<String> {
    if !ports_allow_dns(rule) || rule_allows_dns(rule, own_ns, dns_ns) {
        return None;
    }
    arr(rule, "/to").iter().find_map(|peer| {
        let sel = peer.get("namespaceSelector")?;
        let words: Vec<String> = sel
            .get("matchLabels")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
            .chain(arr(sel, "/matchExpressions").iter().map(|e| {
                format!(
                    "{} {} ({})",
                    e.get("key").and_then(Value::as_str).unwrap_or(""),
                    e.get("operator").and_then(Value::as_str).unwrap_or(""),
                    arr(e, "/values")
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }))
            .collect();
        Some(words.join(", "))
    })
}

/// Would a rule's verdict on DNS change with the DNS namespace's labels (a `namespaceSelector`
/// on a label other than `kubernetes.io/metadata.name` on a rule that opens port 53)?
pub fn needs_dns_namespace(rule: &Value) -> bool {
    ports_allow_dns(rule)
        && arr(rule, "/to").iter().any(|peer| {
            peer.get("namespaceSelector")
                .is_some_and(|sel| dns_namespace_matches(sel, None).is_none())
        })
}

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    let dns_ns = view.get("Namespace", "", DNS_NAMESPACE);
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
                            .any(|r| rule_allows_dns(r, ns, dns_ns))
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
