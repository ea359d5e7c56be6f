//! `closedesk import --map RULES DIR` through the real binary: Recurly's CSV exports
//! (tests/fixtures/map-recurly) read through examples/recurly.rules.toml give the figures
//! worked by hand in the fixture's README.md; every refused input exits 2, leaves no file,
//! and names the export's `file:line:column` or the rules file's line; untrusted text
//! never reaches the terminal raw.

mod common;

use common::files::{copy_dir, edit};
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn closedesk() -> Command {
    Command::new(env!("CARGO_BIN_EXE_closedesk"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rules() -> PathBuf {
    root().join("examples/recurly.rules.toml")
}

fn fixture() -> PathBuf {
    root().join("tests/fixtures/map-recurly")
}

/// A fresh copy of the fixture, to edit.
fn copy_of_fixture(to: &Path) -> PathBuf {
    copy_dir(&fixture(), &to.join("export"))
}

/// The 1-based line of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not found"))
        + 1
}

fn import(rules: &Path, dir: &Path, out: &Path) -> std::process::Output {
    closedesk()
        .args(["import", "--map"])
        .arg(rules)
        .arg(dir)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// A refused import: exit 2, no file, nothing left behind; the problems printed.
fn refused(rules: &Path, dir: &Path, out: &Path) -> String {
    let output = import(rules, dir, out);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    assert!(!out.exists(), "a refused import wrote {}", out.display());
    let leftovers: Vec<_> = fs::read_dir(out.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("importing"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    String::from_utf8(output.stderr).unwrap()
}

fn json_of(args: &[&str], out: &Path) -> Value {
    let output = closedesk().args(args).arg(out).arg("--json").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A figure in cents, from the exact text of the JSON number.
fn cents(json: &Value, path: &str) -> i64 {
    let mut v = json;
    for key in path.split('.') {
        v = v.get(key).unwrap_or_else(|| panic!("{path}: no {key}"));
    }
    let text = v
        .as_number()
        .unwrap_or_else(|| panic!("{path} is {v}"))
        .to_string();
    let (whole, decimals) = text.split_once('.').unwrap_or((&text, ""));
    let decimals = format!("{decimals:0<2}");
    format!("{whole}{decimals}").parse().unwrap()
}

#[test]
fn recurly_exports_give_the_hand_worked_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("recurly-2026-03.db");
    let output = import(&rules(), &fixture(), &out);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    // Each table names what it was made from, and how many export rows it took.
    for line in [
        "invoices                   4 rows  invoices_summary.csv",
        "invoice_lines              9 rows  adjustments.csv + invoices_summary.csv",
        "payments                   4 rows  transactions.csv (rows with status = success, type = purchase or refund: 4 of 5)",
        "credits                    0 rows  none (absent from the export, recurly.rules.toml)",
        "roster                     1 row   closedesk.toml",
    ] {
        assert!(printed.contains(line), "{line:?} not in:\n{printed}");
    }

    // The file passes verify: integrity, row counts, bounds.
    let verify = closedesk().arg("verify").arg(&out).output().unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // The figures of tests/fixtures/map-recurly/README.md.
    let json = json_of(&["reconcile"], &out);
    let figures = [
        ("steps.posted.invoice_totals_posted", 43_300),
        ("steps.posted.invoice_balances_closing_ar", 22_500),
        ("steps.applied.disbursements_total", 20_800),
        ("steps.applied.unapplied_total", 4_000),
        ("steps.rollforward.totals.ledger_closing_ar", 22_500),
        ("steps.revenue.total.recognized_in_window", 42_500),
        ("steps.revenue.tax.billed_in_window", 800),
    ];
    for (path, want) in figures {
        assert_eq!(cents(&json, path), want, "{path}");
    }
    assert_eq!(
        json["mismatches"].as_array().unwrap().len(),
        0,
        "{}",
        json["mismatches"]
    );

    let status = json_of(&["status"], &out);
    assert_eq!(status["status"], "clean");
    assert_eq!(status["period"], "2026-03");
    assert_eq!(status["owner"], "finance@crane.example");
    assert_eq!(cents(&status, "variance_usd"), 0);

    // source_counts records what each table was made from.
    let conn = rusqlite::Connection::open(&out).unwrap();
    let file: String = conn
        .query_row(
            "SELECT file FROM source_counts WHERE table_name = 'disbursements'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        file.starts_with("transactions.csv (rows with status = success, type = purchase"),
        "{file}"
    );
}

#[test]
fn a_bad_date_is_reported_at_the_exports_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    // Invoice 1002 (line 3), billed_date (column 4): no February 30th.
    edit(
        &dir.join("invoices_summary.csv"),
        "1002,bluewater,2026-03-05 09:00:00 UTC",
        "1002,bluewater,2026-02-30 09:00:00 UTC",
    );
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    let rules_text = fs::read_to_string(rules()).unwrap();
    let posted_at = line_of(&rules_text, "posted_at = \"billed_date\"");
    let expected = format!(
        "{}:3:4: billed_date '2026-02-30 09:00:00 UTC' does not match date_format '%Y-%m-%d %H:%M:%S UTC' \
         (no such date or time (a day, month or hour out of range); rule {}:{posted_at} (table invoices, field posted_at)",
        dir.join("invoices_summary.csv").display(),
        rules().display()
    );
    assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
}

/// chrono's `%Y` reads a year of fewer than four digits: `26-03-02` read with `%Y-%m-%d`
/// (or `3/2/26` with `%m/%d/%Y`) is the year 26, and the row loaded into 0026 left the
/// period reading clean without it.
#[test]
fn a_two_digit_year_read_with_percent_y_is_refused_at_its_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    // t001 (line 2), date (column 8).
    edit(
        &dir.join("transactions.csv"),
        "2026-03-02 10:17:05 UTC",
        "26-03-02 10:17:05 UTC",
    );
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    let rules_text = fs::read_to_string(rules()).unwrap();
    let date_format = line_of(&rules_text, "date_format = ");
    let expected = format!(
        "{}:2:8: date '26-03-02 10:17:05 UTC' read with date_format '%Y-%m-%d %H:%M:%S UTC' is in \
         the year 26: a year before 1900 is no billing date. A two-digit year? %Y reads four \
         digits, %y two: write the year with four digits, or read it with %y (date_format at \
         {}:{date_format}",
        dir.join("transactions.csv").display(),
        rules().display()
    );
    assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    assert_eq!(
        stderr.matches("26-03-02 10:17:05 UTC").count(),
        1,
        "once per cell:\n{stderr}"
    );
}

/// A quote opened and never closed reads every line to the end of the file into one cell:
/// it was reported as "row has 2 fields, the header has 8", where the native import names
/// the quote.
#[test]
fn an_unterminated_quote_in_an_export_is_named_where_it_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    edit(&dir.join("accounts.csv"), "crane,ops@", "crane,\"ops@");
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    let expected = format!(
        "{}:4:2: unterminated quote in account_email: the quoted cell that starts here has no closing quote, \
         so every line to the end of the file was read into it",
        dir.join("accounts.csv").display()
    );
    assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    assert!(!stderr.contains("fields, the header has"), "{stderr}");
}

/// A quoted cell that goes on after its closing quote was read with its quotes dropped
/// (`"Crane" Care` as `Crane Care`): it is refused where the quote closes, as the native
/// import refuses it.
#[test]
fn text_after_a_closing_quote_in_an_export_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    edit(&dir.join("accounts.csv"), ",Crane Care,", ",\"Crane\" Care,");
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    let expected = format!(
        "{}:4:4: text after a closing quote in account_company_name: the cell would read 'Crane Care', \
         its quotes dropped",
        dir.join("accounts.csv").display()
    );
    assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
}

/// A native rule broken by a value the mapping changed says so: the message quotes the
/// export's cell (20.00) and the value the rule negated it to ('-20.00').
#[test]
fn a_negated_value_is_said_to_be_negated() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    edit(&dir.join("transactions.csv"), ",refund,-20.00,", ",refund,20.00,");
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    assert!(
        stderr.contains(
            "amount '20.00' (negated: -20.00) must be greater than zero (column 'amount' → payments.amount, \
             negated, rule"
        ),
        "{stderr}"
    );
}

#[test]
fn an_unknown_status_is_named_with_the_rule_that_would_map_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    edit(
        &dir.join("invoices_summary.csv"),
        ",pending,net-30",
        ",refunded,net-30",
    );
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    let rules_text = fs::read_to_string(rules()).unwrap();
    let status = line_of(&rules_text, "status = { column = \"status\"");
    let expected = format!(
        "{}:4:7: status 'refunded' has no mapping: rule {}:{status} (table invoices, field status) maps \
         'failed', 'paid', 'past_due', 'pending', 'processing', 'voided'",
        dir.join("invoices_summary.csv").display(),
        rules().display()
    );
    assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
}

