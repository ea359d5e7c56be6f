//! One function per source table: the cells of each row, the rules between cells of a row,
//! and the references to other rows; and [`Run`], which streams every file through them
//! row by row and hands each accepted row on, holding no table.
//!
//! What needs more than one row is kept compact: the ids other files may refer to (read
//! before the rows, so that a reference may point anywhere — a reversal may name a payment
//! further down its file), and 8 bytes per row to find repeated ids, which are then looked
//! for exactly by reading that file once more.

use std::collections::HashMap;
use std::io::Read;

use super::cells::{is_id, quoted, Currency, Ids, Problems, Row, Seen, Word};
use super::csvfile::TableReader;
use super::ids::{hash, IdSet, Repeats};
use super::parquet::{self as pq, Expect, ParquetTable};
use super::record::{Cell, Header, Record};
use super::{Failed, Imported, Source, FILES, MULTI_LINE};
use crate::snapshot::model::{
    Account, AccountKind, AggregateRow, BatchKind, Credit, CreditKind, Disbursement, EmployerProgram,
    ExportBatch, ExportLine, Invoice, InvoiceLine, InvoiceStatus, Lane, LaneOwner, LedgerEntry, LedgerKind,
    LineKind, Payment, PaymentKind, Period, PeriodStatus, ProgramStatement, RevenueRule, Role, RosterEntry,
    SourceKind, SourceRow, StatementLine, UsageControl, UsageDaily, UsageEvent, UsageKind, UsageState,
};
use crate::snapshot::schema::SOURCE_TABLES;
use crate::text::inert;

/// The rows other files may refer to, with the kind of those whose kind matters.
struct Known {
    accounts: Ids,
    invoices: Ids,
    invoice_lines: Ids,
    payments: Ids,
    credits: Ids,
    programs: Ids,
    statements: Ids,
    batches: Ids,
}

/// What the row functions share: the ids other files hold, and the keys seen so far in
/// the files whose keys are not ids (few rows each).
pub(super) struct Context {
    known: Known,
    lanes: Seen,
    logins: Seen,
    keys: Seen,
}

/// Parses one row of a table (its cells and their rules); `None` when a cell was
/// rejected. Ids are checked for repeats by [`Run`], not here.
type ParseRow = fn(&mut Row<'_>, &mut Context) -> Option<SourceRow>;

/// The row function of each file after period.csv, in the order of [`FILES`], and whether
/// its rows are keyed by an `id` column that must be unique in the file.
const TABLES: [(ParseRow, bool); 15] = [
    (lane_owner, false),
    (account, true),
    (invoice, true),
    (invoice_line, true),
    (payment, true),
    (credit, true),
    (disbursement, true),
    (ledger, true),
    (usage_event, true),
    (export_batch, true),
    (export_line, true),
    (employer_program, true),
    (program_statement, true),
    (statement_line, true),
    (roster_entry, false),
];

/// The index in [`FILES`] of a file name (a constant of this module).
fn file_index(name: &str) -> usize {
    FILES
        .iter()
        .position(|(file, _)| *file == name)
        .unwrap_or_else(|| panic!("no file {name}"))
}

/// The columns of `name` that may hold line breaks.
fn multi_line(name: &str) -> &'static [&'static str] {
    match MULTI_LINE.iter().find(|(file, _)| *file == name) {
        Some((_, "description")) => &["description"],
        Some((_, "reason")) => &["reason"],
        Some(_) | None => &[],
    }
}

/// Reads a kind cell as an id's tag in an [`IdSet`].
type KindTag = fn(&str) -> Option<u8>;

/// The index of `word` among the words of `W`, as an id's tag in an [`IdSet`].
fn kind_tag<W: Word>(word: &str) -> Option<u8> {
    let kind = W::from_word(word)?;
    W::all().iter().position(|k| *k == kind).map(|i| i as u8)
}

/// The Parquet form a file may be given in instead, with its expected schema
/// (docs/usage-parquet.md): only the usage events.
fn parquet_form(name: &str) -> Option<(&'static str, &'static [(&'static str, Expect)])> {
    (name == "usage_events.csv").then_some(("usage_events.parquet", pq::USAGE_EVENTS))
}

/// The pre-aggregated usage form (docs/usage-parquet.md) and its control total, and their
/// places after the sixteen files in the order problems are listed.
const DAILY: &str = "usage_daily.parquet";
const CONTROL: &str = "usage_control.parquet";
const DAILY_INDEX: usize = 16;
const CONTROL_INDEX: usize = 17;

/// A file as read: CSV, or its Parquet form.
enum Reader<'s> {
    Csv(TableReader<'s>),
    Parquet(ParquetTable),
}

impl Reader<'_> {
    fn header(&self) -> &Header {
        match self {
            Reader::Csv(reader) => reader.header(),
            Reader::Parquet(reader) => reader.header(),
        }
    }

    fn next_record(&mut self, problems: &mut Problems) -> Option<(&Header, &Record)> {
        match self {
            Reader::Csv(reader) => reader.next_record(problems),
            Reader::Parquet(reader) => reader.next_record(problems),
        }
    }
}

/// Opens the Parquet form of file `index` and checks its schema; `None` when it cannot be
/// read (reported in `problems`).
fn open_parquet<'s>(
    source: &dyn Source,
    label: &dyn Fn(&str) -> String,
    index: usize,
    decimals: u32,
    problems: &mut Problems,
) -> Result<Option<Reader<'s>>, Failed> {
    let (csv, columns) = FILES[index];
    let Some((name, spec)) = parquet_form(csv) else {
        return Ok(None);
    };
    let Some(file) = source.parquet(name)? else {
        return Ok(None);
    };
    let shown = inert(&label(name));
    Ok(ParquetTable::new(index, columns, spec, file, shown, problems)
        .map(|table| Reader::Parquet(table.in_decimals(decimals))))
}

