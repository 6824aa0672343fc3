//! Writing cluster state as the admin: manifests (YAML or JSON, multi-document) applied
//! server-side, then `status` set through the status subresource. Namespaces go first, CRDs
//! next (waiting until established), then the rest in file order.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::ApiCapabilities;
use serde_json::{Value, json};

/// A client from a kubeconfig file (its current context).
pub async fn client_for(kubeconfig: &Path) -> Result<kube::Client, String> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)
        .map_err(|e| format!("read {}: {e}", kubeconfig.display()))?;
    let config =
        kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
            .await
            .map_err(|e| format!("load {}: {e}", kubeconfig.display()))?;
    kube::Client::try_from(config).map_err(|e| e.to_string())
}

/// What the placeholders in manifests stand for.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// `${KUBELET_PORT}`: the log stub's port.
    pub kubelet_port: u16,
}

/// Replaces `${KUBELET_PORT}`, `${NOW}` and `${NOW-<n>s|m|h|d}` (RFC 3339, seconds, UTC).
pub fn render(text: &str, vars: &Vars) -> String {
    let now = jiff::Timestamp::now();
    let re = regex::Regex::new(r"\$\{NOW(?:-(\d+)([smhd]))?\}").expect("static regex");
    let text = re.replace_all(text, |c: &regex::Captures<'_>| {
        let secs: i64 = match (c.get(1), c.get(2)) {
            (Some(n), Some(unit)) => {
                let n: i64 = n.as_str().parse().unwrap_or(0);
                n * match unit.as_str() {
                    "s" => 1,
                    "m" => 60,
                    "h" => 3600,
                    _ => 86400,
                }
            }
            _ => 0,
        };
        let t = now - jiff::SignedDuration::from_secs(secs);
        t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    });
    text.replace("${KUBELET_PORT}", &vars.kubelet_port.to_string())
}

/// Parses YAML (multi-document) or JSON (an object, an array, or a `List`) into objects.
pub fn parse_manifests(text: &str) -> Result<Vec<Value>, String> {
    let trimmed = text.trim_start();
    let mut docs = Vec::new();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("JSON: {e}"))?;
        docs.push(v);
    } else {
        for (i, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
            let v = <Value as serde::Deserialize>::deserialize(de)
                .map_err(|e| format!("YAML document {}: {e}", i + 1))?;
            docs.push(v);
        }
    }
    let mut out = Vec::new();
    let mut stack = docs;
    stack.reverse();
    while let Some(v) = stack.pop() {
        match v {
            Value::Null => {}
            Value::Array(items) => stack.extend(items.into_iter().rev()),
            Value::Object(ref m) if m.get("kind").and_then(Value::as_str) == Some("List") => {
                if let Some(Value::Array(items)) = m.get("items") {
                    stack.extend(items.iter().cloned().rev());
                }
            }
            Value::Object(_) => out.push(v),
            other => return Err(format!("not a Kubernetes object: {other}")),
        }
    }
    Ok(out)
}

/// Applies manifests (after [`render`] if they have placeholders); returns
/// `kind/namespace/name` of each object written.
pub async fn apply_manifests(client: &kube::Client, text: &str) -> Result<Vec<String>, String> {
    let objects = parse_manifests(text)?;
    apply_objects(client, objects).await
}

/// Applies every `*.yaml`, `*.yml` and `*.json` file in `dir` (sorted by name), rendering
/// placeholders with `vars`, as one batch (so namespaces and CRDs go first overall).
pub async fn apply_dir(
    client: &kube::Client,
    dir: &Path,
    vars: &Vars,
) -> Result<Vec<String>, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
        })
        .collect();
    files.sort();
    let mut objects = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("read {}: {e}", f.display()))?;
        objects.extend(
            parse_manifests(&render(&text, vars)).map_err(|e| format!("{}: {e}", f.display()))?,
        );
    }
    if vars.kubelet_port != 0 {
        for o in &mut objects {
            fill_node_endpoints(o, vars.kubelet_port);
        }
    }
    apply_objects(client, objects).await
}

/// Points a Node at the kubelet log stub (InternalIP 127.0.0.1, kubelet port) unless its
/// manifest says otherwise.
pub fn fill_node_endpoints(obj: &mut Value, port: u16) {
    if obj.get("kind").and_then(Value::as_str) != Some("Node") {
        return;
    }
    let Some(m) = obj.as_object_mut() else { return };
    let status = m.entry("status").or_insert_with(|| json!({}));
    let Some(status) = status.as_object_mut() else {
        return;
    };
    status
        .entry("addresses")
        .or_insert_with(|| json!([{"type": "InternalIP", "address": "127.0.0.1"}]));
    status
        .entry("daemonEndpoints")
        .or_insert_with(|| json!({"kubeletEndpoint": {"Port": port}}));
}

