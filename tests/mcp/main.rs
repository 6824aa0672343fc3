//! `klue mcp`, the real binary, driven by a real MCP client not written here: the official
//! Python SDK (the PyPI package `mcp`, installed by scripts/provision-mcp-client.sh into a
//! cached virtualenv; `KLUE_MCP_PYTHON` names its python), against the real apiserver.
//!
//! - every tool called, annotations and descriptions as promised, refusals as tool errors;
//! - planted secrets (tests/corpus/secrets.txt) absent from every result, the recording and
//!   the log; the audit log shows klue's user sent only reads;
//! - a session listed and readable as a resource after `investigate`; the prompt;
//! - a client's cancellation stops the running query (the connection to a server that never
//!   answers is closed), and the server goes on;
//! - malformed requests are protocol errors, stdout carries nothing but protocol messages.

#[path = "../support/mod.rs"]
mod support;

#[path = "../corpus/planted.rs"]
mod planted;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::User;

const NS: &str = "mcp";

/// The python of the virtualenv holding the MCP SDK.
fn python() -> PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        if let Some(p) = std::env::var_os("KLUE_MCP_PYTHON") {
            return PathBuf::from(p);
        }
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/provision-mcp-client.sh"
        );
        let out = Command::new("bash")
            .arg(script)
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/provision-mcp-client.sh");
        assert!(
            out.status.success(),
            "scripts/provision-mcp-client.sh failed: the Python MCP SDK is needed for these tests"
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
    .clone()
}

