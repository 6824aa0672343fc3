//! What the session needs from the executor: run one parsed, allowed query.

use crate::exec::Output;
use crate::protocol::ErrorClass;
use crate::query::Query;

/// A query failed: the message is specific (NotFound, Forbidden with the reason, connection
/// refused, ...) and is shown to the engineer and, redacted, to the planner; the class says
/// whether the server answered (NotFound) or the question went unanswered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    pub message: String,
    pub class: ErrorClass,
}

impl RunError {
    /// An error classified from its (kubectl-worded) message.
    pub fn new(message: impl Into<String>) -> Self {
        let message = message.into();
        RunError {
            class: ErrorClass::of_message(&message),
            message,
        }
    }
}

impl From<crate::exec::ExecError> for RunError {
    fn from(e: crate::exec::ExecError) -> Self {
        RunError {
            class: e.class(),
            message: e.to_string(),
        }
    }
}

/// Runs read-only queries. Implemented by klue's executor (live cluster or snapshot); tests
/// may implement it too. Cancelling is dropping the future.
#[async_trait::async_trait]
pub trait QueryRunner: Send + Sync {
    async fn run(&self, query: &Query) -> Result<Output, RunError>;

    /// The requests sent to the cluster since the last call, and how many were sent but not
    /// kept (see [`crate::cluster::calls`]). Runners without a cluster have none.
    fn take_api_calls(&self) -> (Vec<crate::protocol::ApiCall>, u64) {
        (Vec::new(), 0)
    }
}

#[async_trait::async_trait]
impl<T: QueryRunner + ?Sized> QueryRunner for std::sync::Arc<T> {
    async fn run(&self, query: &Query) -> Result<Output, RunError> {
        (**self).run(query).await
    }

    fn take_api_calls(&self) -> (Vec<crate::protocol::ApiCall>, u64) {
        (**self).take_api_calls()
    }
}

/// klue's executor (live cluster or snapshot) is the runner sessions use.
#[async_trait::async_trait]
impl QueryRunner for crate::exec::Executor {
    async fn run(&self, query: &Query) -> Result<Output, RunError> {
        crate::exec::Executor::run(self, query)
            .await
            .map_err(RunError::from)
    }

    fn take_api_calls(&self) -> (Vec<crate::protocol::ApiCall>, u64) {
        self.cluster().calls.drain()
    }
}
