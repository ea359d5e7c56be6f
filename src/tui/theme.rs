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

/// Crossterm writes even the 16 named colours as 256-colour codes (`38;5;9` for
/// `Color::LightRed`); a 16-colour terminal is then left to map them. This rewrites every
/// `38;5;N` and `48;5;N` with N < 16 of the select-graphic-rendition sequences in `bytes`
/// as the 16 ANSI colours' own codes (30–37, 90–97; 40–47, 100–107); other sequences and
/// text pass unchanged.
pub fn ansi16(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'[') {
            let start = i + 2;
            let end = bytes[start..]
                .iter()
                .position(|b| !(b.is_ascii_digit() || *b == b';'))
                .map(|p| start + p);
            if let Some(end) = end.filter(|&e| bytes[e] == b'm') {
                let params = std::str::from_utf8(&bytes[start..end]).unwrap_or("");
                out.extend_from_slice(b"\x1b[");
                out.extend_from_slice(sgr16(params).as_bytes());
                out.push(b'm');
                i = end + 1;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// One SGR sequence's parameters with `38;5;N` / `48;5;N` (N < 16) as 16-colour codes.
fn sgr16(params: &str) -> String {
    let p: Vec<&str> = params.split(';').collect();
    let mut out: Vec<String> = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        match (
            p[i],
            p.get(i + 1),
            p.get(i + 2).and_then(|n| n.parse::<u8>().ok()),
        ) {
            (ground @ ("38" | "48"), Some(&"5"), Some(n)) if n < 16 => {
                let base = if ground == "38" { 30 } else { 40 };
                let code = if n < 8 {
                    base + u16::from(n)
                } else {
                    base + 60 + u16::from(n - 8)
                };
                out.push(code.to_string());
                i += 3;
            }
            // A colour's own parameters are not codes of their own: kept as they are.
            ("38" | "48", Some(&"5"), _) => {
                out.extend(p[i..(i + 3).min(p.len())].iter().map(|s| s.to_string()));
                i += 3;
            }
            ("38" | "48", Some(&"2"), _) => {
                out.extend(p[i..(i + 5).min(p.len())].iter().map(|s| s.to_string()));
                i += 5;
            }
            (other, _, _) => {
                out.push(other.to_string());
                i += 1;
            }
        }
    }
    out.join(";")
}

/// A writer that keeps what is written until flushed, then passes it on through [`ansi16`]:
/// a frame (ratatui flushes after each) reaches the terminal in the 16 ANSI colours' codes
/// even where crossterm wrote a sequence in pieces.
pub struct Ansi16<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: std::io::Write> Ansi16<W> {
    pub fn new(inner: W) -> Ansi16<W> {
        Ansi16 {
            inner,
            pending: Vec::new(),
        }
    }
}

impl<W: std::io::Write> std::io::Write for Ansi16<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let bytes = ansi16(&std::mem::take(&mut self.pending));
            self.inner.write_all(&bytes)?;
        }
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for Ansi16<W> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}
