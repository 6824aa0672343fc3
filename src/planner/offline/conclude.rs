//! The offline planner's conclusions: causes stated with their telling evidence, citations of
//! the executions that showed it, and the conclusion when nothing was found.

use crate::analyze::{Finding, Severity};
use crate::planner::offline::observe::{Observed, object_key};
use crate::planner::offline::rank::explained_by;
use crate::planner::{Action, Step};
use crate::protocol::{
    Conclusion, Confidence, ErrorClass, Evidence, Hypothesis, HypothesisId, HypothesisStatus,
    Problem, ProposalId, Unchecked,
};

/// Which executions show an evidence line.
pub(super) fn cite(f: &Finding, line: &str, obs: &Observed) -> Vec<crate::protocol::ProposalId> {
    let ns = f.object.namespace.clone().unwrap_or_default();
    let mut calls: Vec<String> = Vec::new();
    if line.starts_with("log:") {
        for (k, c) in &obs.logs_in {
            if k.starts_with(&format!("{ns}/{}/", f.object.name))
                || f.related
                    .iter()
                    .any(|r| k.starts_with(&format!("{ns}/{}/", r.name)))
            {
                calls.extend(c.iter().cloned());
            }
        }
    } else if line.starts_with("event ") {
        calls.extend(obs.events_in.iter().cloned());
    }
    if calls.is_empty() {
        let key = object_key(&f.object.kind, &ns, &f.object.name);
        calls.extend(obs.seen_in.get(&key).cloned().unwrap_or_default());
        for r in &f.related {
            let k = object_key(&r.kind, r.namespace.as_deref().unwrap_or(""), &r.name);
            if line.contains(&r.name)
                && let Some(c) = obs.seen_in.get(&k)
            {
                calls.extend(c.iter().cloned());
            }
        }
    }
    calls.sort();
    calls.dedup();
    calls.into_iter().map(crate::protocol::ProposalId).collect()
}

/// The sentence that states a finding as a cause, with its most telling evidence.
pub(super) fn cause_text(f: &Finding) -> String {
    let telling: Vec<&String> = f
        .evidence
        .iter()
        .filter(|e| {
            e.starts_with("log:")
                || e.starts_with("termination message")
                || e.starts_with("status message")
                || e.contains("does not exist")
                || e.contains("has no key")
                || e.starts_with("condition")
                || e.starts_with("insufficient")
                || e.starts_with("selector")
                || e.starts_with("service port")
                || e.starts_with("PersistentVolumeClaim")
                || e.starts_with("event Warning")
                || e.starts_with("isolated pods")
                || e.starts_with("status: Failed")
        })
        .take(2)
        .collect();
    let mut s = format!("{} {}: {}", f.object.kind, qualified(f), f.title);
    if !telling.is_empty() {
        s.push_str(&format!(
            " ({})",
            telling
                .iter()
                .map(|e| e.trim_start_matches("log: ").to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    s
}

pub(super) fn qualified(f: &Finding) -> String {
    match &f.object.namespace {
        Some(ns) => format!("{ns}/{}", f.object.name),
        None => f.object.name.clone(),
    }
}

pub(super) fn conclude(
    leading: &[&Finding],
    ranked: &[(i64, &Finding)],
    obs: &Observed,
    mut hypotheses: Vec<Hypothesis>,
) -> Step {
    let all: Vec<&Finding> = ranked.iter().map(|(_, f)| *f).collect();
    let mut problems = Vec::new();
    for f in leading {
        // A consequence (rollout, service, PDB) is explained by the failure underneath it.
        let under = if f.rank >= 40 {
            explained_by(f, &all)
        } else {
            None
        };
        let first_cite = |g: &Finding| {
            g.evidence
                .first()
                .map(|e| cite(g, e, obs))
                .unwrap_or_default()
        };
        let mut problem = match under {
            Some(u) => {
                let mut p = Problem::new(cause_text(u))
                    .link(Evidence::new(cause_text(f), first_cite(f)))
                    .link(Evidence::new(cause_text(u), first_cite(u)))
                    .remediation(u.remediation.clone());
                for e in u.evidence.iter().take(4) {
                    p.evidence.push(Evidence::new(
                        format!("{}: {e}", u.object.short()),
                        cite(u, e, obs),
                    ));
                }
                p
            }
            None => Problem::new(cause_text(f)).remediation(f.remediation.clone()),
        };
        for e in f.evidence.iter().take(5) {
            problem.evidence.push(Evidence::new(
                format!("{}: {e}", f.object.short()),
                cite(f, e, obs),
            ));
        }
        problems.push(problem);
        let statement = format!("{}: {}", f.object, f.title);
        let id = obs
            .hypotheses
            .get(&statement)
            .cloned()
            .or_else(|| {
                hypotheses
                    .iter()
                    .find(|h| h.statement == statement)
                    .map(|h| h.id.0.clone())
            })
            .unwrap_or_else(|| format!("h{}", obs.hypotheses.len() + hypotheses.len() + 1));
        hypotheses.retain(|h| h.statement != statement);
        hypotheses.push(Hypothesis {
            id: HypothesisId(id),
            statement,
            status: HypothesisStatus::Confirmed,
            evidence_for: f
                .evidence
                .iter()
                .take(3)
                .map(|e| Evidence::new(e.clone(), cite(f, e, obs)))
                .collect(),
            evidence_against: Vec::new(),
        });
    }
    let confidence = if leading.iter().any(|f| {
        f.evidence.iter().any(|e| {
            e.starts_with("log:") || e.contains("does not exist") || e.contains("has no key")
        })
    }) || leading.iter().all(|f| f.severity == Severity::Critical)
    {
        Confidence::High
    } else {
        Confidence::Medium
    };
    let mut actions: Vec<Action> = hypotheses.into_iter().map(Action::Hypothesis).collect();
    let conclusion = Conclusion::diagnosed(problems, confidence);
    let text = format!("Root cause: {}", conclusion.headline());
    actions.push(Action::Conclude(conclusion));
    Step {
        text,
        actions,
        usage: None,
    }
}

pub(super) fn no_finding(obs: &Observed, where_: &str) -> Step {
    let mut text =
        format!("None of klue's analyzers found a failure in {where_} that matches the symptom.");
    if !obs.declined.is_empty() {
        text.push_str(&format!(
            " Some queries did not run: {}.",
            obs.declined.join("; ")
        ));
    }
    // Only queries that answered were checked; a failed one is what could not be checked.
    let mut conclusion = Conclusion::inconclusive(text.clone()).note(
        "Name the failing workload or namespace more precisely, or describe the error users see; then look at that workload's logs and describe output.",
    );
    for (cmd, calls) in obs.ran.iter() {
        match obs.failed.get(cmd) {
            Some(error) => conclusion.unchecked.push(Unchecked {
                id: calls.last().cloned().map(ProposalId),
                command: cmd.clone(),
                class: ErrorClass::of_message(error),
                error: error.clone(),
            }),
            None if conclusion.checked.len() < 6 => conclusion.checked.push(Evidence::new(
                format!("`{cmd}` showed nothing abnormal"),
                calls.clone(),
            )),
            None => {}
        }
    }
    Step {
        text,
        actions: vec![Action::Conclude(conclusion)],
        usage: None,
    }
}
