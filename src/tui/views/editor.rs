//! The multi-line editor for notes, corrections and reasons: its draft, its keys and its
//! drawing. A save goes out as a request; the draft stays until the write is confirmed.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;
use ratatui_textarea::TextArea;

use super::{fit, popup};
use crate::money::Money;
use crate::snapshot::model::{Side, TargetKind};
use crate::text::inert;
use crate::tui::action::Action;
use crate::tui::app::{App, SAVING};
use crate::tui::data::{Request, WriteOp};
use crate::tui::theme::Theme;

/// What a draft in the editor is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A note on a mismatch.
    Note {
        key: String,
    },
    /// A note on a checklist item, saved with a move of the item.
    ChecklistNote {
        item: u32,
    },
    Correction {
        key: String,
    },
    Waiver {
        key: String,
    },
    /// Sending back waiting correction `id` of `key`, with why.
    Rejection {
        key: String,
        id: i64,
    },
    /// The mismatch's owner (one line).
    Assign {
        key: String,
    },
    Reopen,
    /// The confirmation of accepting correction `id`, chosen with `a`: an optional note.
    Accept {
        key: String,
        id: i64,
    },
    /// Reversing accepted correction `id`, chosen with `u`: the reason.
    Reversal {
        key: String,
        id: i64,
    },
    /// The sign-off, once the period id was typed: an optional comment.
    SignOffComment {
        typed: String,
    },
}

impl Purpose {
    pub fn title(&self) -> String {
        match self {
            Purpose::ChecklistNote { item } => format!("Note on checklist item {item}"),
            Purpose::Note { key } => format!("Note on {}", inert(key)),
            Purpose::Correction { key } => format!("Correction to {}", inert(key)),
            Purpose::Waiver { key } => format!("Waive {} — reason", inert(key)),
            Purpose::Rejection { key, id } => format!("Send back correction #{id} on {} — why", inert(key)),
            Purpose::Assign { key } => format!("Assign {} to — owner", inert(key)),
            Purpose::Reopen => "Reopen the period — reason".to_string(),
            Purpose::Accept { key, id } => format!("Accept #{id} on {}", inert(key)),
            Purpose::Reversal { key, id } => format!("Reverse #{id} on {}", inert(key)),
            Purpose::SignOffComment { typed } => format!("Sign off {} — comment", inert(typed)),
        }
    }

    /// What the draft is for, in words, for a message outside the cockpit: `a note on
    /// checklist item 3`.
    pub fn words(&self) -> String {
        match self {
            Purpose::ChecklistNote { item } => format!("a note on checklist item {item}"),
            Purpose::Note { key } => format!("a note on {}", inert(key)),
            Purpose::Correction { key } => format!("a correction to {}", inert(key)),
            Purpose::Waiver { key } => format!("the reason to waive {}", inert(key)),
            Purpose::Rejection { key, id } => format!("why correction #{id} on {} is sent back", inert(key)),
            Purpose::Assign { key } => format!("the owner of {}", inert(key)),
            Purpose::Reopen => "the reason to reopen the period".to_string(),
            Purpose::Accept { key, id } => format!("the note accepting #{id} on {}", inert(key)),
            Purpose::Reversal { key, id } => format!("the reason to reverse #{id} on {}", inert(key)),
            Purpose::SignOffComment { typed } => format!("the comment signing off {}", inert(typed)),
        }
    }

    /// What Ctrl-S does, in a word: "save", "accept", "reverse", "sign".
    pub fn save_word(&self) -> &'static str {
        match self {
            Purpose::Accept { .. } => "accept",
            Purpose::Reversal { .. } => "reverse",
            Purpose::SignOffComment { .. } => "sign",
            _ => "save",
        }
    }

    /// Whether the text may be left empty: an acceptance's note, a sign-off's comment.
    pub fn optional(&self) -> bool {
        matches!(self, Purpose::Accept { .. } | Purpose::SignOffComment { .. })
    }
}

/// The question asked before a draft is lost: `y` discards it, any other key keeps editing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discard {
    /// Esc on a draft.
    Draft,
    /// Ctrl-C on a draft: quit after discarding.
    DraftAndQuit,
}

