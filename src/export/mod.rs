//! Close outputs (docs/outputs.md): the GL journal, aged AR, the mismatch register, the
//! close packet and the close workbook — deterministic audit evidence.
//!
//! Every output carries the same metadata (closedesk and schema version, period, the digest
//! of the reconciled figures, the audit log's head and length *before* the export's own
//! audit row, the row count) and no wall-clock time unless a stamp is asked for, so
//! exporting twice from a snapshot in the same state gives the same bytes. Each export is
//! produced inside one write transaction that records it in the audit log
//! ([`crate::workflow::exports`]); the file is written to a temporary name and renamed into
//! place, never replacing an existing file unless forced.
//!
//! Owns the outputs' bytes, metadata and file handling; must not compute a figure (the
//! engine's) nor write the audit row itself (`crate::workflow::exports`).

pub mod aging;
pub mod document;
pub mod gl;
pub mod packet;
pub mod pdf;
pub mod register;
pub mod workbook;

use std::fmt;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::digest::hex;
use crate::import::temporary_stem;
use crate::money::Money;
use crate::reconcile::{self, Reconciliation};
use crate::snapshot::model::PeriodStatus;
use crate::snapshot::schema::SCHEMA_VERSION;
use crate::snapshot::Snapshot;
use crate::text::{inert, inert_path};
use crate::workflow::exports::{self, Before, ExportRecord};
use crate::workflow::mismatches::{views_from, MismatchView};
use crate::workflow::signoff::digest_of;
use crate::workflow::{io_is_environment, Actor, Receipt, Refusal};

/// What to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Gl,
    Aging,
    Mismatches,
    Packet,
    Workbook,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Gl,
        Kind::Aging,
        Kind::Mismatches,
        Kind::Packet,
        Kind::Workbook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gl => "gl",
            Kind::Aging => "aging",
            Kind::Mismatches => "mismatches",
            Kind::Packet => "packet",
            Kind::Workbook => "workbook",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The formats it is written in; the first is the default.
    pub fn formats(self) -> &'static [Format] {
        match self {
            Kind::Packet => &[Format::Markdown, Format::Json, Format::Pdf],
            Kind::Workbook => &[Format::Xlsx],
            _ => &[Format::Csv, Format::Json],
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Json,
    Markdown,
    Xlsx,
    Pdf,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Markdown => "md",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "md" | "markdown" => Some(Format::Markdown),
            "xlsx" => Some(Format::Xlsx),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where to write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    File(PathBuf),
    /// The bytes are returned in [`Written::stdout`] for the caller to print.
    Stdout,
    /// A file in a folder, named by [`file_name`] from the state the export records: the
    /// cockpit's and the CLI's default for the close packet, so both write to the same
    /// place by the same rule. Never replaces a file.
    Named(Naming),
}

/// Where a [`Target::Named`] export goes and how names are numbered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Naming {
    /// The folder: beside the snapshot.
    pub dir: PathBuf,
    /// A served session's login: its packets are numbered per login, at most `max`.
    pub login: Option<String>,
    pub max: Option<usize>,
}

impl Target {
    fn describe(&self) -> String {
        match self {
            Target::File(path) => path.display().to_string(),
            Target::Stdout => "-".to_string(),
            Target::Named(n) => n.dir.display().to_string(),
        }
    }
}

