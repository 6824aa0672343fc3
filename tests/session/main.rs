//! The headless core driven with no terminal: a scripted planner (klue's own planner
//! interface), klue's real executor and policy, against the real apiserver of the test
//! control plane.

#[path = "../support/mod.rs"]
mod support;

mod script;

use std::sync::Arc;
use std::time::Duration;

use klue::exec::{Executor, Output};
use klue::planner::{Action, Outcome, TranscriptEntry};
use klue::protocol::Budget;
use klue::protocol::{
    Confidence, Decider, Decision, Event, FaultClass, Op, ProposalId, SessionInfo,
};
use klue::query::Query;
use klue::session::{self, ApprovalPolicy, QueryRunner, RunError, SessionConfig};

use script::{Script, conclude, hypothesis, propose, step};
use support::User;

const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: sess}
---
apiVersion: v1
kind: Node
metadata: {name: sess-node}
status:
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: ok, lastHeartbeatTime: "${NOW-1m}", lastTransitionTime: "${NOW-1d}"}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: sess, labels: {app: web}}
spec:
  nodeName: sess-node
  containers:
  - name: app
    image: web:1.2
    env:
    - {name: LOG_LEVEL, value: info}
    - {name: DB_PASSWORD, value: envPlantedSessionSecret77}
status:
  phase: Running
  containerStatuses:
  - {name: app, image: "web:1.2", imageID: "", ready: true, restartCount: 0, state: {running: {startedAt: "${NOW-1h}"}}}
---
apiVersion: v1
kind: Pod
metadata: {name: checkout, namespace: sess, labels: {app: checkout}}
spec:
  nodeName: sess-node
  containers: [{name: app, image: "checkout:2.0"}]
status:
  phase: Running
  containerStatuses:
  - name: app
    image: "checkout:2.0"
    imageID: ""
    ready: false
    restartCount: 7
    state: {waiting: {reason: CrashLoopBackOff, message: back-off 5m0s restarting failed container}}
    lastState: {terminated: {exitCode: 1, reason: Error, startedAt: "${NOW-2m}", finishedAt: "${NOW-1m}"}}
---
apiVersion: v1
kind: Secret
metadata: {name: db-creds, namespace: sess}
type: Opaque
data: {password: c2Vzc2lvblBsYW50ZWREYXRh}
"#;

const CHECKOUT_PREVIOUS_LOG: &str = "\
starting checkout v2.0
connecting to postgres://checkout:logPlantedUrlPass99@db.sess.svc:5432/orders
FATAL: password authentication failed for user \"checkout\"
exiting with code 1
";

/// Planted secrets that must never reach the planner.
const PLANTED: [&str; 3] = [
    "envPlantedSessionSecret77",
    "c2Vzc2lvblBsYW50ZWREYXRh",
    "logPlantedUrlPass99",
];

/// The seeded control plane and an executor running as the viewer, or `None` (the harness
/// has said why) when the cluster tests cannot run here.
async fn executor() -> Option<Arc<Executor>> {
    let env = support::shared()?;
    static SEEDED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SEEDED
        .get_or_init(|| async {
            support::apply(env, FIXTURE)
                .await
                .expect("seed session fixture");
            support::kubelet().set(
                "sess",
                "checkout",
                "app",
                "starting checkout v2.0\n",
                Some(CHECKOUT_PREVIOUS_LOG),
            );
        })
        .await;
    let opts = klue::cluster::ConnectOptions {
        kubeconfig: Some(env.kubeconfig(User::Viewer).to_path_buf()),
        namespace: Some("sess".into()),
        ..Default::default()
    };
    let cluster = klue::cluster::Cluster::connect(&opts)
        .await
        .expect("connect as the viewer");
    Some(Arc::new(Executor::new(cluster)))
}

fn config(approval: ApprovalPolicy) -> SessionConfig {
    let mut c = SessionConfig::new(SessionInfo {
        session_id: "test".into(),
        context: klue::protocol::Target::Context("testenv-viewer".into()),
        namespace: Some("sess".into()),
        server: "https://127.0.0.1".into(),
        planner: klue::protocol::PlannerInfo {
            kind: klue::protocol::PlannerKind::Offline,
            model: None,
            endpoint: None,
        },
        recording: None,
    });
    c.approval = approval;
    c
}

/// Reads events with a timeout, keeping them all for later assertions.
struct Events {
    rx: tokio::sync::mpsc::UnboundedReceiver<Event>,
    seen: Vec<Event>,
}

impl Events {
    async fn next(&mut self) -> Event {
        let e = match tokio::time::timeout(Duration::from_secs(30), self.rx.recv()).await {
            Ok(Some(e)) => e,
            Ok(None) => panic!("event stream closed after {:#?}", self.seen),
            Err(_) => panic!("no event within 30 s after {:#?}", self.seen),
        };
        self.seen.push(e.clone());
        e
    }

    /// Read until `pred` matches; returns the matching event.
    async fn until(&mut self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        loop {
            let e = self.next().await;
            if pred(&e) {
                return e;
            }
            assert!(
                !matches!(e, Event::SessionEnded { .. }),
                "session ended while waiting for {what}: {:#?}",
                self.seen
            );
        }
    }

