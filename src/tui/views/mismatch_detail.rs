//! One mismatch: its figures, the source rows behind expected and actual, its trail, and
//! what this user may do with it. Owns the detail's panes and keys; writes go out as requests.

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use super::editor::{Editor, Purpose};
use super::{fit, signed};
use crate::money::Money;
use crate::snapshot::model::{AnnotationKind, CorrectionStatus, Side};
use crate::snapshot::workflow::AnnotationRow;
use crate::text::{inert, inert_multiline};
use crate::tui::action::{b, clamp_move, key, pane_keys, Action, Binding, K};
use crate::tui::app::{App, View};
use crate::tui::data::{Item, Request};
use crate::tui::theme::{severity_label, Theme};

/// Panes of the mismatch detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DetailPane {
    #[default]
    Sources,
    Trail,
}

#[derive(Clone, Debug, Default)]
pub struct DetailState {
    pub key: String,
    pub pane: DetailPane,
    pub source: usize,
    /// The trail's first line shown (lines as drawn, wrapped), at most [`Self::trail_max`].
    pub trail_scroll: usize,
    /// How far the trail scrolls: its lines as last drawn less the lines its pane shows.
    pub trail_max: usize,
    /// How many lines the trail's pane and source rows the sources' pane showed last drawn:
    /// a page.
    pub trail_page: usize,
    pub sources_page: usize,
    pub trail: Option<Vec<AnnotationRow>>,
    /// Choosing a correction: the selected one among [`App::choices`], with the variance
    /// before → after shown.
    pub choosing: Option<usize>,
    /// What the chooser picks a correction for.
    pub choose_for: ChooseFor,
}

/// What the chooser over the detail picks a correction for: to accept (`a`) or send back
/// (`r`) one of the waiting ones, or to reverse (`u`) an accepted one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChooseFor {
    #[default]
    Accept,
    Reject,
    Reverse,
}

/// One correction the chooser offers: (id, amount, side, who — its author, or who accepted
/// it —, the variance after accepting or reversing it).
pub type Choice = (i64, Money, Side, String, Money);

/// The chosen correction an editor confirms: what for, on which mismatch, which one.
pub(crate) fn chosen(purpose: &Purpose) -> Option<(ChooseFor, &str, i64)> {
    match purpose {
        Purpose::Accept { key, id } => Some((ChooseFor::Accept, key, *id)),
        Purpose::Rejection { key, id } => Some((ChooseFor::Reject, key, *id)),
        Purpose::Reversal { key, id } => Some((ChooseFor::Reverse, key, *id)),
        _ => None,
    }
}

/// What a correction does to the variance (actual − expected): adding to actual raises it,
/// adding to expected lowers it.
fn effect(amount: Money, side: Side) -> Money {
    match side {
        Side::Actual => amount,
        Side::Expected => Money::ZERO - amount,
    }
}

impl App {
    pub fn detail_item(&self) -> Option<&Item> {
        self.data.as_ref()?.item(&self.detail.key)
    }

    /// The source rows of the detail: (side, table, id).
    pub fn detail_sources(&self) -> Vec<(&'static str, &'static str, String)> {
        let Some(item) = self.detail_item() else {
            return Vec::new();
        };
        let m = &item.mismatch;
        m.expected_rows
            .iter()
            .map(|r| ("expected", r.table, r.id.clone()))
            .chain(m.actual_rows.iter().map(|r| ("actual", r.table, r.id.clone())))
            .collect()
    }

    /// The corrections waiting for a decision, from the trail: (id, amount, side, author,
    /// the variance after accepting it).
    pub fn waiting_corrections(&self) -> Vec<Choice> {
        self.corrections_with(CorrectionStatus::Proposed, |a| a.author.clone(), 1)
    }

    /// The accepted corrections, from the trail: (id, amount, side, who accepted it, the
    /// variance after reversing it).
    pub fn accepted_corrections(&self) -> Vec<Choice> {
        self.corrections_with(
            CorrectionStatus::Accepted,
            |a| a.decided_by.clone().unwrap_or_default(),
            -1,
        )
    }

    /// What the chooser offers now.
    pub fn choices(&self) -> Vec<Choice> {
        self.choices_for(self.detail.choose_for)
    }

    fn choices_for(&self, choose_for: ChooseFor) -> Vec<Choice> {
        match choose_for {
            ChooseFor::Accept | ChooseFor::Reject => self.waiting_corrections(),
            ChooseFor::Reverse => self.accepted_corrections(),
        }
    }

