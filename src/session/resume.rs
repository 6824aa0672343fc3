//! Continuing a recorded session: the planner transcript and the executions rebuilt from the
//! recorded events.

use crate::planner::{Action, Entry, Outcome};
use crate::protocol::{Event, ProposalId, ProposalLog, ProposalRecord, Stage};

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
}

/// One planner step being rebuilt: its text and actions, then the outcomes of its proposals.
#[derive(Debug, Default)]
struct StepBuild {
    text: String,
    actions: Vec<Action>,
    order: Vec<ProposalId>,
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

    /// End the step: its text and actions, then each proposal's outcome as the proposal
    /// log has it (so duplicates of a query run later in the same step are settled too).
    fn flush(&mut self, into: &mut Vec<Entry>, log: &ProposalLog) {
        let step = std::mem::take(self);
        if step.is_empty() {
            return;
        }
        into.push(Entry::Assistant {
            text: step.text,
            actions: step.actions,
        });
        for id in step.order {
            into.push(Entry::Result {
                outcome: outcome(log, &id),
                call_id: id.0,
            });
        }
    }
}

/// What the planner was told about a proposal.
fn outcome(log: &ProposalLog, id: &ProposalId) -> Outcome {
    let not_run = |command: String| Outcome::Rejected {
        command,
        reason: Some("not run".into()),
    };
    let Some(q) = log.get(id) else {
        return not_run(String::new());
    };
    let command = q.command().to_string();
    match q.stage {
        Stage::Done | Stage::Failed => match &q.execution {
            Some(x) => Outcome::Executed {
                command,
                condensed: x.condensed.clone(),
                error: x.error.clone(),
                objects: Vec::new(),
            },
            None => not_run(command),
        },
        Stage::Refused => Outcome::Refused {
            command,
            why: q
                .refusal
                .as_ref()
                .map(|r| r.why.clone())
                .unwrap_or_default(),
        },
        Stage::Rejected => Outcome::Rejected {
            command,
            reason: q.rejection.clone(),
        },
        Stage::Duplicate => match q
            .duplicate_of
            .as_ref()
            .and_then(|e| log.get(e))
            .map(|e: &ProposalRecord| (e.stage, e.execution.as_ref()))
        {
            Some((Stage::Done, Some(x))) => Outcome::Duplicate {
                command,
                condensed: x.condensed.clone(),
            },
            _ => not_run(command),
        },
        Stage::Pending | Stage::Approved | Stage::Running => not_run(command),
    }
}

/// Rebuild what the planner saw from the recorded events (already redacted when recorded).
pub(super) fn rebuild(events: &[Event]) -> Earlier {
    let mut earlier = Earlier::default();
    let mut step = StepBuild::default();
    let mut log = ProposalLog::new();
    for event in events {
        log.apply(event);
        match event {
            Event::UserMessage { text } => {
                step.flush(&mut earlier.transcript, &log);
                earlier.transcript.push(Entry::User { text: text.clone() });
            }
            Event::AssistantMessage { text } => {
                step.flush(&mut earlier.transcript, &log);
                step.text = text.clone();
            }
            Event::Hypothesis(h) => {
                if step.running {
                    step.flush(&mut earlier.transcript, &log);
                }
                step.actions.push(Action::Hypothesis(h.clone()));
            }
            Event::Proposed(p) => {
                if step.running {
                    step.flush(&mut earlier.transcript, &log);
                }
                note_id(&mut earlier.last_id, &p.id);
                step.propose(&p.id, &p.command, &p.reason, &p.hypothesis);
            }
            Event::Refused { id, command, .. } => {
                note_id(&mut earlier.last_id, id);
                step.propose(id, command, "", "");
            }
            Event::Decided { id, .. } => {
                if log.get(id).is_some_and(|q| q.stage == Stage::Approved) {
                    step.running = true;
                }
            }
            Event::ExecStarted { .. } => step.running = true,
            Event::ExecFinished(x) => {
                step.running = true;
                if x.error.is_none() {
                    match crate::query::parse(&x.command) {
                        Ok(query) => {
                            earlier
                                .history
                                .record(x.id.clone(), query, x.condensed.clone())
                        }
                        Err(e) => tracing::debug!(command = %x.command, ?e, "not reusable"),
                    }
                }
            }
            Event::Concluded(c) => step.actions.push(Action::Conclude(c.clone())),
            Event::Usage(u) => earlier.tokens = u.session_total,
            Event::SessionStarted(_)
            | Event::AssistantDelta { .. }
            | Event::AwaitingInput
            | Event::Cancelled
            | Event::Error { .. }
            | Event::SessionEnded { .. } => {}
        }
    }
    step.flush(&mut earlier.transcript, &log);
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
    use crate::protocol::{Decider, Decision, Execution, Proposal};

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
            error: None,
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
