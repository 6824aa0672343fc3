//! A small Markdown renderer over pulldown-cmark: headings, paragraphs, lists (nested,
//! ordered, task), block quotes, code blocks, inline code, emphasis, links, rules, tables.
//! Produces logical lines with a hanging indent; [`super::wrap`] fits them to a width.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::wrap::{sanitize, width, wrap_spans};

/// One logical line of rendered Markdown.
#[derive(Debug, Clone, PartialEq)]
pub struct MdLine {
    pub spans: Vec<Span<'static>>,
    /// Indent for the rows this line wraps onto.
    pub indent: usize,
}

/// Render Markdown and wrap it to `max` columns.
pub fn render_wrapped(text: &str, theme: &Theme, max: usize) -> Vec<Line<'static>> {
    render(text, theme)
        .into_iter()
        .flat_map(|l| wrap_spans(&l.spans, max, l.indent))
        .collect()
}

/// Render Markdown into logical lines.
pub fn render(text: &str, theme: &Theme) -> Vec<MdLine> {
    let mut r = Renderer::new(*theme);
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for ev in Parser::new_ext(text, opts) {
        r.event(ev);
    }
    r.finish()
}

struct ListLevel {
    next: Option<u64>,
    /// Width of this level's bullet, so its continuation lines align.
    width: usize,
}

struct Renderer {
    theme: Theme,
    lines: Vec<MdLine>,
    cur: Vec<Span<'static>>,
    cur_indent: usize,
    styles: Vec<Style>,
    lists: Vec<ListLevel>,
    bullet: Option<String>,
    quote: usize,
    code: bool,
    blocks: usize,
    table_row: Vec<String>,
    cell: Option<String>,
    link: Option<String>,
}

impl Renderer {
    fn new(theme: Theme) -> Self {
        Self {
            theme,
            lines: Vec::new(),
            cur: Vec::new(),
            cur_indent: 0,
            styles: vec![theme.text()],
            lists: Vec::new(),
            bullet: None,
            quote: 0,
            code: false,
            blocks: 0,
            table_row: Vec::new(),
            cell: None,
            link: None,
        }
    }

    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn push_style(&mut self, f: impl FnOnce(Style) -> Style) {
        let s = f(self.style());
        self.styles.push(s);
    }

    fn pop_style(&mut self) {
        if self.styles.len() > 1 {
            self.styles.pop();
        }
    }

    /// Start a block: a blank line between top-level blocks (not inside list items).
    fn block_start(&mut self) {
        self.flush();
        if self.blocks > 0 && self.lists.is_empty() {
            self.lines.push(MdLine {
                spans: Vec::new(),
                indent: 0,
            });
        }
        self.blocks += 1;
    }

    /// Put the line prefix (quote bars, list indentation or bullet) if the line is empty.
    fn ensure_prefix(&mut self) {
        if !self.cur.is_empty() {
            return;
        }
        let mut w = 0;
        if self.quote > 0 {
            let bar = "▎ ".repeat(self.quote);
            w += width(&bar);
            self.cur.push(Span::styled(bar, self.theme.dim()));
        }
        let outer: usize = self
            .lists
            .iter()
            .take(self.lists.len().saturating_sub(1))
            .map(|l| l.width)
            .sum();
        let inner = self.lists.last().map_or(0, |l| l.width);
        match self.bullet.take() {
            Some(b) => {
                let pad = " ".repeat(outer);
                let text = format!("{pad}{b}");
                w += width(&text);
                self.cur.push(Span::styled(text, self.theme.dim()));
            }
            None if outer + inner > 0 => {
                let pad = " ".repeat(outer + inner);
                w += outer + inner;
                self.cur.push(Span::raw(pad));
            }
            None => {}
        }
        self.cur_indent = w;
    }

    fn text(&mut self, t: &str) {
        if let Some(cell) = self.cell.as_mut() {
            cell.push_str(t);
            return;
        }
        self.ensure_prefix();
        let style = self.style();
        self.cur.push(Span::styled(sanitize(t).into_owned(), style));
    }

    fn flush(&mut self) {
        if self.cur.is_empty() {
            return;
        }
        let spans = std::mem::take(&mut self.cur);
        self.lines.push(MdLine {
            spans,
            indent: self.cur_indent,
        });
        self.cur_indent = 0;
    }

