//! `klue` / `klue tui`: the interactive screen on the current kube context (or a snapshot),
//! with the LLM planner when one is configured and the offline planner otherwise. Every
//! shared flag applies (see [`super::launch`]).

use std::process::ExitCode;

use super::launch::{GlobalArgs, Launch, Launched, launch};

/// The screen takes only the shared flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {}

pub async fn run(global: &GlobalArgs, _args: Args) -> anyhow::Result<ExitCode> {
    super::screen::require_terminal()?;
    let _log = super::logging::init_log();
    let launched = launch(global, Launch::new("s")).await?;
    let cluster = launched.cluster.clone();
    let (handle, recorder) = launched.into_parts();
    let handle = super::screen::with_connection_check(handle, cluster);
    let code = super::screen::open(handle).await;
    Launched::finish_recording(recorder).await;
    code
}
