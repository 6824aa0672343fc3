//! A scripted investigation with fixed times: a 502 from checkout, traced to a crash-looping
//! payments pod whose database password secret was rotated.

use jiff::Timestamp;
use klue::protocol::*;
use klue::record::{Header, RecordLine};

pub fn info() -> SessionInfo {
    SessionInfo {
        session_id: "s-0001".into(),
        context: "kind-shop".into(),
        namespace: Some("shop".into()),
        server: "https://127.0.0.1:6443".into(),
        planner: PlannerInfo {
            kind: klue::protocol::PlannerKind::Llm,
            model: Some("gpt-4o-mini".into()),
            endpoint: Some("http://127.0.0.1:8080/v1".into()),
        },
        recording: None,
    }
}

fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_767_607_200 + secs).expect("ts") // 2026-01-05T10:00:00Z
}

pub fn header() -> Header {
    let mut h = Header::at(info(), t(0));
    h.klue_version = "0.1.0".into(); // fixed, for the golden export
    h
}

fn p(id: &str) -> ProposalId {
    ProposalId(id.into())
}

fn ev(secs: i64, e: Event) -> RecordLine {
    RecordLine::event(t(secs), e)
}

pub fn entries() -> Vec<RecordLine> {
    let h1 = |status, ev_for: Vec<Evidence>| {
        Event::Hypothesis(Hypothesis {
            id: HypothesisId("h1".into()),
            statement: "payments pods are crashing, so checkout's upstream fails".into(),
            status,
            evidence_for: ev_for,
            evidence_against: vec![],
        })
    };
    vec![
        ev(0, Event::SessionStarted(info())),
        ev(1, Event::UserMessage { text: "checkout in namespace shop returns 502 since 10:00".into() }),
        ev(4, Event::AssistantMessage { text: "Let me look at the pods in shop first.".into(), origin: Default::default() }),
        ev(4, h1(HypothesisStatus::Open, vec![])),
        ev(4, Event::Proposed(Proposal {
            id: p("p1"),
            command: "get pods -n shop".into(),
            reason: "see which pods are unhealthy".into(),
            hypothesis: "h1".into(),
            origin: Default::default(),
        })),
        ev(9, Event::Decided { id: p("p1"), decision: Decision::Approve, by: Decider::User }),
        ev(9, Event::ExecStarted { id: p("p1"), command: "get pods -n shop".into() }),
        ev(10, Event::ExecFinished(Execution {
            id: p("p1"),
            command: "get pods -n shop".into(),
            output: "NAME                        READY   STATUS             RESTARTS      AGE\ncheckout-7d9f8-abcde        1/1     Running            0             2d\npayments-5c6b7-xyz12        0/1     CrashLoopBackOff   14 (2m ago)   2d\n".into(),
            condensed: "payments-5c6b7-xyz12 0/1 CrashLoopBackOff 14".into(),
            duration_ms: 42,
            error: None,
            ..Execution::default()
        })),
        ev(11, Event::Usage(Usage { prompt_tokens: 1200, completion_tokens: 80, session_total: 1280 })),
        ev(14, Event::Proposed(Proposal {
            id: p("p2"),
            command: "logs payments-5c6b7-xyz12 -n shop --previous --tail=20".into(),
            reason: "why the container exits".into(),
            hypothesis: "h1".into(),
            origin: Default::default(),
        })),
        ev(14, Event::Decided { id: p("p2"), decision: Decision::Approve, by: Decider::Policy { rule: "all-read-only".into() } }),
        ev(15, Event::ExecFinished(Execution {
            id: p("p2"),
            command: "logs payments-5c6b7-xyz12 -n shop --previous --tail=20".into(),
            output: "starting payments v2.3.1\nconnecting to postgres://payments@db:5432/payments\nFATAL: password authentication failed for user \"payments\"\n".into(),
            condensed: "FATAL: password authentication failed for user \"payments\"".into(),
            duration_ms: 35,
            error: None,
            ..Execution::default()
        })),
        ev(16, Event::Proposed(Proposal {
            id: p("p3"),
            command: "delete pod payments-5c6b7-xyz12 -n shop".into(),
            reason: "restart it".into(),
            hypothesis: "h1".into(),
            origin: Default::default(),
        })),
        ev(16, Event::Refused {
            id: p("p3"),
            command: "delete pod payments-5c6b7-xyz12 -n shop".into(),
            why: "`delete` deletes objects: klue is read-only and never changes the cluster".into(),
        }),
        ev(20, Event::Proposed(Proposal {
            id: p("p4"),
            command: "get secret payments-db -n shop -o yaml".into(),
            reason: "check when the password changed".into(),
            hypothesis: "h1".into(),
            origin: Default::default(),
        })),
        ev(40, Event::Decided { id: p("p4"), decision: Decision::Reject { reason: Some("the rotation ticket already says 09:58".into()) }, by: Decider::User }),
        ev(45, Event::Usage(Usage { prompt_tokens: 2100, completion_tokens: 150, session_total: 3530 })),
        ev(50, h1(HypothesisStatus::Confirmed, vec![Evidence::new(
            "payments crash-loops on a failed database login",
            [p("p1"), p("p2")],
        )])),
        ev(60, Event::Concluded(Conclusion::diagnosed(vec![
            Problem::new("Secret payments-db was rotated at 09:58 but Deployment payments still uses the old password")
                .link(Evidence::new("checkout gets 502 from payments", [p("p1")]))
                .link(Evidence::new("payments-5c6b7-xyz12 is in CrashLoopBackOff with 14 restarts", [p("p1")]))
                .link(Evidence::new("its previous log ends with `password authentication failed`", [p("p2")]))
                .evidence(Evidence::new("payments-5c6b7-xyz12: `password authentication failed`", [p("p2")]))
                .remediation("Update the payments-db secret's consumers (restart the payments deployment after syncing the new password), then watch checkout's error rate."),
        ], Confidence::High).also(Problem::new("Deployment cart has 0/1 replicas available").remediation("see why cart's pod is Pending")))),
        ev(61, Event::AwaitingInput),
        ev(95, Event::SessionEnded { reason: klue::protocol::EndReason::Engineer }),
    ]
}
