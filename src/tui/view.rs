//! `view(&App, &mut Frame)`: the layout and the pane frames. Pure: it reads the state and
//! draws (the panes remember sizes for paging and caches for wrapped lines, nothing else).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Widget};

use super::app::{App, Focus, Mode, Overlay, PaneRects};
use super::theme::Theme;
use super::wrap::wrap_spans;
use super::{help, input, status};
use crate::protocol::Stage;

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn view(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < 20 || area.height < 8 {
        let l = Line::raw("klue: the terminal is too small");
        frame.buffer_mut().set_line(area.x, area.y, &l, area.width);
        return;
    }
    let [main, bottom, bar] = Layout::vertical([
        Constraint::Min(4),
        Constraint::Length(input::height(app)),
        Constraint::Length(1),
    ])
    .areas(area);

    let mut rects = PaneRects {
        input: bottom,
        ..PaneRects::default()
    };
    if app.zoom {
        match app.focus {
            Focus::Chat | Focus::Input => rects.chat = main,
            Focus::Commands => rects.commands = main,
            Focus::Output => rects.output = main,
            Focus::Hypotheses => rects.hypotheses = main,
        }
    } else {
        let left_pct = if main.width >= 140 { 40 } else { 45 };
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(left_pct), Constraint::Fill(1)]).areas(main);
        let hyp_h = if app.hypotheses.items.is_empty() {
            3
        } else {
            (left.height * 35 / 100).max(5)
        };
        let [chat, hyps] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(hyp_h)]).areas(left);
        let want = app.commands.len() as u16 + 5;
        let cmd_h = want.clamp(5, (right.height * 2 / 5).max(5));
        let [cmds, out] =
            Layout::vertical([Constraint::Length(cmd_h), Constraint::Min(3)]).areas(right);
        rects.chat = chat;
        rects.hypotheses = hyps;
        rects.commands = cmds;
        rects.output = out;
    }
    app.rects.set(rects);

    let buf = frame.buffer_mut();
    if rects.chat.area() > 0 {
        let b = chat_block(app);
        let inner = b.inner(rects.chat);
        b.render(rects.chat, buf);
        app.chat.render(inner, buf, &app.theme);
    }
    if rects.commands.area() > 0 {
        let b = commands_block(app);
        let inner = b.inner(rects.commands);
        b.render(rects.commands, buf);
        app.commands.render(
            inner,
            buf,
            &app.theme,
            app.focus == Focus::Commands,
            app.mode,
        );
    }
    if rects.output.area() > 0 {
        render_output(app, rects.output, buf);
    }
    if rects.hypotheses.area() > 0 {
        let focused = app.focus == Focus::Hypotheses;
        let b = pane(
            Line::from(Span::styled(" Hypotheses ", app.theme.title(focused))),
            focused,
            &[("j/k", "select"), ("y", "copy")],
            &app.theme,
        );
        let inner = b.inner(rects.hypotheses);
        b.render(rects.hypotheses, buf);
        app.hypotheses.render(inner, buf, &app.theme, focused);
    }
    input::render(app, bottom, frame);
    status::render(app, bar, frame.buffer_mut());

    match &app.overlay {
        Overlay::Conclusion => {
            app.conclusion
                .render(area, frame.buffer_mut(), &app.theme, &app.commands)
        }
        Overlay::Help { scroll, .. } => help::render(area, frame.buffer_mut(), &app.theme, *scroll),
        // The prompt is drawn in the input area.
        Overlay::Prompt(_) | Overlay::None => {}
    }
}

fn pane<'a>(title: Line<'a>, focused: bool, keys: &[(&str, &str)], t: &Theme) -> Block<'a> {
    let mut b = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(t.border(focused))
        .title(title);
    if focused && !keys.is_empty() {
        let mut spans = vec![Span::raw(" ")];
        for (k, what) in keys {
            spans.push(Span::styled(k.to_string(), t.key()));
            spans.push(Span::raw(format!(" {what} ")));
        }
        b = b.title_bottom(Line::from(spans));
    }
    b
}

fn chat_block(app: &App) -> Block<'_> {
    let t = &app.theme;
    let focused = app.focus == Focus::Chat;
    let mut spans = vec![Span::styled(" Chat ", t.title(focused))];
    if app.busy {
        // A paused replay stands still at a moment the planner was working: no spinner.
        let paused = app.mode == Mode::Replay && app.replay.as_ref().is_none_or(|r| r.paused);
        let s = if paused {
            "‖"
        } else {
            SPINNER[app.spinner % SPINNER.len()]
        };
        let what = if app.mode == Mode::Replay {
            "was working"
        } else {
            "working"
        };
        spans.push(Span::styled(format!("{s} {what} "), t.warn()));
    }
    if app.chat.scroll > 0 {
        spans.push(Span::styled(
            format!("↑{} (G: latest) ", app.chat.scroll),
            t.dim(),
        ));
    }
    let keys: &[(&str, &str)] = match app.mode {
        Mode::Live => &[("j/k", "scroll"), ("Enter", "type"), ("y", "copy reply")],
        Mode::Replay => &[("j/k", "scroll"), ("y", "copy reply")],
    };
    pane(Line::from(spans), focused, keys, t)
}

