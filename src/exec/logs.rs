//! `logs` through the `pods/log` subresource (a GET): one pod, a controller's pod (picked as
//! kubectl picks it, saying `Found N pods, using pod/x`), or a bounded number of pods by
//! label. Logs are streamed; only the most recent lines within the output cap are kept, so
//! memory stays bounded however long the log is.

use std::collections::VecDeque;

use futures::{AsyncBufReadExt, AsyncReadExt};
use serde_json::Value;

use super::api;
use super::describe::list_items;
use super::{ExecError, Executor, Output};
use crate::query::{LogsArgs, Scope};
use crate::render::describe::writer::{arr, get, i, s, selector_string};

/// kubectl's default `--tail` when a selector is given.
const SELECTOR_DEFAULT_TAIL: i64 = 10;

pub async fn run(ex: &Executor, scope: &Scope, args: &LogsArgs) -> Result<Output, ExecError> {
    let ns = ex
        .namespace_for(scope)
        .unwrap_or_else(|| ex.cluster().namespace().to_string());
    let mut notes: Vec<String> = Vec::new();
    let mut pods: Vec<Value> = Vec::new();
    let mut tail = args.tail;
    if let Some(sel) = &args.label_selector {
        if tail.is_none() {
            tail = Some(SELECTOR_DEFAULT_TAIL);
        }
        let path = format!("/api/v1/namespaces/{ns}/pods");
        let mut all = list_items(ex, &path, &[("labelSelector", sel.clone())]).await?;
        if all.is_empty() {
            return Ok(Output::text(format!(
                "No resources found in {ns} namespace.\n"
            )));
        }
        let max = args.max_log_requests.max(1) as usize;
        if all.len() > max {
            notes.push(format!(
                "… {} pods match; showing the first {max} (--max-log-requests={max})",
                all.len()
            ));
            all.truncate(max);
        }
        pods = all;
    } else if let Some(target) = &args.target {
        let name = target.name.clone().unwrap_or_default();
        let res = ex.resolve(&target.resource).await?;
        if res.group.is_empty() && res.kind == "Pod" {
            let path = format!("/api/v1/namespaces/{ns}/pods/{name}");
            pods.push(api::get_json(ex.cluster(), &path, api::ACCEPT_JSON).await?);
        } else {
            let obj_path = res.object_path(Some(&ns), &name);
            let obj = api::get_json(ex.cluster(), &obj_path, api::ACCEPT_JSON).await?;
            let selector = controller_selector(&obj).ok_or_else(|| ExecError::Unsupported {
                what: format!(
                    "cannot get the logs of {}/{name}: it has no pod selector",
                    res.kind.to_lowercase()
                ),
            })?;
            let path = format!("/api/v1/namespaces/{ns}/pods");
            let mut candidates = list_items(ex, &path, &[("labelSelector", selector)]).await?;
            if candidates.is_empty() {
                return Err(ExecError::NotFound {
                    message: format!(
                        "no pods found for {}/{name} in namespace {ns}",
                        res.kind.to_lowercase()
                    ),
                });
            }
            sort_by_logging(&mut candidates);
            let count = candidates.len();
            let first = candidates.swap_remove(0);
            if count > 1 {
                notes.push(format!(
                    "Found {count} pods, using pod/{}",
                    s(&first, &["metadata", "name"])
                ));
            }
            pods.push(first);
        }
    }
    // Which containers of which pods.
    let mut streams: Vec<(String, String)> = Vec::new();
    for pod in &pods {
        let pod_name = s(pod, &["metadata", "name"]).to_string();
        for c in containers_for(pod, args, &mut notes)? {
            streams.push((pod_name.clone(), c));
        }
    }
    let cap = ex.cap();
    let n = streams.len().max(1);
    let line_budget = (cap.max_lines.saturating_sub(notes.len() + 2 * n) / n).max(1);
    let byte_budget = (cap.max_bytes.saturating_sub(512 * n) / n).max(256);
    let mut text = String::new();
    let mut truncated = false;
    for note in &notes {
        text.push_str(note);
        text.push('\n');
    }
    for (pod, container) in &streams {
        let prefix = if args.prefix {
            format!("[pod/{pod}/{container}] ")
        } else {
            String::new()
        };
        let path = log_path(&ns, pod, container, args, tail);
        let tailq = stream_tail(ex, &path, line_budget, byte_budget).await?;
        if tailq.dropped_lines > 0 {
            truncated = true;
            text.push_str(&format!(
                "… {} earlier lines ({} bytes) of pod/{pod}/{container} not shown (output cap); narrow with --tail, --since or --limit-bytes\n",
                crate::render::cap::thousands(tailq.dropped_lines),
                crate::render::cap::thousands(tailq.dropped_bytes),
            ));
        }
        for line in tailq.lines {
            text.push_str(&prefix);
            text.push_str(&line);
            if !line.ends_with('\n') {
                text.push('\n');
            }
        }
    }
    Ok(Output {
        text,
        truncated,
        objects: Vec::new(),
    })
}

