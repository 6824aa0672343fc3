//! The one credential vocabulary: which *names* announce a secret value (env vars, map keys,
//! flags), shared by every masker (the text rules, Secret and ConfigMap masking, describe's
//! env masking, snapshot capture).
//!
//! A name is split into words (`DB_PASSWORD` → `db password`, `clientSecret` → `client
//! secret`) and is sensitive when its *last* word is a credential word (`SMTP_PASS`,
//! `AWS_CREDS`, `GPG_PASSPHRASE`), or its last two words make one (`API_KEY`,
//! `accessKey`, `private_key_id`). So `passwordPolicy`, `PASSWORD_FILE`, `tokenTTL` and
//! `secretName` are not: they name something about a secret, not the secret.

/// What a masked annotation or label becomes (a copy of Secret data).
pub const COPY_MASK: &str = "<redacted: holds Secret data>";

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

/// Words that, anywhere in a name, say its value is a size, a limit or a duration
/// (`max_password_length`, `tokenTTL`, `AUTH_TIMEOUT`): a short number under such a name
/// carries no secret. Under any other name (`DB_PASSWORD=123456`) a number is a value.
const SIZE_WORDS: &[&str] = &[
    "length",
    "len",
    "max",
    "min",
    "count",
    "ttl",
    "timeout",
    "size",
    "port",
    "retries",
    "retry",
    "rounds",
    "expiry",
    "expires",
    "expiration",
    "lifetime",
    "age",
    "limit",
    "bits",
    "iterations",
    "interval",
    "duration",
    "seconds",
    "secs",
    "minutes",
    "hours",
    "days",
    "attempts",
    "version",
];

/// Whether a name is clearly that of a size, limit or duration (see [`SIZE_WORDS`]).
pub fn is_size_name(name: &str) -> bool {
    words(name).iter().any(|w| SIZE_WORDS.contains(&w.as_str()))
}

/// Whether `value`, found under `name`, carries no secret whatever the name says: the one
/// check every masker applies (text rules, env, args, ConfigMaps, describe).
///
/// Harmless: empty values, masks (klue's and kubectl's), booleans and nulls, YAML block
/// markers and the opening of a nested structure, placeholders (`<set to the key …>`,
/// `${VAR}`, `$(VAR)`, `$VAR`, `{{ .Values.x }}`), and a short number (up to 6 digits)
/// under a name that is clearly a size or a limit. Not harmless: `changeme`-like
/// placeholder *passwords* (they are the password), hashes (`$apr1$…`, `{SHA}…`) and
/// numbers under any other name.
pub fn is_harmless_value(name: &str, value: &str) -> bool {
    let v = value
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '`' | '\\'))
        .trim();
    if v.is_empty()
        || v.contains(super::MASK)
        || v.contains(COPY_MASK)
        || v.starts_with("<redacted")
        || v.starts_with("<masked")
        || matches!(
            v,
            "REDACTED" | "[REDACTED" | "DATA+OMITTED" | "{" | "[" | "{}" | "[]"
        )
    {
        return true;
    }
    if matches!(
        v.to_ascii_lowercase().as_str(),
        "true"
            | "false"
            | "null"
            | "~"
            | "none"
            | "|"
            | ">"
            | "|-"
            | ">-"
            | "|+"
            | ">+"
            | "required"
            | "optional"
    ) {
        return true;
    }
    if is_placeholder(v) {
        return true;
    }
    v.len() <= 6 && v.bytes().all(|b| b.is_ascii_digit()) && is_size_name(name)
}

/// A reference to a value kept elsewhere, not the value: `<set to the key 'p' in secret
/// 'db'>`, `<none>`, `${DB_PASSWORD}`, `$(DB_PASSWORD)`, `$DB_PASSWORD`, `{{ .Values.pw }}`.
fn is_placeholder(v: &str) -> bool {
    if v.starts_with('<') || v.starts_with("{{") || v.starts_with("${") || v.starts_with("$(") {
        return true;
    }
    // `$NAME` as the whole value; `$apr1$…`, `$2y$…` are hashes
    v.strip_prefix('$').is_some_and(|rest| {
        rest.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The regex alternation of credential words for text rules that see `key=value` pairs
/// (`password=…`, `"apiKey": "…"`, `--token …`), built from the word lists above. A key
/// that ends with one of them is a candidate; [`is_secret_name`] decides (so `bypass`,
/// `passwordPolicy` and `tokenTTL` stay).
pub fn key_words_pattern() -> &'static str {
    static PATTERN: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let mut alts: Vec<String> = LAST_WORDS
            .iter()
            .chain(GLUED_SUFFIXES)
            .map(|w| regex::escape(w))
            .collect();
        let qualifiers = KEY_QUALIFIERS
            .iter()
            .map(|q| regex::escape(q))
            .collect::<Vec<_>>()
            .join("|");
        alts.push(format!(r"(?:{qualifiers})[_.\-]?key"));
        alts.push(r"private[_.\-]?key[_.\-]?id".into());
        alts.push(r"connection[_.\-]?string".into());
        alts.push(r"conn[_.\-]?str".into());
        // longest first: the alternation prefers the whole word
        alts.sort_by_key(|a| std::cmp::Reverse(a.len()));
        alts.dedup();
        alts.join("|")
    });
    PATTERN.as_str()
}

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
    fn harmless_values() {
        for (n, v) in [
            ("DB_PASSWORD", ""),
            ("DB_PASSWORD", "[REDACTED]"),
            ("password", "<set to the key 'password' in secret 'db'>"),
            ("password", "${DB_PASSWORD}"),
            ("password", "$(DB_PASSWORD)"),
            ("password", "$DB_PASSWORD"),
            ("password", "{{ .Values.db.password }}"),
            ("ENABLE_AUTH", "true"),
            ("token", "null"),
            ("max_password_length", "64"),
            ("tokenTTL", "3600"),
            ("AUTH_TIMEOUT", "30"),
            ("bcrypt_rounds", "12"),
            ("secret", "|"),
        ] {
            assert!(is_harmless_value(n, v), "{n}={v} should be harmless");
        }
        for (n, v) in [
            ("DB_PASSWORD", "123456"),
            ("pin_secret", "0000"),
            ("API_TOKEN", "42"),
            ("", "123456"),
            ("password", "changeme"),
            ("password", "$apr1$salt$hash"),
            ("password", "$2y$10$abcdefgh"),
            ("password", "{SHA}abcdef="),
            ("password", "hunter2"),
        ] {
            assert!(!is_harmless_value(n, v), "{n}={v} should not be harmless");
        }
    }

    #[test]
    fn the_text_pattern_comes_from_the_word_lists() {
        let p = key_words_pattern();
        for w in LAST_WORDS.iter().chain(GLUED_SUFFIXES) {
            assert!(p.split('|').any(|a| a == *w), "{w} not in {p}");
        }
        let re = regex::Regex::new(&format!("(?i)^[a-z0-9_.\\-]*(?:{p})$")).unwrap();
        // every secret name ends with a word of the pattern
        for n in [
            "DB_PASSWORD",
            "REDIS_PW",
            "session_cookie",
            "x-api-key",
            "AccountKey",
            "private_key_id",
            "connection_string",
            "SharedAccessKey",
            "pwd_salt",
        ] {
            assert!(is_secret_name(n) && re.is_match(n), "{n}");
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
