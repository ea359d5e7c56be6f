//! The period snapshot: one SQLite file. This module and its children are the only place
//! with SQL. Opening checks the file before SQLite touches it, so a refused file is never
//! modified.
//!
//! POSIX locks belong to a process and an inode, and closing *any* descriptor of the file
//! drops all of them — also those SQLite's own connections hold. So the raw header is read
//! with a descriptor of our own only while no connection of this process has the file open
//! ([`registry`]); a second open of a file already open goes to SQLite directly. Without
//! this, another program's `sqlite3` could believe it is the last connection and delete
//! the write-ahead log a cockpit still writes to (SQLite's "How To Corrupt An SQLite
//! Database File", 2.2).
//!
//! Owns the file: opening, checking, transactions, and (in its children) every SQL statement.
//! Must not know a workflow rule, a reconciliation check or how anything is displayed.

mod accounts;
pub mod aggregates;
mod baseline;
pub mod bounds;
pub mod bulk;
mod busy;
pub mod cache;
pub mod chain;
mod content;
mod encode;
pub mod model;
pub mod pages;
pub mod queries;
mod registry;
pub mod schema;
#[cfg(test)]
pub(crate) mod testing;
pub mod tied;
pub mod trace;
pub mod workflow;
mod write;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::text::{inert, inert_path};
use schema::{APPLICATION_ID, SCHEMA_VERSION};

/// How long a writer waits for another writer that holds the file and writes nothing
/// before giving up ([`busy`]; it waits longer while others go on writing).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open period snapshot.
pub struct Snapshot {
    conn: Connection,
    path: PathBuf,
    /// Whether `conn` waits for other writers ([`busy`]).
    patience: busy::Patience,
    /// Counts this connection in the process's open files; dropped after `conn` (fields
    /// drop in order), so the file counts as open until the connection is closed.
    _open: registry::Registration,
}

/// Why a file cannot be used as a snapshot. Each names the path and the problem.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{}: no such file", inert_path(.0))]
    Missing(PathBuf),
    #[error("{}: is a directory, not a period snapshot", inert_path(.0))]
    Directory(PathBuf),
    #[error("{}: not a regular file (a pipe, socket or device), not a period snapshot", inert_path(.0))]
    NotRegular(PathBuf),
    #[error("{}: cannot read: {}", inert_path(.0), inert(.1))]
    Unreadable(PathBuf, String),
    #[error("{}: not a period snapshot (not an SQLite database)", inert_path(.0))]
    NotSqlite(PathBuf),
    #[error("{}: truncated or damaged: the file has {} bytes, its header says {}", inert_path(.0), .1, .2)]
    Truncated(PathBuf, u64, u64),
    #[error(
        "{}: not a period snapshot: an SQLite database of another application (application_id 0x{:08X})",
        inert_path(.0), .1
    )]
    Foreign(PathBuf, i32),
    #[error("{}: not a period snapshot: an SQLite database closedesk did not make", inert_path(.0))]
    PlainSqlite(PathBuf),
    #[error(
        "{}: made by a newer closedesk (schema {}); this closedesk reads schema {SCHEMA_VERSION} — upgrade closedesk to open it",
        inert_path(.0), .1
    )]
    Newer(PathBuf, i32),
    #[error("{}: damaged snapshot: {}", inert_path(.0), inert(.1))]
    Damaged(PathBuf, String),
    /// Made before amounts followed the currency's minor unit (schema 3 or older), in a
    /// currency without two decimals: its amounts are hundredths, and reading them in the
    /// currency's own unit would misstate every figure.
    #[error(
        "{}: a {} period stored by an older closedesk (schema {}), which kept every amount in hundredths; \
         {} has {} decimals, so its figures would be misread — import the period again from its source files \
         with this closedesk (the file is left as it is)",
        inert_path(.0), inert(.1), .2, inert(.1), .3
    )]
    OlderCurrency(PathBuf, String, i32, u32),
    /// The file (or its directory, where SQLite keeps its -wal and -shm files) cannot be
    /// written, and the command needs to write.
    #[error(
        "{}: cannot write it: the file or its directory is read-only (status, reconcile, verify and log only \
         read; for this command, make both writable or work on a copy)",
        inert_path(.0)
    )]
    ReadOnly(PathBuf),
    /// Read-only, and made by an older closedesk: it would have to be upgraded first.
    #[error(
        "{}: made by an older closedesk (schema {}) and read-only: this closedesk must upgrade it to schema \
         {SCHEMA_VERSION} first — make it writable (or copy it) and open it once",
        inert_path(.0), .1
    )]
    OlderReadOnly(PathBuf, i32),
    #[error(
        "{}: already exists; pass --force to replace it (its notes and sign-offs would be lost)",
        inert_path(.0)
    )]
    Exists(PathBuf),
    #[error("{}: {}", inert_path(.0), sqlite_words(.1))]
    Sqlite(PathBuf, #[source] rusqlite::Error),
    /// Read-only, with a -wal file holding saved changes but no -shm file, in a directory
    /// where SQLite cannot make one: it could only read the file without them.
    #[error(
        "{}: holds changes not in the file yet, and with no -shm file beside it in a directory that cannot be \
         written they cannot be read; nothing was read — open it where the directory can be written, or copy \
         the file with its -wal to a writable directory",
        inert_path(.0)
    )]
    WalUnreadable(PathBuf),
}