/// One import: the files, the problems found so far, the rows read and kept per file.
pub(super) struct Run<'s> {
    source: &'s dyn Source,
    label: &'s dyn Fn(&str) -> String,
    problems: Problems,
    context: Context,
    /// Each file, opened when the run starts; taken when it is read.
    files: Vec<Option<Box<dyn Read + 's>>>,
    /// The files given in their Parquet form (read from `source` when their rows are read).
    parquet: [bool; 16],
    /// `usage_daily.parquet` is given (docs/usage-parquet.md): usage events may be left out.
    daily: bool,
    /// The rows read from `usage_daily.parquet`.
    daily_rows: Option<usize>,
    read: [usize; 16],
    kept: [usize; 16],
    /// A row refused by a constraint of the snapshot while it was written: a repeated id,
    /// reported as a problem once the file is read.
    refused: Option<rusqlite::Error>,
    /// The period's currency, once period.csv's currency cell is read: every amount of
    /// every file is read in its decimals.
    currency: Currency,
}

impl<'s> Run<'s> {
    /// Opens every file (a missing one is a problem like any other; one that cannot be
    /// read is [`super::ImportError::Io`]) and reads the ids other files may refer to.
    pub fn start(source: &'s dyn Source, label: &'s dyn Fn(&str) -> String) -> Result<Run<'s>, Failed> {
        let mut problems = Problems::default();
        let mut files = Vec::with_capacity(FILES.len());
        let mut parquet = [false; 16];
        let daily = source.parquet(DAILY)?.is_some();
        let control = source.parquet(CONTROL)?.is_some();
        if daily && !control {
            let reason = format!("missing file: the control total of {DAILY}");
            problems.push(CONTROL_INDEX, &inert(&label(CONTROL)), 0, 0, reason);
        }
        if control && !daily {
            let reason = format!("given without {DAILY}, whose control total it is");
            problems.push(CONTROL_INDEX, &inert(&label(CONTROL)), 0, 0, reason);
        }
        for (index, (name, _)) in FILES.iter().enumerate() {
            let mut file = source.open(name)?;
            if let Some((other, _)) = parquet_form(name) {
                if source.parquet(other)?.is_some() {
                    if file.is_some() {
                        let reason = format!("{name} is given too: give one of {name} and {other}");
                        problems.push(index, &inert(&label(other)), 0, 0, reason);
                    }
                    parquet[index] = true;
                    file = None;
                }
            }
            let optional = daily && parquet_form(name).is_some();
            if file.is_none() && !parquet[index] && !optional {
                let reason = match parquet_form(name) {
                    Some((other, _)) => format!("missing file (or its Parquet form {other})"),
                    None => "missing file".to_string(),
                };
                problems.push(index, &inert(&label(name)), 0, 0, reason);
            }
            files.push(file);
        }
        let mut run = Run {
            source,
            label,
            problems,
            context: Context {
                known: Known {
                    accounts: Ids::new(None, "", ""),
                    invoices: Ids::new(None, "", ""),
                    invoice_lines: Ids::new(None, "", ""),
                    payments: Ids::new(None, "", ""),
                    credits: Ids::new(None, "", ""),
                    programs: Ids::new(None, "", ""),
                    statements: Ids::new(None, "", ""),
                    batches: Ids::new(None, "", ""),
                },
                lanes: Seen::new("lane"),
                logins: Seen::new("login"),
                keys: Seen::new("public key"),
            },
            files,
            parquet,
            daily,
            daily_rows: None,
            read: [0; 16],
            kept: [0; 16],
            refused: None,
            currency: Currency::default(),
        };
        run.context.known = Known {
            accounts: run.ids("accounts.csv", "account", Some(("kind", kind_tag::<AccountKind>)))?,
            invoices: run.ids("invoices.csv", "invoice", None)?,
            invoice_lines: run.ids("invoice_lines.csv", "invoice line", None)?,
            payments: run.ids("payments.csv", "payment", Some(("kind", kind_tag::<PaymentKind>)))?,
            credits: run.ids("credits.csv", "credit", Some(("kind", kind_tag::<CreditKind>)))?,
            programs: run.ids("employer_programs.csv", "program", None)?,
            statements: run.ids("program_statements.csv", "statement", None)?,
            batches: run.ids("export_batches.csv", "batch", None)?,
        };
        Ok(run)
    }

    /// Reads `name` again, its problems ignored (they are reported when it is read for
    /// its rows); `None` when it is missing or its header is wrong.
    fn reread(&self, name: &str) -> Result<Option<Reader<'s>>, Failed> {
        let index = file_index(name);
        let mut ignored = Problems::default();
        if self.parquet[index] {
            return open_parquet(
                self.source,
                self.label,
                index,
                self.currency.decimals,
                &mut ignored,
            );
        }
        let Some(bytes) = self.source.open(name)? else {
            return Ok(None);
        };
        let file = inert(&(self.label)(name));
        Ok(
            TableReader::new(index, FILES[index].1, multi_line(name), bytes, file, &mut ignored)
                .map(Reader::Csv),
        )
    }

    /// The ids of every row of `file` (rows with other problems too), each with its row's
    /// kind when `kind` names the kind column and how to read it.
    fn ids(
        &self,
        file: &'static str,
        what: &'static str,
        kind: Option<(&str, KindTag)>,
    ) -> Result<Ids, Failed> {
        let Some(mut reader) = self.reread(file)? else {
            return Ok(Ids::new(None, what, file));
        };
        let id_at = reader.header().index("id");
        let kind = kind.map(|(column, tag)| (reader.header().index(column), tag));
        let mut ids = IdSet::default();
        let mut ignored = Problems::default();
        while let Some((_, record)) = reader.next_record(&mut ignored) {
            if let Some(id) = Ids::id_of(&record.cells[id_at]) {
                let tag = kind.and_then(|(at, tag)| record.cells[at].text().and_then(tag));
                ids.insert(id, tag);
            }
        }
        Ok(Ids::new(Some(ids), what, file))
    }

    /// True while nothing was found wrong: the import may still succeed.
    pub fn clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Reads period.csv: its one row, or `None` after reporting why there is none.
    pub fn period(&mut self) -> Option<Period> {
        let (name, columns) = FILES[0];
        let bytes = self.files[0].take()?;
        let file = inert(&(self.label)(name));
        let mut reader = TableReader::new(0, columns, &[], bytes, file, &mut self.problems)?;
        let Some((header, record)) = reader.next_record(&mut self.problems) else {
            let reason = "no period row (period.csv holds exactly one period)".to_string();
            let header = reader.header();
            self.problems.push(header.file, &header.label, 0, 0, reason);
            return None;
        };
        self.read[0] += 1;
        let period = if record.complete {
            let mut r = Row::new(header, record, &mut self.problems, self.currency);
            let period = period(&mut r).filter(|_| r.ok());
            self.currency = r.currency_read();
            period
        } else {
            None
        };
        if let Some((header, second)) = reader.next_record(&mut self.problems) {
            self.read[0] += 1;
            let reason = "a second period row (period.csv holds exactly one period)".to_string();
            let (file, label, line) = (header.file, header.label.clone(), second.line);
            self.problems.push(file, &label, line, 0, reason);
        }
        while reader.next_record(&mut self.problems).is_some() {
            self.read[0] += 1;
        }
        self.kept[0] = usize::from(period.is_some());
        period
    }

    /// Reads every file after period.csv, row by row, and hands each accepted row to
    /// `sink` as long as nothing was found wrong (after that the files are only checked).
    /// A row the sink refuses by a constraint stops the writing too (a repeated id,
    /// reported once its file is read); any other failure of the sink ends the run.
    ///
    /// `unique_ids`: the sink refuses a row whose id it already has (the snapshot's primary
    /// keys). While rows are written, a repeated id is then found by the sink at no cost;
    /// from the row where writing stops (or always, when the sink does not refuse them)
    /// repeats are found by the ids' hashes, those of the rows before read again.
    pub fn rows(
        &mut self,
        unique_ids: bool,
        sink: &mut dyn FnMut(SourceRow) -> rusqlite::Result<()>,
    ) -> Result<(), Failed> {
        for (index, &(parse, keyed)) in TABLES.iter().enumerate() {
            let index = index + 1;
            let (name, columns) = FILES[index];
            let reader = if self.parquet[index] {
                open_parquet(
                    self.source,
                    self.label,
                    index,
                    self.currency.decimals,
                    &mut self.problems,
                )?
            } else {
                let Some(bytes) = self.files[index].take() else {
                    continue;
                };
                let file = inert(&(self.label)(name));
                TableReader::new(index, columns, multi_line(name), bytes, file, &mut self.problems)
                    .map(Reader::Csv)
            };
            let Some(mut reader) = reader else {
                continue;
            };
            let id_at = keyed.then(|| reader.header().index("id"));
            let mut repeats = Repeats::default();
            let mut hashing = !(unique_ids && self.writing());
            while let Some((header, record)) = reader.next_record(&mut self.problems) {
                self.read[index] += 1;
                if let (Some(at), false) = (id_at, hashing || self.writing()) {
                    // Writing stopped on an earlier row (or on this one as read).
                    hashing = true;
                    self.hash_ids(name, at, record.line, &mut repeats)?;
                }
                self.row(
                    index,
                    header,
                    record,
                    parse,
                    id_at.filter(|_| hashing),
                    &mut repeats,
                    sink,
                )?;
            }
            if let (Some(at), false) = (id_at, hashing || self.writing()) {
                // Writing stopped on the last row.
                self.hash_ids(name, at, u64::MAX, &mut repeats)?;
            }
            let repeated = repeats.repeated();
            if !repeated.is_empty() {
                self.report_repeats(name, &repeated)?;
            }
        }
        Ok(())
    }

    /// True while rows are handed to the sink: nothing found wrong, nothing refused.
    fn writing(&self) -> bool {
        self.problems.is_empty() && self.refused.is_none()
    }

    /// One row: its id's hash added to `repeats` when `hash_id` names the id column, its
    /// cells parsed, and handed to `sink` when accepted and still writing.
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        index: usize,
        header: &Header,
        record: &Record,
        parse: ParseRow,
        hash_id: Option<usize>,
        repeats: &mut Repeats,
        sink: &mut dyn FnMut(SourceRow) -> rusqlite::Result<()>,
    ) -> Result<(), Failed> {
        // Rows with the wrong number of fields are only reported.
        if !record.complete {
            return Ok(());
        }
        if let Some(id) = hash_id.and_then(|at| exact_id(&record.cells[at])) {
            repeats.add(id);
        }
        let mut r = Row::new(header, record, &mut self.problems, self.currency);
        let row = parse(&mut r, &mut self.context);
        let Some(row) = row.filter(|_| r.ok()) else {
            return Ok(());
        };
        self.kept[index] += 1;
        self.hand(sink, row)
    }

    /// Hands `row` to `sink` while writing: a refusal by a constraint stops the writing
    /// (it is reported once its file is read); any other failure ends the run.
    fn hand<R>(&mut self, sink: &mut dyn FnMut(R) -> rusqlite::Result<()>, row: R) -> Result<(), Failed> {
        if self.writing() {
            match sink(row) {
                Ok(()) => {}
                Err(e) if is_constraint(&e) => self.refused = Some(e),
                Err(e) => return Err(Failed::Write(e)),
            }
        }
        Ok(())
    }

    /// Adds to `repeats` the hash of the id of every row of `name` before line `before`
    /// (read again), as the run would have had it hashed them as they were read.
    fn hash_ids(&self, name: &str, at: usize, before: u64, repeats: &mut Repeats) -> Result<(), Failed> {
        let Some(mut reader) = self.reread(name)? else {
            return Ok(());
        };
        let mut ignored = Problems::default();
        while let Some((_, record)) = reader.next_record(&mut ignored) {
            if record.line >= before {
                break;
            }
            if let Some(id) = exact_id(&record.cells[at]).filter(|_| record.complete) {
                repeats.add(id);
            }
        }
        Ok(())
    }

    /// Reads `name` once more and reports each row whose id (one of those with a hash in
    /// `repeated`, sorted) was on an earlier row.
    fn report_repeats(&mut self, name: &str, repeated: &[u64]) -> Result<(), Failed> {
        let Some(mut reader) = self.reread(name)? else {
            return Ok(());
        };
        let at = reader.header().index("id");
        let unit = if self.parquet[file_index(name)] {
            "row"
        } else {
            "line"
        };
        let mut first: HashMap<String, u64> = HashMap::new();
        let mut ignored = Problems::default();
        while let Some((header, record)) = reader.next_record(&mut ignored) {
            let Some(id) = exact_id(&record.cells[at]).filter(|_| record.complete) else {
                continue;
            };
            if repeated.binary_search(&hash(id.as_bytes())).is_err() {
                continue;
            }
            match first.get(id) {
                Some(first) => {
                    let reason = format!("duplicate id '{}' (first on {unit} {first})", quoted(id));
                    let position = header.positions[at];
                    self.problems
                        .push(header.file, &header.label, record.line, position, reason);
                }
                None => {
                    first.insert(id.to_string(), record.line);
                }
            }
        }
        Ok(())
    }

    /// True when the usage events are read from `usage_events.parquet`.
    pub fn events_parquet(&self) -> bool {
        self.parquet[file_index("usage_events.csv")]
    }

    /// Reads the pre-aggregated usage (`usage_daily.parquet` and its `usage_control.parquet`),
    /// when given, through their row rules, and hands each accepted row to `sink` as long
    /// as nothing was found wrong.
    pub fn aggregates(
        &mut self,
        sink: &mut dyn FnMut(AggregateRow) -> rusqlite::Result<()>,
    ) -> Result<(), Failed> {
        if !self.daily {
            return Ok(());
        }
        let files = [
            (DAILY, DAILY_INDEX, pq::USAGE_DAILY_COLUMNS, pq::USAGE_DAILY),
            (
                CONTROL,
                CONTROL_INDEX,
                pq::USAGE_CONTROL_COLUMNS,
                pq::USAGE_CONTROL,
            ),
        ];
        for (name, index, columns, spec) in files {
            let Some(file) = self.source.parquet(name)? else {
                continue;
            };
            let label = inert(&(self.label)(name));
            let Some(mut reader) =
                ParquetTable::new(index, columns, spec, file, label.clone(), &mut self.problems)
                    .map(|table| table.in_decimals(self.currency.decimals))
            else {
                continue;
            };
            let mut rows = 0;
            while let Some((header, record)) = reader.next_record(&mut self.problems) {
                rows += 1;
                let mut r = Row::new(header, record, &mut self.problems, self.currency);
                let row = if index == DAILY_INDEX {
                    usage_daily(&mut r, &self.context, record.line)
                } else {
                    usage_control(&mut r)
                };
                let Some(row) = row.filter(|_| r.ok()) else {
                    continue;
                };
                self.hand(sink, row)?;
            }
            if index == DAILY_INDEX {
                self.daily_rows = Some(rows);
            }
            if index == CONTROL_INDEX && rows != 1 {
                let reason = format!("{rows} rows: {CONTROL} holds exactly one row, the control total");
                self.problems.push(index, &label, 0, 0, reason);
            }
        }
        Ok(())
    }

    /// The outcome: the period and the rows kept per table, or every problem found.
    pub fn finish(mut self, period: Option<Period>) -> Result<Imported, Failed> {
        if period.is_some() && self.problems.is_empty() {
            // Every row of every file became a row of the snapshot: a row can only be left
            // out with a problem reported (a guard, so that no future rule drops one
            // silently).
            for (index, (read, kept)) in self.read.iter().zip(&self.kept).enumerate() {
                if read != kept {
                    let file = inert(&(self.label)(FILES[index].0));
                    let table = SOURCE_TABLES[index];
                    let reason =
                        format!("{read} rows read but {kept} kept for table {table} (a closedesk bug)");
                    self.problems.push(index, &file, 0, 0, reason);
                }
            }
            if let Some(e) = self.refused.take() {
                return Err(Failed::Write(e));
            }
        }
        let mut counts = [("", 0); 16];
        for (count, (table, kept)) in counts.iter_mut().zip(SOURCE_TABLES.iter().zip(self.kept)) {
            *count = (*table, kept);
        }
        let (events_parquet, daily_rows) = (self.events_parquet(), self.daily_rows);
        let imported = period.map(|period| Imported {
            period,
            counts,
            events_parquet,
            daily_rows,
        });
        Ok(self.problems.into_result(imported)?)
    }
}

