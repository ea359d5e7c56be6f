//! Stored results (docs/reconciliation.md, "Stored results"): the engine's output is a pure
//! function of the source tables, so the [`Overview`] of the last one computed is kept in
//! the snapshot (`reconcile_cache`) with the source generation it was computed from, and
//! reused while that generation — and the closedesk version and stored format — are
//! unchanged.
//!
//! Only the overview is stored: the per-subject lists (each account's roll-forward and
//! aged balance, each adjustment) are most of a reconciliation at scale — 16 MB of JSON of
//! a 1M-invoice period against 0.5 MB — and nothing that reads a stored result shows them;
//! the commands that do (`reconcile`, exports, sign-off) run the engine.

use sha2::{Digest, Sha256};

use super::{run, run_checks, Overview, Reconciliation};
use crate::digest::hex;
use crate::snapshot::cache::StoredRow;
use crate::snapshot::model::PeriodStatus;
use crate::snapshot::Snapshot;

/// SHA-256 (lowercase hex) of a stored row's generation, version and result, each
/// length-prefixed: what `checksum` holds. A one-line `UPDATE` of the result with the
/// `sqlite3` tool no longer matches it, and the row counts as none.
pub fn checksum(generation: i64, version: &str, result: &str) -> String {
    let mut hash = Sha256::new();
    for part in ["closedesk.stored.v1", &generation.to_string(), version, result] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hex(&hash.finalize())
}

/// Whether a stored row still matches the checksum it was stored with.
fn unedited(row: &StoredRow) -> bool {
    row.checksum.as_deref() == Some(checksum(row.generation, &row.version, &row.result).as_str())
}

/// SHA-256 (lowercase hex) of an overview's JSON, as a sign-off records it.
pub fn overview_hash(overview: &Overview) -> String {
    let json = serde_json::to_string(overview).expect("an overview serializes");
    hex(&Sha256::digest(json.as_bytes()))
}

/// Whether a stored overview may be shown for the period as it is: a signed-off period's
/// must be the overview its latest sign-off recorded (a sign-off before schema 2 recorded
/// none; its stored overview is trusted as before).
fn agrees_with_signoff(snapshot: &Snapshot, overview: &Overview) -> rusqlite::Result<bool> {
    let read = snapshot.workflow();
    if read.period_state()?.status != PeriodStatus::SignedOff {
        return Ok(true);
    }
    Ok(match read.latest_signoff()?.and_then(|s| s.overview_hash) {
        Some(signed) => overview_hash(overview) == signed,
        None => true,
    })
}

/// The `version` of a stored result: the closedesk version whose engine computed it, and
/// the format it is stored in (`+overview.2`: the JSON of an [`Overview`]). A row of any
/// other version or format counts as none — another closedesk's, or a whole
/// reconciliation stored under the bare version by the builds before the overview, which
/// must not be read as an overview. `overview.2` is the engine of issue 13 (figures as of
/// window end, unwinds, checks at the finest grain) under the same package version: an
/// `overview.1` result was computed by other rules and is recomputed, never read.
pub const STORED_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+overview.2");

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
    pub overview: Overview,
    pub computed_at: String,
    /// Whether the source data is unchanged since it was computed.
    pub current: bool,
}

/// The stored result, if this version stored one that can be read back — current or
/// stale (the cockpit draws a stale one while it recomputes).
pub fn stored(snapshot: &Snapshot) -> rusqlite::Result<Option<Stored>> {
    stored_as(snapshot, STORED_VERSION)
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
        let overview = readable(&row, version)?;
        Some(Stored {
            overview,
            computed_at: row.computed_at,
            current: row.generation == generation,
        })
    }))
}

/// The overview of a stored row, when this version stored it in this format and it reads
/// back; anything else (another version or format, a result this build cannot read) is as
/// good as none.
fn readable(row: &StoredRow, version: &str) -> Option<Overview> {
    if row.version != version {
        return None;
    }
    if !unedited(row) {
        return None;
    }
    serde_json::from_str(&row.result).ok()
}

/// What a stored row is, as `verify` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredCheck {
    /// Nothing stored, or another version's (ignored by this closedesk).
    None,
    /// Stored for an earlier state of the source rows (ignored until recomputed).
    Stale,
    /// Current and the engine's overview exactly.
    Agrees,
    /// Its checksum does not match its contents: edited by hand.
    Edited,
    /// Current, its checksum matches, and it is not what the engine computes now.
    Differs,
}

/// Checks the stored row against its checksum and, when current, against `engine_now`, the
/// engine's overview of the source rows as they are (`verify`).
pub fn check_stored(snapshot: &Snapshot, engine_now: &Overview) -> rusqlite::Result<StoredCheck> {
    let (Ok(generation), Ok(row)) = (snapshot.source_generation(), snapshot.stored_reconciliation()) else {
        return Ok(StoredCheck::None);
    };
    let Some(row) = row else {
        return Ok(StoredCheck::None);
    };
    if row.version != STORED_VERSION {
        return Ok(StoredCheck::None);
    }
    if !unedited(&row) {
        return Ok(StoredCheck::Edited);
    }
    if row.generation != generation {
        return Ok(StoredCheck::Stale);
    }
    let same = serde_json::to_string(engine_now).is_ok_and(|json| json == row.result);
    Ok(if same {
        StoredCheck::Agrees
    } else {
        StoredCheck::Differs
    })
}