    /// Opens the chooser: choose among the waiting corrections (to accept) or the accepted
    /// ones (to reverse), seeing the variance after each, then confirm with an optional
    /// note or give the reason (Enter), or cancel (Esc). Refused when the trail offers none.
    fn choose(&mut self, choose_for: ChooseFor) {
        if self.detail.trail.is_some() && self.choices_for(choose_for).is_empty() {
            let why = match choose_for {
                ChooseFor::Accept => "no correction waits for a decision on this mismatch",
                ChooseFor::Reject => {
                    "no correction waits for a decision on this mismatch: nothing to send back"
                }
                ChooseFor::Reverse => "no accepted correction to reverse on this mismatch",
            };
            self.refuse(why.to_string());
        } else {
            self.detail.choose_for = choose_for;
            self.detail.choosing = Some(0);
        }
    }

    /// The trail's corrections in `status`, with the variance after applying (`sign` 1) or
    /// taking away (−1) each.
    fn corrections_with(
        &self,
        status: CorrectionStatus,
        who: impl Fn(&AnnotationRow) -> String,
        sign: i64,
    ) -> Vec<Choice> {
        let (Some(item), Some(trail)) = (self.detail_item(), self.detail.trail.as_ref()) else {
            return Vec::new();
        };
        let before = item.corrected.2;
        trail
            .iter()
            .filter(|a| a.correction_status == Some(status))
            .filter_map(|a| {
                let (amount, side) = (a.amount?, a.side?);
                let change = effect(amount, side);
                let after = if sign < 0 {
                    before - change
                } else {
                    before + change
                };
                Some((a.id, amount, side, who(a), after))
            })
            .collect()
    }

    /// One choice in words: "#3 +9.75 adds to actual · by rdiaz · variance -9.75 → 0.00"
    /// (reversing: "· accepted by rita · variance 0.00 → -9.75", the variance now → after
    /// reversing it).
    pub fn choice_words(&self, choice: &Choice) -> String {
        self.choice_words_for(self.detail.choose_for, choice)
    }

    fn choice_words_for(&self, choose_for: ChooseFor, choice: &Choice) -> String {
        let (id, amount, side, who, after) = choice;
        let before = self.detail_item().map_or(Money::ZERO, |i| i.corrected.2);
        let by = match choose_for {
            ChooseFor::Accept | ChooseFor::Reject => "by",
            ChooseFor::Reverse => "accepted by",
        };
        // Sending one back leaves the variance where it is: what accepting it would give is
        // said as that, not as an arrow the reviewer would take for this action's effect.
        let variance = match choose_for {
            ChooseFor::Reject => format!("variance stays {} (accepted: {})", signed(before), signed(*after)),
            ChooseFor::Accept | ChooseFor::Reverse => {
                format!("variance {} → {}", signed(before), signed(*after))
            }
        };
        format!(
            "#{id} {} adds to {} · {by} {} · {variance}",
            signed(*amount),
            side.as_str(),
            inert(who)
        )
    }

    /// The open confirmation of a chosen correction (accept, send back, reverse) against the
    /// mismatch as last read: called whenever its trail is read, so after another user's
    /// change (a conflict's reload, or the watcher's) it shows the figures as they are now —
    /// the variance before → after recomputed — or, when the correction is no longer there
    /// to decide on, says so, and Ctrl-S then sends nothing ([`Editor::gone`]).
    pub(crate) fn recheck_choice(&mut self) {
        let Some((choose_for, key, id)) = self.editor.as_ref().and_then(|ed| chosen(&ed.purpose)) else {
            return;
        };
        if key != self.detail.key || self.detail_item().is_none() {
            return;
        }
        let Some(trail) = self.detail.trail.as_ref() else {
            return;
        };
        let still = self.choices_for(choose_for).into_iter().find(|c| c.0 == id);
        // Resolved meanwhile (another correction accepted): the workflow sends a waiting one
        // back, it does not accept it on top (`mismatches::closed_to`).
        use crate::snapshot::model::MismatchStatus;
        let resolved = match (choose_for, self.detail_item().map(|item| item.status)) {
            (ChooseFor::Accept, Some(status @ MismatchStatus::Resolved)) => {
                crate::workflow::mismatches::closed_to(status, crate::workflow::Permission::AcceptCorrection)
            }
            _ => None,
        };
        let (context, gone) = match (still, resolved) {
            (Some(choice), Some(why)) => {
                let why = format!("the mismatch is {why}");
                (
                    format!("{} — {why}", self.choice_words_for(choose_for, &choice)),
                    Some(why),
                )
            }
            (still, _) => match still {
                Some(choice) => (self.choice_words_for(choose_for, &choice), None),
                None => {
                    let now = trail
                        .iter()
                        .find(|a| a.id == id)
                        .and_then(|a| {
                            let status = a.correction_status?;
                            let who = match status {
                                CorrectionStatus::Reversed => a.reversed_by.as_deref(),
                                _ => a.decided_by.as_deref(),
                            };
                            Some(match who {
                                Some(who) => format!("{} by {}", status.as_str(), inert(who)),
                                None => status.as_str().to_string(),
                            })
                        })
                        .unwrap_or_else(|| "not in its trail".to_string());
                    let why = match choose_for {
                        ChooseFor::Accept | ChooseFor::Reject => {
                            format!("correction #{id} no longer waits for a decision: {now}")
                        }
                        ChooseFor::Reverse => format!("correction #{id} is no longer accepted: {now}"),
                    };
                    (format!("#{id}: {why}"), Some(why))
                }
            },
        };
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        ed.rereading = false;
        if let Some(why) = &gone {
            ed.error = Some(format!("{why} — Ctrl-S does nothing; Esc closes this"));
        }
        ed.context = Some(context);
        ed.gone = gone;
    }

