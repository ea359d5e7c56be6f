//! Any platform's CSV exports → a new period snapshot, through a rules file
//! (`closedesk import --map rules.toml DIR --out FILE`, docs/import-map.md).
//!
//! Each export row named by a `[[table]]` rule is turned, cell by cell, into a row of
//! closedesk's own CSV layout (docs/snapshot-format.md): columns picked by header name,
//! values mapped, dates reformatted, minor units made major, signs flipped. The rows so
//! written are then read by the native import itself (`tables::Run`), so every rule of the
//! native format — ids, references, statuses, required cells, bounds, repeated ids — holds
//! for a mapped export too, and none is written twice. Each problem the native rules find
//! is reported where its value came from: the export's `file:line:column`, or the rules
//! file's line when the value is one the rules gave. All or nothing: with any problem
//! nothing is written.
//!
//! - `rules`: the rules file, checked, every error with its line.
//!
//! The native rows are held in memory (the export's size, roughly); the native import that
//! reads them streams as ever.

pub mod rules;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use chrono::format::ParseErrorKind;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};

use self::rules::{Condition, Field, Kind, Origin, Rules, Unit};
use super::cells::{quoted, MIN_YEAR};
use super::stripe::config::{self, PeriodFile};
use super::{build, tables, Dir, ImportError, Imported, Problem, FILES, MAX_PROBLEMS};
use crate::snapshot::schema::SOURCE_TABLES;
use crate::text::{inert, inert_path};

/// What an import wrote, and what each table was made from.
#[derive(Clone, Debug)]
pub struct Mapped {
    pub imported: Imported,
    /// Per source table (in the order of `SOURCE_TABLES`): the file(s) it was made from.
    pub sources: Vec<(&'static str, String)>,
    /// Per table rule and condition, the export rows its `rows` or `skip` left out, by
    /// value: `transactions.csv → payments (rule rules.toml:79): 1 row left out by rows =
    /// { status = "success" }: status "declined" (line 4)`. Not yet inert.
    pub left_out: Vec<String>,
}

/// Where each native row came from, to report a problem where its value was read.
struct Entry {
    /// The line the row starts on in the native file.
    native_line: u64,
    /// Index into `Rules::tables`.
    rule: usize,
    /// The export's line of the row.
    export_line: u64,
    /// Index into `sources` of the export file.
    source: usize,
}

/// One export file as read: its name as shown, and each native column's 1-based position
/// in its header (0: not from a column).
struct ExportFile {
    label: String,
    positions: Vec<u64>,
}

/// One native file being written.
#[derive(Default)]
struct NativeFile {
    bytes: Vec<u8>,
    lines: u64,
    entries: Vec<Entry>,
    /// Cells whose problem was already reported (native line, column index): the native
    /// import finds them unreadable and says so again, which is dropped.
    reported: HashSet<(u64, usize)>,
    /// Amount cells the rule converted (native line, column index): the export's cell as
    /// read, the native value made of it, and whether it was negated on this row. A problem
    /// the native import finds quotes the cell, not the value made of it.
    converted: HashMap<(u64, usize), Converted>,
}

impl NativeFile {
    fn new(columns: &[&str]) -> NativeFile {
        let mut file = NativeFile::default();
        file.write(columns.iter().map(|c| c.as_bytes().to_vec()).collect());
        file
    }

    /// Appends one record; returns the line it starts on.
    fn write(&mut self, cells: Vec<Vec<u8>>) -> u64 {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        // Writing into memory cannot fail.
        let _ = writer.write_record(&cells);
        let bytes = writer.into_inner().unwrap_or_default();
        let line = self.lines + 1;
        self.lines += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        self.bytes.extend_from_slice(&bytes);
        line
    }
}

/// An amount cell a rule converted (from minor units, or negated).
struct Converted {
    cell: String,
    made: String,
    negated: bool,
}

/// Problems found while reading the rules, the period file and the exports.
struct Found {
    problems: Vec<Problem>,
    /// Export rows (file, line) already refused for their currency: a row several rules
    /// read is named once.
    other_currency: HashSet<(String, u64)>,
    /// Cells (file, line, column) that differ from a value a `rows`/`skip` condition lists
    /// only by case or surrounding spaces, with every rule that lists it: named once.
    near: BTreeMap<(String, u64, u64), NearMiss>,
    /// Export files whose header was shown (or found misread): said once, however many
    /// rules read the file.
    header_shown: HashSet<String>,
}

/// The header of an export as read, for a message about a column missing from it:
/// `the header read: 'id', 'name', 'kind' (3 columns)`.
fn header_as_read(header: &csv::ByteRecord) -> String {
    const SHOWN: usize = 40;
    let mut names: Vec<String> = header
        .iter()
        .take(SHOWN)
        .map(|name| format!("'{}'", quoted(&String::from_utf8_lossy(name))))
        .collect();
    if header.len() > SHOWN {
        names.push("…".into());
    }
    let plural = if header.len() == 1 { "column" } else { "columns" };
    format!(
        "the header read: {} ({} {plural}); a column a rule names is spelled exactly as here, case and spaces too",
        names.join(", "),
        header.len()
    )
}

/// A cell a condition does not list, though it differs from a value it lists only by case
/// or surrounding spaces (`Success` where the rule says `success`).
struct NearMiss {
    column: String,
    cell: String,
    listed: String,
    /// The values the first rule lists for the column.
    values: Vec<String>,
    /// Whether the condition is a `skip` (the row would be taken), not `rows` (left out).
    skip: bool,
    /// Each rule: `rows = { … } (table payments, rule rules.toml:79)`.
    by: Vec<String>,
}

impl NearMiss {
    fn reason(&self) -> String {
        let how = if self.cell.trim() == self.listed.trim() {
            "surrounding spaces"
        } else if self.cell.trim() == self.cell && self.listed.trim() == self.listed {
            "case"
        } else {
            "case and surrounding spaces"
        };
        let mut values: Vec<String> = self.values.iter().map(|v| rules::toml_string(v)).collect();
        values.push(rules::toml_string(&self.cell));
        format!(
            "{column} '{cell}' is not listed by {by}, but differs from '{listed}' only by {how}: did you mean \
             '{listed}'? The row would be {what}: correct the cell, or list the value as the export writes it \
             ({column} = [{values}])",
            column = quoted(&self.column),
            cell = quoted(&self.cell),
            by = self.by.join(" nor by "),
            listed = quoted(&self.listed),
            what = if self.skip {
                "taken, not skipped"
            } else {
                "left out without a word"
            },
            values = inert(&values.join(", ")),
        )
    }
}

/// The rows one condition of one table rule left out, by the values that decided it.
#[derive(Default)]
struct Tally {
    /// (the values, rows, their first lines), in the order first seen.
    values: Vec<(String, usize, Vec<u64>)>,
    at: HashMap<String, usize>,
    /// Rows of values past [`Tally::KEPT`] distinct ones: counted only.
    other: usize,
}

impl Tally {
    /// Distinct values kept (a condition is on a status or a kind: a few values).
    const KEPT: usize = 1000;
    /// Values shown in the summary, and lines shown per value.
    const SHOWN: usize = 10;
    const LINES: usize = 3;

    fn add(&mut self, key: String, line: u64) {
        match self.at.get(&key) {
            Some(&i) => {
                let (_, rows, lines) = &mut self.values[i];
                *rows += 1;
                if lines.len() < Self::LINES {
                    lines.push(line);
                }
            }
            None if self.values.len() < Self::KEPT => {
                self.at.insert(key.clone(), self.values.len());
                self.values.push((key, 1, vec![line]));
            }
            None => self.other += 1,
        }
    }

    fn rows(&self) -> usize {
        self.values.iter().map(|(_, rows, _)| rows).sum::<usize>() + self.other
    }

