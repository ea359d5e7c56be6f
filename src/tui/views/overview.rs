//! The first pane: entity, period, status, figures, lanes at a glance, checklist progress and
//! the correction lane. Owns its selection and keys; reads `App::data`, never the database.

use ratatui::crossterm::event::KeyCode;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::{fit, signed};
use crate::money::Money;
use crate::snapshot::model::{Lane, MismatchStatus};
use crate::text::inert;
use crate::tui::action::{b, clamp_move, key, Action, Binding, K};
use crate::tui::app::App;
use crate::tui::data::{Item, Request};
use crate::tui::theme::{severity_label, Theme};
use crate::workflow::signing;

impl App {
    /// Open items in severity order (the correction lane on the first pane).
    pub fn correction_lane(&self) -> Vec<&Item> {
        match &self.data {
            Some(d) => d.open_items().collect(),
            None => Vec::new(),
        }
    }

    pub(crate) fn update_overview(&mut self, action: Action) -> Vec<Request> {
        let lane = Item::keys(&self.correction_lane());
        let sel = self.overview.selected().unwrap_or(0);
        if action.is_nav() {
            self.overview
                .select(Some(clamp_move(sel, lane.len(), &action, self.page_rows)));
        } else if action == Action::Enter {
            if let Some(key) = lane.get(sel.min(lane.len().saturating_sub(1))) {
                return self.open_detail(key.clone());
            }
        }
        Vec::new()
    }
}

/// The overview's own keys.
pub fn bindings() -> Vec<Binding> {
    vec![
        b(
            &[K::Code(KeyCode::Enter)],
            "Enter",
            "open mismatch",
            Action::Enter,
            true,
        ),
        key(
            'c',
            "charts",
            Action::Show(crate::tui::action::View::Charts),
            true,
        ),
    ]
}

/// A short lane name for the at-a-glance line.
pub fn lane_short(lane: Lane) -> &'static str {
    match lane {
        Lane::Usage => "usage",
        Lane::Exports => "exports",
        Lane::EmployerPrograms => "programs",
        Lane::Statements => "statements",
        Lane::Invoices => "invoices",
        Lane::Disbursements => "disbursed",
        Lane::Ledger => "ledger",
        Lane::Adjustments => "adjustments",
        Lane::Revenue => "revenue",
    }
}

