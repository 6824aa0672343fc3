//! The typed protocol between klue's headless core and its front ends (TUI, `ask`, replay).
//!
//! Front ends submit [`Op`]s; the core emits [`Event`]s. Approvals are data: the core emits
//! [`Event::Proposed`] with a [`ProposalId`], and a front end answers with
//! [`Op::Decide`] for that id. The recording of a session is this stream, one JSON object
//! per line (see `record`).

use serde::{Deserialize, Serialize};

mod end;
mod fault;
pub mod log;
mod sink;

pub use end::EndReason;
pub use fault::FaultClass;
pub use log::{ProposalLog, ProposalRecord, Stage};
pub use sink::EventSink;
mod conclusion;

pub use conclusion::{
    Conclusion, ErrorClass, Evidence, Problem, Row, RowKind, Unchecked, Verdict, Verification,
    quotes, shorten,
};

/// Identifies one proposed query within a session ("p1", "p2", ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProposalId(pub String);

impl std::fmt::Display for ProposalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Identifies a hypothesis within a session ("h1", "h2", ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HypothesisId(pub String);

impl std::fmt::Display for HypothesisId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Front end → core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// The engineer says something (the symptom, or a follow-up).
    UserMessage { text: String },
    /// The engineer's answer to a proposal.
    Decide { id: ProposalId, decision: Decision },
    /// Approve this proposal, and every later proposal of the same query shape (same verb,
    /// kinds, scope and flags; names may differ) for the rest of the session.
    ApproveShape { id: ProposalId },
    /// The engineer's own query (typed as `:get pods -n shop`): it goes through the same
    /// read-only policy, is recorded like any other, and its result joins what the planner
    /// has observed. It needs no approval (the engineer asked for it).
    RunQuery { command: String },
    /// Cancel the running turn (model call or queries); the session goes on.
    Cancel,
    /// End the session, saying why (recordings written before the reason read as the
    /// engineer's).
    End {
        #[serde(default)]
        reason: EndReason,
    },
}

/// What the engineer (or an approval policy) decided about a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    Approve,
    /// Approve, but run this edited command instead (it goes through the policy again).
    ApproveEdited {
        command: String,
    },
    Reject {
        reason: Option<String>,
    },
}

/// Who made a decision: a person, or an approval policy (`--approve all-read-only`,
/// "approve this query shape for the rest of the session").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decider {
    User,
    /// The engineer approved this query and every later one of its shape
    /// ([`Op::ApproveShape`]); `klue resume` restores the shape approval from it.
    UserShape {
        shape: String,
    },
    Policy {
        rule: String,
    },
    /// Answered from an identical query already run in this session.
    Dedup {
        earlier: ProposalId,
    },
}

/// The `reason` shown for a query the engineer typed themselves (`Op::RunQuery`). Only the
/// text on screen: what a proposal is, is its [`ProposalOrigin`] (recordings written before
/// the origin existed are read by this reason).
pub const OWN_QUERY_REASON: &str = "the engineer's own query";

/// Who asked for a query (or took a planner step).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalOrigin {
    /// The session's planner (the model, or klue's offline rules when they drive the session).
    #[default]
    Planner,
    /// The engineer typed it (`:get pods -n shop`): no planner step asked for it.
    Engineer,
    /// klue's offline planner, taking a step on behalf of the model (the grounded LLM
    /// planner: a useless or failing model turn, or klue's own checks before a model's
    /// conclusion).
    OfflineStep,
}

impl ProposalOrigin {
    pub fn is_planner(&self) -> bool {
        *self == ProposalOrigin::Planner
    }
}

/// A read-only query the planner (or the engineer) wants to run, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ProposalRepr")]
pub struct Proposal {
    pub id: ProposalId,
    /// kubectl-style command line, e.g. `get pods -n shop`.
    pub command: String,
    /// Why this query, in one sentence.
    pub reason: String,
    /// The hypothesis it tests (free text; may name a hypothesis id).
    pub hypothesis: String,
    /// Who asked for it.
    #[serde(default, skip_serializing_if = "ProposalOrigin::is_planner")]
    pub origin: ProposalOrigin,
}

/// A [`Proposal`] as recorded, with or without its origin.
#[derive(Deserialize)]
struct ProposalRepr {
    id: ProposalId,
    command: String,
    reason: String,
    hypothesis: String,
    #[serde(default)]
    origin: Option<ProposalOrigin>,
}

impl From<ProposalRepr> for Proposal {
    fn from(p: ProposalRepr) -> Self {
        // Recordings of older versions marked the engineer's own queries by their reason.
        let origin = p.origin.unwrap_or(if p.reason == OWN_QUERY_REASON {
            ProposalOrigin::Engineer
        } else {
            ProposalOrigin::Planner
        });
        Proposal {
            id: p.id,
            command: p.command,
            reason: p.reason,
            hypothesis: p.hypothesis,
            origin,
        }
    }
}

/// State of a hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HypothesisStatus {
    Open,
    Supported,
    Refuted,
    Confirmed,
}

