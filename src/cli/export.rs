//! `klue export FILE --format markdown|json`: a postmortem timeline of a recorded session.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use klue::record::{self, Timeline};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Markdown,
    Json,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// The recording: a path, or a file name in the sessions directory (see `klue sessions`).
    pub file: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Write here instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = record::resolve(&args.file);
    let rec = tokio::task::spawn_blocking(move || record::read(&path)).await??;
    for w in &rec.warnings {
        eprintln!("klue: warning: {}: {w}", rec.path.display());
    }
    let timeline = Timeline::build(&rec);
    let text = match args.format {
        Format::Markdown => record::markdown::render(&timeline),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&timeline)?;
            s.push('\n');
            s
        }
    };
    match &args.output {
        Some(out) => {
            std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
