//! The command line: parse arguments, call the library, print. Every user mistake becomes a
//! [`Failure`] with a message naming what and where, and exit code 2.
//!
//! Owns arguments, exit codes and printing; must not hold SQL, a rule of the engine or the
//! workflow, or a figure of its own.

mod conventions;
mod export;
pub use export::note_stdout_closed;
mod serve;

mod workflow;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

mod reconcile_json;
mod report;

use crate::demo;
use crate::import;
use crate::reconcile::{self, Mismatch, Overview};
use crate::snapshot::Snapshot;
use crate::summary::{Checklist, SeverityCounts, Summary};
use crate::text::{inert, inert_json, inert_path};
use crate::workflow::mismatches::{self, MismatchView};
use crate::workflow::signing;
use crate::workflow::Refusal;

#[derive(Parser, Debug)]
#[command(
    name = "closedesk",
    version,
    about = "A keyboard-first close cockpit for billing reconciliation",
    long_about = "closedesk opens one period snapshot (an SQLite file) and shows whether the numbers \
line up before invoices and employer-facing statements are finalized: the statement window, the \
open mismatches and how severe they are, the last clean close and the correction lane.\n\n\
With no argument it opens the built-in demo period (created on first use in your data directory).",
    after_help = "Exit codes: 0 ok; 1 the period is not clean (status/reconcile with --check), verify found \
a problem, signoff --check found a precondition not met; 2 bad input, an unusable file or a refused action; \
3 the environment (the snapshot busy past 5 seconds, a full disk, an I/O error): nothing was saved, try again."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// A period snapshot to open (same as `closedesk open FILE`).
    file: Option<PathBuf>,
    /// Act as this login (default: $CLOSEDESK_USER, the config's `login`, then $USER),
    /// looked up in the period's roster.
    #[arg(long, global = true, value_name = "LOGIN")]
    user: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Open a period snapshot.
    #[command(after_help = "Example:\n  closedesk open northstar-2026-03.db")]
    Open {
        /// The snapshot file.
        file: PathBuf,
    },
    /// Write the built-in demo period (Northstar, 2026-03) to a file.
    #[command(
        after_help = "Examples:\n  closedesk demo                      # to ~/.local/share/closedesk/demo-2026-03.db\n  closedesk demo --out demo.db --force\n  closedesk demo --scale 1000000 --seed 7 --out big.db   # a synthetic period"
    )]
    Demo {
        /// Where to write it (default: your data directory).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an existing file (its notes and sign-offs are lost).
        #[arg(long)]
        force: bool,
        /// Instead of the Northstar demo, generate a synthetic period with N invoices
        /// (about 10 usage events each, N/50 accounts) and a handful of planted mismatches,
        /// printed with their keys and variances. Needs --out.
        #[arg(long, value_name = "N", requires = "out")]
        scale: Option<u64>,
        /// The seed of the synthetic period: the same N and seed give the same file contents.
        #[arg(long, value_name = "S", requires = "scale", default_value_t = crate::demo::scale::DEFAULT_SEED)]
        seed: u64,
    },
    /// Build a period snapshot from one CSV file per source table.
    #[command(
        after_help = "Examples:\n  closedesk import --template data/        # write header-only CSVs to start from\n  closedesk import data/ --out acme-2026-03.db\n  closedesk import --map examples/recurly.rules.toml recurly-export/ --out acme-2026-03.db\n\nThe files and their columns are described in docs/snapshot-format.md; --map rules in docs/import-map.md."
    )]
    Import {
        /// The directory holding the CSV files.
        #[arg(required_unless_present = "template")]
        dir: Option<PathBuf>,
        /// The snapshot file to create.
        #[arg(long, required_unless_present = "template")]
        out: Option<PathBuf>,
        /// Replace an existing snapshot file.
        #[arg(long)]
        force: bool,
        /// Write header-only CSV files into this directory instead of importing.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["dir", "out", "force"])]
        template: Option<PathBuf>,
        /// What DIR holds: closedesk's CSV files, or Stripe's objects as JSON (docs/import-stripe.md).
        #[arg(long, value_name = "SOURCE", value_parser = ["csv", "stripe"], default_value = "csv")]
        from: String,
        /// The period's month, YYYY-MM (with --from stripe).
        #[arg(long, value_name = "YYYY-MM", required_if_eq("from", "stripe"))]
        window: Option<String>,
        /// Read another platform's CSV exports in DIR through this rules file (docs/import-map.md).
        #[arg(long, value_name = "RULES", conflicts_with_all = ["from", "window", "template"])]
        map: Option<PathBuf>,
    },
    /// The period summary: window, status, headline figures, open mismatches.
    #[command(
        after_help = "Examples:\n  closedesk status\n  closedesk status acme-2026-03.db --json\n  closedesk status --check || echo 'not clean'"
    )]
    Status {
        /// The snapshot (default: the demo period).
        file: Option<PathBuf>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
        /// Exit 1 when the period is not clean.
        #[arg(long)]
        check: bool,
    },
    /// Run every reconciliation step; print every figure and every mismatch.
    #[command(
        after_help = "Examples:\n  closedesk reconcile\n  closedesk reconcile acme-2026-03.db --json\n  closedesk reconcile --check   # exit 1 when the period is not clean\n  closedesk reconcile --from-source acme-2026-03.db   # recompute from the raw rows\n\nThe checks read the source aggregates stored at import when they are current (rebuilt \nfirst when a source row changed since); --from-source reads every raw row instead and \nstores nothing."
    )]
    Reconcile {
        /// The snapshot (default: the demo period).
        file: Option<PathBuf>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
        /// Exit 1 when the period is not clean.
        #[arg(long)]
        check: bool,
        /// Recompute every figure from the raw source rows, not the stored aggregates.
        #[arg(long)]
        from_source: bool,
    },
    /// The close checklist: the eight items with their evidence; `set` moves one.
    #[command(after_help = workflow::CHECKLIST_HELP)]
    Checklist(workflow::ChecklistArgs),
    /// Mismatches and the correction lane: list, detail and trail, note, propose, accept,
    /// reject, waive, assign.
    #[command(after_help = workflow::MISMATCH_HELP)]
    Mismatch(workflow::MismatchArgs),
    /// Sign the period off (a lead): checks every precondition, then locks the period.
    #[command(after_help = workflow::SIGNOFF_HELP)]
    Signoff(workflow::SignoffArgs),
    /// Reopen a signed-off period (a lead, with a reason): lifts the lock.
    #[command(
        after_help = "Example:\n  closedesk reopen period.db --reason 'GL export re-sent after the credit fix'"
    )]
    Reopen(workflow::ReopenArgs),
    /// Check the file and its tamper-evident audit log. Exit 0 ok, 1 with the first problem.
    #[command(after_help = workflow::VERIFY_HELP)]
    Verify(workflow::VerifyArgs),
    /// The audit history of the period, newest first.
    #[command(
        after_help = "Examples:\n  closedesk log period.db\n  closedesk log period.db --json --limit 20"
    )]
    Log(workflow::LogArgs),
    /// Close outputs: GL journal, aged AR, mismatch register, close packet (audited).
    #[command(after_help = export::EXPORT_HELP)]
    Export(export::ExportArgs),
    /// Serve the cockpit over SSH to reviewers with no shell on this host.
    #[command(after_help = serve::SERVE_HELP)]
    Serve(serve::ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = conventions::COMPLETIONS_HELP)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = conventions::MAN_HELP)]
    Man,
}

