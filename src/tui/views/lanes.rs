//! The source lanes as tables, read a page at a time. Owns the loaded window of each lane,
//! its paging and its keys; pages are asked of the worker, never read here.

use ratatui::crossterm::event::KeyCode;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use crate::snapshot::pages::LaneTable;
use crate::snapshot::pages::{Direction, PageRow};
use crate::text::inert;
use crate::tui::action::{b, clamp_move, Action, Binding, K};
use crate::tui::app::App;
use crate::tui::data::{Request, PAGE};
use crate::tui::theme::Theme;

/// At most this many rows of a lane are kept loaded (several pages around the cursor).
pub const KEPT_ROWS: usize = 6 * PAGE;

/// The loaded window of one lane table.
#[derive(Clone, Debug, Default)]
pub struct LaneData {
    pub rows: Vec<PageRow>,
    pub selected: usize,
    pub table: TableState,
    pub loaded: bool,
    pub at_end: bool,
    pub at_start: bool,
    pub pending: bool,
    /// Select this row when it arrives.
    pub focus: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct LanesState {
    pub current: usize,
    pub lanes: [LaneData; 6],
}

impl LanesState {
    pub fn lane(&self) -> LaneTable {
        LaneTable::ALL[self.current]
    }
    pub fn data(&self) -> &LaneData {
        &self.lanes[self.current]
    }
    pub(crate) fn index(lane: LaneTable) -> usize {
        LaneTable::ALL.iter().position(|l| *l == lane).unwrap_or(0)
    }
}

impl App {
    pub(crate) fn update_lanes(&mut self, action: Action) -> Vec<Request> {
        match action {
            Action::NextPane => {
                self.lanes.current = (self.lanes.current + 1) % 6;
                self.on_enter_view()
            }
            Action::PrevPane => {
                self.lanes.current = (self.lanes.current + 5) % 6;
                self.on_enter_view()
            }
            a if a.is_nav() => {
                let lane = self.lanes.lane();
                let page = self.page_rows;
                let data = &mut self.lanes.lanes[self.lanes.current];
                let mut out = Vec::new();
                if matches!(a, Action::Up | Action::PageUp | Action::Top)
                    && data.selected == 0
                    && !data.at_start
                    && !data.pending
                {
                    if let Some(first) = data.rows.first() {
                        data.pending = true;
                        out.push(Request::LanePage {
                            lane,
                            cursor: first.id.clone(),
                            direction: Direction::Backward,
                        });
                    }
                }
                data.selected = clamp_move(data.selected, data.rows.len(), &a, page);
                if data.selected + page * 2 >= data.rows.len() && !data.at_end && !data.pending {
                    if let Some(last) = data.rows.last() {
                        data.pending = true;
                        out.push(Request::LanePage {
                            lane,
                            cursor: last.id.clone(),
                            direction: Direction::Forward { inclusive: false },
                        });
                    }
                }
                out
            }
            _ => Vec::new(),
        }
    }

    pub(crate) fn apply_lane_page(
        &mut self,
        lane: LaneTable,
        cursor: String,
        direction: Direction,
        rows: Vec<PageRow>,
    ) {
        let data = &mut self.lanes.lanes[LanesState::index(lane)];
        data.pending = false;
        data.loaded = true;
        let keep = data
            .focus
            .clone()
            .or_else(|| data.rows.get(data.selected).map(|r| r.id.clone()));
        match direction {
            Direction::Forward { inclusive: false } if cursor.is_empty() => {
                data.at_end = rows.len() < PAGE;
                data.at_start = true;
                data.rows = rows;
            }
            Direction::Forward { inclusive } => {
                let cut = if inclusive {
                    data.rows
                        .iter()
                        .position(|r| r.id >= cursor)
                        .unwrap_or(data.rows.len())
                } else {
                    data.rows
                        .iter()
                        .position(|r| r.id > cursor)
                        .unwrap_or(data.rows.len())
                };
                data.rows.truncate(cut);
                data.at_end = rows.len() < PAGE;
                data.rows.extend(rows);
                // Keep a bounded window: forget the pages furthest behind (read again on
                // the way back), so memory does not grow with how far one scrolls.
                if data.rows.len() > KEPT_ROWS {
                    data.rows.drain(..data.rows.len() - KEPT_ROWS);
                    data.at_start = false;
                }
            }
            Direction::Backward => {
                data.at_start = rows.len() < PAGE;
                let start = data
                    .rows
                    .iter()
                    .position(|r| r.id >= cursor)
                    .unwrap_or(data.rows.len());
                let mut rows = rows;
                rows.extend(data.rows.drain(start..));
                if rows.len() > KEPT_ROWS {
                    rows.truncate(KEPT_ROWS);
                    data.at_end = false;
                }
                data.rows = rows;
            }
        }
        let found = keep.and_then(|id| data.rows.iter().position(|r| r.id == id));
        if found.is_some() {
            // The focused row has arrived: from now on the selection follows the user.
            data.focus = None;
        }
        data.selected = found
            .unwrap_or(data.selected)
            .min(data.rows.len().saturating_sub(1));
    }
}

/// The lanes' own keys.
pub fn bindings() -> Vec<Binding> {
    use KeyCode::*;
    use K::*;
    vec![
        b(
            &[Code(Tab), Ch('l'), Code(Right)],
            "Tab/l",
            "next lane",
            Action::NextPane,
            true,
        ),
        b(
            &[Code(BackTab), Ch('h'), Code(Left)],
            "h",
            "previous lane",
            Action::PrevPane,
            true,
        ),
    ]
}

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
