//! The proposal log: one fold of every proposal's life from the [`Event`] stream. Proposed,
//! refused by the policy, decided (by whom), edited to what, executed, failed, answered
//! from an identical query: the TUI's command pane, `ask`'s report, the export timeline and
//! resume all read a proposal's state from here, so they cannot disagree.
//!
//! The fold is pure: feed it the events in order ([`ProposalLog::apply`]), live or from a
//! recording.

use std::collections::HashMap;

use serde::Serialize;

use super::{Decider, Decision, Event, ProposalId, ProposalOrigin, SessionInfo, Target};

/// Where a proposal is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for the engineer's decision.
    Pending,
    /// Approved, not started yet.
    Approved,
    Running,
    /// Ran and succeeded.
    Done,
    /// Ran and failed (or was cancelled while running).
    Failed,
    /// The read-only policy refused it; never executed.
    Refused,
    /// Declined by the engineer or by the approval policy `none`; never executed.
    Rejected,
    /// Answered from an identical query of this session; not executed again.
    Duplicate,
}

impl Stage {
    /// The word the screen and the reports show.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Pending => "pending",
            Stage::Approved => "approved",
            Stage::Running => "running",
            Stage::Done => "done",
            Stage::Failed => "failed",
            Stage::Refused => "refused",
            Stage::Rejected => "rejected",
            Stage::Duplicate => "duplicate",
        }
    }

    /// Nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Stage::Done | Stage::Failed | Stage::Refused | Stage::Rejected | Stage::Duplicate
        )
    }
}

/// A command the policy refused, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub command: String,
    pub why: String,
}

/// What running the proposal gave (the full output stays with whoever shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ran {
    /// The command actually run (after an edit, if any).
    pub command: String,
    pub duration_ms: u64,
    /// A specific error, if it failed.
    pub error: Option<String>,
    /// The condensed copy the planner saw.
    pub condensed: String,
    /// Lines of the full output.
    pub output_lines: usize,
}

/// Everything known about one proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalRecord {
    pub id: ProposalId,
    /// The command as the planner proposed it.
    pub proposed: String,
    /// The command the engineer edited it to, when the edit was accepted.
    pub edited: Option<String>,
    pub reason: String,
    pub hypothesis: String,
    /// Who asked for it: the planner, the engineer (`:get pods`), or klue's offline planner
    /// on behalf of a model.
    pub origin: ProposalOrigin,
    pub stage: Stage,
    /// Who decided.
    pub by: Option<Decider>,
    /// Why it was rejected, when a reason was given.
    pub rejection: Option<String>,
    /// The policy's refusal of the proposal itself (final).
    pub refusal: Option<Refusal>,
    /// Edits the policy refused; the proposal stayed pending and could be edited again.
    pub refused_edits: Vec<Refusal>,
    pub execution: Option<Ran>,
    /// The earlier proposal whose result answered this one.
    pub duplicate_of: Option<ProposalId>,
}

impl ProposalRecord {
    fn new(id: ProposalId, command: &str) -> Self {
        ProposalRecord {
            id,
            proposed: command.to_string(),
            edited: None,
            reason: String::new(),
            hypothesis: String::new(),
            origin: ProposalOrigin::Planner,
            stage: Stage::Pending,
            by: None,
            rejection: None,
            refusal: None,
            refused_edits: Vec::new(),
            execution: None,
            duplicate_of: None,
        }
    }

    /// The command that runs, ran, or was refused: the executed one, else the accepted
    /// edit, else the refused one, else the proposed one.
    pub fn command(&self) -> &str {
        if let Some(x) = &self.execution {
            return &x.command;
        }
        if let Some(e) = &self.edited {
            return e;
        }
        if let Some(r) = &self.refusal {
            return &r.command;
        }
        &self.proposed
    }

    /// The command was changed by the engineer before it ran (or was refused).
    pub fn was_edited(&self) -> bool {
        self.command() != self.proposed
    }

    /// The error of the run, when it failed.
    pub fn error(&self) -> Option<&str> {
        self.execution.as_ref().and_then(|x| x.error.as_deref())
    }

    /// The decision in words, one sentence: "approved by you", "edited by you, then
    /// approved", "rejected by you: <reason>", "approved by policy all-read-only",
    /// "declined by policy none", "answered from p1 (the same query)", "refused by klue's
    /// read-only policy: <why>". `None` while pending.
    pub fn decision_text(&self) -> Option<String> {
        self.decision_text_as("you")
    }

