//! The LLM planner against a real local model server: llama.cpp's OpenAI-compatible server
//! with SmolLM2-135M-Instruct (tests/support/llama.rs), provisioned by
//! scripts/provision-llm.sh. A 135M model's judgement is poor, which is the point: klue with
//! it must diagnose at least what klue without it does, and end every session in a
//! conclusion or an explicit inconclusive, never an error.
//!
//! The comparison over every scenario fixture is a benchmark, run explicitly:
//! `cargo test --release --test llm real::benchmark -- --ignored --nocapture --test-threads 1`

use std::sync::Arc;
use std::time::{Duration, Instant};

use klue::cluster::{Cluster, ConnectOptions};
use klue::config::LlmSettings;
use klue::exec::Executor;
use klue::planner::grounded::GroundedPlanner;
use klue::planner::llm::{LlmPlanner, Rung};
use klue::planner::offline::OfflinePlanner;
use klue::planner::{Action, Outcome, Planner, TranscriptEntry};
use klue::protocol::{Conclusion, Event, Op, PlannerInfo, SessionInfo};
use klue::session::{self, ApprovalPolicy, SessionConfig};

use crate::fixtures::{self, Scenario};
use crate::planner::{step, symptom};
use crate::support::{self, User, llama};

/// The local server answers one request at a time (one slot, 2 cores): tests that share it
/// run one after another, so a test's request never waits behind another's and no test
/// reads a timeout or a queue as the server's behaviour.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Settings for the local server: deterministic, patient, and a context budget well inside
/// its 8192-token window (a 135M model reads little of a long prompt, and on 2 cores every
/// prompt token costs time).
fn real_settings(server: &llama::LlamaServer, cache: &std::path::Path) -> LlmSettings {
    let mut s = LlmSettings::new(server.base_url(), llama::MODEL);
    s.temperature = Some(0.0);
    s.read_timeout = Duration::from_secs(300);
    s.connect_timeout = Duration::from_secs(5);
    s.context_tokens = 4_000;
    s.capability_cache = Some(cache.join("endpoints.json"));
    s
}

#[tokio::test]
async fn real_server_streamed_tools_fall_back_to_whole_replies() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(server) = llama::shared() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let mut planner = LlmPlanner::new(real_settings(server, cache.path())).unwrap();
    let (r, _) = step(
        &mut planner,
        &symptom("the checkout pods in namespace shop crash"),
    )
    .await;
    let notices = planner.take_notices();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("closed the stream before the answer completed")),
        "{notices:#?}\n{r:?}\nserver log:\n{}",
        server.log_tail()
    );
    assert!(
        notices.iter().all(|n| !n.contains("is it running")),
        "{notices:#?}"
    );
    assert!(planner.capabilities().no_stream_with_tools);
    assert_ne!(planner.rung(), Rung::StreamedTools);
    // The same turn went on unstreamed: the model answered (well-formed, whatever it says),
    // or its answer was unusable and klue says exactly why.
    if let Err(e) = &r {
        assert!(e.contains("could not be used"), "{e}");
    }
    let text = std::fs::read_to_string(cache.path().join("endpoints.json")).unwrap();
    assert!(text.contains("\"no_stream_with_tools\": true"), "{text}");
}

/// A turn after tool calls: the history holds an assistant message with tool calls and no
/// text, and the tool's result. llama.cpp renders its chat template strictly, so an assistant
/// message without `content` failed every later request with a 500 and left the model one
/// turn per session.
#[tokio::test]
async fn real_server_answers_a_turn_after_tool_calls() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(server) = llama::shared() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let mut planner = LlmPlanner::new(real_settings(server, cache.path())).unwrap();
    let mut t = symptom("the checkout pods in namespace shop crash");
    t.entries.push(TranscriptEntry::Assistant {
        text: String::new(),
        actions: vec![Action::Propose {
            call_id: "call_1".into(),
            command: "get pods -n shop".into(),
            reason: "pod states".into(),
            hypothesis: "checkout crash-loops".into(),
        }],
        origin: klue::protocol::ProposalOrigin::Planner,
    });
    t.entries.push(TranscriptEntry::Result {
        call_id: "call_1".into(),
        outcome: Outcome::Executed {
            command: "get pods -n shop".into(),
            condensed:
                "NAME READY STATUS RESTARTS AGE\ncheckout-7d9f8-x2k9p 0/1 CrashLoopBackOff 14 1h\n"
                    .into(),
            output: String::new(),
            error: None,
            objects: Vec::new(),
        },
    });
    let (r, _) = step(&mut planner, &t).await;
    if let Err(e) = &r {
        // The model's answer may be unusable (a 135M model); the server must answer.
        assert!(
            e.contains("could not be used") && !e.contains("500"),
            "{e}\nserver log:\n{}",
            server.log_tail()
        );
    }
    let log = std::fs::read_to_string(&server.log).unwrap_or_default();
    assert!(
        !log.contains("has no attribute 'content'"),
        "{}",
        server.log_tail()
    );
}

