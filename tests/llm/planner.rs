//! The LLM planner against the scripted OpenAI-protocol server: streaming, tool calls split
//! across chunks, message building, the JSON fallback.

use std::time::Duration;

use klue::config::{ApiKey, LlmSettings, ToolMode};
use klue::planner::llm::{LlmPlanner, Mode};
use klue::planner::{Action, Outcome, Planner, Step, Transcript, TranscriptEntry};
use klue::protocol::{Confidence, HypothesisStatus};
use serde_json::json;
use tokio::sync::mpsc;

use crate::openai::{OpenAiServer, Reply, call, raw_call};

pub fn settings(server: &OpenAiServer) -> LlmSettings {
    let mut s = LlmSettings::new(server.base_url(), "klue-test-model");
    s.api_key = Some(ApiKey::new("sk-test-key"));
    s.initial_backoff = Duration::from_millis(50);
    s.max_backoff = Duration::from_secs(5);
    s.connect_timeout = Duration::from_secs(2);
    s
}

/// Run one planner step, collecting the streamed deltas.
pub async fn step(planner: &mut LlmPlanner, t: &Transcript) -> (Result<Step, String>, String) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let r = planner.next(t, &tx).await.map_err(|e| e.to_string());
    drop(tx);
    let mut deltas = String::new();
    while let Some(d) = rx.recv().await {
        deltas.push_str(&d);
    }
    (r, deltas)
}

pub fn symptom(text: &str) -> Transcript {
    Transcript {
        entries: vec![TranscriptEntry::User { text: text.into() }],
        hints: vec![],
        namespace: None,
    }
}

#[tokio::test]
async fn streamed_tool_calls_become_actions() {
    let server = OpenAiServer::start(vec![Reply::tools(
        "The checkout pods may be crashing; let me look.",
        vec![
            call(
                "record_hypothesis",
                json!({"id": "h1", "statement": "checkout crashes on start", "status": "open", "evidence_for": [], "evidence_against": []}),
            ),
            call(
                "propose_query",
                json!({"command": "get pods -n shop", "reason": "see pod states", "hypothesis": "h1: checkout crashes on start"}),
            ),
        ],
    )])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, deltas) = step(&mut planner, &symptom("checkout returns 502")).await;
    let step = r.unwrap();
    assert_eq!(deltas, "The checkout pods may be crashing; let me look.");
    assert_eq!(step.text, deltas);
    assert_eq!(step.actions.len(), 2);
    let Action::Hypothesis(h) = &step.actions[0] else {
        panic!("{:?}", step.actions)
    };
    assert_eq!(h.id.0, "h1");
    assert_eq!(h.status, HypothesisStatus::Open);
    let Action::Propose {
        call_id, command, ..
    } = &step.actions[1]
    else {
        panic!()
    };
    assert_eq!(command, "get pods -n shop");
    assert!(call_id.starts_with("call_"), "{call_id}");
    let usage = step.usage.unwrap();
    assert!(usage.prompt_tokens > 0 && usage.session_total > 0);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let body = &reqs[0].body;
    assert_eq!(body["model"], "klue-test-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    let tools: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["propose_query", "record_hypothesis", "conclude"]);
    assert_eq!(reqs[0].authorization.as_deref(), Some("Bearer sk-test-key"));
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("read-only") || system.contains("Read-only"));
    assert_eq!(body["messages"][1]["content"], "checkout returns 502");
}

#[tokio::test]
async fn whole_replies_without_streaming() {
    let server = OpenAiServer::start(vec![Reply::tools(
        "Done.",
        vec![call(
            "conclude",
            json!({"root_cause": "bad image tag", "evidence": [{"text": "ErrImagePull", "executions": ["call_1"]}], "confidence": "high", "remediation": "fix the tag"}),
        )],
    )])
    .await;
    let mut planner = LlmPlanner::new(settings(&server))
        .unwrap()
        .with_streaming(false);
    let (r, deltas) = step(&mut planner, &symptom("x")).await;
    let step = r.unwrap();
    assert_eq!(deltas, "Done.");
    let Action::Conclude(c) = &step.actions[0] else {
        panic!()
    };
    assert_eq!(c.confidence, Confidence::High);
    assert_eq!(c.problems[0].evidence[0].executions[0].0, "call_1");
    assert_eq!(server.requests()[0].body["stream"], false);
}

