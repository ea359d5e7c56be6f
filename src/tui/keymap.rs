//! Every key of every view, collected in one table per view: each view's own bindings (from
//! its file under `views/`), then navigation, then the global keys. The same table decides
//! what a key does, fills the footer and lists the `?` help, so the three never disagree.
//! Holds no state and changes none.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::action::{b, key, Action, View};
pub use super::action::{Binding, K};
use super::views;

use KeyCode::*;
use K::*;

/// Keys that work in every view.
pub fn global() -> Vec<Binding> {
    vec![
        key('1', "overview", Action::Show(View::Overview), false),
        key('2', "mismatches", Action::Show(View::Mismatches), false),
        key('3', "checklist", Action::Show(View::Checklist), false),
        key('4', "lanes", Action::Show(View::Lanes), false),
        key('5', "audit history", Action::Show(View::Audit), false),
        key('6', "sign-off", Action::Show(View::SignOff), false),
        b(&[Code(Tab)], "Tab", "next view", Action::NextView, false),
        b(
            &[Code(BackTab)],
            "S-Tab",
            "previous view",
            Action::PrevView,
            false,
        ),
        b(&[Code(Esc)], "Esc", "back", Action::Back, false),
        key('?', "help", Action::Help, true),
        key('!', "last message in full", Action::FullMessage, false),
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
        View::Overview => views::overview::bindings(),
        View::Mismatches => views::mismatches::bindings(),
        View::Detail => views::mismatch_detail::bindings(),
        View::Checklist => views::checklist::bindings(),
        View::Lanes => views::lanes::bindings(),
        View::Audit => views::audit::bindings(),
        View::SignOff => views::signoff::bindings(),
        View::Charts => views::charts::bindings(),
        View::Evidence => views::evidence::bindings(),
    };
    if !matches!(view, View::SignOff) {
        own.extend(nav());
    }
    own.extend(global());
    // A view one drills into says first how to get out of it (the footer keeps it when
    // the view's own keys give way).
    if matches!(view, View::Detail | View::Charts | View::Evidence) {
        if let Some(at) = own.iter().position(|b| b.action == Action::Back) {
            let mut back = own.remove(at);
            back.footer = true;
            own.insert(0, back);
        }
    }
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
