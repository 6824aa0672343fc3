//! The terminal UI: a front end over the core protocol (it never touches the cluster or a
//! planner). [`App`] holds the state, [`App::update`] applies a [`Msg`] (a core event, a
//! key, the mouse, a resize, a tick) and returns [`Effect`]s, and [`view`] draws a frame,
//! so tests render it into ratatui's `TestBackend` by injecting events.
//!
//! The same screen serves a live session ([`Source::Live`]: an op sender and an event
//! receiver) and a replay ([`Source::Replay`]: a [`replay::Player`] over recorded events).

pub mod app;
pub mod chat;
pub mod clipboard;
pub mod commands;
pub mod conclusion;
pub mod editor;
pub mod event_loop;
pub mod help;
pub mod hypotheses;
pub mod input;
mod keymap;
pub mod markdown;
pub mod output;
pub mod replay;
pub mod status;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod wrap;

pub use app::{App, Effect, Focus, Mode, Msg, Overlay};
pub use event_loop::{Source, TuiError, run, with_connection_check};
pub use terminal::TerminalGuard;
pub use theme::Theme;
pub use view::view;
