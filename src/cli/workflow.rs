//! The workflow subcommands: `checklist`, `mismatch`, `signoff`, `reopen`, `verify`, `log`.
//! Each calls the `crate::workflow` library and prints. A refused action is exit 2 with its
//! message on stderr (with `--json`, also `{"refused": KIND, "message": …}` on stdout); a
//! failed `verify` (or `signoff --check` with a precondition not met) is exit 1. Every string
//! from data is printed through `inert`.
//!
//! Owns the workflow commands' arguments and printing; must not decide an action (the
//! library refuses or does it) nor print data without `inert`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::json;

use super::{
    cannot_read, open_snapshot, open_snapshot_to_read, print_json, Failure, Outcome, EXIT_ENVIRONMENT,
};
use crate::money::Money;
use crate::reconcile::stored::{self, Current};
use crate::snapshot::model::{CorrectionStatus, ItemStatus, Lane, MismatchStatus, Severity, Side};
use crate::snapshot::workflow::AnnotationRow;
use crate::snapshot::Snapshot;
use crate::text::{inert, inert_path};
use crate::workflow::audit::{self, Entry};
use crate::workflow::checklist::{self as items, Item};
use crate::workflow::mismatches::{self, Detail, MismatchView, Proposal};
use crate::workflow::signoff as signing;
use crate::workflow::{Actor, Receipt, Refusal};

pub const CHECKLIST_HELP: &str = "Examples:
  closedesk checklist period.db
  closedesk checklist period.db set 1 in_progress --user tlin
  closedesk checklist period.db set 1 done --note 'no drafts, no unprocessed usage' --if-version 1

Statuses: pending, in_progress, done, blocked. An item cannot be marked done while a critical or
high mismatch in its lanes is open. Any roster member (operator, reviewer, lead) may move items.";

pub const MISMATCH_HELP: &str = "Examples:
  closedesk mismatch period.db --severity high --status open
  closedesk mismatch period.db exports:GL-2026-03:ar-total
  closedesk mismatch period.db exports:GL-2026-03:ar-total note 'asked GL team for the batch log'
  closedesk mismatch period.db KEY propose --amount 9.75 --side actual --reason 'credit CR-0010 netted in GL' --reference CR-0010
  closedesk mismatch period.db KEY accept 7 --user jokafor
  closedesk mismatch period.db KEY reject 7 --reason 'the credit is unapplied, fix the export'
  closedesk mismatch period.db KEY reverse 7 --reason 'CR-0010 was netted twice; the GL line is right'
  closedesk mismatch period.db KEY waive --reason 'below materiality, rate fixed from April'
  closedesk mismatch period.db KEY assign gl-team@northstar.example

Operators note, propose and assign; reviewers and leads also accept, reject, reverse and waive.
Nobody accepts their own correction. A waiver, and the reversal of an accepted correction, need a
reason of at least 20 characters; a reversed correction cannot be accepted again.";

pub const SIGNOFF_HELP: &str = "Examples:
  closedesk signoff period.db --check            # list the preconditions, sign nothing
  closedesk signoff period.db --user mhale --comment 'March close, reviewed with the GL team'

Preconditions: the period is open; all eight checklist items done; no mismatch open or
in_correction; the signer is a lead who marked at most 4 of the 8 items done (four-eyes).";

pub const VERIFY_HELP: &str =
    "Checks: application_id and schema version; PRAGMA integrity_check; every lock and
append-only trigger present and unchanged; audit sequence gap-free from 1; each hash recomputed
and linked to the one before; the head and length recorded at each sign-off; replaying the log
gives the current workflow state; while signed off, the figures still give the signed digest.

Exit codes: 0 ok; 1 a check failed (the first bad sequence number and what is wrong are named);
2 the file cannot be opened.

Examples:
  closedesk verify acme-2026-03.db
  closedesk verify acme-2026-03.db --expect-head 4655e1aa8b40   # the head on the sign-off receipt
  closedesk verify acme-2026-03.db --json | jq .ok";

#[derive(Args, Debug)]
pub struct ChecklistArgs {
    /// The snapshot (default: the demo period).
    file: Option<PathBuf>,
    /// Print JSON for scripts.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    action: Option<ChecklistAction>,
}