/// The id in an id cell as [`Row::id`] accepts it (no trimming), if any.
fn exact_id(cell: &Cell) -> Option<&str> {
    cell.text().filter(|id| is_id(id, false))
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
}

/// `period.csv`: exactly one row.
fn period(r: &mut Row<'_>) -> Option<Period> {
    let id = r.period_id("id");
    let entity = r.text("entity");
    let window_start = r.date("window_start");
    let window_end = r.date("window_end");
    if let (Some(start), Some(end)) = (window_start, window_end) {
        if end < start {
            r.problem(
                "window_end",
                format!("window_end {end} is before window_start {start}"),
            );
        }
    }
    let currency = r.currency("currency");
    let close_owner = r.text("close_owner");
    let medium = r.non_negative_money("materiality_medium");
    let high = r.non_negative_money("materiality_high");
    let critical = r.non_negative_money("materiality_critical");
    if let (Some(medium), Some(high)) = (medium, high) {
        if high < medium {
            let d = r.currency_read().decimals;
            let (high, medium) = (high.plain_in(d), medium.plain_in(d));
            let reason = format!("materiality_high {high} is below materiality_medium {medium}");
            r.problem("materiality_high", reason);
        }
    }
    if let (Some(high), Some(critical)) = (high, critical) {
        if critical < high {
            let d = r.currency_read().decimals;
            let (critical, high) = (critical.plain_in(d), high.plain_in(d));
            let reason = format!("materiality_critical {critical} is below materiality_high {high}");
            r.problem("materiality_critical", reason);
        }
    }
    let last_clean_period = r.opt_period_id("last_clean_period");
    let last_clean_date = r.opt_date("last_clean_date");
    let exported_on = r.opt_date("exported_on");
    if let (Some(end), Some(exported)) = (window_end, exported_on) {
        if exported < end {
            r.problem(
                "exported_on",
                format!("exported_on {exported} is before window_end {end}: a close runs on a snapshot taken after its window"),
            );
        }
    }
    // The last clean close is an earlier period's, closed before this snapshot was taken
    // (a later one read "-93 days ago" on the first pane).
    if let (Some(last), Some(this)) = (&last_clean_period, &id) {
        if last >= this {
            r.problem(
                "last_clean_period",
                format!("last_clean_period {last} is not before period {this}: the last clean close is an earlier period's"),
            );
        }
    }
    if let (Some(closed), Some(exported)) = (last_clean_date, exported_on) {
        if closed > exported {
            r.problem(
                "last_clean_date",
                format!(
                    "last_clean_date {closed} is after exported_on {exported}: the last clean close happened before the \
                     snapshot was taken"
                ),
            );
        }
    }
    Some(Period {
        id: id?,
        entity: entity?,
        window_start: window_start?,
        window_end: window_end?,
        currency: currency?,
        close_owner: close_owner?,
        materiality_medium: medium?,
        materiality_high: high?,
        materiality_critical: critical?,
        last_clean_period,
        last_clean_date,
        status: PeriodStatus::Open,
        exported_on,
    })
}

