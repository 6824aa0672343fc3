//! Display widths, sanitising of untrusted text, and word wrapping of styled lines.

use std::borrow::Cow;

use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Columns a string takes on screen.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Make untrusted text (query output, logs, model replies) safe to draw: ANSI escape
/// sequences are removed, tabs expand to the next multiple of 8 columns, and other control
/// characters become `?`. Borrowed when nothing had to change (the common case).
pub fn sanitize(line: &str) -> Cow<'_, str> {
    if !line.chars().any(|c| c.is_control()) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 8);
    let mut col = 0usize;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => {
                let n = 8 - col % 8;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            }
            '\u{1b}' => skip_escape(&mut chars),
            '\r' | '\n' => {}
            c if c.is_control() => {
                out.push('?');
                col += 1;
            }
            c => {
                out.push(c);
                col += c.width().unwrap_or(0);
            }
        }
    }
    Cow::Owned(out)
}

/// Skip the rest of an escape sequence (CSI `ESC [ … final`, OSC `ESC ] … BEL|ST`, or a
/// two-character escape).
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        }
        Some(']') => {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' {
                    if chars.peek() == Some(&'\\') {
                        chars.next();
                    }
                    break;
                }
            }
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// Word-wrap a styled line to rows of at most `max` columns. Rows after the first start
/// with `indent` spaces (a hanging indent for list items and the like). Words longer than
/// a row are broken. Always returns at least one row.
pub fn wrap_spans(spans: &[Span<'static>], max: usize, indent: usize) -> Vec<Line<'static>> {
    let max = max.max(1);
    let indent = if indent >= max { 0 } else { indent };
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut row_w = 0usize;
    let mut continuation = false;

    let flush = |rows: &mut Vec<Line<'static>>, row: &mut Vec<Span<'static>>| {
        // Spaces that ended a row are not drawn.
        let n = row.len();
        while let Some(last) = row.last_mut() {
            let trimmed = last.content.trim_end_matches(' ').len();
            if trimmed == last.content.len() {
                break;
            }
            if trimmed == 0 && n > 1 {
                row.pop();
                continue;
            }
            last.content.to_mut().truncate(trimmed);
            break;
        }
        rows.push(Line::from(std::mem::take(row)));
    };

    for span in spans {
        let style = span.style;
        for token in tokens(&span.content) {
            let is_space = token.starts_with(' ');
            let tw = width(token);
            if row_w + tw <= max {
                if is_space && continuation && row_w == indent {
                    continue;
                }
                push(&mut row, token, style);
                row_w += tw;
                continue;
            }
            if is_space {
                // A space run that does not fit ends the row; it is not carried over.
                flush(&mut rows, &mut row);
                start_continuation(&mut row, indent);
                row_w = indent;
                continuation = true;
                continue;
            }
            let row_has_content = if continuation {
                row_w > indent
            } else {
                row_w > 0
            };
            if tw <= max - indent && row_has_content {
                flush(&mut rows, &mut row);
                start_continuation(&mut row, indent);
                row_w = indent;
                continuation = true;
                push(&mut row, token, style);
                row_w += tw;
                continue;
            }
            // Break a long word across rows.
            let mut piece = String::new();
            for c in token.chars() {
                let cw = c.width().unwrap_or(0);
                if row_w + cw > max && row_w > 0 {
                    if !piece.is_empty() {
                        push(&mut row, &piece, style);
                        piece.clear();
                    }
                    flush(&mut rows, &mut row);
                    start_continuation(&mut row, indent);
                    row_w = indent;
                    continuation = true;
                }
                piece.push(c);
                row_w += cw;
            }
            if !piece.is_empty() {
                push(&mut row, &piece, style);
            }
        }
    }
    flush(&mut rows, &mut row);
    rows
}

/// Cut a styled line to `max` columns, ending with "…" when something was cut.
pub fn truncate_spans(spans: &[Span<'static>], max: usize) -> Line<'static> {
    let total: usize = spans.iter().map(|s| width(&s.content)).sum();
    if total <= max {
        return Line::from(spans.to_vec());
    }
    let mut out = Vec::new();
    let mut used = 0usize;
    let room = max.saturating_sub(1);
    for s in spans {
        let w = width(&s.content);
        if used + w <= room {
            out.push(s.clone());
            used += w;
            continue;
        }
        let piece = slice_columns(&s.content, 0, room - used);
        out.push(Span::styled(piece, s.style));
        break;
    }
    out.push(Span::raw("…"));
    Line::from(out)
}

/// Keep at most `n` rows; if rows were cut, the last kept row ends with "…".
pub fn clip_rows(mut rows: Vec<Line<'static>>, n: usize, max: usize) -> Vec<Line<'static>> {
    if rows.len() <= n || n == 0 {
        return rows;
    }
    rows.truncate(n);
    if let Some(last) = rows.last_mut() {
        let w = last.width();
        if w + 1 > max {
            // Make room for the ellipsis.
            let text: String = last.spans.iter().map(|s| s.content.as_ref()).collect();
            let style = last.spans.last().map(|s| s.style).unwrap_or_default();
            *last = Line::from(Span::styled(
                slice_columns(&text, 0, max.saturating_sub(1)),
                style,
            ));
        }
        last.spans.push(Span::raw("…"));
    }
    rows
}

fn start_continuation(row: &mut Vec<Span<'static>>, indent: usize) {
    if indent > 0 {
        row.push(Span::raw(" ".repeat(indent)));
    }
}

fn push(row: &mut Vec<Span<'static>>, text: &str, style: ratatui::style::Style) {
    if let Some(last) = row.last_mut()
        && last.style == style
    {
        last.content.to_mut().push_str(text);
        return;
    }
    row.push(Span::styled(text.to_string(), style));
}

/// Split text into runs of spaces and runs of non-spaces.
fn tokens(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let first_space = rest.starts_with(' ');
        let end = rest
            .char_indices()
            .find(|(_, c)| (*c == ' ') != first_space)
            .map_or(rest.len(), |(i, _)| i);
        let (tok, tail) = rest.split_at(end);
        rest = tail;
        Some(tok)
    })
}

/// Cut a string to at most `max` columns, starting `skip` columns in.
pub fn slice_columns(s: &str, skip: usize, max: usize) -> String {
    let mut col = 0usize;
    let mut out = String::new();
    let mut used = 0usize;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if col < skip {
            col += cw;
            continue;
        }
        if used + cw > max {
            break;
        }
        out.push(c);
        used += cw;
    }
    out
}

/// Rows a plain string needs when hard-wrapped at `max` columns (at least one).
pub fn rows_needed(s: &str, max: usize) -> usize {
    let w = width(s);
    if w == 0 { 1 } else { w.div_ceil(max.max(1)) }
}

/// The `row`-th piece of a plain string hard-wrapped at `max` columns.
pub fn hard_wrap_row(s: &str, max: usize, row: usize) -> String {
    slice_columns(s, row * max.max(1), max.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(rows: &[Line<'static>]) -> Vec<String> {
        rows.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn wraps_words_with_hanging_indent() {
        let spans = vec![Span::raw("• one two three four five")];
        let rows = wrap_spans(&spans, 10, 2);
        assert_eq!(
            text(&rows),
            vec!["• one two", "  three", "  four", "  five"]
        );
    }

    #[test]
    fn breaks_long_words() {
        let rows = wrap_spans(&[Span::raw("abcdefghij")], 4, 0);
        assert_eq!(text(&rows), vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn empty_line_is_one_row() {
        assert_eq!(wrap_spans(&[], 10, 0).len(), 1);
    }

    #[test]
    fn sanitize_strips_escapes_and_expands_tabs() {
        assert_eq!(sanitize("\u{1b}[31mred\u{1b}[0m\tx"), "red     x");
        assert_eq!(sanitize("plain"), "plain");
        assert_eq!(sanitize("a\u{7}b"), "a?b");
    }

    #[test]
    fn hard_wrap_rows() {
        assert_eq!(rows_needed("abcdefghij", 4), 3);
        assert_eq!(hard_wrap_row("abcdefghij", 4, 2), "ij");
    }
}
