//! klue vs kubectl on the same apiserver, in the same run (`cargo bench --bench queries`):
//!
//! (a) a batch of typical investigation queries: klue in-process (one connection and one
//!     discovery for the batch, as in a session) vs one `kubectl` process per query;
//! (b) `get pods -A` over 5,000 pods: the `klue query` binary vs `kubectl`, wall time and peak
//!     memory (max RSS from wait4) of each process.
//!
//! Needs the control plane binaries (scripts/provision-testenv.sh, or KUBEBUILDER_ASSETS).
//! `KLUE_BENCH_PODS` changes the pod count, `KLUE_BENCH_ROUNDS` the rounds (median reported).

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use klue::cluster::{Cluster, ConnectOptions};
use klue::exec::Executor;
use klue::render::cap::OutputCap;
use support::User;

const BATCH: &[&str] = &[
    "get pods -A",
    "get pods -n shop -o wide",
    "get deploy -n shop",
    "get rs -n shop",
    "get svc -n shop",
    "get endpoints -n shop",
    "get nodes",
    "get nodes -o wide",
    "get events -n shop",
    "get events -A --field-selector type=Warning",
    "describe pod web-7c9f8d6b5-xv8rt -n shop",
    "describe pod checkout-5f6d8b7c9-l2w9z -n shop",
    "describe deployment web -n shop",
    "describe node node-2",
    "logs web-7c9f8d6b5-xv8rt -n shop --previous --tail=20",
    "logs web-7c9f8d6b5-xv8rt -n shop --tail=20",
    "get pod web-7c9f8d6b5-xv8rt -n shop -o yaml",
    "get pvc -n shop",
    "get hpa -n shop",
    "get ingress -n shop",
    "get widgets -A",
    "get pods -A --field-selector status.phase=Pending",
    "get pods -n shop -l app=web --show-labels",
    "get cm -n shop",
];

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing useful: run only
    // when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        println!("queries: run with `cargo bench --bench queries`");
        return;
    }
    if let Err(e) = run() {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    if support::assets::find()?.is_none() {
        return Err(support::assets::SKIP_MESSAGE.into());
    }
    let rounds: usize = env_num("KLUE_BENCH_ROUNDS", 3);
    let pods: usize = env_num("KLUE_BENCH_PODS", 5000);
    let t = Instant::now();
    let env = support::TestEnv::start()?;
    support::seed_standard(&env)?;
    println!("control plane up and seeded in {:.1?}", t.elapsed());
    let viewer = env.kubeconfig(User::Viewer).to_path_buf();

    // (a) the batch
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut klue_times = Vec::new();
    let mut kubectl_times = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        rt.block_on(klue_batch(&viewer))?;
        klue_times.push(t.elapsed());
        let t = Instant::now();
        for q in BATCH {
            kubectl_quiet(&viewer, q)?;
        }
        kubectl_times.push(t.elapsed());
    }
    let (k, c) = (median(&mut klue_times), median(&mut kubectl_times));

    // (b) 5,000 pods
    let t = Instant::now();
    let admin = env.kubeconfigs.admin.clone();
    support::run_isolated(async move {
        let client = support::seed::client_for(&admin).await?;
        support::seed::create_pods(&client, "bulk", "bulk", pods, &["node-1", "node-2"], 64).await
    })?;
    println!("created {pods} pods in {:.1?}", t.elapsed());
    let klue_bin = env!("CARGO_BIN_EXE_klue");
    let mut klue_runs = Vec::new();
    let mut kubectl_runs = Vec::new();
    let mut lines = (0, 0);
    for _ in 0..rounds {
        let (d, rss, n) = measure(
            Command::new(klue_bin)
                .arg("query")
                .arg("--kubeconfig")
                .arg(&viewer)
                .args(["--max-lines", "10000000", "--max-bytes", "1000000000"])
                .arg("get pods -A"),
        )?;
        klue_runs.push((d, rss));
        lines.0 = n;
        let (d, rss, n) = measure(
            Command::new("kubectl")
                .arg("--kubeconfig")
                .arg(&viewer)
                .arg("--cache-dir")
                .arg(env.dir.join("kubectl-cache"))
                .args(["get", "pods", "-A"]),
        )?;
        kubectl_runs.push((d, rss));
        lines.1 = n;
    }
    if lines.0 != lines.1 || lines.0 < pods {
        return Err(format!(
            "get pods -A printed {} lines with klue, {} with kubectl (expected > {pods})",
            lines.0, lines.1
        ));
    }
    let mut kt: Vec<Duration> = klue_runs.iter().map(|r| r.0).collect();
    let mut ct: Vec<Duration> = kubectl_runs.iter().map(|r| r.0).collect();
    let km = klue_runs.iter().map(|r| r.1).max().unwrap_or(0);
    let cm = kubectl_runs.iter().map(|r| r.1).max().unwrap_or(0);
    let (kt, ct) = (median(&mut kt), median(&mut ct));

    println!();
    println!("klue vs kubectl, same apiserver, same run (median of {rounds} rounds)");
    println!("{:-<86}", "");
    println!(
        "{:<44} {:>12} {:>12} {:>14}",
        "", "klue", "kubectl", "kubectl/klue"
    );
    println!(
        "{:<44} {:>12} {:>12} {:>13.1}x   (target >= 10x)",
        format!("(a) batch of {} queries, total", BATCH.len()),
        fmt_d(k),
        fmt_d(c),
        c.as_secs_f64() / k.as_secs_f64()
    );
    println!(
        "{:<44} {:>12} {:>12} {:>13.2}x   (target >= 0.67x: klue within 1.5x)",
        format!("(b) get pods -A, {pods} pods: wall time"),
        fmt_d(kt),
        fmt_d(ct),
        ct.as_secs_f64() / kt.as_secs_f64()
    );
    println!(
        "{:<44} {:>9} MiB {:>8} MiB {:>13.2}x   (target > 1x: klue lower)",
        "(b) get pods -A: peak memory (max RSS)",
        km / 1024,
        cm / 1024,
        cm as f64 / km.max(1) as f64
    );
    println!("{:-<86}", "");
    println!(
        "all rounds: batch klue {:?} kubectl {:?}; get pods -A klue {:?} kubectl {:?}",
        klue_times.iter().map(|d| fmt_d(*d)).collect::<Vec<_>>(),
        kubectl_times.iter().map(|d| fmt_d(*d)).collect::<Vec<_>>(),
        klue_runs
            .iter()
            .map(|r| format!("{} {}MiB", fmt_d(r.0), r.1 / 1024))
            .collect::<Vec<_>>(),
        kubectl_runs
            .iter()
            .map(|r| format!("{} {}MiB", fmt_d(r.0), r.1 / 1024))
            .collect::<Vec<_>>(),
    );
    Ok(())
}

