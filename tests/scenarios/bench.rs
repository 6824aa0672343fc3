//! Benchmarks (ignored; run with
//! `cargo test --release --test scenarios bench_ -- --ignored --nocapture`):
//! scan time and queries-to-diagnosis across the scenarios, the offline planner's diagnosis
//! rate (all scenarios, those it was tuned on, the held-out ones), and `scan` of a 5,000-pod
//! cluster.

use std::time::Instant;

use futures::{StreamExt, stream};
use klue::analyze::{self, fetch};
use serde_json::json;

use crate::fixtures;
use crate::planner::{diagnosed, investigate_scenario};
use crate::support::{self, User};

#[tokio::test]
#[ignore = "benchmark"]
async fn bench_scenarios_scan_and_queries_to_diagnosis() {
    let env = support::testenv!();
    support::install_crypto_provider();
    fixtures::load(env);
    let client = env.client(User::Admin).await;
    let scenarios = fixtures::all();
    let started = Instant::now();
    let mut slowest = (0.0f64, String::new());
    for s in &scenarios {
        let t = Instant::now();
        let opts = fetch::FetchOptions {
            namespace: Some(s.namespace.clone()),
            ..Default::default()
        };
        let v = fetch::fetch_view(&client, &opts).await.expect("fetch");
        let _ = analyze::analyze(&v.view);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if ms > slowest.0 {
            slowest = (ms, s.name.clone());
        }
    }
    let total = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "scan: {} namespaces in {total:.0} ms ({:.1} ms per namespace; slowest {} at {:.1} ms)",
        scenarios.len(),
        total / scenarios.len() as f64,
        slowest.1,
        slowest.0
    );
    let t = Instant::now();
    let v = fetch::fetch_view(&client, &fetch::FetchOptions::default())
        .await
        .expect("fetch all");
    let f = analyze::analyze(&v.view);
    println!(
        "scan -A: {} objects, {} findings in {:.0} ms",
        v.view.len(),
        f.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let mut counts = Vec::new();
    for s in scenarios.iter().filter(|s| !s.healthy) {
        let d = investigate_scenario(env, s).await;
        counts.push((d.queries, s.name.clone(), d.conclusion.is_some()));
    }
    counts.sort();
    let n = counts.len() as f64;
    let sum: usize = counts.iter().map(|c| c.0).sum();
    println!(
        "queries to diagnosis: mean {:.1}, median {}, min {} ({}), max {} ({}), concluded {}/{}",
        sum as f64 / n,
        counts[counts.len() / 2].0,
        counts[0].0,
        counts[0].1,
        counts[counts.len() - 1].0,
        counts[counts.len() - 1].1,
        counts.iter().filter(|c| c.2).count(),
        counts.len()
    );
}

/// One row of the diagnosis benchmark.
struct Run {
    name: String,
    heldout: bool,
    ok: bool,
    /// Also passes the stricter reading (the cause's words in a problem's cause line).
    strict: bool,
    queries: usize,
    wall_ms: f64,
}

fn median<T: Copy + PartialOrd>(mut v: Vec<T>) -> Option<T> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied()
}

fn summary(label: &str, runs: &[&Run]) {
    let n = runs.len();
    let ok = runs.iter().filter(|r| r.ok).count();
    let q = median(runs.iter().filter(|r| r.ok).map(|r| r.queries).collect()).unwrap_or(0);
    let t = median(runs.iter().map(|r| r.wall_ms).collect()).unwrap_or(0.0);
    let strict = runs.iter().filter(|r| r.ok && r.strict).count();
    let pct = |k: usize| {
        if n == 0 {
            0.0
        } else {
            100.0 * k as f64 / n as f64
        }
    };
    println!(
        "{label:<9} {ok:>3}/{n:<3} diagnosed ({:>5.1}%)   median queries to diagnosis {q:>2}   median wall time {t:>6.1} ms   strict {strict}/{n} ({:.1}%)",
        pct(ok),
        pct(strict)
    );
}

