//! A scripted server speaking OpenAI's chat-completions protocol, for klue's LLM tests.
//!
//! It serves `POST /v1/chat/completions` (streamed as server-sent events, or whole JSON when
//! the request says `"stream": false`), answering each request with the next [`Reply`] of its
//! script, and records every request it receives. Streams look like real servers' streams: a
//! role chunk, the text in small pieces, tool calls whose arguments are split across several
//! chunks by index, a finish reason, a usage chunk when asked (`stream_options.include_usage`),
//! then `data: [DONE]`.
//!
//! ```ignore
//! let server = OpenAiServer::start(vec![
//!     Reply::tools("Checking pods.", vec![call("propose_query", json!({"command": "get pods"}))]),
//!     Reply::status(429).header("retry-after", "1"),
//! ]).await;
//! // ... point klue at server.base_url() ...
//! let bodies = server.requests();
//! ```
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// One tool call in a scripted reply.
#[derive(Debug, Clone)]
pub struct Call {
    pub name: String,
    pub arguments: String,
}

/// A tool call with JSON arguments.
pub fn call(name: &str, args: Value) -> Call {
    Call {
        name: name.to_string(),
        arguments: args.to_string(),
    }
}

/// A tool call with raw (possibly broken) argument text.
pub fn raw_call(name: &str, arguments: &str) -> Call {
    Call {
        name: name.to_string(),
        arguments: arguments.to_string(),
    }
}

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A normal assistant reply (text and/or tool calls).
    Message {
        text: String,
        calls: Vec<Call>,
        /// Stream only this many chunks, then break the connection.
        cut_after: Option<usize>,
        /// End the stream without a finish reason and without `[DONE]` (a clean close).
        end_early: bool,
        delay: Duration,
        /// Report token usage (as servers that support `include_usage` do).
        usage: bool,
        /// Send the (first) call as the legacy `function_call` instead of `tool_calls`.
        legacy: bool,
        /// Send tool-call arguments as a JSON object instead of a string.
        object_arguments: bool,
        /// The finish reason to send instead of `stop` / `tool_calls` (e.g. `length`).
        finish: Option<String>,
    },
    /// An HTTP error.
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
}

impl Reply {
    pub fn text(text: &str) -> Reply {
        Reply::tools(text, Vec::new())
    }

    pub fn tools(text: &str, calls: Vec<Call>) -> Reply {
        Reply::Message {
            text: text.to_string(),
            calls,
            cut_after: None,
            end_early: false,
            delay: Duration::ZERO,
            usage: true,
            legacy: false,
            object_arguments: false,
            finish: None,
        }
    }

    /// The call as the legacy `function_call` (OpenAI's older form, still sent by some servers).
    pub fn legacy_function_call(mut self) -> Reply {
        if let Reply::Message { legacy, .. } = &mut self {
            *legacy = true;
        }
        self
    }

    /// Tool-call arguments as a JSON object, not a string (as some servers send them).
    pub fn object_arguments(mut self) -> Reply {
        if let Reply::Message {
            object_arguments, ..
        } = &mut self
        {
            *object_arguments = true;
        }
        self
    }

    /// End with this finish reason (e.g. `length`: the max-tokens cut).
    pub fn finish(mut self, reason: &str) -> Reply {
        if let Reply::Message { finish, .. } = &mut self {
            *finish = Some(reason.to_string());
        }
        self
    }

    /// Send no usage figures (as servers that ignore `include_usage` do).
    pub fn no_usage(mut self) -> Reply {
        if let Reply::Message { usage, .. } = &mut self {
            *usage = false;
        }
        self
    }

    /// An error status with an OpenAI-style JSON error body.
    pub fn status(status: u16) -> Reply {
        let (kind, code, message) = match status {
            401 => (
                "invalid_request_error",
                "invalid_api_key",
                "Incorrect API key provided.",
            ),
            429 => (
                "rate_limit_error",
                "rate_limit_exceeded",
                "Rate limit reached, try again later.",
            ),
            400 => ("invalid_request_error", "bad_request", "Bad request."),
            _ => ("server_error", "server_error", "The server had an error."),
        };
        Reply::Status {
            status,
            headers: Vec::new(),
            body: json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
                .to_string(),
        }
    }