/// A name for a file: letters, digits, `.`, `_` and `-` kept, anything else `_`, at most
/// 32 characters.
pub fn file_part(text: &str) -> String {
    text.chars()
        .take(32)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The first part of an export's file name: `close-packet` for the packet, else the kind.
fn stem(kind: Kind) -> String {
    match kind {
        Kind::Packet => "close-packet".to_string(),
        other => other.to_string(),
    }
}

/// The file name of an export made on a period in a given state (docs/outputs.md, "File
/// names"): `close-packet-2026-03-draft-9894df57.md` — the kind (`close-packet` for the
/// packet), the period, `signed` while the period is signed off or `draft`, and the first
/// eight hex digits of the audit head the export records (its metadata's `audit_head`), so
/// the name says which state of the log it shows. `n` > 1 numbers a second file of the
/// same state; a served session's files carry the login and are always numbered.
pub fn file_name(
    kind: Kind,
    format: Format,
    period: &str,
    signed: bool,
    audit_head: &str,
    login: Option<&str>,
    n: usize,
) -> String {
    let state = if signed { "signed" } else { "draft" };
    let head: String = audit_head.chars().take(8).collect();
    let mut name = format!(
        "{}-{}-{state}-{}",
        stem(kind),
        file_part(period),
        file_part(&head)
    );
    match login {
        Some(login) => name.push_str(&format!("-{}-{n}", file_part(login))),
        None if n > 1 => name.push_str(&format!("-{n}")),
        None => {}
    }
    format!("{name}.{format}")
}

/// A folder to list: `dir`, or "." for the empty folder of a path named without one.
fn folder(dir: &Path) -> &Path {
    if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }
}

impl Naming {
    /// The first unused name for an export of this state. A served login's files are
    /// numbered 1 to `max` whatever their state: slot N is taken while any file of the
    /// period ends in `-LOGIN-N.EXT`, so a login keeps at most `max`, and moving one away
    /// frees its slot. Refused when every slot is taken.
    fn resolve(
        &self,
        kind: Kind,
        format: Format,
        period: &str,
        signed: bool,
        head: &str,
    ) -> Result<PathBuf, Refusal> {
        let name = |n: usize| file_name(kind, format, period, signed, head, self.login.as_deref(), n);
        let Some(login) = &self.login else {
            return Ok((1..)
                .map(|n| self.dir.join(name(n)))
                .find(|p| fs::symlink_metadata(p).is_err())
                .expect("an unused name exists"));
        };
        let max = self.max.unwrap_or(usize::MAX);
        let prefix = format!("{}-{}", stem(kind), file_part(period));
        // A snapshot named without a folder (`serve period.db`) has "" for its folder: the
        // working directory. A folder that cannot be listed refuses: the cap holds or
        // nothing is written.
        let dir = folder(&self.dir);
        let entries = fs::read_dir(dir).map_err(|e| {
            Refusal::Invalid(format!(
                "not exported: cannot list {} to count your close packets: {e}",
                inert_path(dir)
            ))
        })?;
        let taken: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(&format!("{prefix}-")))
            .collect();
        let slot_taken = |n: usize| {
            let end = format!("-{}-{n}.{format}", file_part(login));
            taken.iter().any(|t| t.ends_with(&end))
        };
        match (1..=max).find(|&n| !slot_taken(n)) {
            Some(n) => Ok(self.dir.join(name(n))),
            None => Err(Refusal::Invalid(format!(
                "not exported: you already keep {max} close packet(s) from served sessions beside the \
                 snapshot ({}), the most one login may keep (--max-packets); ask whoever runs the \
                 server to move them away",
                inert(&format!(
                    "{prefix}-…-{}-1.{format} … -{max}.{format}",
                    file_part(login)
                ))
            ))),
        }
    }
}

/// One export asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub kind: Kind,
    /// `None`: the kind's default format.
    pub format: Option<Format>,
    /// GL: one set of lines per customer account.
    pub by_account: bool,
    /// Add the wall-clock time of the export to the metadata (the output then differs on
    /// every run).
    pub stamp: bool,
}

impl Request {
    pub fn new(kind: Kind, format: Format) -> Request {
        Request {
            kind,
            format: Some(format),
            by_account: false,
            stamp: false,
        }
    }

