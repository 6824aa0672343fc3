//! Recording benchmarks (prints figures; `cargo bench --bench record`):
//! - the recorder's cost per event: on the session's side (handing the event to the sink)
//!   and end to end (redaction, encoding and the write, until `finish`);
//! - opening a 50 MB recording and reaching the first replay frame (header, session start
//!   and the symptom), target under 300 ms; and, for scale, reading it through and
//!   exporting it.

use std::io::Write;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use klue::protocol::*;
use klue::record::{
    self, Header, RecordLine, Recorder, RecorderOptions, RecordingReader, Timeline,
};
use klue::session::EventSink;

fn info() -> SessionInfo {
    SessionInfo {
        session_id: "bench".into(),
        context: "kind-bench".into(),
        namespace: Some("shop".into()),
        server: "https://127.0.0.1:6443".into(),
        planner: PlannerInfo {
            kind: klue::protocol::PlannerKind::Llm,
            model: Some("gpt-4o-mini".into()),
            endpoint: None,
        },
        recording: None,
    }
}

/// A realistic mix: per step a proposal, a decision, an execution with a 4 KB table, usage,
/// and an assistant message.
fn step(i: usize, output: &str) -> Vec<Event> {
    let id = ProposalId(format!("p{i}"));
    vec![
        Event::AssistantMessage {
            text: format!("Step {i}: checking the pods of the shop namespace again."),
            origin: Default::default(),
        },
        Event::Proposed(Proposal {
            id: id.clone(),
            command: format!("get pods -n shop -l app=web-{i}"),
            reason: "see which pods are unhealthy".into(),
            hypothesis: "h1".into(),
            origin: Default::default(),
        }),
        Event::Decided {
            id: id.clone(),
            decision: Decision::Approve,
            by: Decider::User,
        },
        Event::ExecFinished(Execution {
            id,
            command: format!("get pods -n shop -l app=web-{i}"),
            output: output.to_string(),
            condensed: output[..output.len().min(600)].to_string(),
            duration_ms: 40,
            error: None,
            ..Execution::default()
        }),
        Event::Usage(Usage {
            prompt_tokens: 1500,
            completion_tokens: 90,
            session_total: 1590 * (i as u64 + 1),
        }),
    ]
}

fn table() -> String {
    let mut s = String::from(
        "NAME                          READY   STATUS             RESTARTS        AGE\n",
    );
    for k in 0..50 {
        s.push_str(&format!(
            "web-7d9f8c6b5-{k:05}           1/1     Running            0               2d3h\n"
        ));
    }
    s
}

fn recorder_cost(rt: &tokio::runtime::Runtime, redact: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = table();
    let steps = 4000;
    let events: Vec<Event> = (0..steps).flat_map(|i| step(i, &out)).collect();
    let n = events.len();
    let (send, total, bytes) = rt.block_on(async {
        let rec = Recorder::create_in(
            dir.path(),
            Header::new(info()),
            RecorderOptions {
                redact,
                skip_deltas: true,
            },
        )
        .expect("create");
        let path = rec.path().to_path_buf();
        let mut sink = rec.sink();
        let t0 = Instant::now();
        for e in &events {
            sink.event(e);
        }
        let send = t0.elapsed();
        drop(sink);
        rec.finish().await.expect("finish");
        let total = t0.elapsed();
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        (send, total, bytes)
    });
    println!(
        "recorder (redaction {}): {n} events, {:.1} MB written; session side {:.2} µs/event; end to end {:.1} µs/event ({:.0} events/s)",
        if redact { "on" } else { "off" },
        bytes as f64 / 1e6,
        send.as_secs_f64() * 1e6 / n as f64,
        total.as_secs_f64() * 1e6 / n as f64,
        n as f64 / total.as_secs_f64(),
    );
}

fn big_recording(path: &std::path::Path, target: u64) -> (u64, usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let start = Timestamp::now();
    let header = Header::at(info(), start);
    f.write_all(&record::format::encode_line(&header).expect("h"))
        .expect("w");
    let mut written = 0u64;
    let mut at = start;
    let mut lines = 0usize;
    let put = |f: &mut std::io::BufWriter<std::fs::File>, e: Event, at: Timestamp| {
        let b = record::format::encode_line(&RecordLine::event(at, e)).expect("e");
        f.write_all(&b).expect("w");
        b.len() as u64
    };
    written += put(&mut f, Event::SessionStarted(info()), at);
    written += put(
        &mut f,
        Event::UserMessage {
            text: "checkout returns 502 since 10:00".into(),
        },
        at,
    );
    let out = table();
    let mut i = 0;
    while written < target {
        for e in step(i, &out) {
            at += Duration::from_millis(700);
            written += put(&mut f, e, at);
            lines += 1;
        }
        i += 1;
    }
    f.flush().expect("flush");
    (written, lines)
}

fn first_frame(path: &std::path::Path) -> Duration {
    let t0 = Instant::now();
    let mut r = RecordingReader::open(path).expect("open");
    let _header = r.header().clone();
    // The first frame: the session header and events up to the symptom.
    loop {
        match r.next_entry().expect("entry") {
            Some(e) if matches!(e.as_event(), Some(Event::UserMessage { .. })) => break,
            Some(_) => {}
            None => break,
        }
    }
    t0.elapsed()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    recorder_cost(&rt, true);
    recorder_cost(&rt, false);

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.jsonl");
    let (bytes, lines) = big_recording(&path, 50_000_000);
    let mut times: Vec<Duration> = (0..5).map(|_| first_frame(&path)).collect();
    times.sort();
    println!(
        "50 MB recording ({:.1} MB, {lines} lines): open to first replay frame: median {:.2} ms, worst {:.2} ms (target < 300 ms)",
        bytes as f64 / 1e6,
        times[2].as_secs_f64() * 1e3,
        times[4].as_secs_f64() * 1e3,
    );
    let t0 = Instant::now();
    let rec = record::read(&path).expect("read");
    let read_all = t0.elapsed();
    let t1 = Instant::now();
    let md = record::markdown::render(&Timeline::build(&rec));
    let export = t1.elapsed();
    println!(
        "50 MB recording: read through {:.0} ms ({} entries); Markdown export {:.0} ms ({:.1} MB)",
        read_all.as_secs_f64() * 1e3,
        rec.entries.len(),
        export.as_secs_f64() * 1e3,
        md.len() as f64 / 1e6
    );
}
