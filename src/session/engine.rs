//! The session task: turn state machine, approvals, execution, budget, cancellation.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use crate::condense;
use crate::planner::{Action, Outcome, Planner, Step, Transcript, TranscriptEntry};
use crate::protocol::{
    ApiCalls, Conclusion, Decider, Decision, EndReason, ErrorClass, Event, Evidence, Execution,
    FaultClass, Hypothesis, OWN_QUERY_REASON, Op, Proposal, ProposalId, ProposalOrigin, Spent,
    Usage,
};
use crate::query::{self, Query};
use crate::redact;

use super::config::{ApprovalPolicy, SessionConfig};
use super::history::History;
use super::runner::QueryRunner;
use super::verify;
use crate::protocol::EventSink;

use crate::planner::CONCLUDE_NOW;

/// Where the session goes after a piece of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// Call the planner again (results to look at).
    Continue,
    /// Wait for the engineer.
    Idle,
    /// The session is over.
    Ended,
}

/// The front-end side: ops in, events out (to the front end and the sinks).
struct Io {
    ops: mpsc::UnboundedReceiver<Op>,
    events: mpsc::UnboundedSender<Event>,
    sinks: Vec<Box<dyn EventSink>>,
    /// Messages the engineer sent while the planner or a query was busy; they join the
    /// transcript before the next planner call.
    queued_user: Vec<String>,
    /// The engineer's own queries sent while busy; they run before the next planner call.
    queued_own: Vec<String>,
}

impl Io {
    /// The requests sent since the last batch, as one event (nothing when there were none).
    fn api_calls(&mut self, runner: &dyn QueryRunner, id: Option<ProposalId>) {
        let (calls, dropped) = runner.take_api_calls();
        if !calls.is_empty() || dropped > 0 {
            self.emit(Event::ApiCalls(ApiCalls { id, calls, dropped }));
        }
    }

    /// An op that arrived while the planner (or the hints it waits for) was busy.
    fn while_busy(&mut self, op: Option<Op>, runner: &dyn QueryRunner) -> Busy {
        match op {
            None | Some(Op::End { .. }) => {
                let reason = match op {
                    Some(Op::End { reason }) => reason,
                    _ => EndReason::FrontEndClosed,
                };
                self.api_calls(runner, None);
                self.emit(Event::SessionEnded { reason });
                Busy::Ended
            }
            Some(Op::Cancel) => Busy::Cancelled,
            Some(Op::UserMessage { text }) => {
                self.queued_user.push(text);
                Busy::Going
            }
            Some(Op::RunQuery { command }) => {
                self.queued_own.push(command);
                Busy::Going
            }
            Some(Op::Decide { id, .. } | Op::ApproveShape { id }) => {
                self.emit(Event::Error {
                    message: format!("no proposal {id} is waiting for a decision"),
                    class: FaultClass::NoSuchProposal,
                });
                Busy::Going
            }
        }
    }

    fn emit(&mut self, event: Event) {
        for sink in &mut self.sinks {
            sink.event(&event);
        }
        if self.events.send(event).is_err() {
            tracing::debug!("session front end is gone");
        }
    }
}

/// A proposal that passed the policy, waiting for a decision or to be run.
#[derive(Debug, Clone)]
struct Pending {
    id: ProposalId,
    call_id: String,
    command: String,
    query: Query,
}

/// The proposals of one planner step while they are decided and run.
#[derive(Debug, Default)]
struct StepWork {
    /// Approved, to run in order.
    queue: VecDeque<Pending>,
    /// Awaiting a decision, in proposal order.
    waiting: Vec<Pending>,
    /// Outcome per call id.
    outcomes: HashMap<String, Outcome>,
    /// Proposals identical to an earlier one of the same step: (call id, earlier call id).
    echoes: Vec<(String, String)>,
}

impl StepWork {
    fn is_done(&self) -> bool {
        self.queue.is_empty() && self.waiting.is_empty()
    }

    /// Decline everything not yet run (cancel): the planner is told it was not run.
    fn decline_rest(&mut self, reason: &str) {
        for p in self.queue.drain(..).chain(self.waiting.drain(..)) {
            self.outcomes.insert(
                p.call_id,
                Outcome::Rejected {
                    command: p.command,
                    reason: Some(reason.to_string()),
                },
            );
        }
    }
}

