//! `closedesk export`: the close outputs (GL journal, aged AR, mismatch register, close
//! packet). The library does the work (`crate::export::write`); this parses and prints.
//!
//! Owns `export`'s arguments and printing; must not build an output itself.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{open_snapshot, print_json, Failure, Outcome};
use crate::export::{self, ExportError, Format, Kind, Naming, Request, Target};
use crate::text::{inert, inert_path};
use crate::workflow::Actor;

pub const EXPORT_HELP: &str = "Kinds and formats:\n  gl          csv (default), json   summarized GL journal; --by-account splits it per customer account\n  aging       csv (default), json   aged AR per account with unapplied payments and credits\n  mismatches  csv (default), json   the mismatch register\n  packet      md (default), json, pdf   the close packet (pdf: for the archive)\n  workbook    xlsx                  the close workbook: summary, every step, register, aged AR, GL, checklist, trail\n\nExamples:\n  closedesk export period.db --kind packet --out close-packet.md\n  closedesk export period.db --kind gl --format json --out - | jq .total_debit\n\nEvery export is recorded in the audit log; re-running on a snapshot in the same state gives the same bytes (no time unless --stamp). An existing file is not replaced without --force (exit 2), and a period snapshot never. docs/outputs.md describes each output.";

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The snapshot (default: the demo period).
    file: Option<PathBuf>,
    /// gl, aging, mismatches, packet or workbook.
    #[arg(long)]
    kind: String,
    /// csv or json (gl, aging, mismatches); md, json or pdf (packet); xlsx (workbook).
    #[arg(long)]
    format: Option<String>,
    /// Where to write it; `-` for standard output (default: KIND-PERIOD.EXT here; the
    /// packet beside the snapshot as close-packet-PERIOD-draft|signed-HEAD.EXT).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing file.
    #[arg(long)]
    force: bool,
    /// GL: split the entries the engine has per account by customer account.
    #[arg(long)]
    by_account: bool,
    /// Add the time of the export to the metadata (the output then differs on each run).
    #[arg(long)]
    stamp: bool,
    /// Print what was written as JSON.
    #[arg(long)]
    json: bool,
}

pub fn export(args: ExportArgs, user: Option<&str>) -> Outcome {
    let kind = Kind::parse(&args.kind).ok_or_else(|| {
        Failure::usage(format!(
            "--kind '{}' is not one of gl, aging, mismatches, packet, workbook",
            inert(&args.kind)
        ))
    })?;
    let format = args
        .format
        .as_deref()
        .map(|f| {
            Format::parse(f).ok_or_else(|| {
                Failure::usage(format!(
                    "--format '{}' is not one of csv, json, md, xlsx, pdf",
                    inert(f)
                ))
            })
        })
        .transpose()?;
    if args.by_account && kind != Kind::Gl {
        return Err(Failure::usage("--by-account applies to --kind gl only"));
    }
    let request = Request {
        kind,
        format,
        by_account: args.by_account,
        stamp: args.stamp,
    };
    let format = request.format().map_err(|e| Failure::usage(e.to_string()))?;
    let snapshot = open_snapshot(args.file)?;
    let target = match args.out {
        Some(p) if p.as_os_str() == "-" => Target::Stdout,
        Some(p) => Target::File(p),
        // The packet: beside the snapshot, named as the cockpit names it.
        None if kind == Kind::Packet => Target::Named(Naming {
            dir: snapshot.path().parent().map(PathBuf::from).unwrap_or_default(),
            login: None,
            max: None,
        }),
        None => {
            let period = snapshot.period().map_err(|e| {
                Failure::usage(format!("cannot read the snapshot: {}", inert(&e.to_string())))
            })?;
            let safe: String = period
                .id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            // The GL by account is another journal than the entity's: another default name.
            let by = if args.by_account { "-by-account" } else { "" };
            Target::File(PathBuf::from(format!("{kind}{by}-{safe}.{format}")))
        }
    };
    if target == Target::Stdout
        && matches!(format, Format::Xlsx | Format::Pdf)
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
    {
        return Err(Failure::usage(
            "the workbook and the PDF are binary: give --out FILE, or redirect standard output; nothing was written",
        ));
    }
    if target == Target::Stdout && !stdout_is_open() {
        return Err(Failure::usage(
            "--out -: standard output is not open (closed with >&-?): redirect it to a file or a \
             pipe, or give --out FILE; nothing was written or recorded",
        ));
    }
    let actor = Actor::resolve(&snapshot, user).map_err(Failure::from)?;
    let written = export::write(&snapshot, &actor, &request, &target, args.force).map_err(|e| match e {
        ExportError::Usage(m) | ExportError::Io(m) => Failure::usage(m),
        ExportError::Environment(m) => Failure::environment(m),
        ExportError::Refused(r) => Failure::from(r),
    })?;
    match &written.path {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&written.stdout)
                .and_then(|_| out.flush())
                .map_err(|e| {
                    let message = format!(
                        "cannot write to standard output: {e}; the export was recorded (audit seq {}) but \
                         not delivered in full",
                        written.receipt.seq
                    );
                    if crate::workflow::io_is_environment(&e) {
                        Failure::environment(message)
                    } else {
                        Failure::usage(message)
                    }
                })?;
        }
        Some(_) if args.json => print_json(&written).map(|_| ())?,
        Some(path) => println!(
            "wrote {} ({kind}, {format}, {} rows, sha256 {}); recorded at audit seq {}",
            inert_path(path),
            written.rows,
            written.digest,
            written.receipt.seq
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether standard output is open. The Rust runtime opens `/dev/null` in place of a
/// standard stream that was closed (`>&-`) before `main`, so a write to it succeeds and
/// an export written there would be recorded though nobody received it: the binary
/// notes at start-up whether it was closed ([`note_stdout_closed`]), and a descriptor
/// that cannot be duplicated is not open either.
fn stdout_is_open() -> bool {
    use std::os::fd::AsFd;
    !STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
        && std::io::stdout().as_fd().try_clone_to_owned().is_ok()
}

static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Records that standard output was closed when the process started (called by the
/// binary before the Rust runtime replaced it with `/dev/null`).
pub fn note_stdout_closed() {
    STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
}
