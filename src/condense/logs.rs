//! Logs: error lines and the tail, repeated lines collapsed into counts.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

/// Logs with at most this many lines (after collapsing runs) are kept whole.
const SHORT_LOG: usize = 40;

static ERROR_LINE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(\b(error|err|exception|fatal|panic|panicked|fail|failed|failure|refused|denied|timeout|timed out|oom|oomkilled|out of memory|killed|traceback|unable to|cannot|can't|could not|couldn't|invalid|unauthorized|forbidden|not found|no such|crash|segfault|sigsegv|sigterm|deadline exceeded|unavailable|unreachable|level=(error|fatal|warn))\b|\w+(Error|Exception)\b|^[EF]\d{4} |^\s+at [\w.$]+\(|^caused by)",
    )
    .ok()
});

static VARIABLE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\d{4}-\d{2}-\d{2}[T ][\d:.,]+(Z|[+-]\d{2}:?\d{2})?|\b0x[0-9a-fA-F]+\b|\d+").ok()
});

/// Whether a log line reports trouble.
pub(super) fn is_error_line(line: &str) -> bool {
    ERROR_LINE.as_ref().is_some_and(|re| re.is_match(line))
}

/// The line with timestamps and numbers generalised, to spot repeats.
fn normalise(line: &str) -> String {
    match VARIABLE.as_ref() {
        Some(re) => re.replace_all(line, "#").into_owned(),
        None => line.to_string(),
    }
}

/// Collapse runs of lines that differ only in timestamps/numbers: `line  [× 57]`.
pub(super) fn collapse_runs<'a>(lines: &[&'a str]) -> Vec<(&'a str, usize)> {
    let mut out: Vec<(&str, usize, String)> = Vec::new();
    for &l in lines {
        let n = normalise(l);
        match out.last_mut() {
            Some((_, count, last)) if *last == n => *count += 1,
            _ => out.push((l, 1, n)),
        }
    }
    out.into_iter().map(|(l, c, _)| (l, c)).collect()
}

fn render(line: &str, count: usize) -> String {
    if count > 1 {
        format!("{line}  [× {count}]\n")
    } else {
        format!("{line}\n")
    }
}

/// Condense a log; `tail` and `max_errors` bound the two parts (callers shrink them to fit
/// a token cap).
pub(super) fn condense(text: &str, tail: usize, max_errors: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let runs = collapse_runs(&lines);
    if runs.len() <= SHORT_LOG.max(tail) {
        let mut out = String::new();
        if runs.len() < lines.len() {
            out.push_str(&format!(
                "[{} log lines; repeated lines collapsed]\n",
                lines.len()
            ));
        }
        for (l, c) in runs {
            out.push_str(&render(l, c));
        }
        return out;
    }
    let tail_start = runs.len() - tail;
    // Error lines before the tail, each distinct (normalised) message once with its count.
    let mut order: Vec<String> = Vec::new();
    let mut seen: HashMap<String, (&str, usize, &str)> = HashMap::new();
    for (l, c) in &runs[..tail_start] {
        if !is_error_line(l) {
            continue;
        }
        let n = normalise(l);
        match seen.get_mut(&n) {
            Some((_, count, last)) => {
                *count += c;
                *last = l;
            }
            None => {
                order.push(n.clone());
                seen.insert(n, (l, *c, l));
            }
        }
    }
    let mut out = format!(
        "[{} log lines: error lines (each distinct message once, with its count) then the last {} lines]\n",
        lines.len(),
        tail
    );
    let shown = order.len().min(max_errors);
    if order.is_empty() {
        out.push_str("(no error lines before the tail)\n");
    }
    // The most recent distinct errors matter most when there are too many.
    for n in &order[order.len() - shown..] {
        if let Some((first, count, _)) = seen.get(n) {
            out.push_str(&render(first, *count));
        }
    }
    if shown < order.len() {
        out.push_str(&format!(
            "… {} older distinct error messages not shown\n",
            order.len() - shown
        ));
    }
    out.push_str(&format!("--- last {tail} lines ---\n"));
    for (l, c) in &runs[tail_start..] {
        out.push_str(&render(l, *c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_lines_are_recognised() {
        assert!(is_error_line("2024-01-01 ERROR connection refused"));
        assert!(is_error_line(
            "panic: runtime error: invalid memory address"
        ));
        assert!(is_error_line(
            "E0501 12:00:00.000 controller.go:12] sync failed"
        ));
        assert!(is_error_line("java.lang.OutOfMemoryError: Java heap space"));
        assert!(!is_error_line("INFO request served in 12ms"));
        assert!(!is_error_line("GET /healthz 200"));
    }

    #[test]
    fn runs_collapse_with_counts() {
        let lines = vec![
            "10:00:01 GET /healthz 200",
            "10:00:02 GET /healthz 200",
            "10:00:03 GET /healthz 200",
            "10:00:04 ERROR db down",
        ];
        let runs = collapse_runs(&lines);
        assert_eq!(
            runs,
            vec![
                ("10:00:01 GET /healthz 200", 3),
                ("10:00:04 ERROR db down", 1)
            ]
        );
    }
}
