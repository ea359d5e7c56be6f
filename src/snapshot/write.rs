//! Writing imported source data into a new snapshot, in one transaction.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rusqlite::{params, Transaction};

use super::bulk::RowWriter;
use super::model::{Period, SourceData};
use super::schema::CHECKLIST_ITEMS;
use super::Snapshot;
use crate::money::Money;

/// `YYYY-MM-DD`, without the general-purpose format machinery (called per row).
pub(super) fn date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

pub(super) fn opt_date(d: Option<NaiveDate>) -> Option<String> {
    d.map(date)
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(super) fn ts(t: NaiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub(super) fn cents(m: Money) -> i64 {
    m.cents()
}

/// The period row, `open`.
pub(super) fn insert_period(tx: &Transaction<'_>, p: &Period) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO period (id, entity, window_start, window_end, currency, close_owner,
            materiality_medium_cents, materiality_high_cents, materiality_critical_cents,
            last_clean_period, last_clean_date, status, exported_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open', ?12)",
        params![
            p.id,
            p.entity,
            date(p.window_start),
            date(p.window_end),
            p.currency,
            p.close_owner,
            cents(p.materiality_medium),
            cents(p.materiality_high),
            cents(p.materiality_critical),
            p.last_clean_period,
            opt_date(p.last_clean_date),
            opt_date(p.exported_on),
        ],
    )?;
    Ok(())
}

/// The eight checklist items, all `pending`.
pub(super) fn insert_checklist(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut st = tx.prepare("INSERT INTO checklist (item, title, status) VALUES (?1, ?2, 'pending')")?;
    for (i, title) in CHECKLIST_ITEMS.iter().enumerate() {
        st.execute(params![i as i64 + 1, title])?;
    }
    Ok(())
}

/// The import metadata: one `source_counts` row per source table, its rows as written and
/// the file they came from (`file_of(table)`).
pub(super) fn insert_source_counts(
    tx: &Transaction<'_>,
    counts: &[(&str, i64)],
    file_of: &dyn Fn(&str) -> String,
) -> rusqlite::Result<()> {
    let mut st = tx.prepare("INSERT INTO source_counts (table_name, file, rows) VALUES (?1, ?2, ?3)")?;
    for (table, rows) in counts {
        st.execute(params![table, file_of(table), rows])?;
    }
    Ok(())
}

impl Snapshot {
    /// Writes every source table, its row count (`source_counts`, each table's file named
    /// `TABLE.csv` as import reads it) and the initial checklist (all eight items `pending`).
    /// The snapshot must be new and empty; all or nothing.
    pub fn insert_source(&mut self, data: &SourceData) -> rusqlite::Result<()> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        insert_all(&tx, data)?;
        tx.commit()
    }
}

fn insert_all(tx: &Transaction<'_>, d: &SourceData) -> rusqlite::Result<()> {
    // A reversal may name a payment further down its file: references are checked at
    // commit instead of row by row (any that does not resolve still fails the import).
    tx.pragma_update(None, "defer_foreign_keys", "ON")?;
    insert_period(tx, &d.period)?;
    let mut w = RowWriter::new(tx)?;
    d.lane_owners.iter().try_for_each(|r| w.lane_owner(r))?;
    d.accounts.iter().try_for_each(|r| w.account(r))?;
    d.invoices.iter().try_for_each(|r| w.invoice(r))?;
    d.employer_programs
        .iter()
        .try_for_each(|r| w.employer_program(r))?;
    d.invoice_lines.iter().try_for_each(|r| w.invoice_line(r))?;
    d.payments.iter().try_for_each(|r| w.payment(r))?;
    d.credits.iter().try_for_each(|r| w.credit(r))?;
    d.disbursements.iter().try_for_each(|r| w.disbursement(r))?;
    d.ledger.iter().try_for_each(|r| w.ledger(r))?;
    d.usage_events.iter().try_for_each(|r| w.usage_event(r))?;
    d.export_batches.iter().try_for_each(|r| w.export_batch(r))?;
    d.export_lines.iter().try_for_each(|r| w.export_line(r))?;
    d.program_statements
        .iter()
        .try_for_each(|r| w.program_statement(r))?;
    d.statement_lines.iter().try_for_each(|r| w.statement_line(r))?;
    d.roster.iter().try_for_each(|r| w.roster(r))?;
    let counts = w.row_counts();
    drop(w);
    insert_source_counts(tx, &counts, &|table| format!("{table}.csv"))?;
    insert_checklist(tx)
}
