//! What the offline planner has observed: the objects and logs returned by the queries run so
//! far (from the transcript), as a [`ClusterView`], and which query showed what.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::analyze::ClusterView;
use crate::analyze::view::LogKey;
use crate::planner::{Action, Outcome, Transcript, TranscriptEntry};

/// Resource (as typed in commands) → kind, and whether it is namespaced.
pub const RESOURCES: &[(&str, &str, bool)] = &[
    ("pods", "Pod", true),
    ("events", "Event", true),
    ("deployments", "Deployment", true),
    ("replicasets", "ReplicaSet", true),
    ("statefulsets", "StatefulSet", true),
    ("daemonsets", "DaemonSet", true),
    ("services", "Service", true),
    ("endpoints", "Endpoints", true),
    ("ingresses", "Ingress", true),
    ("jobs", "Job", true),
    ("cronjobs", "CronJob", true),
    ("horizontalpodautoscalers", "HorizontalPodAutoscaler", true),
    ("poddisruptionbudgets", "PodDisruptionBudget", true),
    ("networkpolicies", "NetworkPolicy", true),
    ("persistentvolumeclaims", "PersistentVolumeClaim", true),
    ("resourcequotas", "ResourceQuota", true),
    ("configmaps", "ConfigMap", true),
    ("secrets", "Secret", true),
    ("serviceaccounts", "ServiceAccount", true),
    ("roles", "Role", true),
    ("rolebindings", "RoleBinding", true),
    ("nodes", "Node", false),
    ("namespaces", "Namespace", false),
    ("storageclasses", "StorageClass", false),
    ("ingressclasses", "IngressClass", false),
    ("persistentvolumes", "PersistentVolume", false),
    (
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        false,
    ),
    (
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        false,
    ),
];

/// Kind of a resource as written in a command (plural, singular or kind, any case).
pub fn kind_of(resource: &str) -> Option<(&'static str, bool)> {
    let r = resource.to_ascii_lowercase();
    RESOURCES
        .iter()
        .find(|(plural, kind, _)| {
            *plural == r
                || plural.trim_end_matches('s') == r
                || kind.to_ascii_lowercase() == r
                || (*plural == "ingresses" && r == "ingress")
        })
        .map(|(_, k, n)| (*k, *n))
}

/// A command in the forms the offline planner writes (`get R [NAME] [-n NS|-A] ...`,
/// `logs POD -n NS -c C [--previous]`, `describe R NAME -n NS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub verb: String,
    pub resource: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub all_namespaces: bool,
    pub container: Option<String>,
    pub previous: bool,
    pub filtered: bool,
}

pub fn parse_command(cmd: &str) -> Option<Parsed> {
    let words = shell_words::split(cmd).ok()?;
    let mut it = words.iter().map(String::as_str).peekable();
    if it.peek() == Some(&"kubectl") {
        it.next();
    }
    let verb = it.next()?.to_string();
    let mut positional = Vec::new();
    let mut p = Parsed {
        verb,
        resource: String::new(),
        name: None,
        namespace: None,
        all_namespaces: false,
        container: None,
        previous: false,
        filtered: false,
    };
    while let Some(w) = it.next() {
        match w {
            "-n" | "--namespace" => p.namespace = it.next().map(str::to_string),
            "-A" | "--all-namespaces" => p.all_namespaces = true,
            "-c" | "--container" => p.container = it.next().map(str::to_string),
            "-p" | "--previous" => p.previous = true,
            "-l" | "--selector" | "--field-selector" => {
                p.filtered = true;
                it.next();
            }
            "-o" | "--tail" | "--since" | "--for" => {
                it.next();
            }
            w if w.starts_with("--namespace=") => {
                p.namespace = Some(w["--namespace=".len()..].to_string())
            }
            w if w.starts_with("--selector=")
                || w.starts_with("-l=")
                || w.starts_with("--field-selector=") =>
            {
                p.filtered = true
            }
            w if w.starts_with("--previous") => p.previous = true,
            w if w.starts_with('-') => {}
            w => positional.push(w.to_string()),
        }
    }
    if p.verb == "logs" {
        let target = positional.first()?.clone();
        p.resource = "pods".into();
        p.name = Some(target.strip_prefix("pod/").unwrap_or(&target).to_string());
        return Some(p);
    }
    let first = positional.first()?.clone();
    if let Some((r, n)) = first.split_once('/') {
        p.resource = r.to_string();
        p.name = Some(n.to_string());
    } else {
        p.resource = first;
        p.name = positional.get(1).cloned();
    }
    if p.verb == "events" {
        p.name = None;
        p.resource = "events".into();
    }
    Some(p)
}

