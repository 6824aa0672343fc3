//! What an investigation concluded, before it takes the protocol's shape: a verdict about
//! the subject, the problems (each a cause with its chain), what else was noticed, what was
//! checked and what could not be.

use crate::planner::offline::chain::Link;
use crate::protocol::{self, Conclusion, Confidence, Evidence, ProposalId, Unchecked};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Problems were found (for the subject, or in scope when none was named).
    Problem,
    /// The subject (or the namespace) is healthy: what was checked says so.
    Healthy,
    /// The queries failed or were declined: nothing can be said.
    Inconclusive,
}

/// One problem: its cause, the chain from the symptom to it, and what to do.
#[derive(Debug, Clone)]
pub struct Problem {
    pub cause: String,
    pub chain: Vec<Link>,
    pub remediation: String,
    /// The cause is read directly (a log line, a missing object, a message).
    pub decisive: bool,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub verdict: Verdict,
    /// What the question was about, in words (`Deployment frontend in namespace portal`).
    pub subject: Option<String>,
    pub problems: Vec<Problem>,
    /// Other problems seen in scope, one line each.
    pub also_noticed: Vec<Link>,
    /// Facts checked (for a healthy verdict: what shows it).
    pub checked: Vec<Link>,
    /// Queries that failed or did not run.
    pub unchecked: Vec<Unchecked>,
    /// Widening and scope, said plainly ("checkout runs in namespace X, not Y").
    pub notes: Vec<String>,
}

fn ids(calls: &[String]) -> Vec<ProposalId> {
    let mut c: Vec<String> = calls.to_vec();
    c.sort();
    c.dedup();
    c.into_iter().map(ProposalId).collect()
}

fn evidence(l: &Link) -> Evidence {
    Evidence::new(l.text.clone(), ids(&l.calls))
}

impl Report {
    pub fn confidence(&self) -> Confidence {
        match self.verdict {
            Verdict::Inconclusive => Confidence::Low,
            Verdict::Healthy if !self.unchecked.is_empty() => Confidence::Low,
            Verdict::Healthy => Confidence::Medium,
            Verdict::Problem => {
                if !self.unchecked.is_empty() && !self.problems.iter().all(|p| p.decisive) {
                    Confidence::Low
                } else if self.problems.iter().all(|p| p.decisive) {
                    Confidence::High
                } else {
                    Confidence::Medium
                }
            }
        }
    }

    /// One paragraph for the planner's message: verdict, causes, what else, what not.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        parts.extend(self.notes.iter().cloned());
        match self.verdict {
            Verdict::Inconclusive if self.unchecked.is_empty() => parts.push(format!(
                "Inconclusive: what klue could check ({}) does not show what the symptom is about.",
                self.checked
                    .iter()
                    .map(|c| c.text.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            Verdict::Inconclusive => parts.push(format!(
                "Inconclusive: the queries needed to investigate did not succeed ({}).",
                self.unchecked
                    .iter()
                    .map(|u| format!("`{}`: {}", u.command, u.error))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            Verdict::Healthy => {
                let what = self
                    .subject
                    .clone()
                    .unwrap_or_else(|| "the namespace".into());
                let facts: Vec<String> = self.checked.iter().map(|c| c.text.clone()).collect();
                parts.push(format!("Healthy: {what} — {}.", facts.join("; ")));
            }
            Verdict::Problem => {
                if self.problems.len() == 1 {
                    parts.push(self.problems[0].cause.clone());
                } else {
                    parts.push(format!(
                        "{} problems: {}",
                        self.problems.len(),
                        self.problems
                            .iter()
                            .enumerate()
                            .map(|(i, p)| format!("({}) {}", i + 1, p.cause))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ));
                }
                if !self.checked.is_empty() {
                    parts.push(format!(
                        "Healthy: {}.",
                        self.checked
                            .iter()
                            .map(|c| c.text.clone())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
            }
        }
        if !self.also_noticed.is_empty() {
            parts.push(format!(
                "Also noticed: {}.",
                self.also_noticed
                    .iter()
                    .map(|l| l.text.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        if self.verdict != Verdict::Inconclusive && !self.unchecked.is_empty() {
            parts.push(format!(
                "Not checked: {}.",
                self.unchecked
                    .iter()
                    .map(|u| format!("`{}` ({})", u.command, u.class.word()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        parts.join(" ")
    }

    /// The protocol's conclusion.
    pub fn conclusion(&self) -> Conclusion {
        let problems = self
            .problems
            .iter()
            .map(|p| protocol::Problem {
                cause: p.cause.clone(),
                chain: p.chain.iter().map(evidence).collect(),
                evidence: Vec::new(),
                remediation: p.remediation.clone(),
            })
            .collect();
        let also_noticed = self
            .also_noticed
            .iter()
            .map(|l| protocol::Problem::new(l.text.clone()).evidence(evidence(l)))
            .collect();
        Conclusion {
            verdict: match self.verdict {
                Verdict::Problem => protocol::Verdict::Diagnosed,
                Verdict::Healthy => protocol::Verdict::Healthy,
                Verdict::Inconclusive => protocol::Verdict::Inconclusive,
            },
            subject: self.subject.clone(),
            problems,
            also_noticed,
            checked: self.checked.iter().map(evidence).collect(),
            unchecked: self.unchecked.clone(),
            confidence: self.confidence(),
            notes: self.notes.clone(),
        }
    }
}
