//! YAML as kubectl prints it (sigs.k8s.io/yaml over go-yaml v2): keys sorted, lists not
//! indented under their key, go-yaml's quoting rules, literal blocks for multi-line strings,
//! and long scalars folded after column 80.

use serde_json::Value;

const BEST_WIDTH: usize = 80;

/// Render a JSON value as kubectl's YAML (keys sorted).
pub fn to_yaml(v: &Value) -> String {
    to_yaml_capped(v, usize::MAX).0
}

/// Render, stopping once the text reaches `max_bytes`: the text so far and whether it
/// stopped (nothing past the cap is built).
pub fn to_yaml_capped(v: &Value, max_bytes: usize) -> (String, bool) {
    let mut w = Writer::new(max_bytes);
    w.document(v);
    (w.out, w.stopped)
}

/// A `kind: List` rendered one item at a time (as the pages of a listing arrive), exactly
/// as [`to_yaml`] renders the whole list, stopping once the text reaches `max_bytes`.
pub struct YamlList {
    w: Writer,
    items: usize,
}

impl YamlList {
    pub fn new(max_bytes: usize) -> Self {
        let mut w = Writer::new(max_bytes);
        w.push("apiVersion: v1\nitems:");
        YamlList { w, items: 0 }
    }

    /// Add one item; whether there is room for more.
    pub fn push(&mut self, item: &Value) -> bool {
        if self.items == 0 {
            self.w.push_char('\n');
        }
        self.items += 1;
        self.w.seq(std::slice::from_ref(item), 0);
        !self.w.stopped
    }

    /// Whether the cap was reached.
    pub fn stopped(&self) -> bool {
        self.w.stopped
    }

    /// The text and whether it stopped at the cap.
    pub fn finish(mut self) -> (String, bool) {
        if self.items == 0 {
            self.w.push(" []\n");
        }
        let mut tail = serde_json::Map::new();
        tail.insert("kind".into(), Value::from("List"));
        tail.insert(
            "metadata".into(),
            serde_json::json!({"resourceVersion": ""}),
        );
        self.w.map(&tail, 0);
        (self.w.out, self.w.stopped)
    }
}

struct Writer {
    out: String,
    /// chars on the current line
    column: usize,
    /// the most bytes to write
    limit: usize,
    /// the limit was reached: nothing more is written
    stopped: bool,
}

impl Writer {
    fn new(limit: usize) -> Self {
        Writer {
            out: String::new(),
            column: 0,
            limit,
            stopped: false,
        }
    }

    fn document(&mut self, v: &Value) {
        match v {
            Value::Object(m) if !m.is_empty() => self.map(m, 0),
            Value::Array(a) if !a.is_empty() => self.seq(a, 0),
            other => {
                self.scalar_value(other, 0, false);
                self.push_char('\n');
            }
        }
    }

    fn push(&mut self, s: &str) {
        for c in s.chars() {
            self.push_char(c);
        }
    }

    fn push_char(&mut self, c: char) {
        if self.out.len() >= self.limit {
            self.stopped = true;
            return;
        }
        self.out.push(c);
        if c == '\n' {
            self.column = 0;
        } else {
            self.column += 1;
        }
    }

    fn indent(&mut self, n: usize) {
        for _ in 0..n {
            self.push_char(' ');
        }
    }

    /// A new line at `indent`.
    fn line_break(&mut self, indent: usize) {
        self.push_char('\n');
        self.indent(indent);
    }

    fn sorted(m: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
        let mut entries: Vec<(&String, &Value)> = m.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries
    }

