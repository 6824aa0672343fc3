//! The errors users meet, with their specific messages, and no panic.

use klue::cluster::{Cluster, ClusterError, ConnectOptions};
use klue::exec::{ExecError, Executor};

use crate::run::{self, Outcome};
use crate::support::{self, User};

#[tokio::test]
async fn forbidden_carries_the_rbac_reason() {
    let env = support::seeded_testenv!();
    let limited = env.kubeconfig(User::Limited);
    let out = run::klue(limited, None, "get pods -n shop").await;
    let Outcome::Err(msg) = &out else {
        panic!("limited user listed pods: {out:?}")
    };
    assert_eq!(
        msg,
        "Error from server (Forbidden): pods is forbidden: User \"limited\" cannot list resource \"pods\" in API group \"\" in the namespace \"shop\""
    );
    // kubectl says the same.
    assert_eq!(run::kubectl(limited, None, "get pods -n shop"), out);

    // The typed error, for front ends.
    let q = klue::query::parse("get secret db-credentials -n shop").expect("parse");
    let cluster = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(limited.to_path_buf()),
        ..Default::default()
    })
    .await
    .expect("connect");
    match Executor::new(cluster).run(&q).await {
        Err(ExecError::Forbidden { message }) => assert!(
            message.contains("User \"limited\" cannot get resource \"secrets\""),
            "{message}"
        ),
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

#[tokio::test]
async fn not_found_names_the_object() {
    let env = support::seeded_testenv!();
    let viewer = env.kubeconfig(User::Viewer);
    for (q, msg) in [
        (
            "get pod nope -n shop",
            "Error from server (NotFound): pods \"nope\" not found",
        ),
        (
            "describe deployment nope -n shop",
            "Error from server (NotFound): deployments.apps \"nope\" not found",
        ),
        (
            "get pods -n no-such-namespace",
            "No resources found in no-such-namespace namespace.",
        ),
    ] {
        let out = run::klue(viewer, None, q).await;
        assert_eq!(out.text().trim_end(), msg, "{q}");
    }
    let out = run::klue(viewer, None, "get pod nope -n shop").await;
    assert!(matches!(out, Outcome::Err(_)));
    let out = run::klue(viewer, None, "get nosuchkind").await;
    assert_eq!(
        out,
        Outcome::Err("error: the server doesn't have a resource type \"nosuchkind\"".into())
    );
}

#[tokio::test]
async fn apiserver_stopped_mid_run() {
    if !support::available() {
        return;
    }
    // A private control plane: stopping the shared one would break the other tests.
    let env = support::TestEnv::start().expect("private control plane");
    let kubeconfig = env.kubeconfig(User::Viewer).to_path_buf();
    let cluster = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(kubeconfig.clone()),
        ..Default::default()
    })
    .await
    .expect("connect");
    let exec = Executor::new(cluster);
    let q = klue::query::parse("get namespaces").expect("parse");
    let before = exec.run(&q).await.expect("works while the server is up");
    assert!(before.text.contains("kube-system"), "{}", before.text);

    env.stop_apiserver();
    let port = env
        .server
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string();
    // The same executor (pooled connections, cached discovery), and a fresh one.
    let err = exec.run(&q).await.expect_err("server is gone");
    let msg = err.to_string();
    assert!(matches!(err, ExecError::Unreachable { .. }), "{err:?}");
    assert!(
        msg.starts_with(&format!(
            "The connection to the server 127.0.0.1:{port} was refused"
        )),
        "{msg}"
    );
    let fresh = run::klue(&kubeconfig, None, "get pods -A").await;
    let Outcome::Err(fresh) = fresh else {
        panic!("{fresh:?}")
    };
    assert!(
        fresh.contains(&format!("127.0.0.1:{port} was refused")),
        "{fresh}"
    );
    let kubectl = run::kubectl(&kubeconfig, None, "get pods -A");
    assert!(
        kubectl
            .text()
            .contains(&format!("127.0.0.1:{port} was refused"))
    );
}

#[tokio::test]
async fn malformed_kubeconfig() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, "apiVersion: v1\nclusters: [ {name: x\n  users: ::\n").expect("write");
    let err = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(path.clone()),
        ..Default::default()
    })
    .await
    .expect_err("malformed");
    assert!(
        matches!(err, ClusterError::KubeconfigMalformed { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("malformed kubeconfig {}", path.display())),
        "{msg}"
    );
    // A kubeconfig that does not exist is a different message.
    let missing = dir.path().join("nope");
    let err = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(missing.clone()),
        ..Default::default()
    })
    .await
    .expect_err("missing");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
}

#[tokio::test]
async fn unknown_context_lists_the_available_ones() {
    let env = support::testenv!();
    let err = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(env.kubeconfigs.all.clone()),
        context: Some("prod".into()),
        ..Default::default()
    })
    .await
    .expect_err("unknown context");
    assert_eq!(
        err.to_string(),
        "context \"prod\" does not exist in the kubeconfig (available: testenv-admin, testenv-viewer, testenv-limited)"
    );
    // The named contexts work, each as its own user.
    let as_limited = run::klue(
        &env.kubeconfigs.all,
        Some(User::Limited.context()),
        "get nodes",
    )
    .await;
    assert!(
        as_limited.text().contains("User \"limited\""),
        "{as_limited:?}"
    );
    let as_viewer = run::klue(
        &env.kubeconfigs.all,
        Some(User::Viewer.context()),
        "get nodes",
    )
    .await;
    assert!(matches!(as_viewer, Outcome::Ok(_)), "{as_viewer:?}");
}

/// `insecure-skip-tls-verify` without a CA reaches the server (klue loads no trust store for
/// it), and the same kubeconfig without the flag is refused: the server's certificate is not
/// signed by any authority the system trusts, so verification is really on by default.
#[tokio::test]
async fn insecure_skip_tls_verify_connects_and_verification_is_on_without_it() {
    let env = support::seeded_testenv!();
    let viewer = std::fs::read_to_string(env.kubeconfig(User::Viewer)).expect("kubeconfig");
    let with = |line: &str| -> String {
        viewer
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("certificate-authority:") {
                    line.to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let insecure = dir.path().join("insecure.yaml");
    std::fs::write(&insecure, with("    insecure-skip-tls-verify: true")).expect("write");
    assert!(
        !std::fs::read_to_string(&insecure)
            .expect("read")
            .contains("certificate-authority"),
        "the CA was not taken out"
    );
    let out = run::klue(&insecure, None, "get namespaces").await;
    assert!(out.text().contains("shop"), "{out:?}");

    let unverified = dir.path().join("no-ca.yaml");
    std::fs::write(&unverified, with("")).expect("write");
    let out = run::klue(&unverified, None, "get namespaces").await;
    let Outcome::Err(msg) = &out else {
        panic!("a server signed by an unknown authority was trusted: {out:?}")
    };
    assert!(msg.to_lowercase().contains("certificate"), "{msg}");
}