    /// `status "declined" (line 4), status "void" (2 rows: lines 6, 9)`, the most frequent
    /// first.
    fn shown(&self) -> String {
        let mut values: Vec<&(String, usize, Vec<u64>)> = self.values.iter().collect();
        values.sort_by_key(|(_, rows, lines)| (std::cmp::Reverse(*rows), lines[0]));
        let mut shown: Vec<String> = values
            .iter()
            .take(Self::SHOWN)
            .map(|(key, rows, lines)| {
                let list: Vec<String> = lines.iter().map(u64::to_string).collect();
                let more = if *rows > lines.len() { ", …" } else { "" };
                match rows {
                    1 => format!("{key} (line {})", lines[0]),
                    _ => format!("{key} ({rows} rows: lines {}{more})", list.join(", ")),
                }
            })
            .collect();
        let hidden = values.len().saturating_sub(Self::SHOWN);
        if hidden > 0 || self.other > 0 {
            let rows: usize = values
                .iter()
                .skip(Self::SHOWN)
                .map(|(_, rows, _)| rows)
                .sum::<usize>()
                + self.other;
            let plural = if rows == 1 { "row" } else { "rows" };
            shown.push(format!("and other values ({rows} {plural})"));
        }
        shown.join(", ")
    }
}

/// What one table rule read from its export.
#[derive(Default)]
struct Read {
    /// Its export could not be read at all (no file, no header, a column missing): its
    /// own problem is listed, and references to its rows are not checked.
    unread: bool,
    taken: usize,
    /// Rows its `rows` or `skip` left out (or refused as a near miss).
    skipped: usize,
    by_rows: Tally,
    by_skip: Tally,
    /// Rows with every cell empty, passed over.
    empty: Tally,
}

impl Read {
    fn unread() -> Read {
        Read {
            unread: true,
            ..Read::default()
        }
    }
}

impl Found {
    fn push(&mut self, file: &str, line: u64, column: u64, reason: String) {
        self.problems.push(Problem {
            file: file.to_string(),
            line,
            column,
            reason,
        });
    }
}

/// `rules.toml:12` as shown in messages.
fn rule_at(rules_label: &str, line: usize) -> String {
    format!("{rules_label}:{line}")
}

/// Reads the rules file at `rules_path` and the exports in `dir` it names, and builds the
/// snapshot `out` from them, all or nothing. The target is checked first.
pub fn import_dir(rules_path: &Path, dir: &Path, out: &Path, force: bool) -> Result<Mapped, ImportError> {
    build::check_target(out, force)?;
    Dir::new(dir)?;
    let rules_label = inert_path(rules_path);
    let text = super::read_text(rules_path)
        .map_err(|e| ImportError::Io(format!("{rules_label}: cannot read: {e}")))?;
    let rules = rules::parse(&text).map_err(|errors| ImportError::Problems {
        more: errors.len().saturating_sub(MAX_PROBLEMS),
        problems: errors
            .into_iter()
            .take(MAX_PROBLEMS)
            .map(|e| Problem {
                file: rules_label.clone(),
                line: e.line as u64,
                column: 0,
                reason: inert(&e.reason),
            })
            .collect(),
    })?;
    let mut found = Found {
        problems: Vec::new(),
        other_currency: HashSet::new(),
        near: BTreeMap::new(),
        header_shown: HashSet::new(),
    };
    let period_label = inert_path(&dir.join(&rules.period_file));
    let period = period_file(dir, &rules, &period_label, &mut found);

    let mut natives: Vec<NativeFile> = FILES
        .iter()
        .map(|(_, columns)| NativeFile::new(columns))
        .collect();
    // Minor units and the period file's materiality are the period currency's: written in
    // major units with its decimals (three for KWD, none for JPY), never assumed two.
    let currency = period
        .as_ref()
        .and_then(|(p, _)| p.currency.as_deref())
        .map(str::to_ascii_uppercase);
    let decimals = currency
        .as_deref()
        .and_then(|c| crate::money::currency_decimals(c).ok())
        .unwrap_or(2);
    if let Some((period, window)) = &period {
        crate::money::with_decimals(decimals, || write_period(&mut natives, period, window));
    }
    let mut exports: Vec<ExportFile> = Vec::new();
    let mut sources: Vec<(&'static str, String)> = SOURCE_TABLES
        .iter()
        .map(|t| {
            let what = if rules::FROM_PERIOD_FILE.contains(t) {
                rules.period_file.clone()
            } else {
                format!(
                    "none (absent from the export, {})",
                    inert_path(rules_path.file_name().map_or(rules_path, Path::new))
                )
            };
            (*t, what)
        })
        .collect();
    let mut described: HashMap<&str, Vec<String>> = HashMap::new();
    let rules_name = inert_path(rules_path.file_name().map_or(rules_path, Path::new));
    let mut left_out = Vec::new();
    let mut unread: BTreeSet<&str> = BTreeSet::new();
    for (rule_index, table) in rules.tables.iter().enumerate() {
        let read = crate::money::with_decimals(decimals, || {
            read_export(
                dir,
                &rules_label,
                rule_index,
                table,
                currency.as_deref(),
                &mut natives[table.index],
                &mut exports,
                &mut found,
            )
        });
        if read.unread {
            unread.insert(table.name);
        }
        let (taken, skipped) = (read.taken, read.skipped);
        let empty = read.empty.rows();
        if empty > 0 {
            left_out.push(format!(
                "{} → {} (rule {}): {empty} {} with every cell empty passed over ({} {}{})",
                table.file,
                table.name,
                rule_at(&rules_name, table.line),
                if empty == 1 { "row" } else { "rows" },
                if empty == 1 { "line" } else { "lines" },
                read.empty.values[0]
                    .2
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                if empty > Tally::LINES { ", …" } else { "" }
            ));
        }
        for (by, condition, tally) in [
            ("rows", &table.rows, &read.by_rows),
            ("skip", &table.skip, &read.by_skip),
        ] {
            let rows = tally.rows();
            if rows > 0 {
                left_out.push(format!(
                    "{} → {} (rule {}): {rows} {} left out by {by} = {}: {}",
                    table.file,
                    table.name,
                    rule_at(&rules_name, table.line),
                    if rows == 1 { "row" } else { "rows" },
                    condition.toml(),
                    tally.shown()
                ));
            }
        }
        let mut what = inert(&table.file);
        if !table.rows.is_empty() || !table.skip.is_empty() {
            let mut which = Vec::new();
            if !table.rows.is_empty() {
                which.push(format!("rows with {}", table.rows.shown()));
            }
            if !table.skip.is_empty() {
                which.push(format!("not {}", table.skip.shown()));
            }
            what.push_str(&format!(
                " ({}: {taken} of {})",
                inert(&which.join(", ")),
                taken + skipped
            ));
        }
        described.entry(table.name).or_default().push(what);
    }
    for (table, what) in sources.iter_mut() {
        if let Some(files) = described.get(table) {
            *what = files.join(" + ");
        }
    }
    for ((label, line, column), near) in std::mem::take(&mut found.near) {
        let reason = near.reason();
        found.push(&label, line, column, reason);
    }

    let files: BTreeMap<String, Vec<u8>> = FILES
        .iter()
        .zip(natives.iter_mut())
        .map(|((name, _), native)| (name.to_string(), std::mem::take(&mut native.bytes)))
        .collect();
    let label = |name: &str| name.to_string();
    let translate = |e: ImportError, found: Vec<Problem>| -> ImportError {
        let (native, more) = match e {
            ImportError::Problems { problems, more } => (problems, more),
            other if found.is_empty() => return other,
            _ => (Vec::new(), 0),
        };
        let mut after = Vec::new();
        // A reference to a table whose export could not be read is its consequence: counted
        // once, not listed row by row under the problem that caused it.
        let mut unchecked: BTreeMap<&str, usize> = BTreeMap::new();
        for p in native {
            // With no period file read, its own problem is listed: not again as period.csv's.
            if period.is_none() && p.file == FILES[0].0 {
                continue;
            }
            if let Some(table) = unread
                .iter()
                .find(|t| p.reason.contains(&format!("(not in {t}.csv)")))
            {
                *unchecked.entry(table).or_default() += 1;
                continue;
            }
            if let Some(p) = locate(p, &rules, &rules_label, &period_label, &natives, &exports) {
                after.push(p);
            }
        }
        // The mapping's own problems first (a column a rule names is missing, a cell it
        // cannot read), then what the native rules find in the rows it made: often only
        // their consequence (an account not mapped is then unknown to every invoice).
        let (mut problems, more) = sorted(found, more);
        for (table, n) in unchecked {
            problems.push(Problem {
                file: rules_label.clone(),
                line: 0,
                column: 0,
                reason: format!(
                    "{n} {} referring to table {table} not checked: its export could not be read (its problem is \
                     listed above)",
                    if n == 1 { "row" } else { "rows" }
                ),
            });
        }
        after.retain(|p| !problems.contains(p));
        let (rest, rest_more) = sorted(after, 0);
        let room = MAX_PROBLEMS.saturating_sub(problems.len());
        let cut = rest.len().saturating_sub(room);
        problems.extend(rest.into_iter().take(room));
        ImportError::Problems {
            problems,
            more: more + rest_more + cut,
        }
    };
    if !found.problems.is_empty() || period.is_none() {
        // The native rules still run, so that every problem is listed at once.
        let problems = std::mem::take(&mut found.problems);
        return Err(match super::parse_files(&files, &label) {
            Ok(_) => listed(problems, 0),
            Err(e) => translate(e, problems),
        });
    }
    let file_of = |table: &str| {
        sources
            .iter()
            .find(|(t, _)| *t == table)
            .map_or_else(String::new, |(_, what)| what.clone())
    };
    let imported = build::build_from(out, force, |snapshot| {
        let mut run = tables::Run::start(&files, &label)?;
        match run.period() {
            Some(period) if run.clean() => snapshot.bulk_load_from(&period.clone(), &file_of, |writer| {
                run.rows(true, &mut |row| writer.write(&row))?;
                run.finish(Some(period))
            }),
            period => {
                run.rows(false, &mut |_| Ok(()))?;
                run.finish(period)
            }
        }
    })
    .map_err(|e| translate(e, Vec::new()))?;
    Ok(Mapped {
        imported,
        sources,
        left_out,
    })
}

/// The problems sorted (file, line, column), repeats dropped, the first [`MAX_PROBLEMS`].
fn listed(all: Vec<Problem>, more: usize) -> ImportError {
    let (problems, more) = sorted(all, more);
    ImportError::Problems { problems, more }
}

/// [`listed`]'s problems and how many more there were.
fn sorted(mut all: Vec<Problem>, more: usize) -> (Vec<Problem>, usize) {
    all.sort_by(|a, b| {
        (&a.file, a.line, a.column == 0, a.column).cmp(&(&b.file, b.line, b.column == 0, b.column))
    });
    all.dedup();
    let more = more + all.len().saturating_sub(MAX_PROBLEMS);
    all.truncate(MAX_PROBLEMS);
    (all, more)
}

/// The period file and the window, checked; `None` after reporting why not.
fn period_file(
    dir: &Path,
    rules: &Rules,
    label: &str,
    found: &mut Found,
) -> Option<(PeriodFile, (String, NaiveDate, NaiveDate))> {
    let window = super::stripe::parse_window(&rules.window)?;
    let text = match super::read_text(&dir.join(&rules.period_file)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            found.push(
                label,
                0,
                0,
                "missing: the export does not know the period's entity, close owner, currency and materiality; \
                 write them in this file (docs/import-map.md, \"The period file\")"
                    .into(),
            );
            return None;
        }
        Err(e) => {
            found.push(label, 0, 0, format!("cannot read: {}", inert(&e.to_string())));
            return None;
        }
    };
    match config::parse(&text) {
        Ok(p) if p.currency.is_none() => {
            found.push(
                label,
                0,
                0,
                "currency: required with --map (the export's amounts are in it), e.g. currency = \"USD\""
                    .into(),
            );
            None
        }
        Ok(p) => Some((p, window)),
        Err(reasons) => {
            for reason in reasons {
                found.push(label, 0, 0, inert(&reason));
            }
            None
        }
    }
}

/// period.csv, lane_owners.csv and roster.csv from the period file, in the native layout.
fn write_period(natives: &mut [NativeFile], p: &PeriodFile, window: &(String, NaiveDate, NaiveDate)) {
    let text = |s: &str| s.as_bytes().to_vec();
    let opt_date = |d: Option<NaiveDate>| d.map_or_else(Vec::new, |d| text(&d.to_string()));
    natives[0].write(vec![
        text(&window.0),
        text(&p.entity),
        text(&window.1.to_string()),
        text(&window.2.to_string()),
        text(p.currency.as_deref().unwrap_or_default()),
        text(&p.close_owner),
        text(&p.materiality[0].to_string()),
        text(&p.materiality[1].to_string()),
        text(&p.materiality[2].to_string()),
        text(p.last_clean_period.as_deref().unwrap_or_default()),
        opt_date(p.last_clean_date),
        opt_date(p.exported_on),
    ]);
    for lane in &p.lane_owners {
        natives[1].write(vec![text(lane.lane.as_str()), text(&lane.owner)]);
    }
    let roster = FILES.len() - 1;
    for login in &p.roster {
        natives[roster].write(vec![
            text(&login.login),
            text(&login.display_name),
            text(&login.role.to_string()),
            Vec::new(),
        ]);
    }
}

/// Whether `condition` holds for a record (columns already known to exist).
fn holds(condition: &Condition, header: &HashMap<String, usize>, record: &csv::ByteRecord) -> bool {
    condition.0.iter().all(|(column, values)| {
        let cell = header
            .get(column)
            .and_then(|&at| record.get(at))
            .and_then(|b| std::str::from_utf8(b).ok());
        cell.is_some_and(|cell| values.iter().any(|v| v == cell))
    })
}

/// Why a field's `when` or `negate_when` is refused on this row, where it would hold but
/// for a cell that differs from a listed value only by case or surrounding spaces (`Void`
/// against `void`): the field would be emptied, or its sign left, on a guess.
fn nearly_holds(
    condition: &Condition,
    header: &HashMap<String, usize>,
    record: &csv::ByteRecord,
) -> Option<String> {
    let mut near = None;
    for (column, values) in &condition.0 {
        let cell = header
            .get(column)
            .and_then(|&at| record.get(at))
            .and_then(|b| std::str::from_utf8(b).ok());
        match matching(values, cell) {
            Match::Exact => {}
            Match::Near(listed) => {
                near.get_or_insert((column, cell.unwrap_or_default(), listed));
            }
            Match::Miss => return None,
        }
    }
    near.map(|(column, cell, listed)| {
        format!(
            "{} '{}' differs from '{}' only by case or spaces, so the condition does not hold: refused, \
             never guessed; list the value as the export writes it",
            quoted(column),
            quoted(cell),
            quoted(listed)
        )
    })
}

/// Reads one export file for one table rule and writes its rows into `native`. Returns the
/// rows taken and those its `rows` and `skip` conditions left out, by value. A row whose
/// currency (the table's `currency` column) is not `currency`, the period's, is refused; so
/// is a cell that differs from a value a condition lists only by case or surrounding spaces.
#[allow(clippy::too_many_arguments)]
fn read_export(
    dir: &Path,
    rules_label: &str,
    rule_index: usize,
    table: &rules::Table,
    currency: Option<&str>,
    native: &mut NativeFile,
    exports: &mut Vec<ExportFile>,
    found: &mut Found,
) -> Read {
    let path = dir.join(&table.file);
    let label = inert_path(&path);
    let bytes = match super::read_bytes(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            let why = if e.kind() == std::io::ErrorKind::NotFound {
                "missing file".to_string()
            } else {
                format!("cannot read: {}", inert(&e.to_string()))
            };
            let rule = rule_at(rules_label, table.line);
            found.push(
                &label,
                0,
                0,
                format!("{why} (table {} reads it, rule {rule})", table.name),
            );
            return Read::unread();
        }
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    // A report's title lines above its header (`header_line = N`) are passed over as lines,
    // whatever they hold; line numbers stay the file's.
    let first = table.header_line.0;
    let Some(bytes) = from_line(bytes, first) else {
        found.push(
            &label,
            0,
            0,
            format!(
                "the file has fewer than {first} lines, and its header is on line {first} (header_line at {})",
                rule_at(rules_label, table.header_line.1)
            ),
        );
        return Read::unread();
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header_record = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            found.push(
                &label,
                first,
                0,
                format!("cannot read the header row: {}", inert(&e.to_string())),
            );
            return Read::unread();
        }
        None => {
            found.push(&label, 0, 0, "empty file (expected a header row)".into());
            return Read::unread();
        }
    };
    let mut lines = Lines::new(bytes);
    lines.line = first;
    let header_line = lines.line_of(header_record.position().map_or(0, |p| p.byte()));
    let mut header: HashMap<String, usize> = HashMap::new();
    let mut twice: HashSet<String> = HashSet::new();
    for (i, name) in header_record.iter().enumerate() {
        if let Ok(name) = std::str::from_utf8(name) {
            if header.insert(name.to_string(), i).is_some() {
                twice.insert(name.to_string());
            }
        }
    }
    // Every column a rule names must be in the header, once.
    let mut missing = Vec::new();
    let mut need = |column: &str, line: usize, what: &str| {
        let (shown, rule) = (quoted(column), rule_at(rules_label, line));
        let reason = if twice.contains(column) {
            format!(
                "column '{shown}' is in the header more than once: which one is meant ({what}, rule {rule})?"
            )
        } else if !header.contains_key(column) {
            // A name the header spells otherwise only by case or surrounding spaces.
            let folded = column.trim().to_lowercase();
            let near = header
                .keys()
                .filter(|name| name.trim().to_lowercase() == folded)
                .min()
                .map(|name| format!("; did you mean '{}'?", quoted(name)))
                .unwrap_or_default();
            format!("no column '{shown}' in the header ({what}, rule {rule}){near}")
        } else {
            return;
        };
        missing.push(reason);
    };
    for (column, _) in table.rows.0.iter().chain(&table.skip.0) {
        need(column, table.line, &format!("table {} rows", table.name));
    }
    if let Some((column, line)) = &table.currency {
        need(column, *line, &format!("table {} currency", table.name));
    }
    for field in &table.fields {
        let what = format!("table {}, field {}", table.name, field.name);
        if let Origin::Column(column) = &field.from {
            need(column, field.line, &what);
        }
        for (column, _) in field.when.0.iter().chain(&field.negate_when.0) {
            need(column, field.line, &what);
        }
    }
    if !missing.is_empty() {
        // A report with title lines above its header: where every column the rules name is.
        let named: Vec<&str> = (table.rows.0.iter().chain(&table.skip.0).map(|(c, _)| c.as_str()))
            .chain(table.currency.iter().map(|(c, _)| c.as_str()))
            .chain(table.fields.iter().flat_map(|f| {
                let column = match &f.from {
                    Origin::Column(c) => Some(c.as_str()),
                    _ => None,
                };
                column
                    .into_iter()
                    .chain(f.when.0.iter().chain(&f.negate_when.0).map(|(c, _)| c.as_str()))
            }))
            .collect();
        if let Some(below) = header_below(bytes, first, &named) {
            found.push(
                &label,
                below,
                0,
                format!(
                    "this line holds every column the rules name for table {}: the header, below title lines? \
                     name its line: header_line = {below} (in the table's rule, {})",
                    table.name,
                    rule_at(rules_label, table.line)
                ),
            );
            return Read::unread();
        }
        // A file read wrongly as a whole (UTF-16, another separator) is said once, not as
        // every column it seems to lack; else the header as read, once per file, under
        // the columns missing from it.
        match super::csvfile::misread_header(&header_record) {
            Some(reason) => {
                if found.header_shown.insert(label.clone()) {
                    found.push(&label, header_line, 0, reason);
                }
                return Read::unread();
            }
            None => {
                // A header name in another encoding (Windows-1252 `é`) is no name a rule can
                // match: that is the first thing to fix.
                if let Some(at) = header_record
                    .iter()
                    .position(|name| std::str::from_utf8(name).is_err())
                {
                    found.push(
                        &label,
                        header_line,
                        at as u64 + 1,
                        format!(
                            "the header's column {} is not valid UTF-8 ('{}': saved in another encoding, e.g. \
                             Windows-1252?), so no rule can name it: save the file as UTF-8 — in Excel: Save As, \
                             \"CSV UTF-8 (Comma delimited)\"",
                            at + 1,
                            quoted(&String::from_utf8_lossy(&header_record[at]))
                        ),
                    );
                }
                for reason in missing.drain(..) {
                    found.push(&label, header_line, 0, reason);
                }
                if found.header_shown.insert(label.clone()) {
                    found.push(&label, header_line, 0, header_as_read(&header_record));
                }
                return Read::unread();
            }
        }
    }
    let positions: Vec<u64> = table
        .fields
        .iter()
        .map(|f| match &f.from {
            Origin::Column(c) => header.get(c).map_or(0, |&i| i as u64 + 1),
            _ => 0,
        })
        .collect();
    let source = exports.len();
    exports.push(ExportFile {
        label: label.clone(),
        positions,
    });
    let mut read = Read::default();
    // Cells that go on after their closing quote (`"North" Clinics`), by record.
    let mut after_closing = super::csvfile::after_closing_quotes(bytes, first);
    let mut records = records.peekable();
    while let Some(record) = records.next() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_of(p.byte()));
                found.push(
                    &label,
                    line,
                    0,
                    format!("cannot read this row: {}", inert(&e.to_string())),
                );
                break;
            }
        };
        let line = record.position().map_or(0, |p| lines.line_of(p.byte()));
        // `,,,,`: a row a spreadsheet saved with no value in it, as good as a blank line
        // (counted in the summary).
        if record.iter().all(|cell| cell.is_empty()) {
            read.empty.add(String::new(), line);
            continue;
        }
        let swallowed = records.peek().is_none() && record.len() != header_record.len();
        if let Some(at) = swallowed
            .then(|| record.iter().position(|f| f.contains(&b'\n')))
            .flatten()
        {
            // The last row, a field count off and a line break in a cell: a quote opened
            // and never closed read every line to the end of the file into that cell.
            let name = header_record
                .get(at)
                .map(|n| format!(" in {}", quoted(&String::from_utf8_lossy(n))))
                .unwrap_or_default();
            found.push(
                &label,
                line,
                at as u64 + 1,
                format!(
                    "unterminated quote{name}: the quoted cell that starts here has no closing quote, so \
                     every line to the end of the file was read into it"
                ),
            );
            continue;
        }
        let mut refused = false;
        while let Some(at) = after_closing.front().copied().filter(|at| at.record_line <= line) {
            after_closing.pop_front();
            if at.record_line < line {
                continue;
            }
            let what = header_record
                .get(at.field as usize - 1)
                .map(|n| format!(" in {}", quoted(&String::from_utf8_lossy(n))))
                .unwrap_or_default();
            let read = record.get(at.field as usize - 1).unwrap_or_default();
            found.push(
                &label,
                at.line,
                at.field,
                super::csvfile::after_closing_quote(&what, read),
            );
            refused = true;
        }
        if refused {
            continue;
        }
        if record.len() != header_record.len() {
            found.push(
                &label,
                line,
                0,
                format!(
                    "row has {} fields, the header has {}",
                    record.len(),
                    header_record.len()
                ),
            );
            continue;
        }
        match verdict(table, &header, &record) {
            Verdict::Take => {}
            Verdict::LeftOut { skip, key } => {
                read.skipped += 1;
                match skip {
                    false => read.by_rows.add(key, line),
                    true => read.by_skip.add(key, line),
                }
                continue;
            }
            Verdict::Near(near) => {
                read.skipped += 1;
                let condition = if near.skip { &table.skip } else { &table.rows };
                let by = format!(
                    "{} = {} (table {}, rule {})",
                    if near.skip { "skip" } else { "rows" },
                    condition.toml(),
                    table.name,
                    rule_at(rules_label, table.line)
                );
                found
                    .near
                    .entry((label.clone(), line, near.at as u64 + 1))
                    .or_insert_with(|| NearMiss {
                        column: near.column.to_string(),
                        cell: near.cell,
                        listed: near.listed.to_string(),
                        values: near.values.to_vec(),
                        skip: near.skip,
                        by: Vec::new(),
                    })
                    .by
                    .push(by);
                continue;
            }
        }
        read.taken += 1;
        if let (Some((column, rule_line)), Some(period)) = (&table.currency, currency) {
            other_currency(
                (column, *rule_line),
                period,
                table.name,
                rules_label,
                (&label, line),
                &header,
                &record,
                found,
            );
        }
        let mut cells = Vec::with_capacity(table.fields.len());
        let mut bad = Vec::new();
        let mut converted = Vec::new();
        for (index, field) in table.fields.iter().enumerate() {
            match cell(field, table, currency, rules_label, &header, &record) {
                Ok(text) => {
                    if let (Kind::Amount, Origin::Column(column)) = (field.kind, &field.from) {
                        let raw = header
                            .get(column)
                            .and_then(|&at| record.get(at))
                            .and_then(|raw| std::str::from_utf8(raw).ok())
                            .unwrap_or_default();
                        if raw != text {
                            converted.push((
                                index,
                                Converted {
                                    cell: raw.to_string(),
                                    made: text.clone(),
                                    negated: negated(field, &header, &record),
                                },
                            ));
                        }
                    }
                    cells.push(text.into_bytes())
                }
                Err(reason) => {
                    let column = exports[source].positions[index];
                    found.push(&label, line, column, reason);
                    // Not UTF-8: the native import takes it as unreadable, already reported.
                    cells.push(vec![0xFF]);
                    bad.push(index);
                }
            }
        }
        let native_line = native.write(cells);
        for index in bad {
            native.reported.insert((native_line, index));
        }
        for (index, converted) in converted {
            native.converted.insert((native_line, index), converted);
        }
        native.entries.push(Entry {
            native_line,
            rule: rule_index,
            export_line: line,
            source,
        });
    }
    read
}

