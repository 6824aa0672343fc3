//! Copy to the clipboard with OSC 52, which works over SSH and inside tmux.

use base64::Engine;

/// Most terminals cap an OSC 52 payload; larger copies are cut to this many bytes.
pub const MAX_COPY: usize = 512 * 1024;

/// The escape sequence that puts `text` on the system clipboard, and how many bytes of the
/// text it carries.
pub fn osc52(text: &str) -> (String, usize) {
    let mut end = text.len().min(MAX_COPY);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(&text.as_bytes()[..end]);
    (format!("\u{1b}]52;c;{b64}\u{7}"), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes() {
        let (seq, n) = osc52("kubectl get pods");
        assert_eq!(seq, "\u{1b}]52;c;a3ViZWN0bCBnZXQgcG9kcw==\u{7}");
        assert_eq!(n, 16);
    }
}
