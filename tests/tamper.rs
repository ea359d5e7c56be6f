//! Issue 12.4, with the real binary on the demo period: a stored result edited with plain
//! SQL is neither shown by `status` nor trusted by `--check`, and `verify` fails on it; rows
//! deleted from the log after the last sign-off are caught against the head an export
//! recorded (`verify --expect-head`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use closedesk::snapshot::Snapshot;
use rusqlite::Connection;

mod common;

use common::behind_triggers;

const BIN: &str = env!("CARGO_BIN_EXE_closedesk");

fn run(command: &str, path: &Path, rest: &[&str]) -> Output {
    Command::new(BIN)
        .arg(command)
        .arg(path)
        .args(rest)
        .output()
        .unwrap()
}

fn ok(command: &str, path: &Path, rest: &[&str]) -> String {
    let out = run(command, path, rest);
    assert!(
        out.status.success(),
        "{command} {rest:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("demo.db");
    closedesk::demo::write(&path, false).unwrap();
    path
}

/// The demo closed through the binary: items by two operators, both mismatches waived by
/// the reviewer, signed off by the lead.
fn close(path: &Path) -> String {
    for (items, login) in [(["1", "2", "3", "4"], "tlin"), (["5", "6", "7", "8"], "rdiaz")] {
        for item in items {
            ok("checklist", path, &["set", item, "done", "--user", login]);
        }
    }
    for key in [
        "exports:GL-2026-03:ar-total",
        "employer_programs:STM-VERIFY-2026-03:statement-total",
    ] {
        let reason = "--reason=Reviewed with the GL team; corrected in April's run";
        ok("mismatch", path, &[key, "waive", reason, "--user", "jokafor"]);
    }
    ok("signoff", path, &["--user", "mhale"])
}

/// A one-line DELETE with the `sqlite3` tool: the stored result has no mismatch rows.
const FORGE_CLEAN: &str = "DELETE FROM reconcile_mismatches";

#[test]
fn a_forged_stored_result_does_not_make_an_unclean_period_pass() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let first = ok("status", &path, &[]);
    assert!(first.contains("2 open mismatches"), "{first}");
    Connection::open(&path).unwrap().execute(FORGE_CLEAN, []).unwrap();
    let check = run("status", &path, &["--check"]);
    assert_eq!(
        check.status.code(),
        Some(1),
        "status --check trusted a forged result"
    );
    let shown = ok("status", &path, &[]);
    assert!(shown.contains("2 open mismatches"), "{shown}");
    // status put the engine's result back; the forgery again, then verify.
    Connection::open(&path).unwrap().execute(FORGE_CLEAN, []).unwrap();
    let out = run("verify", &path, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the stored result was edited"), "{stderr}");
}

/// The stored headline's closing AR made 1.00, and the digest of the rows and the checksum
/// recomputed (the encoding is documented, so a forger can).
fn forge_closing_ar(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute(
        "UPDATE reconcile_steps SET figures = replace(figures, '39639.27', '1.00') WHERE step = 'headline'",
        [],
    )
    .unwrap();
    let figures: String = conn
        .query_row(
            "SELECT figures FROM reconcile_steps WHERE step = 'headline'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(figures.contains("\"closing_ar\":1.00"), "the forgery took");
    drop(conn);
    let snapshot = closedesk::snapshot::Snapshot::open(path).unwrap();
    closedesk::reconcile::stored::reseal(&snapshot).unwrap();
}

#[test]
fn a_forged_closing_ar_is_not_shown_for_a_signed_off_period() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    close(&path);
    let before = ok("status", &path, &[]);
    assert!(before.contains("Closing AR            39,639.27"), "{before}");
    // The forger recomputes the checksum too (the encoding is documented): the overview
    // then no longer hashes to what the sign-off recorded.
    forge_closing_ar(&path);
    let after = ok("status", &path, &[]);
    assert!(after.contains("Closing AR            39,639.27"), "{after}");
    assert!(!after.contains("1.00\n"), "{after}");
    // Forged once more behind status's back: verify names it.
    forge_closing_ar(&path);
    let out = run("verify", &path, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the stored result differs from what the engine computes"),
        "{stderr}"
    );
}