/// An SQLite error opening a file, in words: another program's lock said as such (it is
/// the environment's, exit 3: try again), anything else as SQLite says it (inert).
fn sqlite_words(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => format!(
            "busy: another program holds a lock on the file (waited {} seconds); nothing was read \
             or saved — try again",
            BUSY_TIMEOUT.as_secs()
        ),
        _ => explain(e),
    }
}

/// Whether an SQLite error is the environment's, not the user's: another writer held the
/// file past the busy timeout, the disk is full, an I/O error, no memory. The command line
/// exits with 3 for these (README, "Exit codes"): nothing was saved, and retrying later
/// (or freeing space) may succeed with the same input.
pub fn is_environment(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode;
    matches!(
        e.sqlite_error_code(),
        Some(
            ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure
                | ErrorCode::OutOfMemory
        )
    )
}

/// An SQLite error in words a user can act on: damage, a read-only file, a full disk; else
/// SQLite's own text. Never names the file (the caller does).
pub fn explain(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    if let rusqlite::Error::InvalidColumnType(_, column, found) = e {
        // SQLite lets any column hold any type; closedesk writes each with one. A figure the
        // query computes is named by its SQL: that names nothing a user can find.
        let what = if column.contains(['(', ' ']) {
            "a figure computed from the source rows".to_string()
        } else {
            format!("column {}", inert(column))
        };
        return format!(
            "{what} holds {} value, which closedesk never writes there (an amount with a fraction, text \
             for a number?): the file was edited by another program; closedesk verify names the table and \
             row",
            match found {
                rusqlite::types::Type::Real => "a real (floating-point)".to_string(),
                rusqlite::types::Type::Integer => "an integer".to_string(),
                other => format!("a {}", other.to_string().to_lowercase()),
            }
        );
    }
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => format!(
            "damaged snapshot: a page of the file is corrupt ({}); restore the file from a copy",
            inert(&e.to_string())
        ),
        Some(ErrorCode::ReadOnly) => "the file, its directory or its -wal/-shm files beside it are read-only \
                                      (a read of a read-only copy leaves them so: remove them while nothing has the \
                                      file open)"
            .to_string(),
        Some(ErrorCode::DiskFull) => "the disk is full".to_string(),
        Some(ErrorCode::SystemIoFailure) => format!(
            "an I/O error ({}): is the disk full, or can the -wal/-shm files beside the file not be written? \
             Nothing was changed",
            inert(&e.to_string())
        ),
        _ => inert(&e.to_string()),
    }
}

/// What the first 100 bytes of an SQLite file say.
struct Header {
    page_size: u64,
    page_count: u64,
    page_count_valid: bool,
    user_version: i32,
    application_id: i32,
}

