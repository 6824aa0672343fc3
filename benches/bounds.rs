//! Bounded rendering (`cargo bench --bench bounds`): JSONPath templates under 1 KB whose
//! unions and ranges multiply at every level, run through the `klue query` binary against a
//! real apiserver, with the peak memory (max RSS from wait4) and wall time of each process,
//! side by side with kubectl running the same templates without a bound. klue must end each
//! one with an output-cap error or a capped output, under 256 MiB.
//!
//! Needs the control plane binaries (scripts/provision-testenv.sh, or KUBEBUILDER_ASSETS).

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::User;

/// The memory bound for one query.
const BOUND_KIB: u64 = 256 * 1024;

const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: bounds}
---
apiVersion: v1
kind: Pod
metadata: {name: bomb-target, namespace: bounds, labels: {app: bomb}}
spec:
  containers:
  - name: app
    image: "shop/app:1"
    args: ["--port", "8080", "--log-level", "info"]
    env:
    - {name: MODE, value: production}
    - {name: REGION, value: eu-west-1}
"#;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("bounds: run with `cargo bench --bench bounds`");
        return;
    }
    if let Err(e) = run() {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}

fn union(n: usize, item: &str) -> String {
    vec![item; n].join(",")
}

/// (name, template, what klue must do)
fn templates() -> Vec<(&'static str, String, &'static str)> {
    let u = union(36, "0");
    let c = union(36, "\"containers\"");
    let f = union(36, "\"name\"");
    let w = union(200, "0");
    let c20 = union(20, "\"containers\"");
    let v = union(150, "0");
    vec![
        (
            "unions 36^4 (1.7 M values)",
            format!("{{.items[*].spec[{c}][{u}].env[{u}][{f}]}}"),
            "error",
        ),
        (
            "nested ranges 200x200 (~600 KB)",
            format!(
                "{{range .items[*]}}{{range .spec.containers[{w}]}}{{range .env[{w}]}}{{.name}}={{.value}};{{end}}{{end}}{{end}}"
            ),
            "capped",
        ),
        (
            "ranges 20x150x150x2 (~7 MB)",
            format!(
                "{{range .items[*]}}{{range .spec[{c20}][{v}]}}{{range .env[{v}]}}{{.name}}={{.value}};{{end}}{{end}}{{end}}"
            ),
            "capped",
        ),
    ]
}

fn run() -> Result<(), String> {
    if support::assets::find()?.is_none() {
        return Err(support::assets::SKIP_MESSAGE.into());
    }
    let t = Instant::now();
    let env = support::TestEnv::start()?;
    support::run_isolated({
        let env_ref: &'static support::TestEnv = Box::leak(Box::new(env));
        async move {
            support::apply(env_ref, FIXTURE).await?;
            Ok::<_, String>(env_ref)
        }
    })
    .and_then(|env| {
        println!("control plane up and seeded in {:.1?}", t.elapsed());
        bench(env)
    })
}

fn bench(env: &support::TestEnv) -> Result<(), String> {
    let viewer = env.kubeconfig(User::Viewer).to_path_buf();
    let klue_bin = env!("CARGO_BIN_EXE_klue");
    let kubectl = ["/usr/bin/kubectl", "kubectl"].into_iter().find(|k| {
        Command::new(k)
            .arg("version")
            .arg("--client")
            .output()
            .is_ok()
    });
    println!(
        "\n{:<32} {:<8} {:>6} {:>10} {:>9} {:>12}   verdict",
        "template", "client", "exit", "peak RSS", "wall", "printed"
    );
    let mut failures = Vec::new();
    for (name, template, expect) in templates() {
        assert!(template.len() <= 1024, "{name}: {} bytes", template.len());
        let line = format!("get pods -n bounds -o jsonpath='{template}'");
        let mut cmd = Command::new(klue_bin);
        cmd.args(["query", &line, "--kubeconfig"])
            .arg(&viewer)
            .env("XDG_STATE_HOME", std::env::temp_dir())
            .env("XDG_CONFIG_HOME", std::env::temp_dir());
        let m = measure(&mut cmd, Duration::from_secs(120))?;
        let ok_shape = match expect {
            "error" => m.code == Some(1) && m.text.contains("output cap reached while rendering"),
            _ => m.code == Some(0) && m.text.contains("rendering stopped at the output cap"),
        };
        let within = m.max_rss_kib < BOUND_KIB;
        let verdict = format!(
            "{} ({}), {} the 256 MiB bound",
            if ok_shape { "ok" } else { "WRONG" },
            if expect == "error" {
                "output-cap error"
            } else {
                "capped output"
            },
            if within { "under" } else { "OVER" }
        );
        if !ok_shape || !within {
            failures.push(name);
        }
        print_row(name, "klue", &m, &verdict);
        if let Some(k) = kubectl {
            let mut cmd = Command::new(k);
            cmd.args(["--kubeconfig"])
                .arg(&viewer)
                .args(["get", "pods", "-n", "bounds", "-o"])
                // kubectl's unions of names take single quotes
                .arg(format!("jsonpath={}", template.replace('"', "'")));
            match measure(&mut cmd, Duration::from_secs(60)) {
                Ok(m) => print_row(name, "kubectl", &m, "reference (no bound)"),
                Err(e) => println!("{name:<32} kubectl  {e}"),
            }
        }
    }
    println!(
        "\nbound: {} MiB per query (klue's output cap: 256 KiB, 1,048,576 values per expression)",
        BOUND_KIB / 1024
    );
    env.stop();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("over the bound or wrong ending: {failures:?}"))
    }
}

fn print_row(name: &str, client: &str, m: &Measured, verdict: &str) {
    println!(
        "{:<32} {:<8} {:>6} {:>6.1} MiB {:>7} ms {:>9} KiB   {}",
        name,
        client,
        m.code.map_or("signal".into(), |c| c.to_string()),
        m.max_rss_kib as f64 / 1024.0,
        m.wall.as_millis(),
        m.printed / 1024,
        verdict
    );
}

struct Measured {
    code: Option<i32>,
    max_rss_kib: u64,
    wall: Duration,
    printed: usize,
    /// The first and last KiB of what was printed.
    text: String,
}

/// Run to the end (killed after `limit`), with its peak RSS from wait4.
fn measure(cmd: &mut Command, limit: Duration) -> Result<Measured, String> {
    let t = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = child.id() as libc::pid_t;
    let (mut so, mut se) = (
        child.stdout.take().ok_or("no stdout")?,
        child.stderr.take().ok_or("no stderr")?,
    );
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let killer = std::thread::spawn(move || {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            std::thread::sleep(Duration::from_millis(200));
            // SAFETY: signal 0 only checks that our child is still there.
            if unsafe { libc::kill(pid, 0) } != 0 {
                return;
            }
        }
        // SAFETY: our own child, past its time.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    });
    let mut out = Vec::new();
    so.read_to_end(&mut out).map_err(|e| e.to_string())?;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = t.elapsed();
    let _ = killer.join();
    let err = err_reader.join().unwrap_or_default();
    if r != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let mut all = out;
    all.extend_from_slice(&err);
    let head = String::from_utf8_lossy(&all[..all.len().min(1024)]).into_owned();
    let tail = String::from_utf8_lossy(&all[all.len().saturating_sub(1024)..]).into_owned();
    Ok(Measured {
        code,
        max_rss_kib: usage.ru_maxrss as u64,
        wall,
        printed: all.len(),
        text: format!("{head}\n{tail}"),
    })
}
