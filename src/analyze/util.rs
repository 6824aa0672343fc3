//! Small readers over JSON objects shared by the analyzers.

use serde_json::Value;

/// A string field (empty when absent).
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A string at a JSON pointer (empty when absent).
pub fn sp<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// An array at a JSON pointer (empty when absent).
pub fn arr<'a>(v: &'a Value, pointer: &str) -> &'a [Value] {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// An integer at a JSON pointer.
pub fn int(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

pub fn meta_name(v: &Value) -> &str {
    sp(v, "/metadata/name")
}

pub fn meta_namespace(v: &Value) -> Option<&str> {
    v.pointer("/metadata/namespace").and_then(Value::as_str)
}

/// The labels of an object as `(key, value)` pairs.
pub fn labels(v: &Value) -> Vec<(&str, &str)> {
    v.pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default()
}

/// Does a `map[string]string` selector (Service, nodeSelector) match these labels?
/// An empty selector matches nothing here (a Service without selector is not managed).
pub fn map_selector_matches(selector: &serde_json::Map<String, Value>, labels: &Value) -> bool {
    !selector.is_empty()
        && selector
            .iter()
            .all(|(k, want)| labels.get(k).and_then(Value::as_str) == want.as_str())
}

/// Does a `LabelSelector` (matchLabels + matchExpressions) match an object's labels?
/// An empty selector matches everything, as in the API.
pub fn label_selector_matches(selector: &Value, obj: &Value) -> bool {
    let empty = serde_json::Map::new();
    let labels = obj
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if let Some(ml) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in ml {
            if labels.get(k).and_then(Value::as_str) != v.as_str() {
                return false;
            }
        }
    }
    for expr in arr(selector, "/matchExpressions") {
        let key = s(expr, "key");
        let values: Vec<&str> = arr(expr, "/values")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let have = labels.get(key).and_then(Value::as_str);
        let ok = match s(expr, "operator") {
            "In" => have.is_some_and(|h| values.contains(&h)),
            "NotIn" => have.is_none_or(|h| !values.contains(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// A condition of an object's status by type: `(status, reason, message)`.
pub fn condition<'a>(v: &'a Value, ty: &str) -> Option<(&'a str, &'a str, &'a str)> {
    arr(v, "/status/conditions")
        .iter()
        .find(|c| s(c, "type") == ty)
        .map(|c| (s(c, "status"), s(c, "reason"), s(c, "message")))
}

/// Is a pod's Ready condition True?
pub fn pod_ready(pod: &Value) -> bool {
    condition(pod, "Ready").is_some_and(|(status, _, _)| status == "True")
}

/// Parse a Kubernetes quantity (`500m`, `1Gi`, `2`, `1e3`) into a float of base units.
pub fn quantity(q: &str) -> Option<f64> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let suffixes: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1024.0 * 1024.0),
        ("Gi", 1024.0 * 1024.0 * 1024.0),
        ("Ti", 1024.0f64.powi(4)),
        ("Pi", 1024.0f64.powi(5)),
        ("Ei", 1024.0f64.powi(6)),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    for (suf, mult) in suffixes {
        if let Some(num) = q.strip_suffix(suf) {
            return num.parse::<f64>().ok().map(|n| n * mult);
        }
    }
    q.parse::<f64>().ok()
}

/// A quantity as people write it: bytes in Mi/Gi, CPU in millicores.
pub fn human_quantity(resource: &str, value: f64) -> String {
    if resource == "cpu" {
        format!("{}m", (value * 1000.0).round() as i64)
    } else if value >= 1024.0 * 1024.0 * 1024.0 {
        let gi = value / (1024.0 * 1024.0 * 1024.0);
        if gi.fract() == 0.0 {
            format!("{gi}Gi")
        } else {
            format!("{gi:.1}Gi")
        }
    } else {
        format!("{}Mi", (value / (1024.0 * 1024.0)).round() as i64)
    }
}

/// Containers of a pod spec with their statuses, `(spec, status)`.
pub fn containers_with_status(pod: &Value, init: bool) -> Vec<(&Value, Option<&Value>)> {
    let (spec_p, status_p) = if init {
        ("/spec/initContainers", "/status/initContainerStatuses")
    } else {
        ("/spec/containers", "/status/containerStatuses")
    };
    let statuses = arr(pod, status_p);
    arr(pod, spec_p)
        .iter()
        .map(|c| {
            let name = s(c, "name");
            (c, statuses.iter().find(|st| s(st, "name") == name))
        })
        .collect()
}

/// How long before `now` an RFC 3339 time was, the way kubectl prints ages (`40m`, `5h`, `3d`).
pub fn ago(now: jiff::Timestamp, ts: &str) -> Option<String> {
    let t = ts.parse::<jiff::Timestamp>().ok()?;
    let secs = now.duration_since(t).as_secs().max(0);
    Some(match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 2 * 3600 => format!("{}m", s / 60),
        s if s < 2 * 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    })
}

/// When a pod's containers last ended (the latest `lastState.terminated.finishedAt`).
pub fn last_termination(pod: &Value) -> Option<&str> {
    arr(pod, "/status/containerStatuses")
        .iter()
        .map(|st| sp(st, "/lastState/terminated/finishedAt"))
        .filter(|t| !t.is_empty())
        .max()
}

/// The pod's owner as `kind/name` (a ReplicaSet is reported through its Deployment name
/// when the hash suffix can be stripped).
pub fn owner(v: &Value) -> Option<(&str, &str)> {
    arr(v, "/metadata/ownerReferences")
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool).unwrap_or(true))
        .map(|o| (s(o, "kind"), s(o, "name")))
}

