//! An exact emulation of Go's `text/tabwriter` as kubectl configures it for `describe`
//! (`minwidth=0, tabwidth=8, padding=2, padchar=' ', flags=0`), so that columns line up
//! byte for byte with kubectl's output.
//!
//! Semantics kept from Go: cells are tab-terminated (the text after a line's last tab is not
//! part of any column), a column's width is decided per block of consecutive lines that have
//! a cell in that column, and a line without any tab flushes the writer (it ends every block).

/// Align `text` (lines separated by `\n`, cells by `\t`) as Go's tabwriter would with
/// kubectl describe's settings.
pub fn align(text: &str) -> String {
    align_with(text, 0, 2)
}

/// Align with kubectl's table printer settings (`minwidth=6, padding=3`), as `kubectl events`
/// and `kubectl top` print.
pub fn align_table(text: &str) -> String {
    align_with(text, 6, 3)
}

/// Align with explicit `minwidth` and `padding`.
pub fn align_with(text: &str, minwidth: usize, padding: usize) -> String {
    let params = Params { minwidth, padding };
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut segment: Vec<Vec<&str>> = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        let cells: Vec<&str> = line.split('\t').collect();
        let single = cells.len() == 1;
        segment.push(cells);
        // A line with one cell flushes everything buffered so far (Go's flushNoDefers).
        if single && i != last {
            format_segment(&segment, &mut out, true, params);
            segment.clear();
        }
    }
    format_segment(&segment, &mut out, false, params);
    out
}

#[derive(Clone, Copy)]
struct Params {
    minwidth: usize,
    padding: usize,
}

/// Format one flushed segment. `terminated` says whether its last line ended with `\n`.
fn format_segment(lines: &[Vec<&str>], out: &mut String, terminated: bool, params: Params) {
    if lines.is_empty() {
        return;
    }
    let mut widths = Vec::new();
    let mut f = Formatter {
        lines,
        out,
        terminated,
        params,
    };
    f.format(&mut widths, 0, lines.len());
}

struct Formatter<'a, 'b> {
    lines: &'a [Vec<&'a str>],
    out: &'b mut String,
    terminated: bool,
    params: Params,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

impl Formatter<'_, '_> {
    fn format(&mut self, widths: &mut Vec<usize>, mut line0: usize, line1: usize) {
        let column = widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            // A cell exists in this column: print the lines before the block.
            self.write_lines(widths, line0, this);
            line0 = this;
            let mut w = self.params.minwidth;
            while this < line1 {
                let line = &self.lines[this];
                if column + 1 >= line.len() {
                    break;
                }
                w = w.max(width(line[column]) + self.params.padding);
                this += 1;
            }
            widths.push(w);
            self.format(widths, line0, this);
            widths.pop();
            line0 = this;
        }
        self.write_lines(widths, line0, line1);
    }

    fn write_lines(&mut self, widths: &[usize], line0: usize, line1: usize) {
        for i in line0..line1 {
            let line = &self.lines[i];
            for (j, cell) in line.iter().enumerate() {
                self.out.push_str(cell);
                if j < widths.len() {
                    let pad = widths[j].saturating_sub(width(cell));
                    self.out.extend(std::iter::repeat_n(' ', pad));
                }
            }
            if i + 1 < self.lines.len() || self.terminated {
                self.out.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::align;

    #[test]
    fn aligns_blocks_and_flushes_on_tabless_lines() {
        let text = "Name:\tweb\nNamespace:\tshop\nContainers:\n  web:\n    Image:\tnginx\n    Restart Count:\t7\n";
        assert_eq!(
            align(text),
            "Name:       web\nNamespace:  shop\nContainers:\n  web:\n    Image:          nginx\n    Restart Count:  7\n"
        );
    }

    #[test]
    fn empty_trailing_cell_is_padded() {
        assert_eq!(
            align("IP:\t\nStatus:\tRunning\n"),
            "IP:      \nStatus:  Running\n"
        );
    }

    #[test]
    fn nested_columns_use_their_own_blocks() {
        let text = "  Type\tReason\tAge\n  ----\t------\t---\n  Normal\tPulled\t5m\n";
        assert_eq!(
            align(text),
            "  Type    Reason  Age\n  ----    ------  ---\n  Normal  Pulled  5m\n"
        );
    }

    #[test]
    fn continuation_lines_with_empty_first_cell() {
        let text = "Labels:\tapp=web\n\tpod-template-hash=1\nAnnotations:\t<none>\n";
        assert_eq!(
            align(text),
            "Labels:       app=web\n              pod-template-hash=1\nAnnotations:  <none>\n"
        );
    }
}
