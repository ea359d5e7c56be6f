//! CSV files → a new period snapshot, all or nothing (docs/snapshot-format.md).
//!
//! [`import_dir`] streams the sixteen files of a directory row by row into a temporary
//! snapshot next to the target (the same bulk load as `closedesk demo --scale`, one
//! transaction, indexes built after the rows) and moves it into place only when every row
//! of every file was accepted; every rejected value (up to [`MAX_PROBLEMS`]) is reported as
//! `file:line:column: reason`. Memory does not grow with the files: no table is held, only
//! compact sets of ids. [`parse_files`] and [`read_dir`] run the very same checks and
//! collect the rows into a [`SourceData`] instead (the demo period, tests), which
//! [`build_snapshot`] writes.
//!
//! - `record`: the shape of a file as read (header, cells), shared by the two below.
//! - `csvfile`: one file's bytes → header check and raw records (UTF-8 per field), streamed.
//! - `cells`: one parsing helper per kind of cell, each reporting its own problems.
//! - `ids`: compact id sets for references and repeated ids.
//! - `tables`: one function per source table, the row rules and the references; the run.
//! - `build`: the temporary file, the checkpoint and the rename.
//! - `stripe`: Stripe's own objects (JSON of its list endpoints) → the same snapshot
//!   (`import --from stripe`, docs/import-stripe.md).
//! - `map`: another platform's CSV exports, through a rules file, → rows of the native
//!   layout read by `tables` itself (`import --map`, docs/import-map.md).

mod build;
pub(crate) use build::{remove_dead_temporaries, temporary_stem};
mod cells;
mod csvfile;
mod ids;
pub mod map;
mod parquet;
mod record;
pub mod stripe;
mod tables;

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use crate::snapshot::model::{Period, SourceData};
use crate::text::inert_path;

pub use build::{build_snapshot, build_with};

/// At most this many problems are listed; the rest are only counted.
pub const MAX_PROBLEMS: usize = 50;

/// Every source file and its columns, in the order of
/// [`crate::snapshot::schema::SOURCE_TABLES`], exactly as docs/snapshot-format.md lists them.
pub const FILES: &[(&str, &[&str])] = &[
    (
        "period.csv",
        &[
            "id",
            "entity",
            "window_start",
            "window_end",
            "currency",
            "close_owner",
            "materiality_medium",
            "materiality_high",
            "materiality_critical",
            "last_clean_period",
            "last_clean_date",
            "exported_on",
        ],
    ),
    ("lane_owners.csv", &["lane", "owner"]),
    ("accounts.csv", &["id", "name", "kind"]),
    (
        "invoices.csv",
        &[
            "id",
            "account_id",
            "status",
            "posted_at",
            "voided_at",
            "due_date",
            "total",
            "balance",
        ],
    ),
    (
        "invoice_lines.csv",
        &[
            "id",
            "invoice_id",
            "kind",
            "program_id",
            "service_start",
            "service_end",
            "amount",
            "revenue_rule",
            "description",
        ],
    ),
    (
        "payments.csv",
        &[
            "id",
            "account_id",
            "kind",
            "related_payment_id",
            "occurred_on",
            "amount",
            "reference",
        ],
    ),
    (
        "credits.csv",
        &[
            "id",
            "account_id",
            "kind",
            "related_credit_id",
            "issued_on",
            "amount",
            "reason",
        ],
    ),
    (
        "disbursements.csv",
        &[
            "id",
            "source_kind",
            "source_id",
            "invoice_id",
            "disbursed_on",
            "amount",
        ],
    ),
    (
        "ledger.csv",
        &[
            "id",
            "account_id",
            "invoice_id",
            "occurred_at",
            "kind",
            "amount",
            "reference",
        ],
    ),
    (
        "usage_events.csv",
        &[
            "id",
            "account_id",
            "kind",
            "occurred_at",
            "units",
            "rated_amount",
            "state",
            "invoice_line_id",
            "reprocessed_at",
        ],
    ),
    (
        "export_batches.csv",
        &["id", "kind", "destination", "created_at", "total"],
    ),
    (
        "export_lines.csv",
        &["id", "batch_id", "account_id", "invoice_id", "amount"],
    ),
    (
        "employer_programs.csv",
        &["id", "employer_account_id", "name", "basis_units", "rate"],
    ),
    (
        "program_statements.csv",
        &["id", "program_id", "issued_on", "total"],
    ),
    (
        "statement_lines.csv",
        &["id", "statement_id", "invoice_line_id", "description", "amount"],
    ),
    ("roster.csv", &["login", "display_name", "role", "public_key"]),
];