impl Cli {
    /// `closedesk serve`: a long-running server, which must not die of SIGPIPE when a
    /// client or its stderr goes away.
    pub fn is_server(&self) -> bool {
        matches!(self.command, Some(Command::Serve(_)))
    }
}

/// A command that could not do what was asked: the message, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

/// The exit code of a user's mistake: bad input, an unusable file, a refused action.
pub const EXIT_USAGE: u8 = 2;
/// The exit code of the environment's failure: the snapshot busy past the timeout, a full
/// disk, an I/O error. Nothing was saved; the same command may succeed later.
pub const EXIT_ENVIRONMENT: u8 = 3;

impl Failure {
    /// A user mistake or an unusable file: exit code 2.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: EXIT_USAGE,
        }
    }

    /// The environment failed, not the user: exit code 3.
    pub fn environment(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: EXIT_ENVIRONMENT,
        }
    }

    /// A failure that is not about what the user typed (opening the file, who is acting, a
    /// read-only or failing file) with that input echoed, so it is not lost.
    pub fn keeping(mut self, input: Option<&str>) -> Failure {
        if let Some(input) = input.filter(|i| !i.trim().is_empty()) {
            self.message
                .push_str(&format!("; your input was: {}", inert(input)));
        }
        self
    }

    /// A failure reading the snapshot: the environment's when SQLite says so
    /// (`snapshot::is_environment`), else the file's (exit 2).
    pub fn sqlite(message: impl Into<String>, e: &rusqlite::Error) -> Failure {
        if crate::snapshot::is_environment(e) {
            Failure::environment(message)
        } else {
            Failure::usage(message)
        }
    }
}

