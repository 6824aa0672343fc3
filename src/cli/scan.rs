//! `klue scan`.

use std::process::ExitCode;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub cluster: super::common::ClusterArgs,
}

pub async fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`klue scan` is not implemented yet")
}
