//! The workflow subcommands through the real binary: exit codes, refusals with their
//! messages, --json, and hostile text (OSC, CSI, C1, CR, tab, U+202E) stored as typed but
//! never reaching the terminal raw.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use closedesk::snapshot::model::{Role, RosterEntry, TargetKind};
use closedesk::snapshot::Snapshot;

use common::*;

fn closedesk() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_closedesk"));
    cmd.env("NO_COLOR", "1").env_remove("USER");
    cmd
}

fn run(args: &[&str], file: &Path) -> Output {
    // FILE goes right after the subcommand.
    closedesk()
        .arg(args[0])
        .arg(file)
        .args(&args[1..])
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every kind of hostile text at once.
const HOSTILE: &str =
    "osc\x1b]0;owned\x07 csi\x1b[2J\x1b[31mred c1\u{9b}31m cr\rOVERWRITE tab\tx bidi\u{202E}exe.txt nl\nnext";
/// An export batch id, and so a mismatch key, that is hostile.
const HOSTILE_BATCH: &str = "GL\x1b[2J\u{9b}1m\u{202E}";
const HOSTILE_KEY: &str = "exports:GL\x1b[2J\u{9b}1m\u{202E}:ar-total";
/// A roster login that is itself hostile.
const HOSTILE_LOGIN: &str = "ev\x1b[31mil\u{202E}";

fn hostile_snapshot(dir: &Path) -> PathBuf {
    let path = dir.join("hostile.db");
    let mut data = source_with_gap();
    data.export_batches[0].id = HOSTILE_BATCH.into();
    data.roster.push(RosterEntry {
        login: HOSTILE_LOGIN.into(),
        display_name: HOSTILE.into(),
        role: Role::Operator,
        public_key: None,
    });
    let mut snap = Snapshot::create(&path).unwrap();
    snap.insert_source(&data).unwrap();
    path
}

/// No byte or character that could act on a terminal.
fn assert_inert(what: &str, bytes: &[u8]) {
    for (byte, name) in [
        (0x1b, "ESC"),
        (0x07, "BEL"),
        (0x0d, "CR"),
        (0x09, "TAB"),
        (0x9b, "C1 CSI"),
    ] {
        // 0x9b can only appear inside a multi-byte UTF-8 sequence; check the character too.
        if byte != 0x9b {
            assert!(!bytes.contains(&byte), "{what}: raw {name} in {:?}", text(bytes));
        }
    }
    let s = text(bytes);
    assert!(!s.contains('\u{9b}'), "{what}: raw C1 CSI in {s:?}");
    assert!(!s.contains('\u{202E}'), "{what}: bidi override in {s:?}");
}

#[test]
fn hostile_text_is_stored_as_typed_and_printed_inert() {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile_snapshot(dir.path());
    let set = run(
        &[
            "checklist",
            "set",
            "1",
            "in_progress",
            "--user",
            HOSTILE_LOGIN,
            "--note",
            HOSTILE,
        ],
        &path,
    );
    assert_eq!(set.status.code(), Some(0), "{}", text(&set.stderr));
    assert_inert("checklist set", &set.stdout);

    let mut outputs = vec![("checklist set", set)];
    for args in [
        vec!["checklist"],
        vec!["checklist", "--json"],
        vec!["checklist", "--user", HOSTILE_LOGIN],
        vec!["log"],
        vec!["log", "--json"],
        vec!["mismatch", "--user", HOSTILE_LOGIN],
        vec!["mismatch", "--json", "--user", HOSTILE_LOGIN],
        vec!["status"],
        vec!["status", "--json"],
        vec!["verify"],
        vec!["signoff", "--check", "--user", HOSTILE_LOGIN],
        vec!["signoff", "--check", "--json", "--user", HOSTILE_LOGIN],
        // Refusals carry the hostile login or key in their messages.
        vec![
            "checklist",
            "set",
            "2",
            "done",
            "--user",
            "mal\x1b]0;x\x07lory\u{202E}",
        ],
        vec![
            "checklist",
            "set",
            "2",
            "done",
            "--json",
            "--user",
            "mal\x1b[2Jlory",
        ],
        vec!["checklist", "set", "9\x1b[2J", "done", "--user", "olive"],
        vec![
            "mismatch",
            "exports:\x1b[2J\u{9b}:x\r",
            "note",
            HOSTILE,
            "--user",
            "olive",
        ],
        vec!["mismatch", "exports:\x1b[2J:x", "--json"],
        vec!["reopen", "--reason", HOSTILE, "--user", HOSTILE_LOGIN],
        // A mismatch whose key came from hostile source data.
        vec!["mismatch", HOSTILE_KEY, "note", HOSTILE, "--user", HOSTILE_LOGIN],
        vec![
            "mismatch",
            HOSTILE_KEY,
            "assign",
            HOSTILE,
            "--user",
            HOSTILE_LOGIN,
        ],
        vec![
            "mismatch",
            HOSTILE_KEY,
            "propose",
            "--amount",
            "9.75",
            "--side",
            "expected",
            "--reason",
            HOSTILE,
            "--reference",
            HOSTILE,
            "--user",
            HOSTILE_LOGIN,
        ],
        vec!["mismatch", HOSTILE_KEY],
        vec!["mismatch", HOSTILE_KEY, "--json"],
        vec!["mismatch"],
        vec!["reconcile"],
        vec!["log"],
        vec!["checklist"],
    ] {
        let out = run(&args, &path);
        outputs.push((args[0], out));
    }
    for (what, out) in &outputs {
        assert_inert(what, &out.stdout);
        assert_inert(what, &out.stderr);
    }
    // The escapes are shown, visibly.
    let checklist = text(&outputs[1].1.stdout);
    assert!(
        checklist.contains(
            r"osc\x1b]0;owned\x07 csi\x1b[2J\x1b[31mred c1\x9b31m cr\rOVERWRITE tab\tx bidiexe.txt nl\nnext"
        ),
        "{checklist}"
    );
    let log = text(&outputs[4].1.stdout);
    assert!(log.contains(r"ev\x1b[31mil"), "{log}");
    // The JSON keeps the value exactly.
    let json: serde_json::Value = serde_json::from_slice(&outputs[2].1.stdout).unwrap();
    assert_eq!(json["items"][0]["notes"][0]["text"], HOSTILE);
    assert_eq!(json["items"][0]["updated_by"], HOSTILE_LOGIN);
    // Stored as typed.
    let snap = Snapshot::open(&path).unwrap();
    let notes = snap
        .workflow()
        .annotations_of(TargetKind::Checklist, "1")
        .unwrap();
    assert_eq!(notes[0].text, HOSTILE);
    assert_eq!(notes[0].author, HOSTILE_LOGIN);
    for (what, out) in &outputs[outputs.len() - 9..outputs.len() - 6] {
        assert_eq!(out.status.code(), Some(0), "{what}: {}", text(&out.stderr));
    }
    let detail = text(&outputs[outputs.len() - 6].1.stdout);
    assert!(detail.contains(r"exports:GL\x1b[2J\x9b1m:ar-total"), "{detail}");
    let refused = text(&outputs[13].1.stderr);
    assert!(
        refused.contains(r"mal\x1b]0;x\x07lory is not on this period's roster: read-only"),
        "{refused}"
    );
}

#[test]
fn refused_actions_exit_2_naming_what_would_allow_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_at(dir.path(), "p.db");
    let cases: &[(&[&str], &str)] = &[
        (
            &["checklist", "set", "1", "done", "--user", "mallory"],
            "closedesk: mallory is not on this period's roster: read-only; moving a checklist item needs an \
             operator, reviewer or lead on the roster",
        ),
        (
            &["reopen", "--reason", "a reason that is long enough", "--user", "rita"],
            "closedesk: reopening the period needs a lead; rita is a reviewer",
        ),
        (
            &["reopen", "--reason", "too short", "--user", "lena"],
            "closedesk: reopening the period needs a reason of at least 20 characters (this one has 9): say \
             why, for the audit trail",
        ),
        (
            &["checklist", "set", "1", "finished", "--user", "olive"],
            "closedesk: status 'finished' is not one of pending, in_progress, done or blocked",
        ),
        (
            &["mismatch", "exports:GL-2026-03:ar-total", "note", "hi", "--user", "olive"],
            "closedesk: no mismatch exports:GL-2026-03:ar-total in this period; `closedesk mismatch` lists them",
        ),
    ];
    for (args, message) in cases {
        let out = run(args, &path);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(text(&out.stderr).trim_end(), *message, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // Sign-off lists every precondition.
    let out = run(&["signoff", "--user", "olive"], &path);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("closedesk: cannot sign off: not every precondition is met\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[not met] all eight checklist items done: 0 of 8 done"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[not met] the signer is a lead: olive is an operator"),
        "{stderr}"
    );
    // With --json the refusal is also on stdout, for scripts.
    let out = run(&["signoff", "--json", "--user", "olive"], &path);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["refused"], "precondition");
    assert_eq!(json["preconditions"][2]["met"], false);
    // signoff --check: exit 1 while not ready.
    let out = run(&["signoff", "--check", "--user", "lena"], &path);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("[not met] all eight checklist items done"));
}

