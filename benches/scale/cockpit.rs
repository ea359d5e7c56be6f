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
    /// The cockpit on `path`, at 80x24, nothing loaded yet.
    fn open(path: &Path) -> Harness {
        let snapshot = Snapshot::open(path).expect("open");
        let today = snapshot.period().expect("period").window_end;
        Harness {
            app: App::new(),
            snapshot,
            terminal: Terminal::new(TestBackend::new(80, 24)).expect("terminal"),
            theme: Theme::mono(),
            today,
        }
    }

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
    let mut h = Harness::open(path);
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

/// The cockpit on a dirty period (issue 15: ~100,000 open mismatches), headless.
pub struct Dirty {
    /// From opening the file to the first complete frame, drawn as the worker first
    /// answers (`data::load_first`: the stored totals and the first page).
    pub first_frame: Duration,
    /// From opening the file to the frame with every mismatch loaded (`data::load`).
    pub complete: Duration,
    /// How many mismatches the list has.
    pub total: usize,
    /// Key→frame in the mismatch list, by kind of key: a sort key (`s`, `S`), a filter key
    /// (typing, backspace, Esc, a quick filter, clearing them), a move. Wall time, and the
    /// CPU time of this thread (on a shared machine the wall time also counts waiting for
    /// a core).
    pub sort: Vec<(Duration, Duration)>,
    pub filter: Vec<(Duration, Duration)>,
    pub moves: Vec<(Duration, Duration)>,
}

/// The CPU time this thread has used.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime fills the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Measures [`Dirty`] on `path`, `rounds` times over the key sequence.
pub fn measure_dirty(path: &Path, rounds: usize) -> Dirty {
    use closedesk::tui::data::Response;
    let start = Instant::now();
    let mut h = Harness::open(path);
    let today = h.today;
    let requests = h.app.start();
    // As the worker answers the first load: the first page drawn, then the rest read.
    let first = data::load_first(&h.snapshot, "bench", today).expect("a large period's first page");
    h.app.on_response(Response::Loaded(Box::new(first)));
    h.frame();
    let first_frame = start.elapsed();
    h.pump(requests);
    h.frame();
    let complete = start.elapsed();
    let total = h.app.data.as_ref().map_or(0, |d| d.items.len());

    h.key(ch('2'));
    enum Kind {
        Sort,
        Filter,
        Move,
    }
    use Kind::*;
    let mut keys: Vec<(Kind, KeyEvent)> = Vec::new();
    for _ in 0..8 {
        keys.push((Sort, ch('s')));
    }
    keys.push((Sort, ch('S')));
    keys.push((Move, code(KeyCode::PageDown)));
    keys.push((Move, ch('j')));
    keys.push((Filter, ch('/')));
    for c in "inv-0001".chars() {
        keys.push((Filter, ch(c)));
    }
    for _ in 0..4 {
        keys.push((Filter, code(KeyCode::Backspace)));
    }
    keys.push((Filter, code(KeyCode::Enter)));
    keys.push((Sort, ch('s')));
    keys.push((Move, ch('G')));
    keys.push((Move, ch('g')));
    keys.push((Filter, ch('x')));
    for c in ['L', 'V', 'O', 'T', 'x'] {
        keys.push((Filter, ch(c)));
    }
    keys.push((Filter, ch('/')));
    keys.push((Filter, ch('z')));
    keys.push((Filter, code(KeyCode::Esc)));
    let (mut sort, mut filter, mut moves) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (kind, key) in &keys {
            let cpu = thread_cpu();
            let wall = h.key(*key).frame;
            let took = (wall, thread_cpu() - cpu);
            match kind {
                Sort => sort.push(took),
                Filter => filter.push(took),
                Move => moves.push(took),
            }
        }
    }
    Dirty {
        first_frame,
        complete,
        total,
        sort,
        filter,
        moves,
    }
}
