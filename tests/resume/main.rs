//! `klue resume`: a session recorded by `klue ask` (offline planner, the demo snapshot) is
//! continued headless with a follow-up; the continued session carries the earlier one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use klue::protocol::{Decider, Event, ProposalId};

fn klue(state: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klue"));
    cmd.env("XDG_STATE_HOME", state)
        .env("XDG_CONFIG_HOME", state.join("config"))
        .env("HOME", state)
        .env_remove("KUBECONFIG")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL");
    cmd
}

fn check(out: &Output, what: &str) {
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(2),
        "{what} failed ({:?}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn recordings(state: &Path) -> Vec<PathBuf> {
    let dir = state.join("klue").join("sessions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn events(path: &Path) -> Vec<Event> {
    let rec = klue::record::read(path).expect("a readable recording");
    rec.events().cloned().collect()
}

fn shown(e: &Event) -> bool {
    !matches!(
        e,
        Event::SessionStarted(_)
            | Event::AssistantDelta { .. }
            | Event::AwaitingInput
            | Event::Cancelled
            | Event::ApiCalls(_)
            | Event::SessionEnded { .. }
    )
}

#[test]
fn resume_continues_a_recorded_session_with_its_context() {
    let state = tempfile::tempdir().expect("tempdir");
    let snapshot = state.path().join("shop.klue.gz");
    std::fs::write(&snapshot, klue::cluster::snapshot::DEMO_SNAPSHOT).expect("write snapshot");

    // 1. Record an investigation.
    let first = klue(state.path())
        .arg("ask")
        .arg("--snapshot")
        .arg(&snapshot)
        .args([
            "-n",
            "shop",
            "--planner",
            "offline",
            "--approve",
            "all-read-only",
        ])
        .args(["-o", "json", "checkout pods keep restarting"])
        .output()
        .expect("run klue ask");
    check(&first, "klue ask");
    let files = recordings(state.path());
    assert_eq!(files.len(), 1, "one recording: {files:?}");
    let earlier = events(&files[0]);
    let earlier_shown: Vec<Event> = earlier.iter().filter(|e| shown(e)).cloned().collect();
    let earlier_ids: Vec<ProposalId> = earlier
        .iter()
        .filter_map(|e| match e {
            Event::ExecFinished(x) if x.error.is_none() => Some(x.id.clone()),
            _ => None,
        })
        .collect();
    assert!(!earlier_ids.is_empty(), "the first session ran queries");

    // 2. Resume it by file name alone (looked up in the sessions directory), headless; the
    //    cluster is the recorded snapshot.
    let name = files[0].file_name().expect("name").to_owned();
    let second = klue(state.path())
        .arg("resume")
        .arg(&name)
        .args([
            "--planner",
            "offline",
            "--approve",
            "all-read-only",
            "-o",
            "json",
        ])
        .args(["--ask", "look again at the checkout pods"])
        .output()
        .expect("run klue resume");
    check(&second, "klue resume");
    let report: serde_json::Value =
        serde_json::from_slice(&second.stdout).expect("one JSON document on stdout");

    let files = recordings(state.path());
    assert_eq!(
        files.len(),
        2,
        "the resumed session is recorded too: {files:?}"
    );
    let resumed_path = files
        .iter()
        .find(|f| f.file_name() != Some(name.as_os_str()))
        .expect("the new recording");
    let resumed = events(resumed_path);

    // The continued recording starts with the earlier conversation, then the follow-up.
    assert!(matches!(resumed.first(), Some(Event::SessionStarted(_))));
    let n = earlier_shown.len();
    assert_eq!(
        &resumed[1..=n],
        &earlier_shown[..],
        "the resumed recording replays the earlier events first"
    );
    let rest = &resumed[n + 1..];
    assert!(
        rest.iter().any(
            |e| matches!(e, Event::UserMessage { text } if text == "look again at the checkout pods")
        ),
        "the follow-up is recorded: {rest:?}"
    );

    // New proposals continue the numbering; identical queries are answered from the earlier
    // results (the planner saw them), and never run twice.
    let mut all_ids = Vec::new();
    for e in &resumed {
        if let Event::Proposed(p) = e {
            assert!(!all_ids.contains(&p.id), "proposal id {} used twice", p.id);
            all_ids.push(p.id.clone());
        }
    }
    let new_runs: Vec<String> = rest
        .iter()
        .filter_map(|e| match e {
            Event::ExecFinished(x) => Some(x.command.clone()),
            _ => None,
        })
        .collect();
    let earlier_commands: Vec<String> = earlier
        .iter()
        .filter_map(|e| match e {
            Event::ExecFinished(x) if x.error.is_none() => Some(x.command.clone()),
            _ => None,
        })
        .collect();
    for c in &new_runs {
        assert!(
            !earlier_commands.contains(c),
            "`{c}` ran again although the earlier session has its result"
        );
    }
    let dedup_from_earlier = rest.iter().any(|e| {
        matches!(e, Event::Decided { by: Decider::Dedup { earlier }, .. } if earlier_ids.contains(earlier))
    });
    let concluded = rest.iter().any(|e| matches!(e, Event::Concluded(_)));
    assert!(
        dedup_from_earlier || concluded,
        "the continued investigation used the earlier results or concluded: {rest:#?}"
    );
    eprintln!(
        "dedup from earlier: {dedup_from_earlier}, concluded: {concluded}, new runs: {new_runs:?}"
    );

    // The planner went on from where it was: a fresh session given the same message starts
    // elsewhere (the offline planner's first step on an empty transcript).
    let fresh = klue(state.path())
        .arg("ask")
        .arg("--snapshot")
        .arg(&snapshot)
        .args([
            "-n",
            "shop",
            "--planner",
            "offline",
            "--approve",
            "none",
            "--no-record",
        ])
        .args(["-o", "json", "look again at the checkout pods"])
        .output()
        .expect("run klue ask");
    check(&fresh, "klue ask (fresh)");
    let fresh: serde_json::Value = serde_json::from_slice(&fresh.stdout).expect("json");
    let first_fresh = fresh.to_string();
    let first_resumed = rest
        .iter()
        .find_map(|e| match e {
            Event::Proposed(p) => Some(p.command.clone()),
            _ => None,
        })
        .expect("the resumed session proposed something");
    assert!(
        !first_fresh.contains(&format!("\"command\":\"{first_resumed}\"")),
        "the resumed planner started like a fresh one (`{first_resumed}`): it did not see the earlier session"
    );
    let max_earlier = earlier_ids
        .iter()
        .filter_map(|id| id.0.trim_start_matches('p').parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    let first_new = rest
        .iter()
        .find_map(|e| match e {
            Event::Proposed(p) => p.id.0.trim_start_matches('p').parse::<u32>().ok(),
            _ => None,
        })
        .unwrap_or(0);
    assert!(
        first_new > max_earlier,
        "new ids continue after p{max_earlier}: p{first_new}"
    );

    // The JSON report holds the earlier proposals as well.
    let text = report.to_string();
    for id in &earlier_ids {
        assert!(text.contains(&format!("\"{id}\"")), "{id} in the report");
    }
}

#[test]
fn resume_reports_a_file_that_is_not_a_recording() {
    let state = tempfile::tempdir().expect("tempdir");
    let bad = state.path().join("notes.jsonl");
    std::fs::write(&bad, "not a recording\n").expect("write");
    let out = klue(state.path())
        .arg("resume")
        .arg(&bad)
        .args(["--planner", "offline", "--ask", "go on"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("notes.jsonl:1: not a klue recording"), "{err}");

    let out = klue(state.path())
        .arg("resume")
        .arg("missing.jsonl")
        .args(["--planner", "offline", "--ask", "go on"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing.jsonl"), "{err}");
}