#[tokio::test]
async fn transcript_outcomes_are_structured_tool_results() {
    let server = OpenAiServer::start(vec![Reply::text("Noted.")]).await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let propose = |id: &str, cmd: &str| Action::Propose {
        call_id: id.into(),
        command: cmd.into(),
        reason: "r".into(),
        hypothesis: "h1".into(),
    };
    let t = Transcript {
        entries: vec![
            TranscriptEntry::User {
                text: "api is down".into(),
            },
            TranscriptEntry::Assistant {
                origin: Default::default(),
                text: "Checking.".into(),
                actions: vec![
                    propose("call_a", "get pods -n shop"),
                    propose("call_b", "delete pod api-1 -n shop"),
                    propose("call_c", "logs api-1 -n shop"),
                    propose("call_d", "get pods -n shop"),
                ],
            },
            TranscriptEntry::Result {
                call_id: "call_a".into(),
                outcome: Outcome::Executed {
                    command: "get pods -n shop".into(),
                    condensed: "NAME READY STATUS\napi-1 0/1 CrashLoopBackOff".into(),
                    output: String::new(),
                    error: None,
                    objects: vec![],
                },
            },
            TranscriptEntry::Result {
                call_id: "call_b".into(),
                outcome: Outcome::Refused {
                    command: "delete pod api-1 -n shop".into(),
                    why: "`delete` changes the cluster; klue only reads".into(),
                },
            },
            TranscriptEntry::Result {
                call_id: "call_c".into(),
                outcome: Outcome::Rejected {
                    command: "logs api-1 -n shop".into(),
                    reason: Some("logs are huge, use --tail".into()),
                },
            },
            TranscriptEntry::Result {
                call_id: "call_d".into(),
                outcome: Outcome::Duplicate {
                    command: "get pods -n shop".into(),
                    condensed: "NAME READY STATUS\napi-1 0/1 CrashLoopBackOff".into(),
                },
            },
        ],
        hints: vec!["shop/api-1: CrashLoopBackOff (exit code 1)".into()],
        namespace: None,
    };
    let (r, _) = step(&mut planner, &t).await;
    r.unwrap();
    let req = &server.requests()[0];
    let msgs = req.messages();
    let roles: Vec<&str> = msgs.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        [
            "system",
            "user",
            "assistant",
            "tool",
            "tool",
            "tool",
            "tool"
        ]
    );
    assert!(
        msgs[0]["content"]
            .as_str()
            .unwrap()
            .contains("CrashLoopBackOff (exit code 1)")
    );
    let ids: Vec<&str> = msgs[2]["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["call_a", "call_b", "call_c", "call_d"]);
    for (m, id) in msgs[3..].iter().zip(&ids) {
        assert_eq!(m["tool_call_id"], *id);
    }
    let results = req.tool_results();
    assert_eq!(results[0]["status"], "executed");
    assert!(
        results[0]["output"]
            .as_str()
            .unwrap()
            .contains("CrashLoopBackOff")
    );
    assert_eq!(results[1]["status"], "refused");
    assert!(
        results[1]["why"]
            .as_str()
            .unwrap()
            .contains("klue only reads")
    );
    assert_eq!(results[2]["status"], "rejected");
    assert_eq!(results[2]["reason"], "logs are huge, use --tail");
    assert_eq!(results[3]["status"], "duplicate");
}

#[tokio::test]
async fn json_fallback_parses_leniently() {
    let server = OpenAiServer::start(vec![Reply::text(
        "I will check the pods first.\n```json\n{\"actions\": [{\"tool\": \"propose_query\", \"command\": \"get pods -n shop\", \"reason\": \"states\", \"hypothesis\": \"h1\",},],}\n```",
    )])
    .await;
    let mut s = settings(&server);
    s.tool_mode = ToolMode::Json;
    let mut planner = LlmPlanner::new(s).unwrap();
    let (r, deltas) = step(&mut planner, &symptom("shop is slow")).await;
    let step = r.unwrap();
    assert_eq!(step.text, "I will check the pods first.");
    assert!(
        !deltas.contains("actions"),
        "JSON leaked to the screen: {deltas}"
    );
    assert!(deltas.starts_with("I will check the pods first."));
    assert!(
        matches!(&step.actions[0], Action::Propose { command, .. } if command == "get pods -n shop")
    );
    let body = &server.requests()[0].body;
    assert!(body.get("tools").is_none() || body["tools"].is_null());
    assert!(
        body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("\"actions\"")
    );
}