    /// A key while choosing a correction: move, take the chosen one to its confirmation
    /// (Enter: the accept note, or the reversal's reason), or cancel.
    pub(crate) fn choose_key(&mut self, key: KeyEvent) -> Vec<Request> {
        let waiting = self.choices();
        let Some(selected) = self.detail.choosing else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc => self.detail.choosing = None,
            KeyCode::Down | KeyCode::Char('j') => {
                self.detail.choosing = Some((selected + 1).min(waiting.len().saturating_sub(1)))
            }
            KeyCode::Up | KeyCode::Char('k') => self.detail.choosing = Some(selected.saturating_sub(1)),
            KeyCode::Enter => {
                let Some(choice) = waiting.get(selected).cloned() else {
                    return Vec::new();
                };
                let Some(item) = self.detail_item() else {
                    return Vec::new();
                };
                let (key, seen) = (item.mismatch.key.clone(), Some(item.version));
                let (id, words) = (choice.0, self.choice_words(&choice));
                // Four-eyes, asked before the note is written rather than at Ctrl-S.
                if self.detail.choose_for == ChooseFor::Accept {
                    let login = self.data.as_ref().map_or("", |d| d.actor.login.as_str());
                    if let Err(why) = crate::workflow::mismatches::may_accept(login, &choice.3, id) {
                        self.refuse(why.to_string());
                        return Vec::new();
                    }
                }
                let purpose = match self.detail.choose_for {
                    ChooseFor::Accept => Purpose::Accept { key, id },
                    ChooseFor::Reject => Purpose::Rejection { key, id },
                    ChooseFor::Reverse => Purpose::Reversal { key, id },
                };
                self.detail.choosing = None;
                self.open_editor_on(purpose, seen, words);
            }
            _ => {}
        }
        Vec::new()
    }

    // ---- events -------------------------------------------------------------------------

    pub(crate) fn open_detail(&mut self, key: String) -> Vec<Request> {
        if self.detail.key != key {
            self.detail = DetailState {
                key,
                ..DetailState::default()
            };
        }
        self.show(View::Detail)
    }

    pub(crate) fn update_detail(&mut self, action: Action) -> Vec<Request> {
        let Some(item) = self.detail_item() else {
            return Vec::new();
        };
        let key = item.mismatch.key.clone();
        let seen = Some(item.version);
        let nsources = self.detail_sources().len();
        let d = &mut self.detail;
        match action {
            Action::NextPane | Action::PrevPane => {
                d.pane = match d.pane {
                    DetailPane::Sources => DetailPane::Trail,
                    DetailPane::Trail => DetailPane::Sources,
                }
            }
            a if a.is_nav() => match d.pane {
                DetailPane::Sources => d.source = clamp_move(d.source, nsources, &a, d.sources_page),
                DetailPane::Trail => {
                    d.trail_scroll = clamp_move(d.trail_scroll, d.trail_max + 1, &a, d.trail_page)
                }
            },
            Action::Enter if d.pane == DetailPane::Sources => {
                if let Some((_, table, id)) = self.detail_sources().get(self.detail.source).cloned() {
                    self.flash = Some((true, format!("opening {} {}…", table, inert(&id))));
                    return vec![Request::Locate {
                        table: table.to_string(),
                        id,
                    }];
                }
            }
            Action::Trace => return self.open_evidence(),
            Action::Note => self.editor = Some(Editor::new(Purpose::Note { key })),
            Action::Correction => self.open_editor(Purpose::Correction { key: key.clone() }, seen),
            Action::Waive => self.open_editor(Purpose::Waiver { key: key.clone() }, seen),
            Action::Reject => self.choose(ChooseFor::Reject),
            Action::Assign => self.open_editor(Purpose::Assign { key: key.clone() }, seen),
            Action::Accept => self.choose(ChooseFor::Accept),
            Action::Reverse => self.choose(ChooseFor::Reverse),
            _ => {}
        }
        Vec::new()
    }
}

