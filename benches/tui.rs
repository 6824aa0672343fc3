//! TUI benchmark: `cargo bench --bench tui`.
//!
//! 1. One frame with a 200,000-line output on screen and a 500-message transcript
//!    (target < 5 ms), drawn through ratatui's crossterm backend into a byte sink, so the
//!    diff and the escape sequences are paid too.
//! 2. Keystroke to frame: a key applied to the state and the next frame drawn (target < 16 ms).
//! 3. Memory over a long session: resident set size while 1,000 queries with large outputs
//!    arrive (bounded by the output budget).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use klue::protocol::{
    Decider, Decision, Event, Execution, PlannerInfo, Proposal, ProposalId, SessionInfo,
};
use klue::tui::{App, Focus, Mode, Msg, Theme, view};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

const W: u16 = 160;
const H: u16 = 48;

fn started() -> Event {
    Event::SessionStarted(SessionInfo {
        session_id: "bench".into(),
        context: "kind-bench".into(),
        namespace: Some("shop".into()),
        server: "https://127.0.0.1:6443".into(),
        planner: PlannerInfo {
            kind: klue::protocol::PlannerKind::Offline,
            model: None,
            endpoint: None,
        },
        recording: Some("/tmp/bench.jsonl".into()),
    })
}

fn query(app: &mut App, i: usize, output: String) {
    let id = ProposalId(format!("p{i}"));
    let command = format!("logs deploy/checkout-{i} -n shop --tail=-1");
    app.update(Msg::Core(Event::Proposed(Proposal {
        id: id.clone(),
        command: command.clone(),
        reason: "read what the container printed before it died".into(),
        hypothesis: "h1: checkout exits on a config error".into(),
        origin: Default::default(),
    })));
    app.update(Msg::Core(Event::Decided {
        id: id.clone(),
        decision: Decision::Approve,
        by: Decider::User,
    }));
    app.update(Msg::Core(Event::ExecStarted {
        id: id.clone(),
        command: command.clone(),
    }));
    app.update(Msg::Core(Event::ExecFinished(Execution {
        id,
        command,
        output,
        condensed: String::new(),
        duration_ms: 12,
        ..Execution::default()
    })));
}

fn big_output(lines: usize) -> String {
    let mut s = String::with_capacity(lines * 110);
    for i in 0..lines {
        s.push_str(&format!(
            "2026-11-25T18:{:02}:{:02}.{:03}Z level={} msg=\"request handled\" path=/api/v1/cart/{} status={} took={}ms\n",
            (i / 60) % 60,
            i % 60,
            i % 1000,
            if i % 97 == 0 { "error" } else { "info" },
            i,
            if i % 97 == 0 { 500 } else { 200 },
            i % 250
        ));
    }
    s
}

fn transcript(app: &mut App, messages: usize) {
    for i in 0..messages / 2 {
        app.update(Msg::Core(Event::UserMessage {
            text: format!("follow-up question number {i}: what about the payments pods?"),
        }));
        app.update(Msg::Core(Event::AssistantMessage {
            text: format!(
                "## Step {i}\n\nThe **checkout** pods restart because:\n\n- the config key `PAYMENTS_URL` is missing\n- the probe fails after 3 s\n\n```\nERROR missing key PAYMENTS_URL\n```\n\nNext I will look at the ConfigMap and the Deployment's env."
            ),
            origin: Default::default(),
        }));
        app.update(Msg::Core(Event::AwaitingInput));
    }
}

fn stats(name: &str, mut samples: Vec<Duration>, target_ms: f64) {
    samples.sort();
    let n = samples.len();
    let mean = samples.iter().sum::<Duration>() / n as u32;
    let p50 = samples[n / 2];
    let p99 = samples[(n * 99 / 100).min(n - 1)];
    let max = samples[n - 1];
    let ok = if p99.as_secs_f64() * 1e3 < target_ms {
        "ok"
    } else {
        "OVER TARGET"
    };
    println!(
        "{name:<58} mean {:>7.3} ms  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms  (target < {target_ms} ms: {ok})",
        mean.as_secs_f64() * 1e3,
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
    );
}

