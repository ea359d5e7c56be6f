//! `/` search in a table, one state for every view: the query as typed, the hits once it is
//! confirmed (Enter) and which one is current; `n`/`N` step through them with wrap, `Esc`
//! clears. A hit is whatever names a row in its view (`usize`: a row of a table held whole;
//! `String`: a row id of a lane read from storage, whose hits the worker finds with SQL).
//!
//! What matches ([`matches`]): a cell containing the query (any case), or, when the query
//! reads as an amount (`9.75`, `2,180.37`, `-9.75`), a cell showing that amount (`9.75`
//! also finds `-9.75`: unsigned, it matches either sign). Amount cells match by value only,
//! so `9.75` does not find `19.75`. The same rule as the lanes' SQL
//! (`Snapshot::lane_search`).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::money::Money;
use crate::snapshot::pages::LaneTable;
use crate::text::inert;
use crate::tui::action::{b, key, Action, Binding, K};
use crate::tui::app::{App, View};
use crate::tui::data::Request;
use crate::tui::views::lanes::LanesState;

/// The searches of every searchable table, each kept while its view is away.
#[derive(Clone, Debug, Default)]
pub struct Searches {
    /// One per lane table, in [`LaneTable::ALL`]'s order; hits are row ids.
    pub lanes: [Search<String>; LaneTable::ALL.len()],
    pub audit: Search<usize>,
    pub checklist: Search<usize>,
    /// The mismatch's source rows.
    pub detail: Search<usize>,
    /// The evidence's lines.
    pub evidence: Search<usize>,
    /// What the row-number searches were made over: the mismatch of the detail and of the
    /// evidence, the audit log's filters and newest entry. When it changes, their hits
    /// would name other rows: they are dropped ([`App::sync_searches`]).
    made_over: (String, String, String),
}

/// The search keys of a table's view. `note_on_n`: the view's `n` is "note"; there `n`
/// steps through hits only while a search is active (the footer then says so), and the
/// table lists `N` with that.
pub fn bindings(note_on_n: bool) -> Vec<Binding> {
    use K::*;
    let mut keys = vec![key('/', "search", Action::Search, true)];
    if note_on_n {
        keys.push(b(
            &[Ch('N')],
            "n/N",
            "hits, while a search is on",
            Action::PrevHit,
            false,
        ));
    } else {
        keys.push(key('n', "next hit", Action::NextHit, false));
        keys.push(key('N', "previous hit", Action::PrevHit, false));
    }
    keys
}

/// The search of one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search<T> {
    pub query: String,
    /// The query is being typed (Enter confirms, Esc cancels).
    pub typing: bool,
    /// The rows that match the confirmed query, in table order.
    pub hits: Vec<T>,
    /// Which hit is current.
    pub at: Option<usize>,
    /// The hits are being looked for (by the worker).
    pub pending: bool,
    /// The worker stopped at this many hits.
    pub capped: bool,
}

impl<T> Default for Search<T> {
    fn default() -> Self {
        Search {
            query: String::new(),
            typing: false,
            hits: Vec::new(),
            at: None,
            pending: false,
            capped: false,
        }
    }
}

/// What a key did to a query being typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    Typing,
    /// Enter on a non-empty query: look for it.
    Confirm,
    /// Esc, or Enter on an empty query: no search.
    Cancel,
}

impl<T: Clone + Ord> Search<T> {
    /// `/`: start typing a new query.
    pub fn start(&mut self) {
        *self = Search {
            typing: true,
            ..Search::default()
        };
    }

    /// A confirmed query is in force: `n`/`N` step, `Esc` clears.
    pub fn active(&self) -> bool {
        !self.typing && !self.query.is_empty()
    }

    pub fn clear(&mut self) {
        *self = Search::default();
    }

