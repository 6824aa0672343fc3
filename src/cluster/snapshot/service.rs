//! A tower [`Service`](tower::Service) that answers the GET requests a live API server would
//! get (discovery, lists and single gets as JSON or server-side Table, label and field
//! selectors, chunking, pods/log) from a [`Snapshot`], so the same executor code runs offline.
//! Anything not captured gets a 404 whose message starts with `not captured in this snapshot`.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::file::{CapturedResource, Snapshot};
use super::selector::{FieldSelector, LabelSelector};

/// Serves a snapshot.
#[derive(Clone)]
pub struct SnapshotService {
    snapshot: Arc<Snapshot>,
}

impl SnapshotService {
    pub fn new(snapshot: Arc<Snapshot>) -> Self {
        Self { snapshot }
    }

    /// Answer one request (status code, content type, body).
    pub fn answer(
        &self,
        method: &Method,
        uri: &http::Uri,
        accept: &str,
    ) -> (StatusCode, &'static str, Vec<u8>) {
        match route(&self.snapshot, method, uri, accept) {
            Ok(Reply::Json(v)) => (
                StatusCode::OK,
                "application/json",
                serde_json::to_vec(&v).unwrap_or_default(),
            ),
            Ok(Reply::Text(t)) => (StatusCode::OK, "text/plain", t.into_bytes()),
            Err(e) => {
                let (code, reason) = match e.code {
                    404 if e.message.starts_with(NOT_CAPTURED) => {
                        (StatusCode::NOT_FOUND, "NotCaptured")
                    }
                    404 => (StatusCode::NOT_FOUND, "NotFound"),
                    405 => (StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
                    _ => (StatusCode::BAD_REQUEST, "BadRequest"),
                };
                let mut status = json!({
                    "kind": "Status", "apiVersion": "v1", "metadata": {},
                    "status": "Failure", "message": e.message, "reason": reason, "code": e.code,
                });
                if let Some(d) = e.details {
                    status["details"] = d;
                }
                (
                    code,
                    "application/json",
                    serde_json::to_vec(&status).unwrap_or_default(),
                )
            }
        }
    }
}

impl tower::Service<Request<kube::client::Body>> for SnapshotService {
    type Response = Response<kube::client::Body>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<kube::client::Body>) -> Self::Future {
        let accept = req
            .headers()
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let (status, ctype, body) = self.answer(req.method(), req.uri(), &accept);
        let mut resp = Response::new(kube::client::Body::from(body));
        *resp.status_mut() = status;
        if let Ok(v) = http::HeaderValue::from_str(ctype) {
            resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
        }
        std::future::ready(Ok(resp))
    }
}

enum Reply {
    Json(Value),
    Text(String),
}

struct ApiErr {
    code: u16,
    message: String,
    details: Option<Value>,
}

/// How every "not captured" message starts.
pub const NOT_CAPTURED: &str = "not captured in this snapshot";

fn not_captured(what: impl std::fmt::Display) -> ApiErr {
    ApiErr {
        code: 404,
        message: format!("{NOT_CAPTURED}: {what}"),
        details: None,
    }
}

fn bad(message: String) -> ApiErr {
    ApiErr {
        code: 400,
        message,
        details: None,
    }
}