impl HypothesisStatus {
    /// The word every front end shows: `open`, `supported`, `refuted`, `confirmed`.
    pub fn word(self) -> &'static str {
        match self {
            HypothesisStatus::Open => "open",
            HypothesisStatus::Supported => "supported",
            HypothesisStatus::Refuted => "refuted",
            HypothesisStatus::Confirmed => "confirmed",
        }
    }
}

/// A hypothesis with its evidence; evidence items cite executions by proposal id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hypothesis {
    pub id: HypothesisId,
    pub statement: String,
    pub status: HypothesisStatus,
    #[serde(default)]
    pub evidence_for: Vec<Evidence>,
    #[serde(default)]
    pub evidence_against: Vec<Evidence>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    /// The word every front end shows: `low`, `medium`, `high`.
    pub fn word(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// One step lower (low stays low).
    pub fn lower(self) -> Confidence {
        match self {
            Confidence::High => Confidence::Medium,
            _ => Confidence::Low,
        }
    }
}

/// Token accounting for one model call (and the running session total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub session_total: u64,
}

/// What a session has used of its budget so far (planner turns, queries run, model tokens).
/// Emitted whenever it grows, so a recording ends with the session's totals and `klue
/// resume` goes on from them instead of from zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spent {
    pub turns: u32,
    pub queries: u32,
    pub tokens: u64,
    /// The budget these count against (absent in recordings of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<Budget>,
}

/// Limits per session. When one is reached the planner is asked once to conclude with what it
/// has; if it still does not, the session reports an error and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Planner calls (model round trips) in the whole session.
    pub max_turns: u32,
    /// Queries executed in the whole session (duplicates answered from history are free).
    pub max_queries: u32,
    /// Model tokens (prompt and completion) in the whole session; None: no cap.
    pub max_tokens: Option<u64>,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            max_turns: 25,
            max_queries: 40,
            max_tokens: None,
        }
    }
}

/// Which planner drives an investigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlannerKind {
    /// A model behind an OpenAI-compatible endpoint.
    Llm,
    /// klue's own rules.
    Offline,
}

impl PlannerKind {
    /// `llm` or `offline`, as `--planner` takes it.
    pub fn name(self) -> &'static str {
        match self {
            PlannerKind::Llm => "llm",
            PlannerKind::Offline => "offline",
        }
    }
}

impl std::fmt::Display for PlannerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for PlannerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "llm" => Ok(PlannerKind::Llm),
            "offline" => Ok(PlannerKind::Offline),
            other => Err(format!(
                "unknown planner `{other}`: expected `llm` or `offline`"
            )),
        }
    }
}

/// Which planner drives the session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannerInfo {
    pub kind: PlannerKind,
    /// The model name, for an LLM planner.
    pub model: Option<String>,
    /// The endpoint, for an LLM planner (never with credentials).
    pub endpoint: Option<String>,
}

/// Where a session's queries run: a kube context, or a snapshot.
///
/// In a recording a context is its name (a string) and a snapshot is `{"snapshot": PATH}`;
/// recordings of older versions wrote a snapshot as the string `snapshot:PATH`, which reads
/// as a snapshot too.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A kubeconfig context, by name.
    Context(String),
    /// A snapshot file captured with `klue snapshot`.
    Snapshot(String),
    /// The snapshot bundled with klue (`klue demo`).
    Demo,
}

impl Target {
    /// The context name, on a live cluster.
    pub fn context(&self) -> Option<&str> {
        match self {
            Target::Context(c) => Some(c),
            _ => None,
        }
    }

    /// The snapshot file, on a snapshot.
    pub fn snapshot(&self) -> Option<&str> {
        match self {
            Target::Snapshot(p) => Some(p),
            _ => None,
        }
    }
}

/// A context name.
impl From<&str> for Target {
    fn from(name: &str) -> Self {
        Target::Context(name.to_string())
    }
}

/// A context name.
impl From<String> for Target {
    fn from(name: String) -> Self {
        Target::Context(name)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Context(c) => f.write_str(c),
            Target::Snapshot(p) => write!(f, "snapshot {p}"),
            Target::Demo => f.write_str("the bundled demo snapshot"),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum TargetRepr {
    Context(String),
    Snapshot { snapshot: String },
    Demo { demo: bool },
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Target::Context(c) => TargetRepr::Context(c.clone()),
            Target::Snapshot(p) => TargetRepr::Snapshot {
                snapshot: p.clone(),
            },
            Target::Demo => TargetRepr::Demo { demo: true },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match TargetRepr::deserialize(d)? {
            TargetRepr::Context(c) => match c.strip_prefix("snapshot:") {
                Some(origin) if origin.starts_with("bundled demo") => Target::Demo,
                Some(path) => Target::Snapshot(path.trim().to_string()),
                None => Target::Context(c),
            },
            TargetRepr::Snapshot { snapshot } => Target::Snapshot(snapshot),
            TargetRepr::Demo { .. } => Target::Demo,
        })
    }
}