fn commands_block(app: &App) -> Block<'_> {
    let t = &app.theme;
    let focused = app.focus == Focus::Commands;
    let mut spans = vec![Span::styled(" Queries ", t.title(focused))];
    let pending = app.pending_count();
    if pending > 0 {
        spans.push(Span::styled(format!("{pending} pending "), t.warn()));
    }
    // Decision keys only where a decision can be taken: live, the selected one pending.
    let decide = app.mode == Mode::Live
        && app.ended.is_none()
        && app
            .commands
            .selected()
            .is_some_and(|e| e.stage == Stage::Pending);
    let keys: &[(&str, &str)] = if decide {
        &[
            ("a", "approve"),
            ("A", "all"),
            ("e", "edit"),
            ("x", "reject"),
            ("s", "shape"),
            ("Enter", "output"),
        ]
    } else {
        &[("j/k", "select"), ("Enter", "output"), ("y", "copy")]
    };
    pane(Line::from(spans), focused, keys, t)
}

fn render_output(app: &App, area: Rect, buf: &mut ratatui::buffer::Buffer) {
    let t = &app.theme;
    let focused = app.focus == Focus::Output;
    let sel = app.commands.selected();
    let mut spans = vec![Span::styled(" Output ", t.title(focused))];
    if let Some(e) = sel {
        spans.push(Span::styled(format!("{} ", e.id), t.key()));
        if let Some(o) = app.commands.selected_output() {
            spans.push(Span::styled(format!("{} lines ", o.len()), t.dim()));
        }
    }
    if app.output.wrap {
        spans.push(Span::styled("wrap ", t.dim()));
    }
    if let Some(s) = &app.output.search {
        let pos = s.current.map_or(0, |c| c + 1);
        spans.push(Span::styled(
            format!("/{} {}/{} ", s.query, pos, s.matches.len()),
            t.warn(),
        ));
    }
    let b = pane(
        Line::from(spans),
        focused,
        &[
            ("j/k", "scroll"),
            ("/", "search"),
            ("n/N", "next"),
            ("w", "wrap"),
            ("y", "copy"),
            ("z", "zoom"),
        ],
        t,
    );
    let inner = b.inner(area);
    b.render(area, buf);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let Some(e) = sel else {
        let l = Line::styled("Select a query to see its output.", t.dim());
        buf.set_line(inner.x, inner.y, &l, inner.width);
        return;
    };
    // One line of facts, then the output itself.
    let mut meta = vec![
        Span::styled(
            format!("{} {} ", super::commands::icon(e.stage), e.stage.label()),
            t.state(e.stage),
        ),
        Span::raw(e.command().to_string()),
    ];
    if let Some(ms) = e.execution.as_ref().map(|x| x.duration_ms) {
        meta.push(Span::styled(format!(" · {ms} ms"), t.dim()));
    }
    if let Some(by) = e.decision_text().filter(|_| e.stage != Stage::Refused) {
        meta.push(Span::styled(format!(" · {by}"), t.dim()));
    }
    buf.set_line(inner.x, inner.y, &Line::from(meta), inner.width);
    let body = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    if body.height == 0 {
        return;
    }
    if let Some(out) = app.commands.selected_output() {
        if let Some(err) = e.error() {
            let l = Line::styled(format!("error: {err}"), t.error());
            buf.set_line(body.x, body.y, &l, body.width);
            if out.is_empty() {
                return;
            }
            let rest = Rect::new(
                body.x,
                body.y + 1,
                body.width,
                body.height.saturating_sub(1),
            );
            app.output.render(out, rest, buf, t);
            return;
        }
        if out.is_empty() {
            let l = Line::styled("(no output)", t.dim());
            buf.set_line(body.x, body.y, &l, body.width);
            return;
        }
        app.output.render(out, body, buf, t);
        return;
    }
    // Not run (yet): say what it is and what can be done.
    let w = body.width as usize;
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut add = |label: &str, text: &str, style| {
        if !text.is_empty() {
            rows.extend(wrap_spans(
                &[
                    Span::styled(format!("{label:<8}"), t.dim()),
                    Span::styled(text.to_string(), style),
                ],
                w,
                8,
            ));
        }
    };
    add("why", &e.reason, t.text());
    add("tests", &e.hypothesis, t.text());
    if e.was_edited() {
        add("proposed", &e.proposed, t.dim());
    }
    let what = match e.stage {
        Stage::Pending if app.mode == Mode::Replay => "no decision recorded (yet)",
        Stage::Pending => "waiting for you: a approve · e edit · x reject · s approve this shape",
        Stage::Approved => "approved; waiting to run",
        Stage::Running => "running…",
        Stage::Refused => "refused by the read-only policy; never run",
        Stage::Rejected => "rejected; never run",
        Stage::Duplicate => "answered from the same query run earlier; not run again",
        Stage::Done | Stage::Failed if app.commands.selected_evicted() => {
            "output dropped from memory (the oldest go first); the recording keeps it"
        }
        Stage::Done | Stage::Failed => "",
    };
    add("state", what, t.state(e.stage));
    if let Some(r) = &e.refusal {
        add("refused", &r.why, t.error());
    }
    for r in &e.refused_edits {
        add(
            "refused",
            &format!("edit `{}`: {}", r.command, r.why),
            t.error(),
        );
    }
    if let Some(r) = &e.rejection {
        add("reason", r, t.dim());
    }
    if let Some(err) = e.error() {
        add("error", err, t.error());
    }
    for (y, l) in rows.iter().take(body.height as usize).enumerate() {
        buf.set_line(body.x, body.y + y as u16, l, body.width);
    }
}
