//! Paged reads for the cockpit: keyset pagination over the source tables behind its lanes,
//! so a table of any size is read a page at a time and never whole; rows come back typed
//! ([`LaneRow`]). Holds no display (headings, widths, alignment and wording are the
//! cockpit's) and no workflow rows (those are `snapshot::workflow`'s). Every query is a
//! single autocommit statement: no read transaction outlives the call.

use chrono::NaiveDate;
use rusqlite::{params, Row};

use super::model::{
    AgeBucket, BatchKind, CreditKind, InvoiceStatus, LedgerKind, LineKind, PaymentKind, RevenueRule,
    SourceKind, UsageKind, UsageState, DATE_FORMAT,
};
use super::queries::{money_at, opt_word_at, word_at, RevenueLine};
use super::Snapshot;
use crate::money::Money;

/// The lanes the cockpit shows as tables, each backed by one source table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LaneTable {
    Usage,
    Exports,
    Programs,
    Statements,
    Aging,
    Revenue,
    Payments,
    Credits,
    Disbursements,
    Ledger,
}

impl LaneTable {
    pub const ALL: [LaneTable; 10] = [
        LaneTable::Usage,
        LaneTable::Exports,
        LaneTable::Programs,
        LaneTable::Statements,
        LaneTable::Aging,
        LaneTable::Revenue,
        LaneTable::Payments,
        LaneTable::Credits,
        LaneTable::Disbursements,
        LaneTable::Ledger,
    ];

