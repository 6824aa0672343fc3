//! Defence in depth: the HTTP stack under every klue query refuses anything but GET, before
//! the request reaches the network. The parser already refuses write verbs; this layer makes
//! sure a parser bug still cannot write.
//!
//! The one exception is a POST of a self-subject review (`auth can-i`, `auth whoami`): these
//! are virtual, non-persisted resources that only describe the caller's own permissions.
//! Such a request is allowed only when it was built by [`review_request`] (which puts a
//! private marker in the request's extensions) AND its path is exactly one of the review
//! collections, without query parameters.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Method, Request};
use kube::client::Body;
use tower::{BoxError, Layer, Service};

/// The error a refused request fails with (inside `kube::Error::Service`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("klue refused to send {method} {path}: only read requests (GET) may reach the cluster")]
pub struct RefusedRequest {
    pub method: String,
    pub path: String,
}

/// Review collections that may be POSTed, as `/apis/<group>/<version>/<resource>`.
const REVIEW_GROUPS: &[(&str, &[&str], &[&str])] = &[
    (
        "authorization.k8s.io",
        &["v1", "v1beta1"],
        &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    ),
    (
        "authentication.k8s.io",
        &["v1", "v1beta1", "v1alpha1"],
        &["selfsubjectreviews"],
    ),
];

/// Kinds a review body may have, matching the collections above.
const REVIEW_KINDS: &[&str] = &[
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "SelfSubjectReview",
];

/// Proof that a request body was built by klue's review code.
#[derive(Debug, Clone, Copy)]
struct ReviewMarker(());

fn is_review_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    // ["", "apis", group, version, resource]
    if parts.len() != 5 || !parts[0].is_empty() || parts[1] != "apis" {
        return false;
    }
    REVIEW_GROUPS.iter().any(|(g, versions, resources)| {
        parts[2] == *g && versions.contains(&parts[3]) && resources.contains(&parts[4])
    })
}

/// Build the POST of a self-subject review. `path` must be one of the review collections and
/// `body` a review object of a matching kind; anything else is refused.
pub fn review_request(
    path: &str,
    body: &serde_json::Value,
) -> Result<Request<Body>, RefusedRequest> {
    let refused = || RefusedRequest {
        method: "POST".into(),
        path: path.to_string(),
    };
    if !is_review_path(path) {
        return Err(refused());
    }
    let kind = body.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    if !REVIEW_KINDS.contains(&kind)
        || !path.ends_with(&kind.to_ascii_lowercase().replace("review", "reviews"))
    {
        return Err(refused());
    }
    let bytes = serde_json::to_vec(body).map_err(|_| refused())?;
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .body(Body::from(bytes))
        .map_err(|_| refused())?;
    req.extensions_mut().insert(ReviewMarker(()));
    Ok(req)
}

/// Whether a request may go out.
pub fn allowed<B>(req: &Request<B>) -> bool {
    if req.headers().contains_key(http::header::UPGRADE) {
        return false;
    }
    let path = req.uri().path();
    if has_forbidden_subresource(path) || is_endless(req.uri().query()) {
        return false;
    }
    match *req.method() {
        Method::GET => true,
        Method::POST => {
            req.extensions().get::<ReviewMarker>().is_some()
                && req.uri().query().is_none()
                && is_review_path(path)
        }
        _ => false,
    }
}

/// Watches and followed logs never end: a query must.
fn is_endless(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            matches!(k, "watch" | "follow") && !matches!(v, "false" | "0")
        })
    })
}

/// Subresources that act through GET (streams into containers, proxies to workloads).
const STREAMING: &[&str] = &["exec", "attach", "portforward", "proxy"];

/// Where a resource path's parts sit: `/api/v1` or `/apis/<group>/<version>`, then an
/// optional `namespaces/<ns>`, then `<resource>[/<name>[/<subresource>...]]`.
struct ResourcePath<'a> {
    resource: &'a str,
    name: Option<&'a str>,
    subresource: Option<&'a str>,
}

/// Split an API path by position; `None` for paths that are not resource paths (`/version`,
/// `/openapi/v2`, discovery documents) or that are malformed (empty, `.` or `..`
/// segments, percent escapes: klue never builds those).
fn resource_path(path: &str) -> Option<ResourcePath<'_>> {
    let segs: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let rest = match segs.first() {
        Some(&"api") => segs.get(2..)?,
        Some(&"apis") => segs.get(3..)?,
        _ => return None,
    };
    let rest = match rest {
        ["namespaces", _ns, resource, more @ ..] => {
            let mut v = vec![*resource];
            v.extend_from_slice(more);
            v
        }
        other => other.to_vec(),
    };
    Some(ResourcePath {
        resource: rest.first().copied()?,
        name: rest.get(1).copied(),
        subresource: rest.get(2).copied(),
    })
}

