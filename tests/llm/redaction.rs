//! Redaction end to end: every secret of tests/corpus/secrets.txt is planted in cluster
//! objects (ConfigMap, Secret, Pod env and annotations, an Event) and container logs; a
//! scripted model asks for all of them; none may appear in any request the model server got.

use klue::planner::llm::LlmPlanner;
use klue::protocol::Event;
use klue::session::ApprovalPolicy;
use serde_json::{Value, json};

use crate::openai::{OpenAiServer, Reply, call};
use crate::planner::settings;
use crate::scenario;
use crate::support;

/// `(text to plant, secret value)` for every corpus line.
fn corpus() -> Vec<(String, String)> {
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

fn manifests(lines: &[(String, String)]) -> String {
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
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "llm-redact"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "planted-config", "namespace": "llm-redact"}, "data": data}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "planted-secret", "namespace": "llm-redact"}, "type": "Opaque", "stringData": data}),
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "planted-pod", "namespace": "llm-redact", "annotations": annotations},
               "spec": {"nodeName": "llm-node-1", "containers": [{"name": "app", "image": "shop/app:1", "env": env}]},
               "status": {"phase": "Running", "startTime": "${NOW-1h}",
                          "containerStatuses": [{"name": "app", "image": "shop/app:1", "imageID": "", "ready": true, "restartCount": 1,
                                                 "state": {"running": {"startedAt": "${NOW-10m}"}},
                                                 "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "${NOW-1h}", "finishedAt": "${NOW-10m}"}}}]}}),
        json!({"apiVersion": "v1", "kind": "Event",
               "metadata": {"name": "planted-pod.1", "namespace": "llm-redact"},
               "involvedObject": {"kind": "Pod", "name": "planted-pod", "namespace": "llm-redact"},
               "reason": "Unhealthy", "type": "Warning", "count": 3,
               "message": format!("probe failed: {}; {}", lines[0].0, lines[26].0),
               "firstTimestamp": "${NOW-20m}", "lastTimestamp": "${NOW-1m}",
               "source": {"component": "kubelet", "host": "llm-node-1"}}),
    ];
    objects
        .iter()
        .map(|o| serde_yaml::to_string(o).expect("yaml"))
        .collect::<Vec<_>>()
        .join("---\n")
}

fn log_of(lines: &[(String, String)], prefix: &str) -> String {
    lines
        .iter()
        .enumerate()
        .map(|(i, (t, _))| format!("2026-11-25T10:00:{:02}.000000000Z {prefix} {t}\n", i % 60))
        .collect()
}

#[tokio::test]
async fn no_planted_secret_reaches_the_model() {
    let env = support::testenv!();
    scenario::seed_shop(env);
    let lines = corpus();
    assert!(
        lines.len() >= 50,
        "the corpus holds {} secrets",
        lines.len()
    );
    let text = manifests(&lines);
    support::apply(env, &text).await.expect("plant the corpus");
    support::kubelet().set(
        "llm-redact",
        "planted-pod",
        "app",
        &log_of(&lines, "INFO"),
        Some(&log_of(&lines, "ERROR")),
    );

    let queries = [
        "logs planted-pod -n llm-redact",
        "logs planted-pod -n llm-redact --previous",
        "get configmap planted-config -n llm-redact -o yaml",
        "describe configmap planted-config -n llm-redact",
        "get pod planted-pod -n llm-redact -o json",
        "describe pod planted-pod -n llm-redact",
        "get secret planted-secret -n llm-redact -o yaml",
        "describe secret planted-secret -n llm-redact",
        "get events -n llm-redact",
    ];
    let proposals: Vec<_> = queries
        .iter()
        .map(|q| {
            call(
                "propose_query",
                json!({"command": q, "reason": "read everything", "hypothesis": "h1"}),
            )
        })
        .collect();
    let server = OpenAiServer::start(vec![
        Reply::tools("Reading the planted objects.", proposals),
        Reply::tools(
            "",
            vec![call(
                "conclude",
                json!({"root_cause": "none", "evidence": [], "confidence": "low", "remediation": "none"}),
            )],
        ),
    ])
    .await;
    let planner = LlmPlanner::new(settings(&server)).unwrap();
    let executor = scenario::executor(env).await;
    // The engineer's own message carries a secret too.
    let symptom = format!(
        "planted-pod in llm-redact misbehaves; it logs {} and {}",
        lines[44].0, lines[26].0
    );
    let events = scenario::run_session(
        planner,
        executor,
        ApprovalPolicy::AllReadOnly,
        &symptom,
        scenario::approve_all(),
    )
    .await;

    // Every query ran: the secrets really were on the model's path.
    let finished: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::ExecFinished(x) => Some(x),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), queries.len(), "{events:#?}");
    for x in &finished {
        assert!(x.error.is_none(), "`{}` failed: {:?}", x.command, x.error);
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    // The outputs did reach the model (keys, names, the non-secret parts of the lines).
    let second = &reqs[1].raw;
    assert!(second.contains("line-01") && second.contains("planted-config"));
    assert!(second.contains("CORPUS_07"));
    assert!(second.contains("connecting to postgres://shop:"));

    let mut leaks = Vec::new();
    for (i, r) in reqs.iter().enumerate() {
        // The raw body, and its strings decoded (JSON escapes removed).
        let decoded: String = r
            .messages()
            .iter()
            .map(|m| m["content"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
            .join("\n");
        for (line, secret) in &lines {
            if r.raw.contains(secret.as_str()) || decoded.contains(secret.as_str()) {
                let via: Vec<String> = r
                    .tool_results()
                    .iter()
                    .filter(|t| t.to_string().contains(secret.as_str()))
                    .map(|t| t["command"].as_str().unwrap_or("?").to_string())
                    .collect();
                leaks.push(format!(
                    "request {}: `{secret}` (from `{line}`) via {via:?}",
                    i + 1
                ));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} secret(s) reached the model:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}
