//! CSV import — STUB with the agreed API; the real module lands from the `import` branch.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::snapshot::model::SourceData;

#[derive(Debug)]
pub enum ImportError {
    Io(String),
    Target(String),
}
impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Io(m) | ImportError::Target(m) => f.write_str(m),
        }
    }
}
impl std::error::Error for ImportError {}

pub const FILES: &[(&str, &[&str])] = &[];

pub fn parse_files(
    _files: &BTreeMap<String, Vec<u8>>,
    _label: &dyn Fn(&str) -> String,
) -> Result<SourceData, ImportError> {
    Err(ImportError::Io("import not built yet".into()))
}
pub fn read_dir(_dir: &Path) -> Result<SourceData, ImportError> {
    Err(ImportError::Io("import not built yet".into()))
}
pub fn build_snapshot(_data: &SourceData, _out: &Path, _force: bool) -> Result<(), ImportError> {
    Err(ImportError::Io("import not built yet".into()))
}
pub fn import_dir(_dir: &Path, _out: &Path, _force: bool) -> Result<SourceData, ImportError> {
    Err(ImportError::Io("import not built yet".into()))
}
pub fn write_templates(_dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    Err(ImportError::Io("import not built yet".into()))
}