/// The detail's own keys.
pub fn bindings() -> Vec<Binding> {
    use KeyCode::*;
    use K::*;
    let mut keys = pane_keys("next pane", "previous pane", false).to_vec();
    keys.extend([
        b(&[Code(Enter)], "Enter", "open row", Action::Enter, true),
        // In the footer while a correction awaits a decision and the user may decide it
        // (`App::allowed`, the workflow's `closed_to`): then it is the reviewer's next step.
        key('a', "accept correction", Action::Accept, true),
        key('r', "send back correction", Action::Reject, true),
        key('t', "trace", Action::Trace, true),
        key('n', "note", Action::Note, true),
        key('p', "correction", Action::Correction, true),
        key('w', "waive", Action::Waive, true),
        key('u', "reverse an accepted correction", Action::Reverse, false).only_if_allowed(),
        key('o', "assign owner", Action::Assign, false),
    ]);
    keys.extend(crate::tui::search::bindings(true));
    keys
}

/// The binding of `action` among `keys` (the detail's [`bindings`]): the actions line writes
/// each key as it is bound.
fn binding_of<'k>(keys: &'k [Binding], action: &Action) -> &'k Binding {
    keys.iter()
        .find(|bd| bd.action == *action)
        .expect("every action of the detail's actions line has a key")
}

/// The trail as lines: who, when, what; text kept multi-line but inert.
pub fn trail_lines(rows: &[AnnotationRow], theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for a in rows {
        let mut head = format!(
            "{} · {} · {}",
            inert(&a.created_at),
            inert(&a.author),
            a.kind.as_str()
        );
        if let Some(amount) = a.amount {
            head.push_str(&format!(
                " {} on {}",
                signed(amount),
                a.side.map_or("?", Side::as_str)
            ));
        }
        if let Some(st) = &a.correction_status {
            // A reversed correction was accepted first: say by whom.
            let decided = match st {
                CorrectionStatus::Reversed => "accepted",
                other => other.as_str(),
            };
            head.push_str(&format!(" [{decided}"));
            if let Some(by) = &a.decided_by {
                head.push_str(&format!(" by {}", inert(by)));
            }
            if *st == CorrectionStatus::Reversed {
                head.push_str(", reversed");
            }
            head.push(']');
        }
        out.push(Line::from(Span::styled(head, theme.dim())));
        // A correction's reason is its proposer's, said so: under "[sent back by …]" an
        // unlabelled reason read as the decider's.
        let reason_label = match a.kind {
            AnnotationKind::Correction => "proposed because: ",
            _ => "",
        };
        for (i, l) in inert_multiline(&a.text).lines().enumerate() {
            let lead = if i == 0 { reason_label } else { "" };
            out.push(Line::from(format!("  {lead}{l}")));
        }
        // As typed in the correction editor.
        if let Some(reference) = &a.reference {
            out.push(Line::from(format!("  ref: {}", inert(reference))));
        }
        if let Some(note) = &a.decision_note {
            let what = match a.correction_status {
                Some(CorrectionStatus::Rejected) => "sent back because",
                _ => "accept note",
            };
            for (i, l) in inert_multiline(note).lines().enumerate() {
                let lead = if i == 0 {
                    format!("{what}: ")
                } else {
                    "  ".to_string()
                };
                out.push(Line::from(format!("  {lead}{l}")));
            }
        }
        if let Some(reversal) = crate::workflow::mismatches::reversal_of(a) {
            out.push(Line::from(Span::styled(format!("  {reversal}"), theme.warn())));
        }
    }
    out
}