/// The line a record starts on, from its byte offset: `\r\n`, `\n` and a lone `\r` are
/// one line break each, as the native import counts them. (The csv reader's own line
/// count falls one short per CRLF record, and a quoted cell over several lines moves it
/// further.) Records are asked for in order.
struct Lines<'b> {
    bytes: &'b [u8],
    /// The offset counted up to, and the line there.
    cursor: usize,
    line: u64,
}

impl<'b> Lines<'b> {
    fn new(bytes: &'b [u8]) -> Lines<'b> {
        Lines {
            bytes,
            cursor: 0,
            line: 1,
        }
    }

    /// A line break ends at `at` (a `\n`, or a `\r` not followed by `\n`).
    fn breaks_at(&self, at: usize) -> bool {
        match self.bytes.get(at) {
            Some(b'\n') => true,
            Some(b'\r') => self.bytes.get(at + 1) != Some(&b'\n'),
            _ => false,
        }
    }

    /// The line of the record the reader found at or after `start` (it skips the line
    /// ends before a record: the `\n` of a CRLF it stopped at, empty lines).
    fn line_of(&mut self, start: u64) -> u64 {
        let start = usize::try_from(start).unwrap_or(usize::MAX).min(self.bytes.len());
        while self.cursor < start || matches!(self.bytes.get(self.cursor), Some(b'\r' | b'\n')) {
            self.line += u64::from(self.breaks_at(self.cursor));
            self.cursor += 1;
        }
        self.line
    }
}

/// The first line after `header` (up to 30 lines on) whose cells include every name of
/// `named`: the header of a report that puts title lines above it.
fn header_below(bytes: &[u8], header: u64, named: &[&str]) -> Option<u64> {
    (header + 1..=header + 30).find(|&line| {
        let Some(rest) = from_line(bytes, line - header + 1) else {
            return false;
        };
        let end = rest
            .iter()
            .position(|b| matches!(b, b'\r' | b'\n'))
            .unwrap_or(rest.len());
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&rest[..end]);
        let Some(Ok(record)) = reader.byte_records().next() else {
            return false;
        };
        let cells: HashSet<&[u8]> = record.iter().collect();
        !named.is_empty() && named.iter().all(|n| cells.contains(n.as_bytes()))
    })
}

