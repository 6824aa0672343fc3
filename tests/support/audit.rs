//! Reading the apiserver's audit log (policy: every request at level Metadata).

use std::path::Path;

/// One audit event, as far as the tests care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub audit_id: String,
    /// `RequestReceived`, `ResponseComplete`, `Panic`, ...
    pub stage: String,
    /// get, list, watch, create, update, patch, delete, deletecollection, ...
    pub verb: String,
    pub request_uri: String,
    pub user: String,
    pub user_agent: String,
    /// The response code (absent at `RequestReceived`).
    pub code: Option<u16>,
}

/// Every entry in the audit log so far (partial last lines are skipped).
pub fn read(path: &Path) -> std::io::Result<Vec<AuditEntry>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().filter_map(parse_line).collect())
}

fn parse_line(line: &str) -> Option<AuditEntry> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let s = |p: &str| {
        v.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    Some(AuditEntry {
        audit_id: s("/auditID"),
        stage: s("/stage"),
        verb: s("/verb"),
        request_uri: s("/requestURI"),
        user: s("/user/username"),
        user_agent: s("/userAgent"),
        code: v
            .pointer("/responseStatus/code")
            .and_then(|c| c.as_u64())
            .and_then(|c| u16::try_from(c).ok()),
    })
}

/// Requests made by `user`, one entry per request (the `RequestReceived` stage).
pub fn requests_by(entries: &[AuditEntry], user: &str) -> Vec<AuditEntry> {
    entries
        .iter()
        .filter(|e| e.user == user && e.stage == "RequestReceived")
        .cloned()
        .collect()
}
