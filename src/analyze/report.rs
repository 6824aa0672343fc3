//! A scan: every analyzer over a namespace or the whole cluster, rendered as a person reads
//! it or as one JSON document (`klue scan`, the MCP `scan` tool).

use std::time::{Duration, Instant};

use super::fetch::{FetchError, FetchOptions, fetch_view};
use super::{Finding, Severity, analyze};

/// What one scan found.
#[derive(Debug, Clone)]
pub struct Scan {
    /// The namespace scanned; `None` for every namespace.
    pub namespace: Option<String>,
    /// How many objects were read.
    pub objects: usize,
    /// Ranked findings (filtered by the minimum severity asked for).
    pub findings: Vec<Finding>,
    /// What could not be read (forbidden kinds, ...), one line each.
    pub skipped: Vec<String>,
    pub elapsed: Duration,
}

impl Scan {
    /// Fetch what the analyzers read, run them, keep the findings at least `min` severe.
    pub async fn run(
        client: &kube::Client,
        opts: &FetchOptions,
        min: Option<Severity>,
    ) -> Result<Scan, FetchError> {
        let started = Instant::now();
        let fetched = fetch_view(client, opts).await?;
        let mut findings = analyze(&fetched.view);
        if let Some(min) = min {
            findings.retain(|f| f.severity <= min);
        }
        Ok(Scan {
            namespace: opts.namespace.clone(),
            objects: fetched.view.len(),
            findings,
            skipped: fetched.skipped,
            elapsed: started.elapsed(),
        })
    }

    /// As text (see [`render_text`]), redacted: findings quote logs, events and specs.
    pub fn text(&self) -> String {
        crate::redact::redact(&render_text(
            &self.findings,
            &self.skipped,
            self.namespace.as_deref(),
            self.objects,
            self.elapsed,
        ))
    }

    /// As one JSON document: scope, objects, findings, skipped, duration; redacted.
    pub fn json(&self) -> serde_json::Value {
        let mut doc = serde_json::json!({
            "scope": self.namespace.as_deref().unwrap_or("all namespaces"),
            "objects": self.objects,
            "findings": self.findings,
            "skipped": self.skipped,
            "duration_ms": u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
        });
        crate::redact::redact_value(&mut doc);
        doc
    }
}

/// Parse a severity as people write it (`critical`, `warning`, `info`; any case).
pub fn parse_severity(s: &str) -> Result<Severity, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "critical" => Ok(Severity::Critical),
        "warning" | "warn" => Ok(Severity::Warning),
        "info" => Ok(Severity::Info),
        other => Err(format!(
            "unknown severity `{other}`: expected `critical`, `warning` or `info`"
        )),
    }
}

/// The findings as text: one block per finding, a summary line, what was not checked.
pub fn render_text(
    findings: &[Finding],
    skipped: &[String],
    namespace: Option<&str>,
    objects: usize,
    elapsed: std::time::Duration,
) -> String {
    let mut out = String::new();
    let scope = namespace
        .map(|n| format!("namespace {n}"))
        .unwrap_or_else(|| "all namespaces".into());
    if findings.is_empty() {
        out.push_str(&format!(
            "No problems found in {scope} ({objects} objects checked).\n"
        ));
    }
    for f in findings {
        let sev = match f.severity {
            Severity::Critical => "CRITICAL",
            Severity::Warning => "WARNING ",
            Severity::Info => "INFO    ",
        };
        out.push_str(&format!("{sev} {}: {}\n", f.object, f.title));
        for e in &f.evidence {
            out.push_str(&format!("         - {e}\n"));
        }
        out.push_str(&format!("         fix: {}\n", f.remediation));
        if let Some(c) = f.checks.first() {
            out.push_str(&format!("         see: klue query '{c}'\n"));
        }
        out.push('\n');
    }
    if !findings.is_empty() {
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        out.push_str(&format!(
            "{} findings in {scope} ({} critical, {} warning, {} info; {objects} objects checked in {:.2}s)\n",
            findings.len(),
            count(Severity::Critical),
            count(Severity::Warning),
            count(Severity::Info),
            elapsed.as_secs_f64()
        ));
    }
    for s in skipped {
        out.push_str(&format!("not checked: {s}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_parse_in_any_case_and_unknown_ones_are_named() {
        assert_eq!(parse_severity("Critical"), Ok(Severity::Critical));
        assert_eq!(parse_severity(" warning "), Ok(Severity::Warning));
        assert_eq!(parse_severity("info"), Ok(Severity::Info));
        let err = parse_severity("fatal").unwrap_err();
        assert!(err.contains("`fatal`"), "{err}");
    }

    #[test]
    fn no_findings_says_what_was_checked() {
        let text = render_text(
            &[],
            &["nodes: forbidden".into()],
            Some("shop"),
            7,
            Default::default(),
        );
        assert!(
            text.contains("No problems found in namespace shop (7 objects checked)"),
            "{text}"
        );
        assert!(text.contains("not checked: nodes: forbidden"), "{text}");
    }
}
