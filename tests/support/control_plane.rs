//! One etcd + kube-apiserver pair on free loopback ports, with token users, RBAC, audit
//! logging and kubeconfigs.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::audit::{self, AuditEntry};
use super::kubeconfig::{self, Kubeconfigs, User};
use super::{assets, pki, procs, run_isolated, seed};

/// RBAC for the test users: `klue-viewer` (group `klue:viewers`) gets the built-in `view`
/// ClusterRole plus read on what `view` leaves out but an on-call engineer reads.
/// `limited` gets nothing.
const RBAC: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: klue-viewer-extra
rules:
- apiGroups: [""]
  resources: [nodes, events, persistentvolumes, secrets, componentstatuses]
  verbs: [get, list, watch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [get, list, watch]
- apiGroups: [storage.k8s.io]
  resources: [storageclasses, volumeattachments, csidrivers, csinodes]
  verbs: [get, list, watch]
- apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [get, list, watch]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [clusterroles, clusterrolebindings, roles, rolebindings]
  verbs: [get, list, watch]
- apiGroups: [metrics.k8s.io, stable.example.com, scheduling.k8s.io, node.k8s.io, admissionregistration.k8s.io, apiregistration.k8s.io, flowcontrol.apiserver.k8s.io, certificates.k8s.io, coordination.k8s.io, discovery.k8s.io]
  resources: ["*"]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: klue-viewers-view
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "klue:viewers"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: klue-viewers-extra
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: klue-viewer-extra}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "klue:viewers"}
"#;

/// A running control plane. The shared one (see [`super::shared`]) lives until the test
/// process exits; a private one ([`TestEnv::start`]) is stopped when dropped. Either way the
/// kernel kills its processes when the test process ends.
pub struct TestEnv {
    /// Directory with the certificates, tokens, kubeconfigs, logs and etcd's data.
    pub dir: PathBuf,
    /// `https://127.0.0.1:<port>`.
    pub server: String,
    /// The CA certificate kubeconfigs trust.
    pub ca_path: PathBuf,
    pub kubeconfigs: Kubeconfigs,
    /// The apiserver's audit log (one JSON event per line, level Metadata).
    pub audit_log: PathBuf,
    tokens: HashMap<User, String>,
    etcd: Mutex<Option<Child>>,
    apiserver: Mutex<Option<Child>>,
}

impl TestEnv {
    /// Starts a new, private control plane (a few seconds), with the test users' RBAC in
    /// place. Usable from inside or outside a tokio runtime (it blocks the calling thread).
    pub fn start() -> Result<TestEnv, String> {
        super::install_crypto_provider();
        let bin = match assets::find()? {
            Some(bin) => bin,
            None => return Err(assets::SKIP_MESSAGE.to_string()),
        };
        let mut last = String::new();
        for _attempt in 0..3 {
            match Self::start_once(&bin) {
                Ok(env) => return Ok(env),
                Err(StartError::PortTaken(e)) => last = e,
                Err(StartError::Fatal(e)) => return Err(e),
            }
        }
        Err(format!(
            "testenv: could not bind free ports three times: {last}"
        ))
    }

