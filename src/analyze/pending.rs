//! Pending pods: insufficient cpu/memory, node selector / affinity / taint mismatch, unbound
//! PVC, missing StorageClass.

use serde_json::Value;

use super::pod::{PodFinding, workload_name};
use super::util::{
    arr, condition, human_quantity, meta_name, meta_namespace, ns_flag, quantity, s, sp,
};
use super::{ClusterView, Finding, ObjectRef, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in view.all("Pod") {
        if sp(pod, "/status/phase") != "Pending" || !sp(pod, "/spec/nodeName").is_empty() {
            continue;
        }
        if let Some(f) = check(view, pod) {
            out.push(f);
        }
    }
    out
}

/// The pod's total requests for a resource (containers summed; init containers by max).
pub fn pod_request(pod: &Value, resource: &str) -> f64 {
    let ptr = format!("/resources/requests/{resource}");
    let sum: f64 = arr(pod, "/spec/containers")
        .iter()
        .filter_map(|c| quantity(sp(c, &ptr)))
        .sum();
    let init = arr(pod, "/spec/initContainers")
        .iter()
        .filter_map(|c| quantity(sp(c, &ptr)))
        .fold(0.0, f64::max);
    sum.max(init)
}

/// A pod's request as its manifest writes it (`6Gi`) when one container asks for it, else the
/// sum.
fn requested_words(pod: &Value, res: &str, total: f64) -> String {
    let ptr = format!("/resources/requests/{res}");
    let written: Vec<&str> = arr(pod, "/spec/containers")
        .iter()
        .map(|c| sp(c, &ptr))
        .filter(|q| !q.is_empty())
        .collect();
    match written.as_slice() {
        [one] if quantity(one) == Some(total) => one.to_string(),
        _ => human_quantity(res, total),
    }
}

/// Taints that keep pods off a node: NoSchedule/NoExecute ones someone put there, and the
/// condition taints (`node.kubernetes.io/not-ready`, `…/disk-pressure`) only while the node's
/// state still says so: a node that reports Ready=True carries them until the node lifecycle
/// controller removes them, and the apiserver sets `not-ready` on every node it registers.
fn blocking_taints(node: &Value) -> impl Iterator<Item = &Value> {
    let troubled = !super::util::node_troubles(node).is_empty();
    arr(node, "/spec/taints").iter().filter(move |t| {
        matches!(s(t, "effect"), "NoSchedule" | "NoExecute")
            && (troubled || super::util::condition_taint(s(t, "key")).is_none())
    })
}

/// Why a taint keeps pods off `node`, in words: the node's state for a condition taint
/// (`worker-3 (NotReady)`), the taint itself otherwise (`edge-1 (dedicated=ingress:NoSchedule)`).
fn taint_reason(node: &Value, t: &Value) -> String {
    match super::util::condition_taint(s(t, "key")) {
        Some(state) => format!(
            "{} ({})",
            meta_name(node),
            super::util::node_troubles(node)
                .first()
                .copied()
                .unwrap_or(state)
        ),
        None => format!("{} ({})", meta_name(node), super::util::taint_words(t)),
    }
}

fn selector_ok(pod: &Value, node: &Value) -> bool {
    let Some(sel) = pod.pointer("/spec/nodeSelector").and_then(Value::as_object) else {
        return true;
    };
    sel.iter()
        .all(|(k, v)| node.pointer("/metadata/labels").and_then(|l| l.get(k)) == Some(v))
}

fn affinity_ok(pod: &Value, node: &Value) -> bool {
    let terms = arr(
        pod,
        "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
    );
    if terms.is_empty() {
        return true;
    }
    terms.iter().any(|term| {
        let sel = serde_json::json!({ "matchExpressions": term.get("matchExpressions").cloned().unwrap_or(Value::Null) });
        super::util::label_selector_matches(&sel, node)
    })
}

