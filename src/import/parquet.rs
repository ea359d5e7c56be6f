//! Usage as Parquet files (docs/usage-parquet.md): a file whose rows are read row group by
//! row group and handed on as the same [`Record`]s a CSV file gives, so that every row goes
//! through the very same row rules (`tables`) — no rule is written twice.
//!
//! Each value is turned into the text the CSV cell would hold: a string as it is, an
//! integer in decimal, a `DECIMAL(p, s)` with its `s` decimals, an `INT64` amount in minor
//! units with the period currency's decimals, a `TIMESTAMP` as `YYYY-MM-DDTHH:MM:SSZ`, a `DATE` as
//! `YYYY-MM-DD`, a null as an empty cell. The schema is checked once, before any row: a
//! missing, unknown, repeated or mistyped column refuses the file, naming the column.
//!
//! A problem in such a file is shown as `usage_events.parquet:row N:column: reason` (row
//! numbers are 1-based over the whole file, across row groups).

use std::fs::File;

use parquet::basic::{ConvertedType, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::reader::RowIter;
use parquet::record::Field;

use super::cells::Problems;
use super::record::{Cell, Header, Record};
use crate::money::Money;
use crate::text::inert;

/// What a column holds, as the Parquet schema must give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// `BYTE_ARRAY` annotated `UTF8` (`STRING`).
    Text,
    /// `INT64` or `INT32`, no annotation but a signed integer one.
    Integer,
    /// `INT64` in the currency's minor units, or `DECIMAL(p, s)`.
    Amount,
    /// `INT64` in minor units only (the aggregate's sums).
    MinorUnits,
    /// `TIMESTAMP(MILLIS|MICROS)` adjusted to UTC, or a `UTF8` string as in the CSV.
    Timestamp,
    /// `DATE`, or a `UTF8` string `YYYY-MM-DD`.
    Date,
}

impl Expect {
    fn described(self) -> &'static str {
        match self {
            Expect::Text => "a UTF8 string (BYTE_ARRAY annotated STRING)",
            Expect::Integer => "an integer (INT64 or INT32)",
            Expect::Amount => "an amount (INT64 minor units or DECIMAL)",
            Expect::MinorUnits => "an amount in minor units (INT64)",
            Expect::Timestamp => "a timestamp (TIMESTAMP MILLIS or MICROS, UTC) or a UTF8 string",
            Expect::Date => "a date (DATE) or a UTF8 string",
        }
    }

    /// How a column of this physical and converted type is read, when it fits.
    fn reads(self, physical: Physical, converted: ConvertedType) -> bool {
        let text = physical == Physical::BYTE_ARRAY && converted == ConvertedType::UTF8;
        let int = |c: ConvertedType| {
            matches!(
                (physical, c),
                (Physical::INT64, ConvertedType::NONE | ConvertedType::INT_64)
                    | (Physical::INT32, ConvertedType::NONE | ConvertedType::INT_32)
            )
        };
        match self {
            Expect::Text => text,
            Expect::Integer => int(converted),
            Expect::Amount => {
                converted == ConvertedType::DECIMAL
                    || matches!(
                        (physical, converted),
                        (Physical::INT64, ConvertedType::NONE | ConvertedType::INT_64)
                    )
            }
            Expect::MinorUnits => matches!(
                (physical, converted),
                (Physical::INT64, ConvertedType::NONE | ConvertedType::INT_64)
            ),
            Expect::Timestamp => {
                text || (physical == Physical::INT64
                    && matches!(
                        converted,
                        ConvertedType::TIMESTAMP_MILLIS | ConvertedType::TIMESTAMP_MICROS
                    ))
            }
            Expect::Date => text || (physical == Physical::INT32 && converted == ConvertedType::DATE),
        }
    }
}

/// The expected type of each column of `usage_events.parquet`, in the documented order of
/// `usage_events.csv`.
pub const USAGE_EVENTS: &[(&str, Expect)] = &[
    ("id", Expect::Text),
    ("account_id", Expect::Text),
    ("kind", Expect::Text),
    ("occurred_at", Expect::Timestamp),
    ("units", Expect::Integer),
    ("rated_amount", Expect::Amount),
    ("state", Expect::Text),
    ("invoice_line_id", Expect::Text),
    ("reprocessed_at", Expect::Timestamp),
];

