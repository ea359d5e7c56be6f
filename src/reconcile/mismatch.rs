//! What a check reports: a [`Mismatch`], with its severity and the source rows behind it.
//!
//! Owns the mismatch type, severity and keys; must not run a check or hold workflow state.

use serde::{Deserialize, Deserializer, Serialize};

use crate::money::Money;
use crate::snapshot::model::{Lane, Period, Severity};
use crate::snapshot::schema::{SOURCE_TABLES, USAGE_AGGREGATE_TABLES};

use super::{
    adjustments, applied, exports, ledger_rows, posted, programs, revenue, rollforward, statements, usage,
};

/// The name of every check, as [`Mismatch::check`] holds it. A stored reconciliation is
/// read back through this list, so a check missing here makes a stored result unreadable
/// (and recomputed), never wrong.
pub const CHECKS: &[&str] = &[
    posted::LINES_TOTAL,
    posted::BALANCE,
    posted::VOID_BALANCE,
    posted::OVER_APPLIED,
    applied::OVER_DISBURSED,
    applied::TARGET,
    ledger_rows::POSTING,
    ledger_rows::DISBURSEMENT,
    ledger_rows::POSTING_DATE,
    ledger_rows::VOID_DATE,
    ledger_rows::DISBURSEMENT_DATE,
    ledger_rows::PULL_BACK_DATE,
    rollforward::ROLL_FORWARD,
    adjustments::VOID,
    adjustments::UNRECORDED,
    adjustments::UNEXPLAINED,
    adjustments::PAID_OUT,
    exports::LINES_TOTAL,
    exports::AR_TOTAL,
    exports::ACCOUNT_AR,
    exports::INVOICE_TOTAL,
    exports::GL_ACCOUNT,
    revenue::SERVICE_PERIOD,
    usage::BILLED,
    usage::UNPROCESSED,
    usage::LINE_EVENTS,
    usage::UNBILLED,
    usage::CONTROL_TOTAL,
    programs::BILLED,
    programs::STATEMENT_TOTAL,
    programs::NO_STATEMENT,
    statements::UNTIED,
    statements::LINE,
    statements::VOID,
    statements::PRESENTED_TWICE,
    statements::UNPRESENTED,
];

/// Reads a word back as the `&'static str` of `list` equal to it; any other word is an
/// error.
fn one_of<'de, D: Deserializer<'de>>(
    d: D,
    list: &[&'static str],
    what: &str,
) -> Result<&'static str, D::Error> {
    let word = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    list.iter()
        .copied()
        .find(|w| *w == word)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown {what} {word}")))
}

fn source_table<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    // The pre-aggregated usage tables (schema 6) are traced to as well.
    let tables: Vec<&'static str> = SOURCE_TABLES
        .iter()
        .chain(USAGE_AGGREGATE_TABLES)
        .copied()
        .collect();
    one_of(d, &tables, "source table")
}

fn check_name<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    one_of(d, CHECKS, "check")
}

/// A name from a fixed list (a source table, a check). Spelled through this alias because
/// serde's derive treats a field written `&'static str` as borrowed from the input, which
/// would tie every `Deserialize` to `'static` input; these are read back through
/// [`one_of`] instead.
pub type Name = &'static str;

/// One source row: the table and the row's id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    #[serde(deserialize_with = "source_table")]
    pub table: Name,
    pub id: String,
}

impl SourceRef {
    pub fn new(table: &'static str, id: impl Into<String>) -> SourceRef {
        SourceRef { table, id: id.into() }
    }
}

/// A gap found by reconciliation. `variance = actual − expected`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    /// Stable across recomputation: `lane:subject:check`.
    pub key: String,
    pub lane: Lane,
    pub subject: String,
    #[serde(deserialize_with = "check_name")]
    pub check: Name,
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