    /// A key while typing.
    pub fn edit(&mut self, key: &KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.clear();
                Edit::Cancel
            }
            KeyCode::Enter if self.query.trim().is_empty() => {
                self.clear();
                Edit::Cancel
            }
            KeyCode::Enter => {
                self.typing = false;
                self.query = self.query.trim().to_string();
                self.pending = true;
                Edit::Confirm
            }
            KeyCode::Backspace => {
                self.query.pop();
                Edit::Typing
            }
            KeyCode::Char('u') if ctrl => {
                self.query.clear();
                Edit::Typing
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() && self.query.chars().count() < 64 => {
                self.query.push(c);
                Edit::Typing
            }
            _ => Edit::Typing,
        }
    }

    /// The hits arrived: the current one is the first at or after `from` (wrapping to the
    /// first); returns it.
    pub fn found(&mut self, mut hits: Vec<T>, from: Option<&T>, capped: bool) -> Option<T> {
        hits.sort();
        hits.dedup();
        self.pending = false;
        self.capped = capped;
        self.hits = hits;
        self.at = if self.hits.is_empty() {
            None
        } else {
            Some(
                from.and_then(|f| self.hits.iter().position(|h| h >= f))
                    .unwrap_or(0),
            )
        };
        self.current()
    }

    pub fn current(&self) -> Option<T> {
        self.at.and_then(|i| self.hits.get(i)).cloned()
    }

    /// `n` (forward) or `N`: the next or previous hit, wrapping.
    pub fn step(&mut self, forward: bool) -> Option<T> {
        let n = self.hits.len();
        let at = self.at?;
        self.at = Some(if forward { (at + 1) % n } else { (at + n - 1) % n });
        self.current()
    }

    pub fn is_hit(&self, row: &T) -> bool {
        self.active() && self.hits.binary_search(row).is_ok()
    }

    /// For the footer: the query being typed, or the hits of the confirmed one
    /// (`/ACC-1004 · hit 3/17`).
    pub fn status(&self) -> String {
        let q = inert(&self.query);
        if self.typing {
            return format!("search: {q}▏");
        }
        let more = if self.capped { "+" } else { "" };
        match (self.pending, self.at) {
            (true, _) => format!("/{q} · searching…"),
            (false, None) => format!("/{q} · no hits"),
            (false, Some(i)) => format!("/{q} · hit {}/{}{more}", i + 1, self.hits.len()),
        }
    }
}

impl App {
    /// Drops the searches whose rows changed under them (another mismatch opened, the audit
    /// log filtered or grown at the top); see [`Searches`].
    pub(crate) fn sync_searches(&mut self) {
        let audit = format!(
            "{:?} {:?} {:?}",
            self.audit.kind,
            self.audit.user,
            self.audit.rows.first().map(|e| e.row.seq)
        );
        let s = &mut self.search;
        if s.made_over.0 != self.detail.key {
            s.detail.clear();
            s.made_over.0 = self.detail.key.clone();
        }
        if s.made_over.1 != self.evidence.key {
            s.evidence.clear();
            s.made_over.1 = self.evidence.key.clone();
        }
        if s.made_over.2 != audit {
            s.audit.clear();
            s.made_over.2 = audit;
        }
    }

    /// The search of the current view's table of rows held whole, if it has one.
    fn index_search(&self) -> Option<&Search<usize>> {
        let s = &self.search;
        match self.view {
            View::Audit => Some(&s.audit),
            View::Checklist => Some(&s.checklist),
            View::Detail => Some(&s.detail),
            View::Evidence => Some(&s.evidence),
            _ => None,
        }
    }

    fn index_search_mut(&mut self) -> Option<&mut Search<usize>> {
        let s = &mut self.search;
        match self.view {
            View::Audit => Some(&mut s.audit),
            View::Checklist => Some(&mut s.checklist),
            View::Detail => Some(&mut s.detail),
            View::Evidence => Some(&mut s.evidence),
            _ => None,
        }
    }

    /// The current view's search as the footer says it (query typed, or hits), if any.
    pub fn search_status(&self) -> Option<String> {
        let (typing, active, status) = match self.view {
            View::Lanes => {
                let s = &self.search.lanes[self.lanes.current];
                (s.typing, s.active(), s.status())
            }
            _ => {
                let s = self.index_search()?;
                (s.typing, s.active(), s.status())
            }
        };
        (typing || active).then_some(status)
    }

    /// A query is being typed in the current view.
    pub fn search_typing(&self) -> bool {
        match self.view {
            View::Lanes => self.search.lanes[self.lanes.current].typing,
            _ => self.index_search().is_some_and(|s| s.typing),
        }
    }

    /// A confirmed search is on in the current view (`n`/`N` step, `Esc` clears).
    pub fn search_active(&self) -> bool {
        match self.view {
            View::Lanes => self.search.lanes[self.lanes.current].active(),
            _ => self.index_search().is_some_and(Search::active),
        }
    }

