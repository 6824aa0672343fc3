//! Redaction end to end: every secret of tests/corpus/secrets.txt is planted in cluster
//! objects (ConfigMap, Secret, Pod env and annotations, an Event) and container logs; a
//! scripted model asks for all of them; none may appear in any request the model server got.

use klue::planner::llm::LlmPlanner;
use klue::protocol::Event;
use klue::session::ApprovalPolicy;
use serde_json::json;

use crate::openai::{OpenAiServer, Reply, call};
use crate::planner::settings;
use crate::planted::{Plant, corpus, log_of, restarted_once};
use crate::scenario;
use crate::support;

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
    let text = Plant {
        namespace: "llm-redact",
        pod: "planted-pod",
        node: "llm-node-1",
        pod_status: restarted_once(),
    }
    .manifests(&lines);
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
