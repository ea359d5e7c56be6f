//! 1. Posted invoice totals — lane `invoices` (internal).
//!
//! Every non-draft invoice's total is the sum of its lines; every receivable invoice's
//! balance is its total less what was disbursed to it plus its ledger adjustments; a void
//! invoice carries no balance.
//!
//! Owns check 1; pure: must not read the snapshot or know the workflow.

use serde::{Deserialize, Serialize};

use super::{sorted, Context, Kind, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::{InvoiceStatus, Lane};
use crate::snapshot::queries::{InvoiceFacts, SourceRows};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedFigures {
    /// Receivable invoices posted in the window.
    pub close_population_count: u64,
    /// The sum of their totals.
    pub posted_receivables: Money,
    /// Invoices voided in the window.
    pub voided_count: u64,
    pub voided_total: Money,
    /// Drafts (not AR).
    pub draft_count: u64,
    pub draft_total: Money,
    /// The balances of all receivable invoices, at window end.
    pub closing_ar: Money,
    /// The platform's balances of the same invoices (as of the export) less their
    /// window-end balances: what was applied, adjusted or voided after the window. The
    /// platform's figure is `closing_ar + balance_change_after_window`.
    #[serde(default, skip_serializing_if = "zero_money")]
    pub balance_change_after_window: Money,
    /// Receivable invoices at window end that were voided after it (their void is the next
    /// period's), and their window-end balances.
    #[serde(default, skip_serializing_if = "is_zero_count")]
    pub voided_after_count: u64,
    #[serde(default, skip_serializing_if = "zero_money")]
    pub voided_after_balance: Money,
}

fn is_zero_count(n: &u64) -> bool {
    *n == 0
}

fn zero_money(m: &Money) -> bool {
    m.is_zero()
}

pub const LINES_TOTAL: &str = "lines-total";
pub const BALANCE: &str = "balance";
pub const VOID_BALANCE: &str = "void-balance";
/// A receivable invoice applied beyond its total (a negative balance at window end).
pub const OVER_APPLIED: &str = "over-applied";

pub fn check(
    ctx: Context<'_>,
    invoices: impl IntoIterator<Item = InvoiceFacts>,
) -> (PostedFigures, Vec<Mismatch>) {
    let period = ctx.period;
    let mut figures = PostedFigures::default();
    let mut found = Vec::new();
    let gaps = ctx.lane_gaps(Lane::Invoices, Kind::Internal);

    for invoice in invoices {
        let id = invoice.id.as_str();
        // As of window end: a void dated after the window belongs to the next period, so
        // the invoice is a receivable of this one.
        let voided_after = invoice.status == InvoiceStatus::Void
            && invoice.voided_at.is_some_and(|voided| voided > period.window_end);
        let receivable = (invoice.status.is_receivable() || voided_after)
            && invoice
                .posted_at
                .is_some_and(|posted| posted <= period.window_end);
        // The window-end balance from the source events: total − disbursed + adjustments,
        // both to window end. The platform's balance (as of the export) is checked once,
        // below; it is never read into a window-end figure (docs/reconciliation.md,
        // "Window-end balances from the source events").
        let balance_at_end = invoice.total - invoice.disbursed + invoice.adjustments;

        if receivable {
            figures.closing_ar += balance_at_end;
            figures.balance_change_after_window += invoice.balance - balance_at_end;
            if voided_after {
                figures.voided_after_count += 1;
                figures.voided_after_balance += balance_at_end;
            }
            if invoice.posted_at.is_some_and(|posted| period.in_window(posted)) {
                figures.close_population_count += 1;
                figures.posted_receivables += invoice.total;
            }
        }
        match invoice.status {
            InvoiceStatus::Draft => {
                figures.draft_count += 1;
                figures.draft_total += invoice.total;
            }
            InvoiceStatus::Void if invoice.voided_at.is_some_and(|voided| period.in_window(voided)) => {
                figures.voided_count += 1;
                figures.voided_total += invoice.total;
            }
            _ => {}
        }

        if invoice.status != InvoiceStatus::Draft && invoice.total != invoice.lines {
            found.push(gaps.mismatch(
                id,
                LINES_TOTAL,
                invoice.lines,
                invoice.total,
                format!("Invoice {id} total does not equal the sum of its lines"),
                format!("Correct invoice {id} in billing so its total and its lines agree, then re-pull the snapshot"),
            ));
        }
        if receivable && !voided_after {
            // The export-date figure: total less everything applied up to the export.
            let computed = invoice.total - invoice.disbursed - invoice.disbursed_after
                + invoice.adjustments
                + invoice.adjustments_after;
            if invoice.balance != computed {
                let moved_after = invoice.disbursed_after - invoice.adjustments_after;
                let as_of = match period.exported_on {
                    Some(day) => format!("the export of {day}"),
                    None => "the export".to_string(),
                };
                let window_end_note = if moved_after.is_zero() {
                    String::new()
                } else {
                    format!(
                        "; at window end its balance is {} (total less what was disbursed plus adjustments up to window end; {} was applied after the window)",
                        balance_at_end, moved_after
                    )
                };
                found.push(gaps.mismatch(
                    id,
                    BALANCE,
                    computed,
                    invoice.balance,
                    format!(
                        "Invoice {id} balance does not agree with its total, disbursements and adjustments"
                    ),
                    format!(
                        "Compare invoice {id}'s balance (as of {as_of}) with its disbursements and ledger \
                         adjustments up to {as_of}{window_end_note}; record the missing disbursement or \
                         adjustment, or correct the balance in billing"
                    ),
                ));
            }
        }
        // Applied beyond its total: a break on this invoice, whatever its account's total
        // says (docs/reconciliation.md, "A break never nets away").
        // A credit invoice (a negative total) with nothing applied is a credit, not an
        // over-application: what may be applied is never less than nothing.
        let can_apply = std::cmp::max(invoice.total + invoice.adjustments, Money::ZERO);
        if receivable && invoice.disbursed > can_apply {
            found.push(gaps.mismatch(
                id,
                OVER_APPLIED,
                can_apply,
                invoice.disbursed,
                format!("Invoice {id} is applied beyond its total (a negative balance)"),
                format!(
                    "Unwind the excess applied to invoice {id} with a negative disbursement and apply it \
                     where it belongs, or leave it unapplied"
                ),
            ));
        }
        if invoice.status == InvoiceStatus::Void && !invoice.balance.is_zero() {
            found.push(gaps.mismatch(
                id,
                VOID_BALANCE,
                Money::ZERO,
                invoice.balance,
                format!("Void invoice {id} still carries a balance"),
                format!("Clear the balance of void invoice {id} in billing, or reinstate the invoice if the void was wrong"),
            ));
        }
    }
    (figures, sorted(found))
}

/// The source rows behind a mismatch of this check.
pub fn trace(m: &Mismatch) -> Trace<'_> {
    let invoice = m.subject.as_str();
    let this_invoice = SourceRows::One("invoices", invoice);
    match m.check {
        LINES_TOTAL => Trace {
            expected: vec![SourceRows::LinesOfInvoice(invoice)],
            actual: vec![this_invoice],
        },
        // The balance is checked as of the export: every disbursement and adjustment.
        BALANCE => Trace {
            expected: vec![
                this_invoice.clone(),
                SourceRows::DisbursementsToInvoiceToExport(invoice),
                SourceRows::LedgerAdjustmentsOfInvoiceToExport(invoice),
            ],
            actual: vec![this_invoice],
        },
        OVER_APPLIED => Trace {
            expected: vec![
                this_invoice.clone(),
                SourceRows::LedgerAdjustmentsOfInvoice(invoice),
            ],
            actual: vec![SourceRows::DisbursementsToInvoice(invoice)],
        },
        _ => Trace {
            expected: vec![],
            actual: vec![this_invoice],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::testing::*;
    use crate::snapshot::model::Severity;

    fn invoice(
        id: &str,
        status: InvoiceStatus,
        posted: Option<&str>,
        total: i64,
        balance: i64,
    ) -> InvoiceFacts {
        InvoiceFacts {
            id: id.into(),
            status,
            posted_at: posted.map(date),
            voided_at: None,
            total: cents(total),
            balance: cents(balance),
            lines: cents(total),
            disbursed: cents(total - balance),
            adjustments: Money::ZERO,
            disbursed_after: Money::ZERO,
            adjustments_after: Money::ZERO,
        }
    }

    fn run(invoices: Vec<InvoiceFacts>) -> (PostedFigures, Vec<Mismatch>) {
        with_context(|ctx| check(ctx, invoices))
    }

    #[test]
    fn figures_follow_the_words_of_the_doc() {
        let mut voided = invoice("INV-V", InvoiceStatus::Void, Some("2026-03-03"), 500_000, 0);
        voided.voided_at = Some(date("2026-03-29"));
        voided.disbursed = Money::ZERO;
        let (figures, found) = run(vec![
            invoice("INV-A", InvoiceStatus::Closed, Some("2026-03-02"), 6_000_000, 0),
            invoice(
                "INV-B",
                InvoiceStatus::Posted,
                Some("2026-03-05"),
                3_500_000,
                3_150_000,
            ),
            invoice(
                "INV-OLD",
                InvoiceStatus::Posted,
                Some("2026-02-10"),
                10_000,
                4_000,
            ),
            invoice("INV-APR", InvoiceStatus::Posted, Some("2026-04-01"), 7_000, 7_000),
            invoice("INV-D", InvoiceStatus::Draft, None, 7_500, 7_500),
            voided,
        ]);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(
            figures,
            PostedFigures {
                close_population_count: 2,
                posted_receivables: cents(9_500_000),
                voided_count: 1,
                voided_total: cents(500_000),
                draft_count: 1,
                draft_total: cents(7_500),
                closing_ar: cents(3_154_000),
                ..PostedFigures::default()
            }
        );
    }

    #[test]
    fn lines_that_do_not_add_up_to_the_total() {
        let mut inv = invoice(
            "INV-1",
            InvoiceStatus::Posted,
            Some("2026-03-02"),
            125_000,
            125_000,
        );
        inv.lines = cents(124_940);
        let mut draft = invoice("INV-D", InvoiceStatus::Draft, None, 100, 100);
        draft.lines = Money::ZERO;
        let (_, found) = run(vec![inv, draft]);
        assert_eq!(keys(&found), ["invoices:INV-1:lines-total"]);
        let m = &found[0];
        assert_amounts(m, [124_940, 125_000, 60], Severity::High);
        assert_eq!(m.owner, "finance@northstar.example");
    }

    #[test]
    fn a_balance_that_does_not_follow_from_disbursements_and_adjustments() {
        let mut inv = invoice(
            "INV-2",
            InvoiceStatus::Posted,
            Some("2026-03-05"),
            200_000,
            115_000,
        );
        inv.disbursed = cents(80_000);
        inv.adjustments = cents(-5_000);
        // computed: 2,000.00 − 800.00 − 50.00 = 1,150.00: ties.
        let (_, found) = run(vec![inv.clone()]);
        assert!(found.is_empty());
        inv.balance = cents(120_000);
        let (_, found) = run(vec![inv]);
        let m = &found[0];
        assert_eq!(m.key, "invoices:INV-2:balance");
        assert_amounts(m, [115_000, 120_000, 5_000], Severity::High);
    }

    #[test]
    fn a_void_invoice_with_a_balance() {
        let mut inv = invoice("INV-V", InvoiceStatus::Void, Some("2026-03-03"), 30_000, 2_500);
        inv.voided_at = Some(date("2026-03-28"));
        let (figures, found) = run(vec![inv]);
        assert_eq!(figures.closing_ar, Money::ZERO);
        assert_eq!(keys(&found), ["invoices:INV-V:void-balance"]);
        let m = &found[0];
        assert_amounts(m, [0, 2_500, 2_500], Severity::High);
    }

    #[test]
    fn large_internal_gaps_are_critical_and_sorted_by_key() {
        let mut b = invoice(
            "INV-B",
            InvoiceStatus::Posted,
            Some("2026-03-05"),
            1_000_000,
            1_000_000,
        );
        b.lines = Money::ZERO;
        let mut a = invoice("INV-A", InvoiceStatus::Posted, Some("2026-03-05"), 100, 100);
        a.balance = cents(0);
        let (_, found) = run(vec![b, a]);
        assert_eq!(
            keys(&found),
            ["invoices:INV-A:balance", "invoices:INV-B:lines-total"]
        );
        assert_eq!(found[1].severity, Severity::Critical);
    }
}
