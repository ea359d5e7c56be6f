//! Conventions (docs/conventions.md): shell completions and the man page against golden
//! files, the config file and its precedence (flags > environment > config > defaults),
//! a bad config named at file:line:column with exit 2, and the opt-in log file.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};

use assert_cmd::Command;

fn bin(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_closedesk"));
    // Never the developer's own config, log or login.
    cmd.current_dir(dir)
        .env("CLOSEDESK_CONFIG", dir.join("no-config.toml"))
        .env("CLOSEDESK_STATE_DIR", dir.join("state"))
        .env("HOME", dir.join("home"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_STATE_HOME")
        .env_remove("CLOSEDESK_LOG")
        .env_remove("CLOSEDESK_USER")
        .env_remove("CLOSEDESK_SNAPSHOT")
        .env_remove("CLOSEDESK_THEME")
        .env("USER", "nobody-on-the-roster");
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn golden(name: &str, actual: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&file, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&file)
        .unwrap_or_else(|_| panic!("{name} missing: run with UPDATE_GOLDEN=1 and review it"));
    for (i, (a, b)) in expected.lines().zip(actual.lines()).enumerate() {
        assert_eq!(
            a,
            b,
            "{name} line {} (UPDATE_GOLDEN=1 to regenerate, then review)",
            i + 1
        );
    }
    assert_eq!(
        expected.lines().count(),
        actual.lines().count(),
        "{name}: line count (UPDATE_GOLDEN=1 to regenerate, then review)"
    );
}

/// A skip, straight to the process's stderr (past the harness's capture) so it shows.
fn skip(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// Runs `shell` with `args` if it is installed; `None` (and a printed skip) otherwise.
fn try_shell(shell: &str, args: &[&str], file: &Path) -> Option<Output> {
    match Process::new(shell).args(args).arg(file).output() {
        Ok(out) => Some(out),
        Err(_) => {
            skip(&format!(
                "skipped: {shell} is not installed, its syntax check did not run"
            ));
            None
        }
    }
}

#[test]
fn completions_for_bash_zsh_and_fish_match_their_golden_files_and_parse() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, name, check) in [
        ("bash", "completions.bash", vec!["-n"]),
        ("zsh", "completions.zsh", vec!["-n"]),
        ("fish", "completions.fish", vec!["--no-execute"]),
    ] {
        let out = bin(dir.path()).args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for sub in ["export", "checklist", "completions", "man", "serve"] {
            assert!(script.contains(sub), "{shell} completes {sub}");
        }
        golden(name, &script);
        let file = dir.path().join(name);
        std::fs::write(&file, &script).unwrap();
        if let Some(parsed) = try_shell(shell, &check, &file) {
            assert!(
                parsed.status.success(),
                "{shell} {check:?}: {}",
                text(&parsed.stderr)
            );
        }
    }
    // An unknown shell is a usage error.
    let bad = bin(dir.path()).args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_man_page_matches_its_golden_file_and_names_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin(dir.path()).arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(page.contains(".TH closedesk 1"), "a section-1 page");
    for part in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
    ] {
        assert!(page.contains(part), "{part}");
    }
    for sub in [
        "open",
        "demo",
        "import",
        "status",
        "reconcile",
        "checklist",
        "mismatch",
        "signoff",
        "reopen",
        "verify",
        "log",
        "export",
        "serve",
        "completions",
        "man",
    ] {
        assert!(
            page.contains(&format!("closedesk\\-{sub}(1)")),
            "the page lists {sub}"
        );
    }
    golden("closedesk.1", &page);
    // Rendered by man when it is there.
    let file = dir.path().join("closedesk.1");
    std::fs::write(&file, &page).unwrap();
    match Process::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
    {
        Ok(rendered) if rendered.status.success() => {
            assert!(
                text(&rendered.stdout).contains("keyboard"),
                "{}",
                text(&rendered.stdout)
            );
        }
        _ => skip("skipped: man -l is not available, the page was not rendered"),
    }
}

fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("demo.db");
    closedesk::demo::write(&path, false).unwrap();
    path
}

