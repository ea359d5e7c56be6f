//! The rows a source row is tied to, for the cockpit's "tied rows" panel: an invoice's
//! lines, the disbursements applied to it and its ledger rows; a payment's or credit's
//! disbursements, the reversals that name it and its ledger rows; a disbursement's source
//! and target; and so on (docs/snapshot-format.md: how the tables refer to each other).
//! Typed rows and sums out, no display. Every read goes through an index, one statement
//! per kind of tie, no read transaction kept.

use rusqlite::{named_params, OptionalExtension, Result, Row, ToSql};

use super::queries::{balance_at_end, receivable_at_end, receivable_status, Window};
use super::Snapshot;
use crate::money::Money;

/// How a row is tied to the row asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tie {
    /// A line of the invoice.
    Line,
    /// The usage events billed on one usage line: their count and rated total.
    UsageOnLine,
    /// A disbursement applied to the invoice, or from the payment or credit.
    Disbursement,
    /// A ledger row of the invoice, or naming the row (or its disbursements).
    Ledger,
    /// A reversal, refund or chargeback that names the payment or credit.
    UndoneBy,
    /// The payment or credit a reversal, refund or chargeback undoes.
    Undoes,
    /// The payment or credit a disbursement applies (or a ledger row names).
    Source,
    /// The invoice (of a disbursement, ledger row, line or export line).
    Invoice,
    /// The invoice line (of a usage event or statement line).
    InvoiceLine,
    /// The export batch of an export line.
    Batch,
    /// The account's window-end AR (its receivable invoices' window-end balances).
    AccountAr,
    /// A program statement (of a statement line, or of a program).
    Statement,
    /// The employer program of a statement.
    Program,
    /// A statement line presenting the invoice line.
    StatementLine,
}

/// One tied row: where it lives (`table`, `id`; a lane shows it, except `accounts`) and
/// what the panel lists of it. Raw data: make text inert before showing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TiedRow {
    pub tie: Tie,
    pub table: &'static str,
    pub id: String,
    /// Its kind or status (`usage`, `refund`, `payment_disbursed`, `posted`, …).
    pub kind: Option<String>,
    pub date: Option<String>,
    pub account: Option<String>,
    pub amount: Option<Money>,
    /// The other row it names: a disbursement's source or invoice, a ledger row's
    /// reference, a line's invoice, the usage line counted, a batch's destination.
    pub other: Option<String>,
    /// For [`Tie::UsageOnLine`]: how many events.
    pub count: Option<i64>,
    /// For an invoice: the platform's balance.
    pub balance: Option<Money>,
}

/// A sum that explains a figure of the row asked about (`sum` should equal `figure`), or,
/// for [`SumOf::DisbursedOfNet`], how much of a figure is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TiedSum {
    pub what: SumOf,
    pub sum: Money,
    pub figure: Money,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SumOf {
    /// An invoice's lines, against its total.
    LinesToTotal,
    /// Disbursed to an invoice less its ledger adjustments, against total − balance.
    DisbursedToPaid { adjustments: Money },
    /// The rated usage events on a usage line, against the line's amount.
    UsageToLine { line: String },
    /// Disbursed from a payment or credit, out of its net value (amount less what undid
    /// it); not an equality: the rest is unapplied.
    DisbursedOfNet,
    /// A statement's lines, against its total.
    StatementLinesToTotal,
    /// A GL export line (the account's closing AR), against the account's window-end AR.
    GlLineToAr,
}

impl SumOf {
    /// Whether `sum` should equal `figure`.
    pub fn ties(&self) -> bool {
        !matches!(self, SumOf::DisbursedOfNet)
    }
}

impl TiedSum {
    /// By how much the sum is off, in the product's one sign convention: `actual −
    /// expected` of the check it mirrors (docs/reconciliation.md), where "expected" is the
    /// figure the check holds the stored one to and "actual" the stored figure checked.
    /// Zero when it ties (for [`SumOf::DisbursedOfNet`]: when nothing is disbursed beyond
    /// the net value, nor below zero).
    pub fn variance(&self) -> Money {
        let (sum, figure) = (self.sum, self.figure);
        match self.what {
            // `invoices:{invoice}:lines-total`: expected the sum of lines, actual the total.
            SumOf::LinesToTotal => figure - sum,
            // `invoices:{invoice}:balance`: expected total − disbursed + adjustments, actual
            // the balance; balance − (total − disbursed + adjustments) is
            // (disbursed − adjustments) − (total − balance).
            SumOf::DisbursedToPaid { .. } => sum - figure,
            // `usage:{line}:events`: expected its own events, actual the line's amount.
            SumOf::UsageToLine { .. } => figure - sum,
            // A statement's header against its lines: expected the lines, actual the total
            // stored on the statement (the figure `statement-total` checks).
            SumOf::StatementLinesToTotal => figure - sum,
            // `exports:{batch}/{account}:gl-account`: expected the account's AR, actual its lines.
            SumOf::GlLineToAr => sum - figure,
            // `disbursements:{source}:over-disbursed`: actual what is disbursed; expected 0.00
            // when that is below zero, else the net value when it is beyond it.
            SumOf::DisbursedOfNet if sum.is_negative() => sum,
            SumOf::DisbursedOfNet if sum > figure => sum - figure,
            SumOf::DisbursedOfNet => Money::ZERO,
        }
    }
}

