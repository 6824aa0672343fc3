//! Screen tests: core events are injected into the App and frames are rendered into
//! ratatui's TestBackend (no LLM, no cluster). Snapshots live in `tests/tui/snapshots/`.

mod keys;
mod scenes;

use klue::tui::{App, Mode, Msg, Theme, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub fn app() -> App {
    App::new(Mode::Live, Theme::default())
}

pub fn feed(app: &mut App, events: impl IntoIterator<Item = klue::protocol::Event>) {
    for e in events {
        app.update(Msg::Core(e));
    }
}

/// Render one frame at `w`×`h` and return the terminal (its backend prints the screen).
pub fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.update(Msg::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| view(app, f)).expect("draw");
    t
}

/// The screen as text, one row per line (trailing spaces kept off).
pub fn screen(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut row = String::new();
        for x in 0..buf.area.width {
            row.push_str(buf[(x, y)].symbol());
        }
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}

#[macro_export]
macro_rules! snap {
    ($name:expr, $app:expr, $w:expr, $h:expr) => {{
        let t = $crate::render($app, $w, $h);
        insta::with_settings!({prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $crate::screen(&t));
        });
        t
    }};
}

/// The status bar shows the budget used against the budget, as the session reports it.
#[test]
fn the_status_bar_shows_the_budget_used_against_the_budget() {
    use klue::protocol::{Budget, Event, Spent};
    let mut a = app();
    let before = screen(&render(&mut a, 120, 20));
    assert!(
        !before.contains("turns"),
        "no budget before the session says it:\n{before}"
    );
    feed(
        &mut a,
        [Event::Spent(Spent {
            turns: 3,
            queries: 7,
            tokens: 12_345,
            of: Some(Budget {
                max_turns: 25,
                max_queries: 40,
                max_tokens: Some(200_000),
            }),
        })],
    );
    let s = screen(&render(&mut a, 120, 20));
    let bar = s.lines().last().unwrap_or_default();
    assert!(
        bar.contains("3/25 turns, 7/40 queries") && bar.contains("12.3k/200.0k tok"),
        "status bar: {bar}"
    );
    // Without a token cap the tokens used are shown alone.
    feed(
        &mut a,
        [Event::Spent(Spent {
            turns: 4,
            queries: 9,
            tokens: 15_000,
            of: Some(Budget {
                max_turns: 25,
                max_queries: 40,
                max_tokens: None,
            }),
        })],
    );
    let s = screen(&render(&mut a, 120, 20));
    let bar = s.lines().last().unwrap_or_default();
    assert!(
        bar.contains("4/25 turns, 9/40 queries"),
        "status bar: {bar}"
    );
    assert!(!bar.contains("/200.0k"), "status bar: {bar}");
}
