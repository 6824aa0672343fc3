//! Reading recordings: streaming ([`RecordingReader`]) or whole ([`read`]).
//!
//! The reader is tolerant where damage is expected and specific where it is not:
//! - a partial last line (the writer was killed mid-line) is dropped with a [`Warning`];
//! - an event kind this klue does not know (a newer klue wrote it) is skipped with a warning;
//! - a line that is not JSON, or JSON that is not an entry, is a [`ReadError`] naming the line;
//! - an empty file, a file whose first line is not a klue header, or a newer format version
//!   are specific errors.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::format::{FORMAT_VERSION, Header, RecordLine};

/// Reading a recording failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: cannot read: {source}")]
    Io {
        path: PathBuf,
        line: usize,
        source: std::io::Error,
    },
    #[error("{path} is empty: not a klue recording")]
    Empty { path: PathBuf },
    #[error("{path}:1: not a klue recording ({detail})")]
    NotARecording { path: PathBuf, detail: String },
    #[error(
        "{path}:1: recording format version {found} is newer than this klue understands (up to {supported}); upgrade klue"
    )]
    UnsupportedVersion {
        path: PathBuf,
        found: u64,
        supported: u32,
    },
    #[error("{path}:{line}: not valid JSON: {detail}")]
    NotJson {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    #[error("{path}:{line}: not a recording entry: {detail}")]
    BadEntry {
        path: PathBuf,
        line: usize,
        detail: String,
    },
}

impl ReadError {
    /// The 1-based line the error is about, when it is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ReadError::Io { line, .. }
            | ReadError::NotJson { line, .. }
            | ReadError::BadEntry { line, .. } => Some(*line),
            ReadError::NotARecording { .. } | ReadError::UnsupportedVersion { .. } => Some(1),
            ReadError::Open { .. } | ReadError::Empty { .. } => None,
        }
    }
}

/// Something the reader tolerated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A whole recording in memory.
#[derive(Debug, Clone)]
pub struct Recording {
    pub path: PathBuf,
    pub header: Header,
    /// Every entry, in file order.
    pub entries: Vec<RecordLine>,
    pub warnings: Vec<Warning>,
}

/// Read a whole recording.
pub fn read(path: &Path) -> Result<Recording, ReadError> {
    let mut r = RecordingReader::open(path)?;
    let mut entries = Vec::new();
    while let Some(e) = r.next_entry()? {
        entries.push(e);
    }
    Ok(Recording {
        path: path.to_path_buf(),
        header: r.header().clone(),
        entries,
        warnings: r.warnings().to_vec(),
    })
}

/// A streaming reader: the header is parsed on open, entries one line at a time. Opening a
/// large recording and reading its first entries costs only those lines.
pub struct RecordingReader<R = BufReader<File>> {
    path: PathBuf,
    input: R,
    header: Header,
    line: usize,
    buf: Vec<u8>,
    warnings: Vec<Warning>,
    done: bool,
}

