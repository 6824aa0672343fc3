//! Terminal setup and restore. The terminal is restored when the guard drops, and by a
//! panic hook, so a crash never leaves the shell in raw mode or the alternate screen.

use std::io::{self, Stdout, Write};
use std::sync::Once;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Owns the terminal while the TUI runs.
pub struct TerminalGuard {
    pub terminal: Term,
}

static HOOK: Once = Once::new();

impl TerminalGuard {
    /// Raw mode, the alternate screen, mouse and bracketed paste.
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(
            out,
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste,
            cursor::Hide
        ) {
            let _ = restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(out)) {
            Ok(mut terminal) => {
                terminal.clear()?;
                Ok(Self { terminal })
            }
            Err(e) => {
                let _ = restore();
                Err(e)
            }
        }
    }

    /// Write raw bytes to the terminal (OSC 52 copy).
    pub fn write_raw(&mut self, s: &str) -> io::Result<()> {
        let w = self.terminal.backend_mut();
        w.write_all(s.as_bytes())?;
        w.flush()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if let Err(e) = restore() {
            tracing::warn!(error = %e, "restoring the terminal failed");
        }
    }
}

/// Leave the alternate screen, show the cursor, stop mouse capture and raw mode.
pub fn restore() -> io::Result<()> {
    let mut out = io::stdout();
    let r = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let raw = disable_raw_mode();
    r.and(raw)
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore();
            previous(info);
        }));
    });
}
