//! The recording writer: one task owns the file; events reach it through a bounded channel.
//!
//! Every entry is redacted ([`crate::redact`]) and written as one line as soon as the task
//! receives it (entries that arrive together share one write); there is no user-space
//! buffering between entries, so a session killed with SIGKILL keeps every entry the task had
//! written, and at worst leaves one partial last line, which the reader tolerates.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use tokio::sync::mpsc;

use super::format::{Header, RecordLine, encode_line};
use crate::protocol::EventSink;
use crate::protocol::{Event, Op, SessionInfo};

/// How many entries may wait for the writer before senders spill into their own buffer.
pub const CHANNEL_CAPACITY: usize = 4096;

/// Writing a recording failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot create the recordings directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the recording {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the recording {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot encode a recording entry: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("the recording writer stopped unexpectedly")]
    WriterGone,
}

/// Options for [`Recorder`].
#[derive(Debug, Clone)]
pub struct RecorderOptions {
    /// Run every entry through [`crate::redact`] before writing (on by default; events from
    /// the session are already redacted, this is the second line of defence).
    pub redact: bool,
    /// Leave out [`Event::AssistantDelta`] (the coalesced [`Event::AssistantMessage`] is
    /// recorded). On by default.
    pub skip_deltas: bool,
}

impl Default for RecorderOptions {
    fn default() -> Self {
        Self {
            redact: true,
            skip_deltas: true,
        }
    }
}

/// A recording being written. Create it with [`Recorder::create_in`] (a new file in a
/// directory, normally [`super::sessions_dir`]) or [`Recorder::create_at`]; hand
/// [`Recorder::sink`] to the session (it is an [`EventSink`]); call [`Recorder::finish`] at
/// the end to flush what is still queued.
///
/// Must be created inside a tokio runtime.
pub struct Recorder {
    path: PathBuf,
    tx: mpsc::Sender<RecordLine>,
    written: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<Result<(), RecordError>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .finish()
    }
}

impl Recorder {
    /// Create `DIR/<start>-<context>-<session id>.jsonl` (the directory is created, private
    /// to the user) and write the header.
    pub fn create_in(
        dir: &Path,
        header: Header,
        options: RecorderOptions,
    ) -> Result<Self, RecordError> {
        create_private_dir(dir)?;
        let path = dir.join(file_name(&header));
        Self::create_at(&path, header, options)
    }

    /// Record a session in `dir` (default options): the recording's path goes into the
    /// session facts (`info.recording`) and into the header, so front ends can show it.
    pub fn start_session(dir: &Path, info: &mut SessionInfo) -> Result<Self, RecordError> {
        let mut header = Header::new(info.clone());
        let path = dir.join(file_name(&header));
        header.session.recording = Some(path.display().to_string());
        let r = Self::create_in(dir, header, RecorderOptions::default())?;
        info.recording = Some(r.path().display().to_string());
        Ok(r)
    }

    /// Create the recording at `path` (which must not exist) and write the header.
    pub fn create_at(
        path: &Path,
        header: Header,
        options: RecorderOptions,
    ) -> Result<Self, RecordError> {
        let mut open = OpenOptions::new();
        open.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            open.mode(0o600);
        }
        let mut file = open.open(path).map_err(|source| RecordError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        let mut header = header;
        if options.redact {
            header.session.server = crate::redact::redact(&header.session.server);
        }
        file.write_all(&encode_line(&header)?)
            .map_err(|source| RecordError::Write {
                path: path.to_path_buf(),
                source,
            })?;
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let written = Arc::new(AtomicU64::new(0));
        let task = {
            let path = path.to_path_buf();
            let written = written.clone();
            tokio::task::spawn_blocking(move || write_loop(file, &path, rx, &options, &written))
        };
        Ok(Self {
            path: path.to_path_buf(),
            tx,
            written,
            task,
        })
    }

    /// Where the recording is written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many entries (after the header) have reached the file so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// A sink for the session's events (the session config's sink).
    pub fn sink(&self) -> RecordSink {
        RecordSink {
            tx: self.tx.clone(),
            spill: Vec::new(),
        }
    }

    /// Record an op from the front end, timestamped now. Waits if the writer is behind.
    pub async fn op(&self, op: Op) -> Result<(), RecordError> {
        self.tx
            .send(RecordLine::op(Timestamp::now(), op))
            .await
            .map_err(|_| RecordError::WriterGone)
    }