/// The only columns whose cells may hold line breaks: free text that may run over several
/// lines. Everywhere else (ids, references, codes, kinds, names, amounts, dates) a line
/// break can only come from an unbalanced quote that folded the next rows into one cell,
/// and is refused (docs/snapshot-format.md).
pub const MULTI_LINE: &[(&str, &str)] = &[
    ("invoice_lines.csv", "description"),
    ("credits.csv", "reason"),
    ("statement_lines.csv", "description"),
];

/// Documented columns a file may leave out of its header: their cells are then empty (a
/// roster.csv written before keys existed stays importable).
pub const OPTIONAL_COLUMNS: &[(&str, &str)] = &[("roster.csv", "public_key"), ("period.csv", "exported_on")];

/// One rejected value (or file, header or row).
///
/// `line` and `column` are 1-based; `column` is the position in the file's header. Either
/// is 0 when there is none (a missing file, a missing column, a row with the wrong number
/// of fields), and is then left out of the printed form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.located())]
pub struct Problem {
    /// The file as shown to the user (already made inert).
    pub file: String,
    pub line: u64,
    pub column: u64,
    /// What is wrong (untrusted values in it already made inert).
    pub reason: String,
}

impl Problem {
    /// `file:line:column: reason`, leaving out a line or column that is 0.
    fn located(&self) -> String {
        if let Some(shown) = parquet::located(&self.file, self.line, self.column, &self.reason) {
            return shown;
        }
        match (self.line, self.column) {
            (0, _) => format!("{}: {}", self.file, self.reason),
            (line, 0) => format!("{}:{line}: {}", self.file, self.reason),
            (line, column) => format!("{}:{line}:{column}: {}", self.file, self.reason),
        }
    }
}

/// Why an import did not happen. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input was rejected: the first [`MAX_PROBLEMS`] problems, and how many more.
    #[error("{}", listed(problems, *more))]
    Problems { problems: Vec<Problem>, more: usize },
    /// The input directory could not be read; the message names the path.
    #[error("{0}")]
    Io(String),
    /// The snapshot could not be written; the message names the target and the problem.
    #[error("{0}")]
    Target(String),
}

/// The problems one per line, then how many more were not kept.
fn listed(problems: &[Problem], more: usize) -> String {
    let mut lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
    if more > 0 {
        lines.push(format!("… and {more} more"));
    }
    lines.join("\n")
}

/// A path as shown in messages.
fn shown(path: &Path) -> String {
    inert_path(path)
}

/// Where the sixteen files come from; each may be opened more than once (a file is read
/// again for the ids other files refer to, and to name the first line of a repeated id).
pub(crate) trait Source {
    /// The bytes of file `name` (e.g. `"accounts.csv"`), `None` when there is no such file.
    fn open(&self, name: &str) -> Result<Option<Box<dyn Read + '_>>, ImportError>;

    /// The Parquet file `name` (e.g. `"usage_events.parquet"`), `None` when there is none.
    /// Only a directory has them.
    fn parquet(&self, name: &str) -> Result<Option<fs::File>, ImportError> {
        let _ = name;
        Ok(None)
    }
}

/// Files held in memory, by name.
impl Source for BTreeMap<String, Vec<u8>> {
    fn open(&self, name: &str) -> Result<Option<Box<dyn Read + '_>>, ImportError> {
        Ok(self
            .get(name)
            .map(|bytes| Box::new(bytes.as_slice()) as Box<dyn Read + '_>))
    }
}

/// The files of a directory.
struct Dir<'a>(&'a Path);

impl<'a> Dir<'a> {
    /// `dir`, once it is known to be a directory that can be listed.
    fn new(dir: &'a Path) -> Result<Dir<'a>, ImportError> {
        match fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(ImportError::Io(format!("{}: not a directory", shown(dir)))),
            Err(e) => return Err(ImportError::Io(format!("{}: cannot read: {}", shown(dir), e))),
        }
        // Reading the listing proves the directory is readable, not just present.
        if let Err(e) = fs::read_dir(dir) {
            return Err(ImportError::Io(format!("{}: cannot read: {}", shown(dir), e)));
        }
        Ok(Dir(dir))
    }

    fn label(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }

    /// File `name` of the directory opened, or `None` when there is none (reported as a
    /// missing file, with the other problems).
    fn file(&self, name: &str) -> Result<Option<fs::File>, ImportError> {
        let path = self.0.join(name);
        let cannot = |e: &dyn fmt::Display| ImportError::Io(format!("{}: cannot read: {}", shown(&path), e));
        // Looked at before it is opened: opening a FIFO would wait for a writer forever.
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => return Err(cannot(&"is a directory")),
            Ok(meta) => regular_meta(&meta).map_err(|e| cannot(&e))?,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(_) => {}
        }
        match fs::File::open(&path) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(cannot(&e)),
        }
    }
}

