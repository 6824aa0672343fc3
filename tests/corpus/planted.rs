//! The secrets of tests/corpus/secrets.txt planted in cluster objects (ConfigMap, Secret, Pod
//! env and annotations, an Event) and in container logs, for redaction tests that check no
//! secret value comes out of klue.
#![allow(dead_code)]

use serde_json::{Value, json};

/// `(text to plant, secret value)` for every corpus line.
pub fn corpus() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/secrets.txt");
    let text = std::fs::read_to_string(path).expect("read tests/corpus/secrets.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let start = l.find("{{").expect("a {{secret}} on every line");
            let end = l.find("}}").expect("closing }}");
            let secret = l[start + 2..end].to_string();
            (l.replace("{{", "").replace("}}", ""), secret)
        })
        .collect()
}

/// Where the corpus is planted: `Namespace ns`, `ConfigMap planted-config`, `Secret
/// planted-secret`, `Pod <pod>` (on `node`, env and annotations) and one `Event` about the
/// pod. `pod_status` is the pod's status.
pub struct Plant<'a> {
    pub namespace: &'a str,
    pub pod: &'a str,
    pub node: &'a str,
    pub pod_status: Value,
}

impl Plant<'_> {
    /// The manifests (YAML documents), placeholders such as `${NOW-1h}` left for the seeder.
    pub fn manifests(&self, lines: &[(String, String)]) -> String {
        let (ns, pod) = (self.namespace, self.pod);
        let data: serde_json::Map<String, Value> = lines
            .iter()
            .enumerate()
            .map(|(i, (t, _))| (format!("line-{:02}", i + 1), json!(t)))
            .collect();
        let env: Vec<Value> = lines
            .iter()
            .enumerate()
            .map(|(i, (t, _))| json!({"name": format!("CORPUS_{:02}", i + 1), "value": t}))
            .collect();
        let annotations: serde_json::Map<String, Value> = lines
            .iter()
            .enumerate()
            .take(20)
            .map(|(i, (t, _))| (format!("corpus.klue.dev/line-{:02}", i + 1), json!(t)))
            .collect();
        let objects = [
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "planted-config", "namespace": ns}, "data": data}),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "planted-secret", "namespace": ns}, "type": "Opaque", "stringData": data}),
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": pod, "namespace": ns, "annotations": annotations},
                   "spec": {"nodeName": self.node, "containers": [{"name": "app", "image": "shop/app:1", "env": env}]},
                   "status": self.pod_status}),
            json!({"apiVersion": "v1", "kind": "Event",
                   "metadata": {"name": format!("{pod}.1"), "namespace": ns},
                   "involvedObject": {"kind": "Pod", "name": pod, "namespace": ns},
                   "reason": "Unhealthy", "type": "Warning", "count": 3,
                   "message": format!("probe failed: {}; {}", lines[0].0, lines[26].0),
                   "firstTimestamp": "${NOW-20m}", "lastTimestamp": "${NOW-1m}",
                   "source": {"component": "kubelet", "host": self.node}}),
        ];
        objects
            .iter()
            .map(|o| serde_yaml::to_string(o).expect("yaml"))
            .collect::<Vec<_>>()
            .join("---\n")
    }
}

/// A running pod that restarted once after exiting with code 1.
pub fn restarted_once() -> Value {
    json!({"phase": "Running", "startTime": "${NOW-1h}",
           "containerStatuses": [{"name": "app", "image": "shop/app:1", "imageID": "", "ready": true, "restartCount": 1,
                                  "state": {"running": {"startedAt": "${NOW-10m}"}},
                                  "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "${NOW-1h}", "finishedAt": "${NOW-10m}"}}}]})
}

/// A container log carrying every corpus line.
pub fn log_of(lines: &[(String, String)], prefix: &str) -> String {
    lines
        .iter()
        .enumerate()
        .map(|(i, (t, _))| format!("2026-11-25T10:00:{:02}.000000000Z {prefix} {t}\n", i % 60))
        .collect()
}
