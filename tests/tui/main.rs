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