async fn klue_batch(kubeconfig: &Path) -> Result<(), String> {
    let cluster = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        ..Default::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    let exec = Executor::new(cluster).with_cap(OutputCap::default());
    for q in BATCH {
        let query = klue::query::parse(q).map_err(|r| format!("{q}: refused: {}", r.reason))?;
        let out = exec
            .run(&query)
            .await
            .map_err(|e| format!("klue {q}: {e}"))?;
        std::hint::black_box(out);
    }
    Ok(())
}

fn kubectl_quiet(kubeconfig: &Path, q: &str) -> Result<(), String> {
    let args = shell_words::split(q).map_err(|e| e.to_string())?;
    let dir = kubeconfig.parent().unwrap_or(Path::new("."));
    let status = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(dir.join("kubectl-cache"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("kubectl: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kubectl {q} failed"))
    }
}

/// Runs a command with stdout counted (lines) and discarded; returns wall time, max RSS
/// (KiB, from wait4) and the number of lines printed.
fn measure(cmd: &mut Command) -> Result<(Duration, u64, usize), String> {
    use std::io::Read;
    let t = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    if let Some(mut so) = child.stdout.take() {
        so.read_to_end(&mut out).map_err(|e| e.to_string())?;
    }
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = t.elapsed();
    if r != pid {
        return Err(format!("wait4: {}", std::io::Error::last_os_error()));
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        return Err(format!("{cmd:?} failed (status {status})"));
    }
    let lines = out.iter().filter(|b| **b == b'\n').count();
    Ok((elapsed, usage.ru_maxrss as u64, lines))
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn fmt_d(d: Duration) -> String {
    if d.as_secs_f64() >= 1.0 {
        format!("{:.2}s", d.as_secs_f64())
    } else {
        format!("{:.0}ms", d.as_secs_f64() * 1000.0)
    }
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
