//! The chat pane: the engineer's messages, the model's replies (Markdown, streamed) and
//! short notices. Each message keeps its wrapped lines for the last width it was drawn at,
//! and a frame wraps only the messages it shows.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::markdown::render_wrapped;
use super::theme::Theme;
use super::wrap::{sanitize, wrap_spans};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
    Info,
    Error,
}

#[derive(Debug)]
pub struct ChatMsg {
    pub role: Role,
    pub text: String,
    pub streaming: bool,
    cache: RefCell<Option<(u16, Rc<[Line<'static>]>)>>,
}

impl ChatMsg {
    pub fn new(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            text: text.into(),
            streaming: false,
            cache: RefCell::new(None),
        }
    }

    fn invalidate(&self) {
        self.cache.replace(None);
    }

    /// The wrapped lines of this message at `width`, ending with a blank separator line.
    pub fn lines(&self, width: u16, theme: &Theme) -> Rc<[Line<'static>]> {
        if let Some((w, lines)) = self.cache.borrow().as_ref()
            && *w == width
        {
            return lines.clone();
        }
        let lines: Rc<[Line<'static>]> = self.layout(width as usize, theme).into();
        self.cache.replace(Some((width, lines.clone())));
        lines
    }

    fn layout(&self, w: usize, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = match self.role {
            Role::User => {
                let mut out = Vec::new();
                for (i, l) in self.text.split('\n').enumerate() {
                    let prefix = if i == 0 { "› " } else { "  " };
                    let spans = vec![
                        Span::styled(prefix, theme.user()),
                        Span::styled(
                            sanitize(l).into_owned(),
                            theme.text().add_modifier(ratatui::style::Modifier::BOLD),
                        ),
                    ];
                    out.extend(wrap_spans(&spans, w, 2));
                }
                out
            }
            Role::Assistant => {
                let mut out = render_wrapped(&self.text, theme, w);
                if self.streaming {
                    match out.last_mut() {
                        Some(l) => l.spans.push(Span::styled("▍", theme.assistant())),
                        None => out.push(Line::styled("▍", theme.assistant())),
                    }
                }
                out
            }
            Role::Info | Role::Error => {
                let (prefix, style) = if self.role == Role::Error {
                    ("✗ ", theme.error())
                } else {
                    ("· ", theme.dim())
                };
                let spans = vec![
                    Span::styled(prefix, style),
                    Span::styled(sanitize(&self.text).into_owned(), style),
                ];
                wrap_spans(&spans, w, 2)
            }
        };
        out.push(Line::default());
        out
    }
}

/// Messages kept; the oldest are dropped beyond this (the recording keeps everything).
pub const MAX_MESSAGES: usize = 5000;

#[derive(Debug, Default)]
pub struct ChatState {
    pub messages: Vec<ChatMsg>,
    /// Rows scrolled up from the bottom (0 follows new messages).
    pub scroll: usize,
    width: Cell<u16>,
    height: Cell<u16>,
}

impl ChatState {
    pub fn push(&mut self, role: Role, text: impl Into<String>) {
        self.end_stream();
        self.messages.push(ChatMsg::new(role, text));
        if self.messages.len() > MAX_MESSAGES {
            self.messages.drain(..self.messages.len() - MAX_MESSAGES);
        }
    }

    fn streaming_mut(&mut self) -> Option<&mut ChatMsg> {
        self.messages
            .last_mut()
            .filter(|m| m.role == Role::Assistant && m.streaming)
    }

    pub fn delta(&mut self, d: &str) {
        if let Some(m) = self.streaming_mut() {
            m.text.push_str(d);
            m.invalidate();
            return;
        }
        self.push(Role::Assistant, d);
        if let Some(m) = self.messages.last_mut() {
            m.streaming = true;
        }
    }

    /// The complete reply: replaces the streamed text (deltas may have been partial).
    pub fn assistant_message(&mut self, text: &str) {
        if let Some(m) = self.streaming_mut() {
            m.text = text.to_string();
            m.streaming = false;
            m.invalidate();
            return;
        }
        if !text.trim().is_empty() {
            self.push(Role::Assistant, text);
        }
    }

    /// Stop the streaming cursor (the turn ended or was cancelled).
    pub fn end_stream(&mut self) {
        if let Some(m) = self.streaming_mut() {
            m.streaming = false;
            m.invalidate();
        }
    }

    pub fn last_assistant(&self) -> Option<&str> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::Assistant)
            .map(|m| m.text.as_str())
    }

