//! Grounding, end to end with the session loop, klue's executor on the real apiserver and the
//! scripted model: useless turns hand the step to the offline planner (marked), a conclusion
//! before anything ran is not shown, and a conclusion is checked against klue's own findings
//! ("klue also found") before it is shown.

use klue::planner::grounded::{ALSO_FOUND, GroundedPlanner, OFFLINE_MARK};
use klue::planner::llm::LlmPlanner;
use klue::protocol::{Conclusion, Event};
use klue::session::ApprovalPolicy;
use serde_json::json;

use crate::openai::{OpenAiServer, Reply, call};
use crate::planner::settings;
use crate::scenario::{self, CHECKOUT_POD};
use crate::support;

const SYMPTOM: &str = "checkout in namespace llm-shop keeps crashing";

fn grounded(server: &OpenAiServer) -> GroundedPlanner {
    GroundedPlanner::new(Box::new(LlmPlanner::new(settings(server)).unwrap()))
}

async fn run(env: &'static support::TestEnv, server: &OpenAiServer) -> Vec<Event> {
    scenario::seed_shop(env);
    let executor = scenario::executor(env).await.with_table_objects(true);
    scenario::run_session(
        grounded(server),
        executor,
        ApprovalPolicy::AllReadOnly,
        SYMPTOM,
        scenario::approve_all(),
    )
    .await
}

