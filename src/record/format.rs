//! The on-disk format: JSON Lines. Line 1 is the [`Header`]; every further line is an
//! [`RecordLine`]: a timestamp (`at`) flattened together with one protocol [`Event`] (tagged by
//! `"event"`) or [`Op`] (tagged by `"op"`), for example:
//!
//! ```text
//! {"klue_recording":1,"klue_version":"0.1.0","started_at":"2026-01-05T10:00:00Z","session":{...}}
//! {"at":"2026-01-05T10:00:01.250Z","event":"user_message","text":"checkout returns 502"}
//! {"at":"2026-01-05T10:00:03Z","event":"proposed","id":"p1","command":"get pods -n shop",...}
//! ```
//!
//! Compatibility: readers accept [`FORMAT_VERSION`] and refuse newer major versions with a
//! specific error. New event kinds and fields are additive.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::protocol::{Event, Op, SessionInfo};

/// The recording format this klue writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The first line of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The format version; its presence marks the file as a klue recording.
    pub klue_recording: u32,
    /// The klue that wrote it.
    pub klue_version: String,
    pub started_at: Timestamp,
    /// Context, server, namespace, planner and model.
    pub session: SessionInfo,
}

impl Header {
    /// A header for a session starting now, written by this klue.
    pub fn new(session: SessionInfo) -> Self {
        Self::at(session, Timestamp::now())
    }

    /// A header with an explicit start time (tests, imports).
    pub fn at(session: SessionInfo, started_at: Timestamp) -> Self {
        Self {
            klue_recording: FORMAT_VERSION,
            klue_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at,
            session,
        }
    }
}

/// What one line after the header holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Item {
    Event(Event),
    Op(Op),
}

/// One timestamped line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordLine {
    pub at: Timestamp,
    #[serde(flatten)]
    pub item: Item,
}

impl RecordLine {
    pub fn event(at: Timestamp, event: Event) -> Self {
        Self {
            at,
            item: Item::Event(event),
        }
    }

    pub fn op(at: Timestamp, op: Op) -> Self {
        Self {
            at,
            item: Item::Op(op),
        }
    }

    /// The event, if this line is one.
    pub fn as_event(&self) -> Option<&Event> {
        match &self.item {
            Item::Event(e) => Some(e),
            Item::Op(_) => None,
        }
    }
}

/// Serialise a header or entry as one line (with the trailing newline).
pub fn encode_line<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut v = serde_json::to_vec(value)?;
    v.push(b'\n');
    Ok(v)
}
