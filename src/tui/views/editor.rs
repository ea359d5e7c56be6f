//! The multi-line editor for notes, corrections and reasons (ratatui-textarea).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::{fit, popup};
use crate::text::inert;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let Some(ed) = app.editor.as_mut() else { return };
    let r = popup(frame, area, 76, 14);
    let title = format!(" {} — Ctrl-S save · Esc cancel ", fit(&ed.purpose.title(), 44));
    let block = Block::bordered().title(title);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [text, msg] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    ed.area.set_cursor_line_style(theme.base());
    ed.area.set_placeholder_style(theme.dim());
    frame.render_widget(&ed.area, text);
    let line = if ed.confirm_quit {
        Line::from(Span::styled(
            "Discard this draft and quit? y quits · any other key keeps editing",
            theme.banner(),
        ))
    } else if ed.confirm_discard {
        Line::from(Span::styled(
            "Discard this draft? y discards · any other key keeps editing",
            theme.banner(),
        ))
    } else if let Some(e) = &ed.error {
        Line::from(Span::styled(fit(&inert(e), inner.width as usize), theme.warn()))
    } else {
        Line::from(Span::styled(
            format!("{} lines", ed.area.lines().len()),
            theme.dim(),
        ))
    };
    frame.render_widget(Paragraph::new(line), msg);
}
