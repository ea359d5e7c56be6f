//! `verify` and the audit chain: a clean log verifies; each tamper class is caught and
//! reported with the first bad sequence number — an edited row, a deleted row, reordered
//! rows, a truncated tail, and a rewritten chain (trigger dropped, every hash recomputed)
//! caught against the head recorded at sign-off; also workflow tables edited behind the
//! log's back, and source data changed after sign-off.

mod common;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};

use closedesk::money::Money;
use closedesk::reconcile::Reconciliation;
use closedesk::snapshot::model::{ItemStatus, Side};
use closedesk::snapshot::Snapshot;
use closedesk::workflow::audit::{self, Fields, Report};
use closedesk::workflow::mismatches::{self, Proposal};
use closedesk::workflow::{checklist, signoff};

use common::*;

const WAIVER: &str = "below materiality; rate fixed from April";

/// The reconciliation, with closing AR standing for "the figures": the number of accounts,
/// read from the file, so a change to source data changes the signed figures.
fn engine(snap: &Snapshot) -> rusqlite::Result<Reconciliation> {
    let conn = Connection::open(snap.path())?;
    let accounts: i64 = conn.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?;
    let mut recon = recon();
    recon.headline.closing_ar = Money::from_cents(accounts);
    Ok(recon)
}

/// A period with a full history: notes, moves, corrections, waivers, a sign-off (the
/// anchor), a reopen and a second sign-off. Returns the path and the sign-offs' audit_len.
fn history(dir: &Path) -> (PathBuf, Vec<i64>) {
    let path = snapshot_at(dir, "p.db");
    let snap = Snapshot::open(&path).unwrap();
    let recon = recon();
    let (olive, oscar, rita) = (actor(&snap, "olive"), actor(&snap, "oscar"), actor(&snap, "rita"));
    mismatches::on(&snap, &olive, &recon, GL)
        .note("asked the GL team for the batch log")
        .unwrap();
    let p = Proposal {
        amount: Money::from_cents(975),
        side: Side::Actual,
        reason: "credit CR-0010 netted into GL".into(),
        reference: Some("CR-0010".into()),
    };
    mismatches::on(&snap, &olive, &recon, GL).propose(&p).unwrap();
    mismatches::on(&snap, &rita, &recon, GL)
        .accept(None, None)
        .unwrap();
    mismatches::on(&snap, &rita, &recon, STATEMENT)
        .waive(WAIVER)
        .unwrap();
    mismatches::on(&snap, &rita, &recon, LEDGER)
        .waive(WAIVER)
        .unwrap();
    for item in 1..=8u8 {
        let who = if item % 2 == 0 { &olive } else { &oscar };
        checklist::set(
            &snap,
            who,
            &recon,
            item,
            ItemStatus::InProgress,
            Some("started"),
            None,
        )
        .unwrap();
        checklist::set(&snap, who, &recon, item, ItemStatus::Done, None, None).unwrap();
    }
    signoff::sign_with(&snap, &actor(&snap, "lena"), Some("first close"), &engine).unwrap();
    signoff::reopen(&snap, &actor(&snap, "leo"), "statement reissued by the employer").unwrap();
    checklist::set(
        &snap,
        &olive,
        &recon,
        8,
        ItemStatus::InProgress,
        Some("recheck exports"),
        None,
    )
    .unwrap();
    checklist::set(&snap, &olive, &recon, 8, ItemStatus::Done, None, None).unwrap();
    signoff::sign_with(&snap, &actor(&snap, "lena"), None, &engine).unwrap();
    let anchors = snap
        .workflow()
        .signoffs()
        .unwrap()
        .iter()
        .map(|s| s.audit_len)
        .collect();
    (path, anchors)
}

fn verify(path: &Path) -> Report {
    let snap = Snapshot::open(path).unwrap();
    audit::verify_with(&snap, &engine, None).unwrap()
}

fn first_problem(report: &Report) -> (Option<i64>, String) {
    let p = report.first_problem.as_ref().expect("a problem");
    (p.seq, p.what.clone())
}

