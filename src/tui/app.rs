//! The cockpit's state and the one place it changes: key presses and background results
//! become [`Action`]s and updates; updates return the [`Request`]s to send to the worker.
//! Nothing here touches the terminal or the database, so every key sequence is testable.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::widgets::TableState;
use ratatui_textarea::TextArea;

use super::data::{Item, Loaded, Request, Response, WriteOp, PAGE};
use super::keymap;
use crate::money::Money;
use crate::snapshot::model::{Lane, PeriodStatus, Role, Severity};
use crate::snapshot::pages::{AnnotationRow, AuditRow, Direction, LaneTable, PageRow};
use crate::text::inert;

/// The views, one key each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    Overview,
    Mismatches,
    Detail,
    Checklist,
    Lanes,
    Audit,
    SignOff,
}

impl View {
    pub const ALL: [View; 7] = [
        View::Overview,
        View::Mismatches,
        View::Detail,
        View::Checklist,
        View::Lanes,
        View::Audit,
        View::SignOff,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Mismatches => "Mismatches",
            View::Detail => "Mismatch",
            View::Checklist => "Checklist",
            View::Lanes => "Lanes",
            View::Audit => "Audit",
            View::SignOff => "Sign-off",
        }
    }
}

/// What a key asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Back,
    Show(View),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextPane,
    PrevPane,
    Enter,
    Filter,
    SortNext,
    SortReverse,
    CycleLane,
    CycleSeverity,
    CycleOwner,
    CycleStatus,
    ClearFilters,
    Note,
    Correction,
    Waive,
    Accept,
    Reject,
    SetChecklist(&'static str),
    Verify,
    SignOff,
    Reopen,
    /// Write the close packet (Markdown) next to the snapshot.
    ExportPacket,
}

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

    fn next(self) -> SortKey {
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
    pub lane: Option<Lane>,
    pub severity: Option<Severity>,
    pub owner: Option<String>,
    pub status: Option<String>,
}

/// Panes of the mismatch detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DetailPane {
    #[default]
    Sources,
    Trail,
}

#[derive(Clone, Debug, Default)]
pub struct DetailState {
    pub key: String,
    pub pane: DetailPane,
    pub source: usize,
    pub trail_scroll: usize,
    pub trail: Option<Vec<AnnotationRow>>,
}

#[derive(Clone, Debug, Default)]
pub struct ChecklistState {
    pub selected: usize,
    pub trail: Option<(u32, Vec<AnnotationRow>)>,
}

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
    fn index(lane: LaneTable) -> usize {
        LaneTable::ALL.iter().position(|l| *l == lane).unwrap_or(0)
    }
}

#[derive(Clone, Debug, Default)]
pub struct AuditState {
    pub rows: Vec<AuditRow>,
    pub selected: usize,
    pub table: TableState,
    pub loaded: bool,
    pub at_end: bool,
    pub pending: bool,
    pub verify: Option<Result<String, String>>,
}

/// What a draft in the editor is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    Note { kind: &'static str, target: String },
    Correction { key: String },
    Waiver { key: String },
    Rejection { key: String },
    Reopen,
}

impl Purpose {
    pub fn title(&self) -> String {
        match self {
            Purpose::Note {
                kind: "checklist",
                target,
            } => format!("Note on checklist item {}", inert(target)),
            Purpose::Note { target, .. } => format!("Note on {}", inert(target)),
            Purpose::Correction { key } => format!("Correction to {}", inert(key)),
            Purpose::Waiver { key } => format!("Waive {} — reason", inert(key)),
            Purpose::Rejection { key } => format!("Send back the correction to {} — why", inert(key)),
            Purpose::Reopen => "Reopen the period — reason".to_string(),
        }
    }
}

/// The multi-line editor for notes, corrections and reasons.
pub struct Editor {
    pub purpose: Purpose,
    pub area: TextArea<'static>,
    pub confirm_discard: bool,
    /// The discard question came from Ctrl-C: quit after discarding.
    pub confirm_quit: bool,
    /// A checklist note is saved with a move: waiting for the move's key.
    pub choose_move: bool,
    pub error: Option<String>,
    /// The version of the mismatch or item when the editor opened: what the user decided
    /// on. A change made since is refused as a conflict when the draft is saved.
    pub seen: Option<i64>,
}