/// `lane_owners.csv`: at most one row per lane.
fn lane_owner(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    let lane = r.word::<Lane>("lane");
    if let Some(lane) = lane {
        r.unique("lane", &mut c.lanes, lane.as_str());
    }
    let owner = r.text("owner");
    Some(SourceRow::LaneOwner(LaneOwner {
        lane: lane?,
        owner: owner?,
    }))
}

fn account(r: &mut Row<'_>, _: &mut Context) -> Option<SourceRow> {
    let id = r.id("id");
    let name = r.text("name");
    let kind = r.word::<AccountKind>("kind");
    Some(SourceRow::Account(Account {
        id: id?,
        name: name?,
        kind: kind?,
    }))
}

/// Posted, closed and void invoices carry a posting date; only void ones a void date.
fn invoice(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    let id = r.id("id");
    let account_id = r.reference("account_id", &c.known.accounts);
    let status = r.word::<InvoiceStatus>("status");
    let posted_at = r.opt_date("posted_at");
    let voided_at = r.opt_date("voided_at");
    if let Some(status) = status {
        if status != InvoiceStatus::Draft && r.is_blank("posted_at") {
            r.problem("posted_at", format!("posted_at is required for status {status}"));
        }
        if status == InvoiceStatus::Void && r.is_blank("voided_at") {
            r.problem("voided_at", "voided_at is required for status void".to_string());
        }
        if status != InvoiceStatus::Void && r.is_filled("voided_at") {
            r.problem(
                "voided_at",
                format!("voided_at must be empty for status {status}"),
            );
        }
    }
    if let (Some(posted), Some(voided)) = (posted_at, voided_at) {
        if voided < posted {
            r.problem(
                "voided_at",
                format!("voided_at {voided} is before posted_at {posted}: an invoice is voided after it is posted"),
            );
        }
    }
    let due_date = r.date("due_date");
    let total = r.money("total");
    let balance = r.money("balance");
    Some(SourceRow::Invoice(Invoice {
        id: id?,
        account_id: account_id?,
        status: status?,
        posted_at,
        voided_at,
        due_date: due_date?,
        total: total?,
        balance: balance?,
    }))
}

