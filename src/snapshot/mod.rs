//! The period snapshot: one SQLite file. This module and its children are the only place
//! with SQL. Opening checks the file before SQLite touches it, so a refused file is never
//! modified.

mod baseline;
pub mod bulk;
pub mod cache;
pub mod model;
pub mod pages;
pub mod queries;
pub mod schema;
pub mod workflow;
mod write;

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::text::{inert, inert_path};
use schema::{APPLICATION_ID, SCHEMA_VERSION};

/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An open period snapshot.
pub struct Snapshot {
    conn: Connection,
    path: PathBuf,
}

/// Why a file cannot be used as a snapshot. Each names the path and the problem.
#[derive(Debug)]
pub enum OpenError {
    Missing(PathBuf),
    Directory(PathBuf),
    Unreadable(PathBuf, String),
    NotSqlite(PathBuf),
    Truncated(PathBuf, u64, u64),
    Foreign(PathBuf, i32),
    PlainSqlite(PathBuf),
    Newer(PathBuf, i32),
    Damaged(PathBuf, String),
    Exists(PathBuf),
    Sqlite(PathBuf, rusqlite::Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Missing(path) => write!(f, "{}: no such file", inert_path(path)),
            OpenError::Directory(path) => {
                write!(f, "{}: is a directory, not a period snapshot", inert_path(path))
            }
            OpenError::Unreadable(path, why) => write!(f, "{}: cannot read: {}", inert_path(path), inert(why)),
            OpenError::NotSqlite(path) => {
                write!(f, "{}: not a period snapshot (not an SQLite database)", inert_path(path))
            }
            OpenError::Truncated(path, have, need) => write!(
                f,
                "{}: truncated or damaged: the file has {have} bytes, its header says {need}",
                inert_path(path)
            ),
            OpenError::Foreign(path, id) => write!(
                f,
                "{}: not a period snapshot: an SQLite database of another application (application_id 0x{id:08X})",
                inert_path(path)
            ),
            OpenError::PlainSqlite(path) => write!(
                f,
                "{}: not a period snapshot: an SQLite database closedesk did not make",
                inert_path(path)
            ),
            OpenError::Newer(path, v) => write!(
                f,
                "{}: made by a newer closedesk (schema {v}); this closedesk reads schema {SCHEMA_VERSION} — upgrade closedesk to open it",
                inert_path(path)
            ),
            OpenError::Damaged(path, why) => {
                write!(f, "{}: damaged snapshot: {}", inert_path(path), inert(why))
            }
            OpenError::Exists(path) => write!(
                f,
                "{}: already exists; pass --force to replace it (its notes and sign-offs would be lost)",
                inert_path(path)
            ),
            OpenError::Sqlite(path, e) => write!(f, "{}: {}", inert_path(path), inert(&e.to_string())),
        }
    }
}

impl std::error::Error for OpenError {}

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

impl Snapshot {
    /// Opens an existing snapshot for reading and writing, migrating an older schema
    /// forward. Anything that is not a closedesk snapshot of this or an older version is
    /// refused before SQLite opens it.
    pub fn open(path: &Path) -> Result<Snapshot, OpenError> {
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
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| OpenError::Sqlite(path.into(), e))?;
        let mut snap = Snapshot {
            conn,
            path: path.into(),
        };
        snap.configure().map_err(|e| snap.damaged(e))?;
        // A quick structural check: the schema must be readable and the period present.
        let tables: i64 = snap
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('period', 'audit_log')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| snap.damaged(e))?;
        if tables != 2 && header.user_version >= 1 {
            return Err(OpenError::Damaged(
                path.into(),
                "the period or audit_log table is missing".into(),
            ));
        }
        snap.migrate().map_err(|e| snap.damaged(e))?;
        Ok(snap)
    }

    /// Creates a new, empty snapshot at `path` (which must not exist), at the current
    /// schema version.
    pub fn create(path: &Path) -> Result<Snapshot, OpenError> {
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
        let mut snap = Snapshot {
            conn,
            path: path.into(),
        };
        let init = || -> rusqlite::Result<()> {
            snap.conn.pragma_update(None, "application_id", APPLICATION_ID)?;
            snap.conn.pragma_update(None, "journal_mode", "WAL")?;
            Ok(())
        };
        init().map_err(|e| OpenError::Sqlite(path.into(), e))?;
        snap.configure().map_err(|e| OpenError::Sqlite(path.into(), e))?;
        snap.migrate().map_err(|e| OpenError::Sqlite(path.into(), e))?;
        Ok(snap)
    }

    fn damaged(&self, e: rusqlite::Error) -> OpenError {
        match e {
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

    fn configure(&self) -> rusqlite::Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
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
        self.conn.close().map_err(|(_, e)| e)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for the modules of `snapshot` only.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_sets_identity_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let snap = Snapshot::create(&path).unwrap();
        let app: i32 = snap
            .conn()
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        let ver: i32 = snap
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        let mode: String = snap
            .conn()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(app, APPLICATION_ID);
        assert_eq!(ver, SCHEMA_VERSION);
        assert_eq!(mode, "wal");
        drop(snap);
        Snapshot::open(&path).unwrap();
    }

    #[test]
    fn every_expected_trigger_exists() {
        let dir = tempfile::tempdir().unwrap();
        let snap = Snapshot::create(&dir.path().join("p.db")).unwrap();
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
