//! The mismatch register: every mismatch the engine reports (engine order), then every key
//! cleared by data, with raw and corrected figures, workflow status, owner, next action,
//! the last note and the waiver reason.
//!
//! Owns the register's columns; must not compute figures or workflow state.

use serde::Serialize;

use super::{csv, json, Cell, ExportError, Format, Kind, Metadata, Output, Source};
use crate::money::Money;
use crate::snapshot::model::{AnnotationKind, Lane, MismatchStatus, Severity, TargetKind};
use crate::workflow::mismatches::MismatchView;
use crate::workflow::Refusal;

/// One register row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    pub key: String,
    pub lane: Option<Lane>,
    pub subject: Option<String>,
    pub check: Option<String>,
    pub severity: Option<Severity>,
    pub status: MismatchStatus,
    pub cleared_by_data: bool,
    pub expected: Option<Money>,
    pub actual: Option<Money>,
    pub raw_variance: Money,
    pub corrected_expected: Money,
    pub corrected_actual: Money,
    pub corrected_variance: Money,
    pub owner: String,
    pub next_action: Option<String>,
    pub first_seen: Option<String>,
    pub last_note: Option<String>,
    pub waiver_reason: Option<String>,
}

pub const HEADER: &[&str] = &[
    "key",
    "lane",
    "subject",
    "check",
    "severity",
    "status",
    "cleared_by_data",
    "expected",
    "actual",
    "raw_variance",
    "corrected_expected",
    "corrected_actual",
    "corrected_variance",
    "owner",
    "next_action",
    "first_seen",
    "last_note",
    "waiver_reason",
];

/// The register rows, from the views and each key's notes.
pub fn rows(source: &Source<'_>) -> Result<Vec<Row>, Refusal> {
    let read = source.snapshot.workflow();
    let mut out = Vec::new();
    for v in &source.views {
        let notes = read.annotations_of(TargetKind::Mismatch, &v.key)?;
        let last = |kind: AnnotationKind| {
            notes
                .iter()
                .rev()
                .find(|a| a.kind == kind)
                .map(|a| a.text.clone())
        };
        out.push(row(v, last(AnnotationKind::Note), last(AnnotationKind::Waiver)));
    }
    Ok(out)
}

fn row(v: &MismatchView, last_note: Option<String>, waiver_reason: Option<String>) -> Row {
    let m = v.mismatch.as_ref();
    Row {
        key: v.key.clone(),
        lane: v.lane,
        subject: m.map(|m| m.subject.clone()),
        check: m.map(|m| m.check.to_string()),
        severity: v.severity,
        status: v.status,
        cleared_by_data: v.cleared_by_data,
        expected: m.map(|m| m.expected),
        actual: m.map(|m| m.actual),
        raw_variance: v.raw_variance,
        corrected_expected: v.corrected_expected,
        corrected_actual: v.corrected_actual,
        corrected_variance: v.corrected_variance,
        owner: v.owner.clone(),
        next_action: m.map(|m| m.next_action.clone()),
        first_seen: v.first_seen.clone(),
        last_note,
        waiver_reason: if v.status == MismatchStatus::Waived {
            waiver_reason
        } else {
            None
        },
    }
}

pub(crate) fn cells(r: &Row) -> Vec<Cell> {
    let amount = |m: Option<Money>| m.map(Cell::Amount).unwrap_or(Cell::Empty);
    vec![
        Cell::text(&r.key),
        Cell::opt(r.lane.map(Lane::as_str)),
        Cell::opt(r.subject.as_deref()),
        Cell::opt(r.check.as_deref()),
        Cell::opt(r.severity.map(Severity::as_str)),
        Cell::text(r.status.as_str()),
        Cell::text(if r.cleared_by_data { "yes" } else { "no" }),
        amount(r.expected),
        amount(r.actual),
        Cell::Amount(r.raw_variance),
        Cell::Amount(r.corrected_expected),
        Cell::Amount(r.corrected_actual),
        Cell::Amount(r.corrected_variance),
        Cell::text(&r.owner),
        Cell::opt(r.next_action.as_deref()),
        Cell::opt(r.first_seen.as_deref()),
        Cell::opt(r.last_note.as_deref()),
        Cell::opt(r.waiver_reason.as_deref()),
    ]
}

#[derive(Serialize)]
struct Document<'a> {
    metadata: Metadata,
    mismatches: &'a [Row],
}

pub fn render(source: &Source<'_>, format: Format) -> Result<Output, ExportError> {
    let rows = rows(source)?;
    let meta = source.metadata(Kind::Mismatches, rows.len() as u64);
    let bytes = match format {
        Format::Csv => csv(&meta, HEADER, &rows.iter().map(cells).collect::<Vec<_>>()),
        _ => json(&Document {
            metadata: meta,
            mismatches: &rows,
        }),
    };
    Ok(Output {
        bytes,
        rows: rows.len() as u64,
    })
}