impl Editor {
    fn new(purpose: Purpose) -> Editor {
        let mut area = TextArea::default();
        if let Purpose::Correction { .. } = purpose {
            area.set_placeholder_text("first line: amount and side, e.g. -9.75 actual; then why");
        }
        Editor {
            purpose,
            area,
            confirm_discard: false,
            confirm_quit: false,
            choose_move: false,
            error: None,
            seen: None,
        }
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.text().trim().is_empty()
    }
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor")
            .field("purpose", &self.purpose)
            .field("text", &self.text())
            .field("confirm_discard", &self.confirm_discard)
            .finish()
    }
}

/// The typed confirmation of a sign-off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignOffState {
    pub typing: Option<String>,
}

/// The whole cockpit.
#[derive(Debug)]
pub struct App {
    pub data: Option<Loaded>,
    pub error: Option<String>,
    pub view: View,
    pub back: Vec<View>,
    pub help: bool,
    pub editor: Option<Editor>,
    pub overview: TableState,
    pub mismatches: MismatchesState,
    pub detail: DetailState,
    pub checklist: ChecklistState,
    pub lanes: LanesState,
    pub audit: AuditState,
    pub signoff: SignOffState,
    /// A one-line message: a result or an inline refusal.
    pub flash: Option<(bool, String)>,
    pub quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Rows of the body, for page up/down.
    pub page_rows: usize,
    /// A reload is under way.
    pub loading: bool,
    pub updated_at: Option<String>,
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

fn clamp_move(selected: usize, len: usize, action: &Action, page: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let last = len - 1;
    match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (selected + 1).min(last),
        Action::PageUp => selected.saturating_sub(page.max(1)),
        Action::PageDown => (selected + page.max(1)).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => selected.min(last),
    }
}

fn is_nav(action: &Action) -> bool {
    matches!(
        action,
        Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom
    )
}

/// Parses the first line of a correction: `AMOUNT SIDE`.
pub fn parse_correction(text: &str) -> Result<(Money, String, String), String> {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").trim();
    let mut words = first.split_whitespace();
    let amount = words
        .next()
        .ok_or("first line: the amount and the side, e.g. -9.75 actual")?;
    let amount = Money::parse(amount).map_err(|e| format!("amount {}: {e}", inert(amount)))?;
    let side = words.next().unwrap_or("");
    if !matches!(side, "expected" | "actual") {
        return Err("the side after the amount must be expected or actual".to_string());
    }
    let why: Vec<&str> = lines.collect();
    let why = why.join("\n").trim().to_string();
    if why.is_empty() {
        return Err("say why on the lines after the amount".to_string());
    }
    Ok((amount, side.to_string(), why))
}

impl App {
    pub fn new() -> App {
        App {
            data: None,
            error: None,
            view: View::Overview,
            back: Vec::new(),
            help: false,
            editor: None,
            overview: TableState::default(),
            mismatches: MismatchesState::default(),
            detail: DetailState::default(),
            checklist: ChecklistState::default(),
            lanes: LanesState::default(),
            audit: AuditState::default(),
            signoff: SignOffState::default(),
            flash: None,
            quit: false,
            dirty: true,
            page_rows: 10,
            loading: true,
            updated_at: None,
        }
    }

    /// The first requests: load everything.
    pub fn start(&mut self) -> Vec<Request> {
        vec![Request::Load]
    }

    // ---- what may be done ------------------------------------------------------------

