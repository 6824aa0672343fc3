//! Chains that start at a workload's symptom: a crashing container (its log, exit code, the
//! probe that kills it), a failing probe (timing against start-up, port, path), an init
//! container (its log and what it waits for), a Pending pod (scheduler message → nodes,
//! claims, volumes), a failed Job (its pods → their logs), a stuck rollout (the new
//! ReplicaSet's FailedCreate).

use serde_json::Value;

use super::targets::node_under;
use super::{Have, Walk, calls_of, follow_log, from_finding, owner_words, restarts, targets};
use crate::analyze::logline::Named;
use crate::analyze::util::{arr, containers_with_status, cut, int, meta_name, pod_ready, s, sp};
use crate::analyze::{self, Finding, ObjectRef, logtime};

/// The container a finding is about (from its title `container X …`), else the first failing.
fn container_of<'p>(
    pod: &'p Value,
    f: &Finding,
    init: bool,
) -> Option<(&'p Value, Option<&'p Value>)> {
    let all = containers_with_status(pod, init);
    let named = f
        .title
        .split_whitespace()
        .skip_while(|w| *w != "container")
        .nth(1)
        .map(|n| n.trim_matches(|c: char| !c.is_alphanumeric() && c != '-' && c != '_'));
    if let Some(n) = named
        && let Some(c) = all.iter().find(|(sp_, _)| s(sp_, "name") == n)
    {
        return Some(*c);
    }
    all.iter()
        .find(|(_, st)| {
            st.is_some_and(|st| !st.get("ready").and_then(Value::as_bool).unwrap_or(false))
        })
        .or_else(|| all.first())
        .copied()
}

pub(super) fn crashing_pod(w: &mut Walk<'_>, pod: &Value, f: &Finding, depth: usize) {
    let Some((spec, st)) = container_of(pod, f, false) else {
        return;
    };
    let container = s(spec, "name").to_string();
    let ns = sp(pod, "/metadata/namespace").to_string();
    let name = meta_name(pod).to_string();
    let code = st.and_then(|st| {
        int(st, "/lastState/terminated/exitCode").or_else(|| int(st, "/state/terminated/exitCode"))
    });
    // Killed from outside: a liveness probe, before the application says anything.
    if matches!(code, Some(137) | Some(143)) && liveness_killed(w, &ns, &name) {
        probe(w, pod, f);
        return;
    }
    let previous =
        restarts(st) > 0 && st.is_some_and(|st| st.pointer("/lastState/terminated").is_some());
    let followed = follow_log(w, pod, &container, previous, depth);
    if !followed && w.chain.asks.is_empty() && w.chain.cause.is_empty() {
        let meaning = code
            .map(crate::analyze::exit_code_meaning)
            .unwrap_or("the exit reason is not recorded");
        w.cause(
            format!(
                "{} keeps exiting{}: {meaning}",
                owner_words(w.obs, pod),
                code.map(|c| format!(" with code {c}")).unwrap_or_default()
            ),
            f.remediation.clone(),
        );
    }
}

/// A container the kernel killed at its memory limit: the limit, then what the log of the
/// killed run was doing last.
pub(super) fn oom(w: &mut Walk<'_>, pod: &Value, f: &Finding) {
    let ns = sp(pod, "/metadata/namespace").to_string();
    let name = meta_name(pod).to_string();
    let who = owner_words(w.obs, pod);
    let Some((spec, st)) = container_of(pod, f, false) else {
        return;
    };
    let container = s(spec, "name").to_string();
    let limit = sp(spec, "/resources/limits/memory").to_string();
    let request = sp(spec, "/resources/requests/memory").to_string();
    let code = st
        .and_then(|st| int(st, "/lastState/terminated/exitCode"))
        .unwrap_or(137);
    let pod_calls = calls_of(w.obs, "Pod", &ns, &name);
    let limit_words = if limit.is_empty() {
        "no memory limit of its own (the node ran out of memory)".to_string()
    } else {
        format!(
            "a memory limit of {limit}{}",
            if request.is_empty() {
                String::new()
            } else {
                format!(" (request {request})")
            }
        )
    };
    w.link(
        format!("container {container} has {limit_words}; exit code {code}: the kernel killed it for using more ({} restarts)", restarts(st)),
        pod_calls,
    );
    w.chain.decisive = true;
    let previous = restarts(st) > 0;
    let cmd = super::log_command(pod, &container, previous);
    let have = w.need(
        cmd.clone(),
        format!("what {container} was doing when it ran out of memory"),
        format!("{container} needs more memory than its limit for what it does"),
    );
    // Asked together with the log: whether the runtime was told it may use more than the
    // limit (a heap flag in env, a ConfigMap or args).
    let ceilings = super::memory::ceilings(w, pod, spec, &ns);
    if matches!(have, Have::Asked) || ceilings.is_none() {
        return;
    }
    let last = w
        .obs
        .log_for(&cmd, &ns, &name, &container, previous)
        .and_then(|(log, calls)| {
            log.lines()
                .rev()
                .map(|l| logtime::strip_kubelet_prefix(l).trim())
                .find(|l| !l.is_empty())
                .map(|l| (l.to_string(), calls))
        });
    if let Some((l, calls)) = last {
        w.link(
            format!(
                "log of {name}/{container} before the kill ends with: {}",
                cut(&l, 200)
            ),
            calls,
        );
    }
    if super::memory::explain(
        w,
        &ceilings.unwrap_or_default(),
        &ns,
        &who,
        &container,
        &limit,
        code,
    ) {
        return;
    }
    w.cause(
        format!(
            "{who}: container {container} is OOMKilled (exit code {code}): it needs more memory than {}",
            if limit.is_empty() { "the node has free".to_string() } else { format!("its {limit} limit") }
        ),
        f.remediation.clone(),
    );
}

fn liveness_killed(w: &Walk<'_>, ns: &str, pod: &str) -> bool {
    w.obs.view.events_for("Pod", ns, pod).iter().any(|e| {
        let m = s(e, "message");
        m.contains("failed liveness probe")
            || m.starts_with("Liveness probe failed")
            || m.contains("failed startup probe")
    })
}

/// Does a log line say the application finished starting?
/// The ports a log line says something listens on or binds: `host:port` (an address with a
/// dot, `localhost`, `*` or `[::]` before the colon, so a time of day is not one) and
/// `port 8080` / `port=8080`.
fn ports_in(line: &str) -> Vec<u16> {
    static PORTS: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let Some(re) = PORTS
        .get_or_init(|| {
            regex::Regex::new(
                r"(?i)(?:(?:\d{1,3}(?:\.\d{1,3}){3}|localhost|\*|\[[0-9a-f:]*\]|[a-z][\w-]*(?:\.[\w-]+)+|^|[\s(=])):(\d{2,5})\b|\bport[ =:]+(\d{2,5})\b",
            )
            .ok()
        })
        .as_ref()
    else {
        return Vec::new();
    };
    // Source locations look like addresses (`main.go:58`, `[statement-api.main:58]`): a port
    // the line names as one (`port 8081`) wins over them, and a file name is never a host.
    const SOURCE: &[&str] = &[
        ".go", ".py", ".java", ".js", ".ts", ".mjs", ".cjs", ".rb", ".rs", ".kt", ".scala", ".cs",
        ".php", ".ex", ".exs", ".clj", ".cpp", ".c", ".h", ".main",
    ];
    let mut named = Vec::new();
    let mut addressed = Vec::new();
    for c in re.captures_iter(line) {
        if let Some(p) = c.get(2).and_then(|p| p.as_str().parse().ok()) {
            named.push(p);
        } else if let Some(p) = c.get(1) {
            let before = c.get(0).map(|m| m.as_str()).unwrap_or("");
            let host = before.trim_end_matches(p.as_str()).trim_end_matches(':');
            let host = host.to_ascii_lowercase();
            if SOURCE.iter().any(|x| host.ends_with(x)) {
                continue;
            }
            if let Ok(p) = p.as_str().parse() {
                addressed.push(p);
            }
        }
    }
    if named.is_empty() { addressed } else { named }
}

/// A line that says the application started serving. When the probed port is known, a line
/// that names only other ports reports another component (Akka remoting on 25520, a metrics
/// endpoint, an admin port), not the server the probe asks.
fn started_line(line: &str, probed: Option<u16>) -> bool {
    let ports = ports_in(line);
    if let Some(p) = probed
        && !ports.is_empty()
        && !ports.contains(&p)
    {
        return false;
    }
    let l = line.to_ascii_lowercase();
    [
        "started ",
        "listening on",
        "listening at",
        "server started",
        "ready to accept",
        "ready to handle connections",
        "startup complete",
        "application started",
        "serving on",
        "now listening",
        "started in",
        "server online at",
        "running on http",
        "ready in ",
        "booted in",
        "server is ready",
        "service is ready",
        "started server process",
    ]
    .iter()
    .any(|k| l.contains(k))
        && !l.contains("starting")
        // "shutting down before HTTP server started", "server not started yet"
        && ![
            "before",
            "not ",
            "never",
            "shutting down",
            "sigterm",
            "stopping",
            "exiting",
            "failed",
            "waiting",
        ]
        .iter()
        .any(|k| l.contains(k))
}

/// The log of the run a probe killed, timestamped: the plain log when it was read already and
/// carries its own timestamps, else the log with the kubelet's (`--timestamps`). `None` while
/// it is asked for.
/// The port the application's log says its server listens on, when that is not the probed
/// port and no line says it listens on the probed one: the last start-up line naming only
/// other ports, not a side listener (metrics, admin, remoting, debug).
fn serving_elsewhere(log: &str, probed: u16) -> Option<(u16, String)> {
    const SIDE: &[&str] = &[
        "metric",
        "prometheus",
        "admin",
        "management",
        "actuator",
        "remoting",
        "debug",
        "pprof",
        "jmx",
        "profil",
        "telemetry",
        "health server",
        "cluster",
    ];
    let mut found = None;
    for line in log.lines() {
        let line = logtime::strip_kubelet_prefix(line.trim()).trim();
        let ports = ports_in(line);
        if ports.is_empty() || !started_line(line, None) {
            continue;
        }
        if ports.contains(&probed) {
            return None;
        }
        let l = line.to_ascii_lowercase();
        if SIDE.iter().any(|k| l.contains(k)) {
            continue;
        }
        found = Some((ports[0], line.to_string()));
    }
    found
}

/// The probe asks a port nothing listens on while the log shows where the server listens.
fn probed_port_elsewhere(
    w: &mut Walk<'_>,
    log: &str,
    calls: Vec<String>,
    who: &str,
    kind: &str,
    container: &str,
    probed: u16,
) -> bool {
    let Some((listens, line)) = serving_elsewhere(log, probed) else {
        return false;
    };
    w.link(format!("log of {container}: {}", cut(&line, 200)), calls);
    w.chain.decisive = true;
    w.cause(
        format!(
            "{who}: the {kind} probe asks port {probed}, but the application listens on port {listens} (its log), so the probe's connection is refused{}",
            if kind == "readiness" {
                " and the pod never becomes ready"
            } else {
                " and the kubelet keeps restarting a container that runs"
            }
        ),
        format!(
            "Set the {kind} probe of container {container} to port {listens} (spec.template.spec.containers[{container}].{kind}Probe, now {probed}), and the containerPort and the Service's targetPort with it, or configure the application to listen on {probed}."
        ),
    );
    true
}

