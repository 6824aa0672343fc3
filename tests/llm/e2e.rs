//! End to end: symptom → proposals → decisions → executions → conclusion, with the real
//! session loop, klue's executor on a real kube-apiserver, the LLM planner, and the scripted
//! OpenAI-protocol server. Asserts on the events and on what the model server received.

use klue::planner::llm::LlmPlanner;
use klue::protocol::{
    Confidence, Decider, Decision, Event, Execution, HypothesisStatus, ProposalId, Verification,
};
use klue::session::ApprovalPolicy;
use serde_json::{Value, json};

use crate::openai::{OpenAiServer, Reply, call};
use crate::planner::settings;
use crate::scenario::{self, CHECKOUT_POD};
use crate::support;

fn executions(events: &[Event]) -> Vec<&Execution> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ExecFinished(x) => Some(x),
            _ => None,
        })
        .collect()
}

fn exec_for<'a>(events: &'a [Event], prefix: &str) -> &'a Execution {
    executions(events)
        .into_iter()
        .find(|x| x.command.starts_with(prefix))
        .unwrap_or_else(|| panic!("no execution of `{prefix}` in {events:#?}"))
}

fn tool_result(results: &[Value], status: &str, command_prefix: &str) -> Value {
    results
        .iter()
        .find(|r| {
            r["status"] == status
                && r["command"]
                    .as_str()
                    .is_some_and(|c| c.starts_with(command_prefix))
        })
        .cloned()
        .unwrap_or_else(|| panic!("no `{status}` result for `{command_prefix}` in {results:#?}"))
}