    fn count(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.seen.iter().filter(|e| pred(e)).count()
    }
}

fn start(
    script: Script,
    runner: Arc<dyn QueryRunner>,
    config: SessionConfig,
) -> (tokio::sync::mpsc::UnboundedSender<Op>, Events) {
    let h = session::spawn(Box::new(script), runner, config);
    (
        h.ops,
        Events {
            rx: h.events,
            seen: Vec::new(),
        },
    )
}

fn say(ops: &tokio::sync::mpsc::UnboundedSender<Op>, text: &str) {
    ops.send(Op::UserMessage { text: text.into() })
        .expect("send");
}

fn decide(ops: &tokio::sync::mpsc::UnboundedSender<Op>, id: &ProposalId, decision: Decision) {
    ops.send(Op::Decide {
        id: id.clone(),
        decision,
    })
    .expect("send");
}

fn outcome<'a>(t: &'a klue::planner::Transcript, call_id: &str) -> &'a Outcome {
    t.entries
        .iter()
        .find_map(|e| match e {
            TranscriptEntry::Result {
                call_id: c,
                outcome,
            } if c == call_id => Some(outcome),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no result for {call_id} in {t:#?}"))
}

#[tokio::test]
async fn symptom_to_conclusion_with_approve_edit_reject_and_refuse() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        step(|_| {
            (
                "Checkout is failing; let me look at the pods.",
                vec![
                    hypothesis("h1", "checkout crashes on start"),
                    propose("c1", "kubectl get pods -n sess"),
                    propose("c2", "delete pod checkout -n sess"),
                    propose("c3", "logs checkout -n sess"),
                    propose("c4", "get secret db-creds -n sess -o yaml"),
                ],
            )
        }),
        step(|t| {
            match outcome(t, "c1") {
                Outcome::Executed {
                    condensed, error, ..
                } => {
                    assert!(error.is_none(), "{error:?}");
                    assert!(condensed.contains("CrashLoopBackOff"), "{condensed}");
                }
                o => panic!("c1: {o:?}"),
            }
            assert!(
                matches!(outcome(t, "c2"), Outcome::Refused { why, .. } if !why.is_empty()),
                "{:?}",
                outcome(t, "c2")
            );
            match outcome(t, "c3") {
                Outcome::Executed {
                    command, condensed, ..
                } => {
                    assert_eq!(command, "logs checkout -n sess --previous");
                    assert!(
                        condensed.contains("password authentication failed"),
                        "{condensed}"
                    );
                }
                o => panic!("c3: {o:?}"),
            }
            assert_eq!(
                outcome(t, "c4"),
                &Outcome::Rejected {
                    command: "get secret db-creds -n sess -o yaml".into(),
                    reason: Some("not the secret itself".into())
                }
            );
            (
                "The previous container logs show the database rejects the password.",
                vec![conclude(
                    "checkout's database password is wrong",
                    &[("logs show password authentication failed", &["c3", "c1"])],
                )],
            )
        }),
    ]);
    let transcripts = script.transcripts();
    let (ops, mut ev) = start(script, exec, config(ApprovalPolicy::Ask));
    assert!(
        matches!(ev.next().await, Event::SessionStarted(i) if i.planner.model.as_deref() == Some("scripted"))
    );
    assert_eq!(ev.next().await, Event::AwaitingInput);
    say(&ops, "checkout in namespace sess keeps crashing");
    assert_eq!(
        ev.next().await,
        Event::UserMessage {
            text: "checkout in namespace sess keeps crashing".into()
        }
    );
    let mut proposed = Vec::new();
    let mut refused = Vec::new();
    while proposed.len() + refused.len() < 4 {
        match ev.next().await {
            Event::Proposed(p) => proposed.push(p),
            Event::Refused { id, command, why } => refused.push((id, command, why)),
            _ => {}
        }
    }
    assert_eq!(
        proposed.iter().map(|p| p.id.0.as_str()).collect::<Vec<_>>(),
        ["p1", "p3", "p4"]
    );
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0, ProposalId("p2".into()));
    assert!(refused[0].2.contains("delete"), "{}", refused[0].2);
    assert_eq!(proposed[0].reason, "reason for c1");
    decide(&ops, &proposed[0].id, Decision::Approve);
    decide(
        &ops,
        &proposed[1].id,
        Decision::ApproveEdited {
            command: "logs checkout -n sess --previous".into(),
        },
    );
    decide(
        &ops,
        &proposed[2].id,
        Decision::Reject {
            reason: Some("not the secret itself".into()),
        },
    );
    let concluded = ev
        .until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
    let Event::Concluded(c) = concluded else {
        unreachable!()
    };
    // Evidence cites proposal ids, not the planner's call ids.
    assert_eq!(
        c.problems[0].evidence[0].executions,
        vec![ProposalId("p3".into()), ProposalId("p1".into())]
    );
    assert_eq!(ev.next().await, Event::AwaitingInput);
    ops.send(Op::End {
        reason: klue::protocol::EndReason::Engineer,
    })
    .expect("end");
    ev.until("the end", |e| matches!(e, Event::SessionEnded { .. }))
        .await;

    // Decisions and executions, as the front end saw them.
    assert!(ev.seen.iter().any(|e| matches!(e,
        Event::Decided { id, decision: Decision::ApproveEdited { .. }, by: Decider::User } if id.0 == "p3")));
    let finished: Vec<_> = ev
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::ExecFinished(x) => Some(x.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), 2, "{finished:#?}");
    assert!(finished[0].output.contains("checkout") && finished[0].output.contains("web"));
    assert!(
        finished[1]
            .output
            .contains("password authentication failed")
    );
    // The full output keeps the URL, without its password.
    assert!(
        finished[1]
            .output
            .contains("postgres://checkout:[REDACTED]@db.sess.svc")
    );
    assert_eq!(ev.count(|e| matches!(e, Event::Hypothesis(_))), 1);
    assert_eq!(ev.count(|e| matches!(e, Event::AssistantMessage { .. })), 2);
    assert_eq!(ev.count(|e| matches!(e, Event::ExecStarted { .. })), 2);

    // The planner was called twice, and never saw a planted secret.
    let seen = transcripts.lock().expect("lock");
    assert_eq!(seen.len(), 2);
    let all = format!("{seen:?}{:?}", ev.seen);
    for s in PLANTED {
        assert!(!all.contains(s), "{s} leaked");
    }
}