    /// The table whose `id` keys the rows.
    pub fn table(self) -> &'static str {
        match self {
            LaneTable::Usage => "usage_events",
            LaneTable::Exports => "export_lines",
            LaneTable::Programs => "employer_programs",
            LaneTable::Statements => "statement_lines",
            LaneTable::Aging => "invoices",
            LaneTable::Revenue => "invoice_lines",
            LaneTable::Payments => "payments",
            LaneTable::Credits => "credits",
            LaneTable::Disbursements => "disbursements",
            LaneTable::Ledger => "ledger",
        }
    }

    fn select(self) -> &'static str {
        match self {
            LaneTable::Usage => {
                "SELECT u.id, a.name, u.kind, u.occurred_at, u.units, u.rated_amount_cents, u.state, u.invoice_line_id
                 FROM usage_events u LEFT JOIN accounts a ON a.id = u.account_id"
            }
            LaneTable::Exports => {
                "SELECT l.id, l.batch_id, b.kind, a.name, l.invoice_id, l.amount_cents
                 FROM export_lines l LEFT JOIN export_batches b ON b.id = l.batch_id
                 LEFT JOIN accounts a ON a.id = l.account_id"
            }
            LaneTable::Programs => {
                "SELECT p.id, a.name, p.name, p.basis_units, p.rate_cents, p.basis_units * p.rate_cents
                 FROM employer_programs p LEFT JOIN accounts a ON a.id = p.employer_account_id"
            }
            LaneTable::Statements => {
                "SELECT l.id, l.statement_id, s.program_id, l.invoice_line_id, l.description, l.amount_cents
                 FROM statement_lines l LEFT JOIN program_statements s ON s.id = l.statement_id"
            }
            LaneTable::Aging => {
                "SELECT i.id, a.name, i.status, i.posted_at, i.due_date, i.total_cents, i.balance_cents, NULL
                 FROM invoices i LEFT JOIN accounts a ON a.id = i.account_id"
            }
            // Columns 2.. are the line as the engine schedules it ([`revenue_line`]); only
            // receivable invoices' lines are revenue.
            LaneTable::Revenue => {
                "SELECT l.id, l.invoice_id,
                        l.revenue_rule, i.posted_at, l.service_start, l.service_end, l.amount_cents, i.status,
                        i.account_id, l.kind, i.voided_at
                 FROM invoice_lines l LEFT JOIN invoices i ON i.id = l.invoice_id"
            }
            LaneTable::Payments => {
                "SELECT p.id, a.name, p.kind, p.occurred_on, p.amount_cents, p.related_payment_id, p.reference
                 FROM payments p LEFT JOIN accounts a ON a.id = p.account_id"
            }
            LaneTable::Credits => {
                "SELECT c.id, a.name, c.kind, c.issued_on, c.amount_cents, c.related_credit_id, c.reason
                 FROM credits c LEFT JOIN accounts a ON a.id = c.account_id"
            }
            LaneTable::Disbursements => {
                "SELECT d.id, d.source_kind, d.source_id, d.invoice_id, d.disbursed_on, d.amount_cents
                 FROM disbursements d"
            }
            LaneTable::Ledger => {
                "SELECT g.id, a.name, g.kind, g.occurred_at, g.invoice_id, g.amount_cents, g.reference
                 FROM ledger g LEFT JOIN accounts a ON a.id = g.account_id"
            }
        }
    }

    /// The columns `/` searches in [`select`](Self::select): text (ids, the account's id
    /// and name, other names), matched with `LIKE`; amounts (cents), matched by value.
    fn search_columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            LaneTable::Usage => (
                &["u.id", "u.account_id", "a.name", "u.kind", "u.invoice_line_id"],
                &["u.rated_amount_cents"],
            ),
            LaneTable::Exports => (
                &["l.id", "l.batch_id", "l.account_id", "a.name", "l.invoice_id"],
                &["l.amount_cents"],
            ),
            LaneTable::Programs => (
                &["p.id", "p.employer_account_id", "a.name", "p.name"],
                &["p.rate_cents", "p.basis_units * p.rate_cents"],
            ),
            LaneTable::Statements => (
                &[
                    "l.id",
                    "l.statement_id",
                    "s.program_id",
                    "l.invoice_line_id",
                    "l.description",
                ],
                &["l.amount_cents"],
            ),
            LaneTable::Aging => (
                &["i.id", "i.account_id", "a.name", "i.status"],
                &["i.total_cents", "i.balance_cents"],
            ),
            LaneTable::Revenue => (&["l.id", "l.invoice_id", "i.account_id"], &["l.amount_cents"]),
            LaneTable::Payments => (
                &[
                    "p.id",
                    "p.account_id",
                    "a.name",
                    "p.kind",
                    "p.related_payment_id",
                    "p.reference",
                ],
                &["p.amount_cents"],
            ),
            LaneTable::Credits => (
                &[
                    "c.id",
                    "c.account_id",
                    "a.name",
                    "c.kind",
                    "c.related_credit_id",
                    "c.reason",
                ],
                &["c.amount_cents"],
            ),
            LaneTable::Disbursements => (
                &["d.id", "d.source_kind", "d.source_id", "d.invoice_id"],
                &["d.amount_cents"],
            ),
            LaneTable::Ledger => (
                &[
                    "g.id",
                    "g.account_id",
                    "a.name",
                    "g.kind",
                    "g.invoice_id",
                    "g.reference",
                ],
                &["g.amount_cents"],
            ),
        }
    }

    /// The alias of the keyed table in [`select`](Self::select).
    fn alias(self) -> &'static str {
        match self {
            LaneTable::Usage => "u",
            LaneTable::Programs => "p",
            LaneTable::Aging => "i",
            LaneTable::Exports | LaneTable::Statements | LaneTable::Revenue => "l",
            LaneTable::Payments => "p",
            LaneTable::Credits => "c",
            LaneTable::Disbursements => "d",
            LaneTable::Ledger => "g",
        }
    }
}

/// One usage event (`usage_events`), with its account's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRow {
    pub id: String,
    pub account: Option<String>,
    pub kind: UsageKind,
    pub occurred_at: String,
    pub units: i64,
    pub rated: Option<Money>,
    pub state: UsageState,
    pub invoice_line: Option<String>,
}

/// One line of an export batch (`export_lines`), with its batch's kind and account's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportLineRow {
    pub id: String,
    pub batch: String,
    pub batch_kind: Option<BatchKind>,
    pub account: Option<String>,
    pub invoice: Option<String>,
    pub amount: Money,
}