#[derive(Subcommand, Debug)]
enum ChecklistAction {
    /// Move an item to pending, in_progress, done or blocked.
    Set {
        /// The item number, 1 to 8.
        item: String,
        /// pending, in_progress, done or blocked.
        status: String,
        /// A note to keep with the move.
        #[arg(long, allow_hyphen_values = true)]
        note: Option<String>,
        /// Refuse if the item changed since you read this version (shown by `checklist`).
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
    },
    /// Add a note to an item without moving it (it keeps its status and who moved it).
    Note {
        /// The item number, 1 to 8.
        item: String,
        /// The note (may begin with `-`).
        #[arg(allow_hyphen_values = true)]
        text: String,
    },
}

#[derive(Args, Debug)]
pub struct MismatchArgs {
    /// The snapshot (default: the demo period). May be left out when a KEY follows.
    file: Option<String>,
    /// A mismatch key (`lane:subject:check`): show its detail and trail, or act on it.
    key: Option<String>,
    /// Only this lane.
    #[arg(long)]
    lane: Option<String>,
    /// Only this severity: critical, high, medium or low.
    #[arg(long)]
    severity: Option<String>,
    /// Only this status: open, in_correction, resolved or waived.
    #[arg(long)]
    status: Option<String>,
    /// Only mismatches owned by this owner.
    #[arg(long)]
    owner: Option<String>,
    /// With KEY: the source rows behind its expected and actual figure with their dates,
    /// accounts and amounts, their sums, and the comparison that shows the row that differs:
    /// an export's lines by account, a statement's lines against the fees they present, a
    /// usage line's billed amount against the rated events on it.
    #[arg(long)]
    rows: bool,
    /// Print JSON for scripts.
    #[arg(long, global = true)]
    json: bool,
    /// Refuse if the mismatch changed since you read this version (shown in its detail).
    #[arg(long, global = true, value_name = "N")]
    if_version: Option<i64>,
    #[command(subcommand)]
    action: Option<MismatchAction>,
}

#[derive(Subcommand, Debug)]
enum MismatchAction {
    /// Add a note to the mismatch's trail.
    Note {
        /// The note (may begin with `-`: `note "-9.75 is the GL difference"`).
        #[arg(allow_hyphen_values = true)]
        text: String,
    },
    /// Propose a correction: an amount added to the expected or actual figure.
    Propose {
        /// The amount to add (negative to reduce), e.g. 9.75 or -4.52.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Which figure it adjusts: expected or actual.
        #[arg(long)]
        side: String,
        /// Why.
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
        /// A reference: ticket, document, source row.
        #[arg(long, allow_hyphen_values = true)]
        reference: Option<String>,
    },
    /// Accept a proposed correction (a reviewer or lead other than its author).
    Accept {
        /// The correction's number (default: the only one awaiting a decision).
        id: Option<String>,
        /// A note to keep with the decision.
        #[arg(long, allow_hyphen_values = true)]
        note: Option<String>,
    },
    /// Reject (send back) a proposed correction; it stays in the trail.
    Reject {
        /// The correction's number (default: the only one awaiting a decision).
        id: Option<String>,
        /// Why.
        #[arg(long, allow_hyphen_values = true)]
        reason: Option<String>,
    },
    /// Reverse an accepted correction (a reviewer or lead): it no longer counts; it stays in
    /// the trail as reversed.
    Reverse {
        /// The accepted correction's number.
        id: String,
        /// Why it is taken back (at least 20 characters).
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
    },
    /// Waive the mismatch (a reviewer or lead) with a reason of at least 20 characters.
    Waive {
        /// Why it may stay unresolved.
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
    },
    /// Assign an owner, overriding the lane owner.
    Assign {
        /// The new owner.
        owner: String,
    },
}

impl MismatchAction {
    /// What the user typed for it (the note, reason or owner), to echo back when the file
    /// was busy and nothing was saved.
    fn typed(&self) -> Option<&str> {
        match self {
            MismatchAction::Note { text } => Some(text),
            MismatchAction::Propose { reason, .. }
            | MismatchAction::Reverse { reason, .. }
            | MismatchAction::Waive { reason } => Some(reason),
            MismatchAction::Accept { note, .. } => note.as_deref(),
            MismatchAction::Reject { reason, .. } => reason.as_deref(),
            MismatchAction::Assign { owner } => Some(owner),
        }
    }
}