    /// The rows of the current view's table, as cells to match.
    fn search_rows(&self) -> Vec<Vec<String>> {
        match self.view {
            View::Audit => self
                .audit
                .shown()
                .into_iter()
                .map(|e| {
                    let r = &e.row;
                    let mut cells = vec![
                        r.seq.to_string(),
                        r.at.clone(),
                        r.actor.clone(),
                        r.action.clone(),
                        r.target.clone(),
                    ];
                    cells.extend(e.changes.iter().cloned());
                    cells.extend(r.text.iter().cloned());
                    cells
                })
                .collect(),
            View::Checklist => self.data.as_ref().map_or_else(Vec::new, |d| {
                d.checklist
                    .iter()
                    .map(|c| {
                        vec![
                            c.item.to_string(),
                            c.title.clone(),
                            c.status.as_str().to_string(),
                            c.updated_by.clone().unwrap_or_default(),
                        ]
                    })
                    .collect()
            }),
            View::Detail => self
                .detail_sources()
                .into_iter()
                .map(|(side, table, id)| vec![side.to_string(), table.to_string(), id])
                .collect(),
            View::Evidence => self.evidence.lines().iter().map(|l| line_cells(l)).collect(),
            _ => Vec::new(),
        }
    }

    /// The selected row of the current view's table.
    fn search_from(&self) -> usize {
        match self.view {
            View::Audit => self.audit.selected,
            View::Checklist => self.checklist.selected,
            View::Detail => self.detail.source,
            View::Evidence => self.evidence.scroll,
            _ => 0,
        }
    }

    /// Selects row `i` of the current view's table (the evidence: scrolls to it).
    fn search_select(&mut self, i: usize) -> Vec<Request> {
        match self.view {
            View::Audit => self.audit.selected = i,
            View::Checklist => {
                self.checklist.selected = i;
                return self.checklist_trail_request();
            }
            View::Detail => {
                self.detail.pane = super::views::mismatch_detail::DetailPane::Sources;
                self.detail.source = i;
            }
            View::Evidence => self.evidence.scroll = i.saturating_sub(2),
            _ => {}
        }
        Vec::new()
    }

    /// `/`: start typing a query in the current view's table.
    pub(crate) fn start_search(&mut self) -> Vec<Request> {
        match self.view {
            View::Lanes => self.search.lanes[self.lanes.current].start(),
            _ => match self.index_search_mut() {
                Some(s) => s.start(),
                None => self.flash = Some((true, "this view has no table to search".into())),
            },
        }
        Vec::new()
    }

    /// A key while a query is typed: Enter looks for it (a lane asks the worker, whose SQL
    /// reads the whole table; other tables are held whole and matched here).
    pub(crate) fn search_key(&mut self, key: KeyEvent) -> Vec<Request> {
        if self.view == View::Lanes {
            let lane = self.lanes.lane();
            let s = &mut self.search.lanes[self.lanes.current];
            return match s.edit(&key) {
                Edit::Confirm => vec![Request::LaneSearch {
                    lane,
                    query: s.query.clone(),
                }],
                Edit::Typing | Edit::Cancel => Vec::new(),
            };
        }
        let Some(s) = self.index_search_mut() else {
            return Vec::new();
        };
        if s.edit(&key) != Edit::Confirm {
            return Vec::new();
        }
        let query = s.query.clone();
        let hits: Vec<usize> = self
            .search_rows()
            .iter()
            .enumerate()
            .filter(|(_, cells)| matches(&query, cells))
            .map(|(i, _)| i)
            .collect();
        let from = self.search_from();
        let hit = self
            .index_search_mut()
            .and_then(|s| s.found(hits, Some(&from), false));
        hit.map_or_else(Vec::new, |i| self.search_select(i))
    }

    /// `n` (forward) or `N`: the next or previous hit, wrapping.
    pub(crate) fn step_search(&mut self, forward: bool) -> Vec<Request> {
        if !self.search_active() {
            self.flash = Some((true, "no search on: / searches this table".into()));
            return Vec::new();
        }
        if self.view == View::Lanes {
            let hit = self.search.lanes[self.lanes.current].step(forward);
            return hit.map_or_else(Vec::new, |id| self.jump_lane(id));
        }
        let hit = self.index_search_mut().and_then(|s| s.step(forward));
        hit.map_or_else(Vec::new, |i| self.search_select(i))
    }

    /// Esc with a search on: clears it (and does not go back).
    pub(crate) fn clear_search(&mut self) {
        match self.view {
            View::Lanes => self.search.lanes[self.lanes.current].clear(),
            _ => {
                if let Some(s) = self.index_search_mut() {
                    s.clear();
                }
            }
        }
    }

