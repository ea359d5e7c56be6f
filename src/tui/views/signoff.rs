//! Sign-off: every precondition with its state, who may sign, typed confirmation; reopen.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::snapshot::model::{PeriodStatus, Role};
use crate::text::inert;
use crate::tui::app::{Action, App};
use crate::tui::data::Loaded;
use crate::tui::theme::Theme;

/// The preconditions of a sign-off: (met, what, detail).
pub fn preconditions(d: &Loaded) -> Vec<(bool, String, String)> {
    let s = &d.summary;
    let open = s.mismatches.open;
    let login = &d.actor.login;
    let mine = d
        .checklist
        .iter()
        .filter(|c| c.status == "done" && c.updated_by.as_deref() == Some(login.as_str()))
        .count();
    vec![
        (
            d.period_status == PeriodStatus::Open,
            "the period is open".to_string(),
            if d.period_status == PeriodStatus::Open {
                "open".to_string()
            } else {
                "already signed off".to_string()
            },
        ),
        (
            s.checklist.done == s.checklist.total && s.checklist.total > 0,
            "all checklist items are done".to_string(),
            format!("{} of {} done", s.checklist.done, s.checklist.total),
        ),
        (
            open == 0,
            "every mismatch is resolved or waived".to_string(),
            format!("{open} open, variance {}", s.variance_usd.grouped()),
        ),
        (
            d.actor.role == Some(Role::Lead),
            "you are a lead".to_string(),
            match d.actor.role {
                Some(r) => format!("{} is {}", inert(login), r),
                None => format!("{} is not on the roster", inert(login)),
            },
        ),
        (
            mine * 2 <= s.checklist.total as usize,
            "four eyes: you did not complete most items".to_string(),
            format!("you completed {mine} of {}", s.checklist.total),
        ),
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
    for (ok, what, detail) in preconditions(d) {
        let (mark, style) = if ok {
            ("[x]", theme.ok())
        } else {
            ("[ ]", theme.bad())
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            Span::raw(format!("{what:<44}")),
            Span::styled(detail, theme.dim()),
        ]));
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