    /// OpenAI's context-length error.
    pub fn context_length_exceeded() -> Reply {
        Reply::Status {
            status: 400,
            headers: Vec::new(),
            body: json!({"error": {
                "message": "This model's maximum context length is 8192 tokens. However, your messages resulted in 9001 tokens. Please reduce the length of the messages.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded"
            }})
            .to_string(),
        }
    }

    /// Add a response header (only for [`Reply::Status`]).
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Status { headers, .. } = &mut self {
            headers.push((name.to_string(), value.to_string()));
        }
        self
    }

    /// Replace the body (only for [`Reply::Status`]).
    pub fn body(mut self, text: &str) -> Reply {
        if let Reply::Status { body, .. } = &mut self {
            *body = text.to_string();
        }
        self
    }

    /// Break the connection after `n` chunks (only for [`Reply::Message`]).
    pub fn cut_after(mut self, n: usize) -> Reply {
        if let Reply::Message { cut_after, .. } = &mut self {
            *cut_after = Some(n);
        }
        self
    }

    /// Close the stream cleanly after `n` chunks, with no finish reason and no `[DONE]`.
    pub fn end_early_after(mut self, n: usize) -> Reply {
        if let Reply::Message {
            cut_after,
            end_early,
            ..
        } = &mut self
        {
            *cut_after = Some(n);
            *end_early = true;
        }
        self
    }

    /// Wait before answering.
    pub fn delayed(mut self, d: Duration) -> Reply {
        if let Reply::Message { delay, .. } = &mut self {
            *delay = d;
        }
        self
    }
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub api_key_header: Option<String>,
    /// The body exactly as received.
    pub raw: String,
    /// The body parsed (Null if it was not JSON).
    pub body: Value,
    /// When it arrived, relative to the server's start.
    pub at: Duration,
}

