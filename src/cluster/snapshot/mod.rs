//! Cluster snapshots: a redacted capture of a cluster (discovery, the server-side Table of
//! every listable resource with its objects, recent logs of unhealthy pods) stored as
//! gzip-compressed JSON with a format version, and served back through the same client
//! interface as a live cluster.
//!
//! From the bottom up: [`file`] (the stored shape, load and save), [`selector`] (label and
//! field selectors), [`service`] (answers API requests from a snapshot), [`capture`] (takes
//! one from a live cluster); this module turns a snapshot into a [`Cluster`](super::Cluster).

use std::path::Path;
use std::sync::Arc;

mod capture;
mod file;
mod log_choice;
mod selector;
mod service;

pub use capture::{CaptureOptions, capture};
pub use file::{
    CapturedLog, CapturedResource, DEMO_SNAPSHOT, FORMAT_VERSION, Snapshot, SnapshotError,
    SnapshotSource,
};
pub use service::SnapshotService;

/// Open a snapshot file as a [`Cluster`](super::Cluster): the same executor then runs on it.
pub fn open(path: &Path, namespace: Option<&str>) -> Result<super::Cluster, super::ClusterError> {
    let snap = Snapshot::load(path).map_err(|e| super::ClusterError::Snapshot {
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    Ok(cluster(
        Arc::new(snap),
        &path.display().to_string(),
        namespace,
    ))
}

/// A [`Cluster`](super::Cluster) over an in-memory snapshot read from the file `origin`.
pub fn cluster(snapshot: Arc<Snapshot>, origin: &str, namespace: Option<&str>) -> super::Cluster {
    served(
        snapshot,
        crate::protocol::Target::Snapshot(origin.to_string()),
        origin,
        namespace,
    )
}

/// The snapshot bundled with klue ([`DEMO_SNAPSHOT`]) as a [`Cluster`](super::Cluster).
pub fn demo_cluster(namespace: Option<&str>) -> Result<super::Cluster, SnapshotError> {
    let snap = Snapshot::from_bytes(DEMO_SNAPSHOT, "the bundled demo snapshot")?;
    Ok(served(
        Arc::new(snap),
        crate::protocol::Target::Demo,
        "bundled demo (broken shop)",
        namespace,
    ))
}

fn served(
    snapshot: Arc<Snapshot>,
    target: crate::protocol::Target,
    server: &str,
    namespace: Option<&str>,
) -> super::Cluster {
    let info = super::ClusterInfo {
        context: target,
        server: server.to_string(),
        namespace: namespace.unwrap_or("default").to_string(),
    };
    super::Cluster::from_service(SnapshotService::new(snapshot), info)
}

/// A read-only kube client answering from a snapshot.
pub fn client(snapshot: Arc<Snapshot>) -> kube::Client {
    client_in(snapshot, "default")
}

/// Like [`client`], with a default namespace.
pub fn client_in(snapshot: Arc<Snapshot>, namespace: &str) -> kube::Client {
    kube::Client::new(SnapshotService::new(snapshot), namespace)
}
