//! The source lanes as tables, read a page at a time. Owns the loaded window of each lane,
//! its paging and its keys; pages are asked of the worker, never read here.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use crate::money::Money;
use crate::snapshot::model::{Lane, RevenueRule};
use crate::snapshot::pages::{Direction, LaneRow, LaneTable, ValueRow};
use crate::snapshot::tied::{SumOf, Tie, Tied, TiedRow, TiedSum};
use crate::text::inert;
use crate::tui::action::{clamp_move, pane_keys, Action, Binding};
use crate::tui::app::{App, View};
use crate::tui::data::{LaneEntry, Request, Schedule, PAGE};
use crate::tui::theme::Theme;
use crate::tui::views::signed;

/// At most this many rows of a lane are kept loaded (several pages around the cursor).
pub const KEPT_ROWS: usize = 6 * PAGE;

/// The loaded window of one lane table.
#[derive(Clone, Debug, Default)]
pub struct LaneData {
    pub rows: Vec<LaneEntry>,
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
    pub lanes: [LaneData; LaneTable::ALL.len()],
    /// Enter on a row: the rows it is tied to, in a panel under the table.
    pub tied: Option<TiedPanel>,
}

/// The "tied rows" panel of one lane row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TiedPanel {
    pub lane: LaneTable,
    pub id: String,
    /// `None` while the worker reads them.
    pub result: Option<Result<Tied, String>>,
    /// The selected tied row.
    pub selected: usize,
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
    /// A source row was located: show its lane with that row selected once it arrives.
    pub(crate) fn on_located(&mut self, lane: LaneTable, id: Option<String>) -> Vec<Request> {
        let idx = LanesState::index(lane);
        self.lanes.current = idx;
        self.lanes.tied = None;
        let data = &mut self.lanes.lanes[idx];
        *data = LaneData {
            focus: id.clone(),
            pending: true,
            loaded: true,
            ..LaneData::default()
        };
        let id = id.unwrap_or_default();
        self.flash = None;
        let mut out = self.show(View::Lanes);
        out.push(Request::LanePage {
            lane,
            cursor: id.clone(),
            direction: Direction::Backward,
        });
        out.push(Request::LanePage {
            lane,
            cursor: id,
            direction: Direction::Forward { inclusive: true },
        });
        out
    }

    /// A key's action while the tied-rows panel is open: `j`/`k` move in it, Enter opens the
    /// tied row in its own lane, Esc closes it; leaving the lane or the view closes it.
    pub(crate) fn tied_action(&mut self, action: Action) -> Vec<Request> {
        let Some(panel) = self.lanes.tied.as_mut() else {
            return self.update(action);
        };
        let rows = panel.rows().len();
        match action {
            Action::Back => {
                self.lanes.tied = None;
                Vec::new()
            }
            a if a.is_nav() => {
                panel.selected = clamp_move(panel.selected, rows, &a, self.page_rows);
                Vec::new()
            }
            Action::Enter => match panel.rows().get(panel.selected).map(|r| (r.table, r.id.clone())) {
                Some(("accounts", id)) => {
                    self.refuse(format!(
                        "no lane lists accounts: {} is shown here only",
                        inert(&id)
                    ));
                    Vec::new()
                }
                Some((table, id)) => vec![Request::Locate {
                    table: table.to_string(),
                    id,
                }],
                None => Vec::new(),
            },
            Action::Search | Action::NextHit | Action::PrevHit | Action::Left | Action::Right => Vec::new(),
            Action::Quit | Action::Help | Action::FullMessage => self.update(action),
            other => {
                self.lanes.tied = None;
                self.update(other)
            }
        }
    }

    pub(crate) fn update_lanes(&mut self, action: Action) -> Vec<Request> {
        match action {
            Action::Enter => {
                let lane = self.lanes.lane();
                let data = &self.lanes.lanes[self.lanes.current];
                let Some(row) = data.rows.get(data.selected) else {
                    self.refuse("no row selected".into());
                    return Vec::new();
                };
                let id = row.id().to_string();
                self.lanes.tied = Some(TiedPanel {
                    lane,
                    id: id.clone(),
                    result: None,
                    selected: 0,
                });
                vec![Request::Tied { lane, id }]
            }
            Action::NextPane | Action::PrevPane => {
                // Every lane table, wrapping both ways.
                let n = LaneTable::ALL.len();
                let step = if action == Action::NextPane { 1 } else { n - 1 };
                self.lanes.current = (self.lanes.current + step) % n;
                self.on_enter_view()
            }
            a if a.is_nav() => {
                let lane = self.lanes.lane();
                let page = self.page_rows;
                let data = &mut self.lanes.lanes[self.lanes.current];
                // `G` goes to the table's last row, not the last one read: its last page is
                // read in place of what is loaded.
                if a == Action::Bottom && !data.at_end && !data.pending {
                    data.pending = true;
                    data.focus = None;
                    return vec![Request::LanePage {
                        lane,
                        cursor: String::new(),
                        direction: Direction::Last,
                    }];
                }
                // And `g` its first row: the first page read in place (after `G` it stopped at
                // the first row loaded, a page at a time).
                if a == Action::Top && !data.at_start && !data.pending {
                    data.pending = true;
                    data.focus = None;
                    data.selected = 0;
                    return vec![Request::LanePage {
                        lane,
                        cursor: String::new(),
                        direction: Direction::Forward { inclusive: false },
                    }];
                }
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
                            cursor: first.id().to_string(),
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
                            cursor: last.id().to_string(),
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
        rows: Vec<LaneEntry>,
    ) {
        let data = &mut self.lanes.lanes[LanesState::index(lane)];
        data.pending = false;
        data.loaded = true;
        let keep = data
            .focus
            .clone()
            .or_else(|| data.rows.get(data.selected).map(|r| r.id().to_string()));
        match direction {
            Direction::Last => {
                data.at_start = rows.len() < PAGE;
                data.at_end = true;
                data.rows = rows;
                data.selected = data.rows.len().saturating_sub(1);
                return;
            }
            Direction::Forward { inclusive: false } if cursor.is_empty() => {
                data.at_end = rows.len() < PAGE;
                data.at_start = true;
                data.rows = rows;
            }
            Direction::Forward { inclusive } => {
                let cut = if inclusive {
                    data.rows
                        .iter()
                        .position(|r| r.id() >= cursor.as_str())
                        .unwrap_or(data.rows.len())
                } else {
                    data.rows
                        .iter()
                        .position(|r| r.id() > cursor.as_str())
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
                    .position(|r| r.id() >= cursor.as_str())
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
        let found = keep.and_then(|id| data.rows.iter().position(|r| r.id() == id));
        if found.is_some() {
            // The focused row has arrived: from now on the selection follows the user.
            data.focus = None;
        }
        data.selected = found
            .unwrap_or(data.selected)
            .min(data.rows.len().saturating_sub(1));
    }
}

impl App {
    /// The worker's answer for the tied-rows panel (dropped when the panel moved on).
    pub(crate) fn on_tied(&mut self, lane: LaneTable, id: String, result: Result<Tied, String>) {
        if let Some(panel) = self.lanes.tied.as_mut() {
            if panel.lane == lane && panel.id == id {
                panel.selected = panel
                    .selected
                    .min(result.as_ref().map_or(0, |t| t.rows.len().saturating_sub(1)));
                panel.result = Some(result);
            }
        }
    }
}

impl TiedPanel {
    /// The lines the panel wants, border included (at most: sums that all tie are said
    /// in fewer).
    pub fn height(&self) -> u16 {
        let inner = match &self.result {
            Some(Ok(t)) => {
                let mut groups: Vec<Tie> = t.rows.iter().map(|r| r.tie).collect();
                groups.dedup();
                t.sums.len() + t.rows.len() + groups.len() + usize::from(t.rows.is_empty())
            }
            _ => 3,
        };
        u16::try_from(inner + 2).unwrap_or(u16::MAX)
    }

    /// The tied rows read so far.
    pub fn rows(&self) -> &[TiedRow] {
        match &self.result {
            Some(Ok(t)) => &t.rows,
            _ => &[],
        }
    }
}

/// The lanes' own keys.
pub fn bindings() -> Vec<Binding> {
    use crate::tui::action::{b, K};
    let mut keys = vec![b(
        &[K::Code(ratatui::crossterm::event::KeyCode::Enter)],
        "Enter",
        "tied rows",
        Action::Enter,
        true,
    )];
    keys.extend(pane_keys("next lane", "previous lane", true));
    keys.extend(crate::tui::search::bindings(false));
    keys
}

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let [tabs, figures, info, table_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    // With the tied-rows panel open the table keeps a third (its selection stays in view)
    // and the panel takes the rest, as a lower split.
    let (table_area, panel_area) = if let Some(panel) = &app.lanes.tied {
        let room = table_area.height.saturating_sub((table_area.height / 3).max(4));
        let height = panel.height().min(room).max(3);
        let [t, p] = Layout::vertical([Constraint::Min(1), Constraint::Length(height)]).areas(table_area);
        (t, Some(p))
    } else {
        (table_area, None)
    };
    // The lanes' names in one line; when they do not all fit, the first ones give way so
    // the current one is always shown (`‹` says some are to the left).
    let names: Vec<String> = LaneTable::ALL
        .iter()
        .map(|l| format!(" {} ", title(*l)))
        .collect();
    let width = |from: usize, to: usize| names[from..=to].iter().map(|n| n.chars().count()).sum::<usize>();
    // Room for `‹` and `›` (more to the right) around them.
    let all = usize::from(tabs.width);
    let room = all.saturating_sub(2);
    let first = (0..=app.lanes.current)
        .find(|&f| width(f, app.lanes.current) <= room)
        .unwrap_or(app.lanes.current);
    let mut spans = Vec::new();
    let mut used = 0;
    if first > 0 {
        spans.push(Span::styled("‹", theme.dim()));
        used += 1;
    }
    let last = names.len() - 1;
    for (i, name) in names.iter().enumerate().skip(first) {
        let style = if i == app.lanes.current {
            theme.active()
        } else {
            theme.dim()
        };
        let w = name.chars().count();
        // The rest fit whole, or this one leaves room for `›` (the current one always).
        if used + width(i, last) > all && used + w + 1 > all && i > app.lanes.current {
            spans.push(Span::styled("›", theme.dim()));
            break;
        }
        spans.push(Span::styled(name.clone(), style));
        used += w;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);
    let lane = app.lanes.lane();

    if let Some((d, line)) = app
        .data
        .as_ref()
        .and_then(|d| Some((d, d.lane_figures.get(app.lanes.current)?)))
    {
        // The lane's open mismatches before its figures, so the header never reads clean
        // while the lane has one open (a usage line unbilled is no usage exception).
        // First: a long line (many export batches) runs past the header's two lines.
        let mut line = inert(line);
        if let Some(open) = open_mismatches(d, lane) {
            line = format!("{open} · {line}");
        }
        frame.render_widget(
            Paragraph::new(Span::styled(line, theme.title())).wrap(Wrap { trim: true }),
            figures,
        );
    }
    // A page is the rows this table shows (the body's height would page past some).
    app.page_rows = usize::from(table_area.height.saturating_sub(1)).max(1);
    let data = &mut app.lanes.lanes[app.lanes.current];
    // The position is in the rows loaded (a window of the table): said as such whenever the
    // table has rows before or after them, so `G`'s last row never reads "row 200 of 200".
    let more = match (data.at_start, data.at_end) {
        (true, true) => "",
        (true, false) => " · more after",
        (false, true) => " · more before",
        (false, false) => " · more before and after",
    };
    let status = if data.pending {
        "loading…".to_string()
    } else if data.rows.is_empty() {
        "no rows".to_string()
    } else if more.is_empty() {
        format!("row {} of {}", data.selected + 1, data.rows.len())
    } else {
        format!(
            "row {} of the {} loaded{more}",
            data.selected + 1,
            data.rows.len()
        )
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!("{} · {} · {status}", title(lane), lane.table()),
            theme.dim(),
        )),
        info,
    );
    let cols = columns(lane);
    // A dated row outside the statement window says so beside its date: the lane's figures
    // above count the window only, the table lists every row.
    let window = app.data.as_ref().map(|d| {
        (
            d.summary.window.start.to_string(),
            d.summary.window.end.to_string(),
        )
    });
    let dated = cols
        .iter()
        .position(|(name, _)| matches!(*name, "date" | "at" | "occurred"));
    let cells = |r: &LaneEntry| {
        let mut out = cells(r);
        if let (Some(c), Some((start, end))) = (dated, &window) {
            if let Some(date) = out.get_mut(c) {
                // In front, so that a timestamp cut to its column keeps it.
                let day = date.get(..10).unwrap_or(date.as_str());
                if day < start.as_str() {
                    date.insert_str(0, "before ");
                } else if day > end.as_str() {
                    date.insert_str(0, "after ");
                }
            }
        }
        out
    };
    // Only the rows on screen are measured and built, so a frame costs the same however
    // many rows are loaded. The window follows the selection, as every table's does.
    let height = usize::from(table_area.height.saturating_sub(1)).max(1);
    let offset = super::scrolled(data.table.offset(), data.selected, height, data.rows.len());
    let shown = &data.rows[offset.min(data.rows.len())..(offset + height).min(data.rows.len())];
    // Widths from the rows shown: ids and amounts are never cut; text gives way.
    let natural: Vec<usize> = (0..cols.len())
        .map(|c| {
            shown
                .iter()
                .map(|r| cells(r).get(c).map_or(0, |s| inert(s).chars().count()))
                .max()
                .unwrap_or(0)
                .max(cols[c].0.chars().count())
        })
        .collect();
    // Ids and amounts whole; a date outside the window keeps its day after `before `.
    let floors: Vec<usize> = (0..cols.len())
        .map(|c| match c {
            _ if c == 0 || cols[c].1 => usize::MAX,
            // Its day whole (and `…` after it when it is a time), after `before `.
            _ if Some(c) == dated => {
                let prefix = shown
                    .iter()
                    .filter_map(|r| {
                        let date = cells(r).get(c).cloned()?;
                        ["before ", "after "]
                            .into_iter()
                            .find(|p| date.starts_with(p))
                            .map(str::len)
                    })
                    .max()
                    .unwrap_or(0);
                prefix + DAY_SHOWN
            }
            _ => 4,
        })
        .collect();
    let fitted = fit_widths_above(&natural, &floors, table_area.width as usize);
    let widths: Vec<Constraint> = fitted.iter().copied().map(Constraint::Length).collect();
    let rows: Vec<Row> = shown
        .iter()
        .map(|r| {
            Row::new(
                cells(r)
                    .iter()
                    .enumerate()
                    .map(|(c, s)| {
                        // A cell cut to its column says so (`…`).
                        let t = super::fit(&inert(s), fitted.get(c).map_or(usize::MAX, |w| usize::from(*w)));
                        if cols[c].1 {
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
        .header(Row::new(cols.iter().map(|c| c.0).collect::<Vec<_>>()).style(theme.dim()))
        .row_highlight_style(theme.selected());
    let mut window = TableState::default().with_selected((!shown.is_empty()).then(|| data.selected - offset));
    frame.render_stateful_widget(table, table_area, &mut window);
    data.table = TableState::default()
        .with_offset(offset)
        .with_selected((!data.rows.is_empty()).then_some(data.selected));
    if let (Some(panel), Some(area)) = (&app.lanes.tied, panel_area) {
        draw_tied(frame, area, panel, theme);
    }
}

/// What a tied row is, as the panel's section heading says it.
fn heading(tie: Tie, asked: &str) -> &'static str {
    match tie {
        Tie::Line => "Lines",
        Tie::UsageOnLine if asked == "invoices" => "Usage events billed on its usage lines",
        Tie::UsageOnLine => "Usage events billed on it",
        Tie::Disbursement if asked == "invoices" => "Disbursements applied to it",
        Tie::Disbursement if asked == "ledger" => "The disbursement it records",
        Tie::Disbursement => "Disbursements from it",
        Tie::Ledger => "Ledger rows",
        Tie::UndoneBy => "Reversals, refunds and chargebacks naming it",
        Tie::Undoes => "What it undoes",
        Tie::Source => "Source (payment or credit)",
        Tie::Invoice => "Invoice",
        Tie::InvoiceLine => "Invoice line",
        Tie::Batch => "Export batch",
        Tie::AccountAr => "The account's window-end AR",
        Tie::Statement => "Statements",
        Tie::Program => "Employer program",
        Tie::StatementLine => "Statement lines presenting it",
    }
}

/// One tied row as the panel lists it: id, kind, date, account, amount, and what else it
/// names (raw: made inert when drawn).
fn tied_cells(row: &TiedRow, asked: &str) -> [String; 6] {
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    let date: String = text(&row.date).chars().take(10).collect();
    let amount = row.amount.map(|m| m.grouped()).unwrap_or_default();
    if row.tie == Tie::UsageOnLine {
        return [
            text(&row.other),
            format!("{} events", row.count.unwrap_or(0)),
            date,
            text(&row.account),
            amount,
            if row.count.unwrap_or(0) > 0 {
                format!("rated; first {}", row.id)
            } else {
                String::new()
            },
        ];
    }
    let kind = match row.tie {
        Tie::AccountAr => "window-end AR".into(),
        Tie::Statement => "statement".into(),
        Tie::Program => "expected fee".into(),
        Tie::StatementLine => "statement line".into(),
        _ => text(&row.kind),
    };
    let account = match row.tie {
        Tie::AccountAr => String::new(),
        _ => text(&row.account),
    };
    let other = match row.tie {
        Tie::Disbursement if asked == "payments" || asked == "credits" => format!("to {}", text(&row.other)),
        Tie::Disbursement => format!("from {}", text(&row.other)),
        Tie::Invoice => row
            .balance
            .map(|b| format!("balance {}", b.grouped()))
            .unwrap_or_default(),
        Tie::StatementLine => format!("on {}", text(&row.other)),
        _ => text(&row.other),
    };
    [row.id.clone(), kind, date, account, amount, other]
}

/// A sum that explains a figure, with `✓` when it ties and `≠` (and by how much) when not:
/// "off by" is the variance of the check the sum mirrors, `actual − expected`
/// ([`TiedSum::variance`]), signed as every variance is.
fn sum_line(s: &TiedSum) -> String {
    let (sum, figure, off) = (s.sum, s.figure, s.variance());
    let (left, right) = match &s.what {
        SumOf::LinesToTotal => ("lines".to_string(), "total"),
        SumOf::DisbursedToPaid { adjustments } if adjustments.is_zero() => {
            ("disbursed".to_string(), "total − balance")
        }
        SumOf::DisbursedToPaid { .. } => ("disbursed − adjustments".to_string(), "total − balance"),
        SumOf::UsageToLine { line } => (format!("{} rated usage", inert(line)), "the line"),
        SumOf::StatementLinesToTotal => ("statement lines".to_string(), "statement total"),
        SumOf::GlLineToAr => ("GL line".to_string(), "window-end AR"),
        SumOf::DisbursedOfNet => {
            let head = format!("disbursed {} of net value {}", sum.grouped(), figure.grouped());
            return if off.is_zero() {
                format!("{head} · unapplied {}", (figure - sum).grouped())
            } else if sum.is_negative() {
                format!("{head} · below zero (off by {})", signed(off))
            } else {
                format!("{head} · beyond it (off by {})", signed(off))
            };
        }
    };
    if sum == figure {
        format!("{left} {} = {right} {} ✓", sum.grouped(), figure.grouped())
    } else {
        format!(
            "{left} {} ≠ {right} {} (off by {})",
            sum.grouped(),
            figure.grouped(),
            signed(off)
        )
    }
}

/// The tied-rows panel: a box under the table titled by the row asked about; its sums
/// first (they stay in view), then the tied rows by kind of tie, the selected one marked.
fn draw_tied(frame: &mut Frame, area: Rect, panel: &TiedPanel, theme: &Theme) {
    use ratatui::widgets::{Block, Clear};
    frame.render_widget(Clear, area);
    let asked = panel.lane.table();
    let title = format!(" {} {}: tied rows ", title(panel.lane), inert(&panel.id));
    let block = Block::bordered().title(title).title_style(theme.title());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let tied = match &panel.result {
        None => {
            frame.render_widget(Paragraph::new(Span::styled("loading…", theme.dim())), inner);
            return;
        }
        Some(Err(e)) => {
            let msg = format!("cannot read the tied rows: {}", inert(e));
            frame.render_widget(
                Paragraph::new(Span::styled(msg, theme.bad())).wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        Some(Ok(t)) => t,
    };
    let width = usize::from(inner.width);
    // Usage lines that each add up are said once; one that does not is shown itself.
    let usage: Vec<_> = tied
        .sums
        .iter()
        .filter(|s| matches!(s.what, SumOf::UsageToLine { .. }))
        .collect();
    let usage_ties = usage.len() > 1 && usage.iter().all(|s| s.sum == s.figure);
    let mut top: Vec<Line> = tied
        .sums
        .iter()
        .filter(|s| !(usage_ties && matches!(s.what, SumOf::UsageToLine { .. })))
        .map(|s| {
            let style = if s.variance().is_zero() {
                theme.base()
            } else {
                theme.warn()
            };
            Line::from(Span::styled(crate::tui::views::fit(&sum_line(s), width), style))
        })
        .collect();
    if usage_ties {
        let rated: crate::money::Money = usage.iter().map(|s| s.sum).sum();
        top.push(Line::from(Span::styled(
            crate::tui::views::fit(
                &format!(
                    "rated usage on each of its {} usage lines = the line ✓ ({} in all)",
                    usage.len(),
                    rated.grouped()
                ),
                width,
            ),
            theme.base(),
        )));
    }
    if !tied.found {
        top.push(Line::from(Span::styled(
            "this row is no longer in its table",
            theme.bad(),
        )));
    } else if tied.rows.is_empty() {
        top.push(Line::from(Span::styled("nothing is tied to it", theme.dim())));
    }
    // The rows, each under its kind of tie; columns as wide as their widest cell.
    let cells: Vec<[String; 6]> = tied
        .rows
        .iter()
        .map(|r| tied_cells(r, asked).map(|c| inert(&c)))
        .collect();
    let w = |c: usize, max: usize| {
        cells
            .iter()
            .map(|r| r[c].chars().count())
            .max()
            .unwrap_or(0)
            .min(max)
    };
    let (w0, w1, w2, w3, w4) = (w(0, 32), w(1, 18), w(2, 10), w(3, 10), w(4, 16));
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0;
    let mut last: Option<Tie> = None;
    for (i, (row, c)) in tied.rows.iter().zip(&cells).enumerate() {
        if last != Some(row.tie) {
            lines.push(Line::from(Span::styled(heading(row.tie, asked), theme.dim())));
            last = Some(row.tie);
        }
        let pad = |s: &str, n: usize| crate::tui::views::fit(&format!("{s:<n$}"), n);
        let text = format!(
            "{} {} {} {} {} {:>w4$} {}",
            if i == panel.selected { "›" } else { " " },
            pad(&c[0], w0),
            pad(&c[1], w1),
            pad(&c[2], w2),
            pad(&c[3], w3),
            c[4],
            c[5]
        );
        let style = if i == panel.selected {
            theme.selected()
        } else {
            theme.base()
        };
        if i == panel.selected {
            selected_line = lines.len();
        }
        lines.push(Line::from(Span::styled(
            crate::tui::views::fit(&text, width),
            style,
        )));
    }
    let [sums_area, rows_area] =
        Layout::vertical([Constraint::Length(top.len() as u16), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(top), sums_area);
    // Scroll so the selected row (and its heading, when it is the first of its kind) shows.
    let height = usize::from(rows_area.height).max(1);
    let scroll = (selected_line + 1).saturating_sub(height);
    let scroll = if scroll > 0 && selected_line > 0 {
        scroll
    } else {
        0
    };
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), rows_area);
}

/// Column widths that fit `avail` (with one space between columns): the widest column
/// that may shrink gives one cell at a time, down to 4; `keep` columns never shrink.
pub fn fit_widths(natural: &[usize], keep: &[bool], avail: usize) -> Vec<u16> {
    let floors: Vec<usize> = keep.iter().map(|k| if *k { usize::MAX } else { 4 }).collect();
    fit_widths_above(natural, &floors, avail)
}

/// [`fit_widths`] with each column's own floor: it gives way down to `floors[i]` at most
/// (`usize::MAX`: never).
pub fn fit_widths_above(natural: &[usize], floors: &[usize], avail: usize) -> Vec<u16> {
    let mut w: Vec<usize> = natural.iter().map(|n| (*n).min(40)).collect();
    let gaps = w.len().saturating_sub(1);
    while w.iter().sum::<usize>() + gaps > avail {
        let widest = (0..w.len())
            .filter(|i| w[*i] > floors[*i].max(4))
            .max_by_key(|i| w[*i]);
        match widest {
            Some(i) => w[i] -= 1,
            None => break,
        }
    }
    w.into_iter().map(|x| x as u16).collect()
}

/// The mismatch lane whose checks read this table, where one does.
fn mismatch_lane(lane: LaneTable) -> Option<Lane> {
    match lane {
        LaneTable::Usage => Some(Lane::Usage),
        LaneTable::Exports => Some(Lane::Exports),
        LaneTable::Programs => Some(Lane::EmployerPrograms),
        LaneTable::Statements => Some(Lane::Statements),
        LaneTable::Revenue => Some(Lane::Revenue),
        LaneTable::Disbursements => Some(Lane::Disbursements),
        LaneTable::Ledger => Some(Lane::Ledger),
        LaneTable::Aging | LaneTable::Payments | LaneTable::Credits => None,
    }
}

/// `1 open mismatch (-37.50)`: the open mismatches of the table's lane as the overview
/// counts them, and their variance after accepted corrections (signed when they share a
/// sign, else `|…|`; left out while the period is still loading); `None` with none open
/// (the header's own figures then say what there is), or for a table no check reads alone.
fn open_mismatches(d: &crate::tui::data::Loaded, lane: LaneTable) -> Option<String> {
    let lane = mismatch_lane(lane)?;
    let n = d
        .lane_counts()
        .into_iter()
        .find(|(l, _)| *l == lane)
        .map_or(0, |(_, n)| n);
    if n == 0 {
        return None;
    }
    let what = format!("{n} open mismatch{}", if n == 1 { "" } else { "es" });
    if d.partial.is_some() {
        return Some(what);
    }
    let (net, abs) = d
        .open_items()
        .filter(|i| i.mismatch.lane == lane)
        .fold((Money::ZERO, Money::ZERO), |(net, abs), i| {
            (net + i.corrected.2, abs + i.corrected.2.abs())
        });
    Some(format!("{what} ({})", super::variance_total(net, abs)))
}

/// A lane's date column gives way no further than its day and a `…` (`2026-02-24…`),
/// after `before ` or `after ` where a row is outside the window.
const DAY_SHOWN: usize = 11;

/// The name of a lane on its tab.
pub fn title(lane: LaneTable) -> &'static str {
    match lane {
        LaneTable::Usage => "Usage",
        LaneTable::Exports => "Exports",
        LaneTable::Programs => "Employer programs",
        LaneTable::Statements => "Statements",
        LaneTable::Aging => "AR & aging",
        LaneTable::Revenue => "Revenue",
        LaneTable::Payments => "Payments",
        LaneTable::Credits => "Credits",
        LaneTable::Disbursements => "Disbursed",
        LaneTable::Ledger => "Ledger",
    }
}

/// A lane's columns: heading, and whether it holds an amount or a count (right-aligned,
/// never cut), in the order of [`cells`].
pub fn columns(lane: LaneTable) -> &'static [(&'static str, bool)] {
    match lane {
        LaneTable::Usage => &[
            ("id", false),
            ("account", false),
            ("kind", false),
            ("occurred", false),
            ("units", true),
            ("rated", true),
            ("state", false),
            ("line", false),
        ],
        LaneTable::Exports => &[
            ("id", false),
            ("batch", false),
            ("kind", false),
            ("account", false),
            ("invoice", false),
            ("amount", true),
        ],
        LaneTable::Programs => &[
            ("id", false),
            ("employer", false),
            ("program", false),
            ("basis", true),
            ("rate", true),
            ("expected fee", true),
        ],
        LaneTable::Statements => &[
            ("id", false),
            ("statement", false),
            ("program", false),
            ("inv. line", false),
            ("description", false),
            ("amount", true),
        ],
        LaneTable::Aging => &[
            ("id", false),
            ("account", false),
            ("status", false),
            ("posted", false),
            ("due", false),
            ("total", true),
            ("balance", true),
            ("age", false),
        ],
        LaneTable::Revenue => &[
            ("id", false),
            ("invoice", false),
            ("rule", false),
            ("service", false),
            ("amount", true),
            ("recognized", true),
            ("deferred", true),
        ],
        LaneTable::Payments | LaneTable::Credits => &[
            ("id", false),
            ("account", false),
            ("kind", false),
            ("date", false),
            ("amount", true),
            ("undoes", false),
            ("reference", false),
        ],
        LaneTable::Disbursements => &[
            ("id", false),
            ("from", false),
            ("source", false),
            ("invoice", false),
            ("date", false),
            ("amount", true),
        ],
        LaneTable::Ledger => &[
            ("id", false),
            ("account", false),
            ("kind", false),
            ("at", false),
            ("invoice", false),
            ("amount", true),
            ("reference", false),
        ],
    }
}

/// A payment's or credit's cells (raw: made inert when drawn).
fn value_cells<K: std::fmt::Display>(r: &ValueRow<K>) -> Vec<String> {
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    vec![
        r.id.clone(),
        text(&r.account),
        r.kind.to_string(),
        r.date.clone(),
        r.amount.grouped(),
        text(&r.related),
        text(&r.note),
    ]
}

/// A row's cells as text, in the order of [`columns`] (raw: made inert when drawn).
pub fn cells(entry: &LaneEntry) -> Vec<String> {
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    match &entry.row {
        LaneRow::Usage(r) => vec![
            r.id.clone(),
            text(&r.account),
            r.kind.to_string(),
            r.occurred_at.clone(),
            r.units.to_string(),
            r.rated.map(|m| m.grouped()).unwrap_or_default(),
            r.state.to_string(),
            text(&r.invoice_line),
        ],
        LaneRow::Exports(r) => vec![
            r.id.clone(),
            r.batch.clone(),
            r.batch_kind.map(|k| k.to_string()).unwrap_or_default(),
            text(&r.account),
            text(&r.invoice),
            r.amount.grouped(),
        ],
        LaneRow::Programs(r) => vec![
            r.id.clone(),
            text(&r.employer),
            r.name.clone(),
            r.basis_units.to_string(),
            r.rate.grouped(),
            r.expected_fee.grouped(),
        ],
        LaneRow::Statements(r) => vec![
            r.id.clone(),
            r.statement.clone(),
            text(&r.program),
            text(&r.invoice_line),
            text(&r.description),
            r.amount.grouped(),
        ],
        LaneRow::Aging(r) => vec![
            r.id.clone(),
            text(&r.account),
            r.status.to_string(),
            text(&r.posted_at),
            r.due_date.clone(),
            r.total.grouped(),
            r.balance.grouped(),
            r.age.map(|a| a.as_str().to_string()).unwrap_or_default(),
        ],
        LaneRow::Payments(r) => value_cells(r),
        LaneRow::Credits(r) => value_cells(r),
        LaneRow::Disbursements(r) => vec![
            r.id.clone(),
            r.source_kind.to_string(),
            r.source.clone(),
            r.invoice.clone(),
            r.date.clone(),
            r.amount.grouped(),
        ],
        LaneRow::Ledger(r) => vec![
            r.id.clone(),
            text(&r.account),
            r.kind.to_string(),
            r.at.clone(),
            text(&r.invoice),
            r.amount.grouped(),
            text(&r.reference),
        ],
        LaneRow::Revenue(r) => {
            // Short words for the rule, so the service period fits at 80 columns.
            let rule = match r.rule {
                RevenueRule::RatableDaily => "ratable",
                RevenueRule::OnServiceDate => "on service",
                other => other.as_str(),
            };
            let service = compact_span(
                r.service_start.as_deref().unwrap_or(""),
                r.service_end.as_deref().unwrap_or(""),
            );
            let (recognized, deferred) = match entry.schedule {
                Some(Schedule::Scheduled { recognized, deferred }) => {
                    (recognized.grouped(), deferred.grouped())
                }
                Some(Schedule::TaxOwed) => ("tax: owed".to_string(), String::new()),
                Some(Schedule::Unscheduled) => ("unscheduled".to_string(), String::new()),
                Some(Schedule::NotAr) => ("not AR".to_string(), String::new()),
                None => (String::new(), String::new()),
            };
            vec![
                r.id.clone(),
                r.invoice.clone(),
                rule.to_string(),
                service,
                r.amount.grouped(),
                recognized,
                deferred,
            ]
        }
    }
}

/// A service period: `2026-03-01..2026-03-31` → `2026-03-01..03-31` when both dates share
/// the year; no dates → empty. Stored text may be anything: it is cut only at character
/// boundaries.
pub fn compact_span(start: &str, end: &str) -> String {
    match (start, end) {
        ("", "") => String::new(),
        (a, b) if a.len() == 10 && b.len() == 10 && a.get(..5).is_some_and(|y| b.get(..5) == Some(y)) => {
            format!("{a}..{}", &b[5..])
        }
        (a, b) => format!("{a}..{b}"),
    }
}

#[cfg(test)]
mod tests {
    use super::compact_span;

    /// Service spans are cut at character boundaries: ten bytes with `é` across byte 5
    /// panicked before.
    #[test]
    fn compact_span_is_char_safe() {
        assert_eq!(compact_span("2026-03-01", "2026-03-31"), "2026-03-01..03-31");
        assert_eq!(compact_span("2026é-03-1", "2026é-03-1"), "2026é-03-1..2026é-03-1");
        assert_eq!(compact_span("", ""), "");
        assert_eq!(compact_span("2026-03-01", ""), "2026-03-01..");
    }
}