/// What one investigation produced.
#[derive(Debug, Default)]
struct Run {
    conclusion: Option<Conclusion>,
    queries: usize,
    tokens: u64,
    offline_steps: usize,
    notices: Vec<String>,
    errors: Vec<String>,
    ended: Option<klue::protocol::EndReason>,
    secs: f64,
}

impl Run {
    /// What this run gets wrong for the scenario, by the scenario tests' own judge.
    fn misses(&self, s: &Scenario) -> Vec<String> {
        match &self.conclusion {
            Some(c) => fixtures::judge(s, c),
            None => vec![format!("{}: no conclusion", s.name)],
        }
    }
}

/// A conclusion as the engineer reads it.
fn outline(c: &Conclusion) -> String {
    c.outline()
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn investigate(
    env: &support::TestEnv,
    s: &Scenario,
    planner: Box<dyn Planner>,
    hints: bool,
) -> Run {
    let started = Instant::now();
    let cluster = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(env.kubeconfig(User::Admin).to_path_buf()),
        // The session's namespace, as the scenario tests run it (the kubeconfig's unless
        // the scenario says).
        namespace: s.scope.clone(),
        ..Default::default()
    })
    .await
    .expect("connect");
    let mut config = SessionConfig::new(SessionInfo {
        session_id: format!("bench-{}", s.name),
        context: cluster.info.context.clone(),
        namespace: Some(cluster.info.namespace.clone()),
        server: cluster.info.server.clone(),
        planner: PlannerInfo {
            kind: klue::protocol::PlannerKind::Offline,
            model: None,
            endpoint: None,
        },
        recording: None,
    });
    config.approval = ApprovalPolicy::AllReadOnly;
    if hints {
        // The model's copy of the outputs, small (klue's own checks read the whole outputs
        // and the objects; the model's requests fit its 4,000 tokens).
        config.limits = klue::condense::Limits { per_output: 500 };
        // As `klue ask` does for a model.
        config.hints = klue::analyze::fetch::hints_for(
            &cluster.client,
            Some(&cluster.info.namespace),
            Duration::from_secs(5),
        )
        .await;
    }
    let executor = Executor::new(cluster).with_table_objects(true);
    let mut handle = session::spawn(planner, Arc::new(executor), config);
    handle
        .ops
        .send(Op::UserMessage {
            text: s.symptom.clone(),
        })
        .expect("send the symptom");
    let mut run = Run::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(900);
    let mut waits = 0;
    loop {
        let ev = match tokio::time::timeout_at(deadline, handle.events.recv()).await {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(_) => {
                run.errors.push("timed out after 900 s".into());
                break;
            }
        };
        match ev {
            Event::ExecFinished(_) => run.queries += 1,
            Event::Usage(u) => run.tokens = u.session_total,
            Event::Notice { text } => run.notices.push(text),
            Event::AssistantMessage {
                origin: klue::protocol::ProposalOrigin::OfflineStep,
                ..
            } => run.offline_steps += 1,
            Event::Error { message, .. } => run.errors.push(message),
            Event::Concluded(c) => {
                run.conclusion = Some(c);
                break;
            }
            Event::AwaitingInput => {
                waits += 1;
                if waits > 1 {
                    break;
                }
            }
            Event::SessionEnded { reason } => {
                run.ended = Some(reason);
                break;
            }
            _ => {}
        }
    }
    let _ = handle.ops.send(Op::End {
        reason: klue::protocol::EndReason::Engineer,
    });
    run.secs = started.elapsed().as_secs_f64();
    run
}

fn grounded(server: &llama::LlamaServer, cache: &std::path::Path) -> Box<dyn Planner> {
    Box::new(GroundedPlanner::new(Box::new(
        LlmPlanner::new(real_settings(server, cache)).unwrap(),
    )))
}

