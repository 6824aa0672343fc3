//! An IP address a container cannot reach that is no Service's ClusterIP in its namespace:
//! whose address it is (a pod there, else — widening, said so — a Service or pod in another
//! namespace, a node), followed to why it refuses; or, said plainly, nobody's.

use serde_json::Value;

use super::{Have, Walk, calls_of, from_finding, owner_words};
use crate::analyze::util::{arr, map_selector_matches, meta_name, pod_ready, s, sp};
use crate::analyze::{self, ObjectRef};

/// Whose an address is.
pub(super) enum Owner {
    Service(Value),
    Pod(Value),
    Node(Value),
    /// Nothing listed has it; `complete` when every list it was looked for in was read.
    Nobody {
        complete: bool,
    },
    /// Not a private address: outside the cluster.
    Outside,
    /// A list it needs is asked for.
    Asked,
}

fn octets(ip: &str) -> Option<[u8; 4]> {
    let parts: Vec<u8> = ip
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    parts.try_into().ok()
}

/// Could a cluster own this address (private ranges, CGNAT, link-local, loopback)?
fn private(ip: &str) -> bool {
    match octets(ip) {
        Some([10, ..]) | Some([127, ..]) => true,
        Some([172, b, ..]) => (16..32).contains(&b),
        Some([192, 168, ..]) | Some([169, 254, ..]) => true,
        Some([100, b, ..]) => (64..128).contains(&b),
        _ => false,
    }
}

fn pod_ips(p: &Value) -> Vec<&str> {
    let mut ips: Vec<&str> = arr(p, "/status/podIPs")
        .iter()
        .map(|i| s(i, "ip"))
        .filter(|i| !i.is_empty())
        .collect();
    let one = sp(p, "/status/podIP");
    if !one.is_empty() && !ips.contains(&one) {
        ips.push(one);
    }
    ips
}

fn find_pod<'v>(mut pods: impl Iterator<Item = &'v Value>, ip: &str) -> Option<Value> {
    pods.find(|p| pod_ips(p).contains(&ip)).cloned()
}

/// Whose address `ip` is: the pods of `ns` first, then (widening) every namespace and node.
pub(super) fn locate(w: &mut Walk<'_>, ns: &str, ip: &str) -> Owner {
    if !private(ip) {
        return Owner::Outside;
    }
    match w.need_list(
        "pods",
        "Pod",
        ns,
        format!("is {ip} the address of a pod in {ns}?"),
    ) {
        Have::Asked => return Owner::Asked,
        Have::Yes => {
            if let Some(p) = find_pod(w.obs.view.in_namespace("Pod", ns), ip) {
                return Owner::Pod(p);
            }
        }
        Have::No => {}
    }
    let reason = format!(
        "widening to all namespaces: {ip} is the address of no Service or pod in namespace {ns}"
    );
    let mut complete = true;
    let mut asked = false;
    for (resource, kind, hypothesis) in [
        (
            "services",
            "Service",
            format!("{ip} is the ClusterIP of a Service in another namespace"),
        ),
        (
            "pods",
            "Pod",
            format!("{ip} is the IP of a pod in another namespace"),
        ),
    ] {
        if w.obs.view.is_listed(kind, None) {
            continue;
        }
        match w.need(format!("get {resource} -A"), reason.clone(), hypothesis) {
            Have::Asked => asked = true,
            Have::No => complete = false,
            Have::Yes => {}
        }
    }
    match w.need_cluster_list("nodes", "Node", format!("is {ip} the address of a node?")) {
        Have::Asked => asked = true,
        Have::No => complete = false,
        Have::Yes => {}
    }
    if asked {
        return Owner::Asked;
    }
    let view = &w.obs.view;
    if let Some(svc) = view.all("Service").find(|x| sp(x, "/spec/clusterIP") == ip) {
        return Owner::Service(svc.clone());
    }
    if let Some(p) = find_pod(view.all("Pod"), ip) {
        return Owner::Pod(p);
    }
    if let Some(n) = view.all("Node").find(|n| {
        arr(n, "/status/addresses")
            .iter()
            .any(|a| s(a, "address") == ip)
    }) {
        return Owner::Node(n.clone());
    }
    Owner::Nobody { complete }
}