pub(super) struct Engine {
    planner: Box<dyn Planner>,
    runner: Arc<dyn QueryRunner>,
    config: SessionConfig,
    io: Io,
    transcript: Transcript,
    history: History,
    /// Approved query shapes (`Op::ApproveShape`).
    shapes: BTreeSet<String>,
    /// Planner call id → proposal id, to translate evidence citations.
    call_ids: HashMap<String, ProposalId>,
    next_id: u64,
    turns: u32,
    queries: u32,
    tokens_total: u64,
    /// The budget used as last emitted ([`Event::Spent`]).
    spent: Spent,
    /// Whose step is being processed (its proposals carry it).
    step_origin: ProposalOrigin,
    /// The "conclude now" request has been added to the transcript.
    conclude_requested: bool,
    /// The running planner call is the one after that request: proposals are refused.
    forced_turn: bool,
    /// Output lines that read as instructions to an AI assistant (flagged on screen, counted
    /// in the conclusion).
    suspicious_lines: usize,
    /// Every execution of the session (earlier ones too, on resume), for verifying evidence.
    executions: Vec<Execution>,
    /// Proposals answered from an identical earlier one: id → that one's id.
    aliases: HashMap<ProposalId, ProposalId>,
    /// Where the current line of inquiry starts in `executions` (after the last conclusion).
    inquiry_from: usize,
    /// The engineer's own queries run while a step's proposals waited; their transcript
    /// entries follow the step's results.
    deferred_own: Vec<TranscriptEntry>,
    /// Analyzer hints still being gathered (see [`SessionConfig::pending_hints`]).
    pending_hints: Option<tokio::task::JoinHandle<Vec<String>>>,
}

impl Engine {
    pub(super) fn new(
        planner: Box<dyn Planner>,
        runner: Arc<dyn QueryRunner>,
        mut config: SessionConfig,
        ops: mpsc::UnboundedReceiver<Op>,
        events: mpsc::UnboundedSender<Event>,
    ) -> Self {
        let sinks = std::mem::take(&mut config.sinks);
        let pending_hints = config.pending_hints.take();
        let earlier = super::resume::rebuild(&config.earlier);
        let transcript = Transcript {
            entries: earlier.transcript,
            hints: config.hints.iter().map(|h| redact::redact(h)).collect(),
            namespace: config.info.namespace.clone(),
        };
        let shapes = earlier.shapes;
        Self {
            planner,
            runner,
            config,
            io: Io {
                ops,
                events,
                sinks,
                queued_user: Vec::new(),
                queued_own: Vec::new(),
            },
            transcript,
            history: earlier.history,
            shapes,
            call_ids: HashMap::new(),
            next_id: earlier.last_id,
            // A resumed session goes on from what the earlier one used.
            turns: earlier.spent.turns,
            queries: earlier.spent.queries,
            tokens_total: earlier.spent.tokens,
            spent: earlier.spent,
            step_origin: ProposalOrigin::Planner,
            conclude_requested: false,
            forced_turn: false,
            suspicious_lines: 0,
            executions: earlier.executions,
            aliases: earlier.aliases,
            inquiry_from: earlier.inquiry_from,
            deferred_own: Vec::new(),
            pending_hints,
        }
    }

    pub(super) async fn run(mut self) {
        let mut info = self.config.info.clone();
        info.planner = self.planner.info();
        self.io.emit(Event::SessionStarted(info));
        for event in std::mem::take(&mut self.config.earlier) {
            if super::resume::replayable(&event) {
                self.io.emit(event);
            }
        }
        self.io.emit(Event::AwaitingInput);
        loop {
            let Some(op) = self.io.ops.recv().await else {
                self.end(EndReason::FrontEndClosed);
                return;
            };
            match op {
                Op::UserMessage { text } => {
                    self.io.queued_user.push(text);
                    match self.investigate().await {
                        Flow::Ended => return,
                        Flow::Idle | Flow::Continue => self.io.emit(Event::AwaitingInput),
                    }
                }
                Op::Decide { id, .. } | Op::ApproveShape { id } => {
                    self.io.emit(Event::Error {
                        message: format!("no proposal {id} is waiting for a decision"),
                        class: FaultClass::NoSuchProposal,
                    });
                }
                Op::RunQuery { command } => {
                    self.io.queued_own.push(command);
                    match self.run_own_queries(None).await {
                        Flow::Ended => return,
                        Flow::Idle => self.io.emit(Event::Cancelled),
                        Flow::Continue => {}
                    }
                    self.io.emit(Event::AwaitingInput);
                }
                Op::Cancel => tracing::debug!("cancel with nothing running"),
                Op::End { reason } => {
                    self.end(reason);
                    return;
                }
            }
        }
    }

    fn end(&mut self, reason: EndReason) {
        self.io.api_calls(self.runner.as_ref(), None);
        self.io.emit(Event::SessionEnded { reason });
    }

