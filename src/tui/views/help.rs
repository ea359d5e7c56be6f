//! The `?` overlay: every key of the current view, from the same table as the footer
//! ([`keymap`](crate::tui::keymap)). Draws only: it has no state and binds no key.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::popup;
use crate::text::{inert, wrap};
use crate::tui::app::App;
use crate::tui::keymap::{self, Binding};
use crate::tui::theme::Theme;

/// The lines of `bindings` for a column `width` wide: each key on a line, a disabled key's
/// reason below it, indented under the label on every line it takes.
fn lines<'a>(bindings: &[Binding], app: &App, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for b in bindings {
        if b.only_if_allowed && app.allowed(&b.action).is_err() {
            continue;
        }
        match app.allowed(&b.action) {
            Ok(()) => out.push(Line::from(vec![
                Span::styled(format!("{:>6} ", b.shown), theme.key()),
                Span::raw(b.label),
            ])),
            Err(why) => {
                out.push(Line::from(vec![
                    Span::styled(format!("{:>6} ", b.shown), theme.disabled()),
                    Span::styled(format!("{} (disabled)", b.label), theme.disabled()),
                ]));
                // Under the label: seven columns in, continuations (indented by two) five.
                for (i, part) in wrap(&why, width.saturating_sub(7)).into_iter().enumerate() {
                    let indent = if i == 0 { "       " } else { "     " };
                    out.push(Line::from(Span::styled(format!("{indent}{part}"), theme.dim())));
                }
            }
        }
    }
    out
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let all = keymap::bindings(app.view);
    let global = keymap::global();
    let own: Vec<Binding> = all.iter().filter(|b| !global.contains(b)).cloned().collect();
    // The box and its two columns (55% and 45% of the inside).
    let inner_w = usize::from(area.width.min(78).saturating_sub(2));
    let (left_w, right_w) = (inner_w * 55 / 100, inner_w - inner_w * 55 / 100);
    let mut left = lines(&own, app, theme, left_w);
    // The tied-rows panel of a lane (Enter) has keys of its own.
    if app.view == crate::tui::app::View::Lanes {
        left.push(Line::from(Span::styled("in the tied rows:", theme.dim())));
        for (key, label) in [
            ("j/k", "move"),
            ("Enter", "open it in its own lane"),
            ("Esc", "close the panel"),
        ] {
            left.push(Line::from(vec![
                Span::styled(format!("{key:>6} "), theme.key()),
                Span::raw(label),
            ]));
        }
    }
    let mut right = lines(&global, app, theme, right_w);
    // A login not on the roster is told whom it may act as, and how.
    if let Some(d) = app.data.as_ref().filter(|d| d.actor.is_read_only()) {
        right.push(Line::from(""));
        let (first, second) = if app.served {
            ("read-only: ask for your SSH", "key to act as one of:")
        } else {
            ("read-only: to act, --user", "LOGIN, one of:")
        };
        right.push(Line::from(Span::styled(first, theme.warn())));
        right.push(Line::from(Span::styled(second, theme.warn())));
        for (login, role) in &d.roster {
            right.push(Line::from(format!("  {} ({})", inert(login), role.as_str())));
        }
    }
    // The severity symbols, where there is room beside the roster.
    if right.len() + 4 <= usize::from(area.height.saturating_sub(2)) {
        right.push(Line::from(""));
        right.push(Line::from(Span::styled("severity:", theme.dim())));
        right.push(Line::from(Span::styled(" ▲ critical  ● high", theme.dim())));
        right.push(Line::from(Span::styled(" ◆ medium    · low", theme.dim())));
    }
    // Taller than the screen: one list over both columns, read down the left then the right,
    // and what still does not fit is counted on the last line, never cut silently.
    let room = usize::from(area.height.saturating_sub(2)).max(1);
    if left.len().max(right.len()) > room {
        let mut all = left;
        all.push(Line::from(""));
        all.extend(right);
        let per = all.len().div_ceil(2).min(room);
        if all.len() > 2 * per {
            let more = all.len() - (2 * per - 1);
            all.truncate(2 * per - 1);
            all.push(Line::from(Span::styled(
                format!("… {more} more: a taller terminal shows every key"),
                theme.dim(),
            )));
        }
        right = all.split_off(per);
        left = all;
    }
    let h = (left.len().max(right.len()) as u16 + 2).min(area.height);
    let r = popup(frame, area, 78, h);
    let title = format!(" Keys — {} · any key closes ", app.view.title());
    let block = Block::bordered().title(title);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [l, rr] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(inner);
    frame.render_widget(Paragraph::new(left).wrap(Wrap { trim: false }), l);
    frame.render_widget(Paragraph::new(right).wrap(Wrap { trim: false }), rr);
}
