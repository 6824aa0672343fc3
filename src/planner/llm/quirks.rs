//! What real model servers and models send that the OpenAI schema does not expect, made
//! ordinary before anything else reads it:
//! - tool-call arguments as a JSON object instead of a string (and `null`),
//! - tool calls without `type` or `id`, finish reasons outside the schema, partial usage,
//! - tool names with stray punctuation or a `functions.` prefix,
//! - reasoning text (`<think>…</think>`) that is not part of the answer.
//!
//! The legacy `function_call` field is read where replies are assembled (`stream.rs`).

use serde_json::{Value, json};

/// Make one chat-completions body (a whole response or one stream chunk) fit the schema.
pub fn normalise(v: &mut Value) {
    let Some(obj) = v.as_object_mut() else { return };
    // Errors (`{"error": …}`, also sent inside streams) are left as they are.
    if !obj.contains_key("choices") {
        return;
    }
    for (key, default) in [
        ("id", json!("")),
        ("created", json!(0)),
        ("model", json!("")),
    ] {
        if obj.get(key).is_none_or(Value::is_null) {
            obj.insert(key.to_string(), default);
        }
    }
    if obj.get("object").is_none_or(Value::is_null) {
        let whole = obj
            .get("choices")
            .and_then(Value::as_array)
            .is_some_and(|c| c.iter().any(|c| c.get("message").is_some()));
        let object = if whole {
            "chat.completion"
        } else {
            "chat.completion.chunk"
        };
        obj.insert("object".into(), json!(object));
    }
    if let Some(u) = obj.get("usage")
        && !usage_ok(u)
    {
        obj.remove("usage");
    }
    let Some(choices) = obj.get_mut("choices").and_then(Value::as_array_mut) else {
        return;
    };
    for (i, choice) in choices.iter_mut().enumerate() {
        let Some(c) = choice.as_object_mut() else {
            continue;
        };
        if c.get("index").is_none_or(Value::is_null) {
            c.insert("index".into(), json!(i));
        }
        if let Some(f) = c.get("finish_reason").and_then(Value::as_str) {
            let known = [
                "stop",
                "length",
                "tool_calls",
                "content_filter",
                "function_call",
            ];
            if !known.contains(&f) {
                let mapped = match f {
                    "max_tokens" | "max_length" | "model_length" => "length",
                    "tool_call" | "tool_use" | "function" => "tool_calls",
                    _ => "stop",
                };
                c.insert("finish_reason".into(), json!(mapped));
            }
        }
        let whole = c.contains_key("message");
        for key in ["message", "delta"] {
            if let Some(m) = c.get_mut(key).and_then(Value::as_object_mut) {
                if whole && m.get("role").is_none_or(Value::is_null) {
                    m.insert("role".into(), json!("assistant"));
                }
                if let Some(calls) = m.get_mut("tool_calls").and_then(Value::as_array_mut) {
                    for (n, call) in calls.iter_mut().enumerate() {
                        let Some(call) = call.as_object_mut() else {
                            continue;
                        };
                        if whole {
                            if call.get("type").is_none_or(Value::is_null) {
                                call.insert("type".into(), json!("function"));
                            }
                            if call.get("id").is_none_or(Value::is_null) {
                                call.insert("id".into(), json!(""));
                            }
                        } else if call.get("index").is_none_or(Value::is_null) {
                            call.insert("index".into(), json!(n));
                        }
                        if let Some(f) = call.get_mut("function") {
                            arguments_as_text(f, whole);
                        }
                    }
                }
                if let Some(f) = m.get_mut("function_call") {
                    if f.is_null() {
                        m.remove("function_call");
                    } else {
                        arguments_as_text(f, whole);
                    }
                }
            }
        }
    }
}

fn usage_ok(u: &Value) -> bool {
    ["prompt_tokens", "completion_tokens", "total_tokens"]
        .iter()
        .all(|k| u.get(*k).is_some_and(Value::is_u64))
}

/// `arguments` as a string, whatever the model sent (an object, a list, nothing).
fn arguments_as_text(f: &mut Value, whole: bool) {
    let Some(f) = f.as_object_mut() else { return };
    match f.get("arguments") {
        Some(Value::String(_)) => {}
        Some(Value::Null) | None => {
            if whole {
                f.insert("arguments".into(), json!(""));
            }
        }
        Some(other) => {
            let text = other.to_string();
            f.insert("arguments".into(), Value::String(text));
        }
    }
    if whole && f.get("name").is_none_or(Value::is_null) {
        f.insert("name".into(), json!(""));
    }
}

