//! 3, row by row — lane `ledger` (internal): a ledger row against what it records.
//!
//! An account's roll-forward ties its ledger in total, so two rows wrong by amounts that
//! cancel leave it tied. Here each invoice's `invoice_posted` rows are held to its total and
//! each disbursement's `payment_disbursed`/`credit_disbursed` rows to its amount. One such
//! gap on an account is its roll-forward break and is reported there, as before; two or
//! more are each reported on their own row, and the roll-forward reports only what they do
//! not explain (docs/reconciliation.md, "A ledger row against what it records"). A gap of a
//! disbursement to an invoice voided in the window is always reported on its row: the void
//! check holds the invoice's other rows and leaves these to it. So is a posting, a void, an
//! application or a return the ledger dates on the other side of window start than its
//! source row does ("Across the window start"): the account's closing AR is right, and no
//! other check sees it, but the GL journal books it in the other period than the ledger.
//!
//! Owns this check; pure: must not read the snapshot or know the workflow.

use std::collections::BTreeMap;

use super::rollforward::ReportedOnRows;
use super::{sorted, Context, Kind, LaneGaps, Mismatch, Trace};
use crate::snapshot::model::Lane;
use crate::snapshot::queries::{LedgerRowGap, Recorded, SourceRows};

pub const POSTING: &str = "posting";
pub const DISBURSEMENT: &str = "disbursement";
pub const POSTING_DATE: &str = "posting-date";
pub const VOID_DATE: &str = "void-date";
pub const DISBURSEMENT_DATE: &str = "disbursement-date";
pub const PULL_BACK_DATE: &str = "pull-back-date";

/// The gaps of every account with two or more, each a mismatch, and per account how far
/// they carry its ledger closing AR off (what the roll-forward leaves to them). `gaps` in
/// any order.
pub fn check(ctx: Context<'_>, gaps: Vec<LedgerRowGap>) -> (Vec<Mismatch>, ReportedOnRows) {
    let mut by_account = BTreeMap::<String, Vec<LedgerRowGap>>::new();
    for gap in gaps {
        by_account.entry(gap.account_id.clone()).or_default().push(gap);
    }
    let lane = ctx.lane_gaps(Lane::Ledger, Kind::Internal);
    let mut found = Vec::new();
    let mut explained = ReportedOnRows::default();
    for (account, gaps) in by_account {
        let (dates, amounts): (Vec<_>, Vec<_>) = gaps.into_iter().partition(|g| {
            matches!(
                g.recorded,
                Recorded::PostedAcrossStart
                    | Recorded::VoidedAcrossStart
                    | Recorded::DisbursedAcrossStart
                    | Recorded::PulledBackAcrossStart
            )
        });
        let (on_void, others): (Vec<_>, Vec<_>) = amounts
            .into_iter()
            .partition(|g| g.recorded == Recorded::DisbursedToVoid);
        let reported = if others.len() < 2 {
            on_void
        } else {
            on_void.into_iter().chain(others).collect()
        };
        for gap in dates {
            found.push(across_start(&lane, &account, gap));
        }
        for gap in reported {
            let id = &gap.id;
            let rows = match gap.rows {
                0 => None,
                1 => Some("Its ledger row".to_string()),
                n => Some(format!("Its {n} ledger rows")),
            };
            let (check, title, next_action) = match (gap.recorded, rows) {
                (Recorded::Posted, Some(rows)) => (
                    POSTING,
                    format!("The ledger posts invoice {id} at another amount than its total"),
                    format!(
                        "{rows} of kind invoice_posted on account {account} should add up to the invoice's \
                         total; correct the posting, or the invoice"
                    ),
                ),
                (Recorded::Posted, None) => (
                    POSTING,
                    format!("The ledger never posts invoice {id}"),
                    format!(
                        "No ledger row of kind invoice_posted posts it on account {account}; book the posting, \
                         or correct the invoice"
                    ),
                ),
                (Recorded::Disbursed | Recorded::DisbursedToVoid, Some(rows)) => (
                    DISBURSEMENT,
                    format!("The ledger records disbursement {id} at another amount"),
                    format!(
                        "{rows} naming it on account {account} should add up to minus its amount; correct the \
                         ledger row, or the disbursement"
                    ),
                ),
                (
                    Recorded::PostedAcrossStart
                    | Recorded::VoidedAcrossStart
                    | Recorded::DisbursedAcrossStart
                    | Recorded::PulledBackAcrossStart,
                    _,
                ) => {
                    unreachable!("dated gaps are reported by across_start")
                }
                (Recorded::Disbursed | Recorded::DisbursedToVoid, None) => (
                    DISBURSEMENT,
                    format!("The ledger never records disbursement {id}"),
                    format!(
                        "No ledger row names it on account {account}; book the payment_disbursed or \
                         credit_disbursed row, or correct the disbursement"
                    ),
                ),
            };
            explained.add(
                &account,
                format!("{}:{id}:{check}", Lane::Ledger),
                gap.actual - gap.expected,
            );
            found.push(lane.mismatch(id, check, gap.expected, gap.actual, title, next_action));
        }
    }
    (sorted(found), explained)
}

