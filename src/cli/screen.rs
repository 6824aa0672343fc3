//! The screen as a front end: every command that opens the TUI (`klue`/`tui`, `resume`,
//! `demo`, `replay`) goes through here.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, bail};
use klue::cluster::Cluster;
use klue::protocol::Connection;
use klue::session::SessionHandle;
use klue::tui::replay::Player;
use klue::tui::{App, Mode, Source, TerminalGuard, Theme};

use super::launch::{GlobalArgs, Launch, Launched, launch};

/// The screen needs a terminal; headless use has `klue ask`.
pub fn require_terminal() -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(
            "klue's screen needs a terminal (stdin and stdout are not both a TTY); \
             use `klue ask \"<symptom>\"` to investigate headless"
        );
    }
    Ok(())
}

/// The screen on a new session `how` describes: the terminal checked, the log opened, the
/// session launched, its connection checked behind the first frame, the recording finished
/// when the engineer quits. `klue`/`tui`, `resume` and `demo` open their sessions here.
pub async fn run_live(global: &GlobalArgs, how: Launch) -> anyhow::Result<ExitCode> {
    require_terminal()?;
    let _log = super::logging::init_log();
    let launched = launch(global, how).await?;
    let cluster = launched.cluster.clone();
    let (handle, recorder) = launched.into_parts();
    let handle = with_connection_check(handle, cluster);
    let code = open(handle).await;
    Launched::finish_recording(recorder).await;
    code
}

/// Open the screen on a running session until the engineer quits.
pub async fn open(handle: SessionHandle) -> anyhow::Result<ExitCode> {
    let SessionHandle { ops, events, task } = handle;
    let mut app = App::new(Mode::Live, Theme::from_env());
    screen(&mut app, Source::Live { ops, events }).await?;
    // The loop asked the session to end; give it a moment to finish its recording.
    if tokio::time::timeout(std::time::Duration::from_secs(2), task)
        .await
        .is_err()
    {
        tracing::warn!("the session task did not finish within 2 s");
    }
    Ok(ExitCode::SUCCESS)
}

/// The session's events with the connection check of `cluster` running behind the first
/// frame (discovery, the server's version), shown in the status bar when it answers.
pub fn with_connection_check(mut handle: SessionHandle, cluster: Cluster) -> SessionHandle {
    handle.events = klue::tui::with_connection_check(handle.events, async move {
        match cluster.check().await {
            Ok(f) => Connection::Connected {
                version: f.version,
                resources: f.resources,
                cached: f.cached,
            },
            Err(e) => Connection::Unreachable {
                detail: e.to_string(),
            },
        }
    });
    handle
}

/// Play recorded events into the screen (read-only). `notices` (problems the reader
/// tolerated) are shown in the chat first.
pub async fn open_replay(player: Player, notices: Vec<String>) -> anyhow::Result<ExitCode> {
    let mut app = App::new(Mode::Replay, Theme::from_env());
    for n in notices {
        app.notice(n);
    }
    screen(&mut app, Source::Replay(player)).await?;
    Ok(ExitCode::SUCCESS)
}

async fn screen(app: &mut App, source: Source) -> anyhow::Result<()> {
    let mut guard = TerminalGuard::enter().context("cannot set up the terminal")?;
    let result = klue::tui::run(&mut guard, app, source).await;
    drop(guard);
    result.context("the screen failed")?;
    Ok(())
}
