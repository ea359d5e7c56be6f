//! The opt-in log file (docs/conventions.md): off unless `CLOSEDESK_LOG` is set to a level
//! or filter (`debug`, `info`, `closedesk=trace`, …); then `closedesk.log` in the platform's
//! state directory (`$XDG_STATE_HOME/closedesk/` or `~/.local/state/closedesk/` on Linux;
//! the local data directory where the platform has no state directory), or in the
//! directory `CLOSEDESK_STATE_DIR` names. Lines are appended, without colour; nothing is
//! ever written to the terminal, so the cockpit's screen stays untouched.

use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

/// The level or filter that turns the log on.
pub const LOG_ENV: &str = "CLOSEDESK_LOG";
/// Names the directory of `closedesk.log` (for tests and administrators).
pub const STATE_DIR_ENV: &str = "CLOSEDESK_STATE_DIR";
/// The log file's name.
pub const FILE_NAME: &str = "closedesk.log";

/// Where the log goes: `CLOSEDESK_STATE_DIR`, else the platform's state directory, else
/// its local data directory.
pub fn dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(STATE_DIR_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let dirs = crate::config::project_dirs()?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf(),
    )
}

/// Starts the log when `CLOSEDESK_LOG` asks for it; returns the file, or a message naming
/// what is wrong (a bad filter, a directory that cannot be made).
pub fn init() -> Result<Option<PathBuf>, String> {
    let Some(filter) = std::env::var(LOG_ENV).ok().filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let filter = EnvFilter::try_new(&filter)
        .map_err(|e| format!("{LOG_ENV}='{}': {e}", crate::text::inert(&filter)))?;
    let dir = dir().ok_or_else(|| {
        format!("{LOG_ENV} is set but there is no state directory: set {STATE_DIR_ENV} or HOME")
    })?;
    std::fs::create_dir_all(&dir).map_err(|e| {
        format!(
            "{}: cannot create the log directory: {e}",
            crate::text::inert_path(&dir)
        )
    })?;
    let file = dir.join(FILE_NAME);
    // Opened now, so an unwritable file is reported here rather than lost later.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .map_err(|e| format!("{}: cannot open the log: {e}", crate::text::inert_path(&file)))?;
    let appender = tracing_appender::rolling::never(&dir, FILE_NAME);
    // Already set (a second call in one process) is fine: the first stays.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(appender)
        .with_ansi(false)
        .try_init();
    Ok(Some(file))
}
