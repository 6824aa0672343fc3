//! Masking of credential-looking environment values: a describe output is read by people
//! and models, and must not carry passwords or tokens written inline in a Pod spec.

use crate::redact;

/// What is shown instead of a masked value.
pub const MASKED: &str = "<masked: looks like a credential>";

/// Whether an environment variable with this name and literal value should be masked: its
/// name is in the credential vocabulary, or the redaction pass finds a credential in it.
pub fn is_credential(name: &str, value: &str) -> bool {
    if value.is_empty() {
        return false;
    }
    // already masked when the object was sanitized
    if value.starts_with("<redacted: ") {
        return true;
    }
    (redact::vocabulary::is_secret_name(name)
        && !redact::vocabulary::is_harmless_value(name, value))
        || redact::redact(value) != value
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
        assert!(is_credential("SMTP_PASS", "x1"));
        assert!(is_credential("AWS_CREDS", "x1"));
        assert!(is_credential("GPGPASSPHRASE", "x1"));
        assert!(is_credential("CACHE_URL", "redis://:pw-123@cache:6379"));
        assert!(!is_credential("PASSWORD_POLICY", "strict"));
        assert!(!is_credential("MOTD", "pass the test"));
        // one harmless-value rule: numbers are values under a credential name
        assert!(is_credential("DB_PASSWORD", "123456"));
        assert!(!is_credential("PASSWORD_MAX_LENGTH", "64"));
        assert!(!is_credential("ENABLE_AUTH", "true"));
        assert!(!is_credential("DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)"));
        assert_eq!(env_value("MODE", "prod"), "prod");
        assert_eq!(env_value("API_KEY", "abc"), MASKED);
    }
}
