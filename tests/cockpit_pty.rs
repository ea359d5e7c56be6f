//! End-to-end: the real binary in a pseudo-terminal, read through a terminal emulator
//! (vt100), the way a user over SSH sees it.

mod common;

use common::analyst_reads;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};

const BIN: &str = env!("CARGO_BIN_EXE_closedesk");
const EXPORT_KEY: &str = "exports:GL-2026-03:ar-total";

struct Term {
    master: Box<dyn MasterPty + Send>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    child: Box<dyn Child + Send + Sync>,
    /// Every byte the program wrote.
    stream: Arc<Mutex<Vec<u8>>>,
    screen: Arc<Mutex<vt100::Parser>>,
}

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).unwrap()
}

fn size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

impl Term {
    fn spawn(args: &[&str], env: &[(&str, &str)], no_color: bool) -> Term {
        let pair = native_pty_system().openpty(size(80, 24)).unwrap();
        let mut cmd = CommandBuilder::new(BIN);
        for a in args {
            cmd.arg(a);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("CLOSEDESK_TODAY", "2026-04-06");
        cmd.env_remove("NO_COLOR");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let stream = Arc::new(Mutex::new(Vec::new()));
        let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(24), nz(80), 0)));
        {
            let (writer, stream, screen) = (writer.clone(), stream.clone(), screen.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    let n = match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let bytes = &buf[..n];
                    // crossterm asks where the cursor is; answer like a terminal would.
                    if bytes.windows(4).any(|w| w == b"\x1b[6n") {
                        let _ = writer.lock().unwrap().write_all(b"\x1b[1;1R");
                    }
                    stream.lock().unwrap().extend_from_slice(bytes);
                    screen.lock().unwrap().process(bytes);
                }
            });
        }
        Term {
            master: pair.master,
            writer,
            child,
            stream,
            screen,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits for `text` on the screen. `within` is what a quiet machine needs; a loaded
    /// one (the suite runs beside builds) gets up to 30 s, since what these tests check is
    /// that the text appears, not how fast. [`Term::wait_within`] is the strict form.
    fn wait_for(&self, text: &str, within: Duration) -> Duration {
        self.wait_within(text, within.max(Duration::from_secs(30)))
    }

    /// Waits for `text` at most `within`: for the tests whose point is the time.
    fn wait_within(&self, text: &str, within: Duration) -> Duration {
        let start = Instant::now();
        loop {
            if self.contents().contains(text) {
                return start.elapsed();
            }
            if start.elapsed() > within {
                panic!(
                    "{text:?} did not appear within {within:?}; screen:\n{}",
                    self.contents()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn keys(&self, bytes: &[u8]) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(bytes).unwrap();
        w.flush().unwrap();
        drop(w);
        std::thread::sleep(Duration::from_millis(150));
    }

    fn resize(&self, cols: u16, rows: u16) {
        self.screen.lock().unwrap().set_size(nz(rows), nz(cols));
        self.master.resize(size(cols, rows)).unwrap();
    }

    fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader drain the last bytes.
                std::thread::sleep(Duration::from_millis(200));
                return status.exit_code();
            }
            assert!(start.elapsed() < Duration::from_secs(30), "did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stream(&self) -> Vec<u8> {
        self.stream.lock().unwrap().clone()
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("demo.db");
    let out = std::process::Command::new(BIN)
        .args(["demo", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

/// The SGR sequences in `stream` that set a colour (not bold/reverse/reset).
fn colour_sgrs(stream: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(stream);
    let mut out = Vec::new();
    let mut rest = &text[..];
    while let Some(i) = rest.find("\x1b[") {
        rest = &rest[i + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(rest.len());
        if rest[end..].starts_with('m') {
            let params = &rest[..end];
            let colour = params.split(';').any(|p| {
                matches!(p.parse::<u32>(), Ok(n) if (30..=38).contains(&n) || (40..=48).contains(&n) || (90..=107).contains(&n))
            });
            if colour {
                out.push(params.to_string());
            }
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The flow of the issue: open the demo, see the count and the variance, drill into the
/// export mismatch, add a note, quit; the command line then shows the note.
/// Drills into the export mismatch and saves a note (`\r` breaks its line); returns when
/// the note's last line is on screen.
fn note_on_export(t: &Term, text: &str) {
    t.keys(b"2");
    t.wait_for("of 2 shown", Duration::from_secs(5));
    t.keys(b"/GL-2026\r\r");
    t.wait_for(EXPORT_KEY, Duration::from_secs(5));
    t.wait_for("Source rows", Duration::from_secs(5));
    t.keys(b"n");
    t.wait_for("Ctrl-S save", Duration::from_secs(5));
    t.keys(text.as_bytes());
    t.keys(b"\x13"); // Ctrl-S
    t.wait_for(text.rsplit('\r').next().unwrap(), Duration::from_secs(5));
}

fn drill_and_note(no_color: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut t = Term::spawn(&[path.to_str().unwrap()], &[("USER", "rdiaz")], no_color);
    t.wait_for("2 mismatches", Duration::from_secs(10));
    // The rest of the frame may still be on its way to the terminal: wait for it too.
    t.wait_for("14.27", Duration::from_secs(10));
    note_on_export(&t, "Checked with GL ops: re-run pending\rafter credit memo");
    t.keys(b"q");
    assert_eq!(t.wait_exit(), 0);
    let stream = t.stream();
    // The terminal is handed back: main screen, cursor shown.
    let tail = &stream[stream.len().saturating_sub(200)..];
    assert!(contains(tail, b"\x1b[?1049l"), "alternate screen not left");
    assert!(contains(tail, b"\x1b[?25h"), "cursor not shown");
    // Frames are wrapped in synchronized updates.
    assert!(contains(&stream, b"\x1b[?2026h") && contains(&stream, b"\x1b[?2026l"));
    let out = std::process::Command::new(BIN)
        .arg("mismatch")
        .arg(&path)
        .args([EXPORT_KEY, "--json"])
        .output()
        .unwrap();
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(
        json.contains("Checked with GL ops: re-run pending"),
        "{json}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stream
}

#[test]
fn open_demo_drill_in_add_note_quit() {
    let stream = drill_and_note(false);
    assert!(!colour_sgrs(&stream).is_empty(), "a colour terminal gets colour");
}

/// The config file's snapshot and `theme = "mono"`, with the log on: the cockpit opens the
/// configured file without colour, and its log lines go to the file, never to the screen.
#[test]
fn config_theme_and_snapshot_with_the_log_on_write_nothing_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("snapshot = {:?}\ntheme = \"mono\"\n", path.to_str().unwrap()),
    )
    .unwrap();
    let state = dir.path().join("state");
    let env = [
        ("USER", "rdiaz"),
        ("CLOSEDESK_CONFIG", config.to_str().unwrap()),
        ("CLOSEDESK_LOG", "debug"),
        ("CLOSEDESK_STATE_DIR", state.to_str().unwrap()),
        ("XDG_DATA_HOME", dir.path().to_str().unwrap()),
    ];
    let mut t = Term::spawn(&[], &env, false);
    t.wait_for("2 mismatches", Duration::from_secs(10));
    t.keys(b"2");
    t.wait_for("of 2 shown", Duration::from_secs(5));
    t.keys(b"q");
    assert_eq!(t.wait_exit(), 0);
    let stream = t.stream();
    let sgrs = colour_sgrs(&stream);
    assert!(sgrs.is_empty(), "theme = \"mono\" in the config: {sgrs:?}");
    let log = std::fs::read_to_string(state.join("closedesk.log")).unwrap();
    assert!(
        log.contains("cockpit started") && log.contains("cockpit stopped"),
        "{log}"
    );
    assert!(
        log.contains(&format!("path={}", path.display())),
        "the configured snapshot: {log}"
    );
    for text in [&b"cockpit started"[..], b"INFO", b"DEBUG", b"closedesk::"] {
        assert!(
            !contains(&stream, text),
            "{} on the terminal",
            String::from_utf8_lossy(text)
        );
    }
}

/// A yen period: the cockpit prints its amounts without decimals (the worker's open sets
/// the process's decimals from the period's currency).
#[test]
fn a_yen_period_shows_no_decimals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jpy.db");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/currency-jpy");
    let out = std::process::Command::new(BIN)
        .arg("import")
        .arg(&fixture)
        .arg("--out")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut t = Term::spawn(&[path.to_str().unwrap()], &[("USER", "mhale")], true);
    t.wait_for("2 mismatches", Duration::from_secs(10));
    t.wait_for("124,520", Duration::from_secs(5));
    let screen = t.contents();
    assert!(screen.contains("(JPY)"), "{screen}");
    assert!(screen.contains("125,000"), "{screen}");
    assert!(
        !screen.contains("1,245.20") && !screen.contains(".00"),
        "{screen}"
    );
    t.keys(b"q");
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn no_color_emits_no_colour_sequences() {
    let stream = drill_and_note(true);
    let sgrs = colour_sgrs(&stream);
    assert!(sgrs.is_empty(), "colour SGR sequences with NO_COLOR: {sgrs:?}");
}

#[test]
fn hostile_account_name_stays_inert() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.db");
    closedesk::tui::fixture::write_snapshot(&path, "Evil\x1b]0;pwned\x07Corp\x1b[2J", 3);
    let mut t = Term::spawn(&[path.to_str().unwrap()], &[("USER", "olga")], true);
    t.wait_for("Northstar", Duration::from_secs(10));
    t.keys(b"4");
    t.wait_for("U-000000", Duration::from_secs(5));
    t.wait_for("Evil\\x1b]0;pwned", Duration::from_secs(5));
    t.keys(b"q");
    t.wait_exit();
    let stream = t.stream();
    assert!(
        !contains(&stream, b"\x1b]0;pwned"),
        "the OSC title sequence reached the terminal"
    );
    assert!(!contains(&stream, b"\x07"), "a raw BEL reached the terminal");
    assert!(
        !contains(&stream, b"Corp\x1b[2J"),
        "the clear-screen sequence reached the terminal"
    );
}

/// Another operator adds a note with the command line (another process, another connection).
fn add_note_elsewhere(path: &Path, text: &str) {
    let out = std::process::Command::new(BIN)
        .args(["--user", "jokafor", "mismatch"])
        .arg(path)
        .args([EXPORT_KEY, "note", text])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn another_writer_shows_up_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let t = Term::spawn(&[path.to_str().unwrap()], &[("USER", "rdiaz")], true);
    t.wait_for("2 mismatches", Duration::from_secs(10));
    // The export mismatch, second source row selected.
    t.keys(b"\r");
    t.wait_for("No notes, corrections or waivers yet", Duration::from_secs(5));
    t.keys(b"j");
    add_note_elsewhere(&path, "Asked GL ops to re-run the export");
    let took = t.wait_within("Asked GL ops to re-run the export", Duration::from_secs(2));
    eprintln!("another operator's note appeared after {took:?}");
    // Still on the same mismatch with the same source row selected.
    assert!(t.contents().contains("Source rows 2/"), "{}", t.contents());
    // A draft survives another refresh.
    t.keys(b"n");
    t.keys(b"half-written draft");
    add_note_elsewhere(&path, "Second note from the reviewer");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        t.contents().contains("half-written draft"),
        "the draft was lost:\n{}",
        t.contents()
    );
    t.keys(b"\x1b");
    t.wait_for("Discard this draft?", Duration::from_secs(2));
    t.keys(b"y");
    t.wait_for("Second note from the reviewer", Duration::from_secs(2));
    assert!(t.contents().contains("Source rows 2/"), "{}", t.contents());
}

/// An edit conflict with a second writer: the operator's draft (a new owner) is refused
/// because jokafor assigned the mismatch meanwhile; the editor keeps the draft, reloads the
/// mismatch, and the next Ctrl-S saves it against the new version.
#[test]
fn a_conflict_with_a_second_writer_keeps_the_draft_and_the_retry_saves() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let t = Term::spawn(&[path.to_str().unwrap()], &[("USER", "rdiaz")], true);
    t.wait_for("2 mismatches", Duration::from_secs(10));
    t.keys(b"\r");
    t.wait_for("No notes, corrections or waivers yet", Duration::from_secs(5));
    t.keys(b"o");
    t.wait_for("Assign", Duration::from_secs(2));
    t.keys(b"rdiaz@northstar.example");
    // The second writer, while the draft is open.
    let out = std::process::Command::new(BIN)
        .args(["--user", "jokafor", "mismatch"])
        .arg(&path)
        .args([EXPORT_KEY, "assign", "jokafor@northstar.example"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    t.keys(b"\x13"); // Ctrl-S
    t.wait_for("changed by jokafor at ", Duration::from_secs(5));
    assert!(
        t.contents().contains("rdiaz@northstar.example"),
        "the draft was lost:\n{}",
        t.contents()
    );
    t.keys(b"\x13");
    t.wait_for("owner rdiaz@northstar.example", Duration::from_secs(5));
}

/// `/` in a lane finds rows beyond the page read, through the worker; `n` steps.
#[test]
fn slash_in_a_lane_finds_rows_beyond_the_loaded_page() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let t = Term::spawn(&[path.to_str().unwrap()], &[("USER", "rdiaz")], true);
    t.wait_for("2 mismatches", Duration::from_secs(10));
    t.keys(b"4");
    t.wait_for("usage_events", Duration::from_secs(5));
    t.keys(b"/UE-0130");
    t.wait_for("search: UE-0130", Duration::from_secs(2));
    t.keys(b"\r");
    t.wait_for("/UE-0130 · hit 1/3", Duration::from_secs(5));
    t.wait_for("UE-01300", Duration::from_secs(5));
    t.keys(b"n");
    t.wait_for("hit 2/3", Duration::from_secs(2));
    t.keys(b"\x1b");
    t.wait_for("/ search", Duration::from_secs(2));
    assert!(!t.contents().contains("hit 2/3"), "{}", t.contents());
}

#[test]
fn refusal_is_printed_before_the_terminal_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let mut t = Term::spawn(&[missing.to_str().unwrap()], &[], true);
    assert_eq!(t.wait_exit(), 2);
    let stream = String::from_utf8_lossy(&t.stream()).to_string();
    assert!(stream.contains("no such file"), "{stream}");
    assert!(
        !stream.contains("\x1b[?1049h"),
        "the terminal was taken over: {stream:?}"
    );
}

#[test]
fn too_small_then_resized_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    closedesk::tui::fixture::write_snapshot(&path, "Brightwater Clinics", 3);
    let mut t = Term::spawn(&[path.to_str().unwrap()], &[("USER", "olga")], true);
    t.wait_for("Northstar", Duration::from_secs(10));
    t.resize(60, 20);
    t.wait_for(
        "terminal too small: need 80x24, have 60x20",
        Duration::from_secs(5),
    );
    t.resize(100, 30);
    t.wait_for("Correction lane", Duration::from_secs(5));
    assert!(!t.contents().contains("too small"));
    t.keys(b"q");
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn terminal_is_restored_after_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    closedesk::tui::fixture::write_snapshot(&path, "Brightwater Clinics", 3);
    let mut t = Term::spawn(
        &[path.to_str().unwrap()],
        &[("USER", "olga"), ("CLOSEDESK_TEST_PANIC", "1")],
        true,
    );
    t.wait_for("Northstar", Duration::from_secs(10));
    t.keys(b"\x1b[24~"); // F12
    assert_ne!(t.wait_exit(), 0);
    let stream = t.stream();
    let text = String::from_utf8_lossy(&stream);
    let left = text.find("\x1b[?1049l").expect("alternate screen not left");
    let report = text.find("test panic requested").expect("no panic report");
    assert!(left < report, "the report must be printed on the main screen");
    assert!(text[left..].contains("\x1b[?25h"), "cursor not shown");
}

#[test]
fn an_idle_cockpit_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut t = Term::spawn(&[path.to_str().unwrap()], &[("USER", "rdiaz")], false);
    t.wait_for("2 mismatches", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));
    let before = t.stream().len();
    // Several ticks and data_version polls later, no frame was sent.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(t.stream().len(), before, "bytes were written while idle");
    // A key that changes nothing visible sends no more than a synchronized, empty update.
    t.keys(b"k");
    let sent = t.stream().len() - before;
    let tail = String::from_utf8_lossy(&t.stream()[before..]).to_string();
    assert!(
        sent <= 64 && !tail.contains("Northstar"),
        "{sent} bytes for a frame that did not change: {tail:?}"
    );
    eprintln!("a key that changed nothing sent {sent} bytes: {tail:?}");
    t.keys(b"q");
    assert_eq!(t.wait_exit(), 0);
}

/// Issue 12.1: an analyst's `sqlite3` (see `analyst_reads`)
/// opens and closes the file beside a running cockpit; the cockpit saves a note, another
/// operator saves one with the command line: both are there after the cockpit quits, and
/// the file verifies. Before the fix the cockpit's second `Snapshot::open` dropped its own
/// POSIX locks, the plain client believed it was the last one and deleted the write-ahead
/// log the cockpit went on writing to; when the cockpit quit, it checkpointed that orphaned
/// log over the command line's note, and `verify` still said OK.
#[test]
fn a_plain_sqlite_client_beside_the_cockpit_loses_no_saved_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let mut t = Term::spawn(&[path.to_str().unwrap()], &[("USER", "rdiaz")], true);
    t.wait_for("2 mismatches", Duration::from_secs(10));
    // Every connection of the cockpit is open by now (its worker and its change watcher).
    std::thread::sleep(Duration::from_millis(1000));
    analyst_reads(&path);
    note_on_export(&t, "saved from the cockpit");
    add_note_elsewhere(&path, "saved from the command line");
    t.wait_for("saved from the command line", Duration::from_secs(3));
    t.keys(b"q");
    assert_eq!(t.wait_exit(), 0);
    let out = std::process::Command::new(BIN)
        .arg("mismatch")
        .arg(&path)
        .args([EXPORT_KEY, "--json"])
        .output()
        .unwrap();
    let json = String::from_utf8_lossy(&out.stdout);
    for text in ["saved from the cockpit", "saved from the command line"] {
        assert!(json.contains(text), "lost: {text}\n{json}");
    }
    let out = std::process::Command::new(BIN)
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    // The note's mismatch seen, and the two notes (an action records no other mismatch).
    assert!(report.contains("OK: 3 audit rows"), "{report}");
}

/// Issue 12.6: an argument the parser refuses is echoed in its message; on a terminal the
/// escape sequences in it must not act (here: a colour change and an OSC 52 clipboard
/// write). Before, clap wrote them through as they were.
#[test]
fn argument_errors_echo_typed_text_inert_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    for args in [
        vec![
            "log",
            path.to_str().unwrap(),
            "--limit",
            "\x1b[31mRED\x1b]52;c;aGk=\x07",
        ],
        vec!["log", path.to_str().unwrap(), "--bogus\x1b[31mRED"],
    ] {
        let mut t = Term::spawn(&args, &[], false);
        assert_eq!(t.wait_exit(), 2, "{args:?}");
        let stream = t.stream();
        assert!(
            !contains(&stream, b"\x1b[31mRED"),
            "{:?}",
            String::from_utf8_lossy(&stream)
        );
        assert!(
            !contains(&stream, b"\x1b]52"),
            "{:?}",
            String::from_utf8_lossy(&stream)
        );
    }
}

impl common::close::Screen for Term {
    fn send(&self, keys: &[u8]) {
        self.keys(keys);
    }

    fn screen(&self) -> String {
        self.contents()
    }
}

/// Issue 16's close, with no command-line step: each person opens the cockpit in their own
/// terminal, as their own login, in turn.
#[test]
fn a_whole_close_from_the_cockpit_alone() {
    use common::close::*;
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let as_user = |login: &str, steps: &dyn Fn(&Term)| {
        let mut t = Term::spawn(&[path.to_str().unwrap()], &[("USER", login)], true);
        t.wait_for("mismatch", Duration::from_secs(10));
        steps(&t);
        t.keys(b"q");
        assert_eq!(t.wait_exit(), 0, "{login}'s cockpit exits cleanly");
    };
    as_user("rdiaz", &|t| trace_and_propose(t));
    as_user("jokafor", &|t| choose_accept_and_waive(t));
    as_user("rdiaz", &|t| work_items(t, 1, 4));
    as_user("tlin", &|t| work_items(t, 5, 8));
    as_user("mhale", &|t| sign_export_verify(t));
    assert_signed_and_packed(&path);
}
