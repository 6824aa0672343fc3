//! What can go wrong talking to the model, as messages that say what to do about it.

use async_openai::error::OpenAIError;

use super::transport::LastCall;
use crate::analyze::util::cut;
use crate::config::LlmSettings;

/// A failure of the LLM planner. Every message is specific and user-facing.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LlmError {
    #[error("the model server rejected the API key (401): {hint}")]
    Unauthorized { hint: String },
    #[error("the model server needs an API key (401) and none is set: {hint}")]
    MissingKey { hint: String },
    #[error("the model server refused access (403): {message}")]
    Forbidden { message: String },
    #[error("the model server reports the API quota is exhausted (429): {message}")]
    Quota { message: String },
    #[error(
        "the model server is rate limiting (429) and still was after {attempts} attempt(s): {message}"
    )]
    RateLimited { attempts: u32, message: String },
    #[error(
        "the model server is rate limiting (429) and asks to wait {secs} s, longer than the \
         {max} s klue waits (max_backoff_secs in the config)"
    )]
    WaitTooLong { secs: u64, max: u64 },
    #[error("the model server failed ({status}) {attempts} time(s): {message}")]
    Server {
        status: u16,
        attempts: u32,
        message: String,
    },
    #[error(
        "the model server does not know model `{model}` or the path (404) at {endpoint}: {message}"
    )]
    NotFound {
        model: String,
        endpoint: String,
        message: String,
    },
    #[error("the model server rejected the request ({status}): {message}")]
    BadRequest { status: u16, message: String },
    #[error(
        "the conversation does not fit the model's context window even after eliding {elided} \
         older output(s): {message}"
    )]
    ContextLength { elided: usize, message: String },
    #[error(
        "cannot reach the model server at {endpoint}: {detail}; is it running? (check base_url or OPENAI_BASE_URL)"
    )]
    Unreachable { endpoint: String, detail: String },
    #[error("the model server at {endpoint} did not answer in time: {detail}")]
    Timeout { endpoint: String, detail: String },
    #[error(
        "the model server's reply was cut off twice ({detail}): the stream closed before the \
         answer completed; the session goes on: send a message to try again"
    )]
    StreamCut { detail: String },
    #[error("the model server at {endpoint} answered, then the exchange broke: {detail}")]
    Broken { endpoint: String, detail: String },
    #[error("the model's reply could not be used even after a corrective retry: {why}")]
    BadOutput { why: String },
    #[error("unexpected answer from the model server: {detail}")]
    Protocol { detail: String },
    #[error("cannot set up the model client: {detail}")]
    Setup { detail: String },
}

/// How one call failed, as the planner's retry logic sees it.
impl LlmError {
    /// The class a front end (or a script reading `ask`'s JSON) decides on.
    pub fn class(&self) -> crate::protocol::FaultClass {
        use crate::protocol::FaultClass as F;
        match self {
            LlmError::Unauthorized { .. }
            | LlmError::MissingKey { .. }
            | LlmError::Forbidden { .. } => F::ModelAuth,
            LlmError::Quota { .. }
            | LlmError::RateLimited { .. }
            | LlmError::WaitTooLong { .. } => F::ModelQuota,
            LlmError::Unreachable { .. } | LlmError::Timeout { .. } => F::ModelUnreachable,
            LlmError::Server { .. }
            | LlmError::NotFound { .. }
            | LlmError::BadRequest { .. }
            | LlmError::StreamCut { .. }
            | LlmError::Broken { .. }
            | LlmError::Protocol { .. } => F::ModelServer,
            LlmError::ContextLength { .. } => F::ModelContext,
            LlmError::BadOutput { .. } => F::ModelOutput,
            LlmError::Setup { .. } => F::Setup,
        }
    }
}

#[derive(Debug)]
pub enum CallError {
    /// The prompt is too long: compact and retry once.
    ContextLength(String),
    /// The stream ended before the reply did: retry once.
    StreamCut(String),
    /// The server does not do tool calling: switch to JSON (auto mode).
    ToolsUnsupported(String),
    /// The server refuses to stream this request (with tools): ask for a whole reply.
    StreamRefused(String),
    /// The server refuses the cap on the reply's length (`max_tokens`): ask without it.
    ReplyCapRefused(String),
    Fatal(LlmError),
}

fn is_context_length(code: Option<&str>, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    code.is_some_and(|c| c == "context_length_exceeded" || c == "string_above_max_length")
        || m.contains("context_length_exceeded")
        || m.contains("maximum context length")
        || m.contains("context length")
        || m.contains("context window")
        || m.contains("exceeds the available context")
        || m.contains("prompt is too long")
        || m.contains("too many tokens")
}

fn is_tools_unsupported(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    (m.contains("tool") || m.contains("function"))
        && (m.contains("not support")
            || m.contains("unsupported")
            || m.contains("does not support")
            || m.contains("enable-auto-tool-choice")
            || m.contains("unknown field")
            || m.contains("not allowed"))
}

/// A refusal of the `max_tokens` parameter (OpenAI's reasoning models want
/// `max_completion_tokens`; some servers know neither).
fn is_reply_cap_refused(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("max_tokens")
        && (m.contains("not support")
            || m.contains("unsupported")
            || m.contains("unknown")
            || m.contains("unrecognized")
            || m.contains("not allowed")
            || m.contains("not permitted")
            || m.contains("extra inputs")
            || m.contains("use 'max_completion_tokens'")
            || m.contains("use max_completion_tokens"))
}

