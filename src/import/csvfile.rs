//! One CSV file's bytes → its header checked against the documented columns, and raw
//! records whose cells are in documented column order.

use csv::{ByteRecord, ReaderBuilder};

use super::cells::{quoted, Problems};
use crate::text::inert;

/// One cell as read, before any parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Cell {
    Text(String),
    /// Not valid UTF-8 (already reported).
    NotUtf8,
    /// A line break in a single-line column (already reported).
    LineBreak,
    /// The row is too short to have this cell (already reported).
    Absent,
}

/// One data row.
#[derive(Debug)]
pub(super) struct Record {
    /// 1-based line the row starts on.
    pub line: u64,
    /// One cell per documented column, in documented order.
    pub cells: Vec<Cell>,
    /// False when the row has the wrong number of fields (already reported): its cells are
    /// used only to learn the ids it probably holds, never imported.
    pub complete: bool,
}

/// One file whose header is right.
#[derive(Debug)]
pub(super) struct Table {
    /// Index into [`super::FILES`].
    pub file: usize,
    /// The file as shown in problems.
    pub label: String,
    /// The documented columns.
    pub columns: &'static [&'static str],
    /// For each documented column, its 1-based position in this file's header.
    pub positions: Vec<u64>,
    pub records: Vec<Record>,
}

impl Table {
    /// The index of a documented column. Column names are constants of this module, so an
    /// unknown name is a programming error.
    pub fn index(&self, column: &str) -> usize {
        self.columns
            .iter()
            .position(|c| *c == column)
            .unwrap_or_else(|| panic!("no column {column} in {}", self.label))
    }
}

/// Counts lines as the CSV reader moves forward, so each record gets the line it starts on.
struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record that the reader found at or after byte `start` (it skips
    /// empty lines before a record).
    fn line_of(&mut self, start: u64) -> u64 {
        let mut start = usize::try_from(start)
            .unwrap_or(self.bytes.len())
            .min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        while self.offset < start {
            match self.bytes[self.offset] {
                b'\n' => self.line += 1,
                b'\r' if self.bytes.get(self.offset + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
            self.offset += 1;
        }
        self.line
    }
}

/// The number of line breaks in `bytes`, counted as [`Lines`] counts them (`\r\n` is one).
fn line_breaks(bytes: &[u8]) -> u64 {
    let mut breaks = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            breaks += 1;
        }
    }
    breaks
}

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

/// Finds a quote opened and never closed, by the rules the CSV reader follows (csv-core's
/// defaults): a quote opens a quoted cell only as the first character of a field, `""`
/// inside one is a quote, any other quote closes it; `\r`, `\n` and `\r\n` end a record
/// outside quotes. The reader itself accepts such a file: the open cell silently takes
/// every line up to the end of the file.
fn unterminated_quote(bytes: &[u8]) -> Option<Unterminated> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut between_records = true;
    let (mut line, mut record_line, mut field) = (1, 1, 1);
    let mut open = Unterminated {
        record_line: 0,
        line: 0,
        field: 0,
    };
    for (i, &b) in bytes.iter().enumerate() {
        let mut start_record = || {
            if between_records {
                between_records = false;
                record_line = line;
                field = 1;
            }
        };
        state = match (state, b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, b'\r' | b'\n') => {
                between_records = true;
                State::FieldStart
            }
            (_, b',') => {
                start_record();
                field += 1;
                State::FieldStart
            }
            (State::FieldStart, b'"') => {
                start_record();
                open = Unterminated {
                    record_line,
                    line,
                    field,
                };
                State::Quoted
            }
            _ => {
                start_record();
                State::Unquoted
            }
        };
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            line += 1;
        }
    }
    (state == State::Quoted).then_some(open)
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

