//! 4. Adjustments — lane `adjustments` (internal).
//!
//! Lists every adjustment of the window, and proves that voids, reversals, refunds and
//! chargebacks are recorded in the ledger in full, and that every ledger adjustment says
//! where it comes from.
//!
//! Owns check 4; pure: must not read the snapshot or know the workflow.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::rollforward::ReportedOnRows;
use super::{sorted, Context, Kind, LaneGaps, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::{word_enum, CreditKind, Lane, LedgerKind, PaymentKind};
use crate::snapshot::queries::{
    CreditIssued, LedgerAdjustment, PaymentUndo, SourceRows, UndoRows, Unwound, VoidedInvoice,
};

word_enum!(
    /// What kind of adjustment an item is.
    AdjustmentKind {
        /// An invoice voided in the window (its total).
        Void => "void",
        /// A credit issued.
        Credit => "credit",
        /// A credit reversal.
        CreditReversal => "credit_reversal",
        /// A payment reversal.
        PaymentReversal => "payment_reversal",
        Refund => "refund",
        Chargeback => "chargeback",
        /// A ledger row of kind `adjustment`.
        SystemAdjustment => "system_adjustment",
    }
);

/// One adjustment of the window, from its source row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustmentItem {
    pub kind: AdjustmentKind,
    /// The source row: an invoice (void), a credits row, a payments row or a ledger row.
    pub id: String,
    pub account_id: String,
    pub date: NaiveDate,
    /// As in the source row: positive for voids, credits, reversals, refunds and
    /// chargebacks; signed for system adjustments.
    pub amount: Money,
    /// The payment or credit it undoes, for reversals, refunds and chargebacks.
    pub undoes: Option<String>,
    /// The credit's reason, the payment row's reference, or the ledger row's reference.
    pub explanation: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustmentTotals {
    pub voids: Money,
    pub credits_issued: Money,
    pub credit_reversals: Money,
    pub payment_reversals: Money,
    pub refunds: Money,
    pub chargebacks: Money,
    pub system_adjustments: Money,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustmentFigures {
    pub totals: AdjustmentTotals,
    /// By date, then id.
    pub adjustments: Vec<AdjustmentItem>,
}

/// What this check reads: the window's voids, payment undos, credits and ledger
/// adjustment rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inputs {
    pub voided: Vec<VoidedInvoice>,
    pub payment_undos: Vec<PaymentUndo>,
    pub credits: Vec<CreditIssued>,
    pub ledger: Vec<LedgerAdjustment>,
    /// Per invoice voided in the window, how far the rows of its disbursements are off what
    /// they record (actual − expected, `ledger_rows`): those rows' findings, so its void is
    /// held on the rest (a void row short by what a missing unwinding row leaves over).
    pub disbursement_rows_off: std::collections::BTreeMap<String, Money>,
    /// Per payment of [`misrecorded_payments`], what its unwindings within a day of its
    /// reversals or chargebacks that no `payment_disbursed` row names (the ones its undos'
    /// rows stand for) pulled back, per invoice.
    pub unwound_without_rows: std::collections::BTreeMap<String, Vec<Unwound>>,
    /// Per payment of [`misrecorded_payments`], the ledger rows of its reversals and
    /// chargebacks per undo, account and invoice they stand on (a parent's payment applied
    /// to a child account's invoice is pulled back on the child's ledger). A payment not
    /// listed has each undo's rows on the undo's account.
    pub undo_rows: std::collections::BTreeMap<String, Vec<UndoRows>>,
    /// Per credit reversal of the window that ledger `refund` rows pay out, what they add
    /// up to (a payout is negative).
    pub credit_refunds: std::collections::BTreeMap<String, Money>,
}

/// What the rows of misrecorded payments' reversals and chargebacks record beyond what
/// the unwindings they stand for pulled back ([`undo_excess`]).
#[derive(Default)]
struct UndoExcess<'a> {
    /// Per account and undo, what the undo's `unrecorded` finding explains of the
    /// account's closing AR.
    explained: std::collections::BTreeMap<(&'a str, &'a str), Money>,
    /// Per invoice, how far those rows on it are off, each undo's: what a void check of
    /// the invoice leaves to them.
    on_invoice: std::collections::BTreeMap<&'a str, Money>,
}

