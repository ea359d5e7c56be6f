//! Parsing one cell at a time. Each helper returns the typed value, or `None` after
//! reporting why the cell was rejected (or when the cell was already reported unreadable).
//! A row is imported only when none of its cells were rejected ([`Row::ok`]).
//!
//! Messages name the column and quote the value as typed, made inert:
//! `due_date '2026-02-30' is not a calendar date (no such day)`.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};

use super::ids::IdSet;
use super::record::{Cell, Header, Record};
use super::{ImportError, Problem, MAX_PROBLEMS};
use crate::money::{known_currency, Money, MoneyError};
use crate::snapshot::model::{
    AccountKind, BatchKind, CreditKind, InvoiceStatus, Lane, LedgerKind, LineKind, PaymentKind, RevenueRule,
    Role, SourceKind, UsageKind, UsageState,
};
use crate::text::inert_exact;

/// Values longer than this are cut short in messages.
const SHOWN_CHARS: usize = 60;

/// A problem and where it sorts: file, line, column (0 last), then the order found.
#[derive(Debug)]
struct Ranked {
    key: (usize, u64, u64, u64),
    problem: Problem,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Ranked) -> bool {
        self.key == other.key
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Ranked) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Ranked) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// The problems found so far: the first [`MAX_PROBLEMS`] in the order they are listed
/// (in file order, then by line; on one line the cells left to right, then what concerns
/// the whole line), and how many there are in all. A file with a million bad rows costs
/// no more memory than one with fifty.
#[derive(Debug, Default)]
pub(super) struct Problems {
    /// The first problems as listed, the last of them on top.
    first: BinaryHeap<Ranked>,
    found: u64,
    /// The absolute amounts read so far (every table), against
    /// [`crate::money::MAX_TOTAL_ABS_CENTS`]; reported once, where the total crosses it.
    amounts: i128,
    amounts_reported: bool,
}

impl Problems {
    /// Records a problem. `label` is the file as shown (already inert); `reason` must have
    /// every untrusted value in it made inert.
    pub fn push(&mut self, file: usize, label: &str, line: u64, column: u64, reason: String) {
        let sorted_column = if column == 0 { u64::MAX } else { column };
        let key = (file, line, sorted_column, self.found);
        self.found += 1;
        if self.first.len() >= MAX_PROBLEMS && self.first.peek().is_some_and(|last| last.key < key) {
            return;
        }
        let problem = Problem {
            file: label.to_string(),
            line,
            column,
            reason,
        };
        self.first.push(Ranked { key, problem });
        if self.first.len() > MAX_PROBLEMS {
            self.first.pop();
        }
    }

    pub fn is_empty(&self) -> bool {
        self.found == 0
    }

    /// The first problems, in the order they are listed.
    fn sorted(self) -> Vec<Problem> {
        self.first
            .into_sorted_vec()
            .into_iter()
            .map(|r| r.problem)
            .collect()
    }

    /// `Ok(value)` when nothing was found, else the first [`MAX_PROBLEMS`] problems.
    pub fn into_result<T>(self, value: Option<T>) -> Result<T, ImportError> {
        match value {
            Some(value) if self.is_empty() => Ok(value),
            _ => {
                let found = self.found as usize;
                let mut problems = self.sorted();
                if problems.is_empty() {
                    // Cannot happen: a table is only missing after a reported problem.
                    problems.push(Problem {
                        file: "import".into(),
                        line: 0,
                        column: 0,
                        reason: "no usable period".into(),
                    });
                }
                let more = found.saturating_sub(problems.len());
                Err(ImportError::Problems { problems, more })
            }
        }
    }

    #[cfg(test)]
    pub fn lines(self) -> Vec<String> {
        self.sorted().iter().map(|p| p.to_string()).collect()
    }
}

/// A value as quoted in a message: inert, every character that does not show escaped
/// ([`inert_exact`]: the message is about the value, and must show why), and cut short
/// when long — between characters, never inside an escape (`\u{20…` named nothing).
pub(super) fn quoted(value: &str) -> String {
    let mut shown = String::new();
    let mut count = 0;
    for c in value.chars() {
        let piece = inert_exact(c.encode_utf8(&mut [0; 4]));
        let n = piece.chars().count();
        if count + n > SHOWN_CHARS {
            shown.push('…');
            return shown;
        }
        shown.push_str(&piece);
        count += n;
    }
    shown
}

