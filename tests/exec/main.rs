//! The executor core against a real kube-apiserver: discovery on an old server, chunked
//! listing, the GET-only client (proven by the audit log), secrets, output caps, auth; and
//! the same executor over a custom tower service (how snapshots plug in).

#[path = "../support/mod.rs"]
mod support;

mod bounds;
mod offline;

use klue::cluster::{Cluster, ConnectOptions};
use klue::exec::{ExecError, Executor, Output};
use klue::render::cap::OutputCap;
use support::User;

async fn executor(env: &support::TestEnv, user: User) -> Executor {
    let opts = ConnectOptions {
        kubeconfig: Some(env.kubeconfig(user).to_path_buf()),
        ..Default::default()
    };
    match Cluster::connect(&opts).await {
        Ok(c) => Executor::new(c),
        Err(e) => panic!("connect: {e}"),
    }
}

async fn run(ex: &Executor, line: &str) -> Result<Output, ExecError> {
    let q = match klue::query::parse(line) {
        Ok(q) => q,
        Err(r) => panic!("{line}: refused: {}", r.reason),
    };
    ex.run(&q).await
}

async fn ok(ex: &Executor, line: &str) -> Output {
    match run(ex, line).await {
        Ok(o) => o,
        Err(e) => panic!("{line}: {e}"),
    }
}

#[tokio::test]
async fn discovery_resolves_through_what_the_server_serves() {
    let env = support::seeded_testenv!();
    let ex = executor(env, User::Viewer).await;
    // batch/v1beta1 on 1.20, batch/v1 on newer servers: never hard-wired
    let cj = ex.resolve("cj").await.unwrap();
    assert_eq!(cj.group, "batch");
    let d = ex.cluster().discovery().await.unwrap();
    assert!(
        d.resources
            .iter()
            .any(|r| r.group == "batch" && r.version == cj.version && r.name == "cronjobs")
    );
    for (typed, want) in [
        ("po", "pods"),
        ("Pod", "pods"),
        ("deploy", "deployments.apps"),
        ("deployments.v1.apps", "deployments.apps"),
        ("ev", "events"),
        ("wg", "widgets.stable.example.com"),
        ("widgets.stable.example.com", "widgets.stable.example.com"),
    ] {
        assert_eq!(
            ex.resolve(typed).await.unwrap().qualified_name(),
            want,
            "{typed}"
        );
    }
    match run(&ex, "get deploymnets -n shop").await {
        Err(ExecError::UnknownResource { did_you_mean, .. }) => {
            assert_eq!(did_you_mean.as_deref(), Some("deployments"))
        }
        other => panic!("expected UnknownResource, got {other:?}"),
    }
    // the cache: executors on clones of one cluster share one discovery (fetched once)
    let again = Executor::new(ex.cluster().clone());
    again.resolve("svc").await.unwrap();
    let first = ex.cluster().discovery().await.unwrap();
    let second = again.cluster().discovery().await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &second));
}

#[tokio::test]
async fn chunked_listing_returns_every_object() {
    let env = support::seeded_testenv!();
    let mut manifest = String::from("apiVersion: v1\nkind: Namespace\nmetadata: {name: chunks}\n");
    for i in 0..23 {
        manifest.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i:02}, namespace: chunks}}\ndata: {{i: \"{i}\"}}\n"
        ));
    }
    support::apply(env, &manifest).await.unwrap();
    let ex = executor(env, User::Viewer).await;
    let table = ok(&ex, "get cm -n chunks --chunk-size=5").await;
    let rows: Vec<&str> = table
        .text
        .lines()
        .filter(|l| l.starts_with("cm-"))
        .collect();
    assert_eq!(rows.len(), 23, "{}", table.text);
    assert_eq!(
        table.text.lines().filter(|l| l.starts_with("NAME")).count(),
        1
    );
    let json = ok(&ex, "get cm -n chunks --chunk-size=4 -o json").await;
    assert_eq!(json.objects.len(), 23);
    let sorted = ok(
        &ex,
        "get cm -n chunks --chunk-size=7 --sort-by=.data.i -o name",
    )
    .await;
    assert!(
        sorted
            .text
            .starts_with("configmap/cm-00\nconfigmap/cm-01\n"),
        "{}",
        sorted.text
    );
    let pages = env
        .audit()
        .iter()
        .filter(|e| {
            e.user == User::Viewer.username()
                && e.stage == "ResponseComplete"
                && e.request_uri
                    .starts_with("/api/v1/namespaces/chunks/configmaps?")
                && e.request_uri.contains("limit=5")
        })
        .count();
    assert_eq!(pages, 5, "23 objects in chunks of 5");
}

