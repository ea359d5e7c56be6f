//! The files this process has open as snapshots, by device and inode, so the raw header is
//! never read through a second descriptor of a file a connection holds: closing that
//! descriptor would drop the connection's POSIX locks (see `snapshot`'s module doc).
//!
//! Owns the process-wide table of open files; must not open or read a snapshot itself.

use std::collections::HashMap;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// A file's identity: (device, inode). Two paths to one file (a hard link, `./p.db` and
/// `p.db`) have the same key.
pub type Key = (u64, u64);

pub fn key(meta: &Metadata) -> Key {
    (meta.dev(), meta.ino())
}

/// The open count of each file.
pub struct Files(HashMap<Key, usize>);

fn files() -> &'static Mutex<Files> {
    static FILES: OnceLock<Mutex<Files>> = OnceLock::new();
    FILES.get_or_init(|| Mutex::new(Files(HashMap::new())))
}

/// The registry, locked: held across "is it open? read the header; open; register".
pub fn lock() -> MutexGuard<'static, Files> {
    // A panic elsewhere while holding it leaves the counts right (each change is one
    // statement), so a poisoned lock is still usable.
    files().lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Files {
    pub fn is_open(&self, key: Key) -> bool {
        self.0.get(&key).is_some_and(|n| *n > 0)
    }

    /// Counts one more connection to `key` until the returned registration is dropped.
    pub fn register(&mut self, key: Key) -> Registration {
        *self.0.entry(key).or_insert(0) += 1;
        Registration(key)
    }
}

/// One open connection, counted until dropped.
pub struct Registration(Key);

impl Registration {
    /// The identity of the file the connection opened.
    pub fn key(&self) -> Key {
        self.0
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut files = lock();
        if let Some(n) = files.0.get_mut(&self.0) {
            *n -= 1;
            if *n == 0 {
                files.0.remove(&self.0);
            }
        }
    }
}
