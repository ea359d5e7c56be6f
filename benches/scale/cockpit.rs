//! The cockpit, headless: time to the first complete frame, and key→frame latency.
//!
//! Each key goes through `App::on_key` and one complete frame is drawn at 80x24 on a
//! `TestBackend`: that is the key's latency, as in the cockpit, where the frame is drawn
//! before the background worker answers. The requests the key made (the next page of a
//! table, a filter) are then answered by the real data layer against the real file, and
//! the frame drawn again: "with data" is the time from the key to that second frame, what
//! the user waits for when a key needs rows that were not loaded yet.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use closedesk::snapshot::Snapshot;
use closedesk::tui::app::App;
use closedesk::tui::data::{self, Request};
use closedesk::tui::theme::Theme;
use closedesk::tui::views;

pub struct Latency {
    /// From opening the file to the first complete frame.
    pub first_frame: Duration,
    /// Per-key latencies over the scroll keys in the largest table (usage events).
    pub table: Vec<Timing>,
    /// Per-key latencies over scroll and filter keys in the mismatch list.
    pub mismatches: Vec<Timing>,
}

/// One key: to its own frame, and to the frame after the data it asked for arrived.
#[derive(Clone, Copy)]
pub struct Timing {
    pub frame: Duration,
    pub with_data: Duration,
}

struct Harness {
    app: App,
    snapshot: Snapshot,
    terminal: Terminal<TestBackend>,
    theme: Theme,
    today: NaiveDate,
}

impl Harness {
    /// Answers requests (and the requests their answers make) until none are left.
    fn pump(&mut self, mut requests: Vec<Request>) {
        while !requests.is_empty() {
            let mut next = Vec::new();
            for request in requests {
                let response = data::handle(&mut self.snapshot, "bench", None, self.today, request);
                next.extend(self.app.on_response(response));
            }
            requests = next;
        }
    }

    fn frame(&mut self) {
        let (app, theme) = (&mut self.app, &self.theme);
        self.terminal.draw(|f| views::draw(f, app, theme)).expect("draw");
    }

    fn key(&mut self, key: KeyEvent) -> Timing {
        let start = Instant::now();
        let requests = self.app.on_key(key);
        self.frame();
        let frame = start.elapsed();
        if !requests.is_empty() {
            self.pump(requests);
            self.frame();
        }
        Timing {
            frame,
            with_data: start.elapsed(),
        }
    }
}

fn ch(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

pub fn measure(path: &Path, keys: usize) -> Latency {
    let start = Instant::now();
    let snapshot = Snapshot::open(path).expect("open");
    let today = snapshot.period().expect("period").window_end;
    let mut h = Harness {
        app: App::new(),
        snapshot,
        terminal: Terminal::new(TestBackend::new(80, 24)).expect("terminal"),
        theme: Theme::mono(),
        today,
    };
    let requests = h.app.start();
    h.pump(requests);
    h.frame();
    let first_frame = start.elapsed();

    // The largest table: the usage lane (about 10 usage events per invoice).
    h.key(ch('4'));
    let scroll = [
        ch('j'),
        ch('j'),
        code(KeyCode::PageDown),
        ch('j'),
        code(KeyCode::PageDown),
        ch('k'),
    ];
    let table = (0..keys).map(|i| h.key(scroll[i % scroll.len()])).collect();

    // The mismatch list: scroll, sort, and type a filter then clear it.
    h.key(ch('2'));
    let list = [
        ch('j'),
        ch('k'),
        ch('s'),
        ch('/'),
        ch('u'),
        ch('s'),
        ch('a'),
        code(KeyCode::Backspace),
        code(KeyCode::Backspace),
        code(KeyCode::Backspace),
        code(KeyCode::Enter),
        ch('x'),
    ];
    let mismatches = (0..keys).map(|i| h.key(list[i % list.len()])).collect();
    Latency {
        first_frame,
        table,
        mismatches,
    }
}

/// The `p`-th percentile (0–100) of `samples`, nearest rank.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
