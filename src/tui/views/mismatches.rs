//! Every mismatch in a table: sort, text filter, quick filters. Owns the table's state, its
//! keys and its drawing; reads `App::data`, never the database.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::TableState;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::signed;
use crate::snapshot::model::{Lane, MismatchStatus, Severity};
use crate::text::inert;
use crate::tui::action::{b, clamp_move, key, Action, Binding, K};
use crate::tui::app::App;
use crate::tui::data::{Item, Request};
use crate::tui::theme::{severity_symbol, Theme};

/// Columns of the mismatch table, in sort order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Severity,
    Lane,
    Subject,
    Expected,
    Actual,
    Variance,
    Owner,
    Status,
}

impl SortKey {
    pub(crate) const ORDER: [SortKey; 8] = [
        SortKey::Severity,
        SortKey::Lane,
        SortKey::Subject,
        SortKey::Expected,
        SortKey::Actual,
        SortKey::Variance,
        SortKey::Owner,
        SortKey::Status,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Severity => "severity",
            SortKey::Lane => "lane",
            SortKey::Subject => "subject",
            SortKey::Expected => "expected",
            SortKey::Actual => "actual",
            SortKey::Variance => "|variance|",
            SortKey::Owner => "owner",
            SortKey::Status => "status",
        }
    }

    pub(crate) fn next(self) -> SortKey {
        let i = Self::ORDER.iter().position(|k| *k == self).unwrap_or(0);
        Self::ORDER[(i + 1) % Self::ORDER.len()]
    }

    /// Orders two items by this column, ties most severe first (then |variance|, key).
    fn cmp(self, a: &Item, b: &Item) -> std::cmp::Ordering {
        let (x, y) = (&a.mismatch, &b.mismatch);
        let o = match self {
            SortKey::Severity => crate::tui::data::severity_order(x, y),
            SortKey::Lane => super::overview::lane_short(x.lane).cmp(super::overview::lane_short(y.lane)),
            SortKey::Subject => x.subject.cmp(&y.subject),
            SortKey::Expected => x.expected.cmp(&y.expected),
            SortKey::Actual => x.actual.cmp(&y.actual),
            SortKey::Variance => y.variance.abs().cmp(&x.variance.abs()),
            SortKey::Owner => a.owner.cmp(&b.owner),
            SortKey::Status => a.status.as_str().cmp(b.status.as_str()),
        };
        o.then_with(|| crate::tui::data::severity_order(x, y))
    }

    /// The indices of `items` in this column's order (a stable sort: equal rows keep their
    /// order).
    pub(crate) fn order(self, items: &[Item]) -> Vec<u32> {
        let mut order: Vec<u32> = (0..items.len() as u32).collect();
        order.sort_by(|a, b| self.cmp(&items[*a as usize], &items[*b as usize]));
        order
    }

    fn index(self) -> usize {
        Self::ORDER.iter().position(|k| *k == self).unwrap_or(0)
    }
}

#[derive(Clone, Debug, Default)]
pub struct MismatchesState {
    pub selected_key: Option<String>,
    pub table: TableState,
    pub sort: Option<SortKey>,
    pub descending: bool,
    pub filter: String,
    pub typing: bool,
    pub quick: QuickFilters,
    /// The rows last shown, for the queries that gave them (the latest last, a few kept): a
    /// key, a frame and the next key of the same query reuse them, a longer filter narrows
    /// them, and a backspace finds them again.
    shown: std::cell::RefCell<Vec<Shown>>,
}

/// How many answers the list keeps.
const SHOWN_KEPT: usize = 16;

/// The visible rows (item indices) of one query over one load of the data.
#[derive(Clone, Debug)]
struct Shown {
    /// The data they index: its items' address and length.
    data: (usize, usize),
    query: Query,
    rows: std::sync::Arc<Vec<u32>>,
}

/// What decides the visible rows.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Query {
    needle: String,
    quick: QuickFilters,
    sort: Option<SortKey>,
    descending: bool,
}

