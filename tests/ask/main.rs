//! `klue ask`, the real binary: the LLM planner against the scripted OpenAI-protocol server,
//! klue's executor against the real apiserver, approval policies, text and JSON output, exit
//! codes, and the prompt on a terminal.

#[path = "../support/mod.rs"]
mod support;

#[path = "../support/openai.rs"]
mod openai;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use openai::{OpenAiServer, Reply, call};
use serde_json::{Value, json};
use support::User;

const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: asking}
---
apiVersion: v1
kind: Node
metadata: {name: ask-node}
status:
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: ok, lastHeartbeatTime: "${NOW-1m}", lastTransitionTime: "${NOW-1d}"}
---
apiVersion: v1
kind: Pod
metadata: {name: checkout, namespace: asking}
spec:
  nodeName: ask-node
  containers: [{name: app, image: "checkout:2.0"}]
status:
  phase: Running
  containerStatuses:
  - name: app
    image: "checkout:2.0"
    imageID: ""
    ready: false
    restartCount: 9
    state: {waiting: {reason: CrashLoopBackOff, message: back-off restarting failed container}}
    lastState: {terminated: {exitCode: 1, reason: Error, startedAt: "${NOW-2m}", finishedAt: "${NOW-1m}"}}
"#;

async fn seeded() -> Option<&'static support::TestEnv> {
    let env = support::shared()?;
    static SEEDED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SEEDED
        .get_or_init(|| async {
            support::apply(env, FIXTURE).await.expect("seed");
        })
        .await;
    Some(env)
}

/// The investigation the scripted model runs: a hypothesis and a query, then a conclusion.
fn script() -> Vec<Reply> {
    vec![
        Reply::tools(
            "Let me check the pods in asking.",
            vec![
                call(
                    "record_hypothesis",
                    json!({"id": "h1", "statement": "checkout crashes on start", "status": "open"}),
                ),
                call(
                    "propose_query",
                    json!({"command": "get pods -n asking", "reason": "see pod states", "hypothesis": "h1"}),
                ),
                call(
                    "propose_query",
                    json!({"command": "delete pod checkout -n asking", "reason": "restart it", "hypothesis": "h1"}),
                ),
            ],
        ),
        Reply::tools(
            "checkout is in CrashLoopBackOff.",
            vec![call(
                "conclude",
                json!({
                    "root_cause": "checkout exits with code 1 on start (CrashLoopBackOff)",
                    "evidence": [{"text": "checkout restarted 9 times", "executions": []}],
                    "confidence": "medium",
                    "remediation": "read the previous logs of checkout and fix its configuration"
                }),
            )],
        ),
    ]
}

fn klue(env: &support::TestEnv, server: &OpenAiServer, args: &[&str], home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klue"));
    cmd.arg("ask")
        .arg("--kubeconfig")
        .arg(env.kubeconfig(User::Viewer))
        .args(["-n", "asking", "--planner", "llm", "--model", "test-model"])
        .arg("--base-url")
        .arg(server.base_url())
        .args(args)
        .env("OPENAI_API_KEY", "sk-ask-test-key")
        .env("XDG_CONFIG_HOME", home)
        .env("XDG_STATE_HOME", home)
        .env("HOME", home)
        .env_remove("OPENAI_BASE_URL")
        .env_remove("KLUE_CONFIG")
        .env_remove("KLUE_PLANNER")
        .stdin(Stdio::null());
    cmd
}

