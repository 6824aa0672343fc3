//! `top pods|nodes` from metrics.k8s.io, when discovery shows the cluster serves it.

use serde_json::Value;

use super::describe::list_items;
use super::{ExecError, Executor, Output};
use crate::query::{Scope, TopTarget};
use crate::render::describe::quantity::Quantity;
use crate::render::describe::tabwriter::align_table;
use crate::render::describe::writer::{arr, s, str_map};

pub async fn run(ex: &Executor, scope: &Scope, target: &TopTarget) -> Result<Output, ExecError> {
    // metrics-server may have been installed since the discovery was cached
    let d = ex
        .cluster()
        .discovery_where(|d| d.serves("metrics.k8s.io"))
        .await
        .map_err(|e| super::error::from_kube(e, ex.cluster()))?;
    let version = ["v1beta1", "v1"].into_iter().find(|v| {
        d.resources
            .iter()
            .any(|r| r.group == "metrics.k8s.io" && r.version == *v)
    });
    let Some(version) = version else {
        return Err(ExecError::MetricsUnavailable);
    };
    let base = format!("/apis/metrics.k8s.io/{version}");
    match target {
        TopTarget::Pods {
            name,
            label_selector,
            containers,
        } => {
            let ns = ex.namespace_for(scope);
            let path = match &ns {
                Some(ns) => format!("{base}/namespaces/{ns}/pods"),
                None => format!("{base}/pods"),
            };
            let mut params = Vec::new();
            if let Some(sel) = label_selector {
                params.push(("labelSelector", sel.clone()));
            }
            if let Some(n) = name {
                params.push(("fieldSelector", format!("metadata.name={n}")));
            }
            let metrics = list_items(ex, &path, &params).await?;
            if metrics.is_empty() {
                return Ok(Output::text(match (&ns, name) {
                    (_, Some(n)) => format!("error: metrics not available yet for pod {n}\n"),
                    (Some(ns), None) => format!("No resources found in {ns} namespace.\n"),
                    (None, None) => "No resources found\n".to_string(),
                }));
            }
            let text = pods_table(&metrics, ns.is_none(), *containers);
            Ok(Output {
                text,
                truncated: false,
                objects: metrics,
            })
        }
        TopTarget::Nodes {
            name,
            label_selector,
        } => {
            let mut params = Vec::new();
            if let Some(sel) = label_selector {
                params.push(("labelSelector", sel.clone()));
            }
            if let Some(n) = name {
                params.push(("fieldSelector", format!("metadata.name={n}")));
            }
            let nodes = list_items(ex, "/api/v1/nodes", &params).await?;
            let metrics = list_items(ex, &format!("{base}/nodes"), &params).await?;
            if nodes.is_empty() {
                return Ok(Output::text("No resources found\n"));
            }
            Ok(Output {
                text: nodes_table(&metrics, &nodes),
                truncated: false,
                objects: metrics,
            })
        }
    }
}

fn usage(list: &[(String, String)], key: &str) -> Quantity {
    list.iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| Quantity::parse(v))
        .unwrap_or(Quantity::zero())
}

fn cpu_mem(cpu: Quantity, mem: Quantity) -> (String, String) {
    (
        format!("{}m", cpu.milli_value()),
        format!("{}Mi", mem.value() / (1024 * 1024)),
    )
}