/// Per misrecorded payment (its undo rows weighed against its unwindings), undo by undo:
/// what each reversal's or chargeback's rows record on each account and invoice beyond
/// what the unwindings with no row of their own pulled back off it there (an unwinding is
/// the undo's of its day, else of the nearest within a day). A parent's payment applied
/// to a child account's invoice is pulled back on the child's ledger, so a row wrong there
/// is the child's to explain, not the parent's; two undos of one payment are two
/// findings, each explaining its own rows.
fn undo_excess(inputs: &Inputs) -> UndoExcess<'_> {
    use std::collections::BTreeMap;
    let mut out = UndoExcess::default();
    for (payment, unwound) in &inputs.unwound_without_rows {
        let mut undos: Vec<&PaymentUndo> = inputs
            .payment_undos
            .iter()
            .filter(|u| matches!(u.payment.kind, PaymentKind::Reversal | PaymentKind::Chargeback))
            .filter(|u| u.payment.related_payment_id.as_deref() == Some(payment.as_str()))
            .collect();
        undos.sort_by_key(|u| (u.payment.occurred_on, &u.payment.id));
        if undos.is_empty() {
            continue;
        }
        // Per undo, (account, invoice) → rows less unwound.
        let mut off: Vec<BTreeMap<(&str, Option<&str>), Money>> = vec![BTreeMap::new(); undos.len()];
        match inputs.undo_rows.get(payment) {
            Some(rows) => {
                for r in rows {
                    if let Some(i) = undos.iter().position(|u| u.payment.id == r.undo_id) {
                        *off[i]
                            .entry((&r.account_id, r.invoice_id.as_deref()))
                            .or_default() += r.amount;
                    }
                }
            }
            None => {
                for (i, u) in undos.iter().enumerate() {
                    *off[i].entry((&u.payment.account_id, None)).or_default() += u.recorded;
                }
            }
        }
        for u in unwound {
            let apart = |undo: &&PaymentUndo| (undo.payment.occurred_on - u.on).num_days().abs();
            let i = (0..undos.len()).min_by_key(|&i| apart(&undos[i])).unwrap_or(0);
            let account = u.account_id.as_deref().unwrap_or(&undos[i].payment.account_id);
            *off[i].entry((account, Some(&u.invoice_id))).or_default() -= u.amount;
        }
        for (i, places) in off.into_iter().enumerate() {
            for ((_, invoice), m) in &places {
                if let Some(invoice) = invoice {
                    *out.on_invoice.entry(invoice).or_default() += *m;
                }
            }
            for ((account, _), m) in explained(places) {
                *out.explained.entry((account, &undos[i].payment.id)).or_default() += m;
            }
        }
    }
    out
}

/// Of a finding of `Σ off` that rows in several places (accounts, invoices) are off, what
/// it explains in each: all of each place's where every one is off the same way. Where
/// they are off both ways, they cancel in the finding, and it explains only its own
/// amount: in the places off its way, the smallest first (a single place whose rows are
/// all of the finding is then exactly explained), and nothing in the others, whose gaps
/// stay their roll-forwards' to report. A break never nets away: a 0.01 finding once hid
/// +50.00 and −50.00 on two other accounts.
fn explained<K: Ord + Copy>(
    off: std::collections::BTreeMap<K, Money>,
) -> std::collections::BTreeMap<K, Money> {
    let total: Money = off.values().sum();
    let mut left = total.abs();
    let mut same_way: Vec<(K, Money)> = off
        .iter()
        .filter(|(_, m)| !m.is_zero() && m.is_negative() == total.is_negative())
        .map(|(k, m)| (*k, *m))
        .collect();
    same_way.sort_by_key(|(k, m)| (m.abs(), *k));
    let mut out = std::collections::BTreeMap::new();
    for (place, m) in same_way {
        let share = m.abs().min(left);
        left -= share;
        out.insert(place, if total.is_negative() { -share } else { share });
    }
    out
}

