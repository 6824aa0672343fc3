//! Where recordings live, and the listing behind `klue sessions`.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use super::reader::{ReadError, RecordingReader};
use super::timeline::outcome;
use crate::protocol::Event;

/// `$XDG_STATE_HOME/klue/sessions`, else `~/.local/state/klue/sessions`.
/// `None` when neither is known (no home directory).
pub fn sessions_dir() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| dirs::home_dir().map(|h| h.join(".local").join("state")))?;
    Some(state.join("klue").join("sessions"))
}

/// A recording as the engineer names it: a path as given, else that name in the sessions
/// directory (`klue sessions` lists the names), with or without its `.jsonl` ending.
pub fn resolve(file: &Path) -> PathBuf {
    if file.exists() {
        return file.to_path_buf();
    }
    if file.components().count() == 1
        && let Some(dir) = sessions_dir()
    {
        let candidate = dir.join(file);
        if candidate.exists() {
            return candidate;
        }
        let with_ending = dir.join(format!("{}.jsonl", file.display()));
        if with_ending.exists() {
            return with_ending;
        }
    }
    file.to_path_buf()
}

/// One line of `klue sessions`.
#[derive(Debug, Clone, Serialize)]
pub struct SessionSummary {
    pub path: PathBuf,
    pub started_at: Timestamp,
    pub context: String,
    pub first_symptom: Option<String>,
    pub outcome: String,
    pub duration_ms: i64,
    pub queries_run: usize,
    /// Why the file could not be summarised fully (it is still listed).
    pub problem: Option<String>,
}

/// Summarise one recording (reads it through).
pub fn summarize(path: &Path) -> Result<SessionSummary, ReadError> {
    let mut r = RecordingReader::open(path)?;
    let header = r.header().clone();
    let mut last = header.started_at;
    let mut symptom = None;
    let mut conclusion = None;
    let mut ended = None;
    let mut queries_run = 0;
    let mut problem = None;
    loop {
        match r.next_entry() {
            Ok(Some(e)) => {
                last = last.max(e.at);
                match e.as_event() {
                    Some(Event::UserMessage { text }) if symptom.is_none() => {
                        symptom = Some(text.clone());
                    }
                    Some(Event::Concluded(c)) => conclusion = Some(c.clone()),
                    Some(Event::SessionEnded { reason }) => ended = Some(*reason),
                    Some(Event::ExecFinished(_)) => queries_run += 1,
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                problem = Some(e.to_string());
                break;
            }
        }
    }
    if problem.is_none() && !r.warnings().is_empty() {
        problem = Some(r.warnings()[0].to_string());
    }
    Ok(SessionSummary {
        path: path.to_path_buf(),
        started_at: header.started_at,
        context: header.session.context.to_string(),
        first_symptom: symptom,
        outcome: outcome(conclusion.as_ref(), ended),
        duration_ms: i64::try_from(last.duration_since(header.started_at).as_millis()).unwrap_or(0),
        queries_run,
        problem,
    })
}

/// Every recording in `dir` (`*.jsonl`), newest first. Files that are not recordings are
/// skipped; a missing directory is an empty list.
pub fn list(dir: &Path) -> std::io::Result<Vec<SessionSummary>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("jsonl") {
            continue;
        }
        match summarize(&path) {
            Ok(s) => out.push(s),
            Err(e) => tracing::debug!("skipping {}: {e}", path.display()),
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.started_at));
    Ok(out)
}
