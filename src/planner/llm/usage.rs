//! Token accounting when the server does not report usage: counted with the real tokenizer
//! of [`crate::tokens`], never estimated from characters.

use async_openai::types::chat::ChatCompletionRequestMessage;

/// Tokens of a text.
pub fn count_text(text: &str) -> u64 {
    crate::tokens::count(text) as u64
}

/// Tokens of a request's messages: each message's JSON plus the per-message framing the chat
/// format adds (about 4 tokens).
pub fn count_messages(messages: &[ChatCompletionRequestMessage]) -> u64 {
    messages
        .iter()
        .map(|m| count_text(&serde_json::to_string(m).unwrap_or_default()) + 4)
        .sum::<u64>()
        + 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tokens_not_characters() {
        let n = count_text("kubectl get pods --all-namespaces");
        assert!(n > 3 && n < 20, "{n}");
        assert_eq!(count_text(""), 0);
    }
}
