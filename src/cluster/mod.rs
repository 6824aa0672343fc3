//! Access to a cluster: a live API server through kube-rs (GET only, enforced in the HTTP
//! stack), or a captured snapshot served through the same client interface.

pub mod calls;
pub mod discovery;
pub mod getonly;
pub mod kubeconfig;

use std::sync::Arc;

use http::{Request, Response};
use kube::client::{Body, ClientBuilder};
use tower::{BoxError, Service};

pub use discovery::{ApiResource, Discovery, ResolveError};
pub use getonly::{GetOnly, GetOnlyLayer, RefusedRequest};
pub use kubeconfig::LoadedKubeconfig;

/// Where to connect, as kubectl's flags say it.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--kubeconfig`; else `$KUBECONFIG`, else `~/.kube/config`.
    pub kubeconfig: Option<std::path::PathBuf>,
    /// `--context`; else the kubeconfig's current context.
    pub context: Option<String>,
    /// `-n`; else the context's namespace, else `default`.
    pub namespace: Option<String>,
    /// `--snapshot PATH`: read from a captured snapshot instead of a live cluster.
    pub snapshot: Option<std::path::PathBuf>,
}

/// Facts about the connection (shown in the status bar and the recording header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// kube context name, or `snapshot:<path>`.
    pub context: String,
    /// Server URL (never with credentials), or the snapshot path.
    pub server: String,
    /// The default namespace for queries.
    pub namespace: String,
}

/// Why a cluster could not be reached or configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    #[error("kubeconfig not found: {path} does not exist (use --kubeconfig or set $KUBECONFIG)")]
    KubeconfigNotFound { path: String },
    #[error("no kubeconfig: neither --kubeconfig, $KUBECONFIG nor a home directory is set")]
    NoKubeconfig,
    #[error("cannot read kubeconfig {path}: {detail}")]
    KubeconfigUnreadable { path: String, detail: String },
    #[error("malformed kubeconfig {path}: {detail}")]
    KubeconfigMalformed { path: String, detail: String },
    #[error("context \"{context}\" does not exist in the kubeconfig (available: {})", list_or_none(.available))]
    UnknownContext {
        context: String,
        available: Vec<String>,
    },
    #[error(
        "the kubeconfig has no current context: pass --context (available: {})",
        list_or_none(.available)
    )]
    NoCurrentContext { available: Vec<String> },
    #[error("invalid configuration for context \"{context}\": {detail}")]
    InvalidContext { context: String, detail: String },
    #[error("the server {server} is unreachable: {detail}")]
    Unreachable { server: String, detail: String },
    #[error("snapshot {path}: {detail}")]
    Snapshot { path: String, detail: String },
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// Select rustls' process-wide crypto provider (ring, the only one klue links) unless one is
/// already chosen: kube, reqwest and async-openai are built without a provider of their own.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A read-only handle to a cluster.
///
/// Cloning is cheap; clones share the discovery cache.
#[derive(Clone)]
pub struct Cluster {
    pub client: kube::Client,
    pub info: ClusterInfo,
    /// The kubeconfig the connection came from (for `config ...` verbs); `None` for snapshots
    /// and custom services.
    pub kubeconfig: Option<Arc<LoadedKubeconfig>>,
    /// Every request sent through `client` (see [`calls`]).
    pub calls: calls::CallLog,
    discovery: Arc<tokio::sync::OnceCell<Arc<Discovery>>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("info", &self.info).finish()
    }
}

