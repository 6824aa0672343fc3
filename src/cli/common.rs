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