/// Program fee lines name their program; a service period has a start if it has an end.
fn invoice_line(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    let id = r.id("id");
    let invoice_id = r.reference("invoice_id", &c.known.invoices);
    let kind = r.word::<LineKind>("kind");
    let program_id = r.opt_reference("program_id", &c.known.programs);
    if kind == Some(LineKind::ProgramFee) && r.is_blank("program_id") {
        r.problem(
            "program_id",
            "program_id is required for kind program_fee".to_string(),
        );
    }
    let service_start = r.opt_date("service_start");
    let service_end = r.opt_date("service_end");
    if r.is_filled("service_end") && r.is_blank("service_start") {
        r.problem(
            "service_end",
            "service_end is given without service_start".to_string(),
        );
    }
    let amount = r.money("amount");
    let revenue_rule = r.word::<RevenueRule>("revenue_rule");
    let description = r.opt_text("description");
    Some(SourceRow::InvoiceLine(InvoiceLine {
        id: id?,
        invoice_id: invoice_id?,
        kind: kind?,
        program_id,
        service_start,
        service_end,
        amount: amount?,
        revenue_rule: revenue_rule?,
        description,
    }))
}

/// An undoing row (a reversal, refund or chargeback) names the original row it undoes in
/// `column`, and that row must be of the `original` kind; an original row names none.
fn undone_row<K: Word + PartialEq + std::fmt::Display>(
    r: &mut Row<'_>,
    kind: Option<K>,
    original: K,
    column: &str,
    ids: &Ids,
) -> Option<String> {
    let related = match kind {
        Some(kind) if kind == original => {
            if r.is_filled(column) {
                r.problem(column, format!("{column} must be empty for kind {original}"));
            }
            None
        }
        Some(kind) if r.is_blank(column) => {
            r.problem(column, format!("{column} is required for kind {kind}"));
            None
        }
        _ => r.opt_reference(column, ids),
    };
    if kind.is_some() {
        let what = format!("related {original}");
        of_kind(r, column, ids, related.as_deref(), original, &what);
    }
    related
}

