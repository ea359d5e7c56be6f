//! The usage lane: every usage event rated in the window is billed in the window, once, on
//! a usage line of its own account — checked line by line and event by event, never on an
//! account's total, where errors can cancel (docs/reconciliation.md, "A break never nets
//! away") — and no usage of the window is still waiting to be processed.
//!
//! Owns the usage lane; pure: must not read the snapshot or know the workflow.

use serde::{Deserialize, Serialize};

use super::{sorted, Context, Gap, Kind, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::Lane;
use crate::snapshot::queries::{AccountUsage, ControlTotals, SourceRows, UnbilledEvent, UsageLineFacts};

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
    /// When the usage is pre-aggregated (docs/usage-parquet.md): its control total and the
    /// aggregate's own sums.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<ControlTotals>,
}

/// An account's rated usage against its usage lines: no longer reported (its breaks are
/// the lines' and the events'), kept so a stored result that has it still reads.
pub const BILLED: &str = "billed";
pub const UNPROCESSED: &str = "unprocessed";
/// A usage line whose amount is not the rated amounts of its own account's events on it.
pub const LINE_EVENTS: &str = "events";
/// A usage event rated in the window that no usage line billed in the window carries (or,
/// pre-aggregated, the events of one account, day, kind and line).
pub const UNBILLED: &str = "unbilled";
/// Pre-aggregated usage whose event count, units or rated amount is not its control total.
pub const CONTROL_TOTAL: &str = "control-total";
/// The subject of the control-total check.
pub const AGGREGATE: &str = "usage_daily";

