//! Capturing a snapshot through a read-only client: discovery documents, the server-side
//! Table (with objects) of every listable resource, recent logs of unhealthy pods (chosen by
//! [`log_choice`](super::log_choice)).
//! Secret values are removed before anything is stored.

use futures::{StreamExt, stream};
use serde_json::Value;

use super::file::{CapturedLog, CapturedResource, Snapshot, SnapshotError, SnapshotSource};
use super::log_choice;
use crate::analyze::ClusterView;
use crate::analyze::view::LogKey;

/// What to capture.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// Limit objects to one namespace (cluster-scoped kinds are captured in full).
    pub namespace: Option<String>,
    /// Log lines kept per container.
    pub log_tail_lines: u32,
    /// At most this many container logs, the ones that explain a failure first.
    pub max_logs: usize,
    pub source: SnapshotSource,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        Self {
            namespace: None,
            log_tail_lines: 200,
            max_logs: 1000,
            source: SnapshotSource::default(),
        }
    }
}

const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// Resources never worth capturing (virtual, or huge and useless offline).
const SKIP: &[&str] = &[
    "bindings",
    "componentstatuses",
    "tokenreviews",
    "localsubjectaccessreviews",
    "selfsubjectaccessreviews",
    "selfsubjectrulesreviews",
    "subjectaccessreviews",
];

async fn get(client: &kube::Client, path: &str, accept: &str) -> Result<Value, String> {
    let req = http::Request::get(path)
        .header(http::header::ACCEPT, accept)
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
    let text = client.request_text(req).await.map_err(|e| match e {
        kube::Error::Api(s) => format!("{} ({})", s.message, s.code),
        other => other.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// Remove what must never be stored, exactly as a recording is redacted
/// ([`crate::redact::redact_value`]), and last-applied annotations (noise offline).
pub fn redact_object(obj: &mut Value) -> crate::redact::Removed {
    if let Some(ann) = obj
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        ann.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
    crate::redact::redact_value_counted(obj)
}

/// Capture a cluster.
pub async fn capture(
    client: &kube::Client,
    opts: &CaptureOptions,
) -> Result<Snapshot, SnapshotError> {
    let mut snap = Snapshot::new(opts.source.clone());
    for path in ["/version", "/api", "/apis"] {
        match get(client, path, "application/json").await {
            Ok(doc) => {
                snap.discovery.insert(path.to_string(), doc);
            }
            Err(e) if path == "/version" => snap.notes.push(format!("{path}: {e}")),
            Err(e) => return Err(SnapshotError::Capture(format!("GET {path}: {e}"))),
        }
    }
    let mut gvs: Vec<String> = Vec::new();
    if let Some(api) = snap.discovery.get("/api") {
        for v in api
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(v) = v.as_str() {
                gvs.push(format!("/api/{v}"));
            }
        }
    }
    if let Some(apis) = snap.discovery.get("/apis") {
        for g in apis
            .get("groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for v in g
                .get("versions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(gv) = v.get("groupVersion").and_then(Value::as_str) {
                    gvs.push(format!("/apis/{gv}"));
                }
            }
        }
    }
    let docs: Vec<(String, Result<Value, String>)> = stream::iter(gvs)
        .map(|gv| async move {
            let doc = get(client, &gv, "application/json").await;
            (gv, doc)
        })
        .buffered(8)
        .collect()
        .await;
    let mut lists = Vec::new();
    for (gv, doc) in docs {
        let doc = match doc {
            Ok(d) => d,
            Err(e) => {
                snap.notes.push(format!("{gv}: {e}"));
                continue;
            }
        };
        let (group, version) = match gv
            .trim_start_matches('/')
            .split('/')
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["api", v] => (String::new(), v.to_string()),
            ["apis", g, v] => (g.to_string(), v.to_string()),
            _ => continue,
        };
        for r in doc
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = r.get("name").and_then(Value::as_str).unwrap_or("");
            let listable = r
                .get("verbs")
                .and_then(Value::as_array)
                .is_some_and(|vs| vs.iter().any(|v| v.as_str() == Some("list")));
            if name.contains('/') || !listable || SKIP.contains(&name) {
                continue;
            }
            lists.push(CapturedResource {
                group: group.clone(),
                version: version.clone(),
                plural: name.to_string(),
                kind: r
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                namespaced: r
                    .get("namespaced")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                columns: Value::Array(Vec::new()),
                rows: Vec::new(),
            });
        }
        snap.discovery.insert(gv, doc);
    }
    let ns = opts.namespace.clone();
    let captured: Vec<(CapturedResource, Result<Value, String>)> = stream::iter(lists)
        .map(|res| {
            let ns = ns.clone();
            async move {
                let prefix = if res.group.is_empty() {
                    format!("/api/{}", res.version)
                } else {
                    format!("/apis/{}/{}", res.group, res.version)
                };
                let path = match (&ns, res.namespaced) {
                    (Some(ns), true) => format!(
                        "{prefix}/namespaces/{ns}/{}?includeObject=Object",
                        res.plural
                    ),
                    _ => format!("{prefix}/{}?includeObject=Object", res.plural),
                };
                let table = get(client, &path, TABLE_ACCEPT).await;
                (res, table)
            }
        })
        .buffer_unordered(6)
        .collect()
        .await;
    let mut view = ClusterView::new();
    for (mut res, table) in captured {
        match table {
            Ok(mut t) if t.get("kind").and_then(Value::as_str) == Some("Table") => {
                res.columns = t
                    .get_mut("columnDefinitions")
                    .map(Value::take)
                    .unwrap_or(Value::Array(Vec::new()));
                let rows = t
                    .get_mut("rows")
                    .and_then(|r| r.as_array_mut())
                    .map(std::mem::take)
                    .unwrap_or_default();
                for mut row in rows {
                    if let Some(cells) = row.get_mut("cells") {
                        snap.redacted
                            .add(crate::redact::redact_value_counted(cells));
                    }
                    if let Some(obj) = row.get_mut("object") {
                        if let Some(m) = obj.as_object_mut() {
                            m.entry("kind")
                                .or_insert_with(|| Value::String(res.kind.clone()));
                            m.entry("apiVersion")
                                .or_insert_with(|| Value::String(res.api_version()));
                        }
                        snap.redacted.add(redact_object(obj));
                        if res.kind == "Pod" && res.group.is_empty() {
                            view.insert(obj.clone());
                        }
                    }
                    res.rows.push(row);
                }
                res.rows.sort_by(|a, b| {
                    let key = |r: &Value| {
                        (
                            r.pointer("/object/metadata/namespace")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                            r.pointer("/object/metadata/name")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                        )
                    };
                    key(a).cmp(&key(b))
                });
                snap.resources.push(res);
            }
            Ok(_) => snap.notes.push(format!(
                "{}: the server did not answer with a Table",
                res.plural
            )),
            Err(e) => snap
                .notes
                .push(format!("{} ({}): {e}", res.plural, res.api_version())),
        }
    }
    snap.resources
        .sort_by(|a, b| (&a.group, &a.version, &a.plural).cmp(&(&b.group, &b.version, &b.plural)));
    capture_logs(client, &mut snap, &view, opts).await;
    snap.notes.sort();
    Ok(snap)
}