async fn run(cmd: Command) -> Output {
    let mut cmd = tokio::process::Command::from(cmd);
    tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
        .await
        .expect("klue ask did not finish within 60 s")
        .expect("run klue")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn all_read_only_runs_to_a_conclusion_as_json() {
    let Some(env) = seeded().await else { return };
    let server = OpenAiServer::start(script()).await;
    let home = tempfile::tempdir().expect("tempdir");
    let out = run(klue(
        env,
        &server,
        &[
            "--approve",
            "all-read-only",
            "--output",
            "json",
            "checkout keeps crashing",
        ],
        home.path(),
    ))
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {stderr}\nstdout: {}",
        text(&out.stdout)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document on stdout");
    assert_eq!(doc["outcome"], "concluded");
    assert_eq!(doc["symptom"], "checkout keeps crashing");
    let proposals = doc["proposals"].as_array().expect("proposals");
    assert_eq!(proposals.len(), 2, "{doc:#}");
    assert_eq!(proposals[0]["command"], "get pods -n asking");
    assert_eq!(proposals[0]["status"], "executed");
    assert_eq!(
        proposals[0]["decided_by"]["policy"]["rule"],
        "all-read-only"
    );
    assert_eq!(proposals[1]["status"], "refused");
    assert!(
        proposals[1]["refused"]
            .as_str()
            .unwrap_or("")
            .contains("delete")
    );
    let exec = &doc["executions"][0];
    assert!(
        exec["output"]
            .as_str()
            .unwrap_or("")
            .contains("CrashLoopBackOff"),
        "{exec:#}"
    );
    assert!(
        exec["condensed"]
            .as_str()
            .unwrap_or("")
            .contains("checkout")
    );
    let problem = &doc["conclusion"]["problems"][0];
    assert!(
        problem["cause"]
            .as_str()
            .unwrap_or("")
            .contains("CrashLoopBackOff"),
        "{doc:#}"
    );
    // The model's evidence cites no execution: marked unverified, the confidence lowered.
    assert_eq!(doc["conclusion"]["verdict"], "diagnosed");
    assert_eq!(
        problem["evidence"][0]["verification"]["state"], "unverified",
        "{problem:#}"
    );
    assert_eq!(doc["conclusion"]["confidence"], "low");
    assert_eq!(doc["hypotheses"][0]["id"], "h1");
    assert!(
        doc["usage"]["session_total"].as_u64().unwrap_or(0) > 0,
        "{doc:#}"
    );

    // The session was recorded under the XDG state dir, the conclusion included.
    let recordings: Vec<_> = walk(home.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    assert_eq!(recordings.len(), 1, "{recordings:?} {}", text(&out.stderr));
    let recorded = std::fs::read_to_string(&recordings[0]).expect("read recording");
    assert!(recorded.contains("\"concluded\""), "{recorded}");
    assert!(text(&out.stderr).contains("session recorded in"));

    // The model got the condensed output and the refusal as tool results.
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let results = requests[1].tool_results();
    let all = serde_json::to_string(&results).unwrap_or_default();
    assert!(all.contains("CrashLoopBackOff"), "{all}");
    assert!(all.to_lowercase().contains("refused"), "{all}");
}

#[tokio::test]
async fn text_output_shows_proposals_outputs_and_the_conclusion() {
    let Some(env) = seeded().await else { return };
    let server = OpenAiServer::start(script()).await;
    let home = tempfile::tempdir().expect("tempdir");
    let out = run(klue(
        env,
        &server,
        &["--approve", "all-read-only", "checkout keeps crashing"],
        home.path(),
    ))
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for must in [
        "> checkout keeps crashing",
        "Let me check the pods in asking.",
        "[p1] proposed: get pods -n asking",
        "[p1] approved by policy all-read-only",
        "[p1] $ kubectl --context testenv-viewer get pods -n asking",
        "CrashLoopBackOff",
        "[p2] refused: delete pod checkout -n asking",
        "hypothesis h1",
        "== Conclusion: diagnosed ==",
        "checkout exits with code 1 on start (CrashLoopBackOff)",
        "(UNVERIFIED: cites no execution)",
        "fix (not executed by klue): read the previous logs",
        "confidence: low (1 evidence item unverified)",
    ] {
        assert!(stdout.contains(must), "missing {must:?} in:\n{stdout}");
    }
    assert!(text(&out.stderr).contains("concluded (diagnosed) after 2 proposals, 1 queries run"));
}

#[tokio::test]
async fn approve_none_only_prints_the_proposals() {
    let Some(env) = seeded().await else { return };
    let server = OpenAiServer::start(script()).await;
    let home = tempfile::tempdir().expect("tempdir");
    let out = run(klue(
        env,
        &server,
        &["--approve", "none", "-o", "json", "checkout keeps crashing"],
        home.path(),
    ))
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["outcome"], "not_concluded");
    assert_eq!(doc["proposals"][0]["status"], "rejected");
    assert_eq!(doc["executions"].as_array().map(Vec::len), Some(0));
    // One model call: klue did not go on after showing the proposals.
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn ask_without_a_terminal_says_to_choose_a_policy() {
    let Some(env) = seeded().await else { return };
    let server = OpenAiServer::start(vec![]).await;
    let home = tempfile::tempdir().expect("tempdir");
    let out = run(klue(
        env,
        &server,
        &["checkout keeps crashing"],
        home.path(),
    ))
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--approve all-read-only") && stderr.contains("--approve none"),
        "{stderr}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_planner_that_stops_without_concluding_exits_non_zero() {
    let Some(env) = seeded().await else { return };
    let server = OpenAiServer::start(vec![Reply::text(
        "I need more details: which namespace is checkout in?",
    )])
    .await;
    let home = tempfile::tempdir().expect("tempdir");
    let out = run(klue(
        env,
        &server,
        &["--approve", "all-read-only", "-o", "json", "it is broken"],
        home.path(),
    ))
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["outcome"], "not_concluded");
    assert_eq!(
        doc["messages"][0],
        "I need more details: which namespace is checkout in?"
    );
}

#[tokio::test]
async fn the_engineer_answers_prompts_on_a_terminal() {
    let Some(env) = seeded().await else { return };
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("`script` (util-linux) is not installed: terminal prompt test not run");
        return;
    }
    let server = OpenAiServer::start(script()).await;
    let home = tempfile::tempdir().expect("tempdir");
    // `script` gives klue a pseudo-terminal; the answers come through it: edit p1 into a
    // narrower query.
    let cmd = klue(
        env,
        &server,
        &["-o", "json", "checkout keeps crashing"],
        home.path(),
    );
    let line = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| shell_words::quote(&a.to_string_lossy()).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let mut script_cmd = Command::new("script");
    script_cmd
        .args(["-qec", &line, "/dev/null"])
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env_remove("OPENAI_BASE_URL")
        .env_remove("KLUE_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = tokio::process::Command::from(script_cmd)
        .spawn()
        .expect("spawn script");
    let mut stdin = child.stdin.take().expect("stdin");
    use tokio::io::AsyncWriteExt;
    stdin
        .write_all(b"e\nget pod checkout -n asking\n")
        .await
        .expect("answer");
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("finished")
        .expect("output");
    drop(stdin);
    let all = text(&out.stdout);
    assert!(all.contains("[a]pprove"), "{all}");
    assert!(
        all.contains("\"command\": \"get pod checkout -n asking\""),
        "{all}"
    );
    assert!(all.contains("\"outcome\": \"concluded\""), "{all}");
    assert_eq!(out.status.code(), Some(0), "{all}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// `klue ask` with the offline planner on a kubeconfig, no model.
fn klue_offline(kubeconfig: &Path, args: &[&str], home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_klue"));
    cmd.arg("ask")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--planner", "offline", "--approve", "all-read-only"])
        .args(args)
        .env("XDG_CONFIG_HOME", home)
        .env("XDG_STATE_HOME", home)
        .env("HOME", home)
        .env_remove("KLUE_CONFIG")
        .env_remove("KLUE_PLANNER")
        .stdin(Stdio::null());
    cmd
}

#[tokio::test]
async fn an_unreachable_cluster_is_inconclusive_and_says_so() {
    let home = tempfile::tempdir().expect("tempdir");
    // Nothing listens on port 1 of the loopback: every query is refused a connection.
    let kubeconfig = home.path().join("dead.yaml");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster: {server: 'https://127.0.0.1:1'}\n\
         users:\n- name: u\n  user: {token: not-a-secret}\ncontexts:\n- name: dead\n  context: {cluster: dead, user: u, namespace: shop}\n\
         current-context: dead\n",
    )
    .expect("write kubeconfig");
    let out = run(klue_offline(
        &kubeconfig,
        &["--no-record", "checkout pods crash in shop"],
        home.path(),
    ))
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    for must in [
        "== Conclusion: inconclusive ==",
        "klue could not reach the cluster's API server https://127.0.0.1:1 (context dead)",
        "Could not check:",
        "(unreachable): The connection to the server 127.0.0.1:1 was refused",
        "confidence: low",
    ] {
        assert!(stdout.contains(must), "missing {must:?} in:\n{stdout}");
    }
    // A failure is never reported as health.
    for never in ["nothing abnormal", "healthy", "diagnosed"] {
        assert!(!stdout.contains(never), "{never:?} in:\n{stdout}");
    }
    // The engine stopped after the first failed step instead of trying every kind.
    let failed = stdout.matches("failed after").count();
    assert!(
        (1..=6).contains(&failed),
        "{failed} failed queries:\n{stdout}"
    );

    let out = run(klue_offline(
        &kubeconfig,
        &["--no-record", "-o", "json", "checkout pods crash in shop"],
        home.path(),
    ))
    .await;
    assert_eq!(out.status.code(), Some(4));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let c = &doc["conclusion"];
    assert_eq!(c["verdict"], "inconclusive", "{doc:#}");
    assert_eq!(c["confidence"], "low");
    assert_eq!(c["unchecked"][0]["class"], "unreachable", "{c:#}");
    assert!(
        c["problems"].as_array().is_some_and(|p| p.is_empty()),
        "{c:#}"
    );
}

#[tokio::test]
async fn a_forbidden_user_is_inconclusive_and_says_what_failed() {
    let Some(env) = seeded().await else { return };
    let home = tempfile::tempdir().expect("tempdir");
    let out = run(klue_offline(
        env.kubeconfig(User::Limited),
        &["-n", "asking", "--no-record", "checkout keeps crashing"],
        home.path(),
    ))
    .await;
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    for must in [
        "== Conclusion: inconclusive ==",
        "are forbidden to read what the investigation needs",
        "(forbidden): Error from server (Forbidden):",
        "auth can-i",
    ] {
        assert!(stdout.contains(must), "missing {must:?} in:\n{stdout}");
    }
    for never in ["nothing abnormal", "diagnosed", "None of klue's analyzers"] {
        assert!(!stdout.contains(never), "{never:?} in:\n{stdout}");
    }
}