/// `bytes` from the start of line `line` (1-based; `\r\n`, `\n` and a lone `\r` end a
/// line, as [`Lines`] counts them); `None` when the file has fewer lines.
fn from_line(bytes: &[u8], line: u64) -> Option<&[u8]> {
    let mut at = 0;
    for _ in 1..line {
        let end = bytes[at..].iter().position(|b| matches!(b, b'\r' | b'\n'))? + at;
        at = end + if bytes[end..].starts_with(b"\r\n") { 2 } else { 1 };
        if at >= bytes.len() {
            return None;
        }
    }
    Some(&bytes[at..])
}

/// A cell against the values a condition lists for its column.
enum Match<'a> {
    Exact,
    /// Not listed, but equal to this listed value but for case or surrounding spaces.
    Near(&'a str),
    Miss,
}

fn matching<'a>(values: &'a [String], cell: Option<&str>) -> Match<'a> {
    let Some(cell) = cell else {
        return Match::Miss;
    };
    if values.iter().any(|v| v == cell) {
        return Match::Exact;
    }
    let folded = |text: &str| text.trim().to_lowercase();
    match values.iter().find(|v| folded(v) == folded(cell)) {
        Some(v) => Match::Near(v),
        None => Match::Miss,
    }
}

/// A near miss of a condition, to refuse.
struct Near<'a> {
    skip: bool,
    column: &'a str,
    /// The column's 0-based place in the header.
    at: usize,
    cell: String,
    listed: &'a str,
    values: &'a [String],
}

/// What a table rule's `rows` and `skip` conditions do with one export row.
enum Verdict<'a> {
    Take,
    /// Left out by `rows` (`skip` false) or by `skip`; `key`: the values that decided it,
    /// `status "declined"`.
    LeftOut {
        skip: bool,
        key: String,
    },
    /// A cell differs from a value a condition lists only by case or surrounding spaces,
    /// and it decides whether the row is taken: refused, never guessed.
    Near(Near<'a>),
}

