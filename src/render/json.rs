//! JSON as kubectl prints it (Go's `json.MarshalIndent(obj, "", "    ")` over a map):
//! keys sorted, four-space indent, `<`, `>` and `&` escaped as Go escapes them.

use serde_json::Value;

/// Render with kubectl's layout (a trailing newline included).
pub fn to_json(v: &Value) -> String {
    to_json_indented(v, "    ")
}

/// Indented with `unit` (spaces) per level (kubectl uses two spaces for `version` and `config view`).
pub fn to_json_indented(v: &Value, unit: &str) -> String {
    to_json_capped(v, unit, usize::MAX).0
}

/// Render with `unit` per level, stopping once the text reaches `max_bytes`: the text so far
/// and whether it stopped (nothing past the cap is built).
pub fn to_json_capped(v: &Value, unit: &str, max_bytes: usize) -> (String, bool) {
    let mut w = Writer::new(unit, max_bytes);
    w.write(v, Some(0));
    w.push('\n');
    let stopped = w.stopped();
    (w.out, stopped)
}

/// Go's `json.Marshal`: compact, keys sorted, HTML characters escaped.
pub fn to_json_compact(v: &Value) -> String {
    let mut w = Writer::new("", usize::MAX);
    w.write(v, None);
    w.out
}

/// A `kind: List` rendered one item at a time (as the pages of a listing arrive), exactly
/// as [`to_json`] renders the whole list, stopping once the text reaches `max_bytes`.
pub struct JsonList {
    w: Writer,
    items: usize,
}

impl JsonList {
    pub fn new(max_bytes: usize) -> Self {
        let mut w = Writer::new("    ", max_bytes);
        w.push_str("{\n    \"apiVersion\": \"v1\",\n    \"items\": [");
        JsonList { w, items: 0 }
    }

    /// Add one item; whether there is room for more.
    pub fn push(&mut self, item: &Value) -> bool {
        if self.items > 0 {
            self.w.push(',');
        }
        self.items += 1;
        self.w.newline(Some(2));
        self.w.write(item, Some(2));
        !self.w.stopped()
    }

    /// Whether the cap was reached.
    pub fn stopped(&self) -> bool {
        self.w.stopped()
    }

    /// The text and whether it stopped at the cap.
    pub fn finish(mut self) -> (String, bool) {
        if self.items > 0 {
            self.w.newline(Some(1));
        }
        self.w.push_str("],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n");
        let stopped = self.w.stopped();
        (self.w.out, stopped)
    }
}

struct Writer {
    out: String,
    /// spaces per level
    unit: usize,
    limit: usize,
}

impl Writer {
    fn new(unit: &str, limit: usize) -> Self {
        Writer {
            out: String::new(),
            unit: unit.chars().count(),
            limit,
        }
    }

    fn stopped(&self) -> bool {
        self.out.len() >= self.limit
    }

    fn push(&mut self, c: char) {
        if !self.stopped() {
            self.out.push(c);
        }
    }

    fn push_str(&mut self, s: &str) {
        if !self.stopped() {
            let room = self.limit - self.out.len();
            let mut end = s.len().min(room);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            self.out.push_str(&s[..end]);
        }
    }

    fn write(&mut self, v: &Value, indent: Option<usize>) {
        if self.stopped() {
            return;
        }
        match v {
            Value::Null => self.push_str("null"),
            Value::Bool(b) => self.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => self.push_str(&number(n)),
            Value::String(s) => self.string(s),
            Value::Array(items) => {
                if items.is_empty() {
                    self.push_str("[]");
                    return;
                }
                self.push('[');
                for (i, item) in items.iter().enumerate() {
                    if self.stopped() {
                        return;
                    }
                    if i > 0 {
                        self.push(',');
                    }
                    self.newline(deeper(indent));
                    self.write(item, deeper(indent));
                }
                self.newline(indent);
                self.push(']');
            }
            Value::Object(m) => {
                if m.is_empty() {
                    self.push_str("{}");
                    return;
                }
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                self.push('{');
                for (i, (k, val)) in entries.into_iter().enumerate() {
                    if self.stopped() {
                        return;
                    }
                    if i > 0 {
                        self.push(',');
                    }
                    self.newline(deeper(indent));
                    self.string(k);
                    self.push(':');
                    if indent.is_some() {
                        self.push(' ');
                    }
                    self.write(val, deeper(indent));
                }
                self.newline(indent);
                self.push('}');
            }
        }
    }

    fn newline(&mut self, indent: Option<usize>) {
        let Some(indent) = indent else { return };
        self.push('\n');
        for _ in 0..indent * self.unit {
            self.push(' ');
        }
    }

    /// Go's string encoding with HTML escaping.
    fn string(&mut self, s: &str) {
        self.push('"');
        for c in s.chars() {
            if self.stopped() {
                return;
            }
            match c {
                '"' => self.push_str("\\\""),
                '\\' => self.push_str("\\\\"),
                '\n' => self.push_str("\\n"),
                '\r' => self.push_str("\\r"),
                '\t' => self.push_str("\\t"),
                '\u{8}' => self.push_str("\\b"),
                '\u{c}' => self.push_str("\\f"),
                '<' => self.push_str("\\u003c"),
                '>' => self.push_str("\\u003e"),
                '&' => self.push_str("\\u0026"),
                '\u{2028}' => self.push_str("\\u2028"),
                '\u{2029}' => self.push_str("\\u2029"),
                c if (c as u32) < 0x20 => self.push_str(&format!("\\u{:04x}", c as u32)),
                c => self.push(c),
            }
        }
        self.push('"');
    }
}

fn deeper(indent: Option<usize>) -> Option<usize> {
    indent.map(|i| i + 1)
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

    #[test]
    fn capped_rendering_stops_and_lists_render_as_a_whole() {
        let items: Vec<Value> = (0..40)
            .map(|i| json!({"kind": "ConfigMap", "metadata": {"name": format!("cm-{i}")}, "data": {"k": "v<&>\n".repeat(i)}}))
            .collect();
        for n in [0usize, 1, 40] {
            let whole = to_json(
                &json!({"apiVersion": "v1", "items": items[..n], "kind": "List", "metadata": {"resourceVersion": ""}}),
            );
            let mut list = JsonList::new(usize::MAX);
            for it in &items[..n] {
                assert!(list.push(it));
            }
            assert_eq!(list.finish(), (whole.clone(), false), "{n} items");
            let (head, cut) = to_json_capped(&json!({"items": items[..n]}), "    ", 300);
            assert_eq!(
                cut,
                to_json(&json!({"items": items[..n]})).len() > 300,
                "{n}"
            );
            assert!(head.len() <= 300, "{}", head.len());
        }
        let mut list = JsonList::new(1000);
        let pushed = items.iter().take_while(|it| list.push(it)).count();
        assert!(pushed < 40, "{pushed}");
        let (text, cut) = list.finish();
        assert!(cut && text.len() <= 1000, "{}", text.len());
        assert!(to_json(&items[39]).starts_with(&to_json_capped(&items[39], "    ", 77).0));
    }
}
