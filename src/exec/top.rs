//! `top pods|nodes`.

use super::{ExecError, Executor, Output};
use crate::query::{Scope, TopTarget};

pub async fn run(_ex: &Executor, _scope: &Scope, _target: &TopTarget) -> Result<Output, ExecError> {
    Err(ExecError::Unsupported {
        what: "`top` is not implemented yet".into(),
    })
}
