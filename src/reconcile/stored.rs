//! Stored results (docs/reconciliation.md, "Stored results"): the engine's output is a pure
//! function of the source tables, so the last one computed is kept in the snapshot
//! (`reconcile_cache`) with the source generation it was computed from, and reused while
//! that generation — and the closedesk version — are unchanged.

use super::{run, run_checks, Reconciliation};
use crate::snapshot::cache::StoredRow;
use crate::snapshot::Snapshot;

/// The version whose engine computed a stored result; another version never reuses it.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where a reconciliation came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// The stored result, current for the source data as it is now.
    Stored { computed_at: String },
    /// Computed now by the engine.
    Computed,
}

/// A stored result of this version, current or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub reconciliation: Reconciliation,
    pub computed_at: String,
    /// Whether the source data is unchanged since it was computed.
    pub current: bool,
}

/// The stored result, if this version stored one that can be read back — current or
/// stale (the cockpit draws a stale one while it recomputes).
pub fn stored(snapshot: &Snapshot) -> rusqlite::Result<Option<Stored>> {
    stored_as(snapshot, ENGINE_VERSION)
}

fn stored_as(snapshot: &Snapshot, version: &str) -> rusqlite::Result<Option<Stored>> {
    let read = snapshot.begin_read()?;
    let (Ok(generation), Ok(row)) = (snapshot.source_generation(), snapshot.stored_reconciliation()) else {
        // A file made before stored results existed.
        read.finish()?;
        return Ok(None);
    };
    read.finish()?;
    Ok(row.and_then(|row| {
        let reconciliation = readable(&row, version)?;
        Some(Stored {
            reconciliation,
            computed_at: row.computed_at,
            current: row.generation == generation,
        })
    }))
}

/// The result of a stored row, when this version stored it and it reads back; anything
/// else (another version, a result this build cannot read) is as good as none.
fn readable(row: &StoredRow, version: &str) -> Option<Reconciliation> {
    if row.version != version {
        return None;
    }
    serde_json::from_str(&row.result).ok()
}

/// The stored result when it is current (same source generation, same version); else the
/// engine's, stored for next time. Storing is best effort: a file that cannot be written
/// (read-only, busy) still gets its reconciliation.
pub fn stored_or_run(snapshot: &Snapshot) -> rusqlite::Result<(Reconciliation, Freshness)> {
    stored_or_run_as(snapshot, ENGINE_VERSION)
}

fn stored_or_run_as(snapshot: &Snapshot, version: &str) -> rusqlite::Result<(Reconciliation, Freshness)> {
    if !snapshot.conn().is_autocommit() {
        // Inside the caller's transaction: compute, store nothing.
        return Ok((run(snapshot)?, Freshness::Computed));
    }
    // The generation is read in the same read transaction as the figures, so a stored
    // result is always labelled with the generation of the data it was computed from.
    let read = snapshot.begin_read()?;
    let Ok(generation) = snapshot.source_generation() else {
        // A file made before stored results existed: no internal tables, nothing stored.
        let reconciliation = run_checks(snapshot)?;
        read.finish()?;
        return Ok((reconciliation, Freshness::Computed));
    };
    if let Some(row) = snapshot.stored_reconciliation()? {
        if row.generation == generation {
            if let Some(reconciliation) = readable(&row, version) {
                read.finish()?;
                return Ok((
                    reconciliation,
                    Freshness::Stored {
                        computed_at: row.computed_at,
                    },
                ));
            }
        }
    }
    let reconciliation = run_checks(snapshot)?;
    read.finish()?;
    store(snapshot, generation, version, &reconciliation);
    Ok((reconciliation, Freshness::Computed))
}

/// Runs the engine afresh (as `reconcile` always does) and stores the result unless the
/// stored one is already exactly it — so a stored result that was tampered with is
/// replaced by the next `reconcile`.
pub fn run_and_store(snapshot: &Snapshot) -> rusqlite::Result<Reconciliation> {
    if !snapshot.conn().is_autocommit() {
        return run(snapshot);
    }
    let read = snapshot.begin_read()?;
    let Ok(generation) = snapshot.source_generation() else {
        // A file made before stored results existed: nothing to store into.
        let reconciliation = run_checks(snapshot)?;
        read.finish()?;
        return Ok(reconciliation);
    };
    let reconciliation = run_checks(snapshot)?;
    let stored = snapshot.stored_reconciliation()?;
    read.finish()?;
    let same = stored.is_some_and(|row| {
        row.generation == generation
            && row.version == ENGINE_VERSION
            && serde_json::to_string(&reconciliation).is_ok_and(|json| json == row.result)
    });
    if !same {
        store(snapshot, generation, ENGINE_VERSION, &reconciliation);
    }
    Ok(reconciliation)
}

