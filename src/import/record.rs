//! The shape of one file as read: its header matched to the documented columns, and one
//! data row at a time. Produced by `csvfile`, consumed by `cells` and `tables`; it knows
//! neither how bytes are read nor how a cell is parsed.

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

impl Cell {
    /// Makes this cell `Text(text)`, reusing its buffer when it already holds text.
    pub fn set_text(&mut self, text: &str) {
        match self {
            Cell::Text(buffer) => {
                buffer.clear();
                buffer.push_str(text);
            }
            other => *other = Cell::Text(text.to_string()),
        }
    }

    /// The text of a readable cell.
    pub fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(text) => Some(text),
            Cell::NotUtf8 | Cell::LineBreak | Cell::Absent => None,
        }
    }
}

/// One data row.
#[derive(Debug, Default)]
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
pub(super) struct Header {
    /// Index into [`super::FILES`].
    pub file: usize,
    /// The file as shown in problems.
    pub label: String,
    /// The documented columns.
    pub columns: &'static [&'static str],
    /// For each documented column, its 1-based position in this file's header (0: an
    /// optional column the header leaves out).
    pub positions: Vec<u64>,
}

impl Header {
    /// The index of a documented column. Column names are constants of this module, so an
    /// unknown name is a programming error.
    pub fn index(&self, column: &str) -> usize {
        self.columns
            .iter()
            .position(|c| *c == column)
            .unwrap_or_else(|| panic!("no column {column} in {}", self.label))
    }
}
