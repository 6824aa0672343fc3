//! `klue query '<command>'`: run one read-only query and print what kubectl would print.
//!
//! Exit codes: 0 success, 1 an error from the cluster or the connection, 2 a refusal.

use std::io::Write;
use std::process::ExitCode;

use klue::exec::{ExecError, Executor};
use klue::render::cap::OutputCap;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// The kubectl-style command in one argument, e.g. 'get pods -n shop' (the `kubectl`
    /// prefix is optional). Flags after it are klue's own (`--context`, `-n`, ...).
    #[arg(required = true, num_args = 1..)]
    pub command: Vec<String>,
    /// Cut the output after this many lines (a marker says what was cut).
    #[arg(long, default_value_t = OutputCap::default().max_lines)]
    pub max_lines: usize,
    /// Cut the output after this many bytes.
    #[arg(long, default_value_t = OutputCap::default().max_bytes)]
    pub max_bytes: usize,
    /// The overall bound on the query in seconds (default: the config's
    /// `[budget] query_timeout_secs`, else 60).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
}

pub async fn run(global: &super::launch::GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let _log = super::logging::init_log();
    // One argument is the whole command line; several are joined as the shell split them.
    let line = if args.command.len() == 1 {
        args.command[0].clone()
    } else {
        shell_words::join(&args.command)
    };
    let query = match klue::query::parse(&line) {
        Ok(q) => q,
        Err(refusal) => {
            eprintln!("klue: refused: {}", refusal.reason);
            return Ok(ExitCode::from(2));
        }
    };
    let cluster = match global.connect().await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("klue: {e:#}");
            return Ok(ExitCode::from(1));
        }
    };
    let timeout = match args.timeout {
        Some(secs) => std::time::Duration::from_secs(secs),
        None => match klue::config::Settings::load(&klue::config::Overrides::default()) {
            Ok(s) => s.budget.query_timeout,
            Err(e) => {
                eprintln!("klue: warning: {e}; using the default query timeout");
                klue::exec::DEFAULT_TIMEOUT
            }
        },
    };
    let executor = Executor::new(cluster)
        .with_cap(OutputCap {
            max_lines: args.max_lines,
            max_bytes: args.max_bytes,
        })
        .with_timeout(timeout);
    match executor.run(&query).await {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            let mut write = || -> std::io::Result<()> {
                stdout.write_all(out.text.as_bytes())?;
                if !out.text.is_empty() && !out.text.ends_with('\n') {
                    stdout.write_all(b"\n")?;
                }
                stdout.flush()
            };
            match write() {
                // a closed pipe (`| head`) is not an error
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(ExitCode::SUCCESS),
            }
        }
        Err(ExecError::Refused(why)) => {
            eprintln!("klue: refused: {why}");
            Ok(ExitCode::from(2))
        }
        Err(e) => {
            // an error can quote the cluster (a kubelet's or webhook's message): redacted
            // like any output
            eprintln!("{}", klue::redact::redact(&e.to_string()));
            Ok(ExitCode::from(1))
        }
    }
}
