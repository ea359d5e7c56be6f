//! The built-in demo period (Northstar, 2026-03), made from the CSV files in `assets/demo/`
//! through the same code path as `closedesk import`. The files are compiled into the binary so
//! the demo works from any directory. [`scale`] is its synthetic sibling (`demo --scale N`).
//!
//! Owns the demo's data and where it lives; it writes snapshots only through import (and
//! [`scale`] through the bulk loader), and knows nothing of reconciliation or the workflow.

pub mod scale;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::import::{self, ImportError};
use crate::snapshot::model::SourceData;

macro_rules! demo_files {
    ($($name:literal),+ $(,)?) => {
        &[$(($name, include_bytes!(concat!("../../assets/demo/", $name)))),+]
    };
}

/// The demo's CSV files, by file name.
const FILES: &[(&str, &[u8])] = demo_files!(
    "period.csv",
    "lane_owners.csv",
    "accounts.csv",
    "invoices.csv",
    "invoice_lines.csv",
    "payments.csv",
    "credits.csv",
    "disbursements.csv",
    "ledger.csv",
    "usage_events.csv",
    "export_batches.csv",
    "export_lines.csv",
    "employer_programs.csv",
    "program_statements.csv",
    "statement_lines.csv",
    "roster.csv",
);

/// The demo's source data, parsed and validated exactly like an import.
pub fn source() -> Result<SourceData, ImportError> {
    let files: BTreeMap<String, Vec<u8>> = FILES
        .iter()
        .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
        .collect();
    import::parse_files(&files, &|name| format!("assets/demo/{name}"))
}

/// Writes the demo period to `out` (refusing to replace an existing file unless `force`).
pub fn write(out: &Path, force: bool) -> Result<SourceData, ImportError> {
    let data = source()?;
    import::build_snapshot(&data, out, force)?;
    Ok(data)
}

/// For unit tests: the demo period written to a fresh temporary directory and opened. The
/// directory is returned with it: the file lasts as long as it does.
#[cfg(test)]
pub(crate) fn open_in_tempdir() -> (tempfile::TempDir, crate::snapshot::Snapshot) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo-2026-03.db");
    write(&path, false).unwrap();
    let snapshot = crate::snapshot::Snapshot::open(&path).unwrap();
    (dir, snapshot)
}

/// Where the demo period lives when no file is given: `$XDG_DATA_HOME/closedesk/`, else
/// `~/.local/share/closedesk/`, as `demo-2026-03.db`.
pub fn default_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".local/share"),
    };
    Some(base.join("closedesk").join("demo-2026-03.db"))
}
