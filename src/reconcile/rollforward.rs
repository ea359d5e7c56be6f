//! 3. Account roll-forward — lane `ledger` (internal).
//!
//! For each account: opening AR + posted + disbursed + pulled back ± adjustments + voids
//! (each over the ledger rows of the window) is the ledger's closing AR, and it must equal
//! the sum of the account's receivable invoice balances.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{sorted, Context, Gap, Kind, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::Lane;
use crate::snapshot::queries::{AccountLedger, SourceRows};

/// A roll-forward. Amounts are signed as in the ledger: `disbursed` and `voids` are
/// negative, `pulled_back` positive, `adjustments` either.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollForward {
    pub opening: Money,
    pub posted: Money,
    pub disbursed: Money,
    pub pulled_back: Money,
    pub adjustments: Money,
    pub voids: Money,
    /// The ledger's closing AR: the sum of the above.
    pub closing: Money,
    /// The sum of the receivable invoice balances.
    pub invoice_balances: Money,
    /// How far ledger rows already reported on their own (step 4: a void not recorded in
    /// full, a reversal or chargeback recorded at another amount) carry `closing` off;
    /// the roll-forward reports only the rest. In the JSON only when not zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reported_on_rows: Money,
}

fn is_zero(m: &Money) -> bool {
    m.is_zero()
}

impl RollForward {
    /// The ledger's closing AR once the rows reported on their own are right: what the
    /// roll-forward and the billing extract tie to.
    pub fn closing_without_reported_rows(&self) -> Money {
        self.closing - self.reported_on_rows
    }

    /// Opening to closing AR, each movement with its word, in the order they add up: what
    /// the cockpit's ledger lane and its waterfall chart show.
    pub fn movements(&self) -> [(&'static str, Money); 7] {
        [
            ("opening", self.opening),
            ("posted", self.posted),
            ("disbursed", self.disbursed),
            ("pulled back", self.pulled_back),
            ("adjustments", self.adjustments),
            ("voids", self.voids),
            ("closing", self.closing),
        ]
    }
}

add_fields!(RollForward: opening, posted, disbursed, pulled_back, adjustments, voids, closing,
    invoice_balances, reported_on_rows);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRollForward {
    pub account_id: String,
    #[serde(flatten)]
    pub roll_forward: RollForward,
}

/// The roll-forward of every account with ledger rows or receivable invoices (by account
/// id), and its totals over all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollForwardFigures {
    pub totals: RollForward,
    pub accounts: Vec<AccountRollForward>,
}

pub const ROLL_FORWARD: &str = "roll-forward";

/// Per account, per finding (its key), how far ledger rows that finding reports as wrong
/// carry the account's closing AR off: what the roll-forward leaves to them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportedOnRows(BTreeMap<String, BTreeMap<String, Money>>);

impl ReportedOnRows {
    /// Adds `amount` on `account` to finding `key`'s share.
    pub fn add(&mut self, account: &str, key: String, amount: Money) {
        if !amount.is_zero() {
            *self
                .0
                .entry(account.to_string())
                .or_default()
                .entry(key)
                .or_default() += amount;
        }
    }

    /// Everything `other` holds, added.
    pub fn extend(&mut self, other: ReportedOnRows) {
        for (account, keys) in other.0 {
            for (key, amount) in keys {
                self.add(&account, key, amount);
            }
        }
    }

    /// Whether no finding explains anything on any account.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(|keys| keys.values().all(|m| m.is_zero()))
    }

    /// The account's total.
    pub fn of(&self, account: &str) -> Money {
        self.0
            .get(account)
            .map_or(Money::ZERO, |keys| keys.values().sum())
    }

    /// What an expected figure of `closing − reported_on_rows` is made of, in words: `None`
    /// when no finding carries the account's closing AR off.
    pub fn said(&self, account: &str, closing: Money) -> Option<String> {
        let findings: Vec<String> = self
            .0
            .get(account)
            .into_iter()
            .flatten()
            .filter(|(_, m)| !m.is_zero())
            .map(|(key, m)| format!("{key} {}{}", if m.is_negative() { "" } else { "+" }, m.grouped()))
            .collect();
        (!findings.is_empty()).then(|| {
            format!(
                "Expected is the ledger's closing AR {} less what rows reported on their own carry off it: {}",
                closing.grouped(),
                findings.join(", ")
            )
        })
    }
}

/// `ledgers` must be in account id order (as the query returns them). `reported_on_rows`
/// is, per account, how far ledger rows that step 4 reports as wrong carry its closing AR
/// off (`adjustments::ledger_excess`): an account whose gap is all theirs is not reported
/// again, and one with more is reported for the rest, so one wrong row is one finding.
pub fn check(
    ctx: Context<'_>,
    ledgers: Vec<AccountLedger>,
    reported_on_rows: &ReportedOnRows,
) -> (RollForwardFigures, Vec<Mismatch>) {
    let mut figures = RollForwardFigures {
        totals: RollForward::default(),
        accounts: Vec::with_capacity(ledgers.len()),
    };
    let mut found = Vec::new();
    for ledger in ledgers {
        let closing = ledger.opening
            + ledger.posted
            + ledger.disbursed
            + ledger.pulled_back
            + ledger.adjustments
            + ledger.voids;
        let roll_forward = RollForward {
            opening: ledger.opening,
            posted: ledger.posted,
            disbursed: ledger.disbursed,
            pulled_back: ledger.pulled_back,
            adjustments: ledger.adjustments,
            voids: ledger.voids,
            closing,
            invoice_balances: ledger.balances,
            reported_on_rows: reported_on_rows.of(&ledger.account_id),
        };
        figures.totals.add(&roll_forward);

        let account = ledger.account_id;
        // The ledger's closing AR once the rows reported on their own are right.
        let expected = roll_forward.closing_without_reported_rows();
        if expected != roll_forward.invoice_balances {
            let title = if roll_forward.reported_on_rows.is_zero() {
                format!("Ledger closing AR of account {account} does not tie to its invoice balances")
            } else {
                format!(
                    "Ledger closing AR of account {account} does not tie to its invoice balances, beyond the \
                     ledger rows reported on their own"
                )
            };
            found.push(ctx.mismatch(Gap {
                lane: Lane::Ledger,
                kind: Kind::Internal,
                subject: account.clone(),
                check: ROLL_FORWARD,
                expected,
                actual: roll_forward.invoice_balances,
                title,
                next_action: {
                    let mut action = format!(
                        "Walk account {account}'s ledger for {} against its invoice balances; post the missing \
                         ledger row or correct the invoice balance",
                        ctx.period.id
                    );
                    // The expected figure is the ledger's closing less these: say which.
                    if let Some(said) = reported_on_rows.said(&account, roll_forward.closing) {
                        action.push_str(&format!(". {said}"));
                    }
                    action
                },
            }));
        }
        figures.accounts.push(AccountRollForward {
            account_id: account,
            roll_forward,
        });
    }
    (figures, sorted(found))
}