fn startup_log(
    w: &mut Walk<'_>,
    pod: &Value,
    container: &str,
    previous: bool,
    window: i64,
) -> Option<String> {
    let ns = sp(pod, "/metadata/namespace").to_string();
    let name = meta_name(pod).to_string();
    let plain = super::log_command(pod, container, previous);
    let stamped = format!("{plain} --timestamps");
    let read = |w: &Walk<'_>, cmd: &str| {
        w.obs
            .log_for(cmd, &ns, &name, container, previous)
            .map(|(log, _)| log.to_string())
            .unwrap_or_default()
    };
    if w.obs.answered(&plain) {
        let log = read(w, &plain);
        if logtime::span(log.lines()).is_some() {
            return Some(log);
        }
    }
    let have = w.need(
        stamped.clone(),
        format!("how long {container} takes to start (the log's timestamps), against the probe's {window} s"),
        "the probe kills the container before it has started".into(),
    );
    match have {
        Have::Asked => None,
        _ => Some(read(w, &stamped)),
    }
}

/// A health-check path the application's log shows it serves, other than `probed`: listed
/// among its routes or answered without a 404; the most frequent one, with a line naming it.
fn served_health_path(
    log: &str,
    probed: &str,
    kind: &str,
    other_probe: Option<&str>,
) -> Option<(String, String)> {
    // A line that names the path for this kind of check (`"liveness":"/health"`,
    // `livenessPath=/live`, `liveness probe on /health`) says it outright.
    let tagged = regex::Regex::new(&format!(
        r#"(?i)\b{kind}\w*["']?\s*(?:[:=]|probe (?:on|at)|endpoint|path)\s*["']?(/[\w./-]+)"#
    ))
    .ok();
    if let Some(re) = &tagged {
        for line in log.lines() {
            if let Some(c) = re.captures(line) {
                let p = c[1].trim_end_matches(['.', '/']).to_string();
                if !p.is_empty() && p != probed {
                    return Some((p, line.trim().to_string()));
                }
            }
        }
    }
    static PATH: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = PATH
        .get_or_init(|| {
            regex::Regex::new(
                r"(?i)(?:^|[\s\x22'(,=])(/[\w./-]*?(?:healthz?|readyz|livez|liveness|readiness|ready|alive|ping|status)(?:/[\w.-]+)*)(?:[\s\x22'),?]|$)",
            )
            .ok()
        })
        .as_ref()?;
    let mut counts: Vec<(String, usize, String)> = Vec::new();
    for line in log.lines() {
        if line.contains(" 404") || line.contains("=404") {
            continue;
        }
        for c in re.captures_iter(line) {
            let p = c[1].trim_end_matches(['.', '/']).to_string();
            if p == probed || p.is_empty() || p.matches('/').count() > 3 {
                continue;
            }
            match counts.iter_mut().find(|(q, _, _)| *q == p) {
                Some(e) => e.1 += 1,
                None => counts.push((p, 1, line.trim().to_string())),
            }
        }
    }
    // A line that lists routes names the path plainly; among the rest, the most frequent.
    let routes = counts.iter().find(|(_, _, l)| {
        let l = l.to_ascii_lowercase();
        l.contains("route") || l.contains("listening") || l.contains("endpoints")
    });
    // The other probe's path answers 200 because that probe calls it: for this probe it is
    // the last choice, after a path whose name fits this kind of check.
    let fits_kind = |p: &str| {
        let p = p.to_ascii_lowercase();
        match kind {
            "liveness" => ["live", "health", "alive", "ping"]
                .iter()
                .any(|k| p.contains(k)),
            _ => ["ready", "readiness", "health"]
                .iter()
                .any(|k| p.contains(k)),
        }
    };
    routes
        .or_else(|| {
            counts
                .iter()
                .max_by_key(|(p, n, _)| (Some(p.as_str()) != other_probe, fits_kind(p), *n))
        })
        .map(|(p, _, l)| (p.clone(), l.clone()))
}

/// The HTTP path of the container's other probe (readiness for liveness and back).
fn other_probe_path(pod: &Value, container: &str, kind: &str) -> Option<String> {
    let other = if kind == "liveness" {
        "readinessProbe"
    } else {
        "livenessProbe"
    };
    arr(pod, "/spec/containers")
        .iter()
        .find(|c| s(c, "name") == container)
        .and_then(|c| c.pointer(&format!("/{other}/httpGet/path")))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Why a probed endpoint answers a server error: the logs of the probed container, then of
/// the pod's other containers, until one has a decisive line (followed like a crash's). True
/// when the walk found it or is waiting for a log.
fn server_error_log(
    w: &mut Walk<'_>,
    pod: &Value,
    probed: &str,
    who: &str,
    kind: &str,
    path: &str,
    code: &str,
) -> bool {
    let mut names: Vec<String> = vec![probed.to_string()];
    names.extend(
        arr(pod, "/spec/containers")
            .iter()
            .map(|c| s(c, "name").to_string())
            .filter(|n| n != probed),
    );
    for container in names {
        let asked = w.chain.asks.len();
        if super::follow_log(w, pod, &container, false, 1) {
            // The application is running: it answers errors, it does not exit.
            if let Some(rest) = w.chain.cause.strip_prefix(&format!("{who} exits: ")) {
                w.chain.cause =
                    format!("{who} answers its {kind} probe ({path}) with HTTP {code}: {rest}");
            }
            return true;
        }
        if w.chain.asks.len() > asked {
            return true;
        }
    }
    false
}

/// A failing probe: killed while starting, wrong port, wrong path.
pub(super) fn probe(w: &mut Walk<'_>, pod: &Value, f: &Finding) {
    let ns = sp(pod, "/metadata/namespace").to_string();
    let name = meta_name(pod).to_string();
    let who = owner_words(w.obs, pod);
    let events = w.obs.view.events_for("Pod", &ns, &name);
    let ev_calls = w.obs.events_in.clone();
    let failed: Vec<String> = events
        .iter()
        .filter(|e| s(e, "reason") == "Unhealthy")
        .map(|e| s(e, "message").to_string())
        .collect();
    let kind = if failed.iter().any(|m| m.starts_with("Liveness")) {
        "liveness"
    } else if failed.iter().any(|m| m.starts_with("Startup")) {
        "startup"
    } else {
        "readiness"
    };
    let Some((spec, st)) = container_of(pod, f, false) else {
        return;
    };
    let container = s(spec, "name").to_string();
    let Some(pr) = spec.get(format!("{kind}Probe")).cloned() else {
        return;
    };
    let msg = failed
        .iter()
        .find(|m| m.to_ascii_lowercase().starts_with(kind))
        .cloned()
        .unwrap_or_default();
    if !msg.is_empty() {
        let code = st.and_then(|st| int(st, "/lastState/terminated/exitCode"));
        w.link(
            format!(
                "events: {msg}{}",
                if kind == "liveness" {
                    format!(
                        "; the kubelet restarts the container ({} restarts{})",
                        restarts(st),
                        code.map(|c| format!(", last exit code {c}"))
                            .unwrap_or_default()
                    )
                } else {
                    String::new()
                }
            ),
            ev_calls.clone(),
        );
    }
    let path = sp(&pr, "/httpGet/path").to_string();
    let port = pr
        .pointer("/httpGet/port")
        .or_else(|| pr.pointer("/tcpSocket/port"))
        .or_else(|| pr.pointer("/grpc/port"))
        .map(|p| {
            p.as_i64()
                .map(|n| n.to_string())
                .unwrap_or_else(|| p.as_str().unwrap_or("").to_string())
        })
        .unwrap_or_default();
    let pod_calls = calls_of(w.obs, "Pod", &ns, &name);
    // HTTP status: the path (or the app's health) is wrong, not the timing.
    static STATUS: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let status = STATUS
        .get_or_init(|| regex::Regex::new(r"statuscode: (\d{3})").ok())
        .as_ref()
        .and_then(|re| re.captures(&msg))
        .map(|c| c[1].to_string());
    if let Some(code) = status {
        w.chain.decisive = true;
        // The container's other probes: one on another port that passes says where the
        // health endpoints are (a management port).
        let port_of = |p: &Value| {
            p.pointer("/httpGet/port")
                .map(|v| {
                    v.as_i64()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| v.as_str().unwrap_or("").to_string())
                })
                .unwrap_or_default()
        };
        let passing_elsewhere = if kind == "liveness" {
            let c = arr(pod, "/spec/containers")
                .iter()
                .find(|c| s(c, "name") == container);
            c.and_then(|c| {
                ["readinessProbe", "startupProbe"].iter().find_map(|k| {
                    let other = c.get(*k)?;
                    let (op, opath) = (port_of(other), sp(other, "/httpGet/path").to_string());
                    (!op.is_empty() && op != port)
                        .then(|| (k.trim_end_matches("Probe").to_string(), op, opath))
                })
            })
        } else {
            None
        };
        // A named port with its number (`management (8081)`).
        let numbered = |p: &str| -> String {
            if p.parse::<u16>().is_ok() {
                return p.to_string();
            }
            arr(pod, "/spec/containers")
                .iter()
                .filter(|c| s(c, "name") == container)
                .flat_map(|c| arr(c, "/ports"))
                .find(|cp| s(cp, "name") == p)
                .and_then(|cp| cp.get("containerPort").and_then(Value::as_i64))
                .map(|n| format!("{p} ({n})"))
                .unwrap_or_else(|| p.to_string())
        };
        if code == "404"
            && let Some((other, oport, opath)) = passing_elsewhere
        {
            let (port, oport) = (numbered(&port), numbered(&oport));
            w.link(format!("the {kind} probe asks GET {path} on port {port}: the server answers 404 (no such path)"), pod_calls.clone());
            w.link(
                format!("the {other} probe of the same container asks GET {opath} on port {oport}, and no event says it fails with 404"),
                pod_calls,
            );
            w.cause(
                format!("{who}: the {kind} probe asks port {port}, but the health endpoints are on port {oport} (where its {other} probe asks): GET {path} on {port} answers 404 and the kubelet keeps restarting a healthy container"),
                format!("Set the {kind} probe of container {container} to port {oport} (spec.template.spec.containers[{container}].{kind}Probe.httpGet.port, now {port}), as its {other} probe."),
            );
        } else if code == "404" {
            w.link(format!("the {kind} probe asks GET {path} on port {port}: the server answers 404 (no such path)"), pod_calls);
            // The application's own log often lists its routes or shows the health path
            // others call (`routes: GET /healthz, …`, `GET /healthz 200`).
            let log_cmd = super::log_command(pod, &container, false);
            match w.need(
                log_cmd.clone(),
                format!("the {kind} probe's path {path} answers 404: which health path does {name}/{container} serve?"),
                format!("{name}/{container} serves its health check on another path"),
            ) {
                Have::Asked => return,
                Have::Yes => {
                    if let Some((log, calls)) = w.obs.log_for(&log_cmd, &ns, &name, &container, false)
                        && let Some((served, line)) = served_health_path(
                            log,
                            &path,
                            kind,
                            other_probe_path(pod, &container, kind).as_deref(),
                        )
                    {
                        w.link(
                            format!("log of {name}/{container}: {}", cut(&line, 200)),
                            calls,
                        );
                        w.cause(
                            format!("{who}: the {kind} probe asks {path}, which the application does not serve (HTTP 404); it serves {served}{}", if kind == "liveness" { ", so the kubelet keeps restarting a healthy container" } else { ", so the pod never becomes ready" }),
                            format!("Set the {kind} probe of container {container} to {served} (spec.template.spec.containers[{container}].{kind}Probe.httpGet.path, now {path})."),
                        );
                        return;
                    }
                }
                Have::No => {}
            }
            w.cause(
                format!("{who}: the {kind} probe path {path} is not served (HTTP 404), so the probe fails{}", if kind == "liveness" { " and the kubelet keeps restarting a healthy container" } else { " and the pod never becomes ready" }),
                format!("Point the {kind} probe of container {container} at a path the application serves (spec.template.spec.containers[{container}].{kind}Probe.httpGet.path, now {path}), or serve {path}."),
            );
        } else {
            w.link(
                format!("the {kind} probe GET {path} on port {port} answers HTTP {code}"),
                pod_calls,
            );
            // A server error: the application says why in a log, its own or a sidecar's
            // (nginx in front of PHP-FPM answers 500 for what the PHP log explains).
            if code.starts_with('5')
                && server_error_log(w, pod, &container, &who, kind, &path, &code)
            {
                return;
            }
            w.cause(
                format!("{who}: the {kind} probe GET {path} answers HTTP {code}: the application reports itself unhealthy"),
                format!("Read {who}'s log for why {path} returns {code}; fix the dependency it reports, or the health check."),
            );
        }
        return;
    }
    // Port: does the container declare the probed port?
    let ports: Vec<String> = arr(spec, "/ports")
        .iter()
        .flat_map(|p| {
            [
                p.get("containerPort")
                    .and_then(Value::as_i64)
                    .map(|n| n.to_string()),
                p.get("name").and_then(Value::as_str).map(str::to_string),
            ]
        })
        .flatten()
        .collect();
    if !port.is_empty() && !ports.is_empty() && !ports.contains(&port) {
        let declared: Vec<String> = arr(spec, "/ports")
            .iter()
            .filter_map(|p| p.get("containerPort").and_then(Value::as_i64))
            .map(|n| n.to_string())
            .collect();
        w.found(
            format!(
                "the {kind} probe targets port {port}; container {container} listens on {}",
                declared.join(", ")
            ),
            pod_calls, format!("{who}: the {kind} probe targets port {port}, but container {container} listens on {}", declared.join(", ")),
            format!("Set {kind}Probe port of container {container} to {} (spec.template.spec.containers[{container}].{kind}Probe).", declared.first().cloned().unwrap_or_default()),);
        return;
    }
    // Timing: killed while still starting? A liveness probe without a startupProbe, or a
    // startupProbe that gives up too soon.
    let delay = int(&pr, "/initialDelaySeconds").unwrap_or(0);
    let period = int(&pr, "/periodSeconds").unwrap_or(10);
    let threshold = int(&pr, "/failureThreshold").unwrap_or(3);
    let window = delay + period * threshold;
    let has_startup = spec.get("startupProbe").is_some();
    let refused = msg.contains("connection refused")
        || msg.contains("context deadline exceeded")
        || msg.contains("Client.Timeout")
        || msg.contains("i/o timeout");
    let kills = kind == "startup" || kind == "liveness" && !has_startup;
    // The probed port as a number (a named port resolves through the container's ports).
    let probed: Option<u16> = port.parse().ok().or_else(|| {
        arr(spec, "/ports")
            .iter()
            .find(|p| p.get("name").and_then(Value::as_str) == Some(port.as_str()))
            .and_then(|p| p.get("containerPort").and_then(Value::as_u64))
            .and_then(|n| u16::try_from(n).ok())
    });
    // A readiness probe refused while the container runs: does the application listen on
    // another port than the probe asks?
    if !kills
        && msg.contains("connection refused")
        && let Some(probed) = probed
    {
        let cmd = super::log_command(pod, &container, false);
        match w.need(
            cmd.clone(),
            format!("the {kind} probe's connection to port {probed} is refused: which port does {name}/{container} listen on?"),
            format!("{name}/{container} listens on another port than the probe asks"),
        ) {
            Have::Asked => return,
            Have::Yes => {
                if let Some((log, calls)) = w.obs.log_for(&cmd, &ns, &name, &container, false) {
                    let log = log.to_string();
                    if probed_port_elsewhere(w, &log, calls, &who, kind, &container, probed) {
                        return;
                    }
                }
            }
            Have::No => {}
        }
    }
    if kills && refused {
        let previous = restarts(st) > 0;
        let Some(log) = startup_log(w, pod, &container, previous, window) else {
            return;
        };
        let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
        // The application's own timestamps when its lines carry them; the kubelet's
        // (`--timestamps`) otherwise.
        let span = logtime::span(lines.iter().map(|l| logtime::strip_kubelet_prefix(l)))
            .filter(|s| *s > 0.0)
            .or_else(|| logtime::span(lines.iter().copied()));
        let log_calls = w.obs.log_calls(&ns, &name, &container);
        if msg.contains("connection refused")
            && let Some(p) = probed
            && probed_port_elsewhere(w, &log, log_calls.clone(), &who, kind, &container, p)
        {
            return;
        }
        let started = lines.iter().any(|l| started_line(l, probed));
        if !started {
            let last = lines
                .iter()
                .rev()
                .find(|l| {
                    let x = l.to_ascii_lowercase();
                    ![
                        "shutdown",
                        "shut down",
                        "shutting down",
                        "closing",
                        "sigterm",
                        "stopping",
                    ]
                    .iter()
                    .any(|k| x.contains(k))
                })
                .or(lines.last())
                .map(|l| logtime::strip_kubelet_prefix(l.trim()).trim().to_string())
                .unwrap_or_default();
            let ran = span
                .map(|s| format!(" after {s:.0} s of start-up"))
                .unwrap_or_default();
            w.link(
                format!(
                    "log of {name}/{container}: still starting when it was killed{ran}; last start-up line: {}",
                    cut(&last, 200)
                ),
                log_calls,
            );
            w.chain.decisive = true;
            let field = if kind == "startup" {
                format!(
                    "raise startupProbe.failureThreshold of container {container} (now {threshold}, × {period} s)"
                )
            } else {
                format!(
                    "add a startupProbe (the same check, with failureThreshold × periodSeconds above the start-up time), or raise livenessProbe.initialDelaySeconds of container {container} (now {delay})"
                )
            };
            w.cause(
                format!("{who}: the {kind} probe kills container {container} while it is still starting (the probe allows {window} s: initialDelaySeconds {delay} + {threshold} × {period} s; the log shows start-up still running{})", span.map(|s| format!(" after {s:.0} s")).unwrap_or_default()),
                format!("Give {container} time to start: {field}."),
            );
            return;
        }
        w.link(format!("log of {name}/{container}: the application reports it started, then the probe still fails"), log_calls);
    }
    // A probe that times out against a running application: its health check often waits on
    // a dependency (a database, a cache) that does not answer, and its log says which.
    let timed_out = [
        "context deadline exceeded",
        "Client.Timeout",
        "i/o timeout",
        "timed out",
        "timeout",
    ]
    .iter()
    .any(|k| msg.contains(k));
    if timed_out
        && sp(pod, "/status/phase") == "Running"
        && super::follow_dependency(
            w,
            pod,
            spec,
            &format!(
                "{who}: the {kind} probe of container {container} times out{}",
                if kind == "readiness" {
                    ", so its pods never become ready,"
                } else {
                    ""
                }
            ),
            format!(
                "the {kind} probe of {name}/{container} times out while the container runs: does its log name a dependency the health check waits on?"
            ),
            format!("{name}/{container}'s health check waits on a dependency that does not answer"),
        )
    {
        return;
    }
    w.cause(
        format!(
            "{who}: the {kind} probe of container {container} fails ({})",
            if msg.is_empty() {
                f.title.clone()
            } else {
                msg.clone()
            }
        ),
        f.remediation.clone(),
    );
}