/// The quick filters, one key each to cycle (`x` clears them all).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuickFilters {
    pub lane: Option<Lane>,
    pub severity: Option<Severity>,
    pub owner: Option<String>,
    pub status: Option<MismatchStatus>,
}

impl QuickFilters {
    /// Whether `item` passes every filter that is set.
    fn admits(&self, item: &Item) -> bool {
        self.lane.is_none_or(|l| item.mismatch.lane == l)
            && self.severity.is_none_or(|s| item.mismatch.severity == s)
            && self.owner.as_ref().is_none_or(|o| &item.owner == o)
            && self.status.is_none_or(|s| item.status == s)
    }

    /// The filters that are set, in words for the table's head: `lane=exports owner=…`.
    fn words(&self) -> Vec<String> {
        let mut words = Vec::new();
        if let Some(l) = self.lane {
            words.push(format!("lane={l}"));
        }
        if let Some(s) = self.severity {
            words.push(format!("severity={s}"));
        }
        if let Some(o) = &self.owner {
            words.push(format!("owner={}", inert(o)));
        }
        if let Some(s) = &self.status {
            words.push(format!("status={s}"));
        }
        words
    }
}

impl App {
    /// The mismatch table's rows after filters and sort.
    pub fn visible_items(&self) -> Vec<&Item> {
        let Some(d) = &self.data else {
            return Vec::new();
        };
        self.visible_rows()
            .iter()
            .map(|&i| &d.items[i as usize])
            .collect()
    }

    /// The visible rows as indices into the items: the sort order computed with the data
    /// ([`crate::tui::data::ListIndex`]), filtered; the last answer is kept, so a frame or a
    /// move costs no filtering, and a filter typed further filters the last rows only.
    fn visible_rows(&self) -> std::sync::Arc<Vec<u32>> {
        let Some(d) = &self.data else {
            return Default::default();
        };
        let m = &self.mismatches;
        let data = (d.items.as_ptr() as usize, d.items.len());
        let query = Query {
            needle: m.filter.to_lowercase(),
            quick: m.quick.clone(),
            sort: m.sort,
            descending: m.descending,
        };
        if let Some(same) = m
            .shown
            .borrow()
            .iter()
            .find(|s| s.data == data && s.query == query)
        {
            return same.rows.clone();
        }
        let computed;
        let search = if d.list.search.ends.len() == d.items.len() {
            &d.list.search
        } else {
            computed = crate::tui::data::SearchText::of(&d.items);
            &computed
        };
        // Which rows pass, in item order (so the items are read in order, not in the sort
        // order's): the filter text, then the quick filters when any is set.
        let mut pass = search.matching(&query.needle);
        if m.quick != QuickFilters::default() {
            for (p, item) in pass.iter_mut().zip(&d.items) {
                *p = *p && m.quick.admits(item);
            }
        }
        let admits = |i: u32| pass[i as usize];
        // The same query but a longer filter: a row it shows was shown before, in order.
        let narrower = m
            .shown
            .borrow()
            .iter()
            .filter(|last| {
                last.data == data
                    && last.query.quick == query.quick
                    && last.query.sort == query.sort
                    && last.query.descending == query.descending
                    && query.needle.contains(&last.query.needle)
            })
            .min_by_key(|last| last.rows.len())
            .cloned();
        let rows: Vec<u32> = if let Some(last) = narrower {
            last.rows.iter().copied().filter(|i| admits(*i)).collect()
        } else {
            let all = 0..d.items.len() as u32;
            let mut rows: Vec<u32> = match m.sort {
                None => all.filter(|i| admits(*i)).collect(),
                Some(key) => match d.list.orders.get(key.index()) {
                    Some(order) if order.len() == d.items.len() => {
                        order.iter().copied().filter(|i| admits(*i)).collect()
                    }
                    _ => key.order(&d.items).into_iter().filter(|i| admits(*i)).collect(),
                },
            };
            if m.descending {
                rows.reverse();
            }
            rows
        };
        let rows = std::sync::Arc::new(rows);
        let mut shown = m.shown.borrow_mut();
        shown.retain(|s| s.data == data);
        if shown.len() >= SHOWN_KEPT {
            shown.remove(0);
        }
        shown.push(Shown {
            data,
            query,
            rows: rows.clone(),
        });
        rows
    }

