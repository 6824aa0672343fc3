//! The building blocks every describer shares: an indenting writer (kubectl's
//! `PrefixWriter`), JSON accessors, and the multi-line printers for labels, annotations,
//! taints and tolerations, with kubectl's exact spacing.

use serde_json::Value;

use super::tabwriter;

/// Text written at indentation levels of two spaces, aligned by the tabwriter at the end.
#[derive(Default)]
pub struct W {
    buf: String,
}

impl W {
    pub fn new() -> Self {
        Self::default()
    }

    /// Write `text` at `level` (2 spaces per level). `text` carries its own `\t` and `\n`.
    pub fn w(&mut self, level: usize, text: &str) {
        for _ in 0..level {
            self.buf.push_str("  ");
        }
        push_escaped(&mut self.buf, text);
    }

    /// Write `text` without indentation.
    pub fn raw(&mut self, text: &str) {
        push_escaped(&mut self.buf, text);
    }

    /// The text written so far, not yet aligned.
    pub fn raw_text(&self) -> &str {
        &self.buf
    }

    /// The aligned text.
    pub fn finish(self) -> String {
        tabwriter::align(&self.buf)
    }
}

/// Terminal control characters in API data must not reach the screen: keep `\t` and `\n`
/// (they drive the layout) and show any other control character as `^X`-style text.
fn push_escaped(buf: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            buf.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            buf.push(c);
        }
    }
}

/// `v.a.b.c`, or `None`.
pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    if cur.is_null() { None } else { Some(cur) }
}

/// A string field, or "" (Go's zero value).
pub fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    get(v, path).and_then(Value::as_str).unwrap_or("")
}

/// An integer field, or 0.
pub fn i(v: &Value, path: &[&str]) -> i64 {
    get(v, path).and_then(Value::as_i64).unwrap_or(0)
}

/// A boolean field, or false.
pub fn b(v: &Value, path: &[&str]) -> bool {
    get(v, path).and_then(Value::as_bool).unwrap_or(false)
}

/// An array field, or an empty slice.
pub fn arr<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    get(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A map of strings (labels, selectors, ...) sorted by key.
pub fn str_map(v: &Value, path: &[&str]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = get(v, path)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), scalar(v)))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A JSON scalar as Go's `%v` prints it.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// `value` or `<none>` when empty.
pub fn or_none(value: &str) -> &str {
    if value.is_empty() { "<none>" } else { value }
}

/// kubectl's `printBool`: `True` / `False`.
pub fn print_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// A time as Go's `time.RFC1123Z` (`Mon, 02 Jan 2006 15:04:05 -0700`) in the local zone.
/// An absent time prints Go's zero time, as kubectl does.
pub fn rfc1123z(ts: &str) -> String {
    match ts.parse::<jiff::Timestamp>() {
        Ok(t) => t
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%a, %d %b %Y %H:%M:%S %z")
            .to_string(),
        Err(_) => "Mon, 01 Jan 0001 00:00:00 +0000".to_string(),
    }
}

/// Seconds elapsed since an RFC 3339 timestamp, if it parses.
pub fn since_seconds(ts: &str) -> Option<i64> {
    let t = ts.parse::<jiff::Timestamp>().ok()?;
    Some(jiff::Timestamp::now().as_second() - t.as_second())
}

/// kubectl's `translateTimestampSince`: a human duration, or `<unknown>`.
pub fn age(ts: &str) -> String {
    match since_seconds(ts) {
        Some(secs) => human_duration(secs),
        None => "<unknown>".to_string(),
    }
}

/// `k8s.io/apimachinery/pkg/util/duration.HumanDuration`, from whole seconds.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{}h", hours / 24, h)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{}d", hours / 24 / 365, dy)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// `printLabelsMultilineWithIndent`.
pub fn labels_multiline_indent(
    w: &mut W,
    initial_indent: &str,
    title: &str,
    inner_indent: &str,
    labels: &[(String, String)],
) {
    w.raw(&format!("{initial_indent}{title}:{inner_indent}"));
    if labels.is_empty() {
        w.raw("<none>\n");
        return;
    }
    for (n, (k, v)) in labels.iter().enumerate() {
        if n != 0 {
            w.raw(initial_indent);
            w.raw(inner_indent);
        }
        w.raw(&format!("{k}={v}\n"));
    }
}

