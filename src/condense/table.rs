//! Tables as kubectl prints them: header kept, abnormal rows first, normal rows summarised.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

/// Tables with at most this many rows are kept whole.
const SMALL_TABLE: usize = 12;
/// Normal rows shown (as examples) before the summary line.
const NORMAL_EXAMPLES: usize = 3;

static ABNORMAL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(CrashLoopBackOff|BackOff|Err[A-Za-z]*|Error|Fail[a-z]*|Pending|NotReady|Unknown|Evicted|OOMKilled|ImagePull|InvalidImageName|CreateContainer|Terminating|ContainerCreating|PodInitializing|Init:|Warning|Lost|Unhealthy|SchedulingDisabled|Pressure|Unavailable|Unschedulable|Released|Suspended|DeadlineExceeded|NodeLost|Shutdown|Completed.*Error|<invalid>)",
    )
    .ok()
});

/// Whether `line` is a kubectl table header: two or more columns separated by runs of
/// spaces, no lower-case letters outside parentheses (`CPU(cores)`).
pub(super) fn is_header(line: &str) -> bool {
    let cols = columns(line);
    if cols.len() < 2 || !line.starts_with(|c: char| c.is_ascii_uppercase()) {
        return false;
    }
    let mut depth = 0i32;
    for c in line.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if c.is_lowercase() && depth == 0 => return false,
            _ => {}
        }
    }
    true
}

/// Start columns (byte offsets) of the header's columns: text after two or more spaces.
fn columns(header: &str) -> Vec<(usize, String)> {
    let mut cols = Vec::new();
    let bytes = header.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        // A column name ends at two spaces (single spaces occur inside: "LAST SEEN").
        while i < bytes.len() && !(bytes[i] == b' ' && bytes.get(i + 1).is_none_or(|b| *b == b' '))
        {
            i += 1;
        }
        cols.push((start, header[start..i].to_string()));
    }
    cols
}

fn cell<'a>(row: &'a str, cols: &[(usize, String)], idx: usize) -> &'a str {
    let start = cols[idx].0;
    let end = cols.get(idx + 1).map(|c| c.0).unwrap_or(row.len());
    let s = row
        .get(start.min(row.len())..end.min(row.len()))
        .unwrap_or("");
    s.trim()
}

fn col_index(cols: &[(usize, String)], names: &[&str]) -> Option<usize> {
    cols.iter().position(|(_, n)| names.contains(&n.as_str()))
}

/// Why a row needs attention, if it does.
fn is_abnormal(row: &str, cols: &[(usize, String)]) -> bool {
    let status = col_index(cols, &["STATUS"]).map(|i| cell(row, cols, i));
    if let Some(i) = col_index(cols, &["TYPE"]) {
        let t = cell(row, cols, i);
        if t == "Warning" {
            return true;
        }
        if t == "Normal" {
            return false;
        }
    }
    if let Some(i) = col_index(cols, &["RESTARTS"]) {
        let n: u64 = cell(row, cols, i)
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if n > 0 {
            return true;
        }
    }
    let completed = status.is_some_and(|s| s == "Completed" || s == "Succeeded");
    if !completed && let Some(i) = col_index(cols, &["READY"]) {
        let ready = cell(row, cols, i);
        if let Some((a, b)) = ready.split_once('/')
            && a != b
        {
            return true;
        }
    }
    if let Some(i) = col_index(cols, &["AVAILABLE"]) {
        let a = cell(row, cols, i);
        if a == "0" || a == "False" {
            return true;
        }
    }
    // Anything else that reads like trouble, in any cell (statuses, reasons, messages).
    ABNORMAL.as_ref().is_some_and(|re| re.is_match(row))
}

/// A label for the summary: the row's STATUS (or TYPE / PHASE), else "other".
fn summary_key(row: &str, cols: &[(usize, String)]) -> String {
    for names in [&["STATUS"][..], &["TYPE"], &["PHASE"], &["READY"]] {
        if let Some(i) = col_index(cols, names) {
            let c = cell(row, cols, i);
            if !c.is_empty() {
                return c.to_string();
            }
        }
    }
    "other".into()
}

/// Namespaces a summary line names, at most. A namespace costs a few tokens; knowing that it
/// exists (where a dependency runs) is often the step the investigation hangs on.
const SUMMARY_NAMESPACES: usize = 500;

