//! The `reconcile --json` document (docs/reconciliation.md, "reconcile --json, field by
//! field"): the period summary exactly as `status --json` prints it, then the engine's
//! figures with each figure named once for its basis and sign. The engine's own structures
//! (stored overviews, the close packet) keep their names; only this document renames, so
//! the renaming lives in one table here.
//!
//! Owns the `reconcile --json` names; must not compute a figure (it renames the engine's).

use serde_json::{Map, Value};

use crate::reconcile::Reconciliation;
use crate::summary::Summary;

/// `(object paths, [(engine name, name in the document)])`: each rename applies in each of
/// the objects. An object path ending in `[]` applies to every element of that array.
pub type Renames = (&'static [&'static str], &'static [(&'static str, &'static str)]);

/// The renames of the document, by step.
pub const RENAMES: &[Renames] = &[
    // Step 1: invoice totals and balances (from the invoices table), positive.
    (
        &["steps.posted"],
        &[
            ("posted_receivables", "invoice_totals_posted"),
            ("voided_total", "invoice_totals_voided"),
            ("draft_total", "invoice_totals_draft"),
            ("closing_ar", "invoice_balances_closing_ar"),
        ],
    ),
    // Step 2: from the disbursements table, positive = AR reduced.
    (
        &["steps.applied"],
        &[
            ("disbursed_from_payments", "disbursements_from_payments"),
            ("disbursed_from_credits", "disbursements_from_credits"),
            ("disbursed", "disbursements_total"),
            ("unapplied", "unapplied_total"),
        ],
    ),
    // Step 3: from the ledger, signed as the ledger signs them (negative reduces AR).
    (
        &["steps.rollforward.totals", "steps.rollforward.accounts[]"],
        &[
            ("opening", "ledger_opening_ar"),
            ("posted", "ledger_posted"),
            ("disbursed", "ledger_disbursed_signed"),
            ("pulled_back", "ledger_pulled_back"),
            ("adjustments", "ledger_adjustments_signed"),
            ("voids", "ledger_voids_signed"),
            ("closing", "ledger_closing_ar"),
            ("invoice_balances", "invoice_balances_closing_ar"),
            ("reported_on_rows", "ledger_reported_on_rows"),
        ],
    ),
    // Step 4: positive magnitudes of the source rows; system adjustments signed.
    (
        &["steps.adjustments.totals"],
        &[
            ("voids", "invoice_totals_voided"),
            ("system_adjustments", "system_adjustments_signed"),
        ],
    ),
    // Step 6: revenue lines (never tax lines).
    (
        &[
            "steps.revenue.total",
            "steps.revenue.immediate",
            "steps.revenue.ratable_daily",
            "steps.revenue.on_service_date",
        ],
        &[
            ("posted", "lines_posted_in_window"),
            ("recognized", "recognized_in_window"),
            ("deferred", "deferred_at_window_end"),
        ],
    ),
    // Usage.
    (
        &["steps.usage"],
        &[
            ("rated", "events_rated_in_window"),
            ("billed", "usage_lines_billed_in_window"),
            ("open_exception_amount", "open_exceptions_rated_amount"),
        ],
    ),
    // Aged AR: the last bucket is 91 days past due or more.
    (
        &["aging.totals", "aging.accounts[]"],
        &[("over_90", "days_91_plus")],
    ),
];

/// The document: `summary` (the `status --json` object, unchanged), then the
/// reconciliation without its `headline` (the summary carries the same figures), renamed
/// by [`RENAMES`].
pub fn document(summary: &Summary, recon: &Reconciliation) -> serde_json::Result<Value> {
    let mut body = serde_json::to_value(recon)?;
    if let Value::Object(map) = &mut body {
        map.shift_remove("headline");
    }
    for (paths, renames) in RENAMES {
        for path in *paths {
            for (from, to) in *renames {
                rename(&mut body, path, from, to);
            }
        }
    }
    let mut out = Map::new();
    out.insert("summary".into(), serde_json::to_value(summary)?);
    if let Value::Object(map) = body {
        out.extend(map);
    }
    Ok(Value::Object(out))
}

fn rename(value: &mut Value, path: &str, from: &str, to: &str) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let (key, each) = match head.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (head, false),
    };
    let Some(child) = value.get_mut(key) else {
        return;
    };
    let targets: Vec<&mut Value> = if each {
        match child {
            Value::Array(items) => items.iter_mut().collect(),
            _ => return,
        }
    } else {
        vec![child]
    };
    for target in targets {
        match rest {
            Some(rest) => rename(target, rest, from, to),
            None => rename_key(target, from, to),
        }
    }
}

/// Renames `from` to `to` in an object, in place (the field keeps its position).
fn rename_key(value: &mut Value, from: &str, to: &str) {
    let Value::Object(map) = value else {
        return;
    };
    if !map.contains_key(from) {
        return;
    }
    let old = std::mem::take(map);
    *map = old
        .into_iter()
        .map(|(k, v)| if k == from { (to.to_string(), v) } else { (k, v) })
        .collect();
}
