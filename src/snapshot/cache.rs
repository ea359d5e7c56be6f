//! The internal tables behind stored reconciliation results (docs/reconciliation.md,
//! "Stored results"): the source generation, the one stored result's header
//! (`reconcile_cache`), and its rows: one per mismatch (`reconcile_mismatches`) and one per
//! block of step figures (`reconcile_steps`), keyed by the source generation.

use rusqlite::{params, Connection, OptionalExtension, Result};

use super::{Snapshot, BUSY_TIMEOUT};

/// The stored result as it is in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRow {
    /// The source generation it was computed from.
    pub generation: i64,
    /// The closedesk version that computed it.
    pub version: String,
    pub computed_at: String,
    /// What the result is: since schema 3 the digest of its rows
    /// (`reconcile::stored::rows_digest`); before, the reconciliation as JSON.
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
        self.without_waiting(|conn| put_header(conn, row))
    }

    /// Runs `write` on the connection without waiting for another writer (a busy file is
    /// an error at once), then puts back the usual [`BUSY_TIMEOUT`].
    fn without_waiting<T>(&self, write: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.conn();
        conn.busy_timeout(std::time::Duration::ZERO)?;
        let written = write(conn);
        conn.busy_timeout(BUSY_TIMEOUT)?;
        written
    }
}

/// Writes the stored result's header, replacing the one there is.
fn put_header(conn: &Connection, row: &StoredRow) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO reconcile_cache (id, generation, version, computed_at, result, checksum)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)",
        params![
            row.generation,
            row.version,
            row.computed_at,
            row.result,
            row.checksum
        ],
    )?;
    Ok(())
}

/// One stored mismatch (`reconcile_mismatches`): the figures as integer minor units, and the
/// rest of the mismatch (title, next action, source rows) as JSON in `detail`, with the
/// SHA-256 of that JSON in `detail_hash`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMismatch {
    pub key: String,
    pub lane: String,
    pub subject: String,
    pub check: String,
    pub severity: String,
    pub expected_cents: i64,
    pub actual_cents: i64,
    pub variance_cents: i64,
    pub owner: String,
    /// Empty when read without it ([`Snapshot::stored_mismatches`] with `detail` false).
    pub detail: String,
    pub detail_hash: String,
}

/// The open mismatches of a stored result with the workflow overlay applied (by SQL): how
/// many by severity, and Σ |corrected variance| in minor units.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenCounts {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    pub variance_abs_cents: i64,
}

