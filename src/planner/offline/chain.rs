//! Causal chains: from a finding (the symptom) upstream, link by link, to the deepest cause
//! the evidence supports. Each link is a fact read from a query's result; each step deeper
//! is a hypothesis tested by one more read-only query. The walk is re-run from the
//! transcript at every step (deterministic): where it needs a query it has not seen, it asks
//! for it; where a query failed, it stops and says what could not be checked.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::analyze::logline;
use crate::analyze::util::{arr, containers_with_status, int, meta_name, s, sp};
use crate::analyze::{Finding, ObjectRef};
use crate::planner::offline::Ask;
use crate::planner::offline::observe::Observed;
use crate::planner::offline::subject::workload_of;

mod address;
mod config_refs;
mod image_refs;
mod memory;
mod reach;
mod targets;
mod workloads;

/// Deepest chain followed (links).
const MAX_DEPTH: usize = 7;

/// One link: a fact, and the executions that show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub text: String,
    pub calls: Vec<String>,
}

/// A finding followed upstream.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// The cause in one line (the deepest link's wording, stated as a cause).
    pub cause: String,
    /// Symptom first, cause last.
    pub links: Vec<Link>,
    pub remediation: String,
    /// Queries the walk needs to go deeper.
    pub asks: Vec<Ask>,
    /// Queries that failed or did not run.
    pub unchecked: Vec<crate::protocol::Unchecked>,
    /// Objects on the chain (the symptom's object first, the cause's last).
    pub objects: Vec<ObjectRef>,
    /// The cause is shown directly (a log line, a missing object, a message), not inferred.
    pub decisive: bool,
}

/// Whether what a link needs is at hand.
pub(super) enum Have {
    Yes,
    /// Asked for; the walk stops here for now.
    Asked,
    /// Failed or declined: the walk stops here for good.
    No,
}

/// The walk's state.
pub(super) struct Walk<'a> {
    pub obs: &'a Observed,
    pub chain: Chain,
    seen: BTreeSet<String>,
}

impl<'a> Walk<'a> {
    fn new(obs: &'a Observed) -> Self {
        Self {
            obs,
            chain: Chain::default(),
            seen: BTreeSet::new(),
        }
    }

    /// Add a link.
    pub fn link(&mut self, text: impl Into<String>, calls: Vec<String>) {
        let text = text.into();
        if self.chain.links.iter().any(|l| l.text == text) {
            return;
        }
        self.chain.links.push(Link { text, calls });
    }

    /// State the cause (the last link) and what to do.
    pub fn cause(&mut self, cause: impl Into<String>, remediation: impl Into<String>) {
        self.chain.cause = cause.into();
        self.chain.remediation = remediation.into();
    }

    /// A link that shows the cause directly (a missing object, a key that is not there, a
    /// log line), and that cause.
    pub fn found(
        &mut self,
        text: impl Into<String>,
        calls: Vec<String>,
        cause: impl Into<String>,
        remediation: impl Into<String>,
    ) {
        self.link(text, calls);
        self.chain.decisive = true;
        self.cause(cause, remediation);
    }

    /// Is `resource` listed in `ns`? (Asked for, or noted as failed, when not.)
    pub fn listed(&mut self, resource: &str, kind: &str, ns: &str, reason: String) -> bool {
        matches!(self.need_list(resource, kind, ns, reason), Have::Yes)
    }

    pub fn object(&mut self, o: ObjectRef) {
        if !self.chain.objects.contains(&o) {
            self.chain.objects.push(o);
        }
    }

    /// Does a command's result exist? Otherwise ask for it (or note that it failed).
    pub fn need(&mut self, cmd: String, reason: String, hypothesis: String) -> Have {
        if self.obs.answered(&cmd) {
            return Have::Yes;
        }
        if let Some(u) = self.obs.unchecked(&cmd) {
            if !self.chain.unchecked.contains(&u) {
                self.chain.unchecked.push(u);
            }
            return Have::No;
        }
        if !self.chain.asks.iter().any(|a| a.command == cmd) {
            self.chain.asks.push(Ask {
                command: cmd,
                reason,
                hypothesis,
            });
        }
        Have::Asked
    }

    /// Is `resource` listed in `ns` (or everywhere)? Otherwise ask for the list.
    pub fn need_list(&mut self, resource: &str, kind: &str, ns: &str, reason: String) -> Have {
        if self.obs.view.is_listed(kind, Some(ns)) {
            return Have::Yes;
        }
        let hypothesis = reason.clone();
        self.need(format!("get {resource} -n {ns}"), reason, hypothesis)
    }

