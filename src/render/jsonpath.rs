//! kubectl's jsonpath templates (`-o jsonpath=...`, `--sort-by`, custom columns):
//! `{.a.b}`, `{.a[*]}`, `{.a[0]}`, `{.a[-1:]}`, `{..name}`, `{.a[?(@.x=="y")]}`,
//! `{range .items[*]}...{end}`, `{"\n"}` literals, and text outside braces printed as is.
//! Missing keys print nothing (kubectl's default `--allow-missing-template-keys=true`).

use serde_json::Value;

/// A template parse error, worded as kubectl words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error parsing jsonpath {template}, {reason}")]
pub struct JsonPathError {
    pub template: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Expr(Vec<Step>),
    Range(Vec<Step>, Vec<Node>),
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// `.name` (or `['name']`)
    Field(String),
    /// `.*` / `[*]`
    Wildcard,
    /// `..name`
    Recursive(String),
    /// `[i]`
    Index(i64),
    /// `[a:b:c]`
    Slice(Option<i64>, Option<i64>, Option<i64>),
    /// `[?(@.path op literal)]`
    Filter(Filter),
    /// `['a','b']` / `[0,1]`
    Union(Vec<Step>),
}

#[derive(Debug, Clone, PartialEq)]
struct Filter {
    left: Vec<Step>,
    op: Option<(String, Value)>,
}

/// A template expanded past its bound while being evaluated or rendered: nothing more was
/// built (unions and ranges multiply at each level, so a short template can ask for more
/// than any output could hold).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Overflow {
    #[error("the template selects more than {} values", super::cap::thousands(*.0))]
    Values(usize),
    #[error("the template's output passed {} bytes", super::cap::thousands(*.0))]
    Bytes(usize),
}

/// The most values one expression may select (each is a reference: 8 bytes).
pub const MAX_VALUES: usize = 1 << 20;

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
}

impl Template {
    pub fn parse(template: &str) -> Result<Template, JsonPathError> {
        let err = |reason: &str| JsonPathError {
            template: template.to_string(),
            reason: reason.to_string(),
        };
        // Tokenise into text and actions.
        let mut actions: Vec<Result<String, String>> = Vec::new(); // Ok(action) / Err(text)
        let chars: Vec<char> = template.chars().collect();
        let mut i = 0;
        let mut text = String::new();
        while i < chars.len() {
            if chars[i] == '{' {
                if !text.is_empty() {
                    actions.push(Err(std::mem::take(&mut text)));
                }
                let mut j = i + 1;
                let mut quote: Option<char> = None;
                let mut depth = 0;
                let mut action = String::new();
                loop {
                    let Some(&c) = chars.get(j) else {
                        return Err(err("unclosed action"));
                    };
                    match quote {
                        Some(q) => {
                            if c == '\\' {
                                action.push(c);
                                j += 1;
                                if let Some(&n) = chars.get(j) {
                                    action.push(n);
                                }
                                j += 1;
                                continue;
                            }
                            if c == q {
                                quote = None;
                            }
                        }
                        None => match c {
                            '"' | '\'' => quote = Some(c),
                            '[' => depth += 1,
                            ']' => depth -= 1,
                            '}' if depth <= 0 => break,
                            _ => {}
                        },
                    }
                    action.push(c);
                    j += 1;
                }
                actions.push(Ok(action));
                i = j + 1;
            } else {
                text.push(chars[i]);
                i += 1;
            }
        }
        if !text.is_empty() {
            actions.push(Err(text));
        }
        // Build the tree (range/end).
        let mut stack: Vec<(Vec<Step>, Vec<Node>)> = Vec::new();
        let mut top: Vec<Node> = Vec::new();
        for a in actions {
            let node = match a {
                Err(t) => Node::Text(t),
                Ok(action) => {
                    let action = action.trim();
                    if let Some(rest) = action.strip_prefix("range ") {
                        let steps = parse_expr(rest.trim()).map_err(|r| err(&r))?;
                        stack.push((steps, std::mem::take(&mut top)));
                        continue;
                    }
                    if action == "end" {
                        let Some((steps, outer)) = stack.pop() else {
                            return Err(err("not in range, nothing to end"));
                        };
                        let body = std::mem::replace(&mut top, outer);
                        Node::Range(steps, body)
                    } else if action.starts_with('"') || action.starts_with('\'') {
                        Node::Text(unquote(action).map_err(|r| err(&r))?)
                    } else {
                        Node::Expr(parse_expr(action).map_err(|r| err(&r))?)
                    }
                }
            };
            top.push(node);
        }
        if !stack.is_empty() {
            return Err(err("unclosed range"));
        }
        Ok(Template { nodes: top })
    }

