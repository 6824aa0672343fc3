//! A scripted planner: klue's planner interface answered by test code, step by step.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use klue::planner::{Action, DeltaSink, Planner, PlannerError, Step, Transcript};
use klue::protocol::{
    Conclusion, Confidence, Evidence, Hypothesis, HypothesisId, HypothesisStatus, PlannerInfo,
    PlannerKind, Problem, Usage,
};

type StepFn = Box<dyn FnMut(&Transcript, &DeltaSink) -> Result<Option<Step>, PlannerError> + Send>;

/// Answers each call with the next scripted step and keeps every transcript it was given.
pub struct Script {
    steps: VecDeque<StepFn>,
    seen: Arc<Mutex<Vec<Transcript>>>,
}

impl Script {
    pub fn new(steps: Vec<StepFn>) -> Self {
        Script {
            steps: steps.into(),
            seen: Arc::default(),
        }
    }

    /// The transcripts the planner received, one per call.
    pub fn transcripts(&self) -> Arc<Mutex<Vec<Transcript>>> {
        self.seen.clone()
    }
}

#[async_trait::async_trait]
impl Planner for Script {
    fn info(&self) -> PlannerInfo {
        PlannerInfo {
            kind: PlannerKind::Llm,
            model: Some("scripted".into()),
            endpoint: None,
        }
    }

    async fn next(
        &mut self,
        transcript: &Transcript,
        deltas: &DeltaSink,
    ) -> Result<Step, PlannerError> {
        self.seen.lock().expect("lock").push(transcript.clone());
        let Some(mut f) = self.steps.pop_front() else {
            return Err(PlannerError::Other("the script has no more steps".into()));
        };
        match f(transcript, deltas)? {
            Some(step) => Ok(step),
            // A step that never answers (until cancelled).
            None => std::future::pending().await,
        }
    }
}

/// A step computed from the transcript (assertions on what the planner sees go here).
pub fn step(
    mut f: impl FnMut(&Transcript) -> (&'static str, Vec<Action>) + Send + 'static,
) -> StepFn {
    Box::new(move |t, deltas| {
        let (text, actions) = f(t);
        for word in text.split_inclusive(' ') {
            let _ = deltas.send(word.to_string());
        }
        Ok(Some(Step {
            text: text.to_string(),
            actions,
            usage: Some(Usage {
                prompt_tokens: 100,
                completion_tokens: 50,
                session_total: 0,
            }),
            origin: Default::default(),
        }))
    })
}

/// A step that streams `delta` and then never finishes.
pub fn hang(delta: &'static str) -> StepFn {
    Box::new(move |_, deltas| {
        let _ = deltas.send(delta.to_string());
        Ok(None)
    })
}

/// A step that fails.
pub fn fail(message: &'static str) -> StepFn {
    Box::new(move |_, _| Err(PlannerError::Other(message.to_string())))
}

pub fn propose(call_id: &str, command: &str) -> Action {
    Action::Propose {
        call_id: call_id.into(),
        command: command.into(),
        reason: format!("reason for {call_id}"),
        hypothesis: "h1".into(),
    }
}

pub fn hypothesis(id: &str, statement: &str) -> Action {
    Action::Hypothesis(Hypothesis {
        id: HypothesisId(id.into()),
        statement: statement.into(),
        status: HypothesisStatus::Open,
        evidence_for: vec![],
        evidence_against: vec![],
    })
}

/// A conclusion; evidence cites the planner's call ids.
pub fn conclude(root_cause: &str, evidence: &[(&str, &[&str])]) -> Action {
    let mut problem = Problem::new(root_cause).remediation("fix it by hand");
    problem.evidence = evidence
        .iter()
        .map(|(text, calls)| Evidence::new(*text, calls.iter().copied()))
        .collect();
    Action::Conclude(Conclusion::diagnosed(vec![problem], Confidence::High))
}
