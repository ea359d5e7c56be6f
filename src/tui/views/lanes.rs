//! The source lanes as tables, read a page at a time.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use crate::snapshot::pages::LaneTable;
use crate::text::inert;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let [tabs, info, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let mut spans = Vec::new();
    for (i, lane) in LaneTable::ALL.iter().enumerate() {
        let style = if i == app.lanes.current {
            theme.active()
        } else {
            theme.dim()
        };
        spans.push(Span::styled(format!(" {} ", lane.title()), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);

    let lane = app.lanes.lane();
    let data = &mut app.lanes.lanes[app.lanes.current];
    let more = if data.at_end { "" } else { "+" };
    let status = if data.pending {
        "loading…".to_string()
    } else if data.rows.is_empty() {
        "no rows".to_string()
    } else {
        format!("row {} of {}{more} loaded", data.selected + 1, data.rows.len())
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!("{} · {} · {status}", lane.title(), lane.table()),
            theme.dim(),
        )),
        info,
    );
    let cols = lane.columns();
    // Widths from the loaded rows: amounts are never cut.
    let widths: Vec<Constraint> = (0..cols.len())
        .map(|c| {
            let w = data
                .rows
                .iter()
                .map(|r| r.cells.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
                .max(cols[c].chars().count());
            if lane.numeric(c) {
                Constraint::Length(w as u16)
            } else {
                Constraint::Fill(w.clamp(1, 30) as u16)
            }
        })
        .collect();
    let rows: Vec<Row> = data
        .rows
        .iter()
        .map(|r| {
            Row::new(
                r.cells
                    .iter()
                    .enumerate()
                    .map(|(c, s)| {
                        let t = inert(s);
                        if lane.numeric(c) {
                            Cell::from(Line::from(t).right_aligned())
                        } else {
                            Cell::from(t)
                        }
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(Row::new(cols.to_vec()).style(theme.dim()))
        .row_highlight_style(theme.selected());
    let sel = if data.rows.is_empty() {
        None
    } else {
        Some(data.selected)
    };
    data.table.select(sel);
    frame.render_stateful_widget(table, table_area, &mut data.table);
}
