//! Keys from the bytes a remote terminal sends: what crossterm does for the local terminal,
//! for an SSH channel. Handles printable UTF-8 (split across reads too), control keys,
//! Alt as an `ESC` prefix, and the CSI / SS3 sequences of xterm-like terminals (arrows,
//! Home/End, PgUp/PgDn, Insert/Delete, F1–F12, Shift-Tab, with modifiers), and bracketed
//! pastes (`ESC [200~` … `ESC [201~`) as one [`Input::Paste`]. Anything else is dropped.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::app::MAX_PASTE;
use crate::tui::Input;

const ESC: u8 = 0x1b;
/// The longest escape sequence kept while waiting for its end; longer ones are dropped.
const MAX_SEQUENCE: usize = 32;

/// What a terminal sends around pasted text once bracketed paste is on.
const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";

/// Turns a byte stream into key presses and pastes; keeps an incomplete sequence (or paste)
/// between reads.
#[derive(Debug, Default)]
pub struct Decoder {
    pending: Vec<u8>,
    /// Inside a paste: its bytes so far, kept up to one more than [`MAX_PASTE`] (the cockpit
    /// refuses a longer paste whole; the rest is not kept).
    paste: Option<Vec<u8>>,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// The keys and pastes in `bytes`, with what was left over from the last call in front.
    /// A lone `ESC` at the end of a read is the Escape key (terminals send a sequence in one
    /// write, so a sequence is not split from its `ESC`).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Input> {
        self.pending.extend_from_slice(bytes);
        let buf = std::mem::take(&mut self.pending);
        let mut out = Vec::new();
        let mut at = 0;
        while at < buf.len() {
            if let Some(paste) = self.paste.as_mut() {
                let rest = &buf[at..];
                let Some(end) = find(rest, PASTE_END) else {
                    // Keep what could be the start of the end marker for the next read.
                    let keep = (0..PASTE_END.len())
                        .rev()
                        .find(|&n| rest.ends_with(&PASTE_END[..n]))
                        .unwrap_or(0);
                    take_pasted(paste, &rest[..rest.len() - keep]);
                    self.pending = rest[rest.len() - keep..].to_vec();
                    break;
                };
                take_pasted(paste, &rest[..end]);
                let text = String::from_utf8_lossy(paste).into_owned();
                out.push(Input::Paste(text));
                self.paste = None;
                at += end + PASTE_END.len();
                continue;
            }
            match parse(&buf[at..]) {
                Parsed::Key(key, used) => {
                    out.extend(key.map(Input::Key));
                    at += used;
                }
                Parsed::PasteStart(used) => {
                    self.paste = Some(Vec::new());
                    at += used;
                }
                Parsed::Incomplete => {
                    if buf.len() - at > MAX_SEQUENCE {
                        // Not a sequence any terminal sends: drop it.
                        break;
                    }
                    self.pending = buf[at..].to_vec();
                    break;
                }
            }
        }
        out
    }
}