#[test]
fn the_native_row_rules_hold_for_mapped_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    // A refund exported positive: the sign rule flips it negative, and the native rule
    // (a payments row's amount is positive) refuses it where the export wrote it.
    edit(&dir.join("transactions.csv"), "refund,-20.00", "refund,20.00");
    // A payment of an account that is not in the accounts export.
    edit(
        &dir.join("transactions.csv"),
        "bluewater,Ben Okafor",
        "nobody,Ben Okafor",
    );
    // A line id used twice.
    edit(&dir.join("adjustments.csv"), "a1002,", "a1001,");
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    let transactions = dir.join("transactions.csv").display().to_string();
    let adjustments = dir.join("adjustments.csv").display().to_string();
    for expected in [
        format!("{transactions}:6:5: amount '20.00' (negated: -20.00) must be greater than zero (column 'amount' → payments.amount"),
        format!(
            "{transactions}:3:1: unknown account 'nobody' (no such row in table accounts) (column 'account_code' → payments.account_id"
        ),
        format!("{adjustments}:3:1: duplicate id 'a1001' (first at {adjustments}:2) (column 'adjustment_id' → invoice_lines.id"),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    }
}

#[test]
fn an_error_in_the_rules_file_names_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(rules()).unwrap();
    let bad = text
        .replace("window = \"2026-03\"", "window = \"2026-3\"")
        .replace(
            "adjustment_total\"\nrevenue_rule",
            "adjustment_total\"\nrevenue_rul",
        )
        .replace(
            "date_format = \"%Y-%m-%d %H:%M:%S UTC\"",
            "date_format = \"%Y-%m-%d %Q\"",
        );
    let path = tmp.path().join("bad.rules.toml");
    fs::write(&path, &bad).unwrap();
    let stderr = refused(&path, &fixture(), &tmp.path().join("p.db"));
    let shown = path.display();
    for expected in [
        format!(
            "{shown}:{}: window = '2026-3': not a month",
            line_of(&bad, "window =")
        ),
        format!(
            "{shown}:{}: date_format '%Y-%m-%d %Q' is not a strftime format",
            line_of(&bad, "date_format =")
        ),
        format!(
            "{shown}:{}: table invoice_lines: no field 'revenue_rul'",
            line_of(&bad, "revenue_rul =")
        ),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    }

    // A TOML syntax error has its line too.
    fs::write(&path, "window = \"2026-03\"\n[[table]\n").unwrap();
    let stderr = refused(&path, &fixture(), &tmp.path().join("p.db"));
    assert!(stderr.contains(&format!("{shown}:2: ")), "{stderr}");
    // A field of a shape none of its forms takes names the forms, not serde's enum.
    let odd = text.replace(
        "total = \"",
        "total = { column = \"Gross\", multiply = 100 }\nignored = \"",
    );
    fs::write(&path, &odd).unwrap();
    let stderr = refused(&path, &fixture(), &tmp.path().join("p.db"));
    assert!(!stderr.contains("untagged enum"), "{stderr}");
    assert!(
        stderr.contains("a field is a column name (\"Amount\") or a table of column, value, map"),
        "{stderr}"
    );
}