/// Everything observed so far.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub view: ClusterView,
    /// Commands proposed so far (any outcome), normalised by whitespace.
    pub proposed: BTreeSet<String>,
    /// Commands that ran (executed or answered from history), with their call ids.
    pub ran: BTreeMap<String, Vec<String>>,
    /// Which call ids returned an object: `kind/ns/name` → call ids.
    pub seen_in: BTreeMap<String, Vec<String>>,
    /// Which call ids showed a container's log: `ns/pod/container` → call ids.
    pub logs_in: BTreeMap<String, Vec<String>>,
    /// Which call ids listed events of a namespace.
    pub events_in: Vec<String>,
    /// Commands whose last run failed, with the error (never evidence of anything).
    pub failed: BTreeMap<String, String>,
    /// Commands refused or declined, with why.
    pub declined: Vec<String>,
    /// Which call ids listed a kind in full: `(kind, namespace or None for everywhere)`.
    pub listed_in: BTreeMap<(String, Option<String>), Vec<String>>,
    /// Hypotheses stated so far: statement → id.
    pub hypotheses: BTreeMap<String, String>,
    /// Whether a conclusion was given, and the number of user messages before it.
    pub concluded_after_user: Option<usize>,
    pub user_messages: Vec<String>,
    pub steps: usize,
    /// Planner steps since the latest user message (one line of inquiry).
    pub steps_since_user: usize,
}