#[tokio::test]
async fn cancel_stops_the_model_call_and_the_session_goes_on() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        script::hang("thinking about it"),
        step(|t| {
            // The cancelled turn left the first message; the follow-up follows it.
            let users: Vec<_> = t
                .entries
                .iter()
                .filter_map(|e| match e {
                    TranscriptEntry::User { text } => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            assert_eq!(users, ["first", "second"]);
            ("Done.", vec![conclude("nothing wrong", &[])])
        }),
    ]);
    let (ops, mut ev) = start(script, exec, config(ApprovalPolicy::Ask));
    say(&ops, "first");
    assert_eq!(
        ev.until("a delta", |e| matches!(e, Event::AssistantDelta { .. }))
            .await,
        Event::AssistantDelta {
            delta: "thinking about it".into()
        }
    );
    ops.send(Op::Cancel).expect("cancel");
    ev.until("cancelled", |e| *e == Event::Cancelled).await;
    assert_eq!(ev.next().await, Event::AwaitingInput);
    say(&ops, "second");
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
}

/// The real executor, slowed down so a query can be cancelled while it runs.
struct Slow(Arc<Executor>, Duration);

#[async_trait::async_trait]
impl QueryRunner for Slow {
    async fn run(&self, query: &Query) -> Result<Output, RunError> {
        tokio::time::sleep(self.1).await;
        self.0.run(query).await
    }
}

#[tokio::test]
async fn cancel_stops_a_running_query() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        step(|_| {
            (
                "",
                vec![
                    propose("c1", "get pods -n sess"),
                    propose("c2", "get nodes"),
                ],
            )
        }),
        step(|t| {
            assert!(
                matches!(outcome(t, "c1"), Outcome::Rejected { reason: Some(r), .. } if r.contains("cancelled"))
            );
            assert!(matches!(outcome(t, "c2"), Outcome::Rejected { .. }));
            ("ok", vec![conclude("cancelled run", &[])])
        }),
    ]);
    let slow = Arc::new(Slow(exec, Duration::from_secs(60)));
    let (ops, mut ev) = start(script, slow, config(ApprovalPolicy::AllReadOnly));
    say(&ops, "look");
    ev.until("exec started", |e| matches!(e, Event::ExecStarted { .. }))
        .await;
    let t0 = std::time::Instant::now();
    ops.send(Op::Cancel).expect("cancel");
    let finished = ev
        .until("exec finished", |e| matches!(e, Event::ExecFinished(_)))
        .await;
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(finished, Event::ExecFinished(x) if x.error.as_deref() == Some("cancelled by the engineer"))
    );
    ev.until("cancelled", |e| *e == Event::Cancelled).await;
    assert_eq!(ev.next().await, Event::AwaitingInput);
    // Only one query was started; the second was never run.
    assert_eq!(ev.count(|e| matches!(e, Event::ExecStarted { .. })), 1);
    say(&ops, "go on");
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
}

#[tokio::test]
async fn identical_queries_are_answered_from_the_earlier_result() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        step(|_| {
            (
                "",
                vec![
                    propose("c1", "get pods -n sess"),
                    propose("c2", "kubectl get po --namespace=sess"),
                ],
            )
        }),
        step(|t| {
            let Outcome::Executed { condensed, .. } = outcome(t, "c1") else {
                panic!()
            };
            assert_eq!(
                outcome(t, "c2"),
                &Outcome::Duplicate {
                    command: "get pods -n sess".into(),
                    condensed: condensed.clone()
                }
            );
            ("", vec![propose("c3", "get pods --namespace sess")])
        }),
        step(|t| {
            assert!(matches!(outcome(t, "c3"), Outcome::Duplicate { .. }));
            ("", vec![conclude("dup", &[("pods", &["c3"])])])
        }),
    ]);
    let (ops, mut ev) = start(script, exec, config(ApprovalPolicy::AllReadOnly));
    say(&ops, "pods?");
    let Event::Concluded(c) = ev
        .until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await
    else {
        unreachable!()
    };
    assert_eq!(
        c.problems[0].evidence[0].executions,
        vec![ProposalId("p3".into())]
    );
    assert_eq!(ev.count(|e| matches!(e, Event::ExecStarted { .. })), 1);
    for id in ["p2", "p3"] {
        assert!(ev.seen.iter().any(|e| matches!(e,
            Event::Decided { id: i, by: Decider::Dedup { earlier }, .. } if i.0 == id && earlier.0 == "p1")),
            "{id}: {:#?}", ev.seen);
    }
}