#[test]
fn a_clean_history_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (path, anchors) = history(dir.path());
    let report = verify(&path);
    assert!(report.ok, "{report:#?}");
    assert_eq!(anchors.len(), 2);
    assert!(report.checks.iter().all(|c| c.ok));
    let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "file identity",
            "integrity",
            "triggers",
            "period row",
            "row counts",
            "sequence",
            "hash chain",
            "sign-off anchors",
            "replay",
            "lock changes",
            "bounds",
            "source aggregates",
            "signed figures",
            "signed source rows",
            "stored result",
            "signatures"
        ]
    );
    // The chain starts at GENESIS and each row names the one before it.
    let snap = Snapshot::open(&path).unwrap();
    let log = snap.workflow().audit_log().unwrap();
    assert_eq!(log[0].prev_hash, audit::GENESIS);
    assert_eq!(report.length, log.len() as i64);
    assert_eq!(report.head, log.last().unwrap().hash);
    for pair in log.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
}

#[test]
fn an_edited_row_is_caught_at_its_sequence_number() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = history(dir.path());
    behind_triggers(
        &path,
        Some("audit_log"),
        "UPDATE audit_log SET text = 'asked nobody' WHERE seq = 2",
    );
    let report = verify(&path);
    assert!(!report.ok);
    assert_eq!(
        first_problem(&report),
        (
            Some(2),
            "its hash does not match its contents (the row was edited)".into()
        )
    );
}

#[test]
fn a_deleted_row_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = history(dir.path());
    behind_triggers(&path, Some("audit_log"), "DELETE FROM audit_log WHERE seq = 5");
    assert_eq!(
        first_problem(&verify(&path)),
        (Some(5), "missing (the next row is seq 6)".into())
    );
}

#[test]
fn reordered_rows_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = history(dir.path());
    behind_triggers(
        &path,
        Some("audit_log"),
        "UPDATE audit_log SET seq = -1 WHERE seq = 3;
         UPDATE audit_log SET seq = 3 WHERE seq = 4;
         UPDATE audit_log SET seq = 4 WHERE seq = -1;",
    );
    let (seq, what) = first_problem(&verify(&path));
    assert_eq!(seq, Some(3));
    assert!(
        what.starts_with("its previous hash is not the hash of the row before it"),
        "{what}"
    );
}

#[test]
fn a_truncated_tail_is_caught() {
    // The last rows (after the last sign-off's anchor): the tables no longer match the log.
    let dir = tempfile::tempdir().unwrap();
    let (path, anchors) = history(dir.path());
    let last = *anchors.last().unwrap();
    behind_triggers(
        &path,
        Some("audit_log"),
        &format!("DELETE FROM audit_log WHERE seq > {last}"),
    );
    let report = verify(&path);
    let (seq, what) = first_problem(&report);
    assert_eq!(report.checks.iter().find(|c| !c.ok).unwrap().name, "replay");
    assert_eq!(seq, Some(last + 1), "{what}");
    assert!(what.starts_with("missing: "), "{what}");
    assert!(
        what.contains("no audit row created it (the log was truncated"),
        "{what}"
    );

    // Back to before the first sign-off: its recorded length is gone.
    let dir = tempfile::tempdir().unwrap();
    let (path, anchors) = history(dir.path());
    behind_triggers(
        &path,
        Some("audit_log"),
        &format!("DELETE FROM audit_log WHERE seq >= {}", anchors[0]),
    );
    let (seq, what) = first_problem(&verify(&path));
    assert_eq!(seq, Some(anchors[0]));
    assert!(
        what.contains("this row is missing (the log was truncated)"),
        "{what}"
    );
}

/// Rewrites the chain from `from` on: every hash recomputed so sequence and links hold.
fn recompute_chain(conn: &Connection, path: &Path, from: i64) {
    let rows = Snapshot::open(path).unwrap().workflow().audit_log().unwrap();
    let mut prev = audit::GENESIS.to_string();
    for row in rows {
        let fields = Fields {
            prev_hash: &prev,
            ..row.fields()
        };
        let hash = audit::hash(&fields);
        if row.seq >= from {
            conn.execute(
                "UPDATE audit_log SET prev_hash = ?2, hash = ?3 WHERE seq = ?1",
                params![row.seq, prev, hash],
            )
            .unwrap();
        }
        prev = hash;
    }
}