/// `printLabelsMultiline`: `Title:\tk=v` then `\tk=v` lines.
pub fn labels_multiline(w: &mut W, title: &str, labels: &[(String, String)]) {
    labels_multiline_indent(w, "", title, "\t", labels);
}

const MAX_ANNOTATION_LEN: usize = 140;

/// `printAnnotationsMultiline` (skips the last-applied-configuration annotation).
pub fn annotations_multiline(w: &mut W, title: &str, annotations: &[(String, String)]) {
    w.raw(&format!("{title}:\t"));
    let keys: Vec<&(String, String)> = annotations
        .iter()
        .filter(|(k, _)| k != "kubectl.kubernetes.io/last-applied-configuration")
        .collect();
    if keys.is_empty() {
        w.raw("<none>\n");
        return;
    }
    for (n, (key, value)) in keys.into_iter().enumerate() {
        if n != 0 {
            w.raw("\t");
        }
        let value = value.strip_suffix('\n').unwrap_or(value);
        if value.len() + key.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            w.raw(&format!("{key}:\n"));
            for line in value.split('\n') {
                w.raw(&format!("\t  {}\n", shorten(line, MAX_ANNOTATION_LEN - 2)));
            }
        } else {
            w.raw(&format!("{key}: {value}\n"));
        }
    }
}

/// Cut at `max` bytes (on a character boundary) and add `...`, as kubectl's `shorten`.
fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...", &s[..cut])
}

/// `printTaintsMultilineWithIndent`: sorted by effect then key.
pub fn taints_multiline(w: &mut W, title: &str, taints: &[Value]) {
    w.raw(&format!("{title}:\t"));
    if taints.is_empty() {
        w.raw("<none>\n");
        return;
    }
    let mut list: Vec<&Value> = taints.iter().collect();
    list.sort_by_key(|t| format!("{},{}", s(t, &["effect"]), s(t, &["key"])));
    for (n, t) in list.into_iter().enumerate() {
        if n != 0 {
            w.raw("\t");
        }
        w.raw(&format!("{}\n", taint_string(t)));
    }
}

/// `Taint.ToString`: `key=value:Effect`, `key:Effect`, ...
pub fn taint_string(t: &Value) -> String {
    let (key, value, effect) = (s(t, &["key"]), s(t, &["value"]), s(t, &["effect"]));
    let mut out = key.to_string();
    if !value.is_empty() {
        out.push('=');
        out.push_str(value);
    }
    if !effect.is_empty() {
        out.push(':');
        out.push_str(effect);
    }
    out
}

/// `printTolerationsMultilineWithIndent`: sorted by key.
pub fn tolerations_multiline(w: &mut W, initial_indent: &str, title: &str, tols: &[Value]) {
    w.raw(&format!("{initial_indent}{title}:\t"));
    if tols.is_empty() {
        w.raw("<none>\n");
        return;
    }
    let mut list: Vec<&Value> = tols.iter().collect();
    list.sort_by(|a, b| s(a, &["key"]).cmp(s(b, &["key"])));
    for (n, t) in list.into_iter().enumerate() {
        if n != 0 {
            w.raw(initial_indent);
            w.raw("\t");
        }
        let (key, value, effect) = (s(t, &["key"]), s(t, &["value"]), s(t, &["effect"]));
        let mut line = key.to_string();
        if !value.is_empty() {
            line.push('=');
            line.push_str(value);
        }
        if !effect.is_empty() {
            line.push(':');
            line.push_str(effect);
        }
        if s(t, &["operator"]) == "Exists" && value.is_empty() {
            if !key.is_empty() || !effect.is_empty() {
                line.push_str(" op=Exists");
            } else {
                line.push_str("op=Exists");
            }
        }
        if let Some(secs) = get(t, &["tolerationSeconds"]).and_then(Value::as_i64) {
            line.push_str(&format!(" for {secs}s"));
        }
        w.raw(&format!("{line}\n"));
    }
}

