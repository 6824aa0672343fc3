//! A recording digested into a postmortem timeline: what the engineer saw, what was
//! proposed, who approved it, what ran, how the hypotheses evolved, and the conclusion.
//! Both exports ([`super::markdown`] and JSON) are renderings of [`Timeline`].

use jiff::Timestamp;
use serde::Serialize;

use std::collections::HashMap;

use super::format::{Item, RecordLine};
use super::reader::Recording;
use crate::protocol::log::Refusal;
use crate::protocol::{
    Conclusion, Decider, EndReason, Event, Evidence, HypothesisStatus, Op, ProposalId, ProposalLog,
    SessionInfo, Stage, Usage,
};

/// The postmortem view of one session.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub klue_version: String,
    pub started_at: Timestamp,
    /// Time of the last entry.
    pub ended_at: Timestamp,
    pub duration_ms: i64,
    pub session: SessionInfo,
    /// The first thing the engineer said.
    pub symptom: Option<String>,
    /// Every entry worth reading, in order, with relative times.
    pub events: Vec<TimelineItem>,
    /// One per proposal, in order of proposal.
    pub queries: Vec<QueryRecord>,
    /// Every state each hypothesis went through.
    pub hypotheses: Vec<HypothesisTrack>,
    pub conclusion: Option<ConclusionRecord>,
    pub tokens: TokenUse,
    /// How the session ended: `concluded (...)`, `ended without conclusion: <reason>`, or
    /// `interrupted (no end recorded)`.
    pub outcome: String,
    /// What the reader tolerated (e.g. a partial last line).
    pub warnings: Vec<String>,
    /// Every request the session sent to the cluster.
    pub api_calls: super::api_calls::ApiCallLog,
}

/// One line of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineItem {
    pub at: Timestamp,
    /// Milliseconds since the session started.
    pub offset_ms: i64,
    /// `engineer`, `assistant`, `klue`, `policy`.
    pub actor: String,
    pub text: String,
}

/// What happened to one proposal (its state from the [`ProposalLog`]).
#[derive(Debug, Clone, Serialize)]
pub struct QueryRecord {
    pub id: String,
    pub proposed_at: Timestamp,
    pub offset_ms: i64,
    /// The command that ran, or was refused: the engineer's edit when there was one.
    pub command: String,
    /// The command as the planner proposed it, when the engineer edited it.
    pub proposed_command: Option<String>,
    /// The command as the engineer can paste it into a shell (`kubectl --context C -n NS ...`);
    /// none for a command the read-only policy refused.
    pub paste: Option<String>,
    pub reason: String,
    pub hypothesis: String,
    /// Who asked for it: `planner`, `engineer` (their own query), or `offline_step` (klue's
    /// offline planner on behalf of the model).
    pub origin: crate::protocol::ProposalOrigin,
    pub status: Stage,
    /// The decision in one sentence.
    pub decision: Option<String>,
    /// Who decided: `engineer`, `policy (<rule>)`, `duplicate of <id>`.
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub rejection_reason: Option<String>,
    /// The refusal reason, when the policy refused the command.
    pub refused_why: Option<String>,
    /// Edits the policy refused while the proposal waited.
    pub refused_edits: Vec<Refusal>,
    pub execution: Option<ExecutionRecord>,
}

