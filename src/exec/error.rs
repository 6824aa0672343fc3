//! Executor errors, worded as kubectl words them where kubectl has a message.

use crate::cluster::{Cluster, ClusterError, RefusedRequest};

/// Why a query failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// `Error from server (NotFound): pods "x" not found`
    #[error("Error from server (NotFound): {message}")]
    NotFound { message: String },
    /// `Error from server (Forbidden): ...`, with the RBAC reason from the server.
    #[error("Error from server (Forbidden): {message}")]
    Forbidden { message: String },
    #[error("error: You must be logged in to the server (Unauthorized)")]
    Unauthorized,
    /// The server could not be reached (connection refused, timeout, TLS, DNS).
    #[error("{}", unreachable_message(.server, .detail))]
    Unreachable { server: String, detail: String },
    #[error("error: the server doesn't have a resource type \"{input}\"{}", suggestion(.did_you_mean))]
    UnknownResource {
        input: String,
        did_you_mean: Option<String>,
    },
    /// A verb, format or kind this executor does not handle.
    #[error("error: {what}")]
    Unsupported { what: String },
    #[error("error: Metrics API not available")]
    MetricsUnavailable,
    /// The snapshot does not hold what the query asks for.
    #[error("error: not captured in the snapshot: {what}")]
    NotCaptured { what: String },
    /// The GET-only client refused a request (a bug above it; nothing was sent).
    #[error("refused: {0}")]
    Refused(String),
    /// Bad query arguments found at run time (a jsonpath template, custom columns, ...).
    #[error("error: {message}")]
    InvalidArgument { message: String },
    /// Any other error from the server: `Error from server (Reason): message`.
    #[error("Error from server{}: {message}", reason_part(.reason))]
    Api {
        code: u16,
        reason: String,
        message: String,
    },
    /// The server answered something that could not be decoded.
    #[error("error: cannot decode the server's answer: {detail}")]
    Decode { detail: String },
    /// The query ran longer than its overall timeout (klue's own, see `--timeout`).
    #[error(
        "error: the query did not finish within {seconds} s (klue's per-query timeout; raise it with --timeout or `query_timeout_secs`)"
    )]
    Timeout { seconds: u64 },
    /// The output grew past its cap while being rendered (a template that expands without
    /// bound, say); nothing more was built.
    #[error(
        "error: output cap reached while rendering: {detail}; narrow the template or the query"
    )]
    OutputCap { detail: String },
    /// One response passed klue's bound on what it reads of a response.
    #[error(
        "error: output cap: the server's answer to GET {path} passed {} MiB (klue's bound on one response); narrow the query with a name, -l, --field-selector or --chunk-size",
        .limit >> 20
    )]
    ResponseTooLarge { path: String, limit: usize },
    /// Connection or kubeconfig problems (e.g. `config` verbs without a kubeconfig).
    #[error("error: {0}")]
    Cluster(#[from] ClusterError),
}

impl ExecError {
    /// The class of this error, for the session (a NotFound is an answer; the rest are not).
    pub fn class(&self) -> crate::protocol::ErrorClass {
        use crate::protocol::ErrorClass as C;
        match self {
            ExecError::NotFound { .. } => C::NotFound,
            ExecError::Forbidden { .. } => C::Forbidden,
            ExecError::Unauthorized => C::Unauthorized,
            ExecError::Unreachable { .. } => C::Unreachable,
            ExecError::Cluster(e) => crate::protocol::ErrorClass::of_message(&e.to_string()),
            _ => C::Other,
        }
    }
}

fn suggestion(d: &Option<String>) -> String {
    match d {
        Some(s) => format!(" (did you mean \"{s}\"?)"),
        None => String::new(),
    }
}

/// kubectl's two wordings: a refused connection, or any other failure to connect.
fn unreachable_message(server: &str, detail: &str) -> String {
    if detail.to_ascii_lowercase().contains("connection refused") {
        format!(
            "The connection to the server {server} was refused - did you specify the right host or port? ({detail})"
        )
    } else {
        format!("Unable to connect to the server {server}: {detail}")
    }
}

