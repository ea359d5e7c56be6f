//! One CSV file, streamed: its header checked against the documented columns, then one
//! raw record at a time whose cells are in documented column order. Nothing larger than
//! one record (and the reader's buffer) is held, whatever the file's size.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

use csv::{ByteRecord, ReaderBuilder};

use super::cells::{quoted, Problems};
use super::record::{Cell, Header, Record};
use crate::text::inert;

/// A quoted cell that is still open at the end of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Unterminated {
    /// The line its record starts on.
    record_line: u64,
    /// The line its opening quote is on.
    line: u64,
    /// Its 1-based field in the record, in file order.
    field: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QuoteState {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// Where a quoted cell goes on after its closing quote (`"Brightwater" Clinics`): the
/// reader drops the two quotes and reads on (`Brightwater Clinics`), a cell the file does
/// not hold. A quote inside a cell is written twice inside a quoted one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct AfterClosingQuote {
    /// The line its record starts on.
    pub record_line: u64,
    /// The line the closing quote is on.
    pub line: u64,
    /// Its 1-based field in the record, in file order.
    pub field: u64,
}

/// Finds a quote opened and never closed, one byte at a time, by the rules the CSV reader
/// follows (csv-core's defaults): a quote opens a quoted cell only as the first character
/// of a field, `""` inside one is a quote, any other quote closes it; `\r`, `\n` and
/// `\r\n` end a record outside quotes. The reader itself accepts such a file: the open
/// cell silently takes every line up to the end of the file.
#[derive(Debug, PartialEq, Eq)]
struct QuoteScan {
    state: QuoteState,
    between_records: bool,
    /// The line of the next byte (`\r\n` counts once, at its `\r`).
    line: u64,
    record_line: u64,
    field: u64,
    previous_cr: bool,
    open: Unterminated,
    /// Each cell that goes on after its closing quote, in file order, not yet taken.
    after_closing: VecDeque<AfterClosingQuote>,
}

impl QuoteScan {
    fn new() -> QuoteScan {
        QuoteScan {
            state: QuoteState::FieldStart,
            between_records: true,
            line: 1,
            record_line: 1,
            field: 1,
            previous_cr: false,
            open: Unterminated {
                record_line: 0,
                line: 0,
                field: 0,
            },
            after_closing: VecDeque::new(),
        }
    }

    /// The cells before `line`'s record and of it that go on after their closing quote,
    /// taken: those of `line`'s record.
    fn take_after_closing(&mut self, line: u64) -> Vec<AfterClosingQuote> {
        let mut taken = Vec::new();
        while let Some(at) = self.after_closing.front().copied() {
            if at.record_line > line {
                break;
            }
            self.after_closing.pop_front();
            if at.record_line == line {
                taken.push(at);
            }
        }
        taken
    }

    fn start_record(&mut self) {
        if self.between_records {
            self.between_records = false;
            self.record_line = self.line;
            self.field = 1;
        }
    }

    fn step(&mut self, b: u8) {
        use QuoteState::*;
        self.state = match (self.state, b) {
            (Quoted, b'"') => QuoteInQuoted,
            (Quoted, _) => Quoted,
            (QuoteInQuoted, b'"') => Quoted,
            (_, b'\r' | b'\n') => {
                self.between_records = true;
                FieldStart
            }
            (_, b',') => {
                self.start_record();
                self.field += 1;
                FieldStart
            }
            (FieldStart, b'"') => {
                self.start_record();
                self.open = Unterminated {
                    record_line: self.record_line,
                    line: self.line,
                    field: self.field,
                };
                Quoted
            }
            (QuoteInQuoted, _) => {
                self.after_closing.push_back(AfterClosingQuote {
                    record_line: self.record_line,
                    line: self.line,
                    field: self.field,
                });
                Unquoted
            }
            _ => {
                self.start_record();
                Unquoted
            }
        };
        if b == b'\r' || (b == b'\n' && !self.previous_cr) {
            self.line += 1;
        }
        self.previous_cr = b == b'\r';
    }

    /// At the end of the file: the quote still open, if any.
    fn finish(&self) -> Option<Unterminated> {
        (self.state == QuoteState::Quoted).then_some(self.open)
    }
}

/// Finds a quote opened and never closed in `bytes` ([`QuoteScan`]).
#[cfg(test)]
fn unterminated_quote(bytes: &[u8]) -> Option<Unterminated> {
    let mut scan = QuoteScan::new();
    bytes.iter().for_each(|&b| scan.step(b));
    scan.finish()
}