/// The selector of a workload or service whose pods carry its logs.
fn controller_selector(obj: &Value) -> Option<String> {
    let sel = get(obj, &["spec", "selector"])?;
    let text = if sel.get("matchLabels").is_some() || sel.get("matchExpressions").is_some() {
        selector_string(Some(sel))
    } else {
        // Services and ReplicationControllers: a plain map.
        let mut pairs: Vec<String> = sel
            .as_object()?
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        pairs.sort();
        pairs.join(",")
    };
    (!text.is_empty()).then_some(text)
}

/// kubectl's `podutils.ByLogging`: scheduled first, Running before Unknown before Pending,
/// ready first, ready longest first, most restarts first, oldest first.
fn sort_by_logging(pods: &mut [Value]) {
    let phase_rank = |p: &Value| match s(p, &["status", "phase"]) {
        "Unknown" => 1,
        "Pending" => 2,
        _ => 0,
    };
    let ready_since = |p: &Value| -> Option<String> {
        arr(p, &["status", "conditions"])
            .iter()
            .find(|c| s(c, &["type"]) == "Ready" && s(c, &["status"]) == "True")
            .map(|c| s(c, &["lastTransitionTime"]).to_string())
    };
    let restarts = |p: &Value| {
        arr(p, &["status", "containerStatuses"])
            .iter()
            .map(|c| i(c, &["restartCount"]))
            .max()
            .unwrap_or(0)
    };
    pods.sort_by(|a, b| {
        let unscheduled = |p: &Value| s(p, &["spec", "nodeName"]).is_empty();
        unscheduled(a)
            .cmp(&unscheduled(b))
            .then(phase_rank(a).cmp(&phase_rank(b)))
            .then(ready_since(b).is_some().cmp(&ready_since(a).is_some()))
            .then_with(|| match (ready_since(a), ready_since(b)) {
                (Some(x), Some(y)) => empty_last(&x, &y),
                _ => std::cmp::Ordering::Equal,
            })
            .then(restarts(b).cmp(&restarts(a)))
            .then_with(|| {
                empty_last(
                    s(a, &["metadata", "creationTimestamp"]),
                    s(b, &["metadata", "creationTimestamp"]),
                )
            })
    });
}

/// Earlier timestamps first, empty ones last.
fn empty_last(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ => a.cmp(b),
    }
}

/// The containers to read: `-c`, all of them, or the default one (kubectl's annotation, else
/// the first, saying so as kubectl does).
fn containers_for(
    pod: &Value,
    args: &LogsArgs,
    notes: &mut Vec<String>,
) -> Result<Vec<String>, ExecError> {
    let pod_name = s(pod, &["metadata", "name"]);
    let names = |key: &str| -> Vec<String> {
        arr(pod, &["spec", key])
            .iter()
            .map(|c| s(c, &["name"]).to_string())
            .collect()
    };
    let (init, main, eph) = (
        names("initContainers"),
        names("containers"),
        names("ephemeralContainers"),
    );
    if args.all_containers {
        return Ok(init.into_iter().chain(main).chain(eph).collect());
    }
    if let Some(c) = &args.container {
        if init.iter().chain(&main).chain(&eph).any(|n| n == c) {
            return Ok(vec![c.clone()]);
        }
        return Err(ExecError::InvalidArgument {
            message: format!("container {c} is not valid for pod {pod_name}"),
        });
    }
    let annotated = s(
        pod,
        &[
            "metadata",
            "annotations",
            "kubectl.kubernetes.io/default-container",
        ],
    );
    if !annotated.is_empty() && main.iter().any(|n| n == annotated) {
        return Ok(vec![annotated.to_string()]);
    }
    match main.len() {
        0 => Err(ExecError::InvalidArgument {
            message: format!("pod {pod_name} has no containers"),
        }),
        1 => Ok(main),
        _ => {
            notes.push(format!(
                "Defaulted container \"{}\" out of: {}",
                main[0],
                main.join(", ")
            ));
            Ok(vec![main[0].clone()])
        }
    }
}

fn log_path(ns: &str, pod: &str, container: &str, args: &LogsArgs, tail: Option<i64>) -> String {
    let mut params: Vec<(&str, String)> = vec![("container", container.to_string())];
    if args.previous {
        params.push(("previous", "true".into()));
    }
    if let Some(t) = tail.filter(|t| *t >= 0) {
        params.push(("tailLines", t.to_string()));
    }
    if let Some(secs) = args.since_seconds {
        params.push(("sinceSeconds", secs.to_string()));
    }
    if let Some(t) = &args.since_time {
        params.push(("sinceTime", t.clone()));
    }
    if args.timestamps {
        params.push(("timestamps", "true".into()));
    }
    if let Some(lb) = args.limit_bytes {
        params.push(("limitBytes", lb.to_string()));
    }
    api::with_query(&format!("/api/v1/namespaces/{ns}/pods/{pod}/log"), &params)
}