#[test]
fn an_error_in_the_period_file_names_its_line_once() {
    // It was one line with the parser's caret art flattened into it, and it was followed by
    // "period.csv … no period row", a file that --map users do not have.
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    let toml = dir.join("closedesk.toml");
    let text = fs::read_to_string(&toml).unwrap();
    fs::write(&toml, text.replacen("close_owner = ", "close_owner = 5 #", 1)).unwrap();
    let line = line_of(&fs::read_to_string(&toml).unwrap(), "close_owner = 5");
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    assert!(
        stderr.contains(&format!(
            "closedesk.toml: line {line}, column 15: invalid type: integer `5`, expected a string"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("period.csv"), "{stderr}");
    assert!(!stderr.contains('|'), "{stderr}");
}

#[test]
fn untrusted_text_stays_inert() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    // An escape sequence and a bidi override in an export cell, and in the rules file.
    edit(
        &dir.join("adjustments.csv"),
        ",credit,",
        ",\u{1b}[31mcredit\u{202e},",
    );
    let text = fs::read_to_string(rules()).unwrap().replace(
        "name = \"accounts\"",
        // TOML escapes: the name read holds ESC and BEL.
        "name = \"acc\\u001b]0;owned\\u0007ounts\"",
    );
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{202e}'),
        "{stderr:?}"
    );
    assert!(
        // The bidi control shown escaped: it is why 'credit' has no mapping.
        stderr.contains("adjustment_type '\\x1b[31mcredit\\u{202e}' has no mapping"),
        "{stderr}"
    );

    let path = tmp.path().join("evil.rules.toml");
    fs::write(&path, text).unwrap();
    let stderr = refused(&path, &fixture(), &tmp.path().join("q.db"));
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    assert!(stderr.contains("name = 'acc\\x1b]0;owned\\x07ounts'"), "{stderr}");
}

#[test]
fn map_is_not_combined_with_stripe() {
    let tmp = tempfile::tempdir().unwrap();
    let output = closedesk()
        .args(["import", "--from", "stripe", "--map"])
        .arg(rules())
        .arg(fixture())
        .arg("--out")
        .arg(tmp.path().join("p.db"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot be used with"));
}

/// An invoice as stored: id, account, status, voided_at, due_date, total and balance in cents.
type InvoiceRow = (String, String, String, Option<String>, String, i64, i64);

#[test]
fn minor_units_a_day_first_date_format_and_constants() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("export");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(fixture().join("closedesk.toml"), dir.join("closedesk.toml")).unwrap();
    fs::write(
        dir.join("customers.csv"),
        "Customer Id,Company\nC1,Acme\nC2,\"Blue, Inc.\"\n",
    )
    .unwrap();
    // Amounts in cents, dates day first; a credit note exported as a negative invoice.
    fs::write(
        dir.join("invoices.csv"),
        "Invoice Number,Customer Id,Status,Invoice Date,Due Date,Amount,Amount Due\n\
         I-1,C1,paid,02/03/2026,01/04/2026,12550,0\n\
         I-2,C2,not_paid,15/03/2026,14/04/2026,9900,9900\n\
         I-3,C1,voided,20/03/2026,19/04/2026,500,0\n",
    )
    .unwrap();
    let rules = tmp.path().join("rules.toml");
    fs::write(
        &rules,
        r#"window = "2026-03"
amounts = "minor"
date_format = "%d/%m/%Y"
absent = ["invoice_lines", "payments", "credits", "disbursements", "ledger", "usage_events",
          "export_batches", "export_lines", "employer_programs", "program_statements", "statement_lines"]

[[table]]
name = "accounts"
file = "customers.csv"
fields = { id = "Customer Id", name = "Company", kind = { value = "customer" } }

[[table]]
name = "invoices"
file = "invoices.csv"
[table.fields]
id = "Invoice Number"
account_id = "Customer Id"
status = { column = "Status", map = { paid = "closed", not_paid = "posted", voided = "void" } }
posted_at = "Invoice Date"
voided_at = { column = "Invoice Date", when = { Status = "voided" } }
due_date = "Due Date"
total = "Amount"
balance = "Amount Due"
"#,
    )
    .unwrap();
    let out = tmp.path().join("p.db");
    let output = import(&rules, &dir, &out);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let conn = rusqlite::Connection::open(&out).unwrap();
    let rows: Vec<InvoiceRow> = conn
        .prepare("SELECT id, account_id, status, voided_at, due_date, total_cents, balance_cents FROM invoices ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let row = |id: &str, account: &str, status: &str, voided: Option<&str>, due: &str, total, balance| {
        (
            id.into(),
            account.into(),
            status.into(),
            voided.map(String::from),
            due.into(),
            total,
            balance,
        )
    };
    assert_eq!(
        rows,
        vec![
            row("I-1", "C1", "closed", None, "2026-04-01", 12_550, 0),
            row("I-2", "C2", "posted", None, "2026-04-14", 9_900, 9_900),
            row("I-3", "C1", "void", Some("2026-03-20"), "2026-04-19", 500, 0),
        ]
    );
    let json = json_of(&["reconcile"], &out);
    assert_eq!(cents(&json, "steps.posted.invoice_totals_posted"), 22_450);
    // Only disbursement reduces AR, and this export has no payments: I-1 "paid" stays AR
    // (the platform's own balance column says 0.00).
    assert_eq!(cents(&json, "steps.posted.invoice_balances_closing_ar"), 22_450);

    // Decimals where minor units are expected: refused at the cell, naming the unit's rule.
    edit(&dir.join("invoices.csv"), ",9900,9900", ",99.00,9900");
    let stderr = refused(&rules, &dir, &tmp.path().join("q.db"));
    let expected = format!(
        "{}:3:6: Amount '99.00' is not a whole number of minor units (rule {}:22 (table invoices, field total), amounts = \"minor\" at {}:2)",
        dir.join("invoices.csv").display(),
        rules.display(),
        rules.display()
    );
    assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");

    // Minor units are the period currency's: in KWD (three decimals) 12550 is 12.550 fils
    // ×1000, not 125.500, and the period file's materiality 500 is 0.500.
    edit(&dir.join("invoices.csv"), ",99.00,9900", ",9900,9900");
    edit(
        &dir.join("closedesk.toml"),
        "currency = \"USD\"",
        "currency = \"KWD\"",
    );
    let kwd = tmp.path().join("kwd.db");
    let output = import(&rules, &dir, &kwd);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let conn = rusqlite::Connection::open(&kwd).unwrap();
    let (total, medium, high): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT total_cents FROM invoices WHERE id = 'I-1'),
                    materiality_medium_cents, materiality_high_cents FROM period",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((total, medium, high), (12_550, 500, 50_000));
    let status = json_of(&["status"], &kwd);
    assert_eq!(status["posted_receivables"].to_string(), "22.450");
}

