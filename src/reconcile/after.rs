//! Activity after the window (docs/reconciliation.md, "As of window end").
//!
//! A close runs days after its window ends, so the snapshot holds activity dated after
//! window end: payments received and applied, voids, credits, ledger rows, usage. None of
//! it moves a figure of the period and none of it is a mismatch; it is counted and summed
//! by kind (storage reads it, [`AfterWindowActivity`], and those tallies are the step's
//! figures as read), so it is shown as such and never silently dropped.
//!
//! Owns what is said of the after-the-window tallies (their words, whether there are any);
//! must not move a period figure or report a mismatch.

use crate::snapshot::queries::{AfterWindowActivity, Tally};

/// The step's figures are the activity as read (`snapshot::queries`); here, what is said of
/// them.
impl AfterWindowActivity {
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