impl RecordingReader<BufReader<File>> {
    /// Open `path` and read its header.
    pub fn open(path: &Path) -> Result<Self, ReadError> {
        let file = File::open(path).map_err(|source| ReadError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_reader(path, BufReader::with_capacity(256 * 1024, file))
    }
}

impl<R: BufRead> RecordingReader<R> {
    /// Read from any buffered input; `path` is used in messages.
    pub fn from_reader(path: &Path, mut input: R) -> Result<Self, ReadError> {
        let path = path.to_path_buf();
        let mut buf = Vec::new();
        let n = read_line(&mut input, &mut buf).map_err(|source| ReadError::Io {
            path: path.clone(),
            line: 1,
            source,
        })?;
        if n == 0 {
            return Err(ReadError::Empty { path });
        }
        let header = parse_header(&path, trim_eol(&buf))?;
        Ok(Self {
            path,
            input,
            header,
            line: 1,
            buf,
            warnings: Vec::new(),
            done: false,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// What was tolerated so far.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The number of the last line read.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The next entry; `Ok(None)` at the end.
    pub fn next_entry(&mut self) -> Result<Option<RecordLine>, ReadError> {
        loop {
            if self.done {
                return Ok(None);
            }
            self.buf.clear();
            let n = read_line(&mut self.input, &mut self.buf).map_err(|source| ReadError::Io {
                path: self.path.clone(),
                line: self.line + 1,
                source,
            })?;
            if n == 0 {
                self.done = true;
                return Ok(None);
            }
            self.line += 1;
            let complete = self.buf.last() == Some(&b'\n');
            let text = trim_eol(&self.buf);
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse_entry(text) {
                Ok(entry) => return Ok(Some(entry)),
                Err(_) if !complete => {
                    self.warnings.push(Warning {
                        line: self.line,
                        message: "the last line is incomplete (the session was interrupted while writing it); ignored".into(),
                    });
                    self.done = true;
                    return Ok(None);
                }
                Err(LineError::UnknownKind(kind)) => {
                    self.warnings.push(Warning {
                        line: self.line,
                        message: format!(
                            "unknown entry kind `{kind}` (written by a newer klue?); skipped"
                        ),
                    });
                }
                Err(LineError::NotJson(detail)) => {
                    return Err(ReadError::NotJson {
                        path: self.path.clone(),
                        line: self.line,
                        detail,
                    });
                }
                Err(LineError::Bad(detail)) => {
                    return Err(ReadError::BadEntry {
                        path: self.path.clone(),
                        line: self.line,
                        detail,
                    });
                }
            }
        }
    }
}

/// Read up to and including `\n`, without limit on line length.
fn read_line<R: BufRead>(input: &mut R, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    input.read_until(b'\n', buf)
}

fn trim_eol(buf: &[u8]) -> &[u8] {
    let mut b = buf;
    while let Some((last, rest)) = b.split_last() {
        if *last == b'\n' || *last == b'\r' {
            b = rest;
        } else {
            break;
        }
    }
    b
}

fn parse_header(path: &Path, text: &[u8]) -> Result<Header, ReadError> {
    let not = |detail: String| ReadError::NotARecording {
        path: path.to_path_buf(),
        detail,
    };
    let value: serde_json::Value = serde_json::from_slice(text)
        .map_err(|e| not(format!("the first line is not JSON: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(not("the first line is not a JSON object".into()));
    };
    let Some(version) = obj.get("klue_recording") else {
        return Err(not(
            "the first line has no `klue_recording` format version".into()
        ));
    };
    let Some(version) = version.as_u64() else {
        return Err(not(format!(
            "`klue_recording` is `{version}`, not a version number"
        )));
    };
    if version == 0 || version > u64::from(FORMAT_VERSION) {
        return Err(ReadError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|e| not(format!("the header is incomplete: {e}")))
}

enum LineError {
    NotJson(String),
    UnknownKind(String),
    Bad(String),
}

fn parse_entry(text: &[u8]) -> Result<RecordLine, LineError> {
    let value: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| LineError::NotJson(e.to_string()))?;
    let Some(obj) = value.as_object() else {
        return Err(LineError::Bad("the line is not a JSON object".into()));
    };
    if !obj.contains_key("at") {
        return Err(LineError::Bad("no `at` timestamp".into()));
    }
    let kind = match (obj.get("event"), obj.get("op")) {
        (Some(k), _) | (None, Some(k)) => k.as_str().unwrap_or_default().to_string(),
        (None, None) => return Err(LineError::Bad("neither an `event` nor an `op`".into())),
    };
    let known = known_kind(obj);
    match serde_json::from_value::<RecordLine>(value) {
        Ok(e) => Ok(e),
        Err(e) if known => Err(LineError::Bad(format!("`{kind}`: {e}"))),
        Err(_) => Err(LineError::UnknownKind(kind)),
    }
}

/// Whether the line's `event`/`op` tag names a kind this klue knows (so a failure to decode
/// it is damage, not a newer writer).
fn known_kind(obj: &serde_json::Map<String, serde_json::Value>) -> bool {
    const EVENTS: &[&str] = &[
        "session_started",
        "user_message",
        "assistant_delta",
        "assistant_message",
        "proposed",
        "refused",
        "decided",
        "exec_started",
        "exec_finished",
        "hypothesis",
        "concluded",
        "usage",
        "awaiting_input",
        "cancelled",
        "error",
        "session_ended",
    ];
    const OPS: &[&str] = &["user_message", "decide", "approve_shape", "cancel", "end"];
    if let Some(k) = obj.get("event").and_then(|v| v.as_str()) {
        return EVENTS.contains(&k);
    }
    if let Some(k) = obj.get("op").and_then(|v| v.as_str()) {
        return OPS.contains(&k);
    }
    false
}

/// Whether the first bytes of `path` look like a klue recording header (cheap check for
/// listings).
pub fn looks_like_recording(path: &Path) -> bool {
    let Ok(f) = File::open(path) else {
        return false;
    };
    let mut head = [0u8; 64];
    let mut r = BufReader::new(f);
    let n = r.read(&mut head).unwrap_or(0);
    head[..n].starts_with(b"{\"klue_recording\"")
}
