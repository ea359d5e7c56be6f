//! The close workflow (docs/workflow.md): the checklist with evidence, the correction lane
//! (notes, corrections, waivers, owners), sign-off and the lock, and the hash-chained audit
//! log. Every action is a library function taking the acting [`Actor`]; the command line and
//! the cockpit call the same functions. No terminal code here, and no SQL: storage is in
//! `crate::snapshot::workflow`.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction holding the change and its audit row;
//! storage lends write access only to a change that returns its audit entry.
//! Whatever stops an action is a [`Refusal`] whose `Display` is the message for the user,
//! naming what would allow the action.
//!
//! Owns the rules of the close; must not hold SQL (only `crate::snapshot::workflow`'s typed
//! calls), terminal code, or a reconciliation check.

pub mod audit;
pub mod checklist;
pub mod exports;
pub mod identity;
pub mod mismatches;
pub mod sessions;
pub mod signing;
pub mod signoff;

use std::borrow::Cow;

pub use crate::snapshot::workflow::Receipt;
pub use identity::{Actor, Permission};
pub use signing::Proof;

use crate::reconcile::stored::Current;
use crate::reconcile::{Mismatch, Overview, Reconciliation};
use crate::snapshot::model::{PeriodStatus, Role};
use crate::snapshot::workflow::{AuditEntry, PeriodState, WriteTx, Writes};
use crate::snapshot::{Snapshot, BUSY_TIMEOUT};
use crate::text::{inert, inert_multiline};

/// The reconciliation engine as the workflow calls it: `reconcile::run` in production; tests
/// may pass a function returning hand-made mismatches.
pub type Engine<'a> = &'a dyn Fn(&Snapshot) -> rusqlite::Result<Reconciliation>;

/// What a workflow action validates its key against: the engine's mismatches, and the
/// source generation they were computed from when known. The CLI and the cockpit pass the
/// stored result ([`crate::reconcile::stored::Current`]), so an action runs no engine;
/// tests pass a [`Reconciliation`] of their own (no generation: taken as computed now).
pub trait Figures {
    /// The mismatches: every one when [`Figures::whole`], else those looked up by key.
    fn mismatches(&self) -> &[Mismatch];
    /// The source generation the mismatches were computed from; `None` when unknown.
    fn generation(&self) -> Option<i64> {
        None
    }
    /// Whether [`Figures::mismatches`] is every mismatch the engine reports, or only the
    /// ones read by key for an action on them (`reconcile::stored::current_of`).
    fn whole(&self) -> bool {
        true
    }
    /// The mismatch `key`, when these figures report it.
    fn mismatch(&self, key: &str) -> Option<&Mismatch> {
        self.mismatches().iter().find(|m| m.key == key)
    }
}

impl Figures for Reconciliation {
    fn mismatches(&self) -> &[Mismatch] {
        &self.mismatches
    }
}

impl Figures for Overview {
    fn mismatches(&self) -> &[Mismatch] {
        &self.mismatches
    }
}

impl Figures for Current {
    fn mismatches(&self) -> &[Mismatch] {
        &self.overview.mismatches
    }

    fn generation(&self) -> Option<i64> {
        self.generation
    }

    fn whole(&self) -> bool {
        self.whole
    }
}

/// The mismatches an action acts on, inside its write transaction: `figures`' own when
/// they were computed from the source generation the file has now (read in the
/// transaction, which holds the write lock, so it cannot move before the commit); when it
/// moved since they were read (a source row was edited), or they are not every mismatch
/// ([`Figures::whole`]), the engine's, run now inside the transaction — never stale or
/// partial figures.
pub(crate) fn mismatches_now<'f, F: Figures + ?Sized>(
    snapshot: &Snapshot,
    figures: &'f F,
) -> Result<Cow<'f, [Mismatch]>, Refusal> {
    if figures.whole() && figures_current(snapshot, figures)? {
        return Ok(Cow::Borrowed(figures.mismatches()));
    }
    Ok(Cow::Owned(crate::reconcile::run(snapshot)?.mismatches))
}

