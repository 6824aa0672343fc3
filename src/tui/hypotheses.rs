//! The hypotheses pane: each hypothesis with its status and the evidence for and against,
//! each item marked as the session verified it (✓, or "⚠ unverified: why": a cited execution
//! that is missing or failed, a quote not in its output), as the conclusion, JSON and export
//! mark it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::wrap::{sanitize, wrap_spans};
use crate::protocol::{Evidence, Hypothesis, HypothesisStatus, Verification};

#[derive(Debug, Default)]
pub struct Hypotheses {
    pub items: Vec<Hypothesis>,
    pub selected: usize,
    /// Rows scrolled from the top.
    pub scroll: usize,
}

/// Evidence text with the executions it cites: "text [p2, p5]".
pub fn cite(e: &Evidence) -> String {
    if e.executions.is_empty() {
        e.text.clone()
    } else {
        let ids: Vec<&str> = e.executions.iter().map(|p| p.0.as_str()).collect();
        format!("{} [{}]", e.text, ids.join(", "))
    }
}

/// [`cite`], then how the session verified it: " ✓" or "  ⚠ unverified: why".
pub fn cite_checked(e: &Evidence) -> String {
    match &e.verification {
        Verification::NotChecked => cite(e),
        Verification::Verified => format!("{} ✓", cite(e)),
        Verification::Unverified { why } => format!("{}  ⚠ unverified: {why}", cite(e)),
    }
}

impl Hypotheses {
    /// Add a hypothesis or update the one with the same id.
    pub fn upsert(&mut self, h: Hypothesis) {
        match self.items.iter_mut().find(|x| x.id == h.id) {
            Some(x) => *x = h,
            None => self.items.push(h),
        }
    }

    pub fn move_by(&mut self, d: isize) {
        if self.items.is_empty() {
            return;
        }
        let max = self.items.len() as isize - 1;
        self.selected = (self.selected as isize + d).clamp(0, max) as usize;
    }

    pub fn selected_text(&self) -> Option<String> {
        self.items.get(self.selected).map(|h| {
            let mut s = format!("{} ({}): {}", h.id, h.status.word(), h.statement);
            for e in &h.evidence_for {
                s.push_str(&format!("\n  + {}", cite_checked(e)));
            }
            for e in &h.evidence_against {
                s.push_str(&format!("\n  - {}", cite_checked(e)));
            }
            s
        })
    }

    fn status_style(&self, s: HypothesisStatus, theme: &Theme) -> ratatui::style::Style {
        match s {
            HypothesisStatus::Open => theme.warn(),
            HypothesisStatus::Supported => theme.good(),
            HypothesisStatus::Confirmed => {
                theme.good().add_modifier(ratatui::style::Modifier::BOLD)
            }
            HypothesisStatus::Refuted => theme
                .dim()
                .add_modifier(ratatui::style::Modifier::CROSSED_OUT),
        }
    }

    /// All rows, with the row range of the selected hypothesis.
    fn rows(&self, w: usize, theme: &Theme, focused: bool) -> (Vec<Line<'static>>, (usize, usize)) {
        let mut rows = Vec::new();
        let mut sel = (0, 0);
        for (i, h) in self.items.iter().enumerate() {
            let start = rows.len();
            let label = format!("[{}]", h.status.word());
            let mut head = vec![
                Span::styled(format!("{} ", h.id), theme.dim()),
                Span::styled(label, self.status_style(h.status, theme)),
                Span::raw(" "),
                Span::raw(h.statement.clone()),
            ];
            if i == self.selected && focused {
                for s in &mut head {
                    s.style = s.style.patch(theme.selected());
                }
            }
            rows.extend(wrap_spans(&head, w, 2));
            for (sign, list, style) in [
                ("+ ", &h.evidence_for, theme.good()),
                ("- ", &h.evidence_against, theme.error()),
            ] {
                for e in list {
                    let mut spans =
                        vec![Span::styled(format!("  {sign}"), style), Span::raw(cite(e))];
                    match &e.verification {
                        Verification::Unverified { why } => spans.push(Span::styled(
                            format!("  ⚠ unverified: {}", sanitize(why)),
                            theme.warn(),
                        )),
                        Verification::Verified => spans.push(Span::styled(" ✓", theme.good())),
                        Verification::NotChecked => {}
                    }
                    rows.extend(wrap_spans(&spans, w, 4));
                }
            }
            if i == self.selected {
                sel = (start, rows.len());
            }
        }
        (rows, sel)
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme, focused: bool) {
        let h = area.height as usize;
        let w = area.width as usize;
        if h == 0 || w == 0 {
            return;
        }
        if self.items.is_empty() {
            let l = Line::styled("No hypotheses yet.", theme.dim());
            buf.set_line(area.x, area.y, &l, area.width);
            return;
        }
        let (rows, (s, e)) = self.rows(w, theme, focused);
        // Keep the selected hypothesis in view.
        let mut top = self.scroll.min(rows.len().saturating_sub(h));
        if s < top {
            top = s;
        } else if e > top + h {
            top = e.saturating_sub(h).min(s);
        }
        for (y, l) in rows.iter().skip(top).take(h).enumerate() {
            buf.set_line(area.x, area.y + y as u16, l, area.width);
        }
    }
}
