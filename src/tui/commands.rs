//! The command pane: every proposed query with its state, reason and hypothesis. What
//! happened to each proposal is the [`ProposalLog`]'s (one fold for every front end); this
//! pane adds what only the screen needs: the outputs held in memory and the selection.

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::output::OutputBuf;
use super::theme::Theme;
use super::wrap::{clip_rows, truncate_spans, wrap_spans};
use crate::protocol::{Decider, Event, ProposalId, ProposalLog, ProposalRecord, Stage};

/// The screen's icon for a stage.
pub fn icon(s: Stage) -> &'static str {
    match s {
        Stage::Pending => "?",
        Stage::Approved => "+",
        Stage::Running => "~",
        Stage::Done => "✓",
        Stage::Failed => "✗",
        Stage::Refused => "⊘",
        Stage::Rejected => "-",
        Stage::Duplicate => "=",
    }
}

/// What the screen holds of one proposal's output.
#[derive(Debug, Default)]
struct Held {
    output: Option<OutputBuf>,
    /// The output was dropped from memory to stay within the budget.
    evicted: bool,
}

/// Bytes of query output held in memory; older outputs beyond it are dropped (the
/// recording keeps them).
pub const OUTPUT_BUDGET: usize = 64 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct Commands {
    log: ProposalLog,
    /// One per log entry, same order.
    held: Vec<Held>,
    pub selected: usize,
    /// First entry drawn (kept by the view so scrolling is stable).
    offset: Cell<usize>,
    held_bytes: usize,
}

impl Commands {
    /// The proposal log behind the pane.
    pub fn log(&self) -> &ProposalLog {
        &self.log
    }

    pub fn entries(&self) -> &[ProposalRecord] {
        self.log.entries()
    }

