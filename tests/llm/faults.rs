//! Faults against the scripted server: a bad key, rate limits, server errors, a stream cut
//! mid-answer, a context-length error, an unreachable endpoint, cancellation.

use std::time::{Duration, Instant};

use klue::config::{ApiKey, LlmSettings};
use klue::planner::llm::LlmPlanner;
use klue::planner::{Action, Outcome, Transcript, TranscriptEntry};
use serde_json::json;

use crate::openai::{OpenAiServer, Reply, call, unused_addr};
use crate::planner::{settings, step, symptom};

fn ok_reply() -> Reply {
    Reply::tools(
        "Looking at the pods.",
        vec![call(
            "propose_query",
            json!({"command": "get pods -n shop", "reason": "r", "hypothesis": "h1"}),
        )],
    )
}

#[tokio::test]
async fn bad_key_names_the_variable_to_set() {
    let server = OpenAiServer::start(vec![Reply::status(401)]).await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    assert_eq!(
        r.unwrap_err(),
        "the model server rejected the API key (401): set OPENAI_API_KEY (or api_key_env in ~/.config/klue/config.toml)"
    );
    // Not retried.
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn missing_key_and_custom_variable() {
    let server = OpenAiServer::start(vec![Reply::status(401)]).await;
    let mut s = settings(&server);
    s.api_key = None;
    s.api_key_env = "GATEWAY_TOKEN".into();
    s.config_path = Some("/home/oncall/.config/klue/config.toml".into());
    let mut planner = LlmPlanner::new(s).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let e = r.unwrap_err();
    assert!(e.contains("needs an API key (401) and none is set"), "{e}");
    assert!(
        e.contains("set GATEWAY_TOKEN (or api_key_env in /home/oncall/.config/klue/config.toml)"),
        "{e}"
    );
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let server = OpenAiServer::start(vec![
        Reply::status(429).header("retry-after", "1"),
        ok_reply(),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let start = Instant::now();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    assert_eq!(r.unwrap().actions.len(), 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_millis(950), "waited only {gap:?}");
    assert!(start.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn rate_limit_retry_after_ms_header() {
    let server = OpenAiServer::start(vec![
        Reply::status(429).header("retry-after-ms", "300"),
        Reply::status(429).header("retry-after-ms", "300"),
        ok_reply(),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    r.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(290));
    assert!(reqs[2].at - reqs[1].at >= Duration::from_millis(290));
}

#[tokio::test]
async fn rate_limit_gives_up_after_bounded_attempts() {
    let server = OpenAiServer::start(vec![
        Reply::status(429),
        Reply::status(429),
        Reply::status(429),
        Reply::status(429),
        ok_reply(),
    ])
    .await;
    let mut s = settings(&server);
    s.max_attempts = 3;
    let mut planner = LlmPlanner::new(s).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let e = r.unwrap_err();
    assert!(
        e.contains("rate limiting (429) and still was after 3 attempt(s)"),
        "{e}"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    // Exponential backoff without Retry-After: 50 ms, then 100 ms.
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(45));
    assert!(reqs[2].at - reqs[1].at >= Duration::from_millis(95));
}

#[tokio::test]
async fn retry_after_longer_than_the_cap_fails_at_once() {
    let server = OpenAiServer::start(vec![
        Reply::status(429).header("retry-after", "3600"),
        ok_reply(),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let start = Instant::now();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let e = r.unwrap_err();
    assert!(e.contains("asks to wait 3600 s"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn quota_exhausted_is_not_retried() {
    let server = OpenAiServer::start(vec![
        Reply::status(429).body(
            r#"{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
        ),
        ok_reply(),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let e = r.unwrap_err();
    assert!(e.contains("quota is exhausted"), "{e}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn server_error_then_success() {
    let server = OpenAiServer::start(vec![
        Reply::status(500),
        Reply::status(503).header("retry-after", "0"),
        ok_reply(),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    assert_eq!(r.unwrap().actions.len(), 1);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn persistent_server_error_is_reported_with_attempts() {
    let server = OpenAiServer::start(vec![
        Reply::status(502).body("upstream connect error"),
        Reply::status(502).body("upstream connect error"),
    ])
    .await;
    let mut s = settings(&server);
    s.max_attempts = 2;
    let mut planner = LlmPlanner::new(s).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    assert_eq!(
        r.unwrap_err(),
        "the model server failed (502) 2 time(s): upstream connect error"
    );
}

#[tokio::test]
async fn stream_cut_mid_answer_is_asked_again_unstreamed() {
    let server = OpenAiServer::start(vec![ok_reply().cut_after(6), ok_reply()]).await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, deltas) = step(&mut planner, &symptom("x")).await;
    let step = r.unwrap();
    assert_eq!(step.actions.len(), 1);
    assert_eq!(step.text, "Looking at the pods.");
    assert!(
        deltas.contains("asking again without streaming"),
        "{deltas}"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].body["stream"], true);
    assert_eq!(reqs[1].body["stream"], false);
    let notices = klue::planner::Planner::take_notices(&mut planner);
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("closed the stream before the answer completed"),
        "{notices:?}"
    );
}

#[tokio::test]
async fn stream_closed_without_finish_is_a_cut_too() {
    let server = OpenAiServer::start(vec![ok_reply().end_early_after(8), ok_reply()]).await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    assert_eq!(r.unwrap().actions.len(), 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].body["stream"], false);
}

#[tokio::test]
async fn after_a_cut_the_session_stays_unstreamed_and_says_so_once() {
    let server = OpenAiServer::start(vec![
        ok_reply().cut_after(4),
        ok_reply(),
        ok_reply(),
        ok_reply(),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    for _ in 0..3 {
        let (r, _) = step(&mut planner, &symptom("x")).await;
        assert_eq!(r.unwrap().actions.len(), 1);
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4, "one cut, then one whole reply per step");
    assert!(reqs[1..].iter().all(|r| r.body["stream"] == false));
    assert_eq!(klue::planner::Planner::take_notices(&mut planner).len(), 1);
    assert_eq!(planner.rung(), klue::planner::llm::Rung::UnstreamedTools);
}

fn long_transcript(n: usize) -> Transcript {
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
                condensed: format!("OUTPUT-{i} ") + &"line of log output\n".repeat(50),
                output: String::new(),
                error: None,
                objects: vec![],
            },
        });
    }
    Transcript {
        entries,
        hints: vec![],
        namespace: None,
    }
}

#[tokio::test]
async fn context_length_error_compacts_and_retries_once() {
    let server = OpenAiServer::start(vec![
        Reply::context_length_exceeded(),
        ok_reply(),
        ok_reply(),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let t = long_transcript(4);
    let (r, _) = step(&mut planner, &t).await;
    assert_eq!(r.unwrap().actions.len(), 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].raw.len() < reqs[0].raw.len());
    let results = reqs[1].tool_results();
    // The older half is elided with a marker, the newest outputs are kept.
    assert!(results[0]["output"].as_str().unwrap().contains("elided"));
    assert!(results[1]["output"].as_str().unwrap().contains("elided"));
    assert!(results[2]["output"].as_str().unwrap().contains("OUTPUT-2"));
    assert!(results[3]["output"].as_str().unwrap().contains("OUTPUT-3"));
    // Later steps stay compacted.
    let (r, _) = step(&mut planner, &t).await;
    r.unwrap();
    assert!(
        server.requests()[2].tool_results()[1]["output"]
            .as_str()
            .unwrap()
            .contains("elided")
    );
}

#[tokio::test]
async fn context_length_error_twice_is_reported() {
    let server = OpenAiServer::start(vec![
        Reply::context_length_exceeded(),
        Reply::context_length_exceeded(),
        ok_reply(),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &long_transcript(2)).await;
    let e = r.unwrap_err();
    assert!(
        e.contains("does not fit the model's context window even after eliding 1"),
        "{e}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn llama_cpp_style_context_error_is_recognised() {
    let server = OpenAiServer::start(vec![
        Reply::status(400).body(
            r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}}"#,
        ),
        ok_reply(),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (r, _) = step(&mut planner, &long_transcript(2)).await;
    r.unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn unreachable_endpoint_fails_fast_with_a_clear_message() {
    let addr = unused_addr();
    let mut s = LlmSettings::new(format!("http://{addr}/v1"), "m");
    s.api_key = Some(ApiKey::new("k"));
    let mut planner = LlmPlanner::new(s).unwrap();
    let start = Instant::now();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let e = r.unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(
        e.starts_with(&format!(
            "cannot reach the model server at http://{addr}/v1"
        )),
        "{e}"
    );
    assert!(e.to_lowercase().contains("refused"), "{e}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // Accepts the connection, then says nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let mut s = LlmSettings::new(format!("http://{addr}/v1"), "m");
    s.read_timeout = Duration::from_millis(500);
    let mut planner = LlmPlanner::new(s).unwrap();
    let start = Instant::now();
    let (r, _) = step(&mut planner, &symptom("x")).await;
    let e = r.unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(
        e.starts_with(&format!(
            "the model server at http://{addr}/v1 did not answer in time"
        )),
        "{e}"
    );
    hold.abort();
}

#[tokio::test]
async fn cancelling_during_backoff_stops_retrying() {
    let server = OpenAiServer::start(vec![
        Reply::status(429).header("retry-after", "2"),
        ok_reply(),
    ])
    .await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let t = symptom("x");
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    // Cancelling is dropping the future, as the session does on Op::Cancel.
    let r = tokio::time::timeout(
        Duration::from_millis(300),
        klue::planner::Planner::next(&mut planner, &t, &tx),
    )
    .await;
    assert!(r.is_err(), "the step should still be waiting");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(server.requests().len(), 1, "a cancelled step kept retrying");
}

#[tokio::test]
async fn planner_errors_carry_the_llm_error_class() {
    use klue::planner::llm::LlmError;
    use klue::planner::{Planner, PlannerError};
    let server = OpenAiServer::start(vec![Reply::status(401)]).await;
    let mut planner = LlmPlanner::new(settings(&server)).unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let e = planner.next(&symptom("x"), &tx).await.unwrap_err();
    assert!(
        matches!(e, PlannerError::Llm(LlmError::Unauthorized { .. })),
        "{e:?}"
    );
    assert_eq!(e.class(), klue::protocol::FaultClass::ModelAuth);

    let mut s = LlmSettings::new(format!("http://{}/v1", unused_addr()), "m");
    s.api_key = Some(ApiKey::new("k"));
    let mut planner = LlmPlanner::new(s).unwrap();
    let e = planner.next(&symptom("x"), &tx).await.unwrap_err();
    assert!(
        matches!(e, PlannerError::Llm(LlmError::Unreachable { .. })),
        "{e:?}"
    );
    assert_eq!(e.class(), klue::protocol::FaultClass::ModelUnreachable);
}