fn terminal() -> Terminal<CrosstermBackend<std::io::Sink>> {
    let backend = CrosstermBackend::new(std::io::sink());
    Terminal::with_options(
        backend,
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, W, H)),
        },
    )
    .expect("terminal")
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn frames() {
    let mut app = App::new(Mode::Live, Theme::default());
    app.update(Msg::Core(started()));
    transcript(&mut app, 500);
    let t0 = Instant::now();
    query(&mut app, 1, big_output(200_000));
    println!(
        "setup: 200,000-line output indexed in {:.1} ms ({} messages in the transcript)",
        t0.elapsed().as_secs_f64() * 1e3,
        app.chat.messages.len()
    );
    app.update(Msg::Resize(W, H));
    app.focus = Focus::Output;
    let mut term = terminal();

    // The first frame lays out the visible messages (nothing is cached yet).
    let t = Instant::now();
    term.draw(|f| view(&app, f)).expect("draw");
    println!(
        "first frame (cold caches), {W}x{H}: {:.3} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    // Every frame shows different output lines: scroll one line, then draw.
    app.update(key(KeyCode::Char('G')));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('g'),
        KeyModifiers::NONE,
    )));
    for _ in 0..1000 {
        app.update(key(KeyCode::PageDown));
    }
    let mut samples = Vec::new();
    for _ in 0..500 {
        app.update(key(KeyCode::Char('j')));
        let t = Instant::now();
        term.draw(|f| view(&app, f)).expect("draw");
        samples.push(t.elapsed());
    }
    stats(
        "frame: 200k-line output mid-scroll + 500 messages, 160x48",
        samples,
        5.0,
    );

    // The same with wrap on and a search highlighted.
    app.update(key(KeyCode::Char('w')));
    app.update(key(KeyCode::Char('/')));
    for c in "error".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    let t = Instant::now();
    app.update(key(KeyCode::Enter));
    println!(
        "search over 200,000 lines: {:.1} ms ({})",
        t.elapsed().as_secs_f64() * 1e3,
        app.flash.clone().unwrap_or_default()
    );
    let mut samples = Vec::new();
    for _ in 0..500 {
        app.update(key(KeyCode::Char('j')));
        let t = Instant::now();
        term.draw(|f| view(&app, f)).expect("draw");
        samples.push(t.elapsed());
    }
    stats(
        "frame: same, wrapped, search matches highlighted",
        samples,
        5.0,
    );

    // Chat scrolled into the middle of the transcript.
    app.focus = Focus::Chat;
    let mut samples = Vec::new();
    for i in 0..500 {
        let t = Instant::now();
        app.update(key(if i % 2 == 0 {
            KeyCode::PageUp
        } else {
            KeyCode::Char('k')
        }));
        term.draw(|f| view(&app, f)).expect("draw");
        samples.push(t.elapsed());
    }
    stats(
        "key+frame: scrolling up through 500 messages",
        samples,
        16.0,
    );

    // Keystroke to frame while typing a message.
    app.focus = Focus::Input;
    let mut samples = Vec::new();
    for i in 0..500 {
        let c = (b'a' + (i % 26) as u8) as char;
        let t = Instant::now();
        app.update(key(KeyCode::Char(c)));
        term.draw(|f| view(&app, f)).expect("draw");
        samples.push(t.elapsed());
    }
    stats("key+frame: typing in the input", samples, 16.0);

    // Keystroke to frame in the output pane (scroll a page).
    app.focus = Focus::Output;
    let mut samples = Vec::new();
    for _ in 0..500 {
        let t = Instant::now();
        app.update(key(KeyCode::PageDown));
        term.draw(|f| view(&app, f)).expect("draw");
        samples.push(t.elapsed());
    }
    stats(
        "key+frame: paging the 200k-line output (wrapped)",
        samples,
        16.0,
    );

    // Streaming: one delta applied and drawn (the last message is re-laid out).
    app.focus = Focus::Chat;
    app.update(key(KeyCode::End));
    let mut samples = Vec::new();
    for i in 0..500 {
        let t = Instant::now();
        app.update(Msg::Core(Event::AssistantDelta {
            delta: format!("word{i} "),
        }));
        term.draw(|f| view(&app, f)).expect("draw");
        samples.push(t.elapsed());
    }
    stats("delta+frame: a streamed reply of 500 deltas", samples, 16.0);
}

fn memory() {
    let mut app = App::new(Mode::Live, Theme::default());
    app.update(Msg::Core(started()));
    app.update(Msg::Resize(W, H));
    let mut term = terminal();
    let before = rss_kib();
    println!("memory: RSS before the session {} MiB", before / 1024);
    let out = big_output(2_000); // ~220 KB per query
    let mut raw = 0usize;
    for i in 1..=1000 {
        raw += out.len();
        query(&mut app, i, out.clone());
        app.update(Msg::Core(Event::AssistantMessage {
            text: format!("Query {i} shows the same **errors**; next I check the events."),
            origin: Default::default(),
        }));
        if i % 10 == 0 {
            term.draw(|f| view(&app, f)).expect("draw");
        }
        if i % 250 == 0 {
            println!(
                "memory: after {i:>4} queries: RSS {:>4} MiB, outputs held {:>3} MiB (budget {} MiB), outputs received {:>4} MiB",
                rss_kib() / 1024,
                app.commands.held_bytes() / (1024 * 1024),
                klue::tui::commands::OUTPUT_BUDGET / (1024 * 1024),
                raw / (1024 * 1024)
            );
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too: keep it quick there.
    if std::env::args().any(|a| a == "--bench") {
        frames();
        memory();
    } else {
        println!("tui bench: run with `cargo bench --bench tui`");
    }
}