/// A posting, void, disbursement or pull-back the ledger dates on the other side of window
/// start than its source row. Its rows are in the ledger to window end either way: the
/// account's closing AR is right and the roll-forward does not see it, but the GL journal
/// books it in the other period than the ledger.
fn across_start(lane: &LaneGaps<'_>, account: &str, gap: LedgerRowGap) -> Mismatch {
    let id = &gap.id;
    // (check, verb, what it is, the rows' kind, the source's date, the source in words)
    let (check, what, thing, kind, date, source) = match gap.recorded {
        Recorded::PostedAcrossStart => (
            POSTING_DATE,
            "posts",
            "invoice",
            "invoice_posted",
            "posted_at",
            "invoice",
        ),
        Recorded::VoidedAcrossStart => (VOID_DATE, "voids", "invoice", "void", "voided_at", "invoice"),
        Recorded::DisbursedAcrossStart => (
            DISBURSEMENT_DATE,
            "records",
            "disbursement",
            "payment_disbursed or credit_disbursed",
            "disbursed_on",
            "disbursement",
        ),
        _ => (
            PULL_BACK_DATE,
            "records",
            "the return",
            "reversal or chargeback",
            "occurred_on",
            "payments row",
        ),
    };
    let rows = match gap.rows {
        1 => "Its ledger row".to_string(),
        n => format!("Its {n} ledger rows"),
    };
    let are = if gap.rows == 1 { "is" } else { "are" };
    let (title, dated) = if gap.actual.is_zero() {
        (
            format!("The ledger {what} {thing} {id} before the window, its {date} in it"),
            format!("{rows} of kind {kind} on account {account} {are} dated before the window, the {source}'s {date} in it"),
        )
    } else {
        (
            format!("The ledger {what} {thing} {id} in the window, its {date} before it"),
            format!("{rows} of kind {kind} on account {account} {are} dated in the window, the {source}'s {date} before it"),
        )
    };
    let next_action = format!(
        "{dated}, so the GL journal books it in the other period. Date the ledger row as the \
         {source}, or correct the {source}'s {date} (ledger times are UTC: a booking late in the day \
         west of UTC falls on the next day)"
    );
    lane.mismatch(id, check, gap.expected, gap.actual, title, next_action)
}

