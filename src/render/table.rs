//! Tables as kubectl prints them: server-side `meta.k8s.io/v1` Tables decorated like
//! kubectl's table printer (NAMESPACE column with -A, `kind/name` with several types,
//! `-L` label columns, `--show-labels`), laid out by a Go-tabwriter-compatible writer.

use serde_json::Value;

/// One column of a server Table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: String,
    pub format: String,
    pub priority: i64,
}

/// One row: the cells, and the embedded object (metadata or full object) when requested.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<Value>,
    pub object: Option<Value>,
}

/// A server Table (`kind: Table`, `apiVersion: meta.k8s.io/v1`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerTable {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// `metadata.continue` of a chunked list.
    pub continue_token: Option<String>,
}

impl ServerTable {
    /// Decode a Table; `None` if `v` is not one.
    pub fn from_json(v: Value) -> Option<ServerTable> {
        let Value::Object(mut m) = v else { return None };
        if m.get("kind").and_then(Value::as_str) != Some("Table") {
            return None;
        }
        let columns = match m.remove("columnDefinitions") {
            Some(Value::Array(cols)) => cols
                .into_iter()
                .map(|c| Column {
                    name: str_of(&c, "name"),
                    kind: str_of(&c, "type"),
                    format: str_of(&c, "format"),
                    priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                })
                .collect(),
            _ => Vec::new(),
        };
        let rows = match m.remove("rows") {
            Some(Value::Array(rows)) => rows
                .into_iter()
                .map(|r| {
                    let Value::Object(mut r) = r else {
                        return Row {
                            cells: Vec::new(),
                            object: None,
                        };
                    };
                    let cells = match r.remove("cells") {
                        Some(Value::Array(c)) => c,
                        _ => Vec::new(),
                    };
                    Row {
                        cells,
                        object: r.remove("object").filter(|o| !o.is_null()),
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        let continue_token = m
            .get("metadata")
            .and_then(|md| md.get("continue"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from);
        Some(ServerTable {
            columns,
            rows,
            continue_token,
        })
    }
}

fn str_of(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

/// How to decorate and print tables (kubectl's `PrintOptions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableOptions {
    pub wide: bool,
    pub no_headers: bool,
    pub with_namespace: bool,
    /// `pod`, `deployment.apps`: prefix names as `kind/name`.
    pub with_kind: Option<String>,
    pub show_labels: bool,
    pub label_columns: Vec<String>,
}

/// A cell as kubectl prints it.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => match s.find(['\u{c}', '\n', '\r']) {
            Some(i) => format!("{}...", escape_terminal(&s[..i])),
            None => escape_terminal(s),
        },
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !(n.is_i64() || n.is_u64()) => super::yaml::format_go_float(f),
            _ => n.to_string(),
        },
        other => escape_terminal(&other.to_string()),
    }
}

/// Replace terminal control characters (kubectl's `WriteEscaped` does the same).
fn escape_terminal(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return s.to_string();
    }
    s.chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect()
}

/// Accumulates the lines of one resource type's table, as kubectl's printer does across the
/// chunks of a list (headers once, widths over every row).
#[derive(Debug, Default)]
pub struct TableBuilder {
    opts: TableOptions,
    last_columns: Option<Vec<Column>>,
    lines: Vec<Vec<String>>,
    rows: usize,
    /// the bytes of the cells so far, with a separator each
    bytes: usize,
}

impl TableBuilder {
    pub fn new(opts: TableOptions) -> Self {
        TableBuilder {
            opts,
            ..Default::default()
        }
    }