impl Recorded {
    /// The request's messages.
    pub fn messages(&self) -> Vec<Value> {
        self.body["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The tool messages' contents, parsed as JSON where possible.
    pub fn tool_results(&self) -> Vec<Value> {
        self.messages()
            .iter()
            .filter(|m| m["role"] == "tool")
            .map(|m| {
                let c = m["content"].as_str().unwrap_or_default();
                serde_json::from_str(c).unwrap_or(Value::String(c.to_string()))
            })
            .collect()
    }
}

struct Shared {
    script: Mutex<VecDeque<Reply>>,
    /// Answer streamed requests that carry tools with 200 and an at once closed stream (as
    /// llama.cpp's Python server does with `chatml-function-calling`).
    refuse_streamed_tools: std::sync::atomic::AtomicBool,
    /// What `GET /v1/models` answers (404 when None).
    models: Mutex<Option<Value>>,
    requests: Mutex<Vec<Recorded>>,
    next_call: Mutex<u64>,
    started: std::time::Instant,
}

/// The running server; it stops when dropped.
pub struct OpenAiServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for OpenAiServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OpenAiServer {
    /// Start on a free loopback port with this script.
    pub async fn start(script: Vec<Reply>) -> OpenAiServer {
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            refuse_streamed_tools: Default::default(),
            models: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            next_call: Mutex::new(0),
            started: std::time::Instant::now(),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/models", axum::routing::get(models))
            .route(
                "/openai/deployments/{deployment}/chat/completions",
                post(chat),
            )
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the OpenAI test server");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        OpenAiServer { addr, shared, task }
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `http://127.0.0.1:PORT` (the Azure endpoint form).
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Append replies to the script.
    pub fn push(&self, replies: Vec<Reply>) {
        self.shared.script.lock().unwrap().extend(replies);
    }

    /// From now on, answer streamed requests with tools by closing the stream at once
    /// (200, no chunks), without using a scripted reply.
    pub fn refuse_streamed_tools(&self) {
        self.shared
            .refuse_streamed_tools
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// What `GET /v1/models` answers.
    pub fn set_models(&self, body: Value) {
        *self.shared.models.lock().unwrap() = Some(body);
    }

    /// Replies not yet served.
    pub fn remaining(&self) -> usize {
        self.shared.script.lock().unwrap().len()
    }
}

/// A loopback address where nothing listens.
pub fn unused_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let a = l.local_addr().expect("addr");
    drop(l);
    a
}

async fn models(State(shared): State<Arc<Shared>>) -> Response {
    match shared.models.lock().unwrap().clone() {
        Some(v) => (
            StatusCode::OK,
            [("content-type", "application/json")],
            v.to_string(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such route").into_response(),
    }
}

async fn chat(
    State(shared): State<Arc<Shared>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw = String::from_utf8_lossy(&body).to_string();
    let parsed: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    shared.requests.lock().unwrap().push(Recorded {
        path: uri.to_string(),
        authorization: h("authorization"),
        api_key_header: h("api-key"),
        raw,
        body: parsed.clone(),
        at: shared.started.elapsed(),
    });
    if parsed["stream"] == Value::Bool(true)
        && parsed.get("tools").is_some_and(|t| !t.is_null())
        && shared
            .refuse_streamed_tools
            .load(std::sync::atomic::Ordering::SeqCst)
    {
        return Response::builder()
            .status(200)
            .header("content-type", "text/event-stream")
            .body(Body::empty())
            .unwrap();
    }
    let next = shared.script.lock().unwrap().pop_front();
    let Some(reply) = next else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the test script has no reply left for this request",
        )
            .into_response();
    };
    match reply {
        Reply::Status {
            status,
            headers,
            body,
        } => {
            let mut r = Response::builder()
                .status(status)
                .header("content-type", "application/json");
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r.body(Body::from(body)).unwrap()
        }
        Reply::Message {
            text,
            calls,
            cut_after,
            end_early,
            delay,
            usage: report_usage,
            legacy,
            object_arguments,
            finish,
        } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let ids: Vec<String> = {
                let mut n = shared.next_call.lock().unwrap();
                calls
                    .iter()
                    .map(|_| {
                        *n += 1;
                        format!("call_{:04}", *n)
                    })
                    .collect()
            };
            let prompt_tokens = (body.len() / 4) as u64;
            let completion_tokens =
                ((text.len() + calls.iter().map(|c| c.arguments.len()).sum::<usize>()) / 4) as u64;
            let usage = json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens});
            if parsed["stream"] == Value::Bool(true) {
                let include_usage =
                    report_usage && parsed["stream_options"]["include_usage"] == Value::Bool(true);
                let shape = Shape {
                    legacy,
                    object_arguments,
                    finish,
                };
                let chunks = stream_chunks_shaped(
                    &text,
                    &calls,
                    &ids,
                    include_usage.then_some(usage),
                    &shape,
                );
                sse(chunks, cut_after, end_early)
            } else {
                let shape = Shape {
                    legacy,
                    object_arguments,
                    finish,
                };
                whole(&text, &calls, &ids, report_usage.then_some(usage), &shape)
            }
        }
    }
}

fn chunk(choices: Value, usage: Option<Value>) -> String {
    let mut c = json!({
        "id": "chatcmpl-klue-test",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "klue-test-model",
        "choices": choices,
    });
    if let Some(u) = usage {
        c["usage"] = u;
    }
    c.to_string()
}

