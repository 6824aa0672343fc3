//! klue's test control plane: a real etcd + kube-apiserver (and a kubelet log stub), started
//! once per test binary and shared by its tests.
//!
//! ```ignore
//! #[path = "../support/mod.rs"]
//! mod support;
//!
//! #[tokio::test]
//! async fn lists_pods() {
//!     let env = support::seeded_testenv!(); // or support::testenv!() for an empty cluster
//!     let viewer = env.kubeconfig(support::User::Viewer);
//!     // ... run klue with `viewer`, compare with kubectl, read env.audit() ...
//! }
//! ```
//!
//! Binaries: `KUBEBUILDER_ASSETS` (a directory with `etcd` and `kube-apiserver`), else the
//! cache scripts/provision-testenv.sh fills. Without them the macros print that the cluster
//! tests were not run and return, unless `KLUE_REQUIRE_CLUSTER=1` (scripts/test.sh), where
//! they fail. Processes die with the test process (PR_SET_PDEATHSIG).
#![allow(dead_code, unused_imports, unused_macros)]

pub mod assets;
pub mod audit;
pub mod control_plane;
pub mod kubeconfig;
pub mod kubelet;
pub mod llama;
pub mod pki;
pub mod procs;
pub mod seed;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use audit::AuditEntry;
pub use control_plane::TestEnv;
pub use kubeconfig::{Kubeconfigs, User};
pub use kubelet::{LogLine, LogStub};

/// The shared control plane of this test binary, with RBAC for the test users; `None`
/// (after saying so once) when the binaries are missing and the cluster is not required.
/// Panics with the reason if it cannot start. Blocks the caller while starting; usable from
/// any runtime, or none.
pub fn shared() -> Option<&'static TestEnv> {
    static SHARED: OnceLock<Result<TestEnv, String>> = OnceLock::new();
    if !available() {
        return None;
    }
    match SHARED.get_or_init(TestEnv::start) {
        Ok(env) => Some(env),
        Err(e) => panic!("{e}"),
    }
}

/// [`shared`], seeded once with the standard fixture (tests/fixtures/seed/) and its
/// container logs registered in the kubelet stub.
pub fn seeded() -> Option<&'static TestEnv> {
    static SEEDED: OnceLock<Result<(), String>> = OnceLock::new();
    let env = shared()?;
    match SEEDED.get_or_init(|| seed_standard(env)) {
        Ok(()) => Some(env),
        Err(e) => panic!("testenv: seeding the standard fixture: {e}"),
    }
}

/// Whether the control plane binaries are there; when they are not, says so (once) or
/// panics under `KLUE_REQUIRE_CLUSTER=1`.
pub fn available() -> bool {
    match assets::find() {
        Ok(Some(_)) => true,
        Ok(None) if assets::required() => {
            panic!("{} (KLUE_REQUIRE_CLUSTER=1)", assets::SKIP_MESSAGE)
        }
        Ok(None) => {
            assets::announce_skip();
            false
        }
        Err(e) => panic!("{e}"),
    }
}

/// Selects rustls' process-wide crypto provider (ring) if none is chosen yet: more than one
/// provider is compiled into the dependency graph, so rustls cannot pick one itself.
pub fn install_crypto_provider() {
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
}

/// The process-wide kubelet log stub.
pub fn kubelet() -> LogStub {
    match kubelet::stub() {
        Ok(s) => s,
        Err(e) => panic!("testenv: kubelet log stub: {e}"),
    }
}

/// The repository's tests/fixtures directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Seeds `env` with the standard fixture: every manifest in tests/fixtures/seed/ and the
/// container logs in tests/fixtures/seed/logs/<ns>/<pod>/<container>[.previous].log.
pub fn seed_standard(env: &TestEnv) -> Result<(), String> {
    let stub = kubelet::stub()?;
    register_logs(&stub, &fixtures_dir().join("seed/logs"))?;
    seed_dir(env, &fixtures_dir().join("seed"))
}

