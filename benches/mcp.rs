//! `klue mcp`'s `query` tool vs `kubectl` on the same apiserver, in the same run
//! (`cargo bench --bench mcp`): the latency of one `query` tool call (median over 50 calls
//! from the official Python MCP SDK to one `klue mcp` process) next to one `kubectl` process
//! for the same query (median over 50 runs).
//!
//! Needs the control plane binaries (scripts/provision-testenv.sh, or KUBEBUILDER_ASSETS)
//! and the Python MCP SDK (scripts/provision-mcp-client.sh, or KLUE_MCP_PYTHON).
//! `KLUE_BENCH_CALLS` changes the number of calls, `KLUE_BENCH_QUERY` the query.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::User;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("mcp: run with `cargo bench --bench mcp`");
        return;
    }
    if let Err(e) = run() {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}

fn python() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("KLUE_MCP_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/provision-mcp-client.sh"
        ))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("provision-mcp-client.sh: {e}"))?;
    if !out.status.success() {
        return Err("scripts/provision-mcp-client.sh failed".into());
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn run() -> Result<(), String> {
    if support::assets::find()?.is_none() {
        return Err(support::assets::SKIP_MESSAGE.into());
    }
    let calls: usize = std::env::var("KLUE_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let query = std::env::var("KLUE_BENCH_QUERY").unwrap_or_else(|_| "get pods -n shop".into());
    let python = python()?;
    let t = Instant::now();
    let env = support::TestEnv::start()?;
    support::seed_standard(&env)?;
    println!("control plane up and seeded in {:.1?}", t.elapsed());
    let viewer = env.kubeconfig(User::Viewer).to_path_buf();
    let home = env.dir.join("mcp-bench-home");
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;

    // klue mcp: one server process, `calls` tool calls after a warm-up call.
    let out = Command::new(&python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/client.py"))
        .arg("bench")
        .arg(env!("CARGO_BIN_EXE_klue"))
        .arg("--kubeconfig")
        .arg(&viewer)
        .env("KLUE_MCP_BENCH_QUERY", &query)
        .env("KLUE_MCP_BENCH_CALLS", calls.to_string())
        .env("XDG_STATE_HOME", &home)
        .env("HOME", &home)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("run the MCP client: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the MCP client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("client report: {e}"))?;
    let mut mcp: Vec<Duration> = report["ms"]
        .as_array()
        .ok_or("no latencies in the client report")?
        .iter()
        .filter_map(|v| v.as_f64())
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .collect();

    // kubectl: one process per query, as an assistant shelling out would run it.
    let words = shell_words::split(&query).map_err(|e| e.to_string())?;
    let cache = env.dir.join("kubectl-cache");
    let mut kubectl = Vec::with_capacity(calls);
    for i in 0..=calls {
        let t = Instant::now();
        let st = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&viewer)
            .arg("--cache-dir")
            .arg(&cache)
            .args(&words)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("kubectl: {e}"))?;
        if !st.success() {
            return Err(format!("kubectl {query} failed: {st}"));
        }
        if i > 0 {
            kubectl.push(t.elapsed()); // the first run warms kubectl's discovery cache
        }
    }
    let (m, k) = (median(&mut mcp), median(&mut kubectl));
    println!();
    println!("`{query}`: klue mcp `query` tool call vs one kubectl process (median of {calls})");
    println!("{:-<78}", "");
    println!("{:<40} {:>10} {:>10} {:>14}", "", "p50", "p90", "");
    println!(
        "{:<40} {:>10} {:>10}",
        "klue mcp: query tool call (one server)",
        fmt_d(m),
        fmt_d(pct(&mcp, 0.9))
    );
    println!(
        "{:<40} {:>10} {:>10} {:>13.1}x",
        "kubectl: one process per query",
        fmt_d(k),
        fmt_d(pct(&kubectl, 0.9)),
        k.as_secs_f64() / m.as_secs_f64()
    );
    println!("{:-<78}", "");
    Ok(())
}

/// Sorts and returns the median.
fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// The `p` quantile of a sorted slice.
fn pct(v: &[Duration], p: f64) -> Duration {
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or_default()
}

fn fmt_d(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
