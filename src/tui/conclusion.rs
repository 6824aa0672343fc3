//! The conclusion view: root cause, the evidence with links to the query results it rests
//! on, and the remediation (text to copy, never executed).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

use super::commands::Commands;
use super::theme::Theme;
use super::wrap::{sanitize, wrap_spans};
use crate::protocol::{Conclusion, Confidence, ProposalId};

#[derive(Debug, Default)]
pub struct ConclusionView {
    pub conclusion: Option<Conclusion>,
    /// Shown in a replay: the next steps are playback, not investigation.
    pub replay: bool,
    /// Selected evidence reference (index into [`ConclusionView::refs`]).
    pub selected: usize,
    /// Rows scrolled by PgUp/PgDn/G; `None` keeps the selected reference in view.
    pub scroll: Option<usize>,
}

pub fn confidence_label(c: Confidence) -> &'static str {
    match c {
        Confidence::Low => "low",
        Confidence::Medium => "medium",
        Confidence::High => "high",
    }
}

impl ConclusionView {
    pub fn set(&mut self, c: Conclusion) {
        self.conclusion = Some(c);
        self.selected = 0;
        self.scroll = None;
    }

    /// Scroll by rows (PgUp/PgDn), or to the end (`None`: the remediation).
    pub fn scroll_by(&mut self, rows: Option<isize>) {
        let cur = self.scroll.unwrap_or(0);
        self.scroll = Some(match rows {
            Some(d) => (cur as isize + d).max(0) as usize,
            None => usize::MAX,
        });
    }

    /// Every (evidence, execution) reference, in order.
    pub fn refs(&self) -> Vec<(usize, ProposalId)> {
        self.conclusion
            .iter()
            .flat_map(|c| c.evidence.iter().enumerate())
            .flat_map(|(i, e)| e.executions.iter().map(move |p| (i, p.clone())))
            .collect()
    }

    pub fn selected_ref(&self) -> Option<ProposalId> {
        self.refs().get(self.selected).map(|(_, p)| p.clone())
    }

    pub fn move_by(&mut self, d: isize) {
        let n = self.refs().len();
        if d > 0 && self.selected + 1 >= n {
            // Past the last reference: show the rest (the remediation).
            self.scroll = Some(usize::MAX);
            return;
        }
        self.scroll = None;
        if n > 0 {
            self.selected = (self.selected as isize + d).clamp(0, n as isize - 1) as usize;
        }
    }

    pub fn remediation(&self) -> Option<&str> {
        self.conclusion.as_ref().map(|c| c.remediation.as_str())
    }

    /// The overlay's area inside the frame.
    pub fn area(frame: Rect) -> Rect {
        let w = if frame.width < 100 {
            frame.width
        } else {
            (frame.width as u32 * 4 / 5) as u16
        };
        let h = if frame.height < 30 {
            frame.height
        } else {
            (frame.height as u32 * 4 / 5) as u16
        };
        Rect::new(
            frame.x + (frame.width - w) / 2,
            frame.y + (frame.height - h) / 2,
            w,
            h,
        )
    }

    pub fn render(&self, frame: Rect, buf: &mut Buffer, theme: &Theme, cmds: &Commands) {
        let Some(c) = self.conclusion.as_ref() else {
            return;
        };
        let area = Self::area(frame);
        Clear.render(area, buf);
        let title = Line::from(vec![
            Span::styled(" Conclusion ", theme.title(true)),
            Span::styled(
                format!("· confidence {} ", confidence_label(c.confidence)),
                theme.dim(),
            ),
        ]);
        let mut hints = vec![Span::raw(" ")];
        for (k, what) in [
            ("j/k", "evidence"),
            ("Enter", "open result"),
            ("PgDn/G", "remediation"),
            ("y", "copy remediation"),
        ] {
            hints.push(Span::styled(k, theme.key()));
            hints.push(Span::raw(format!(" {what}  ")));
        }
        let hints = Line::from(hints);
        let block = Block::bordered()
            .border_type(BorderType::Double)
            .border_style(theme.border(true))
            .title(title)
            .title_bottom(hints);
        let inner = block.inner(area);
        block.render(area, buf);
        let w = inner.width as usize;
        if w < 4 || inner.height == 0 {
            return;
        }
        let mut rows: Vec<Line<'static>> = Vec::new();
        let mut sel_row = 0usize;
        rows.push(Line::styled("Root cause", theme.heading()));
        for l in c.root_cause.lines() {
            rows.extend(wrap_spans(
                &[Span::raw("  "), Span::raw(sanitize(l).into_owned())],
                w,
                2,
            ));
        }
        rows.push(Line::default());
        rows.push(Line::styled("Evidence", theme.heading()));
        if c.evidence.is_empty() {
            rows.push(Line::styled("  (none cited)", theme.dim()));
        }
        let mut k = 0usize;
        for (i, e) in c.evidence.iter().enumerate() {
            let spans = [
                Span::styled(format!("  {}. ", i + 1), theme.dim()),
                Span::raw(sanitize(&e.text).into_owned()),
            ];
            rows.extend(wrap_spans(&spans, w, 5));
            for p in &e.executions {
                let sel = k == self.selected;
                if sel {
                    sel_row = rows.len();
                }
                let (cmd, state) = match cmds.get(p) {
                    Some(en) => (en.command().to_string(), en.stage.label()),
                    None => ("(not in this session)".to_string(), ""),
                };
                let marker = if sel { " ›" } else { "  " };
                let mut line = Line::from(vec![
                    Span::raw(format!("   {marker} ")),
                    Span::styled(format!("{:<4} ", p.0), theme.key()),
                    Span::raw(cmd),
                    Span::styled(format!("  {state}"), theme.dim()),
                ]);
                if sel {
                    line = line.patch_style(theme.selected());
                }
                rows.push(line);
                k += 1;
            }
        }
        rows.push(Line::default());
        rows.push(Line::from(vec![
            Span::styled("Remediation ", theme.heading()),
            Span::styled(
                "· NOT EXECUTED: klue never runs it; y copies it",
                theme.warn(),
            ),
        ]));
        for l in c.remediation.lines() {
            rows.extend(wrap_spans(
                &[
                    Span::raw("  "),
                    Span::styled(sanitize(l).into_owned(), theme.code()),
                ],
                w,
                2,
            ));
        }
        rows.push(Line::default());
        let next: &[(&str, &str)] = if self.replay {
            &[
                ("Esc", "back to the replay"),
                ("Space", "pause/play"),
                ("[ ]", "seek"),
                ("q", "quit"),
            ]
        } else {
            &[
                ("Esc", "keep investigating"),
                ("i", "ask a follow-up"),
                ("E", "end the session"),
            ]
        };
        let mut spans = vec![Span::styled("Next  ", theme.heading())];
        for (k, what) in next {
            spans.push(Span::styled(k.to_string(), theme.key()));
            spans.push(Span::raw(format!(" {what}  ")));
        }
        rows.push(Line::from(spans));
        let h = inner.height as usize;
        let max_top = rows.len().saturating_sub(h);
        let top = match self.scroll {
            Some(s) => s.min(max_top),
            None if sel_row >= h => sel_row + 1 - h,
            None => 0,
        };
        for (y, l) in rows.iter().skip(top).take(h).enumerate() {
            buf.set_line(inner.x, inner.y + y as u16, l, inner.width);
        }
    }
}
