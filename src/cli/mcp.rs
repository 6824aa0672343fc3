//! `klue mcp`: serve klue's read-only tools to an MCP client over stdio.
//!
//! stdout carries protocol messages only; the log goes to the log file (`KLUE_LOG` sets the
//! filter), problems before the handshake to stderr.

use std::process::ExitCode;
use std::time::Duration;

use klue::mcp::{Options, Server};

/// The cluster flags are the shared ones (`--context`, `-n`, `--kubeconfig`, `--snapshot`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// Longest a single query may run, in seconds.
    #[arg(long, default_value_t = 60)]
    pub query_timeout: u64,
}

pub async fn run(global: &super::launch::GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let _log = super::screen::init_log();
    let cluster = global.connect().await?;
    tracing::info!(context = %cluster.info.context, "klue mcp serving on stdio");
    let options = Options {
        query_timeout: Duration::from_secs(args.query_timeout.max(1)),
        ..Options::default()
    };
    Server::new(cluster, options).serve_stdio().await?;
    Ok(ExitCode::SUCCESS)
}
