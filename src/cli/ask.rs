//! `klue ask "<symptom>"`: investigate headless, to a conclusion (the front end is
//! [`super::headless`]).

use std::process::ExitCode;

use super::headless::{self, Headless};
use super::launch::{GlobalArgs, Launch};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// What is wrong, in your words, e.g. "checkout pods keep restarting in namespace shop".
    #[arg(required = true, num_args = 1..)]
    pub symptom: Vec<String>,
    #[command(flatten)]
    pub headless: Headless,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let _log = super::logging::init_log();
    let symptom = args.symptom.join(" ");
    headless::investigate(global, &symptom, &args.headless, Launch::new("ask")).await
}
