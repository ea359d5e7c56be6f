//! The bounds on a period's amounts (docs/snapshot-format.md, "Bounds"), checked on the
//! file as it is — `verify`'s `bounds` check, for a file edited by hand after its import.
//! Import refuses the same values at `file:line:column`.
//!
//! Owns the bounds query; the bounds themselves are import's rule, and this must not fix or
//! rewrite a value it finds.

use rusqlite::types::ValueRef;

use super::Snapshot;
use crate::money::{Money, MAX_ABS_CENTS, MAX_TOTAL_ABS_CENTS};

/// Every amount column of the source tables and of the pre-aggregated usage (the
/// materiality thresholds are compared, never summed, and are not counted — as at import,
/// which counts the aggregate's amounts and its control total alike).
pub const AMOUNT_COLUMNS: &[(&str, &str)] = &[
    ("invoices", "total_cents"),
    ("invoices", "balance_cents"),
    ("invoice_lines", "amount_cents"),
    ("payments", "amount_cents"),
    ("credits", "amount_cents"),
    ("disbursements", "amount_cents"),
    ("ledger", "amount_cents"),
    ("usage_events", "rated_amount_cents"),
    ("export_batches", "total_cents"),
    ("export_lines", "amount_cents"),
    ("employer_programs", "rate_cents"),
    ("program_statements", "total_cents"),
    ("statement_lines", "amount_cents"),
    ("usage_daily", "rated_amount_cents"),
    ("usage_control", "rated_amount_cents"),
];

/// The column that names a row of `table` in a problem: its id, or for `usage_daily` its
/// row in `usage_daily.parquet`.
fn key_of(table: &str) -> &'static str {
    match table {
        "usage_daily" => "row",
        _ => "id",
    }
}

/// A null is allowed only for an event not rated yet.
fn optional(table: &str, column: &str) -> bool {
    table == "usage_events" && column == "rated_amount_cents"
}

/// What the bounds check found: how many amounts it read and their absolute total, and
/// each problem in words (at most the first 20).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    pub amounts: u64,
    pub total_abs_cents: i128,
    pub problems: Vec<String>,
}

impl Snapshot {
    /// Reads every amount of the source tables and every program's `basis_units ×
    /// rate_cents` and checks them against the bounds import enforces: each an integer
    /// (NULL only where the column is optional) of absolute value below `MAX_ABS_CENTS`,
    /// all of them adding up (absolute values) to less than `MAX_TOTAL_ABS_CENTS`.
    pub fn bounds(&self) -> rusqlite::Result<Bounds> {
        let mut b = Bounds::default();
        fn note(b: &mut Bounds, what: String) {
            if b.problems.len() < 20 {
                b.problems.push(what);
            }
        }
        for (table, column) in AMOUNT_COLUMNS {
            let key = key_of(table);
            let mut st = self
                .conn()
                .prepare(&format!("SELECT {key}, {column} FROM {table} ORDER BY {key}"))?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let id = match r.get_ref(0)? {
                    ValueRef::Integer(n) => format!("{key} {n}"),
                    other => crate::text::inert(other.as_str().unwrap_or_default()),
                };
                match r.get_ref(1)? {
                    ValueRef::Null if optional(table, column) => {}
                    ValueRef::Integer(c) => {
                        b.amounts += 1;
                        b.total_abs_cents += (c as i128).abs();
                        if (c as i128).abs() >= MAX_ABS_CENTS as i128 {
                            note(&mut b, format!("{table} {id}: {column} {c} is out of range"));
                        }
                    }
                    _ => note(
                        &mut b,
                        format!("{table} {id}: {column} is not a whole number of minor units (cents, yen…)"),
                    ),
                }
            }
        }
        let mut st = self
            .conn()
            .prepare("SELECT id, basis_units, rate_cents FROM employer_programs ORDER BY id")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get::<_, Option<String>>(0)?.unwrap_or_default();
            let id = crate::text::inert(&id);
            match (r.get_ref(1)?, r.get_ref(2)?) {
                (ValueRef::Integer(units), ValueRef::Integer(rate)) => {
                    let fee = units as i128 * rate as i128;
                    b.total_abs_cents += fee.abs();
                    if fee.abs() >= MAX_ABS_CENTS as i128 {
                        note(
                            &mut b,
                            format!("employer_programs {id}: basis_units × rate ({units} × {rate} minor units) is out of range"),
                        );
                    }
                }
                _ => note(
                    &mut b,
                    format!("employer_programs {id}: basis_units is not a whole number"),
                ),
            }
        }
        if b.total_abs_cents >= MAX_TOTAL_ABS_CENTS {
            let limit = Money::from_cents(MAX_TOTAL_ABS_CENTS as i64).grouped();
            let what = format!(
                "the absolute amounts add up to {} minor units, not less than {limit}",
                b.total_abs_cents
            );
            note(&mut b, what);
        }
        Ok(b)
    }
}