    /// [`Self::decision_text`] naming the engineer as `user` ("the engineer" in exports).
    pub fn decision_text_as(&self, user: &str) -> Option<String> {
        if let Some(r) = &self.refusal {
            return Some(format!("refused by klue's read-only policy: {}", r.why));
        }
        let by = self.by.as_ref()?;
        let who = match by {
            Decider::User => user.to_string(),
            Decider::UserShape { shape } => {
                return Some(format!(
                    "approved by {user}, with every query of its shape ({shape})"
                ));
            }
            Decider::Policy { rule } => match rule.strip_prefix("shape: ") {
                Some(shape) => format!("the approved query shape {shape}"),
                None => format!("policy {rule}"),
            },
            Decider::Dedup { earlier } => {
                return Some(format!("answered from {earlier} (the same query)"));
            }
        };
        Some(match self.stage {
            Stage::Rejected if matches!(by, Decider::Policy { .. }) => {
                format!("declined by {who}")
            }
            Stage::Rejected => match &self.rejection {
                Some(r) => format!("rejected by {who}: {r}"),
                None => format!("rejected by {who}"),
            },
            _ if self.edited.is_some() => format!("edited by {who}, then approved"),
            _ => format!("approved by {who}"),
        })
    }
}

/// The log of every proposal of a session, in the order they were first seen.
#[derive(Debug, Clone, Default)]
pub struct ProposalLog {
    entries: Vec<ProposalRecord>,
    index: HashMap<ProposalId, usize>,
    /// Where the queries run (from [`Event::SessionStarted`]), for paste-able commands.
    target: Option<Target>,
    namespace: Option<String>,
}

impl ProposalLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Fold the whole stream.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut log = Self::new();
        for e in events {
            log.apply(e);
        }
        log
    }

    pub fn entries(&self) -> &[ProposalRecord] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, id: &ProposalId) -> Option<&ProposalRecord> {
        self.index.get(id).map(|&i| &self.entries[i])
    }

    pub fn position(&self, id: &ProposalId) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Proposals waiting for a decision.
    pub fn pending(&self) -> impl Iterator<Item = &ProposalRecord> {
        self.entries.iter().filter(|e| e.stage == Stage::Pending)
    }

    /// Proposals that were executed (successfully or not).
    pub fn executed(&self) -> impl Iterator<Item = &ProposalRecord> {
        self.entries.iter().filter(|e| e.execution.is_some())
    }

    fn entry(&mut self, id: &ProposalId, command: &str) -> (usize, &mut ProposalRecord) {
        let i = match self.index.get(id) {
            Some(&i) => i,
            None => {
                self.entries.push(ProposalRecord::new(id.clone(), command));
                let i = self.entries.len() - 1;
                self.index.insert(id.clone(), i);
                i
            }
        };
        (i, &mut self.entries[i])
    }

    /// Take one event in; returns the position of the proposal it changed, if any.
    pub fn apply(&mut self, event: &Event) -> Option<usize> {
        match event {
            Event::SessionStarted(info) => {
                self.session(info);
                None
            }
            Event::Proposed(p) => {
                let (i, e) = self.entry(&p.id, &p.command);
                e.proposed = p.command.clone();
                e.reason = p.reason.clone();
                e.hypothesis = p.hypothesis.clone();
                e.origin = p.origin;
                Some(i)
            }
            Event::Refused { id, command, why } => {
                let known = self.index.contains_key(id);
                let (i, e) = self.entry(id, command);
                let refusal = Refusal {
                    command: command.clone(),
                    why: why.clone(),
                };
                if known && e.stage == Stage::Pending && e.proposed != *command {
                    // An edit of a waiting proposal (the proposed command itself passed the
                    // policy, or it would not be waiting): it waits on, and may be edited
                    // again.
                    e.refused_edits.push(refusal);
                } else {
                    // The planner's own command, or (in recordings of older versions) an
                    // edit after its approval: the proposal ends here.
                    if known && e.proposed != *command && e.edited.is_none() {
                        e.edited = Some(command.clone());
                    }
                    e.stage = Stage::Refused;
                    e.refusal = Some(refusal);
                }
                Some(i)
            }
            Event::Decided { id, decision, by } => {
                let (i, e) = self.entry(id, "");
                e.by = Some(by.clone());
                match decision {
                    Decision::Approve => {
                        if let Decider::Dedup { earlier } = by {
                            e.stage = Stage::Duplicate;
                            e.duplicate_of = Some(earlier.clone());
                        } else {
                            e.stage = Stage::Approved;
                        }
                    }
                    Decision::ApproveEdited { command } => {
                        e.stage = Stage::Approved;
                        if *command != e.proposed {
                            e.edited = Some(command.clone());
                        }
                    }
                    Decision::Reject { reason } => {
                        e.stage = Stage::Rejected;
                        e.rejection = reason.clone();
                    }
                }
                Some(i)
            }
            Event::ExecStarted { id, command } => {
                let (i, e) = self.entry(id, command);
                if !command.is_empty() && *command != e.proposed && e.edited.is_none() {
                    e.edited = Some(command.clone());
                }
                e.stage = Stage::Running;
                Some(i)
            }
            Event::ExecFinished(x) => {
                let (i, e) = self.entry(&x.id, &x.command);
                if !x.command.is_empty() && x.command != e.proposed && e.edited.is_none() {
                    e.edited = Some(x.command.clone());
                }
                e.stage = if x.error.is_some() {
                    Stage::Failed
                } else {
                    Stage::Done
                };
                e.execution = Some(Ran {
                    command: if x.command.is_empty() {
                        e.command().to_string()
                    } else {
                        x.command.clone()
                    },
                    duration_ms: x.duration_ms,
                    error: x.error.clone(),
                    condensed: x.condensed.clone(),
                    output_lines: x.output.lines().count(),
                });
                Some(i)
            }
            _ => None,
        }
    }

    fn session(&mut self, info: &SessionInfo) {
        self.target = Some(info.context.clone());
        self.namespace = info.namespace.clone();
    }

    /// A command the engineer can paste into a shell to see the same thing:
    /// `kubectl --context C -n NS get pods` on a live cluster (no `-n` when the command names
    /// its own namespace or all of them), `klue --snapshot FILE -n NS query 'get pods'` on a
    /// snapshot.
    pub fn paste(&self, command: &str) -> String {
        paste(command, self.target.as_ref(), self.namespace.as_deref())
    }

    /// The proposal's command as the engineer can paste it, or none when the read-only policy
    /// refused it: klue never hands over a command it would not run itself. What the TUI's
    /// copy, `ask`'s report and the exports offer.
    pub fn paste_of(&self, r: &ProposalRecord) -> Option<String> {
        (r.stage != Stage::Refused).then(|| self.paste(r.command()))
    }
}