/// Whether an error or any error behind it is the environment's: a workflow refusal that
/// says so, an SQLite error of the environment, an I/O error other than a missing file or
/// a denied permission (which are the user's to fix).
fn environmental(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(r) = e.downcast_ref::<Refusal>() {
            return r.is_environment();
        }
        if let Some(e) = e.downcast_ref::<rusqlite::Error>() {
            return crate::snapshot::is_environment(e);
        }
        if let Some(e) = e.downcast_ref::<std::io::Error>() {
            return crate::workflow::io_is_environment(e);
        }
        next = e.source();
    }
    false
}

impl<E: std::error::Error + 'static> From<E> for Failure {
    fn from(e: E) -> Failure {
        if environmental(&e) {
            Failure::environment(e.to_string())
        } else {
            Failure::usage(e.to_string())
        }
    }
}

pub(crate) type Outcome = Result<ExitCode, Failure>;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Outcome {
    let user_flag = cli.user.is_some();
    let user = match cli.command {
        // Generated from the command line alone: no log, no config file.
        Some(Command::Completions { .. } | Command::Man) => cli.user,
        _ => settle(&cli)?,
    };
    if let (Some(_), Some(file)) = (&cli.command, &cli.file) {
        return Err(Failure::usage(format!(
            "{}: give the file after the subcommand, e.g. `closedesk status FILE`",
            inert_path(file)
        )));
    }
    match (cli.command, cli.file) {
        (Some(Command::Open { file }), _) | (None, Some(file)) => open(Some(file), user),
        (None, None) => open(None, user),
        (
            Some(Command::Demo {
                out: Some(out),
                force,
                scale: Some(invoices),
                seed,
            }),
            _,
        ) => cmd_demo_scale(&out, invoices, seed, force),
        (Some(Command::Demo { out, force, .. }), _) => cmd_demo(out, force),
        (
            Some(Command::Import {
                template: Some(dir), ..
            }),
            _,
        ) => cmd_template(&dir),
        (
            Some(Command::Import {
                dir,
                out,
                force,
                from,
                window,
                map,
                ..
            }),
            _,
        ) => {
            let (Some(dir), Some(out)) = (dir, out) else {
                return Err(Failure::usage("import needs DIR and --out FILE"));
            };
            if let Some(rules) = map {
                return cmd_import_map(&rules, &dir, &out, force);
            }
            if from == "csv" && window.is_some() {
                return Err(Failure::usage(
                    "import: --window is for --from stripe (period.csv names the CSV window)",
                ));
            }
            cmd_import(&dir, &out, force, window.as_deref())
        }
        (Some(Command::Status { file, json, check }), _) => cmd_status(file, json, check),
        (
            Some(Command::Reconcile {
                file,
                json,
                check,
                from_source,
            }),
            _,
        ) => cmd_reconcile(file, json, check, from_source),
        (Some(Command::Checklist(args)), _) => workflow::checklist(args, user.as_deref()),
        (Some(Command::Mismatch(args)), _) => workflow::mismatch(args, user.as_deref()),
        (Some(Command::Signoff(args)), _) => workflow::signoff(args, user.as_deref()),
        (Some(Command::Reopen(args)), _) => workflow::reopen(args, user.as_deref()),
        (Some(Command::Verify(args)), _) => workflow::verify(args),
        (Some(Command::Log(args)), _) => workflow::log(args),
        (Some(Command::Export(args)), _) => export::export(args, user.as_deref()),
        (Some(Command::Serve(_)), _) if user_flag => Err(Failure::usage(
            "serve: --user does not apply; each connection acts as the login its key maps to",
        )),
        (Some(Command::Serve(args)), _) => serve::serve(args),
        (Some(Command::Completions { shell }), _) => conventions::completions(shell),
        (Some(Command::Man), _) => conventions::man(),
    }
}