fn verdict<'a>(
    table: &'a rules::Table,
    header: &HashMap<String, usize>,
    record: &csv::ByteRecord,
) -> Verdict<'a> {
    // Each (column, values) with the column's place and the cell, read as text.
    let cells = |condition: &'a Condition| {
        condition.0.iter().map(|(column, values)| {
            let at = header.get(column).copied().unwrap_or(0);
            let raw = record.get(at).unwrap_or_default();
            (column, values, at, raw)
        })
    };
    let shown = |column: &str, raw: &[u8]| {
        let cell = String::from_utf8_lossy(raw);
        format!(
            "{} \"{}\"",
            quoted(column),
            quoted(&cell.replace('\\', "\\\\").replace('"', "\\\""))
        )
    };
    let mut missed = Vec::new();
    let mut near = None;
    for (column, values, at, raw) in cells(&table.rows) {
        match matching(values, std::str::from_utf8(raw).ok()) {
            Match::Exact => {}
            Match::Near(listed) => {
                near.get_or_insert(Near {
                    skip: false,
                    column,
                    at,
                    cell: String::from_utf8_lossy(raw).into_owned(),
                    listed,
                    values,
                });
            }
            Match::Miss => missed.push(shown(column, raw)),
        }
    }
    if !missed.is_empty() {
        return Verdict::LeftOut {
            skip: false,
            key: missed.join(" and "),
        };
    }
    if !table.skip.is_empty() {
        let (mut keys, mut skip_near, mut any_miss) = (Vec::new(), None, false);
        for (column, values, at, raw) in cells(&table.skip) {
            match matching(values, std::str::from_utf8(raw).ok()) {
                Match::Exact => keys.push(shown(column, raw)),
                Match::Near(listed) => {
                    skip_near.get_or_insert(Near {
                        skip: true,
                        column,
                        at,
                        cell: String::from_utf8_lossy(raw).into_owned(),
                        listed,
                        values,
                    });
                }
                Match::Miss => any_miss = true,
            }
        }
        if !any_miss {
            match skip_near {
                // Skipped whatever the near miss of `rows`, if any.
                None => {
                    return Verdict::LeftOut {
                        skip: true,
                        key: keys.join(" and "),
                    }
                }
                Some(skip_near) if near.is_none() => return Verdict::Near(skip_near),
                Some(_) => {}
            }
        }
    }
    match near {
        Some(near) => Verdict::Near(near),
        None => Verdict::Take,
    }
}

/// Refuses an export row whose currency (its cell in the table's currency `column`) is not
/// the period's, at the cell; a row several rules read is named once. An amount in another
/// currency cannot be booked as the period's: it would be counted at face value.
#[allow(clippy::too_many_arguments)]
fn other_currency(
    (column, rule_line): (&str, usize),
    period: &str,
    table: &str,
    rules_label: &str,
    (label, line): (&str, u64),
    header: &HashMap<String, usize>,
    record: &csv::ByteRecord,
    found: &mut Found,
) {
    let Some(&at) = header.get(column) else {
        return;
    };
    let cell = record.get(at).map(String::from_utf8_lossy).unwrap_or_default();
    if cell.eq_ignore_ascii_case(period) || !found.other_currency.insert((label.to_string(), line)) {
        return;
    }
    let code = quoted(&cell.to_ascii_uppercase());
    let what = if cell.is_empty() {
        format!("no currency (the cell is empty), and the period's is {period}")
    } else {
        format!("currency {code} is not the period's {period}")
    };
    let rule = format!(
        "table {table}, currency = \"{}\", rule {}",
        quoted(column),
        rule_at(rules_label, rule_line)
    );
    found.push(
        label,
        line,
        at as u64 + 1,
        format!(
            "{what}: a period is in one currency, and this row's amounts cannot be booked as {period} \
             ({rule}); convert the row, or leave it out (skip = {{ {} = \"{}\" }}) and account for it \
             elsewhere",
            quoted(column),
            quoted(&cell),
        ),
    );
}

/// The native text of one field of one export row, or why it cannot be made.
fn cell(
    field: &Field,
    table: &rules::Table,
    currency: Option<&str>,
    rules_label: &str,
    header: &HashMap<String, usize>,
    record: &csv::ByteRecord,
) -> Result<String, String> {
    let column = match &field.from {
        Origin::Nothing => return Ok(String::new()),
        Origin::Value(v) => return Ok(v.clone()),
        Origin::Column(c) => c,
    };
    let rule = || {
        format!(
            "rule {} (table {}, field {})",
            rule_at(rules_label, field.line),
            table.name,
            field.name
        )
    };
    let raw = header
        .get(column)
        .and_then(|&at| record.get(at))
        .unwrap_or_default();
    let Ok(raw) = std::str::from_utf8(raw) else {
        return Err(format!(
            "{} is not valid UTF-8 (saved in another encoding, e.g. Windows-1252?): save the file as \
             UTF-8 — in Excel: Save As, \"CSV UTF-8 (Comma delimited)\"",
            quoted(column)
        ));
    };
    if !field.when.is_empty() && !holds(&field.when, header, record) {
        if let Some(near) = nearly_holds(&field.when, header, record) {
            return Err(format!("{near} (when = {}, {})", field.when.toml(), rule()));
        }
        return Ok(String::new());
    }
    if !field.negate_when.is_empty() && !holds(&field.negate_when, header, record) {
        if let Some(near) = nearly_holds(&field.negate_when, header, record) {
            return Err(format!(
                "{near} (negate_when = {}, {})",
                field.negate_when.toml(),
                rule()
            ));
        }
    }
    if raw.is_empty() && field.map.as_ref().is_none_or(|m| !m.contains_key("")) {
        return Ok(String::new());
    }
    let mut text = match &field.map {
        Some(map) => match map.get(raw) {
            Some(mapped) => mapped.clone(),
            None => {
                let known: Vec<String> = map.keys().map(|k| format!("'{}'", quoted(k))).collect();
                return Err(format!(
                    "{} '{}' has no mapping: {} maps {}",
                    quoted(column),
                    quoted(raw),
                    rule(),
                    known.join(", ")
                ));
            }
        },
        None => raw.to_string(),
    };
    if let Some(prefix) = &field.prefix {
        text.insert_str(0, prefix);
    }
    match field.kind {
        Kind::Amount => {
            amount(&text, table.amounts.0, currency, negated(field, header, record)).map_err(|why| {
                format!(
                    "{} '{}' {why} ({}, amounts = \"{}\" at {})",
                    quoted(column),
                    quoted(raw),
                    rule(),
                    table.amounts.0.name(),
                    rule_at(rules_label, table.amounts.1)
                )
            })
        }
        Kind::Date | Kind::Timestamp => match &table.date_format {
            None => Ok(text),
            Some((format, line)) => date(&text, format, field.kind).map_err(|why| match why {
                DateProblem::NoMatch(why) => format!(
                    "{} '{}' does not match date_format '{}' ({why}; {}, date_format at {})",
                    quoted(column),
                    quoted(raw),
                    inert(format),
                    rule(),
                    rule_at(rules_label, *line)
                ),
                // Not the rule's doing but the format's: said once per cell, whatever
                // rules read it.
                DateProblem::Year(year) => format!(
                    "{} '{}' read with date_format '{}' is in the year {year}: {} (date_format at {})",
                    quoted(column),
                    quoted(raw),
                    inert(format),
                    year_advice(year, format),
                    rule_at(rules_label, *line)
                ),
            }),
        },
        Kind::Other => Ok(text),
    }
}

/// Whether an amount field's sign is flipped on this row: always (`negate`), or where its
/// `negate_when` holds.
fn negated(field: &Field, header: &HashMap<String, usize>, record: &csv::ByteRecord) -> bool {
    field.negate || (!field.negate_when.is_empty() && holds(&field.negate_when, header, record))
}

/// An amount as the native format writes it: major units, the sign as wanted. Major units
/// not negated go through as written (the native import reads them, with its own
/// messages); otherwise the cell is read as an amount first and negated as a number, so a
/// cell that is not one (`--20.00`) is refused, not turned into one.
fn amount(text: &str, unit: Unit, currency: Option<&str>, negate: bool) -> Result<String, String> {
    use crate::money::Money;
    let money = match unit {
        Unit::Accounting => accounting(text, currency)?,
        Unit::Major if !negate => return Ok(text.to_string()),
        Unit::Major => {
            if text.trim() != text {
                return Err("has spaces around it".into());
            }
            Money::parse(text).map_err(|e| format!("cannot be read: {e}"))?
        }
        Unit::Minor => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err("is not a whole number of minor units".into());
            }
            let cents: i64 = text.parse().map_err(|_| "is out of range".to_string())?;
            Money::from_cents(cents)
        }
    };
    Ok(if negate { -money } else { money }.to_string())
}