    fn start_once(bin: &Path) -> Result<TestEnv, StartError> {
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = procs::base_dir().join(format!("{}-{n}", std::process::id()));
        let fatal = |what: &str, e: &dyn std::fmt::Display| {
            StartError::Fatal(format!("testenv: {what}: {e}"))
        };
        std::fs::create_dir_all(&dir).map_err(|e| fatal("create dir", &e))?;

        let pki = pki::generate().map_err(|e| fatal("generate certificates", &e))?;
        let write = |name: &str, text: &str| -> Result<PathBuf, StartError> {
            let p = dir.join(name);
            std::fs::write(&p, text).map_err(|e| fatal(&format!("write {name}"), &e))?;
            Ok(p)
        };
        let ca_path = write("ca.crt", &pki.ca_cert_pem)?;
        let serving_cert = write("apiserver.crt", &pki.serving_cert_pem)?;
        let serving_key = write("apiserver.key", &pki.serving_key_pem)?;
        let sa_key = write("sa.key", &pki.sa_key_pem)?;
        let sa_pub = write("sa.pub", &pki.sa_pub_pem)?;
        let mut tokens = HashMap::new();
        let mut csv = String::new();
        for (i, user) in User::ALL.iter().enumerate() {
            let token = format!("{}-{}-{}", user.username(), random_hex(), i);
            csv.push_str(&format!(
                "{token},{},{},\"{}\"\n",
                user.username(),
                100 + i,
                user.groups()
            ));
            tokens.insert(*user, token);
        }
        let tokens_csv = write("tokens.csv", &csv)?;
        let audit_policy = write(
            "audit-policy.yaml",
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n",
        )?;
        let audit_log = dir.join("audit.log");

        let port = |what: &str| procs::free_port().map_err(|e| fatal(what, &e));
        let (etcd_port, peer_port, api_port) = (port("port")?, port("port")?, port("port")?);
        let etcd_url = format!("http://127.0.0.1:{etcd_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let mut etcd_cmd = Command::new(bin.join("etcd"));
        etcd_cmd
            .arg("--data-dir")
            .arg(dir.join("etcd"))
            .args(["--listen-client-urls", &etcd_url])
            .args(["--advertise-client-urls", &etcd_url])
            .args(["--listen-peer-urls", &peer_url])
            .args(["--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("default={peer_url}")])
            .args(["--quota-backend-bytes", "8589934592"]);
        let etcd =
            spawn_logged(etcd_cmd, &dir.join("etcd.log")).map_err(|e| fatal("start etcd", &e))?;

        let p = |path: &Path| path.display().to_string();
        let mut api_cmd = Command::new(bin.join("kube-apiserver"));
        api_cmd.args([
            format!("--etcd-servers={etcd_url}"),
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            format!("--secure-port={api_port}"),
            format!("--cert-dir={}", p(&dir.join("certs"))),
            format!("--tls-cert-file={}", p(&serving_cert)),
            format!("--tls-private-key-file={}", p(&serving_key)),
            format!("--token-auth-file={}", p(&tokens_csv)),
            "--authorization-mode=RBAC".into(),
            format!("--service-account-key-file={}", p(&sa_pub)),
            format!("--service-account-signing-key-file={}", p(&sa_key)),
            "--service-account-issuer=https://kubernetes.default.svc".into(),
            "--service-cluster-ip-range=10.96.0.0/16".into(),
            "--disable-admission-plugins=ServiceAccount".into(),
            "--endpoint-reconciler-type=none".into(),
            format!("--audit-log-path={}", p(&audit_log)),
            format!("--audit-policy-file={}", p(&audit_policy)),
            "--kubelet-preferred-address-types=InternalIP".into(),
            "--profiling=false".into(),
        ]);
        if version_at_most_1_23(bin) {
            api_cmd.arg("--insecure-port=0");
        }
        let apiserver = match spawn_logged(api_cmd, &dir.join("apiserver.log")) {
            Ok(c) => c,
            Err(e) => return Err(fatal("start kube-apiserver", &e)),
        };
        let kubeconfigs = kubeconfig::write_all(
            &dir,
            &format!("https://127.0.0.1:{api_port}"),
            &ca_path,
            |u| tokens[&u].clone(),
        )
        .map_err(|e| fatal("write kubeconfigs", &e))?;

        let env = TestEnv {
            server: format!("https://127.0.0.1:{api_port}"),
            ca_path,
            kubeconfigs,
            audit_log,
            tokens,
            etcd: Mutex::new(Some(etcd)),
            apiserver: Mutex::new(Some(apiserver)),
            dir,
        };
        env.wait_ready(Duration::from_secs(90))?;
        let admin = env.kubeconfigs.admin.clone();
        let viewer = env.kubeconfigs.viewer.clone();
        run_isolated(async move {
            let client = seed::client_for(&admin).await?;
            seed::apply_manifests(&client, RBAC).await?;
            aggregate_cluster_roles(&client).await?;
            // The authorizer sees new bindings through an informer: wait until it does.
            let viewer = seed::client_for(&viewer).await?;
            let mut last = String::new();
            for _ in 0..100 {
                let pods = viewer
                    .request_text(
                        http::Request::get("/api/v1/pods?limit=1")
                            .body(Vec::new())
                            .map_err(|e| e.to_string())?,
                    )
                    .await;
                let nodes = viewer
                    .request_text(
                        http::Request::get("/api/v1/nodes?limit=1")
                            .body(Vec::new())
                            .map_err(|e| e.to_string())?,
                    )
                    .await;
                match (pods, nodes) {
                    (Ok(_), Ok(_)) => return Ok(()),
                    (Err(e), _) | (_, Err(e)) => last = e.to_string(),
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(format!("klue-viewer's bindings never took effect: {last}"))
        })
        .map_err(|e| StartError::Fatal(format!("testenv: RBAC for the test users: {e}")))?;
        Ok(env)
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), StartError> {
        let deadline = Instant::now() + timeout;
        let admin = self.kubeconfigs.admin.clone();
        let probe = run_isolated(async move {
            let client = seed::client_for(&admin).await?;
            let mut last = String::new();
            while Instant::now() < deadline {
                let req = http::Request::get("/readyz")
                    .body(Vec::new())
                    .map_err(|e| e.to_string())?;
                match client.request_text(req).await {
                    Ok(body) if body.trim() == "ok" => return Ok(()),
                    Ok(body) => last = body,
                    Err(e) => last = e.to_string(),
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(last)
        });
        if probe.is_ok() {
            return Ok(());
        }
        // Not ready: tell why, from the processes' own logs.
        let log = |name: &str| {
            let mut text = String::new();
            if let Ok(mut f) = std::fs::File::open(self.dir.join(name)) {
                let _ = f.read_to_string(&mut text);
            }
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        };
        let (api_log, etcd_log) = (log("apiserver.log"), log("etcd.log"));
        self.stop();
        let msg = format!(
            "testenv: kube-apiserver not ready: {}\n--- apiserver.log (tail)\n{api_log}\n--- etcd.log (tail)\n{etcd_log}",
            probe.err().unwrap_or_default()
        );
        if api_log.contains("address already in use") || etcd_log.contains("address already in use")
        {
            Err(StartError::PortTaken(msg))
        } else {
            Err(StartError::Fatal(msg))
        }
    }

    /// The bearer token of `user`.
    pub fn token(&self, user: User) -> &str {
        &self.tokens[&user]
    }

    /// The kubeconfig with only `user` in it.
    pub fn kubeconfig(&self, user: User) -> &Path {
        self.kubeconfigs.for_user(user)
    }

    /// A fresh client for `user` (clients are bound to the runtime that made them, and each
    /// `#[tokio::test]` has its own, so make one per test).
    pub async fn client(&self, user: User) -> kube::Client {
        match seed::client_for(self.kubeconfig(user)).await {
            Ok(c) => c,
            Err(e) => panic!("testenv: client for {}: {e}", user.username()),
        }
    }

    /// Every audit log entry so far.
    pub fn audit(&self) -> Vec<AuditEntry> {
        match audit::read(&self.audit_log) {
            Ok(v) => v,
            Err(e) => panic!("testenv: read {}: {e}", self.audit_log.display()),
        }
    }

    /// Stops the apiserver (SIGKILL), leaving etcd up: later requests get connection refused.
    pub fn stop_apiserver(&self) {
        kill(&self.apiserver);
    }

    /// Stops both processes.
    pub fn stop(&self) {
        kill(&self.apiserver);
        kill(&self.etcd);
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What kube-controller-manager's aggregation controller would do (no controllers run here):
/// fill each aggregated ClusterRole (`view`, `edit`, `admin`, ...) with the rules of the
/// ClusterRoles its selectors match.
async fn aggregate_cluster_roles(client: &kube::Client) -> Result<(), String> {
    use k8s_openapi::api::rbac::v1::ClusterRole;
    use kube::api::{Api, ListParams, Patch, PatchParams};
    let api: Api<ClusterRole> = Api::all(client.clone());
    let roles = api
        .list(&ListParams::default())
        .await
        .map_err(|e| format!("list clusterroles: {e}"))?
        .items;
    for role in &roles {
        let Some(rule) = &role.aggregation_rule else {
            continue;
        };
        let selectors = rule.cluster_role_selectors.clone().unwrap_or_default();
        let mut rules = Vec::new();
        for other in &roles {
            let labels = other.metadata.labels.clone().unwrap_or_default();
            let matched = selectors.iter().any(|sel| {
                sel.match_labels
                    .as_ref()
                    .is_some_and(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)))
            });
            if matched && other.metadata.name != role.metadata.name {
                for r in other.rules.clone().unwrap_or_default() {
                    if !rules.contains(&r) {
                        rules.push(r);
                    }
                }
            }
        }
        let name = role.metadata.name.clone().unwrap_or_default();
        api.patch(
            &name,
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({ "rules": rules })),
        )
        .await
        .map_err(|e| format!("aggregate clusterrole {name}: {e}"))?;
    }
    Ok(())
}

enum StartError {
    PortTaken(String),
    Fatal(String),
}

fn kill(slot: &Mutex<Option<Child>>) {
    let child = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(mut child) = child {
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn spawn_logged(mut cmd: Command, log: &Path) -> std::io::Result<Child> {
    let out = std::fs::File::create(log)?;
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out);
    procs::spawn_tied(cmd)
}

/// `--insecure-port` exists (and must be 0) up to 1.23; newer apiservers reject it.
fn version_at_most_1_23(bin: &Path) -> bool {
    let out = Command::new(bin.join("kube-apiserver"))
        .arg("--version")
        .output();
    let Ok(out) = out else { return true };
    let text = String::from_utf8_lossy(&out.stdout);
    // "Kubernetes v1.20.2"
    let minor = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix("v1."))
        .and_then(|rest| rest.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    minor.is_none_or(|m| m <= 23)
}

fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("{:016x}", h.finish())
}
