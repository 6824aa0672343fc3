//! The export's "API calls" section: every request the session sent to the cluster, and the
//! sum that proves it read only (N requests: all GET, except M self-subject reviews).

use std::fmt::Write;

use serde::Serialize;

use crate::protocol::{ApiCall, ApiCalls};

/// The calls of one recording.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApiCallLog {
    pub summary: CallSummary,
    pub calls: Vec<ApiCall>,
}

/// Sums over a session's calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallSummary {
    pub requests: u64,
    pub gets: u64,
    /// POSTs of self-subject access/rules reviews (`auth can-i`, `auth whoami`).
    pub reviews: u64,
    /// Anything else: never expected (the GET-only layer sits above the log).
    pub other: u64,
    /// Answered with an error status, or not answered.
    pub failed: u64,
    pub bytes: u64,
    /// Sent but not kept in the recording (over the log's bound).
    pub dropped: u64,
}

/// Whether a call is the POST of a self-subject review.
pub fn is_review(call: &ApiCall) -> bool {
    call.method == "POST"
        && (call.path.ends_with("/selfsubjectaccessreviews")
            || call.path.ends_with("/selfsubjectrulesreviews")
            || call.path.ends_with("/selfsubjectreviews"))
}

impl ApiCallLog {
    /// Add one recorded batch.
    pub fn add(&mut self, batch: &ApiCalls) {
        let s = &mut self.summary;
        s.dropped += batch.dropped;
        s.requests += batch.dropped;
        for c in &batch.calls {
            s.requests += 1;
            s.bytes += c.bytes;
            if c.method == "GET" {
                s.gets += 1;
            } else if is_review(c) {
                s.reviews += 1;
            } else {
                s.other += 1;
            }
            if c.status.is_none_or(|st| st >= 400) {
                s.failed += 1;
            }
            self.calls.push(c.clone());
        }
    }

    /// `42 requests: all GET, except 1 self-subject review`.
    pub fn sentence(&self) -> String {
        let s = &self.summary;
        let plural = |n: u64, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let mut out = format!("{}: ", plural(s.requests, "request"));
        if s.other == 0 {
            out.push_str("all GET");
            if s.reviews > 0 {
                let _ = write!(out, ", except {}", plural(s.reviews, "self-subject review"));
            }
        } else {
            let _ = write!(
                out,
                "{} GET, {}, and {} OTHER (not read-only)",
                s.gets,
                plural(s.reviews, "self-subject review"),
                s.other
            );
        }
        if s.dropped > 0 {
            let _ = write!(out, " ({} not itemised)", s.dropped);
        }
        out
    }

    /// The Markdown section (none for recordings that hold no calls: older recordings did
    /// not keep them, and "0 requests" would claim what is not known).
    pub fn markdown(&self, o: &mut String) {
        if self.summary.requests == 0 {
            return;
        }
        o.push_str("## API calls\n\n");
        let s = &self.summary;
        let _ = writeln!(
            o,
            "{}; {} failed; {} KiB received.\n",
            self.sentence(),
            s.failed,
            s.bytes / 1024
        );
        if self.calls.is_empty() {
            return;
        }
        o.push_str("| # | method | path | status | ms | bytes |\n|---|---|---|---|---|---|\n");
        for (i, c) in self.calls.iter().enumerate() {
            let status = c.status.map_or("—".to_string(), |s| s.to_string());
            let path = c.path.replace('|', "\\|").replace('`', "'");
            let _ = writeln!(
                o,
                "| {} | {} | `{path}` | {status} | {} | {} |",
                i + 1,
                c.method,
                c.duration_ms,
                c.bytes
            );
        }
        o.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(m: &str, p: &str, st: u16) -> ApiCall {
        ApiCall {
            method: m.into(),
            path: p.into(),
            status: Some(st),
            duration_ms: 1,
            bytes: 10,
        }
    }

    #[test]
    fn sums_and_the_sentence() {
        let mut log = ApiCallLog::default();
        log.add(&ApiCalls {
            id: None,
            calls: vec![
                call("GET", "/api/v1/pods", 200),
                call("GET", "/api/v1/pods/x", 404),
                call(
                    "POST",
                    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                    201,
                ),
            ],
            dropped: 0,
        });
        let s = &log.summary;
        assert_eq!(
            (s.requests, s.gets, s.reviews, s.other, s.failed, s.bytes),
            (3, 2, 1, 0, 1, 30)
        );
        assert_eq!(
            log.sentence(),
            "3 requests: all GET, except 1 self-subject review"
        );
        log.add(&ApiCalls {
            id: None,
            calls: vec![call("DELETE", "/api/v1/pods/x", 200)],
            dropped: 0,
        });
        assert!(log.sentence().contains("1 OTHER (not read-only)"));
        let mut md = String::new();
        log.markdown(&mut md);
        assert!(md.starts_with("## API calls\n\n4 requests"), "{md}");
        assert!(
            md.contains("| 4 | DELETE | `/api/v1/pods/x` | 200 | 1 | 10 |"),
            "{md}"
        );
    }
}