/// The chooser over the detail: each waiting correction with the variance before → after
/// accepting it; Enter accepts the selected one, Esc cancels.
fn draw_choosing(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(selected) = app.detail.choosing else {
        return;
    };
    let choices = app.choices();
    let mut lines: Vec<Line> = Vec::new();
    if app.detail.trail.is_none() {
        lines.push(Line::from("reading the corrections…"));
    } else if choices.is_empty() {
        // Decided meanwhile, in another cockpit or on the command line.
        lines.push(Line::from(
            "none waits any more: decided meanwhile (the trail says by whom) · Esc closes",
        ));
    }
    // As wide as the longest choice needs, up to the screen; a choice still too long ends
    // with `…`.
    let words: Vec<String> = choices.iter().map(|c| app.choice_words(c)).collect();
    let longest = words.iter().map(|w| w.chars().count() + 2).max().unwrap_or(0);
    let width = (longest as u16 + 2).clamp(76, area.width.saturating_sub(2).max(76));
    let inner = usize::from(width.min(area.width).saturating_sub(2));
    for (i, words) in words.iter().enumerate() {
        let text = fit(
            &format!("{} {}", if i == selected { "›" } else { " " }, words),
            inner,
        );
        lines.push(if i == selected {
            Line::styled(text, theme.selected())
        } else {
            Line::from(text)
        });
    }
    let (title, enter) = match app.detail.choose_for {
        ChooseFor::Accept => (
            " Accept which correction? ",
            "Enter: confirm it, with a note if you like · Esc cancels",
        ),
        ChooseFor::Reject => (
            " Send back which correction? ",
            "Enter: say why it is sent back · Esc cancels",
        ),
        ChooseFor::Reverse => (
            " Reverse which accepted correction? (variance now → after reversal) ",
            "Enter: say why it is reversed · Esc cancels",
        ),
    };
    lines.push(Line::from(""));
    lines.push(Line::styled(enter, theme.dim()));
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = super::popup(frame, area, width, h);
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(title)), r);
}

/// "lane · owner · status" in `width` columns: the owner is cut first (ending with `…`) so
/// the status stays whole. The trail's counts are in its pane's title.
fn status_line<'a>(item: &Item, width: usize, theme: &Theme) -> Line<'a> {
    let m = &item.mismatch;
    let status = item.status.as_str();
    let lane = format!("lane {} · owner ", m.lane);
    let fixed = lane.chars().count() + " · status ".len() + status.len();
    let owner = fit(&inert(&item.owner), width.saturating_sub(fixed).max(8));
    Line::from(vec![
        Span::raw(format!("{lane}{owner} · status ")),
        Span::styled(status.to_string(), theme.status(status)),
    ])
}

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    draw_detail(frame, area, app, theme);
    draw_choosing(frame, area, app, theme);
}

