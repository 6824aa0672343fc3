//! A small multi-line text editor with history (the message input, and the one-line
//! prompts for editing a command, a rejection reason, or a search).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use unicode_width::UnicodeWidthChar;

/// What a key did to the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOutcome {
    /// The key changed the text or moved the cursor.
    Handled,
    /// Enter: the caller decides (submit).
    Submit,
    /// Not an editing key.
    Ignored,
}

#[derive(Debug, Clone, Default)]
pub struct Editor {
    lines: Vec<String>,
    /// Cursor row and column (in chars).
    row: usize,
    col: usize,
    multiline: bool,
    history: Vec<String>,
    /// Position while browsing history, and the draft that was being typed.
    hist_pos: Option<usize>,
    draft: String,
}

const HISTORY_MAX: usize = 500;

impl Editor {
    pub fn new(multiline: bool) -> Self {
        Self {
            lines: vec![String::new()],
            multiline,
            ..Self::default()
        }
    }

    pub fn with_text(text: &str) -> Self {
        let mut e = Self::new(false);
        e.set_text(text);
        e
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    pub fn is_empty(&self) -> bool {
        self.lines.len() == 1 && self.lines[0].is_empty()
    }

    /// Cursor as (row, display column).
    pub fn cursor(&self) -> (usize, usize) {
        let line = &self.lines[self.row];
        let colw = line
            .chars()
            .take(self.col)
            .map(|c| c.width().unwrap_or(0))
            .sum();
        (self.row, colw)
    }

    pub fn set_text(&mut self, text: &str) {
        self.lines = if self.multiline {
            text.split('\n').map(str::to_string).collect()
        } else {
            vec![text.replace('\n', " ")]
        };
        if self.lines.is_empty() {
            self.lines.push(String::new());
        }
        self.row = self.lines.len() - 1;
        self.col = self.lines[self.row].chars().count();
    }

    pub fn clear(&mut self) {
        self.lines = vec![String::new()];
        self.row = 0;
        self.col = 0;
        self.hist_pos = None;
    }

    /// Take the text out, remembering it in the history.
    pub fn take(&mut self) -> String {
        let t = self.text();
        if !t.trim().is_empty() && self.history.last() != Some(&t) {
            self.history.push(t.clone());
            if self.history.len() > HISTORY_MAX {
                self.history.remove(0);
            }
        }
        self.clear();
        t
    }

    pub fn history(&self) -> &[String] {
        &self.history
    }

    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars() {
            match c {
                '\n' if self.multiline => self.newline(),
                '\n' | '\t' => self.insert_char(' '),
                '\r' => {}
                c if c.is_control() => {}
                c => self.insert_char(c),
            }
        }
    }

    fn byte_at(&self, col: usize) -> usize {
        let line = &self.lines[self.row];
        line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
    }

    fn line_len(&self) -> usize {
        self.lines[self.row].chars().count()
    }

    fn insert_char(&mut self, c: char) {
        let at = self.byte_at(self.col);
        self.lines[self.row].insert(at, c);
        self.col += 1;
    }

    fn newline(&mut self) {
        let at = self.byte_at(self.col);
        let rest = self.lines[self.row].split_off(at);
        self.lines.insert(self.row + 1, rest);
        self.row += 1;
        self.col = 0;
    }

    fn backspace(&mut self) {
        if self.col > 0 {
            let at = self.byte_at(self.col - 1);
            self.lines[self.row].remove(at);
            self.col -= 1;
        } else if self.row > 0 {
            let line = self.lines.remove(self.row);
            self.row -= 1;
            self.col = self.line_len();
            self.lines[self.row].push_str(&line);
        }
    }

    fn delete(&mut self) {
        if self.col < self.line_len() {
            let at = self.byte_at(self.col);
            self.lines[self.row].remove(at);
        } else if self.row + 1 < self.lines.len() {
            let next = self.lines.remove(self.row + 1);
            self.lines[self.row].push_str(&next);
        }
    }

    fn delete_word_back(&mut self) {
        let chars: Vec<char> = self.lines[self.row].chars().collect();
        let mut start = self.col;
        while start > 0 && chars[start - 1] == ' ' {
            start -= 1;
        }
        while start > 0 && chars[start - 1] != ' ' {
            start -= 1;
        }
        let from = self.byte_at(start);
        let to = self.byte_at(self.col);
        self.lines[self.row].replace_range(from..to, "");
        self.col = start;
    }

