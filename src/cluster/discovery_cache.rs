//! Discovery on disk, as kubectl keeps it: one file per server URL under
//! `$XDG_CACHE_HOME/klue/discovery/` (else `~/.cache/klue/discovery/`), fresh for six hours
//! (kubectl's TTL), so a `klue query` process does not fetch the ~40 discovery documents again.
//!
//! Each file records the server URL, the server's version and when it was fetched. It is
//! no longer used when it is older than the TTL (one minute when some group version failed to
//! answer), when the server reports another version, or when a typed resource type is not in
//! it (the caller then refetches and rewrites it).
//!
//! The server's version is asked again only when the last answer is older than
//! [`VERSION_RECHECK`] (five minutes): the time of that answer is the modification time of a
//! small file beside the cache (`<name>.checked`). kubectl never asks; klue asks at most every
//! five minutes, so a burst of `klue query` processes sends one request each, as kubectl does,
//! and an upgrade is noticed within five minutes (at once when a type is not found).
//!
//! Files are written to a temporary name in the same directory and renamed into place, so
//! a process reading the cache sees a whole old file or a whole new one, never a part, however
//! many processes write it at once (the last rename wins). A file that does not parse is
//! reported as [`Lookup::Damaged`] and refetched over.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::discovery::Discovery;

/// The layout of the file; another number is treated as absent.
const FORMAT: u32 = 1;

/// How long a cached discovery is used without refetching (kubectl's default).
pub const DEFAULT_TTL: Duration = Duration::from_secs(6 * 60 * 60);

/// The TTL of a discovery in which some group version did not answer (an aggregated API that
/// was down may be back).
pub const PARTIAL_TTL: Duration = Duration::from_secs(60);

/// How long the server's version, once confirmed, is taken as unchanged.
pub const VERSION_RECHECK: Duration = Duration::from_secs(5 * 60);

/// Where discovery documents are kept, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryCache {
    dir: PathBuf,
    ttl: Duration,
}

/// Why the cache could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the discovery cache {}: {source}", path.display())]
pub struct CacheWriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// A discovery read from the cache, with the facts recorded beside it.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The server's `gitVersion` when the discovery was fetched.
    pub server_version: String,
    pub fetched_at: SystemTime,
    /// When the server last answered with `server_version` (at the latest, `fetched_at`).
    pub version_confirmed_at: SystemTime,
    pub discovery: Discovery,
}

impl Cached {
    /// Whether the server's version must be asked again before this discovery is used.
    pub fn version_check_due(&self) -> bool {
        self.version_check_due_at(SystemTime::now())
    }

    fn version_check_due_at(&self, now: SystemTime) -> bool {
        // a confirmation in the future (a clock set back) is not trusted
        !matches!(now.duration_since(self.version_confirmed_at), Ok(age) if age < VERSION_RECHECK)
    }
}

/// What a lookup found.
#[derive(Debug)]
pub enum Lookup {
    /// A usable discovery (the caller still checks the server's version).
    Fresh(Cached),
    /// Older than its TTL.
    Expired,
    /// No file (or one of another format, or for another server).
    Missing,
    /// A file that cannot be read or parsed, with the reason.
    Damaged(String),
}

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    server: String,
    server_version: String,
    /// Seconds since the Unix epoch.
    fetched_at: u64,
    discovery: Discovery,
}

/// Only the header, to tell another format apart from a damaged file.
#[derive(Deserialize)]
struct Header {
    format: u32,
}

impl DiscoveryCache {
    /// A cache in `dir` with kubectl's TTL.
    pub fn new(dir: impl Into<PathBuf>) -> DiscoveryCache {
        DiscoveryCache {
            dir: dir.into(),
            ttl: DEFAULT_TTL,
        }
    }

    /// The cache in the XDG cache dir (`$XDG_CACHE_HOME/klue/discovery`, else
    /// `~/.cache/klue/discovery`); `None` without a home directory.
    pub fn in_user_cache() -> Option<DiscoveryCache> {
        let base = dirs::cache_dir().or_else(|| dirs::home_dir().map(|h| h.join(".cache")))?;
        Some(DiscoveryCache::new(base.join("klue").join("discovery")))
    }

