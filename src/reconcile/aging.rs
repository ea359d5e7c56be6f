//! Aged AR: receivable invoices with a balance, by days past due at window end
//! (`window_end − due_date`). The buckets add up to closing AR.
//!
//! Owns the aging buckets from typed rows; pure: must not read the snapshot or format.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::snapshot::queries::AgingRow;

/// Balances by days past due at window end.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgingBuckets {
    /// Not yet due (0 days or fewer past due).
    pub current: Money,
    pub days_1_30: Money,
    pub days_31_60: Money,
    pub days_61_90: Money,
    pub over_90: Money,
    /// The sum of the buckets.
    pub total: Money,
}

add_fields!(AgingBuckets: current, days_1_30, days_31_60, days_61_90, over_90, total);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountAging {
    pub account_id: String,
    #[serde(flatten)]
    pub buckets: AgingBuckets,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aging {
    pub totals: AgingBuckets,
    /// Accounts with a balance, by account id.
    pub accounts: Vec<AccountAging>,
}

/// Aged AR from each account's bucketed balances.
pub fn aging(rows: Vec<AgingRow>) -> Aging {
    let mut aging = Aging::default();
    for row in rows {
        let buckets = AgingBuckets {
            current: row.current,
            days_1_30: row.days_1_30,
            days_31_60: row.days_31_60,
            days_61_90: row.days_61_90,
            over_90: row.over_90,
            total: row.current + row.days_1_30 + row.days_31_60 + row.days_61_90 + row.over_90,
        };
        aging.totals.add(&buckets);
        aging.accounts.push(AccountAging {
            account_id: row.account_id,
            buckets,
        });
    }
    aging
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::testing::cents;

    #[test]
    fn buckets_add_up_per_account_and_in_total() {
        let a = aging(vec![
            AgingRow {
                account_id: "ACC-1".into(),
                current: cents(100),
                days_1_30: cents(200),
                ..AgingRow::default()
            },
            AgingRow {
                account_id: "ACC-2".into(),
                days_61_90: cents(-50),
                over_90: cents(8_000),
                ..AgingRow::default()
            },
        ]);
        assert_eq!(a.accounts[0].buckets.total, cents(300));
        assert_eq!(a.accounts[1].buckets.total, cents(7_950));
        assert_eq!(a.totals.total, cents(8_250));
        assert_eq!(a.totals.over_90, cents(8_000));
        let json = serde_json::to_string(&a.accounts[0]).unwrap();
        assert_eq!(
            json,
            r#"{"account_id":"ACC-1","current":1.00,"days_1_30":2.00,"days_31_60":0.00,"days_61_90":0.00,"over_90":0.00,"total":3.00}"#
        );
    }
}