    /// The format, refused when the kind is not written in it.
    pub fn format(&self) -> Result<Format, ExportError> {
        let formats = self.kind.formats();
        match self.format {
            None => Ok(formats[0]),
            Some(f) if formats.contains(&f) => Ok(f),
            Some(f) => Err(ExportError::Usage(format!(
                "the {} export is written as {}, not {f}",
                self.kind,
                formats
                    .iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))),
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Written {
    /// The file written, `None` for standard output.
    pub path: Option<PathBuf>,
    /// SHA-256 (lowercase hex) of the bytes written.
    pub digest: String,
    pub rows: u64,
    pub kind: Kind,
    pub format: Format,
    /// The export's audit row.
    pub receipt: Receipt,
    /// The bytes, for [`Target::Stdout`] (empty for a file).
    #[serde(skip)]
    pub stdout: Vec<u8>,
}

/// Why an export was not written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A bad request: unknown kind/format combination, or the file exists (no `--force`).
    /// Nothing was written or recorded.
    #[error("{0}")]
    Usage(String),
    /// The workflow refused (read-only login, busy snapshot, storage).
    #[error(transparent)]
    Refused(Refusal),
    /// Writing the file failed.
    #[error("{0}")]
    Io(String),
    /// The environment failed under the export (a full disk, an I/O error): the command
    /// line exits with 3. The message says whether the export was recorded.
    #[error("{0}")]
    Environment(String),
}

impl From<Refusal> for ExportError {
    fn from(r: Refusal) -> ExportError {
        ExportError::Refused(r)
    }
}

/// The metadata every output carries first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Metadata {
    pub format: String,
    pub closedesk_version: &'static str,
    pub schema_version: i32,
    pub kind: Kind,
    pub entity: String,
    pub period: String,
    pub window_start: String,
    pub window_end: String,
    pub currency: String,
    pub period_status: String,
    /// The digest of the reconciled figures, computed as the sign-off digest is
    /// (docs/workflow.md): equal to the signed digest while the period is signed off.
    pub figures_digest: String,
    /// The audit log's head hash and length before this export's own audit row.
    pub audit_head: String,
    pub audit_len: i64,
    pub rows: u64,
    /// Only with a stamp: when the export was made (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exported_at: Option<String>,
}

impl Metadata {
    /// `(name, value)` pairs in order, for CSV and Markdown headers.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("format", self.format.clone()),
            ("closedesk_version", self.closedesk_version.to_string()),
            ("schema_version", self.schema_version.to_string()),
            ("kind", self.kind.to_string()),
            ("entity", self.entity.clone()),
            ("period", self.period.clone()),
            ("window_start", self.window_start.clone()),
            ("window_end", self.window_end.clone()),
            ("currency", self.currency.clone()),
            ("period_status", self.period_status.clone()),
            ("figures_digest", self.figures_digest.clone()),
            ("audit_head", self.audit_head.clone()),
            ("audit_len", self.audit_len.to_string()),
            ("rows", self.rows.to_string()),
        ];
        if let Some(at) = &self.exported_at {
            out.push(("exported_at", at.clone()));
        }
        out
    }
}

/// Everything an output is built from, read inside the export's transaction.
pub struct Source<'a> {
    pub snapshot: &'a Snapshot,
    pub recon: Reconciliation,
    pub views: Vec<MismatchView>,
    pub figures_digest: String,
    pub audit_len: i64,
    pub audit_head: String,
    pub stamp: Option<String>,
}

impl Source<'_> {
    pub fn metadata(&self, kind: Kind, rows: u64) -> Metadata {
        let p = &self.recon.period;
        Metadata {
            format: format!("closedesk.export.{kind}.v1"),
            closedesk_version: env!("CARGO_PKG_VERSION"),
            schema_version: SCHEMA_VERSION,
            kind,
            entity: p.entity.clone(),
            period: p.id.clone(),
            window_start: p.window_start.to_string(),
            window_end: p.window_end.to_string(),
            currency: p.currency.clone(),
            period_status: p.status.to_string(),
            figures_digest: self.figures_digest.clone(),
            audit_head: self.audit_head.clone(),
            audit_len: self.audit_len,
            rows,
            exported_at: self.stamp.clone(),
        }
    }
}

/// A rendered output.
pub struct Output {
    pub bytes: Vec<u8>,
    pub rows: u64,
}

