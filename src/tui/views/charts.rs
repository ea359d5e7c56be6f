//! Charts (`c` from the overview): aged AR by bucket, open variance by lane and severity, revenue
//! recognized against deferred, and the roll-forward as a waterfall from opening to closing
//! AR — each a ratatui bar chart whose labels carry the exact amounts, so it reads the same
//! without colour. Owns the chart figures (built once per load from the overview) and their
//! draw; no keys of its own beyond the global ones.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Paragraph};
use ratatui::Frame;

use crate::money::Money;
use crate::reconcile::aging::AgingBuckets;
use crate::reconcile::Overview;
use crate::snapshot::model::{Lane, Severity};
use crate::tui::action::{Action, Binding};
use crate::tui::app::App;
use crate::tui::data::Item;
use crate::tui::theme::Theme;

/// The figures the charts draw, from one reconciliation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Charts {
    /// (bucket, amount): current, 1–30, 31–60, 61–90, 91+ days past due.
    pub aging: Vec<(&'static str, Money)>,
    /// (lane, severity, open mismatches, their open variance as an absolute sum), for each
    /// lane and severity with any, most severe first within a lane.
    pub variance: Vec<(Lane, Severity, usize, Money)>,
    /// (what, amount): recognized in the window, deferred at window end, reversed by voids.
    pub revenue: Vec<(&'static str, Money)>,
    /// (step, signed amount): opening, posted, disbursed, pulled back, adjustments, voids;
    /// the last entry is closing AR (the sum).
    pub waterfall: Vec<(&'static str, Money)>,
}

/// The aging buckets, labelled: current, 1-30, 31-60, 61-90, 91+ days past due (the lane
/// figures of the aging table add the total).
pub fn aging_buckets(a: &AgingBuckets) -> [(&'static str, Money); 5] {
    [
        ("current", a.current),
        ("1-30", a.days_1_30),
        ("31-60", a.days_31_60),
        ("61-90", a.days_61_90),
        ("91+", a.over_90),
    ]
}

impl Charts {
    /// Per lane and severity with open mismatches: how many, and their open variance
    /// (absolute sum).
    pub fn variance_of(items: &[Item]) -> Vec<(Lane, Severity, usize, Money)> {
        let mut out = Vec::new();
        for &lane in Lane::ALL.iter() {
            for severity in [
                Severity::Critical,
                Severity::High,
                Severity::Medium,
                Severity::Low,
            ] {
                let open: Vec<&Item> = items
                    .iter()
                    .filter(|i| i.is_open() && i.mismatch.lane == lane && i.mismatch.severity == severity)
                    .collect();
                if !open.is_empty() {
                    let sum: Money = open.iter().map(|i| i.corrected.2.abs()).sum();
                    out.push((lane, severity, open.len(), sum));
                }
            }
        }
        out
    }

    pub fn of(overview: &Overview, items: &[Item]) -> Charts {
        let a = &overview.aging;
        let rf = &overview.steps.rollforward;
        let revenue = &overview.steps.revenue.total;
        let variance = Charts::variance_of(items);
        Charts {
            aging: aging_buckets(a).to_vec(),
            variance,
            revenue: vec![
                ("recognized", revenue.recognized),
                ("deferred", revenue.deferred),
                ("reversed", revenue.reversed_by_voids),
            ],
            waterfall: rf.movements().to_vec(),
        }
    }
}

/// The charts' own keys: none; Esc or `1` goes back (global).
pub fn bindings() -> Vec<Binding> {
    Vec::new()
}

impl App {
    pub(crate) fn update_charts(&mut self, _action: Action) -> Vec<crate::tui::data::Request> {
        Vec::new()
    }
}

/// A magnitude for a bar: cents as a positive count, saturating.
fn size(m: Money) -> u64 {
    m.cents().unsigned_abs()
}

/// One horizontal bar chart: a label per bar carrying its exact amount, the bar its size.
fn chart<'a>(title: &'a str, rows: Vec<(String, Money, Style)>, theme: &Theme) -> BarChart<'a> {
    let width = rows.iter().map(|(l, _, _)| l.chars().count()).max().unwrap_or(0);
    let bars: Vec<Bar> = rows
        .into_iter()
        .map(|(label, amount, style)| {
            Bar::default()
                .value(size(amount))
                .label(Line::from(format!("{label:<width$}")))
                .text_value(String::new())
                .style(style)
        })
        .collect();
    BarChart::default()
        .block(Block::default().borders(Borders::ALL).title(format!(" {title} ")))
        .direction(Direction::Horizontal)
        .bar_width(1)
        .bar_gap(0)
        .bar_style(theme.base())
        .data(BarGroup::default().bars(&bars))
}

fn amount_label(name: &str, m: Money) -> String {
    format!("{name} {:>12}", m.grouped())
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(data) = &app.data else { return };
    let c = &data.charts;
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .split(area);
    let top = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .split(rows[0]);
    let bottom = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .split(rows[1]);

    let aging: Vec<(String, Money, Style)> = c
        .aging
        .iter()
        .map(|(bucket, m)| {
            let style = if *bucket == "current" {
                theme.ok()
            } else {
                theme.warn()
            };
            (amount_label(&format!("{bucket:<7}"), *m), *m, style)
        })
        .collect();
    frame.render_widget(chart("Aged AR (days past due)", aging, theme), top[0]);

    if c.variance.is_empty() {
        frame.render_widget(
            Paragraph::new("Every lane ties: no open variance.").block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" Open variance by lane "),
            ),
            top[1],
        );
    } else {
        let variance: Vec<(String, Money, Style)> = c
            .variance
            .iter()
            .map(|(lane, severity, n, m)| {
                let name = format!(
                    "{:<9}{:<7}{n:>2}",
                    super::overview::lane_short(*lane),
                    severity.as_str()
                );
                (
                    format!("{name} {:>10}", m.grouped()),
                    *m,
                    theme.severity(*severity),
                )
            })
            .collect();
        frame.render_widget(
            chart("Open variance: lane, severity, count", variance, theme),
            top[1],
        );
    }

    let revenue: Vec<(String, Money, Style)> = c
        .revenue
        .iter()
        .map(|(what, m)| (amount_label(&format!("{what:<10}"), *m), *m, theme.base()))
        .collect();
    frame.render_widget(chart("Revenue in the window", revenue, theme), bottom[0]);

    waterfall(frame, bottom[1], &c.waterfall, theme);
}

