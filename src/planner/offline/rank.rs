//! Which findings lead: relevance to the symptom, and consequences explained by their cause.

use crate::analyze::{Finding, Severity};
use crate::planner::offline::symptom::Symptom;

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
