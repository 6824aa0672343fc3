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
use klue::config::PlannerKind;
use klue::protocol::{Event, SessionInfo};
use klue::record;

use super::common::ClusterArgs;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// The recording: a path, or a file name in the sessions directory (see `klue sessions`).
    pub file: PathBuf,
    /// Continue headless with this message (like `klue ask`) instead of opening the screen.
    #[arg(long, value_name = "MESSAGE")]
    pub ask: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The planner: `llm` or `offline` (default: the LLM when one is configured).
    #[arg(long)]
    pub planner: Option<PlannerKind>,
    /// The model to ask (overrides the config file and the environment).
    #[arg(long)]
    pub model: Option<String>,
    /// The OpenAI-compatible endpoint (overrides the config file and the environment).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Another config file than the default one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Approval of proposed queries: `ask` (each one), `all-read-only` (every allowed query),
    /// or with `--ask` also `none` (only print the proposals).
    #[arg(long, default_value = "ask")]
    pub approve: String,
    /// With `--ask`: most planner turns (default: the config's).
    #[arg(long)]
    pub max_turns: Option<u32>,
    /// With `--ask`: most queries run (default: the config's).
    #[arg(long)]
    pub max_queries: Option<u32>,
    /// Do not record the continued session.
    #[arg(long)]
    pub no_record: bool,
    /// With `--ask`: `text` for people, `json` (one document on stdout) for scripts.
    #[arg(long, short = 'o', default_value = "text")]
    pub output: String,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = super::export::resolve(&args.file);
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
    let cluster = cluster_args(&args.cluster, &rec.header.session)?;
    match &args.ask {
        Some(message) => {
            let ask = super::ask::Args {
                symptom: vec![message.clone()],
                cluster,
                planner: args.planner,
                model: args.model.clone(),
                base_url: args.base_url.clone(),
                config: args.config.clone(),
                approve: super::ask::parse_approve(&args.approve).map_err(anyhow::Error::msg)?,
                max_turns: args.max_turns,
                max_queries: args.max_queries,
                query_timeout: None,
                no_record: args.no_record,
                output: super::ask::parse_output(&args.output).map_err(anyhow::Error::msg)?,
            };
            super::ask::run_with(ask, earlier).await
        }
        None => {
            let tui = super::tui::Args {
                cluster,
                planner: args.planner,
                model: args.model.clone(),
                base_url: args.base_url.clone(),
                approve: super::tui::parse_approve(&args.approve).map_err(anyhow::Error::msg)?,
                config: args.config.clone(),
            };
            super::tui::run_with(tui, earlier).await
        }
    }
}

/// The cluster flags, defaulting to where the session was recorded: its snapshot, or its
/// context when the kubeconfig has it (else the current context, said on stderr), and its
/// namespace.
fn cluster_args(given: &ClusterArgs, recorded: &SessionInfo) -> anyhow::Result<ClusterArgs> {
    let mut args = given.clone();
    if args.namespace.is_none() {
        args.namespace = recorded.namespace.clone();
    }
    if args.snapshot.is_some() || args.context.is_some() {
        return Ok(args);
    }
    if let Some(snapshot) = recorded.context.strip_prefix("snapshot:") {
        let snapshot = Path::new(snapshot.trim());
        if snapshot.exists() {
            args.snapshot = Some(snapshot.to_path_buf());
            return Ok(args);
        }
        bail!(
            "the session was recorded on the snapshot {}, which does not exist any more; \
             give --snapshot FILE or --context NAME",
            snapshot.display()
        );
    }
    let known = klue::cluster::kubeconfig::load(args.kubeconfig.as_deref())
        .map(|k| k.config.contexts.iter().any(|c| c.name == recorded.context))
        .unwrap_or(false);
    if known {
        args.context = Some(recorded.context.clone());
    } else {
        eprintln!(
            "klue: the recorded context `{}` is not in the kubeconfig; continuing on the current context",
            recorded.context
        );
    }
    Ok(args)
}
