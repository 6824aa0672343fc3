//! `describe`.

use super::{ExecError, Executor, Output};
use crate::query::{DescribeArgs, Scope};

pub async fn run(
    _ex: &Executor,
    _scope: &Scope,
    _args: &DescribeArgs,
) -> Result<Output, ExecError> {
    Err(ExecError::Unsupported {
        what: "`describe` is not implemented yet".into(),
    })
}