/// The stored overview when it is current (same source generation, same version and
/// format); else the engine's, stored for next time. Storing is best effort: a file that
/// cannot be written (read-only, busy) still gets its figures.
pub fn stored_or_run(snapshot: &Snapshot) -> rusqlite::Result<(Overview, Freshness)> {
    stored_or_run_as(snapshot, STORED_VERSION)
}

fn stored_or_run_as(snapshot: &Snapshot, version: &str) -> rusqlite::Result<(Overview, Freshness)> {
    let current = current_as(snapshot, version)?;
    Ok((current.overview, current.freshness))
}

/// The figures a workflow action works with: the overview (stored when current, else the
/// engine's, stored for next time), where it came from, and the source generation it was
/// computed from. The action's write compares that generation with the file's inside its
/// own transaction, and runs the engine there when it moved (`workflow::Figures`), so no
/// action is taken on figures the source rows no longer give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    pub overview: Overview,
    pub freshness: Freshness,
    /// `None` for a file made before stored results existed (no generation to compare).
    pub generation: Option<i64>,
}

/// [`stored_or_run`], with the source generation of the figures: what every workflow
/// action (CLI and cockpit) reads instead of running the engine.
pub fn current(snapshot: &Snapshot) -> rusqlite::Result<Current> {
    current_as(snapshot, STORED_VERSION)
}

fn current_as(snapshot: &Snapshot, version: &str) -> rusqlite::Result<Current> {
    if !snapshot.conn().is_autocommit() {
        // Inside the caller's transaction: compute, store nothing.
        return Ok(Current {
            overview: run(snapshot)?.overview(),
            freshness: Freshness::Computed,
            generation: snapshot.source_generation().ok(),
        });
    }
    // The generation is read in the same read transaction as the figures, so a stored
    // result is always labelled with the generation of the data it was computed from.
    let read = snapshot.begin_read()?;
    let Ok(generation) = snapshot.source_generation() else {
        // A file made before stored results existed: no internal tables, nothing stored.
        let reconciliation = run_checks(snapshot)?;
        read.finish()?;
        return Ok(Current {
            overview: reconciliation.overview(),
            freshness: Freshness::Computed,
            generation: None,
        });
    };
    if let Some(row) = snapshot.stored_reconciliation()? {
        if row.generation == generation {
            if let Some(overview) =
                readable(&row, version).filter(|o| agrees_with_signoff(snapshot, o).unwrap_or(false))
            {
                read.finish()?;
                return Ok(Current {
                    overview,
                    freshness: Freshness::Stored {
                        computed_at: row.computed_at,
                    },
                    generation: Some(generation),
                });
            }
        }
    }
    let overview = run_checks(snapshot)?.overview();
    read.finish()?;
    store(snapshot, generation, version, &overview);
    Ok(Current {
        overview,
        freshness: Freshness::Computed,
        generation: Some(generation),
    })
}

/// Runs the engine afresh (as `reconcile` always does) and stores its overview unless the
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
    let overview = reconciliation.overview();
    let same = stored.is_some_and(|row| {
        row.generation == generation
            && row.version == STORED_VERSION
            && readable(&row, STORED_VERSION).is_some()
            && serde_json::to_string(&overview).is_ok_and(|json| json == row.result)
    });
    if !same {
        store(snapshot, generation, STORED_VERSION, &overview);
    }
    Ok(reconciliation)
}

