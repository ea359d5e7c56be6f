//! The raw-SQL baseline of the benchmark (`cargo bench`, benches/scale.rs): the aggregates
//! the reconciliation needs, each as one plain `SUM … GROUP BY` (or the comparison of two
//! of them) over integer cents, with every row stepped through and discarded. It computes
//! no figure for anyone; it says how fast SQLite alone produces the engine's inputs on the
//! same file and connection, so the engine's time can be read against it.
//!
//! Owns only the benchmark's raw queries; must not be used for a figure anyone sees (the
//! engine's definitions are in `queries.rs`).

use chrono::Days;

use super::model::DATE_FORMAT;
use super::Snapshot;

impl Snapshot {
    /// Runs the baseline queries inside one read transaction; returns how many rows they
    /// produced (so nothing can be optimized away).
    pub fn raw_sql_baseline(&self) -> rusqlite::Result<u64> {
        let period = self.period()?;
        let fmt = |d: chrono::NaiveDate| d.format(DATE_FORMAT).to_string();
        let start = fmt(period.window_start);
        let end = fmt(period.window_end);
        let after_end = fmt(period.window_end + Days::new(1));
        let read = self.begin_read()?;
        let queries: &[&str] = &[
            // 1. Invoice figures by status, and per invoice: lines vs total, balance vs
            //    total − disbursed + adjustments.
            "SELECT status, count(*), SUM(total_cents), SUM(balance_cents),
                    SUM(posted_at >= :start AND posted_at <= :end)
             FROM invoices GROUP BY status",
            "SELECT i.id FROM invoices i
             JOIN (SELECT invoice_id, SUM(amount_cents) AS s FROM invoice_lines GROUP BY invoice_id) l
               ON l.invoice_id = i.id
             WHERE i.status <> 'draft' AND l.s <> i.total_cents",
            "SELECT invoice_id, SUM(amount_cents) FROM disbursements WHERE disbursed_on <= :end
             GROUP BY invoice_id",
            "SELECT invoice_id, SUM(amount_cents) FROM ledger
             WHERE kind = 'adjustment' AND occurred_at < :after_end GROUP BY invoice_id",
            // 2. Applied vs unapplied.
            "SELECT kind, SUM(amount_cents) FROM payments WHERE occurred_on >= :start AND occurred_on <= :end
             GROUP BY kind",
            "SELECT kind, SUM(amount_cents) FROM credits WHERE issued_on >= :start AND issued_on <= :end
             GROUP BY kind",
            "SELECT source_kind, SUM(amount_cents) FROM disbursements
             WHERE disbursed_on >= :start AND disbursed_on <= :end GROUP BY source_kind",
            "SELECT COALESCE(related_payment_id, id), SUM(CASE WHEN kind = 'payment' THEN amount_cents
                    ELSE -amount_cents END)
             FROM payments WHERE occurred_on <= :end GROUP BY 1",
            "SELECT COALESCE(related_credit_id, id), SUM(CASE WHEN kind = 'credit' THEN amount_cents
                    ELSE -amount_cents END)
             FROM credits WHERE issued_on <= :end GROUP BY 1",
            "SELECT source_kind, source_id, SUM(amount_cents) FROM disbursements WHERE disbursed_on <= :end
             GROUP BY source_kind, source_id",
            // 3. Roll-forward per account.
            "SELECT account_id, kind, occurred_at < :start, SUM(amount_cents) FROM ledger
             WHERE occurred_at < :after_end GROUP BY account_id, kind, occurred_at < :start",
            "SELECT account_id, SUM(balance_cents) FROM invoices
             WHERE status IN ('posted', 'closed') AND posted_at <= :end GROUP BY account_id",
            // 4. Adjustments of the window.
            "SELECT id, kind, amount_cents, reference FROM ledger
             WHERE kind IN ('adjustment', 'void', 'reversal', 'refund', 'chargeback')
               AND occurred_at >= :start AND occurred_at < :after_end",
            // 5. Exports: batch totals, extract per account, archive per invoice vs totals.
            "SELECT batch_id, SUM(amount_cents), count(*) FROM export_lines GROUP BY batch_id",
            "SELECT batch_id, account_id, SUM(amount_cents) FROM export_lines GROUP BY batch_id, account_id",
            "SELECT i.id FROM invoices i
             LEFT JOIN (SELECT invoice_id, SUM(amount_cents) AS s FROM export_lines
                        WHERE invoice_id IS NOT NULL GROUP BY invoice_id) a ON a.invoice_id = i.id
             WHERE i.status IN ('posted', 'closed') AND i.posted_at >= :start AND i.posted_at <= :end
               AND COALESCE(a.s, 0) <> i.total_cents",
            // 6. Revenue: receivable lines by rule and service period.
            "SELECT l.revenue_rule, l.service_start, l.service_end, i.posted_at >= :start,
                    SUM(l.amount_cents)
             FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
             WHERE i.status IN ('posted', 'closed') AND i.posted_at <= :end
             GROUP BY 1, 2, 3, 4",
            // Usage per account: rated in the window, billed in the window.
            "SELECT account_id, state, SUM(rated_amount_cents), count(*) FROM usage_events
             WHERE occurred_at >= :start AND occurred_at < :after_end GROUP BY account_id, state",
            "SELECT i.account_id, l.kind, l.program_id, SUM(l.amount_cents)
             FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
             WHERE l.kind IN ('usage', 'program_fee') AND i.status IN ('posted', 'closed')
               AND i.posted_at <= :end
               AND (COALESCE(l.service_start, i.posted_at) >= :start OR i.posted_at >= :start)
               AND COALESCE(l.service_start, i.posted_at) <= :end
             GROUP BY 1, 2, 3",
            // Programs and statements.
            "SELECT p.id, p.basis_units * p.rate_cents, SUM(s.total_cents) FROM employer_programs p
             LEFT JOIN program_statements s ON s.program_id = p.id GROUP BY p.id",
            "SELECT sl.id, sl.amount_cents, l.amount_cents FROM statement_lines sl
             LEFT JOIN invoice_lines l ON l.id = sl.invoice_line_id",
            // Aged AR.
            "SELECT account_id, due_date, SUM(balance_cents) FROM invoices
             WHERE status IN ('posted', 'closed') AND posted_at <= :end AND balance_cents <> 0
             GROUP BY account_id, due_date",
        ];
        let mut rows = 0u64;
        for sql in queries {
            let mut statement = self.conn().prepare(sql)?;
            let wanted = |name: &str| statement.parameter_index(name).ok().flatten().is_some();
            let (s, e, a) = (wanted(":start"), wanted(":end"), wanted(":after_end"));
            let mut params: Vec<(&str, &dyn rusqlite::ToSql)> = Vec::new();
            if s {
                params.push((":start", &start));
            }
            if e {
                params.push((":end", &end));
            }
            if a {
                params.push((":after_end", &after_end));
            }
            let mut result = statement.query(params.as_slice())?;
            while let Some(row) = result.next()? {
                // Touch the first column, as a consumer would.
                let _ = row.get_ref(0)?;
                rows += 1;
            }
        }
        read.finish()?;
        Ok(rows)
    }
}
