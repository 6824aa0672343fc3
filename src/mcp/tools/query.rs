//! `query`: one read-only query through the grammar, the executor and redaction.

use rmcp::model::CallToolResult;
use tokio_util::sync::CancellationToken;

use super::super::params::QueryParams;
use super::super::reply;
use crate::exec::{ExecError, Executor};
use crate::query::{self, Query, validate};

/// Parse (the read-only grammar decides), apply the `namespace` argument, run (bounded by
/// the executor's timeout and cap), redact.
pub async fn run(
    executor: &Executor,
    params: QueryParams,
    ct: CancellationToken,
) -> CallToolResult {
    let q = match prepare(&params) {
        Ok(q) => q,
        Err(why) => {
            tracing::info!(command = %params.command, %why, "query refused");
            return reply::error(&format!("refused: {why}"));
        }
    };
    tracing::info!(query = %q, "query");
    let started = std::time::Instant::now();
    let outcome = tokio::select! {
        biased;
        _ = ct.cancelled() => {
            tracing::info!(query = %q, "query cancelled by the client");
            return reply::error("cancelled by the client");
        }
        r = executor.run(&q) => r,
    };
    tracing::debug!(query = %q, ms = started.elapsed().as_millis() as u64, "query done");
    match outcome {
        Ok(out) if out.text.is_empty() => reply::text("(no output)"),
        Ok(out) => reply::cluster_text(&format!("output of `{q}`"), &out.text),
        Err(ExecError::Refused(why)) => reply::error(&format!("refused: {why}")),
        Err(e) => reply::cluster_error(&format!("error of `{q}`"), &e.to_string()),
    }
}

/// The query the arguments ask for, or why it is refused.
fn prepare(params: &QueryParams) -> Result<Query, String> {
    let mut q = query::parse(&params.command).map_err(|r| r.reason)?;
    if let Some(ns) = params.namespace.as_deref().filter(|n| !n.is_empty()) {
        validate::namespace(ns).map_err(|r| r.reason)?;
        match (&q.scope.namespace, q.scope.all_namespaces) {
            (Some(own), _) if own != ns => {
                return Err(format!(
                    "the command says `-n {own}` but the `namespace` argument is `{ns}`: give one of them"
                ));
            }
            (_, true) => {
                return Err(format!(
                    "the command asks for all namespaces (-A) but the `namespace` argument is `{ns}`: give one of them"
                ));
            }
            _ => q.scope.namespace = Some(ns.to_string()),
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(command: &str, namespace: Option<&str>) -> QueryParams {
        QueryParams {
            command: command.into(),
            namespace: namespace.map(str::to_string),
        }
    }

    #[test]
    fn the_namespace_argument_fills_in_a_missing_namespace() {
        let q = prepare(&params("get pods", Some("shop"))).expect("allowed");
        assert_eq!(q.canonical(), "get pods -n shop");
        let q = prepare(&params("get pods -n shop", Some("shop"))).expect("allowed");
        assert_eq!(q.canonical(), "get pods -n shop");
    }

    #[test]
    fn conflicting_namespaces_and_bad_names_are_refused_with_the_reason() {
        let why = prepare(&params("get pods -n web", Some("shop"))).unwrap_err();
        assert!(why.contains("-n web") && why.contains("shop"), "{why}");
        let why = prepare(&params("get pods -A", Some("shop"))).unwrap_err();
        assert!(why.contains("all namespaces"), "{why}");
        assert!(prepare(&params("get pods", Some("Not_A_Namespace"))).is_err());
    }

    #[test]
    fn writes_and_shell_syntax_are_refused_by_the_grammar() {
        let why = prepare(&params("delete pod web-1", None)).unwrap_err();
        assert!(why.contains("delete"), "{why}");
        let why = prepare(&params("get pods | grep web", None)).unwrap_err();
        assert!(!why.is_empty());
    }
}