/// `metav1.FormatLabelSelector`: `a=b,c in (x,y)`, `<none>` when empty.
pub fn format_label_selector(sel: Option<&Value>) -> String {
    let Some(sel) = sel else {
        return "<none>".to_string();
    };
    let mut parts: Vec<String> = str_map(sel, &["matchLabels"])
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in arr(sel, &["matchExpressions"]) {
        let key = s(e, &["key"]);
        let values: Vec<String> = arr(e, &["values"]).iter().map(scalar).collect();
        let op = s(e, &["operator"]);
        let part = match op {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            other => format!("{key} {other} ({})", values.join(",")),
        };
        parts.push(part);
    }
    if parts.is_empty() {
        "<none>".to_string()
    } else {
        parts.join(",")
    }
}

/// `LabelSelectorAsSelector(...).String()`: like [`format_label_selector`] but sorted by
/// key and empty (not `<none>`) for an empty selector.
pub fn selector_string(sel: Option<&Value>) -> String {
    let Some(sel) = sel else {
        return String::new();
    };
    let mut reqs: Vec<(String, String)> = str_map(sel, &["matchLabels"])
        .into_iter()
        .map(|(k, v)| (k.clone(), format!("{k}={v}")))
        .collect();
    for e in arr(sel, &["matchExpressions"]) {
        let key = s(e, &["key"]).to_string();
        let mut values: Vec<String> = arr(e, &["values"]).iter().map(scalar).collect();
        values.sort();
        let text = match s(e, &["operator"]) {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.clone(),
            "DoesNotExist" => format!("!{key}"),
            other => format!("{key} {other} ({})", values.join(",")),
        };
        reqs.push((key, text));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    reqs.into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(",")
}

/// `labels.FormatLabels`: `k=v,k2=v2` sorted, `<none>` when empty.
pub fn format_labels(map: &[(String, String)]) -> String {
    if map.is_empty() {
        return "<none>".to_string();
    }
    map.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `GetControllerOf` rendered as kubectl's `Controlled By` value (`Kind/name`).
pub fn controller_of(obj: &Value) -> Option<String> {
    arr(obj, &["metadata", "ownerReferences"])
        .iter()
        .find(|r| b(r, &["controller"]))
        .map(|r| format!("{}/{}", s(r, &["kind"]), s(r, &["name"])))
}

/// `IntOrString` as Go prints it.
pub fn int_or_string(v: Option<&Value>) -> String {
    v.map(scalar).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn human_durations_match_apimachinery() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(125), "2m5s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(9 * 3600), "9h");
        assert_eq!(human_duration(3 * 86400 + 3600), "3d1h");
        assert_eq!(human_duration(30 * 86400), "30d");
        assert_eq!(human_duration(-5), "<invalid>");
    }

    #[test]
    fn selectors() {
        let sel = json!({"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]}]});
        assert_eq!(
            format_label_selector(Some(&sel)),
            "a=1,b=2,env in (prod,dev)"
        );
        assert_eq!(selector_string(Some(&sel)), "a=1,b=2,env in (dev,prod)");
        assert_eq!(format_label_selector(Some(&json!({}))), "<none>");
    }

    #[test]
    fn tolerations_like_kubectl() {
        let tols = vec![
            json!({"operator": "Exists"}),
            json!({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}),
            json!({"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}),
        ];
        let mut w = W::new();
        tolerations_multiline(&mut w, "", "Tolerations", &tols);
        assert_eq!(
            w.finish(),
            "Tolerations:  op=Exists\n              dedicated=web:NoSchedule\n              node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
        );
    }

    #[test]
    fn long_annotations_are_folded() {
        let long = "x".repeat(200);
        let mut w = W::new();
        annotations_multiline(
            &mut w,
            "Annotations",
            &[("a".into(), "short".into()), ("b".into(), long)],
        );
        let out = w.finish();
        assert!(out.starts_with("Annotations:  a: short\n              b:\n"));
        assert!(out.contains(&format!("  {}...\n", "x".repeat(138))));
    }

    #[test]
    fn control_characters_are_escaped() {
        let mut w = W::new();
        w.w(0, "Name:\tevil\u{1b}[2J\n");
        assert_eq!(w.finish(), "Name:  evil\\u{1b}[2J\n");
    }
}
