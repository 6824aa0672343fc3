//! What each key does, by precedence: Ctrl-C, then the [`Overlay`] (help, a prompt, the
//! conclusion view), then the input, then keys that work from any pane, then the focused
//! pane's keys. In a replay the playback keys work over the conclusion too.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{App, Effect, Focus, Mode, Overlay, Prompt, PromptKind};
use super::chat::Role;
use super::editor::{EditOutcome, Editor};
use super::replay::{ReplayCtl, Speed};
use crate::protocol::Stage;
use crate::protocol::{Decision, EndReason, Op};

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            self.ctrl_c(fx);
            return;
        }
        self.ctrl_c_armed = false;
        self.flash = None;

        match &self.overlay {
            Overlay::Help { .. } => return self.help_key(key),
            Overlay::Prompt(_) => return self.prompt_key(key, fx),
            Overlay::Conclusion => {
                if self.mode == Mode::Replay && self.replay_key(key, fx) {
                    return;
                }
                return self.conclusion_key(key, fx);
            }
            Overlay::None => {}
        }
        if self.focus == Focus::Input && self.mode == Mode::Live {
            self.input_key(key, fx);
            return;
        }
        if self.global_key(key, fx) {
            return;
        }
        match self.focus {
            Focus::Chat => self.chat_key(key),
            Focus::Commands => self.commands_key(key),
            Focus::Output => self.output_key(key),
            Focus::Hypotheses => self.hypotheses_key(key),
            Focus::Input => {}
        }
    }

    fn ctrl_c(&mut self, fx: &mut Vec<Effect>) {
        if self.ctrl_c_armed {
            fx.push(Effect::Quit);
            return;
        }
        self.ctrl_c_armed = true;
        if self.overlay.prompt().is_some() {
            self.overlay = Overlay::None;
        }
        if self.mode == Mode::Live && self.busy {
            fx.push(Effect::Send(Op::Cancel));
            self.flash = Some("Cancelling the turn. Ctrl-C again quits.".into());
        } else {
            self.flash = Some("Ctrl-C again quits.".into());
        }
    }

    /// Open the help over what is shown.
    fn open_help(&mut self) {
        self.overlay = Overlay::Help {
            scroll: 0,
            over_conclusion: self.overlay.conclusion(),
        };
    }

    fn help_key(&mut self, key: KeyEvent) {
        let max = super::help::max_scroll(&self.theme, self.size.1);
        let Overlay::Help {
            scroll,
            over_conclusion,
        } = &mut self.overlay
        else {
            return;
        };
        match key.code {
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') => {
                self.overlay = if *over_conclusion {
                    Overlay::Conclusion
                } else {
                    Overlay::None
                };
                return;
            }
            KeyCode::Char('j') | KeyCode::Down => *scroll += 1,
            KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => *scroll += 10,
            KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
            _ => {}
        }
        *scroll = (*scroll).min(max);
    }

    fn prompt_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let Overlay::Prompt(p) = &mut self.overlay else {
            return;
        };
        if key.code == KeyCode::Esc {
            self.overlay = Overlay::None;
            return;
        }
        if p.editor.key(key) != EditOutcome::Submit {
            return;
        }
        // An edit the policy refuses is not sent: the prompt stays open to edit again.
        if let PromptKind::Edit(id) = &p.kind
            && let Err(why) = super::app::check_command(&p.editor.text())
        {
            self.flash = Some(format!("{id}: refused: {why}"));
            return;
        }
        let Overlay::Prompt(p) = std::mem::take(&mut self.overlay) else {
            return;
        };
        let text = p.editor.text().trim().to_string();
        match p.kind {
            PromptKind::Edit(id) => {
                let Some(e) = self.commands.get(&id) else {
                    return;
                };
                if text.is_empty() {
                    self.flash = Some("An empty command cannot run; x rejects instead.".into());
                    return;
                }
                let decision = if text == e.proposed {
                    Decision::Approve
                } else {
                    Decision::ApproveEdited { command: text }
                };
                self.send(fx, Op::Decide { id, decision });
            }
            PromptKind::Reject(id) => {
                let reason = (!text.is_empty()).then_some(text);
                self.send(
                    fx,
                    Op::Decide {
                        id,
                        decision: Decision::Reject { reason },
                    },
                );
            }
            PromptKind::Search => {
                let Some(out) = self.commands.selected_output() else {
                    return;
                };
                let found = self.output.search(out, text.clone());
                self.flash = Some(match found {
                    Some(n) => format!("{n} lines match “{text}”"),
                    None if text.is_empty() => "Search cleared.".into(),
                    None => format!("No match for “{text}”"),
                });
                if text.is_empty() {
                    self.output.search = None;
                }
            }
        }
    }

    fn conclusion_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        match key.code {
            KeyCode::Esc | KeyCode::Char('c') => self.close_conclusion(),
            KeyCode::Char('j') | KeyCode::Down | KeyCode::Tab => self.conclusion.move_by(1),
            KeyCode::Char('k') | KeyCode::Up | KeyCode::BackTab => self.conclusion.move_by(-1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.conclusion.scroll_by(Some(10)),
            KeyCode::PageUp => self.conclusion.scroll_by(Some(-10)),
            KeyCode::Char('G') | KeyCode::End => self.conclusion.scroll_by(None),
            KeyCode::Char('g') | KeyCode::Home => self.conclusion.scroll = Some(0),
            KeyCode::Enter => {
                if let Some(id) = self.conclusion.selected_ref() {
                    self.jump_to(&id);
                }
            }
            KeyCode::Char('y') => {
                if let Some(r) = self.conclusion.remediation() {
                    self.copy(fx, r, "remediation");
                }
            }
            KeyCode::Char('i') => {
                self.close_conclusion();
                if self.mode == Mode::Live {
                    self.focus = Focus::Input;
                }
            }
            KeyCode::Char('E') | KeyCode::Char('q') => {
                if self.mode == Mode::Live && self.ended.is_none() {
                    fx.push(Effect::Send(Op::End {
                        reason: EndReason::Engineer,
                    }));
                }
                fx.push(Effect::Quit);
            }
            KeyCode::Char('?') => self.open_help(),
            _ => {}
        }
    }

    fn input_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        match key.code {
            KeyCode::Esc => {
                self.focus = Focus::Commands;
                return;
            }
            KeyCode::Tab => return self.focus_next(true),
            KeyCode::BackTab => return self.focus_next(false),
            _ => {}
        }
        if self.input.key(key) != EditOutcome::Submit {
            return;
        }
        let text = self.input.text();
        if text.trim().is_empty() {
            return;
        }
        if let Some(reason) = &self.ended {
            self.flash = Some(format!("The session has ended ({reason}); q quits."));
            return;
        }
        if let Some(command) = self.own_query() {
            // A query of the engineer's own: checked as typed, run without a proposal.
            if let Err(why) = super::app::check_command(&command) {
                self.flash = Some(format!("Refused: {why}"));
                return;
            }
            self.input.take();
            fx.push(Effect::Send(Op::RunQuery { command }));
            self.busy = true;
            self.focus = Focus::Commands;
            return;
        }
        let text = self.input.take();
        fx.push(Effect::Send(Op::UserMessage { text }));
        self.busy = true;
        self.chat.scroll = 0;
        self.focus = Focus::Commands;
    }

    /// Keys that work from any pane (not while typing). True if handled.
    fn global_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) -> bool {
        if self.mode == Mode::Replay && self.replay_key(key, fx) {
            return true;
        }
        match key.code {
            KeyCode::Char('q') => fx.push(Effect::Quit),
            KeyCode::Char('?') => self.open_help(),
            KeyCode::Esc => {
                if self.zoom {
                    self.zoom = false;
                } else if self.output.search.is_some() {
                    self.output.search = None;
                }
            }
            KeyCode::Tab => self.focus_next(true),
            KeyCode::BackTab => self.focus_next(false),
            KeyCode::Char('i') => {
                if self.mode == Mode::Live {
                    self.focus = Focus::Input;
                } else {
                    self.flash = Some("Replay is read-only.".into());
                }
            }
            KeyCode::Char('z') => self.zoom = !self.zoom,
            KeyCode::Char('c') => {
                if self.conclusion.conclusion.is_some() {
                    self.open_conclusion();
                } else {
                    self.flash = Some("No conclusion yet.".into());
                }
            }
            KeyCode::Char('y') => self.copy_focused(fx),
            KeyCode::Char('a') => self.approve_selected(fx),
            KeyCode::Char('A') => self.approve_all(fx),
            KeyCode::Char('e') => self.start_prompt(true),
            KeyCode::Char('x') => self.start_prompt(false),
            KeyCode::Char('s') => self.approve_shape(fx),
            _ => return false,
        }
        true
    }

    fn replay_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) -> bool {
        let ctl = match key.code {
            KeyCode::Char(' ') => ReplayCtl::TogglePause,
            KeyCode::Char('.') => ReplayCtl::Step,
            KeyCode::Char('1') => ReplayCtl::Speed(Speed::X1),
            KeyCode::Char('2') => ReplayCtl::Speed(Speed::X2),
            KeyCode::Char('8') => ReplayCtl::Speed(Speed::X8),
            KeyCode::Char('0') => ReplayCtl::Speed(Speed::Instant),
            KeyCode::Char('[') => ReplayCtl::Seek(-10),
            KeyCode::Char(']') => ReplayCtl::Seek(10),
            KeyCode::Char('{') => ReplayCtl::SeekStart,
            KeyCode::Char('}') => ReplayCtl::SeekEnd,
            _ => return false,
        };
        fx.push(Effect::Replay(ctl));
        true
    }

    fn can_decide(&mut self) -> bool {
        if self.mode == Mode::Replay {
            self.flash = Some("Replay is read-only: nothing is sent anywhere.".into());
            return false;
        }
        if self.ended.is_some() {
            self.flash = Some("The session has ended.".into());
            return false;
        }
        true
    }

    /// The selected proposal's id, if it is pending (else says why not).
    fn selected_pending(&mut self) -> Option<crate::protocol::ProposalId> {
        match self.commands.selected() {
            Some(e) if e.stage == Stage::Pending => Some(e.id.clone()),
            Some(e) => {
                self.flash = Some(format!(
                    "{} is {}; nothing to decide.",
                    e.id,
                    e.stage.label()
                ));
                None
            }
            None => {
                self.flash = Some("No query selected.".into());
                None
            }
        }
    }

    fn send(&mut self, fx: &mut Vec<Effect>, op: Op) {
        fx.push(Effect::Send(op));
        self.busy = true;
    }

    fn approve_selected(&mut self, fx: &mut Vec<Effect>) {
        if !self.can_decide() {
            return;
        }
        if let Some(id) = self.selected_pending() {
            self.send(
                fx,
                Op::Decide {
                    id,
                    decision: Decision::Approve,
                },
            );
        }
    }

    fn approve_all(&mut self, fx: &mut Vec<Effect>) {
        if !self.can_decide() {
            return;
        }
        let ids: Vec<_> = self.commands.pending().map(|e| e.id.clone()).collect();
        if ids.is_empty() {
            self.flash = Some("Nothing pending.".into());
            return;
        }
        self.flash = Some(format!("Approved {} queries.", ids.len()));
        for id in ids {
            self.send(
                fx,
                Op::Decide {
                    id,
                    decision: Decision::Approve,
                },
            );
        }
    }

    fn approve_shape(&mut self, fx: &mut Vec<Effect>) {
        if !self.can_decide() {
            return;
        }
        if let Some(id) = self.selected_pending() {
            self.flash = Some(format!(
                "Approved {id}, and queries of the same shape from now on."
            ));
            self.send(fx, Op::ApproveShape { id });
        }
    }

    fn start_prompt(&mut self, edit: bool) {
        if !self.can_decide() {
            return;
        }
        let Some(id) = self.selected_pending() else {
            return;
        };
        let (kind, editor) = if edit {
            let cmd = self
                .commands
                .get(&id)
                .map(|e| e.proposed.clone())
                .unwrap_or_default();
            (PromptKind::Edit(id), Editor::with_text(&cmd))
        } else {
            (PromptKind::Reject(id), Editor::new(false))
        };
        self.overlay = Overlay::Prompt(Prompt { kind, editor });
    }

    fn copy(&mut self, fx: &mut Vec<Effect>, text: String, what: &str) {
        self.flash = Some(format!(
            "Copied the {what} ({} bytes) to the clipboard.",
            text.len().min(super::clipboard::MAX_COPY)
        ));
        fx.push(Effect::Copy(text));
    }

    fn copy_focused(&mut self, fx: &mut Vec<Effect>) {
        let sel = self.commands.selected();
        let (text, what) = match self.focus {
            Focus::Commands => (sel.map(|e| self.commands.copy_text(e)), "command"),
            Focus::Output => match (sel, self.commands.selected_output()) {
                (Some(_), Some(o)) => (Some(o.text().to_string()), "output"),
                (Some(e), None) => (Some(self.commands.copy_text(e)), "command"),
                (None, _) => (None, "output"),
            },
            Focus::Chat => (self.chat.last_assistant().map(str::to_string), "reply"),
            Focus::Hypotheses => (self.hypotheses.selected_text(), "hypothesis"),
            Focus::Input => (None, ""),
        };
        match text {
            Some(t) => self.copy(fx, t, what),
            None => self.flash = Some("Nothing to copy here.".into()),
        }
    }

    fn chat_key(&mut self, key: KeyEvent) {
        let page = self.chat.page() as isize;
        let t = self.theme;
        match key.code {
            KeyCode::Char('j') | KeyCode::Down => self.chat.scroll_by(-1, &t),
            KeyCode::Char('k') | KeyCode::Up => self.chat.scroll_by(1, &t),
            KeyCode::PageDown | KeyCode::Char(' ') => self.chat.scroll_by(-page, &t),
            KeyCode::PageUp => self.chat.scroll_by(page, &t),
            KeyCode::Char('g') | KeyCode::Home => self.chat.scroll_top(&t),
            KeyCode::Char('G') | KeyCode::End => self.chat.scroll = 0,
            KeyCode::Enter if self.mode == Mode::Live => self.focus = Focus::Input,
            _ => {}
        }
    }

    fn commands_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Char('j') | KeyCode::Down => self.commands.move_by(1),
            KeyCode::Char('k') | KeyCode::Up => self.commands.move_by(-1),
            KeyCode::PageDown => self.commands.move_by(10),
            KeyCode::PageUp => self.commands.move_by(-10),
            KeyCode::Char('g') | KeyCode::Home => self.commands.select(0),
            KeyCode::Char('G') | KeyCode::End => self.commands.select(usize::MAX),
            KeyCode::Enter => self.focus = Focus::Output,
            _ => {}
        }
    }

    fn output_key(&mut self, key: KeyEvent) {
        if key.code == KeyCode::Char('w') {
            self.output.toggle_wrap();
            return;
        }
        if key.code == KeyCode::Char('/') {
            let held = self.commands.selected_output().is_some();
            if held {
                let q = self
                    .output
                    .search
                    .as_ref()
                    .map(|s| s.query.clone())
                    .unwrap_or_default();
                self.overlay = Overlay::Prompt(Prompt {
                    kind: PromptKind::Search,
                    editor: Editor::with_text(&q),
                });
            } else {
                self.flash = Some("No output to search.".into());
            }
            return;
        }
        let Some(out) = self.commands.selected_output() else {
            return;
        };
        let page = self.output.height.get().max(1) as isize;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('j') | KeyCode::Down => self.output.scroll(out, 1),
            KeyCode::Char('k') | KeyCode::Up => self.output.scroll(out, -1),
            KeyCode::Char('d') if ctrl => self.output.scroll(out, page / 2),
            KeyCode::Char('u') if ctrl => self.output.scroll(out, -page / 2),
            KeyCode::Char('f') if ctrl => self.output.scroll(out, page),
            KeyCode::Char('b') if ctrl => self.output.scroll(out, -page),
            KeyCode::PageDown | KeyCode::Char(' ') => self.output.scroll(out, page),
            KeyCode::PageUp => self.output.scroll(out, -page),
            KeyCode::Char('g') | KeyCode::Home => self.output.home(),
            KeyCode::Char('G') | KeyCode::End => self.output.end(out),
            KeyCode::Char('h') | KeyCode::Left => self.output.hscroll_by(-8),
            KeyCode::Char('l') | KeyCode::Right => self.output.hscroll_by(8),
            KeyCode::Char(c @ ('n' | 'N')) if !self.output.next_match(c == 'n') => {
                self.flash = Some("No search; / starts one.".into());
            }
            _ => {}
        }
    }

    fn hypotheses_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Char('j') | KeyCode::Down => self.hypotheses.move_by(1),
            KeyCode::Char('k') | KeyCode::Up => self.hypotheses.move_by(-1),
            KeyCode::Char('g') | KeyCode::Home => self.hypotheses.selected = 0,
            KeyCode::Char('G') | KeyCode::End => self.hypotheses.move_by(isize::MAX / 2),
            _ => {}
        }
    }

    /// A notice in the chat (used by the event loop for its own errors).
    pub fn notice(&mut self, text: impl Into<String>) {
        self.chat.push(Role::Error, text);
    }
}
