//! The eight close items: status, who/when, computed evidence, notes.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::fit;
use super::mismatch_detail::trail_lines;
use crate::text::inert;
use crate::tui::app::{Action, App};
use crate::tui::theme::{checklist_symbol, Theme};

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let Some(d) = &app.data else { return };
    let [table_area, detail] = Layout::vertical([Constraint::Length(11), Constraint::Min(3)]).areas(area);
    let done = d.checklist.iter().filter(|c| c.status == "done").count();
    let rows: Vec<Row> = d
        .checklist
        .iter()
        .map(|c| {
            let who = match (&c.updated_by, &c.updated_at) {
                (Some(by), Some(at)) => format!("{} {}", inert(by), short_time(at)),
                (Some(by), None) => inert(by),
                _ => String::new(),
            };
            Row::new(vec![
                Cell::from(Span::styled(checklist_symbol(&c.status), theme.status(&c.status))),
                Cell::from(format!("{}.", c.item)),
                Cell::from(inert(&c.title)),
                Cell::from(Span::styled(inert(&c.status), theme.status(&c.status))),
                Cell::from(who),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(3),
            Constraint::Length(2),
            Constraint::Fill(1),
            Constraint::Length(11),
            Constraint::Length(24),
        ],
    )
    .header(Row::new(vec!["", "#", "item", "status", "who / when"]).style(theme.dim()))
    .row_highlight_style(theme.selected())
    .block(
        Block::new()
            .borders(Borders::BOTTOM)
            .title(format!("Close checklist — {done} of {} done", d.checklist.len())),
    );
    let mut st = TableState::default();
    if !d.checklist.is_empty() {
        st.select(Some(app.checklist.selected.min(d.checklist.len() - 1)));
    }
    frame.render_stateful_widget(table, table_area, &mut st);

    let idx = app.checklist.selected;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(c) = d.checklist.get(idx) {
        lines.push(Line::from(Span::styled(
            fit(&format!("{}. {}", c.item, inert(&c.title)), area.width as usize),
            theme.title(),
        )));
        for e in d.evidence.get(idx).into_iter().flatten() {
            lines.push(Line::from(format!("  evidence: {}", inert(e))));
        }
    }
    if let Err(why) = app.allowed(&Action::SetChecklist("done")) {
        lines.push(Line::from(Span::styled(
            format!("moves disabled: {why}"),
            theme.dim(),
        )));
    }
    match &app.checklist.trail {
        Some((item, rows)) if *item as usize == idx + 1 => {
            if rows.is_empty() {
                lines.push(Line::from(Span::styled("  no notes", theme.dim())));
            } else {
                lines.extend(trail_lines(rows, theme));
            }
        }
        _ => lines.push(Line::from(Span::styled("  notes loading…", theme.dim()))),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), detail);
}

/// `2026-04-01T09:00:00Z` → `2026-04-01 09:00`; other text unchanged (inert).
pub fn short_time(at: &str) -> String {
    let t = inert(at);
    if t.len() >= 16 && t.as_bytes()[10] == b'T' {
        format!("{} {}", &t[..10], &t[11..16])
    } else {
        t
    }
}