/// The row of `ids` that `column` names, which must be of kind `want` (`what` names it in
/// the problem).
fn reference_of_kind<K: Word + PartialEq + std::fmt::Display>(
    r: &mut Row<'_>,
    column: &str,
    ids: &Ids,
    want: K,
    what: &str,
) -> Option<String> {
    let id = r.reference(column, ids);
    of_kind(r, column, ids, id.as_deref(), want, what);
    id
}

/// The row `id` of `ids`, named in `column`, must be of kind `want`; `what` names it in
/// the problem.
fn of_kind<K: Word + PartialEq + std::fmt::Display>(
    r: &mut Row<'_>,
    column: &str,
    ids: &Ids,
    id: Option<&str>,
    want: K,
    what: &str,
) {
    let Some(id) = id else { return };
    match ids.kind::<K>(id) {
        Some(kind) if kind != want => {
            let reason = format!("{what} '{}' has kind {kind}, not {want}", quoted(id));
            r.problem(column, reason);
        }
        _ => {}
    }
}

/// Reversals, refunds and chargebacks name the `payment` row they undo; payments name none.
fn payment(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    const RELATED: &str = "related_payment_id";
    let id = r.id("id");
    let account_id = r.reference("account_id", &c.known.accounts);
    let kind = r.word::<PaymentKind>("kind");
    let related_payment_id = undone_row(r, kind, PaymentKind::Payment, RELATED, &c.known.payments);
    let occurred_on = r.date("occurred_on");
    let amount = r.positive_money("amount");
    let reference = r.opt_text("reference");
    Some(SourceRow::Payment(Payment {
        id: id?,
        account_id: account_id?,
        kind: kind?,
        related_payment_id,
        occurred_on: occurred_on?,
        amount: amount?,
        reference,
    }))
}