#[tokio::test]
async fn checkout_crash_from_symptom_to_conclusion() {
    let env = support::testenv!();
    scenario::seed_shop(env);
    let get_pods = "get pods -n llm-shop";
    let logs = format!("logs {CHECKOUT_POD} -n llm-shop --previous --tail=80");
    let describe = format!("describe pod {CHECKOUT_POD} -n llm-shop");
    let delete = format!("delete pod {CHECKOUT_POD} -n llm-shop");
    // The server numbers tool calls call_0001, call_0002, … across the whole script.
    let server = OpenAiServer::start(vec![
        Reply::tools(
            "Checkout returning 502s suggests its pods are not ready.",
            vec![
                call(
                    "record_hypothesis",
                    json!({"id": "h1", "statement": "the checkout container crashes on start", "status": "open"}),
                ),
                call(
                    "propose_query",
                    json!({"command": get_pods, "reason": "see which pods are not ready", "hypothesis": "h1"}),
                ),
                call(
                    "propose_query",
                    json!({"command": delete, "reason": "restart it", "hypothesis": "h1"}),
                ),
            ],
        ),
        Reply::tools(
            "checkout is in CrashLoopBackOff; its previous run's log should say why.",
            vec![
                call(
                    "propose_query",
                    json!({"command": logs, "reason": "why the last run exited", "hypothesis": "h1"}),
                ),
                call(
                    "propose_query",
                    json!({"command": describe, "reason": "exit code and events", "hypothesis": "h1"}),
                ),
                call(
                    "propose_query",
                    json!({"command": get_pods, "reason": "current state", "hypothesis": "h1"}),
                ),
            ],
        ),
        Reply::tools(
            "The database rejects checkout's password.",
            vec![
                call(
                    "record_hypothesis",
                    json!({"id": "h1", "statement": "the checkout container crashes on start", "status": "confirmed",
                           "evidence_for": [{"text": "CrashLoopBackOff with 14 restarts", "executions": ["call_0002"]},
                                            {"text": "FATAL password authentication failed", "executions": ["call_0004"]}]}),
                ),
                call(
                    "conclude",
                    json!({"root_cause": "checkout cannot authenticate to orders-db: the password in Secret checkout-db is wrong, so the container exits and crash-loops",
                           "evidence": [{"text": "checkout-7d9f8-x2k9p is in CrashLoopBackOff (14 restarts)", "executions": ["call_0002"]},
                                        {"text": "previous run: FATAL cannot connect to orders-db:5432: password authentication failed", "executions": ["call_0004"]}],
                           "confidence": "high",
                           "remediation": "Update Secret llm-shop/checkout-db with the database's current password, then restart the deployment (kubectl rollout restart deploy/checkout -n llm-shop)."}),
                ),
            ],
        ),
    ])
    .await;

    let planner = LlmPlanner::new(settings(&server)).unwrap();
    let executor = scenario::executor(env).await;
    let describe_cmd = describe.clone();
    let events = scenario::run_session(
        planner,
        executor,
        ApprovalPolicy::Ask,
        "checkout in llm-shop returns 502 since the last deploy",
        Box::new(move |p| {
            if p.command == describe_cmd {
                Decision::Reject {
                    reason: Some("skip describe, read the logs".into()),
                }
            } else {
                Decision::Approve
            }
        }),
    )
    .await;

    // --- Events ---
    let errors: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e, Event::Error { .. }))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let streamed: String = events
        .iter()
        .filter_map(|e| match e {
            Event::AssistantDelta { delta } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        streamed.contains("suggests its pods are not ready"),
        "{streamed}"
    );
    assert!(streamed.contains("The database rejects checkout's password."));

    let refused = events
        .iter()
        .find_map(|e| match e {
            Event::Refused { command, why, .. } if command.starts_with("delete") => Some(why),
            _ => None,
        })
        .expect("the delete proposal is refused");
    assert!(!refused.is_empty());
    assert!(
        !events.iter().any(
            |e| matches!(e, Event::ExecStarted { command, .. } if command.starts_with("delete"))
        )
    );

    let pods = exec_for(&events, get_pods);
    assert!(pods.error.is_none(), "{:?}", pods.error);
    assert!(pods.output.contains("CrashLoopBackOff"), "{}", pods.output);
    let log = exec_for(&events, &logs);
    assert!(log.error.is_none(), "{:?}", log.error);
    assert!(log.output.contains("FATAL cannot connect to orders-db"));
    assert_eq!(
        executions(&events).len(),
        2,
        "only the two approved, distinct queries run"
    );
    assert!(events.iter().any(|e| matches!(e,
        Event::Decided { decision: Decision::Reject { reason: Some(r) }, by: Decider::User, .. } if r.contains("read the logs"))));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Decided {
            by: Decider::Dedup { .. },
            ..
        }
    )));

    let statuses: Vec<HypothesisStatus> = events
        .iter()
        .filter_map(|e| match e {
            Event::Hypothesis(h) if h.id.0 == "h1" => Some(h.status),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [HypothesisStatus::Open, HypothesisStatus::Confirmed]
    );

    let conclusion = events
        .iter()
        .find_map(|e| match e {
            Event::Concluded(c) => Some(c),
            _ => None,
        })
        .expect("a conclusion");
    assert_eq!(conclusion.confidence, Confidence::High);
    assert!(conclusion.headline().contains("cannot authenticate"));
    // Evidence cites the executions by proposal id.
    let cited: Vec<&ProposalId> = conclusion.items().flat_map(|e| &e.executions).collect();
    assert_eq!(cited, [&pods.id, &log.id]);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Usage(u) if u.session_total > 0))
    );

    // --- What the model server received ---
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let second = reqs[1].tool_results();
    assert_eq!(second[0]["status"], "recorded");
    let r = tool_result(&second, "executed", get_pods);
    // cluster text reaches the model inside a block of untrusted data
    assert_eq!(
        r["output"],
        klue::redact::untrusted::fence(r["command"].as_str().unwrap(), &pods.condensed)
    );
    assert!(r["output"].as_str().unwrap().contains("CrashLoopBackOff"));
    let r = tool_result(&second, "refused", "delete");
    assert!(!r["why"].as_str().unwrap().is_empty());

    let third = reqs[2].tool_results();
    let r = tool_result(&third, "executed", "logs");
    assert_eq!(
        r["output"],
        klue::redact::untrusted::fence(r["command"].as_str().unwrap(), &log.condensed)
    );
    assert!(
        r["output"]
            .as_str()
            .unwrap()
            .contains("FATAL cannot connect to orders-db:5432: password authentication failed")
    );
    let r = tool_result(&third, "rejected", "describe");
    assert_eq!(r["reason"], "skip describe, read the logs");
    let r = tool_result(&third, "duplicate", get_pods);
    assert!(r["output"].as_str().unwrap().contains("CrashLoopBackOff"));
    // The model never saw the full log when it was condensed, and always saw the call ids it
    // must answer.
    assert!(log.condensed.len() <= log.output.len());
}