/// The log (opt-in), then the config file, at this one place: flags > environment > config
/// > defaults (docs/conventions.md). Returns the login to act as (`None`: `$USER`).
fn settle(cli: &Cli) -> Result<Option<String>, Failure> {
    let log = crate::logging::init().map_err(Failure::usage)?;
    let config = crate::config::load().map_err(Failure::usage)?;
    tracing::info!(
        command = ?cli.command,
        log = ?log,
        config = ?config.file,
        "closedesk {}",
        env!("CARGO_PKG_VERSION")
    );
    let _ = SETTINGS.set(Settings {
        snapshot: config.snapshot(),
        theme: config.theme().map_err(Failure::usage)?,
    });
    Ok(config.login(cli.user.clone()))
}

/// Today, or `CLOSEDESK_TODAY` (YYYY-MM-DD) so tests and reproductions can pin "days ago".
pub fn today() -> NaiveDate {
    std::env::var("CLOSEDESK_TODAY")
        .ok()
        .and_then(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok())
        .unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// What the environment and the config file settle for the whole run ([`run`] sets it).
struct Settings {
    /// The snapshot opened when no FILE is given (`None`: the demo period).
    snapshot: Option<PathBuf>,
    theme: crate::config::ThemeChoice,
}

static SETTINGS: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();

/// The given snapshot, else `CLOSEDESK_SNAPSHOT` or the config's `snapshot`, else the demo
/// period (created on first use).
pub(crate) fn open_snapshot(file: Option<PathBuf>) -> Result<Snapshot, Failure> {
    let path = snapshot_path(file)?;
    tracing::debug!(path = %path.display(), "open snapshot");
    Ok(Snapshot::open(&path)?)
}

/// [`open_snapshot`] for a command that only reads: a read-only file still opens.
pub(crate) fn open_snapshot_to_read(file: Option<PathBuf>) -> Result<Snapshot, Failure> {
    let path = snapshot_path(file)?;
    tracing::debug!(path = %path.display(), "open snapshot to read");
    Ok(Snapshot::open_to_read(&path)?)
}

/// The snapshot a command works on: FILE, else the configured one, else the demo.
fn snapshot_path(file: Option<PathBuf>) -> Result<PathBuf, Failure> {
    let configured = || SETTINGS.get().and_then(|s| s.snapshot.clone());
    match file.or_else(configured) {
        Some(path) => Ok(path),
        None => ensure_demo(),
    }
}

fn ensure_demo() -> Result<PathBuf, Failure> {
    let path = demo::default_path().ok_or_else(|| {
        Failure::usage("cannot find a data directory: set HOME or XDG_DATA_HOME, or give a FILE")
    })?;
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::usage(format!("{}: cannot create directory: {e}", inert_path(dir))))?;
        }
        demo::write(&path, false)?;
        eprintln!("closedesk: created the demo period at {}", inert_path(&path));
    }
    Ok(path)
}