    /// Planner steps until a conclusion, a question to the engineer, a cancel or an error.
    async fn investigate(&mut self) -> Flow {
        loop {
            match self.run_own_queries(None).await {
                Flow::Ended => return Flow::Ended,
                Flow::Idle => {
                    self.io.emit(Event::Cancelled);
                    return Flow::Idle;
                }
                Flow::Continue => {}
            }
            self.take_queued_user();
            let tokens_over = self
                .config
                .budget
                .max_tokens
                .is_some_and(|max| self.tokens_total >= max);
            if self.turns >= self.config.budget.max_turns || tokens_over {
                self.request_conclusion();
            }
            if self.turns > self.config.budget.max_turns {
                return self.budget_end();
            }
            // Once the planner has been asked to conclude, it gets no more queries.
            let forced = self.conclude_requested;
            self.forced_turn = forced;
            self.turns += 1;
            self.spent();
            let step = match self.call_planner().await {
                Called::Step(step) => step,
                Called::Cancelled => {
                    self.io.emit(Event::Cancelled);
                    return Flow::Idle;
                }
                Called::Failed(message, class) => {
                    self.io.emit(Event::Error { message, class });
                    return Flow::Idle;
                }
                Called::Ended => return Flow::Ended,
            };
            let (flow, concluded) = self.process_step(step).await;
            match flow {
                Flow::Continue if forced && !concluded => return self.budget_end(),
                Flow::Continue => continue,
                other => return other,
            }
        }
    }

    /// Say what the budget used has grown to (once per change).
    fn spent(&mut self) {
        let now = Spent {
            turns: self.turns,
            queries: self.queries,
            tokens: self.tokens_total,
            of: Some(self.config.budget),
        };
        if now != self.spent {
            self.spent = now;
            self.io.emit(Event::Spent(now));
        }
    }

    fn budget_end(&mut self) -> Flow {
        let b = self.config.budget;
        self.io.emit(Event::Error {
            message: format!(
                "the session budget is used up ({} of {} planner turns, {} of {} queries{}) \
                 and the planner did not conclude",
                self.turns,
                b.max_turns,
                self.queries,
                b.max_queries,
                b.max_tokens
                    .map(|m| format!(", {} of {m} tokens", self.tokens_total))
                    .unwrap_or_default()
            ),
            class: FaultClass::Budget,
        });
        self.end(EndReason::BudgetExhausted);
        Flow::Ended
    }

    fn request_conclusion(&mut self) {
        if !self.conclude_requested {
            self.conclude_requested = true;
            self.transcript.entries.push(TranscriptEntry::User {
                text: CONCLUDE_NOW.to_string(),
            });
        }
    }

    fn take_queued_user(&mut self) {
        for text in std::mem::take(&mut self.io.queued_user) {
            let text = redact::redact(&text);
            self.io.emit(Event::UserMessage { text: text.clone() });
            self.transcript.entries.push(TranscriptEntry::User { text });
        }
    }

    async fn call_planner(&mut self) -> Called {
        if let Some(called) = self.await_hints().await {
            return called;
        }
        // The whole transcript: a model's planner fits it to the model's context window
        // itself; klue's own checks (the offline planner, also inside a grounded model) must
        // read every output in full.
        let view = self.transcript.clone();
        let (delta_tx, mut delta_rx) = mpsc::unbounded_channel::<String>();
        let result = {
            let io = &mut self.io;
            let fut = self.planner.next(&view, &delta_tx);
            tokio::pin!(fut);
            loop {
                tokio::select! {
                    biased;
                    Some(delta) = delta_rx.recv() => io.emit(Event::AssistantDelta { delta }),
                    res = &mut fut => break Some(res),
                    op = io.ops.recv() => match io.while_busy(op, self.runner.as_ref()) {
                        Busy::Ended => return Called::Ended,
                        Busy::Cancelled => break None,
                        Busy::Going => {}
                    },
                }
            }
        };
        while let Ok(delta) = delta_rx.try_recv() {
            self.io.emit(Event::AssistantDelta { delta });
        }
        for text in self.planner.take_notices() {
            self.io.emit(Event::Notice { text });
        }
        match result {
            None => Called::Cancelled,
            Some(Ok(step)) => Called::Step(step),
            Some(Err(err)) => Called::Failed(format!("planner: {err}"), err.class()),
        }
    }

    /// The analyzer hints still being gathered behind the session's start: wait for them
    /// (their fetch has its own timeout) before the first planner call. `Some` when the
    /// engineer cancelled or ended the session meanwhile (the fetch is kept for the next call
    /// after a cancel).
    async fn await_hints(&mut self) -> Option<Called> {
        let mut pending = self.pending_hints.take()?;
        loop {
            tokio::select! {
                biased;
                found = &mut pending => {
                    match found {
                        Ok(hints) => self
                            .transcript
                            .hints
                            .extend(hints.iter().map(|h| redact::redact(h))),
                        Err(e) => tracing::warn!(error = %e, "the analyzer hints were lost"),
                    }
                    return None;
                }
                op = self.io.ops.recv() => match self.io.while_busy(op, self.runner.as_ref()) {
                    Busy::Ended => {
                        pending.abort();
                        return Some(Called::Ended);
                    }
                    Busy::Cancelled => {
                        self.pending_hints = Some(pending);
                        return Some(Called::Cancelled);
                    }
                    Busy::Going => {}
                },
            }
        }
    }

