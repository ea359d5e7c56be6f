//! The cockpit's shared state and its router: the period as loaded, who acts, which view
//! is shown, the popups (help, editor, messages). Keys and background results come in here
//! and go to the view that owns them (`views/*`: each view's state, update, keys and draw);
//! updates return the [`Request`]s for the worker. No terminal, no database, no view's own
//! state beyond holding it.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::widgets::TableState;

pub use super::action::{Action, View};
use super::data::{Loaded, Request, Response, WriteOp};
use super::keymap;
use super::views::audit::AuditState;
use super::views::checklist::ChecklistState;
use super::views::editor::{Discard, Editor, Purpose};
use super::views::lanes::LanesState;
use super::views::mismatch_detail::DetailState;
use super::views::mismatches::MismatchesState;
use super::views::signoff::SignOffState;
use crate::snapshot::model::TargetKind;
use crate::snapshot::pages::Direction;
use crate::text::inert;

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
    pub evidence: super::views::evidence::EvidenceState,
    pub checklist: ChecklistState,
    pub lanes: LanesState,
    pub audit: AuditState,
    pub signoff: SignOffState,
    /// A one-line message: a result or an inline refusal.
    pub flash: Option<(bool, String)>,
    /// `/` in each table that has it.
    pub search: super::search::Searches,
    /// The last message shown (flash or refusal), kept after it is cleared for `!`.
    pub last_message: Option<String>,
    /// `!`: the last message is open in full; any key closes it (and does only that).
    pub message_open: bool,
    pub quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Rows of the body, for page up/down.
    pub page_rows: usize,
    pub updated_at: Option<String>,
    /// The background worker stopped (why, in words): nothing more can be read or saved.
    pub stopped: Option<String>,
    /// The terminal is below 80x24 (the last frame or resize said so): keys do nothing
    /// there but quit. Set by [`App::sized`].
    pub too_small: bool,
    /// The "q again discards" question was asked on the too-small screen (not at full size).
    small_quit_asked: bool,
    /// A `serve` session: the SSH key, not `--user`, decides who acts.
    pub served: bool,
}

/// What the editor shows while a write is on its way to the worker.
pub const SAVING: &str = "saving…";

/// `!` with no message to show: a note in the status bar, never kept as the last message.
pub const NO_MESSAGE: &str = "no message to show";

