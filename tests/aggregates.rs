//! Source aggregates (issue 15, docs/reconciliation.md "Source aggregates"): the engine on
//! the stored aggregates gives the same reconciliation as on the raw rows, on every
//! fixture that builds a period, the demo and synthetic periods; `verify` recomputes them
//! and names an edited row; a stale or edited aggregate is never read; a schema-6 file
//! upgrades and gets them.

mod common;

use std::path::{Path, PathBuf};

use closedesk::reconcile::{self, Reconciliation};
use closedesk::snapshot::aggregates::{AggregateCheck, Basis};
use closedesk::snapshot::Snapshot;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn closedesk() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_closedesk"));
    cmd.env("NO_COLOR", "1");
    cmd
}

/// `closedesk verify FILE` through the real binary: its exit code and output.
fn verify(path: &Path) -> (Option<i32>, String) {
    let out = closedesk().arg("verify").arg(path).output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

/// Both paths on `path`: the aggregates are current, and the engine on them gives what
/// the engine on the raw rows gives.
fn same_both_ways(path: &Path) -> Reconciliation {
    let snapshot = Snapshot::open(path).unwrap();
    assert_eq!(
        snapshot.aggregates_basis().unwrap(),
        Basis::Stored,
        "{}: aggregates not current after the build",
        path.display()
    );
    let stored = reconcile::run(&snapshot).unwrap();
    let source = reconcile::run_from_source(&snapshot).unwrap();
    assert_eq!(stored, source, "{}", path.display());
    assert_eq!(snapshot.check_aggregates().unwrap(), agree(&snapshot));
    stored
}

/// What `check_aggregates` says of aggregates that agree (the row count is theirs).
fn agree(snapshot: &Snapshot) -> AggregateCheck {
    match snapshot.check_aggregates().unwrap() {
        found @ AggregateCheck::Agree { .. } => found,
        other => panic!("aggregates do not agree: {other:?}"),
    }
}

/// Imports a fixture through the real binary; `None` when the fixture is one import
/// refuses (it builds no period).
/// Runs one statement on the file with a connection of its own, as another program would.
fn edit(path: &Path, sql: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute(sql, [])
        .unwrap();
}

fn imported(args: &[&str], dir: &Path, out: &Path) -> Option<PathBuf> {
    let output = closedesk()
        .args(args)
        .arg(dir)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    output.status.success().then(|| out.to_path_buf())
}

#[test]
fn every_fixture_reconciles_the_same_from_aggregates_and_from_source() {
    let tmp = tempfile::tempdir().unwrap();
    let fixtures = root().join("tests/fixtures");
    let mut built = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in &names {
        let dir = fixtures.join(name);
        if dir.join("period.csv").exists() {
            let out = tmp.path().join(format!("{name}.db"));
            if let Some(path) = imported(&["import"], &dir, &out) {
                built.push(path);
            }
        }
    }
    let recurly = tmp.path().join("map-recurly.db");
    let rules = root().join("examples/recurly.rules.toml");
    built.extend(imported(
        &["import", "--map", rules.to_str().unwrap()],
        &fixtures.join("map-recurly"),
        &recurly,
    ));
    let mut stripe: Vec<_> = std::fs::read_dir(fixtures.join("stripe"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    stripe.sort();
    for dir in stripe {
        let out = tmp.path().join(format!(
            "stripe-{}.db",
            dir.file_name().unwrap().to_str().unwrap()
        ));
        built.extend(imported(
            &["import", "--from", "stripe", "--window", "2026-03"],
            &dir,
            &out,
        ));
    }
    // Every CSV fixture but the one whose amounts are past the bounds, the Recurly one and
    // every Stripe one build a period.
    assert!(
        built.len() >= 17,
        "only {} fixtures imported: {built:?}",
        built.len()
    );
    for path in &built {
        same_both_ways(path);
    }
}

#[test]
fn the_demo_and_a_synthetic_period_reconcile_the_same_both_ways() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo.db");
    closedesk::demo::write(&demo, false).unwrap();
    let recon = same_both_ways(&demo);
    assert!(!recon.mismatches.is_empty());

    let scale = tmp.path().join("scale.db");
    closedesk::demo::scale::write(&scale, 2_000, 7, false).unwrap();
    same_both_ways(&scale);
}

/// A snapshot of the demo in a temporary directory, aggregates current.
fn demo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.db");
    closedesk::demo::write(&path, false).unwrap();
    (tmp, path)
}

/// The `usage_billed` headline of the engine on `path` as it reads now.
fn usage_billed(path: &Path) -> closedesk::money::Money {
    reconcile::run(&Snapshot::open(path).unwrap())
        .unwrap()
        .headline
        .usage_billed
}

/// The acceptance point of issue 15: one aggregate row edited with SQL on an unlocked
/// period — `verify` fails naming its table and key (exit 1, as its other failures), and
/// `reconcile` does not present the edited figure: the edit broke the seal, so the engine
/// rebuilds the aggregates from the raw rows.
#[test]
fn an_edited_aggregate_row_fails_verify_naming_it_and_is_never_read() {
    let (_tmp, path) = demo();
    let before = usage_billed(&path);
    let account: String = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let account: String = conn
            .query_row(
                "SELECT account_id FROM agg_account_usage WHERE billed_cents <> 0 ORDER BY account_id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute(
            "UPDATE agg_account_usage SET billed_cents = billed_cents + 100 WHERE account_id = ?1",
            [&account],
        )
        .unwrap();
        account
    };
    let (code, stdout) = verify(&path);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "[failed] source aggregates: agg_account_usage {account}: the stored row differs"
        )),
        "{stdout}"
    );
    // Not current (the seal counted the edit): read from the raw rows, or rebuilt.
    let snapshot = Snapshot::open(&path).unwrap();
    assert_eq!(snapshot.aggregates_basis().unwrap(), Basis::Source);
    drop(snapshot);
    let json = closedesk()
        .args(["reconcile", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(json.status.code().is_some_and(|c| c <= 1), "{json:?}");
    assert_eq!(usage_billed(&path), before);
    // `reconcile` rebuilt them: current again, and verify passes.
    let snapshot = Snapshot::open(&path).unwrap();
    assert_eq!(snapshot.aggregates_basis().unwrap(), Basis::Stored);
    agree(&snapshot);
    let (_, stdout) = verify(&path);
    let tables = closedesk::snapshot::aggregates::AGGREGATES.len();
    assert!(
        stdout.contains(&format!("[ok]     source aggregates: {tables} tables")),
        "{stdout}"
    );
}

/// An edit that also forges the seal (the counter's stamp set to match) is read by the
/// engine — and `verify`, which recomputes from the raw rows, names it.
#[test]
fn a_forged_seal_is_caught_by_verify() {
    let (_tmp, path) = demo();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "UPDATE agg_invoice_facts SET lines_cents = lines_cents + 1
          WHERE id = (SELECT MIN(id) FROM agg_invoice_facts);
         UPDATE agg_stamp SET edits = (SELECT edits FROM agg_edits);",
    )
    .unwrap();
    let first: String = conn
        .query_row("SELECT MIN(id) FROM agg_invoice_facts", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    let snapshot = Snapshot::open(&path).unwrap();
    assert_eq!(snapshot.aggregates_basis().unwrap(), Basis::Stored);
    assert_eq!(
        snapshot.check_aggregates().unwrap(),
        AggregateCheck::Differs {
            table: "agg_invoice_facts",
            key: first.clone(),
            stored: true
        }
    );
    let (code, stdout) = verify(&path);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("[failed] source aggregates: agg_invoice_facts {first}:")),
        "{stdout}"
    );
}

