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
        Some(selector_words(sel, ", "))
    })
}

/// A label selector in words: `app=web, tier In (a, b)`, its terms joined by `sep`.
fn selector_words(sel: &Value, sep: &str) -> String {
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
    words.join(sep)
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

/// Ingress rules that admit, within their own namespace, pods by a label no pod carries while
/// pods with a close value of that label exist and are left out (`app=checkout-v1` after the
/// Deployment was renamed `checkout`): the callers it was written for lost their label.
fn stale_peer_labels(view: &ClusterView, np: &Value, out: &mut Vec<Finding>) {
    let ns = meta_namespace(np).unwrap_or("");
    let name = meta_name(np);
    let live: Vec<&Value> = view
        .in_namespace("Pod", ns)
        .filter(|p| !matches!(sp(p, "/status/phase"), "Succeeded" | "Failed"))
        .collect();
    let targets: Vec<&str> = live
        .iter()
        .filter(|p| {
            label_selector_matches(
                &np.pointer("/spec/podSelector")
                    .cloned()
                    .unwrap_or(Value::Null),
                p,
            )
        })
        .map(|p| meta_name(p))
        .collect();
    if targets.is_empty() {
        return;
    }
    let rules = arr(np, "/spec/ingress");
    // Admitted on the rule's ports by some rule of the policy (one for all ports, or one for
    // the same ports).
    let admitted = |pod: &Value, rule: &Value| {
        rules.iter().any(|r| {
            let ports = r.get("ports");
            if !(ports.is_none() || arr(r, "/ports").is_empty() || ports == rule.get("ports")) {
                return false;
            }
            let from = arr(r, "/from");
            from.is_empty()
                || from
                    .iter()
                    .any(|peer| peer_admits(view, peer, ns, pod) != Some(false))
        })
    };
    for rule in rules {
        for peer in arr(rule, "/from") {
            if peer.get("namespaceSelector").is_some() || peer.get("ipBlock").is_some() {
                continue;
            }
            let Some(sel) = peer.get("podSelector") else {
                continue;
            };
            let Some(labels) = sel.get("matchLabels").and_then(Value::as_object) else {
                continue;
            };
            if labels.is_empty() || live.iter().any(|p| label_selector_matches(sel, p)) {
                continue;
            }
            for (k, v) in labels {
                let want = v.as_str().unwrap_or("");
                let close: Vec<&Value> = live
                    .iter()
                    .copied()
                    .filter(|p| {
                        let have = p
                            .pointer("/metadata/labels")
                            .and_then(|l| l.get(k))
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        !have.is_empty()
                            && have != want
                            && (want.starts_with(have)
                                || have.starts_with(want)
                                || super::util::edit_distance(have, want) <= 2)
                    })
                    .filter(|p| !admitted(p, rule))
                    .filter(|p| !targets.contains(&meta_name(p)))
                    .collect();
                let Some(first) = close.first() else {
                    continue;
                };
                let have = first
                    .pointer("/metadata/labels")
                    .and_then(|l| l.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let owner = super::pod::workload_name(first);
                let ports: Vec<String> = arr(rule, "/ports")
                    .iter()
                    .filter_map(|p| p.get("port"))
                    .map(|p| {
                        p.as_i64()
                            .map(|n| n.to_string())
                            .unwrap_or_else(|| p.as_str().unwrap_or("").to_string())
                    })
                    .collect();
                let on = if ports.is_empty() {
                    String::new()
                } else {
                    format!(" on port {}", ports.join(", "))
                };
                out.push(Finding {
                    analyzer: "network-policy".into(),
                    severity: Severity::Warning,
                    object: ObjectRef::new("NetworkPolicy", Some(ns), name),
                    title: format!(
                        "admits pods labelled {k}={want}{on}, which no pod carries; pods of {owner} are labelled {k}={have} and are not admitted"
                    ),
                    explanation: "An ingress rule names its clients by a label no running pod has, while pods with a close value of that label exist: the clients were relabelled (a rename, a new chart) and the policy still names the old label, so their connections to the selected pods are dropped (they time out).".into(),
                    evidence: vec![
                        format!("podSelector of the policy selects: {}", targets.iter().take(6).copied().collect::<Vec<_>>().join(", ")),
                        format!("from podSelector {k}={want}: no pod in {ns}"),
                        format!("pod {} has {k}={have}", meta_name(first)),
                    ],
                    remediation: format!(
                        "In NetworkPolicy {ns}/{name}, admit {k}={have} (add it beside {k}={want}, or replace it), or label the pods of {owner} {k}={want}."
                    ),
                    checks: vec![format!("describe networkpolicy {name}{}", ns_flag(ns))],
                    related: close
                        .iter()
                        .take(8)
                        .map(|p| ObjectRef::new("Pod", Some(ns), meta_name(p)))
                        .collect(),
                    rank: 12,
                });
                return;
            }
        }
    }
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
        if has_type(np, "Ingress") {
            stale_peer_labels(view, np, &mut out);
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

/// The NetworkPolicies between a client pod and a server pod on one port: the side that
/// isolates it (the server's ingress or the client's egress), the policies that do, and what
/// they admit on that port. Named when no policy of that side admits the traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// `Ingress` (the server's policies) or `Egress` (the client's).
    pub side: &'static str,
    /// The namespace of the policies.
    pub namespace: String,
    /// The policies that select the isolated pod for that side.
    pub policies: Vec<String>,
    /// What the rules of those policies admit on the port (`pods labelled app=checkout-v1`).
    pub admitted: Vec<String>,
}

/// A port as a pod serves it: its number and, when the container names it, its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodPort {
    pub number: u16,
    pub name: Option<String>,
}

/// Whether a rule's `ports` include `port` (TCP): none listed, the number, the name, a range.
fn rule_ports_include(rule: &Value, port: &PodPort) -> bool {
    let ports = arr(rule, "/ports");
    ports.is_empty()
        || ports.iter().any(|p| {
            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            if proto != "TCP" {
                return false;
            }
            match p.get("port") {
                None => true,
                Some(Value::Number(n)) => {
                    let start = n.as_u64().unwrap_or(0);
                    let end = int(p, "/endPort").map_or(start, |e| e.max(0) as u64);
                    (start..=end).contains(&u64::from(port.number))
                }
                Some(Value::String(name)) => {
                    port.name.as_deref() == Some(name.as_str())
                        || name.parse::<u16>().ok() == Some(port.number)
                }
                Some(_) => false,
            }
        })
}

/// Does a namespace selector select namespace `ns`? Its object when it was read, else only
/// `kubernetes.io/metadata.name` is known: `None` when the answer needs other labels.
fn namespace_selected(selector: &Value, ns: &str, ns_obj: Option<&Value>) -> Option<bool> {
    let mut labels = ns_obj
        .and_then(|n| n.pointer("/metadata/labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.insert(
        "kubernetes.io/metadata.name".into(),
        Value::String(ns.to_string()),
    );
    if ns_obj.is_none() && !selector_keys(selector).all(|k| k == "kubernetes.io/metadata.name") {
        return None;
    }
    let obj = serde_json::json!({"metadata": {"labels": labels}});
    Some(label_selector_matches(selector, &obj))
}

/// Whether an IPv4 address lies in a CIDR (`10.0.0.0/8`); `None` when either does not parse.
fn in_cidr(ip: &str, cidr: &str) -> Option<bool> {
    let (base, bits) = cidr.split_once('/')?;
    let bits: u32 = bits.parse().ok()?;
    let a: std::net::Ipv4Addr = ip.parse().ok()?;
    let b: std::net::Ipv4Addr = base.parse().ok()?;
    if bits > 32 {
        return None;
    }
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    Some(u32::from(a) & mask == u32::from(b) & mask)
}

/// Does a peer (`from` / `to` entry) of a policy in `policy_ns` admit pod `other`? `None`
/// when it cannot be told from what was read (a namespace's labels, an address).
fn peer_admits(view: &ClusterView, peer: &Value, policy_ns: &str, other: &Value) -> Option<bool> {
    let other_ns = meta_namespace(other).unwrap_or("");
    if let Some(block) = peer.get("ipBlock") {
        let ip = sp(other, "/status/podIP");
        let inside = in_cidr(ip, block.get("cidr").and_then(Value::as_str).unwrap_or(""))?;
        let excepted = arr(block, "/except")
            .iter()
            .filter_map(Value::as_str)
            .any(|c| in_cidr(ip, c) == Some(true));
        return Some(inside && !excepted);
    }
    let ns_ok = match peer.get("namespaceSelector") {
        Some(sel) => namespace_selected(sel, other_ns, view.get("Namespace", "", other_ns))?,
        None => other_ns == policy_ns,
    };
    let pod_ok = peer
        .get("podSelector")
        .is_none_or(|sel| label_selector_matches(sel, other));
    Some(ns_ok && pod_ok)
}

/// A peer in words: `pods labelled app=checkout-v1`, `namespaces labelled name=monitoring`.
fn peer_words(peer: &Value) -> String {
    let labels = |sel: &Value| selector_words(sel, ",");
    if let Some(b) = peer.get("ipBlock") {
        return format!(
            "addresses {}",
            b.get("cidr").and_then(Value::as_str).unwrap_or("?")
        );
    }
    let pods = peer.get("podSelector").map(labels);
    let nss = peer.get("namespaceSelector").map(labels);
    match (nss, pods) {
        (Some(n), Some(p)) if !p.is_empty() => format!(
            "pods labelled {p} in {}",
            if n.is_empty() {
                "any namespace".to_string()
            } else {
                format!("namespaces labelled {n}")
            }
        ),
        (Some(n), _) if n.is_empty() => "any namespace".into(),
        (Some(n), _) => format!("namespaces labelled {n}"),
        (None, Some(p)) if p.is_empty() => "every pod of the namespace".into(),
        (None, Some(p)) => format!("pods labelled {p}"),
        (None, None) => "anyone".into(),
    }
}

/// The verdict of one side: the policies in `ns` that select `isolated` for `ty` and whether
/// any of their rules admits `other` on `port`. `None` when the pod is not isolated for that
/// side, some rule admits it, or a rule's answer cannot be told.
fn side_blocks(
    view: &ClusterView,
    ty: &'static str,
    isolated: &Value,
    other: &Value,
    port: &PodPort,
) -> Option<Blocked> {
    let ns = meta_namespace(isolated).unwrap_or("");
    let (rules_key, peers_key) = if ty == "Ingress" {
        ("/spec/ingress", "/from")
    } else {
        ("/spec/egress", "/to")
    };
    let policies: Vec<&Value> = view
        .in_namespace("NetworkPolicy", ns)
        .filter(|p| has_type(p, ty))
        .filter(|p| {
            label_selector_matches(
                &p.pointer("/spec/podSelector")
                    .cloned()
                    .unwrap_or(Value::Null),
                isolated,
            )
        })
        .collect();
    if policies.is_empty() {
        return None;
    }
    let mut admitted = Vec::new();
    for pol in &policies {
        for rule in arr(pol, rules_key) {
            if !rule_ports_include(rule, port) {
                continue;
            }
            let peers = arr(rule, peers_key);
            if peers.is_empty() {
                return None;
            }
            for peer in peers {
                match peer_admits(view, peer, ns, other) {
                    Some(false) => admitted.push(peer_words(peer)),
                    // admitted, or not to be told: nothing shows a block
                    _ => return None,
                }
            }
        }
    }
    admitted.dedup();
    // The policies whose rules speak of the port first: they are the ones to change.
    let speaks = |p: &Value| {
        arr(p, rules_key)
            .iter()
            .any(|r| !arr(r, "/ports").is_empty() && rule_ports_include(r, port))
    };
    let (mut named, rest): (Vec<&Value>, Vec<&Value>) =
        policies.iter().copied().partition(|p| speaks(p));
    named.extend(rest);
    Some(Blocked {
        side: ty,
        namespace: ns.to_string(),
        policies: named.iter().map(|p| meta_name(p).to_string()).collect(),
        admitted,
    })
}

/// Whether NetworkPolicies drop a connection from pod `client` to pod `server` on `port`:
/// the server's ingress policies first, then the client's egress policies.
pub fn blocks(
    view: &ClusterView,
    client: &Value,
    server: &Value,
    port: &PodPort,
) -> Option<Blocked> {
    side_blocks(view, "Ingress", server, client, port)
        .or_else(|| side_blocks(view, "Egress", client, server, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(ns: &str, name: &str, labels: Value, ip: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 50051, "name": "grpc"}]}]},
            "status": {"phase": "Running", "podIP": ip}})
    }

    fn policy(ns: &str, name: &str, spec: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec})
    }

    fn view(objs: Vec<Value>) -> ClusterView {
        let mut v = ClusterView::new();
        for o in objs {
            v.insert(o);
        }
        v
    }

    const GRPC: PodPort = PodPort {
        number: 50051,
        name: None,
    };

    #[test]
    fn an_ingress_rule_for_another_label_blocks_the_caller() {
        let client = pod(
            "shop",
            "checkout-1",
            json!({"app": "checkout"}),
            "10.244.1.5",
        );
        let server = pod(
            "shop",
            "inventory-1",
            json!({"app": "inventory"}),
            "10.244.2.7",
        );
        let v = view(vec![
            client.clone(),
            server.clone(),
            policy(
                "shop",
                "deny",
                json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
            ),
            policy(
                "shop",
                "inventory-allow",
                json!({
                "podSelector": {"matchLabels": {"app": "inventory"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "checkout-v1"}}}],
                             "ports": [{"protocol": "TCP", "port": 50051}]}]}),
            ),
        ]);
        let b = blocks(&v, &client, &server, &GRPC).expect("blocked");
        assert_eq!(b.side, "Ingress");
        assert_eq!(b.policies[0], "inventory-allow");
        assert_eq!(
            b.admitted,
            vec!["pods labelled app=checkout-v1".to_string()]
        );
        // The label it admits is the caller's: not blocked.
        let ok = pod(
            "shop",
            "checkout-2",
            json!({"app": "checkout-v1"}),
            "10.244.1.6",
        );
        assert_eq!(blocks(&v, &ok, &server, &GRPC), None);
        // A rule for another port does not admit it; one without ports does.
        let other_port = PodPort {
            number: 9090,
            name: None,
        };
        assert!(blocks(&v, &ok, &server, &other_port).is_some());
    }

    #[test]
    fn namespaces_named_ports_and_egress_are_read() {
        let client = pod("web", "front-1", json!({"app": "front"}), "10.244.1.5");
        let server = pod(
            "shop",
            "inventory-1",
            json!({"app": "inventory"}),
            "10.244.2.7",
        );
        let named = PodPort {
            number: 50051,
            name: Some("grpc".into()),
        };
        // Admitted by namespace name (every namespace carries kubernetes.io/metadata.name).
        let v = view(vec![
            client.clone(),
            server.clone(),
            policy(
                "shop",
                "from-web",
                json!({
                "podSelector": {},
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "web"}}}],
                             "ports": [{"port": "grpc"}]}]}),
            ),
        ]);
        assert_eq!(blocks(&v, &client, &server, &named), None);
        // A pod selector alone admits pods of the policy's own namespace only.
        let v = view(vec![
            client.clone(),
            server.clone(),
            policy(
                "shop",
                "same-ns",
                json!({
                "podSelector": {},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "front"}}}]}]}),
            ),
        ]);
        assert!(blocks(&v, &client, &server, &named).is_some());
        // A namespace label klue has not read: nothing shows a block.
        let v = view(vec![
            client.clone(),
            server.clone(),
            policy(
                "shop",
                "by-team",
                json!({
                "podSelector": {},
                "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "web"}}}]}]}),
            ),
        ]);
        assert_eq!(blocks(&v, &client, &server, &named), None);
        // The caller's egress allows another CIDR only.
        let v = view(vec![
            client.clone(),
            server.clone(),
            policy(
                "web",
                "egress",
                json!({
                "podSelector": {"matchLabels": {"app": "front"}},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}]}]}),
            ),
        ]);
        let b = blocks(&v, &client, &server, &named).expect("egress blocked");
        assert_eq!((b.side, b.namespace.as_str()), ("Egress", "web"));
        assert_eq!(b.admitted, vec!["addresses 10.0.0.0/16".to_string()]);
    }
}