    pub fn len(&self) -> usize {
        self.log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    pub fn get(&self, id: &ProposalId) -> Option<&ProposalRecord> {
        self.log.get(id)
    }

    pub fn position(&self, id: &ProposalId) -> Option<usize> {
        self.log.position(id)
    }

    pub fn selected(&self) -> Option<&ProposalRecord> {
        self.log.entries().get(self.selected)
    }

    /// The selected proposal's output, when held.
    pub fn selected_output(&self) -> Option<&OutputBuf> {
        self.held.get(self.selected).and_then(|h| h.output.as_ref())
    }

    /// The selected proposal's output was dropped from memory.
    pub fn selected_evicted(&self) -> bool {
        self.held.get(self.selected).is_some_and(|h| h.evicted)
    }

    pub fn pending(&self) -> impl Iterator<Item = &ProposalRecord> {
        self.log.pending()
    }

    /// Something is approved or running.
    pub fn working(&self) -> bool {
        self.log
            .entries()
            .iter()
            .any(|e| matches!(e.stage, Stage::Running | Stage::Approved))
    }

    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// A proposal's command to copy: as the engineer can paste it (`kubectl --context C -n NS
    /// ...`), or as it was written when the read-only policy refused it.
    pub fn copy_text(&self, e: &ProposalRecord) -> String {
        self.log
            .paste_of(e)
            .unwrap_or_else(|| e.command().to_string())
    }

    /// Take one core event in.
    pub fn apply(&mut self, ev: &Event) {
        let was_pending = self
            .selected()
            .map(|e| (e.id.clone(), e.stage == Stage::Pending));
        let Some(i) = self.log.apply(ev) else {
            return;
        };
        while self.held.len() < self.log.len() {
            self.held.push(Held::default());
        }
        match ev {
            // A new proposal is selected unless another pending one is, so the next
            // decision is always on screen.
            Event::Proposed(_) => {
                let keep =
                    matches!(&was_pending, Some((id, true)) if *id != self.log.entries()[i].id);
                if !keep {
                    self.selected = i;
                }
            }
            Event::Refused { .. } | Event::Decided { .. } => self.select_next_pending_if_done(),
            Event::ExecFinished(x) => {
                let buf = OutputBuf::with_flags(x.output.clone(), x.flagged_lines.clone());
                let size = buf.bytes();
                let h = &mut self.held[i];
                if let Some(old) = h.output.replace(buf) {
                    self.held_bytes -= old.bytes();
                }
                h.evicted = false;
                self.held_bytes += size;
                let keep = was_pending.map(|(id, _)| id);
                self.evict(keep.as_ref());
            }
            _ => {}
        }
    }

    /// Drop the oldest outputs until the held bytes fit the budget (never the newest one,
    /// never the selected one).
    fn evict(&mut self, keep: Option<&ProposalId>) {
        let last = self.held.len().saturating_sub(1);
        let mut i = 0;
        while self.held_bytes > OUTPUT_BUDGET && i < last {
            let id = &self.log.entries()[i].id;
            let h = &mut self.held[i];
            if Some(id) != keep
                && let Some(out) = h.output.take()
            {
                self.held_bytes -= out.bytes();
                h.evicted = true;
            }
            i += 1;
        }
    }

    fn select_next_pending_if_done(&mut self) {
        let sel_pending = self.selected().is_some_and(|e| e.stage == Stage::Pending);
        if !sel_pending
            && let Some(i) = self
                .log
                .entries()
                .iter()
                .position(|e| e.stage == Stage::Pending)
        {
            self.selected = i;
        }
    }

    pub fn select(&mut self, i: usize) {
        if !self.is_empty() {
            self.selected = i.min(self.len() - 1);
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.is_empty() {
            return;
        }
        let max = self.len() as isize - 1;
        self.selected = (self.selected as isize + delta).clamp(0, max) as usize;
    }

    /// Draw the list into `area` (already inside the pane's border).
    pub fn render(
        &self,
        area: Rect,
        buf: &mut Buffer,
        theme: &Theme,
        focused: bool,
        mode: super::Mode,
    ) {
        let h = area.height as usize;
        let w = area.width as usize;
        if h == 0 || w == 0 {
            return;
        }
        if self.is_empty() {
            let msg = match mode {
                super::Mode::Live => "No queries yet. Proposed queries appear here for approval.",
                super::Mode::Replay => "No queries yet at this point of the recording.",
            };
            for (i, l) in wrap_spans(&[Span::styled(msg, theme.dim())], w, 0)
                .iter()
                .take(h)
                .enumerate()
            {
                buf.set_line(area.x, area.y + i as u16, l, area.width);
            }
            return;
        }
        let detail = self.detail_lines(w, theme);
        // Rows the selected entry takes: its line plus its details.
        let sel_rows = 1 + detail.len();
        let mut offset = self.offset.get().min(self.selected);
        // Keep the selected entry and its details visible.
        let fits = |off: usize| self.selected - off + sel_rows <= h;
        while offset < self.selected && !fits(offset) {
            offset += 1;
        }
        self.offset.set(offset);
        let mut y = 0usize;
        for (i, e) in self.entries().iter().enumerate().skip(offset) {
            if y >= h {
                break;
            }
            let sel = i == self.selected;
            let line = self.entry_line(e, theme, sel && focused, sel);
            buf.set_line(area.x, area.y + y as u16, &line, area.width);
            if sel && focused {
                let row = Rect::new(area.x, area.y + y as u16, area.width, 1);
                buf.set_style(row, theme.selected());
            }
            y += 1;
            if sel {
                for l in &detail {
                    if y >= h {
                        break;
                    }
                    buf.set_line(area.x, area.y + y as u16, l, area.width);
                    y += 1;
                }
            }
        }
    }

    fn entry_line(
        &self,
        e: &ProposalRecord,
        theme: &Theme,
        _focused: bool,
        sel: bool,
    ) -> Line<'static> {
        let marker = if sel { "›" } else { " " };
        let st = theme.state(e.stage);
        let mut spans = vec![
            Span::raw(format!("{marker}{} ", icon(e.stage))),
            Span::styled(format!("{:<4} ", e.id.0), theme.dim()),
            Span::styled(format!("{:<9}", e.stage.label()), st),
            Span::raw(e.command().to_string()),
        ];
        if let Some(ms) = e.execution.as_ref().map(|x| x.duration_ms) {
            spans.push(Span::styled(format!("  {ms} ms"), theme.dim()));
        }
        Line::from(spans)
    }

    /// The selected entry's reason, hypothesis and state details, wrapped.
    fn detail_lines(&self, w: usize, theme: &Theme) -> Vec<Line<'static>> {
        let Some(e) = self.selected() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // Narrow panes get one row per detail, wide ones two; the output pane has it all.
        let max_rows = if w >= 100 { 2 } else { 1 };
        let mut add = |label: &str, text: &str, style| {
            if text.is_empty() {
                return;
            }
            let spans = vec![
                Span::styled(format!("    {label}: "), theme.dim()),
                Span::styled(text.to_string(), style),
            ];
            if max_rows == 1 {
                out.push(truncate_spans(&spans, w));
            } else {
                out.extend(clip_rows(
                    wrap_spans(&spans, w, 6 + label.len()),
                    max_rows,
                    w,
                ));
            }
        };
        add("why", &e.reason, theme.text());
        add("tests", &e.hypothesis, theme.text());
        if e.was_edited() {
            add("proposed", &e.proposed, theme.dim());
        }
        match e.stage {
            Stage::Refused => add(
                "refused",
                e.refusal.as_ref().map_or("", |r| r.why.as_str()),
                theme.error(),
            ),
            Stage::Rejected => add(
                "rejected",
                e.rejection.as_deref().unwrap_or("(no reason given)"),
                theme.dim(),
            ),
            Stage::Failed => add("error", e.error().unwrap_or(""), theme.error()),
            Stage::Pending => {
                if let Some(r) = e.refused_edits.last() {
                    let text = format!("`{}`: {} (e edits again)", r.command, r.why);
                    add("edit refused", &text, theme.error());
                }
            }
            _ => {}
        }
        if let Some(by) = e.decision_text()
            && !matches!(e.by, Some(Decider::User | Decider::UserShape { .. }))
            && e.stage != Stage::Refused
        {
            add("decided", &by, theme.dim());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Decision, Execution, Proposal};

    fn prop(id: &str) -> Event {
        Event::Proposed(Proposal {
            id: ProposalId(id.into()),
            command: format!("get pods {id}"),
            reason: "r".into(),
            hypothesis: "h".into(),
            origin: Default::default(),
        })
    }

    fn exec(id: &str, size: usize) -> Event {
        Event::ExecFinished(Execution {
            id: ProposalId(id.into()),
            command: format!("get pods {id}"),
            output: "x".repeat(size),
            condensed: String::new(),
            duration_ms: 1,
            ..Execution::default()
        })
    }

    #[test]
    fn outputs_stay_within_budget() {
        let mut c = Commands::default();
        for i in 0..100 {
            let id = format!("p{i}");
            c.apply(&prop(&id));
            c.apply(&exec(&id, 4 * 1024 * 1024));
        }
        assert!(c.held_bytes() <= OUTPUT_BUDGET);
        assert!(c.held[0].evicted);
        assert!(c.held[99].output.is_some());
    }

    #[test]
    fn selection_follows_pending() {
        let mut c = Commands::default();
        c.apply(&prop("p1"));
        c.apply(&prop("p2"));
        assert_eq!(c.selected, 0);
        c.apply(&Event::Decided {
            id: ProposalId("p1".into()),
            decision: Decision::Approve,
            by: Decider::User,
        });
        assert_eq!(c.selected, 1);
    }
}
