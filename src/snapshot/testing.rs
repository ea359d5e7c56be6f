//! Test fixtures for the unit tests of the snapshot and the workflow: a snapshot file in a
//! temporary directory (new, or the demo close), one pragma's value, and a query's plan.
//!
//! Each fixture hands back the [`TempDir`] with what it made: keep it alive for as long as
//! the file is used, as dropping it removes the directory.

use std::path::PathBuf;

use rusqlite::types::FromSql;
use tempfile::TempDir;

use super::Snapshot;

/// A new temporary directory and the path of a file `name` in it (the file is not made).
pub(crate) fn temp_path(name: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

/// A new, empty snapshot in a temporary directory.
pub(crate) fn new_snapshot() -> (TempDir, Snapshot) {
    let (dir, path) = temp_path("p.db");
    (dir, Snapshot::create(&path).unwrap())
}

/// The demo close (`crate::demo::write`, not signed off), opened from a temporary directory.
pub(crate) fn demo_snapshot() -> (TempDir, Snapshot) {
    let (dir, path) = temp_path("p.db");
    crate::demo::write(&path, false).unwrap();
    (dir, Snapshot::open(&path).unwrap())
}

/// The value of the pragma `name` on the snapshot's connection.
pub(crate) fn pragma<T: FromSql>(snapshot: &Snapshot, name: &str) -> T {
    snapshot
        .conn()
        .pragma_query_value(None, name, |r| r.get(0))
        .unwrap()
}

/// SQLite's plan of `sql` with `params` on the snapshot, one step a line.
pub(crate) fn plan(snapshot: &Snapshot, sql: &str, params: impl rusqlite::Params) -> Vec<String> {
    let mut st = snapshot
        .conn()
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap();
    st.query_map(params, |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}