fn is_stream_unsupported(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("stream")
        && (m.contains("not support")
            || m.contains("unsupported")
            || m.contains("cannot")
            || m.contains("can't")
            || m.contains("not allowed")
            || m.contains("not implemented"))
}

/// Classify a client error. `streaming` says whether the reply had started.
pub fn classify(
    err: OpenAIError,
    settings: &LlmSettings,
    last: &LastCall,
    sent_tools: bool,
    sent_stream: bool,
    streaming: bool,
) -> CallError {
    let endpoint = settings.endpoint_display();
    match err {
        OpenAIError::ApiError(api) => {
            let status = api.status_code.as_u16();
            let message = api.api_error.message.clone();
            let code = api.api_error.code.as_deref();
            let attempts = last.attempts.max(1);
            CallError::Fatal(match status {
                401 if settings.api_key.is_none() => LlmError::MissingKey {
                    hint: settings.key_hint(),
                },
                401 => LlmError::Unauthorized {
                    hint: settings.key_hint(),
                },
                403 => LlmError::Forbidden { message },
                404 => LlmError::NotFound {
                    model: settings.model.clone(),
                    endpoint,
                    message,
                },
                429 if code == Some("insufficient_quota") || message.contains("quota") => {
                    LlmError::Quota { message }
                }
                429 if last.gave_up_on_wait => LlmError::WaitTooLong {
                    secs: last.retry_after.map_or(0, |d| d.as_secs()),
                    max: settings.max_backoff.as_secs(),
                },
                429 => LlmError::RateLimited { attempts, message },
                s if s >= 500 && last.gave_up_on_wait => LlmError::WaitTooLong {
                    secs: last.retry_after.map_or(0, |d| d.as_secs()),
                    max: settings.max_backoff.as_secs(),
                },
                s if s >= 500 => LlmError::Server {
                    status: s,
                    attempts,
                    message: cut(&message, 300),
                },
                s if (400..500).contains(&s) && is_context_length(code, &message) => {
                    return CallError::ContextLength(message);
                }
                s if (400..500).contains(&s) && is_reply_cap_refused(&message) => {
                    return CallError::ReplyCapRefused(format!("HTTP {s}: {message}"));
                }
                s if (400..500).contains(&s) && sent_stream && is_stream_unsupported(&message) => {
                    return CallError::StreamRefused(format!("HTTP {s}: {message}"));
                }
                s if (400..500).contains(&s) && sent_tools && is_tools_unsupported(&message) => {
                    return CallError::ToolsUnsupported(format!("HTTP {s}: {message}"));
                }
                s => LlmError::BadRequest { status: s, message },
            })
        }
        OpenAIError::Reqwest(e) => {
            let detail = describe_reqwest(&e);
            if e.is_connect() {
                CallError::Fatal(LlmError::Unreachable { endpoint, detail })
            } else if e.is_timeout() && !streaming {
                CallError::Fatal(LlmError::Timeout { endpoint, detail })
            } else if streaming || sent_stream || e.is_body() || e.is_decode() || e.is_timeout() {
                // Connected and asked for a stream: the server closed it before the answer
                // completed (llama.cpp's server does so when it cannot stream with tools).
                CallError::StreamCut(detail)
            } else {
                // Connected, so the server is there: say what broke, not "is it running?".
                CallError::Fatal(LlmError::Broken { endpoint, detail })
            }
        }
        OpenAIError::StreamError(e) => CallError::StreamCut(e.to_string()),
        OpenAIError::JSONDeserialize(e, content) => CallError::Fatal(LlmError::Protocol {
            detail: format!("{e}: {}", cut(&content, 300)),
        }),
        other => CallError::Fatal(LlmError::Protocol {
            detail: other.to_string(),
        }),
    }
}

/// The innermost cause of a reqwest error (e.g. "Connection refused (os error 111)").
fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut last = e.to_string();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    if e.is_connect() && e.is_timeout() {
        return format!("connection timed out ({last})");
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_length_detection() {
        assert!(is_context_length(Some("context_length_exceeded"), "x"));
        assert!(is_context_length(
            None,
            "This model's maximum context length is 8192 tokens"
        ));
        assert!(is_context_length(
            None,
            "the request exceeds the available context size"
        ));
        assert!(!is_context_length(None, "invalid model"));
    }

    #[test]
    fn reply_cap_refusal_detection() {
        assert!(is_reply_cap_refused(
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
        ));
        assert!(is_reply_cap_refused("Unknown field `max_tokens`"));
        assert!(!is_reply_cap_refused("max_tokens must be at least 1"));
        assert!(!is_reply_cap_refused("this model does not support tools"));
    }

    #[test]
    fn tools_unsupported_detection() {
        assert!(is_tools_unsupported(
            "registry.ollama.ai/library/gemma:2b does not support tools"
        ));
        assert!(is_tools_unsupported(
            "\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set"
        ));
        assert!(!is_tools_unsupported("model not found"));
        assert!(is_stream_unsupported("Cannot use tools with stream mode"));
        assert!(is_stream_unsupported(
            "streaming is not supported with tools"
        ));
        assert!(!is_stream_unsupported("invalid model"));
    }

    #[test]
    fn unauthorized_names_the_variable() {
        let mut s = LlmSettings::new("http://127.0.0.1:1/v1", "m");
        s.api_key = Some(crate::config::ApiKey::new("k"));
        let e = LlmError::Unauthorized { hint: s.key_hint() }.to_string();
        assert_eq!(
            e,
            "the model server rejected the API key (401): set OPENAI_API_KEY (or api_key_env in ~/.config/klue/config.toml)"
        );
    }
}
