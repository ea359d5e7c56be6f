//! Evidence (`t` on a mismatch): the source rows behind its expected and actual figure with
//! their dates, accounts and amounts, their sums (the one that is the figure marked), and
//! where the check compares two sides row by row, that comparison with each differing row
//! marked `≠` — the same text as `closedesk mismatch FILE KEY --rows`
//! (`reconcile::evidence::text`). Owns the view's scroll; the worker builds the evidence.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::reconcile::evidence::{text_within, Evidence};
use crate::text::inert;
use crate::tui::action::{b, clamp_move, Action, Binding, K};
use crate::tui::app::{App, View};
use crate::tui::data::Request;
use crate::tui::theme::Theme;

#[derive(Clone, Debug, Default)]
pub struct EvidenceState {
    pub key: String,
    /// `None` while the worker builds it.
    pub result: Option<Result<Evidence, String>>,
    pub scroll: usize,
    /// Columns scrolled to the right (the tables are wider than 80 columns).
    pub across: usize,
}

impl EvidenceState {
    pub(crate) fn lines(&self) -> Vec<String> {
        self.lines_within(None)
    }

    /// The lines as drawn `width` wide: each table's amounts end within it, whole, its
    /// names and other text giving way (the same lines as [`EvidenceState::lines`], which
    /// search and scrolling count).
    pub(crate) fn lines_within(&self, width: Option<usize>) -> Vec<String> {
        match &self.result {
            Some(Ok(e)) => text_within(e, width).lines().map(str::to_string).collect(),
            Some(Err(why)) => vec![format!("cannot trace it: {}", inert(why))],
            None => vec!["reading the rows behind it…".to_string()],
        }
    }
}

impl App {
    /// Opens the evidence of the detail's mismatch and asks the worker for it.
    pub(crate) fn open_evidence(&mut self) -> Vec<Request> {
        self.open_evidence_of(self.detail.key.clone())
    }

    /// Opens the evidence of mismatch `key` (`t` in the Mismatches list: the selected one)
    /// and asks the worker for it.
    pub(crate) fn open_evidence_of(&mut self, key: String) -> Vec<Request> {
        if self.evidence.key != key || matches!(self.evidence.result, Some(Err(_))) {
            self.evidence = EvidenceState {
                key: key.clone(),
                ..EvidenceState::default()
            };
        }
        let mut out = self.show(View::Evidence);
        if self.evidence.result.is_none() {
            out.push(Request::Evidence { key });
        }
        out
    }

    pub(crate) fn on_evidence(&mut self, key: String, result: Result<Evidence, String>) -> Vec<Request> {
        if key == self.evidence.key {
            self.evidence.result = Some(result);
        }
        Vec::new()
    }

    pub(crate) fn update_evidence(&mut self, action: Action) -> Vec<Request> {
        // The body inside the box's borders: the last page starts this many lines from the end.
        let shown = self.page_rows + 2;
        let e = &mut self.evidence;
        match action {
            Action::Left => e.across = e.across.saturating_sub(8),
            Action::Right => {
                let widest = e.lines().iter().map(|l| l.chars().count()).max().unwrap_or(0);
                e.across = (e.across + 8).min(widest.saturating_sub(20));
            }
            a if a.is_nav() => {
                // The top line, never past the last full page (`G` shows the last page).
                let n = e.lines().len();
                e.scroll = clamp_move(e.scroll, n, &a, 10).min(n.saturating_sub(shown));
            }
            _ => {}
        }
        Vec::new()
    }
}

/// Its own keys: sideways scrolling (the tables are wider than a small terminal); up and
/// down and Esc (back to the mismatch) are global.
pub fn bindings() -> Vec<Binding> {
    use ratatui::crossterm::event::KeyCode::{Left, Right};
    use K::{Ch, Code};
    vec![
        b(&[Ch('h'), Code(Left)], "h/←", "scroll left", Action::Left, true),
        b(
            &[Ch('l'), Code(Right)],
            "l/→",
            "scroll right",
            Action::Right,
            true,
        ),
    ]
    .into_iter()
    .chain(crate::tui::search::bindings(false))
    .collect()
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // Scrolled across by `←`/`→`; a line that runs past the right edge ends with `…`, so a
    // figure cut there (`-9.` of `-9.75`) never reads as another figure.
    let inner = usize::from(area.width.saturating_sub(2));
    let across = app.evidence.across;
    let shown = |l: &str| super::fit(&l.chars().skip(across).collect::<String>(), inner);
    // An amount is never cut: at the left edge the tables' amounts end within the box,
    // their text columns giving way (scrolled across, as wide as the box and the scroll).
    let lines: Vec<Line> = app
        .evidence
        // One column less: a line running on past it ends with `…` in that column.
        .lines_within(Some((inner + across).saturating_sub(1)))
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            // The current `/` hit reads as a selection, `›` in the margin (also in NO_COLOR).
            if app.search.evidence.active() && app.search.evidence.current() == Some(i) {
                let marked = match l.strip_prefix(' ') {
                    Some(rest) => format!("›{rest}"),
                    None => format!("›{l}"),
                };
                Line::styled(shown(&marked), theme.selected())
            } else if l.starts_with("  ≠") {
                Line::styled(shown(&l), theme.bad())
            } else if l.starts_with("Expected") || l.starts_with("Actual") || l.starts_with("Compared") {
                Line::styled(shown(&l), theme.title())
            } else {
                Line::from(shown(&l))
            }
        })
        .collect();
    let title = format!(" Evidence — {} · Esc back ", inert(&app.evidence.key));
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::default().borders(Borders::ALL).title(title))
            .scroll((
                // After a resize the last page may start earlier: never scroll past it.
                app.evidence
                    .scroll
                    .min(
                        app.evidence
                            .lines()
                            .len()
                            .saturating_sub(usize::from(area.height.saturating_sub(2))),
                    )
                    .min(u16::MAX as usize) as u16,
                0,
            )),
        area,
    );
}