/// The most recent lines of a stream within a line and byte budget.
struct Tail {
    lines: VecDeque<String>,
    dropped_lines: usize,
    dropped_bytes: usize,
}

/// Read a log stream to its end, keeping only the last lines that fit the budget.
async fn stream_tail(
    ex: &Executor,
    path: &str,
    max_lines: usize,
    max_bytes: usize,
) -> Result<Tail, ExecError> {
    let req =
        http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| ExecError::InvalidArgument {
                message: format!("invalid request path {path}: {e}"),
            })?;
    let reader = ex
        .cluster()
        .client
        .request_stream(req)
        .await
        .map_err(|e| super::error::from_kube(e, ex.cluster()))?;
    let mut reader = std::pin::pin!(reader);
    let mut tail = Tail {
        lines: VecDeque::new(),
        dropped_lines: 0,
        dropped_bytes: 0,
    };
    let mut kept_bytes = 0usize;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        buf.clear();
        // Long lines are cut so one line cannot exceed the budget.
        let n = (&mut reader)
            .take(max_bytes as u64)
            .read_until(b'\n', &mut buf)
            .await
            .map_err(|e| ExecError::Api {
                code: 0,
                reason: String::new(),
                message: format!("reading the log stream: {e}"),
            })?;
        if n == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buf).into_owned();
        kept_bytes += line.len();
        tail.lines.push_back(line);
        while tail.lines.len() > max_lines || kept_bytes > max_bytes {
            match tail.lines.pop_front() {
                Some(old) => {
                    kept_bytes -= old.len();
                    tail.dropped_lines += 1;
                    tail.dropped_bytes += old.len();
                }
                None => break,
            }
        }
    }
    Ok(tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn picks_pods_as_kubectl_does() {
        let mut pods = vec![
            json!({"metadata": {"name": "pending", "creationTimestamp": "2026-01-01T00:00:00Z"}, "spec": {}, "status": {"phase": "Pending"}}),
            json!({"metadata": {"name": "young", "creationTimestamp": "2026-01-03T00:00:00Z"}, "spec": {"nodeName": "n"}, "status": {"phase": "Running"}}),
            json!({"metadata": {"name": "crashy", "creationTimestamp": "2026-01-02T00:00:00Z"}, "spec": {"nodeName": "n"}, "status": {"phase": "Running",
                "containerStatuses": [{"restartCount": 7}]}}),
            json!({"metadata": {"name": "ready", "creationTimestamp": "2026-01-04T00:00:00Z"}, "spec": {"nodeName": "n"}, "status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-04T00:00:00Z"}]}}),
        ];
        sort_by_logging(&mut pods);
        let names: Vec<&str> = pods.iter().map(|p| s(p, &["metadata", "name"])).collect();
        assert_eq!(names, vec!["ready", "crashy", "young", "pending"]);
    }

    #[test]
    fn default_container_and_errors() {
        let pod = json!({"metadata": {"name": "web-1"}, "spec": {"containers": [{"name": "web"}, {"name": "sidecar"}], "initContainers": [{"name": "init"}]}});
        let mut args = LogsArgs {
            target: None,
            container: None,
            all_containers: false,
            previous: false,
            tail: None,
            since_seconds: None,
            since_time: None,
            timestamps: false,
            label_selector: None,
            max_log_requests: 5,
            prefix: false,
            limit_bytes: None,
        };
        let mut notes = Vec::new();
        assert_eq!(
            containers_for(&pod, &args, &mut notes).ok(),
            Some(vec!["web".to_string()])
        );
        assert_eq!(
            notes,
            vec!["Defaulted container \"web\" out of: web, sidecar"]
        );
        args.all_containers = true;
        assert_eq!(
            containers_for(&pod, &args, &mut notes).ok(),
            Some(vec!["init".into(), "web".into(), "sidecar".into()])
        );
        args.all_containers = false;
        args.container = Some("nope".into());
        assert_eq!(
            containers_for(&pod, &args, &mut notes)
                .err()
                .map(|e| e.to_string()),
            Some("error: container nope is not valid for pod web-1".to_string())
        );
    }

    #[test]
    fn query_parameters() {
        let args = LogsArgs {
            target: None,
            container: None,
            all_containers: false,
            previous: true,
            tail: Some(5),
            since_seconds: Some(300),
            since_time: None,
            timestamps: true,
            label_selector: None,
            max_log_requests: 5,
            prefix: false,
            limit_bytes: Some(1000),
        };
        assert_eq!(
            log_path("shop", "web-1", "web", &args, args.tail),
            "/api/v1/namespaces/shop/pods/web-1/log?container=web&previous=true&tailLines=5&sinceSeconds=300&timestamps=true&limitBytes=1000"
        );
    }
}