    /// Execute against `data`, stopping as soon as the output passes `max_bytes` (the text
    /// so far and `true` then) or failing when one expression selects more than
    /// [`MAX_VALUES`] values.
    pub fn render(&self, data: &Value, max_bytes: usize) -> Result<(String, bool), Overflow> {
        let mut out = String::new();
        match render_nodes(&self.nodes, data, &mut out, max_bytes) {
            Ok(()) => Ok((out, false)),
            Err(Overflow::Bytes(_)) => Ok((out, true)),
            Err(e) => Err(e),
        }
    }

    /// The values of a template that is one expression (`--sort-by`, custom columns).
    pub fn values<'a>(&self, data: &'a Value) -> Result<Vec<&'a Value>, Overflow> {
        let mut out = Vec::new();
        for n in &self.nodes {
            if let Node::Expr(steps) = n {
                out.extend(eval(steps, data)?);
                if out.len() > MAX_VALUES {
                    return Err(Overflow::Values(MAX_VALUES));
                }
            }
        }
        Ok(out)
    }
}

fn render_nodes(
    nodes: &[Node],
    data: &Value,
    out: &mut String,
    max_bytes: usize,
) -> Result<(), Overflow> {
    let full = |out: &String| {
        if out.len() > max_bytes {
            Err(Overflow::Bytes(max_bytes))
        } else {
            Ok(())
        }
    };
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Expr(steps) => {
                let vals = eval(steps, data)?;
                for (i, v) in vals.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(&value_text(v));
                    full(out)?;
                }
            }
            Node::Range(steps, body) => {
                for v in eval(steps, data)? {
                    render_nodes(body, v, out, max_bytes)?;
                }
            }
        }
        full(out)?;
    }
    Ok(())
}

/// A value as kubectl's jsonpath prints it: strings raw, the rest as compact JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !(n.is_i64() || n.is_u64()) => super::yaml::format_go_float(f),
            _ => n.to_string(),
        },
        other => compact_json(other),
    }
}

/// Go's `json.Marshal` of a map: compact, keys sorted, HTML characters escaped.
pub fn compact_json(v: &Value) -> String {
    super::json::to_json_compact(v)
}

fn unquote(s: &str) -> Result<String, String> {
    let q = s.chars().next().unwrap_or('"');
    if s.len() < 2 || !s.ends_with(q) {
        return Err(format!("unterminated string {s}"));
    }
    let inner = &s[1..s.len() - 1];
    let mut out = String::new();
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            Some('0') => out.push('\0'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    Ok(out)
}

fn parse_expr(s: &str) -> Result<Vec<Step>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut steps = Vec::new();
    // a leading `$` or `@` is the root / current object
    if matches!(chars.first(), Some('$') | Some('@')) {
        i = 1;
    }
    while i < chars.len() {
        match chars[i] {
            '.' => {
                if chars.get(i + 1) == Some(&'.') {
                    i += 2;
                    let (name, n) = ident(&chars, i);
                    if name.is_empty() {
                        return Err("missing field after ..".into());
                    }
                    steps.push(Step::Recursive(name));
                    i = n;
                } else {
                    i += 1;
                    if chars.get(i) == Some(&'*') {
                        steps.push(Step::Wildcard);
                        i += 1;
                        continue;
                    }
                    let (name, n) = ident(&chars, i);
                    if !name.is_empty() {
                        steps.push(Step::Field(name));
                    }
                    i = n;
                }
            }
            '[' => {
                let mut depth = 0;
                let mut j = i;
                let mut quote: Option<char> = None;
                loop {
                    let Some(&c) = chars.get(j) else {
                        return Err("unterminated array".into());
                    };
                    match quote {
                        Some(q) if c == q => quote = None,
                        Some(_) => {}
                        None => match c {
                            '\'' | '"' => quote = Some(c),
                            '[' => depth += 1,
                            ']' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        },
                    }
                    j += 1;
                }
                let inner: String = chars[i + 1..j].iter().collect();
                steps.push(parse_bracket(inner.trim())?);
                i = j + 1;
            }
            c if c.is_whitespace() => i += 1,
            _ => {
                let (name, n) = ident(&chars, i);
                if name.is_empty() {
                    return Err(format!("unrecognized character in action: {}", chars[i]));
                }
                steps.push(Step::Field(name));
                i = n;
            }
        }
    }
    Ok(steps)
}

fn ident(chars: &[char], mut i: usize) -> (String, usize) {
    let mut s = String::new();
    while let Some(&c) = chars.get(i) {
        if c == '.' || c == '[' || c.is_whitespace() {
            break;
        }
        s.push(c);
        i += 1;
    }
    (s, i)
}

