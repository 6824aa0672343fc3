//! The discovery cache on disk against a real kube-apiserver: a second process answers from
//! the disk with one request (the query; `/version` too once the last version check is five
//! minutes old), a type the cache does not know
//! refetches and rewrites it, a server of another version is not answered from it, and
//! processes running at once never read a half-written file (the apiserver's audit log
//! tells which requests each one sent).

#[path = "../support/mod.rs"]
mod support;

mod processes;

use std::path::Path;

use klue::cluster::discovery_cache::Lookup;
use klue::cluster::{Cluster, ConnectOptions, DiscoveryCache};
use klue::exec::{ExecError, Executor};
use support::{AuditEntry, TestEnv, User};

/// The tests here count requests per user in the audit log: one at a time.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A discovery request: `/api`, `/apis`, a group, or a group version's resource list.
pub fn is_discovery(e: &AuditEntry) -> bool {
    let path = e.request_uri.split('?').next().unwrap_or_default();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(
        segs.as_slice(),
        ["api"] | ["apis"] | ["api", _] | ["apis", _] | ["apis", _, _]
    )
}

/// `user`'s requests after the first `mark` audit entries.
pub fn requests_since(env: &TestEnv, mark: usize, user: User) -> Vec<AuditEntry> {
    let all = env.audit();
    support::audit::requests_by(&all[mark.min(all.len())..], user.username())
}

async fn executor(env: &TestEnv, cache: &DiscoveryCache) -> Executor {
    let cluster = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(env.kubeconfig(User::Viewer).to_path_buf()),
        ..Default::default()
    })
    .await
    .expect("connect")
    .with_discovery_cache(Some(cache.clone()));
    Executor::new(cluster)
}

async fn run(ex: &Executor, line: &str) -> Result<String, ExecError> {
    let q = klue::query::parse(line).expect("parse");
    ex.run(&q).await.map(|o| o.text)
}

fn uris(entries: &[AuditEntry]) -> Vec<String> {
    entries.iter().map(|e| e.request_uri.clone()).collect()
}

