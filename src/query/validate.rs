//! Syntactic checks for the values inside a query: names, resource types, selectors,
//! durations, output formats. Each returns a specific refusal.

use super::{OutputFormat, Refusal};

fn refuse<T>(msg: String) -> Result<T, Refusal> {
    Err(Refusal::new(msg))
}

/// An object name: DNS-1123-like, plus `:` and `@` (RBAC objects such as `system:node`).
pub fn name(s: &str) -> Result<(), Refusal> {
    if s.is_empty() {
        return refuse("an empty object name (write `TYPE/NAME` or `TYPE NAME`)".into());
    }
    if s.len() > 253 {
        return refuse(format!(
            "object name `{}…` is longer than 253 characters",
            &s[..20]
        ));
    }
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':' | '@'));
    let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !ok_chars || !first_ok || s.contains("..") {
        return refuse(format!(
            "`{s}` is not a valid object name (letters, digits, `-`, `.`, `_`, `:`; starting with a letter or digit)"
        ));
    }
    Ok(())
}

/// A namespace: a DNS-1123 label.
pub fn namespace(s: &str) -> Result<(), Refusal> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        refuse(format!(
            "`{s}` is not a valid namespace (lower-case letters, digits and `-`, at most 63)"
        ))
    }
}

/// A resource type as typed: `pods`, `po`, `Deployment`, `deployments.apps`,
/// `deployments.v1.apps`, `widgets.example.com`. Returned lower-cased.
pub fn resource(s: &str) -> Result<String, Refusal> {
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !s.ends_with('.')
        && !s.contains("..");
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        refuse(format!(
            "`{s}` is not a valid resource type (like `pods`, `deploy`, `deployments.apps`, `widgets.example.com`)"
        ))
    }
}

fn label_key(k: &str, whole: &str) -> Result<(), Refusal> {
    let bad = || {
        Refusal::new(format!(
            "label selector `{whole}`: `{k}` is not a valid label key"
        ))
    };
    let (prefix, nm) = match k.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if let Some(p) = prefix {
        let ok = !p.is_empty()
            && p.len() <= 253
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && p.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if !ok {
            return Err(bad());
        }
    }
    if !label_value_ok(nm) || nm.is_empty() {
        return Err(bad());
    }
    Ok(())
}

fn label_value_ok(v: &str) -> bool {
    v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && (v.is_empty()
            || (v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                && v.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())))
}

/// Split on commas that are not inside parentheses.
pub(crate) fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// A label selector: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`,
/// `a>1`, `a<1`, comma-separated.
pub fn label_selector(s: &str) -> Result<(), Refusal> {
    if s.trim().is_empty() {
        return refuse("an empty label selector".into());
    }
    if s.len() > 1024 {
        return refuse("label selector is longer than 1024 characters".into());
    }
    for req in split_top(s) {
        let req = req.trim();
        if req.is_empty() {
            return refuse(format!("label selector `{s}` has an empty requirement"));
        }
        if let Some(k) = req.strip_prefix('!') {
            label_key(k.trim(), s)?;
            continue;
        }
        if let Some((k, rest)) = split_set_op(req) {
            label_key(k, s)?;
            let inner = rest
                .trim()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| {
                    Refusal::new(format!(
                        "label selector `{s}`: a set needs parentheses, like `env in (prod,staging)`"
                    ))
                })?;
            for v in inner.split(',') {
                if !label_value_ok(v.trim()) {
                    return refuse(format!(
                        "label selector `{s}`: `{}` is not a valid label value",
                        v.trim()
                    ));
                }
            }
            continue;
        }
        let ops = ["==", "!=", "=", ">", "<"];
        let found = ops
            .iter()
            .filter_map(|op| req.find(op).map(|i| (i, *op)))
            .min_by_key(|(i, op)| (*i, std::cmp::Reverse(op.len())));
        match found {
            Some((i, op)) => {
                let (k, v) = (req[..i].trim(), req[i + op.len()..].trim());
                label_key(k, s)?;
                let numeric = op == ">" || op == "<";
                if (numeric && v.parse::<i64>().is_err()) || !label_value_ok(v) {
                    return refuse(format!(
                        "label selector `{s}`: `{v}` is not a valid value for `{op}`"
                    ));
                }
            }
            None => label_key(req, s)?,
        }
    }
    Ok(())
}

fn split_set_op(req: &str) -> Option<(&str, &str)> {
    for op in [" notin ", " in "] {
        if let Some(i) = req.find(op) {
            return Some((req[..i].trim(), &req[i + op.len()..]));
        }
    }
    None
}

