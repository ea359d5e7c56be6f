//! The synthetic period generator (`closedesk demo --scale`): deterministic, consistent by
//! construction, and the engine finds exactly the planted mismatches with their exact
//! variances. Small sizes only; the large runs are in `cargo bench` (benches/scale.rs).

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};

use closedesk::demo::scale;
use closedesk::reconcile;
use closedesk::snapshot::schema::{SOURCE_TABLES, WORKFLOW_TABLES};
use closedesk::snapshot::Snapshot;

/// A digest of every row of every table, in rowid order.
fn digest(path: &Path) -> String {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut hash = Sha256::new();
    for table in SOURCE_TABLES.iter().chain(WORKFLOW_TABLES) {
        hash.update(table.as_bytes());
        let mut st = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
            .unwrap();
        let columns = st.column_count();
        let mut rows = st.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for c in 0..columns {
                match row.get_ref(c).unwrap() {
                    ValueRef::Null => hash.update(b"\x00N"),
                    ValueRef::Integer(i) => {
                        hash.update(b"\x00I");
                        hash.update(i.to_le_bytes());
                    }
                    ValueRef::Real(r) => {
                        hash.update(b"\x00R");
                        hash.update(r.to_le_bytes());
                    }
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        hash.update(b"\x00T");
                        hash.update((t.len() as u64).to_le_bytes());
                        hash.update(t);
                    }
                }
            }
            hash.update(b"\n");
        }
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn same_seed_same_contents_and_exactly_the_planted_mismatches() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.db"),
        dir.path().join("b.db"),
        dir.path().join("c.db"),
    );
    let first = scale::write(&a, 2_000, 7, false).unwrap();
    let second = scale::write(&b, 2_000, 7, false).unwrap();
    let other = scale::write(&c, 2_000, 8, false).unwrap();
    assert!(
        !dir.path().join("a.db-wal").exists(),
        "checkpointed before the rename"
    );
    assert_eq!(first, second);
    assert_eq!(digest(&a), digest(&b), "same seed, same contents");
    assert_ne!(digest(&a), digest(&c), "another seed, another period");
    assert_ne!(first.planted, other.planted);

    // The bulk load dropped the generation triggers and created them again, and moved the
    // generation once; `verify` finds every trigger.
    let snapshot = Snapshot::open(&a).unwrap();
    assert_eq!(snapshot.source_generation().unwrap(), 1);
    let report = closedesk::workflow::audit::verify(&snapshot).unwrap();
    assert!(report.ok, "{:?}", report.first_problem);
    // Reconciled once when it was written: the stored result is current and is the
    // engine's.
    let (stored, how) = reconcile::stored_or_run(&snapshot).unwrap();
    assert!(matches!(how, reconcile::Freshness::Stored { .. }), "{how:?}");
    assert_eq!(stored, reconcile::run(&snapshot).unwrap().overview());
    drop(snapshot);

    let counts = &first.counts;
    assert_eq!(counts.invoices, 2_000);
    assert_eq!(counts.accounts, 40);
    assert_eq!(counts.employer_programs, 4);
    assert!(
        (9.0..11.0).contains(&(counts.usage_events as f64 / 2_000.0)),
        "{counts:?}"
    );
    assert!(
        (2.0..3.0).contains(&(counts.invoice_lines as f64 / 2_000.0)),
        "{counts:?}"
    );
    assert!(
        (1.5..3.0).contains(&(counts.ledger as f64 / 2_000.0)),
        "{counts:?}"
    );

    // The file is a normal snapshot again: WAL, checkpointed, every reference resolves.
    let conn = Connection::open(&a).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let dangling: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(dangling, 0);
    let indexes: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = Snapshot::create(&fresh_dir.path().join("f.db")).unwrap();
    drop(fresh);
    let fresh = Connection::open(fresh_dir.path().join("f.db")).unwrap();
    let fresh_indexes: i64 = fresh
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexes, fresh_indexes, "every index is back");
    drop(conn);

    // The engine finds the planted mismatches, with their exact figures, and nothing else.
    for (path, generated) in [(&a, &first), (&c, &other)] {
        let snapshot = Snapshot::open(path).unwrap();
        let rec = reconcile::run(&snapshot).unwrap();
        let mut found: Vec<_> = rec
            .mismatches
            .iter()
            .map(|m| (m.key.clone(), m.expected, m.actual, m.variance))
            .collect();
        found.sort();
        let planted: Vec<_> = generated
            .planted
            .iter()
            .map(|p| (p.key.clone(), p.expected, p.actual, p.variance()))
            .collect();
        assert_eq!(found, planted);
        let lanes: std::collections::BTreeSet<_> = rec.mismatches.iter().map(|m| m.lane).collect();
        assert_eq!(lanes.len(), 6, "one planted mismatch per lane");
    }
}

#[test]
fn too_small_a_scale_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.db");
    assert!(scale::write(&out, 10, 1, false).is_err());
    assert!(!out.exists());
}
