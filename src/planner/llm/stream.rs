//! Accumulating a streamed reply: text deltas, and tool calls whose id, name and arguments
//! arrive split across chunks, keyed by their index (as real servers send them).

use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, CompletionUsage, CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse, FinishReason,
};

/// Where a legacy `function_call` is kept among the tool calls.
const LEGACY_INDEX: u32 = u32::MAX;

/// One tool call being assembled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolCall {
    pub index: u32,
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// The reply so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub text: String,
    pub calls: Vec<ToolCall>,
    pub finish: Option<FinishReason>,
    pub usage: Option<CompletionUsage>,
    pub chunks: usize,
}

impl Reply {
    /// Add one chunk; returns the text delta it carried, if any.
    #[allow(deprecated)] // `function_call`: the legacy form some servers still send.
    pub fn push(&mut self, chunk: &CreateChatCompletionStreamResponse) -> Option<String> {
        self.chunks += 1;
        if let Some(u) = &chunk.usage {
            self.usage = Some(u.clone());
        }
        let mut delta_text = String::new();
        // Only the first choice matters (klue never asks for n > 1).
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            if let Some(t) = &choice.delta.content {
                delta_text.push_str(t);
            }
            for tc in choice.delta.tool_calls.iter().flatten() {
                let slot = match self.calls.iter_mut().position(|c| c.index == tc.index) {
                    Some(i) => &mut self.calls[i],
                    None => {
                        self.calls.push(ToolCall {
                            index: tc.index,
                            ..Default::default()
                        });
                        let last = self.calls.len() - 1;
                        &mut self.calls[last]
                    }
                };
                if let Some(id) = tc.id.as_deref().filter(|id| !id.is_empty())
                    && slot.id.is_empty()
                {
                    slot.id = id.to_string();
                }
                if let Some(f) = &tc.function {
                    if let Some(n) = f.name.as_deref().filter(|n| !n.is_empty()) {
                        // Some servers repeat the whole name on every chunk; others split it.
                        if slot.name != n {
                            slot.name.push_str(n);
                        }
                    }
                    if let Some(a) = &f.arguments {
                        slot.arguments.push_str(a);
                    }
                }
            }
            if let Some(fc) = &choice.delta.function_call {
                let slot = match self.calls.iter().position(|c| c.index == LEGACY_INDEX) {
                    Some(i) => &mut self.calls[i],
                    None => {
                        self.calls.push(ToolCall {
                            index: LEGACY_INDEX,
                            ..Default::default()
                        });
                        let last = self.calls.len() - 1;
                        &mut self.calls[last]
                    }
                };
                if let Some(n) = fc.name.as_deref().filter(|n| !n.is_empty())
                    && slot.name != n
                {
                    slot.name.push_str(n);
                }
                if let Some(a) = &fc.arguments {
                    slot.arguments.push_str(a);
                }
            }
            if let Some(f) = choice.finish_reason {
                self.finish = Some(f);
            }
        }
        self.text.push_str(&delta_text);
        (!delta_text.is_empty()).then_some(delta_text)
    }

    /// A whole (non-streamed) response.
    #[allow(deprecated)] // `function_call`: the legacy form some servers still send.
    pub fn from_response(r: &CreateChatCompletionResponse) -> Reply {
        let mut reply = Reply {
            usage: r.usage.clone(),
            chunks: 1,
            ..Default::default()
        };
        if let Some(choice) = r.choices.first() {
            reply.text = choice.message.content.clone().unwrap_or_default();
            reply.finish = choice.finish_reason;
            for (i, tc) in choice.message.tool_calls.iter().flatten().enumerate() {
                if let ChatCompletionMessageToolCalls::Function(f) = tc {
                    reply.calls.push(ToolCall {
                        index: i as u32,
                        id: f.id.clone(),
                        name: f.function.name.clone(),
                        arguments: f.function.arguments.clone(),
                    });
                }
            }
            if reply.calls.is_empty()
                && let Some(fc) = &choice.message.function_call
            {
                reply.calls.push(ToolCall {
                    index: LEGACY_INDEX,
                    id: String::new(),
                    name: fc.name.clone(),
                    arguments: fc.arguments.clone(),
                });
            }
        }
        reply
    }

    /// Did the stream end properly? A reply without a finish reason was cut off.
    pub fn complete(&self) -> bool {
        self.finish.is_some()
    }
}