fn read_header(path: &Path) -> Result<(Header, u64), OpenError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(OpenError::Missing(path.into())),
        Err(e) => return Err(OpenError::Unreadable(path.into(), e.to_string())),
    };
    if meta.is_dir() {
        return Err(OpenError::Directory(path.into()));
    }
    if !meta.is_file() {
        return Err(OpenError::NotRegular(path.into()));
    }
    let len = meta.len();
    let mut bytes = [0u8; 100];
    let mut file = File::open(path).map_err(|e| OpenError::Unreadable(path.into(), e.to_string()))?;
    let mut read = 0;
    while read < 100 {
        match file.read(&mut bytes[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(OpenError::Unreadable(path.into(), e.to_string())),
        }
    }
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    if read < 16 || &bytes[..16] != MAGIC {
        return Err(OpenError::NotSqlite(path.into()));
    }
    if read < 100 {
        return Err(OpenError::Truncated(path.into(), len, 100));
    }
    let be32 = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let raw_page = u16::from_be_bytes([bytes[16], bytes[17]]) as u64;
    let page_size = if raw_page == 1 { 65_536 } else { raw_page };
    let header = Header {
        page_size,
        page_count: be32(28) as u64,
        // The in-header size is only trustworthy when the change counters agree.
        page_count_valid: be32(24) == be32(92),
        user_version: be32(60) as i32,
        application_id: be32(68) as i32,
    };
    Ok((header, len))
}

/// What a file that `--force` would replace is to closedesk, by its header alone: a period
/// snapshot, or one of SQLite's files beside one (`-wal`, `-shm`, `-journal`). An export
/// never replaces either, and an import replaces only a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotFile {
    Snapshot,
    /// The suffix, and the snapshot it is beside.
    Beside(&'static str, PathBuf),
}

impl std::fmt::Display for SnapshotFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotFile::Snapshot => write!(f, "a period snapshot"),
            SnapshotFile::Beside(suffix, base) => {
                write!(f, "the {suffix} file of the period snapshot {}", inert_path(base))
            }
        }
    }
}

/// [`SnapshotFile`] of `path`; `None` when it is neither (also when there is no such file).
pub fn snapshot_file_kind(path: &Path) -> Option<SnapshotFile> {
    let is_snapshot = |p: &Path| read_header(p).is_ok_and(|(h, _)| h.application_id == APPLICATION_ID);
    if is_snapshot(path) {
        return Some(SnapshotFile::Snapshot);
    }
    let name = path.file_name()?.to_str()?;
    ["-wal", "-shm", "-journal"].into_iter().find_map(|suffix| {
        let base = path.with_file_name(name.strip_suffix(suffix)?);
        is_snapshot(&base).then_some(SnapshotFile::Beside(suffix, base))
    })
}

/// Whether this process may write the file and create files beside it (SQLite's -wal and
/// -shm), by `access(2)`: no descriptor is opened.
fn writable(path: &Path) -> bool {
    can_write(path) && can_write(&directory_of(path))
}

fn can_write(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: access(2) reads the NUL-terminated path and nothing else.
    std::ffi::CString::new(path.as_os_str().as_bytes())
        .is_ok_and(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
}

fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A read-only connection to a file this process cannot write. SQLite reads a WAL-mode
/// file read-only when its -wal and -shm files exist, or, when they do not (and cannot be
/// created), when it is told the file is immutable — nobody who could change it has it
/// open, which is what a read-only file in a read-only directory means. An immutable file's
/// -wal is not read: one that holds changes is refused rather than left out.
fn open_read_only(path: &Path) -> Result<Connection, OpenError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let shm = PathBuf::from(format!("{}-shm", path.display()));
    let sqlite = |e| OpenError::Sqlite(path.into(), e);
    if (wal.exists() && shm.exists()) || can_write(&directory_of(path)) {
        return Connection::open_with_flags(path, flags).map_err(sqlite);
    }
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(OpenError::WalUnreadable(wal));
    }
    Connection::open_with_flags(immutable_uri(path), flags | OpenFlags::SQLITE_OPEN_URI).map_err(sqlite)
}

/// `path` as an SQLite URI opening it immutable: the main file alone is read, with no lock,
/// no -wal or -shm read or made.
fn immutable_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'-' | b'_' | b'~' => uri.push(b as char),
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Whether `path` is a period snapshot by more than its header: closedesk's application_id,
/// a schema version, and the `period` and `audit_log` tables in the file. Read immutable,
/// so nothing is changed, migrated or made beside it; tables only in an unmerged -wal are
/// not seen (the file then reads as no snapshot). For `--force`, which replaces a period
/// snapshot and no other file: a file that only carries the mark (an empty database with
/// closedesk's application_id) was replaced.
pub fn has_snapshot_tables(path: &Path) -> bool {
    if !read_header(path).is_ok_and(|(h, _)| h.application_id == APPLICATION_ID && h.user_version >= 1) {
        return false;
    }
    let flags =
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let Ok(conn) = Connection::open_with_flags(immutable_uri(path), flags) else {
        return false;
    };
    conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('period', 'audit_log')",
        [],
        |r| r.get::<_, i64>(0),
    )
    .is_ok_and(|tables| tables == 2)
}