    /// Is a cluster-scoped kind listed? Otherwise ask for it.
    pub fn need_cluster_list(&mut self, resource: &str, kind: &str, reason: String) -> Have {
        if self.obs.view.is_listed(kind, None) {
            return Have::Yes;
        }
        let hypothesis = reason.clone();
        self.need(format!("get {resource}"), reason, hypothesis)
    }

    /// Visit an object once (no loops through Services and pods).
    fn first_visit(&mut self, key: String) -> bool {
        self.seen.insert(key) && self.chain.links.len() < MAX_DEPTH
    }
}

/// Follow a finding upstream.
pub fn follow(f: &Finding, obs: &Observed) -> Chain {
    let mut w = Walk::new(obs);
    w.object(f.object.clone());
    from_finding(&mut w, f, 0);
    // A pod of a rollout that does not finish: the Deployment's state is the first link.
    if let Some(l) = rollout_link(obs, f) {
        w.chain.links.insert(0, l);
    }
    if w.chain.cause.is_empty() && w.chain.asks.is_empty() {
        w.cause(finding_cause(f), f.remediation.clone());
    }
    if w.chain.links.is_empty() {
        let calls = w.obs.object_calls(
            &f.object.kind,
            f.object.namespace.as_deref().unwrap_or(""),
            &f.object.name,
        );
        w.link(format!("{}: {}", f.object.short(), f.title), calls);
    }
    w.chain
}

/// `Deployment d: rollout not finished (1/3 updated, 2 available)` for a failing pod of a new
/// ReplicaSet while the Deployment still runs older ones.
fn rollout_link(obs: &Observed, f: &Finding) -> Option<Link> {
    if f.object.kind != "Pod" || f.analyzer == "rollout" {
        return None;
    }
    let ns = f.object.namespace.as_deref()?;
    let pod = obs.view.get("Pod", ns, &f.object.name)?;
    let (kind, name) = workload_of(pod)?;
    if kind != "Deployment" {
        return None;
    }
    let d = obs.view.get("Deployment", ns, &name)?;
    let replicas = int(d, "/spec/replicas").unwrap_or(1);
    let updated = int(d, "/status/updatedReplicas").unwrap_or(0);
    let available = int(d, "/status/availableReplicas").unwrap_or(0);
    let rs_of = |p: &Value| {
        crate::analyze::util::arr(p, "/metadata/ownerReferences")
            .iter()
            .find(|o| s(o, "kind") == "ReplicaSet")
            .map(|o| s(o, "name").to_string())
    };
    let mine = rs_of(pod)?;
    let older: Vec<&Value> = obs
        .view
        .in_namespace("Pod", ns)
        .filter(|p| {
            workload_of(p).is_some_and(|(k, n)| k == "Deployment" && n == name)
                && rs_of(p).is_some_and(|r| r != mine)
        })
        .collect();
    if older.is_empty() || updated >= replicas && available >= replicas {
        return None;
    }
    let old_ready = older
        .iter()
        .filter(|p| crate::analyze::util::pod_ready(p))
        .count();
    let mut calls = obs.object_calls("Deployment", ns, &name);
    calls.extend(obs.list_calls("Pod", Some(ns)));
    calls.dedup();
    Some(Link {
        text: format!(
            "Deployment {name}: rollout not finished ({updated}/{replicas} updated, {available} available): pod {} of the new ReplicaSet {mine} fails while {old_ready} pod(s) of the old one still serve",
            f.object.name
        ),
        calls,
    })
}

/// End a chain where the evidence ends (the session concludes now): a chain still waiting for
/// a query states its finding as the cause.
pub fn settle(c: &mut Chain, f: &Finding) {
    if c.cause.is_empty() {
        c.cause = finding_cause(f);
        c.remediation = f.remediation.clone();
    }
    c.asks.clear();
}

/// Calls that show an object, else the lists of its kind.
pub(super) fn calls_of(obs: &Observed, kind: &str, ns: &str, name: &str) -> Vec<String> {
    let c = obs.object_calls(kind, ns, name);
    if !c.is_empty() {
        return c;
    }
    obs.list_calls(kind, (!ns.is_empty()).then_some(ns))
}

/// Evidence lines of a finding that say what happened (not restart counts).
fn telling(f: &Finding) -> Vec<String> {
    f.evidence
        .iter()
        .filter(|e| !e.starts_with("restart count") && !e.starts_with("same problem on pods"))
        .take(2)
        .cloned()
        .collect()
}

