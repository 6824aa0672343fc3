//! Recording: writer → file → reader round trip, redaction, damage tolerance, SIGKILL
//! mid-session, the Markdown export (golden file), and the `sessions` / `export` commands.

mod damage;
mod script;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use klue::protocol::Event;
use klue::record::{self, Header, Item, RecordLine, Recorder, RecorderOptions, Timeline};
use klue::session::EventSink;

fn write_file(path: &Path, header: &Header, entries: &[RecordLine]) {
    let mut f = std::fs::File::create(path).expect("create");
    f.write_all(&record::format::encode_line(header).expect("encode"))
        .expect("write");
    for e in entries {
        f.write_all(&record::format::encode_line(e).expect("encode"))
            .expect("write");
    }
}

#[tokio::test]
async fn recorder_round_trip_keeps_the_event_sequence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let header = Header::new(script::info());
    let rec = Recorder::create_in(dir.path(), header.clone(), RecorderOptions::default())
        .expect("create");
    let path = rec.path().to_path_buf();
    assert!(path.starts_with(dir.path()));
    let mut sink = rec.sink();
    let events: Vec<Event> = script::entries()
        .into_iter()
        .filter_map(|e| match e.item {
            Item::Event(ev) => Some(ev),
            Item::Op(_) => None,
        })
        .collect();
    sink.event(&Event::AssistantDelta {
        delta: "Let me".into(),
    });
    for ev in &events {
        sink.event(ev);
    }
    rec.op(klue::protocol::Op::Cancel).await.expect("op");
    drop(sink);
    rec.finish().await.expect("finish");

    let back = record::read(&path).expect("read");
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert_eq!(back.header.session, header.session);
    assert_eq!(back.header.klue_recording, record::FORMAT_VERSION);
    let got: Vec<&Event> = back.events().collect();
    // Deltas are coalesced away; everything else arrives in order.
    let want: Vec<&Event> = events.iter().collect();
    assert_eq!(got, want);
    assert!(matches!(
        back.entries.last().map(|e| &e.item),
        Some(Item::Op(klue::protocol::Op::Cancel))
    ));
    // Timestamps never go backwards.
    assert!(back.entries.windows(2).all(|w| w[0].at <= w[1].at));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "recording is private to the user");
    }
}

#[tokio::test]
async fn recorder_redacts_before_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = Recorder::create_in(
        dir.path(),
        Header::new(script::info()),
        RecorderOptions::default(),
    )
    .expect("create");
    let path = rec.path().to_path_buf();
    let mut sink = rec.sink();
    let secret = "hunter2-Sup3rSecret";
    sink.event(&Event::UserMessage {
        text: format!("the app logs password={secret} on start"),
    });
    sink.event(&Event::AssistantMessage {
        text: "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U".into(),
        origin: Default::default(),
    });
    drop(sink);
    rec.finish().await.expect("finish");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(!text.contains(secret), "{text}");
    assert!(!text.contains("dozjgNryP4J3jVmNHl0w5N"), "{text}");
    assert!(text.contains("[REDACTED]"));
}

