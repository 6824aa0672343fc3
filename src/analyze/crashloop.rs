//! CrashLoopBackOff and containers that keep failing: exit code, reason, explaining log lines.

use serde_json::Value;

use super::pod::{PodFinding, exit_code_meaning, workload_name};
use super::util::{
    containers_with_status, explaining_log_lines, int, meta_name, meta_namespace, ns_flag, s, sp,
};
use super::{ClusterView, Finding, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in view.all("Pod") {
        for (spec, status) in containers_with_status(pod, false) {
            let Some(st) = status else { continue };
            if let Some(f) = check(view, pod, spec, st) {
                out.push(f);
            }
        }
    }
    out
}

fn check(view: &ClusterView, pod: &Value, spec: &Value, st: &Value) -> Option<Finding> {
    let waiting = sp(st, "/state/waiting/reason");
    let restarts = int(st, "/restartCount").unwrap_or(0);
    let last = st.pointer("/lastState/terminated");
    let cur = st.pointer("/state/terminated");
    let crashloop = waiting == "CrashLoopBackOff";
    let terminated_err = cur.is_some_and(|t| int(t, "/exitCode").unwrap_or(0) != 0)
        && sp(pod, "/spec/restartPolicy") == "Always";
    if !crashloop && !terminated_err {
        return None;
    }
    let term = last.or(cur);
    if term.is_some_and(|t| s(t, "reason") == "OOMKilled") {
        return None; // the oom analyzer explains it
    }
    let ns = meta_namespace(pod).unwrap_or("");
    let name = meta_name(pod);
    let container = s(spec, "name");
    let code = term.and_then(|t| int(t, "/exitCode"));
    let reason = term.map(|t| s(t, "reason")).unwrap_or("");
    let mut evidence = Vec::new();
    let mut title = format!("container {container} is in CrashLoopBackOff");
    if !crashloop {
        title = format!("container {container} keeps exiting with an error");
    }
    if let Some(code) = code {
        title.push_str(&format!(" (exit code {code})"));
        evidence.push(format!(
            "last termination: exit code {code}{}, {}",
            if reason.is_empty() {
                String::new()
            } else {
                format!(" ({reason})")
            },
            exit_code_meaning(code)
        ));
    }
    if let Some(msg) = term.map(|t| s(t, "message")).filter(|m| !m.is_empty()) {
        evidence.push(format!("termination message: {}", msg.trim()));
    }
    evidence.push(format!("restart count: {restarts}"));
    let log = view.any_log(ns, name, container);
    let mut log_lines = Vec::new();
    if let Some(log) = log {
        log_lines = explaining_log_lines(log, 5);
        for l in &log_lines {
            evidence.push(format!("log: {l}"));
        }
    }
    let joined = log_lines.join("\n").to_ascii_lowercase();
    let remediation = if joined.contains("not set")
        || joined.contains("missing")
        || joined.contains("environment variable")
    {
        format!(
            "The logs show missing configuration: provide the setting the application asks for (env var, ConfigMap or Secret key) in the {} spec, then let the rollout restart the pods.",
            workload_name(pod)
        )
    } else if joined.contains("connection refused") || joined.contains("no such host") {
        "The application cannot reach a dependency at startup: check that the dependency's Service exists and has ready endpoints, or make the application retry instead of exiting.".to_string()
    } else if code == Some(127) || code == Some(126) {
        "Fix the container's command/args or the image so the entrypoint exists and is executable."
            .to_string()
    } else {
        format!(
            "Read the previous container's logs (`logs {name}{} -c {container} --previous`) to see why it exits, fix the cause in the image or the {} configuration.",
            ns_flag(ns),
            workload_name(pod)
        )
    };
    Some(
        PodFinding { pod, analyzer: "crashloop", severity: Severity::Critical, rank: 10 }.build(
            title,
            format!(
                "The container starts and exits over and over; the kubelet waits longer between restarts each time. {}.",
                code.map(exit_code_meaning).unwrap_or("The exit reason is not recorded")
            ),
            evidence,
            remediation,
            vec![format!("logs {name}{} -c {container} --previous --tail 50", ns_flag(ns))],
        ),
    )
}
