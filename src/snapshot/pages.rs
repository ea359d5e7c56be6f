//! Paged reads for the cockpit: keyset pagination over source and workflow tables, so a
//! table of any size is read a page at a time and never whole. Every query is a single
//! autocommit statement: no read transaction outlives the call.

use chrono::NaiveDate;
use rusqlite::{params, Row};

use super::model::{LineKind, RevenueRule, DATE_FORMAT};
use super::queries::RevenueLine;
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
}

impl LaneTable {
    pub const ALL: [LaneTable; 6] = [
        LaneTable::Usage,
        LaneTable::Exports,
        LaneTable::Programs,
        LaneTable::Statements,
        LaneTable::Aging,
        LaneTable::Revenue,
    ];

    pub fn title(self) -> &'static str {
        match self {
            LaneTable::Usage => "Usage",
            LaneTable::Exports => "Exports",
            LaneTable::Programs => "Employer programs",
            LaneTable::Statements => "Statements",
            LaneTable::Aging => "AR & aging",
            LaneTable::Revenue => "Revenue",
        }
    }

    /// The table whose `id` keys the rows.
    pub fn table(self) -> &'static str {
        match self {
            LaneTable::Usage => "usage_events",
            LaneTable::Exports => "export_lines",
            LaneTable::Programs => "employer_programs",
            LaneTable::Statements => "statement_lines",
            LaneTable::Aging => "invoices",
            LaneTable::Revenue => "invoice_lines",
        }
    }

    /// Column headings, in the order of [`PageRow::cells`].
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            LaneTable::Usage => &[
                "id", "account", "kind", "occurred", "units", "rated", "state", "line",
            ],
            LaneTable::Exports => &["id", "batch", "kind", "account", "invoice", "amount"],
            LaneTable::Programs => &["id", "employer", "program", "basis", "rate", "expected fee"],
            LaneTable::Statements => &["id", "statement", "program", "inv. line", "description", "amount"],
            LaneTable::Aging => &[
                "id", "account", "status", "posted", "due", "total", "balance", "age",
            ],
            LaneTable::Revenue => &[
                "id",
                "invoice",
                "rule",
                "service",
                "amount",
                "recognized",
                "deferred",
            ],
        }
    }

    /// Which columns hold amounts (right-aligned).
    pub fn numeric(self, column: usize) -> bool {
        let cols = self.columns();
        matches!(
            cols.get(column).copied(),
            Some(
                "units"
                    | "rated"
                    | "amount"
                    | "basis"
                    | "rate"
                    | "expected fee"
                    | "total"
                    | "balance"
                    | "recognized"
                    | "deferred"
            )
        )
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
            // Recognized and deferred are filled in from the engine's schedule of the line
            // (columns 7.. feed `PageRow::revenue_line`); only receivable invoices' lines
            // are revenue.
            LaneTable::Revenue => {
                "SELECT l.id, l.invoice_id, l.revenue_rule,
                        COALESCE(l.service_start, '') || '..' || COALESCE(l.service_end, ''), l.amount_cents,
                        NULL, NULL,
                        l.revenue_rule, i.posted_at, l.service_start, l.service_end, l.amount_cents, i.status,
                        i.account_id, l.kind, i.voided_at
                 FROM invoice_lines l LEFT JOIN invoices i ON i.id = l.invoice_id"
            }
        }
    }

    /// The alias of the keyed table in [`select`](Self::select).
    fn alias(self) -> &'static str {
        match self {
            LaneTable::Usage => "u",
            LaneTable::Programs => "p",
            LaneTable::Aging => "i",
            LaneTable::Exports | LaneTable::Statements | LaneTable::Revenue => "l",
        }
    }
}

/// One row of a lane page: its key and its cells as text (raw data: make it inert before
/// showing it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRow {
    pub id: String,
    pub cells: Vec<String>,
    /// Revenue lane: the line as the engine schedules it (`None` for other lanes, and for
    /// lines of invoices that are not receivable, which carry no revenue).
    pub revenue_line: Option<RevenueLine>,
}

/// Which way a page goes from the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Rows with `id > after` (or `>=` when inclusive), ascending.
    Forward { inclusive: bool },
    /// Rows with `id < before`, returned ascending.
    Backward,
}

fn cell(row: &Row<'_>, idx: usize, money: bool) -> rusqlite::Result<String> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(idx)? {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) if money => Money::from_cents(i).grouped(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(_) => "<blob>".to_string(),
    })
}

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

/// Age bucket of an open invoice balance at `as_of`, by days past due.
pub fn age_bucket(due: &str, balance_is_zero: bool, as_of: NaiveDate) -> String {
    if balance_is_zero {
        return "paid".to_string();
    }
    let Ok(due) = NaiveDate::parse_from_str(due, DATE_FORMAT) else {
        return String::new();
    };
    let days = (as_of - due).num_days();
    match days {
        d if d <= 0 => "current".to_string(),
        1..=30 => "1-30".to_string(),
        31..=60 => "31-60".to_string(),
        61..=90 => "61-90".to_string(),
        _ => "91+".to_string(),
    }
}

/// `2026-03-01..2026-03-31` → `2026-03-01..03-31` when both dates share the year;
/// `..` alone (no service dates) → empty.
pub fn compact_span(span: &str) -> String {
    match span.split_once("..") {
        Some(("", "")) => String::new(),
        // Cut only at character boundaries: stored text may be anything.
        Some((a, b))
            if a.len() == 10 && b.len() == 10 && a.get(..5).is_some_and(|y| b.get(..5) == Some(y)) =>
        {
            format!("{a}..{}", &b[5..])
        }
        _ => span.to_string(),
    }
}

