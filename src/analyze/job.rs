//! Failed Jobs: BackoffLimitExceeded, DeadlineExceeded.

use super::pod::exit_code_meaning;
use super::util::{
    arr, condition, explaining_log_lines, int, meta_name, meta_namespace, ns_flag, owner, s, sp,
};
use super::{ClusterView, Finding, ObjectRef, Severity};

/// A CronJob's failed run that a later run of the same CronJob completed after: history the
/// CronJob keeps (`failedJobsHistoryLimit`), not a failure that stands.
fn superseded(view: &ClusterView, job: &serde_json::Value) -> bool {
    let Some(("CronJob", cron)) = owner(job) else {
        return false;
    };
    let ns = meta_namespace(job).unwrap_or("");
    let started =
        |j: &serde_json::Value| sp(j, "/status/startTime").parse::<jiff::Timestamp>().ok();
    let Some(failed_at) = started(job) else {
        return false;
    };
    view.in_namespace("Job", ns).any(|other| {
        owner(other) == Some(("CronJob", cron))
            && condition(other, "Complete").is_some_and(|(st, _, _)| st == "True")
            && started(other).is_some_and(|t| t > failed_at)
    })
}

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for job in view.all("Job") {
        let Some((_, reason, msg)) = condition(job, "Failed").filter(|(st, _, _)| *st == "True")
        else {
            continue;
        };
        let ns = meta_namespace(job).unwrap_or("");
        let name = meta_name(job);
        if superseded(view, job) {
            continue;
        }
        let mut evidence = vec![
            format!("condition Failed=True ({reason}): {msg}"),
            format!(
                "failed pods: {}, backoffLimit: {}",
                int(job, "/status/failed").unwrap_or(0),
                int(job, "/spec/backoffLimit").unwrap_or(6)
            ),
        ];
        let mut checks = vec![format!("describe job {name}{}", ns_flag(ns))];
        let mut related = Vec::new();
        let pods: Vec<_> = view
            .in_namespace("Pod", ns)
            .filter(|p| {
                owner(p).is_some_and(|(k, n)| k == "Job" && n == name)
                    || sp(p, "/metadata/labels/job-name") == name
            })
            .collect();
        let mut log_hint = String::new();
        if let Some(p) = pods.last() {
            let pn = meta_name(p);
            related.push(ObjectRef::new("Pod", Some(ns), pn));
            for c in arr(p, "/status/containerStatuses") {
                let t = c
                    .pointer("/state/terminated")
                    .or_else(|| c.pointer("/lastState/terminated"));
                if let Some(code) = t.and_then(|t| int(t, "/exitCode")).filter(|c| *c != 0) {
                    evidence.push(format!(
                        "pod {pn} container {}: exit code {code} ({})",
                        s(c, "name"),
                        exit_code_meaning(code)
                    ));
                }
                if let Some(log) = view.any_log(ns, pn, s(c, "name")) {
                    for l in explaining_log_lines(log, 3) {
                        log_hint = l.clone();
                        evidence.push(format!("log: {l}"));
                    }
                }
                checks.push(format!("logs {pn}{} -c {}", ns_flag(ns), s(c, "name")));
            }
        }
        let (title, explanation) = if reason == "DeadlineExceeded" {
            (
                "job exceeded its activeDeadlineSeconds".to_string(),
                "The job ran longer than spec.activeDeadlineSeconds and was stopped.".to_string(),
            )
        } else {
            (
                format!("job failed: {}", if reason.is_empty() { "Failed" } else { reason }),
                "The job's pods failed more times than spec.backoffLimit allows, so the job gave up.".to_string(),
            )
        };
        let owner_txt = owner(job)
            .map(|(k, n)| format!(" (created by {} {n})", k.to_ascii_lowercase()))
            .unwrap_or_default();
        out.push(Finding {
            analyzer: "job".into(),
            severity: Severity::Critical,
            object: ObjectRef::new("Job", Some(ns), name),
            title,
            explanation: format!("{explanation}{owner_txt}"),
            evidence,
            remediation: if log_hint.is_empty() {
                "Read the failed pods' logs to find why the job's command exits non-zero, fix it, then re-run the job.".into()
            } else {
                format!("Fix what the job's logs report (\"{log_hint}\"), then re-run the job.")
            },
            checks,
            related,
            rank: 10,
        });
    }
    out
}