#[test]
fn a_column_a_rule_names_must_be_in_the_header_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    edit(
        &dir.join("accounts.csv"),
        "account_code,account_email",
        "account_code,account_code",
    );
    edit(
        &dir.join("transactions.csv"),
        ",original_transaction_id",
        ",original_txn",
    );
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    let text = fs::read_to_string(rules()).unwrap();
    let shown = rules().display().to_string();
    for expected in [
        format!(
            "{}:1: column 'account_code' is in the header more than once: which one is meant (table accounts, field id, rule {shown}:{})?",
            dir.join("accounts.csv").display(),
            line_of(&text, "id = \"account_code\"")
        ),
        format!(
            "{}:1: no column 'original_transaction_id' in the header (table payments, field related_payment_id, rule {shown}:{})",
            dir.join("transactions.csv").display(),
            line_of(&text, "related_payment_id =")
        ),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    }
    // The mapping's own problems come first; what the native rules then find in the rows
    // it made (accounts it could not map, unknown to every invoice) follows them.
    let lines: Vec<&str> = stderr.lines().skip(1).collect();
    let own = |l: &str| l.contains(" in the header") || l.contains(": the header read: ");
    let first_other = lines.iter().position(|l| !own(l)).unwrap_or(lines.len());
    assert!(first_other >= 2, "{stderr}");
    assert!(lines[first_other..].iter().all(|l| !own(l)), "{stderr}");
}

/// A row in another currency was booked as the period's: EUR 60.00 stored as 6000 US cents.
/// The rules name each export's currency column (`currency = "currency"`), and a row whose
/// currency is not the period's is refused at its cell, once however many rules read it.
#[test]
fn a_row_in_another_currency_is_refused_at_its_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    // t004: a payment on account, read by the payments rule only.
    edit(
        &dir.join("transactions.csv"),
        "60.00,0.00,USD,",
        "60.00,0.00,EUR,",
    );
    // t001: a purchase applied to invoice 1001, read by three rules (payments,
    // disbursements, ledger), in lower case.
    edit(
        &dir.join("transactions.csv"),
        "108.00,8.00,USD,",
        "108.00,8.00,eur,",
    );
    // Invoice 1002, read by the invoices, tax line and ledger rules.
    edit(&dir.join("invoices_summary.csv"), "net-30,USD,", "net-30,GBP,");
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    for expected in [
        "transactions.csv:5:7: currency EUR is not the period's USD: a period is in one currency, and this \
         row's amounts cannot be booked as USD (table payments, currency = \"currency\", rule ",
        "transactions.csv:2:7: currency EUR is not the period's USD",
        "invoices_summary.csv:3:9: currency GBP is not the period's USD",
        "convert the row, or leave it out (skip = { currency = \"EUR\" }) and account for it elsewhere",
    ] {
        assert!(stderr.contains(expected), "{expected:?} not in:\n{stderr}");
    }
    assert_eq!(stderr.matches("is not the period's USD").count(), 3, "{stderr}");

    // An empty cell is no currency, not the period's.
    let dir = copy_dir(&fixture(), &tmp.path().join("empty"));
    edit(&dir.join("transactions.csv"), "60.00,0.00,USD,", "60.00,0.00,,");
    let stderr = refused(&rules(), &dir, &tmp.path().join("q.db"));
    assert!(
        stderr.contains(
            "transactions.csv:5:7: no currency (the cell is empty), and the period's is USD: a period is in one currency"
        ),
        "{stderr}"
    );

    // The code in any case is the period's: the figures of the fixture's README.md.
    let dir = copy_dir(&fixture(), &tmp.path().join("lower"));
    edit(
        &dir.join("transactions.csv"),
        "60.00,0.00,USD,",
        "60.00,0.00,usd,",
    );
    let out = tmp.path().join("r.db");
    let output = import(&rules(), &dir, &out);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = json_of(&["reconcile"], &out);
    assert_eq!(cents(&json, "steps.applied.unapplied_total"), 4_000);
    assert_eq!(cents(&json, "steps.posted.invoice_balances_closing_ar"), 22_500);

    // A currency column the export does not have is named at its header, with the rule.
    let dir = copy_dir(&fixture(), &tmp.path().join("renamed"));
    edit(&dir.join("transactions.csv"), ",currency,", ",currency_code,");
    let stderr = refused(&rules(), &dir, &tmp.path().join("s.db"));
    assert!(
        stderr.contains(
            "transactions.csv:1: no column 'currency' in the header (table payments currency, rule "
        ),
        "{stderr}"
    );
}

/// A row a `rows`/`skip` condition left out was only counted ("2 of 4"): a 60.00 payment
/// whose status read `Success` vanished from a clean period. The summary now says, per
/// table rule and condition, which values were left out, how often and where.
#[test]
fn rows_left_out_are_reported_per_value() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("p.db");
    let output = import(&rules(), &fixture(), &out);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    let text = fs::read_to_string(rules()).unwrap();
    let payments = line_of(&text, "name = \"payments\"") - 1;
    let void = line_of(&text, "rows = { status = \"voided\" }") - 4;
    for expected in [
        format!(
            "  transactions.csv → payments (rule recurly.rules.toml:{payments}): 1 row left out by \
             rows = {{ status = \"success\", type = [\"purchase\", \"refund\"] }}: status \"declined\" (line 4)"
        ),
        format!(
            "  invoices_summary.csv → ledger (rule recurly.rules.toml:{void}): 3 rows left out by \
             rows = {{ status = \"voided\" }}: status \"paid\" (line 2), status \"past_due\" (line 3), \
             status \"pending\" (line 4)"
        ),
        "1 row left out by skip = { invoice_number = \"\" }: invoice_number \"\" (line 5)".to_string(),
    ] {
        assert!(printed.contains(&expected), "{expected}\nnot in:\n{printed}");
    }
}

