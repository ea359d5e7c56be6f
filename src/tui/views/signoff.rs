//! Sign-off: every precondition with its state, who may sign, typed confirmation; reopen.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::fit;
use crate::text::inert;
use crate::tui::app::{Action, App};
use crate::tui::theme::Theme;

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