/// Opens the cockpit on a snapshot. The file is checked first, so a refusal is printed
/// (exit 2) before the terminal is taken over. Without a terminal, prints the summary.
fn open(file: Option<PathBuf>, user: Option<String>) -> Outcome {
    use std::io::IsTerminal;
    let snapshot = open_snapshot(file)?;
    if !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
        let summary = summarize(&snapshot, &stored_overview(&snapshot)?)?.0;
        print_summary(
            &summary,
            &snapshot,
            lock_lifted(&snapshot).as_deref(),
            changed_outside(&snapshot).as_deref(),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let path = snapshot.path().to_path_buf();
    drop(snapshot);
    let opts = crate::tui::Options {
        path,
        user,
        today: today(),
        poll: std::time::Duration::from_millis(500),
        serve_key: None,
        packets: crate::tui::data::Packets::Beside,
    };
    let theme = SETTINGS.get().map(|s| s.theme).unwrap_or_default();
    crate::tui::run(opts, theme).map_err(|e| Failure {
        message: format!("the cockpit stopped: {}", inert(&format!("{e:#}"))),
        code: 2,
    })?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_demo(out: Option<PathBuf>, force: bool) -> Outcome {
    let out = match out {
        Some(out) => out,
        None => {
            let path = demo::default_path()
                .ok_or_else(|| Failure::usage("cannot find a data directory: pass --out FILE"))?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Failure::usage(format!("{}: cannot create directory: {e}", inert_path(dir)))
                })?;
            }
            path
        }
    };
    let data = demo::write(&out, force)?;
    println!(
        "Wrote the demo period {} ({}) to {}",
        inert(&data.period.id),
        inert(&data.period.entity),
        inert_path(&out)
    );
    Ok(ExitCode::SUCCESS)
}

