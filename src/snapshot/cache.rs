//! The internal tables behind stored reconciliation results (docs/reconciliation.md,
//! "Stored results"): the source generation, the one stored result's header
//! (`reconcile_cache`), and its rows: one per mismatch (`reconcile_mismatches`) and one per
//! block of step figures (`reconcile_steps`), keyed by the source generation.

use rusqlite::{params, Connection, OptionalExtension, Result};

use super::Snapshot;

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
    /// SHA-256 over generation, version and result (`reconcile::stored::checksum`; since
    /// schema 5 also `edits`: `reconcile::stored::sealed_checksum`): a row edited by hand
    /// no longer matches it. `None` in a row stored before schema 2.
    pub checksum: Option<String>,
    /// The edit counter (`reconcile_edits`) as the store of these rows left it (schema 5):
    /// while the counter is still there, no row of the result changed since. `None` in a
    /// row stored before.
    pub edits: Option<i64>,
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
                "SELECT generation, version, computed_at, result, checksum, edits FROM reconcile_cache WHERE id = 1",
            )?
            .query_row([], |r| {
                Ok(StoredRow {
                    generation: r.get(0)?,
                    version: r.get(1)?,
                    computed_at: r.get(2)?,
                    result: r.get(3)?,
                    checksum: r.get(4)?,
                    edits: r.get(5)?,
                })
            })
            .optional()
    }

    /// The edit counter of the stored result's rows (`reconcile_edits`, schema 5): bumped by
    /// every insert, update or delete of a `reconcile_steps`, `reconcile_mismatches` or
    /// `reconcile_totals` row, whoever makes it; it only counts up.
    pub fn stored_edits(&self) -> Result<i64> {
        self.conn()
            .prepare_cached("SELECT edits FROM reconcile_edits WHERE id = 1")?
            .query_row([], |r| r.get(0))
    }

    /// Whether every trigger behind the edit counter is in the file exactly as schema 5
    /// created it (a dropped or changed one would let a row change unseen).
    pub fn sealing_triggers_intact(&self) -> Result<bool> {
        let expected = super::schema::sealing_triggers();
        let mut found = Vec::with_capacity(expected.len());
        let mut statement = self.conn().prepare_cached(
            "SELECT name, sql FROM sqlite_schema
             WHERE type = 'trigger' AND (name LIKE 'reconcile\\_%' ESCAPE '\\') ORDER BY name",
        )?;
        let mut rows = statement.query([])?;
        while let Some(r) = rows.next()? {
            found.push((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ));
        }
        Ok(found == expected)
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
}

/// Writes the stored result's header, replacing the one there is.
fn put_header(conn: &Connection, row: &StoredRow) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO reconcile_cache (id, generation, version, computed_at, result, checksum, edits)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            row.generation,
            row.version,
            row.computed_at,
            row.result,
            row.checksum,
            row.edits
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

/// [`Snapshot::stored_open_counts`]: `reconcile_totals` less the touched mismatches as
/// stored, plus those still open as corrected; ?1 is the generation.
pub(crate) const OPEN_COUNTS: &str = "WITH accepted AS (
                     SELECT target,
                            sum(CASE WHEN side = 'expected' THEN amount_cents ELSE 0 END) AS expected,
                            sum(CASE WHEN side = 'actual' THEN amount_cents ELSE 0 END) AS actual
                     FROM annotations
                     WHERE target_kind = 'mismatch' AND kind = 'correction' AND correction_status = 'accepted'
                     GROUP BY target),
                 touched AS (SELECT key FROM mismatch_state WHERE status <> 'open' UNION SELECT target FROM accepted),
                 corrected AS (
                     SELECT m.severity, abs(m.variance_cents) AS raw,
                            (m.actual_cents + coalesce(a.actual, 0)) - (m.expected_cents + coalesce(a.expected, 0)) AS variance,
                            coalesce(s.status, 'open') AS status
                     FROM touched t
                     CROSS JOIN reconcile_mismatches m ON m.key = t.key
                     LEFT JOIN mismatch_state s ON s.key = m.key
                     LEFT JOIN accepted a ON a.target = m.key
                     WHERE m.generation = ?1),
                 delta AS (
                     SELECT severity, -1 AS n, -raw AS variance FROM corrected
                     UNION ALL
                     SELECT severity, 1, abs(variance) FROM corrected
                     WHERE status IN ('open', 'in_correction') OR (status = 'resolved' AND variance <> 0)
                     UNION ALL
                     SELECT severity, mismatches, variance_abs_cents FROM reconcile_totals WHERE generation = ?1)
                 SELECT coalesce(sum(CASE WHEN severity = 'critical' THEN n END), 0),
                        coalesce(sum(CASE WHEN severity = 'high' THEN n END), 0),
                        coalesce(sum(CASE WHEN severity = 'medium' THEN n END), 0),
                        coalesce(sum(CASE WHEN severity = 'low' THEN n END), 0),
                        coalesce(sum(variance), 0)
                 FROM delta";

