//! describe, logs, events, top and rollout against a real kube-apiserver (1.20 in the test
//! control plane), compared with kubectl on the same apiserver where the two should agree.
//!
//! Known, intended differences are checked explicitly instead of compared:
//! - credential-looking env values are masked by klue (kubectl prints them);
//! - on servers without discovery.k8s.io/v1 (1.20), kubectl 1.32 shows no service endpoints
//!   and an error for ingress backends; klue reads the core Endpoints there;
//! - kubectl 1.32 cannot describe a batch/v1beta1 CronJob and falls back to the autoscaling/v1
//!   HPA layout; klue goes through discovery (v1beta1 CronJob, v2beta2 HPA);
//! - the notes kubectl writes to stderr (`Defaulted container ...`, `Found N pods, ...`)
//!   are the first lines of klue's output.

#[path = "../support/mod.rs"]
mod support;

#[path = "../cluster/run.rs"]
#[allow(dead_code)]
mod run;

use run::Outcome;
use support::User;

const CRASH: &str = "web-7c9f8d6b5-xv8rt";
const PENDING: &str = "checkout-5f6d8b7c9-l2w9z";
const MASKED: &str = "<masked: looks like a credential>";

/// Queries whose output must equal kubectl's (ages masked).
fn parity_queries() -> Vec<String> {
    vec![
        format!("describe pod {CRASH} -n shop"),
        format!("describe pod {PENDING} -n shop"),
        "describe pod redis-0 -n shop".into(),
        "describe pods -n shop -l app=web".into(),
        "describe pod web-7c9f8d6b5 -n shop".into(),
        "describe deployment web -n shop".into(),
        "describe deploy checkout -n shop".into(),
        "describe rs web-7c9f8d6b5 -n shop".into(),
        "describe statefulset redis -n shop".into(),
        "describe ds node-exporter -n monitoring".into(),
        "describe job db-migrate -n payments".into(),
        "describe node node-1".into(),
        "describe node node-2".into(),
        "describe namespace shop".into(),
        "describe endpoints web -n shop".into(),
        "describe pvc data-redis-0 -n shop".into(),
        "describe pv pv-redis-0".into(),
        "describe configmap web-config -n shop".into(),
        "describe secret db-credentials -n shop".into(),
        "describe widget gear -n shop".into(),
        "describe serviceaccount default -n shop".into(),
        "describe serviceaccount builder -n describe-extra".into(),
        "describe pdb web -n describe-extra".into(),
        "describe pod does-not-exist -n shop".into(),
        "events -n shop".into(),
        "events -A".into(),
        format!("events -n shop --for pod/{CRASH}"),
        "events -n shop --types=Warning".into(),
        "rollout status deployment/web -n shop --watch=false".into(),
        "rollout status deploy/checkout -n shop --watch=false".into(),
        "rollout status statefulset/redis -n shop --watch=false".into(),
        "rollout status daemonset/node-exporter -n monitoring --watch=false".into(),
        "rollout history deployment/web -n shop".into(),
        "rollout history deployment/web -n shop --revision=1".into(),
        format!("logs {CRASH} -n shop --tail=5"),
        format!("logs {CRASH} -n shop --previous"),
        format!("logs {CRASH} -n shop -c app --previous --tail=3 --timestamps"),
        "logs web-7c9f8d6b5-2xk4p -n shop".into(),
    ]
}

/// Queries where a line may differ by design: (query, a substring of the lines allowed to
/// differ).
fn allowed_line_differences() -> Vec<(String, &'static str)> {
    vec![
        ("describe svc web -n shop".into(), "Endpoints:"),
        ("describe ingress web -n shop".into(), "(<error:"),
    ]
}

