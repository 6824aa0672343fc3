//! Analyzers: deterministic checks over cluster objects that find common failures and return
//! their evidence. One file per failure family; each reads a [`ClusterView`] and returns
//! [`Finding`]s. They must stay quiet on healthy objects.
//!
//! A view can be fetched from a cluster ([`fetch::fetch_view`], live or snapshot), or built
//! from what an investigation has observed so far (the offline planner does that).

pub mod fetch;
pub mod logline;
pub mod logtime;
pub mod report;
pub mod util;
pub mod view;

mod container_config;
mod crashloop;
mod cronjob;
mod evicted;
mod hpa;
mod image_pull;
mod ingress;
mod init_containers;
mod job;
pub mod network_policy;
mod node;
mod oom;
mod pdb;
mod pending;
mod pod;
mod probes;
mod rollout;
mod service;
mod webhook;

use serde::{Deserialize, Serialize};

pub use pod::exit_code_meaning;
pub use view::ClusterView;

/// How bad a finding is. Ordered: `Critical` sorts first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// An object a finding is about (or mentions).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    pub fn new(kind: &str, namespace: Option<&str>, name: &str) -> Self {
        Self {
            kind: kind.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        }
    }

    /// `kind/name` in kubectl's lower-case form, e.g. `pod/web-1`.
    pub fn short(&self) -> String {
        format!("{}/{}", self.kind.to_ascii_lowercase(), self.name)
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// One problem found, with what shows it and what would fix it (text only; never run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The analyzer family, e.g. `crashloop`, `service`.
    pub analyzer: String,
    pub severity: Severity,
    pub object: ObjectRef,
    /// One line, e.g. `container checkout is in CrashLoopBackOff (exit code 1)`.
    pub title: String,
    /// What it means and why it happens.
    pub explanation: String,
    /// Facts read from the cluster (status fields, events, log lines).
    pub evidence: Vec<String>,
    /// What to change; klue never does it.
    pub remediation: String,
    /// Read-only kubectl-style queries that show the evidence.
    #[serde(default)]
    pub checks: Vec<String>,
    /// Other objects involved (a missing Secret, the Service in front, ...).
    #[serde(default)]
    pub related: Vec<ObjectRef>,
    /// Ordering within a severity: lower means closer to a root cause (a crashing container
    /// ranks above the Service with no ready endpoints that it causes).
    #[serde(default)]
    pub rank: u8,
}

type Analyzer = fn(&ClusterView) -> Vec<Finding>;

/// Every analyzer, by family name.
pub const ANALYZERS: &[(&str, Analyzer)] = &[
    ("crashloop", crashloop::analyze),
    ("oom", oom::analyze),
    ("image-pull", image_pull::analyze),
    ("container-config", container_config::analyze),
    ("init-containers", init_containers::analyze),
    ("pending", pending::analyze),
    ("probes", probes::analyze),
    ("evicted", evicted::analyze),
    ("service", service::analyze),
    ("ingress", ingress::analyze),
    ("rollout", rollout::analyze),
    ("job", job::analyze),
    ("cronjob", cronjob::analyze),
    ("node", node::analyze),
    ("hpa", hpa::analyze),
    ("pdb", pdb::analyze),
    ("network-policy", network_policy::analyze),
    ("webhook", webhook::analyze),
];

/// Run every analyzer; findings ranked by severity, then closeness to a root cause, then
/// object. Deterministic.
pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut findings: Vec<Finding> = ANALYZERS.iter().flat_map(|(_, f)| f(view)).collect();
    // Findings quote the cluster (status and termination messages, events, log lines): what
    // they say is masked here, once, before any screen, scan, planner or recording sees it.
    findings.iter_mut().for_each(mask_finding);
    sort_findings(&mut findings);
    findings.dedup();
    group_replicas(findings)
}

/// Mask every credential a finding's text quotes ([`crate::redact::redact`]).
fn mask_finding(f: &mut Finding) {
    let mask = |t: &mut String| {
        let r = crate::redact::redact(t);
        if r != *t {
            *t = r;
        }
    };
    mask(&mut f.title);
    mask(&mut f.explanation);
    mask(&mut f.remediation);
    f.evidence.iter_mut().for_each(mask);
    f.checks.iter_mut().for_each(mask);
}

