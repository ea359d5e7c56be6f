//! The `?` overlay: every key of the current view, from the same table as the footer.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::popup;
use crate::tui::app::App;
use crate::tui::keymap;
use crate::tui::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let bindings = keymap::bindings(app.view);
    let mut lines: Vec<Line> = Vec::new();
    for b in &bindings {
        let mut spans = vec![
            Span::styled(format!("{:>7}  ", b.shown), theme.key()),
            Span::raw(b.label),
        ];
        if let Err(why) = app.allowed(&b.action) {
            spans = vec![
                Span::styled(format!("{:>7}  ", b.shown), theme.disabled()),
                Span::styled(b.label, theme.disabled()),
            ];
            spans.push(Span::styled(format!(" — {why}"), theme.dim()));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(Span::styled(
        "  severity: ▲ critical  ● high  ◆ medium  · low",
        theme.dim(),
    )));
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = popup(frame, area, 76, h);
    let title = format!(" Keys — {} (any key closes) ", app.view.title());
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(title)), r);
}
