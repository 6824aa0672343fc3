//! `klue sessions`: list recorded sessions (newest first).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use jiff::tz::TimeZone;
use klue::record::{self, SessionSummary, timeline::human_duration};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// The directory holding recordings (default: $XDG_STATE_HOME/klue/sessions, else
    /// ~/.local/state/klue/sessions).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Show at most this many sessions.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = match args.dir {
        Some(d) => d,
        None => record::sessions_dir()
            .context("cannot find the state directory: set XDG_STATE_HOME or HOME")?,
    };
    let list = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || record::sessions::list(&dir)
    })
    .await?
    .with_context(|| format!("cannot list {}", dir.display()))?;
    let list: Vec<SessionSummary> = list.into_iter().take(args.limit).collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        println!("No recorded sessions in {}", dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", table(&list));
    Ok(ExitCode::SUCCESS)
}

fn trunc(s: &str, n: usize) -> String {
    let one = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > n {
        let cut: String = one.chars().take(n.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        one
    }
}

fn table(list: &[SessionSummary]) -> String {
    let rows: Vec<[String; 6]> = list
        .iter()
        .map(|s| {
            [
                s.started_at
                    .to_zoned(TimeZone::system())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string(),
                trunc(&s.context, 24),
                trunc(s.first_symptom.as_deref().unwrap_or("-"), 48),
                match &s.problem {
                    Some(_) => trunc(&format!("{} (damaged)", s.outcome), 44),
                    None => trunc(&s.outcome, 44),
                },
                human_duration(s.duration_ms),
                s.path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let head = [
        "STARTED", "CONTEXT", "SYMPTOM", "OUTCOME", "DURATION", "FILE",
    ];
    let mut width = head.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                l.push_str(c);
                l.push_str(&" ".repeat(width[i] - c.chars().count() + 3));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(head.to_vec());
    for r in &rows {
        line(r.iter().map(String::as_str).collect());
    }
    out
}
