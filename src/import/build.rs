//! Writing a snapshot all or nothing: build it under a temporary name next to the target,
//! fold the write-ahead log into the file, close it, then move it into place. A failure at
//! any step removes the temporary file and leaves the target as it was.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::{shown, Failed, ImportError};
use crate::snapshot::model::{PeriodStatus, SourceData};
use crate::snapshot::Snapshot;
use crate::text::inert;

/// `path` with `suffix` appended to its file name: `p.db` → `p.db-wal`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name: OsString = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The SQLite files that belong to a database file.
fn logs(path: &Path) -> [PathBuf; 2] {
    [sibling(path, "-wal"), sibling(path, "-shm")]
}

fn exists(out: &Path) -> ImportError {
    ImportError::Target(format!(
        "{}: already exists; pass --force to replace it (its notes and sign-offs would be lost)",
        shown(out)
    ))
}

fn target_error(out: &Path, what: &str, why: impl std::fmt::Display) -> ImportError {
    ImportError::Target(format!("{}: {what}: {}", shown(out), inert(&why.to_string())))
}

/// Checks that `out` can be written: its directory exists, and it does not exist unless
/// `force`. Returns the directory.
pub(super) fn check_target(out: &Path, force: bool) -> Result<PathBuf, ImportError> {
    if out.file_name().is_none() {
        return Err(ImportError::Target(format!("{}: not a file name", shown(out))));
    }
    let dir = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(ImportError::Target(format!(
            "{}: the directory {} does not exist",
            shown(out),
            shown(&dir)
        )));
    }
    match fs::symlink_metadata(out) {
        Ok(meta) if meta.is_dir() => Err(ImportError::Target(format!("{}: is a directory", shown(out)))),
        Ok(_) => {
            refuse_not_a_snapshot(out)?;
            if !force {
                return Err(exists(out));
            }
            refuse_signed_off(out)?;
            Ok(dir)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(dir),
        Err(e) => Err(target_error(out, "cannot check the target", e)),
    }
}

/// `--force` replaces a period snapshot, nothing else (README): a mistyped `--out` naming a
/// source CSV, a notes file or SQLite's `-wal` beside a snapshot would otherwise be
/// destroyed without a word. Neither an empty file (it was replaced, with a message about
/// its notes and sign-offs) nor an SQLite file with closedesk's application_id and no
/// snapshot's tables is one.
fn refuse_not_a_snapshot(out: &Path) -> Result<(), ImportError> {
    use crate::snapshot::SnapshotFile;
    match crate::snapshot::snapshot_file_kind(out) {
        Some(SnapshotFile::Snapshot) if crate::snapshot::has_snapshot_tables(out) => Ok(()),
        Some(SnapshotFile::Snapshot) => Err(ImportError::Target(format!(
            "{}: exists and is not a period snapshot (an SQLite file with closedesk's mark but no \
             snapshot's tables); --force replaces only a period snapshot — choose another --out",
            shown(out)
        ))),
        Some(kind) => Err(ImportError::Target(format!(
            "{}: is {kind}, not a period snapshot; --force replaces only a period snapshot — choose another --out",
            shown(out)
        ))),
        None if fs::metadata(out).is_ok_and(|m| m.len() == 0) => Err(ImportError::Target(format!(
            "{}: exists and is not a period snapshot (an empty file); --force replaces only a period \
             snapshot — choose another --out",
            shown(out)
        ))),
        None => Err(ImportError::Target(format!(
            "{}: exists and is not a period snapshot; --force replaces only a period snapshot — choose another --out",
            shown(out)
        ))),
    }
}

/// A signed-off period is locked, and `--force` does not replace it: that would discard
/// the sign-off and the audit trail behind it with one flag, whoever runs it. A file that
/// is not a snapshot, or cannot be read as one, is replaced as before.
fn refuse_signed_off(out: &Path) -> Result<(), ImportError> {
    let Ok(snapshot) = Snapshot::open_to_read(out) else {
        return Ok(());
    };
    refuse_if_signed_off(&snapshot, out)
}