    pub fn page(&self) -> usize {
        (self.height.get() as usize).max(1)
    }

    /// Scroll up (positive) or down (negative) by rows; clamped at the top.
    pub fn scroll_by(&mut self, n: isize, theme: &Theme) {
        if n < 0 {
            self.scroll = self.scroll.saturating_sub(n.unsigned_abs());
            return;
        }
        let max = self.total_rows(theme).saturating_sub(self.page());
        self.scroll = (self.scroll + n as usize).min(max);
    }

    pub fn scroll_top(&mut self, theme: &Theme) {
        self.scroll = self.total_rows(theme).saturating_sub(self.page());
    }

    /// Rows of the whole transcript at the last drawn width (wraps what is not cached).
    fn total_rows(&self, theme: &Theme) -> usize {
        let w = self.width.get().max(1);
        let n: usize = self.messages.iter().map(|m| m.lines(w, theme).len()).sum();
        n.saturating_sub(1)
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, theme: &Theme) {
        self.width.set(area.width);
        self.height.set(area.height);
        let h = area.height as usize;
        if h == 0 || area.width == 0 {
            return;
        }
        if self.messages.is_empty() {
            let hello = [
                Line::styled("Describe what is wrong, in your words.", theme.text()),
                Line::styled(
                    "klue proposes read-only queries; you approve each one.",
                    theme.dim(),
                ),
            ];
            for (i, l) in hello.iter().take(h).enumerate() {
                buf.set_line(area.x, area.y + i as u16, l, area.width);
            }
            return;
        }
        // Collect messages from the newest until the window is filled.
        let need = self.scroll + h;
        let mut tail: Vec<Rc<[Line<'static>]>> = Vec::new();
        let mut total = 0usize;
        for m in self.messages.iter().rev() {
            let ls = m.lines(area.width, theme);
            total += ls.len();
            tail.push(ls);
            if total > need {
                break;
            }
        }
        // The newest message's trailing blank line is not shown.
        total = total.saturating_sub(1);
        let scroll = self.scroll.min(total.saturating_sub(h));
        let end = total - scroll;
        let start = end.saturating_sub(h);
        let rows = tail.iter().rev().flat_map(|ls| ls.iter());
        for (y, line) in rows.skip(start).take(end - start).enumerate() {
            buf.set_line(area.x, area.y + y as u16, line, area.width);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_then_final() {
        let mut c = ChatState::default();
        c.push(Role::User, "pods crash");
        c.delta("Let me ");
        c.delta("look");
        assert_eq!(c.messages.len(), 2);
        assert!(c.messages[1].streaming);
        c.assistant_message("Let me look.");
        assert_eq!(c.messages[1].text, "Let me look.");
        assert!(!c.messages[1].streaming);
    }

    #[test]
    fn renders_only_the_tail() {
        let mut c = ChatState::default();
        for i in 0..500 {
            c.push(Role::User, format!("message {i}"));
        }
        let area = Rect::new(0, 0, 30, 4);
        let mut buf = Buffer::empty(area);
        c.render(area, &mut buf, &Theme::default());
        let cached = c
            .messages
            .iter()
            .filter(|m| m.cache.borrow().is_some())
            .count();
        assert!(cached <= 3, "{cached} messages laid out");
        let last: String = (0..30)
            .map(|x| buf[(x, 3)].symbol().to_string())
            .collect::<String>();
        assert_eq!(last.trim_end(), "› message 499");
    }
}
