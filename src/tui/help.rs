//! The help overlay (`?`): every key, by where it applies.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

use super::theme::Theme;

/// (section, [(keys, what they do)]).
pub const KEYS: &[(&str, &[(&str, &str)])] = &[
    (
        "Everywhere",
        &[
            ("Tab / Shift-Tab", "move focus between panes"),
            ("i", "type a message (focus the input)"),
            ("?", "this help"),
            ("Esc", "close an overlay or prompt; leave the input"),
            ("Ctrl-C", "cancel the running turn; twice: quit"),
            ("q", "quit (when not typing)"),
            ("z", "zoom the focused pane"),
            ("c", "show the conclusion"),
            ("y", "copy the focused item (OSC 52)"),
            ("mouse wheel", "scroll the pane under the pointer"),
        ],
    ),
    (
        "Queries",
        &[
            ("j / k, ↓ / ↑", "select a query"),
            ("a", "approve the selected query"),
            ("A", "approve all pending queries"),
            ("e", "edit (checked as you type), then approve"),
            ("x", "reject, with an optional reason"),
            ("s", "approve this query shape for the session"),
            ("Enter", "show the output"),
        ],
    ),
    (
        "Output",
        &[
            ("j / k, ↓ / ↑", "scroll a line"),
            ("PgDn / PgUp, Space", "scroll a page"),
            ("g / G, Home / End", "top / bottom"),
            ("h / l, ← / →", "scroll sideways (no wrap)"),
            ("/", "search; Enter runs it"),
            ("n / N", "next / previous match"),
            ("w", "toggle line wrap"),
        ],
    ),
    (
        "Conclusion",
        &[
            ("j / k", "select a cited query"),
            ("Enter", "open the cited query's output"),
            ("PgDn / G", "scroll to the remediation"),
            ("Esc / E", "keep investigating / end the session"),
        ],
    ),
    (
        "Chat and hypotheses",
        &[
            ("j / k, PgUp / PgDn", "scroll / select"),
            ("g / G", "top / bottom"),
        ],
    ),
    (
        "Input",
        &[
            ("Enter", "send"),
            (":command", "run a read-only query of your own"),
            ("Alt-Enter, Ctrl-J", "new line"),
            ("↑ / ↓", "history (on the first / last line)"),
            ("Ctrl-A / Ctrl-E", "start / end of line"),
            ("Ctrl-W, Ctrl-U, Ctrl-K", "delete word / to start / to end"),
        ],
    ),
    (
        "Replay",
        &[
            ("Space", "pause / play"),
            (".", "step to the next event"),
            ("1 / 2 / 8 / 0", "speed 1×, 2×, 8×, instant"),
            ("[ / ]", "seek 10 events back / forward"),
            ("{ / }", "seek to the start / end"),
        ],
    ),
];

/// Rows of help text.
pub fn rows(theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (i, (section, keys)) in KEYS.iter().enumerate() {
        if i > 0 {
            out.push(Line::default());
        }
        out.push(Line::styled(*section, theme.heading()));
        for (k, what) in keys.iter() {
            out.push(Line::from(vec![
                Span::styled(format!("  {k:<24}"), theme.key()),
                Span::raw(*what),
            ]));
        }
    }
    out
}

/// Rows as two columns (split at a section boundary near the middle) for wide terminals.
fn two_columns(theme: &Theme) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let rows = rows(theme);
    let half = rows.len() / 2;
    let split = (half..rows.len())
        .find(|&i| rows[i].spans.is_empty())
        .unwrap_or(rows.len());
    let right = rows[split..].iter().skip(1).cloned().collect();
    let left = rows[..split].to_vec();
    (left, right)
}

pub fn render(frame: Rect, buf: &mut Buffer, theme: &Theme, scroll: usize) {
    if frame.width >= 150 {
        return render_wide(frame, buf, theme, scroll);
    }
    let w = frame.width.min(80);
    let h = frame.height.saturating_sub(2).max(frame.height.min(3));
    let area = Rect::new(
        frame.x + (frame.width - w) / 2,
        frame.y + (frame.height - h) / 2,
        w,
        h,
    );
    Clear.render(area, buf);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(true))
        .title(Span::styled(" Keys ", theme.title(true)))
        .title_bottom(Line::from(vec![
            Span::styled(" j/k", theme.key()),
            Span::raw(" scroll  "),
            Span::styled("Esc", theme.key()),
            Span::raw(" close "),
        ]));
    let inner = block.inner(area);
    block.render(area, buf);
    let rows = rows(theme);
    let top = scroll.min(rows.len().saturating_sub(inner.height as usize));
    for (y, l) in rows
        .iter()
        .skip(top)
        .take(inner.height as usize)
        .enumerate()
    {
        buf.set_line(inner.x, inner.y + y as u16, l, inner.width);
    }
}

fn render_wide(frame: Rect, buf: &mut Buffer, theme: &Theme, scroll: usize) {
    let (left, right) = two_columns(theme);
    let w = frame.width.saturating_sub(4).min(160);
    let h = (left.len().max(right.len()) as u16 + 2).min(frame.height);
    let area = Rect::new(
        frame.x + (frame.width - w) / 2,
        frame.y + (frame.height - h) / 2,
        w,
        h,
    );
    Clear.render(area, buf);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border(true))
        .title(Span::styled(" Keys ", theme.title(true)))
        .title_bottom(Line::from(vec![
            Span::styled(" Esc", theme.key()),
            Span::raw(" close "),
        ]));
    let inner = block.inner(area);
    block.render(area, buf);
    let colw = inner.width / 2;
    for (i, col) in [left, right].iter().enumerate() {
        let x = inner.x + i as u16 * colw + 1;
        let top = scroll.min(col.len().saturating_sub(inner.height as usize));
        for (y, l) in col.iter().skip(top).take(inner.height as usize).enumerate() {
            buf.set_line(x, inner.y + y as u16, l, colw.saturating_sub(1));
        }
    }
}

/// Most the help can scroll.
pub fn max_scroll(theme: &Theme, height: u16) -> usize {
    rows(theme)
        .len()
        .saturating_sub(height.saturating_sub(4) as usize)
}