    /// A lane's hits arrived: the first at or after the selection is selected (its page
    /// read when it is not loaded).
    pub(crate) fn on_lane_search(
        &mut self,
        lane: LaneTable,
        query: String,
        ids: Vec<String>,
        capped: bool,
    ) -> Vec<Request> {
        let idx = LanesState::index(lane);
        let data = &self.lanes.lanes[idx];
        let from = data.rows.get(data.selected).map(|r| r.id().to_string());
        let s = &mut self.search.lanes[idx];
        if s.query != query || s.typing {
            return Vec::new(); // a newer search, or none
        }
        let hit = s.found(ids, from.as_ref(), capped);
        match hit {
            Some(id) if self.view == View::Lanes && self.lanes.current == idx => self.jump_lane(id),
            _ => Vec::new(),
        }
    }

    /// Selects row `id` of the current lane: at once when it is loaded, else once the pages
    /// around it arrive.
    fn jump_lane(&mut self, id: String) -> Vec<Request> {
        let data = &mut self.lanes.lanes[self.lanes.current];
        if let Some(i) = data.rows.iter().position(|r| r.id() == id) {
            data.selected = i;
            return Vec::new();
        }
        let lane = self.lanes.lane();
        self.on_located(lane, Some(id))
    }
}

/// The query as an amount: `9.75`, `2,180.37`, `-9.75` (commas as thousands separators).
pub fn query_amount(query: &str) -> Option<Money> {
    let t = query.trim().replace(['−', '\u{2212}'], "-");
    let t = t.strip_prefix('+').unwrap_or(&t);
    if !t.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Money::parse(&t.replace(',', "")).ok()
}

/// A cell as an amount, when it shows one (`2,180.37`, `-9.75`, `+4.52`).
fn cell_amount(cell: &str) -> Option<Money> {
    let t = cell.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '+' | '−'))
    {
        return None;
    }
    query_amount(t)
}

/// Whether a row (its cells as shown) matches `query`; see the module docs.
pub fn matches(query: &str, cells: &[String]) -> bool {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return false;
    }
    let amount = query_amount(&q);
    let signed = q.starts_with(['-', '+', '−']);
    cells.iter().any(|cell| match cell_amount(cell) {
        Some(shown) => amount.is_some_and(|a| {
            if signed {
                shown == a
            } else {
                shown.abs() == a.abs()
            }
        }),
        None => cell.to_lowercase().contains(&q),
    })
}

/// A line of text as cells: the runs between two or more spaces (the evidence's columns).
pub fn line_cells(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ids_names_and_amounts_match_as_shown() {
        let row = cells(&[
            "EL-0042",
            "ACC-1004",
            "Cedar Ridge Health System",
            "2,180.37",
            "-9.75",
        ]);
        assert!(matches("acc-1004", &row));
        assert!(matches("cedar ridge", &row));
        assert!(matches("2,180.37", &row));
        assert!(matches("2180.37", &row));
        assert!(matches("9.75", &row), "unsigned matches either sign");
        assert!(matches("-9.75", &row));
        assert!(!matches("+9.75", &row), "signed matches only that sign");
        assert!(!matches("80.37", &row), "amounts match by value, not as text");
        assert!(!matches("1005", &row));
        assert!(matches("1004", &row), "a number also finds ids that contain it");
        assert!(!matches("", &row));
    }

    #[test]
    fn steps_wrap_and_start_at_or_after_the_selection() {
        let mut s: Search<usize> = Search::default();
        s.start();
        for c in "x".chars() {
            s.edit(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        assert_eq!(
            s.edit(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            Edit::Confirm
        );
        assert_eq!(s.found(vec![9, 2, 5], Some(&3), false), Some(5));
        assert_eq!(s.status(), "/x · hit 2/3");
        assert_eq!(s.step(true), Some(9));
        assert_eq!(s.step(true), Some(2), "wraps");
        assert_eq!(s.step(false), Some(9), "wraps back");
        assert_eq!(
            s.found(vec![1], Some(&3), false),
            Some(1),
            "none after: the first"
        );
        assert_eq!(s.found(vec![], Some(&3), false), None);
        assert_eq!(s.status(), "/x · no hits");
        assert_eq!(
            s.edit(&KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            Edit::Cancel
        );
        assert!(!s.active());
    }
}
