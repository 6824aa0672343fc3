//! Build a [`ClusterView`] from a cluster (live, or a snapshot served through the same
//! client): discovery picks the served version of each kind, lists run concurrently, and
//! the previous logs of failing containers are read.

use futures::{StreamExt, stream};
use serde_json::Value;

use super::ClusterView;
use super::util::{arr, int, meta_name, meta_namespace, s, sp};
use super::view::LogKey;

/// A kind analyzers read, with the versions to try in order.
struct Wanted {
    kind: &'static str,
    group: &'static str,
    versions: &'static [&'static str],
    plural: &'static str,
    namespaced: bool,
}

const fn w(
    kind: &'static str,
    group: &'static str,
    versions: &'static [&'static str],
    plural: &'static str,
    namespaced: bool,
) -> Wanted {
    Wanted {
        kind,
        group,
        versions,
        plural,
        namespaced,
    }
}

const WANTED: &[Wanted] = &[
    w("Pod", "", &["v1"], "pods", true),
    w("Service", "", &["v1"], "services", true),
    w("Endpoints", "", &["v1"], "endpoints", true),
    w("Event", "", &["v1"], "events", true),
    w("ConfigMap", "", &["v1"], "configmaps", true),
    w("Secret", "", &["v1"], "secrets", true),
    w(
        "PersistentVolumeClaim",
        "",
        &["v1"],
        "persistentvolumeclaims",
        true,
    ),
    w("ResourceQuota", "", &["v1"], "resourcequotas", true),
    w("Node", "", &["v1"], "nodes", false),
    w("PersistentVolume", "", &["v1"], "persistentvolumes", false),
    w("Deployment", "apps", &["v1"], "deployments", true),
    w("ReplicaSet", "apps", &["v1"], "replicasets", true),
    w("StatefulSet", "apps", &["v1"], "statefulsets", true),
    w("DaemonSet", "apps", &["v1"], "daemonsets", true),
    w("Job", "batch", &["v1"], "jobs", true),
    w("CronJob", "batch", &["v1", "v1beta1"], "cronjobs", true),
    w(
        "HorizontalPodAutoscaler",
        "autoscaling",
        &["v2", "v2beta2", "v2beta1", "v1"],
        "horizontalpodautoscalers",
        true,
    ),
    w(
        "PodDisruptionBudget",
        "policy",
        &["v1", "v1beta1"],
        "poddisruptionbudgets",
        true,
    ),
    w(
        "Ingress",
        "networking.k8s.io",
        &["v1", "v1beta1"],
        "ingresses",
        true,
    ),
    w(
        "IngressClass",
        "networking.k8s.io",
        &["v1", "v1beta1"],
        "ingressclasses",
        false,
    ),
    w(
        "NetworkPolicy",
        "networking.k8s.io",
        &["v1"],
        "networkpolicies",
        true,
    ),
    w(
        "StorageClass",
        "storage.k8s.io",
        &["v1", "v1beta1"],
        "storageclasses",
        false,
    ),
    w(
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        &["v1", "v1beta1"],
        "validatingwebhookconfigurations",
        false,
    ),
    w(
        "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        &["v1", "v1beta1"],
        "mutatingwebhookconfigurations",
        false,
    ),
    w("PodMetrics", "metrics.k8s.io", &["v1beta1"], "pods", true),
];

/// What to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// One namespace, or every namespace with `None`.
    pub namespace: Option<String>,
    /// Read the logs of failing containers (bounded by `max_logs`).
    pub logs: bool,
    pub max_logs: usize,
    pub log_tail_lines: u32,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            namespace: None,
            logs: true,
            max_logs: 20,
            log_tail_lines: 50,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot read the cluster's API discovery: {0}")]
    Discovery(String),
}

/// A fetched view and what could not be read (kind: reason).
#[derive(Debug)]
pub struct Fetched {
    pub view: ClusterView,
    pub skipped: Vec<String>,
}

async fn get_json(client: &kube::Client, path: &str) -> Result<Value, kube::Error> {
    let req = http::Request::get(path)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(kube::Error::HttpError)?;
    let text = client.request_text(req).await?;
    serde_json::from_str(&text).map_err(kube::Error::SerdeError)
}

/// Short text for an API error.
fn err_text(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!("{} ({})", s.message, s.code),
        other => other.to_string(),
    }
}

