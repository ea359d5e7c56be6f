//! Shared test fixtures for the workflow tests: a small period snapshot with a roster, and
//! hand-made reconciliations with mismatches for library-level tests.
#![allow(dead_code)]

pub mod close;
pub mod files;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use closedesk::money::Money;
use closedesk::reconcile::{Headline, Mismatch, Reconciliation, SourceRef};
use closedesk::snapshot::model::{
    Account, AccountKind, BatchKind, ExportBatch, Lane, Period, PeriodStatus, Role, RosterEntry, Severity,
    SourceData,
};
use closedesk::snapshot::Snapshot;
use closedesk::workflow::Actor;

/// Operators `olive` and `oscar`, reviewer `rita`, leads `lena` and `leo`.
pub const ROSTER: &[(&str, Role)] = &[
    ("olive", Role::Operator),
    ("oscar", Role::Operator),
    ("rita", Role::Reviewer),
    ("lena", Role::Lead),
    ("leo", Role::Lead),
];

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

pub fn period() -> Period {
    Period {
        id: "2026-03".into(),
        entity: "Fixture Health".into(),
        window_start: date("2026-03-01"),
        window_end: date("2026-03-31"),
        currency: "USD".into(),
        close_owner: "finance@fixture.example".into(),
        materiality_medium: Money::from_cents(500),
        materiality_high: Money::from_cents(50_000),
        materiality_critical: Money::from_cents(500_000),
        last_clean_period: Some("2026-02".into()),
        last_clean_date: Some(date("2026-03-04")),
        exported_on: None,
        status: PeriodStatus::Open,
    }
}

pub fn source() -> SourceData {
    SourceData {
        accounts: vec![Account {
            id: "ACC-1".into(),
            name: "Clinic One".into(),
            kind: AccountKind::Customer,
        }],
        roster: ROSTER
            .iter()
            .map(|(login, role)| RosterEntry {
                login: login.to_string(),
                display_name: login.to_uppercase(),
                role: *role,
                public_key: None,
            })
            .collect(),
        ..SourceData::new(period())
    }
}

/// The fixture with one real gap for the engine to find: a GL export batch of 9.75 with no
/// lines, while closing AR is 0.00 — mismatches `exports:GL-1:ar-total` and
/// `exports:GL-1:lines-total`.
pub fn source_with_gap() -> SourceData {
    let mut data = source();
    data.export_batches.push(ExportBatch {
        id: "GL-1".into(),
        kind: BatchKind::Gl,
        destination: "netsuite-gl".into(),
        created_at: date("2026-04-01").and_hms_opt(6, 0, 0).unwrap(),
        total: Money::from_cents(975),
    });
    data
}

/// A new snapshot at `dir/name` with `data`.
pub fn snapshot_of(dir: &Path, name: &str, data: &SourceData) -> PathBuf {
    let path = dir.join(name);
    let mut snap = Snapshot::create(&path).unwrap();
    snap.insert_source(data).unwrap();
    path
}

/// A new snapshot at `dir/name` with the fixture's source data.
pub fn snapshot_at(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let mut snap = Snapshot::create(&path).unwrap();
    snap.insert_source(&source()).unwrap();
    path
}

pub fn actor(snapshot: &Snapshot, login: &str) -> Actor {
    Actor::resolve(snapshot, Some(login)).unwrap()
}

pub fn mismatch(key: &str, lane: Lane, severity: Severity, expected: i64, actual: i64) -> Mismatch {
    Mismatch {
        key: key.into(),
        lane,
        subject: key.split(':').nth(1).unwrap_or("").into(),
        check: "fixture",
        title: format!("{key} does not tie"),
        expected: Money::from_cents(expected),
        actual: Money::from_cents(actual),
        variance: Money::from_cents(actual - expected),
        severity,
        owner: "finance@fixture.example".into(),
        next_action: "find out why".into(),
        expected_rows: vec![SourceRef::new("ledger", "L-1")],
        actual_rows: vec![SourceRef::new("export_lines", "E-1")],
    }
}

/// The keys used by the library tests.
pub const GL: &str = "exports:GL-2026-03:ar-total";
pub const STATEMENT: &str = "employer_programs:STM-1:statement-total";
pub const LEDGER: &str = "ledger:ACC-1:roll-forward";

/// A reconciliation with three mismatches: GL export (medium, −9.75), a statement
/// (low, +4.52) and a ledger roll-forward (high, +600.00).
pub fn recon() -> Reconciliation {
    recon_with(vec![
        mismatch(GL, Lane::Exports, Severity::Medium, 3_963_927, 3_962_952),
        mismatch(STATEMENT, Lane::EmployerPrograms, Severity::Low, 24_408, 24_860),
        mismatch(LEDGER, Lane::Ledger, Severity::High, 100_000, 160_000),
    ])
}

pub fn recon_with(mismatches: Vec<Mismatch>) -> Reconciliation {
    Reconciliation {
        period: period(),
        headline: Headline::default(),
        mismatches,
        steps: Default::default(),
        aging: Default::default(),
    }
}

/// An analyst reads the file with another program's SQLite and closes it: the `sqlite3`
/// tool, else Python's `sqlite3` module (the system's SQLite library: when it finds no lock
/// of another process on the file, it checkpoints and deletes the write-ahead log on
/// close), else — said once on stderr, the scenario then tests less — a connection of the
/// bundled SQLite in this process.
pub fn analyst_reads(path: &Path) {
    use std::process::Command;
    let query = "SELECT count(*) FROM audit_log";
    if let Ok(out) = Command::new("sqlite3").arg(path).arg(query).output() {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        return;
    }
    let script =
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]).fetchall(); c.close()";
    if let Ok(out) = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .arg(query)
        .output()
    {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        return;
    }
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        eprintln!("neither sqlite3 nor python3 is installed: the analyst is a bundled-SQLite connection")
    });
    let analyst = rusqlite::Connection::open(path).unwrap();
    let _: i64 = analyst.query_row(query, [], |r| r.get(0)).unwrap();
}

/// Runs `sql` with the triggers dropped — those of `table`, or every one — then recreates
/// them exactly (so `verify`'s trigger check passes): what anyone with the `sqlite3` tool
/// and the schema can do.
pub fn behind_triggers(path: &Path, table: Option<&str>, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    // As the sqlite3 tool's `.timeout`: wait for a closedesk that is still checkpointing.
    conn.busy_timeout(std::time::Duration::from_secs(30)).unwrap();
    let triggers: Vec<(String, String)> = conn
        .prepare(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND (?1 IS NULL OR tbl_name = ?1)",
        )
        .unwrap()
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, _) in &triggers {
        conn.execute_batch(&format!("DROP TRIGGER {name}")).unwrap();
    }
    conn.execute_batch(sql).unwrap();
    for (_, create) in &triggers {
        conn.execute_batch(create).unwrap();
    }
}
