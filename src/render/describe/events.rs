//! The `Events:` section of a description, as kubectl prints it.

use serde_json::Value;

use super::writer::*;

/// The time kubectl sorts events by: series last observed, else last timestamp, else event
/// time (`event.SortableEvents`).
pub fn event_sort_time(e: &Value) -> String {
    let pick = |path: &[&str]| -> Option<String> {
        let t = s(e, path);
        (!t.is_empty()).then(|| t.to_string())
    };
    let raw = pick(&["series", "lastObservedTime"])
        .or_else(|| pick(&["lastTimestamp"]))
        .or_else(|| pick(&["eventTime"]))
        .unwrap_or_default();
    // Normalise to a sortable instant (eventTime carries microseconds).
    raw.parse::<jiff::Timestamp>()
        .map(|t| format!("{:020}", t.as_nanosecond()))
        .unwrap_or_default()
}

/// Sort events oldest first, as kubectl's describe does.
pub fn sort_events(events: &mut [Value]) {
    events.sort_by_cached_key(event_sort_time);
}

/// `DescribeEvents`.
pub fn describe_events(w: &mut W, events: &[Value]) {
    if events.is_empty() {
        w.w(0, "Events:\t<none>\n");
        return;
    }
    let mut list: Vec<Value> = events.to_vec();
    sort_events(&mut list);
    w.w(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.w(1, "----\t------\t----\t----\t-------\n");
    for e in &list {
        let interval = interval(e);
        let mut source = s(e, &["source", "component"]);
        if source.is_empty() {
            source = s(e, &["reportingComponent"]);
        }
        w.w(
            1,
            &format!(
                "{}\t{}\t{interval}\t{source}\t{}\n",
                s(e, &["type"]),
                s(e, &["reason"]),
                s(e, &["message"]).trim()
            ),
        );
    }
}

/// kubectl's event interval: `5m`, or `3m (x42 over 82m)` for repeated events.
pub fn interval(e: &Value) -> String {
    let first = if s(e, &["eventTime"]).is_empty() {
        age(s(e, &["firstTimestamp"]))
    } else {
        age(s(e, &["eventTime"]))
    };
    let count = i(e, &["count"]);
    if get(e, &["series"]).is_some() {
        format!(
            "{} (x{} over {first})",
            age(s(e, &["series", "lastObservedTime"])),
            i(e, &["series", "count"])
        )
    } else if count > 1 {
        format!("{} (x{count} over {first})", age(s(e, &["lastTimestamp"])))
    } else {
        first
    }
}

/// The `kubectl events` table: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (NAMESPACE first
/// with `-A`), oldest first as kubectl sorts them.
pub fn events_table(events: &[Value], all_namespaces: bool) -> String {
    let mut list: Vec<Value> = events.to_vec();
    sort_events(&mut list);
    let mut text = String::new();
    if all_namespaces {
        text.push_str("NAMESPACE\t");
    }
    text.push_str("LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE\n");
    for e in &list {
        if all_namespaces {
            text.push_str(s(e, &["metadata", "namespace"]));
            text.push('\t');
        }
        text.push_str(&format!(
            "{}\t{}\t{}\t{}/{}\t{}\n",
            interval(e),
            s(e, &["type"]),
            s(e, &["reason"]),
            s(e, &["involvedObject", "kind"]),
            s(e, &["involvedObject", "name"]),
            s(e, &["message"]).trim()
        ));
    }
    let mut w = W::new();
    w.raw(&text);
    super::tabwriter::align_table(w.raw_text())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn none_and_sorted_rows() {
        let mut w = W::new();
        describe_events(&mut w, &[]);
        assert_eq!(w.finish(), "Events:  <none>\n");

        let now = jiff::Timestamp::now();
        let ago = |secs: i64| (now - jiff::SignedDuration::from_secs(secs)).to_string();
        let events = vec![
            json!({"type": "Warning", "reason": "BackOff", "count": 42, "message": "Back-off restarting\n",
                   "firstTimestamp": ago(4920), "lastTimestamp": ago(205), "source": {"component": "kubelet"}}),
            json!({"type": "Normal", "reason": "Pulled", "count": 1, "message": "pulled",
                   "firstTimestamp": ago(5220), "lastTimestamp": ago(5220), "source": {"component": "kubelet"}}),
        ];
        let mut w = W::new();
        describe_events(&mut w, &events);
        let table = events_table(&events, false);
        assert_eq!(
            table,
            "LAST SEEN              TYPE      REASON    OBJECT   MESSAGE\n87m                    Normal    Pulled    /        pulled\n3m25s (x42 over 82m)   Warning   BackOff   /        Back-off restarting\n"
        );
        assert_eq!(
            w.finish(),
            "Events:\n  Type     Reason   Age                   From     Message\n  ----     ------   ----                  ----     -------\n  Normal   Pulled   87m                   kubelet  pulled\n  Warning  BackOff  3m25s (x42 over 82m)  kubelet  Back-off restarting\n"
        );
    }
}
