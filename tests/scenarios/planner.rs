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
    let mut d = Diagnosis {
        conclusion: None,
        queries: 0,
        commands: Vec::new(),
        errors: Vec::new(),
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
            Event::Error { message } => d.errors.push(message),
            Event::Concluded(c) => {
                d.conclusion = Some(c);
                break;
            }
            Event::AwaitingInput if d.queries > 0 => break,
            _ => {}
        }
    }
    let _ = handle.ops.send(Op::End);
    d
}

pub async fn live_cluster(env: &support::TestEnv) -> Cluster {
    let opts = ConnectOptions {
        kubeconfig: Some(env.kubeconfig(User::Admin).to_path_buf()),
        ..Default::default()
    };
    Cluster::connect(&opts).await.expect("connect")
}

/// Check a diagnosis against the scenario; problems as text.
pub fn check(s: &fixtures::Scenario, d: &Diagnosis) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(c) = &d.conclusion else {
        return vec![format!(
            "{}: no conclusion after {} queries ({:?}; errors {:?})",
            s.name, d.queries, d.commands, d.errors
        )];
    };
    let text = d.text();
    for word in &s.expect.cause {
        if !text.contains(&word.to_lowercase()) {
            problems.push(format!(
                "{}: conclusion lacks {word:?}: {}",
                s.name,
                c.headline()
            ));
        }
    }
    if !s.healthy && c.items().all(|e| e.executions.is_empty()) {
        problems.push(format!("{}: no evidence cites an execution", s.name));
    }
    problems
}

#[tokio::test]
async fn offline_planner_diagnoses_every_scenario() {
    let env = support::testenv!();
    support::install_crypto_provider();
    fixtures::load(env);
    let mut problems = Vec::new();
    let mut total_queries = 0;
    let failing: Vec<_> = fixtures::all().into_iter().filter(|s| !s.healthy).collect();
    for s in &failing {
        let d = investigate(live_cluster(env).await, &s.symptom).await;
        total_queries += d.queries;
        if std::env::var_os("KLUE_SCENARIO_DUMP").is_some() {
            eprintln!(
                "== {} [{} queries] {:?}\n   {}\n   errors: {:?}",
                s.name,
                d.queries,
                d.commands,
                d.conclusion
                    .as_ref()
                    .map(|c| c.headline())
                    .unwrap_or_default(),
                d.errors
            );
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
