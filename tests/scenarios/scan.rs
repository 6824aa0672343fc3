//! `scan` over each scenario's namespace, against the real apiserver.

use klue::analyze::{self, fetch};

use crate::fixtures;
use crate::support::{self, User};

/// Scan one namespace through a client; findings ranked.
pub async fn scan(client: &kube::Client, ns: &str) -> Vec<analyze::Finding> {
    let opts = fetch::FetchOptions {
        namespace: Some(ns.to_string()),
        ..Default::default()
    };
    let fetched = fetch::fetch_view(client, &opts).await.expect("fetch view");
    analyze::analyze(&fetched.view)
}

/// Check a scenario's findings; returns a list of problems (empty when all is well).
pub fn check(s: &fixtures::Scenario, findings: &[analyze::Finding]) -> Vec<String> {
    let mut problems = Vec::new();
    let allowed_cluster = fixtures::expected_cluster_objects();
    if s.healthy {
        for f in findings {
            let ours = f.object.namespace.as_deref() == Some(s.namespace.as_str());
            let unexpected_cluster = f.object.namespace.is_none()
                && !allowed_cluster
                    .iter()
                    .any(|(k, n)| *k == f.object.kind && f.object.name.starts_with(n.as_str()));
            if ours || unexpected_cluster {
                problems.push(format!(
                    "{}: false alarm: [{}] {}: {}",
                    s.name, f.analyzer, f.object, f.title
                ));
            }
        }
    }
    for e in &s.expect.scan {
        if !findings.iter().any(|f| fixtures::matches(f, e)) {
            problems.push(format!(
                "{}: expected a {} finding on {} {}*, got: {}",
                s.name,
                e.analyzer,
                e.kind,
                e.name,
                findings
                    .iter()
                    .map(|f| format!("[{}] {} {}", f.analyzer, f.object, f.title))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    }
    problems
}

#[tokio::test]
async fn scan_reports_every_scenario_and_nothing_on_healthy_ones() {
    let env = support::testenv!();
    fixtures::load(env);
    let client = env.client(User::Admin).await;
    let scenarios = fixtures::all();
    assert!(scenarios.iter().filter(|s| !s.healthy).count() >= 25);
    assert!(scenarios.iter().filter(|s| s.healthy).count() >= 3);
    let mut problems = Vec::new();
    for s in &scenarios {
        let findings = scan(&client, &s.namespace).await;
        if std::env::var_os("KLUE_SCENARIO_DUMP").is_some() {
            eprintln!("== {} ({})", s.name, s.description);
            for f in &findings {
                eprintln!(
                    "  [{}] {} {}: {}\n     {}\n     fix: {}",
                    f.severity,
                    f.analyzer,
                    f.object,
                    f.title,
                    f.evidence.join("\n     "),
                    f.remediation
                );
            }
        }
        // A `measure_only` scenario is loaded and scanned, its expectations not asserted.
        if !s.measure_only {
            problems.extend(check(s, &findings));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