fn query_params(uri: &http::Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode(k), decode(v))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn route(snap: &Snapshot, method: &Method, uri: &http::Uri, accept: &str) -> Result<Reply, ApiErr> {
    if method == Method::POST && uri.path().contains("selfsubject") {
        return Err(not_captured(format!(
            "{} (a snapshot has no authorization data)",
            uri.path()
        )));
    }
    if method != Method::GET {
        return Err(ApiErr {
            code: 405,
            message: format!(
                "a snapshot is read-only: {method} {} is not allowed",
                uri.path()
            ),
            details: None,
        });
    }
    let path = uri.path().trim_end_matches('/');
    let path = if path.is_empty() { "/" } else { path };
    let params = query_params(uri);
    if param(&params, "watch").is_some_and(|w| w == "true" || w == "1") {
        return Err(not_captured(format!(
            "watch of {path} (a snapshot does not change)"
        )));
    }
    if let Some(doc) = snap.discovery.get(path) {
        return Ok(Reply::Json(doc.clone()));
    }
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(not_captured(format!("GET {path}"))),
    };
    let (namespace, plural, name, sub) = match rest {
        ["namespaces", ns, plural, tail @ ..] => (
            Some(*ns),
            *plural,
            tail.first().copied(),
            tail.get(1).copied(),
        ),
        [plural, tail @ ..] => (None, *plural, tail.first().copied(), tail.get(1).copied()),
        [] => return Err(not_captured(format!("GET {path}"))),
    };
    // `/api/v1/namespaces/NAME` is a get of a namespace.
    let (namespace, plural, name, sub) =
        if group.is_empty() && rest.len() == 2 && rest[0] == "namespaces" {
            (None, "namespaces", Some(rest[1]), None)
        } else {
            (namespace, plural, name, sub)
        };
    if sub == Some("log") && plural == "pods" {
        return logs(
            snap,
            namespace.unwrap_or("default"),
            name.unwrap_or(""),
            &params,
        );
    }
    if let Some(sub) = sub {
        return Err(not_captured(format!(
            "the {sub} subresource of {plural}/{}",
            name.unwrap_or("")
        )));
    }
    let res = snap.resource(group, version, plural).ok_or_else(|| {
        let gv = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        not_captured(format!("{plural} ({gv})"))
    })?;
    let table = accept.contains("as=Table");
    let include = param(&params, "includeObject").unwrap_or("Metadata");
    match name {
        Some(name) => {
            let row = res
                .rows
                .iter()
                .find(|r| {
                    obj_name(r) == name
                        && (!res.namespaced || namespace.is_none_or(|ns| obj_namespace(r) == ns))
                })
                .ok_or_else(|| ApiErr {
                    code: 404,
                    message: format!(
                        "{}{} \"{name}\" not found",
                        plural,
                        if group.is_empty() {
                            String::new()
                        } else {
                            format!(".{group}")
                        }
                    ),
                    details: Some(json!({ "name": name, "group": group, "kind": plural })),
                })?;
            if table {
                Ok(Reply::Json(table_doc(res, vec![row], include, None)))
            } else {
                Ok(Reply::Json(
                    row.get("object").cloned().unwrap_or(Value::Null),
                ))
            }
        }
        None => {
            let labels =
                LabelSelector::parse(param(&params, "labelSelector").unwrap_or("")).map_err(bad)?;
            let fields =
                FieldSelector::parse(param(&params, "fieldSelector").unwrap_or("")).map_err(bad)?;
            let mut rows: Vec<&Value> = res
                .rows
                .iter()
                .filter(|r| {
                    namespace.is_none() || !res.namespaced || namespace == Some(obj_namespace(r))
                })
                .filter(|r| {
                    r.get("object")
                        .is_some_and(|o| labels.matches(o) && fields.matches(o))
                })
                .collect();
            // Chunking: `continue` is an offset, `limit` a page size.
            let offset: usize = param(&params, "continue")
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let limit: usize = param(&params, "limit")
                .and_then(|l| l.parse().ok())
                .filter(|l| *l > 0)
                .unwrap_or(usize::MAX);
            let total = rows.len();
            rows = rows.into_iter().skip(offset).take(limit).collect();
            let next = (offset.saturating_add(rows.len()) < total)
                .then(|| (offset + rows.len()).to_string());
            if table {
                Ok(Reply::Json(table_doc(res, rows, include, next)))
            } else {
                let mut meta = json!({ "resourceVersion": "1" });
                if let Some(n) = next {
                    meta["continue"] = Value::String(n);
                    meta["remainingItemCount"] = json!(total - offset - limit.min(total - offset));
                }
                Ok(Reply::Json(json!({
                    "kind": format!("{}List", res.kind),
                    "apiVersion": res.api_version(),
                    "metadata": meta,
                    "items": rows.iter().filter_map(|r| r.get("object").cloned()).collect::<Vec<_>>(),
                })))
            }
        }
    }
}