/// Resolve served `(prefix, plural)` for each wanted kind through discovery.
async fn discover(client: &kube::Client) -> Result<Vec<(&'static Wanted, String)>, FetchError> {
    let groups = get_json(client, "/apis")
        .await
        .map_err(|e| FetchError::Discovery(err_text(&e)))?;
    let served = |group: &str, version: &str| {
        arr(&groups, "/groups").iter().any(|g| {
            s(g, "name") == group
                && arr(g, "/versions")
                    .iter()
                    .any(|v| s(v, "version") == version)
        })
    };
    // Group versions worth reading, once each.
    let mut gvs: Vec<String> = Vec::new();
    for wk in WANTED {
        for v in wk.versions {
            let gv = if wk.group.is_empty() {
                format!("/api/{v}")
            } else {
                format!("/apis/{}/{v}", wk.group)
            };
            if (wk.group.is_empty() || served(wk.group, v)) && !gvs.contains(&gv) {
                gvs.push(gv);
            }
        }
    }
    let docs: Vec<(String, Option<Value>)> = stream::iter(gvs)
        .map(|gv| async move {
            let doc = get_json(client, &gv).await.ok();
            (gv, doc)
        })
        .buffered(8)
        .collect()
        .await;
    let mut out = Vec::new();
    for wk in WANTED {
        let found = wk.versions.iter().find_map(|v| {
            let gv = if wk.group.is_empty() {
                format!("/api/{v}")
            } else {
                format!("/apis/{}/{v}", wk.group)
            };
            let doc = docs.iter().find(|(p, _)| *p == gv)?.1.as_ref()?;
            arr(doc, "/resources")
                .iter()
                .any(|r| s(r, "name") == wk.plural && s(r, "kind") == wk.kind)
                .then_some(gv)
        });
        if let Some(prefix) = found {
            out.push((wk, prefix));
        }
    }
    Ok(out)
}

