//! The views, one file each holding the view's state, update, key bindings and draw; this
//! module draws the frame around them (tabs, footer, status line, popups). Every string
//! from data or users passes through [`inert`](crate::text::inert) before it reaches a
//! widget; no view reads the database or decides a workflow rule.

pub mod audit;
pub mod charts;
pub mod checklist;
pub mod editor;
pub mod evidence;
pub mod help;
pub mod lanes;
pub mod mismatch_detail;
pub mod mismatches;
pub mod overview;
pub mod signoff;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::app::{App, View};
use super::keymap;
use super::theme::Theme;
use crate::money::Money;
use crate::text::inert;
use editor::Discard;

/// The smallest terminal the cockpit draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Variances added up, in words: signed (`-9.75`, `+4.52`, `0.00`) when they share one
/// sign — `net`, their total, is then as large as `abs`, the sum of their sizes —, else
/// that sum of sizes written `|14.27|`, which reads as no variance of its own.
pub fn variance_total(net: Money, abs: Money) -> String {
    if net.abs() == abs {
        signed(net)
    } else {
        format!("|{}|", abs.grouped())
    }
}

/// An amount with an explicit sign for variances: `+4.52`, `-9.75`, `0.00`.
pub fn signed(m: Money) -> String {
    if m.is_negative() || m.is_zero() {
        m.grouped()
    } else {
        format!("+{}", m.grouped())
    }
}

/// The first row on screen: of `len` rows shown `height` at a time, the window that keeps
/// row `selected` in view, moved from `offset` as little as possible (as the table widget
/// would move it).
pub fn scrolled(offset: usize, selected: usize, height: usize, len: usize) -> usize {
    let offset = offset.min(len.saturating_sub(height));
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}

/// Cuts `s` to `width` characters, ending with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        s.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

/// The width ratatui's `Table` gives each of `widths` across `width` cells (columns one
/// apart, `Flex::Start`), after `selection` cells for the highlight symbol: what a cell's
/// text is [`fit`] to, since a `Table` cuts it without a mark.
pub fn column_widths(width: u16, widths: &[Constraint], selection: u16) -> Vec<usize> {
    let [_, columns] = Layout::horizontal([Constraint::Length(selection), Constraint::Fill(0)])
        .areas(Rect::new(0, 0, width, 1));
    Layout::horizontal(widths.iter().copied())
        .flex(ratatui::layout::Flex::Start)
        .spacing(1)
        .split(columns)
        .iter()
        .map(|r| usize::from(r.width))
        .collect()
}

