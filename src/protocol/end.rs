//! Why a session ended: one type for the core, every front end, the recording and the exit
//! code of `klue ask`.

use serde::{Deserialize, Serialize};

use super::{Conclusion, ErrorClass, Event, Execution, Verdict};

/// Why a session ended. Recorded as a snake_case word (`"no_conclusion"`); recordings written
/// before this type said it in words (`"ended by the engineer"`), which still read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The engineer quit (the TUI's `q`, `q` at an `ask` prompt, a second Ctrl-C).
    #[default]
    #[serde(alias = "ended by the engineer")]
    Engineer,
    /// The front end went away without ending the session.
    #[serde(alias = "the front end closed the session")]
    FrontEndClosed,
    /// The turn and query budget was used up before the planner concluded.
    #[serde(alias = "budget exhausted")]
    BudgetExhausted,
    /// A headless run reached a conclusion: diagnosed, or healthy.
    Concluded,
    /// A headless run concluded that the evidence did not settle it.
    Inconclusive,
    /// A headless run concluded inconclusive because the cluster could not be used at all
    /// (unreachable, credentials refused or access forbidden for every query).
    ClusterUnusable,
    /// A headless run finished without a conclusion (the planner asked a question or stopped,
    /// or no proposal was approved).
    NoConclusion,
    /// A headless run was cancelled before it concluded.
    Cancelled,
    /// A headless run stopped at an error.
    Error,
    /// The session stopped without saying why (a front end's own word; the core never
    /// records it).
    Stopped,
}

impl EndReason {
    /// Why a headless run (`klue ask`, the MCP `investigate` tool) is over once its planner is
    /// done: from its conclusion, else from what went wrong.
    pub fn headless(
        conclusion: Option<&Conclusion>,
        executions: &[Execution],
        errored: bool,
        cancelled: bool,
    ) -> Self {
        match conclusion {
            Some(c) => match c.verdict {
                Verdict::Diagnosed | Verdict::Healthy => EndReason::Concluded,
                Verdict::Inconclusive if cluster_unusable(c, executions) => {
                    EndReason::ClusterUnusable
                }
                Verdict::Inconclusive => EndReason::Inconclusive,
            },
            None if errored => EndReason::Error,
            None if cancelled => EndReason::Cancelled,
            None => EndReason::NoConclusion,
        }
    }

    /// [`EndReason::headless`] over a run's events so far.
    pub fn of_headless_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut conclusion = None;
        let mut executions = Vec::new();
        let (mut errored, mut cancelled) = (false, false);
        for e in events {
            match e {
                Event::Concluded(c) => conclusion = Some(c),
                Event::ExecFinished(x) => executions.push(x.clone()),
                Event::Error { .. } => errored = true,
                Event::Cancelled => cancelled = true,
                _ => {}
            }
        }
        Self::headless(conclusion, &executions, errored, cancelled)
    }

    /// Words for a person: `ended by the engineer`, `the budget was used up`.
    pub fn words(self) -> &'static str {
        match self {
            EndReason::Engineer => "ended by the engineer",
            EndReason::FrontEndClosed => "the front end closed the session",
            EndReason::BudgetExhausted => "the budget was used up before a conclusion",
            EndReason::Concluded => "the run reached a conclusion",
            EndReason::Inconclusive => "the run concluded inconclusive",
            EndReason::ClusterUnusable => "the cluster could not be used",
            EndReason::NoConclusion => "the run finished without a conclusion",
            EndReason::Cancelled => "the run was cancelled",
            EndReason::Error => "the run stopped at an error",
            EndReason::Stopped => "the session stopped unexpectedly",
        }
    }
}

impl std::fmt::Display for EndReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.words())
    }
}

/// Every query of the investigation failed because of the cluster (unreachable, credentials
/// refused, forbidden), and the conclusion says what could not be checked.
fn cluster_unusable(c: &Conclusion, executions: &[Execution]) -> bool {
    let blocking = |class: Option<ErrorClass>| {
        matches!(
            class,
            Some(ErrorClass::Unreachable | ErrorClass::Unauthorized | ErrorClass::Forbidden)
        )
    };
    !c.unchecked.is_empty()
        && c.unchecked.iter().all(|u| blocking(Some(u.class)))
        && executions.iter().all(|x| blocking(x.failure()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_as_a_word_and_old_recordings_still_read() {
        let json = serde_json::to_string(&EndReason::NoConclusion).expect("serialize");
        assert_eq!(json, "\"no_conclusion\"");
        for (old, now) in [
            ("\"ended by the engineer\"", EndReason::Engineer),
            (
                "\"the front end closed the session\"",
                EndReason::FrontEndClosed,
            ),
            ("\"budget exhausted\"", EndReason::BudgetExhausted),
            ("\"cluster_unusable\"", EndReason::ClusterUnusable),
        ] {
            let read: EndReason = serde_json::from_str(old).expect(old);
            assert_eq!(read, now);
        }
        let ended: Event =
            serde_json::from_str(r#"{"event":"session_ended","reason":"ended by the engineer"}"#)
                .expect("an old session_ended line");
        assert_eq!(
            ended,
            Event::SessionEnded {
                reason: EndReason::Engineer
            }
        );
        let end: super::super::Op = serde_json::from_str(r#"{"op":"end"}"#).expect("old end op");
        assert_eq!(
            end,
            super::super::Op::End {
                reason: EndReason::Engineer
            }
        );
    }

    #[test]
    fn a_headless_run_is_never_ended_by_the_engineer() {
        let none: [Event; 0] = [];
        assert_eq!(
            EndReason::of_headless_events(&none),
            EndReason::NoConclusion
        );
        let errored = [Event::Error {
            message: "model unreachable".into(),
            class: crate::protocol::FaultClass::ModelUnreachable,
        }];
        assert_eq!(EndReason::of_headless_events(&errored), EndReason::Error);
        assert_eq!(
            EndReason::of_headless_events(&[Event::Cancelled]),
            EndReason::Cancelled
        );
        for r in [
            EndReason::Concluded,
            EndReason::NoConclusion,
            EndReason::Error,
        ] {
            assert_ne!(r, EndReason::Engineer);
            assert!(!r.to_string().contains("engineer"), "{r}");
        }
    }
}
