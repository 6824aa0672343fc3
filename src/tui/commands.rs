//! The command pane: every proposed query with its state, reason and hypothesis.

use std::cell::Cell;
use std::collections::HashMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::output::OutputBuf;
use super::theme::Theme;
use super::wrap::{clip_rows, truncate_spans, wrap_spans};
use crate::protocol::{Decider, Decision, Execution, Proposal, ProposalId};

/// Where a proposal is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PState {
    Pending,
    Approved,
    Running,
    Done,
    Failed,
    Refused,
    Rejected,
}

impl PState {
    pub fn label(self) -> &'static str {
        match self {
            PState::Pending => "pending",
            PState::Approved => "approved",
            PState::Running => "running",
            PState::Done => "done",
            PState::Failed => "failed",
            PState::Refused => "refused",
            PState::Rejected => "rejected",
        }
    }

    pub fn icon(self) -> &'static str {
        match self {
            PState::Pending => "?",
            PState::Approved => "+",
            PState::Running => "~",
            PState::Done => "✓",
            PState::Failed => "✗",
            PState::Refused => "⊘",
            PState::Rejected => "-",
        }
    }
}

/// Everything known about one proposal.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: ProposalId,
    /// The command as proposed.
    pub proposed: String,
    /// The command run, when it differs (edited before approval).
    pub edited: Option<String>,
    pub reason: String,
    pub hypothesis: String,
    pub state: PState,
    pub by: Option<Decider>,
    /// Why it was refused, rejected, or how it failed.
    pub note: Option<String>,
    pub duration_ms: Option<u64>,
    pub output: Option<OutputBuf>,
    /// The output was dropped from memory to stay within the budget.
    pub evicted: bool,
    /// Size of the model's condensed copy, in bytes.
    pub condensed_len: usize,
}

impl Entry {
    fn new(id: ProposalId, command: String) -> Self {
        Self {
            id,
            proposed: command,
            edited: None,
            reason: String::new(),
            hypothesis: String::new(),
            state: PState::Pending,
            by: None,
            note: None,
            duration_ms: None,
            output: None,
            evicted: false,
            condensed_len: 0,
        }
    }

    /// The command that runs (edited if it was).
    pub fn command(&self) -> &str {
        self.edited.as_deref().unwrap_or(&self.proposed)
    }

    /// Who decided, in words.
    pub fn decided_by(&self) -> Option<String> {
        self.by.as_ref().map(|b| match b {
            Decider::User => "approved by you".to_string(),
            Decider::UserShape { shape } => format!("approved by you, with its shape ({shape})"),
            Decider::Policy { rule } => format!("auto-approved ({rule})"),
            Decider::Dedup { earlier } => format!("answered from {earlier}"),
        })
    }
}

/// Bytes of query output held in memory; older outputs beyond it are dropped (the
/// recording keeps them).
pub const OUTPUT_BUDGET: usize = 64 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct Commands {
    pub entries: Vec<Entry>,
    index: HashMap<ProposalId, usize>,
    pub selected: usize,
    /// First entry drawn (kept by the view so scrolling is stable).
    offset: Cell<usize>,
    held_bytes: usize,
}

impl Commands {
    pub fn get(&self, id: &ProposalId) -> Option<&Entry> {
        self.index.get(id).map(|&i| &self.entries[i])
    }

    pub fn position(&self, id: &ProposalId) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn selected(&self) -> Option<&Entry> {
        self.entries.get(self.selected)
    }

