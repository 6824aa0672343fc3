//! Failing readiness/liveness probes, with a port or path mismatch when the spec shows one.

use serde_json::Value;

use super::pod::{PodFinding, workload_name};
use super::util::{arr, containers_with_status, event_line, int, meta_name, meta_namespace, s, sp};
use super::{ClusterView, Finding, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in view.all("Pod") {
        if sp(pod, "/status/phase") != "Running" {
            continue;
        }
        let ns = meta_namespace(pod).unwrap_or("");
        let name = meta_name(pod);
        let events = view.events_for("Pod", ns, name);
        for (spec, status) in containers_with_status(pod, false) {
            let Some(st) = status else { continue };
            for kind in ["readiness", "liveness", "startup"] {
                if let Some(f) = check(view, pod, spec, st, &events, kind) {
                    out.push(f);
                }
            }
        }
    }
    out
}

/// How long a container must have run, ready, since its probe last failed for the failures
/// to be history rather than a problem (restarts days ago, old Unhealthy events).
const SETTLED_AFTER_SECS: i64 = 3600;

/// A ready container that has run for an hour since its last start, and whose probe has not
/// failed in the last hour: what the events recall is over.
fn settled(view: &ClusterView, st: &Value, failures: &[&&Value]) -> bool {
    let now = view.now().unwrap_or_else(jiff::Timestamp::now);
    let age = |t: &str| {
        t.parse::<jiff::Timestamp>()
            .ok()
            .map(|t| now.duration_since(t).as_secs())
    };
    let running = age(sp(st, "/state/running/startedAt")).is_some_and(|a| a >= SETTLED_AFTER_SECS);
    let quiet = failures.iter().all(|e| {
        ["lastTimestamp", "eventTime", "firstTimestamp"]
            .iter()
            .find_map(|k| e.get(*k).and_then(Value::as_str).and_then(age))
            .is_some_and(|a| a >= SETTLED_AFTER_SECS)
    });
    running && quiet
}

/// The probe's port as declared: a number, or a name resolved through the container ports.
fn probe_port(probe: &Value) -> Option<(String, &'static str)> {
    for (ptr, what) in [
        ("/httpGet/port", "HTTP"),
        ("/tcpSocket/port", "TCP"),
        ("/grpc/port", "gRPC"),
    ] {
        if let Some(p) = probe.pointer(ptr) {
            return Some((
                p.as_i64()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| p.as_str().unwrap_or("").to_string()),
                what,
            ));
        }
    }
    None
}

fn check(
    view: &ClusterView,
    pod: &Value,
    spec: &Value,
    st: &Value,
    events: &[&Value],
    kind: &str,
) -> Option<Finding> {
    let probe = spec.get(format!("{kind}Probe"))?;
    let container = s(spec, "name");
    let label = format!(
        "{}{} probe failed",
        kind[..1].to_ascii_uppercase(),
        &kind[1..]
    );
    let failures: Vec<&&Value> = events
        .iter()
        .filter(|e| s(e, "reason") == "Unhealthy" && s(e, "message").starts_with(&label))
        .filter(|e| {
            let fp = sp(e, "/involvedObject/fieldPath");
            fp.is_empty() || fp.contains(&format!("{{{container}}}"))
        })
        .collect();
    let ready = st.get("ready").and_then(Value::as_bool).unwrap_or(false);
    let restarts = int(st, "/restartCount").unwrap_or(0);
    let failing = !failures.is_empty()
        && (kind != "readiness" || !ready)
        && (kind != "liveness" || restarts > 0 || !ready);
    if !failing || (ready && settled(view, st, &failures)) {
        return None;
    }
    let mut evidence = vec![format!(
        "container {container}: ready={ready}, restart count {restarts}"
    )];
    for e in failures.iter().rev().take(2) {
        evidence.push(event_line(e));
    }
    let ports: Vec<(i64, &str)> = arr(spec, "/ports")
        .iter()
        .map(|p| (int(p, "/containerPort").unwrap_or(0), s(p, "name")))
        .collect();
    let declared = ports
        .iter()
        .map(|(n, nm)| {
            if nm.is_empty() {
                n.to_string()
            } else {
                format!("{n} ({nm})")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let text = failures
        .iter()
        .map(|e| s(e, "message"))
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let mut cause = format!("the {kind} probe keeps failing");
    let mut fix = format!(
        "Make the {kind} probe match what the application serves, or fix the application's health endpoint."
    );
    if let Some((port, proto)) = probe_port(probe) {
        let path = sp(probe, "/httpGet/path");
        evidence.push(format!(
            "{kind} probe: {proto} port {port}{}",
            if path.is_empty() {
                String::new()
            } else {
                format!(" path {path}")
            }
        ));
        if !ports.is_empty() {
            evidence.push(format!("container ports: {declared}"));
        }
        let port_known = ports
            .iter()
            .any(|(n, nm)| n.to_string() == port || *nm == port);
        if !ports.is_empty() && !port_known {
            cause = format!(
                "the {kind} probe targets port {port}, which the container does not expose (it declares {declared})"
            );
            fix = format!(
                "Point the {kind} probe of container {container} at the port the application listens on ({declared})."
            );
        } else if text.contains("connection refused") {
            cause =
                format!("nothing listens on port {port}: the {kind} probe's connection is refused");
            fix = format!(
                "Point the {kind} probe at the port the application listens on, or make it listen on {port}."
            );
        } else if text.contains("statuscode: 404") {
            cause = format!(
                "the {kind} probe path {path} returns 404: the application does not serve it"
            );
            fix = format!(
                "Set the {kind} probe path to the application's health endpoint (it does not serve {path})."
            );
        } else if text.contains("timeout") || text.contains("deadline exceeded") {
            cause = format!(
                "the {kind} probe times out after {}s",
                int(probe, "/timeoutSeconds").unwrap_or(1)
            );
            fix = format!(
                "Raise timeoutSeconds/initialDelaySeconds of the {kind} probe, or find why the endpoint is slow."
            );
        }
    }
    let (sev, effect) = if kind == "readiness" {
        (
            Severity::Warning,
            "the pod is taken out of its Services' endpoints",
        )
    } else {
        (Severity::Critical, "the kubelet restarts the container")
    };
    Some(
        PodFinding {
            pod,
            analyzer: "probes",
            severity: sev,
            rank: 12,
        }
        .build(
            format!("container {container}: {cause}"),
            format!("When the {kind} probe fails, {effect}."),
            evidence,
            format!("{fix} (in the {} spec)", workload_name(pod)),
            vec![],
        ),
    )
}
