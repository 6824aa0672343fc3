//! Continuing a recorded session: the planner transcript, the executions and the budget
//! used, rebuilt from the recorded events.
//!
//! What became of each proposal (refused, decided by whom, edited, run, failed, answered from
//! an identical query) is read from the one fold of a proposal's life,
//! [`ProposalLog`]; this module only lays those outcomes out as the planner's steps.

use std::collections::{BTreeSet, HashMap};

use crate::planner::grounded::OFFLINE_MARK;
use crate::planner::{Action, Outcome, TranscriptEntry};
use crate::protocol::{
    Decider, ErrorClass, Event, Execution, ProposalId, ProposalLog, ProposalOrigin, ProposalRecord,
    Spent, Stage,
};

use super::history::History;

/// What an earlier session leaves to the one continuing it.
#[derive(Debug, Default)]
pub(super) struct Earlier {
    pub transcript: Vec<TranscriptEntry>,
    pub history: History,
    /// The highest `pN` proposal number used, so new ids continue after it.
    pub last_id: u64,
    /// The budget used so far (turns, queries, tokens): a resumed session goes on from it.
    pub spent: Spent,
    /// Every recorded execution (for verifying evidence that cites them).
    pub executions: Vec<Execution>,
    /// Query shapes the engineer approved for the rest of the session.
    pub shapes: BTreeSet<String>,
    /// Proposals answered from an identical earlier one: id → that one's id.
    pub aliases: HashMap<ProposalId, ProposalId>,
    /// Where the line of inquiry after the last conclusion starts in `executions`.
    pub inquiry_from: usize,
}

/// One planner step being rebuilt: its text and actions, the proposals it made (their
/// outcomes come from the log when it ends), and the engineer's own queries run meanwhile.
#[derive(Debug, Default)]
struct StepBuild {
    text: String,
    actions: Vec<Action>,
    origin: ProposalOrigin,
    order: Vec<ProposalId>,
    /// The engineer's own queries run while this step's proposals waited: their entries
    /// follow the step's results, as in the live session.
    own: Vec<ProposalId>,
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
}

/// The recorded session as the planner's transcript, the proposals' outcomes read from `log`.
struct Rebuild<'a> {
    log: &'a ProposalLog,
    /// The recorded executions by id (their objects, which the log does not keep).
    runs: HashMap<&'a ProposalId, &'a Execution>,
    transcript: Vec<TranscriptEntry>,
    step: StepBuild,
}

