//! A detached tmux server of its own (one socket per test) driving a program at a fixed size.

use std::process::Command;
use std::time::{Duration, Instant};

pub fn available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Start `command` (with `vars` set) in a new detached session of `w`×`h`. When the
    /// program exits, the pane prints `KLUE_EXIT=<code>` and stays open.
    pub fn start(vars: &[(&str, String)], command: &str, w: u16, h: u16) -> Tmux {
        let socket = format!("klue-e2e-{}-{}", std::process::id(), rand_suffix());
        let t = Tmux { socket };
        let mut env = String::new();
        for (k, v) in vars {
            env.push_str(&format!("{k}='{v}' "));
        }
        let shell = format!("env {env} {command}; echo KLUE_EXIT=$?; sleep 600");
        t.run(&[
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
            "sh",
            "-c",
            &shell,
        ]);
        t
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen with its styles (SGR escape sequences).
    pub fn capture_styled(&self) -> String {
        self.run(&["capture-pane", "-p", "-e", "-t", "e2e"])
    }

    pub fn capture(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    fn format(&self, f: &str) -> String {
        self.run(&["display-message", "-p", "-t", "e2e", f])
            .trim()
            .to_string()
    }

    pub fn alternate_on(&self) -> bool {
        self.format("#{alternate_on}") == "1"
    }

    pub fn cursor_visible(&self) -> bool {
        self.format("#{cursor_flag}") == "1"
    }

    /// Send key names (`Enter`, `Escape`, `C-c`, or literal keys).
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "e2e", k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "e2e", "-l", text]);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Wait until the screen contains `needle`; the screen then. Panics with the last screen
    /// on timeout.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.capture();
            if s.contains(needle) {
                // Shown with `--nocapture`, to look at the real screen.
                eprintln!("--- screen with {needle:?}:\n{s}");
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {needle:?}; the screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000)
}