    fn new_id(&mut self) -> ProposalId {
        self.next_id += 1;
        ProposalId(format!("p{}", self.next_id))
    }

    /// Handle one planner step. Returns where to go next and whether it concluded.
    async fn process_step(&mut self, step: Step) -> (Flow, bool) {
        self.step_origin = step.origin;
        if !step.text.is_empty() {
            self.io.emit(Event::AssistantMessage {
                text: step.text.clone(),
                origin: step.origin,
            });
        }
        if let Some(u) = step.usage {
            self.tokens_total += u.prompt_tokens + u.completion_tokens;
            self.io.emit(Event::Usage(Usage {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
                session_total: self.tokens_total,
            }));
            self.spent();
        }
        // Ids first, so citations in this very step can be translated.
        for action in &step.actions {
            if let Action::Propose { call_id, .. } = action {
                let id = self.new_id();
                self.call_ids.insert(call_id.clone(), id);
            }
        }
        self.transcript.entries.push(TranscriptEntry::Assistant {
            text: step.text.clone(),
            actions: step.actions.clone(),
            origin: step.origin,
        });

        let mut work = StepWork::default();
        let mut call_order = Vec::new();
        let mut conclusion = None;
        let mut in_step: Vec<(String, String)> = Vec::new();
        for action in step.actions {
            match action {
                Action::Hypothesis(h) => {
                    let mut h = self.cite_hypothesis(h);
                    let book = verify::Book::new(&self.executions, &self.aliases);
                    verify::verify_hypothesis(&mut h, &book);
                    self.io.emit(Event::Hypothesis(h));
                }
                Action::Conclude(c) => conclusion = Some(self.cite_conclusion(c)),
                Action::Propose {
                    call_id,
                    command,
                    reason,
                    hypothesis,
                } => {
                    call_order.push(call_id.clone());
                    let id = self
                        .call_ids
                        .get(&call_id)
                        .cloned()
                        .unwrap_or_else(|| ProposalId(call_id.clone()));
                    self.propose(
                        &mut work,
                        &mut in_step,
                        id,
                        call_id,
                        command,
                        reason,
                        hypothesis,
                    );
                }
            }
        }

        let mut flow = Flow::Continue;
        while !work.is_done() {
            match self.advance(&mut work).await {
                Flow::Continue => {}
                Flow::Idle => {
                    work.decline_rest("cancelled by the engineer");
                    flow = Flow::Idle;
                    break;
                }
                Flow::Ended => {
                    work.decline_rest("the session ended");
                    flow = Flow::Ended;
                    break;
                }
            }
        }
        self.settle_echoes(&mut work);
        let had_proposals = !call_order.is_empty();
        let only_policy_declines = self.config.approval == ApprovalPolicy::None;
        let deferred = std::mem::take(&mut self.deferred_own);
        for call_id in call_order {
            let outcome = work
                .outcomes
                .remove(&call_id)
                .unwrap_or_else(|| Outcome::Rejected {
                    command: String::new(),
                    reason: Some("not run".into()),
                });
            self.transcript
                .entries
                .push(TranscriptEntry::Result { call_id, outcome });
        }
        self.transcript.entries.extend(deferred);
        if flow == Flow::Ended {
            return (Flow::Ended, false);
        }
        if flow == Flow::Idle {
            self.io.emit(Event::Cancelled);
            return (Flow::Idle, false);
        }
        // Nothing answered and every query failed because of the cluster itself: asking the
        // planner for more queries would only fail again. Conclude honestly now.
        let conclusion = conclusion.or_else(|| self.cluster_unusable());
        if let Some(c) = conclusion {
            let mut c = self.verify(c);
            if self.suspicious_lines > 0 {
                let n = self.suspicious_lines;
                c.notes.push(format!(
                    "{n} line{} of cluster output looked like instructions to an AI assistant (flagged in the outputs); {} treated as data, never followed",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "it was" } else { "they were" }
                ));
            }
            self.io.emit(Event::Concluded(c));
            // A later message starts a new line of inquiry.
            self.inquiry_from = self.executions.len();
            return (Flow::Idle, true);
        }
        if had_proposals && !only_policy_declines {
            (Flow::Continue, false)
        } else {
            (Flow::Idle, false)
        }
    }

    /// Policy, budget, de-duplication and approval policy for one proposal.
    #[allow(clippy::too_many_arguments)]
    fn propose(
        &mut self,
        work: &mut StepWork,
        in_step: &mut Vec<(String, String)>,
        id: ProposalId,
        call_id: String,
        command: String,
        reason: String,
        hypothesis: String,
    ) {
        let command = command.trim().to_string();
        let query = match query::parse(&command) {
            Ok(q) => q,
            Err(refusal) => {
                self.refuse(work, id, call_id, command, refusal.reason);
                return;
            }
        };
        let reserved = (work.queue.len() + work.waiting.len()) as u32;
        let over_budget = self.queries + reserved >= self.config.budget.max_queries;
        if self.history.find(&query).is_none() && (over_budget || self.forced_turn) {
            let b = self.config.budget;
            let why = if over_budget {
                format!(
                    "the session's query budget ({} queries) is used up; conclude with the evidence you have",
                    b.max_queries
                )
            } else if let Some(max) = b.max_tokens.filter(|m| self.tokens_total >= *m) {
                format!(
                    "the session's token budget ({max} tokens) is used up; conclude with the evidence you have"
                )
            } else {
                format!(
                    "the session's budget ({} planner turns) is used up; conclude with the evidence you have",
                    b.max_turns
                )
            };
            self.refuse(work, id, call_id, command, why);
            self.request_conclusion();
            return;
        }
        self.io.emit(Event::Proposed(Proposal {
            id: id.clone(),
            command: command.clone(),
            reason,
            hypothesis,
            origin: self.step_origin,
        }));
        if let Some(ran) = self.history.find(&query) {
            self.aliases.insert(id.clone(), ran.id.clone());
            self.io.emit(Event::Decided {
                id,
                decision: Decision::Approve,
                by: Decider::Dedup {
                    earlier: ran.id.clone(),
                },
            });
            work.outcomes.insert(
                call_id,
                Outcome::Duplicate {
                    command,
                    condensed: ran.condensed.clone(),
                },
            );
            return;
        }
        let canonical = query.canonical();
        if let Some((_, earlier_call)) = in_step.iter().find(|(c, _)| *c == canonical) {
            let earlier = self
                .call_ids
                .get(earlier_call)
                .cloned()
                .unwrap_or_else(|| ProposalId(earlier_call.clone()));
            self.aliases.insert(id.clone(), earlier.clone());
            self.io.emit(Event::Decided {
                id,
                decision: Decision::Approve,
                by: Decider::Dedup { earlier },
            });
            work.echoes.push((call_id, earlier_call.clone()));
            return;
        }
        in_step.push((canonical, call_id.clone()));
        let pending = Pending {
            id: id.clone(),
            call_id,
            command,
            query,
        };
        let shape = pending.query.shape();
        match self.config.approval {
            ApprovalPolicy::None => {
                let reason = "klue only shows proposals in this session (approval policy: none)";
                self.io.emit(Event::Decided {
                    id,
                    decision: Decision::Reject {
                        reason: Some(reason.into()),
                    },
                    by: Decider::Policy {
                        rule: ApprovalPolicy::None.rule().into(),
                    },
                });
                work.outcomes.insert(
                    pending.call_id,
                    Outcome::Rejected {
                        command: pending.command,
                        reason: Some(reason.into()),
                    },
                );
            }
            ApprovalPolicy::AllReadOnly => {
                self.io.emit(Event::Decided {
                    id,
                    decision: Decision::Approve,
                    by: Decider::Policy {
                        rule: ApprovalPolicy::AllReadOnly.rule().into(),
                    },
                });
                work.queue.push_back(pending);
            }
            ApprovalPolicy::Ask if self.shapes.contains(&shape) => {
                self.io.emit(Event::Decided {
                    id,
                    decision: Decision::Approve,
                    by: Decider::Policy {
                        rule: format!("shape: {shape}"),
                    },
                });
                work.queue.push_back(pending);
            }
            ApprovalPolicy::Ask => work.waiting.push(pending),
        }
    }

    fn refuse(
        &mut self,
        work: &mut StepWork,
        id: ProposalId,
        call_id: String,
        command: String,
        why: String,
    ) {
        self.io.emit(Event::Refused {
            id,
            command: command.clone(),
            why: why.clone(),
        });
        work.outcomes
            .insert(call_id, Outcome::Refused { command, why });
    }

    /// Run the next approved query, or wait for the next decision.
    async fn advance(&mut self, work: &mut StepWork) -> Flow {
        if let Some(job) = work.queue.pop_front() {
            return self.execute(work, job).await;
        }
        // The engineer's own query, typed while proposals wait: run it now; its result joins
        // the transcript after this step's results.
        if !self.io.queued_own.is_empty() {
            return self.run_own_queries(Some(work)).await;
        }
        let Some(op) = self.io.ops.recv().await else {
            self.end(EndReason::FrontEndClosed);
            return Flow::Ended;
        };
        self.on_op(work, op)
    }

    /// An op arriving while proposals of a step are decided or run.
    fn on_op(&mut self, work: &mut StepWork, op: Op) -> Flow {
        match op {
            Op::End { reason } => {
                self.end(reason);
                Flow::Ended
            }
            Op::Cancel => Flow::Idle,
            Op::UserMessage { text } => {
                self.io.queued_user.push(text);
                Flow::Continue
            }
            Op::RunQuery { command } => {
                self.io.queued_own.push(command);
                Flow::Continue
            }
            Op::Decide { id, decision } => {
                let Some(pos) = work.waiting.iter().position(|p| p.id == id) else {
                    self.io.emit(Event::Error {
                        message: format!("no proposal {id} is waiting for a decision"),
                        class: FaultClass::NoSuchProposal,
                    });
                    return Flow::Continue;
                };
                // An edit the policy refuses is not a decision: the proposal keeps waiting
                // and may be edited again (or approved as proposed, or rejected).
                if let Decision::ApproveEdited { command } = &decision {
                    let command = command.trim().to_string();
                    match query::parse(&command) {
                        Ok(query) => {
                            let pending = work.waiting.remove(pos);
                            self.io.emit(Event::Decided {
                                id,
                                decision: Decision::ApproveEdited {
                                    command: command.clone(),
                                },
                                by: Decider::User,
                            });
                            work.queue.push_back(Pending {
                                command,
                                query,
                                ..pending
                            });
                        }
                        Err(refusal) => self.io.emit(Event::Refused {
                            id,
                            command,
                            why: refusal.reason,
                        }),
                    }
                    return Flow::Continue;
                }
                let pending = work.waiting.remove(pos);
                self.io.emit(Event::Decided {
                    id: id.clone(),
                    decision: decision.clone(),
                    by: Decider::User,
                });
                match decision {
                    Decision::Approve => work.queue.push_back(pending),
                    Decision::ApproveEdited { .. } => {}
                    Decision::Reject { reason } => {
                        work.outcomes.insert(
                            pending.call_id,
                            Outcome::Rejected {
                                command: pending.command,
                                reason: reason.map(|r| redact::redact(&r)),
                            },
                        );
                    }
                }
                Flow::Continue
            }
            Op::ApproveShape { id } => {
                let Some(pos) = work.waiting.iter().position(|p| p.id == id) else {
                    self.io.emit(Event::Error {
                        message: format!("no proposal {id} is waiting for a decision"),
                        class: FaultClass::NoSuchProposal,
                    });
                    return Flow::Continue;
                };
                let pending = work.waiting.remove(pos);
                let shape = pending.query.shape();
                self.io.emit(Event::Decided {
                    id,
                    decision: Decision::Approve,
                    by: Decider::UserShape {
                        shape: shape.clone(),
                    },
                });
                work.queue.push_back(pending);
                // Others of the same shape in this step are approved too.
                let (same, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut work.waiting)
                    .into_iter()
                    .partition(|p| p.query.shape() == shape);
                work.waiting = rest;
                for p in same {
                    self.io.emit(Event::Decided {
                        id: p.id.clone(),
                        decision: Decision::Approve,
                        by: Decider::Policy {
                            rule: format!("shape: {shape}"),
                        },
                    });
                    work.queue.push_back(p);
                }
                self.shapes.insert(shape);
                Flow::Continue
            }
        }
    }

    /// Run one approved query, listening for ops (cancel) while it runs.
    async fn execute(&mut self, work: &mut StepWork, job: Pending) -> Flow {
        self.io.emit(Event::ExecStarted {
            id: job.id.clone(),
            command: job.command.clone(),
        });
        let started = Instant::now();
        let runner = Arc::clone(&self.runner);
        let timeout = self.config.query_timeout;
        let fut = tokio::time::timeout(timeout, runner.run(&job.query));
        tokio::pin!(fut);
        let result = loop {
            tokio::select! {
                res = &mut fut => break res,
                op = self.io.ops.recv() => {
                    let op = op.unwrap_or(Op::End { reason: EndReason::FrontEndClosed });
                    match self.on_op(work, op) {
                        Flow::Continue => {}
                        stop => {
                            let reason = if stop == Flow::Ended { "the session ended" } else { "cancelled by the engineer" };
                            self.finished(Execution {
                                id: job.id.clone(),
                                command: job.command.clone(),
                                duration_ms: elapsed_ms(started),
                                error: Some(reason.to_string()),
                                error_class: Some(ErrorClass::Cancelled),
                                ..Execution::default()
                            });
                            work.outcomes.insert(job.call_id, Outcome::Rejected {
                                command: job.command,
                                reason: Some(reason.to_string()),
                            });
                            return stop;
                        }
                    }
                }
            }
        };
        self.queries += 1;
        self.spent();
        let mut flagged_lines = Vec::new();
        let (output, condensed, error, objects) = match result {
            Ok(Ok(out)) => {
                let (full, condensed, objects, flagged) = redact_and_condense(
                    job.query.clone(),
                    out.text,
                    out.objects,
                    self.config.limits,
                )
                .await;
                self.suspicious_lines += flagged.len();
                flagged_lines = flagged;
                (full, condensed, None, objects)
            }
            Ok(Err(err)) => (
                String::new(),
                String::new(),
                Some((redact::redact(&err.message), err.class)),
                Vec::new(),
            ),
            Err(_) => (
                String::new(),
                String::new(),
                Some((
                    format!("the query did not finish within {} s", timeout.as_secs()),
                    ErrorClass::Timeout,
                )),
                Vec::new(),
            ),
        };
        let (error, error_class) = match error {
            Some((e, c)) => (Some(e), Some(c)),
            None => (None, None),
        };
        let whole = redact::untrusted::without_notice(&output).to_string();
        self.finished(Execution {
            id: job.id.clone(),
            command: job.command.clone(),
            output,
            condensed: condensed.clone(),
            duration_ms: elapsed_ms(started),
            error: error.clone(),
            error_class,
            objects: objects.clone(),
            flagged_lines,
        });
        if error.is_none() {
            self.history
                .record(job.id.clone(), job.query.clone(), condensed.clone());
        }
        work.outcomes.insert(
            job.call_id,
            Outcome::Executed {
                command: job.command,
                condensed,
                output: whole,
                error,
                objects,
            },
        );
        Flow::Continue
    }

    /// Proposals identical to an earlier one in the same step get its outcome.
    fn settle_echoes(&mut self, work: &mut StepWork) {
        for (call_id, earlier) in std::mem::take(&mut work.echoes) {
            let outcome = match work.outcomes.get(&earlier) {
                Some(Outcome::Executed {
                    command, condensed, ..
                }) => Outcome::Duplicate {
                    command: command.clone(),
                    condensed: condensed.clone(),
                },
                Some(other) => other.clone(),
                None => Outcome::Rejected {
                    command: String::new(),
                    reason: Some("not run".into()),
                },
            };
            work.outcomes.insert(call_id, outcome);
        }
    }

    fn cite(&self, evidence: Vec<Evidence>) -> Vec<Evidence> {
        evidence
            .into_iter()
            .map(|mut e| {
                self.cite_one(&mut e);
                e
            })
            .collect()
    }

    /// Translate the planner's call ids into proposal ids.
    fn cite_one(&self, e: &mut Evidence) {
        for x in &mut e.executions {
            if let Some(id) = self.call_ids.get(&x.0) {
                *x = id.clone();
            }
        }
    }

    fn cite_hypothesis(&self, h: Hypothesis) -> Hypothesis {
        Hypothesis {
            evidence_for: self.cite(h.evidence_for),
            evidence_against: self.cite(h.evidence_against),
            ..h
        }
    }

    fn cite_conclusion(&self, mut c: Conclusion) -> Conclusion {
        for e in c.items_mut() {
            self.cite_one(e);
        }
        for u in &mut c.unchecked {
            if let Some(id) = u.id.as_ref().and_then(|x| self.call_ids.get(&x.0)) {
                u.id = Some(id.clone());
            }
        }
        c
    }

    /// Verify the conclusion's evidence against the session's executions; the failures of
    /// this line of inquiry are what could not be checked.
    fn verify(&self, c: Conclusion) -> Conclusion {
        let book = verify::Book::new(&self.executions, &self.aliases);
        let from = self.inquiry_from.min(self.executions.len());
        verify::verify_with(&c, &book, self.executions[from..].iter().collect())
    }

    /// An inconclusive conclusion when every query of this line of inquiry failed because the
    /// cluster could not be used (unreachable, credentials refused, access forbidden).
    fn cluster_unusable(&self) -> Option<Conclusion> {
        let from = self.inquiry_from.min(self.executions.len());
        let ran = &self.executions[from..];
        let class = ran.first()?.failure()?;
        let blocking = matches!(
            class,
            ErrorClass::Unreachable | ErrorClass::Unauthorized | ErrorClass::Forbidden
        );
        if !blocking || !ran.iter().all(|x| x.failure() == Some(class)) {
            return None;
        }
        let server = &self.config.info.server;
        let context = &self.config.info.context;
        let what = match class {
            ErrorClass::Unreachable => format!(
                "klue could not reach the cluster's API server {server} (context {context}): \
                 nothing about the symptom could be checked"
            ),
            ErrorClass::Unauthorized => format!(
                "the API server {server} did not accept the credentials of context {context}: \
                 nothing about the symptom could be checked"
            ),
            _ => format!(
                "the credentials of context {context} are forbidden to read what the \
                 investigation needs on {server}: nothing about the symptom could be checked"
            ),
        };
        let next = match class {
            ErrorClass::Unreachable => {
                "Check the kubeconfig's server address, the network or VPN, and that the \
                 cluster is up (`klue query version`), or pick another context with --context."
            }
            ErrorClass::Unauthorized => {
                "Refresh the credentials (log in again, renew the token or certificate) and retry."
            }
            _ => {
                "Ask for read access (a Role or ClusterRole with get/list on pods, events and \
                 workloads, bound to this user), or use another context; \
                 `klue query 'auth can-i list pods'` shows what this user may do."
            }
        };
        Some(Conclusion::inconclusive(what).note(next))
    }

    /// An execution finished: show it, and keep it for verifying the evidence that cites it.
    fn finished(&mut self, x: Execution) {
        self.io.emit(Event::ExecFinished(x.clone()));
        // the requests this execution sent, right after it
        self.io.api_calls(self.runner.as_ref(), Some(x.id.clone()));
        self.executions.push(x);
    }

    /// Run the engineer's own queries: the same policy as any proposal, no approval needed
    /// (the engineer asked), recorded, and their results join what the planner has observed.
    async fn run_own_queries(&mut self, mut step: Option<&mut StepWork>) -> Flow {
        let in_step = step.is_some();
        for command in std::mem::take(&mut self.io.queued_own) {
            let command = command.trim().trim_start_matches(':').trim().to_string();
            if command.is_empty() {
                continue;
            }
            let id = self.new_id();
            self.io.emit(Event::Proposed(Proposal {
                id: id.clone(),
                command: command.clone(),
                reason: OWN_QUERY_REASON.into(),
                hypothesis: String::new(),
                origin: ProposalOrigin::Engineer,
            }));
            let query = match query::parse(&command) {
                Ok(q) => q,
                Err(refusal) => {
                    self.io.emit(Event::Refused {
                        id,
                        command,
                        why: refusal.reason,
                    });
                    continue;
                }
            };
            self.io.emit(Event::Decided {
                id: id.clone(),
                decision: Decision::Approve,
                by: Decider::User,
            });
            // In a step, ops arriving while it runs (decisions) go to that step's work.
            let mut local = StepWork::default();
            let work = step.as_deref_mut().unwrap_or(&mut local);
            let job = Pending {
                id: id.clone(),
                call_id: id.0.clone(),
                command,
                query,
            };
            let flow = self.execute(work, job).await;
            if let Some(outcome) = work.outcomes.remove(&id.0) {
                let entry = TranscriptEntry::Own {
                    call_id: id.0.clone(),
                    outcome,
                };
                if in_step {
                    self.deferred_own.push(entry);
                } else {
                    self.transcript.entries.push(entry);
                }
            }
            match flow {
                Flow::Ended => return Flow::Ended,
                Flow::Idle => {
                    self.io.queued_own.clear();
                    return Flow::Idle;
                }
                Flow::Continue => {}
            }
        }
        Flow::Continue
    }
}

