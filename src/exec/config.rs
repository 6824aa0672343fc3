//! `config current-context|get-contexts|view`.

use super::{ExecError, Executor, Output};
use crate::query::ConfigKind;

pub fn run(_ex: &Executor, _kind: &ConfigKind) -> Result<Output, ExecError> {
    Err(ExecError::Unsupported {
        what: "`config` is not implemented yet".into(),
    })
}
