//! Continuing a recorded session: the planner transcript and the executions rebuilt from the
//! recorded events.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::planner::{Action, Entry, Outcome};
use crate::protocol::{Decider, Decision, Event, Execution, ProposalId};

use super::history::History;

/// What an earlier session leaves to the one continuing it.
#[derive(Debug, Default)]
pub(super) struct Earlier {
    pub transcript: Vec<Entry>,
    pub history: History,
    /// The highest `pN` proposal number used, so new ids continue after it.
    pub last_id: u64,
    /// The running token total.
    pub tokens: u64,
    /// Every recorded execution (for verifying evidence that cites them).
    pub executions: Vec<Execution>,
    /// Query shapes the engineer approved for the rest of the session.
    pub shapes: BTreeSet<String>,
    /// Proposals answered from an identical earlier one: id → that one's id.
    pub aliases: HashMap<ProposalId, ProposalId>,
    /// Where the line of inquiry after the last conclusion starts in `executions`.
    pub inquiry_from: usize,
}

/// One planner step being rebuilt: its text and actions, then the outcomes of its proposals.
#[derive(Debug, Default)]
struct StepBuild {
    text: String,
    actions: Vec<Action>,
    order: Vec<ProposalId>,
    outcomes: HashMap<ProposalId, Outcome>,
    /// Proposals answered from an earlier one in the same step (settled when it ends).
    echoes: Vec<(ProposalId, ProposalId)>,
    /// Queries of this step have started running (a later proposal is a new step).
    running: bool,
}

impl StepBuild {
    fn is_empty(&self) -> bool {
        self.text.is_empty() && self.actions.is_empty()
    }

    fn propose(&mut self, id: &ProposalId, command: &str, reason: &str, hypothesis: &str) {
        if self.order.contains(id) {
            return;
        }
        self.order.push(id.clone());
        self.actions.push(Action::Propose {
            call_id: id.0.clone(),
            command: command.to_string(),
            reason: reason.to_string(),
            hypothesis: hypothesis.to_string(),
        });
    }

    fn flush(&mut self, into: &mut Vec<Entry>) {
        let step = std::mem::take(self);
        if step.is_empty() {
            return;
        }
        into.push(Entry::Assistant {
            text: step.text,
            actions: step.actions,
        });
        let mut outcomes = step.outcomes;
        for (id, first) in step.echoes {
            let outcome = match outcomes.get(&first) {
                Some(Outcome::Executed {
                    command, condensed, ..
                }) => Outcome::Duplicate {
                    command: command.clone(),
                    condensed: condensed.clone(),
                },
                Some(other) => other.clone(),
                None => continue,
            };
            outcomes.insert(id, outcome);
        }
        for id in step.order {
            let outcome = outcomes.remove(&id).unwrap_or_else(|| Outcome::Rejected {
                command: String::new(),
                reason: Some("not run".into()),
            });
            into.push(Entry::Result {
                call_id: id.0,
                outcome,
            });
        }
    }
}

/// Rebuild what the planner saw from the recorded events (already redacted when recorded).
pub(super) fn rebuild(events: &[Event]) -> Earlier {
    let mut earlier = Earlier::default();
    let mut step = StepBuild::default();
    let mut commands: HashMap<ProposalId, String> = HashMap::new();
    let mut condensed: HashMap<ProposalId, String> = HashMap::new();
    // The engineer's own queries (no planner step asked for them).
    let mut own: HashSet<ProposalId> = HashSet::new();
    for event in events {
        match event {
            Event::UserMessage { text } => {
                step.flush(&mut earlier.transcript);
                earlier.transcript.push(Entry::User { text: text.clone() });
            }
            Event::AssistantMessage { text } => {
                step.flush(&mut earlier.transcript);
                step.text = text.clone();
            }
            Event::Hypothesis(h) => {
                if step.running {
                    step.flush(&mut earlier.transcript);
                }
                step.actions.push(Action::Hypothesis(h.clone()));
            }
            Event::Proposed(p) if p.reason == crate::protocol::OWN_QUERY => {
                note_id(&mut earlier.last_id, &p.id);
                own.insert(p.id.clone());
            }
            Event::Proposed(p) => {
                if step.running {
                    step.flush(&mut earlier.transcript);
                }
                note_id(&mut earlier.last_id, &p.id);
                commands.insert(p.id.clone(), p.command.clone());
                step.propose(&p.id, &p.command, &p.reason, &p.hypothesis);
            }
            Event::Refused { id, .. } if own.contains(id) => {}
            Event::Refused { id, command, why } => {
                note_id(&mut earlier.last_id, id);
                step.propose(id, command, "", "");
                step.outcomes.insert(
                    id.clone(),
                    Outcome::Refused {
                        command: command.clone(),
                        why: why.clone(),
                    },
                );
            }
            Event::Decided { id, .. } if own.contains(id) => {}
            Event::Decided { id, decision, by } => {
                match by {
                    Decider::UserShape { shape } => {
                        earlier.shapes.insert(shape.clone());
                    }
                    Decider::Policy { rule } => {
                        if let Some(shape) = rule.strip_prefix("shape: ") {
                            earlier.shapes.insert(shape.to_string());
                        }
                    }
                    Decider::Dedup { earlier: first } => {
                        earlier.aliases.insert(id.clone(), first.clone());
                    }
                    Decider::User => {}
                }
                let command = commands.get(id).cloned().unwrap_or_default();
                match (decision, by) {
                    (Decision::Reject { reason }, _) => {
                        step.outcomes.insert(
                            id.clone(),
                            Outcome::Rejected {
                                command,
                                reason: reason.clone(),
                            },
                        );
                    }
                    (_, Decider::Dedup { earlier: first }) => match condensed.get(first) {
                        Some(c) => {
                            step.outcomes.insert(
                                id.clone(),
                                Outcome::Duplicate {
                                    command,
                                    condensed: c.clone(),
                                },
                            );
                        }
                        None => step.echoes.push((id.clone(), first.clone())),
                    },
                    _ => step.running = true,
                }
            }
            Event::ExecStarted { id, .. } if own.contains(id) => {}
            Event::ExecStarted { .. } => step.running = true,
            Event::ExecFinished(x) => {
                earlier.executions.push(x.clone());
                let is_own = own.contains(&x.id);
                if !is_own {
                    step.running = true;
                }
                if x.error.is_none() {
                    condensed.insert(x.id.clone(), x.condensed.clone());
                    match crate::query::parse(&x.command) {
                        Ok(query) => {
                            earlier
                                .history
                                .record(x.id.clone(), query, x.condensed.clone())
                        }
                        Err(e) => tracing::debug!(command = %x.command, ?e, "not reusable"),
                    }
                }
                let outcome = Outcome::Executed {
                    command: x.command.clone(),
                    condensed: x.condensed.clone(),
                    error: x.error.clone(),
                    objects: x.objects.clone(),
                };
                if is_own {
                    step.flush(&mut earlier.transcript);
                    earlier.transcript.push(Entry::Own {
                        call_id: x.id.0.clone(),
                        outcome,
                    });
                } else {
                    step.outcomes.insert(x.id.clone(), outcome);
                }
            }
            Event::Concluded(c) => {
                step.actions.push(Action::Conclude(c.clone()));
                earlier.inquiry_from = earlier.executions.len();
            }
            Event::Usage(u) => earlier.tokens = u.session_total,
            Event::SessionStarted(_)
            | Event::AssistantDelta { .. }
            | Event::AwaitingInput
            | Event::Cancelled
            | Event::Error { .. }
            | Event::Connection(_)
            | Event::ApiCalls(_)
            | Event::SessionEnded { .. } => {}
        }
    }
    step.flush(&mut earlier.transcript);
    earlier
}