impl Rebuild<'_> {
    fn flush(&mut self) {
        let step = std::mem::take(&mut self.step);
        if !step.is_empty() {
            self.transcript.push(TranscriptEntry::Assistant {
                text: step.text,
                actions: step.actions,
                origin: step.origin,
            });
            for id in step.order {
                let outcome = self.outcome(&id);
                self.transcript.push(TranscriptEntry::Result {
                    call_id: id.0,
                    outcome,
                });
            }
        }
        for id in step.own {
            self.own(&id);
        }
    }

    /// The engineer's own query joins the transcript (when it ran).
    fn own(&mut self, id: &ProposalId) {
        if let Some(outcome) = self.log.get(id).and_then(|r| self.executed(r)) {
            self.transcript.push(TranscriptEntry::Own {
                call_id: id.0.clone(),
                outcome,
            });
        }
    }

    fn executed(&self, r: &ProposalRecord) -> Option<Outcome> {
        let ran = r.execution.as_ref()?;
        let run = self.runs.get(&r.id);
        Some(Outcome::Executed {
            command: ran.command.clone(),
            condensed: ran.condensed.clone(),
            output: run
                .map(|x| crate::redact::untrusted::without_notice(&x.output).to_string())
                .unwrap_or_default(),
            error: ran.error.clone(),
            objects: run.map(|x| x.objects.clone()).unwrap_or_default(),
        })
    }

    /// What the planner was told about a proposal, from the log.
    fn outcome(&self, id: &ProposalId) -> Outcome {
        let not_run = |command: &str| Outcome::Rejected {
            command: command.to_string(),
            reason: Some("not run".into()),
        };
        let Some(r) = self.log.get(id) else {
            return not_run("");
        };
        match r.stage {
            Stage::Done | Stage::Failed => self.executed(r).unwrap_or_else(|| not_run(r.command())),
            Stage::Refused => match &r.refusal {
                Some(refusal) => Outcome::Refused {
                    command: refusal.command.clone(),
                    why: refusal.why.clone(),
                },
                None => not_run(r.command()),
            },
            Stage::Rejected => Outcome::Rejected {
                command: r.command().to_string(),
                reason: r.rejection.clone(),
            },
            Stage::Duplicate => self.answered_from(r),
            Stage::Pending | Stage::Approved | Stage::Running => not_run(r.command()),
        }
    }

    /// A proposal answered from an identical earlier one: that one's result (or its outcome,
    /// when it did not run).
    fn answered_from(&self, r: &ProposalRecord) -> Outcome {
        let mut first = r;
        // An answer may come from a proposal that was itself answered from an earlier one.
        for _ in 0..16 {
            match first.duplicate_of.as_ref().and_then(|d| self.log.get(d)) {
                Some(earlier) if earlier.id != first.id => first = earlier,
                _ => break,
            }
            if first.stage != Stage::Duplicate {
                break;
            }
        }
        match &first.execution {
            Some(ran) => Outcome::Duplicate {
                command: r.command().to_string(),
                condensed: ran.condensed.clone(),
            },
            None if first.id != r.id => self.outcome(&first.id),
            None => Outcome::Rejected {
                command: r.command().to_string(),
                reason: Some("not run".into()),
            },
        }
    }
}