#[tokio::test]
async fn sink_never_loses_events_when_the_channel_is_full() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rec = Recorder::create_in(
        dir.path(),
        Header::new(script::info()),
        RecorderOptions {
            redact: false,
            skip_deltas: true,
        },
    )
    .expect("create");
    let path = rec.path().to_path_buf();
    let mut sink = rec.sink();
    let n = record::writer::CHANNEL_CAPACITY * 3;
    for i in 0..n {
        sink.event(&Event::UserMessage {
            text: format!("m{i}"),
        });
    }
    drop(sink);
    rec.finish().await.expect("finish");
    let back = record::read(&path).expect("read");
    let texts: Vec<String> = back
        .events()
        .filter_map(|e| match e {
            Event::UserMessage { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(texts.len(), n);
    assert!(texts.iter().enumerate().all(|(i, t)| *t == format!("m{i}")));
}

#[test]
fn markdown_export_golden() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.jsonl");
    write_file(&path, &script::header(), &script::entries());
    let rec = record::read(&path).expect("read");
    let md = record::markdown::render(&Timeline::build(&rec));
    insta::assert_snapshot!("markdown_export", md);
}

#[test]
fn json_export_carries_the_postmortem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.jsonl");
    write_file(&path, &script::header(), &script::entries());
    let t = Timeline::build(&record::read(&path).expect("read"));
    let v = serde_json::to_value(&t).expect("json");
    assert_eq!(
        v["symptom"],
        "checkout in namespace shop returns 502 since 10:00"
    );
    assert_eq!(v["queries"][0]["decided_by"], "engineer");
    assert_eq!(v["queries"][1]["decided_by"], "policy (all-read-only)");
    assert_eq!(v["queries"][2]["status"], "refused");
    assert_eq!(v["queries"][3]["status"], "rejected");
    assert_eq!(v["tokens"]["prompt_tokens"], 3300);
    assert_eq!(v["conclusion"]["confidence"], "high");
    assert_eq!(v["outcome"], "concluded (high confidence)");
    assert_eq!(
        v["hypotheses"][0]["states"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(v["duration_ms"], 95_000);
}

#[test]
fn reader_errors_are_specific() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, body).expect("write");
        path
    };
    let good = String::from_utf8(record::format::encode_line(&script::header()).expect("h"))
        .expect("utf8");
    let line = |e: &RecordLine| {
        String::from_utf8(record::format::encode_line(e).expect("e")).expect("utf8")
    };
    let entries = script::entries();

    let e = record::read(&p("empty", "")).unwrap_err();
    assert!(e.to_string().contains("is empty"), "{e}");

    let e = record::read(&p("text", "hello world\n")).unwrap_err();
    assert!(e.to_string().contains(":1: not a klue recording"), "{e}");
    assert_eq!(e.line(), Some(1));

    let e = record::read(&p("json", "{\"kind\":\"Pod\"}\n")).unwrap_err();
    assert!(e.to_string().contains("no `klue_recording`"), "{e}");

    let newer = good.replace("\"klue_recording\":1", "\"klue_recording\":7");
    let e = record::read(&p("newer", &newer)).unwrap_err();
    assert!(e.to_string().contains("format version 7 is newer"), "{e}");

    let body = format!(
        "{good}{}not json at all\n{}",
        line(&entries[0]),
        line(&entries[1])
    );
    let e = record::read(&p("corrupt", &body)).unwrap_err();
    assert_eq!(e.line(), Some(3), "{e}");
    assert!(e.to_string().contains(":3: not valid JSON"), "{e}");

    let body = format!(
        "{good}{}{{\"at\":\"2026-01-05T10:00:00Z\",\"event\":\"proposed\",\"id\":5}}\n",
        line(&entries[0])
    );
    let e = record::read(&p("badentry", &body)).unwrap_err();
    assert!(
        e.to_string()
            .contains(":3: not a recording entry: `proposed`"),
        "{e}"
    );

    let body = format!(
        "{good}{}{{\"at\":\"2026-01-05T10:00:00Z\",\"event\":\"telepathy\"}}\n{}",
        line(&entries[0]),
        line(&entries[1])
    );
    let r = record::read(&p("unknown", &body)).expect("unknown kinds are skipped");
    assert_eq!(r.entries.len(), 2);
    assert!(
        r.warnings[0]
            .message
            .contains("unknown entry kind `telepathy`")
    );
    assert_eq!(r.warnings[0].line, 3);

    let full = line(&entries[1]);
    let body = format!("{good}{}{}", line(&entries[0]), &full[..full.len() / 2]);
    let r = record::read(&p("truncated", &body)).expect("partial last line tolerated");
    assert_eq!(r.entries.len(), 1);
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0].message.contains("incomplete"),
        "{:?}",
        r.warnings
    );
}