/// The fixture's transactions export with CRLF line ends, t001's message quoted over two
/// lines (so every later row starts one line further down), and `edit` applied.
fn crlf_transactions(dir: &Path, edit: (&str, &str)) {
    let path = dir.join("transactions.csv");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replacen(
            "This transaction has been approved,FALSE,1001",
            "\"This transaction\nhas been approved\",FALSE,1001",
            1,
        )
        .replacen(edit.0, edit.1, 1)
        .replace('\n', "\r\n");
    fs::write(&path, text).unwrap();
}

/// The csv reader counts a CRLF export's lines one short (native import counts right):
/// a row on line 4 was reported at :3, and the rows left out at the line before theirs.
#[test]
fn lines_are_counted_right_in_a_crlf_export_with_a_cell_over_two_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    // t002 is on line 4 (t001 takes lines 2 and 3); its account_code is column 1.
    crlf_transactions(&dir, ("bluewater,Ben Okafor", "nobody,Ben Okafor"));
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    let at = format!(
        "{}:4:1: unknown account 'nobody'",
        dir.join("transactions.csv").display()
    );
    assert!(stderr.contains(&at), "{at}\nnot in:\n{stderr}");
    assert!(!stderr.contains(":3:1:"), "{stderr}");

    // The same export, importable: t003 (declined) is on line 5, t004 (no invoice) on 6.
    let dir = copy_of_fixture(&tmp.path().join("ok"));
    crlf_transactions(&dir, ("", ""));
    let output = import(&rules(), &dir, &tmp.path().join("ok.db"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "status \"declined\" (line 5)",
        "invoice_number \"\" (line 6)",
        "type \"refund\" (line 7)",
    ] {
        assert!(printed.contains(expected), "{expected}\nnot in:\n{printed}");
    }
}

/// A value that differs from one a condition lists only by case or surrounding spaces is a
/// mistake to fix, not a row to leave out: `Success` where the rule says `success`.
#[test]
fn a_value_differing_from_a_listed_one_only_by_case_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    // t004, a payment on account of 60.00 (read by the payments rule only: it names no
    // invoice, which the other purchase rules skip).
    edit(
        &dir.join("transactions.csv"),
        "USD,2026-03-25 11:00:00 UTC,success,",
        "USD,2026-03-25 11:00:00 UTC,Success,",
    );
    // Without the refund that names it (as in the audit's case): the old import took the
    // rest and said the period was clean.
    let transactions = fs::read_to_string(dir.join("transactions.csv")).unwrap();
    let refund = transactions.lines().find(|l| l.contains(",refund,")).unwrap();
    edit(&dir.join("transactions.csv"), &format!("{refund}\n"), "");
    // t002, read by three rules: named once.
    edit(
        &dir.join("transactions.csv"),
        "2026-03-20 15:02:11 UTC,success,",
        "2026-03-20 15:02:11 UTC, success ,",
    );
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    let text = fs::read_to_string(rules()).unwrap();
    let payments = line_of(&text, "name = \"payments\"") - 1;
    let expected = format!(
        "{}:5:9: status 'Success' is not listed by rows = {{ status = \"success\", type = [\"purchase\", \
         \"refund\"] }} (table payments, rule {}:{payments}), but differs from 'success' only by case: did \
         you mean 'success'? The row would be left out without a word: correct the cell, or list the value \
         as the export writes it (status = [\"success\", \"Success\"])",
        dir.join("transactions.csv").display(),
        rules().display()
    );
    assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    assert!(
        stderr.contains("transactions.csv:3:9: status ' success ' is not listed by rows ="),
        "{stderr}"
    );
    assert!(stderr.contains("only by surrounding spaces"), "{stderr}");
    assert_eq!(stderr.matches("transactions.csv:3:9:").count(), 1, "{stderr}");
}

/// `%Z` reads a time-zone name and chrono drops it: `2026-03-31 23:30:00 EST` was booked on
/// March 31st, where its UTC day is April 1st (the next period). A rules file with `%Z` is
/// refused when it is read, at the line of its date_format.
#[test]
fn a_date_format_reading_a_zone_name_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(rules()).unwrap();
    let line = line_of(&text, "date_format = \"%Y-%m-%d %H:%M:%S UTC\"");
    let zoned = tmp.path().join("zoned.rules.toml");
    fs::write(
        &zoned,
        text.replacen("%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%d %H:%M:%S %Z", 1),
    )
    .unwrap();
    let dir = copy_of_fixture(tmp.path());
    edit(
        &dir.join("transactions.csv"),
        "2026-03-25 11:00:00 UTC",
        "2026-03-31 23:30:00 EST",
    );
    let stderr = refused(&zoned, &dir, &tmp.path().join("p.db"));
    let expected = format!(
        "{}:{line}: date_format '%Y-%m-%d %H:%M:%S %Z': %Z reads a time-zone name (EST, CET), which \
         closedesk cannot turn into UTC",
        zoned.display()
    );
    assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    assert!(
        stderr.contains("write the dates in UTC") && stderr.contains("%z (-0500) or %:z (-05:00)"),
        "{stderr}"
    );
}