    /// Record an event, timestamped now. Waits if the writer is behind.
    pub async fn event(&self, event: Event) -> Result<(), RecordError> {
        self.entry(RecordLine::event(Timestamp::now(), event)).await
    }

    /// Record an entry with its own timestamp.
    pub async fn entry(&self, entry: RecordLine) -> Result<(), RecordError> {
        self.tx
            .send(entry)
            .await
            .map_err(|_| RecordError::WriterGone)
    }

    /// Stop accepting entries once every sink is dropped, write what is queued, close.
    /// Drop the sinks handed out first (the session does when it ends).
    pub async fn finish(self) -> Result<(), RecordError> {
        drop(self.tx);
        self.task.await.map_err(|_| RecordError::WriterGone)?
    }
}

/// The [`EventSink`] side of a [`Recorder`]. Never blocks the session: when the channel is
/// full, events wait in the sink's own buffer (in order) and go out with the next event or
/// when the sink is dropped.
pub struct RecordSink {
    tx: mpsc::Sender<RecordLine>,
    spill: Vec<RecordLine>,
}

impl RecordSink {
    fn push(&mut self, entry: RecordLine) {
        if self.spill.is_empty() {
            match self.tx.try_send(entry) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full(e)) => self.spill.push(e),
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    tracing::warn!("recording writer is gone; event not recorded");
                    return;
                }
            }
        } else {
            self.spill.push(entry);
        }
        self.drain();
    }

    fn drain(&mut self) {
        let mut sent = 0;
        for e in &self.spill {
            match self.tx.try_reserve() {
                Ok(permit) => {
                    permit.send(e.clone());
                    sent += 1;
                }
                Err(_) => break,
            }
        }
        self.spill.drain(..sent);
    }
}

impl EventSink for RecordSink {
    fn event(&mut self, event: &Event) {
        self.push(RecordLine::event(Timestamp::now(), event.clone()));
    }
}

impl Drop for RecordSink {
    fn drop(&mut self) {
        self.drain();
        if self.spill.is_empty() {
            return;
        }
        let spill = std::mem::take(&mut self.spill);
        let tx = self.tx.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    for e in spill {
                        if tx.send(e).await.is_err() {
                            break;
                        }
                    }
                });
            }
            Err(_) => {
                for e in spill {
                    if tx.blocking_send(e).is_err() {
                        break;
                    }
                }
            }
        }
    }
}

fn write_loop(
    mut file: File,
    path: &Path,
    mut rx: mpsc::Receiver<RecordLine>,
    options: &RecorderOptions,
    written: &AtomicU64,
) -> Result<(), RecordError> {
    let mut buf = Vec::with_capacity(64 * 1024);
    while let Some(first) = rx.blocking_recv() {
        buf.clear();
        let mut n = 0u64;
        let mut next = Some(first);
        // Take what is already queued too, up to a bound, and write it in one go.
        while let Some(entry) = next {
            if encode(&entry, options, &mut buf)? {
                n += 1;
            }
            next = if buf.len() < 1 << 20 {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if !buf.is_empty() {
            file.write_all(&buf).map_err(|source| RecordError::Write {
                path: path.to_path_buf(),
                source,
            })?;
        }
        written.fetch_add(n, Ordering::AcqRel);
    }
    file.flush().map_err(|source| RecordError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(())
}

/// Append one line for `entry` to `buf`; false if the entry is not recorded.
fn encode(
    entry: &RecordLine,
    options: &RecorderOptions,
    buf: &mut Vec<u8>,
) -> Result<bool, RecordError> {
    if options.skip_deltas && matches!(entry.as_event(), Some(Event::AssistantDelta { .. })) {
        return Ok(false);
    }
    if options.redact {
        let mut v = serde_json::to_value(entry)?;
        crate::redact::redact_value(&mut v);
        serde_json::to_writer(&mut *buf, &v)?;
    } else {
        serde_json::to_writer(&mut *buf, entry)?;
    }
    buf.push(b'\n');
    Ok(true)
}

fn create_private_dir(dir: &Path) -> Result<(), RecordError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|source| RecordError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// `20260105-100000-<context>-<session id>.jsonl`, with unsafe characters replaced.
pub fn file_name(header: &Header) -> String {
    let ts = header.started_at.strftime("%Y%m%d-%H%M%S");
    let clean = |s: &str, max: usize| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(max)
            .collect()
    };
    format!(
        "{ts}-{}-{}.jsonl",
        clean(&header.session.context.to_string(), 40),
        clean(&header.session.session_id, 24)
    )
}