#[test]
fn the_config_file_gives_the_default_snapshot_and_login_below_env_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    std::fs::create_dir(dir.path().join("conf")).unwrap();
    let config = dir.path().join("conf/config.toml");
    // A relative snapshot is relative to the config file.
    std::fs::write(
        &config,
        "login = \"tlin\"\nsnapshot = \"../demo.db\"\ntheme = \"mono\"\n",
    )
    .unwrap();
    let export = |extra: &[(&str, &str)], args: &[&str]| {
        let mut cmd = bin(dir.path());
        cmd.env("CLOSEDESK_CONFIG", &config);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.args(["export", "--kind", "gl", "--out", "-"])
            .args(args)
            .output()
            .unwrap()
    };
    // No FILE and no --user: the config's snapshot, acting as its login ($USER is not on
    // the roster).
    let out = export(&[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let snapshot = closedesk::snapshot::Snapshot::open(&path).unwrap();
    let log = snapshot.workflow().audit_log().unwrap();
    assert_eq!(log.last().unwrap().actor, "tlin", "acted as the config's login");
    drop(snapshot);
    // The environment overrides the config, and the flag overrides both.
    let out = export(&[("CLOSEDESK_USER", "nobody-either")], &[]);
    assert_eq!(out.status.code(), Some(2), "CLOSEDESK_USER beats the config");
    assert!(
        text(&out.stderr).contains("nobody-either"),
        "{}",
        text(&out.stderr)
    );
    let out = export(&[("CLOSEDESK_USER", "nobody-either")], &["--user", "tlin"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "--user beats CLOSEDESK_USER: {}",
        text(&out.stderr)
    );
    // CLOSEDESK_SNAPSHOT beats the config's snapshot; a FILE beats both.
    let out = export(&[("CLOSEDESK_SNAPSHOT", "/nonexistent/x.db")], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/nonexistent/x.db"),
        "{}",
        text(&out.stderr)
    );
    let out = export(
        &[("CLOSEDESK_SNAPSHOT", "/nonexistent/x.db")],
        &[path.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // status shows which file it read.
    let out = bin(dir.path())
        .env("CLOSEDESK_CONFIG", &config)
        .arg("status")
        .output()
        .unwrap();
    let configured = dir.path().join("conf/../demo.db");
    assert!(
        text(&out.stdout).contains(configured.to_str().unwrap()),
        "{}",
        text(&out.stdout)
    );
    // Without a config the default stays the demo period in the data directory.
    let out = bin(dir.path()).arg("status").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.path().join("data/closedesk/demo-2026-03.db").exists());
}

#[test]
fn a_bad_config_file_is_named_at_file_line_column_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    for (contents, at, says) in [
        ("login = \"tlin\"\ncolour = 1\n", ":2:1:", "colour"),
        ("login = \"tlin\"\ntheme = \"neon\"\n", ":2:9:", "neon"),
        ("login = [\n", ":1:", ""),
    ] {
        std::fs::write(&config, contents).unwrap();
        let out = bin(dir.path())
            .env("CLOSEDESK_CONFIG", &config)
            .arg("status")
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{contents:?}: {err}");
        assert!(
            err.contains(&format!("{}{at}", config.display())),
            "{contents:?}: {err}"
        );
        assert!(err.contains(says), "{contents:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    // A bad theme in the environment too.
    std::fs::write(&config, "").unwrap();
    let out = bin(dir.path())
        .env("CLOSEDESK_CONFIG", &config)
        .env("CLOSEDESK_THEME", "neon")
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("CLOSEDESK_THEME"));
}

#[test]
fn closedesk_log_writes_to_the_state_directory_and_never_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path());
    let log = dir.path().join("state/closedesk.log");
    // Off by default: no file.
    let out = bin(dir.path()).arg("status").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!log.exists(), "no log unless CLOSEDESK_LOG is set");
    let quiet = (out.stdout, out.stderr);
    // On: the same terminal output, and lines in the file.
    let out = bin(dir.path())
        .env("CLOSEDESK_LOG", "debug")
        .arg("status")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        (out.stdout, out.stderr),
        quiet,
        "the log never reaches the terminal"
    );
    let lines = std::fs::read_to_string(&log).unwrap();
    assert!(lines.contains("INFO") && lines.contains("Status"), "{lines}");
    assert!(
        lines.contains("DEBUG") && lines.contains("open snapshot"),
        "{lines}"
    );
    assert!(!lines.contains('\x1b'), "no colour in the file");
    // Appended, and `info` leaves out debug lines.
    let before = lines.lines().count();
    bin(dir.path())
        .env("CLOSEDESK_LOG", "info")
        .args(["export", "--kind", "gl", "--user", "tlin", "--out", "-"])
        .arg(&path)
        .output()
        .unwrap();
    let lines = std::fs::read_to_string(&log).unwrap();
    let new: Vec<&str> = lines.lines().skip(before).collect();
    assert!(new.iter().any(|l| l.contains("export recorded")), "{new:?}");
    assert!(new.iter().all(|l| !l.contains("DEBUG")), "{new:?}");
    // A bad filter is a usage error.
    let out = bin(dir.path())
        .env("CLOSEDESK_LOG", "[[")
        .arg("status")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("CLOSEDESK_LOG"));
}