#[tokio::test]
async fn query_budget_forces_a_conclusion() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        step(|_| {
            (
                "",
                vec![
                    propose("c1", "get pods -n sess"),
                    propose("c2", "get nodes"),
                    propose("c3", "get svc -n sess"),
                ],
            )
        }),
        step(|t| {
            assert!(
                matches!(outcome(t, "c3"), Outcome::Refused { why, .. } if why.contains("budget"))
            );
            let last_user = t.entries.iter().rev().find_map(|e| match e {
                TranscriptEntry::User { text } => Some(text.clone()),
                _ => None,
            });
            assert!(last_user.unwrap_or_default().contains("conclude now"));
            ("", vec![conclude("out of budget", &[("pods", &["c1"])])])
        }),
    ]);
    let mut cfg = config(ApprovalPolicy::AllReadOnly);
    cfg.budget = Budget {
        max_turns: 10,
        max_queries: 2,
        max_tokens: None,
    };
    let (ops, mut ev) = start(script, exec, cfg);
    say(&ops, "look");
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
    assert_eq!(ev.count(|e| matches!(e, Event::ExecStarted { .. })), 2);
    assert!(ev.seen.iter().any(
        |e| matches!(e, Event::Refused { id, why, .. } if id.0 == "p3" && why.contains("budget"))
    ));
}

#[tokio::test]
async fn token_budget_asks_for_a_conclusion_like_the_turn_budget() {
    let Some(exec) = executor().await else { return };
    // Each scripted step reports 150 tokens; 300 are allowed.
    let steps = [
        "get pods -n sess",
        "get nodes",
        "get svc -n sess",
        "get pods -A",
    ]
    .iter()
    .enumerate()
    .map(|(i, c)| {
        let c = c.to_string();
        step(move |t| {
            if t.entries
                .iter()
                .any(|e| matches!(e, TranscriptEntry::User { text } if text == klue::planner::CONCLUDE_NOW))
            {
                return ("", vec![conclude("out of tokens", &[("pods", &["c0"])])]);
            }
            ("", vec![propose(&format!("c{i}"), &c)])
        })
    })
    .collect();
    let mut cfg = config(ApprovalPolicy::AllReadOnly);
    cfg.budget = Budget {
        max_turns: 10,
        max_queries: 10,
        max_tokens: Some(300),
    };
    let (ops, mut ev) = start(Script::new(steps), exec, cfg);
    say(&ops, "look");
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
    // Two turns (300 tokens) ran queries; the third was asked to conclude and did.
    assert_eq!(ev.count(|e| matches!(e, Event::ExecStarted { .. })), 2);
    let usage: Vec<u64> = ev
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::Usage(u) => Some(u.session_total),
            _ => None,
        })
        .collect();
    assert_eq!(usage, [150, 300, 450]);
    drop(ops);
}

#[tokio::test]
async fn turn_budget_ends_a_planner_that_will_not_conclude() {
    let Some(exec) = executor().await else { return };
    let commands = [
        "get pods -n sess",
        "get nodes",
        "get svc -n sess",
        "get events -n sess",
        "get pods -A",
    ];
    let steps = commands
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let c = c.to_string();
            step(move |_| ("", vec![propose(&format!("c{i}"), &c)]))
        })
        .collect();
    let mut cfg = config(ApprovalPolicy::AllReadOnly);
    cfg.budget = Budget {
        max_turns: 2,
        max_queries: 10,
        max_tokens: None,
    };
    let (ops, mut ev) = start(Script::new(steps), exec, cfg);
    say(&ops, "look");
    let ended = ev.next_until_end().await;
    assert_eq!(
        ended,
        Event::SessionEnded {
            reason: klue::protocol::EndReason::BudgetExhausted
        }
    );
    assert!(
        ev.seen
            .iter()
            .any(|e| matches!(e, Event::Error { message, .. } if message.contains("budget")))
    );
    // Two turns ran queries; the forced-conclusion turn's proposal was refused.
    assert_eq!(ev.count(|e| matches!(e, Event::ExecStarted { .. })), 2);
    assert!(
        ev.seen
            .iter()
            .any(|e| matches!(e, Event::Refused { why, .. } if why.contains("budget")))
    );
    drop(ops);
}

