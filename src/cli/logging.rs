//! klue's log file: every command sends `tracing` there (the screen owns the terminal, so
//! nothing may be printed), with the HTTP and TLS stacks kept quiet.

use std::path::PathBuf;

/// Where klue writes its log: `$XDG_STATE_HOME/klue/klue.log` (the screen owns the
/// terminal, so nothing may be printed).
pub fn log_path() -> Option<PathBuf> {
    let base = dirs::state_dir().or_else(dirs::data_local_dir)?;
    Some(base.join("klue").join("klue.log"))
}

/// Send tracing to the log file. The returned guard flushes it on drop. `KLUE_LOG` sets the
/// filter (default `info`).
pub fn init_log() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let path = log_path()?;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let file = tracing_appender::rolling::never(dir, "klue.log");
    let (writer, guard) = tracing_appender::non_blocking(file);
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("KLUE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The HTTP and TLS stacks trace headers and bodies at debug and trace level (a bearer
    // token, a Secret): whatever KLUE_LOG says, they log at info at most.
    for quiet in [
        "hyper=info",
        "hyper_util=info",
        "h2=info",
        "rustls=info",
        "tokio_rustls=info",
        "reqwest=info",
        "tower=info",
        "tower_http=info",
        "kube_client=info",
        "async_openai=info",
    ] {
        if let Ok(d) = quiet.parse() {
            filter = filter.add_directive(d);
        }
    }
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