/// The offline planner over every scenario (auto-approve, real apiserver): diagnosis rate,
/// median queries to diagnosis, median wall time per investigation; tuned and held-out
/// scenarios side by side. Targets: >= 90% on held-out, median <= 8 queries, median < 1 s.
#[tokio::test]
#[ignore = "benchmark"]
async fn bench_offline_diagnosis_rate() {
    let env = support::testenv!();
    support::install_crypto_provider();
    fixtures::load(env);
    let mut runs = Vec::new();
    let dump = std::env::var_os("KLUE_SCENARIO_DUMP").is_some();
    for s in fixtures::selected() {
        let d = investigate_scenario(env, &s).await;
        runs.push(Run {
            name: s.name.clone(),
            heldout: s.heldout,
            ok: diagnosed(&s, &d),
            strict: d
                .conclusion
                .as_ref()
                .is_some_and(|c| fixtures::strict(&s, c).is_empty()),
            queries: d.queries,
            wall_ms: d.wall.as_secs_f64() * 1000.0,
        });
        if dump {
            eprintln!(
                "== {} [{} queries, {:.0} ms] {:?}\n   problems: {:?}\n   strict: {:?}",
                s.name,
                d.queries,
                d.wall.as_secs_f64() * 1000.0,
                d.commands,
                crate::planner::check(&s, &d),
                d.conclusion
                    .as_ref()
                    .map(|c| fixtures::strict(&s, c))
                    .unwrap_or_default()
            );
            for (cmd, reason) in &d.proposals {
                eprintln!("   > {cmd}  ({reason})");
            }
            if let Some(c) = &d.conclusion {
                for r in c.outline() {
                    eprintln!("   | {}{}", "  ".repeat(usize::from(r.depth)), r.text);
                }
                for n in &c.notes {
                    eprintln!("   note: {n}");
                }
            }
        }
    }
    println!(
        "offline planner, auto-approve, {} scenarios (targets: >= 90% held-out, median <= 8 queries, median < 1000 ms)",
        runs.len()
    );
    summary("all", &runs.iter().collect::<Vec<_>>());
    summary(
        "tuned",
        &runs.iter().filter(|r| !r.heldout).collect::<Vec<_>>(),
    );
    summary(
        "held-out",
        &runs.iter().filter(|r| r.heldout).collect::<Vec<_>>(),
    );
    let missed: Vec<String> = runs
        .iter()
        .filter(|r| !r.ok)
        .map(|r| format!("{}{}", r.name, if r.heldout { " (held-out)" } else { "" }))
        .collect();
    if !missed.is_empty() {
        println!("not diagnosed: {}", missed.join(", "));
    }
    let loose: Vec<&str> = runs
        .iter()
        .filter(|r| r.ok && !r.strict)
        .map(|r| r.name.as_str())
        .collect();
    if !loose.is_empty() {
        println!(
            "diagnosed only loosely (the cause's words not in a problem's cause): {}",
            loose.join(", ")
        );
    }
}

#[test]
#[ignore = "benchmark"]
fn bench_scan_5000_pods() {
    if !support::available() {
        return;
    }
    support::install_crypto_provider();
    let env: &'static support::TestEnv = Box::leak(Box::new(
        support::TestEnv::start().expect("private control plane"),
    ));
    let seeded = Instant::now();
    support::run_isolated(async move {
        let admin = env.client(User::Admin).await;
        let ns: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(admin.clone());
        ns.create(&Default::default(), &serde_json::from_value(json!({"metadata": {"name": "big"}})).map_err(|e| e.to_string())?)
            .await
            .map_err(|e| e.to_string())?;
        let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(admin.clone(), "big");
        let results: Vec<Result<(), String>> = stream::iter(0..5000)
            .map(|i| {
                let pods = pods.clone();
                async move {
                    let crash = i % 100 == 0;
                    let pod = json!({
                        "metadata": {"name": format!("web-{i:05}"), "labels": {"app": format!("web-{}", i % 50)}},
                        "spec": {"nodeName": "node-a", "containers": [{"name": "web", "image": "registry.example.com/web:1.0", "ports": [{"containerPort": 8080}],
                                 "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}}}]},
                    });
                    let pod = serde_json::from_value(pod).map_err(|e| e.to_string())?;
                    pods.create(&Default::default(), &pod).await.map_err(|e| e.to_string())?;
                    let state = if crash {
                        json!({"waiting": {"reason": "CrashLoopBackOff"}})
                    } else {
                        json!({"running": {"startedAt": "2026-01-01T00:00:00Z"}})
                    };
                    let status = json!({"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if crash { "False" } else { "True" }}],
                        "containerStatuses": [{"name": "web", "image": "registry.example.com/web:1.0", "imageID": "", "ready": !crash, "restartCount": if crash { 7 } else { 0 },
                        "state": state, "lastState": if crash { json!({"terminated": {"exitCode": 1, "reason": "Error"}}) } else { json!({}) }}]}});
                    pods.patch_status(&format!("web-{i:05}"), &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&status))
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(())
                }
            })
            .buffer_unordered(32)
            .collect()
            .await;
        results.into_iter().collect::<Result<Vec<_>, _>>().map(|_| ())
    })
    .expect("seed 5000 pods");
    println!(
        "seeded 5000 pods in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let figures = rt
        .block_on(async move {
            let client = env.client(User::Viewer).await;
            let mut times = Vec::new();
            let mut found = 0;
            for _ in 0..3 {
                let t = Instant::now();
                let opts = fetch::FetchOptions {
                    logs: false,
                    ..Default::default()
                };
                let v = fetch::fetch_view(&client, &opts)
                    .await
                    .map_err(|e| e.to_string())?;
                let f = analyze::analyze(&v.view);
                found = f.iter().filter(|f| f.analyzer == "crashloop").count();
                times.push(t.elapsed().as_secs_f64());
            }
            Ok::<_, String>((times, found))
        })
        .expect("scan");
    let (times, found) = figures;
    println!(
        "scan -A of 5,000 pods: {:?} s (best {:.2} s); {found} crashloop findings (50 crashing pods in 50 workloads of 100 pods... grouped by owner when owned)",
        times.iter().map(|t| format!("{t:.2}")).collect::<Vec<_>>(),
        times.iter().cloned().fold(f64::MAX, f64::min)
    );
}
