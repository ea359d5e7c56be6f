//! CSV import: the minimal fixture imports and reads back; each class of rejected value is
//! reported as `file:line:column: reason`; a failed import leaves nothing behind.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use closedesk::import::{self, ImportError, FILES, MAX_PROBLEMS};
use closedesk::money::Money;
use closedesk::snapshot::schema::SOURCE_TABLES;
use closedesk::snapshot::Snapshot;
use tempfile::TempDir;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import-minimal");

/// A fresh copy of the minimal fixture.
fn fixture() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, _) in FILES {
        fs::copy(Path::new(FIXTURE).join(name), dir.path().join(name)).unwrap();
    }
    dir
}

/// Replaces the one occurrence of `from` in `file` by `to` (bytes, so invalid UTF-8 can
/// be written).
fn edit(dir: &Path, file: &str, from: &str, to: &[u8]) {
    let path = dir.join(file);
    let bytes = fs::read(&path).unwrap();
    let at: Vec<usize> = bytes
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from.as_bytes())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "{from:?} must occur exactly once in {file}");
    let mut out = bytes[..at[0]].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&bytes[at[0] + from.len()..]);
    fs::write(&path, out).unwrap();
}

/// Appends one line (LF-terminated) to `file`.
fn append(dir: &Path, file: &str, line: &str) {
    let path = dir.join(file);
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str(line);
    text.push('\n');
    fs::write(&path, text).unwrap();
}

/// The problems of reading `dir`, printed, with `dir/` left out of the file names. The
/// import itself (which writes as it reads) finds the very same, and leaves no file.
fn problems(dir: &Path) -> Vec<String> {
    let prefix = format!("{}/", dir.display());
    let printed = |result: Result<(), ImportError>| -> Vec<String> {
        match result {
            Ok(()) => panic!("the import of {} was accepted", dir.display()),
            Err(ImportError::Problems { problems, more }) => {
                assert_eq!(more, 0, "more problems than listed");
                problems
                    .iter()
                    .map(|p| p.to_string().strip_prefix(&prefix).unwrap().to_string())
                    .collect()
            }
            Err(other) => panic!("expected problems, got: {other}"),
        }
    };
    let read = printed(import::read_dir(dir).map(|_| ()));
    let out_dir = tempfile::tempdir().unwrap();
    let imported = printed(import::import_dir(dir, &out_dir.path().join("p.db"), false).map(|_| ()));
    assert_eq!(imported, read, "import_dir and read_dir find the same");
    assert_eq!(listing(out_dir.path()), Vec::<String>::new());
    read
}

/// Breaks the fixture with `edits` (file, from, to) and returns the problems.
fn broken(edits: &[(&str, &str, &str)]) -> Vec<String> {
    let dir = fixture();
    for (file, from, to) in edits {
        edit(dir.path(), file, from, to.as_bytes());
    }
    problems(dir.path())
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// --- the valid fixture -----------------------------------------------------------------

#[test]
fn minimal_fixture_imports_and_reads_back() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("p.db");
    let data = import::import_dir(Path::new(FIXTURE), &out, false).unwrap();

    // Nothing but the snapshot itself is left: no temporary file, no -wal or -shm.
    assert_eq!(listing(out_dir.path()), vec!["p.db"]);

    let snapshot = Snapshot::open(&out).unwrap();
    assert_eq!(snapshot.period().unwrap(), data.period);
    assert_eq!(data.period.id, "2026-03");
    assert_eq!(data.period.materiality_high, Money::from_cents(50_000));
    let expected: [(&str, i64); 17] = [
        ("period", 1),
        ("lane_owners", 2),
        ("accounts", 3),
        ("invoices", 4),
        ("invoice_lines", 4),
        ("payments", 3),
        ("credits", 2),
        ("disbursements", 1),
        ("ledger", 6),
        ("usage_events", 2),
        ("export_batches", 1),
        ("export_lines", 2),
        ("employer_programs", 1),
        ("program_statements", 1),
        ("statement_lines", 1),
        ("roster", 2),
        ("checklist", 8),
    ];
    for (table, rows) in expected {
        assert_eq!(snapshot.table_count(table).unwrap(), rows, "{table}");
    }
    assert_eq!(expected.len(), SOURCE_TABLES.len() + 1);
    assert_eq!(snapshot.table_count("audit_log").unwrap(), 0);
    assert!(snapshot.table_count("sqlite_schema").is_err());
}

#[test]
fn an_import_reconciles_once_and_stores_the_result() {
    use closedesk::reconcile::{self, stored};
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("p.db");
    import::import_dir(Path::new(FIXTURE), &out, false).unwrap();
    let snapshot = Snapshot::open(&out).unwrap();
    // The first status, cockpit or action after an import reads the stored result: the
    // engine does not run again (issue 15, "reconcile once per import").
    let runs = reconcile::engine_runs();
    let current = stored::current(&snapshot).unwrap();
    assert!(
        matches!(current.freshness, stored::Freshness::Stored { .. }),
        "{:?}",
        current.freshness
    );
    assert_eq!(reconcile::engine_runs(), runs);
    assert_eq!(current.overview, reconcile::run(&snapshot).unwrap().overview());
}

#[test]
fn bom_crlf_and_quoted_commas_are_read_exactly() {
    let data = import::read_dir(Path::new(FIXTURE)).unwrap();
    // accounts.csv starts with a BOM: the first column is still `id`.
    assert_eq!(data.accounts[0].id, "ACC-1001");
    assert_eq!(data.accounts[0].name, "Brightwater Clinics, Inc.");
    // invoices.csv has CRLF line endings: no '\r' is left in the last column.
    assert_eq!(data.invoices[3].balance, Money::ZERO);
    assert_eq!(data.invoices[0].balance, Money::from_cents(25_000));
    assert_eq!(data.invoices[1].posted_at, None);
    assert_eq!(
        data.credits[0].reason.as_deref(),
        Some("Service credit, outage 2026-03-03")
    );
    assert_eq!(data.invoice_lines[1].description, None);
    assert_eq!(data.payments[2].related_payment_id.as_deref(), Some("PAY-2"));
    // A timestamp without `Z` is UTC all the same.
    assert_eq!(data.ledger[5].occurred_at.to_string(), "2026-03-31 18:00:00");
    assert_eq!(data.usage_events[1].rated_amount, None);
}

#[test]
fn free_text_is_stored_exactly_as_typed() {
    let dir = fixture();
    edit(
        dir.path(),
        "statement_lines.csv",
        "\"Wellness lookups, 412 members\"",
        b"\"  Wellness \"\"lookups\"\"\x1b[31m  \"",
    );
    let data = import::read_dir(dir.path()).unwrap();
    assert_eq!(
        data.statement_lines[0].description.as_deref(),
        Some("  Wellness \"lookups\"\x1b[31m  ")
    );
}

#[test]
fn columns_may_come_in_any_order() {
    let dir = fixture();
    fs::write(
        dir.path().join("accounts.csv"),
        "kind,name,id\ncustomer,\"Brightwater Clinics, Inc.\",ACC-1001\ncustomer,Harbor Dental,ACC-1002\n\
         employer,Northstar Employer Group,EMP-2001\n",
    )
    .unwrap();
    let data = import::read_dir(dir.path()).unwrap();
    assert_eq!(data.accounts[1].id, "ACC-1002");
    assert_eq!(data.accounts[1].name, "Harbor Dental");
}