/// Follow the owner of an address the container cannot reach.
#[allow(clippy::too_many_arguments)]
pub(super) fn follow(
    w: &mut Walk<'_>,
    pod: &Value,
    ns: &str,
    ip: &str,
    port: Option<u16>,
    line: &str,
    depth: usize,
    owner: Owner,
) {
    let who = owner_words(w.obs, pod);
    let at = format!("{ip}{}", port_words(port));
    match owner {
        Owner::Asked | Owner::Service(_) => {}
        Owner::Outside => {
            w.cause(
                format!("{who} cannot reach {at}, an address outside the cluster ({line})"),
                format!("{ip} is not a cluster address: check that it is up and reachable from namespace {ns} (egress NetworkPolicies, firewalls), or that {who} is configured with the right one."),
            );
        }
        Owner::Pod(p) => pod_owner(w, &who, &at, &p, port, line, depth),
        Owner::Node(n) => {
            let node = meta_name(&n).to_string();
            w.object(ObjectRef::new("Node", None, &node));
            let calls = calls_of(w.obs, "Node", "", &node);
            w.link(format!("{ip} is the address of node {node}"), calls);
            let exposed: Vec<String> = w
                .obs
                .view
                .all("Service")
                .filter(|x| {
                    arr(x, "/spec/ports").iter().any(|sp_| {
                        port.is_some_and(|p| {
                            sp_.get("nodePort").and_then(Value::as_u64) == Some(u64::from(p))
                        })
                    })
                })
                .map(|x| format!("{}/{}", sp(x, "/metadata/namespace"), meta_name(x)))
                .collect();
            let np = if exposed.is_empty() {
                "no Service exposes that port as a NodePort".to_string()
            } else {
                format!("Service {} exposes it as a NodePort", exposed.join(", "))
            };
            w.cause(
                format!("{who} connects to node {node} at {at} and is refused ({line}); {np}"),
                format!("Point {who} at a Service name instead of node {node}'s address."),
            );
        }
        Owner::Nobody { complete } => nobody(w, &who, ns, ip, port, line, complete),
    }
}

/// The address is a pod's: why that pod refuses.
fn pod_owner(
    w: &mut Walk<'_>,
    who: &str,
    at: &str,
    p: &Value,
    port: Option<u16>,
    line: &str,
    depth: usize,
) {
    let pns = sp(p, "/metadata/namespace").to_string();
    let pname = meta_name(p).to_string();
    let ip = at.split(':').next().unwrap_or(at);
    let mut calls = w.obs.list_calls("Pod", Some(&pns));
    if calls.is_empty() {
        calls = calls_of(w.obs, "Pod", &pns, &pname);
    }
    w.link(
        format!(
            "{ip} is the IP of pod {pns}/{pname} ({}), not a Service",
            owner_words(w.obs, p)
        ),
        calls,
    );
    w.object(ObjectRef::new("Pod", Some(&pns), &pname));
    // The Service that selects the pod: what to connect to instead of its IP.
    let selecting: Option<String> = w
        .obs
        .view
        .in_namespace("Service", &pns)
        .find(|x| {
            let sel = x.pointer("/spec/selector").and_then(Value::as_object);
            let labels = p.pointer("/metadata/labels");
            match (sel, labels) {
                (Some(sel), Some(l)) if !sel.is_empty() => map_selector_matches(sel, l),
                _ => false,
            }
        })
        .map(|x| meta_name(x).to_string());
    let use_service = match &selecting {
        Some(svc) => format!(
            "connect to Service {svc} ({svc}.{pns}.svc.cluster.local{}) instead of the pod's IP, which changes whenever the pod is recreated",
            port_words(port)
        ),
        None => format!(
            "put a Service in front of pod {pname} and connect to its name: a pod's IP changes whenever it is recreated"
        ),
    };
    let findings = analyze::analyze(&w.obs.view);
    if let Some(f) = findings
        .iter()
        .find(|f| {
            f.object.kind == "Pod"
                && f.object.namespace.as_deref() == Some(pns.as_str())
                && f.object.name == pname
                && f.analyzer != "service"
        })
        .cloned()
    {
        from_finding(w, &f, depth + 1);
        return;
    }
    let phase = sp(p, "/status/phase").to_string();
    let ready = pod_ready(p);
    if !ready {
        w.cause(
            format!("{who} connects to pod {pns}/{pname} at {at}, which is not ready (phase {phase}) ({line})"),
            format!("Find why pod {pns}/{pname} is not ready (its events and log); and {use_service}."),
        );
        return;
    }
    let declared: Vec<u64> = arr(p, "/spec/containers")
        .iter()
        .flat_map(|c| arr(c, "/ports"))
        .filter_map(|x| x.get("containerPort").and_then(Value::as_u64))
        .collect();
    if let Some(want) = port
        && !declared.is_empty()
        && !declared.contains(&u64::from(want))
    {
        let listed = declared
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        w.found(
            format!("pod {pname} is ready; its containers listen on {listed}, not {want}"),
            calls_of(w.obs, "Pod", &pns, &pname), format!("{who} connects to pod {pns}/{pname} ({ip}) on port {want}, but its containers listen on {listed}"),
            format!("Use port {} for pod {pname} in {who}'s configuration; better, {use_service}.", declared[0]),);
        return;
    }
    w.cause(
        format!("{who} connects to pod {pns}/{pname} directly by its IP {at} and is refused, though the pod is ready ({line})"),
        format!("Check that pod {pname} listens on {at}; and {use_service}."),
    );
}