fn draw_detail(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let Some(item) = app.detail_item() else {
        frame.render_widget(
            Paragraph::new(format!(
                "{} is no longer reported by reconciliation (Esc goes back).",
                inert(&app.detail.key)
            )),
            area,
        );
        return;
    };
    let m = &item.mismatch;
    // The actions and why some are disabled: as many lines as they take (two or three).
    let action_lines = action_lines(app, theme, area.width);
    let [figs, panes, actions] = Layout::vertical([
        Constraint::Length(6),
        Constraint::Min(4),
        Constraint::Length(action_lines.len() as u16),
    ])
    .areas(area);

    let lines = vec![
        Line::from(vec![
            Span::styled(severity_label(m.severity), theme.severity(m.severity)),
            Span::raw("  "),
            Span::styled(inert(&m.key), theme.title()),
        ]),
        Line::from(fit(&inert(&m.title), area.width as usize)),
        Line::from(fit(
            &if item.corrected.2 == m.variance {
                format!(
                    "expected {}   actual {}   variance {}",
                    m.expected.grouped(),
                    m.actual.grouped(),
                    signed(m.variance)
                )
            } else {
                format!(
                    "expected {}   actual {}   variance {} → {} corrected",
                    m.expected.grouped(),
                    m.actual.grouped(),
                    signed(m.variance),
                    signed(item.corrected.2)
                )
            },
            area.width as usize,
        )),
        status_line(item, area.width as usize, theme),
        Line::from(fit(
            &format!("next: {}", inert(&m.next_action)),
            area.width as usize,
        )),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(Block::new().borders(Borders::BOTTOM)),
        figs,
    );

    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(panes);
    let focus = |p: DetailPane| {
        if app.detail.pane == p {
            theme.title()
        } else {
            theme.dim()
        }
    };
    let sources = app.detail_sources();
    // Inside the borders, after the highlight symbol: a cut id ends with `…`.
    let room = usize::from(left.width.saturating_sub(3));
    let src_items: Vec<ListItem> = sources
        .iter()
        .map(|(side, table, id)| ListItem::new(fit(&format!("{side:<8} {table} {}", inert(id)), room)))
        .collect();
    let mut st = ListState::default();
    if !sources.is_empty() {
        st.select(Some(app.detail.source.min(sources.len() - 1)));
    }
    let src_block = Block::bordered().title(Span::styled(
        format!(
            "Source rows {}/{} · Enter opens lane",
            (app.detail.source + 1).min(sources.len()),
            sources.len()
        ),
        focus(DetailPane::Sources),
    ));
    if sources.is_empty() {
        frame.render_widget(Paragraph::new("no source rows recorded").block(src_block), left);
    } else {
        let list = List::new(src_items)
            .block(src_block)
            .highlight_style(if app.detail.pane == DetailPane::Sources {
                theme.selected()
            } else {
                theme.base()
            })
            .highlight_symbol("›");
        frame.render_stateful_widget(list, left, &mut st);
    }

    let counts = match (item.notes, item.pending_corrections) {
        (n, 0) => format!("Trail · {n}"),
        (n, p) => format!("Trail · {n}, {p} awaiting decision"),
    };
    let trail_block = Block::bordered().title(Span::styled(counts, focus(DetailPane::Trail)));
    let trail = match &app.detail.trail {
        None => Paragraph::new("loading…"),
        Some(rows) if rows.is_empty() => Paragraph::new("No notes, corrections or waivers yet."),
        Some(rows) => Paragraph::new(trail_lines(rows, theme)).wrap(Wrap { trim: false }),
    };
    // Scrolled by lines as drawn (an entry wraps over several), so its end can be reached and
    // no scroll goes past it (after a resize too).
    let inner = trail_block.inner(right);
    let d = &mut app.detail;
    d.trail_page = usize::from(inner.height).saturating_sub(1).max(1);
    d.sources_page = usize::from(left.height.saturating_sub(2))
        .saturating_sub(1)
        .max(1);
    d.trail_max = trail
        .line_count(inner.width)
        .saturating_sub(usize::from(inner.height));
    d.trail_scroll = d.trail_scroll.min(d.trail_max);
    let trail = trail.scroll((u16::try_from(d.trail_scroll).unwrap_or(u16::MAX), 0));
    frame.render_widget(trail.block(trail_block), right);

    frame.render_widget(Paragraph::new(action_lines), actions);
}

/// The detail's actions line: what this user may do, and why not when not.
fn action_lines(app: &App, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let keys = bindings();
    let mut spans = vec![Span::raw("Actions: ")];
    let mut reasons = Vec::new();
    for (action, label) in [
        (Action::Note, "note"),
        (Action::Correction, "correction"),
        (Action::Waive, "waive"),
        (Action::Accept, "accept"),
        (Action::Reject, "send back"),
        (Action::Assign, "owner"),
    ] {
        let key = binding_of(&keys, &action).shown;
        match app.allowed(&action) {
            Ok(()) => {
                spans.push(Span::styled(key, theme.key()));
                spans.push(Span::raw(format!(" {label}  ")));
            }
            Err(why) => {
                spans.push(Span::styled(format!("{key} {label}"), theme.disabled()));
                spans.push(Span::raw("  "));
                if !reasons.contains(&why) {
                    reasons.push(why);
                }
            }
        }
    }
    // Reversing is offered only to whom it is open (a reviewer or lead, the period open):
    // at the end of the line when it fits, else on the next one.
    let mut lines = vec![];
    if app.allowed(&Action::Reverse).is_ok() {
        let reverse = binding_of(&keys, &Action::Reverse);
        let reverse = [
            Span::styled(reverse.shown, theme.key()),
            Span::raw(format!(" {}", reverse.label)),
        ];
        let used: usize = spans.iter().chain(&reverse).map(|s| s.width()).sum();
        if used <= width as usize {
            spans.extend(reverse);
            lines.push(Line::from(spans));
        } else {
            lines.push(Line::from(spans));
            lines.push(Line::from(reverse.to_vec()));
        }
    } else {
        lines.push(Line::from(spans));
    }
    if !reasons.is_empty() {
        lines.push(Line::from(Span::styled(
            fit(&format!("disabled: {}", reasons.join("; ")), width as usize),
            theme.dim(),
        )));
    }
    lines
}