/// The child side of `sigkill_mid_session_keeps_every_written_event`: runs only when the
/// parent sets `KLUE_RECORD_CHILD`, writing events until it is killed.
#[test]
fn record_child_process() {
    let Some(path) = std::env::var_os("KLUE_RECORD_CHILD") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let rec = Recorder::create_at(
            Path::new(&path),
            Header::new(script::info()),
            RecorderOptions::default(),
        )
        .expect("create");
        let mut sink = rec.sink();
        let pad = "x".repeat(3000);
        let mut ready = false;
        for i in 0u64.. {
            sink.event(&Event::UserMessage {
                text: format!("message {i} {pad}"),
            });
            if !ready && rec.written() >= 200 {
                println!("READY");
                std::io::stdout().flush().ok();
                ready = true;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    });
}

#[test]
fn sigkill_mid_session_keeps_every_written_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("killed.jsonl");
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "record_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KLUE_RECORD_CHILD", &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut ready = false;
    for line in BufReader::new(stdout).lines() {
        if line.expect("line").contains("READY") {
            ready = true;
            break;
        }
    }
    assert!(ready, "child never became ready");
    std::thread::sleep(Duration::from_millis(100));
    child.kill().expect("SIGKILL"); // SIGKILL on Unix
    let status = child.wait().expect("wait");
    assert!(!status.success());

    let rec = record::read(&path).expect("a killed session's recording is readable");
    let texts: Vec<String> = rec
        .events()
        .filter_map(|e| match e {
            Event::UserMessage { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(texts.len() >= 200, "only {} events survived", texts.len());
    for (i, t) in texts.iter().enumerate() {
        assert!(
            t.starts_with(&format!("message {i} ")),
            "event {i} is `{}`",
            &t[..20.min(t.len())]
        );
    }
    assert!(rec.warnings.len() <= 1, "{:?}", rec.warnings);
}

/// The klue binary under test (`KLUE_BIN` overrides, e.g. for a copy of a fresh build).
fn klue() -> Command {
    let bin = std::env::var_os("KLUE_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_klue").into());
    Command::new(bin)
}

#[test]
fn sessions_command_lists_recordings_under_xdg_state_home() {
    let state = tempfile::tempdir().expect("tempdir");
    let dir = state.path().join("klue").join("sessions");
    std::fs::create_dir_all(&dir).expect("mkdir");
    write_file(
        &dir.join("20260105-100000-kind-shop-s1.jsonl"),
        &script::header(),
        &script::entries(),
    );
    let mut unfinished = script::entries();
    unfinished.truncate(5);
    let mut h2 = script::header();
    h2.started_at = "2026-01-06T09:00:00Z".parse().expect("ts");
    h2.session.context = "prod-eu".into();
    write_file(
        &dir.join("20260106-090000-prod-eu-s2.jsonl"),
        &h2,
        &unfinished,
    );
    std::fs::write(dir.join("notes.jsonl"), "not a recording\n").expect("write");

    let out = klue()
        .args(["sessions"])
        .env("XDG_STATE_HOME", state.path())
        .env("TZ", "UTC")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("STARTED"));
    assert!(
        lines[1].contains("prod-eu") && lines[1].contains("interrupted"),
        "{text}"
    );
    assert!(
        lines[2].contains("kind-shop") && lines[2].contains("concluded (high confidence)"),
        "{text}"
    );
    assert!(
        lines[2].contains("checkout in namespace shop") && lines[2].contains("1m 35s"),
        "{text}"
    );

    let out = klue()
        .args(["sessions", "--json"])
        .env("XDG_STATE_HOME", state.path())
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(2));
    assert_eq!(v[1]["queries_run"], 2);
}

