//! Secrets that only structure reveals: the `data`/`stringData` of a Secret object, and
//! container env entries whose *name* says the value is a secret (`name: DB_PASSWORD`,
//! `value: …`). Works on YAML and pretty-printed JSON text as kubectl prints them, on
//! compact JSON embedded in a line (the last-applied-configuration annotation), and on
//! parsed JSON values.

use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde_json::Value;

use super::MASK;

/// The start of a Secret's data object in compact JSON, at any level of string escaping
/// (`"data":{`, `\"data\":{` inside a JSON string, ...).
static COMPACT_DATA: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(\\*)"(?:data|stringData)\\*"\s*:\s*\{"#).ok());

/// A JSON patch operation on a Secret's data (kapp's `original-diff`, audit copies).
static PATCH_DATA: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(\\*"path\\*"\s*:\s*\\*"/(?:data|stringData)(?:/[^"\\]*)?\\*"\s*,\s*\\*"value\\*"\s*:\s*)(\\*)"(?:[^"\\]|\\.)*?(\\*)"(\s*[,}])"#).ok()
});

static ENV_JSON: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"("name"\s*:\s*"([^"]*)"\s*,\s*"value"\s*:\s*)"(?:[^"\\]|\\.)*""#).ok()
});

use super::vocabulary::is_harmless_value;

/// Whether an env var / key name announces a secret value.
pub(super) fn is_sensitive_name(name: &str) -> bool {
    super::vocabulary::is_secret_name(name)
}

/// One line split into its indentation facts.
struct Line<'a> {
    text: &'a str,
    /// Column of the first character that is not a space or a list dash.
    key_col: usize,
    /// The line starts a list item (`- key: …`).
    item: bool,
    blank: bool,
}

fn split(text: &str) -> Vec<Line<'_>> {
    text.split_inclusive('\n')
        .map(|l| {
            let body = l.trim_end_matches(['\n', '\r']);
            let spaces = body.len() - body.trim_start_matches(' ').len();
            let rest = &body[spaces..];
            let (item, key_col) = match rest.strip_prefix("- ") {
                Some(after) => (true, spaces + 2 + (after.len() - after.trim_start().len())),
                None => (false, spaces),
            };
            Line {
                text: l,
                key_col,
                item,
                blank: body.trim().is_empty(),
            }
        })
        .collect()
}

/// The key of a YAML (`key:`) or JSON (`"key":`) line, unquoted.
fn key_of(line: &str) -> Option<&str> {
    let t = line.trim_start().trim_start_matches("- ").trim_start();
    let (k, _) = t.split_once(':')?;
    let k = k.trim().trim_matches('"').trim_matches('\'');
    (!k.is_empty() && !k.contains(' ')).then_some(k)
}

fn value_of(line: &str) -> &str {
    let t = line.trim_start().trim_start_matches("- ").trim_start();
    t.split_once(':').map(|(_, v)| v.trim()).unwrap_or("")
}

/// Lines [start, end) of the object that line `at` belongs to, at column `col`.
fn object_bounds(lines: &[Line], at: usize, col: usize) -> (usize, usize) {
    let mut start = at;
    loop {
        if (lines[start].item && lines[start].key_col == col) || start == 0 {
            break;
        }
        let prev = &lines[start - 1];
        if !prev.blank && prev.key_col < col {
            break;
        }
        start -= 1;
    }
    let mut end = at + 1;
    while end < lines.len() {
        let l = &lines[end];
        if !l.blank && (l.key_col < col || (l.item && l.key_col == col)) {
            break;
        }
        end += 1;
    }
    (start, end)
}

fn is_secret_object(lines: &[Line], start: usize, end: usize, col: usize) -> bool {
    lines[start..end].iter().any(|l| {
        l.key_col == col
            && key_of(l.text) == Some("kind")
            && value_of(l.text).trim_matches([',', '"', '\'']) == "Secret"
    })
}