/// A crash-looping pod `web` in namespace `mcp` carrying every planted secret (env,
/// annotations, ConfigMap, Secret, Event, previous logs).
async fn seeded() -> Option<(&'static support::TestEnv, &'static [(String, String)])> {
    let env = support::shared()?;
    static LINES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    let lines = LINES.get_or_init(planted::corpus);
    static SEEDED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SEEDED
        .get_or_init(|| async {
            let node = r#"
apiVersion: v1
kind: Node
metadata: {name: mcp-node}
status:
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: ok, lastHeartbeatTime: "${NOW-1m}", lastTransitionTime: "${NOW-1d}"}
"#;
            let status = json!({"phase": "Running", "startTime": "${NOW-1h}",
                "containerStatuses": [{"name": "app", "image": "shop/app:1", "imageID": "", "ready": false, "restartCount": 7,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=app pod=web_mcp"}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "${NOW-3m}", "finishedAt": "${NOW-2m}"}}}]});
            let objects = planted::Plant {
                namespace: NS,
                pod: "web",
                node: "mcp-node",
                pod_status: status,
            }
            .manifests(lines);
            support::apply(env, &format!("{node}\n---\n{objects}"))
                .await
                .expect("seed");
            let mut previous = planted::log_of(lines, "ERROR");
            previous.push_str("2026-11-25T10:01:00.000000000Z FATAL cannot start: missing config key DATABASE_URL\n");
            support::kubelet().set(NS, "web", "app", &planted::log_of(lines, "INFO"), Some(&previous));
        })
        .await;
    Some((env, lines.as_slice()))
}

/// Run the Python client in `mode` against `klue mcp <args>`; its JSON report.
async fn client(mode: &str, home: &Path, args: &[&str]) -> Value {
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/client.py"))
        .arg(mode)
        .arg(env!("CARGO_BIN_EXE_klue"))
        .args(args)
        .env("XDG_STATE_HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("HOME", home)
        .env("KLUE_LOG", "debug")
        .env("KLUE_MCP_NAMESPACE", NS)
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(240), cmd.output())
        .await
        .expect("the MCP client did not finish within 240 s")
        .expect("run the MCP client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the MCP client failed ({}):\n{}\n{stdout}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("client report: {e}\n{stdout}"))
}

fn result<'a>(report: &'a Value, call: &str) -> &'a Value {
    let c = &report["calls"][call];
    assert_eq!(c["ok"], json!(true), "`{call}` was a protocol error: {c}");
    &c["result"]
}

fn text_of(r: &Value) -> String {
    r["content"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn is_error(r: &Value) -> bool {
    r["isError"] == json!(true)
}

/// Every file under `dir`, as text.
fn files_text(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_text(&p));
        } else if let Ok(t) = std::fs::read(&p) {
            out.push((p, String::from_utf8_lossy(&t).into_owned()));
        }
    }
    out
}

#[tokio::test]
async fn a_real_client_uses_every_tool_and_only_reads() {
    let Some((env, lines)) = seeded().await else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let all = env.kubeconfigs.all.display().to_string();
    let report = client("session", home.path(), &["--kubeconfig", &all]).await;
    // KLUE_MCP_REPORT=FILE keeps the client's report for reading.
    if let Some(p) = std::env::var_os("KLUE_MCP_REPORT") {
        std::fs::write(p, format!("{report:#}")).expect("write the report");
    }

    // The handshake: klue, with tools, resources and prompts.
    let init = &report["initialize"];
    assert_eq!(init["serverInfo"]["name"], json!("klue"), "{init}");
    for cap in ["tools", "resources", "prompts"] {
        assert!(
            init["capabilities"][cap].is_object(),
            "no {cap} capability: {init}"
        );
    }

    // Tools: exactly these names, read-only annotations, the grammar in two lines.
    let tools = report["tools"].as_array().expect("tools");
    let mut names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        ["api_resources", "contexts", "investigate", "query", "scan"]
    );
    let grammar = include_str!("../../prompts/mcp_grammar.md").trim();
    assert_eq!(grammar.lines().count(), 2, "the grammar is two lines");
    for t in tools {
        let a = &t["annotations"];
        assert_eq!(a["readOnlyHint"], json!(true), "{t}");
        assert_eq!(a["destructiveHint"], json!(false), "{t}");
        assert_eq!(a["idempotentHint"], json!(true), "{t}");
        let d = t["description"].as_str().expect("description");
        assert!(
            d.ends_with(grammar),
            "{} does not end with the grammar: {d}",
            t["name"]
        );
    }
    let query_tool = tools.iter().find(|t| t["name"] == "query").expect("query");
    assert_eq!(query_tool["inputSchema"]["required"], json!(["command"]));
    assert!(query_tool["inputSchema"]["properties"]["namespace"].is_object());
    let inv = tools
        .iter()
        .find(|t| t["name"] == "investigate")
        .expect("investigate");
    for p in ["symptom", "namespace", "max_queries"] {
        assert!(inv["inputSchema"]["properties"][p].is_object(), "{inv}");
    }

    // query: kubectl's output; the namespace argument; refusals are tool errors with why.
    let pods = result(&report, "query_pods");
    assert!(!is_error(pods), "{pods}");
    let pods_text = text_of(pods);
    assert!(
        pods_text.contains("web") && pods_text.contains("CrashLoopBackOff"),
        "{pods_text}"
    );
    // The cluster's text reaches the client's model fenced as untrusted data.
    assert!(
        pods_text.starts_with("<<<klue:untrusted-data source=\"output of `get pods")
            && pods_text
                .trim_end()
                .ends_with("<<<klue:end-untrusted-data>>>"),
        "{pods_text}"
    );
    // The same table either way (the AGE column, last, may have ticked between the calls).
    let without_age = |t: &str| -> Vec<String> {
        t.lines()
            .map(|l| {
                let mut w: Vec<&str> = l.split_whitespace().collect();
                w.pop();
                w.join(" ")
            })
            .collect()
    };
    assert_eq!(
        without_age(&text_of(result(&report, "query_namespace_arg"))),
        without_age(&pods_text)
    );
    let write = result(&report, "query_write");
    assert!(is_error(write), "{write}");
    let why = text_of(write);
    assert!(
        why.starts_with("refused: ") && why.contains("delete"),
        "{why}"
    );
    for call in ["query_shell", "query_subshell"] {
        let r = result(&report, call);
        assert!(is_error(r), "{call}: {r}");
        assert!(text_of(r).starts_with("refused: "), "{call}: {r}");
    }
    let nf = result(&report, "query_not_found");
    assert!(is_error(nf) && text_of(nf).contains("not found"), "{nf}");
    for call in ["query_bad_type", "query_unknown_arg"] {
        let c = &report["calls"][call];
        assert!(
            c["ok"] == json!(false) || is_error(&c["result"]),
            "{call} was accepted: {c}"
        );
    }
    let unknown = &report["calls"]["unknown_tool"];
    assert!(
        unknown["ok"] == json!(false) || is_error(&unknown["result"]),
        "{unknown}"
    );

    // The planted objects were read (so the secrets were on the path) and came out masked.
    for call in [
        "secret_yaml",
        "secret_json",
        "secret_describe",
        "configmap_yaml",
        "pod_yaml",
        "pod_describe",
        "logs",
    ] {
        let r = result(&report, call);
        assert!(!is_error(r), "{call}: {r}");
    }
    assert!(text_of(result(&report, "configmap_yaml")).contains("line-01"));
    assert!(text_of(result(&report, "pod_yaml")).contains("CORPUS_07"));
    assert!(text_of(result(&report, "logs")).contains("missing config key DATABASE_URL"));

    // scan: text and structured findings; a bad severity is a tool error naming it.
    let scan = result(&report, "scan");
    assert!(!is_error(scan), "{scan}");
    let findings = scan["structuredContent"]["findings"]
        .as_array()
        .expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f["analyzer"] == "crashloop" && f["object"]["name"] == "web"),
        "{findings:#?}"
    );
    assert!(text_of(scan).contains("CRITICAL"), "{}", text_of(scan));
    assert_eq!(scan["structuredContent"]["scope"], json!(NS));
    assert!(!is_error(result(&report, "scan_all")));
    let bad = result(&report, "scan_bad_severity");
    assert!(is_error(bad) && text_of(bad).contains("fatal"), "{bad}");

    // api_resources, contexts (names only, the current one marked).
    let ar = text_of(result(&report, "api_resources"));
    assert!(ar.contains("pods") && ar.contains("deployments"), "{ar}");
    let ctx = result(&report, "contexts");
    assert_eq!(ctx["structuredContent"]["current"], json!("testenv-viewer"));
    assert_eq!(
        ctx["structuredContent"]["contexts"],
        json!(["testenv-admin", "testenv-limited", "testenv-viewer"])
    );
    assert!(text_of(ctx).contains("* testenv-viewer (current)"), "{ctx}");

    // investigate: a conclusion with evidence and the commands, progress, a recording.
    let inv = result(&report, "investigate");
    assert!(!is_error(inv), "{inv}");
    let inv_text = text_of(inv);
    assert!(inv_text.contains("**Cause:**"), "{inv_text}");
    assert!(inv_text.contains("Remediation (suggested"), "{inv_text}");
    let conclusion = &inv["structuredContent"]["conclusion"];
    assert!(
        conclusion["problems"][0]["cause"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{inv}"
    );
    let queries = inv["structuredContent"]["queries"]
        .as_array()
        .expect("queries");
    assert!(!queries.is_empty() && queries.len() <= 40, "{queries:?}");
    assert!(queries.iter().all(|q| q["command"].as_str().is_some()));
    let uri = inv["structuredContent"]["session"]
        .as_str()
        .expect("a session resource")
        .to_string();
    assert!(uri.starts_with("klue://sessions/"), "{uri}");
    assert!(inv_text.contains(&uri), "{inv_text}");
    let progress = report["progress"].as_array().expect("progress");
    assert!(
        progress
            .iter()
            .any(|p| p["message"].as_str().is_some_and(|m| m.contains("get "))),
        "no progress notification named a query: {progress:?}"
    );
    assert!(is_error(result(&report, "investigate_empty")));

    // The session is a resource (newest first), readable as a Markdown postmortem.
    let resources = report["resources"].as_array().expect("resources");
    assert_eq!(
        resources.first().and_then(|r| r["uri"].as_str()),
        Some(uri.as_str())
    );
    assert_eq!(resources[0]["mimeType"], json!("text/markdown"));
    let read = &report["read"][&uri]["contents"][0];
    let md = read["text"].as_str().expect("markdown");
    assert!(
        md.starts_with("# Investigation: web pods keep restarting"),
        "{md}"
    );
    assert!(
        md.contains("## Conclusion") && md.contains("## Queries"),
        "{md}"
    );
    assert_eq!(
        report["resource_templates"][0]["uriTemplate"],
        json!("klue://sessions/{name}")
    );
    assert_eq!(report["read_bad"]["ok"], json!(false));

    // The prompt.
    assert!(
        report["prompts"]
            .as_array()
            .expect("prompts")
            .iter()
            .any(|p| p["name"] == "troubleshoot")
    );
    let prompt = report["prompt"].to_string();
    assert!(
        prompt.contains("Scientific debugging") && prompt.contains("checkout is slow"),
        "{prompt}"
    );
    assert!(report["ping"].is_object());

    // No secret anywhere: the results, the recording, the log.
    let mut leaks = Vec::new();
    let everything = report.to_string();
    let decoded = format!("{report:#}");
    for (line, secret) in lines {
        if everything.contains(secret.as_str()) || decoded.contains(secret.as_str()) {
            leaks.push(format!("results: `{secret}` (from `{line}`)"));
        }
    }
    for token in [
        env.token(User::Admin),
        env.token(User::Viewer),
        env.token(User::Limited),
    ] {
        if everything.contains(token) {
            leaks.push("results: a kubeconfig token".into());
        }
    }
    let files = files_text(home.path());
    assert!(
        files
            .iter()
            .any(|(p, _)| p.extension().is_some_and(|e| e == "jsonl")),
        "no recording"
    );
    assert!(
        files.iter().any(|(p, _)| p.ends_with("klue/klue.log")),
        "no log file"
    );
    for (path, text) in &files {
        for (_, secret) in lines {
            if text.contains(secret.as_str()) {
                leaks.push(format!("{}: `{secret}`", path.display()));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "{} secret(s) leaked:\n{}",
        leaks.len(),
        leaks.join("\n")
    );

    // The apiserver saw only reads from klue's user.
    let audit = support::audit::requests_by(&env.audit(), User::Viewer.username());
    assert!(audit.len() > 10, "klue made {} requests", audit.len());
    let writes: Vec<_> = audit
        .iter()
        .filter(|e| !matches!(e.verb.as_str(), "get" | "list" | "watch"))
        .map(|e| format!("{} {}", e.verb, e.request_uri))
        .collect();
    assert!(
        writes.is_empty(),
        "klue sent non-read requests: {writes:#?}"
    );
}

/// When each connection was opened and (once it was) closed.
type Connections = Arc<Mutex<Vec<(Instant, Option<Instant>)>>>;

/// A TCP server that accepts connections and never answers; it notes when each is closed.
struct BlackHole {
    port: u16,
    conns: Connections,
}

impl BlackHole {
    fn start() -> BlackHole {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let conns: Connections = Arc::default();
        let c = conns.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let i = {
                    let mut v = c.lock().expect("lock");
                    v.push((Instant::now(), None));
                    v.len() - 1
                };
                let c = c.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
                    c.lock().expect("lock")[i].1 = Some(Instant::now());
                });
            }
        });
        BlackHole { port, conns }
    }
}