/// An init container that does not complete: its log, then what it waits for.
pub(super) fn init(w: &mut Walk<'_>, pod: &Value, f: &Finding, depth: usize) {
    let Some((spec, st)) = container_of(pod, f, true) else {
        return;
    };
    let container = s(spec, "name").to_string();
    let previous =
        restarts(st) > 0 && st.is_some_and(|st| st.pointer("/lastState/terminated").is_some());
    let before = w.chain.links.len();
    let followed = follow_log(w, pod, &container, previous, depth);
    if followed || !w.chain.asks.is_empty() || !w.chain.cause.is_empty() {
        return;
    }
    // No error line: a waiting loop. What does its command wait for?
    let cmd = arr(spec, "/command")
        .iter()
        .chain(arr(spec, "/args"))
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    static WAIT: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let from_cmd = WAIT
        .get_or_init(|| regex::Regex::new(r"(nslookup|nc -z|nc -zv|host|dig|getent hosts|pg_isready -h|curl -[sSfk]*|wget -[qO-]*|wait-for(?:-it)?(?:\.sh)?)\s+(?:https?://)?([a-z][\w.-]*)(?:[: ](\d{2,5}))?").ok())
        .as_ref()
        .and_then(|re| re.captures(&cmd))
        .map(|c| {
            let host = c[2].to_string();
            if ["nslookup", "host", "dig", "getent hosts"].contains(&&c[1]) {
                Named::Unresolved { host }
            } else {
                Named::Unreachable {
                    host,
                    port: c.get(3).and_then(|p| p.as_str().parse().ok()),
                    refused: false,
                }
            }
        });
    // What its log says it waits for comes first: the log names the port too.
    let ns = sp(pod, "/metadata/namespace");
    let host = w
        .obs
        .view
        .log(ns, meta_name(pod), &container, previous)
        .and_then(crate::analyze::logline::waited_for)
        .or(from_cmd);
    if w.chain.links.len() == before {
        let calls = calls_of(w.obs, "Pod", sp(pod, "/metadata/namespace"), meta_name(pod));
        w.link(
            format!("init container {container} runs: {}", cut(&cmd, 200)),
            calls,
        );
    }
    // Waiting for a Job to complete (k8s-wait-for's `job`/`job-wr`, `kubectl wait
    // --for=condition=complete job/x`): the Job, and why it does not complete.
    let log = w.obs.view.log(ns, meta_name(pod), &container, previous);
    if let Some(job) = waited_job(log.unwrap_or(""), &cmd) {
        waits_for_job(w, ns, &container, &job, depth);
        return;
    }
    match host {
        Some(named) => {
            targets::follow_named(
                w,
                pod,
                spec,
                &named,
                &format!("init container {container} waits for it"),
                depth,
            );
        }
        None => w.cause(
            format!(
                "{}: init container {container} does not complete ({})",
                owner_words(w.obs, pod),
                f.title
            ),
            f.remediation.clone(),
        ),
    }
}

/// The Job an init container waits for, from its log (`Waiting for job-wr migrate-142...`,
/// `waiting for job/db-migrate`) or its command (`k8s-wait-for job-wr x`, `kubectl wait
/// --for=condition=complete job/x`).
fn waited_job(log: &str, cmd: &str) -> Option<String> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| {
            regex::Regex::new(
                r"(?i)(?:wait(?:ing)? (?:for|on) |wait_for\.sh |k8s-wait-for |^|\s)(?:job-wr|job)[ /]+([a-z0-9][a-z0-9.-]*[a-z0-9])",
            )
            .ok()
        })
        .as_ref()?;
    let from_log = log
        .lines()
        .rev()
        .take(5)
        .filter(|l| l.to_ascii_lowercase().contains("wait"))
        .find_map(|l| re.captures(l).map(|c| c[1].to_string()));
    from_log.or_else(|| {
        let c = re.captures(cmd)?;
        // a command that names a job to wait for, not a word "job" in a shell script
        let lower = cmd.to_ascii_lowercase();
        (lower.contains("wait")).then(|| c[1].to_string())
    })
}