/// Renders one export from the snapshot as the transaction sees it.
pub fn render(source: &Source<'_>, request: &Request) -> Result<Output, ExportError> {
    let format = request.format()?;
    match request.kind {
        Kind::Gl => gl::render(source, format, request.by_account),
        Kind::Aging => aging::render(source, format),
        Kind::Mismatches => register::render(source, format),
        Kind::Packet => packet::render(source, format),
        Kind::Workbook => workbook::render(source),
    }
}

/// Writes one export and records it in the audit log (docs/outputs.md). The cockpit calls
/// this too. Refused before anything is written when the format does not fit the kind or
/// the file exists and `force` is not given.
pub fn write(
    snapshot: &Snapshot,
    actor: &Actor,
    request: &Request,
    target: &Target,
    force: bool,
) -> Result<Written, ExportError> {
    let format = request.format()?;
    if let Target::File(path) = target {
        refuse_snapshot_file(path)?;
        refuse_unplaceable(path)?;
        if !force && fs::symlink_metadata(path).is_ok() {
            return Err(exists(path));
        }
    }
    // A temporary that could not be written for the environment's reason (a full disk, an
    // I/O error): nothing is recorded, and the command line exits with 3, not 2.
    let mut environment: Option<String> = None;
    let recorded = exports::record(snapshot, actor, |before: &Before<'_>| {
        let source = source(snapshot, before, request.stamp)?;
        let target = match target {
            Target::Named(naming) => {
                let period = &source.recon.period;
                let signed = period.status == PeriodStatus::SignedOff;
                let path = naming.resolve(request.kind, format, &period.id, signed, &before.audit_head)?;
                // A file named here was not checked with the caller's above.
                refuse_snapshot_file(&path).map_err(|e| Refusal::Invalid(e.to_string()))?;
                Target::File(path)
            }
            other => other.clone(),
        };
        let output = render(&source, request).map_err(|e| match e {
            ExportError::Refused(r) => r,
            other => Refusal::Invalid(other.to_string()),
        })?;
        let digest = hex(&Sha256::digest(&output.bytes));
        let temp = match &target {
            Target::File(path) => Some(TempFile::write(path, &output.bytes).map_err(|e| {
                let message = format!(
                    "{}: cannot write the export: {e}; nothing was written or recorded",
                    inert_path(path)
                );
                if io_is_environment(&e) {
                    environment = Some(message.clone());
                }
                Refusal::Invalid(message)
            })?),
            _ => None,
        };
        let record = ExportRecord {
            kind: request.kind.to_string(),
            format: format.to_string(),
            digest: digest.clone(),
            rows: output.rows,
            path: target.describe(),
            by_account: request.by_account,
        };
        Ok(((output, temp, digest, target), record))
    });
    let ((output, temp, digest, target), receipt) = match recorded {
        Ok(recorded) => recorded,
        Err(_) if environment.is_some() => {
            return Err(ExportError::Environment(environment.unwrap_or_default()))
        }
        Err(refused) => return Err(refused.into()),
    };
    let path = match (&target, temp) {
        (Target::File(path), Some(temp)) => {
            temp.place(path, force).map_err(|e| {
                let message = format!(
                    "{}: the export was recorded (audit seq {}) but could not be put in place: {e}",
                    inert_path(path),
                    receipt.seq
                );
                if io_is_environment(&e) {
                    ExportError::Environment(message)
                } else {
                    ExportError::Io(message)
                }
            })?;
            Some(path.clone())
        }
        _ => None,
    };
    tracing::info!(
        kind = %request.kind,
        %format,
        rows = output.rows,
        digest = %digest,
        seq = receipt.seq,
        "export recorded"
    );
    Ok(Written {
        stdout: if path.is_none() { output.bytes } else { Vec::new() },
        path,
        digest,
        rows: output.rows,
        kind: request.kind,
        format,
        receipt,
    })
}

fn source<'a>(snapshot: &'a Snapshot, before: &Before<'_>, stamp: bool) -> Result<Source<'a>, Refusal> {
    let recon = reconcile::run(snapshot)?;
    let views = views_from(&before.read, &recon.mismatches)?;
    let figures_digest = digest_of(&recon, &views);
    Ok(Source {
        snapshot,
        recon,
        views,
        figures_digest,
        audit_len: before.audit_len,
        audit_head: before.audit_head.clone(),
        stamp: stamp.then(crate::snapshot::workflow::now),
    })
}