/// A field selector: `key=value`, `key==value`, `key!=value`, comma-separated.
pub fn field_selector(s: &str) -> Result<(), Refusal> {
    if s.trim().is_empty() {
        return refuse("an empty field selector".into());
    }
    if s.len() > 1024 {
        return refuse("field selector is longer than 1024 characters".into());
    }
    for req in s.split(',') {
        let (i, len) = if let Some(i) = req.find("!=") {
            (i, 2)
        } else if let Some(i) = req.find("==") {
            (i, 2)
        } else if let Some(i) = req.find('=') {
            (i, 1)
        } else {
            return refuse(format!(
                "field selector `{s}`: `{req}` needs an operator (`=`, `==` or `!=`)"
            ));
        };
        let (k, v) = (&req[..i], &req[i + len..]);
        let key_ok = !k.is_empty()
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
            && k.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if !key_ok {
            return refuse(format!(
                "field selector `{s}`: `{k}` is not a field path like `status.phase`"
            ));
        }
        let val_ok = v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/' | '@'));
        if !val_ok {
            return refuse(format!("field selector `{s}`: `{v}` is not a valid value"));
        }
    }
    Ok(())
}

/// A duration as `--since` takes it (`30s`, `5m`, `1h30m`, `2h`) → seconds.
pub fn duration_seconds(s: &str) -> Result<i64, Refusal> {
    let bad = || {
        Refusal::new(format!(
            "`--since={s}` is not a duration like `30s`, `5m` or `1h30m`"
        ))
    };
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let unit = if c == 'm' && chars.peek() == Some(&'s') {
            chars.next();
            0.001
        } else {
            match c {
                'h' => 3600.0,
                'm' => 60.0,
                's' => 1.0,
                _ => return Err(bad()),
            }
        };
        let n: f64 = num.parse().map_err(|_| bad())?;
        total += n * unit;
        num.clear();
    }
    if !num.is_empty() {
        return Err(bad());
    }
    if total <= 0.0 {
        return Err(Refusal::new(format!("`--since={s}` must be positive")));
    }
    if total > 10.0 * 365.0 * 86400.0 {
        return Err(Refusal::new(format!("`--since={s}` is unreasonably long")));
    }
    Ok(total.ceil() as i64)
}

/// An RFC 3339 time, as `--since-time` takes it.
pub fn rfc3339(s: &str) -> Result<(), Refusal> {
    s.parse::<jiff::Timestamp>().map(|_| ()).map_err(|_| {
        Refusal::new(format!(
            "`--since-time={s}` is not an RFC 3339 time like `2024-05-01T10:00:00Z`"
        ))
    })
}

/// A JSONPath template as kubectl takes it (`{.items[*].metadata.name}`), syntactically.
pub fn jsonpath(s: &str, what: &str) -> Result<(), Refusal> {
    if s.is_empty() {
        return refuse(format!("{what}: an empty JSONPath expression"));
    }
    if s.len() > 1024 {
        return refuse(format!("{what}: the JSONPath expression is too long"));
    }
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            break;
        }
    }
    if depth != 0 {
        return refuse(format!("{what}: unbalanced braces in `{s}`"));
    }
    Ok(())
}

/// `--sort-by`: a JSONPath to a field (`.metadata.creationTimestamp` or `{.status.x}`).
pub fn sort_by(s: &str) -> Result<(), Refusal> {
    let inner = s
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(s);
    let first_ok = inner.starts_with('.') || inner.starts_with(|c: char| c.is_ascii_alphabetic());
    let ok = first_ok
        && inner.len() <= 256
        && inner.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '.' | '[' | ']' | '*' | '-' | '_' | '\'' | '"' | '/')
        });
    if ok {
        Ok(())
    } else {
        refuse(format!(
            "`--sort-by={s}` is not a field path like `.metadata.creationTimestamp`"
        ))
    }
}