fn klue_notes_removed(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("Defaulted container ") && !l.starts_with("Found "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Compare line by line; lines where klue masked a credential only need the same prefix.
fn same(kubectl: &str, klue: &str, allowed: Option<&str>) -> bool {
    let (k, q): (Vec<&str>, Vec<&str>) = (kubectl.lines().collect(), klue.lines().collect());
    if k.len() != q.len() {
        return false;
    }
    k.iter().zip(&q).all(|(a, b)| {
        if a == b {
            return true;
        }
        if let Some(pos) = b.find(MASKED) {
            return a.get(..pos) == b.get(..pos);
        }
        allowed.is_some_and(|s| a.contains(s) || b.contains(s))
    })
}

/// Wall time spent in kubectl processes and in klue (connect + discovery + query each time).
static KUBECTL_NANOS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static KLUE_NANOS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

async fn compare(
    kubeconfig: &std::path::Path,
    query: &str,
    allowed: Option<&str>,
) -> Option<String> {
    use std::sync::atomic::Ordering::Relaxed;
    let mut last = String::new();
    for _ in 0..3 {
        let t0 = std::time::Instant::now();
        let expected = run::kubectl(kubeconfig, None, query);
        let t1 = std::time::Instant::now();
        let actual = run::klue(kubeconfig, None, query).await;
        KUBECTL_NANOS.fetch_add((t1 - t0).as_nanos() as u64, Relaxed);
        KLUE_NANOS.fetch_add(t1.elapsed().as_nanos() as u64, Relaxed);
        let (e, a) = (
            run::mask_ages(expected.text()),
            run::mask_ages(actual.text()),
        );
        let a = if query.starts_with("logs") {
            klue_notes_removed(&a)
        } else {
            a
        };
        let kinds_match = matches!(
            (&expected, &actual),
            (Outcome::Ok(_), Outcome::Ok(_)) | (Outcome::Err(_), Outcome::Err(_))
        );
        if kinds_match && same(e.trim_end(), a.trim_end(), allowed) {
            return None;
        }
        last = format!("=== {query}\n{}", run::diff(&e, &a));
    }
    Some(last)
}

/// Kinds the standard fixture lacks.
const EXTRA: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: describe-extra}
---
apiVersion: v1
kind: Secret
metadata: {name: db-creds, namespace: describe-extra}
stringData: {password: not-for-your-eyes}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: describe-extra}
secrets: [{name: db-creds}, {name: gone}]
imagePullSecrets: [{name: regcred}]
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: web, namespace: describe-extra}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
"#;

fn set_logs() {
    let stub = support::kubelet();
    let current: String = (1..=40)
        .map(|n| {
            format!(
                "2026-11-25T10:00:{:02}.000000000Z request {n} served\n",
                n % 60
            )
        })
        .collect();
    let previous = "2026-11-25T09:59:00.000000000Z starting web\n2026-11-25T09:59:01.000000000Z connecting to redis:6379\n2026-11-25T09:59:02.000000000Z FATAL: connection refused\n2026-11-25T09:59:02.500000000Z exiting with code 1\n";
    stub.set("shop", CRASH, "app", &current, Some(previous));
    stub.set("shop", "web-7c9f8d6b5-2xk4p", "app", &current, None);
    stub.set("shop", "web-7c9f8d6b5-9qj7m", "app", &current, None);
}

#[tokio::test]
async fn describe_logs_events_rollout_match_kubectl() {
    let env = support::seeded_testenv!();
    support::install_crypto_provider();
    set_logs();
    support::apply(env, EXTRA).await.expect("extra fixture");
    let viewer = env.kubeconfig(User::Viewer).to_path_buf();
    let mut failures = Vec::new();
    let queries = parity_queries();
    for q in &queries {
        if let Some(f) = compare(&viewer, q, None).await {
            failures.push(f);
        }
    }
    for (q, allowed) in allowed_line_differences() {
        if let Some(f) = compare(&viewer, &q, Some(allowed)).await {
            failures.push(f);
        }
    }
    let ms =
        |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed) / 1_000_000;
    eprintln!(
        "describe/logs/events/rollout parity: {} queries; kubectl {} ms, klue {} ms (fresh connection and discovery per query)",
        queries.len() + 2,
        ms(&KUBECTL_NANOS),
        ms(&KLUE_NANOS)
    );
    let report = failures.join("\n");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("describe-parity.txt");
    let _ = std::fs::write(&path, &report);
    assert!(
        failures.is_empty(),
        "{} of {} queries differ from kubectl:\n{report}",
        failures.len(),
        queries.len() + 2
    );
}

async fn klue_ok(query: &str) -> String {
    let env = support::seeded().expect("control plane available");
    support::install_crypto_provider();
    match run::klue(env.kubeconfig(User::Viewer), None, query).await {
        Outcome::Ok(t) => t,
        Outcome::Err(e) => panic!("{query}: {e}"),
    }
}

#[tokio::test]
async fn describe_goes_through_discovery_on_old_servers() {
    if !support::available() {
        return;
    }
    // batch/v1beta1 CronJob on 1.20: kubectl 1.32 fails here, klue describes it.
    let cj = klue_ok("describe cronjob nightly-report -n payments").await;
    assert!(cj.starts_with("Name:"), "{cj}");
    assert!(cj.contains("Schedule:"), "{cj}");
    assert!(cj.contains("Last Schedule Time:"), "{cj}");
    // autoscaling/v2beta2 HPA: the metrics layout with conditions.
    let hpa = klue_ok("describe hpa web -n shop").await;
    assert!(hpa.contains("Metrics:"), "{hpa}");
    assert!(hpa.contains("Reference:"), "{hpa}");
    // Service endpoints come from the Endpoints object where EndpointSlices v1 are not served.
    let svc = klue_ok("describe svc web -n shop").await;
    let ep_line = svc
        .lines()
        .find(|l| l.starts_with("Endpoints:"))
        .unwrap_or_default()
        .to_string();
    assert!(
        ep_line.contains(':') && !ep_line.ends_with("<none>"),
        "{svc}"
    );
}

