//! The command line: one file per subcommand. `anyhow` lives here, at the binary's edge.

pub mod ask;
pub mod completions;
pub mod demo;
pub mod export;
pub mod headless;
pub mod launch;
pub mod logging;
pub mod mcp;
pub mod query;
pub mod replay;
pub mod resume;
pub mod scan;
pub mod screen;
pub mod sessions;
pub mod snapshot;
pub mod tui;

use launch::{GlobalArgs, Uses};

use clap::{Parser, Subcommand};

/// klue: read-only Kubernetes troubleshooting in the terminal, with an LLM (or rules) in the loop.
#[derive(Debug, Parser)]
#[command(name = "klue", version = env!("KLUE_VERSION"), about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The shared flags: accepted before or after the subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the interactive TUI (the default).
    Tui(tui::Args),
    /// Investigate a symptom headless: proposals, decisions, outputs, conclusion.
    #[command(after_help = headless::EXIT_CODES)]
    Ask(ask::Args),
    /// Run one read-only kubectl-style query, e.g. `klue query 'get pods -n shop'`.
    Query(query::Args),
    /// Run every analyzer over a namespace or the whole cluster.
    Scan(scan::Args),
    /// Capture a cluster (redacted) for later use with --snapshot.
    Snapshot(snapshot::Args),
    /// Investigate a bundled broken shop application: no cluster, no key needed.
    Demo(demo::Args),
    /// List recorded sessions.
    Sessions(sessions::Args),
    /// Replay a recorded session in the TUI (read-only; touches no cluster, no LLM).
    Replay(replay::Args),
    /// Export a recorded session as a postmortem timeline.
    Export(export::Args),
    /// Continue a recorded session.
    Resume(resume::Args),
    /// Serve klue's read-only tools to an MCP client (an IDE agent, a chat app) over stdio.
    Mcp(mcp::Args),
    /// Print a shell completion script: `klue completions bash|zsh|fish`.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff), or write one per subcommand with --dir.
    Man(completions::ManArgs),
}

/// Run the parsed command line; the exit code says how it went. A shared flag the
/// subcommand cannot use is an error before anything runs.
pub async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let g = &cli.global;
    let (name, uses) = match &cli.command {
        None | Some(Command::Tui(_)) => ("tui", Uses::SESSION),
        Some(Command::Ask(_)) => ("ask", Uses::SESSION),
        Some(Command::Resume(_)) => ("resume", Uses::SESSION),
        Some(Command::Query(_)) => ("query", Uses::CLUSTER),
        Some(Command::Scan(_)) => ("scan", Uses::CLUSTER),
        Some(Command::Snapshot(_)) => ("snapshot", Uses::CLUSTER),
        Some(Command::Demo(_)) => ("demo", Uses::DEMO),
        Some(Command::Sessions(_)) => ("sessions", Uses::NONE),
        Some(Command::Replay(_)) => ("replay", Uses::NONE),
        Some(Command::Export(_)) => ("export", Uses::NONE),
        Some(Command::Mcp(_)) => ("mcp", Uses::CLUSTER),
        Some(Command::Completions(_)) => ("completions", Uses::NONE),
        Some(Command::Man(_)) => ("man", Uses::NONE),
    };
    g.check(name, uses)?;
    match cli.command {
        None => tui::run(g, tui::Args::default()).await,
        Some(Command::Tui(a)) => tui::run(g, a).await,
        Some(Command::Ask(a)) => ask::run(g, a).await,
        Some(Command::Query(a)) => query::run(g, a).await,
        Some(Command::Scan(a)) => scan::run(g, a).await,
        Some(Command::Snapshot(a)) => snapshot::run(g, a).await,
        Some(Command::Demo(a)) => demo::run(g, a).await,
        Some(Command::Sessions(a)) => sessions::run(a).await,
        Some(Command::Replay(a)) => replay::run(a).await,
        Some(Command::Export(a)) => export::run(a).await,
        Some(Command::Resume(a)) => resume::run(g, a).await,
        Some(Command::Mcp(a)) => mcp::run(g, a).await,
        Some(Command::Completions(a)) => completions::completions(a),
        Some(Command::Man(a)) => completions::man(a),
    }
}