/// Aggregates computed by another build's definitions (same generation) are named as such
/// by `verify`, not as computed from another generation.
#[test]
fn aggregates_of_other_definitions_are_named_so_by_verify() {
    let (_tmp, path) = demo();
    edit(&path, "UPDATE agg_stamp SET definitions = 'another build'");
    let (code, stdout) = verify(&path);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains(
            "[ok]     source aggregates: computed by another build's definitions: not read \
             (the next reconcile rebuilds them)"
        ),
        "{stdout}"
    );
}

/// A source row edited with SQL moves the source generation: the aggregates are stale,
/// not read; the engine rebuilds them when it can write, with the edit in them.
#[test]
fn a_hand_edited_source_row_makes_them_stale_until_rebuilt() {
    let (_tmp, path) = demo();
    let before = usage_billed(&path);
    edit(
        &path,
        "UPDATE invoice_lines SET amount_cents = amount_cents + 250
          WHERE id = (SELECT l.id FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
                       WHERE l.kind = 'usage' AND i.status IN ('posted', 'closed')
                         AND COALESCE(l.service_start, i.posted_at) >= (SELECT window_start FROM period)
                         AND COALESCE(l.service_start, i.posted_at) <= (SELECT window_end FROM period)
                       ORDER BY l.id LIMIT 1)",
    );
    let snapshot = Snapshot::open(&path).unwrap();
    assert_eq!(snapshot.aggregates_basis().unwrap(), Basis::Source);
    assert!(matches!(
        snapshot.check_aggregates().unwrap(),
        AggregateCheck::Stale { .. }
    ));
    // Read from the raw rows: the edit shows (2.50 more billed).
    let from_source = reconcile::run_from_source(&snapshot).unwrap();
    assert_eq!(
        from_source.headline.usage_billed,
        before + closedesk::money::Money::from_cents(250)
    );
    // `run` rebuilds them first, then reads them: the same figures.
    let recon = reconcile::run(&snapshot).unwrap();
    assert_eq!(snapshot.aggregates_basis().unwrap(), Basis::Stored);
    assert_eq!(recon, from_source);
}