/// [`refuse_signed_off`] on an open snapshot (inside its write transaction, the state no
/// other writer can change before the transaction ends).
fn refuse_if_signed_off(snapshot: &Snapshot, out: &Path) -> Result<(), ImportError> {
    let read = snapshot.workflow();
    let Ok(period) = read.period_state() else {
        return Ok(());
    };
    if period.status != PeriodStatus::SignedOff {
        return Ok(());
    }
    let by = match read.latest_signoff() {
        Ok(Some(s)) => format!(" by {} at {}", inert(&s.signed_by), inert(&s.signed_at)),
        _ => String::new(),
    };
    Err(ImportError::Target(format!(
        "{}: period {} is signed off{by} and locked; --force does not replace it (its sign-off and \
         audit trail would be lost): a lead reopens it first (`closedesk reopen FILE --reason TEXT`), \
         or write to another file",
        shown(out),
        inert(&period.id)
    )))
}

/// The longest part of a target's name its temporaries carry, in bytes. With what they
/// add (an import's `.` `.importing-` PID `.old-wal`, 30 bytes at the most; an export's `.`
/// `.closedesk-` PID `-` N `.tmp`, 29), a temporary's name stays within the 255 bytes a
/// file name may have, whenever the target's does.
const TEMPORARY_STEM: usize = 200;