/// Where `needle` first stands in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Adds pasted bytes, keeping at most one more than [`MAX_PASTE`].
fn take_pasted(paste: &mut Vec<u8>, bytes: &[u8]) {
    let room = (MAX_PASTE + 1).saturating_sub(paste.len());
    paste.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

enum Parsed {
    /// A key (or nothing, for a byte or sequence that means no key) and the bytes used.
    Key(Option<KeyEvent>, usize),
    /// `ESC [200~`: pasted text follows, up to `ESC [201~`.
    PasteStart(usize),
    /// More bytes are needed.
    Incomplete,
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Option<KeyEvent> {
    Some(KeyEvent::new(code, modifiers))
}

fn parse(buf: &[u8]) -> Parsed {
    let none = KeyModifiers::NONE;
    match buf[0] {
        ESC => parse_escape(buf),
        b'\r' | b'\n' => Parsed::Key(key(KeyCode::Enter, none), 1),
        b'\t' => Parsed::Key(key(KeyCode::Tab, none), 1),
        0x7f | 0x08 => Parsed::Key(key(KeyCode::Backspace, none), 1),
        0x00 => Parsed::Key(key(KeyCode::Char(' '), KeyModifiers::CONTROL), 1),
        c @ 0x01..=0x1a => Parsed::Key(
            key(KeyCode::Char((b'a' + c - 1) as char), KeyModifiers::CONTROL),
            1,
        ),
        c @ 0x1c..=0x1f => Parsed::Key(
            key(KeyCode::Char((b'4' + c - 0x1c) as char), KeyModifiers::CONTROL),
            1,
        ),
        _ => parse_char(buf),
    }
}

/// One UTF-8 character; an invalid byte is dropped.
fn parse_char(buf: &[u8]) -> Parsed {
    let len = match buf[0] {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Parsed::Key(None, 1),
    };
    if buf.len() < len {
        // Only an incomplete character if every byte so far is a continuation byte.
        return if buf[1..].iter().all(|b| b & 0xc0 == 0x80) {
            Parsed::Incomplete
        } else {
            Parsed::Key(None, 1)
        };
    }
    match std::str::from_utf8(&buf[..len]) {
        Ok(s) => {
            let c = s.chars().next().expect("one character");
            let modifiers = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            Parsed::Key(key(KeyCode::Char(c), modifiers), len)
        }
        Err(_) => Parsed::Key(None, 1),
    }
}

fn parse_escape(buf: &[u8]) -> Parsed {
    match buf.get(1) {
        None => Parsed::Key(key(KeyCode::Esc, KeyModifiers::NONE), 1),
        Some(b'[') => parse_csi(buf),
        Some(b'O') => match buf.get(2) {
            None => Parsed::Incomplete,
            Some(&b) => Parsed::Key(ss3(b, KeyModifiers::NONE), 3),
        },
        Some(&ESC) => Parsed::Key(key(KeyCode::Esc, KeyModifiers::NONE), 1),
        Some(_) => match parse(&buf[1..]) {
            // Alt + a key: ESC then the key.
            Parsed::Key(Some(mut k), used) => {
                k.modifiers |= KeyModifiers::ALT;
                Parsed::Key(Some(k), used + 1)
            }
            Parsed::Key(None, used) => Parsed::Key(None, used + 1),
            Parsed::PasteStart(used) => Parsed::PasteStart(used + 1),
            Parsed::Incomplete => Parsed::Incomplete,
        },
    }
}

/// `ESC [` parameters (digits and `;`), intermediates, then a final byte.
fn parse_csi(buf: &[u8]) -> Parsed {
    let mut end = 2;
    loop {
        match buf.get(end) {
            None => return Parsed::Incomplete,
            Some(0x20..=0x3f) => end += 1,
            Some(0x40..=0x7e) => break,
            // Not a CSI sequence after all: drop the ESC and read on.
            Some(_) => return Parsed::Key(None, 1),
        }
    }
    if buf[..=end] == *PASTE_START {
        return Parsed::PasteStart(end + 1);
    }
    let params = std::str::from_utf8(&buf[2..end]).unwrap_or("");
    let mut numbers = params.split(';').map(|p| p.parse::<u16>().ok());
    let first = numbers.next().flatten();
    let modifiers = numbers
        .next()
        .flatten()
        .map(modifiers)
        .unwrap_or(KeyModifiers::NONE);
    let k = match buf[end] {
        b'~' => match first {
            Some(1 | 7) => key(KeyCode::Home, modifiers),
            Some(2) => key(KeyCode::Insert, modifiers),
            Some(3) => key(KeyCode::Delete, modifiers),
            Some(4 | 8) => key(KeyCode::End, modifiers),
            Some(5) => key(KeyCode::PageUp, modifiers),
            Some(6) => key(KeyCode::PageDown, modifiers),
            Some(n @ 11..=15) => key(KeyCode::F((n - 10) as u8), modifiers),
            Some(n @ 17..=21) => key(KeyCode::F((n - 11) as u8), modifiers),
            Some(n @ 23..=24) => key(KeyCode::F((n - 12) as u8), modifiers),
            _ => None,
        },
        b'Z' => key(KeyCode::BackTab, KeyModifiers::SHIFT | modifiers),
        b => ss3(b, modifiers),
    };
    Parsed::Key(k, end + 1)
}

/// The final byte shared by CSI and SS3 forms: arrows, Home/End, F1–F4.
fn ss3(b: u8, modifiers: KeyModifiers) -> Option<KeyEvent> {
    let code = match b {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        b'R' => KeyCode::F(3),
        b'S' => KeyCode::F(4),
        _ => return None,
    };
    key(code, modifiers)
}

/// xterm's modifier parameter: 1 + (shift 1, alt 2, ctrl 4).
fn modifiers(param: u16) -> KeyModifiers {
    let bits = param.saturating_sub(1);
    let mut m = KeyModifiers::NONE;
    if bits & 1 != 0 {
        m |= KeyModifiers::SHIFT;
    }
    if bits & 2 != 0 {
        m |= KeyModifiers::ALT;
    }
    if bits & 4 != 0 {
        m |= KeyModifiers::CONTROL;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(bytes: &[u8]) -> Vec<(KeyCode, KeyModifiers)> {
        Decoder::new().feed(bytes).into_iter().map(key_of).collect()
    }

    fn key_of(input: Input) -> (KeyCode, KeyModifiers) {
        match input {
            Input::Key(k) => (k.code, k.modifiers),
            other => panic!("not a key: {other:?}"),
        }
    }

    const N: KeyModifiers = KeyModifiers::NONE;
    const C: KeyModifiers = KeyModifiers::CONTROL;

    #[test]
    fn printable_and_control_keys() {
        assert_eq!(
            keys(b"aG\r\t\x7f\x13\x03"),
            vec![
                (KeyCode::Char('a'), N),
                (KeyCode::Char('G'), KeyModifiers::SHIFT),
                (KeyCode::Enter, N),
                (KeyCode::Tab, N),
                (KeyCode::Backspace, N),
                (KeyCode::Char('s'), C),
                (KeyCode::Char('c'), C),
            ]
        );
    }

    #[test]
    fn escape_sequences() {
        assert_eq!(
            keys(b"\x1b[A\x1b[B\x1bOC\x1b[6~\x1b[5~\x1b[H\x1b[4~\x1b[Z\x1b[1;5D\x1b[15~"),
            vec![
                (KeyCode::Up, N),
                (KeyCode::Down, N),
                (KeyCode::Right, N),
                (KeyCode::PageDown, N),
                (KeyCode::PageUp, N),
                (KeyCode::Home, N),
                (KeyCode::End, N),
                (KeyCode::BackTab, KeyModifiers::SHIFT),
                (KeyCode::Left, C),
                (KeyCode::F(5), N),
            ]
        );
    }

    #[test]
    fn lone_escape_alt_and_double_escape() {
        assert_eq!(keys(b"\x1b"), vec![(KeyCode::Esc, N)]);
        assert_eq!(keys(b"\x1bx"), vec![(KeyCode::Char('x'), KeyModifiers::ALT)]);
        assert_eq!(keys(b"\x1b\x1b"), vec![(KeyCode::Esc, N), (KeyCode::Esc, N)]);
    }

    #[test]
    fn sequences_and_characters_split_across_reads() {
        let mut d = Decoder::new();
        assert!(d.feed(b"\x1b[1;").is_empty());
        assert_eq!(d.feed(b"5A").len(), 1);
        let euro = "€".as_bytes();
        assert!(d.feed(&euro[..1]).is_empty());
        let k = d.feed(&euro[1..]);
        assert_eq!(key_of(k[0].clone()).0, KeyCode::Char('€'));
    }

    #[test]
    fn garbage_is_dropped_not_fatal() {
        assert_eq!(keys(b"\xff\xfeq"), vec![(KeyCode::Char('q'), N)]);
        assert_eq!(keys(b"\x1b[?1;2c"), vec![]);
        let mut d = Decoder::new();
        let long = [b"\x1b[".as_slice(), &[b'1'; 40]].concat();
        let _ = d.feed(&long);
        assert_eq!(d.feed(b"~q").len(), 2);
    }

    #[test]
    fn a_bracketed_paste_is_one_input_never_keys() {
        let mut d = Decoder::new();
        let got = d.feed(b"x\x1b[200~a\rq\x1b[31m\x03\x1b[201~y");
        assert_eq!(
            got,
            vec![
                Input::Key(KeyEvent::new(KeyCode::Char('x'), N)),
                Input::Paste("a\rq\x1b[31m\x03".into()),
                Input::Key(KeyEvent::new(KeyCode::Char('y'), N)),
            ]
        );
    }

    #[test]
    fn a_paste_split_across_reads_even_inside_its_markers() {
        let mut d = Decoder::new();
        let text = "é".repeat(3000);
        let whole = [b"\x1b[200~".as_slice(), text.as_bytes(), b"\x1b[201~q"].concat();
        let mut got = Vec::new();
        // Cut every 7 bytes: through the markers and through characters.
        for chunk in whole.chunks(7) {
            got.extend(d.feed(chunk));
        }
        assert_eq!(
            got,
            vec![
                Input::Paste(text),
                Input::Key(KeyEvent::new(KeyCode::Char('q'), N))
            ]
        );
    }

    #[test]
    fn an_oversized_paste_is_kept_only_to_one_past_the_limit() {
        let mut d = Decoder::new();
        let _ = d.feed(b"\x1b[200~");
        for _ in 0..100 {
            assert!(d.feed(&[b'a'; 1024]).is_empty());
        }
        let got = d.feed(b"\x1b[201~");
        let [Input::Paste(text)] = got.as_slice() else {
            panic!("{got:?}");
        };
        assert_eq!(text.len(), MAX_PASTE + 1);
    }
}