/// `usage_daily.parquet`: one row per account, day, kind, state and billed line (or none),
/// with the sums of the raw events behind it (docs/usage-parquet.md).
pub const USAGE_DAILY: &[(&str, Expect)] = &[
    ("account_id", Expect::Text),
    ("day", Expect::Date),
    ("kind", Expect::Text),
    ("state", Expect::Text),
    ("invoice_line_id", Expect::Text),
    ("units", Expect::Integer),
    ("rated_amount", Expect::MinorUnits),
    ("event_count", Expect::Integer),
];

/// `usage_control.parquet`: one row, the count and sums of the raw events the aggregate was
/// made from, computed by the warehouse apart from the aggregate.
pub const USAGE_CONTROL: &[(&str, Expect)] = &[
    ("event_count", Expect::Integer),
    ("units", Expect::Integer),
    ("rated_amount", Expect::MinorUnits),
];

/// The column names of [`USAGE_DAILY`] and [`USAGE_CONTROL`], in their order.
pub const USAGE_DAILY_COLUMNS: &[&str] = &names::<{ USAGE_DAILY.len() }>(USAGE_DAILY);
pub const USAGE_CONTROL_COLUMNS: &[&str] = &names::<{ USAGE_CONTROL.len() }>(USAGE_CONTROL);

/// The names of the `N` columns of `spec`, in its order.
const fn names<const N: usize>(spec: &[(&'static str, Expect)]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = spec[i].0;
        i += 1;
    }
    out
}

/// The documented column names of the Parquet file shown as `label`, when it is one.
fn columns_of(label: &str) -> Option<Vec<&'static str>> {
    let name = label.rsplit(['/', '\\']).next().unwrap_or(label);
    let spec = match name {
        "usage_events.parquet" => USAGE_EVENTS,
        "usage_daily.parquet" => USAGE_DAILY,
        "usage_control.parquet" => USAGE_CONTROL,
        _ => return None,
    };
    Some(spec.iter().map(|(name, _)| *name).collect())
}

/// How a problem in a Parquet file is printed: `file:row N:column: reason` (the row or
/// column left out when there is none); `None` when `file` is not a Parquet file.
pub(super) fn located(file: &str, line: u64, column: u64, reason: &str) -> Option<String> {
    let columns = columns_of(file)?;
    let column = (column as usize)
        .checked_sub(1)
        .and_then(|at| columns.get(at))
        .copied();
    Some(match (line, column) {
        (0, None) => format!("{file}: {reason}"),
        (0, Some(column)) => format!("{file}:{column}: {reason}"),
        (row, None) => format!("{file}:row {row}: {reason}"),
        (row, Some(column)) => format!("{file}:row {row}:{column}: {reason}"),
    })
}

/// One Parquet file, read row by row, as [`Record`]s in the documented column order.
pub(super) struct ParquetTable {
    rows: RowIter<'static>,
    header: Header,
    spec: &'static [(&'static str, Expect)],
    /// For each column of the file, in file order, its documented index.
    order: Vec<usize>,
    record: Record,
    failed: bool,
    /// The period currency's decimals: an `INT64` amount in minor units is written as the
    /// text of that many decimals (`1250` is `12.50` in USD, `1250` in JPY).
    decimals: u32,
}

/// The name of a codec closedesk's build cannot read (it reads Snappy and uncompressed
/// pages only), or `None`.
fn unread_codec(codec: parquet::basic::Compression) -> Option<&'static str> {
    use parquet::basic::Compression::*;
    match codec {
        UNCOMPRESSED | SNAPPY => None,
        GZIP(_) => Some("GZIP"),
        LZO => Some("LZO"),
        BROTLI(_) => Some("Brotli"),
        LZ4 | LZ4_RAW => Some("LZ4"),
        ZSTD(_) => Some("ZSTD"),
    }
}

