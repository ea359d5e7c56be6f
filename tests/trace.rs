//! `closedesk mismatch FILE KEY --rows`: the rows behind a mismatch with their amounts and
//! sums, and the side-by-side comparison that shows which row makes the gap (issue 16,
//! "Trace"). Figures are the demo's, worked by hand in docs/reconciliation.md's seed card:
//! the GL export carries 39,629.52 against closing AR of 39,639.27 (−9.75), all of it
//! ACC-1004's line (2,180.37 against its window-end AR of 2,190.12); the PRG-VERIFY
//! statement says 248.60 while its two lines present 162.00 + 82.08 = 244.08 (+4.52).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn closedesk(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .arg("mismatch")
        .arg(file)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CLOSEDESK_USER")
        .output()
        .unwrap()
}

fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("demo.db");
    closedesk::demo::write(&path, false).unwrap();
    path
}

#[test]
fn the_gl_gap_traces_to_the_one_export_line_that_differs() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo(dir.path());
    let out = closedesk(&["exports:GL-2026-03:ar-total", "--rows"], &file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "expected 39,639.27 · actual 39,629.52 · variance -9.75",
        "Expected 39,639.27 — from 113 source rows:",
        "  Σ window-end balance 39,639.27 = expected 39,639.27",
        "  Σ header total 39,629.52 = actual 39,629.52",
        "  1 of 29 rows differs",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    let differing: Vec<&str> = text.lines().filter(|l| l.starts_with("  ≠")).collect();
    assert_eq!(differing.len(), 1, "{text}");
    let cells: Vec<&str> = differing[0].split_whitespace().collect();
    assert_eq!(cells[1], "ACC-1004");
    assert_eq!(&cells[cells.len() - 3..], ["2,190.12", "2,180.37", "-9.75"]);

    let out = closedesk(&["exports:GL-2026-03:ar-total", "--rows", "--json"], &file);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["compare"]["rows"].as_array().unwrap();
    let off: Vec<(&str, String)> = rows
        .iter()
        .filter(|r| r["differs"] == true)
        .map(|r| (r["id"].as_str().unwrap(), r["difference"].to_string()))
        .collect();
    assert_eq!(off, [("ACC-1004", "-9.75".to_string())]);
    assert_eq!(v["expected"]["rows"].as_array().unwrap().len(), 113);
    let invoice = &v["expected"]["rows"][0];
    assert_eq!(invoice["table"], "invoices");
    assert!(invoice["date"].is_string() && invoice["account"].is_string());
}

#[test]
fn a_statement_shows_its_lines_against_the_fees_they_present() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo(dir.path());
    let out = closedesk(
        &["employer_programs:STM-VERIFY-2026-03:statement-total", "--rows"],
        &file,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "  Σ amount 244.08 = expected 244.08",
        "  Σ total 248.60 = actual 248.60",
        "STL-003",
        "presents LN-00400",
        "  0 of 2 rows differ",
        "  ≠ the statement's lines add up to 244.08; its total says 248.60",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    // The demo's program has one statement: no other enters its expected figure.
    assert_eq!(text.matches("program_statements  date").count(), 1, "{text}");
}

/// The expected figure of a program's latest statement is the fees billed less its other
/// statements: those are listed with the fee lines (they were not, and the figure could
/// not be recomputed from the rows shown). On `nets-away` with a second statement of PRG-1,
/// STM-LATER 100.00: its expected figure is the fees billed less STM-1's 200.00.
#[test]
fn a_later_statement_lists_the_programs_other_statements_behind_its_expected_figure() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture_copy(dir.path(), "nets-away");
    let statements = src.join("program_statements.csv");
    let text = std::fs::read_to_string(&statements).unwrap();
    std::fs::write(&statements, format!("{text}STM-LATER,PRG-1,2026-03-31,100.00\n")).unwrap();
    let file = dir.path().join("p.db");
    closedesk::import::import_dir(&src, &file, false).unwrap();
    let out = closedesk(&["employer_programs:STM-LATER:statement-total", "--rows"], &file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows = text.split_once("\nExpected").unwrap().1;
    let (expected, actual) = rows.split_once("\nActual").unwrap();
    assert!(
        expected.contains("  STM-1 ") && expected.contains("  Σ total 200.00"),
        "{text}"
    );
    assert!(!expected.contains("STM-LATER "), "{text}");
    assert!(actual.contains("  STM-LATER "), "{text}");
}