/// `-o` values. `allowed` lists which formats the verb supports (by canonical name).
pub fn output(value: &str, verb: &str, allowed: &[&str]) -> Result<OutputFormat, Refusal> {
    let (kind, arg) = match value.split_once('=') {
        Some((k, a)) => (k, Some(a)),
        None => (value, None),
    };
    let fmt = match (kind, arg) {
        ("wide", None) => OutputFormat::Wide,
        ("yaml", None) => OutputFormat::Yaml,
        ("json", None) => OutputFormat::Json,
        ("name", None) => OutputFormat::Name,
        ("jsonpath", Some(a)) => {
            jsonpath(a, "-o jsonpath")?;
            OutputFormat::JsonPath(a.to_string())
        }
        ("custom-columns", Some(a)) => {
            custom_columns(a)?;
            OutputFormat::CustomColumns(a.to_string())
        }
        ("jsonpath", None) | ("custom-columns", None) => {
            return refuse(format!("`-o {kind}` needs a template, like `-o {kind}=…`"));
        }
        ("go-template" | "go-template-file" | "template" | "templatefile", _) => {
            return refuse(format!(
                "`-o {kind}` (Go templates) is not available; use `-o jsonpath=…` or `-o custom-columns=…`"
            ));
        }
        ("jsonpath-file" | "custom-columns-file", _) => {
            return refuse(format!(
                "`-o {kind}` reads a local file; put the template inline (`-o {}=…`)",
                kind.trim_end_matches("-file")
            ));
        }
        ("jsonpath-as-json", _) => {
            return refuse(
                "`-o jsonpath-as-json` is not available; use `-o jsonpath=…` or `-o json`".into(),
            );
        }
        _ => {
            return refuse(format!(
                "unknown output format `{value}` (use wide, yaml, json, name, jsonpath=…, custom-columns=…)"
            ));
        }
    };
    let canon = fmt.name();
    if !allowed.contains(&canon) {
        return refuse(format!(
            "`-o {kind}` is not available for `{verb}` (it supports: {})",
            allowed.join(", ")
        ));
    }
    Ok(fmt)
}

fn custom_columns(spec: &str) -> Result<(), Refusal> {
    for col in spec.split(',') {
        let (h, p) = col.split_once(':').ok_or_else(|| {
            Refusal::new(format!(
                "`-o custom-columns={spec}`: column `{col}` must be `HEADER:.json.path`"
            ))
        })?;
        if h.is_empty() || p.is_empty() {
            return refuse(format!(
                "`-o custom-columns={spec}`: column `{col}` must be `HEADER:.json.path`"
            ));
        }
        jsonpath(p, "-o custom-columns")?;
    }
    Ok(())
}

/// A non-negative integer flag value.
pub fn int(spelled: &str, v: &str, min: i64, max: i64) -> Result<i64, Refusal> {
    let n: i64 = v
        .parse()
        .map_err(|_| Refusal::new(format!("`{spelled}` needs a whole number, not `{v}`")))?;
    if n < min || n > max {
        return refuse(format!("`{spelled}={v}` is out of range ({min} to {max})"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        for ok in [
            "app=web",
            "app==web,tier!=db",
            "app",
            "!canary",
            "env in (prod, staging)",
            "env notin (dev),app=x",
            "app.kubernetes.io/name=web",
            "rank>3",
            "a=",
        ] {
            label_selector(ok).unwrap_or_else(|r| panic!("{ok}: {r}"));
        }
        for bad in [
            "",
            "app=we b",
            "=x",
            "env in prod",
            "a=b,,c",
            "app=-x",
            "a/b/c=d",
            "rank>x",
        ] {
            assert!(label_selector(bad).is_err(), "{bad}");
        }
        for ok in [
            "status.phase=Running",
            "spec.nodeName=n1,metadata.name!=x",
            "type==Warning",
            "involvedObject.name=web-1",
        ] {
            field_selector(ok).unwrap_or_else(|r| panic!("{ok}: {r}"));
        }
        for bad in ["status.phase", "=x", "a=b c", "a=$x"] {
            assert!(field_selector(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(duration_seconds("30s").ok(), Some(30));
        assert_eq!(duration_seconds("5m").ok(), Some(300));
        assert_eq!(duration_seconds("1h30m").ok(), Some(5400));
        assert_eq!(duration_seconds("1.5h").ok(), Some(5400));
        assert!(duration_seconds("5").is_err());
        assert!(duration_seconds("5d").is_err());
        assert!(duration_seconds("0s").is_err());
        assert!(rfc3339("2024-05-01T10:00:00Z").is_ok());
        assert!(rfc3339("yesterday").is_err());
    }

    #[test]
    fn names() {
        for ok in ["web-1", "a.b.c", "system:node:n1", "Web_1"] {
            name(ok).unwrap_or_else(|r| panic!("{ok}: {r}"));
        }
        for bad in ["", "-x", "a/b", "a b", "a..b", ".x"] {
            assert!(name(bad).is_err(), "{bad}");
        }
        assert!(namespace("kube-system").is_ok());
        assert!(namespace("Kube").is_err());
        assert_eq!(
            resource("Deployments.apps").ok().as_deref(),
            Some("deployments.apps")
        );
        assert!(resource("pods/x").is_err());
    }
}
