//! The model's copy of an output: the facts that matter, within a token budget.
//!
//! The engineer and the recording keep the full output; the planner gets this condensed copy.

mod describe;
mod logs;
mod manifest;
mod table;

use crate::query::{OutputFormat, Query, Verb};
use crate::tokens;

/// Token limits for what the model sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most tokens one condensed output may take.
    pub per_output: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { per_output: 2_000 }
    }
}

/// What kind of output a text is, which decides how it is condensed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `-o yaml` / `-o json` object dumps.
    Manifest,
    /// kubectl tables (`get`, `get events`, `top`, ...), possibly several separated by blank lines.
    Table,
    /// `describe` output.
    Describe,
    /// Container logs.
    Logs,
    /// Anything else: kept, within the cap.
    Plain,
}

impl Kind {
    /// The kind a query's output has.
    pub fn of_query(query: &Query) -> Kind {
        let structured = |o: &OutputFormat| matches!(o, OutputFormat::Yaml | OutputFormat::Json);
        match &query.verb {
            Verb::Logs(_) => Kind::Logs,
            Verb::Describe(_) => Kind::Describe,
            Verb::Get(a) if structured(&a.output) => Kind::Manifest,
            Verb::Get(a)
                if matches!(
                    a.output,
                    OutputFormat::Table | OutputFormat::Wide | OutputFormat::CustomColumns(_)
                ) =>
            {
                Kind::Table
            }
            Verb::Events(a) if structured(&a.output) => Kind::Manifest,
            Verb::Events(_) | Verb::Top(_) | Verb::ApiResources { .. } => Kind::Table,
            _ => Kind::Plain,
        }
    }

    /// Guess the kind from the text alone.
    pub fn detect(text: &str) -> Kind {
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if manifest::is_manifest(text) {
            Kind::Manifest
        } else if first.starts_with("Name:") {
            Kind::Describe
        } else if table::is_header(first) {
            Kind::Table
        } else if text.lines().count() > 1 {
            Kind::Logs
        } else {
            Kind::Plain
        }
    }
}

/// Condense one (already redacted) output for the model, guessing its kind from the text.
pub fn condense(text: &str, limits: &Limits) -> String {
    condense_as(Kind::detect(text), text, limits)
}

/// Condense the (already redacted) output of `query` for the model.
pub fn condense_query(query: &Query, text: &str, limits: &Limits) -> String {
    let kind = match Kind::of_query(query) {
        // A table verb that printed something else ("No resources found", an error text).
        Kind::Table if !text.lines().any(table::is_header) => Kind::Plain,
        k => k,
    };
    condense_as(kind, text, limits)
}

/// Condense `text` as output of the given kind, within `limits.per_output` tokens.
pub fn condense_as(kind: Kind, text: &str, limits: &Limits) -> String {
    let cap = limits.per_output;
    // Shrink detail level by level until it fits; then cut hard with a marker.
    let mut body = String::new();
    for level in 0..6u32 {
        body = render(kind, text, level);
        if tokens::count(&body) <= cap {
            return body;
        }
        if matches!(kind, Kind::Plain | Kind::Manifest | Kind::Describe) {
            break;
        }
    }
    let (head, _) = tokens::truncate(&body, cap.saturating_sub(40));
    let shown = head.lines().count();
    let total = body.lines().count();
    format!(
        "{head}[… {} more lines cut to fit {cap} tokens; narrow the query (a name, -l, --field-selector, --tail) to see them]\n",
        total.saturating_sub(shown)
    )
}

fn render(kind: Kind, text: &str, level: u32) -> String {
    match kind {
        Kind::Manifest => manifest::strip_noise(text),
        Kind::Describe => describe::condense(text),
        Kind::Logs => logs::condense(text, (30usize >> level).max(3), (40usize >> level).max(3)),
        Kind::Table => tables(text, level),
        Kind::Plain => text.to_string(),
    }
}

/// Every table block (header + rows up to a blank line) condensed; other lines kept.
fn tables(text: &str, level: u32) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        if !table::is_header(lines[i]) {
            out.push_str(lines[i]);
            out.push('\n');
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < lines.len() && !lines[i].trim().is_empty() && !table::is_header(lines[i]) {
            i += 1;
        }
        let keep = (level > 0).then(|| (64usize >> level).max(2));
        out.push_str(&table::condense(&lines[start..i], keep));
    }
    out
}

#[cfg(test)]
mod tests;