fn parse_bracket(inner: &str) -> Result<Step, String> {
    if inner == "*" {
        return Ok(Step::Wildcard);
    }
    if let Some(f) = inner.strip_prefix('?') {
        let f = f.trim();
        let f = f
            .strip_prefix('(')
            .and_then(|f| f.strip_suffix(')'))
            .ok_or_else(|| format!("invalid filter {inner}"))?;
        return parse_filter(f.trim());
    }
    if inner.contains(',') {
        let parts = split_top(inner, ',');
        let mut steps = Vec::new();
        for p in parts {
            steps.push(parse_bracket(p.trim())?);
        }
        return Ok(Step::Union(steps));
    }
    if inner.starts_with('\'') || inner.starts_with('"') {
        return Ok(Step::Field(unquote(inner)?));
    }
    if inner.contains(':') {
        let parts: Vec<&str> = inner.split(':').collect();
        let num = |s: &str| -> Result<Option<i64>, String> {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse::<i64>()
                    .map(Some)
                    .map_err(|_| format!("invalid array index {s}"))
            }
        };
        return Ok(Step::Slice(
            num(parts.first().copied().unwrap_or(""))?,
            num(parts.get(1).copied().unwrap_or(""))?,
            num(parts.get(2).copied().unwrap_or(""))?,
        ));
    }
    inner
        .parse::<i64>()
        .map(Step::Index)
        .map_err(|_| format!("invalid array index {inner}"))
}

fn split_top(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == sep => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            None => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

fn parse_filter(f: &str) -> Result<Step, String> {
    for op in ["==", "!=", "<=", ">=", "<", ">", "=~"] {
        if let Some(pos) = find_outside_quotes(f, op) {
            let left = f[..pos].trim();
            let right = f[pos + op.len()..].trim();
            let value = if right.starts_with('"') || right.starts_with('\'') {
                Value::String(unquote(right)?)
            } else if let Ok(n) = right.parse::<i64>() {
                Value::from(n)
            } else if let Ok(x) = right.parse::<f64>() {
                Value::from(x)
            } else if right == "true" || right == "false" {
                Value::Bool(right == "true")
            } else {
                Value::String(right.to_string())
            };
            return Ok(Step::Filter(Filter {
                left: parse_expr(left)?,
                op: Some((op.to_string(), value)),
            }));
        }
    }
    Ok(Step::Filter(Filter {
        left: parse_expr(f)?,
        op: None,
    }))
}

fn find_outside_quotes(s: &str, pat: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if s[i..].starts_with(pat) => return Some(i),
            None => {}
        }
    }
    None
}

fn eval<'a>(steps: &[Step], root: &'a Value) -> Result<Vec<&'a Value>, Overflow> {
    let mut cur = vec![root];
    for s in steps {
        let mut next = Vec::new();
        for v in cur {
            apply(s, v, &mut next);
            if next.len() > MAX_VALUES {
                return Err(Overflow::Values(MAX_VALUES));
            }
        }
        cur = next;
    }
    Ok(cur)
}

fn apply<'a>(step: &Step, v: &'a Value, out: &mut Vec<&'a Value>) {
    match step {
        Step::Field(name) => {
            if let Some(x) = v.get(name.as_str()) {
                out.push(x);
            }
        }
        Step::Wildcard => match v {
            Value::Array(a) => out.extend(a.iter()),
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.extend(keys.into_iter().filter_map(|k| m.get(k)));
            }
            _ => {}
        },
        Step::Recursive(name) => recursive(v, name, out),
        Step::Index(i) => {
            if let Value::Array(a) = v {
                let idx = if *i < 0 { a.len() as i64 + i } else { *i };
                if idx >= 0
                    && let Some(x) = a.get(idx as usize)
                {
                    out.push(x);
                }
            }
        }
        Step::Slice(start, end, step) => {
            if let Value::Array(a) = v {
                let len = a.len() as i64;
                let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let s = start.map(norm).unwrap_or(0);
                let e = end.map(norm).unwrap_or(len);
                let st = step.unwrap_or(1).max(1) as usize;
                if s < e {
                    out.extend(a[s as usize..e as usize].iter().step_by(st));
                }
            }
        }
        Step::Filter(f) => {
            let items: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                Value::Object(m) => m.values().collect(),
                _ => Vec::new(),
            };
            for item in items {
                if filter_matches(f, item) {
                    out.push(item);
                }
            }
        }
        Step::Union(steps) => {
            for s in steps {
                apply(s, v, out);
            }
        }
    }
}

fn recursive<'a>(v: &'a Value, name: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if let Some(x) = m.get(name) {
                out.push(x);
            }
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                if let Some(child) = m.get(k) {
                    recursive(child, name, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| recursive(x, name, out)),
        _ => {}
    }
}

fn filter_matches(f: &Filter, item: &Value) -> bool {
    let lefts = eval(&f.left, item).unwrap_or_default();
    let Some((op, right)) = &f.op else {
        return !lefts.is_empty();
    };
    lefts.iter().any(|l| compare(l, op, right))
}

