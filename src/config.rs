//! The user's config file and the settings resolved from it (docs/conventions.md).
//!
//! `config.toml` in the platform's config directory (the `directories` crate:
//! `$XDG_CONFIG_HOME/closedesk/` or `~/.config/closedesk/` on Linux,
//! `~/Library/Application Support/closedesk/` on macOS, `%APPDATA%\closedesk\config\` on
//! Windows), or the file `CLOSEDESK_CONFIG` names. Three keys, all optional:
//!
//! ```toml
//! login = "tlin"                      # the roster login to act as
//! snapshot = "~/close/acme-2026-03.db" # the snapshot opened when no FILE is given
//! theme = "mono"                       # "auto" (colour unless NO_COLOR) or "mono"
//! ```
//!
//! Precedence, highest first: flags, then the environment, then the config file, then the
//! defaults. A missing file is no config; a file that cannot be read or parsed, or holds an
//! unknown key, is the user's mistake, named as `file:line:column`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::text::inert_path;

/// Names the config file instead of the platform's (for tests and administrators).
pub const CONFIG_ENV: &str = "CLOSEDESK_CONFIG";
/// The login to act as when no `--user` is given (above the config's `login`).
pub const USER_ENV: &str = "CLOSEDESK_USER";
/// The snapshot opened when no FILE is given (above the config's `snapshot`).
pub const SNAPSHOT_ENV: &str = "CLOSEDESK_SNAPSHOT";
/// The cockpit's theme, `auto` or `mono` (above the config's `theme`).
pub const THEME_ENV: &str = "CLOSEDESK_THEME";

/// The platform's directories for closedesk.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "closedesk")
}

/// The cockpit's colours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeChoice {
    /// Colour unless `NO_COLOR` is set or the terminal is `dumb`.
    #[default]
    Auto,
    /// No colour: severity and selection show through symbols, bold and reverse video.
    Mono,
}

impl ThemeChoice {
    pub fn parse(text: &str) -> Option<ThemeChoice> {
        match text {
            "auto" => Some(ThemeChoice::Auto),
            "mono" => Some(ThemeChoice::Mono),
            _ => None,
        }
    }
}

/// The config file's contents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub login: Option<String>,
    pub snapshot: Option<PathBuf>,
    pub theme: Option<ThemeChoice>,
    /// Where it was read from (`None`: no file).
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// Where the config file is: `CLOSEDESK_CONFIG`, else the platform's config directory.
pub fn path() -> Option<PathBuf> {
    match std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        Some(file) => Some(PathBuf::from(file)),
        None => Some(project_dirs()?.config_dir().join("config.toml")),
    }
}

/// Reads the config file; none there is the empty config.
pub fn load() -> Result<Config, String> {
    match path() {
        Some(file) => load_from(&file),
        None => Ok(Config::default()),
    }
}

/// Reads one config file; a missing file is the empty config.
pub fn load_from(file: &Path) -> Result<Config, String> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => return Err(format!("{}: cannot read the config file: {e}", inert_path(file))),
    };
    let mut config = parse(&text).map_err(|(at, message)| {
        let (line, column) = at.map(|at| line_column(&text, at)).unwrap_or((1, 1));
        format!(
            "{}:{line}:{column}: {} (docs/conventions.md describes the config file)",
            inert_path(file),
            crate::text::inert(&message)
        )
    })?;
    // A relative snapshot path is relative to the config file, not to where closedesk runs.
    if let Some(snapshot) = &config.snapshot {
        config.snapshot = Some(expand(snapshot, file.parent()));
    }
    config.file = Some(file.to_path_buf());
    Ok(config)
}

/// Parses config text: the error's byte offset, if known, and its message.
pub fn parse(text: &str) -> Result<Config, (Option<usize>, String)> {
    toml::from_str::<Config>(text).map_err(|e| (e.span().map(|s| s.start), e.message().to_string()))
}

/// The 1-based line and column (in characters) of byte offset `at` of `text`.
pub(crate) fn line_column(text: &str, at: usize) -> (usize, usize) {
    // A byte offset from the parser: back to the character it falls in, never a panic.
    let at = (0..=at.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn expand(path: &Path, base: Option<&Path>) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~") {
        if let Some(home) = directories::BaseDirs::new() {
            return home.home_dir().join(rest);
        }
    }
    match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_path_buf(),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Config {
    /// The login to act as: `--user`, else `CLOSEDESK_USER`, else the config's `login`;
    /// `None` leaves it to `$USER`. (`$USER` is always set by a login shell, so it comes
    /// below the config, or the config's `login` could never apply.)
    pub fn login(&self, flag: Option<String>) -> Option<String> {
        flag.or_else(|| env(USER_ENV))
            .or_else(|| self.login.clone().filter(|l| !l.is_empty()))
    }

    /// The snapshot to open when no FILE is given: `CLOSEDESK_SNAPSHOT`, else the config's
    /// `snapshot`; `None` is the demo period.
    pub fn snapshot(&self) -> Option<PathBuf> {
        env(SNAPSHOT_ENV)
            .map(PathBuf::from)
            .or_else(|| self.snapshot.clone())
    }

    /// The cockpit's theme: `CLOSEDESK_THEME`, else the config's `theme`, else `auto`.
    /// `NO_COLOR` and a `dumb` terminal still mean no colour whatever is chosen.
    pub fn theme(&self) -> Result<ThemeChoice, String> {
        match env(THEME_ENV) {
            Some(text) => ThemeChoice::parse(&text).ok_or_else(|| {
                format!(
                    "{THEME_ENV}='{}' is not one of auto, mono",
                    crate::text::inert(&text)
                )
            }),
            None => Ok(self.theme.unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_keys_and_refuses_anything_else_with_a_position() {
        let c = parse("login = \"tlin\"\nsnapshot = \"a.db\"\ntheme = \"mono\"\n").unwrap();
        assert_eq!(c.login.as_deref(), Some("tlin"));
        assert_eq!(c.snapshot.as_deref(), Some(Path::new("a.db")));
        assert_eq!(c.theme, Some(ThemeChoice::Mono));
        let text = "login = \"tlin\"\ncolour = 1\n";
        let (at, message) = parse(text).unwrap_err();
        assert_eq!(line_column(text, at.unwrap()), (2, 1));
        assert!(message.contains("colour"), "{message}");
        let text = "theme = \"neon\"\n";
        let (at, message) = parse(text).unwrap_err();
        assert_eq!(line_column(text, at.unwrap()).0, 1);
        assert!(
            message.contains("neon") || message.contains("variant"),
            "{message}"
        );
        assert_eq!(parse("").unwrap(), Config::default());
    }

    /// An offset inside a multi-byte character counts as that character, never a panic.
    #[test]
    fn a_position_inside_a_non_ascii_character_is_not_a_panic() {
        let text = "login = \"é\"\nthème = 1\n";
        assert_eq!(line_column(text, 10), (1, 10));
        assert_eq!(line_column(text, 16), (2, 3));
    }

    #[test]
    fn a_relative_snapshot_is_relative_to_the_config_file() {
        assert_eq!(
            expand(Path::new("a.db"), Some(Path::new("/etc/cd"))),
            PathBuf::from("/etc/cd/a.db")
        );
        assert_eq!(
            expand(Path::new("/x/a.db"), Some(Path::new("/etc"))),
            PathBuf::from("/x/a.db")
        );
    }
}
