//! The HTTP transport under the OpenAI client: one reqwest client with a short connect
//! timeout, and klue's retry policy (429 and 5xx, exponential backoff honouring Retry-After,
//! bounded attempts). Cancelling is dropping the future: every wait is a tokio sleep.
//!
//! Error bodies are normalised into OpenAI's `{"error": {...}}` shape so that servers which
//! answer differently (a numeric `code`, a top-level `message`, plain text) still yield the
//! status, code and message.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use bytes::Bytes;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// When to retry and how long to wait.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    /// Longest wait; a longer Retry-After gives up at once.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 1).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// What happened on the last request, for error messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LastCall {
    pub attempts: u32,
    /// The wait the server asked for on the last retryable answer, if any.
    pub retry_after: Option<Duration>,
    /// Set when a Retry-After longer than the policy's maximum made klue give up.
    pub gave_up_on_wait: bool,
}

/// A tower service executing the OpenAI client's requests.
#[derive(Clone)]
pub struct Transport {
    client: reqwest::Client,
    policy: RetryPolicy,
    last: Arc<Mutex<LastCall>>,
}

impl Transport {
    pub fn new(client: reqwest::Client, policy: RetryPolicy) -> Self {
        Transport {
            client,
            policy,
            last: Arc::new(Mutex::new(LastCall::default())),
        }
    }

    /// A handle on the last call's facts.
    pub fn last_call(&self) -> Arc<Mutex<LastCall>> {
        self.last.clone()
    }
}

fn set_last(last: &Mutex<LastCall>, value: LastCall) {
    if let Ok(mut l) = last.lock() {
        *l = value;
    }
}

impl tower::Service<HttpRequestFactory> for Transport {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = BoxFuture<'static, Result<reqwest::Response, OpenAIError>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let client = self.client.clone();
        let policy = self.policy;
        let last = self.last.clone();
        Box::pin(async move {
            let mut attempt = 1u32;
            let mut fresh_tried = false;
            loop {
                let request = factory.build().await?;
                // Connection errors are not retried: an unreachable endpoint is reported at once.
                // A connection the server closed under a pooled keep-alive (as servers do after
                // cutting a stream) gets one fresh try.
                let response = match client.execute(request).await {
                    Ok(r) => r,
                    Err(e) if !e.is_connect() && !e.is_timeout() && !fresh_tried => {
                        tracing::warn!(error = %e, "the connection to the model server broke; trying once on a fresh one");
                        fresh_tried = true;
                        continue;
                    }
                    Err(e) => return Err(OpenAIError::Reqwest(e)),
                };
                let status = response.status();
                if status.is_success() {
                    set_last(
                        &last,
                        LastCall {
                            attempts: attempt,
                            ..Default::default()
                        },
                    );
                    return normalise_success(response).await;
                }
                let headers = response.headers().clone();
                let body = response.bytes().await.map_err(OpenAIError::Reqwest)?;
                let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                let permanent_429 = status == StatusCode::TOO_MANY_REQUESTS
                    && String::from_utf8_lossy(&body).contains("insufficient_quota");
                let asked = retry_after(&headers);
                let wait = asked.unwrap_or_else(|| policy.backoff(attempt));
                let too_long = wait > policy.max_backoff;
                if retryable && !permanent_429 && !too_long && attempt < policy.max_attempts {
                    tracing::warn!(
                        status = status.as_u16(),
                        attempt,
                        max_attempts = policy.max_attempts,
                        wait_ms = wait.as_millis() as u64,
                        "model server answered with an error; retrying"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    continue;
                }
                set_last(
                    &last,
                    LastCall {
                        attempts: attempt,
                        retry_after: asked,
                        gave_up_on_wait: retryable && too_long,
                    },
                );
                return rebuild(status, &headers, normalise_error_body(status, &body));
            }
        })
    }
}

/// A successful answer with the servers' and models' quirks made ordinary
/// ([`super::quirks::normalise`]): the whole JSON body, or each `data:` line of a stream.
async fn normalise_success(response: reqwest::Response) -> Result<reqwest::Response, OpenAIError> {
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.contains("event-stream") {
        let upstream = response.bytes_stream();
        let stream = futures::stream::unfold(
            (upstream, Vec::<u8>::new(), false),
            |(mut up, mut buf, done)| async move {
                use futures::StreamExt as _;
                if done {
                    return None;
                }
                loop {
                    if let Some(nl) = buf.iter().rposition(|b| *b == b'\n') {
                        let rest = buf.split_off(nl + 1);
                        let lines = std::mem::replace(&mut buf, rest);
                        return Some((Ok(sse_lines(&lines)), (up, buf, false)));
                    }
                    match up.next().await {
                        Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                        Some(Err(e)) => return Some((Err(e), (up, buf, true))),
                        None if buf.is_empty() => return None,
                        None => {
                            let tail = sse_lines(&std::mem::take(&mut buf));
                            return Some((Ok(tail), (up, buf, true)));
                        }
                    }
                }
            },
        );
        let mut builder = http::Response::builder().status(status);
        for (k, v) in &headers {
            if k == http::header::CONTENT_LENGTH {
                continue;
            }
            builder = builder.header(k, v);
        }
        let response = builder
            .body(reqwest::Body::wrap_stream(stream))
            .map_err(|e| OpenAIError::InvalidArgument(format!("rebuilding a stream: {e}")))?;
        return Ok(reqwest::Response::from(response));
    }
    let body = response.bytes().await.map_err(OpenAIError::Reqwest)?;
    let body = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(mut v) => {
            super::quirks::normalise(&mut v);
            Bytes::from(v.to_string())
        }
        Err(_) => body,
    };
    rebuild(status, &headers, body)
}