    pub fn with_ttl(mut self, ttl: Duration) -> DiscoveryCache {
        self.ttl = ttl;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file for one server URL: its host, port and path with everything but
    /// `[A-Za-z0-9.-]` replaced by `_`, as kubectl names its cache directories.
    pub fn path_for(&self, server: &str) -> PathBuf {
        let rest = server
            .split_once("://")
            .map(|(_, r)| r)
            .unwrap_or(server)
            .trim_end_matches('/');
        let name: String = rest
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{name}.json"))
    }

    /// The file whose modification time is when `server` last confirmed the cached version.
    pub fn confirmation_path_for(&self, server: &str) -> PathBuf {
        self.path_for(server).with_extension("checked")
    }

    /// Record that `server` has just answered with the cached version (the confirmation
    /// file's modification time becomes now).
    pub fn confirm_version(&self, server: &str) -> std::io::Result<()> {
        let path = self.confirmation_path_for(server);
        let f = std::fs::File::create(&path)?;
        f.set_modified(SystemTime::now())
    }

    /// Read the cached discovery of `server`.
    pub fn load(&self, server: &str) -> Lookup {
        self.load_at(server, SystemTime::now())
    }

    fn load_at(&self, server: &str, now: SystemTime) -> Lookup {
        let path = self.path_for(server);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Missing,
            Err(e) => return Lookup::Damaged(format!("{}: {e}", path.display())),
        };
        let file: File = match serde_json::from_slice(&bytes) {
            Ok(f) => f,
            Err(e) => {
                return match serde_json::from_slice::<Header>(&bytes) {
                    Ok(h) if h.format != FORMAT => Lookup::Missing,
                    _ => Lookup::Damaged(format!("{}: {e}", path.display())),
                };
            }
        };
        if file.format != FORMAT || file.server != server {
            return Lookup::Missing;
        }
        let fetched_at = UNIX_EPOCH + Duration::from_secs(file.fetched_at);
        let ttl = if file.discovery.failed.is_empty() {
            self.ttl
        } else {
            self.ttl.min(PARTIAL_TTL)
        };
        // a time in the future (a clock set back) is not trusted either
        match now.duration_since(fetched_at) {
            Ok(age) if age < ttl => {
                let confirmed = std::fs::metadata(self.confirmation_path_for(server))
                    .and_then(|m| m.modified())
                    .ok()
                    .filter(|t| *t > fetched_at)
                    .unwrap_or(fetched_at);
                Lookup::Fresh(Cached {
                    server_version: file.server_version,
                    fetched_at,
                    version_confirmed_at: confirmed,
                    discovery: file.discovery,
                })
            }
            _ => Lookup::Expired,
        }
    }