pub(super) fn from_finding(w: &mut Walk<'_>, f: &Finding, depth: usize) {
    let ns = f.object.namespace.clone().unwrap_or_default();
    if !w.first_visit(format!(
        "{}/{ns}/{}/{}",
        f.object.kind, f.object.name, f.analyzer
    )) {
        return;
    }
    let calls = calls_of(w.obs, &f.object.kind, &ns, &f.object.name);
    match (f.analyzer.as_str(), f.object.kind.as_str()) {
        ("crashloop", "Pod") => {
            let pod = w.obs.view.get("Pod", &ns, &f.object.name).cloned();
            w.link(format!("pod {}: {}", f.object.name, f.title), calls);
            if let Some(pod) = pod {
                workloads::crashing_pod(w, &pod, f, depth);
            }
        }
        ("probes", "Pod") => {
            let pod = w.obs.view.get("Pod", &ns, &f.object.name).cloned();
            w.link(format!("pod {}: {}", f.object.name, f.title), calls);
            if let Some(pod) = pod {
                workloads::probe(w, &pod, f);
            }
        }
        ("oom", "Pod") => {
            let pod = w.obs.view.get("Pod", &ns, &f.object.name).cloned();
            w.link(format!("pod {}: {}", f.object.name, f.title), calls);
            if let Some(pod) = pod {
                workloads::oom(w, &pod, f);
            }
        }
        ("init-containers", "Pod") => {
            let pod = w.obs.view.get("Pod", &ns, &f.object.name).cloned();
            w.link(format!("pod {}: {}", f.object.name, f.title), calls);
            if let Some(pod) = pod {
                workloads::init(w, &pod, f, depth);
            }
        }
        ("pending", "Pod") => {
            let pod = w.obs.view.get("Pod", &ns, &f.object.name).cloned();
            w.link(format!("pod {}: {}", f.object.name, f.title), calls);
            if let Some(pod) = pod {
                workloads::pending(w, &pod, f);
            }
        }
        ("job", "Job") | ("cronjob", _) => {
            w.link(format!("{}: {}", f.object.short(), f.title), calls);
            workloads::job(w, f, depth);
        }
        ("rollout", _) => {
            w.link(format!("{}: {}", f.object.short(), f.title), calls);
            workloads::rollout(w, f, depth);
        }
        ("node", "Node") if depth == 0 && !stranded_on(w.obs, &f.object.name).is_empty() => {
            let pods = stranded_on(w.obs, &f.object.name);
            let names: Vec<String> = pods.iter().map(|p| meta_name(p).to_string()).collect();
            let mut owners: Vec<String> = pods.iter().map(|p| owner_words(w.obs, p)).collect();
            owners.dedup();
            let mut pod_calls = Vec::new();
            for p in &pods {
                let pns = sp(p, "/metadata/namespace");
                pod_calls.extend(calls_of(w.obs, "Pod", pns, meta_name(p)));
            }
            pod_calls.dedup();
            w.link(
                format!(
                    "pod(s) {} ({}) run on node {} and are not ready",
                    names.join(", "),
                    owners.join(", "),
                    f.object.name
                ),
                pod_calls,
            );
            let t = telling(f);
            w.found(
                format!("node {}: {}{}", f.object.name, f.title, parenthesized(&t, "; ")),
                calls,
                format!(
                    "{} has pod(s) not ready because they run on node {}: {}{}",
                    owners.join(", "),
                    f.object.name,
                    f.title,
                    parenthesized(&t, "; ")
                ),
                format!(
                    "{} The pods of {} come back once node {} does, or once it is drained so they are rescheduled elsewhere.",
                    f.remediation,
                    owners.join(", "),
                    f.object.name
                ),
            );
        }
        ("node", "Node") if depth == 0 && !evicted_from(w.obs, &f.object.name).is_empty() => {
            let pods = evicted_from(w.obs, &f.object.name);
            let mut owners: Vec<String> = pods.iter().map(|p| owner_words(w.obs, p)).collect();
            owners.sort();
            owners.dedup();
            let mut pod_calls = Vec::new();
            for p in &pods {
                pod_calls.extend(calls_of(
                    w.obs,
                    "Pod",
                    sp(p, "/metadata/namespace"),
                    meta_name(p),
                ));
            }
            pod_calls.dedup();
            let names: Vec<&str> = pods.iter().map(meta_name).collect();
            w.link(
                format!(
                    "pod(s) {} ({}) were evicted from node {}: {}",
                    names.join(", "),
                    owners.join(", "),
                    f.object.name,
                    crate::analyze::util::cut(sp(&pods[0], "/status/message"), 160)
                ),
                pod_calls,
            );
            let t = telling(f);
            w.found(
                format!("node {}: {}{}", f.object.name, f.title, parenthesized(&t, "; ")),
                calls,
                format!(
                    "{}: pod(s) evicted because node {} {}",
                    owners.join(", "),
                    f.object.name,
                    f.title.trim_start_matches("node ")
                ),
                format!(
                    "{} Then set requests/limits on {} so it is placed where it fits; the evicted pods can be deleted once understood.",
                    f.remediation,
                    owners.join(", ")
                ),
            );
        }
        // An ingress rule for a label only a relabelled caller resembles: the caller's own log
        // shows what it cannot reach (the Service, its ready endpoints, the policy between).
        ("network-policy", "NetworkPolicy")
            if f.related.first().is_some_and(|r| r.kind == "Pod") =>
        {
            let caller = f.related.first().and_then(|r| {
                w.obs
                    .view
                    .get("Pod", r.namespace.as_deref().unwrap_or(&ns), &r.name)
                    .cloned()
            });
            if let Some(pod) = caller
                && let Some(spec) = arr(&pod, "/spec/containers").first().cloned()
            {
                let who = owner_words(w.obs, &pod);
                if follow_dependency(
                    w,
                    &pod,
                    &spec,
                    &format!("{who} fails"),
                    format!(
                        "NetworkPolicy {} may leave out {who}: does its log show connections that time out?",
                        f.object.name
                    ),
                    format!(
                        "{who} cannot reach the pods NetworkPolicy {} isolates",
                        f.object.name
                    ),
                ) {
                    return;
                }
            }
            w.link(format!("{}: {}", f.object.short(), f.title), calls);
            w.chain.decisive = true;
            w.cause(finding_cause(f), f.remediation.clone());
        }
        ("service", "Service") => {
            w.link(format!("service {}: {}", f.object.name, f.title), calls);
            targets::service_backends(w, &ns, &f.object.name, depth);
        }
        (analyzer @ ("image-pull" | "container-config"), "Pod") => {
            // What the pod's spec references (pull secrets, ConfigMaps, Secrets), read.
            let follow = if analyzer == "image-pull" {
                image_refs::follow
            } else {
                config_refs::follow
            };
            let pod = w.obs.view.get("Pod", &ns, &f.object.name).cloned();
            w.link(format!("pod {}: {}", f.object.name, f.title), calls);
            let followed = pod.as_ref().is_some_and(|p| follow(w, p, f, &ns));
            if !followed && w.chain.cause.is_empty() {
                w.chain.decisive = true;
                w.cause(finding_cause(f), f.remediation.clone());
            }
        }
        _ => {
            let mut text = format!("{}: {}", f.object.short(), f.title);
            let t = telling(f);
            if !t.is_empty() {
                text.push_str(&format!(" ({})", t.join("; ")));
            }
            w.link(text, calls);
            w.chain.decisive = f.evidence.iter().any(|e| {
                e.contains("does not exist") || e.contains("has no key") || e.starts_with("log:")
            }) || f.severity == crate::analyze::Severity::Critical;
            w.cause(finding_cause(f), f.remediation.clone());
        }
    }
}

