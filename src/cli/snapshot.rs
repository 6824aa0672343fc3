//! `klue snapshot -o PATH`: capture a cluster (redacted) for later use with `--snapshot`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use klue::cluster::snapshot::{self, CaptureOptions, SnapshotSource};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// Where to write the snapshot (gzip-compressed JSON).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Capture only the namespace given with -n (cluster-scoped kinds are always captured).
    #[arg(long)]
    pub only_namespace: bool,
    /// Log lines kept per unhealthy container.
    #[arg(long, default_value_t = 200)]
    pub log_lines: u32,
}

pub async fn run(global: &super::launch::GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let _log = super::logging::init_log();
    let cluster = global.connect().await?;
    let source = SnapshotSource {
        context: cluster.info.context.to_string(),
        server: cluster.info.server.clone(),
    };
    let client = cluster.client;
    let opts = CaptureOptions {
        namespace: if args.only_namespace {
            global.namespace.clone()
        } else {
            None
        },
        log_tail_lines: args.log_lines,
        source,
        ..Default::default()
    };
    let snap = snapshot::capture(&client, &opts)
        .await
        .context("snapshot failed")?;
    snap.save(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let size = std::fs::metadata(&args.output)
        .map(|m| m.len())
        .unwrap_or(0);
    eprintln!(
        "captured {} objects of {} resource types and {} container logs into {} ({} KiB){}",
        snap.object_count(),
        snap.resources.len(),
        snap.logs.len(),
        args.output.display(),
        size / 1024,
        if snap.notes.is_empty() {
            String::new()
        } else {
            format!("; {} notes (see the file's `notes`)", snap.notes.len())
        }
    );
    eprintln!("redacted: {}", snap.redacted.summary());
    Ok(ExitCode::SUCCESS)
}
