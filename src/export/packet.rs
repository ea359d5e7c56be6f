//! The close packet: everything a reader needs to follow how the period closed — entity,
//! period and window, headline figures, every reconciliation step's figures, the aged AR,
//! the checklist with who/when, evidence and notes, every mismatch with its trail, the
//! sign-offs (or "not signed off") and `verify`'s result. JSON here; the Markdown
//! document is laid out by `export::document`.
//!
//! Owns the packet's content; must not compute figures or run workflow actions.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{aging, document, json, pdf, ExportError, Format, Kind, Metadata, Output, Source};
use crate::money::Money;
use crate::reconcile::{Headline, Steps};
use crate::snapshot::model::PeriodStatus;
use crate::snapshot::workflow::SignoffRow;
use crate::summary::SeverityCounts;
use crate::workflow::audit::{self, Report};
use crate::workflow::checklist::{self, Item};
use crate::workflow::mismatches::{self, Detail, MismatchView};

#[derive(Serialize)]
pub struct Packet<'a> {
    pub metadata: Metadata,
    /// The period's state in words: signed off, clean or needs review, with the open
    /// mismatches by severity and their open variance.
    pub status_line: String,
    /// When the snapshot was taken (the export date recorded at import), if recorded.
    pub snapshot_taken: Option<NaiveDate>,
    /// The content hash of every source row (`Snapshot::source_content_hash`).
    pub source_hash: String,
    pub headline: &'a Headline,
    pub steps: &'a Steps,
    pub aging: AgedAr,
    pub checklist: Vec<Item>,
    pub mismatches: Vec<Detail>,
    pub signoffs: Vec<SignoffRow>,
    /// Why the lock was lifted outside closedesk, when it was (`workflow::signoff::
    /// lock_lifted_outside`): the packet then says so first, never "signed off".
    pub lock_lifted: Option<String>,
    pub verify: Report,
    /// Account names by id, for the document's tables.
    #[serde(skip)]
    pub account_names: BTreeMap<String, String>,
}

/// Aged AR as `--kind aging` has it (`export::aging::rows`): every account with a balance
/// or unapplied value, with its unapplied payments and credits, and the totals (the buckets'
/// total is closing AR) — in the engine's names (`over_90`). It had the engine's aged AR
/// alone, so an account with only unapplied cash or credits (the demo's ACC-1026, 60.00 of
/// credits) was in the aging export and the workbook and not in the packet (found by an
/// outputs audit).
#[derive(Serialize)]
pub struct AgedAr {
    pub totals: AgedRow,
    pub accounts: Vec<AgedRow>,
}

#[derive(Serialize)]
pub struct AgedRow {
    /// `None` for the totals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(flatten)]
    pub buckets: crate::reconcile::aging::AgingBuckets,
    pub unapplied_payments: Money,
    pub unapplied_credits: Money,
}

impl AgedRow {
    fn of(row: aging::Row, account_id: Option<String>) -> AgedRow {
        AgedRow {
            account_id,
            buckets: row.buckets,
            unapplied_payments: row.unapplied_payments,
            unapplied_credits: row.unapplied_credits,
        }
    }
}

fn aged_ar(source: &Source<'_>) -> Result<AgedAr, ExportError> {
    let (rows, total) = aging::rows(source)?;
    Ok(AgedAr {
        totals: AgedRow::of(total, None),
        accounts: rows
            .into_iter()
            .map(|r| {
                let id = r.account_id.clone();
                AgedRow::of(r, Some(id))
            })
            .collect(),
    })
}

pub fn packet<'a>(source: &'a Source<'_>) -> Result<Packet<'a>, ExportError> {
    let snapshot = source.snapshot;
    let recon = &source.recon;
    let checklist = checklist::items(snapshot, &recon.overview())?;
    let mut details = Vec::new();
    for v in &source.views {
        details.push(mismatches::detail(snapshot, recon, &v.key)?);
    }
    let signoffs = snapshot
        .workflow()
        .signoffs()
        .map_err(|e| ExportError::Refused(e.into()))?;
    let verify = audit::verify(snapshot)?;
    let sql = |e: rusqlite::Error| ExportError::Refused(e.into());
    let lock_lifted = crate::workflow::signoff::lock_lifted_outside(&snapshot.workflow()).map_err(sql)?;
    Ok(Packet {
        metadata: source.metadata(Kind::Packet, details.len() as u64),
        status_line: match &lock_lifted {
            Some(_) => format!(
                "LOCK LIFTED outside closedesk — {}",
                status_line(&source.views, PeriodStatus::Open)
            ),
            None => status_line(&source.views, recon.period.status),
        },
        lock_lifted,
        snapshot_taken: recon.period.exported_on,
        source_hash: snapshot.source_content_hash().map_err(sql)?,
        headline: &recon.headline,
        steps: &recon.steps,
        aging: aged_ar(source)?,
        checklist,
        mismatches: details,
        signoffs,
        verify,
        account_names: snapshot.account_names().map_err(sql)?,
    })
}

/// "needs review — 2 open mismatches (0 critical, 0 high, 1 medium, 1 low), open variance
/// 14.27", as `closedesk status` words it.
fn status_line(views: &[MismatchView], status: PeriodStatus) -> String {
    let (n, variance) = SeverityCounts::tally(
        views
            .iter()
            .filter(|v| v.is_open())
            .filter_map(|v| Some((v.severity?, v.corrected_variance))),
    );
    let word = match (status, n.open) {
        (PeriodStatus::SignedOff, _) => "signed off",
        (_, 0) => "clean",
        _ => "needs review",
    };
    format!(
        "{word} — {} open mismatch{} ({} critical, {} high, {} medium, {} low), open variance {}",
        n.open,
        if n.open == 1 { "" } else { "es" },
        n.critical,
        n.high,
        n.medium,
        n.low,
        variance.grouped()
    )
}

pub fn render(source: &Source<'_>, format: Format) -> Result<Output, ExportError> {
    let p = packet(source)?;
    let rows = p.metadata.rows;
    let bytes = match format {
        Format::Markdown => document::markdown(&p).into_bytes(),
        Format::Pdf => {
            let m = &p.metadata;
            let title = format!("Close packet — {} — {}", m.entity, m.period);
            pdf::render(&document::markdown(&p), &crate::text::inert(&title))
        }
        _ => json(&p),
    };
    Ok(Output { bytes, rows })
}
