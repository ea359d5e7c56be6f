//! Writing source data held in memory into a new snapshot, in one transaction (the demo
//! period, test fixtures) with its source aggregates; `import` streams through
//! [`super::bulk`] instead.

use rusqlite::Transaction;

use super::bulk::RowWriter;
use super::encode::{insert_checklist, insert_period, insert_source_counts};
use super::model::SourceData;
use super::Snapshot;

impl Snapshot {
    /// Writes every source table, its row count (`source_counts`, each table's file named
    /// `TABLE.csv` as import reads it) and the initial checklist (all eight items `pending`).
    /// The snapshot must be new and empty; all or nothing.
    pub fn insert_source(&mut self, data: &SourceData) -> rusqlite::Result<()> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        insert_all(&tx, data)?;
        // The source aggregates, computed once from the rows just written (issue 15).
        super::aggregates::build_in(&tx, &data.period)?;
        tx.commit()
    }
}

fn insert_all(tx: &Transaction<'_>, d: &SourceData) -> rusqlite::Result<()> {
    // A reversal may name a payment further down its file: references are checked at
    // commit instead of row by row (any that does not resolve still fails the import).
    tx.pragma_update(None, "defer_foreign_keys", "ON")?;
    insert_period(tx, &d.period)?;
    let mut w = RowWriter::new(tx)?;
    w.source_data(d)?;
    let counts = w.row_counts();
    drop(w);
    insert_source_counts(tx, &counts, &|table| format!("{table}.csv"))?;
    insert_checklist(tx)
}