/// What the reader's source has passed on so far, seen byte by byte: the quote scan, and
/// the `\r` and `\n` bytes not yet counted into the line of [`Seen::line_of`] (a few buffers'
/// worth at most: records are asked for in order, right after they are read).
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    offset: u64,
    /// `(offset, counts as a line break)` of each `\r` and `\n` past the cursor.
    terminators: VecDeque<(u64, bool)>,
    previous_cr: bool,
    quotes: QuoteScan,
    /// The line at `cursor`.
    line: u64,
    cursor: u64,
}

/// The bytes that can change [`Seen`] or its [`QuoteScan`] besides moving the offset.
fn significant(b: u8) -> bool {
    matches!(b, b'"' | b',' | b'\r' | b'\n')
}

impl Seen {
    fn new() -> Seen {
        Seen {
            offset: 0,
            terminators: VecDeque::new(),
            previous_cr: false,
            quotes: QuoteScan::new(),
            line: 1,
            cursor: 0,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        let mut at = 0;
        while let Some(&b) = bytes.get(at) {
            if b == b'\r' || b == b'\n' {
                // `\r\n` is one line break, counted at its `\r`.
                let counts = b == b'\r' || !self.previous_cr;
                self.terminators.push_back((self.offset + at as u64, counts));
            }
            self.previous_cr = b == b'\r';
            self.quotes.step(b);
            at += 1;
            if !significant(b) {
                // After one ordinary byte, the ones up to the next significant byte leave
                // every state as it is (inside a cell, quoted or not): skip them.
                at += bytes[at..]
                    .iter()
                    .position(|&c| significant(c))
                    .unwrap_or(bytes.len() - at);
            }
        }
        self.offset += bytes.len() as u64;
    }

    /// The line of the record that the reader found at or after byte `start` (it skips
    /// empty lines before a record). Calls come with `start` never going back.
    fn line_of(&mut self, start: u64) -> u64 {
        let mut at = start.max(self.cursor);
        while let Some(&(offset, counts)) = self.terminators.front() {
            if offset < at {
                self.line += u64::from(counts);
                self.terminators.pop_front();
            } else if offset == at {
                self.line += u64::from(counts);
                self.terminators.pop_front();
                at += 1;
            } else {
                break;
            }
        }
        self.cursor = at;
        self.line
    }
}

/// The file's bytes on their way to the CSV reader: a byte-order mark taken off, every
/// byte shown to [`Seen`].
struct Tap<'r> {
    inner: Box<dyn Read + 'r>,
    seen: Rc<RefCell<Seen>>,
    /// Bytes read while looking for a byte-order mark, not yet passed on.
    start: Option<Vec<u8>>,
}

impl Read for Tap<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.start.is_none() {
            // csv-core strips a BOM too, but only when it arrives in one buffer: do it here.
            let mut head = Vec::with_capacity(3);
            let mut byte = [0u8; 1];
            while head.len() < 3 && head.iter().zip(b"\xEF\xBB\xBF").all(|(a, b)| a == b) {
                match self.inner.read(&mut byte) {
                    Ok(0) => break,
                    Ok(_) => head.push(byte[0]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if head == b"\xEF\xBB\xBF" {
                head.clear();
            }
            self.start = Some(head);
        }
        let n = match self.start.as_mut() {
            Some(head) if !head.is_empty() => {
                let n = head.len().min(buf.len());
                buf[..n].copy_from_slice(&head[..n]);
                head.drain(..n);
                n
            }
            _ => self.inner.read(buf)?,
        };
        self.seen.borrow_mut().feed(&buf[..n]);
        Ok(n)
    }
}

/// The number of line breaks in `bytes`, counted as [`Seen::line_of`] counts them (`\r\n`
/// is one).
fn line_breaks(bytes: &[u8]) -> u64 {
    let mut breaks = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            breaks += 1;
        }
    }
    breaks
}

/// Reports an unterminated quote at the line and column where its cell starts.
fn report_unterminated(
    file: usize,
    label: &str,
    names: &[Option<&str>],
    open: Unterminated,
    problems: &mut Problems,
) {
    let name = names.get(open.field as usize - 1).copied().flatten();
    let (column, what) = match name {
        Some(name) => (open.field, format!(" in {name}")),
        None => (0, String::new()),
    };
    let reason = format!(
        "unterminated quote{what}: the quoted cell that starts here has no closing quote, so \
         every line to the end of the file was read into it"
    );
    problems.push(file, label, open.line, column, reason);
}

