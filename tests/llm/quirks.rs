//! Model and server quirks against the scripted server: arguments as a JSON object or a
//! string, the legacy `function_call`, tool names with stray punctuation, `<think>` text kept
//! out of the answer, a context window read from `/v1/models`, and a max-tokens cut.

use klue::planner::llm::LlmPlanner;
use klue::planner::{Action, Outcome, Planner, Transcript, TranscriptEntry};
use serde_json::json;

use crate::openai::{OpenAiServer, Reply, call, raw_call};
use crate::planner::{settings, step, symptom};

fn proposes(actions: &[Action], cmd: &str) -> bool {
    actions
        .iter()
        .any(|a| matches!(a, Action::Propose { command, .. } if command == cmd))
}

#[tokio::test]
async fn arguments_as_an_object_or_a_string_streamed_and_whole() {
    let args = json!({"command": "get pods -n shop", "reason": "r", "hypothesis": "h"});
    for streamed in [true, false] {
        let server = OpenAiServer::start(vec![
            Reply::tools("", vec![call("propose_query", args.clone())]).object_arguments(),
            Reply::tools("", vec![call("propose_query", args.clone())]),
            // Encoded twice: a JSON string holding the JSON.
            Reply::tools(
                "",
                vec![raw_call(
                    "propose_query",
                    &serde_json::to_string(&args.to_string()).unwrap(),
                )],
            ),
        ])
        .await;
        let mut planner = LlmPlanner::new(settings(&server))
            .unwrap()
            .with_streaming(streamed);
        for _ in 0..3 {
            let (r, _) = step(&mut planner, &symptom("x")).await;
            let s = r.unwrap_or_else(|e| panic!("streamed={streamed}: {e}"));
            assert!(proposes(&s.actions, "get pods -n shop"), "{:?}", s.actions);
        }
        assert_eq!(server.requests().len(), 3, "no corrective retries");
    }
}

#[tokio::test]
async fn legacy_function_call_streamed_and_whole() {
    for streamed in [true, false] {
        let server = OpenAiServer::start(vec![
            Reply::tools(
                "",
                vec![call(
                    "propose_query",
                    json!({"command": "get nodes", "reason": "r", "hypothesis": "h"}),
                )],
            )
            .legacy_function_call(),
        ])
        .await;
        let mut planner = LlmPlanner::new(settings(&server))
            .unwrap()
            .with_streaming(streamed);
        let (r, _) = step(&mut planner, &symptom("x")).await;
        let s = r.unwrap_or_else(|e| panic!("streamed={streamed}: {e}"));
        assert!(proposes(&s.actions, "get nodes"), "{:?}", s.actions);
        assert!(server.requests()[0].raw.contains("\"stream\":"));
    }
}

#[tokio::test]
async fn tool_names_with_stray_punctuation() {
    // `propose_query:` is what llama.cpp's server really sends in `function_call`.
    let server = OpenAiServer::start(vec![Reply::tools(
        "",
        vec![
            call(
                "propose_query:",
                json!({"command": "get pods -A", "reason": "r", "hypothesis": "h"}),
            ),
            call(
                "`record-hypothesis`.",
                json!({"id": "h1", "statement": "a pod crashes", "status": "open"}),
            ),
            call("functions.conclude", json!({"root_cause": "x"})),
        ],
    )])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let s = r.unwrap();
    assert!(proposes(&s.actions, "get pods -A"));
    assert!(matches!(&s.actions[1], Action::Hypothesis(h) if h.statement == "a pod crashes"));
    assert!(matches!(&s.actions[2], Action::Conclude(c) if c.problems[0].cause == "x"));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn think_text_is_kept_out_of_the_answer() {
    let text = "<think>The user wants pods. I should be careful about secrets.</think>Checking the pods first.";
    for streamed in [true, false] {
        let server = OpenAiServer::start(vec![Reply::tools(
            text,
            vec![call("propose_query", json!({"command": "get pods -A"}))],
        )])
        .await;
        let mut planner = LlmPlanner::new(settings(&server))
            .unwrap()
            .with_streaming(streamed);
        let (r, deltas) = step(&mut planner, &symptom("x")).await;
        let s = r.unwrap();
        assert_eq!(s.text, "Checking the pods first.", "streamed={streamed}");
        assert!(!deltas.contains("careful"), "streamed={streamed}: {deltas}");
        assert!(!deltas.contains("think>"), "streamed={streamed}: {deltas}");
        assert!(deltas.contains("Checking the pods first."), "{deltas}");
    }
}

fn transcript_with_outputs(n: usize) -> Transcript {
    let mut entries = vec![TranscriptEntry::User {
        text: "shop is down".into(),
    }];
    for i in 0..n {
        let id = format!("call_{i}");
        entries.push(TranscriptEntry::Assistant {
            origin: Default::default(),
            text: String::new(),
            actions: vec![Action::Propose {
                call_id: id.clone(),
                command: format!("logs app-{i} -n shop"),
                reason: "r".into(),
                hypothesis: "h".into(),
            }],
        });
        entries.push(TranscriptEntry::Result {
            call_id: id,
            outcome: Outcome::Executed {
                command: format!("logs app-{i} -n shop"),
                condensed: format!("OUTPUT-{i} ") + &"a line of log output here\n".repeat(150),
                output: String::new(),
                error: None,
                objects: vec![],
            },
        });
    }
    Transcript {
        entries,
        ..Default::default()
    }
}

/// llama.cpp's `chatml-function-calling` template is rendered strictly: an assistant message
/// without a `content` key fails the whole request with a 500 (the real server test covers the
/// server itself). Every assistant message klue sends carries one, empty beside tool calls.
#[tokio::test]
async fn assistant_messages_with_tool_calls_carry_content() {
    let server = OpenAiServer::start(vec![Reply::text("done")]).await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &transcript_with_outputs(2)).await;
    r.unwrap();
    let msgs = server.requests()[0].messages();
    let assistants: Vec<&serde_json::Value> =
        msgs.iter().filter(|m| m["role"] == "assistant").collect();
    assert_eq!(assistants.len(), 2, "{msgs:#?}");
    for m in assistants {
        assert!(m["tool_calls"].is_array(), "{m}");
        assert_eq!(m["content"], "", "{m}");
    }
}