/// The keyset query of one lane page: rows after (or before) the cursor id, in id order.
fn page_sql(lane: LaneTable, direction: Direction) -> String {
    let a = lane.alias();
    match direction {
        Direction::Forward { inclusive: false } => {
            format!("{} WHERE {a}.id > ?1 ORDER BY {a}.id LIMIT ?2", lane.select())
        }
        Direction::Forward { inclusive: true } => {
            format!("{} WHERE {a}.id >= ?1 ORDER BY {a}.id LIMIT ?2", lane.select())
        }
        Direction::Backward => format!(
            "{} WHERE {a}.id < ?1 ORDER BY {a}.id DESC LIMIT ?2",
            lane.select()
        ),
    }
}

impl Snapshot {
    /// One page of a lane, keyed by id (keyset pagination; `cursor` empty = from the start).
    pub fn lane_page(
        &self,
        lane: LaneTable,
        cursor: &str,
        direction: Direction,
        limit: usize,
        as_of: NaiveDate,
    ) -> rusqlite::Result<Vec<PageRow>> {
        let sql = page_sql(lane, direction);
        let ncols = lane.columns().len();
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(params![cursor, limit as i64], |r| {
            let mut cells = Vec::with_capacity(ncols);
            for i in 0..ncols {
                cells.push(cell(
                    r,
                    i,
                    lane.numeric(i) && !matches!(lane.columns()[i], "units" | "basis"),
                )?);
            }
            let revenue_line = if lane == LaneTable::Revenue {
                revenue_line(r, ncols, as_of)?
            } else {
                None
            };
            Ok(PageRow {
                id: cells[0].clone(),
                cells,
                revenue_line,
            })
        })?;
        let mut out: Vec<PageRow> = rows.collect::<rusqlite::Result<_>>()?;
        if lane == LaneTable::Aging {
            for row in &mut out {
                let zero = row.cells[6] == "0.00";
                row.cells[7] = age_bucket(&row.cells[4], zero, as_of);
            }
        }
        if lane == LaneTable::Revenue {
            for row in &mut out {
                row.cells[3] = compact_span(&row.cells[3]);
            }
        }
        if direction == Direction::Backward {
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
        let found = match table {
            "usage_events" => Some((LaneTable::Usage, id.to_string())),
            "export_lines" => Some((LaneTable::Exports, id.to_string())),
            "export_batches" => {
                one("SELECT min(id) FROM export_lines WHERE batch_id = ?1")?.map(|r| (LaneTable::Exports, r))
            }
            "employer_programs" => Some((LaneTable::Programs, id.to_string())),
            "statement_lines" => Some((LaneTable::Statements, id.to_string())),
            "program_statements" => one("SELECT min(id) FROM statement_lines WHERE statement_id = ?1")?
                .map(|r| (LaneTable::Statements, r)),
            "invoices" => Some((LaneTable::Aging, id.to_string())),
            "invoice_lines" => Some((LaneTable::Revenue, id.to_string())),
            "ledger" => one("SELECT invoice_id FROM ledger WHERE id = ?1")?.map(|r| (LaneTable::Aging, r)),
            "disbursements" => {
                one("SELECT invoice_id FROM disbursements WHERE id = ?1")?.map(|r| (LaneTable::Aging, r))
            }
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
        let dir = tempfile::tempdir().unwrap();
        let snapshot = Snapshot::create(&dir.path().join("p.db")).unwrap();
        for lane in LaneTable::ALL {
            for direction in [
                Direction::Forward { inclusive: false },
                Direction::Forward { inclusive: true },
                Direction::Backward,
            ] {
                let sql = page_sql(lane, direction);
                let mut st = snapshot
                    .conn()
                    .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .unwrap();
                let plan: Vec<String> = st
                    .query_map(params!["", 50i64], |r| r.get::<_, String>(3))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap();
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
mod age_bucket_tests {
    use super::age_bucket;
    use chrono::NaiveDate;

    /// As of 2026-03-31, worked by hand: 31 days back is 2026-02-28, 59 is 2026-01-31, 90 is
    /// 2025-12-31, so due 2025-12-31 is 61–90 and due 2025-12-30 is 91+ (91 or more), as the
    /// engine's aged AR buckets them.
    #[test]
    fn the_cockpit_buckets_at_their_boundaries() {
        let end = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let bucket = |due: &str| age_bucket(due, false, end);
        assert_eq!(bucket("2026-03-31"), "current");
        assert_eq!(bucket("2026-03-30"), "1-30");
        assert_eq!(bucket("2026-03-01"), "1-30");
        assert_eq!(bucket("2026-02-28"), "31-60");
        assert_eq!(bucket("2026-01-30"), "31-60");
        assert_eq!(bucket("2026-01-29"), "61-90");
        assert_eq!(bucket("2025-12-31"), "61-90");
        assert_eq!(bucket("2025-12-30"), "91+");
        assert_eq!(age_bucket("2025-12-30", true, end), "paid");
    }

    /// Service spans are cut at character boundaries: ten bytes with `é` across byte 5
    /// panicked before.
    #[test]
    fn compact_span_is_char_safe() {
        assert_eq!(super::compact_span("2026-03-01..2026-03-31"), "2026-03-01..03-31");
        assert_eq!(
            super::compact_span("2026é-03-1..2026é-03-1"),
            "2026é-03-1..2026é-03-1"
        );
    }
}