/// The stored mismatches the workflow overlay touches, each looked up by key from the
/// overlay's rows (never read by generation: that is all of them); ?1 the generation.
pub(crate) const TOUCHED: &str = "WITH touched AS (
     SELECT key FROM mismatch_state WHERE status <> 'open' OR owner_override IS NOT NULL
     UNION SELECT target FROM annotations WHERE target_kind = 'mismatch')
 SELECT m.key, m.lane, m.subject, m.check_name, m.severity, m.expected_cents, m.actual_cents,
        m.variance_cents, m.owner, m.detail_hash, m.detail
 FROM touched t CROSS JOIN reconcile_mismatches m ON m.key = t.key
 WHERE m.generation = ?1";

/// The columns of a stored mismatch as [`stored_mismatch`] reads them, but `detail` (read
/// last, after these).
macro_rules! columns {
    () => {
        "key, lane, subject, check_name, severity, expected_cents, actual_cents, variance_cents,
         owner, detail_hash"
    };
}

/// The first page of the cockpit's mismatch list, by the `reconcile_mismatches_first`
/// index (no sort); ?1 the generation, ?2 how many.
pub(crate) const FIRST_PAGE: &str = concat!(
    "SELECT ",
    columns!(),
    ", detail
 FROM reconcile_mismatches WHERE generation = ?1
 ORDER BY (CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END),
          abs(variance_cents) DESC, key
 LIMIT ?2"
);