/// The events worth showing again when a session continues (no start, end or waits).
pub fn replayable(event: &Event) -> bool {
    !matches!(
        event,
        Event::SessionStarted(_)
            | Event::AssistantDelta { .. }
            | Event::AwaitingInput
            | Event::Cancelled
            | Event::Connection(_)
            | Event::ApiCalls(_)
            | Event::SessionEnded { .. }
    )
}

fn note_id(last: &mut u64, id: &ProposalId) {
    if let Some(n) = id.0.strip_prefix('p').and_then(|n| n.parse::<u64>().ok()) {
        *last = (*last).max(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Execution, Proposal};

    fn proposed(id: &str, command: &str) -> Event {
        Event::Proposed(Proposal {
            id: ProposalId(id.into()),
            command: command.into(),
            reason: "r".into(),
            hypothesis: "h".into(),
        })
    }

    #[test]
    fn rebuilds_steps_outcomes_ids_and_history() {
        let ran = Execution {
            id: ProposalId("p1".into()),
            command: "get pods -n shop".into(),
            output: "full".into(),
            condensed: "short".into(),
            duration_ms: 1,
            ..Execution::default()
        };
        let events = vec![
            Event::UserMessage {
                text: "pods crash".into(),
            },
            Event::AssistantMessage {
                text: "looking".into(),
            },
            proposed("p1", "get pods -n shop"),
            proposed("p2", "get pods -n shop"),
            Event::Decided {
                id: ProposalId("p2".into()),
                decision: Decision::Approve,
                by: Decider::Dedup {
                    earlier: ProposalId("p1".into()),
                },
            },
            Event::Refused {
                id: ProposalId("p3".into()),
                command: "delete pod x".into(),
                why: "mutating".into(),
            },
            Event::ExecStarted {
                id: ProposalId("p1".into()),
                command: "get pods -n shop".into(),
            },
            Event::ExecFinished(ran),
            // A step without text: a proposal after the runs starts it.
            proposed("p4", "get events -n shop"),
            Event::Decided {
                id: ProposalId("p4".into()),
                decision: Decision::Reject { reason: None },
                by: Decider::User,
            },
        ];
        let e = rebuild(&events);
        assert_eq!(e.last_id, 4);
        let kinds: Vec<&str> = e
            .transcript
            .iter()
            .map(|x| match x {
                Entry::User { .. } => "user",
                Entry::Assistant { .. } => "assistant",
                Entry::Result { .. } => "result",
                Entry::Own { .. } => "own",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "user",
                "assistant",
                "result",
                "result",
                "result",
                "assistant",
                "result"
            ]
        );
        assert!(matches!(
            &e.transcript[2],
            Entry::Result { outcome: Outcome::Executed { condensed, .. }, .. } if condensed == "short"
        ));
        assert!(matches!(
            &e.transcript[3],
            Entry::Result { outcome: Outcome::Duplicate { condensed, .. }, .. } if condensed == "short"
        ));
        assert!(matches!(
            &e.transcript[4],
            Entry::Result {
                outcome: Outcome::Refused { .. },
                ..
            }
        ));
        assert!(matches!(
            &e.transcript[6],
            Entry::Result {
                outcome: Outcome::Rejected { .. },
                ..
            }
        ));
        let q = crate::query::parse("kubectl get po -n shop").expect("parse");
        assert_eq!(e.history.find(&q).map(|r| r.id.0.as_str()), Some("p1"));
    }
}
