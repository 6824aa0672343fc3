//! The test control plane itself: users, RBAC, seeding with status, the kubelet log stub
//! behind the real apiserver, the audit log, and a private instance that can be stopped.

#[path = "../support/mod.rs"]
mod support;

use std::process::Command;

use support::User;

fn kubectl(env: &support::TestEnv, user: User, args: &[&str]) -> (bool, String, String) {
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(env.kubeconfig(user))
        .args(args)
        .output()
        .expect("run kubectl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const NODE_AND_POD: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: harness}
---
apiVersion: v1
kind: Node
metadata: {name: harness-node}
status:
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: ok, lastHeartbeatTime: "${NOW-1m}", lastTransitionTime: "${NOW-1d}"}
---
apiVersion: v1
kind: Pod
metadata: {name: crashy, namespace: harness}
spec:
  nodeName: harness-node
  containers: [{name: app, image: busybox}]
status:
  phase: Running
  containerStatuses:
  - name: app
    image: busybox
    imageID: ""
    ready: false
    restartCount: 7
    state: {waiting: {reason: CrashLoopBackOff, message: back-off}}
    lastState: {terminated: {exitCode: 1, reason: Error, startedAt: "${NOW-2m}", finishedAt: "${NOW-1m}"}}
"#;

#[tokio::test]
async fn users_rbac_status_logs_and_audit() {
    let env = support::testenv!();
    support::apply(env, NODE_AND_POD).await.expect("seed");
    let stub = support::kubelet();
    stub.set(
        "harness",
        "crashy",
        "app",
        "one\ntwo\nthree\n",
        Some("2024-01-01T00:00:00Z old-1\n2024-01-01T00:00:01Z panic: boom\n"),
    );

    let (ok, out, err) = kubectl(env, User::Viewer, &["get", "pods", "-n", "harness"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("CrashLoopBackOff") && out.contains("7"),
        "{out}"
    );

    let (ok, out, err) = kubectl(
        env,
        User::Viewer,
        &["logs", "-n", "harness", "crashy", "--tail=2"],
    );
    assert!(ok, "{err}");
    assert_eq!(out, "two\nthree\n");
    let (ok, out, err) = kubectl(
        env,
        User::Viewer,
        &[
            "logs",
            "-n",
            "harness",
            "crashy",
            "--previous",
            "--timestamps",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "2024-01-01T00:00:00Z old-1\n2024-01-01T00:00:01Z panic: boom\n"
    );
    assert!(stub.requests().iter().any(|r| r.contains("previous=true")));

    let (ok, _, err) = kubectl(env, User::Limited, &["get", "pods", "-n", "harness"]);
    assert!(!ok);
    assert!(
        err.contains("Forbidden") || err.contains("forbidden"),
        "{err}"
    );

    let (ok, out, err) = kubectl(env, User::Viewer, &["get", "nodes"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("harness-node") && out.contains("Ready"),
        "{out}"
    );

    let (ok, out, _) = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&env.kubeconfigs.all)
        .args(["config", "get-contexts", "-o", "name"])
        .output()
        .map(|o| {
            (
                o.status.success(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
                (),
            )
        })
        .expect("kubectl");
    assert!(ok);
    assert_eq!(out, "testenv-admin\ntestenv-limited\ntestenv-viewer\n");

    let viewer_requests = support::audit::requests_by(&env.audit(), "klue-viewer");
    assert!(
        viewer_requests
            .iter()
            .any(|e| e.verb == "list" && e.request_uri.contains("/namespaces/harness/pods"))
    );
    assert!(
        viewer_requests
            .iter()
            .any(|e| e.verb == "get" && e.request_uri.contains("/pods/crashy/log"))
    );
}

#[test]
fn private_instance_stops_and_cleans_up() {
    if !support::available() {
        return;
    }
    let env = support::TestEnv::start().expect("start a private control plane");
    let dir = env.dir.clone();
    let (ok, out, err) = kubectl(&env, User::Admin, &["get", "--raw", "/readyz"]);
    assert!(ok && out.trim() == "ok", "{out}{err}");
    env.stop_apiserver();
    let (ok, _, err) = kubectl(&env, User::Admin, &["get", "ns", "--request-timeout=5s"]);
    assert!(!ok);
    assert!(err.contains("connection refused"), "{err}");
    drop(env);
    assert!(!dir.exists());
}

#[tokio::test]
async fn kubelet_stub_honours_log_parameters_through_the_apiserver() {
    let env = support::testenv!();
    support::apply(
        env,
        r#"
apiVersion: v1
kind: Namespace
metadata: {name: stubtest}
---
apiVersion: v1
kind: Node
metadata: {name: stub-node}
---
apiVersion: v1
kind: Pod
metadata: {name: chatty, namespace: stubtest}
spec:
  nodeName: stub-node
  containers: [{name: main, image: busybox}, {name: side, image: busybox}]
status: {phase: Running}
"#,
    )
    .await
    .expect("seed");
    let now = jiff::Timestamp::now();
    let at = |secs_ago: i64, text: &str| support::LogLine {
        time: now - jiff::SignedDuration::from_secs(secs_ago),
        text: text.to_string(),
    };
    support::kubelet().set_lines(
        "stubtest",
        "chatty",
        "main",
        vec![
            at(7200, "two hours ago"),
            at(600, "ten minutes ago"),
            at(5, "just now"),
        ],
        None,
    );
    let logs = |extra: &[&str]| {
        let mut args = vec!["logs", "-n", "stubtest", "chatty", "-c", "main"];
        args.extend_from_slice(extra);
        kubectl(env, User::Viewer, &args)
    };
    assert_eq!(logs(&[]).1, "two hours ago\nten minutes ago\njust now\n");
    assert_eq!(logs(&["--since=1h"]).1, "ten minutes ago\njust now\n");
    let since_time = (now - jiff::SignedDuration::from_secs(60)).to_string();
    assert_eq!(logs(&["--since-time", &since_time]).1, "just now\n");
    assert_eq!(logs(&["--limit-bytes=8"]).1, "two hour");
    assert_eq!(logs(&["--tail=1"]).1, "just now\n");
    let (ok, _, err) = logs(&["--previous"]);
    assert!(!ok);
    assert!(
        err.contains("previous terminated container \"main\" in pod \"chatty\" not found"),
        "{err}"
    );
    let (ok, _, err) = kubectl(
        env,
        User::Viewer,
        &["logs", "-n", "stubtest", "chatty", "-c", "side"],
    );
    assert!(!ok);
    assert!(
        err.contains("container \"side\" in pod \"chatty\" is waiting to start: ContainerCreating"),
        "{err}"
    );
}