#[test]
fn a_rewritten_chain_is_caught_against_the_head_recorded_at_sign_off() {
    let dir = tempfile::tempdir().unwrap();
    let (path, anchors) = history(dir.path());
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("DROP TRIGGER audit_log_no_update").unwrap();
    conn.execute("UPDATE audit_log SET text = 'asked nobody' WHERE seq = 2", [])
        .unwrap();
    recompute_chain(&conn, &path, 2);

    // The trigger is gone: reported first; the chain itself is consistent again.
    let report = verify(&path);
    assert_eq!(
        first_problem(&report),
        (None, "trigger audit_log_no_update is missing".into())
    );
    let chain = report.checks.iter().find(|c| c.name == "hash chain").unwrap();
    assert!(chain.ok, "{chain:?}");
    let anchor = report
        .checks
        .iter()
        .find(|c| c.name == "sign-off anchors")
        .unwrap();
    assert!(!anchor.ok);

    // Even with the trigger put back exactly, the recorded head catches it.
    let reference = Connection::open_in_memory().unwrap();
    reference
        .execute_batch(&closedesk::snapshot::schema::migrations()[0])
        .unwrap();
    let create: String = reference
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'audit_log_no_update'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch(&create).unwrap();
    let report = verify(&path);
    assert_eq!(
        first_problem(&report),
        (
            Some(anchors[0]),
            "its hash is not the head recorded at sign-off 1 (the log before it was rewritten)".into()
        )
    );
}

#[test]
fn a_changed_trigger_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = history(dir.path());
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER checklist_locked_update;
         CREATE TRIGGER checklist_locked_update BEFORE UPDATE ON checklist WHEN 0
         BEGIN SELECT RAISE(ABORT, 'period is signed off: locked'); END;",
    )
    .unwrap();
    assert_eq!(
        first_problem(&verify(&path)),
        (None, "trigger checklist_locked_update was changed".into())
    );
}

#[test]
fn workflow_tables_edited_behind_the_log_are_caught_by_replay() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_at(dir.path(), "p.db");
    {
        let snap = Snapshot::open(&path).unwrap();
        let recon = recon();
        checklist::set(
            &snap,
            &actor(&snap, "olive"),
            &recon,
            3,
            ItemStatus::InProgress,
            None,
            None,
        )
        .unwrap();
        mismatches::on(&snap, &actor(&snap, "olive"), &recon, GL)
            .note("a note")
            .unwrap();
    }
    assert!(verify(&path).ok);
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE checklist SET status = 'done' WHERE item = 3", [])
        .unwrap();
    let (seq, what) = first_problem(&verify(&path));
    assert_eq!(seq, Some(1), "the last row that touched it");
    assert_eq!(
        what,
        "checklist:3 in the workflow tables differs from the log's last change to it"
    );

    conn.execute("UPDATE checklist SET status = 'in_progress' WHERE item = 3", [])
        .unwrap();
    conn.execute("UPDATE annotations SET text = 'another note'", [])
        .unwrap();
    let (_, what) = first_problem(&verify(&path));
    assert!(
        what.starts_with("annotation:1 in the workflow tables differs"),
        "{what}"
    );

    // A title is in no audit row (no action changes it): renamed by hand, it passed.
    conn.execute("UPDATE annotations SET text = 'a note'", [])
        .unwrap();
    assert!(verify(&path).ok);
    conn.execute(
        "UPDATE checklist SET title = 'Review posted invoices (waived by CFO)' WHERE item = 2",
        [],
    )
    .unwrap();
    let (_, what) = first_problem(&verify(&path));
    assert_eq!(
        what,
        "checklist:2's title is 'Review posted invoices (waived by CFO)', not the close guide's: changed \
         behind the log"
    );
}

