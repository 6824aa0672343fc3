//! Every output is bounded: a cap in lines and bytes, and an explicit marker saying what was
//! cut.

/// The bound on one output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputCap {
    pub max_lines: usize,
    pub max_bytes: usize,
}

impl Default for OutputCap {
    fn default() -> Self {
        OutputCap {
            max_lines: 2_000,
            max_bytes: 256 * 1024,
        }
    }
}

/// `4812` → `4,812`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl OutputCap {
    /// Cut `text` to the cap; returns the (possibly) cut text and whether it was cut.
    pub fn cut(&self, text: &str) -> (String, bool) {
        let total_lines = text.lines().count();
        let mut kept = String::new();
        let mut lines = 0usize;
        let mut by_bytes = false;
        for line in text.split_inclusive('\n') {
            if lines >= self.max_lines {
                break;
            }
            if kept.len() + line.len() > self.max_bytes {
                by_bytes = true;
                // keep the head of a line longer than what is left (one huge JSON line, say)
                let mut end = self.max_bytes.saturating_sub(kept.len());
                while end > 0 && !line.is_char_boundary(end) {
                    end -= 1;
                }
                if end > 0 && kept.is_empty() {
                    kept.push_str(&line[..end]);
                    lines += 1;
                }
                break;
            }
            kept.push_str(line);
            lines += 1;
        }
        if lines >= total_lines && !by_bytes {
            return (text.to_string(), false);
        }
        let more_lines = total_lines.saturating_sub(lines);
        let more_bytes = text.len().saturating_sub(kept.len());
        if !kept.ends_with('\n') && !kept.is_empty() {
            kept.push('\n');
        }
        let count = |n: usize, word: &str| {
            format!("{} {word}{}", thousands(n), if n == 1 { "" } else { "s" })
        };
        let plural = |n: usize, word: &str| {
            format!(
                "{} more {word}{}",
                thousands(n),
                if n == 1 { "" } else { "s" }
            )
        };
        let why = if by_bytes {
            format!("cap {}", count(self.max_bytes, "byte"))
        } else {
            format!("cap {}", count(self.max_lines, "line"))
        };
        kept.push_str(&format!(
            "{TRUNCATED} {}, {} ({why}); narrow the query with -l, --field-selector or --tail\n",
            plural(more_lines, "line"),
            plural(more_bytes, "byte"),
        ));
        (kept, true)
    }

    /// The text of an output whose renderer stopped at the cap: cut to the cap, saying so
    /// (the size of what was not rendered is not known).
    pub fn stopped(&self, text: &str) -> String {
        let (mut text, _) = self.cut(text);
        if let Some(at) = text.find(TRUNCATED) {
            text.truncate(at);
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!(
            "{TRUNCATED} rendering stopped at the output cap ({} bytes, {} lines); narrow the template or the query\n",
            thousands(self.max_bytes),
            thousands(self.max_lines)
        ));
        text
    }

    /// Bound a text that is `truncated` already or not: one already cut by
    /// [`OutputCap::stopped`] stays as it is. Returns the text and whether it is cut.
    pub fn bound(&self, text: String, truncated: bool) -> (String, bool) {
        if truncated && text.contains(TRUNCATED) {
            return (text, true);
        }
        let (cut_text, cut) = self.cut(&text);
        if cut {
            (cut_text, true)
        } else {
            (text, truncated)
        }
    }
}

/// The marker that starts the line saying what was cut.
const TRUNCATED: &str = "… output truncated:";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_the_cap_is_untouched() {
        let cap = OutputCap {
            max_lines: 3,
            max_bytes: 100,
        };
        assert_eq!(cap.cut("a\nb\nc\n"), ("a\nb\nc\n".to_string(), false));
    }

    #[test]
    fn lines_over_the_cap_are_cut_with_a_marker() {
        let cap = OutputCap {
            max_lines: 2,
            max_bytes: 1000,
        };
        let text: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        let (t, cut) = cap.cut(&text);
        assert!(cut);
        assert!(
            t.starts_with("line 0\nline 1\n… output truncated: 4,998 more lines"),
            "{t}"
        );
        assert!(t.contains("(cap 2 lines)"));
        assert_eq!(t.lines().count(), 3);
    }

    #[test]
    fn bytes_over_the_cap_are_cut_with_a_marker() {
        let cap = OutputCap {
            max_lines: 100,
            max_bytes: 10,
        };
        let (t, cut) = cap.cut("12345\n67890\nabcde\n");
        assert!(cut);
        assert!(
            t.starts_with("12345\n… output truncated: 2 more lines, 12 more bytes (cap 10 bytes)"),
            "{t}"
        );
    }

    #[test]
    fn a_single_huge_line_keeps_its_head() {
        let cap = OutputCap {
            max_lines: 100,
            max_bytes: 8,
        };
        let (t, cut) = cap.cut("ééééééééééé\nnext\n");
        assert!(cut);
        assert!(
            t.starts_with("éééé\n… output truncated: 1 more line, "),
            "{t}"
        );
    }

    #[test]
    fn a_stopped_render_is_not_cut_twice() {
        let cap = OutputCap {
            max_lines: 2,
            max_bytes: 1000,
        };
        let stopped = cap.stopped("a\nb\nc\nd\n");
        assert!(
            stopped.starts_with("a\nb\n… output truncated: rendering stopped"),
            "{stopped}"
        );
        assert_eq!(cap.bound(stopped.clone(), true), (stopped, true));
        let (t, cut) = cap.bound("a\nb\nc\n".into(), false);
        assert!(cut && t.contains("1 more line"), "{t}");
        assert_eq!(cap.bound("a\n".into(), false), ("a\n".to_string(), false));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(4812), "4,812");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