/// kubectl's pod metrics table (sorted by namespace and name).
pub fn pods_table(metrics: &[Value], all_namespaces: bool, containers: bool) -> String {
    let mut list: Vec<&Value> = metrics.iter().collect();
    list.sort_by(|a, b| {
        (
            s(a, &["metadata", "namespace"]),
            s(a, &["metadata", "name"]),
        )
            .cmp(&(
                s(b, &["metadata", "namespace"]),
                s(b, &["metadata", "name"]),
            ))
    });
    let mut text = String::new();
    if all_namespaces {
        text.push_str("NAMESPACE\t");
    }
    if containers {
        text.push_str("POD\t");
    }
    text.push_str("NAME\tCPU(cores)\tMEMORY(bytes)\t\n");
    for m in list {
        let ns = s(m, &["metadata", "namespace"]);
        let pod = s(m, &["metadata", "name"]);
        let mut rows: Vec<(String, Quantity, Quantity)> = Vec::new();
        if containers {
            for c in arr(m, &["containers"]) {
                let u = str_map(c, &["usage"]);
                rows.push((
                    s(c, &["name"]).to_string(),
                    usage(&u, "cpu"),
                    usage(&u, "memory"),
                ));
            }
        } else {
            let (mut cpu, mut mem) = (Quantity::zero(), Quantity::zero());
            for c in arr(m, &["containers"]) {
                let u = str_map(c, &["usage"]);
                cpu.add(&usage(&u, "cpu"));
                mem.add(&usage(&u, "memory"));
            }
            rows.push((pod.to_string(), cpu, mem));
        }
        for (name, cpu, mem) in rows {
            if all_namespaces {
                text.push_str(&format!("{ns}\t"));
            }
            if containers {
                text.push_str(&format!("{pod}\t"));
            }
            let (c, m) = cpu_mem(cpu, mem);
            text.push_str(&format!("{name}\t{c}\t{m}\t\n"));
        }
    }
    align_table(&text)
}

/// kubectl's node metrics table: usage and percentage of allocatable, `<unknown>` for nodes
/// without metrics.
pub fn nodes_table(metrics: &[Value], nodes: &[Value]) -> String {
    let mut list: Vec<&Value> = metrics.iter().collect();
    list.sort_by(|a, b| s(a, &["metadata", "name"]).cmp(s(b, &["metadata", "name"])));
    let mut text = String::from("NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)\t\n");
    let mut seen = Vec::new();
    for m in list {
        let name = s(m, &["metadata", "name"]);
        let Some(node) = nodes.iter().find(|n| s(n, &["metadata", "name"]) == name) else {
            continue;
        };
        seen.push(name.to_string());
        let u = str_map(m, &["usage"]);
        let alloc = str_map(node, &["status", "allocatable"]);
        let (cpu, mem) = (usage(&u, "cpu"), usage(&u, "memory"));
        let (c, mm) = cpu_mem(cpu, mem);
        let pct = |q: Quantity, a: Quantity| {
            let den = a.milli_value();
            if den == 0 {
                0
            } else {
                (q.milli_value() as f64 / den as f64 * 100.0) as i64
            }
        };
        text.push_str(&format!(
            "{name}\t{c}\t{}%\t{mm}\t{}%\t\n",
            pct(cpu, usage(&alloc, "cpu")),
            pct(mem, usage(&alloc, "memory"))
        ));
    }
    let mut missing: Vec<&str> = nodes
        .iter()
        .map(|n| s(n, &["metadata", "name"]))
        .filter(|n| !seen.iter().any(|x| x == n))
        .collect();
    missing.sort();
    for name in missing {
        text.push_str(&format!("{name}\t<unknown>\t\t\t<unknown>\t\t\t\n"));
    }
    align_table(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_and_node_tables() {
        let pods = vec![json!({"metadata": {"name": "web-1", "namespace": "shop"},
            "containers": [{"name": "web", "usage": {"cpu": "1500000n", "memory": "5000Ki"}},
                           {"name": "sidecar", "usage": {"cpu": "250m", "memory": "1Mi"}}]})];
        assert_eq!(
            pods_table(&pods, false, false),
            "NAME    CPU(cores)   MEMORY(bytes)   \nweb-1   252m         5Mi             \n"
        );
        let nodes = vec![
            json!({"metadata": {"name": "a"}, "status": {"allocatable": {"cpu": "4", "memory": "8Gi"}}}),
            json!({"metadata": {"name": "b"}, "status": {"allocatable": {"cpu": "2", "memory": "4Gi"}}}),
        ];
        let metrics =
            vec![json!({"metadata": {"name": "a"}, "usage": {"cpu": "1", "memory": "2Gi"}})];
        assert_eq!(
            nodes_table(&metrics, &nodes),
            "NAME   CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)   \na      1000m        25%      2048Mi          25%         \nb      <unknown>                             <unknown>               \n"
        );
    }
}
