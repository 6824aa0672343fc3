//! How a session behaves: budget, approval policy, condensing limits, where events go.

use crate::condense::Limits;
use crate::protocol::SessionInfo;

use crate::protocol::EventSink;

use crate::protocol::Budget;

/// Who approves proposals that pass the read-only policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApprovalPolicy {
    /// Wait for an [`Op::Decide`](crate::protocol::Op::Decide) (or
    /// [`Op::ApproveShape`](crate::protocol::Op::ApproveShape)) for each proposal.
    #[default]
    Ask,
    /// Approve every proposal the policy allows (all of them are read-only), recorded as
    /// `Decided { by: Policy { rule: "all-read-only" } }`.
    AllReadOnly,
    /// Run nothing: every proposal is declined by policy (`rule: "none"`), so the planner
    /// learns it will not get results. Front ends use it to only show proposals.
    None,
}

impl ApprovalPolicy {
    /// Every policy, in the order help texts list them.
    pub const ALL: [ApprovalPolicy; 3] = [
        ApprovalPolicy::Ask,
        ApprovalPolicy::AllReadOnly,
        ApprovalPolicy::None,
    ];

    /// The rule name used in [`Decider::Policy`](crate::protocol::Decider::Policy), and the
    /// value of `--approve`.
    pub fn rule(self) -> &'static str {
        match self {
            ApprovalPolicy::Ask => "ask",
            ApprovalPolicy::AllReadOnly => "all-read-only",
            ApprovalPolicy::None => "none",
        }
    }
}

impl std::fmt::Display for ApprovalPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.rule())
    }
}

impl std::str::FromStr for ApprovalPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        ApprovalPolicy::ALL
            .into_iter()
            .find(|p| p.rule() == s)
            .ok_or_else(|| {
                format!("unknown approval policy `{s}`: expected `ask`, `all-read-only` or `none`")
            })
    }
}

impl From<&crate::config::BudgetSettings> for Budget {
    fn from(b: &crate::config::BudgetSettings) -> Self {
        Budget {
            max_turns: b.max_turns,
            max_queries: b.max_queries,
            max_tokens: b.max_tokens,
        }
    }
}

impl From<&crate::config::BudgetSettings> for Limits {
    fn from(b: &crate::config::BudgetSettings) -> Self {
        Limits {
            per_output: b.output_tokens,
        }
    }
}

/// Everything [`spawn`](super::spawn) needs besides the planner and the query runner.
pub struct SessionConfig {
    /// Sent as [`Event::SessionStarted`](crate::protocol::Event::SessionStarted); its
    /// `planner` field is overwritten with the planner's own [`info`](crate::planner::Planner::info).
    pub info: SessionInfo,
    pub budget: Budget,
    pub approval: ApprovalPolicy,
    /// The token cap of one condensed output (the model's whole request is fitted to its
    /// context window by the model's planner, which alone has one).
    pub limits: Limits,
    /// Analyzer findings given to the planner as hints before the investigation.
    pub hints: Vec<String>,
    /// Analyzer findings still being gathered when the session starts (a fetch from the
    /// cluster in the background, so nothing networked holds up a front end's first frame):
    /// awaited before the planner's first call and added to `hints`.
    pub pending_hints: Option<tokio::task::JoinHandle<Vec<String>>>,
    /// Longest a single query may run before it fails with a timeout.
    pub query_timeout: std::time::Duration,
    /// Extra consumers of every event, in order (the recorder is one). They see exactly what
    /// the front end sees, already redacted.
    pub sinks: Vec<Box<dyn EventSink>>,
    /// The events of an earlier session this one continues (`klue resume`): the planner's
    /// transcript is rebuilt from them, their successful queries answer identical proposals,
    /// proposal ids continue after theirs, and they are emitted again (to the front end and
    /// the sinks) right after [`Event::SessionStarted`](crate::protocol::Event::SessionStarted).
    pub earlier: Vec<crate::protocol::Event>,
}

impl SessionConfig {
    /// Apply the config file's `[budget]`: turns and queries of the session, and the token
    /// caps of what the model sees.
    pub fn apply_budget(&mut self, b: &crate::config::BudgetSettings) {
        self.budget = Budget::from(b);
        self.limits = Limits::from(b);
    }

    /// A configuration with defaults for everything but the session facts.
    pub fn new(info: SessionInfo) -> Self {
        Self {
            info,
            budget: Budget::default(),
            approval: ApprovalPolicy::default(),
            limits: Limits::default(),
            hints: Vec::new(),
            pending_hints: None,
            query_timeout: std::time::Duration::from_secs(60),
            sinks: Vec::new(),
            earlier: Vec::new(),
        }
    }
}

impl std::fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionConfig")
            .field("info", &self.info)
            .field("budget", &self.budget)
            .field("approval", &self.approval)
            .field("limits", &self.limits)
            .field("hints", &self.hints)
            .field("pending_hints", &self.pending_hints.is_some())
            .field("query_timeout", &self.query_timeout)
            .field("sinks", &self.sinks.len())
            .field("earlier", &self.earlier.len())
            .finish()
    }
}
