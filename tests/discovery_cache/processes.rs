//! `klue query` processes sharing one cache directory at once: some rewrite the cache over
//! and over (each asks for a type no server has, which refetches discovery and writes the
//! file again) while others read it. A reader that met a half-written file would find it
//! damaged and fetch discovery itself, which the audit log would show under its user; so
//! the readers' requests must be their query (and `/version`, when the version check is
//! due), and nothing else.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{self, User};
use crate::{SERIAL, is_discovery, requests_since};

fn klue(kubeconfig: &Path, cache_home: &Path, line: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_klue"));
    c.arg("query")
        .arg(line)
        .env("KUBECONFIG", kubeconfig)
        .env("XDG_CACHE_HOME", cache_home)
        .env_remove("KLUE_NO_CACHE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

#[tokio::test]
async fn concurrent_processes_never_read_a_half_written_cache() {
    let env = support::testenv!();
    let _serial = SERIAL.lock().await;
    let home = tempfile::tempdir().unwrap();
    let viewer = env.kubeconfig(User::Viewer).to_path_buf();
    let admin = env.kubeconfig(User::Admin).to_path_buf();

    // a first process fills the cache
    let out = klue(&viewer, home.path(), "get namespaces")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = klue::cluster::DiscoveryCache::new(home.path().join("klue/discovery"))
        .path_for(&env.server);
    assert!(file.exists(), "the CLI did not write {}", file.display());

    let mark = env.audit().len();
    const WRITERS: usize = 3;
    const WAVES: usize = 8;
    const READERS: usize = 4;
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (admin, home) = (admin.clone(), home.path().to_path_buf());
            std::thread::spawn(move || {
                let mut rewrites = 0;
                for _ in 0..WAVES {
                    let out = klue(&admin, &home, "get nosuchtypes").output().unwrap();
                    let err = String::from_utf8_lossy(&out.stderr).into_owned();
                    assert!(err.contains("doesn't have a resource type"), "{err}");
                    rewrites += 1;
                }
                rewrites
            })
        })
        .collect();
    let mut reads = 0;
    for _ in 0..WAVES {
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                klue(&viewer, home.path(), "get namespaces")
                    .spawn()
                    .unwrap()
            })
            .collect();
        for r in readers {
            let out = r.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("default"),
                "a reader failed: {}{stdout}",
                String::from_utf8_lossy(&out.stderr)
            );
            reads += 1;
        }
    }
    let rewrites: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!((reads, rewrites), (WAVES * READERS, WAVES * WRITERS));

    // the writers did rewrite the cache (full discovery each time) ...
    let by_admin = requests_since(env, mark, User::Admin);
    let admin_discovery = by_admin.iter().filter(|e| is_discovery(e)).count();
    assert!(
        admin_discovery >= rewrites * 10,
        "the writers sent only {admin_discovery} discovery requests"
    );
    // ... and every reader answered from a whole file: its query (and /version if due)
    let by_viewer = requests_since(env, mark, User::Viewer);
    let unexpected: Vec<&str> = by_viewer
        .iter()
        .map(|e| e.request_uri.as_str())
        .filter(|u| *u != "/version" && !u.starts_with("/api/v1/namespaces?"))
        .collect();
    assert!(
        unexpected.is_empty(),
        "readers fetched discovery themselves (a damaged or missing cache): {} requests, {:?}",
        unexpected.len(),
        &unexpected[..unexpected.len().min(8)]
    );
    let queries = by_viewer
        .iter()
        .filter(|e| e.request_uri.starts_with("/api/v1/namespaces?"))
        .count();
    assert_eq!(queries, reads, "{by_viewer:?}");
    // the writers confirmed the version moments ago: the readers need not ask it
    assert!(by_viewer.len() <= 2 * reads, "{by_viewer:?}");
}
