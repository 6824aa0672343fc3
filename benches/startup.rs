//! Start-up, as an engineer meets it (`cargo bench --bench startup`, or
//! scripts/bench-startup.sh for the release binary):
//!
//! (a) the same 30 processes of `klue query` and of `kubectl` (10 typical queries × 3, taking
//!     turns) against one real apiserver, each tool with its disk cache warmed by one earlier
//!     process as on an engineer's machine: both totals, the ratio, and the requests each
//!     process sent (from the apiserver's audit log, told apart by user agent);
//! (b) launch → first TUI frame on a pseudo-terminal with the cluster unreachable: a server
//!     that accepts the connection and never answers, and a port that refuses it.
//!
//! `KLUE_BIN` names the klue binary to measure (default: the one cargo built for the bench);
//! `KUBECTL` the kubectl (default `/usr/bin/kubectl`, else `kubectl` on the PATH). Needs the
//! control plane binaries (scripts/provision-testenv.sh, or KUBEBUILDER_ASSETS).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::User;

/// Ten queries an investigation typically starts with (the seeded shop fixture).
const QUERIES: [&str; 10] = [
    "get pods -A",
    "get pods -n shop -o wide",
    "get deploy -n shop",
    "get svc -n shop",
    "get nodes",
    "get events -n shop",
    "describe pod web-7c9f8d6b5-xv8rt -n shop",
    "describe deployment web -n shop",
    "logs web-7c9f8d6b5-xv8rt -n shop --tail=20",
    "get pod checkout-5f6d8b7c9-l2w9z -n shop -o yaml",
];
const ROUNDS: usize = 3;
const FRAME_RUNS: usize = 5;
const CONTEXT: &str = "bench-unreachable";
/// The pseudo-terminal's height: the status bar is its last row.
const ROWS: u16 = 40;

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: run only when benchmarking
    if !std::env::args().any(|a| a == "--bench") {
        println!("startup: run with `cargo bench --bench startup`");
        return;
    }
    if let Err(e) = run() {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let klue = std::env::var_os("KLUE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_klue")));
    let kubectl = std::env::var_os("KUBECTL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let p = Path::new("/usr/bin/kubectl");
            if p.exists() {
                p.to_path_buf()
            } else {
                PathBuf::from("kubectl")
            }
        });
    let size = std::fs::metadata(&klue).map(|m| m.len()).unwrap_or(0);
    println!(
        "klue: {} ({:.1} MB); kubectl: {} ({})",
        klue.display(),
        size as f64 / 1e6,
        kubectl.display(),
        kubectl_version(&kubectl)
    );
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    frames(&klue, tmp.path())?;
    queries(&klue, &kubectl, tmp.path())
}

