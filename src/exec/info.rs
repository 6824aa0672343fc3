//! `api-resources`, `api-versions`, `version`, `cluster-info`.

use super::{ExecError, Executor, Output};
use crate::query::OutputFormat;

fn todo(what: &str) -> ExecError {
    ExecError::Unsupported {
        what: format!("`{what}` is not implemented yet"),
    }
}

pub async fn api_resources(
    _ex: &Executor,
    _namespaced: Option<bool>,
    _group: Option<&str>,
    _output: &OutputFormat,
) -> Result<Output, ExecError> {
    Err(todo("api-resources"))
}

pub async fn api_versions(_ex: &Executor) -> Result<Output, ExecError> {
    Err(todo("api-versions"))
}

pub async fn version(_ex: &Executor, _output: &OutputFormat) -> Result<Output, ExecError> {
    Err(todo("version"))
}

pub async fn cluster_info(_ex: &Executor) -> Result<Output, ExecError> {
    Err(todo("cluster-info"))
}
