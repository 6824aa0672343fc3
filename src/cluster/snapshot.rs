//! Cluster snapshots: a redacted capture of a cluster (discovery, the server-side Table of
//! every listable resource with its objects, recent logs of unhealthy pods) stored as
//! gzip-compressed JSON with a format version, and served back through the same client
//! interface as a live cluster (see [`snapshot_service`](super::snapshot_service)).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::snapshot_capture::{CaptureOptions, capture};
pub use super::snapshot_service::SnapshotService;

/// The format written by this version of klue.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT_NAME: &str = "klue-snapshot";

/// A captured cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always `klue-snapshot`.
    pub format: String,
    pub version: u32,
    /// RFC 3339 time of capture.
    pub captured_at: String,
    pub klue_version: String,
    /// The context and server it was captured from (no credentials).
    #[serde(default)]
    pub source: SnapshotSource,
    /// Discovery and version documents by request path (`/version`, `/api`, `/apis/apps/v1`).
    pub discovery: BTreeMap<String, Value>,
    /// One entry per listed resource (group, version, plural).
    pub resources: Vec<CapturedResource>,
    #[serde(default)]
    pub logs: Vec<CapturedLog>,
    /// What could not be captured, and why.
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSource {
    pub context: String,
    pub server: String,
}

/// The server-side Table of one resource across all namespaces, each row with its object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CapturedResource {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub kind: String,
    pub namespaced: bool,
    /// `columnDefinitions` of the Table.
    pub columns: Value,
    /// Table rows (`cells` and `object`), objects redacted.
    pub rows: Vec<Value>,
}

impl CapturedResource {
    /// `apiVersion` of the objects: `v1` or `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// A container log captured with timestamps (the service strips them unless asked).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CapturedLog {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub previous: bool,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a klue snapshot: {detail}")]
    Format { path: String, detail: String },
    #[error(
        "{path} is a klue snapshot of format version {found}; this klue reads version {FORMAT_VERSION}"
    )]
    Version { path: String, found: u32 },
    #[error("cannot capture: {0}")]
    Capture(String),
}

impl Snapshot {
    pub fn new(source: SnapshotSource) -> Self {
        Self {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            captured_at: jiff::Timestamp::now().to_string(),
            klue_version: env!("CARGO_PKG_VERSION").into(),
            source,
            discovery: BTreeMap::new(),
            resources: Vec::new(),
            logs: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Read a snapshot file (gzip-compressed JSON, or plain JSON).
    pub fn load(path: &Path) -> Result<Self, SnapshotError> {
        let p = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| SnapshotError::Read {
            path: p.clone(),
            source,
        })?;
        Self::from_bytes(&bytes, &p)
    }

    /// Parse snapshot bytes (`origin` names them in errors).
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self, SnapshotError> {
        let mut json = Vec::new();
        let data: &[u8] = if bytes.starts_with(&[0x1f, 0x8b]) {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut json)
                .map_err(|e| SnapshotError::Format {
                    path: origin.into(),
                    detail: format!("bad gzip data: {e}"),
                })?;
            &json
        } else {
            bytes
        };
        let head: Value = serde_json::from_slice(data).map_err(|e| SnapshotError::Format {
            path: origin.into(),
            detail: format!("not JSON: {e}"),
        })?;
        if head.get("format").and_then(Value::as_str) != Some(FORMAT_NAME) {
            return Err(SnapshotError::Format {
                path: origin.into(),
                detail: "no `format: klue-snapshot` field".into(),
            });
        }
        let version = head.get("version").and_then(Value::as_u64).unwrap_or(0) as u32;
        if version != FORMAT_VERSION {
            return Err(SnapshotError::Version {
                path: origin.into(),
                found: version,
            });
        }
        serde_json::from_value(head).map_err(|e| SnapshotError::Format {
            path: origin.into(),
            detail: e.to_string(),
        })
    }

    /// The compressed bytes of this snapshot.
    pub fn to_bytes(&self) -> Result<Vec<u8>, SnapshotError> {
        let json = serde_json::to_vec(self).map_err(|e| SnapshotError::Capture(e.to_string()))?;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&json)
            .and_then(|_| enc.finish())
            .map_err(|e| SnapshotError::Capture(e.to_string()))
    }

    /// Write the compressed snapshot.
    pub fn save(&self, path: &Path) -> Result<(), SnapshotError> {
        let bytes = self.to_bytes()?;
        std::fs::write(path, bytes).map_err(|source| SnapshotError::Write {
            path: path.display().to_string(),
            source,
        })
    }

    /// The captured resource for a request path's group/version/plural.
    pub fn resource(&self, group: &str, version: &str, plural: &str) -> Option<&CapturedResource> {
        self.resources
            .iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
    }

    /// Number of objects captured.
    pub fn object_count(&self) -> usize {
        self.resources.iter().map(|r| r.rows.len()).sum()
    }
}

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

/// A [`Cluster`](super::Cluster) over an in-memory snapshot (`origin` names it).
pub fn cluster(snapshot: Arc<Snapshot>, origin: &str, namespace: Option<&str>) -> super::Cluster {
    let info = super::ClusterInfo {
        context: format!("snapshot:{origin}"),
        server: origin.to_string(),
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
