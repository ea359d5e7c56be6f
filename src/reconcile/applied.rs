//! 2. Applied vs unapplied — lane `disbursements` (internal).
//!
//! No payment or credit is disbursed beyond its net value (or below zero), and value is
//! only disbursed to receivable invoices. Collected value that is not disbursed is
//! unapplied, never an AR reduction.

use serde::{Deserialize, Serialize};

use super::{sorted, Context, Gap, Kind, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::{InvoiceStatus, Lane, SourceKind};
use crate::snapshot::queries::{MisdirectedDisbursement, SourceRows, SourceTotals, WindowActivity};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedFigures {
    /// Payments, credits and disbursements in the window, as the snapshot reads them (their
    /// fields stand at the top level of the JSON).
    #[serde(flatten)]
    pub window: WindowActivity,
    /// AR reduced by disbursement in the window.
    pub disbursed: Money,
    // At window end (net value − disbursed):
    pub unapplied_payments: Money,
    pub unapplied_credits: Money,
    pub unapplied: Money,
}

pub const OVER_DISBURSED: &str = "over-disbursed";
pub const TARGET: &str = "target";

pub fn check(
    ctx: Context<'_>,
    activity: &WindowActivity,
    sources: impl IntoIterator<Item = SourceTotals>,
    misdirected: &[MisdirectedDisbursement],
) -> (AppliedFigures, Vec<Mismatch>) {
    let mut figures = AppliedFigures {
        window: activity.clone(),
        disbursed: activity.disbursed_from_payments + activity.disbursed_from_credits,
        ..AppliedFigures::default()
    };
    let mut found = Vec::new();

    for source in sources {
        let unapplied = source.net_value - source.disbursed;
        match source.kind {
            SourceKind::Payment => figures.unapplied_payments += unapplied,
            SourceKind::Credit => figures.unapplied_credits += unapplied,
        }
        let undos = match source.kind {
            SourceKind::Payment => "reversals, refunds and chargebacks",
            SourceKind::Credit => "reversals",
        };
        let (expected, title, next_action) = if source.disbursed.is_negative() {
            (
                Money::ZERO,
                format!("Disbursements from {} {} net below zero", source.kind, source.id),
                format!(
                    "Review the disbursements from {} {} against its {undos}; unwind only what was applied",
                    source.kind, source.id
                ),
            )
        } else if source.net_value.is_negative() {
            // Taken back beyond what it brought: no disbursement can clear that.
            let still = if source.disbursed.is_zero() {
                String::new()
            } else {
                format!(", and {} of it is still disbursed", source.disbursed)
            };
            (
                source.net_value,
                format!(
                    "{} {} is taken back beyond its amount: its {undos} exceed it by {}{still}",
                    capitalized(source.kind),
                    source.id,
                    -source.net_value
                ),
                format!(
                    "Correct the {undos} of {} {} (or its amount) so they take back at most what it \
                     brought{}",
                    source.kind,
                    source.id,
                    if source.disbursed.is_zero() {
                        ""
                    } else {
                        "; then unwind what is still disbursed beyond what remains"
                    }
                ),
            )
        } else if source.disbursed > source.net_value {
            (
                source.net_value,
                format!(
                    "{} {} is disbursed beyond its net value",
                    capitalized(source.kind),
                    source.id
                ),
                format!(
                    "Review the disbursements from {} {} against its {undos}; unwind the excess with a \
                     negative disbursement",
                    source.kind, source.id
                ),
            )
        } else {
            continue;
        };
        found.push(ctx.mismatch(Gap {
            lane: Lane::Disbursements,
            kind: Kind::Internal,
            subject: source.id.clone(),
            check: OVER_DISBURSED,
            expected,
            actual: source.disbursed,
            title,
            next_action,
        }));
    }
    figures.unapplied = figures.unapplied_payments + figures.unapplied_credits;

    for d in misdirected {
        found.push(ctx.mismatch(Gap {
            lane: Lane::Disbursements,
            kind: Kind::Internal,
            subject: d.id.clone(),
            check: TARGET,
            expected: Money::ZERO,
            actual: d.amount,
            title: if d.rows == 1 {
                format!(
                    "Disbursement {} is applied to invoice {}, {}",
                    d.id,
                    d.invoice_id,
                    at_window_end(d.invoice_status)
                )
            } else {
                format!(
                    "{} {} remains applied to invoice {}, {} ({} disbursements, net)",
                    capitalized(d.source_kind),
                    d.source_id,
                    d.invoice_id,
                    at_window_end(d.invoice_status),
                    d.rows
                )
            },
            next_action: format!(
                "Unwind disbursement {} and apply the value to a posted invoice, or leave it unapplied",
                d.id
            ),
        }));
    }
    (figures, sorted(found))
}

fn capitalized(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Payment => "Payment",
        SourceKind::Credit => "Credit",
    }
}

/// The source rows behind a mismatch of this check. An over-disbursed subject is a
/// payment or a credit id; both tables are asked, only the one that has it answers.
pub fn trace(m: &Mismatch) -> Trace<'_> {
    let subject = m.subject.as_str();
    if m.check == TARGET {
        return Trace {
            expected: vec![],
            actual: vec![SourceRows::DisbursementsOfPair(subject)],
        };
    }
    Trace {
        expected: vec![
            SourceRows::PaymentAndUndos(subject),
            SourceRows::CreditAndReversals(subject),
        ],
        actual: vec![
            SourceRows::DisbursementsFrom(SourceKind::Payment, subject),
            SourceRows::DisbursementsFrom(SourceKind::Credit, subject),
        ],
    }
}