/// See [`ProposalLog::paste`].
pub fn paste(command: &str, target: Option<&Target>, namespace: Option<&str>) -> String {
    let command = command.trim();
    let command = command
        .strip_prefix("kubectl ")
        .map(str::trim_start)
        .unwrap_or(command);
    let words = shell_words::split(command).unwrap_or_default();
    let scoped = words.iter().any(|w| {
        w == "-A"
            || w == "--all-namespaces"
            || w == "-n"
            || w == "--namespace"
            || w.starts_with("--namespace=")
            || w.starts_with("--all-namespaces=")
            || (w.starts_with("-n") && w.len() > 2 && !w.starts_with("--"))
    });
    let ns = match namespace {
        Some(ns) if !scoped && !ns.is_empty() => format!(" -n {}", shell_words::quote(ns)),
        _ => String::new(),
    };
    match target {
        Some(Target::Context(c)) => {
            format!("kubectl --context {}{ns} {command}", shell_words::quote(c))
        }
        Some(Target::Snapshot(path)) => format!(
            "klue --snapshot {}{ns} query {}",
            shell_words::quote(path),
            shell_words::quote(command)
        ),
        // The bundled demo: what it would be on the shop's cluster.
        Some(Target::Demo) | None => format!("kubectl{ns} {command}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Execution, PlannerInfo, Proposal};

    fn id(s: &str) -> ProposalId {
        ProposalId(s.into())
    }

    fn proposed(i: &str, command: &str) -> Event {
        Event::Proposed(Proposal {
            id: id(i),
            command: command.into(),
            reason: "why".into(),
            hypothesis: "h1".into(),
            origin: Default::default(),
        })
    }

    fn decided(i: &str, decision: Decision, by: Decider) -> Event {
        Event::Decided {
            id: id(i),
            decision,
            by,
        }
    }

    fn finished(i: &str, command: &str, error: Option<&str>) -> Event {
        Event::ExecFinished(Execution {
            id: id(i),
            command: command.into(),
            output: "a\nb\n".into(),
            condensed: "a".into(),
            duration_ms: 3,
            error: error.map(str::to_string),
            ..Execution::default()
        })
    }

    #[test]
    fn approved_and_run() {
        let log = ProposalLog::from_events(&[
            proposed("p1", "get pods"),
            decided("p1", Decision::Approve, Decider::User),
            finished("p1", "get pods", None),
        ]);
        let e = &log.entries()[0];
        assert_eq!(e.stage, Stage::Done);
        assert_eq!(e.decision_text().as_deref(), Some("approved by you"));
        assert_eq!(e.execution.as_ref().map(|x| x.output_lines), Some(2));
    }

    #[test]
    fn a_rejection_never_says_approved() {
        let log = ProposalLog::from_events(&[
            proposed("p1", "get secrets"),
            decided(
                "p1",
                Decision::Reject {
                    reason: Some("not needed".into()),
                },
                Decider::User,
            ),
        ]);
        let e = &log.entries()[0];
        assert_eq!(e.stage, Stage::Rejected);
        assert_eq!(
            e.decision_text().as_deref(),
            Some("rejected by you: not needed")
        );
    }

    #[test]
    fn an_edit_refused_while_pending_keeps_the_proposal() {
        let log = ProposalLog::from_events(&[
            proposed("p1", "get pods"),
            Event::Refused {
                id: id("p1"),
                command: "delete pods x".into(),
                why: "delete changes the cluster".into(),
            },
        ]);
        let e = &log.entries()[0];
        assert_eq!(e.stage, Stage::Pending);
        assert_eq!(e.command(), "get pods");
        assert_eq!(e.refused_edits.len(), 1);
        assert_eq!(log.pending().count(), 1);
    }

    #[test]
    fn an_edit_refused_after_approval_is_shown_as_the_edit() {
        // The event order of recordings made before refused edits stayed pending.
        let log = ProposalLog::from_events(&[
            proposed("p1", "get pods"),
            decided(
                "p1",
                Decision::ApproveEdited {
                    command: "delete pods x".into(),
                },
                Decider::User,
            ),
            Event::Refused {
                id: id("p1"),
                command: "delete pods x".into(),
                why: "delete changes the cluster".into(),
            },
        ]);
        let e = &log.entries()[0];
        assert_eq!(e.stage, Stage::Refused);
        assert_eq!(e.command(), "delete pods x");
        assert!(e.was_edited());
        assert!(e.decision_text().is_some_and(|t| t.starts_with("refused")));
    }

    #[test]
    fn policy_none_declines_and_dedup_answers() {
        let log = ProposalLog::from_events(&[
            proposed("p1", "get pods"),
            decided(
                "p1",
                Decision::Reject { reason: None },
                Decider::Policy {
                    rule: "none".into(),
                },
            ),
            proposed("p2", "get pods"),
            decided(
                "p2",
                Decision::Approve,
                Decider::Dedup { earlier: id("p0") },
            ),
        ]);
        assert_eq!(
            log.entries()[0].decision_text().as_deref(),
            Some("declined by policy none")
        );
        assert_eq!(log.entries()[1].stage, Stage::Duplicate);
        assert_eq!(log.entries()[1].duplicate_of, Some(id("p0")));
    }

    #[test]
    fn a_failed_run_is_failed() {
        let log = ProposalLog::from_events(&[
            proposed("p1", "get pods"),
            decided(
                "p1",
                Decision::ApproveEdited {
                    command: "get pods -A".into(),
                },
                Decider::User,
            ),
            finished("p1", "get pods -A", Some("Forbidden")),
        ]);
        let e = &log.entries()[0];
        assert_eq!(e.stage, Stage::Failed);
        assert_eq!(e.command(), "get pods -A");
        assert_eq!(e.error(), Some("Forbidden"));
        assert_eq!(
            e.decision_text().as_deref(),
            Some("edited by you, then approved")
        );
    }

    #[test]
    fn paste_names_context_and_namespace() {
        let mut log = ProposalLog::new();
        log.apply(&Event::SessionStarted(SessionInfo {
            session_id: "s".into(),
            context: "prod eu".into(),
            namespace: Some("shop".into()),
            server: "https://x".into(),
            planner: PlannerInfo {
                kind: crate::protocol::PlannerKind::Offline,
                model: None,
                endpoint: None,
            },
            recording: None,
        }));
        assert_eq!(
            log.paste("get pods"),
            "kubectl --context 'prod eu' -n shop get pods"
        );
        assert_eq!(
            log.paste("kubectl get pods -A"),
            "kubectl --context 'prod eu' get pods -A"
        );
        assert_eq!(
            log.paste("logs x -n other"),
            "kubectl --context 'prod eu' logs x -n other"
        );
        assert_eq!(
            paste(
                "get pods",
                Some(&Target::Snapshot("/tmp/s.klue.gz".into())),
                Some("shop")
            ),
            "klue --snapshot /tmp/s.klue.gz -n shop query 'get pods'"
        );
    }
}