/// Whether a path is malformed in a way a typed client never produces.
fn is_malformed(path: &str) -> bool {
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    path.contains('%')
        || segs
            .iter()
            .enumerate()
            .any(|(i, s)| (s.is_empty() && i + 1 < segs.len()) || *s == "." || *s == "..")
}

/// Streaming subresources of a named object (`pods/x/exec`, `nodes/n/proxy/...`,
/// `services/s:80/proxy`), the legacy proxy and watch paths (`/api/v1/proxy/...`,
/// `/api/v1/watch/...`), judged by position: a namespace or an object called `proxy` or
/// `exec` is just a name (`get pods -n proxy` works).
fn has_forbidden_subresource(path: &str) -> bool {
    if is_malformed(path) {
        return true;
    }
    let Some(p) = resource_path(path) else {
        return false;
    };
    if matches!(p.resource, "watch" | "proxy") {
        return true;
    }
    p.name.is_some() && p.subresource.is_some_and(|s| STREAMING.contains(&s))
}

/// The layer: wrap a service so it only ever sees allowed requests.
#[derive(Debug, Clone, Copy, Default)]
pub struct GetOnlyLayer;

impl<S> Layer<S> for GetOnlyLayer {
    type Service = GetOnly<S>;
    fn layer(&self, inner: S) -> GetOnly<S> {
        GetOnly { inner }
    }
}

/// See [`GetOnlyLayer`].
#[derive(Debug, Clone)]
pub struct GetOnly<S> {
    inner: S,
}

