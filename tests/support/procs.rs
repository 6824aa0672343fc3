//! Child processes that cannot outlive the test process, free loopback ports, and the
//! directory where control planes keep their files.

use std::io;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::sync::mpsc;

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

static SPAWNER: OnceLock<mpsc::Sender<SpawnRequest>> = OnceLock::new();

/// Spawns `cmd` so that the kernel kills it (SIGKILL) when this test process exits, however
/// it exits (normal end, panic, SIGKILL).
///
/// `PR_SET_PDEATHSIG` fires when the *thread* that forked the child ends, and each test runs
/// on its own short-lived thread; so every child is forked by one dedicated thread that lives
/// as long as the process.
pub fn spawn_tied(cmd: Command) -> io::Result<Child> {
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        let started = std::thread::Builder::new()
            .name("testenv-spawner".into())
            .spawn(move || {
                // The sender lives in a static, so this loop runs until the process exits.
                for (mut cmd, reply) in rx {
                    let _ = reply.send(spawn_with_deathsig(&mut cmd));
                }
            });
        if let Err(e) = started {
            panic!("testenv: cannot start the spawner thread: {e}");
        }
        tx
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    spawner
        .send((cmd, reply_tx))
        .map_err(|_| io::Error::other("testenv spawner thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| io::Error::other("testenv spawner thread did not answer"))?
}

fn spawn_with_deathsig(cmd: &mut Command) -> io::Result<Child> {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure only calls async-signal-safe functions (prctl, getppid, raise).
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl.
            if libc::getppid() != parent {
                libc::raise(libc::SIGKILL);
            }
            Ok(())
        });
    }
    cmd.spawn()
}

/// A free TCP port on 127.0.0.1 (free when asked; callers retry on a bind race).
pub fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// Where control planes keep their files: tmpfs when there is one (etcd fsyncs a lot).
/// Directories left by test processes that no longer run are removed here.
pub fn base_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let root = if shm.is_dir() && is_writable(shm) {
        shm.join("klue-testenv")
    } else {
        std::env::temp_dir().join("klue-testenv")
    };
    let _ = std::fs::create_dir_all(&root);
    sweep_stale(&root);
    root
}

fn is_writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".klue-probe-{}", std::process::id()));
    let ok = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(probe);
    ok
}

/// Removes `<root>/<pid>-*` directories whose process is gone.
fn sweep_stale(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
