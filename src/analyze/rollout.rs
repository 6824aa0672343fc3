//! Stuck rollouts: ProgressDeadlineExceeded, ReplicaFailure (quota, admission), unavailable
//! replicas.

use serde_json::Value;

use super::util::{
    condition, event_line, int, meta_name, meta_namespace, ns_flag, owner, s, sp, warning_messages,
};
use super::{ClusterView, Finding, ObjectRef, Severity};

fn base(kind: &str, obj: &Value, severity: Severity, rank: u8, title: String) -> Finding {
    let ns = meta_namespace(obj).unwrap_or("");
    let name = meta_name(obj);
    Finding {
        analyzer: "rollout".into(),
        severity,
        object: ObjectRef::new(kind, Some(ns), name),
        title,
        explanation: String::new(),
        evidence: Vec::new(),
        remediation: String::new(),
        checks: vec![format!(
            "describe {} {name}{}",
            kind.to_ascii_lowercase(),
            ns_flag(ns)
        )],
        related: Vec::new(),
        rank,
    }
}

fn replicas_line(obj: &Value) -> String {
    format!(
        "replicas: desired {}, updated {}, ready {}, available {}",
        int(obj, "/spec/replicas").unwrap_or(1),
        int(obj, "/status/updatedReplicas").unwrap_or(0),
        int(obj, "/status/readyReplicas").unwrap_or(0),
        int(obj, "/status/availableReplicas").unwrap_or(0)
    )
}

