//! `klue resume`: a session recorded by `klue ask` (offline planner, the demo snapshot, and a
//! scenario loaded into the real apiserver) is continued headless with a follow-up; the
//! continued session carries the earlier one, and a different question gets its own line of
//! inquiry.

#[path = "../support/mod.rs"]
mod support;

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

/// Load one scenario fixture (objects with status, container logs) and the nodes its pods
/// run on into the test control plane.
fn load_scenario(env: &'static support::TestEnv, name: &str) {
    let dir = support::fixtures_dir().join("scenarios").join(name);
    support::register_logs(&support::kubelet(), &dir.join("logs")).expect("register logs");
    let objects = std::fs::read_to_string(dir.join("objects.yaml")).expect("objects.yaml");
    // The scenario's pods run on node-a, which another scenario defines.
    let nodes_from = support::fixtures_dir().join("scenarios/crashloop-missing-env/objects.yaml");
    let nodes: Vec<String> = std::fs::read_to_string(nodes_from)
        .expect("objects.yaml")
        .split("\n---")
        .filter(|doc| doc.lines().any(|l| l.trim() == "kind: Node"))
        .map(str::to_string)
        .collect();
    let text = format!("{}\n---\n{objects}", nodes.join("\n---\n"));
    support::run_isolated(async move { support::apply(env, &text).await.map(|_| ()) })
        .expect("apply the scenario");
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "one JSON document on stdout ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn causes(c: &serde_json::Value, key: &str) -> String {
    c[key]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| p["cause"].as_str().unwrap_or_default().to_lowercase())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// A session that reached a conclusion on a real cluster ("is the frontend ok?": healthy,
/// the crash-looping worker next to it only "also noticed") is resumed with a different
/// question ("why does the worker crash?"). The follow-up is a new line of inquiry: new
/// hypotheses about the worker, the earlier observations reused (never run again), a verdict
/// about the worker naming its cause, and not a replay of the frontend's verdict.
#[test]
fn resume_then_a_different_follow_up_is_a_new_line_of_inquiry() {
    let Some(env) = support::shared() else { return };
    load_scenario(env, "healthy-subject-broken-ns");
    let state = tempfile::tempdir().expect("tempdir");
    let kubeconfig = env.kubeconfig(support::User::Viewer);

    // 1. The first question, recorded.
    let first = klue(state.path())
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["ask", "-n", "portal", "--planner", "offline"])
        .args(["--approve", "all-read-only", "-o", "json"])
        .arg("is the frontend ok in namespace portal?")
        .output()
        .expect("run klue ask");
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let first_doc = json(&first);
    let c1 = &first_doc["conclusion"];
    assert_eq!(c1["verdict"], "healthy", "{c1:#}");
    assert!(causes(c1, "also_noticed").contains("worker"), "{c1:#}");
    let files = recordings(state.path());
    assert_eq!(files.len(), 1, "one recording: {files:?}");
    let earlier = events(&files[0]);
    let earlier_hypotheses: Vec<String> = earlier
        .iter()
        .filter_map(|e| match e {
            Event::Hypothesis(h) => Some(h.statement.clone()),
            _ => None,
        })
        .collect();
    let earlier_runs: Vec<(ProposalId, String)> = earlier
        .iter()
        .filter_map(|e| match e {
            Event::ExecFinished(x) if x.error.is_none() => Some((x.id.clone(), x.command.clone())),
            _ => None,
        })
        .collect();
    assert!(!earlier_runs.is_empty(), "the first session ran queries");

    // 2. Resumed with a different question, headless, on the recorded context.
    let name = files[0].file_name().expect("name").to_owned();
    let second = klue(state.path())
        .arg("--kubeconfig")
        .arg(kubeconfig)
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
        .args(["--ask", "why does the worker keep crashing?"])
        .output()
        .expect("run klue resume");
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let doc = json(&second);
    let c2 = &doc["conclusion"];

    // A verdict about the worker, naming its cause (the queue refused its user), not the
    // frontend's verdict again.
    assert_eq!(c2["verdict"], "diagnosed", "{c2:#}");
    let problems = causes(c2, "problems");
    assert!(problems.contains("worker"), "{c2:#}");
    assert!(
        problems.contains("credentials") || problems.contains("access_refused"),
        "the cause the worker's log names: {c2:#}"
    );
    assert!(!problems.contains("frontend"), "{c2:#}");
    assert_ne!(c1, c2, "the earlier conclusion replayed");

    // The resumed recording: the earlier events, then the follow-up's own.
    let files = recordings(state.path());
    let resumed_path = files
        .iter()
        .find(|f| f.file_name() != Some(name.as_os_str()))
        .expect("the new recording");
    let resumed = events(resumed_path);
    let at = resumed
        .iter()
        .position(
            |e| matches!(e, Event::UserMessage { text } if text == "why does the worker keep crashing?"),
        )
        .expect("the follow-up is recorded");
    let rest = &resumed[at..];

    // `-n portal` (given to `ask`, kept by `resume`) is the scope of both inquiries: no
    // namespace listing, no `-A`, unless widening for a reason it states.
    for e in &resumed {
        if let Event::Proposed(p) = e {
            let listing =
                p.command.starts_with("get namespaces") || p.command.starts_with("get ns");
            let all = p.command.contains(" -A") || p.command.contains("--all-namespaces");
            assert!(
                !(listing || all) || p.reason.contains("widening"),
                "out of scope: {} ({})",
                p.command,
                p.reason
            );
        }
    }

    // New hypotheses, about the worker.
    let new_hypotheses: Vec<String> = rest
        .iter()
        .filter_map(|e| match e {
            Event::Hypothesis(h) => Some(h.statement.clone()),
            _ => None,
        })
        .filter(|s| !earlier_hypotheses.contains(s))
        .collect();
    assert!(
        new_hypotheses
            .iter()
            .any(|s| s.to_lowercase().contains("worker")),
        "new hypotheses about the worker: {new_hypotheses:#?} (earlier: {earlier_hypotheses:#?})"
    );
    // Exactly one new conclusion, the one above.
    let concluded: Vec<_> = rest
        .iter()
        .filter(|e| matches!(e, Event::Concluded(_)))
        .collect();
    assert_eq!(concluded.len(), 1, "{concluded:#?}");

    // What was observed is reused: nothing the first session ran runs again, and the new
    // conclusion rests on at least one earlier execution (directly, or through a proposal
    // answered from it).
    let earlier_ids: Vec<&ProposalId> = earlier_runs.iter().map(|(id, _)| id).collect();
    let mut answered_from_earlier = Vec::new();
    for e in rest {
        match e {
            Event::ExecFinished(x) => assert!(
                !earlier_runs.iter().any(|(_, c)| *c == x.command),
                "`{}` ran again although the earlier session has its result",
                x.command
            ),
            Event::Decided {
                id,
                by: Decider::Dedup { earlier },
                ..
            } if earlier_ids.contains(&earlier) => answered_from_earlier.push(id.clone()),
            _ => {}
        }
    }
    let Some(Event::Concluded(c)) = concluded.first() else {
        unreachable!()
    };
    let cited: Vec<&ProposalId> = c.items().flat_map(|e| e.executions.iter()).collect();
    assert!(
        cited
            .iter()
            .any(|id| earlier_ids.contains(id) || answered_from_earlier.contains(*id)),
        "the follow-up's conclusion cites what was already observed: {cited:?} (earlier: {earlier_ids:?})"
    );
    // And every piece of it is verified against the executions (earlier ones included).
    assert!(c.items().all(|e| !e.verification.is_unverified()), "{c:#?}");
}

