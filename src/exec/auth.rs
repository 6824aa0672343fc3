//! `auth can-i`, `auth whoami`.

use super::{ExecError, Executor, Output};
use crate::query::{CanIArgs, OutputFormat, Scope};

pub async fn can_i(_ex: &Executor, _scope: &Scope, _args: &CanIArgs) -> Result<Output, ExecError> {
    Err(ExecError::Unsupported {
        what: "`auth can-i` is not implemented yet".into(),
    })
}

pub async fn whoami(_ex: &Executor, _output: &OutputFormat) -> Result<Output, ExecError> {
    Err(ExecError::Unsupported {
        what: "`auth whoami` is not implemented yet".into(),
    })
}
