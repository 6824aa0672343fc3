//! Which findings lead: relevance to the symptom, consequences explained by their cause, and
//! the follow-up queries that show a finding's evidence in full.

use crate::analyze::{Finding, Severity};
use crate::planner::offline::observe::{Observed, kind_of};
use crate::planner::offline::symptom::Symptom;

/// Findings reported together when the symptom does not single one out.
const MAX_CO_FINDINGS: usize = 5;

/// Findings by relevance to the symptom (most relevant first) with their scores.
pub(super) fn rank<'a>(
    findings: &'a [Finding],
    symptom: &Symptom,
    ns: Option<&str>,
) -> Vec<(i64, &'a Finding)> {
    let text = symptom.text_without(ns);
    let families = symptom.families();
    let mut scored: Vec<(i64, &Finding)> = findings
        .iter()
        .map(|f| {
            let mut score = match f.severity {
                Severity::Critical => 0,
                Severity::Warning => 60,
                Severity::Info => 140,
            } + i64::from(f.rank) * 2;
            let named = symptom.mentions(&f.object.name, ns)
                || f.related.iter().any(|r| symptom.mentions(&r.name, ns))
                || f.evidence.iter().any(|e| {
                    e.starts_with("same problem on pods:")
                        && symptom.words.iter().any(|w| e.contains(w.as_str()))
                });
            if named {
                score -= 150;
            }
            if families
                .iter()
                .any(|fam| fam.analyzers.contains(&f.analyzer.as_str()))
            {
                score -= 60;
            }
            match (&f.object.namespace, ns) {
                (Some(fns), Some(n)) if fns != n => score += 400,
                (None, _) if !named && !text.contains("node") => score += 200,
                _ => {}
            }
            (score, f)
        })
        .collect();
    scored.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.severity.cmp(&b.1.severity))
            .then_with(|| a.1.object.cmp(&b.1.object))
    });
    scored
}

/// The findings to report: the most relevant one, plus others as relevant when the symptom
/// does not single one out.
pub(super) fn leading<'a>(
    ranked: &[(i64, &'a Finding)],
    symptom: &Symptom,
    ns: Option<&str>,
) -> Vec<&'a Finding> {
    let Some((best, first)) = ranked.first() else {
        return Vec::new();
    };
    if *best >= 300 {
        return Vec::new(); // only findings elsewhere
    }
    let mut out = vec![*first];
    let named = |f: &Finding| {
        symptom.mentions(&f.object.name, ns)
            || f.related.iter().any(|r| symptom.mentions(&r.name, ns))
    };
    let first_named = named(first);
    for (score, f) in ranked.iter().skip(1) {
        if out.len() >= MAX_CO_FINDINGS || *score >= 300 {
            break;
        }
        // Already covered: it explains, or is explained by, a finding reported.
        if f.rank >= 40
            || explained_by(f, &out).is_some()
            || out.iter().any(|o| explained_by(o, &[*f]).is_some())
        {
            continue;
        }
        // When the symptom names objects, report the other named ones; otherwise everything
        // about as relevant as the first.
        let take = if first_named {
            named(f)
        } else {
            *score - best < 120
        };
        if take {
            out.push(f);
        }
    }
    out
}

/// A root-cause-level finding that explains a consequence finding (a stuck rollout, a Service
/// without ready endpoints, a PDB blocked by unhealthy pods).
pub(super) fn explained_by<'a>(f: &Finding, candidates: &[&'a Finding]) -> Option<&'a Finding> {
    candidates.iter().copied().find(|c| {
        c.rank < f.rank
            && c.object.namespace == f.object.namespace
            && (f.related.contains(&c.object)
                || c.related.iter().any(|r| {
                    r.name == f.object.name || r.name.starts_with(&format!("{}-", f.object.name))
                }))
    })
}

/// Read-only queries that show a finding's evidence in full.
pub(super) fn follow_ups(f: &Finding, obs: &Observed, ns: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = f.checks.iter().take(2).cloned().collect();
    let in_ns = |r: &str| {
        ns.map(|n| format!("get {r} -n {n}"))
            .unwrap_or_else(|| format!("get {r} -A"))
    };
    let needs: &[&str] = match f.analyzer.as_str() {
        "pending" => &["nodes", "persistentvolumeclaims", "storageclasses"],
        "rollout" => &["replicasets", "resourcequotas"],
        "ingress" => &["services", "ingressclasses"],
        "service" => &["endpoints"],
        "network-policy" => &["services"],
        "cronjob" => &["jobs"],
        _ => &[],
    };
    for r in needs {
        if let Some((kind, namespaced)) = kind_of(r) {
            let listed = obs.view.is_listed(kind, if namespaced { ns } else { None });
            if !listed {
                out.push(if namespaced {
                    in_ns(r)
                } else {
                    format!("get {r}")
                });
            }
        }
    }
    out
}