#[tokio::test]
async fn the_client_cannot_write_even_as_admin() {
    let env = support::seeded_testenv!();
    // admin could do anything: the refusal must come from klue's client stack
    let ex = executor(env, User::Admin).await;
    let cluster = ex.cluster();
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let req = http::Request::builder()
            .method(method)
            .uri("/api/v1/namespaces/shop/configmaps/klue-write-probe")
            .header("content-type", "application/json")
            .body(kube::client::Body::from(
                br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"klue-write-probe"}}"#
                    .to_vec(),
            ))
            .unwrap();
        let err = cluster.client.send(req).await.unwrap_err();
        assert!(err.to_string().contains("klue refused"), "{method}: {err}");
    }
    let probes: Vec<_> = env
        .audit()
        .into_iter()
        .filter(|e| e.request_uri.contains("klue-write-probe"))
        .collect();
    assert!(probes.is_empty(), "{probes:?}");
    // and the review POST klue builds itself goes through
    let out = ok(&ex, "auth can-i delete pods -n shop").await;
    assert_eq!(out.text, "yes\n");
}

#[tokio::test]
async fn auth_answers_for_the_caller() {
    let env = support::seeded_testenv!();
    let viewer = executor(env, User::Viewer).await;
    assert_eq!(
        ok(&viewer, "auth can-i list pods -n shop").await.text,
        "yes\n"
    );
    assert!(
        ok(&viewer, "auth can-i delete pods -n shop")
            .await
            .text
            .starts_with("no")
    );
    let list = ok(&viewer, "auth can-i --list -n shop").await;
    assert!(list.text.starts_with("Resources"), "{}", list.text);
    match run(&viewer, "auth whoami").await {
        Ok(o) => assert!(o.text.contains("klue-viewer"), "{}", o.text),
        Err(ExecError::Unsupported { what }) => {
            assert!(
                what.contains("selfsubjectreviews API is not enabled"),
                "{what}"
            )
        }
        Err(e) => panic!("whoami: {e}"),
    }
    let limited = executor(env, User::Limited).await;
    match run(&limited, "get pods -n shop").await {
        Err(ExecError::Forbidden { message }) => {
            assert!(
                message.contains("User \"limited\" cannot list resource \"pods\""),
                "{message}"
            )
        }
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

#[tokio::test]
async fn secret_values_never_leave_the_executor() {
    let env = support::seeded_testenv!();
    support::apply(
        env,
        "apiVersion: v1\nkind: Secret\nmetadata: {name: exec-probe, namespace: shop}\nstringData: {password: correct-horse-battery, token: abc}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: env-probe, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    env:\n    - {name: DB_PASSWORD, value: correct-horse-battery}\n    - {name: MODE, value: plain-mode}\n",
    )
    .await
    .unwrap();
    let ex = executor(env, User::Viewer).await;
    for line in [
        "get secret exec-probe -n shop -o yaml",
        "get secret exec-probe -n shop -o json",
        "get secrets -n shop -o yaml",
        "get secret exec-probe -n shop -o jsonpath={.data}",
        "get pod env-probe -n shop -o yaml",
        "get pods -n shop -o json",
    ] {
        let out = ok(&ex, line).await;
        let objects = serde_json::to_string(&out.objects).unwrap();
        for leaked in [
            "correct-horse-battery",
            "Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5",
            "YWJj",
        ] {
            assert!(!out.text.contains(leaked), "{line}: {}", out.text);
            assert!(!objects.contains(leaked), "{line}: objects");
        }
    }
    let yaml = ok(&ex, "get secret exec-probe -n shop -o yaml").await;
    assert!(
        yaml.text.contains("password: '<redacted: 21 bytes>'"),
        "{}",
        yaml.text
    );
    assert!(
        yaml.text.contains("token: '<redacted: 3 bytes>'"),
        "{}",
        yaml.text
    );
    let pod = ok(&ex, "get pod env-probe -n shop -o yaml").await;
    assert!(pod.text.contains("plain-mode"));
}

#[tokio::test]
async fn outputs_are_capped_with_a_marker() {
    let env = support::seeded_testenv!();
    let ex = executor(env, User::Viewer).await.with_cap(OutputCap {
        max_lines: 5,
        max_bytes: 1 << 20,
    });
    let out = ok(&ex, "get pods -A -o yaml").await;
    assert!(out.truncated);
    assert_eq!(out.text.lines().count(), 6);
    let marker = out.text.lines().last().unwrap();
    assert!(marker.starts_with("… output truncated: "), "{marker}");
    assert!(marker.contains("(cap 5 lines)"), "{marker}");
}

#[tokio::test]
async fn unreachable_server_is_a_specific_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\nusers: [{name: u, user: {token: t}}]\n",
    )
    .unwrap();
    support::install_crypto_provider();
    let cluster = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(path),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(cluster.probe().await.is_err());
    let ex = Executor::new(cluster);
    match run(&ex, "get pods").await {
        Err(e @ ExecError::Unreachable { .. }) => {
            assert!(
                e.to_string()
                    .starts_with("The connection to the server 127.0.0.1:9 was refused"),
                "{e}"
            )
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}