/// The multi-line editor for notes, corrections and reasons.
pub struct Editor {
    pub purpose: Purpose,
    pub area: TextArea<'static>,
    pub discard: Option<Discard>,
    /// A checklist note is saved with a move: waiting for the move's key.
    pub choose_move: bool,
    pub error: Option<String>,
    /// The version of the mismatch or item when the editor opened: what the user decided
    /// on. A change made since is refused as a conflict when the draft is saved.
    pub seen: Option<i64>,
    /// What is being decided, shown above the text: the chosen correction and the variance
    /// before → after.
    pub context: Option<String>,
    /// What to write, shown (dim, under the cursor's line) while the draft is empty.
    pub example: Option<&'static str>,
    /// A save was refused as a conflict: on the next load, `seen` becomes the reloaded
    /// version (the draft stays), so Ctrl-S retries against what is stored now.
    pub reload: bool,
    /// Confirming a chosen correction after a conflict: its mismatch's trail is being read
    /// again, and until it is, the figures shown are not the stored ones: Ctrl-S waits.
    pub rereading: bool,
    /// The chosen correction is no longer there to decide on (why): Ctrl-S sends nothing.
    pub gone: Option<String>,
}

impl Editor {
    pub(crate) fn new(purpose: Purpose) -> Editor {
        let example = match purpose {
            Purpose::Correction { .. } => Some(
                "first line: the amount and the figure it adds to, e.g. 9.75 actual\n\
                 (9.75 actual adds 9.75 to actual, so variance = actual − expected\n\
                 rises by 9.75; 9.75 expected lowers it by 9.75);\n\
                 then, on the next lines, why;\n\
                 and, if you like, a line with its reference: ref: JE-1042",
            ),
            Purpose::Accept { .. } => Some(
                "a note for the trail, if you like (e.g. ties to JE-1042);\n\
                 Ctrl-S accepts with or without one, Esc cancels",
            ),
            Purpose::Reversal { .. } => Some(
                "why it is reversed: at least 20 characters, for the trail\n\
                 (e.g. CR-0010 was netted twice; the GL line is right)",
            ),
            Purpose::SignOffComment { .. } => Some(
                "a comment kept with the sign-off, if you like\n\
                 (e.g. March close, reviewed with the GL team);\n\
                 Ctrl-S signs with or without one, Esc cancels",
            ),
            _ => None,
        };
        Editor {
            purpose,
            area: TextArea::default(),
            example,
            discard: None,
            choose_move: false,
            error: None,
            seen: None,
            context: None,
            reload: false,
            rereading: false,
            gone: None,
        }
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        crate::text::visible_len(&self.text()) == 0
    }

    /// Sends `op`. The draft stays open ("saving…") until the write is confirmed, so a
    /// refusal loses nothing; with the worker stopped (`stopped`: why) nothing is sent.
    fn send(&mut self, stopped: Option<&String>, op: WriteOp) -> Vec<Request> {
        if let Some(why) = stopped {
            self.error = Some(format!("not saved: {why}"));
            return Vec::new();
        }
        self.error = Some(SAVING.to_string());
        vec![Request::Write(op)]
    }
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor")
            .field("purpose", &self.purpose)
            .field("text", &self.text())
            .field("discard", &self.discard)
            .finish()
    }
}

/// A correction as typed in the editor: `AMOUNT SIDE` on the first line, the reason on the
/// next ones, and optionally a line `ref: REFERENCE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Typed {
    pub amount: Money,
    pub side: Side,
    pub reason: String,
    pub reference: Option<String>,
}

/// The reference of a line `ref: JE-1042` (any case, the rest trimmed).
fn reference_of(line: &str) -> Option<&str> {
    let line = line.trim();
    let head = line.get(..4)?;
    head.eq_ignore_ascii_case("ref:").then(|| line[4..].trim())
}

/// Parses a correction: `AMOUNT SIDE`, then why, and an optional `ref: …` line.
pub fn parse_correction(text: &str) -> Result<Typed, String> {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").trim();
    let mut words = first.split_whitespace();
    let amount = words
        .next()
        .ok_or("first line: the amount and the side, e.g. -9.75 actual")?;
    let amount = Money::parse(amount).map_err(|e| format!("amount {}: {e}", inert(amount)))?;
    let side = words
        .next()
        .and_then(Side::parse)
        .ok_or("the side after the amount must be expected or actual")?;
    let mut reference = None;
    let mut why = Vec::new();
    for line in lines {
        match reference_of(line) {
            Some("") => return Err("ref: needs the reference after it, e.g. ref: JE-1042".to_string()),
            Some(r) if reference.is_none() => reference = Some(r.to_string()),
            Some(_) => return Err("one ref: line per correction".to_string()),
            None => why.push(line),
        }
    }
    let why = why.join("\n").trim().to_string();
    if why.is_empty() {
        return Err("say why on the lines after the amount".to_string());
    }
    Ok(Typed {
        amount,
        side,
        reason: why,
        reference,
    })
}