    /// A non-empty mapping whose first key starts at the current position (already indented).
    fn map_body(&mut self, m: &serde_json::Map<String, Value>, indent: usize) {
        for (i, (k, v)) in Self::sorted(m).into_iter().enumerate() {
            if self.stopped {
                return;
            }
            if i > 0 {
                self.indent(indent);
            }
            self.key(k);
            self.push_char(':');
            match v {
                Value::Object(inner) if !inner.is_empty() => {
                    self.push_char('\n');
                    self.map(inner, indent + 2);
                }
                Value::Array(items) if !items.is_empty() => {
                    self.push_char('\n');
                    self.seq(items, indent);
                }
                other => {
                    self.push_char(' ');
                    self.scalar_value(other, indent + 2, true);
                    self.push_char('\n');
                }
            }
        }
    }

    fn map(&mut self, m: &serde_json::Map<String, Value>, indent: usize) {
        self.indent(indent);
        self.map_body(m, indent);
    }

    fn seq(&mut self, items: &[Value], indent: usize) {
        for item in items {
            if self.stopped {
                return;
            }
            self.indent(indent);
            self.seq_item(item, indent);
        }
    }

    /// `- item` at the current position (already indented to `indent`).
    fn seq_item(&mut self, item: &Value, indent: usize) {
        self.push("- ");
        match item {
            Value::Object(m) if !m.is_empty() => self.map_body(m, indent + 2),
            Value::Array(a) if !a.is_empty() => {
                for (i, inner) in a.iter().enumerate() {
                    if self.stopped {
                        return;
                    }
                    if i > 0 {
                        self.indent(indent + 2);
                    }
                    self.seq_item(inner, indent + 2);
                }
            }
            other => {
                self.scalar_value(other, indent + 2, true);
                self.push_char('\n');
            }
        }
    }

    fn key(&mut self, k: &str) {
        match style_for(k, true) {
            Style::Plain => self.push(k),
            Style::Single => self.single_quoted(k, 0, false),
            Style::Double | Style::Literal => self.double_quoted(k, 0, false),
        }
    }

    /// A scalar (or an empty collection); `indent` is where continuation lines start.
    fn scalar_value(&mut self, v: &Value, indent: usize, allow_breaks: bool) {
        match v {
            Value::Null => self.push("null"),
            Value::Bool(b) => self.push(if *b { "true" } else { "false" }),
            Value::Number(n) => self.push(&format_number(n)),
            Value::String(s) => self.string(s, indent, allow_breaks),
            Value::Object(_) => self.push("{}"),
            Value::Array(_) => self.push("[]"),
        }
    }

    fn string(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        match style_for(s, false) {
            Style::Plain => self.plain(s, indent, allow_breaks),
            Style::Single => self.single_quoted(s, indent, allow_breaks),
            Style::Double => self.double_quoted(s, indent, allow_breaks),
            Style::Literal => self.literal(s, indent),
        }
    }

    fn plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if self.stopped {
                break;
            }
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_space {
                    self.line_break(indent);
                } else {
                    self.push_char(c);
                }
                spaces = true;
            } else {
                self.push_char(c);
                spaces = false;
            }
        }
    }

    fn single_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        self.push_char('\'');
        let mut spaces = false;
        let n = chars.len();
        for (i, &c) in chars.iter().enumerate() {
            if self.stopped {
                break;
            }
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i != n - 1
                    && !next_space
                {
                    self.line_break(indent);
                } else {
                    self.push_char(c);
                }
                spaces = true;
            } else {
                if c == '\'' {
                    self.push_char('\'');
                }
                self.push_char(c);
                spaces = false;
            }
        }
        self.push_char('\'');
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        self.push_char('"');
        let mut spaces = false;
        let n = chars.len();
        for (i, &c) in chars.iter().enumerate() {
            if self.stopped {
                break;
            }
            if !is_printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                self.push(&escape(c));
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i != n - 1 {
                    self.line_break(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.push_char('\\');
                    }
                } else {
                    self.push_char(c);
                }
                spaces = true;
            } else {
                self.push_char(c);
                spaces = false;
            }
        }
        self.push_char('"');
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.push_char('|');
        let chars: Vec<char> = s.chars().collect();
        if let Some(&first) = chars.first()
            && (first == ' ' || is_break(first))
        {
            self.push_char('2');
        }
        let last = chars.last().copied();
        match last {
            None => self.push_char('-'),
            Some(l) if !is_break(l) => self.push_char('-'),
            Some(_) => {
                if chars.len() == 1 || chars.get(chars.len() - 2).is_some_and(|c| is_break(*c)) {
                    self.push_char('+');
                }
            }
        }
        self.push_char('\n');
        let mut breaks = true;
        for &c in &chars {
            if self.stopped {
                return;
            }
            if is_break(c) {
                self.push_char('\n');
                breaks = true;
            } else {
                if breaks {
                    self.indent(indent);
                    breaks = false;
                }
                self.push_char(c);
            }
        }
        // the caller writes the final line break; drop ours if the content ended with one
        if !self.stopped && self.out.ends_with('\n') {
            self.out.pop();
            self.column = 1; // not at line start
        }
    }
}

