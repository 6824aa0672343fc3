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
}

/// A read-only client for analysis: the snapshot when `--snapshot` is given, else the
/// kubeconfig's cluster.
pub async fn analysis_client(args: &ClusterArgs) -> anyhow::Result<kube::Client> {
    use anyhow::Context as _;
    if let Some(path) = &args.snapshot {
        let snap = klue::cluster::snapshot::Snapshot::load(path)
            .with_context(|| format!("cannot open snapshot {}", path.display()))?;
        return Ok(klue::cluster::snapshot::client(std::sync::Arc::new(snap)));
    }
    let options = kube::config::KubeConfigOptions {
        context: args.context.clone(),
        ..Default::default()
    };
    let config = match &args.kubeconfig {
        Some(p) => {
            let kc = kube::config::Kubeconfig::read_from(p)
                .with_context(|| format!("cannot read kubeconfig {}", p.display()))?;
            kube::Config::from_custom_kubeconfig(kc, &options).await?
        }
        None => kube::Config::from_kubeconfig(&options).await.context(
            "cannot load the kubeconfig (set KUBECONFIG or pass --kubeconfig, or use --snapshot)",
        )?,
    };
    Ok(kube::Client::try_from(config)?)
}
