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
    /// (lane, severity, open mismatches, their open variance as an absolute sum — the
    /// bar —, and as a signed sum), for each lane and severity with any, most severe first
    /// within a lane.
    pub variance: Vec<(Lane, Severity, usize, Money, Money)>,
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
    /// (absolute sum, then signed sum).
    pub fn variance_of(items: &[Item]) -> Vec<(Lane, Severity, usize, Money, Money)> {
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
                    let abs: Money = open.iter().map(|i| i.corrected.2.abs()).sum();
                    let net: Money = open.iter().map(|i| i.corrected.2).sum();
                    out.push((lane, severity, open.len(), abs, net));
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

/// Labels a chart's bars: each name and its amount in words, the names in one column and
/// the amounts right-aligned in the next, however wide the largest amount is.
fn labelled<T>(rows: Vec<(String, String, T)>) -> Vec<(String, T)> {
    let name_w = rows.iter().map(|(n, _, _)| n.chars().count()).max().unwrap_or(0);
    let amount_w = rows.iter().map(|(_, a, _)| a.chars().count()).max().unwrap_or(0);
    rows.into_iter()
        .map(|(name, amount, t)| (format!("{name:<name_w$} {amount:>amount_w$}"), t))
        .collect()
}

/// [`labelled`] rows of a chart whose bars are the amounts shown.
fn amount_rows<'a>(rows: impl Iterator<Item = (&'a str, Money, Style)>) -> Vec<(String, Money, Style)> {
    labelled(
        rows.map(|(name, m, style)| (name.to_string(), m.grouped(), (m, style)))
            .collect(),
    )
    .into_iter()
    .map(|(label, (m, style))| (label, m, style))
    .collect()
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

    let aging = amount_rows(c.aging.iter().map(|(bucket, m)| {
        let style = if *bucket == "current" {
            theme.ok()
        } else {
            theme.warn()
        };
        (*bucket, *m, style)
    }));
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
        // Lane, severity and count each in a column of its own width; the amount is the
        // variance signed, or of both signs the sum of sizes (`|…|`), which the bar draws.
        let lane_w = c
            .variance
            .iter()
            .map(|v| super::overview::lane_short(v.0).len())
            .max()
            .unwrap_or(0);
        let severity_w = c.variance.iter().map(|v| v.1.as_str().len()).max().unwrap_or(0);
        let count_w = c
            .variance
            .iter()
            .map(|v| v.2.to_string().len())
            .max()
            .unwrap_or(0);
        let variance: Vec<(String, Money, Style)> = labelled(
            c.variance
                .iter()
                .map(|(lane, severity, n, abs, net)| {
                    let name = format!(
                        "{:<lane_w$} {:<severity_w$} {n:>count_w$}",
                        super::overview::lane_short(*lane),
                        severity.as_str()
                    );
                    let amount = super::variance_total(*net, *abs);
                    (name, amount, (*abs, theme.severity(*severity)))
                })
                .collect(),
        )
        .into_iter()
        .map(|(label, (abs, style))| (label, abs, style))
        .collect();
        frame.render_widget(
            chart("Open variance: lane, severity, count", variance, theme),
            top[1],
        );
    }

    let revenue = amount_rows(c.revenue.iter().map(|(what, m)| (*what, *m, theme.base())));
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
    let labels: Vec<String> = labelled(
        steps
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
                (format!("{sign}{step}"), m.abs().grouped(), ())
            })
            .collect(),
    )
    .into_iter()
    .map(|(label, ())| label)
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