#[test]
fn parse_files_works_on_bytes_in_memory_with_labels() {
    let files: BTreeMap<String, Vec<u8>> = FILES
        .iter()
        .map(|(name, _)| (name.to_string(), fs::read(Path::new(FIXTURE).join(name)).unwrap()))
        .collect();
    let from_memory = import::parse_files(&files, &|name| format!("demo/{name}")).unwrap();
    assert_eq!(from_memory, import::read_dir(Path::new(FIXTURE)).unwrap());

    let mut broken = files.clone();
    broken.remove("roster.csv");
    broken.insert(
        "accounts.csv".into(),
        b"id,name,kind\nACC 1,A,customer\n".to_vec(),
    );
    let err = import::parse_files(&broken, &|name| format!("demo/{name}")).unwrap_err();
    let printed = err.to_string();
    assert!(printed.starts_with(
        "demo/accounts.csv:2:1: id 'ACC 1' is not a valid id (1-64 letters, digits, '.', '_' or '-', \
         starting with a letter or digit)\n"
    ));
    assert!(printed.ends_with("\ndemo/roster.csv: missing file"), "{printed}");
}

// --- amounts -------------------------------------------------------------------------------

#[test]
fn scientific_notation_is_rejected() {
    assert_eq!(
        broken(&[("invoices.csv", ",1250.00,", ",1.25e3,")]),
        vec!["invoices.csv:2:7: total '1.25e3': amount in scientific notation is not allowed: write the amount in full, e.g. 40000.00"]
    );
}

#[test]
fn thousands_separator_is_rejected() {
    assert_eq!(
        broken(&[("invoices.csv", ",1250.00,", ",\"1,250.00\",")]),
        vec!["invoices.csv:2:7: total '1,250.00': amount has a thousands separator: write the digits alone, e.g. 1234.56"]
    );
}

#[test]
fn three_decimals_are_rejected_not_rounded() {
    assert_eq!(
        broken(&[("payments.csv", "1000.00", "1000.125")]),
        vec!["payments.csv:2:6: amount '1000.125': amount has more than 2 decimals (it would have to be rounded)"]
    );
}

#[test]
fn out_of_range_amount_is_rejected() {
    assert_eq!(
        broken(&[("ledger.csv", ",1250.00,", ",10000000000000.00,")]),
        vec!["ledger.csv:2:6: amount '10000000000000.00': amount is out of range"]
    );
}

#[test]
fn other_malformed_amounts_are_rejected() {
    assert_eq!(
        broken(&[
            ("employer_programs.csv", ",0.85", ",$0.85"),
            ("program_statements.csv", ",350.20", ",+350.20"),
            ("export_batches.csv", ",600.20", ", 600.20"),
        ]),
        vec![
            "export_batches.csv:2:5: total ' 600.20' has leading or trailing whitespace",
            "employer_programs.csv:2:5: rate '$0.85': amount has a currency code or sign in it: write the number alone, e.g. 100.00, in the period's currency",
            "program_statements.csv:2:4: total '+350.20': amount has a leading '+'",
        ]
    );
}

#[test]
fn payment_and_credit_amounts_must_be_positive() {
    assert_eq!(
        broken(&[
            ("payments.csv", ",60.00,\n", ",0.00,\n"),
            ("credits.csv", ",75.00,Issued", ",-75.00,Issued"),
        ]),
        vec![
            "payments.csv:3:6: amount '0.00' must be greater than zero",
            "credits.csv:3:6: amount '-75.00' must be greater than zero",
        ]
    );
}

// --- dates and timestamps --------------------------------------------------------------

#[test]
fn non_iso_dates_are_rejected() {
    assert_eq!(
        broken(&[
            ("invoices.csv", "2026-04-01", "04/01/2026"),
            ("payments.csv", "2026-03-09", "2026-3-9"),
        ]),
        vec![
            "invoices.csv:2:6: due_date '04/01/2026' is not a date (expected YYYY-MM-DD)",
            "payments.csv:2:5: occurred_on '2026-3-9' is not a date (expected YYYY-MM-DD)",
        ]
    );
}

#[test]
fn impossible_dates_are_rejected() {
    assert_eq!(
        broken(&[("credits.csv", "2026-03-12", "2026-02-30")]),
        vec!["credits.csv:2:5: issued_on '2026-02-30' is not a calendar date (no such day)"]
    );
}

/// `0026-03-09` has the shape YYYY-MM-DD and names a calendar day, but no period of
/// closedesk's is in year 26: a two-digit year padded with zeros (or a typo) would load
/// the row into the wrong year and the period would read clean without it.
#[test]
fn a_year_before_1900_is_refused() {
    let why = "is before 1900, which no billing date is (a two-digit year written with four \
               digits?): write the year with four digits, e.g. 2026";
    assert_eq!(
        broken(&[
            ("payments.csv", "2026-03-09", "0026-03-09"),
            ("ledger.csv", "2026-03-02T09:00:00Z", "0026-03-02T09:00:00Z"),
            ("credits.csv", "2026-03-12", "1899-12-31"),
        ]),
        vec![
            format!("payments.csv:2:5: occurred_on '0026-03-09': the year 0026 {why}"),
            format!("credits.csv:2:5: issued_on '1899-12-31': the year 1899 {why}"),
            format!("ledger.csv:2:4: occurred_at '0026-03-02T09:00:00Z': the year 0026 {why}"),
        ]
    );
}

#[test]
fn timestamps_need_a_time_and_utc() {
    assert_eq!(
        broken(&[
            ("ledger.csv", "2026-03-02T09:00:00Z", "2026-03-02T09:00:00+01:00"),
            ("usage_events.csv", "2026-03-03T14:21:09Z", "2026-03-03"),
            ("export_batches.csv", "2026-03-31T22:00:00Z", "2026-03-31 22:00"),
        ]),
        vec![
            "ledger.csv:2:4: occurred_at '2026-03-02T09:00:00+01:00' has a UTC offset; only Z (UTC) is \
             accepted (expected YYYY-MM-DDTHH:MM:SSZ)",
            "usage_events.csv:2:4: occurred_at '2026-03-03' is a date without a time (expected \
             YYYY-MM-DDTHH:MM:SSZ)",
            "export_batches.csv:2:4: created_at '2026-03-31 22:00' is not a timestamp (expected \
             YYYY-MM-DDTHH:MM:SSZ)",
        ]
    );
}

// --- headers, encoding, shape ------------------------------------------------------------

#[test]
fn unknown_column_is_reported_and_the_file_skipped() {
    // The rows of accounts.csv are not read, and references to accounts are not checked
    // against a file that could not be read: one problem, not dozens.
    assert_eq!(
        broken(&[("accounts.csv", "id,name,kind", "id,name,kind,region")]),
        vec!["accounts.csv:1:4: unknown column 'region' (expected one of id, name, kind)"]
    );
}

/// A file separated by ';' or tabs, or saved as UTF-16, gave an "unknown column" and a
/// "missing column" per column: one message now says what the file is and what to do.
#[test]
fn a_semicolon_tab_or_utf16_file_is_named_once() {
    let dir = fixture();
    let path = dir.path().join("accounts.csv");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace(',', ";")).unwrap();
    assert_eq!(
        problems(dir.path()),
        vec![
            "accounts.csv:1: the header was read as one column 'id;name;kind': this file is separated by ';', \
             closedesk reads ',' — export or save it comma-separated"
        ]
    );
    fs::write(&path, text.replace(',', "\t")).unwrap();
    assert_eq!(
        problems(dir.path()),
        vec![
            "accounts.csv:1: the header was read as one column 'id\\tname\\tkind': this file is separated by \
             tabs, closedesk reads ',' — export or save it comma-separated"
        ]
    );
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    fs::write(&path, utf16).unwrap();
    assert_eq!(
        problems(dir.path()),
        vec![
            "accounts.csv:1: not UTF-8: looks like UTF-16 (little-endian, it starts with the byte-order mark \
             FF FE) — save it as UTF-8 (in Excel: Save As, \"CSV UTF-8 (Comma delimited)\")"
        ]
    );
}

/// An id holding a bidi control (U+202E) was named `id 'UE-2' is not a valid id`: the
/// control was dropped from the message, which then hid why. Every character that does not
/// show is escaped in a quoted value.
#[test]
fn an_invisible_character_in_a_quoted_value_is_shown_escaped() {
    assert_eq!(
        broken(&[("usage_events.csv", "UE-2,", "UE-2\u{202E}\u{00AD},")]),
        vec![
            "usage_events.csv:3:1: id 'UE-2\\u{202e}\\u{ad}' is not a valid id (1-64 letters, digits, '.', '_' \
             or '-', starting with a letter or digit)",
        ]
    );
}

