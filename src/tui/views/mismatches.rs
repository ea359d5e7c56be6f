//! Every mismatch in a table: sort, text filter, quick filters. Owns the table's state, its
//! keys and its drawing; reads `App::data`, never the database.

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::TableState;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::signed;
use crate::snapshot::model::{Lane, MismatchStatus, Severity};
use crate::text::inert;
use crate::tui::action::{b, clamp_move, Action, Binding, K};
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
    const ORDER: [SortKey; 8] = [
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
}

/// The quick filters, one key each to cycle (`x` clears them all).
#[derive(Clone, Debug, Default)]
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
        let m = &self.mismatches;
        let needle = m.filter.to_lowercase();
        let mut rows: Vec<&Item> = d
            .items
            .iter()
            .filter(|i| m.quick.admits(i))
            .filter(|i| {
                needle.is_empty() || {
                    let mm = &i.mismatch;
                    [
                        mm.key.as_str(),
                        mm.title.as_str(),
                        mm.subject.as_str(),
                        i.owner.as_str(),
                        mm.next_action.as_str(),
                        i.status.as_str(),
                        mm.severity.as_str(),
                    ]
                    .iter()
                    .any(|t| t.to_lowercase().contains(&needle))
                }
            })
            .collect();
        if let Some(key) = m.sort {
            rows.sort_by(|a, b| {
                let (x, y) = (&a.mismatch, &b.mismatch);
                let o = match key {
                    SortKey::Severity => crate::tui::data::severity_order(x, y),
                    SortKey::Lane => x.lane.as_str().cmp(y.lane.as_str()),
                    SortKey::Subject => x.subject.cmp(&y.subject),
                    SortKey::Expected => x.expected.cmp(&y.expected),
                    SortKey::Actual => x.actual.cmp(&y.actual),
                    SortKey::Variance => y.variance.abs().cmp(&x.variance.abs()),
                    SortKey::Owner => a.owner.cmp(&b.owner),
                    SortKey::Status => a.status.as_str().cmp(b.status.as_str()),
                };
                o.then_with(|| crate::tui::data::severity_order(x, y))
            });
        }
        if m.descending {
            rows.reverse();
        }
        rows
    }

    /// Index of the selected mismatch among the visible rows.
    pub fn mismatch_index(&self) -> usize {
        let rows = self.visible_items();
        self.mismatches
            .selected_key
            .as_ref()
            .and_then(|k| rows.iter().position(|i| &i.mismatch.key == k))
            .unwrap_or(0)
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
            KeyCode::Char(c) if !c.is_control() => m.filter.push(c),
            _ => {}
        }
        self.mismatches.table.select(Some(0));
        self.mismatches.selected_key = self.visible_items().first().map(|i| i.mismatch.key.clone());
    }

    pub(crate) fn update_mismatches(&mut self, action: Action) -> Vec<Request> {
        let keys = Item::keys(&self.visible_items());
        let sel = self.mismatch_index();
        let m = &mut self.mismatches;
        match action {
            a if a.is_nav() => {
                let i = clamp_move(sel, keys.len(), &a, self.page_rows);
                m.selected_key = keys.get(i).cloned();
            }
            Action::Enter => {
                if let Some(key) = keys.get(sel) {
                    return self.open_detail(key.clone());
                }
            }
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
                let mut owners: Vec<String> = self
                    .data
                    .iter()
                    .flat_map(|d| &d.items)
                    .map(|i| i.owner.clone())
                    .collect();
                owners.sort();
                owners.dedup();
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
        b(&[Ch('/')], "/", "filter", Action::Filter, true),
        b(&[Ch('s')], "s", "sort", Action::SortNext, true),
        b(&[Ch('S')], "S", "reverse sort", Action::SortReverse, false),
        b(&[Ch('L')], "L", "by lane", Action::CycleLane, true),
        b(&[Ch('V')], "V", "by severity", Action::CycleSeverity, true),
        b(&[Ch('O')], "O", "by owner", Action::CycleOwner, false),
        b(&[Ch('T')], "T", "by status", Action::CycleStatus, false),
        b(&[Ch('x')], "x", "clear filters", Action::ClearFilters, false),
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
    let items = app.visible_items();
    let total = app.data.as_ref().map_or(0, |d| d.items.len());
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
                Cell::from(Span::styled(
                    status_short(i.status),
                    theme.status(i.status.as_str()),
                )),
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
    // The selected row's owner and next action in full, wrapped: at 80 columns the table
    // cuts both.
    let selected = app.visible_items().get(idx).map(|i| {
        format!(
            "{} · owner {} · next: {}",
            inert(&i.mismatch.key),
            inert(&i.owner),
            inert(&i.mismatch.next_action)
        )
    });
    if let Some(text) = selected {
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(ratatui::widgets::Block::new().borders(ratatui::widgets::Borders::TOP)),
            selected_area,
        );
    }
}

/// Status words that fit the table: `in_correction` → `in corr`.
pub fn status_short(status: MismatchStatus) -> &'static str {
    match status {
        MismatchStatus::InCorrection => "in corr",
        other => other.as_str(),
    }
}
