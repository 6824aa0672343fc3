//! `scan`: every analyzer over a namespace or the whole cluster.

use rmcp::model::CallToolResult;
use tokio_util::sync::CancellationToken;

use super::super::params::ScanParams;
use super::super::reply;
use crate::analyze::fetch::FetchOptions;
use crate::analyze::report::{Scan, parse_severity};
use crate::exec::Executor;
use crate::query::validate;

/// Findings as text and as structured content (the same document as `klue scan -o json`).
pub async fn run(executor: &Executor, params: ScanParams, ct: CancellationToken) -> CallToolResult {
    let min = match params
        .min_severity
        .as_deref()
        .map(parse_severity)
        .transpose()
    {
        Ok(m) => m,
        Err(why) => return reply::error(&why),
    };
    let all = params.all_namespaces.unwrap_or(false);
    let namespace = match (all, params.namespace.filter(|n| !n.is_empty())) {
        (true, Some(ns)) => {
            return reply::error(&format!(
                "`all_namespaces` and `namespace` ({ns}) contradict each other: give one of them"
            ));
        }
        (true, None) => None,
        (false, Some(ns)) => {
            if let Err(r) = validate::namespace(&ns) {
                return reply::error(&r.reason);
            }
            Some(ns)
        }
        (false, None) => Some(executor.cluster().namespace().to_string()),
    };
    let opts = FetchOptions {
        namespace,
        ..Default::default()
    };
    tracing::info!(scope = ?opts.namespace, "scan");
    let scan = tokio::select! {
        biased;
        _ = ct.cancelled() => return reply::error("cancelled by the client"),
        s = Scan::run(&executor.cluster().client, &opts, min) => s,
    };
    match scan {
        Ok(scan) => {
            let cap = executor.cap();
            let (text, _) = cap.cut(&scan.text());
            reply::structured(&text, scan.json())
        }
        Err(e) => reply::error(&format!("scan failed: {e}")),
    }
}
