//! The internal tables behind stored reconciliation results (docs/reconciliation.md,
//! "Stored results"): the source generation and the one stored result.

use rusqlite::{params, OptionalExtension, Result};

use super::{Snapshot, BUSY_TIMEOUT};

/// The stored result as it is in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRow {
    /// The source generation it was computed from.
    pub generation: i64,
    /// The closedesk version that computed it.
    pub version: String,
    pub computed_at: String,
    /// The reconciliation, as JSON.
    pub result: String,
    /// SHA-256 over generation, version and result (`reconcile::stored::checksum`): a row
    /// edited by hand no longer matches it. `None` in a row stored before schema 2.
    pub checksum: Option<String>,
}

impl Snapshot {
    /// The source generation: bumped by every change to a source row.
    pub fn source_generation(&self) -> Result<i64> {
        self.conn()
            .prepare_cached("SELECT generation FROM source_generation WHERE id = 1")?
            .query_row([], |r| r.get(0))
    }

    /// The stored reconciliation, if one was ever stored.
    pub fn stored_reconciliation(&self) -> Result<Option<StoredRow>> {
        self.conn()
            .prepare_cached(
                "SELECT generation, version, computed_at, result, checksum FROM reconcile_cache WHERE id = 1",
            )?
            .query_row([], |r| {
                Ok(StoredRow {
                    generation: r.get(0)?,
                    version: r.get(1)?,
                    computed_at: r.get(2)?,
                    result: r.get(3)?,
                    checksum: r.get(4)?,
                })
            })
            .optional()
    }

    /// The generation and version of the stored reconciliation, without its result.
    pub fn stored_reconciliation_key(&self) -> Result<Option<(i64, String)>> {
        self.conn()
            .prepare_cached("SELECT generation, version FROM reconcile_cache WHERE id = 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    }

    /// Replaces the stored reconciliation. Does not wait for another writer: a busy file
    /// is an error at once (storing is best effort; the caller ignores the error).
    pub fn store_reconciliation(&self, row: &StoredRow) -> Result<()> {
        let conn = self.conn();
        conn.busy_timeout(std::time::Duration::ZERO)?;
        let written = conn.execute(
            "INSERT OR REPLACE INTO reconcile_cache (id, generation, version, computed_at, result, checksum)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![
                row.generation,
                row.version,
                row.computed_at,
                row.result,
                row.checksum
            ],
        );
        conn.busy_timeout(BUSY_TIMEOUT)?;
        written.map(|_| ())
    }
}
