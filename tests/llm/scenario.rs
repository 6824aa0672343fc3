//! Seeded cluster state for the end-to-end tests, and a driver that runs a whole session (the
//! real session loop, executor and apiserver) against the scripted model server.

use std::sync::Arc;
use std::time::Duration;

use klue::cluster::{Cluster, ConnectOptions};
use klue::exec::Executor;
use klue::planner::Planner;
use klue::protocol::{Decision, Event, Op, PlannerInfo, Proposal, SessionInfo};
use klue::session::{self, ApprovalPolicy, SessionConfig};

use crate::support::{self, TestEnv, User};

/// A shop whose checkout crashes: it cannot authenticate to its database.
pub const SHOP: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: llm-shop}
---
apiVersion: v1
kind: Node
metadata: {name: llm-node-1}
status:
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: kubelet is posting ready status, lastHeartbeatTime: "${NOW-1m}", lastTransitionTime: "${NOW-10d}"}
---
apiVersion: v1
kind: Secret
metadata: {name: checkout-db, namespace: llm-shop}
type: Opaque
stringData:
  username: checkout
  password: Pl4ntedE2eDbPassw0rd
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: llm-shop, labels: {app: checkout}}
spec:
  replicas: 1
  selector: {matchLabels: {app: checkout}}
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers:
      - name: app
        image: shop/checkout:1.4.2
        env:
        - {name: DB_HOST, value: orders-db}
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: checkout-db, key: password}}
---
apiVersion: v1
kind: Pod
metadata:
  name: checkout-7d9f8-x2k9p
  namespace: llm-shop
  labels: {app: checkout}
spec:
  nodeName: llm-node-1
  containers:
  - name: app
    image: shop/checkout:1.4.2
    env:
    - {name: DB_HOST, value: orders-db}
    - name: DB_PASSWORD
      valueFrom: {secretKeyRef: {name: checkout-db, key: password}}
status:
  phase: Running
  startTime: "${NOW-1h}"
  conditions:
  - {type: Ready, status: "False", lastTransitionTime: "${NOW-1h}"}
  containerStatuses:
  - name: app
    image: shop/checkout:1.4.2
    imageID: ""
    ready: false
    restartCount: 14
    state: {waiting: {reason: CrashLoopBackOff, message: back-off 5m0s restarting failed container}}
    lastState: {terminated: {exitCode: 1, reason: Error, startedAt: "${NOW-3m}", finishedAt: "${NOW-2m}"}}
---
apiVersion: v1
kind: Pod
metadata:
  name: frontend-5c6b7-qq8wz
  namespace: llm-shop
  labels: {app: frontend}
spec:
  nodeName: llm-node-1
  containers:
  - {name: web, image: shop/frontend:2.0.0}
status:
  phase: Running
  startTime: "${NOW-2d}"
  conditions:
  - {type: Ready, status: "True", lastTransitionTime: "${NOW-2d}"}
  containerStatuses:
  - name: web
    image: shop/frontend:2.0.0
    imageID: ""
    ready: true
    restartCount: 0
    state: {running: {startedAt: "${NOW-2d}"}}
"#;

pub const CHECKOUT_POD: &str = "checkout-7d9f8-x2k9p";

/// The crashing container's previous log: the fact the diagnosis needs is the FATAL line.
pub fn checkout_previous_log() -> String {
    let mut s = String::new();
    s.push_str("2026-11-25T10:00:00.000000000Z INFO starting checkout 1.4.2\n");
    for i in 0..40 {
        s.push_str(&format!(
            "2026-11-25T10:00:{:02}.000000000Z INFO loading catalog shard {i}\n",
            i % 60
        ));
    }
    for _ in 0..30 {
        s.push_str("2026-11-25T10:00:41.000000000Z WARN retrying connection to orders-db:5432\n");
    }
    s.push_str("2026-11-25T10:00:42.000000000Z ERROR pq: password authentication failed for user \"checkout\"\n");
    s.push_str("2026-11-25T10:00:42.500000000Z FATAL cannot connect to orders-db:5432: password authentication failed\n");
    s
}

