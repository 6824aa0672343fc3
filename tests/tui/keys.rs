//! Keys produce the right operations for the core (and nothing in replay).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use klue::protocol::{Decision, Event, Op};
use klue::tui::replay::{ReplayCtl, Speed};
use klue::tui::{App, Effect, Focus, Mode, Msg, Theme};

use crate::scenes::{concluded, investigation, pid, started};
use crate::{feed, render, screen};

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub fn enter() -> Msg {
    code(KeyCode::Enter)
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn typed(a: &mut App, s: &str) -> Vec<Effect> {
    s.chars().flat_map(|c| a.update(key(c))).collect()
}

#[test]
fn typing_a_symptom_sends_it_and_q_is_text() {
    let mut a = crate::app();
    feed(&mut a, [started(), Event::AwaitingInput]);
    assert_eq!(a.focus, Focus::Input);
    let fx = typed(&mut a, "pods quit restarting");
    assert!(fx.is_empty(), "typing q must not quit: {fx:?}");
    let fx = a.update(enter());
    assert_eq!(
        fx,
        vec![Effect::Send(Op::UserMessage {
            text: "pods quit restarting".into()
        })]
    );
    assert_eq!(a.focus, Focus::Commands);
    assert!(a.busy);
    // History: back into the input, Up recalls it.
    a.update(key('i'));
    a.update(code(KeyCode::Up));
    assert_eq!(a.input.text(), "pods quit restarting");
}

#[test]
fn approve_edit_reject_shape() {
    let mut a = investigation();
    a.focus = Focus::Commands;
    // p3 is the pending one and is selected.
    assert_eq!(a.commands.selected().map(|e| e.id.clone()), Some(pid("p3")));
    assert_eq!(
        a.update(key('a')),
        vec![Effect::Send(Op::Decide {
            id: pid("p3"),
            decision: Decision::Approve
        })]
    );
    assert_eq!(
        a.update(key('s')),
        vec![Effect::Send(Op::ApproveShape { id: pid("p3") })]
    );

    // Edit: the prompt starts with the command; change it and approve.
    assert!(a.update(key('e')).is_empty());
    for _ in 0.."--previous".len() {
        a.update(code(KeyCode::Backspace));
    }
    typed(&mut a, "--tail=50");
    assert_eq!(
        a.update(enter()),
        vec![Effect::Send(Op::Decide {
            id: pid("p3"),
            decision: Decision::ApproveEdited {
                command: "logs checkout-7d9f8b6c4-2xkqp -n shop --tail=50".into()
            }
        })]
    );

    // Reject with a reason, then without one.
    a.update(key('x'));
    typed(&mut a, "not now");
    assert_eq!(
        a.update(enter()),
        vec![Effect::Send(Op::Decide {
            id: pid("p3"),
            decision: Decision::Reject {
                reason: Some("not now".into())
            }
        })]
    );
    a.update(key('x'));
    assert_eq!(
        a.update(enter()),
        vec![Effect::Send(Op::Decide {
            id: pid("p3"),
            decision: Decision::Reject { reason: None }
        })]
    );
    // Esc cancels a prompt without sending.
    a.update(key('x'));
    assert!(a.update(code(KeyCode::Esc)).is_empty());
    assert!(a.overlay.prompt().is_none());
}

#[test]
fn approve_all_pending() {
    let mut a = investigation();
    feed(
        &mut a,
        [
            crate::scenes::proposal("p4", "get events -n shop"),
            crate::scenes::proposal("p5", "describe deploy checkout -n shop"),
        ],
    );
    a.focus = Focus::Chat;
    let fx = a.update(key('A'));
    let ids: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Send(Op::Decide {
                id,
                decision: Decision::Approve,
            }) => Some(id.0.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, vec!["p3", "p4", "p5"]);
}

#[test]
fn deciding_a_finished_query_says_why_not() {
    let mut a = investigation();
    a.focus = Focus::Commands;
    a.commands.select(0);
    assert!(a.update(key('a')).is_empty());
    assert_eq!(a.flash.as_deref(), Some("p1 is done; nothing to decide."));
}

#[test]
fn ctrl_c_cancels_then_quits() {
    let mut a = investigation();
    a.busy = true;
    assert_eq!(a.update(ctrl('c')), vec![Effect::Send(Op::Cancel)]);
    assert_eq!(a.update(ctrl('c')), vec![Effect::Quit]);
    // Another key in between disarms.
    let mut a = investigation();
    a.focus = Focus::Commands;
    a.update(ctrl('c'));
    a.update(key('j'));
    assert!(!a.update(ctrl('c')).contains(&Effect::Quit));
}

#[test]
fn q_quits_when_not_typing_and_esc_leaves_input() {
    let mut a = investigation();
    a.focus = Focus::Input;
    assert!(a.update(key('q')).is_empty());
    a.update(code(KeyCode::Esc));
    assert_eq!(a.focus, Focus::Commands);
    assert_eq!(a.update(key('q')), vec![Effect::Quit]);
}

#[test]
fn tab_cycles_focus() {
    let mut a = investigation();
    a.focus = Focus::Chat;
    let mut seen = vec![];
    for _ in 0..5 {
        a.update(code(KeyCode::Tab));
        seen.push(a.focus);
    }
    assert_eq!(
        seen,
        vec![
            Focus::Commands,
            Focus::Output,
            Focus::Hypotheses,
            Focus::Input,
            Focus::Chat
        ]
    );
    a.update(code(KeyCode::BackTab));
    assert_eq!(a.focus, Focus::Input);
}

#[test]
fn help_opens_and_esc_closes() {
    let mut a = investigation();
    a.focus = Focus::Commands;
    a.update(key('?'));
    assert!(a.overlay.help().is_some());
    // Keys do nothing else while help is open.
    assert!(a.update(key('a')).is_empty());
    a.update(code(KeyCode::Esc));
    assert!(a.overlay.help().is_none());
}

#[test]
fn conclusion_jumps_to_evidence_and_copies_remediation() {
    let mut a = concluded();
    assert!(a.overlay.conclusion());
    // Second reference cites p3.
    a.update(key('j'));
    a.update(enter());
    assert!(!a.overlay.conclusion());
    assert_eq!(a.focus, Focus::Output);
    assert_eq!(a.commands.selected().map(|e| e.id.clone()), Some(pid("p3")));
    let s = screen(&render(&mut a, 160, 48));
    assert!(s.contains("missing key PAYMENTS_URL"), "{s}");
    // Reopen, copy the remediation.
    a.update(key('c'));
    let fx = a.update(key('y'));
    match fx.as_slice() {
        [Effect::Copy(t)] => assert!(t.contains("rollout restart deploy/checkout")),
        other => panic!("expected a copy, got {other:?}"),
    }
    // End the session from the conclusion.
    assert_eq!(
        a.update(key('E')),
        vec![
            Effect::Send(Op::End {
                reason: klue::protocol::EndReason::Engineer,
            }),
            Effect::Quit
        ]
    );
}

#[test]
fn copy_the_selected_command() {
    let mut a = investigation();
    a.focus = Focus::Commands;
    a.commands.select(0);
    assert_eq!(
        a.update(key('y')),
        // paste-able: the context of the session is named
        vec![Effect::Copy(
            "kubectl --context kind-prod get pods -n shop".into()
        )]
    );
    // A command the read-only policy refused is copied as written, never as a ready
    // `kubectl --context ...` line.
    a.commands.select(1);
    assert_eq!(
        a.update(key('y')),
        vec![Effect::Copy(
            "delete pod checkout-7d9f8b6c4-2xkqp -n shop".into()
        )]
    );
}

#[test]
fn replay_is_read_only_and_keys_drive_playback() {
    let mut a = App::new(Mode::Replay, Theme::default());
    feed(
        &mut a,
        [started(), crate::scenes::proposal("p1", "get pods")],
    );
    a.focus = Focus::Commands;
    assert!(a.update(key('a')).is_empty());
    assert!(a.flash.as_deref().unwrap_or("").contains("read-only"));
    assert!(a.update(key('A')).is_empty());
    assert!(a.update(key('x')).is_empty());
    assert!(a.overlay.prompt().is_none());
    assert_eq!(
        a.update(key(' ')),
        vec![Effect::Replay(ReplayCtl::TogglePause)]
    );
    assert_eq!(
        a.update(key('8')),
        vec![Effect::Replay(ReplayCtl::Speed(Speed::X8))]
    );
    assert_eq!(
        a.update(key(']')),
        vec![Effect::Replay(ReplayCtl::Seek(10))]
    );
    // Tab never lands on the input in replay.
    for _ in 0..6 {
        a.update(code(KeyCode::Tab));
        assert_ne!(a.focus, Focus::Input);
    }
}

#[test]
fn mouse_wheel_scrolls_the_pane_under_it() {
    let mut a = crate::app();
    feed(&mut a, [started()]);
    for i in 0..200 {
        feed(
            &mut a,
            [Event::UserMessage {
                text: format!("message {i}"),
            }],
        );
    }
    render(&mut a, 80, 24);
    let chat = a.rects.get().chat;
    a.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: chat.x + 2,
        row: chat.y + 2,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(a.chat.scroll, 3);
    a.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: chat.x + 2,
        row: chat.y + 2,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(a.focus, Focus::Chat);
}

#[test]
fn output_scrolls_pages_and_wraps() {
    let mut a = crate::app();
    let big: String = (0..10_000)
        .map(|i| format!("row {i:05} {}\n", "x".repeat(i % 150)))
        .collect();
    feed(
        &mut a,
        [
            started(),
            crate::scenes::proposal("p1", "logs big"),
            crate::scenes::approved("p1"),
            crate::scenes::finished("p1", "logs big", &big),
        ],
    );
    a.focus = Focus::Output;
    render(&mut a, 80, 24);
    a.update(code(KeyCode::PageDown));
    let top = a.output.top;
    assert!(top > 5, "{top}");
    a.update(key('G'));
    let s = screen(&render(&mut a, 80, 24));
    assert!(s.contains("row 09999"), "{s}");
    a.update(key('w'));
    assert!(a.output.wrap);
    a.update(key('g'));
    assert_eq!(a.output.top, 0);
    for _ in 0..3 {
        a.update(key('j'));
    }
    let s = screen(&render(&mut a, 80, 24));
    assert!(s.contains("wrap"), "{s}");
}

#[test]
fn paste_goes_into_the_input() {
    let mut a = investigation();
    a.focus = Focus::Commands;
    a.update(Msg::Paste("line one\nline two".into()));
    assert_eq!(a.focus, Focus::Input);
    assert_eq!(a.input.text(), "line one\nline two");
}

#[test]
fn waiting_for_a_decision_is_not_working() {
    let mut a = investigation();
    feed(
        &mut a,
        [crate::scenes::proposal("p4", "get events -n shop")],
    );
    a.focus = Focus::Commands;
    a.update(key('a'));
    assert!(a.busy);
    feed(
        &mut a,
        [
            crate::scenes::approved("p3"),
            Event::ExecStarted {
                id: pid("p3"),
                command: "logs x".into(),
            },
        ],
    );
    assert!(a.busy, "a query is running");
    feed(&mut a, [crate::scenes::finished("p3", "logs x", "ok\n")]);
    assert!(!a.busy, "p4 waits for the engineer");
    assert_eq!(a.commands.selected().map(|e| e.id.clone()), Some(pid("p4")));
}

/// The conclusion of the scripted investigation, as an event.
fn conclusion_event() -> Event {
    Event::Concluded(
        concluded()
            .conclusion
            .conclusion
            .expect("the scripted investigation concludes"),
    )
}

/// In a replay the playback keys work while the conclusion is shown; the engineer closes it
/// once and a seek (which replays the events from the start) does not bring it back; `c`
/// shows it again.
#[test]
fn replay_keys_work_over_the_conclusion_and_a_seek_does_not_reopen_it() {
    let mut a = App::new(Mode::Replay, Theme::default());
    feed(&mut a, [started(), conclusion_event()]);
    assert!(a.overlay.conclusion(), "the conclusion opens when reached");
    for (k, ctl) in [
        (' ', ReplayCtl::TogglePause),
        ('[', ReplayCtl::Seek(-10)),
        ('{', ReplayCtl::SeekStart),
        ('2', ReplayCtl::Speed(Speed::X2)),
    ] {
        assert_eq!(a.update(key(k)), vec![Effect::Replay(ctl)], "key {k}");
        assert!(a.overlay.conclusion(), "key {k} closed the conclusion");
    }
    a.update(code(KeyCode::Esc));
    assert!(!a.overlay.conclusion());
    // A seek back replays from an empty screen.
    a.update(Msg::Reset);
    feed(&mut a, [started(), conclusion_event()]);
    assert!(
        !a.overlay.conclusion(),
        "a seek reopened the closed conclusion"
    );
    a.update(key('c'));
    assert!(a.overlay.conclusion());
    // Help over the conclusion returns to it.
    a.update(key('?'));
    assert!(a.overlay.help().is_some());
    a.update(code(KeyCode::Esc));
    assert!(a.overlay.conclusion());
}

/// Live, every conclusion shows itself (a follow-up's too).
#[test]
fn live_conclusions_open_each_time() {
    let mut a = crate::app();
    feed(&mut a, [started(), conclusion_event()]);
    assert!(a.overlay.conclusion());
    a.update(code(KeyCode::Esc));
    feed(&mut a, [conclusion_event()]);
    assert!(a.overlay.conclusion());
}

/// The edit box checks the command with the read-only policy as it is typed; a refused
/// edit is not sent and stays open to be edited again, so the proposal is not lost.
#[test]
fn a_refused_edit_stays_open_and_can_be_edited_again() {
    let mut a = investigation();
    a.focus = Focus::Commands;
    a.update(key('e'));
    for _ in 0..200 {
        a.update(code(KeyCode::Backspace));
    }
    typed(&mut a, "delete pod checkout-7d9f8b6c4-2xkqp -n shop");
    let s = screen(&render(&mut a, 160, 48));
    assert!(s.contains("✗"), "the refusal is shown as typed:\n{s}");
    assert!(a.update(enter()).is_empty(), "a refused edit was sent");
    assert!(a.overlay.prompt().is_some(), "the edit box closed");
    assert!(
        a.flash.as_deref().unwrap_or("").contains("refused"),
        "{:?}",
        a.flash
    );
    for _ in 0.."delete pod checkout-7d9f8b6c4-2xkqp -n shop".len() {
        a.update(code(KeyCode::Backspace));
    }
    typed(&mut a, "get pod checkout-7d9f8b6c4-2xkqp -n shop -o yaml");
    let s = screen(&render(&mut a, 160, 48));
    assert!(s.contains("✓ read-only"), "{s}");
    assert_eq!(
        a.update(enter()),
        vec![Effect::Send(Op::Decide {
            id: pid("p3"),
            decision: Decision::ApproveEdited {
                command: "get pod checkout-7d9f8b6c4-2xkqp -n shop -o yaml".into()
            }
        })]
    );
}

/// `:` in the input runs a query of the engineer's own through the same policy.
#[test]
fn a_colon_message_runs_an_own_query() {
    let mut a = crate::app();
    feed(&mut a, [started(), Event::AwaitingInput]);
    typed(&mut a, ":delete pod x");
    let s = screen(&render(&mut a, 120, 30));
    assert!(s.contains("run your query"), "{s}");
    assert!(s.contains("✗"), "{s}");
    assert!(a.update(enter()).is_empty(), "a refused own query was sent");
    assert_eq!(a.input.text(), ":delete pod x", "the text was lost");
    for _ in 0.."delete pod x".len() {
        a.update(code(KeyCode::Backspace));
    }
    typed(&mut a, "get pods -n shop");
    assert_eq!(
        a.update(enter()),
        vec![Effect::Send(Op::RunQuery {
            command: "get pods -n shop".into()
        })]
    );
    // The prefix is in the help.
    a.update(code(KeyCode::Esc));
    a.update(key('?'));
    let s = screen(&render(&mut a, 160, 60));
    assert!(s.contains(":command"), "{s}");
}