/// Inside a transaction (sign-off re-runs the engine inside its own) stale aggregates
/// are not rebuilt: the engine reads the raw rows.
#[test]
fn inside_a_transaction_stale_aggregates_are_not_read() {
    let (_tmp, path) = demo();
    edit(
        &path,
        "UPDATE payments SET amount_cents = amount_cents + 1 WHERE rowid = 1",
    );
    let snapshot = Snapshot::open(&path).unwrap();
    assert_eq!(snapshot.aggregates_basis().unwrap(), Basis::Source);
    let expected = reconcile::run_from_source(&snapshot).unwrap();
    let read = snapshot.begin_read().unwrap();
    let recon = reconcile::run(&snapshot).unwrap();
    read.finish().unwrap();
    assert_eq!(recon, expected);
    assert_eq!(snapshot.aggregates_basis().unwrap(), Basis::Source);
}

/// A schema-6 file (the schema-7 additions taken out, version set back) upgrades on open
/// and gets its aggregates, computed from its rows; verify then passes.
#[test]
fn a_schema_6_file_upgrades_and_gets_its_aggregates() {
    let (_tmp, path) = demo();
    let expected = reconcile::run_from_source(&Snapshot::open(&path).unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'agg\\_%' ESCAPE '\\'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(tables.len() >= 10, "{tables:?}");
    for table in &tables {
        conn.execute_batch(&format!("DROP TABLE {table}")).unwrap();
    }
    conn.pragma_update(None, "user_version", 6).unwrap();
    drop(conn);
    let snapshot = Snapshot::open(&path).unwrap();
    let version: i32 = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, closedesk::snapshot::schema::SCHEMA_VERSION);
    assert_eq!(snapshot.aggregates_basis().unwrap(), Basis::Stored);
    assert_eq!(reconcile::run(&snapshot).unwrap(), expected);
    agree(&snapshot);
    drop(snapshot);
    let (_, stdout) = verify(&path);
    assert!(stdout.contains("[ok]     source aggregates:"), "{stdout}");
    assert!(stdout.contains("[ok]     triggers:"), "{stdout}");
}