/// Facts about the session, sent once at start (and written as the recording header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub session_id: String,
    /// Where the queries run.
    pub context: Target,
    pub namespace: Option<String>,
    /// API server URL (no credentials), or the snapshot path.
    pub server: String,
    pub planner: PlannerInfo,
    /// Where the recording is written, if anywhere.
    pub recording: Option<String>,
}

/// What the background connection check found (a front end shows it; the first frame does
/// not wait for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Connection {
    /// The check has started.
    Checking,
    /// The server answered.
    Connected {
        /// `v1.20.2`; empty for a snapshot.
        version: String,
        /// How many resource types it serves.
        resources: usize,
        /// Whether discovery came from the disk cache.
        cached: bool,
    },
    /// It did not, and why.
    Unreachable { detail: String },
}

/// The result of running one approved query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    pub id: ProposalId,
    /// The command actually run (after an edit, if any).
    pub command: String,
    /// The full output the human sees (redacted, bounded).
    pub output: String,
    /// The condensed copy the model sees.
    pub condensed: String,
    pub duration_ms: u64,
    /// A specific error message (NotFound, Forbidden, ...), if the query failed.
    pub error: Option<String>,
    /// The class of that error (recordings without it: see [`Execution::failure`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_class: Option<ErrorClass>,
    /// The structured objects the query returned (redacted like the text). Planners that read
    /// objects (the offline planner) get them back from a recording on `klue resume`; no
    /// model ever sees them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<serde_json::Value>,
    /// The (0-based) lines of `output` that read as instructions to an AI assistant: cluster
    /// data the front end flags on screen (never followed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flagged_lines: Vec<u32>,
}

impl Execution {
    /// The error's class, if the query failed (from the message for older recordings).
    pub fn failure(&self) -> Option<ErrorClass> {
        self.error.as_ref().map(|e| {
            self.error_class
                .unwrap_or_else(|| ErrorClass::of_message(e))
        })
    }

    /// The query answered: it succeeded, or the server said the object does not exist.
    pub fn answered(&self) -> bool {
        self.failure().is_none_or(ErrorClass::is_answer)
    }
}

/// Core → front end.
/// One request klue sent to the cluster (never its body or headers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCall {
    pub method: String,
    /// Path and query (long continue tokens shortened).
    pub path: String,
    /// HTTP status; `None` when no answer came (connection failure, timeout).
    pub status: Option<u16>,
    pub duration_ms: u64,
    /// Response body bytes.
    pub bytes: u64,
}

/// The requests sent since the previous batch (after each query, and at the end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCalls {
    /// The execution they were sent for, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ProposalId>,
    pub calls: Vec<ApiCall>,
    /// Calls sent but not kept (over the log's bound); counted so the total stays true.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    SessionStarted(SessionInfo),
    /// Echo of what the engineer said, so every front end (and the recording) has it.
    UserMessage {
        text: String,
    },
    /// A streamed piece of the model's reply.
    AssistantDelta {
        delta: String,
    },
    /// The model's complete reply for this step (deltas coalesced).
    AssistantMessage {
        text: String,
        /// Whose step it is: the planner's, or klue's offline planner's on behalf of the
        /// model (recordings of older versions: the planner's, unless the text carries the
        /// offline planner's mark).
        #[serde(default, skip_serializing_if = "ProposalOrigin::is_planner")]
        origin: ProposalOrigin,
    },
    Proposed(Proposal),
    /// The policy refused a proposal (model's or engineer's edit); never executed.
    Refused {
        id: ProposalId,
        command: String,
        why: String,
    },
    /// A decision was taken on a proposal, by whom.
    Decided {
        id: ProposalId,
        decision: Decision,
        by: Decider,
    },
    ExecStarted {
        id: ProposalId,
        command: String,
    },
    ExecFinished(Execution),
    /// The requests klue sent to the cluster (method, path, status, duration, bytes).
    ApiCalls(ApiCalls),
    /// A hypothesis was added or updated.
    Hypothesis(Hypothesis),
    Concluded(Conclusion),
    Usage(Usage),
    /// The budget used so far (after each planner turn and each query).
    Spent(Spent),
    /// Something klue did on its own that the engineer should know about, said once: a
    /// capability fallback for the model server (no streaming, no tool calls), or a step
    /// taken by the offline planner instead of the model.
    Notice {
        text: String,
    },
    /// The core waits for the engineer (all proposals answered or none pending, no conclusion yet).
    AwaitingInput,
    /// The running turn was cancelled.
    Cancelled,
    /// A failure, with its class: the planner's (the model server's among them), the budget's,
    /// or an operation the session could not take.
    Error {
        message: String,
        /// What kind of failure it is (recordings made before classes read as `planner`).
        #[serde(default)]
        class: FaultClass,
    },
    /// The outcome of the connection check that runs while the screen is already up.
    Connection(Connection),
    SessionEnded {
        reason: EndReason,
    },
}
