//! The event loop: terminal input, core events (or playback) and a tick become [`Msg`]s;
//! [`Effect`]s go out to the core, the clipboard or the player; a frame is drawn when
//! something changed.

use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::app::{App, Effect, Msg};
use super::clipboard::osc52;
use super::replay::{Feed, Player};
use super::terminal::TerminalGuard;
use super::view::view;
use crate::protocol::{Connection, EndReason, Event, Op};

/// Where events come from.
pub enum Source {
    /// A live session: ops go to the core, events come back.
    Live {
        ops: UnboundedSender<Op>,
        events: UnboundedReceiver<Event>,
    },
    /// A recording played back (read-only).
    Replay(Player),
}

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("terminal I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A live session's events with the outcome of `check` put among them: the screen comes up
/// at once and the check (discovery, the server's version) runs behind it, shown in the
/// status bar as [`Connection::Checking`] until it answers. The returned channel closes when
/// the session's does.
pub fn with_connection_check<F>(
    mut events: UnboundedReceiver<Event>,
    check: F,
) -> UnboundedReceiver<Event>
where
    F: std::future::Future<Output = Connection> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let _ = tx.send(Event::Connection(Connection::Checking));
    let mut check = tokio::spawn(check);
    let mut checked = false;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(ev) => {
                        if tx.send(ev).is_err() {
                            break;
                        }
                    }
                    None => break,
                },
                found = &mut check, if !checked => {
                    checked = true;
                    if let Ok(c) = found {
                        let _ = tx.send(Event::Connection(c));
                    }
                }
            }
        }
    });
    rx
}

/// Most core events applied before a frame is drawn (streamed replies come in bursts).
const BATCH: usize = 512;

fn term_msg(ev: TermEvent) -> Option<Msg> {
    match ev {
        TermEvent::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
        TermEvent::Mouse(m) => Some(Msg::Mouse(m)),
        TermEvent::Paste(s) => Some(Msg::Paste(s)),
        TermEvent::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

async fn recv(events: &mut Option<UnboundedReceiver<Event>>) -> Option<Event> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Run the screen until the engineer quits.
pub async fn run(guard: &mut TerminalGuard, app: &mut App, source: Source) -> Result<(), TuiError> {
    let (ops, mut events, mut player) = match source {
        Source::Live { ops, events } => (Some(ops), Some(events), None),
        Source::Replay(p) => (None, None, Some(p)),
    };
    let mut input = EventStream::new();
    let period = if player.is_some() { 16 } else { 100 };
    let mut tick = tokio::time::interval(Duration::from_millis(period));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let size = guard.terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    if let Some(p) = player.as_ref() {
        app.update(Msg::Replay(p.status()));
    }
    guard.terminal.draw(|f| view(app, f))?;

    loop {
        let mut fx = Vec::new();
        let mut dirty = false;
        tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(ev)) => {
                    if let Some(msg) = term_msg(ev) {
                        fx.extend(app.update(msg));
                        dirty = true;
                    }
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            ev = recv(&mut events) => match ev {
                Some(ev) => {
                    app.update(Msg::Core(ev));
                    if let Some(rx) = events.as_mut() {
                        for _ in 0..BATCH {
                            match rx.try_recv() {
                                Ok(ev) => { app.update(Msg::Core(ev)); }
                                Err(_) => break,
                            }
                        }
                    }
                    dirty = true;
                }
                None => {
                    events = None;
                    if app.ended.is_none() {
                        app.notice("The session stopped unexpectedly (see the log file).");
                        app.ended = Some(EndReason::Stopped);
                        app.busy = false;
                    }
                    dirty = true;
                }
            },
            _ = tick.tick() => {
                app.update(Msg::Tick);
                dirty = app.busy || app.flash.is_some();
                if let Some(p) = player.as_mut() {
                    let evs = p.tick(Instant::now());
                    dirty |= !evs.is_empty() || !p.status().paused;
                    for ev in evs {
                        app.update(Msg::Core(ev));
                    }
                    app.update(Msg::Replay(p.status()));
                }
            }
        }
        let mut quit = false;
        for e in fx {
            match e {
                Effect::Send(op) => {
                    if let Some(tx) = ops.as_ref()
                        && tx.send(op).is_err()
                    {
                        app.notice("The session is no longer running.");
                    }
                }
                Effect::Copy(text) => {
                    let (seq, _) = osc52(&text);
                    guard.write_raw(&seq)?;
                }
                Effect::Quit => quit = true,
                Effect::Replay(ctl) => {
                    if let Some(p) = player.as_mut() {
                        match p.control(ctl, Instant::now()) {
                            Feed::Events(evs) => {
                                for ev in evs {
                                    app.update(Msg::Core(ev));
                                }
                            }
                            Feed::Reset(evs) => {
                                app.update(Msg::Reset);
                                for ev in evs {
                                    app.update(Msg::Core(ev));
                                }
                            }
                        }
                        app.update(Msg::Replay(p.status()));
                    }
                }
            }
        }
        if quit {
            break;
        }
        if dirty {
            guard.terminal.draw(|f| view(app, f))?;
        }
    }

    // Let a live session end cleanly so its recording is complete.
    if let (Some(tx), Some(mut rx)) = (ops, events)
        && app.ended.is_none()
        && tx
            .send(Op::End {
                reason: EndReason::Engineer,
            })
            .is_ok()
    {
        let deadline = tokio::time::sleep(Duration::from_secs(2));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                ev = rx.recv() => match ev {
                    Some(Event::SessionEnded { .. }) | None => break,
                    Some(_) => {}
                },
                _ = &mut deadline => {
                    tracing::warn!("the session did not end within 2 s");
                    break;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_check_runs_behind_the_session_events() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let (answer, answered) = tokio::sync::oneshot::channel::<()>();
        let mut merged = with_connection_check(rx, async move {
            let _ = answered.await;
            Connection::Unreachable {
                detail: "the server https://127.0.0.1:9 is unreachable".into(),
            }
        });
        // the session's events are not held back by a check that has not answered
        tx.send(Event::AwaitingInput).unwrap();
        assert_eq!(
            merged.recv().await,
            Some(Event::Connection(Connection::Checking))
        );
        assert_eq!(merged.recv().await, Some(Event::AwaitingInput));
        answer.send(()).unwrap();
        assert!(matches!(
            merged.recv().await,
            Some(Event::Connection(Connection::Unreachable { .. }))
        ));
        tx.send(Event::Cancelled).unwrap();
        assert_eq!(merged.recv().await, Some(Event::Cancelled));
        drop(tx);
        assert_eq!(merged.recv().await, None);
    }

    #[tokio::test]
    async fn a_hanging_check_does_not_keep_the_session_open() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
        let mut merged = with_connection_check(rx, std::future::pending());
        assert_eq!(
            merged.recv().await,
            Some(Event::Connection(Connection::Checking))
        );
        drop(tx);
        assert_eq!(merged.recv().await, None);
    }
}