impl App {
    pub(crate) fn editor_key(&mut self, key: KeyEvent) -> Vec<Request> {
        let Some(ed) = self.editor.as_mut() else {
            return Vec::new();
        };
        if let Some(discard) = ed.discard {
            match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    self.quit = discard == Discard::DraftAndQuit;
                    self.editor = None;
                }
                _ => ed.discard = None,
            }
            return Vec::new();
        }
        if ed.choose_move {
            ed.choose_move = false;
            // The checklist's own keys for its moves.
            let status = super::checklist::bindings()
                .into_iter()
                .find(|b| b.keys.iter().any(|k| k.matches(&key)))
                .and_then(|b| match b.action {
                    Action::SetChecklist(status) => Some(status),
                    _ => None,
                });
            let Purpose::ChecklistNote { item } = ed.purpose else {
                return Vec::new();
            };
            if key.code == KeyCode::Enter {
                let op = WriteOp::Note {
                    kind: TargetKind::Checklist,
                    target: item.to_string(),
                    text: ed.text().trim_end().to_string(),
                };
                return ed.send(self.stopped.as_ref(), op);
            }
            let Some(status) = status else {
                ed.error = None;
                return Vec::new();
            };
            let op = WriteOp::Checklist {
                item,
                status,
                note: Some(ed.text().trim_end().to_string()),
                seen: ed.seen,
            };
            return ed.send(self.stopped.as_ref(), op);
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                if ed.is_empty() {
                    self.editor = None;
                } else {
                    ed.discard = Some(Discard::Draft);
                }
                Vec::new()
            }
            KeyCode::Char('s') if ctrl => self.save_editor(),
            _ => {
                ed.error = None;
                ed.area.input(key);
                Vec::new()
            }
        }
    }

    /// Pasted text into the editor (see [`App::on_paste`]); ignored while it asks a question.
    pub(crate) fn editor_paste(&mut self, text: &str) -> Vec<Request> {
        let Some(ed) = self.editor.as_mut() else {
            return Vec::new();
        };
        if ed.discard.is_some() || ed.choose_move {
            return Vec::new();
        }
        ed.error = None;
        ed.area.insert_str(crate::tui::app::pasted(text));
        Vec::new()
    }

    pub(crate) fn save_editor(&mut self) -> Vec<Request> {
        let Some(ed) = self.editor.as_mut() else {
            return Vec::new();
        };
        if ed.is_empty() && !ed.purpose.optional() {
            ed.error = Some("nothing written yet".to_string());
            return Vec::new();
        }
        // A chosen correction is decided on the figures shown: not while they are read again
        // after a conflict, nor once it is no longer there to decide on.
        if super::mismatch_detail::chosen(&ed.purpose).is_some() {
            if ed.rereading {
                ed.error = Some(
                    "reading the mismatch again after the conflict — Ctrl-S once its figures show"
                        .to_string(),
                );
                return Vec::new();
            }
            if let Some(why) = &ed.gone {
                let done = match ed.purpose {
                    Purpose::Accept { .. } => "accepted",
                    Purpose::Reversal { .. } => "reversed",
                    _ => "sent back",
                };
                ed.error = Some(format!("{why}: nothing was {done} — Esc closes this"));
                return Vec::new();
            }
        }
        let text = ed.text().trim_end().to_string();
        let optional = (!ed.is_empty()).then(|| text.clone());
        let op = match &ed.purpose {
            Purpose::Note { key } => WriteOp::Note {
                kind: TargetKind::Mismatch,
                target: key.clone(),
                text,
            },
            Purpose::ChecklistNote { item } => {
                // Signed off while the note was written: nothing can be saved, so no move is
                // offered; the text stays for after a reopen.
                let locked = self.data.as_ref().and_then(|d| {
                    crate::workflow::Permission::AddNote
                        .admitted(d.period_status, d.lock_lifted.is_some())
                        .err()
                });
                if let Some(why) = locked {
                    ed.error = Some(format!("{why}: nothing was saved; your note is kept here"));
                    return Vec::new();
                }
                // Saved alone (Enter: the item keeps its status and who moved it) or with a
                // move of the item.
                ed.error = Some(format!(
                    "save: Enter as a note only · with a move of item {item}: i in progress · d done · b blocked · u pending · other key: keep editing"
                ));
                ed.choose_move = true;
                return Vec::new();
            }
            Purpose::Rejection { key, id } => WriteOp::Reject {
                key: key.clone(),
                id: *id,
                reason: text,
                seen: ed.seen,
            },
            Purpose::Waiver { key } => WriteOp::Waive {
                key: key.clone(),
                reason: text,
                seen: ed.seen,
            },
            Purpose::Reopen => WriteOp::Reopen { reason: text },
            Purpose::Assign { key } => WriteOp::Assign {
                key: key.clone(),
                owner: text.trim().to_string(),
                seen: ed.seen,
            },
            Purpose::Accept { key, id } => WriteOp::Accept {
                key: key.clone(),
                id: Some(*id),
                note: optional,
                seen: ed.seen,
            },
            Purpose::Reversal { key, id } => WriteOp::Reverse {
                key: key.clone(),
                id: *id,
                reason: text,
                seen: ed.seen,
            },
            Purpose::SignOffComment { typed } => WriteOp::SignOff {
                typed: typed.clone(),
                comment: optional,
            },
            Purpose::Correction { key } => match parse_correction(&text) {
                Ok(typed) => WriteOp::Correction {
                    key: key.clone(),
                    amount: typed.amount,
                    side: typed.side,
                    text: typed.reason,
                    reference: typed.reference,
                    seen: ed.seen,
                },
                Err(e) => {
                    ed.error = Some(e);
                    return Vec::new();
                }
            },
        };
        ed.send(self.stopped.as_ref(), op)
    }

    /// After a conflict (see [`Editor::reload`]), once the period is loaded again: the draft
    /// is now decided on the reloaded version of its mismatch or item, and says so.
    pub(crate) fn rebase_editor(&mut self) {
        let version = match self.editor.as_ref().filter(|ed| ed.reload).map(|ed| &ed.purpose) {
            Some(
                Purpose::Correction { key }
                | Purpose::Waiver { key }
                | Purpose::Rejection { key, .. }
                | Purpose::Assign { key }
                | Purpose::Note { key },
            ) => self.data.as_ref().and_then(|d| d.item(key)).map(|i| i.version),
            Some(Purpose::Accept { key, .. } | Purpose::Reversal { key, .. }) => {
                self.data.as_ref().and_then(|d| d.item(key)).map(|i| i.version)
            }
            Some(Purpose::ChecklistNote { item }) => self.item_version(*item),
            Some(Purpose::Reopen | Purpose::SignOffComment { .. }) | None => None,
        };
        let Some(ed) = self.editor.as_mut().filter(|ed| ed.reload) else {
            return;
        };
        ed.reload = false;
        let was = ed.seen;
        if version.is_some() {
            ed.seen = version;
        }
        // Who changed it and when, from the refusal ("… changed by jokafor at …").
        let by = ed
            .error
            .as_deref()
            .and_then(|e| e.split_once("changed by "))
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(who, _)| format!(" by {who}"))
            .unwrap_or_default();
        // Or that nobody ever changed it (a file replaced under the cockpit): not "changed".
        let never = ed
            .error
            .as_deref()
            .is_some_and(|e| e.contains(", never changed)"));
        // A chosen correction is decided on the figures above, shown again from the reload.
        let retry = match ed.purpose {
            Purpose::Accept { .. } => "Ctrl-S accepts it at the figures shown",
            Purpose::Reversal { .. } => "Ctrl-S reverses it at the figures shown",
            _ => "Ctrl-S saves your draft",
        };
        ed.error = Some(match (was, version) {
            (Some(was), Some(now)) if never => {
                format!(
                    "not at the version you read (version {was} → {now}, never changed); reloaded — {retry}"
                )
            }
            _ if never => {
                format!("not at the version you read (never changed); reloaded after a conflict — {retry}")
            }
            (Some(was), Some(now)) => format!("changed{by} (version {was} → {now}); reloaded — {retry}"),
            _ => format!("changed{by}; reloaded after a conflict — {retry}"),
        });
    }

    /// Opens the editor for a change decided on the state at `seen`.
    pub(crate) fn open_editor(&mut self, purpose: Purpose, seen: Option<i64>) {
        let mut editor = Editor::new(purpose);
        editor.seen = seen;
        self.editor = Some(editor);
    }

    /// [`open_editor`](Self::open_editor), showing `context` above the text.
    pub(crate) fn open_editor_on(&mut self, purpose: Purpose, seen: Option<i64>, context: String) {
        self.open_editor(purpose, seen);
        if let Some(ed) = self.editor.as_mut() {
            ed.context = Some(context);
        }
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    // The variance a correction starts from (after corrections already accepted).
    let before = match app.editor.as_ref().map(|e| &e.purpose) {
        Some(Purpose::Correction { key }) => {
            app.data.as_ref().and_then(|d| d.item(key)).map(|i| i.corrected.2)
        }
        _ => None,
    };
    let Some(ed) = app.editor.as_mut() else { return };
    // A refusal is shown whole, wrapped, line by line (the sign-off's lists every
    // precondition): the box grows for it, up to the whole body, keeping two rows of the
    // draft in view.
    let width = usize::from(area.width.min(76).saturating_sub(2).max(1));
    let error_rows = match (&ed.error, ed.discard) {
        (Some(e), None) => e
            .lines()
            .map(|l| l.chars().count().div_ceil(width).max(1))
            .sum::<usize>(),
        _ => 1,
    };
    // Words wrap, not characters: a row more for every three lines of it.
    let error_rows = error_rows + error_rows / 3;
    let extra = u16::try_from(error_rows - 1).unwrap_or(u16::MAX);
    let r = popup(frame, area, 76, 14u16.saturating_add(extra));
    let title = format!(
        " {} — Ctrl-S {} · Esc cancel ",
        fit(&ed.purpose.title(), 44),
        ed.purpose.save_word()
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let context_rows = u16::from(ed.context.is_some()) * 2;
    let room = inner.height.saturating_sub(context_rows + 2).max(1);
    let msg_rows = u16::try_from(error_rows).unwrap_or(u16::MAX).clamp(1, room);
    let [context, text, msg] = Layout::vertical([
        Constraint::Length(context_rows),
        Constraint::Min(1),
        Constraint::Length(msg_rows),
    ])
    .areas(inner);
    if let Some(c) = &ed.context {
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(
                fit(&inert(c), inner.width as usize),
                theme.title(),
            ))),
            context,
        );
    }
    ed.area.set_cursor_line_style(theme.base());
    frame.render_widget(&ed.area, text);
    if let (Some(example), true) = (ed.example, ed.is_empty()) {
        let below = Rect {
            y: text.y + 1,
            height: text.height.saturating_sub(1),
            ..text
        };
        let lines: Vec<Line> = example
            .lines()
            .map(|l| Line::from(Span::styled(l, theme.dim())))
            .collect();
        frame.render_widget(Paragraph::new(lines), below);
    }
    let line = if ed.discard == Some(Discard::DraftAndQuit) {
        Line::from(Span::styled(
            "Discard this draft and quit? y quits · any other key keeps editing",
            theme.banner(),
        ))
    } else if ed.discard == Some(Discard::Draft) {
        Line::from(Span::styled(
            "Discard this draft? y discards · any other key keeps editing",
            theme.banner(),
        ))
    } else if let Some(e) = &ed.error {
        // Made inert line by line where it was set; each line stays a line.
        let lines: Vec<Line> = e
            .lines()
            .map(|l| Line::from(Span::styled(inert(l), theme.warn())))
            .collect();
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), msg);
        return;
    } else if let Purpose::Correction { .. } = &ed.purpose {
        // As you type: what the amount does, and the variance it leaves.
        let text = ed.area.lines().join("\n");
        let first = text.lines().next().unwrap_or("").trim().to_string();
        let mut words = first.split_whitespace();
        let amount = words.next().and_then(|a| Money::parse(a).ok());
        let side = words.next().and_then(Side::parse);
        let preview = match (amount, side, before) {
            (Some(m), Some(Side::Actual), Some(v)) => format!(
                "adds {} to actual → variance {} → {}",
                m.grouped(),
                v.grouped(),
                (v + m).grouped()
            ),
            (Some(m), Some(Side::Expected), Some(v)) => format!(
                "adds {} to expected → variance {} → {}",
                m.grouped(),
                v.grouped(),
                (v - m).grouped()
            ),
            (Some(_), _, _) => "after the amount: actual or expected".to_string(),
            _ => "first line: amount and side, e.g. 9.75 actual".to_string(),
        };
        Line::from(Span::styled(fit(&preview, inner.width as usize), theme.title()))
    } else {
        Line::from(Span::styled(
            match ed.area.lines().len() {
                _ if ed.is_empty() => "empty".to_string(),
                1 => "1 line".to_string(),
                n => format!("{n} lines"),
            },
            theme.dim(),
        ))
    };
    frame.render_widget(Paragraph::new(line), msg);
}
