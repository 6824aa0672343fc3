//! Access to a cluster: a live API server through kube-rs (GET only, enforced in the HTTP
//! stack), or a captured snapshot served through the same client interface.

pub mod calls;
pub mod discovery;
pub mod discovery_cache;
pub mod getonly;
pub mod kubeconfig;
pub mod transport;

use std::sync::Arc;

use http::{Request, Response};
use kube::client::{Body, ClientBuilder};
use tower::{BoxError, Service};

pub use discovery::{ApiResource, Discovery, ResolveError};
pub use discovery_cache::DiscoveryCache;
pub use getonly::{GetOnly, GetOnlyLayer, RefusedRequest};
pub use kubeconfig::LoadedKubeconfig;

/// What klue calls itself in its requests' `User-Agent`.
pub const USER_AGENT: &str = concat!("klue/", env!("CARGO_PKG_VERSION"));

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
    /// The kube context, or the snapshot.
    pub context: crate::protocol::Target,
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
    discovery: Arc<DiscoveryState>,
}

/// The discovery of one `Cluster` and its clones: loaded once (from the disk cache when
/// there is one, else from the server), refetched when it turns out to be stale.
#[derive(Default)]
struct DiscoveryState {
    cache: Option<DiscoveryCache>,
    current: tokio::sync::Mutex<Option<Loaded>>,
}

#[derive(Clone)]
struct Loaded {
    data: Arc<Discovery>,
    /// When it was fetched from the server by this process (`None`: read from the disk).
    fetched: Option<std::time::Instant>,
    /// The server's `gitVersion`, when known.
    server_version: Option<String>,
    /// The server answered in this process (the version check or the fetch); `false` for a
    /// discovery read from the disk with the version confirmed recently by another process.
    answered: bool,
}

/// A discovery fetched from the server less than this long ago is not refetched because a
/// type is missing from it.
const REFETCH_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

