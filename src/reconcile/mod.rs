//! The reconciliation engine: the same sequence of checks every time (docs/reconciliation.md),
//! each a pure function from snapshot figures to [`Mismatch`]es.

pub mod mismatch;

use serde::Serialize;

pub use mismatch::{severity, Kind, Mismatch, SourceRef};

use crate::money::Money;
use crate::snapshot::model::Period;
use crate::snapshot::Snapshot;

/// The headline figures shown first everywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Headline {
    pub usage_billed: Money,
    pub program_fees_billed: Money,
    pub posted_receivables: Money,
    pub disbursed: Money,
    pub closing_ar: Money,
    pub unapplied: Money,
}

/// Every figure of every step, and every mismatch, in check order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub period: Period,
    pub headline: Headline,
    pub mismatches: Vec<Mismatch>,
}

/// Runs every check on the snapshot. PLACEHOLDER: the checks are being written.
pub fn run(snapshot: &Snapshot) -> rusqlite::Result<Reconciliation> {
    let period = snapshot.period()?;
    Ok(Reconciliation {
        period,
        headline: Headline::default(),
        mismatches: Vec::new(),
    })
}
