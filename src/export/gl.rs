//! The period's summarized GL journal (docs/outputs.md): one balanced entry per kind of
//! activity, each a debit and a credit of the same engine figure, so debits equal credits
//! by construction. A negative figure swaps the sides. With `by_account`, the entries the
//! engine has per customer account (billing, voids, pull-backs, system adjustments, cash
//! and credits applied) are split per account; the rest stay at entity level.
//!
//! Owns the journal's entries from engine figures; must not read the snapshot.

use serde::Serialize;

use super::{csv, json, Cell, ExportError, Format, Kind, Metadata, Output, Source};
use crate::money::Money;
use crate::reconcile::revenue::AccountRevenue;

pub const AR: &str = "Accounts receivable";
pub const DEFERRED: &str = "Deferred revenue";
pub const REVENUE: &str = "Revenue recognized";
pub const CASH: &str = "Cash";
pub const UNAPPLIED_CASH: &str = "Unapplied cash";
pub const UNAPPLIED_CREDITS: &str = "Unapplied credits";
pub const CREDITS: &str = "Credits issued (contra-revenue)";
pub const ADJUSTMENTS: &str = "AR adjustments";
/// Sales tax and pass-through fees billed for a third party (`tax` lines): a liability.
pub const TAX_PAYABLE: &str = "Sales tax and pass-through payable";

/// One journal entry kind: its debit account, credit account, and what it records.
struct Entry {
    id: &'static str,
    description: &'static str,
    debit: &'static str,
    credit: &'static str,
}

const fn entry(
    id: &'static str,
    description: &'static str,
    debit: &'static str,
    credit: &'static str,
) -> Entry {
    Entry {
        id,
        description,
        debit,
        credit,
    }
}

const BILLING: Entry = entry(
    "billing",
    "invoices posted (ledger invoice_posted) less their tax lines",
    AR,
    DEFERRED,
);
const BILLING_TAX: Entry = entry(
    "billing-tax",
    "tax lines of invoices posted (sales tax and pass-through fees)",
    AR,
    TAX_PAYABLE,
);
const RECOGNITION: Entry = entry(
    "recognition",
    "revenue recognized in the window on schedule (before voids)",
    DEFERRED,
    REVENUE,
);
const RECEIPTS: Entry = entry("cash-receipts", "payments received", CASH, UNAPPLIED_CASH);
const REVERSALS: Entry = entry("payment-reversals", "payments reversed", UNAPPLIED_CASH, CASH);
const REFUNDS: Entry = entry("refunds", "payments refunded", UNAPPLIED_CASH, CASH);
const CHARGEBACKS: Entry = entry("chargebacks", "payments charged back", UNAPPLIED_CASH, CASH);
const CREDITS_ISSUED: Entry = entry("credits-issued", "credits issued", CREDITS, UNAPPLIED_CREDITS);
const CREDIT_REVERSALS: Entry = entry(
    "credit-reversals",
    "credits reversed (rescinded; not paid out)",
    UNAPPLIED_CREDITS,
    CREDITS,
);
const CREDITS_PAID_OUT: Entry = entry(
    "credits-paid-out",
    "credit balances paid out (credit reversals a ledger refund names)",
    UNAPPLIED_CREDITS,
    CASH,
);
const CASH_APPLIED: Entry = entry("cash-applied", "disbursed from payments", UNAPPLIED_CASH, AR);
const CREDITS_APPLIED: Entry = entry("credits-applied", "disbursed from credits", UNAPPLIED_CREDITS, AR);
const VOIDS: Entry = entry(
    "voids",
    "invoices voided (ledger void rows) less the revenue and tax they reverse",
    DEFERRED,
    AR,
);
const VOIDS_REVENUE: Entry = entry(
    "voids-revenue",
    "revenue recognized before a void in the window, reversed",
    REVENUE,
    AR,
);
const VOIDS_TAX: Entry = entry("voids-tax", "tax lines of invoices voided", TAX_PAYABLE, AR);
const VOIDS_ADJUSTMENTS: Entry = entry(
    "voids-adjustments",
    "ledger adjustments on invoices voided, undone with them",
    ADJUSTMENTS,
    AR,
);
const SYSTEM: Entry = entry(
    "system-adjustments",
    "system adjustments (ledger adjustment rows)",
    AR,
    ADJUSTMENTS,
);

/// One journal line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub entry: &'static str,
    pub description: &'static str,
    /// The customer account, with `by_account` for the entries split per account.
    pub account_id: Option<String>,
    pub gl_account: &'static str,
    pub debit: Money,
    pub credit: Money,
}