    /// Number of data rows added.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// About the size of the laid-out text so far (cells and separators; padding aside),
    /// so a caller can stop adding at an output cap.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Add a server table (one chunk, or one object's table).
    pub fn add(&mut self, table: &ServerTable) {
        let mut columns = table.columns.clone();
        let same = self.last_columns.as_ref() == Some(&columns);
        if columns.is_empty()
            && let Some(last) = &self.last_columns
        {
            columns = last.clone();
        }
        if !table.columns.is_empty() && !same {
            self.last_columns = Some(table.columns.clone());
        }
        if table.rows.is_empty() {
            return;
        }
        let header_needed = !self.opts.no_headers && !same && !table.columns.is_empty();
        let visible: Vec<usize> = (0..columns.len())
            .filter(|&i| self.opts.wide || columns[i].priority == 0)
            .collect();
        let name_col = columns
            .iter()
            .position(|c| c.format == "name" && c.kind == "string");
        if header_needed {
            let mut h = Vec::new();
            if self.opts.with_namespace {
                h.push("NAMESPACE".to_string());
            }
            for &i in &visible {
                h.push(columns[i].name.to_uppercase());
            }
            for l in &self.opts.label_columns {
                h.push(l.rsplit('/').next().unwrap_or(l).to_uppercase());
            }
            if self.opts.show_labels {
                h.push("LABELS".into());
            }
            self.bytes += h.iter().map(|c| c.len() + 3).sum::<usize>();
            self.lines.push(h);
        }
        for row in &table.rows {
            let meta = row.object.as_ref().and_then(|o| o.get("metadata"));
            let mut line = Vec::with_capacity(visible.len() + 2);
            if self.opts.with_namespace {
                line.push(
                    meta.and_then(|m| m.get("namespace"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                );
            }
            for &i in &visible {
                let cell = row.cells.get(i).map(cell_text).unwrap_or_default();
                match (&self.opts.with_kind, name_col) {
                    (Some(kind), Some(nc)) if nc == i => line.push(format!("{kind}/{cell}")),
                    _ => line.push(cell),
                }
            }
            let labels = meta
                .and_then(|m| m.get("labels"))
                .and_then(Value::as_object);
            for key in &self.opts.label_columns {
                line.push(
                    labels
                        .and_then(|l| l.get(key))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                );
            }
            if self.opts.show_labels {
                line.push(format_labels(labels));
            }
            self.bytes += line.iter().map(|c| c.len() + 3).sum::<usize>();
            self.lines.push(line);
            self.rows += 1;
        }
    }

    /// The laid-out text.
    pub fn finish(self) -> String {
        tabwrite(&self.lines)
    }
}

/// `k=v,k2=v2` sorted by key, or `<none>`.
pub fn format_labels(labels: Option<&serde_json::Map<String, Value>>) -> String {
    let Some(l) = labels.filter(|l| !l.is_empty()) else {
        return "<none>".into();
    };
    let mut pairs: Vec<String> = l
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    pairs.sort();
    pairs.join(",")
}

const MIN_WIDTH: usize = 6;
const PADDING: usize = 3;

/// Go's `tabwriter.NewWriter(w, 6, 4, 3, ' ', 0)` over tab-separated cells: every cell but a
/// line's last is padded to its column's width (widest cell + 3, at least 6).
pub fn tabwrite(lines: &[Vec<String>]) -> String {
    let mut out = String::new();
    // Column blocks: consecutive lines that have a cell in column j (and more after it).
    let n = lines.len();
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|l| vec![0; l.len()]).collect();
    let max_cols = lines.iter().map(Vec::len).max().unwrap_or(0);
    for col in 0..max_cols.saturating_sub(1) {
        let mut i = 0;
        while i < n {
            if lines[i].len() <= col + 1 {
                i += 1;
                continue;
            }
            let start = i;
            let mut w = MIN_WIDTH;
            while i < n && lines[i].len() > col + 1 {
                w = w.max(lines[i][col].chars().count() + PADDING);
                i += 1;
            }
            for wl in widths.iter_mut().take(i).skip(start) {
                wl[col] = w;
            }
        }
    }
    for (line, w) in lines.iter().zip(widths) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j + 1 < line.len() {
                let pad = w[j].saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A Table captured from kube-apiserver 1.20 (`GET /api/v1/namespaces/shop/pods` with
    /// kubectl's Accept header), descriptions shortened.
    fn pods_table() -> Value {
        json!({
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "203"},
            "columnDefinitions": [
                {"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0},
                {"name": "Ready", "type": "string", "format": "", "description": "", "priority": 0},
                {"name": "Status", "type": "string", "format": "", "description": "", "priority": 0},
                {"name": "Restarts", "type": "integer", "format": "", "description": "", "priority": 0},
                {"name": "Age", "type": "string", "format": "", "description": "", "priority": 0},
                {"name": "IP", "type": "string", "format": "", "description": "", "priority": 1},
                {"name": "Node", "type": "string", "format": "", "description": "", "priority": 1},
                {"name": "Nominated Node", "type": "string", "format": "", "description": "", "priority": 1},
                {"name": "Readiness Gates", "type": "string", "format": "", "description": "", "priority": 1}
            ],
            "rows": [{
                "cells": ["ytest", "0/1", "Pending", 0, "101s", "<none>", "<none>", "<none>", "<none>"],
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": {"name": "ytest", "namespace": "shop", "labels": {"app": "y"}}}
            }]
        })
    }

    fn render(opts: TableOptions) -> String {
        let t = ServerTable::from_json(pods_table()).unwrap();
        let mut b = TableBuilder::new(opts);
        b.add(&t);
        b.finish()
    }

    #[test]
    fn plain_table_matches_kubectl() {
        // kubectl get pods -n shop
        assert_eq!(
            render(TableOptions::default()),
            "NAME    READY   STATUS    RESTARTS   AGE\nytest   0/1     Pending   0          101s\n"
        );
    }

    #[test]
    fn wide_matches_kubectl() {
        assert_eq!(
            render(TableOptions {
                wide: true,
                ..Default::default()
            }),
            "NAME    READY   STATUS    RESTARTS   AGE    IP       NODE     NOMINATED NODE   READINESS GATES\n\
             ytest   0/1     Pending   0          101s   <none>   <none>   <none>           <none>\n"
        );
    }

    #[test]
    fn namespace_labels_and_kind() {
        // kubectl get pods -A --show-labels -L app
        assert_eq!(
            render(TableOptions {
                with_namespace: true,
                show_labels: true,
                label_columns: vec!["app".into()],
                ..Default::default()
            }),
            "NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE    APP   LABELS\n\
             shop        ytest   0/1     Pending   0          101s   y     app=y\n"
        );
        // kubectl get pods,deploy -n shop
        assert_eq!(
            render(TableOptions {
                with_kind: Some("pod".into()),
                ..Default::default()
            }),
            "NAME        READY   STATUS    RESTARTS   AGE\npod/ytest   0/1     Pending   0          101s\n"
        );
    }

    #[test]
    fn chunks_share_header_and_widths() {
        let t = ServerTable::from_json(pods_table()).unwrap();
        let mut t2 = t.clone();
        t2.rows[0].cells[0] = json!("a-much-longer-name");
        let mut b = TableBuilder::new(TableOptions::default());
        b.add(&t);
        b.add(&t2);
        assert_eq!(b.rows(), 2);
        let out = b.finish();
        assert_eq!(out.lines().count(), 3);
        assert!(out.starts_with("NAME                 READY"), "{out}");
    }

    #[test]
    fn cells() {
        assert_eq!(cell_text(&json!(null)), "");
        assert_eq!(cell_text(&json!("a\nb")), "a...");
        assert_eq!(cell_text(&json!(1.5)), "1.5");
        assert_eq!(cell_text(&json!(7)), "7");
        assert_eq!(
            tabwrite(&[vec!["A".into(), "B".into()], vec!["x".into(), "".into()]]),
            "A     B\nx     \n"
        );
    }
}