/// The source rows behind a mismatch of this check.
pub fn trace(m: &Mismatch) -> Trace<'_> {
    let subject = m.subject.as_str();
    match m.check {
        POSTING | POSTING_DATE => Trace {
            expected: vec![SourceRows::One("invoices", subject)],
            actual: vec![SourceRows::LedgerPostingInvoice(subject)],
        },
        VOID_DATE => Trace {
            expected: vec![SourceRows::One("invoices", subject)],
            actual: vec![SourceRows::LedgerVoidingInvoice(subject)],
        },
        PULL_BACK_DATE => Trace {
            expected: vec![SourceRows::One("payments", subject)],
            actual: vec![SourceRows::LedgerRecordingPayment(subject)],
        },
        _ => Trace {
            expected: vec![SourceRows::One("disbursements", subject)],
            actual: vec![SourceRows::LedgerRecordingDisbursement(subject)],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::testing::*;
    use crate::snapshot::model::Severity;

    fn gap(recorded: Recorded, id: &str, account: &str, expected: i64, actual: i64) -> LedgerRowGap {
        LedgerRowGap {
            recorded,
            id: id.into(),
            account_id: account.into(),
            expected: cents(expected),
            actual: cents(actual),
            rows: 1,
        }
    }

    fn run(gaps: Vec<LedgerRowGap>) -> (Vec<Mismatch>, ReportedOnRows) {
        with_context(|ctx| check(ctx, gaps))
    }

    #[test]
    fn two_rows_that_cancel_on_one_account_are_each_found() {
        // INV-1 1,000.00 posted at 1,020.00 (+20.00); DSB-1 300.00 recorded at −320.00
        // (−20.00): the account's closing AR is right, both rows are wrong.
        let (found, explained) = run(vec![
            gap(Recorded::Posted, "INV-1", "ACC-1", 100_000, 102_000),
            gap(Recorded::Disbursed, "DSB-1", "ACC-1", -30_000, -32_000),
        ]);
        assert_eq!(
            keys(&found),
            ["ledger:DSB-1:disbursement", "ledger:INV-1:posting"]
        );
        assert_amounts(&found[1], [100_000, 102_000, 2_000], Severity::High);
        assert_amounts(&found[0], [-30_000, -32_000, -2_000], Severity::High);
        // They cancel: nothing on the account for the roll-forward to leave to them.
        assert_eq!(explained.of("ACC-1"), cents(0), "{explained:?}");
    }

    #[test]
    fn one_row_alone_is_the_roll_forwards_and_rows_of_two_accounts_are_too() {
        let (found, explained) = run(vec![
            gap(Recorded::Posted, "INV-1", "ACC-1", 100_000, 102_000),
            gap(Recorded::Disbursed, "DSB-9", "ACC-2", -30_000, -32_000),
        ]);
        assert!(found.is_empty(), "{found:?}");
        assert!(explained.is_empty());
    }

    #[test]
    fn rows_that_do_not_cancel_leave_their_sum_to_the_rows() {
        // +20.00 and +5.00: the roll-forward's 25.00 gap is all theirs.
        let (found, explained) = run(vec![
            gap(Recorded::Posted, "INV-1", "ACC-1", 100_000, 102_000),
            gap(Recorded::Posted, "INV-2", "ACC-1", 10_000, 10_500),
        ]);
        assert_eq!(keys(&found), ["ledger:INV-1:posting", "ledger:INV-2:posting"]);
        assert_eq!(explained.of("ACC-1"), cents(2_500));
    }

    #[test]
    fn a_row_of_a_disbursement_to_a_void_invoice_is_always_its_own() {
        // DSB-U unwound 100.00 from a voided invoice and no ledger row records it (expected
        // +100.00, actual 0.00): alone on its account, yet found on its row, and the
        // roll-forward leaves its −100.00 to it. A single posting gap beside it on the
        // account stays the roll-forward's.
        let (found, explained) = run(vec![
            gap(Recorded::DisbursedToVoid, "DSB-U", "ACC-1", 10_000, 0),
            gap(Recorded::Posted, "INV-2", "ACC-1", 10_000, 10_500),
        ]);
        assert_eq!(keys(&found), ["ledger:DSB-U:disbursement"]);
        assert_amounts(&found[0], [10_000, 0, -10_000], Severity::High);
        assert_eq!(explained.of("ACC-1"), cents(-10_000));
    }
}