    fn history_prev(&mut self) -> bool {
        if self.history.is_empty() {
            return false;
        }
        let pos = match self.hist_pos {
            None => {
                self.draft = self.text();
                self.history.len() - 1
            }
            Some(0) => return true,
            Some(p) => p - 1,
        };
        self.hist_pos = Some(pos);
        let t = self.history[pos].clone();
        self.set_text(&t);
        true
    }

    fn history_next(&mut self) -> bool {
        let Some(p) = self.hist_pos else {
            return false;
        };
        if p + 1 < self.history.len() {
            self.hist_pos = Some(p + 1);
            let t = self.history[p + 1].clone();
            self.set_text(&t);
        } else {
            self.hist_pos = None;
            let d = std::mem::take(&mut self.draft);
            self.set_text(&d);
        }
        true
    }

    /// Apply a key. Enter submits; Alt-Enter, Shift-Enter and Ctrl-J insert a newline in a
    /// multi-line editor. Up/Down move between lines, and through the history at the edges.
    pub fn key(&mut self, key: KeyEvent) -> EditOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        match key.code {
            KeyCode::Enter if self.multiline && (alt || shift) => self.newline(),
            KeyCode::Char('j') if ctrl && self.multiline => self.newline(),
            KeyCode::Enter => return EditOutcome::Submit,
            KeyCode::Char('a') if ctrl => self.col = 0,
            KeyCode::Char('e') if ctrl => self.col = self.line_len(),
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_at(self.col);
                self.lines[self.row].replace_range(..at, "");
                self.col = 0;
            }
            KeyCode::Char('k') if ctrl => {
                let at = self.byte_at(self.col);
                self.lines[self.row].truncate(at);
            }
            KeyCode::Char('w') if ctrl => self.delete_word_back(),
            KeyCode::Backspace if alt || ctrl => self.delete_word_back(),
            KeyCode::Char('h') if ctrl => self.backspace(),
            KeyCode::Char('d') if ctrl => self.delete(),
            KeyCode::Char(_) if ctrl || alt => return EditOutcome::Ignored,
            KeyCode::Char(c) => {
                self.hist_pos = None;
                self.insert_char(c);
            }
            KeyCode::Backspace => self.backspace(),
            KeyCode::Delete => self.delete(),
            KeyCode::Left => {
                if self.col > 0 {
                    self.col -= 1;
                } else if self.row > 0 {
                    self.row -= 1;
                    self.col = self.line_len();
                }
            }
            KeyCode::Right => {
                if self.col < self.line_len() {
                    self.col += 1;
                } else if self.row + 1 < self.lines.len() {
                    self.row += 1;
                    self.col = 0;
                }
            }
            KeyCode::Home => self.col = 0,
            KeyCode::End => self.col = self.line_len(),
            KeyCode::Up => {
                if self.row > 0 {
                    self.row -= 1;
                    self.col = self.col.min(self.line_len());
                } else if !self.history_prev() {
                    return EditOutcome::Ignored;
                }
            }
            KeyCode::Down => {
                if self.row + 1 < self.lines.len() {
                    self.row += 1;
                    self.col = self.col.min(self.line_len());
                } else if !self.history_next() {
                    return EditOutcome::Ignored;
                }
            }
            _ => return EditOutcome::Ignored,
        }
        EditOutcome::Handled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn typed(e: &mut Editor, s: &str) {
        for c in s.chars() {
            e.key(k(KeyCode::Char(c)));
        }
    }

    #[test]
    fn typing_newline_and_history() {
        let mut e = Editor::new(true);
        typed(&mut e, "ab");
        e.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT));
        typed(&mut e, "c");
        assert_eq!(e.text(), "ab\nc");
        assert_eq!(e.key(k(KeyCode::Enter)), EditOutcome::Submit);
        assert_eq!(e.take(), "ab\nc");
        assert!(e.is_empty());
        typed(&mut e, "draft");
        e.key(k(KeyCode::Up));
        assert_eq!(e.text(), "ab\nc");
        e.key(k(KeyCode::Down));
        e.key(k(KeyCode::Down));
        assert_eq!(e.text(), "draft");
    }

    #[test]
    fn editing_keys() {
        let mut e = Editor::with_text("get pods -n shop");
        e.key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(e.text(), "get pods -n ");
        e.key(k(KeyCode::Home));
        e.key(k(KeyCode::Delete));
        assert_eq!(e.text(), "et pods -n ");
        e.key(k(KeyCode::Backspace));
        assert_eq!(e.cursor(), (0, 0));
        e.insert_str("é\nx");
        assert_eq!(e.text(), "é xet pods -n ");
    }
}
