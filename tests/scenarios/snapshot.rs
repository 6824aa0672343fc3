//! The same scenarios through a snapshot: capture the loaded cluster with `klue snapshot`'s
//! capture, serve it back, and get the same scan findings and the same conclusions (also
//! with the default cap on captured logs).

use std::sync::Arc;

use klue::cluster::snapshot::{self, CaptureOptions, Snapshot};

use crate::fixtures;
use crate::planner::{investigate, live_cluster};
use crate::scan::scan;
use crate::support::{self, User};

async fn capture_all(env: &support::TestEnv) -> Arc<Snapshot> {
    let client = env.client(User::Admin).await;
    // Every scenario's unhealthy containers together exceed the default cap on captured
    // logs; the cap is not what this test is about, so lift it and check nothing was dropped.
    let opts = CaptureOptions {
        max_logs: 2000,
        ..CaptureOptions::default()
    };
    let snap = snapshot::capture(&client, &opts).await.expect("capture");
    assert!(
        !snap.notes.iter().any(|n| n.starts_with("logs:")),
        "logs were dropped: {:?}",
        snap.notes
    );
    // Through the file format too: what is served is what was stored.
    let bytes = snap.to_bytes().expect("encode");
    Arc::new(Snapshot::from_bytes(&bytes, "scenarios").expect("decode"))
}

#[tokio::test]
async fn snapshot_gives_the_same_findings_and_conclusions() {
    let env = support::testenv!();
    support::install_crypto_provider();
    fixtures::load(env);
    let snap = capture_all(env).await;
    // Secret values are never stored.
    for r in snap.resources.iter().filter(|r| r.kind == "Secret") {
        for row in &r.rows {
            for v in row
                .pointer("/object/data")
                .and_then(|d| d.as_object())
                .into_iter()
                .flatten()
                .map(|(_, v)| v)
            {
                // only the size is stored (`<redacted: N bytes>`)
                let v = v.as_str().unwrap_or("?");
                assert!(
                    v.starts_with("<redacted: ") && v.ends_with(" bytes>"),
                    "a Secret value was stored: {v}"
                );
            }
        }
    }
    // What `klue snapshot` captures by default: when not every log fits, the ones that
    // explain a failure are kept first, so its conclusions must match the live ones too.
    let capped = {
        let client = env.client(User::Admin).await;
        let snap = snapshot::capture(&client, &CaptureOptions::default())
            .await
            .expect("capture with the default cap");
        for note in snap.notes.iter().filter(|n| n.starts_with("logs:")) {
            eprintln!("default cap: {note}");
        }
        let bytes = snap.to_bytes().expect("encode");
        Arc::new(Snapshot::from_bytes(&bytes, "scenarios").expect("decode"))
    };
    let live = env.client(User::Admin).await;
    let ages = regex::Regex::new(r"\b\d+ (min|s|h|d)\b").expect("static regex");
    let mut problems = Vec::new();
    for s in fixtures::all() {
        let offline = snapshot::client_in(snap.clone(), &s.namespace);
        let a: Vec<String> = scan(&live, &s.namespace)
            .await
            .iter()
            .map(|f| format!("{} {} {}", f.analyzer, f.object, f.title))
            .collect();
        let b: Vec<String> = scan(&offline, &s.namespace)
            .await
            .iter()
            .map(|f| format!("{} {} {}", f.analyzer, f.object, f.title))
            .collect();
        if a != b {
            problems.push(format!(
                "{}: scan differs\n live: {a:?}\n snap: {b:?}",
                s.name
            ));
        }
        if s.healthy {
            continue;
        }
        let dl = investigate(live_cluster(env).await, &s.symptom).await;
        let ds = investigate(
            snapshot::cluster(snap.clone(), "scenarios", None),
            &s.symptom,
        )
        .await;
        // What could not be checked says why in the server's words, which differ between a
        // live apiserver and a snapshot; the verdict, causes and chains must not. Ages ("after
        // 45 min") move while the runs go on, so they are compared without their number.
        let rc = |d: &crate::planner::Diagnosis| {
            d.conclusion.as_ref().map(|c| {
                let text = format!(
                    "{} {:?}",
                    c.verdict.word(),
                    c.problems
                        .iter()
                        .map(|p| (
                            p.cause.clone(),
                            p.chain.iter().map(|l| l.text.clone()).collect::<Vec<_>>()
                        ))
                        .collect::<Vec<_>>()
                );
                ages.replace_all(&text, "N $1").into_owned()
            })
        };
        if rc(&dl) != rc(&ds) {
            problems.push(format!(
                "{}: conclusions differ\n live: {:?}\n snap: {:?} (errors {:?})",
                s.name,
                rc(&dl),
                rc(&ds),
                ds.errors
            ));
        }
        let dc = investigate(
            snapshot::cluster(capped.clone(), "scenarios", None),
            &s.symptom,
        )
        .await;
        if rc(&dl) != rc(&dc) {
            problems.push(format!(
                "{}: conclusions differ with the default cap on logs\n live: {:?}\n snap: {:?} (errors {:?})",
                s.name,
                rc(&dl),
                rc(&dc),
                dc.errors
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test]
async fn anything_not_captured_says_so() {
    let snap = Arc::new(Snapshot::from_bytes(snapshot::DEMO_SNAPSHOT, "demo").expect("demo"));
    let cluster = snapshot::cluster(snap, "demo", Some("shop"));
    let ex = klue::exec::Executor::new(cluster);
    // A healthy pod's logs are not captured.
    let q = klue::query::parse("logs deploy/frontend -n shop").expect("parse");
    let err = ex.run(&q).await.expect_err("not captured");
    assert!(
        err.to_string().contains("not captured in this snapshot"),
        "{err}"
    );
    // A captured object reads like live.
    let q = klue::query::parse("get pods -n shop").expect("parse");
    let out = ex.run(&q).await.expect("get pods");
    assert!(
        out.text.contains("CrashLoopBackOff") && out.text.contains("ImagePullBackOff"),
        "{}",
        out.text
    );
    // A missing object is NotFound, as live.
    let q = klue::query::parse("get pod nope -n shop").expect("parse");
    let err = ex.run(&q).await.expect_err("not found");
    assert!(err.to_string().contains("not found"), "{err}");
    // Bad files get specific errors.
    assert!(
        Snapshot::from_bytes(b"{\"format\":\"klue-snapshot\",\"version\":99}", "x")
            .unwrap_err()
            .to_string()
            .contains("version 99")
    );
    assert!(
        Snapshot::from_bytes(b"hello", "x")
            .unwrap_err()
            .to_string()
            .contains("not JSON")
    );
}