impl Source for Dir<'_> {
    fn parquet(&self, name: &str) -> Result<Option<fs::File>, ImportError> {
        self.file(name)
    }

    fn open(&self, name: &str) -> Result<Option<Box<dyn Read + '_>>, ImportError> {
        Ok(self.file(name)?.map(|file| Box::new(file) as Box<dyn Read + '_>))
    }
}

/// An error when `path` exists and is neither a regular file nor a directory (a pipe, a
/// socket, a device), checked before it is opened: opening a FIFO waits for a writer that
/// never comes, and the import hung. A missing path passes (the open says so).
pub(crate) fn regular(path: &Path) -> std::io::Result<()> {
    match fs::metadata(path) {
        Ok(meta) => regular_meta(&meta),
        Err(_) => Ok(()),
    }
}

/// [`regular`] of a file's metadata already read.
fn regular_meta(meta: &fs::Metadata) -> std::io::Result<()> {
    if meta.is_file() || meta.is_dir() {
        return Ok(());
    }
    Err(std::io::Error::other(
        "not a regular file (a pipe, socket or device)",
    ))
}

/// [`fs::read`], refusing what is not a regular file before opening it ([`regular`]).
pub(crate) fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    regular(path)?;
    fs::read(path)
}

/// [`fs::read_to_string`], refusing what is not a regular file before opening it.
pub(crate) fn read_text(path: &Path) -> std::io::Result<String> {
    regular(path)?;
    fs::read_to_string(path)
}

/// Why a run stopped: the input (an [`ImportError`]), or a write to the snapshot.
pub(crate) enum Failed {
    Import(ImportError),
    Write(rusqlite::Error),
}

impl From<ImportError> for Failed {
    fn from(e: ImportError) -> Failed {
        Failed::Import(e)
    }
}

impl From<rusqlite::Error> for Failed {
    fn from(e: rusqlite::Error) -> Failed {
        Failed::Write(e)
    }
}

