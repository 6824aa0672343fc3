//! The HTTP stack under a live cluster's client: kube's own stack (base URI, retries of the
//! server's 429/503, authentication, extra headers, connect and read timeouts), on a TCP
//! connector with `TCP_NODELAY` set.
//!
//! Why not kube's `ClientBuilder::try_from(config)` as it is: its connector leaves Nagle's
//! algorithm on. Every klue process opens one connection; after the TLS 1.3 handshake the
//! client's `Finished` record and the first request go out as two small writes, the second
//! waits for the first one's ACK, and the server delays that ACK (up to 40 ms on Linux). One
//! process's query took about 40 ms longer than the server needed, on every run. kubectl (Go)
//! sets `TCP_NODELAY` on every connection; so does this stack.
//!
//! Through a proxy (`proxy-url` in the kubeconfig) kube's own stack is used unchanged: the
//! tunnels are kube's to set up.

use http::{Request, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kube::client::retry::RetryPolicy;
use kube::client::{Body, ClientBuilder, ConfigExt, DynBody};
use tower::retry::RetryLayer;
use tower::util::BoxService;
use tower::{BoxError, ServiceBuilder, ServiceExt as _};

/// The service a live cluster's client sends its requests through.
pub type Stack = BoxService<Request<Body>, Response<Box<DynBody>>, BoxError>;

/// The client builder for `config`: klue's stack without a proxy, kube's with one.
pub fn builder(mut config: kube::Config) -> Result<ClientBuilder<Stack>, kube::Error> {
    // `insecure-skip-tls-verify` without a CA: no certificate is ever checked, yet kube would
    // load the whole system trust store first (a few hundred files, read before the first
    // frame). An empty set of roots says the same and loads nothing.
    if config.accept_invalid_certs && config.root_cert.is_none() {
        config.root_cert = Some(Vec::new());
    }
    if config.proxy_url.is_some() {
        return ClientBuilder::try_from(config);
    }
    let default_ns = config.default_namespace.clone();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(config.connect_timeout);
    let https = config.rustls_https_connector_with_connector(http)?;
    let mut connector = hyper_timeout::TimeoutConnector::new(https);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    connector.set_reset_reader_on_write(config.reset_reader_on_write);
    let client: hyper_util::client::legacy::Client<_, Body> =
        hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(
            config
                .default_retry
                .then(|| RetryLayer::new(RetryPolicy::server_retry())),
        )
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(BoxError::from)
        .service(client)
        .map_response(|res: Response<hyper::body::Incoming>| {
            res.map(|body| {
                Box::new(http_body_util::BodyExt::map_err(body, BoxError::from)) as Box<DynBody>
            })
        })
        .boxed();
    Ok(ClientBuilder::new(service, default_ns))
}