/// A tool name as the model wrote it → the name klue knows, if it is one: stray quotes,
/// backticks, brackets, trailing punctuation, a `functions.` prefix, `-` for `_`, any case.
pub fn tool_name(raw: &str) -> String {
    let mut s = raw.trim().to_ascii_lowercase();
    for prefix in ["functions.", "function.", "tools.", "tool."] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.to_string();
        }
    }
    let s: String = s
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .map(|c| if c == '-' || c == ' ' { '_' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    s
}

const THINK_OPEN: &str = "<think>";
const THINK_CLOSE: &str = "</think>";

/// The text without its `<think>…</think>` parts (an unclosed one runs to the end).
pub fn strip_think(text: &str) -> String {
    let mut f = ThinkFilter::default();
    let mut out = f.push(text);
    out.push_str(&f.finish());
    if out.len() == text.len() {
        return text.to_string();
    }
    out.trim().to_string()
}

/// Streams text through, holding back what is inside `<think>…</think>` (and a short tail
/// that may be the start of a tag).
#[derive(Debug, Default)]
pub struct ThinkFilter {
    buf: String,
    inside: bool,
}

impl ThinkFilter {
    /// Add a delta; returns what may be shown now.
    pub fn push(&mut self, delta: &str) -> String {
        self.buf.push_str(delta);
        let mut out = String::new();
        loop {
            let tag = if self.inside { THINK_CLOSE } else { THINK_OPEN };
            if let Some(i) = self.buf.find(tag) {
                if !self.inside {
                    out.push_str(&self.buf[..i]);
                }
                self.buf.drain(..i + tag.len());
                self.inside = !self.inside;
                continue;
            }
            // Keep a tail that could be the start of the tag.
            let keep = (1..tag.len())
                .rev()
                .find(|n| self.buf.ends_with(&tag[..*n]))
                .unwrap_or(0);
            let cut = self.buf.len() - keep;
            if !self.inside {
                out.push_str(&self.buf[..cut]);
            }
            self.buf.drain(..cut);
            break;
        }
        out
    }

    /// The end of the reply: a held-back tail that was no tag after all.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.buf);
        if self.inside { String::new() } else { rest }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_arguments_become_text() {
        let mut v = json!({"choices": [{"message": {"content": null, "tool_calls": [
            {"function": {"name": "propose_query", "arguments": {"command": "get pods"}}}
        ]}, "finish_reason": "eos"}], "usage": {"prompt_tokens": 3}});
        normalise(&mut v);
        let call = &v["choices"][0]["message"]["tool_calls"][0];
        assert_eq!(call["function"]["arguments"], "{\"command\":\"get pods\"}");
        assert_eq!(call["type"], "function");
        assert_eq!(call["id"], "");
        assert_eq!(v["choices"][0]["finish_reason"], "stop");
        assert_eq!(v["choices"][0]["message"]["role"], "assistant");
        assert!(v.get("usage").is_none());
        let parsed: Result<async_openai::types::chat::CreateChatCompletionResponse, _> =
            serde_json::from_value(v.clone());
        assert!(parsed.is_ok(), "{parsed:?} {v}");
    }

    #[test]
    fn stream_chunks_too() {
        let mut v = json!({"object": "chat.completion.chunk", "choices": [{"delta": {"tool_calls": [
            {"function": {"name": "conclude", "arguments": {"root_cause": "x"}}}
        ]}}]});
        normalise(&mut v);
        assert_eq!(v["choices"][0]["delta"]["tool_calls"][0]["index"], 0);
        let parsed: Result<async_openai::types::chat::CreateChatCompletionStreamResponse, _> =
            serde_json::from_value(v.clone());
        assert!(parsed.is_ok(), "{parsed:?} {v}");
    }

    #[test]
    fn tool_names_with_punctuation() {
        assert_eq!(tool_name("propose_query"), "propose_query");
        assert_eq!(tool_name("`propose_query`."), "propose_query");
        assert_eq!(tool_name(" \"Conclude\": "), "conclude");
        assert_eq!(
            tool_name("functions.record-hypothesis()"),
            "record_hypothesis"
        );
        assert_eq!(tool_name("<propose_query>"), "propose_query");
    }

    #[test]
    fn think_is_held_back_across_deltas() {
        let mut f = ThinkFilter::default();
        let mut out = String::new();
        for d in ["Hello <th", "ink>secret pla", "n</thi", "nk> world <", "b>"] {
            out.push_str(&f.push(d));
        }
        out.push_str(&f.finish());
        assert_eq!(out, "Hello  world <b>");
        assert_eq!(strip_think("<think>a\nb</think>\nAnswer."), "Answer.");
        assert_eq!(strip_think("no tags"), "no tags");
        assert_eq!(strip_think("x <think>never closed"), "x");
    }
}
