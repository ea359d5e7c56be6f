//! Every key of every view, in one table per view. The same table decides what a key does,
//! fills the footer and lists the `?` help, so the three never disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{Action, View};

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
}

const fn b(
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
    }
}

use KeyCode::*;
use K::*;

/// Keys that work in every view.
pub fn global() -> Vec<Binding> {
    vec![
        b(&[Ch('1')], "1", "overview", Action::Show(View::Overview), false),
        b(
            &[Ch('2')],
            "2",
            "mismatches",
            Action::Show(View::Mismatches),
            false,
        ),
        b(&[Ch('3')], "3", "checklist", Action::Show(View::Checklist), false),
        b(&[Ch('4')], "4", "lanes", Action::Show(View::Lanes), false),
        b(&[Ch('5')], "5", "audit history", Action::Show(View::Audit), false),
        b(&[Ch('6')], "6", "sign-off", Action::Show(View::SignOff), false),
        b(&[Code(Esc)], "Esc", "back", Action::Back, false),
        b(&[Ch('?')], "?", "help", Action::Help, true),
        b(&[Ch('q'), Ctrl('c')], "q/^C", "quit", Action::Quit, true),
    ]
}

fn nav() -> Vec<Binding> {
    vec![
        b(&[Ch('j'), Code(Down)], "j/↓", "down", Action::Down, false),
        b(&[Ch('k'), Code(Up)], "k/↑", "up", Action::Up, false),
        b(
            &[Code(PageDown), Ctrl('d'), Ctrl('f')],
            "PgDn",
            "page down",
            Action::PageDown,
            false,
        ),
        b(
            &[Code(PageUp), Ctrl('u'), Ctrl('b')],
            "PgUp",
            "page up",
            Action::PageUp,
            false,
        ),
        b(&[Ch('g'), Code(Home)], "g", "first row", Action::Top, false),
        b(&[Ch('G'), Code(End)], "G", "last row", Action::Bottom, false),
    ]
}

/// The bindings of one view (its own first, then navigation, then global).
pub fn bindings(view: View) -> Vec<Binding> {
    let mut own = match view {
        View::Overview => vec![b(&[Code(Enter)], "Enter", "open mismatch", Action::Enter, true)],
        View::Mismatches => vec![
            b(&[Code(Enter)], "Enter", "detail", Action::Enter, true),
            b(&[Ch('/')], "/", "filter", Action::Filter, true),
            b(&[Ch('s')], "s", "sort", Action::SortNext, true),
            b(&[Ch('S')], "S", "reverse sort", Action::SortReverse, false),
            b(&[Ch('L')], "L", "by lane", Action::CycleLane, true),
            b(&[Ch('V')], "V", "by severity", Action::CycleSeverity, true),
            b(&[Ch('O')], "O", "by owner", Action::CycleOwner, false),
            b(&[Ch('T')], "T", "by status", Action::CycleStatus, false),
            b(&[Ch('x')], "x", "clear filters", Action::ClearFilters, false),
        ],
        View::Detail => vec![
            b(&[Code(Tab)], "Tab", "pane", Action::NextPane, true),
            b(
                &[Code(BackTab)],
                "S-Tab",
                "previous pane",
                Action::PrevPane,
                false,
            ),
            b(&[Code(Enter)], "Enter", "open row", Action::Enter, true),
            b(&[Ch('n')], "n", "note", Action::Note, true),
            b(&[Ch('p')], "p", "correction", Action::Correction, true),
            b(&[Ch('w')], "w", "waive", Action::Waive, true),
            b(&[Ch('a')], "a", "accept correction", Action::Accept, false),
            b(&[Ch('r')], "r", "send back correction", Action::Reject, false),
        ],
        View::Checklist => vec![
            b(
                &[Ch('i')],
                "i",
                "in progress",
                Action::SetChecklist("in_progress"),
                true,
            ),
            b(&[Ch('d')], "d", "done", Action::SetChecklist("done"), true),
            b(&[Ch('b')], "b", "blocked", Action::SetChecklist("blocked"), true),
            b(
                &[Ch('u')],
                "u",
                "back to pending",
                Action::SetChecklist("pending"),
                false,
            ),
            b(&[Ch('n')], "n", "note", Action::Note, true),
        ],
        View::Lanes => vec![
            b(
                &[Code(Tab), Ch('l'), Code(Right)],
                "Tab/l",
                "next lane",
                Action::NextPane,
                true,
            ),
            b(
                &[Code(BackTab), Ch('h'), Code(Left)],
                "h",
                "previous lane",
                Action::PrevPane,
                true,
            ),
        ],
        View::Audit => vec![b(&[Ch('v')], "v", "verify again", Action::Verify, true)],
        View::SignOff => vec![
            b(
                &[Ch('S')],
                "S",
                "sign off (type the period id)",
                Action::SignOff,
                true,
            ),
            b(&[Ch('R')], "R", "reopen with a reason", Action::Reopen, true),
        ],
    };
    if !matches!(view, View::SignOff) {
        own.extend(nav());
    }
    own.extend(global());
    own
}

/// The action a key press triggers in a view, if any.
pub fn action_for(view: View, key: &KeyEvent) -> Option<Action> {
    bindings(view)
        .into_iter()
        .find(|bd| bd.keys.iter().any(|k| k.matches(key)))
        .map(|bd| bd.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No key is bound twice in one view.
    #[test]
    fn no_duplicate_keys() {
        for view in View::ALL {
            let all = bindings(view);
            for (i, a) in all.iter().enumerate() {
                for bb in &all[i + 1..] {
                    for k in a.keys {
                        assert!(
                            !bb.keys.contains(k),
                            "{view:?}: {k:?} bound to {} and {}",
                            a.label,
                            bb.label
                        );
                    }
                }
            }
        }
    }
}