#[tokio::test]
async fn approval_none_returns_every_proposal_as_declined() {
    let env = support::testenv!();
    scenario::seed_shop(env);
    let server = OpenAiServer::start(vec![
        Reply::tools(
            "",
            vec![call(
                "propose_query",
                json!({"command": "get pods -n llm-shop", "reason": "r", "hypothesis": "h1"}),
            )],
        ),
        Reply::tools(
            "I cannot run queries, so I can only guess.",
            vec![call(
                "conclude",
                json!({"root_cause": "unknown: no query was allowed", "evidence": [], "confidence": "low", "remediation": "run klue with approvals"}),
            )],
        ),
    ])
    .await;
    let planner = LlmPlanner::new(settings(&server)).unwrap();
    let executor = scenario::executor(env).await;
    let events = scenario::run_session_with(
        planner,
        executor,
        ApprovalPolicy::None,
        "is the shop ok?",
        scenario::approve_all(),
        vec!["conclude with what you have".into()],
    )
    .await;
    assert!(executions(&events).is_empty());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Concluded(c) if c.confidence == Confidence::Low))
    );
    let results = server.requests()[1].tool_results();
    assert_eq!(results[0]["status"], "rejected");
}

#[tokio::test]
async fn json_fallback_through_the_whole_loop() {
    let env = support::testenv!();
    scenario::seed_shop(env);
    let server = OpenAiServer::start(vec![
        Reply::text(
            "Checking the pods.\n```json\n{\"actions\": [{\"tool\": \"propose_query\", \"command\": \"get pods -n llm-shop\", \"reason\": \"states\", \"hypothesis\": \"h1\"},]}\n```",
        ),
        Reply::text(
            "checkout crash-loops.\n```json\n{\"actions\": [{\"tool\": \"conclude\", \"root_cause\": \"checkout crash-loops\", \"evidence\": [{\"text\": \"CrashLoopBackOff\", \"executions\": [\"q1\"]}], \"confidence\": \"medium\", \"remediation\": \"read its logs\"}]}\n```",
        ),
    ])
    .await;
    let mut s = settings(&server);
    s.tool_mode = klue::config::ToolMode::Json;
    let planner = LlmPlanner::new(s).unwrap();
    let executor = scenario::executor(env).await;
    let events = scenario::run_session(
        planner,
        executor,
        ApprovalPolicy::AllReadOnly,
        "checkout is down",
        scenario::approve_all(),
    )
    .await;
    let pods = exec_for(&events, "get pods -n llm-shop");
    assert!(pods.output.contains("CrashLoopBackOff"));
    let streamed: String = events
        .iter()
        .filter_map(|e| match e {
            Event::AssistantDelta { delta } => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    assert!(!streamed.contains("\"actions\""), "{streamed}");
    let conclusion = events
        .iter()
        .find_map(|e| match e {
            Event::Concluded(c) => Some(c),
            _ => None,
        })
        .expect("a conclusion");
    assert_eq!(conclusion.problems[0].evidence[0].executions.len(), 1);
    assert_eq!(conclusion.problems[0].evidence[0].executions[0], pods.id);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].body.get("tools").is_none());
    let msgs = reqs[1].messages();
    let result = msgs
        .iter()
        .find(|m| {
            m["role"] == "user"
                && m["content"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("Result of execution q1"))
        })
        .expect("the result as a user message");
    assert!(
        result["content"]
            .as_str()
            .unwrap()
            .contains("CrashLoopBackOff")
    );
}