fn compare(l: &Value, op: &str, r: &Value) -> bool {
    use std::cmp::Ordering;
    let ord = match (l, r) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::String(a), Value::Number(b)) => a
            .parse::<f64>()
            .ok()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        _ => None,
    };
    match (op, ord) {
        ("==", Some(o)) => o == Ordering::Equal,
        ("!=", Some(o)) => o != Ordering::Equal,
        ("!=", None) => true,
        ("<", Some(o)) => o == Ordering::Less,
        (">", Some(o)) => o == Ordering::Greater,
        ("<=", Some(o)) => o != Ordering::Greater,
        (">=", Some(o)) => o != Ordering::Less,
        ("=~", _) => match (l.as_str(), r.as_str()) {
            (Some(a), Some(p)) => regex::Regex::new(p).is_ok_and(|re| re.is_match(a)),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn list() -> Value {
        json!({"apiVersion": "v1", "kind": "List", "items": [
            {"metadata": {"name": "api", "labels": {"app": "api"}, "creationTimestamp": "2026-11-25T18:30:33Z"},
             "spec": {"replicas": 1, "template": {"metadata": {"creationTimestamp": null}, "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}},
                      "strategy": {"rollingUpdate": {"maxSurge": "25%"}}}},
            {"metadata": {"name": "web", "labels": {"app": "web"}},
             "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx"}]}},
                      "strategy": {"rollingUpdate": {"maxSurge": "25%"}}}}
        ]})
    }

    fn run(t: &str) -> String {
        Template::parse(t)
            .unwrap()
            .render(&list(), usize::MAX)
            .unwrap()
            .0
    }

    /// Expected outputs were taken from kubectl 1.32 on the same data.
    #[test]
    fn kubectl_examples() {
        assert_eq!(run("{.items[*].metadata.name}"), "api web");
        assert_eq!(run("{.items[0].metadata.labels}"), "{\"app\":\"api\"}");
        assert_eq!(
            run("{range .items[*]}{.metadata.name}{\"\\t\"}{.spec.replicas}{\"\\n\"}{end}"),
            "api\t1\nweb\t2\n"
        );
        assert_eq!(
            run("{.items[?(@.metadata.name==\"api\")].spec.template.spec.containers[0].image}"),
            "nginx:1.25"
        );
        assert_eq!(run("{.items[*].nope}x\\n"), "x\\n");
        assert_eq!(run("{..image}"), "nginx:1.25 nginx");
        assert_eq!(
            run("{.items[1].spec.selector}"),
            "{\"matchLabels\":{\"app\":\"web\"}}"
        );
        assert_eq!(
            run("{.items[-1:].metadata.name} {.kind} {.items[0:1].metadata.name}"),
            "web List api"
        );
        assert_eq!(
            run("{.items[*].spec.strategy.rollingUpdate.maxSurge} {.items[*].spec.paused}"),
            "25% 25% "
        );
        assert_eq!(
            run(
                "{.items[0].metadata.creationTimestamp} {.items[0].spec.template.metadata.creationTimestamp}"
            ),
            "2026-11-25T18:30:33Z null"
        );
        assert_eq!(run("{.items[?(@.spec.replicas>1)].metadata.name}"), "web");
        assert_eq!(run("{.items[*]['metadata']['name']}"), "api web");
        assert_eq!(run("{$.kind}"), "List");
    }

    #[test]
    fn errors_are_specific() {
        let e = Template::parse("{.items[*].metadata.name").unwrap_err();
        assert_eq!(
            e.to_string(),
            "error parsing jsonpath {.items[*].metadata.name, unclosed action"
        );
        assert!(Template::parse("{range .items[*]}{.x}").is_err());
        assert!(Template::parse("{end}").is_err());
        assert!(Template::parse("{.items[abc]}").is_err());
    }

    #[test]
    fn unions_that_multiply_stop_at_the_bound() {
        let data = serde_json::json!({"items": [{"spec": {"containers": [{"name": "app",
            "args": ["--a", "--b"], "env": [{"name": "A", "value": "1"}]}]}}]});
        let u = vec!["0"; 40].join(",");
        let f = vec!["\"name\""; 40].join(",");
        let t = Template::parse(&format!(
            "{{.items[{u}].spec.containers[{u}].env[{u}][{f}]}}"
        ))
        .unwrap();
        assert_eq!(t.render(&data, 1 << 20), Err(Overflow::Values(MAX_VALUES)));
        let t = Template::parse(&format!(
            "{{range .items[{u}]}}{{range .spec.containers[{u}]}}{{range .args[{u}]}}{{.}}{{end}}{{end}}{{end}}"
        ))
        .unwrap();
        let (text, cut) = t.render(&data, 1000).unwrap();
        assert!(cut);
        assert!(text.len() <= 1000 + 8, "{}", text.len());
    }
}
