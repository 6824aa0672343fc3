//! The capability ladder against the scripted server: a stream closed or refused while tools
//! are sent → the same turn without streaming → JSON in the text → the offline planner for
//! that step; each step said once and remembered per endpoint in the cache file.

use klue::config::{LlmSettings, ToolMode};
use klue::planner::grounded::{GroundedPlanner, OFFLINE_MARK};
use klue::planner::llm::{Capabilities, LlmPlanner, Mode, Rung};
use klue::planner::{Action, Planner};
use serde_json::json;

use crate::openai::{OpenAiServer, Reply, call};
use crate::planner::{settings, step, symptom};

fn propose(cmd: &str) -> Reply {
    Reply::tools(
        "Checking.",
        vec![call(
            "propose_query",
            json!({"command": cmd, "reason": "r", "hypothesis": "h1"}),
        )],
    )
}

fn json_propose(cmd: &str) -> Reply {
    Reply::text(&format!(
        "Checking.\n```json\n{{\"actions\": [{{\"tool\": \"propose_query\", \"command\": \"{cmd}\"}}]}}\n```"
    ))
}

fn cached(server: &OpenAiServer, dir: &tempfile::TempDir) -> LlmSettings {
    let mut s = settings(server);
    s.capability_cache = Some(dir.path().join("klue").join("endpoints.json"));
    s
}

fn cache_of(dir: &tempfile::TempDir) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.path().join("klue").join("endpoints.json"))
        .expect("the capability cache was written");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn stream_closed_with_tools_gets_the_same_turn_unstreamed_and_is_remembered() {
    // As llama.cpp's Python server does: 200, then the stream closes with nothing in it.
    let server = OpenAiServer::start(vec![propose("get pods -n shop"), propose("get nodes")]).await;
    server.refuse_streamed_tools();
    let dir = tempfile::tempdir().unwrap();
    let mut planner = LlmPlanner::new(cached(&server, &dir)).unwrap();
    let (r, _) = step(&mut planner, &symptom("shop is down")).await;
    let s = r.unwrap();
    assert!(
        matches!(&s.actions[0], Action::Propose { command, .. } if command == "get pods -n shop")
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body["stream"], true);
    assert!(reqs[0].body["tools"].is_array());
    assert_eq!(reqs[1].body["stream"], false);
    assert!(
        reqs[1].body["tools"].is_array(),
        "still tools, only unstreamed"
    );
    let notices = planner.take_notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("closed the stream before the answer completed")
            && notices[0].contains("0 chunk(s)")
            && notices[0].contains("remembered"),
        "{notices:?}"
    );
    assert!(!notices[0].contains("is it running"), "{notices:?}");
    assert_eq!(planner.rung(), Rung::UnstreamedTools);
    let key = format!("{} klue-test-model", server.base_url());
    assert_eq!(cache_of(&dir)[&key]["no_stream_with_tools"], true);

    // The next session on this endpoint starts unstreamed, and says nothing again.
    let mut again = LlmPlanner::new(cached(&server, &dir)).unwrap();
    assert_eq!(again.rung(), Rung::UnstreamedTools);
    let (r, _) = step(&mut again, &symptom("shop is down")).await;
    r.unwrap();
    assert_eq!(server.requests().len(), 3);
    assert_eq!(server.requests()[2].body["stream"], false);
    assert!(again.take_notices().is_empty());
}

