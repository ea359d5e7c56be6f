//! Sign-off: every precondition with its state, who may sign, typed confirmation, then an
//! optional comment; reopen.
//! Owns the typed confirmation and its keys; signing goes out as a request.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::editor::{Editor, Purpose};
use super::fit;
use crate::text::inert;
use crate::tui::action::{key, Binding};
use crate::tui::app::{Action, App};
use crate::tui::data::Request;
use crate::tui::theme::Theme;

/// The typed confirmation of a sign-off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignOffState {
    pub typing: Option<String>,
}

impl App {
    pub(crate) fn signoff_key(&mut self, key: KeyEvent) -> Vec<Request> {
        let typed = self.signoff.typing.get_or_insert_with(String::new);
        match key.code {
            KeyCode::Esc => self.signoff.typing = None,
            KeyCode::Backspace => {
                typed.pop();
            }
            KeyCode::Char(c)
                if !c.is_control()
                    && !key
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                typed.push(c)
            }
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
                // Confirmed: an optional comment, then Ctrl-S signs.
                self.open_editor(Purpose::SignOffComment { typed }, None);
            }
            _ => {}
        }
        Vec::new()
    }

    pub(crate) fn update_signoff(&mut self, action: Action) -> Vec<Request> {
        match action {
            Action::SignOff => {
                // Refused at once, before the period id and the comment are typed: the
                // sign-off would refuse it at the end.
                let unmet: Vec<String> = self.data.as_ref().map_or_else(Vec::new, |d| {
                    d.preconditions
                        .iter()
                        .filter(|(ok, _, _)| !ok)
                        .map(|(_, what, _)| inert(what))
                        .collect()
                });
                match self.data.as_ref().and_then(|d| d.changed_outside.clone()) {
                    Some(why) => self.refuse(format!("cannot sign off: {why}; closedesk verify names it")),
                    // The boxes as last read; the sign-off checks them again when it runs.
                    None if !unmet.is_empty() => self.refuse(format!(
                        "cannot sign off yet: {} — the unchecked boxes say what is missing",
                        unmet.join("; ")
                    )),
                    None => self.signoff.typing = Some(String::new()),
                }
            }
            Action::Reopen => self.editor = Some(Editor::new(Purpose::Reopen)),
            Action::ExportPacket => return self.export_packet(),
            _ => {}
        }
        Vec::new()
    }
}

/// The sign-off view's own keys (no row navigation).
pub fn bindings() -> Vec<Binding> {
    vec![
        key('S', "sign off (type the period id)", Action::SignOff, true),
        key('R', "reopen with a reason", Action::Reopen, true),
        key('e', "export close packet", Action::ExportPacket, true),
    ]
}

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let Some(d) = &app.data else { return };
    let mut lines = vec![
        Line::from(Span::styled(
            format!(
                "Sign off period {} — {}",
                inert(&d.summary.period),
                inert(&d.summary.entity)
            ),
            theme.title(),
        )),
        Line::from(""),
    ];
    let width = area.width as usize;
    for (ok, what, detail) in &d.preconditions {
        let (mark, style) = if *ok {
            ("[x]", theme.ok())
        } else {
            ("[ ]", theme.bad())
        };
        let detail = inert(detail);
        let room = width.saturating_sub(46);
        let mut first = vec![
            Span::styled(format!(" {mark} "), style),
            Span::raw(format!("{:<40} ", fit(&inert(what), 40))),
        ];
        if detail.chars().count() <= room {
            first.push(Span::styled(detail, theme.dim()));
            lines.push(Line::from(first));
        } else {
            // A long state gets its own line under its rule.
            lines.push(Line::from(first));
            lines.push(Line::from(Span::styled(
                format!("     {}", fit(&detail, width.saturating_sub(5))),
                theme.dim(),
            )));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(
        "Who may sign: a lead on the roster who did not complete most checklist items.",
    ));
    lines.push(Line::from(""));
    for (key, label, action) in [
        ("S", "sign off", Action::SignOff),
        ("R", "reopen", Action::Reopen),
        (
            "e",
            "export close packet (written beside the snapshot)",
            Action::ExportPacket,
        ),
    ] {
        match app.allowed(&action) {
            Ok(()) => lines.push(Line::from(vec![
                Span::styled(format!(" {key} "), theme.key()),
                Span::raw(label),
            ])),
            Err(why) => lines.push(Line::from(vec![
                Span::styled(format!(" {key} {label}"), theme.disabled()),
                Span::styled(format!(" — {why}"), theme.dim()),
            ])),
        }
    }
    if let Some(typed) = &app.signoff.typing {
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled(
                format!("Type the period id ({}) and Enter: ", inert(&d.summary.period)),
                theme.warn(),
            ),
            Span::styled(format!("{}▏", inert(typed)), theme.selected()),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