/// The payments one of whose reversals or chargebacks the ledger records at another amount
/// than its same-day unwinding pulled back (each an `unrecorded` finding).
pub fn misrecorded_payments(undos: &[PaymentUndo]) -> std::collections::BTreeSet<String> {
    undos
        .iter()
        .filter(|u| matches!(u.payment.kind, PaymentKind::Reversal | PaymentKind::Chargeback))
        .filter(|u| expected_on_ledger(u).is_some_and(|e| e != u.recorded))
        .filter_map(|u| u.payment.related_payment_id.clone())
        .collect()
}

/// How far an invoice voided in the window leaves its AR off in the ledger, beyond what its
/// disbursements' own rows are off and what the rows of a misrecorded reversal or
/// chargeback on it are off (each its own finding): its rows (other than refunds) to
/// window end should net to zero.
fn void_unrecorded(invoice: &VoidedInvoice, inputs: &Inputs, undos: &UndoExcess<'_>) -> Money {
    invoice.ledger_net
        - inputs
            .disbursement_rows_off
            .get(&invoice.id)
            .copied()
            .unwrap_or_default()
        - undos
            .on_invoice
            .get(invoice.id.as_str())
            .copied()
            .unwrap_or_default()
}

pub const VOID: &str = "void";
pub const UNRECORDED: &str = "unrecorded";
pub const UNEXPLAINED: &str = "unexplained";
pub const PAID_OUT: &str = "paid-out";

/// What the ledger should record for a payment undo, in ledger sign; `None` for a plain
/// payment. Reversals and chargebacks pull value back onto invoices (+): what the payment's
/// same-day unwinding disbursements took off them, at most the undo's amount; the rest of
/// the undo comes out of unapplied value and is not on the ledger (a payment bounced before
/// it was applied pulls nothing back). Refunds pay unapplied value back out (−).
fn expected_on_ledger(undo: &PaymentUndo) -> Option<Money> {
    let pulled_back = undo.unwound.max(Money::ZERO).min(undo.payment.amount);
    match undo.payment.kind {
        PaymentKind::Reversal | PaymentKind::Chargeback => Some(pulled_back),
        PaymentKind::Refund => Some(-undo.payment.amount),
        PaymentKind::Payment => None,
    }
}