/// The two lines of one entry for `amount` (none when zero; a negative amount swaps sides).
fn post(lines: &mut Vec<Line>, e: &Entry, account: Option<&str>, amount: Money) {
    if amount.is_zero() {
        return;
    }
    let (debit_account, credit_account, amount) = if amount.is_negative() {
        (e.credit, e.debit, -amount)
    } else {
        (e.debit, e.credit, amount)
    };
    for (gl_account, debit, credit) in [
        (debit_account, amount, Money::ZERO),
        (credit_account, Money::ZERO, amount),
    ] {
        lines.push(Line {
            entry: e.id,
            description: e.description,
            account_id: account.map(str::to_string),
            gl_account,
            debit,
            credit,
        });
    }
}

/// The journal lines, in entry order (per account within an entry, in account id order).
pub fn lines(source: &Source<'_>, by_account: bool) -> Result<Vec<Line>, ExportError> {
    let steps = &source.recon.steps;
    let rf = &steps.rollforward;
    let a = &steps.applied;
    let mut out = Vec::new();
    let per_account =
        |out: &mut Vec<Line>,
         e: &Entry,
         total: Money,
         of: &dyn Fn(&crate::reconcile::rollforward::RollForward) -> Money| {
            if by_account {
                for acc in &rf.accounts {
                    post(out, e, Some(&acc.account_id), of(&acc.roll_forward));
                }
            } else {
                post(out, e, None, total);
            }
        };
    let revenue = &steps.revenue;
    // Looked up once per account: a scan per account took seconds at 20,000 accounts.
    let revenue_of: std::collections::HashMap<&str, &AccountRevenue> = revenue
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a))
        .collect();
    let account_revenue = |account: &str| revenue_of.get(account).map(|a| (*a).clone()).unwrap_or_default();
    // The accounts of the entries that net a ledger figure against a revenue one: an account
    // may have revenue lines and no ledger row (an invoice posted and voided in the window
    // with no ledger rows), and its share of the entity entry is then the revenue side alone.
    let rollforward_of: std::collections::HashMap<&str, &crate::reconcile::rollforward::RollForward> = rf
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), &a.roll_forward))
        .collect();
    let netted: std::collections::BTreeSet<&str> = rollforward_of
        .keys()
        .copied()
        .chain(revenue.accounts.iter().map(|a| a.account_id.as_str()))
        .collect();
    let ledger_of = |account: &str, of: fn(&crate::reconcile::rollforward::RollForward) -> Money| {
        rollforward_of.get(account).map_or(Money::ZERO, |r| of(r))
    };
    // Billing: the invoices' tax lines are owed, not deferred revenue.
    if by_account {
        for &account in &netted {
            let tax = account_revenue(account).tax_billed_in_window;
            post(
                &mut out,
                &BILLING,
                Some(account),
                ledger_of(account, |r| r.posted) - tax,
            );
        }
        for a in &revenue.accounts {
            post(
                &mut out,
                &BILLING_TAX,
                Some(&a.account_id),
                a.tax_billed_in_window,
            );
        }
    } else {
        post(
            &mut out,
            &BILLING,
            None,
            rf.totals.posted - revenue.tax.billed_in_window,
        );
        post(&mut out, &BILLING_TAX, None, revenue.tax.billed_in_window);
    }
    post(
        &mut out,
        &RECOGNITION,
        None,
        revenue.total.recognized_on_schedule(),
    );
    post(&mut out, &RECEIPTS, None, a.window.payments_received);
    post(&mut out, &REVERSALS, None, a.window.payments_reversed);
    post(&mut out, &REFUNDS, None, a.window.payments_refunded);
    post(&mut out, &CHARGEBACKS, None, a.window.payments_charged_back);
    post(&mut out, &CREDITS_ISSUED, None, a.window.credits_issued);
    // A credit reversal a ledger refund names paid the balance out: it leaves cash, and the
    // credit itself stands; the rest rescinds the credit.
    post(
        &mut out,
        &CREDIT_REVERSALS,
        None,
        a.window.credits_reversed - a.window.credits_paid_out,
    );
    post(&mut out, &CREDITS_PAID_OUT, None, a.window.credits_paid_out);
    if by_account {
        let disbursed = source
            .snapshot
            .disbursed_by_account(&source.recon.period)
            .map_err(|e| ExportError::Refused(e.into()))?;
        for d in &disbursed {
            post(&mut out, &CASH_APPLIED, Some(&d.account_id), d.from_payments);
        }
        for d in &disbursed {
            post(&mut out, &CREDITS_APPLIED, Some(&d.account_id), d.from_credits);
        }
    } else {
        post(&mut out, &CASH_APPLIED, None, a.window.disbursed_from_payments);
        post(&mut out, &CREDITS_APPLIED, None, a.window.disbursed_from_credits);
    }
    // No separate entry for value pulled back onto invoices by reversals and chargebacks:
    // the negative disbursements that unwind those applications are already netted in
    // `disbursed_from_payments` above, so a pull-back entry would book them twice.
    // Void rows in the ledger are negative (they reduce AR): the entries take the
    // reduction. What the voided lines had recognized before the void goes back against
    // revenue, their tax lines against the liability, the ledger adjustments made on them (a
    // discount, a write-off) back against AR adjustments, the rest against deferred revenue.
    let voided_adjustments = source
        .snapshot
        .voided_adjustments_by_account(&source.recon.period)
        .map_err(|e| ExportError::Refused(e.into()))?;
    let adjusted_of = |account: &str| {
        voided_adjustments
            .iter()
            .find(|(a, _)| a == account)
            .map_or(Money::ZERO, |(_, amount)| *amount)
    };
    if by_account {
        for &account in &netted {
            let a = account_revenue(account);
            let rest = -ledger_of(account, |r| r.voids)
                - a.reversed_by_voids
                - a.tax_voided_in_window
                - adjusted_of(account);
            post(&mut out, &VOIDS, Some(account), rest);
        }
        for a in &revenue.accounts {
            post(&mut out, &VOIDS_REVENUE, Some(&a.account_id), a.reversed_by_voids);
        }
        for a in &revenue.accounts {
            post(&mut out, &VOIDS_TAX, Some(&a.account_id), a.tax_voided_in_window);
        }
        for (account, amount) in &voided_adjustments {
            post(&mut out, &VOIDS_ADJUSTMENTS, Some(account), *amount);
        }
    } else {
        let adjusted: Money = voided_adjustments.iter().map(|(_, amount)| *amount).sum();
        let rest =
            -rf.totals.voids - revenue.total.reversed_by_voids - revenue.tax.voided_in_window - adjusted;
        post(&mut out, &VOIDS, None, rest);
        post(&mut out, &VOIDS_REVENUE, None, revenue.total.reversed_by_voids);
        post(&mut out, &VOIDS_TAX, None, revenue.tax.voided_in_window);
        post(&mut out, &VOIDS_ADJUSTMENTS, None, adjusted);
    }
    per_account(&mut out, &SYSTEM, rf.totals.adjustments, &|r| r.adjustments);
    Ok(out)
}

