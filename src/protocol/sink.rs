//! Where events go besides the front end: the recorder, or anything else that wants them.

use super::Event;

/// A consumer of the session's event stream. Called from the session task for every event,
/// in order, so implementations must not block: hand the event to a channel or a buffered
/// writer. Events are already redacted.
pub trait EventSink: Send {
    fn event(&mut self, event: &Event);
}

/// A channel is a sink: the receiving task (e.g. the recording writer) owns the slow part.
impl EventSink for tokio::sync::mpsc::UnboundedSender<Event> {
    fn event(&mut self, event: &Event) {
        if self.send(event.clone()).is_err() {
            tracing::debug!("event sink closed");
        }
    }
}

/// Any closure taking an event is a sink (handy in tests).
impl<F: FnMut(&Event) + Send> EventSink for F {
    fn event(&mut self, event: &Event) {
        self(event)
    }
}