/// Lines of a log that explain a failure: error-looking lines, else the last lines.
pub fn explaining_log_lines(log: &str, max: usize) -> Vec<String> {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut picked: Vec<String> = lines
        .iter()
        .filter(|l| is_error_line(l))
        .map(|l| l.trim_end().to_string())
        .collect();
    if picked.len() > max {
        picked.drain(..picked.len() - max);
    }
    if picked.is_empty() {
        let start = lines.len().saturating_sub(max.min(3));
        picked = lines[start..]
            .iter()
            .map(|l| l.trim_end().to_string())
            .collect();
    }
    picked
}

/// Does a log line look like it reports an error?
pub fn is_error_line(line: &str) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?i)\b(error|err|fatal|panic|exception|traceback|failed|failure|refused|denied|missing|not set|not found|no such|cannot|can't|unable|invalid|timeout|timed out|killed|out of memory)\b",
        )
        .ok()
    })
    .as_ref()
    .is_some_and(|re| re.is_match(line))
}

/// The message of the newest Warning event matching a reason (any reason when empty).
pub fn warning_messages<'a>(events: &[&'a Value], reasons: &[&str]) -> Vec<&'a Value> {
    events
        .iter()
        .copied()
        .filter(|e| s(e, "type") == "Warning")
        .filter(|e| reasons.is_empty() || reasons.contains(&s(e, "reason")))
        .collect()
}

/// One event as an evidence line: `Warning BackOff (x12): Back-off restarting failed container`.
pub fn event_line(e: &Value) -> String {
    let count = e
        .get("count")
        .and_then(Value::as_i64)
        .or_else(|| int(e, "/series/count"))
        .unwrap_or(1);
    let msg = e
        .get("message")
        .or_else(|| e.get("note"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let count = if count > 1 {
        format!(" (x{count})")
    } else {
        String::new()
    };
    format!(
        "event {} {}{}: {}",
        s(e, "type"),
        s(e, "reason"),
        count,
        msg.trim()
    )
}

/// The namespace argument for a suggested query.
pub fn ns_flag(ns: &str) -> String {
    if ns.is_empty() {
        String::new()
    } else {
        format!(" -n {ns}")
    }
}

/// The node condition a taint stands for, when it is one the control plane sets by itself
/// (the node lifecycle controller, the apiserver when a node registers, `kubectl cordon`):
/// `node.kubernetes.io/not-ready` → `NotReady`. Such a taint is the node's state, not a
/// choice of the cluster's operators: it is reported as the condition, never as a taint to
/// tolerate. `None` for taints someone put there (`dedicated=ingress`, `nvidia.com/gpu`).
pub fn condition_taint(key: &str) -> Option<&'static str> {
    Some(match key {
        "node.kubernetes.io/not-ready" => "NotReady",
        "node.kubernetes.io/unreachable" => "NotReady (unreachable)",
        "node.kubernetes.io/memory-pressure" => "under memory pressure",
        "node.kubernetes.io/disk-pressure" => "under disk pressure",
        "node.kubernetes.io/pid-pressure" => "under PID pressure",
        "node.kubernetes.io/network-unavailable" => "without network",
        "node.kubernetes.io/unschedulable" => "cordoned (unschedulable)",
        "node.kubernetes.io/out-of-service" => "out of service",
        "node.cloudprovider.kubernetes.io/uninitialized" => {
            "not yet initialized by the cloud provider"
        }
        "node.cloudprovider.kubernetes.io/shutdown" => "shut down",
        _ => return None,
    })
}

/// What a node's own state says is wrong with it, from its conditions and `spec.unschedulable`:
/// `NotReady`, `under disk pressure`, `cordoned (unschedulable)`. Empty for a healthy node.
pub fn node_troubles(node: &Value) -> Vec<&'static str> {
    let mut out = Vec::new();
    match condition(node, "Ready").map(|(st, _, _)| st) {
        Some("True") => {}
        Some("Unknown") => out.push("NotReady (unreachable)"),
        Some(_) => out.push("NotReady"),
        None => {}
    }
    for (ty, words) in [
        ("MemoryPressure", "under memory pressure"),
        ("DiskPressure", "under disk pressure"),
        ("PIDPressure", "under PID pressure"),
        ("NetworkUnavailable", "without network"),
    ] {
        if condition(node, ty).is_some_and(|(st, _, _)| st == "True") {
            out.push(words);
        }
    }
    if node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        out.push("cordoned (unschedulable)");
    }
    out
}

