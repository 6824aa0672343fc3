//! The bottom area: the message input, a one-line prompt (edit, reject, search), or the
//! replay controls.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Widget};

use super::app::{App, Focus, Mode, PromptKind, check_command};
use super::editor::Editor;
use super::theme::Theme;
use super::wrap::slice_columns;

/// Rows the bottom area needs.
pub fn height(app: &App) -> u16 {
    if app.overlay.prompt().is_some() {
        return 3;
    }
    if app.mode == Mode::Replay {
        return 3;
    }
    (app.input.lines().len().clamp(1, 6) as u16) + 2
}

fn hint(keys: &[(&str, &str)], theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (k, what) in keys {
        spans.push(Span::styled(k.to_string(), theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    Line::from(spans)
}

pub fn render(app: &App, area: Rect, frame: &mut Frame) {
    let t = &app.theme;
    if let Some(p) = app.overlay.prompt() {
        // An edit is checked by the read-only policy as it is typed.
        let verdict = match &p.kind {
            PromptKind::Edit(_) => Some(check_command(&p.editor.text())),
            _ => None,
        };
        let (title, keys): (String, &[(&str, &str)]) = match &p.kind {
            PromptKind::Edit(id) => (
                format!(" Edit {id}, then approve "),
                &[("Enter", "approve edited"), ("Esc", "cancel")],
            ),
            PromptKind::Reject(id) => (
                format!(" Reject {id}: reason (optional) "),
                &[("Enter", "reject"), ("Esc", "cancel")],
            ),
            PromptKind::Search => (
                " Search output ".to_string(),
                &[("Enter", "search"), ("Esc", "cancel")],
            ),
        };
        let mut bottom = hint(keys, t);
        if let Some(v) = verdict {
            bottom.spans.push(verdict_span(&v, t));
        }
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(t.border(true))
            .title(Span::styled(title, t.title(true)))
            .title_bottom(bottom);
        let inner = block.inner(area);
        block.render(area, frame.buffer_mut());
        draw_editor(&p.editor, inner, frame, true, None, t);
        return;
    }
    if app.mode == Mode::Replay {
        render_replay(app, area, frame);
        return;
    }
    let focused = app.focus == Focus::Input;
    let title = if let Some(reason) = &app.ended {
        format!(" Session ended: {reason} ")
    } else if app.busy {
        " Message · klue is working (Ctrl-C cancels) ".to_string()
    } else {
        " Message ".to_string()
    };
    let mut block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(t.border(focused))
        .title(Span::styled(title, t.title(focused)));
    if focused {
        let own = app.own_query();
        let mut bottom = match &own {
            Some(_) => hint(&[("Enter", "run your query"), ("Esc", "leave")], t),
            None => hint(
                &[
                    ("Enter", "send"),
                    (":", "own query"),
                    ("Alt-Enter", "new line"),
                    ("↑", "history"),
                    ("Esc", "leave"),
                ],
                t,
            ),
        };
        if let Some(command) = &own {
            bottom.spans.push(verdict_span(&check_command(command), t));
        }
        block = block.title_bottom(bottom);
    }
    let inner = block.inner(area);
    block.render(area, frame.buffer_mut());
    let placeholder = if app.ended.is_some() {
        "The session has ended. q quits."
    } else if focused {
        "Describe the symptom, e.g. “checkout pods keep restarting in shop”; :get pods runs a query"
    } else {
        "Press i to type a message."
    };
    draw_editor(&app.input, inner, frame, focused, Some(placeholder), t);
}

/// What the read-only policy says of the command being typed.
fn verdict_span(v: &Result<(), String>, t: &Theme) -> Span<'static> {
    match v {
        Ok(()) => Span::styled("✓ read-only ", t.good()),
        Err(why) => Span::styled(format!("✗ {why} "), t.error()),
    }
}

fn draw_editor(
    ed: &Editor,
    area: Rect,
    frame: &mut Frame,
    focused: bool,
    placeholder: Option<&str>,
    t: &Theme,
) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let (row, col) = ed.cursor();
    let h = area.height as usize;
    let w = area.width as usize;
    let vtop = (row + 1).saturating_sub(h);
    let hoff = (col + 1).saturating_sub(w);
    if ed.is_empty()
        && let Some(p) = placeholder
    {
        let l = Line::styled(slice_columns(p, 0, w), t.dim());
        frame.buffer_mut().set_line(area.x, area.y, &l, area.width);
    } else {
        for (y, l) in ed.lines().iter().skip(vtop).take(h).enumerate() {
            let text = slice_columns(l, hoff, w);
            frame
                .buffer_mut()
                .set_line(area.x, area.y + y as u16, &Line::raw(text), area.width);
        }
    }
    if focused {
        frame.set_cursor_position(Position::new(
            area.x + (col - hoff) as u16,
            area.y + (row - vtop) as u16,
        ));
    }
}

fn render_replay(app: &App, area: Rect, frame: &mut Frame) {
    let t = &app.theme;
    let st = app.replay.unwrap_or_default();
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(t.border(false))
        .title(Span::styled(" Replay ", t.title(false)));
    let inner = block.inner(area);
    block.render(area, frame.buffer_mut());
    let at_end = st.position >= st.total && st.total > 0;
    let state = if at_end {
        "■ end"
    } else if st.paused {
        "‖ paused"
    } else {
        "▶ playing"
    };
    // The keys that do something now.
    let keys: &[(&str, &str)] = if at_end {
        &[("{", "from the start"), ("[", "back 10"), ("q", "quit")]
    } else if st.paused {
        &[
            ("Space", "play"),
            (".", "step"),
            ("1 2 8 0", "speed"),
            ("[ ]", "seek"),
        ]
    } else {
        &[("Space", "pause"), ("1 2 8 0", "speed"), ("[ ]", "seek")]
    };
    let mut spans = vec![
        Span::styled(format!("{state} "), t.key()),
        Span::raw(format!(
            "{}  event {}/{}  {} / {}   ",
            st.speed.label(),
            st.position,
            st.total,
            clock(st.at_ms),
            clock(st.total_ms)
        )),
    ];
    for (k, what) in keys {
        spans.push(Span::styled(k.to_string(), t.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame
        .buffer_mut()
        .set_line(inner.x, inner.y, &Line::from(spans), inner.width);
}

fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}