/// An export never replaces a period snapshot or SQLite's files beside one, `--force` or
/// not: `--out period.db --force` would destroy the close it exports, and `--out
/// period.db-shm` the saves of a cockpit that has it open.
fn refuse_snapshot_file(path: &Path) -> Result<(), ExportError> {
    match crate::snapshot::snapshot_file_kind(path) {
        Some(kind) => Err(ExportError::Usage(format!(
            "{}: is {kind}; an export never replaces it, even with --force — choose another --out",
            inert_path(path)
        ))),
        None => Ok(()),
    }
}

/// A target no file can be put at is refused before anything is recorded: a directory (or
/// a link to one), or a name in a folder that does not exist or is not a directory. Found
/// by an outputs audit: `--out DIR --force` was recorded (audit seq 1), then could not be
/// put in place ("Is a directory"), and the log kept an export of a file never written.
fn refuse_unplaceable(path: &Path) -> Result<(), ExportError> {
    let refused = |why: String| {
        Err(ExportError::Usage(format!(
            "{}: {why}; nothing was written or recorded",
            inert_path(path)
        )))
    };
    if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return refused("is a directory — give --out the name of a file in it".to_string());
    }
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    match fs::metadata(parent) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            refused(format!("its folder {} does not exist", inert_path(parent)))
        }
        Err(e) if e.kind() == ErrorKind::NotADirectory => refused(format!(
            "a part of its folder {} is not a directory",
            inert_path(parent)
        )),
        Ok(m) if !m.is_dir() => refused(format!("{} is not a directory", inert_path(parent))),
        // Anything else (a folder it may not read) is found when the file is written,
        // still before anything is recorded.
        _ => Ok(()),
    }
}

fn exists(path: &Path) -> ExportError {
    ExportError::Usage(format!(
        "{} exists; nothing was written — choose another --out or add --force to replace it",
        inert_path(path)
    ))
}

// Cells and escaping ----------------------------------------------------------------------------