/// Reports a cell that goes on after its closing quote, at the line of that quote.
fn report_after_closing_quote(
    file: usize,
    label: &str,
    names: &[Option<&str>],
    record: &ByteRecord,
    at: AfterClosingQuote,
    problems: &mut Problems,
) {
    let name = names.get(at.field as usize - 1).copied().flatten();
    let what = name.map(|name| format!(" in {name}")).unwrap_or_default();
    let read = record.get(at.field as usize - 1).unwrap_or_default();
    problems.push(file, label, at.line, at.field, after_closing_quote(&what, read));
}

/// Why a cell that goes on after its closing quote (` in COLUMN` in `what`, or nothing),
/// which the reader reads as `read`, is refused.
pub(super) fn after_closing_quote(what: &str, read: &[u8]) -> String {
    format!(
        "text after a closing quote{what}: the cell would read '{}', its quotes dropped; to keep a quote \
         in a cell, quote the whole cell and write the quote twice (\"\"\"North\"\" Clinics\" reads \"North\" \
         Clinics)",
        quoted(&String::from_utf8_lossy(read))
    )
}

/// Every cell of `bytes` (a whole file from its header on, whose first line is line
/// `first`) that goes on after its closing quote, in file order.
pub(super) fn after_closing_quotes(bytes: &[u8], first: u64) -> VecDeque<AfterClosingQuote> {
    let mut scan = QuoteScan::new();
    scan.line = first;
    bytes.iter().for_each(|&b| scan.step(b));
    scan.after_closing
}

/// What follows the record being handed out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ahead {
    /// Another record, already read.
    Record,
    /// The end of the file.
    End,
    /// A read error (already reported): the file ends here.
    Failed,
}

/// One file being read, one record at a time. The record after the one handed out is
/// read ahead, so that the last record is known as the last: only it can hold a quote
/// left open (which swallows every line to the end of the file).
pub(super) struct TableReader<'r> {
    reader: csv::Reader<Tap<'r>>,
    seen: Rc<RefCell<Seen>>,
    header: Header,
    /// The documented column at each position of the header.
    names: Vec<Option<&'static str>>,
    multi_line: &'static [&'static str],
    header_len: usize,
    ahead: ByteRecord,
    ahead_line: u64,
    ahead_state: Ahead,
    raw: ByteRecord,
    record: Record,
    /// Per field of the record: a line break refused in it (reused from row to row).
    broken: Vec<bool>,
    /// The open quote at the end of the file, not yet matched to a record.
    unterminated: Option<Unterminated>,
}