impl ParquetTable {
    /// Opens `file` and checks its schema against `spec`. `None` when the file cannot be
    /// used (not Parquet, a column missing, unknown, repeated or of the wrong type); every
    /// problem is reported.
    pub fn new(
        index: usize,
        columns: &'static [&'static str],
        spec: &'static [(&'static str, Expect)],
        file: File,
        label: String,
        problems: &mut Problems,
    ) -> Option<ParquetTable> {
        let reader = match SerializedFileReader::new(file) {
            Ok(reader) => reader,
            Err(e) => {
                let reason = format!("not a readable Parquet file: {}", inert(&e.to_string()));
                problems.push(index, &label, 0, 0, reason);
                return None;
            }
        };
        // A codec the build does not read fails at the first row as "Disabled feature at
        // compile time": named once, from the metadata, with the fix.
        let codec = reader
            .metadata()
            .row_groups()
            .iter()
            .flat_map(|group| group.columns())
            .find_map(|column| unread_codec(column.compression()));
        if let Some(codec) = codec {
            let reason = format!(
                "compressed with {codec}, which closedesk does not read: write it with Snappy (docs/usage-parquet.md)"
            );
            problems.push(index, &label, 0, 0, reason);
            return None;
        }
        let position = |name: &str| spec.iter().position(|(c, _)| *c == name);
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        let mut order = Vec::new();
        let mut found = vec![false; spec.len()];
        let mut ok = true;
        for field in schema.root_schema().get_fields() {
            let name = field.name();
            let Some(at) = position(name) else {
                let reason = format!(
                    "unknown column '{}' (expected exactly: {})",
                    inert(name),
                    columns.join(", ")
                );
                problems.push(index, &label, 0, 0, reason);
                ok = false;
                continue;
            };
            let expect = spec[at].1;
            if found[at] {
                problems.push(index, &label, 0, at as u64 + 1, "column given twice".into());
                ok = false;
                continue;
            }
            found[at] = true;
            order.push(at);
            let fits = field.is_primitive()
                && field.get_basic_info().repetition() != parquet::basic::Repetition::REPEATED
                && expect.reads(field.get_physical_type(), field.get_basic_info().converted_type());
            if !fits {
                let given = if field.is_primitive() {
                    format!(
                        "{} ({})",
                        field.get_physical_type(),
                        field.get_basic_info().converted_type()
                    )
                } else {
                    "a group".to_string()
                };
                let reason = format!("wrong type {given}: expected {}", expect.described());
                problems.push(index, &label, 0, at as u64 + 1, reason);
                ok = false;
            }
        }
        for (at, found) in found.iter().enumerate() {
            if !found {
                problems.push(index, &label, 0, at as u64 + 1, "missing column".into());
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let n = spec.len();
        Some(ParquetTable {
            rows: RowIter::from_file_into(Box::new(reader)),
            header: Header {
                file: index,
                label,
                columns,
                positions: (1..=n as u64).collect(),
            },
            spec,
            order,
            record: Record {
                line: 0,
                cells: vec![Cell::Absent; n],
                complete: true,
            },
            failed: false,
            decimals: 2,
        })
    }

    /// Amounts in minor units are read with `decimals` decimals (the period currency's).
    pub fn in_decimals(mut self, decimals: u32) -> ParquetTable {
        self.decimals = decimals;
        self
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The next row, its values as cell text; `None` at the end of the file (or after a
    /// row group that could not be read, reported).
    pub fn next_record(&mut self, problems: &mut Problems) -> Option<(&Header, &Record)> {
        if self.failed {
            return None;
        }
        let row = match self.rows.next()? {
            Ok(row) => row,
            Err(e) => {
                self.failed = true;
                let reason = format!("cannot read this row: {}", inert(&e.to_string()));
                problems.push(
                    self.header.file,
                    &self.header.label,
                    self.record.line + 1,
                    0,
                    reason,
                );
                return None;
            }
        };
        self.record.line += 1;
        let line = self.record.line;
        for ((_, field), &at) in row.get_column_iter().zip(&self.order) {
            let cell = &mut self.record.cells[at];
            match text_of(field, self.spec[at].1, self.decimals) {
                Ok(text) => cell.set_text(&text),
                Err(reason) => {
                    problems.push(self.header.file, &self.header.label, line, at as u64 + 1, reason);
                    // Already reported: the row rules skip it.
                    *cell = Cell::NotUtf8;
                }
            }
        }
        Some((&self.header, &self.record))
    }
}

/// The cell text of one value (`Err`: why it cannot be one).
fn text_of(field: &Field, expect: Expect, decimals: u32) -> Result<String, String> {
    Ok(match field {
        Field::Null => String::new(),
        Field::Str(text) => text.clone(),
        Field::Int(value) => value.to_string(),
        Field::Long(value) if matches!(expect, Expect::Amount | Expect::MinorUnits) => {
            Money::from_cents(*value).plain_in(decimals)
        }
        Field::Long(value) => value.to_string(),
        Field::Decimal(decimal) => decimal_text(decimal.data(), decimal.scale())?,
        Field::TimestampMillis(ms) => timestamp(*ms, 1_000)?,
        Field::TimestampMicros(us) => timestamp(*us, 1_000_000)?,
        Field::Date(days) => chrono::NaiveDate::from_num_days_from_ce_opt(719_163 + days)
            .ok_or_else(|| format!("date {days} days from 1970-01-01 is out of range"))?
            .format("%Y-%m-%d")
            .to_string(),
        other => return Err(format!("unexpected value {}", inert(&other.to_string()))),
    })
}

/// A big-endian two's-complement unscaled value with `scale` decimals, as text.
fn decimal_text(bytes: &[u8], scale: i32) -> Result<String, String> {
    if bytes.is_empty() || bytes.len() > 16 {
        return Err(format!("a decimal of {} bytes is out of range", bytes.len()));
    }
    let negative = bytes[0] & 0x80 != 0;
    let mut value: i128 = if negative { -1 } else { 0 };
    for &b in bytes {
        value = (value << 8) | i128::from(b);
    }
    let digits = value.unsigned_abs().to_string();
    let scale = usize::try_from(scale).map_err(|_| format!("a negative decimal scale ({scale})"))?;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    // A wider scale's trailing zeros are exact: DECIMAL(18,4) 4.8000 is 4.80. Other
    // digits past the second stay, for the amount rule to refuse (never rounded).
    let mut fraction = fraction;
    while fraction.len() > 2 && fraction.ends_with('0') {
        fraction = &fraction[..fraction.len() - 1];
    }
    let scale = fraction.len();
    let sign = if negative { "-" } else { "" };
    Ok(if scale == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    })
}

/// A timestamp of `ticks` at `per_second` ticks per second, as `YYYY-MM-DDTHH:MM:SSZ`.
fn timestamp(ticks: i64, per_second: i64) -> Result<String, String> {
    if ticks.rem_euclid(per_second) != 0 {
        return Err("a timestamp with a fraction of a second (closedesk keeps whole seconds)".into());
    }
    chrono::DateTime::from_timestamp(ticks.div_euclid(per_second), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .ok_or_else(|| "timestamp out of range".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_lists_follow_the_schemas() {
        let names = |spec: &[(&'static str, Expect)]| spec.iter().map(|(n, _)| *n).collect::<Vec<_>>();
        assert_eq!(names(USAGE_DAILY), USAGE_DAILY_COLUMNS);
        assert_eq!(names(USAGE_CONTROL), USAGE_CONTROL_COLUMNS);
        let events: Vec<&str> = super::super::FILES[9].1.to_vec();
        assert_eq!(names(USAGE_EVENTS), events);
    }

    #[test]
    fn minor_units_are_written_in_the_period_currency_s_decimals() {
        let yen = Field::Long(1250);
        assert_eq!(text_of(&yen, Expect::MinorUnits, 0).unwrap(), "1250");
        assert_eq!(text_of(&yen, Expect::MinorUnits, 2).unwrap(), "12.50");
        assert_eq!(text_of(&yen, Expect::Amount, 3).unwrap(), "1.250");
        assert_eq!(text_of(&Field::Long(-5), Expect::Amount, 2).unwrap(), "-0.05");
    }

    #[test]
    fn decimals_keep_their_scale_and_sign() {
        assert_eq!(decimal_text(&1234i64.to_be_bytes(), 2).unwrap(), "12.34");
        assert_eq!(decimal_text(&(-5i32).to_be_bytes(), 2).unwrap(), "-0.05");
        assert_eq!(decimal_text(&7i32.to_be_bytes(), 0).unwrap(), "7");
        assert_eq!(decimal_text(&125i32.to_be_bytes(), 3).unwrap(), "0.125");
        assert_eq!(decimal_text(&48_000i64.to_be_bytes(), 4).unwrap(), "4.80");
        assert_eq!(decimal_text(&48_010i64.to_be_bytes(), 4).unwrap(), "4.801");
    }

    #[test]
    fn timestamps_are_whole_seconds_in_utc() {
        assert_eq!(
            timestamp(1_772_547_669_000, 1_000).unwrap(),
            "2026-03-03T14:21:09Z"
        );
        assert!(timestamp(1_772_547_669_001, 1_000).is_err());
    }

    #[test]
    fn problems_name_the_row_and_the_column() {
        let shown = located("d/usage_events.parquet", 3, 5, "bad").unwrap();
        assert_eq!(shown, "d/usage_events.parquet:row 3:units: bad");
        assert_eq!(located("d/usage_events.csv", 3, 5, "bad"), None);
    }
}
