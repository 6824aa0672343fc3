//! Raw reads through the cluster's (GET-only) client, with errors mapped as kubectl maps them.
//! Shared by the verb modules.

use bytes::{Bytes, BytesMut};
use http::Request;
use http_body::Body as _;
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

/// The most bytes klue reads of one response: a body is read frame by frame and dropped
/// once it passes this (a list page that large is asked again in smaller chunks, see
/// [`list_pages`]). A real apiserver keeps each object under a few MiB.
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// The most bytes klue reads for one listing, over all its pages.
pub const MAX_LIST_BYTES: usize = 48 << 20;

/// GET a path (with query) and return the body (at most [`MAX_RESPONSE_BYTES`]).
pub async fn get_bytes(cluster: &Cluster, path: &str, accept: &str) -> Result<Bytes, ExecError> {
    let req = Request::get(path)
        .header(http::header::ACCEPT, accept)
        .body(Body::empty())
        .map_err(|e| ExecError::InvalidArgument {
            message: format!("invalid request path {path}: {e}"),
        })?;
    let resp = send(cluster, req).await?;
    let mut body = resp.into_body();
    let mut buf = BytesMut::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|e| from_kube(e, cluster))?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > MAX_RESPONSE_BYTES {
                return Err(ExecError::ResponseTooLarge {
                    path: path.to_string(),
                    limit: MAX_RESPONSE_BYTES,
                });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// How a listing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// Every page was read (or the caller asked to stop).
    Complete,
    /// The pages passed [`MAX_LIST_BYTES`]: what was read so far was handed over, the rest
    /// was not asked for.
    ReadBound,
}

/// List a collection page by page (`limit`/`continue`, `chunk` objects a page; 0 asks for
/// everything at once), handing each decoded page to `page`, which returns whether to go on.
/// A page over [`MAX_RESPONSE_BYTES`] is asked again with a tenth of the chunk (down to one
/// object); the pages together stop at [`MAX_LIST_BYTES`].
pub async fn list_pages(
    cluster: &Cluster,
    path: &str,
    params: &[(&str, String)],
    accept: &str,
    chunk: u32,
    mut page: impl FnMut(Value) -> bool,
) -> Result<Listed, ExecError> {
    let mut chunk = chunk;
    let mut cont: Option<String> = None;
    let mut read = 0usize;
    loop {
        let mut p: Vec<(&str, String)> = params.to_vec();
        if chunk > 0 {
            p.push(("limit", chunk.to_string()));
        }
        if let Some(c) = &cont {
            p.push(("continue", c.clone()));
        }
        let url = with_query(path, &p);
        let bytes = match get_bytes(cluster, &url, accept).await {
            Ok(b) => b,
            Err(ExecError::ResponseTooLarge { .. }) if chunk != 1 => {
                chunk = if chunk == 0 { 50 } else { (chunk / 10).max(1) };
                tracing::debug!(
                    path,
                    chunk,
                    "list page over the response bound: smaller chunks"
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        read += bytes.len();
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| ExecError::Decode {
            detail: format!("{url}: {e}"),
        })?;
        drop(bytes);
        cont = v
            .pointer("/metadata/continue")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        if !page(v) || cont.is_none() {
            return Ok(Listed::Complete);
        }
        if read >= MAX_LIST_BYTES {
            return Ok(Listed::ReadBound);
        }
    }
}

/// The error for a listing that needs every page (a sort, a template over the list) but
/// passed the read bound.
pub fn read_bound_error(path: &str) -> ExecError {
    ExecError::OutputCap {
        detail: format!(
            "listing {path} passed {} MiB (klue's read bound for one listing)",
            MAX_LIST_BYTES >> 20
        ),
    }
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