/// The mismatch `key` as of the transaction, as [`mismatches_now`] gives it, read by key
/// when `figures` are current: `None` when the engine does not report it.
pub(crate) fn mismatch_now<'f, F: Figures + ?Sized>(
    snapshot: &Snapshot,
    figures: &'f F,
    key: &str,
) -> Result<Option<Cow<'f, Mismatch>>, Refusal> {
    if figures_current(snapshot, figures)? {
        return Ok(figures.mismatch(key).map(Cow::Borrowed));
    }
    let mut all = crate::reconcile::run(snapshot)?.mismatches;
    Ok(all
        .iter()
        .position(|m| m.key == key)
        .map(|at| Cow::Owned(all.swap_remove(at))))
}

/// Whether `figures` were computed from the source generation the file has now (unknown:
/// taken as computed now).
fn figures_current<F: Figures + ?Sized>(snapshot: &Snapshot, figures: &F) -> Result<bool, Refusal> {
    Ok(match figures.generation() {
        Some(seen) => snapshot.source_generation()? == seen,
        None => true,
    })
}

/// The message of the lock triggers (src/snapshot/schema.rs).
const LOCK_MESSAGE: &str = "period is signed off: locked";

/// The least number of characters (after trimming) of a waiver or reopen reason.
pub const MIN_REASON_CHARS: usize = 20;

/// Why a workflow action was not done. Nothing was written when this is returned. Its
/// `Display` is the message for the user ([`Refusal::message`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The login is not on the period's roster.
    #[error("{}", self.message())]
    ReadOnly { login: String, permission: Permission },
    /// The actor's role does not allow the action.
    #[error("{}", self.message())]
    Role {
        login: String,
        role: Role,
        permission: Permission,
    },
    /// Separation of duties: the same person cannot do both.
    #[error("{}", self.message())]
    FourEyes(String),
    /// The period is signed off; the database refuses writes until a lead reopens it.
    #[error("{}", self.message())]
    Locked {
        signed_by: Option<String>,
        signed_at: Option<String>,
    },
    /// The action's precondition does not hold (the message says which and why).
    #[error("{}", self.message())]
    Precondition(String),
    /// Sign-off preconditions, each with its state; at least one is not met.
    #[error("{}", self.message())]
    SignOff(Vec<signoff::Precondition>),
    /// The item or mismatch changed since the caller read it.
    #[error("{}", self.message())]
    Conflict {
        what: String,
        seen: i64,
        now: i64,
        /// Who last changed it and when, as stored; `None` when nobody ever did (version 0).
        changed: Option<(String, String)>,
    },
    /// Another writer held the snapshot longer than the busy timeout.
    #[error("{}", self.message())]
    Busy { input: Option<String> },
    /// No such item, mismatch or correction.
    #[error("{}", self.message())]
    NotFound(String),
    /// The input itself is not acceptable (empty note, short reason, bad amount).
    #[error("{}", self.message())]
    Invalid(String),
    /// The roster has keys and the actor could not prove to be its login (no ssh-agent, the
    /// key not in it, no key on the roster, another key over serve).
    #[error("{}", self.message())]
    Identity(String),
    /// The snapshot could not be read or written.
    #[error("{}", self.message())]
    Storage(String),
    /// The environment failed under the action: a full disk, an I/O error, no memory.
    #[error("{}", self.message())]
    Environment(String),
}

/// Who may do something: `a reviewer or lead`.
pub fn role_words(role: Role) -> &'static str {
    match role {
        Role::Operator => "an operator, reviewer or lead",
        Role::Reviewer => "a reviewer or lead",
        Role::Lead => "a lead",
    }
}

/// A role with its article: `a reviewer`.
fn with_article(role: Role) -> &'static str {
    match role {
        Role::Operator => "an operator",
        Role::Reviewer => "a reviewer",
        Role::Lead => "a lead",
    }
}

/// Whether a failed file operation is the environment's (a full disk, an I/O error, a
/// quota), not the user's: a missing file, a denied permission, a name that exists, is a
/// directory, is not a directory or is not a valid file name are the user's to fix (exit
/// 2); anything else exits 3 (README, "Exit codes").
pub fn io_is_environment(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    !matches!(
        e.kind(),
        NotFound
            | PermissionDenied
            | AlreadyExists
            | InvalidInput
            | InvalidData
            | IsADirectory
            | NotADirectory
            | InvalidFilename
    )
}

