//! `get`.

use super::{ExecError, Executor, Output};
use crate::query::{GetArgs, Scope};

pub async fn run(_ex: &Executor, _scope: &Scope, _args: &GetArgs) -> Result<Output, ExecError> {
    Err(ExecError::Unsupported {
        what: "`get` is not implemented yet".into(),
    })
}