/// A UTF-16 export, or one separated by ';', gave a "no column" line per column each rule
/// names (34 of them for transactions.csv): the file is named once, with the fix. A column
/// missing from a header read right shows that header, and a name it spells otherwise only
/// by case.
#[test]
fn a_misread_export_is_named_once_and_a_header_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    let path = dir.join("transactions.csv");
    let text = fs::read_to_string(&path).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    fs::write(&path, utf16).unwrap();
    let accounts = dir.join("accounts.csv");
    let accounts_text = fs::read_to_string(&accounts).unwrap();
    fs::write(&accounts, accounts_text.replace(',', ";")).unwrap();
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    let expected = format!(
        "{}:1: not UTF-8: looks like UTF-16 (little-endian, it starts with the byte-order mark FF FE) — save \
         it as UTF-8 (in Excel: Save As, \"CSV UTF-8 (Comma delimited)\")",
        path.display()
    );
    assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    let expected = format!(
        "{}:1: the header was read as one column 'account_code;account_email;account_username;account_company_…': \
         this file is separated by ';', closedesk reads ',' — export or save it comma-separated",
        accounts.display()
    );
    assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    assert!(!stderr.contains("no column"), "{stderr}");
    assert_eq!(stderr.matches("transactions.csv:1:").count(), 1, "{stderr}");

    let dir = copy_dir(&fixture(), &tmp.path().join("case"));
    edit(&dir.join("accounts.csv"), "account_code,", "Account_Code,");
    let stderr = refused(&rules(), &dir, &tmp.path().join("q.db"));
    for expected in [
        "accounts.csv:1: no column 'account_code' in the header (table accounts, field id, rule ",
        "); did you mean 'Account_Code'?",
        "accounts.csv:1: the header read: 'Account_Code', 'account_email', 'account_username', \
         'account_company_name', 'account_first_name', 'account_last_name', 'account_has_billing_info', \
         'account_created_at' (8 columns); a column a rule names is spelled exactly as here, case and spaces too",
    ] {
        assert!(stderr.contains(expected), "{expected}\nnot in:\n{stderr}");
    }
}

/// A bad amount on a rule with `negate_when` was said to be "negated" on every row, also
/// those the condition does not select; a minor-units cell was quoted as converted (`0` as
/// '0.00'), a value not in the file. The cell is quoted as read, "negated" only where it is.
#[test]
fn a_bad_amount_is_quoted_as_read_and_negated_only_where_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    // t004, a purchase: the refund rule's negate_when does not select it.
    edit(
        &dir.join("transactions.csv"),
        ",60.00,0.00,USD,",
        ",$60.00,0.00,USD,",
    );
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    assert!(
        stderr.contains("transactions.csv:5:5: amount '$60.00': ")
            && stderr.contains("(column 'amount' → payments.amount, rule "),
        "{stderr}"
    );
    assert!(!stderr.contains("negated"), "{stderr}");
    // The way out: the export read as the spreadsheet wrote it.
    assert!(
        stderr.contains(&format!(
            "; amounts written as a spreadsheet shows them ($1,250.00, (12.00)) are read as written with \
             amounts = \"accounting\" (amounts = \"major\" at {}:14)",
            rules().display()
        )),
        "{stderr}"
    );

    // The payments rule in minor units: t004's cell 0 is quoted as 0, not 0.00.
    let dir = copy_dir(&fixture(), &tmp.path().join("minor"));
    let text = fs::read_to_string(rules()).unwrap();
    let minor = tmp.path().join("minor.rules.toml");
    fs::write(
        &minor,
        text.replacen(
            "name = \"payments\"\n",
            "name = \"payments\"\namounts = \"minor\"\n",
            1,
        ),
    )
    .unwrap();
    for (from, to) in [
        (",108.00,8.00,", ",10800,8.00,"),
        (",100.00,0.00,", ",10000,0.00,"),
        (",60.00,0.00,", ",0,0.00,"),
        (",-20.00,0.00,", ",2000,0.00,"),
    ] {
        edit(&dir.join("transactions.csv"), from, to);
    }
    let stderr = refused(&minor, &dir, &tmp.path().join("q.db"));
    assert!(
        stderr.contains(
            "transactions.csv:5:5: amount '0' must be greater than zero (column 'amount' → payments.amount, \
             from minor units, rule "
        ),
        "{stderr}"
    );
    // The refund exported positive, negated: the cell as read, and what the rule made of it.
    assert!(
        stderr.contains(
            "transactions.csv:6:5: amount '2000' (negated: -20.00) must be greater than zero (column 'amount' → \
             payments.amount, negated, rule "
        ),
        "{stderr}"
    );
}

/// A team's export as a spreadsheet saves it (Excel's accounting and currency formats:
/// `$ 1,250.00`, `(20.00)`, `$ -`) is read with `amounts = "accounting"`, no converter:
/// the same figures as the plain export, by hand in the fixture's README. A cell the format
/// does not write is refused at its cell, never guessed.
#[test]
fn amounts_written_as_a_spreadsheets_accounting_format_give_the_same_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    let text = fs::read_to_string(rules()).unwrap();
    let accounting = tmp.path().join("accounting.rules.toml");
    fs::write(
        &accounting,
        text.replacen("amounts = \"major\"", "amounts = \"accounting\"", 1),
    )
    .unwrap();
    // INV 1002: 250.00 with 100.00 paid; the goodwill credit -5.00; the refund -20.00;
    // INV 1001's tax 8.00 and a zero balance as the accounting format shows them.
    for (file, from, to) in [
        (
            "invoices_summary.csv",
            ",USD,250.00,0.00,250.00,100.00,150.00",
            ",USD,\"$ 250.00 \",$ -,\"$250.00\",$100.00,\"$ 150.00\"",
        ),
        (
            "invoices_summary.csv",
            ",USD,100.00,8.00,108.00,108.00,0.00",
            ",USD,100.00,$8.00,\"$ 108.00\",108.00,\"$ -   \"",
        ),
        ("adjustments.csv", ",-5.00", ",\"($5.00)\""),
        ("adjustments.csv", ",250.00", ",\"$ 250.00\""),
        ("transactions.csv", ",-20.00,0.00,", ",(20.00),$ -,"),
        ("transactions.csv", ",100.00,0.00,", ",\"$ 100.00\",0.00,"),
    ] {
        edit(&dir.join(file), from, to);
    }
    let out = tmp.path().join("accounting.db");
    let output = import(&accounting, &dir, &out);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = json_of(&["reconcile"], &out);
    for (path, want) in [
        ("steps.posted.invoice_totals_posted", 43_300),
        ("steps.posted.invoice_balances_closing_ar", 22_500),
        ("steps.applied.disbursements_total", 20_800),
        ("steps.applied.unapplied_total", 4_000),
        ("steps.rollforward.totals.ledger_closing_ar", 22_500),
        ("steps.revenue.total.recognized_in_window", 42_500),
        ("steps.revenue.tax.billed_in_window", 800),
    ] {
        assert_eq!(cents(&json, path), want, "{path}");
    }
    assert_eq!(
        json["mismatches"].as_array().unwrap().len(),
        0,
        "{}",
        json["mismatches"]
    );

    // A decimal comma, and a euro in a dollar period: each refused where it stands.
    edit(
        &dir.join("transactions.csv"),
        ",\"$ 100.00\",0.00,",
        ",\"100,5\",0.00,",
    );
    edit(&dir.join("transactions.csv"), ",60.00,0.00,", ",€60.00,0.00,");
    let stderr = refused(&accounting, &dir, &tmp.path().join("refused.db"));
    let rules_line = line_of(&text, "amounts = \"major\"");
    for want in [
        format!(
            "transactions.csv:3:5: amount '100,5' has a decimal comma: the accounting format reads 1,234.56 \
             (a comma groups thousands, a point starts the decimals) (rule {}:{} (table payments, field amount)",
            accounting.display(),
            line_of(&text, "amount = { column = \"amount\", negate_when")
        ),
        format!("amounts = \"accounting\" at {}:{rules_line})", accounting.display()),
        "transactions.csv:5:5: amount '€60.00' has the sign €, not the period's USD ($): a period is in one currency"
            .to_string(),
    ] {
        assert!(stderr.contains(&want), "{want:?} not in:\n{stderr}");
    }
}