#[test]
fn source_data_changed_after_sign_off_is_caught_by_the_signed_digest() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = history(dir.path());
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER accounts_locked_insert;
         INSERT INTO accounts (id, name, kind) VALUES ('ACC-9', 'Ghost', 'customer');",
    )
    .unwrap();
    let report = verify(&path);
    let failed: Vec<&str> = report.checks.iter().filter(|c| !c.ok).map(|c| c.name).collect();
    // The ghost row is also one more than the import wrote.
    assert_eq!(
        failed,
        ["triggers", "row counts", "signed figures", "signed source rows"]
    );
    let counts = report.checks.iter().find(|c| c.name == "row counts").unwrap();
    assert_eq!(
        counts.detail,
        "accounts has 2 rows; the import wrote 1 from accounts.csv"
    );
    let figures = report.checks.iter().find(|c| c.name == "signed figures").unwrap();
    assert!(
        figures
            .detail
            .contains("no longer give the digest signed by lena"),
        "{figures:?}"
    );
}

#[test]
fn the_binary_exits_1_naming_the_first_bad_sequence_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_at(dir.path(), "p.db");
    {
        let snap = Snapshot::open(&path).unwrap();
        let recon = closedesk::reconcile::run(&snap).unwrap();
        for item in 1..=3u8 {
            checklist::set(
                &snap,
                &actor(&snap, "olive"),
                &recon,
                item,
                ItemStatus::InProgress,
                None,
                None,
            )
            .unwrap();
        }
    }
    let bin = env!("CARGO_BIN_EXE_closedesk");
    let ok = std::process::Command::new(bin)
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let stdout = String::from_utf8(ok.stdout).unwrap();
    assert!(stdout.contains("OK: 3 audit rows, head "), "{stdout}");

    behind_triggers(
        &path,
        Some("audit_log"),
        "UPDATE audit_log SET actor = 'oscar' WHERE seq = 2",
    );
    let bad = std::process::Command::new(bin)
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(
        stderr.trim(),
        "closedesk: verify failed at audit seq 2: its hash does not match its contents (the row was edited)"
    );
    let json = std::process::Command::new(bin)
        .args(["verify", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["first_problem"]["seq"], 2);
}

fn failed_checks(report: &Report) -> Vec<&'static str> {
    report.checks.iter().filter(|c| !c.ok).map(|c| c.name).collect()
}