    /// Whether the actor may do `action` now; `Err` says why not.
    pub fn allowed(&self, action: &Action) -> Result<(), String> {
        let Some(d) = &self.data else {
            return Err("still loading".to_string());
        };
        let writes = matches!(
            action,
            Action::Note
                | Action::Correction
                | Action::Waive
                | Action::Accept
                | Action::Reject
                | Action::SetChecklist(_)
                | Action::SignOff
                | Action::Reopen
                | Action::ExportPacket
        );
        if !writes {
            return Ok(());
        }
        let Some(role) = d.actor.role else {
            return Err(format!(
                "read-only: {} is not on this period's roster",
                inert(&d.actor.login)
            ));
        };
        let signed = d.period_status == PeriodStatus::SignedOff;
        match action {
            Action::Reopen => {
                if !signed {
                    Err("the period is open; only a signed-off period can be reopened".to_string())
                } else if role != Role::Lead {
                    Err("only a lead may reopen a period".to_string())
                } else {
                    Ok(())
                }
            }
            // An export only appends to the audit log, which a signed-off period still takes.
            Action::ExportPacket => Ok(()),
            _ if signed => Err("the period is signed off: locked (a lead may reopen it)".to_string()),
            Action::Waive if role == Role::Operator => Err("a waiver needs a reviewer or lead".to_string()),
            Action::Accept | Action::Reject if role == Role::Operator => {
                Err("deciding a correction needs a reviewer or lead".to_string())
            }
            Action::SignOff if role != Role::Lead => Err("only a lead may sign off".to_string()),
            _ => Ok(()),
        }
    }

    fn refuse(&mut self, why: String) {
        self.flash = Some((false, why));
    }