#[tokio::test]
async fn the_context_window_the_server_reports_is_respected() {
    let t = transcript_with_outputs(8);
    let reply = || {
        Reply::tools(
            "",
            vec![call("propose_query", json!({"command": "get nodes"}))],
        )
    };
    // Reported: 6144 tokens for this model; the outputs alone are larger.
    let server = OpenAiServer::start(vec![reply()]).await;
    server.set_models(json!({"object": "list", "data": [
        {"id": "other-model", "max_model_len": 131072},
        {"id": "klue-test-model", "object": "model", "max_model_len": 6144}
    ]}));
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &t).await;
    r.unwrap();
    let sent = &server.requests()[0];
    let results = sent.tool_results();
    assert!(
        results[0]["output"].as_str().unwrap().contains("elided"),
        "the oldest output is elided: {:?}",
        results[0]
    );
    assert!(
        results[7]["output"].as_str().unwrap().contains("OUTPUT-7"),
        "the newest is kept"
    );
    assert!(sent.raw.len() / 4 < 6144, "{} bytes sent", sent.raw.len());
    let notices = planner.take_notices();
    assert!(
        notices[0].contains("context window of 6144 tokens"),
        "{notices:?}"
    );

    // Not reported (no /v1/models): the configured budget holds and nothing is elided.
    let server = OpenAiServer::start(vec![reply()]).await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &t).await;
    r.unwrap();
    let results = server.requests()[0].tool_results();
    assert!(
        results
            .iter()
            .all(|r| !r["output"].as_str().unwrap().contains("elided"))
    );
    assert!(planner.take_notices().is_empty());
}

/// A server that reports a window larger than the configured budget does not widen it; and
/// what was elided stays elided on the next step, so the start of the request (the part a
/// server's prompt cache holds) does not change from step to step.
#[tokio::test]
async fn the_configured_budget_holds_under_a_larger_window_and_elisions_stay() {
    let reply = || {
        Reply::tools(
            "",
            vec![call("propose_query", json!({"command": "get nodes"}))],
        )
    };
    let server = OpenAiServer::start(vec![reply(), reply()]).await;
    server.set_models(json!({"object": "list", "data": [
        {"id": "klue-test-model", "object": "model", "max_model_len": 131072}
    ]}));
    let mut s = settings(&server);
    s.context_tokens = 6_000;
    let mut planner = LlmPlanner::new(s).unwrap();
    let (r, _) = step(&mut planner, &transcript_with_outputs(8)).await;
    r.unwrap();
    let (r, _) = step(&mut planner, &transcript_with_outputs(9)).await;
    r.unwrap();
    let requests = server.requests();
    let elided = |i: usize| -> Vec<bool> {
        requests[i]
            .tool_results()
            .iter()
            .map(|r| r["output"].as_str().unwrap().contains("elided"))
            .collect()
    };
    let (first, second) = (elided(0), elided(1));
    assert!(first[0], "the configured 6,000 tokens hold: {first:?}");
    assert!(
        requests[0].raw.len() / 4 < 6_000,
        "{} bytes",
        requests[0].raw.len()
    );
    // Elided on the first step, elided on the second: the same start.
    for (i, e) in first.iter().enumerate() {
        assert!(
            !e || second[i],
            "output {i} came back: {first:?} then {second:?}"
        );
    }
    // Room was left: the newest outputs of both steps are whole.
    assert!(!first[7] && !second[8], "{first:?} {second:?}");
}

#[tokio::test]
async fn a_text_reply_cut_at_the_token_limit_is_continued() {
    let server = OpenAiServer::start(vec![
        Reply::text("The checkout pods crash because the data").finish("length"),
        Reply::text("base password is wrong."),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let s = r.unwrap();
    assert_eq!(
        s.text,
        "The checkout pods crash because the database password is wrong."
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let msgs = reqs[1].messages();
    let n = msgs.len();
    assert_eq!(msgs[n - 2]["role"], "assistant");
    assert!(
        msgs[n - 1]["content"]
            .as_str()
            .unwrap()
            .contains("cut off at the token limit")
    );
    let notices = planner.take_notices();
    assert!(
        notices[0].contains("finish_reason \"length\""),
        "{notices:?}"
    );
}

#[tokio::test]
async fn a_tool_call_cut_at_the_token_limit_is_reported_to_the_model_then_to_the_engineer() {
    let cut = || {
        Reply::tools(
            "",
            vec![raw_call("propose_query", "{\"command\": \"get po")],
        )
        .finish("length")
    };
    let server = OpenAiServer::start(vec![cut(), cut(), cut(), cut()]).await;
    let mut s = settings(&server);
    s.tool_mode = klue::config::ToolMode::Tools;
    let mut planner = LlmPlanner::new(s).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let e = r.unwrap_err();
    assert!(e.contains("finish_reason \"length\""), "{e}");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs[1].raw.contains("token limit"),
        "the correction says why"
    );
}
