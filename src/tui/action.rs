//! What a key asks for: the [`View`]s, the [`Action`]s and the [`Binding`] of a key to an
//! action. Shared by the app, the keymap and every view; it depends on nothing of theirs.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::snapshot::model::ItemStatus;
use crate::workflow::Permission;

/// The views, one key each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    Overview,
    Mismatches,
    Detail,
    Checklist,
    Lanes,
    Audit,
    SignOff,
    Charts,
    Evidence,
}

impl View {
    /// The views of the tab bar, in its order: what Tab and Shift-Tab step through.
    pub const TABS: [View; 6] = [
        View::Overview,
        View::Mismatches,
        View::Checklist,
        View::Lanes,
        View::Audit,
        View::SignOff,
    ];

    /// The tab a view is under (a mismatch's detail and evidence under Mismatches, the
    /// charts under Overview).
    pub fn tab(self) -> View {
        match self {
            View::Detail | View::Evidence => View::Mismatches,
            View::Charts => View::Overview,
            other => other,
        }
    }

    pub const ALL: [View; 9] = [
        View::Overview,
        View::Mismatches,
        View::Detail,
        View::Checklist,
        View::Lanes,
        View::Audit,
        View::SignOff,
        View::Charts,
        View::Evidence,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Mismatches => "Mismatches",
            View::Detail => "Mismatch",
            View::Checklist => "Checklist",
            View::Lanes => "Lanes",
            View::Audit => "Audit",
            View::SignOff => "Sign-off",
            View::Charts => "Charts",
            View::Evidence => "Evidence",
        }
    }
}

/// What a key asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Back,
    Show(View),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextPane,
    PrevPane,
    Enter,
    Filter,
    SortNext,
    SortReverse,
    CycleLane,
    CycleSeverity,
    CycleOwner,
    CycleStatus,
    ClearFilters,
    Note,
    Correction,
    Waive,
    Accept,
    Reject,
    /// Reverse an accepted correction.
    Reverse,
    SetChecklist(ItemStatus),
    Verify,
    SignOff,
    Reopen,
    /// Write the close packet (Markdown) next to the snapshot.
    ExportPacket,
    /// The rows behind a mismatch, with their sums and comparison.
    Trace,
    /// Assign the mismatch an owner.
    Assign,
    /// The next or previous view in the tab bar (Tab, Shift-Tab).
    NextView,
    PrevView,
    /// Scroll a wide text sideways.
    Left,
    Right,
    /// Open the last status-bar message in full, wrapped, in a popup.
    FullMessage,
    /// `/`: search the view's table; the next and previous hit (`n`, `N`).
    Search,
    NextHit,
    PrevHit,
}

/// A key as bound: a character, a special key, or Ctrl + a character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum K {
    Ch(char),
    Code(KeyCode),
    Ctrl(char),
}

impl K {
    pub fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        match self {
            K::Ch(c) => !ctrl && !alt && ev.code == KeyCode::Char(c),
            K::Code(code) => !ctrl && !alt && ev.code == code,
            K::Ctrl(c) => ctrl && ev.code == KeyCode::Char(c),
        }
    }
}

/// One binding: the keys, how they are written, what they do, and whether the footer
/// shows it (help always does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub keys: &'static [K],
    pub shown: &'static str,
    pub label: &'static str,
    pub action: Action,
    pub footer: bool,
    /// Shown (in the footer and in `?`) only to a login that may use it.
    pub only_if_allowed: bool,
}

pub const fn b(
    keys: &'static [K],
    shown: &'static str,
    label: &'static str,
    action: Action,
    footer: bool,
) -> Binding {
    Binding {
        keys,
        shown,
        label,
        action,
        footer,
        only_if_allowed: false,
    }
}

/// The printable ASCII characters (space to `~`), as keys and as text: a one-character
/// binding borrows both from here, so it is written without repeating its key as text.
static CHARACTER_KEYS: [K; 95] = {
    let mut keys = [K::Ch(' '); 95];
    let mut i = 0;
    while i < keys.len() {
        keys[i] = K::Ch((b' ' + i as u8) as char);
        i += 1;
    }
    keys
};
const CHARACTERS: &str =
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

/// A binding of the one printable ASCII character `c`, shown as that character.
pub fn key(c: char, label: &'static str, action: Action, footer: bool) -> Binding {
    let i = (c as usize)
        .checked_sub(usize::from(b' '))
        .filter(|&i| i < CHARACTER_KEYS.len())
        .unwrap_or_else(|| panic!("a key binding's character is printable ASCII, not {c:?}"));
    b(
        std::slice::from_ref(&CHARACTER_KEYS[i]),
        &CHARACTERS[i..=i],
        label,
        action,
        footer,
    )
}

impl Binding {
    /// The same binding, shown only to a login that may use it.
    pub const fn only_if_allowed(self) -> Binding {
        Binding {
            only_if_allowed: true,
            ..self
        }
    }
}

/// `l`/→ and `h`/← for [`Action::NextPane`] and [`Action::PrevPane`], labelled for what
/// they step through (the detail's panes, the lanes).
pub fn pane_keys(next: &'static str, previous: &'static str, footer: bool) -> [Binding; 2] {
    use KeyCode::*;
    use K::*;
    [
        b(&[Ch('l'), Code(Right)], "l/→", next, Action::NextPane, footer),
        b(&[Ch('h'), Code(Left)], "h/←", previous, Action::PrevPane, footer),
    ]
}

impl Action {
    /// The workflow permission the action needs; `None` for what only looks or moves.
    pub fn permission(&self) -> Option<Permission> {
        Some(match self {
            Action::Note => Permission::AddNote,
            Action::Correction => Permission::ProposeCorrection,
            Action::Waive => Permission::Waive,
            Action::Accept => Permission::AcceptCorrection,
            Action::Reject => Permission::RejectCorrection,
            Action::Reverse => Permission::ReverseCorrection,
            Action::SetChecklist(_) => Permission::MoveItem,
            Action::SignOff => Permission::SignOff,
            Action::Reopen => Permission::Reopen,
            Action::ExportPacket => Permission::Export,
            Action::Assign => Permission::AssignOwner,
            _ => return None,
        })
    }

    /// A move of the selection (up, down, page, first, last).
    pub fn is_nav(&self) -> bool {
        matches!(
            self,
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom
        )
    }
}

/// The selection after a move `action` among `len` rows, `page` rows to a page.
pub fn clamp_move(selected: usize, len: usize, action: &Action, page: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let last = len - 1;
    match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (selected + 1).min(last),
        Action::PageUp => selected.saturating_sub(page.max(1)),
        Action::PageDown => (selected + page.max(1)).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => selected.min(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-character binding's key is that character and is shown as it, for every
    /// printable ASCII character.
    #[test]
    fn key_is_shown_as_its_character() {
        for c in ' '..='~' {
            let bd = key(c, "label", Action::Help, true);
            assert_eq!(bd.keys, &[K::Ch(c)]);
            assert_eq!(bd.shown, c.to_string());
        }
    }
}