/// An init container waiting for Job `job`: does it exist, and why has it not completed?
fn waits_for_job(w: &mut Walk<'_>, ns: &str, container: &str, job: &str, depth: usize) {
    if !w.listed(
        "jobs",
        "Job",
        ns,
        format!("init container {container} waits for Job {job}: has it completed?"),
    ) {
        return;
    }
    let calls = calls_of(w.obs, "Job", ns, job);
    let Some(j) = w.obs.view.get("Job", ns, job).cloned() else {
        let names: Vec<String> = w
            .obs
            .view
            .in_namespace("Job", ns)
            .map(|j| meta_name(j).to_string())
            .collect();
        let close = targets::closest(job, &names);
        w.found(
            format!("Job {job} does not exist in {ns}{}", close.as_ref().map(|c| format!(" (Job {c} does)")).unwrap_or_default()),
            calls,
            format!("init container {container} waits for Job {job}, which does not exist in namespace {ns}"),
            format!("Create Job {job} (the chart's migration hook may not have run), or point init container {container} at the Job that exists{}.", close.map(|c| format!(" ({c}?)")).unwrap_or_default()),
        );
        return;
    };
    w.object(ObjectRef::new("Job", Some(ns), job));
    let findings = analyze::analyze(&w.obs.view);
    if let Some(g) = findings.iter().find(|g| {
        g.object.kind == "Job" && g.object.name == job && g.object.namespace.as_deref() == Some(ns)
    }) {
        w.link(
            format!(
                "init container {container} waits for Job {job}, which has not completed{}",
                condition_words(&j)
            ),
            calls,
        );
        self::job(w, &g.clone(), depth + 1);
        return;
    }
    w.link(
        format!(
            "init container {container} waits for Job {job}{}",
            condition_words(&j)
        ),
        calls,
    );
}