/// Mask the values of a block's children (lines after `at` indented deeper than `col`).
fn mask_children(lines: &[Line], at: usize, col: usize, out: &mut [Option<String>]) {
    let mut i = at + 1;
    while i < lines.len() {
        let l = &lines[i];
        if !l.blank && l.key_col <= col {
            // A closing brace of pretty JSON sits at the block's own column.
            break;
        }
        if !l.blank {
            out[i] = Some(mask_line_value(l.text));
        }
        i += 1;
    }
}

/// `  key: value` → `  key: [REDACTED]`; JSON `"key": "v",` keeps its comma; a line with no
/// key (a block scalar's body) is dropped to the mask.
fn mask_line_value(line: &str) -> String {
    let newline = if line.ends_with('\n') { "\n" } else { "" };
    let body = line.trim_end_matches(['\n', '\r']);
    let indent = &body[..body.len() - body.trim_start().len()];
    match body.trim_start().split_once(':') {
        Some((k, v)) if !k.trim().is_empty() => {
            let v = v.trim();
            if v.is_empty() || v == "{" || v == "|" || v == ">" || v == "|-" || v == ">-" {
                return line.to_string();
            }
            // sizes left by the object masker carry no secret
            if is_masked(v) {
                return line.to_string();
            }
            let comma = if v.ends_with(',') { "," } else { "" };
            let quote = if v.starts_with('"') { "\"" } else { "" };
            format!("{indent}{k}: {quote}{MASK}{quote}{comma}{newline}")
        }
        _ => {
            let t = body.trim_start();
            if t.starts_with('}') || t.starts_with(']') {
                line.to_string()
            } else {
                format!("{indent}{MASK}{newline}")
            }
        }
    }
}

/// Secret data blocks and sensitive env values in YAML or pretty JSON text.
pub(super) fn redact_blocks(text: &str) -> String {
    if !(text.contains("data") || text.contains("value")) {
        return text.to_string();
    }
    let lines = split(text);
    let mut out: Vec<Option<String>> = vec![None; lines.len()];
    for (i, l) in lines.iter().enumerate() {
        let Some(key) = key_of(l.text) else { continue };
        match key {
            "data" | "stringData" => {
                let v = value_of(l.text);
                if !(v.is_empty() || v == "{") {
                    continue;
                }
                let (start, end) = object_bounds(&lines, i, l.key_col);
                if is_secret_object(&lines, start, end, l.key_col) {
                    mask_children(&lines, i, l.key_col, &mut out);
                }
            }
            "name" => {
                let name = value_of(l.text).trim_matches([',', '"', '\'']);
                if !is_sensitive_name(name) {
                    continue;
                }
                // The sibling `value:` of the same env entry.
                let (start, end) = object_bounds(&lines, i, l.key_col);
                for j in start..end {
                    let s = &lines[j];
                    if j != i
                        && s.key_col == l.key_col
                        && key_of(s.text) == Some("value")
                        && !is_harmless_value(name, value_of(s.text).trim_end_matches(','))
                    {
                        out[j] = Some(mask_line_value(s.text));
                    }
                }
            }
            _ => {}
        }
    }
    let mut result = String::with_capacity(text.len());
    for (l, o) in lines.iter().zip(out) {
        result.push_str(o.as_deref().unwrap_or(l.text));
    }
    result
}

/// Compact JSON inside a line (e.g. the last-applied-configuration annotation of a Secret),
/// and `{"name":"DB_PASSWORD","value":"…"}` env entries.
pub(super) fn redact_compact(text: &str) -> String {
    let mut out = text.to_string();
    if out.contains("Secret") {
        out = mask_compact_data(&out);
    }
    if (out.contains("/data") || out.contains("/stringData"))
        && let Some(patch) = PATCH_DATA.as_ref()
    {
        out = patch
            .replace_all(&out, |c: &Captures| {
                format!("{}{}\"{MASK}{}\"{}", &c[1], &c[2], &c[3], &c[4])
            })
            .into_owned();
    }
    if let Some(env) = ENV_JSON.as_ref() {
        out = env
            .replace_all(&out, |c: &Captures| {
                let value = &c[0][c[1].len()..];
                if is_sensitive_name(&c[2]) && !is_harmless_value(&c[2], value) {
                    format!("{}\"{MASK}\"", &c[1])
                } else {
                    c[0].to_string()
                }
            })
            .into_owned();
    }
    out
}

