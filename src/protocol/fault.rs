//! What kind of failure an [`Event::Error`](super::Event::Error) reports, beside its text: a
//! front end or a script decides on the class (retry, fix the key, raise the budget), the
//! engineer reads the message.

use serde::{Deserialize, Serialize};

/// The class of a session error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultClass {
    /// The model server refused the credentials, or access (401, 403, no key set).
    ModelAuth,
    /// The model server's quota or rate limit (429).
    ModelQuota,
    /// The model server could not be reached, or did not answer in time.
    ModelUnreachable,
    /// The model server answered with an error, or the exchange broke.
    ModelServer,
    /// The conversation does not fit the model's context window.
    ModelContext,
    /// The model answered, but its reply could not be used.
    ModelOutput,
    /// The model client could not be set up (configuration).
    Setup,
    /// A planner failure other than the model's (recordings made before classes read as
    /// this).
    #[default]
    Planner,
    /// The session's budget is used up before a conclusion.
    Budget,
    /// An operation named a proposal that is not waiting for a decision.
    NoSuchProposal,
}

impl FaultClass {
    /// How the class is written for people and in JSON (`model_auth`, …).
    pub fn word(self) -> &'static str {
        match self {
            FaultClass::ModelAuth => "model_auth",
            FaultClass::ModelQuota => "model_quota",
            FaultClass::ModelUnreachable => "model_unreachable",
            FaultClass::ModelServer => "model_server",
            FaultClass::ModelContext => "model_context",
            FaultClass::ModelOutput => "model_output",
            FaultClass::Setup => "setup",
            FaultClass::Planner => "planner",
            FaultClass::Budget => "budget",
            FaultClass::NoSuchProposal => "no_such_proposal",
        }
    }

    /// A failure of the model or its server (another planner may take the step).
    pub fn is_model(self) -> bool {
        matches!(
            self,
            FaultClass::ModelAuth
                | FaultClass::ModelQuota
                | FaultClass::ModelUnreachable
                | FaultClass::ModelServer
                | FaultClass::ModelContext
                | FaultClass::ModelOutput
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_is_the_json_spelling() {
        for c in [
            FaultClass::ModelAuth,
            FaultClass::ModelQuota,
            FaultClass::ModelUnreachable,
            FaultClass::ModelServer,
            FaultClass::ModelContext,
            FaultClass::ModelOutput,
            FaultClass::Setup,
            FaultClass::Planner,
            FaultClass::Budget,
            FaultClass::NoSuchProposal,
        ] {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.word()));
        }
    }
}