fn conclusion(events: &[Event]) -> &Conclusion {
    events
        .iter()
        .find_map(|e| match e {
            Event::Concluded(c) => Some(c),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no conclusion in {events:#?}"))
}

/// Everything the conclusion says, as the front ends show it.
fn said(c: &Conclusion) -> String {
    c.outline()
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn notices(events: &[Event]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Notice { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn errors(events: &[Event]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Error { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect()
}

fn useless(i: usize) -> Reply {
    Reply::tools(
        "Let me fix it.",
        vec![call(
            "propose_query",
            json!({"command": format!("delete pod checkout-{i} -n llm-shop"), "reason": "restart", "hypothesis": "h1"}),
        )],
    )
}

#[tokio::test]
async fn useless_turns_hand_the_steps_to_the_offline_planner() {
    let env = support::testenv!();
    let server = OpenAiServer::start((0..30).map(useless).collect()).await;
    let events = run(env, &server).await;
    let c = conclusion(&events);
    assert!(said(c).contains("checkout"), "{}", said(c));
    assert!(c.items().any(|e| !e.executions.is_empty()), "{c:#?}");
    let n = notices(&events);
    assert!(
        n.iter().any(|t| t.contains("2 useless turns in a row")
            && t.contains("`delete pod checkout-")
            && t.contains("offline planner takes the next step")),
        "{n:#?}"
    );
    let marked = events
        .iter()
        .filter(|e| matches!(e, Event::AssistantMessage { text, origin } if text.starts_with(OFFLINE_MARK) && *origin == klue::protocol::ProposalOrigin::OfflineStep))
        .count();
    assert!(marked >= 2, "offline steps are marked: {events:#?}");
    // Their proposals carry the typed origin (what `klue resume` restores the marks from).
    assert!(
        events.iter().any(|e| matches!(e, Event::Proposed(p) if p.origin == klue::protocol::ProposalOrigin::OfflineStep)),
        "the offline planner's proposals are marked: {events:#?}"
    );
    // The model's refused proposals never ran; the first useless turn went back to it.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Refused { command, .. } if command.starts_with("delete")))
    );
    assert!(
        !events.iter().any(
            |e| matches!(e, Event::ExecStarted { command, .. } if command.starts_with("delete"))
        )
    );
    assert!(errors(&events).is_empty(), "{:?}", errors(&events));
}

#[tokio::test]
async fn a_conclusion_before_anything_ran_is_not_shown() {
    let env = support::testenv!();
    let blind = || {
        Reply::tools(
            "",
            vec![call(
                "conclude",
                json!({"root_cause": "cosmic rays flipped a bit", "evidence": [], "confidence": "high", "remediation": "reboot"}),
            )],
        )
    };
    let mut script = vec![blind(), blind()];
    script.extend((0..30).map(useless));
    let server = OpenAiServer::start(script).await;
    let events = run(env, &server).await;
    let c = conclusion(&events);
    assert!(!said(c).contains("cosmic rays"), "{}", said(c));
    assert!(said(c).contains("checkout"), "{}", said(c));
    // The second blind conclusion came after a nudge in the same turn.
    let reqs = server.requests();
    assert!(reqs[1].raw.contains("did not move the investigation"));
    assert!(reqs[1].raw.contains("concluded before any query ran"));
    assert!(
        notices(&events)
            .iter()
            .any(|t| t.contains("concluded before any query ran")),
        "{:#?}",
        notices(&events)
    );
}

#[tokio::test]
async fn a_conclusion_that_misses_klues_finding_gets_klue_also_found() {
    let env = support::testenv!();
    let server = OpenAiServer::start(vec![
        Reply::tools(
            "Looking at the pods.",
            vec![call(
                "propose_query",
                json!({"command": "get pods -n llm-shop", "reason": "states", "hypothesis": "h1"}),
            )],
        ),
        Reply::tools(
            "",
            vec![call(
                "conclude",
                json!({"root_cause": "the orders database is overloaded", "evidence": [{"text": "pods are listed", "executions": ["call_0001"]}], "confidence": "medium", "remediation": "scale the database"}),
            )],
        ),
    ])
    .await;
    let events = run(env, &server).await;
    let c = conclusion(&events);
    assert_eq!(
        c.problems[0].cause,
        "the orders database is overloaded",
        "the model's conclusion comes first: {}",
        said(c)
    );
    assert_eq!(c.problems[0].remediation, "scale the database");
    let also = c
        .problems
        .iter()
        .find(|p| p.cause.starts_with(&format!("{ALSO_FOUND}: ")))
        .unwrap_or_else(|| panic!("no `{ALSO_FOUND}` in {}", said(c)));
    assert!(also.cause.contains(CHECKOUT_POD), "{}", also.cause);
    assert!(!also.remediation.is_empty(), "{also:#?}");
    assert!(
        also.items().any(|e| !e.executions.is_empty()),
        "klue's problem cites what it ran: {also:#?}"
    );
    assert!(
        notices(&events)
            .iter()
            .any(|t| t.contains("before showing its conclusion klue runs its own checks")),
        "{:#?}",
        notices(&events)
    );
    // The model was not asked again while klue checked.
    assert_eq!(server.requests().len(), 2);
    assert!(errors(&events).is_empty(), "{:?}", errors(&events));
}

/// A model's claim that no query confirms (its quote is in no output) is listed after the
/// cause klue's checks confirm, and what the model said as it concluded stays in the session.
#[tokio::test]
async fn an_unconfirmed_claim_comes_after_klues_confirmed_cause() {
    let env = support::testenv!();
    let server = OpenAiServer::start(vec![
        Reply::tools(
            "Looking at the pods.",
            vec![call(
                "propose_query",
                json!({"command": "get pods -n llm-shop", "reason": "states", "hypothesis": "h1"}),
            )],
        ),
        Reply::tools(
            "The database is refusing connections, that explains it.",
            vec![call(
                "conclude",
                json!({"root_cause": "the orders database is overloaded", "evidence": [{"text": "the pods show `too many connections`", "executions": ["call_0001"]}], "confidence": "high", "remediation": "scale the database"}),
            )],
        ),
    ])
    .await;
    let events = run(env, &server).await;
    let c = conclusion(&events);
    assert!(
        c.problems[0].cause.starts_with(&format!("{ALSO_FOUND}: ")),
        "klue's confirmed cause first: {}",
        said(c)
    );
    assert!(c.problems[0].cause.contains(CHECKOUT_POD), "{}", said(c));
    let last = c.problems.last().map(|p| p.cause.as_str());
    assert_eq!(
        last,
        Some("the orders database is overloaded"),
        "{}",
        said(c)
    );
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("whose evidence no query confirms is listed after")),
        "{:?}",
        c.notes
    );
    assert!(c.unverified() >= 1, "{}", said(c));
    // The model's concluding words were not replaced by klue's step.
    assert!(
        events.iter().any(|e| matches!(e, Event::AssistantMessage { text, .. }
            if text.contains("The database is refusing connections") && text.contains(OFFLINE_MARK))),
        "{events:#?}"
    );
    assert!(errors(&events).is_empty(), "{:?}", errors(&events));
}

#[tokio::test]
async fn a_conclusion_that_accounts_for_the_finding_stands_alone() {
    let env = support::testenv!();
    let logs = format!("logs {CHECKOUT_POD} -n llm-shop --previous");
    let server = OpenAiServer::start(vec![
        Reply::tools(
            "",
            vec![call(
                "propose_query",
                json!({"command": "get pods -n llm-shop", "reason": "states", "hypothesis": "h1"}),
            )],
        ),
        Reply::tools(
            "",
            vec![call(
                "propose_query",
                json!({"command": logs, "reason": "why it exits", "hypothesis": "h1"}),
            )],
        ),
        Reply::tools(
            "",
            vec![call(
                "conclude",
                json!({"root_cause": format!("Pod {CHECKOUT_POD} (checkout) crash-loops: orders-db:5432 rejects its credentials (password authentication failed); the password is key password of Secret checkout-db"), "evidence": [{"text": "CrashLoopBackOff, 14 restarts", "executions": ["call_0001"]}], "confidence": "high", "remediation": "fix the checkout-db Secret"}),
            )],
        ),
    ])
    .await;
    let events = run(env, &server).await;
    let c = conclusion(&events);
    assert!(!said(c).contains(ALSO_FOUND), "{}", said(c));
    assert_eq!(c.problems.len(), 1, "{}", said(c));
    assert!(
        c.problems[0]
            .cause
            .starts_with(&format!("Pod {CHECKOUT_POD}"))
    );
}

/// A conclusion that names the failing pod but stops at the symptom (what the offline
/// planner's chain goes past): klue's deeper cause is added. Naming the object is not
/// accounting for the cause.
#[tokio::test]
async fn a_conclusion_at_the_symptom_gets_klues_deeper_cause() {
    let env = support::testenv!();
    let server = OpenAiServer::start(vec![
        Reply::tools(
            "",
            vec![call(
                "propose_query",
                json!({"command": "get pods -n llm-shop", "reason": "states", "hypothesis": "h1"}),
            )],
        ),
        Reply::tools(
            "",
            vec![call(
                "conclude",
                json!({"root_cause": format!("Pod {CHECKOUT_POD} (checkout) is in CrashLoopBackOff with 14 restarts"), "evidence": [{"text": "CrashLoopBackOff, 14 restarts", "executions": ["call_0001"]}], "confidence": "high", "remediation": format!("restart pod {CHECKOUT_POD}")}),
            )],
        ),
    ])
    .await;
    let events = run(env, &server).await;
    let c = conclusion(&events);
    assert!(
        c.problems[0].cause.contains("CrashLoopBackOff"),
        "{}",
        said(c)
    );
    let also = c
        .problems
        .iter()
        .find(|p| p.cause.starts_with(&format!("{ALSO_FOUND}: ")))
        .unwrap_or_else(|| panic!("no `{ALSO_FOUND}` in {}", said(c)));
    assert!(
        said(c).contains("password authentication failed") && also.cause.contains("checkout-db"),
        "{}",
        said(c)
    );
    assert!(errors(&events).is_empty(), "{:?}", errors(&events));
}

/// The engineer asks about a healthy workload and the model claims a problem klue's checks do
/// not see: the verdict is klue's (healthy), the claim stays, marked, under "also noticed".
#[tokio::test]
async fn a_problem_claimed_on_a_healthy_subject_stays_a_claim() {
    let env = support::testenv!();
    crate::fixtures::load(env);
    let server = OpenAiServer::start(vec![
        Reply::tools(
            "",
            vec![call(
                "propose_query",
                json!({"command": "get pods -n healthy-shop", "reason": "states", "hypothesis": "h1"}),
            )],
        ),
        Reply::tools(
            "",
            vec![call(
                "conclude",
                json!({"root_cause": "storefront leaks memory", "evidence": [{"text": "pods are listed", "executions": ["call_0001"]}], "confidence": "medium", "remediation": "raise its memory limit"}),
            )],
        ),
    ])
    .await;
    let executor = scenario::executor(env).await.with_table_objects(true);
    let events = scenario::run_session(
        grounded(&server),
        executor,
        ApprovalPolicy::AllReadOnly,
        "is anything wrong with storefront in healthy-shop?",
        scenario::approve_all(),
    )
    .await;
    let c = conclusion(&events);
    assert_eq!(c.verdict, klue::protocol::Verdict::Healthy, "{}", said(c));
    assert!(c.problems.is_empty(), "{}", said(c));
    assert!(
        c.also_noticed
            .iter()
            .any(|p| p.cause.contains("storefront leaks memory")
                && p.cause.contains("klue's checks do not confirm it")),
        "{}",
        said(c)
    );
    assert!(!c.checked.is_empty(), "what shows it healthy: {}", said(c));
}

/// `--approve ask`: the engineer rejects a query the model proposed; when the offline planner
/// takes the steps, it does not ask about the same query again.
#[tokio::test]
async fn a_query_the_engineer_rejected_is_not_asked_again_by_klue() {
    let env = support::testenv!();
    scenario::seed_shop(env);
    let mut script = vec![Reply::tools(
        "",
        vec![call(
            "propose_query",
            json!({"command": "get events -n llm-shop", "reason": "warnings", "hypothesis": "h1"}),
        )],
    )];
    script.extend((0..30).map(useless));
    let server = OpenAiServer::start(script).await;
    let executor = scenario::executor(env).await.with_table_objects(true);
    let events = scenario::run_session(
        grounded(&server),
        executor,
        ApprovalPolicy::Ask,
        SYMPTOM,
        Box::new(|p: &klue::protocol::Proposal| {
            if p.command == "get events -n llm-shop" {
                klue::protocol::Decision::Reject {
                    reason: Some("not now".into()),
                }
            } else {
                klue::protocol::Decision::Approve
            }
        }),
    )
    .await;
    let asked: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Proposed(p) => Some(p.command.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        asked
            .iter()
            .filter(|c| **c == "get events -n llm-shop")
            .count(),
        1,
        "{asked:#?}"
    );
    // klue's own steps went on to a conclusion.
    let c = conclusion(&events);
    assert!(said(c).contains("checkout"), "{}", said(c));
}
