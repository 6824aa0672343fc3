//! The conclusion view, in the order of [`Conclusion::outline`]: the verdict, each problem
//! (one-line cause, its chain, the supporting evidence with links to the query results it rests
//! on, the remediation: text to copy, never executed), also noticed, what was checked, what
//! could not be checked, the confidence. Unverified evidence is marked.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Widget};

use super::commands::Commands;
use super::theme::Theme;
use super::wrap::{sanitize, wrap_spans};
use crate::protocol::{Conclusion, ProposalId, RowKind, Verdict, Verification};

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

    /// Every (outline row, execution) reference, in order.
    pub fn refs(&self) -> Vec<(usize, ProposalId)> {
        self.conclusion
            .iter()
            .flat_map(|c| c.outline().into_iter().enumerate())
            .flat_map(|(i, r)| r.executions.into_iter().map(move |p| (i, p)))
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

    /// Every problem's remediation (what `y` copies).
    pub fn remediation(&self) -> Option<String> {
        self.conclusion
            .as_ref()
            .map(Conclusion::remediation_text)
            .filter(|r| !r.is_empty())
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
                format!("· confidence {} ", c.confidence.word()),
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
        let mut k = 0usize;
        let mut prev = None;
        // Causes before the first section are the answer; after it, what was also noticed.
        let mut in_section = false;
        for r in c.outline() {
            let text = sanitize(&r.text).into_owned();
            let indent = "  ".repeat(usize::from(r.depth));
            match r.kind {
                RowKind::Verdict => {
                    let style = match c.verdict {
                        Verdict::Diagnosed => theme.error(),
                        Verdict::Healthy => theme.good(),
                        Verdict::Inconclusive => theme.warn(),
                    };
                    rows.extend(wrap_spans(&[Span::styled(text, style)], w, 2));
                }
                RowKind::Section => {
                    in_section = true;
                    rows.push(Line::default());
                    rows.push(Line::styled(text, theme.heading()));
                }
                RowKind::Cause => {
                    if prev.is_some() {
                        rows.push(Line::default());
                    }
                    let label = if in_section { "" } else { "Root cause " };
                    rows.extend(wrap_spans(
                        &[
                            Span::styled(label, theme.dim()),
                            Span::styled(text, theme.heading()),
                        ],
                        w,
                        3,
                    ));
                }
                RowKind::Remediation => {
                    let lead = if r.depth > 1 {
                        Span::raw("      ")
                    } else {
                        Span::styled("  fix ", theme.warn())
                    };
                    rows.extend(wrap_spans(&[lead, Span::styled(text, theme.code())], w, 6));
                }
                RowKind::Confidence => {
                    rows.push(Line::default());
                    rows.push(Line::styled(text, theme.dim()));
                }
                RowKind::Link | RowKind::Evidence | RowKind::Unchecked | RowKind::Note => {
                    let lead = match r.kind {
                        RowKind::Link if prev == Some(RowKind::Link) => "   → ".to_string(),
                        RowKind::Link => "  chain ".to_string(),
                        _ => format!("{indent}· "),
                    };
                    let style = if r.kind == RowKind::Unchecked {
                        theme.warn()
                    } else {
                        theme.text()
                    };
                    let mut spans =
                        vec![Span::styled(lead, theme.dim()), Span::styled(text, style)];
                    match &r.verification {
                        Verification::Unverified { why } => {
                            spans.push(Span::styled(
                                format!("  ⚠ unverified: {}", sanitize(why)),
                                theme.warn(),
                            ));
                        }
                        Verification::Verified => spans.push(Span::styled(" ✓", theme.good())),
                        Verification::NotChecked => {}
                    }
                    rows.extend(wrap_spans(&spans, w, 6));
                }
            }
            for p in &r.executions {
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
                    Span::raw(format!("     {marker} ")),
                    Span::styled(format!("{:<4} ", p.0), theme.key()),
                    Span::raw(sanitize(&cmd).into_owned()),
                    Span::styled(format!("  {state}"), theme.dim()),
                ]);
                if sel {
                    line = line.patch_style(theme.selected());
                }
                rows.push(line);
                k += 1;
            }
            prev = Some(r.kind);
        }
        rows.push(Line::default());
        rows.push(Line::styled(
            "Remediation is NOT EXECUTED: klue never runs it; y copies it",
            theme.warn(),
        ));
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