/// A model that cites a failed and a non-existent execution, and misquotes an output: klue
/// marks those evidence items unverified (in the event the TUI, JSON and export show) and
/// lowers the confidence it claimed.
#[tokio::test]
async fn evidence_citing_failed_or_missing_executions_is_unverified() {
    let env = support::testenv!();
    scenario::seed_shop(env);
    let server = OpenAiServer::start(vec![
        Reply::tools(
            "Checking the pods and something that does not exist.",
            vec![
                call(
                    "propose_query",
                    json!({"command": "get pods -n llm-shop", "reason": "states", "hypothesis": "h1"}),
                ),
                call(
                    "propose_query",
                    json!({"command": "get frobnicators -n llm-shop", "reason": "r", "hypothesis": "h1"}),
                ),
            ],
        ),
        Reply::tools(
            "Done.",
            vec![call(
                "conclude",
                json!({
                    "verdict": "diagnosed",
                    "confidence": "high",
                    "problems": [{
                        "cause": "checkout crash-loops",
                        "chain": [{"text": "checkout is in `CrashLoopBackOff`", "executions": ["call_0001"]}],
                        "evidence": [
                            {"text": "the frobnicators are broken", "executions": ["call_0002"]},
                            {"text": "the node is out of memory", "executions": ["call_0042"]},
                            {"text": "the pod list says `disk quota exceeded`", "executions": ["call_0001"]}
                        ],
                        "remediation": "fix checkout"
                    }]
                }),
            )],
        ),
    ])
    .await;
    let planner = LlmPlanner::new(settings(&server)).unwrap();
    let executor = scenario::executor(env).await;
    let events = scenario::run_session(
        planner,
        executor,
        ApprovalPolicy::AllReadOnly,
        "checkout is down",
        scenario::approve_all(),
    )
    .await;
    let frob = exec_for(&events, "get frobnicators");
    assert!(frob.error.is_some(), "{frob:?}");
    let c = events
        .iter()
        .find_map(|e| match e {
            Event::Concluded(c) => Some(c),
            _ => None,
        })
        .expect("a conclusion");
    let p = &c.problems[0];
    let pods = exec_for(&events, "get pods -n llm-shop");
    // Citations are translated to proposal ids; the missing one stays as the model wrote it.
    assert_eq!(p.chain[0].executions, vec![pods.id.clone()]);
    assert_eq!(p.chain[0].verification, Verification::Verified, "{c:#?}");
    let why = |i: usize| match &p.evidence[i].verification {
        Verification::Unverified { why } => why.clone(),
        other => panic!("evidence {i} is {other:?}: {c:#?}"),
    };
    assert!(
        why(0).starts_with(&format!("{} failed (", frob.id)),
        "{}",
        why(0)
    );
    assert!(
        why(1).contains("call_0042 is not an execution of this session"),
        "{}",
        why(1)
    );
    assert!(
        why(2).contains("`disk quota exceeded` is not in the output"),
        "{}",
        why(2)
    );
    // Three of four items do not hold: the claimed high confidence becomes low, with why.
    assert_eq!(c.confidence, Confidence::Low);
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("confidence lowered from high to low")),
        "{c:#?}"
    );
    assert_eq!(c.unchecked.len(), 1);
    assert_eq!(c.unchecked[0].command, "get frobnicators -n llm-shop");
    // The recorded/JSON form carries the states.
    let json = serde_json::to_value(c).unwrap();
    assert_eq!(
        json["problems"][0]["evidence"][1]["verification"]["state"],
        "unverified"
    );
    assert_eq!(
        json["problems"][0]["chain"][0]["verification"]["state"],
        "verified"
    );
}