/// A value the object masker (or this pass) already replaced.
fn is_masked(v: &str) -> bool {
    let v = v.trim_matches(|c| c == '"' || c == '\'' || c == ',' || c == '\\');
    let size = v
        .strip_prefix("<redacted: ")
        .and_then(|r| r.strip_suffix(" bytes>"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    size || v == MASK || v == super::vocabulary::COPY_MASK
}

/// Mask every string value inside each compact `data`/`stringData` object of `text`,
/// whatever the values hold (braces, quotes, escapes) and at whatever level of escaping the
/// object sits: a quote belongs to the object's level when exactly as many backslashes
/// precede it as precede the key's quote.
fn mask_compact_data(text: &str) -> String {
    let Some(re) = COMPACT_DATA.as_ref() else {
        return text.to_string();
    };
    let bytes = text.as_bytes();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut from = 0;
    while let Some(m) = re.captures_at(text, from) {
        let (Some(whole), Some(slashes)) = (m.get(0), m.get(1)) else {
            break;
        };
        let level = slashes.len();
        let mut depth = 1usize;
        let mut in_str = false;
        let mut after_colon = false;
        let mut is_value = false;
        let mut start = 0;
        let mut i = whole.end();
        while i < bytes.len() {
            let c = bytes[i];
            if c == b'"' {
                let before = bytes[..i].iter().rev().take_while(|b| **b == b'\\').count();
                if before < level {
                    break; // the string holding this JSON ended
                }
                if before == level {
                    if in_str {
                        in_str = false;
                        if is_value && !is_masked(text.get(start..i - level).unwrap_or("")) {
                            ranges.push((start, i - level));
                        }
                        after_colon = false;
                    } else {
                        in_str = true;
                        is_value = after_colon;
                        start = i + 1;
                    }
                }
            } else if !in_str {
                match c {
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b':' => after_colon = true,
                    b',' => after_colon = false,
                    _ => {}
                }
            }
            i += 1;
        }
        from = i.max(whole.end());
        if from >= text.len() {
            break;
        }
    }
    if ranges.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (s, e) in ranges {
        if s < last || e < s || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        out.push_str(&text[last..s]);
        out.push_str(MASK);
        last = e;
    }
    out.push_str(&text[last..]);
    out
}

/// Redact a parsed object in place: Secret data, sensitive env values, and every string
/// through the text rules. Returns what it removed.
pub(super) fn redact_value(value: &mut Value) -> super::Removed {
    let mut removed = super::Removed::default();
    redact_value_into(value, &mut removed);
    removed
}

fn redact_value_into(value: &mut Value, removed: &mut super::Removed) {
    if value.get("kind").is_some_and(Value::is_string) && value.get("metadata").is_some() {
        removed.add(super::object::mask_object(value));
    }
    match value {
        Value::Object(map) => {
            let is_secret = map.get("kind").and_then(Value::as_str) == Some("Secret");
            if is_secret {
                for key in ["data", "stringData"] {
                    if let Some(Value::Object(data)) = map.get_mut(key) {
                        for v in data.values_mut() {
                            // sizes left by the object masker stay
                            if !v.as_str().is_some_and(|s| s.starts_with("<redacted: ")) {
                                *v = Value::String(MASK.to_string());
                            }
                        }
                    }
                }
            }
            let sensitive_env = match (
                map.get("name").and_then(Value::as_str),
                map.get("value").and_then(Value::as_str),
            ) {
                (Some(name), Some(v)) => is_sensitive_name(name) && !is_harmless_value(name, v),
                _ => false,
            };
            if sensitive_env {
                map.insert("value".into(), Value::String(MASK.to_string()));
                removed.credentials += 1;
            }
            for v in map.values_mut() {
                redact_value_into(v, removed);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_value_into(v, removed)),
        Value::String(s) => {
            let r = super::redact(s);
            if r != *s {
                removed.text_matches += r.matches(MASK).count().max(1);
                *s = r;
            }
        }
        _ => {}
    }
}
