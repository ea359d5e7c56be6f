//! What a check reports: a [`Mismatch`], with its severity and the source rows behind it.

use serde::Serialize;

use crate::money::Money;
use crate::snapshot::model::{Lane, Period, Severity};

/// One source row: the table and the row's id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceRef {
    pub table: &'static str,
    pub id: String,
}

impl SourceRef {
    pub fn new(table: &'static str, id: impl Into<String>) -> SourceRef {
        SourceRef { table, id: id.into() }
    }
}

/// A gap found by reconciliation. `variance = actual − expected`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// Stable across recomputation: `lane:subject:check`.
    pub key: String,
    pub lane: Lane,
    pub subject: String,
    pub check: &'static str,
    /// One line saying what does not tie, in the finance team's words.
    pub title: String,
    pub expected: Money,
    pub actual: Money,
    pub variance: Money,
    pub severity: Severity,
    pub owner: String,
    pub next_action: String,
    pub expected_rows: Vec<SourceRef>,
    pub actual_rows: Vec<SourceRef>,
}

/// How a check classifies its mismatches for severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A gap against an output or another system: severity from materiality alone.
    Tie,
    /// An inconsistency inside the AR subledger: never below `high`.
    Internal,
    /// An open exception (e.g. unprocessed usage): never below `medium`.
    Exception,
}

/// Severity from the period's materiality thresholds on `|variance|`, floored by kind.
pub fn severity(period: &Period, variance: Money, kind: Kind) -> Severity {
    let abs = variance.abs();
    let by_amount = if abs >= period.materiality_critical {
        Severity::Critical
    } else if abs >= period.materiality_high {
        Severity::High
    } else if abs >= period.materiality_medium {
        Severity::Medium
    } else {
        Severity::Low
    };
    let floor = match kind {
        Kind::Tie => Severity::Low,
        Kind::Internal => Severity::High,
        Kind::Exception => Severity::Medium,
    };
    by_amount.max(floor)
}
