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

/// Issue 12.6: a schema version closedesk never wrote (0 with the tables there, or
/// negative) is named as such, not answered with SQLite's "table period already exists".
#[test]
fn unknown_schema_version() {
    for version in [0, -3] {
        let dir = tmp();
        let path = real_snapshot(dir.path());
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", version).unwrap();
        drop(conn);
        assert_refused(
            &path,
            &format!("damaged snapshot: unknown schema version {version}"),
        );
    }
}

/// Issue 12.6: a corrupt page is named as damage with the file, for status and verify.
#[test]
fn a_malformed_page_is_named_as_damage() {
    let dir = tmp();
    let path = dir.path().join("demo.db");
    closedesk::demo::write(&path, false).unwrap();
    // Without its stored result, so that `status` reads the source pages again (a stored
    // result lets status read only the small result tables).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DELETE FROM reconcile_cache; DELETE FROM reconcile_mismatches; DELETE FROM reconcile_steps;",
    )
    .unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096 * 20;
    assert!(bytes.len() > page + 4096);
    bytes[page..page + 4096].fill(0xff);
    std::fs::write(&path, &bytes).unwrap();
    for command in ["status", "verify"] {
        let out = closedesk().arg(command).arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!("{}: ", path.display()))
                && stderr.contains("damaged snapshot: a page of the file is corrupt"),
            "{command}: {stderr}"
        );
    }
}