/// What an import wrote: the period, and the rows of each source table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub period: Period,
    counts: [(&'static str, usize); 16],
    /// The usage events came as `usage_events.parquet` (docs/usage-parquet.md).
    events_parquet: bool,
    /// The rows of `usage_daily.parquet`, when usage came pre-aggregated.
    daily_rows: Option<usize>,
}

impl Imported {
    /// The file the rows of source table `table` came from (`accounts.csv`,
    /// `usage_events.parquet`).
    pub fn file_of(&self, table: &str) -> String {
        if table == "usage_events" && self.events_parquet {
            "usage_events.parquet".to_string()
        } else {
            format!("{table}.csv")
        }
    }

    /// The rows of `usage_daily.parquet`, when usage came pre-aggregated (stored in
    /// `usage_daily`, not counted in [`Imported::row_counts`]).
    pub fn usage_daily_rows(&self) -> Option<usize> {
        self.daily_rows
    }

    /// The number of rows of each source table, in the order of
    /// [`crate::snapshot::schema::SOURCE_TABLES`] (as [`SourceData::row_counts`]).
    pub fn row_counts(&self) -> [(&'static str, usize); 16] {
        self.counts
    }
}

/// Runs every check on the files of `source` and collects the rows.
fn collect(source: &dyn Source, label: &dyn Fn(&str) -> String) -> Result<SourceData, ImportError> {
    let outcome = (|| -> Result<SourceData, Failed> {
        let mut run = tables::Run::start(source, label)?;
        let period = run.period();
        let mut data = period.clone().map(SourceData::new);
        run.rows(false, &mut |row| {
            if let Some(data) = data.as_mut() {
                data.push(row);
            }
            Ok(())
        })?;
        // Checked; the pre-aggregated form is only written by `import_dir`.
        run.aggregates(&mut |_| Ok(()))?;
        run.finish(period)?;
        data.ok_or(Failed::Import(ImportError::Io("no usable period".into())))
    })();
    match outcome {
        Ok(data) => Ok(data),
        Err(Failed::Import(e)) => Err(e),
        // Collecting writes nothing.
        Err(Failed::Write(e)) => Err(ImportError::Io(e.to_string())),
    }
}

/// Parses the sixteen files (keyed by file name, e.g. `"accounts.csv"`). `label` gives the
/// name a file is shown under in problems (e.g. its full path). Every file is checked even
/// when an earlier one has problems; all problems (up to [`MAX_PROBLEMS`]) are returned.
pub fn parse_files(
    files: &BTreeMap<String, Vec<u8>>,
    label: &dyn Fn(&str) -> String,
) -> Result<SourceData, ImportError> {
    collect(files, label)
}

/// Reads the sixteen files from `dir` and parses them ([`parse_files`]). A missing file is
/// a problem like any other; a directory or file that cannot be read is
/// [`ImportError::Io`].
pub fn read_dir(dir: &Path) -> Result<SourceData, ImportError> {
    let source = Dir::new(dir)?;
    collect(&source, &|name| source.label(name))
}

/// Reads `dir` and builds the snapshot `out` from it, row by row: the checks of
/// [`read_dir`], the rows written as they are accepted, all or nothing. The target is
/// checked first, so a refused target costs no parsing.
pub fn import_dir(dir: &Path, out: &Path, force: bool) -> Result<Imported, ImportError> {
    build::check_target(out, force)?;
    let source = Dir::new(dir)?;
    let label = |name: &str| source.label(name);
    build::build_from(out, force, |snapshot| {
        let mut run = tables::Run::start(&source, &label)?;
        match run.period() {
            Some(period) if run.clean() => {
                let events_parquet = run.events_parquet();
                let file_of = |table: &str| match table {
                    "usage_events" if events_parquet => "usage_events.parquet".to_string(),
                    "usage_daily" | "usage_control" => format!("{table}.parquet"),
                    _ => format!("{table}.csv"),
                };
                snapshot.bulk_load_from(&period.clone(), &file_of, |writer| {
                    // The snapshot's primary keys refuse a repeated id.
                    run.rows(true, &mut |row| writer.write(&row))?;
                    run.aggregates(&mut |row| writer.aggregate(&row))?;
                    run.finish(Some(period))
                })
            }
            period => {
                run.rows(false, &mut |_| Ok(()))?;
                run.aggregates(&mut |_| Ok(()))?;
                run.finish(period)
            }
        }
    })
}

/// Writes the sixteen files with their header row only into `dir` (created if needed) and
/// returns their paths. Refuses, writing nothing, when any of them already exists.
pub fn write_templates(dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    fs::create_dir_all(dir)
        .map_err(|e| ImportError::Target(format!("{}: cannot create the directory: {}", shown(dir), e)))?;
    let existing: Vec<&str> = FILES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| dir.join(name).symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() {
        return Err(ImportError::Target(format!(
            "{}: already has {}; templates are never written over existing files",
            shown(dir),
            existing.join(", ")
        )));
    }
    let mut written: Vec<PathBuf> = Vec::with_capacity(FILES.len());
    for (name, columns) in FILES {
        let path = dir.join(name);
        let result = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut file| {
                file.write_all(format!("{}\n", columns.join(",")).as_bytes())?;
                file.sync_all()
            });
        if let Err(e) = result {
            // Created alongside us, or the disk is full: take back what was written.
            let created = e.kind() != ErrorKind::AlreadyExists;
            for done in written.iter().chain(created.then_some(&path)) {
                let _ = fs::remove_file(done);
            }
            return Err(ImportError::Target(format!(
                "{}: cannot write: {}",
                shown(&path),
                e
            )));
        }
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::schema::SOURCE_TABLES;

    #[test]
    fn files_follow_the_source_tables() {
        let names: Vec<String> = SOURCE_TABLES.iter().map(|t| format!("{t}.csv")).collect();
        let files: Vec<&str> = FILES.iter().map(|(name, _)| *name).collect();
        assert_eq!(files, names);
    }

    #[test]
    fn row_counts_follow_the_source_tables() {
        let data = crate::demo::source().unwrap();
        let tables: Vec<&str> = data.row_counts().iter().map(|(table, _)| *table).collect();
        assert_eq!(tables, SOURCE_TABLES);
        assert_eq!(data.row_counts()[5], ("payments", data.payments.len()));
    }

    #[test]
    fn multi_line_columns_are_documented_columns() {
        for (file, column) in MULTI_LINE {
            let (_, columns) = FILES.iter().find(|(name, _)| name == file).unwrap();
            assert!(columns.contains(column), "{file} {column}");
        }
    }

    #[test]
    fn problem_prints_only_the_positions_it_has() {
        let p = |line, column| Problem {
            file: "data/a.csv".into(),
            line,
            column,
            reason: "why".into(),
        };
        assert_eq!(p(3, 2).to_string(), "data/a.csv:3:2: why");
        assert_eq!(p(3, 0).to_string(), "data/a.csv:3: why");
        assert_eq!(p(0, 0).to_string(), "data/a.csv: why");
    }

    #[test]
    fn problems_print_one_per_line_then_the_rest_counted() {
        let one = Problem {
            file: "a.csv".into(),
            line: 2,
            column: 1,
            reason: "bad".into(),
        };
        let e = ImportError::Problems {
            problems: vec![one.clone(), one],
            more: 7,
        };
        assert_eq!(e.to_string(), "a.csv:2:1: bad\na.csv:2:1: bad\n… and 7 more");
    }
}