    /// New data: the rows kept for the last queries no longer apply.
    pub(crate) fn forget_shown_mismatches(&mut self) {
        self.mismatches.shown.borrow_mut().clear();
    }

    /// A compact mismatch of a large period opened in the detail: read it whole.
    pub(crate) fn whole_detail_request(&self) -> Option<Request> {
        let item = self.data.as_ref()?.item(&self.detail.key)?;
        item.mismatch.title.is_empty().then(|| Request::Detail {
            key: item.mismatch.key.clone(),
        })
    }

    /// A mismatch read whole in place of its compact item.
    pub(crate) fn on_whole_detail(&mut self, mismatch: crate::reconcile::Mismatch) -> Vec<Request> {
        if let Some(d) = &mut self.data {
            d.fill_detail(mismatch);
        }
        self.mismatches.shown.borrow_mut().clear();
        Vec::new()
    }

    /// Index of the selected mismatch among the visible rows.
    pub fn mismatch_index(&self) -> usize {
        let (Some(d), Some(k)) = (&self.data, &self.mismatches.selected_key) else {
            return 0;
        };
        let rows = self.visible_rows();
        // Where the table last had it, else looked for.
        let at = |n: usize| {
            rows.get(n)
                .is_some_and(|&i| &d.items[i as usize].mismatch.key == k)
        };
        match self.mismatches.table.selected() {
            Some(n) if at(n) => n,
            _ => rows
                .iter()
                .position(|&i| &d.items[i as usize].mismatch.key == k)
                .unwrap_or(0),
        }
    }

    /// The key of the `n`th visible row.
    fn visible_key(&self, n: usize) -> Option<String> {
        let d = self.data.as_ref()?;
        let i = *self.visible_rows().get(n)?;
        Some(d.items[i as usize].mismatch.key.clone())
    }

    pub(crate) fn filter_key(&mut self, key: KeyEvent) {
        let m = &mut self.mismatches;
        match key.code {
            KeyCode::Enter => m.typing = false,
            KeyCode::Esc => {
                m.typing = false;
                m.filter.clear();
            }
            KeyCode::Backspace => {
                m.filter.pop();
            }
            // Ctrl-U clears, as in `/` search; other Ctrl and Alt chords type nothing.
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => m.filter.clear(),
            KeyCode::Char(c)
                if !c.is_control()
                    && !key
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                m.filter.push(c)
            }
            _ => {}
        }
        self.mismatches.table.select(Some(0));
        self.mismatches.selected_key = self.visible_key(0);
    }

    pub(crate) fn update_mismatches(&mut self, action: Action) -> Vec<Request> {
        let shown = self.visible_rows().len();
        let sel = self.mismatch_index();
        match action {
            a if a.is_nav() => {
                let i = clamp_move(sel, shown, &a, self.page_rows);
                self.mismatches.selected_key = self.visible_key(i);
                return Vec::new();
            }
            Action::Enter => {
                if let Some(key) = self.visible_key(sel) {
                    return self.open_detail(key);
                }
                return Vec::new();
            }
            // The selected mismatch's evidence, as `t` in its detail (Esc comes back here).
            Action::Trace => {
                if let Some(key) = self.visible_key(sel) {
                    return self.open_evidence_of(key);
                }
                return Vec::new();
            }
            _ => {}
        }
        let m = &mut self.mismatches;
        match action {
            Action::Filter => m.typing = true,
            Action::SortNext => {
                m.sort = Some(m.sort.map_or(SortKey::Lane, SortKey::next));
                m.descending = false;
            }
            Action::SortReverse => {
                m.sort.get_or_insert(SortKey::Severity);
                m.descending = !m.descending;
            }
            Action::CycleLane => {
                let present: Vec<Lane> = Lane::ALL
                    .iter()
                    .copied()
                    .filter(|l| {
                        self.data
                            .iter()
                            .flat_map(|d| &d.items)
                            .any(|i| i.mismatch.lane == *l)
                    })
                    .collect();
                m.quick.lane = cycle(&present, m.quick.lane.as_ref());
            }
            Action::CycleSeverity => {
                let all: Vec<Severity> = Severity::ALL.iter().rev().copied().collect();
                m.quick.severity = cycle(&all, m.quick.severity.as_ref());
            }
            Action::CycleOwner => {
                let owners: Vec<String> = match &self.data {
                    Some(d) if !d.list.owners.is_empty() => d.list.owners.clone(),
                    _ => {
                        let owners: std::collections::BTreeSet<&String> = self
                            .data
                            .iter()
                            .flat_map(|d| &d.items)
                            .map(|i| &i.owner)
                            .collect();
                        owners.into_iter().cloned().collect()
                    }
                };
                m.quick.owner = cycle(&owners, m.quick.owner.as_ref());
            }
            Action::CycleStatus => {
                m.quick.status = cycle(MismatchStatus::ALL, m.quick.status.as_ref());
            }
            Action::ClearFilters => {
                m.quick = QuickFilters::default();
                m.filter.clear();
            }
            _ => {}
        }
        Vec::new()
    }
}

