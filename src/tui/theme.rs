//! Colours and symbols. The palette uses only the 16 ANSI colours; with `NO_COLOR` set every
//! colour is dropped and severity and selection still show through symbols, bold and
//! reverse video. Styles only: it knows no view and no data.

use ratatui::style::{Color, Modifier, Style};

use crate::snapshot::model::{ItemStatus, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value.
    pub fn from_env() -> Theme {
        Theme::for_terminal(
            std::env::var("TERM").ok().as_deref(),
            std::env::var("NO_COLOR").ok().as_deref(),
        )
    }

    /// Colour unless `no_color` is set to a non-empty value or the terminal is `dumb`; the
    /// local terminal's variables, or what an SSH client sent.
    pub fn for_terminal(term: Option<&str>, no_color: Option<&str>) -> Theme {
        let no_color = no_color.is_some_and(|v| !v.is_empty()) || term == Some("dumb");
        Theme { color: !no_color }
    }

    pub fn mono() -> Theme {
        Theme { color: false }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn base(&self) -> Style {
        Style::default()
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default().add_modifier(Modifier::DIM)
        }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// The selected row of a table or list: reverse video works everywhere.
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    /// The current tab / pane.
    pub fn active(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn bad(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn disabled(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default().add_modifier(Modifier::DIM | Modifier::CROSSED_OUT)
        }
    }

    pub fn banner(&self) -> Style {
        if self.color {
            Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn bar(&self) -> Style {
        if self.color {
            Style::default().fg(Color::White).bg(Color::Blue)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Critical => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Severity::High => self.fg(Color::LightRed).add_modifier(Modifier::BOLD),
            Severity::Medium => self.fg(Color::Yellow),
            Severity::Low => self.fg(Color::Blue),
        }
    }

    pub fn status(&self, status: &str) -> Style {
        match status {
            "clean" | "done" | "resolved" | "signed_off" | "signed off" | "ok" => self.ok(),
            "blocked" | "needs_review" | "needs review" => self.bad(),
            "in_progress" | "in_correction" | "waived" => self.warn(),
            _ => self.base(),
        }
    }
}

/// The symbol of a severity, readable without colour.
pub fn severity_symbol(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "▲",
        Severity::High => "●",
        Severity::Medium => "◆",
        Severity::Low => "·",
    }
}

/// `▲ critical`, `● high`, `◆ medium`, `· low`.
pub fn severity_label(s: Severity) -> String {
    format!("{} {}", severity_symbol(s), s.as_str())
}

/// The symbol of a checklist status.
pub fn checklist_symbol(status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Done => "[x]",
        ItemStatus::InProgress => "[~]",
        ItemStatus::Blocked => "[!]",
        ItemStatus::Pending => "[ ]",
    }
}
