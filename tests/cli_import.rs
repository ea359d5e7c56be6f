//! `closedesk import` through the real binary: a refused import exits 2, lists every
//! problem as file:line:column, and leaves nothing behind; templates round-trip.

use std::path::Path;

use assert_cmd::Command;

mod common;

use common::files::{copy_dir, edit};

fn closedesk() -> Command {
    Command::new(env!("CARGO_BIN_EXE_closedesk"))
}

/// A copy of fixture `name` in `to`, to edit.
fn copy_fixture_named(name: &str, to: &Path) {
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
        to,
    );
}

/// `closedesk import DATA --out OUT`, run to its end.
fn import(data: &Path, out: &Path) -> std::process::Output {
    closedesk()
        .arg("import")
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// A copy of the worked example in `to`, to edit.
fn copy_fixture(to: &Path) {
    copy_fixture_named("worked-example", to);
}

#[test]
fn bad_csv_is_refused_with_every_problem_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_fixture(&data);
    edit(&data.join("invoices.csv"), "40000.00,0.00", "4e4,0.00");
    edit(
        &data.join("invoices.csv"),
        "25000.00,23500.00",
        "25,000.00,23500.00",
    );
    edit(&data.join("payments.csv"), "30000.00", "30000.005");
    edit(&data.join("ledger.csv"), "2026-03-02T09:00:00Z", "2026-03-02");
    let out_file = dir.path().join("out.db");
    let out = import(&data, &out_file);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let d = data.display();
    for line in [
        format!("{d}/invoices.csv:2:7: total '4e4': amount in scientific notation is not allowed: write the amount in full, e.g. 40000.00"),
        format!("{d}/invoices.csv:4: row has 9 fields, the header has 8"),
        format!("{d}/payments.csv:3:6: amount '30000.005': amount has more than 2 decimals (it would have to be rounded)"),
        format!("{d}/ledger.csv:2:4: occurred_at '2026-03-02' is a date without a time (expected YYYY-MM-DDTHH:MM:SSZ)"),
    ] {
        assert!(stderr.lines().any(|l| l == line), "missing line {line:?} in:\n{stderr}");
    }
    assert!(!out_file.exists(), "a refused import must leave no file");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("data")]);
}

#[test]
fn template_then_import_of_an_empty_period_names_the_missing_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("t");
    closedesk()
        .args(["import", "--template"])
        .arg(&data)
        .assert()
        .success();
    assert_eq!(std::fs::read_dir(&data).unwrap().count(), 16);
    let out = import(&data, &dir.path().join("x.db"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("period.csv"));
    // Templates never overwrite.
    closedesk()
        .args(["import", "--template"])
        .arg(&data)
        .assert()
        .code(2);
}

// ---------------------------------------------------------------------------------------
// Issue 13 part 5: nothing the import accepts may break the engine later. Worked by hand in
// tests/fixtures/bounds-overflow/README.md.

#[test]
fn a_program_fee_past_the_bound_is_refused_at_its_cell() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounds-overflow");
    let out_file = dir.path().join("out.db");
    let out = import(&data, &out_file);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    // 1,000,000,000,000 × 100,000.00 = 10^19 cents; the bound is 10^15 cents.
    let line = format!(
        "{}/employer_programs.csv:3:4: basis_units × rate (1000000000000 × 100000.00) is out of range: \
         the fee must be less than 10,000,000,000,000.00 in absolute value",
        data.display()
    );
    assert!(
        stderr.lines().any(|l| l == line),
        "missing {line:?} in:\n{stderr}"
    );
    // PRG-OK, 1,000,000 × 1,000.00 = 10^11 cents, is within it.
    assert_eq!(stderr.matches("employer_programs.csv").count(), 1, "{stderr}");
    assert!(!out_file.exists());
}

#[test]
fn amounts_adding_up_past_the_bound_are_refused_where_they_cross_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_fixture(&data);
    // The worked example's absolute amounts: invoices 100,000.00 + 31,500.00, lines
    // 100,000.00, payments 70,000.00, credits 3,000.00, disbursements 63,500.00, ledger
    // 168,500.00 = 536,500.00 (26 amounts: 8 + 4 + 2 + 1 + 3 + 8). A first 6,000,000,000,000.00 takes it to
    // 6,000,000,536,500.00 (< 10,000,000,000,000.00); the second, on line 11, past it.
    let ledger = data.join("ledger.csv");
    let mut text = std::fs::read_to_string(&ledger).unwrap();
    text.push_str("LG-9,ACC-A,INV-1,2026-03-30T10:00:00Z,adjustment,6000000000000.00,ADJ-1\n");
    text.push_str("LG-10,ACC-A,INV-1,2026-03-30T11:00:00Z,adjustment,-6000000000000.00,ADJ-1\n");
    std::fs::write(&ledger, text).unwrap();
    let out = import(&data, &dir.path().join("out.db"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let line = format!(
        "{}/ledger.csv:11:6: amount takes the period's absolute amounts past the bound: every amount of \
         every file (and each program's basis_units × rate) must add up to less than 10,000,000,000,000.00",
        data.display()
    );
    assert!(
        stderr.lines().any(|l| l == line),
        "missing {line:?} in:\n{stderr}"
    );
    assert!(!stderr.contains("ledger.csv:10:"), "{stderr}");
}

#[test]
fn verify_names_amounts_past_the_bound_in_a_hand_edited_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_fixture(&data);
    let file = dir.path().join("p.db");
    closedesk()
        .arg("import")
        .arg(&data)
        .arg("--out")
        .arg(&file)
        .assert()
        .success();
    let ok = closedesk().arg("verify").arg(&file).output().unwrap();
    let stdout = String::from_utf8(ok.stdout).unwrap();
    assert!(
        stdout.contains("[ok]     bounds: 26 amounts within bounds (absolute total 536,500.00)"),
        "{stdout}"
    );
    // A hand edit past what import allows: one ledger row of 9e18 cents.
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.execute(
        "UPDATE ledger SET amount_cents = 9000000000000000000 WHERE id = 'LG-1'",
        [],
    )
    .unwrap();
    drop(conn);
    let out = closedesk().arg("verify").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("[failed] bounds: amounts out of bounds: ledger LG-1: amount_cents 9000000000000000000 is out of range"),
        "{stdout}"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

/// The summary line counts in words that agree with the number ("1 usage event", not
/// "1 usage events"), grouped like the table under it.
#[test]
fn the_import_summary_says_one_in_the_singular() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_fixture_named("import-minimal", &data);
    edit(
        &data.join("usage_events.csv"),
        "UE-2,ACC-1001,report,2026-03-04T08:00:00Z,1,,unprocessed,,\n",
        "",
    );
    let out = import(&data, &dir.path().join("p.db"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(": 3 accounts, 4 invoices, 6 ledger rows, 1 usage event → "),
        "{stdout}"
    );
}