impl Refusal {
    /// A short word for scripts (`--json`): `read_only`, `role`, `four_eyes`, `locked`,
    /// `precondition`, `conflict`, `busy`, `not_found`, `invalid`, `identity`, `storage`.
    /// Whether the environment stopped the action (another writer held the file past the
    /// busy timeout, a full disk, an I/O error), not the user's input or rights: the
    /// command line exits with 3 for it, 2 for every other refusal.
    pub fn is_environment(&self) -> bool {
        matches!(self, Refusal::Busy { .. } | Refusal::Environment(_))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::ReadOnly { .. } => "read_only",
            Refusal::Role { .. } => "role",
            Refusal::FourEyes(_) => "four_eyes",
            Refusal::Locked { .. } => "locked",
            Refusal::Precondition(_) | Refusal::SignOff(_) => "precondition",
            Refusal::Conflict { .. } => "conflict",
            Refusal::Busy { .. } => "busy",
            Refusal::NotFound(_) => "not_found",
            Refusal::Invalid(_) => "invalid",
            Refusal::Identity(_) => "identity",
            Refusal::Storage(_) => "storage",
            Refusal::Environment(_) => "environment",
        }
    }

    /// Keeps the user's input in a busy refusal, so it can be shown back and not lost.
    pub fn keeping(self, input: &str) -> Refusal {
        match self {
            Refusal::Busy { .. } if !input.is_empty() => Refusal::Busy {
                input: Some(input.to_string()),
            },
            other => other,
        }
    }
}

impl Refusal {
    /// The message for the user, naming what would allow the action. Every piece from data
    /// is made inert where it is built, and again here (inert is idempotent), keeping the
    /// message's own line breaks.
    fn message(&self) -> String {
        let message = match self {
            Refusal::ReadOnly { login, permission } => {
                let who = if login.is_empty() {
                    "no login given (--user or $USER)".to_string()
                } else {
                    format!("{} is not on this period's roster", inert(login))
                };
                format!(
                    "{who}: read-only; {} needs {} on the roster",
                    permission.words(),
                    role_words(permission.needs())
                )
            }
            Refusal::Role {
                login,
                role,
                permission,
            } => format!(
                "{} needs {}; {} is {}",
                permission.words(),
                role_words(permission.needs()),
                inert(login),
                with_article(*role)
            ),
            Refusal::FourEyes(why) => format!("four-eyes: {why}"),
            Refusal::Locked { signed_by, signed_at } => {
                let by = match (signed_by, signed_at) {
                    (Some(by), Some(at)) => format!(" by {} at {}", inert(by), inert(at)),
                    _ => String::new(),
                };
                format!(
                    "the period is signed off{by} and locked; a lead can lift the lock with \
                     `closedesk reopen --reason TEXT` (in the cockpit: 6, then R)"
                )
            }
            Refusal::Precondition(why) => why.clone(),
            Refusal::SignOff(preconditions) => {
                let mut text = "cannot sign off: not every precondition is met".to_string();
                for p in preconditions {
                    text.push_str(&format!("\n  {p}"));
                }
                text
            }
            Refusal::Conflict {
                what,
                seen,
                now,
                changed: Some((by, at)),
            } => format!(
                "conflict: {what} changed since you read it (you saw version {seen}, it is now version \
                 {now}, changed by {} at {}); nothing was saved — reload and try again",
                inert(by),
                inert(at)
            ),
            Refusal::Conflict {
                what,
                seen,
                now,
                changed: None,
            } => format!(
                "conflict: {what} is not at the version you read (you saw version {seen}, it is now version \
                 {now}, never changed); nothing was saved — reload and try again"
            ),
            Refusal::Busy { input } => {
                let mut text = format!(
                    "the snapshot is busy: another writer held it for more than {} seconds; nothing \
                     was saved — try again",
                    BUSY_TIMEOUT.as_secs()
                );
                if let Some(input) = input {
                    text.push_str(&format!("; your input was: {}", inert(input)));
                }
                text
            }
            Refusal::NotFound(what) | Refusal::Invalid(what) | Refusal::Identity(what) => what.clone(),
            Refusal::Storage(why) => format!("cannot use the snapshot: {why}"),
            Refusal::Environment(why) => {
                format!("cannot use the snapshot: {why}; nothing was saved — try again once that is resolved")
            }
        };
        inert_multiline(&message)
    }
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Refusal {
        use rusqlite::ErrorCode;
        if matches!(
            e.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked)
        ) {
            return Refusal::Busy { input: None };
        }
        let text = e.to_string();
        if text.contains(LOCK_MESSAGE) {
            return Refusal::Locked {
                signed_by: None,
                signed_at: None,
            };
        }
        if crate::snapshot::is_environment(&e) {
            return Refusal::Environment(crate::snapshot::explain(&e));
        }
        Refusal::Storage(crate::snapshot::explain(&e))
    }
}

