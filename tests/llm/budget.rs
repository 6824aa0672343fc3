//! Token budget benchmark: for every failure scenario of tests/fixtures/scenarios, a scripted
//! investigation (the queries a model typically asks: pods, events, describe and YAML of the
//! failing object, the failing pod's logs) runs through the real session loop and executor on
//! the real apiserver. It prints, per scenario and in total, the tokens of the outputs the
//! model got (condensed) against the full outputs (raw), and the tokens of every request the
//! model server received against the same requests carrying raw outputs. It asserts the
//! target (condensed ≤ 1/3 of raw) and that every fact the scenario's conclusion needs that
//! the raw outputs hold is still in the condensed copy.
//!
//! The fixtures are minimal, so the cluster gets what a real one has around them: a busy
//! namespace of 120 healthy pods with normal events (seen by the first, broad `get pods -A`),
//! and crashed containers whose previous log is 300+ lines of start-up chatter, repeated
//! health checks and retries before the fatal line (which becomes one more required fact).
//!
//! Run: `cargo test --test llm token_budget -- --nocapture`

use klue::planner::llm::LlmPlanner;
use klue::protocol::{Event, Execution};
use klue::session::ApprovalPolicy;
use klue::tokens;
use serde_json::json;

use crate::fixtures;
use crate::openai::{OpenAiServer, Reply, call};
use crate::planner::settings;
use crate::scenario;
use crate::support;

/// Lowercase CLI noun of a kind.
fn noun(kind: &str) -> String {
    kind.to_ascii_lowercase()
}

fn cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Node"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "PersistentVolume"
    )
}

/// The full name of the first object of `kind` whose name starts with `prefix`.
async fn full_name(
    executor: &klue::exec::Executor,
    kind: &str,
    ns: &str,
    prefix: &str,
) -> Option<String> {
    let cmd = if cluster_scoped(kind) {
        format!("get {} -o name", noun(kind))
    } else {
        format!("get {} -n {ns} -o name", noun(kind))
    };
    let q = klue::query::parse(&cmd).ok()?;
    let out = executor.run(&q).await.ok()?;
    out.text
        .lines()
        .filter_map(|l| l.split_once('/').map(|(_, n)| n.trim().to_string()))
        .find(|n| n.starts_with(prefix))
}

/// Pods of the namespace: name, and the first container that restarted (if any).
async fn pods(executor: &klue::exec::Executor, ns: &str) -> Vec<(String, Option<String>)> {
    let Ok(q) = klue::query::parse(&format!("get pods -n {ns} -o json")) else {
        return Vec::new();
    };
    let Ok(out) = executor.run(&q).await else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&out.text).unwrap_or_default();
    // The pods an investigator reads first: restarted ones, then those not ready, then the
    // rest (a healthy pod's noise is not what a model is sent about a failing rollout).
    let mut pods: Vec<(u8, String, Option<String>)> = v["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let name = p["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let statuses = p["status"]["containerStatuses"].as_array();
            let restarted = statuses.and_then(|cs| {
                cs.iter()
                    .find(|c| c["restartCount"].as_u64().unwrap_or(0) > 0)
                    .and_then(|c| c["name"].as_str())
                    .map(str::to_string)
            });
            let not_ready = statuses.is_none_or(|cs| cs.iter().any(|c| c["ready"] != true));
            let order = match (&restarted, not_ready) {
                (Some(_), _) => 0,
                (None, true) => 1,
                (None, false) => 2,
            };
            (order, name, restarted)
        })
        .collect();
    pods.sort_by_key(|(o, _, _)| *o);
    pods.into_iter().map(|(_, n, r)| (n, r)).collect()
}

/// A namespace of healthy pods and normal events, as real clusters have around a failure.
fn busy_namespace() -> String {
    let mut docs =
        vec!["apiVersion: v1\nkind: Namespace\nmetadata: {name: llm-busy}\n".to_string()];
    for i in 0..120 {
        docs.push(format!(
            r#"apiVersion: v1
kind: Pod
metadata: {{name: web-{i:03}-7c9d8f6b5-q{i:03}x, namespace: llm-busy, labels: {{app: web}}}}
spec:
  nodeName: llm-node-1
  containers: [{{name: web, image: "shop/web:3.1.{}"}}]
status:
  phase: Running
  startTime: "${{NOW-3d}}"
  conditions: [{{type: Ready, status: "True", lastTransitionTime: "${{NOW-3d}}"}}]
  containerStatuses:
  - {{name: web, image: "shop/web:3.1.{}", imageID: "", ready: true, restartCount: 0, state: {{running: {{startedAt: "${{NOW-3d}}"}}}}}}
"#,
            i % 4,
            i % 4
        ));
    }
    for i in 0..40 {
        let reason = ["Scheduled", "Pulled", "Created", "Started"][i % 4];
        docs.push(format!(
            r#"apiVersion: v1
kind: Event
metadata: {{name: web-{i:03}.normal, namespace: llm-busy}}
involvedObject: {{kind: Pod, name: web-{i:03}-7c9d8f6b5-q{i:03}x, namespace: llm-busy}}
reason: {reason}
type: Normal
message: "{reason} container web"
count: 1
firstTimestamp: "${{NOW-50m}}"
lastTimestamp: "${{NOW-50m}}"
source: {{component: kubelet, host: llm-node-1}}
"#
        ));
    }
    docs.join("---\n")
}