fn stored_mismatch(r: &rusqlite::Row<'_>) -> Result<StoredMismatch> {
    Ok(StoredMismatch {
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
    })
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
            concat!(
                "SELECT ",
                columns!(),
                ", detail FROM reconcile_mismatches WHERE generation = ?1 ORDER BY ord"
            )
        } else {
            concat!(
                "SELECT ",
                columns!(),
                ", '' FROM reconcile_mismatches WHERE generation = ?1 ORDER BY ord"
            )
        };
        self.each_mismatch(sql, [generation], &mut each)
    }

    /// Hands `each` the stored mismatch of each row `sql` reads with `params`.
    fn each_mismatch(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        each: &mut impl FnMut(StoredMismatch) -> Result<()>,
    ) -> Result<()> {
        let mut statement = self.conn().prepare_cached(sql)?;
        let mut rows = statement.query(params)?;
        while let Some(r) = rows.next()? {
            each(stored_mismatch(r)?)?;
        }
        Ok(())
    }

    /// The open stored mismatches of `generation` by severity and their Σ |corrected
    /// variance|, with the workflow overlay applied in SQL exactly as
    /// `workflow::mismatches::views` does: accepted corrections added to their side; a
    /// mismatch is open unless waived, or resolved with a corrected variance of zero.
    /// From `reconcile_totals` (every mismatch as open, its raw |variance|), less the
    /// mismatches the overlay touches (a state other than open, or an accepted correction)
    /// as stored,
    /// plus those of them still open as corrected: the work is in the overlay's rows, not
    /// in the stored mismatches.
    pub fn stored_open_counts(&self, generation: i64) -> Result<OpenCounts> {
        self.conn()
            .prepare_cached(OPEN_COUNTS)?
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

    /// The stored mismatches of `generation` counted and totalled (Σ |variance|) per lane
    /// and severity, as stored: (lane, severity, count, Σ |variance| in minor units).
    pub fn stored_totals(&self, generation: i64) -> Result<Vec<(String, String, i64, i64)>> {
        self.conn()
            .prepare_cached(
                "SELECT lane, severity, mismatches, variance_abs_cents FROM reconcile_totals
                 WHERE generation = ?1 ORDER BY lane, severity",
            )?
            .query_map([generation], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect()
    }

    /// Hands `each` the stored mismatches of `generation`, with their `detail`, that the
    /// workflow overlay touches (a state other than open, an owner override or any
    /// annotation; every action records the state of every mismatch as seen), then the first `first` in
    /// the cockpit's order (most severe, then largest |variance|, then key; by an index):
    /// what the cockpit's first frame shows. A mismatch may come twice.
    pub fn stored_first_mismatches(
        &self,
        generation: i64,
        first: i64,
        mut each: impl FnMut(StoredMismatch) -> Result<()>,
    ) -> Result<()> {
        self.each_mismatch(TOUCHED, [generation], &mut each)?;
        self.each_mismatch(FIRST_PAGE, [generation, first], &mut each)
    }

    /// The stored mismatch `key` of `generation`, with its `detail`.
    pub fn stored_mismatch(&self, generation: i64, key: &str) -> Result<Option<StoredMismatch>> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            ", detail FROM reconcile_mismatches WHERE generation = ?1 AND key = ?2"
        );
        self.conn()
            .prepare_cached(sql)?
            .query_row(params![generation, key], stored_mismatch)
            .optional()
    }

    /// Replaces the stored result — its header, step rows, mismatch rows and their totals
    /// per lane and severity, those of any other generation dropped — in one transaction,
    /// and seals it: `header` is given the edit counter as these writes left it (it
    /// computes the checksum over it) and written last. Does not wait for another writer:
    /// a busy file is an error at once (storing is best effort; the caller ignores the
    /// error).
    pub fn store_reconciliation_rows(
        &self,
        generation: i64,
        steps: &[(String, String)],
        mismatches: &[StoredMismatch],
        header: impl FnOnce(i64) -> StoredRow,
    ) -> Result<()> {
        self.without_waiting(|conn| {
            let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
            tx.execute("DELETE FROM reconcile_steps", [])?;
            tx.execute("DELETE FROM reconcile_mismatches", [])?;
            tx.execute("DELETE FROM reconcile_totals", [])?;
            {
                let mut step = tx.prepare_cached(
                    "INSERT INTO reconcile_steps (generation, ord, step, figures) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (ord, (name, figures)) in steps.iter().enumerate() {
                    step.execute(params![generation, ord as i64, name, figures])?;
                }
                let mut row = tx.prepare_cached(
                    "INSERT INTO reconcile_mismatches (generation, ord, key, lane, subject, check_name, severity,
                         expected_cents, actual_cents, variance_cents, owner, detail, detail_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?;
                for (ord, m) in mismatches.iter().enumerate() {
                    row.execute(params![
                        generation,
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
                let mut totals: std::collections::BTreeMap<(&str, &str), (i64, i64)> = Default::default();
                for m in mismatches {
                    let total = totals.entry((&m.lane, &m.severity)).or_default();
                    total.0 += 1;
                    total.1 += m.variance_cents.abs();
                }
                let mut row = tx.prepare_cached(
                    "INSERT INTO reconcile_totals (generation, lane, severity, mismatches, variance_abs_cents)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for ((lane, severity), (count, variance)) in totals {
                    row.execute(params![generation, lane, severity, count, variance])?;
                }
            }
            let edits: i64 = tx.query_row("SELECT edits FROM reconcile_edits WHERE id = 1", [], |r| r.get(0))?;
            put_header(&tx, &header(edits))?;
            tx.commit()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{FIRST_PAGE, OPEN_COUNTS, TOUCHED};
    use crate::snapshot::testing::plan;

    #[test]
    fn status_and_the_first_page_read_no_stored_mismatch_they_do_not_show() {
        let (_dir, snapshot) = crate::snapshot::testing::new_snapshot();
        // The counts: a stored mismatch is only looked up by key, from the overlay's rows;
        // none is read by generation (all of them) or scanned (the totals per lane and
        // severity are their own table).
        for sql in [OPEN_COUNTS, TOUCHED] {
            let steps = plan(&snapshot, sql, [1i64]);
            let stored: Vec<&String> = steps
                .iter()
                .filter(|s| s.contains("reconcile_mismatches") || s.ends_with(" m") || s.contains(" m "))
                .collect();
            assert!(!stored.is_empty(), "{steps:?}");
            for step in stored {
                assert!(
                    step.starts_with("SEARCH m USING INDEX reconcile_mismatches_key (key=?)"),
                    "{step}\n{steps:?}"
                );
            }
        }
        // The first page: in index order, no sort of the whole list.
        let steps = plan(&snapshot, FIRST_PAGE, [1i64, 200]);
        for step in &steps {
            assert!(!step.contains("TEMP B-TREE"), "{step}\n{steps:?}");
            assert!(
                !step.starts_with("SCAN") || step.contains("USING"),
                "{step}\n{steps:?}"
            );
        }
    }
}
