//! 6. Revenue, separately — lane `revenue`.
//!
//! Each line of an invoice posted by window end is recognized by its revenue rule:
//! `immediate` on the invoice's posting date, `on_service_date` on its service start,
//! `ratable_daily` evenly over its service days — but never before the invoice is posted
//! (service delivered before posting is caught up on the posting date) and never after it
//! is voided (a void reverses everything the line had recognized, on the void date). Lines
//! of kind `tax` (sales tax and pass-through fees collected for others) are not revenue:
//! they recognize nothing and are owed to a third party. Posted and recognized are never
//! assumed equal.
//!
//! Owns check 6; pure: must not read the snapshot or know the workflow.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{sorted, Context, Gap, Kind, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::{Lane, LineKind, Period, RevenueRule};
use crate::snapshot::queries::{RevenueLine, RevenueSchedule, SourceRows};

/// Revenue figures of one rule, or of all revenue lines (never `tax` lines).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFigures {
    /// Lines of the close population (invoices posted in the window, not voided by its
    /// end).
    pub posted: Money,
    /// Recognized in the window, net of what voids in the window reversed.
    pub recognized: Money,
    /// Scheduled but not yet recognized at window end.
    pub deferred: Money,
    /// Lines that cannot be scheduled (see the `service-period` check): neither
    /// recognized nor deferred.
    pub unscheduled: Money,
    /// Recognized through the day before the window starts (by the lines' earlier
    /// periods).
    pub recognized_before_window: Money,
    /// Scheduled but not yet recognized at the end of the day before the window starts.
    pub deferred_at_window_start: Money,
    /// Revenue that voids in the window took back: everything their lines had recognized
    /// before the void (positive; `recognized` is already net of it).
    pub reversed_by_voids: Money,
}

add_fields!(RuleFigures: posted, recognized, deferred, unscheduled, recognized_before_window,
    deferred_at_window_start, reversed_by_voids);

impl RuleFigures {
    /// Recognized in the window before voids took anything back: what the GL's
    /// recognition entry books (deferred revenue to revenue).
    pub fn recognized_on_schedule(&self) -> Money {
        self.recognized + self.reversed_by_voids
    }
}

/// `tax` lines: amounts collected for a third party (sales tax, pass-through fees). They
/// recognize nothing; the GL books them to a liability.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiabilityFigures {
    /// `tax` lines of invoices posted in the window (whether or not voided since).
    pub billed_in_window: Money,
    /// `tax` lines of invoices voided in the window.
    pub voided_in_window: Money,
    /// `tax` lines of invoices posted and not voided at window end.
    pub on_invoices_at_window_end: Money,
}

/// One customer account's share of the figures the GL journal splits per account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountRevenue {
    pub account_id: String,
    pub tax_billed_in_window: Money,
    pub tax_voided_in_window: Money,
    pub reversed_by_voids: Money,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueFigures {
    pub total: RuleFigures,
    pub immediate: RuleFigures,
    pub ratable_daily: RuleFigures,
    pub on_service_date: RuleFigures,
    /// `tax` lines: not revenue.
    pub tax: LiabilityFigures,
    /// Per account, the accounts with a `tax` line or a void reversal in the window (for
    /// the GL journal by account); not stored, not in JSON.
    #[serde(skip)]
    pub accounts: Vec<AccountRevenue>,
}

pub const SERVICE_PERIOD: &str = "service-period";

/// Whether `line`'s invoice is on the books at the end of `day`: posted on or before it,
/// and not voided on or before it.
pub fn on_books(line: &RevenueLine, day: NaiveDate) -> bool {
    line.invoice_posted_at <= day && line.invoice_voided_at.is_none_or(|v| day < v)
}

/// Whether `line` is revenue at all: `tax` lines are a liability.
pub fn is_revenue(line: &RevenueLine) -> bool {
    line.kind != LineKind::Tax
}