/// The budget is the session's: a resumed session goes on from what the recording used, so
/// resuming cannot buy more queries than the configured budget.
#[test]
fn a_resumed_session_goes_on_from_the_budget_it_used() {
    let Some(env) = support::shared() else { return };
    load_scenario(env, "healthy-subject-broken-ns");
    let state = tempfile::tempdir().expect("tempdir");
    let kubeconfig = env.kubeconfig(support::User::Viewer);
    let first = klue(state.path())
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["ask", "-n", "portal", "--planner", "offline"])
        .args(["--approve", "all-read-only", "-o", "json"])
        .arg("is the frontend ok in namespace portal?")
        .output()
        .expect("run klue ask");
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let files = recordings(state.path());
    let earlier = events(&files[0]);
    let ran = earlier
        .iter()
        .filter(|e| matches!(e, Event::ExecFinished(_)))
        .count() as u32;
    let Some(Event::Spent(spent)) = earlier.iter().rev().find(|e| matches!(e, Event::Spent(_)))
    else {
        panic!("the recording says what the session used: {earlier:#?}")
    };
    assert_eq!(spent.queries, ran, "{spent:?}");
    assert!(spent.turns >= 1, "{spent:?}");

    // One query left: the follow-up (which needs more than one) may run one, no more.
    let budget = ran + 1;
    let name = files[0].file_name().expect("name").to_owned();
    let second = klue(state.path())
        .arg("--kubeconfig")
        .arg(kubeconfig)
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
        .args(["--max-queries", &budget.to_string()])
        .args(["--ask", "why does the worker keep crashing?"])
        .output()
        .expect("run klue resume");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_ne!(second.status.code(), Some(1), "{stderr}");
    let files = recordings(state.path());
    let resumed_path = files
        .iter()
        .find(|f| f.file_name() != Some(name.as_os_str()))
        .expect("the new recording");
    let resumed = events(resumed_path);
    let at = resumed
        .iter()
        .position(|e| matches!(e, Event::UserMessage { text } if text.contains("worker")))
        .expect("the follow-up is recorded");
    let rest = &resumed[at..];
    let new_runs = rest
        .iter()
        .filter(|e| matches!(e, Event::ExecFinished(_)))
        .count();
    assert!(
        new_runs <= 1,
        "{new_runs} queries ran with one left: {rest:#?}"
    );
    assert!(
        rest.iter()
            .any(|e| matches!(e, Event::Refused { why, .. } if why.contains("query budget"))),
        "a proposal over the budget is refused, saying why: {rest:#?}"
    );
    let Some(Event::Spent(last)) = resumed.iter().rev().find(|e| matches!(e, Event::Spent(_)))
    else {
        panic!("no budget events")
    };
    assert!(last.queries <= budget, "{last:?} over {budget}");
    assert!(
        last.turns > spent.turns,
        "the turns go on from {spent:?}: {last:?}"
    );
}