/// Per account, how far the ledger rows this check reports as wrong carry the account's
/// ledger closing AR off (recorded − what they should record): a void not recorded in full,
/// a reversal or chargeback recorded at another amount than it pulled back, and a reversal
/// or chargeback row that names none. Refund rows
/// are not in the roll-forward and are left out. The roll-forward (step 3) reports only what
/// these row-level findings do not already explain, so one wrong row is one finding
/// (docs/reconciliation.md, "A wrong ledger row is one finding").
pub fn ledger_excess(inputs: &Inputs) -> ReportedOnRows {
    let mut excess = ReportedOnRows::default();
    let key = |subject: &str, check: &str| format!("{}:{subject}:{check}", Lane::Adjustments);
    // A reversal or chargeback recorded at another amount than its same-day unwinding is its
    // `unrecorded` finding. What that leaves in the closing AR is what the payment's undo
    // rows record beyond what its unwindings with no row of their own (within a day of an
    // undo) pulled back: an unwinding dated the day after the return pulled the same value
    // back, and the account ties (it was reported again as a roll-forward break).
    let undos = undo_excess(inputs);
    for invoice in &inputs.voided {
        let off = void_unrecorded(invoice, inputs, &undos);
        excess.add(&invoice.account_id, key(&invoice.id, VOID), off);
    }
    for undo in &inputs.payment_undos {
        if !matches!(undo.payment.kind, PaymentKind::Reversal | PaymentKind::Chargeback) {
            continue;
        }
        let weighed = undo
            .payment
            .related_payment_id
            .as_deref()
            .is_some_and(|p| inputs.unwound_without_rows.contains_key(p));
        if weighed {
            continue;
        }
        if let Some(expected) = expected_on_ledger(undo).filter(|e| *e != undo.recorded) {
            excess.add(
                &undo.payment.account_id,
                key(&undo.payment.id, UNRECORDED),
                undo.recorded - expected,
            );
        }
    }
    for ((account, undo), explained) in &undos.explained {
        excess.add(account, key(undo, UNRECORDED), *explained);
    }
    // A reversal or chargeback row naming no payments row of its kind is in the closing AR
    // while no undo expects it (`unexplained`): it is all excess. (A void row's amount is
    // already in its invoice's net above, which is matched by invoice, not by reference.)
    for row in &inputs.ledger {
        if matches!(row.kind, LedgerKind::Reversal | LedgerKind::Chargeback) && !row.source_found {
            excess.add(&row.account_id, key(&row.id, UNEXPLAINED), row.amount);
        }
    }
    excess
}

