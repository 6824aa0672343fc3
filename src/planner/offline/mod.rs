//! The offline planner: klue's rules instead of a model.
//!
//! symptom → scope (the namespace named, else the session's) → survey (pods, events,
//! workloads there) → the subject (the workload the symptom names; widened to other
//! namespaces, saying so, when it is not in scope) → findings (klue's analyzers over what was
//! observed) → a causal chain per finding, each link a hypothesis tested by one more
//! read-only query → a conclusion: a verdict about the subject, the problems with their
//! chains, what else was noticed, what was checked and what could not be.
//! Deterministic: the same transcript always gives the same step.

pub(crate) mod chain;
mod flow;
pub(crate) mod observe;
mod rank;
mod report;
mod scope;
mod subject;
pub(crate) mod symptom;

use crate::planner::{Action, DeltaSink, Planner, PlannerError, Step, Transcript};
use crate::protocol::PlannerInfo;

/// The symptom `klue demo` starts with when it runs headless.
pub const DEMO_SYMPTOM: &str =
    "the shop is broken since 14:00: checkout fails, the cart is empty, payments never come up";

/// The rule-based planner.
#[derive(Debug, Clone, Default)]
pub struct OfflinePlanner;

impl OfflinePlanner {
    pub fn new() -> Self {
        Self
    }
}

#[async_trait::async_trait]
impl Planner for OfflinePlanner {
    fn info(&self) -> PlannerInfo {
        PlannerInfo {
            kind: crate::protocol::PlannerKind::Offline,
            model: None,
            endpoint: None,
        }
    }

    async fn next(
        &mut self,
        transcript: &Transcript,
        deltas: &DeltaSink,
    ) -> Result<Step, PlannerError> {
        let step = plan(transcript);
        if !step.text.is_empty() {
            let _ = deltas.send(step.text.clone());
        }
        Ok(step)
    }
}

/// A query to propose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ask {
    pub command: String,
    pub reason: String,
    pub hypothesis: String,
}

/// Decide the next step from the transcript alone.
pub fn plan(t: &Transcript) -> Step {
    flow::plan(t)
}

/// Conclude from the transcript as it stands, asking for nothing more (see [`flow::settle`]).
pub fn settle(t: &Transcript) -> Step {
    flow::settle(t)
}

pub(crate) fn propose(text: String, asks: Vec<Ask>, call: &dyn Fn(usize) -> String) -> Step {
    Step {
        text,
        actions: asks
            .into_iter()
            .enumerate()
            .map(|(i, a)| Action::Propose {
                call_id: call(i),
                command: a.command,
                reason: a.reason,
                hypothesis: a.hypothesis,
            })
            .collect(),
        usage: None,
        origin: Default::default(),
    }
}

#[cfg(test)]
mod tests;