/// Pods (of the namespaces seen) on a node that are not ready and not finished.
fn stranded_on(obs: &Observed, node: &str) -> Vec<Value> {
    obs.view
        .all("Pod")
        .filter(|p| {
            sp(p, "/spec/nodeName") == node
                && !crate::analyze::util::pod_ready(p)
                && !matches!(sp(p, "/status/phase"), "Succeeded" | "Failed")
        })
        .cloned()
        .collect()
}

/// Pods (of the namespaces seen) the kubelet evicted from a node.
fn evicted_from(obs: &Observed, node: &str) -> Vec<Value> {
    obs.view
        .all("Pod")
        .filter(|p| {
            sp(p, "/spec/nodeName") == node
                && sp(p, "/status/phase") == "Failed"
                && sp(p, "/status/reason") == "Evicted"
        })
        .cloned()
        .collect()
}

/// A finding stated as a cause, with its telling evidence.
fn finding_cause(f: &Finding) -> String {
    let t = telling(f);
    let mut s = format!("{} {}: {}", f.object.kind, qualified(&f.object), f.title);
    if !t.is_empty() {
        s.push_str(&format!(" ({})", t.join("; ")));
    }
    s
}

/// ` (a, b)` for a non-empty list, else nothing.
pub(super) fn parenthesized(items: &[String], sep: &str) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!(" ({})", items.join(sep))
    }
}

