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
            if killed && !settled(view, st) {
                out.push(finding(view, pod, spec, st));
            }
        }
    }
    out
}

/// How long a container must have run, ready, since it was last OOMKilled for the kill to be
/// history (a leak that kills it every few hours is not).
const SETTLED_AFTER_SECS: i64 = 6 * 3600;

/// Killed once long ago, running and ready ever since: not a problem now.
fn settled(view: &ClusterView, st: &Value) -> bool {
    let now = view.now().unwrap_or_else(jiff::Timestamp::now);
    let age = |ptr: &str| {
        sp(st, ptr)
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| now.duration_since(t).as_secs())
    };
    st.get("ready").and_then(Value::as_bool).unwrap_or(false)
        && st.pointer("/state/terminated").is_none()
        && age("/state/running/startedAt").is_some_and(|a| a >= SETTLED_AFTER_SECS)
        && age("/lastState/terminated/finishedAt").is_some_and(|a| a >= SETTLED_AFTER_SECS)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(started: &str, finished: &str, ready: bool) -> Value {
        serde_json::json!({
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "agent-1", "namespace": "obs"},
            "spec": {"containers": [{"name": "agent", "resources": {"limits": {"memory": "256Mi"}}}]},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "agent", "ready": ready, "restartCount": 1,
                "state": {"running": {"startedAt": started}},
                "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": finished}}
            }]}
        })
    }

    fn found(p: Value) -> usize {
        let mut v = ClusterView::new();
        v.set_now("2026-12-06T12:00:00Z".parse().expect("time"));
        v.insert(p);
        analyze(&v).len()
    }

    #[test]
    fn an_old_kill_of_a_container_ready_since_is_history() {
        // Killed 8 days ago, running and ready since.
        assert_eq!(
            found(pod("2026-11-28T10:00:05Z", "2026-11-28T10:00:00Z", true)),
            0
        );
        // Killed 20 minutes ago: a problem.
        assert_eq!(
            found(pod("2026-12-06T11:40:05Z", "2026-12-06T11:40:00Z", true)),
            1
        );
        // Long ago but not ready now: still reported.
        assert_eq!(
            found(pod("2026-11-28T10:00:05Z", "2026-11-28T10:00:00Z", false)),
            1
        );
    }
}
