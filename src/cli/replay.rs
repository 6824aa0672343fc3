//! `klue replay FILE`: play a recorded session in the same screen, read-only (no cluster, no
//! LLM): real time at 1×, 2×, 8× or instant, pause, step, seek.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use klue::protocol::Event;
use klue::record::Recording;
use klue::tui::replay::{Player, Speed};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// The recording: a path, or a file name in the sessions directory (see `klue sessions`).
    pub file: PathBuf,
    /// Playback speed to start with: 1, 2, 8 or instant.
    #[arg(long, default_value = "1", value_parser = parse_speed)]
    pub speed: Speed,
    /// Start paused (Space plays, `.` steps).
    #[arg(long)]
    pub paused: bool,
}

fn parse_speed(s: &str) -> Result<Speed, String> {
    match s.trim_end_matches(['x', '×']) {
        "1" => Ok(Speed::X1),
        "2" => Ok(Speed::X2),
        "8" => Ok(Speed::X8),
        "instant" | "0" => Ok(Speed::Instant),
        other => Err(format!(
            "unknown speed `{other}`: expected 1, 2, 8 or instant"
        )),
    }
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = klue::record::resolve(&args.file);
    let rec =
        klue::record::read(&path).with_context(|| format!("cannot replay {}", path.display()))?;
    super::screen::require_terminal()?;
    let _log = super::logging::init_log();
    let notices: Vec<String> = rec
        .warnings
        .iter()
        .map(|w| format!("{}: {w}", path.display()))
        .collect();
    for n in &notices {
        tracing::warn!("{n}");
    }
    let mut player = Player::new(timeline(&rec), args.speed);
    if args.paused {
        player.control(
            klue::tui::replay::ReplayCtl::TogglePause,
            std::time::Instant::now(),
        );
    }
    super::screen::open_replay(player, notices).await
}

/// The recorded events with their offsets from the start, in milliseconds. A recording
/// whose first event is not `SessionStarted` gets one from its header, so the status bar
/// shows the context and planner.
pub fn timeline(rec: &Recording) -> Vec<(u64, Event)> {
    let start = rec.header.started_at.as_millisecond();
    let mut out: Vec<(u64, Event)> = rec
        .entries
        .iter()
        .filter_map(|e| {
            let ms = (e.at.as_millisecond() - start).max(0) as u64;
            e.as_event().map(|ev| (ms, ev.clone()))
        })
        .collect();
    if !matches!(out.first(), Some((_, Event::SessionStarted(_)))) {
        out.insert(0, (0, Event::SessionStarted(rec.header.session.clone())));
    }
    out
}
