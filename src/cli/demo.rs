//! `klue demo`: investigate a bundled snapshot of a broken shop, by default with the offline
//! planner: no cluster, kubeconfig or key needed. It is a real session, recorded like any
//! other (`klue sessions`, `replay`, `export` and `resume` work on it right after). On a
//! terminal it opens the screen (type a symptom, approve the proposed queries); otherwise it
//! runs headless like `klue ask` with a canned symptom, approving every read-only query.
//!
//! `klue demo --write-snapshot FILE` writes the bundled snapshot to a file instead, for
//! `klue scan --snapshot FILE` or `klue ask --snapshot FILE`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use klue::cluster::snapshot::{self, Snapshot};
use klue::config::PlannerKind;
use klue::planner::offline::DEMO_SYMPTOM;
use klue::session::ApprovalPolicy;

use super::launch::{GlobalArgs, Launch};

/// The namespace the bundled shop runs in.
const DEMO_NAMESPACE: &str = "shop";

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// The symptom to start with when running headless.
    #[arg(long)]
    pub symptom: Option<String>,
    /// Run headless (text) even on a terminal.
    #[arg(long)]
    pub headless: bool,
    /// Write the bundled snapshot to FILE (for `--snapshot FILE`) and exit.
    #[arg(long, value_name = "FILE")]
    pub write_snapshot: Option<PathBuf>,
    /// The session's budget and recording; headless, how it prints.
    #[command(flatten)]
    pub flags: super::headless::Headless,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.write_snapshot {
        return write_snapshot(path);
    }
    let namespace = global
        .namespace
        .clone()
        .unwrap_or_else(|| DEMO_NAMESPACE.into());
    let cluster = match &global.snapshot {
        Some(p) => {
            let snap = Snapshot::load(p)
                .with_context(|| format!("cannot open snapshot {}", p.display()))?;
            snapshot::cluster(Arc::new(snap), &p.display().to_string(), Some(&namespace))
        }
        None => snapshot::demo_cluster(Some(&namespace))?,
    };
    let tty = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let mut how = Launch::new("demo");
    how.cluster = Some(cluster);
    how.planner_default = Some(PlannerKind::Offline);
    if tty && !args.headless {
        if args.symptom.is_some() {
            anyhow::bail!(
                "--symptom starts the headless demo; on the screen, type the symptom (or add \
                 --headless)"
            );
        }
        args.flags
            .refuse_on_screen("add --headless for the text demo")?;
        args.flags.session.apply(&mut how);
        return super::screen::run_live(global, how).await;
    }
    how.default_approval = ApprovalPolicy::AllReadOnly;
    let symptom = args.symptom.unwrap_or_else(|| DEMO_SYMPTOM.to_string());
    eprintln!(
        "klue demo: a broken shop (namespace {namespace}), captured in a snapshot; run `klue demo` \
         in a terminal to investigate it yourself, or `klue demo --write-snapshot FILE` to get \
         the snapshot for `klue scan --snapshot FILE`.\n"
    );
    super::headless::investigate(global, &symptom, &args.flags, how).await
}

fn write_snapshot(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    std::fs::write(path, snapshot::DEMO_SNAPSHOT)
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wrote the demo snapshot to {} ({} KiB); try `klue scan --snapshot {0} -n {DEMO_NAMESPACE}`",
        path.display(),
        snapshot::DEMO_SNAPSHOT.len() / 1024,
    );
    Ok(ExitCode::SUCCESS)
}