#[tokio::test]
async fn approval_policies_all_read_only_and_none() {
    let Some(exec) = executor().await else { return };
    let one = |approval| {
        let script = Script::new(vec![
            step(|_| ("", vec![propose("c1", "get nodes")])),
            step(|_| ("", vec![conclude("fine", &[])])),
        ]);
        start(script, exec.clone(), config(approval))
    };
    let (ops, mut ev) = one(ApprovalPolicy::AllReadOnly);
    say(&ops, "nodes?");
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
    assert!(ev.seen.iter().any(|e| matches!(e,
        Event::Decided { decision: Decision::Approve, by: Decider::Policy { rule }, .. } if rule == "all-read-only")));
    assert_eq!(ev.count(|e| matches!(e, Event::ExecFinished(_))), 1);

    let (ops, mut ev) = one(ApprovalPolicy::None);
    say(&ops, "nodes?");
    ev.until("the proposal", |e| matches!(e, Event::Proposed(_)))
        .await;
    assert!(matches!(ev.next().await,
        Event::Decided { decision: Decision::Reject { .. }, by: Decider::Policy { rule }, .. } if rule == "none"));
    // The planner is not called again: the engineer only wanted to see the proposals.
    assert_eq!(ev.next().await, Event::AwaitingInput);
    assert_eq!(ev.count(|e| matches!(e, Event::ExecStarted { .. })), 0);
}

#[tokio::test]
async fn an_approved_shape_approves_later_queries_of_that_shape() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        step(|_| ("", vec![propose("c1", "logs web -n sess --tail=20")])),
        step(|_| {
            (
                "",
                vec![
                    propose("c2", "logs checkout -n sess --tail=20"),
                    propose("c3", "get pods -n sess"),
                ],
            )
        }),
        step(|_| ("", vec![conclude("fine", &[])])),
    ]);
    let (ops, mut ev) = start(script, exec, config(ApprovalPolicy::Ask));
    say(&ops, "logs");
    let Event::Proposed(p1) = ev.until("p1", |e| matches!(e, Event::Proposed(_))).await else {
        unreachable!()
    };
    ops.send(Op::ApproveShape { id: p1.id }).expect("send");
    // c2 has the same shape: approved by the session, not by the engineer.
    ev.until("p2 approved by shape", |e| {
        matches!(e, Event::Decided { id, by: Decider::Policy { rule }, .. }
            if id.0 == "p2" && rule.starts_with("shape: logs"))
    })
    .await;
    // c3 has another shape: it waits for the engineer.
    let Event::Proposed(p3) = ev
        .until("p3", |e| matches!(e, Event::Proposed(p) if p.id.0 == "p3"))
        .await
    else {
        unreachable!()
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(e) = ev.rx.try_recv() {
        ev.seen.push(e);
    }
    assert!(
        !ev.seen
            .iter()
            .any(|e| matches!(e, Event::Decided { id, .. } if id.0 == "p3"))
    );
    decide(&ops, &p3.id, Decision::Approve);
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
    assert_eq!(ev.count(|e| matches!(e, Event::ExecFinished(_))), 3);
}

#[tokio::test]
async fn planner_errors_are_reported_and_the_session_goes_on() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        script::fail("the model endpoint answered 503"),
        step(|_| ("", vec![conclude("fine", &[])])),
    ]);
    let (ops, mut ev) = start(script, exec, config(ApprovalPolicy::Ask));
    say(&ops, "hello");
    let e = ev
        .until("an error", |e| matches!(e, Event::Error { .. }))
        .await;
    assert!(
        matches!(e, Event::Error { message, class } if message.contains("503") && class == FaultClass::Planner)
    );
    assert_eq!(ev.next().await, Event::AwaitingInput);
    // Deciding on a proposal that does not exist is an error, not a crash.
    decide(&ops, &ProposalId("p9".into()), Decision::Approve);
    assert!(
        matches!(ev.next().await, Event::Error { message, class } if message.contains("p9") && class == FaultClass::NoSuchProposal)
    );
    say(&ops, "again");
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
    let usage: Vec<_> = ev
        .seen
        .iter()
        .filter_map(|e| match e {
            Event::Usage(u) => Some(*u),
            _ => None,
        })
        .collect();
    assert_eq!(usage.last().map(|u| u.session_total), Some(150));
}

#[tokio::test]
async fn query_errors_reach_the_planner_and_the_engineer() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        step(|_| ("", vec![propose("c1", "get pod does-not-exist -n sess")])),
        step(|t| {
            let Outcome::Executed { error, .. } = outcome(t, "c1") else {
                panic!()
            };
            assert!(
                error.as_deref().unwrap_or("").contains("not found"),
                "{error:?}"
            );
            ("", vec![conclude("missing", &[])])
        }),
    ]);
    let (ops, mut ev) = start(script, exec, config(ApprovalPolicy::AllReadOnly));
    say(&ops, "where is it");
    let Event::ExecFinished(x) = ev
        .until("exec finished", |e| matches!(e, Event::ExecFinished(_)))
        .await
    else {
        unreachable!()
    };
    assert!(x.error.unwrap_or_default().contains("not found"));
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
}

