//! Causal chains: from a finding (the symptom) upstream, link by link, to the deepest cause
//! the evidence supports. Each link is a fact read from a query's result; each step deeper
//! is a hypothesis tested by one more read-only query. The walk is re-run from the
//! transcript at every step (deterministic): where it needs a query it has not seen, it asks
//! for it; where a query failed, it stops and says what could not be checked.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::analyze::logline;
use crate::analyze::util::{containers_with_status, int, meta_name, s, sp};
use crate::analyze::{Finding, ObjectRef};
use crate::planner::offline::Ask;
use crate::planner::offline::observe::Observed;
use crate::planner::offline::subject::workload_of;

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
        ("service", "Service") => {
            w.link(format!("service {}: {}", f.object.name, f.title), calls);
            targets::service_backends(w, &ns, &f.object.name, depth);
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

/// A finding stated as a cause, with its telling evidence.
fn finding_cause(f: &Finding) -> String {
    let t = telling(f);
    let mut s = format!("{} {}: {}", f.object.kind, qualified(&f.object), f.title);
    if !t.is_empty() {
        s.push_str(&format!(" ({})", t.join("; ")));
    }
    s
}

pub(super) fn qualified(o: &ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{ns}/{}", o.name),
        None => o.name.clone(),
    }
}

/// The container's log to read for the run that failed: previous when it restarted.
pub(super) fn log_command(pod: &Value, container: &str, previous: bool) -> String {
    let ns = sp(pod, "/metadata/namespace");
    format!(
        "logs {} -n {ns} -c {container}{} --tail 50",
        meta_name(pod),
        if previous { " --previous" } else { "" }
    )
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
        cmd,
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
    let Some(log) = w.obs.view.log(&ns, &name, container, previous) else {
        return false;
    };
    let calls = w.obs.log_calls(&ns, &name, container);
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
            w.cause(
                format!("{} exits: {line}", owner_words(pod)),
                format!(
                    "Fix what the log reports ({line}); the log is from `{}`.",
                    log_command(pod, container, previous)
                ),
            );
        }
    }
    true
}

/// The pod's workload in words, for causes: `Deployment shop/checkout`.
pub(super) fn owner_words(pod: &Value) -> String {
    let ns = sp(pod, "/metadata/namespace");
    match workload_of(pod) {
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
pub fn subject_chain(obs: &Observed, subject: &ObjectRef) -> Option<Chain> {
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
            }
        }
        _ => return None,
    }
    (!w.chain.cause.is_empty() || !w.chain.asks.is_empty()).then_some(w.chain)
}