/// The row asked about and what it is tied to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tied {
    pub table: String,
    pub id: String,
    /// False when no row of `table` has `id`.
    pub found: bool,
    pub rows: Vec<TiedRow>,
    pub sums: Vec<TiedSum>,
}

/// The columns every tie query selects, in this order: id, kind, date, account, amount,
/// other, count (and an invoice's balance).
fn tied_row(tie: Tie, table: &'static str, r: &Row<'_>) -> Result<TiedRow> {
    Ok(TiedRow {
        tie,
        table,
        id: r.get(0)?,
        kind: r.get(1)?,
        date: r.get(2)?,
        account: r.get(3)?,
        amount: r.get::<_, Option<i64>>(4)?.map(Money::from_cents),
        other: r.get(5)?,
        count: r.get(6)?,
        balance: if r.as_ref().column_count() > 7 {
            r.get::<_, Option<i64>>(7)?.map(Money::from_cents)
        } else {
            None
        },
    })
}

// The selects of one row of each table, by what is tied to it (`WHERE` added by callers;
// `:id`, the row asked about, is left out of `other`).
const INVOICE: &str = "SELECT i.id, i.status, i.posted_at, i.account_id, i.total_cents,
        NULL, NULL, i.balance_cents FROM invoices i";
const LINE: &str =
    "SELECT l.id, l.kind, COALESCE(l.service_start, i.posted_at), i.account_id, l.amount_cents,
        NULLIF(l.invoice_id, :id), NULL FROM invoice_lines l LEFT JOIN invoices i ON i.id = l.invoice_id";
const PAYMENT: &str = "SELECT p.id, p.kind, p.occurred_on, p.account_id, p.amount_cents,
        COALESCE(NULLIF(p.related_payment_id, :id), p.reference), NULL FROM payments p";
const CREDIT: &str = "SELECT c.id, c.kind, c.issued_on, c.account_id, c.amount_cents,
        COALESCE(NULLIF(c.related_credit_id, :id), c.reason), NULL FROM credits c";

/// A source of value, a payment or a credit: its table, the select of its rows (above), the
/// alias that select gives the table, the column naming the row a reversal undoes, and its
/// word in `disbursements.source_kind`.
struct Source {
    table: &'static str,
    select: &'static str,
    alias: &'static str,
    related: &'static str,
    kind: &'static str,
}

const PAYMENTS: Source = Source {
    table: "payments",
    select: PAYMENT,
    alias: "p",
    related: "related_payment_id",
    kind: "payment",
};
const CREDITS: Source = Source {
    table: "credits",
    select: CREDIT,
    alias: "c",
    related: "related_credit_id",
    kind: "credit",
};
const LEDGER: &str = "SELECT g.id, g.kind, g.occurred_at, g.account_id, g.amount_cents,
        NULLIF(trim(COALESCE(NULLIF(g.invoice_id, :id), '') || ' ' || COALESCE(NULLIF(g.reference, :id), '')), ''),
        NULL FROM ledger g";
const STATEMENT: &str =
    "SELECT s.id, NULL, s.issued_on, p.employer_account_id, s.total_cents, NULLIF(s.program_id, :id), NULL
        FROM program_statements s LEFT JOIN employer_programs p ON p.id = s.program_id";

/// A disbursement, with `other` the row on the far side: `d.invoice_id` seen from a
/// payment or credit, the source seen from an invoice; the account is that row's.
fn disbursement(seen_from_invoice: bool) -> &'static str {
    if seen_from_invoice {
        "SELECT d.id, d.source_kind, d.disbursed_on,
                CASE d.source_kind WHEN 'payment' THEN (SELECT account_id FROM payments WHERE id = d.source_id)
                                   ELSE (SELECT account_id FROM credits WHERE id = d.source_id) END,
                d.amount_cents, d.source_id, NULL FROM disbursements d"
    } else {
        "SELECT d.id, d.source_kind, d.disbursed_on,
                (SELECT account_id FROM invoices WHERE id = d.invoice_id),
                d.amount_cents, d.invoice_id, NULL FROM disbursements d"
    }
}

/// The id of the `kind` source (`payment` or `credit`) disbursement `disbursement` (an SQL
/// expression) applies, as a subquery: NULL when it applies the other kind.
fn source_of(disbursement: &str, kind: &str) -> String {
    format!("(SELECT source_id FROM disbursements WHERE id = {disbursement} AND source_kind = '{kind}')")
}

impl Snapshot {
    /// Ties the payments and the credits whose id meets `id_matches(kind)` (an SQL condition
    /// on the id, given the source's word in `disbursements.source_kind`), as [`Tie::Source`].
    fn tie_sources(
        &self,
        out: &mut Vec<TiedRow>,
        params: &[(&str, &dyn ToSql)],
        id_matches: impl Fn(&str) -> String,
    ) -> Result<()> {
        for s in [PAYMENTS, CREDITS] {
            let sql = format!("{} WHERE {}.id {}", s.select, s.alias, id_matches(s.kind));
            self.tie_rows(out, Tie::Source, s.table, &sql, params)?;
        }
        Ok(())
    }