/// The checks of the raw header, before SQLite opens the file: only while no connection of
/// this process has it open (see the module's doc).
fn check_header(path: &Path) -> Result<(), OpenError> {
    let (header, len) = read_header(path)?;
    if !header.page_size.is_power_of_two() || header.page_size < 512 {
        return Err(OpenError::Damaged(
            path.into(),
            "invalid page size in header".into(),
        ));
    }
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    if header.page_count_valid && !wal.exists() && len < header.page_size * header.page_count {
        return Err(OpenError::Truncated(
            path.into(),
            len,
            header.page_size * header.page_count,
        ));
    }
    if header.application_id != APPLICATION_ID {
        if header.application_id != 0 {
            return Err(OpenError::Foreign(path.into(), header.application_id));
        }
        return Err(OpenError::PlainSqlite(path.into()));
    }
    if header.user_version > SCHEMA_VERSION {
        return Err(OpenError::Newer(path.into(), header.user_version));
    }
    Ok(())
}

impl Snapshot {
    /// Opens an existing snapshot for reading and writing, migrating an older schema
    /// forward. Anything that is not a closedesk snapshot of this or an older version is
    /// refused before SQLite opens it.
    pub fn open(path: &Path) -> Result<Snapshot, OpenError> {
        Snapshot::open_with(path, false)
    }

    /// Opens a snapshot to read it: like [`Snapshot::open`] when the file and its directory
    /// can be written; otherwise read-only, without migrating (a file of an older schema is
    /// then refused, naming why). For the commands that only read (`status`, `reconcile`,
    /// `verify`, `log`): a snapshot on read-only media or a directory others own can still
    /// be checked. Writes through it fail (storing a reconciliation is best effort).
    pub fn open_to_read(path: &Path) -> Result<Snapshot, OpenError> {
        Snapshot::open_with(path, !writable(path))
    }

