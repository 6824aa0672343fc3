//! Evicted pods: the node reclaimed resources.

use super::pod::{PodFinding, workload_name};
use super::util::sp;
use super::{ClusterView, Finding, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in view.all("Pod") {
        if sp(pod, "/status/phase") != "Failed" || sp(pod, "/status/reason") != "Evicted" {
            continue;
        }
        let msg = sp(pod, "/status/message");
        let node = sp(pod, "/spec/nodeName");
        let lower = msg.to_ascii_lowercase();
        let resource = if lower.contains("ephemeral-storage") || lower.contains("disk") {
            "disk (ephemeral storage)"
        } else if lower.contains("memory") {
            "memory"
        } else if lower.contains("pid") {
            "process IDs"
        } else {
            "resources"
        };
        let mut evidence = vec![format!("status: Failed, reason Evicted: {msg}")];
        if !node.is_empty() {
            evidence.push(format!("node: {node}"));
        }
        out.push(
            PodFinding { pod, analyzer: "evicted", severity: Severity::Warning, rank: 30 }.build(
                format!("pod was evicted: node was low on {resource}"),
                format!("The kubelet on {} evicted the pod to reclaim {resource}.", if node.is_empty() { "its node" } else { node }),
                evidence,
                format!(
                    "Set requests/limits for {resource} on the {} so the scheduler places it where it fits, and check the node's pressure conditions; evicted pods can be cleaned up once understood.",
                    workload_name(pod)
                ),
                if node.is_empty() { vec![] } else { vec![format!("describe node {node}")] },
            ),
        );
    }
    out
}