#[tokio::test]
async fn secrets_never_reach_the_planner_or_the_events() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        step(|_| {
            (
                "",
                vec![
                    propose("c1", "get pod web -n sess -o yaml"),
                    propose("c2", "get pod web -n sess -o json"),
                    propose("c3", "describe pod web -n sess"),
                    propose("c4", "logs checkout -n sess --previous"),
                    propose("c5", "get secret db-creds -n sess -o yaml"),
                    propose("c6", "describe secret db-creds -n sess"),
                ],
            )
        }),
        step(|_| ("", vec![conclude("done", &[])])),
    ]);
    let transcripts = script.transcripts();
    let seen_by_sink = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut cfg = config(ApprovalPolicy::AllReadOnly);
    let sink = seen_by_sink.clone();
    cfg.sinks.push(Box::new(move |e: &Event| {
        sink.lock().expect("lock").push(e.clone())
    }));
    let (ops, mut ev) = start(script, exec, cfg);
    say(&ops, "check the db password DB_PASSWORD=userPastedSecret55");
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
    assert_eq!(
        ev.count(|e| matches!(e, Event::ExecFinished(x) if x.error.is_none())),
        6,
        "{:#?}",
        ev.seen
    );
    let everything = format!(
        "{:?}{:?}{:?}",
        transcripts.lock().expect("lock"),
        ev.seen,
        seen_by_sink.lock().expect("lock")
    );
    for s in PLANTED.iter().chain(&["userPastedSecret55"]) {
        let at = ev
            .seen
            .iter()
            .find(|e| format!("{e:?}").contains(s))
            .map(|e| format!("{e:#?}"))
            .unwrap_or_default();
        assert!(!everything.contains(s), "{s} leaked: {at}");
    }
    // The sink saw the same stream as the front end.
    let sunk = seen_by_sink.lock().expect("lock").clone();
    assert_eq!(sunk[..ev.seen.len()], ev.seen[..]);
}

impl Events {
    async fn next_until_end(&mut self) -> Event {
        loop {
            let e = self.next().await;
            if matches!(e, Event::SessionEnded { .. }) {
                return e;
            }
        }
    }
}

#[test]
fn conclusion_helpers_build_what_the_planner_returns() {
    let Action::Conclude(c) = conclude("x", &[("y", &["c1"])]) else {
        panic!()
    };
    assert_eq!(c.confidence, Confidence::High);
}

/// A refused edit loses nothing: the proposal keeps waiting, is edited again and runs; the
/// recording's export shows the refused edit, the command that ran (not the one it
/// replaced) and who decided.
#[tokio::test]
async fn a_refused_edit_can_be_edited_again_and_the_export_says_so() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        step(|_| {
            (
                "Pods first.",
                vec![
                    propose("c1", "get pods -n sess"),
                    propose("c2", "get secrets -n sess"),
                ],
            )
        }),
        step(|_| {
            (
                "Done.",
                vec![conclude(
                    "checkout crashes",
                    &[("checkout restarts", &["c1"])],
                )],
            )
        }),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let recorder = klue::record::Recorder::create_in(
        dir.path(),
        klue::record::Header::new(config(ApprovalPolicy::Ask).info),
        klue::record::RecorderOptions::default(),
    )
    .expect("recorder");
    let path = recorder.path().to_path_buf();
    let mut cfg = config(ApprovalPolicy::Ask);
    cfg.sinks.push(Box::new(recorder.sink()));
    let (ops, mut ev) = start(script, exec, cfg);
    say(&ops, "checkout keeps crashing");
    ev.until("p2", |e| matches!(e, Event::Proposed(p) if p.id.0 == "p2"))
        .await;
    let p1 = ProposalId("p1".into());
    let p2 = ProposalId("p2".into());
    decide(
        &ops,
        &p1,
        Decision::ApproveEdited {
            command: "delete pod checkout -n sess".into(),
        },
    );
    let refused = ev
        .until("the refused edit", |e| matches!(e, Event::Refused { .. }))
        .await;
    assert!(
        matches!(&refused, Event::Refused { id, command, .. } if *id == p1 && command.starts_with("delete")),
        "{refused:?}"
    );
    // p1 still waits: edit it again, to something the policy allows.
    decide(
        &ops,
        &p1,
        Decision::ApproveEdited {
            command: "get pods -n sess -o wide".into(),
        },
    );
    decide(&ops, &p2, Decision::Reject { reason: None });
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
    ops.send(Op::End {
        reason: klue::protocol::EndReason::Engineer,
    })
    .expect("end");
    ev.until("the end", |e| matches!(e, Event::SessionEnded { .. }))
        .await;
    let log = klue::protocol::ProposalLog::from_events(&ev.seen);
    let q = log.get(&p1).expect("p1");
    assert_eq!(q.stage, klue::protocol::Stage::Done);
    assert_eq!(q.command(), "get pods -n sess -o wide");
    assert_eq!(q.refused_edits.len(), 1);
    assert_eq!(
        log.get(&p2).and_then(|q| q.decision_text()).as_deref(),
        Some("rejected by you")
    );

    tokio::time::sleep(Duration::from_millis(200)).await;
    recorder.finish().await.expect("finish the recording");
    let rec = klue::record::read(&path).expect("read the recording");
    let md = klue::record::markdown::render(&klue::record::Timeline::build(&rec));
    assert!(md.contains("### p1 `get pods -n sess -o wide`"), "{md}");
    assert!(
        md.contains("- Proposed as: `get pods -n sess` (edited by the engineer)"),
        "{md}"
    );
    assert!(
        md.contains("- Edit refused: `delete pod checkout -n sess`"),
        "{md}"
    );
    assert!(
        md.contains("- Paste: `kubectl --context testenv-viewer get pods -n sess -o wide`"),
        "{md}"
    );
    assert!(md.contains("edited by the engineer, then approved"), "{md}");
    assert!(md.contains("p2 rejected by the engineer"), "{md}");
    assert!(!md.contains("p2 approved"), "{md}");
}

