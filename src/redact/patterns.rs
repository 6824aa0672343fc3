//! Secrets recognisable in free text: tokens, keys, PEM blocks, `key=value` pairs, URLs.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::MASK;

/// One rule: a pattern and how to rewrite a match.
struct Rule {
    name: &'static str,
    re: Option<Regex>,
    rewrite: fn(&Captures) -> String,
}

fn compile(name: &'static str, pattern: &str) -> Option<Regex> {
    match Regex::new(pattern) {
        Ok(re) => Some(re),
        Err(err) => {
            // A bad pattern is a bug in klue; never let it disable the other rules.
            tracing::error!(rule = name, %err, "redaction pattern does not compile");
            None
        }
    }
}

use super::vocabulary::{is_harmless_value, is_secret_name};

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    // Keys that *end* with a credential word of the one vocabulary are candidates
    // (`DB_PASSWORD`, `client_secret`, `x-api-key`, `bypass`); `is_secret_name` decides.
    let secret_key_words = super::vocabulary::key_words_pattern();
    vec![
        Rule {
            name: "pem",
            // Real newlines, escaped `\n` (JSON) or spaces: the body goes, the armour stays.
            re: compile(
                "pem",
                // The armour's label may be folded across lines (YAML wraps long scalars) or
                // carry escapes, so anything up to the next five dashes counts as the label.
                r"(?s)-----BEGIN(.{1,80}?)-----.*?-----END(.{1,80}?)-----",
            ),
            rewrite: |c| {
                format!(
                    "-----BEGIN {}-----{MASK}-----END {}-----",
                    pem_label(&c[1]),
                    pem_label(&c[2])
                )
            },
        },
        Rule {
            name: "url-credentials",
            re: compile(
                "url-credentials",
                r"(?i)\b([a-z][a-z0-9+.\-]{1,20}://)([^/\s:@]{0,256}):([^/\s@]{1,512})@",
            ),
            rewrite: |c| format!("{}{}:{MASK}@", &c[1], &c[2]),
        },
        Rule {
            // htpasswd lines (`user:$apr1$salt$hash`, bcrypt `$2y$…`, sha-crypt `$5$`/`$6$`,
            // `{SHA}…`), as basic-auth annotations of Ingresses carry them: the user stays.
            name: "htpasswd",
            re: compile(
                "htpasswd",
                r"\b([A-Za-z0-9_.@\-]{1,64}):((?:\$(?:apr1|2[abxy]|1|5|6)\$|\{SHA\})[./A-Za-z0-9$+=]{4,})",
            ),
            rewrite: |c| format!("{}:{MASK}", &c[1]),
        },
        Rule {
            name: "jwt",
            re: compile(
                "jwt",
                r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*",
            ),
            rewrite: |_| MASK.to_string(),
        },
        Rule {
            name: "auth-scheme",
            re: compile(
                "auth-scheme",
                r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9\-._~+/]{8,}=*)",
            ),
            rewrite: |c| {
                let value = &c[3];
                let basic = c[1].eq_ignore_ascii_case("basic");
                // "Basic" precedes ordinary words in prose; only mask what looks like base64.
                if basic
                    && !value
                        .chars()
                        .any(|ch| ch.is_ascii_digit() || "+/=".contains(ch))
                {
                    c[0].to_string()
                } else {
                    format!("{}{}{MASK}", &c[1], &c[2])
                }
            },
        },
        Rule {
            name: "authorization-header",
            // `Authorization: Token …`, `Proxy-Authorization: Digest …`: whatever the scheme.
            re: compile(
                "authorization-header",
                r#"(?i)\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:[A-Za-z0-9\-]+[ \t]+)?)([^\s"',;]{6,})"#,
            ),
            rewrite: |c| {
                if is_harmless_value("", &c[2]) {
                    c[0].to_string()
                } else {
                    format!("{}{MASK}", &c[1])
                }
            },
        },
        Rule {
            name: "cloud-and-vendor-keys",
            re: compile(
                "cloud-and-vendor-keys",
                r"\b(?:(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}|AIza[0-9A-Za-z_\-]{30,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9\-]{8,}|sk_(?:live|test)_[A-Za-z0-9]{8,}|sk-[A-Za-z0-9_\-]{20,}|glpat-[A-Za-z0-9_\-]{16,}|hvs\.[A-Za-z0-9_\-]{20,}|npm_[A-Za-z0-9]{30,}|SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,})\b",
            ),
            rewrite: |_| MASK.to_string(),
        },
        Rule {
            name: "flag-value",
            // `--password hunter2`, `--token=abc`; a flag starts a word (`db-credentials
            // Opaque` in a table is not one).
            re: compile(
                "flag-value",
                &format!(
                    r#"(?im)(^|[\s"'\[(,=])(--?[a-z0-9\-]*(?:{secret_key_words}))(=|[ \t]+)([^\s"'\-][^\s"']*|"[^"]*"|'[^']*')"#
                ),
            ),
            rewrite: |c| {
                let flag = c[2].trim_start_matches('-');
                if !is_secret_name(flag) || is_harmless_value(flag, &c[4]) {
                    return c[0].to_string();
                }
                format!("{}{}{}{}", &c[1], &c[2], &c[3], quoted_mask(&c[4]))
            },
        },
        Rule {
            name: "key-value",
            // `password=…`, `token: …`, `"apiKey": "…"`, `AccountKey=…;`. The key is the whole
            // run of key characters (so the vocabulary judges `bypass`, not `pass`).
            re: compile(
                "key-value",
                &format!(
                    // Quotes may be escaped (`\"password\": \"…\"`: JSON inside a JSON string).
                    r#"(?i)(^|[^a-z0-9_.\-])(["']?)([a-z0-9_.\-]*(?:{secret_key_words}))((?:\\?["'])?[ \t]*[:=][ \t]*)(\\"(?:[^"\\]|\\[^"])*\\"|"(?:[^"\\]|\\.)*"|'[^']*'|`[^`]*`|[^\s,;&"'`}}\]\\]+)([ \t]+bytes\b)?"#
                ),
            ),
            rewrite: |c| {
                let (key, value) = (&c[3], &c[5]);
                // `describe secret` prints a key's size (`password:  23 bytes`), not its value.
                let size = c.get(6).is_some() && value.bytes().all(|b| b.is_ascii_digit());
                if !is_secret_name(key) || size || is_harmless_value(key, value) {
                    c[0].to_string()
                } else {
                    format!(
                        "{}{}{}{}{}{}",
                        &c[1],
                        &c[2],
                        key,
                        &c[4],
                        quoted_mask(value),
                        c.get(6).map_or("", |m| m.as_str())
                    )
                }
            },
        },
    ]
});

fn quoted_mask(value: &str) -> String {
    if value.starts_with("\\\"") {
        return format!("\\\"{MASK}\\\"");
    }
    match value.chars().next() {
        Some(q @ ('"' | '\'' | '`')) => format!("{q}{MASK}{q}"),
        _ => MASK.to_string(),
    }
}

/// A PEM armour label as one line: `EC PRIVATE KEY`, whatever folding or escapes it went through.
fn pem_label(raw: &str) -> String {
    raw.split(|c: char| c.is_whitespace() || c == '\\')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Apply every text rule, in order.
pub(super) fn redact_text(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for rule in RULES.iter() {
        let Some(re) = &rule.re else { continue };
        if let Cow::Owned(s) = re.replace_all(&out, |c: &Captures| (rule.rewrite)(c)) {
            tracing::trace!(rule = rule.name, "redacted");
            out = Cow::Owned(s);
        }
    }
    out
}
