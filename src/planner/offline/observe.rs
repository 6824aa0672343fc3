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
    ("clusterroles", "ClusterRole", false),
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
    /// What each log command showed (normalised command → text, call ids): another query of
    /// the same container with another tail or instance can show a different decisive line.
    pub log_outputs: BTreeMap<String, (String, Vec<String>)>,
    /// Which call ids listed events of a namespace.
    pub events_in: Vec<String>,
    /// Commands whose last run failed, with the error (never evidence of anything).
    pub failed: BTreeMap<String, String>,
    /// Commands refused or declined: their key, and why.
    pub declined: Vec<(String, String)>,
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

/// What a command is looked up by: its canonical form (`--tail=50` and `--tail 50`, flags in
/// any order, are one query), or its words when it does not parse.
pub fn key(cmd: &str) -> String {
    crate::query::parse(cmd.trim())
        .map(|q| q.canonical())
        .unwrap_or_else(|_| normalize(cmd))
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
                                o.proposed.insert(key(command));
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
        // What klue's checks read of an output: the whole text, else the model's copy.
        for (call_id, outcome) in results {
            match outcome {
                Outcome::Executed {
                    command,
                    condensed,
                    output,
                    error,
                    objects,
                } => {
                    let text = if output.is_empty() { condensed } else { output };
                    let cmd = key(&command);
                    o.proposed.insert(cmd.clone());
                    o.ran.entry(cmd.clone()).or_default().push(call_id.clone());
                    match error {
                        None => {
                            o.failed.remove(&cmd);
                            o.absorb(&call_id, &command, &objects, &text);
                            by_command.insert(cmd, (objects, text));
                        }
                        Some(e) => {
                            o.failed.insert(cmd, e);
                        }
                    }
                }
                Outcome::Duplicate { command, condensed } => {
                    let cmd = key(&command);
                    o.ran.entry(cmd.clone()).or_default().push(call_id.clone());
                    let (objects, text) = by_command
                        .get(&cmd)
                        .cloned()
                        .unwrap_or_else(|| (Vec::new(), condensed));
                    o.absorb(&call_id, &command, &objects, &text);
                }
                Outcome::Refused { command, why } => {
                    o.proposed.insert(key(&command));
                    o.declined.push((key(&command), format!("refused ({why})")));
                }
                Outcome::Rejected { command, reason } => {
                    o.proposed.insert(key(&command));
                    o.declined.push((
                        key(&command),
                        format!(
                            "declined{}",
                            reason.map(|r| format!(" ({r})")).unwrap_or_default()
                        ),
                    ));
                }
            }
        }
        let _ = commands;
        o
    }

    fn absorb(&mut self, call_id: &str, command: &str, objects: &[Value], text: &str) {
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
                        text.to_string(),
                    );
                    self.logs_in
                        .entry(format!("{ns}/{pod}/{container}"))
                        .or_default()
                        .push(call_id.to_string());
                    let out = self
                        .log_outputs
                        .entry(key(command))
                        .or_insert_with(|| (String::new(), Vec::new()));
                    out.0 = text.to_string();
                    out.1.push(call_id.to_string());
                }
            }
            _ => {}
        }
    }

    /// Was this command (normalised) proposed already?
    pub fn was_proposed(&self, cmd: &str) -> bool {
        self.proposed.contains(&key(cmd))
    }

    /// Did the server answer this command: it succeeded, or said the object does not exist
    /// (a NotFound is an answer; every other failure is not)?
    pub fn answered(&self, cmd: &str) -> bool {
        let c = key(cmd);
        self.ran.contains_key(&c)
            && self
                .failed
                .get(&c)
                .is_none_or(|e| crate::protocol::ErrorClass::of_message(e).is_answer())
    }

    /// What could not be checked by this command (failed, refused or declined), if anything.
    pub fn unchecked(&self, cmd: &str) -> Option<crate::protocol::Unchecked> {
        use crate::protocol::{ErrorClass, ProposalId, Unchecked};
        let c = key(cmd);
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
                command: normalize(cmd),
                class,
                error: e.clone(),
            });
        }
        self.declined
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, why)| Unchecked {
                id: None,
                command: normalize(cmd),
                class: ErrorClass::Other,
                error: why.clone(),
            })
    }

    /// The calls that ran `cmd` (in any spelling of it).
    pub fn calls_for(&self, cmd: &str) -> Vec<String> {
        self.ran.get(&key(cmd)).cloned().unwrap_or_default()
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

    /// The log exactly `cmd` showed and the calls that ran it; else the container's latest
    /// log (whoever fetched it, with whatever tail) and every call that showed one.
    pub fn log_for(
        &self,
        cmd: &str,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Option<(&str, Vec<String>)> {
        if let Some((text, calls)) = self.log_outputs.get(&key(cmd)) {
            return Some((text.as_str(), calls.clone()));
        }
        self.view
            .log(namespace, pod, container, previous)
            .map(|text| (text, self.log_calls(namespace, pod, container)))
    }

    /// The calls that showed a container's log.
    pub fn log_calls(&self, namespace: &str, pod: &str, container: &str) -> Vec<String> {
        self.logs_in
            .get(&format!("{namespace}/{pod}/{container}"))
            .cloned()
            .unwrap_or_default()
    }
}