async fn capture_logs(
    client: &kube::Client,
    snap: &mut Snapshot,
    view: &ClusterView,
    opts: &CaptureOptions,
) {
    let mut wanted = log_choice::wanted_logs(view);
    if wanted.len() > opts.max_logs {
        let dropped = wanted.split_off(opts.max_logs);
        snap.notes.push(log_choice::dropped_note(
            wanted.len() + dropped.len(),
            wanted.len(),
            &dropped,
        ));
    }
    let tail = opts.log_tail_lines;
    let logs: Vec<(CapturedLog, Result<String, String>)> = stream::iter(wanted)
        .map(|w| w.key)
        .map(|LogKey { namespace: ns, pod, container, previous }| async move {
            let path = format!(
                "/api/v1/namespaces/{ns}/pods/{pod}/log?container={container}&tailLines={tail}&timestamps=true{}",
                if previous { "&previous=true" } else { "" }
            );
            let text = match http::Request::get(&path).body(Vec::new()) {
                Ok(req) => client.request_text(req).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            (CapturedLog { namespace: ns, pod, container, previous, text: String::new() }, text)
        })
        .buffer_unordered(6)
        .collect()
        .await;
    for (mut log, text) in logs {
        match text {
            Ok(t) => {
                log.text = crate::redact::redact_counted(&t, &mut snap.redacted);
                snap.logs.push(log);
            }
            Err(e) => snap.notes.push(format!(
                "{}logs of {}/{} container {}: {e}",
                if log.previous { "previous " } else { "" },
                log.namespace,
                log.pod,
                log.container
            )),
        }
    }
    snap.logs.sort_by(|a, b| {
        (&a.namespace, &a.pod, &a.container, a.previous).cmp(&(
            &b.namespace,
            &b.pod,
            &b.container,
            b.previous,
        ))
    });
}
