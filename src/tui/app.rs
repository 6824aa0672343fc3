//! The screen's state and its update function (Elm style): core events, keys, the mouse,
//! resizes and ticks come in as [`Msg`]s; what must happen outside (send an [`Op`], copy,
//! quit, drive playback) goes out as [`Effect`]s.

use std::cell::Cell;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::layout::Rect;

use super::chat::{ChatState, Role};
use super::commands::Commands;
use super::conclusion::ConclusionView;
use super::editor::Editor;
use super::hypotheses::Hypotheses;
use super::output::OutputView;
use super::replay::{ReplayCtl, ReplayStatus};
use super::theme::Theme;
use crate::protocol::{Connection, EndReason, Event, Op, ProposalId, SessionInfo, Spent, Usage};

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Msg {
    Core(Event),
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    Tick,
    /// Playback moved (replay only).
    Replay(ReplayStatus),
    /// Start over from an empty screen (replay seeking back).
    Reset,
}

/// Something the event loop must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Send(Op),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    Quit,
    Replay(ReplayCtl),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Input,
    Chat,
    Commands,
    Output,
    Hypotheses,
}

impl Focus {
    const ORDER: [Focus; 5] = [
        Focus::Chat,
        Focus::Commands,
        Focus::Output,
        Focus::Hypotheses,
        Focus::Input,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// Edit a proposal's command, then approve it.
    Edit(ProposalId),
    /// Reject a proposal, with an optional reason.
    Reject(ProposalId),
    /// Search the output pane.
    Search,
}

/// A one-line prompt shown over the input area.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub editor: Editor,
}

/// What covers the panes: at most one thing at a time, and it gets the keys, the mouse and
/// pasted text first. Help can open over the conclusion and returns to it.
#[derive(Debug, Clone, Default)]
pub enum Overlay {
    /// The panes have the keys.
    #[default]
    None,
    /// The conclusion view.
    Conclusion,
    /// A one-line prompt over the input (edit, reject, search).
    Prompt(Prompt),
    /// The help, with its scroll; `over_conclusion` reopens the conclusion when it closes.
    Help {
        scroll: usize,
        over_conclusion: bool,
    },
}

/// The prefix that makes a message in the input a query of the engineer's own (`:get pods`),
/// run through the same read-only policy as the planner's.
pub const OWN_QUERY_PREFIX: char = ':';

/// What the read-only policy says of a command line, as it is typed: `Ok` when it would
/// run, else the specific refusal. The same parser the session applies.
pub fn check_command(command: &str) -> Result<(), String> {
    let command = command.trim();
    if command.is_empty() {
        return Err("type a read-only kubectl command, e.g. get pods".into());
    }
    crate::query::parse(command)
        .map(|_| ())
        .map_err(|r| r.reason)
}

impl App {
    /// The input holds an own query (`:` first): its command, when it does.
    pub fn own_query(&self) -> Option<String> {
        let text = self.input.text();
        let t = text.trim_start();
        t.strip_prefix(OWN_QUERY_PREFIX)
            .map(|c| c.trim().to_string())
    }
}

impl Overlay {
    pub fn is_none(&self) -> bool {
        matches!(self, Overlay::None)
    }

    pub fn prompt(&self) -> Option<&Prompt> {
        match self {
            Overlay::Prompt(p) => Some(p),
            _ => None,
        }
    }

    /// The help's scroll, when the help is shown.
    pub fn help(&self) -> Option<usize> {
        match self {
            Overlay::Help { scroll, .. } => Some(*scroll),
            _ => None,
        }
    }