fn cycle<T: Clone + PartialEq>(all: &[T], current: Option<&T>) -> Option<T> {
    match current {
        None => all.first().cloned(),
        Some(c) => {
            let i = all.iter().position(|x| x == c)?;
            all.get(i + 1).cloned()
        }
    }
}

/// The mismatch table's own keys.
pub fn bindings() -> Vec<Binding> {
    use KeyCode::*;
    use K::*;
    vec![
        b(&[Code(Enter)], "Enter", "detail", Action::Enter, true),
        key('t', "trace", Action::Trace, true),
        key('/', "filter", Action::Filter, true),
        key('s', "sort", Action::SortNext, true),
        key('S', "reverse sort", Action::SortReverse, false),
        key('L', "by lane", Action::CycleLane, true),
        key('V', "by severity", Action::CycleSeverity, true),
        key('O', "by owner", Action::CycleOwner, true),
        key('T', "by status", Action::CycleStatus, true),
        key('x', "clear filters", Action::ClearFilters, true),
    ]
}

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
    let [bar, table_area, selected_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(4)]).areas(area);
    let all = app.visible_items();
    let total = app.data.as_ref().map_or(0, |d| d.total());
    let m = &app.mismatches;
    let mut filters = Vec::new();
    if !m.filter.is_empty() {
        filters.push(format!("/{}", inert(&m.filter)));
    }
    filters.extend(m.quick.words());
    let sort = match m.sort {
        None => "severity".to_string(),
        Some(k) => k.name().to_string(),
    };
    let dir = if m.descending { " (reversed)" } else { "" };
    let head = format!(
        "{} of {total} shown · sort {sort}{dir}{}",
        all.len(),
        if filters.is_empty() {
            String::new()
        } else {
            format!(" · filter {}", filters.join(" "))
        }
    );
    frame.render_widget(Paragraph::new(Line::from(Span::styled(head, theme.dim()))), bar);

    // Only the rows on screen are built (a dirty period lists 100,000): the window that
    // keeps the selected row in view, moved as little as possible, as the table would.
    let idx = app.mismatch_index();
    let height = usize::from(table_area.height.saturating_sub(1)).max(1);
    let offset = super::scrolled(app.mismatches.table.offset(), idx, height, all.len());
    let items = &all[offset.min(all.len())..(offset + height).min(all.len())];
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
    // The variance after accepted corrections, in a column of its own while any row shown
    // has one (the CLI's list shows both): the raw figure alone read as still open.
    let corrected = items.iter().any(|i| i.corrected.2 != i.mismatch.variance);
    let wc = w(&|i| signed(i.corrected.2), 9);
    let mut widths = vec![
        Constraint::Length(6),
        Constraint::Fill(2),
        Constraint::Fill(3),
        Constraint::Length(we),
        Constraint::Length(wa),
        Constraint::Length(wv),
    ];
    let mut header = vec!["sev", "lane", "subject", "expected", "actual", "variance"];
    if corrected {
        widths.push(Constraint::Length(wc));
        header.push("corrected");
    }
    widths.extend([Constraint::Fill(2), Constraint::Length(8)]);
    header.extend(["owner", "status"]);
    // Text cut to its column ends with `…`: lane, subject, owner.
    let cols = super::column_widths(table_area.width, &widths, 0);
    let owner_col = cols.len() - 2;
    let rows: Vec<Row> = items
        .iter()
        .map(|i| {
            let mm = &i.mismatch;
            let mut cells = vec![
                Cell::from(Span::styled(
                    severity_short(mm.severity),
                    theme.severity(mm.severity),
                )),
                Cell::from(super::fit(super::overview::lane_short(mm.lane), cols[1])),
                Cell::from(super::fit(&inert(&mm.subject), cols[2])),
                Cell::from(Line::from(mm.expected.grouped()).right_aligned()),
                Cell::from(Line::from(mm.actual.grouped()).right_aligned()),
                Cell::from(Line::from(signed(mm.variance)).right_aligned()),
            ];
            if corrected {
                cells.push(Cell::from(Line::from(signed(i.corrected.2)).right_aligned()));
            }
            cells.push(Cell::from(super::fit(&inert(&i.owner), cols[owner_col])));
            cells.push(Cell::from(Span::styled(
                status_short(i.status),
                theme.status(i.status.as_str()),
            )));
            Row::new(cells)
        })
        .collect();
    let empty = rows.is_empty();
    let table = Table::new(rows, widths)
        .column_spacing(1)
        .header(Row::new(header).style(theme.dim()))
        .row_highlight_style(theme.selected());
    let selected_text = all.get(idx).map(|i| {
        let next = &i.mismatch.next_action;
        format!(
            "{} · owner {}{}",
            inert(&i.mismatch.key),
            inert(&i.owner),
            // A compact mismatch of a large period: its next action is read when opened.
            if next.is_empty() {
                String::new()
            } else {
                format!(" · next: {}", inert(next))
            }
        )
    });
    let selected = (!empty).then_some(idx);
    app.mismatches.table.select(selected);
    *app.mismatches.table.offset_mut() = offset;
    if empty {
        let m = &app.mismatches;
        let filtered = !m.filter.is_empty() || m.quick != QuickFilters::default();
        let none = app.data.as_ref().is_none_or(|d| d.items.is_empty());
        let text = if none && !filtered {
            "No mismatches: every check ties."
        } else {
            "No mismatch matches these filters (x clears them)."
        };
        frame.render_widget(Paragraph::new(text), table_area);
    } else {
        let mut window = TableState::default().with_selected(selected.map(|i| i - offset));
        frame.render_stateful_widget(table, table_area, &mut window);
    }
    // The selected row's owner and next action in full, wrapped: at 80 columns the table
    // cuts both.
    if let Some(text) = selected_text {
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(ratatui::widgets::Block::new().borders(ratatui::widgets::Borders::TOP)),
            selected_area,
        );
    }
}

/// Status words that fit the table: `in_correction` → `in corr…` (cut text ends with `…`).
pub fn status_short(status: MismatchStatus) -> &'static str {
    match status {
        MismatchStatus::InCorrection => "in corr…",
        other => other.as_str(),
    }
}