/// The enumerations of the model, for [`Row::word`].
pub(super) trait Word: Copy + PartialEq + 'static {
    fn from_word(word: &str) -> Option<Self>;
    fn choices() -> String;
    /// Every word, in the order of the enumeration.
    fn all() -> &'static [Self];
}

macro_rules! words {
    ($($name:ident),+ $(,)?) => {
        $(impl Word for $name {
            fn from_word(word: &str) -> Option<Self> {
                $name::parse(word)
            }
            fn choices() -> String {
                $name::choices()
            }
            fn all() -> &'static [Self] {
                $name::ALL
            }
        })+
    };
}

words!(
    Lane,
    AccountKind,
    InvoiceStatus,
    LineKind,
    RevenueRule,
    PaymentKind,
    CreditKind,
    SourceKind,
    LedgerKind,
    UsageKind,
    UsageState,
    BatchKind,
    Role,
);

/// Ids 1–64 characters of letters, digits, `.`, `_`, `-` (and `@` for logins), starting
/// with a letter or digit.
pub(super) fn is_id(text: &str, allow_at: bool) -> bool {
    let bytes = text.as_bytes();
    (1..=64).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') || (allow_at && b == b'@'))
}

const ID_RULE: &str = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit";
const LOGIN_RULE: &str = "1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit";

fn all_digits(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_digit)
}

const NOT_A_DATE: &str = " is not a date (expected YYYY-MM-DD)";
const NO_SUCH_DAY: &str = " is not a calendar date (no such day)";
const NO_SUCH_MONTH: &str = " is not a calendar date (no such month: months are 01 to 12)";

/// The first year a date is taken in. A year before is no billing date but a mistake —
/// most often a two-digit year written with four digits (`0026-03-09`), or read by a
/// `%Y` that takes fewer than four digits (`import --map`) — and would load its row
/// into another period without a word.
pub(crate) const MIN_YEAR: i32 = 1900;

/// The rest of the message for a date whose year is before [`MIN_YEAR`].
pub(crate) fn before_min_year(year: &str) -> String {
    format!(
        ": the year {year} is before {MIN_YEAR}, which no billing date is (a two-digit year \
         written with four digits?): write the year with four digits, e.g. 2026"
    )
}

/// Strictly `YYYY-MM-DD`, in a year from [`MIN_YEAR`]. The error is the rest of the
/// message after the quoted value.
pub(super) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && all_digits(&b[0..4])
        && all_digits(&b[5..7])
        && all_digits(&b[8..10]);
    if !shape {
        return Err(NOT_A_DATE.into());
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    if !(1..=12).contains(&number(5..7)) {
        return Err(NO_SUCH_MONTH.into());
    }
    let date = NaiveDate::from_ymd_opt(number(0..4) as i32, number(5..7), number(8..10))
        .ok_or_else(|| NO_SUCH_DAY.to_string())?;
    if date.year() < MIN_YEAR {
        return Err(before_min_year(&text[..4]));
    }
    Ok(date)
}

/// Strictly `YYYY-MM-DDTHH:MM:SS`, optionally followed by `Z`, as UTC.
pub(super) fn parse_timestamp(text: &str) -> Result<NaiveDateTime, String> {
    const EXPECTED: &str = "(expected YYYY-MM-DDTHH:MM:SSZ)";
    let body = text.strip_suffix('Z').unwrap_or(text);
    let b = body.as_bytes();
    if b.len() == 10 && parse_date(body).is_ok() {
        return Err(format!(" is a date without a time {EXPECTED}"));
    }
    let shape = b.len() == 19
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && all_digits(&b[11..13])
        && all_digits(&b[14..16])
        && all_digits(&b[17..19]);
    if !shape {
        if b.len() > 19 && b[10] == b'T' && matches!(b[19], b'+' | b'-') {
            return Err(format!(" has a UTC offset; only Z (UTC) is accepted {EXPECTED}"));
        }
        return Err(format!(" is not a timestamp {EXPECTED}"));
    }
    // Byte 10 is the ASCII 'T', so the date part ends on a character boundary.
    let date = match parse_date(&body[..10]) {
        Ok(date) => date,
        Err(e) if e == NO_SUCH_DAY || e == before_min_year(&body[..4]) => return Err(e),
        Err(_) => return Err(format!(" is not a timestamp {EXPECTED}")),
    };
    let number = |range: std::ops::Range<usize>| body[range].parse::<u32>().unwrap_or(99);
    let time = NaiveTime::from_hms_opt(number(11..13), number(14..16), number(17..19))
        .ok_or_else(|| " is not a time of day (expected 00:00:00 to 23:59:59)".to_string())?;
    Ok(date.and_time(time))
}

