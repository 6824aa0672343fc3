//! The one credential vocabulary: which *names* announce a secret value (env vars, map keys,
//! flags), shared by every masker (the text rules, Secret and ConfigMap masking, describe's
//! env masking, snapshot capture).
//!
//! A name is split into words (`DB_PASSWORD` → `db password`, `clientSecret` → `client
//! secret`) and is sensitive when its *last* word is a credential word (`SMTP_PASS`,
//! `AWS_CREDS`, `GPG_PASSPHRASE`), or its last two words make one (`API_KEY`,
//! `accessKey`, `private_key_id`). So `passwordPolicy`, `PASSWORD_FILE`, `tokenTTL` and
//! `secretName` are not: they name something about a secret, not the secret.

/// Words that, last in a name, announce a secret value.
const LAST_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pass",
    "pwd",
    "pw",
    "secret",
    "token",
    "credential",
    "credentials",
    "creds",
    "cred",
    "apikey",
    "dsn",
    "auth",
    "cookie",
    "salt",
    "signature",
    "sig",
    "connectionstring",
    "connstr",
];

/// `<qualifier> key` pairs that name a key used as a credential (`API_KEY`, `accessKey`).
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "signing",
    "encryption",
    "master",
    "account",
    "client",
    "session",
    "shared",
    "license",
    "webhook",
    "hmac",
    "ssh",
    "gpg",
    "pgp",
];

/// Words that, anywhere in a run of letters, carry the meaning on their own even when the
/// name is written without separators (`GPGPASSPHRASE`, `dbpassword`, `MYAPITOKEN`).
const GLUED_SUFFIXES: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "credentials",
    "creds",
];

/// The words of a name: split on non-alphanumerics and lower-to-upper case changes.
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a name (env var, map key, flag without its dashes) announces a secret value.
pub fn is_secret_name(name: &str) -> bool {
    let w = words(name);
    let Some(last) = w.last().map(String::as_str) else {
        return false;
    };
    if LAST_WORDS.contains(&last) || GLUED_SUFFIXES.iter().any(|s| last.ends_with(s)) {
        return true;
    }
    let before = w.len().checked_sub(2).map(|i| w[i].as_str());
    // `API_KEY`, `accessKey`, `SECRET_KEY`, `privatekey`
    if last == "key" && before.is_some_and(|b| KEY_QUALIFIERS.contains(&b)) {
        return true;
    }
    if KEY_QUALIFIERS
        .iter()
        .any(|q| last.len() == q.len() + 3 && last.starts_with(q) && last.ends_with("key"))
    {
        return true;
    }
    // `private_key_id`, `connection_string`, `conn_str`
    if let Some(b) = before {
        let pair = format!("{b}{last}");
        if pair == "connectionstring" || pair == "connstr" {
            return true;
        }
        if pair == "keyid" && w.len() >= 3 && w[w.len() - 3] == "private" {
            return true;
        }
    }
    false
}

/// The regex alternation of credential words for text rules that see `key=value` pairs
/// (`password=…`, `"apiKey": "…"`, `--token …`): a key matches when it *ends* with one.
pub const KEY_WORDS_PATTERN: &str = r"password|passwd|passphrase|[_.\-]pass|pwd|secret|token|apikey|api[_-]?key|(?:access|secret|private|signing|encryption|master|account|shared[_-]?access|session|client|license|webhook|hmac)[_-]?key|private[_-]?key[_-]?id|credentials?|creds|auth|signature|sig|dsn|connection[_-]?string|conn[_-]?str";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "DB_PASSWORD",
            "password",
            "SMTP_PASS",
            "AWS_CREDS",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "GPG_PASSPHRASE",
            "GPGPASSPHRASE",
            "KEYSTOREPASSPHRASE",
            "api_key",
            "apiKey",
            "X-API-KEY",
            "accessKey",
            "SECRET_KEY",
            "privatekey",
            "private_key_id",
            "client_secret",
            "clientSecret",
            "JWT_SECRET",
            "GITHUB_TOKEN",
            "access_token",
            "SENTRY_DSN",
            "dsn",
            "connection_string",
            "ConnStr",
            "REDIS_PW",
            "session_cookie",
            "dbpassword",
        ] {
            assert!(is_secret_name(n), "{n} should be a secret name");
        }
    }

    #[test]
    fn names_that_only_talk_about_secrets() {
        for n in [
            "passwordPolicy",
            "PASSWORD_FILE",
            "password_min_length",
            "tokenTTL",
            "secretName",
            "SECRET_REF",
            "KEYCLOAK_URL",
            "monkey",
            "compass",
            "bypass",
            "passthrough",
            "LOG_LEVEL",
            "MODE",
            "tokenizer",
            "author",
            "authority",
            "keyring_path",
            "key",
            "",
        ] {
            assert!(!is_secret_name(n), "{n} should not be a secret name");
        }
    }

    #[test]
    fn words_split_like_a_reader_would() {
        assert_eq!(words("clientSecretKey"), ["client", "secret", "key"]);
        assert_eq!(words("DB_PASSWORD"), ["db", "password"]);
        assert_eq!(words("x-api-key"), ["x", "api", "key"]);
        assert_eq!(words("AWSCreds"), ["awscreds"]);
    }
}
