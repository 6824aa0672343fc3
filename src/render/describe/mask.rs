//! Masking of credential-looking environment values: a describe output is read by people
//! and models, and must not carry passwords or tokens written inline in a Pod spec.

use std::sync::LazyLock;

use regex::Regex;

/// What is shown instead of a masked value.
pub const MASKED: &str = "<masked: looks like a credential>";

static NAME: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(passw(or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|auth|session[_-]?key|signing[_-]?key|client[_-]?key|dsn|conn(ection)?[_-]?str)",
    )
    .ok()
});

static VALUE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.)", // JWT
        r"|(\b(AKIA|ASIA)[0-9A-Z]{16}\b)",              // AWS access key id
        r"|(-----BEGIN [A-Z ]*PRIVATE KEY-----)",       // PEM private key
        r"|([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:[^/\s@]+@)", // credentials in a URL
        r"|(\b(ghp|gho|ghs|ghu|glpat|xox[baprs])[-_][A-Za-z0-9_-]{10,})", // forge/chat tokens
        r"|(\bsk-[A-Za-z0-9_-]{20,})",                  // API secret keys
        r"|((?i)(password|passwd|pwd|secret|token)\s*[=:]\s*\S+)", // key=value pairs
    ))
    .ok()
});

/// Whether an environment variable with this name and literal value should be masked.
pub fn is_credential(name: &str, value: &str) -> bool {
    if value.is_empty() {
        return false;
    }
    let by_name = NAME.as_ref().is_some_and(|re| re.is_match(name));
    let by_value = VALUE.as_ref().is_some_and(|re| re.is_match(value));
    by_name || by_value
}

/// The value to display for a literal environment variable.
pub fn env_value<'a>(name: &str, value: &'a str) -> &'a str {
    if is_credential(name, value) {
        MASKED
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_by_name_and_by_value() {
        assert!(is_credential("API_TOKEN", "tok-123"));
        assert!(is_credential("DB_PASSWORD", "hunter2"));
        assert!(is_credential("AWS_ACCESS_KEY_ID", "AKIAABCDEFGHIJKLMNOP"));
        assert!(is_credential(
            "DATABASE_URL",
            "postgres://app:s3cret@db:5432/app"
        ));
        assert!(is_credential(
            "X",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc"
        ));
        assert!(!is_credential("MODE", "prod"));
        assert!(!is_credential("LOG_LEVEL", "debug"));
        assert!(!is_credential("PASSWORD_FILE_EMPTY", ""));
        assert_eq!(env_value("MODE", "prod"), "prod");
        assert_eq!(env_value("API_KEY", "abc"), MASKED);
    }
}