    fn open_with(path: &Path, read_only: bool) -> Result<Snapshot, OpenError> {
        // Held until the connection is registered: no other thread of this process reads
        // the header with a descriptor of its own while this one opens the file.
        let mut files = registry::lock();
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(OpenError::Missing(path.into()))
            }
            Err(e) => return Err(OpenError::Unreadable(path.into(), e.to_string())),
        };
        let key = registry::key(&meta);
        if !files.is_open(key) {
            check_header(path)?;
        }
        let conn = if read_only {
            open_read_only(path)?
        } else {
            Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| OpenError::Sqlite(path.into(), e))?
        };
        let mut snap = Snapshot {
            conn,
            path: path.into(),
            patience: Default::default(),
            _open: files.register(key),
        };
        drop(files);
        snap.configure().map_err(|e| snap.damaged(e))?;
        // A quick structural check: the schema must be readable and the period present.
        let (tables, version): (i64, i32) = snap
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('period', 'audit_log')),
                        (SELECT user_version FROM pragma_user_version)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| snap.damaged(e))?;
        if version > SCHEMA_VERSION {
            return Err(OpenError::Newer(path.into(), version));
        }
        if version < 0 || (version == 0 && tables > 0) {
            return Err(OpenError::Damaged(
                path.into(),
                format!(
                    "unknown schema version {version}: closedesk's snapshots are version 1 to \
                     {SCHEMA_VERSION} (the version was changed by another tool?)"
                ),
            ));
        }
        if tables != 2 && version >= 1 {
            return Err(OpenError::Damaged(
                path.into(),
                "the period or audit_log table is missing".into(),
            ));
        }
        if read_only {
            if version < SCHEMA_VERSION {
                return Err(OpenError::OlderReadOnly(path.into(), version));
            }
            snap.adopt_currency().map_err(|e| snap.damaged(e))?;
            return Ok(snap);
        }
        snap.refuse_older_hundredths(version)?;
        snap.migrate().map_err(|e| snap.damaged(e))?;
        snap.adopt_currency().map_err(|e| snap.damaged(e))?;
        snap.restore_wal();
        Ok(snap)
    }

    /// A snapshot is a WAL file (docs/snapshot-format.md): readers beside a writer neither
    /// block it nor are blocked. Another tool may have switched it to a rollback journal
    /// (`PRAGMA journal_mode=DELETE`); it is switched back here when it can be (no other
    /// connection is reading it), else left as it is for the next open: nothing is refused.
    fn restore_wal(&self) {
        let mode = self
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get::<_, String>(0));
        if mode.is_ok_and(|m| !m.eq_ignore_ascii_case("wal")) {
            let _ = self.conn.pragma_update(None, "journal_mode", "WAL");
        }
    }

    /// A second connection to this snapshot's file, read-only, for reading beside this one
    /// on another thread (the engine's second half, `reconcile::run`); `None` when the file
    /// cannot be opened so (it is then read on this connection alone). Neither migrates nor
    /// sets the process's currency: this connection's open did both.
    pub fn reader_beside(&self) -> Option<Snapshot> {
        let mut files = registry::lock();
        let key = registry::key(&std::fs::metadata(&self.path).ok()?);
        if !files.is_open(key) {
            // Not the file this connection opened (it was moved or replaced since).
            return None;
        }
        let conn = open_read_only(&self.path).ok()?;
        let mut snap = Snapshot {
            conn,
            path: self.path.clone(),
            patience: Default::default(),
            _open: files.register(key),
        };
        drop(files);
        snap.configure().ok()?;
        Some(snap)
    }

    /// What a read of this connection sees of the engine's inputs, as one value: the source
    /// generation (moved by every change of a source row or the period) and the stored
    /// aggregates' edit counter. Two read transactions that find the same fingerprint read
    /// the same source rows and aggregates (unless a hand edit dropped the counting
    /// triggers, which `verify` reports).
    pub fn source_fingerprint(&self) -> rusqlite::Result<(i64, i64)> {
        let edits = self
            .conn
            .prepare_cached("SELECT edits FROM agg_edits WHERE id = 1")?
            .query_row([], |r| r.get(0))?;
        Ok((self.source_generation()?, edits))
    }

    /// A file of schema 3 or older stored every amount in hundredths whatever its currency:
    /// one whose currency has not two decimals is refused before anything is migrated.
    fn refuse_older_hundredths(&self, version: i32) -> Result<(), OpenError> {
        use rusqlite::OptionalExtension;
        if !(1..schema::MINOR_UNITS_SINCE).contains(&version) {
            return Ok(());
        }
        let code: Option<String> = self
            .conn
            .query_row("SELECT currency FROM period", [], |r| r.get(0))
            .optional()
            .map_err(|e| self.damaged(e))?;
        match code.as_deref().map(crate::money::currency_decimals) {
            Some(Ok(decimals)) if decimals != 2 => Err(OpenError::OlderCurrency(
                self.path.clone(),
                code.unwrap_or_default(),
                version,
                decimals,
            )),
            _ => Ok(()),
        }
    }

    /// Sets the decimals amounts are read and written with ([`crate::money::set_currency`])
    /// to the period currency's, when the file has a period: closedesk works on one period
    /// per process. [`Snapshot::open`] does it; a snapshot being built does it once its
    /// period is written. A currency the table does not know keeps two decimals (every
    /// amount had two before the table existed).
    pub fn adopt_currency(&self) -> rusqlite::Result<()> {
        use rusqlite::OptionalExtension;
        let code: Option<String> = self
            .conn
            .query_row("SELECT currency FROM period", [], |r| r.get(0))
            .optional()?;
        if let Some(code) = code {
            let _ = crate::money::set_currency(&code);
        }
        Ok(())
    }

    /// Creates a new, empty snapshot at `path` (which must not exist), at the current
    /// schema version.
    pub fn create(path: &Path) -> Result<Snapshot, OpenError> {
        let mut files = registry::lock();
        if path.exists() {
            return Err(OpenError::Exists(path.into()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| OpenError::Sqlite(path.into(), e))?;
        // The file exists once SQLite wrote its first page; register it by its inode then.
        let init = || -> rusqlite::Result<()> {
            conn.pragma_update(None, "application_id", APPLICATION_ID)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            Ok(())
        };
        init().map_err(|e| OpenError::Sqlite(path.into(), e))?;
        let meta = std::fs::metadata(path).map_err(|e| OpenError::Unreadable(path.into(), e.to_string()))?;
        let mut snap = Snapshot {
            conn,
            path: path.into(),
            patience: Default::default(),
            _open: files.register(registry::key(&meta)),
        };
        drop(files);
        snap.configure().map_err(|e| OpenError::Sqlite(path.into(), e))?;
        snap.migrate().map_err(|e| OpenError::Sqlite(path.into(), e))?;
        Ok(snap)
    }

    fn damaged(&self, e: rusqlite::Error) -> OpenError {
        match e {
            rusqlite::Error::SqliteFailure(ref f, _) if f.code == rusqlite::ErrorCode::ReadOnly => {
                OpenError::ReadOnly(self.path.clone())
            }
            rusqlite::Error::SqliteFailure(ref f, _)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt
                ) =>
            {
                OpenError::Damaged(self.path.clone(), e.to_string())
            }
            other => OpenError::Sqlite(self.path.clone(), other),
        }
    }

    fn configure(&mut self) -> rusqlite::Result<()> {
        self.patience.install(&mut self.conn, &self.path)?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(())
    }

    /// Runs every migration between the file's version and [`SCHEMA_VERSION`].
    fn migrate(&mut self) -> rusqlite::Result<()> {
        let current: i32 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (index, sql) in schema::migrations().iter().enumerate() {
            let target = index as i32 + 1;
            if current >= target {
                continue;
            }
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", target)?;
            tx.commit()?;
        }
        // A file upgraded past a version that added aggregate tables gets them all now,
        // computed from its rows.
        if (1..aggregates::LAST_ADDED).contains(&current) {
            let has_period: bool = self
                .conn
                .query_row("SELECT EXISTS (SELECT 1 FROM period)", [], |r| r.get(0))?;
            if has_period {
                let tx = rusqlite::Transaction::new_unchecked(
                    &self.conn,
                    rusqlite::TransactionBehavior::Immediate,
                )?;
                aggregates::build_in(&tx, &self.period()?)?;
                tx.commit()?;
            }
        }
        Ok(())
    }

    /// Folds the write-ahead log into the main file and closes the connection, so the file
    /// is complete on its own and can be moved (import builds a snapshot under a temporary
    /// name and renames it into place).
    pub fn checkpoint_and_close(self) -> rusqlite::Result<()> {
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy != 0 {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                Some("the write-ahead log could not be checkpointed: the file is in use".into()),
            ));
        }
        let Snapshot { conn, _open, .. } = self;
        conn.close().map_err(|(_, e)| e)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why the file at this snapshot's path is no longer the file its connection opened,
    /// when it is not: another import, `demo --force` or a move may have put a different file
    /// there (or removed it), and a write would then go to the one nobody will open again
    /// (lost when this connection closes).
    pub(crate) fn replaced_since_open(&self) -> Option<String> {
        let now_there = std::fs::metadata(&self.path).map(|m| registry::key(&m));
        if now_there.as_ref().is_ok_and(|k| *k == self._open.key()) {
            return None;
        }
        let what = match now_there {
            Ok(_) => "was replaced by another file",
            Err(_) => "was moved or removed",
        };
        Some(format!(
            "{} {what} since it was opened here (another import, demo --force, a move?)",
            inert_path(&self.path)
        ))
    }

    /// An error when [`Snapshot::replaced_since_open`]: every workflow write checks it.
    pub(crate) fn still_at_its_path(&self) -> rusqlite::Result<()> {
        match self.replaced_since_open() {
            None => Ok(()),
            Some(why) => Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(format!("{why}; nothing was saved — open the file again")),
            )),
        }
    }

    /// Whether the connection is inside a transaction (a read or a write).
    pub fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// The underlying connection, for the modules of `snapshot` only.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `work` with a busy file an error at once instead of a wait (best-effort writes).
    pub(crate) fn without_waiting<T>(&self, work: impl FnOnce(&Connection) -> T) -> T {
        self.patience.without_waiting(|| work(&self.conn))
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{new_snapshot, pragma, temp_path};
    use super::*;

    #[test]
    fn create_sets_identity_and_version() {
        let (_dir, path) = temp_path("p.db");
        let snap = Snapshot::create(&path).unwrap();
        assert_eq!(pragma::<i32>(&snap, "application_id"), APPLICATION_ID);
        assert_eq!(pragma::<i32>(&snap, "user_version"), SCHEMA_VERSION);
        assert_eq!(pragma::<String>(&snap, "journal_mode"), "wal");
        drop(snap);
        Snapshot::open(&path).unwrap();
    }

    /// Whether this process holds a POSIX lock on `path`, asked the only exact way: a child
    /// process tests for a conflicting lock with `F_GETLK` (a process never conflicts with
    /// its own locks, and /proc/locks, read in pieces while other tests take and release
    /// locks, can skip a line: this test flaked on it).
    fn locked_by_this_process(path: &Path) -> bool {
        use std::os::unix::ffi::OsStrExt;
        let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        let parent = std::process::id() as libc::pid_t;
        // Between fork and _exit the child calls only async-signal-safe functions.
        match unsafe { libc::fork() } {
            0 => unsafe {
                let fd = libc::open(c_path.as_ptr(), libc::O_RDWR);
                let mut lock: libc::flock = std::mem::zeroed();
                lock.l_type = libc::F_WRLCK as libc::c_short;
                lock.l_whence = libc::SEEK_SET as libc::c_short;
                let held = fd >= 0
                    && libc::fcntl(fd, libc::F_GETLK, &mut lock) == 0
                    && lock.l_type != libc::F_UNLCK as libc::c_short
                    && lock.l_pid == parent;
                libc::_exit(if held { 0 } else { 1 });
            },
            child if child > 0 => {
                let mut status = 0;
                assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
            }
            _ => panic!("fork failed: {}", std::io::Error::last_os_error()),
        }
    }

    /// Issue 12.1: a second open of a file this process holds must not drop the first
    /// connection's locks (closing any descriptor of the file drops them all).
    #[test]
    fn a_second_open_keeps_the_first_connections_locks() {
        let (dir, path) = temp_path("p.db");
        drop(Snapshot::create(&path).unwrap());
        let first = Snapshot::open(&path).unwrap();
        // A read takes the WAL-mode shared lock on the database file, held between
        // transactions for as long as the connection is open.
        let _: i64 = first
            .conn()
            .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
            .unwrap();
        assert!(
            locked_by_this_process(&path),
            "the connection holds a lock on the database file"
        );
        let second = Snapshot::open(&path).unwrap();
        assert!(locked_by_this_process(&path), "after a second Snapshot::open");
        // Through another path to the same file, too.
        let other = dir.path().join(".").join("p.db");
        let third = Snapshot::open(&other).unwrap();
        assert!(
            locked_by_this_process(&path),
            "after an open through another path"
        );
        drop((second, third));
        assert!(
            locked_by_this_process(&path),
            "after the later connections closed"
        );
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let (_dir, path) = temp_path("pipe.db");
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = Snapshot::open(&path).err().unwrap();
        assert!(matches!(e, OpenError::NotRegular(_)), "{e}");
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }

    /// Schema 1 → 2 on a signed-off file: the migration writes no row (the lock triggers
    /// would refuse it), and the file comes out locked by the version 2 triggers.
    #[test]
    fn a_signed_off_schema_1_file_migrates_and_stays_locked() {
        let (_dir, path) = temp_path("v1.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch(&schema::migrations()[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO period (id, entity, window_start, window_end, currency, close_owner,
                 materiality_medium_cents, materiality_high_cents, materiality_critical_cents, status)
             VALUES ('2026-02', 'Old File Co', '2026-02-01', '2026-02-28', 'USD', 'o', 1, 2, 3, 'signed_off');",
        )
        .unwrap();
        drop(conn);
        let snap = Snapshot::open(&path).unwrap();
        assert_eq!(pragma::<i32>(&snap, "user_version"), SCHEMA_VERSION);
        let present = snap.workflow().triggers().unwrap();
        assert_eq!(present, crate::snapshot::workflow::expected_triggers().unwrap());
        // Schema 11 logs changes of the status from then on: the migration made none.
        assert_eq!(snap.workflow().lock_changes().unwrap(), Vec::new());
        for sql in [
            "INSERT INTO roster (login, display_name, role) VALUES ('eve', 'Eve', 'lead')",
            "INSERT OR REPLACE INTO period (id, entity, window_start, window_end, currency, close_owner,
                 materiality_medium_cents, materiality_high_cents, materiality_critical_cents, status)
             VALUES ('2026-02', 'Old File Co', '2026-02-01', '2026-02-28', 'USD', 'o', 1, 2, 3, 'open')",
        ] {
            assert!(snap.conn().execute(sql, []).is_err(), "{sql}");
        }
    }

    #[test]
    fn every_expected_trigger_exists() {
        let (_dir, snap) = new_snapshot();
        for name in schema::expected_triggers() {
            let n: i64 = snap
                .conn()
                .query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE type='trigger' AND name=?1",
                    [&name],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "trigger {name} missing");
        }
    }
}
