//! Which container logs a snapshot keeps, in the order an investigation needs them.
//!
//! A snapshot keeps at most a fixed number of logs. Those that explain a failure come
//! first (previous instances of containers that restarted with an error, containers that
//! terminated with an error, failed pods such as a Job's, init containers a pod waits on,
//! running containers that are not ready), taken in turn from every namespace and, inside a
//! namespace, from every workload, so that no namespace loses its one decisive log to
//! another's many replicas. The current logs of restarted containers come last.

use std::collections::{BTreeMap, HashMap};

use crate::analyze::util::{arr, meta_name, meta_namespace, owner, s};
use crate::analyze::view::LogKey;
use crate::analyze::{ClusterView, fetch};
use serde_json::Value;

/// Why a container's log is wanted, most needed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum LogNeed {
    /// The previous instance of a container that restarted or crash-loops with an error.
    Previous,
    /// A container that terminated with an error, or a container of a failed pod.
    Failed,
    /// An init container still running in a pod that is not initialized.
    InitWaiting,
    /// A running container that is not ready.
    NotReady,
    /// The current log of one ready pod per workload: a healthy front end logs what it
    /// fails to reach (the planner reads it when the engineer reports that workload failing).
    Serving,
    /// The current instance of a container whose previous instance is wanted too.
    Restarted,
}

impl LogNeed {
    /// Which group of a capture's order this log falls in: the logs an investigation needs
    /// to reach a cause (0), a ready pod's log a healthy front end's failure is read in (1),
    /// the current log of a restarted container, whose previous one explains (2).
    fn group(self) -> usize {
        match self {
            LogNeed::Restarted => 2,
            LogNeed::Serving => 1,
            _ => 0,
        }
    }

    /// What logs of this need are, for the note that says which were dropped.
    fn describe(self) -> &'static str {
        match self {
            LogNeed::Previous => "previous logs of restarted or crash-looping containers",
            LogNeed::Failed => "logs of containers that failed or terminated with an error",
            LogNeed::InitWaiting => "logs of init containers a pod waits on",
            LogNeed::NotReady => "logs of running containers that are not ready",
            LogNeed::Restarted => "current logs of restarted containers",
            LogNeed::Serving => "current logs of ready pods (one per workload)",
        }
    }
}

/// One log to capture and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WantedLog {
    pub key: LogKey,
    pub need: LogNeed,
}

/// Every log worth capturing, in the order to keep them when not all can be.
pub(crate) fn wanted_logs(view: &ClusterView) -> Vec<WantedLog> {
    let mut all: Vec<WantedLog> = Vec::new();
    for key in fetch::failing_containers(view) {
        let need = if key.previous {
            all.push(WantedLog {
                key: LogKey {
                    previous: false,
                    ..key.clone()
                },
                need: LogNeed::Restarted,
            });
            LogNeed::Previous
        } else if is_init_container(view, &key) {
            LogNeed::InitWaiting
        } else {
            LogNeed::Failed
        };
        all.push(WantedLog { key, need });
    }
    for pod in view.all("Pod") {
        for st in arr(pod, "/status/containerStatuses") {
            let ready = st.get("ready").and_then(|r| r.as_bool()).unwrap_or(true);
            if !ready && st.pointer("/state/running").is_some() {
                all.push(WantedLog {
                    key: LogKey {
                        namespace: meta_namespace(pod).unwrap_or("").into(),
                        pod: meta_name(pod).into(),
                        container: s(st, "name").into(),
                        previous: false,
                    },
                    need: LogNeed::NotReady,
                });
            }
        }
    }
    // One ready pod per workload (the first by name), its first container.
    let mut ready: BTreeMap<(String, String), &Value> = BTreeMap::new();
    for pod in view.all("Pod") {
        if !crate::analyze::util::pod_ready(pod) {
            continue;
        }
        let ns = meta_namespace(pod).unwrap_or("").to_string();
        let workload = owner(pod)
            .map(|(kind, name)| format!("{kind}/{name}"))
            .unwrap_or_else(|| format!("Pod/{}", meta_name(pod)));
        let first = ready.entry((ns, workload)).or_insert(pod);
        if meta_name(pod) < meta_name(first) {
            *first = pod;
        }
    }
    for ((ns, _), pod) in ready {
        if let Some(c) = arr(pod, "/spec/containers").first() {
            all.push(WantedLog {
                key: LogKey {
                    namespace: ns,
                    pod: meta_name(pod).into(),
                    container: s(c, "name").into(),
                    previous: false,
                },
                need: LogNeed::Serving,
            });
        }
    }
    // One entry per log, under its most needed reason.
    all.sort_by(|a, b| (&a.key, a.need).cmp(&(&b.key, b.need)));
    all.dedup_by(|b, a| a.key == b.key);
    fair_order(view, all)
}

fn is_init_container(view: &ClusterView, key: &LogKey) -> bool {
    view.get("Pod", &key.namespace, &key.pod)
        .is_some_and(|pod| {
            arr(pod, "/status/initContainerStatuses")
                .iter()
                .any(|st| s(st, "name") == key.container)
        })
}