/// The keys an object holds, in words: `no keys`, `key a`, `keys a, b`.
pub(super) fn holds(keys: &[String]) -> String {
    match keys {
        [] => "no keys".to_string(),
        [one] => format!("key {one}"),
        many => format!("keys {}", many.join(", ")),
    }
}

pub(super) fn qualified(o: &ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{ns}/{}", o.name),
        None => o.name.clone(),
    }
}

/// Lines of a container's log read first.
const LOG_TAIL: usize = 50;
/// Lines read when the first ones do not name what failed.
const LONG_LOG_TAIL: usize = 300;

/// The container's log to read for the run that failed: previous when it restarted.
pub(super) fn log_command(pod: &Value, container: &str, previous: bool) -> String {
    log_command_tail(pod, container, previous, LOG_TAIL)
}

fn log_command_tail(pod: &Value, container: &str, previous: bool, tail: usize) -> String {
    let ns = sp(pod, "/metadata/namespace");
    format!(
        "logs {} -n {ns} -c {container}{} --tail {tail}",
        meta_name(pod),
        if previous { " --previous" } else { "" }
    )
}

/// A decisive line that reports a failed lookup or connection without naming the host.
fn unnamed_network_failure(d: &logline::Decisive) -> bool {
    let unnamed = match d.names.as_slice() {
        [] => true,
        [logline::Named::Unresolved { host }] => host.is_empty(),
        _ => false,
    };
    unnamed
        && regex::Regex::new(
            r"(?i)not known|no such host|could not resolve|failed to resolve|getaddrinfo|ENOTFOUND|EAI_AGAIN|nxdomain|temporary failure in name resolution|connection refused|ECONNREFUSED|timed? ?out|unreachable|could not connect|cannot connect|failed to connect",
        )
        .is_ok_and(|r| r.is_match(&d.line))
}

/// Read a container's log (asking for it first), then follow its decisive line.
/// Returns false when the log is not at hand yet or had nothing decisive.
pub(super) fn follow_log(
    w: &mut Walk<'_>,
    pod: &Value,
    container: &str,
    previous: bool,
    depth: usize,
) -> bool {
    let ns = sp(pod, "/metadata/namespace").to_string();
    let name = meta_name(pod).to_string();
    let cmd = log_command(pod, container, previous);
    let have = w.need(
        cmd.clone(),
        format!(
            "read {} log of {name}/{container} for the line that explains the failure",
            if previous {
                "the previous container's"
            } else {
                "the"
            }
        ),
        format!("the log of {name}/{container} names the cause"),
    );
    if !matches!(have, Have::Yes) {
        return false;
    }
    // The text of this very command: a log someone else fetched (another tail, another
    // instance) can hold a different decisive line.
    let Some((mut log, mut calls)) = w.obs.log_for(&cmd, &ns, &name, container, previous) else {
        return false;
    };
    // A failed lookup or connection whose host the last lines do not name (a traceback
    // that fills the tail): the lines before them do, so read more of the log.
    if log.lines().count() >= LOG_TAIL
        && logline::decisive(log).is_some_and(|d| unnamed_network_failure(&d))
    {
        let longer = log_command_tail(pod, container, previous, LONG_LOG_TAIL);
        let have = w.need(
            longer.clone(),
            format!(
                "the last {LOG_TAIL} lines of {name}/{container}'s log say a connection or lookup failed but not to what: reading the last {LONG_LOG_TAIL} lines"
            ),
            format!("earlier lines of {name}/{container}'s log name the host it failed to reach"),
        );
        match have {
            Have::Yes => {
                if let Some((l, c)) = w.obs.log_for(&longer, &ns, &name, container, previous) {
                    (log, calls) = (l, c);
                }
            }
            Have::Asked => return false,
            Have::No => {}
        }
    }
    let Some(d) = logline::decisive(log) else {
        let last = log
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        w.link(
            format!(
                "log of {name}/{container}: no error line; it ends with: {}",
                last.trim()
            ),
            calls,
        );
        return false;
    };
    let mut text = format!("log of {name}/{container}: {}", d.line);
    if let Some(c) = &d.context {
        text.push_str(&format!(" — after: {c}"));
    }
    w.link(text, calls);
    w.chain.decisive = true;
    let spec = containers_with_status(pod, false)
        .into_iter()
        .chain(containers_with_status(pod, true))
        .map(|(sp, _)| sp.clone())
        .find(|c| s(c, "name") == container)
        .unwrap_or(Value::Null);
    let line = d.line.clone();
    let first = d.names.first().cloned();
    match first {
        Some(named) => targets::follow_named(w, pod, &spec, &named, &line, depth),
        None => {
            if targets::optional_ref_gap(w, pod, &spec, &ns, &line) {
                return true;
            }
            let who = owner_words(w.obs, pod);
            let doing = d
                .context
                .as_ref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            // Which container, when it is not the main one; the Job's own verdict.
            let init = arr(pod, "/spec/initContainers")
                .iter()
                .any(|c| s(c, "name") == container);
            let failed_job = workload_of(pod)
                .filter(|(k, _)| k == "Job")
                .and_then(|(_, j)| w.obs.view.get("Job", &ns, &j))
                .and_then(|j| {
                    arr(j, "/status/conditions")
                        .iter()
                        .find(|c| s(c, "type") == "Failed" && s(c, "status") == "True")
                        .map(|c| s(c, "reason").to_string())
                })
                .filter(|r| !r.is_empty());
            let subject = match (init, failed_job) {
                (true, _) => format!("{who}: init container {container} exits"),
                (false, Some(reason)) => format!("{who} failed ({reason}): its pods exit"),
                (false, None) => format!("{who} exits"),
            };
            w.cause(
                format!("{subject}: {line}{doing}"),
                match database_grant(&line, &spec)
                    .or_else(|| missing_module_fix(w.obs, pod, &spec, &line))
                {
                    Some(fix) => fix,
                    None => format!(
                        "Fix what the log reports ({line}); the log is from `{}`.",
                        log_command(pod, container, previous)
                    ),
                },
            );
        }
    }
    true
}