/// Schema 8 added the smaller inputs' tables, schema 9 the revenue schedules: a schema-7
/// or schema-8 file gets the tables it lacks on open, built with the rest, and reads the
/// same figures from them.
#[test]
fn a_schema_7_8_or_9_file_upgrades_and_gets_the_later_aggregates_built() {
    for older in [7, 8, 9] {
        let (_tmp, path) = demo();
        let expected = reconcile::run_from_source(&Snapshot::open(&path).unwrap()).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        for aggregate in closedesk::snapshot::aggregates::AGGREGATES
            .iter()
            .filter(|a| a.since > older)
        {
            conn.execute_batch(&format!("DROP TABLE {}", aggregate.table))
                .unwrap();
        }
        conn.pragma_update(None, "user_version", older).unwrap();
        drop(conn);
        let snapshot = Snapshot::open(&path).unwrap();
        let (version, window_rows, schedules, row_gaps): (i32, i64, i64, i64) =
            rusqlite::Connection::open(&path)
                .unwrap()
                .query_row(
                    "SELECT (SELECT user_version FROM pragma_user_version),
                        (SELECT COUNT(*) FROM agg_window_activity),
                        (SELECT COUNT(*) FROM agg_revenue_schedules),
                        (SELECT COUNT(*) FROM agg_ledger_row_gaps)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .unwrap();
        assert_eq!(
            version,
            closedesk::snapshot::schema::SCHEMA_VERSION,
            "from schema {older}"
        );
        assert!(
            window_rows > 0,
            "the demo has payments, credits and disbursements in the window"
        );
        // The demo's ledger rows each add up to what they record.
        assert_eq!(row_gaps, 0);
        assert!(schedules > 0, "the demo has revenue lines");
        assert_eq!(snapshot.aggregates_basis().unwrap(), Basis::Stored);
        assert_eq!(reconcile::run(&snapshot).unwrap(), expected);
        agree(&snapshot);
    }
}

/// The smaller inputs are sealed and verified like the rest: an edited window-activity
/// sum is named by `verify`.
#[test]
fn an_edited_window_activity_row_fails_verify_naming_it() {
    let (_tmp, path) = demo();
    edit(
        &path,
        "UPDATE agg_window_activity SET amount_cents = amount_cents + 1
          WHERE what = 'payments' AND kind = 'payment'",
    );
    let (code, stdout) = verify(&path);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "[failed] source aggregates: agg_window_activity payments:payment: the stored row differs"
        ),
        "{stdout}"
    );
}

#[test]
fn reconcile_from_source_prints_the_same_figures() {
    let (_tmp, path) = demo();
    let run = |extra: &[&str]| {
        let out = closedesk()
            .args(["reconcile", "--json"])
            .args(extra)
            .arg(&path)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let stored = run(&[]);
    let source = run(&["--from-source"]);
    assert_eq!(stored, source);
    let help = closedesk().args(["reconcile", "--help"]).output().unwrap();
    assert!(String::from_utf8(help.stdout).unwrap().contains("--from-source"));
}

/// The revenue schedules (schema 9) are verified like every aggregate: a schedule whose
/// amount was edited is named by `verify`, and the engine does not read it.
#[test]
fn an_edited_revenue_schedule_fails_verify_naming_it_and_is_never_read() {
    let (_tmp, path) = demo();
    let before = reconcile::run_from_source(&Snapshot::open(&path).unwrap()).unwrap();
    edit(
        &path,
        "UPDATE agg_revenue_schedules SET amount_cents = amount_cents + 1
          WHERE rowid = (SELECT MIN(rowid) FROM agg_revenue_schedules WHERE rule = 'immediate')",
    );
    let (code, stdout) = verify(&path);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("[failed] source aggregates: agg_revenue_schedules ")
            && stdout.contains(": the stored row differs"),
        "{stdout}"
    );
    let snapshot = Snapshot::open(&path).unwrap();
    assert_eq!(snapshot.aggregates_basis().unwrap(), Basis::Source);
    assert_eq!(
        reconcile::run(&snapshot).unwrap().steps.revenue,
        before.steps.revenue
    );
}