fn quota_evidence(view: &ClusterView, ns: &str, msg: &str) -> Vec<String> {
    let mut ev = Vec::new();
    for q in view.in_namespace("ResourceQuota", ns) {
        let qn = meta_name(q);
        if !msg.contains(qn) && !msg.contains("exceeded quota") {
            continue;
        }
        if let Some(hard) = q.pointer("/status/hard").and_then(Value::as_object) {
            for (res, h) in hard {
                let used = sp(q, &format!("/status/used/{}", res.replace('/', "~1"))).to_string();
                ev.push(format!(
                    "ResourceQuota {qn}: {res} used {used} of {}",
                    h.as_str().unwrap_or("")
                ));
            }
        }
    }
    ev
}

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    // ReplicaSets that cannot create pods (quota, admission): reported once, on the Deployment
    // when there is one.
    let mut reported_rs_failure = std::collections::BTreeSet::new();
    for dep in view.all("Deployment") {
        let ns = meta_namespace(dep).unwrap_or("");
        let name = meta_name(dep);
        if let Some((st, reason, msg)) =
            condition(dep, "ReplicaFailure").filter(|(st, _, _)| *st == "True")
        {
            let _ = st;
            let mut f = base(
                "Deployment",
                dep,
                Severity::Critical,
                5,
                format!("cannot create pods: {reason}"),
            );
            f.explanation = "The ReplicaSet controller's pod creations are rejected, so the rollout cannot make progress.".into();
            f.evidence
                .push(format!("condition ReplicaFailure=True ({reason}): {msg}"));
            f.evidence.push(replicas_line(dep));
            f.evidence.extend(quota_evidence(view, ns, msg));
            f.remediation = if msg.contains("quota") {
                format!(
                    "Raise the ResourceQuota in namespace {ns}, or lower the requests/replicas of deployment {name} so new pods fit the quota."
                )
            } else {
                "Fix what rejects the pod creation (the message above names it: quota, admission webhook, PodSecurity, LimitRange).".into()
            };
            f.checks
                .push(format!("describe resourcequota{}", ns_flag(ns)));
            reported_rs_failure.insert((ns.to_string(), name.to_string()));
            out.push(f);
        }
        if let Some((_, _, msg)) = condition(dep, "Progressing")
            .filter(|(st, r, _)| *st == "False" && *r == "ProgressDeadlineExceeded")
        {
            let mut f = base(
                "Deployment",
                dep,
                Severity::Critical,
                45,
                "rollout is stuck: ProgressDeadlineExceeded".into(),
            );
            f.explanation = format!(
                "The new ReplicaSet did not become available within progressDeadlineSeconds ({}s); the pods of the new revision are failing.",
                int(dep, "/spec/progressDeadlineSeconds").unwrap_or(600)
            );
            f.evidence.push(format!(
                "condition Progressing=False (ProgressDeadlineExceeded): {msg}"
            ));
            f.evidence.push(replicas_line(dep));
            f.remediation = format!(
                "Find why the new pods of deployment {name} do not become ready (see the pod findings), fix the template, or roll back to the previous revision."
            );
            f.checks
                .push(format!("rollout status deployment/{name}{}", ns_flag(ns)));
            f.checks.push(format!("get pods{}", ns_flag(ns)));
            out.push(f);
        } else if condition(dep, "Available").is_some_and(|(st, _, _)| st == "False")
            && int(dep, "/spec/replicas").unwrap_or(1) > 0
            && !reported_rs_failure.contains(&(ns.to_string(), name.to_string()))
        {
            let mut f = base(
                "Deployment",
                dep,
                Severity::Warning,
                48,
                "deployment does not have minimum availability".into(),
            );
            f.explanation = "Fewer pods are available than the deployment requires; its pods are failing or cannot be scheduled.".into();
            f.evidence.push(replicas_line(dep));
            if let Some((_, r, m)) = condition(dep, "Available") {
                f.evidence
                    .push(format!("condition Available=False ({r}): {m}"));
            }
            f.remediation = format!(
                "Fix why the pods of deployment {name} are not available (see the pod findings)."
            );
            f.checks.push(format!("get pods{}", ns_flag(ns)));
            out.push(f);
        }
    }
    for rs in view.all("ReplicaSet") {
        let ns = meta_namespace(rs).unwrap_or("");
        let dep = owner(rs)
            .filter(|(k, _)| *k == "Deployment")
            .map(|(_, n)| n.to_string());
        if dep
            .as_ref()
            .is_some_and(|d| reported_rs_failure.contains(&(ns.to_string(), d.clone())))
        {
            continue;
        }
        let events = view.events_for("ReplicaSet", ns, meta_name(rs));
        let failed_create = warning_messages(&events, &["FailedCreate"]);
        let cond = condition(rs, "ReplicaFailure").filter(|(st, _, _)| *st == "True");
        if cond.is_none() && failed_create.is_empty() {
            continue;
        }
        if int(rs, "/spec/replicas").unwrap_or(0) == 0 {
            continue;
        }
        let msg = cond
            .map(|(_, _, m)| m.to_string())
            .or_else(|| failed_create.last().map(|e| s(e, "message").to_string()))
            .unwrap_or_default();
        let (kind, target) = match &dep {
            Some(d) => ("Deployment", view.get("Deployment", ns, d).unwrap_or(rs)),
            None => ("ReplicaSet", rs),
        };
        let mut f = base(
            kind,
            target,
            Severity::Critical,
            5,
            "cannot create pods: FailedCreate".into(),
        );
        if dep.is_some()
            && view
                .get("Deployment", ns, dep.as_deref().unwrap_or(""))
                .is_none()
        {
            f.object = ObjectRef::new("ReplicaSet", Some(ns), meta_name(rs));
        }
        f.explanation = "The ReplicaSet controller's pod creations are rejected, so the workload stays below its desired replicas.".into();
        f.evidence
            .push(format!("replicaset {}: {msg}", meta_name(rs)));
        for e in failed_create.iter().rev().take(1) {
            f.evidence.push(event_line(e));
        }
        f.evidence.extend(quota_evidence(view, ns, &msg));
        f.remediation = if msg.contains("quota") {
            format!(
                "Raise the ResourceQuota in namespace {ns}, or lower the requests/replicas so new pods fit the quota."
            )
        } else {
            "Fix what rejects the pod creation (the message above names it).".into()
        };
        f.related
            .push(ObjectRef::new("ReplicaSet", Some(ns), meta_name(rs)));
        out.push(f);
    }
    for (kind, desired_p, ready_p) in [
        ("StatefulSet", "/spec/replicas", "/status/readyReplicas"),
        (
            "DaemonSet",
            "/status/desiredNumberScheduled",
            "/status/numberReady",
        ),
    ] {
        for obj in view.all(kind) {
            if obj
                .get("status")
                .is_none_or(|st| st.as_object().is_none_or(|m| m.is_empty()))
            {
                continue;
            }
            let desired = int(obj, desired_p).unwrap_or(1);
            let ready = int(obj, ready_p).unwrap_or(0);
            if desired > 0 && ready < desired {
                let mut f = base(
                    kind,
                    obj,
                    Severity::Warning,
                    48,
                    format!("{ready} of {desired} pods ready"),
                );
                f.explanation = format!(
                    "The {} has fewer ready pods than desired; its pods are failing or cannot be scheduled.",
                    kind.to_ascii_lowercase()
                );
                f.evidence.push(format!("desired {desired}, ready {ready}"));
                f.remediation = "Fix why its pods are not ready (see the pod findings).".into();
                out.push(f);
            }
        }
    }
    out
}