/// Stores `reconciliation` as computed from `generation`; failures are ignored.
fn store(snapshot: &Snapshot, generation: i64, version: &str, reconciliation: &Reconciliation) {
    let Ok(result) = serde_json::to_string(reconciliation) else {
        return;
    };
    let _ = snapshot.store_reconciliation(&StoredRow {
        generation,
        version: version.to_string(),
        computed_at: crate::snapshot::workflow::now(),
        result,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> (tempfile::TempDir, Snapshot) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        crate::demo::write(&path, false).unwrap();
        let snapshot = Snapshot::open(&path).unwrap();
        (dir, snapshot)
    }

    #[test]
    fn the_stored_result_equals_a_fresh_run_and_is_reused() {
        let (_dir, snapshot) = demo();
        let fresh = run(&snapshot).unwrap();
        let (first, how) = stored_or_run(&snapshot).unwrap();
        assert_eq!(how, Freshness::Computed);
        assert_eq!(first, fresh);
        let (second, how) = stored_or_run(&snapshot).unwrap();
        assert!(matches!(how, Freshness::Stored { .. }), "{how:?}");
        assert_eq!(second, fresh);
        // Byte for byte the same JSON as the engine's own output.
        assert_eq!(
            serde_json::to_string(&second).unwrap(),
            serde_json::to_string(&fresh).unwrap()
        );
        let stored = stored(&snapshot).unwrap().unwrap();
        assert!(stored.current);
        assert_eq!(stored.reconciliation, fresh);
    }

    #[test]
    fn a_change_to_any_source_row_makes_the_stored_result_stale() {
        let (_dir, snapshot) = demo();
        let path = snapshot.path().to_path_buf();
        stored_or_run(&snapshot).unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        let changes = [
            "UPDATE invoices SET balance_cents = balance_cents + 1 WHERE id = (SELECT min(id) FROM invoices)",
            "DELETE FROM roster WHERE login = (SELECT max(login) FROM roster)",
            "INSERT INTO accounts (id, name, kind) VALUES ('ACC-NEW', 'New', 'customer')",
            "UPDATE period SET close_owner = close_owner || 'x'",
        ];
        for sql in changes {
            let (_, how) = stored_or_run(&snapshot).unwrap();
            assert!(matches!(how, Freshness::Stored { .. }), "before {sql}");
            assert_eq!(other.execute(sql, []).unwrap(), 1, "{sql}");
            assert!(!stored(&snapshot).unwrap().unwrap().current, "after {sql}");
            let (recon, how) = stored_or_run(&snapshot).unwrap();
            assert_eq!(how, Freshness::Computed, "after {sql}");
            assert_eq!(recon, run(&snapshot).unwrap(), "after {sql}");
        }
        // Workflow tables are not source data: the stored result stays current.
        other
            .execute("UPDATE checklist SET status = 'in_progress' WHERE item = 1", [])
            .unwrap();
        let (_, how) = stored_or_run(&snapshot).unwrap();
        assert!(matches!(how, Freshness::Stored { .. }));
    }

    #[test]
    fn another_version_does_not_reuse_the_stored_result() {
        let (_dir, snapshot) = demo();
        stored_or_run(&snapshot).unwrap();
        let (_, how) = stored_or_run_as(&snapshot, "0.0.0-other").unwrap();
        assert_eq!(how, Freshness::Computed);
        assert!(stored_as(&snapshot, ENGINE_VERSION).unwrap().is_none());
        let (_, how) = stored_or_run_as(&snapshot, "0.0.0-other").unwrap();
        assert!(matches!(how, Freshness::Stored { .. }));
    }

    #[test]
    fn a_file_without_the_internal_tables_still_reconciles() {
        let (_dir, snapshot) = demo();
        snapshot
            .conn()
            .execute_batch("DROP TABLE reconcile_cache; DROP TABLE source_generation;")
            .unwrap_or_else(|_| {
                // The generation triggers refer to the table; drop them first.
                for name in crate::snapshot::schema::generation_trigger_names() {
                    snapshot
                        .conn()
                        .execute_batch(&format!("DROP TRIGGER {name}"))
                        .unwrap();
                }
                snapshot
                    .conn()
                    .execute_batch("DROP TABLE reconcile_cache; DROP TABLE source_generation;")
                    .unwrap();
            });
        let fresh = run(&snapshot).unwrap();
        assert_eq!(
            stored_or_run(&snapshot).unwrap(),
            (fresh.clone(), Freshness::Computed)
        );
        assert_eq!(run_and_store(&snapshot).unwrap(), fresh);
        assert!(stored(&snapshot).unwrap().is_none());
    }

    #[test]
    fn an_unwritable_file_still_reconciles() {
        let (_dir, snapshot) = demo();
        let path = snapshot.path().to_path_buf();
        drop(snapshot);
        let snapshot = Snapshot::open(&path).unwrap();
        snapshot.conn().pragma_update(None, "query_only", true).unwrap();
        let (recon, how) = stored_or_run(&snapshot).unwrap();
        assert_eq!(how, Freshness::Computed);
        assert_eq!(recon, run(&snapshot).unwrap());
        assert!(stored(&snapshot).unwrap().is_none());
    }

    #[test]
    fn reconcile_stores_and_a_signed_off_period_still_stores_its_result() {
        let (_dir, snapshot) = demo();
        let fresh = run_and_store(&snapshot).unwrap();
        assert!(stored(&snapshot).unwrap().unwrap().current);
        let (recon, how) = stored_or_run(&snapshot).unwrap();
        assert!(matches!(how, Freshness::Stored { .. }));
        assert_eq!(recon, fresh);
        // A stored result altered in place is replaced by the next reconcile.
        snapshot
            .conn()
            .execute("UPDATE reconcile_cache SET result = replace(result, '\"usage_billed\":', '\"usage_billed\":1')", [])
            .unwrap();
        assert_ne!(
            stored(&snapshot).unwrap().map(|s| s.reconciliation),
            Some(fresh.clone())
        );
        run_and_store(&snapshot).unwrap();
        assert_eq!(stored(&snapshot).unwrap().unwrap().reconciliation, fresh);
        // Locked: the source tables refuse writes, the internal tables do not.
        snapshot
            .conn()
            .execute("UPDATE period SET status = 'signed_off'", [])
            .unwrap();
        assert!(snapshot.conn().execute("DELETE FROM roster", []).is_err());
        let (recon, how) = stored_or_run(&snapshot).unwrap();
        assert_eq!(how, Freshness::Computed);
        assert_eq!(
            recon.period.status,
            crate::snapshot::model::PeriodStatus::SignedOff
        );
        let (again, how) = stored_or_run(&snapshot).unwrap();
        assert!(matches!(how, Freshness::Stored { .. }));
        assert_eq!(again, recon);
    }
}
