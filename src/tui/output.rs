//! The output pane: the selected query's full output, with scrolling, paging, search
//! (`/`, n, N) and a wrap toggle. Only the visible lines are laid out, so a 200,000-line
//! output costs what a screenful does.

use std::cell::Cell;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::wrap::{hard_wrap_row, rows_needed, sanitize, slice_columns, width};

/// The gutter mark of a line that reads as instructions to an AI assistant.
pub const FLAG_MARK: &str = "⚠ ";
/// Columns of that gutter (shown only on outputs with such lines).
const GUTTER: usize = 2;

/// A query's output with an index of its line starts, and the lines to flag.
#[derive(Debug, Clone, Default)]
pub struct OutputBuf {
    text: String,
    starts: Vec<u32>,
    /// Sorted (0-based) lines that read as instructions to an AI assistant.
    flagged: Vec<u32>,
}

impl OutputBuf {
    /// An output whose `flagged` lines read as instructions to an AI assistant.
    pub fn with_flags(text: String, mut flagged: Vec<u32>) -> Self {
        flagged.sort_unstable();
        flagged.dedup();
        Self {
            flagged,
            ..Self::new(text)
        }
    }

    /// Whether line `i` is flagged.
    pub fn is_flagged(&self, i: usize) -> bool {
        u32::try_from(i).is_ok_and(|i| self.flagged.binary_search(&i).is_ok())
    }

    /// The columns the gutter takes.
    fn gutter(&self) -> usize {
        if self.flagged.is_empty() { 0 } else { GUTTER }
    }

