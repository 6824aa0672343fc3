//! Raw reads through the cluster's (GET-only) client, with errors mapped as kubectl maps them.
//! Shared by the verb modules.

use bytes::Bytes;
use http::Request;
use kube::client::Body;
use serde_json::Value;

use super::ExecError;
use super::error::{from_kube, from_status};
use crate::cluster::Cluster;

/// kubectl's Accept header for server-side printing.
pub const ACCEPT_TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
pub const ACCEPT_JSON: &str = "application/json";

/// Percent-encode a query parameter value.
pub fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Build `path?k=v&...` (values encoded; empty list gives the path).
pub fn with_query(path: &str, params: &[(&str, String)]) -> String {
    if params.is_empty() {
        return path.to_string();
    }
    let q: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    format!("{path}?{}", q.join("&"))
}

/// Send a request, turning error statuses into [`ExecError`]s.
pub async fn send(
    cluster: &Cluster,
    req: Request<Body>,
) -> Result<http::Response<Body>, ExecError> {
    let resp = cluster
        .client
        .send(req)
        .await
        .map_err(|e| from_kube(e, cluster))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let body = resp
        .into_body()
        .collect_bytes()
        .await
        .map_err(|e| from_kube(e, cluster))?;
    Err(status_error(status.as_u16(), &body))
}

/// An error from an HTTP status and its (Status) body.
pub fn status_error(code: u16, body: &[u8]) -> ExecError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let reason = v.get("reason").and_then(Value::as_str).unwrap_or("");
    let message = match v.get("message").and_then(Value::as_str) {
        Some(m) => m.to_string(),
        None => String::from_utf8_lossy(body).trim().to_string(),
    };
    from_status(code, reason, &message)
}

/// GET a path (with query) and return the body.
pub async fn get_bytes(cluster: &Cluster, path: &str, accept: &str) -> Result<Bytes, ExecError> {
    let req = Request::get(path)
        .header(http::header::ACCEPT, accept)
        .body(Body::empty())
        .map_err(|e| ExecError::InvalidArgument {
            message: format!("invalid request path {path}: {e}"),
        })?;
    let resp = send(cluster, req).await?;
    resp.into_body()
        .collect_bytes()
        .await
        .map_err(|e| from_kube(e, cluster))
}

/// GET a path and decode it as JSON.
pub async fn get_json(cluster: &Cluster, path: &str, accept: &str) -> Result<Value, ExecError> {
    let bytes = get_bytes(cluster, path, accept).await?;
    serde_json::from_slice(&bytes).map_err(|e| ExecError::Decode {
        detail: format!("{path}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings() {
        assert_eq!(
            with_query(
                "/api/v1/pods",
                &[
                    ("labelSelector", "app in (a,b)".into()),
                    ("limit", "500".into())
                ]
            ),
            "/api/v1/pods?labelSelector=app%20in%20%28a%2Cb%29&limit=500"
        );
        assert_eq!(with_query("/x", &[]), "/x");
    }
}