/// A Pending pod: what the scheduler says, then the nodes, claims and volumes it names.
pub(super) fn pending(w: &mut Walk<'_>, pod: &Value, f: &Finding) {
    let ns = sp(pod, "/metadata/namespace").to_string();
    let name = meta_name(pod).to_string();
    let who = owner_words(w.obs, pod);
    let msg = arr(pod, "/status/conditions")
        .iter()
        .find(|c| s(c, "type") == "PodScheduled")
        .map(|c| s(c, "message").to_string())
        .unwrap_or_default();
    let lower = msg.to_ascii_lowercase();
    if lower.contains("topology spread constraint") && spread_chain(w, pod, &msg) {
        return;
    }
    if lower.contains("volume node affinity conflict") {
        let claims = claim_names(pod);
        let a = w.need_list(
            "persistentvolumeclaims",
            "PersistentVolumeClaim",
            &ns,
            format!("which volumes the claims of {name} are bound to"),
        );
        let b = w.need_cluster_list(
            "persistentvolumes",
            "PersistentVolume",
            format!("the node affinity of the volumes {name} needs"),
        );
        let c = w.need_cluster_list(
            "nodes",
            "Node",
            "which nodes satisfy the volumes' node affinity".into(),
        );
        if !matches!((a, b, c), (Have::Yes, Have::Yes, Have::Yes)) {
            return;
        }
        for claim in &claims {
            let Some(pvc) = w.obs.view.get("PersistentVolumeClaim", &ns, claim).cloned() else {
                continue;
            };
            let pv_name = sp(&pvc, "/spec/volumeName").to_string();
            let Some(pv) = w.obs.view.get("PersistentVolume", "", &pv_name).cloned() else {
                continue;
            };
            let terms = arr(&pv, "/spec/nodeAffinity/required/nodeSelectorTerms");
            if terms.is_empty() {
                continue;
            }
            let nodes: Vec<Value> = w.obs.view.all("Node").cloned().collect();
            let fits: Vec<String> = nodes
                .iter()
                .filter(|n| terms.iter().any(|t| term_matches(t, n)))
                .map(|n| meta_name(n).to_string())
                .collect();
            let req = terms
                .iter()
                .flat_map(|t| arr(t, "/matchExpressions").iter())
                .map(|e| {
                    format!(
                        "{} {} [{}]",
                        s(e, "key"),
                        s(e, "operator"),
                        arr(e, "/values")
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let calls = calls_of(w.obs, "PersistentVolumeClaim", &ns, claim);
            w.link(
                format!("claim {claim} is bound to PersistentVolume {pv_name}"),
                calls,
            );
            w.object(ObjectRef::new("PersistentVolume", None, &pv_name));
            let mut calls = calls_of(w.obs, "PersistentVolume", "", &pv_name);
            calls.extend(w.obs.list_calls("Node", None));
            let node_names: Vec<String> = nodes.iter().map(|n| meta_name(n).to_string()).collect();
            w.chain.decisive = true;
            if fits.is_empty() {
                w.link(format!("PersistentVolume {pv_name} requires nodes with {req}; no node matches (nodes: {})", node_names.join(", ")), calls);
                w.cause(
                    format!("{who}: pod {name} cannot be scheduled because PersistentVolume {pv_name} (claim {claim}) is pinned by node affinity ({req}) to a node that does not exist"),
                    format!("The data of {pv_name} lives on a node that is gone: restore that node, or recreate claim {claim} on a volume that an existing node can mount (delete the claim and the pod so the StatefulSet provisions a new one, after saving the data)."),
                );
            } else {
                // Why each node the volume allows cannot take the pod: a taint it does not
                // tolerate, the node's state, a nodeSelector label it lacks; else room.
                let blocked: Vec<Missing> = nodes
                    .iter()
                    .filter(|n| fits.iter().any(|f| f == meta_name(n)))
                    .map(|n| Missing {
                        node: meta_name(n).to_string(),
                        taints: crate::analyze::util::user_taints(n)
                            .filter(|t| !crate::analyze::util::pod_tolerates(pod, t))
                            .map(crate::analyze::util::taint_words)
                            .collect(),
                        troubles: crate::analyze::util::node_troubles(n),
                        unlabelled: pod
                            .pointer("/spec/nodeSelector")
                            .and_then(Value::as_object)
                            .map(|sel| {
                                sel.iter()
                                    .filter(|(k, v)| {
                                        n.pointer("/metadata/labels")
                                            .and_then(|l| l.get(k.as_str()))
                                            != Some(v)
                                    })
                                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect();
                let refs: Vec<&Missing> = blocked.iter().collect();
                let of = |f: &dyn Fn(&Missing) -> bool| {
                    refs.iter().copied().filter(|m| f(m)).collect::<Vec<_>>()
                };
                let tainted = of(&|m| !m.taints.is_empty());
                let troubled = of(&|m| m.taints.is_empty() && !m.troubles.is_empty());
                let unlabelled = of(&|m| {
                    m.taints.is_empty() && m.troubles.is_empty() && !m.unlabelled.is_empty()
                });
                let free = of(&|m| {
                    m.taints.is_empty() && m.troubles.is_empty() && m.unlabelled.is_empty()
                });
                let mut why = Vec::new();
                if !tainted.is_empty() {
                    why.push(format!(
                        "{} that the pod does not tolerate",
                        grouped(&tainted, |m| &m.taints, ("has taint", "have taint"))
                    ));
                }
                if !troubled.is_empty() {
                    why.push(grouped(&troubled, |m| &m.troubles, ("is", "are")));
                }
                if !unlabelled.is_empty() {
                    why.push(format!(
                        "{} that the pod's nodeSelector requires",
                        grouped(
                            &unlabelled,
                            |m| &m.unlabelled,
                            ("lacks label", "lack label")
                        )
                    ));
                }
                if !free.is_empty() {
                    let list = node_list(&free.iter().map(|m| m.node.as_str()).collect::<Vec<_>>());
                    why.push(format!("{list}: no taint, state or label keeps it off, so it lacks room (the scheduler's message counts them)"));
                }
                let why = why.join("; ");
                w.link(
                    format!(
                        "PersistentVolume {pv_name} requires {req}; the nodes that match: {why}"
                    ),
                    calls,
                );
                // A class that binds at once made the volume where no pod was yet: the zone
                // was chosen without the pod's constraints.
                let class = sp(&pv, "/spec/storageClassName").to_string();
                let mut class_fix = String::new();
                if !class.is_empty()
                    && !matches!(
                        w.need_cluster_list(
                            "storageclasses",
                            "StorageClass",
                            format!("how StorageClass {class} binds volumes (Immediate or WaitForFirstConsumer)"),
                        ),
                        Have::Yes
                    )
                {
                    return;
                }
                if let Some(sc) = w.obs.view.get("StorageClass", "", &class) {
                    let mode = match sp(sc, "/volumeBindingMode") {
                        "" => "Immediate",
                        m => m,
                    };
                    if mode == "Immediate" {
                        w.link(
                            format!("StorageClass {class} has volumeBindingMode Immediate: its volumes are made before the pod is scheduled, in a zone chosen without the pod's constraints"),
                            calls_of(w.obs, "StorageClass", "", &class),
                        );
                        class_fix = format!(
                            " For new volumes, use a StorageClass like {class} with volumeBindingMode: WaitForFirstConsumer (the field cannot be changed in place), so each volume is made where its pod can run."
                        );
                    }
                }
                let remedy = if !tainted.is_empty() {
                    format!(
                        "Give the pod a node it can use where {pv_name} lives: add a node without the taint there (e.g. scale up that zone's node group), or tolerate the taint if the pod may run on those nodes; else move the data of {pv_name} (snapshot and restore into another zone)."
                    )
                } else if !troubled.is_empty() {
                    format!(
                        "Bring node(s) {} back (or add a healthy node where {pv_name} lives), or move the data of {pv_name} (snapshot and restore).",
                        names_of(&troubled)
                    )
                } else {
                    format!(
                        "Make room on node(s) {} or add a node where {pv_name} lives, or move the data of {pv_name} (snapshot and restore).",
                        names_of(&refs)
                    )
                };
                w.cause(
                    format!("{who}: pod {name} must run where PersistentVolume {pv_name} (claim {claim}) lives ({req}), and no node there can take it: {why}"),
                    format!("{remedy}{class_fix}"),
                );
            }
            return;
        }
    }
    // Other scheduler reasons: the pending analyzer reads nodes, claims and classes.
    // `storageclass.storage.k8s.io "x" not found`, `unbound immediate PersistentVolumeClaims`,
    // the VolumeBinding plugin: a claim's story, not the nodes'.
    let claims_story = ["persistentvolumeclaim", "storageclass", "volumebinding"]
        .iter()
        .any(|k| lower.contains(k));
    let needs: &[(&str, &str, bool)] = if claims_story {
        &[
            ("persistentvolumeclaims", "PersistentVolumeClaim", true),
            ("storageclasses", "StorageClass", false),
        ]
    } else {
        &[("nodes", "Node", false)]
    };
    for (r, k, namespaced) in needs {
        let have = if *namespaced {
            w.need_list(
                r,
                k,
                &ns,
                format!("what the scheduler's message about {name} refers to"),
            )
        } else {
            w.need_cluster_list(
                r,
                k,
                format!("what the scheduler's message about {name} refers to"),
            )
        };
        if matches!(have, Have::Asked) {
            return;
        }
    }
    if claims_story && unbound_claim(w, pod, &who) {
        return;
    }
    // The analyzer's finding, recomputed over what is now known.
    let fresh = analyze::analyze(&w.obs.view)
        .into_iter()
        .find(|g| g.analyzer == "pending" && g.object == f.object)
        .unwrap_or_else(|| f.clone());
    let causes: Vec<&String> = fresh
        .evidence
        .iter()
        .filter(|e| !e.starts_with("PodScheduled"))
        .take(3)
        .collect();
    let mut calls = w.obs.list_calls("Node", None);
    calls.extend(w.obs.list_calls("PersistentVolumeClaim", Some(&ns)));
    if !causes.is_empty() {
        w.link(
            causes
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            calls,
        );
    }
    w.chain.decisive = true;
    w.cause(
        format!(
            "{who}: {}{}",
            fresh.title,
            if msg.is_empty() {
                String::new()
            } else {
                format!(" (scheduler: {})", first_clause(&msg))
            }
        ),
        fresh.remediation.clone(),
    );
}

/// The PersistentVolumeClaims a pod mounts.
fn claim_names(pod: &Value) -> Vec<String> {
    arr(pod, "/spec/volumes")
        .iter()
        .filter_map(|v| {
            v.pointer("/persistentVolumeClaim/claimName")
                .and_then(Value::as_str)
        })
        .map(str::to_string)
        .collect()
}

/// A claim of the pod that is not bound: missing, or asking for a StorageClass that does not
/// exist (or for the default class when there is none). True when it explains the Pending pod.
fn unbound_claim(w: &mut Walk<'_>, pod: &Value, who: &str) -> bool {
    let ns = sp(pod, "/metadata/namespace").to_string();
    let name = meta_name(pod).to_string();
    let claims = claim_names(pod);
    let classes: Vec<Value> = w.obs.view.all("StorageClass").cloned().collect();
    let class_names: Vec<String> = classes.iter().map(|c| meta_name(c).to_string()).collect();
    let listed = if class_names.is_empty() {
        "there are none".to_string()
    } else {
        format!("classes: {}", class_names.join(", "))
    };
    for claim in &claims {
        let calls = calls_of(w.obs, "PersistentVolumeClaim", &ns, claim);
        let Some(pvc) = w.obs.view.get("PersistentVolumeClaim", &ns, claim).cloned() else {
            w.found(
                format!("PersistentVolumeClaim {claim} does not exist in {ns}"),
                calls,
                format!("{who}: pod {name} is Pending because it mounts PersistentVolumeClaim {claim}, which does not exist in {ns}"),
                format!("Create PersistentVolumeClaim {claim} in {ns}, or fix the claim name in {who}'s volumes."),
            );
            return true;
        };
        let phase = sp(&pvc, "/status/phase").to_string();
        if phase == "Bound" {
            continue;
        }
        w.object(ObjectRef::new("PersistentVolumeClaim", Some(&ns), claim));
        let class = pvc
            .pointer("/spec/storageClassName")
            .and_then(Value::as_str)
            .or_else(|| {
                pvc.pointer("/metadata/annotations/volume.beta.kubernetes.io~1storage-class")
                    .and_then(Value::as_str)
            })
            .unwrap_or("")
            .to_string();
        let size = sp(&pvc, "/spec/resources/requests/storage").to_string();
        let phase_words = if phase.is_empty() {
            "Pending".to_string()
        } else {
            phase
        };
        w.link(
            format!(
                "PersistentVolumeClaim {claim} is {phase_words}, asking {} for {}",
                if class.is_empty() {
                    "the default StorageClass".to_string()
                } else {
                    format!("StorageClass {class}")
                },
                if size.is_empty() { "storage" } else { &size }
            ),
            calls,
        );
        let class_calls = w.obs.list_calls("StorageClass", None);
        if !class.is_empty() && !class_names.contains(&class) {
            w.object(ObjectRef::new("StorageClass", None, &class));
            // A typo of an existing class (`gp3-encypted` for `gp3-encrypted`) is the likely
            // intent.
            let close = super::targets::closest(&class, &class_names);
            let (close_words, fix_class) = match &close {
                Some(c) => (
                    format!("; the closest existing class is {c}"),
                    format!("storageClassName {c}"),
                ),
                None => (String::new(), "an existing storageClassName".to_string()),
            };
            w.found(
                format!("StorageClass {class} does not exist ({listed}){close_words}"),
                class_calls,
                format!("{who}: pod {name} is Pending: its PersistentVolumeClaim {claim} asks for StorageClass {class}, which does not exist{close_words}"),
                format!("Create StorageClass {class}, or recreate claim {claim} with {fix_class} ({listed}; the field cannot be changed on an existing claim, so fix the claim template and delete the claim)."),
            );
            return true;
        }
        let default = classes.iter().any(|c| {
            sp(
                c,
                "/metadata/annotations/storageclass.kubernetes.io~1is-default-class",
            ) == "true"
        });
        if !class.is_empty()
            && let Some(sc) = classes.iter().find(|c| meta_name(c) == class).cloned()
            && provisioner_down(w, &sc, &pvc, who, &name, claim)
        {
            return true;
        }
        if class.is_empty() && !default {
            w.found(
                format!("no StorageClass is marked default ({listed})"),
                class_calls,
                format!("{who}: pod {name} is Pending: PersistentVolumeClaim {claim} names no StorageClass and the cluster has no default one ({listed})"),
                format!("Set storageClassName of claim {claim} to an existing class, or mark one default (annotation storageclass.kubernetes.io/is-default-class=true)."),
            );
            return true;
        }
    }
    false
}

/// A claim that waits for an external provisioner (`waiting for a volume to be created,
/// either by external provisioner "rbd.csi.ceph.com"`): the controller that provisions for
/// the class's driver (a Deployment or StatefulSet whose containers name the driver), and
/// whether it runs. True when it explained the wait.
fn provisioner_down(
    w: &mut Walk<'_>,
    sc: &Value,
    pvc: &Value,
    who: &str,
    pod_name: &str,
    claim: &str,
) -> bool {
    let ns = sp(pvc, "/metadata/namespace").to_string();
    let driver = sp(sc, "/provisioner").to_string();
    if driver.is_empty() || driver.starts_with("kubernetes.io/") {
        return false;
    }
    let waiting = w
        .obs
        .view
        .events_for("PersistentVolumeClaim", &ns, claim)
        .iter()
        .any(|e| {
            s(e, "reason") == "ExternalProvisioning"
                || s(e, "message").contains("external provisioner")
        });
    if !waiting {
        return false;
    }
    let reason = format!("which controller provisions volumes for {driver}, and does it run?");
    let a = w.need(
        "get deployments -A".into(),
        reason.clone(),
        format!("the {driver} provisioner is not running"),
    );
    let b = w.need(
        "get statefulsets -A".into(),
        reason,
        format!("the {driver} provisioner is not running"),
    );
    if matches!(a, Have::Asked) || matches!(b, Have::Asked) {
        return true;
    }
    let names_driver = |o: &Value| {
        arr(o, "/spec/template/spec/containers")
            .iter()
            .flat_map(|c| {
                arr(c, "/args")
                    .iter()
                    .chain(arr(c, "/command"))
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .chain(arr(c, "/env").iter().map(|e| s(e, "value").to_string()))
                    .collect::<Vec<_>>()
            })
            .any(|v| v.contains(&driver))
    };
    let controller = ["Deployment", "StatefulSet"].iter().find_map(|kind| {
        w.obs
            .view
            .all(kind)
            .filter(|o| names_driver(o))
            // The controller (provisioner), not the node plugin.
            .find(|o| {
                meta_name(o).contains("provision")
                    || meta_name(o).contains("controller")
                    || arr(o, "/spec/template/spec/containers")
                        .iter()
                        .any(|c| s(c, "image").contains("csi-provisioner"))
            })
            .map(|o| (kind.to_string(), o.clone()))
    });
    let pvc_calls = calls_of(w.obs, "PersistentVolumeClaim", &ns, claim);
    w.link(
        format!("PersistentVolumeClaim {claim} waits for external provisioner {driver} (StorageClass {})", meta_name(sc)),
        pvc_calls,
    );
    let Some((kind, ctl)) = controller else {
        let mut calls = w.obs.list_calls("Deployment", None);
        calls.extend(w.obs.list_calls("StatefulSet", None));
        w.found(
            format!("no Deployment or StatefulSet in the cluster runs a provisioner for {driver}"),
            calls,
            format!("{who}: pod {pod_name} is Pending: claim {claim} waits for a volume from {driver}, and no provisioner for {driver} runs in the cluster"),
            format!("Install or restore the CSI driver's controller for {driver} (its csi-provisioner), or use a StorageClass whose provisioner runs."),
        );
        return true;
    };
    let cns = sp(&ctl, "/metadata/namespace").to_string();
    let cname = meta_name(&ctl).to_string();
    let desired = int(&ctl, "/spec/replicas").unwrap_or(1);
    let ready = int(&ctl, "/status/readyReplicas").unwrap_or(0);
    let calls = calls_of(w.obs, &kind, &cns, &cname);
    w.object(ObjectRef::new(&kind, Some(&cns), &cname));
    if desired == 0 {
        w.found(
            format!("{kind} {cns}/{cname}, the provisioner for {driver}, is scaled to 0 replicas"),
            calls,
            format!("{who}: pod {pod_name} is Pending: claim {claim} waits for a volume from {driver}, whose provisioner {kind} {cns}/{cname} is scaled to 0 replicas"),
            format!("Scale {kind} {cns}/{cname} back up (spec.replicas; it was 0), then the claim is provisioned and the pod scheduled."),
        );
        return true;
    }
    if ready == 0 {
        w.found(
            format!("{kind} {cns}/{cname}, the provisioner for {driver}, has 0 of {desired} pods ready"),
            calls,
            format!("{who}: pod {pod_name} is Pending: claim {claim} waits for a volume from {driver}, whose provisioner {kind} {cns}/{cname} has no ready pod"),
            format!("Find why {kind} {cns}/{cname} has no ready pod (its pods' events and logs in {cns}); the claim is provisioned once it runs."),
        );
        return true;
    }
    w.link(
        format!("{kind} {cns}/{cname}, the provisioner for {driver}, has {ready}/{desired} ready: read its log for why it does not provision {claim}"),
        calls,
    );
    false
}

fn first_clause(msg: &str) -> String {
    let m = msg.split(" preemption:").next().unwrap_or(msg).trim();
    let m = m.trim_end_matches('.');
    // Quoted shortened: the scheduler lists every node group; the cause already says which
    // one matters.
    const QUOTE: usize = 160;
    if m.chars().count() <= QUOTE {
        return m.to_string();
    }
    let cut: String = m.chars().take(QUOTE).collect();
    let at = cut.rfind(", ").unwrap_or(cut.len());
    format!("{}, …", &cut[..at])
}

fn term_matches(term: &Value, node: &Value) -> bool {
    arr(term, "/matchExpressions").iter().all(|e| {
        let key = s(e, "key");
        let have = node
            .pointer("/metadata/labels")
            .and_then(|l| l.get(key))
            .and_then(Value::as_str)
            .or_else(|| (key == "kubernetes.io/hostname").then(|| meta_name(node)));
        let values: Vec<&str> = arr(e, "/values").iter().filter_map(Value::as_str).collect();
        match s(e, "operator") {
            "In" => have.is_some_and(|h| values.contains(&h)),
            "NotIn" => have.is_none_or(|h| !values.contains(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        }
    })
}

/// A failed Job (or a CronJob's last Job): its pods, then their logs.
pub(super) fn job(w: &mut Walk<'_>, f: &Finding, depth: usize) {
    let ns = f.object.namespace.clone().unwrap_or_default();
    // A CronJob: its newest Job.
    let job_name = if f.object.kind == "CronJob" {
        if !w.listed(
            "jobs",
            "Job",
            &ns,
            format!("the Jobs CronJob {} created", f.object.name),
        ) {
            return;
        }
        let mut jobs: Vec<&Value> = w
            .obs
            .view
            .in_namespace("Job", &ns)
            .filter(|j| {
                arr(j, "/metadata/ownerReferences")
                    .iter()
                    .any(|o| s(o, "name") == f.object.name)
            })
            .collect();
        jobs.sort_by_key(|j| sp(j, "/status/startTime").to_string());
        let Some(j) = jobs.last() else { return };
        let jn = meta_name(j).to_string();
        let failed = int(j, "/status/failed").unwrap_or(0);
        let calls = calls_of(w.obs, "Job", &ns, &jn);
        w.link(
            format!(
                "its last Job {jn}: {failed} failed pod(s){}",
                condition_words(j)
            ),
            calls,
        );
        jn
    } else {
        f.object.name.clone()
    };
    if !w.listed(
        "pods",
        "Pod",
        &ns,
        format!("the pods of Job {job_name} and how they ended"),
    ) {
        return;
    }
    let mut pods: Vec<Value> = w
        .obs
        .view
        .in_namespace("Pod", &ns)
        .filter(|p| {
            arr(p, "/metadata/ownerReferences")
                .iter()
                .any(|o| s(o, "kind") == "Job" && s(o, "name") == job_name)
                || p.pointer("/metadata/labels/job-name")
                    .and_then(Value::as_str)
                    == Some(job_name.as_str())
        })
        .cloned()
        .collect();
    pods.sort_by_key(|p| sp(p, "/status/startTime").to_string());
    let failed = pods.iter().rev().find(|p| {
        sp(p, "/status/phase") == "Failed"
            || containers_with_status(p, false).iter().any(|(_, st)| {
                st.is_some_and(|st| {
                    int(st, "/state/terminated/exitCode").unwrap_or(0) != 0
                        || int(st, "/lastState/terminated/exitCode").unwrap_or(0) != 0
                })
            })
    });
    let Some(pod) = failed.cloned() else {
        let calls = w.obs.list_calls("Pod", Some(&ns));
        w.link(
            format!(
                "no pod of Job {job_name} is left to read (pods are deleted with the Job's history)"
            ),
            calls,
        );
        return;
    };
    let pname = meta_name(&pod).to_string();
    let (spec, st) = containers_with_status(&pod, false)
        .into_iter()
        .find(|(_, st)| {
            st.is_some_and(|st| {
                int(st, "/state/terminated/exitCode").unwrap_or(0) != 0
                    || int(st, "/lastState/terminated/exitCode").unwrap_or(0) != 0
            })
        })
        .or_else(|| containers_with_status(&pod, false).into_iter().next())
        .map(|(a, b)| (a.clone(), b.cloned()))
        .unwrap_or((Value::Null, None));
    let container = s(&spec, "name").to_string();
    let code = st.as_ref().and_then(|st| {
        int(st, "/state/terminated/exitCode").or_else(|| int(st, "/lastState/terminated/exitCode"))
    });
    let calls = calls_of(w.obs, "Pod", &ns, &pname);
    w.link(
        format!(
            "pod {pname} of Job {job_name}: container {container} exited{}",
            code.map(|c| format!(" with code {c}")).unwrap_or_default()
        ),
        calls,
    );
    w.object(ObjectRef::new("Pod", Some(&ns), &pname));
    // Restarted in place (restartPolicy OnFailure): previous; otherwise the terminated container.
    let previous = st.as_ref().is_some_and(|st| {
        st.pointer("/lastState/terminated").is_some() && st.pointer("/state/terminated").is_none()
    });
    let followed = follow_log(w, &pod, &container, previous, depth);
    if !followed && w.chain.asks.is_empty() && w.chain.cause.is_empty() {
        w.cause(
            format!(
                "Job {ns}/{job_name} fails: its pod {pname} exits{}",
                code.map(|c| format!(" with code {c}")).unwrap_or_default()
            ),
            f.remediation.clone(),
        );
    }
}

fn condition_words(j: &Value) -> String {
    arr(j, "/status/conditions")
        .iter()
        .find(|c| s(c, "status") == "True" && matches!(s(c, "type"), "Failed" | "Complete"))
        .map(|c| format!(", {} ({})", s(c, "type"), s(c, "reason")))
        .unwrap_or_default()
}

/// A stuck rollout: the new ReplicaSet, its FailedCreate message, or the pods it made.
pub(super) fn rollout(w: &mut Walk<'_>, f: &Finding, depth: usize) {
    let ns = f.object.namespace.clone().unwrap_or_default();
    if f.object.kind != "Deployment" {
        return;
    }
    if !w.listed(
        "replicasets",
        "ReplicaSet",
        &ns,
        format!(
            "the newest ReplicaSet of {} and why it has no ready pods",
            f.object.name
        ),
    ) {
        return;
    }
    let mut rss: Vec<Value> = w
        .obs
        .view
        .in_namespace("ReplicaSet", &ns)
        .filter(|r| {
            arr(r, "/metadata/ownerReferences")
                .iter()
                .any(|o| s(o, "kind") == "Deployment" && s(o, "name") == f.object.name)
        })
        .cloned()
        .collect();
    rss.sort_by_key(|r| {
        sp(
            r,
            "/metadata/annotations/deployment.kubernetes.io~1revision",
        )
        .parse::<i64>()
        .unwrap_or(0)
    });
    let Some(new) = rss.last().cloned() else {
        return;
    };
    let rs = meta_name(&new).to_string();
    let mut failed_create: Option<String> = arr(&new, "/status/conditions")
        .iter()
        .find(|c| s(c, "type") == "ReplicaFailure" && s(c, "status") == "True")
        .map(|c| s(c, "message").to_string());
    let events = w.obs.view.events_for("ReplicaSet", &ns, &rs);
    if let Some(e) = events
        .iter()
        .rev()
        .find(|e| s(e, "reason") == "FailedCreate")
    {
        failed_create = Some(s(e, "message").to_string());
    }
    let mut calls = calls_of(w.obs, "ReplicaSet", &ns, &rs);
    if let Some(msg) = failed_create {
        calls.extend(w.obs.events_in.iter().cloned());
        let msg = msg.trim_start_matches("Error creating: ").to_string();
        w.link(
            format!("new ReplicaSet {rs} cannot create pods (FailedCreate): {msg}"),
            calls,
        );
        w.object(ObjectRef::new("ReplicaSet", Some(&ns), &rs));
        w.chain.decisive = true;
        let lower = msg.to_ascii_lowercase();
        if lower.contains("exceeded quota") {
            let quota = msg
                .split("exceeded quota: ")
                .nth(1)
                .and_then(|r| r.split(',').next())
                .unwrap_or("")
                .to_string();
            w.cause(
                format!("Deployment {ns}/{}: the rollout is stuck because ResourceQuota {quota} is exhausted ({msg})", f.object.name),
                format!("Raise ResourceQuota {ns}/{quota}, lower the requests/limits of Deployment {}, or free quota in {ns}.", f.object.name),
            );
        } else if lower.contains("admission webhook") {
            let hook = msg.split('"').nth(1).unwrap_or("").to_string();
            w.cause(
                format!("Deployment {ns}/{}: the rollout is stuck because admission webhook {hook} rejects its pods ({msg})", f.object.name),
                format!("Change the pod template of Deployment {ns}/{} to satisfy the policy ({}) or fix webhook {hook}.", f.object.name, msg.rsplit(": ").next().unwrap_or(&msg)),
            );
        } else {
            w.cause(
                format!("Deployment {ns}/{}: the rollout is stuck, the new ReplicaSet cannot create pods ({msg})", f.object.name),
                format!("Fix what the API server refuses ({msg}) in the pod template of Deployment {}.", f.object.name),
            );
        }
        return;
    }
    // Pods of the new ReplicaSet and their failure.
    let findings = analyze::analyze(&w.obs.view);
    let under = findings.iter().find(|g| {
        g.object.kind == "Pod"
            && g.object.namespace.as_deref() == Some(ns.as_str())
            && g.object.name.starts_with(&format!("{rs}-"))
    });
    if let Some(g) = under {
        w.link(format!("new ReplicaSet {rs}: its pods are failing"), calls);
        from_finding(w, &g.clone(), depth + 1);
        return;
    }
    let desired = int(&new, "/spec/replicas").unwrap_or(1);
    not_ready_pods(w, &f.object, desired, calls);
}

/// A DaemonSet that runs on fewer nodes than exist: the nodes without its pod, their taints
/// against its tolerations.
pub(super) fn daemonset(w: &mut Walk<'_>, ds: &Value, calls: Vec<String>) {
    let ns = sp(ds, "/metadata/namespace").to_string();
    let name = meta_name(ds).to_string();
    if !matches!(
        w.need_cluster_list(
            "nodes",
            "Node",
            format!("which nodes DaemonSet {name} does not run on, and their taints")
        ),
        Have::Yes
    ) {
        return;
    }
    if !w.listed(
        "pods",
        "Pod",
        &ns,
        format!("where the pods of DaemonSet {name} run"),
    ) {
        return;
    }
    let on: Vec<String> = w
        .obs
        .view
        .in_namespace("Pod", &ns)
        .filter(|p| {
            arr(p, "/metadata/ownerReferences")
                .iter()
                .any(|o| s(o, "kind") == "DaemonSet" && s(o, "name") == name)
        })
        .map(|p| sp(p, "/spec/nodeName").to_string())
        .collect();
    let nodes: Vec<Value> = w.obs.view.all("Node").cloned().collect();
    let tolerations = arr(ds, "/spec/template/spec/tolerations").to_vec();
    let selector = ds
        .pointer("/spec/template/spec/nodeSelector")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Why each node without a pod has none: a taint someone put there and the DaemonSet does
    // not tolerate; the node's own state (NotReady, pressure, cordoned: the condition taints
    // are that state, not taints to tolerate); labels its nodeSelector wants.
    // Nodes its node affinity leaves out are not missing: it is not meant to run there. (Its
    // nodeSelector is judged below: a label the engineer expects on a node they name, or a
    // selector that leaves it nowhere to run.)
    let terms = arr(
        ds,
        "/spec/template/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
    )
    .to_vec();
    let asked_words = w
        .obs
        .user_messages
        .last()
        .map(|m| m.to_lowercase())
        .unwrap_or_default();
    let named_node = |n: &Value| {
        asked_words
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
            .any(|word| word == meta_name(n))
    };
    let selected = |n: &Value| {
        let by_affinity = terms.is_empty() || terms.iter().any(|t| term_matches(t, n));
        let labels = n.pointer("/metadata/labels");
        let by_selector = selector
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k.as_str())) == Some(v));
        by_affinity && (by_selector || on.is_empty())
    };
    let missing: Vec<Missing> = nodes
        .iter()
        .filter(|n| !on.contains(&meta_name(n).to_string()))
        .filter(|n| named_node(n) || selected(n))
        .map(|n| {
            let untolerated: Vec<String> = crate::analyze::util::user_taints(n)
                .filter(|t| {
                    !tolerations
                        .iter()
                        .any(|tol| crate::analyze::util::toleration_matches(tol, t))
                })
                .map(crate::analyze::util::taint_words)
                .collect();
            let labels = n
                .pointer("/metadata/labels")
                .cloned()
                .unwrap_or(Value::Null);
            let unlabelled: Vec<String> = selector
                .iter()
                .filter(|(k, v)| labels.get(k.as_str()) != Some(*v))
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect();
            Missing {
                node: meta_name(n).to_string(),
                taints: untolerated,
                troubles: crate::analyze::util::node_troubles(n),
                unlabelled,
            }
        })
        .collect();
    let mut all_calls = calls;
    all_calls.extend(w.obs.list_calls("Node", None));
    all_calls.extend(w.obs.list_calls("Pod", Some(&ns)));
    let running_on = {
        let mut n: Vec<&String> = on.iter().filter(|n| !n.is_empty()).collect();
        n.sort();
        n.dedup();
        n.len()
    };
    if missing.is_empty() {
        let text = if running_on < nodes.len() {
            format!(
                "DaemonSet {name} runs on all {running_on} nodes its node selection allows ({} in the cluster)",
                nodes.len()
            )
        } else {
            format!("DaemonSet {name} runs on all {} nodes", nodes.len())
        };
        w.link(text, all_calls);
        return;
    }
    let names = names_of;
    let all_missing: Vec<&Missing> = missing.iter().collect();
    w.link(
        format!(
            "DaemonSet {name} runs on {} of {} nodes{}; not on {}",
            running_on,
            running_on + missing.len(),
            if running_on + missing.len() < nodes.len() {
                " it is meant for"
            } else {
                ""
            },
            names(&all_missing)
        ),
        all_calls.clone(),
    );
    let node_calls = w.obs.list_calls("Node", None);
    // The nodes the engineer named come first.
    let asked = w
        .obs
        .user_messages
        .last()
        .map(|m| m.to_lowercase())
        .unwrap_or_default();
    let named: Vec<&Missing> = missing
        .iter()
        .filter(|m| {
            asked
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
                .any(|word| word == m.node)
        })
        .collect();
    let tainted: Vec<&Missing> = missing.iter().filter(|m| !m.taints.is_empty()).collect();
    let troubled: Vec<&Missing> = missing
        .iter()
        .filter(|m| m.taints.is_empty() && !m.troubles.is_empty())
        .collect();
    let unlabelled: Vec<&Missing> = missing
        .iter()
        .filter(|m| m.taints.is_empty() && m.troubles.is_empty() && !m.unlabelled.is_empty())
        .collect();
    // Nodes that share a reason are said once ("gpu-1, gpu-2 and 6 more have taint …").
    let taint_text = |m: &[&Missing]| grouped(m, |m| &m.taints, ("has taint", "have taint"));
    let trouble_text = |m: &[&Missing]| grouped(m, |m| &m.troubles, ("is", "are"));
    let label_text = |m: &[&Missing]| grouped(m, |m| &m.unlabelled, ("lacks label", "lack label"));
    if !tainted.is_empty() {
        w.link(
            format!(
                "{} that DaemonSet {name} does not tolerate",
                taint_text(&tainted)
            ),
            node_calls.clone(),
        );
    }
    if !unlabelled.is_empty() {
        w.link(
            format!(
                "{} that the nodeSelector of DaemonSet {name} requires",
                label_text(&unlabelled)
            ),
            all_calls.clone(),
        );
    }
    if !troubled.is_empty() {
        // The node's own state: its pods come back with it. Folded here, not a problem of
        // its own.
        w.link(
            format!(
                "{} (their node.kubernetes.io taints follow from that state): DaemonSet pods run there once the node recovers",
                trouble_text(&troubled)
            ),
            node_calls.clone(),
        );
        for m in &troubled {
            w.object(ObjectRef::new("Node", None, &m.node));
        }
    }
    for m in &tainted {
        w.object(ObjectRef::new("Node", None, &m.node));
    }
    // The cause: about the node asked about, else the taints, else the selector, else the
    // nodes' state.
    fn pick<'m>(set: &[&'m Missing], named: &[&Missing]) -> Vec<&'m Missing> {
        let mine: Vec<&Missing> = set
            .iter()
            .copied()
            .filter(|m| named.iter().any(|n| n.node == m.node))
            .collect();
        if mine.is_empty() { set.to_vec() } else { mine }
    }
    let category = |m: &Missing| {
        if !m.taints.is_empty() {
            0
        } else if !m.troubles.is_empty() {
            2
        } else if !m.unlabelled.is_empty() {
            1
        } else {
            3
        }
    };
    let order = match named.first() {
        Some(m) => category(m),
        None => missing.iter().map(category).min().unwrap_or(3),
    };
    match order {
        0 => {
            let these = pick(&tainted, &named);
            let first = these[0].taints[0].clone();
            let (key, effect) = first
                .split_once(':')
                .map(|(k, e)| (k.split('=').next().unwrap_or(k).to_string(), e.to_string()))
                .unwrap_or_default();
            w.chain.decisive = true;
            w.cause(
                format!(
                    "DaemonSet {ns}/{name} does not run on node {}: {} that it does not tolerate",
                    names(&these),
                    taint_text(&these)
                ),
                format!("If {name} must run there, add a toleration to its pod template (spec.template.spec.tolerations: key {key}, operator Exists, effect {effect}); if not, nothing is wrong."),
            );
        }
        1 => {
            let these = pick(&unlabelled, &named);
            w.chain.decisive = true;
            w.cause(
                format!(
                    "DaemonSet {ns}/{name} does not run on node {}: {} that its nodeSelector requires",
                    names(&these),
                    label_text(&these)
                ),
                format!("Label the node(s) {} to match, or change spec.template.spec.nodeSelector of DaemonSet {name}.", names(&these)),
            );
        }
        2 => {
            let these = pick(&troubled, &named);
            w.chain.decisive = true;
            w.cause(
                format!(
                    "DaemonSet {ns}/{name} does not run on node {}: {}",
                    names(&these),
                    trouble_text(&these)
                ),
                format!(
                    "Bring node(s) {} back (kubelet, container runtime, network, resources; uncordon a cordoned node); the DaemonSet's pods follow.",
                    names(&these)
                ),
            );
        }
        _ => {
            w.cause(
                format!("DaemonSet {ns}/{name} is missing on {}", names(&all_missing)),
                format!("Describe DaemonSet {name} and the nodes it misses (nodeSelector/affinity in its pod template)."),
            );
        }
    }
}

fn names_of(m: &[&Missing]) -> String {
    node_list(&m.iter().map(|m| m.node.as_str()).collect::<Vec<_>>())
}

/// Node names, the first few and how many more.
fn node_list(nodes: &[&str]) -> String {
    const SHOWN: usize = 4;
    if nodes.len() <= SHOWN + 1 {
        nodes.join(", ")
    } else {
        format!(
            "{} and {} more",
            nodes[..SHOWN].join(", "),
            nodes.len() - SHOWN
        )
    }
}

/// Missing nodes grouped by one reason list, in first-seen order: "a, b have taint x; c has
/// taint y".
fn grouped<T: AsRef<str>>(
    m: &[&Missing],
    reasons: impl Fn(&Missing) -> &Vec<T>,
    (one, many): (&str, &str),
) -> String {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for x in m {
        let key = reasons(x)
            .iter()
            .map(|r| r.as_ref())
            .collect::<Vec<_>>()
            .join(", ");
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, nodes)) => nodes.push(x.node.as_str()),
            None => groups.push((key, vec![x.node.as_str()])),
        }
    }
    groups
        .iter()
        .map(|(key, nodes)| {
            let verb = if nodes.len() == 1 { one } else { many };
            format!("{} {verb} {key}", node_list(nodes))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A node a DaemonSet has no pod on, and what keeps it off.
/// A pod the scheduler keeps off every node for a topology spread constraint (`didn't match
/// pod topology spread constraints`): the constraint, its domains, how many of the pods it
/// counts each holds, and the domains whose nodes the pod cannot use, which still count (an
/// empty zone of tainted nodes keeps the skew at its limit forever). True when it explained.
fn spread_chain(w: &mut Walk<'_>, pod: &Value, msg: &str) -> bool {
    let ns = sp(pod, "/metadata/namespace").to_string();
    let name = meta_name(pod).to_string();
    let who = owner_words(w.obs, pod);
    let hard: Vec<Value> = arr(pod, "/spec/topologySpreadConstraints")
        .iter()
        .filter(|c| s(c, "whenUnsatisfiable") != "ScheduleAnyway")
        .cloned()
        .collect();
    let Some(c) = hard.first() else {
        return false;
    };
    if !matches!(
        w.need_cluster_list(
            "nodes",
            "Node",
            format!(
                "the nodes and their {} labels: which domains the spread of {name} counts",
                s(c, "topologyKey")
            ),
        ),
        Have::Yes
    ) {
        return true;
    }
    let key = s(c, "topologyKey").to_string();
    let skew = int(c, "/maxSkew").unwrap_or(1);
    let selector = c.get("labelSelector").cloned().unwrap_or(Value::Null);
    let nodes: Vec<Value> = w.obs.view.all("Node").cloned().collect();
    // Nodes the pod's nodeSelector allows: the scheduler counts their domains only.
    let allowed = |n: &Value| {
        pod.pointer("/spec/nodeSelector")
            .and_then(Value::as_object)
            .is_none_or(|sel| {
                sel.iter().all(|(k, v)| {
                    n.pointer("/metadata/labels")
                        .and_then(|l| l.get(k.as_str()))
                        == Some(v)
                })
            })
    };
    // The scheduler's own count of nodes (`0/5 nodes are available`): when the nodes read
    // are more (a listing that also shows nodes of another cluster view), the ones the
    // message speaks of are those that run the namespace's pods and those with a taint it
    // names.
    let mut nodes: Vec<Value> = nodes.into_iter().filter(|n| allowed(n)).collect();
    let total: Option<usize> = regex::Regex::new(r"0/(\d+) nodes are available")
        .ok()
        .and_then(|r| r.captures(msg).and_then(|c| c[1].parse().ok()));
    if let Some(total) = total
        && total != nodes.len()
    {
        let hosting: Vec<String> = w
            .obs
            .view
            .in_namespace("Pod", &ns)
            .map(|p| sp(p, "/spec/nodeName").to_string())
            .filter(|n| !n.is_empty())
            .collect();
        let named = |n: &Value| {
            crate::analyze::util::user_taints(n).any(|t| {
                let k = s(t, "key");
                let v = s(t, "value");
                !k.is_empty()
                    && (msg.contains(&format!("{{{k}: {v}}}"))
                        || msg.contains(&format!("{{{k}: }}")))
            })
        };
        let near: Vec<Value> = nodes
            .iter()
            .filter(|n| hosting.iter().any(|h| h == meta_name(n)) || named(n))
            .cloned()
            .collect();
        if near.len() == total {
            nodes = near;
        }
    }
    let mut domains: Vec<(String, Vec<String>, Vec<String>, usize)> = Vec::new(); // (value, usable, unusable reasons, pods)
    for n in &nodes {
        let Some(d) = n
            .pointer("/metadata/labels")
            .and_then(|l| l.get(key.as_str()))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let taints: Vec<String> = crate::analyze::util::user_taints(n)
            .filter(|t| !crate::analyze::util::pod_tolerates(pod, t))
            .map(crate::analyze::util::taint_words)
            .collect();
        let troubles = crate::analyze::util::node_troubles(n);
        let node = meta_name(n).to_string();
        let pods = w
            .obs
            .view
            .in_namespace("Pod", &ns)
            .filter(|p| sp(p, "/spec/nodeName") == node)
            .filter(|p| !matches!(sp(p, "/status/phase"), "Succeeded" | "Failed"))
            .filter(|p| crate::analyze::util::label_selector_matches(&selector, p))
            .count();
        let i = match domains.iter().position(|x| x.0 == d) {
            Some(i) => i,
            None => {
                domains.push((d.to_string(), Vec::new(), Vec::new(), 0));
                domains.len() - 1
            }
        };
        domains[i].3 += pods;
        if taints.is_empty() && troubles.is_empty() {
            domains[i].1.push(node);
        } else {
            let mut why = taints
                .iter()
                .map(|t| format!("taint {t}"))
                .collect::<Vec<_>>();
            why.extend(troubles.iter().map(|t| t.to_string()));
            domains[i].2.push(format!("{node} ({})", why.join(", ")));
        }
    }
    if domains.is_empty() {
        return false;
    }
    let counts: Vec<String> = domains
        .iter()
        .map(|(d, _, _, n)| format!("{d}: {n}"))
        .collect();
    let dead: Vec<&(String, Vec<String>, Vec<String>, usize)> =
        domains.iter().filter(|d| d.1.is_empty()).collect();
    let mut calls = calls_of(w.obs, "Pod", &ns, &name);
    calls.extend(w.obs.list_calls("Node", None));
    w.link(
        format!(
            "pod {name} spreads over {key} with maxSkew {skew} ({}); pods it counts per domain: {}",
            s(c, "whenUnsatisfiable"),
            counts.join(", ")
        ),
        calls.clone(),
    );
    w.chain.decisive = true;
    let constraint = format!("topologySpreadConstraint on {key} (maxSkew {skew}, DoNotSchedule)");
    match dead.first() {
        Some(d) => {
            w.link(
                format!(
                    "{key}={} has no node the pod can use: {}",
                    d.0,
                    d.2.join(", ")
                ),
                calls,
            );
            w.cause(
                format!(
                    "{who}: pod {name} cannot be scheduled: its {constraint} counts {key}={}, where no node can take it ({}); with {} pod(s) there, the domains it can use ({}) are already at the skew limit ({msg})",
                    d.0,
                    d.2.join(", "),
                    d.3,
                    counts.iter().filter(|c| !c.starts_with(&format!("{}:", d.0))).cloned().collect::<Vec<_>>().join(", ")
                ),
                format!(
                    "In {who}'s pod template, set whenUnsatisfiable: ScheduleAnyway on the {key} constraint, or keep domain {key}={} out of it (a nodeAffinity the scheduler counts, or nodeTaintsPolicy: Honor on Kubernetes 1.26+), or add a node in {} the pod can use.",
                    d.0, d.0
                ),
            );
        }
        None => {
            w.cause(
                format!(
                    "{who}: pod {name} cannot be scheduled: its {constraint} allows no node (pods per domain: {}; {msg})",
                    counts.join(", ")
                ),
                format!("Relax the {key} spread of {who} (maxSkew, whenUnsatisfiable: ScheduleAnyway) or add room in the domain with the fewest pods."),
            );
        }
    }
    true
}

struct Missing {
    node: String,
    /// Taints someone put there that the DaemonSet does not tolerate.
    taints: Vec<String>,
    /// The node's own state (NotReady, pressure, cordoned).
    troubles: Vec<&'static str>,
    /// nodeSelector labels the node lacks.
    unlabelled: Vec<String>,
}

/// Pods of a workload that are not ready, with no finding about them: their node.
pub(super) fn not_ready_pods(
    w: &mut Walk<'_>,
    subject: &ObjectRef,
    desired: i64,
    calls: Vec<String>,
) {
    let ns = subject.namespace.clone().unwrap_or_default();
    let pods: Vec<Value> = crate::planner::offline::subject::pods_of(w.obs, subject)
        .into_iter()
        .cloned()
        .collect();
    let not_ready: Vec<&Value> = pods.iter().filter(|p| !pod_ready(p)).collect();
    if not_ready.is_empty() {
        return;
    }
    let mut nodes: Vec<String> = not_ready
        .iter()
        .map(|p| sp(p, "/spec/nodeName").to_string())
        .filter(|n| !n.is_empty())
        .collect();
    nodes.sort();
    nodes.dedup();
    let mut c = calls;
    c.extend(w.obs.list_calls("Pod", Some(&ns)));
    w.link(
        format!(
            "{} {}: {}/{desired} pods ready; not ready: {}{}",
            subject.kind,
            subject.name,
            pods.len() - not_ready.len(),
            not_ready
                .iter()
                .map(|p| meta_name(p))
                .collect::<Vec<_>>()
                .join(", "),
            if nodes.is_empty() {
                String::new()
            } else {
                format!(" (on {})", nodes.join(", "))
            }
        ),
        c,
    );
    let refs: Vec<Value> = not_ready.iter().map(|p| (*p).clone()).collect();
    node_under(w, &refs, &format!("{} {ns}/{}", subject.kind, subject.name));
}

/// A workload whose pods are all ready, reached through a Service of its name that selects
/// none of them (a label renamed in the pod template, a typo in the selector): nothing
/// answers behind the Service.
pub(super) fn service_in_front(w: &mut Walk<'_>, subject: &ObjectRef) {
    let ns = subject.namespace.clone().unwrap_or_default();
    let name = subject.name.clone();
    let reason =
        format!("{name}'s pods are ready: does the Service in front of {name} select them?");
    if !matches!(w.need_list("services", "Service", &ns, reason), Have::Yes) {
        return;
    }
    let pods: Vec<Value> = crate::planner::offline::subject::pods_of(w.obs, subject)
        .into_iter()
        .cloned()
        .collect();
    if pods.is_empty() {
        return;
    }
    let services: Vec<Value> = w
        .obs
        .view
        .in_namespace("Service", &ns)
        .filter(|svc| {
            svc.pointer("/spec/selector")
                .and_then(Value::as_object)
                .is_some()
        })
        .cloned()
        .collect();
    let names: Vec<String> = services.iter().map(|s| meta_name(s).to_string()).collect();
    let front = if names.contains(&name) {
        Some(name.clone())
    } else {
        targets::closest(&name, &names)
    };
    let Some(svc) = front.and_then(|f| services.into_iter().find(|s| meta_name(s) == f)) else {
        return;
    };
    let Some(selector) = svc.pointer("/spec/selector").and_then(Value::as_object) else {
        return;
    };
    let selects = |p: &Value| {
        p.pointer("/metadata/labels")
            .is_some_and(|l| crate::analyze::util::map_selector_matches(selector, l))
    };
    // Another workload's pods may be what it selects: then it is not in front of this one.
    let selects_any = w.obs.view.in_namespace("Pod", &ns).any(&selects);
    if pods.iter().any(selects) || selects_any {
        return;
    }
    let svc_name = meta_name(&svc).to_string();
    let wanted: Vec<String> = selector
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    let theirs: Vec<String> = selector
        .keys()
        .map(|k| {
            let v = pods[0]
                .pointer(&format!(
                    "/metadata/labels/{}",
                    k.replace('~', "~0").replace('/', "~1")
                ))
                .and_then(Value::as_str);
            match v {
                Some(v) => format!("{k}={v}"),
                None => format!("no {k} label"),
            }
        })
        .collect();
    let calls = w.obs.list_calls("Service", Some(&ns));
    let pod_calls = w.obs.list_calls("Pod", Some(&ns));
    w.object(ObjectRef::new("Service", Some(&ns), &svc_name));
    w.link(
        format!("{} {name}: {} pod(s), all ready", subject.kind, pods.len()),
        pod_calls.clone(),
    );
    w.link(
        format!(
            "Service {svc_name} selects {}: no pod in {ns} carries that, so it has no endpoints",
            wanted.join(", ")
        ),
        calls,
    );
    w.found(
        format!(
            "the pods of {} {name} carry {}",
            subject.kind,
            theirs.join(", ")
        ),
        pod_calls,
        format!(
            "Service {ns}/{svc_name} selects no pod ({}), so it has no endpoints: the pods of {} {name} are ready but carry {}",
            wanted.join(", "),
            subject.kind,
            theirs.join(", ")
        ),
        format!(
            "Make spec.selector of Service {svc_name} match the pods' labels ({}), or put the labels it selects ({}) back on {} {name}'s pod template.",
            theirs.join(", "),
            wanted.join(", "),
            subject.kind
        ),
    );
}

#[cfg(test)]
mod started_tests {
    use super::started_line;

    #[test]
    fn another_components_port_is_not_the_probed_server() {
        let remoting = "2024-05-14 07:29:03,561 INFO  [dispatcher-5] a.r.a.ArteryTransport - Remoting started with transport [Artery tcp]; listening on address [akka://QuoteEngine@10.244.2.57:25520]";
        assert!(!started_line(remoting, Some(8080)));
        assert!(started_line(remoting, None));
        assert!(started_line(
            "12:00:01.200 INFO HTTP server listening on 0.0.0.0:8080",
            Some(8080)
        ));
        // A time of day is no port.
        assert!(started_line(
            "07:29:03 INFO server started in 3.1 s",
            Some(8080)
        ));
        assert!(!started_line(
            "INFO admin server listening on port 9901",
            Some(8080)
        ));
    }

    #[test]
    fn a_line_about_not_having_started_is_not_a_start() {
        assert!(started_line(
            "2026-01-04 10:00:02 INFO Started OrdersApplication in 41.2 seconds",
            Some(8080)
        ));
        assert!(started_line("[info] listening on 0.0.0.0:8080", None));
        assert!(!started_line(
            "INFO [SIGTERM handler] received SIGTERM, shutting down before HTTP server started",
            None
        ));
        assert!(!started_line(
            "WARN http server not started yet, still loading",
            None
        ));
        assert!(!started_line("INFO starting server on :8080", None));
    }
}

#[cfg(test)]
mod tests {
    use super::{Missing, grouped, ports_in, served_health_path, serving_elsewhere, waited_job};

    #[test]
    fn the_health_path_for_this_kind_of_probe() {
        // The readiness probe's /ready answers 200 most often; liveness is named /health.
        let log = r#"{"msg":"health checks registered","liveness":"/health","readiness":"/ready"}
10.244.1.1 - - "GET /ready HTTP/1.1" 200 15 "-" "kube-probe/1.20"
10.244.1.1 - - "GET /ready HTTP/1.1" 200 15 "-" "kube-probe/1.20"
10.244.1.1 - - "GET /healthz HTTP/1.1" 404 9 "-" "kube-probe/1.20"
"#;
        let got = served_health_path(log, "/healthz", "liveness", Some("/ready"));
        assert_eq!(got.map(|(p, _)| p).as_deref(), Some("/health"));
        // Untagged: the other probe's path is the last choice.
        let log = "GET /ready 200\nGET /ready 200\nGET /livez 200\nGET /healthz 404\n";
        let got = served_health_path(log, "/healthz", "liveness", Some("/ready"));
        assert_eq!(got.map(|(p, _)| p).as_deref(), Some("/livez"));
        let got = served_health_path("GET /ready 200\n", "/healthz", "liveness", Some("/ready"));
        assert_eq!(got.map(|(p, _)| p).as_deref(), Some("/ready"));
    }

    #[test]
    fn nodes_that_share_a_taint_are_said_once() {
        let node = |n: &str, t: &str| Missing {
            node: n.to_string(),
            taints: vec![t.to_string()],
            troubles: Vec::new(),
            unlabelled: Vec::new(),
        };
        let gpu: Vec<Missing> = (1..=7)
            .map(|i| node(&format!("gpu-{i}"), "nvidia.com/gpu=present:NoSchedule"))
            .chain([node("infra-1", "dedicated=infra:NoSchedule")])
            .collect();
        let refs: Vec<&Missing> = gpu.iter().collect();
        assert_eq!(
            grouped(&refs, |m| &m.taints, ("has taint", "have taint")),
            "gpu-1, gpu-2, gpu-3, gpu-4 and 3 more have taint nvidia.com/gpu=present:NoSchedule; infra-1 has taint dedicated=infra:NoSchedule"
        );
    }

    #[test]
    fn the_job_an_init_container_waits_for() {
        let log = "[2026-12-03 09:07:59] Waiting for job-wr orders-migrate-142...\n";
        assert_eq!(waited_job(log, ""), Some("orders-migrate-142".to_string()));
        assert_eq!(
            waited_job(
                "",
                "kubectl wait --for=condition=complete job/db-migrate --timeout=600s"
            ),
            Some("db-migrate".to_string())
        );
        assert_eq!(
            waited_job("", "k8s-wait-for job schema-init"),
            Some("schema-init".to_string())
        );
        // A host to wait for, a job word that is not a Job.
        assert_eq!(waited_job("waiting for postgres:5432", ""), None);
        assert_eq!(waited_job("", "sh -c 'echo job done; sleep 5'"), None);
    }

    #[test]
    fn ports_are_addresses_and_named_ports_not_source_locations() {
        assert_eq!(
            ports_in("statement-api-0 INFO [statement-api.main:58] - listening on port 8081"),
            vec![8081]
        );
        assert_eq!(
            ports_in("server.go:112: listening on 0.0.0.0:9090"),
            vec![9090]
        );
        assert_eq!(ports_in("Listening at http://localhost:3000"), vec![3000]);
        assert!(ports_in("2024-05-01 12:30:45 started in 3.2s").is_empty());
    }

    #[test]
    fn the_port_a_server_listens_on_is_read_from_its_start_line() {
        let log = "INFO [app.main:58] - listening on port 8081\nINFO metrics on :9102";
        assert_eq!(serving_elsewhere(log, 8080).map(|p| p.0), Some(8081));
        let log = "INFO Tomcat started on port 8080 (http)";
        assert_eq!(serving_elsewhere(log, 8080), None);
    }
}