/// The taints on a node someone put there (not the condition taints, see [`condition_taint`])
/// with effect NoSchedule or NoExecute.
pub fn user_taints(node: &Value) -> impl Iterator<Item = &Value> {
    arr(node, "/spec/taints").iter().filter(|t| {
        matches!(s(t, "effect"), "NoSchedule" | "NoExecute")
            && condition_taint(s(t, "key")).is_none()
    })
}

/// Does a toleration tolerate a taint (key, value by operator, effect)?
pub fn toleration_matches(tol: &Value, taint: &Value) -> bool {
    let key_ok = s(tol, "key").is_empty() && s(tol, "operator") == "Exists"
        || s(tol, "key") == s(taint, "key");
    let effect_ok = s(tol, "effect").is_empty() || s(tol, "effect") == s(taint, "effect");
    let value_ok = s(tol, "operator") == "Exists" || s(tol, "value") == s(taint, "value");
    key_ok && effect_ok && value_ok
}

/// Does a pod (or a pod template's spec holder) tolerate a taint?
pub fn pod_tolerates(pod: &Value, taint: &Value) -> bool {
    arr(pod, "/spec/tolerations")
        .iter()
        .any(|t| toleration_matches(t, taint))
}

/// A taint in words: `dedicated=ingress:NoSchedule`.
pub fn taint_words(t: &Value) -> String {
    let v = s(t, "value");
    format!(
        "{}{}:{}",
        s(t, "key"),
        if v.is_empty() {
            String::new()
        } else {
            format!("={v}")
        },
        s(t, "effect")
    )
}

/// A text trimmed and cut to `max` characters, with `…` where it was cut: one rule for every
/// quoted line and message a finding, cause or error carries.
pub fn cut(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// Levenshtein distance between two strings, by characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(here).min(row[j])
            };
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        let now: jiff::Timestamp = "2026-01-10T12:00:00Z".parse().unwrap();
        assert_eq!(ago(now, "2026-01-10T11:59:30Z").as_deref(), Some("30s"));
        assert_eq!(ago(now, "2026-01-10T11:20:00Z").as_deref(), Some("40m"));
        assert_eq!(ago(now, "2026-01-10T07:00:00Z").as_deref(), Some("5h"));
        assert_eq!(ago(now, "2026-01-07T12:00:00Z").as_deref(), Some("3d"));
        assert_eq!(ago(now, "not a time"), None);
    }
    use serde_json::json;

    #[test]
    fn condition_taints_are_the_nodes_state_not_user_taints() {
        let node = json!({
            "spec": {"taints": [
                {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
                {"key": "dedicated", "value": "ingress", "effect": "NoSchedule"},
                {"key": "example.com/soft", "effect": "PreferNoSchedule"},
            ]},
            "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]},
        });
        let user: Vec<String> = user_taints(&node).map(taint_words).collect();
        assert_eq!(user, vec!["dedicated=ingress:NoSchedule".to_string()]);
        assert_eq!(node_troubles(&node), vec!["NotReady (unreachable)"]);
        assert_eq!(
            condition_taint("node.kubernetes.io/disk-pressure"),
            Some("under disk pressure")
        );
        assert_eq!(condition_taint("nvidia.com/gpu"), None);
        let healthy = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        assert!(node_troubles(&healthy).is_empty());
        let cordoned = json!({"spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "DiskPressure", "status": "True"}]}});
        assert_eq!(
            node_troubles(&cordoned),
            vec!["under disk pressure", "cordoned (unschedulable)"]
        );
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(super::edit_distance("giftcard-leger", "giftcard-ledger"), 1);
        assert_eq!(super::edit_distance("gp3-encypted", "gp3-encrypted"), 1);
        assert_eq!(super::edit_distance("", "abc"), 3);
        assert_eq!(super::edit_distance("kitten", "sitting"), 3);
    }
}