/// One CSV cell: text from data, an exact amount, or a count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Amount(Money),
    Count(i64),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn opt(s: Option<&str>) -> Cell {
        s.map(Cell::text).unwrap_or(Cell::Empty)
    }

    /// The cell as written to CSV: text neutralized and made inert, amounts exact with a
    /// `.` and no separators (a negative amount stays a number).
    pub fn csv(&self) -> String {
        match self {
            Cell::Text(t) => csv_text(t),
            Cell::Amount(m) => m.to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// A text cell for CSV: control characters become visible escapes and bidi controls are
/// dropped ([`inert`]); a value a spreadsheet would read as a formula (it begins with `=`,
/// `+`, `-`, `@`, a tab or a carriage return, bidi controls and invisible characters in
/// front of it not counting, as they are dropped or not seen) is prefixed with `'`.
pub fn csv_text(text: &str) -> String {
    let shown = inert(text);
    match crate::text::first_shown(text) {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{shown}"),
        _ => shown,
    }
}

/// CSV with `#name,value` metadata records first, then the header and the rows.
pub fn csv(meta: &Metadata, header: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for (name, value) in meta.pairs() {
        w.write_record([format!("#{name}"), csv_text(&value)])
            .expect("writing to memory");
    }
    w.write_record(header).expect("writing to memory");
    for row in rows {
        w.write_record(row.iter().map(Cell::csv))
            .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Pretty JSON (exact amounts; terminal-unsafe characters escaped) with a final newline.
pub fn json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut text = crate::text::inert_json(value).expect("export JSON serializes");
    text.push('\n');
    text.into_bytes()
}

/// Text from data for Markdown: control characters escaped ([`inert`]), bidi controls
/// dropped, and the characters Markdown would act on (`\ ` * [ ] < > | ~ #`, `_` at a
/// word boundary, and what GitHub's Markdown turns into a link by itself: the `@` of an
/// address, the `:` of `://`, the `.` of a word `www.`) backslash-escaped, so data cannot
/// make links, HTML, emphasis or table cells.
pub fn md(text: &str) -> String {
    let clean = inert(text);
    let chars: Vec<char> = clean.chars().collect();
    let mut out = String::with_capacity(clean.len());
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric());
    let at = |i: usize, s: &str| {
        chars
            .get(i..i + s.len())
            .is_some_and(|w| w.iter().copied().eq(s.chars()))
    };
    for (i, &c) in chars.iter().enumerate() {
        let before = |n: usize| i.checked_sub(n).and_then(|j| chars.get(j));
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '@' => true,
            '_' => !(word(before(1)) && word(chars.get(i + 1))),
            ':' => at(i, "://"),
            '.' => i >= 3 && at(i - 3, "www") && !word(before(4)),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// Writing ---------------------------------------------------------------------------------------

/// A finished temporary file next to its destination, removed unless placed.
struct TempFile {
    path: Option<PathBuf>,
}

impl TempFile {
    fn write(dest: &Path, bytes: &[u8]) -> std::io::Result<TempFile> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // What killed exports to this name left (their process gone).
        crate::import::remove_dead_temporaries(&dir, |file| {
            file.to_str().and_then(|f| temporary_pid(f, &name))
        });
        let stem = temporary_stem(&name);
        for attempt in 0..100u32 {
            let path = dir.join(format!(".{stem}.closedesk-{}-{attempt}.tmp", std::process::id()));
            match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    let temp = TempFile { path: Some(path) };
                    file.write_all(bytes)?;
                    file.sync_all()?;
                    return Ok(temp);
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(
            ErrorKind::AlreadyExists,
            "no free temporary name",
        ))
    }

    /// Moves the file onto `dest`: replacing only when `force`, else failing if anything
    /// appeared there meanwhile (a hard link never replaces).
    fn place(mut self, dest: &Path, force: bool) -> std::io::Result<()> {
        let temp = self.path.clone().expect("not yet placed");
        if force {
            fs::rename(&temp, dest)?;
        } else {
            match fs::hard_link(&temp, dest) {
                Ok(()) => {
                    let _ = fs::remove_file(&temp);
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists || fs::symlink_metadata(dest).is_ok() => {
                    return Err(std::io::Error::new(
                        ErrorKind::AlreadyExists,
                        format!("{e}; the file appeared meanwhile and was not replaced"),
                    ))
                }
                Err(_) => fs::rename(&temp, dest)?,
            }
        }
        self.path = None;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(handle) = fs::File::open(dir) {
                let _ = handle.sync_all();
            }
        }
        Ok(())
    }
}

/// The process id in `file`, when it is a temporary export of `name`
/// (`.STEM.closedesk-PID-N.tmp`, STEM from [`temporary_stem`]: within 255 bytes).
fn temporary_pid(file: &str, name: &str) -> Option<u32> {
    let rest = file
        .strip_prefix('.')?
        .strip_prefix(temporary_stem(name))?
        .strip_prefix(".closedesk-")?;
    let (pid, attempt) = rest.strip_suffix(".tmp")?.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(pid) && digits(attempt)) {
        return None;
    }
    pid.parse().ok().filter(|p| (1..=i32::MAX as u32).contains(p))
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A served login's packets are counted in the snapshot's folder; one that cannot be
    /// listed refuses instead of counting none (which let `serve period.db`, named without
    /// a folder, write packet after packet as slot 1: the folder "" could not be listed).
    #[test]
    fn a_served_login_packet_cap_counts_in_a_folder_it_can_list_or_refuses() {
        let tmp = tempfile::tempdir().unwrap();
        let naming = |dir: PathBuf| Naming {
            dir,
            login: Some("rdiaz".into()),
            max: Some(1),
        };
        let resolve = |n: &Naming| n.resolve(Kind::Packet, Format::Markdown, "2026-03", false, "abc");
        let why = resolve(&naming(tmp.path().join("missing")))
            .unwrap_err()
            .to_string();
        assert!(why.contains("cannot list") && why.contains("missing"), "{why}");
        let first = resolve(&naming(tmp.path().into())).unwrap();
        std::fs::write(&first, "packet").unwrap();
        let why = resolve(&naming(tmp.path().into())).unwrap_err().to_string();
        assert!(why.contains("you already keep 1 close packet"), "{why}");
        // No folder: the working directory, listed as ".".
        assert_eq!(folder(Path::new("")), Path::new("."));
        assert_eq!(folder(tmp.path()), tmp.path());
    }

    #[test]
    fn formula_like_text_is_neutralized_and_amounts_stay_numbers() {
        // Text a spreadsheet would read as a formula gets a quote in front of it.
        for formula in ["=SUM(A1)", "+1", "-2+3", "@cmd"] {
            assert_eq!(csv_text(formula), format!("'{formula}"));
        }
        // So does text that starts with a control character, which is also made visible.
        assert_eq!(csv_text("\tx"), "'\\tx");
        assert_eq!(csv_text("\rx"), "'\\rx");
        assert_eq!(csv_text("plain"), "plain");
        // A bidi control or an invisible character in front hides nothing: once the bidi
        // control is dropped the formula would lead the cell.
        for hidden in ["\u{202E}=1+2 x", "\u{200E}=1+2 x", "\u{2066}@cmd", "\u{061C}-2+3"] {
            let cell = csv_text(hidden);
            assert!(cell.starts_with('\''), "{hidden:?}: {cell:?}");
        }
        assert_eq!(csv_text("\u{202E}=1+2 x"), "'=1+2 x");
        assert_eq!(csv_text("\u{200B}=1"), "'\\u{200b}=1");
        // Every default-ignorable character in front counts for nothing: the Hangul filler,
        // a variation selector, a tag character went through unprefixed.
        for invisible in [
            '\u{3164}',
            '\u{115F}',
            '\u{FFA0}',
            '\u{17B4}',
            '\u{206F}',
            '\u{FE0F}',
            '\u{E0020}',
        ] {
            let cell = csv_text(&format!("{invisible}=HYPERLINK(\"x\")"));
            assert!(cell.starts_with('\''), "{invisible:?}: {cell}");
        }
        assert_eq!(csv_text("a\x1b[31mb\nc"), "a\\x1b[31mb\\nc");
        assert_eq!(Cell::Amount(Money::from_cents(-123_456)).csv(), "-1234.56");
        assert_eq!(Cell::Amount(Money::from_cents(5)).csv(), "0.05");
    }

    #[test]
    fn markdown_escapes_what_markdown_acts_on() {
        assert_eq!(md("[x](javascript:1) <b>|"), "\\[x\\](javascript:1) \\<b\\>\\|");
        assert_eq!(md("employer_programs _em_"), "employer_programs \\_em\\_");
        // Nothing GitHub's Markdown links by itself: addresses, URLs, `www.` words.
        assert_eq!(
            md("mail ops@evil.example or https://evil.example/x, www.evil.example; awww.x"),
            r"mail ops\@evil.example or https\://evil.example/x, www\.evil.example; awww.x"
        );
        // The visible escape's backslash is itself escaped, so it renders as `\x1b`.
        assert_eq!(md("a\x1bb\u{202E}c\nd"), r"a\\x1bbc\\nd");
    }

    #[test]
    fn a_killed_exports_temporary_is_removed_by_the_next_export_to_that_name() {
        assert_eq!(
            temporary_pid(".w.xlsx.closedesk-14636-0.tmp", "w.xlsx"),
            Some(14636)
        );
        for not in [
            ".w.xlsx.closedesk--0.tmp",
            ".w.xlsx.closedesk-1-.tmp",
            ".v.xlsx.closedesk-1-0.tmp",
            "w.xlsx",
        ] {
            assert_eq!(temporary_pid(not, "w.xlsx"), None, "{not}");
        }
        let dir = tempfile::tempdir().unwrap();
        // A pid past any live process (pid_max is at most 2^22), and this process's own.
        let dead = dir.path().join(".w.xlsx.closedesk-2147483000-0.tmp");
        let live = dir
            .path()
            .join(format!(".w.xlsx.closedesk-{}-7.tmp", std::process::id()));
        let other = dir.path().join(".v.xlsx.closedesk-2147483000-0.tmp");
        for p in [&dead, &live, &other] {
            fs::write(p, b"").unwrap();
        }
        let dest = dir.path().join("w.xlsx");
        TempFile::write(&dest, b"x").unwrap().place(&dest, false).unwrap();
        assert!(!dead.exists() && live.exists() && other.exists());
        assert_eq!(fs::read(&dest).unwrap(), b"x");
    }

    /// A long target name gets a temporary of a name the file system takes (its stem cut
    /// at a character boundary), and the dead-temporary clean-up reads that shortened name:
    /// a 235-byte name was refused, its temporary's name being over 255 bytes.
    #[test]
    fn a_long_names_temporary_fits_and_a_dead_one_is_still_removed() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            format!("{}.csv", "a".repeat(251)),
            format!("{}.csv", "é".repeat(125)),
        ] {
            let stem = temporary_stem(&name);
            assert!(stem.len() <= 200 && name.starts_with(stem));
            let longest = format!(".{stem}.closedesk-{}-99.tmp", u32::MAX);
            assert!(longest.len() <= 255, "{}", longest.len());
            let dead = dir.path().join(format!(".{stem}.closedesk-2147483000-0.tmp"));
            fs::write(&dead, b"").unwrap();
            assert_eq!(
                temporary_pid(&format!(".{stem}.closedesk-2147483000-0.tmp"), &name),
                Some(2147483000)
            );
            let dest = dir.path().join(&name);
            TempFile::write(&dest, b"x").unwrap().place(&dest, false).unwrap();
            assert_eq!(fs::read(&dest).unwrap(), b"x");
            assert!(!dead.exists(), "{name}");
        }
        assert_eq!(temporary_stem("w.xlsx"), "w.xlsx");
    }

    /// Which failures of writing the temporary are the environment's (exit 3): a full disk,
    /// an I/O error, a file size limit; not a missing folder, a denied permission, a name
    /// that exists or is too long (exit 2).
    #[test]
    fn a_full_disk_is_the_environments_a_denied_folder_the_users() {
        use std::io::Error;
        for code in [libc::ENOSPC, libc::EIO, libc::EDQUOT, libc::EFBIG] {
            assert!(io_is_environment(&Error::from_raw_os_error(code)), "{code}");
        }
        for code in [
            libc::ENOENT,
            libc::EACCES,
            libc::EEXIST,
            libc::EISDIR,
            libc::ENOTDIR,
            libc::ENAMETOOLONG,
        ] {
            assert!(!io_is_environment(&Error::from_raw_os_error(code)), "{code}");
        }
    }

    #[test]
    fn a_note_in_a_document_opens_no_block() {
        // Each of these lines opened a heading, list, rule or code block inside the quote.
        let note = "Title\n===\n- item\n+ more\n1. ordered\n2) also\n---\n    code\n12 items, 3.5 each";
        assert_eq!(
            document::paragraphs(note),
            "> Title  \n> \\===  \n> \\- item  \n> \\+ more  \n> 1\\. ordered  \n> 2\\) also  \n\
             > \\---  \n> code  \n> 12 items, 3.5 each  \n"
        );
    }

    #[test]
    fn the_format_must_fit_the_kind() {
        assert_eq!(Request::new(Kind::Gl, Format::Csv).format().unwrap(), Format::Csv);
        assert!(Request::new(Kind::Gl, Format::Markdown).format().is_err());
        assert!(Request::new(Kind::Packet, Format::Csv).format().is_err());
        let r = Request {
            kind: Kind::Packet,
            format: None,
            by_account: false,
            stamp: false,
        };
        assert_eq!(r.format().unwrap(), Format::Markdown);
    }
}