/// Draws the whole cockpit into the frame.
pub fn draw(frame: &mut Frame, app: &mut App, theme: &Theme) {
    let area = frame.area();
    app.sized(area.width, area.height);
    if app.too_small {
        let mut msg = format!(
            "terminal too small: need {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{}",
            area.width, area.height
        );
        if let Some(ed) = app.editor.as_ref().filter(|ed| !ed.is_empty()) {
            msg.push_str(if ed.discard == Some(Discard::DraftAndQuit) {
                " — your draft is not saved: q again discards it and quits; enlarge the terminal to keep it"
            } else {
                " — a draft is open: enlarge the terminal to keep editing"
            });
        }
        frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    app.sync_searches();
    let read_only = app.data.as_ref().is_some_and(|d| d.actor.is_read_only());
    let [tabs, banner, body, footer, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(read_only)),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    app.page_rows = body.height.saturating_sub(4).max(1) as usize;
    draw_tabs(frame, tabs, app, theme);
    if read_only {
        if let Some(banner_text) = app.read_only_banner() {
            let full = format!(" {banner_text}");
            let w = banner.width as usize;
            // Cut, it says `!` shows it whole (the roster's logins run long).
            let msg = if full.chars().count() <= w {
                full
            } else {
                const MORE: &str = " · ! full";
                format!("{}{MORE}", fit(&full, w.saturating_sub(MORE.chars().count())))
            };
            frame.render_widget(Paragraph::new(msg).style(theme.banner()), banner);
        }
    }
    match (&app.data, &app.error) {
        (None, Some(e)) => {
            let p =
                Paragraph::new(format!("cannot show this period: {}", inert(e))).wrap(Wrap { trim: true });
            frame.render_widget(p, body);
        }
        (None, None) => frame.render_widget(Paragraph::new("loading the period…"), body),
        (Some(_), _) => match app.view {
            View::Overview => overview::draw(frame, body, app, theme),
            View::Mismatches => mismatches::draw(frame, body, app, theme),
            View::Detail => mismatch_detail::draw(frame, body, app, theme),
            View::Checklist => checklist::draw(frame, body, app, theme),
            View::Lanes => lanes::draw(frame, body, app, theme),
            View::Audit => audit::draw(frame, body, app, theme),
            View::SignOff => signoff::draw(frame, body, app, theme),
            View::Charts => charts::draw(frame, body, app, theme),
            View::Evidence => evidence::draw(frame, body, app, theme),
        },
    }
    // A refusal is shown whole, over the bottom of the body, until the next key.
    if let Some((false, msg)) = &app.flash {
        let text = inert(msg);
        let inner_w = body.width.saturating_sub(2).max(1) as usize;
        // One spare line: words wrap before the edge.
        let lines = (text.chars().count().div_ceil(inner_w) + 1).clamp(1, 5) as u16;
        let h = (lines + 2).min(body.height);
        let r = Rect {
            x: body.x,
            y: body.y + body.height - h,
            width: body.width,
            height: h,
        };
        frame.render_widget(Clear, r);
        message_box(frame, r, text, theme.bad(), " Not done — any key continues ");
    }
    draw_footer(frame, footer, app, theme);
    draw_status(frame, status, app, theme);
    if app.help {
        help::draw(frame, area, app, theme);
    }
    if app.message_open {
        draw_full_message(frame, area, app, theme);
    }
    if app.editor.is_some() {
        editor::draw(frame, area, app, theme);
    }
}

fn draw_tabs(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    // The tabs' keys are 1 to 6, in the tab bar's order (see `keymap::global`).
    for (key, view) in (1..).zip(View::TABS) {
        let active = app.view.tab() == view;
        let text = format!(" {key} {}", view.title());
        spans.push(Span::styled(
            text,
            if active { theme.active() } else { theme.base() },
        ));
    }
    if let Some(d) = &app.data {
        let status = d.summary.status_words();
        // A lock lifted outside closedesk outranks the figures: "clean" would say all is well.
        let (right, style) = match (&d.lock_lifted, &d.changed_outside) {
            (Some(_), _) => (" LOCK LIFTED ".to_string(), theme.bad()),
            (None, Some(_)) => (" CHANGED OUTSIDE ".to_string(), theme.bad()),
            (None, None) => (format!(" {} ", status.to_uppercase()), theme.status(status)),
        };
        let used: usize = spans.iter().map(|s| s.width()).sum();
        let pad = (area.width as usize).saturating_sub(used + right.chars().count());
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(right, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The footer: this view's main keys that this user may use (`?` lists the rest with why
/// not), or the keys of the prompt or editor that is open.
fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = vec![];
    let (hint, view_keys): (_, Vec<(&str, &str)>) = if let Some(ed) = &app.editor {
        if ed.choose_move {
            // A checklist note being saved: alone, or with a move of its item.
            (
                None,
                vec![
                    ("Enter", "save as a note only"),
                    ("i/d/b/u", "save with a move"),
                    ("other key", "keep editing"),
                ],
            )
        } else {
            (None, vec![("Ctrl-S", ed.purpose.save_word()), ("Esc", "cancel")])
        }
    } else if app.mismatches.typing && app.view == View::Mismatches {
        (
            Some(format!("filter: {}▏", inert(&app.mismatches.filter))),
            vec![("Enter", "keep"), ("Esc", "clear")],
        )
    } else if app.detail.choosing.is_some() && app.view == View::Detail {
        (
            None,
            vec![("j/k", "choose"), ("Enter", "confirm"), ("Esc", "cancel")],
        )
    } else if app.lanes.tied.is_some() && app.view == View::Lanes {
        (
            None,
            vec![
                ("j/k", "move"),
                ("Enter", "open in its lane"),
                ("Esc", "close"),
                ("?", "help"),
                ("q/^C", "quit"),
            ],
        )
    } else if app.signoff.typing.is_some() && app.view == View::SignOff {
        (None, vec![("Enter", "confirm"), ("Esc", "cancel")])
    } else if app.search_typing() {
        (app.search_status(), vec![("Enter", "find"), ("Esc", "cancel")])
    } else if app.search_active() {
        (
            app.search_status(),
            vec![
                ("n", "next hit"),
                ("N", "previous"),
                ("/", "new search"),
                ("Esc", "clear search"),
            ],
        )
    } else {
        let keys = keymap::bindings(app.view)
            .into_iter()
            .filter(|b| b.footer && app.allowed(&b.action).is_ok())
            .map(|b| (b.shown, b.label))
            .collect();
        (None, keys)
    };
    let mut view_keys = view_keys;
    // Whole entries or none: when they do not all fit, the view's last keys give way (`?`
    // lists them), never the help and quit keys at the end.
    let width = |keys: &[(&str, &str)]| -> usize {
        hint.as_ref().map_or(0, |h| h.chars().count() + 2)
            + keys
                .iter()
                .map(|(k, l)| k.chars().count() + l.chars().count() + 3)
                .sum::<usize>()
    };
    while width(&view_keys) > usize::from(area.width) + 2 && view_keys.len() > 2 {
        view_keys.remove(view_keys.len() - 3);
    }
    if let Some(h) = hint {
        spans.push(Span::styled(h, theme.warn()));
        spans.push(Span::raw("  "));
    }
    for (key, label) in view_keys {
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::styled(format!(" {label}  "), theme.base()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The status bar: user and role, the file, freshness, or the last message.
fn draw_status(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // A stopped worker outranks every other message: nothing more is read or saved.
    let line = if let Some(msg) = app.stopped.as_ref().or(match &app.flash {
        Some((true, msg)) => Some(msg),
        _ => None,
    }) {
        Line::from(Span::styled(
            status_text(&inert(msg), area.width as usize),
            theme.bar(),
        ))
    } else if let Some(d) = &app.data {
        let role = match d.actor.role {
            Some(r) => r.as_str().to_string(),
            None => "read-only".to_string(),
        };
        let fresh = match &app.updated_at {
            _ if d.recomputing => " · recomputing…".to_string(),
            Some(t) => format!(" · live {t}"),
            None => String::new(),
        };
        let left = format!(" {} ({role}) · ", inert(&d.actor.login));
        let path = crate::text::inert_path(&d.path);
        let room = (area.width as usize).saturating_sub(left.chars().count() + fresh.chars().count() + 1);
        // Keep the end of the path: the file name matters most.
        let n = path.chars().count();
        let path = if n > room && room > 1 {
            format!("…{}", path.chars().skip(n - room + 1).collect::<String>())
        } else {
            path
        };
        Line::from(Span::styled(
            format!("{left}{path}{fresh}{}", " ".repeat(area.width as usize)),
            theme.bar(),
        ))
    } else {
        Line::from(Span::styled(
            " loading…".to_string() + &" ".repeat(area.width as usize),
            theme.bar(),
        ))
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// What `!` adds to a status message that does not fit.
pub const CUT_HINT: &str = " · ! full message";

/// A status-bar message in `width` columns: padded when it fits; cut with `…` and ending
/// with [`CUT_HINT`] when it does not.
pub fn status_text(msg: &str, width: usize) -> String {
    let text = format!(" {msg}");
    let n = text.chars().count();
    if n <= width {
        format!("{text}{}", " ".repeat(width - n))
    } else {
        let room = width.saturating_sub(CUT_HINT.chars().count());
        fit(&format!("{}{CUT_HINT}", fit(&text, room)), width)
    }
}

/// `!`: the last message whole, wrapped, over the body; any key closes it.
fn draw_full_message(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // Inert already (`App::full_text`).
    let text = app.full_text().unwrap_or_default();
    let w = area.width.saturating_sub(4).min(76);
    let inner_w = w.saturating_sub(2).max(1) as usize;
    // Each line wraps at words: a spare line per line for that.
    let lines: usize = text
        .lines()
        .map(|l| l.chars().count().div_ceil(inner_w).max(1) + 1)
        .sum();
    let h = (lines as u16 + 2).min(area.height.saturating_sub(2));
    let r = popup(frame, area, w, h);
    message_box(frame, r, text, theme.base(), " Message — any key closes ");
}

/// `text` (inert) wrapped at words in a box titled `title` filling `r` (cleared).
fn message_box(frame: &mut Frame, r: Rect, text: String, style: ratatui::style::Style, title: &str) {
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .style(style)
            .block(ratatui::widgets::Block::bordered().title(title)),
        r,
    );
}

/// A rectangle of `w`x`h` centred in `area` (clamped to it), cleared.
pub fn popup(frame: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, r);
    r
}