/// Reads one file. Returns `None` when the file cannot be used at all (empty, or its
/// header is wrong); every problem found is reported. A line break is refused in every
/// column but those in `multi_line` (free text that may hold several lines).
pub(super) fn read_table(
    file: usize,
    columns: &'static [&'static str],
    multi_line: &[&str],
    bytes: &[u8],
    label: String,
    problems: &mut Problems,
) -> Option<Table> {
    // csv-core strips a BOM too, but only when it arrives in one buffer: do it here.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut unterminated = unterminated_quote(bytes);
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut lines = Lines::new(bytes);
    let mut record = ByteRecord::new();

    let header_line = match reader.read_byte_record(&mut record) {
        Ok(true) => lines.line_of(record.position().map_or(0, |p| p.byte())),
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
    if let Some(open) = unterminated.filter(|u| u.record_line == header_line) {
        report_unterminated(file, &label, &[], open, problems);
        return None;
    }
    let positions = check_header(file, &label, columns, &record, header_line, problems)?;
    let header_len = record.len();
    // The documented column at each position of the header.
    let mut names: Vec<Option<&str>> = vec![None; header_len];
    for (column, &position) in columns.iter().zip(&positions) {
        // 0: an optional column the header leaves out.
        if position > 0 {
            names[position as usize - 1] = Some(column);
        }
    }

    let mut records = Vec::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = lines.line_of(reader.position().byte());
                let reason = format!("cannot read this row: {}", inert(&e.to_string()));
                problems.push(file, &label, line, 0, reason);
                return None;
            }
        }
        let line = lines.line_of(record.position().map_or(0, |p| p.byte()));
        let open = unterminated.filter(|u| u.record_line == line);
        let complete = record.len() == header_len && open.is_none();
        if let Some(open) = open {
            // Its field count and its cells are whatever the open quote swallowed.
            report_unterminated(file, &label, &names, open, problems);
            unterminated = None;
        } else if !complete {
            let reason = format!("row has {} fields, the header has {header_len}", record.len());
            problems.push(file, &label, line, 0, reason);
        }
        // Line breaks: refused in single-line columns (each where its cell starts).
        let mut broken = vec![false; header_len];
        let mut cell_line = line;
        for (i, raw) in record.iter().enumerate() {
            let breaks = line_breaks(raw);
            let name = names.get(i).copied().flatten();
            if let (true, None, Some(name)) = (breaks > 0, open, name) {
                if !multi_line.contains(&name) {
                    broken[i] = true;
                    let reason = format!(
                        "line break inside {name}, which holds one line: a quote may be unbalanced \
                         (the quoted cell runs on to line {}: '{}')",
                        cell_line + breaks,
                        quoted(&String::from_utf8_lossy(raw))
                    );
                    problems.push(file, &label, cell_line, i as u64 + 1, reason);
                }
            }
            cell_line += breaks;
        }
        let mut cells = Vec::with_capacity(columns.len());
        for &position in &positions {
            // An optional column left out of the header: every cell of it is empty.
            if position == 0 {
                cells.push(Cell::Text(String::new()));
                continue;
            }
            let cell = match record.get(position as usize - 1) {
                None => Cell::Absent,
                Some(_) if broken[position as usize - 1] => Cell::LineBreak,
                Some(raw) => match std::str::from_utf8(raw) {
                    Ok(text) => Cell::Text(text.to_string()),
                    Err(_) => {
                        if complete {
                            problems.push(file, &label, line, position, "not valid UTF-8".to_string());
                        }
                        Cell::NotUtf8
                    }
                },
            };
            cells.push(cell);
        }
        records.push(Record {
            line,
            cells,
            complete,
        });
    }
    if let Some(open) = unterminated {
        // Not matched to a record (cannot happen while both follow csv-core's rules): it
        // is reported all the same, where it starts.
        report_unterminated(file, &label, &names, open, problems);
    }
    Some(Table {
        file,
        label,
        columns,
        positions,
        records,
    })
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
            problems.push(file, label, line, position, "not valid UTF-8".to_string());
            ok = false;
            continue;
        };
        match columns.iter().position(|c| *c == name) {
            Some(index) if positions[index] == 0 => positions[index] = position,
            Some(index) => {
                let reason = format!(
                    "duplicate column '{}' (also column {})",
                    inert(name),
                    positions[index]
                );
                problems.push(file, label, line, position, reason);
                ok = false;
            }
            None => {
                let reason = format!(
                    "unknown column '{}' (expected one of {})",
                    inert(name),
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

    const COLUMNS: &[&str] = &["id", "name", "kind"];

    fn read(bytes: &[u8]) -> (Option<Table>, Vec<String>) {
        let mut problems = Problems::default();
        let table = read_table(2, COLUMNS, &["name"], bytes, "a.csv".into(), &mut problems);
        (table, problems.lines())
    }

    fn texts(table: &Table) -> Vec<(u64, Vec<Cell>)> {
        table.records.iter().map(|r| (r.line, r.cells.clone())).collect()
    }

    fn t(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    #[test]
    fn reorders_columns_and_strips_the_bom() {
        let (table, problems) = read(b"\xEF\xBB\xBFkind,id,name\r\ncustomer,A-1,\"Acme, Inc.\"\r\n");
        assert_eq!(problems, Vec::<String>::new());
        let table = table.unwrap();
        assert_eq!(table.positions, vec![2, 3, 1]);
        assert_eq!(
            texts(&table),
            vec![(2, vec![t("A-1"), t("Acme, Inc."), t("customer")])]
        );
    }

    #[test]
    fn lines_count_blank_lines_and_quoted_newlines() {
        let (table, problems) = read(b"id,name,kind\n\nA,\"two\nlines\",x\r\n\r\nB,b,y");
        assert_eq!(problems, Vec::<String>::new());
        let lines: Vec<u64> = table.unwrap().records.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 6]);
    }

    #[test]
    fn reports_bad_header_and_skips_rows() {
        let (table, problems) = read(b"id,nme,id\nA,b,c\n");
        assert!(table.is_none());
        assert_eq!(
            problems,
            vec![
                "a.csv:1:2: unknown column 'nme' (expected one of id, name, kind)",
                "a.csv:1:3: duplicate column 'id' (also column 1)",
                "a.csv:1: missing column 'name'",
                "a.csv:1: missing column 'kind'",
            ]
        );
    }

    #[test]
    fn reports_field_count_and_utf8_per_field() {
        let (table, problems) = read(b"id,name,kind\nA,b\nB,\xff\xfe,c\n");
        assert_eq!(
            problems,
            vec![
                "a.csv:2: row has 2 fields, the header has 3",
                "a.csv:3:2: not valid UTF-8"
            ]
        );
        let table = table.unwrap();
        assert!(!table.records[0].complete);
        assert_eq!(table.records[0].cells, vec![t("A"), t("b"), Cell::Absent]);
        assert_eq!(table.records[1].cells[1], Cell::NotUtf8);
    }

    #[test]
    fn empty_file_is_reported() {
        let (table, problems) = read(b"");
        assert!(table.is_none());
        assert_eq!(
            problems,
            vec!["a.csv: empty file (expected the header row: id,name,kind)"]
        );
    }

    #[test]
    fn a_line_break_outside_a_multi_line_column_is_refused_where_its_cell_starts() {
        // A stray quote in kind (line 3) swallows line 4 up to the next stray quote.
        let (table, problems) = read(b"id,name,kind\nA,\"one\ntwo\",x\nB,b,\"y\nC,c,z\"\nD,d,w\n");
        assert_eq!(
            problems,
            vec![
                "a.csv:4:3: line break inside kind, which holds one line: a quote may be unbalanced \
                  (the quoted cell runs on to line 5: 'y\\nC,c,z')"
            ]
        );
        let table = table.unwrap();
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
        let (table, problems) = read(b"id,name,kind\nA,a,x\nB,\"b,y\nC,c,z\n");
        assert_eq!(
            problems,
            vec![
                "a.csv:3:2: unterminated quote in name: the quoted cell that starts here has no \
                  closing quote, so every line to the end of the file was read into it"
            ]
        );
        let table = table.unwrap();
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
