//! The audit log, newest first, with the `verify` result at the top. Owns the loaded pages,
//! the selection and its keys; pages and `verify` are asked of the worker.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::TableState;
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::fit;
use crate::text::inert;
use crate::tui::action::{clamp_move, key, Action, Binding};
use crate::tui::app::App;
use crate::tui::data::{Request, PAGE};
use crate::tui::theme::Theme;
use crate::workflow::audit::Entry;

#[derive(Clone, Debug, Default)]
pub struct AuditState {
    pub rows: Vec<Entry>,
    pub selected: usize,
    pub table: TableState,
    pub loaded: bool,
    pub at_end: bool,
    pub pending: bool,
    pub verify: Option<Result<String, String>>,
    /// Which entries are shown: every one, the workflow's, or the sessions' (`session.*`).
    pub kind: AuditKind,
    /// Only this login's entries.
    pub user: Option<String>,
}

/// A filter of the audit view by kind of entry (`K` cycles it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuditKind {
    #[default]
    All,
    Workflow,
    Sessions,
}

impl AuditKind {
    fn next(self) -> AuditKind {
        match self {
            AuditKind::All => AuditKind::Workflow,
            AuditKind::Workflow => AuditKind::Sessions,
            AuditKind::Sessions => AuditKind::All,
        }
    }

    fn admits(self, action: &str) -> bool {
        let session = action.starts_with("session.");
        match self {
            AuditKind::All => true,
            AuditKind::Workflow => !session,
            AuditKind::Sessions => session,
        }
    }

    fn words(self) -> &'static str {
        match self {
            AuditKind::All => "all entries",
            AuditKind::Workflow => "workflow only",
            AuditKind::Sessions => "sessions only",
        }
    }
}

impl AuditState {
    /// The loaded entries the filters let through, newest first.
    pub fn shown(&self) -> Vec<&Entry> {
        self.rows
            .iter()
            .filter(|e| self.kind.admits(&e.row.action))
            .filter(|e| self.user.as_ref().is_none_or(|u| *u == e.row.actor))
            .collect()
    }

    /// The next user filter: none, then each login seen in the loaded entries in turn.
    fn next_user(&self) -> Option<String> {
        let mut users: Vec<&String> = self.rows.iter().map(|e| &e.row.actor).collect();
        users.sort();
        users.dedup();
        match &self.user {
            None => users.first().map(|u| (*u).clone()),
            Some(u) => users
                .iter()
                .position(|x| *x == u)
                .and_then(|i| users.get(i + 1))
                .map(|u| (*u).clone()),
        }
    }

    /// A page of the log arrived: the newest page replaces what is kept (the selection
    /// stays on its entry), an older one is appended.
    pub(crate) fn on_page(&mut self, before: Option<i64>, rows: Vec<Entry>) {
        self.pending = false;
        self.loaded = true;
        self.at_end = rows.len() < PAGE;
        if before.is_none() {
            let keep = self.rows.get(self.selected).map(|e| e.row.seq);
            self.rows = rows;
            self.selected = keep
                .and_then(|s| self.rows.iter().position(|e| e.row.seq == s))
                .unwrap_or(0);
        } else {
            self.rows.extend(rows);
        }
    }
}

