//! Aged AR per account at window end (current, 1–30, 31–60, 61–90, and 91 or more days past
//! due: `days_91_plus`), with each account's unapplied payments and credits. A final `TOTAL` row (CSV) or `totals`
//! object (JSON) adds them up; the buckets' total is closing AR.
//!
//! Owns the aged AR output's layout; must not compute buckets (the engine's).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{csv, json, Cell, ExportError, Format, Kind, Metadata, Output, Source};
use crate::money::Money;
use crate::reconcile::aging::AgingBuckets;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub account_id: String,
    pub buckets: AgingBuckets,
    pub unapplied_payments: Money,
    pub unapplied_credits: Money,
}

/// A row as the export names its fields: the engine's `over_90` (kept in stored overviews
/// and the close packet) is `days_91_plus` here, as in `reconcile --json`.
#[derive(Serialize)]
struct Named<'a> {
    account_id: &'a str,
    current: Money,
    days_1_30: Money,
    days_31_60: Money,
    days_61_90: Money,
    days_91_plus: Money,
    total: Money,
    unapplied_payments: Money,
    unapplied_credits: Money,
}

impl Serialize for Row {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let b = &self.buckets;
        Named {
            account_id: &self.account_id,
            current: b.current,
            days_1_30: b.days_1_30,
            days_31_60: b.days_31_60,
            days_61_90: b.days_61_90,
            days_91_plus: b.over_90,
            total: b.total,
            unapplied_payments: self.unapplied_payments,
            unapplied_credits: self.unapplied_credits,
        }
        .serialize(serializer)
    }
}

pub const HEADER: &[&str] = &[
    "account_id",
    "current",
    "days_1_30",
    "days_31_60",
    "days_61_90",
    "days_91_plus",
    "total",
    "unapplied_payments",
    "unapplied_credits",
];

/// One row per account with a balance or unapplied value, in account id order, and the
/// totals.
pub fn rows(source: &Source<'_>) -> Result<(Vec<Row>, Row), ExportError> {
    let period = &source.recon.period;
    let mut by_account: BTreeMap<String, Row> = BTreeMap::new();
    for a in &source.recon.aging.accounts {
        let row = by_account.entry(a.account_id.clone()).or_default();
        row.buckets = a.buckets.clone();
    }
    let unapplied = source
        .snapshot
        .unapplied_by_account(period)
        .map_err(|e| ExportError::Refused(e.into()))?;
    for u in unapplied {
        if u.payments.is_zero() && u.credits.is_zero() {
            continue;
        }
        let row = by_account.entry(u.account_id.clone()).or_default();
        row.unapplied_payments = u.payments;
        row.unapplied_credits = u.credits;
    }
    let mut total = Row {
        account_id: "TOTAL".to_string(),
        buckets: source.recon.aging.totals.clone(),
        ..Row::default()
    };
    let rows: Vec<Row> = by_account
        .into_iter()
        .map(|(id, mut row)| {
            row.account_id = id;
            total.unapplied_payments += row.unapplied_payments;
            total.unapplied_credits += row.unapplied_credits;
            row
        })
        .collect();
    Ok((rows, total))
}

fn cells(r: &Row) -> Vec<Cell> {
    let b = &r.buckets;
    vec![
        Cell::text(&r.account_id),
        Cell::Amount(b.current),
        Cell::Amount(b.days_1_30),
        Cell::Amount(b.days_31_60),
        Cell::Amount(b.days_61_90),
        Cell::Amount(b.over_90),
        Cell::Amount(b.total),
        Cell::Amount(r.unapplied_payments),
        Cell::Amount(r.unapplied_credits),
    ]
}

/// The aging as a table (CSV, workbook): a row an account, then the `TOTAL` row.
pub(crate) fn table(rows: &[Row], total: &Row) -> Vec<Vec<Cell>> {
    let mut table: Vec<Vec<Cell>> = rows.iter().map(cells).collect();
    table.push(cells(total));
    table
}

#[derive(Serialize)]
struct Document<'a> {
    metadata: Metadata,
    closing_ar: Money,
    accounts: &'a [Row],
    totals: &'a Row,
}

pub fn render(source: &Source<'_>, format: Format) -> Result<Output, ExportError> {
    let (rows, total) = rows(source)?;
    let meta = source.metadata(Kind::Aging, rows.len() as u64);
    let bytes = match format {
        Format::Csv => csv(&meta, HEADER, &table(&rows, &total)),
        _ => json(&Document {
            metadata: meta,
            closing_ar: source.recon.headline.closing_ar,
            accounts: &rows,
            totals: &total,
        }),
    };
    Ok(Output {
        bytes,
        rows: rows.len() as u64,
    })
}