/// An amount as a spreadsheet's accounting or currency format writes it, read strictly:
/// `1,234.56`, `$1,234.56`, `-$1,234.56`, `$-1,234.56`, `(1,234.56)`, `($1,234.56)`,
/// spaces around it and after its sign (`$ 1,234.56 `), and a dash alone for zero (`$ -`,
/// as the accounting format shows zero). Commas group thousands (threes after a first
/// group of one to three digits). A decimal comma, a misplaced group, the sign of another
/// currency, a minus inside parentheses: refused, never guessed.
fn accounting(text: &str, currency: Option<&str>) -> Result<crate::money::Money, String> {
    use crate::money::{currency_sign, Money, CURRENCY_SIGNS};
    let mut t = text.trim();
    let (mut parenthesized, mut minus, mut sign) = (false, false, None);
    // In the order the formats write them: `(`, `-`, the sign, `-`, `(` (`$ (12.00)`).
    let mut open = |t: &mut &str| match t.strip_prefix('(').map(|rest| rest.strip_suffix(')')) {
        Some(Some(inner)) if !parenthesized => {
            (*t, parenthesized) = (inner.trim(), true);
            Ok(())
        }
        Some(_) => Err("has a parenthesis the accounting format does not write (one pair around it)"),
        None => Ok(()),
    };
    open(&mut t)?;
    if let Some(rest) = t.strip_prefix('-') {
        (t, minus) = (rest.trim_start(), true);
    }
    if let Some(c) = t.chars().next().filter(|c| CURRENCY_SIGNS.contains(c)) {
        (t, sign) = (t[c.len_utf8()..].trim_start(), Some(c));
        if let (false, Some(rest)) = (minus, t.strip_prefix('-')) {
            (t, minus) = (rest.trim_start(), true);
        }
    }
    open(&mut t)?;
    if t.starts_with('-') {
        return Err("has a second minus".into());
    }
    if t.contains(['(', ')']) {
        return Err("has a parenthesis the accounting format does not write (one pair around it)".into());
    }
    if parenthesized && minus {
        return Err("has a minus inside parentheses (negative once, or twice?)".into());
    }
    if let Some(sign) = sign {
        let period = currency.and_then(currency_sign);
        if period != Some(sign) {
            return Err(match (currency, period) {
                (Some(code), Some(own)) => {
                    format!("has the sign {sign}, not the period's {code} ({own}): a period is in one currency")
                }
                (Some(code), None) => format!(
                    "has the sign {sign}, and closedesk writes the period's {code} with none: write the number alone"
                ),
                (None, _) => format!("has the sign {sign}, and the period file names no currency"),
            });
        }
    }
    if t.is_empty() {
        // `-`, `$ -`: the accounting format's zero.
        return match minus && !parenthesized {
            true => Ok(Money::ZERO),
            false => Err("has no digits".into()),
        };
    }
    // Something else than digits, commas and a point (`US$1,234.56`, `~12.00`, `1e3`): the
    // reason is the plain reader's, not the grouping's.
    if !t.bytes().all(|b| b.is_ascii_digit() || b == b',' || b == b'.') {
        return Err(match Money::parse(&t.replace(',', "")) {
            Err(e) => format!("cannot be read: {e}"),
            Ok(_) => "cannot be read: not an amount (expected e.g. 1,234.56)".into(),
        });
    }
    let whole = t.split('.').next().unwrap_or(t);
    if whole.contains(',') {
        let groups: Vec<&str> = whole.split(',').collect();
        let digits = |g: &str| g.bytes().all(|b| b.is_ascii_digit());
        let grouped = (1..=3).contains(&groups[0].len())
            && groups.iter().all(|g| digits(g))
            && groups[1..].iter().all(|g| g.len() == 3);
        // `0,125` is no thousand: a spreadsheet writes no leading zero group. And in a
        // currency of three decimals `1,500` may be 1500 or 1.500: never guessed.
        if grouped && groups[0].starts_with('0') {
            return Err(
                "has a decimal comma: the accounting format reads 1,234.56 (a comma groups thousands, a \
                        point starts the decimals)"
                    .into(),
            );
        }
        if grouped && !t.contains('.') && crate::money::decimals() == 3 {
            return Err(
                "has a comma and no decimal point in a currency of three decimals: 1,500 may be 1500 or \
                        1.500; write its decimals (1,500.000)"
                    .into(),
            );
        }
        if !grouped {
            return Err(match (groups.len(), t.contains('.')) {
                (2, false) if groups[1].len() != 3 && digits(groups[1]) => {
                    "has a decimal comma: the accounting format reads 1,234.56 (a comma groups thousands, a point \
                     starts the decimals)"
                        .into()
                }
                _ => "has a comma that does not group thousands (1,234,567.89)".into(),
            });
        }
    }
    if t[whole.len()..].contains(',') {
        return Err("has a comma after the decimal point (the accounting format reads 1,234.56)".into());
    }
    let money = Money::parse(&t.replace(',', "")).map_err(|e| format!("cannot be read: {e}"))?;
    Ok(if minus || parenthesized { -money } else { money })
}

/// Why a date cell cannot be read with its table's `date_format`.
#[derive(Debug, PartialEq)]
enum DateProblem {
    /// chrono's reason.
    NoMatch(String),
    /// It was read, into a year before [`MIN_YEAR`] or past 9999.
    Year(i32),
}

/// What to do about a date read into `year`, outside [`MIN_YEAR`]..=9999.
fn year_advice(year: i32, format: &str) -> String {
    if year > 9999 {
        return "closedesk reads years of four digits: write the year with four digits".into();
    }
    let mut advice = format!("a year before {MIN_YEAR} is no billing date.");
    if format.contains("%Y") {
        // chrono's %Y takes one digit or more: `3/2/26` is the year 26.
        advice.push_str(" A two-digit year? %Y reads four digits, %y two: write the year with four digits, or read it with %y");
    } else {
        advice.push_str(" Write the year with four digits");
    }
    advice
}

/// A date or timestamp read with `format`, written as the native format wants it. A year
/// before [`MIN_YEAR`] is refused (chrono's `%Y` reads `26` as the year 26), and so is one
/// past 9999 (the native format's years have four digits).
fn date(text: &str, format: &str, kind: Kind) -> Result<String, DateProblem> {
    // Spaces around a date are a spreadsheet's padding, never part of it.
    let text = text.trim();
    let has_offset = format.contains("%z") || format.contains("%:z") || format.contains("%#z");
    let at = if has_offset {
        DateTime::parse_from_str(text, format).map(|d| d.naive_utc())
    } else {
        match NaiveDateTime::parse_from_str(text, format) {
            Err(e) if e.kind() == ParseErrorKind::NotEnough => {
                NaiveDate::parse_from_str(text, format).map(|d| d.and_time(chrono::NaiveTime::MIN))
            }
            other => other,
        }
    }
    .map_err(|e| DateProblem::NoMatch(date_reason(text, format, e.kind())))?;
    if !(MIN_YEAR..=9999).contains(&at.year()) {
        return Err(DateProblem::Year(at.year()));
    }
    Ok(match kind {
        Kind::Timestamp => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        _ => at.date().format("%Y-%m-%d").to_string(),
    })
}

/// Why `text` does not read with `format`, in a user's words (chrono's are "input is out of
/// range", "input contains invalid characters"), with the likely fix where one shows.
fn date_reason(text: &str, format: &str, kind: ParseErrorKind) -> String {
    let numbers: Vec<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .filter_map(|n| n.parse().ok())
        .collect();
    let month_first = format
        .find("%m")
        .zip(format.find("%d"))
        .is_some_and(|(m, d)| m < d);
    let day_first = format
        .find("%d")
        .zip(format.find("%m"))
        .is_some_and(|(d, m)| d < m);
    // The same format with its day and month the other way round.
    let swapped = format
        .replacen("%m", "\0", 1)
        .replacen("%d", "%m", 1)
        .replacen('\0', "%d", 1);
    match kind {
        ParseErrorKind::OutOfRange | ParseErrorKind::Impossible => {
            let mut why = "no such date or time (a day, month or hour out of range)".to_string();
            // Only where the swapped format reads it: a hint that cannot help misleads.
            let leading = (format.starts_with("%m") || format.starts_with("%d")) && reads(text, &swapped);
            if leading && month_first && numbers.first().is_some_and(|n| *n > 12) {
                why.push_str(&format!("; day first? read it with {swapped}"));
            } else if leading && day_first && numbers.get(1).is_some_and(|n| *n > 12) {
                why.push_str(&format!("; month first? read it with {swapped}"));
            }
            why
        }
        ParseErrorKind::TooShort => "it ends before the format does".into(),
        ParseErrorKind::TooLong => {
            let mut why = "it goes on after the format ends".to_string();
            if text.contains('.') && !format.contains("%.f") && format.contains("%S") {
                why.push_str("; fractional seconds? read them with %S%.f");
            }
            why
        }
        ParseErrorKind::NotEnough => "the format does not name a whole date".into(),
        _ => {
            let mut why = "it has characters where the format expects others".to_string();
            if text.ends_with('Z') && (format.contains("%:z") || format.contains("%z")) {
                why.push_str("; a Z for UTC? %#z reads Z as well as +hh:mm");
            } else if text.contains('.') && !format.contains("%.f") && format.contains("%S") {
                why.push_str("; fractional seconds? read them with %S%.f");
            }
            why
        }
    }
}

/// Whether `text` reads with `format`, as [`date`] reads it (with an offset, a date and
/// time, or a date alone).
fn reads(text: &str, format: &str) -> bool {
    let has_offset = format.contains("%z") || format.contains("%:z") || format.contains("%#z");
    match has_offset {
        true => DateTime::parse_from_str(text, format).is_ok(),
        false => {
            NaiveDateTime::parse_from_str(text, format).is_ok()
                || NaiveDate::parse_from_str(text, format).is_ok()
        }
    }
}