    /// Write the discovery of `server` (fetched now, from a server of `server_version`):
    /// to a temporary file in the cache dir, then renamed over the old one.
    pub fn store(
        &self,
        server: &str,
        server_version: &str,
        discovery: &Discovery,
    ) -> Result<PathBuf, CacheWriteError> {
        let fetched_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let file = File {
            format: FORMAT,
            server: server.to_string(),
            server_version: server_version.to_string(),
            fetched_at,
            discovery: discovery.clone(),
        };
        let path = self.path_for(server);
        let err = |source| CacheWriteError {
            path: path.clone(),
            source,
        };
        let bytes = serde_json::to_vec(&file).map_err(|e| err(std::io::Error::other(e)))?;
        create_private_dir(&self.dir).map_err(err)?;
        let tmp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id(),
            unique()
        ));
        let written = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_data()?;
            std::fs::rename(&tmp, &path)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(e));
        }
        Ok(path)
    }

    /// Forget the cached discovery of `server` (a missing file is fine).
    pub fn remove(&self, server: &str) -> std::io::Result<()> {
        let _ = std::fs::remove_file(self.confirmation_path_for(server));
        match std::fs::remove_file(self.path_for(server)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// A number distinct between the writes of one process (threads included).
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    (N.fetch_add(1, Ordering::Relaxed) << 32) | nanos
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIResource, APIResourceList};

    fn discovery(n: usize) -> Discovery {
        let mut d = Discovery::default();
        let resources = (0..n)
            .map(|i| APIResource {
                name: format!("widgets{i}"),
                kind: format!("Widget{i}"),
                namespaced: true,
                verbs: vec!["get".into(), "list".into()],
                ..Default::default()
            })
            .collect();
        d.add_list(
            "example.com",
            "v1",
            true,
            APIResourceList {
                group_version: "example.com/v1".into(),
                resources,
            },
        );
        d
    }

    const SERVER: &str = "https://127.0.0.1:6443";

    #[test]
    fn file_names_follow_the_server_url() {
        let c = DiscoveryCache::new("/c");
        assert_eq!(
            c.path_for("https://127.0.0.1:6443"),
            Path::new("/c/127.0.0.1_6443.json")
        );
        assert_eq!(
            c.path_for("https://rancher.example.com/k8s/clusters/c-1/"),
            Path::new("/c/rancher.example.com_k8s_clusters_c-1.json")
        );
    }

    #[test]
    fn round_trip_and_ttl() {
        let dir = tempfile::tempdir().unwrap();
        let c = DiscoveryCache::new(dir.path().join("d"));
        assert!(matches!(c.load(SERVER), Lookup::Missing));
        let d = discovery(3);
        c.store(SERVER, "v1.20.2", &d).unwrap();
        let Lookup::Fresh(got) = c.load(SERVER) else {
            panic!("not fresh")
        };
        assert_eq!(got.server_version, "v1.20.2");
        assert_eq!(got.discovery.resources, d.resources);
        // another server with the same file name is not this one
        assert!(matches!(c.load("http://127.0.0.1:6443"), Lookup::Missing));
        let later = SystemTime::now() + DEFAULT_TTL + Duration::from_secs(1);
        assert!(matches!(c.load_at(SERVER, later), Lookup::Expired));
        let earlier = SystemTime::now() - Duration::from_secs(3600);
        assert!(matches!(c.load_at(SERVER, earlier), Lookup::Expired));
        // a partial discovery is refetched sooner
        let mut partial = discovery(1);
        partial
            .failed
            .push(("metrics.k8s.io/v1beta1".into(), "503".into()));
        c.store(SERVER, "v1.20.2", &partial).unwrap();
        let soon = SystemTime::now() + PARTIAL_TTL + Duration::from_secs(1);
        assert!(matches!(c.load_at(SERVER, soon), Lookup::Expired));
        c.remove(SERVER).unwrap();
        c.remove(SERVER).unwrap();
        assert!(matches!(c.load(SERVER), Lookup::Missing));
    }

    #[test]
    fn the_version_is_rechecked_once_its_confirmation_is_old() {
        let dir = tempfile::tempdir().unwrap();
        let c = DiscoveryCache::new(dir.path().join("d"));
        c.store(SERVER, "v1.20.2", &discovery(2)).unwrap();
        let Lookup::Fresh(got) = c.load(SERVER) else {
            panic!("not fresh")
        };
        // written just now: the fetch confirmed the version
        assert!(!got.version_check_due());
        let now = SystemTime::now();
        assert!(got.version_check_due_at(now + VERSION_RECHECK + Duration::from_secs(1)));
        // a confirmation in the future (a clock set back) is not trusted
        assert!(got.version_check_due_at(now - Duration::from_secs(3600)));
        // a later confirmation moves the window
        c.confirm_version(SERVER).unwrap();
        let Lookup::Fresh(again) = c.load(SERVER) else {
            panic!("not fresh")
        };
        assert!(again.version_confirmed_at >= got.fetched_at);
        // an old confirmation file does not count for a newer cache file
        let f = std::fs::File::create(c.confirmation_path_for(SERVER)).unwrap();
        f.set_modified(now - Duration::from_secs(7200)).unwrap();
        let Lookup::Fresh(third) = c.load(SERVER) else {
            panic!("not fresh")
        };
        assert_eq!(third.version_confirmed_at, third.fetched_at);
        // removing the cache removes its confirmation
        c.remove(SERVER).unwrap();
        assert!(!c.confirmation_path_for(SERVER).exists());
    }

    #[test]
    fn damaged_and_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let c = DiscoveryCache::new(dir.path());
        c.store(SERVER, "v1.20.2", &discovery(50)).unwrap();
        let path = c.path_for(SERVER);
        let whole = std::fs::read(&path).unwrap();
        std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
        assert!(matches!(c.load(SERVER), Lookup::Damaged(_)));
        std::fs::write(&path, br#"{"format": 99, "other": true}"#).unwrap();
        assert!(matches!(c.load(SERVER), Lookup::Missing));
        // storing over a damaged file repairs it
        c.store(SERVER, "v1.20.2", &discovery(2)).unwrap();
        assert!(matches!(c.load(SERVER), Lookup::Fresh(_)));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    /// Writers and readers at once, in threads of one process (the cluster tests do the same
    /// with processes): a reader finds a whole file of one of the written sizes, every time.
    #[test]
    fn readers_never_see_a_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let c = DiscoveryCache::new(dir.path());
        let sizes = [400usize, 2000, 4000];
        c.store(SERVER, "v1.20.2", &discovery(sizes[0])).unwrap();
        std::thread::scope(|s| {
            for size in sizes {
                let c = &c;
                s.spawn(move || {
                    let d = discovery(size);
                    for _ in 0..30 {
                        c.store(SERVER, "v1.20.2", &d).unwrap();
                    }
                });
            }
            for _ in 0..3 {
                let c = &c;
                s.spawn(move || {
                    for _ in 0..200 {
                        match c.load(SERVER) {
                            Lookup::Fresh(got) => {
                                assert!(sizes.contains(&got.discovery.resources.len()))
                            }
                            other => panic!("a reader saw {other:?}"),
                        }
                    }
                });
            }
        });
    }
}