/// What `line`'s rule schedules through `day` (inclusive), ignoring when the invoice was
/// posted or voided, or `None` when the line cannot be scheduled. Ratable lines schedule
/// `amount × days elapsed / days total`, truncated toward zero to the cent, so every
/// period's share adds up to the amount exactly.
pub fn scheduled_through(line: &RevenueLine, day: NaiveDate) -> Option<Money> {
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

/// Revenue of `line` recognized through `day` (inclusive), or `None` when the line cannot
/// be scheduled: its schedule while the invoice is on the books, nothing before it is
/// posted or from the day it is voided, and nothing ever for a `tax` line.
pub fn recognized_through(line: &RevenueLine, day: NaiveDate) -> Option<Money> {
    if !is_revenue(line) {
        return Some(Money::ZERO);
    }
    let scheduled = scheduled_through(line, day)?;
    Some(if on_books(line, day) {
        scheduled
    } else {
        Money::ZERO
    })
}

/// Revenue of `line` deferred at the end of `day`: on the books and not yet recognized.
pub fn deferred_at(line: &RevenueLine, day: NaiveDate) -> Option<Money> {
    if !is_revenue(line) || !on_books(line, day) {
        return Some(Money::ZERO);
    }
    Some(line.amount - scheduled_through(line, day)?)
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

/// The figures of one revenue line for the window, or `None` when it cannot be scheduled.
/// Always `recognized_before_window + recognized + deferred` = the line's amount when its
/// invoice is on the books at window end, 0.00 when it was voided by then.
pub fn line_figures(
    line: &RevenueLine,
    window_start: NaiveDate,
    window_end: NaiveDate,
) -> Option<RuleFigures> {
    let before = window_start.pred_opt();
    let at = |f: fn(&RevenueLine, NaiveDate) -> Option<Money>| match before {
        Some(day) => f(line, day),
        None => Some(Money::ZERO),
    };
    let through_end = recognized_through(line, window_end)?;
    let before_window = at(recognized_through)?;
    let in_window = |d: NaiveDate| window_start <= d && d <= window_end;
    let mut f = RuleFigures {
        recognized_before_window: before_window,
        recognized: through_end - before_window,
        deferred: deferred_at(line, window_end)?,
        deferred_at_window_start: at(deferred_at)?,
        ..RuleFigures::default()
    };
    if in_window(line.invoice_posted_at) && on_books(line, window_end) {
        f.posted = line.amount;
    }
    if let Some(voided) = line.invoice_voided_at.filter(|v| in_window(*v)) {
        // Everything recognized up to the day before the void is taken back on it.
        f.reversed_by_voids = voided
            .pred_opt()
            .and_then(|day| recognized_through(line, day))
            .unwrap_or(Money::ZERO);
    }
    Some(f)
}

/// A line's revenue rule with its service start and end: whether a line can be scheduled
/// depends on these alone.
pub type ServicePeriod = (RevenueRule, Option<NaiveDate>, Option<NaiveDate>);

/// `line`'s service period, with its rule.
pub fn service_period(line: &RevenueLine) -> ServicePeriod {
    (line.rule, line.service_start, line.service_end)
}

/// Check 6's figures from the revenue schedules; each schedule counts as its lines, one by
/// one (docs/reconciliation.md, "Revenue schedules"). Also the service periods of lines that
/// cannot be scheduled but are on the books at window end: [`cannot_be_scheduled`] names
/// those lines.
pub fn check(
    ctx: Context<'_>,
    schedules: impl IntoIterator<Item = RevenueSchedule>,
) -> (RevenueFigures, BTreeSet<ServicePeriod>) {
    let period = ctx.period;
    let mut figures = RevenueFigures::default();
    let mut accounts: BTreeMap<String, AccountRevenue> = BTreeMap::new();
    let mut unschedulable = BTreeSet::new();
    for RevenueSchedule { line, lines } in schedules {
        // Equal lines add equal figures: adding them once per line keeps every sum exactly
        // what the lines add up to.
        for _ in 0..lines {
            add_line(period, &line, &mut figures, &mut accounts, &mut unschedulable);
        }
    }
    figures.accounts = accounts
        .into_iter()
        .map(|(account_id, a)| AccountRevenue { account_id, ..a })
        .collect();
    (figures, unschedulable)
}

/// Where a revenue line (not tax) stands for the window.
enum Scheduling {
    /// It can be scheduled: its figures ([`line_figures`]).
    Scheduled(RuleFigures),
    /// It cannot be scheduled and is on the books at window end: its amount is
    /// `unscheduled`, and [`cannot_be_scheduled`] names it.
    Unschedulable,
    /// It cannot be scheduled but was voided by window end: it carries nothing.
    VoidedUnschedulable,
}

/// Where `line`, a revenue line, stands for `period`'s window.
fn scheduling(line: &RevenueLine, period: &Period) -> Scheduling {
    match line_figures(line, period.window_start, period.window_end) {
        Some(f) => Scheduling::Scheduled(f),
        None if on_books(line, period.window_end) => Scheduling::Unschedulable,
        None => Scheduling::VoidedUnschedulable,
    }
}

/// Adds what one line recognizes, defers and owes to `figures` (and to its account's, for
/// tax lines and void reversals); notes its service period when it cannot be scheduled.
fn add_line(
    period: &Period,
    line: &RevenueLine,
    figures: &mut RevenueFigures,
    accounts: &mut BTreeMap<String, AccountRevenue>,
    unschedulable: &mut BTreeSet<ServicePeriod>,
) {
    let voided_in_window = line
        .invoice_voided_at
        .is_some_and(|v| period.in_window(v) && line.invoice_posted_at <= v);
    if !is_revenue(line) {
        let tax = &mut figures.tax;
        let billed = period.in_window(line.invoice_posted_at);
        if billed {
            tax.billed_in_window += line.amount;
        }
        if voided_in_window {
            tax.voided_in_window += line.amount;
        }
        if on_books(line, period.window_end) {
            tax.on_invoices_at_window_end += line.amount;
        }
        if billed || voided_in_window {
            let acc = accounts.entry(line.account_id.clone()).or_default();
            if billed {
                acc.tax_billed_in_window += line.amount;
            }
            if voided_in_window {
                acc.tax_voided_in_window += line.amount;
            }
        }
        return;
    }
    let line_figures = match scheduling(line, period) {
        Scheduling::Scheduled(f) => f,
        Scheduling::VoidedUnschedulable => return,
        Scheduling::Unschedulable => {
            unschedulable.insert(service_period(line));
            RuleFigures {
                unscheduled: line.amount,
                posted: if period.in_window(line.invoice_posted_at) {
                    line.amount
                } else {
                    Money::ZERO
                },
                ..RuleFigures::default()
            }
        }
    };
    if !line_figures.reversed_by_voids.is_zero() {
        accounts
            .entry(line.account_id.clone())
            .or_default()
            .reversed_by_voids += line_figures.reversed_by_voids;
    }
    figures.total.add(&line_figures);
    match line.rule {
        RevenueRule::Immediate => figures.immediate.add(&line_figures),
        RevenueRule::RatableDaily => figures.ratable_daily.add(&line_figures),
        RevenueRule::OnServiceDate => figures.on_service_date.add(&line_figures),
    }
}

/// A mismatch for each of `lines` that cannot be scheduled but is on the books at window
/// end (its amount is in the figures' `unscheduled`).
pub fn cannot_be_scheduled(ctx: Context<'_>, lines: impl IntoIterator<Item = RevenueLine>) -> Vec<Mismatch> {
    let p = ctx.period;
    let found = lines
        .into_iter()
        .filter(|line| is_revenue(line) && matches!(scheduling(line, p), Scheduling::Unschedulable))
        .map(|line| {
            let why = unschedulable(&line).unwrap_or("its service dates are missing");
            let id = &line.id;
            ctx.mismatch(Gap {
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
            })
        })
        .collect();
    sorted(found)
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
            account_id: "ACC-1".into(),
            kind: LineKind::Recurring,
            amount: cents(amount),
            rule,
            invoice_posted_at: date(posted),
            invoice_voided_at: None,
            service_start: service.0.map(date),
            service_end: service.1.map(date),
        }
    }

    /// 100.00 ratable over March 30 ..= April 1 (three days), posted March 1.
    fn hundred_over_three_days(id: &str) -> RevenueLine {
        line(
            id,
            RevenueRule::RatableDaily,
            10_000,
            "2026-03-01",
            (Some("2026-03-30"), Some("2026-04-01")),
        )
    }

    /// A rule's figures as the tests compare them: posted, recognized, deferred.
    fn posted_recognized_deferred(f: &RuleFigures) -> (Money, Money, Money) {
        (f.posted, f.recognized, f.deferred)
    }

    fn voided(mut l: RevenueLine, on: &str) -> RevenueLine {
        l.invoice_voided_at = Some(date(on));
        l
    }

    fn tax(id: &str, amount: i64, posted: &str) -> RevenueLine {
        RevenueLine {
            kind: LineKind::Tax,
            ..line(id, RevenueRule::Immediate, amount, posted, (None, None))
        }
    }

    /// Each line as a schedule of its own, and the lines of the service periods `check`
    /// returns to `cannot_be_scheduled`, as the engine runs them.
    fn run(lines: Vec<RevenueLine>) -> (RevenueFigures, Vec<Mismatch>) {
        with_context(|ctx| {
            let each = lines.iter().map(|line| RevenueSchedule {
                line: line.clone(),
                lines: 1,
            });
            let (figures, periods) = check(ctx, each);
            let named = lines.into_iter().filter(|l| periods.contains(&service_period(l)));
            (figures, cannot_be_scheduled(ctx, named))
        })
    }

    #[test]
    fn ratable_revenue_truncates_cumulatively_and_adds_up() {
        // 100.00 over 3 days, one in each of three "windows".
        let l = hundred_over_three_days("LN-1");
        let through = |d: &str| recognized_through(&l, date(d)).unwrap();
        assert_eq!(through("2026-03-29"), Money::ZERO);
        assert_eq!(through("2026-03-30"), cents(3_333));
        assert_eq!(through("2026-03-31"), cents(6_666));
        assert_eq!(through("2026-04-01"), cents(10_000));
        assert_eq!(through("2027-01-01"), cents(10_000));
        let (figures, found) = run(vec![l]);
        assert!(found.is_empty());
        assert_eq!(
            posted_recognized_deferred(&figures.ratable_daily),
            (cents(10_000), cents(6_666), cents(3_334))
        );
    }

    #[test]
    fn a_schedule_of_equal_ratable_lines_counts_each_line_not_their_sum() {
        // Three lines of 100.00 over March 30 – April 1, the window ending March 31: each
        // recognizes 66.66 (by hand: 10,000 × 2 / 3 = 6,666.67, truncated), 199.98 in all —
        // not 300.00 × 2 / 3 = 200.00.
        let one = hundred_over_three_days("");
        let (figures, periods) = with_context(|ctx| check(ctx, [RevenueSchedule { line: one, lines: 3 }]));
        assert!(periods.is_empty());
        assert_eq!(
            posted_recognized_deferred(&figures.ratable_daily),
            (cents(30_000), cents(19_998), cents(10_002))
        );
        assert_eq!(figures.total, figures.ratable_daily);
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
                recognized_before_window: cents(8_000),
                deferred_at_window_start: Money::ZERO,
                reversed_by_voids: Money::ZERO,
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
        assert_eq!(
            keys(&found),
            [
                "revenue:LN-1:service-period",
                "revenue:LN-2:service-period",
                "revenue:LN-3:service-period",
            ]
        );
        let m = &found[0];
        assert_amounts(m, [100_000, 0, -100_000], Severity::High);
        assert_eq!(found[1].severity, Severity::Low);
        assert_eq!(found[2].severity, Severity::Critical);
        assert_eq!(
            found[1].title,
            "Line LN-2 cannot be scheduled for revenue: its ratable service period ends before it starts"
        );
    }

    #[test]
    fn tax_lines_recognize_nothing_and_are_owed() {
        // 100.00 of service and 8.25 of sales tax posted in March; 5.00 of tax on a
        // February invoice.
        let (figures, found) = run(vec![
            line("LN-S", RevenueRule::Immediate, 10_000, "2026-03-04", (None, None)),
            tax("LN-T", 825, "2026-03-04"),
            tax("LN-T0", 500, "2026-02-10"),
        ]);
        assert!(found.is_empty());
        assert_eq!(
            posted_recognized_deferred(&figures.total),
            (cents(10_000), cents(10_000), Money::ZERO)
        );
        assert_eq!(
            figures.tax,
            LiabilityFigures {
                billed_in_window: cents(825),
                voided_in_window: Money::ZERO,
                on_invoices_at_window_end: cents(825 + 500),
            }
        );
        assert_eq!(figures.accounts[0].tax_billed_in_window, cents(825));
    }

    #[test]
    fn a_void_in_the_window_reverses_what_earlier_periods_recognized() {
        // Immediate 300.00 posted in January: recognized then. Ratable 310.00 over
        // February 1 ..= March 31 (59 days) posted January 25: through February 28 it has
        // recognized 310.00 × 28 / 59 = 147.1186… → 147.11. Both voided March 10: through
        // March 9 the ratable line had recognized 310.00 × 37 / 59 = 194.4067… → 194.40.
        let (figures, found) = run(vec![
            voided(
                line("LN-I", RevenueRule::Immediate, 30_000, "2026-01-15", (None, None)),
                "2026-03-10",
            ),
            voided(
                line(
                    "LN-R",
                    RevenueRule::RatableDaily,
                    31_000,
                    "2026-01-25",
                    (Some("2026-02-01"), Some("2026-03-31")),
                ),
                "2026-03-10",
            ),
        ]);
        assert!(found.is_empty());
        let t = &figures.total;
        // Before the window: 300.00 + 147.11 = 447.11; the window takes it all back.
        assert_eq!(t.recognized_before_window, cents(44_711));
        assert_eq!(
            posted_recognized_deferred(t),
            (Money::ZERO, cents(-44_711), Money::ZERO)
        );
        // Deferred at window start: 310.00 − 147.11 = 162.89.
        assert_eq!(t.deferred_at_window_start, cents(16_289));
        // The void took back 300.00 + 194.40 = 494.40; on schedule in March before the
        // void: 194.40 − 147.11 = 47.29 = −447.11 + 494.40.
        assert_eq!(t.reversed_by_voids, cents(49_440));
        assert_eq!(t.recognized_on_schedule(), cents(4_729));
    }

    #[test]
    fn service_before_posting_is_caught_up_on_the_posting_date() {
        // 1,000.00 ratable over February 15 ..= March 16 (30 days), billed in arrears on
        // March 2: nothing before March; through March 31 all of it.
        let l = line(
            "LN-A",
            RevenueRule::RatableDaily,
            100_000,
            "2026-03-02",
            (Some("2026-02-15"), Some("2026-03-16")),
        );
        assert_eq!(recognized_through(&l, date("2026-02-28")), Some(Money::ZERO));
        assert_eq!(recognized_through(&l, date("2026-03-01")), Some(Money::ZERO));
        // March 2: 16 days of 30 → 533.33.
        assert_eq!(recognized_through(&l, date("2026-03-02")), Some(cents(53_333)));
        let (figures, _) = run(vec![l]);
        assert_eq!(figures.total.recognized_before_window, Money::ZERO);
        assert_eq!(figures.total.recognized, cents(100_000));
        assert_eq!(figures.total.deferred, Money::ZERO);
        assert_eq!(figures.total.deferred_at_window_start, Money::ZERO);
    }
}