    /// The conclusion view is shown.
    pub fn conclusion(&self) -> bool {
        matches!(self, Overlay::Conclusion)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Live,
    Replay,
}

/// Where each pane was drawn in the last frame (for the mouse).
#[derive(Debug, Clone, Copy, Default)]
pub struct PaneRects {
    pub chat: Rect,
    pub commands: Rect,
    pub output: Rect,
    pub hypotheses: Rect,
    pub input: Rect,
}

impl PaneRects {
    pub fn at(&self, col: u16, row: u16) -> Option<Focus> {
        let p = ratatui::layout::Position::new(col, row);
        [
            (self.chat, Focus::Chat),
            (self.commands, Focus::Commands),
            (self.output, Focus::Output),
            (self.hypotheses, Focus::Hypotheses),
            (self.input, Focus::Input),
        ]
        .into_iter()
        .find(|(r, _)| r.contains(p))
        .map(|(_, f)| f)
    }
}

#[derive(Debug)]
pub struct App {
    pub theme: Theme,
    pub mode: Mode,
    pub info: Option<SessionInfo>,
    /// What the background connection check found (`None`: still checking, or no check).
    pub connection: Option<Connection>,
    pub focus: Focus,
    pub zoom: bool,
    pub chat: ChatState,
    pub commands: Commands,
    pub output: OutputView,
    /// The proposal the output view's scroll position belongs to.
    output_for: Option<ProposalId>,
    pub hypotheses: Hypotheses,
    pub conclusion: ConclusionView,
    pub input: Editor,
    /// What covers the panes, if anything.
    pub overlay: Overlay,
    /// In a replay, the engineer closed the conclusion: seeking does not reopen it.
    pub conclusion_dismissed: bool,
    pub usage: Usage,
    /// The budget used so far, and of what.
    pub spent: Spent,
    /// A turn is running (the model or queries are at work).
    pub busy: bool,
    /// The session ended, and why.
    pub ended: Option<EndReason>,
    /// Ctrl-C was pressed once; the next one quits.
    pub ctrl_c_armed: bool,
    /// A short message for the status bar, cleared by the next key.
    pub flash: Option<String>,
    pub replay: Option<ReplayStatus>,
    pub spinner: usize,
    pub size: (u16, u16),
    pub rects: Cell<PaneRects>,
}

impl App {
    pub fn new(mode: Mode, theme: Theme) -> Self {
        Self {
            theme,
            mode,
            info: None,
            connection: None,
            focus: if mode == Mode::Live {
                Focus::Input
            } else {
                Focus::Commands
            },
            zoom: false,
            chat: ChatState::default(),
            commands: Commands::default(),
            output: OutputView::default(),
            output_for: None,
            hypotheses: Hypotheses::default(),
            conclusion: ConclusionView {
                replay: mode == Mode::Replay,
                ..ConclusionView::default()
            },
            input: Editor::new(true),
            overlay: Overlay::None,
            conclusion_dismissed: false,
            usage: Usage::default(),
            spent: Spent::default(),
            busy: false,
            ended: None,
            ctrl_c_armed: false,
            flash: None,
            replay: None,
            spinner: 0,
            size: (0, 0),
            rects: Cell::new(PaneRects::default()),
        }
    }

    pub fn live() -> Self {
        Self::new(Mode::Live, Theme::from_env())
    }

    /// Forget the session (replay seeking back); keeps the mode, theme and view options.
    pub fn reset(&mut self) {
        let mut fresh = App::new(self.mode, self.theme);
        fresh.focus = self.focus;
        fresh.zoom = self.zoom;
        fresh.output.wrap = self.output.wrap;
        fresh.replay = self.replay;
        fresh.size = self.size;
        fresh.input = std::mem::take(&mut self.input);
        fresh.conclusion_dismissed = self.conclusion_dismissed;
        // Help stays open over a seek; the conclusion reopens when playback reaches it.
        if let Overlay::Help { scroll, .. } = self.overlay {
            fresh.overlay = Overlay::Help {
                scroll,
                over_conclusion: false,
            };
        }
        *self = fresh;
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut fx = Vec::new();
        match msg {
            Msg::Core(ev) => self.apply(ev),
            Msg::Key(k) => self.on_key(k, &mut fx),
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Paste(s) => self.on_paste(&s),
            Msg::Resize(w, h) => self.size = (w, h),
            Msg::Tick => {
                if self.busy {
                    self.spinner = self.spinner.wrapping_add(1);
                }
            }
            Msg::Replay(st) => self.replay = Some(st),
            Msg::Reset => self.reset(),
        }
        self.sync_output();
        fx
    }

    /// Apply one core event.
    pub fn apply(&mut self, ev: Event) {
        self.apply_event(ev);
        // Waiting for the engineer's decisions, with nothing running, is not working.
        if self.busy && self.pending_count() > 0 && !self.commands.working() {
            self.busy = false;
        }
    }