/// A `when` or `negate_when` that would hold but for a cell differing only by case (`Voided`
/// against `voided`) is refused at the row, as `rows` and `skip` are: it emptied the void
/// date (the row then refused for a reason that named the wrong cell), or left a refund's
/// sign unflipped without a word.
#[test]
fn a_when_or_negate_when_that_misses_only_by_case_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    let text = fs::read_to_string(rules()).unwrap();
    let cased = tmp.path().join("cased.rules.toml");
    fs::write(
        &cased,
        text.replacen("voided = \"void\" }", "voided = \"void\", Voided = \"void\" }", 1)
            .replacen(
                "negate_when = { type = \"refund\" }",
                "negate_when = { type = \"Refund\" }",
                1,
            ),
    )
    .unwrap();
    edit(&dir.join("invoices_summary.csv"), ",voided,", ",Voided,");
    let stderr = refused(&cased, &dir, &tmp.path().join("p.db"));
    let when = line_of(&text, "voided_at = { column = \"closed_at\"");
    let negate = line_of(&text, "amount = { column = \"amount\", negate_when");
    for want in [
        format!(
            "invoices_summary.csv:5:6: status 'Voided' differs from 'voided' only by case or spaces, so the \
             condition does not hold: refused, never guessed; list the value as the export writes it (when = \
             {{ status = \"voided\" }}, rule {}:{when} (table invoices, field voided_at))",
            cased.display()
        ),
        format!(
            "transactions.csv:6:5: type 'refund' differs from 'Refund' only by case or spaces, so the condition \
             does not hold: refused, never guessed; list the value as the export writes it (negate_when = \
             {{ type = \"Refund\" }}, rule {}:{negate} (table payments, field amount))",
            cased.display()
        ),
    ] {
        assert!(stderr.contains(&want), "{want:?} not in:\n{stderr}");
    }
}

/// An export whose header is saved in Windows-1252 is named for its encoding at the header
/// cell (it was "no column 'account_company_name'"), and the rows that refer to the table
/// it could not fill are counted once, not listed one by one as unknown accounts.
#[test]
fn a_header_in_another_encoding_is_named_and_its_consequences_counted_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    let path = dir.join("accounts.csv");
    let mut bytes = fs::read(&path).unwrap();
    let at = bytes
        .windows(20)
        .position(|w| w == b"account_company_name")
        .unwrap();
    // `account_company_nameé` in Windows-1252: é is the single byte 0xE9.
    bytes.splice(at + 20..at + 20, [0xE9]);
    fs::write(&path, bytes).unwrap();
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    assert!(
        stderr.contains(
            "accounts.csv:1:4: the header's column 4 is not valid UTF-8 ('account_company_name\u{FFFD}': saved in \
             another encoding, e.g. Windows-1252?), so no rule can name it: save the file as UTF-8"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("unknown account"), "{stderr}");
    assert!(
        stderr.contains("rows referring to table accounts not checked: its export could not be read"),
        "{stderr}"
    );
}

