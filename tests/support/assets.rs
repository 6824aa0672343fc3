//! Finding etcd and kube-apiserver (the envtest convention: `KUBEBUILDER_ASSETS`), and the
//! policy when they are missing: skip with a clear message, or fail under
//! `KLUE_REQUIRE_CLUSTER=1` (set by scripts/test.sh).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub const SKIP_MESSAGE: &str = "cluster tests not run: no kube-apiserver/etcd found; run scripts/test.sh (or set KUBEBUILDER_ASSETS)";

/// The directory holding `etcd` and `kube-apiserver`, if there is one.
///
/// `KUBEBUILDER_ASSETS` wins (and must then be complete); otherwise the cache that
/// scripts/provision-testenv.sh fills (`$KLUE_TESTENV_CACHE` or
/// `$XDG_CACHE_HOME/klue-testenv`, `~/.cache/klue-testenv` by default).
pub fn find() -> Result<Option<PathBuf>, String> {
    if let Some(dir) = std::env::var_os("KUBEBUILDER_ASSETS").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return if complete(&dir) {
            Ok(Some(dir))
        } else {
            Err(format!(
                "KUBEBUILDER_ASSETS={} does not hold both etcd and kube-apiserver",
                dir.display()
            ))
        };
    }
    let cache = if let Some(c) = std::env::var_os("KLUE_TESTENV_CACHE").filter(|c| !c.is_empty()) {
        PathBuf::from(c)
    } else if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|c| !c.is_empty()) {
        PathBuf::from(x).join("klue-testenv")
    } else if let Some(h) = std::env::var_os("HOME") {
        PathBuf::from(h).join(".cache/klue-testenv")
    } else {
        return Ok(None);
    };
    let bin = cache.join("bin");
    Ok(complete(&bin).then_some(bin))
}

fn complete(dir: &Path) -> bool {
    is_executable(&dir.join("etcd")) && is_executable(&dir.join("kube-apiserver"))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Whether a missing control plane is a failure (scripts/test.sh sets this).
pub fn required() -> bool {
    std::env::var("KLUE_REQUIRE_CLUSTER").is_ok_and(|v| v == "1" || v == "true")
}

/// Says once per test process, on the real stderr (not the captured test output), that the
/// cluster tests were skipped.
pub fn announce_skip() {
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::SeqCst) {
        let _ = writeln!(std::io::stderr(), "\n{SKIP_MESSAGE}\n");
    }
}
