//! Waiting for another writer. A connection that finds the file busy tries again every
//! few milliseconds, and gives up only when no writer has written to the file for
//! [`BUSY_TIMEOUT`] (one writer held it that long), or after [`LONGEST_WAIT`] in all.
//!
//! SQLite's own `busy_timeout` gives up after its time whatever the others did, and sleeps
//! ever longer between tries (up to 100 ms), so a writer that has already waited a while
//! loses almost every turn to writers that have just arrived and try at once. With eight
//! processes writing in turn on a slow disk (each commit waits for its `fsync`, under load
//! up to seconds), one of them waited out the five seconds while the others went on, and
//! its action was refused (CI, `eight_processes_interleave_two_hundred_actions_each`).
//! Trying again every 0.5 to 3 ms (at random, so waiters do not fall into step) gives each
//! waiter a turn as soon as the file is free; watching the files for writes tells a file
//! that is busy with others' work from one a writer holds and does nothing with.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rusqlite::Connection;

use super::BUSY_TIMEOUT;

/// The longest a write waits in all, even while other writers go on writing.
pub const LONGEST_WAIT: Duration = Duration::from_secs(60);

/// Whether a connection waits for another writer at all: a few best-effort writes (the
/// stored results, the aggregates) give up at once instead ([`Patience::without_waiting`]).
#[derive(Clone, Debug)]
pub(super) struct Patience(Arc<AtomicBool>);

impl Default for Patience {
    fn default() -> Patience {
        Patience(Arc::new(AtomicBool::new(true)))
    }
}

impl Patience {
    /// Makes `conn`, open on the snapshot at `path`, wait for other writers as this module
    /// says, while this patience lasts.
    pub(super) fn install(&self, conn: &mut Connection, path: &Path) -> rusqlite::Result<()> {
        let waits = Arc::clone(&self.0);
        let files = Written::of(path);
        let mut started = Instant::now();
        let mut last_write = (started, files.last());
        conn.busy_handler(Some(move |tries: i32| {
            if !waits.load(Ordering::Relaxed) {
                return false;
            }
            let now = Instant::now();
            let seen = files.last();
            if tries == 0 {
                started = now;
                last_write = (now, seen);
            } else if seen != last_write.1 {
                last_write = (now, seen);
            }
            if now - last_write.0 >= BUSY_TIMEOUT || now - started >= LONGEST_WAIT {
                return false;
            }
            std::thread::sleep(Duration::from_micros(rand::random_range(500..=3000)));
            true
        }))
    }

    /// Runs `work` with a busy file an error at once, then waits again.
    pub(super) fn without_waiting<T>(&self, work: impl FnOnce() -> T) -> T {
        self.0.store(false, Ordering::Relaxed);
        let done = work();
        self.0.store(true, Ordering::Relaxed);
        done
    }
}

/// The files a writer writes to: the write-ahead log (every commit appends to it) and the
/// database (a checkpoint, or a writer in rollback-journal mode).
struct Written {
    wal: PathBuf,
    db: PathBuf,
}

/// When and to what length the files were last written, as far as their metadata says.
type Stamp = [Option<(SystemTime, u64)>; 2];

impl Written {
    fn of(path: &Path) -> Written {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        Written {
            wal: wal.into(),
            db: path.to_path_buf(),
        }
    }

    fn last(&self) -> Stamp {
        let stamp = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        };
        [stamp(&self.wal), stamp(&self.db)]
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::temp_path;
    use super::super::Snapshot;
    use super::*;

    /// Holds `path`'s write lock from another connection for `hold`, in a thread.
    fn held_for(path: &std::path::Path, hold: Duration) -> std::thread::JoinHandle<()> {
        let holder = Connection::open(path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        std::thread::spawn(move || {
            std::thread::sleep(hold);
            holder.execute_batch("COMMIT").unwrap();
        })
    }

    #[test]
    fn a_write_waits_for_another_writer_then_goes_through() {
        let (_dir, path) = temp_path("p.db");
        let snap = Snapshot::create(&path).unwrap();
        let holder = held_for(&path, Duration::from_millis(300));
        let started = Instant::now();
        snap.conn().execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "{:?}",
            started.elapsed()
        );
        holder.join().unwrap();
    }

    /// Another writer holds the file for 6.5 s in all, committing a row every 100 ms and
    /// taking the lock again at once: the write waits (the file is busy with work, not held
    /// idle), and goes through when that writer is done.
    #[test]
    fn a_write_waits_out_other_writers_that_go_on_writing() {
        let (_dir, path) = temp_path("p.db");
        let snap = Snapshot::create(&path).unwrap();
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch("CREATE TABLE scratch (n INTEGER); BEGIN IMMEDIATE")
            .unwrap();
        let busy_for = BUSY_TIMEOUT + Duration::from_millis(1500);
        let other = std::thread::spawn(move || {
            let started = Instant::now();
            while started.elapsed() < busy_for {
                std::thread::sleep(Duration::from_millis(100));
                writer
                    .execute_batch("INSERT INTO scratch VALUES (1); COMMIT; BEGIN IMMEDIATE")
                    .unwrap();
            }
            writer.execute_batch("COMMIT").unwrap();
        });
        snap.conn().execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap();
        other.join().unwrap();
    }

    #[test]
    fn a_best_effort_write_gives_up_at_once_and_the_next_write_waits_again() {
        let (_dir, path) = temp_path("p.db");
        let snap = Snapshot::create(&path).unwrap();
        let holder = held_for(&path, Duration::from_millis(1500));
        let started = Instant::now();
        let refused = snap.without_waiting(|conn| conn.execute_batch("BEGIN IMMEDIATE"));
        assert_eq!(
            refused.unwrap_err().sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy)
        );
        assert!(
            started.elapsed() < Duration::from_millis(1000),
            "{:?}",
            started.elapsed()
        );
        snap.conn().execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(1400),
            "{:?}",
            started.elapsed()
        );
        holder.join().unwrap();
    }
}
