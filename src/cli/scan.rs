//! `klue scan`: every analyzer over a namespace or the whole cluster, findings ranked by
//! severity, as text or JSON.

use std::process::ExitCode;

use anyhow::Context as _;
use klue::analyze::report::Scan;
use klue::analyze::{Severity, fetch};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// Scan every namespace (the default unless -n is given).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Only report findings at least this severe.
    #[arg(long, value_enum)]
    pub min_severity: Option<SeverityArg>,
    /// Do not read container logs.
    #[arg(long)]
    pub no_logs: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeverityArg {
    Critical,
    Warning,
    Info,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Critical => Severity::Critical,
            SeverityArg::Warning => Severity::Warning,
            SeverityArg::Info => Severity::Info,
        }
    }
}

pub async fn run(global: &super::launch::GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let _log = super::logging::init_log();
    let client = global.connect().await?.client;
    let namespace = if args.all_namespaces {
        None
    } else {
        global.namespace.clone()
    };
    let opts = fetch::FetchOptions {
        namespace,
        logs: !args.no_logs,
        ..Default::default()
    };
    let scan = Scan::run(&client, &opts, args.min_severity.map(Severity::from))
        .await
        .context("scan failed")?;
    match args.output {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&scan.json())?),
        OutputFormat::Text => print!("{}", scan.text()),
    }
    Ok(ExitCode::SUCCESS)
}