/// The address belongs to nothing seen: say so, with the range it looks like and the
/// Services that serve the port.
fn nobody(
    w: &mut Walk<'_>,
    who: &str,
    ns: &str,
    ip: &str,
    port: Option<u16>,
    line: &str,
    complete: bool,
) {
    let view = &w.obs.view;
    let net = |a: &str| octets(a).map(|o| [o[0], o[1]]);
    let mine = net(ip);
    let services: Vec<&Value> = view.all("Service").collect();
    let pods = view.all("Pod").count();
    let nodes = view.all("Node").count();
    let range = if services
        .iter()
        .any(|x| net(sp(x, "/spec/clusterIP")) == mine && mine.is_some())
    {
        ": it lies in the Service address range, so it is likely the old ClusterIP of a Service deleted or recreated since"
    } else if view
        .all("Pod")
        .any(|p| pod_ips(p).iter().any(|i| net(i) == mine))
    {
        ": it lies in the pod address range, so it is likely the IP of a pod that no longer exists"
    } else {
        ""
    };
    // Services serving the port: those of the namespace first, else any (three at most).
    let mut candidates: Vec<&Value> = services
        .iter()
        .copied()
        .filter(|x| sp(x, "/metadata/namespace") == ns)
        .collect();
    candidates.extend(
        services
            .iter()
            .copied()
            .filter(|x| sp(x, "/metadata/namespace") != ns),
    );
    let serving: Vec<String> = candidates
        .iter()
        .filter(|x| {
            port.is_some_and(|p| {
                arr(x, "/spec/ports")
                    .iter()
                    .any(|sp_| sp_.get("port").and_then(Value::as_u64) == Some(u64::from(p)))
            })
        })
        .map(|x| {
            format!(
                "{}.{}.svc.cluster.local{}",
                meta_name(x),
                sp(x, "/metadata/namespace"),
                port_words(port)
            )
        })
        .take(3)
        .collect();
    let mut calls = w.obs.list_calls("Service", None);
    calls.extend(w.obs.list_calls("Pod", None));
    calls.extend(w.obs.list_calls("Node", None));
    if calls.is_empty() {
        calls = w.obs.list_calls("Service", Some(ns));
        calls.extend(w.obs.list_calls("Pod", Some(ns)));
    }
    let at = format!("{ip}{}", port_words(port));
    if !complete {
        w.link(
            format!("{ip} is the address of no Service or pod seen (the cluster-wide lists could not all be read)"),
            calls,
        );
        w.cause(
            format!("{who} cannot reach {at}, which is no Service's or pod's address in namespace {ns} ({line})"),
            format!("Check which address {who} is configured with; prefer a Service name to an IP."),
        );
        return;
    }
    w.link(
        format!(
            "{ip} belongs to nothing in the cluster: no Service's ClusterIP, no pod's IP, no node's address ({} Services, {pods} pods, {nodes} nodes checked){range}",
            services.len()
        ),
        calls,
    );
    w.chain.decisive = true;
    let instead = match serving.as_slice() {
        [] => String::new(),
        [one] => format!(" (e.g. {one}, which serves that port)"),
        many => format!(" (Services serving that port: {})", many.join(", ")),
    };
    w.cause(
        format!("{who} cannot reach {at}: the address belongs to no Service, pod or node in the cluster, a stale or hard-coded IP ({line})"),
        format!("Configure {who} with a Service name instead of the IP {ip}{instead}."),
    );
}

/// `:8080`, or nothing without a port.
pub(super) fn port_words(port: Option<u16>) -> String {
    port.map(|p| format!(":{p}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "10.96.14.2",
            "172.20.0.1",
            "192.168.1.5",
            "100.64.3.2",
            "127.0.0.1",
        ] {
            assert!(private(ip), "{ip}");
        }
        for ip in ["8.8.8.8", "172.32.0.1", "52.1.2.3", "not.an.ip.x"] {
            assert!(!private(ip), "{ip}");
        }
    }
}