const GADGETS: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.stable.example.com}
spec:
  group: stable.example.com
  names: {kind: Gadget, listKind: GadgetList, plural: gadgets, singular: gadget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"#;

/// Create the Gadget CRD and wait until the server lists it.
async fn create_gadgets(env: &TestEnv) {
    support::apply(env, GADGETS).await.expect("create the CRD");
    let admin = env.client(User::Admin).await;
    for _ in 0..100 {
        if let Ok(list) = admin
            .list_api_group_resources("stable.example.com/v1")
            .await
            && list.resources.iter().any(|r| r.name == "gadgets")
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the gadgets CRD was never served");
}

/// Make the last version confirmation older than the recheck interval (the cache file's own
/// time too, which counts as a confirmation).
fn age_confirmation(cache: &DiscoveryCache, server: &str) {
    let old = std::time::SystemTime::now() - klue::cluster::discovery_cache::VERSION_RECHECK * 2;
    let path = cache.confirmation_path_for(server);
    let f = std::fs::File::create(&path).expect("confirmation file");
    f.set_modified(old).expect("set its time");
    let file = cache.path_for(server);
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    let secs = old
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    v["fetched_at"] = serde_json::Value::from(secs);
    std::fs::write(&file, serde_json::to_vec(&v).expect("json")).expect("write");
}

fn set_cached_version(path: &Path, version: &str) {
    let text = std::fs::read_to_string(path).expect("read the cache");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("the cache is JSON");
    v["server_version"] = serde_json::Value::String(version.into());
    std::fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
}

#[tokio::test]
async fn second_process_reads_the_disk_then_refetches_when_stale() {
    let env = support::testenv!();
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = DiscoveryCache::new(dir.path().join("discovery"));
    let file = cache.path_for(&env.server);

    // 1. no cache: full discovery (and the server's version), then the query; the file is
    //    written
    let mark = env.audit().len();
    let first = executor(env, &cache).await;
    run(&first, "get namespaces").await.expect("get namespaces");
    let sent = requests_since(env, mark, User::Viewer);
    let discovery = sent.iter().filter(|e| is_discovery(e)).count();
    assert!(
        discovery >= 10,
        "only {discovery} discovery requests: {:?}",
        uris(&sent)
    );
    assert!(file.exists(), "no cache file at {}", file.display());
    let Lookup::Fresh(cached) = cache.load(&env.server) else {
        panic!("the cache is not fresh right after writing it")
    };
    assert!(
        cached.server_version.starts_with("v1."),
        "{}",
        cached.server_version
    );

    // 2. a new process right after: the query, nothing else (the version was confirmed
    //    when the cache was written, moments ago)
    let mark = env.audit().len();
    let second = executor(env, &cache).await;
    let out = run(&second, "get namespaces")
        .await
        .expect("get namespaces");
    assert!(out.contains("default"), "{out}");
    let sent = uris(&requests_since(env, mark, User::Viewer));
    assert_eq!(sent, ["/api/v1/namespaces?limit=500"], "{sent:?}");
    // the connection check still asks the server (it is what tells an unreachable one)
    let mark = env.audit().len();
    let facts = second.cluster().check().await.expect("check");
    assert!(
        facts.cached && facts.version == cached.server_version,
        "{facts:?}"
    );
    assert_eq!(uris(&requests_since(env, mark, User::Viewer)), ["/version"]);

    // 2b. once the last confirmation is older than the recheck interval: /version, then the
    //     query, and the confirmation is renewed
    age_confirmation(&cache, &env.server);
    let mark = env.audit().len();
    let later = executor(env, &cache).await;
    run(&later, "get namespaces").await.expect("get namespaces");
    let sent = uris(&requests_since(env, mark, User::Viewer));
    assert_eq!(
        sent,
        ["/version", "/api/v1/namespaces?limit=500"],
        "{sent:?}"
    );
    let Lookup::Fresh(c) = cache.load(&env.server) else {
        panic!("the cache is not fresh")
    };
    assert!(!c.version_check_due(), "the confirmation was not renewed");

    // 3. a type created after the cache was written: not in it, so discovery is refetched,
    //    the query works, and the cache now has the type
    create_gadgets(env).await;
    let mark = env.audit().len();
    let third = executor(env, &cache).await;
    let out = run(&third, "get gadgets -A").await;
    assert!(
        matches!(&out, Ok(t) if t.contains("No resources found")),
        "{out:?}"
    );
    let sent = requests_since(env, mark, User::Viewer);
    assert!(
        sent.iter().filter(|e| is_discovery(e)).count() >= 10,
        "the unknown type did not refetch discovery: {:?}",
        uris(&sent)
    );
    let Lookup::Fresh(cached) = cache.load(&env.server) else {
        panic!("the cache was not rewritten")
    };
    assert!(cached.discovery.resolve("gadgets").is_ok());
    // ... and the next process finds it there
    let mark = env.audit().len();
    let fourth = executor(env, &cache).await;
    run(&fourth, "get gadgets -A").await.expect("get gadgets");
    let sent = requests_since(env, mark, User::Viewer);
    assert_eq!(
        uris(&sent),
        ["/apis/stable.example.com/v1/gadgets?limit=500"]
    );

    // a type the server does not have either: refetched once, then the specific error
    let mark = env.audit().len();
    let fifth = executor(env, &cache).await;
    match run(&fifth, "get gadgetz").await {
        Err(ExecError::UnknownResource { did_you_mean, .. }) => {
            assert_eq!(did_you_mean.as_deref(), Some("gadgets"))
        }
        other => panic!("expected an unknown type, got {other:?}"),
    }
    let sent = requests_since(env, mark, User::Viewer);
    let discovery = sent.iter().filter(|e| is_discovery(e)).count();
    assert!(discovery >= 10, "{:?}", uris(&sent));
    // asking again in the same process does not refetch a discovery just fetched
    let mark = env.audit().len();
    assert!(run(&fifth, "get gadgetz").await.is_err());
    assert_eq!(requests_since(env, mark, User::Viewer).len(), 0);

    // 4. the server's version is not the cached one (an upgrade, noticed at the next
    //    version check): refetched, rewritten
    set_cached_version(&file, "v1.19.0");
    age_confirmation(&cache, &env.server);
    let mark = env.audit().len();
    let sixth = executor(env, &cache).await;
    run(&sixth, "get namespaces").await.expect("get namespaces");
    let sent = requests_since(env, mark, User::Viewer);
    assert!(
        sent.iter().filter(|e| is_discovery(e)).count() >= 10,
        "a cache of another server version was used: {:?}",
        uris(&sent)
    );
    let Lookup::Fresh(cached) = cache.load(&env.server) else {
        panic!("the cache was not rewritten")
    };
    assert_ne!(cached.server_version, "v1.19.0");

    // 5. a damaged file is refetched over, never trusted
    std::fs::write(&file, b"{\"format\":1,\"server\":").unwrap();
    let mark = env.audit().len();
    let seventh = executor(env, &cache).await;
    run(&seventh, "get namespaces")
        .await
        .expect("get namespaces");
    let sent = requests_since(env, mark, User::Viewer);
    assert!(sent.iter().filter(|e| is_discovery(e)).count() >= 10);
    assert!(matches!(cache.load(&env.server), Lookup::Fresh(_)));
}

#[tokio::test]
async fn the_connection_check_reports_the_server() {
    let env = support::testenv!();
    let cluster = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(env.kubeconfig(User::Viewer).to_path_buf()),
        ..Default::default()
    })
    .await
    .expect("connect");
    let facts = cluster.check().await.expect("check");
    assert!(facts.version.starts_with("v1."), "{facts:?}");
    assert!(!facts.cached && facts.resources > 20, "{facts:?}");
}
