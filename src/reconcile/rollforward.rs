//! 3. Account roll-forward — lane `ledger` (internal).
//!
//! For each account: opening AR + posted + disbursed + pulled back ± adjustments + voids
//! (each over the ledger rows of the window) is the ledger's closing AR, and it must equal
//! the sum of the account's receivable invoice balances.

use serde::Serialize;

use super::{sorted, Context, Gap, Kind, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::Lane;
use crate::snapshot::queries::{AccountLedger, SourceRows};

/// One account's roll-forward. Amounts are signed as in the ledger: `disbursed` and
/// `voids` are negative, `pulled_back` positive, `adjustments` either.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccountRollForward {
    pub account_id: String,
    pub opening: Money,
    pub posted: Money,
    pub disbursed: Money,
    pub pulled_back: Money,
    pub adjustments: Money,
    pub voids: Money,
    /// The ledger's closing AR: the sum of the above.
    pub closing: Money,
    /// The sum of the account's receivable invoice balances.
    pub invoice_balances: Money,
}

/// The roll-forward of every account with ledger rows or receivable invoices (by account
/// id), and its totals over all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RollForwardFigures {
    pub totals: AccountRollForward,
    pub accounts: Vec<AccountRollForward>,
}

impl RollForwardFigures {
    /// The ledger's closing AR of an account (0.00 when it has no roll-forward).
    pub fn ledger_closing_ar(&self, account_id: &str) -> Money {
        match self
            .accounts
            .binary_search_by(|a| a.account_id.as_str().cmp(account_id))
        {
            Ok(at) => self.accounts[at].closing,
            Err(_) => Money::ZERO,
        }
    }
}

pub const ROLL_FORWARD: &str = "roll-forward";

/// `ledgers` must be in account id order (as the query returns them).
pub fn check(ctx: Context<'_>, ledgers: Vec<AccountLedger>) -> (RollForwardFigures, Vec<Mismatch>) {
    let mut figures = RollForwardFigures {
        totals: AccountRollForward {
            account_id: "all accounts".into(),
            ..AccountRollForward::default()
        },
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
        let row = AccountRollForward {
            account_id: ledger.account_id,
            opening: ledger.opening,
            posted: ledger.posted,
            disbursed: ledger.disbursed,
            pulled_back: ledger.pulled_back,
            adjustments: ledger.adjustments,
            voids: ledger.voids,
            closing,
            invoice_balances: ledger.balances,
        };
        let t = &mut figures.totals;
        t.opening += row.opening;
        t.posted += row.posted;
        t.disbursed += row.disbursed;
        t.pulled_back += row.pulled_back;
        t.adjustments += row.adjustments;
        t.voids += row.voids;
        t.closing += row.closing;
        t.invoice_balances += row.invoice_balances;

        if row.closing != row.invoice_balances {
            let account = &row.account_id;
            found.push(ctx.mismatch(Gap {
                lane: Lane::Ledger,
                kind: Kind::Internal,
                subject: account.clone(),
                check: ROLL_FORWARD,
                expected: row.closing,
                actual: row.invoice_balances,
                title: format!("Ledger closing AR of account {account} does not tie to its invoice balances"),
                next_action: format!(
                    "Walk account {account}'s ledger for {} against its invoice balances; post the missing \
                     ledger row or correct the invoice balance",
                    ctx.period.id
                ),
            }));
        }
        figures.accounts.push(row);
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
        let period = period();
        let owners = owners(&period);
        check(
            Context {
                period: &period,
                owners: &owners,
            },
            ledgers,
        )
    }

    #[test]
    fn every_component_rolls_into_closing_ar() {
        let mut acc2 = ledger("ACC-2", 0, 230_000, -100_000, 120_000);
        acc2.pulled_back = cents(20_000);
        acc2.voids = cents(-30_000);
        let (figures, found) = run(vec![ledger("ACC-1", 60_000, 125_000, -125_000, 60_000), acc2]);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(figures.accounts[1].closing, cents(120_000));
        assert_eq!(figures.totals.closing, cents(180_000));
        assert_eq!(figures.totals.invoice_balances, cents(180_000));
        assert_eq!(figures.ledger_closing_ar("ACC-1"), cents(60_000));
        assert_eq!(figures.ledger_closing_ar("ACC-9"), Money::ZERO);
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
        assert_eq!(found.len(), 1);
        let m = &found[0];
        assert_eq!(m.key, "ledger:ACC-3:roll-forward");
        assert_eq!(
            (m.expected, m.actual, m.variance),
            (cents(52_000), cents(47_000), cents(-5_000))
        );
        assert_eq!(m.severity, Severity::High);
    }
}