/// Exports after sign-off are audited; deleting their rows (the log's tail, after every
/// anchor in the file) passes `verify` alone, and fails against the head the last export
/// wrote into its header — and against the sign-off receipt's head when the sign-off's own
/// row goes.
#[test]
fn rows_deleted_after_the_last_sign_off_fail_against_a_kept_head() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let receipt = close(&path);
    let kept_at_signoff = receipt
        .split("--expect-head ")
        .nth(1)
        .and_then(|t| t.get(..12))
        .expect("the sign-off prints the head to keep")
        .to_string();
    for n in 1..=2 {
        let out = dir.path().join(format!("gl-{n}.csv"));
        ok(
            "export",
            &path,
            &["--user", "tlin", "--kind", "gl", "--out", out.to_str().unwrap()],
        );
    }
    // The second export's header carries the head after the first export's row.
    let header = std::fs::read_to_string(dir.path().join("gl-2.csv")).unwrap();
    let kept = header
        .lines()
        .find_map(|l| l.strip_prefix("#audit_head,"))
        .unwrap()
        .to_string();
    ok("verify", &path, &["--expect-head", &kept]);
    ok("verify", &path, &["--expect-head", &kept_at_signoff]);

    // Both export rows deleted, triggers put back exactly.
    let conn = Connection::open(&path).unwrap();
    let triggers: Vec<(String, String)> = conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'audit_log'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, _) in &triggers {
        conn.execute_batch(&format!("DROP TRIGGER {name}")).unwrap();
    }
    conn.execute("DELETE FROM audit_log WHERE action LIKE 'export%'", [])
        .unwrap();
    for (_, sql) in &triggers {
        conn.execute_batch(sql).unwrap();
    }
    drop(conn);
    ok("verify", &path, &[]);
    let out = run("verify", &path, &["--expect-head", &kept]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("kept outside the file is not in the log"),
        "{stderr}"
    );
    ok("verify", &path, &["--expect-head", &kept_at_signoff]);
    // A mistyped hash is the user's mistake: exit 2 before any check runs (it was exit 1,
    // "verify failed", after every check had printed [ok]), echoed as typed and inert.
    for typed in ["\x1b]52;c;aGk=\x07", "zz", "ABCDEF0123"] {
        let out = run("verify", &path, &["--expect-head", typed]);
        assert_eq!(out.status.code(), Some(2), "{typed:?}");
        assert!(out.stdout.is_empty(), "no check ran: {typed:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains('\x1b'), "{stderr}");
        assert!(
            stderr.contains("not a head hash (12 to 64 hex digits"),
            "{stderr}"
        );
    }
    let out = run("verify", &path, &["--expect-head", "ABCDEF0123"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--expect-head ABCDEF0123: "));
    // Upper case is a head still (as typed from a printout), compared lower-cased.
    ok(
        "verify",
        &path,
        &["--expect-head", &kept_at_signoff.to_ascii_uppercase()],
    );
}

/// A payment's reference, and 1.00 moved from one invoice to another of the same account
/// consistently across the invoice, its line, its ledger row and its export line (every
/// account and batch total unchanged): after sign-off, each is caught by the content hash
/// the sign-off recorded.
#[test]
fn source_rows_edited_after_sign_off_fail_verify() {
    let moved = "
        UPDATE invoices SET total_cents = total_cents - 100, balance_cents = balance_cents - 100 WHERE id = 'INV-25120001';
        UPDATE invoices SET total_cents = total_cents + 100, balance_cents = balance_cents + 100 WHERE id = 'INV-26010001';
        UPDATE invoice_lines SET amount_cents = amount_cents - 100 WHERE invoice_id = 'INV-25120001';
        UPDATE invoice_lines SET amount_cents = amount_cents + 100 WHERE invoice_id = 'INV-26010001';
        UPDATE ledger SET amount_cents = amount_cents - 100 WHERE invoice_id = 'INV-25120001' AND kind = 'invoice_posted';
        UPDATE ledger SET amount_cents = amount_cents + 100 WHERE invoice_id = 'INV-26010001' AND kind = 'invoice_posted';
        UPDATE export_lines SET amount_cents = amount_cents - 100 WHERE invoice_id = 'INV-25120001';
        UPDATE export_lines SET amount_cents = amount_cents + 100 WHERE invoice_id = 'INV-26010001';";
    for sql in [
        "UPDATE payments SET reference = 'Check #19618 (lockbox 7721)' WHERE id = 'PAY-0001'",
        moved,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = demo(dir.path());
        close(&path);
        ok("verify", &path, &[]);
        behind_triggers(&path, None, sql);
        let out = run("verify", &path, &[]);
        assert_eq!(out.status.code(), Some(1), "{sql}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("[failed] signed source rows: the source rows no longer give the content hash signed by mhale"),
            "{sql}\n{stdout}"
        );
    }
}

/// The lock lifted with one plain `UPDATE period SET status = 'open'` (the lock triggers
/// cannot tell it from a reopen): `status` says so and `--check` fails, every workflow
/// action is refused, and a lead's reopen records it so that work can go on.
#[test]
fn a_lock_lifted_with_plain_sql_is_said_and_refuses_work_until_a_lead_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    close(&path);
    Connection::open(&path)
        .unwrap()
        .execute("UPDATE period SET status = 'open'", [])
        .unwrap();

    let status = ok("status", &path, &[]);
    assert!(
        status.contains("LOCK LIFTED           the period was signed off by mhale at "),
        "{status}"
    );
    assert_eq!(run("status", &path, &["--check"]).status.code(), Some(1));
    // Nor is the period ready to sign again: the sign-off's own check says why.
    let check = run("signoff", &path, &["--check", "--user", "sgupta"]);
    assert_eq!(check.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("with no reopen recorded: the lock was lifted outside closedesk"),
        "{stdout}"
    );

    // The close packet says so first; it read "Signed off by mhale" and "Status | clean".
    let packet = ok(
        "export",
        &path,
        &["--kind", "packet", "--out", "-", "--user", "tlin"],
    );
    assert!(
        packet.contains("**Lock lifted outside closedesk: the period was signed off by mhale"),
        "{packet}"
    );
    assert!(!packet.contains("**Signed off by"), "{packet}");
    assert!(
        packet.contains("| Status | LOCK LIFTED outside closedesk — "),
        "{packet}"
    );

    let refused = run("checklist", &path, &["set", "3", "in_progress", "--user", "tlin"]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("no reopen is recorded: its lock was lifted outside closedesk"),
        "{stderr}"
    );

    let reason = "--reason=Lock lifted by hand in sqlite3; reviewed the change log";
    ok("reopen", &path, &[reason, "--user", "mhale"]);
    assert!(!ok("status", &path, &[]).contains("LOCK LIFTED"));
    assert_eq!(run("status", &path, &["--check"]).status.code(), Some(0));
    ok("checklist", &path, &["set", "3", "in_progress", "--user", "tlin"]);
}

/// The lock lifted with plain SQL, a row edited, and the lock put back: the period reads
/// signed off as before, but every change of its status is kept by trigger (`lock_changes`)
/// with the sign-off or reopen that made it, so `status` says so and `--check` fails and
/// `verify` names it; a lead's reopen records that a lead has looked (`status` is clean
/// again, `verify` keeps naming the change: the file's history has it).
#[test]
fn a_lock_lifted_and_put_back_with_plain_sql_is_still_said() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    close(&path);
    let put_back = "UPDATE period SET status = 'open';
         UPDATE payments SET reference = 'Check #19618 (lockbox 7721)' WHERE id = 'PAY-0001';
         UPDATE period SET status = 'signed_off';";
    Connection::open(&path).unwrap().execute_batch(put_back).unwrap();
    // The record as it stands, to edit by hand below.
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();

    let status = ok("status", &path, &[]);
    assert!(
        status.contains("LOCK LIFTED           the period is signed off, but its status was changed outside closedesk (2 changes, the first signed_off → open at "),
        "{status}"
    );
    assert_eq!(run("status", &path, &["--check"]).status.code(), Some(1));
    let out = run("verify", &path, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "[failed] lock changes: the period's status was changed outside closedesk (signed_off → open at "
        ),
        "{stdout}"
    );
    let conn = Connection::open(&path).unwrap();
    assert!(
        conn.execute("DELETE FROM lock_changes", []).is_err(),
        "never deleted"
    );
    drop(conn);

    let reason = "--reason=Lock lifted by hand in sqlite3; PAY-0001's reference was edited";
    ok("reopen", &path, &[reason, "--user", "mhale"]);
    assert!(!ok("status", &path, &[]).contains("LOCK LIFTED"));
    let out = run("verify", &path, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("), seen since by the sign-off or reopen at seq 14"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    ok("signoff", &path, &["--user", "sgupta"]);
    assert!(!ok("status", &path, &[]).contains("LOCK LIFTED"));
    assert_eq!(run("status", &path, &["--check"]).status.code(), Some(0));

    // Claiming the changes by hand for the sign-off (audit row 13, which made the first
    // change to signed_off) or acknowledging them for another action does not hold.
    for claim in [
        "UPDATE lock_changes SET made_by_seq = 13 WHERE made_by_seq IS NULL AND acknowledged_seq IS NULL",
        "UPDATE lock_changes SET made_by_seq = 999 WHERE made_by_seq IS NULL AND acknowledged_seq IS NULL",
        "UPDATE lock_changes SET acknowledged_seq = 1 WHERE made_by_seq IS NULL AND acknowledged_seq IS NULL",
    ] {
        let forged = dir.path().join("forged.db");
        std::fs::copy(&copy, &forged).unwrap();
        Connection::open(&forged).unwrap().execute_batch(claim).unwrap();
        let status = ok("status", &forged, &[]);
        assert!(
            status.contains("its record of lock changes was edited outside closedesk"),
            "{claim}\n{status}"
        );
        assert_eq!(
            run("status", &forged, &["--check"]).status.code(),
            Some(1),
            "{claim}"
        );
        assert_eq!(run("verify", &forged, &[]).status.code(), Some(1), "{claim}");
    }
}

/// A lock forged on a period never signed off (`UPDATE period SET status = 'signed_off'`):
/// said, and a lead's reopen lifts it (it was refused: "signed off but has no sign-off
/// record", while every action said to reopen).
#[test]
fn a_lock_forged_with_plain_sql_is_lifted_by_a_leads_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    Connection::open(&path)
        .unwrap()
        .execute("UPDATE period SET status = 'signed_off'", [])
        .unwrap();
    assert!(ok("status", &path, &[]).contains("changed outside closedesk (open → signed_off at "));
    let reason = "--reason=Locked by hand in sqlite3 by mistake; nothing signed";
    ok("reopen", &path, &[reason, "--user", "sgupta"]);
    assert!(!ok("status", &path, &[]).contains("LOCK LIFTED"));
    ok("checklist", &path, &["set", "1", "in_progress", "--user", "tlin"]);
}

