//! A whole close of the demo period, run from the cockpit alone: the steps a team takes, as
//! keys on a screen. The pseudo-terminal test (`cockpit_pty.rs`) and the served test
//! (`serve.rs`) drive the same steps, each through its own kind of terminal.

use std::path::Path;
use std::time::Duration;

/// The export mismatch the close traces and corrects.
pub const GL_KEY: &str = "exports:GL-2026-03:ar-total";

/// A cockpit on a terminal: keys in, screen out.
pub trait Screen {
    fn send(&self, keys: &[u8]);
    fn screen(&self) -> String;

    /// Waits until the screen shows `text`; panics with the screen after 10 s.
    fn wait_for(&self, text: &str) {
        let start = std::time::Instant::now();
        while !self.screen().contains(text) {
            if start.elapsed() > Duration::from_secs(10) {
                panic!("{text:?} not on screen after 10 s:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `keys` and waits for `text`.
    fn press(&self, keys: &[u8], text: &str) {
        self.send(keys);
        self.wait_for(text);
    }
}

/// Opens the mismatch whose key contains `filter` from the mismatch list (`x` clears an
/// earlier filter first).
pub fn open_mismatch(s: &dyn Screen, filter: &str, key: &str) {
    s.press(b"2", "shown");
    s.send(b"x/");
    s.send(filter.as_bytes());
    s.send(b"\r\r");
    s.wait_for(key);
    s.wait_for("Source rows");
}

/// Operator: traces the GL mismatch to the one export line that differs (the account
/// ACC-1004, 2,190.12 of window-end AR against 2,180.37 on the export's lines: -9.75), then
/// proposes two corrections: the right one (9.75 added to actual) and a partial one (5.00).
pub fn trace_and_propose(s: &dyn Screen) {
    open_mismatch(s, "GL-2026", GL_KEY);
    s.press(b"t", "Evidence");
    s.wait_for("≠ marks");
    let screen = s.screen();
    let marked: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains('≠') && l.contains("ACC-"))
        .collect();
    assert_eq!(marked.len(), 1, "one export line differs:\n{screen}");
    assert!(
        marked[0].contains("ACC-1004") && marked[0].contains("2,190.12") && marked[0].contains("2,180.37"),
        "the differing line is ACC-1004's:\n{screen}"
    );
    s.press(b"\x1b", "Source rows");
    s.press(b"p", "Ctrl-S save");
    s.send(b"9.75 actual\rthe GL export missed ACC-1004's 9.75 line");
    s.press(b"\x13", "correction proposed");
    s.press(b"p", "Ctrl-S save");
    s.send(b"5.00 actual\rpartial re-run of the GL export");
    s.press(b"\x13", "+5.00 on actual");
}

/// The reviewer's note on accepting the 9.75, and the lead's sign-off comment: both end up
/// in the close packet.
pub const ACCEPT_NOTE: &str = "ties to ACC-1004's export line";
pub const SIGNOFF_COMMENT: &str = "March close, reviewed with the GL team";

/// Reviewer: chooses among the two waiting corrections with the variance before → after of
/// each, confirms the first with a note, sends the partial one back (a sign-off waits for
/// every correction to be decided), and waives the statement mismatch with a reason.
pub fn choose_accept_and_waive(s: &dyn Screen) {
    open_mismatch(s, "GL-2026", GL_KEY);
    s.press(b"a", "Accept which correction?");
    s.wait_for("+9.75 adds to actual · by rdiaz · variance -9.75 → 0.00");
    s.wait_for("+5.00 adds to actual · by rdiaz · variance -9.75 → -4.75");
    // Enter opens the confirmation: the chosen one and its variance, an optional note.
    s.press(b"\r", "Ctrl-S accept");
    s.wait_for("+9.75 adds to actual · by rdiaz · variance -9.75 → 0.00");
    s.send(ACCEPT_NOTE.as_bytes());
    s.press(b"\x13", "correction accepted");
    s.wait_for("[accepted");
    s.press(b"r", "Send back which correction?");
    s.wait_for("#2 +5.00 adds to actual");
    s.press(b"\r", "Send back correction #2");
    s.send(b"superseded by the full 9.75 correction");
    s.press(b"\x13", "correction sent back");
    open_mismatch(s, "STM-VERIFY", "statement-total");
    s.press(b"w", "Ctrl-S save");
    s.send(b"Verify statement reissued in April with the corrected fee");
    s.press(b"\x13", "mismatch waived");
}

/// Operator: marks the checklist items `from..=to` done, one by one.
pub fn work_items(s: &dyn Screen, from: u8, to: u8) {
    s.press(b"3", "Close checklist");
    s.send(b"g");
    for _ in 1..from {
        s.send(b"j");
    }
    for item in from..=to {
        s.press(b"d", &format!("item {item} is now done"));
        if item < to {
            s.send(b"j");
        }
    }
}

/// Lead: signs off by typing the period id and a comment, exports the packet, and
/// verifies.
pub fn sign_export_verify(s: &dyn Screen) {
    s.press(b"6", "Sign off period 2026-03");
    s.send(b"S");
    s.send(b"2026-03\r");
    s.wait_for("Ctrl-S sign");
    s.send(SIGNOFF_COMMENT.as_bytes());
    s.press(b"\x13", "period signed off and locked");
    s.press(b"e", "close packet written to");
    s.press(b"5", "Audit");
    s.press(b"v", "checks passed");
}

/// After the close: `verify` passes, the period is signed by mhale, the GL mismatch is
/// resolved by the accepted 9.75 and the packet is beside the snapshot, with the accept
/// note and the sign-off comment.
pub fn assert_signed_and_packed(path: &Path) {
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .arg("verify")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .args(["status", "--json"])
        .arg(path)
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("\"signed_off\""), "{status}");
    let packets: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("close-packet-2026-03-signed-"))
        .collect();
    assert_eq!(packets.len(), 1, "{packets:?}");
    let packet = std::fs::read_to_string(path.parent().unwrap().join(&packets[0])).unwrap();
    assert!(packet.contains("mhale"), "the packet names the signer");
    assert!(
        packet.contains("Verify statement reissued in April"),
        "the waiver's reason"
    );
    assert!(packet.contains(ACCEPT_NOTE), "the accept note:\n{packet}");
    assert!(
        packet.contains(SIGNOFF_COMMENT),
        "the sign-off comment:\n{packet}"
    );
}
