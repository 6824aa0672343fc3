//! Access to a cluster: a live API server through kube-rs (GET only, enforced in the HTTP
//! stack), or a captured snapshot served through the same client interface.

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

/// A read-only handle to a cluster.
#[derive(Clone)]
pub struct Cluster {
    pub client: kube::Client,
    pub info: ClusterInfo,
}
