//! Shared pieces for pod-level analyzers.

use serde_json::Value;

use super::util::{meta_name, meta_namespace, ns_flag, owner};
use super::{Finding, ObjectRef, Severity};

/// A pod finding with the usual checks and the pod's owner as related object.
pub struct PodFinding<'a> {
    pub pod: &'a Value,
    pub analyzer: &'static str,
    pub severity: Severity,
    pub rank: u8,
}

impl PodFinding<'_> {
    pub fn build(
        &self,
        title: String,
        explanation: String,
        evidence: Vec<String>,
        remediation: String,
        mut checks: Vec<String>,
    ) -> Finding {
        let ns = meta_namespace(self.pod).unwrap_or("");
        let name = meta_name(self.pod);
        checks.insert(0, format!("describe pod {name}{}", ns_flag(ns)));
        let mut related = Vec::new();
        if let Some((kind, oname)) = owner(self.pod) {
            related.push(ObjectRef::new(kind, Some(ns), oname));
        }
        Finding {
            analyzer: self.analyzer.to_string(),
            severity: self.severity,
            object: ObjectRef::new("Pod", Some(ns), name),
            title,
            explanation,
            evidence,
            remediation,
            checks,
            related,
            rank: self.rank,
        }
    }
}

/// The workload a pod belongs to, in words: `deployment checkout` / `pod web-1`.
pub fn workload_name(pod: &Value) -> String {
    match owner(pod) {
        Some(("ReplicaSet", rs)) => match rs.rsplit_once('-') {
            Some((deploy, hash)) if hash.len() >= 5 => format!("deployment {deploy}"),
            _ => format!("replicaset {rs}"),
        },
        Some((kind, name)) => format!("{} {name}", kind.to_ascii_lowercase()),
        None => format!("pod {}", meta_name(pod)),
    }
}

/// What an exit code usually means.
pub fn exit_code_meaning(code: i64) -> &'static str {
    match code {
        0 => "exited successfully, but the container is expected to keep running",
        1 => "the application exited with a generic error",
        2 => "misuse of a shell builtin or invalid arguments",
        126 => "the command cannot be executed (permission or not executable)",
        127 => "the command was not found in the image",
        128 => "invalid exit argument",
        134 => "aborted (SIGABRT)",
        137 => "killed by SIGKILL (out of memory or a failed liveness probe)",
        139 => "segmentation fault (SIGSEGV)",
        143 => "terminated by SIGTERM",
        _ => "the application exited with an error",
    }
}
