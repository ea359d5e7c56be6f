//! The source rows behind a mismatch, as a reviewer reads them: each row's date, account,
//! kind and links, and its amounts by name (an invoice has its total, the platform's
//! balance and its window-end balance). One reader per source table, by id. No workflow
//! rule and no display here: the CLI's `mismatch KEY --rows` and the cockpit lay them out.

use rusqlite::{named_params, OptionalExtension, Result, Row};

use super::model::Period;
use super::queries::{
    balance_at_end, line_billed_in_window, linked_usage, money_at, receivable_at_end, receivable_status,
    Window,
};
use super::Snapshot;
use crate::money::Money;

/// One source row, read for tracing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SourceRow {
    pub table: &'static str,
    pub id: String,
    /// Its date (posted, occurred, disbursed, issued, created), as stored.
    pub date: Option<String>,
    /// The account it belongs to (an invoice line's and a disbursement's: their invoice's).
    pub account: Option<String>,
    /// Its kind or status and the rows it names, e.g. `posted` or `payment PAY-1 → INV-1`.
    pub detail: String,
    /// Its amounts, by name, in a fixed order per table.
    pub amounts: Vec<(&'static str, Money)>,
    /// False when no row of the table has this id (it was deleted after the check ran).
    pub found: bool,
}

/// For each table: the SQL that reads one row by `:id`, as (date, account, detail, amounts…),
/// and the names of its amounts.
fn reader(table: &str) -> Option<(String, &'static [&'static str])> {
    let (sql, names): (String, &'static [&'static str]) = match table {
        "invoices" => (
            format!(
                "SELECT i.posted_at, i.account_id,
                        i.status || CASE WHEN i.voided_at IS NULL THEN '' ELSE ' (voided ' || i.voided_at || ')' END
                             || ', due ' || i.due_date,
                        i.total_cents, i.balance_cents,
                        CASE WHEN i.status = 'void' AND i.voided_at <= :end THEN 0 ELSE {} END,
                        CASE WHEN i.status = 'void' THEN 0 ELSE {} END
                 FROM invoices i WHERE i.id = :id",
                balance_at_end!(),
                // What the platform's balance should be at its export: the `balance` check's
                // expected figure, so a trace of that check shows it as a sum. A void carries
                // no balance: none from its void date (window end, export) on.
                balance_at_end!(
                    @of
                    "(SELECT COALESCE(SUM(d.amount_cents), 0) FROM disbursements d WHERE d.invoice_id = i.id)",
                    "(SELECT COALESCE(SUM(g.amount_cents), 0) FROM ledger g
                      WHERE g.invoice_id = i.id AND g.kind = 'adjustment')"
                )
            ),
            &["total", "platform balance", "window-end balance", "export-date balance"],
        ),
        "invoice_lines" => (
            "SELECT COALESCE(l.service_start, i.posted_at), i.account_id,
                    l.kind || ' on ' || l.invoice_id
                         || COALESCE(', program ' || l.program_id, '')
                         || CASE WHEN l.service_start IS NULL THEN ''
                                 ELSE ', service ' || l.service_start || '..' || COALESCE(l.service_end, '') END,
                    l.amount_cents
             FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE l.id = :id"
                .into(),
            &["amount"],
        ),
        "payments" => (
            "SELECT occurred_on, account_id,
                    kind || COALESCE(' of ' || related_payment_id, '') || COALESCE(', ' || reference, ''),
                    amount_cents, CASE kind WHEN 'payment' THEN amount_cents ELSE -amount_cents END
             FROM payments WHERE id = :id"
                .into(),
            // Its part of its payment's net value (docs/reconciliation.md, "Words"): the
            // payment adds, a reversal, refund or chargeback takes away.
            &["amount", "net value"],
        ),
        "credits" => (
            "SELECT issued_on, account_id,
                    kind || COALESCE(' of ' || related_credit_id, '') || COALESCE(', ' || reason, ''),
                    amount_cents, CASE kind WHEN 'credit' THEN amount_cents ELSE -amount_cents END
             FROM credits WHERE id = :id"
                .into(),
            &["amount", "net value"],
        ),
        "disbursements" => (
            "SELECT d.disbursed_on, i.account_id, d.source_kind || ' ' || d.source_id || ' → ' || d.invoice_id,
                    d.amount_cents
             FROM disbursements d LEFT JOIN invoices i ON i.id = d.invoice_id WHERE d.id = :id"
                .into(),
            &["amount"],
        ),
        "ledger" => (
            "SELECT occurred_at, account_id,
                    kind || COALESCE(' on ' || invoice_id, '') || COALESCE(', ref ' || reference, ''),
                    amount_cents
             FROM ledger WHERE id = :id"
                .into(),
            &["amount"],
        ),
        "usage_events" => (
            "SELECT occurred_at, account_id,
                    kind || ' ×' || units || ', ' || state || COALESCE(' → ' || invoice_line_id, ''),
                    COALESCE(rated_amount_cents, 0)
             FROM usage_events WHERE id = :id"
                .into(),
            &["rated"],
        ),
        "export_batches" => (
            "SELECT created_at, NULL, kind || ' to ' || destination, total_cents
             FROM export_batches WHERE id = :id"
                .into(),
            &["header total"],
        ),
        "export_lines" => (
            "SELECT NULL, account_id, 'line of ' || batch_id || COALESCE(' for ' || invoice_id, ''), amount_cents
             FROM export_lines WHERE id = :id"
                .into(),
            &["amount"],
        ),
        "program_statements" => (
            "SELECT s.issued_on, p.employer_account_id, 'statement of ' || s.program_id, s.total_cents
             FROM program_statements s LEFT JOIN employer_programs p ON p.id = s.program_id WHERE s.id = :id"
                .into(),
            &["total"],
        ),
        "statement_lines" => (
            "SELECT NULL, NULL,
                    'line of ' || statement_id || COALESCE(' for ' || invoice_line_id, '')
                         || COALESCE(', ' || description, ''),
                    amount_cents
             FROM statement_lines WHERE id = :id"
                .into(),
            &["amount"],
        ),
        "employer_programs" => (
            "SELECT NULL, employer_account_id, name || ', ' || basis_units || ' units', rate_cents,
                    basis_units * rate_cents
             FROM employer_programs WHERE id = :id"
                .into(),
            &["rate", "expected fee"],
        ),
        "accounts" => (
            "SELECT NULL, id, kind || ', ' || name FROM accounts WHERE id = :id".into(),
            &[],
        ),
        _ => return None,
    };
    Some((sql, names))
}

