//! Session recording (JSONL), reading, replay support and export.
//!
//! - **Writing**: [`Recorder`] owns the file in a task fed by a bounded channel; give
//!   [`Recorder::sink`] to the session as an [`EventSink`](crate::protocol::EventSink). Every
//!   line is redacted and reaches the file as soon as the task has it. Recordings live in
//!   [`sessions_dir`] (`$XDG_STATE_HOME/klue/sessions`).
//! - **Reading**: [`RecordingReader`] streams entries (replay: open, header, first entries,
//!   without reading the rest); [`read`] loads a whole [`Recording`]. Damage gives a
//!   [`ReadError`] naming the line; a partial last line is a [`Warning`].
//! - **Replay / resume**: a recording is the session's [`Event`](crate::protocol::Event)
//!   stream (plus front-end [`Op`](crate::protocol::Op)s), each [`RecordLine`] with its time
//!   `at`; replay feeds `entry.as_event()` to the front end, pacing by the `at` differences.
//!   [`Recording::events`] gives the events alone, e.g. to rebuild a transcript for resume.
//! - **Export**: [`Timeline::build`] digests a recording; [`markdown::render`] and
//!   `serde_json` render it.
//! - **Listing**: [`sessions::list`] summarises every recording in a directory.

pub mod api_calls;
pub mod format;
pub mod markdown;
pub mod reader;
pub mod sessions;
pub mod timeline;
pub mod writer;

pub use format::{FORMAT_VERSION, Header, Item, RecordLine};
pub use reader::{ReadError, Recording, RecordingReader, Warning, read};
pub use sessions::{SessionSummary, resolve, sessions_dir};
pub use timeline::Timeline;
pub use writer::{RecordError, RecordSink, Recorder, RecorderOptions};

impl Recording {
    /// The recorded events, in order (ops left out).
    pub fn events(&self) -> impl Iterator<Item = &crate::protocol::Event> {
        self.entries.iter().filter_map(RecordLine::as_event)
    }
}
