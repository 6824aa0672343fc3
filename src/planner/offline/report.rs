//! What an investigation concluded, before it takes the protocol's shape: a verdict about
//! the subject, the problems (each a cause with its chain), what else was noticed, what was
//! checked and what could not be.

use crate::planner::offline::chain::Link;
use crate::protocol::{Conclusion, Confidence, Evidence, ProposalId};

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
    /// Queries that failed or did not run, with why.
    pub unchecked: Vec<String>,
    /// Widening and scope, said plainly ("checkout runs in namespace X, not Y").
    pub notes: Vec<String>,
}

fn ids(calls: &[String]) -> Vec<ProposalId> {
    let mut c: Vec<String> = calls.to_vec();
    c.sort();
    c.dedup();
    c.into_iter().map(ProposalId).collect()
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

    /// The one-paragraph statement: verdict, causes, notes.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        parts.extend(self.notes.iter().cloned());
        match self.verdict {
            Verdict::Inconclusive => parts.push(format!(
                "Inconclusive: the queries needed to investigate did not succeed ({}).",
                self.unchecked.join("; ")
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
            }
        }
        if self.verdict == Verdict::Problem && !self.checked.is_empty() {
            parts.push(format!(
                "Healthy: {}.",
                self.checked
                    .iter()
                    .map(|c| c.text.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
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
            parts.push(format!("Not checked: {}.", self.unchecked.join("; ")));
        }
        parts.join(" ")
    }

    /// The protocol's conclusion.
    pub fn conclusion(&self) -> Conclusion {
        let mut evidence = Vec::new();
        for (i, p) in self.problems.iter().enumerate() {
            let n = self.problems.len();
            for l in &p.chain {
                evidence.push(Evidence {
                    text: if n > 1 {
                        format!("({}) {}", i + 1, l.text)
                    } else {
                        l.text.clone()
                    },
                    executions: ids(&l.calls),
                });
            }
        }
        for l in &self.checked {
            evidence.push(Evidence {
                text: l.text.clone(),
                executions: ids(&l.calls),
            });
        }
        for l in &self.also_noticed {
            evidence.push(Evidence {
                text: format!("also noticed: {}", l.text),
                executions: ids(&l.calls),
            });
        }
        let remediation = match self.verdict {
            Verdict::Problem if self.problems.len() == 1 => self.problems[0].remediation.clone(),
            Verdict::Problem => self
                .problems
                .iter()
                .enumerate()
                .map(|(i, p)| format!("({}) {}", i + 1, p.remediation))
                .collect::<Vec<_>>()
                .join("\n"),
            Verdict::Healthy => "Nothing to fix for what was asked. If users still see the problem, describe what they see (an error, a URL, a time) to look further.".into(),
            Verdict::Inconclusive => "Check the connection and your permissions (kubectl auth can-i get pods), then ask again.".into(),
        };
        let chains: Vec<String> = self
            .problems
            .iter()
            .filter(|p| p.chain.len() > 1)
            .map(|p| {
                p.chain
                    .iter()
                    .map(|l| l.text.clone())
                    .collect::<Vec<_>>()
                    .join(" → ")
            })
            .collect();
        let mut root_cause = self.summary();
        if !chains.is_empty() {
            root_cause.push_str(&format!(" Chain: {}", chains.join(" | ")));
        }
        Conclusion {
            root_cause,
            evidence,
            confidence: self.confidence(),
            remediation,
        }
    }
}
