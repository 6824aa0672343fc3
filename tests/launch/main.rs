//! The one launcher, the real binary against two contexts of the real apiserver: the shared
//! flags work before and after every subcommand (the audit log says which user each request
//! came as, and which namespace it read), a flag a subcommand cannot use is an error, and
//! the config file's budget applies in every front end.

#[path = "../support/mod.rs"]
mod support;

#[path = "../e2e/tmux.rs"]
#[allow(dead_code)]
mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::{TestEnv, User};

const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: launching}
---
apiVersion: v1
kind: Node
metadata: {name: launch-node}
status:
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: ok, lastHeartbeatTime: "${NOW-1m}", lastTransitionTime: "${NOW-1d}"}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: launching}
spec:
  nodeName: launch-node
  containers: [{name: app, image: "web:1.0"}]
status:
  phase: Running
  containerStatuses:
  - name: app
    image: "web:1.0"
    imageID: ""
    ready: false
    restartCount: 6
    state: {waiting: {reason: CrashLoopBackOff, message: back-off restarting failed container}}
    lastState: {terminated: {exitCode: 1, reason: Error, startedAt: "${NOW-2m}", finishedAt: "${NOW-1m}"}}
"#;

/// The tests here read the audit log by user: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn env() -> Option<&'static TestEnv> {
    let env = support::shared()?;
    static SEEDED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    SEEDED.get_or_init(|| {
        support::run_isolated(async move { support::apply(env, FIXTURE).await.map(|_| ()) })
            .expect("seed the launch fixture");
    });
    Some(env)
}

fn home() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn klue(home: &Path, kubeconfig: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klue"));
    cmd.args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("KLUE_CONFIG")
        .env_remove("KLUE_PLANNER")
        .env_remove("KLUE_MODEL")
        .stdin(Stdio::null());
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run klue");
    let start = Instant::now();
    let out = child.wait_with_output().expect("wait for klue");
    assert!(
        start.elapsed() < Duration::from_secs(90),
        "klue {args:?} took {:?}",
        start.elapsed()
    );
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The audit log's length once earlier requests have all been written.
fn settled(env: &TestEnv) -> usize {
    let mut last = env.audit().len();
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let now = env.audit().len();
        if now == last {
            return now;
        }
        last = now;
    }
}

/// Requests made as `user` after the first `since` audit entries.
fn requests_as(env: &TestEnv, user: User, since: usize) -> Vec<support::AuditEntry> {
    let all = env.audit();
    support::audit::requests_by(&all[since.min(all.len())..], user.username())
}

/// How a subcommand shows that `-n launching` reached it.
#[derive(Clone, Copy)]
enum Scope {
    /// Its requests read the namespace.
    Requests,
    /// It says the namespace it investigates (a planner picks its queries itself).
    Said,
}

/// Run `klue` with the shared flags placed as `before` says, and check that every request
/// went out as the `limited` user (the flag's context, not the current `viewer` one) and
/// that `-n launching` reached it.
fn check_context(
    env: &TestEnv,
    home: &Path,
    what: &str,
    args: &[&str],
    scope: Scope,
    before: bool,
) {
    let shared = ["--context", User::Limited.context(), "-n", "launching"];
    let mut argv: Vec<&str> = Vec::new();
    if before {
        argv.extend(shared);
        argv.extend(args);
    } else {
        argv.extend(args);
        argv.extend(shared);
    }
    let since = settled(env);
    let out = klue(home, &env.kubeconfigs.all, &argv);
    // The audit log is written as requests complete.
    settled(env);
    let limited = requests_as(env, User::Limited, since);
    let viewer = requests_as(env, User::Viewer, since);
    let place = if before { "before" } else { "after" };
    assert!(
        !limited.is_empty(),
        "{what} with the flags {place} it made no request as `limited`: {argv:?}\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        viewer.is_empty(),
        "{what} with the flags {place} it queried the current context: {:?}",
        viewer.iter().map(|r| &r.request_uri).collect::<Vec<_>>()
    );
    match scope {
        Scope::Requests => assert!(
            limited
                .iter()
                .any(|r| r.request_uri.contains("/namespaces/launching/")),
            "{what} with the flags {place}: -n was not applied: {:?}",
            limited.iter().map(|r| &r.request_uri).collect::<Vec<_>>()
        ),
        Scope::Said => {
            let stdout = text(&out.stdout);
            assert!(
                stdout.contains(&format!("investigating on {} (", User::Limited.context()))
                    && stdout.contains("namespace launching"),
                "{what} with the flags {place}: {stdout}"
            );
        }
    }
}