/// One employer program (`employer_programs`) and the fee its basis and rate make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramRow {
    pub id: String,
    pub employer: Option<String>,
    pub name: String,
    pub basis_units: i64,
    pub rate: Money,
    pub expected_fee: Money,
}

/// One line of a program statement (`statement_lines`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLineRow {
    pub id: String,
    pub statement: String,
    pub program: Option<String>,
    pub invoice_line: Option<String>,
    pub description: Option<String>,
    pub amount: Money,
}

/// One invoice (`invoices`) and its age at the page's `as_of` day (`None`: no readable due
/// date).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceAgeRow {
    pub id: String,
    pub account: Option<String>,
    pub status: InvoiceStatus,
    pub posted_at: Option<String>,
    pub due_date: String,
    pub total: Money,
    pub balance: Money,
    pub age: Option<AgeBucket>,
}

/// One invoice line (`invoice_lines`); `line` is the line as the engine schedules it
/// (`None` for lines of invoices that are not receivable, which carry no revenue).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevenueLineRow {
    pub id: String,
    pub invoice: String,
    pub rule: RevenueRule,
    pub service_start: Option<String>,
    pub service_end: Option<String>,
    pub amount: Money,
    pub line: Option<RevenueLine>,
}

/// One payment or credit (`payments`, `credits`), with its account's name: its kind
/// ([`PaymentKind`] or [`CreditKind`]), the row it undoes, and its reference or reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueRow<K> {
    pub id: String,
    pub account: Option<String>,
    pub kind: K,
    pub date: String,
    pub amount: Money,
    pub related: Option<String>,
    pub note: Option<String>,
}

/// One disbursement (`disbursements`): value applied from a payment or credit to an invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisbursementRow {
    pub id: String,
    pub source_kind: SourceKind,
    pub source: String,
    pub invoice: String,
    pub date: String,
    pub amount: Money,
}

/// One ledger row (`ledger`), with its account's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerRow {
    pub id: String,
    pub account: Option<String>,
    pub kind: LedgerKind,
    pub at: String,
    pub invoice: Option<String>,
    pub amount: Money,
    pub reference: Option<String>,
}

/// One row of a lane page, typed by its lane (raw data: make text inert before showing it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LaneRow {
    Usage(UsageRow),
    Exports(ExportLineRow),
    Programs(ProgramRow),
    Statements(StatementLineRow),
    Aging(InvoiceAgeRow),
    Revenue(RevenueLineRow),
    Payments(ValueRow<PaymentKind>),
    Credits(ValueRow<CreditKind>),
    Disbursements(DisbursementRow),
    Ledger(LedgerRow),
}

impl LaneRow {
    /// The row's key in its lane's table: the page cursor.
    pub fn id(&self) -> &str {
        match self {
            LaneRow::Usage(r) => &r.id,
            LaneRow::Exports(r) => &r.id,
            LaneRow::Programs(r) => &r.id,
            LaneRow::Statements(r) => &r.id,
            LaneRow::Aging(r) => &r.id,
            LaneRow::Revenue(r) => &r.id,
            LaneRow::Payments(r) => &r.id,
            LaneRow::Credits(r) => &r.id,
            LaneRow::Disbursements(r) => &r.id,
            LaneRow::Ledger(r) => &r.id,
        }
    }
}

/// Which way a page goes from the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Rows with `id > after` (or `>=` when inclusive), ascending.
    Forward { inclusive: bool },
    /// Rows with `id < before`, returned ascending.
    Backward,
    /// The table's last rows (the cursor is not read), returned ascending: `G`.
    Last,
}