/// Waivers and checklist moves written with plain SQL on an open period, no audit row
/// behind them: every sign-off precondition read `[ok]` and the lock sealed actions nobody
/// made (only `verify` saw it, after). The sign-off now replays the log first and refuses,
/// saying why, and nothing is signed.
#[test]
fn a_sign_off_refuses_workflow_rows_written_behind_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    ok("reconcile", &path, &[]);
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "INSERT INTO mismatch_state (key, status, first_seen, updated_by, updated_at, version)
               SELECT key, 'waived', '2026-11-30T00:00:00Z', 'jokafor', '2026-11-30T00:00:00Z', 1
               FROM reconcile_mismatches;
             UPDATE checklist SET status = 'done', updated_by = 'rdiaz',
                    updated_at = '2026-11-30T00:00:00Z', version = 1;",
        )
        .unwrap();
    let out = run("signoff", &path, &["--user", "mhale"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the workflow tables do not match the audit log (checklist:1 in the workflow tables differs from the log's last change to it)"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was signed"), "{stderr}");
    // `status` says it before anyone tries to sign (the figures read clean: every mismatch
    // reads waived), and `--check` fails.
    let status = ok("status", &path, &[]);
    assert!(!status.contains("signed off by"));
    assert!(
        status.contains("CHANGED OUTSIDE       the workflow tables do not match the audit log"),
        "{status}"
    );
    let check = run("status", &path, &["--check"]);
    assert_eq!(check.status.code(), Some(1));
    let log = Snapshot::open(&path).unwrap().workflow().audit_log().unwrap();
    assert!(log.is_empty(), "{log:?}");
}

/// A checklist row moved with plain SQL, then moved again through closedesk: the move was
/// accepted and recorded the outside state as its own before-state, so the log could never
/// be replayed again — `verify` failed and no sign-off was possible, for good (the log only
/// takes appends). A write on a row the log did not leave as it is now is refused, nothing
/// saved; once the row is put back as the log has it, the same write goes through and the
/// file verifies.
#[test]
fn a_write_on_a_row_changed_outside_is_refused_until_it_is_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE checklist SET status = 'done', updated_by = 'rdiaz',
                updated_at = '2026-11-30T00:00:00Z', version = version + 1 WHERE item = 3",
        [],
    )
    .unwrap();
    let out = run(
        "checklist",
        &path,
        &["set", "3", "in_progress", "--user", "rdiaz"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "checklist:3 was changed outside closedesk: the audit log never changed it: it should be \
             {\"status\":\"pending\",\"updated_by\":null,\"updated_at\":null,\"version\":0}, the file has \
             {\"status\":\"done\",\"updated_by\":\"rdiaz\",\"updated_at\":\"2026-11-30T00:00:00Z\",\"version\":1}. \
             Nothing was saved"
        ),
        "{stderr}"
    );
    let snapshot = Snapshot::open(&path).unwrap();
    assert!(snapshot.workflow().audit_log().unwrap().is_empty());
    // Another row is not held up by it.
    ok(
        "checklist",
        &path,
        &["set", "4", "in_progress", "--user", "rdiaz"],
    );
    // `signoff --check` lists it with the other preconditions, not met (it read [ok]).
    let check = run("signoff", &path, &["--check", "--user", "mhale"]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .contains("[not met] the workflow tables match the audit log: the workflow tables do not match"),
        "{stdout}"
    );
    // Put back as the log has it: the move goes through, and the file verifies.
    conn.execute(
        "UPDATE checklist SET status = 'pending', updated_by = NULL, updated_at = NULL, version = 0
         WHERE item = 3",
        [],
    )
    .unwrap();
    ok(
        "checklist",
        &path,
        &["set", "3", "in_progress", "--user", "rdiaz"],
    );
    ok("verify", &path, &[]);
}