#[tokio::test]
async fn stream_refused_with_an_error_gets_the_same_turn_unstreamed() {
    let server = OpenAiServer::start(vec![
        Reply::status(400).body(
            r#"{"error":{"message":"Cannot use tools with stream mode","type":"invalid_request_error"}}"#,
        ),
        propose("get pods -A"),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    r.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs[1].body["stream"], false);
    let notices = planner.take_notices();
    assert!(
        notices[0].contains("refused to stream (HTTP 400: Cannot use tools with stream mode)"),
        "{notices:?}"
    );
}

#[tokio::test]
async fn tools_refused_gets_json_mode_and_is_remembered() {
    let server = OpenAiServer::start(vec![
        Reply::status(400).body(
            r#"{"error":{"message":"this model does not support tools","type":"api_error"}}"#,
        ),
        json_propose("get pods -A"),
        json_propose("get nodes"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut planner = LlmPlanner::new(cached(&server, &dir)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let s = r.unwrap();
    assert!(matches!(&s.actions[0], Action::Propose { command, .. } if command == "get pods -A"));
    assert_eq!(planner.mode(), Mode::Json);
    let notices = planner.take_notices();
    assert!(
        notices[0].contains("refused tool calls (HTTP 400: this model does not support tools)"),
        "{notices:?}"
    );
    let reqs = server.requests();
    assert!(reqs[1].body.get("tools").is_none());
    let mut again = LlmPlanner::new(cached(&server, &dir)).unwrap();
    assert_eq!(again.rung(), Rung::Json);
    assert_eq!(
        again.capabilities(),
        Capabilities {
            no_tools: true,
            ..Default::default()
        }
    );
    let (r, _) = step(&mut again, &symptom("x")).await;
    r.unwrap();
    assert!(server.requests()[2].body.get("tools").is_none());
}

#[tokio::test]
async fn unusable_tool_calls_get_json_mode_for_the_session() {
    let server = OpenAiServer::start(vec![
        Reply::tools("", vec![call("change-enabled", json!({"x": 1}))]),
        Reply::tools("", vec![call("change-enabled", json!({"x": 2}))]),
        json_propose("get pods -n shop"),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let s = r.unwrap();
    assert!(
        matches!(&s.actions[0], Action::Propose { command, .. } if command == "get pods -n shop")
    );
    assert_eq!(planner.rung(), Rung::Json);
    let notices = planner.take_notices();
    assert!(
        notices[0].contains("tool calls could not be used")
            && notices[0].contains("unknown tool `change_enabled`")
            && notices[0].contains("rest of this session"),
        "{notices:?}"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs[2].body.get("tools").is_none());
}

#[tokio::test]
async fn the_whole_ladder_down_to_the_offline_planner_in_one_step() {
    let server = OpenAiServer::start(vec![
        // Unstreamed with tools: refused.
        Reply::status(400).body(r#"{"error":{"message":"tools are not supported"}}"#),
        // JSON mode: nothing usable, twice (the second after the correction).
        Reply::text("I think the cluster is fine."),
        Reply::text("Still no JSON."),
    ])
    .await;
    server.refuse_streamed_tools();
    let mut s = settings(&server);
    s.tool_mode = ToolMode::Auto;
    let mut planner = GroundedPlanner::new(Box::new(LlmPlanner::new(s).unwrap()));
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let step = planner
        .next(&symptom("checkout in namespace shop is down"), &tx)
        .await
        .expect("the offline planner takes the step");
    assert!(step.text.starts_with(OFFLINE_MARK), "{}", step.text);
    assert!(
        step.actions
            .iter()
            .any(|a| matches!(a, Action::Propose { command, .. } if command.starts_with("get pods -n shop"))),
        "{:?}",
        step.actions
    );
    let notices = planner.take_notices();
    assert_eq!(notices.len(), 3, "{notices:#?}");
    assert!(notices[0].contains("closed the stream before the answer completed"));
    assert!(notices[1].contains("refused tool calls"));
    assert!(
        notices[2].contains("could not take this step")
            && notices[2].contains("offline planner takes it"),
        "{notices:?}"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[1].body["stream"], false);
    assert!(reqs[2].body.get("tools").is_none());
}

/// Every request caps the reply's length: a weak local model that rambles would otherwise
/// generate until its context window is full (on a CPU, minutes per reply). A server that
/// refuses the cap gets the same turn without it, said once and remembered.
#[tokio::test]
async fn replies_are_capped_and_a_refused_cap_is_dropped_and_remembered() {
    let server = OpenAiServer::start(vec![
        propose("get pods -n shop"),
        Reply::status(400).body(
            r#"{"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}}"#,
        ),
        propose("get nodes"),
        propose("get events -n shop"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut planner = LlmPlanner::new(cached(&server, &dir)).unwrap();
    let (r, _) = step(&mut planner, &symptom("shop is down")).await;
    r.unwrap();
    let cap = server.requests()[0].body["max_tokens"].as_u64();
    assert!(
        cap.is_some_and(|c| (256..=4096).contains(&c)),
        "{:#}",
        server.requests()[0].body
    );
    assert!(planner.take_notices().is_empty());

    // Another endpoint's answer: the cap is refused; the same turn goes on without it.
    let dir2 = tempfile::tempdir().unwrap();
    let mut planner = LlmPlanner::new(cached(&server, &dir2)).unwrap();
    let (r, _) = step(&mut planner, &symptom("shop is down")).await;
    let s = r.unwrap();
    assert!(matches!(&s.actions[0], Action::Propose { command, .. } if command == "get nodes"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs[1].body.get("max_tokens").is_some());
    assert!(
        reqs[2].body.get("max_tokens").is_none(),
        "{:#}",
        reqs[2].body
    );
    let notices = planner.take_notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("refused a cap on the reply's length")
            && notices[0].contains("Unsupported parameter: 'max_tokens'")
            && notices[0].contains("remembered"),
        "{notices:?}"
    );
    let key = format!("{} klue-test-model", server.base_url());
    assert_eq!(cache_of(&dir2)[&key]["no_reply_cap"], true);
    let mut again = LlmPlanner::new(cached(&server, &dir2)).unwrap();
    let (r, _) = step(&mut again, &symptom("shop is down")).await;
    r.unwrap();
    assert!(server.requests()[3].body.get("max_tokens").is_none());
    assert!(again.take_notices().is_empty());
}