/// The workload a pod belongs to (its controller), else the pod itself.
fn workload_of(view: &ClusterView, key: &LogKey) -> String {
    view.get("Pod", &key.namespace, &key.pod)
        .and_then(owner)
        .map(|(kind, name)| format!("{kind}/{name}"))
        .unwrap_or_else(|| format!("Pod/{}", key.pod))
}

/// Order logs (sorted by key, one per key) so that any prefix is fair: the logs that explain
/// a failure, then one ready pod's per workload, then the rest; inside each group, every namespace's first log,
/// then every namespace's second, and so on; inside a namespace, every workload's first log
/// (its most needed) before any workload's second.
fn fair_order(view: &ClusterView, logs: Vec<WantedLog>) -> Vec<WantedLog> {
    let mut by_ns: BTreeMap<String, Vec<(String, WantedLog)>> = BTreeMap::new();
    for log in logs {
        let workload = workload_of(view, &log.key);
        by_ns
            .entry(log.key.namespace.clone())
            .or_default()
            .push((workload, log));
    }
    // (group, turn, namespace order, position in the namespace), then the log.
    let mut ranked: Vec<((usize, usize, usize, usize), WantedLog)> = Vec::new();
    for (ns_index, (_, mut items)) in by_ns.into_iter().enumerate() {
        items.sort_by(|(wa, a), (wb, b)| (a.need, wa, &a.key).cmp(&(b.need, wb, &b.key)));
        // A workload's n-th log of a group waits until every workload had n - 1.
        let mut seen: HashMap<(usize, String), usize> = HashMap::new();
        let mut turns: Vec<(usize, usize, WantedLog)> = items
            .into_iter()
            .map(|(workload, log)| {
                let group = log.need.group();
                let n = seen.entry((group, workload)).or_insert(0);
                *n += 1;
                (group, *n, log)
            })
            .collect();
        // Stable: for the same turn and need, workloads stay in name order.
        turns.sort_by_key(|(group, turn, log)| (*group, *turn, log.need));
        let mut per_group = [0usize; 3];
        for (position, (group, _, log)) in turns.into_iter().enumerate() {
            let turn = per_group[group];
            per_group[group] += 1;
            ranked.push(((group, turn, ns_index, position), log));
        }
    }
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, log)| log).collect()
}

