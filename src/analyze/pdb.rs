//! PodDisruptionBudgets that allow no disruption (they block drains and upgrades).

use super::util::{int, meta_name, meta_namespace, ns_flag};
use super::{ClusterView, Finding, ObjectRef, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for pdb in view.all("PodDisruptionBudget") {
        let (Some(allowed), Some(expected)) = (
            int(pdb, "/status/disruptionsAllowed"),
            int(pdb, "/status/expectedPods"),
        ) else {
            continue;
        };
        if allowed > 0 || expected == 0 {
            continue;
        }
        let ns = meta_namespace(pdb).unwrap_or("");
        let name = meta_name(pdb);
        let healthy = int(pdb, "/status/currentHealthy").unwrap_or(0);
        let desired = int(pdb, "/status/desiredHealthy").unwrap_or(0);
        let rule = pdb
            .pointer("/spec/minAvailable")
            .map(|v| {
                format!(
                    "minAvailable {}",
                    v.as_i64()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| v.as_str().unwrap_or("").to_string())
                )
            })
            .or_else(|| {
                pdb.pointer("/spec/maxUnavailable").map(|v| {
                    format!(
                        "maxUnavailable {}",
                        v.as_i64()
                            .map(|n| n.to_string())
                            .unwrap_or_else(|| v.as_str().unwrap_or("").to_string())
                    )
                })
            })
            .unwrap_or_default();
        let (why, fix) = if healthy < desired {
            (
                format!("only {healthy} of the {desired} pods it requires are healthy"),
                "Fix the unhealthy pods it covers; the budget frees up when they are ready."
                    .to_string(),
            )
        } else {
            (
                format!("its {rule} leaves no room with {expected} pods"),
                "Lower minAvailable (or raise maxUnavailable), or run more replicas, so at least one pod may be disrupted.".to_string(),
            )
        };
        out.push(Finding {
            analyzer: "pdb".into(),
            severity: Severity::Warning,
            object: ObjectRef::new("PodDisruptionBudget", Some(ns), name),
            title: format!("allows 0 disruptions: {why}"),
            explanation: "Node drains, upgrades and evictions of the pods it covers will block.".into(),
            evidence: vec![
                format!("{rule}; expected pods {expected}, healthy {healthy}, desired healthy {desired}, disruptions allowed {allowed}"),
            ],
            remediation: fix,
            checks: vec![format!("describe pdb {name}{}", ns_flag(ns))],
            related: Vec::new(),
            rank: 50,
        });
    }
    out
}
