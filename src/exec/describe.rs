//! `describe`: fetch the object(s), then what the kind's describer needs (events, owned
//! pods, endpoints, ...), and render with [`crate::render::describe`].
//!
//! Types resolve through discovery, so old servers work (batch/v1beta1 CronJob,
//! autoscaling/v2beta2 HPA). Like kubectl, a name that does not exist is tried as a prefix.

use futures::StreamExt;
use serde_json::Value;

use super::api::{self, ACCEPT_JSON};
use super::{ExecError, Executor, Output};
use crate::cluster::{ApiResource, Discovery};
use crate::query::{DescribeArgs, ResourceRef, Scope};
use crate::render::describe::network::{slices_from_endpoint_slices, slices_from_endpoints};
use crate::render::describe::{self as render, Family, Related};

/// At most this many objects are described by one query (each costs several requests).
pub const MAX_OBJECTS: usize = 50;

/// Separator kubectl prints between two descriptions of a list (two blank lines); objects
/// matched by name prefix are each followed by one blank line instead.
const SEPARATOR: &str = "\n\n";

pub async fn run(ex: &Executor, scope: &Scope, args: &DescribeArgs) -> Result<Output, ExecError> {
    let namespace = ex.namespace_for(scope);
    let mut objects: Vec<(ApiResource, Value)> = Vec::new();
    let mut more = 0usize;
    let mut by_prefix = false;
    for target in &args.targets {
        let res = resolve_for_describe(ex, &target.resource).await?;
        let (found, prefix) = find_objects(ex, &res, namespace.as_deref(), target, args).await?;
        by_prefix |= prefix;
        for mut obj in found {
            // what is described is what may be shown: no secret values, no copies of them
            crate::render::sanitize::sanitize(&mut obj);
            if objects.len() >= MAX_OBJECTS {
                more += 1;
            } else {
                objects.push((res.clone(), obj));
            }
        }
    }
    if objects.is_empty() {
        let ns = namespace.as_deref().unwrap_or("");
        return Ok(Output::text(if ns.is_empty() || scope.all_namespaces {
            "No resources found\n".to_string()
        } else {
            format!("No resources found in {ns} namespace.\n")
        }));
    }
    let show_events = args.show_events;
    let texts: Vec<String> = futures::stream::iter(objects.clone())
        .map(|(res, obj)| {
            let ex = ex.clone();
            async move { describe_one(&ex, &res, &obj, show_events).await }
        })
        .buffered(6)
        .collect::<Vec<_>>()
        .await;
    let mut text = if by_prefix {
        texts.iter().map(|t| format!("{t}\n")).collect()
    } else {
        texts.join(SEPARATOR)
    };
    if more > 0 {
        text.push_str(&format!(
            "\n… {more} more objects not described (at most {MAX_OBJECTS} per query); narrow it with a name or -l\n"
        ));
    }
    Ok(Output {
        text,
        truncated: false,
        objects: objects
            .into_iter()
            .map(|(res, obj)| strip_secret(&res, obj))
            .collect(),
    })
}

/// Resolve the type; for HPAs prefer the richest served version, as kubectl's describer does
/// (autoscaling/v2, then v2beta2, then v1).
async fn resolve_for_describe(ex: &Executor, input: &str) -> Result<ApiResource, ExecError> {
    let res = ex.resolve(input).await?;
    if render::family(&res.group, &res.kind) == Family::HorizontalPodAutoscaler {
        let d = discovery(ex).await?;
        for v in ["v2", "v2beta2", "v1"] {
            if let Some(r) = d
                .resources
                .iter()
                .find(|r| r.group == "autoscaling" && r.version == v && r.name == res.name)
            {
                return Ok(r.clone());
            }
        }
    }
    Ok(res)
}

pub(crate) async fn discovery(ex: &Executor) -> Result<std::sync::Arc<Discovery>, ExecError> {
    ex.cluster()
        .discovery()
        .await
        .map_err(|e| super::error::from_kube(e, ex.cluster()))
}

/// The objects a target names: one by name (else by name prefix, as kubectl), or a list;
/// and whether they were matched by prefix.
async fn find_objects(
    ex: &Executor,
    res: &ApiResource,
    namespace: Option<&str>,
    target: &ResourceRef,
    args: &DescribeArgs,
) -> Result<(Vec<Value>, bool), ExecError> {
    let cluster = ex.cluster();
    match &target.name {
        Some(name) => {
            let ns = if res.namespaced {
                Some(namespace.unwrap_or(cluster.namespace()))
            } else {
                None
            };
            match api::get_json(cluster, &res.object_path(ns, name), ACCEPT_JSON).await {
                Ok(obj) => Ok((vec![obj], false)),
                Err(ExecError::NotFound { message }) => {
                    let list = list_items(ex, &res.collection_path(ns), &[]).await?;
                    let matched: Vec<Value> = list
                        .into_iter()
                        .filter(|o| {
                            o.pointer("/metadata/name")
                                .and_then(Value::as_str)
                                .is_some_and(|n| n.starts_with(name.as_str()))
                        })
                        .collect();
                    if matched.is_empty() {
                        Err(ExecError::NotFound { message })
                    } else {
                        Ok((matched, true))
                    }
                }
                Err(e) => Err(e),
            }
        }
        None => {
            let mut params = Vec::new();
            if let Some(sel) = &args.label_selector {
                params.push(("labelSelector", sel.clone()));
            }
            let ns = if res.namespaced { namespace } else { None };
            Ok((
                list_items(ex, &res.collection_path(ns), &params).await?,
                false,
            ))
        }
    }
}