fn pieces(s: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(size.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// How a reply departs from the usual shape.
#[derive(Debug, Clone, Default)]
struct Shape {
    legacy: bool,
    object_arguments: bool,
    finish: Option<String>,
}

impl Shape {
    fn arguments(&self, c: &Call) -> Value {
        if self.object_arguments {
            serde_json::from_str(&c.arguments).unwrap_or(Value::String(c.arguments.clone()))
        } else {
            Value::String(c.arguments.clone())
        }
    }

    fn finish(&self, calls: &[Call]) -> String {
        match &self.finish {
            Some(f) => f.clone(),
            None if calls.is_empty() => "stop".into(),
            None if self.legacy => "function_call".into(),
            None => "tool_calls".into(),
        }
    }
}

/// The chunks a real server would send for this reply.
pub fn stream_chunks(
    text: &str,
    calls: &[Call],
    ids: &[String],
    usage: Option<Value>,
) -> Vec<String> {
    stream_chunks_shaped(text, calls, ids, usage, &Shape::default())
}

fn stream_chunks_shaped(
    text: &str,
    calls: &[Call],
    ids: &[String],
    usage: Option<Value>,
    shape: &Shape,
) -> Vec<String> {
    let mut out = vec![chunk(
        json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]),
        None,
    )];
    for p in pieces(text, 5) {
        out.push(chunk(
            json!([{"index": 0, "delta": {"content": p}, "finish_reason": null}]),
            None,
        ));
    }
    for (i, (c, id)) in calls.iter().zip(ids).enumerate() {
        if shape.legacy {
            out.push(chunk(
                json!([{"index": 0, "delta": {"function_call": {"name": c.name, "arguments": ""}}, "finish_reason": null}]),
                None,
            ));
            for p in pieces(&c.arguments, 7) {
                out.push(chunk(
                    json!([{"index": 0, "delta": {"function_call": {"arguments": p}}, "finish_reason": null}]),
                    None,
                ));
            }
            break;
        }
        if shape.object_arguments {
            out.push(chunk(
                json!([{"index": 0, "delta": {"tool_calls": [{"index": i, "id": id, "type": "function", "function": {"name": c.name, "arguments": shape.arguments(c)}}]}, "finish_reason": null}]),
                None,
            ));
            continue;
        }
        out.push(chunk(
            json!([{"index": 0, "delta": {"tool_calls": [{"index": i, "id": id, "type": "function", "function": {"name": c.name, "arguments": ""}}]}, "finish_reason": null}]),
            None,
        ));
        for p in pieces(&c.arguments, 7) {
            out.push(chunk(
                json!([{"index": 0, "delta": {"tool_calls": [{"index": i, "function": {"arguments": p}}]}, "finish_reason": null}]),
                None,
            ));
        }
    }
    let finish = shape.finish(calls);
    out.push(chunk(
        json!([{"index": 0, "delta": {}, "finish_reason": finish}]),
        None,
    ));
    if let Some(u) = usage {
        out.push(chunk(json!([]), Some(u)));
    }
    out
}

fn sse(chunks: Vec<String>, cut_after: Option<usize>, end_early: bool) -> Response {
    let total = chunks.len();
    let keep = cut_after.unwrap_or(total).min(total);
    let mut frames: Vec<Result<Bytes, std::io::Error>> = chunks
        .into_iter()
        .take(keep)
        .map(|c| Ok(Bytes::from(format!("data: {c}\n\n"))))
        .collect();
    match (cut_after, end_early) {
        (None, _) => frames.push(Ok(Bytes::from_static(b"data: [DONE]\n\n"))),
        // A clean close without a finish reason or [DONE].
        (Some(_), true) => {}
        // A broken connection: the body fails, so the chunked encoding never terminates.
        (Some(_), false) => frames.push(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "scripted cut",
        ))),
    }
    let stream = futures::stream::iter(frames).then(|f| async move {
        // Small gaps, as a real model's tokens arrive.
        tokio::time::sleep(Duration::from_millis(1)).await;
        f
    });
    Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(stream))
        .unwrap()
}

use futures::StreamExt as _;

fn whole(
    text: &str,
    calls: &[Call],
    ids: &[String],
    usage: Option<Value>,
    shape: &Shape,
) -> Response {
    let tool_calls: Vec<Value> = calls
        .iter()
        .zip(ids)
        .map(|(c, id)| json!({"id": id, "type": "function", "function": {"name": c.name, "arguments": shape.arguments(c)}}))
        .collect();
    let mut message = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { json!(text) }});
    if shape.legacy {
        if let Some(c) = calls.first() {
            message["function_call"] = json!({"name": c.name, "arguments": shape.arguments(c)});
        }
    } else if !tool_calls.is_empty() {
        message["tool_calls"] = json!(tool_calls);
    }
    let mut body = json!({
        "id": "chatcmpl-klue-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "klue-test-model",
        "choices": [{"index": 0, "message": message, "finish_reason": shape.finish(calls)}],
    });
    if let Some(u) = usage {
        body["usage"] = u;
    }
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}