/// The part of a target's name `name` its temporaries carry: the name, or, when it is
/// longer than [`TEMPORARY_STEM`] bytes, its first bytes up to a character boundary. A
/// name the file system takes was refused ("File name too long") once its temporary's was
/// not.
pub(crate) fn temporary_stem(name: &str) -> &str {
    let mut end = name.len().min(TEMPORARY_STEM);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// The part of `out`'s file name its temporaries carry ([`temporary_stem`]); a name that
/// is not UTF-8 whole.
fn out_stem(out: &Path) -> &OsStr {
    let name = out.file_name().unwrap_or_default();
    name.to_str().map_or(name, |n| OsStr::new(temporary_stem(n)))
}

/// The temporary snapshot: removed, with its log files, when dropped. After a successful
/// move there is nothing left under its name to remove.
struct TempSnapshot {
    path: PathBuf,
}

impl TempSnapshot {
    fn remove(&self) {
        for path in [self.path.clone()].iter().chain(&logs(&self.path)) {
            let _ = fs::remove_file(path);
        }
    }
}

impl Drop for TempSnapshot {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Writes `data` as a new snapshot at `out`, all or nothing. Refuses an existing `out`
/// unless `force`, then replaces it (and any log files it had) in one rename.
pub fn build_snapshot(data: &SourceData, out: &Path, force: bool) -> Result<(), ImportError> {
    build_with(out, force, |snapshot| snapshot.insert_source(data))
}

/// Builds a new snapshot at `out` all or nothing: creates it under a temporary name next
/// to `out`, lets `fill` write it, folds the write-ahead log into the file, closes it and
/// moves it into place. Refuses an existing `out` unless `force`. `closedesk demo --scale`
/// fills it from the generator instead of from CSV files.
pub fn build_with<T>(
    out: &Path,
    force: bool,
    fill: impl FnOnce(&mut Snapshot) -> rusqlite::Result<T>,
) -> Result<T, ImportError> {
    build_from(out, force, |snapshot| fill(snapshot).map_err(Failed::Write))
}

/// [`build_with`], with `fill` free to refuse the input ([`Failed::Import`]): nothing is
/// then left behind either.
pub(super) fn build_from<T>(
    out: &Path,
    force: bool,
    fill: impl FnOnce(&mut Snapshot) -> Result<T, Failed>,
) -> Result<T, ImportError> {
    let dir = check_target(out, force)?;
    let mut temp_name = OsString::from(".");
    temp_name.push(out_stem(out));
    temp_name.push(format!(".importing-{}", std::process::id()));
    let temp = TempSnapshot {
        path: dir.join(temp_name),
    };
    // A leftover of an earlier, interrupted run that had the same process id.
    temp.remove();
    remove_stale_temporaries(&dir, out);

    let mut snapshot =
        Snapshot::create(&temp.path).map_err(|e| target_error(out, "cannot create the snapshot", e))?;
    let filled = fill(&mut snapshot).map_err(|e| match e {
        Failed::Import(e) => e,
        Failed::Write(e) => target_error(out, "the data could not be written (nothing was written)", e),
    })?;
    // The stored result is written with the period currency's decimals.
    snapshot
        .adopt_currency()
        .map_err(|e| target_error(out, "the data could not be written (nothing was written)", e))?;
    // Reconcile once per import: the sources never change after it, so the stored result
    // serves every status, cockpit and workflow action until a hand edit bumps the source
    // generation (docs/reconciliation.md, "Stored results").
    crate::reconcile::stored::run_and_store(&snapshot)
        .map_err(|e| target_error(out, "the period could not be reconciled (nothing was written)", e))?;
    snapshot
        .checkpoint_and_close()
        .map_err(|e| target_error(out, "cannot finish the snapshot", e))?;
    place(&temp.path, out, force)?;
    // Make the rename durable; a failure here does not undo a finished import.
    if let Ok(handle) = fs::File::open(&dir) {
        let _ = handle.sync_all();
    }
    Ok(filled)
}

/// The process id in the name of a temporary snapshot of `out` (`.STEM.importing-PID`,
/// STEM from [`out_stem`], or its `-wal` or `-shm`), or `None` when `name` is not one.
fn temporary_pid(name: &OsStr, out: &Path) -> Option<u32> {
    let target = out_stem(out).to_str()?;
    let rest = name.to_str()?.strip_prefix('.')?.strip_prefix(target)?;
    let rest = rest.strip_prefix(".importing-")?;
    let digits = ["-wal", "-shm"]
        .iter()
        .find_map(|log| rest.strip_suffix(log))
        .unwrap_or(rest);
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits
        .parse()
        .ok()
        .filter(|pid| (1..=i32::MAX as u32).contains(pid))
}

/// True unless process `pid` is known not to exist. Where that cannot be told, every
/// process counts as alive.
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        // SAFETY: signal 0 sends nothing; it only asks whether the process exists. pid is
        // positive, so it names one process, never a process group.
        let found = unsafe { libc::kill(pid, 0) } == 0;
        found || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Removes what killed imports into `out` left next to it: the temporary snapshots
/// `.NAME.importing-PID` (and their `-wal` and `-shm`) of the same target name whose
/// process no longer exists. Nothing else is touched: not another target's temporaries,
/// not those of a live process (an import running now), not the `.old-wal`/`.old-shm` of
/// a replaced target (they may hold the old file's last changes), not anything that is
/// not a plain file. Failures are ignored: a leftover only takes room.
fn remove_stale_temporaries(dir: &Path, out: &Path) {
    remove_dead_temporaries(dir, |name| temporary_pid(name, out));
}

/// Removes the plain files of `dir` that `pid_of` names as a temporary of a process that
/// no longer exists (never this process's, never a live one's): what a killed import or
/// export left. Failures are ignored.
pub(crate) fn remove_dead_temporaries(dir: &Path, pid_of: impl Fn(&OsStr) -> Option<u32>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = pid_of(&entry.file_name()) else {
            continue;
        };
        let plain_file = entry.file_type().is_ok_and(|t| t.is_file());
        if plain_file && pid != std::process::id() && !process_alive(pid) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Moves the finished temporary file onto `out`.
fn place(temp: &Path, out: &Path, force: bool) -> Result<(), ImportError> {
    if fs::symlink_metadata(out).is_err() {
        // Log files without their database belong to no snapshot, and SQLite would replay
        // a stale log into the new file: remove them first.
        for log in logs(out) {
            match fs::remove_file(&log) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(target_error(out, "cannot remove a stale log file", e)),
            }
        }
        return if force {
            rename(temp, out)
        } else {
            link_new(temp, out)
        };
    }
    if !force {
        return Err(exists(out));
    }
    // The old file is checked again and replaced while this process holds its write lock:
    // a sign-off committed since `check_target` looked (an import runs for minutes) is
    // refused here, and one that waits for the lock finds the file replaced and saves
    // nothing (every workflow write checks that its file is still at its path), instead of
    // being reported signed and then lost with the old file.
    let Ok(old) = Snapshot::open(out) else {
        // Not a snapshot closedesk can open (an empty file): nothing of it to keep.
        return replace(temp, out);
    };
    let held = old.write(|_| -> Result<(), Held> {
        refuse_if_signed_off(&old, out).map_err(Held::Refused)?;
        // Roll back either way: nothing is written to the old file, its lock was held.
        Err(Held::Replaced(replace(temp, out)))
    });
    match held {
        Err(Held::Replaced(result)) => result,
        Err(Held::Refused(e)) => Err(e),
        Err(Held::Sqlite(e)) => Err(target_error(
            out,
            "the old file could not be locked to be replaced (another writer held it?); nothing was replaced",
            e,
        )),
        Ok(()) => Ok(()),
    }
}

/// How holding the old file's write lock to replace it ended.
enum Held {
    /// The old file is signed off: refused.
    Refused(ImportError),
    /// The lock was not had.
    Sqlite(rusqlite::Error),
    /// The new file was moved (or failed to move) under the lock.
    Replaced(Result<(), ImportError>),
}

impl From<rusqlite::Error> for Held {
    fn from(e: rusqlite::Error) -> Held {
        Held::Sqlite(e)
    }
}

/// Moves `temp` onto `out`, which exists; the old file's logs are set aside first and put
/// back if the move fails.
fn replace(temp: &Path, out: &Path) -> Result<(), ImportError> {
    // Replacing: the old file's logs are set aside first (a log must never meet another
    // database) and put back if the move fails.
    let mut aside: Vec<(PathBuf, PathBuf)> = Vec::new();
    let put_back = |aside: &[(PathBuf, PathBuf)]| {
        for (log, moved) in aside {
            let _ = fs::rename(moved, log);
        }
    };
    for (log, suffix) in logs(out).into_iter().zip([".old-wal", ".old-shm"]) {
        if fs::symlink_metadata(&log).is_err() {
            continue;
        }
        let moved = sibling(temp, suffix);
        if let Err(e) = fs::rename(&log, &moved) {
            put_back(&aside);
            return Err(target_error(out, "cannot move the old log file aside", e));
        }
        aside.push((log, moved));
    }
    match fs::rename(temp, out) {
        Ok(()) => {
            for (_, moved) in &aside {
                let _ = fs::remove_file(moved);
            }
            Ok(())
        }
        Err(e) => {
            put_back(&aside);
            Err(target_error(out, "cannot move the new snapshot into place", e))
        }
    }
}

fn rename(temp: &Path, out: &Path) -> Result<(), ImportError> {
    fs::rename(temp, out).map_err(|e| target_error(out, "cannot move the new snapshot into place", e))
}

/// Puts the new file in place only if nothing appeared at `out` meanwhile: a hard link
/// fails instead of replacing (the temporary name is then removed by its guard). Where
/// hard links are not supported, falls back to a rename.
fn link_new(temp: &Path, out: &Path) -> Result<(), ImportError> {
    match fs::hard_link(temp, out) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(exists(out)),
        Err(_) if fs::symlink_metadata(out).is_ok() => Err(exists(out)),
        Err(_) => rename(temp, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_are_recognized_by_their_exact_name() {
        let out = Path::new("/data/acme.db");
        let pid = |name: &str| temporary_pid(OsStr::new(name), out);
        assert_eq!(pid(".acme.db.importing-4242"), Some(4242));
        assert_eq!(pid(".acme.db.importing-4242-wal"), Some(4242));
        assert_eq!(pid(".acme.db.importing-4242-shm"), Some(4242));
        for other in [
            "acme.db",
            ".acme.db.importing-",
            ".acme.db.importing-0",
            ".acme.db.importing-+42",
            ".acme.db.importing-42x",
            ".acme.db.importing-42.old-wal",
            ".acme.db.importing-42-wal-shm",
            ".acme.db.importing-99999999999",
            ".acme.db.importing-2147483648",
            ".other.db.importing-42",
            ".acme.db2.importing-42",
            "acme.db.importing-42",
            ".acme.db.importing-42 ",
        ] {
            assert_eq!(pid(other), None, "{other}");
        }
    }

    #[test]
    fn only_live_processes_are_alive() {
        assert!(process_alive(std::process::id()));
        // Above any pid_max Linux allows (2^22).
        assert!(!process_alive(99_999_999) || cfg!(not(unix)));
    }
}