/// Seed the shop once per test binary (blocking; any runtime).
pub fn seed_shop(env: &'static TestEnv) {
    static SEEDED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let r = SEEDED.get_or_init(|| {
        support::run_isolated(async move { support::apply(env, SHOP).await.map(|_| ()) })?;
        support::kubelet().set(
            "llm-shop",
            CHECKOUT_POD,
            "app",
            "2026-11-25T10:05:00.000000000Z INFO starting checkout 1.4.2\n",
            Some(&checkout_previous_log()),
        );
        Ok(())
    });
    if let Err(e) = r {
        panic!("seeding the shop scenario: {e}");
    }
}

/// klue's executor on the test cluster, as the viewer user.
pub async fn executor(env: &TestEnv) -> Executor {
    support::install_crypto_provider();
    let cluster = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(env.kubeconfig(User::Viewer).to_path_buf()),
        context: None,
        namespace: Some("llm-shop".into()),
        ..Default::default()
    })
    .await
    .expect("connect to the test apiserver");
    Executor::new(cluster)
}

/// How the test engineer answers proposals (with `ApprovalPolicy::Ask`).
pub type Decider = Box<dyn FnMut(&Proposal) -> Decision + Send>;

/// Run a session from the symptom to its conclusion (or an error), then end it.
pub async fn run_session(
    planner: impl Planner + 'static,
    executor: Executor,
    approval: ApprovalPolicy,
    symptom: &str,
    decide: Decider,
) -> Vec<Event> {
    run_session_with(planner, executor, approval, symptom, decide, Vec::new()).await
}

/// [`run_session`], answering each wait for input (before a conclusion) with the next of
/// `follow_ups`, and ending the session when none is left.
pub async fn run_session_with(
    planner: impl Planner + 'static,
    executor: Executor,
    approval: ApprovalPolicy,
    symptom: &str,
    mut decide: Decider,
    follow_ups: Vec<String>,
) -> Vec<Event> {
    let mut follow_ups = std::collections::VecDeque::from(follow_ups);
    let mut waits = 0;
    let info = SessionInfo {
        session_id: "llm-e2e".into(),
        context: "testenv-viewer".into(),
        namespace: Some("llm-shop".into()),
        server: "https://127.0.0.1".into(),
        planner: PlannerInfo {
            kind: klue::protocol::PlannerKind::Llm,
            model: None,
            endpoint: None,
        },
        recording: None,
    };
    let mut config = SessionConfig::new(info);
    config.approval = approval;
    let mut handle = session::spawn(Box::new(planner), Arc::new(executor), config);
    handle
        .ops
        .send(Op::UserMessage {
            text: symptom.into(),
        })
        .unwrap();
    let mut events: Vec<Event> = Vec::new();
    let mut finished = false;
    'session: loop {
        let Ok(first) = tokio::time::timeout(Duration::from_secs(60), handle.events.recv()).await
        else {
            panic!("the session went silent for 60 s after {events:#?}");
        };
        let Some(first) = first else { break };
        // Take every event already emitted, so that a proposal the core answers itself (a
        // duplicate) is seen decided before the engineer is asked.
        let mut batch = vec![first];
        while let Ok(ev) = handle.events.try_recv() {
            batch.push(ev);
        }
        for (i, ev) in batch.iter().enumerate() {
            match ev {
                Event::Proposed(p) if approval == ApprovalPolicy::Ask => {
                    let decided_already = batch[i + 1..]
                        .iter()
                        .any(|e| matches!(e, Event::Decided { id, .. } if id == &p.id));
                    if !decided_already {
                        let d = decide(p);
                        let _ = handle.ops.send(Op::Decide {
                            id: p.id.clone(),
                            decision: d,
                        });
                    }
                }
                Event::Concluded(_) | Event::Error { .. } => finished = true,
                Event::AwaitingInput => {
                    waits += 1;
                    // The first wait comes before the symptom is read.
                    if finished || waits > 1 {
                        match follow_ups.pop_front() {
                            Some(text) if !finished => {
                                let _ = handle.ops.send(Op::UserMessage { text });
                            }
                            _ => {
                                let _ = handle.ops.send(Op::End {
                                    reason: klue::protocol::EndReason::Engineer,
                                });
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let ended = batch
            .iter()
            .any(|e| matches!(e, Event::SessionEnded { .. }));
        events.extend(batch);
        if ended {
            break 'session;
        }
    }
    events
}

/// Approve everything.
pub fn approve_all() -> Decider {
    Box::new(|_| Decision::Approve)
}