#[derive(Args, Debug)]
pub struct SignoffArgs {
    /// The snapshot (default: the demo period).
    file: Option<PathBuf>,
    /// A comment kept with the sign-off.
    #[arg(long, allow_hyphen_values = true)]
    comment: Option<String>,
    /// Only list the preconditions and their state; exit 1 when one is not met.
    #[arg(long)]
    check: bool,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct ReopenArgs {
    /// The snapshot (default: the demo period).
    file: Option<PathBuf>,
    /// Why the period is reopened (at least 20 characters).
    #[arg(long, allow_hyphen_values = true)]
    reason: String,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The snapshot (default: the demo period).
    file: Option<PathBuf>,
    /// A head hash kept outside the file — from a sign-off receipt or an export's header
    /// (the full hash or its first 12+ hex digits): the log must contain it, so a log
    /// rewritten with recomputed hashes, or truncated before it, fails.
    #[arg(long, value_name = "HASH")]
    expect_head: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct LogArgs {
    /// The snapshot (default: the demo period).
    file: Option<PathBuf>,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
    /// Only the newest N rows.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
}

// Shared ----------------------------------------------------------------------------------------

/// A refusal as a failure (exit 2); with `--json` it is also printed on stdout.
fn refused(refusal: Refusal, json: bool) -> Failure {
    let message = refusal.to_string();
    if json {
        let mut value = json!({ "refused": refusal.kind(), "message": message });
        if let Refusal::SignOff(preconditions) = &refusal {
            value["preconditions"] = json!(preconditions);
        }
        // Best effort: the message on stderr is what counts.
        let _ = print_json(&value);
    }
    if refusal.is_environment() {
        Failure::environment(message)
    } else {
        Failure::usage(message)
    }
}

/// [`refused`], naming the file when the refusal is the file's own (storage).
fn refused_on(snapshot: &Snapshot, refusal: Refusal, json: bool) -> Failure {
    let mut failure = refused(refusal, json);
    if failure.message.starts_with("cannot use the snapshot") {
        failure.message = format!("{}: {}", inert_path(snapshot.path()), failure.message);
    }
    failure
}

/// [`refused_on`] for an action with text the user typed (a note, a reason, a comment): a
/// refusal that is the file's or the environment's, not the input's (read-only, an I/O
/// error, a login not on the roster, the lock, a conflict with another user's change),
/// gives the input back, so it is not lost. (A busy refusal carries it already.)
fn refused_keeping(snapshot: &Snapshot, refusal: Refusal, json: bool, typed: Option<&str>) -> Failure {
    let not_the_input = matches!(
        refusal,
        Refusal::Storage(_)
            | Refusal::Environment(_)
            | Refusal::ReadOnly { .. }
            | Refusal::Locked { .. }
            | Refusal::Conflict { .. }
    );
    let failure = refused_on(snapshot, refusal, json);
    if not_the_input {
        failure.keeping(typed)
    } else {
        failure
    }
}

/// The figures an action works with: the stored result when it is current, else the
/// engine's (stored for next time). The write checks inside its transaction that the source
/// rows did not change since (docs/reconciliation.md, "Stored results").
fn figures_now(snapshot: &Snapshot) -> Result<Current, Failure> {
    stored::current(snapshot).map_err(|e| cannot_read(snapshot, e))
}

fn open_as(file: Option<PathBuf>, user: Option<&str>, json: bool) -> Result<(Snapshot, Actor), Failure> {
    let snapshot = open_snapshot(file).inspect_err(|f| {
        if json {
            // As a refusal of the action would be (best effort: stderr is what counts).
            let kind = if f.code == EXIT_ENVIRONMENT {
                "environment"
            } else {
                "storage"
            };
            let _ = print_json(&json!({ "refused": kind, "message": f.message }));
        }
    })?;
    let actor = Actor::resolve(&snapshot, user).map_err(|r| refused(r, json))?;
    Ok((snapshot, actor))
}

fn acting(actor: &Actor) -> String {
    inert(&actor.describe())
}

fn parse_word<T>(
    what: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    choices: String,
) -> Result<T, Failure> {
    parse(text).ok_or_else(|| Failure::usage(format!("{what} '{}' is not one of {choices}", inert(text))))
}

fn parse_id(text: Option<&str>) -> Result<Option<i64>, Failure> {
    text.map(|t| {
        t.trim_start_matches('#')
            .parse::<i64>()
            .map_err(|_| Failure::usage(format!("'{}' is not a correction number (e.g. 7)", inert(t))))
    })
    .transpose()
}

fn saved(receipt: &Receipt, what: String) {
    println!("{what} (audit #{})", receipt.seq);
}

fn show_note(note: &AnnotationRow) -> String {
    format!(
        "{} by {} at {}: {}",
        note.kind,
        inert(&note.author),
        inert(&note.created_at),
        inert(&note.text)
    )
}

// checklist --------------------------------------------------------------------------------------

pub fn checklist(args: ChecklistArgs, user: Option<&str>) -> Outcome {
    let json = args.json;
    let typed = match &args.action {
        Some(ChecklistAction::Set { note, .. }) => note.as_deref(),
        Some(ChecklistAction::Note { text, .. }) => Some(text.as_str()),
        None => None,
    };
    let (snapshot, actor) = open_as(args.file, user, json).map_err(|f| f.keeping(typed))?;
    let recon = figures_now(&snapshot)?;
    match args.action {
        None => {
            let list = items::items(&snapshot, &recon.overview).map_err(|r| refused(r, json))?;
            if json {
                print_json(&json!({ "period": recon.overview.period.id, "actor": actor, "items": list }))?;
            } else {
                print_checklist(&recon, &actor, &list);
            }
        }
        Some(ChecklistAction::Set {
            item,
            status,
            note,
            if_version,
        }) => {
            let number = items::parse_item(&item).map_err(|r| refused(r, json))?;
            let status = parse_word("status", &status, ItemStatus::parse, ItemStatus::choices())?;
            let receipt = items::set(
                &snapshot,
                &actor,
                &recon,
                number,
                status,
                note.as_deref(),
                if_version,
            )
            .map_err(|r| refused_keeping(&snapshot, r, json, note.as_deref()))?;
            let list = items::items(&snapshot, &recon.overview).map_err(|r| refused(r, json))?;
            let moved = list.into_iter().find(|i| i.row.item == number);
            if json {
                print_json(&json!({ "receipt": receipt, "item": moved }))?;
            } else {
                saved(
                    &receipt,
                    format!(
                        "Checklist item {number} is now {status}, by {}",
                        inert(&actor.login)
                    ),
                );
            }
        }
        Some(ChecklistAction::Note { item, text }) => {
            let number = items::parse_item(&item).map_err(|r| refused(r, json))?;
            let receipt = items::note(&snapshot, &actor, number, &text)
                .map_err(|r| refused_keeping(&snapshot, r, json, Some(&text)))?;
            if json {
                print_json(&json!({ "receipt": receipt }))?;
            } else {
                saved(&receipt, format!("Note saved on checklist item {number}"));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_checklist(recon: &Current, actor: &Actor, list: &[Item]) {
    let done = list.iter().filter(|i| i.row.status == ItemStatus::Done).count();
    println!(
        "Close checklist — period {}: {done} of {} done (you: {})",
        inert(&recon.overview.period.id),
        list.len(),
        acting(actor)
    );
    for item in list {
        println!();
        println!(
            "{:>2}  {:<12} {}",
            item.row.item,
            item.row.status.as_str(),
            inert(&item.row.title)
        );
        let pad = " ".repeat(17);
        match (&item.row.updated_by, &item.row.updated_at) {
            (Some(by), Some(at)) => println!(
                "{pad}by {} at {} (version {})",
                inert(by),
                inert(at),
                item.row.version
            ),
            _ => println!("{pad}not moved yet (version {})", item.row.version),
        }
        let evidence: Vec<String> = item
            .evidence
            .iter()
            .map(|e| format!("{}: {}", inert(&e.label), inert(&e.value.to_string())))
            .collect();
        for line in wrap(&evidence, 78 - pad.len()) {
            println!("{pad}{line}");
        }
        if !item.blockers.is_empty() {
            let keys: Vec<String> = item
                .blockers
                .iter()
                .map(|b| format!("{} ({}, {})", inert(&b.key), b.severity, b.status))
                .collect();
            println!("{pad}cannot be done while open: {}", keys.join(", "));
        }
        for note in &item.notes {
            println!("{pad}{}", show_note(note));
        }
    }
}

/// Joins pieces with " · " into lines of at most `width` characters (a longer piece gets a
/// line of its own).
fn wrap(pieces: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for piece in pieces {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 3 + piece.chars().count() <= width => {
                line.push_str(" · ");
                line.push_str(piece);
            }
            _ => lines.push(piece.clone()),
        }
    }
    lines
}

// mismatch ---------------------------------------------------------------------------------------

/// `mismatch KEY …` without a FILE: clap puts KEY in FILE's place; a word that names a lane
/// before its first colon and is not an existing file is a key.
fn file_and_key(file: Option<String>, key: Option<String>) -> (Option<PathBuf>, Option<String>) {
    let looks_like_key = |s: &str| {
        s.split_once(':')
            .is_some_and(|(lane, _)| Lane::parse(lane).is_some())
    };
    match (file, key) {
        (Some(f), None) if looks_like_key(&f) && !Path::new(&f).exists() => (None, Some(f)),
        (f, k) => (f.map(PathBuf::from), k),
    }
}

pub fn mismatch(mut args: MismatchArgs, user: Option<&str>) -> Outcome {
    let json = args.json;
    let (file, key) = file_and_key(args.file.take(), args.key.take());
    let typed = args
        .action
        .as_ref()
        .and_then(MismatchAction::typed)
        .map(str::to_string);
    let (snapshot, actor) = open_as(file, user, json).map_err(|f| f.keeping(typed.as_deref()))?;
    let Some(key) = key else {
        if args.action.is_some() {
            return Err(Failure::usage(
                "name the mismatch: closedesk mismatch [FILE] KEY ACTION …",
            ));
        }
        if args.rows {
            return Err(Failure::usage(
                "--rows shows the rows behind one mismatch: closedesk mismatch [FILE] KEY --rows",
            ));
        }
        let recon = figures_now(&snapshot)?;
        return list_mismatches(&snapshot, &recon, &actor, &args, json);
    };
    // One mismatch: read by key, whatever the number of mismatches in the period.
    let recon = stored::current_of(&snapshot, &key).map_err(|e| cannot_read(&snapshot, e))?;
    let on = mismatches::on(&snapshot, &actor, &recon, &key).seen(args.if_version);
    let fail = |r: Refusal| refused_keeping(&snapshot, r, json, typed.as_deref());
    let receipt = match args.action {
        None if args.rows => {
            let evidence = crate::reconcile::evidence::evidence_now(&snapshot, &key)
                .map_err(|e| cannot_read(&snapshot, e))?
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "'{}' is not a mismatch the engine reports now; `closedesk mismatch` lists them",
                        inert(&key)
                    ))
                })?;
            if json {
                print_json(&evidence)?;
            } else {
                print!("{}", crate::reconcile::evidence::text(&evidence));
            }
            return Ok(ExitCode::SUCCESS);
        }
        None => {
            let detail = mismatches::detail(&snapshot, &recon, &key).map_err(fail)?;
            if json {
                print_json(&detail)?;
            } else {
                print_detail(&detail, &actor);
            }
            return Ok(ExitCode::SUCCESS);
        }
        Some(MismatchAction::Note { text }) => on.note(&text).map_err(fail)?,
        Some(MismatchAction::Propose {
            amount,
            side,
            reason,
            reference,
        }) => {
            let amount = Money::parse(&amount)
                .map_err(|e| Failure::usage(format!("--amount '{}': {e}", inert(&amount))))?;
            let side = parse_word("side", &side, Side::parse, Side::choices())?;
            let proposal = Proposal {
                amount,
                side,
                reason,
                reference,
            };
            on.propose(&proposal).map_err(fail)?
        }
        Some(MismatchAction::Accept { id, note }) => {
            let id = parse_id(id.as_deref())?;
            on.accept(id, note.as_deref()).map_err(fail)?
        }
        Some(MismatchAction::Reject { id, reason }) => {
            let id = parse_id(id.as_deref())?;
            on.reject(id, reason.as_deref()).map_err(fail)?
        }
        Some(MismatchAction::Reverse { id, reason }) => {
            let id = parse_id(Some(&id))?.unwrap_or_default();
            on.reverse(id, &reason).map_err(fail)?
        }
        Some(MismatchAction::Waive { reason }) => on.waive(&reason).map_err(fail)?,
        Some(MismatchAction::Assign { owner }) => on.assign(&owner).map_err(fail)?,
    };
    let view = Some(mismatches::view(&snapshot, &recon, &key).map_err(fail)?);
    if json {
        print_json(&json!({ "receipt": receipt, "mismatch": view }))?;
    } else if let Some(v) = view {
        saved(
            &receipt,
            format!(
                "Saved. {} is {}, corrected variance {}, owner {}",
                inert(&v.key),
                status_words(&v),
                v.corrected_variance.grouped(),
                inert(&v.owner)
            ),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn status_words(v: &MismatchView) -> String {
    if v.cleared_by_data {
        format!("cleared by data (was {})", v.status)
    } else {
        v.status.to_string()
    }
}

fn list_mismatches(
    snapshot: &Snapshot,
    recon: &Current,
    actor: &Actor,
    args: &MismatchArgs,
    json: bool,
) -> Outcome {
    let lane = args
        .lane
        .as_deref()
        .map(|l| parse_word("lane", l, Lane::parse, Lane::choices()))
        .transpose()?;
    let severity = args
        .severity
        .as_deref()
        .map(|s| parse_word("severity", s, Severity::parse, Severity::choices()))
        .transpose()?;
    let status = args
        .status
        .as_deref()
        .map(|s| parse_word("status", s, MismatchStatus::parse, MismatchStatus::choices()))
        .transpose()?;
    let views: Vec<MismatchView> = mismatches::views(snapshot, &recon.overview.mismatches)
        .map_err(|r| refused(r, json))?
        .into_iter()
        .filter(|v| lane.is_none() || v.lane == lane)
        .filter(|v| severity.is_none() || v.severity == severity)
        .filter(|v| status.is_none_or(|s| v.status == s && !v.cleared_by_data))
        .filter(|v| args.owner.as_ref().is_none_or(|o| &v.owner == o))
        .collect();
    if json {
        print_json(&json!({ "period": recon.overview.period.id, "actor": actor, "mismatches": views }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let open = views.iter().filter(|v| v.is_open()).count();
    println!(
        "Mismatches — period {}: {} shown, {open} open (you: {})",
        inert(&recon.overview.period.id),
        views.len(),
        acting(actor)
    );
    if views.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<9} {:<14} {:>12} {:>12}  {:<28} key",
        "severity", "status", "variance", "corrected", "owner"
    );
    for v in &views {
        let status = if v.cleared_by_data {
            "cleared".to_string()
        } else {
            v.status.to_string()
        };
        println!(
            "{:<9} {:<14} {:>12} {:>12}  {:<28} {}",
            v.severity.map_or("-", Severity::as_str),
            status,
            v.raw_variance.grouped(),
            v.corrected_variance.grouped(),
            inert(&v.owner),
            inert(&v.key)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_detail(d: &Detail, actor: &Actor) {
    let v = &d.view;
    println!("{}  (you: {})", inert(&v.key), acting(actor));
    if let Some(m) = &v.mismatch {
        println!("  {}", inert(&m.title));
    }
    println!(
        "  lane {} · severity {} · status {} · owner {}{}",
        v.lane.map_or("-", Lane::as_str),
        v.severity.map_or("-", Severity::as_str),
        status_words(v),
        inert(&v.owner),
        if v.owner_override.is_some() {
            " (assigned)"
        } else {
            ""
        }
    );
    println!(
        "  first seen {} · version {}{}",
        v.first_seen.as_deref().map_or("-".to_string(), inert),
        v.version,
        match (&v.updated_by, &v.updated_at) {
            (Some(by), Some(at)) => format!(" · last changed by {} at {}", inert(by), inert(at)),
            _ => String::new(),
        }
    );
    match &v.mismatch {
        Some(m) => {
            println!(
                "  expected {} · actual {} · variance {}",
                m.expected.grouped(),
                m.actual.grouped(),
                m.variance.grouped()
            );
            println!(
                "  corrected: expected {} · actual {} · variance {}",
                v.corrected_expected.grouped(),
                v.corrected_actual.grouped(),
                v.corrected_variance.grouped()
            );
            println!("  next action: {}", inert(&m.next_action));
            // The first few source rows; `--json` has them all.
            let rows = |refs: &[crate::reconcile::SourceRef]| {
                const SHOWN: usize = 8;
                let mut text = refs
                    .iter()
                    .take(SHOWN)
                    .map(|r| format!("{} {}", r.table, inert(&r.id)))
                    .collect::<Vec<_>>()
                    .join(", ");
                if refs.len() >= crate::snapshot::queries::SOURCE_ROWS_CAP {
                    text.push_str(&format!(
                        " and {} more listed, and more not listed (--json lists the first {})",
                        refs.len() - SHOWN,
                        refs.len()
                    ));
                } else if refs.len() > SHOWN {
                    text.push_str(&format!(
                        " and {} more (--json lists them all)",
                        refs.len() - SHOWN
                    ));
                }
                text
            };
            println!("  expected from: {}", rows(&m.expected_rows));
            println!("  actual from:   {}", rows(&m.actual_rows));
        }
        None => println!("  cleared by data: the reconciliation no longer reports it; the trail is kept"),
    }
    if !v.corrections.is_empty() {
        println!("Corrections:");
        for c in &v.corrections {
            let decided = match (&c.row.decided_by, &c.row.decided_at) {
                (Some(by), Some(at)) => format!(" by {} at {}", inert(by), inert(at)),
                _ => String::new(),
            };
            // "accepted by … at …", or "reversed by WHO at WHEN: reason (accepted by …)".
            let outcome = match c.reversal() {
                Some(reversal) => format!("{reversal} (accepted{decided})"),
                None => format!("{}{decided}", c.status),
            };
            println!(
                "  #{} {} to {} by {} at {}{}: {outcome}",
                c.row.id,
                signed(c.amount),
                c.side,
                inert(&c.row.author),
                inert(&c.row.created_at),
                c.row
                    .reference
                    .as_deref()
                    .map_or(String::new(), |r| format!(" (ref {})", inert(r))),
            );
            // Whose words each is: the proposer's reason, then the decider's note or reason
            // (it read as the decider's when only the proposer's was shown, as `reason:`).
            println!("      proposed because: {}", inert(&c.row.text));
            if let Some(note) = &c.row.decision_note {
                let label = match c.status {
                    CorrectionStatus::Rejected => "rejected because",
                    _ => "accepted with note",
                };
                println!("      {label}: {}", inert(note));
            }
        }
    }
    let notes: Vec<&AnnotationRow> = d
        .annotations
        .iter()
        .filter(|a| a.kind != crate::snapshot::model::AnnotationKind::Correction)
        .collect();
    if !notes.is_empty() {
        println!("Notes and waivers:");
        for note in notes {
            println!("  {}", show_note(note));
        }
    }
    println!("Trail:");
    if d.trail.is_empty() {
        println!("  nothing yet");
    }
    for e in &d.trail {
        print_entry(e, "  ");
    }
}

fn signed(amount: Money) -> String {
    if amount.is_negative() {
        amount.grouped()
    } else {
        format!("+{}", amount.grouped())
    }
}

// signoff / reopen -------------------------------------------------------------------------------

pub fn signoff(args: SignoffArgs, user: Option<&str>) -> Outcome {
    let json = args.json;
    let (snapshot, actor) = open_as(args.file, user, json).map_err(|f| f.keeping(args.comment.as_deref()))?;
    if args.check {
        // Only lists the preconditions (the sign-off itself runs the engine in its
        // transaction), so the stored result serves when current.
        let recon = figures_now(&snapshot)?;
        let list = signing::preconditions(&snapshot, &actor, &recon.overview.mismatches)
            .map_err(|r| refused(r, json))?;
        let met = list.iter().all(|p| p.met);
        if json {
            print_json(&json!({ "ready": met, "signer": actor, "preconditions": list }))?;
        } else {
            println!("Sign-off preconditions for {}:", acting(&actor));
            for p in &list {
                println!("  {p}");
            }
        }
        return Ok(if met { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    let done = signing::sign(&snapshot, &actor, args.comment.as_deref())
        .map_err(|r| refused_keeping(&snapshot, r, json, args.comment.as_deref()))?;
    if json {
        print_json(&done)?;
    } else {
        let s = &done.signoff;
        saved(
            &done.receipt,
            format!(
                "Signed off period {} by {} at {}; the period is locked.\n  digest of the signed figures {}\n  \
                 content hash of the source rows {}\n  audit log at sign-off: {} rows, head {}\n  \
                 receipt — keep it outside the file: head {} (check with `closedesk verify FILE \
                 --expect-head {}`)",
                inert(&s.period_id),
                inert(&s.signed_by),
                inert(&s.signed_at),
                s.digest,
                s.source_hash.as_deref().unwrap_or("-"),
                s.audit_len,
                s.audit_head,
                done.receipt.hash,
                &done.receipt.hash[..12]
            ),
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn reopen(args: ReopenArgs, user: Option<&str>) -> Outcome {
    let json = args.json;
    let (snapshot, actor) = open_as(args.file, user, json).map_err(|f| f.keeping(Some(&args.reason)))?;
    let receipt = signing::reopen(&snapshot, &actor, &args.reason)
        .map_err(|r| refused_keeping(&snapshot, r, json, Some(&args.reason)))?;
    if json {
        print_json(&json!({ "receipt": receipt }))?;
    } else {
        saved(
            &receipt,
            format!(
                "Reopened the period, by {}; it is open and unlocked",
                inert(&actor.login)
            ),
        );
    }
    Ok(ExitCode::SUCCESS)
}

// verify / log -----------------------------------------------------------------------------------

pub fn verify(args: VerifyArgs) -> Outcome {
    // A mistyped head is the user's mistake: refused before any check runs.
    if let Some(head) = &args.expect_head {
        audit::expected_head(head).map_err(Failure::usage)?;
    }
    let snapshot = open_snapshot_to_read(args.file)?;
    let report = audit::verify_with(&snapshot, &crate::reconcile::run, args.expect_head.as_deref())
        .map_err(|r| refused_on(&snapshot, r, args.json))?;
    if args.json {
        print_json(&report)?;
    } else {
        println!("verify {}", inert_path(snapshot.path()));
        for c in &report.checks {
            let mark = if c.ok { "[ok]    " } else { "[failed]" };
            println!("  {mark} {}: {}", c.name, inert(&c.detail));
        }
    }
    match &report.first_problem {
        None => {
            if !args.json {
                println!("OK: {} audit rows, head {}", report.length, report.head);
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(problem) => Err(Failure {
            message: match problem.seq {
                Some(seq) => format!("verify failed at audit seq {seq}: {}", inert(&problem.what)),
                None => format!("verify failed: {}", inert(&problem.what)),
            },
            code: 1,
        }),
    }
}

pub fn log(args: LogArgs) -> Outcome {
    let snapshot = open_snapshot_to_read(args.file)?;
    let mut entries = audit::history(&snapshot).map_err(|r| refused_on(&snapshot, r, args.json))?;
    let all = entries.len();
    if let Some(limit) = args.limit {
        entries.truncate(limit);
    }
    if args.json {
        print_json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    if all == 0 {
        println!("The audit log is empty: no workflow change yet.");
    } else if entries.is_empty() {
        // Not "empty": --limit 0 left all of it out.
        println!("No entry shown (--limit 0) of the {all} in the audit log.");
    }
    for e in &entries {
        print_entry(e, "");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_entry(e: &Entry, indent: &str) {
    let r = &e.row;
    println!(
        "{indent}#{:<4} {}  {}  {}  {}",
        r.seq,
        inert(&r.at),
        inert(&r.actor),
        inert(&r.action),
        inert(&r.target)
    );
    for change in &e.changes {
        println!("{indent}      {}", inert(change));
    }
    if let Some(text) = &r.text {
        println!("{indent}      “{}”", inert(text));
    }
}
