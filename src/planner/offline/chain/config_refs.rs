//! A container that cannot start because a ConfigMap, a Secret or one of their keys is
//! missing (`CreateContainerConfigError`): read the object (or its kind's list) and say what it
//! actually holds ("ConfigMap X holds keys a, b, not c"), or which objects of that kind do exist.

use std::sync::LazyLock;

use regex::Regex;

use super::targets::{closest, keys_of};
use super::{Walk, calls_of, holds, owner_words};
use crate::analyze::util::meta_name;
use crate::analyze::{Finding, ObjectRef};

/// What the analyzer found missing: `ConfigMap x has no key k`, `Secret x does not exist …`,
/// `ConfigMap x not found`.
static MISSING: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^(ConfigMap|Secret) (\S+) (has no key (\S+)|does not exist|not found)").ok()
});

/// One missing reference, as the analyzer states it.
struct Missing {
    kind: String,
    name: String,
    /// Empty when the whole object is missing.
    key: String,
}

fn missing(f: &Finding) -> Vec<Missing> {
    let Some(re) = MISSING.as_ref() else {
        return Vec::new();
    };
    let mut out: Vec<Missing> = Vec::new();
    for e in &f.evidence {
        if let Some(c) = re.captures(e) {
            let m = Missing {
                kind: c[1].to_string(),
                name: c[2].to_string(),
                key: c.get(4).map(|k| k.as_str().to_string()).unwrap_or_default(),
            };
            if !out.iter().any(|o| o.kind == m.kind && o.name == m.name) {
                out.push(m);
            }
        }
    }
    out
}

/// Follow a container-config finding to the objects it references. Returns false when the
/// finding names nothing to read (the caller then states the finding as it is).
pub(super) fn follow(w: &mut Walk<'_>, pod: &serde_json::Value, f: &Finding, ns: &str) -> bool {
    let refs = missing(f);
    let Some(m) = refs.first() else {
        return false;
    };
    let who = owner_words(w.obs, pod);
    let resource = if m.kind == "Secret" {
        "secrets"
    } else {
        "configmaps"
    };
    let question = if m.key.is_empty() {
        format!(
            "which {resource} exist in {ns}, and is {} {} among them?",
            m.kind, m.name
        )
    } else {
        format!("which keys does {} {} hold?", m.kind, m.name)
    };
    if !w.listed(resource, &m.kind, ns, question) {
        // Not read yet (asked for) or the list failed: the finding stands as it is for now.
        return false;
    }
    let calls = calls_of(w.obs, &m.kind, ns, &m.name);
    match w.obs.view.get(&m.kind, ns, &m.name).cloned() {
        None => {
            let names: Vec<String> = w
                .obs
                .view
                .in_namespace(&m.kind, ns)
                .map(|o| meta_name(o).to_string())
                .collect();
            let close = closest(&m.name, &names);
            let there = match (names.len(), &close) {
                (0, _) => format!("namespace {ns} has no {resource} at all"),
                (_, Some(c)) => format!("the closest {} there is {c}", m.kind),
                _ => format!("{resource} there: {}", names.join(", ")),
            };
            w.found(
                format!("{} {} does not exist in {ns}; {there}", m.kind, m.name),
                calls,
                format!(
                    "{who} cannot start: it references {} {}, which does not exist in namespace {ns}{}",
                    m.kind,
                    m.name,
                    close
                        .as_ref()
                        .map(|c| format!(" ({} {c} does)", m.kind))
                        .unwrap_or_default()
                ),
                format!(
                    "Create {} {} in {ns}, or point {who} at the right one{}.",
                    m.kind,
                    m.name,
                    close.map(|c| format!(" ({c}?)")).unwrap_or_default()
                ),
            );
        }
        Some(obj) => {
            w.object(ObjectRef::new(&m.kind, Some(ns), &m.name));
            if m.key.is_empty() {
                return false;
            }
            let keys = keys_of(&obj);
            if keys.contains(&m.key) {
                // The key is there now: the pod's status is older than the object.
                w.link(
                    format!("{} {} now holds key {}", m.kind, m.name, m.key),
                    calls,
                );
                return false;
            }
            let held = holds(&keys);
            let close = closest(&m.key, &keys);
            w.found(
                format!("{} {} holds {held}, not {}", m.kind, m.name, m.key),
                calls,
                format!(
                    "{who} cannot start: it refers to key {} of {} {ns}/{}, which holds {held}",
                    m.key, m.kind, m.name
                ),
                format!(
                    "{who}: the reference to key {} of {} {} does not match what it holds ({held}). Point the reference at the right key{} or add key {} to {} {ns}/{}.",
                    m.key,
                    m.kind,
                    m.name,
                    close.map(|c| format!(" ({c}?)")).unwrap_or_default(),
                    m.key,
                    m.kind,
                    m.name
                ),
            );
        }
    }
    true
}