/// Total debits and credits.
pub fn totals(lines: &[Line]) -> (Money, Money) {
    (
        lines.iter().map(|l| l.debit).sum(),
        lines.iter().map(|l| l.credit).sum(),
    )
}

pub const HEADER: &[&str] = &[
    "entry",
    "description",
    "account_id",
    "gl_account",
    "debit",
    "credit",
];

fn cells(l: &Line) -> Vec<Cell> {
    vec![
        Cell::text(l.entry),
        Cell::text(l.description),
        Cell::opt(l.account_id.as_deref()),
        Cell::text(l.gl_account),
        Cell::Amount(l.debit),
        Cell::Amount(l.credit),
    ]
}

/// The journal as a table (CSV, workbook): a row a line, then the `TOTAL` row of its
/// debits and credits ([`totals`]).
pub(crate) fn table(lines: &[Line], debit: Money, credit: Money) -> Vec<Vec<Cell>> {
    let mut table: Vec<Vec<Cell>> = lines.iter().map(cells).collect();
    table.push(vec![
        Cell::text("TOTAL"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Amount(debit),
        Cell::Amount(credit),
    ]);
    table
}

#[derive(Serialize)]
struct Document<'a> {
    metadata: Metadata,
    by_account: bool,
    lines: &'a [Line],
    total_debit: Money,
    total_credit: Money,
}

pub fn render(source: &Source<'_>, format: Format, by_account: bool) -> Result<Output, ExportError> {
    let lines = lines(source, by_account)?;
    let (debit, credit) = totals(&lines);
    let meta = source.metadata(Kind::Gl, lines.len() as u64);
    let bytes = match format {
        Format::Csv => csv(&meta, HEADER, &table(&lines, debit, credit)),
        _ => json(&Document {
            metadata: meta,
            by_account,
            lines: &lines,
            total_debit: debit,
            total_credit: credit,
        }),
    };
    Ok(Output {
        bytes,
        rows: lines.len() as u64,
    })
}
