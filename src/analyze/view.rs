//! [`ClusterView`]: the objects an analyzer reads, by kind, with what was listed in full.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::util::{meta_name, meta_namespace, s};

/// Key of a captured container log.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogKey {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub previous: bool,
}

/// Objects by kind (as JSON), the scopes that were listed in full, and container logs.
///
/// "Listed" matters: an analyzer only claims that something is *missing* (a Secret, a Service,
/// a matching pod) when that kind was listed for that namespace.
#[derive(Debug, Clone, Default)]
pub struct ClusterView {
    objects: BTreeMap<String, BTreeMap<(String, String), Value>>,
    listed: BTreeSet<(String, Option<String>)>,
    logs: BTreeMap<LogKey, String>,
    now: Option<jiff::Timestamp>,
}

impl ClusterView {
    pub fn new() -> Self {
        Self::default()
    }

    /// The time analyzers compare ages against (default: the newest timestamp seen, so a
    /// snapshot is judged as of its capture).
    pub fn set_now(&mut self, now: jiff::Timestamp) {
        self.now = Some(now);
    }

    pub fn now(&self) -> Option<jiff::Timestamp> {
        self.now
    }

    /// Add one object; its `kind` field says where it goes (objects without one are ignored
    /// and `false` is returned). A later copy of the same object replaces the earlier one.
    pub fn insert(&mut self, obj: Value) -> bool {
        let Some(kind) = obj.get("kind").and_then(Value::as_str).map(str::to_string) else {
            return false;
        };
        if kind.ends_with("List")
            && let Some(items) = obj.get("items").and_then(Value::as_array)
        {
            let item_kind = kind.trim_end_matches("List").to_string();
            for item in items {
                let mut item = item.clone();
                if item.get("kind").is_none()
                    && let Some(m) = item.as_object_mut()
                {
                    m.insert("kind".into(), Value::String(item_kind.clone()));
                }
                self.insert(item);
            }
            return true;
        }
        let key = (
            meta_namespace(&obj).unwrap_or("").to_string(),
            meta_name(&obj).to_string(),
        );
        self.objects.entry(kind).or_default().insert(key, obj);
        true
    }

    /// Add an object of a known kind (list items come without `kind`).
    pub fn insert_as(&mut self, kind: &str, mut obj: Value) {
        if let Some(m) = obj.as_object_mut()
            && !m.contains_key("kind")
        {
            m.insert("kind".into(), Value::String(kind.to_string()));
        }
        self.insert(obj);
    }

    /// Record that `kind` was listed in full, in `namespace` (or everywhere with `None`).
    pub fn mark_listed(&mut self, kind: &str, namespace: Option<&str>) {
        self.listed
            .insert((kind.to_string(), namespace.map(str::to_string)));
    }

    /// Was `kind` listed in full for `namespace` (cluster-scoped kinds: pass `None`)?
    pub fn is_listed(&self, kind: &str, namespace: Option<&str>) -> bool {
        self.listed.contains(&(kind.to_string(), None))
            || namespace.is_some_and(|ns| {
                self.listed
                    .contains(&(kind.to_string(), Some(ns.to_string())))
            })
    }

    /// Kinds listed, as `(kind, namespace)` pairs.
    pub fn listed(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.listed.iter().map(|(k, n)| (k.as_str(), n.as_deref()))
    }

    /// Every object of a kind, ordered by namespace then name.
    pub fn all(&self, kind: &str) -> impl Iterator<Item = &Value> {
        self.objects.get(kind).into_iter().flat_map(|m| m.values())
    }

    /// Objects of a kind in one namespace.
    pub fn in_namespace<'a>(
        &'a self,
        kind: &str,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a Value> {
        self.all(kind)
            .filter(move |o| meta_namespace(o).unwrap_or("") == namespace)
    }

    /// One object by kind, namespace ("" for cluster-scoped) and name.
    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<&Value> {
        self.objects
            .get(kind)
            .and_then(|m| m.get(&(namespace.to_string(), name.to_string())))
    }

    /// Number of objects held.
    pub fn len(&self) -> usize {
        self.objects.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Kinds held.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.objects.keys().map(String::as_str)
    }

    /// Events about an object (core `involvedObject` or events.k8s.io `regarding`), oldest
    /// first by last timestamp.
    pub fn events_for(&self, kind: &str, namespace: &str, name: &str) -> Vec<&Value> {
        let mut evs: Vec<&Value> = self
            .all("Event")
            .filter(|e| {
                let io = e.get("involvedObject").or_else(|| e.get("regarding"));
                io.is_some_and(|io| {
                    s(io, "kind") == kind
                        && s(io, "name") == name
                        && (s(io, "namespace") == namespace || namespace.is_empty())
                })
            })
            .collect();
        evs.sort_by_key(|e| event_time(e));
        evs
    }

    /// Store a container log (the text as the API returns it).
    pub fn add_log(&mut self, key: LogKey, text: String) {
        self.logs.insert(key, text);
    }

    /// A container log, if captured: the previous instance's when `previous`.
    pub fn log(&self, namespace: &str, pod: &str, container: &str, previous: bool) -> Option<&str> {
        self.logs
            .get(&LogKey {
                namespace: namespace.to_string(),
                pod: pod.to_string(),
                container: container.to_string(),
                previous,
            })
            .map(String::as_str)
    }

    /// Any log of a container, the previous instance's first.
    pub fn any_log(&self, namespace: &str, pod: &str, container: &str) -> Option<&str> {
        self.log(namespace, pod, container, true)
            .or_else(|| self.log(namespace, pod, container, false))
    }

    /// Logs held, by key.
    pub fn logs(&self) -> impl Iterator<Item = (&LogKey, &str)> {
        self.logs.iter().map(|(k, v)| (k, v.as_str()))
    }
}

/// The most recent time on an event, as RFC 3339 text (sorts correctly).
pub fn event_time(e: &Value) -> String {
    for k in [
        "lastTimestamp",
        "eventTime",
        "deprecatedLastTimestamp",
        "firstTimestamp",
    ] {
        if let Some(t) = e.get(k).and_then(Value::as_str) {
            return t.to_string();
        }
    }
    e.pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}