fn format_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        Some(f) => format_go_float(f),
        None => n.to_string(),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`.
pub(crate) fn format_go_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+.inf".into()
        } else {
            "-.inf".into()
        };
    }
    if f == f.trunc() && f.abs() < 1e21 {
        return format!("{}", f as i64);
    }
    let exp = f.abs().log10().floor() as i32;
    if !(-4..21).contains(&exp) {
        let s = format!("{f:e}");
        // Rust: 1e21 / 1.5e-7 ; Go: 1e+21 / 1.5e-07
        if let Some((m, e)) = s.split_once('e') {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            let digits = if digits.len() < 2 {
                format!("0{digits}")
            } else {
                digits.to_string()
            };
            return format!("{m}e{sign}{digits}");
        }
        return s;
    }
    format!("{f}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || u == 0x85
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
        || (0x10000..=0x10FFFF).contains(&u)
}

fn escape(c: char) -> String {
    match c {
        '\0' => "\\0".into(),
        '\u{7}' => "\\a".into(),
        '\u{8}' => "\\b".into(),
        '\t' => "\\t".into(),
        '\n' => "\\n".into(),
        '\u{b}' => "\\v".into(),
        '\u{c}' => "\\f".into(),
        '\r' => "\\r".into(),
        '\u{1b}' => "\\e".into(),
        '"' => "\\\"".into(),
        '\\' => "\\\\".into(),
        '\u{85}' => "\\N".into(),
        '\u{a0}' => "\\_".into(),
        '\u{2028}' => "\\L".into(),
        '\u{2029}' => "\\P".into(),
        c if (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
        c if (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
        c => format!("\\U{:08X}", c as u32),
    }
}

/// Whether go-yaml's resolver would read this plain scalar as something other than a string.
fn resolves_to_non_string(s: &str) -> bool {
    use std::sync::LazyLock;
    static INT: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^[-+]?(0b[01_]+|0[0-7_]+|(0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(:[0-5]?[0-9])+)$")
            .unwrap_or_else(|_| regex::Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    });
    static FLOAT: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")
            .unwrap_or_else(|_| regex::Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    });
    static TIMESTAMP: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ]|$)")
            .unwrap_or_else(|_| regex::Regex::new("$^").unwrap_or_else(|_| unreachable!()))
    });
    matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "y"
            | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | "<<"
    ) || INT.is_match(s)
        || FLOAT.is_match(s)
        || (TIMESTAMP.is_match(s) && looks_like_timestamp(s))
}

fn looks_like_timestamp(s: &str) -> bool {
    // go-yaml accepts a few layouts; a date prefix followed by a plausible time is enough here
    let b = s.as_bytes();
    if b.len() == 10
        || (b.len() >= 10
            && s.chars()
                .all(|c| c.is_ascii_digit() || "-:.TtZz +".contains(c)))
    {
        return true;
    }
    false
}

/// go-yaml's scalar analysis: which style a string gets.
fn style_for(s: &str, simple_key: bool) -> Style {
    if resolves_to_non_string(s) {
        return Style::Double;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut flow_ind = false;
    let mut block_ind = false;
    let mut special = false;
    let mut line_breaks = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    if s.starts_with("---") || s.starts_with("...") {
        block_ind = true;
        flow_ind = true;
    }
    let mut preceded_by_ws = true;
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let followed_by_ws = next.is_none_or(|x| x == ' ' || x == '\t' || is_break(x));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' | '<' => {
                    flow_ind = true;
                    block_ind = true;
                }
                '?' | ':' => {
                    flow_ind = true;
                    if followed_by_ws {
                        block_ind = true;
                    }
                }
                '-' if followed_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_ind = true,
                ':' => {
                    flow_ind = true;
                    if followed_by_ws {
                        block_ind = true;
                    }
                }
                '#' if preceded_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        }
        if !is_printable(c) || (c == '\u{feff}') {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == n - 1 {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            if i == 0 {
                leading_break = true;
            }
            if i == n - 1 {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = c == ' ' || c == '\t' || is_break(c);
    }
    let mut block_plain = true;
    let mut single_allowed = true;
    let mut block_allowed = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        block_plain = false;
    }
    if trailing_space {
        block_allowed = false;
    }
    if break_space {
        block_plain = false;
        single_allowed = false;
    }
    if space_break || special {
        block_plain = false;
        single_allowed = false;
        block_allowed = false;
    }
    if line_breaks {
        block_plain = false;
    }
    if block_ind {
        block_plain = false;
    }
    let _ = flow_ind;
    if line_breaks && !simple_key {
        // go-yaml picks the literal style for multi-line strings
        return if block_allowed {
            Style::Literal
        } else {
            Style::Double
        };
    }
    if block_plain {
        Style::Plain
    } else if single_allowed && !line_breaks {
        Style::Single
    } else {
        Style::Double
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quoting_like_kubectl() {
        // expected values captured from `kubectl get cm -o yaml` (1.32) on a real apiserver
        let v = json!({"metadata": {"annotations": {
            "angle": "<redacted: 12 bytes>", "at": "@x", "bool": "yes", "brace": "{x}",
            "colon": "a: b", "comma": "a,b", "dash": "- dash", "dash2": "-dash",
            "date": "2026-01-01", "dq": "say \"hi\"", "empty": "", "float": "1.5",
            "hash": "a #b", "lead": " leading", "num": "123", "pct": "%x", "q": "it's",
            "star": "*star", "tab": "a\tb", "tilde": "~", "trail": "trailing ", "uni": "héllo wörld",
            "ts": "2026-11-25T18:36:15Z"
        }}});
        let expected = r#"metadata:
  annotations:
    angle: '<redacted: 12 bytes>'
    at: '@x'
    bool: "yes"
    brace: '{x}'
    colon: 'a: b'
    comma: a,b
    dash: '- dash'
    dash2: -dash
    date: "2026-01-01"
    dq: say "hi"
    empty: ""
    float: "1.5"
    hash: 'a #b'
    lead: ' leading'
    num: "123"
    pct: '%x'
    q: it's
    star: '*star'
    tab: "a\tb"
    tilde: "~"
    trail: 'trailing '
    ts: "2026-11-25T18:36:15Z"
    uni: héllo wörld
"#;
        assert_eq!(to_yaml(&v), expected);
    }

    #[test]
    fn multi_line_and_folding_like_kubectl() {
        let v = json!({
            "data": {
                "longdq": "a very long value with a tab\there that goes on and on and on past the eighty column limit for sure yes indeed it does",
                "longq": "it's a very long single quoted annotation value that goes on and on and on past the eighty column limit for sure yes",
                "multi": "line1\nline2\n",
                "multi2": "line1\nline2",
                "multi3": "line1\nline2\n\n",
                "multi4": "  indented\nx",
                "multitrail": "line1 \nline2"
            },
            "long": "this is a very long annotation value that goes on and on and on past the eighty column limit for sure yes"
        });
        let expected = r#"data:
  longdq: "a very long value with a tab\there that goes on and on and on past the
    eighty column limit for sure yes indeed it does"
  longq: it's a very long single quoted annotation value that goes on and on and on
    past the eighty column limit for sure yes
  multi: |
    line1
    line2
  multi2: |-
    line1
    line2
  multi3: |+
    line1
    line2

  multi4: |2-
      indented
    x
  multitrail: "line1 \nline2"
long: this is a very long annotation value that goes on and on and on past the eighty
  column limit for sure yes
"#;
        assert_eq!(to_yaml(&v), expected);
    }

    #[test]
    fn sequences_like_kubectl() {
        let v = json!({"spec": {"containers": [{
            "command": ["sh", "-c", "echo line1\necho line2\n",
                "a very long value with spaces that goes on and on and on past the eighty column limit for sure yes indeed it does",
                "  lead\nx",
                "tab\there and a very long value with spaces that goes on and on and on past the eighty column limit"],
            "env": [{"name": "MODE", "value": "prod"}, {"name": "S", "valueFrom": {"secretKeyRef": {"key": "password", "name": "db"}}}],
            "resources": {},
            "ports": []
        }], "nested": [[1, 2], []], "n": null, "f": 0.5, "t": true}});
        let expected = r#"spec:
  containers:
  - command:
    - sh
    - -c
    - |
      echo line1
      echo line2
    - a very long value with spaces that goes on and on and on past the eighty column
      limit for sure yes indeed it does
    - |2-
        lead
      x
    - "tab\there and a very long value with spaces that goes on and on and on past
      the eighty column limit"
    env:
    - name: MODE
      value: prod
    - name: S
      valueFrom:
        secretKeyRef:
          key: password
          name: db
    ports: []
    resources: {}
  f: 0.5
  "n": null
  nested:
  - - 1
    - 2
  - []
  t: true
"#;
        assert_eq!(to_yaml(&v), expected);
    }

    #[test]
    fn go_floats() {
        assert_eq!(format_go_float(0.5), "0.5");
        assert_eq!(format_go_float(3.0), "3");
        assert_eq!(format_go_float(1e21), "1e+21");
        assert_eq!(format_go_float(1.5e-7), "1.5e-07");
    }

    #[test]
    fn capped_rendering_stops_and_lists_render_as_a_whole() {
        let items: Vec<Value> = (0..40)
            .map(|i| json!({"kind": "ConfigMap", "metadata": {"name": format!("cm-{i}")}, "data": {"k": "line one\nline two\n".repeat(i), "s": "a long value with spaces ".repeat(i)}}))
            .collect();
        for n in [0usize, 1, 40] {
            let whole = to_yaml(
                &json!({"apiVersion": "v1", "items": items[..n], "kind": "List", "metadata": {"resourceVersion": ""}}),
            );
            let mut list = YamlList::new(usize::MAX);
            for it in &items[..n] {
                assert!(list.push(it));
            }
            assert_eq!(list.finish(), (whole, false), "{n} items");
            let (head, cut) = to_yaml_capped(&json!({"items": items[..n]}), 300);
            assert_eq!(
                cut,
                n > 0 && to_yaml(&json!({"items": items[..n]})).len() > 300,
                "{n}"
            );
            assert!(head.len() <= 300, "{}", head.len());
        }
        let mut list = YamlList::new(1000);
        let pushed = items.iter().take_while(|it| list.push(it)).count();
        assert!(pushed < 40, "{pushed}");
        let (text, cut) = list.finish();
        assert!(cut && text.len() <= 1000, "{}", text.len());
        assert!(to_yaml(&items[39]).starts_with(&to_yaml_capped(&items[39], 77).0));
    }
}