/// Applies parsed objects: namespaces, then CRDs (waiting until established), then the rest.
pub async fn apply_objects(
    client: &kube::Client,
    objects: Vec<Value>,
) -> Result<Vec<String>, String> {
    let kind_of = |v: &Value| {
        v.get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (namespaces, rest): (Vec<_>, Vec<_>) =
        objects.into_iter().partition(|o| kind_of(o) == "Namespace");
    let (crds, rest): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|o| kind_of(o) == "CustomResourceDefinition");
    let mut resolver = Resolver::default();
    let mut written = Vec::new();
    for o in namespaces.into_iter().chain(crds.iter().cloned()) {
        written.push(apply_one(client, &mut resolver, o).await?);
    }
    for crd in &crds {
        let name = crd
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        wait_crd_established(client, name).await?;
    }
    // Services with a written ClusterIP before any Service the apiserver gives a random one:
    // a random address can otherwise take one a later manifest names ("provided IP is
    // already allocated"), a failure that comes and goes with the draw.
    let fixed_ip = |o: &Value| {
        kind_of(o) == "Service"
            && o.pointer("/spec/clusterIP")
                .and_then(Value::as_str)
                .is_some_and(|ip| !ip.is_empty() && ip != "None")
    };
    let (fixed, rest): (Vec<_>, Vec<_>) = rest.into_iter().partition(|o| fixed_ip(o));
    for o in fixed.into_iter().chain(rest) {
        written.push(apply_one(client, &mut resolver, o).await?);
    }
    Ok(written)
}

#[derive(Default)]
struct Resolver {
    cache: HashMap<(String, String), (ApiResource, ApiCapabilities)>,
    /// `Kind/namespace/name` (namespace empty when cluster-scoped) → uid, of objects applied.
    uids: HashMap<String, String>,
}

impl Resolver {
    /// Fills the uids that manifests cannot know: `metadata.ownerReferences[].uid` and an
    /// Event's `involvedObject.uid`, from objects applied earlier in the batch.
    fn fill_uids(&self, obj: &mut Value) {
        let ns = obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let lookup = |kind: &str, ns: &str, name: &str| {
            self.uids
                .get(&format!("{kind}/{ns}/{name}"))
                .or_else(|| self.uids.get(&format!("{kind}//{name}")))
                .cloned()
        };
        if let Some(Value::Array(owners)) = obj.pointer_mut("/metadata/ownerReferences") {
            for o in owners {
                let kind = o
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let name = o
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if o.get("uid").is_none()
                    && let Some(uid) = lookup(&kind, &ns, &name)
                    && let Some(m) = o.as_object_mut()
                {
                    m.insert("uid".into(), Value::String(uid));
                }
            }
        }
        if let Some(inv) = obj.get_mut("involvedObject") {
            let kind = inv
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let name = inv
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let ins = inv
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if inv.get("uid").is_none()
                && let Some(uid) = lookup(&kind, &ins, &name)
                && let Some(m) = inv.as_object_mut()
            {
                m.insert("uid".into(), Value::String(uid));
            }
        }
    }
}

impl Resolver {
    async fn resolve(
        &mut self,
        client: &kube::Client,
        api_version: &str,
        kind: &str,
    ) -> Result<(ApiResource, ApiCapabilities), String> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(hit) = self.cache.get(&key) {
            return Ok(hit.clone());
        }
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let gvk = GroupVersionKind::gvk(group, version, kind);
        // A CRD just established may take a moment to show up in discovery.
        let mut last = String::new();
        for _ in 0..50 {
            match kube::discovery::pinned_kind(client, &gvk).await {
                Ok(found) => {
                    self.cache.insert(key, found.clone());
                    return Ok(found);
                }
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("{api_version} {kind} is not served: {last}"))
    }
}

