//! Activity after the window (docs/reconciliation.md, "As of window end").
//!
//! A close runs days after its window ends, so the snapshot holds activity dated after
//! window end: payments received and applied, voids, credits, ledger rows, usage. None of
//! it moves a figure of the period and none of it is a mismatch; it is counted and summed
//! here, by kind, so it is shown as such and never silently dropped.
//!
//! Owns the after-the-window tallies; must not move a period figure or report a mismatch.

use serde::{Deserialize, Serialize};

use crate::snapshot::queries::{AfterWindowActivity, Tally};

/// What the snapshot holds dated after window end, by kind: a count and an amount each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfterWindowFigures {
    /// Invoices (not drafts) posted after window end: not in the close set.
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub invoices_posted: Tally,
    /// Invoices receivable at window end and voided after it: their voids are the next
    /// period's (totals).
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub invoices_voided: Tally,
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub payments_received: Tally,
    /// Reversals, refunds and chargebacks.
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub payment_undos: Tally,
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub credits_issued: Tally,
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub credits_reversed: Tally,
    /// Disbursements, net (unwinding ones are negative).
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub disbursements: Tally,
    /// Ledger rows of every kind, net.
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub ledger_rows: Tally,
    /// Usage events, their rated amounts.
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub usage_events: Tally,
}

impl AfterWindowFigures {
    /// Nothing dated after window end.
    pub fn is_empty(&self) -> bool {
        self.rows().iter().all(|(_, t)| t.is_empty())
    }

    /// Each kind in words with its tally, in a fixed order (for evidence and reports).
    pub fn rows(&self) -> [(&'static str, Tally); 9] {
        [
            ("invoices posted after the window", self.invoices_posted),
            ("invoices voided after the window", self.invoices_voided),
            ("payments received after the window", self.payments_received),
            (
                "reversals, refunds, chargebacks after the window",
                self.payment_undos,
            ),
            ("credits issued after the window", self.credits_issued),
            ("credit reversals after the window", self.credits_reversed),
            ("disbursements after the window", self.disbursements),
            ("ledger rows after the window", self.ledger_rows),
            ("usage events after the window", self.usage_events),
        ]
    }
}

/// The figures of the activity after the window. Pure: no check, no mismatch.
pub fn figures(activity: &AfterWindowActivity) -> AfterWindowFigures {
    AfterWindowFigures {
        invoices_posted: activity.invoices_posted,
        invoices_voided: activity.invoices_voided,
        payments_received: activity.payments_received,
        payment_undos: activity.payment_undos,
        credits_issued: activity.credits_issued,
        credits_reversed: activity.credits_reversed,
        disbursements: activity.disbursements,
        ledger_rows: activity.ledger_rows,
        usage_events: activity.usage_events,
    }
}