/// Pods of one workload failing the same way are reported once, naming the other pods.
fn group_replicas(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings {
        let owner = f.related.first().filter(|r| r.kind != "Node");
        let same = out.iter_mut().find(|g| {
            g.object.kind == "Pod"
                && f.object.kind == "Pod"
                && g.analyzer == f.analyzer
                && g.title == f.title
                && g.object.namespace == f.object.namespace
                && owner.is_some()
                && g.related.first() == owner
        });
        match same {
            Some(g) => {
                let line = "same problem on pods:";
                match g.evidence.iter_mut().find(|e| e.starts_with(line)) {
                    Some(e) => e.push_str(&format!(", {}", f.object.name)),
                    None => g.evidence.push(format!("{line} {}", f.object.name)),
                }
            }
            None => out.push(f),
        }
    }
    out
}

/// The ranking used by [`analyze`].
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.severity, a.rank, &a.object, &a.title).cmp(&(b.severity, b.rank, &b.object, &b.title))
    });
}

/// Findings as short hint lines for a planner (no secret values ever reach a finding).
pub fn hints(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| {
            let mut s = format!("[{}] {}: {}", f.severity, f.object, f.title);
            for e in f.evidence.iter().take(3) {
                s.push_str("\n  - ");
                s.push_str(e);
            }
            if let Some(c) = f.checks.first() {
                s.push_str(&format!("\n  check: {c}"));
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::view::LogKey;
    use super::*;
    use serde_json::json;

    #[test]
    fn findings_never_quote_a_credential() {
        let mut view = ClusterView::new();
        view.insert_as(
            "Pod",
            json!({"metadata": {"name": "api-1", "namespace": "shop"},
                "spec": {"containers": [{"name": "api", "image": "api:1"}]},
                "status": {"containerStatuses": [{"name": "api", "restartCount": 5,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                        "message": "cannot connect with password=pl4ntedF01term"}}}]}}),
        );
        view.add_log(
            LogKey {
                namespace: "shop".into(),
                pod: "api-1".into(),
                container: "api".into(),
                previous: true,
            },
            "ERROR login failed: DB_PASSWORD=123456 rejected\nFATAL redis://:pl4ntedF02log@cache:6379 refused\n"
                .into(),
        );
        let findings = analyze(&view);
        assert!(!findings.is_empty());
        let text = serde_json::to_string(&findings).unwrap();
        for leak in ["pl4ntedF01term", "pl4ntedF02log", "123456"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
        assert!(
            text.contains("termination message: cannot connect with password="),
            "{text}"
        );
        for h in hints(&findings) {
            assert!(!h.contains("pl4nted"), "{h}");
        }
    }

    #[test]
    fn fetched_objects_are_sanitized_before_analyzers_read_them() {
        let mut pod = json!({"metadata": {"name": "p", "namespace": "shop", "annotations": {
                "tool.example/applied": "apiVersion: v1\nkind: 'Secret'\nstringData:\n  username: pl4ntedF03user\n"}},
            "spec": {"containers": [{"name": "c", "args": ["--password", "pl4ntedF04argv"],
                "env": [{"name": "DB_PASSWORD", "value": "123456"}, {"name": "MODE", "value": "prod"}]}]}});
        fetch::prepare_item("Pod", &mut pod);
        let text = pod.to_string();
        for leak in ["pl4ntedF03user", "pl4ntedF04argv", "123456"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
        assert!(
            text.contains("prod") && text.contains("\"kind\":\"Pod\""),
            "{text}"
        );
        let mut secret = json!({"metadata": {"name": "s", "annotations": {"copy": "pl4ntedF05copy"}},
            "data": {"k": "cGw0bnRlZEYwNWNvcHk="}});
        fetch::prepare_item("Secret", &mut secret);
        let text = secret.to_string();
        assert!(
            !text.contains("pl4ntedF05copy") && !text.contains("cGw0bnRl"),
            "{text}"
        );
        assert_eq!(secret["data"]["k"], "");
    }
}