impl App {
    pub(crate) fn update_audit(&mut self, action: Action) -> Vec<Request> {
        match action {
            Action::CycleStatus => {
                self.audit.kind = self.audit.kind.next();
                self.audit.selected = 0;
                Vec::new()
            }
            Action::CycleOwner => {
                self.audit.user = self.audit.next_user();
                self.audit.selected = 0;
                Vec::new()
            }
            a if a.is_nav() => {
                let shown = self.audit.shown().len();
                let a_ = &mut self.audit;
                a_.selected = clamp_move(a_.selected, shown, &a, self.page_rows);
                if a_.selected + self.page_rows * 2 >= shown && !a_.at_end && !a_.pending {
                    if let Some(last) = a_.rows.last() {
                        a_.pending = true;
                        return vec![Request::Audit {
                            before: Some(last.row.seq),
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
}

/// The audit view's own keys.
pub fn bindings() -> Vec<Binding> {
    vec![
        key('v', "verify again", Action::Verify, true),
        key('K', "by kind", Action::CycleStatus, true),
        key('U', "by user", Action::CycleOwner, true),
    ]
    .into_iter()
    .chain(crate::tui::search::bindings(false))
    .collect()
}

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    // The selected entry in full below the table: its words (a sign-off comment, a reopen
    // reason, a waiver's reason) first, then what it changed; as tall as that takes, up
    // to half the view, at least five lines.
    let entry = {
        let a = &app.audit;
        let shown = a.shown();
        (!shown.is_empty()).then(|| entry_lines(shown[a.selected.min(shown.len() - 1)], theme))
    };
    let width = usize::from(area.width.max(1));
    let wrapped: usize = entry.as_ref().map_or(0, |lines| {
        lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum()
    });
    let detail_height = u16::try_from(wrapped)
        .unwrap_or(u16::MAX)
        .saturating_add(1)
        .clamp(6, (area.height / 2).max(6));
    let [verify, table_area, detail] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(detail_height),
    ])
    .areas(area);
    let v = match &app.audit.verify {
        None => Line::from(Span::styled("verify: checking…", theme.dim())),
        Some(Ok(msg)) => Line::from(Span::styled(
            fit(&format!("verify ✓ {}", inert(msg)), area.width as usize),
            theme.ok(),
        )),
        Some(Err(msg)) => Line::from(Span::styled(
            fit(&format!("verify ✗ {}", inert(msg)), area.width as usize),
            theme.bad(),
        )),
    };
    let filter = Line::from(Span::styled(
        fit(
            &format!(
                "showing {}{} · K kind · U user",
                app.audit.kind.words(),
                app.audit
                    .user
                    .as_ref()
                    .map(|u| format!(" by {}", inert(u)))
                    .unwrap_or_default()
            ),
            area.width as usize,
        ),
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(vec![v, filter]), verify);
    let a = &mut app.audit;
    let shown: Vec<Entry> = a.shown().into_iter().cloned().collect();
    if shown.is_empty() {
        let msg = if a.pending {
            "loading…"
        } else if a.rows.is_empty() {
            "The audit log is empty."
        } else {
            "No entry of the loaded ones matches the filter (K kind, U user)."
        };
        frame.render_widget(Paragraph::new(msg), table_area);
        return;
    }
    let widths = [
        Constraint::Length(4),
        Constraint::Length(16),
        Constraint::Length(8),
        Constraint::Length(15),
        Constraint::Fill(3),
        Constraint::Fill(3),
    ];
    // Text cut to its column ends with `…`.
    let cols = super::column_widths(table_area.width, &widths, 0);
    let rows: Vec<Row> = shown
        .iter()
        .map(|e| {
            let r = &e.row;
            let mut what: Vec<String> = e
                .changes
                .iter()
                .map(|c| inert(c.strip_prefix(&format!("{} ", r.target)).unwrap_or(c)))
                .collect();
            if let Some(t) = &r.text {
                what.push(format!("“{}”", inert(t)));
            }
            let what = what.join("; ");
            Row::new(vec![
                Cell::from(r.seq.to_string()),
                Cell::from(super::checklist::short_time(&r.at)),
                Cell::from(super::fit(&inert(&r.actor), cols[2])),
                Cell::from(super::fit(&inert(&r.action), cols[3])),
                Cell::from(super::fit(&inert(target_of(&r.action, &r.target)), cols[4])),
                Cell::from(super::fit(&what, cols[5])),
            ])
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(Row::new(vec!["seq", "at", "actor", "action", "target", "what"]).style(theme.dim()))
        .row_highlight_style(theme.selected());
    let sel = a.selected.min(shown.len() - 1);
    a.table.select(Some(sel));
    frame.render_stateful_widget(table, table_area, &mut a.table);
    let text = entry.unwrap_or_default();
    frame.render_widget(
        Paragraph::new(text)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(ratatui::widgets::Block::new().borders(ratatui::widgets::Borders::TOP)),
        detail,
    );
}

/// The lines of one entry in full: who did what to which row, its words, what it changed.
fn entry_lines(entry: &Entry, theme: &Theme) -> Vec<Line<'static>> {
    let r = &entry.row;
    let mut text = vec![Line::from(Span::styled(
        format!(
            "#{} · {} · {} · {} · {}",
            r.seq,
            inert(&r.at),
            inert(&r.actor),
            inert(&r.action),
            inert(&r.target)
        ),
        theme.title(),
    ))];
    if let Some(t) = &r.text {
        text.push(Line::from(format!("  “{}”", inert(t))));
    }
    for c in &entry.changes {
        text.push(Line::from(format!("  {}", inert(c))));
    }
    text
}

/// A target as the table shows it: without the kind its action already names
/// (`mismatch.propose` on `mismatch:exports:GL-2026-03:ar-total` → `exports:GL-2026-03:ar-total`),
/// so the part that tells rows apart fits at 80 columns.
fn target_of<'a>(action: &str, target: &'a str) -> &'a str {
    action
        .split_once('.')
        .and_then(|(kind, _)| target.strip_prefix(kind)?.strip_prefix(':'))
        .unwrap_or(target)
}
