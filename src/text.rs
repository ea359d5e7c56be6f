//! Untrusted text (names, notes, CSV cells, paths) made inert before it reaches a terminal.
//!
//! Control characters (C0, DEL, C1) become visible escapes such as `\x1b`, so an escape
//! sequence prints as text instead of acting; bidirectional overrides and isolates are
//! dropped, so text cannot reorder what is shown around it. And one word wrap ([`wrap`])
//! for text laid out in fixed columns.

/// Bidirectional formatting characters that can make text display in another order.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that take no place on screen and carry no text of their own: Unicode's
/// default-ignorable code points (zero-width spaces and joiners, the word joiner and
/// invisible operators, the byte-order mark, the soft hyphen, the combining grapheme
/// joiner, the Hangul fillers, variation selectors, tags…) and the Mongolian vowel
/// separator. (Bidi controls, also default-ignorable, are [`is_bidi_control`].)
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2065}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// How many characters of `text` show on screen, besides surrounding whitespace: control
/// characters, bidi controls and invisible characters do not count. What a rule on the
/// length of a reason or the emptiness of a note measures, so text that displays as nothing
/// is not a reason.
pub fn visible_len(text: &str) -> usize {
    let shown: String = text
        .chars()
        .filter(|&c| !(c.is_control() || is_bidi_control(c) || is_invisible(c)))
        .collect();
    shown.trim().chars().count()
}

/// The first character of `text` that shows or acts: bidi controls and invisible characters
/// skipped (what a spreadsheet or a Markdown renderer reads first once they are dropped).
pub fn first_shown(text: &str) -> Option<char> {
    text.chars().find(|&c| !(is_bidi_control(c) || is_invisible(c)))
}

/// `text` in pieces of at most `width` characters, broken at a space where there is one;
/// continuation lines are indented by two (the PDF packet's lines, the cockpit help's reasons).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return vec![text.to_string()];
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut first = true;
    while start < chars.len() {
        let room = if first { width } else { width.saturating_sub(2) }.max(1);
        let mut end = (start + room).min(chars.len());
        if end < chars.len() {
            if let Some(space) = (start + room / 2..end).rev().find(|&i| chars[i] == ' ') {
                end = space + 1;
            }
        }
        let piece: String = chars[start..end].iter().collect();
        out.push(if first { piece } else { format!("  {piece}") });
        first = false;
        start = end;
    }
    out
}

/// The text with every control character shown as an escape and bidi controls removed.
/// Tabs and newlines are escaped too: one value stays on one line. A zero-width space, a
/// word joiner or a byte-order mark — invisible, and meaningless inside an id, a name or a
/// note (`ACC-1\u{200b}001` is not `ACC-1001`) — shows as `\u{200b}`; the joiners that
/// scripts and emoji need (U+200C, U+200D) are kept.
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
            '\u{200B}' | '\u{2060}' | '\u{FEFF}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Like [`inert`], for a value quoted in a message about it: every character that does not
/// show is an escape too — bidi controls (which [`inert`] drops), default-ignorable
/// characters (the soft hyphen, the Mongolian vowel separator…) and the line and paragraph
/// separators — so that `id 'P1\u{202e}' is not a valid id` shows why an id that looks like
/// `P1` is refused. The joiners scripts and emoji need (U+200C, U+200D) are kept.
pub fn inert_exact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let hidden = (is_bidi_control(c) || is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}'))
            && !matches!(c, '\u{200C}' | '\u{200D}');
        if hidden {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push_str(&inert(c.encode_utf8(&mut [0; 4])));
        }
    }
    out
}

/// A path (which may hold any bytes a file name can) as [`inert`] text, for messages.
pub fn inert_path(path: &std::path::Path) -> String {
    inert(&path.display().to_string())
}