/// The namespaces of summarised rows, each with its count when above one
/// (` in namespaces a (3), b, c`), when the table has a NAMESPACE column: where something runs
/// stays visible.
fn namespaces_of(rows: &[&str], cols: &[(usize, String)], named: &[&str]) -> String {
    let Some(i) = col_index(cols, &["NAMESPACE"]) else {
        return String::new();
    };
    let mut counts: Vec<(String, usize)> = Vec::new();
    for r in rows {
        let n = cell(r, cols, i);
        if n.is_empty() {
            continue;
        }
        match counts.iter_mut().find(|(m, _)| m == n) {
            Some(e) => e.1 += 1,
            None => counts.push((n.to_string(), 1)),
        }
    }
    if counts.is_empty() {
        return String::new();
    }
    let before = counts.len();
    counts.retain(|(n, _)| !named.contains(&n.as_str()));
    let also = before - counts.len();
    if counts.is_empty() {
        return " in the namespaces above".to_string();
    }
    let more = counts.len().saturating_sub(SUMMARY_NAMESPACES);
    let shown: Vec<String> = counts
        .iter()
        .take(SUMMARY_NAMESPACES)
        .map(|(n, c)| {
            if *c > 1 {
                format!("{n} ({c})")
            } else {
                n.clone()
            }
        })
        .collect();
    format!(
        " in {}{}{}",
        if also > 0 {
            format!("{also} of the namespaces above and in ")
        } else {
            "namespaces ".to_string()
        },
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

/// Names a directory table keeps, at most.
const DIRECTORY_NAMES: usize = 300;

/// A table whose columns say nothing about health: a list of names with attributes.
fn is_directory(cols: &[(usize, String)]) -> bool {
    const STATE: &[&str] = &[
        "STATUS",
        "READY",
        "RESTARTS",
        "AVAILABLE",
        "PHASE",
        "REASON",
        "MESSAGE",
        "UP-TO-DATE",
        "COMPLETIONS",
        "SUSPEND",
        "ACTIVE",
        "CURRENT",
        "DESIRED",
    ];
    !cols.iter().any(|(_, n)| STATE.contains(&n.as_str()))
}

/// Condense one table (header line + rows). `keep`, when given, is how many rows may be shown
/// at most (the output did not fit at full detail): the abnormal rows come first, the rest is
/// summarised, and each namespace is written once.
pub(super) fn condense(lines: &[&str], keep: Option<usize>) -> String {
    let Some((header, rows)) = lines.split_first() else {
        return String::new();
    };
    let mut out = String::new();
    out.push_str(header);
    out.push('\n');
    let fits = |n: usize| keep.is_none_or(|k| n <= k);
    if rows.len() <= SMALL_TABLE && fits(rows.len()) {
        for r in rows {
            out.push_str(r);
            out.push('\n');
        }
        return out;
    }
    let cols = columns(header);
    let (abnormal, normal): (Vec<&str>, Vec<&str>) =
        rows.iter().copied().partition(|r| is_abnormal(r, &cols));
    let examples = &normal[..normal.len().min(NORMAL_EXAMPLES)];
    let rest = &normal[examples.len()..];
    let first: Vec<&str> = abnormal.iter().chain(examples).copied().collect();
    let limit = keep.unwrap_or(usize::MAX).min(first.len());
    let (shown, hidden) = first.split_at(limit);
    for r in shown {
        out.push_str(r);
        out.push('\n');
    }
    // A directory (Services, ConfigMaps, Roles: no status of any kind): the names are what
    // was asked for ("is there a Service like this one, in which namespace?"), so they stay,
    // without the other columns.
    let all_rest: Vec<&str> = hidden.iter().chain(rest).copied().collect();
    if !all_rest.is_empty()
        && is_directory(&cols)
        && let Some(line) = directory_names(&all_rest, &cols)
    {
        out.push_str(&line);
        return out;
    }
    let has_ns = col_index(&cols, &["NAMESPACE"]).is_some();
    if !hidden.is_empty() {
        out.push_str(&format!(
            "… {} more rows not shown ({}){}\n",
            hidden.len(),
            status_counts(hidden, &cols),
            if has_ns {
                namespaces_of(hidden, &cols, &[])
            } else {
                names_of(hidden, &cols)
            }
        ));
    }
    if !rest.is_empty() {
        let names = if has_ns {
            // Namespaces the lines above name are not written again.
            let named: Vec<&str> = match col_index(&cols, &["NAMESPACE"]) {
                Some(i) => first.iter().map(|r| cell(r, &cols, i)).collect(),
                None => Vec::new(),
            };
            namespaces_of(rest, &cols, &named)
        } else {
            names_of(rest, &cols)
        };
        out.push_str(&format!(
            "… {} more rows, all healthy ({}){}\n",
            rest.len(),
            status_counts(rest, &cols),
            names
        ));
    }
    out
}

/// `3 Running, 1 Pending`: how many rows have each status.
fn status_counts(rows: &[&str], cols: &[(usize, String)]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        *counts.entry(summary_key(r, cols)).or_default() += 1;
    }
    let what: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    what.join(", ")
}

/// The names of a directory's summarised rows, grouped by namespace, each namespace written once.
fn directory_names(rest: &[&str], cols: &[(usize, String)]) -> Option<String> {
    let ns = col_index(cols, &["NAMESPACE"]);
    let name = col_index(cols, &["NAME"])?;
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for r in rest {
        let n = ns.map(|i| cell(r, cols, i).to_string()).unwrap_or_default();
        let item = cell(r, cols, name).to_string();
        match groups.iter_mut().find(|(g, _)| *g == n) {
            Some((_, v)) => v.push(item),
            None => groups.push((n, vec![item])),
        }
    }
    let mut shown = 0;
    let mut parts: Vec<String> = Vec::new();
    for (g, v) in &groups {
        if shown >= DIRECTORY_NAMES {
            break;
        }
        let take = v.len().min(DIRECTORY_NAMES - shown);
        shown += take;
        let list = v[..take].join(" ");
        parts.push(if g.is_empty() {
            list
        } else {
            format!("{g}: {list}")
        });
    }
    Some(format!(
        "… {} more rows, names only{}: {}{}\n",
        rest.len(),
        if ns.is_some() { " (by namespace)" } else { "" },
        parts.join("; "),
        if shown < rest.len() {
            format!(" … and {} more", rest.len() - shown)
        } else {
            String::new()
        }
    ))
}

/// The names of summarised rows in a table of one namespace or of cluster-scoped objects
/// (namespaces, nodes, Deployments): which ones exist is what a later step looks for ("is
/// there a namespace for temporal?"). Pods are left out: their names repeat their owner's.
fn names_of(rows: &[&str], cols: &[(usize, String)]) -> String {
    if col_index(cols, &["RESTARTS"]).is_some() {
        return String::new();
    }
    let Some(i) = col_index(cols, &["NAME"]) else {
        return String::new();
    };
    let names: Vec<&str> = rows
        .iter()
        .map(|r| cell(r, cols, i))
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return String::new();
    }
    let more = names.len().saturating_sub(DIRECTORY_NAMES);
    format!(
        ": {}{}",
        names[..names.len().min(DIRECTORY_NAMES)].join(" "),
        if more > 0 {
            format!(" … and {more} more")
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_recognised() {
        assert!(is_header("NAME   READY   STATUS    RESTARTS   AGE"));
        assert!(is_header(
            "LAST SEEN   TYPE      REASON    OBJECT    MESSAGE"
        ));
        assert!(is_header("NAME      CPU(cores)   MEMORY(bytes)"));
        assert!(!is_header("Name:         web-1"));
        assert!(!is_header("2024-01-01 ERROR something"));
        assert!(!is_header("NAME"));
    }

    #[test]
    fn a_directory_keeps_every_name() {
        let mut lines =
            vec!["NAMESPACE   NAME          TYPE        CLUSTER-IP    PORT(S)    AGE".to_string()];
        for i in 0..40 {
            lines.push(format!(
                "ns-{i:<7}  svc-{i:<8}  ClusterIP   10.96.0.{i:<3}  80/TCP     3d"
            ));
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let out = condense(&refs, None);
        assert!(out.contains("ns-39: svc-39"), "{out}");
        assert!(!out.contains("10.96.0.39"), "{out}");
        // A table with a state is summarised by state.
        let mut pods = vec!["NAME     READY   STATUS    RESTARTS   AGE".to_string()];
        for i in 0..40 {
            pods.push(format!("web-{i:<3}  1/1     Running   0          3d"));
        }
        let refs: Vec<&str> = pods.iter().map(String::as_str).collect();
        assert!(condense(&refs, None).contains("all healthy"));
    }

    #[test]
    fn columns_keep_single_spaced_names() {
        let cols = columns("LAST SEEN   TYPE      REASON");
        let names: Vec<_> = cols.iter().map(|c| c.1.as_str()).collect();
        assert_eq!(names, ["LAST SEEN", "TYPE", "REASON"]);
    }
}
