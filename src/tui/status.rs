//! The status bar: context, namespace, planner and model, the budget used against the
//! budget (turns, queries, tokens), recording, key hints.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::app::{App, Mode};
use super::wrap::width;
use crate::protocol::Connection;

/// "12.3k" style token counts.
pub fn tokens(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// Keep the end of a long path: "…/sessions/2026-11-25T18-00.jsonl".
fn tail(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let keep = max.saturating_sub(1);
    let start = chars.len().saturating_sub(keep);
    format!("…{}", chars[start..].iter().collect::<String>())
}

/// `s` cut to `max` columns from the end, with an ellipsis.
fn head(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if width(&out) + 2 > max {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    buf.set_style(area, t.status_bar());
    let w = area.width as usize;
    let mut left: Vec<String> = Vec::new();
    // Where the items that give way when the bar is narrow are.
    let (mut planner_at, mut version_at) = (None, None);
    if app.mode == Mode::Replay {
        left.push("REPLAY (read-only)".into());
    }
    match &app.info {
        Some(i) => {
            left.push(format!("⎈ {}", i.context));
            left.push(format!(
                "ns {}",
                i.namespace.as_deref().unwrap_or("default")
            ));
            let planner = match &i.planner.model {
                Some(m) => format!("{} {m}", i.planner.kind),
                None => i.planner.kind.to_string(),
            };
            planner_at = Some(left.len());
            left.push(planner);
            // the connection check runs behind the first frame
            let connection = match &app.connection {
                Some(Connection::Checking) => Some("checking…".to_string()),
                Some(Connection::Connected { version, .. }) if !version.is_empty() => {
                    Some(version.clone())
                }
                Some(Connection::Unreachable { .. }) => Some("unreachable".into()),
                Some(Connection::Connected { .. }) | None => None,
            };
            if let Some(c) = connection {
                version_at = Some(left.len());
                left.push(c);
            }
        }
        None => left.push("connecting…".into()),
    }
    let spent = &app.spent;
    let mut budget_at = None;
    if let Some(of) = &spent.of {
        budget_at = Some(left.len());
        left.push(format!(
            "{}/{} turns, {}/{} queries",
            spent.turns, of.max_turns, spent.queries, of.max_queries
        ));
    }
    let tok_at = left.len();
    match spent.of.and_then(|of| of.max_tokens) {
        Some(max) => left.push(format!("{}/{} tok", tokens(spent.tokens), tokens(max))),
        None => left.push(format!("{} tok", tokens(app.usage.session_total))),
    }
    let pending = app.pending_count();
    if pending > 0 {
        left.push(format!("{pending} pending"));
    }
    let right = match &app.flash {
        Some(f) => f.clone(),
        None => "? help  q quit".to_string(),
    };
    let rec = app
        .info
        .as_ref()
        .and_then(|i| i.recording.as_deref())
        .map(|r| format!("rec {r}"));
    let sep = " │ ";
    let right_w = width(&right) + 2;
    // The last turn's tokens too, when there is room for them.
    let turn = app.usage.prompt_tokens + app.usage.completion_tokens;
    if turn > 0 {
        let with = format!("{} +{} last turn", left[tok_at], tokens(turn));
        let extra = width(&with) - width(&left[tok_at]);
        if width(&format!(" {}", left.join(sep))) + extra + right_w <= w {
            left[tok_at] = with;
        }
    }
    // Never over the hint on the right: the least needed items go first (the token count,
    // the budget, the server's version, the planner), then the rest is cut.
    let mut keep: Vec<bool> = vec![true; left.len()];
    let shown = |keep: &[bool]| {
        let items: Vec<&str> = left
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(l, _)| l.as_str())
            .collect();
        format!(" {}", items.join(sep))
    };
    for drop in [Some(tok_at), budget_at, version_at, planner_at]
        .into_iter()
        .flatten()
    {
        if width(&shown(&keep)) + right_w <= w {
            break;
        }
        if let Some(k) = keep.get_mut(drop) {
            *k = false;
        }
    }
    let mut text = shown(&keep);
    let room = w.saturating_sub(right_w);
    if width(&text) > room {
        text = head(&text, room);
    }
    if let Some(rec) = rec {
        let room = w.saturating_sub(width(&text) + width(sep) + right_w);
        if room >= 12 {
            text.push_str(sep);
            text.push_str(&tail(&rec, room));
        }
    }
    let line = Line::from(vec![Span::raw(text)]);
    buf.set_line(area.x, area.y, &line, area.width);
    let rw = width(&right) as u16 + 1;
    if rw < area.width {
        let style = if app.flash.is_some() {
            t.status_bar().add_modifier(ratatui::style::Modifier::BOLD)
        } else {
            t.status_bar()
        };
        buf.set_span(
            area.x + area.width - rw,
            area.y,
            &Span::styled(right, style),
            rw,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(tokens(999), "999");
        assert_eq!(tokens(12_345), "12.3k");
        assert_eq!(tail("/a/b/c/d.jsonl", 8), "…d.jsonl");
        assert_eq!(head("abcdefgh", 5), "abcd…");
        assert_eq!(head("abc", 5), "abc");
    }
}