/// Compare LLM mode and the offline planner on `scenarios`; returns the report and the
/// problems found.
async fn compare(
    env: &'static support::TestEnv,
    server: &llama::LlamaServer,
    scenarios: &[Scenario],
) -> (String, Vec<String>) {
    let cache = tempfile::tempdir().unwrap();
    let mut report = format!(
        "{:<28} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7}\n",
        "scenario", "offline", "llm", "queries", "offline", "tokens", "secs"
    );
    report.push_str(&format!(
        "{:<28} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7}\n",
        "", "", "+klue", "llm", "steps", "llm", "llm"
    ));
    let mut problems = Vec::new();
    let (mut off_ok, mut llm_ok, mut tokens, mut secs) = (0, 0, 0u64, 0.0);
    for s in scenarios {
        let offline = investigate(env, s, Box::new(OfflinePlanner::new()), false).await;
        let llm = investigate(env, s, grounded(server, cache.path()), true).await;
        let (o, l) = (offline.misses(s).is_empty(), llm.misses(s));
        let l_ok = l.is_empty();
        off_ok += o as usize;
        llm_ok += l_ok as usize;
        tokens += llm.tokens;
        secs += llm.secs;
        let mark = |b: bool| if b { "yes" } else { "NO" };
        let row = format!(
            "{:<28} {:>8} {:>8} {:>8} {:>8} {:>9} {:>7.1}\n",
            s.name,
            mark(o),
            mark(l_ok),
            llm.queries,
            llm.offline_steps,
            llm.tokens,
            llm.secs
        );
        // As it goes, for a long run (with the tally so far).
        eprintln!(
            "{}  [so far: offline {off_ok}, llm {llm_ok}]",
            row.trim_end()
        );
        if !l_ok {
            eprintln!(
                "    LLM mode misses: {}\n    errors {:?}\n    notices {:?}",
                l.join("; "),
                llm.errors,
                llm.notices
            );
        }
        report.push_str(&row);
        if llm.conclusion.is_none() {
            problems.push(format!(
                "{}: LLM mode ended without a conclusion ({:?}; errors {:?}; notices {:?})",
                s.name, llm.ended, llm.errors, llm.notices
            ));
        }
        if !llm.errors.is_empty() {
            problems.push(format!("{}: errors in LLM mode: {:?}", s.name, llm.errors));
        }
        if o && !l_ok {
            problems.push(format!(
                "{}: the offline planner diagnoses it, LLM mode does not ({}): {}",
                s.name,
                l.join("; "),
                llm.conclusion
                    .as_ref()
                    .map(outline)
                    .unwrap_or_else(|| "no conclusion".into())
            ));
        }
    }
    let n = scenarios.len().max(1);
    report.push_str(&format!(
        "diagnosed: offline {off_ok}/{} · LLM mode (SmolLM2-135M via llama.cpp, grounded) {llm_ok}/{} · \
         {:.0} tokens and {:.1} s per LLM investigation\n",
        scenarios.len(),
        scenarios.len(),
        tokens as f64 / n as f64,
        secs / n as f64
    ));
    (report, problems)
}

/// In CI, through the real server: a crash on a refused dependency (the chain goes from the
/// crash to the log line to the Service the log names), a bad image tag, a missing ConfigMap
/// key, and a healthy namespace (the model's claims must not make it look broken).
#[tokio::test]
async fn real_server_llm_mode_diagnoses_like_offline() {
    let env = support::testenv!();
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(server) = llama::shared() else {
        return;
    };
    fixtures::load(env);
    let pick = [
        "crashloop-dependency",
        "imagepull-bad-tag",
        "config-missing-key",
        "healthy-shop",
    ];
    let scenarios: Vec<Scenario> = fixtures::all()
        .into_iter()
        .filter(|s| pick.contains(&s.name.as_str()))
        .collect();
    assert_eq!(scenarios.len(), pick.len());
    let (report, problems) = compare(env, server, &scenarios).await;
    eprintln!("{report}");
    assert!(problems.is_empty(), "{report}\n{}", problems.join("\n"));
}

/// Every scenario fixture, LLM mode against the offline planner, side by side.
#[tokio::test]
#[ignore = "a benchmark: minutes on 2 cores; run with --ignored --nocapture --test-threads 1"]
async fn benchmark_llm_mode_vs_offline_on_every_scenario() {
    let env = support::testenv!();
    let _alone = ONE_AT_A_TIME.lock().await;
    let Some(server) = llama::shared() else {
        return;
    };
    fixtures::load(env);
    // `KLUE_BENCH_ONLY=a,b` narrows the run to those scenarios, in that order.
    let only: Vec<String> = std::env::var("KLUE_BENCH_ONLY")
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    let all = fixtures::all();
    let scenarios: Vec<Scenario> = if only.is_empty() {
        all
    } else {
        // In the order given.
        only.iter()
            .filter_map(|n| all.iter().find(|s| s.name == *n).cloned())
            .collect()
    };
    assert!(
        !scenarios.is_empty(),
        "no scenario fixture matches {only:?}"
    );
    let (report, problems) = compare(env, server, &scenarios).await;
    println!("{report}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