/// `lines`: the usage lines billed in the window; `unbilled`: the events rated in the
/// window that none of them carries.
pub fn check(
    ctx: Context<'_>,
    accounts: Vec<AccountUsage>,
    lines: impl IntoIterator<Item = UsageLineFacts>,
    unbilled: Vec<UnbilledEvent>,
    control: Option<ControlTotals>,
) -> (UsageFigures, Vec<Mismatch>) {
    let period = &ctx.period.id;
    let mut figures = UsageFigures::default();
    let mut found = Vec::new();
    if let Some(totals) = control {
        if !totals.ties() {
            found.push(ctx.mismatch(Gap {
                lane: Lane::Usage,
                kind: Kind::Tie,
                subject: AGGREGATE.to_string(),
                check: CONTROL_TOTAL,
                expected: totals.control_rated,
                actual: totals.aggregate_rated,
                title: format!(
                    "The pre-aggregated usage does not match its control total: {} events, {} units, {} rated \
                     against the control's {} events, {} units, {}",
                    totals.aggregate_event_count,
                    totals.aggregate_units,
                    totals.aggregate_rated,
                    totals.control_event_count,
                    totals.control_units,
                    totals.control_rated
                ),
                next_action: format!(
                    "Re-run the warehouse aggregate and its control total for {period} from the same events, \
                     then import again"
                ),
            }));
        }
        figures.control = Some(totals);
    }
    for usage in accounts {
        figures.rated += usage.rated;
        figures.billed += usage.billed;
        figures.open_exceptions += usage.open_events;
        figures.open_exception_amount += usage.open_amount;
        let account = &usage.account_id;
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
    for line in lines {
        if line.amount == line.events {
            continue;
        }
        let (id, account) = (&line.id, &line.account_id);
        let (title, next_action) = if line.foreign_count > 0 {
            (
                format!(
                    "Usage line {id} of account {account} carries {} event{} of another account",
                    line.foreign_count,
                    if line.foreign_count == 1 { "" } else { "s" }
                ),
                format!(
                    "Move the other account's events ({}) off line {id} and bill them to their own account; \
                     correct line {id} to its own events",
                    line.foreign_amount
                ),
            )
        } else if line.events.is_zero() {
            (
                format!("Usage line {id} of account {account} bills no rated event"),
                format!(
                    "Find the usage line {id} bills (billed twice?); credit it, or link the events it bills"
                ),
            )
        } else {
            (
                format!("Usage line {id} of account {account} does not equal its rated events"),
                format!(
                    "Compare line {id} with the events it carries for {period}; re-bill the difference or \
                     correct the rating"
                ),
            )
        };
        found.push(ctx.mismatch(Gap {
            lane: Lane::Usage,
            kind: Kind::Tie,
            subject: id.clone(),
            check: LINE_EVENTS,
            expected: line.events,
            actual: line.amount,
            title,
            next_action,
        }));
    }
    for event in unbilled {
        let (id, account) = (&event.id, &event.account_id);
        let on = match &event.invoice_line_id {
            Some(line) => format!(" (it names line {line}, which is not a usage line billed in {period})"),
            None => String::new(),
        };
        let (title, next_action) = match event.events {
            // Pre-aggregated: the events of one account, day and kind (and line).
            Some(n) => {
                let day_kind = id.split('/').skip(1).take(2).collect::<Vec<_>>().join(" ");
                (
                    format!(
                        "{n} usage event{} of account {account} ({day_kind}) rated in the window {} never billed{on}",
                        if n == 1 { "" } else { "s" },
                        if n == 1 { "was" } else { "were" }
                    ),
                    format!("Bill account {account}'s {day_kind} usage on a usage line of account {account} for {period}"),
                )
            }
            None => (
                format!("Usage event {id} of account {account} was rated in the window and never billed{on}"),
                format!("Bill event {id} on a usage line of account {account} for {period}"),
            ),
        };
        found.push(ctx.mismatch(Gap {
            lane: Lane::Usage,
            kind: Kind::Tie,
            subject: id.clone(),
            check: UNBILLED,
            expected: event.rated,
            actual: Money::ZERO,
            title,
            next_action,
        }));
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
        LINE_EVENTS => Trace {
            expected: vec![
                SourceRows::EventsOfLine(account),
                SourceRows::AggregatesOfLine(account),
            ],
            actual: vec![SourceRows::One("invoice_lines", account)],
        },
        // Pre-aggregated usage: its key (`ACCOUNT/DAY/KIND[/LINE]`; an event id has no `/`).
        UNBILLED if account.contains('/') => Trace {
            expected: vec![SourceRows::One("usage_daily", account)],
            actual: vec![],
        },
        UNBILLED => Trace {
            expected: vec![SourceRows::One("usage_events", account)],
            actual: vec![],
        },
        CONTROL_TOTAL => Trace {
            expected: vec![SourceRows::One("usage_control", "usage_control.parquet")],
            actual: vec![SourceRows::One("usage_daily", "usage_daily.parquet")],
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
        with_context(|ctx| check(ctx, accounts, Vec::new(), Vec::new(), None))
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
    fn breaks_are_found_per_line_and_per_event_even_when_the_account_ties() {
        let line = |id: &str, amount: i64, events: i64, foreign: (u64, i64)| UsageLineFacts {
            id: id.into(),
            account_id: "ACC-1".into(),
            amount: cents(amount),
            events: cents(events),
            foreign_count: foreign.0,
            foreign_amount: cents(foreign.1),
        };
        // ACC-1 rated 120.00 and billed 120.00 in total, yet: LN-1 bills 20.00 more than
        // its events, UE-9 (20.00) was never billed.
        let lines = vec![
            line("LN-1", 12_000, 10_000, (0, 0)),
            line("LN-2", 500, 0, (1, 500)),
        ];
        let unbilled = vec![UnbilledEvent {
            id: "UE-9".into(),
            account_id: "ACC-1".into(),
            rated: cents(2_000),
            invoice_line_id: None,
            events: None,
        }];
        let accounts = vec![usage("ACC-1", 12_000, 12_000, 0, 0)];
        let (_, found) = with_context(|ctx| check(ctx, accounts, lines, unbilled, None));
        let got: Vec<(&str, Money)> = found.iter().map(|m| (m.key.as_str(), m.variance)).collect();
        assert_eq!(
            got,
            [
                ("usage:LN-1:events", cents(2_000)),
                ("usage:LN-2:events", cents(500)),
                ("usage:UE-9:unbilled", cents(-2_000)),
            ]
        );
        assert_eq!(found[0].severity, Severity::Medium);
        assert!(found[1].title.contains("another account"), "{}", found[1].title);
    }

    #[test]
    fn open_usage_exceptions_are_never_below_medium() {
        let (figures, found) = run(vec![usage("ACC-3", 0, 0, 2, 0), usage("ACC-4", 0, 0, 1, 120_000)]);
        assert_eq!(figures.open_exceptions, 3);
        let m = &found[0];
        assert_eq!(m.key, "usage:ACC-3:unprocessed");
        assert_amounts(m, [0, 0, 0], Severity::Medium);
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
