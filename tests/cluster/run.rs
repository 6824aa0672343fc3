//! Running one command line through klue (in-process, the library's public path) and through
//! kubectl, and comparing outputs with ages masked.

use std::path::Path;
use std::process::Command;

use klue::cluster::{Cluster, ConnectOptions};
use klue::exec::Executor;
use klue::render::cap::OutputCap;

/// What a run printed: stdout on success, the error message otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok(String),
    Err(String),
}

impl Outcome {
    pub fn text(&self) -> &str {
        match self {
            Outcome::Ok(t) | Outcome::Err(t) => t,
        }
    }
}

/// `klue query` in-process: parse → connect → execute, with a cap large enough not to cut.
pub async fn klue(kubeconfig: &Path, context: Option<&str>, line: &str) -> Outcome {
    let query = match klue::query::parse(line) {
        Ok(q) => q,
        Err(r) => return Outcome::Err(format!("refused: {}", r.reason)),
    };
    let opts = ConnectOptions {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        context: context.map(str::to_string),
        ..Default::default()
    };
    let cluster = match Cluster::connect(&opts).await {
        Ok(c) => c,
        Err(e) => return Outcome::Err(e.to_string()),
    };
    let exec = Executor::new(cluster).with_cap(OutputCap {
        max_lines: 1_000_000,
        max_bytes: 1 << 30,
    });
    match exec.run(&query).await {
        Ok(out) => Outcome::Ok(out.text),
        Err(e) => Outcome::Err(e.to_string()),
    }
}

/// kubectl with the same kubeconfig; `line` is split as a shell would (`kubectl` prefix
/// optional).
pub fn kubectl(kubeconfig: &Path, context: Option<&str>, line: &str) -> Outcome {
    kubectl_at(Path::new("kubectl"), kubeconfig, context, line)
}

/// A second reference kubectl for servers older than kubectl's skew window: kubectl 1.31+
/// reads `discovery.k8s.io/v1` EndpointSlices unconditionally in `describe service|ingress`,
/// which a 1.20 server does not serve, so it prints `<none>` or an error where kubectl 1.30
/// (and klue) print the endpoints. `KLUE_PARITY_ALT_KUBECTL` names it; by default a
/// `kubectl.1.30` installed next to the Cloud SDK's kubectl, if any.
pub fn alt_kubectl() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("KLUE_PARITY_ALT_KUBECTL").filter(|p| !p.is_empty()) {
        return Some(p.into());
    }
    let p = Path::new("/usr/lib/google-cloud-sdk/bin/kubectl.1.30");
    p.exists().then(|| p.to_path_buf())
}

/// kubectl at `bin`.
pub fn kubectl_at(bin: &Path, kubeconfig: &Path, context: Option<&str>, line: &str) -> Outcome {
    let mut args = match shell_words::split(line) {
        Ok(a) => a,
        Err(e) => return Outcome::Err(format!("cannot split {line:?}: {e}")),
    };
    if args.first().map(String::as_str) == Some("kubectl") {
        args.remove(0);
    }
    let mut cmd = Command::new(bin);
    cmd.arg("--kubeconfig").arg(kubeconfig);
    if let Some(c) = context {
        cmd.arg("--context").arg(c);
    }
    // A private discovery cache, so runs never share state with other clusters or users.
    if let Some(dir) = kubeconfig.parent() {
        cmd.arg("--cache-dir").arg(dir.join("kubectl-cache"));
    }
    let out = match cmd.args(&args).output() {
        Ok(o) => o,
        Err(e) => return Outcome::Err(format!("cannot run kubectl: {e}")),
    };
    // `auth can-i` answers "no" on stdout with exit code 1: an answer, not an error.
    if out.status.success() || (out.stderr.is_empty() && !out.stdout.is_empty()) {
        Outcome::Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Outcome::Err(String::from_utf8_lossy(&out.stderr).trim_end().to_string())
    }
}

/// Masks what depends on the moment a command ran: ages (`5m`, `2d3h`, `45s`) and relative
/// times, each character replaced by `~` so column alignment is still compared.
pub fn mask_ages(text: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"\b\d+[smhdy](?:\d+[smhd])?\b|<unknown>|<invalid>").expect("regex")
    });
    re.replace_all(text, |c: &regex::Captures<'_>| {
        "~".repeat(c[0].chars().count())
    })
    .into_owned()
}

/// A readable line diff: `-` kubectl, `+` klue.
pub fn diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => out.push_str(&format!("  {x}\n")),
            (x, y) => {
                if let Some(x) = x {
                    out.push_str(&format!("- {x}\n"));
                }
                if let Some(y) = y {
                    out.push_str(&format!("+ {y}\n"));
                }
            }
        }
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str(&format!(
            "(trailing newline: kubectl {}, klue {})\n",
            expected.ends_with('\n'),
            actual.ends_with('\n')
        ));
    }
    out
}