/// A whole number, at least `min`.
pub(super) fn parse_whole(text: &str, min: i64) -> Result<i64, String> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(" is not a whole number".into());
    }
    let n: i64 = text.parse().map_err(|_| " is too large".to_string())?;
    if n < min {
        return Err(format!(" must be at least {min}"));
    }
    Ok(n)
}

/// The ids of one file, for checking references to it. `None` when the file could not be
/// read (missing, or its header is wrong): references to it are then not checked, so one
/// broken file does not make every reference to it a problem too.
pub(super) struct Ids {
    /// What a row of the file is called in messages: `account`, `invoice line`.
    pub what: &'static str,
    pub file: &'static str,
    ids: Option<IdSet>,
}

impl Ids {
    /// The ids in a file's id column, every row's (rows with other problems too), with the
    /// kind of each (below). An id with surrounding whitespace is rejected where it stands;
    /// here it counts as the id it would be without, so the rows naming it are not
    /// reported as well.
    pub fn new(ids: Option<IdSet>, what: &'static str, file: &'static str) -> Ids {
        Ids { what, file, ids }
    }

    /// The id an id cell stands for here (see [`Ids::new`]), if any.
    pub fn id_of(cell: &Cell) -> Option<&str> {
        cell.text().map(str::trim).filter(|id| is_id(id, false))
    }

    fn knows(&self, id: &str) -> bool {
        self.ids.as_ref().is_none_or(|ids| ids.contains(id))
    }

    /// The kind of row `id`: that of the first row with this id and a valid kind.
    pub fn kind<W: Word>(&self, id: &str) -> Option<W> {
        let index = self.ids.as_ref()?.tag(id)?;
        W::all().get(usize::from(index)).copied()
    }
}

/// The first line of each key seen in one file, for rejecting duplicates.
pub(super) struct Seen {
    what: &'static str,
    first: HashMap<String, u64>,
}

impl Seen {
    /// `what` names the key in messages: `id`, `login`, `lane`.
    pub fn new(what: &'static str) -> Seen {
        Seen {
            what,
            first: HashMap::new(),
        }
    }
}

/// One record being parsed.
pub(super) struct Row<'a> {
    table: &'a Header,
    record: &'a Record,
    problems: &'a mut Problems,
    ok: bool,
    /// The period's currency and its decimals: amounts are read with them.
    currency: Currency,
}

/// The period's currency as the import knows it: two decimals (and no code) until
/// period.csv's currency cell is read.
#[derive(Clone, Copy, Debug)]
pub(super) struct Currency {
    pub code: Option<&'static str>,
    pub decimals: u32,
}

impl Default for Currency {
    fn default() -> Currency {
        Currency {
            code: None,
            decimals: 2,
        }
    }
}