#[tokio::test]
async fn a_cancelled_query_stops_and_the_server_goes_on() {
    let hole = BlackHole::start();
    let home = tempfile::tempdir().expect("tempdir");
    let kubeconfig = home.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: hole\n  cluster:\n    server: https://127.0.0.1:{}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: hole\n  context: {{cluster: hole, user: u, namespace: default}}\ncurrent-context: hole\nusers:\n- name: u\n  user: {{token: not-a-real-token}}\n",
            hole.port
        ),
    )
    .expect("write kubeconfig");
    let started = Instant::now();
    let report = client(
        "cancel",
        home.path(),
        &["--kubeconfig", &kubeconfig.display().to_string()],
    )
    .await;
    let query = report["query"].as_str().unwrap_or_default();
    assert_ne!(
        query, "returned",
        "the query answered from a server that never answers"
    );
    let abandoned = report["abandoned_after_s"]
        .as_f64()
        .expect("abandoned_after_s");
    assert!(abandoned < 10.0, "the client gave up after {abandoned} s");
    // The server went on: a later call and a ping were answered.
    assert!(
        report["contexts"]["structuredContent"]["current"] == json!("hole"),
        "{report}"
    );
    assert!(report["ping"].is_object());
    // klue opened a connection for the query and closed it when the client cancelled (long
    // before any timeout of its own).
    let conns = hole.conns.lock().expect("lock").clone();
    assert!(!conns.is_empty(), "klue never connected");
    for (opened, closed) in &conns {
        let closed = closed.unwrap_or_else(|| {
            panic!(
                "a connection opened {:?} after start was never closed",
                opened.duration_since(started)
            )
        });
        assert!(
            closed.duration_since(started) < Duration::from_secs(30),
            "the connection was closed only {:?} after start",
            closed.duration_since(started)
        );
    }
    let log = std::fs::read_to_string(home.path().join("klue/klue.log")).expect("log");
    assert!(log.contains("query cancelled by the client"), "{log}");
    // The cancelled investigation ended and is recorded as such.
    assert_ne!(report["investigate"].as_str(), Some("returned"), "{report}");
    assert!(
        log.contains("investigation cancelled by the client"),
        "{log}"
    );
    let resources = report["resources"].as_array().expect("resources");
    assert_eq!(resources.len(), 1, "{resources:?}");
    let uri = resources[0]["uri"].as_str().expect("uri");
    let md = report["read"][uri]["contents"][0]["text"]
        .as_str()
        .expect("markdown");
    assert!(md.contains("cancelled the running turn"), "{md}");
    assert!(!md.contains("## Conclusion"), "{md}");
}