/// Issue 12.4: source rows changed after sign-off with the signed figures unchanged — a
/// roster role (the path to a second lead), an account's name — pass the figures' digest,
/// and are caught by the content hash the sign-off recorded.
#[test]
fn source_rows_changed_with_the_figures_unchanged_are_caught_by_the_content_hash() {
    for (sql, failed) in [
        (
            "UPDATE roster SET role = 'lead' WHERE login = 'olive'",
            &["signed source rows"][..],
        ),
        (
            "UPDATE accounts SET name = name || ' (renamed)' WHERE id = (SELECT min(id) FROM accounts)",
            &["signed source rows"],
        ),
        (
            "INSERT INTO roster (login, display_name, role) VALUES ('mallory', 'Mallory', 'lead')",
            &["row counts", "signed source rows"],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = history(dir.path());
        assert!(verify(&path).ok);
        behind_triggers(&path, None, sql);
        let report = verify(&path);
        assert_eq!(failed_checks(&report), failed, "{sql}");
        let check = report
            .checks
            .iter()
            .find(|c| c.name == "signed source rows")
            .unwrap();
        assert!(
            check
                .detail
                .contains("the source rows no longer give the content hash signed by lena"),
            "{sql}: {check:?}"
        );
    }
}

/// Issue 12.4: a log rewritten after its last anchor with every hash recomputed — and one
/// rewritten before it with the sign-off's recorded head moved too — still chains and
/// replays; only a head kept outside the file catches it.
#[test]
fn a_rewritten_log_is_caught_against_a_head_kept_outside_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (path, anchors) = history(dir.path());
    let kept = verify(&path).head;
    let check = |path: &Path, head: Option<&str>| {
        let snap = Snapshot::open(path).unwrap();
        audit::verify_with(&snap, &engine, head).unwrap()
    };
    assert!(check(&path, Some(&kept)).ok);
    assert!(check(&path, Some(&kept[..12])).ok);

    // Recompute the chain from `from` on, as a forger with the encoding in hand would: each
    // hash, each sign-off's recorded head, and that head where later rows' before/after
    // name it.
    let rechain = |path: &Path, from: i64, sql: &str| {
        behind_triggers(path, None, sql);
        let snap = Snapshot::open(path).unwrap();
        let mut rows = snap.workflow().audit_log().unwrap();
        let signoffs = snap.workflow().signoffs().unwrap();
        drop(snap);
        let mut prev = if from == 1 {
            audit::GENESIS.to_string()
        } else {
            rows[from as usize - 2].hash.clone()
        };
        let mut statements = String::new();
        for i in (from as usize - 1)..rows.len() {
            let fields = Fields {
                prev_hash: &prev,
                ..rows[i].fields()
            };
            let hash = audit::hash(&fields);
            let old = std::mem::replace(&mut rows[i].hash, hash.clone());
            rows[i].prev_hash = prev.clone();
            if signoffs.iter().any(|s| s.audit_len == rows[i].seq) {
                statements.push_str(&format!(
                    "UPDATE signoffs SET audit_head = '{hash}' WHERE audit_len = {};\n",
                    rows[i].seq
                ));
                for later in rows.iter_mut().skip(i + 1) {
                    for text in [&mut later.before, &mut later.after].into_iter().flatten() {
                        *text = text.replace(&old, &hash);
                    }
                }
            }
            prev = hash;
        }
        for row in rows.iter().filter(|r| r.seq >= from) {
            statements.push_str(&format!(
                "UPDATE audit_log SET prev_hash = '{}', hash = '{}', before = '{}', after = '{}' WHERE seq = {};\n",
                row.prev_hash,
                row.hash,
                row.before.as_deref().unwrap_or_default().replace('\'', "''"),
                row.after.as_deref().unwrap_or_default().replace('\'', "''"),
                row.seq
            ));
        }
        behind_triggers(path, None, &statements);
    };
    // The last sign-off's comment-less row gets a text after the fact.
    let last = *anchors.last().unwrap() + 1;
    rechain(
        &path,
        last,
        &format!("UPDATE audit_log SET text = 'approved by the CFO' WHERE seq = {last}"),
    );
    assert!(check(&path, None).ok, "without a kept head it cannot be seen");
    let report = check(&path, Some(&kept));
    assert_eq!(failed_checks(&report), ["expected head"]);
    let what = report.first_problem.unwrap().what;
    assert!(
        what.contains(&format!(
            "the head {kept} kept outside the file is not in the log"
        )),
        "{what}"
    );

    // A row before the first anchor, with the recorded heads moved along.
    let dir = tempfile::tempdir().unwrap();
    let (path2, _) = history(dir.path());
    let kept2 = verify(&path2).head;
    rechain(&path2, 2, "UPDATE audit_log SET actor = 'rita' WHERE seq = 2");
    let report = check(&path2, None);
    assert!(
        report.ok,
        "the forgery chains, replays and matches its moved anchors: {report:#?}"
    );
    let report = check(&path2, Some(&kept2));
    assert_eq!(failed_checks(&report), ["expected head"]);
    // Not a hash at all: refused as such.
    let report = check(&path2, Some("hello"));
    assert!(report.first_problem.unwrap().what.contains("not a head hash"));
}