pub fn check(ctx: Context<'_>, inputs: Inputs) -> (AdjustmentFigures, Vec<Mismatch>) {
    let mut totals = AdjustmentTotals::default();
    let mut items = Vec::new();
    let mut found = Vec::new();
    let gaps = ctx.lane_gaps(Lane::Adjustments, Kind::Internal);

    let unrecorded: Vec<Money> = {
        let undos = undo_excess(&inputs);
        inputs
            .voided
            .iter()
            .map(|i| void_unrecorded(i, &inputs, &undos))
            .collect()
    };
    for (invoice, unrecorded) in inputs.voided.into_iter().zip(unrecorded) {
        totals.voids += invoice.total;
        if !unrecorded.is_zero() {
            let id = &invoice.id;
            found.push(gaps.mismatch(
                id,
                VOID,
                Money::ZERO,
                unrecorded,
                format!("The void of invoice {id} is not recorded in the ledger in full"),
                format!(
                    "Post the void of invoice {id} (or its remainder) to the ledger so its AR nets to zero"
                ),
            ));
        }
        items.push(AdjustmentItem {
            kind: AdjustmentKind::Void,
            id: invoice.id,
            account_id: invoice.account_id,
            date: invoice.voided_at,
            amount: invoice.total,
            undoes: None,
            explanation: None,
        });
    }

    for undo in inputs.payment_undos {
        let Some(expected) = expected_on_ledger(&undo) else {
            continue;
        };
        let kind = match undo.payment.kind {
            PaymentKind::Reversal => AdjustmentKind::PaymentReversal,
            PaymentKind::Chargeback => AdjustmentKind::Chargeback,
            _ => AdjustmentKind::Refund,
        };
        match kind {
            AdjustmentKind::PaymentReversal => totals.payment_reversals += undo.payment.amount,
            AdjustmentKind::Chargeback => totals.chargebacks += undo.payment.amount,
            _ => totals.refunds += undo.payment.amount,
        }
        if undo.recorded != expected {
            let (id, word) = (&undo.payment.id, undo.payment.kind);
            found.push(gaps.mismatch(
                id,
                UNRECORDED,
                expected,
                undo.recorded,
                if undo.payment.kind == PaymentKind::Refund {
                    format!("The {word} {id} is not recorded in the ledger at its amount")
                } else {
                    format!(
                        "The {word} {id} is not recorded in the ledger at what it pulled back from invoices"
                    )
                },
                match undo.recorded.is_zero() {
                    true => format!("Post one {word} ledger row referencing {id} for {expected}"),
                    false => format!(
                        "The {word} ledger rows referencing {id} add up to {}, not {expected}: correct them \
                         (one per invoice it pulled back from, on that invoice's account)",
                        undo.recorded
                    ),
                },
            ));
        }
        items.push(AdjustmentItem {
            kind,
            id: undo.payment.id,
            account_id: undo.payment.account_id,
            date: undo.payment.occurred_on,
            amount: undo.payment.amount,
            undoes: undo.payment.related_payment_id,
            explanation: undo.payment.reference,
        });
    }

    for credit in inputs.credits {
        let kind = match credit.kind {
            CreditKind::Credit => {
                totals.credits_issued += credit.amount;
                AdjustmentKind::Credit
            }
            CreditKind::Reversal => {
                totals.credit_reversals += credit.amount;
                if let Some(paid) = inputs.credit_refunds.get(&credit.id) {
                    if let Some(m) = paid_out_beyond(&gaps, &credit, *paid) {
                        found.push(m);
                    }
                }
                AdjustmentKind::CreditReversal
            }
        };
        items.push(AdjustmentItem {
            kind,
            id: credit.id,
            account_id: credit.account_id,
            date: credit.issued_on,
            amount: credit.amount,
            undoes: credit.related_credit_id,
            explanation: credit.reason,
        });
    }

    for row in inputs.ledger {
        let has_reference = row.reference.as_deref().is_some_and(|r| !r.trim().is_empty());
        let unexplained = match row.kind {
            LedgerKind::Adjustment => !has_reference,
            _ => !row.source_found,
        };
        if unexplained {
            let (id, word) = (&row.id, row.kind);
            let (title, next_action) = if row.kind == LedgerKind::Adjustment {
                (
                    format!("Ledger adjustment {id} gives no reason"),
                    format!("Record why ledger adjustment {id} was posted, or reverse it if it was posted in error"),
                )
            } else {
                (
                    format!("Ledger {word} row {id} names no matching source"),
                    format!(
                        "Point ledger row {id} at the {} it records, or reverse it if it was posted in error",
                        if row.kind == LedgerKind::Void {
                            "void invoice"
                        } else {
                            "payments row"
                        }
                    ),
                )
            };
            found.push(gaps.mismatch(id, UNEXPLAINED, Money::ZERO, row.amount, title, next_action));
        }
        if row.kind == LedgerKind::Adjustment {
            totals.system_adjustments += row.amount;
            items.push(AdjustmentItem {
                kind: AdjustmentKind::SystemAdjustment,
                id: row.id,
                account_id: row.account_id,
                date: row.occurred_on,
                amount: row.amount,
                undoes: None,
                explanation: row.reference,
            });
        }
    }

    items.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    let figures = AdjustmentFigures {
        totals,
        adjustments: items,
    };
    (figures, sorted(found))
}

/// What a credit reversal of `amount` is paid out by its `refund` rows (summed as posted, a
/// payout negative): their payout, held between nothing and the whole reversal. The one
/// payout rule: step 2's `credits_paid_out` and the GL's cash are its sum, and rows outside
/// it are [`paid_out_beyond`]'s finding.
pub fn paid_out(amount: Money, rows: Money) -> Money {
    (-rows).max(Money::ZERO).min(amount)
}

/// A credit reversal whose `refund` rows add up to something no payout of it can be:
/// above 0.00 (a refund row signed as a receipt) or below minus its amount (paid out beyond
/// what was reversed). The GL journal books what lies between (docs/outputs.md: the
/// reversal read as rescinded, or paid out in full), so the rest is the finding: expected
/// the nearest payout the reversal allows, actual the rows.
fn paid_out_beyond(gaps: &LaneGaps<'_>, credit: &CreditIssued, paid: Money) -> Option<Mismatch> {
    let expected = -paid_out(credit.amount, paid);
    if expected == paid {
        return None;
    }
    let id = &credit.id;
    let (title, next_action) = if paid > Money::ZERO {
        (
            format!("The ledger's refund rows naming credit reversal {id} add up to a receipt"),
            format!(
                "A refund pays the reversed credit out: its ledger row is negative. Correct the sign of the \
                 refund rows naming {id} (they add up to {paid}), or their reference"
            ),
        )
    } else {
        (
            format!("The ledger pays credit reversal {id} out beyond its amount"),
            format!(
                "The refund rows naming {id} pay out {} of a reversal of {}; correct them, or the \
                 reversal",
                -paid, credit.amount
            ),
        )
    };
    Some(gaps.mismatch(id, PAID_OUT, expected, paid, title, next_action))
}