/// In JSON mode the reply's JSON is for klue, not for the engineer: pass text through until a
/// code fence or a line opening a JSON object starts, and hold back the rest.
#[derive(Debug, Default)]
pub struct ProseFilter {
    seen: String,
    emitted: usize,
    stopped: bool,
}

impl ProseFilter {
    pub fn push(&mut self, delta: &str) -> Option<String> {
        if self.stopped {
            return None;
        }
        self.seen.push_str(delta);
        let cut = [self.seen.find("```"), json_line_start(&self.seen)]
            .into_iter()
            .flatten()
            .min();
        // Hold back a short tail that may be the start of a fence.
        let safe_end = match cut {
            Some(c) => {
                self.stopped = true;
                c
            }
            None => {
                let mut end = self.seen.len().saturating_sub(2);
                while !self.seen.is_char_boundary(end) {
                    end -= 1;
                }
                end
            }
        };
        if safe_end > self.emitted {
            let out = self.seen[self.emitted..safe_end].to_string();
            self.emitted = safe_end;
            Some(out)
        } else {
            None
        }
    }

    /// The held-back tail once the reply is over (when no JSON started).
    pub fn finish(&mut self) -> Option<String> {
        if self.stopped || self.emitted >= self.seen.len() {
            return None;
        }
        let out = self.seen[self.emitted..].to_string();
        self.emitted = self.seen.len();
        Some(out)
    }
}

fn json_line_start(s: &str) -> Option<usize> {
    if s.trim_start().starts_with('{') {
        return s.find('{');
    }
    s.find("\n{").map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chunk(v: serde_json::Value) -> CreateChatCompletionStreamResponse {
        let mut base =
            json!({"id": "c", "created": 1, "model": "m", "object": "chat.completion.chunk"});
        base.as_object_mut()
            .unwrap()
            .extend(v.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn tool_calls_split_across_chunks_by_index() {
        let mut r = Reply::default();
        r.push(&chunk(
            json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Chec"}}]}),
        ));
        r.push(&chunk(
            json!({"choices": [{"index": 0, "delta": {"content": "king."}}]}),
        ));
        r.push(&chunk(json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "propose_", "arguments": ""}}]}}]})));
        r.push(&chunk(json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"name": "query", "arguments": "{\"comm"}}]}}]})));
        r.push(&chunk(json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 1, "id": "call_b", "function": {"name": "conclude", "arguments": "{}"}}]}}]})));
        r.push(&chunk(json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "and\": \"get pods\"}"}}]}}]})));
        assert!(!r.complete());
        r.push(&chunk(
            json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
        ));
        r.push(&chunk(json!({"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})));
        assert!(r.complete());
        assert_eq!(r.text, "Checking.");
        assert_eq!(r.calls.len(), 2);
        assert_eq!(r.calls[0].id, "call_a");
        assert_eq!(r.calls[0].name, "propose_query");
        assert_eq!(r.calls[0].arguments, "{\"command\": \"get pods\"}");
        assert_eq!(r.calls[1].name, "conclude");
        assert_eq!(r.usage.as_ref().unwrap().prompt_tokens, 10);
    }

    #[test]
    fn repeated_full_names_are_not_doubled() {
        let mut r = Reply::default();
        for _ in 0..2 {
            r.push(&chunk(json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "x", "function": {"name": "conclude", "arguments": "{"}}]}}]})));
        }
        assert_eq!(r.calls[0].name, "conclude");
        assert_eq!(r.calls[0].arguments, "{{");
    }

    #[test]
    fn prose_filter_hides_json() {
        let mut f = ProseFilter::default();
        let mut out = String::new();
        for d in ["Pods ", "first.", "\n``", "`json\n{\"a\":", "1}\n```"] {
            if let Some(s) = f.push(d) {
                out.push_str(&s);
            }
        }
        out.push_str(&f.finish().unwrap_or_default());
        assert_eq!(out, "Pods first.\n");

        let mut f = ProseFilter::default();
        let mut out = String::new();
        for d in ["Just ", "talk", "ing ünïcode"] {
            out.push_str(&f.push(d).unwrap_or_default());
        }
        out.push_str(&f.finish().unwrap_or_default());
        assert_eq!(out, "Just talking ünïcode");
    }
}
