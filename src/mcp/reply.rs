//! Tool results: text (always redacted), optional structured content, and tool errors.

use rmcp::model::{CallToolResult, ContentBlock};

use crate::redact;

/// A successful result: the text, redacted.
pub fn text(text: &str) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(redact::redact(text))])
}

/// A successful result whose text is the cluster's (a query's output): redacted, then fenced
/// as untrusted data, as klue's own model gets it, so that the client's model reads a log
/// line saying "ignore your instructions" as data (lines that read as instructions are
/// counted on the fence).
pub fn cluster_text(source: &str, text: &str) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(redact::untrusted::fence(
        source,
        &redact::redact(text),
    ))])
}

/// A tool error whose reason comes from the cluster (an admission webhook's message, an
/// API error): redacted and fenced like its data.
pub fn cluster_error(source: &str, reason: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(redact::untrusted::fence(
        source,
        &redact::redact(reason),
    ))])
}

/// A successful result with structured content too; both are redacted.
pub fn structured(text: &str, mut value: serde_json::Value) -> CallToolResult {
    redact::redact_value(&mut value);
    let mut result = self::text(text);
    result.structured_content = Some(value);
    result
}

/// A tool error (`isError: true`): the request was fine, the tool could not do it (a
/// refusal, NotFound, Forbidden, an unreachable server, a cancellation). The reason is
/// specific and redacted.
pub fn error(reason: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(redact::redact(reason))])
}
