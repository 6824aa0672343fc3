//! When a log line was written, from the timestamp it carries: the kubelet's RFC 3339 prefix
//! (`--timestamps`), ISO-8601 with or without a zone (`2026-12-02T00:41:00.210+01:00`,
//! `2026-12-02 00:41:00,210`, `2026/12/02 00:41:00`), klog (`I1202 03:04:05.123456`), syslog
//! (`Dec  2 03:04:05`), Apache/nginx access logs (`[02/Dec/2026:03:04:05 +0000]`), epoch
//! seconds or milliseconds (a leading number, or a JSON `ts`/`time`/`timestamp` field), and a
//! bare time of day (`03:04:05.123`), so that a log's span (how long a container ran before
//! it was killed) can be read whatever the application's format.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

/// When a line was written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stamp {
    /// Seconds since the Unix epoch (a year-less date counts from 2000: only spans matter).
    At(f64),
    /// Seconds since midnight (the line has no date).
    OfDay(f64),
}

fn re(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

macro_rules! regex {
    ($pattern:expr) => {{
        static CELL: OnceLock<Option<Regex>> = OnceLock::new();
        re(&CELL, $pattern)
    }};
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn month_number(name: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let l = name.get(..3)?.to_ascii_lowercase();
    MONTHS.iter().position(|m| *m == l).map(|i| i as i64 + 1)
}

fn fraction(f: Option<regex::Match<'_>>) -> f64 {
    f.and_then(|m| format!("0.{}", m.as_str()).parse().ok())
        .unwrap_or(0.0)
}

/// `Z`, `UTC`, `+01:00`, `-0500`: the offset east of UTC in seconds.
fn offset_seconds(zone: Option<regex::Match<'_>>) -> i64 {
    let Some(z) = zone.map(|m| m.as_str().trim()) else {
        return 0;
    };
    let Some(sign) = z.chars().next().filter(|c| *c == '+' || *c == '-') else {
        return 0;
    };
    let digits: String = z[1..].chars().filter(char::is_ascii_digit).collect();
    let h: i64 = digits.get(..2).and_then(|h| h.parse().ok()).unwrap_or(0);
    let m: i64 = digits.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
    let off = h * 3600 + m * 60;
    if sign == '-' { -off } else { off }
}

/// A civil date `(year, month, day)`, a time `(hours, minutes, seconds with fraction)` and
/// the zone's offset east of UTC in seconds.
fn at((y, mo, d): (i64, i64, i64), (h, mi, s): (f64, f64, f64), offset: i64) -> Stamp {
    let days = days_from_civil(y, mo, d) as f64;
    Stamp::At(days * 86_400.0 + h * 3600.0 + mi * 60.0 + s - offset as f64)
}

/// A number of seconds, milliseconds, microseconds or nanoseconds since the epoch.
fn epoch(n: f64) -> Option<Stamp> {
    let secs = match n {
        n if n >= 1e17 => n / 1e9,
        n if n >= 1e14 => n / 1e6,
        n if n >= 1e11 => n / 1e3,
        n if n >= 1e8 => n,
        _ => return None,
    };
    Some(Stamp::At(secs))
}

/// The timestamp in a JSON log line's time field.
fn json_stamp(t: &str) -> Option<Stamp> {
    let v: Value = serde_json::from_str(t).ok()?;
    let obj = v.as_object()?;
    let field = [
        "ts",
        "time",
        "timestamp",
        "@timestamp",
        "t",
        "date",
        "datetime",
        "asctime",
        "timeMillis",
        "instant",
    ]
    .iter()
    .find_map(|k| obj.get(*k))?;
    value_stamp(field)
}

fn value_stamp(v: &Value) -> Option<Stamp> {
    match v {
        Value::Number(n) => epoch(n.as_f64()?),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(epoch)
            .or_else(|| text_stamp(s)),
        // MongoDB `{"$date": …}`, log4j2 `{"epochSecond": …, "nanoOfSecond": …}`
        Value::Object(o) => match (o.get("$date"), o.get("epochSecond")) {
            (Some(d), _) => value_stamp(d),
            (None, Some(Value::Number(s))) => {
                let nanos = o.get("nanoOfSecond").and_then(Value::as_f64).unwrap_or(0.0);
                Some(Stamp::At(s.as_f64()? + nanos / 1e9))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The timestamp a plain line carries near its start.
fn text_stamp(line: &str) -> Option<Stamp> {
    let head: String = line.chars().take(80).collect();
    let num =
        |c: &regex::Captures<'_>, i: usize| -> Option<f64> { c.get(i)?.as_str().parse().ok() };
    // ISO-8601 / RFC 3339, and the slash form of Go's log package and nginx.
    if let Some(c) = regex!(
        r"(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s?(Z|UTC|[+-]\d{2}:?\d{2})?"
    )?
    .captures(&head)
    {
        return Some(at((num(&c, 1)? as i64, num(&c, 2)? as i64, num(&c, 3)? as i64), (num(&c, 4)?, num(&c, 5)?, num(&c, 6)? + fraction(c.get(7))), offset_seconds(c.get(8))));
    }
    // klog / glog: `I1202 03:04:05.123456`.
    if let Some(c) = regex!(r"^[IWEF](\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?")?
        .captures(head.trim_start())
    {
        return Some(at(
            (2000, num(&c, 1)? as i64, num(&c, 2)? as i64),
            (num(&c, 3)?, num(&c, 4)?, num(&c, 5)? + fraction(c.get(6))),
            0,
        ));
    }
    // Apache / nginx access logs: `[02/Dec/2026:03:04:05 +0000]`.
    if let Some(c) =
        regex!(r"(\d{2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\s([+-]\d{4}))?")?
            .captures(&head)
    {
        return Some(at(
            (num(&c, 3)? as i64, month_number(&c[2])?, num(&c, 1)? as i64),
            (num(&c, 4)?, num(&c, 5)?, num(&c, 6)? + 0.0),
            offset_seconds(c.get(7)),
        ));
    }
    // syslog / journald short: `Dec  2 03:04:05`.
    if let Some(c) = regex!(
        r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w* +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    )?
    .captures(head.trim_start())
    {
        return Some(at((2000, month_number(&c[1])?, num(&c, 2)? as i64), (num(&c, 3)?, num(&c, 4)?, num(&c, 5)? + fraction(c.get(6))), 0));
    }
    // A leading epoch number: `1733108645.123 …`, `1733108645123 …`.
    if let Some(c) =
        regex!(r"^\[?(\d{10}(?:\.\d+)?|\d{13}|\d{16}|\d{19})\b")?.captures(head.trim_start())
    {
        return epoch(num(&c, 1)?);
    }
    // A bare time of day (Elixir, Python's default formats without a date, HH:MM:SS prefixes).
    let c = regex!(r"(?:^|[^\d:])(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?")?
        .captures(head.get(..head.len().min(48)).unwrap_or(&head))?;
    let (h, m, s) = (num(&c, 1)?, num(&c, 2)?, num(&c, 3)?);
    if h >= 24.0 || m >= 60.0 || s >= 61.0 {
        return None;
    }
    Some(Stamp::OfDay(h * 3600.0 + m * 60.0 + s + fraction(c.get(4))))
}

/// When a line was written, if it says.
pub fn stamp(line: &str) -> Option<Stamp> {
    let t = strip_kubelet_prefix(line).trim();
    // The kubelet's own prefix is the most reliable time there is.
    if t.len() != line.trim().len() {
        return text_stamp(line.trim());
    }
    if t.starts_with('{') {
        return json_stamp(t).or_else(|| text_stamp(t));
    }
    text_stamp(t)
}

/// A line without the RFC 3339 timestamp `kubectl logs --timestamps` puts in front of it.
pub fn strip_kubelet_prefix(line: &str) -> &str {
    let Some(r) = regex!(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}) ")
    else {
        return line;
    };
    match r.find(line) {
        Some(m) => &line[m.end()..],
        None => line,
    }
}

/// Seconds from the first timestamped line to the last (a time of day that goes backwards
/// has passed midnight); `None` with fewer than two timestamped lines.
pub fn span<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<f64> {
    let mut total = 0.0;
    let mut last: Option<Stamp> = None;
    let mut stamped = 0;
    for l in lines {
        let Some(s) = stamp(l) else { continue };
        stamped += 1;
        match (last, s) {
            (Some(Stamp::At(a)), Stamp::At(b)) if b >= a => total += b - a,
            (Some(Stamp::OfDay(a)), Stamp::OfDay(b)) => {
                total += if b >= a { b - a } else { b + 86_400.0 - a }
            }
            _ => {}
        }
        last = Some(s);
    }
    (stamped >= 2).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(lines: &[&str]) -> f64 {
        span(lines.iter().copied()).expect("a span")
    }

    #[test]
    fn formats_in_the_wild() {
        // RFC 3339 with zones: the same instant.
        assert_eq!(
            stamp("2026-12-02T01:41:00+01:00 x"),
            stamp("2026-12-02T00:41:00Z x")
        );
        assert_eq!(
            secs(&[
                "2026-12-02 00:41:00,210 INFO a",
                "2026-12-02 00:41:52,710 INFO b"
            ]),
            52.5
        );
        assert_eq!(
            secs(&[
                "I1202 03:04:05.000000 1 main.go:1] a",
                "W1202 03:05:05.500000 1 x.go:2] b"
            ]),
            60.5
        );
        assert_eq!(
            secs(&[
                r#"{"ts":1764636000000,"msg":"a"}"#,
                r#"{"ts":1764636042000,"msg":"b"}"#
            ]),
            42.0
        );
        assert_eq!(
            secs(&[
                r#"{"ts":1764636000.25,"level":"info"}"#,
                r#"{"ts":1764636010.75}"#
            ]),
            10.5
        );
        assert_eq!(
            secs(&[
                r#"{"time":"2026-12-02T00:41:00Z"}"#,
                r#"{"time":"2026-12-02T00:41:30Z"}"#
            ]),
            30.0
        );
        assert_eq!(
            secs(&[
                r#"{"t":{"$date":"2026-12-02T00:41:00.000+00:00"}}"#,
                r#"{"t":{"$date":"2026-12-02T00:41:09.000+00:00"}}"#
            ]),
            9.0
        );
        assert_eq!(
            secs(&[
                "Dec  2 03:04:05 host app[1]: a",
                "Dec  2 03:04:35 host app[1]: b"
            ]),
            30.0
        );
        assert_eq!(
            secs(&[
                "10.0.0.1 - - [02/Dec/2026:03:04:05 +0000] \"GET /\"",
                "10.0.0.1 - - [02/Dec/2026:03:04:15 +0000] \"GET /\""
            ]),
            10.0
        );
        assert_eq!(
            secs(&[
                "I, [2026-12-02T03:04:05.123456 #1]  INFO -- : a",
                "I, [2026-12-02T03:04:06.123456 #1]  INFO -- : b"
            ]),
            1.0
        );
        assert_eq!(
            secs(&["03:04:05.123 [info] a", "03:04:07.623 [info] b"]),
            2.5
        );
        // Across midnight with a time of day only, and with dates.
        assert_eq!(secs(&["23:59:50 a", "00:00:10 b"]), 20.0);
        assert_eq!(
            secs(&["2026-12-31T23:59:50Z a", "2027-01-01T00:00:10Z b"]),
            20.0
        );
        assert_eq!(secs(&["1764636000.5 a", "1764636003 b"]), 2.5);
    }

    #[test]
    fn the_kubelet_prefix_comes_first_and_strips() {
        let l = "2026-12-02T00:41:00.210123Z 2026-12-02 09:00:00 INFO starting";
        assert_eq!(strip_kubelet_prefix(l), "2026-12-02 09:00:00 INFO starting");
        assert_eq!(stamp(l), stamp("2026-12-02T00:41:00.210123Z"));
        assert_eq!(strip_kubelet_prefix("panic: x"), "panic: x");
    }

    #[test]
    fn no_timestamp_no_span() {
        assert_eq!(stamp("starting the server"), None);
        assert_eq!(stamp("listening on port 8080"), None);
        assert_eq!(span(["a", "b"]), None);
        assert_eq!(span(["12:00:00 only one"]), None);
        // A version or a port is not a time.
        assert_eq!(stamp("v1.2.3 on 10.0.0.1:8080"), None);
    }
}
