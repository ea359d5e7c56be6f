//! The source lanes as tables, read a page at a time.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use crate::snapshot::pages::LaneTable;
use crate::text::inert;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let [tabs, figures, info, table_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
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
    if let Some(line) = app
        .data
        .as_ref()
        .and_then(|d| d.lane_figures.get(app.lanes.current))
    {
        frame.render_widget(
            Paragraph::new(Span::styled(inert(line), theme.title())).wrap(Wrap { trim: true }),
            figures,
        );
    }
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
    // Only the rows on screen are measured and built, so a frame costs the same however
    // many rows are loaded. The window follows the selection, as the table widget would.
    let height = usize::from(table_area.height.saturating_sub(1)).max(1);
    let mut offset = data.table.offset().min(data.selected);
    if data.selected >= offset + height {
        offset = data.selected + 1 - height;
    }
    let shown = &data.rows[offset.min(data.rows.len())..(offset + height).min(data.rows.len())];
    // Widths from the rows shown: ids and amounts are never cut; text gives way.
    let natural: Vec<usize> = (0..cols.len())
        .map(|c| {
            shown
                .iter()
                .map(|r| r.cells.get(c).map_or(0, |s| inert(s).chars().count()))
                .max()
                .unwrap_or(0)
                .max(cols[c].chars().count())
        })
        .collect();
    let keep: Vec<bool> = (0..cols.len()).map(|c| c == 0 || lane.numeric(c)).collect();
    let widths: Vec<Constraint> = fit_widths(&natural, &keep, table_area.width as usize)
        .into_iter()
        .map(Constraint::Length)
        .collect();
    let rows: Vec<Row> = shown
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
    let mut window = TableState::default().with_selected((!shown.is_empty()).then(|| data.selected - offset));
    frame.render_stateful_widget(table, table_area, &mut window);
    data.table = TableState::default()
        .with_offset(offset)
        .with_selected((!data.rows.is_empty()).then_some(data.selected));
}

/// Column widths that fit `avail` (with one space between columns): the widest column
/// that may shrink gives one cell at a time, down to 4; `keep` columns never shrink.
pub fn fit_widths(natural: &[usize], keep: &[bool], avail: usize) -> Vec<u16> {
    let mut w: Vec<usize> = natural.iter().map(|n| (*n).min(40)).collect();
    let gaps = w.len().saturating_sub(1);
    while w.iter().sum::<usize>() + gaps > avail {
        let widest = (0..w.len())
            .filter(|i| !keep[*i] && w[*i] > 4)
            .max_by_key(|i| w[*i]);
        match widest {
            Some(i) => w[i] -= 1,
            None => break,
        }
    }
    w.into_iter().map(|x| x as u16).collect()
}