fn text_at(row: &Row<'_>, idx: usize) -> Result<Option<String>> {
    row.get(idx)
}

impl Snapshot {
    /// Each of `refs` (table, id) read for tracing, in the order given. A table closedesk
    /// does not trace gives a row with its id alone.
    pub fn source_rows<'r>(
        &self,
        period: &Period,
        refs: impl IntoIterator<Item = (&'static str, &'r str)>,
    ) -> Result<Vec<SourceRow>> {
        let w = Window::of(period);
        let mut out = Vec::new();
        for (table, id) in refs {
            let missing = || SourceRow {
                table,
                id: id.to_string(),
                date: None,
                account: None,
                detail: String::new(),
                amounts: Vec::new(),
                found: false,
            };
            let Some((sql, names)) = reader(table) else {
                out.push(missing());
                continue;
            };
            let mut stmt = self.conn().prepare_cached(&sql)?;
            let params = if table == "invoices" {
                named_params! { ":id": id, ":end": w.end, ":after_end": w.after_end }.to_vec()
            } else {
                named_params! { ":id": id }.to_vec()
            };
            let row = stmt
                .query_row(params.as_slice(), |r| {
                    let mut amounts = Vec::with_capacity(names.len());
                    for (i, name) in names.iter().enumerate() {
                        amounts.push((*name, money_at(r, 3 + i)?));
                    }
                    Ok(SourceRow {
                        table,
                        id: id.to_string(),
                        date: text_at(r, 0)?,
                        account: text_at(r, 1)?,
                        detail: text_at(r, 2)?.unwrap_or_default(),
                        amounts,
                        found: true,
                    })
                })
                .optional()?;
            out.push(row.unwrap_or_else(missing));
        }
        Ok(out)
    }
}

/// A usage line billed in the window, as the usage compare lays it out: what it billed
/// against the rated amounts of the events billed on it (docs/reconciliation.md, "Usage,
/// event by event").
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UsageLineRated {
    pub id: String,
    pub invoice_id: String,
    /// The line's amount.
    pub billed: Money,
    /// The rated amounts of the `rated` events of the line's own account linked to it, and
    /// how many they are.
    pub rated: Money,
    pub events: u64,
    /// Events of other accounts linked to it: how many, and their rated amounts.
    pub foreign_count: u64,
    pub foreign_amount: Money,
}

impl Snapshot {
    /// The account a usage mismatch's subject belongs to: a usage line's invoice's account,
    /// a usage event's account, or else the subject itself (an account).
    pub fn usage_subject_account(&self, subject: &str) -> Result<String> {
        // Pre-aggregated usage: `ACCOUNT/DAY/KIND[/LINE]` (an id has no `/`).
        if let Some((account, _)) = subject.split_once('/') {
            return Ok(account.to_string());
        }
        let found: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT i.account_id FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE l.id = ?1
                 UNION ALL SELECT account_id FROM usage_events WHERE id = ?1
                 LIMIT 1",
            )?
            .query_row([subject], |r| r.get(0))
            .optional()?;
        Ok(found.unwrap_or_else(|| subject.to_string()))
    }

    /// `account`'s usage lines billed in the window, each with the rated events billed on it
    /// (the engine's per-line figures, `usage:{line}:events`), by id.
    pub fn usage_lines_rated(&self, period: &Period, account: &str) -> Result<Vec<UsageLineRated>> {
        let w = Window::of(period);
        let sql = concat!(
            "SELECT l.id, l.invoice_id, l.amount_cents,\n",
            linked_usage!(
                rated,
                "account_id = i.account_id AND state IN ('rated', 'rerating')"
            ),
            ",\n",
            linked_usage!(
                count,
                "account_id = i.account_id AND state IN ('rated', 'rerating')"
            ),
            ",\n",
            linked_usage!(count, "account_id <> i.account_id"),
            ",\n",
            linked_usage!(rated, "account_id <> i.account_id"),
            "
             FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
             WHERE l.kind = 'usage' AND i.account_id = :account AND ",
            line_billed_in_window!(),
            "
             ORDER BY l.id"
        );
        let mut st = self.conn().prepare_cached(sql)?;
        let rows = st.query_map(
            named_params! { ":start": w.start, ":end": w.end, ":after_end": w.after_end, ":account": account },
            |r| {
                Ok(UsageLineRated {
                    id: r.get(0)?,
                    invoice_id: r.get(1)?,
                    billed: money_at(r, 2)?,
                    rated: money_at(r, 3)?,
                    events: r.get::<_, i64>(4)?.max(0) as u64,
                    foreign_count: r.get::<_, i64>(5)?.max(0) as u64,
                    foreign_amount: money_at(r, 6)?,
                })
            },
        )?;
        rows.collect()
    }
}