/// One row of `lane`'s page query, typed.
fn lane_row(lane: LaneTable, r: &Row<'_>, as_of: NaiveDate) -> rusqlite::Result<LaneRow> {
    Ok(match lane {
        LaneTable::Usage => LaneRow::Usage(UsageRow {
            id: r.get(0)?,
            account: r.get(1)?,
            kind: word_at(r, 2, UsageKind::parse)?,
            occurred_at: r.get(3)?,
            units: r.get(4)?,
            rated: r.get::<_, Option<i64>>(5)?.map(Money::from_cents),
            state: word_at(r, 6, UsageState::parse)?,
            invoice_line: r.get(7)?,
        }),
        LaneTable::Exports => LaneRow::Exports(ExportLineRow {
            id: r.get(0)?,
            batch: r.get(1)?,
            batch_kind: opt_word_at(r, 2, BatchKind::parse)?,
            account: r.get(3)?,
            invoice: r.get(4)?,
            amount: money_at(r, 5)?,
        }),
        LaneTable::Programs => LaneRow::Programs(ProgramRow {
            id: r.get(0)?,
            employer: r.get(1)?,
            name: r.get(2)?,
            basis_units: r.get(3)?,
            rate: money_at(r, 4)?,
            expected_fee: money_at(r, 5)?,
        }),
        LaneTable::Statements => LaneRow::Statements(StatementLineRow {
            id: r.get(0)?,
            statement: r.get(1)?,
            program: r.get(2)?,
            invoice_line: r.get(3)?,
            description: r.get(4)?,
            amount: money_at(r, 5)?,
        }),
        LaneTable::Aging => {
            let due_date: String = r.get(4)?;
            let balance = money_at(r, 6)?;
            LaneRow::Aging(InvoiceAgeRow {
                id: r.get(0)?,
                account: r.get(1)?,
                status: word_at(r, 2, InvoiceStatus::parse)?,
                posted_at: r.get(3)?,
                age: age_bucket(&due_date, balance, as_of),
                due_date,
                total: money_at(r, 5)?,
                balance,
            })
        }
        LaneTable::Revenue => LaneRow::Revenue(RevenueLineRow {
            id: r.get(0)?,
            invoice: r.get(1)?,
            rule: word_at(r, REVENUE_LINE_FROM, RevenueRule::parse)?,
            service_start: r.get(REVENUE_LINE_FROM + 2)?,
            service_end: r.get(REVENUE_LINE_FROM + 3)?,
            amount: money_at(r, REVENUE_LINE_FROM + 4)?,
            line: revenue_line(r, REVENUE_LINE_FROM, as_of)?,
        }),
        LaneTable::Payments => LaneRow::Payments(value_row(r, PaymentKind::parse)?),
        LaneTable::Credits => LaneRow::Credits(value_row(r, CreditKind::parse)?),
        LaneTable::Disbursements => LaneRow::Disbursements(DisbursementRow {
            id: r.get(0)?,
            source_kind: word_at(r, 1, SourceKind::parse)?,
            source: r.get(2)?,
            invoice: r.get(3)?,
            date: r.get(4)?,
            amount: money_at(r, 5)?,
        }),
        LaneTable::Ledger => LaneRow::Ledger(LedgerRow {
            id: r.get(0)?,
            account: r.get(1)?,
            kind: word_at(r, 2, LedgerKind::parse)?,
            at: r.get(3)?,
            invoice: r.get(4)?,
            amount: money_at(r, 5)?,
            reference: r.get(6)?,
        }),
    })
}

/// A payments or credits row of the lane's select, its kind read with `parse`.
fn value_row<K>(r: &Row<'_>, parse: fn(&str) -> Option<K>) -> rusqlite::Result<ValueRow<K>> {
    Ok(ValueRow {
        id: r.get(0)?,
        account: r.get(1)?,
        kind: word_at(r, 2, parse)?,
        date: r.get(3)?,
        amount: money_at(r, 4)?,
        related: r.get(5)?,
        note: r.get(6)?,
    })
}

/// Where the revenue select's columns for [`revenue_line`] start.
const REVENUE_LINE_FROM: usize = 2;

