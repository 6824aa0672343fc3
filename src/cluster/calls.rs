//! Every request klue sends is accounted for: a tower layer under the GET-only layer notes
//! each one (method, path, status, duration, response bytes; never a body or a header) in
//! the cluster's [`CallLog`]. The session drains it into the recording
//! ([`crate::protocol::Event::ApiCalls`]) and the export sums it up.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use kube::client::Body;
use tower::{BoxError, Layer, Service};

use crate::protocol::ApiCall;

/// Most calls kept between two drains (a runaway loop must not grow memory without bound;
/// the overflow is counted).
const MAX_PENDING: usize = 100_000;

/// The calls sent through one client, waiting to be drained.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    inner: Arc<Mutex<Pending>>,
}

#[derive(Debug, Default)]
struct Pending {
    calls: Vec<ApiCall>,
    dropped: u64,
}

impl CallLog {
    fn push(&self, call: ApiCall) {
        if let Ok(mut p) = self.inner.lock() {
            if p.calls.len() < MAX_PENDING {
                p.calls.push(call);
            } else {
                p.dropped += 1;
            }
        }
    }

    /// The calls since the last drain, in the order they finished, and how many were not
    /// kept (over [`MAX_PENDING`]).
    pub fn drain(&self) -> (Vec<ApiCall>, u64) {
        match self.inner.lock() {
            Ok(mut p) => (std::mem::take(&mut p.calls), std::mem::take(&mut p.dropped)),
            Err(_) => (Vec::new(), 0),
        }
    }
}

/// The path and query a call is shown with: continue tokens are opaque and long, so they
/// are shortened.
fn shown_path(uri: &http::Uri) -> String {
    let path = uri.path();
    match uri.query() {
        None => path.to_string(),
        Some(q) => {
            let q: Vec<String> = q
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some(("continue", v)) if v.len() > 12 => format!("continue={}…", &v[..8]),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", q.join("&"))
        }
    }
}

/// The layer: wrap a service so every request it answers is noted in `log`.
#[derive(Debug, Clone, Default)]
pub struct CallLogLayer {
    pub log: CallLog,
}

impl<S> Layer<S> for CallLogLayer {
    type Service = CallLogService<S>;
    fn layer(&self, inner: S) -> CallLogService<S> {
        CallLogService {
            inner,
            log: self.log.clone(),
        }
    }
}

/// See [`CallLogLayer`].
#[derive(Debug, Clone)]
pub struct CallLogService<S> {
    inner: S,
    log: CallLog,
}

impl<S, B> Service<Request<Body>> for CallLogService<S>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Counted<B>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let method = req.method().to_string();
        let path = shown_path(req.uri());
        let log = self.log.clone();
        let started = Instant::now();
        let fut = self.inner.call(req);
        Box::pin(async move {
            match fut.await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let note = Note {
                        call: Some(ApiCall {
                            method,
                            path,
                            status: Some(status),
                            duration_ms: 0,
                            bytes: 0,
                        }),
                        started,
                        log,
                    };
                    Ok(resp.map(|body| Counted {
                        body: Box::pin(body),
                        note,
                    }))
                }
                Err(e) => {
                    log.push(ApiCall {
                        method,
                        path,
                        status: None,
                        duration_ms: elapsed_ms(started),
                        bytes: 0,
                    });
                    Err(e.into())
                }
            }
        })
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A call being answered: noted when its body ends or is dropped.
struct Note {
    call: Option<ApiCall>,
    started: Instant,
    log: CallLog,
}

impl Note {
    fn finish(&mut self) {
        if let Some(mut call) = self.call.take() {
            call.duration_ms = elapsed_ms(self.started);
            self.log.push(call);
        }
    }
}

impl Drop for Note {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A response body that counts its bytes.
pub struct Counted<B> {
    body: Pin<Box<B>>,
    note: Note,
}

impl<B> HttpBody for Counted<B>
where
    B: HttpBody<Data = bytes::Bytes>,
{
    type Data = bytes::Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = this.body.as_mut().poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(call)) = (frame.data_ref(), this.note.call.as_mut()) {
                    call.bytes += data.len() as u64;
                }
            }
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => this.note.finish(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_shortened() {
        let uri: http::Uri =
            "/api/v1/pods?limit=500&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzfQ"
                .parse()
                .unwrap();
        assert_eq!(
            shown_path(&uri),
            "/api/v1/pods?limit=500&continue=eyJ2Ijoi…"
        );
    }
}