/// Like [`inert`] but keeps newlines, for multi-line notes shown as several lines.
pub fn inert_multiline(text: &str) -> String {
    text.split('\n')
        .map(|line| inert(line.strip_suffix('\r').unwrap_or(line)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Pretty JSON whose strings keep their exact value but cannot act on a terminal: besides
/// what JSON always escapes (C0 controls), DEL, C1 controls and bidirectional formatting
/// characters are written as `\uXXXX` escapes. A JSON parser reads back the stored text.
pub fn inert_json<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, InertFormatter(Default::default()));
    value.serialize(&mut ser)?;
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

struct InertFormatter<'a>(serde_json::ser::PrettyFormatter<'a>);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*);)+) => {
        $(fn $name<W: ?Sized + std::io::Write>(&mut self, writer: &mut W $(, $arg: $ty)*) -> std::io::Result<()> {
            self.0.$name(writer $(, $arg)*)
        })+
    };
}

impl serde_json::ser::Formatter for InertFormatter<'_> {
    delegate! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        begin_object_value();
        end_object_value();
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if c.is_control() || is_bidi_control(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// `text` with every UTC timestamp of the workflow's form (`2026-11-30T01:56:06Z`)
/// replaced by `by`: for tests and golden files, so output that records "now" compares
/// stably. Not used on any output path.
#[doc(hidden)]
pub fn timestamps_replaced(text: &str, by: &str) -> String {
    let shape = "0000-00-00T00:00:00Z";
    let chars: Vec<char> = text.chars().collect();
    let fits = |i: usize| {
        shape.chars().enumerate().all(|(k, c)| match chars.get(i + k) {
            Some(d) if c == '0' => d.is_ascii_digit(),
            Some(d) => *d == c,
            None => false,
        })
    };
    let (mut out, mut i) = (String::new(), 0);
    while i < chars.len() {
        if fits(i) {
            out.push_str(by);
            i += shape.len();
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
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
    fn invisible_characters_inside_an_id_show() {
        // An id with a byte-order mark in it was echoed raw in an import error: invisible.
        // The joiners scripts and emoji need (U+200C, U+200D) are kept.
        let cases = [
            ("\u{FEFF}PAY-0003", "\\u{feff}PAY-0003"),
            ("ACC-1\u{200B}001\u{2060}", "ACC-1\\u{200b}001\\u{2060}"),
            ("می\u{200C}خواهم 👩\u{200D}💻", "می\u{200C}خواهم 👩\u{200D}💻"),
        ];
        for (raw, shown) in cases {
            assert_eq!(inert(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn a_quoted_value_shows_every_character_that_does_not() {
        assert_eq!(inert_exact("P1\u{202E}"), "P1\\u{202e}");
        assert_eq!(
            inert_exact("a\u{00AD}b\u{2028}c\u{180E}"),
            "a\\u{ad}b\\u{2028}c\\u{180e}"
        );
        assert_eq!(inert_exact("\u{FEFF}x\x1b"), "\\u{feff}x\\x1b");
        assert_eq!(inert_exact("👩\u{200D}💻 Zürich"), "👩\u{200D}💻 Zürich");
    }

    #[test]
    fn long_lines_wrap_at_a_space() {
        let long = "word ".repeat(60);
        let wrapped = wrap(long.trim_end(), 40);
        assert!(wrapped.iter().all(|l| l.chars().count() <= 40), "{wrapped:?}");
        assert!(wrapped[1].starts_with("  word"));
        assert_eq!(wrapped.concat().replace("  ", " ").split_whitespace().count(), 60);
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

    #[test]
    fn json_keeps_the_value_but_escapes_what_could_act() {
        let hostile = "a\x1b]0;x\x07\u{9b}31m\u{7f}\u{202E}b\tc";
        let text = inert_json(&serde_json::json!({ "note": hostile, "n": [1, 2] })).unwrap();
        assert!(text.is_ascii(), "{text}");
        assert!(
            !text.bytes().any(|b| b == 0x1b || b == 0x07 || b == 0x7f),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["note"], hostile);
        assert_eq!(back["n"][1], 2);
        assert!(text.contains("\n  \"n\""), "pretty: {text}");
    }
}