#[test]
fn rows_of_a_key_the_engine_does_not_report_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo(dir.path());
    let out = closedesk(&["exports:GL-2026-03:nope\u{1b}[2J", "--rows"], &file);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a mismatch the engine reports now"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err}");
    // --rows without a key was ignored (the list printed, exit 0).
    let out = closedesk(&["--rows"], &file);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--rows shows the rows behind one mismatch"), "{err}");
}

/// A copy of `tests/fixtures/{name}` in `dir`, to edit before importing.
fn fixture_copy(dir: &Path, name: &str) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let src = dir.join("csv");
    std::fs::create_dir(&src).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), src.join(entry.file_name())).unwrap();
    }
    src
}

/// `tests/fixtures/nets-away` imported into `dir`.
fn nets_away(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nets-away");
    let out = dir.join("nets-away.db");
    closedesk::import::import_dir(&src, &out, false).unwrap();
    out
}

/// Usage, rated against billed per line (docs/reconciliation.md's worked example,
/// `tests/fixtures/nets-away`, checked by hand): ACC-A's LN-A1U bills 100.00 = UE-1 60.00 +
/// UE-2 40.00; LN-A2U bills 40.00 with no event of ACC-A on it (UE-2 billed again): +40.00;
/// UE-3 (40.00) is on no line: −40.00. ACC-B's LN-B1U bills 50.00 against its own UE-4
/// 35.00, carrying ACC-A's UE-5 (15.00): +15.00.
#[test]
fn a_usage_line_shows_its_billed_amount_against_the_rated_events_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = nets_away(dir.path());
    let out = closedesk(&["usage:LN-A2U:events", "--rows"], &file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "Compared: ACC-A",
        "usage, line by line (billed against rated)",
        "  2 of 3 rows differ",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    let rows = |text: &str| -> Vec<Vec<String>> {
        text.lines()
            .skip_while(|l| !l.starts_with("Compared:"))
            .skip(2)
            .take_while(|l| l.starts_with("  ") && !l.contains(" of "))
            .map(|l| {
                let cells: Vec<String> = l.split_whitespace().map(str::to_string).collect();
                let n = cells.len();
                let mut out = vec![
                    l.starts_with("  ≠").to_string(),
                    cells[usize::from(l.starts_with("  ≠"))].clone(),
                ];
                out.extend(cells[n - 3..].iter().cloned());
                out
            })
            .collect()
    };
    assert_eq!(
        rows(&text),
        [
            ["false", "LN-A1U", "100.00", "100.00", "0.00"],
            ["true", "LN-A2U", "0.00", "40.00", "40.00"],
            ["true", "UE-3", "40.00", "0.00", "-40.00"],
        ]
    );
    // The other account's line: its own event against what it bills, the foreign one named.
    let out = closedesk(&["usage:LN-B1U:events", "--rows", "--json"], &file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &v["compare"];
    assert_eq!(c["expected_is"], "rated");
    assert_eq!(c["actual_is"], "billed");
    let rows = c["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{c}");
    assert_eq!(rows[0]["id"], "LN-B1U");
    assert_eq!(rows[0]["expected"].to_string(), "35.00");
    assert_eq!(rows[0]["actual"].to_string(), "50.00");
    assert_eq!(rows[0]["differs"], true);
    let name = rows[0]["name"].as_str().unwrap();
    assert!(
        name.contains("1 event") && name.contains("+ 1 of another account (15.00)"),
        "{name}"
    );
}

/// A roll-forward's expected figure is the ledger's closing less what rows reported on their
/// own carry off it: the evidence says which findings, in full (the detail view cut the
/// next action at its width, and the rows alone add up to the closing, not the figure). On
/// `parent-pays-child` with REV-60's row on ACC-R at 700.01 (tests/figures.rs): expected
/// 700.01 − 0.01 = 700.00.
#[test]
fn a_roll_forward_says_which_findings_its_expected_figure_leaves_out() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture_copy(dir.path(), "parent-pays-child");
    let ledger = src.join("ledger.csv");
    let text = std::fs::read_to_string(&ledger).unwrap();
    std::fs::write(
        &ledger,
        text.replace(",reversal,600.00,REV-60", ",reversal,700.01,REV-60"),
    )
    .unwrap();
    let file = dir.path().join("p.db");
    closedesk::import::import_dir(&src, &file, false).unwrap();
    let out = closedesk(&["ledger:ACC-R:roll-forward", "--rows"], &file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let said: Vec<&str> = text.split_whitespace().collect();
    let said = said.join(" ");
    assert!(
        said.contains(
            "Expected is the ledger's closing AR 700.01 less what rows reported on their own carry off it: \
             adjustments:REV-60:unrecorded +0.01"
        ),
        "{text}"
    );
    assert!(text.contains("  Σ amount 700.01\n"), "{text}");
    // The next action in lines a detail view shows whole (80 columns, less its border).
    let next: Vec<&str> = text
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with("next: ") || l.starts_with("      "))
        .collect();
    assert!(
        next.len() > 1 && next.iter().all(|l| l.chars().count() <= 78),
        "{text}"
    );
}

