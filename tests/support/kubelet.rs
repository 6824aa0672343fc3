//! A kubelet stand-in that serves container logs over HTTPS, so `logs` goes through the real
//! apiserver (apiserver → node InternalIP:kubeletEndpoint port → here).
//!
//! Answers `GET /containerLogs/<ns>/<pod>/<container>` honouring `previous`, `tailLines`,
//! `sinceSeconds`, `sinceTime`, `timestamps` and `limitBytes`, from logs registered by tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use jiff::Timestamp;
use tokio_rustls::rustls;

/// One log line with the time the container wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub time: Timestamp,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
struct ContainerLogs {
    current: Vec<LogLine>,
    previous: Option<Vec<LogLine>>,
    /// A kubelet that cannot serve the log: its answer (400) instead of lines.
    failure: Option<String>,
}

type Key = (String, String, String);

/// The log stub: its port and the registry of container logs.
#[derive(Clone)]
pub struct LogStub {
    port: u16,
    logs: Arc<Mutex<HashMap<Key, ContainerLogs>>>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl LogStub {
    /// The HTTPS port nodes must advertise as `status.daemonEndpoints.kubeletEndpoint.Port`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Registers the current and (optionally) the previous container's log.
    ///
    /// Each line may start with an RFC 3339 timestamp and a space (`2024-05-01T10:00:00Z msg`);
    /// lines without one are dated one second apart, the last one now.
    pub fn set(&self, ns: &str, pod: &str, container: &str, current: &str, previous: Option<&str>) {
        let entry = ContainerLogs {
            current: parse_lines(current),
            previous: previous.map(parse_lines),
            failure: None,
        };
        lock(&self.logs).insert((ns.into(), pod.into(), container.into()), entry);
    }

    /// Registers lines with explicit times.
    pub fn set_lines(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        current: Vec<LogLine>,
        previous: Option<Vec<LogLine>>,
    ) {
        lock(&self.logs).insert(
            (ns.into(), pod.into(), container.into()),
            ContainerLogs {
                current,
                previous,
                failure: None,
            },
        );
    }

    /// Makes every log read of the container fail with `message` (a 400, as a kubelet says
    /// why it cannot serve a log): error text that quotes what the container wrote.
    pub fn set_failure(&self, ns: &str, pod: &str, container: &str, message: &str) {
        lock(&self.logs).insert(
            (ns.into(), pod.into(), container.into()),
            ContainerLogs {
                failure: Some(message.to_string()),
                ..Default::default()
            },
        );
    }

    /// Request paths (with query) received so far, oldest first.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.requests).clone()
    }

    fn answer(&self, path: &str, query: &str) -> (StatusCode, String) {
        lock(&self.requests).push(if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        });
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let [kind, ns, pod, container] = parts.as_slice() else {
            return (StatusCode::NOT_FOUND, format!("404 page not found: {path}"));
        };
        if *kind != "containerLogs" {
            return (StatusCode::NOT_FOUND, format!("404 page not found: {path}"));
        }
        let params = parse_query(query);
        let flag = |k: &str| params.get(k).is_some_and(|v| v == "true" || v == "1");
        let logs = lock(&self.logs);
        let Some(entry) = logs.get(&(ns.to_string(), pod.to_string(), container.to_string()))
        else {
            // What a kubelet says about a container that has not written a log yet.
            return (
                StatusCode::BAD_REQUEST,
                format!(
                    "container \"{container}\" in pod \"{pod}\" is waiting to start: ContainerCreating"
                ),
            );
        };
        if let Some(message) = &entry.failure {
            return (StatusCode::BAD_REQUEST, message.clone());
        }
        let lines = if flag("previous") {
            match &entry.previous {
                Some(p) => p,
                None => {
                    return (
                        StatusCode::BAD_REQUEST,
                        format!(
                            "previous terminated container \"{container}\" in pod \"{pod}\" not found"
                        ),
                    );
                }
            }
        } else {
            &entry.current
        };
        let mut selected: Vec<&LogLine> = lines.iter().collect();
        if let Some(since) = params
            .get("sinceTime")
            .and_then(|t| t.parse::<Timestamp>().ok())
        {
            selected.retain(|l| l.time >= since);
        }
        if let Some(secs) = params
            .get("sinceSeconds")
            .and_then(|s| s.parse::<i64>().ok())
        {
            let since = Timestamp::now() - jiff::SignedDuration::from_secs(secs);
            selected.retain(|l| l.time >= since);
        }
        if let Some(n) = params
            .get("tailLines")
            .and_then(|s| s.parse::<usize>().ok())
        {
            let skip = selected.len().saturating_sub(n);
            selected.drain(..skip);
        }
        let timestamps = flag("timestamps");
        let mut body = String::new();
        for line in selected {
            if timestamps {
                body.push_str(&format_rfc3339_nano(line.time));
                body.push(' ');
            }
            body.push_str(&line.text);
            body.push('\n');
        }
        if let Some(limit) = params
            .get("limitBytes")
            .and_then(|s| s.parse::<usize>().ok())
            && body.len() > limit
        {
            let mut cut = limit;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
        }
        (StatusCode::OK, body)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Go's RFC3339Nano (trailing zeros of the fraction dropped), as the kubelet writes.
pub fn format_rfc3339_nano(t: Timestamp) -> String {
    let whole = t.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.subsec_nanosecond();
    if nanos == 0 {
        format!("{whole}Z")
    } else {
        let frac = format!("{nanos:09}");
        format!("{whole}.{}Z", frac.trim_end_matches('0'))
    }
}

fn parse_lines(text: &str) -> Vec<LogLine> {
    let raw: Vec<&str> = text.lines().collect();
    let now = Timestamp::now();
    let n = raw.len() as i64;
    raw.iter()
        .enumerate()
        .map(|(i, line)| {
            if let Some((first, rest)) = line.split_once(' ')
                && let Ok(time) = first.parse::<Timestamp>()
            {
                return LogLine {
                    time,
                    text: rest.to_string(),
                };
            }
            LogLine {
                time: now - jiff::SignedDuration::from_secs(n - 1 - i as i64),
                text: line.to_string(),
            }
        })
        .collect()
}

fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The process-wide log stub (started on first use, on its own thread and runtime, so it
/// serves whichever test runtime is alive).
pub fn stub() -> Result<LogStub, String> {
    static STUB: OnceLock<Result<LogStub, String>> = OnceLock::new();
    STUB.get_or_init(start).clone()
}

fn start() -> Result<LogStub, String> {
    let (cert, key) = super::pki::self_signed_loopback().map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(cert)],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
        )
        .map_err(|e| e.to_string())?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let stub = LogStub {
        port,
        logs: Arc::default(),
        requests: Arc::default(),
    };
    let served = stub.clone();
    std::thread::Builder::new()
        .name("testenv-kubelet".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("testenv kubelet stub: no runtime: {e}");
                    return;
                }
            };
            rt.block_on(serve(listener, acceptor, served));
        })
        .map_err(|e| e.to_string())?;
    Ok(stub)
}

async fn serve(
    listener: std::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    stub: LogStub,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let stub = stub.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let stub = stub.clone();
                async move {
                    let (status, body) = if req.method() == hyper::Method::GET {
                        stub.answer(req.uri().path(), req.uri().query().unwrap_or(""))
                    } else {
                        (StatusCode::METHOD_NOT_ALLOWED, "only GET".to_string())
                    };
                    Response::builder()
                        .status(status)
                        .header("content-type", "text/plain")
                        .body(Full::new(Bytes::from(body)))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
        });
    }
}
