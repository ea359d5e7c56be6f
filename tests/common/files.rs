//! Fixture directories copied to edit, for the import tests.

use std::fs;
use std::path::{Path, PathBuf};

/// A fresh copy of the files of directory `from` in `to` (created), to edit.
pub fn copy_dir(from: &Path, to: &Path) -> PathBuf {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    to.to_path_buf()
}

/// Replaces the first `from` in the file at `path` with `to`; panics when it is not there.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}
