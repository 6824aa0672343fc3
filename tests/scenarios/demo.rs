//! The bundled demo snapshot: regenerated from the demo fixture on a real apiserver with
//! `klue snapshot`'s capture (ignored test), and checked on every run: `scan` and the offline
//! planner find the shop's problems in it with no cluster at all.

use std::sync::Arc;

use klue::analyze::{self, fetch};
use klue::cluster::snapshot::{self, CaptureOptions, Snapshot, SnapshotSource};

use crate::planner::investigate;
use crate::support::{self, User};

fn demo_dir() -> std::path::PathBuf {
    support::fixtures_dir().join("demo/shop")
}

/// Regenerate assets/demo/shop.klue.gz:
/// `cargo test --test scenarios regenerate_demo_snapshot -- --ignored`
#[test]
#[ignore = "regenerates the bundled demo snapshot"]
fn regenerate_demo_snapshot() {
    if !support::available() {
        return;
    }
    support::install_crypto_provider();
    let env: &'static support::TestEnv = Box::leak(Box::new(
        support::TestEnv::start().expect("start a private control plane"),
    ));
    support::register_logs(&support::kubelet(), &demo_dir().join("logs")).expect("register logs");
    let text = std::fs::read_to_string(demo_dir().join("objects.yaml")).expect("read demo objects");
    support::run_isolated(async move { support::apply(env, &text).await.map(|_| ()) })
        .expect("apply demo objects");
    let snap = support::run_isolated(async move {
        let client = env.client(User::Admin).await;
        let opts = CaptureOptions {
            source: SnapshotSource {
                context: "demo".into(),
                server: "https://shop.example.com:6443".into(),
            },
            ..Default::default()
        };
        snapshot::capture(&client, &opts)
            .await
            .map_err(|e| e.to_string())
    })
    .expect("capture");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/shop.klue.gz");
    std::fs::create_dir_all(out.parent().expect("parent")).expect("mkdir");
    snap.save(&out).expect("save");
    eprintln!(
        "wrote {} ({} objects, {} logs, notes: {:?})",
        out.display(),
        snap.object_count(),
        snap.logs.len(),
        snap.notes
    );
}

fn demo_snapshot() -> Arc<Snapshot> {
    Arc::new(Snapshot::from_bytes(snapshot::DEMO_SNAPSHOT, "demo").expect("bundled demo snapshot"))
}

#[tokio::test]
async fn scan_of_the_demo_snapshot_finds_every_planted_problem() {
    let snap = demo_snapshot();
    let client = snapshot::client_in(snap, "shop");
    let opts = fetch::FetchOptions {
        namespace: Some("shop".into()),
        ..Default::default()
    };
    let fetched = fetch::fetch_view(&client, &opts)
        .await
        .expect("fetch from snapshot");
    let findings = analyze::analyze(&fetched.view);
    let has = |analyzer: &str, name: &str| {
        findings
            .iter()
            .any(|f| f.analyzer == analyzer && f.object.name.starts_with(name))
    };
    for (a, n) in [
        ("crashloop", "checkout-"),
        ("image-pull", "payments-"),
        ("service", "cart"),
        ("pending", "recommendations-"),
        ("node", "shop-node-3"),
    ] {
        assert!(
            has(a, n),
            "no {a} finding on {n}: {:#?}",
            findings
                .iter()
                .map(|f| format!("{} {}", f.analyzer, f.object))
                .collect::<Vec<_>>()
        );
    }
    // The crash is explained by the previous container's log, captured in the snapshot.
    let crash = findings
        .iter()
        .find(|f| f.analyzer == "crashloop")
        .expect("crashloop finding");
    assert!(
        crash.evidence.iter().any(|e| e.contains("STRIPE_API_KEY")),
        "{:?}",
        crash.evidence
    );
    assert!(
        !findings
            .iter()
            .any(|f| f.object.name.starts_with("frontend")),
        "false alarm on the healthy frontend"
    );
}

#[tokio::test]
async fn offline_planner_investigates_the_demo_shop() {
    support::install_crypto_provider();
    let cluster = snapshot::cluster(demo_snapshot(), "demo", Some("shop"));
    let d = investigate(cluster, klue::planner::offline::DEMO_SYMPTOM).await;
    let c = d
        .conclusion
        .clone()
        .unwrap_or_else(|| panic!("no conclusion: {d:?}"));
    let text = d.text();
    for word in ["checkout", "stripe_api_key", "payments", "cart"] {
        assert!(
            text.contains(word),
            "conclusion lacks {word}: {}",
            c.headline()
        );
    }
    assert!(
        d.errors.iter().all(|e| !e.contains("not captured")),
        "{:?}",
        d.errors
    );
}