/// A report that puts title lines above its header (QuickBooks, a saved spreadsheet) is read
/// with `header_line = N`; without it, the line that holds every column the rules name is
/// pointed at. Line numbers stay the file's.
#[test]
fn title_lines_above_the_header_are_passed_over_with_header_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    let path = dir.join("accounts.csv");
    let text = fs::read_to_string(&path).unwrap();
    // Three lines above the header: a title, a quoted line with a comma, an empty line.
    fs::write(
        &path,
        // Below the rows, two with every cell empty around a blank line.
        format!("Crane Care — Accounts\r\n\"Exported 2026-04-02, UTC\"\r\n\r\n{text},,,,,,,\n\n,,,,,,,\n"),
    )
    .unwrap();
    let stderr = refused(&rules(), &dir, &tmp.path().join("p.db"));
    let table_line = line_of(&fs::read_to_string(rules()).unwrap(), "name = \"accounts\"") - 1;
    assert!(
        stderr.contains(&format!(
            "accounts.csv:4: this line holds every column the rules name for table accounts: the header, below \
             title lines? name its line: header_line = 4 (in the table's rule, {}:{table_line})",
            rules().display()
        )),
        "{stderr}"
    );

    let rules_text = fs::read_to_string(rules()).unwrap();
    let with = tmp.path().join("titled.rules.toml");
    fs::write(
        &with,
        rules_text.replacen(
            "file = \"accounts.csv\"\n",
            "file = \"accounts.csv\"\nheader_line = 4\n",
            1,
        ),
    )
    .unwrap();
    let out = tmp.path().join("titled.db");
    let output = import(&with, &dir, &out);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = json_of(&["reconcile"], &out);
    assert_eq!(cents(&json, "steps.posted.invoice_totals_posted"), 43_300);
    assert_eq!(json["mismatches"].as_array().unwrap().len(), 0);

    // Rows a spreadsheet saved with every cell empty are passed over, and said so.
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains(&format!("accounts.csv → accounts (rule titled.rules.toml:{table_line}): 2 rows with every cell empty passed over (lines 8, 10)")), "{printed}");

    // A bad cell on the file's line 6 (the header's line 4, then acme, then bluewater).
    edit(&path, "\nbluewater,billing@", "\n,billing@");
    let stderr = refused(&with, &dir, &tmp.path().join("q.db"));
    assert!(stderr.contains("accounts.csv:6:1: "), "{stderr}");

    // A name over two lines (lines 5 and 6 of the file): the quoted cell runs on to the
    // file's line 6, not the mapped table's.
    edit(&path, "\n,billing@", "\nbluewater,billing@");
    edit(&path, ",Acme Clinics,", ",\"Acme\nClinics\",");
    let stderr = refused(&with, &dir, &tmp.path().join("q.db"));
    assert!(
        stderr.contains(
            "accounts.csv:5:4: line break inside name, which holds one line: a quote may be unbalanced \
             (the quoted cell runs on to line 6: 'Acme\\nClinics')"
        ),
        "{stderr}"
    );

    // A header line past the end of the file.
    fs::write(
        &with,
        rules_text.replacen(
            "file = \"accounts.csv\"\n",
            "file = \"accounts.csv\"\nheader_line = 40\n",
            1,
        ),
    )
    .unwrap();
    let stderr = refused(&with, &dir, &tmp.path().join("r.db"));
    assert!(
        stderr.contains("accounts.csv: the file has fewer than 40 lines, and its header is on line 40"),
        "{stderr}"
    );
}

/// A refund the export writes negative, read by a rule that does not flip its sign, is
/// refused as the native rules say, with the rule's way out.
#[test]
fn a_negative_amount_where_the_table_wants_positive_names_the_sign_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    let text = fs::read_to_string(rules()).unwrap();
    let unsigned = tmp.path().join("unsigned.rules.toml");
    fs::write(
        &unsigned,
        text.replacen(
            "amount = { column = \"amount\", negate_when = { type = \"refund\" } }",
            "amount = \"amount\"",
            1,
        ),
    )
    .unwrap();
    let stderr = refused(&unsigned, &dir, &tmp.path().join("p.db"));
    assert!(
        stderr.contains(
            "transactions.csv:6:5: amount '-20.00' must be greater than zero (column 'amount' → payments.amount, \
             rule "
        ) && stderr.contains(
            "); an export that writes these rows negative (refunds, credit notes): flip the sign in the rule, \
             negate = true, or negate_when = { Column = [\"value\"] } for some rows"
        ),
        "{stderr}"
    );
    // Written as a spreadsheet writes it: `($20.00)` is read negative and named so; `$ -`
    // is zero, which no sign rule helps (it had the hint, and `($20.00)` had none).
    let text = fs::read_to_string(&unsigned).unwrap();
    fs::write(
        &unsigned,
        text.replacen("amounts = \"major\"", "amounts = \"accounting\"", 1),
    )
    .unwrap();
    edit(&dir.join("transactions.csv"), ",-20.00,", ",($20.00),");
    edit(&dir.join("transactions.csv"), ",60.00,0.00,", ",$ -,0.00,");
    let stderr = refused(&unsigned, &dir, &tmp.path().join("q.db"));
    let lines: Vec<&str> = stderr.lines().collect();
    let refund = lines
        .iter()
        .find(|l| l.contains("transactions.csv:6:5: amount '($20.00)'"))
        .expect(&stderr);
    assert!(refund.contains("flip the sign in the rule"), "{stderr}");
    let zero = lines
        .iter()
        .find(|l| l.contains("transactions.csv:5:5: amount '$ -'"))
        .expect(&stderr);
    assert!(!zero.contains("flip the sign"), "{stderr}");
}

/// `period_file` is a file name in DIR, as a table's `file =` is: a path to any file (an
/// absolute one, or out of DIR with `..`) was opened and its lines quoted in the errors
/// (found by a black-box audit). Refused at its rules-file line; nothing of it is read.
#[test]
fn a_period_file_outside_dir_is_refused_at_its_line_and_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_fixture(tmp.path());
    let secret = tmp.path().join("secret.toml");
    fs::write(&secret, "password = \"hunter2-SECRET\"\n").unwrap();
    let text = fs::read_to_string(rules()).unwrap();
    let path = tmp.path().join("outside.rules.toml");
    let shown = path.display().to_string();
    for period_file in [
        secret.display().to_string(),
        "../secret.toml".to_string(),
        "..".to_string(),
        "sub\\secret.toml".to_string(),
    ] {
        let bad = text.replacen(
            "window = \"2026-03\"",
            &format!("window = \"2026-03\"\nperiod_file = '{period_file}'"),
            1,
        );
        fs::write(&path, &bad).unwrap();
        let stderr = refused(&path, &dir, &tmp.path().join("p.db"));
        let expected = format!(
            "{shown}:{}: period_file = '{period_file}': a file name in DIR (no directory)",
            line_of(&bad, "period_file =")
        );
        assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
    // A file name in DIR is still read.
    fs::rename(dir.join("closedesk.toml"), dir.join("period.toml")).unwrap();
    let good = text.replacen(
        "window = \"2026-03\"",
        "window = \"2026-03\"\nperiod_file = \"period.toml\"",
        1,
    );
    fs::write(&path, &good).unwrap();
    let output = import(&path, &dir, &tmp.path().join("p.db"));
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}
