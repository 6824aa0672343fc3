//! `api_resources` (what can be queried) and `contexts` (where klue could connect).

use rmcp::model::CallToolResult;
use tokio_util::sync::CancellationToken;

use super::super::params::QueryParams;
use super::super::reply;
use crate::exec::Executor;

/// `kubectl api-resources`, through the same path as the `query` tool.
pub async fn api_resources(executor: &Executor, ct: CancellationToken) -> CallToolResult {
    let params = QueryParams {
        command: "api-resources".into(),
        namespace: None,
    };
    super::query::run(executor, params, ct).await
}

/// The kubeconfig's context names, the one klue is connected with marked current. Names
/// only: no servers, users or credentials.
pub fn contexts(executor: &Executor) -> CallToolResult {
    let cluster = executor.cluster();
    let current = cluster.info.context.to_string();
    let mut names = match &cluster.kubeconfig {
        Some(kc) => kc.context_names(),
        None => Vec::new(),
    };
    if !names.contains(&current) {
        names.push(current.clone());
    }
    names.sort();
    let mut text = String::new();
    for n in &names {
        if *n == current {
            text.push_str(&format!("* {n} (current)\n"));
        } else {
            text.push_str(&format!("  {n}\n"));
        }
    }
    reply::structured(
        &text,
        serde_json::json!({ "current": current, "contexts": names }),
    )
}
