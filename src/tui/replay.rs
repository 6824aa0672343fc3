//! Playback of a recorded session into the same screen: real time at 1×, 2×, 8× or
//! instant, pause, step to the next event, and seek. Read-only: playback only feeds events
//! to the view; nothing is sent anywhere.

use std::time::Instant;

use crate::protocol::Event;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Speed {
    #[default]
    X1,
    X2,
    X8,
    Instant,
}

impl Speed {
    fn factor(self) -> Option<f64> {
        match self {
            Speed::X1 => Some(1.0),
            Speed::X2 => Some(2.0),
            Speed::X8 => Some(8.0),
            Speed::Instant => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Speed::X1 => "1×",
            Speed::X2 => "2×",
            Speed::X8 => "8×",
            Speed::Instant => "instant",
        }
    }
}

/// A playback command (from the replay keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayCtl {
    TogglePause,
    Step,
    Speed(Speed),
    /// Move by this many events (negative: back).
    Seek(isize),
    SeekStart,
    SeekEnd,
}

/// Where playback is, for the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplayStatus {
    pub position: usize,
    pub total: usize,
    pub paused: bool,
    pub speed: Speed,
    pub at_ms: u64,
    pub total_ms: u64,
}

/// What the screen must do after a playback step.
#[derive(Debug, Clone, PartialEq)]
pub enum Feed {
    /// Apply these events.
    Events(Vec<Event>),
    /// Start over from an empty screen, then apply these events (seeking back).
    Reset(Vec<Event>),
}

#[derive(Debug)]
pub struct Player {
    /// (milliseconds since the start, event), in order.
    events: Vec<(u64, Event)>,
    pos: usize,
    speed: Speed,
    paused: bool,
    clock_ms: f64,
    last: Option<Instant>,
}

impl Player {
    /// Events with their time offsets; offsets that go backwards are clamped so the
    /// timeline is monotonic.
    pub fn new(mut events: Vec<(u64, Event)>, speed: Speed) -> Self {
        let mut max = 0;
        for (t, _) in &mut events {
            max = (*t).max(max);
            *t = max;
        }
        Self {
            events,
            pos: 0,
            speed,
            paused: false,
            clock_ms: 0.0,
            last: None,
        }
    }

    pub fn status(&self) -> ReplayStatus {
        ReplayStatus {
            position: self.pos,
            total: self.events.len(),
            paused: self.paused,
            speed: self.speed,
            at_ms: self.clock_ms as u64,
            total_ms: self.events.last().map_or(0, |(t, _)| *t),
        }
    }

    pub fn finished(&self) -> bool {
        self.pos >= self.events.len()
    }

    /// Events due by `now`.
    pub fn tick(&mut self, now: Instant) -> Vec<Event> {
        let elapsed = self.last.map_or(0.0, |l| {
            now.saturating_duration_since(l).as_secs_f64() * 1000.0
        });
        self.last = Some(now);
        if self.paused || self.finished() {
            return Vec::new();
        }
        let Some(f) = self.speed.factor() else {
            return self.take_until(self.events.len());
        };
        self.clock_ms += elapsed * f;
        let end = self.pos
            + self.events[self.pos..]
                .iter()
                .take_while(|(t, _)| (*t as f64) <= self.clock_ms)
                .count();
        let out = self.take_until(end);
        if self.finished() {
            self.clock_ms = self.status().total_ms as f64;
        }
        out
    }

    fn take_until(&mut self, end: usize) -> Vec<Event> {
        let end = end.min(self.events.len());
        let out: Vec<Event> = self.events[self.pos..end]
            .iter()
            .map(|(_, e)| e.clone())
            .collect();
        if end > self.pos {
            self.clock_ms = self.clock_ms.max(self.events[end - 1].0 as f64);
        }
        self.pos = end.max(self.pos);
        out
    }

    pub fn control(&mut self, ctl: ReplayCtl, now: Instant) -> Feed {
        self.last = Some(now);
        match ctl {
            ReplayCtl::TogglePause => {
                self.paused = !self.paused;
                Feed::Events(Vec::new())
            }
            ReplayCtl::Step => {
                self.paused = true;
                Feed::Events(self.take_until(self.pos + 1))
            }
            ReplayCtl::Speed(s) => {
                self.speed = s;
                Feed::Events(Vec::new())
            }
            ReplayCtl::Seek(d) => {
                let target = (self.pos as isize + d).clamp(0, self.events.len() as isize) as usize;
                self.seek_to(target)
            }
            ReplayCtl::SeekStart => self.seek_to(0),
            ReplayCtl::SeekEnd => self.seek_to(self.events.len()),
        }
    }

    fn seek_to(&mut self, target: usize) -> Feed {
        if target >= self.pos {
            return Feed::Events(self.take_until(target));
        }
        self.pos = 0;
        self.clock_ms = 0.0;
        let evs = self.take_until(target);
        if target == 0 {
            self.clock_ms = 0.0;
        }
        Feed::Reset(evs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ev(i: usize) -> Event {
        Event::UserMessage {
            text: format!("m{i}"),
        }
    }

    fn player() -> Player {
        Player::new(
            (0..10).map(|i| (i as u64 * 1000, ev(i))).collect(),
            Speed::X1,
        )
    }

    #[test]
    fn real_time_and_speed() {
        let mut p = player();
        let t0 = Instant::now();
        assert_eq!(p.tick(t0).len(), 1); // the event at 0 ms
        assert_eq!(p.tick(t0 + Duration::from_millis(1500)).len(), 1);
        p.control(
            ReplayCtl::Speed(Speed::X8),
            t0 + Duration::from_millis(1500),
        );
        // 1 s of wall time at 8× is 8 s of session time: events at 2..=9 s.
        assert_eq!(p.tick(t0 + Duration::from_millis(2500)).len(), 8);
        assert!(p.finished());
    }

    #[test]
    fn pause_step_seek() {
        let mut p = player();
        let t0 = Instant::now();
        p.control(ReplayCtl::TogglePause, t0);
        assert!(p.tick(t0 + Duration::from_secs(5)).is_empty());
        assert_eq!(p.control(ReplayCtl::Step, t0), Feed::Events(vec![ev(0)]));
        assert_eq!(
            p.control(ReplayCtl::Seek(3), t0),
            Feed::Events(vec![ev(1), ev(2), ev(3)])
        );
        assert_eq!(
            p.control(ReplayCtl::Seek(-2), t0),
            Feed::Reset(vec![ev(0), ev(1)])
        );
        assert_eq!(p.status().position, 2);
        assert_eq!(
            p.control(ReplayCtl::Speed(Speed::Instant), t0),
            Feed::Events(vec![])
        );
        p.control(ReplayCtl::TogglePause, t0);
        assert_eq!(p.tick(t0).len(), 8);
    }
}