/// A problem the native import found in a native file, placed where its value came from;
/// `None` when it repeats one already reported.
fn locate(
    p: Problem,
    rules: &Rules,
    rules_label: &str,
    period_label: &str,
    natives: &[NativeFile],
    exports: &[ExportFile],
) -> Option<Problem> {
    let Some(index) = FILES.iter().position(|(name, _)| *name == p.file) else {
        return Some(p);
    };
    let table = FILES[index].0.trim_end_matches(".csv");
    if rules::FROM_PERIOD_FILE.contains(&table) {
        return Some(Problem {
            file: period_label.to_string(),
            line: 0,
            column: 0,
            reason: format!("{table}: {}", p.reason),
        });
    }
    let native = &natives[index];
    let entry = native.entries.iter().rev().find(|e| e.native_line <= p.line);
    let Some(entry) = entry.filter(|_| p.line > 0) else {
        return Some(Problem {
            file: format!("{table} (mapped by {rules_label})"),
            ..p
        });
    };
    let rule = &rules.tables[entry.rule];
    let line = entry.export_line + (p.line - entry.native_line);
    let p = Problem {
        reason: native_words(&p.reason, native, exports),
        ..p
    };
    let export = &exports[entry.source];
    if p.column == 0 {
        return Some(Problem {
            file: export.label.clone(),
            line,
            column: 0,
            reason: format!("{} (table {})", p.reason, table),
        });
    }
    let at = p.column as usize - 1;
    if native.reported.contains(&(entry.native_line, at)) {
        return None;
    }
    let field = &rule.fields[at];
    // An amount the rule converted: the cell quoted as read (a minor-units `0`, not the
    // `0.00` made of it), with the value checked where it was negated.
    let converted = native.converted.get(&(entry.native_line, at));
    let negated = converted.is_some_and(|c| c.negated);
    let reason = match converted {
        Some(c) => {
            let cell = match c.negated {
                true => format!("'{}' (negated: {})", quoted(&c.cell), quoted(&c.made)),
                false => format!("'{}'", quoted(&c.cell)),
            };
            p.reason.replacen(&format!("'{}'", quoted(&c.made)), &cell, 1)
        }
        None => p.reason.clone(),
    };
    // The value the rule read is below zero (`($20.00)`, `-2000` minor), not zero (`$ -`).
    let read_negative = converted
        .map(|c| c.made.clone())
        .or_else(|| p.reason.split('\'').nth(1).map(String::from))
        .is_some_and(|made| made.starts_with('-') && made.bytes().any(|b| (b'1'..=b'9').contains(&b)));
    // `$1,250.00`, `(12.00)` in a table read as plain major units: the export is a
    // spreadsheet's, which the accounting format reads as written.
    let spreadsheet = {
        use crate::money::MoneyError::{CurrencyInAmount, Parentheses, ThousandsSeparator};
        field.kind == Kind::Amount
            && rule.amounts.0 == Unit::Major
            && [CurrencyInAmount, ThousandsSeparator, Parentheses]
                .iter()
                .any(|e| reason.contains(&e.to_string()))
    };
    Some(match &field.from {
        Origin::Column(column) => Problem {
            file: export.label.clone(),
            line,
            column: export.positions[at],
            reason: format!(
                "{reason} (column '{}' → {}.{}{}, rule {}){}",
                quoted(column),
                table,
                field.name,
                // How the rule changed the cell, on this row.
                match (field.kind, negated, rule.amounts.0) {
                    (Kind::Amount, true, _) => ", negated",
                    (Kind::Amount, false, Unit::Minor) => ", from minor units",
                    (Kind::Amount, false, Unit::Accounting) => ", from the accounting format",
                    _ => "",
                },
                rule_at(rules_label, field.line),
                match spreadsheet {
                    true => format!(
                        "; amounts written as a spreadsheet shows them ($1,250.00, (12.00)) are read as written \
                         with amounts = \"accounting\"{}",
                        match rule.amounts.1 {
                            0 => String::new(),
                            line => format!(" (amounts = \"major\" at {})", rule_at(rules_label, line)),
                        }
                    ),
                    // A refund or a credit note the export writes negative, where the
                    // table wants every row positive: the sign convention is the rule's.
                    false if field.kind == Kind::Amount
                        && !field.negate
                        && field.negate_when.is_empty()
                        && reason.contains("must be greater than zero")
                        && read_negative =>
                    {
                        "; an export that writes these rows negative (refunds, credit notes): flip the sign in \
                         the rule, negate = true, or negate_when = { Column = [\"value\"] } for some rows"
                            .to_string()
                    }
                    false => String::new(),
                }
            ),
        },
        Origin::Value(_) | Origin::Nothing => Problem {
            file: rules_label.to_string(),
            line: field.line as u64,
            column: 0,
            reason: format!(
                "table {table}, field {}{}: {}",
                field.name,
                if matches!(field.from, Origin::Nothing) {
                    " (not mapped)"
                } else {
                    ""
                },
                p.reason
            ),
        },
    })
}

