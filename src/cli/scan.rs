//! `klue scan`: every analyzer over a namespace or the whole cluster, findings ranked by
//! severity, as text or JSON.

use std::process::ExitCode;

use anyhow::Context as _;
use klue::analyze::{self, Finding, Severity, fetch};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub cluster: super::common::ClusterArgs,
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

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _log = super::tui::init_log();
    let client = super::common::analysis_client(&args.cluster).await?;
    let namespace = if args.all_namespaces {
        None
    } else {
        args.cluster.namespace.clone()
    };
    let opts = fetch::FetchOptions {
        namespace: namespace.clone(),
        logs: !args.no_logs,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let fetched = fetch::fetch_view(&client, &opts)
        .await
        .context("scan failed")?;
    let mut findings = analyze::analyze(&fetched.view);
    if let Some(min) = args.min_severity {
        let min: Severity = min.into();
        findings.retain(|f| f.severity <= min);
    }
    let elapsed = started.elapsed();
    match args.output {
        OutputFormat::Json => {
            let mut doc = serde_json::json!({
                "scope": namespace.as_deref().unwrap_or("all namespaces"),
                "objects": fetched.view.len(),
                "findings": findings,
                "skipped": fetched.skipped,
                "duration_ms": elapsed.as_millis() as u64,
            });
            // findings quote logs, events and specs: redacted like every output
            klue::redact::redact_value(&mut doc);
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        OutputFormat::Text => print!(
            "{}",
            klue::redact::redact(&render_text(
                &findings,
                &fetched.skipped,
                namespace.as_deref(),
                fetched.view.len(),
                elapsed
            ))
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The findings as a human reads them.
pub fn render_text(
    findings: &[Finding],
    skipped: &[String],
    namespace: Option<&str>,
    objects: usize,
    elapsed: std::time::Duration,
) -> String {
    let mut out = String::new();
    let scope = namespace
        .map(|n| format!("namespace {n}"))
        .unwrap_or_else(|| "all namespaces".into());
    if findings.is_empty() {
        out.push_str(&format!(
            "No problems found in {scope} ({objects} objects checked).\n"
        ));
    }
    for f in findings {
        let sev = match f.severity {
            Severity::Critical => "CRITICAL",
            Severity::Warning => "WARNING ",
            Severity::Info => "INFO    ",
        };
        out.push_str(&format!("{sev} {}: {}\n", f.object, f.title));
        for e in &f.evidence {
            out.push_str(&format!("         - {e}\n"));
        }
        out.push_str(&format!("         fix: {}\n", f.remediation));
        if let Some(c) = f.checks.first() {
            out.push_str(&format!("         see: klue query '{c}'\n"));
        }
        out.push('\n');
    }
    if !findings.is_empty() {
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        out.push_str(&format!(
            "{} findings in {scope} ({} critical, {} warning, {} info; {objects} objects checked in {:.2}s)\n",
            findings.len(),
            count(Severity::Critical),
            count(Severity::Warning),
            count(Severity::Info),
            elapsed.as_secs_f64()
        ));
    }
    for s in skipped {
        out.push_str(&format!("not checked: {s}\n"));
    }
    out
}