/// What a misdirected disbursement's invoice was at window end, in words.
fn at_window_end(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Void => "void by window end",
        _ => "a draft at window end",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::testing::*;
    use crate::snapshot::model::{InvoiceStatus, Severity};

    fn source(kind: SourceKind, id: &str, net: i64, disbursed: i64) -> SourceTotals {
        SourceTotals {
            kind,
            id: id.into(),
            net_value: cents(net),
            disbursed: cents(disbursed),
        }
    }

    fn run(
        sources: Vec<SourceTotals>,
        misdirected: &[MisdirectedDisbursement],
    ) -> (AppliedFigures, Vec<Mismatch>) {
        let activity = WindowActivity {
            payments_received: cents(7_000_000),
            disbursed_from_payments: cents(6_200_000),
            credits_issued: cents(300_000),
            disbursed_from_credits: cents(150_000),
            ..WindowActivity::default()
        };
        with_context(|ctx| check(ctx, &activity, sources, misdirected))
    }

    #[test]
    fn unapplied_is_net_value_less_disbursed() {
        let (figures, found) = run(
            vec![
                source(SourceKind::Payment, "PAY-1", 6_000_000, 6_000_000),
                source(SourceKind::Payment, "PAY-2", 1_000_000, 200_000),
                source(SourceKind::Credit, "CR-1", 300_000, 150_000),
            ],
            &[],
        );
        assert!(found.is_empty());
        assert_eq!(figures.disbursed, cents(6_350_000));
        assert_eq!(figures.unapplied_payments, cents(800_000));
        assert_eq!(figures.unapplied_credits, cents(150_000));
        assert_eq!(figures.unapplied, cents(950_000));
    }

    #[test]
    fn the_window_s_figures_stand_at_the_top_level_of_the_json() {
        let (figures, _) = run(
            vec![source(SourceKind::Payment, "PAY-1", 7_000_000, 6_200_000)],
            &[],
        );
        let json = serde_json::to_string(&figures).unwrap();
        assert_eq!(
            json,
            "{\"payments_received\":70000.00,\"payments_reversed\":0.00,\"payments_refunded\":0.00,\
             \"payments_charged_back\":0.00,\"credits_issued\":3000.00,\"credits_reversed\":0.00,\"credits_paid_out\":0.00,\
             \"disbursed_from_payments\":62000.00,\"disbursed_from_credits\":1500.00,\
             \"disbursed\":63500.00,\"unapplied_payments\":8000.00,\"unapplied_credits\":0.00,\
             \"unapplied\":8000.00}"
        );
        assert_eq!(serde_json::from_str::<AppliedFigures>(&json).unwrap(), figures);
    }

    #[test]
    fn disbursed_beyond_net_value() {
        let (figures, found) = run(vec![source(SourceKind::Payment, "PAY-2", 70_000, 80_000)], &[]);
        assert_eq!(figures.unapplied, cents(-10_000));
        let m = &found[0];
        assert_eq!(m.key, "disbursements:PAY-2:over-disbursed");
        assert_amounts(m, [70_000, 80_000, 10_000], Severity::High);
    }

    #[test]
    fn taken_back_beyond_its_amount_is_said_as_such() {
        // PAY-R 100.00 refunded 150.00, nothing disbursed: net −50.00. It read "disbursed
        // beyond its net value" with "unwind the excess", which nothing could clear.
        // CR-2 100.00 reversed for 150.00 with 100.00 still applied: net −50.00.
        let (_, found) = run(
            vec![
                source(SourceKind::Payment, "PAY-R", -5_000, 0),
                source(SourceKind::Credit, "CR-2", -5_000, 10_000),
            ],
            &[],
        );
        let by = |id: &str| found.iter().find(|m| m.subject == id).unwrap();
        let m = by("PAY-R");
        assert_amounts(m, [-5_000, 0, 5_000], Severity::High);
        assert_eq!(
            m.title,
            "Payment PAY-R is taken back beyond its amount: its reversals, refunds and chargebacks \
             exceed it by 50.00"
        );
        assert!(!m.next_action.contains("unwind"), "{}", m.next_action);
        let m = by("CR-2");
        assert_amounts(m, [-5_000, 10_000, 15_000], Severity::High);
        assert_eq!(
            m.title,
            "Credit CR-2 is taken back beyond its amount: its reversals exceed it by 50.00, and 100.00 \
             of it is still disbursed"
        );
    }

    #[test]
    fn disbursed_below_zero() {
        let (_, found) = run(vec![source(SourceKind::Credit, "CR-9", 0, -2_000)], &[]);
        let m = &found[0];
        assert_eq!(m.key, "disbursements:CR-9:over-disbursed");
        assert_amounts(m, [0, -2_000, -2_000], Severity::High);
    }

    #[test]
    fn disbursed_to_a_draft() {
        let (_, found) = run(
            vec![],
            &[MisdirectedDisbursement {
                id: "DSB-9".into(),
                invoice_id: "INV-D".into(),
                invoice_status: InvoiceStatus::Draft,
                amount: cents(5_000),
                source_kind: SourceKind::Payment,
                source_id: "PAY-1".into(),
                rows: 1,
            }],
        );
        let m = &found[0];
        assert_eq!(m.key, "disbursements:DSB-9:target");
        assert_amounts(m, [0, 5_000, 5_000], Severity::High);
        assert_eq!(
            m.title,
            "Disbursement DSB-9 is applied to invoice INV-D, a draft at window end"
        );
    }
}
