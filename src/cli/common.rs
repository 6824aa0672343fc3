//! Flags shared by the subcommands.

use std::path::PathBuf;

/// Where the cluster is, as kubectl says it (or a snapshot instead).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClusterArgs {
    /// The kubeconfig context to use (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// The namespace for queries (default: the context's namespace, else `default`).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Read from a snapshot captured with `klue snapshot` instead of a live cluster.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    /// Fetch discovery from the server instead of the cache in $XDG_CACHE_HOME/klue/discovery
    /// (also: KLUE_NO_CACHE=1).
    #[arg(long, env = "KLUE_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
}

#[allow(dead_code)] // used by the subcommands as they are built
impl ClusterArgs {
    pub fn connect_options(&self) -> klue::cluster::ConnectOptions {
        klue::cluster::ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespace: self.namespace.clone(),
            snapshot: self.snapshot.clone(),
        }
    }

    /// The discovery cache in the XDG cache dir, unless `--no-cache`.
    pub fn discovery_cache(&self) -> Option<klue::cluster::DiscoveryCache> {
        if self.no_cache {
            None
        } else {
            klue::cluster::DiscoveryCache::in_user_cache()
        }
    }
}

/// Connect as the flags say: the snapshot when `--snapshot` is given, else the kubeconfig's
/// cluster (GET-only either way).
pub async fn connect(args: &ClusterArgs) -> anyhow::Result<klue::cluster::Cluster> {
    if let Some(path) = &args.snapshot {
        return Ok(klue::cluster::snapshot::open(
            path,
            args.namespace.as_deref(),
        )?);
    }
    Ok(klue::cluster::Cluster::connect(&args.connect_options())
        .await?
        .with_discovery_cache(args.discovery_cache()))
}

/// A read-only client for analysis (see [`connect`]).
pub async fn analysis_client(args: &ClusterArgs) -> anyhow::Result<kube::Client> {
    Ok(connect(args).await?.client)
}
