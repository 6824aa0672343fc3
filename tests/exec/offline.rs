//! The executor over a hand-written tower service: no cluster, same code path. This is the
//! contract `Cluster::from_service` offers snapshots.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http::{Request, Response};
use klue::cluster::{Cluster, ClusterInfo};
use klue::exec::{ExecError, Executor};
use kube::client::Body;
use serde_json::json;

/// Answers a tiny API: core v1 with pods, one pod, and records what it saw.
#[derive(Clone, Default)]
struct FakeApi {
    seen: Arc<Mutex<Vec<String>>>,
}

impl tower::Service<Request<Body>> for FakeApi {
    type Response = Response<Body>;
    type Error = tower::BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, tower::BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), tower::BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let path = req.uri().path().to_string();
        self.seen
            .lock()
            .unwrap()
            .push(format!("{} {}", req.method(), req.uri()));
        let table = req
            .headers()
            .get("accept")
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("as=Table"));
        let (code, body) = match path.as_str() {
            "/api" => (200, json!({"kind": "APIVersions", "versions": ["v1"]})),
            "/apis" => (
                200,
                json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": []}),
            ),
            "/api/v1" => (
                200,
                json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                    {"name": "pods", "singularName": "pod", "namespaced": true, "kind": "Pod",
                     "verbs": ["get", "list"], "shortNames": ["po"]}
                ]}),
            ),
            "/api/v1/namespaces/demo/pods" if table => (
                200,
                json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {},
                    "columnDefinitions": [
                        {"name": "Name", "type": "string", "format": "name", "priority": 0},
                        {"name": "Status", "type": "string", "format": "", "priority": 0}],
                    "rows": [{"cells": ["web-1", "CrashLoopBackOff"], "object": {"metadata": {"name": "web-1", "namespace": "demo"}}}]}),
            ),
            "/api/v1/namespaces/demo/pods/gone" => (
                404,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                       "message": "pods \"gone\" not found", "code": 404}),
            ),
            _ => (
                404,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotCaptured",
                       "message": format!("{path} is not in this snapshot"), "code": 404}),
            ),
        };
        Box::pin(async move {
            Ok(Response::builder()
                .status(code)
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(&body).unwrap()))
                .unwrap())
        })
    }
}

fn executor() -> (Executor, Arc<Mutex<Vec<String>>>) {
    let api = FakeApi::default();
    let seen = api.seen.clone();
    let cluster = Cluster::from_service(
        api,
        ClusterInfo {
            context: "snapshot:test".into(),
            server: "memory".into(),
            namespace: "demo".into(),
        },
    );
    (Executor::new(cluster), seen)
}

#[tokio::test]
async fn the_same_executor_runs_over_any_service() {
    let (ex, seen) = executor();
    let q = klue::query::parse("get po").unwrap();
    let out = ex.run(&q).await.unwrap();
    assert_eq!(out.text, "NAME    STATUS\nweb-1   CrashLoopBackOff\n");
    let q = klue::query::parse("get pod gone").unwrap();
    assert_eq!(
        ex.run(&q).await.unwrap_err().to_string(),
        "Error from server (NotFound): pods \"gone\" not found"
    );
    let q = klue::query::parse("get pods -n other").unwrap();
    assert!(matches!(
        ex.run(&q).await,
        Err(ExecError::NotCaptured { .. })
    ));
    // every request that reached the service was a GET
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|s| s.starts_with("GET ")), "{seen:?}");
}
