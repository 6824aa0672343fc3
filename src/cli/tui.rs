//! `klue` / `klue tui`: the interactive screen on the current kube context (or a snapshot),
//! with the LLM planner when one is configured and the offline planner otherwise. Every
//! shared flag applies (see [`super::launch`]).

use std::process::ExitCode;

use super::launch::{GlobalArgs, Launch};

/// The screen takes only the shared flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {}

pub async fn run(global: &GlobalArgs, _args: Args) -> anyhow::Result<ExitCode> {
    super::screen::run_live(global, Launch::new("s")).await
}
