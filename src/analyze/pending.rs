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

/// Taints that keep pods off a node: NoSchedule/NoExecute, minus the condition taints a node
/// that reports Ready=True still carries until the node lifecycle controller removes them.
fn blocking_taints(node: &Value) -> impl Iterator<Item = &Value> {
    let ready = condition(node, "Ready").is_some_and(|(st, _, _)| st == "True");
    arr(node, "/spec/taints").iter().filter(move |t| {
        matches!(s(t, "effect"), "NoSchedule" | "NoExecute")
            && !(ready
                && matches!(
                    s(t, "key"),
                    "node.kubernetes.io/not-ready" | "node.kubernetes.io/unreachable"
                ))
    })
}

fn tolerates(pod: &Value, taint: &Value) -> bool {
    arr(pod, "/spec/tolerations").iter().any(|t| {
        let key_ok = s(t, "key").is_empty() && s(t, "operator") == "Exists"
            || s(t, "key") == s(taint, "key");
        let effect_ok = s(t, "effect").is_empty() || s(t, "effect") == s(taint, "effect");
        let value_ok = s(t, "operator") == "Exists" || s(t, "value") == s(taint, "value");
        key_ok && effect_ok && value_ok
    })
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
        for (res, want) in [("memory", mem), ("cpu", cpu)] {
            let said = msg.contains(&format!("insufficient {res}"));
            let max_alloc = nodes
                .iter()
                .filter_map(|n| quantity(sp(n, &format!("/status/allocatable/{res}"))))
                .fold(0.0, f64::max);
            let too_big = !nodes.is_empty() && want > 0.0 && want > max_alloc;
            if said || too_big {
                let mut c = format!(
                    "insufficient {res}: the pod requests {}",
                    human_quantity(res, want)
                );
                if !nodes.is_empty() {
                    c.push_str(&format!(
                        ", the largest node allocatable is {}",
                        human_quantity(res, max_alloc)
                    ));
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
        let sel_fail = nodes.iter().all(|n| !selector_ok(pod, n));
        if sel_fail
            || msg.contains("node selector")
            || msg.contains("didn't match pod's node affinity")
        {
            let sel = pod
                .pointer("/spec/nodeSelector")
                .map(|v| v.to_string())
                .unwrap_or_default();
            if !sel.is_empty() {
                causes.push(format!(
                    "no node has the labels of the pod's nodeSelector {sel}"
                ));
                fixes.push("Fix the nodeSelector, or label a node to match it.".to_string());
                checks.push("get nodes --show-labels".to_string());
            }
        }
        if nodes.iter().all(|n| !affinity_ok(pod, n)) {
            causes.push("no node matches the pod's required node affinity".to_string());
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
                    .filter(|t| !tolerates(pod, t))
                    .map(move |t| {
                        format!(
                            "{} ({}={}:{})",
                            meta_name(n),
                            s(t, "key"),
                            s(t, "value"),
                            s(t, "effect")
                        )
                    })
            })
            .collect();
        let eligible = nodes
            .iter()
            .filter(|n| selector_ok(pod, n) && affinity_ok(pod, n))
            .count();
        let all_tainted = eligible > 0
            && (msg.contains("taint") || !unschedulable)
            && nodes
                .iter()
                .filter(|n| selector_ok(pod, n) && affinity_ok(pod, n))
                .all(|n| blocking_taints(n).any(|t| !tolerates(pod, t)));
        if all_tainted {
            causes.push(format!(
                "every candidate node has a taint the pod does not tolerate: {}",
                untolerated.join(", ")
            ));
            fixes.push(
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