/// The note a snapshot carries when `dropped` logs were not kept: how many, of what, where.
pub(crate) fn dropped_note(total: usize, kept: usize, dropped: &[WantedLog]) -> String {
    let mut by_need: BTreeMap<LogNeed, (usize, Vec<&str>)> = BTreeMap::new();
    for log in dropped {
        let e = by_need.entry(log.need).or_default();
        e.0 += 1;
        if !e.1.contains(&log.key.namespace.as_str()) {
            e.1.push(&log.key.namespace);
        }
    }
    let parts: Vec<String> = by_need
        .into_iter()
        .map(|(need, (n, mut namespaces))| {
            namespaces.sort_unstable();
            let shown = namespaces.len().min(5);
            let mut list = namespaces[..shown].join(", ");
            if namespaces.len() > shown {
                list.push_str(&format!(" and {} more", namespaces.len() - shown));
            }
            let ns_word = if namespaces.len() == 1 {
                "namespace"
            } else {
                "namespaces"
            };
            format!("{n} {} ({ns_word} {list})", need.describe())
        })
        .collect();
    format!(
        "logs: {total} container logs were wanted, kept {kept}; {} not kept: {}",
        dropped.len(),
        parts.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(ns: &str, name: &str, owner_rs: Option<&str>, status: serde_json::Value) -> Value {
        let mut meta = json!({"namespace": ns, "name": name});
        if let Some(rs) = owner_rs {
            meta["ownerReferences"] =
                json!([{"kind": "ReplicaSet", "name": rs, "controller": true}]);
        }
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "status": status})
    }

    use serde_json::Value;

    fn crashing(container: &str) -> Value {
        json!({"phase": "Running", "containerStatuses": [{
            "name": container, "ready": false, "restartCount": 4,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1}}
        }]})
    }

    fn not_ready(container: &str) -> Value {
        json!({"phase": "Running", "containerStatuses": [{
            "name": container, "ready": false, "restartCount": 0,
            "state": {"running": {}}
        }]})
    }

    fn names(logs: &[WantedLog]) -> Vec<String> {
        logs.iter()
            .map(|l| {
                format!(
                    "{}/{}/{}{}",
                    l.key.namespace,
                    l.key.pod,
                    l.key.container,
                    if l.key.previous { " prev" } else { "" }
                )
            })
            .collect()
    }

    fn view(pods: Vec<Value>) -> ClusterView {
        let mut v = ClusterView::new();
        for p in pods {
            v.insert(p);
        }
        v
    }

    #[test]
    fn explaining_logs_come_first_in_turn_from_every_namespace_and_workload() {
        let v = view(vec![
            // "aaa" has many replicas of one crashing workload and one of another.
            pod("aaa", "api-1", Some("api-rs"), crashing("api")),
            pod("aaa", "api-2", Some("api-rs"), crashing("api")),
            pod("aaa", "api-3", Some("api-rs"), crashing("api")),
            pod("aaa", "web-1", Some("web-rs"), crashing("web")),
            pod(
                "aaa",
                "cleanup-x",
                None,
                json!({"phase": "Failed", "containerStatuses": [{
                    "name": "cleanup", "ready": false,
                    "state": {"terminated": {"exitCode": 1}}
                }]}),
            ),
            // "mmm": a failed Job pod and a pod waiting on its init container.
            pod(
                "mmm",
                "migrate-x",
                None,
                json!({"phase": "Failed", "containerStatuses": [{
                    "name": "migrate", "ready": false,
                    "state": {"terminated": {"exitCode": 2}}
                }]}),
            ),
            pod(
                "mmm",
                "app-1",
                Some("app-rs"),
                json!({"phase": "Pending",
                "conditions": [{"type": "Initialized", "status": "False"}],
                "initContainerStatuses": [{
                    "name": "wait-db", "ready": false, "state": {"running": {}}
                }],
                "containerStatuses": [{
                    "name": "app", "ready": false,
                    "state": {"waiting": {"reason": "PodInitializing"}}
                }]}),
            ),
            // "zzz", last in name order: one crashing container, one not ready.
            pod("zzz", "worker-1", Some("worker-rs"), crashing("worker")),
            pod("zzz", "front-1", Some("front-rs"), not_ready("front")),
        ]);
        let got = names(&wanted_logs(&v));
        assert_eq!(
            got,
            vec![
                // first turn: every namespace's most needed log
                "aaa/api-1/api prev",
                "mmm/migrate-x/migrate",
                "zzz/worker-1/worker prev",
                // second turn: another workload before a second replica
                "aaa/web-1/web prev",
                "mmm/app-1/wait-db",
                "zzz/front-1/front",
                // a failed pod of a third workload before a second replica
                "aaa/cleanup-x/cleanup",
                // then the remaining replicas
                "aaa/api-2/api prev",
                "aaa/api-3/api prev",
                // the rest: current logs of restarted containers, in turn too
                "aaa/api-1/api",
                "zzz/worker-1/worker",
                "aaa/web-1/web",
                "aaa/api-2/api",
                "aaa/api-3/api",
            ]
        );
        // With a small cap, the namespace last in the alphabet keeps its decisive log.
        assert!(got[..3].contains(&"zzz/worker-1/worker prev".to_string()));
    }

    #[test]
    fn a_restarted_container_not_ready_yet_is_wanted_once_per_instance() {
        let v = view(vec![pod(
            "a",
            "p",
            None,
            json!({"phase": "Running", "containerStatuses": [{
                "name": "c", "ready": false, "restartCount": 2,
                "state": {"running": {}},
                "lastState": {"terminated": {"exitCode": 1}}
            }]}),
        )]);
        let got = wanted_logs(&v);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            (got[0].key.previous, got[0].need),
            (true, LogNeed::Previous)
        );
        assert_eq!(
            (got[1].key.previous, got[1].need),
            (false, LogNeed::NotReady)
        );
    }

    #[test]
    fn the_note_says_how_many_were_dropped_and_of_what() {
        let v = view(vec![
            pod("aaa", "api-1", Some("api-rs"), crashing("api")),
            pod("bbb", "job-x", None, crashing("job")),
            pod("ccc", "front-1", None, not_ready("front")),
        ]);
        let all = wanted_logs(&v);
        assert_eq!(all.len(), 5, "{all:?}");
        let note = dropped_note(all.len(), 2, &all[2..]);
        assert_eq!(
            note,
            "logs: 5 container logs were wanted, kept 2; 3 not kept: \
             1 logs of running containers that are not ready (namespace ccc); \
             2 current logs of restarted containers (namespaces aaa, bbb)"
        );
    }

    #[test]
    fn one_ready_pod_per_workload_comes_after_the_failing_ones() {
        let ready = |ns: &str, name: &str, rs: &str| {
            let mut p = pod(
                ns,
                name,
                Some(rs),
                json!({"phase": "Running",
                    "conditions": [{"type": "Ready", "status": "True"}],
                    "containerStatuses": [{"name": "web", "ready": true, "restartCount": 0,
                        "state": {"running": {}}}]}),
            );
            p["spec"] = json!({"containers": [{"name": "web"}, {"name": "proxy"}]});
            p
        };
        let v = view(vec![
            ready("shop", "front-b", "front-rs"),
            ready("shop", "front-a", "front-rs"),
            pod("shop", "api-1", Some("api-rs"), crashing("api")),
        ]);
        let got = names(&wanted_logs(&v));
        assert_eq!(
            got,
            ["shop/api-1/api prev", "shop/front-a/web", "shop/api-1/api"],
            "{got:?}"
        );
    }
}
