//! One place that masks secrets, used before anything reaches the model or a recording.
//!
//! What is masked (the value is replaced by [`MASK`], the key or armour kept so the reader
//! still knows *what* was there):
//! - Secret objects' `data` / `stringData` values, in YAML, pretty JSON, compact JSON inside
//!   annotations (last-applied-configuration) and parsed objects;
//! - container env values whose name announces a secret (`DB_PASSWORD`, `API_TOKEN`, ...);
//! - PEM blocks (private keys, certificates), with real or escaped newlines;
//! - bearer and basic credentials, JWTs;
//! - cloud and vendor keys: AWS access key ids, GCP API keys, GitHub, Slack, Stripe, OpenAI,
//!   GitLab tokens; secret keys and Azure connection-string parts through their key names;
//! - `password=…`, `token: …`, `"apiKey": "…"`, `--password …` style pairs;
//! - credentials inside URLs (`scheme://user:pass@host`).
//!
//! Which names announce a secret, and which values carry none whatever the name says
//! (`true`, a placeholder, a short number under a size name), is decided in one place,
//! [`vocabulary`], for every masker.

pub mod object;
mod patterns;
mod structured;
pub mod untrusted;
pub mod vocabulary;

use serde_json::Value;

/// What a secret is replaced with.
pub const MASK: &str = "[REDACTED]";

/// Mask every secret klue recognises in `text`.
pub fn redact(text: &str) -> String {
    let blocks = structured::redact_blocks(text);
    let compact = structured::redact_compact(&blocks);
    patterns::redact_text(&compact).into_owned()
}

/// Mask secrets in a parsed object (Secret data, sensitive env values, every string).
pub fn redact_value(value: &mut Value) {
    structured::redact_value(value);
}

/// [`redact_value`], saying what it removed (snapshot capture reports it).
pub fn redact_value_counted(value: &mut Value) -> Removed {
    structured::redact_value(value)
}

/// [`redact`], adding how many credentials it masked to `removed`.
pub fn redact_counted(text: &str, removed: &mut Removed) -> String {
    let out = redact(text);
    if out != text {
        let before = text.matches(MASK).count();
        removed.text_matches += out.matches(MASK).count().saturating_sub(before).max(1);
    }
    out
}

/// Whether an env var or key name announces a secret value (`DB_PASSWORD`, `api_key`).
pub fn is_sensitive_name(name: &str) -> bool {
    vocabulary::is_secret_name(name)
}

pub use object::{Removed, mask_object};

#[cfg(test)]
mod tests;
