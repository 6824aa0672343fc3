//! Token counting with a real tokenizer (o200k_base, the encoding of current OpenAI models).
//!
//! The vocabulary is embedded compactly (assets/tokenizer/: raw token bytes in rank order,
//! zlib-compressed, about 1 MB instead of the 3.6 MB of base64 text the tiktoken-rs crate
//! embeds); tiktoken-rs's `CoreBPE` does the encoding, with o200k_base's pattern and special
//! tokens, so the counts are the same as tiktoken's (the tests compare them).
//!
//! Building the BPE tables takes a noticeable fraction of a second, so it happens once per
//! process, on first use. Should the tables fail to load, counting falls back to an estimate
//! (one token per four bytes) and says so once in the log.

use std::io::Read;
use std::sync::LazyLock;

use tiktoken_rs::{CoreBPE, Rank};

/// o200k_base's vocabulary: `len(u8) bytes` per token, in rank order, zlib-compressed.
static O200K_BASE: &[u8] = include_bytes!("../assets/tokenizer/o200k_base.bpe.z");
/// The number of ordinary tokens in it.
const O200K_TOKENS: usize = 199_998;

static BPE: LazyLock<Option<CoreBPE>> = LazyLock::new(|| match o200k_base() {
    Ok(bpe) => Some(bpe),
    Err(err) => {
        tracing::warn!(%err, "tokenizer tables unavailable; estimating tokens from bytes");
        None
    }
});

/// Why the embedded vocabulary could not be turned into a tokenizer.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error("the embedded o200k_base vocabulary does not decompress: {0}")]
    Corrupt(#[from] std::io::Error),
    #[error("the embedded o200k_base vocabulary is malformed: {0}")]
    Malformed(String),
    #[error("the o200k_base tokenizer cannot be built: {0}")]
    Build(String),
}

/// The o200k_base tokenizer, built from the embedded vocabulary.
pub fn o200k_base() -> Result<CoreBPE, TokenizerError> {
    let mut data = Vec::with_capacity(1_600_000);
    flate2::read::ZlibDecoder::new(O200K_BASE).read_to_end(&mut data)?;
    let mut encoder =
        std::collections::HashMap::with_capacity_and_hasher(O200K_TOKENS, Default::default());
    let mut rest = data.as_slice();
    let mut rank: Rank = 0;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len);
        if len == 0 || tail.len() < len {
            return Err(TokenizerError::Malformed(format!(
                "token {rank} is cut short"
            )));
        }
        encoder.insert(tail[..len].to_vec(), rank);
        rest = &tail[len..];
        rank += 1;
    }
    if encoder.len() != O200K_TOKENS {
        return Err(TokenizerError::Malformed(format!(
            "{} distinct tokens instead of {O200K_TOKENS}",
            encoder.len()
        )));
    }
    let mut special = std::collections::HashMap::with_hasher(Default::default());
    special.insert(tiktoken_rs::ENDOFTEXT.to_string(), 199_999);
    special.insert(tiktoken_rs::ENDOFPROMPT.to_string(), 200_018);
    CoreBPE::new(encoder, special, tiktoken_rs::O200K_BASE_PAT_STR)
        .map_err(|e| TokenizerError::Build(e.to_string()))
}

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

    /// The compact vocabulary is tiktoken's: every rank decodes to the same bytes, and texts
    /// of every kind encode to the same ranks.
    #[test]
    fn same_tokenizer_as_tiktoken() {
        let ours = o200k_base().unwrap();
        let theirs = tiktoken_rs::o200k_base().unwrap();
        for rank in 0..O200K_TOKENS as Rank {
            assert_eq!(
                ours.decode_bytes(&[rank]).ok(),
                theirs.decode_bytes(&[rank]).ok(),
                "rank {rank}"
            );
        }
        let texts = [
            include_str!("../prompts/system.md").to_string(),
            include_str!("../README.md").to_string(),
            "NAME  READY  STATUS  RESTARTS  AGE\ncheckout-7d9f  0/1  CrashLoopBackOff  7 (2m ago)  1h"
                .to_string(),
            "日本語のログ: エラーが発生しました 🚀 — ünïcödé, Ελληνικά, русский, عربى".to_string(),
            "    \t\r\n  spaces   and\ttabs\n\n\n".to_string(),
            "{\"kind\":\"Status\",\"code\":404,\"message\":\"pods \\\"x\\\" not found\"}".to_string(),
            "<|endoftext|> is text here".to_string(),
        ];
        for t in &texts {
            assert_eq!(
                ours.encode_ordinary(t),
                theirs.encode_ordinary(t),
                "{t:.60}"
            );
            assert_eq!(
                ours.encode_with_special_tokens(t),
                theirs.encode_with_special_tokens(t),
                "{t:.60}"
            );
        }
    }

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
