//! OOMKilled containers: the memory limit against what was used.

use serde_json::Value;

use super::pod::{PodFinding, workload_name};
use super::util::{
    containers_with_status, human_quantity, int, meta_name, meta_namespace, ns_flag, quantity, s,
    sp,
};
use super::{ClusterView, Finding, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in view.all("Pod") {
        for (spec, status) in containers_with_status(pod, false)
            .into_iter()
            .chain(containers_with_status(pod, true))
        {
            let Some(st) = status else { continue };
            let killed = [
                st.pointer("/lastState/terminated"),
                st.pointer("/state/terminated"),
            ]
            .into_iter()
            .flatten()
            .any(|t| s(t, "reason") == "OOMKilled");
            if killed {
                out.push(finding(view, pod, spec, st));
            }
        }
    }
    out
}

fn usage(view: &ClusterView, ns: &str, pod: &str, container: &str) -> Option<f64> {
    let m = view.get("PodMetrics", ns, pod)?;
    m.get("containers")?
        .as_array()?
        .iter()
        .find(|c| s(c, "name") == container)
        .and_then(|c| quantity(sp(c, "/usage/memory")))
}

fn finding(view: &ClusterView, pod: &Value, spec: &Value, st: &Value) -> Finding {
    let ns = meta_namespace(pod).unwrap_or("");
    let name = meta_name(pod);
    let container = s(spec, "name");
    let limit = quantity(sp(spec, "/resources/limits/memory"));
    let request = quantity(sp(spec, "/resources/requests/memory"));
    let restarts = int(st, "/restartCount").unwrap_or(0);
    let mut evidence = vec![format!(
        "container {container} was OOMKilled (exit code 137); restart count {restarts}"
    )];
    match limit {
        Some(l) => evidence.push(format!("memory limit: {}", human_quantity("memory", l))),
        None => evidence.push("no memory limit: the node ran out of memory".to_string()),
    }
    if let Some(r) = request {
        evidence.push(format!("memory request: {}", human_quantity("memory", r)));
    }
    if let Some(u) = usage(view, ns, name, container) {
        evidence.push(format!(
            "current usage (metrics): {}",
            human_quantity("memory", u)
        ));
    }
    let suggested = limit
        .map(|l| {
            format!(
                " (for example from {} to {})",
                human_quantity("memory", l),
                human_quantity("memory", l * 2.0)
            )
        })
        .unwrap_or_default();
    PodFinding { pod, analyzer: "oom", severity: Severity::Critical, rank: 10 }.build(
        format!("container {container} was OOMKilled"),
        match limit {
            Some(l) => format!(
                "The container used more memory than its limit of {} and the kernel killed it.",
                human_quantity("memory", l)
            ),
            None => "The container was killed by the kernel's out-of-memory killer.".to_string(),
        },
        evidence,
        format!(
            "Raise the memory limit of container {container} in the {} spec{suggested}, or reduce the application's memory use (heap size, caches, leaks).",
            workload_name(pod)
        ),
        vec![format!("top pod {name}{} --containers", ns_flag(ns))],
    )
}
