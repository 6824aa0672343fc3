//! `api-resources`, `api-versions`, `version`, `cluster-info`.

use serde_json::{Value, json};

use super::api::{self, ACCEPT_JSON};
use super::error::from_kube;
use super::{ExecError, Executor, Output};
use crate::cluster::Discovery;
use crate::query::OutputFormat;
use crate::render::table::tabwrite;
use crate::render::{json as json_out, yaml};

async fn discovery(ex: &Executor) -> Result<std::sync::Arc<Discovery>, ExecError> {
    ex.cluster()
        .discovery()
        .await
        .map_err(|e| from_kube(e, ex.cluster()))
}

pub async fn api_resources(
    ex: &Executor,
    namespaced: Option<bool>,
    group: Option<&str>,
    output: &OutputFormat,
) -> Result<Output, ExecError> {
    let d = discovery(ex).await?;
    let resources: Vec<_> = d
        .preferred_resources()
        .into_iter()
        .filter(|r| namespaced.is_none_or(|n| r.namespaced == n))
        .filter(|r| group.is_none_or(|g| r.group == g))
        .collect();
    let text = match output {
        OutputFormat::Name => resources
            .iter()
            .map(|r| format!("{}\n", r.qualified_name()))
            .collect(),
        OutputFormat::Table | OutputFormat::Wide => {
            let wide = *output == OutputFormat::Wide;
            let mut lines = vec![vec![
                "NAME".to_string(),
                "SHORTNAMES".into(),
                "APIVERSION".into(),
                "NAMESPACED".into(),
                "KIND".into(),
            ]];
            if wide {
                lines[0].push("VERBS".into());
                lines[0].push("CATEGORIES".into());
            }
            for r in &resources {
                let mut line = vec![
                    r.name.clone(),
                    r.short_names.join(","),
                    r.api_version(),
                    r.namespaced.to_string(),
                    r.kind.clone(),
                ];
                if wide {
                    line.push(r.verbs.join(","));
                    line.push(r.categories.join(","));
                }
                lines.push(line);
            }
            tabwrite(&lines)
        }
        other => {
            return Err(ExecError::Unsupported {
                what: format!(
                    "api-resources does not support the output format `-o {}`",
                    other.name()
                ),
            });
        }
    };
    Ok(Output::text(text))
}

pub async fn api_versions(ex: &Executor) -> Result<Output, ExecError> {
    let d = discovery(ex).await?;
    let text: String = d.api_versions().into_iter().map(|v| v + "\n").collect();
    Ok(Output::text(text))
}

fn client_version() -> Value {
    json!({
        "gitVersion": format!("klue-v{}", env!("CARGO_PKG_VERSION")),
    })
}

pub async fn version(ex: &Executor, output: &OutputFormat) -> Result<Output, ExecError> {
    let server = api::get_json(ex.cluster(), "/version", ACCEPT_JSON).await?;
    let git = server
        .get("gitVersion")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    let data = json!({"clientVersion": client_version(), "serverVersion": server});
    let text = match output {
        OutputFormat::Json => json_out::to_json_indented(&data, "  "),
        OutputFormat::Yaml => yaml::to_yaml(&data),
        _ => format!(
            "Client Version: klue v{}\nServer Version: {git}\n",
            env!("CARGO_PKG_VERSION")
        ),
    };
    Ok(Output {
        text,
        truncated: false,
        objects: vec![data],
    })
}

pub async fn cluster_info(ex: &Executor) -> Result<Output, ExecError> {
    let server = ex.cluster().info.server.clone();
    // Like kubectl: the control plane, then kube-system services labelled as cluster services.
    let path = api::with_query(
        "/api/v1/namespaces/kube-system/services",
        &[("labelSelector", "kubernetes.io/cluster-service=true".into())],
    );
    let services = api::get_json(ex.cluster(), &path, ACCEPT_JSON).await?;
    let mut text = format!("Kubernetes control plane is running at {server}\n");
    if let Some(items) = services.get("items").and_then(Value::as_array) {
        for s in items {
            let name = s
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let display = s
                .pointer("/metadata/labels/kubernetes.io~1name")
                .and_then(Value::as_str)
                .unwrap_or(name);
            let ports = s
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for p in ports {
                let port = p
                    .get("name")
                    .and_then(Value::as_str)
                    .map(String::from)
                    .or_else(|| p.get("port").map(|v| v.to_string()))
                    .unwrap_or_default();
                let link = if port.is_empty() {
                    name.to_string()
                } else {
                    format!("{name}:{port}")
                };
                text.push_str(&format!(
                    "{display} is running at {server}/api/v1/namespaces/kube-system/services/{link}/proxy\n"
                ));
            }
        }
    }
    text.push_str(
        "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n",
    );
    Ok(Output::text(text))
}
