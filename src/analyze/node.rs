//! Nodes NotReady or under memory, disk or PID pressure.

use super::util::{arr, meta_name, s, sp};
use super::{ClusterView, Finding, ObjectRef, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for node in view.all("Node") {
        let name = meta_name(node);
        let pods_on: Vec<&str> = view
            .all("Pod")
            .filter(|p| sp(p, "/spec/nodeName") == name)
            .map(meta_name)
            .collect();
        for c in arr(node, "/status/conditions") {
            let ty = s(c, "type");
            let st = s(c, "status");
            let (bad, sev, rank, what, fix) = match ty {
                "Ready" => (
                    st != "True",
                    Severity::Critical,
                    15,
                    if st == "Unknown" {
                        "node is NotReady: the kubelet stopped reporting".to_string()
                    } else {
                        "node is NotReady".to_string()
                    },
                    "Check the kubelet and container runtime on the node (service status, logs), its network to the control plane, and its resources; cordon and drain it if it stays NotReady.",
                ),
                "MemoryPressure" => (
                    st == "True",
                    Severity::Warning,
                    20,
                    "node is under memory pressure".into(),
                    "Free memory on the node: find the pods using the most memory, set memory limits, or add capacity.",
                ),
                "DiskPressure" => (
                    st == "True",
                    Severity::Warning,
                    20,
                    "node is under disk pressure".into(),
                    "Free disk space on the node (images, logs, emptyDir volumes) or grow its disk.",
                ),
                "PIDPressure" => (
                    st == "True",
                    Severity::Warning,
                    20,
                    "node is under PID pressure".into(),
                    "Find the pod forking too many processes; set a pod PID limit.",
                ),
                "NetworkUnavailable" => (
                    st == "True",
                    Severity::Warning,
                    20,
                    "node network is unavailable".into(),
                    "Check the node's network plugin (CNI) pods and configuration.",
                ),
                _ => (false, Severity::Info, 0, String::new(), ""),
            };
            if !bad {
                continue;
            }
            let mut evidence = vec![format!(
                "condition {ty}={st} ({}): {}",
                s(c, "reason"),
                s(c, "message")
            )];
            let hb = s(c, "lastHeartbeatTime");
            if !hb.is_empty() {
                evidence.push(format!("last heartbeat: {hb}"));
            }
            if !pods_on.is_empty() {
                evidence.push(format!(
                    "pods on this node: {}",
                    pods_on
                        .iter()
                        .take(8)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            // The condition taints (not-ready, unreachable, …-pressure) are this condition
            // again: only the taints someone put on the node are worth a line.
            for t in super::util::user_taints(node) {
                evidence.push(format!("taint {}", super::util::taint_words(t)));
            }
            out.push(Finding {
                analyzer: "node".into(),
                severity: sev,
                object: ObjectRef::new("Node", None, name),
                title: what,
                explanation: format!("The node reports {ty}={st}; workloads on it are affected and new pods avoid it."),
                evidence,
                remediation: fix.into(),
                checks: vec![format!("describe node {name}")],
                related: Vec::new(),
                rank,
            });
        }
    }
    out
}
