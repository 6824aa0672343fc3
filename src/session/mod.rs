//! The session loop: the headless core that drives an investigation.
//!
//! A front end (TUI, `klue ask`, a test) starts a session with [`spawn`] and talks to it only
//! through the [`protocol`](crate::protocol): it sends [`Op`]s on [`SessionHandle::ops`] and
//! reads [`Event`]s from [`SessionHandle::events`]. The session runs in its own tokio task and
//! never touches a terminal.
//!
//! One turn of the loop:
//! 1. [`Op::UserMessage`] → echoed as [`Event::UserMessage`] (redacted) and added to the
//!    transcript.
//! 2. The planner is called; its streamed text arrives as [`Event::AssistantDelta`], then the
//!    whole reply as [`Event::AssistantMessage`], then [`Event::Usage`] with the running total.
//! 3. Each proposed command goes through the read-only policy ([`crate::query::parse`]):
//!    refused → [`Event::Refused`] and the refusal is returned to the planner, never executed.
//!    A command identical to one already run is answered from the earlier result
//!    ([`Decider::Dedup`](crate::protocol::Decider::Dedup)). Otherwise [`Event::Proposed`],
//!    then a decision: from the [`ApprovalPolicy`], a shape approved earlier
//!    ([`Op::ApproveShape`], by [`Query::shape`](crate::query::Query::shape)), or the engineer's [`Op::Decide`].
//! 4. Approved queries run: [`Event::ExecStarted`], [`Event::ExecFinished`] with the full
//!    output (redacted) and the condensed copy the planner gets (redacted, token-capped).
//!    Declined ones go back to the planner as a structured rejection.
//! 5. Hypotheses become [`Event::Hypothesis`]; a conclusion becomes [`Event::Concluded`]
//!    (evidence cites proposal ids), after which the session emits [`Event::AwaitingInput`]:
//!    the engineer may keep investigating or send [`Op::End`].
//!
//! [`Op::Cancel`] stops the running model call or query at once ([`Event::Cancelled`]); the
//! session goes on and waits for input. Planner errors become [`Event::Error`] and the session
//! goes on. The [`Budget`](crate::protocol::Budget) bounds planner calls and queries per session.
//!
//! Every event also goes, in order, to the [`EventSink`]s of the [`SessionConfig`] (the
//! recorder is one).

mod config;
mod engine;
mod history;
mod resume;
mod runner;
pub mod verify;

pub use crate::protocol::EventSink;
pub use config::{ApprovalPolicy, SessionConfig};
pub use resume::replayable;
pub use runner::{QueryRunner, RunError};
pub use verify::verify_conclusion;

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::planner::Planner;
use crate::protocol::{Event, Op};

/// A running session: send [`Op`]s, read [`Event`]s. Dropping `ops` (or sending
/// [`Op::End`]) ends the session; `events` then yields [`Event::SessionEnded`] and closes.
#[derive(Debug)]
pub struct SessionHandle {
    pub ops: mpsc::UnboundedSender<Op>,
    pub events: mpsc::UnboundedReceiver<Event>,
    /// The session task; it finishes after [`Event::SessionEnded`].
    pub task: tokio::task::JoinHandle<()>,
}

/// Start a session on the current tokio runtime. The first event is
/// [`Event::SessionStarted`], then [`Event::AwaitingInput`] until the first
/// [`Op::UserMessage`].
pub fn spawn(
    planner: Box<dyn Planner>,
    runner: Arc<dyn QueryRunner>,
    config: SessionConfig,
) -> SessionHandle {
    let (ops_tx, ops_rx) = mpsc::unbounded_channel();
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let engine = engine::Engine::new(planner, runner, config, ops_rx, events_tx);
    let task = tokio::spawn(engine.run());
    SessionHandle {
        ops: ops_tx,
        events: events_rx,
        task,
    }
}
