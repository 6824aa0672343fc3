//! The offline planner through the real session loop (auto-approval) and executor, against
//! the real apiserver and against a snapshot of it.

use std::sync::Arc;
use std::time::Duration;

use klue::cluster::{Cluster, ConnectOptions};
use klue::exec::Executor;
use klue::planner::offline::OfflinePlanner;
use klue::protocol::{Conclusion, Event, Op, PlannerInfo, SessionInfo};
use klue::session::{self, ApprovalPolicy, SessionConfig};

use crate::fixtures;
use crate::support::{self, User};

/// What one investigation produced.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    pub conclusion: Option<Conclusion>,
    pub queries: usize,
    pub commands: Vec<String>,
    pub errors: Vec<String>,
    /// From the symptom to the conclusion.
    pub wall: Duration,
    /// Every proposal: (command, reason).
    pub proposals: Vec<(String, String)>,
}

impl Diagnosis {
    /// Root cause and evidence, lower-cased.
    pub fn text(&self) -> String {
        self.conclusion
            .as_ref()
            .map(|c| {
                c.outline()
                    .iter()
                    .map(|r| r.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
                    .to_lowercase()
            })
            .unwrap_or_default()
    }
}

/// Run the offline planner on a symptom to a conclusion, approving every read-only query.
pub async fn investigate(cluster: Cluster, symptom: &str) -> Diagnosis {
    let info = SessionInfo {
        session_id: "test".into(),
        context: cluster.info.context.clone(),
        namespace: Some(cluster.info.namespace.clone()),
        server: cluster.info.server.clone(),
        planner: PlannerInfo {
            kind: klue::protocol::PlannerKind::Offline,
            model: None,
            endpoint: None,
        },
        recording: None,
    };
    let mut config = SessionConfig::new(info);
    config.approval = ApprovalPolicy::AllReadOnly;
    let executor = Executor::new(cluster).with_table_objects(true);
    let mut handle = session::spawn(Box::new(OfflinePlanner::new()), Arc::new(executor), config);
    handle
        .ops
        .send(Op::UserMessage {
            text: symptom.to_string(),
        })
        .expect("send symptom");
    let started = std::time::Instant::now();
    let mut d = Diagnosis {
        conclusion: None,
        queries: 0,
        commands: Vec::new(),
        errors: Vec::new(),
        wall: Duration::ZERO,
        proposals: Vec::new(),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let ev = match tokio::time::timeout_at(deadline, handle.events.recv()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(_) => {
                d.errors.push("timed out".into());
                break;
            }
        };
        match ev {
            Event::Proposed(p) => d.proposals.push((p.command.clone(), p.reason.clone())),
            Event::ExecFinished(x) => {
                d.queries += 1;
                d.commands.push(x.command.clone());
                if let Some(e) = x.error {
                    d.errors.push(format!("{}: {e}", x.command));
                }
            }
            Event::Refused { command, why, .. } => {
                d.errors.push(format!("refused {command}: {why}"))
            }
            Event::Error { message, .. } => d.errors.push(message),
            Event::Concluded(c) => {
                d.conclusion = Some(c);
                break;
            }
            Event::AwaitingInput if d.queries > 0 => break,
            _ => {}
        }
    }
    d.wall = started.elapsed();
    let _ = handle.ops.send(Op::End {
        reason: klue::protocol::EndReason::Engineer,
    });
    d
}

pub async fn live_cluster(env: &support::TestEnv) -> Cluster {
    live_cluster_in(env, None).await
}

/// A connection whose default namespace is `namespace` (as `-n` gives).
pub async fn live_cluster_in(env: &support::TestEnv, namespace: Option<&str>) -> Cluster {
    let opts = ConnectOptions {
        kubeconfig: Some(env.kubeconfig(User::Admin).to_path_buf()),
        namespace: namespace.map(str::to_string),
        ..Default::default()
    };
    Cluster::connect(&opts).await.expect("connect")
}

/// Investigate a scenario's symptom in its session namespace.
pub async fn investigate_scenario(env: &support::TestEnv, s: &fixtures::Scenario) -> Diagnosis {
    investigate(live_cluster_in(env, s.scope.as_deref()).await, &s.symptom).await
}

/// Check a diagnosis against the scenario; problems as text.
pub fn check(s: &fixtures::Scenario, d: &Diagnosis) -> Vec<String> {
    let Some(c) = &d.conclusion else {
        return vec![format!(
            "{}: no conclusion after {} queries ({:?}; errors {:?})",
            s.name, d.queries, d.commands, d.errors
        )];
    };
    fixtures::judge(s, c)
}

/// Does a diagnosis pass?
pub fn diagnosed(s: &fixtures::Scenario, d: &Diagnosis) -> bool {
    check(s, d).is_empty()
}

#[tokio::test]
async fn offline_planner_diagnoses_every_scenario() {
    let env = support::testenv!();
    support::install_crypto_provider();
    fixtures::load(env);
    let mut problems = Vec::new();
    let mut total_queries = 0;
    // Scenarios marked `measure_only` are judged by the benchmark, not here.
    let failing: Vec<_> = fixtures::selected()
        .into_iter()
        .filter(|s| !s.measure_only)
        .collect();
    for s in &failing {
        let d = investigate_scenario(env, s).await;
        total_queries += d.queries;
        if std::env::var_os("KLUE_SCENARIO_DUMP").is_some() {
            eprintln!(
                "== {} [{} queries, {:?}] {:?}\n   {}\n   errors: {:?}\n   problems: {:?}",
                s.name,
                d.queries,
                d.wall,
                d.commands,
                d.conclusion
                    .as_ref()
                    .map(|c| c.headline())
                    .unwrap_or_default(),
                d.errors,
                check(s, &d)
            );
            if std::env::var("KLUE_SCENARIO_DUMP").as_deref() == Ok("full")
                && let Some(c) = &d.conclusion
            {
                for r in c.outline() {
                    eprintln!("   | {}{}", "  ".repeat(usize::from(r.depth)), r.text);
                }
            }
        }
        problems.extend(check(s, &d));
    }
    eprintln!(
        "offline planner: {} scenarios, {total_queries} queries in all ({:.1} per diagnosis)",
        failing.len(),
        total_queries as f64 / failing.len() as f64
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn scenario(name: &str) -> fixtures::Scenario {
    fixtures::all()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

/// With `-n`, every query stays in that namespace: no namespace listing, no `-A`, no other
/// namespace (kube-system only with a stated reason).
#[tokio::test]
async fn the_session_namespace_is_the_scope() {
    let env = support::testenv!();
    support::install_crypto_provider();
    fixtures::load(env);
    for (ns, symptom) in [
        ("billing-java", "billing keeps restarting"),
        ("portal", "is the frontend ok?"),
        ("reports-py", "report-worker crashes on start"),
        ("ops-noisy", "anything wrong here?"),
        (
            "chain-warehouse",
            "alerts fired overnight for the warehouse team, is everything back to normal now?",
        ),
    ] {
        let d = investigate(live_cluster_in(env, Some(ns)).await, symptom).await;
        assert!(d.conclusion.is_some(), "{ns}: no conclusion: {d:?}");
        for (cmd, reason) in &d.proposals {
            assert!(
                !cmd.starts_with("get namespaces") && !cmd.starts_with("get ns"),
                "{ns}: lists namespaces: {cmd}"
            );
            // All namespaces only when widening, saying why.
            assert!(
                !cmd.contains(" -A") || reason.contains("widening"),
                "{ns}: all namespaces: {cmd} ({reason})"
            );
            let scoped = cmd.contains(&format!("-n {ns}"))
                || cmd == "get nodes"
                || cmd == "get persistentvolumes"
                || cmd == "get storageclasses";
            let widened = (cmd.contains("-n kube-system") || cmd.contains(" -A"))
                && reason.contains("widening");
            assert!(scoped || widened, "{ns}: out of scope: {cmd} ({reason})");
        }
    }
}

/// A workload that is not in the namespace named: found elsewhere, said so, diagnosed there.
#[tokio::test]
async fn a_workload_in_another_namespace_is_found_and_said_so() {
    let env = support::testenv!();
    support::install_crypto_provider();
    fixtures::load(env);
    let s = scenario("chain-other-namespace");
    let d = investigate_scenario(env, &s).await;
    let c = d
        .conclusion
        .clone()
        .unwrap_or_else(|| panic!("no conclusion: {d:?}"));
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("runs in namespace shop-west, not shop-east")),
        "{:?}",
        c.notes
    );
    assert!(d.text().contains("nil pointer"), "{}", d.text());
    // The scope first, then widening for a stated reason.
    let first_wide = d
        .proposals
        .iter()
        .position(|(c, _)| c.contains(" -A"))
        .expect("widened");
    assert!(
        d.proposals[..first_wide]
            .iter()
            .all(|(c, _)| c.contains("-n shop-east")),
        "{:?}",
        d.proposals
    );
    for (cmd, reason) in &d.proposals[first_wide..] {
        if cmd.contains(" -A") {
            assert!(reason.contains("widening"), "{cmd}: {reason}");
        }
    }
}
