//! One CSV file's bytes → its header checked against the documented columns, and raw
//! records whose cells are in documented column order.

use csv::{ByteRecord, ReaderBuilder};

use super::cells::Problems;
use crate::text::inert;

/// One cell as read, before any parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Cell {
    Text(String),
    /// Not valid UTF-8 (already reported).
    NotUtf8,
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

/// Reads one file. Returns `None` when the file cannot be used at all (empty, or its
/// header is wrong); every problem found is reported.
pub(super) fn read_table(
    file: usize,
    columns: &'static [&'static str],
    bytes: &[u8],
    label: String,
    problems: &mut Problems,
) -> Option<Table> {
    // csv-core strips a BOM too, but only when it arrives in one buffer: do it here.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
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
    let positions = check_header(file, &label, columns, &record, header_line, problems)?;
    let header_len = record.len();

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
        let complete = record.len() == header_len;
        if !complete {
            let reason = format!("row has {} fields, the header has {header_len}", record.len());
            problems.push(file, &label, line, 0, reason);
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
        let table = read_table(2, COLUMNS, bytes, "a.csv".into(), &mut problems);
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
}