/// The roll-forward as a waterfall: opening AR and closing AR as bars from zero, each step
/// between them floating from the running total before it to the one after it — `█` for
/// a step that raises AR, `▒` for one that lowers it, so it reads without colour.
fn waterfall(frame: &mut Frame, area: Rect, steps: &[(&'static str, Money)], theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Roll-forward: opening to closing AR ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let labels: Vec<String> = steps
        .iter()
        .enumerate()
        .map(|(i, (step, m))| {
            let ends = i == 0 || i + 1 == steps.len();
            let sign = if ends || m.is_zero() {
                " "
            } else if m.is_negative() {
                "−"
            } else {
                "+"
            };
            amount_label(&format!("{sign}{step:<11}"), m.abs())
        })
        .collect();
    let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let room = (inner.width as usize).saturating_sub(label_width + 1).max(1) as i128;
    // Running totals: where each bar starts and ends, in cents.
    let mut spans: Vec<(i128, i128)> = Vec::with_capacity(steps.len());
    let mut total: i128 = 0;
    for (i, (_, m)) in steps.iter().enumerate() {
        let cents = m.cents() as i128;
        if i == 0 || i + 1 == steps.len() {
            spans.push((0, cents));
            total = cents;
        } else {
            spans.push((total, total + cents));
            total += cents;
        }
    }
    let low = spans.iter().map(|(a, b)| *a.min(b)).min().unwrap_or(0).min(0);
    let high = spans.iter().map(|(a, b)| *a.max(b)).max().unwrap_or(0).max(1);
    let cell = |v: i128| ((v - low) * room / (high - low).max(1)) as usize;
    let lines: Vec<Line> = spans
        .iter()
        .zip(&labels)
        .zip(steps)
        .map(|(((a, b), label), (_, m))| {
            let (from, to) = (cell(*a.min(b)), cell(*a.max(b)));
            let len = (to - from).max(usize::from(*a != *b));
            let mark = if m.is_negative() { "▒" } else { "█" };
            Line::from(format!(
                "{label:<label_width$} {}{}",
                " ".repeat(from),
                mark.repeat(len)
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).style(theme.base()), inner);
}