    pub fn pending(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.state == PState::Pending)
    }

    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    fn entry(&mut self, id: &ProposalId, command: &str) -> &mut Entry {
        let i = match self.index.get(id) {
            Some(&i) => i,
            None => {
                self.entries
                    .push(Entry::new(id.clone(), command.to_string()));
                let i = self.entries.len() - 1;
                self.index.insert(id.clone(), i);
                i
            }
        };
        &mut self.entries[i]
    }

    /// A new proposal. Selects it when nothing pending was selected, so the next decision
    /// is always on screen.
    pub fn proposed(&mut self, p: Proposal) {
        let e = self.entry(&p.id, &p.command);
        e.proposed = p.command;
        e.reason = p.reason;
        e.hypothesis = p.hypothesis;
        let i = self.index[&p.id];
        let keep = self
            .selected()
            .is_some_and(|s| s.state == PState::Pending && s.id != p.id);
        if !keep {
            self.selected = i;
        }
    }

    pub fn refused(&mut self, id: &ProposalId, command: &str, why: &str) {
        let e = self.entry(id, command);
        if e.proposed != command {
            e.edited = Some(command.to_string());
        }
        e.state = PState::Refused;
        e.note = Some(why.to_string());
        self.select_next_pending_if_done();
    }

    pub fn decided(&mut self, id: &ProposalId, decision: &Decision, by: &Decider) {
        let e = self.entry(id, "");
        match decision {
            Decision::Approve => e.state = PState::Approved,
            Decision::ApproveEdited { command } => {
                e.state = PState::Approved;
                e.edited = Some(command.clone());
            }
            Decision::Reject { reason } => {
                e.state = PState::Rejected;
                e.note = reason.clone();
            }
        }
        e.by = Some(by.clone());
        self.select_next_pending_if_done();
    }

    pub fn started(&mut self, id: &ProposalId, command: &str) {
        let e = self.entry(id, command);
        if !command.is_empty() && e.proposed != command {
            e.edited = Some(command.to_string());
        }
        e.state = PState::Running;
    }

    pub fn finished(&mut self, x: Execution) {
        let selected_id = self.selected().map(|e| e.id.clone());
        let e = self.entry(&x.id, &x.command);
        if !x.command.is_empty() && e.proposed != x.command {
            e.edited = Some(x.command.clone());
        }
        e.state = if x.error.is_some() {
            PState::Failed
        } else {
            PState::Done
        };
        e.note = x.error;
        e.duration_ms = Some(x.duration_ms);
        e.condensed_len = x.condensed.len();
        let buf = OutputBuf::new(x.output);
        let size = buf.bytes();
        if let Some(old) = e.output.replace(buf) {
            self.held_bytes -= old.bytes();
        }
        self.held_bytes += size;
        self.evict(selected_id.as_ref());
    }

    /// Drop the oldest outputs until the held bytes fit the budget (never the newest one,
    /// never the selected one).
    fn evict(&mut self, keep: Option<&ProposalId>) {
        let last = self.entries.len().saturating_sub(1);
        let mut i = 0;
        while self.held_bytes > OUTPUT_BUDGET && i < last {
            let e = &mut self.entries[i];
            if Some(&e.id) != keep
                && let Some(out) = e.output.take()
            {
                self.held_bytes -= out.bytes();
                e.evicted = true;
            }
            i += 1;
        }
    }

    fn select_next_pending_if_done(&mut self) {
        let sel_pending = self.selected().is_some_and(|e| e.state == PState::Pending);
        if !sel_pending
            && let Some(i) = self.entries.iter().position(|e| e.state == PState::Pending)
        {
            self.selected = i;
        }
    }

    pub fn select(&mut self, i: usize) {
        if !self.entries.is_empty() {
            self.selected = i.min(self.entries.len() - 1);
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.entries.is_empty() {
            return;
        }
        let max = self.entries.len() as isize - 1;
        self.selected = (self.selected as isize + delta).clamp(0, max) as usize;
    }

    /// Draw the list into `area` (already inside the pane's border).
    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme, focused: bool) {
        let h = area.height as usize;
        let w = area.width as usize;
        if h == 0 || w == 0 {
            return;
        }
        if self.entries.is_empty() {
            let msg = "No queries yet. Proposed queries appear here for approval.";
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
        for (i, e) in self.entries.iter().enumerate().skip(offset) {
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

    fn entry_line(&self, e: &Entry, theme: &Theme, _focused: bool, sel: bool) -> Line<'static> {
        let marker = if sel { "›" } else { " " };
        let st = theme.state(e.state);
        let mut spans = vec![
            Span::raw(format!("{marker}{} ", e.state.icon())),
            Span::styled(format!("{:<4} ", e.id.0), theme.dim()),
            Span::styled(format!("{:<9}", e.state.label()), st),
            Span::raw(e.command().to_string()),
        ];
        if let Some(ms) = e.duration_ms {
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
        if e.edited.is_some() {
            add("proposed", &e.proposed, theme.dim());
        }
        match e.state {
            PState::Refused => add("refused", e.note.as_deref().unwrap_or(""), theme.error()),
            PState::Rejected => add(
                "rejected",
                e.note.as_deref().unwrap_or("(no reason given)"),
                theme.dim(),
            ),
            PState::Failed => add("error", e.note.as_deref().unwrap_or(""), theme.error()),
            _ => {}
        }
        if let Some(by) = e.decided_by()
            && !matches!(e.by, Some(Decider::User | Decider::UserShape { .. }))
        {
            add("decided", &by, theme.dim());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(id: &str) -> Proposal {
        Proposal {
            id: ProposalId(id.into()),
            command: format!("get pods {id}"),
            reason: "r".into(),
            hypothesis: "h".into(),
        }
    }

    fn exec(id: &str, size: usize) -> Execution {
        Execution {
            id: ProposalId(id.into()),
            command: format!("get pods {id}"),
            output: "x".repeat(size),
            condensed: String::new(),
            duration_ms: 1,
            ..Execution::default()
        }
    }

    #[test]
    fn outputs_stay_within_budget() {
        let mut c = Commands::default();
        for i in 0..100 {
            let id = format!("p{i}");
            c.proposed(prop(&id));
            c.finished(exec(&id, 4 * 1024 * 1024));
        }
        assert!(c.held_bytes() <= OUTPUT_BUDGET);
        assert!(c.entries[0].evicted);
        assert!(c.entries[99].output.is_some());
    }

    #[test]
    fn selection_follows_pending() {
        let mut c = Commands::default();
        c.proposed(prop("p1"));
        c.proposed(prop("p2"));
        assert_eq!(c.selected, 0);
        c.decided(&ProposalId("p1".into()), &Decision::Approve, &Decider::User);
        assert_eq!(c.selected, 1);
    }
}
