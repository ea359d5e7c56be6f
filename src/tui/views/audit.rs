//! The audit log, newest first, with the `verify` result at the top.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::fit;
use crate::text::inert;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let [verify, table_area] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(area);
    let v = match &app.audit.verify {
        None => Line::from(Span::styled("verify: checking…", theme.dim())),
        Some(Ok(msg)) => Line::from(Span::styled(
            fit(&format!("verify ✓ {}", inert(msg)), area.width as usize),
            theme.ok(),
        )),
        Some(Err(msg)) => Line::from(Span::styled(
            fit(&format!("verify ✗ {}", inert(msg)), area.width as usize),
            theme.bad(),
        )),
    };
    frame.render_widget(Paragraph::new(vec![v]), verify);
    let a = &mut app.audit;
    if a.rows.is_empty() {
        let msg = if a.pending {
            "loading…"
        } else {
            "The audit log is empty."
        };
        frame.render_widget(Paragraph::new(msg), table_area);
        return;
    }
    let rows: Vec<Row> = a
        .rows
        .iter()
        .map(|r| {
            let what = match (&r.before, &r.after, &r.text) {
                (_, _, Some(t)) => inert(t),
                (Some(b), Some(af), None) => format!("{} → {}", inert(b), inert(af)),
                (None, Some(af), None) => inert(af),
                _ => String::new(),
            };
            Row::new(vec![
                Cell::from(r.seq.to_string()),
                Cell::from(inert(&r.at)),
                Cell::from(inert(&r.actor)),
                Cell::from(inert(&r.action)),
                Cell::from(inert(&r.target)),
                Cell::from(what),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(5),
            Constraint::Length(20),
            Constraint::Fill(2),
            Constraint::Fill(2),
            Constraint::Fill(3),
            Constraint::Fill(4),
        ],
    )
    .header(Row::new(vec!["seq", "at", "actor", "action", "target", "what"]).style(theme.dim()))
    .row_highlight_style(theme.selected());
    a.table.select(Some(a.selected.min(a.rows.len() - 1)));
    frame.render_stateful_widget(table, table_area, &mut a.table);
}