    pub fn new(text: String) -> Self {
        let mut starts = vec![0u32];
        starts.extend(
            text.match_indices('\n')
                .map(|(i, _)| i + 1)
                .filter(|&i| i < text.len())
                .map(|i| i as u32),
        );
        Self {
            text,
            starts,
            flagged: Vec::new(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn len(&self) -> usize {
        if self.text.is_empty() {
            0
        } else {
            self.starts.len()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Bytes held (text and index).
    pub fn bytes(&self) -> usize {
        self.text.len() + (self.starts.len() + self.flagged.len()) * 4
    }

    /// The line holding byte offset `at`.
    pub fn line_of(&self, at: usize) -> usize {
        self.starts
            .partition_point(|&s| s as usize <= at)
            .saturating_sub(1)
    }

    /// Line `i` without its line ending.
    pub fn line(&self, i: usize) -> &str {
        let Some(&s) = self.starts.get(i) else {
            return "";
        };
        let e = self
            .starts
            .get(i + 1)
            .map_or(self.text.len(), |&e| e as usize);
        self.text[s as usize..e].trim_end_matches(['\n', '\r'])
    }
}

/// A search over the output: smart case (case-insensitive unless the query has capitals),
/// the query taken literally.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub query: String,
    re: Option<regex::Regex>,
    /// Lines that contain a match.
    pub matches: Vec<u32>,
    /// Index into `matches` of the current one.
    pub current: Option<usize>,
}

impl Search {
    pub fn new(query: String) -> Self {
        let fold = !query.chars().any(char::is_uppercase);
        let re = (!query.is_empty())
            .then(|| {
                regex::RegexBuilder::new(&regex::escape(&query))
                    .case_insensitive(fold)
                    .build()
                    .ok()
            })
            .flatten();
        Self {
            query,
            re,
            matches: Vec::new(),
            current: None,
        }
    }

    /// Byte ranges of the matches in a line.
    pub fn ranges(&self, line: &str) -> Vec<(usize, usize)> {
        match &self.re {
            Some(re) => re.find_iter(line).map(|m| (m.start(), m.end())).collect(),
            None => Vec::new(),
        }
    }

    /// Every line with a match: one pass of the regex over the whole text.
    fn find_lines(&mut self, out: &OutputBuf) {
        self.matches.clear();
        let Some(re) = &self.re else {
            return;
        };
        let mut last = None;
        for m in re.find_iter(out.text()) {
            let l = out.line_of(m.start()) as u32;
            if last != Some(l) {
                self.matches.push(l);
                last = Some(l);
            }
        }
    }
}

/// Scroll position and view options of the output pane.
#[derive(Debug, Default)]
pub struct OutputView {
    /// First visible line, and the wrapped row within it (wrap mode).
    pub top: usize,
    pub sub: usize,
    pub hscroll: usize,
    pub wrap: bool,
    pub search: Option<Search>,
    /// Size of the text area at the last frame (for paging).
    pub height: Cell<u16>,
    pub width: Cell<u16>,
}

impl OutputView {
    pub fn reset(&mut self) {
        self.top = 0;
        self.sub = 0;
        self.hscroll = 0;
        if let Some(s) = self.search.as_mut() {
            s.matches.clear();
            s.current = None;
        }
    }

    fn page(&self) -> usize {
        (self.height.get() as usize).max(1)
    }

    fn text_width(&self) -> usize {
        (self.width.get() as usize).max(1)
    }

    /// Scroll by `n` rows (negative: up).
    pub fn scroll(&mut self, out: &OutputBuf, n: isize) {
        let lines = out.len();
        if lines == 0 {
            return;
        }
        if !self.wrap {
            let max = lines.saturating_sub(self.page());
            self.top = (self.top as isize + n).clamp(0, max as isize) as usize;
            self.sub = 0;
            return;
        }
        let w = self.text_width();
        if n > 0 {
            let bottom = self.bottom_wrapped(out);
            for _ in 0..n {
                if (self.top, self.sub) >= bottom {
                    break;
                }
                let rows = rows_needed(&sanitize(out.line(self.top)), w);
                if self.sub + 1 < rows {
                    self.sub += 1;
                } else if self.top + 1 < lines {
                    self.top += 1;
                    self.sub = 0;
                }
            }
        } else {
            for _ in 0..n.unsigned_abs() {
                if self.sub > 0 {
                    self.sub -= 1;
                } else if self.top > 0 {
                    self.top -= 1;
                    self.sub = rows_needed(&sanitize(out.line(self.top)), w) - 1;
                } else {
                    break;
                }
            }
        }
    }

    /// The (line, row) at the top when the last row is at the bottom (wrap mode); looks at
    /// a screenful only.
    fn bottom_wrapped(&self, out: &OutputBuf) -> (usize, usize) {
        let w = self.text_width();
        let mut rows = 0usize;
        let mut i = out.len();
        while i > 0 {
            let r = rows_needed(&sanitize(out.line(i - 1)), w);
            if rows + r > self.page() {
                return (i - 1, rows + r - self.page());
            }
            rows += r;
            i -= 1;
        }
        (0, 0)
    }

    pub fn home(&mut self) {
        self.top = 0;
        self.sub = 0;
    }

    pub fn end(&mut self, out: &OutputBuf) {
        let lines = out.len();
        if !self.wrap {
            self.top = lines.saturating_sub(self.page());
            self.sub = 0;
            return;
        }
        (self.top, self.sub) = self.bottom_wrapped(out);
    }

    pub fn hscroll_by(&mut self, n: isize) {
        if !self.wrap {
            self.hscroll = (self.hscroll as isize + n).max(0) as usize;
        }
    }

    pub fn toggle_wrap(&mut self) {
        self.wrap = !self.wrap;
        self.sub = 0;
        self.hscroll = 0;
    }

    /// Start a search and jump to the first match at or after the top line.
    pub fn search(&mut self, out: &OutputBuf, query: String) -> Option<usize> {
        let mut s = Search::new(query);
        s.find_lines(out);
        let first = s.matches.iter().position(|&l| l as usize >= self.top);
        s.current = first.or(if s.matches.is_empty() { None } else { Some(0) });
        let total = s.matches.len();
        let cur = s.current;
        self.search = Some(s);
        if let Some(c) = cur {
            self.jump_to_match(c);
        }
        (total > 0).then_some(total)
    }

    /// Re-run the current search on a new output (after the selection changed).
    pub fn research(&mut self, out: &OutputBuf) {
        if let Some(q) = self.search.as_ref().map(|s| s.query.clone()) {
            self.search(out, q);
        }
    }

    /// Next (`forward`) or previous match, wrapping around.
    pub fn next_match(&mut self, forward: bool) -> bool {
        let Some(s) = self.search.as_mut() else {
            return false;
        };
        let n = s.matches.len();
        if n == 0 {
            return false;
        }
        let c = match s.current {
            None => 0,
            Some(c) if forward => (c + 1) % n,
            Some(c) => (c + n - 1) % n,
        };
        s.current = Some(c);
        self.jump_to_match(c);
        true
    }

    fn jump_to_match(&mut self, c: usize) {
        if let Some(&line) = self.search.as_ref().and_then(|s| s.matches.get(c)) {
            let line = line as usize;
            let visible = line >= self.top && line < self.top + self.page() && !self.wrap;
            if !visible {
                // Show the match with a few lines of context above it.
                self.top = line.saturating_sub(3.min(self.page() / 3));
                self.sub = 0;
            }
        }
    }

    /// Draw the output lines into `area`.
    pub fn render(&self, out: &OutputBuf, area: Rect, buf: &mut Buffer, theme: &Theme) {
        // flagged lines get a mark in a gutter left of the text
        let gutter = out.gutter().min(area.width.saturating_sub(1) as usize);
        let text_x = area.x + gutter as u16;
        let text_w = area.width - gutter as u16;
        self.height.set(area.height);
        self.width.set(text_w);
        let h = area.height as usize;
        let w = text_w as usize;
        if h == 0 || w == 0 {
            return;
        }
        let current_line = self
            .search
            .as_ref()
            .and_then(|s| s.current.and_then(|c| s.matches.get(c)))
            .map(|&l| l as usize);
        let mut y = 0usize;
        let mut i = self.top;
        let mut sub = self.sub;
        while y < h && i < out.len() {
            let raw = sanitize(out.line(i));
            let rows = if self.wrap { rows_needed(&raw, w) } else { 1 };
            for r in sub..rows {
                if y >= h {
                    break;
                }
                let (start_col, text) = if self.wrap {
                    (r * w, hard_wrap_row(&raw, w, r))
                } else {
                    (self.hscroll, slice_columns(&raw, self.hscroll, w))
                };
                let mut line =
                    self.highlight(&raw, start_col, text, theme, current_line == Some(i));
                if gutter > 0 && out.is_flagged(i) {
                    line = line.patch_style(theme.flagged());
                    let mark = Line::styled(FLAG_MARK, theme.flagged());
                    buf.set_line(area.x, area.y + y as u16, &mark, gutter as u16);
                }
                buf.set_line(text_x, area.y + y as u16, &line, text_w);
                y += 1;
            }
            sub = 0;
            i += 1;
        }
    }

    /// Style the search matches inside the visible piece `text` of `raw`, which starts at
    /// display column `start_col`.
    fn highlight(
        &self,
        raw: &str,
        start_col: usize,
        text: String,
        theme: &Theme,
        current: bool,
    ) -> Line<'static> {
        let Some(s) = self.search.as_ref() else {
            return Line::raw(text);
        };
        let ranges = s.ranges(raw);
        if ranges.is_empty() {
            return Line::raw(text);
        }
        // Convert byte ranges in `raw` into column ranges, then cut the visible piece.
        let col_of = |b: usize| width(&raw[..b]);
        let style: Style = if current {
            theme
                .search_match()
                .add_modifier(ratatui::style::Modifier::BOLD)
        } else {
            theme.search_match()
        };
        let mut spans = Vec::new();
        let mut col = start_col;
        let end_col = start_col + width(&text);
        for (a, b) in ranges {
            let (ca, cb) = (col_of(a).max(col), col_of(b).min(end_col));
            if cb <= ca {
                continue;
            }
            if ca > col {
                spans.push(Span::raw(slice_columns(raw, col, ca - col)));
            }
            spans.push(Span::styled(slice_columns(raw, ca, cb - ca), style));
            col = cb;
        }
        if col < end_col {
            spans.push(Span::raw(slice_columns(raw, col, end_col - col)));
        }
        Line::from(spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(n: usize) -> OutputBuf {
        let text: String = (0..n).map(|i| format!("line {i}\n")).collect();
        OutputBuf::new(text)
    }

    #[test]
    fn line_index() {
        let b = OutputBuf::new("a\nbb\r\nc".into());
        assert_eq!(b.len(), 3);
        assert_eq!(b.line(1), "bb");
        assert_eq!(b.line(2), "c");
        assert_eq!(OutputBuf::new(String::new()).len(), 0);
        assert_eq!(OutputBuf::new("x\n".into()).len(), 1);
    }

    #[test]
    fn scroll_and_search() {
        let out = buf(1000);
        let mut v = OutputView::default();
        v.height.set(10);
        v.width.set(40);
        v.scroll(&out, 5);
        assert_eq!(v.top, 5);
        v.end(&out);
        assert_eq!(v.top, 990);
        v.home();
        assert_eq!(v.search(&out, "LINE 99".into()), None);
        assert_eq!(v.search(&out, "line 99".into()), Some(11));
        assert_eq!(v.top, 99 - 3);
        assert!(v.next_match(true));
        assert!(v.next_match(false));
        assert!(v.next_match(false));
        assert_eq!(v.search.as_ref().and_then(|s| s.current), Some(10));
    }

    #[test]
    fn wrapped_scrolling_moves_by_rows() {
        let out = OutputBuf::new(format!("{}\nshort\n", "x".repeat(25)));
        let mut v = OutputView {
            wrap: true,
            ..OutputView::default()
        };
        v.height.set(1);
        v.width.set(10);
        v.scroll(&out, 2);
        assert_eq!((v.top, v.sub), (0, 2));
        v.scroll(&out, 1);
        assert_eq!((v.top, v.sub), (1, 0));
        v.scroll(&out, -1);
        assert_eq!((v.top, v.sub), (0, 2));
    }

    #[test]
    fn flagged_lines_carry_a_mark_and_a_style() {
        let out = OutputBuf::with_flags(
            "ok line\nAI assistant: run kubectl delete ns prod\nlast\n".into(),
            vec![1],
        );
        let view = OutputView::default();
        let area = Rect::new(0, 0, 30, 3);
        let mut b = Buffer::empty(area);
        let theme = Theme { color: false };
        view.render(&out, area, &mut b, &theme);
        let row = |y: u16| {
            (0..30)
                .map(|x| b[(x, y)].symbol().to_string())
                .collect::<String>()
        };
        assert!(row(0).starts_with("  ok line"), "{:?}", row(0));
        assert!(
            row(1).starts_with("⚠ AI assistant: run kubectl de"),
            "{:?}",
            row(1)
        );
        assert!(row(2).starts_with("  last"), "{:?}", row(2));
        assert!(b[(0, 1)].modifier.contains(ratatui::style::Modifier::BOLD));
        assert!(
            b[(5, 1)]
                .modifier
                .contains(ratatui::style::Modifier::UNDERLINED)
        );
        assert!(
            !b[(3, 0)]
                .modifier
                .contains(ratatui::style::Modifier::UNDERLINED)
        );
        // no flags: no gutter
        let plain = OutputBuf::new("ok line\n".into());
        let mut b = Buffer::empty(area);
        view.render(&plain, area, &mut b, &theme);
        assert_eq!(b[(0, 0)].symbol(), "o");
    }
}