impl Default for App {
    fn default() -> Self {
        App::new()
    }
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
            evidence: Default::default(),
            checklist: ChecklistState::default(),
            lanes: LanesState::default(),
            audit: AuditState::default(),
            signoff: SignOffState::default(),
            flash: None,
            search: Default::default(),
            last_message: None,
            message_open: false,
            quit: false,
            dirty: true,
            page_rows: 10,
            updated_at: None,
            stopped: None,
            too_small: false,
            small_quit_asked: false,
            served: false,
        }
    }

    /// The draft open in the editor, if it holds any text: what is lost if the cockpit ends
    /// now.
    pub fn draft(&self) -> Option<super::Draft> {
        let ed = self.editor.as_ref().filter(|ed| !ed.is_empty())?;
        Some(super::Draft {
            what: ed.purpose.words(),
            text: ed.text(),
            saving: ed.error.as_deref() == Some(SAVING),
        })
    }

    /// The first requests: load everything.
    pub fn start(&mut self) -> Vec<Request> {
        vec![Request::Load]
    }

    // ---- what may be done ------------------------------------------------------------

    /// Whether the actor may do `action` now; `Err` says why not. The rules are the
    /// workflow's ([`Permission`]): who may, and what a signed-off period still takes.
    pub fn allowed(&self, action: &Action) -> Result<(), String> {
        let Some(d) = &self.data else {
            return Err("still loading".to_string());
        };
        if self.view == View::Overview && *action == Action::Enter && d.open_items().next().is_none() {
            // Nothing in the correction lane to open (the footer offered it all the same).
            return Err("no mismatch is open".to_string());
        }
        let Some(permission) = action.permission() else {
            return Ok(());
        };
        if d.actor.is_read_only() {
            return Err(format!(
                "read-only: {} is not on this period's roster",
                inert(&d.actor.login)
            ));
        }
        permission.admitted(d.period_status, d.lock_lifted.is_some())?;
        d.actor.may(permission).map_err(|_| permission.brief_refusal())?;
        // In a mismatch: what its status leaves open, as the workflow says it.
        if self.view == View::Detail {
            if let Some(why) = self
                .detail_item()
                .and_then(|item| crate::workflow::mismatches::closed_to(item.status, permission))
            {
                return Err(why);
            }
        }
        Ok(())
    }

    /// The message `!` opens: a stopped worker's, the one in the status bar, or else the
    /// last one shown.
    pub fn full_message(&self) -> Option<&str> {
        self.stopped
            .as_deref()
            .or(match &self.flash {
                Some((_, msg)) => Some(msg.as_str()),
                None => None,
            })
            .or(self.last_message.as_deref())
    }

    /// What `!` opens: [`App::full_message`], and for a login not on the roster the
    /// read-only banner in full (cut at the screen's width).
    pub fn full_text(&self) -> Option<String> {
        let banner = self.read_only_banner();
        match (self.full_message().map(inert), banner) {
            (Some(m), Some(b)) => Some(format!("{m}\n\n{b}")),
            (m, b) => m.or(b),
        }
    }

    /// The read-only banner of a login not on the roster, whole (inert).
    pub fn read_only_banner(&self) -> Option<String> {
        let d = self.data.as_ref().filter(|d| d.actor.is_read_only())?;
        Some(format!(
            "READ-ONLY: {} is not on the roster · {}: {}",
            inert(&d.actor.login),
            if self.served {
                "your SSH key decides whom you act as; ask for it to be listed as one of"
            } else {
                "? shows whom to act as (--user)"
            },
            d.roster
                .iter()
                .map(|(login, role)| format!("{} ({})", inert(login), role.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    /// The terminal's size, from each frame and each resize (a key can follow a resize
    /// before the next frame). Below 80x24 keys do nothing but quit. Back at a usable size,
    /// a "q again discards it" asked on the small screen no longer stands: the terminal was
    /// enlarged to keep the draft, so the next key (Ctrl-S) does what it says instead of
    /// being taken, unseen, as "keep editing".
    pub fn sized(&mut self, width: u16, height: u16) {
        let small = width < super::views::MIN_WIDTH || height < super::views::MIN_HEIGHT;
        if self.too_small && !small && std::mem::take(&mut self.small_quit_asked) {
            if let Some(ed) = self
                .editor
                .as_mut()
                .filter(|ed| ed.discard == Some(Discard::DraftAndQuit))
            {
                ed.discard = None;
                ed.error = Some(
                    "your draft is kept: the q pressed while the terminal was too small no longer counts"
                        .to_string(),
                );
            }
        }
        self.too_small = small;
    }

    /// A message from outside the cockpit (see [`super::Input::Notice`]) in the status bar.
    pub fn notice(&mut self, text: String) {
        self.dirty = true;
        self.flash = Some((true, text));
    }

    pub(crate) fn refuse(&mut self, why: String) {
        self.flash = Some((false, why));
    }

    // ---- the mismatch table -------------------------------------------------------------

    /// A key from the terminal. Only presses count (not repeats or releases).
    pub fn on_key(&mut self, key: KeyEvent) -> Vec<Request> {
        if key.kind != KeyEventKind::Press {
            return Vec::new();
        }
        self.dirty = true;
        if let Some((_, msg)) = self.flash.as_ref().filter(|(_, m)| m != NO_MESSAGE) {
            self.last_message = Some(msg.clone());
        }
        // A result ("note saved (audit #16)") is read by the next key, which then acts as
        // usual: the status bar is back (it stayed up for minutes, in other views). `!`
        // still shows it.
        if matches!(self.flash, Some((true, _))) {
            self.flash = None;
        }
        let ctrl_c = key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        // On the "terminal too small" screen nothing is shown to act on: only quitting works,
        // and with a draft open only when asked twice (the screen says so).
        if self.too_small {
            if ctrl_c || key.code == KeyCode::Char('q') {
                match self.editor.as_mut() {
                    Some(ed) if !ed.is_empty() && ed.discard != Some(Discard::DraftAndQuit) => {
                        ed.discard = Some(Discard::DraftAndQuit);
                        self.small_quit_asked = true;
                    }
                    _ => self.quit = true,
                }
            }
            return Vec::new();
        }
        // A refusal ("any key continues") stays up until the next key, and that key only
        // dismisses it.
        if matches!(self.flash, Some((false, _))) {
            self.flash = None;
            if !ctrl_c {
                return Vec::new();
            }
        }
        if ctrl_c {
            // A draft is never lost silently: ask first. Asked, only `y` quits: a second
            // Ctrl-C is "any other key" and keeps editing, as the question says.
            match self.editor.as_mut() {
                Some(ed) if !ed.is_empty() && ed.discard == Some(Discard::DraftAndQuit) => {
                    ed.discard = None;
                }
                Some(ed) if !ed.is_empty() => ed.discard = Some(Discard::DraftAndQuit),
                _ => self.quit = true,
            }
            return Vec::new();
        }
        if self.message_open {
            // Any key closes the full message and does nothing else.
            self.message_open = false;
            return Vec::new();
        }
        if self.editor.is_some() {
            return self.editor_key(key);
        }
        if self.help {
            // Any key closes help, `q` too (as its title says): only Ctrl-C quits from it.
            self.help = false;
            return Vec::new();
        }
        if self.mismatches.typing && self.view == View::Mismatches {
            self.filter_key(key);
            return Vec::new();
        }
        if self.signoff.typing.is_some() && self.view == View::SignOff {
            return self.signoff_key(key);
        }
        if self.detail.choosing.is_some() && self.view == View::Detail {
            return self.choose_key(key);
        }
        if self.lanes.tied.is_some() && self.view == View::Lanes {
            return match keymap::action_for(self.view, &key) {
                Some(action) => self.tied_action(action),
                None => Vec::new(),
            };
        }
        self.sync_searches();
        if self.search_typing() {
            return self.search_key(key);
        }
        // With a search on, `n`/`N` step through its hits (also where `n` is otherwise
        // "note") and Esc clears it.
        if self.search_active() && key.modifiers.difference(KeyModifiers::SHIFT).is_empty() {
            match key.code {
                KeyCode::Char('n') => return self.step_search(true),
                KeyCode::Char('N') => return self.step_search(false),
                KeyCode::Esc => {
                    self.clear_search();
                    return Vec::new();
                }
                _ => {}
            }
        }
        match keymap::action_for(self.view, &key) {
            Some(action) => self.update(action),
            None => Vec::new(),
        }
    }

    /// Pasted text (a terminal's bracketed paste): typed into the open text field as text,
    /// never read as keys, so a paste into the wrong pane runs no command. The multi-line
    /// editor keeps its lines; a one-line field (search, filter, the sign-off's period id)
    /// gets them joined by spaces. Control characters, escape sequences' `ESC` among them,
    /// are dropped.
    pub fn on_paste(&mut self, text: &str) -> Vec<Request> {
        self.dirty = true;
        if self.too_small || self.message_open || self.help || matches!(self.flash, Some((false, _))) {
            return Vec::new();
        }
        if text.len() > MAX_PASTE {
            let why = format!(
                "paste not taken: {} bytes at once is more than {} — paste it in parts",
                text.len(),
                MAX_PASTE
            );
            match self.editor.as_mut() {
                Some(ed) => ed.error = Some(why),
                // Said in the status bar, like every paste not taken: the next key acts.
                None => self.notice(why),
            }
            return Vec::new();
        }
        if self.editor.is_some() {
            return self.editor_paste(text);
        }
        self.sync_searches();
        let one_line = (self.mismatches.typing && self.view == View::Mismatches)
            || (self.signoff.typing.is_some() && self.view == View::SignOff)
            || self.search_typing();
        if !one_line {
            // In the status bar at once, not as a refusal: nothing was asked of a key, so the
            // next key is not spent closing a box (it did not always show, and `2` then
            // seemed dead).
            self.notice("pasted text not used: no text field is open here".into());
            return Vec::new();
        }
        // A copied line often brings its line end: not a trailing space.
        let line = pasted(text).trim_end_matches('\n').replace('\n', " ");
        let mut reqs = Vec::new();
        for c in line.chars() {
            reqs.extend(self.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
        }
        reqs
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
            Action::Search => return self.start_search(),
            Action::NextHit | Action::PrevHit => return self.step_search(action == Action::NextHit),
            Action::FullMessage => {
                if self.full_text().is_some() {
                    self.message_open = true;
                } else {
                    // Nothing was refused: a note in the status bar, not "Not done".
                    self.notice(NO_MESSAGE.into());
                }
                return Vec::new();
            }
            Action::NextView | Action::PrevView => {
                let tabs = View::TABS;
                let at = tabs.iter().position(|v| *v == self.view.tab()).unwrap_or(0);
                let next = if action == Action::NextView {
                    (at + 1) % tabs.len()
                } else {
                    (at + tabs.len() - 1) % tabs.len()
                };
                return self.show(tabs[next]);
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
            View::Charts => self.update_charts(action),
            View::Evidence => self.update_evidence(action),
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
    pub(crate) fn on_enter_view(&mut self) -> Vec<Request> {
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
                let mut out = vec![Request::Trail {
                    kind: TargetKind::Mismatch,
                    target: self.detail.key.clone(),
                }];
                out.extend(self.whole_detail_request());
                out
            }
            View::Checklist => self.checklist_trail_request(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn export_packet(&mut self) -> Vec<Request> {
        self.flash = Some((true, "writing the close packet…".into()));
        vec![Request::Write(WriteOp::ExportPacket)]
    }

    /// A result from the background.
    pub fn on_response(&mut self, resp: Response) -> Vec<Request> {
        self.dirty = true;
        match resp {
            Response::Loaded(l) => {
                self.error = None;
                self.updated_at = Some(chrono::Local::now().format("%H:%M:%S").to_string());
                self.data = Some(*l);
                self.forget_shown_mismatches();
                // Keep selections by key; fall back to the first row.
                if self.mismatches.selected_key.is_none() {
                    self.mismatches.selected_key =
                        self.visible_items().first().map(|i| i.mismatch.key.clone());
                }
                let n = self.correction_lane().len();
                let sel = self.overview.selected().unwrap_or(0).min(n.saturating_sub(1));
                self.overview.select(Some(sel));
                self.rebase_editor();
                Vec::new()
            }
            Response::Trail { kind, target, rows } => {
                if kind == TargetKind::Mismatch && target == self.detail.key {
                    self.detail.trail = Some(rows);
                    self.recheck_choice();
                } else if kind == TargetKind::Checklist {
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
            Response::Located { lane, id } => self.on_located(lane, id),
            Response::Tied { lane, id, result } => {
                self.on_tied(lane, id, *result);
                Vec::new()
            }
            Response::LaneSearch {
                lane,
                query,
                ids,
                capped,
            } => self.on_lane_search(lane, query, ids, capped),
            Response::Audit { before, rows } => {
                self.audit.on_page(before, rows);
                Vec::new()
            }
            Response::Evidence { key, result } => self.on_evidence(key, *result),
            Response::Detail(mismatch) => self.on_whole_detail(*mismatch),
            Response::Verified(r) => {
                self.audit.verify = Some(r);
                Vec::new()
            }
            Response::Wrote { op, result } => self.on_wrote(op, result),
            Response::Changed => self.refresh(),
            Response::Replaced(why) => {
                self.file_replaced(&why);
                Vec::new()
            }
            Response::Failed(e) => {
                if self.data.is_none() {
                    self.error = Some(e.clone());
                }
                self.refuse(e.clone());
                for l in &mut self.lanes.lanes {
                    l.pending = false;
                }
                for s in &mut self.search.lanes {
                    s.pending = false;
                }
                self.audit.pending = false;
                // A tied-rows panel still loading says why it may never fill (its own
                // answer, if it comes, replaces this).
                if let Some(panel) = self.lanes.tied.as_mut().filter(|p| p.result.is_none()) {
                    panel.result = Some(Err(e));
                }
                Vec::new()
            }
        }
    }

    fn on_wrote(&mut self, op: WriteOp, result: Result<String, String>) -> Vec<Request> {
        match result {
            Ok(msg) => {
                self.flash = Some((true, inert(&msg)));
                if let Some(ed) = &self.editor {
                    let same = matches!(
                        (&ed.purpose, &op),
                        (
                            Purpose::Note { .. } | Purpose::ChecklistNote { .. },
                            WriteOp::Note { .. }
                        ) | (
                            Purpose::ChecklistNote { .. },
                            WriteOp::Checklist { note: Some(_), .. }
                        ) | (Purpose::Correction { .. }, WriteOp::Correction { .. })
                            | (Purpose::Waiver { .. }, WriteOp::Waive { .. })
                            | (Purpose::Rejection { .. }, WriteOp::Reject { .. })
                            | (Purpose::Reopen, WriteOp::Reopen { .. })
                            | (Purpose::Assign { .. }, WriteOp::Assign { .. })
                            | (Purpose::Accept { .. }, WriteOp::Accept { .. })
                            | (Purpose::Reversal { .. }, WriteOp::Reverse { .. })
                            | (Purpose::SignOffComment { .. }, WriteOp::SignOff { .. })
                    );
                    if same {
                        self.editor = None;
                    }
                }
                self.refresh()
            }
            Err(why) => {
                let full = format!("not saved: {}", crate::text::inert_multiline(&why));
                let why = inert(&why);
                if let Some(ed) = self.editor.as_mut() {
                    // Shown whole in the editor, and kept for `!` once it is closed.
                    ed.error = Some(full.clone());
                    self.last_message = Some(full);
                    // A conflict (`Refusal::Conflict`): reload what changed and keep the
                    // draft; the reloaded version is the one the retry is decided on.
                    let chosen = super::views::mismatch_detail::chosen(&ed.purpose).is_some();
                    if why.starts_with("conflict:") {
                        ed.reload = true;
                        // A chosen correction's figures are shown again once its trail is read.
                        ed.rereading = chosen;
                        return self.refresh();
                    }
                    // A chosen correction refused otherwise (decided by someone else, which
                    // may leave the mismatch's version as it was): read it again too, so the
                    // confirmation says where it stands rather than the figures it was chosen at.
                    if chosen {
                        ed.rereading = true;
                        return self.refresh();
                    }
                } else {
                    self.refuse(format!("refused: {why}"));
                    // A move or an accept decided on a stale view: show what it is now.
                    if why.starts_with("conflict:") {
                        return self.refresh();
                    }
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
                kind: TargetKind::Mismatch,
                target: self.detail.key.clone(),
            }),
            View::Checklist => out.push(Request::Trail {
                kind: TargetKind::Checklist,
                target: (self.checklist.selected + 1).to_string(),
            }),
            View::Audit => {
                self.audit.pending = true;
                out.push(Request::Audit { before: None });
                out.push(Request::Verify);
            }
            View::Lanes => {
                if let Some(panel) = &self.lanes.tied {
                    out.push(Request::Tied {
                        lane: panel.lane,
                        id: panel.id.clone(),
                    });
                }
                let lane = self.lanes.lane();
                let data = &mut self.lanes.lanes[self.lanes.current];
                if data.loaded && !data.pending {
                    data.pending = true;
                    let cursor = data.rows.first().map(|r| r.id().to_string()).unwrap_or_default();
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

    /// The background worker stopped before the cockpit did: say so in the status line for
    /// good, and take back any "saving…" (that edit was not saved; the draft stays).
    /// The file was replaced or moved under the cockpit: said where a stopped worker is,
    /// as long as the cockpit runs.
    pub fn file_replaced(&mut self, why: &str) {
        self.dirty = true;
        self.stopped = Some(format!(
            "{}: what is shown is the file as it was — quit and open it again",
            crate::text::inert(why)
        ));
    }

    pub fn worker_stopped(&mut self, why: &str) {
        self.dirty = true;
        let msg = format!(
            "the background worker stopped ({why}): nothing more is read or saved — restart closedesk"
        );
        if let Some(ed) = self.editor.as_mut() {
            if ed.error.as_deref() == Some(SAVING) {
                ed.error = Some(format!("not saved: {msg}"));
            }
        }
        for l in &mut self.lanes.lanes {
            l.pending = false;
        }
        self.audit.pending = false;
        self.stopped = Some(msg);
    }
}

/// The most text one paste may bring (64 KiB): more is refused whole, never cut.
pub const MAX_PASTE: usize = 64 * 1024;

/// Pasted text as a text field takes it: line ends as `\n` (`\r\n` and a lone `\r` too),
/// tabs as four spaces, every other control character dropped.
pub(crate) fn pasted(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\t', "    ")
        .chars()
        .filter(|&c| c == '\n' || !c.is_control())
        .collect()
}