/// A native reason in the export's words: a reference names the table, not a native
/// file no one wrote; a repeated id's first line is the export's.
fn native_words(reason: &str, native: &NativeFile, exports: &[ExportFile]) -> String {
    let mut reason = reason.to_string();
    for (name, _) in FILES {
        let table = name.trim_end_matches(".csv");
        reason = reason.replace(
            &format!("(not in {name})"),
            &format!("(no such row in table {table})"),
        );
    }
    // A native line named inside the text: the export's line of it.
    let export_line = |line: u64| {
        let entry = native.entries.iter().rev().find(|e| e.native_line <= line)?;
        Some((entry.source, entry.export_line + (line - entry.native_line)))
    };
    // `(first on line N`: the first row of a repeated id, in its export (which may be
    // another file than this row's); `runs on to line N`: the same cell's last line.
    for (marker, with_file) in [("(first on line ", true), ("runs on to line ", false)] {
        let Some(start) = reason.find(marker) else {
            continue;
        };
        let rest = &reason[start + marker.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let Some((source, line)) = digits.parse::<u64>().ok().and_then(export_line) else {
            continue;
        };
        let at = match with_file {
            true => format!("(first at {}:{line}", exports[source].label),
            false => format!("{marker}{line}"),
        };
        let end = start + marker.len() + digits.len();
        reason = format!("{}{at}{}", &reason[..start], &reason[end..]);
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_minor_units_and_signs() {
        assert_eq!(amount("1250", Unit::Minor, None, false).unwrap(), "12.50");
        assert_eq!(amount("-5", Unit::Minor, None, false).unwrap(), "-0.05");
        assert_eq!(amount("1250", Unit::Minor, None, true).unwrap(), "-12.50");
        assert_eq!(amount("-12.50", Unit::Major, None, true).unwrap(), "12.50");
        assert_eq!(amount("12.50", Unit::Major, None, false).unwrap(), "12.50");
        assert!(amount("12.50", Unit::Minor, None, false).is_err());
        assert!(amount("99999999999999999999", Unit::Minor, None, false).is_err());
        // Negated as a number: a cell that is not an amount is refused, not made one.
        assert_eq!(
            amount("--20.00", Unit::Major, None, true).unwrap_err(),
            "cannot be read: not an amount (expected e.g. 1250.00 or -12.5)"
        );
        assert!(amount("-", Unit::Major, None, true).is_err());
        assert!(amount(" 20.00", Unit::Major, None, true).is_err());
        assert_eq!(amount("20.5", Unit::Major, None, true).unwrap(), "-20.50");
        assert_eq!(amount("-0.00", Unit::Major, None, true).unwrap(), "0.00");
    }

    #[test]
    fn amounts_as_a_spreadsheets_accounting_format_writes_them() {
        let read = |text: &str| amount(text, Unit::Accounting, Some("USD"), false);
        // Each as Excel's accounting or currency format shows it, and the plain forms.
        for (cell, made) in [
            ("1,234.56", "1234.56"),
            ("1234.56", "1234.56"),
            ("$1,234.56", "1234.56"),
            (" $ 1,234.56 ", "1234.56"),
            ("-$1,234.56", "-1234.56"),
            ("$-1,234.56", "-1234.56"),
            ("(1,234.56)", "-1234.56"),
            ("($1,234.56)", "-1234.56"),
            ("$ (1,234.56)", "-1234.56"),
            ("$ -", "0.00"),
            ("-", "0.00"),
            ("(0.00)", "0.00"),
            ("1,250", "1250.00"),
            ("12,345,678.9", "12345678.90"),
            ("999", "999.00"),
        ] {
            assert_eq!(read(cell).as_deref(), Ok(made), "{cell}");
        }
        // Negated as a number, after reading: (12.00) negated is 12.00.
        assert_eq!(
            amount("(12.00)", Unit::Accounting, Some("USD"), true).unwrap(),
            "12.00"
        );
        for (cell, why) in [
            ("9,75", "has a decimal comma"),
            ("1.234,56", "has a comma after the decimal point"),
            ("1,23.45", "has a comma that does not group thousands"),
            ("12,3456.00", "has a comma that does not group thousands"),
            (",123.00", "has a comma that does not group thousands"),
            ("1,234,56", "has a comma that does not group thousands"),
            ("0,125", "has a decimal comma"),
            ("00,125", "has a decimal comma"),
            ("0,000.00", "has a decimal comma"),
            ("(-12.00)", "has a minus inside parentheses"),
            ("-(12.00)", "has a minus inside parentheses"),
            ("(12.00", "has a parenthesis"),
            ("12.00)", "has a parenthesis"),
            ("((12.00))", "has a parenthesis"),
            ("€12.00", "has the sign €, not the period's USD ($)"),
            ("$", "has no digits"),
            ("()", "has no digits"),
            ("12.345", "cannot be read: amount has more than 2 decimals"),
            ("1e3", "cannot be read: amount in scientific notation"),
            ("12.00 USD", "cannot be read: amount has a currency code"),
            ("1 234.56", "cannot be read: amount has a space inside it"),
            ("+12.00", "cannot be read: amount has a leading '+'"),
            (
                "US$1,234.56",
                "cannot be read: amount has a currency code or sign",
            ),
            (
                "CA$1,234.56",
                "cannot be read: amount has a currency code or sign",
            ),
            ("~1,234.56", "cannot be read: not an amount"),
            (
                "1,234.56 USD",
                "cannot be read: amount has a currency code or sign",
            ),
            ("--12.00", "has a second minus"),
            ("$--12.00", "has a second minus"),
        ] {
            let refused = read(cell).expect_err(cell);
            assert!(refused.starts_with(why), "{cell}: {refused}");
        }
        // The sign is the period currency's; a currency with no sign here takes none.
        assert_eq!(
            amount("€1.234,00", Unit::Accounting, Some("EUR"), false).unwrap_err(),
            "has a comma after the decimal point (the accounting format reads 1,234.56)"
        );
        assert_eq!(
            amount("€1,234.00", Unit::Accounting, Some("EUR"), false).unwrap(),
            "1234.00"
        );
        assert!(amount("$1.00", Unit::Accounting, Some("CHF"), false)
            .unwrap_err()
            .starts_with("has the sign $, and closedesk writes the period's CHF with none"));
        // Three decimals: a comma with no point is 1500 or 1.500, refused; with its decimals read.
        let kwd = |text: &str| {
            crate::money::with_decimals(3, || amount(text, Unit::Accounting, Some("KWD"), false))
        };
        assert!(kwd("1,500")
            .unwrap_err()
            .starts_with("has a comma and no decimal point in a currency of three"));
        assert!(kwd("0,125").unwrap_err().starts_with("has a decimal comma"));
        assert_eq!(kwd("1,500.000").unwrap(), "1500.000");
        let jpy = crate::money::with_decimals(0, || amount("¥1,500", Unit::Accounting, Some("JPY"), false));
        assert_eq!(jpy.unwrap(), "1500");
    }

    /// Any amount, written as a spreadsheet writes it (grouped by threes, negative in
    /// parentheses or with a minus before or after the sign, padded), reads back to itself.
    #[test]
    fn an_accounting_amount_reads_back_whatever_its_form() {
        use proptest::prelude::*;
        proptest!(|(cents in -100_000_000_000i64..100_000_000_000, form in 0u8..4, sign in any::<bool>(), pad in any::<bool>())| {
            let money = crate::money::Money::from_cents(cents);
            let plain = money.abs().to_string();
            let (whole, frac) = plain.split_once('.').unwrap();
            let digits: Vec<char> = whole.chars().collect();
            let mut grouped = String::new();
            for (i, c) in digits.iter().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    grouped.push(',');
                }
                grouped.push(*c);
            }
            let number = format!("{}{grouped}.{frac}", if sign { "$" } else { "" });
            let written = match (cents < 0, form) {
                (false, _) => number,
                (true, 0) => format!("({number})"),
                (true, 1) => format!("-{number}"),
                (true, 2) if sign => format!("$-{}", &number[1..]),
                (true, _) => format!("- {number}"),
            };
            let written = if pad { format!(" {written} ") } else { written };
            prop_assert_eq!(amount(&written, Unit::Accounting, Some("USD"), false), Ok(money.to_string()), "{}", written);
        });
    }

    #[test]
    fn minor_units_are_the_period_currencys() {
        // KWD has three decimals: 10800 fils are 10.800, not 108.00; JPY has none.
        let kwd = crate::money::with_decimals(3, || amount("10800", Unit::Minor, None, false).unwrap());
        assert_eq!(kwd, "10.800");
        let jpy = crate::money::with_decimals(0, || amount("500", Unit::Minor, None, true).unwrap());
        assert_eq!(jpy, "-500");
    }

    #[test]
    fn a_near_miss_of_a_condition_is_refused_only_where_it_decides() {
        let text = format!(
            "window = \"2026-03\"\nabsent = [{}]\n[[table]]\nname = \"payments\"\nfile = \"t.csv\"\n\
             rows = {{ status = \"success\", type = \"purchase\" }}\nskip = {{ note = \"test\" }}\n",
            FILES
                .iter()
                .map(|(f, _)| f.trim_end_matches(".csv"))
                .filter(|t| !rules::FROM_PERIOD_FILE.contains(t) && *t != "payments")
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rules = rules::parse(&text).unwrap();
        let header: HashMap<String, usize> = [("status", 0), ("type", 1), ("note", 2)]
            .into_iter()
            .map(|(c, i)| (c.to_string(), i))
            .collect();
        let verdict_of = |cells: [&str; 3]| match verdict(
            &rules.tables[0],
            &header,
            &csv::ByteRecord::from(cells.to_vec()),
        ) {
            Verdict::Take => "take".to_string(),
            Verdict::LeftOut { skip, key } => format!("{} {key}", if skip { "skip" } else { "rows" }),
            Verdict::Near(n) => format!(
                "near {} {} {:?}",
                if n.skip { "skip" } else { "rows" },
                n.column,
                n.cell
            ),
        };
        assert_eq!(verdict_of(["success", "purchase", ""]), "take");
        assert_eq!(
            verdict_of(["declined", "purchase", ""]),
            "rows status \"declined\""
        );
        assert_eq!(
            verdict_of(["Success", "purchase", ""]),
            "near rows status \"Success\""
        );
        // Left out by another column anyway, or skipped anyway: nothing is lost.
        assert_eq!(verdict_of(["Success", "refund", ""]), "rows type \"refund\"");
        assert_eq!(verdict_of(["Success", "purchase", "test"]), "skip note \"test\"");
        assert_eq!(
            verdict_of(["success", "purchase", "Test "]),
            "near skip note \"Test \""
        );
    }

    #[test]
    fn dates_in_any_strftime_format() {
        assert_eq!(date("02/03/2026", "%d/%m/%Y", Kind::Date).unwrap(), "2026-03-02");
        assert_eq!(
            date("02/03/2026", "%d/%m/%Y", Kind::Timestamp).unwrap(),
            "2026-03-02T00:00:00Z"
        );
        assert_eq!(
            date("2026-03-02 10:17:02 UTC", "%Y-%m-%d %H:%M:%S UTC", Kind::Date).unwrap(),
            "2026-03-02"
        );
        assert_eq!(
            date(
                "2026-03-02T23:30:00-02:00",
                "%Y-%m-%dT%H:%M:%S%:z",
                Kind::Timestamp
            )
            .unwrap(),
            "2026-03-03T01:30:00Z"
        );
        assert!(date("31/02/2026", "%d/%m/%Y", Kind::Date).is_err());
        assert!(date("2026-03-02", "%d/%m/%Y", Kind::Date).is_err());
        // Padding is no part of a date.
        assert_eq!(date(" 3/31/2026 ", "%m/%d/%Y", Kind::Date).unwrap(), "2026-03-31");
    }

    /// chrono's "input is out of range" in a user's words, with the fix that shows.
    #[test]
    fn a_date_that_does_not_read_says_why_in_words() {
        let why = |text: &str, format: &str| match date(text, format, Kind::Timestamp) {
            Err(DateProblem::NoMatch(why)) => why,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(
            why("28/03/2026", "%m/%d/%Y"),
            "no such date or time (a day, month or hour out of range); day first? read it with %d/%m/%Y"
        );
        assert_eq!(
            why("03/28/2026", "%d/%m/%Y"),
            "no such date or time (a day, month or hour out of range); month first? read it with %m/%d/%Y"
        );
        assert_eq!(
            why("2/30/2026", "%m/%d/%Y"),
            "no such date or time (a day, month or hour out of range)"
        );
        assert_eq!(
            why("2026-03-02T10:00:00Z", "%Y-%m-%dT%H:%M:%S%:z"),
            "it has characters where the format expects others; a Z for UTC? %#z reads Z as well as +hh:mm"
        );
        assert_eq!(
            why("2026-03-02 10:00:00.250", "%Y-%m-%d %H:%M:%S"),
            "it goes on after the format ends; fractional seconds? read them with %S%.f"
        );
        assert_eq!(why("2026-03", "%Y-%m-%d"), "it ends before the format does");
        // No hint where swapping cannot help: 13/13 reads neither way.
        assert_eq!(
            why("13/13/2026", "%d/%m/%Y"),
            "no such date or time (a day, month or hour out of range)"
        );
        // The fixes read: %#z takes Z, %.f the fraction.
        assert!(date("2026-03-02T10:00:00Z", "%Y-%m-%dT%H:%M:%S%#z", Kind::Timestamp).is_ok());
        assert!(date("2026-03-02 10:00:00.250", "%Y-%m-%d %H:%M:%S%.f", Kind::Timestamp).is_ok());
    }

    #[test]
    fn lines_of_records_by_their_offset() {
        let lines_of = |bytes: &[u8]| {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(bytes);
            let mut lines = Lines::new(bytes);
            reader
                .byte_records()
                .map(|r| lines.line_of(r.unwrap().position().unwrap().byte()))
                .collect::<Vec<_>>()
        };
        assert_eq!(lines_of(b"a,b\n1,2\n3,4\n"), [1, 2, 3]);
        assert_eq!(lines_of(b"a,b\r\n1,2\r\n3,4\r\n"), [1, 2, 3]);
        assert_eq!(lines_of(b"a,b\r1,2\r3,4"), [1, 2, 3]);
        assert_eq!(lines_of(b"a,b\r\n\"1\r\nx\",2\r\n\r\n3,4\r\n"), [1, 2, 5]);
        assert_eq!(lines_of(b"a,b\n\"1\nx\ny\",2\n3,4"), [1, 2, 5]);
    }

    #[test]
    fn a_year_before_1900_or_past_9999_is_refused() {
        // chrono's %Y reads `26` as the year 26.
        assert_eq!(
            date("3/2/26 10:17", "%m/%d/%Y %H:%M", Kind::Timestamp),
            Err(DateProblem::Year(26))
        );
        assert_eq!(
            date("3/2/26 10:17", "%m/%d/%y %H:%M", Kind::Timestamp).unwrap(),
            "2026-03-02T10:17:00Z"
        );
        assert_eq!(
            date("1899-12-31", "%Y-%m-%d", Kind::Date),
            Err(DateProblem::Year(1899))
        );
        assert_eq!(date("1900-01-01", "%Y-%m-%d", Kind::Date).unwrap(), "1900-01-01");
        assert_eq!(
            date("+10000-01-01", "%Y-%m-%d", Kind::Date),
            Err(DateProblem::Year(10000))
        );
        assert!(year_advice(26, "%m/%d/%Y").contains("%Y reads four digits, %y two"));
        assert!(!year_advice(26, "%m/%d/%y").contains("%Y"));
    }
}