impl Snapshot {
    /// The stored step figures of `generation` (name, JSON), in stored order.
    pub fn stored_steps(&self, generation: i64) -> Result<Vec<(String, String)>> {
        self.conn()
            .prepare_cached("SELECT step, figures FROM reconcile_steps WHERE generation = ?1 ORDER BY ord")?
            .query_map([generation], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect()
    }

    /// Hands each stored mismatch of `generation` to `each`, in engine order; without its
    /// `detail` JSON unless `detail` (what counts and totals need is in the other columns).
    pub fn stored_mismatches(
        &self,
        generation: i64,
        detail: bool,
        mut each: impl FnMut(StoredMismatch) -> Result<()>,
    ) -> Result<()> {
        let sql = if detail {
            "SELECT key, lane, subject, check_name, severity, expected_cents, actual_cents, variance_cents,
                    owner, detail_hash, detail
             FROM reconcile_mismatches WHERE generation = ?1 ORDER BY ord"
        } else {
            "SELECT key, lane, subject, check_name, severity, expected_cents, actual_cents, variance_cents,
                    owner, detail_hash, ''
             FROM reconcile_mismatches WHERE generation = ?1 ORDER BY ord"
        };
        let mut statement = self.conn().prepare_cached(sql)?;
        let mut rows = statement.query([generation])?;
        while let Some(r) = rows.next()? {
            each(StoredMismatch {
                key: r.get(0)?,
                lane: r.get(1)?,
                subject: r.get(2)?,
                check: r.get(3)?,
                severity: r.get(4)?,
                expected_cents: r.get(5)?,
                actual_cents: r.get(6)?,
                variance_cents: r.get(7)?,
                owner: r.get(8)?,
                detail_hash: r.get(9)?,
                detail: r.get(10)?,
            })?;
        }
        Ok(())
    }

    /// The open stored mismatches of `generation` by severity and their Σ |corrected
    /// variance|, with the workflow overlay applied in SQL exactly as
    /// `workflow::mismatches::views` does: accepted corrections added to their side; a
    /// mismatch is open unless waived, or resolved with a corrected variance of zero.
    pub fn stored_open_counts(&self, generation: i64) -> Result<OpenCounts> {
        self.conn()
            .prepare_cached(
                "WITH accepted AS (
                     SELECT target,
                            sum(CASE WHEN side = 'expected' THEN amount_cents ELSE 0 END) AS expected,
                            sum(CASE WHEN side = 'actual' THEN amount_cents ELSE 0 END) AS actual
                     FROM annotations
                     WHERE target_kind = 'mismatch' AND kind = 'correction' AND correction_status = 'accepted'
                     GROUP BY target),
                 corrected AS (
                     SELECT m.severity,
                            (m.actual_cents + coalesce(a.actual, 0)) - (m.expected_cents + coalesce(a.expected, 0)) AS variance,
                            coalesce(s.status, 'open') AS status
                     FROM reconcile_mismatches m
                     LEFT JOIN mismatch_state s ON s.key = m.key
                     LEFT JOIN accepted a ON a.target = m.key
                     WHERE m.generation = ?1),
                 open AS (
                     SELECT severity, variance FROM corrected
                     WHERE status IN ('open', 'in_correction') OR (status = 'resolved' AND variance <> 0))
                 SELECT coalesce(sum(severity = 'critical'), 0), coalesce(sum(severity = 'high'), 0),
                        coalesce(sum(severity = 'medium'), 0), coalesce(sum(severity = 'low'), 0),
                        coalesce(sum(abs(variance)), 0)
                 FROM open",
            )?
            .query_row([generation], |r| {
                Ok(OpenCounts {
                    critical: r.get(0)?,
                    high: r.get(1)?,
                    medium: r.get(2)?,
                    low: r.get(3)?,
                    variance_abs_cents: r.get(4)?,
                })
            })
    }

    /// Replaces the stored result — its header, step rows and mismatch rows, those of any
    /// other generation dropped — in one transaction. Does not wait for another writer: a
    /// busy file is an error at once (storing is best effort; the caller ignores the error).
    pub fn store_reconciliation_rows(
        &self,
        header: &StoredRow,
        steps: &[(String, String)],
        mismatches: &[StoredMismatch],
    ) -> Result<()> {
        self.without_waiting(|conn| {
            let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
            tx.execute("DELETE FROM reconcile_steps", [])?;
            tx.execute("DELETE FROM reconcile_mismatches", [])?;
            {
                let mut step = tx.prepare_cached(
                    "INSERT INTO reconcile_steps (generation, ord, step, figures) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (ord, (name, figures)) in steps.iter().enumerate() {
                    step.execute(params![header.generation, ord as i64, name, figures])?;
                }
                let mut row = tx.prepare_cached(
                    "INSERT INTO reconcile_mismatches (generation, ord, key, lane, subject, check_name, severity,
                         expected_cents, actual_cents, variance_cents, owner, detail, detail_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?;
                for (ord, m) in mismatches.iter().enumerate() {
                    row.execute(params![
                        header.generation,
                        ord as i64,
                        m.key,
                        m.lane,
                        m.subject,
                        m.check,
                        m.severity,
                        m.expected_cents,
                        m.actual_cents,
                        m.variance_cents,
                        m.owner,
                        m.detail,
                        m.detail_hash
                    ])?;
                }
            }
            put_header(&tx, header)?;
            tx.commit()
        })
    }
}