/// List a collection (following `continue`), returning its items sanitized (like every
/// object a renderer may print: `rollout history`'s pod templates, related pods, events);
/// a listing past the read bound ([`api::MAX_LIST_BYTES`]) is an output-cap error.
pub(crate) async fn list_items(
    ex: &Executor,
    path: &str,
    params: &[(&str, String)],
) -> Result<Vec<Value>, ExecError> {
    let mut items = Vec::new();
    let listed = api::list_pages(ex.cluster(), path, params, ACCEPT_JSON, 500, |mut v| {
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let api_version = v.get("apiVersion").cloned();
        if let Some(Value::Array(list)) = v.get_mut("items").map(Value::take) {
            for mut item in list {
                // List items carry no kind/apiVersion; restore them from the list's.
                if let Some(obj) = item.as_object_mut() {
                    if !obj.contains_key("kind")
                        && let Some(k) = kind.strip_suffix("List")
                    {
                        obj.insert("kind".into(), Value::String(k.to_string()));
                    }
                    if !obj.contains_key("apiVersion")
                        && let Some(av) = &api_version
                    {
                        obj.insert("apiVersion".into(), av.clone());
                    }
                }
                crate::render::sanitize::sanitize(&mut item);
                items.push(item);
            }
        }
        true
    })
    .await?;
    match listed {
        api::Listed::Complete => Ok(items),
        api::Listed::ReadBound => Err(api::read_bound_error(path)),
    }
}

