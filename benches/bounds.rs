//! Bounded rendering (`cargo bench --bench bounds`): JSONPath templates under 1 KB whose
//! unions and ranges multiply at every level, and huge objects (56 ConfigMaps of ~1 MB, near
//! the apiserver's own limit on one object) in YAML, JSON and sorted, run through the
//! `klue query` binary against a real apiserver, with the peak memory (max RSS from wait4)
//! and wall time of each process, side by side with kubectl running the same queries without
//! a bound. klue must end each one with an output-cap error or a capped output, under 256 MiB.
//!
//! `KLUE_BIN` names the klue binary to measure (default: the one cargo built for the bench),
//! so the release binary can be measured by a harness built in the test profile:
//! `KLUE_BIN=target/release/klue cargo test --bench bounds -- --bench`; `KUBECTL` the
//! reference kubectl (default `/usr/bin/kubectl`, else `kubectl` on the PATH).
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

/// The argument that makes this binary a small go-between measuring one command.
const MEASURE_CHILD: &str = "--measure-child";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(MEASURE_CHILD) {
        std::process::exit(measure_child(&args[2..]));
    }
    if !args.iter().any(|a| a == "--bench") {
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

/// What klue must do with a case.
#[derive(Clone, Copy, PartialEq)]
enum Expect {
    Error,
    Capped,
}

/// One case: its name, klue's query line, kubectl's arguments, what klue must do.
struct Case {
    name: &'static str,
    line: String,
    kubectl: Vec<String>,
    expect: Expect,
}

fn template_case(name: &'static str, template: String, expect: Expect) -> Case {
    assert!(template.len() <= 1024, "{name}: {} bytes", template.len());
    Case {
        name,
        line: format!("get pods -n bounds -o jsonpath='{template}'"),
        // kubectl's unions of names take single quotes
        kubectl: ["get", "pods", "-n", "bounds", "-o"]
            .into_iter()
            .map(String::from)
            .chain([format!("jsonpath={}", template.replace('"', "'"))])
            .collect(),
        expect,
    }
}

fn huge_case(name: &'static str, args: &str, expect: Expect) -> Case {
    Case {
        name,
        line: args.to_string(),
        kubectl: args.split(' ').map(String::from).collect(),
        expect,
    }
}

fn cases() -> Vec<Case> {
    let u = union(36, "0");
    let c = union(36, "\"containers\"");
    let f = union(36, "\"name\"");
    let w = union(200, "0");
    let c20 = union(20, "\"containers\"");
    let v = union(150, "0");
    vec![
        template_case(
            "unions 36^4 (1.7 M values)",
            format!("{{.items[*].spec[{c}][{u}].env[{u}][{f}]}}"),
            Expect::Error,
        ),
        template_case(
            "nested ranges 200x200 (~600 KB)",
            format!(
                "{{range .items[*]}}{{range .spec.containers[{w}]}}{{range .env[{w}]}}{{.name}}={{.value}};{{end}}{{end}}{{end}}"
            ),
            Expect::Capped,
        ),
        template_case(
            "ranges 20x150x150x2 (~7 MB)",
            format!(
                "{{range .items[*]}}{{range .spec[{c20}][{v}]}}{{range .env[{v}]}}{{.name}}={{.value}};{{end}}{{end}}{{end}}"
            ),
            Expect::Capped,
        ),
        huge_case(
            "56 x 1 MB ConfigMaps -o yaml",
            "get cm -n huge -o yaml",
            Expect::Capped,
        ),
        huge_case(
            "56 x 1 MB ConfigMaps -o json",
            "get cm -n huge -o json",
            Expect::Capped,
        ),
        huge_case(
            "one 1 MB ConfigMap -o yaml",
            "get cm big-7 -n huge -o yaml",
            Expect::Capped,
        ),
        huge_case(
            "56 x 1 MB ConfigMaps sorted",
            "get cm -n huge --sort-by=.metadata.name -o yaml",
            Expect::Error,
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
            support::seed_huge(env_ref, "huge", 56, 1_000_000).await?;
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
    // `KLUE_BIN`: the binary to measure (the release build, with the harness built in the
    // test profile); default: the one cargo built beside this bench
    let klue_bin = std::env::var_os("KLUE_BIN")
        .unwrap_or_else(|| std::ffi::OsString::from(env!("CARGO_BIN_EXE_klue")));
    let kubectl_env = std::env::var("KUBECTL").ok();
    let kubectl = kubectl_env
        .as_deref()
        .into_iter()
        .chain(["/usr/bin/kubectl", "kubectl"])
        .find(|k| {
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
    for case in cases() {
        let name = case.name;
        let mut cmd = Command::new(&klue_bin);
        cmd.args(["query", &case.line, "--kubeconfig"])
            .arg(&viewer)
            .env("XDG_STATE_HOME", std::env::temp_dir())
            .env("XDG_CONFIG_HOME", std::env::temp_dir());
        let m = measure(&mut cmd, Duration::from_secs(120))?;
        let ok_shape = match case.expect {
            Expect::Error => {
                m.code == Some(1) && m.text.contains("output cap reached while rendering")
            }
            Expect::Capped => {
                m.code == Some(0) && m.text.contains("rendering stopped at the output cap")
            }
        };
        let within = m.max_rss_kib < BOUND_KIB;
        let verdict = format!(
            "{} ({}), {} the 256 MiB bound",
            if ok_shape { "ok" } else { "WRONG" },
            if case.expect == Expect::Error {
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
            cmd.args(["--kubeconfig"]).arg(&viewer).args(&case.kubectl);
            match measure(&mut cmd, Duration::from_secs(60)) {
                Ok(m) => print_row(name, "kubectl", &m, "reference (no bound)"),
                Err(e) => println!("{name:<32} kubectl  {e}"),
            }
        }
    }
    println!(
        "\nbound: {} MiB per query (klue's output cap: 256 KiB, 1,048,576 values per expression; 16 MiB read per response, 48 MiB per listing)",
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

/// Run `argv` as a child of this (fresh, small) process and write its peak RSS (KiB) and
/// exit code to the file in `KLUE_BENCH_RUSAGE`. Linux keeps the largest RSS a process had
/// before `exec` in the RSS that wait4 reports, and a child spawned from the bench inherits
/// the bench's; spawned from this go-between, a child's figure is its own.
fn measure_child(argv: &[String]) -> i32 {
    let Some((program, rest)) = argv.split_first() else {
        return 2;
    };
    let Ok(report) = std::env::var("KLUE_BENCH_RUSAGE") else {
        return 2;
    };
    let Ok(child) = Command::new(program).args(rest).spawn() else {
        return 2;
    };
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::wait4(pid, &mut status, 0, &mut usage) } != pid {
        return 2;
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status).to_string()
    } else {
        "signal".to_string()
    };
    let _ = std::fs::write(&report, format!("{} {code}", usage.ru_maxrss));
    0
}

/// Run to the end (killed after `limit`), with its peak RSS from wait4 (through the
/// go-between [`measure_child`]).
fn measure(cmd: &mut Command, limit: Duration) -> Result<Measured, String> {
    let report = std::env::temp_dir().join(format!("klue-bench-rusage-{}", std::process::id()));
    let _ = std::fs::remove_file(&report);
    let mut wrapped = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
    wrapped
        .arg(MEASURE_CHILD)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env("KLUE_BENCH_RUSAGE", &report);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    // its own process group, so a kill past the time limit reaches the measured command
    std::os::unix::process::CommandExt::process_group(&mut wrapped, 0);
    let cmd = &mut wrapped;
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
        // SAFETY: our own child's process group, past its time.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
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
    let _ = status;
    let _ = usage;
    let measured = std::fs::read_to_string(&report).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    let mut fields = measured.split_whitespace();
    let max_rss_kib: u64 = fields
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no measurement from the go-between ({measured:?})"))?;
    let code = fields.next().and_then(|c| c.parse::<i32>().ok());
    let mut all = out;
    all.extend_from_slice(&err);
    let head = String::from_utf8_lossy(&all[..all.len().min(1024)]).into_owned();
    let tail = String::from_utf8_lossy(&all[all.len().saturating_sub(1024)..]).into_owned();
    Ok(Measured {
        code,
        max_rss_kib,
        wall,
        printed: all.len(),
        text: format!("{head}\n{tail}"),
    })
}