impl<'a> Row<'a> {
    pub fn new(
        table: &'a Header,
        record: &'a Record,
        problems: &'a mut Problems,
        currency: Currency,
    ) -> Row<'a> {
        Row {
            table,
            record,
            problems,
            ok: true,
            currency,
        }
    }

    /// The currency amounts are read in (for the run, once period.csv's row is read).
    pub fn currency_read(&self) -> Currency {
        self.currency
    }

    /// True when no cell of the row was rejected.
    pub fn ok(&self) -> bool {
        self.ok
    }

    /// Rejects the row at the given column.
    pub fn problem(&mut self, column: &str, reason: String) {
        let position = self.table.positions[self.table.index(column)];
        let (file, line) = (self.table.file, self.record.line);
        self.problems
            .push(file, &self.table.label, line, position, reason);
        self.ok = false;
    }

    /// The cell's text, or `None` when it was unreadable (already reported).
    fn raw(&mut self, column: &str) -> Option<&'a str> {
        match &self.record.cells[self.table.index(column)] {
            Cell::Text(text) => Some(text),
            Cell::NotUtf8 | Cell::LineBreak | Cell::Absent => {
                self.ok = false;
                None
            }
        }
    }

    /// True when the cell is empty or only whitespace (false when unreadable).
    pub fn is_blank(&self, column: &str) -> bool {
        match &self.record.cells[self.table.index(column)] {
            Cell::Text(text) => text.trim().is_empty(),
            Cell::NotUtf8 | Cell::LineBreak | Cell::Absent => false,
        }
    }

    /// True when the cell holds something other than whitespace (false when unreadable).
    pub fn is_filled(&self, column: &str) -> bool {
        match &self.record.cells[self.table.index(column)] {
            Cell::Text(text) => !text.trim().is_empty(),
            Cell::NotUtf8 | Cell::LineBreak | Cell::Absent => false,
        }
    }

    /// A required cell's text; an empty (or blank) cell is rejected.
    fn required(&mut self, column: &str) -> Option<&'a str> {
        let text = self.raw(column)?;
        if text.trim().is_empty() {
            self.problem(column, format!("{column} is required but empty"));
            return None;
        }
        Some(text)
    }

    /// An optional cell's text; `None` when empty or blank (or unreadable).
    fn optional(&mut self, column: &str) -> Option<&'a str> {
        let text = self.raw(column)?;
        (!text.trim().is_empty()).then_some(text)
    }

    /// Parses a non-empty cell that must not carry surrounding whitespace.
    fn parse<T>(
        &mut self,
        column: &str,
        text: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = text?;
        if text.trim() != text {
            self.problem(
                column,
                format!("{column} '{}' has leading or trailing whitespace", quoted(text)),
            );
            return None;
        }
        match parse(text) {
            Ok(value) => Some(value),
            Err(rest) => {
                self.problem(column, format!("{column} '{}'{rest}", quoted(text)));
                None
            }
        }
    }

    /// A required id.
    pub fn id(&mut self, column: &str) -> Option<String> {
        let text = self.required(column);
        self.parse(column, text, |t| checked_id(t, false))
    }

    /// A required login (an id that may also contain `@`).
    pub fn login(&mut self, column: &str) -> Option<String> {
        let text = self.required(column);
        self.parse(column, text, |t| checked_id(t, true))
    }

    /// Rejects a key already seen on an earlier line of the file.
    pub fn unique(&mut self, column: &str, seen: &mut Seen, key: &str) {
        match seen.first.get(key) {
            Some(first) => {
                let reason = format!(
                    "duplicate {} '{}' (first on line {first})",
                    seen.what,
                    quoted(key)
                );
                self.problem(column, reason);
            }
            None => {
                seen.first.insert(key.to_string(), self.record.line);
            }
        }
    }

    /// A required reference to a row of another file (or of this one).
    pub fn reference(&mut self, column: &str, ids: &Ids) -> Option<String> {
        let text = self.required(column);
        self.check_reference(column, text, ids)
    }

    /// An optional reference; `None` when empty.
    pub fn opt_reference(&mut self, column: &str, ids: &Ids) -> Option<String> {
        let text = self.optional(column);
        self.check_reference(column, text, ids)
    }

    fn check_reference(&mut self, column: &str, text: Option<&str>, ids: &Ids) -> Option<String> {
        let id = self.parse(column, text, |t| checked_id(t, false))?;
        if !ids.knows(&id) {
            let reason = format!("unknown {} '{}' (not in {})", ids.what, quoted(&id), ids.file);
            self.problem(column, reason);
            return None;
        }
        Some(id)
    }

    /// An optional OpenSSH Ed25519 public key (`ssh-ed25519 AAAA… [comment]`), stored as
    /// given; `None` when empty. One key belongs to one login of the file.
    pub fn opt_public_key(&mut self, column: &str, seen: &mut Seen) -> Option<String> {
        let text = self.optional(column);
        let key = self.parse(column, text, |t| {
            crate::workflow::signing::parse_key(t)
                .map(|key| (t.to_string(), key))
                .map_err(|e| format!(" is not usable: {}", crate::text::inert(&e)))
        })?;
        self.unique(column, seen, &crate::workflow::signing::fingerprint(&key.1));
        Some(key.0)
    }

    /// Required free text, stored exactly as typed.
    pub fn text(&mut self, column: &str) -> Option<String> {
        let text = self.required(column);
        self.free_text(column, text)
    }

    /// Optional free text, stored exactly as typed; `None` when empty or blank.
    pub fn opt_text(&mut self, column: &str) -> Option<String> {
        let text = self.optional(column);
        self.free_text(column, text)
    }

    fn free_text(&mut self, column: &str, text: Option<&str>) -> Option<String> {
        let text = text?;
        if text.contains('\0') {
            self.problem(column, format!("{column} contains a NUL byte"));
            return None;
        }
        Some(text.to_string())
    }

    /// A required amount, exact to the period currency's minor unit ([`Money::parse_in`]),
    /// counted toward the
    /// period's bound.
    pub fn money(&mut self, column: &str) -> Option<Money> {
        let text = self.required(column);
        let currency = self.currency;
        let m = self.parse(column, text, |t| money_in(&currency, t));
        self.counted(column, m)
    }

    /// An optional amount; `None` when empty.
    pub fn opt_money(&mut self, column: &str) -> Option<Money> {
        let text = self.optional(column);
        let currency = self.currency;
        let m = self.parse(column, text, |t| money_in(&currency, t));
        self.counted(column, m)
    }

    /// A required amount greater than zero.
    pub fn positive_money(&mut self, column: &str) -> Option<Money> {
        let text = self.required(column);
        let currency = self.currency;
        let m = self.parse(column, text, |t| match money_in(&currency, t)? {
            m if m > Money::ZERO => Ok(m),
            _ => Err(" must be greater than zero".into()),
        });
        self.counted(column, m)
    }

    /// Counts `amount` (cents) toward the period's bound on its absolute amounts
    /// ([`crate::money::MAX_TOTAL_ABS_CENTS`]): the cell where the total reaches it is
    /// refused (once per import). `false` when refused.
    pub fn count_toward_bound(&mut self, column: &str, cents: i128) -> bool {
        use crate::money::MAX_TOTAL_ABS_CENTS;
        self.problems.amounts += cents.abs();
        if self.problems.amounts < MAX_TOTAL_ABS_CENTS || self.problems.amounts_reported {
            return true;
        }
        self.problems.amounts_reported = true;
        self.problem(
            column,
            format!(
                "{column} takes the period's absolute amounts past the bound: every amount of every \
                 file (and each program's basis_units × rate) must add up to less than {}",
                Money::from_cents(MAX_TOTAL_ABS_CENTS as i64).grouped_in(self.currency.decimals)
            ),
        );
        false
    }

    fn counted(&mut self, column: &str, m: Option<Money>) -> Option<Money> {
        let m = m?;
        self.count_toward_bound(column, m.cents() as i128).then_some(m)
    }

    /// A required amount of zero or more.
    pub fn non_negative_money(&mut self, column: &str) -> Option<Money> {
        let text = self.required(column);
        let currency = self.currency;
        self.parse(column, text, |t| match money_in(&currency, t)? {
            m if m.is_negative() => Err(" must not be negative".into()),
            m => Ok(m),
        })
    }

    pub fn date(&mut self, column: &str) -> Option<NaiveDate> {
        let text = self.required(column);
        self.parse(column, text, parse_date)
    }

    pub fn opt_date(&mut self, column: &str) -> Option<NaiveDate> {
        let text = self.optional(column);
        self.parse(column, text, parse_date)
    }

    pub fn timestamp(&mut self, column: &str) -> Option<NaiveDateTime> {
        let text = self.required(column);
        self.parse(column, text, parse_timestamp)
    }

    pub fn opt_timestamp(&mut self, column: &str) -> Option<NaiveDateTime> {
        let text = self.optional(column);
        self.parse(column, text, parse_timestamp)
    }

    /// A required word of one of the model's enumerations.
    pub fn word<W: Word>(&mut self, column: &str) -> Option<W> {
        let text = self.required(column);
        self.parse(column, text, |t| {
            W::from_word(t).ok_or_else(|| format!(" is not one of {}", W::choices()))
        })
    }

    /// A required whole number, at least `min`.
    pub fn whole(&mut self, column: &str, min: i64) -> Option<i64> {
        let text = self.required(column);
        self.parse(column, text, |t| parse_whole(t, min))
    }

    /// A required `YYYY-MM` period id.
    pub fn period_id(&mut self, column: &str) -> Option<String> {
        let text = self.required(column);
        self.parse(column, text, checked_period_id)
    }

    /// An optional `YYYY-MM` period id.
    pub fn opt_period_id(&mut self, column: &str) -> Option<String> {
        let text = self.optional(column);
        self.parse(column, text, checked_period_id)
    }

    /// A required ISO 4217 currency code (three capital letters) with a minor unit; the
    /// row's amounts after it (and the run's, after this row) are read in its decimals.
    pub fn currency(&mut self, column: &str) -> Option<String> {
        let text = self.required(column);
        let code = self.parse(column, text, |t| {
            if t.len() == 3 && t.bytes().all(|b| b.is_ascii_uppercase()) {
                known_currency(t).map_err(|e| format!(" {e}"))
            } else {
                Err(" is not an ISO 4217 currency code (three capital letters, e.g. USD)".into())
            }
        });
        let (code, decimals) = code?;
        self.currency = Currency {
            code: Some(code),
            decimals,
        };
        Some(code.to_string())
    }
}