#[test]
fn missing_column_is_reported() {
    assert_eq!(
        broken(&[("invoice_lines.csv", ",revenue_rule,description", ",revenue_rule")]),
        vec!["invoice_lines.csv:1: missing column 'description'"]
    );
}

#[test]
fn renamed_column_is_unknown_and_missing() {
    assert_eq!(
        broken(&[("roster.csv", "login,display_name,role", "login,name,role")]),
        vec![
            "roster.csv:1:2: unknown column 'name' (expected one of login, display_name, role, public_key)",
            "roster.csv:1: missing column 'display_name'",
        ]
    );
}

/// Excel's trailing empty column (every line ends with a comma) read as one "unknown column
/// ''" per file, with no fix. Found by an import audit.
#[test]
fn a_trailing_empty_column_is_named_with_its_fix() {
    let dir = fixture();
    let path = dir.path().join("accounts.csv");
    let text = fs::read_to_string(&path).unwrap();
    let commas: String = text.lines().map(|l| format!("{l},\n")).collect();
    fs::write(&path, commas).unwrap();
    assert_eq!(
        problems(dir.path()),
        vec!["accounts.csv:1:4: empty header cell (a comma at the end of every line?): delete the empty column"]
    );
}

#[test]
fn non_utf8_bytes_are_reported_at_their_field() {
    let dir = fixture();
    // "Harbor Dental" with a Latin-1 é: the row is on line 3 of accounts.csv, name is column 2.
    edit(dir.path(), "accounts.csv", "Harbor Dental", b"Harbor D\xe9ntal");
    edit(dir.path(), "roster.csv", "lead", b"le\xffad");
    assert_eq!(
        problems(dir.path()),
        vec![
            "accounts.csv:3:2: not valid UTF-8 (saved in another encoding, e.g. Windows-1252?): save the file as UTF-8 — in Excel: Save As, \"CSV UTF-8 (Comma delimited)\"",
            "roster.csv:2:3: not valid UTF-8 (saved in another encoding, e.g. Windows-1252?): save the file as UTF-8 — in Excel: Save As, \"CSV UTF-8 (Comma delimited)\""
        ]
    );
}

#[test]
fn wrong_field_count_is_reported() {
    assert_eq!(
        broken(&[
            ("lane_owners.csv", "usage,mhale", "usage,mhale,extra"),
            ("accounts.csv", "Harbor Dental,customer", "Harbor Dental"),
        ]),
        vec![
            "lane_owners.csv:3: row has 3 fields, the header has 2",
            "accounts.csv:3: row has 2 fields, the header has 3",
        ]
    );
}

#[test]
fn unquoted_comma_in_a_name_is_a_field_count_problem_only() {
    // The account's id is still known, so the rows naming ACC-1001 are not reported too.
    assert_eq!(
        broken(&[(
            "accounts.csv",
            "\"Brightwater Clinics, Inc.\"",
            "Brightwater Clinics, Inc."
        )]),
        vec!["accounts.csv:2: row has 4 fields, the header has 3"]
    );
}

#[test]
fn missing_file_and_empty_file_are_reported() {
    let dir = fixture();
    fs::remove_file(dir.path().join("roster.csv")).unwrap();
    fs::write(dir.path().join("lane_owners.csv"), "").unwrap();
    let full = match import::read_dir(dir.path()) {
        Err(ImportError::Problems { problems, .. }) => {
            problems.iter().map(|p| p.to_string()).collect::<Vec<_>>()
        }
        other => panic!("{other:?}"),
    };
    let d = dir.path().display();
    assert_eq!(
        full,
        vec![
            format!("{d}/lane_owners.csv: empty file (expected the header row: lane,owner)"),
            format!("{d}/roster.csv: missing file"),
        ]
    );
}