/// A module or class the program cannot load (`Can't locate Text/CSV_XS.pm in @INC`,
/// `ModuleNotFoundError: No module named 'x'`, `Cannot find module 'x'`, `cannot load such
/// file -- x`, `ClassNotFoundException: x`): the image lacks it. Names the image, and the one
/// another pod of the same workload ran fine with, when klue saw one.
fn missing_module_fix(obs: &Observed, pod: &Value, spec: &Value, line: &str) -> Option<String> {
    let r = regex::Regex::new(
        r#"(?i)(?:can't locate (\S+?)\.pm in @INC|no module named '?([\w.]+)'?|cannot find module '([^']+)'|cannot load such file -- (\S+)|(?:ClassNotFoundException|NoClassDefFoundError): ([\w.$/]+))"#,
    )
    .ok()?;
    let c = r.captures(line)?;
    let module = (1..=5)
        .find_map(|i| c.get(i))
        .map(|m| m.as_str().replace('/', "::"))?;
    let image = s(spec, "image");
    let container = s(spec, "name");
    let (kind, owner) = workload_of(pod).unwrap_or_default();
    let ns = sp(pod, "/metadata/namespace");
    // Another pod of the same workload (a CronJob's earlier Jobs too) that ran this container
    // with another image and did not fail.
    let cron_of = |p: &Value| {
        workload_of(p).and_then(|(k, n)| {
            (k == "Job")
                .then(|| obs.view.get("Job", ns, &n))
                .flatten()
                .and_then(|j| crate::analyze::util::owner(j))
                .map(|(_, c)| c.to_string())
        })
    };
    let mine = cron_of(pod).unwrap_or_else(|| owner.clone());
    let worked = obs
        .view
        .in_namespace("Pod", ns)
        .filter(|p| meta_name(p) != meta_name(pod))
        .filter(|p| {
            cron_of(p).unwrap_or_else(|| workload_of(p).map(|(_, n)| n).unwrap_or_default()) == mine
        })
        .filter(|p| sp(p, "/status/phase") == "Succeeded" || crate::analyze::util::pod_ready(p))
        .find_map(|p| {
            arr(p, "/spec/containers")
                .iter()
                .find(|c| s(c, "name") == container && s(c, "image") != image)
                .map(|c| s(c, "image").to_string())
        });
    let what = if kind.is_empty() {
        "the pod".to_string()
    } else {
        format!("{kind} {owner}")
    };
    Some(match worked {
        Some(old) => format!(
            "The image {image} of container {container} lacks {module}; pods of the same workload ran fine with {old}. Add {module} to the image (or go back to {old} in {what}'s pod template)."
        ),
        None => format!(
            "The image {image} of container {container} lacks {module}: add it to the image (its dependencies or build), or use an image that has it."
        ),
    })
}