/// What an op that arrived while the planner was busy asks for.
enum Busy {
    Ended,
    Cancelled,
    Going,
}

enum Called {
    Step(Step),
    Cancelled,
    Failed(String, FaultClass),
    Ended,
}

/// Redact the full output and the objects, and condense the model's copy, off the async
/// threads (tokenizing a large output takes a while). The objects go to planners too (the
/// offline planner reads them), so they are redacted like the text. Lines that read as
/// instructions to an AI assistant are noted above the full output and flagged (their line
/// numbers in the full output, after that notice, are returned).
async fn redact_and_condense(
    query: Query,
    text: String,
    mut objects: Vec<serde_json::Value>,
    limits: condense::Limits,
) -> (String, String, Vec<serde_json::Value>, Vec<u32>) {
    let work = move || {
        let mut full = redact::redact(&text);
        let condensed = condense::condense_query(&query, &full, &limits);
        objects.iter_mut().for_each(redact::redact_value);
        let suspicious = redact::untrusted::suspicious_lines(&full);
        // the engineer's copy says it; the model's copy is fenced and flagged where it is
        // sent (planner/llm)
        let mut shift = 0;
        if let Some(notice) = redact::untrusted::notice(&suspicious) {
            shift = notice.lines().count();
            full = format!("{notice}{full}");
        }
        let flagged = suspicious
            .iter()
            .filter_map(|(no, _)| u32::try_from(no - 1 + shift).ok())
            .collect();
        (full, condensed, objects, flagged)
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done,
        Err(err) => {
            tracing::error!(%err, "preparing an output failed");
            (
                String::new(),
                "[klue could not prepare this output]".to_string(),
                Vec::new(),
                Vec::new(),
            )
        }
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
