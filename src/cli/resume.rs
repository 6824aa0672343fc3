//! `klue resume FILE`: continue a recorded session with its context.
//!
//! The recording's events rebuild what the planner saw (the engineer's words, its replies,
//! every query with its outcome, hypotheses, the conclusion); successful queries answer
//! identical proposals again, and the earlier conversation is shown first. Then the session
//! goes on like `klue` (the screen), or like `klue ask` with `--ask "<message>"` (headless).
//! The cluster is the recorded context (or snapshot) unless the flags say otherwise.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use klue::protocol::{Event, SessionInfo, Target};
use klue::record;

use super::launch::{GlobalArgs, Launch};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// The recording: a path, or a file name in the sessions directory (see `klue sessions`).
    pub file: PathBuf,
    /// Continue headless with this message (like `klue ask`) instead of opening the screen.
    #[arg(long, value_name = "MESSAGE")]
    pub ask: Option<String>,
    /// The session's budget and recording; with `--ask`, how it prints.
    #[command(flatten)]
    pub headless: super::headless::Headless,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    if args.ask.is_none() {
        args.headless
            .refuse_on_screen("add --ask \"<message>\" to continue headless")?;
    }
    let path = record::resolve(&args.file);
    let rec = tokio::task::spawn_blocking(move || record::read(&path)).await??;
    for w in &rec.warnings {
        eprintln!("klue: warning: {}: {w}", rec.path.display());
    }
    let earlier: Vec<Event> = rec.events().cloned().collect();
    if !earlier
        .iter()
        .any(|e| matches!(e, Event::UserMessage { .. }))
    {
        bail!(
            "{} has no conversation to continue (no message from the engineer was recorded)",
            rec.path.display()
        );
    }
    let global = cluster_args(global, &rec.header.session)?;
    let recorded = &rec.header.session;
    match &args.ask {
        Some(message) => {
            let mut how = Launch::new("resume");
            how.earlier = earlier;
            on_demo(&mut how, &global, recorded)?;
            super::headless::investigate(&global, message, &args.headless, how).await
        }
        None => {
            let mut how = Launch::new("resume");
            how.earlier = earlier;
            args.headless.session.apply(&mut how);
            on_demo(&mut how, &global, recorded)?;
            super::screen::run_live(&global, how).await
        }
    }
}

/// The cluster flags, defaulting to where the session was recorded: its snapshot, or its
/// context when the kubeconfig has it (else the current context, said on stderr), and its
/// namespace.
fn cluster_args(given: &GlobalArgs, recorded: &SessionInfo) -> anyhow::Result<GlobalArgs> {
    let mut args = given.clone();
    if args.namespace.is_none() {
        args.namespace = recorded.namespace.clone();
    }
    if args.snapshot.is_some() || args.context.is_some() {
        return Ok(args);
    }
    let context = match &recorded.context {
        Target::Context(c) => c,
        // The demo's snapshot is bundled: [`on_demo`] opens it.
        Target::Demo => return Ok(args),
        Target::Snapshot(path) => {
            return snapshot_args(args, Path::new(path));
        }
    };
    let known = klue::cluster::kubeconfig::load(args.kubeconfig.as_deref())
        .map(|k| k.config.contexts.iter().any(|c| c.name == *context))
        .unwrap_or(false);
    if known {
        args.context = Some(context.clone());
    } else {
        eprintln!(
            "klue: the recorded context `{context}` is not in the kubeconfig; continuing on the current context"
        );
    }
    Ok(args)
}

fn snapshot_args(mut args: GlobalArgs, snapshot: &Path) -> anyhow::Result<GlobalArgs> {
    if !snapshot.exists() {
        bail!(
            "the session was recorded on the snapshot {}, which does not exist any more; \
             give --snapshot FILE or --context NAME",
            snapshot.display()
        );
    }
    args.snapshot = Some(snapshot.to_path_buf());
    Ok(args)
}

/// A session recorded on the bundled demo continues on it (unless the flags say otherwise),
/// with the offline planner unless `--planner` says otherwise.
fn on_demo(how: &mut Launch, global: &GlobalArgs, recorded: &SessionInfo) -> anyhow::Result<()> {
    if recorded.context == Target::Demo && global.snapshot.is_none() && global.context.is_none() {
        how.cluster = Some(klue::cluster::snapshot::demo_cluster(
            global.namespace.as_deref(),
        )?);
        how.planner_default = Some(klue::config::PlannerKind::Offline);
    }
    Ok(())
}