impl<'r> TableReader<'r> {
    /// Opens one file and reads its header. Returns `None` when the file cannot be used at
    /// all (empty, or its header is wrong); every problem found is reported. A line break
    /// is refused in every column but those in `multi_line` (free text that may hold
    /// several lines).
    pub fn new(
        file: usize,
        columns: &'static [&'static str],
        multi_line: &'static [&'static str],
        bytes: Box<dyn Read + 'r>,
        label: String,
        problems: &mut Problems,
    ) -> Option<TableReader<'r>> {
        let seen = Rc::new(RefCell::new(Seen::new()));
        let tap = Tap {
            inner: bytes,
            seen: Rc::clone(&seen),
            start: None,
        };
        let mut reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_reader(tap);
        let mut raw = ByteRecord::new();
        let header_line = match reader.read_byte_record(&mut raw) {
            Ok(true) => seen.borrow_mut().line_of(raw.position().map_or(0, |p| p.byte())),
            Ok(false) => {
                let reason = format!("empty file (expected the header row: {})", columns.join(","));
                problems.push(file, &label, 0, 0, reason);
                return None;
            }
            Err(e) => {
                let reason = format!("cannot read the header row: {}", inert(&e.to_string()));
                problems.push(file, &label, 1, 0, reason);
                return None;
            }
        };
        let mut table = TableReader {
            reader,
            seen,
            header: Header {
                file,
                label,
                columns,
                positions: Vec::new(),
            },
            names: Vec::new(),
            multi_line,
            header_len: raw.len(),
            ahead: ByteRecord::new(),
            ahead_line: 0,
            ahead_state: Ahead::End,
            raw,
            record: Record::default(),
            broken: Vec::new(),
            unterminated: None,
        };
        table.read_ahead(problems);
        if let Some(open) = table.unterminated.filter(|u| u.record_line == header_line) {
            report_unterminated(file, &table.header.label, &[], open, problems);
            return None;
        }
        if let Some(reason) = misread_header(&table.raw) {
            problems.push(file, &table.header.label, header_line, 0, reason);
            return None;
        }
        let positions = check_header(
            file,
            &table.header.label,
            columns,
            &table.raw,
            header_line,
            problems,
        )?;
        let mut names: Vec<Option<&str>> = vec![None; table.header_len];
        for (column, &position) in columns.iter().zip(&positions) {
            // 0: an optional column the header leaves out.
            if position > 0 {
                names[position as usize - 1] = Some(column);
            }
        }
        table.header.positions = positions;
        table.names = names;
        Some(table)
    }

    /// Reads the next record into `ahead`; at the end of the file, learns whether a quote
    /// was left open.
    fn read_ahead(&mut self, problems: &mut Problems) {
        match self.reader.read_byte_record(&mut self.ahead) {
            Ok(true) => {
                let start = self.ahead.position().map_or(0, |p| p.byte());
                self.ahead_line = self.seen.borrow_mut().line_of(start);
                self.ahead_state = Ahead::Record;
            }
            Ok(false) => {
                self.unterminated = self.seen.borrow().quotes.finish();
                self.ahead_state = Ahead::End;
            }
            Err(e) => {
                let line = self.seen.borrow_mut().line_of(self.reader.position().byte());
                let reason = format!("cannot read this row: {}", inert(&e.to_string()));
                problems.push(self.header.file, &self.header.label, line, 0, reason);
                self.ahead_state = Ahead::Failed;
            }
        }
    }

    /// The file's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next data row, with its problems as read (field count, line breaks, UTF-8, an
    /// unterminated quote) reported; `None` at the end of the file.
    pub fn next_record(&mut self, problems: &mut Problems) -> Option<(&Header, &Record)> {
        if self.ahead_state != Ahead::Record {
            if let Some(open) = self.unterminated.take() {
                // Not matched to a record (cannot happen while both follow csv-core's
                // rules): it is reported all the same, where it starts.
                report_unterminated(self.header.file, &self.header.label, &self.names, open, problems);
            }
            return None;
        }
        std::mem::swap(&mut self.raw, &mut self.ahead);
        let line = self.ahead_line;
        self.read_ahead(problems);
        let (file, header_len) = (self.header.file, self.header_len);
        let label = &self.header.label;
        let open = match self.ahead_state {
            Ahead::End => self.unterminated.filter(|u| u.record_line == line),
            Ahead::Record | Ahead::Failed => None,
        };
        let record = &self.raw;
        let complete = record.len() == header_len && open.is_none();
        if let Some(open) = open {
            // Its field count and its cells are whatever the open quote swallowed.
            report_unterminated(file, label, &self.names, open, problems);
            self.unterminated = None;
        } else if !complete {
            let reason = format!("row has {} fields, the header has {header_len}", record.len());
            problems.push(file, label, line, 0, reason);
        }
        // A quoted cell that goes on after its closing quote: refused where the quote is,
        // not read as the cell with its quotes dropped.
        let after_closing = self.seen.borrow_mut().quotes.take_after_closing(line);
        for at in after_closing.iter().filter(|_| open.is_none()) {
            report_after_closing_quote(file, label, &self.names, record, *at, problems);
        }
        // Line breaks: refused in single-line columns (each where its cell starts).
        let mut broken = std::mem::take(&mut self.broken);
        broken.clear();
        broken.resize(header_len, false);
        let mut cell_line = line;
        for (i, raw) in record.iter().enumerate() {
            let breaks = line_breaks(raw);
            let name = self.names.get(i).copied().flatten();
            if let (true, None, Some(name)) = (breaks > 0, open, name) {
                if !self.multi_line.contains(&name) {
                    broken[i] = true;
                    let reason = format!(
                        "line break inside {name}, which holds one line: a quote may be unbalanced \
                         (the quoted cell runs on to line {}: '{}')",
                        cell_line + breaks,
                        quoted(&String::from_utf8_lossy(raw))
                    );
                    problems.push(file, label, cell_line, i as u64 + 1, reason);
                }
            }
            cell_line += breaks;
        }
        self.broken = broken;
        let broken = &self.broken;
        let cells = &mut self.record.cells;
        cells.resize(self.header.positions.len(), Cell::Absent);
        for (cell, &position) in cells.iter_mut().zip(&self.header.positions) {
            // An optional column left out of the header: every cell of it is empty.
            if position == 0 {
                cell.set_text("");
                continue;
            }
            match record.get(position as usize - 1) {
                None => *cell = Cell::Absent,
                Some(_) if broken[position as usize - 1] => *cell = Cell::LineBreak,
                Some(raw) => match std::str::from_utf8(raw) {
                    Ok(text) => cell.set_text(text),
                    Err(_) => {
                        if complete {
                            problems.push(file, label, line, position, "not valid UTF-8 (saved in another encoding, e.g. Windows-1252?): save the file as UTF-8 — in Excel: Save As, \"CSV UTF-8 (Comma delimited)\"".to_string());
                        }
                        *cell = Cell::NotUtf8;
                    }
                },
            }
        }
        self.record.line = line;
        self.record.complete = complete;
        Some((&self.header, &self.record))
    }
}