/// Reversals name the `credit` row they undo; credits name none.
fn credit(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    const RELATED: &str = "related_credit_id";
    let id = r.id("id");
    let account_id = r.reference("account_id", &c.known.accounts);
    let kind = r.word::<CreditKind>("kind");
    let related_credit_id = undone_row(r, kind, CreditKind::Credit, RELATED, &c.known.credits);
    let issued_on = r.date("issued_on");
    let amount = r.positive_money("amount");
    let reason = r.opt_text("reason");
    Some(SourceRow::Credit(Credit {
        id: id?,
        account_id: account_id?,
        kind: kind?,
        related_credit_id,
        issued_on: issued_on?,
        amount: amount?,
        reason,
    }))
}

/// A disbursement applies a `payment` row of payments.csv or a `credit` row of credits.csv.
fn disbursement(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    const SOURCE: &str = "source_id";
    let id = r.id("id");
    let source_kind = r.word::<SourceKind>("source_kind");
    let source_id = match source_kind {
        Some(SourceKind::Payment) => reference_of_kind(
            r,
            SOURCE,
            &c.known.payments,
            PaymentKind::Payment,
            "source payment",
        ),
        Some(SourceKind::Credit) => {
            reference_of_kind(r, SOURCE, &c.known.credits, CreditKind::Credit, "source credit")
        }
        None => r.id(SOURCE),
    };
    let invoice_id = r.reference("invoice_id", &c.known.invoices);
    let disbursed_on = r.date("disbursed_on");
    let amount = r.money("amount");
    Some(SourceRow::Disbursement(Disbursement {
        id: id?,
        source_kind: source_kind?,
        source_id: source_id?,
        invoice_id: invoice_id?,
        disbursed_on: disbursed_on?,
        amount: amount?,
    }))
}

/// Every ledger row but a refund names its invoice.
fn ledger(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    let id = r.id("id");
    let account_id = r.reference("account_id", &c.known.accounts);
    let invoice_id = r.opt_reference("invoice_id", &c.known.invoices);
    let occurred_at = r.timestamp("occurred_at");
    let kind = r.word::<LedgerKind>("kind");
    if let Some(kind) = kind {
        if kind != LedgerKind::Refund && r.is_blank("invoice_id") {
            let reason = format!("invoice_id is required for kind {kind} (only refund rows have no invoice)");
            r.problem("invoice_id", reason);
        }
    }
    let amount = r.money("amount");
    let reference = r.opt_text("reference");
    Some(SourceRow::Ledger(LedgerEntry {
        id: id?,
        account_id: account_id?,
        invoice_id,
        occurred_at: occurred_at?,
        kind: kind?,
        amount: amount?,
        reference,
    }))
}

fn usage_event(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    let id = r.id("id");
    let account_id = r.reference("account_id", &c.known.accounts);
    let kind = r.word::<UsageKind>("kind");
    let occurred_at = r.timestamp("occurred_at");
    let units = r.whole("units", 1);
    let rated_amount = r.opt_money("rated_amount");
    let state = r.word::<UsageState>("state");
    if state == Some(UsageState::Rated) && r.is_blank("rated_amount") {
        // Counted as 0.00 it was reported unbilled at 0.00, or tied a line it was never
        // rated for.
        r.problem(
            "rated_amount",
            "rated_amount is required for state rated (empty only while unprocessed or rerating)".to_string(),
        );
    }
    let invoice_line_id = r.opt_reference("invoice_line_id", &c.known.invoice_lines);
    let reprocessed_at = r.opt_timestamp("reprocessed_at");
    Some(SourceRow::UsageEvent(UsageEvent {
        id: id?,
        account_id: account_id?,
        kind: kind?,
        occurred_at: occurred_at?,
        units: units?,
        rated_amount,
        state: state?,
        invoice_line_id,
        reprocessed_at,
    }))
}

