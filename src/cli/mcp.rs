//! `klue mcp`: serve klue's read-only tools to an MCP client over stdio.
//!
//! stdout carries protocol messages only; the log goes to the log file (`KLUE_LOG` sets the
//! filter), problems before the handshake to stderr.

use std::process::ExitCode;
use std::time::Duration;

use klue::config::{Overrides, Settings};
use klue::mcp::{Options, Server};
use klue::protocol::Budget;

/// The cluster flags are the shared ones (`--context`, `-n`, `--kubeconfig`, `--snapshot`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// The overall bound on one query in seconds (default: the config's
    /// `[budget] query_timeout_secs`, else 60).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub query_timeout: Option<u64>,
}

pub async fn run(global: &super::launch::GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let _log = super::logging::init_log();
    // The config's budget bounds `investigate` (its `max_queries` argument overrides the
    // queries) and every query; a broken config is said once and the defaults apply.
    let budget = match Settings::load(&Overrides::default()) {
        Ok(s) => s.budget,
        Err(e) => {
            eprintln!("klue: warning: {e}; using the default budget");
            Default::default()
        }
    };
    let cluster = global.connect().await?;
    tracing::info!(context = %cluster.info.context, "klue mcp serving on stdio");
    let options = Options {
        query_timeout: args
            .query_timeout
            .map_or(budget.query_timeout, Duration::from_secs),
        budget: Budget::from(&budget),
        limits: klue::condense::Limits::from(&budget),
        ..Options::default()
    };
    Server::new(cluster, options).serve_stdio().await?;
    Ok(ExitCode::SUCCESS)
}