fn checked_id(text: &str, allow_at: bool) -> Result<String, String> {
    if is_id(text, allow_at) {
        Ok(text.to_string())
    } else if allow_at {
        Err(format!(" is not a valid login ({LOGIN_RULE})"))
    } else {
        Err(format!(" is not a valid id ({ID_RULE})"))
    }
}

/// An amount in `currency`'s decimals, or the reason it is not one (after the quoted
/// value), naming the currency when its decimals are what is wrong.
fn money_in(currency: &Currency, text: &str) -> Result<Money, String> {
    let decimals = currency.decimals;
    let has = match decimals {
        0 => "none".to_string(),
        d => d.to_string(),
    };
    Money::parse_in(text, decimals).map_err(|e| match (e, &currency.code) {
        // Two decimals, as every currency had before the table: the message as it was.
        (MoneyError::TooManyDecimals(_), Some(code)) if decimals != 2 => {
            format!(
                ": amount has more than {decimals} decimals ({code} has {has}; it would have to be rounded)"
            )
        }
        (MoneyError::ExtraZeros(_), Some(code)) if decimals != 2 => {
            format!(": amount has more than {decimals} decimals ({code} has {has}; the extra ones are zeros: write it without them)")
        }
        (e, _) => format!(": {e}"),
    })
}