#[tokio::test]
async fn own_queries_go_through_the_policy_and_become_evidence() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![step(|t| {
        // The engineer's own query is in the transcript with its output; the refused one
        // never ran.
        let own: Vec<&Outcome> = t
            .entries
            .iter()
            .filter_map(|e| match e {
                TranscriptEntry::Own { outcome, .. } => Some(outcome),
                _ => None,
            })
            .collect();
        assert_eq!(own.len(), 1, "{t:#?}");
        let Outcome::Executed {
            condensed, objects, ..
        } = own[0]
        else {
            panic!("{own:?}")
        };
        assert!(condensed.contains("checkout"), "{condensed}");
        assert!(!objects.is_empty() || condensed.contains("web"));
        (
            "",
            vec![conclude(
                "checkout is listed by the engineer's own query",
                &[("`checkout` is in the pod list", &["p2"])],
            )],
        )
    })]);
    // `ask` approval: an own query needs no approval (the engineer asked for it).
    let (ops, mut ev) = start(script, exec, config(ApprovalPolicy::Ask));
    ev.until("ready", |e| *e == Event::AwaitingInput).await;
    ops.send(Op::RunQuery {
        command: ":delete pod web -n sess".into(),
    })
    .expect("send");
    let refused = ev
        .until("the refusal", |e| matches!(e, Event::Refused { .. }))
        .await;
    assert!(
        matches!(&refused, Event::Refused { id, command, .. } if id.0 == "p1" && command == "delete pod web -n sess"),
        "{refused:?}"
    );
    ev.until("ready", |e| *e == Event::AwaitingInput).await;
    ops.send(Op::RunQuery {
        command: "get pods -n sess".into(),
    })
    .expect("send");
    let Event::ExecFinished(x) = ev
        .until("the own query", |e| matches!(e, Event::ExecFinished(_)))
        .await
    else {
        unreachable!()
    };
    assert_eq!(x.id.0, "p2");
    assert!(x.error.is_none() && x.output.contains("checkout"), "{x:?}");
    assert!(ev.seen.iter().any(|e| matches!(e,
        Event::Decided { id, by: Decider::User, .. } if id.0 == "p2")));
    // Both are the engineer's by their typed origin, not by a reason string.
    for id in ["p1", "p2"] {
        assert!(
            ev.seen.iter().any(|e| matches!(e, Event::Proposed(p)
                if p.id.0 == id && p.origin == klue::protocol::ProposalOrigin::Engineer)),
            "{id}: {:#?}",
            ev.seen
        );
    }
    ev.until("ready", |e| *e == Event::AwaitingInput).await;
    say(&ops, "is checkout there?");
    let Event::Concluded(c) = ev
        .until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await
    else {
        unreachable!()
    };
    // Cited by the planner, verified against the own query's output.
    let e = &c.problems[0].evidence[0];
    assert_eq!(e.executions, vec![ProposalId("p2".into())]);
    assert_eq!(e.verification, klue::protocol::Verification::Verified);
    // Only the own get ran: the delete never reached the executor.
    assert_eq!(ev.count(|e| matches!(e, Event::ExecStarted { .. })), 1);
}