#[test]
fn unreadable_directory_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    match import::read_dir(&missing) {
        Err(ImportError::Io(message)) => {
            assert!(
                message.starts_with(&format!("{}: cannot read: ", missing.display())),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    let file = dir.path().join("a-file");
    fs::write(&file, "x").unwrap();
    match import::read_dir(&file) {
        Err(ImportError::Io(message)) => assert_eq!(message, format!("{}: not a directory", file.display())),
        other => panic!("{other:?}"),
    }
}

// --- ids, words, required cells ---------------------------------------------------------

#[test]
fn duplicate_ids_are_rejected() {
    let dir = fixture();
    append(
        dir.path(),
        "payments.csv",
        "PAY-1,ACC-1001,payment,,2026-03-11,5.00,",
    );
    append(dir.path(), "roster.csv", "mhale,Morgan Hale,operator");
    append(dir.path(), "lane_owners.csv", "exports,someone-else");
    assert_eq!(
        problems(dir.path()),
        vec![
            "lane_owners.csv:4:1: duplicate lane 'exports' (first on line 2)",
            "payments.csv:5:1: duplicate id 'PAY-1' (first on line 2)",
            "roster.csv:4:1: duplicate login 'mhale' (first on line 2)",
        ]
    );
}

#[test]
fn malformed_ids_are_rejected() {
    // The padded ACC-1002 is rejected once; the rows naming ACC-1002 are not reported too.
    assert_eq!(
        broken(&[
            ("accounts.csv", "ACC-1002,Harbor", " ACC-1002,Harbor"),
            ("usage_events.csv", "UE-2,", "UE 2,"),
            ("roster.csv", "mhale,", "@mhale,"),
        ]),
        vec![
            "accounts.csv:3:1: id ' ACC-1002' has leading or trailing whitespace",
            "usage_events.csv:3:1: id 'UE 2' is not a valid id (1-64 letters, digits, '.', '_' or '-', \
             starting with a letter or digit)",
            "roster.csv:2:1: login '@mhale' is not a valid login (1-64 letters, digits, '.', '_', '-' or \
             '@', starting with a letter or digit)",
        ]
    );
}

#[test]
fn bad_enumeration_words_are_rejected() {
    assert_eq!(
        broken(&[
            ("invoices.csv", "posted,2026-03-02", "paid,2026-03-02"),
            ("lane_owners.csv", "usage,", "Usage,"),
            ("roster.csv", "reviewer", "admin"),
        ]),
        vec![
            "lane_owners.csv:3:1: lane 'Usage' is not one of usage, exports, employer_programs, statements, \
             invoices, disbursements, ledger, adjustments or revenue",
            "invoices.csv:2:3: status 'paid' is not one of draft, posted, closed or void",
            "roster.csv:3:3: role 'admin' is not one of operator, reviewer or lead",
        ]
    );
}

#[test]
fn empty_required_cells_are_rejected() {
    assert_eq!(
        broken(&[
            ("accounts.csv", "Harbor Dental", ""),
            ("invoices.csv", "2026-04-15", "   "),
            ("export_batches.csv", "netsuite-gl", ""),
        ]),
        vec![
            "accounts.csv:3:2: name is required but empty",
            "invoices.csv:3:6: due_date is required but empty",
            "export_batches.csv:2:3: destination is required but empty",
        ]
    );
}

#[test]
fn blank_optional_cells_count_as_empty() {
    let dir = fixture();
    edit(
        dir.path(),
        "usage_events.csv",
        ",1,,unprocessed,,",
        b",1, ,unprocessed,\t,",
    );
    let data = import::read_dir(dir.path()).unwrap();
    assert_eq!(data.usage_events[1].rated_amount, None);
    assert_eq!(data.usage_events[1].invoice_line_id, None);
}

#[test]
fn nul_in_free_text_is_rejected() {
    assert_eq!(
        broken(&[("invoice_lines.csv", "Wellness lookups", "Wellness\0lookups")]),
        vec!["invoice_lines.csv:4:9: description contains a NUL byte"]
    );
}

#[test]
fn whole_numbers_are_checked() {
    assert_eq!(
        broken(&[
            ("usage_events.csv", ",12,", ",1.5,"),
            ("usage_events.csv", ",1,,", ",0,,"),
            ("employer_programs.csv", ",412,", ",-1,"),
        ]),
        vec![
            "usage_events.csv:2:5: units '1.5' is not a whole number",
            "usage_events.csv:3:5: units '0' must be at least 1",
            "employer_programs.csv:2:4: basis_units '-1' must be at least 0",
        ]
    );
}

// --- references ------------------------------------------------------------------------------

#[test]
fn unknown_account_is_rejected() {
    assert_eq!(
        broken(&[("invoices.csv", "INV-1,ACC-1001", "INV-1,ACC-9")]),
        vec!["invoices.csv:2:2: unknown account 'ACC-9' (not in accounts.csv)"]
    );
}

#[test]
fn unknown_invoice_is_rejected() {
    assert_eq!(
        broken(&[
            ("disbursements.csv", "PAY-1,INV-1", "PAY-1,INV-9"),
            (
                "export_lines.csv",
                "GLL-1,GL-2026-03,ACC-1001,",
                "GLL-1,GL-2026-03,ACC-1001,INV-8"
            ),
        ]),
        vec![
            "disbursements.csv:2:4: unknown invoice 'INV-9' (not in invoices.csv)",
            "export_lines.csv:2:4: unknown invoice 'INV-8' (not in invoices.csv)",
        ]
    );
}

#[test]
fn unknown_program_is_rejected() {
    assert_eq!(
        broken(&[(
            "invoice_lines.csv",
            "program_fee,PRG-WELL",
            "program_fee,PRG-NONE"
        )]),
        vec!["invoice_lines.csv:4:4: unknown program 'PRG-NONE' (not in employer_programs.csv)"]
    );
}

#[test]
fn unknown_invoice_line_statement_and_batch_are_rejected() {
    assert_eq!(
        broken(&[
            ("usage_events.csv", "LN-1", "LN-99"),
            ("export_lines.csv", "GLL-2,GL-2026-03", "GLL-2,GL-2026-04"),
            ("statement_lines.csv", "STL-1,STM-WELL-2026-03", "STL-1,STM-X"),
        ]),
        vec![
            "usage_events.csv:2:8: unknown invoice line 'LN-99' (not in invoice_lines.csv)",
            "export_lines.csv:3:2: unknown batch 'GL-2026-04' (not in export_batches.csv)",
            "statement_lines.csv:2:2: unknown statement 'STM-X' (not in program_statements.csv)",
        ]
    );
}

#[test]
fn program_employer_must_be_an_employer_account() {
    assert_eq!(
        broken(&[("employer_programs.csv", "PRG-WELL,EMP-2001", "PRG-WELL,ACC-1001")]),
        vec!["employer_programs.csv:2:2: account 'ACC-1001' has kind customer, not employer"]
    );
}

// --- row rules -------------------------------------------------------------------------------

#[test]
fn invoice_dates_follow_the_status() {
    assert_eq!(
        broken(&[
            ("invoices.csv", "posted,2026-03-02,,", "posted,,,"),
            ("invoices.csv", "draft,,,", "draft,,2026-03-05,"),
            ("invoices.csv", "void,2026-03-03,2026-03-05,", "void,2026-03-03,,"),
        ]),
        vec![
            "invoices.csv:2:4: posted_at is required for status posted",
            "invoices.csv:3:5: voided_at must be empty for status draft",
            "invoices.csv:5:5: voided_at is required for status void",
        ]
    );
}

/// Rows a platform cannot have written, each refused at its cell (an audit found them
/// imported without a word): a void before its posting, a rated event with no rated
/// amount (read as 0.00: reported unbilled at 0.00), a last clean close of this or a
/// later period.
#[test]
fn impossible_rows_are_refused_at_their_cell() {
    assert_eq!(
        broken(&[
            ("invoices.csv", "void,2026-03-03,2026-03-05,", "void,2026-03-03,2026-03-01,"),
            ("usage_events.csv", "12,4.80,rated,", "12,,rated,"),
            ("period.csv", "5000.00,2026-02,", "5000.00,2026-05,"),
        ]),
        vec![
            "period.csv:2:10: last_clean_period 2026-05 is not before period 2026-03: the last clean close is an \
             earlier period's",
            "invoices.csv:5:5: voided_at 2026-03-01 is before posted_at 2026-03-03: an invoice is voided after it is \
             posted",
            "usage_events.csv:2:6: rated_amount is required for state rated (empty only while unprocessed or \
             rerating)",
        ]
    );
}

#[test]
fn invoice_line_rules() {
    assert_eq!(
        broken(&[
            ("invoice_lines.csv", "program_fee,PRG-WELL,", "program_fee,,"),
            (
                "invoice_lines.csv",
                "LN-2,INV-2,recurring,,2026-04-01,",
                "LN-2,INV-2,recurring,,,"
            ),
        ]),
        vec![
            "invoice_lines.csv:3:6: service_end is given without service_start",
            "invoice_lines.csv:4:4: program_id is required for kind program_fee",
        ]
    );
}

#[test]
fn payment_relations() {
    let dir = fixture();
    // A refund without its payment, a payment naming one, a chargeback of a refund.
    edit(dir.path(), "payments.csv", "refund,PAY-2,", b"refund,,");
    edit(
        dir.path(),
        "payments.csv",
        "PAY-2,ACC-1002,payment,,",
        b"PAY-2,ACC-1002,payment,PAY-1,",
    );
    append(
        dir.path(),
        "payments.csv",
        "PAY-4,ACC-1002,chargeback,PAY-3,2026-03-21,1.00,",
    );
    append(
        dir.path(),
        "payments.csv",
        "PAY-5,ACC-1002,reversal,PAY-77,2026-03-21,1.00,",
    );
    assert_eq!(
        problems(dir.path()),
        vec![
            "payments.csv:3:4: related_payment_id must be empty for kind payment",
            "payments.csv:4:4: related_payment_id is required for kind refund",
            "payments.csv:5:4: related payment 'PAY-3' has kind refund, not payment",
            "payments.csv:6:4: unknown payment 'PAY-77' (not in payments.csv)",
        ]
    );
}

#[test]
fn a_reversal_may_name_a_payment_further_down() {
    let dir = fixture();
    edit(dir.path(), "payments.csv", "refund,PAY-2,", b"refund,PAY-9,");
    append(
        dir.path(),
        "payments.csv",
        "PAY-9,ACC-1002,payment,,2026-03-25,60.00,",
    );
    import::read_dir(dir.path()).unwrap();
}

#[test]
fn credit_relations() {
    let dir = fixture();
    edit(
        dir.path(),
        "credits.csv",
        "CR-1,ACC-1001,credit,,",
        b"CR-1,ACC-1001,credit,CR-2,",
    );
    append(
        dir.path(),
        "credits.csv",
        "CR-3,ACC-1001,reversal,,2026-03-15,1.00,",
    );
    append(
        dir.path(),
        "credits.csv",
        "CR-4,ACC-1001,reversal,CR-2,2026-03-15,1.00,",
    );
    assert_eq!(
        problems(dir.path()),
        vec![
            "credits.csv:2:4: related_credit_id must be empty for kind credit",
            "credits.csv:4:4: related_credit_id is required for kind reversal",
            "credits.csv:5:4: related credit 'CR-2' has kind reversal, not credit",
        ]
    );
}

#[test]
fn disbursement_sources_must_exist_with_the_right_kind() {
    let dir = fixture();
    append(
        dir.path(),
        "disbursements.csv",
        "DSB-2,payment,PAY-3,INV-1,2026-03-21,-1.00",
    );
    append(
        dir.path(),
        "disbursements.csv",
        "DSB-3,credit,CR-2,INV-1,2026-03-21,1.00",
    );
    append(
        dir.path(),
        "disbursements.csv",
        "DSB-4,credit,PAY-1,INV-1,2026-03-21,1.00",
    );
    append(
        dir.path(),
        "disbursements.csv",
        "DSB-5,credit,CR-1,INV-1,2026-03-21,1.00",
    );
    assert_eq!(
        problems(dir.path()),
        vec![
            "disbursements.csv:3:3: source payment 'PAY-3' has kind refund, not payment",
            "disbursements.csv:4:3: source credit 'CR-2' has kind reversal, not credit",
            "disbursements.csv:5:3: unknown credit 'PAY-1' (not in credits.csv)",
        ]
    );
}

#[test]
fn ledger_rows_name_an_invoice_except_refunds() {
    assert_eq!(
        broken(&[("ledger.csv", "LG-2,ACC-1001,INV-1,", "LG-2,ACC-1001,,")]),
        vec!["ledger.csv:3:3: invoice_id is required for kind payment_disbursed (only refund rows have no invoice)"]
    );
}

#[test]
fn period_has_exactly_one_row() {
    let dir = fixture();
    append(
        dir.path(),
        "period.csv",
        "2026-04,Northstar Health Benefits,2026-04-01,2026-04-30,USD,x,5.00,500.00,5000.00,,",
    );
    assert_eq!(
        problems(dir.path()),
        vec!["period.csv:3: a second period row (period.csv holds exactly one period)"]
    );

    let dir = fixture();
    fs::write(dir.path().join("period.csv"), FILES[0].1.join(",") + "\n").unwrap();
    assert_eq!(
        problems(dir.path()),
        vec!["period.csv: no period row (period.csv holds exactly one period)"]
    );
}

#[test]
fn period_window_and_thresholds_are_ordered() {
    assert_eq!(
        broken(&[
            ("period.csv", "2026-03-01,2026-03-31", "2026-03-31,2026-03-01"),
            ("period.csv", "5.00,500.00,5000.00", "-5.00,500.00,50.00"),
        ]),
        vec![
            "period.csv:2:4: window_end 2026-03-01 is before window_start 2026-03-31",
            "period.csv:2:7: materiality_medium '-5.00' must not be negative",
            "period.csv:2:9: materiality_critical 50.00 is below materiality_high 500.00",
        ]
    );
    assert_eq!(
        broken(&[("period.csv", "5.00,500.00,", "600.00,500.00,")]),
        vec!["period.csv:2:8: materiality_high 500.00 is below materiality_medium 600.00"]
    );
}

#[test]
fn period_id_and_currency_have_their_formats() {
    assert_eq!(
        broken(&[
            ("period.csv", "2026-03,Northstar", "March 2026,Northstar"),
            ("period.csv", ",USD,", ",usd,"),
            ("period.csv", ",2026-02,", ",2026-2,"),
        ]),
        vec![
            "period.csv:2:1: id 'March 2026' is not a period id (expected YYYY-MM)",
            "period.csv:2:5: currency 'usd' is not an ISO 4217 currency code (three capital letters, e.g. USD)",
            "period.csv:2:10: last_clean_period '2026-2' is not a period id (expected YYYY-MM)",
        ]
    );
}

// --- many problems -------------------------------------------------------------------------

#[test]
fn every_problem_of_a_run_is_reported_in_file_order() {
    assert_eq!(
        broken(&[
            ("roster.csv", "lead", "boss"),
            ("invoices.csv", ",1250.00,", ",1e3,"),
            ("invoices.csv", "2026-04-15", "2026-04-31"),
            ("accounts.csv", "Harbor Dental,customer", "Harbor Dental,client"),
            ("credits.csv", "id,account_id", "id,acct"),
            ("ledger.csv", "LG-6,EMP-2001", "LG-6,EMP-2999"),
        ]),
        vec![
            "accounts.csv:3:3: kind 'client' is not one of customer or employer",
            "invoices.csv:2:7: total '1e3': amount in scientific notation is not allowed: write the amount in full, e.g. 40000.00",
            "invoices.csv:3:6: due_date '2026-04-31' is not a calendar date (no such day)",
            "credits.csv:1:2: unknown column 'acct' (expected one of id, account_id, kind, \
             related_credit_id, issued_on, amount, reason)",
            "credits.csv:1: missing column 'account_id'",
            "ledger.csv:7:2: unknown account 'EMP-2999' (not in accounts.csv)",
            "roster.csv:2:3: role 'boss' is not one of operator, reviewer or lead",
        ]
    );
}

#[test]
fn problems_beyond_fifty_are_counted() {
    let dir = fixture();
    for i in 0..60 {
        append(
            dir.path(),
            "usage_events.csv",
            &format!("UE-X{i},ACC-1001,report,2026-03-04T08:00:00Z,0,1.00,rated,,"),
        );
    }
    match import::read_dir(dir.path()) {
        Err(err @ ImportError::Problems { .. }) => {
            let printed = err.to_string();
            let ImportError::Problems { problems, more } = err else {
                unreachable!()
            };
            assert_eq!(problems.len(), MAX_PROBLEMS);
            assert_eq!(more, 10);
            assert_eq!(problems[0].line, 4);
            assert_eq!(problems[49].line, 53);
            assert_eq!(printed.lines().count(), 51);
            assert!(printed.ends_with("\n… and 10 more"), "{printed}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn untrusted_text_in_messages_is_inert() {
    let printed = {
        let dir = fixture();
        edit(dir.path(), "roster.csv", "lead", b"\x1b]0;pwned\x07");
        import::read_dir(dir.path()).unwrap_err().to_string()
    };
    assert!(!printed.contains('\x1b'));
    assert!(printed.ends_with("role '\\x1b]0;pwned\\x07' is not one of operator, reviewer or lead"));
}

// --- the target: all or nothing ---------------------------------------------------------------

#[test]
fn failed_import_leaves_no_file_behind() {
    let src = fixture();
    edit(src.path(), "invoices.csv", ",1250.00,", b",1e3,");
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("p.db");
    assert!(matches!(
        import::import_dir(src.path(), &out, false),
        Err(ImportError::Problems { .. })
    ));
    assert_eq!(listing(out_dir.path()), Vec::<String>::new());
}

#[test]
fn database_error_while_writing_leaves_no_file_behind() {
    // Data that passed no validation: a duplicated account breaks the primary key.
    let mut data = import::read_dir(Path::new(FIXTURE)).unwrap();
    data.accounts.push(data.accounts[0].clone());
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("p.db");
    match import::build_snapshot(&data, &out, false) {
        Err(ImportError::Target(message)) => {
            assert!(message.starts_with(&format!("{}: the data could not be written", out.display())));
            assert!(
                message.contains("UNIQUE constraint failed: accounts.id"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(listing(out_dir.path()), Vec::<String>::new());
}

/// A file that is not a period snapshot is refused, `--force` or not: a mistyped `--out`
/// naming a source CSV or a notes file was replaced by the new snapshot with `--force`.
#[test]
fn existing_target_that_is_not_a_snapshot_is_refused_even_with_force_and_left_untouched() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("p.db");
    fs::write(&out, b"the March close, signed off").unwrap();
    for force in [false, true] {
        match import::import_dir(Path::new(FIXTURE), &out, force) {
            Err(ImportError::Target(message)) => assert_eq!(
                message,
                format!(
                    "{}: exists and is not a period snapshot; --force replaces only a period snapshot — \
                     choose another --out",
                    out.display()
                )
            ),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(fs::read(&out).unwrap(), b"the March close, signed off");
    // SQLite's -wal beside a snapshot, empty as it is after a checkpoint while open.
    let beside = tempfile::tempdir().unwrap();
    let snapshot = beside.path().join("open.db");
    import::import_dir(Path::new(FIXTURE), &snapshot, false).unwrap();
    let wal = beside.path().join("open.db-wal");
    fs::write(&wal, b"").unwrap();
    match import::import_dir(Path::new(FIXTURE), &wal, true) {
        Err(ImportError::Target(message)) => assert!(
            message.contains("is the -wal file of the period snapshot"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(fs::read(&wal).unwrap(), b"");
    // One of the CSV files being imported.
    let src = fixture();
    let csv = src.path().join("invoices.csv");
    let before = fs::read(&csv).unwrap();
    assert!(matches!(
        import::import_dir(src.path(), &csv, true),
        Err(ImportError::Target(_))
    ));
    assert_eq!(fs::read(&csv).unwrap(), before);
    assert_eq!(listing(out_dir.path()), vec!["p.db"]);

    // A snapshot is refused without --force.
    let snapshot = out_dir.path().join("s.db");
    import::import_dir(Path::new(FIXTURE), &snapshot, false).unwrap();
    match import::import_dir(Path::new(FIXTURE), &snapshot, false) {
        Err(ImportError::Target(message)) => assert_eq!(
            message,
            format!(
                "{}: already exists; pass --force to replace it (its notes and sign-offs would be lost)",
                snapshot.display()
            )
        ),
        other => panic!("{other:?}"),
    }

    // build_snapshot checks on its own too.
    let data = import::read_dir(Path::new(FIXTURE)).unwrap();
    assert!(matches!(
        import::build_snapshot(&data, &out, false),
        Err(ImportError::Target(_))
    ));
    assert_eq!(fs::read(&out).unwrap(), b"the March close, signed off");
}

#[test]
fn force_replaces_the_target_and_its_stale_log_files() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("p.db");
    import::import_dir(Path::new(FIXTURE), &out, false).unwrap();
    let first = fs::read(&out).unwrap();
    fs::write(out_dir.path().join("p.db-wal"), b"stale log of the old file").unwrap();
    fs::write(out_dir.path().join("p.db-shm"), b"stale").unwrap();

    let src = fixture();
    append(src.path(), "roster.csv", "jdoe,Jo Doe,operator");
    import::import_dir(src.path(), &out, true).unwrap();
    assert_eq!(listing(out_dir.path()), vec!["p.db"]);
    assert_ne!(fs::read(&out).unwrap(), first);
    let snapshot = Snapshot::open(&out).unwrap();
    assert_eq!(snapshot.table_count("roster").unwrap(), 3);
}

#[test]
fn stale_log_files_without_their_database_are_removed() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("p.db");
    fs::write(out_dir.path().join("p.db-wal"), b"left behind").unwrap();
    import::import_dir(Path::new(FIXTURE), &out, false).unwrap();
    assert_eq!(listing(out_dir.path()), vec!["p.db"]);
    Snapshot::open(&out).unwrap();
}

#[test]
fn target_directory_must_exist() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("missing").join("p.db");
    match import::import_dir(Path::new(FIXTURE), &out, false) {
        Err(ImportError::Target(message)) => assert_eq!(
            message,
            format!(
                "{}: the directory {} does not exist",
                out.display(),
                out_dir.path().join("missing").display()
            )
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(listing(out_dir.path()), Vec::<String>::new());
    // A directory is never replaced, even with force.
    let dir_target = out_dir.path().join("p.db");
    fs::create_dir(&dir_target).unwrap();
    assert!(matches!(
        import::import_dir(Path::new(FIXTURE), &dir_target, true),
        Err(ImportError::Target(m)) if m.ends_with(": is a directory")
    ));
}

// --- templates -----------------------------------------------------------------------------------

#[test]
fn templates_are_header_only_and_never_overwrite() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("new").join("period");
    let written = import::write_templates(&dir).unwrap();
    let expected: Vec<PathBuf> = FILES.iter().map(|(name, _)| dir.join(name)).collect();
    assert_eq!(written, expected);
    for (name, columns) in FILES {
        assert_eq!(
            fs::read_to_string(dir.join(name)).unwrap(),
            format!("{}\n", columns.join(","))
        );
    }
    // The templates are valid files: only the period row is missing.
    assert_eq!(
        problems(&dir),
        vec!["period.csv: no period row (period.csv holds exactly one period)"]
    );

    // A second run refuses and changes nothing.
    fs::write(dir.join("accounts.csv"), "id,name,kind\nA,B,customer\n").unwrap();
    match import::write_templates(&dir) {
        Err(ImportError::Target(message)) => assert!(message.contains("accounts.csv"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fs::read_to_string(dir.join("accounts.csv")).unwrap(),
        "id,name,kind\nA,B,customer\n"
    );

    // One existing file is enough to refuse, and nothing else is written.
    let partial = root.path().join("partial");
    fs::create_dir(&partial).unwrap();
    fs::write(partial.join("roster.csv"), "mine").unwrap();
    assert!(matches!(
        import::write_templates(&partial),
        Err(ImportError::Target(_))
    ));
    assert_eq!(listing(&partial), vec!["roster.csv"]);
    assert_eq!(fs::read_to_string(partial.join("roster.csv")).unwrap(), "mine");
}

// --- no row goes missing silently (issue 12) ---------------------------------------------------

fn closedesk() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_closedesk"));
    cmd.env("NO_COLOR", "1");
    cmd
}

/// `closedesk import SRC --out OUT` through the real binary: (exit code, stdout, stderr).
fn import_cli(src: &Path, out: &Path) -> (Option<i32>, String, String) {
    let output = closedesk()
        .arg("import")
        .arg(src)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn a_stray_quote_that_folds_the_next_row_into_a_cell_is_refused() {
    // The reference of PAY-4 opens a quote; the one closing it is at the end of the next
    // line, so PAY-5 became part of PAY-4's reference: the fields still counted 7 and the
    // import used to succeed with one payment fewer, saying nothing.
    let src = fixture();
    append(
        src.path(),
        "payments.csv",
        "PAY-4,ACC-1001,payment,,2026-03-11,25.00,\"Wire 881",
    );
    append(
        src.path(),
        "payments.csv",
        "PAY-5,ACC-1001,payment,,2026-03-12,40.00,Lockbox 7\"",
    );
    assert_eq!(
        problems(src.path()),
        vec![
            "payments.csv:5:7: line break inside reference, which holds one line: a quote may be \
             unbalanced (the quoted cell runs on to line 6: \
             'Wire 881\\nPAY-5,ACC-1001,payment,,2026-03-12,40.00,Lockbox 7')"
        ]
    );

    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("p.db");
    let (code, stdout, stderr) = import_cli(src.path(), &out);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    let line = format!(
        "{}/payments.csv:5:7: line break inside reference, which holds one line: a quote may be unbalanced",
        src.path().display()
    );
    assert!(stderr.lines().any(|l| l.starts_with(&line)), "{stderr}");
    assert_eq!(listing(out_dir.path()), Vec::<String>::new());
}

#[test]
fn a_quote_may_span_lines_only_in_free_text_that_may_hold_lines() {
    let src = fixture();
    edit(
        src.path(),
        "credits.csv",
        "\"Service credit, outage 2026-03-03\"",
        b"\"Service credit,\r\noutage 2026-03-03\"",
    );
    let data = import::read_dir(src.path()).unwrap();
    assert_eq!(
        data.credits[0].reason.as_deref(),
        Some("Service credit,\r\noutage 2026-03-03")
    );
    // A name holds one line.
    edit(src.path(), "accounts.csv", "Harbor Dental", b"\"Harbor\nDental\"");
    assert_eq!(
        problems(src.path()),
        vec![
            "accounts.csv:3:2: line break inside name, which holds one line: a quote may be \
             unbalanced (the quoted cell runs on to line 4: 'Harbor\\nDental')"
        ]
    );
}

#[test]
fn an_unterminated_quote_is_named_as_such_where_its_cell_starts() {
    // In a middle column, with rows after it: not "row has 6 fields, the header has 7".
    let src = fixture();
    append(
        src.path(),
        "payments.csv",
        "PAY-4,ACC-1001,payment,,2026-03-11,\"25.00,Wire 881",
    );
    append(
        src.path(),
        "payments.csv",
        "PAY-5,ACC-1001,payment,,2026-03-12,40.00,Lockbox 7",
    );
    assert_eq!(
        problems(src.path()),
        vec![
            "payments.csv:5:6: unterminated quote in amount: the quoted cell that starts here has \
             no closing quote, so every line to the end of the file was read into it"
        ]
    );

    // In the last cell of the last row: the reference used to be imported with the line
    // break at its end.
    let src = fixture();
    append(
        src.path(),
        "payments.csv",
        "PAY-4,ACC-1001,payment,,2026-03-11,25.00,\"Wire 881",
    );
    assert_eq!(
        problems(src.path()),
        vec![
            "payments.csv:5:7: unterminated quote in reference: the quoted cell that starts here \
             has no closing quote, so every line to the end of the file was read into it"
        ]
    );
}

/// A quoted cell that goes on after its closing quote (`"Brightwater" Clinics`, as a
/// spreadsheet user types a quoted name) was imported with its quotes dropped, a name the
/// file does not hold: it is refused where the quote closes.
#[test]
fn text_after_a_closing_quote_is_refused_not_read_without_its_quotes() {
    let src = fixture();
    edit(
        src.path(),
        "accounts.csv",
        "ACC-1002,Harbor Dental",
        b"ACC-1002,\"Harbor\" Dental",
    );
    assert_eq!(
        problems(src.path()),
        vec![
            "accounts.csv:3:2: text after a closing quote in name: the cell would read 'Harbor Dental', \
             its quotes dropped; to keep a quote in a cell, quote the whole cell and write the quote \
             twice (\"\"\"North\"\" Clinics\" reads \"North\" Clinics)"
        ]
    );
    // Written as the message says, it is read with its quotes.
    let src = fixture();
    edit(
        src.path(),
        "accounts.csv",
        "ACC-1002,Harbor Dental",
        b"ACC-1002,\"\"\"Harbor\"\" Dental\"",
    );
    let data = import::read_dir(src.path()).unwrap();
    assert_eq!(data.accounts[1].name, "\"Harbor\" Dental");
}

/// The rows of each source table in the minimal fixture.
const FIXTURE_ROWS: [(&str, i64); 16] = [
    ("period", 1),
    ("lane_owners", 2),
    ("accounts", 3),
    ("invoices", 4),
    ("invoice_lines", 4),
    ("payments", 3),
    ("credits", 2),
    ("disbursements", 1),
    ("ledger", 6),
    ("usage_events", 2),
    ("export_batches", 1),
    ("export_lines", 2),
    ("employer_programs", 1),
    ("program_statements", 1),
    ("statement_lines", 1),
    ("roster", 2),
];

#[test]
fn the_summary_prints_each_files_row_count_and_the_snapshot_stores_them() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("p.db");
    let (code, stdout, stderr) = import_cli(Path::new(FIXTURE), &out);
    assert_eq!(code, Some(0), "{stderr}");
    let shown: Vec<Vec<&str>> = stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let expected: Vec<Vec<String>> = FIXTURE_ROWS
        .iter()
        .map(|(table, rows)| {
            let unit = if *rows == 1 { "row" } else { "rows" };
            vec![format!("{table}.csv"), rows.to_string(), unit.to_string()]
        })
        .collect();
    assert_eq!(shown, expected, "{stdout}");
    assert!(
        stdout.contains("\n  payments.csv            3 rows\n"),
        "{stdout}"
    );

    let snapshot = Snapshot::open(&out).unwrap();
    let stored: Vec<(String, String, i64)> = snapshot
        .workflow()
        .source_counts()
        .unwrap()
        .into_iter()
        .map(|c| (c.table_name, c.file, c.rows))
        .collect();
    let mut expected: Vec<(String, String, i64)> = FIXTURE_ROWS
        .iter()
        .map(|(table, rows)| (table.to_string(), format!("{table}.csv"), *rows))
        .collect();
    expected.sort();
    assert_eq!(stored, expected);
    for (table, rows) in FIXTURE_ROWS {
        assert_eq!(snapshot.table_count(table).unwrap(), rows, "{table}");
    }
}

/// `closedesk verify FILE`: (exit code, stdout, stderr).
fn verify_cli(file: &Path) -> (Option<i32>, String, String) {
    let output = closedesk().arg("verify").arg(file).output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn verify_names_a_table_that_lost_a_row_after_the_import() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("p.db");
    assert_eq!(import_cli(Path::new(FIXTURE), &out).0, Some(0));
    let (code, stdout, stderr) = verify_cli(&out);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("[ok]     row counts: all 16 source tables have the rows their import wrote"),
        "{stdout}"
    );

    // The period is open, so plain SQL can remove a row: nothing else changes.
    let conn = rusqlite::Connection::open(&out).unwrap();
    assert_eq!(
        conn.execute("DELETE FROM payments WHERE id = 'PAY-3'", [])
            .unwrap(),
        1
    );
    drop(conn);
    let (code, stdout, stderr) = verify_cli(&out);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let what = "payments has 2 rows; the import wrote 3 from payments.csv";
    assert!(
        stdout.contains(&format!("[failed] row counts: {what}\n")),
        "{stdout}"
    );
    assert_eq!(stderr, format!("closedesk: verify failed: {what}\n"));
}

#[test]
fn verify_passes_a_file_made_before_schema_2() {
    // A period written at schema version 1, as closedesk 0.1 wrote it; opening it migrates
    // it to version 2, which adds source_counts, empty.
    use closedesk::snapshot::schema::{migrations, APPLICATION_ID, CHECKLIST_ITEMS};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    conn.execute_batch(&migrations()[0]).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    conn.execute_batch(
        "INSERT INTO period (id, entity, window_start, window_end, currency, close_owner,
             materiality_medium_cents, materiality_high_cents, materiality_critical_cents)
         VALUES ('2026-02', 'Old File Co', '2026-02-01', '2026-02-28', 'USD', 'finance@old.example',
             500, 50000, 500000);
         INSERT INTO accounts (id, name, kind) VALUES ('ACC-1', 'Clinic One', 'customer');
         INSERT INTO payments (id, account_id, kind, occurred_on, amount_cents)
         VALUES ('PAY-1', 'ACC-1', 'payment', '2026-02-09', 1000);",
    )
    .unwrap();
    for (i, title) in CHECKLIST_ITEMS.iter().enumerate() {
        conn.execute(
            "INSERT INTO checklist (item, title, status) VALUES (?1, ?2, 'pending')",
            rusqlite::params![i as i64 + 1, title],
        )
        .unwrap();
    }
    drop(conn);
    let (code, stdout, stderr) = verify_cli(&path);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("[ok]     row counts: no import counts recorded (file made before schema 2)\n"),
        "{stdout}"
    );
    let snapshot = Snapshot::open(&path).unwrap();
    assert_eq!(snapshot.table_count("payments").unwrap(), 1);
}

#[test]
fn a_killed_imports_temporary_file_is_removed_by_the_next_import() {
    let out_dir = tempfile::tempdir().unwrap();
    let dir = out_dir.path();
    // Left by an import into p.db that was killed: no process has id 99999999.
    for name in [".p.db.importing-99999999", ".p.db.importing-99999999-wal"] {
        fs::write(dir.join(name), b"half a snapshot").unwrap();
    }
    // Kept: an import running now (this test's own process), another target's temporary,
    // the old log files a replacing import set aside, anything else.
    let running = format!(".p.db.importing-{}", std::process::id());
    for name in [
        running.as_str(),
        ".other.db.importing-99999999",
        ".p.db.importing-99999999.old-wal",
        "notes.txt",
    ] {
        fs::write(dir.join(name), b"keep").unwrap();
    }
    let (code, _, stderr) = import_cli(Path::new(FIXTURE), &dir.join("p.db"));
    assert_eq!(code, Some(0), "{stderr}");
    let mut expected = vec![
        ".other.db.importing-99999999".to_string(),
        ".p.db.importing-99999999.old-wal".to_string(),
        running,
        "notes.txt".to_string(),
        "p.db".to_string(),
    ];
    expected.sort();
    assert_eq!(listing(dir), expected);
}

// --- streaming: large files ------------------------------------------------------------

/// Appends `rows` usage events (UE-X0, UE-X1, …) to usage_events.csv, all valid, row `i`
/// on line `4 + i`; `change(i, row)` may rewrite a row.
fn append_usage(dir: &Path, rows: usize, change: impl Fn(usize, String) -> String) {
    let path = dir.join("usage_events.csv");
    let mut text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3, "the fixture has two usage events");
    for i in 0..rows {
        let row = format!("UE-X{i},ACC-1001,report,2026-03-05T08:00:00Z,1,0.10,rated,LN-1,");
        text.push_str(&change(i, row));
        text.push('\n');
    }
    fs::write(&path, text).unwrap();
}

#[test]
fn problems_deep_in_a_large_file_name_their_own_lines_and_nothing_is_left_behind() {
    let src = fixture();
    append_usage(src.path(), 20_000, |i, row| match i {
        15_000 => row.replace(",0.10,", ",1e3,"),
        18_000 => row.replacen("UE-X18000", "UE-X7", 1),
        19_000 => row.replace(",ACC-1001,", ",ACC-9,"),
        _ => row,
    });
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("p.db");
    let prefix = format!("{}/", src.path().display());
    let printed: Vec<String> = match import::import_dir(src.path(), &out, false) {
        Err(ImportError::Problems { problems, more: 0 }) => problems
            .iter()
            .map(|p| p.to_string().strip_prefix(&prefix).unwrap().to_string())
            .collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(printed.len(), 3, "{printed:#?}");
    assert!(
        printed[0].starts_with("usage_events.csv:15004:6: rated_amount '1e3'"),
        "{printed:#?}"
    );
    assert_eq!(
        printed[1..],
        [
            "usage_events.csv:18004:1: duplicate id 'UE-X7' (first on line 11)",
            "usage_events.csv:19004:2: unknown account 'ACC-9' (not in accounts.csv)",
        ]
    );
    // The same problems through read_dir, which collects instead of writing.
    assert_eq!(problems(src.path()), printed);
    assert_eq!(listing(out_dir.path()), Vec::<String>::new());

    // And through the binary: exit 2, every problem, no file.
    let (code, _, stderr) = import_cli(src.path(), &out);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(":18004:1: duplicate id 'UE-X7' (first on line 11)"),
        "{stderr}"
    );
    assert_eq!(listing(out_dir.path()), Vec::<String>::new());
}

#[test]
fn a_large_import_writes_every_row_as_the_in_memory_path_does() {
    let src = fixture();
    append_usage(src.path(), 20_000, |_, row| row);
    let out_dir = tempfile::tempdir().unwrap();
    let streamed = out_dir.path().join("streamed.db");
    let imported = import::import_dir(src.path(), &streamed, false).unwrap();
    let usage = imported.row_counts()[9];
    assert_eq!(usage, ("usage_events", 20_002));

    let in_memory = out_dir.path().join("in-memory.db");
    let data = import::read_dir(src.path()).unwrap();
    assert_eq!(data.row_counts(), imported.row_counts());
    assert_eq!(data.period, imported.period);
    import::build_snapshot(&data, &in_memory, false).unwrap();

    let a = Snapshot::open(&streamed).unwrap();
    let b = Snapshot::open(&in_memory).unwrap();
    assert_eq!(
        a.source_content_hash().unwrap(),
        b.source_content_hash().unwrap(),
        "the same rows, counts and files"
    );
    let conn = rusqlite::Connection::open(&streamed).unwrap();
    let orphans: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(orphans, 0);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_repeated_id_is_named_wherever_writing_stops() {
    // Found by the snapshot's primary key while rows are written (and on the last row),
    // or by the ids' hashes once a problem stopped the writing.
    for (at, bad_amount) in [(18_000, false), (19_999, false), (19_999, true)] {
        let src = fixture();
        append_usage(src.path(), 20_000, |i, row| {
            if i != at {
                return row;
            }
            let row = row.replacen(&format!("UE-X{at},"), "UE-X7,", 1);
            if bad_amount {
                row.replace(",0.10,", ",0.101,")
            } else {
                row
            }
        });
        let found = problems(src.path());
        let line = at + 4;
        let duplicate = format!("usage_events.csv:{line}:1: duplicate id 'UE-X7' (first on line 11)");
        assert_eq!(found[0], duplicate, "{found:#?}");
        assert_eq!(found.len(), 1 + usize::from(bad_amount), "{found:#?}");
    }
}

/// `--force` replaces a period snapshot and no other file (README): an empty file was
/// replaced (with a message about its notes and sign-offs), and so was an SQLite file
/// with closedesk's application_id but none of a snapshot's tables (found by a black-box
/// audit). Both are refused as not a period snapshot, by `import` and by `demo`, and left
/// as they were; a real snapshot is still replaced.
#[test]
fn force_refuses_an_empty_file_and_a_database_with_only_closedesks_mark() {
    use closedesk::snapshot::schema::{APPLICATION_ID, SCHEMA_VERSION};
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    fs::write(&empty, b"").unwrap();
    let marked = |name: &str, version: i32| {
        let path = dir.path().join(name);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", version).unwrap();
        conn.execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('keep me');")
            .unwrap();
        drop(conn);
        path
    };
    let unversioned = marked("marked.db", 0);
    let versioned = marked("versioned.db", SCHEMA_VERSION);
    for (path, says) in [
        (&empty, "exists and is not a period snapshot (an empty file)"),
        (
            &unversioned,
            "exists and is not a period snapshot (an SQLite file with closedesk's mark",
        ),
        (
            &versioned,
            "exists and is not a period snapshot (an SQLite file with closedesk's mark",
        ),
    ] {
        let before = fs::read(path).unwrap();
        for force in [true, false] {
            match import::import_dir(Path::new(FIXTURE), path, force) {
                Err(ImportError::Target(message)) => {
                    assert!(message.contains(says), "{message}");
                    assert!(!message.contains("sign-offs would be lost"), "{message}");
                }
                other => panic!("{path:?} force {force}: {other:?}"),
            }
            assert!(
                closedesk::demo::write(path, force).is_err(),
                "demo --force replaced {path:?}"
            );
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_closedesk"))
            .args(["demo", "--force", "--out"])
            .arg(path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert_eq!(fs::read(path).unwrap(), before, "{path:?} was changed");
    }
    // A real snapshot is still replaced with --force.
    let real = dir.path().join("real.db");
    import::import_dir(Path::new(FIXTURE), &real, false).unwrap();
    closedesk::demo::write(&real, true).unwrap();
    assert!(Snapshot::open(&real).is_ok());
}

/// Any name the file system takes is a name a snapshot can be imported to: a 240-byte
/// name was refused ("File name too long") because its temporary's name, the name with
/// `.importing-PID` around it, was longer than 255 bytes. The temporary carries the first
/// 200 bytes of the name; nothing of it is left after, and the snapshot then reads
/// (SQLite's own `-wal` beside it still fits).
#[test]
fn a_long_snapshot_name_the_file_system_takes_is_written() {
    let data = fixture();
    let dir = tempfile::tempdir().unwrap();
    for name in [
        format!("{}.db", "a".repeat(237)),
        format!("{}.db", "é".repeat(118)),
    ] {
        assert!(name.len() + "-wal".len() <= 255);
        let out = dir.path().join(&name);
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_closedesk"))
            .arg("import")
            .arg(data.path())
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{} bytes: {stderr}", name.len());
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_closedesk"))
            .arg("status")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(
            status.status.code().map(|c| c == 0 || c == 1),
            Some(true),
            "{status:?}"
        );
    }
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains(".importing-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
