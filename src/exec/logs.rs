//! `logs`.

use super::{ExecError, Executor, Output};
use crate::query::{LogsArgs, Scope};

pub async fn run(_ex: &Executor, _scope: &Scope, _args: &LogsArgs) -> Result<Output, ExecError> {
    Err(ExecError::Unsupported {
        what: "`logs` is not implemented yet".into(),
    })
}