impl<S> Service<Request<Body>> for GetOnly<S>
where
    S: Service<Request<Body>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        if !allowed(&req) {
            let err = RefusedRequest {
                method: req.method().to_string(),
                path: req.uri().path().to_string(),
            };
            tracing::warn!(%err, "refused a non-read request below the parser");
            return Box::pin(async move { Err(BoxError::from(err)) });
        }
        let fut = self.inner.call(req);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;

    /// An inner service that counts the requests reaching it.
    #[derive(Clone, Default)]
    struct Counting(Arc<AtomicUsize>);

    impl Service<Request<Body>> for Counting {
        type Response = http::Response<Body>;
        type Error = BoxError;
        type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;
        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _req: Request<Body>) -> Self::Future {
            self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Ok(http::Response::new(Body::empty())) })
        }
    }

    fn req(method: Method, uri: &str) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(b"{\"kind\":\"Pod\"}".to_vec()))
            .unwrap()
    }

    async fn send(svc: &mut GetOnly<Counting>, r: Request<Body>) -> Result<(), BoxError> {
        svc.ready().await?.call(r).await.map(|_| ())
    }

    #[tokio::test]
    async fn writes_never_reach_the_inner_service() {
        let inner = Counting::default();
        let count = inner.0.clone();
        let mut svc = GetOnlyLayer.layer(inner);
        for m in [
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
            Method::CONNECT,
            Method::TRACE,
        ] {
            for uri in [
                "/api/v1/namespaces/default/pods",
                "/api/v1/namespaces/default/pods/x",
                "/apis/apps/v1/namespaces/default/deployments/x/scale",
                // review paths without the marker: refused too
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            ] {
                let err = send(&mut svc, req(m.clone(), uri)).await.unwrap_err();
                let refused = err
                    .downcast_ref::<RefusedRequest>()
                    .expect("RefusedRequest");
                assert_eq!(refused.method, m.as_str());
            }
        }
        assert_eq!(count.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn gets_pass() {
        let inner = Counting::default();
        let count = inner.0.clone();
        let mut svc = GetOnlyLayer.layer(inner);
        send(
            &mut svc,
            req(Method::GET, "/api/v1/namespaces/default/pods?limit=500"),
        )
        .await
        .unwrap();
        send(
            &mut svc,
            req(Method::GET, "/api/v1/namespaces/d/pods/x/log?tailLines=5"),
        )
        .await
        .unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn streaming_subresources_and_upgrades_are_refused_even_as_get() {
        let inner = Counting::default();
        let count = inner.0.clone();
        let mut svc = GetOnlyLayer.layer(inner);
        for uri in [
            "/api/v1/namespaces/d/pods/x/exec?command=sh",
            "/api/v1/namespaces/d/pods/x/attach",
            "/api/v1/namespaces/d/pods/x/portforward",
            "/api/v1/namespaces/d/services/x/proxy/admin",
            "/api/v1/nodes/n/proxy/configz",
            "/api/v1/namespaces/d/pods?watch=true",
            "/api/v1/namespaces/d/pods?limit=5&watch=1",
            "/api/v1/namespaces/d/pods/x/log?follow=true",
            "/api/v1/watch/namespaces/d/pods",
        ] {
            assert!(
                send(&mut svc, req(Method::GET, uri)).await.is_err(),
                "{uri}"
            );
        }
        let mut upgrade = req(Method::GET, "/api/v1/namespaces/d/pods");
        upgrade
            .headers_mut()
            .insert(http::header::UPGRADE, "websocket".parse().unwrap());
        assert!(send(&mut svc, upgrade).await.is_err());
        assert_eq!(count.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn streaming_names_are_judged_by_position() {
        let mut svc = GetOnly {
            inner: Counting::default(),
        };
        for ok in [
            "/api/v1/namespaces/proxy/pods",
            "/api/v1/namespaces/exec/pods/attach",
            "/api/v1/namespaces/portforward/pods/proxy/log",
            "/api/v1/namespaces/d/pods/exec",
            "/api/v1/namespaces/proxy",
            "/api/v1/namespaces/exec/events",
            "/apis/apps/v1/namespaces/proxy/deployments/attach",
            "/api/v1/nodes/proxy",
            "/version",
        ] {
            assert!(
                send(&mut svc, req(Method::GET, ok)).await.is_ok(),
                "{ok} refused"
            );
        }
        for bad in [
            "/api/v1/namespaces/proxy/pods/exec/exec",
            "/api/v1/namespaces/d/pods/x/attach",
            "/api/v1/namespaces/d/pods/x/portforward",
            "/api/v1/namespaces/d/services/https:x:443/proxy",
            "/apis/apps/v1/namespaces/d/deployments/x/proxy",
            "/api/v1/proxy/namespaces/d/services/x",
            "/api/v1/namespaces/d/pods/x/%65xec",
            "/api/v1/namespaces/d/pods/x/../x/exec",
            "/api/v1/namespaces/d/pods//exec",
        ] {
            assert!(
                send(&mut svc, req(Method::GET, bad)).await.is_err(),
                "{bad} passed"
            );
        }
    }

    #[tokio::test]
    async fn only_marked_reviews_may_be_posted() {
        let inner = Counting::default();
        let count = inner.0.clone();
        let mut svc = GetOnlyLayer.layer(inner);
        let body = serde_json::json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {}});
        let r = review_request(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            &body,
        )
        .unwrap();
        send(&mut svc, r).await.unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 1);

        // The builder refuses other paths and other kinds.
        assert!(review_request("/api/v1/namespaces/d/pods", &body).is_err());
        assert!(
            review_request("/apis/authorization.k8s.io/v1/subjectaccessreviews", &body).is_err()
        );
        let pod = serde_json::json!({"kind": "Pod"});
        assert!(
            review_request(
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                &pod
            )
            .is_err()
        );
        let rules = serde_json::json!({"kind": "SelfSubjectRulesReview"});
        assert!(
            review_request(
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                &rules
            )
            .is_err()
        );

        // A marked request whose path was swapped afterwards is refused.
        let mut r = review_request(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            &body,
        )
        .unwrap();
        *r.uri_mut() = "/api/v1/namespaces/default/pods".parse().unwrap();
        assert!(send(&mut svc, r).await.is_err());
        let mut r = review_request(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            &body,
        )
        .unwrap();
        *r.method_mut() = Method::DELETE;
        assert!(send(&mut svc, r).await.is_err());
        let mut r = review_request(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            &body,
        )
        .unwrap();
        *r.uri_mut() = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews?dryRun=All"
            .parse()
            .unwrap();
        assert!(send(&mut svc, r).await.is_err());
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn review_paths() {
        assert!(is_review_path(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews"
        ));
        assert!(is_review_path(
            "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"
        ));
        assert!(!is_review_path(
            "/apis/authorization.k8s.io/v1/namespaces/x/localsubjectaccessreviews"
        ));
        assert!(!is_review_path(
            "/apis/authentication.k8s.io/v1/tokenreviews"
        ));
        assert!(!is_review_path(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews/x"
        ));
    }
}
