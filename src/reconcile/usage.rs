//! The usage lane: usage rated in the window is billed in the window, account by account,
//! and no usage of the window is still waiting to be processed.

use serde::{Deserialize, Serialize};

use super::{sorted, Context, Gap, Kind, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::Lane;
use crate::snapshot::queries::{AccountUsage, SourceRows};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageFigures {
    /// Events `rated` that occurred in the window.
    pub rated: Money,
    /// Usage lines billed in the window (the headline's usage billed).
    pub billed: Money,
    /// Events of the window still `unprocessed` or `rerating`.
    pub open_exceptions: u64,
    /// Their known rated amounts.
    pub open_exception_amount: Money,
}

pub const BILLED: &str = "billed";
pub const UNPROCESSED: &str = "unprocessed";

pub fn check(ctx: Context<'_>, accounts: Vec<AccountUsage>) -> (UsageFigures, Vec<Mismatch>) {
    let period = &ctx.period.id;
    let mut figures = UsageFigures::default();
    let mut found = Vec::new();
    for usage in accounts {
        figures.rated += usage.rated;
        figures.billed += usage.billed;
        figures.open_exceptions += usage.open_events;
        figures.open_exception_amount += usage.open_amount;
        let account = &usage.account_id;
        if usage.rated != usage.billed {
            found.push(ctx.mismatch(Gap {
                lane: Lane::Usage,
                kind: Kind::Tie,
                subject: account.clone(),
                check: BILLED,
                expected: usage.rated,
                actual: usage.billed,
                title: format!("Usage rated for account {account} does not tie to usage billed"),
                next_action: format!(
                    "Compare account {account}'s rated usage events for {period} with its usage lines; bill \
                     the missing usage or correct the rating"
                ),
            }));
        }
        if usage.open_events > 0 {
            let n = usage.open_events;
            found.push(ctx.mismatch(Gap {
                lane: Lane::Usage,
                kind: Kind::Exception,
                subject: account.clone(),
                check: UNPROCESSED,
                expected: Money::ZERO,
                actual: usage.open_amount,
                title: format!(
                    "{n} usage event{} of account {account} {} still unprocessed or rerating",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "is" } else { "are" }
                ),
                next_action: format!(
                    "Reprocess account {account}'s open usage events before final close, then bill or \
                     re-bill what they rate to"
                ),
            }));
        }
    }
    (figures, sorted(found))
}

/// The source rows behind a mismatch of this check.
pub fn trace(m: &Mismatch) -> Trace<'_> {
    let account = m.subject.as_str();
    match m.check {
        BILLED => Trace {
            expected: vec![SourceRows::RatedUsage(account)],
            actual: vec![SourceRows::BilledUsageLines(account)],
        },
        _ => Trace {
            expected: vec![],
            actual: vec![SourceRows::OpenUsage(account)],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::testing::*;
    use crate::snapshot::model::Severity;

    fn usage(account: &str, rated: i64, billed: i64, open_events: u64, open_amount: i64) -> AccountUsage {
        AccountUsage {
            account_id: account.into(),
            rated: cents(rated),
            billed: cents(billed),
            open_events,
            open_amount: cents(open_amount),
        }
    }

    fn run(accounts: Vec<AccountUsage>) -> (UsageFigures, Vec<Mismatch>) {
        let period = period();
        let owners = owners(&period);
        check(
            Context {
                period: &period,
                owners: &owners,
            },
            accounts,
        )
    }

    #[test]
    fn rated_usage_billed_in_full() {
        let (figures, found) = run(vec![
            usage("ACC-1", 11_840, 11_840, 0, 0),
            usage("ACC-2", 50_000, 50_000, 0, 0),
        ]);
        assert!(found.is_empty());
        assert_eq!(figures.billed, cents(61_840));
        assert_eq!(figures.rated, cents(61_840));
    }

    #[test]
    fn rated_usage_not_billed() {
        let (_, found) = run(vec![usage("ACC-1", 12_000, 11_840, 0, 0)]);
        let m = &found[0];
        assert_eq!(m.key, "usage:ACC-1:billed");
        assert_eq!(
            (m.expected, m.actual, m.variance),
            (cents(12_000), cents(11_840), cents(-160))
        );
        assert_eq!(m.severity, Severity::Low);
    }

    #[test]
    fn open_usage_exceptions_are_never_below_medium() {
        let (figures, found) = run(vec![usage("ACC-3", 0, 0, 2, 0), usage("ACC-4", 0, 0, 1, 120_000)]);
        assert_eq!(figures.open_exceptions, 3);
        let m = &found[0];
        assert_eq!(m.key, "usage:ACC-3:unprocessed");
        assert_eq!(
            (m.expected, m.actual, m.variance),
            (Money::ZERO, Money::ZERO, Money::ZERO)
        );
        assert_eq!(m.severity, Severity::Medium);
        assert_eq!(
            m.title,
            "2 usage events of account ACC-3 are still unprocessed or rerating"
        );
        let m = &found[1];
        assert_eq!(m.key, "usage:ACC-4:unprocessed");
        assert_eq!(m.variance, cents(120_000));
        assert_eq!(m.severity, Severity::High);
    }
}
