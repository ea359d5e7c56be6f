//! 6. Revenue, separately — lane `revenue`.
//!
//! Each line of a receivable invoice is recognized by its revenue rule: `immediate` on the
//! invoice's posting date, `on_service_date` on its service start, `ratable_daily` evenly
//! over its service days. Posted and recognized are never assumed equal.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{sorted, Context, Gap, Kind, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::{Lane, RevenueRule};
use crate::snapshot::queries::{RevenueLine, SourceRows};

/// Revenue figures of one rule, or of all lines.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFigures {
    /// Lines of the close population.
    pub posted: Money,
    /// Recognized in the window.
    pub recognized: Money,
    /// Scheduled but not yet recognized at window end.
    pub deferred: Money,
    /// Lines that cannot be scheduled (see the `service-period` check): neither
    /// recognized nor deferred.
    pub unscheduled: Money,
}

impl RuleFigures {
    fn add(&mut self, other: &RuleFigures) {
        self.posted += other.posted;
        self.recognized += other.recognized;
        self.deferred += other.deferred;
        self.unscheduled += other.unscheduled;
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueFigures {
    pub total: RuleFigures,
    pub immediate: RuleFigures,
    pub ratable_daily: RuleFigures,
    pub on_service_date: RuleFigures,
}

pub const SERVICE_PERIOD: &str = "service-period";

/// Revenue of `line` recognized through `day` (inclusive), or `None` when the line cannot
/// be scheduled. Ratable lines recognize `amount × days elapsed / days total`, truncated
/// toward zero to the cent, so every period's share adds up to the amount exactly.
pub fn recognized_through(line: &RevenueLine, day: NaiveDate) -> Option<Money> {
    let all_or_nothing = |on: NaiveDate| if on <= day { line.amount } else { Money::ZERO };
    match line.rule {
        RevenueRule::Immediate => Some(all_or_nothing(line.invoice_posted_at)),
        RevenueRule::OnServiceDate => line.service_start.map(all_or_nothing),
        RevenueRule::RatableDaily => {
            let (start, end) = (line.service_start?, line.service_end?);
            if end < start {
                return None;
            }
            let days_total = (end - start).num_days() + 1;
            let days_elapsed = ((day - start).num_days() + 1).clamp(0, days_total);
            Some(line.amount.allocate(days_elapsed, days_total))
        }
    }
}

/// Why a line cannot be scheduled, in finance words; `None` when it can.
fn unschedulable(line: &RevenueLine) -> Option<&'static str> {
    match (line.rule, line.service_start, line.service_end) {
        (RevenueRule::RatableDaily, Some(start), Some(end)) if end < start => {
            Some("its ratable service period ends before it starts")
        }
        (RevenueRule::RatableDaily, Some(_), Some(_)) => None,
        (RevenueRule::RatableDaily, _, _) => Some("it is ratable but lacks a service start or end"),
        (RevenueRule::OnServiceDate, None, _) => Some("it is recognized on its service date but has none"),
        _ => None,
    }
}

pub fn check(
    ctx: Context<'_>,
    lines: impl IntoIterator<Item = RevenueLine>,
) -> (RevenueFigures, Vec<Mismatch>) {
    let period = ctx.period;
    let mut figures = RevenueFigures::default();
    let mut found = Vec::new();
    for line in lines {
        let mut line_figures = RuleFigures::default();
        if period.in_window(line.invoice_posted_at) {
            line_figures.posted = line.amount;
        }
        match recognized_through(&line, period.window_end) {
            Some(through_end) => {
                let before_window = period
                    .window_start
                    .pred_opt()
                    .and_then(|day| recognized_through(&line, day))
                    .unwrap_or(Money::ZERO);
                line_figures.recognized = through_end - before_window;
                line_figures.deferred = line.amount - through_end;
            }
            None => {
                line_figures.unscheduled = line.amount;
                let why = unschedulable(&line).unwrap_or("its service dates are missing");
                let id = &line.id;
                found.push(ctx.mismatch(Gap {
                    lane: Lane::Revenue,
                    kind: Kind::Tie,
                    subject: id.clone(),
                    check: SERVICE_PERIOD,
                    expected: line.amount,
                    actual: Money::ZERO,
                    title: format!("Line {id} cannot be scheduled for revenue: {why}"),
                    next_action: format!(
                        "Add the service period to line {id} in billing (or change its revenue rule) so its \
                         revenue can be scheduled"
                    ),
                }));
            }
        }
        figures.total.add(&line_figures);
        match line.rule {
            RevenueRule::Immediate => figures.immediate.add(&line_figures),
            RevenueRule::RatableDaily => figures.ratable_daily.add(&line_figures),
            RevenueRule::OnServiceDate => figures.on_service_date.add(&line_figures),
        }
    }
    (figures, sorted(found))
}

/// The source rows behind a mismatch of this check: the line; nothing is scheduled.
pub fn trace(m: &Mismatch) -> Trace<'_> {
    Trace {
        expected: vec![SourceRows::One("invoice_lines", &m.subject)],
        actual: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::testing::*;
    use crate::snapshot::model::Severity;

    fn line(
        id: &str,
        rule: RevenueRule,
        amount: i64,
        posted: &str,
        service: (Option<&str>, Option<&str>),
    ) -> RevenueLine {
        RevenueLine {
            id: id.into(),
            amount: cents(amount),
            rule,
            invoice_posted_at: date(posted),
            service_start: service.0.map(date),
            service_end: service.1.map(date),
        }
    }

    fn run(lines: Vec<RevenueLine>) -> (RevenueFigures, Vec<Mismatch>) {
        let period = period();
        let owners = owners(&period);
        check(
            Context {
                period: &period,
                owners: &owners,
            },
            lines,
        )
    }

    #[test]
    fn ratable_revenue_truncates_cumulatively_and_adds_up() {
        // 100.00 over 3 days, one in each of three "windows".
        let l = line(
            "LN-1",
            RevenueRule::RatableDaily,
            10_000,
            "2026-03-01",
            (Some("2026-03-30"), Some("2026-04-01")),
        );
        let through = |d: &str| recognized_through(&l, date(d)).unwrap();
        assert_eq!(through("2026-03-29"), Money::ZERO);
        assert_eq!(through("2026-03-30"), cents(3_333));
        assert_eq!(through("2026-03-31"), cents(6_666));
        assert_eq!(through("2026-04-01"), cents(10_000));
        assert_eq!(through("2027-01-01"), cents(10_000));
        let (figures, found) = run(vec![l]);
        assert!(found.is_empty());
        assert_eq!(figures.ratable_daily.posted, cents(10_000));
        assert_eq!(figures.ratable_daily.recognized, cents(6_666));
        assert_eq!(figures.ratable_daily.deferred, cents(3_334));
    }

    #[test]
    fn negative_ratable_lines_truncate_toward_zero() {
        let l = line(
            "LN-2",
            RevenueRule::RatableDaily,
            -10_000,
            "2026-03-01",
            (Some("2026-03-31"), Some("2026-04-02")),
        );
        assert_eq!(recognized_through(&l, date("2026-03-31")), Some(cents(-3_333)));
    }

    #[test]
    fn each_rule_recognizes_on_its_own_day() {
        let (figures, found) = run(vec![
            // Posted before the window, recognized then.
            line("LN-A", RevenueRule::Immediate, 8_000, "2025-11-15", (None, None)),
            line(
                "LN-B",
                RevenueRule::Immediate,
                13_160,
                "2026-03-02",
                (Some("2026-02-01"), None),
            ),
            line(
                "LN-C",
                RevenueRule::OnServiceDate,
                150_000,
                "2026-03-05",
                (Some("2026-03-05"), None),
            ),
            line(
                "LN-D",
                RevenueRule::OnServiceDate,
                20_000,
                "2026-03-20",
                (Some("2026-04-05"), None),
            ),
            // Spans February and March: 1,000.00 over 30 days, 14 of them in February.
            line(
                "LN-E",
                RevenueRule::RatableDaily,
                100_000,
                "2026-01-20",
                (Some("2026-02-15"), Some("2026-03-16")),
            ),
        ]);
        assert!(found.is_empty());
        assert_eq!(
            figures.immediate,
            RuleFigures {
                posted: cents(13_160),
                recognized: cents(13_160),
                deferred: Money::ZERO,
                unscheduled: Money::ZERO,
            }
        );
        assert_eq!(figures.on_service_date.recognized, cents(150_000));
        assert_eq!(figures.on_service_date.deferred, cents(20_000));
        assert_eq!(figures.ratable_daily.posted, Money::ZERO);
        // 1,000.00 − 466.66 (through February 28th).
        assert_eq!(figures.ratable_daily.recognized, cents(53_334));
        assert_eq!(figures.total.recognized, cents(13_160 + 150_000 + 53_334));
        assert_eq!(figures.total.posted, cents(13_160 + 150_000 + 20_000));
    }

    #[test]
    fn lines_that_cannot_be_scheduled() {
        let (figures, found) = run(vec![
            line(
                "LN-1",
                RevenueRule::RatableDaily,
                100_000,
                "2026-03-02",
                (Some("2026-03-01"), None),
            ),
            line(
                "LN-2",
                RevenueRule::RatableDaily,
                200,
                "2026-03-02",
                (Some("2026-03-31"), Some("2026-03-01")),
            ),
            line(
                "LN-3",
                RevenueRule::OnServiceDate,
                600_000,
                "2026-03-02",
                (None, Some("2026-03-31")),
            ),
        ]);
        assert_eq!(figures.total.unscheduled, cents(700_200));
        assert_eq!(figures.total.recognized, Money::ZERO);
        assert_eq!(figures.total.deferred, Money::ZERO);
        let keys: Vec<&str> = found.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "revenue:LN-1:service-period",
                "revenue:LN-2:service-period",
                "revenue:LN-3:service-period",
            ]
        );
        let m = &found[0];
        assert_eq!(
            (m.expected, m.actual, m.variance),
            (cents(100_000), Money::ZERO, cents(-100_000))
        );
        assert_eq!(m.severity, Severity::High);
        assert_eq!(found[1].severity, Severity::Low);
        assert_eq!(found[2].severity, Severity::Critical);
        assert_eq!(
            found[1].title,
            "Line LN-2 cannot be scheduled for revenue: its ratable service period ends before it starts"
        );
    }
}