fn cmd_demo_scale(out: &Path, invoices: u64, seed: u64, force: bool) -> Outcome {
    let started = std::time::Instant::now();
    let generated = crate::demo::scale::write(out, invoices, seed, force)?;
    let c = &generated.counts;
    println!(
        "Wrote a synthetic period of {} invoices (seed {seed}) to {} in {:.1} s",
        c.invoices,
        inert_path(out),
        started.elapsed().as_secs_f64()
    );
    println!(
        "  {} accounts, {} employer programs, {} invoice lines, {} payments, {} credits, {} disbursements, \
         {} ledger rows, {} usage events, {} export lines",
        c.accounts,
        c.employer_programs,
        c.invoice_lines,
        c.payments,
        c.credits,
        c.disbursements,
        c.ledger,
        c.usage_events,
        c.export_lines
    );
    println!("Planted mismatches (reconcile finds exactly these):");
    let width = generated.planted.iter().map(|p| p.key.len()).max().unwrap_or(3);
    println!(
        "  {:<width$} {:>14} {:>14} {:>10}",
        "key", "expected", "actual", "variance"
    );
    for p in &generated.planted {
        println!(
            "  {:<width$} {:>14} {:>14} {:>10}  {}",
            inert(&p.key),
            p.expected.grouped(),
            p.actual.grouped(),
            p.variance().grouped(),
            p.story
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_template(dir: &Path) -> Outcome {
    let written = import::write_templates(dir)?;
    for path in &written {
        println!("{}", inert_path(path));
    }
    println!(
        "Wrote {} header-only CSV files; see docs/snapshot-format.md for the columns.",
        written.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn cmd_import(dir: &Path, out: &Path, force: bool, stripe_window: Option<&str>) -> Outcome {
    let imported = match stripe_window {
        Some(window) => import::stripe::import_dir(dir, window, out, force),
        None => import::import_dir(dir, out, force),
    };
    let data = imported.map_err(|e| match e {
        import::ImportError::Problems { .. } => {
            Failure::usage(format!("nothing was imported; fix these and run it again:\n{e}"))
        }
        other => Failure::from(other),
    })?;
    let rows = data.row_counts();
    let rows_of = |table: &str| rows.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n);
    let counted = |table: &str, one: &str, many: &str| {
        let n = rows_of(table);
        format!("{} {}", grouped_count(n), if n == 1 { one } else { many })
    };
    println!(
        "Imported period {} ({}): {}, {}, {}, {} → {}",
        inert(&data.period.id),
        inert(&data.period.entity),
        counted("accounts", "account", "accounts"),
        counted("invoices", "invoice", "invoices"),
        counted("ledger", "ledger row", "ledger rows"),
        counted("usage_events", "usage event", "usage events"),
        inert_path(out)
    );
    // Every row of every source table, as stored in the snapshot's source_counts (`verify`
    // compares): named by the CSV file it came from, or by its table when built from Stripe's
    // objects (no such file exists then: the table and what it was made from).
    let name = |table: &str| match stripe_window {
        Some(_) => format!("{table:<20} {}", import::stripe::file_of(table)),
        None => data.file_of(table),
    };
    let mut counts: Vec<(String, String)> = rows
        .iter()
        .map(|(table, rows)| (name(table), grouped_count(*rows)))
        .collect();
    // Pre-aggregated usage (docs/usage-parquet.md).
    if let Some(rows) = data.usage_daily_rows() {
        counts.push(("usage_daily.parquet".to_string(), grouped_count(rows)));
        counts.push(("usage_control.parquet".to_string(), grouped_count(1)));
    }
    let name_width = counts.iter().map(|(file, _)| file.len()).max().unwrap_or(0);
    let rows_width = counts.iter().map(|(_, rows)| rows.len()).max().unwrap_or(0);
    for (file, rows) in &counts {
        let unit = if rows == "1" { "row" } else { "rows" };
        match stripe_window {
            // The description is long: the count first.
            Some(_) => println!("  {rows:>rows_width$} {unit:<4}  {}", inert(file)),
            None => println!("  {file:<name_width$}  {rows:>rows_width$} {unit}"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_import_map(rules: &Path, dir: &Path, out: &Path, force: bool) -> Outcome {
    let mapped = import::map::import_dir(rules, dir, out, force).map_err(|e| match e {
        import::ImportError::Problems { .. } => {
            Failure::usage(format!("nothing was imported; fix these and run it again:\n{e}"))
        }
        other => Failure::from(other),
    })?;
    let period = &mapped.imported.period;
    println!(
        "Imported period {} ({}) → {}",
        inert(&period.id),
        inert(&period.entity),
        inert_path(out)
    );
    // Each table, its row count as stored in source_counts, and what it was made from.
    for ((table, rows), (_, from)) in mapped.imported.row_counts().iter().zip(&mapped.sources) {
        let unit = if *rows == 1 { "row" } else { "rows" };
        println!(
            "  {table:<20} {:>7} {unit:<4}  {}",
            grouped_count(*rows),
            inert(from)
        );
    }
    // What the rules' rows and skip conditions left out, by value: a row left out by
    // mistake (a status the rule does not list) shows here, not only in a count.
    if !mapped.left_out.is_empty() {
        println!("Rows left out by a rows or skip condition (check that none should have counted):");
        for line in &mapped.left_out {
            println!("  {}", inert(line));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A count with thousands separators: `1,234`.
fn grouped_count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The stored overview when it is current, else the engine's (stored for next time): the
/// figures of `status` and of `open` without a terminal.
fn stored_overview(snapshot: &Snapshot) -> Result<Overview, Failure> {
    Ok(reconcile::stored_or_run(snapshot)
        .map_err(|e| cannot_read(snapshot, e))?
        .0)
}

/// A failure reading the snapshot, naming the file (exit 3 when the environment's).
pub(crate) fn cannot_read(snapshot: &Snapshot, e: rusqlite::Error) -> Failure {
    Failure::sqlite(
        format!(
            "{}: cannot read the snapshot: {}",
            inert_path(snapshot.path()),
            crate::snapshot::explain(&e)
        ),
        &e,
    )
}

/// Summarizes; also returns which mismatches are open.
fn summarize(snapshot: &Snapshot, overview: &Overview) -> Result<(Summary, Vec<bool>), Failure> {
    let views: HashMap<String, MismatchView> = mismatches::views(snapshot, &overview.mismatches)?
        .into_iter()
        .map(|v| (v.key.clone(), v))
        .collect();
    // Open: neither resolved nor waived; what remains open is the variance after accepted
    // corrections (docs/workflow.md).
    let open_variance = |m: &Mismatch| {
        let view = views.get(&m.key)?;
        view.is_open().then_some(view.corrected_variance)
    };
    let progress = Checklist::of(
        &snapshot
            .workflow()
            .checklist()
            .map_err(|e| cannot_read(snapshot, e))?,
    );
    let summary = Summary::new(overview, open_variance, progress, today());
    let open = overview
        .mismatches
        .iter()
        .map(|m| open_variance(m).is_some())
        .collect();
    Ok((summary, open))
}

/// Why the lock was lifted outside closedesk, if it was (`status` says it and `--check`
/// fails); an unreadable sign-off is left to the commands that need it.
fn lock_lifted(snapshot: &Snapshot) -> Option<String> {
    crate::workflow::signoff::lock_lifted_outside(&snapshot.workflow())
        .ok()
        .flatten()
}

/// Why the workflow tables are not what the audit log made, if they are not (`status` says
/// it and `--check` fails); an unreadable log is left to `verify`.
fn changed_outside(snapshot: &Snapshot) -> Option<String> {
    crate::workflow::audit::changed_outside(&snapshot.workflow())
        .ok()
        .flatten()
}

/// `alarm`: the lock was lifted, or workflow rows changed, outside closedesk.
fn exit_for(summary: &Summary, check: bool, alarm: bool) -> ExitCode {
    if check && (summary.status == "needs_review" || alarm) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The summary from the stored rows when they are current: the open mismatches counted
/// and totalled by SQL, no mismatch read whole; `None` when there are none to read so.
fn summarize_stored(snapshot: &Snapshot) -> Result<Option<Summary>, Failure> {
    let Some((overview, open)) =
        reconcile::stored::stored_counts(snapshot).map_err(|e| cannot_read(snapshot, e))?
    else {
        return Ok(None);
    };
    let progress = Checklist::of(
        &snapshot
            .workflow()
            .checklist()
            .map_err(|e| cannot_read(snapshot, e))?,
    );
    let (counts, variance) = SeverityCounts::stored(&open);
    Ok(Some(Summary::counted(
        &overview,
        counts,
        variance,
        progress,
        today(),
    )))
}

fn cmd_status(file: Option<PathBuf>, json: bool, check: bool) -> Outcome {
    let snapshot = open_snapshot_to_read(file)?;
    let summary = match summarize_stored(&snapshot)? {
        Some(summary) => summary,
        None => summarize(&snapshot, &stored_overview(&snapshot)?)?.0,
    };
    let lifted = lock_lifted(&snapshot);
    let changed = changed_outside(&snapshot);
    if json {
        print_json(&summary)?;
    } else {
        print_summary(&summary, &snapshot, lifted.as_deref(), changed.as_deref());
    }
    Ok(exit_for(&summary, check, lifted.is_some() || changed.is_some()))
}

fn cmd_reconcile(file: Option<PathBuf>, json: bool, check: bool, from_source: bool) -> Outcome {
    let snapshot = open_snapshot_to_read(file)?;
    // The engine, run now: the command that proves the figures (and refreshes the stored
    // overview) — on the source aggregates, rebuilt first if a source row changed, or with
    // --from-source on the raw rows (stores nothing).
    let recon = if from_source {
        reconcile::run_from_source(&snapshot)
    } else {
        reconcile::refresh_aggregates(&snapshot);
        reconcile::run_and_store(&snapshot)
    }
    .map_err(|e| cannot_read(&snapshot, e))?;
    let (summary, open) = summarize(&snapshot, &recon.overview())?;
    let lifted = lock_lifted(&snapshot);
    let changed = changed_outside(&snapshot);
    if json {
        let document = reconcile_json::document(&summary, &recon)
            .map_err(|e| Failure::usage(format!("cannot write JSON: {e}")))?;
        print_json(&document)?;
    } else {
        print_summary(&summary, &snapshot, lifted.as_deref(), changed.as_deref());
        report::print_steps(&recon);
        println!();
        print_mismatches(&recon.mismatches, &open);
    }
    Ok(exit_for(&summary, check, lifted.is_some() || changed.is_some()))
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = inert_json(value).map_err(|e| Failure::usage(format!("cannot write JSON: {e}")))?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (e.g. `| head`) is not an error worth a message.
    let _ = writeln!(out, "{text}");
    Ok(())
}

/// `lifted`: why the lock was lifted outside closedesk, when it was ([`lock_lifted`]);
/// `changed`: which workflow row was changed outside it ([`changed_outside`]).
fn print_summary(s: &Summary, snapshot: &Snapshot, lifted: Option<&str>, changed: Option<&str>) {
    let row = |label: &str, value: String| println!("{label:<22}{value}");
    println!(
        "{} — period {} ({})",
        inert(&s.entity),
        inert(&s.period),
        inert(&s.currency)
    );
    row(
        "Statement window",
        format!("{} .. {}", s.window.start, s.window.end),
    );
    if let Some(exported) = s.exported_on {
        row(
            "Snapshot exported",
            format!("{exported} (figures as of window end; later activity shown, not counted)"),
        );
    }
    let m = &s.mismatches;
    let count = match m.open {
        0 => "no open mismatches".to_string(),
        1 => "1 open mismatch".to_string(),
        n => format!("{n} open mismatches"),
    };
    row(
        "Status",
        format!(
            "{} — {count} ({} critical, {} high, {} medium, {} low)",
            s.status_words(),
            m.critical,
            m.high,
            m.medium,
            m.low
        ),
    );
    if let Some(why) = lifted {
        row("LOCK LIFTED", why.to_string());
    }
    if let Some(why) = changed {
        row(
            "CHANGED OUTSIDE",
            format!("{why}; a sign-off is refused until it is put right (closedesk verify names it)"),
        );
    }
    row("Open variance", s.variance_usd.grouped());
    row("Usage billed", s.usage_billed_usd.grouped());
    row("Program fees billed", s.program_fees_billed_usd.grouped());
    row("Posted receivables", s.posted_receivables_usd.grouped());
    row("Disbursed", s.disbursed_usd.grouped());
    row("Closing AR", s.closing_ar_usd.grouped());
    row("Unapplied", s.unapplied_usd.grouped());
    row("Last clean close", s.last_clean_words());
    row("Checklist", s.checklist.words(" — "));
    row("Close owner", inert(&s.owner));
    // Whether the roster has keys, so every action is signed (docs/workflow.md).
    let identities = match signing::is_keyed(&snapshot.workflow()) {
        Ok(keyed) => signing::describe(keyed).to_string(),
        Err(e) => format!("cannot read the roster: {e}"),
    };
    row("Identities", identities);
    row("File", inert_path(snapshot.path()));
}

fn print_mismatches(mismatches: &[Mismatch], open: &[bool]) {
    if mismatches.is_empty() {
        println!("No mismatches: every check ties.");
        return;
    }
    let keys: Vec<String> = mismatches
        .iter()
        .zip(open)
        .map(|(m, is_open)| {
            if *is_open {
                inert(&m.key)
            } else {
                format!("{} (closed)", inert(&m.key))
            }
        })
        .collect();
    let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0).max(3);
    println!(
        "{:<9} {:<width$} {:>12} {:>12} {:>10}  owner",
        "severity", "key", "expected", "actual", "variance"
    );
    for (m, key) in mismatches.iter().zip(&keys) {
        println!(
            "{:<9} {key:<width$} {:>12} {:>12} {:>10}  {}",
            m.severity.as_str(),
            m.expected.grouped(),
            m.actual.grouped(),
            m.variance.grouped(),
            inert(&m.owner)
        );
        println!("          {}", inert(&m.title));
        println!("          next: {}", inert(&m.next_action));
    }
}

#[cfg(test)]
mod tests {
    use super::grouped_count;

    #[test]
    fn counts_are_grouped_by_thousands() {
        for (n, shown) in [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1_000, "1,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(grouped_count(n), shown);
        }
    }
}