    fn apply_event(&mut self, ev: Event) {
        self.commands.apply(&ev);
        match ev {
            Event::SessionStarted(info) => self.info = Some(info),
            Event::UserMessage { text } => {
                self.chat.push(Role::User, text);
                self.chat.scroll = 0;
                self.busy = true;
            }
            Event::AssistantDelta { delta } => {
                self.chat.delta(&delta);
                self.busy = true;
            }
            Event::AssistantMessage { text, .. } => self.chat.assistant_message(&text),
            Event::Proposed(_) => {
                // A proposal waits for the engineer: the turn is not working on anything.
                self.busy = false;
            }
            Event::Refused { id, command, why } => {
                let again = self
                    .commands
                    .get(&id)
                    .is_some_and(|e| e.stage == crate::protocol::Stage::Pending);
                let hint = if again { " (e edits it again)" } else { "" };
                self.chat.push(
                    Role::Error,
                    format!("{id} refused: `{command}`: {why}{hint}"),
                );
            }
            Event::Decided { .. } | Event::ExecFinished(_) => {}
            Event::ExecStarted { .. } => self.busy = true,
            Event::Hypothesis(h) => self.hypotheses.upsert(h),
            Event::Concluded(c) => {
                self.chat.end_stream();
                self.chat.push(
                    Role::Info,
                    format!("Conclusion: {} (c shows it again)", c.headline()),
                );
                self.conclusion.set(c);
                self.open_conclusion_on_arrival();
                self.busy = false;
            }
            Event::Usage(u) => self.usage = u,
            Event::Spent(s) => self.spent = s,
            Event::ApiCalls(_) => {}
            Event::AwaitingInput => {
                self.chat.end_stream();
                self.busy = false;
            }
            Event::Cancelled => {
                self.chat.push(Role::Info, "Turn cancelled.");
                self.busy = false;
            }
            Event::Error { message, .. } => self.chat.push(Role::Error, message),
            Event::Notice { text } => self.chat.push(Role::Info, text),
            Event::Connection(c) => {
                if let Connection::Unreachable { detail } = &c {
                    self.chat.push(Role::Error, detail.clone());
                }
                self.connection = Some(c);
            }
            Event::SessionEnded { reason } => {
                self.chat
                    .push(Role::Info, format!("Session ended: {reason}"));
                self.ended = Some(reason);
                self.busy = false;
            }
        }
    }

    /// A conclusion arrived: show it, unless something else covers the panes, or (in a
    /// replay) the engineer closed it already.
    fn open_conclusion_on_arrival(&mut self) {
        if self.mode == Mode::Replay && self.conclusion_dismissed {
            return;
        }
        match &mut self.overlay {
            Overlay::None => self.overlay = Overlay::Conclusion,
            Overlay::Help {
                over_conclusion, ..
            } => *over_conclusion = true,
            _ => {}
        }
    }

    /// Close the conclusion view (Esc, `c`, a jump to a result).
    pub fn close_conclusion(&mut self) {
        if self.overlay.conclusion() {
            self.overlay = Overlay::None;
            self.conclusion_dismissed = true;
        }
    }

    /// Show the conclusion (`c`).
    pub fn open_conclusion(&mut self) {
        self.overlay = Overlay::Conclusion;
        self.conclusion_dismissed = false;
    }

    /// Keep the output view's position tied to the selected proposal.
    fn sync_output(&mut self) {
        let sel = self.commands.selected().map(|e| e.id.clone());
        if sel != self.output_for {
            self.output.reset();
            self.output_for = sel;
            if let Some(out) = self.commands.selected_output() {
                self.output.research(out);
            }
        }
    }

    /// Select a proposal and show its output (from the conclusion's evidence).
    pub fn jump_to(&mut self, id: &ProposalId) {
        if let Some(i) = self.commands.position(id) {
            self.commands.select(i);
            self.focus = Focus::Output;
            self.close_conclusion();
        } else {
            self.flash = Some(format!("{id} is not in this session"));
        }
    }

    pub fn pending_count(&self) -> usize {
        self.commands.pending().count()
    }

    pub fn focus_next(&mut self, forward: bool) {
        let order: Vec<Focus> = Focus::ORDER
            .into_iter()
            .filter(|f| *f != Focus::Input || self.mode == Mode::Live)
            .collect();
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = order.len();
        self.focus = order[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    fn on_mouse(&mut self, m: MouseEvent) {
        use crossterm::event::MouseEventKind as K;
        let pane = self.rects.get().at(m.column, m.row);
        let Some(pane) = pane else { return };
        let delta: isize = match m.kind {
            K::ScrollUp => -3,
            K::ScrollDown => 3,
            K::Down(_) => {
                if self.overlay.is_none() && (pane != Focus::Input || self.mode == Mode::Live) {
                    self.focus = pane;
                }
                return;
            }
            _ => return,
        };
        match &mut self.overlay {
            Overlay::Help { scroll, .. } => {
                *scroll = (*scroll as isize + delta).max(0) as usize;
                return;
            }
            Overlay::Conclusion => {
                self.conclusion.scroll_by(Some(delta));
                return;
            }
            Overlay::Prompt(_) | Overlay::None => {}
        }
        match pane {
            Focus::Chat => self.chat.scroll_by(-delta, &self.theme),
            Focus::Commands => self.commands.move_by(delta.signum()),
            Focus::Output => {
                if let Some(out) = self.commands.selected_output() {
                    self.output.scroll(out, delta);
                }
            }
            Focus::Hypotheses => self.hypotheses.move_by(delta.signum()),
            Focus::Input => {}
        }
    }

    fn on_paste(&mut self, s: &str) {
        match &mut self.overlay {
            Overlay::Prompt(p) => p.editor.insert_str(s),
            Overlay::None if self.mode == Mode::Live => {
                self.focus = Focus::Input;
                self.input.insert_str(s);
            }
            _ => {}
        }
    }
}
