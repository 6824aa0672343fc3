//! Failing init containers: the pod never gets to its main containers.

use super::pod::{PodFinding, exit_code_meaning, workload_name};
use super::util::{
    condition, containers_with_status, explaining_log_lines, int, meta_name, meta_namespace,
    ns_flag, s, sp,
};
use super::{ClusterView, Finding, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in view.all("Pod") {
        if condition(pod, "Initialized").is_some_and(|(st, _, _)| st == "True") {
            continue;
        }
        let ns = meta_namespace(pod).unwrap_or("");
        let name = meta_name(pod);
        for (spec, status) in containers_with_status(pod, true) {
            let Some(st) = status else { continue };
            let waiting = sp(st, "/state/waiting/reason");
            let term = st
                .pointer("/state/terminated")
                .or_else(|| st.pointer("/lastState/terminated"));
            let failed_exit = term.and_then(|t| int(t, "/exitCode")).filter(|c| *c != 0);
            let cur_fail = st
                .pointer("/state/terminated")
                .and_then(|t| int(t, "/exitCode"))
                .is_some_and(|c| c != 0);
            if waiting != "CrashLoopBackOff" && !cur_fail {
                // Still running long after the pod started: waiting for something.
                if let Some(f) = stuck_running(view, pod, spec, st) {
                    out.push(f);
                }
                continue;
            }
            if term.is_some_and(|t| s(t, "reason") == "OOMKilled") {
                continue;
            }
            let container = s(spec, "name");
            let mut evidence = vec![format!(
                "init container {container}: {}, restart count {}",
                if waiting.is_empty() {
                    "terminated"
                } else {
                    waiting
                },
                int(st, "/restartCount").unwrap_or(0)
            )];
            if let Some(code) = failed_exit {
                evidence.push(format!(
                    "last exit code {code}: {}",
                    exit_code_meaning(code)
                ));
            }
            if let Some(log) = view.any_log(ns, name, container) {
                evidence.extend(
                    explaining_log_lines(log, 5)
                        .iter()
                        .map(|l| format!("log: {l}")),
                );
            }
            let cmd = crate::analyze::util::arr(spec, "/command")
                .iter()
                .chain(crate::analyze::util::arr(spec, "/args"))
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            if !cmd.is_empty() {
                evidence.push(format!("init command: {cmd}"));
            }
            out.push(
                PodFinding { pod, analyzer: "init-containers", severity: Severity::Critical, rank: 8 }.build(
                    format!("init container {container} keeps failing; the pod cannot start"),
                    "Init containers must all succeed before the main containers start; this one exits with an error, so the pod stays in Init.".to_string(),
                    evidence,
                    format!(
                        "Fix what init container {container} waits for or runs (see its logs), or correct its command in the {} spec.",
                        workload_name(pod)
                    ),
                    vec![format!("logs {name}{} -c {container} --previous --tail 50", ns_flag(ns))],
                ),
            );
        }
    }
    out
}

/// Init containers still running this long are waiting for something, not working.
const STUCK_AFTER_SECS: i64 = 5 * 60;

/// An init container that has been running for minutes while the pod is not initialized:
/// usually a wait loop (for a Service, a DNS name, a file) that never ends.
fn stuck_running(
    view: &ClusterView,
    pod: &serde_json::Value,
    spec: &serde_json::Value,
    st: &serde_json::Value,
) -> Option<Finding> {
    let started = sp(st, "/state/running/startedAt")
        .parse::<jiff::Timestamp>()
        .ok()?;
    let now = view.now().unwrap_or_else(jiff::Timestamp::now);
    let secs = now.duration_since(started).as_secs();
    if secs < STUCK_AFTER_SECS {
        return None;
    }
    let ns = meta_namespace(pod).unwrap_or("");
    let name = meta_name(pod);
    let container = s(spec, "name");
    let mut evidence = vec![format!(
        "init container {container}: running for {} min, the pod is not initialized",
        secs / 60
    )];
    if let Some(log) = view.any_log(ns, name, container) {
        evidence.extend(
            explaining_log_lines(log, 3)
                .iter()
                .map(|l| format!("log: {l}")),
        );
    }
    let cmd = crate::analyze::util::arr(spec, "/command")
        .iter()
        .chain(crate::analyze::util::arr(spec, "/args"))
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if !cmd.is_empty() {
        evidence.push(format!("init command: {cmd}"));
    }
    Some(
        PodFinding { pod, analyzer: "init-containers", severity: Severity::Critical, rank: 8 }.build(
            format!("init container {container} has not completed after {} min; the pod stays in Init", secs / 60),
            "Init containers must all finish before the main containers start; this one keeps running, usually waiting for a dependency that never answers.".to_string(),
            evidence,
            format!(
                "Make what init container {container} waits for available (see its logs), or fix the name it waits for in the {} spec.",
                workload_name(pod)
            ),
            vec![format!("logs {name}{} -c {container} --tail 50", ns_flag(ns))],
        ),
    )
}