fn obj_name(row: &Value) -> &str {
    row.pointer("/object/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn obj_namespace(row: &Value) -> &str {
    row.pointer("/object/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn table_doc(
    res: &CapturedResource,
    rows: Vec<&Value>,
    include: &str,
    next: Option<String>,
) -> Value {
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let mut row = r.clone();
            if let Some(m) = row.as_object_mut() {
                match include {
                    "Object" => {}
                    "None" => {
                        m.remove("object");
                    }
                    _ => {
                        let meta = r.pointer("/object/metadata").cloned().unwrap_or(Value::Null);
                        m.insert(
                            "object".into(),
                            json!({ "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta }),
                        );
                    }
                }
            }
            row
        })
        .collect();
    let mut meta = json!({ "resourceVersion": "1" });
    if let Some(n) = next {
        meta["continue"] = Value::String(n);
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": res.columns,
        "rows": rows,
    })
}

fn logs(
    snap: &Snapshot,
    ns: &str,
    pod: &str,
    params: &[(String, String)],
) -> Result<Reply, ApiErr> {
    let pod_obj = snap.resource("", "v1", "pods").and_then(|r| {
        r.rows
            .iter()
            .find(|row| obj_name(row) == pod && obj_namespace(row) == ns)
    });
    let Some(pod_row) = pod_obj else {
        return Err(ApiErr {
            code: 404,
            message: format!("pods \"{pod}\" not found"),
            details: None,
        });
    };
    let container = match param(params, "container") {
        Some(c) if !c.is_empty() => c.to_string(),
        _ => {
            let cs = pod_row
                .pointer("/object/spec/containers")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if cs.len() == 1 {
                cs[0]
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            } else {
                let names: Vec<&str> = cs
                    .iter()
                    .filter_map(|c| c.get("name").and_then(Value::as_str))
                    .collect();
                return Err(bad(format!(
                    "a container name must be specified for pod {pod}, choose one of: [{}]",
                    names.join(" ")
                )));
            }
        }
    };
    let previous = param(params, "previous").is_some_and(|p| p == "true");
    let log = snap
        .logs
        .iter()
        .find(|l| l.namespace == ns && l.pod == pod && l.container == container && l.previous == previous)
        .ok_or_else(|| {
            not_captured(format!(
                "{}logs of container {container} in pod {ns}/{pod} (klue captures recent logs of unhealthy pods, and of one ready pod per workload)",
                if previous { "previous " } else { "" }
            ))
        })?;
    let timestamps = param(params, "timestamps").is_some_and(|p| p == "true");
    let since: Option<jiff::Timestamp> =
        if let Some(secs) = param(params, "sinceSeconds").and_then(|s| s.parse::<i64>().ok()) {
            snap.captured_at
                .parse::<jiff::Timestamp>()
                .ok()
                .and_then(|t| t.checked_sub(jiff::SignedDuration::from_secs(secs)).ok())
        } else {
            param(params, "sinceTime").and_then(|t| t.parse().ok())
        };
    let mut lines: Vec<String> = Vec::new();
    for line in log.text.lines() {
        let (ts, rest) = line.split_once(' ').unwrap_or(("", line));
        let parsed: Option<jiff::Timestamp> = ts.parse().ok();
        if let (Some(since), Some(t)) = (since, parsed)
            && t < since
        {
            continue;
        }
        lines.push(if timestamps || parsed.is_none() {
            line.to_string()
        } else {
            rest.to_string()
        });
    }
    if let Some(n) = param(params, "tailLines").and_then(|n| n.parse::<usize>().ok()) {
        let start = lines.len().saturating_sub(n);
        lines.drain(..start);
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    if let Some(limit) = param(params, "limitBytes").and_then(|n| n.parse::<usize>().ok()) {
        let mut cut = limit.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    Ok(Reply::Text(text))
}