/// Applies every manifest in `dir` as the admin (placeholders rendered, nodes pointed at the
/// kubelet stub). Blocks; usable from any runtime.
pub fn seed_dir(env: &TestEnv, dir: &Path) -> Result<(), String> {
    let vars = seed::Vars {
        kubelet_port: kubelet::stub()?.port(),
    };
    let admin = env.kubeconfigs.admin.clone();
    let dir = dir.to_path_buf();
    run_isolated(async move {
        let client = seed::client_for(&admin).await?;
        seed::apply_dir(&client, &dir, &vars).await.map(|_| ())
    })
}

/// Applies manifests (YAML or JSON text, placeholders rendered) as the admin.
pub async fn apply(env: &TestEnv, text: &str) -> Result<Vec<String>, String> {
    let vars = seed::Vars {
        kubelet_port: kubelet::stub()?.port(),
    };
    let mut objects = seed::parse_manifests(&seed::render(text, &vars))?;
    for o in &mut objects {
        seed::fill_node_endpoints(o, vars.kubelet_port);
    }
    let client = env.client(User::Admin).await;
    seed::apply_objects(&client, objects).await
}

/// Creates namespace `ns` with `count` ConfigMaps `big-0`… of about `bytes` each (one
/// multi-line file, as a ConfigMap of a large config would hold), as the admin: objects far
/// past any output cap, near the apiserver's own limit on one object (~1.5 MiB in etcd).
pub async fn seed_huge(env: &TestEnv, ns: &str, count: usize, bytes: usize) -> Result<(), String> {
    let line = "setting.with.a.longish.name = some value that repeats\n";
    let file = line.repeat(bytes / line.len() + 1);
    let mut objects = vec![serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}
    })];
    for i in 0..count {
        objects.push(serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("big-{i}"), "namespace": ns},
            "data": {"app.properties": file},
        }));
    }
    let client = env.client(User::Admin).await;
    seed::apply_objects(&client, objects).await.map(|_| ())
}

/// Registers `<dir>/<ns>/<pod>/<container>.log` (and `<container>.previous.log`).
pub fn register_logs(stub: &LogStub, dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Ok(());
    }
    let read_dir = |d: &Path| -> Result<Vec<PathBuf>, String> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .map_err(|e| format!("read {}: {e}", d.display()))?
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        Ok(v)
    };
    let name = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string()
    };
    for ns in read_dir(dir)?.into_iter().filter(|p| p.is_dir()) {
        for pod in read_dir(&ns)?.into_iter().filter(|p| p.is_dir()) {
            for file in read_dir(&pod)? {
                let file_name = name(&file);
                let Some(container) = file_name.strip_suffix(".log") else {
                    continue;
                };
                if container.ends_with(".previous") {
                    continue;
                }
                let current = std::fs::read_to_string(&file)
                    .map_err(|e| format!("read {}: {e}", file.display()))?;
                let prev_path = pod.join(format!("{container}.previous.log"));
                let previous = std::fs::read_to_string(&prev_path).ok();
                stub.set(
                    &name(&ns),
                    &name(&pod),
                    container,
                    &current,
                    previous.as_deref(),
                );
            }
        }
    }
    Ok(())
}

/// Runs `fut` to completion on a new thread with its own runtime, so it works whether or not
/// the caller is inside a runtime.
pub fn run_isolated<T, F>(fut: F) -> Result<T, String>
where
    F: std::future::Future<Output = Result<T, String>> + Send + 'static,
    T: Send + 'static,
{
    let handle = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?;
        rt.block_on(fut)
    });
    handle
        .join()
        .map_err(|_| "testenv worker thread panicked".to_string())?
}

/// `let env = support::testenv!();` — the shared control plane, or return early (after a
/// clear message) when the binaries are missing and the cluster is not required.
macro_rules! testenv {
    () => {
        match $crate::support::shared() {
            Some(env) => env,
            None => return,
        }
    };
}

/// `let env = support::seeded_testenv!();` — like `testenv!`, seeded with the standard
/// fixture.
macro_rules! seeded_testenv {
    () => {
        match $crate::support::seeded() {
            Some(env) => env,
            None => return,
        }
    };
}

pub(crate) use seeded_testenv;
pub(crate) use testenv;