/// Run `klue mcp <args>`, write `lines` to it one by one, wait (at most `wait`) until the
/// requests `ids` are answered, close stdin and wait for the exit. Every stdout line must be
/// a JSON-RPC message.
fn raw(args: &[&str], home: &Path, lines: &[&str], ids: &[u64], wait: Duration) -> Vec<Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_klue"))
        .arg("mcp")
        .args(args)
        .env("XDG_STATE_HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("HOME", home)
        .env("KLUE_LOG", "debug")
        .env_remove("KUBECONFIG")
        .env_remove("KLUE_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn klue mcp");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let ids: Vec<Value> = ids.iter().map(|i| json!(i)).collect();
    for l in lines {
        writeln!(stdin, "{l}").expect("write");
        stdin.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(30));
    }
    let mut out = Vec::new();
    let deadline = Instant::now() + wait;
    let answered = |out: &[String], id: &Value| {
        out.iter().any(|l| {
            serde_json::from_str::<Value>(l)
                .is_ok_and(|m| m["id"] == *id && m.get("method").is_none())
        })
    };
    while !ids.iter().all(|id| answered(&out, id)) && Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            out.push(l);
        }
    }
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "klue mcp did not exit after stdin closed"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    reader.join().expect("reader");
    out.extend(rx.try_iter());
    assert!(status.success(), "klue mcp exited with {status}");
    let msgs: Vec<Value> = out
        .iter()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not a protocol message on stdout ({e}): {l:?}"))
        })
        .collect();
    assert!(msgs.iter().all(|m| m["jsonrpc"] == "2.0"), "{msgs:#?}");
    msgs
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