/// Rebuild what the planner saw from the recorded events (already redacted when recorded).
pub(super) fn rebuild(events: &[Event]) -> Earlier {
    let log = ProposalLog::from_events(events);
    let mut earlier = Earlier::default();
    let mut runs = HashMap::new();
    for e in events {
        if let Event::ExecFinished(x) = e {
            runs.insert(&x.id, x);
        }
    }
    let mut b = Rebuild {
        log: &log,
        runs,
        transcript: Vec::new(),
        step: StepBuild::default(),
    };
    let engineer = |id: &ProposalId| {
        log.get(id)
            .is_some_and(|r| r.origin == ProposalOrigin::Engineer)
    };
    let mut spent: Option<Spent> = None;
    let mut tokens = 0;
    for event in events {
        match event {
            Event::UserMessage { text } => {
                b.flush();
                b.transcript
                    .push(TranscriptEntry::User { text: text.clone() });
            }
            Event::AssistantMessage { text, origin } => {
                b.flush();
                b.step.text = text.clone();
                // Recordings of older versions carry the offline planner's mark in the text only.
                b.step.origin = if text.starts_with(OFFLINE_MARK) {
                    ProposalOrigin::OfflineStep
                } else {
                    *origin
                };
            }
            Event::Hypothesis(h) => {
                if b.step.running {
                    b.flush();
                }
                b.step.actions.push(Action::Hypothesis(h.clone()));
            }
            Event::Proposed(p) if p.origin == ProposalOrigin::Engineer => {}
            Event::Proposed(p) => {
                if b.step.running {
                    b.flush();
                }
                if p.origin == ProposalOrigin::OfflineStep {
                    b.step.origin = ProposalOrigin::OfflineStep;
                }
                b.step.propose(&p.id, &p.command, &p.reason, &p.hypothesis);
            }
            // A command the policy refused before it was proposed (an edit refused while
            // waiting is the proposal's, already in its step).
            Event::Refused { id, command, .. } if !engineer(id) => {
                if !b.step.order.contains(id) && !b.transcript_has(id) {
                    if b.step.running {
                        b.flush();
                    }
                    b.step.propose(id, command, "", "");
                }
            }
            // The engineer decides once the step's proposals are all out (a policy or an
            // identical query decides each as it is proposed): the step's work has begun.
            Event::Decided {
                id,
                by: Decider::User | Decider::UserShape { .. },
                ..
            } if !engineer(id) => b.step.running = true,
            Event::ExecStarted { id, .. } if !engineer(id) => b.step.running = true,
            Event::ExecFinished(x) => {
                earlier.executions.push(x.clone());
                if engineer(&x.id) {
                    if b.step.is_empty() {
                        b.own(&x.id);
                    } else {
                        b.step.own.push(x.id.clone());
                    }
                } else {
                    b.step.running = true;
                }
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
            Event::Concluded(c) => {
                b.step.actions.push(Action::Conclude(c.clone()));
                earlier.inquiry_from = earlier.executions.len();
            }
            Event::Usage(u) => tokens = u.session_total,
            Event::Spent(s) => spent = Some(*s),
            Event::Refused { .. }
            | Event::Decided { .. }
            | Event::ExecStarted { .. }
            | Event::SessionStarted(_)
            | Event::AssistantDelta { .. }
            | Event::AwaitingInput
            | Event::Cancelled
            | Event::Error { .. }
            | Event::Notice { .. }
            | Event::Connection(_)
            | Event::ApiCalls(_)
            | Event::SessionEnded { .. } => {}
        }
    }
    b.flush();
    earlier.transcript = b.transcript;

    for r in log.entries() {
        note_id(&mut earlier.last_id, &r.id);
        match &r.by {
            Some(Decider::UserShape { shape }) => {
                earlier.shapes.insert(shape.clone());
            }
            Some(Decider::Policy { rule }) => {
                if let Some(shape) = rule.strip_prefix("shape: ") {
                    earlier.shapes.insert(shape.to_string());
                }
            }
            _ => {}
        }
        if let Some(first) = &r.duplicate_of {
            earlier.aliases.insert(r.id.clone(), first.clone());
        }
    }
    // Recordings of older versions have no budget events: count what they show (planner
    // steps, queries that ran, the last token total).
    earlier.spent = spent.unwrap_or_else(|| Spent {
        turns: earlier
            .transcript
            .iter()
            .filter(|e| matches!(e, TranscriptEntry::Assistant { .. }))
            .count()
            .try_into()
            .unwrap_or(u32::MAX),
        queries: earlier
            .executions
            .iter()
            .filter(|x| x.failure() != Some(ErrorClass::Cancelled))
            .count()
            .try_into()
            .unwrap_or(u32::MAX),
        tokens,
        of: None,
    });
    earlier
}

impl Rebuild<'_> {
    /// Whether an earlier step already proposed `id`.
    fn transcript_has(&self, id: &ProposalId) -> bool {
        self.transcript
            .iter()
            .any(|e| matches!(e, TranscriptEntry::Result { call_id, .. } if *call_id == id.0))
    }
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
    use crate::protocol::{Decision, Execution, Proposal};

    fn proposed(id: &str, command: &str) -> Event {
        Event::Proposed(Proposal {
            id: ProposalId(id.into()),
            command: command.into(),
            reason: "r".into(),
            hypothesis: "h".into(),
            origin: Default::default(),
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
                origin: ProposalOrigin::Planner,
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
                TranscriptEntry::User { .. } => "user",
                TranscriptEntry::Assistant { .. } => "assistant",
                TranscriptEntry::Result { .. } => "result",
                TranscriptEntry::Own { .. } => "own",
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
            TranscriptEntry::Result { outcome: Outcome::Executed { condensed, .. }, .. } if condensed == "short"
        ));
        assert!(matches!(
            &e.transcript[3],
            TranscriptEntry::Result { outcome: Outcome::Duplicate { condensed, .. }, .. } if condensed == "short"
        ));
        assert!(matches!(
            &e.transcript[4],
            TranscriptEntry::Result {
                outcome: Outcome::Refused { .. },
                ..
            }
        ));
        assert!(matches!(
            &e.transcript[6],
            TranscriptEntry::Result {
                outcome: Outcome::Rejected { .. },
                ..
            }
        ));
        let q = crate::query::parse("kubectl get po -n shop").expect("parse");
        assert_eq!(e.history.find(&q).map(|r| r.id.0.as_str()), Some("p1"));
    }

    fn id(s: &str) -> ProposalId {
        ProposalId(s.into())
    }

    fn proposal(i: &str, command: &str, origin: ProposalOrigin) -> Event {
        Event::Proposed(Proposal {
            id: id(i),
            command: command.into(),
            reason: "r".into(),
            hypothesis: "h".into(),
            origin,
        })
    }

    fn decided(i: &str, decision: Decision, by: Decider) -> Event {
        Event::Decided {
            id: id(i),
            decision,
            by,
        }
    }

    fn by_policy() -> Decider {
        Decider::Policy {
            rule: "all-read-only".into(),
        }
    }

    fn ran(i: &str, command: &str, error: Option<&str>) -> Event {
        Event::ExecFinished(Execution {
            id: id(i),
            command: command.into(),
            output: format!("output of {command}"),
            condensed: format!("condensed {command}"),
            error: error.map(str::to_string),
            objects: vec![serde_json::json!({"kind": "Pod"})],
            ..Execution::default()
        })
    }

    fn kinds(t: &[TranscriptEntry]) -> Vec<&'static str> {
        t.iter()
            .map(|x| match x {
                TranscriptEntry::User { .. } => "user",
                TranscriptEntry::Assistant { .. } => "assistant",
                TranscriptEntry::Result { .. } => "result",
                TranscriptEntry::Own { .. } => "own",
            })
            .collect()
    }

    #[test]
    fn a_step_approved_by_policy_stays_one_step() {
        let events = vec![
            Event::UserMessage { text: "x".into() },
            proposal("p1", "get pods -n shop", ProposalOrigin::Planner),
            decided("p1", Decision::Approve, by_policy()),
            proposal("p2", "get events -n shop", ProposalOrigin::Planner),
            decided("p2", Decision::Approve, by_policy()),
            ran("p1", "get pods -n shop", None),
            ran("p2", "get events -n shop", Some("Forbidden")),
        ];
        let e = rebuild(&events);
        assert_eq!(
            kinds(&e.transcript),
            ["user", "assistant", "result", "result"]
        );
        assert!(matches!(
            &e.transcript[3],
            TranscriptEntry::Result { outcome: Outcome::Executed { error: Some(err), .. }, .. } if err == "Forbidden"
        ));
        // The objects come back (the offline planner reads them).
        assert!(matches!(
            &e.transcript[2],
            TranscriptEntry::Result { outcome: Outcome::Executed { objects, .. }, .. } if objects.len() == 1
        ));
    }

    #[test]
    fn an_edit_refused_then_edited_again_is_the_run_command() {
        let events = vec![
            Event::UserMessage { text: "x".into() },
            proposal("p1", "get pods -n shop", ProposalOrigin::Planner),
            Event::Refused {
                id: id("p1"),
                command: "delete pods x -n shop".into(),
                why: "delete changes the cluster".into(),
            },
            decided(
                "p1",
                Decision::ApproveEdited {
                    command: "get pods -n shop -o wide".into(),
                },
                Decider::User,
            ),
            ran("p1", "get pods -n shop -o wide", None),
        ];
        let e = rebuild(&events);
        assert_eq!(kinds(&e.transcript), ["user", "assistant", "result"]);
        assert!(matches!(
            &e.transcript[2],
            TranscriptEntry::Result { outcome: Outcome::Executed { command, error: None, .. }, .. }
                if command == "get pods -n shop -o wide"
        ));
    }

    #[test]
    fn the_engineers_queries_are_their_own_entries_also_in_old_recordings() {
        // A recording of an older version: the origin is missing, the reason says it.
        let old: Event = serde_json::from_value(serde_json::json!({
            "event": "proposed", "id": "p2", "command": "get nodes",
            "reason": crate::protocol::OWN_QUERY_REASON, "hypothesis": ""
        }))
        .expect("an old proposal reads");
        assert!(matches!(&old, Event::Proposed(p) if p.origin == ProposalOrigin::Engineer));
        let events = vec![
            Event::UserMessage { text: "x".into() },
            proposal("p1", "get pods -n shop", ProposalOrigin::Planner),
            old,
            decided("p2", Decision::Approve, Decider::User),
            ran("p2", "get nodes", None),
            decided("p1", Decision::Approve, Decider::User),
            ran("p1", "get pods -n shop", None),
        ];
        let e = rebuild(&events);
        // The own query ran while p1 waited: it follows the step's results.
        assert_eq!(kinds(&e.transcript), ["user", "assistant", "result", "own"]);
        assert_eq!(e.last_id, 2);
        // It counts against the budget like any query.
        assert_eq!(e.spent.queries, 2);
    }

    #[test]
    fn offline_steps_keep_their_mark() {
        let events = vec![
            Event::UserMessage { text: "x".into() },
            Event::AssistantMessage {
                text: "model".into(),
                origin: ProposalOrigin::Planner,
            },
            proposal("p1", "get pods -n shop", ProposalOrigin::Planner),
            decided("p1", Decision::Approve, Decider::User),
            ran("p1", "get pods -n shop", None),
            Event::AssistantMessage {
                text: format!("{OFFLINE_MARK} checking the events"),
                origin: ProposalOrigin::OfflineStep,
            },
            proposal("p2", "get events -n shop", ProposalOrigin::OfflineStep),
            decided("p2", Decision::Approve, Decider::User),
            ran("p2", "get events -n shop", None),
            // an older recording: the mark in the text only
            Event::AssistantMessage {
                text: format!("{OFFLINE_MARK} and the nodes"),
                origin: ProposalOrigin::Planner,
            },
            proposal("p3", "get nodes", ProposalOrigin::Planner),
        ];
        let e = rebuild(&events);
        let origins: Vec<ProposalOrigin> = e
            .transcript
            .iter()
            .filter_map(|x| match x {
                TranscriptEntry::Assistant { origin, .. } => Some(*origin),
                _ => None,
            })
            .collect();
        assert_eq!(
            origins,
            [
                ProposalOrigin::Planner,
                ProposalOrigin::OfflineStep,
                ProposalOrigin::OfflineStep
            ]
        );
    }

    #[test]
    fn the_budget_used_is_restored() {
        let mut events = vec![
            Event::UserMessage { text: "x".into() },
            Event::Spent(Spent {
                turns: 1,
                queries: 0,
                tokens: 0,
                of: None,
            }),
            proposal("p1", "get pods -n shop", ProposalOrigin::Planner),
            decided("p1", Decision::Approve, by_policy()),
            ran("p1", "get pods -n shop", None),
            Event::Usage(crate::protocol::Usage {
                prompt_tokens: 10,
                completion_tokens: 5,
                session_total: 15,
            }),
        ];
        // An older recording without budget events: counted from what it shows.
        let e = rebuild(&events[..1]);
        assert_eq!(e.spent, Spent::default());
        let mut old = events.clone();
        old.remove(1);
        let e = rebuild(&old);
        assert_eq!(
            e.spent,
            Spent {
                turns: 1,
                queries: 1,
                tokens: 15,
                of: None,
            }
        );
        // The recorded totals win (they count turns that left no trace, e.g. a failed call).
        events.push(Event::Spent(Spent {
            turns: 3,
            queries: 1,
            tokens: 15,
            of: None,
        }));
        assert_eq!(rebuild(&events).spent.turns, 3);
    }
}