/// What the connection check found (the status bar shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFacts {
    /// `v1.20.2`; empty for a snapshot or a server that did not say.
    pub version: String,
    /// How many resource types the server serves.
    pub resources: usize,
    /// Whether discovery came from the disk cache.
    pub cached: bool,
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
        // the server's audit log names the client, as it names kubectl
        config.headers.push((
            http::header::USER_AGENT,
            http::HeaderValue::from_static(USER_AGENT),
        ));
        // a server that stops answering must not hang a query forever
        if config.read_timeout.is_none() {
            config.read_timeout = Some(std::time::Duration::from_secs(60));
        }
        let server = config.cluster_url.to_string();
        let server = server.trim_end_matches('/').to_string();
        let namespace = config.default_namespace.clone();
        let builder = transport::builder(config).map_err(|e| invalid(e.to_string()))?;
        let calls = calls::CallLogLayer::default();
        let client = builder.with_layer(&calls).with_layer(&GetOnlyLayer).build();
        Ok(Cluster {
            client,
            calls: calls.log,
            info: ClusterInfo {
                context: crate::protocol::Target::Context(context),
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

    /// Keep this live cluster's discovery on disk between processes (see
    /// [`discovery_cache`]); `None` fetches it once per process. Snapshots ignore it (they
    /// are read in-process).
    pub fn with_discovery_cache(mut self, cache: Option<DiscoveryCache>) -> Cluster {
        if self.kubeconfig.is_some() {
            self.discovery = Arc::new(DiscoveryState {
                cache,
                current: Default::default(),
            });
        }
        self
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

    /// The discovery data (API groups and resources), loaded once per `Cluster`: from the
    /// disk cache when it is fresh and the server still reports the version it was fetched
    /// from (one `/version` request, sent only when no process has confirmed the version in
    /// the last [`discovery_cache::VERSION_RECHECK`]), else from the server (and then written
    /// to the cache).
    pub async fn discovery(&self) -> Result<Arc<Discovery>, kube::Error> {
        Ok(self.loaded_discovery().await?.data)
    }

    /// The discovery, refetched from the server when `usable` says it lacks something (a type
    /// that was typed, a group) and it was read from the disk cache or fetched more than 30 s
    /// ago: a type not found invalidates the cache, as kubectl does.
    pub async fn discovery_where(
        &self,
        usable: impl Fn(&Discovery) -> bool,
    ) -> Result<Arc<Discovery>, kube::Error> {
        let first = self.loaded_discovery().await?;
        if usable(&first.data) {
            return Ok(first.data);
        }
        let mut current = self.discovery.current.lock().await;
        if let Some(l) = current.as_ref() {
            // another task may have refetched meanwhile; a recent fetch is not repeated
            let recent = l.fetched.is_some_and(|t| t.elapsed() < REFETCH_AFTER);
            if usable(&l.data) || recent {
                return Ok(l.data.clone());
            }
        }
        tracing::info!(server = %self.info.server, "discovery lacks what was asked for; refetching");
        let fresh = self.fetch_discovery().await?;
        *current = Some(fresh.clone());
        Ok(fresh.data)
    }

    /// Make sure the server answers and discovery is loaded (from the cache or the server):
    /// the connection check a front end runs in the background.
    pub async fn check(&self) -> Result<ServerFacts, ClusterError> {
        let unreachable = |e: kube::Error| ClusterError::Unreachable {
            server: self.info.server.clone(),
            detail: e.to_string(),
        };
        let mut l = self.loaded_discovery().await.map_err(unreachable)?;
        let version = match (&l.server_version, &self.kubeconfig) {
            (Some(v), _) if l.answered => v.clone(),
            // a live server not asked yet in this process (no disk cache, or a version
            // another process confirmed recently): this is the connection check
            (cached, Some(_)) => {
                let now = self
                    .client
                    .apiserver_version()
                    .await
                    .map_err(unreachable)?
                    .git_version;
                if let (Some(cached), Some(cache)) = (cached, &self.discovery.cache) {
                    if *cached == now {
                        let _ = cache.confirm_version(&self.info.server);
                    } else {
                        tracing::info!(server = %self.info.server, %cached, %now,
                            "the server's version changed; refetching discovery");
                        let fresh = self.fetch_discovery().await.map_err(unreachable)?;
                        *self.discovery.current.lock().await = Some(fresh.clone());
                        l = fresh;
                    }
                }
                now
            }
            (Some(v), None) => v.clone(),
            (None, None) => String::new(),
        };
        Ok(ServerFacts {
            version,
            resources: l.data.preferred_resources().len(),
            cached: l.fetched.is_none(),
        })
    }

    async fn loaded_discovery(&self) -> Result<Loaded, kube::Error> {
        let mut current = self.discovery.current.lock().await;
        if let Some(l) = current.as_ref() {
            return Ok(l.clone());
        }
        let l = match self.cached_discovery().await? {
            Some(l) => l,
            None => self.fetch_discovery().await?,
        };
        *current = Some(l.clone());
        Ok(l)
    }

    /// The disk cache's discovery when it is fresh and of the server's current version.
    async fn cached_discovery(&self) -> Result<Option<Loaded>, kube::Error> {
        use discovery_cache::Lookup;
        let Some(cache) = &self.discovery.cache else {
            return Ok(None);
        };
        let server = &self.info.server;
        match cache.load(server) {
            Lookup::Fresh(c) if !c.version_check_due() => {
                tracing::debug!(%server, "discovery from the disk cache, version confirmed recently");
                return Ok(Some(Loaded {
                    data: Arc::new(c.discovery),
                    fetched: None,
                    server_version: Some(c.server_version),
                    answered: false,
                }));
            }
            Lookup::Fresh(c) => {
                let version = self.client.apiserver_version().await?.git_version;
                if version == c.server_version {
                    tracing::debug!(%server, "discovery from the disk cache");
                    if let Err(e) = cache.confirm_version(server) {
                        tracing::debug!(error = %e, "the version check is not recorded");
                    }
                    return Ok(Some(Loaded {
                        data: Arc::new(c.discovery),
                        fetched: None,
                        server_version: Some(version),
                        answered: true,
                    }));
                }
                tracing::info!(%server, cached = %c.server_version, now = %version,
                    "the server's version changed; refetching discovery");
            }
            Lookup::Damaged(why) => {
                tracing::warn!(%server, %why, "the discovery cache is damaged; refetching");
            }
            Lookup::Expired | Lookup::Missing => {}
        }
        Ok(None)
    }

    /// Fetch discovery from the server; with a disk cache, the server's version too, and
    /// write both to the cache.
    async fn fetch_discovery(&self) -> Result<Loaded, kube::Error> {
        let Some(cache) = &self.discovery.cache else {
            let data = Discovery::fetch(&self.client).await?;
            return Ok(Loaded {
                data: Arc::new(data),
                fetched: Some(std::time::Instant::now()),
                server_version: None,
                answered: true,
            });
        };
        let (info, data) = futures::try_join!(
            self.client.apiserver_version(),
            Discovery::fetch(&self.client)
        )?;
        if let Err(e) = cache.store(&self.info.server, &info.git_version, &data) {
            tracing::warn!(error = %e, "discovery is not cached");
        }
        Ok(Loaded {
            data: Arc::new(data),
            fetched: Some(std::time::Instant::now()),
            server_version: Some(info.git_version),
            answered: true,
        })
    }
}

pub mod snapshot;
