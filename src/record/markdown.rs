//! The Markdown postmortem: paste it into an incident document.

use std::fmt::Write;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::timeline::{Timeline, human_duration, offset};

/// `2026-01-05 10:00:03 UTC`.
fn abs(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// `10:00:03`.
fn clock(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC).strftime("%H:%M:%S").to_string()
}

/// Text safe inside a table cell: one line, pipes escaped.
fn cell(s: &str) -> String {
    let one: String = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|");
    if one.chars().count() > 300 {
        let cut: String = one.chars().take(300).collect();
        format!("{cut}…")
    } else {
        one
    }
}

/// A fenced block that the content cannot close.
fn fence(out: &mut String, lang: &str, body: &str) {
    let mut ticks = 3;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            ticks = ticks.max(run + 1);
        } else {
            run = 0;
        }
    }
    let f = "`".repeat(ticks);
    let _ = writeln!(out, "{f}{lang}");
    out.push_str(body);
    if !body.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "{f}");
}

/// Inline code that the content cannot close.
fn code(s: &str) -> String {
    let s = s.replace('\n', " ");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Render the timeline as Markdown.
pub fn render(t: &Timeline) -> String {
    let mut o = String::new();
    let title = t
        .symptom
        .as_deref()
        .and_then(|s| s.lines().next())
        .map_or("(no symptom recorded)".to_string(), cell);
    let _ = writeln!(o, "# Investigation: {title}\n");
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| Started | {} |", abs(t.started_at));
    let _ = writeln!(
        o,
        "| Last event | {} ({} after start) |",
        abs(t.ended_at),
        human_duration(t.duration_ms)
    );
    let _ = writeln!(o, "| Outcome | {} |", cell(&t.outcome));
    let _ = writeln!(o, "| Context | {} |", code(&t.session.context.to_string()));
    let _ = writeln!(o, "| Server | {} |", code(&t.session.server));
    if let Some(ns) = &t.session.namespace {
        let _ = writeln!(o, "| Namespace | {} |", code(ns));
    }
    let planner = match (&t.session.planner.model, &t.session.planner.endpoint) {
        (Some(m), Some(e)) => format!("{} ({m} at {e})", t.session.planner.kind),
        (Some(m), None) => format!("{} ({m})", t.session.planner.kind),
        _ => t.session.planner.kind.to_string(),
    };
    let _ = writeln!(o, "| Planner | {} |", cell(&planner));
    let _ = writeln!(
        o,
        "| Queries | {} proposed, {} run |",
        t.queries.len(),
        t.queries.iter().filter(|q| q.execution.is_some()).count()
    );
    let per_turn = if t.tokens.per_turn.is_empty() {
        String::new()
    } else {
        format!(
            "; per turn: {}",
            t.tokens
                .per_turn
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let _ = writeln!(
        o,
        "| Tokens | {} prompt + {} completion in {} model calls (session total {}){per_turn} |",
        t.tokens.prompt_tokens,
        t.tokens.completion_tokens,
        t.tokens.model_calls,
        t.tokens.session_total
    );
    let _ = writeln!(o, "| Recorded by | klue {} |", t.klue_version);
    o.push('\n');

    if let Some(s) = &t.symptom {
        o.push_str("## Symptom\n\n");
        for line in s.lines() {
            let _ = writeln!(o, "> {line}");
        }
        o.push('\n');
    }

    o.push_str(&conclusion(t));

    o.push_str("## Timeline\n\n");
    o.push_str("| Time (UTC) | Since start | Who | What |\n|---|---|---|---|\n");
    for e in &t.events {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            clock(e.at),
            offset(e.offset_ms),
            e.actor,
            cell(&e.text)
        );
    }
    o.push('\n');

    if !t.queries.is_empty() {
        o.push_str("## Queries\n\n");
        for q in &t.queries {
            let _ = writeln!(o, "### {} {}\n", q.id, code(&q.command));
            let _ = writeln!(
                o,
                "- Proposed at {} ({})",
                clock(q.proposed_at),
                offset(q.offset_ms)
            );
            match q.origin {
                crate::protocol::ProposalOrigin::Engineer => {
                    let _ = writeln!(o, "- Asked by: the engineer (their own query)");
                }
                crate::protocol::ProposalOrigin::OfflineStep => {
                    let _ = writeln!(
                        o,
                        "- Asked by: klue's offline planner, on behalf of the model"
                    );
                }
                crate::protocol::ProposalOrigin::Planner => {}
            }
            if !q.reason.is_empty() && q.origin != crate::protocol::ProposalOrigin::Engineer {
                let _ = writeln!(o, "- Why: {}", q.reason.trim());
            }
            if !q.hypothesis.is_empty() {
                let _ = writeln!(o, "- Tests: {}", q.hypothesis.trim());
            }
            if let Some(p) = &q.proposed_command {
                let _ = writeln!(o, "- Proposed as: {} (edited by the engineer)", code(p));
            }
            for r in &q.refused_edits {
                let _ = writeln!(
                    o,
                    "- Edit refused: {}: {} (the proposal waited on)",
                    code(&r.command),
                    r.why.trim()
                );
            }
            if let Some(p) = &q.paste {
                let _ = writeln!(o, "- Paste: {}", code(p));
            }
            let decision = q
                .decision
                .clone()
                .unwrap_or_else(|| q.status.label().to_string());
            let when = q
                .decided_at
                .map(|d| format!(" ({})", clock(d)))
                .unwrap_or_default();
            let _ = writeln!(o, "- Decision{when}: {decision}");
            if let Some(x) = &q.execution {
                if x.command != q.command {
                    let _ = writeln!(o, "- Ran instead: {}", code(&x.command));
                }
                match &x.error {
                    Some(err) => {
                        let _ = writeln!(o, "- Failed after {} ms: {}", x.duration_ms, err.trim());
                    }
                    None => {
                        let _ = writeln!(
                            o,
                            "- Ran in {} ms at {}",
                            x.duration_ms,
                            clock(x.finished_at)
                        );
                    }
                }
                if !x.output.is_empty() {
                    let lines = x.output.lines().count();
                    let _ = writeln!(
                        o,
                        "\n<details><summary>Output ({lines} line{})</summary>\n",
                        if lines == 1 { "" } else { "s" }
                    );
                    fence(&mut o, "text", &x.output);
                    o.push_str("\n</details>\n");
                }
            }
            o.push('\n');
        }
    }

    if !t.hypotheses.is_empty() {
        o.push_str("## Hypotheses\n\n");
        for h in &t.hypotheses {
            let last = h.states.last();
            let title = last.map(|s| s.statement.as_str()).unwrap_or_default();
            let _ = writeln!(o, "### {}: {}\n", h.id, title.trim());
            o.push_str("| Time (UTC) | Since start | Status | Evidence for | Evidence against |\n|---|---|---|---|---|\n");
            for s in &h.states {
                let ev = |list: &[crate::protocol::Evidence]| {
                    list.iter()
                        .map(|e| {
                            let refs: Vec<&str> =
                                e.executions.iter().map(|p| p.0.as_str()).collect();
                            if refs.is_empty() {
                                cell(&e.text)
                            } else {
                                format!("{} ({})", cell(&e.text), refs.join(", "))
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    clock(s.at),
                    offset(s.offset_ms),
                    s.status.word(),
                    ev(&s.evidence_for),
                    ev(&s.evidence_against)
                );
            }
            o.push('\n');
        }
    }

    t.api_calls.markdown(&mut o);

    if !t.warnings.is_empty() {
        o.push_str("## Notes on the recording\n\n");
        for w in &t.warnings {
            let _ = writeln!(o, "- {w}");
        }
        o.push('\n');
    }
    o
}

/// The conclusion section (`## Conclusion`: the verdict, each problem with its chain and the
/// evidence citing the commands it rests on, the remediation; also noticed; what could not be
/// checked), or nothing when the session did not conclude.
pub fn conclusion(t: &Timeline) -> String {
    let mut o = String::new();
    if let Some(c) = &t.conclusion {
        o.push_str("## Conclusion\n\n");
        let _ = writeln!(o, "Reached at {} ({}).\n", clock(c.at), offset(c.offset_ms));
        o.push_str(&conclusion_markdown(&c.conclusion, t));
    }
    o
}

/// A conclusion as Markdown, in the outline's order: the verdict, each problem (cause, chain,
/// supporting evidence, remediation), also noticed, checked, could not check, notes.
fn conclusion_markdown(c: &crate::protocol::Conclusion, t: &Timeline) -> String {
    use crate::protocol::{RowKind, Verification};
    let mut o = String::new();
    let mut prev = None;
    let mut link = 0;
    for r in c.outline() {
        link = if r.kind == RowKind::Link { link + 1 } else { 0 };
        let refs: Vec<String> = r
            .executions
            .iter()
            .map(|p| match t.queries.iter().rev().find(|q| q.id == p.0) {
                Some(q) => format!("{p}: {}", code(&q.command)),
                None => p.0.clone(),
            })
            .collect();
        let mut tail = if refs.is_empty() {
            String::new()
        } else {
            format!(" ({})", refs.join(", "))
        };
        if let Verification::Unverified { why } = &r.verification {
            tail.push_str(&format!(" — **unverified:** {why}"));
        }
        let text = r.text.trim();
        let block = matches!(
            r.kind,
            RowKind::Verdict | RowKind::Cause | RowKind::Section | RowKind::Confidence
        );
        if block
            || prev
                .is_some_and(|p| matches!(p, RowKind::Verdict | RowKind::Cause | RowKind::Section))
        {
            blank_line(&mut o);
        }
        let line = match r.kind {
            RowKind::Verdict => format!("**Verdict:** {text}"),
            RowKind::Section => format!("**{text}:**"),
            RowKind::Cause => format!("**Cause:** {text}"),
            RowKind::Link if link > 1 => format!("  {link}. {text}{tail}"),
            RowKind::Link => format!("- Chain:\n  1. {text}{tail}"),
            RowKind::Evidence => format!("- {text}{tail}"),
            RowKind::Remediation if r.depth > 1 => format!("  {text}"),
            RowKind::Remediation => {
                format!("- Remediation (suggested; klue did not run it): {text}")
            }
            RowKind::Unchecked => format!("- {text}{tail}"),
            RowKind::Note => format!("- {text}"),
            RowKind::Confidence => match text.strip_prefix("confidence: ") {
                Some(rest) => format!("Confidence: **{rest}**"),
                None => text.to_string(),
            },
        };
        o.push_str(&line);
        o.push('\n');
        prev = Some(r.kind);
    }
    blank_line(&mut o);
    o
}

/// End `o` with one empty line (Markdown's block separator).
fn blank_line(o: &mut String) {
    if !o.is_empty() && !o.ends_with("\n\n") {
        o.push('\n');
    }
}