#[tokio::test]
async fn events_in_a_quiet_namespace() {
    let Some(env) = support::seeded() else {
        return;
    };
    support::install_crypto_provider();
    let viewer = env.kubeconfig(User::Viewer);
    // kubectl writes this to stderr and nothing to stdout; klue's output carries it.
    assert_eq!(
        run::kubectl(viewer, None, "events -n kube-public"),
        Outcome::Ok(String::new())
    );
    assert_eq!(
        run::klue(viewer, None, "events -n kube-public").await,
        Outcome::Ok("No events found in kube-public namespace.\n".to_string())
    );
}

#[tokio::test]
async fn secrets_and_credentials_stay_hidden() {
    if !support::available() {
        return;
    }
    let secret = klue_ok("describe secret db-credentials -n shop").await;
    assert!(secret.contains(" bytes"), "{secret}");
    for needle in ["hunter2", "aHVudGVy", "sk-live", "KLUEFAKE"] {
        assert!(!secret.contains(needle), "{secret}");
    }
    let pod = klue_ok("describe pod web-7c9f8d6b5-9qj7m -n shop").await;
    assert!(pod.contains(MASKED) || !pod.contains("sk-live"), "{pod}");
    assert!(!pod.contains("sk-live-51HqTfA9vN3kQ8zX2mP7rL4"), "{pod}");
}

#[tokio::test]
async fn logs_pick_a_pod_and_bound_output() {
    let Some(env) = support::seeded() else {
        return;
    };
    support::install_crypto_provider();
    set_logs();
    let viewer = env.kubeconfig(User::Viewer);
    let out = run::klue(viewer, None, "logs deploy/web -n shop --tail=2").await;
    let text = out.text().to_string();
    assert!(text.starts_with("Found 3 pods, using pod/"), "{text}");
    assert!(text.contains("request 40 served"), "{text}");

    let sel = run::klue(
        viewer,
        None,
        "logs -l app=web -n shop --prefix --max-log-requests=2",
    )
    .await;
    let text = sel.text();
    assert!(text.contains("pods match; showing the first 2"), "{text}");
    assert!(text.contains("[pod/web-7c9f8d6b5-"), "{text}");
    // -l defaults to the last 10 lines per pod, as kubectl.
    let lines = text.lines().filter(|l| l.contains("served")).count();
    assert_eq!(lines, 20, "{text}");

    let all = run::klue(
        viewer,
        None,
        &format!("logs {CRASH} -n shop --all-containers"),
    )
    .await;
    assert!(all.text().contains("request 1 served"), "{}", all.text());

    let bad = run::klue(viewer, None, &format!("logs {CRASH} -n shop -c nope")).await;
    assert_eq!(
        bad,
        Outcome::Err(format!(
            "error: container nope is not valid for pod {CRASH}"
        ))
    );

    // A small cap keeps the most recent lines and says what was left out.
    let q = klue::query::parse(&format!("logs {CRASH} -n shop")).expect("parse");
    let cluster = klue::cluster::Cluster::connect(&klue::cluster::ConnectOptions {
        kubeconfig: Some(viewer.to_path_buf()),
        ..Default::default()
    })
    .await
    .expect("connect");
    let exec = klue::exec::Executor::new(cluster).with_cap(klue::render::cap::OutputCap {
        max_lines: 12,
        max_bytes: 1 << 20,
    });
    let out = exec.run(&q).await.expect("logs");
    assert!(out.truncated, "{}", out.text);
    assert!(out.text.contains("earlier lines"), "{}", out.text);
    assert!(out.text.contains("request 40 served"), "{}", out.text);
    assert!(!out.text.contains("request 1 served"), "{}", out.text);
}

#[tokio::test]
async fn top_without_metrics_api_says_so() {
    let Some(env) = support::seeded() else {
        return;
    };
    support::install_crypto_provider();
    for q in ["top pods -n shop", "top nodes"] {
        let out = run::klue(env.kubeconfig(User::Viewer), None, q).await;
        match out {
            Outcome::Err(e) => assert!(e.contains("Metrics API not available"), "{e}"),
            Outcome::Ok(t) => panic!("{q} should fail without metrics.k8s.io: {t}"),
        }
    }
}