#[test]
fn a_whole_close_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_at(dir.path(), "p.db");
    for item in 1..=8 {
        let who = if item <= 4 { "olive" } else { "lena" };
        let out = run(
            &["checklist", "set", &item.to_string(), "done", "--user", who],
            &path,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).starts_with(&format!("Checklist item {item} is now done, by {who} (audit #"))
        );
    }
    let out = run(&["signoff", "--check", "--user", "lena"], &path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = run(&["signoff", "--user", "lena", "--comment", "March close"], &path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("the period is locked"));
    let status = run(&["status", "--json"], &path);
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(json["status"], "signed_off");
    assert_eq!(json["last_clean_close"]["period"], "2026-03");

    let out = run(
        &["checklist", "set", "1", "in_progress", "--user", "olive"],
        &path,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("closedesk: the period is signed off by lena at "));

    let out = run(
        &[
            "reopen",
            "--user",
            "leo",
            "--reason",
            "statement reissued by the employer",
        ],
        &path,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(
        &[
            "checklist",
            "set",
            "1",
            "in_progress",
            "--user",
            "olive",
            "--if-version",
            "0",
        ],
        &path,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("conflict: checklist item 1 changed since you read it"));

    let log = run(&["log", "--json"], &path);
    let entries: serde_json::Value = serde_json::from_slice(&log.stdout).unwrap();
    let actions: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[..2], ["reopen", "signoff"], "newest first");
    assert_eq!(actions.len(), 10);
    let human = text(&run(&["log", "--limit", "1"], &path).stdout);
    assert!(human.starts_with("#10 "), "{human}");
    // --limit 0 does not say the log is empty.
    let none = text(&run(&["log", "--limit", "0"], &path).stdout);
    assert_eq!(
        none.trim_end(),
        "No entry shown (--limit 0) of the 10 in the audit log."
    );
    assert!(
        human.contains("period:2026-03 status: signed_off → open"),
        "{human}"
    );
    assert!(human.contains("statement reissued by the employer"), "{human}");
    let verify = run(&["verify"], &path);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

#[test]
fn the_login_defaults_to_user_and_user_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_at(dir.path(), "p.db");
    let out = closedesk()
        .env("USER", "oscar")
        .arg("checklist")
        .arg(&path)
        .args(["set", "2", "in_progress"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("by oscar"));
    let out = closedesk()
        .env("USER", "oscar")
        .arg("checklist")
        .arg(&path)
        .args(["set", "2", "blocked", "--user", "olive"])
        .output()
        .unwrap();
    assert!(text(&out.stdout).contains("by olive"), "{}", text(&out.stderr));
    let out = closedesk()
        .env("USER", "nobody-here")
        .arg("checklist")
        .arg(&path)
        .args(["set", "2", "done"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nobody-here is not on this period's roster: read-only"));
    // Reading needs no role.
    let out = closedesk()
        .env("USER", "nobody-here")
        .arg("checklist")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("(you: nobody-here (not on the roster: read-only))"));
}

/// Issue 12.6: notes, reasons and comments that begin with `-` are text, not options.
#[test]
fn text_that_begins_with_a_dash_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    closedesk::demo::write(&path, false).unwrap();
    let key = "exports:GL-2026-03:ar-total";
    let out = run(
        &[
            "mismatch",
            key,
            "note",
            "-9.75 is the GL difference",
            "--user",
            "tlin",
        ],
        &path,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(
        &[
            "checklist",
            "set",
            "1",
            "in_progress",
            "--note",
            "-- waiting for billing",
            "--user",
            "tlin",
        ],
        &path,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(
        &[
            "mismatch",
            key,
            "waive",
            "--reason",
            "-9.75 is below materiality; fixed in April",
            "--user",
            "jokafor",
        ],
        &path,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let detail = text(&run(&["mismatch", key, "--json"], &path).stdout);
    for t in [
        "-9.75 is the GL difference",
        "-9.75 is below materiality; fixed in April",
    ] {
        assert!(detail.contains(t), "{t}: {detail}");
    }
    let log = text(&run(&["log"], &path).stdout);
    assert!(log.contains("-- waiting for billing"), "{log}");
}

// Issue 15: a workflow action costs what it changes ------------------------------------------

/// Runs the command line in this process (so the engine-run counter of this thread sees
/// it); its exit code, or a panic when it fails with a message.
fn in_process_code(args: &[&str]) -> std::process::ExitCode {
    use clap::Parser;
    let mut argv = vec!["closedesk"];
    argv.extend_from_slice(args);
    let cli = closedesk::cli::Cli::try_parse_from(&argv).unwrap();
    closedesk::cli::run(cli).unwrap_or_else(|failure| panic!("{args:?}: {}", failure.message))
}

/// [`in_process_code`], which must succeed.
fn in_process(args: &[&str]) {
    let code = in_process_code(args);
    assert_eq!(
        format!("{code:?}"),
        format!("{:?}", std::process::ExitCode::SUCCESS),
        "{args:?}"
    );
}

/// `closedesk mismatch FILE KEY note TEXT --user olive`, in this process.
fn note_as_olive(file: &str, key: &str, text: &str) {
    in_process(&["mismatch", file, key, "note", text, "--user", "olive"]);
}

/// The mismatch of the fixture's unexplained GL batch.
const GAP_KEY: &str = "exports:GL-1:ar-total";

#[test]
fn actions_on_a_current_stored_result_do_not_run_the_engine() {
    use closedesk::reconcile::engine_runs;
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_of(dir.path(), "cost.db", &source_with_gap());
    let (file, key) = (path.to_str().unwrap(), GAP_KEY);
    // The first reader computes and stores the result.
    let before = engine_runs();
    in_process(&["status", file]);
    assert_eq!(
        engine_runs(),
        before + 1,
        "status with nothing stored runs the engine once"
    );

    let before = engine_runs();
    note_as_olive(file, key, "asked the GL team");
    in_process(&["checklist", file, "set", "1", "in_progress", "--user", "olive"]);
    in_process(&[
        "mismatch",
        file,
        key,
        "propose",
        "--amount",
        "-9.75",
        "--side",
        "actual",
        "--reason",
        "batch double-posted",
        "--user",
        "olive",
    ]);
    in_process(&["mismatch", file, key, "accept", "--user", "rita"]);
    in_process(&["mismatch", file, key]);
    in_process(&["checklist", file]);
    // Preconditions not met (exit 1): listed from the stored result.
    in_process_code(&["signoff", file, "--check", "--user", "lena"]);
    assert_eq!(engine_runs(), before, "no action ran the engine");
    let snapshot = Snapshot::open(&path).unwrap();
    let actions: Vec<String> = closedesk::workflow::audit::history(&snapshot)
        .unwrap()
        .into_iter()
        .map(|e| e.row.action)
        .collect();
    for action in [
        "mismatch.note",
        "checklist.set",
        "mismatch.propose",
        "mismatch.accept",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
    // What the actions did is what the engine computes now: the accepted correction ties.
    let recon = closedesk::reconcile::run(&snapshot).unwrap();
    let view = closedesk::workflow::mismatches::views(&snapshot, &recon.mismatches)
        .unwrap()
        .into_iter()
        .find(|v| v.key == key)
        .unwrap();
    assert_eq!(view.status, closedesk::snapshot::model::MismatchStatus::Resolved);
}

#[test]
fn a_hand_edit_of_a_source_row_makes_the_next_action_recompute() {
    use closedesk::reconcile::engine_runs;
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_of(dir.path(), "edit.db", &source_with_gap());
    let (file, key) = (path.to_str().unwrap(), GAP_KEY);
    in_process(&["status", file]);
    let before = engine_runs();
    note_as_olive(file, key, "first look");
    assert_eq!(engine_runs(), before);
    // An unlocked period: a source row edited with SQL moves the source generation.
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute(
            "UPDATE export_batches SET total_cents = 1075 WHERE id = 'GL-1'",
            [],
        )
        .unwrap();
    let before = engine_runs();
    note_as_olive(file, key, "the batch changed");
    assert_eq!(
        engine_runs(),
        before + 1,
        "the stored result was stale: recomputed once"
    );
    // ... and stored again, so the next action is back to no engine run.
    note_as_olive(file, key, "and again");
    assert_eq!(engine_runs(), before + 1);
    let snapshot = Snapshot::open(&path).unwrap();
    let stored = closedesk::reconcile::stored::stored(&snapshot).unwrap().unwrap();
    assert!(stored.current);
    let m = stored.overview.mismatches.iter().find(|m| m.key == key).unwrap();
    assert_eq!(
        m,
        closedesk::reconcile::run(&snapshot)
            .unwrap()
            .mismatches
            .iter()
            .find(|m| m.key == key)
            .unwrap()
    );
    assert_eq!(m.actual.to_string(), "10.75");
}

#[test]
fn figures_gone_stale_between_read_and_write_are_recomputed_inside_the_write() {
    use closedesk::reconcile::{engine_runs, stored};
    use closedesk::workflow::{mismatches, Refusal};
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_of(dir.path(), "race.db", &source_with_gap());
    let snapshot = Snapshot::open(&path).unwrap();
    let key = GAP_KEY;
    let olive = actor(&snapshot, "olive");
    let figures = stored::current(&snapshot).unwrap();
    assert!(figures.overview.mismatches.iter().any(|m| m.key == key));
    // Another process removes the batch after the figures were read: the gap is gone.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("DELETE FROM export_batches WHERE id = 'GL-1'", [])
        .unwrap();
    let before = engine_runs();
    let proposal = mismatches::Proposal {
        amount: closedesk::money::Money::from_cents(-975),
        side: closedesk::snapshot::model::Side::Actual,
        reason: "batch double-posted".into(),
        reference: None,
    };
    let refused = mismatches::on(&snapshot, &olive, &figures, key)
        .propose(&proposal)
        .unwrap_err();
    assert!(matches!(refused, Refusal::NotFound(_)), "{refused:?}");
    assert_eq!(
        engine_runs(),
        before + 1,
        "the write recomputed in its transaction"
    );
    // Nothing was written.
    assert!(closedesk::workflow::audit::history(&snapshot).unwrap().is_empty());
    // With figures of the current generation the write runs no engine.
    let figures = stored::current(&snapshot).unwrap();
    let before = engine_runs();
    closedesk::workflow::checklist::set(
        &snapshot,
        &olive,
        &figures,
        1,
        closedesk::snapshot::model::ItemStatus::Done,
        None,
        None,
    )
    .unwrap();
    assert_eq!(engine_runs(), before);
}

#[test]
fn the_cockpits_writes_do_not_run_the_engine_on_a_current_stored_result() {
    use closedesk::reconcile::engine_runs;
    use closedesk::tui::data::{write, WriteOp};
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_of(dir.path(), "cockpit.db", &source_with_gap());
    let mut snapshot = Snapshot::open(&path).unwrap();
    closedesk::reconcile::stored_or_run(&snapshot).unwrap();
    let before = engine_runs();
    let ops = [
        WriteOp::Note {
            kind: TargetKind::Mismatch,
            target: GAP_KEY.into(),
            text: "asked the GL team".into(),
        },
        WriteOp::Checklist {
            item: 1,
            status: closedesk::snapshot::model::ItemStatus::InProgress,
            note: None,
            seen: None,
        },
    ];
    for op in &ops {
        let done = write(&mut snapshot, "olive", None, op);
        assert!(done.is_ok(), "{op:?}: {done:?}");
    }
    let waive = WriteOp::Waive {
        key: GAP_KEY.into(),
        reason: "below materiality, agreed with the controller".into(),
        seen: None,
    };
    let done = write(&mut snapshot, "rita", None, &waive);
    assert!(done.is_ok(), "{done:?}");
    assert_eq!(engine_runs(), before, "no cockpit write ran the engine");
}

/// `text` with every timestamp (`YYYY-MM-DDTHH:MM:SSZ`) written as `<at>`.
fn at_redacted(text: &str) -> String {
    closedesk::text::timestamps_replaced(text, "<at>")
}

/// `mismatch FILE KEY reverse ID --reason TEXT`: a reviewer takes back an accepted
/// correction; the detail, its `--json`, and the log say who, when and why.
#[test]
fn reverse_takes_back_an_accepted_correction_and_every_trail_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_of(dir.path(), "p.db", &source_with_gap());
    let key = "exports:GL-1:ar-total";
    let ok = |args: &[&str]| {
        let out = run(args, &path);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    ok(&[
        "mismatch",
        key,
        "propose",
        "--amount",
        "-9.75",
        "--side",
        "actual",
        "--reason",
        "batch GL-1 was sent twice",
        "--reference",
        "JE-1042",
        "--user",
        "olive",
    ]);
    ok(&[
        "mismatch",
        key,
        "accept",
        "1",
        "--note",
        "ties to JE-1042",
        "--user",
        "rita",
    ]);
    // An operator may not; a short reason is refused; nothing was written.
    let out = run(
        &[
            "mismatch",
            key,
            "reverse",
            "1",
            "--reason",
            "the batch was sent once only",
            "--user",
            "olive",
        ],
        &path,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "closedesk: reversing a correction needs a reviewer or lead; olive is an operator\n"
    );
    let out = run(
        &[
            "mismatch", key, "reverse", "1", "--reason", "wrong", "--user", "lena",
        ],
        &path,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "closedesk: a reversal needs a reason of at least 20 characters (this one has 5): say why, \
         for the audit trail\n"
    );

    let out = ok(&[
        "mismatch",
        key,
        "reverse",
        "1",
        "--reason",
        "the batch was sent once only",
        "--user",
        "lena",
    ]);
    assert_eq!(
        out,
        "Saved. exports:GL-1:ar-total is open, corrected variance 9.75, owner finance@fixture.example \
         (audit #4)\n"
    );
    let detail = at_redacted(&ok(&["mismatch", key, "--user", "rita"]));
    assert_eq!(
        detail,
        "\
exports:GL-1:ar-total  (you: rita (reviewer))
  GL export total does not tie to closing AR
  lane exports · severity medium · status open · owner finance@fixture.example
  first seen <at> · version 3 · last changed by lena at <at>
  expected 0.00 · actual 9.75 · variance 9.75
  corrected: expected 0.00 · actual 9.75 · variance 9.75
  next action: Re-run the GL export for 2026-03 or post a correcting journal; compare its lines to the billing extract
  expected from: 
  actual from:   export_batches GL-1
Corrections:
  #1 -9.75 to actual by olive at <at> (ref JE-1042): reversed by lena at <at>: the batch was sent once only (accepted by rita at <at>)
      proposed because: batch GL-1 was sent twice
      accepted with note: ties to JE-1042
Trail:
  #1    <at>  olive  mismatch.seen  mismatch:exports:GL-1:ar-total
        mismatch:exports:GL-1:ar-total added
  #2    <at>  olive  mismatch.propose  mismatch:exports:GL-1:ar-total
        mismatch:exports:GL-1:ar-total status: open → in_correction
        annotation:1 added
        “batch GL-1 was sent twice”
  #3    <at>  rita  mismatch.accept  mismatch:exports:GL-1:ar-total
        mismatch:exports:GL-1:ar-total status: in_correction → resolved
        annotation:1 correction_status: proposed → accepted
        “ties to JE-1042”
  #4    <at>  lena  mismatch.reverse  mismatch:exports:GL-1:ar-total
        mismatch:exports:GL-1:ar-total status: resolved → open
        annotation:1 correction_status: accepted → reversed
        annotation:1 reversed by lena at <at>: the batch was sent once only
        “the batch was sent once only”
"
    );
    let json: serde_json::Value = serde_json::from_str(&ok(&["mismatch", key, "--json"])).unwrap();
    let c = &json["view"]["corrections"][0];
    assert_eq!(
        (
            &c["status"],
            &c["reversed_by"],
            &c["reversal_reason"],
            &c["decided_by"]
        ),
        (
            &serde_json::json!("reversed"),
            &serde_json::json!("lena"),
            &serde_json::json!("the batch was sent once only"),
            &serde_json::json!("rita")
        )
    );
    let log = at_redacted(&ok(&["log", "--limit", "1"]));
    assert_eq!(
        log,
        "\
#4    <at>  lena  mismatch.reverse  mismatch:exports:GL-1:ar-total
      mismatch:exports:GL-1:ar-total status: resolved → open
      annotation:1 correction_status: accepted → reversed
      annotation:1 reversed by lena at <at>: the batch was sent once only
      “the batch was sent once only”
"
    );
    // The close packet says it in the correction's row and in the trail.
    let packet = dir.path().join("packet.md");
    ok(&[
        "export",
        "--kind",
        "packet",
        "--format",
        "markdown",
        "--user",
        "rita",
        "--out",
        packet.to_str().unwrap(),
    ]);
    let packet = at_redacted(&std::fs::read_to_string(&packet).unwrap());
    assert!(
        packet.contains(
            "| reversed | rita at <at>; reversed by lena at <at>: the batch was sent once only | JE-1042 |"
        ),
        "{packet}"
    );
    assert!(
        packet.contains(
            "- audit #4 mismatch.reverse by lena at <at>: mismatch:exports:GL-1:ar-total status: resolved → \
             open; annotation:1 correction_status: accepted → reversed; annotation:1 reversed by lena at \
             <at>: the batch was sent once only"
        ),
        "{packet}"
    );
    // A reversed correction is not accepted again.
    let out = run(&["mismatch", key, "accept", "1", "--user", "rita"], &path);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        at_redacted(&text(&out.stderr)).starts_with(
            "closedesk: correction #1 on exports:GL-1:ar-total was already reversed by lena at <at>"
        ),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(run(&["verify"], &path).status.code(), Some(0));
}

/// A conflict names who last changed the mismatch as stored, never the actor and now: on a
/// mismatch nobody touched it said "it is now version 0, changed by oscar at <now>".
#[test]
fn a_conflict_names_the_stored_changer_or_that_nobody_changed_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_of(dir.path(), "p.db", &source_with_gap());
    let key = "exports:GL-1:ar-total";
    let out = run(
        &[
            "mismatch",
            key,
            "note",
            "hi",
            "--if-version",
            "3",
            "--user",
            "oscar",
        ],
        &path,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("(you saw version 3, it is now version 0, never changed)"),
        "{err}"
    );
    assert!(!err.contains("changed by"), "{err}");

    // olive notes it; oscar, from a stale view, is told olive did, at olive's time.
    let out = run(&["mismatch", key, "note", "first", "--user", "olive"], &path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let detail: serde_json::Value =
        serde_json::from_slice(&run(&["mismatch", key, "--json"], &path).stdout).unwrap();
    let (version, at) = (&detail["view"]["version"], &detail["view"]["updated_at"]);
    assert_eq!(version, 1, "{detail}");
    // A second later, so the time of this action cannot pass for olive's.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = run(
        &[
            "mismatch",
            key,
            "note",
            "hi",
            "--if-version",
            "0",
            "--user",
            "oscar",
        ],
        &path,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "(you saw version 0, it is now version 1, changed by olive at {})",
            at.as_str().unwrap()
        )),
        "{err}"
    );
}

/// A correction's detail says whose words each reason is: the proposer's reason read as
/// the rejecter's, under "rejected by rita", and the rejection's own reason was only in the
/// trail.
#[test]
fn a_corrections_detail_labels_the_proposers_and_the_deciders_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_of(dir.path(), "p.db", &source_with_gap());
    let key = "exports:GL-1:ar-total";
    for args in [
        &[
            "mismatch",
            key,
            "propose",
            "--amount",
            "-9.75",
            "--side",
            "actual",
            "--reason",
            "batch GL-1 was sent twice",
            "--user",
            "olive",
        ][..],
        &[
            "mismatch",
            key,
            "reject",
            "1",
            "--reason",
            "GL-1 was sent once: see the feed log",
            "--user",
            "rita",
        ][..],
    ] {
        let out = run(args, &path);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
    }
    let detail = at_redacted(&text(&run(&["mismatch", key], &path).stdout));
    assert!(
        detail.contains(
            "  #1 -9.75 to actual by olive at <at>: rejected by rita at <at>\n\
             \x20     proposed because: batch GL-1 was sent twice\n\
             \x20     rejected because: GL-1 was sent once: see the feed log\n"
        ),
        "{detail}"
    );
}

/// A note, a reason or a comment typed into a refused action is given back whenever the
/// refusal is not about the text itself (docs/workflow.md): a login not on the roster, a
/// conflict. Both dropped it.
#[test]
fn typed_text_is_given_back_when_the_refusal_is_not_about_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.db");
    closedesk::demo::write(&file, false).unwrap();
    let gl = "exports:GL-2026-03:ar-total";
    for args in [
        vec![
            "mismatch",
            gl,
            "note",
            "tied out with the GL team",
            "--user",
            "ghost",
        ],
        vec![
            "mismatch",
            gl,
            "note",
            "tied out with the GL team",
            "--user",
            "tlin",
            "--if-version",
            "7",
        ],
    ] {
        let out = run(&args, &file);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr
                .trim_end()
                .ends_with("; your input was: tied out with the GL team"),
            "{args:?}: {stderr}"
        );
    }
    // A text refused for itself is not echoed back as if it were lost.
    let out = run(&["mismatch", gl, "note", "   ", "--user", "tlin"], &file);
    assert!(
        !text(&out.stderr).contains("your input was"),
        "{}",
        text(&out.stderr)
    );
}