/// A recording of an `ask` on the viewer context, for `resume`.
fn recording(env: &TestEnv, home: &Path) -> PathBuf {
    let out = klue(
        home,
        env.kubeconfig(User::Viewer),
        &[
            "ask",
            "-n",
            "launching",
            "--planner",
            "offline",
            "--approve",
            "all-read-only",
            "web keeps restarting",
        ],
    );
    assert!(
        text(&out.stderr).contains("session recorded in"),
        "{}",
        text(&out.stderr)
    );
    let dir = home.join("state").join("klue").join("sessions");
    std::fs::read_dir(&dir)
        .expect("sessions dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .expect("a recording")
}

#[test]
fn shared_flags_before_and_after_every_headless_subcommand_pick_context_and_namespace() {
    let Some(env) = env() else { return };
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = home();
    let snap = home.path().join("snap.klue.gz");
    let snap = snap.to_str().expect("utf-8 path");
    let rec = recording(env, home.path());
    let rec = rec.to_str().expect("utf-8 path");
    let cases: Vec<(&str, Scope, Vec<&str>)> = vec![
        ("query", Scope::Requests, vec!["query", "get pods"]),
        ("scan", Scope::Requests, vec!["scan", "--no-logs"]),
        (
            "snapshot",
            Scope::Requests,
            vec!["snapshot", "-o", snap, "--only-namespace"],
        ),
        (
            "ask",
            Scope::Said,
            vec![
                "ask",
                "--planner",
                "offline",
                "--approve",
                "all-read-only",
                "web keeps restarting",
            ],
        ),
        (
            "resume --ask",
            Scope::Said,
            vec![
                "resume",
                rec,
                "--ask",
                "and the pods?",
                "--planner",
                "offline",
                "--approve",
                "all-read-only",
                "--no-record",
            ],
        ),
    ];
    for (what, scope, args) in &cases {
        for before in [true, false] {
            check_context(env, home.path(), what, args, *scope, before);
        }
    }
}

#[test]
fn the_screen_takes_the_shared_flags_before_and_after() {
    let Some(env) = env() else { return };
    if !tmux::available() {
        eprintln!("tmux is not installed: the screen's flags were not checked");
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = home();
    let bin = env!("CARGO_BIN_EXE_klue");
    let shared = format!("--context {} -n launching", User::Limited.context());
    for command in [
        format!("{bin} {shared} --planner offline --approve all-read-only"),
        format!("{bin} tui --planner offline --approve all-read-only {shared}"),
    ] {
        let vars = [
            ("KUBECONFIG", env.kubeconfigs.all.display().to_string()),
            ("HOME", home.path().display().to_string()),
            (
                "XDG_STATE_HOME",
                home.path().join("state").display().to_string(),
            ),
            (
                "XDG_CONFIG_HOME",
                home.path().join("config").display().to_string(),
            ),
            ("TERM", "xterm-256color".to_string()),
        ];
        let since = settled(env);
        let t = tmux::Tmux::start(&vars, &command, 120, 40);
        // The first frame comes before the session's facts (`connecting…`): wait for them.
        let s = t.wait_for("ns launching", Duration::from_secs(20));
        assert!(s.contains("Message"), "{s}");
        assert!(s.contains(User::Limited.context()), "{s}");
        assert!(s.contains("ns launching"), "{s}");
        t.type_text("web keeps restarting");
        t.keys(&["Enter"]);
        let start = Instant::now();
        let limited = loop {
            let limited = requests_as(env, User::Limited, since);
            if !limited.is_empty() {
                break limited;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "`{command}` made no request as `limited` in launching: {:?}\n{}",
                limited.iter().map(|r| &r.request_uri).collect::<Vec<_>>(),
                t.capture()
            );
            std::thread::sleep(Duration::from_millis(300));
        };
        assert!(!limited.is_empty());
        assert!(
            requests_as(env, User::Viewer, since).is_empty(),
            "`{command}` queried the current context"
        );
        t.keys(&["C-c", "C-c"]);
        t.wait_for("KLUE_EXIT=", Duration::from_secs(10));
    }
}

#[test]
fn a_flag_a_subcommand_cannot_use_is_an_error() {
    let home = home();
    let kubeconfig = home.path().join("no-kubeconfig");
    for (args, flag, sub) in [
        (
            vec!["--planner", "offline", "query", "get pods"],
            "--planner",
            "query",
        ),
        (
            vec!["query", "get pods", "--approve", "none"],
            "--approve",
            "query",
        ),
        (vec!["scan", "--model", "m"], "--model", "scan"),
        (
            vec!["--context", "prod", "replay", "x.jsonl"],
            "--context",
            "replay",
        ),
        (
            vec!["export", "x.jsonl", "-n", "shop"],
            "--namespace",
            "export",
        ),
        (
            vec!["sessions", "--snapshot", "s.gz"],
            "--snapshot",
            "sessions",
        ),
        (vec!["demo", "--context", "prod"], "--context", "demo"),
        (vec!["--kubeconfig", "k", "demo"], "--kubeconfig", "demo"),
        (vec!["mcp", "--planner", "offline"], "--planner", "mcp"),
        (vec!["--approve", "none", "mcp"], "--approve", "mcp"),
        (
            vec!["--context", "prod", "completions", "bash"],
            "--context",
            "completions",
        ),
        (vec!["man", "-n", "shop"], "--namespace", "man"),
    ] {
        let out = klue(home.path(), &kubeconfig, &args);
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded: {err}");
        assert!(
            err.contains(&format!("{flag} has no effect on `klue {sub}`")),
            "{args:?}: {err}"
        );
    }
    // A headless flag on the screen's path is an error too, never ignored.
    let out = klue(
        home.path(),
        &kubeconfig,
        &["resume", "x.jsonl", "-o", "json"],
    );
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("--output json prints a headless investigation") && err.contains("add --ask"),
        "{err}"
    );
    // One approval vocabulary everywhere.
    let out = klue(home.path(), &kubeconfig, &["ask", "--approve", "yes", "x"]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("expected `ask`, `all-read-only` or `none`"),
        "{err}"
    );
}

#[test]
fn a_snapshot_given_before_scan_is_used() {
    let home = home();
    let snap = home.path().join("demo.klue.gz");
    let kubeconfig = home.path().join("no-kubeconfig");
    let out = klue(
        home.path(),
        &kubeconfig,
        &["demo", "--write-snapshot", snap.to_str().expect("utf-8")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = klue(
        home.path(),
        &kubeconfig,
        &[
            "--snapshot",
            snap.to_str().expect("utf-8"),
            "-n",
            "shop",
            "scan",
        ],
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("checkout"), "{stdout}");
    assert!(
        !text(&out.stderr).contains("kubeconfig"),
        "{}",
        text(&out.stderr)
    );
}

fn budget_config(home: &Path) -> PathBuf {
    let path = home.join("budget.toml");
    std::fs::write(&path, "planner = \"offline\"\n[budget]\nmax_queries = 1\n").expect("config");
    path
}

#[test]
fn the_config_files_budget_applies_to_the_demo_and_ask() {
    let home = home();
    let config = budget_config(home.path());
    let config = config.to_str().expect("utf-8");
    let kubeconfig = home.path().join("no-kubeconfig");
    let out = klue(
        home.path(),
        &kubeconfig,
        &["demo", "--config", config, "--no-record"],
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("query budget (1 queries)"), "{all}");
    assert!(all.contains("1 queries run"), "{all}");

    let Some(env) = env() else { return };
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let out = klue(
        home.path(),
        env.kubeconfig(User::Viewer),
        &[
            "ask",
            "--config",
            config,
            "-n",
            "launching",
            "--approve",
            "all-read-only",
            "--no-record",
            "web keeps restarting",
        ],
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("query budget (1 queries)"), "{all}");
}

#[test]
fn the_config_files_budget_applies_to_the_screen() {
    let Some(env) = env() else { return };
    if !tmux::available() {
        eprintln!("tmux is not installed: the screen's budget was not checked");
        return;
    }
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = home();
    let config = budget_config(home.path());
    let vars = [
        (
            "KUBECONFIG",
            env.kubeconfig(User::Viewer).display().to_string(),
        ),
        ("HOME", home.path().display().to_string()),
        (
            "XDG_STATE_HOME",
            home.path().join("state").display().to_string(),
        ),
        (
            "XDG_CONFIG_HOME",
            home.path().join("config").display().to_string(),
        ),
        ("TERM", "xterm-256color".to_string()),
    ];
    let command = format!(
        "{} --config {} -n launching --approve all-read-only",
        env!("CARGO_BIN_EXE_klue"),
        config.display()
    );
    let t = tmux::Tmux::start(&vars, &command, 160, 50);
    t.wait_for("Message", Duration::from_secs(20));
    t.type_text("web keeps restarting");
    t.keys(&["Enter"]);
    // The status bar counts against the config file's budget of one query (the conclusion's
    // own words about the budget wrap with the overlay's width).
    let s = t.wait_for("query budget", Duration::from_secs(30));
    assert!(s.contains("1/1 queries"), "{s}");
    t.keys(&["C-c", "C-c"]);
    t.wait_for("KLUE_EXIT=", Duration::from_secs(10));
}

/// `klue mcp` with the shared flags before and after it: a `query` tool call goes to the
/// flag's context and namespace.
#[test]
fn the_mcp_server_takes_the_shared_flags_before_and_after() {
    use std::io::{BufRead, BufReader, Write};
    let Some(env) = env() else { return };
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = home();
    let shared = ["--context", User::Limited.context(), "-n", "launching"];
    for before in [true, false] {
        let mut argv: Vec<&str> = Vec::new();
        if before {
            argv.extend(shared);
            argv.push("mcp");
        } else {
            argv.push("mcp");
            argv.extend(shared);
        }
        let since = settled(env);
        let mut child = Command::new(env!("CARGO_BIN_EXE_klue"))
            .args(&argv)
            .env("KUBECONFIG", &env.kubeconfigs.all)
            .env("HOME", home.path())
            .env("XDG_STATE_HOME", home.path().join("state"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run klue mcp");
        let mut stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut send = |v: serde_json::Value| {
            writeln!(stdin, "{v}").expect("write to klue mcp");
            stdin.flush().expect("flush");
        };
        send(
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2024-11-05", "capabilities": {},
            "clientInfo": {"name": "launch-test", "version": "1"}}}),
        );
        let reply = lines.next().expect("an initialize reply").expect("read");
        assert!(reply.contains("\"id\":1"), "{reply}");
        send(serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        send(
            serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "query", "arguments": {"command": "get pods"}}}),
        );
        let answer = lines
            .by_ref()
            .map_while(Result::ok)
            .find(|l| l.contains("\"id\":2"))
            .expect("the query's answer");
        drop(stdin);
        let _ = child.wait();
        let place = if before { "before" } else { "after" };
        // `limited` may not list pods there: the answer says so, as that user, in that
        // namespace (the audit log below is the proof).
        assert!(
            answer.contains("\"result\"") && answer.contains("launching"),
            "flags {place}: {answer}"
        );
        settled(env);
        let limited = requests_as(env, User::Limited, since);
        assert!(
            limited
                .iter()
                .any(|r| r.request_uri.contains("/namespaces/launching/")),
            "mcp with the flags {place}: {:?}",
            limited.iter().map(|r| &r.request_uri).collect::<Vec<_>>()
        );
        assert!(
            requests_as(env, User::Viewer, since).is_empty(),
            "mcp with the flags {place} queried the current context"
        );
    }
}