/// Remove Secret values, keeping the keys (analyzers check keys, never values).
pub fn strip_secret_values(obj: &mut Value) {
    for field in ["data", "stringData"] {
        if let Some(m) = obj.get_mut(field).and_then(Value::as_object_mut) {
            for v in m.values_mut() {
                *v = Value::String(String::new());
            }
        }
    }
    if let Some(ann) = obj
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        ann.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

/// An object as analyzers may read it: sanitized like every object klue shows (env values
/// and args under credential names, copies of Secret data or manifests in annotations,
/// credentials in ConfigMaps), and for a Secret no values at all.
pub fn prepare_item(kind: &str, item: &mut Value) {
    if item.get("kind").is_none()
        && let Some(m) = item.as_object_mut()
    {
        m.insert("kind".into(), Value::String(kind.to_string()));
    }
    crate::render::sanitize::sanitize(item);
    if kind == "Secret" {
        strip_secret_values(item);
    }
}

/// List one kind (in `ns`, when it is namespaced and a namespace is given).
async fn list_kind(
    client: &kube::Client,
    ns: Option<&str>,
    wk: &'static Wanted,
    prefix: String,
) -> (&'static Wanted, Result<Value, kube::Error>) {
    let path = match (wk.namespaced, ns) {
        (true, Some(ns)) => format!("{prefix}/namespaces/{ns}/{}", wk.plural),
        _ => format!("{prefix}/{}", wk.plural),
    };
    (wk, get_json(client, &path).await)
}

/// Fetch the objects analyzers read (and failing containers' logs).
pub async fn fetch_view(client: &kube::Client, opts: &FetchOptions) -> Result<Fetched, FetchError> {
    let kinds = discover(client).await?;
    let ns = opts.namespace.as_deref();
    // The futures are made before they are streamed: a stream holding the closure makes the
    // whole future `!Send` for spawned tasks (the MCP server) through a compiler limitation
    // (a closure over borrowed items is "not general enough").
    let lists: Vec<_> = kinds
        .into_iter()
        .map(|(wk, prefix)| list_kind(client, ns, wk, prefix))
        .collect();
    let results: Vec<(&Wanted, Result<Value, kube::Error>)> =
        stream::iter(lists).buffer_unordered(8).collect().await;
    let mut view = ClusterView::new();
    let mut skipped = Vec::new();
    for (wk, res) in results {
        match res {
            Ok(list) => {
                let scope = if wk.namespaced { ns } else { None };
                view.mark_listed(wk.kind, scope);
                if let Value::Object(mut m) = list
                    && let Some(Value::Array(items)) = m.remove("items")
                {
                    for mut item in items {
                        prepare_item(wk.kind, &mut item);
                        view.insert_as(wk.kind, item);
                    }
                }
            }
            Err(e) => {
                tracing::debug!(kind = wk.kind, error = %err_text(&e), "list failed");
                skipped.push(format!("{}: {}", wk.kind, err_text(&e)));
            }
        }
    }
    skipped.sort();
    if opts.logs {
        read_logs(client, &mut view, opts).await;
    }
    Ok(Fetched { view, skipped })
}

/// Containers whose logs explain a failure: `(ns, pod, container, previous)`.
pub fn failing_containers(view: &ClusterView) -> Vec<LogKey> {
    let mut out = Vec::new();
    for pod in view.all("Pod") {
        let ns = meta_namespace(pod).unwrap_or("");
        let failed_pod =
            sp(pod, "/status/phase") == "Failed" && sp(pod, "/status/reason") != "Evicted";
        let not_initialized = arr(pod, "/status/conditions")
            .iter()
            .any(|c| s(c, "type") == "Initialized" && s(c, "status") == "False");
        for status_p in ["/status/initContainerStatuses", "/status/containerStatuses"] {
            for st in arr(pod, status_p) {
                // An init container still running in a pod that is not initialized: what
                // it waits for is in its current log.
                if status_p == "/status/initContainerStatuses"
                    && not_initialized
                    && st.pointer("/state/running").is_some()
                {
                    out.push(LogKey {
                        namespace: ns.into(),
                        pod: meta_name(pod).into(),
                        container: s(st, "name").into(),
                        previous: false,
                    });
                    continue;
                }
                let waiting = sp(st, "/state/waiting/reason");
                let restarts = int(st, "/restartCount").unwrap_or(0);
                let cur_err = int(st, "/state/terminated/exitCode").is_some_and(|c| c != 0);
                let last_err = int(st, "/lastState/terminated/exitCode").is_some_and(|c| c != 0);
                if waiting == "CrashLoopBackOff" || (restarts > 0 && last_err) {
                    out.push(LogKey {
                        namespace: ns.into(),
                        pod: meta_name(pod).into(),
                        container: s(st, "name").into(),
                        previous: true,
                    });
                } else if cur_err || failed_pod {
                    out.push(LogKey {
                        namespace: ns.into(),
                        pod: meta_name(pod).into(),
                        container: s(st, "name").into(),
                        previous: false,
                    });
                }
            }
        }
    }
    out
}

async fn read_logs(client: &kube::Client, view: &mut ClusterView, opts: &FetchOptions) {
    let mut keys = failing_containers(view);
    keys.truncate(opts.max_logs);
    let tail = opts.log_tail_lines;
    let logs: Vec<(LogKey, Option<String>)> = stream::iter(keys)
        .map(|k| async move {
            let path = format!(
                "/api/v1/namespaces/{}/pods/{}/log?container={}&tailLines={tail}{}",
                k.namespace,
                k.pod,
                k.container,
                if k.previous { "&previous=true" } else { "" }
            );
            let text = match http::Request::get(&path).body(Vec::new()) {
                Ok(req) => client
                    .request_text(req)
                    .await
                    .map_err(|e| {
                        tracing::debug!(path, error = %err_text(&e), "log read failed");
                    })
                    .ok(),
                Err(_) => None,
            };
            (k, text)
        })
        .buffer_unordered(6)
        .collect()
        .await;
    for (k, text) in logs {
        if let Some(text) = text {
            view.add_log(k, text);
        }
    }
}

/// Analyzer findings for a namespace (or the cluster) as hint lines for a planner; empty when
/// the cluster cannot be read within `timeout` (hints are a bonus, never a blocker).
pub async fn hints_for(
    client: &kube::Client,
    namespace: Option<&str>,
    timeout: std::time::Duration,
) -> Vec<String> {
    let opts = FetchOptions {
        namespace: namespace.map(str::to_string),
        ..Default::default()
    };
    match tokio::time::timeout(timeout, fetch_view(client, &opts)).await {
        Ok(Ok(f)) => super::hints(&super::analyze(&f.view)),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "no analyzer hints");
            Vec::new()
        }
        Err(_) => {
            tracing::debug!("analyzer hints timed out");
            Vec::new()
        }
    }
}
