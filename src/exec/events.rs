//! `events`.

use super::{ExecError, Executor, Output};
use crate::query::{EventsArgs, Scope};

pub async fn run(_ex: &Executor, _scope: &Scope, _args: &EventsArgs) -> Result<Output, ExecError> {
    Err(ExecError::Unsupported {
        what: "`events` is not implemented yet".into(),
    })
}