fn meta<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.pointer(&format!("/metadata/{field}"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Events about an object, by the `involvedObject` field selector kubectl builds.
pub(crate) async fn events_for(
    ex: &Executor,
    namespace: &str,
    name: &str,
    kind: Option<&str>,
    uid: Option<&str>,
) -> Result<Vec<Value>, ExecError> {
    let mut sel = vec![
        format!("involvedObject.name={name}"),
        format!("involvedObject.namespace={namespace}"),
    ];
    if let Some(k) = kind {
        sel.push(format!("involvedObject.kind={k}"));
    }
    if let Some(u) = uid {
        sel.push(format!("involvedObject.uid={u}"));
    }
    let path = if namespace.is_empty() {
        "/api/v1/events".to_string()
    } else {
        format!("/api/v1/namespaces/{namespace}/events")
    };
    list_items(ex, &path, &[("fieldSelector", sel.join(","))]).await
}

/// Events as the describer shows them for this object (kind omitted for pods, as kubectl;
/// nodes also by name, since kubelets report with the node name as uid).
async fn object_events(ex: &Executor, res: &ApiResource, obj: &Value) -> Vec<Value> {
    let (ns, name) = (meta(obj, "namespace"), meta(obj, "name"));
    let family = render::family(&res.group, &res.kind);
    let mut uid = meta(obj, "uid").to_string();
    if family == Family::Pod
        && let Some(mirror) = obj
            .pointer("/metadata/annotations/kubernetes.io~1config.mirror")
            .and_then(Value::as_str)
    {
        uid = mirror.to_string();
    }
    let kind = (family != Family::Pod).then_some(res.kind.as_str());
    let mut events = events_for(ex, ns, name, kind, Some(&uid))
        .await
        .unwrap_or_default();
    if family == Family::Node {
        events.extend(
            events_for(ex, ns, name, kind, Some(name))
                .await
                .unwrap_or_default(),
        );
    }
    events
}

fn selector_param(obj: &Value) -> Option<String> {
    let sel = obj.pointer("/spec/selector")?;
    let s = crate::render::describe::writer::selector_string(Some(sel));
    (!s.is_empty()).then_some(s)
}

fn err_text(e: ExecError) -> String {
    match e {
        ExecError::NotFound { message }
        | ExecError::Forbidden { message }
        | ExecError::Api { message, .. } => message,
        other => other.to_string(),
    }
}

async fn describe_one(ex: &Executor, res: &ApiResource, obj: &Value, show_events: bool) -> String {
    let family = render::family(&res.group, &res.kind);
    let ns = meta(obj, "namespace").to_string();
    let mut rel = Related {
        api_version: res.api_version(),
        ..Default::default()
    };
    if show_events && family != Family::Secret {
        rel.events = Some(object_events(ex, res, obj).await);
    }
    let pods_path = format!("/api/v1/namespaces/{ns}/pods");
    match family {
        Family::Deployment => {
            let mut params = Vec::new();
            if let Some(sel) = selector_param(obj) {
                params.push(("labelSelector", sel));
            }
            let path = format!("/apis/{}/namespaces/{ns}/replicasets", res.api_version());
            rel.replica_sets = list_items(ex, &path, &params).await.unwrap_or_default();
        }
        Family::ReplicaSet | Family::StatefulSet | Family::DaemonSet => {
            let mut params = Vec::new();
            if let Some(sel) = selector_param(obj) {
                params.push(("labelSelector", sel));
            }
            rel.pods = Some(list_items(ex, &pods_path, &params).await.map_err(err_text));
        }
        Family::ServiceAccount => {
            // Only names, types and annotations are read; values never leave this function.
            rel.secrets = list_items(ex, &format!("/api/v1/namespaces/{ns}/secrets"), &[])
                .await
                .ok();
        }
        Family::PersistentVolumeClaim => {
            rel.pods = Some(list_items(ex, &pods_path, &[]).await.map_err(err_text));
        }
        Family::Service => {
            rel.endpoints = Some(service_endpoints(ex, &ns, meta(obj, "name")).await);
        }
        Family::Ingress => {
            let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
            let mut names: Vec<String> = Vec::new();
            let mut backends: Vec<&Value> = Vec::new();
            for key in ["defaultBackend", "backend"] {
                if let Some(b) = spec.get(key) {
                    backends.push(b);
                }
            }
            for rule in spec
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for path in rule
                    .pointer("/http/paths")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(b) = path.get("backend") {
                        backends.push(b);
                    }
                }
            }
            for b in backends {
                if let Some(n) = render::network::backend_service_name(b)
                    && !names.iter().any(|x| x == n)
                {
                    names.push(n.to_string());
                }
            }
            for n in names {
                let svc = api::get_json(
                    ex.cluster(),
                    &format!("/api/v1/namespaces/{ns}/services/{n}"),
                    ACCEPT_JSON,
                )
                .await;
                let entry = match svc {
                    Ok(svc) => Ok((svc, service_endpoints(ex, &ns, &n).await)),
                    Err(e) => Err(err_text(e)),
                };
                rel.backends.insert(n, entry);
            }
        }
        Family::Node => {
            let name = meta(obj, "name");
            let sel = format!("spec.nodeName={name},status.phase!=Succeeded,status.phase!=Failed");
            rel.pods = Some(
                list_items(ex, "/api/v1/pods", &[("fieldSelector", sel)])
                    .await
                    .map_err(err_text),
            );
            let lease = api::get_json(
                ex.cluster(),
                &format!("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}"),
                ACCEPT_JSON,
            )
            .await;
            rel.lease = Some(lease.map_err(err_text));
        }
        Family::Namespace => {
            let name = meta(obj, "name");
            rel.quotas = list_items(
                ex,
                &format!("/api/v1/namespaces/{name}/resourcequotas"),
                &[],
            )
            .await
            .ok();
            rel.limit_ranges =
                list_items(ex, &format!("/api/v1/namespaces/{name}/limitranges"), &[])
                    .await
                    .ok();
        }
        _ => {}
    }
    render::describe(family, obj, &rel)
}

/// A service's endpoints: EndpointSlices when the server serves discovery.k8s.io/v1, else
/// the core Endpoints object (old servers), so the addresses are right on both.
async fn service_endpoints(ex: &Executor, ns: &str, name: &str) -> Vec<render::EpSlice> {
    let serves_v1_slices = discovery(ex).await.is_ok_and(|d| {
        d.resources.iter().any(|r| {
            r.group == "discovery.k8s.io" && r.version == "v1" && r.name == "endpointslices"
        })
    });
    if serves_v1_slices {
        let path = format!("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices");
        if let Ok(items) = list_items(
            ex,
            &path,
            &[(
                "labelSelector",
                format!("kubernetes.io/service-name={name}"),
            )],
        )
        .await
        {
            return slices_from_endpoint_slices(&items);
        }
    }
    match api::get_json(
        ex.cluster(),
        &format!("/api/v1/namespaces/{ns}/endpoints/{name}"),
        ACCEPT_JSON,
    )
    .await
    {
        Ok(ep) => slices_from_endpoints(&ep),
        Err(_) => Vec::new(),
    }
}

/// Secrets leave the executor with their keys only: each value is replaced by its size.
fn strip_secret(res: &ApiResource, mut obj: Value) -> Value {
    if res.group.is_empty()
        && res.kind == "Secret"
        && let Some(data) = obj.get_mut("data").and_then(Value::as_object_mut)
    {
        for v in data.values_mut() {
            if !v.as_str().is_some_and(|s| s.starts_with("<redacted")) {
                let len = v
                    .as_str()
                    .map(crate::render::describe::config::base64_len)
                    .unwrap_or(0);
                *v = Value::String(format!("<{len} bytes>"));
            }
        }
    }
    if let Some(o) = obj.as_object_mut() {
        o.remove("stringData");
    }
    obj
}