fn kubectl_version(kubectl: &Path) -> String {
    Command::new(kubectl)
        .args(["version", "--client", "-o", "json"])
        .output()
        .ok()
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
        .and_then(|v| {
            v["clientVersion"]["gitVersion"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "version unknown".into())
}

// ---------------------------------------------------------------------------------------
// (a) klue query vs kubectl

fn queries(klue: &Path, kubectl: &Path, tmp: &Path) -> Result<(), String> {
    if support::assets::find()?.is_none() {
        return Err(support::assets::SKIP_MESSAGE.into());
    }
    let t = Instant::now();
    let env = support::TestEnv::start()?;
    support::seed_standard(&env)?;
    println!("\ncontrol plane up and seeded in {:.1?}", t.elapsed());
    let kubeconfig = env.kubeconfig(User::Viewer).to_path_buf();
    let home = tmp.join("home");
    let kube_cache = tmp.join("kubectl-cache");
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;

    let klue_cmd = |q: &str| {
        let mut c = Command::new(klue);
        c.arg("query").arg(q);
        c
    };
    let kubectl_cmd = |q: &str| {
        let mut c = Command::new(kubectl);
        c.arg("--cache-dir").arg(&kube_cache);
        c.args(shell_words::split(q).unwrap_or_default());
        c
    };
    let prepare = |c: &mut Command| {
        c.env("KUBECONFIG", &kubeconfig)
            .env("HOME", &home)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_STATE_HOME", home.join(".local/state"))
            .env_remove("KLUE_NO_CACHE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
    };
    let time = |mut c: Command| -> Result<Duration, String> {
        prepare(&mut c);
        let t = Instant::now();
        let out = c.output().map_err(|e| format!("{c:?}: {e}"))?;
        let took = t.elapsed();
        if !out.status.success() {
            return Err(format!(
                "{c:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(took)
    };

    // the cold start of each, warming its cache (not counted)
    let mark = env.audit().len();
    let cold_klue = time(klue_cmd("get pods -A"))?;
    let cold_kubectl = time(kubectl_cmd("get pods -A"))?;
    let cold = per_agent(&env.audit()[mark..]);

    let mark = env.audit().len();
    let (mut k, mut c) = (Duration::ZERO, Duration::ZERO);
    let mut slowest: BTreeMap<&str, (Duration, Duration)> = BTreeMap::new();
    for _ in 0..ROUNDS {
        for q in QUERIES {
            let a = time(klue_cmd(q))?;
            let b = time(kubectl_cmd(q))?;
            k += a;
            c += b;
            let e = slowest.entry(q).or_default();
            e.0 = e.0.max(a);
            e.1 = e.1.max(b);
        }
    }
    let warm = per_agent(&env.audit()[mark..]);
    let n = (QUERIES.len() * ROUNDS) as f64;
    println!(
        "\n{} processes each (10 queries x {ROUNDS}), warm disk caches",
        QUERIES.len() * ROUNDS
    );
    println!(
        "{:<52} {:>10} {:>10}",
        "query (slowest of its runs)", "klue", "kubectl"
    );
    for (q, (a, b)) in &slowest {
        println!("{q:<52} {:>8.1}ms {:>8.1}ms", ms(*a), ms(*b));
    }
    println!("{:<52} {:>8.0}ms {:>8.0}ms", "total", ms(k), ms(c));
    println!(
        "{:<52} {:>8.1}ms {:>8.1}ms",
        "per process",
        ms(k) / n,
        ms(c) / n
    );
    println!(
        "{:<52} {:>10.1} {:>10.1}",
        "requests per process (audit log)",
        warm.klue as f64 / n,
        warm.kubectl as f64 / n
    );
    println!(
        "ratio klue/kubectl: {:.2}x (target <= 0.50x)",
        k.as_secs_f64() / c.as_secs_f64()
    );
    println!(
        "cold first process (empty caches): klue {:.0}ms with {} requests, kubectl {:.0}ms with {} requests",
        ms(cold_klue),
        cold.klue,
        ms(cold_kubectl),
        cold.kubectl
    );
    Ok(())
}

#[derive(Default)]
struct Counts {
    klue: usize,
    kubectl: usize,
}

/// Requests (one audit entry each, at `RequestReceived`) by the client's user agent.
fn per_agent(entries: &[support::AuditEntry]) -> Counts {
    let mut c = Counts::default();
    for e in entries.iter().filter(|e| e.stage == "RequestReceived") {
        if e.user_agent.starts_with("klue/") {
            c.klue += 1;
        } else if e.user_agent.starts_with("kubectl") {
            c.kubectl += 1;
        }
    }
    c
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

// ---------------------------------------------------------------------------------------
// (b) launch -> first frame, the cluster unreachable

fn frames(klue: &Path, tmp: &Path) -> Result<(), String> {
    // a server that completes TCP connections and never says a word
    let silent = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let silent_port = silent.local_addr().map_err(|e| e.to_string())?.port();
    // a port nobody listens on
    let refused_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        l.local_addr().map_err(|e| e.to_string())?.port()
    };
    // a model endpoint that never answers either: with a model configured the screen must
    // not wait for the analyzer hints it gets (they are read behind the first frame)
    let model_url = format!("http://127.0.0.1:{silent_port}/v1");
    println!("\nlaunch -> first TUI frame, cluster unreachable ({FRAME_RUNS} runs each)");
    for (what, port, model) in [
        ("server never answers", silent_port, None),
        ("connection refused", refused_port, None),
        (
            "never answers, + model",
            silent_port,
            Some(model_url.as_str()),
        ),
    ] {
        let kubeconfig = tmp.join(format!("unreachable-{port}.yaml"));
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}', insecure-skip-tls-verify: true}}}}]\ncontexts: [{{name: {CONTEXT}, context: {{cluster: c, user: u, namespace: shop}}}}]\ncurrent-context: {CONTEXT}\nusers: [{{name: u, user: {{token: t}}}}]\n"
            ),
        )
        .map_err(|e| e.to_string())?;
        let mut times = Vec::new();
        let mut restored = 0;
        for i in 0..FRAME_RUNS {
            let home = tmp.join(format!("tui-home-{port}-{i}"));
            std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
            let (t, ok) = first_frame(klue, &kubeconfig, &home, model)?;
            times.push(t);
            restored += usize::from(ok);
        }
        times.sort();
        println!(
            "{what:<24} median {:>6.1}ms  max {:>6.1}ms  (target < 50 ms; terminal restored {restored}/{FRAME_RUNS})",
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1]),
        );
    }
    drop(silent);
    Ok(())
}

/// Start klue on a new pseudo-terminal and time until its first frame is drawn (the status
/// bar, the last row, included);
/// then quit it (Ctrl-C twice) and say whether it left the alternate screen.
fn first_frame(
    klue: &Path,
    kubeconfig: &Path,
    home: &Path,
    model: Option<&str>,
) -> Result<(Duration, bool), String> {
    let (master, slave) = open_pty(ROWS, 120)?;
    let mut cmd = Command::new(klue);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "xterm-256color")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("KUBECONFIG", kubeconfig);
    if let Some(url) = model {
        cmd.env("OPENAI_BASE_URL", url)
            .env("KLUE_MODEL", "bench")
            .env("KLUE_PLANNER", "llm");
    }
    let stdio = |fd: &OwnedFd| -> Result<Stdio, String> {
        fd.try_clone().map(Stdio::from).map_err(|e| e.to_string())
    };
    cmd.stdin(stdio(&slave)?)
        .stdout(stdio(&slave)?)
        .stderr(stdio(&slave)?);
    // SAFETY: setsid and TIOCSCTTY are async-signal-safe; the child makes the pty its
    // controlling terminal before exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", klue.display()))?;
    // the Command keeps its copies of the terminal's side: while they live the pty never
    // reports the child's end and the reader below never stops
    drop(cmd);
    drop(slave);
    let mut reader = std::fs::File::from(master.try_clone().map_err(|e| e.to_string())?);
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let pump = std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    use std::io::Write;
    let mut writer = std::fs::File::from(master);
    let mut seen = Vec::new();
    let mut frame = None;
    let mut answered = 0;
    let deadline = start + Duration::from_secs(10);
    while frame.is_none() && Instant::now() < deadline {
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(20)) {
            seen.extend_from_slice(&chunk);
            // answer the cursor position queries (DSR) as a terminal does
            let asked = count(&seen, b"\x1b[6n");
            while answered < asked {
                let _ = writer.write_all(b"\x1b[1;1R");
                answered += 1;
            }
            if drawn(&seen) {
                frame = Some(start.elapsed());
            }
        }
        if frame.is_none() && matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
    }
    let Some(frame) = frame else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "no first frame (in 10 s, or before klue exited); the screen showed: {}",
            String::from_utf8_lossy(&seen)
        ));
    };
    // quit: Ctrl-C twice
    std::thread::sleep(Duration::from_millis(200));
    let _ = writer.write_all(b"\x03");
    std::thread::sleep(Duration::from_millis(100));
    let _ = writer.write_all(b"\x03");
    let quit_by = Instant::now() + Duration::from_secs(5);
    let mut exited = false;
    while Instant::now() < quit_by {
        if let Ok(Some(_)) = child.try_wait() {
            exited = true;
            break;
        }
        while let Ok(chunk) = rx.try_recv() {
            seen.extend_from_slice(&chunk);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(writer);
    while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
        seen.extend_from_slice(&chunk);
    }
    let _ = pump.join();
    // left the alternate screen and showed the cursor again
    let restored = exited && contains(&seen, b"\x1b[?1049l") && contains(&seen, b"\x1b[?25h");
    Ok((frame, restored))
}

/// The first frame is on the screen: in the alternate screen, the cells of the last row
/// (the status bar) placed. An error printed instead is no frame.
fn drawn(seen: &[u8]) -> bool {
    let Some(alt) = find(seen, b"\x1b[?1049h") else {
        return false;
    };
    contains(&seen[alt..], format!("\x1b[{ROWS};1H").as_bytes())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn open_pty(rows: u16, cols: u16) -> Result<(OwnedFd, OwnedFd), String> {
    let mut master = 0;
    let mut slave = 0;
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors it opened; we own them from here on.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    if r != 0 {
        return Err(format!("openpty: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: both were just opened by openpty and are not owned elsewhere.
    let (m, s) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    Ok((m, s))
}