/// `closedesk ARGS` run with a deadline of ten seconds (a FIFO opened for reading waits
/// for a writer forever): its exit code and stderr; a panic, naming `what`, past it.
fn within_ten_seconds(args: &[&std::ffi::OsStr], what: &str) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(10) {
            let _ = child.kill();
            panic!("{what} still waiting after 10 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr)
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Issue 12.6: a FIFO given as the snapshot is refused at once instead of hanging.
#[test]
fn a_fifo_is_refused_without_waiting() {
    let dir = tmp();
    let path = dir.path().join("pipe.db");
    mkfifo(&path);
    let (code, stderr) = within_ten_seconds(&["status".as_ref(), path.as_os_str()], "status on a FIFO");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

/// A FIFO in place of an import's CSV file: the import opened it and waited for a writer
/// forever. It is refused at once, naming the file.
#[test]
fn an_import_refuses_a_fifo_without_waiting() {
    let dir = tmp();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-minimal");
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), src.join(entry.file_name())).unwrap();
    }
    let csv = src.join("invoices.csv");
    std::fs::remove_file(&csv).unwrap();
    mkfifo(&csv);
    let out = dir.path().join("p.db");
    let (code, stderr) = within_ten_seconds(
        &[
            "import".as_ref(),
            src.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
        "import with a FIFO as invoices.csv",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("invoices.csv: cannot read: not a regular file (a pipe, socket or device)"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// Whether permission bits can be tested: not as root, or as root through `setpriv` (tests
/// run as root in CI, which ignores permission bits). Says so when they cannot.
fn permission_bits_testable() -> bool {
    let as_root = unsafe { libc::geteuid() } == 0;
    if as_root
        && std::process::Command::new("setpriv")
            .arg("--version")
            .output()
            .is_err()
    {
        eprintln!("skipped: running as root without setpriv, permission bits cannot be tested");
        return false;
    }
    true
}

/// Runs `closedesk ARGS[0] PATH ARGS[1..]`, as `nobody` when this process is root, with a
/// home `nobody` can read (no config file there).
fn run_unprivileged(args: &[&str], path: &Path, home: &Path) -> std::process::Output {
    let mut cmd = if unsafe { libc::geteuid() } == 0 {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_closedesk"));
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_closedesk"))
    };
    cmd.arg(args[0])
        .arg(path)
        .args(&args[1..])
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("CLOSEDESK_CONFIG");
    cmd.output().unwrap()
}

/// Owned by `nobody` when this process is root, so only permission bits stand in the way.
fn give_to_nobody(paths: &[&Path]) {
    if unsafe { libc::geteuid() } != 0 {
        return;
    }
    for p in paths {
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        unsafe {
            libc::chown(c.as_ptr(), 65534, 65534);
        }
    }
}

/// Issue 12.6: `status`, `reconcile`, `verify` and `log` only read, so a snapshot the user
/// cannot write — a read-only file, a read-only directory — is still checked; a workflow
/// write on it is refused naming why. Run as `nobody` through `setpriv` when root (skipped,
/// saying so, when that cannot be done).
#[test]
fn a_read_only_file_or_directory_can_still_be_checked() {
    use std::os::unix::fs::PermissionsExt;
    if !permission_bits_testable() {
        return;
    }
    let command = run_unprivileged;
    let set_mode =
        |p: &Path, mode: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    for read_only_dir in [false, true] {
        let dir = tmp();
        set_mode(dir.path(), 0o755);
        let inner = dir.path().join("period");
        std::fs::create_dir(&inner).unwrap();
        let path = inner.join("demo.db");
        closedesk::demo::write(&path, false).unwrap();
        give_to_nobody(&[&inner, &path]);
        set_mode(&path, 0o444);
        set_mode(&inner, if read_only_dir { 0o555 } else { 0o755 });
        for args in [&["status"][..], &["reconcile"], &["verify"], &["log"]] {
            let out = command(args, &path, dir.path());
            assert_eq!(
                out.status.code(),
                Some(0),
                "{args:?} (read-only dir: {read_only_dir}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let note = [
            "mismatch",
            "exports:GL-2026-03:ar-total",
            "note",
            "hello",
            "--user",
            "tlin",
        ];
        let out = command(&note, &path, dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("read-only"), "{stderr}");
        // The file is named, and the note typed is given back (it was neither).
        assert!(stderr.contains(&format!("{}:", path.display())), "{stderr}");
        assert!(stderr.trim_end().ends_with("; your input was: hello"), "{stderr}");
        // With --json, the refusal is on stdout too, as any other.
        let out = command(&[&note[..], &["--json"]].concat(), &path, dir.path());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("\"refused\": \"storage\""), "{stdout}");
        // A reason typed for a reopen is given back as well.
        let out = command(
            &[
                "reopen",
                "--reason",
                "a reason that is long enough to keep",
                "--user",
                "mhale",
            ],
            &path,
            dir.path(),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        if read_only_dir {
            assert!(
                stderr
                    .trim_end()
                    .ends_with("; your input was: a reason that is long enough to keep"),
                "{stderr}"
            );
        }
        set_mode(&inner, 0o755);
    }
}

/// A note saved while another program held the file open stays in the -wal file until a
/// checkpoint. A copy of the file and its -wal without the -shm, in a directory that cannot
/// be written, was opened as immutable: SQLite then ignores the -wal, so the note was not
/// there and `verify` passed on a log without it. Such a file is refused, naming the -wal
/// file and what to do; with the directory writable, the note is read.
#[test]
fn a_wal_that_cannot_be_read_is_refused_not_ignored() {
    use std::os::unix::fs::PermissionsExt;
    if !permission_bits_testable() {
        return;
    }
    let dir = tmp();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let inner = dir.path().join("period");
    std::fs::create_dir(&inner).unwrap();
    let path = inner.join("demo.db");
    closedesk::demo::write(&path, false).unwrap();
    // Another program holds the file open while the note is saved, and is killed before
    // it closes it: no checkpoint runs, the note is in the -wal file only.
    let analyst = rusqlite::Connection::open(&path).unwrap();
    analyst
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get::<_, i64>(0))
        .unwrap();
    closedesk()
        .args(["mismatch"])
        .arg(&path)
        .args([
            "exports:GL-2026-03:ar-total",
            "note",
            "kept in the wal",
            "--user",
            "tlin",
        ])
        .assert()
        .success();
    std::mem::forget(analyst);
    let wal = inner.join("demo.db-wal");
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "the note is in the -wal file"
    );
    std::fs::remove_file(inner.join("demo.db-shm")).unwrap();
    give_to_nobody(&[&inner, &path, &wal]);
    for p in [&path, &wal] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o444)).unwrap();
    }
    std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o555)).unwrap();
    for args in [&["status"][..], &["reconcile"], &["verify"], &["log"]] {
        let out = run_unprivileged(args, &path, dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(stderr.contains("demo.db-wal"), "{args:?}: {stderr}");
        assert!(stderr.contains("not in the file yet"), "{args:?}: {stderr}");
    }
    // Where the -shm file can be made, the note is read.
    std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run_unprivileged(&["log"], &path, dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("kept in the wal"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
