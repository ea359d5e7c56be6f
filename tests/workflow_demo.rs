//! A whole close of the demo period through the binary: the two mismatches
//! (`exports:GL-2026-03:ar-total`, −9.75, medium; the verification statement, +4.52, low)
//! corrected and waived, the checklist worked, the period signed off and locked, verified,
//! reopened.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const GL: &str = "exports:GL-2026-03:ar-total";
const STATEMENT: &str = "employer_programs:STM-VERIFY-2026-03:statement-total";

fn closedesk() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_closedesk"));
    cmd.env("NO_COLOR", "1").env_remove("USER");
    cmd
}

fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("demo.db");
    let out = closedesk().args(["demo", "--out"]).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

/// `closedesk SUBCOMMAND FILE ARGS…`
fn run(file: &Path, args: &[&str]) -> Output {
    closedesk()
        .arg(args[0])
        .arg(file)
        .args(&args[1..])
        .output()
        .unwrap()
}

fn ok(file: &Path, args: &[&str]) -> String {
    let out = run(file, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn refused(file: &Path, args: &[&str]) -> String {
    let out = run(file, args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

fn json(file: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(file, args)).unwrap()
}

#[test]
fn the_demo_period_closes_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let f = demo(dir.path());
    let f = f.as_path();

    // The correction lane: exactly the two mismatches, filterable.
    let list = json(f, &["mismatch", "--json"]);
    let keys: Vec<&str> = list["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, [GL, STATEMENT]);
    let medium = json(f, &["mismatch", "--severity", "medium", "--json"]);
    assert_eq!(medium["mismatches"].as_array().unwrap().len(), 1);
    let exports = ok(f, &["mismatch", "--lane", "exports"]);
    assert!(exports.contains(GL) && !exports.contains(STATEMENT), "{exports}");
    assert!(refused(f, &["mismatch", "--lane", "gl"]).contains("lane 'gl' is not one of usage, exports"));

    // GL: the operator proposes, cannot accept; the reviewer accepts; corrected to zero.
    ok(
        f,
        &[
            "mismatch",
            GL,
            "note",
            "GL line GLL-003 nets the unapplied credit CR-0010",
            "--user",
            "tlin",
        ],
    );
    let proposed = json(
        f,
        &[
            "mismatch",
            GL,
            "propose",
            "--amount",
            "9.75",
            "--side",
            "actual",
            "--reason",
            "CR-0010 is unapplied: GL should carry it in AR",
            "--reference",
            "CR-0010",
            "--user",
            "tlin",
            "--json",
        ],
    );
    assert_eq!(proposed["mismatch"]["status"], "in_correction");
    let e = refused(f, &["mismatch", GL, "accept", "--user", "tlin"]);
    assert_eq!(
        e.trim(),
        "closedesk: accepting a correction needs a reviewer or lead; tlin is an operator"
    );
    let accepted = json(f, &["mismatch", GL, "accept", "--user", "jokafor", "--json"]);
    assert_eq!(accepted["mismatch"]["status"], "resolved");
    assert_eq!(accepted["mismatch"]["raw_variance"].to_string(), "-9.75");
    assert_eq!(accepted["mismatch"]["corrected_variance"].to_string(), "0.00");
    let status = json(f, &["status", "--json"]);
    assert_eq!(status["variance_usd"].to_string(), "4.52");
    assert_eq!(status["mismatches"]["open"], 1);

    // Four-eyes through the binary: a reviewer cannot accept her own correction; she may
    // withdraw it (reject) herself.
    ok(
        f,
        &[
            "mismatch",
            STATEMENT,
            "propose",
            "--amount",
            "-4.52",
            "--side",
            "actual",
            "--reason",
            "header at last year's rate",
            "--user",
            "jokafor",
        ],
    );
    let e = refused(f, &["mismatch", STATEMENT, "accept", "--user", "jokafor"]);
    assert_eq!(
        e.trim(),
        "closedesk: four-eyes: jokafor proposed correction #3 and cannot also accept it; another reviewer or \
         lead must"
    );
    let withdrawn = json(
        f,
        &[
            "mismatch",
            STATEMENT,
            "reject",
            "3",
            "--reason",
            "withdrawn",
            "--user",
            "jokafor",
            "--json",
        ],
    );
    assert_eq!(withdrawn["mismatch"]["status"], "open");
    assert_eq!(withdrawn["mismatch"]["corrections"][0]["status"], "rejected");

    // The statement: waived by a reviewer with a reason.
    let e = refused(
        f,
        &[
            "mismatch",
            STATEMENT,
            "waive",
            "--reason",
            "rate difference of last year",
            "--user",
            "rdiaz",
        ],
    );
    assert!(
        e.contains("waiving a mismatch needs a reviewer or lead; rdiaz is an operator"),
        "{e}"
    );
    let e = refused(
        f,
        &[
            "mismatch",
            STATEMENT,
            "waive",
            "--reason",
            "         ",
            "--user",
            "jokafor",
        ],
    );
    assert!(e.contains("needs a reason of at least 20 characters"), "{e}");
    ok(
        f,
        &[
            "mismatch",
            STATEMENT,
            "waive",
            "--reason",
            "header at last year's rate; Cascade reissues in April",
            "--user",
            "jokafor",
        ],
    );
    let status = json(f, &["status", "--json"]);
    assert_eq!(status["status"], "clean");
    assert_eq!(status["variance_usd"].to_string(), "0.00");

    // The detail shows the whole trail.
    let detail = ok(f, &["mismatch", GL]);
    for expected in [
        "status resolved",
        "corrected: expected 39,639.27 · actual 39,639.27 · variance 0.00",
        "#2 +9.75 to actual by tlin",
        "(ref CR-0010): accepted by jokafor",
        "mismatch.note",
        "mismatch.propose",
        "mismatch.accept",
        "“GL line GLL-003 nets the unapplied credit CR-0010”",
    ] {
        assert!(detail.contains(expected), "{expected:?} not in\n{detail}");
    }

    // The checklist: four items each by two operators; then the lead signs.
    for item in 1..=8 {
        let who = if item % 2 == 0 { "tlin" } else { "rdiaz" };
        ok(
            f,
            &[
                "checklist",
                "set",
                &item.to_string(),
                "done",
                "--user",
                who,
                "--note",
                "reviewed",
            ],
        );
    }
    let checklist = json(f, &["checklist", "--json"]);
    assert!(checklist["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "done"));
    assert_eq!(checklist["items"][4]["evidence"][5]["label"], "aged AR total");
    assert_eq!(
        checklist["items"][4]["evidence"][5]["value"].to_string(),
        "39639.27"
    );
    let e = refused(f, &["signoff", "--user", "jokafor"]);
    assert!(
        e.contains("[not met] the signer is a lead: jokafor is a reviewer"),
        "{e}"
    );
    let signed = json(
        f,
        &["signoff", "--user", "mhale", "--comment", "March close", "--json"],
    );
    assert_eq!(signed["signoff"]["signed_by"], "mhale");
    let status = json(f, &["status", "--json"]);
    assert_eq!(status["status"], "signed_off");
    assert_eq!(status["last_clean_close"]["period"], "2026-03");
    ok(f, &["verify"]);

    // Locked: refused with what would allow it.
    let e = refused(f, &["mismatch", GL, "note", "one more thing", "--user", "tlin"]);
    assert!(e.contains("the period is signed off by mhale at "), "{e}");
    assert!(
        e.contains("a lead can lift the lock with `closedesk reopen --reason TEXT`"),
        "{e}"
    );
    // Nor does --force replace the signed-off file, whoever asks (it did, for an operator):
    // the demo, an import and a synthetic period are all refused and the file is unchanged.
    let before = std::fs::read(f).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/worked-example");
    let attempts: [Vec<&std::ffi::OsStr>; 3] = [
        vec![
            "demo".as_ref(),
            "--force".as_ref(),
            "--out".as_ref(),
            f.as_os_str(),
        ],
        vec![
            "import".as_ref(),
            fixture.as_os_str(),
            "--force".as_ref(),
            "--out".as_ref(),
            f.as_os_str(),
        ],
        vec![
            "demo".as_ref(),
            "--scale".as_ref(),
            "100".as_ref(),
            "--force".as_ref(),
            "--out".as_ref(),
            f.as_os_str(),
        ],
    ];
    for args in attempts {
        let out = closedesk()
            .args(&args)
            .env("CLOSEDESK_USER", "rdiaz")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&out.stderr);
        assert!(
            e.contains("period 2026-03 is signed off by mhale at ")
                && e.contains("--force does not replace it"),
            "{e}"
        );
    }
    assert_eq!(
        std::fs::read(f).unwrap(),
        before,
        "the signed-off file is as it was"
    );

    // Reopened by the other lead; the log shows it all, newest first.
    ok(
        f,
        &[
            "reopen",
            "--reason",
            "Cascade reissued the statement at 0.54",
            "--user",
            "sgupta",
        ],
    );
    let log = json(f, &["log", "--json"]);
    assert_eq!(log[0]["action"], "reopen");
    assert_eq!(log[1]["action"], "signoff");
    assert_eq!(log.as_array().unwrap().last().unwrap()["seq"], 1);
    ok(f, &["verify"]);
}

/// Issue 16: a checklist note without a move — the item keeps its status, its version and
/// who moved it, so noting a done item does not make the noter its completer.
#[test]
fn a_checklist_note_alone_leaves_the_item_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let f = demo(dir.path());
    ok(&f, &["checklist", "set", "1", "done", "--user", "tlin"]);
    let before = json(&f, &["checklist", "--json"]);
    let out = ok(
        &f,
        &[
            "checklist",
            "note",
            "1",
            "Checked the draft list.\nAll ten are April's.",
            "--user",
            "rdiaz",
        ],
    );
    assert!(out.contains("Note saved on checklist item 1"), "{out}");
    let after = json(&f, &["checklist", "--json"]);
    let item = |v: &Value| v["items"][0].clone();
    for field in ["status", "updated_by", "updated_at", "version"] {
        assert_eq!(item(&after)[field], item(&before)[field], "{field}");
    }
    assert_eq!(item(&after)["updated_by"], "tlin");
    let notes = item(&after)["notes"].as_array().unwrap().clone();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["author"], "rdiaz");
    assert_eq!(notes[0]["text"], "Checked the draft list.\nAll ten are April's.");
    // A login not on the roster may not, and says so.
    let why = refused(&f, &["checklist", "note", "1", "hello", "--user", "visitor"]);
    assert!(why.contains("not on this period's roster"), "{why}");
}

/// A sign-off committed while `demo --force` (or an import) builds its replacement is never
/// lost: the replacement checks the old file again under its write lock and is refused. It
/// was not: the lead was told the period was signed and locked, and the new file then
/// replaced it, sign-off, audit trail and all.
#[test]
fn a_sign_off_made_while_a_forced_replacement_runs_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let f = demo(dir.path());
    let f = f.as_path();
    for key in [GL, STATEMENT] {
        ok(
            f,
            &[
                "mismatch",
                key,
                "waive",
                "--reason",
                "known difference, corrected next period",
                "--user",
                "jokafor",
            ],
        );
    }
    for item in 1..=8 {
        let who = if item % 2 == 0 { "tlin" } else { "rdiaz" };
        ok(f, &["checklist", "set", &item.to_string(), "done", "--user", who]);
    }
    // A replacement that takes seconds to build, started before the sign-off.
    let replacing = std::process::Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .args(["demo", "--scale", "50000", "--force", "--out"])
        .arg(f)
        .env_remove("USER")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Its temporary file exists once it has checked the target (not signed off then).
    let temporary = format!(".demo.db.importing-{}", replacing.id());
    let started = std::time::Instant::now();
    while !dir.path().join(&temporary).exists() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the replacement never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let signed = run(f, &["signoff", "--user", "mhale", "--comment", "March close"]);
    let replaced = replacing.wait_with_output().unwrap();
    let e = String::from_utf8_lossy(&replaced.stderr);
    if signed.status.success() {
        assert_eq!(replaced.status.code(), Some(2), "the replacement went ahead: {e}");
        assert!(
            e.contains("is signed off by mhale") && e.contains("--force does not replace it"),
            "{e}"
        );
        assert_eq!(json(f, &["status", "--json"])["status"], "signed_off");
        ok(f, &["verify"]);
    } else {
        // The replacement won the race (a slow machine): the sign-off saved nothing and
        // said so (the file it opened was replaced, or the new one is not ready to sign).
        assert_eq!(signed.status.code(), Some(2), "{signed:?}");
        eprintln!(
            "the replacement finished before the sign-off: {}",
            String::from_utf8_lossy(&signed.stderr)
        );
    }
}