impl Cluster {
    /// Connect to a live cluster as kubectl would (kubeconfig, context, namespace).
    ///
    /// No request is made here; an unreachable server shows up on the first query (or with
    /// [`Cluster::probe`]). The HTTP stack is wrapped in [`GetOnlyLayer`].
    ///
    /// With `opts.snapshot`, the snapshot is opened instead (no kubeconfig is read and no
    /// network is touched): see [`snapshot::open`].
    pub async fn connect(opts: &ConnectOptions) -> Result<Cluster, ClusterError> {
        if let Some(path) = &opts.snapshot {
            return snapshot::open(path, opts.namespace.as_deref());
        }
        install_crypto_provider();
        let loaded = kubeconfig::load(opts.kubeconfig.as_deref())?;
        let context = match &opts.context {
            Some(c) => c.clone(),
            None => match loaded
                .config
                .current_context
                .clone()
                .filter(|c| !c.is_empty())
            {
                Some(c) => c,
                None => {
                    return Err(ClusterError::NoCurrentContext {
                        available: loaded.context_names(),
                    });
                }
            },
        };
        if !loaded.config.contexts.iter().any(|c| c.name == context) {
            return Err(ClusterError::UnknownContext {
                context,
                available: loaded.context_names(),
            });
        }
        let options = kube::config::KubeConfigOptions {
            context: Some(context.clone()),
            cluster: None,
            user: None,
        };
        let invalid = |detail: String| ClusterError::InvalidContext {
            context: context.clone(),
            detail,
        };
        let mut config = kube::Config::from_custom_kubeconfig(loaded.config.clone(), &options)
            .await
            .map_err(|e| invalid(e.to_string()))?;
        if let Some(ns) = &opts.namespace {
            config.default_namespace = ns.clone();
        }
        // a server that stops answering must not hang a query forever
        if config.read_timeout.is_none() {
            config.read_timeout = Some(std::time::Duration::from_secs(60));
        }
        let server = config.cluster_url.to_string();
        let server = server.trim_end_matches('/').to_string();
        let namespace = config.default_namespace.clone();
        let builder = ClientBuilder::try_from(config).map_err(|e| invalid(e.to_string()))?;
        let calls = calls::CallLogLayer::default();
        let client = builder.with_layer(&calls).with_layer(&GetOnlyLayer).build();
        Ok(Cluster {
            client,
            calls: calls.log,
            info: ClusterInfo {
                context,
                server,
                namespace,
            },
            kubeconfig: Some(Arc::new(loaded)),
            discovery: Arc::default(),
        })
    }

    /// Build a cluster handle over any tower `Service` that speaks the Kubernetes HTTP API.
    ///
    /// This is how a snapshot becomes a cluster: the snapshot module implements a `Service`
    /// that answers the same paths an API server would (`/api`, `/apis`, `/apis/<g>/<v>`,
    /// collections and objects, with `Accept: ...;as=Table` answered by a `meta.k8s.io/v1`
    /// Table when it can, or plain JSON otherwise), and the SAME executor runs on top.
    ///
    /// Contract for such a service:
    /// - it is wrapped in [`GetOnlyLayer`] here, so it only ever sees GET requests (plus the
    ///   POST of a self-subject review built by klue; answer it with a 404 `Status` if the
    ///   snapshot has none);
    /// - errors are answered as the API server would: an HTTP status with a
    ///   `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound",
    ///   "message":"pods \"x\" not found","code":404}` body;
    /// - something the snapshot did not capture should be answered with HTTP 404 and a Status
    ///   whose `reason` is `"NotCaptured"`: the executor turns it into `ExecError::NotCaptured`.
    ///
    /// `info.namespace` is the default namespace for queries.
    pub fn from_service<S, B>(service: S, info: ClusterInfo) -> Cluster
    where
        S: Service<Request<Body>, Response = Response<B>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let calls = calls::CallLogLayer::default();
        let client = ClientBuilder::new(service, info.namespace.clone())
            .with_layer(&calls)
            .with_layer(&GetOnlyLayer)
            .build();
        Cluster {
            client,
            calls: calls.log,
            info,
            kubeconfig: None,
            discovery: Arc::default(),
        }
    }

    /// The default namespace for queries.
    pub fn namespace(&self) -> &str {
        &self.info.namespace
    }

    /// Ask the server for its version: fails with [`ClusterError::Unreachable`] when it
    /// cannot be reached.
    pub async fn probe(&self) -> Result<(), ClusterError> {
        self.client
            .apiserver_version()
            .await
            .map(|_| ())
            .map_err(|e| ClusterError::Unreachable {
                server: self.info.server.clone(),
                detail: e.to_string(),
            })
    }

    /// The discovery data (API groups and resources), fetched once per `Cluster`.
    pub async fn discovery(&self) -> Result<Arc<Discovery>, kube::Error> {
        let d = self
            .discovery
            .get_or_try_init(|| async { Discovery::fetch(&self.client).await.map(Arc::new) })
            .await?;
        Ok(d.clone())
    }
}

pub mod snapshot;
mod snapshot_capture;
mod snapshot_selector;
mod snapshot_service;