#[cfg(test)]
mod stale_label_tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, labels: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "labels": labels,
                "ownerReferences": [{"kind": "ReplicaSet", "name": "checkout-7f9d8c6b54", "controller": true}]},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Running", "podIP": "10.244.1.5"}})
    }

    fn allow(from: &str) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "inventory-allow", "namespace": "shop"},
            "spec": {"podSelector": {"matchLabels": {"app": "inventory"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": from}}}],
                             "ports": [{"protocol": "TCP", "port": 50051}]},
                            {"from": [{"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}],
                             "ports": [{"protocol": "TCP", "port": 9090}]}]}})
    }

    fn findings(objs: Vec<Value>) -> Vec<Finding> {
        let mut v = ClusterView::new();
        for o in objs {
            v.insert(o);
        }
        analyze(&v)
    }

    #[test]
    fn a_rule_for_a_label_only_a_renamed_client_resembles_is_named() {
        let out = findings(vec![
            pod("inventory-1", json!({"app": "inventory"})),
            pod("checkout-7f9d8c6b54-abcde", json!({"app": "checkout"})),
            allow("checkout-v1"),
        ]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].title.contains("app=checkout-v1"), "{}", out[0].title);
        assert!(
            out[0].title.contains("deployment checkout"),
            "{}",
            out[0].title
        );
        // The label is carried: nothing to say.
        let out = findings(vec![
            pod("inventory-1", json!({"app": "inventory"})),
            pod("checkout-7f9d8c6b54-abcde", json!({"app": "checkout-v1"})),
            allow("checkout-v1"),
        ]);
        assert!(out.is_empty(), "{out:?}");
        // A client that is simply not running (no close label): nothing either.
        let out = findings(vec![
            pod("inventory-1", json!({"app": "inventory"})),
            pod("web-7f9d8c6b54-abcde", json!({"app": "storefront"})),
            allow("checkout-v1"),
        ]);
        assert!(out.is_empty(), "{out:?}");
    }
}