#[tokio::test]
async fn json_fallback_retries_once_with_a_correction() {
    let server = OpenAiServer::start(vec![
        Reply::text("Let me think about it. Probably the pods."),
        Reply::text("{\"actions\": [{\"tool\": \"propose_query\", \"command\": \"get pods\"}]}"),
    ])
    .await;
    let mut s = settings(&server);
    s.tool_mode = ToolMode::Json;
    let mut planner = LlmPlanner::new(s).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let step = r.unwrap();
    assert_eq!(step.actions.len(), 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let last = reqs[1].messages();
    let n = last.len();
    assert_eq!(last[n - 2]["role"], "assistant");
    assert_eq!(
        last[n - 2]["content"],
        "Let me think about it. Probably the pods."
    );
    assert_eq!(last[n - 1]["role"], "user");
    assert!(
        last[n - 1]["content"]
            .as_str()
            .unwrap()
            .contains("could not be used")
    );
    // Usage covers both calls.
    assert!(step.usage.unwrap().prompt_tokens > 0);
}

#[tokio::test]
async fn json_fallback_gives_up_after_one_correction() {
    let server = OpenAiServer::start(vec![
        Reply::text("no json"),
        Reply::text("{\"actions\": [{\"tool\": \"propose_query\", broken"),
    ])
    .await;
    let mut s = settings(&server);
    s.tool_mode = ToolMode::Json;
    let mut planner = LlmPlanner::new(s).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let e = r.unwrap_err();
    assert!(
        e.contains("could not be used even after a corrective retry"),
        "{e}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn broken_tool_arguments_get_one_correction() {
    let server = OpenAiServer::start(vec![
        Reply::tools(
            "",
            vec![raw_call("propose_query", "{\"reason\": \"no command\"}")],
        ),
        Reply::tools(
            "",
            vec![raw_call("propose_query", "{\"command\": \"get nodes\",}")],
        ),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let step = r.unwrap();
    assert!(matches!(&step.actions[0], Action::Propose { command, .. } if command == "get nodes"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].raw.contains("needs a non-empty `command`"));
}

#[tokio::test]
async fn auto_mode_falls_back_to_json_when_tools_are_unsupported() {
    let server = OpenAiServer::start(vec![
        Reply::status(400).body(
            r#"{"error":{"message":"registry.ollama.ai/library/gemma:2b does not support tools","type":"api_error","param":null,"code":null}}"#,
        ),
        Reply::text("```json\n{\"actions\": [{\"tool\": \"propose_query\", \"command\": \"get pods -A\"}]}\n```"),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let step = r.unwrap();
    assert!(
        matches!(&step.actions[0], Action::Propose { command, .. } if command == "get pods -A")
    );
    assert_eq!(planner.mode(), Mode::Json);
    let reqs = server.requests();
    assert!(reqs[0].body["tools"].is_array());
    assert!(reqs[1].body.get("tools").is_none());
}

#[tokio::test]
async fn azure_deployment_path_and_key_header() {
    let server = OpenAiServer::start(vec![Reply::text("hello")]).await;
    let mut s = settings(&server);
    s.provider = klue::config::Provider::Azure;
    s.azure = Some(klue::config::AzureSettings {
        endpoint: server.root_url(),
        deployment: "gpt4o-prod".into(),
        api_version: "2024-10-21".into(),
    });
    let mut planner = LlmPlanner::new(s).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    assert_eq!(r.unwrap().text, "hello");
    let req = &server.requests()[0];
    assert!(
        req.path
            .starts_with("/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21"),
        "{}",
        req.path
    );
    assert_eq!(req.api_key_header.as_deref(), Some("sk-test-key"));
}

#[tokio::test]
async fn usage_is_counted_when_the_server_sends_none() {
    let server = OpenAiServer::start(vec![Reply::text("ok, looking").no_usage()]).await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("pods pending in shop")).await;
    let u = r.unwrap().usage.unwrap();
    // Counted with the tokenizer over the messages sent: close to the count of their JSON.
    let sent = klue::tokens::count(&server.requests()[0].body["messages"].to_string()) as u64;
    assert!(
        u.prompt_tokens >= sent * 9 / 10 && u.prompt_tokens <= sent * 12 / 10,
        "{u:?} vs {sent}"
    );
    assert_eq!(
        u.completion_tokens,
        klue::tokens::count("ok, looking") as u64
    );
    assert_eq!(u.session_total, u.prompt_tokens + u.completion_tokens);
}