#[tokio::test]
async fn a_follow_up_after_a_conclusion_is_a_new_inquiry() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        step(|_| ("", vec![propose("c1", "get pods -n sess")])),
        step(|_| {
            (
                "",
                vec![conclude(
                    "checkout restarts",
                    &[("`checkout` is listed", &["c1"])],
                )],
            )
        }),
        step(|t| {
            // The follow-up is the last entry; what was observed before is still there.
            assert!(
                matches!(t.entries.last(), Some(TranscriptEntry::User { text }) if text == "and the web pod?"),
                "{t:#?}"
            );
            assert!(matches!(outcome(t, "c1"), Outcome::Executed { .. }));
            (
                "",
                vec![
                    propose("c2", "get pods -n sess"),
                    propose("c3", "get frobnicators -n sess"),
                ],
            )
        }),
        step(|t| {
            assert!(matches!(outcome(t, "c2"), Outcome::Duplicate { .. }));
            (
                "",
                vec![conclude(
                    "web is fine",
                    &[
                        ("`web` is listed", &["c1"]),
                        ("frobnicators show nothing wrong", &["c3"]),
                        ("the web pod's events are quiet", &["p99"]),
                    ],
                )],
            )
        }),
    ]);
    let (ops, mut ev) = start(script, exec, config(ApprovalPolicy::AllReadOnly));
    say(&ops, "checkout restarts");
    let Event::Concluded(first) = ev
        .until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await
    else {
        unreachable!()
    };
    assert_eq!(first.unverified(), 0, "{first:#?}");
    ev.until("ready", |e| *e == Event::AwaitingInput).await;
    say(&ops, "and the web pod?");
    let Event::Concluded(second) = ev
        .until("the second conclusion", |e| {
            matches!(e, Event::Concluded(_))
        })
        .await
    else {
        unreachable!()
    };
    assert_ne!(second, first);
    let v: Vec<String> = second
        .items()
        .map(|e| e.verification.label().unwrap_or_default())
        .collect();
    // The earlier observation still verifies; the failed and the missing execution do not.
    assert_eq!(v[0], "verified", "{v:?}");
    assert!(v[1].starts_with("unverified: p3 failed"), "{v:?}");
    assert!(v[2].contains("p99 is not an execution"), "{v:?}");
    // Only this inquiry's failure is what could not be checked.
    assert_eq!(second.unchecked.len(), 1, "{second:#?}");
    assert_eq!(second.unchecked[0].command, "get frobnicators -n sess");
    assert_eq!(second.confidence, Confidence::Low);
    assert!(
        second
            .notes
            .iter()
            .any(|n| n.contains("confidence lowered"))
    );
}

#[tokio::test]
async fn analyzer_hints_gathered_behind_the_start_reach_the_first_planner_call() {
    let Some(exec) = executor().await else { return };
    let env = support::shared().expect("the control plane");
    let opts = klue::cluster::ConnectOptions {
        kubeconfig: Some(env.kubeconfig(User::Viewer).to_path_buf()),
        namespace: Some("sess".into()),
        ..Default::default()
    };
    let cluster = klue::cluster::Cluster::connect(&opts)
        .await
        .expect("connect as the viewer");
    // the hints are read from the cluster only once the gate opens
    let (open, gate) = tokio::sync::oneshot::channel::<()>();
    let mut c = config(ApprovalPolicy::Ask);
    c.pending_hints = Some(tokio::spawn(async move {
        let _ = gate.await;
        klue::analyze::fetch::hints_for(&cluster.client, Some("sess"), Duration::from_secs(20))
            .await
    }));
    let script = Script::new(vec![step(|_| ("", vec![conclude("fine", &[])]))]);
    let seen = script.transcripts();
    let (ops, mut ev) = start(script, exec, c);
    // the session is up and waiting for the engineer while the hints are still unread
    ev.until("the start", |e| matches!(e, Event::SessionStarted(_)))
        .await;
    ev.until("input awaited", |e| matches!(e, Event::AwaitingInput))
        .await;
    say(&ops, "checkout keeps restarting");
    ev.until("the message", |e| matches!(e, Event::UserMessage { .. }))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        seen.lock().expect("lock").is_empty(),
        "the planner was called before the hints were read"
    );
    open.send(()).expect("the hints task waits");
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
    let transcripts = seen.lock().expect("lock").clone();
    let hints = &transcripts.first().expect("one planner call").hints;
    assert!(
        hints
            .iter()
            .any(|h| h.contains("checkout") && h.contains("CrashLoopBackOff")),
        "the first call's hints: {hints:#?}"
    );
}

/// The planner is handed every output whole (redacted) beside the model's small copy, and
/// nothing is elided from the transcript it gets: klue's own checks read what ran, however
/// small the model's copies are; fitting a model's context is the model planner's job.
#[tokio::test]
async fn planners_get_whole_outputs_beside_the_models_copy() {
    let Some(exec) = executor().await else { return };
    let script = Script::new(vec![
        step(|_| {
            (
                "",
                vec![
                    propose("c1", "logs checkout -n sess -c app --previous"),
                    propose("c2", "get pods -n sess"),
                ],
            )
        }),
        step(|t| {
            let Outcome::Executed {
                condensed, output, ..
            } = outcome(t, "c1")
            else {
                panic!("{t:?}")
            };
            assert!(
                output.contains("FATAL: password authentication failed"),
                "{output}"
            );
            assert!(
                output.contains("exiting with code 1"),
                "the whole log: {output}"
            );
            assert!(
                !output.contains("logPlantedUrlPass99"),
                "redacted: {output}"
            );
            assert!(
                condensed.len() < output.len(),
                "{condensed:?} vs {output:?}"
            );
            let Outcome::Executed { output, .. } = outcome(t, "c2") else {
                panic!("{t:?}")
            };
            assert!(output.contains("checkout"), "{output}");
            ("", vec![conclude("seen", &[("log", &["c1"])])])
        }),
    ]);
    let mut cfg = config(ApprovalPolicy::AllReadOnly);
    // The model's copies: a few tokens each.
    cfg.limits = klue::condense::Limits { per_output: 12 };
    let (ops, mut ev) = start(script, exec, cfg);
    say(&ops, "checkout?");
    ev.until("the conclusion", |e| matches!(e, Event::Concluded(_)))
        .await;
}
