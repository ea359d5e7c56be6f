//! Every mismatch in a table: sort, text filter, quick filters.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::signed;
use crate::snapshot::model::Severity;
use crate::text::inert;
use crate::tui::app::App;
use crate::tui::theme::{severity_symbol, Theme};

/// Short severity for narrow tables: `▲ crit`, `● high`, `◆ med`, `· low`.
pub fn severity_short(s: Severity) -> String {
    let w = match s {
        Severity::Critical => "crit",
        Severity::High => "high",
        Severity::Medium => "med",
        Severity::Low => "low",
    };
    format!("{} {w}", severity_symbol(s))
}

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let [bar, table_area] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let items = app.visible_items();
    let total = app.data.as_ref().map_or(0, |d| d.items.len());
    let m = &app.mismatches;
    let mut filters = Vec::new();
    if !m.filter.is_empty() {
        filters.push(format!("/{}", inert(&m.filter)));
    }
    if let Some(l) = m.lane {
        filters.push(format!("lane={l}"));
    }
    if let Some(s) = m.severity {
        filters.push(format!("severity={s}"));
    }
    if let Some(o) = &m.owner {
        filters.push(format!("owner={}", inert(o)));
    }
    if let Some(s) = &m.status {
        filters.push(format!("status={}", inert(s)));
    }
    let sort = match m.sort {
        None => "severity".to_string(),
        Some(k) => k.name().to_string(),
    };
    let dir = if m.descending { " ↑" } else { "" };
    let head = format!(
        "{} of {total} shown · sort {sort}{dir}{}",
        items.len(),
        if filters.is_empty() {
            String::new()
        } else {
            format!(" · filter {}", filters.join(" "))
        }
    );
    frame.render_widget(Paragraph::new(Line::from(Span::styled(head, theme.dim()))), bar);

    // Amount columns as wide as their widest value: money is never cut.
    let w = |f: &dyn Fn(&crate::tui::data::Item) -> String, min: usize| -> u16 {
        items
            .iter()
            .map(|i| f(i).chars().count())
            .max()
            .unwrap_or(0)
            .max(min) as u16
    };
    let we = w(&|i| i.mismatch.expected.grouped(), 8);
    let wa = w(&|i| i.mismatch.actual.grouped(), 8);
    let wv = w(&|i| signed(i.mismatch.variance), 8);
    let rows: Vec<Row> = items
        .iter()
        .map(|i| {
            let mm = &i.mismatch;
            Row::new(vec![
                Cell::from(Span::styled(
                    severity_short(mm.severity),
                    theme.severity(mm.severity),
                )),
                Cell::from(super::overview::lane_short(mm.lane)),
                Cell::from(inert(&mm.subject)),
                Cell::from(Line::from(mm.expected.grouped()).right_aligned()),
                Cell::from(Line::from(mm.actual.grouped()).right_aligned()),
                Cell::from(Line::from(signed(mm.variance)).right_aligned()),
                Cell::from(inert(&i.owner)),
                Cell::from(Span::styled(status_short(&i.status), theme.status(&i.status))),
            ])
        })
        .collect();
    let empty = rows.is_empty();
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Fill(2),
            Constraint::Fill(3),
            Constraint::Length(we),
            Constraint::Length(wa),
            Constraint::Length(wv),
            Constraint::Fill(2),
            Constraint::Length(8),
        ],
    )
    .column_spacing(1)
    .header(
        Row::new(vec![
            "sev", "lane", "subject", "expected", "actual", "variance", "owner", "status",
        ])
        .style(theme.dim()),
    )
    .row_highlight_style(theme.selected());
    let idx = app.mismatch_index();
    app.mismatches.table.select(if empty { None } else { Some(idx) });
    if empty {
        frame.render_widget(
            Paragraph::new("No mismatch matches these filters (x clears them)."),
            table_area,
        );
    } else {
        frame.render_stateful_widget(table, table_area, &mut app.mismatches.table);
    }
}

/// Status words that fit the table: `in_correction` → `in corr`.
pub fn status_short(status: &str) -> String {
    match status {
        "in_correction" => "in corr".to_string(),
        other => inert(other),
    }
}
