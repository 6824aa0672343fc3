//! Read-only, proven by the server: every line of the query corpus goes through klue's public
//! path (parse → executor) as `klue-viewer` against a real apiserver with audit logging; the
//! audit log must then show that klue's user sent only get/list/watch (plus the self-subject
//! reviews `auth can-i` posts, and nothing else), and that refused lines sent nothing at all.
//!
//! This binary has its control plane to itself, so every `klue-viewer` request in the audit
//! log comes from the corpus run.

#[path = "../support/mod.rs"]
mod support;

#[path = "../corpus/read.rs"]
mod corpus;

use std::time::Duration;

use klue::cluster::{Cluster, ConnectOptions};
use klue::exec::Executor;
use klue::render::cap::OutputCap;
use support::{AuditEntry, User};

/// Requests klue may make besides reads: `auth can-i` asks the server with a self-subject
/// access (or rules) review, a create that changes nothing.
fn allowed_write(e: &AuditEntry) -> bool {
    e.verb == "create"
        && (e.request_uri == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
            || e.request_uri == "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
}

/// Marks a point in the audit log: the admin reads a namespace named after the line. The
/// apiserver writes `RequestReceived` before it handles a request, so every request klue sent
/// for line N is logged before marker N.
async fn mark(admin: &kube::Client, n: usize) {
    let req = http::Request::get(format!("/api/v1/namespaces/corpus-marker-{n}"))
        .body(Vec::new())
        .expect("request");
    let _ = admin.request_text(req).await; // 404: only the audit entry matters
}

fn marker_of(e: &AuditEntry) -> Option<usize> {
    if e.user != "admin" || e.stage != "RequestReceived" {
        return None;
    }
    e.request_uri
        .strip_prefix("/api/v1/namespaces/corpus-marker-")
        .and_then(|n| n.parse().ok())
}

#[tokio::test]
async fn corpus_sends_only_reads() {
    let env = support::seeded_testenv!();
    let cases = corpus::load();
    assert!(cases.len() >= 150, "corpus has only {} lines", cases.len());
    let admin = env.client(User::Admin).await;
    let cluster = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(env.kubeconfig(User::Viewer).to_path_buf()),
        ..Default::default()
    })
    .await
    .expect("connect as klue-viewer");
    let exec = Executor::new(cluster).with_cap(OutputCap {
        max_lines: 200,
        max_bytes: 64 * 1024,
    });

    mark(&admin, 0).await;
    let mut refused = Vec::new();
    let mut mismatched = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        match klue::query::parse(&case.command) {
            Ok(q) => {
                if case.expect == corpus::Expect::Refuse {
                    mismatched.push(format!("line {}: allowed {:?}", case.line_no, case.command));
                }
                // Errors are fine (NotFound, unknown kinds, ...); only requests matter here.
                let _ = tokio::time::timeout(Duration::from_secs(20), exec.run(&q)).await;
            }
            Err(_) => {
                if case.expect == corpus::Expect::Allow {
                    mismatched.push(format!("line {}: refused {:?}", case.line_no, case.command));
                }
                refused.push(i + 1);
            }
        }
        mark(&admin, i + 1).await;
    }
    assert!(
        mismatched.is_empty(),
        "parser disagrees with the corpus:\n{}",
        mismatched.join("\n")
    );

    // Let the last ResponseComplete entries land, then read the whole log.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let entries = env.audit();
    let klue_user = User::Viewer.username();

    // 1. Everything klue's user sent: reads, or exactly the review exception.
    let by_klue = support::audit::requests_by(&entries, klue_user);
    assert!(
        !by_klue.is_empty(),
        "no klue-viewer request in the audit log"
    );
    let writes: Vec<String> = by_klue
        .iter()
        .filter(|e| !matches!(e.verb.as_str(), "get" | "list" | "watch") && !allowed_write(e))
        .map(|e| format!("{} {}", e.verb, e.request_uri))
        .collect();
    assert!(
        writes.is_empty(),
        "klue sent non-read requests:\n{}",
        writes.join("\n")
    );
    // The exception is used (auth can-i lines exist in the corpus) and is nothing broader.
    for e in by_klue.iter().filter(|e| e.verb == "create") {
        assert!(allowed_write(e), "{} {}", e.verb, e.request_uri);
    }
    let can_i_allowed = cases.iter().any(|c| {
        c.expect == corpus::Expect::Allow && c.command.split_whitespace().any(|w| w == "can-i")
    });
    if can_i_allowed {
        assert!(
            by_klue.iter().any(allowed_write),
            "the corpus has `auth can-i` lines but no self-subject review reached the server"
        );
    }

    // 2. Attribute klue's requests to lines by the markers: refused lines sent nothing.
    let mut current: usize = 0; // requests after marker N belong to line N+1
    let mut per_line: std::collections::HashMap<usize, Vec<String>> = Default::default();
    let mut seen_marker = false;
    for e in &entries {
        if let Some(n) = marker_of(e) {
            current = n;
            seen_marker = true;
            continue;
        }
        if seen_marker && e.user == klue_user && e.stage == "RequestReceived" {
            per_line
                .entry(current + 1)
                .or_default()
                .push(format!("{} {}", e.verb, e.request_uri));
        }
    }
    assert!(seen_marker, "markers missing from the audit log");
    let leaks: Vec<String> = refused
        .iter()
        .filter_map(|n| {
            per_line.get(n).map(|reqs| {
                format!(
                    "corpus line {:?} was refused but sent: {reqs:?}",
                    cases[n - 1].command
                )
            })
        })
        .collect();
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    // And allowed lines did reach the server (the attribution works).
    let allowed_with_requests = (1..=cases.len())
        .filter(|n| !refused.contains(n) && per_line.contains_key(n))
        .count();
    assert!(
        allowed_with_requests * 2 > cases.len() - refused.len(),
        "only {allowed_with_requests} allowed lines show requests"
    );
    eprintln!(
        "corpus: {} lines, {} refused (no request), {} klue-viewer requests, all reads",
        cases.len(),
        refused.len(),
        by_klue.len()
    );
}