fn seed_noise(env: &'static support::TestEnv) {
    static SEEDED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    if let Err(e) = SEEDED.get_or_init(|| {
        support::run_isolated(
            async move { support::apply(env, &busy_namespace()).await.map(|_| ()) },
        )
    }) {
        panic!("seeding the busy namespace: {e}");
    }
}

/// A crashed container's previous log: chatter, repeats and retries, then the fatal line.
fn crash_log(fatal: &str) -> String {
    let mut s = String::new();
    let mut t = 0;
    let mut line = |s: &mut String, text: &str| {
        s.push_str(&format!(
            "2026-11-25T10:{:02}:{:02}.000000000Z {text}\n",
            (t / 60) % 60,
            t % 60
        ));
        t += 1;
    };
    line(&mut s, "INFO starting service version=1.4.2 commit=9f8e7d6");
    for i in 0..120 {
        line(
            &mut s,
            &format!("INFO loaded route /api/v1/items/{i} handler=items.get"),
        );
    }
    for i in 0..60 {
        line(
            &mut s,
            &format!("DEBUG cache warm-up shard={i} entries={}", 1000 + i * 7),
        );
    }
    for _ in 0..100 {
        line(&mut s, "INFO health check ok");
    }
    for i in 0..5 {
        line(
            &mut s,
            &format!("WARN dependency not ready yet, retry {i}/5 in 2s"),
        );
    }
    line(&mut s, &format!("FATAL {fatal}"));
    s
}

struct Figures {
    name: String,
    raw_outputs: usize,
    condensed_outputs: usize,
    sent: usize,
    sent_if_raw: usize,
    facts: usize,
    facts_in_raw: usize,
    lost: Vec<String>,
}