    fn tie_rows(
        &self,
        out: &mut Vec<TiedRow>,
        tie: Tie,
        table: &'static str,
        sql: &str,
        params: &[(&str, &dyn ToSql)],
    ) -> Result<()> {
        let mut st = self.conn().prepare_cached(sql)?;
        let rows = st.query_map(params, |r| tied_row(tie, table, r))?;
        for row in rows {
            out.push(row?);
        }
        Ok(())
    }

    /// The rows tied to row `id` of source table `table` (a lane's table:
    /// `LaneTable::table`), with the sums that explain its figures.
    pub fn tied(&self, table: &str, id: &str) -> Result<Tied> {
        let exists: Option<i64> = match table {
            "usage_events" | "export_lines" | "employer_programs" | "statement_lines" | "invoices"
            | "invoice_lines" | "payments" | "credits" | "disbursements" | "ledger" => self
                .conn()
                .query_row(&format!("SELECT 1 FROM {table} WHERE id = ?1"), [id], |r| {
                    r.get(0)
                })
                .optional()?,
            _ => None,
        };
        let mut tied = Tied {
            table: table.to_string(),
            id: id.to_string(),
            found: exists.is_some(),
            rows: Vec::new(),
            sums: Vec::new(),
        };
        if !tied.found {
            return Ok(tied);
        }
        let p = named_params! { ":id": id };
        let rows = &mut tied.rows;
        match table {
            "invoices" => {
                self.tie_rows(
                    rows,
                    Tie::Line,
                    "invoice_lines",
                    &format!("{LINE} WHERE l.invoice_id = :id ORDER BY l.id"),
                    p,
                )?;
                // Each usage line: its events (the first one's id, to open), count, rated total.
                self.tie_rows(
                    rows,
                    Tie::UsageOnLine,
                    "usage_events",
                    "SELECT COALESCE(MIN(u.id), l.id), NULL, MAX(u.occurred_at), i.account_id,
                            COALESCE(SUM(u.rated_amount_cents), 0), l.id, COUNT(u.id)
                     FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
                     LEFT JOIN usage_events u ON u.invoice_line_id = l.id
                     WHERE l.invoice_id = :id AND l.kind = 'usage' GROUP BY l.id ORDER BY l.id",
                    p,
                )?;
                // A usage line no event is billed on opens as the line itself.
                for r in rows.iter_mut() {
                    if r.tie == Tie::UsageOnLine && r.count == Some(0) {
                        r.table = "invoice_lines";
                    }
                }
                self.tie_rows(
                    rows,
                    Tie::Disbursement,
                    "disbursements",
                    &format!(
                        "{} WHERE d.invoice_id = :id ORDER BY d.disbursed_on, d.id",
                        disbursement(true)
                    ),
                    p,
                )?;
                self.tie_rows(
                    rows,
                    Tie::Ledger,
                    "ledger",
                    &format!("{LEDGER} WHERE g.invoice_id = :id ORDER BY g.occurred_at, g.id"),
                    p,
                )?;
                let (total, balance): (i64, i64) = self.conn().query_row(
                    "SELECT total_cents, balance_cents FROM invoices WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let (total, balance) = (Money::from_cents(total), Money::from_cents(balance));
                let sum_of = |tie: Tie, kind: Option<&str>| -> Money {
                    rows.iter()
                        .filter(|r| r.tie == tie && kind.is_none_or(|k| r.kind.as_deref() == Some(k)))
                        .filter_map(|r| r.amount)
                        .sum()
                };
                let adjustments = sum_of(Tie::Ledger, Some("adjustment"));
                let mut sums = vec![
                    TiedSum {
                        what: SumOf::LinesToTotal,
                        sum: sum_of(Tie::Line, None),
                        figure: total,
                    },
                    TiedSum {
                        what: SumOf::DisbursedToPaid { adjustments },
                        sum: sum_of(Tie::Disbursement, None) - adjustments,
                        figure: total - balance,
                    },
                ];
                for u in rows.iter().filter(|r| r.tie == Tie::UsageOnLine) {
                    let line = u.other.clone().unwrap_or_default();
                    let amount = rows
                        .iter()
                        .find(|r| r.tie == Tie::Line && r.id == line)
                        .and_then(|r| r.amount)
                        .unwrap_or(Money::ZERO);
                    sums.push(TiedSum {
                        what: SumOf::UsageToLine { line },
                        sum: u.amount.unwrap_or(Money::ZERO),
                        figure: amount,
                    });
                }
                tied.sums = sums;
            }
            "payments" | "credits" => {
                let Source {
                    table,
                    select: own,
                    alias,
                    related,
                    kind,
                } = if table == "payments" { PAYMENTS } else { CREDITS };
                self.tie_rows(
                    rows,
                    Tie::Undoes,
                    table,
                    &format!("{own} WHERE {alias}.id = (SELECT {related} FROM {table} WHERE id = :id)"),
                    p,
                )?;
                self.tie_rows(
                    rows,
                    Tie::UndoneBy,
                    table,
                    &format!("{own} WHERE {alias}.{related} = :id ORDER BY 3, 1"),
                    p,
                )?;
                let k = named_params! { ":id": id, ":kind": kind };
                self.tie_rows(
                    rows,
                    Tie::Disbursement,
                    "disbursements",
                    &format!(
                        "{} WHERE d.source_kind = :kind AND d.source_id = :id ORDER BY d.disbursed_on, d.id",
                        disbursement(false)
                    ),
                    k,
                )?;
                self.tie_rows(
                    rows,
                    Tie::Ledger,
                    "ledger",
                    &format!(
                        "{LEDGER} WHERE g.reference = :id
                            OR g.reference IN (SELECT id FROM disbursements WHERE source_kind = :kind AND source_id = :id)
                         ORDER BY g.occurred_at, g.id"
                    ),
                    k,
                )?;
                let own = self.conn().query_row(
                    &format!("SELECT amount_cents, {related} FROM {table} WHERE id = ?1"),
                    [id],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?)),
                )?;
                // An original's net value: its amount less what undid it.
                if own.1.is_none() {
                    let undone: Money = rows
                        .iter()
                        .filter(|r| r.tie == Tie::UndoneBy)
                        .filter_map(|r| r.amount)
                        .sum();
                    let disbursed: Money = rows
                        .iter()
                        .filter(|r| r.tie == Tie::Disbursement)
                        .filter_map(|r| r.amount)
                        .sum();
                    tied.sums.push(TiedSum {
                        what: SumOf::DisbursedOfNet,
                        sum: disbursed,
                        figure: Money::from_cents(own.0) - undone,
                    });
                }
            }
            "disbursements" => {
                self.tie_sources(rows, p, |kind| format!("= {}", source_of(":id", kind)))?;
                self.tie_rows(
                    rows,
                    Tie::Invoice,
                    "invoices",
                    &format!("{INVOICE} WHERE i.id = (SELECT invoice_id FROM disbursements WHERE id = :id)"),
                    p,
                )?;
                self.tie_rows(
                    rows,
                    Tie::Ledger,
                    "ledger",
                    &format!("{LEDGER} WHERE g.reference = :id ORDER BY g.occurred_at, g.id"),
                    p,
                )?;
            }
            "ledger" => {
                self.tie_rows(
                    rows,
                    Tie::Invoice,
                    "invoices",
                    &format!("{INVOICE} WHERE i.id = (SELECT invoice_id FROM ledger WHERE id = :id)"),
                    p,
                )?;
                let reference = "(SELECT reference FROM ledger WHERE id = :id)";
                self.tie_rows(
                    rows,
                    Tie::Disbursement,
                    "disbursements",
                    &format!("{} WHERE d.id = {reference}", disbursement(true)),
                    p,
                )?;
                // The payment or credit it names, or that its disbursement applies.
                self.tie_sources(rows, p, |kind| {
                    format!("IN ({reference}, {})", source_of(reference, kind))
                })?;
            }
            "invoice_lines" => {
                self.tie_rows(
                    rows,
                    Tie::Invoice,
                    "invoices",
                    &format!("{INVOICE} WHERE i.id = (SELECT invoice_id FROM invoice_lines WHERE id = :id)"),
                    p,
                )?;
                self.tie_rows(
                    rows,
                    Tie::UsageOnLine,
                    "usage_events",
                    "SELECT MIN(u.id), NULL, MAX(u.occurred_at), MIN(u.account_id),
                            COALESCE(SUM(u.rated_amount_cents), 0), :id, COUNT(u.id)
                     FROM usage_events u WHERE u.invoice_line_id = :id HAVING COUNT(u.id) > 0",
                    p,
                )?;
                self.tie_rows(
                    rows,
                    Tie::StatementLine,
                    "statement_lines",
                    "SELECT l.id, NULL, s.issued_on, NULL, l.amount_cents, l.statement_id, NULL
                     FROM statement_lines l LEFT JOIN program_statements s ON s.id = l.statement_id
                     WHERE l.invoice_line_id = :id ORDER BY l.id",
                    p,
                )?;
            }
            "usage_events" => {
                self.tie_rows(
                    rows,
                    Tie::InvoiceLine,
                    "invoice_lines",
                    &format!("{LINE} WHERE l.id = (SELECT invoice_line_id FROM usage_events WHERE id = :id)"),
                    p,
                )?;
                self.tie_rows(
                    rows,
                    Tie::Invoice,
                    "invoices",
                    &format!(
                        "{INVOICE} WHERE i.id = (SELECT l.invoice_id FROM usage_events u
                             JOIN invoice_lines l ON l.id = u.invoice_line_id WHERE u.id = :id)"
                    ),
                    p,
                )?;
            }
            "export_lines" => {
                self.tie_rows(
                    rows,
                    Tie::Batch,
                    "export_batches",
                    "SELECT b.id, b.kind, b.created_at, NULL, b.total_cents, b.destination, NULL
                     FROM export_batches b WHERE b.id = (SELECT batch_id FROM export_lines WHERE id = :id)",
                    p,
                )?;
                self.tie_rows(
                    rows,
                    Tie::Invoice,
                    "invoices",
                    &format!("{INVOICE} WHERE i.id = (SELECT invoice_id FROM export_lines WHERE id = :id)"),
                    p,
                )?;
                let w = Window::of(&self.period()?);
                self.tie_rows(
                    rows,
                    Tie::AccountAr,
                    "accounts",
                    &format!(
                        "SELECT a.id, a.kind, :end, a.id,
                                (SELECT COALESCE(SUM({}), 0) FROM invoices i
                                 WHERE i.account_id = a.id AND {}),
                                a.name, NULL
                         FROM accounts a WHERE a.id = (SELECT account_id FROM export_lines WHERE id = :id)",
                        balance_at_end!(),
                        receivable_at_end!()
                    ),
                    named_params! { ":id": id, ":end": w.end, ":after_end": w.after_end },
                )?;
                let line: (i64, Option<String>) = self.conn().query_row(
                    "SELECT l.amount_cents, b.kind FROM export_lines l
                     LEFT JOIN export_batches b ON b.id = l.batch_id WHERE l.id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let ar = rows
                    .iter()
                    .find(|r| r.tie == Tie::AccountAr)
                    .and_then(|r| r.amount);
                if let (Some("gl"), Some(ar)) = (line.1.as_deref(), ar) {
                    tied.sums.push(TiedSum {
                        what: SumOf::GlLineToAr,
                        sum: Money::from_cents(line.0),
                        figure: ar,
                    });
                }
            }
            "statement_lines" => {
                self.tie_rows(
                    rows,
                    Tie::Statement,
                    "program_statements",
                    &format!(
                        "{STATEMENT} WHERE s.id = (SELECT statement_id FROM statement_lines WHERE id = :id)"
                    ),
                    p,
                )?;
                self.tie_rows(
                    rows,
                    Tie::Program,
                    "employer_programs",
                    "SELECT p.id, NULL, NULL, p.employer_account_id, p.basis_units * p.rate_cents, p.name, NULL
                     FROM employer_programs p WHERE p.id = (SELECT s.program_id FROM statement_lines l
                         JOIN program_statements s ON s.id = l.statement_id WHERE l.id = :id)",
                    p,
                )?;
                self.tie_rows(
                    rows,
                    Tie::InvoiceLine,
                    "invoice_lines",
                    &format!(
                        "{LINE} WHERE l.id = (SELECT invoice_line_id FROM statement_lines WHERE id = :id)"
                    ),
                    p,
                )?;
                let lines: Option<(i64, i64)> = self
                    .conn()
                    .query_row(
                        "SELECT (SELECT COALESCE(SUM(amount_cents), 0) FROM statement_lines
                                 WHERE statement_id = s.id), s.total_cents
                         FROM program_statements s
                         WHERE s.id = (SELECT statement_id FROM statement_lines WHERE id = ?1)",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                if let Some((sum, total)) = lines {
                    tied.sums.push(TiedSum {
                        what: SumOf::StatementLinesToTotal,
                        sum: Money::from_cents(sum),
                        figure: Money::from_cents(total),
                    });
                }
            }
            "employer_programs" => {
                self.tie_rows(
                    rows,
                    Tie::Statement,
                    "program_statements",
                    &format!("{STATEMENT} WHERE s.program_id = :id ORDER BY s.issued_on, s.id"),
                    p,
                )?;
            }
            _ => {}
        }
        Ok(tied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each tied row as (tie, table, id, kind, date, account, cents, other, count).
    type Flat = (
        Tie,
        &'static str,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<i64>,
    );

    fn flat(t: &Tied) -> Vec<Flat> {
        t.rows
            .iter()
            .map(|r| {
                (
                    r.tie,
                    r.table,
                    r.id.clone(),
                    r.kind.clone(),
                    r.date.clone(),
                    r.account.clone(),
                    r.amount.map(Money::cents),
                    r.other.clone(),
                    r.count,
                )
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        tie: Tie,
        table: &'static str,
        id: &str,
        kind: Option<&str>,
        date: Option<&str>,
        account: Option<&str>,
        cents: i64,
        other: Option<&str>,
        count: Option<i64>,
    ) -> Flat {
        let s = |o: Option<&str>| o.map(str::to_string);
        (
            tie,
            table,
            id.into(),
            s(kind),
            s(date),
            s(account),
            Some(cents),
            s(other),
            count,
        )
    }

    fn sums(t: &Tied) -> Vec<(SumOf, i64, i64)> {
        t.sums
            .iter()
            .map(|s| (s.what.clone(), s.sum.cents(), s.figure.cents()))
            .collect()
    }

    /// INV-26030052 of the demo, checked with sqlite3: three usage lines (52.65, 30.00,
    /// 13.75 = the total 96.40) billed on 22, 6 and 2 rated events adding to each line,
    /// paid by DSB-00121 from PAY-0069 (ACC-1004) on 2026-03-29, and its two ledger rows.
    #[test]
    fn a_demo_invoice_is_tied_to_its_lines_usage_disbursements_and_ledger() {
        let (_dir, snap) = crate::snapshot::testing::demo_snapshot();
        let t = snap.tied("invoices", "INV-26030052").unwrap();
        assert!(t.found);
        let a = Some("ACC-1004");
        use Tie::*;
        assert_eq!(
            flat(&t),
            vec![
                row(
                    Line,
                    "invoice_lines",
                    "LN-00229",
                    Some("usage"),
                    Some("2026-03-01"),
                    a,
                    5265,
                    None,
                    None
                ),
                row(
                    Line,
                    "invoice_lines",
                    "LN-00230",
                    Some("usage"),
                    Some("2026-03-01"),
                    a,
                    3000,
                    None,
                    None
                ),
                row(
                    Line,
                    "invoice_lines",
                    "LN-00231",
                    Some("usage"),
                    Some("2026-03-01"),
                    a,
                    1375,
                    None,
                    None
                ),
                row(
                    UsageOnLine,
                    "usage_events",
                    "UE-00013",
                    None,
                    Some("2026-03-06T19:56:31Z"),
                    a,
                    5265,
                    Some("LN-00229"),
                    Some(22)
                ),
                row(
                    UsageOnLine,
                    "usage_events",
                    "UE-00078",
                    None,
                    Some("2026-03-06T19:21:29Z"),
                    a,
                    3000,
                    Some("LN-00230"),
                    Some(6)
                ),
                row(
                    UsageOnLine,
                    "usage_events",
                    "UE-00185",
                    None,
                    Some("2026-03-07T19:31:55Z"),
                    a,
                    1375,
                    Some("LN-00231"),
                    Some(2)
                ),
                row(
                    Disbursement,
                    "disbursements",
                    "DSB-00121",
                    Some("payment"),
                    Some("2026-03-29"),
                    a,
                    9640,
                    Some("PAY-0069"),
                    None
                ),
                row(
                    Ledger,
                    "ledger",
                    "LG-00190",
                    Some("invoice_posted"),
                    Some("2026-03-08T06:00:00Z"),
                    a,
                    9640,
                    None,
                    None
                ),
                row(
                    Ledger,
                    "ledger",
                    "LG-00339",
                    Some("payment_disbursed"),
                    Some("2026-03-29T14:00:00Z"),
                    a,
                    -9640,
                    Some("DSB-00121"),
                    None
                ),
            ]
        );
        assert_eq!(
            sums(&t),
            vec![
                (SumOf::LinesToTotal, 9640, 9640),
                (
                    SumOf::DisbursedToPaid {
                        adjustments: Money::ZERO
                    },
                    9640,
                    9640
                ),
                (
                    SumOf::UsageToLine {
                        line: "LN-00229".into()
                    },
                    5265,
                    5265
                ),
                (
                    SumOf::UsageToLine {
                        line: "LN-00230".into()
                    },
                    3000,
                    3000
                ),
                (
                    SumOf::UsageToLine {
                        line: "LN-00231".into()
                    },
                    1375,
                    1375
                ),
            ]
        );
    }

    /// PAY-0023 (740.00, a duplicate remittance) was refunded whole by RFD-0001 and never
    /// disbursed: net 0.00, nothing applied. The refund undoes it and has the ledger's
    /// refund row LG-00294 (−740.00, no invoice).
    #[test]
    fn a_refunded_payment_and_its_refund() {
        let (_dir, snap) = crate::snapshot::testing::demo_snapshot();
        let a = Some("ACC-1027");
        use Tie::*;
        let pay = snap.tied("payments", "PAY-0023").unwrap();
        assert_eq!(
            flat(&pay),
            vec![row(
                UndoneBy,
                "payments",
                "RFD-0001",
                Some("refund"),
                Some("2026-03-20"),
                a,
                74000,
                Some("ACH refund of duplicate remittance, ticket FIN-4502"),
                None
            )]
        );
        assert_eq!(sums(&pay), vec![(SumOf::DisbursedOfNet, 0, 0)]);
        let refund = snap.tied("payments", "RFD-0001").unwrap();
        assert_eq!(
            flat(&refund),
            vec![
                row(
                    Undoes,
                    "payments",
                    "PAY-0023",
                    Some("payment"),
                    Some("2026-03-06"),
                    a,
                    74000,
                    Some("ACH CCD trace 951117300875431 (duplicate remittance)"),
                    None
                ),
                row(
                    Ledger,
                    "ledger",
                    "LG-00294",
                    Some("refund"),
                    Some("2026-03-20T15:30:00Z"),
                    a,
                    -74000,
                    None,
                    None
                ),
            ]
        );
        assert!(refund.sums.is_empty(), "a refund's own value is not netted");
    }

    /// DSB-00013 applied PAY-0008 (359.29, ACC-1011) to INV-26030016 on 2026-03-01, recorded
    /// by LG-00157; the invoice's balance is 359.29 again after the chargeback. Its ledger
    /// row LG-00157 leads to the same invoice, disbursement and payment.
    #[test]
    fn a_disbursement_and_its_ledger_row() {
        let (_dir, snap) = crate::snapshot::testing::demo_snapshot();
        let a = Some("ACC-1011");
        use Tie::*;
        let d = snap.tied("disbursements", "DSB-00013").unwrap();
        let pay = row(
            Source,
            "payments",
            "PAY-0008",
            Some("payment"),
            Some("2026-03-01"),
            a,
            35929,
            Some("Card autopay, Visa ending 7103, auth 2CRRAN"),
            None,
        );
        let inv = row(
            Invoice,
            "invoices",
            "INV-26030016",
            Some("posted"),
            Some("2026-03-01"),
            a,
            35929,
            None,
            None,
        );
        let lg = row(
            Ledger,
            "ledger",
            "LG-00157",
            Some("payment_disbursed"),
            Some("2026-03-01T14:00:00Z"),
            a,
            -35929,
            Some("INV-26030016"),
            None,
        );
        assert_eq!(flat(&d), vec![pay.clone(), inv.clone(), lg]);
        assert_eq!(d.rows[1].balance, Some(Money::from_cents(35929)));
        let g = snap.tied("ledger", "LG-00157").unwrap();
        let dsb = row(
            Disbursement,
            "disbursements",
            "DSB-00013",
            Some("payment"),
            Some("2026-03-01"),
            a,
            35929,
            Some("PAY-0008"),
            None,
        );
        assert_eq!(flat(&g), vec![inv, dsb, pay]);
    }

    /// PAY-0008's chargeback CHB-0001 names it; its two disbursements (359.29 and the
    /// −359.29 that unwinds it) go to INV-26030016; LG-00157 records the first.
    #[test]
    fn a_charged_back_payment() {
        let (_dir, snap) = crate::snapshot::testing::demo_snapshot();
        let t = snap.tied("payments", "PAY-0008").unwrap();
        let ids: Vec<(Tie, &str, Option<i64>)> = t
            .rows
            .iter()
            .map(|r| (r.tie, r.id.as_str(), r.amount.map(Money::cents)))
            .collect();
        assert_eq!(
            ids,
            vec![
                (Tie::UndoneBy, "CHB-0001", Some(35929)),
                (Tie::Disbursement, "DSB-00013", Some(35929)),
                (Tie::Disbursement, "DSB-00081", Some(-35929)),
                (Tie::Ledger, "LG-00157", Some(-35929)),
            ]
        );
        assert_eq!(t.rows[1].other.as_deref(), Some("INV-26030016"));
        assert_eq!(sums(&t), vec![(SumOf::DisbursedOfNet, 0, 0)]);
    }

    /// Credits, checked with sqlite3: CR-0001 (400.00, ACC-1015) applied whole by
    /// DSB-00021 to INV-26020042, recorded by LG-00171; CR-0006 (60.00) taken back whole by
    /// the reversal CR-0008, never applied.
    #[test]
    fn credits_their_disbursements_and_reversals() {
        let (_dir, snap) = crate::snapshot::testing::demo_snapshot();
        use Tie::*;
        let a = Some("ACC-1015");
        let c = snap.tied("credits", "CR-0001").unwrap();
        assert_eq!(
            flat(&c),
            vec![
                row(
                    Disbursement,
                    "disbursements",
                    "DSB-00021",
                    Some("credit"),
                    Some("2026-03-03"),
                    a,
                    40000,
                    Some("INV-26020042"),
                    None
                ),
                row(
                    Ledger,
                    "ledger",
                    "LG-00171",
                    Some("credit_disbursed"),
                    Some("2026-03-03T14:00:00Z"),
                    a,
                    -40000,
                    Some("INV-26020042 DSB-00021"),
                    None
                ),
            ]
        );
        assert_eq!(sums(&c), vec![(SumOf::DisbursedOfNet, 40000, 40000)]);
        let c = snap.tied("credits", "CR-0006").unwrap();
        assert_eq!(
            flat(&c),
            vec![row(
                UndoneBy,
                "credits",
                "CR-0008",
                Some("reversal"),
                Some("2026-03-12"),
                Some("ACC-1028"),
                6000,
                Some("Issued to the wrong account (meant for ACC-1026)"),
                None
            )]
        );
        assert_eq!(sums(&c), vec![(SumOf::DisbursedOfNet, 0, 0)]);
        let r = snap.tied("credits", "CR-0008").unwrap();
        assert_eq!(
            r.rows.iter().map(|r| (r.tie, r.id.as_str())).collect::<Vec<_>>(),
            vec![(Undoes, "CR-0006")]
        );
    }

    /// GLL-003, the demo's GL gap: ACC-1004's line is 2,180.37 where the account's
    /// window-end AR is 2,190.12 (checked with sqlite3: total less disbursed by 2026-03-31
    /// plus adjustments, over its receivable invoices) — the −9.75 of docs/cockpit.md.
    #[test]
    fn an_export_line_shows_its_batch_and_the_accounts_window_end_ar() {
        let (_dir, snap) = crate::snapshot::testing::demo_snapshot();
        let t = snap.tied("export_lines", "GLL-003").unwrap();
        use Tie::*;
        assert_eq!(
            flat(&t),
            vec![
                row(
                    Batch,
                    "export_batches",
                    "GL-2026-03",
                    Some("gl"),
                    Some("2026-03-31T22:00:00Z"),
                    None,
                    3962952,
                    Some("netsuite-gl"),
                    None
                ),
                row(
                    AccountAr,
                    "accounts",
                    "ACC-1004",
                    Some("customer"),
                    Some("2026-03-31"),
                    Some("ACC-1004"),
                    219012,
                    Some("Cedar Ridge Health System"),
                    None
                ),
            ]
        );
        assert_eq!(sums(&t), vec![(SumOf::GlLineToAr, 218037, 219012)]);
    }

    /// Every sum's "off by" is the variance of the check it mirrors, `actual − expected`,
    /// with the engine's sign: each figure is put off on a copy of the demo and the tied
    /// sum's variance compared with the mismatch the engine (from the raw rows) then finds.
    /// The demo's own statement break (STL-003 under STM-VERIFY-2026-03: lines 244.08 under
    /// a header of 248.60) is +4.52 as `statement-total` says, not −4.52.
    #[test]
    fn every_sum_is_off_by_the_variance_of_the_check_it_mirrors() {
        // (the change, the row asked about, the mismatch, which of its sums)
        type Case = (
            &'static str,
            &'static str,
            &'static str,
            &'static str,
            fn(&SumOf) -> bool,
        );
        let cases: [Case; 6] = [
            (
                "UPDATE invoices SET total_cents = total_cents + 1234, balance_cents = balance_cents + 1234
                 WHERE id = 'INV-26030052'",
                "invoices",
                "INV-26030052",
                "invoices:INV-26030052:lines-total",
                |w| *w == SumOf::LinesToTotal,
            ),
            (
                "UPDATE invoices SET balance_cents = balance_cents + 500 WHERE id = 'INV-26030052'",
                "invoices",
                "INV-26030052",
                "invoices:INV-26030052:balance",
                |w| matches!(w, SumOf::DisbursedToPaid { .. }),
            ),
            (
                "UPDATE invoice_lines SET amount_cents = amount_cents + 100 WHERE id = 'LN-00229'",
                "invoices",
                "INV-26030052",
                "usage:LN-00229:events",
                |w| matches!(w, SumOf::UsageToLine { line } if line == "LN-00229"),
            ),
            (
                "SELECT 1",
                "statement_lines",
                "STL-003",
                "employer_programs:STM-VERIFY-2026-03:statement-total",
                |w| *w == SumOf::StatementLinesToTotal,
            ),
            (
                "UPDATE export_lines SET amount_cents = amount_cents + 100 WHERE id = 'GLL-001'",
                "export_lines",
                "GLL-003",
                "exports:GL-2026-03/ACC-1004:gl-account",
                |w| *w == SumOf::GlLineToAr,
            ),
            (
                "UPDATE payments SET amount_cents = amount_cents - 700 WHERE id = 'PAY-0069'",
                "payments",
                "PAY-0069",
                "disbursements:PAY-0069:over-disbursed",
                |w| *w == SumOf::DisbursedOfNet,
            ),
        ];
        for (change, table, id, key, which) in cases {
            let (_dir, snap) = crate::snapshot::testing::demo_snapshot();
            snap.conn().execute_batch(change).unwrap();
            let found = crate::reconcile::run_from_source(&snap).unwrap();
            let m = found
                .mismatches
                .iter()
                .find(|m| m.key == key)
                .unwrap_or_else(|| panic!("{change}: no {key}"));
            let tied = snap.tied(table, id).unwrap();
            let sum = tied
                .sums
                .iter()
                .find(|s| which(&s.what))
                .unwrap_or_else(|| panic!("{key}: no sum"));
            assert!(!m.variance.is_zero(), "{key}");
            assert_eq!(sum.variance(), m.variance, "{key}: {sum:?}");
        }
    }

    /// A sum that ties is off by nothing; a payment disbursed below zero is off by what it
    /// is disbursed (expected 0.00), as `over-disbursed` says.
    #[test]
    fn a_tie_is_off_by_nothing() {
        let s = |what: SumOf, sum: i64, figure: i64| {
            TiedSum {
                what,
                sum: Money::from_cents(sum),
                figure: Money::from_cents(figure),
            }
            .variance()
            .cents()
        };
        assert_eq!(s(SumOf::LinesToTotal, 500, 500), 0);
        assert_eq!(s(SumOf::StatementLinesToTotal, 500, 500), 0);
        assert_eq!(s(SumOf::DisbursedOfNet, 300, 500), 0, "the rest is unapplied");
        assert_eq!(s(SumOf::DisbursedOfNet, -300, 500), -300);
        assert_eq!(
            s(SumOf::DisbursedOfNet, 0, -200),
            200,
            "taken back beyond its amount"
        );
    }

    /// A row that is not there, or a table without ties, gives nothing (no error); the
    /// first row of every lane's table reads (its SQL runs) and is tied to something.
    #[test]
    fn a_missing_row_is_not_found_and_every_table_reads() {
        let (_dir, snap) = crate::snapshot::testing::demo_snapshot();
        let t = snap.tied("invoices", "INV-NOPE").unwrap();
        assert!(!t.found && t.rows.is_empty());
        assert!(!snap.tied("accounts; DROP", "x").unwrap().found);
        for lane in crate::snapshot::pages::LaneTable::ALL {
            let table = lane.table();
            let first: String = snap
                .conn()
                .query_row(&format!("SELECT min(id) FROM {table}"), [], |r| r.get(0))
                .unwrap();
            let t = snap
                .tied(table, &first)
                .unwrap_or_else(|e| panic!("{table}: {e}"));
            assert!(t.found, "{table} {first}");
            assert!(!t.rows.is_empty(), "{table} {first}: nothing tied");
        }
    }
}