/// The source rows behind a mismatch of this check.
pub fn trace(m: &Mismatch) -> Trace<'_> {
    Trace {
        expected: vec![SourceRows::LedgerOfAccount(&m.subject)],
        actual: vec![SourceRows::ReceivableInvoicesOfAccount(&m.subject)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::testing::*;
    use crate::snapshot::model::Severity;

    fn ledger(account: &str, opening: i64, posted: i64, disbursed: i64, balances: i64) -> AccountLedger {
        AccountLedger {
            account_id: account.into(),
            opening: cents(opening),
            posted: cents(posted),
            disbursed: cents(disbursed),
            balances: cents(balances),
            ..AccountLedger::default()
        }
    }

    fn run(ledgers: Vec<AccountLedger>) -> (RollForwardFigures, Vec<Mismatch>) {
        run_with(ledgers, &[])
    }

    fn run_with(
        ledgers: Vec<AccountLedger>,
        reported: &[(&str, i64)],
    ) -> (RollForwardFigures, Vec<Mismatch>) {
        let mut on_rows = ReportedOnRows::default();
        for (account, c) in reported {
            on_rows.add(
                account,
                format!("adjustments:ROW-{account}:unrecorded"),
                cents(*c),
            );
        }
        with_context(|ctx| check(ctx, ledgers, &on_rows))
    }

    #[test]
    fn a_gap_that_is_all_a_reported_rows_is_not_reported_again() {
        // Ledger closing 600.00 + 1,250.00 − 1,000.00 = 850.00 against balances of 450.00:
        // a reversal row recorded 400.00 beyond what it pulled back (step 4 reports it)
        // explains all of the −400.00.
        let (figures, found) = run_with(
            vec![ledger("ACC-1", 60_000, 125_000, -100_000, 45_000)],
            &[("ACC-1", 40_000)],
        );
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(figures.accounts[0].roll_forward.closing, cents(85_000));
        assert_eq!(
            figures.accounts[0].roll_forward.closing_without_reported_rows(),
            cents(45_000)
        );
        // With 30.00 of it explained, the other 370.00 is the roll-forward's own:
        // expected 850.00 − 30.00 = 820.00, actual 450.00, variance −370.00.
        let (_, found) = run_with(
            vec![ledger("ACC-1", 60_000, 125_000, -100_000, 45_000)],
            &[("ACC-1", 3_000)],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].expected, found[0].actual, found[0].variance),
            (cents(82_000), cents(45_000), cents(-37_000))
        );
        // A reported row on an account that otherwise ties is a gap of its own size the
        // other way: the roll-forward reports the row's excess back, as it must (the row's
        // finding and this one then both point at the same account, and the net is zero).
        let (_, found) = run_with(vec![ledger("ACC-2", 0, 1_000, 0, 1_000)], &[("ACC-2", 500)]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].variance, cents(500));
    }

    #[test]
    fn every_component_rolls_into_closing_ar() {
        let mut acc2 = ledger("ACC-2", 0, 230_000, -100_000, 120_000);
        acc2.pulled_back = cents(20_000);
        acc2.voids = cents(-30_000);
        let (figures, found) = run(vec![ledger("ACC-1", 60_000, 125_000, -125_000, 60_000), acc2]);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(figures.accounts[1].roll_forward.closing, cents(120_000));
        assert_eq!(figures.totals.closing, cents(180_000));
        assert_eq!(figures.totals.invoice_balances, cents(180_000));
        let json = serde_json::to_string(&figures.accounts[0]).unwrap();
        assert!(
            json.starts_with(r#"{"account_id":"ACC-1","opening":600.00,"#),
            "{json}"
        );
    }

    #[test]
    fn closing_ar_that_does_not_tie_to_invoice_balances() {
        // 80.00 + 500.00 − 560.00 + 500.00 − 50.00 = 470.00 ties to balances of 470.00 …
        let mut acc3 = ledger("ACC-3", 8_000, 50_000, -56_000, 47_000);
        acc3.pulled_back = cents(50_000);
        acc3.adjustments = cents(-5_000);
        let (_, found) = run(vec![acc3.clone()]);
        assert!(found.is_empty());
        // … but not once the adjustment is missing from the ledger.
        acc3.adjustments = Money::ZERO;
        let (_, found) = run(vec![acc3]);
        assert_eq!(keys(&found), ["ledger:ACC-3:roll-forward"]);
        let m = &found[0];
        assert_amounts(m, [52_000, 47_000, -5_000], Severity::High);
    }
}