/// The source rows behind a mismatch of this check.
pub fn trace(m: &Mismatch) -> Trace<'_> {
    let subject = m.subject.as_str();
    match m.check {
        // Actual: the invoice's rows' net less what its disbursements' rows are off (each
        // its own finding): the disbursements to it beside the rows.
        VOID => Trace {
            expected: vec![SourceRows::One("invoices", subject)],
            actual: vec![
                SourceRows::LedgerOfInvoice(subject),
                SourceRows::DisbursementsToInvoice(subject),
            ],
        },
        UNRECORDED => Trace {
            // A refund's expected figure is its amount: its row alone (no unwindings).
            expected: vec![
                SourceRows::One("payments", subject),
                SourceRows::UnwindingsOfUndo(subject),
            ],
            actual: vec![SourceRows::LedgerRecordingPayment(subject)],
        },
        PAID_OUT => Trace {
            expected: vec![SourceRows::One("credits", subject)],
            actual: vec![SourceRows::LedgerRefundingCredit(subject)],
        },
        _ => Trace {
            expected: vec![],
            actual: vec![SourceRows::One("ledger", subject)],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::testing::*;
    use crate::snapshot::model::{Payment, Severity};

    fn run(inputs: Inputs) -> (AdjustmentFigures, Vec<Mismatch>) {
        with_context(|ctx| check(ctx, inputs))
    }

    fn undo(id: &str, kind: PaymentKind, amount: i64, recorded: i64) -> PaymentUndo {
        PaymentUndo {
            payment: Payment {
                id: id.into(),
                account_id: "ACC-2".into(),
                kind,
                related_payment_id: Some("PAY-3".into()),
                occurred_on: date("2026-03-15"),
                amount: cents(amount),
                reference: None,
            },
            recorded: cents(recorded),
            // A payment applied in full and unwound in full the same day.
            unwound: cents(amount),
        }
    }

    fn ledger(
        id: &str,
        kind: LedgerKind,
        amount: i64,
        reference: Option<&str>,
        found: bool,
    ) -> LedgerAdjustment {
        LedgerAdjustment {
            id: id.into(),
            account_id: "ACC-3".into(),
            kind,
            occurred_on: date("2026-03-26"),
            amount: cents(amount),
            reference: reference.map(String::from),
            source_found: found,
        }
    }

    fn clean() -> Inputs {
        Inputs {
            voided: vec![VoidedInvoice {
                id: "INV-V".into(),
                account_id: "ACC-2".into(),
                voided_at: date("2026-03-28"),
                total: cents(30_000),
                ledger_net: Money::ZERO,
            }],
            payment_undos: vec![
                undo("REV-1", PaymentKind::Reversal, 20_000, 20_000),
                undo("RF-1", PaymentKind::Refund, 10_000, -10_000),
                undo("CB-1", PaymentKind::Chargeback, 50_000, 50_000),
            ],
            credits: vec![
                CreditIssued {
                    id: "CR-1".into(),
                    account_id: "ACC-3".into(),
                    kind: CreditKind::Credit,
                    related_credit_id: None,
                    issued_on: date("2026-03-22"),
                    amount: cents(10_000),
                    reason: Some("Service credit".into()),
                },
                CreditIssued {
                    id: "CR-1R".into(),
                    account_id: "ACC-3".into(),
                    kind: CreditKind::Reversal,
                    related_credit_id: Some("CR-1".into()),
                    issued_on: date("2026-03-28"),
                    amount: cents(2_000),
                    reason: None,
                },
            ],
            ledger: vec![
                ledger("LG-10", LedgerKind::Reversal, 20_000, Some("REV-1"), true),
                ledger("LG-11", LedgerKind::Void, -30_000, Some("INV-V"), true),
                ledger(
                    "LG-16",
                    LedgerKind::Adjustment,
                    -5_000,
                    Some("Write-off approved"),
                    false,
                ),
            ],
            disbursement_rows_off: Default::default(),
            unwound_without_rows: Default::default(),
            undo_rows: Default::default(),
            // CR-1R's 20.00 paid out in full.
            credit_refunds: [("CR-1R".to_string(), cents(-2_000))].into(),
        }
    }

    /// The one payout rule (`unwinds` story 6: CR-6R reverses 80.00): rows of −50.00 pay
    /// out 50.00; a receipt pays out nothing; −100.00 pays out the 80.00 the reversal has.
    #[test]
    fn a_reversal_is_paid_out_between_nothing_and_its_amount() {
        for (rows, paid) in [
            (-5_000, 5_000),
            (8_000, 0),
            (-10_000, 8_000),
            (0, 0),
            (-8_000, 8_000),
        ] {
            assert_eq!(paid_out(cents(8_000), cents(rows)), cents(paid), "rows {rows}");
        }
    }

    /// A credit reversal's refund rows: any payout from none to all of it is one the
    /// reversal allows; a receipt, or more than it, is found (CR-1R reverses 20.00).
    #[test]
    fn a_credit_reversal_is_paid_out_at_most_in_full_and_never_received() {
        for (paid, found) in [
            (0, None),
            (-2_000, None),
            (-1, None),
            (1, Some((0, 1))),
            (-2_001, Some((-2_000, -2_001))),
        ] {
            let mut inputs = clean();
            inputs.credit_refunds = [("CR-1R".to_string(), cents(paid))].into();
            let (_, mismatches) = run(inputs);
            let got: Vec<_> = mismatches
                .iter()
                .map(|m| (m.key.as_str(), m.expected, m.actual))
                .collect();
            let want: Vec<_> = found
                .map(|(e, a)| ("adjustments:CR-1R:paid-out", cents(e), cents(a)))
                .into_iter()
                .collect();
            assert_eq!(got, want, "paid {paid}");
        }
    }

    #[test]
    fn lists_and_totals_every_adjustment() {
        let (figures, found) = run(clean());
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(
            figures.totals,
            AdjustmentTotals {
                voids: cents(30_000),
                credits_issued: cents(10_000),
                credit_reversals: cents(2_000),
                payment_reversals: cents(20_000),
                refunds: cents(10_000),
                chargebacks: cents(50_000),
                system_adjustments: cents(-5_000),
            }
        );
        let ids: Vec<&str> = figures.adjustments.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["CB-1", "REV-1", "RF-1", "CR-1", "LG-16", "CR-1R", "INV-V"]);
        assert_eq!(
            figures.adjustments[4].explanation.as_deref(),
            Some("Write-off approved")
        );
    }

    #[test]
    fn a_void_not_recorded_in_full() {
        let mut inputs = clean();
        inputs.voided[0].ledger_net = cents(5_000);
        let (_, found) = run(inputs);
        let m = &found[0];
        assert_eq!(m.key, "adjustments:INV-V:void");
        assert_amounts(m, [0, 5_000, 5_000], Severity::High);
    }

    #[test]
    fn a_void_leaves_what_its_disbursements_rows_are_off_to_them() {
        // INV-V 500.00, 100.00 applied and unwound, voided: the void row records −400.00 and
        // no row records the unwinding. Its rows net to 500 − 100 − 400 = 0.00, yet the
        // unwinding's row is 100.00 short (actual 0.00 − expected 100.00 = −100.00, its own
        // finding), so the void is 0.00 − (−100.00) = +100.00 short of what it should undo.
        let mut inputs = clean();
        inputs
            .disbursement_rows_off
            .insert("INV-V".into(), cents(-10_000));
        let excess = ledger_excess(&inputs);
        assert_eq!(excess.of("ACC-2"), cents(10_000));
        let (_, found) = run(inputs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key, "adjustments:INV-V:void");
        assert_amounts(&found[0], [0, 10_000, 10_000], Severity::High);
    }

    #[test]
    fn undos_recorded_at_another_amount() {
        let mut inputs = clean();
        inputs.payment_undos[0].recorded = cents(15_000);
        inputs.payment_undos[1].recorded = Money::ZERO;
        let (_, found) = run(inputs);
        assert_eq!(found.len(), 2);
        let m = &found[0];
        assert_eq!(m.key, "adjustments:REV-1:unrecorded");
        assert_amounts(m, [20_000, 15_000, -5_000], Severity::High);
        let m = &found[1];
        assert_eq!(m.key, "adjustments:RF-1:unrecorded");
        assert_eq!(amounts(m), (cents(-10_000), Money::ZERO, cents(10_000)));
        assert_eq!(
            m.title,
            "The refund RF-1 is not recorded in the ledger at its amount"
        );
    }

    #[test]
    fn ledger_rows_without_their_source() {
        let mut inputs = clean();
        inputs.ledger = vec![
            ledger("LG-16", LedgerKind::Adjustment, -5_000, Some("  "), false),
            ledger("LG-17", LedgerKind::Adjustment, 700, None, false),
            ledger("LG-18", LedgerKind::Void, -30_000, Some("INV-X"), false),
            ledger("LG-19", LedgerKind::Chargeback, 50_000, Some("CB-1"), false),
        ];
        let (figures, found) = run(inputs);
        assert_eq!(figures.totals.system_adjustments, cents(-4_300));
        assert_eq!(
            keys(&found),
            [
                "adjustments:LG-16:unexplained",
                "adjustments:LG-17:unexplained",
                "adjustments:LG-18:unexplained",
                "adjustments:LG-19:unexplained",
            ]
        );
        let m = &found[1];
        assert_amounts(m, [0, 700, 700], Severity::High);
        assert_eq!(found[2].variance, cents(-30_000));
    }

    #[test]
    fn a_reversal_records_what_it_pulled_back_from_invoices() {
        // PAY-3 1,000.00, 600.00 applied, reversed in full (NSF): 600.00 unwound from the
        // invoice is on the ledger, the 400.00 unapplied is not.
        let mut nsf = undo("REV-2", PaymentKind::Reversal, 100_000, 60_000);
        nsf.unwound = cents(60_000);
        // A chargeback of 200.00 of which 100.00 was unwound, recorded at 200.00.
        let mut cb = undo("CB-2", PaymentKind::Chargeback, 20_000, 20_000);
        cb.unwound = cents(10_000);
        // Bounced before it was applied: nothing unwound, nothing on the ledger.
        let mut bounced = undo("REV-3", PaymentKind::Reversal, 25_000, 0);
        bounced.unwound = Money::ZERO;
        // A same-day re-application nets to more applied: nothing pulled back.
        let mut reapplied = undo("REV-4", PaymentKind::Reversal, 5_000, 0);
        reapplied.unwound = cents(-3_000);
        let (_, found) = run(Inputs {
            payment_undos: vec![nsf, cb, bounced, reapplied],
            ..Inputs::default()
        });
        assert_eq!(found.len(), 1, "{found:?}");
        let m = &found[0];
        assert_eq!(m.key, "adjustments:CB-2:unrecorded");
        assert_eq!(amounts(m), (cents(10_000), cents(20_000), cents(10_000)));
    }
}
