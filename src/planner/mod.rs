//! Planners decide what to ask next: an LLM over an OpenAI-compatible API, or the offline
//! rule-based planner. Both see the same [`Transcript`] and return the same [`Step`].

pub mod grounded;
pub mod llm;
pub mod offline;

use crate::protocol::{Conclusion, Hypothesis, PlannerInfo, ProposalOrigin, Usage};

/// What the session tells the planner when its budget (turns, queries or tokens) is used up,
/// once per session: the planner's next step must conclude.
pub const CONCLUDE_NOW: &str = "[klue] The investigation budget of this session is used up. \
Do not propose more queries: conclude now with the evidence gathered so far, \
stating your confidence honestly.";

/// One thing in the conversation so far, in a planner-neutral form.
#[derive(Debug, Clone, PartialEq)]
pub enum TranscriptEntry {
    /// The engineer's words.
    User { text: String },
    /// What the planner said and did in one step, and whose step it was (the planner's, or
    /// klue's offline planner's on behalf of a model).
    Assistant {
        text: String,
        actions: Vec<Action>,
        origin: ProposalOrigin,
    },
    /// The outcome of one proposed query, answered to the planner's `call_id`.
    Result { call_id: String, outcome: Outcome },
    /// A query the engineer ran themselves (`:get pods`): no planner asked for it, but its
    /// result is evidence like any other (cite it by `call_id`, the execution id).
    Own { call_id: String, outcome: Outcome },
}

/// What became of a proposal.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Run; `condensed` is the model's copy; `output` the whole redacted output and `objects`
    /// the structured data, which klue's own checks read (never sent to a model: a model's
    /// small copy must not change what klue's checks see).
    Executed {
        command: String,
        condensed: String,
        output: String,
        error: Option<String>,
        objects: Vec<serde_json::Value>,
    },
    /// The policy refused the command.
    Refused { command: String, why: String },
    /// The engineer declined it.
    Rejected {
        command: String,
        reason: Option<String>,
    },
    /// Identical to an earlier query: answered from its result.
    Duplicate { command: String, condensed: String },
}

/// Something the planner wants done.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Propose {
        call_id: String,
        command: String,
        reason: String,
        hypothesis: String,
    },
    Hypothesis(Hypothesis),
    Conclude(Conclusion),
}

/// The conversation so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    pub entries: Vec<TranscriptEntry>,
    /// Analyzer findings known before the investigation (hints), as text.
    pub hints: Vec<String>,
    /// The session's namespace (`-n`, else the kube context's): the scope of the
    /// investigation unless the engineer names another.
    pub namespace: Option<String>,
}

/// A planner's answer for one step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Step {
    pub text: String,
    pub actions: Vec<Action>,
    pub usage: Option<Usage>,
    /// Whose step it is: [`ProposalOrigin::OfflineStep`] when klue's offline planner took it
    /// on behalf of a model; its proposals carry the same origin.
    pub origin: ProposalOrigin,
}

/// Errors a planner reports; messages are specific and user-facing.
#[derive(Debug, thiserror::Error)]
pub enum PlannerError {
    /// The model or its server failed; the variant says how (unreachable, key refused,
    /// context too long, unusable replies, ...), so a front end can tell the class.
    #[error(transparent)]
    Llm(#[from] llm::LlmError),
    /// Anything else a planner cannot go on from.
    #[error("{0}")]
    Other(String),
}

impl PlannerError {
    /// The class of this failure, for [`Event::Error`](crate::protocol::Event::Error).
    pub fn class(&self) -> crate::protocol::FaultClass {
        match self {
            PlannerError::Llm(e) => e.class(),
            PlannerError::Other(_) => crate::protocol::FaultClass::Planner,
        }
    }
}

/// Streamed text pieces go here as they arrive.
pub type DeltaSink = tokio::sync::mpsc::UnboundedSender<String>;

#[async_trait::async_trait]
pub trait Planner: Send {
    fn info(&self) -> PlannerInfo;
    /// Decide the next step given everything so far. Text deltas go to `deltas` as they stream.
    async fn next(
        &mut self,
        transcript: &Transcript,
        deltas: &DeltaSink,
    ) -> Result<Step, PlannerError>;

    /// What the planner adapted since it was last asked (a capability fallback for the model
    /// server, a step taken by the offline planner), to be said aloud once as
    /// [`Event::Notice`](crate::protocol::Event::Notice). Most planners have none.
    fn take_notices(&mut self) -> Vec<String> {
        Vec::new()
    }
}
