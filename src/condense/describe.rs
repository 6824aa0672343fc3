//! `describe` output: kept as printed, but a long run of Normal events is summarised
//! (Warning events always stay).

/// Normal events kept (the most recent, as printed last).
const NORMAL_KEPT: usize = 3;

pub(super) fn condense(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        out.push_str(lines[i]);
        out.push('\n');
        if !lines[i].starts_with("Events:") {
            i += 1;
            continue;
        }
        i += 1;
        // The events table runs until a line that is not indented (the next object, if any).
        let start = i;
        while i < lines.len() && (lines[i].starts_with(' ') || lines[i].is_empty()) {
            i += 1;
        }
        let block = &lines[start..i];
        let normal: Vec<usize> = block
            .iter()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with("Normal "))
            .map(|(n, _)| n)
            .collect();
        let drop = normal.len().saturating_sub(NORMAL_KEPT);
        let dropped: std::collections::HashSet<usize> = normal.into_iter().take(drop).collect();
        if drop > 0 {
            out.push_str(&format!("  (… {drop} older Normal events not shown)\n"));
        }
        for (n, l) in block.iter().enumerate() {
            if !dropped.contains(&n) {
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    out
}
