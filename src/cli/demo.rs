//! `klue demo`: investigate a bundled snapshot of a broken shop with the offline planner. No
//! cluster, kubeconfig or key needed. On a terminal it opens the TUI (type a symptom, approve
//! the proposed queries); otherwise it runs headless with a canned symptom, approving every
//! read-only query, and prints the investigation as text.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use klue::cluster::snapshot::{self, Snapshot};
use klue::planner::offline::{DEMO_SYMPTOM, OfflinePlanner};
use klue::protocol::{Event, Op, SessionInfo};
use klue::session::{ApprovalPolicy, SessionConfig};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub cluster: super::common::ClusterArgs,
    /// The symptom to start with when running headless.
    #[arg(long)]
    pub symptom: Option<String>,
    /// Run headless (text) even on a terminal.
    #[arg(long)]
    pub headless: bool,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (snap, origin) = match &args.cluster.snapshot {
        Some(p) => (
            Snapshot::load(p).with_context(|| format!("cannot open snapshot {}", p.display()))?,
            p.display().to_string(),
        ),
        None => (
            Snapshot::from_bytes(snapshot::DEMO_SNAPSHOT, "the bundled demo snapshot")?,
            "bundled demo (broken shop)".to_string(),
        ),
    };
    let namespace = args
        .cluster
        .namespace
        .clone()
        .unwrap_or_else(|| "shop".into());
    let cluster = snapshot::cluster(Arc::new(snap), &origin, Some(&namespace));
    let info = SessionInfo {
        session_id: format!("demo-{}", jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S")),
        context: cluster.info.context.clone(),
        namespace: Some(namespace.clone()),
        server: cluster.info.server.clone(),
        planner: klue::protocol::PlannerInfo {
            kind: "offline".into(),
            model: None,
            endpoint: None,
        },
        recording: None,
    };
    let tty = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let mut config = SessionConfig::new(info);
    let executor = Arc::new(klue::exec::Executor::new(cluster).with_table_objects(true));
    if tty && !args.headless {
        config.approval = ApprovalPolicy::Ask;
        let handle = klue::session::spawn(Box::new(OfflinePlanner::new()), executor, config);
        return super::tui::open(handle).await;
    }
    config.approval = ApprovalPolicy::AllReadOnly;
    let symptom = args.symptom.unwrap_or_else(|| DEMO_SYMPTOM.to_string());
    let mut handle = klue::session::spawn(Box::new(OfflinePlanner::new()), executor, config);
    println!(
        "klue demo: a broken shop (namespace {namespace}), captured in a snapshot; offline planner; every read-only query approved.\n"
    );
    println!("> {symptom}\n");
    handle
        .ops
        .send(Op::UserMessage { text: symptom })
        .context("the session stopped")?;
    let mut concluded = false;
    let mut queries = 0;
    while let Some(ev) = handle.events.recv().await {
        match ev {
            Event::AssistantMessage { text } => println!("klue: {text}\n"),
            Event::Proposed(p) => println!(
                "proposed {}: {}\n    why: {}\n    tests: {}",
                p.id, p.command, p.reason, p.hypothesis
            ),
            Event::ExecFinished(x) => {
                queries += 1;
                println!("$ klue query '{}'   ({} ms)", x.command, x.duration_ms);
                match &x.error {
                    Some(e) => println!("{e}\n"),
                    None => println!("{}\n", indent(&x.output)),
                }
            }
            Event::Refused { command, why, .. } => println!("refused: {command}: {why}\n"),
            Event::Hypothesis(h) => {
                println!("hypothesis {} [{:?}]: {}\n", h.id, h.status, h.statement)
            }
            Event::Concluded(c) => {
                println!(
                    "== after {queries} queries, {} confidence\n",
                    c.confidence.word()
                );
                println!("{}", super::ask::report::conclusion_text(&c));
                concluded = true;
                break;
            }
            Event::Error { message } => eprintln!("klue: {message}"),
            Event::AwaitingInput if queries > 0 => break,
            _ => {}
        }
    }
    let _ = handle.ops.send(Op::End);
    println!(
        "Run `klue demo` in a terminal to investigate it yourself in the TUI, or `klue scan --snapshot <file>` on a snapshot of your own cluster (`klue snapshot -o <file>`)."
    );
    Ok(if concluded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