/// Why a header row is not the columns it should be, when the file itself says: it is
/// UTF-16 (a byte-order mark FF FE or FE FF, or a zero byte beside every character), or it
/// is separated by ';' or tabs (the header read as one column holding them). Said once, in
/// place of a message per garbled or missing column. `None`: no such sign.
pub(super) fn misread_header(header: &ByteRecord) -> Option<String> {
    let first = header.get(0).unwrap_or_default();
    let bytes: usize = header.iter().map(<[u8]>::len).sum();
    let zeros: usize = header.iter().map(|f| f.iter().filter(|&&b| b == 0).count()).sum();
    let utf16 = if first.starts_with(b"\xFF\xFE") {
        Some("little-endian, it starts with the byte-order mark FF FE")
    } else if first.starts_with(b"\xFE\xFF") {
        Some("big-endian, it starts with the byte-order mark FE FF")
    } else if bytes >= 4 && zeros * 3 >= bytes {
        Some(if first.first() == Some(&0) {
            "big-endian, a zero byte before every character"
        } else {
            "little-endian, a zero byte after every character"
        })
    } else {
        None
    };
    if let Some(how) = utf16 {
        return Some(format!(
            "not UTF-8: looks like UTF-16 ({how}) — save it as UTF-8 (in Excel: Save As, \"CSV UTF-8 \
             (Comma delimited)\")"
        ));
    }
    if header.len() != 1 {
        return None;
    }
    let count = |b: u8| first.iter().filter(|&&c| c == b).count();
    let (semicolons, tabs) = (count(b';'), count(b'\t'));
    let by = match (semicolons, tabs) {
        (0, 0) => return None,
        (s, t) if s >= t => "';'",
        _ => "tabs",
    };
    Some(format!(
        "the header was read as one column '{}': this file is separated by {by}, closedesk reads ',' — \
         export or save it comma-separated",
        quoted(&String::from_utf8_lossy(first))
    ))
}

