//! `rollout history|status`.

use super::{ExecError, Executor, Output};
use crate::query::{ResourceRef, RolloutKind, Scope};

pub async fn run(
    _ex: &Executor,
    _scope: &Scope,
    _kind: &RolloutKind,
    _target: &ResourceRef,
) -> Result<Output, ExecError> {
    Err(ExecError::Unsupported {
        what: "`rollout` is not implemented yet".into(),
    })
}