/// Makes the workflow writes of `change` and appends the audit entry it returns, signed as
/// `actor` where the roster has keys ([`signing::sign`]): the only way this layer writes.
fn audited(
    tx: &WriteTx<'_>,
    actor: &Actor,
    change: impl FnOnce(&Writes<'_>) -> Result<AuditEntry, Refusal>,
) -> Result<Receipt, Refusal> {
    tx.audited(
        |read, hash| signing::sign(read, actor, hash),
        |writes| {
            let entry = change(writes)?;
            audit::ensure_rows_follow_log(tx, &entry.before)?;
            Ok(entry)
        },
    )
}

/// [`audited`] for a change that also gives back a value (a row it inserted).
fn audited_with<T>(
    tx: &WriteTx<'_>,
    actor: &Actor,
    change: impl FnOnce(&Writes<'_>) -> Result<(T, AuditEntry), Refusal>,
) -> Result<(T, Receipt), Refusal> {
    tx.audited_with(
        |read, hash| signing::sign(read, actor, hash),
        |writes| {
            let (value, entry) = change(writes)?;
            audit::ensure_rows_follow_log(tx, &entry.before)?;
            Ok((value, entry))
        },
    )
}

/// The period's state inside a write transaction; refused when it is signed off.
fn ensure_open(tx: &WriteTx<'_>) -> Result<PeriodState, Refusal> {
    let period = tx.read().period_state()?;
    if period.status == PeriodStatus::SignedOff {
        let latest = tx.read().latest_signoff()?;
        return Err(Refusal::Locked {
            signed_by: latest.as_ref().map(|s| s.signed_by.clone()),
            signed_at: latest.map(|s| s.signed_at),
        });
    }
    if let Some(why) = signoff::lifted_in(&tx.read(), period.status)? {
        return Err(Refusal::Precondition(why));
    }
    Ok(period)
}

/// Refuses a change made from a stale view: `seen` is the version the caller read (`None`:
/// the caller read nothing before this action), `now` the stored one and `changed` who
/// stored it and when (`None`: nobody ever changed it).
fn check_version(
    what: impl FnOnce() -> String,
    seen: Option<i64>,
    now: i64,
    changed: Option<(&str, &str)>,
) -> Result<(), Refusal> {
    match seen {
        Some(seen) if seen != now => Err(Refusal::Conflict {
            what: what(),
            seen,
            now,
            changed: changed.map(|(by, at)| (by.to_string(), at.to_string())),
        }),
        _ => Ok(()),
    }
}

/// A note's text: refused when empty or only whitespace.
fn require_text(what: &str, text: &str) -> Result<(), Refusal> {
    require_filled(what, text, "write what you did or found")
}

/// Text that must show something: refused when empty or only whitespace, saying `fix`.
fn require_filled(what: &str, text: &str, fix: &str) -> Result<(), Refusal> {
    if crate::text::visible_len(text) == 0 {
        return Err(Refusal::Invalid(format!("{what} is empty: {fix}")));
    }
    Ok(())
}

/// A waiver, reversal or reopen reason: at least [`MIN_REASON_CHARS`] characters that show
/// on screen, besides surrounding whitespace ([`crate::text::visible_len`]).
fn require_reason(what: &str, text: &str) -> Result<(), Refusal> {
    let chars = crate::text::visible_len(text);
    if chars < MIN_REASON_CHARS {
        return Err(Refusal::Invalid(format!(
            "{what} needs a reason of at least {MIN_REASON_CHARS} characters (this one has {chars}): \
             say why, for the audit trail"
        )));
    }
    Ok(())
}