pub fn normalize(cmd: &str) -> String {
    cmd.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn object_key(kind: &str, ns: &str, name: &str) -> String {
    format!("{kind}/{ns}/{name}")
}

impl Observed {
    pub fn from_transcript(t: &Transcript) -> Observed {
        let mut o = Observed::default();
        let mut commands: BTreeMap<String, String> = BTreeMap::new();
        let mut results: Vec<(String, Outcome)> = Vec::new();
        for e in &t.entries {
            match e {
                TranscriptEntry::User { text } => {
                    o.user_messages.push(text.clone());
                    o.steps_since_user = 0;
                }
                TranscriptEntry::Assistant { actions, .. } => {
                    o.steps += 1;
                    o.steps_since_user += 1;
                    for a in actions {
                        match a {
                            Action::Propose {
                                call_id, command, ..
                            } => {
                                o.proposed.insert(normalize(command));
                                commands.insert(call_id.clone(), command.clone());
                            }
                            Action::Hypothesis(h) => {
                                o.hypotheses.insert(h.statement.clone(), h.id.0.clone());
                            }
                            Action::Conclude(_) => {
                                o.concluded_after_user = Some(o.user_messages.len())
                            }
                        }
                    }
                }
                TranscriptEntry::Result { call_id, outcome }
                | TranscriptEntry::Own { call_id, outcome } => {
                    results.push((call_id.clone(), outcome.clone()))
                }
            }
        }
        // Earlier outputs by command, for duplicates answered from history.
        let mut by_command: BTreeMap<String, (Vec<Value>, String)> = BTreeMap::new();
        for (call_id, outcome) in results {
            match outcome {
                Outcome::Executed {
                    command,
                    condensed,
                    error,
                    objects,
                } => {
                    let cmd = normalize(&command);
                    o.proposed.insert(cmd.clone());
                    o.ran.entry(cmd.clone()).or_default().push(call_id.clone());
                    match error {
                        None => {
                            o.failed.remove(&cmd);
                            o.absorb(&call_id, &command, &objects, &condensed);
                            by_command.insert(cmd, (objects, condensed));
                        }
                        Some(e) => {
                            o.failed.insert(cmd, e);
                        }
                    }
                }
                Outcome::Duplicate { command, condensed } => {
                    let cmd = normalize(&command);
                    o.ran.entry(cmd.clone()).or_default().push(call_id.clone());
                    let objects = by_command
                        .get(&cmd)
                        .map(|(ob, _)| ob.clone())
                        .unwrap_or_default();
                    o.absorb(&call_id, &command, &objects, &condensed);
                }
                Outcome::Refused { command, why } => {
                    o.proposed.insert(normalize(&command));
                    o.declined.push(format!("{command}: refused ({why})"));
                }
                Outcome::Rejected { command, reason } => {
                    o.proposed.insert(normalize(&command));
                    o.declined.push(format!(
                        "{command}: declined{}",
                        reason.map(|r| format!(" ({r})")).unwrap_or_default()
                    ));
                }
            }
        }
        let _ = commands;
        o
    }

    fn absorb(&mut self, call_id: &str, command: &str, objects: &[Value], condensed: &str) {
        let parsed = parse_command(command);
        let known_kind = parsed.as_ref().and_then(|p| kind_of(&p.resource));
        for obj in objects {
            let mut obj = obj.clone();
            if obj.get("kind").is_none()
                && let (Some((kind, _)), Some(m)) = (known_kind, obj.as_object_mut())
            {
                m.insert("kind".into(), Value::String(kind.into()));
            }
            let kind = obj
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let ns = obj
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let name = obj
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if kind == "Event" {
                if !self.events_in.iter().any(|c| c == call_id) {
                    self.events_in.push(call_id.to_string());
                }
            } else {
                self.seen_in
                    .entry(object_key(&kind, &ns, &name))
                    .or_default()
                    .push(call_id.to_string());
            }
            self.view.insert(obj);
        }
        let Some(p) = parsed else { return };
        match p.verb.as_str() {
            "get" | "events" if p.name.is_none() && !p.filtered => {
                if let Some((kind, namespaced)) = known_kind {
                    let scope = if !namespaced || p.all_namespaces {
                        None
                    } else {
                        p.namespace.as_deref()
                    };
                    self.view.mark_listed(kind, scope);
                    self.listed_in
                        .entry((kind.to_string(), scope.map(str::to_string)))
                        .or_default()
                        .push(call_id.to_string());
                    if kind == "Event" && !self.events_in.iter().any(|c| c == call_id) {
                        self.events_in.push(call_id.to_string());
                    }
                }
            }
            "logs" => {
                if let (Some(pod), Some(ns)) = (&p.name, &p.namespace) {
                    let container = p.container.clone().unwrap_or_default();
                    self.view.add_log(
                        LogKey {
                            namespace: ns.clone(),
                            pod: pod.clone(),
                            container: container.clone(),
                            previous: p.previous,
                        },
                        condensed.to_string(),
                    );
                    self.logs_in
                        .entry(format!("{ns}/{pod}/{container}"))
                        .or_default()
                        .push(call_id.to_string());
                }
            }
            _ => {}
        }
    }

    /// Was this command (normalised) proposed already?
    pub fn was_proposed(&self, cmd: &str) -> bool {
        self.proposed.contains(&normalize(cmd))
    }

    /// Did the server answer this command: it succeeded, or said the object does not exist
    /// (a NotFound is an answer; every other failure is not)?
    pub fn answered(&self, cmd: &str) -> bool {
        let c = normalize(cmd);
        self.ran.contains_key(&c)
            && self
                .failed
                .get(&c)
                .is_none_or(|e| crate::protocol::ErrorClass::of_message(e).is_answer())
    }

    /// What could not be checked by this command (failed, refused or declined), if anything.
    pub fn unchecked(&self, cmd: &str) -> Option<crate::protocol::Unchecked> {
        use crate::protocol::{ErrorClass, ProposalId, Unchecked};
        let c = normalize(cmd);
        if let Some(e) = self.failed.get(&c) {
            let class = ErrorClass::of_message(e);
            if class.is_answer() {
                return None;
            }
            return Some(Unchecked {
                id: self
                    .ran
                    .get(&c)
                    .and_then(|v| v.last())
                    .cloned()
                    .map(ProposalId),
                command: c,
                class,
                error: e.clone(),
            });
        }
        self.declined
            .iter()
            .find(|d| normalize(d).starts_with(&format!("{c}:")))
            .map(|d| Unchecked {
                id: None,
                command: c.clone(),
                class: ErrorClass::Other,
                error: d[c.len() + 1..].trim().to_string(),
            })
    }

    /// The calls that listed `kind` in `namespace` (or everywhere).
    pub fn list_calls(&self, kind: &str, namespace: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = self
            .listed_in
            .get(&(kind.to_string(), None))
            .cloned()
            .unwrap_or_default();
        if let Some(ns) = namespace
            && let Some(c) = self
                .listed_in
                .get(&(kind.to_string(), Some(ns.to_string())))
        {
            out.extend(c.iter().cloned());
        }
        out.sort();
        out.dedup();
        out
    }

    /// The calls that returned one object.
    pub fn object_calls(&self, kind: &str, namespace: &str, name: &str) -> Vec<String> {
        self.seen_in
            .get(&object_key(kind, namespace, name))
            .cloned()
            .unwrap_or_default()
    }

    /// The calls that showed a container's log.
    pub fn log_calls(&self, namespace: &str, pod: &str, container: &str) -> Vec<String> {
        self.logs_in
            .get(&format!("{namespace}/{pod}/{container}"))
            .cloned()
            .unwrap_or_default()
    }
}
