//! `closedesk import` through the real binary: a refused import exits 2, lists every
//! problem as file:line:column, and leaves nothing behind; templates round-trip.

use std::path::Path;

use assert_cmd::Command;

fn closedesk() -> Command {
    Command::new(env!("CARGO_BIN_EXE_closedesk"))
}

fn copy_fixture(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/worked-example");
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
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
    let out = closedesk()
        .arg("import")
        .arg(&data)
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let d = data.display();
    for line in [
        format!("{d}/invoices.csv:2:7: total '4e4': amount in scientific notation is not allowed"),
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
    let out = closedesk()
        .arg("import")
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("x.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("period.csv"));
    // Templates never overwrite.
    closedesk()
        .args(["import", "--template"])
        .arg(&data)
        .assert()
        .code(2);
}