fn reason_part(r: &str) -> String {
    if r.is_empty() {
        String::new()
    } else {
        format!(" ({r})")
    }
}

/// Host and port of a server URL, as kubectl names it in connection errors.
fn host_port(server: &str) -> String {
    server
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(server)
        .trim_end_matches('/')
        .to_string()
}

/// Map a kube-rs error.
pub(crate) fn from_kube(e: kube::Error, cluster: &Cluster) -> ExecError {
    match e {
        kube::Error::Api(status) => from_status(status.code, &status.reason, &status.message),
        kube::Error::Service(inner) => {
            if let Some(r) = inner.downcast_ref::<RefusedRequest>() {
                return ExecError::Refused(r.to_string());
            }
            unreachable(cluster, &inner.to_string(), source_chain(inner.as_ref()))
        }
        kube::Error::HyperError(err) => unreachable(cluster, &err.to_string(), source_chain(&err)),
        kube::Error::SerdeError(err) => ExecError::Decode {
            detail: err.to_string(),
        },
        other => {
            let chain = source_chain(&other);
            unreachable(cluster, &other.to_string(), chain)
        }
    }
}

fn source_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let m = s.to_string();
        if parts.last() != Some(&m) {
            parts.push(m);
        }
        cur = s.source();
    }
    parts.join(": ")
}

fn unreachable(cluster: &Cluster, _top: &str, chain: String) -> ExecError {
    ExecError::Unreachable {
        server: host_port(&cluster.info.server),
        detail: chain,
    }
}

/// Map an HTTP error status (with the Status fields when the body had them).
pub(crate) fn from_status(code: u16, reason: &str, message: &str) -> ExecError {
    let message = if message.is_empty() {
        format!("the server responded with status {code}")
    } else {
        message.to_string()
    };
    match (code, reason) {
        (_, "NotCaptured") => ExecError::NotCaptured { what: message },
        (404, _) | (_, "NotFound") => ExecError::NotFound { message },
        (403, _) | (_, "Forbidden") => ExecError::Forbidden { message },
        (401, _) => ExecError::Unauthorized,
        _ => ExecError::Api {
            code,
            reason: reason.to_string(),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_kubectl() {
        assert_eq!(
            from_status(404, "NotFound", "pods \"x\" not found").to_string(),
            "Error from server (NotFound): pods \"x\" not found"
        );
        let f = from_status(
            403,
            "Forbidden",
            "pods is forbidden: User \"viewer\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"",
        );
        assert!(matches!(f, ExecError::Forbidden { .. }));
        assert!(
            f.to_string()
                .starts_with("Error from server (Forbidden): pods is forbidden: User \"viewer\"")
        );
        assert_eq!(
            from_status(400, "BadRequest", "bad").to_string(),
            "Error from server (BadRequest): bad"
        );
        assert_eq!(
            from_status(500, "", "boom").to_string(),
            "Error from server: boom"
        );
        assert!(matches!(
            from_status(404, "NotCaptured", "pods in shop"),
            ExecError::NotCaptured { .. }
        ));
        assert_eq!(host_port("https://127.0.0.1:6443/"), "127.0.0.1:6443");
        let refused = ExecError::Unreachable {
            server: "127.0.0.1:6443".into(),
            detail: "tcp connect error: Connection refused (os error 111)".into(),
        };
        assert!(refused.to_string().starts_with(
            "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?"
        ));
        let tls = ExecError::Unreachable {
            server: "10.0.0.1:443".into(),
            detail: "invalid peer certificate: UnknownIssuer".into(),
        };
        assert_eq!(
            tls.to_string(),
            "Unable to connect to the server 10.0.0.1:443: invalid peer certificate: UnknownIssuer"
        );
    }
}