fn checked_period_id(text: &str) -> Result<String, String> {
    let b = text.as_bytes();
    let month = text.get(5..).and_then(|m| m.parse::<u32>().ok()).unwrap_or(0);
    if b.len() == 7 && b[4] == b'-' && all_digits(&b[..4]) && all_digits(&b[5..]) && (1..=12).contains(&month)
    {
        Ok(text.to_string())
    } else {
        Err(" is not a period id (expected YYYY-MM)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_are_strictly_iso() {
        assert_eq!(parse_date("2026-03-01"), Ok(date(2026, 3, 1)));
        assert_eq!(parse_date("2024-02-29"), Ok(date(2024, 2, 29)));
        for bad in [
            "03/01/2026",
            "2026-3-1",
            "2026-03-1",
            "20260301",
            "2026-03-01T00:00:00",
            "+026-03-01",
        ] {
            assert_eq!(
                parse_date(bad),
                Err(" is not a date (expected YYYY-MM-DD)".into()),
                "{bad}"
            );
        }
        for impossible in ["2026-02-30", "2026-02-29", "2026-04-31"] {
            assert_eq!(
                parse_date(impossible),
                Err(" is not a calendar date (no such day)".into()),
                "{impossible}"
            );
        }
        // The month is the one that is off: said so (it said "no such day").
        for impossible in ["2026-13-01", "2026-00-10"] {
            assert_eq!(
                parse_date(impossible),
                Err(" is not a calendar date (no such month: months are 01 to 12)".into()),
                "{impossible}"
            );
        }
    }

    #[test]
    fn a_year_before_1900_is_refused() {
        assert_eq!(parse_date("1900-01-01"), Ok(date(1900, 1, 1)));
        for early in ["0026-03-09", "1899-12-31", "0000-01-01"] {
            assert!(
                parse_date(early)
                    .unwrap_err()
                    .contains("write the year with four digits"),
                "{early}"
            );
            let at = format!("{early}T10:00:00Z");
            assert!(
                parse_timestamp(&at)
                    .unwrap_err()
                    .contains("write the year with four digits"),
                "{at}"
            );
        }
    }

    #[test]
    fn timestamps_are_utc_with_optional_z() {
        let at = date(2026, 3, 2).and_hms_opt(9, 0, 5).unwrap();
        assert_eq!(parse_timestamp("2026-03-02T09:00:05Z"), Ok(at));
        assert_eq!(parse_timestamp("2026-03-02T09:00:05"), Ok(at));
        assert!(parse_timestamp("2026-03-02")
            .unwrap_err()
            .contains("a date without a time"));
        assert!(parse_timestamp("2026-03-02Z")
            .unwrap_err()
            .contains("a date without a time"));
        for offset in ["2026-03-02T09:00:05+01:00", "2026-03-02T09:00:05-0500"] {
            assert!(
                parse_timestamp(offset).unwrap_err().contains("UTC offset"),
                "{offset}"
            );
        }
        for bad in [
            "2026-03-02 09:00:05",
            "2026-03-02T9:00:05Z",
            "2026-03-02T09:00:05.5Z",
            "2026-03-02T09:00:05z",
            "2026-03-02T09:00:05ZZ",
            "2026-03-02t09:00:05",
        ] {
            assert!(
                parse_timestamp(bad).unwrap_err().contains("is not a timestamp"),
                "{bad}"
            );
        }
        assert!(parse_timestamp("2026-02-30T09:00:00Z").is_err());
        assert!(parse_timestamp("2026-03-02T24:00:00Z")
            .unwrap_err()
            .contains("time of day"));
        assert!(parse_timestamp("2026-03-02T23:59:60Z")
            .unwrap_err()
            .contains("time of day"));
    }

    #[test]
    fn whole_numbers_have_no_decimals_or_signs() {
        assert_eq!(parse_whole("12", 1), Ok(12));
        assert_eq!(parse_whole("0", 0), Ok(0));
        assert_eq!(parse_whole("0", 1), Err(" must be at least 1".into()));
        assert_eq!(parse_whole("-3", 0), Err(" must be at least 0".into()));
        for bad in ["1.0", "1e3", "+4", "1,000", "", "-"] {
            assert_eq!(parse_whole(bad, 0), Err(" is not a whole number".into()), "{bad}");
        }
        assert_eq!(
            parse_whole("99999999999999999999", 0),
            Err(" is too large".into())
        );
    }

    #[test]
    fn ids_and_logins() {
        assert!(is_id("ACC-1001", false));
        assert!(is_id("GL-2026-03.v2_a", false));
        assert!(is_id(&"a".repeat(64), false));
        assert!(!is_id(&"a".repeat(65), false));
        assert!(!is_id("", false));
        assert!(!is_id("-ACC", false));
        assert!(!is_id("ACC 1", false));
        assert!(!is_id("mhale@example", false));
        assert!(is_id("mhale@example", true));
        assert!(!is_id("@mhale", true));
        assert!(!is_id("Zürich", false));
    }

    #[test]
    fn long_values_are_cut_short_and_inert() {
        assert_eq!(quoted("a\x1bb"), "a\\x1bb");
        let long = "x".repeat(100);
        assert_eq!(quoted(&long), format!("{}…", "x".repeat(SHOWN_CHARS)));
        // An escape that would not fit whole is left out whole.
        let near = format!("{}\u{200e}", "x".repeat(SHOWN_CHARS - 3));
        assert_eq!(quoted(&near), format!("{}…", "x".repeat(SHOWN_CHARS - 3)));
    }

    #[test]
    fn only_the_first_fifty_problems_are_kept_the_rest_counted() {
        let mut problems = Problems::default();
        // Found out of order (a repeated id is named after its file was read).
        for line in (1..=10_000u64).rev() {
            problems.push(1, "a.csv", line, 2, format!("bad {line}"));
        }
        problems.push(0, "p.csv", 7, 0, "whole row".into());
        problems.push(0, "p.csv", 7, 3, "cell".into());
        assert!(problems.first.len() <= MAX_PROBLEMS);
        match problems.into_result(None::<()>) {
            Err(ImportError::Problems { problems, more }) => {
                assert_eq!(more, 10_002 - MAX_PROBLEMS);
                let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                assert_eq!(
                    shown[..3],
                    ["p.csv:7:3: cell", "p.csv:7: whole row", "a.csv:1:2: bad 1"]
                );
                assert_eq!(shown[MAX_PROBLEMS - 1], "a.csv:48:2: bad 48");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn period_ids() {
        assert!(checked_period_id("2026-03").is_ok());
        for bad in ["2026-3", "2026-13", "2026-00", "202603", "2026-03-01", "26-03"] {
            assert!(checked_period_id(bad).is_err(), "{bad}");
        }
    }
}
