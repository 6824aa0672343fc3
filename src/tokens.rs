//! Token counting with a real tokenizer (o200k_base, the encoding of current OpenAI models).
//!
//! Building the BPE tables takes a noticeable fraction of a second, so it happens once per
//! process, on first use. Should the tables fail to load, counting falls back to an estimate
//! (one token per four bytes) and says so once in the log.

use std::sync::LazyLock;

use tiktoken_rs::CoreBPE;

static BPE: LazyLock<Option<CoreBPE>> = LazyLock::new(|| match tiktoken_rs::o200k_base() {
    Ok(bpe) => Some(bpe),
    Err(err) => {
        tracing::warn!(%err, "tokenizer tables unavailable; estimating tokens from bytes");
        None
    }
});

/// The number of tokens `text` costs a model.
pub fn count(text: &str) -> usize {
    if text.is_empty() {
        return 0;
    }
    match BPE.as_ref() {
        Some(bpe) => bpe.encode_ordinary(text).len(),
        None => text.len().div_ceil(4),
    }
}

/// Build the tokenizer now (e.g. on a background thread at start-up) rather than on first use.
pub fn warm_up() {
    LazyLock::force(&BPE);
}

/// The longest prefix of `text` (cut at a line boundary when possible) that fits in `max`
/// tokens. Returns the prefix and whether anything was cut.
pub fn truncate(text: &str, max: usize) -> (&str, bool) {
    if count(text) <= max {
        return (text, false);
    }
    // Binary search over line ends: counting is linear, so this stays O(n log n).
    let ends: Vec<usize> = text
        .char_indices()
        .filter(|&(_, c)| c == '\n')
        .map(|(i, _)| i + 1)
        .collect();
    let (mut lo, mut hi) = (0usize, ends.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if count(&text[..ends[mid - 1]]) <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo > 0 {
        return (&text[..ends[lo - 1]], true);
    }
    // No whole line fits: cut inside the first line at a char boundary.
    let chars: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let end = chars.get(mid).copied().unwrap_or(text.len());
        if count(&text[..end]) <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let end = chars.get(lo).copied().unwrap_or(text.len());
    (&text[..end], true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tokens_not_characters() {
        assert_eq!(count(""), 0);
        let n = count("kubectl get pods -n shop");
        assert!(n > 3 && n < 12, "{n}");
        // A long run of one word compresses far below its character count.
        let word = "Running ".repeat(200);
        assert!(count(&word) < word.len() / 3);
    }

    #[test]
    fn truncate_cuts_at_line_boundaries() {
        let text = (0..200)
            .map(|i| format!("line {i} with some words"))
            .collect::<Vec<_>>()
            .join("\n");
        let (head, cut) = truncate(&text, 50);
        assert!(cut);
        assert!(count(head) <= 50);
        assert!(head.ends_with('\n'));
        let (all, cut) = truncate(&text, 100_000);
        assert!(!cut);
        assert_eq!(all, text);
        let xs = "x".repeat(10_000);
        let (part, cut) = truncate(&xs, 5);
        assert!(cut && count(part) <= 5 && !part.is_empty());
    }
}