/// Every row of `table` in `conn` (schema `db`), each as its columns' values, by rowid.
fn rows_of(conn: &Connection, db: &str, table: &str, columns: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let mut st = conn
        .prepare(&format!("SELECT {columns} FROM {db}.{table} ORDER BY rowid"))
        .unwrap();
    let n = st.column_count();
    st.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The columns of `annotations` in schema 3.
const V3_ANNOTATION_COLUMNS: &str = "id, target_kind, target, kind, author, created_at, text, amount_cents, \
     side, reference, correction_status, decided_by, decided_at";

/// Schema 3 → 4 rebuilds `annotations` (a CHECK cannot be altered): a schema-3 file with a
/// whole close in it — notes, a correction accepted, waivers, two sign-offs, signed off —
/// comes out with every row and id, its index, every trigger as `verify` expects it, still
/// locked, and verifying; once reopened, its accepted correction can be reversed.
#[test]
fn a_schema_3_file_with_corrections_upgrades_losing_nothing() {
    use closedesk::snapshot::schema::{
        migrations, APPLICATION_ID, IMPORT_TABLES, SOURCE_TABLES, WORKFLOW_TABLES,
    };
    let dir = tempfile::tempdir().unwrap();
    let (history, _) = history(dir.path());
    // A genuine schema-3 file: the first three migrations, then the history's rows copied
    // in (the period row last, so its lock does not refuse the rest).
    let old = dir.path().join("v3.db");
    let conn = Connection::open(&old).unwrap();
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    for sql in &migrations()[..3] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", 3).unwrap();
    conn.execute("ATTACH ?1 AS h", [history.to_str().unwrap()])
        .unwrap();
    let tables: Vec<&str> = SOURCE_TABLES
        .iter()
        .chain(IMPORT_TABLES)
        .chain(WORKFLOW_TABLES)
        .copied()
        .filter(|t| *t != "period")
        .chain(["period"])
        .collect();
    for table in &tables {
        let columns = if *table == "annotations" {
            V3_ANNOTATION_COLUMNS
        } else {
            "*"
        };
        let names = if *table == "annotations" {
            format!("({columns})")
        } else {
            String::new()
        };
        conn.execute_batch(&format!(
            "INSERT INTO main.{table} {names} SELECT {columns} FROM h.{table} ORDER BY rowid"
        ))
        .unwrap();
    }
    let annotations = rows_of(&conn, "h", "annotations", V3_ANNOTATION_COLUMNS);
    assert!(annotations.len() >= 4, "notes, a correction, waivers");
    let before: Vec<_> = tables.iter().map(|t| rows_of(&conn, "main", t, "*")).collect();
    conn.execute_batch("DETACH h").unwrap();
    drop(conn);

    let snap = Snapshot::open(&old).unwrap();
    let (_, version) = snap.workflow().identity().unwrap();
    assert_eq!(version, closedesk::snapshot::schema::SCHEMA_VERSION);
    drop(snap);
    let conn = Connection::open(&old).unwrap();
    for (table, rows) in tables.iter().zip(&before) {
        if *table == "annotations" {
            assert_eq!(
                &rows_of(&conn, "main", table, V3_ANNOTATION_COLUMNS),
                rows,
                "{table}"
            );
            let new: i64 = conn
                .query_row(
                    "SELECT count(*) FROM annotations WHERE decision_note IS NOT NULL
                        OR reversed_by IS NOT NULL OR reversed_at IS NOT NULL OR reversal_reason IS NOT NULL",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(new, 0);
        } else {
            assert_eq!(&rows_of(&conn, "main", table, "*"), rows, "{table}");
        }
    }
    let index: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = 'annotations_target'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        index,
        "CREATE INDEX annotations_target ON annotations(target_kind, target)"
    );
    assert!(conn
        .query_row(
            "SELECT 1 FROM sqlite_schema WHERE name = 'annotations_v3'",
            [],
            |r| r.get::<_, i64>(0)
        )
        .is_err());
    // Still locked: the rebuilt table's lock triggers are back.
    let e = conn
        .execute("UPDATE annotations SET text = 'edited' WHERE id = 1", [])
        .unwrap_err();
    assert!(e.to_string().contains("period is signed off: locked"), "{e}");
    drop(conn);

    let snap = Snapshot::open(&old).unwrap();
    assert_eq!(
        snap.workflow().triggers().unwrap(),
        closedesk::snapshot::workflow::expected_triggers().unwrap()
    );
    let report = audit::verify_with(&snap, &engine, None).unwrap();
    assert!(report.ok, "{report:#?}");
    // The new status is stored: reopen, reverse the accepted correction, verify again.
    signoff::reopen(&snap, &actor(&snap, "leo"), "the GL correction was netted twice").unwrap();
    let recon = recon();
    let accepted = mismatches::views(&snap, &recon.mismatches)
        .unwrap()
        .into_iter()
        .find(|v| v.key == GL)
        .unwrap()
        .corrections[0]
        .row
        .id;
    mismatches::on(&snap, &actor(&snap, "rita"), &recon, GL)
        .reverse(accepted, "the GL correction was netted twice")
        .unwrap();
    let report = audit::verify_with(&snap, &engine, None).unwrap();
    assert!(report.ok, "{report:#?}");
}
