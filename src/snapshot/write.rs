//! Writing imported source data into a new snapshot, in one transaction.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rusqlite::{params, Transaction};

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
            last_clean_period, last_clean_date, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open')",
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

impl Snapshot {
    /// Writes every source table and the initial checklist (all eight items `pending`).
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
    insert_period(tx, &d.period)?;
    {
        let mut st = tx.prepare("INSERT INTO lane_owners (lane, owner) VALUES (?1, ?2)")?;
        for r in &d.lane_owners {
            st.execute(params![r.lane.as_str(), r.owner])?;
        }
        let mut st = tx.prepare("INSERT INTO accounts (id, name, kind) VALUES (?1, ?2, ?3)")?;
        for r in &d.accounts {
            st.execute(params![r.id, r.name, r.kind.as_str()])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO invoices (id, account_id, status, posted_at, voided_at, due_date, total_cents, balance_cents)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for r in &d.invoices {
            st.execute(params![
                r.id,
                r.account_id,
                r.status.as_str(),
                opt_date(r.posted_at),
                opt_date(r.voided_at),
                date(r.due_date),
                cents(r.total),
                cents(r.balance)
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO employer_programs (id, employer_account_id, name, basis_units, rate_cents)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for r in &d.employer_programs {
            st.execute(params![
                r.id,
                r.employer_account_id,
                r.name,
                r.basis_units,
                cents(r.rate)
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO invoice_lines (id, invoice_id, kind, program_id, service_start, service_end, amount_cents, revenue_rule, description)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for r in &d.invoice_lines {
            st.execute(params![
                r.id,
                r.invoice_id,
                r.kind.as_str(),
                r.program_id,
                opt_date(r.service_start),
                opt_date(r.service_end),
                cents(r.amount),
                r.revenue_rule.as_str(),
                r.description
            ])?;
        }
        // Payments may name a related payment later in the file: insert payments first,
        // then set the relation.
        let mut st = tx.prepare(
            "INSERT INTO payments (id, account_id, kind, related_payment_id, occurred_on, amount_cents, reference)
             VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6)",
        )?;
        for r in &d.payments {
            st.execute(params![
                r.id,
                r.account_id,
                r.kind.as_str(),
                date(r.occurred_on),
                cents(r.amount),
                r.reference
            ])?;
        }
        let mut st = tx.prepare("UPDATE payments SET related_payment_id = ?2 WHERE id = ?1")?;
        for r in d.payments.iter().filter(|r| r.related_payment_id.is_some()) {
            st.execute(params![r.id, r.related_payment_id])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO credits (id, account_id, kind, related_credit_id, issued_on, amount_cents, reason)
             VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6)",
        )?;
        for r in &d.credits {
            st.execute(params![
                r.id,
                r.account_id,
                r.kind.as_str(),
                date(r.issued_on),
                cents(r.amount),
                r.reason
            ])?;
        }
        let mut st = tx.prepare("UPDATE credits SET related_credit_id = ?2 WHERE id = ?1")?;
        for r in d.credits.iter().filter(|r| r.related_credit_id.is_some()) {
            st.execute(params![r.id, r.related_credit_id])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO disbursements (id, source_kind, source_id, invoice_id, disbursed_on, amount_cents)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for r in &d.disbursements {
            st.execute(params![
                r.id,
                r.source_kind.as_str(),
                r.source_id,
                r.invoice_id,
                date(r.disbursed_on),
                cents(r.amount)
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO ledger (id, account_id, invoice_id, occurred_at, kind, amount_cents, reference)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for r in &d.ledger {
            st.execute(params![
                r.id,
                r.account_id,
                r.invoice_id,
                ts(r.occurred_at),
                r.kind.as_str(),
                cents(r.amount),
                r.reference
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO usage_events (id, account_id, kind, occurred_at, units, rated_amount_cents, state, invoice_line_id, reprocessed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for r in &d.usage_events {
            st.execute(params![
                r.id,
                r.account_id,
                r.kind.as_str(),
                ts(r.occurred_at),
                r.units,
                r.rated_amount.map(cents),
                r.state.as_str(),
                r.invoice_line_id,
                r.reprocessed_at.map(ts)
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO export_batches (id, kind, destination, created_at, total_cents) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for r in &d.export_batches {
            st.execute(params![
                r.id,
                r.kind.as_str(),
                r.destination,
                ts(r.created_at),
                cents(r.total)
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO export_lines (id, batch_id, account_id, invoice_id, amount_cents) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for r in &d.export_lines {
            st.execute(params![
                r.id,
                r.batch_id,
                r.account_id,
                r.invoice_id,
                cents(r.amount)
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO program_statements (id, program_id, issued_on, total_cents) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for r in &d.program_statements {
            st.execute(params![r.id, r.program_id, date(r.issued_on), cents(r.total)])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO statement_lines (id, statement_id, invoice_line_id, description, amount_cents)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for r in &d.statement_lines {
            st.execute(params![
                r.id,
                r.statement_id,
                r.invoice_line_id,
                r.description,
                cents(r.amount)
            ])?;
        }
        let mut st = tx.prepare("INSERT INTO roster (login, display_name, role) VALUES (?1, ?2, ?3)")?;
        for r in &d.roster {
            st.execute(params![r.login, r.display_name, r.role.as_str()])?;
        }
    }
    insert_checklist(tx)
}
