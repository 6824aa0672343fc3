//! JSON as kubectl prints it (Go's `json.MarshalIndent(obj, "", "    ")` over a map):
//! keys sorted, four-space indent, `<`, `>` and `&` escaped as Go escapes them.

use serde_json::Value;

/// Render with kubectl's layout (a trailing newline included).
pub fn to_json(v: &Value) -> String {
    to_json_indented(v, "    ")
}

/// Indented with `unit` per level (kubectl uses two spaces for `version` and `config view`).
pub fn to_json_indented(v: &Value, unit: &str) -> String {
    let mut out = String::new();
    write(&mut out, v, Some(0), unit);
    out.push('\n');
    out
}

/// Go's `json.Marshal`: compact, keys sorted, HTML characters escaped.
pub fn to_json_compact(v: &Value) -> String {
    let mut out = String::new();
    write(&mut out, v, None, "");
    out
}

fn deeper(indent: Option<usize>) -> Option<usize> {
    indent.map(|i| i + 1)
}

fn write(out: &mut String, v: &Value, indent: Option<usize>, unit: &str) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, deeper(indent), unit);
                write(out, item, deeper(indent), unit);
            }
            newline(out, indent, unit);
            out.push(']');
        }
        Value::Object(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, deeper(indent), unit);
                string(out, k);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write(out, val, deeper(indent), unit);
            }
            newline(out, indent, unit);
            out.push('}');
        }
    }
}

fn newline(out: &mut String, indent: Option<usize>, unit: &str) {
    let Some(indent) = indent else { return };
    out.push('\n');
    for _ in 0..indent {
        out.push_str(unit);
    }
}

fn number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    match n.as_f64() {
        Some(f) if f == f.trunc() && f.abs() < 1e21 => format!("{}", f as i64),
        Some(f) => {
            let abs = f.abs();
            if !(1e-6..1e21).contains(&abs) {
                // Go: 1e-07, 1e+21
                let s = format!("{f:e}");
                match s.split_once('e') {
                    Some((m, e)) => {
                        let (sign, d) = match e.strip_prefix('-') {
                            Some(d) => ('-', d),
                            None => ('+', e),
                        };
                        format!("{m}e{sign}{d:0>2}")
                    }
                    None => s,
                }
            } else {
                format!("{f}")
            }
        }
        None => n.to_string(),
    }
}

/// Go's string encoding with HTML escaping.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout_like_kubectl() {
        let v = json!({"kind": "ConfigMap", "apiVersion": "v1", "data": {"a": "x<y>&z", "e": {}}, "items": [], "n": [1, 2.5, null, true]});
        let expected = "{\n    \"apiVersion\": \"v1\",\n    \"data\": {\n        \"a\": \"x\\u003cy\\u003e\\u0026z\",\n        \"e\": {}\n    },\n    \"items\": [],\n    \"kind\": \"ConfigMap\",\n    \"n\": [\n        1,\n        2.5,\n        null,\n        true\n    ]\n}\n";
        assert_eq!(to_json(&v), expected);
        assert_eq!(
            to_json_compact(&json!({"b": "x\": y", "a": [1, {}]})),
            "{\"a\":[1,{}],\"b\":\"x\\\": y\"}"
        );
    }
}