async fn apply_one(
    client: &kube::Client,
    resolver: &mut Resolver,
    mut obj: Value,
) -> Result<String, String> {
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{kind} without metadata.name"))?
        .to_string();
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(str::to_string);
    resolver.fill_uids(&mut obj);
    let label = format!(
        "{kind}/{}{name}",
        ns.as_deref().map(|n| format!("{n}/")).unwrap_or_default()
    );
    let (ar, caps) = resolver.resolve(client, &api_version, &kind).await?;
    let has_status_sub = caps
        .subresources
        .iter()
        .any(|(sub, _)| sub.plural == "status");
    let status = if has_status_sub {
        obj.as_object_mut().and_then(|m| m.remove("status"))
    } else {
        None
    };
    let api: Api<DynamicObject> = match (&ns, caps.scope) {
        (Some(ns), kube::discovery::Scope::Namespaced) => {
            Api::namespaced_with(client.clone(), ns, &ar)
        }
        (None, kube::discovery::Scope::Namespaced) => {
            Api::namespaced_with(client.clone(), "default", &ar)
        }
        (_, kube::discovery::Scope::Cluster) => Api::all_with(client.clone(), &ar),
    };
    let pp = PatchParams::apply("klue-testenv").force();
    // Transport errors (a pooled connection the server closed, e.g. right after a CRD was
    // established) are retried; API errors are not.
    let mut attempt = 0;
    let applied = loop {
        match api.patch(&name, &pp, &Patch::Apply(&obj)).await {
            Ok(o) => break o,
            // Two tests applying the same object at once: the apiserver's server-side apply
            // creates it for one and answers AlreadyExists (or a conflict) to the other; the
            // same apply again patches the object the first one created.
            Err(kube::Error::Api(e)) if e.code == 409 && attempt < 5 => {
                attempt += 1;
                tracing::debug!("apply {label}: {e}; applying again");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(kube::Error::Api(e)) => return Err(format!("apply {label}: {e}")),
            Err(e) if attempt < 5 => {
                attempt += 1;
                tracing::debug!("apply {label}: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(format!("apply {label}: {e}")),
        }
    };
    if let Some(uid) = applied.metadata.uid {
        let key = format!("{kind}/{}/{name}", ns.as_deref().unwrap_or(""));
        resolver.uids.insert(key, uid);
    }
    if let Some(status) = status {
        let patch = Patch::Merge(json!({ "status": status }));
        let mut attempt = 0;
        loop {
            match api
                .patch_status(&name, &PatchParams::default(), &patch)
                .await
            {
                Ok(_) => break,
                Err(kube::Error::Api(e)) => return Err(format!("status of {label}: {e}")),
                Err(e) if attempt < 5 => {
                    attempt += 1;
                    tracing::debug!("status of {label}: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(format!("status of {label}: {e}")),
            }
        }
    }
    Ok(label)
}

async fn wait_crd_established(client: &kube::Client, name: &str) -> Result<(), String> {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for _ in 0..100 {
        if let Ok(crd) = api.get(name).await {
            let established = crd
                .status
                .and_then(|s| s.conditions)
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True");
            if established {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("CRD {name} not established after 10 s"))
}

/// Creates `count` Running pods named `<prefix>-<i>` in `ns` (created if missing), spread over
/// `nodes` node names, `concurrency` requests at a time. For scale tests and benchmarks.
pub async fn create_pods(
    client: &kube::Client,
    ns: &str,
    prefix: &str,
    count: usize,
    nodes: &[&str],
    concurrency: usize,
) -> Result<(), String> {
    use futures::StreamExt;
    use k8s_openapi::api::core::v1::{Namespace, Pod};
    use kube::api::PostParams;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns_obj: Namespace =
        serde_json::from_value(json!({"metadata": {"name": ns}})).map_err(|e| e.to_string())?;
    match namespaces.create(&PostParams::default(), &ns_obj).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 409 => {}
        Err(e) => return Err(format!("create namespace {ns}: {e}")),
    }
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let results: Vec<Result<(), String>> = futures::stream::iter(0..count)
        .map(|i| {
            let pods = pods.clone();
            let node = nodes.get(i % nodes.len().max(1)).copied().unwrap_or("node-1");
            async move {
                let name = format!("{prefix}-{i:05}");
                let pod: Pod = serde_json::from_value(json!({
                    "metadata": {"name": name, "labels": {"app": prefix, "shard": format!("s{}", i % 10)}},
                    "spec": {"nodeName": node, "containers": [{"name": "app", "image": "registry.local/app:1.0"}]}
                }))
                .map_err(|e| e.to_string())?;
                match pods.create(&PostParams::default(), &pod).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => return Err(format!("create pod {name}: {e}")),
                }
                let status = json!({"status": {
                    "phase": "Running",
                    "podIP": format!("10.244.{}.{}", (i / 250) % 250, i % 250 + 1),
                    "conditions": [{"type": "Ready", "status": "True"}],
                    "containerStatuses": [{"name": "app", "image": "registry.local/app:1.0", "imageID": "",
                        "ready": true, "restartCount": 0, "started": true,
                        "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}}]
                }});
                pods.patch_status(&name, &PatchParams::default(), &Patch::Merge(status))
                    .await
                    .map_err(|e| format!("status of pod {name}: {e}"))?;
                Ok(())
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}