/// The typed line behind a revenue row, read from the columns after the shown ones: rule,
/// invoice posted_at, service start and end, amount, invoice status, account, line kind,
/// voided_at. `None` unless the invoice is posted by `window_end` and is posted, closed or
/// void (with its void date): the lines the engine's revenue step reads.
fn revenue_line(r: &Row<'_>, from: usize, window_end: NaiveDate) -> rusqlite::Result<Option<RevenueLine>> {
    let status: Option<String> = r.get(from + 5)?;
    let voided_at: Option<String> = r.get(from + 8)?;
    let invoice_voided_at = match status.as_deref() {
        Some("posted" | "closed") => None,
        // A void takes back in its window what the line had recognized: the line stays in
        // the revenue figures (with 0.00 deferred once voided).
        Some("void") => match voided_at.and_then(|d| NaiveDate::parse_from_str(&d, DATE_FORMAT).ok()) {
            Some(voided) => Some(voided),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let kind: String = r.get(from + 7)?;
    let Some(kind) = LineKind::parse(&kind) else {
        return Ok(None);
    };
    let posted_at: Option<String> = r.get(from + 1)?;
    let Some(invoice_posted_at) = posted_at
        .and_then(|d| NaiveDate::parse_from_str(&d, DATE_FORMAT).ok())
        .filter(|posted| *posted <= window_end)
    else {
        return Ok(None);
    };
    let rule: String = r.get(from)?;
    let Some(rule) = RevenueRule::parse(&rule) else {
        return Ok(None);
    };
    let date = |i: usize| -> rusqlite::Result<Option<NaiveDate>> {
        let text: Option<String> = r.get(i)?;
        Ok(text.and_then(|d| NaiveDate::parse_from_str(&d, DATE_FORMAT).ok()))
    };
    Ok(Some(RevenueLine {
        id: r.get(0)?,
        account_id: r.get::<_, Option<String>>(from + 6)?.unwrap_or_default(),
        kind,
        amount: Money::from_cents(r.get(from + 4)?),
        rule,
        invoice_posted_at,
        invoice_voided_at,
        service_start: date(from + 2)?,
        service_end: date(from + 3)?,
    }))
}

/// The age of an invoice balance at `as_of`, by days past due (`None`: the due date
/// cannot be read); a zero balance is paid.
pub fn age_bucket(due: &str, balance: Money, as_of: NaiveDate) -> Option<AgeBucket> {
    if balance.is_zero() {
        return Some(AgeBucket::Paid);
    }
    let due = NaiveDate::parse_from_str(due, DATE_FORMAT).ok()?;
    Some(AgeBucket::of((as_of - due).num_days()))
}

/// The keyset query of one lane page: rows after (or before) the cursor id, in id order.
fn page_sql(lane: LaneTable, direction: Direction) -> String {
    let a = lane.alias();
    let (after, order) = match direction {
        Direction::Forward { inclusive: false } => (">", ""),
        Direction::Forward { inclusive: true } => (">=", ""),
        Direction::Backward => ("<", " DESC"),
        // No cursor: `?1` is bound and not read (SQLite counts parameters up to `?2`).
        Direction::Last => return format!("{} ORDER BY {a}.id DESC LIMIT ?2", lane.select()),
    };
    format!(
        "{} WHERE {a}.id {after} ?1 ORDER BY {a}.id{order} LIMIT ?2",
        lane.select()
    )
}

/// The search query of one lane: ids of rows whose text columns contain `?1` (a `LIKE`
/// pattern) or whose amount columns equal `?2` cents (of either sign unless `?3` is 1), in
/// id order, at most `?4`.
fn search_sql(lane: LaneTable) -> String {
    let a = lane.alias();
    let (text, amounts) = lane.search_columns();
    let mut any: Vec<String> = text.iter().map(|c| format!("{c} LIKE ?1 ESCAPE '\\'")).collect();
    any.extend(
        amounts
            .iter()
            .map(|c| format!("(CASE WHEN ?3 = 1 THEN {c} = ?2 ELSE abs({c}) = abs(?2) END)")),
    );
    format!(
        "{} WHERE {} ORDER BY {a}.id LIMIT ?4",
        lane.select(),
        any.join(" OR ")
    )
}

/// `query` as a `LIKE` pattern that finds it anywhere, its `%`, `_` and `\` taken literally.
fn like_anywhere(query: &str) -> String {
    let mut out = String::from("%");
    for c in query.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Snapshot {
    /// The ids of `lane`'s rows that `/` finds for `text` (in id order, at most `limit`): a
    /// row whose id, account (id or name) or other name contains it (ASCII letters in any
    /// case), or, when `amount` is given, whose amount is that many cents — of either sign
    /// unless `signed`. Reads the whole table (a search is asked for, not paged).
    pub fn lane_search(
        &self,
        lane: LaneTable,
        text: &str,
        amount: Option<Money>,
        signed: bool,
        limit: usize,
    ) -> rusqlite::Result<Vec<String>> {
        let mut st = self.conn().prepare_cached(&search_sql(lane))?;
        let rows = st.query_map(
            params![
                like_anywhere(text.trim()),
                amount.map(Money::cents),
                i64::from(signed),
                limit as i64
            ],
            |r| r.get::<_, String>(0),
        )?;
        rows.collect()
    }

    /// One page of a lane, keyed by id (keyset pagination; `cursor` empty = from the start).
    /// `as_of`: the day invoices are aged at and revenue lines are read as of.
    pub fn lane_page(
        &self,
        lane: LaneTable,
        cursor: &str,
        direction: Direction,
        limit: usize,
        as_of: NaiveDate,
    ) -> rusqlite::Result<Vec<LaneRow>> {
        let sql = page_sql(lane, direction);
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(params![cursor, limit as i64], |r| lane_row(lane, r, as_of))?;
        let mut out: Vec<LaneRow> = rows.collect::<rusqlite::Result<_>>()?;
        if matches!(direction, Direction::Backward | Direction::Last) {
            out.reverse();
        }
        Ok(out)
    }

    /// The lane and row id that show a source row (`table`, `id`) named by a mismatch.
    pub fn locate_source(&self, table: &str, id: &str) -> rusqlite::Result<Option<(LaneTable, String)>> {
        let one = |sql: &str| -> rusqlite::Result<Option<String>> {
            let mut st = self.conn().prepare_cached(sql)?;
            let mut rows = st.query(params![id])?;
            match rows.next()? {
                Some(r) => r.get::<_, Option<String>>(0),
                None => Ok(None),
            }
        };
        // A row of a lane's own table is shown there; a batch and a statement by their
        // first line.
        if let Some(lane) = LaneTable::ALL.into_iter().find(|lane| lane.table() == table) {
            return Ok(Some((lane, id.to_string())));
        }
        let found = match table {
            "export_batches" => {
                one("SELECT min(id) FROM export_lines WHERE batch_id = ?1")?.map(|r| (LaneTable::Exports, r))
            }
            "program_statements" => one("SELECT min(id) FROM statement_lines WHERE statement_id = ?1")?
                .map(|r| (LaneTable::Statements, r)),
            _ => None,
        };
        Ok(found)
    }

    /// `PRAGMA data_version`: changes when another connection commits to the file.
    pub fn data_version(&self) -> rusqlite::Result<i64> {
        self.conn().pragma_query_value(None, "data_version", |r| r.get(0))
    }

    /// How many annotations each mismatch key has.
    pub fn annotation_counts(&self) -> rusqlite::Result<std::collections::HashMap<String, usize>> {
        let mut st = self.conn().prepare_cached(
            "SELECT target, count(*) FROM annotations WHERE target_kind = 'mismatch' GROUP BY target",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))?;
        rows.collect()
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    /// Every lane page query, both directions, finds its rows through an index: no full
    /// scan of any table (issue 7: paging stays instant at a million invoices).
    #[test]
    fn every_page_query_uses_an_index() {
        let (_dir, snapshot) = super::super::testing::new_snapshot();
        for lane in LaneTable::ALL {
            for direction in [
                Direction::Forward { inclusive: false },
                Direction::Forward { inclusive: true },
                Direction::Backward,
            ] {
                let sql = page_sql(lane, direction);
                let plan = super::super::testing::plan(&snapshot, &sql, params!["", 50i64]);
                assert!(!plan.is_empty());
                for step in &plan {
                    let full_scan = step.starts_with("SCAN") && !step.contains("USING");
                    assert!(!full_scan, "{lane:?} {direction:?}: {step}\n{sql}");
                    assert!(
                        !step.contains("TEMP B-TREE"),
                        "{lane:?} {direction:?}: {step}\n{sql}"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod search_tests {
    use super::*;

    /// Every lane's search runs (its columns exist), finds text in any case with `%` and `_`
    /// taken literally, and amounts on cents of either sign unless signed.
    #[test]
    fn every_lane_search_runs_and_matches_text_and_cents() {
        let (_dir, snapshot) = super::super::testing::new_snapshot();
        for lane in LaneTable::ALL {
            snapshot
                .lane_search(lane, "x", Some(Money::from_cents(975)), false, 10)
                .unwrap_or_else(|e| panic!("{lane:?}: {e}"));
        }
        let conn = snapshot.conn();
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO disbursements (id, source_kind, source_id, invoice_id, disbursed_on, amount_cents)
             VALUES ('D-1', 'payment', 'PAY_1', 'INV-1', '2026-03-02', -975),
                    ('D-2', 'credit', 'CR%1', 'INV-2', '2026-03-03', 1975)",
        )
        .unwrap();
        let find = |text: &str, amount: Option<i64>, signed: bool| {
            snapshot
                .lane_search(
                    LaneTable::Disbursements,
                    text,
                    amount.map(Money::from_cents),
                    signed,
                    10,
                )
                .unwrap()
        };
        assert_eq!(find("pay_", None, false), vec!["D-1"]);
        assert_eq!(find("cr%", None, false), vec!["D-2"]);
        assert_eq!(find("_", None, false), vec!["D-1"], "_ is literal");
        assert_eq!(
            find("9.75", Some(975), false),
            vec!["D-1"],
            "either sign, not 19.75"
        );
        assert_eq!(find("9.75", Some(975), true), Vec::<String>::new());
        assert_eq!(find("-9.75", Some(-975), true), vec!["D-1"]);
        assert_eq!(find("inv-", None, false), vec!["D-1", "D-2"]);
    }
}

#[cfg(test)]
mod age_bucket_tests {
    use super::age_bucket;
    use crate::money::Money;
    use crate::snapshot::model::AgeBucket;
    use chrono::NaiveDate;

    /// As of 2026-03-31, worked by hand: 31 days back is 2026-02-28, 59 is 2026-01-31, 90 is
    /// 2025-12-31, so due 2025-12-31 is 61–90 and due 2025-12-30 is 91+ (91 or more), as the
    /// engine's aged AR buckets them.
    #[test]
    fn the_cockpit_buckets_at_their_boundaries() {
        let end = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let owed = Money::from_cents(100);
        let bucket = |due: &str| age_bucket(due, owed, end).unwrap().as_str();
        assert_eq!(bucket("2026-03-31"), "current");
        assert_eq!(bucket("2026-03-30"), "1-30");
        assert_eq!(bucket("2026-03-01"), "1-30");
        assert_eq!(bucket("2026-02-28"), "31-60");
        assert_eq!(bucket("2026-01-30"), "31-60");
        assert_eq!(bucket("2026-01-29"), "61-90");
        assert_eq!(bucket("2025-12-31"), "61-90");
        assert_eq!(bucket("2025-12-30"), "91+");
        assert_eq!(age_bucket("2025-12-30", Money::ZERO, end), Some(AgeBucket::Paid));
        assert_eq!(age_bucket("not a date", owed, end), None);
    }
}