    // ---- the mismatch table -------------------------------------------------------------

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
            .filter(|i| m.lane.is_none_or(|l| i.mismatch.lane == l))
            .filter(|i| m.severity.is_none_or(|s| i.mismatch.severity == s))
            .filter(|i| m.owner.as_ref().is_none_or(|o| &i.owner == o))
            .filter(|i| m.status.as_ref().is_none_or(|s| &i.status == s))
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
                    SortKey::Severity => super::data::severity_order(x, y),
                    SortKey::Lane => x.lane.as_str().cmp(y.lane.as_str()),
                    SortKey::Subject => x.subject.cmp(&y.subject),
                    SortKey::Expected => x.expected.cmp(&y.expected),
                    SortKey::Actual => x.actual.cmp(&y.actual),
                    SortKey::Variance => y.variance.abs().cmp(&x.variance.abs()),
                    SortKey::Owner => a.owner.cmp(&b.owner),
                    SortKey::Status => a.status.cmp(&b.status),
                };
                o.then_with(|| super::data::severity_order(x, y))
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

    /// Open items in severity order (the correction lane on the first pane).
    pub fn correction_lane(&self) -> Vec<&Item> {
        match &self.data {
            Some(d) => d.open_items().collect(),
            None => Vec::new(),
        }
    }

    pub fn detail_item(&self) -> Option<&Item> {
        self.data.as_ref()?.item(&self.detail.key)
    }

    /// The source rows of the detail: (side, table, id).
    pub fn detail_sources(&self) -> Vec<(&'static str, &'static str, String)> {
        let Some(item) = self.detail_item() else {
            return Vec::new();
        };
        let m = &item.mismatch;
        m.expected_rows
            .iter()
            .map(|r| ("expected", r.table, r.id.clone()))
            .chain(m.actual_rows.iter().map(|r| ("actual", r.table, r.id.clone())))
            .collect()
    }

    // ---- events -------------------------------------------------------------------------

    /// A key from the terminal. Only presses count (not repeats or releases).
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Request> {
        if key.kind != KeyEventKind::Press {
            return Vec::new();
        }
        self.dirty = true;
        // A refusal stays up until the next key.
        if matches!(self.flash, Some((false, _))) {
            self.flash = None;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            // A draft is never lost silently: ask first.
            match self.editor.as_mut() {
                Some(ed) if !ed.is_empty() && !ed.confirm_quit => {
                    ed.confirm_discard = true;
                    ed.confirm_quit = true;
                }
                _ => self.quit = true,
            }
            return Vec::new();
        }
        if self.editor.is_some() {
            return self.editor_key(key);
        }
        if self.help {
            // Any key closes help; q still quits.
            self.help = false;
            if key.code == KeyCode::Char('q') {
                self.quit = true;
            }
            return Vec::new();
        }
        if self.mismatches.typing && self.view == View::Mismatches {
            self.filter_key(key);
            return Vec::new();
        }
        if self.signoff.typing.is_some() && self.view == View::SignOff {
            return self.signoff_key(key);
        }
        match keymap::action_for(self.view, &key) {
            Some(action) => self.update(action),
            None => Vec::new(),
        }
    }

    fn filter_key(&mut self, key: KeyEvent) {
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

    fn signoff_key(&mut self, key: KeyEvent) -> Vec<Request> {
        let typed = self.signoff.typing.get_or_insert_with(String::new);
        match key.code {
            KeyCode::Esc => self.signoff.typing = None,
            KeyCode::Backspace => {
                typed.pop();
            }
            KeyCode::Char(c) if !c.is_control() => typed.push(c),
            KeyCode::Enter => {
                let typed = self.signoff.typing.take().unwrap_or_default();
                let period = self
                    .data
                    .as_ref()
                    .map(|d| d.summary.period.clone())
                    .unwrap_or_default();
                if typed != period {
                    self.refuse(format!(
                        "not signed: you typed {:?}, the period id is {}",
                        inert(&typed),
                        inert(&period)
                    ));
                    return Vec::new();
                }
                self.flash = Some((true, "signing off…".to_string()));
                return vec![Request::Write(WriteOp::SignOff { typed })];
            }
            _ => {}
        }
        Vec::new()
    }

    fn editor_key(&mut self, key: KeyEvent) -> Vec<Request> {
        let Some(ed) = self.editor.as_mut() else {
            return Vec::new();
        };
        if ed.confirm_discard {
            match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.quit = ed.confirm_quit;
                    self.editor = None;
                }
                _ => {
                    ed.confirm_discard = false;
                    ed.confirm_quit = false;
                }
            }
            return Vec::new();
        }
        if ed.choose_move {
            ed.choose_move = false;
            let status = match key.code {
                KeyCode::Char('i') => "in_progress",
                KeyCode::Char('d') => "done",
                KeyCode::Char('b') => "blocked",
                KeyCode::Char('u') => "pending",
                _ => {
                    ed.error = None;
                    return Vec::new();
                }
            };
            let Purpose::Note { target, .. } = &ed.purpose else {
                return Vec::new();
            };
            let item = target.parse().unwrap_or(0);
            ed.error = Some("saving…".to_string());
            return vec![Request::Write(WriteOp::Checklist {
                item,
                status: status.to_string(),
                note: Some(ed.text().trim_end().to_string()),
                seen: ed.seen,
            })];
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                if ed.is_empty() {
                    self.editor = None;
                } else {
                    ed.confirm_discard = true;
                }
                Vec::new()
            }
            KeyCode::Char('s') if ctrl => self.save_editor(),
            _ => {
                ed.error = None;
                ed.area.input(key);
                Vec::new()
            }
        }
    }

    fn save_editor(&mut self) -> Vec<Request> {
        let Some(ed) = self.editor.as_mut() else {
            return Vec::new();
        };
        if ed.is_empty() {
            ed.error = Some("nothing written yet".to_string());
            return Vec::new();
        }
        let text = ed.text().trim_end().to_string();
        if let Purpose::Note {
            kind: "checklist",
            target,
        } = &ed.purpose
        {
            // The workflow keeps a checklist note with a move of its item.
            ed.error = Some(format!(
                "save with a move of item {target}: i in progress · d done · b blocked · u pending · other key: keep editing"
            ));
            ed.choose_move = true;
            return Vec::new();
        }
        let op = match &ed.purpose {
            Purpose::Note { kind, target } => WriteOp::Note {
                kind,
                target: target.clone(),
                text,
            },
            Purpose::Rejection { key } => WriteOp::Reject {
                key: key.clone(),
                reason: text,
                seen: ed.seen,
            },
            Purpose::Waiver { key } => WriteOp::Waive {
                key: key.clone(),
                reason: text,
                seen: ed.seen,
            },
            Purpose::Reopen => WriteOp::Reopen { reason: text },
            Purpose::Correction { key } => match parse_correction(&text) {
                Ok((amount, side, why)) => WriteOp::Correction {
                    key: key.clone(),
                    amount,
                    side,
                    text: why,
                    seen: ed.seen,
                },
                Err(e) => {
                    ed.error = Some(e);
                    return Vec::new();
                }
            },
        };
        // The draft stays open until the write is confirmed, so a refusal loses nothing.
        ed.error = Some("saving…".to_string());
        vec![Request::Write(op)]
    }

    /// Applies an action.
    pub fn update(&mut self, action: Action) -> Vec<Request> {
        self.dirty = true;
        match &action {
            Action::Quit => {
                self.quit = true;
                return Vec::new();
            }
            Action::Help => {
                self.help = true;
                return Vec::new();
            }
            Action::Back => {
                self.flash = None;
                if let Some(v) = self.back.pop() {
                    self.view = v;
                } else if self.view != View::Overview {
                    self.view = View::Overview;
                }
                return self.on_enter_view();
            }
            Action::Show(v) => return self.show(*v),
            _ => {}
        }
        if let Err(why) = self.allowed(&action) {
            self.refuse(why);
            return Vec::new();
        }
        match self.view {
            View::Overview => self.update_overview(action),
            View::Mismatches => self.update_mismatches(action),
            View::Detail => self.update_detail(action),
            View::Checklist => self.update_checklist(action),
            View::Lanes => self.update_lanes(action),
            View::Audit => self.update_audit(action),
            View::SignOff => self.update_signoff(action),
        }
    }

    /// Switches view, remembering where to go back to.
    pub fn show(&mut self, view: View) -> Vec<Request> {
        if view != self.view {
            self.back.push(self.view);
            if self.back.len() > 32 {
                self.back.remove(0);
            }
            self.view = view;
            self.flash = None;
        }
        self.on_enter_view()
    }

    /// Requests what the current view needs and does not have yet.
    fn on_enter_view(&mut self) -> Vec<Request> {
        match self.view {
            View::Lanes => {
                let lane = self.lanes.lane();
                let data = &mut self.lanes.lanes[self.lanes.current];
                if !data.loaded && !data.pending {
                    data.pending = true;
                    data.at_start = true;
                    return vec![Request::LanePage {
                        lane,
                        cursor: String::new(),
                        direction: Direction::Forward { inclusive: false },
                    }];
                }
                Vec::new()
            }
            View::Audit => {
                let mut out = Vec::new();
                if !self.audit.loaded && !self.audit.pending {
                    self.audit.pending = true;
                    out.push(Request::Audit { before: None });
                    out.push(Request::Verify);
                }
                out
            }
            View::Detail if self.detail.trail.is_none() && !self.detail.key.is_empty() => {
                vec![Request::Trail {
                    kind: "mismatch",
                    target: self.detail.key.clone(),
                }]
            }
            View::Checklist => self.checklist_trail_request(),
            _ => Vec::new(),
        }
    }

    fn open_detail(&mut self, key: String) -> Vec<Request> {
        if self.detail.key != key {
            self.detail = DetailState {
                key,
                ..DetailState::default()
            };
        }
        self.show(View::Detail)
    }

    fn update_overview(&mut self, action: Action) -> Vec<Request> {
        let lane: Vec<String> = self
            .correction_lane()
            .iter()
            .map(|i| i.mismatch.key.clone())
            .collect();
        let sel = self.overview.selected().unwrap_or(0);
        if is_nav(&action) {
            self.overview
                .select(Some(clamp_move(sel, lane.len(), &action, self.page_rows)));
        } else if action == Action::Enter {
            if let Some(key) = lane.get(sel.min(lane.len().saturating_sub(1))) {
                return self.open_detail(key.clone());
            }
        }
        Vec::new()
    }

    fn update_mismatches(&mut self, action: Action) -> Vec<Request> {
        let keys: Vec<String> = self
            .visible_items()
            .iter()
            .map(|i| i.mismatch.key.clone())
            .collect();
        let sel = self.mismatch_index();
        let m = &mut self.mismatches;
        match action {
            a if is_nav(&a) => {
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
                m.lane = cycle(&present, m.lane.as_ref());
            }
            Action::CycleSeverity => {
                let all: Vec<Severity> = Severity::ALL.iter().rev().copied().collect();
                m.severity = cycle(&all, m.severity.as_ref());
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
                m.owner = cycle(&owners, m.owner.as_ref());
            }
            Action::CycleStatus => {
                let all: Vec<String> = ["open", "in_correction", "resolved", "waived"]
                    .map(String::from)
                    .to_vec();
                m.status = cycle(&all, m.status.as_ref());
            }
            Action::ClearFilters => {
                m.lane = None;
                m.severity = None;
                m.owner = None;
                m.status = None;
                m.filter.clear();
            }
            _ => {}
        }
        Vec::new()
    }

    fn update_detail(&mut self, action: Action) -> Vec<Request> {
        let Some(item) = self.detail_item() else {
            return Vec::new();
        };
        let key = item.mismatch.key.clone();
        let seen = Some(item.version);
        let nsources = self.detail_sources().len();
        let ntrail = self.detail.trail.as_ref().map_or(0, Vec::len);
        let d = &mut self.detail;
        match action {
            Action::NextPane | Action::PrevPane => {
                d.pane = match d.pane {
                    DetailPane::Sources => DetailPane::Trail,
                    DetailPane::Trail => DetailPane::Sources,
                }
            }
            a if is_nav(&a) => match d.pane {
                DetailPane::Sources => d.source = clamp_move(d.source, nsources, &a, 5),
                DetailPane::Trail => d.trail_scroll = clamp_move(d.trail_scroll, ntrail, &a, 3),
            },
            Action::Enter if d.pane == DetailPane::Sources => {
                if let Some((_, table, id)) = self.detail_sources().get(self.detail.source).cloned() {
                    self.flash = Some((true, format!("opening {} {}…", table, inert(&id))));
                    return vec![Request::Locate {
                        table: table.to_string(),
                        id,
                    }];
                }
            }
            Action::Note => {
                self.editor = Some(Editor::new(Purpose::Note {
                    kind: "mismatch",
                    target: key,
                }))
            }
            Action::Correction => self.open_editor(Purpose::Correction { key: key.clone() }, seen),
            Action::Waive => self.open_editor(Purpose::Waiver { key: key.clone() }, seen),
            Action::Reject => self.open_editor(Purpose::Rejection { key: key.clone() }, seen),
            Action::Accept => {
                self.flash = Some((true, "accepting the correction…".to_string()));
                return vec![Request::Write(WriteOp::Accept { key, seen })];
            }
            _ => {}
        }
        Vec::new()
    }

    fn checklist_trail_request(&self) -> Vec<Request> {
        let item = self.checklist.selected as u32 + 1;
        match &self.checklist.trail {
            Some((i, _)) if *i == item => Vec::new(),
            _ => vec![Request::Trail {
                kind: "checklist",
                target: item.to_string(),
            }],
        }
    }

    fn update_checklist(&mut self, action: Action) -> Vec<Request> {
        let n = self.data.as_ref().map_or(0, |d| d.checklist.len());
        match action {
            a if is_nav(&a) => {
                self.checklist.selected = clamp_move(self.checklist.selected, n, &a, self.page_rows);
                return self.checklist_trail_request();
            }
            Action::SetChecklist(status) => {
                let item = self.checklist.selected as u32 + 1;
                self.flash = Some((true, format!("moving item {item} to {status}…")));
                return vec![Request::Write(WriteOp::Checklist {
                    item,
                    status: status.to_string(),
                    note: None,
                    seen: self.item_version(item),
                })];
            }
            Action::Note => {
                let item = self.checklist.selected as u32 + 1;
                let purpose = Purpose::Note {
                    kind: "checklist",
                    target: item.to_string(),
                };
                self.open_editor(purpose, self.item_version(item));
            }
            // Item 8 is "Finalize export and reporting outputs": it offers the packet.
            Action::ExportPacket if self.checklist.selected == 7 => return self.export_packet(),
            Action::ExportPacket => {
                self.refuse("the close packet is exported from item 8 (or the sign-off view)".into())
            }
            _ => {}
        }
        Vec::new()
    }

    /// Opens the editor for a change decided on the state at `seen`.
    fn open_editor(&mut self, purpose: Purpose, seen: Option<i64>) {
        let mut editor = Editor::new(purpose);
        editor.seen = seen;
        self.editor = Some(editor);
    }

    /// The version of checklist item `item` as shown.
    fn item_version(&self, item: u32) -> Option<i64> {
        let d = self.data.as_ref()?;
        d.checklist.iter().find(|r| r.item == item).map(|r| r.version)
    }

    fn export_packet(&mut self) -> Vec<Request> {
        self.flash = Some((true, "writing the close packet…".into()));
        vec![Request::Write(WriteOp::ExportPacket)]
    }

    fn update_lanes(&mut self, action: Action) -> Vec<Request> {
        match action {
            Action::NextPane => {
                self.lanes.current = (self.lanes.current + 1) % 6;
                self.on_enter_view()
            }
            Action::PrevPane => {
                self.lanes.current = (self.lanes.current + 5) % 6;
                self.on_enter_view()
            }
            a if is_nav(&a) => {
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

    fn update_audit(&mut self, action: Action) -> Vec<Request> {
        match action {
            a if is_nav(&a) => {
                let a_ = &mut self.audit;
                a_.selected = clamp_move(a_.selected, a_.rows.len(), &a, self.page_rows);
                if a_.selected + self.page_rows * 2 >= a_.rows.len() && !a_.at_end && !a_.pending {
                    if let Some(last) = a_.rows.last() {
                        a_.pending = true;
                        return vec![Request::Audit {
                            before: Some(last.seq),
                        }];
                    }
                }
                Vec::new()
            }
            Action::Verify => {
                self.audit.verify = None;
                vec![Request::Verify]
            }
            _ => Vec::new(),
        }
    }

    fn update_signoff(&mut self, action: Action) -> Vec<Request> {
        match action {
            Action::SignOff => {
                self.signoff.typing = Some(String::new());
            }
            Action::Reopen => self.editor = Some(Editor::new(Purpose::Reopen)),
            Action::ExportPacket => return self.export_packet(),
            _ => {}
        }
        Vec::new()
    }

    /// A result from the background.
    pub fn on_response(&mut self, resp: Response) -> Vec<Request> {
        self.dirty = true;
        match resp {
            Response::Loaded(l) => {
                self.loading = false;
                self.error = None;
                self.updated_at = Some(chrono::Local::now().format("%H:%M:%S").to_string());
                self.data = Some(*l);
                // Keep selections by key; fall back to the first row.
                if self.mismatches.selected_key.is_none() {
                    self.mismatches.selected_key =
                        self.visible_items().first().map(|i| i.mismatch.key.clone());
                }
                let n = self.correction_lane().len();
                let sel = self.overview.selected().unwrap_or(0).min(n.saturating_sub(1));
                self.overview.select(Some(sel));
                Vec::new()
            }
            Response::Trail { kind, target, rows } => {
                if kind == "mismatch" && target == self.detail.key {
                    self.detail.trail = Some(rows);
                } else if kind == "checklist" {
                    if let Ok(item) = target.parse::<u32>() {
                        if item == self.checklist.selected as u32 + 1 {
                            self.checklist.trail = Some((item, rows));
                        }
                    }
                }
                Vec::new()
            }
            Response::LanePage {
                lane,
                cursor,
                direction,
                rows,
            } => {
                self.apply_lane_page(lane, cursor, direction, rows);
                Vec::new()
            }
            Response::Located { lane, id } => {
                let idx = LanesState::index(lane);
                self.lanes.current = idx;
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
            Response::Audit { before, rows } => {
                let a = &mut self.audit;
                a.pending = false;
                a.loaded = true;
                a.at_end = rows.len() < PAGE;
                if before.is_none() {
                    let keep = a.rows.get(a.selected).map(|r| r.seq);
                    a.rows = rows;
                    a.selected = keep
                        .and_then(|s| a.rows.iter().position(|r| r.seq == s))
                        .unwrap_or(0);
                } else {
                    a.rows.extend(rows);
                }
                Vec::new()
            }
            Response::Verified(r) => {
                self.audit.verify = Some(r);
                Vec::new()
            }
            Response::Wrote { op, result } => self.on_wrote(op, result),
            Response::Changed => self.refresh(),
            Response::Failed(e) => {
                self.loading = false;
                if self.data.is_none() {
                    self.error = Some(e.clone());
                }
                self.refuse(e);
                for l in &mut self.lanes.lanes {
                    l.pending = false;
                }
                self.audit.pending = false;
                Vec::new()
            }
        }
    }

    fn apply_lane_page(&mut self, lane: LaneTable, cursor: String, direction: Direction, rows: Vec<PageRow>) {
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

    fn on_wrote(&mut self, op: WriteOp, result: Result<String, String>) -> Vec<Request> {
        match result {
            Ok(msg) => {
                self.flash = Some((true, inert(&msg)));
                if let Some(ed) = &self.editor {
                    let same = matches!(
                        (&ed.purpose, &op),
                        (
                            Purpose::Note { .. },
                            WriteOp::Note { .. } | WriteOp::Checklist { note: Some(_), .. }
                        ) | (Purpose::Correction { .. }, WriteOp::Correction { .. })
                            | (Purpose::Waiver { .. }, WriteOp::Waive { .. })
                            | (Purpose::Rejection { .. }, WriteOp::Reject { .. })
                            | (Purpose::Reopen, WriteOp::Reopen { .. })
                    );
                    if same {
                        self.editor = None;
                    }
                }
                self.refresh()
            }
            Err(why) => {
                let why = inert(&why);
                if let Some(ed) = self.editor.as_mut() {
                    ed.error = Some(format!("not saved: {why}"));
                } else {
                    self.refuse(format!("refused: {why}"));
                }
                Vec::new()
            }
        }
    }

    /// Reloads what is shown, keeping selection, scroll and any draft.
    pub fn refresh(&mut self) -> Vec<Request> {
        let mut out = vec![Request::Load];
        match self.view {
            View::Detail if !self.detail.key.is_empty() => out.push(Request::Trail {
                kind: "mismatch",
                target: self.detail.key.clone(),
            }),
            View::Checklist => out.push(Request::Trail {
                kind: "checklist",
                target: (self.checklist.selected + 1).to_string(),
            }),
            View::Audit => {
                self.audit.pending = true;
                out.push(Request::Audit { before: None });
                out.push(Request::Verify);
            }
            View::Lanes => {
                let lane = self.lanes.lane();
                let data = &mut self.lanes.lanes[self.lanes.current];
                if data.loaded && !data.pending {
                    data.pending = true;
                    let cursor = data.rows.first().map(|r| r.id.clone()).unwrap_or_default();
                    out.push(Request::LanePage {
                        lane,
                        cursor: cursor.clone(),
                        direction: Direction::Forward {
                            inclusive: !cursor.is_empty(),
                        },
                    });
                }
            }
            _ => {}
        }
        // Other views' cached data is stale: reload when next shown.
        for (i, l) in self.lanes.lanes.iter_mut().enumerate() {
            if i != self.lanes.current || self.view != View::Lanes {
                l.loaded = false;
            }
        }
        if self.view != View::Audit {
            self.audit.loaded = false;
        }
        if self.view != View::Detail {
            self.detail.trail = None;
        }
        if self.view != View::Checklist {
            self.checklist.trail = None;
        }
        out
    }

    pub fn tick(&mut self) {}
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
