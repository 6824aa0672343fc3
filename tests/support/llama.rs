//! A real local model server for the LLM end-to-end tests: llama.cpp's OpenAI-compatible
//! server (the PyPI package `llama-cpp-python[server]`) with SmolLM2-135M-Instruct, both
//! provisioned by scripts/provision-llm.sh (cached under `$XDG_CACHE_HOME/klue-llm`).
//!
//! `KLUE_LLM_PYTHON` and `KLUE_LLM_MODEL` name the venv's python and the GGUF file (the
//! script prints both); else the cache's default paths. Without them the tests say so and
//! return, unless `KLUE_REQUIRE_CLUSTER=1` (scripts/test.sh), where they fail: a missing
//! server is never a silent pass. The server runs on a free loopback port with
//! `--chat_format chatml-function-calling --n_ctx 8192`, is ready when `/v1/models` answers,
//! and dies with the test process (or when dropped).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::procs;

/// The model name klue sends (the server serves one model whatever the name).
pub const MODEL: &str = "SmolLM2-135M-Instruct";

/// A running llama.cpp server.
pub struct LlamaServer {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl LlamaServer {
    /// `http://127.0.0.1:PORT/v1`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// The server's log so far (for failure messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"))
        .join("klue-llm")
}

/// The python with llama_cpp.server and the model file, if provisioned.
pub fn find() -> Option<(PathBuf, PathBuf)> {
    let python = std::env::var_os("KLUE_LLM_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("venv/bin/python"));
    let model = std::env::var_os("KLUE_LLM_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("SmolLM2-135M-Instruct.Q4_1.gguf"));
    (python.is_file() && model.is_file()).then_some((python, model))
}

fn required() -> bool {
    std::env::var("KLUE_REQUIRE_CLUSTER").is_ok_and(|v| v == "1")
}

/// Start a server of our own (most tests share [`shared`] instead).
pub fn start() -> Result<LlamaServer, String> {
    let (python, model) = find().ok_or_else(|| {
        "the local model server is not provisioned (run scripts/provision-llm.sh)".to_string()
    })?;
    let port = procs::free_port().map_err(|e| format!("no free port: {e}"))?;
    let log = procs::base_dir().join(format!("{}-llama-{port}.log", std::process::id()));
    let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&python);
    cmd.args(["-m", "llama_cpp.server", "--model"])
        .arg(&model)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--n_ctx",
            "8192",
            "--chat_format",
            "chatml-function-calling",
        ])
        .args(["--model_alias", MODEL])
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    let child =
        procs::spawn_tied(cmd).map_err(|e| format!("starting {}: {e}", python.display()))?;
    let mut server = LlamaServer { child, port, log };
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!(
                "the llama.cpp server exited ({status}) before it was ready:\n{}",
                server.log_tail()
            ));
        }
        if models_ok(port) {
            return Ok(server);
        }
        if Instant::now() > deadline {
            let tail = server.log_tail();
            let _ = server.child.kill();
            return Err(format!(
                "the llama.cpp server was not ready within 180 s:\n{tail}"
            ));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// `GET /v1/models` answers 200 (a bare HTTP/1.0 request; no client needed).
fn models_ok(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /v1/models HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).contains(" 200 ")
}

/// The server shared by this test binary's tests; None (after saying so) when it is not
/// provisioned and not required. Panics when required and missing, or when it fails to start.
pub fn shared() -> Option<&'static LlamaServer> {
    static SHARED: OnceLock<Result<LlamaServer, String>> = OnceLock::new();
    if find().is_none() {
        if required() {
            panic!(
                "the local model server is not provisioned: run scripts/provision-llm.sh \
                 (KLUE_REQUIRE_CLUSTER=1)"
            );
        }
        static SAID: OnceLock<()> = OnceLock::new();
        SAID.get_or_init(|| {
            eprintln!(
                "llama.cpp tests not run: the local model server is not provisioned \
                 (run scripts/provision-llm.sh, or scripts/test.sh)"
            )
        });
        return None;
    }
    match SHARED.get_or_init(start) {
        Ok(s) => Some(s),
        Err(e) => panic!("{e}"),
    }
}
