//! The content hash of the source rows: what a sign-off signs besides the figures, so a
//! source row changed after sign-off — a roster role, an account name, a payment
//! reference, an amount moved between two invoices with the totals unchanged — no longer
//! gives the hash that was signed (docs/workflow.md, "What verify proves").
//!
//! Owns the content hash's encoding of source rows; must not read workflow tables, nor
//! change its encoding (every signed period would stop verifying).

use rusqlite::types::ValueRef;
use rusqlite::Result;
use sha2::{Digest, Sha256};

use super::schema::{IMPORT_TABLES, SOURCE_TABLES, USAGE_AGGREGATE_TABLES};
use super::Snapshot;

/// The first bytes hashed, naming the encoding and its version.
pub const CONTENT_TAG: &str = "closedesk.source-content.v1";

/// Columns of the period row the workflow writes (status, last clean close): not source
/// content, and they change at sign-off itself.
const PERIOD_WORKFLOW_COLUMNS: &[&str] = &["status", "last_clean_period", "last_clean_date"];

fn put(hash: &mut Sha256, tag: u8, bytes: &[u8]) {
    hash.update([tag]);
    hash.update((bytes.len() as u64).to_be_bytes());
    hash.update(bytes);
}

impl Snapshot {
    /// SHA-256 (lowercase hex) over every source table and the import counts, in the order
    /// of [`SOURCE_TABLES`] then [`IMPORT_TABLES`] (then [`USAGE_AGGREGATE_TABLES`] that hold
    /// rows): each table's name, its column names, and
    /// its rows in primary-key order, each cell as a type byte (`N` null, `I` integer, `R`
    /// real, `T` text, `B` blob), a big-endian length and the bytes (an integer as 8
    /// big-endian bytes). Independent of rowids and page layout: a `VACUUM` keeps it.
    pub fn source_content_hash(&self) -> Result<String> {
        let conn = self.conn();
        let mut hash = Sha256::new();
        put(&mut hash, b'V', CONTENT_TAG.as_bytes());
        // The pre-aggregated usage tables (schema 6) only when they hold rows, so that the
        // hash of every snapshot without them is the one it had before they existed.
        let mut aggregates = Vec::new();
        for table in USAGE_AGGREGATE_TABLES {
            let rows: bool = conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), [], |r| {
                r.get(0)
            })?;
            if rows {
                aggregates.push(*table);
            }
        }
        for table in SOURCE_TABLES.iter().chain(IMPORT_TABLES).chain(&aggregates) {
            let info: Vec<(String, i64)> = conn
                .prepare(&format!(
                    "SELECT name, pk FROM pragma_table_info('{table}') ORDER BY cid"
                ))?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_>>()?;
            let columns: Vec<&str> = info
                .iter()
                .map(|(name, _)| name.as_str())
                .filter(|c| !(*table == "period" && PERIOD_WORKFLOW_COLUMNS.contains(c)))
                .collect();
            let mut keys: Vec<(i64, &str)> = info
                .iter()
                .filter(|(_, pk)| *pk > 0)
                .map(|(name, pk)| (*pk, name.as_str()))
                .collect();
            keys.sort();
            let order: Vec<&str> = keys.iter().map(|(_, name)| *name).collect();
            put(&mut hash, b'S', table.as_bytes());
            for c in &columns {
                put(&mut hash, b'C', c.as_bytes());
            }
            let sql = format!(
                "SELECT {} FROM {table} ORDER BY {}",
                columns
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
                if order.is_empty() {
                    "rowid".to_string()
                } else {
                    order.join(", ")
                }
            );
            let mut st = conn.prepare(&sql)?;
            let mut rows = st.query([])?;
            while let Some(row) = rows.next()? {
                hash.update(b"r");
                for i in 0..columns.len() {
                    match row.get_ref(i)? {
                        ValueRef::Null => put(&mut hash, b'N', &[]),
                        ValueRef::Integer(v) => put(&mut hash, b'I', &v.to_be_bytes()),
                        ValueRef::Real(v) => put(&mut hash, b'R', &v.to_be_bytes()),
                        ValueRef::Text(v) => put(&mut hash, b'T', v),
                        ValueRef::Blob(v) => put(&mut hash, b'B', v),
                    }
                }
            }
        }
        Ok(crate::digest::hex(&hash.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::new_snapshot;

    #[test]
    fn the_hash_sees_a_moved_amount_and_ignores_the_period_status() {
        let (_dir, snap) = new_snapshot();
        snap.conn()
            .execute_batch(
                "INSERT INTO period (id, entity, window_start, window_end, currency, close_owner,
                     materiality_medium_cents, materiality_high_cents, materiality_critical_cents)
                 VALUES ('2026-03', 'E', '2026-03-01', '2026-03-31', 'USD', 'o', 1, 2, 3);
                 INSERT INTO accounts VALUES ('A', 'Acme', 'customer');
                 INSERT INTO invoices VALUES ('I1', 'A', 'posted', '2026-03-02', NULL, '2026-04-01', 100, 100);
                 INSERT INTO invoices VALUES ('I2', 'A', 'posted', '2026-03-02', NULL, '2026-04-01', 200, 200);",
            )
            .unwrap();
        let first = snap.source_content_hash().unwrap();
        assert_eq!(first.len(), 64);
        snap.conn()
            .execute_batch("UPDATE period SET status = 'signed_off', last_clean_period = '2026-03'")
            .unwrap();
        assert_eq!(
            snap.source_content_hash().unwrap(),
            first,
            "workflow columns are not content"
        );
        // Ten cents moved from one invoice to the other: the totals are unchanged.
        snap.conn()
            .execute_batch(
                "UPDATE period SET status = 'open';
                 UPDATE invoices SET total_cents = 90, balance_cents = 90 WHERE id = 'I1';
                 UPDATE invoices SET total_cents = 210, balance_cents = 210 WHERE id = 'I2';",
            )
            .unwrap();
        assert_ne!(snap.source_content_hash().unwrap(), first);
    }
}