/// When each step of a proposal's life was recorded, and its output.
#[derive(Debug, Clone, Default)]
struct Seen {
    proposed_at: Option<(Timestamp, i64)>,
    decided_at: Option<Timestamp>,
    execution: Option<ExecutionRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExecutionRecord {
    /// The command actually run (after an edit).
    pub command: String,
    pub finished_at: Timestamp,
    pub duration_ms: u64,
    pub error: Option<String>,
    /// The full output the engineer saw.
    pub output: String,
    /// The condensed copy the model saw.
    pub condensed: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HypothesisTrack {
    pub id: String,
    pub states: Vec<HypothesisState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HypothesisState {
    pub at: Timestamp,
    pub offset_ms: i64,
    pub statement: String,
    pub status: HypothesisStatus,
    pub evidence_for: Vec<Evidence>,
    pub evidence_against: Vec<Evidence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConclusionRecord {
    pub at: Timestamp,
    pub offset_ms: i64,
    #[serde(flatten)]
    pub conclusion: Conclusion,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenUse {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// The session total as last reported.
    pub session_total: u64,
    pub model_calls: u64,
    /// Prompt plus completion tokens of each planner turn, in order.
    pub per_turn: Vec<u64>,
}

impl TokenUse {
    /// Count one model call's usage (an [`Event::Usage`]): the one fold of token use, for
    /// the export and for `ask`'s report alike.
    pub fn add(&mut self, u: &Usage) {
        self.prompt_tokens += u.prompt_tokens;
        self.completion_tokens += u.completion_tokens;
        self.session_total = self.session_total.max(u.session_total);
        self.model_calls += 1;
        self.per_turn.push(u.prompt_tokens + u.completion_tokens);
    }
}

fn ms(from: Timestamp, to: Timestamp) -> i64 {
    i64::try_from(to.duration_since(from).as_millis()).unwrap_or(i64::MAX)
}

fn decider(by: &Decider) -> String {
    match by {
        Decider::User => "engineer".into(),
        Decider::UserShape { shape } => format!("engineer (and its shape: {shape})"),
        Decider::Policy { rule } => format!("policy ({rule})"),
        Decider::Dedup { earlier } => format!("duplicate of {earlier}"),
    }
}

impl Timeline {
    /// Digest a recording.
    pub fn build(rec: &Recording) -> Self {
        let start = rec.header.started_at;
        let mut t = Timeline {
            klue_version: rec.header.klue_version.clone(),
            started_at: start,
            ended_at: start,
            duration_ms: 0,
            session: rec.header.session.clone(),
            symptom: None,
            events: Vec::new(),
            queries: Vec::new(),
            hypotheses: Vec::new(),
            conclusion: None,
            tokens: TokenUse::default(),
            outcome: String::new(),
            warnings: rec.warnings.iter().map(ToString::to_string).collect(),
            api_calls: Default::default(),
        };
        let mut ended = None;
        let mut log = ProposalLog::new();
        let mut seen: HashMap<ProposalId, Seen> = HashMap::new();
        for e in &rec.entries {
            t.ended_at = t.ended_at.max(e.at);
            if let Item::Event(ev) = &e.item {
                log.apply(ev);
                t.note(ev, e.at, start, &mut seen);
            }
            t.add(e, start, &mut ended, &log);
        }
        t.queries = log
            .entries()
            .iter()
            .map(|q| {
                let seen = seen.remove(&q.id).unwrap_or_default();
                let (proposed_at, offset_ms) = seen.proposed_at.unwrap_or((start, 0));
                QueryRecord {
                    id: q.id.0.clone(),
                    proposed_at,
                    offset_ms,
                    command: q.command().to_string(),
                    proposed_command: q.was_edited().then(|| q.proposed.clone()),
                    paste: log.paste_of(q),
                    reason: q.reason.clone(),
                    hypothesis: q.hypothesis.clone(),
                    origin: q.origin,
                    status: q.stage,
                    decision: q.decision_text_as("the engineer"),
                    decided_by: q.by.as_ref().map(decider),
                    decided_at: seen.decided_at,
                    rejection_reason: q.rejection.clone(),
                    refused_why: q.refusal.as_ref().map(|r| r.why.clone()),
                    refused_edits: q.refused_edits.clone(),
                    execution: seen.execution,
                }
            })
            .collect();
        t.duration_ms = ms(start, t.ended_at);
        t.outcome = outcome(t.conclusion.as_ref().map(|c| &c.conclusion), ended);
        t
    }

    fn push(&mut self, at: Timestamp, start: Timestamp, actor: &str, text: String) {
        self.events.push(TimelineItem {
            at,
            offset_ms: ms(start, at),
            actor: actor.into(),
            text,
        });
    }

    /// Remember when a proposal's steps happened, and its output.
    fn note(
        &self,
        ev: &Event,
        at: Timestamp,
        start: Timestamp,
        seen: &mut HashMap<ProposalId, Seen>,
    ) {
        match ev {
            Event::Proposed(p) => {
                seen.entry(p.id.clone())
                    .or_default()
                    .proposed_at
                    .get_or_insert((at, ms(start, at)));
            }
            Event::Refused { id, .. } => {
                seen.entry(id.clone())
                    .or_default()
                    .proposed_at
                    .get_or_insert((at, ms(start, at)));
            }
            Event::Decided { id, .. } => seen.entry(id.clone()).or_default().decided_at = Some(at),
            Event::ExecFinished(x) => {
                seen.entry(x.id.clone()).or_default().execution = Some(ExecutionRecord {
                    command: x.command.clone(),
                    finished_at: at,
                    duration_ms: x.duration_ms,
                    error: x.error.clone(),
                    output: x.output.clone(),
                    condensed: x.condensed.clone(),
                });
            }
            _ => {}
        }
    }

    fn add(
        &mut self,
        e: &RecordLine,
        start: Timestamp,
        ended: &mut Option<EndReason>,
        log: &ProposalLog,
    ) {
        let at = e.at;
        let ev = match &e.item {
            Item::Event(ev) => ev,
            Item::Op(Op::ApproveShape { id }) => {
                self.push(
                    at,
                    start,
                    "engineer",
                    format!("approved {id} and its query shape for the rest of the session"),
                );
                return;
            }
            Item::Op(_) => return,
        };
        match ev {
            Event::SessionStarted(_)
            | Event::AssistantDelta { .. }
            | Event::AwaitingInput
            | Event::Connection(_)
            | Event::ExecStarted { .. } => {}
            Event::UserMessage { text } => {
                if self.symptom.is_none() {
                    self.symptom = Some(text.clone());
                }
                self.push(at, start, "engineer", text.clone());
            }
            Event::AssistantMessage { text, .. } => {
                if !text.trim().is_empty() {
                    self.push(at, start, "assistant", text.clone());
                }
            }
            Event::Proposed(p) => {
                self.push(
                    at,
                    start,
                    "assistant",
                    format!("proposed {}: `{}` ({})", p.id, p.command, p.reason),
                );
            }
            Event::Refused { id, command, why } => {
                let still = log.get(id).is_some_and(|q| q.stage == Stage::Pending);
                let text = if still {
                    format!("refused the edit of {id} to `{command}`: {why}; {id} still waited")
                } else {
                    format!("refused {id} `{command}`: {why}")
                };
                self.push(at, start, "policy", text);
            }
            Event::Decided { id, by, .. } => {
                let text = log
                    .get(id)
                    .and_then(|q| q.decision_text_as("the engineer"))
                    .unwrap_or_else(|| "decided".into());
                let actor = if matches!(by, Decider::User | Decider::UserShape { .. }) {
                    "engineer"
                } else {
                    "klue"
                };
                self.push(at, start, actor, format!("{id} {text}"));
            }
            Event::ExecFinished(x) => {
                let how = match &x.error {
                    Some(err) => format!("failed after {} ms: {err}", x.duration_ms),
                    None => format!("{} lines in {} ms", x.output.lines().count(), x.duration_ms),
                };
                self.push(
                    at,
                    start,
                    "klue",
                    format!("ran {} `{}`: {how}", x.id, x.command),
                );
            }
            Event::Hypothesis(h) => {
                self.push(
                    at,
                    start,
                    "assistant",
                    format!("hypothesis {} ({}): {}", h.id, h.status.word(), h.statement),
                );
                let state = HypothesisState {
                    at,
                    offset_ms: ms(start, at),
                    statement: h.statement.clone(),
                    status: h.status,
                    evidence_for: h.evidence_for.clone(),
                    evidence_against: h.evidence_against.clone(),
                };
                match self.hypotheses.iter_mut().find(|t| t.id == h.id.0) {
                    Some(track) => track.states.push(state),
                    None => self.hypotheses.push(HypothesisTrack {
                        id: h.id.0.clone(),
                        states: vec![state],
                    }),
                }
            }
            Event::Concluded(c) => {
                self.push(
                    at,
                    start,
                    "assistant",
                    format!("concluded: {}", c.headline()),
                );
                self.conclusion = Some(ConclusionRecord {
                    at,
                    offset_ms: ms(start, at),
                    conclusion: c.clone(),
                });
            }
            Event::Usage(u) => self.usage(u),
            Event::ApiCalls(b) => self.api_calls.add(b),
            Event::Spent(_) => {}
            Event::Cancelled => {
                self.push(at, start, "engineer", "cancelled the running turn".into());
            }
            Event::Error { message, class } => self.push(
                at,
                start,
                "klue",
                format!("error ({}): {message}", class.word()),
            ),
            Event::Notice { text } => self.push(at, start, "klue", text.clone()),
            Event::SessionEnded { reason } => {
                self.push(at, start, "klue", format!("session ended: {reason}"));
                *ended = Some(*reason);
            }
        }
    }

    fn usage(&mut self, u: &Usage) {
        self.tokens.add(u);
    }
}

/// The one-line outcome of a session.
pub fn outcome(conclusion: Option<&Conclusion>, ended: Option<EndReason>) -> String {
    match (conclusion, ended) {
        (Some(c), _) => format!("concluded ({} confidence)", c.confidence.word()),
        (None, Some(reason)) => format!("ended without conclusion ({reason})"),
        (None, None) => "interrupted (no end recorded)".into(),
    }
}

/// `+2:03`, `+1:02:03`.
pub fn offset(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("+{h}:{m:02}:{sec:02}")
    } else {
        format!("+{m}:{sec:02}")
    }
}

/// `1h 2m 3s`, `2m 3s`, `4s`.
pub fn human_duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}h {m}m {sec}s")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}