/// Complete SSE lines, each `data: {json}` normalised.
fn sse_lines(lines: &[u8]) -> Bytes {
    let text = String::from_utf8_lossy(lines);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let body_trim = body.trim_end_matches('\r');
        if let Some(data) = body_trim.strip_prefix("data:")
            && let Ok(mut v) = serde_json::from_str::<serde_json::Value>(data.trim_start())
        {
            super::quirks::normalise(&mut v);
            out.push_str("data: ");
            out.push_str(&v.to_string());
            out.push_str(end);
            continue;
        }
        out.push_str(body);
        out.push_str(end);
    }
    Bytes::from(out)
}

/// `retry-after-ms` (OpenAI), else `retry-after` in seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?;
    let now = jiff::Zoned::now();
    let span = when.timestamp().as_second() - now.timestamp().as_second();
    Some(Duration::from_secs(span.max(0) as u64))
}

fn rebuild(
    status: StatusCode,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<reqwest::Response, OpenAIError> {
    let mut builder = http::Response::builder().status(status);
    for (k, v) in headers {
        if k == http::header::CONTENT_LENGTH || k == http::header::TRANSFER_ENCODING {
            continue;
        }
        builder = builder.header(k, v);
    }
    let response = builder
        .body(body)
        .map_err(|e| OpenAIError::InvalidArgument(format!("rebuilding an error response: {e}")))?;
    Ok(reqwest::Response::from(response))
}

/// Any error body → what the OpenAI client understands: for 5xx the plain message, otherwise
/// `{"error": {"message", "type", "param", "code"}}` with a string `code`.
pub fn normalise_error_body(status: StatusCode, body: &[u8]) -> Bytes {
    let text = String::from_utf8_lossy(body).trim().to_string();
    let parsed: Option<serde_json::Value> = serde_json::from_str(&text).ok();
    let obj = parsed
        .as_ref()
        .map(|v| v.get("error").unwrap_or(v).clone())
        .unwrap_or(serde_json::Value::Null);
    let as_text = |v: Option<&serde_json::Value>| -> Option<String> {
        match v? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    };
    let message = match &obj {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(_) => as_text(obj.get("message"))
            .or_else(|| as_text(obj.get("detail")))
            .unwrap_or_else(|| text.clone()),
        _ => text.clone(),
    };
    let message = if message.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("no message")
            .to_string()
    } else {
        message
    };
    if status.is_server_error() {
        return Bytes::from(message);
    }
    let normalised = serde_json::json!({
        "error": {
            "message": message,
            "type": as_text(obj.get("type")),
            "param": as_text(obj.get("param")),
            "code": as_text(obj.get("code")),
        }
    });
    Bytes::from(normalised.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        };
        assert_eq!(p.backoff(1), Duration::from_millis(100));
        assert_eq!(p.backoff(2), Duration::from_millis(200));
        assert_eq!(p.backoff(3), Duration::from_millis(400));
        assert_eq!(p.backoff(4), Duration::from_millis(500));
        assert_eq!(p.backoff(40), Duration::from_millis(500));
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", "150".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn error_bodies_are_normalised() {
        let llama = br#"{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}"#;
        let v: serde_json::Value =
            serde_json::from_slice(&normalise_error_body(StatusCode::BAD_REQUEST, llama)).unwrap();
        assert_eq!(v["error"]["code"], "400");
        assert_eq!(v["error"]["type"], "exceed_context_size_error");
        let vllm = br#"{"object":"error","message":"maximum context length is 4096 tokens","type":"BadRequestError","code":400}"#;
        let v: serde_json::Value =
            serde_json::from_slice(&normalise_error_body(StatusCode::BAD_REQUEST, vllm)).unwrap();
        assert_eq!(
            v["error"]["message"],
            "maximum context length is 4096 tokens"
        );
        let plain = b"Unauthorized";
        let v: serde_json::Value =
            serde_json::from_slice(&normalise_error_body(StatusCode::UNAUTHORIZED, plain)).unwrap();
        assert_eq!(v["error"]["message"], "Unauthorized");
        assert_eq!(
            normalise_error_body(StatusCode::BAD_GATEWAY, br#"{"detail":"upstream down"}"#),
            Bytes::from("upstream down")
        );
    }
}
