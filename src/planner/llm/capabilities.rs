//! What an endpoint turned out not to do, remembered per base URL and model: a server that
//! closes streams carrying tools gets whole replies, one that refuses tool calls gets JSON in
//! the text. Learnt during a session, said aloud once, and kept in a small cache file so the
//! next session starts on the rung that works.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The rungs of the capability ladder, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rung {
    /// Tool calls, streamed.
    StreamedTools,
    /// Tool calls, whole replies.
    UnstreamedTools,
    /// No tools: the actions travel as JSON in the reply text.
    Json,
}

/// What does not work at one endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Streamed requests that carry tools fail (cut, or refused).
    #[serde(default)]
    pub no_stream_with_tools: bool,
    /// Tool calls are refused (or unusable): JSON mode.
    #[serde(default)]
    pub no_tools: bool,
    /// Streaming fails even without tools.
    #[serde(default)]
    pub no_stream: bool,
    /// The server refuses a cap on the reply's length (`max_tokens`): replies go uncapped.
    #[serde(default)]
    pub no_reply_cap: bool,
}

impl Capabilities {
    /// The rung these capabilities allow (the configured mode may force JSON).
    pub fn rung(&self, json_only: bool) -> Rung {
        if json_only || self.no_tools {
            Rung::Json
        } else if self.no_stream_with_tools {
            Rung::UnstreamedTools
        } else {
            Rung::StreamedTools
        }
    }
}

/// The cache file: `{"<base url> <model>": {...}}`.
#[derive(Debug, Clone)]
pub struct Store {
    path: Option<PathBuf>,
    key: String,
}

impl Store {
    pub fn new(path: Option<PathBuf>, endpoint: &str, model: &str) -> Self {
        Store {
            path,
            key: format!("{} {model}", endpoint.trim_end_matches('/')),
        }
    }

    /// What was learnt about this endpoint in earlier sessions (nothing when the file is
    /// missing or unreadable: the ladder is learnt again).
    pub fn load(&self) -> Capabilities {
        let Some(path) = &self.path else {
            return Capabilities::default();
        };
        read_all(path).get(&self.key).copied().unwrap_or_default()
    }

    /// Remember `caps` for this endpoint. Failing to write is logged, not fatal: the session
    /// still knows.
    pub fn save(&self, caps: Capabilities) {
        let Some(path) = &self.path else { return };
        let mut all = read_all(path);
        all.insert(self.key.clone(), caps);
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = path.with_extension("json.tmp");
            let text = serde_json::to_string_pretty(&all).map_err(std::io::Error::other)?;
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, path)
        };
        if let Err(e) = write() {
            tracing::warn!(path = %path.display(), error = %e, "cannot remember the endpoint's capabilities");
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

fn read_all(path: &Path) -> BTreeMap<String, Capabilities> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_per_endpoint_and_model() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("klue").join("endpoints.json");
        let a = Store::new(Some(path.clone()), "http://127.0.0.1:8080/v1/", "smol");
        let b = Store::new(Some(path.clone()), "http://127.0.0.1:8080/v1", "other");
        assert_eq!(a.load(), Capabilities::default());
        a.save(Capabilities {
            no_stream_with_tools: true,
            ..Default::default()
        });
        assert!(a.load().no_stream_with_tools);
        assert_eq!(a.load().rung(false), Rung::UnstreamedTools);
        assert_eq!(b.load(), Capabilities::default());
        b.save(Capabilities {
            no_tools: true,
            ..Default::default()
        });
        assert!(
            a.load().no_stream_with_tools,
            "one endpoint does not erase another"
        );
        assert_eq!(b.load().rung(false), Rung::Json);
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(a.load(), Capabilities::default());
    }
}