#[test]
fn malformed_requests_are_protocol_errors_and_stdout_is_protocol_only() {
    let home = tempfile::tempdir().expect("tempdir");
    let kubeconfig = home.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user: {token: t}\n",
    )
    .expect("kubeconfig");
    let lines = [
        INITIALIZE,
        INITIALIZED,
        "this is not json",
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":"oops"}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"no/such/method","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"query","arguments":{"command":["get","pods"]}}}"#,
        r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"query","arguments":{"command":"delete ns default"}}}"#,
        r#"{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"klue://sessions/nope"}}"#,
        r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#,
    ];
    let kc = kubeconfig.display().to_string();
    // Request 2 cannot be read as a request, so its error answer may carry no id.
    let msgs = raw(
        &["--kubeconfig", &kc],
        home.path(),
        &lines,
        &[1, 3, 4, 5, 6, 7],
        Duration::from_secs(20),
    );

    let by_id = |id: u64| msgs.iter().find(|m| m["id"] == json!(id));
    assert!(
        by_id(1).is_some_and(|m| m["result"]["serverInfo"]["name"] == "klue"),
        "{msgs:#?}"
    );
    assert!(
        by_id(3).is_some_and(|m| m["error"]["code"] == json!(-32601)),
        "{msgs:#?}"
    );
    let wrong_type = by_id(4).expect("an answer to a wrongly typed argument");
    assert!(
        wrong_type["error"].is_object() || wrong_type["result"]["isError"] == json!(true),
        "{wrong_type}"
    );
    let refused = by_id(5).expect("an answer to a write");
    assert_eq!(refused["result"]["isError"], json!(true), "{refused}");
    assert!(
        refused["result"]["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("refused: ")),
        "{refused}"
    );
    assert!(
        by_id(6).is_some_and(|m| m["error"].is_object()),
        "{msgs:#?}"
    );
    assert!(
        by_id(7).is_some_and(|m| m["result"].is_object()),
        "{msgs:#?}"
    );
    // The invalid request got an "Invalid request" error too (the unparsable line is skipped).
    assert!(
        msgs.iter().any(|m| m["error"]["code"] == json!(-32600)),
        "{msgs:#?}"
    );
}