#[test]
fn export_command_formats_and_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.jsonl");
    write_file(&path, &script::header(), &script::entries());
    let out = klue()
        .args(["export"])
        .arg(&path)
        .args(["--format", "markdown"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.starts_with("# Investigation: checkout in namespace shop returns 502"),
        "{md}"
    );
    assert!(md.contains("<details><summary>Output"));

    let out = klue()
        .args(["export"])
        .arg(&path)
        .args(["--format", "json"])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["session"]["context"], "kind-shop");

    let bad = dir.path().join("bad.jsonl");
    let good = std::fs::read_to_string(&path).expect("read");
    let mut lines: Vec<&str> = good.lines().collect();
    lines[4] = "{{{ garbage";
    std::fs::write(&bad, lines.join("\n")).expect("write");
    let out = klue().args(["export"]).arg(&bad).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl:5: not valid JSON"), "{err}");

    let out = klue()
        .args(["export", "/nonexistent/x.jsonl"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open"));
}

#[path = "../support/raw_names.rs"]
mod raw_names;

/// The raw enum name in an export, if any: the Markdown's own words (not the commands and
/// outputs it quotes) and the JSON's text fields.
fn raw_in_exports(t: &Timeline) -> Result<(), String> {
    let md = record::markdown::render(t);
    if let Some((name, line)) = raw_names::find(&raw_names::markdown_words(&md)) {
        return Err(format!("{name} raw in the Markdown export: {line}\n{md}"));
    }
    let json = serde_json::to_value(t).expect("json");
    if let Some((name, text)) = raw_names::find_in_json(&json) {
        return Err(format!("{name} raw in the JSON export: {text}\n{json}"));
    }
    Ok(())
}

#[test]
fn exports_never_show_an_enum_name_raw() {
    use klue::protocol::{Conclusion, Confidence, EndReason, Evidence, HypothesisStatus};
    let dir = tempfile::tempdir().expect("tempdir");
    let confidences = [Confidence::Low, Confidence::Medium, Confidence::High];
    let statuses = [
        HypothesisStatus::Open,
        HypothesisStatus::Supported,
        HypothesisStatus::Refuted,
        HypothesisStatus::Confirmed,
    ];
    for (i, (confidence, status)) in confidences.iter().cycle().zip(statuses.iter()).enumerate() {
        let mut entries = script::entries();
        for e in &mut entries {
            if let Item::Event(ev) = &mut e.item {
                match ev {
                    Event::Hypothesis(h) => h.status = *status,
                    Event::Concluded(c) => {
                        *c = match i {
                            1 => Conclusion::healthy(
                                vec![Evidence::new(
                                    "every pod is ready",
                                    Vec::<klue::protocol::ProposalId>::new(),
                                )],
                                *confidence,
                            ),
                            2 => Conclusion::inconclusive("the queries failed"),
                            _ => {
                                c.confidence = *confidence;
                                c.clone()
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let path = dir.path().join(format!("s{i}.jsonl"));
        write_file(&path, &script::header(), &entries);
        let t = Timeline::build(&record::read(&path).expect("read"));
        raw_in_exports(&t).unwrap_or_else(|e| panic!("{e}"));
        // The states are there, in words.
        let md = record::markdown::render(&t);
        let shown = t
            .conclusion
            .as_ref()
            .expect("concluded")
            .conclusion
            .confidence;
        assert!(
            md.contains(&format!("concluded ({} confidence)", shown.word())),
            "{md}"
        );
        assert!(md.contains(&format!("| {} |", status.word())), "{md}");
        let verdict = t.conclusion.as_ref().expect("concluded").conclusion.verdict;
        assert!(md.contains(verdict.word()), "{verdict:?} in words:\n{md}");
    }
    // Every way a session ends without a conclusion, in words.
    for (i, end) in [
        EndReason::Engineer,
        EndReason::FrontEndClosed,
        EndReason::BudgetExhausted,
        EndReason::NoConclusion,
        EndReason::Cancelled,
        EndReason::Stopped,
    ]
    .into_iter()
    .enumerate()
    {
        let mut entries = script::entries();
        entries.retain(|e| !matches!(e.item, Item::Event(Event::Concluded(_))));
        for e in &mut entries {
            if let Item::Event(Event::SessionEnded { reason }) = &mut e.item {
                *reason = end;
            }
        }
        let path = dir.path().join(format!("e{i}.jsonl"));
        write_file(&path, &script::header(), &entries);
        let t = Timeline::build(&record::read(&path).expect("read"));
        raw_in_exports(&t).unwrap_or_else(|e| panic!("{e}"));
        let md = record::markdown::render(&t);
        assert!(
            md.contains(&format!("ended without conclusion ({})", end.words())),
            "{end:?} in words:\n{md}"
        );
    }
}

/// An edit the policy refused leaves the proposal as it was proposed: the export shows it
/// under the command the planner proposed (the one that could run), the refused edit beside
/// it, the engineer's later rejection as the decision, and never offers the refused edit for
/// pasting (Markdown and JSON alike).
#[test]
fn export_of_an_edited_then_refused_proposal() {
    use klue::protocol::{Decider, Decision, Proposal, ProposalId};
    let dir = tempfile::tempdir().expect("tempdir");
    let header = script::header();
    let at = |s: i64| header.started_at + jiff::SignedDuration::from_secs(s);
    let p1 = ProposalId("p1".into());
    let entries = vec![
        RecordLine::event(
            at(1),
            Event::UserMessage {
                text: "payments keeps restarting".into(),
            },
        ),
        RecordLine::event(
            at(2),
            Event::Proposed(Proposal {
                id: p1.clone(),
                command: "get pods -n shop".into(),
                reason: "see the pod states".into(),
                hypothesis: "h1".into(),
                origin: Default::default(),
            }),
        ),
        RecordLine::event(
            at(5),
            Event::Refused {
                id: p1.clone(),
                command: "delete pod payments-0 -n shop".into(),
                why: "`delete` deletes objects: klue is read-only".into(),
            },
        ),
        RecordLine::event(
            at(8),
            Event::Decided {
                id: p1.clone(),
                decision: Decision::Reject {
                    reason: Some("not needed after all".into()),
                },
                by: Decider::User,
            },
        ),
        RecordLine::event(
            at(9),
            Event::SessionEnded {
                reason: klue::protocol::EndReason::Engineer,
            },
        ),
    ];
    let path = dir.path().join("edited.jsonl");
    write_file(&path, &header, &entries);
    let t = Timeline::build(&record::read(&path).expect("read"));
    let md = record::markdown::render(&t);
    assert!(md.contains("### p1 `get pods -n shop`"), "{md}");
    assert!(
        md.contains("- Edit refused: `delete pod payments-0 -n shop`"),
        "{md}"
    );
    assert!(
        !md.contains("Proposed as:"),
        "the refused edit is not the command:\n{md}"
    );
    assert!(md.contains("rejected by"), "{md}");
    assert!(!md.contains("approved"), "{md}");
    assert!(!md.contains("Ran in"), "{md}");
    for line in md.lines().filter(|l| l.starts_with("- Paste:")) {
        assert!(!line.contains("delete"), "{line}");
    }
    let json = serde_json::to_value(&t).expect("json");
    let q = &json["queries"][0];
    assert_eq!(q["command"], "get pods -n shop", "{q:#}");
    assert!(q["proposed_command"].is_null(), "{q:#}");
    assert_eq!(q["status"], "rejected", "{q:#}");
    assert_eq!(
        q["refused_edits"][0]["command"], "delete pod payments-0 -n shop",
        "{q:#}"
    );
    assert!(
        !q["paste"].as_str().unwrap_or_default().contains("delete"),
        "{q:#}"
    );
    assert!(q["execution"].is_null(), "{q:#}");
}