/// Matches the header against the documented columns (any order). Returns each documented
/// column's 1-based position, or `None` after reporting every unknown, repeated or missing
/// column.
fn check_header(
    file: usize,
    label: &str,
    columns: &[&str],
    header: &ByteRecord,
    line: u64,
    problems: &mut Problems,
) -> Option<Vec<u64>> {
    let mut positions: Vec<u64> = vec![0; columns.len()];
    let mut ok = true;
    for (i, raw) in header.iter().enumerate() {
        let position = i as u64 + 1;
        let Ok(name) = std::str::from_utf8(raw) else {
            problems.push(file, label, line, position, "not valid UTF-8 (saved in another encoding, e.g. Windows-1252?): save the file as UTF-8 — in Excel: Save As, \"CSV UTF-8 (Comma delimited)\"".to_string());
            ok = false;
            continue;
        };
        match columns.iter().position(|c| *c == name) {
            Some(index) if positions[index] == 0 => positions[index] = position,
            Some(index) => {
                let reason = format!(
                    "duplicate column '{}' (also column {})",
                    quoted(name),
                    positions[index]
                );
                problems.push(file, label, line, position, reason);
                ok = false;
            }
            None if name.trim().is_empty() => {
                // Excel's trailing empty column: every line ends with a comma.
                let reason = "empty header cell (a comma at the end of every line?): delete the empty column"
                    .to_string();
                problems.push(file, label, line, position, reason);
                ok = false;
            }
            None => {
                let reason = format!(
                    "unknown column '{}' (expected one of {})",
                    quoted(name),
                    columns.join(", ")
                );
                problems.push(file, label, line, position, reason);
                ok = false;
            }
        }
    }
    for (index, column) in columns.iter().enumerate() {
        let optional = super::FILES
            .get(file)
            .is_some_and(|(name, _)| super::OPTIONAL_COLUMNS.contains(&(*name, *column)));
        if positions[index] == 0 && !optional {
            problems.push(file, label, line, 0, format!("missing column '{column}'"));
            ok = false;
        }
    }
    ok.then_some(positions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Skipping the runs of ordinary bytes leaves `Seen` exactly as stepping through
        /// every byte does, however the bytes arrive in buffers.
        #[test]
        fn feeding_skips_nothing_that_counts(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'7'), Just(b','), Just(b'"'), Just(b'\r'), Just(b'\n')],
                0..200,
            ),
            cut in 0usize..200,
        ) {
            let mut each = Seen::new();
            for &b in &bytes {
                if b == b'\r' || b == b'\n' {
                    let counts = b == b'\r' || !each.previous_cr;
                    each.terminators.push_back((each.offset, counts));
                }
                each.previous_cr = b == b'\r';
                each.quotes.step(b);
                each.offset += 1;
            }
            let mut fed = Seen::new();
            let (first, second) = bytes.split_at(cut.min(bytes.len()));
            fed.feed(first);
            fed.feed(second);
            prop_assert_eq!(fed, each);
        }
    }

    const COLUMNS: &[&str] = &["id", "name", "kind"];

    /// Every record of one file, as read.
    struct Table {
        positions: Vec<u64>,
        records: Vec<Record>,
    }

    fn read(bytes: &'static [u8]) -> (Option<Table>, Vec<String>) {
        let mut problems = Problems::default();
        let reader = TableReader::new(
            2,
            COLUMNS,
            &["name"],
            Box::new(bytes),
            "a.csv".into(),
            &mut problems,
        );
        let table = reader.map(|mut reader| {
            let positions = reader.header().positions.clone();
            let mut records = Vec::new();
            while let Some((_, r)) = reader.next_record(&mut problems) {
                records.push(Record {
                    line: r.line,
                    cells: r.cells.clone(),
                    complete: r.complete,
                });
            }
            Table { positions, records }
        });
        (table, problems.lines())
    }

    /// Reads `bytes`, checking that it reports exactly `expected`; what it read.
    fn read_reporting(bytes: &'static [u8], expected: &[&str]) -> Option<Table> {
        let (table, problems) = read(bytes);
        assert_eq!(problems, expected);
        table
    }

    fn texts(table: &Table) -> Vec<(u64, Vec<Cell>)> {
        table.records.iter().map(|r| (r.line, r.cells.clone())).collect()
    }

    fn t(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    #[test]
    fn reorders_columns_and_strips_the_bom() {
        let table = read_reporting(
            b"\xEF\xBB\xBFkind,id,name\r\ncustomer,A-1,\"Acme, Inc.\"\r\n",
            &[],
        )
        .unwrap();
        assert_eq!(table.positions, vec![2, 3, 1]);
        assert_eq!(
            texts(&table),
            vec![(2, vec![t("A-1"), t("Acme, Inc."), t("customer")])]
        );
    }

    #[test]
    fn lines_count_blank_lines_and_quoted_newlines() {
        let table = read_reporting(b"id,name,kind\n\nA,\"two\nlines\",x\r\n\r\nB,b,y", &[]);
        let lines: Vec<u64> = table.unwrap().records.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 6]);
    }

    /// A quoted cell that goes on after its closing quote was read with its quotes dropped
    /// (`"North" Clinics` as `North Clinics`): it is refused at the line and column of the
    /// quote, in a row of a multi-line record too; a quote inside an unquoted cell, and a
    /// quote written twice in a quoted one, are the cell's own and read as they stand.
    #[test]
    fn text_after_a_closing_quote_is_refused_where_it_is() {
        let table = read_reporting(
            b"id,name,kind\nA,\"North\" Clinics,x\nB,\"two\nlines\"s,y\nC,6\" pipe,z\nD,\"\"\"North\"\" Clinics\",w\n",
            &[
                "a.csv:2:2: text after a closing quote in name: the cell would read 'North Clinics', its \
                 quotes dropped; to keep a quote in a cell, quote the whole cell and write the quote \
                 twice (\"\"\"North\"\" Clinics\" reads \"North\" Clinics)",
                "a.csv:4:2: text after a closing quote in name: the cell would read 'two\\nliness', its \
                 quotes dropped; to keep a quote in a cell, quote the whole cell and write the quote \
                 twice (\"\"\"North\"\" Clinics\" reads \"North\" Clinics)",
            ],
        )
        .unwrap();
        let names: Vec<Cell> = table.records.iter().map(|r| r.cells[1].clone()).collect();
        assert_eq!(names[2], t("6\" pipe"));
        assert_eq!(names[3], t("\"North\" Clinics"));
    }

    #[test]
    fn reports_bad_header_and_skips_rows() {
        let table = read_reporting(
            b"id,nme,id\nA,b,c\n",
            &[
                "a.csv:1:2: unknown column 'nme' (expected one of id, name, kind)",
                "a.csv:1:3: duplicate column 'id' (also column 1)",
                "a.csv:1: missing column 'name'",
                "a.csv:1: missing column 'kind'",
            ],
        );
        assert!(table.is_none());
    }

    /// A header name is quoted as a cell is, cut at its shown length: a 10 MB column name
    /// was printed whole, ten million bytes on the terminal.
    #[test]
    fn a_huge_header_name_is_cut_where_it_is_quoted() {
        let mut bytes = b"id,name,kind,".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 100_000));
        bytes.extend_from_slice(b"\nA,b,c,d\n");
        let bytes: &'static [u8] = bytes.leak();
        let (_, all) = read(bytes);
        let shown = &all[0];
        assert!(shown.starts_with("a.csv:1:4: unknown column 'xxxx"), "{shown}");
        assert!(shown.contains("…' (expected one of"), "{shown}");
        assert!(shown.len() < 400, "{} bytes", shown.len());
    }

    /// A UTF-16 file, or one separated by ';' or tabs, gave one "unknown column" per garbled
    /// name and a "missing column" per documented one: it is named once, with the fix.
    #[test]
    fn a_utf16_or_semicolon_file_is_named_once_with_the_fix() {
        read_reporting(
            b"\xFF\xFEi\x00d\x00,\x00n\x00a\x00m\x00e\x00,\x00k\x00i\x00n\x00d\x00\n\x00",
            &["a.csv:1: not UTF-8: looks like UTF-16 (little-endian, it starts with the byte-order mark FF FE) \
               — save it as UTF-8 (in Excel: Save As, \"CSV UTF-8 (Comma delimited)\")"],
        );
        read_reporting(
            b"\x00i\x00d\x00,\x00n\x00a\x00m\x00e\x00,\x00k\x00i\x00n\x00d\x00\n",
            &[
                "a.csv:1: not UTF-8: looks like UTF-16 (big-endian, a zero byte before every character) \
               — save it as UTF-8 (in Excel: Save As, \"CSV UTF-8 (Comma delimited)\")",
            ],
        );
        read_reporting(
            b"id;name;kind\nA;b;c\n",
            &[
                "a.csv:1: the header was read as one column 'id;name;kind': this file is separated by ';', \
               closedesk reads ',' — export or save it comma-separated",
            ],
        );
        read_reporting(
            b"id\tname\tkind\nA\tb\tc\n",
            &["a.csv:1: the header was read as one column 'id\\tname\\tkind': this file is separated by tabs, \
               closedesk reads ',' — export or save it comma-separated"],
        );
    }

    #[test]
    fn reports_field_count_and_utf8_per_field() {
        let table = read_reporting(
            b"id,name,kind\nA,b\nB,\xff\xfe,c\n",
            &[
                "a.csv:2: row has 2 fields, the header has 3",
                "a.csv:3:2: not valid UTF-8 (saved in another encoding, e.g. Windows-1252?): save the file \
                 as UTF-8 — in Excel: Save As, \"CSV UTF-8 (Comma delimited)\"",
            ],
        )
        .unwrap();
        assert!(!table.records[0].complete);
        assert_eq!(table.records[0].cells, vec![t("A"), t("b"), Cell::Absent]);
        assert_eq!(table.records[1].cells[1], Cell::NotUtf8);
    }

    #[test]
    fn empty_file_is_reported() {
        let table = read_reporting(
            b"",
            &["a.csv: empty file (expected the header row: id,name,kind)"],
        );
        assert!(table.is_none());
    }

    #[test]
    fn a_line_break_outside_a_multi_line_column_is_refused_where_its_cell_starts() {
        // A stray quote in kind (line 3) swallows line 4 up to the next stray quote.
        let table = read_reporting(
            b"id,name,kind\nA,\"one\ntwo\",x\nB,b,\"y\nC,c,z\"\nD,d,w\n",
            &[
                "a.csv:4:3: line break inside kind, which holds one line: a quote may be unbalanced \
               (the quoted cell runs on to line 5: 'y\\nC,c,z')",
            ],
        )
        .unwrap();
        let lines: Vec<u64> = table.records.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 4, 6]);
        assert_eq!(table.records[0].cells[1], t("one\ntwo"), "name may hold lines");
        assert_eq!(table.records[1].cells, vec![t("B"), t("b"), Cell::LineBreak]);
    }

    #[test]
    fn the_line_of_a_broken_cell_counts_the_lines_of_the_cells_before_it() {
        let (_, problems) = read(b"name,id,kind\n\"two\r\nlines\",\"A\rB\",x\n");
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("a.csv:3:2: line break inside id,"),
            "{problems:?}"
        );
        assert!(problems[0].contains("runs on to line 4: 'A\\rB'"), "{problems:?}");
    }

    #[test]
    fn an_unterminated_quote_is_named_at_the_line_its_cell_starts() {
        let table = read_reporting(
            b"id,name,kind\nA,a,x\nB,\"b,y\nC,c,z\n",
            &[
                "a.csv:3:2: unterminated quote in name: the quoted cell that starts here has no \
               closing quote, so every line to the end of the file was read into it",
            ],
        )
        .unwrap();
        assert!(table.records[0].complete);
        assert!(!table.records[1].complete, "never imported");
        assert_eq!(table.records[1].cells[0], t("B"), "its id is still known");

        // In the header row, the file is unusable.
        let (table, problems) = read(b"id,\"name,kind\nA,a,x\n");
        assert!(table.is_none());
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("a.csv:1: unterminated quote: "),
            "{problems:?}"
        );
    }

    #[test]
    fn a_file_is_read_as_it_streams_in() {
        // The first record comes out before the rest of the file was read: a source that
        // fails after the first rows still yields them.
        struct Failing(&'static [u8]);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::other("disk gone"));
                }
                let n = self.0.len().min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut problems = Problems::default();
        let bytes: Box<dyn Read> = Box::new(Failing(b"id,name,kind\nA,a,x\nB,b,y\n"));
        let mut reader =
            TableReader::new(2, COLUMNS, &["name"], bytes, "a.csv".into(), &mut problems).unwrap();
        let mut lines = Vec::new();
        while let Some((_, record)) = reader.next_record(&mut problems) {
            lines.push(record.line);
        }
        assert_eq!(lines, vec![2, 3]);
        assert_eq!(problems.lines(), vec!["a.csv:4: cannot read this row: disk gone"]);
    }

    #[test]
    fn a_bom_and_crlf_split_across_reads_are_read_as_one() {
        let table = read_reporting(
            b"\xEF\xBB\xBFid,name,kind\r\nA,a,x\r\n\r\nB,\"b\r\nc\",y\rC,c,z",
            &[],
        );
        let lines: Vec<u64> = table.unwrap().records.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 4, 6]);
    }

    #[test]
    fn quotes_that_close_are_not_unterminated() {
        for (bytes, expected) in [
            (&b"a,\"b\"\"c\"\n"[..], None),
            (b"a,\"b\"\"\n", Some((1, 1, 2))),
            (b"a,b\"c\n", None),
            (b"a,\"b\"c\"d\n", None),
            (b"a,\"b\"\"\"\n", None),
            (b"\n\r\n\"a\r\nb", Some((3, 3, 1))),
            (b"x\ry,\"", Some((2, 2, 2))),
        ] {
            let found = unterminated_quote(bytes).map(|u| (u.record_line, u.line, u.field));
            assert_eq!(found, expected, "{:?}", String::from_utf8_lossy(bytes));
        }
    }
}