#[tokio::test]
async fn token_budget_condensed_vs_raw() {
    let env = support::testenv!();
    scenario::seed_shop(env);
    fixtures::load(env);
    seed_noise(env);
    let stub = support::kubelet();
    let mut all = Vec::new();
    for s in fixtures::all().into_iter().filter(|s| !s.healthy) {
        let ns = s.namespace.clone();
        let executor = scenario::executor(env).await;
        // A question about one workload's health is asked in its namespace (across all of
        // them, its healthy rows are summarised among the other normal ones, by design).
        let asks_health = s.expect.verdict.as_deref() == Some("healthy");
        let overview = if asks_health {
            format!("get pods -n {ns}")
        } else {
            "get pods -A".to_string()
        };
        let mut queries = vec![overview, format!("get events -n {ns}")];
        let mut facts: Vec<String> = s.expect.cause.clone();
        if let Some(e) = s.expect.scan.first()
            && let Some(name) = full_name(&executor, &e.kind, &ns, &e.name).await
        {
            let scope = if cluster_scoped(&e.kind) {
                String::new()
            } else {
                format!(" -n {ns}")
            };
            queries.push(format!("describe {} {name}{scope}", noun(&e.kind)));
            queries.push(format!("get {} {name}{scope} -o yaml", noun(&e.kind)));
        }
        for (pod, restarted) in pods(&executor, &ns).await.into_iter().take(2) {
            if let Some(container) = restarted {
                let fatal = format!("{} ({pod})", s.description);
                stub.set(
                    &ns,
                    &pod,
                    &container,
                    "2026-11-25T10:30:00.000000000Z INFO starting service version=1.4.2\n",
                    Some(&crash_log(&fatal)),
                );
                facts.push(fatal);
                queries.push(format!("logs {pod} -n {ns} -c {container} --previous"));
            } else {
                queries.push(format!("logs {pod} -n {ns} --tail=100"));
            }
        }
        let first: Vec<_> = queries[..2]
            .iter()
            .map(|q| {
                call(
                    "propose_query",
                    json!({"command": q, "reason": "overview", "hypothesis": "h1"}),
                )
            })
            .collect();
        let second: Vec<_> = queries[2..]
            .iter()
            .map(|q| {
                call(
                    "propose_query",
                    json!({"command": q, "reason": "details", "hypothesis": "h1"}),
                )
            })
            .collect();
        let mut script = vec![Reply::tools("Looking around.", first)];
        if !second.is_empty() {
            script.push(Reply::tools("Looking closer.", second));
        }
        script.push(Reply::tools(
            "",
            vec![call(
                "conclude",
                json!({"root_cause": s.expect.cause.join(", "), "evidence": [], "confidence": "medium", "remediation": "n/a"}),
            )],
        ));
        let server = OpenAiServer::start(script).await;
        let planner = LlmPlanner::new(settings(&server)).unwrap();
        let events = scenario::run_session(
            planner,
            executor,
            ApprovalPolicy::AllReadOnly,
            &s.symptom,
            scenario::approve_all(),
        )
        .await;
        let execs: Vec<&Execution> = events
            .iter()
            .filter_map(|e| match e {
                Event::ExecFinished(x) => Some(x),
                _ => None,
            })
            .collect();
        let raw_outputs: usize = execs.iter().map(|x| tokens::count(&x.output)).sum();
        let condensed_outputs: usize = execs.iter().map(|x| tokens::count(&x.condensed)).sum();
        // Every request as sent, and as it would have been with raw outputs.
        let mut sent = 0;
        let mut sent_if_raw = 0;
        for r in server.requests() {
            let t = tokens::count(&r.body["messages"].to_string());
            sent += t;
            let mut delta: isize = 0;
            for res in r.tool_results() {
                let Some(out) = res["output"].as_str() else {
                    continue;
                };
                if let Some(x) = execs
                    .iter()
                    .find(|x| Some(x.command.as_str()) == res["command"].as_str())
                {
                    delta += tokens::count(&serde_json::to_string(&x.output).unwrap_or_default())
                        as isize
                        - tokens::count(&serde_json::to_string(out).unwrap_or_default()) as isize;
                }
            }
            sent_if_raw += (t as isize + delta).max(0) as usize;
        }
        let raw_text = execs
            .iter()
            .map(|x| x.output.to_lowercase())
            .collect::<Vec<_>>()
            .join("\n");
        let condensed_text = execs
            .iter()
            .map(|x| x.condensed.to_lowercase())
            .collect::<Vec<_>>()
            .join("\n");
        let mut facts_in_raw = 0;
        let mut lost = Vec::new();
        for f in &facts {
            let f = f.to_lowercase();
            if raw_text.contains(&f) {
                facts_in_raw += 1;
                if !condensed_text.contains(&f) {
                    lost.push(f);
                }
            }
        }
        all.push(Figures {
            name: s.name.clone(),
            raw_outputs,
            condensed_outputs,
            sent,
            sent_if_raw,
            facts: facts.len(),
            facts_in_raw,
            lost,
        });
    }

    println!(
        "\n{:<28} {:>8} {:>10} {:>6} {:>9} {:>12} {:>6}  facts(in raw/all)",
        "scenario", "raw out", "condensed", "ratio", "sent", "sent if raw", "ratio"
    );
    let (mut raw, mut cond, mut sent, mut sent_raw) = (0, 0, 0, 0);
    for f in &all {
        println!(
            "{:<28} {:>8} {:>10} {:>6.2} {:>9} {:>12} {:>6.2}  {}/{}{}",
            f.name,
            f.raw_outputs,
            f.condensed_outputs,
            f.condensed_outputs as f64 / f.raw_outputs.max(1) as f64,
            f.sent,
            f.sent_if_raw,
            f.sent as f64 / f.sent_if_raw.max(1) as f64,
            f.facts_in_raw,
            f.facts,
            if f.lost.is_empty() {
                String::new()
            } else {
                format!("  LOST {:?}", f.lost)
            }
        );
        raw += f.raw_outputs;
        cond += f.condensed_outputs;
        sent += f.sent;
        sent_raw += f.sent_if_raw;
    }
    let ratio = cond as f64 / raw.max(1) as f64;
    println!(
        "{:<28} {:>8} {:>10} {:>6.2} {:>9} {:>12} {:>6.2}",
        "TOTAL",
        raw,
        cond,
        ratio,
        sent,
        sent_raw,
        sent as f64 / sent_raw.max(1) as f64
    );
    println!(
        "per investigation: {:.0} tokens sent (condensed) vs {:.0} (raw outputs), over {} scenarios",
        sent as f64 / all.len().max(1) as f64,
        sent_raw as f64 / all.len().max(1) as f64,
        all.len()
    );

    assert!(all.len() >= 20, "only {} scenarios ran", all.len());
    let lost: Vec<String> = all
        .iter()
        .filter(|f| !f.lost.is_empty())
        .map(|f| format!("{}: {:?}", f.name, f.lost))
        .collect();
    assert!(
        lost.is_empty(),
        "facts lost by condensing:\n{}",
        lost.join("\n")
    );
    let reached: usize = all.iter().map(|f| f.facts_in_raw).sum();
    let facts: usize = all.iter().map(|f| f.facts).sum();
    assert!(
        reached * 10 >= facts * 8,
        "the scripted queries reach only {reached} of {facts} facts"
    );
    assert!(
        ratio <= 1.0 / 3.0,
        "condensed outputs are {ratio:.2} of raw (target ≤ 0.33)"
    );
}
