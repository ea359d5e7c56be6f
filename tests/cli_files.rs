//! Every kind of unusable file is refused by `status`, `reconcile` and `open` with a one-line
//! message naming the path and the problem, exit code 2, and the file left untouched.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use closedesk::snapshot::schema::{APPLICATION_ID, SCHEMA_VERSION};
use closedesk::snapshot::Snapshot;

fn closedesk() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_closedesk"));
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Runs every reading command on `path` and checks each refuses it with `expected` in a
/// one-line message on stderr, exit 2, nothing on stdout, and the file byte-identical.
fn assert_refused(path: &Path, expected: &str) {
    let before = std::fs::read(path).ok();
    for args in [
        vec!["status"],
        vec!["status", "--json"],
        vec!["reconcile"],
        vec!["open"],
    ] {
        let out = closedesk().args(&args).arg(path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?} on {}: {stderr}",
            path.display()
        );
        assert!(
            out.stdout.is_empty(),
            "{args:?} printed to stdout: {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(stderr.lines().count(), 1, "one line expected, got: {stderr}");
        assert!(
            stderr.contains(&path.display().to_string()),
            "message must name the path: {stderr}"
        );
        assert!(stderr.contains(expected), "expected {expected:?} in: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{stderr}"
        );
        assert_eq!(
            std::fs::read(path).ok(),
            before,
            "{args:?} modified {}",
            path.display()
        );
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn missing_file() {
    let dir = tmp();
    assert_refused(&dir.path().join("nope.db"), "no such file");
}

#[test]
fn directory() {
    let dir = tmp();
    assert_refused(dir.path(), "is a directory");
}

#[test]
fn not_sqlite() {
    let dir = tmp();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "period,entity\n2026-03,Northstar\n").unwrap();
    assert_refused(&path, "not an SQLite database");
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    assert_refused(&empty, "not an SQLite database");
}

fn real_snapshot(dir: &Path) -> PathBuf {
    let path = dir.join("real.db");
    drop(Snapshot::create(&path).unwrap());
    path
}

#[test]
fn truncated_file() {
    let dir = tmp();
    let path = real_snapshot(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192, "a fresh snapshot spans several pages");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert_refused(&path, "truncated");
    std::fs::write(&path, &bytes[..60]).unwrap();
    assert_refused(&path, "truncated");
}

#[test]
fn another_applications_database() {
    let dir = tmp();
    let path = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA application_id = 1234; CREATE TABLE t (x);")
        .unwrap();
    drop(conn);
    assert_refused(&path, "another application");
}

#[test]
fn plain_sqlite_database() {
    let dir = tmp();
    let path = dir.path().join("plain.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE invoices (id TEXT);").unwrap();
    drop(conn);
    assert_refused(&path, "did not make");
}

#[test]
fn newer_schema() {
    let dir = tmp();
    let path = real_snapshot(dir.path());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_eq!(app, APPLICATION_ID);
    drop(conn);
    assert_refused(
        &path,
        &format!("made by a newer closedesk (schema {})", SCHEMA_VERSION + 1),
    );
}

#[test]
fn hostile_path_is_shown_inert() {
    let dir = tmp();
    let path = dir.path().join("evil\x1b]0;pwned\x07.db");
    let out = closedesk().arg("status").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.contains(&0x1b), "raw ESC reached the terminal");
    assert!(String::from_utf8_lossy(&out.stderr).contains("\\x1b]0;pwned\\x07"));
}