#[test]
fn the_shared_flags_apply_snapshot_and_namespace() {
    let home = tempfile::tempdir().expect("tempdir");
    let snapshot = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/shop.klue.gz");
    let lines = [
        INITIALIZE,
        INITIALIZED,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"query","arguments":{"command":"get pods"}}}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"contexts","arguments":{}}}"#,
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"scan","arguments":{}}}"#,
        r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"investigate","arguments":{"symptom":"checkout pods keep restarting"}}}"#,
        r#"{"jsonrpc":"2.0","id":6,"method":"resources/list","params":{}}"#,
    ];
    let msgs = raw(
        &["--snapshot", snapshot, "-n", "shop"],
        home.path(),
        &lines[..6],
        &[1, 2, 3, 4, 5],
        Duration::from_secs(120),
    );
    let by_id = |id: u64| {
        msgs.iter()
            .find(|m| m["id"] == json!(id))
            .unwrap_or_else(|| panic!("no answer to {id}: {msgs:#?}"))
    };
    // `-n shop` is the default namespace for queries and the scan.
    let pods = text_of(&by_id(2)["result"]);
    assert!(pods.contains("checkout-"), "{pods}");
    let ctx = &by_id(3)["result"]["structuredContent"];
    assert!(
        ctx["current"]
            .as_str()
            .is_some_and(|c| c.starts_with("snapshot ")),
        "{ctx}"
    );
    assert_eq!(
        by_id(4)["result"]["structuredContent"]["scope"],
        json!("shop")
    );
    let inv = &by_id(5)["result"];
    assert_ne!(inv["isError"], json!(true), "{inv}");
    assert!(text_of(inv).contains("checkout"), "{inv}");
    // The investigation was recorded: a second server lists it.
    let msgs = raw(
        &["--snapshot", snapshot],
        home.path(),
        &[INITIALIZE, INITIALIZED, lines[6]],
        &[1, 6],
        Duration::from_secs(20),
    );
    let list = &msgs
        .iter()
        .find(|m| m["id"] == json!(6))
        .expect("resources/list")["result"]["resources"];
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
}

#[test]
fn the_config_budget_bounds_an_investigation() {
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join("klue")).expect("config dir");
    std::fs::write(
        home.path().join("klue/config.toml"),
        "[budget]\nmax_queries = 2\n",
    )
    .expect("config");
    let snapshot = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/shop.klue.gz");
    let msgs = raw(
        &["--snapshot", snapshot, "-n", "shop"],
        home.path(),
        &[
            INITIALIZE,
            INITIALIZED,
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"investigate","arguments":{"symptom":"checkout pods keep restarting"}}}"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"investigate","arguments":{"symptom":"checkout pods keep restarting","max_queries":0}}}"#,
        ],
        &[1, 2, 3],
        Duration::from_secs(60),
    );
    let by_id = |id: u64| {
        msgs.iter()
            .find(|m| m["id"] == json!(id))
            .unwrap_or_else(|| panic!("no answer to {id}: {msgs:#?}"))
    };
    let queries = by_id(2)["result"]["structuredContent"]["queries"]
        .as_array()
        .expect("queries")
        .clone();
    let ran = queries.iter().filter(|q| q["status"] != "refused").count();
    assert!((1..=2).contains(&ran), "{queries:#?}");
    assert!(
        queries.iter().any(|q| q["error"]
            .as_str()
            .is_some_and(|e| e.contains("budget (2 queries)"))),
        "{queries:#?}"
    );
    let zero = &by_id(3)["result"];
    assert_eq!(zero["isError"], json!(true), "{zero}");
    assert!(text_of(zero).contains("max_queries"), "{zero}");
}