/// Stores `overview` as computed from `generation`; failures are ignored.
fn store(snapshot: &Snapshot, generation: i64, version: &str, overview: &Overview) {
    let Ok(result) = serde_json::to_string(overview) else {
        return;
    };
    let _ = snapshot.store_reconciliation(&StoredRow {
        generation,
        version: version.to_string(),
        computed_at: crate::snapshot::workflow::now(),
        checksum: Some(checksum(generation, version, &result)),
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
        let fresh = run(&snapshot).unwrap().overview();
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
        assert_eq!(stored.overview, fresh);
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
            assert_eq!(recon, run(&snapshot).unwrap().overview(), "after {sql}");
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
        assert!(stored_as(&snapshot, STORED_VERSION).unwrap().is_none());
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
            (fresh.overview(), Freshness::Computed)
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
        assert_eq!(recon, run(&snapshot).unwrap().overview());
        assert!(stored(&snapshot).unwrap().is_none());
    }

    #[test]
    fn reconcile_stores_and_a_signed_off_period_still_stores_its_result() {
        let (_dir, snapshot) = demo();
        let fresh = run_and_store(&snapshot).unwrap();
        assert_eq!(fresh, run(&snapshot).unwrap());
        let fresh = fresh.overview();
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
            stored(&snapshot).unwrap().map(|s| s.overview),
            Some(fresh.clone())
        );
        run_and_store(&snapshot).unwrap();
        assert_eq!(stored(&snapshot).unwrap().unwrap().overview, fresh);
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

    #[test]
    fn only_the_overview_is_stored_and_it_has_the_engines_figures() {
        let (_dir, snapshot) = demo();
        let fresh = run(&snapshot).unwrap();
        // The demo has accounts rolled forward and aged, and adjustments in the window.
        assert!(!fresh.steps.rollforward.accounts.is_empty());
        assert!(!fresh.aging.accounts.is_empty());
        assert!(!fresh.steps.adjustments.adjustments.is_empty());
        stored_or_run(&snapshot).unwrap();
        let row = snapshot.stored_reconciliation().unwrap().unwrap();
        assert_eq!(row.version, STORED_VERSION);
        assert_ne!(row.version, env!("CARGO_PKG_VERSION"));
        let value: serde_json::Value = serde_json::from_str(&row.result).unwrap();
        assert!(value["steps"]["rollforward"].get("accounts").is_none(), "{value}");
        assert!(value["aging"].get("accounts").is_none(), "{value}");
        assert!(
            value["steps"]["adjustments"].get("adjustments").is_none(),
            "{value}"
        );
        assert!(row.result.len() < serde_json::to_string(&fresh).unwrap().len());
        // What is read back has every figure of the engine's run that the overview keeps.
        let (overview, how) = stored_or_run(&snapshot).unwrap();
        assert!(matches!(how, Freshness::Stored { .. }));
        assert_eq!(overview.period, fresh.period);
        assert_eq!(overview.headline, fresh.headline);
        assert_eq!(overview.mismatches, fresh.mismatches);
        assert_eq!(overview.aging, fresh.aging.totals);
        assert_eq!(overview.steps.rollforward, fresh.steps.rollforward.totals);
        assert_eq!(overview.steps.adjustments, fresh.steps.adjustments.totals);
        assert_eq!(
            overview.steps.adjustment_count,
            fresh.steps.adjustments.adjustments.len() as u64
        );
        assert_eq!(overview.steps.posted, fresh.steps.posted);
        assert_eq!(overview.steps.applied, fresh.steps.applied);
        assert_eq!(overview.steps.exports, fresh.steps.exports);
        // The per-account revenue split (for the GL by account) is a per-subject list.
        assert!(overview.steps.revenue.accounts.is_empty());
        assert_eq!(
            overview.steps.revenue,
            crate::reconcile::revenue::RevenueFigures {
                accounts: Vec::new(),
                ..fresh.steps.revenue.clone()
            }
        );
        assert_eq!(overview.steps.usage, fresh.steps.usage);
        assert_eq!(overview.steps.programs, fresh.steps.programs);
        assert_eq!(overview.steps.statements, fresh.steps.statements);
    }

    /// Stores `result` under `version` as current.
    fn plant(snapshot: &Snapshot, version: &str, result: String) {
        let generation = snapshot.source_generation().unwrap();
        snapshot
            .store_reconciliation(&StoredRow {
                generation,
                version: version.to_string(),
                computed_at: "2026-11-01T00:00:00Z".to_string(),
                checksum: Some(checksum(generation, version, &result)),
                result,
            })
            .unwrap();
    }

    #[test]
    fn a_whole_reconciliation_stored_by_an_earlier_build_is_recomputed_not_misread() {
        let (_dir, snapshot) = demo();
        let fresh = run(&snapshot).unwrap();
        // As the builds before the overview stored it: the whole reconciliation as JSON,
        // under the bare version, current. Its figures are altered, so reading it would
        // show.
        let mut old = fresh.clone();
        old.headline.usage_billed += crate::money::Money::from_cents(100);
        plant(
            &snapshot,
            env!("CARGO_PKG_VERSION"),
            serde_json::to_string(&old).unwrap(),
        );
        assert!(stored(&snapshot).unwrap().is_none());
        let (overview, how) = stored_or_run(&snapshot).unwrap();
        assert_eq!(how, Freshness::Computed);
        assert_eq!(overview, fresh.overview());
        // ... and replaced by an overview in the new format.
        let row = snapshot.stored_reconciliation().unwrap().unwrap();
        assert_eq!(row.version, STORED_VERSION);
        assert!(matches!(
            stored_or_run(&snapshot).unwrap(),
            (ref again, Freshness::Stored { .. }) if *again == fresh.overview()
        ));

        // Under this version's label, a whole reconciliation still does not read as an
        // overview: it counts as none.
        plant(&snapshot, STORED_VERSION, serde_json::to_string(&old).unwrap());
        assert!(stored(&snapshot).unwrap().is_none());
        let (overview, how) = stored_or_run(&snapshot).unwrap();
        assert_eq!(how, Freshness::Computed);
        assert_eq!(overview, fresh.overview());
    }
}
