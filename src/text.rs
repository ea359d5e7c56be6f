//! Untrusted text (names, notes, CSV cells, paths) made inert before it reaches a terminal.
//!
//! Control characters (C0, DEL, C1) become visible escapes such as `\x1b`, so an escape
//! sequence prints as text instead of acting; bidirectional overrides and isolates are
//! dropped, so text cannot reorder what is shown around it.

/// Bidirectional formatting characters that can make text display in another order.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// The text with every control character shown as an escape and bidi controls removed.
/// Tabs and newlines are escaped too: one value stays on one line.
pub fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_bidi_control(c) {
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Like [`inert`] but keeps newlines, for multi-line notes shown as several lines.
pub fn inert_multiline(text: &str) -> String {
    text.split('\n')
        .map(|line| inert(line.strip_suffix('\r').unwrap_or(line)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible_text() {
        assert_eq!(inert("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(inert("\x1b[2J"), "\\x1b[2J");
        assert_eq!(inert("x\u{9b}31m"), "x\\x9b31m");
        assert_eq!(inert("a\rb\tc\nd"), "a\\rb\\tc\\nd");
        assert_eq!(inert("\u{7f}"), "\\x7f");
    }

    #[test]
    fn bidi_overrides_are_stripped() {
        assert_eq!(inert("abc\u{202E}fed\u{202C}"), "abcfed");
        assert_eq!(inert("\u{2066}x\u{2069}"), "x");
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        assert_eq!(
            inert("Brightwater Clinics — Zürich €"),
            "Brightwater Clinics — Zürich €"
        );
        assert_eq!(inert_multiline("one\r\ntwo\x1b"), "one\ntwo\\x1b");
    }
}