/// "Tied after corrections 1 (-9.75) · waived 1 (+4.52)": the mismatches the engine still
/// reports that tie only through an accepted correction or are waived, with their raw
/// variance, signed (of both signs: the sum of their sizes, `|14.27|`), so a clean
/// overview never hides an overlay.
fn overlay_line(items: &[Item], theme: &Theme) -> Line<'static> {
    let of = |status: MismatchStatus| {
        let hit: Vec<&Item> = items.iter().filter(|i| i.status == status).collect();
        let net: Money = hit.iter().map(|i| i.mismatch.variance).sum();
        let abs: Money = hit.iter().map(|i| i.mismatch.variance.abs()).sum();
        (hit.len(), super::variance_total(net, abs))
    };
    let (resolved, resolved_sum) = of(MismatchStatus::Resolved);
    let (waived, waived_sum) = of(MismatchStatus::Waived);
    let style = if resolved + waived > 0 {
        theme.warn()
    } else {
        theme.dim()
    };
    Line::styled(
        format!("Tied after corrections {resolved} ({resolved_sum}) · waived {waived} ({waived_sum})"),
        style,
    )
}

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let Some(d) = &app.data else { return };
    let s = &d.summary;
    let [head, figures, lanes, lane_tbl] = Layout::vertical([
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(3),
        Constraint::Min(4),
    ])
    .areas(area);

    // Entity, period, window, status, mismatch split, last clean close, checklist.
    let m = &s.mismatches;
    let count = match m.open {
        0 => "no open mismatches".to_string(),
        1 => "1 mismatch".to_string(),
        n => format!("{n} mismatches"),
    };
    let last = s.last_clean_words();
    let status = s.status_words();
    let width = area.width as usize;
    let lines = vec![
        Line::from(vec![
            Span::styled(fit(&inert(&s.entity), 48), theme.title()),
            Span::raw(format!(" — period {} ({})", inert(&s.period), inert(&s.currency))),
        ]),
        Line::from(fit(
            &format!(
                "Statement window {} .. {}{} · close owner {}",
                s.window.start,
                s.window.end,
                s.exported_on
                    .map(|d| format!(" · exported {d}"))
                    .unwrap_or_default(),
                inert(&s.owner)
            ),
            width,
        )),
        match (&d.lock_lifted, &d.changed_outside) {
            // Where the status is: nothing can be changed until a lead has looked.
            // (The whole of it is the sign-off view's first precondition.)
            (Some(_), _) => Line::styled(
                fit(
                    "LOCK LIFTED outside closedesk: nothing changes until a lead reopens (6, then R)",
                    width,
                ),
                theme.bad(),
            ),
            // The figures may read clean, but a row the log did not make stands behind them.
            (None, Some(_)) => Line::styled(
                fit(
                    "CHANGED OUTSIDE closedesk: a row the audit log did not make (5, then v names it)",
                    width,
                ),
                theme.bad(),
            ),
            (None, None) => Line::from(vec![
                Span::raw("Status "),
                Span::styled(status, theme.status(status)),
                Span::raw(" · "),
                Span::styled(count, if m.open > 0 { theme.warn() } else { theme.ok() }),
                Span::raw(format!(
                    ": {} critical, {} high, {} medium, {} low",
                    m.critical, m.high, m.medium, m.low
                )),
            ]),
        },
        Line::from(format!("Last clean close {last}")),
        Line::from(fit(&format!("Checklist {}", s.checklist.words(" · ")), width)),
        Line::styled(
            fit(
                &format!(
                    "Identities {}",
                    if app.served {
                        signing::describe_served(d.identities_checked)
                    } else {
                        signing::describe(d.identities_checked)
                    }
                ),
                width,
            ),
            if d.identities_checked {
                theme.ok()
            } else {
                theme.warn()
            },
        ),
    ];
    frame.render_widget(Paragraph::new(lines), head);

    // Headline figures, two columns, amounts right-aligned.
    let amt = |label: &str, v: String| format!("{label:<20}{v:>14}");
    let fig = vec![
        Line::from(format!(
            "{}     {}",
            amt("Usage billed", s.usage_billed_usd.grouped()),
            amt("Posted AR", s.posted_receivables_usd.grouped())
        )),
        Line::from(format!(
            "{}     {}",
            amt("Program fees billed", s.program_fees_billed_usd.grouped()),
            amt("Unapplied", s.unapplied_usd.grouped())
        )),
        Line::from(vec![
            Span::styled(amt("Open variance", s.variance_usd.grouped()), theme.warn()),
            Span::raw(format!("     {}", amt("Closing AR", s.closing_ar_usd.grouped()))),
        ]),
        // What ties only because of the workflow's overlay, never hidden by a clean status.
        overlay_line(&d.items, theme),
    ];
    frame.render_widget(
        Paragraph::new(fig).block(Block::new().borders(Borders::TOP).title("Headline (USD)")),
        figures,
    );

    // Lanes at a glance.
    let mut spans: Vec<Span> = Vec::new();
    let mut lines = Vec::new();
    let mut width = 0usize;
    for (lane, n) in d.lane_counts() {
        // Nothing open is not "ok" when a waiver or a correction is what closed it.
        let closed_by = |status: MismatchStatus| {
            d.items
                .iter()
                .filter(|i| i.mismatch.lane == lane && i.status == status)
                .count()
        };
        let (waived, corrected) = (
            closed_by(MismatchStatus::Waived),
            closed_by(MismatchStatus::Resolved),
        );
        let (text, style) = if n == 0 && waived > 0 {
            (format!("{} {waived} waived", lane_short(lane)), theme.warn())
        } else if n == 0 && corrected > 0 {
            (
                format!("{} {corrected} corrected", lane_short(lane)),
                theme.warn(),
            )
        } else if n == 0 {
            (format!("{} ok", lane_short(lane)), theme.ok())
        } else {
            (format!("{} {n}✗", lane_short(lane)), theme.bad())
        };
        let w = text.chars().count() + 3;
        if width + w > area.width as usize && !spans.is_empty() {
            lines.push(Line::from(std::mem::take(&mut spans)));
            width = 0;
        }
        width += w;
        spans.push(Span::styled(text, style));
        spans.push(Span::raw(" · "));
    }
    spans.pop();
    lines.push(Line::from(spans));
    frame.render_widget(
        Paragraph::new(lines).block(Block::new().borders(Borders::TOP).title("Lanes")),
        lanes,
    );

    // The correction lane: open mismatches, most severe first.
    let all = app.correction_lane();
    let (open, total) = d.open_totals();
    // Only the rows on screen are built (two lines each; a dirty period has 100,000 open):
    // the window that keeps the selected row in view, moved as little as possible.
    let sel = app
        .overview
        .selected()
        .unwrap_or(0)
        .min(all.len().saturating_sub(1));
    let height = (usize::from(lane_tbl.height.saturating_sub(2)) / 2).max(1);
    let offset = super::scrolled(app.overview.offset(), sel, height, all.len());
    let items = &all[offset.min(all.len())..(offset + height).min(all.len())];
    let var_w = items
        .iter()
        .map(|i| signed(i.mismatch.variance).len())
        .max()
        .unwrap_or(8)
        .max(8) as u16;
    let widths = [
        Constraint::Length(10),
        Constraint::Fill(5),
        Constraint::Length(var_w),
        Constraint::Fill(2),
    ];
    // Text cut to its column ends with `…` (the `›` takes one cell first).
    let cols = super::column_widths(lane_tbl.width, &widths, 1);
    let rows: Vec<Row> = items
        .iter()
        .map(|i| {
            let mm = &i.mismatch;
            let what = Text::from(vec![
                Line::from(fit(&inert(&mm.key), cols[1])),
                Line::from(Span::styled(
                    fit(&format!("next: {}", inert(&mm.next_action)), cols[1]),
                    theme.dim(),
                )),
            ]);
            Row::new(vec![
                Cell::from(Span::styled(
                    severity_label(mm.severity),
                    theme.severity(mm.severity),
                )),
                Cell::from(what),
                Cell::from(Line::from(signed(mm.variance)).right_aligned()),
                Cell::from(fit(&inert(&i.owner), cols[3])),
            ])
            .height(2)
        })
        .collect();
    let title = format!(
        "Correction lane — {open} open · {} · Enter opens",
        total.grouped()
    );
    let empty = items.is_empty();
    let table = Table::new(rows, widths)
        .header(Row::new(vec!["severity", "mismatch · next action", "variance", "owner"]).style(theme.dim()))
        .row_highlight_style(theme.selected())
        .highlight_symbol("›")
        .block(Block::new().borders(Borders::TOP).title(title));
    if empty {
        let closed = app.data.as_ref().map_or(0, |d| {
            d.items
                .iter()
                .filter(|i| matches!(i.status, MismatchStatus::Waived | MismatchStatus::Resolved))
                .count()
        });
        let (text, style) = match closed {
            0 => ("Nothing open: every check ties.".to_string(), theme.ok()),
            n => (
                format!(
                    "Nothing open, but not every check ties: {n} mismatch{} closed by a waiver or a correction \
                     (2 lists them all).",
                    if n == 1 { " is" } else { "es are" }
                ),
                theme.warn(),
            ),
        };
        let p = Paragraph::new(text).wrap(Wrap { trim: true }).style(style).block(
            Block::new()
                .borders(Borders::TOP)
                .title("Correction lane — nothing open"),
        );
        frame.render_widget(p, lane_tbl);
    } else {
        let selected = app.overview.selected().map(|s| s.min(all.len() - 1) - offset);
        let mut window = ratatui::widgets::TableState::default().with_selected(selected);
        drop(all);
        frame.render_stateful_widget(table, lane_tbl, &mut window);
        *app.overview.offset_mut() = offset;
    }
}