/// A database refusing a statement for lack of privileges (`permission denied for schema
/// public`): the grant to ask for, naming the user the container logs in as when its env says
/// (`*_USER`, `*_USERNAME` with a plain value).
fn database_grant(line: &str, spec: &Value) -> Option<String> {
    let r = regex::Regex::new(
        r"(?i)permission denied for (schema|table|relation|database|sequence|function) ([\w.\x22]+)",
    )
    .ok()?;
    let c = r.captures(line)?;
    let (what, name) = (c[1].to_lowercase(), c[2].trim_matches('"').to_string());
    let user = crate::analyze::util::arr(spec, "/env")
        .iter()
        .find_map(|e| {
            let n = s(e, "name").to_ascii_uppercase();
            let v = s(e, "value");
            ((n.ends_with("_USER") || n.ends_with("_USERNAME") || n == "PGUSER") && !v.is_empty())
                .then(|| (s(e, "name").to_string(), v.to_string()))
        });
    let privilege = match what.as_str() {
        "schema" => "CREATE, USAGE",
        "database" => "CONNECT, CREATE",
        "table" | "relation" => "SELECT, INSERT, UPDATE, DELETE",
        "sequence" => "USAGE, SELECT",
        _ => "EXECUTE",
    };
    Some(match user {
        Some((var, u)) => format!(
            "The database user {u} (env {var}) lacks privileges on {what} {name}: as the {what}'s owner or an admin, GRANT {privilege} ON {} {name} TO {u}; or run the job as the user that owns it.",
            what.to_uppercase()
        ),
        None => format!(
            "The database user the container logs in as lacks privileges on {what} {name}: GRANT {privilege} ON {} {name} TO that user (as the {what}'s owner or an admin).",
            what.to_uppercase()
        ),
    })
}

/// The pod's workload in words, for causes: `Deployment shop/checkout`; the CronJob for a pod
/// of one of its Jobs (every run fails the same way: one cause, not one per Job).
pub(super) fn owner_words(obs: &Observed, pod: &Value) -> String {
    let ns = sp(pod, "/metadata/namespace");
    match workload_of(pod) {
        Some((k, n)) if k == "Job" => {
            let cron = obs.view.get("Job", ns, &n).and_then(|j| {
                crate::analyze::util::arr(j, "/metadata/ownerReferences")
                    .iter()
                    .find(|o| s(o, "kind") == "CronJob")
                    .map(|o| s(o, "name").to_string())
            });
            match cron {
                Some(c) => format!("CronJob {ns}/{c}"),
                None => format!("Job {ns}/{n}"),
            }
        }
        Some((k, n)) => format!("{k} {ns}/{n}"),
        None => format!("Pod {ns}/{}", meta_name(pod)),
    }
}

/// Restart count of a container status.
pub(super) fn restarts(st: Option<&Value>) -> i64 {
    st.and_then(|s| int(s, "/restartCount")).unwrap_or(0)
}

/// A chain for a subject no finding is about: a DaemonSet short of nodes (taints against
/// tolerations), pods not ready on a node that is not (the node), a Deployment scaled to 0.
/// A chain with neither a cause nor a query to ask only carries what could not be checked.
///
/// `reports_failure`: the engineer reports the subject failing (rather than asking whether it
/// is healthy): when its pods are ready, their log may name the dependency that fails.
pub fn subject_chain(obs: &Observed, subject: &ObjectRef, reports_failure: bool) -> Option<Chain> {
    let mut w = Walk::new(obs);
    w.object(subject.clone());
    let ns = subject.namespace.clone().unwrap_or_default();
    let obj = obs.view.get(&subject.kind, &ns, &subject.name)?.clone();
    let calls = calls_of(obs, &subject.kind, &ns, &subject.name);
    match subject.kind.as_str() {
        "DaemonSet" => workloads::daemonset(&mut w, &obj, calls),
        "Deployment" | "StatefulSet" => {
            let desired = int(&obj, "/spec/replicas").unwrap_or(1);
            if desired == 0 {
                w.link(
                    format!("{} {} is scaled to 0 replicas", subject.kind, subject.name),
                    calls,
                );
                w.cause(
                    format!(
                        "{} {ns}/{} runs no pods: it is scaled to 0 replicas",
                        subject.kind, subject.name
                    ),
                    format!(
                        "If it should run, scale it up (spec.replicas of {} {}).",
                        subject.kind, subject.name
                    ),
                );
                w.chain.decisive = true;
            } else {
                workloads::not_ready_pods(&mut w, subject, desired, calls);
                if w.chain.cause.is_empty() && w.chain.asks.is_empty() {
                    workloads::service_in_front(&mut w, subject);
                }
                if reports_failure && w.chain.cause.is_empty() && w.chain.asks.is_empty() {
                    dependency_in_log(&mut w, subject);
                }
            }
        }
        _ => return None,
    }
    // A check that could not be made (a log not readable) is said, even with nothing found.
    (!w.chain.cause.is_empty() || !w.chain.asks.is_empty() || !w.chain.unchecked.is_empty())
        .then_some(w.chain)
}