/// One row of `usage_daily.parquet`: the cells of a usage event's, summed (`row`: its
/// 1-based row in the file).
fn usage_daily(r: &mut Row<'_>, c: &Context, row: u64) -> Option<AggregateRow> {
    let account_id = r.reference("account_id", &c.known.accounts);
    let day = r.date("day");
    let kind = r.word::<UsageKind>("kind");
    let state = r.word::<UsageState>("state");
    let invoice_line_id = r.opt_reference("invoice_line_id", &c.known.invoice_lines);
    let units = r.whole("units", 0);
    let rated_amount = r.money("rated_amount");
    let event_count = r.whole("event_count", 1);
    Some(AggregateRow::Daily(UsageDaily {
        row,
        account_id: account_id?,
        day: day?,
        kind: kind?,
        state: state?,
        invoice_line_id,
        units: units?,
        rated_amount: rated_amount?,
        event_count: event_count?,
    }))
}

/// The one row of `usage_control.parquet`.
fn usage_control(r: &mut Row<'_>) -> Option<AggregateRow> {
    let event_count = r.whole("event_count", 0);
    let units = r.whole("units", 0);
    let rated_amount = r.money("rated_amount");
    Some(AggregateRow::Control(UsageControl {
        event_count: event_count?,
        units: units?,
        rated_amount: rated_amount?,
    }))
}

fn export_batch(r: &mut Row<'_>, _: &mut Context) -> Option<SourceRow> {
    let id = r.id("id");
    let kind = r.word::<BatchKind>("kind");
    let destination = r.text("destination");
    let created_at = r.timestamp("created_at");
    let total = r.money("total");
    Some(SourceRow::ExportBatch(ExportBatch {
        id: id?,
        kind: kind?,
        destination: destination?,
        created_at: created_at?,
        total: total?,
    }))
}

fn export_line(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    let id = r.id("id");
    let batch_id = r.reference("batch_id", &c.known.batches);
    let account_id = r.reference("account_id", &c.known.accounts);
    let invoice_id = r.opt_reference("invoice_id", &c.known.invoices);
    let amount = r.money("amount");
    Some(SourceRow::ExportLine(ExportLine {
        id: id?,
        batch_id: batch_id?,
        account_id: account_id?,
        invoice_id,
        amount: amount?,
    }))
}

/// A program belongs to an `employer` account.
fn employer_program(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    const EMPLOYER: &str = "employer_account_id";
    let id = r.id("id");
    let employer_account_id =
        reference_of_kind(r, EMPLOYER, &c.known.accounts, AccountKind::Employer, "account");
    let name = r.text("name");
    let basis_units = r.whole("basis_units", 0);
    let rate = r.money("rate");
    // The engine forms basis_units × rate: it must be an amount, and it counts toward
    // the period's bound like one.
    if let (Some(units), Some(rate)) = (basis_units, rate) {
        let shown_rate = rate.plain_in(r.currency_read().decimals);
        let fee = units as i128 * rate.cents() as i128;
        if fee.abs() >= crate::money::MAX_ABS_CENTS as i128 {
            r.problem(
                "basis_units",
                format!(
                    "basis_units × rate ({units} × {shown_rate}) is out of range: the fee must be less than {} \
                     in absolute value",
                    crate::money::Money::from_cents(crate::money::MAX_ABS_CENTS)
                        .grouped_in(r.currency_read().decimals)
                ),
            );
        } else {
            r.count_toward_bound("basis_units", fee);
        }
    }
    Some(SourceRow::EmployerProgram(EmployerProgram {
        id: id?,
        employer_account_id: employer_account_id?,
        name: name?,
        basis_units: basis_units?,
        rate: rate?,
    }))
}

fn program_statement(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    let id = r.id("id");
    let program_id = r.reference("program_id", &c.known.programs);
    let issued_on = r.date("issued_on");
    let total = r.money("total");
    Some(SourceRow::ProgramStatement(ProgramStatement {
        id: id?,
        program_id: program_id?,
        issued_on: issued_on?,
        total: total?,
    }))
}

fn statement_line(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    let id = r.id("id");
    let statement_id = r.reference("statement_id", &c.known.statements);
    let invoice_line_id = r.opt_reference("invoice_line_id", &c.known.invoice_lines);
    let description = r.opt_text("description");
    let amount = r.money("amount");
    Some(SourceRow::StatementLine(StatementLine {
        id: id?,
        statement_id: statement_id?,
        invoice_line_id,
        description,
        amount: amount?,
    }))
}

fn roster_entry(r: &mut Row<'_>, c: &mut Context) -> Option<SourceRow> {
    let login = r.login("login");
    if let Some(login) = &login {
        r.unique("login", &mut c.logins, login);
    }
    let display_name = r.text("display_name");
    let role = r.word::<Role>("role");
    let public_key = r.opt_public_key("public_key", &mut c.keys);
    Some(SourceRow::Roster(RosterEntry {
        login: login?,
        display_name: display_name?,
        role: role?,
        public_key,
    }))
}