/// The pod's required node affinity in words, and the label keys it asks about.
fn affinity_words(pod: &Value) -> (String, Vec<String>) {
    let mut keys = Vec::new();
    let terms: Vec<String> = arr(
        pod,
        "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
    )
    .iter()
    .map(|t| {
        arr(t, "/matchExpressions")
            .iter()
            .map(|e| {
                keys.push(s(e, "key").to_string());
                let values: Vec<&str> = arr(e, "/values").iter().filter_map(Value::as_str).collect();
                if values.is_empty() {
                    format!("{} {}", s(e, "key"), s(e, "operator"))
                } else {
                    format!("{} {} [{}]", s(e, "key"), s(e, "operator"), values.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join(" and ")
    })
    .collect();
    keys.sort();
    keys.dedup();
    (terms.join(" or "), keys)
}

/// What the nodes carry for these label keys: `; nodes have pool=a (n1), pool=b (n2, n3)`,
/// or `; no node has label pool`.
fn node_values(nodes: &[&Value], keys: &[&str]) -> String {
    let mut parts = Vec::new();
    for k in keys {
        let mut by_value: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
        for n in nodes {
            if let Some(v) = n
                .pointer("/metadata/labels")
                .and_then(|l| l.get(*k))
                .and_then(Value::as_str)
            {
                by_value
                    .entry(v.to_string())
                    .or_default()
                    .push(meta_name(n));
            }
        }
        if by_value.is_empty() {
            parts.push(format!("no node has label {k}"));
        } else {
            parts.push(format!(
                "nodes have {}",
                by_value
                    .iter()
                    .map(|(v, ns)| format!("{k}={v} ({})", ns.join(", ")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join("; "))
    }
}

fn check(view: &ClusterView, pod: &Value) -> Option<Finding> {
    let ns = meta_namespace(pod).unwrap_or("");
    let name = meta_name(pod);
    let sched = condition(pod, "PodScheduled");
    let unschedulable =
        sched.is_some_and(|(st, reason, _)| st == "False" && reason == "Unschedulable");
    let sched_msg = sched.map(|(_, _, m)| m).unwrap_or("");
    let mut evidence = Vec::new();
    let mut causes: Vec<String> = Vec::new();
    let mut related = Vec::new();
    let mut checks = Vec::new();
    let mut fixes: Vec<String> = Vec::new();
    if unschedulable {
        evidence.push(format!("PodScheduled=False (Unschedulable): {sched_msg}"));
    }
    for e in view.events_for("Pod", ns, name).iter().rev() {
        if s(e, "reason") == "FailedScheduling" {
            evidence.push(super::util::event_line(e));
            break;
        }
    }
    let msg = format!("{sched_msg} {}", evidence.join(" ")).to_ascii_lowercase();

    // Volumes: PVCs that are missing or unbound, and their StorageClass.
    for vol in arr(pod, "/spec/volumes") {
        let claim = sp(vol, "/persistentVolumeClaim/claimName");
        if claim.is_empty() {
            continue;
        }
        match view.get("PersistentVolumeClaim", ns, claim) {
            None if view.is_listed("PersistentVolumeClaim", Some(ns)) => {
                causes.push(format!("PersistentVolumeClaim {claim} does not exist"));
                fixes.push(format!(
                    "Create PersistentVolumeClaim {claim} or fix the claim name."
                ));
                related.push(ObjectRef::new("PersistentVolumeClaim", Some(ns), claim));
            }
            Some(pvc) if sp(pvc, "/status/phase") != "Bound" => {
                let sc = sp(pvc, "/spec/storageClassName");
                related.push(ObjectRef::new("PersistentVolumeClaim", Some(ns), claim));
                checks.push(format!("describe pvc {claim}{}", ns_flag(ns)));
                evidence.push(format!(
                    "PersistentVolumeClaim {claim} is {} (storageClassName: {})",
                    if sp(pvc, "/status/phase").is_empty() {
                        "not bound"
                    } else {
                        sp(pvc, "/status/phase")
                    },
                    if sc.is_empty() { "<default>" } else { sc }
                ));
                if !sc.is_empty()
                    && view.is_listed("StorageClass", None)
                    && view.get("StorageClass", "", sc).is_none()
                {
                    causes.push(format!("PersistentVolumeClaim {claim} is unbound because StorageClass {sc} does not exist"));
                    fixes.push(format!("Create StorageClass {sc} or set the claim's storageClassName to an existing class (kubectl get storageclass)."));
                    related.push(ObjectRef::new("StorageClass", None, sc));
                    checks.push("get storageclass".to_string());
                } else {
                    causes.push(format!("PersistentVolumeClaim {claim} is not bound"));
                    fixes.push(format!("Check why claim {claim} is not bound: a provisioner for its class, or a matching PersistentVolume."));
                }
            }
            _ => {}
        }
    }

    // Nodes, when we know them.
    let nodes: Vec<&Value> = view.all("Node").collect();
    let cpu = pod_request(pod, "cpu");
    let mem = pod_request(pod, "memory");
    if msg.contains("insufficient memory") || msg.contains("insufficient cpu") || !nodes.is_empty()
    {
        // The nodes the pod could go to: schedulable, matching its selector and affinity,
        // taints tolerated (all nodes when none qualifies).
        let candidates: Vec<&Value> = nodes
            .iter()
            .copied()
            .filter(|n| {
                n.pointer("/spec/unschedulable").and_then(Value::as_bool) != Some(true)
                    && selector_ok(pod, n)
                    && affinity_ok(pod, n)
                    && blocking_taints(n).all(|t| super::util::pod_tolerates(pod, t))
            })
            .collect();
        let (among, which) = if candidates.is_empty() || candidates.len() == nodes.len() {
            (nodes.clone(), "the largest node allocatable".to_string())
        } else {
            let n = candidates.len();
            (
                candidates,
                format!(
                    "the largest allocatable of the {n} node{} it can use (schedulable, selector and taints allow it)",
                    if n == 1 { "" } else { "s" }
                ),
            )
        };
        for (res, want) in [("memory", mem), ("cpu", cpu)] {
            let said = msg.contains(&format!("insufficient {res}"));
            let alloc = |n: &Value| quantity(sp(n, &format!("/status/allocatable/{res}")));
            let max_alloc = among.iter().filter_map(|n| alloc(n)).fold(0.0, f64::max);
            let too_big = !nodes.is_empty() && want > 0.0 && want > max_alloc;
            if said || too_big {
                let mut c = format!(
                    "insufficient {res}: the pod requests {}",
                    requested_words(pod, res, want)
                );
                if !nodes.is_empty() {
                    c.push_str(&format!(", {which} is {}", human_quantity(res, max_alloc)));
                    // What the pods klue sees there already request.
                    let free = among
                        .iter()
                        .filter_map(|n| {
                            let used: f64 = view
                                .all("Pod")
                                .filter(|p| {
                                    sp(p, "/spec/nodeName") == meta_name(n)
                                        && !matches!(sp(p, "/status/phase"), "Succeeded" | "Failed")
                                })
                                .map(|p| pod_request(p, res))
                                .sum();
                            alloc(n).map(|a| (a - used, used))
                        })
                        .fold(None, |best: Option<(f64, f64)>, x| match best {
                            Some(b) if b.0 >= x.0 => Some(b),
                            _ => Some(x),
                        });
                    if let Some((free, used)) = free
                        && used > 0.0
                    {
                        c.push_str(&format!(
                            "; at most {} is free there after the {} its pods already request",
                            human_quantity(res, free.max(0.0)),
                            human_quantity(res, used)
                        ));
                    }
                }
                causes.push(c);
                fixes.push(format!(
                    "Lower the {res} request of the {} to fit the nodes, or add nodes with more {res}.",
                    workload_name(pod)
                ));
                checks.push("describe nodes".to_string());
            }
        }
    }
    if !nodes.is_empty() {
        // With the nodes at hand, klue checks each requirement itself (the scheduler's
        // message sums over nodes: "didn't match Pod's node affinity/selector" is said of the
        // nodes that fail it, even when another node matches and is only tainted).
        if nodes.iter().all(|n| !selector_ok(pod, n))
            && let Some(sel) = pod.pointer("/spec/nodeSelector").and_then(Value::as_object)
        {
            let wanted: Vec<String> = sel
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            let keys: Vec<&str> = sel.keys().map(String::as_str).collect();
            causes.push(format!(
                "no node has the labels of the pod's nodeSelector ({}){}",
                wanted.join(", "),
                node_values(&nodes, &keys)
            ));
            fixes.push("Fix the nodeSelector, or label a node to match it.".to_string());
            checks.push("get nodes --show-labels".to_string());
        }
        if nodes.iter().all(|n| !affinity_ok(pod, n)) {
            let (req, keys) = affinity_words(pod);
            causes.push(format!(
                "no node matches the pod's required node affinity ({req}){}",
                node_values(&nodes, &keys.iter().map(String::as_str).collect::<Vec<_>>())
            ));
            fixes.push(
                "Relax or fix spec.affinity.nodeAffinity, or label a node to match.".to_string(),
            );
            checks.push("get nodes --show-labels".to_string());
        }
        let untolerated: Vec<String> = nodes
            .iter()
            .filter(|n| selector_ok(pod, n) && affinity_ok(pod, n))
            .flat_map(|n| {
                blocking_taints(n)
                    .filter(|t| !super::util::pod_tolerates(pod, t))
                    .map(move |t| taint_reason(n, t))
            })
            .collect();
        let mut untolerated = untolerated;
        untolerated.dedup();
        let eligible = nodes
            .iter()
            .filter(|n| selector_ok(pod, n) && affinity_ok(pod, n))
            .count();
        let all_tainted = eligible > 0
            && (msg.contains("taint") || !unschedulable)
            && nodes
                .iter()
                .filter(|n| selector_ok(pod, n) && affinity_ok(pod, n))
                .all(|n| blocking_taints(n).any(|t| !super::util::pod_tolerates(pod, t)));
        if all_tainted {
            causes.insert(
                0,
                if eligible == 1 {
                    format!(
                        "the only node its nodeSelector/affinity allows has a taint the pod does not tolerate: {}",
                        untolerated.join(", ")
                    )
                } else {
                    format!(
                        "every candidate node has a taint the pod does not tolerate: {}",
                        untolerated.join(", ")
                    )
                },
            );
            fixes.insert(
                0,
                "Add a matching toleration to the pod spec, or remove the taint from a node."
                    .to_string(),
            );
            checks.push("describe nodes".to_string());
        }
    } else if causes.is_empty() && unschedulable {
        if msg.contains("node selector") || msg.contains("node affinity") {
            causes.push("no node matches the pod's node selector / affinity".to_string());
            fixes.push("Fix the nodeSelector/affinity, or label a node to match it.".to_string());
        }
        if msg.contains("taint") {
            causes.push("the nodes have taints the pod does not tolerate".to_string());
            fixes.push("Add a matching toleration, or remove the taint.".to_string());
        }
        if msg.contains("unbound") && msg.contains("persistentvolumeclaim") {
            causes.push("a PersistentVolumeClaim of the pod is not bound".to_string());
            fixes.push("Check the claim's StorageClass and provisioner.".to_string());
        }
    }
    if !unschedulable && causes.is_empty() {
        return None;
    }
    causes.dedup();
    fixes.dedup();
    checks.dedup();
    if causes.is_empty() {
        causes.push(if sched_msg.is_empty() {
            "the scheduler cannot place it".to_string()
        } else {
            sched_msg.to_string()
        });
        fixes.push("Read the scheduler's message above and adjust the pod's requests, selectors or tolerations.".to_string());
    }
    for c in &causes {
        evidence.push(c.clone());
    }
    let mut f = PodFinding {
        pod,
        analyzer: "pending",
        severity: Severity::Warning,
        rank: 10,
    }
    .build(
        format!("pod cannot be scheduled: {}", causes[0]),
        "The pod stays Pending because no node satisfies its requirements.".to_string(),
        evidence,
        fixes.join(" "),
        checks,
    );
    f.related.extend(related);
    Some(f)
}