/// A workload whose pods are ready while the engineer sees it fail: the log of one of them
/// may name a dependency it keeps failing to reach (a front end whose backend is down keeps
/// serving and logs the failure). Followed only when the walk from that host reaches a
/// failure of its own (no such Service, a Service without ready endpoints and why), so an
/// error a healthy namespace logs now and then is not a finding.
fn dependency_in_log(w: &mut Walk<'_>, subject: &ObjectRef) {
    let mut pods: Vec<Value> = crate::planner::offline::subject::pods_of(w.obs, subject)
        .into_iter()
        .filter(|p| crate::analyze::util::pod_ready(p))
        .cloned()
        .collect();
    pods.sort_by(|a, b| meta_name(a).cmp(meta_name(b)));
    let Some(pod) = pods.first() else {
        return;
    };
    let Some(spec) = arr(pod, "/spec/containers").first().cloned() else {
        return;
    };
    let pod = pod.clone();
    let effect = format!("{} fails", owner_words(w.obs, &pod));
    follow_dependency(
        w,
        &pod,
        &spec,
        &effect,
        format!(
            "{} {} is ready, yet the symptom reports it failing: does its log name a dependency it cannot reach?",
            subject.kind, subject.name
        ),
        format!("{} fails because a dependency it calls fails", subject.name),
    );
}

/// The current log of a running container, for a dependency its error lines keep failing to
/// reach; the walk from that host kept only when it reaches a failure of its own (no such
/// Service, a Service without ready endpoints and why, a policy that drops the traffic).
/// True when the walk was kept (a cause, or a query it still needs). `effect` is what the
/// engineer sees of it (`Deployment shop/worker never becomes ready`), for the cause.
pub(super) fn follow_dependency(
    w: &mut Walk<'_>,
    pod: &Value,
    spec: &Value,
    effect: &str,
    reason: String,
    hypothesis: String,
) -> bool {
    let container = s(spec, "name").to_string();
    let name = meta_name(pod).to_string();
    let ns = sp(pod, "/metadata/namespace").to_string();
    let cmd = log_command_tail(pod, &container, false, LONG_LOG_TAIL);
    match w.need(cmd.clone(), reason, hypothesis) {
        Have::Yes => {}
        Have::Asked => return true,
        Have::No => return false,
    }
    let Some((log, calls)) = w.obs.log_for(&cmd, &ns, &name, &container, false) else {
        return false;
    };
    let Some(dep) = logline::failing_dependency(log) else {
        return false;
    };
    let mut trial = Walk::new(w.obs);
    trial.chain = w.chain.clone();
    trial.seen = w.seen.clone();
    trial.link(
        format!(
            "log of {name}/{container}: {} ({} such lines)",
            dep.line, dep.count
        ),
        calls,
    );
    targets::follow_named(&mut trial, pod, spec, &dep.named, &dep.line, 1);
    if !trial.chain.asks.is_empty() || (trial.chain.decisive && !trial.chain.cause.is_empty()) {
        // The cause found downstream, said as the reason for what the engineer sees.
        let who = owner_words(w.obs, pod);
        if !trial.chain.cause.is_empty() && !trial.chain.cause.contains(&who) {
            let host = match &dep.named {
                logline::Named::Unreachable { host, .. } | logline::Named::Unresolved { host } => {
                    host.clone()
                }
                _ => String::new(),
            };
            trial.chain.cause = format!(
                "{effect} because it cannot reach {host}: {}",
                trial.chain.cause
            );
        }
        w.chain = trial.chain;
        w.seen = trial.seen;
        return true;
    }
    false
}
