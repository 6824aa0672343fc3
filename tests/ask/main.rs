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
    // The model's two, then klue's own checks before its conclusion is shown (marked so).
    assert!(proposals.len() > 2, "{doc:#}");
    assert!(
        proposals[..2].iter().all(|p| p["origin"] == "planner"),
        "{doc:#}"
    );
    assert!(
        proposals[2..].iter().all(|p| p["origin"] == "offline_step"),
        "{doc:#}"
    );
    assert_eq!(proposals[0]["command"], "get pods -n asking");
    assert_eq!(proposals[0]["status"], "done");
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
    // klue's own finding, which a query confirms, comes first; the model's claim, whose
    // evidence cites no execution, after it: marked unverified, the confidence lowered.
    let problems = doc["conclusion"]["problems"].as_array().expect("problems");
    let first = &problems[0];
    assert!(
        first["cause"]
            .as_str()
            .unwrap_or("")
            .starts_with("klue also found"),
        "{doc:#}"
    );
    assert_eq!(
        first["chain"][0]["verification"]["state"], "verified",
        "{doc:#}"
    );
    let problem = problems
        .iter()
        .find(|p| {
            p["cause"]
                .as_str()
                .is_some_and(|c| c.contains("CrashLoopBackOff") && !c.starts_with("klue"))
        })
        .expect("the model's problem");
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
    // Why it ended is typed: the run reached its conclusion; it was not the engineer who quit.
    assert_eq!(doc["ended"], "concluded", "{doc:#}");
    assert!(
        recorded.contains(r#""event":"session_ended","reason":"concluded""#),
        "{recorded}"
    );
    assert!(!recorded.contains(r#""reason":"engineer""#), "{recorded}");
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
    // The model's two proposals and klue's own checks, counted alike.
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("concluded (diagnosed) after ") && !stderr.contains("after 2 proposals"),
        "{stderr}"
    );
    assert!(stdout.contains("[klue's offline planner]"), "{stdout}");
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
    assert_eq!(doc["ended"], "no_conclusion", "{doc:#}");
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
async fn a_model_that_only_asks_questions_is_carried_by_the_offline_planner() {
    let Some(env) = seeded().await else { return };
    let question = || Reply::text("I need more details: which namespace is checkout in?");
    let server = OpenAiServer::start((0..12).map(|_| question()).collect()).await;
    let home = tempfile::tempdir().expect("tempdir");
    let out = run(klue(
        env,
        &server,
        &["--approve", "all-read-only", "-o", "json", "it is broken"],
        home.path(),
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["outcome"], "concluded", "{doc:#}");
    // The question was answered with a nudge first (in the same turn).
    assert!(
        server.requests()[1]
            .raw
            .contains("did not move the investigation")
    );
    let notices = doc["notices"].to_string();
    assert!(
        notices.contains("proposed no query") && notices.contains("offline planner"),
        "{notices}"
    );
    assert!(
        doc["messages"].as_array().unwrap().iter().any(|m| m
            .as_str()
            .unwrap_or("")
            .starts_with("[klue's offline planner]")),
        "{doc:#}"
    );
    assert!(text(&out.stderr).contains("klue: "), "notices go to stderr");
}

/// A model that never concludes, under a token budget from the config file: once the tokens
/// are spent the session asks for a conclusion, and the model's further proposals are not
/// run; klue concludes from what was observed instead of ending in an error.
#[tokio::test]
async fn the_config_token_budget_is_honoured_and_still_ends_in_a_conclusion() {
    let Some(env) = seeded().await else { return };
    let commands = [
        "get pods -n asking",
        "get events -n asking",
        "get services -n asking",
        "get deployments -n asking",
        "get configmaps -n asking",
        "get nodes",
    ];
    let server = OpenAiServer::start(
        commands
            .iter()
            .map(|c| {
                Reply::tools(
                    "Checking.",
                    vec![call(
                        "propose_query",
                        json!({"command": c, "reason": "look", "hypothesis": "h1"}),
                    )],
                )
            })
            .collect(),
    )
    .await;
    let home = tempfile::tempdir().expect("tempdir");
    let cfg = home.path().join("klue");
    std::fs::create_dir_all(&cfg).expect("config dir");
    // One request's prompt is well over 100 tokens: the budget is spent after the first turn.
    std::fs::write(cfg.join("config.toml"), "[budget]\nmax_tokens = 100\n").expect("config");
    let out = run(klue(
        env,
        &server,
        &[
            "--approve",
            "all-read-only",
            "-o",
            "json",
            "checkout keeps crashing",
        ],
        home.path(),
    ))
    .await;
    let stderr = text(&out.stderr);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(0), "{stderr}\n{doc:#}");
    assert_eq!(doc["outcome"], "concluded", "{doc:#}");
    assert!(
        doc["errors"].as_array().is_some_and(|e| e.is_empty()),
        "{doc:#}"
    );
    // Only the first turn's query ran; the model was asked once more (to conclude).
    let ran: Vec<&str> = doc["executions"]
        .as_array()
        .expect("executions")
        .iter()
        .filter_map(|e| e["command"].as_str())
        .collect();
    assert_eq!(ran, ["get pods -n asking"], "{doc:#}");
    assert_eq!(server.requests().len(), 2, "{doc:#}");
    assert!(
        doc["usage"]["session_total"].as_u64().unwrap_or(0) > 100,
        "{doc:#}"
    );
    // Tokens per model call, as the export has them: one entry per request the server saw,
    // adding up to the session's prompt and completion tokens.
    let per_turn: Vec<u64> = doc["usage"]["per_turn"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(per_turn.len(), server.requests().len(), "{doc:#}");
    assert_eq!(
        doc["usage"]["model_calls"],
        per_turn.len() as u64,
        "{doc:#}"
    );
    let sum = doc["usage"]["prompt_tokens"].as_u64().unwrap_or(0)
        + doc["usage"]["completion_tokens"].as_u64().unwrap_or(0);
    assert_eq!(per_turn.iter().sum::<u64>(), sum, "{doc:#}");
    // What klue observed carries the conclusion: the crash-looping pod.
    assert!(
        doc["conclusion"].to_string().contains("checkout"),
        "{doc:#}"
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
    // `script` gives klue a pseudo-terminal; the answers come through it: two queries of the
    // engineer's own at the prompt (one the policy refuses, one that runs), an edit the policy
    // refuses (said at once, the proposal is asked about again), then edit p1 into a narrower
    // query.
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
        .write_all(b":delete pod checkout -n asking\n:get events -n asking\ne\ndelete pod checkout -n asking\ne\nget pod checkout -n asking\na\na\na\na\na\na\n")
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
    // The own queries went through the policy (the delete never ran), the get ran and is
    // recorded as the engineer's, by its typed origin.
    assert!(all.contains("(:QUERY runs your own)"), "{all}");
    assert!(
        all.contains("  refused: "),
        "the refused edit is said: {all}"
    );
    // p1 was asked about again after each own query and after the refused edit.
    assert!(all.matches("[p1] get pods -n asking").count() >= 4, "{all}");
    assert!(
        all.contains("\"command\": \"get events -n asking\""),
        "{all}"
    );
    assert!(
        all.matches("\"origin\": \"engineer\"").count() >= 2,
        "{all}"
    );
    // The report follows the last prompt on the terminal.
    let doc: Value = all
        .find("\"outcome\"")
        .and_then(|at| all[..at].rfind('{'))
        .and_then(|at| {
            serde_json::Deserializer::from_str(&all[at..])
                .into_iter::<Value>()
                .next()?
                .ok()
        })
        .unwrap_or_else(|| panic!("the JSON report in:\n{all}"));
    let own: Vec<(String, String)> = doc["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .filter(|p| p["origin"] == "engineer")
        .map(|p| {
            (
                p["command"].as_str().unwrap_or_default().to_string(),
                p["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        own,
        [
            (
                "delete pod checkout -n asking".to_string(),
                "refused".to_string()
            ),
            ("get events -n asking".to_string(), "done".to_string())
        ],
        "{doc:#}"
    );
    let ran: Vec<&str> = doc["executions"]
        .as_array()
        .expect("executions")
        .iter()
        .filter_map(|x| x["command"].as_str())
        .collect();
    assert!(!ran.iter().any(|c| c.starts_with("delete")), "{ran:?}");
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
    assert_eq!(doc["ended"], "cluster_unusable", "{doc:#}");
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

#[path = "../support/raw_names.rs"]
mod raw_names;

/// The scripted investigation with every hypothesis state and the given confidence.
fn script_with(confidence: &str) -> Vec<Reply> {
    let hypothesis = |id: &str, status: &str| {
        call(
            "record_hypothesis",
            json!({"id": id, "statement": format!("checkout {id} is {status}"), "status": status}),
        )
    };
    vec![
        Reply::tools(
            "Let me check the pods in asking.",
            vec![
                hypothesis("h1", "open"),
                hypothesis("h2", "supported"),
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
            vec![
                hypothesis("h3", "refuted"),
                hypothesis("h4", "confirmed"),
                call(
                    "conclude",
                    json!({
                        "root_cause": "checkout exits with code 1 on start (CrashLoopBackOff)",
                        "evidence": [{"text": "checkout restarted 9 times", "executions": []}],
                        "confidence": confidence,
                        "remediation": "read the previous logs of checkout and fix its configuration"
                    }),
                ),
            ],
        ),
    ]
}

/// `ask`'s text and JSON reports say every state in words, never as its Debug name
/// (`[Open]`, `(High confidence`): hypotheses of every status, each confidence, a run that
/// concluded and one that did not.
#[tokio::test]
async fn reports_never_show_an_enum_name_raw() {
    let Some(env) = seeded().await else { return };
    let runs: Vec<(&str, &[&str])> = vec![
        ("low", &["--approve", "all-read-only"]),
        ("medium", &["--approve", "all-read-only"]),
        ("high", &["--approve", "all-read-only"]),
        ("high", &["--approve", "none"]),
    ];
    for (confidence, approve) in runs {
        for json in [false, true] {
            let server = OpenAiServer::start(script_with(confidence)).await;
            let home = tempfile::tempdir().expect("tempdir");
            let mut args: Vec<&str> = approve.to_vec();
            if json {
                args.extend(["--output", "json"]);
            }
            args.push("checkout keeps crashing");
            let out = run(klue(env, &server, &args, home.path())).await;
            let stdout = text(&out.stdout);
            let stderr = text(&out.stderr);
            let what = format!("{confidence} {approve:?} json={json}");
            let concluded = approve[1] != "none";
            assert_eq!(
                out.status.code(),
                Some(if concluded { 0 } else { 2 }),
                "{what}: {stderr}\n{stdout}"
            );
            if json {
                let doc: Value = serde_json::from_str(&stdout).expect("one JSON document");
                if let Some((name, words)) = raw_names::find_in_json(&doc) {
                    panic!("{what}: {name} raw in ask's JSON: {words}\n{doc:#}");
                }
                // A command the policy refused is never offered for pasting.
                for p in doc["proposals"].as_array().expect("proposals") {
                    if p["status"] == "refused" {
                        assert!(p["paste"].is_null(), "{what}: {p:#}");
                    } else {
                        assert!(
                            p["paste"]
                                .as_str()
                                .is_some_and(|c| c.starts_with("kubectl ")),
                            "{what}: {p:#}"
                        );
                    }
                }
                if concluded {
                    let statuses: Vec<&str> = doc["hypotheses"]
                        .as_array()
                        .expect("hypotheses")
                        .iter()
                        .filter(|h| {
                            h["id"]
                                .as_str()
                                .is_some_and(|id| ["h1", "h2", "h3", "h4"].contains(&id))
                        })
                        .filter_map(|h| h["status"].as_str())
                        .collect();
                    assert_eq!(
                        statuses,
                        ["open", "supported", "refuted", "confirmed"],
                        "{what}: {doc:#}"
                    );
                }
            } else {
                for (place, s) in [("text", &stdout), ("stderr", &stderr)] {
                    if let Some((name, line)) = raw_names::find(s) {
                        panic!("{what}: {name} raw in ask's {place}: {line}\n{s}");
                    }
                }
                if concluded {
                    assert!(stdout.contains("confidence: "), "{what}: {stdout}");
                    for status in ["open", "supported", "refuted", "confirmed"] {
                        assert!(stdout.contains(status), "{what}: {status}\n{stdout}");
                    }
                }
            }
        }
    }
}