/// A correction proposed and never decided was locked undecided by a sign-off: every
/// precondition read `[ok]`. It is now one, not met until each is accepted or rejected.
#[test]
fn a_sign_off_waits_for_every_correction_to_be_decided() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let key = "exports:GL-2026-03:ar-total";
    ok(
        "mismatch",
        &path,
        &[
            key,
            "propose",
            "--amount",
            "500.00",
            "--side",
            "actual",
            "--reason=GL export missed a batch of lines",
            "--user",
            "tlin",
        ],
    );
    let check = run("signoff", &path, &["--check", "--user", "mhale"]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "[not met] no correction awaiting a decision: 1 awaiting: #1 on {key} (accept or reject each)"
        )),
        "{stdout}"
    );
}

/// An amount stored as a floating-point value by another program: every command said
/// "Invalid column type Real at index: 7, name: amount_cents". It now says what is wrong in
/// words a controller can act on.
#[test]
fn a_floating_point_amount_written_by_another_program_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let reason = "--reason=GL export missed a credit";
    let key = "exports:GL-2026-03:ar-total";
    ok(
        "mismatch",
        &path,
        &[
            key, "propose", "--amount", "9.75", "--side", "actual", reason, "--user", "tlin",
        ],
    );
    Connection::open(&path)
        .unwrap()
        .execute("UPDATE annotations SET amount_cents = 975.5", [])
        .unwrap();
    let out = run("verify", &path, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "column amount_cents holds a real (floating-point) value, which closedesk never writes there"
        ),
        "{stderr}"
    );
}

/// A trigger that is not closedesk's and swallows an insert (`RAISE(IGNORE)`): the note is
/// not reported saved (nothing is written, the audit row neither), and `verify` names the
/// trigger.
#[test]
fn a_foreign_trigger_that_swallows_a_write_is_not_reported_saved_and_fails_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER annotations_guard BEFORE INSERT ON annotations
             WHEN NEW.text LIKE '%refund%' BEGIN SELECT RAISE(IGNORE); END;",
        )
        .unwrap();
    ok("checklist", &path, &["note", "3", "first note", "--user", "tlin"]);
    let swallowed = run(
        "checklist",
        &path,
        &[
            "note",
            "3",
            "customer refund missing from ledger",
            "--user",
            "tlin",
        ],
    );
    assert_ne!(swallowed.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&swallowed.stderr);
    assert!(
        stderr.contains("annotations: 0 rows written where one was meant"),
        "{stderr}"
    );
    let log = ok("log", &path, &[]);
    assert!(!log.contains("refund"), "{log}");
    assert!(log.contains("first note"), "{log}");

    let verify = run("verify", &path, &[]);
    assert_eq!(verify.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert!(
        stdout.contains("trigger annotations_guard is not closedesk's: drop it"),
        "{stdout}"
    );
}
