//! CronJobs that are suspended, have an invalid schedule, or whose last job failed.

use super::util::{condition, meta_name, meta_namespace, ns_flag, owner, sp};
use super::{ClusterView, Finding, ObjectRef, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    // Annotation words that say a suspension is meant to last.
    let intended = regex::Regex::new(
        r"(?i)\b(?:on purpose|intentional(?:ly)?|deliberate(?:ly)?|retired|decommissioned|deprecated|do not (?:resume|enable|unsuspend)|kept for rollback)\b",
    )
    .ok();
    let mut out = Vec::new();
    for cj in view.all("CronJob") {
        let ns = meta_namespace(cj).unwrap_or("");
        let name = meta_name(cj);
        let schedule = sp(cj, "/spec/schedule");
        let base = |sev, rank, title: String| Finding {
            analyzer: "cronjob".into(),
            severity: sev,
            object: ObjectRef::new("CronJob", Some(ns), name),
            title,
            explanation: String::new(),
            evidence: vec![format!("schedule: {schedule}")],
            remediation: String::new(),
            checks: vec![format!("describe cronjob {name}{}", ns_flag(ns))],
            related: Vec::new(),
            rank,
        };
        // Suspended, unless its annotations say so on purpose (retired, kept for rollback):
        // a pause for maintenance ("resume after the cut-over") is still reported.
        let on_purpose = cj
            .pointer("/metadata/annotations")
            .and_then(serde_json::Value::as_object)
            .is_some_and(|a| {
                a.values()
                    .filter_map(serde_json::Value::as_str)
                    .any(|v| intended.as_ref().is_some_and(|r| r.is_match(v)))
            });
        if cj
            .pointer("/spec/suspend")
            .and_then(serde_json::Value::as_bool)
            == Some(true)
            && !on_purpose
        {
            let mut f = base(
                Severity::Info,
                60,
                "cronjob is suspended: no jobs are scheduled".into(),
            );
            f.explanation = "spec.suspend is true, so the controller creates no new jobs.".into();
            f.evidence.push("spec.suspend: true".into());
            let last = sp(cj, "/status/lastScheduleTime");
            if !last.is_empty() {
                f.evidence.push(format!("last scheduled: {last}"));
            }
            f.remediation =
                format!("If it should run, set spec.suspend to false on cronjob {name}.");
            out.push(f);
        }
        let fields = schedule.split_whitespace().count();
        if !schedule.starts_with('@') && fields != 5 && !schedule.is_empty() {
            let mut f = base(
                Severity::Critical,
                10,
                format!("invalid schedule {schedule:?}"),
            );
            f.explanation = "A cron schedule has five fields (minute hour day-of-month month day-of-week) or is a macro like @hourly.".into();
            f.remediation = "Fix spec.schedule.".into();
            out.push(f);
        }
        let mut jobs: Vec<_> = view
            .in_namespace("Job", ns)
            .filter(|j| owner(j).is_some_and(|(k, n)| k == "CronJob" && n == name))
            .collect();
        jobs.sort_by_key(|j| sp(j, "/metadata/creationTimestamp").to_string());
        if let Some(last) = jobs.last()
            && let Some((_, reason, msg)) =
                condition(last, "Failed").filter(|(st, _, _)| *st == "True")
        {
            let jn = meta_name(last);
            let mut f = base(
                Severity::Warning,
                20,
                format!("last job {jn} failed ({reason})"),
            );
            f.explanation = "The most recent run of this cronjob failed.".into();
            f.evidence.push(format!("job {jn}: {msg}"));
            f.remediation =
                format!("See why job {jn} failed (its pods' logs) and fix the job template.");
            f.related.push(ObjectRef::new("Job", Some(ns), jn));
            f.checks.push(format!("describe job {jn}{}", ns_flag(ns)));
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn suspended(annotation: &str) -> Vec<Finding> {
        let mut v = ClusterView::default();
        v.insert(json!({
            "kind": "CronJob",
            "metadata": {"name": "report", "namespace": "ops",
                         "annotations": {"ops/status": annotation}},
            "spec": {"schedule": "0 1 * * *", "suspend": true}
        }));
        analyze(&v)
    }

    #[test]
    fn a_pause_is_reported_a_retirement_is_not() {
        assert_eq!(
            suspended("paused for the warehouse migration, resume after cut-over").len(),
            1
        );
        assert!(suspended("retired: replaced by sitemap-service, suspended on purpose").is_empty());
    }
}
