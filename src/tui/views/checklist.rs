//! The eight close items: status, who/when, computed evidence, notes. Owns the selection,
//! the moves' keys and the drawing; a move goes out as a request, never straight to storage.

use ratatui::Frame;

use crate::snapshot::model::ItemStatus;
use crate::snapshot::model::TargetKind;
use crate::snapshot::workflow::AnnotationRow;
use crate::summary::Checklist;
use crate::text::inert;
use crate::tui::action::{clamp_move, key, Binding};
use crate::tui::app::{Action, App};
use crate::tui::data::{Request, WriteOp};
use crate::tui::theme::{checklist_symbol, Theme};

use super::editor::Purpose;
use super::fit;
use super::mismatch_detail::trail_lines;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

#[derive(Clone, Debug, Default)]
pub struct ChecklistState {
    pub selected: usize,
    pub trail: Option<(u32, Vec<AnnotationRow>)>,
}

impl App {
    pub(crate) fn checklist_trail_request(&self) -> Vec<Request> {
        let item = self.checklist.selected as u32 + 1;
        match &self.checklist.trail {
            Some((i, _)) if *i == item => Vec::new(),
            _ => vec![Request::Trail {
                kind: TargetKind::Checklist,
                target: item.to_string(),
            }],
        }
    }

    pub(crate) fn update_checklist(&mut self, action: Action) -> Vec<Request> {
        let n = self.data.as_ref().map_or(0, |d| d.checklist.len());
        match action {
            a if a.is_nav() => {
                self.checklist.selected = clamp_move(self.checklist.selected, n, &a, self.page_rows);
                return self.checklist_trail_request();
            }
            Action::SetChecklist(status) => {
                let item = self.checklist.selected as u32 + 1;
                self.flash = Some((true, format!("moving item {item} to {status}…")));
                return vec![Request::Write(WriteOp::Checklist {
                    item,
                    status,
                    note: None,
                    seen: self.item_version(item),
                })];
            }
            Action::Note => {
                let item = self.checklist.selected as u32 + 1;
                self.open_editor(Purpose::ChecklistNote { item }, self.item_version(item));
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

    /// The version of checklist item `item` as shown.
    pub(crate) fn item_version(&self, item: u32) -> Option<i64> {
        let d = self.data.as_ref()?;
        d.checklist
            .iter()
            .find(|r| u32::from(r.item) == item)
            .map(|r| r.version)
    }
}

/// The checklist's own keys.
pub fn bindings() -> Vec<Binding> {
    vec![
        key(
            'i',
            "in progress",
            Action::SetChecklist(ItemStatus::InProgress),
            true,
        ),
        key('d', "done", Action::SetChecklist(ItemStatus::Done), true),
        key('b', "blocked", Action::SetChecklist(ItemStatus::Blocked), true),
        key(
            'u',
            "back to pending",
            Action::SetChecklist(ItemStatus::Pending),
            false,
        ),
        key('n', "note", Action::Note, true),
        key('e', "export close packet (item 8)", Action::ExportPacket, false),
    ]
    .into_iter()
    .chain(crate::tui::search::bindings(true))
    .collect()
}

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let Some(d) = &app.data else { return };
    let [table_area, detail] = Layout::vertical([Constraint::Length(11), Constraint::Min(3)]).areas(area);
    let progress = Checklist::of(&d.checklist);
    let widths = [
        Constraint::Length(3),
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(11),
        Constraint::Length(24),
    ];
    // Text cut to its column ends with `…`.
    let cols = super::column_widths(table_area.width, &widths, 0);
    let rows: Vec<Row> = d
        .checklist
        .iter()
        .map(|c| {
            let who = match (&c.updated_by, &c.updated_at) {
                (Some(by), Some(at)) => format!("{} {}", inert(by), short_time(at)),
                (Some(by), None) => inert(by),
                _ => String::new(),
            };
            Row::new(vec![
                Cell::from(Span::styled(
                    checklist_symbol(c.status),
                    theme.status(c.status.as_str()),
                )),
                Cell::from(format!("{}.", c.item)),
                Cell::from(super::fit(&inert(&c.title), cols[2])),
                Cell::from(Span::styled(c.status.as_str(), theme.status(c.status.as_str()))),
                Cell::from(super::fit(&who, cols[4])),
            ])
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(Row::new(vec!["", "#", "item", "status", "who / when"]).style(theme.dim()))
        .row_highlight_style(theme.selected())
        .block(Block::new().borders(Borders::BOTTOM).title(format!(
            "Close checklist — {} of {} done",
            progress.done, progress.total
        )));
    let mut st = TableState::default();
    if !d.checklist.is_empty() {
        st.select(Some(app.checklist.selected.min(d.checklist.len() - 1)));
    }
    frame.render_stateful_widget(table, table_area, &mut st);

    let idx = app.checklist.selected;
    let rows = |l: &Line<'static>| {
        Paragraph::new(l.clone())
            .wrap(Wrap { trim: false })
            .line_count(detail.width)
    };
    let total = |ls: &[Line<'static>]| ls.iter().map(rows).sum::<usize>();
    let room = usize::from(detail.height);
    let mut lines: Vec<Line<'static>> = Vec::new();
    if let Some(c) = d.checklist.get(idx) {
        lines.push(Line::from(Span::styled(
            fit(&format!("{}. {}", c.item, inert(&c.title)), area.width as usize),
            theme.title(),
        )));
    }
    let mut after: Vec<Line<'static>> = Vec::new();
    if let Err(why) = app.allowed(&Action::SetChecklist(ItemStatus::Done)) {
        after.push(Line::from(Span::styled(
            format!("moves disabled: {why}"),
            theme.dim(),
        )));
    }
    match &app.checklist.trail {
        Some((item, trail)) if *item as usize == idx + 1 => {
            if trail.is_empty() {
                after.push(Line::from(Span::styled("  no notes", theme.dim())));
            } else {
                after.extend(trail_lines(trail, theme));
            }
        }
        _ => after.push(Line::from(Span::styled("  notes loading…", theme.dim()))),
    }
    // The evidence a line each, or as one wrapped paragraph when that leaves the notes room.
    let evidence: Vec<String> = d
        .evidence
        .get(idx)
        .into_iter()
        .flatten()
        .map(|e| inert(e))
        .collect();
    let listed: Vec<Line<'static>> = evidence
        .iter()
        .map(|e| Line::from(format!("  evidence: {e}")))
        .collect();
    if total(&lines) + total(&listed) + total(&after) <= room {
        lines.extend(listed);
    } else if !evidence.is_empty() {
        lines.push(Line::from(format!("  evidence: {}", evidence.join(" · "))));
    }
    lines.extend(after);
    // More than fits: cut at a whole line and say where the rest is, never silently.
    if total(&lines) > room {
        let more = |cut: usize| {
            Line::from(Span::styled(
                format!("  … {cut} more line(s): `closedesk checklist` lists every note"),
                theme.dim(),
            ))
        };
        let mut used = rows(&more(lines.len()));
        let keep = lines
            .iter()
            .take_while(|l| {
                used += rows(l);
                used <= room
            })
            .count();
        let cut = lines.len() - keep;
        lines.truncate(keep);
        lines.push(more(cut));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), detail);
}

/// `2026-04-01T09:00:00Z` → `2026-04-01 09:00`; other text unchanged (inert). Stored
/// text may be anything: it is cut only at character boundaries.
pub fn short_time(at: &str) -> String {
    let t = inert(at);
    match (t.get(..10), t.get(10..11), t.get(11..16)) {
        (Some(day), Some("T"), Some(minute)) => format!("{day} {minute}"),
        _ => t,
    }
}