    fn event(&mut self, ev: Event<'_>) {
        match ev {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => {
                if self.code {
                    for (i, l) in t.split('\n').enumerate() {
                        if i > 0 {
                            self.flush();
                        }
                        if l.is_empty() && i > 0 {
                            continue;
                        }
                        self.ensure_prefix();
                        self.cur.push(Span::styled("  ", self.theme.dim()));
                        self.cur_indent += 2;
                        self.cur
                            .push(Span::styled(sanitize(l).into_owned(), self.theme.code()));
                    }
                } else {
                    self.text(&t);
                }
            }
            Event::Code(t) => {
                if let Some(cell) = self.cell.as_mut() {
                    cell.push_str(&t);
                    return;
                }
                self.ensure_prefix();
                let style = self.style().patch(self.theme.code());
                self.cur
                    .push(Span::styled(sanitize(&t).into_owned(), style));
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => self.text(&t),
            Event::Html(t) | Event::InlineHtml(t) => self.text(t.trim_end_matches('\n')),
            Event::FootnoteReference(t) => self.text(&format!("[{t}]")),
            Event::SoftBreak => {
                if let Some(cell) = self.cell.as_mut() {
                    cell.push(' ');
                } else {
                    self.text(" ");
                }
            }
            Event::HardBreak => self.flush(),
            Event::Rule => {
                self.block_start();
                self.cur
                    .push(Span::styled("─".repeat(24), self.theme.dim()));
                self.flush();
            }
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph if self.bullet.is_none() && self.cur.is_empty() => self.block_start(),
            Tag::Heading { level, .. } => {
                self.block_start();
                let extra = match level {
                    HeadingLevel::H1 => Modifier::UNDERLINED,
                    _ => Modifier::empty(),
                };
                let h = self.theme.heading().add_modifier(extra);
                self.push_style(|_| h);
            }
            Tag::BlockQuote(_) => {
                self.block_start();
                self.quote += 1;
                let q = self.theme.quote();
                self.push_style(|s| s.patch(q));
            }
            Tag::CodeBlock(kind) => {
                self.block_start();
                self.code = true;
                if let CodeBlockKind::Fenced(lang) = kind
                    && !lang.is_empty()
                {
                    self.ensure_prefix();
                    self.cur
                        .push(Span::styled(format!("  {lang}"), self.theme.dim()));
                    self.flush();
                }
            }
            Tag::List(start) => {
                if self.lists.is_empty() {
                    self.block_start();
                } else {
                    self.flush();
                }
                self.lists.push(ListLevel {
                    next: start,
                    width: 2,
                });
            }
            Tag::Item => {
                self.flush();
                if let Some(level) = self.lists.last_mut() {
                    let b = match level.next.as_mut() {
                        Some(n) => {
                            let b = format!("{n}. ");
                            *n += 1;
                            b
                        }
                        None => "• ".to_string(),
                    };
                    level.width = width(&b);
                    self.bullet = Some(b);
                }
            }
            Tag::Emphasis => self.push_style(|s| s.add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.push_style(|s| s.add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self.push_style(|s| s.add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.link = Some(dest_url.to_string());
                let l = self.theme.link();
                self.push_style(|s| s.patch(l));
            }
            Tag::Image { dest_url, .. } => {
                self.text("[image: ");
                self.link = Some(dest_url.to_string());
            }
            Tag::Table(_) => self.block_start(),
            Tag::TableHead | Tag::TableRow => self.table_row.clear(),
            Tag::TableCell => self.cell = Some(String::new()),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.flush(),
            TagEnd::Heading(_) => {
                self.pop_style();
                self.flush();
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.quote = self.quote.saturating_sub(1);
                self.pop_style();
            }
            TagEnd::CodeBlock => {
                self.flush();
                self.code = false;
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
            }
            TagEnd::Item => {
                if self.bullet.is_some() {
                    // An empty item still shows its bullet.
                    self.ensure_prefix();
                }
                self.flush();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => self.pop_style(),
            TagEnd::Link => {
                self.pop_style();
                if let Some(url) = self.link.take()
                    && !url.is_empty()
                    && !self.cur.iter().any(|s| s.content.contains(url.as_str()))
                {
                    let dim = self.theme.dim();
                    self.ensure_prefix();
                    self.cur.push(Span::styled(format!(" ({url})"), dim));
                }
            }
            TagEnd::Image => {
                self.link = None;
                self.text("]");
            }
            TagEnd::TableCell => {
                if let Some(c) = self.cell.take() {
                    self.table_row.push(c);
                }
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                let head = matches!(tag, TagEnd::TableHead);
                let row = std::mem::take(&mut self.table_row).join(" │ ");
                self.ensure_prefix();
                let style = if head {
                    self.style().add_modifier(Modifier::BOLD)
                } else {
                    self.style()
                };
                self.cur
                    .push(Span::styled(sanitize(&row).into_owned(), style));
                self.flush();
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Vec<MdLine> {
        self.flush();
        self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(md: &str, w: usize) -> Vec<String> {
        render_wrapped(md, &Theme::default(), w)
            .iter()
            .map(|l| l.to_string())
            .collect()
    }

    #[test]
    fn headings_paragraphs_lists_code() {
        let md = "# Root cause\n\nThe pod **crashes**.\n\n- one\n- two\n  1. nested\n\n```yaml\nkey: v\n```\n";
        assert_eq!(
            plain(md, 40),
            vec![
                "Root cause",
                "",
                "The pod crashes.",
                "",
                "• one",
                "• two",
                "  1. nested",
                "",
                "  yaml",
                "  key: v",
            ]
        );
    }

    #[test]
    fn list_items_wrap_with_hanging_indent() {
        assert_eq!(
            plain("- alpha beta gamma delta", 12),
            vec!["• alpha beta", "  gamma", "  delta"]
        );
    }

    #[test]
    fn bold_is_styled() {
        let lines = render("a **b** `c`", &Theme::default());
        let bold = lines[0]
            .spans
            .iter()
            .find(|s| s.content == "b")
            .map(|s| s.style.add_modifier.contains(Modifier::BOLD));
        assert_eq!(bold, Some(true));
    }

    #[test]
    fn tables_render_rows() {
        let md = "| a | b |\n|---|---|\n| 1 | 2 |\n";
        assert_eq!(plain(md, 40), vec!["a │ b", "1 │ 2"]);
    }
}