/// A void finding's actual figure is its invoice's rows' net less what its disbursements'
/// rows are off: the disbursements to it are listed beside the rows (they were not, and a
/// figure less than the rows' sum could not be recomputed). On `void-booked-late`: INV-A1's
/// rows 500.00 − 200.00 = 300.00, and DSB-A1 (200.00, 03-05) applied to it.
#[test]
fn a_void_lists_the_disbursements_to_its_invoice_beside_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture_copy(dir.path(), "void-booked-late");
    let file = dir.path().join("p.db");
    closedesk::import::import_dir(&src, &file, false).unwrap();
    let out = closedesk(&["adjustments:INV-A1:void", "--rows"], &file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let actual = text.split_once("\nActual").unwrap().1;
    assert!(actual.contains("  Σ amount 300.00 = actual 300.00"), "{text}");
    assert!(
        actual.contains("  DSB-A1 ") && actual.contains("  Σ amount 200.00"),
        "{text}"
    );
}

/// An over-disbursed payment's expected figure is its net value: its rows' signed parts
/// add up to it. The worked example's PAY-2 (30,000.00) refunded 10,000.00 on 03-25 has a
/// net value of 30,000.00 − 10,000.00 = 20,000.00 against DSB-2's 22,000.00 disbursed.
/// The rows' only sum was their amounts, 40,000.00, beside an expected 20,000.00.
#[test]
fn an_over_disbursed_payment_sums_its_rows_to_its_net_value() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture_copy(dir.path(), "worked-example");
    let payments = src.join("payments.csv");
    let mut text = std::fs::read_to_string(&payments).unwrap();
    text.push_str("RF-2,ACC-A,refund,PAY-2,2026-03-25,10000.00,refund of part of ACH 1002\n");
    std::fs::write(&payments, text).unwrap();
    let file = dir.path().join("refunded.db");
    closedesk::import::import_dir(&src, &file, false).unwrap();
    let out = closedesk(&["disbursements:PAY-2:over-disbursed", "--rows"], &file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "expected 20,000.00 · actual 22,000.00 · variance 2,000.00",
        "  Σ net value 20,000.00 = expected 20,000.00",
        "  Σ amount 22,000.00 = actual 22,000.00",
    ] {
        assert!(text.contains(expected), "missing {expected:?}:\n{text}");
    }
    let refund = text.lines().find(|l| l.trim_start().starts_with("RF-2")).unwrap();
    assert!(
        refund.contains("10,000.00") && refund.contains("-10,000.00"),
        "{refund}"
    );
}
