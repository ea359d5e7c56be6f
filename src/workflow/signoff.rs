//! Sign-off and the lock. Signing re-runs the reconciliation inside the write transaction,
//! checks every precondition there, and stores who, when, the digest of the signed figures
//! and the audit log's head hash and length. The period becomes `signed_off` (the lock
//! triggers then refuse writes to every source and workflow table) and the last clean close
//! moves to it. Only a lead's `reopen`, with a reason, lifts the lock.
//!
//! Owns sign-off, reopen, their preconditions and the signed digest; must not lift the lock
//! by any path but `reopen`.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::mismatches::{sync, views_of, Changes, MismatchView};
use super::{
    audited, audited_with, ensure_open, require_reason, require_text, with_article, Actor, Engine,
    Permission, Receipt, Refusal,
};
use crate::digest::hex;
use crate::money::Money;
use crate::reconcile::{stored, Aging, Headline, Mismatch, Overview, Reconciliation, Steps};
use crate::snapshot::model::{
    CorrectionStatus, ItemStatus, MismatchStatus, Period, PeriodStatus, Role, Severity,
};
use crate::snapshot::workflow::{LockChange, LockClaim, PeriodState, Reader, SignoffRow};
use crate::snapshot::Snapshot;
use crate::text::inert;

/// One sign-off precondition and its state now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Precondition {
    pub rule: &'static str,
    pub met: bool,
    pub state: String,
}

impl fmt::Display for Precondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.met { "[ok]     " } else { "[not met]" };
        write!(f, "{mark} {}: {}", self.rule, self.state)
    }
}

/// The open mismatches the sign-off precondition names; the rest are counted.
pub const OPEN_NAMED: usize = 20;

/// The most checklist items the signer may have marked done themself (half of eight).
pub const MAX_ITEMS_BY_SIGNER: usize = 4;

fn evaluate<M>(
    read: &Reader<'_>,
    actor: &Actor,
    views: &[MismatchView<M>],
) -> Result<Vec<Precondition>, Refusal> {
    let mut out = Vec::new();

    let period = read.period_state()?;
    let lifted = lifted_in(read, period.status)?.is_some();
    out.push(Precondition {
        rule: "the period is open",
        met: period.status == PeriodStatus::Open && !lifted,
        state: match (period.status, read.latest_signoff()?) {
            (PeriodStatus::Open, Some(s)) if lifted => format!(
                "open, but signed off by {} at {} with no reopen recorded: the lock was lifted outside \
                 closedesk (a lead's reopen records it)",
                inert(&s.signed_by),
                inert(&s.signed_at)
            ),
            (PeriodStatus::Open, _) => "open".to_string(),
            (PeriodStatus::SignedOff, Some(s)) => {
                format!("already signed off by {} at {}", inert(&s.signed_by), s.signed_at)
            }
            (PeriodStatus::SignedOff, None) => "already signed off".to_string(),
        },
    });

    // What the lock would seal must be what the log's actions made (the sign-off refuses
    // before the rest when it is not; `--check` and the cockpit list it with them).
    let outside = super::audit::changed_outside(read)?;
    out.push(Precondition {
        rule: "the workflow tables match the audit log",
        met: outside.is_none(),
        state: match outside {
            None => "they match".to_string(),
            Some(why) => why,
        },
    });

    let items = read.checklist()?;
    let not_done: Vec<String> = items
        .iter()
        .filter(|i| i.status != ItemStatus::Done)
        .map(|i| format!("{} ({})", i.item, i.status))
        .collect();
    out.push(Precondition {
        rule: "all eight checklist items done",
        met: not_done.is_empty() && items.len() == 8,
        state: if not_done.is_empty() {
            format!("{} of 8 done", items.len())
        } else {
            format!(
                "{} of 8 done; not done: {}",
                8 - not_done.len(),
                not_done.join(", ")
            )
        },
    });

    // The first ones by name; a dirty period has tens of thousands.
    let open = views.iter().filter(|v| v.is_open()).count();
    let mut named: Vec<String> = views
        .iter()
        .filter(|v| v.is_open())
        .take(OPEN_NAMED)
        .map(|v| format!("{} ({})", inert(&v.key), v.status))
        .collect();
    if open > OPEN_NAMED {
        named.push(format!("and {} more", open - OPEN_NAMED));
    }
    out.push(Precondition {
        rule: "no mismatch open or in_correction",
        met: open == 0,
        state: if open == 0 {
            "none".to_string()
        } else {
            format!("{open} open: {}", named.join(", "))
        },
    });

    // A correction still awaiting a decision would be locked undecided. One on a mismatch the
    // data has cleared cannot be decided any more (nothing to correct): it does not count.
    let decidable: std::collections::BTreeSet<&str> = views
        .iter()
        .filter(|v| !v.cleared_by_data)
        .map(|v| v.key.as_str())
        .collect();
    let awaiting: Vec<String> = read
        .corrections()?
        .iter()
        .filter(|c| c.correction_status == Some(CorrectionStatus::Proposed))
        .filter(|c| decidable.contains(c.target.as_str()))
        .map(|c| format!("#{} on {}", c.id, inert(&c.target)))
        .collect();
    out.push(Precondition {
        rule: "no correction awaiting a decision",
        met: awaiting.is_empty(),
        state: if awaiting.is_empty() {
            "none".to_string()
        } else {
            format!(
                "{} awaiting: {} (accept or reject each)",
                awaiting.len(),
                awaiting.join(", ")
            )
        },
    });

    let login = inert(&actor.login);
    out.push(Precondition {
        rule: "the signer is a lead",
        met: actor.role == Some(Role::Lead),
        state: match actor.role {
            Some(role) => format!("{login} is {}", with_article(role)),
            None if login.is_empty() => "no login is given (--user LOGIN, or $USER)".to_string(),
            None => format!("{login} is not on the roster"),
        },
    });

    let by_signer: Vec<String> = items
        .iter()
        .filter(|i| i.status == ItemStatus::Done && i.updated_by.as_deref() == Some(actor.login.as_str()))
        .map(|i| i.item.to_string())
        .collect();
    out.push(Precondition {
        rule: "four-eyes: the signer marked at most 4 of the 8 items done",
        met: by_signer.len() <= MAX_ITEMS_BY_SIGNER,
        state: match by_signer.len() {
            0 => format!("{login} marked no item done"),
            n => format!("{login} marked {n} done ({})", by_signer.join(", ")),
        },
    });
    Ok(out)
}

/// Every sign-off precondition and its state now, for `actor` as the signer.
pub fn preconditions(
    snapshot: &Snapshot,
    actor: &Actor,
    mismatches: &[Mismatch],
) -> Result<Vec<Precondition>, Refusal> {
    preconditions_with(snapshot, actor, &views_of(&snapshot.workflow(), mismatches)?)
}

/// [`preconditions`] over `views`, the workflow's views of the mismatches as the caller
/// computed them ([`views_of`]): a caller that needs them too computes them once.
pub fn preconditions_with<M>(
    snapshot: &Snapshot,
    actor: &Actor,
    views: &[MismatchView<M>],
) -> Result<Vec<Precondition>, Refusal> {
    evaluate(&snapshot.workflow(), actor, views)
}

/// The figures a sign-off signs, in the order they are serialized for the digest.
#[derive(Serialize)]
struct SignedFigures<'a> {
    format: &'static str,
    period: &'a str,
    entity: &'a str,
    window_start: String,
    window_end: String,
    currency: &'a str,
    headline: &'a Headline,
    steps: &'a Steps,
    aging: &'a Aging,
    mismatches: Vec<SignedMismatch<'a>>,
}

#[derive(Serialize)]
struct SignedMismatch<'a> {
    key: &'a str,
    severity: Option<Severity>,
    expected: Money,
    actual: Money,
    variance: Money,
    corrected_variance: Money,
    status: MismatchStatus,
}

/// SHA-256 (lowercase hex) of the compact JSON of the signed figures: period, entity,
/// window, currency, the headline figures, every step's figures, the aged AR, and each
/// mismatch the engine reports with its raw and corrected variance and workflow status.
pub fn digest_of<M: std::borrow::Borrow<Mismatch>>(
    recon: &Reconciliation,
    views: &[MismatchView<M>],
) -> String {
    let p = &recon.period;
    let figures = SignedFigures {
        format: "closedesk.signed-figures.v1",
        period: &p.id,
        entity: &p.entity,
        window_start: p.window_start.to_string(),
        window_end: p.window_end.to_string(),
        currency: &p.currency,
        headline: &recon.headline,
        steps: &recon.steps,
        aging: &recon.aging,
        mismatches: views
            .iter()
            .filter_map(|v| {
                let m: &Mismatch = v.mismatch.as_ref()?.borrow();
                Some(SignedMismatch {
                    key: &v.key,
                    severity: v.severity,
                    expected: m.expected,
                    actual: m.actual,
                    variance: m.variance,
                    corrected_variance: v.corrected_variance,
                    status: v.status,
                })
            })
            .collect(),
    };
    let bytes = serde_json::to_vec(&figures).expect("signed figures serialize");
    hex(&Sha256::digest(bytes))
}

/// The digest of the period's figures now.
pub fn digest(snapshot: &Snapshot, recon: &Reconciliation) -> Result<String, Refusal> {
    let views = views_of(&snapshot.workflow(), &recon.mismatches)?;
    Ok(digest_of(recon, &views))
}

/// What a sign-off stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignOff {
    pub signoff: SignoffRow,
    pub receipt: Receipt,
}

/// Signs the period off with the reconciliation engine, and keeps the overview it signed
/// as the stored result, so `status` and the cockpit show the signed figures without
/// running the engine again (they check them against the hash the sign-off recorded).
pub fn sign(snapshot: &Snapshot, actor: &Actor, comment: Option<&str>) -> Result<SignOff, Refusal> {
    let (done, overview, generation) = signed_by(snapshot, actor, comment, &crate::reconcile::run)?;
    if let Some(generation) = generation {
        stored::store_signed(snapshot, generation, &overview);
    }
    Ok(done)
}

/// Signs the period off: in one transaction, re-runs `engine`, checks every precondition,
/// stores the sign-off and its audit row, then sets the period `signed_off` (which locks it).
/// Stores no result: `engine` may be a test's.
pub fn sign_with(
    snapshot: &Snapshot,
    actor: &Actor,
    comment: Option<&str>,
    engine: Engine<'_>,
) -> Result<SignOff, Refusal> {
    signed_by(snapshot, actor, comment, engine).map(|(done, _, _)| done)
}

/// [`sign_with`], with the overview whose hash the sign-off recorded and the source
/// generation it was computed from (`None` in a file made before stored results).
fn signed_by(
    snapshot: &Snapshot,
    actor: &Actor,
    comment: Option<&str>,
    engine: Engine<'_>,
) -> Result<(SignOff, Overview, Option<i64>), Refusal> {
    if actor.role.is_none() {
        actor.may(Permission::SignOff)?;
    }
    if let Some(comment) = comment {
        require_text("the sign-off comment", comment)?;
    }
    let result = snapshot.write(|tx| {
        let period = ensure_open(tx)?;
        // What the lock will seal must be what the log's actions made: workflow rows written
        // behind it (a waiver inserted with sqlite3) are refused here, not found by verify
        // after the period is locked.
        if let Some(why) = super::audit::changed_outside(&tx.read())? {
            return Err(Refusal::Precondition(format!(
                "{why}, and a sign-off would seal that; nothing was signed — closedesk verify names it"
            )));
        }
        let recon = engine(snapshot)?;
        sync(tx, actor, &recon.mismatches)?;
        let views = views_of(&tx.read(), &recon.mismatches)?;
        let preconditions = evaluate(&tx.read(), actor, &views)?;
        if preconditions.iter().any(|p| !p.met) {
            return Err(Refusal::SignOff(preconditions));
        }
        let (audit_len, audit_head) = tx.read().audit_head()?;
        let source_hash = snapshot.source_content_hash()?;
        let ((signoff, overview), receipt) = audited_with(tx, actor, |w| {
            let signed = PeriodState {
                status: PeriodStatus::SignedOff,
                last_clean_period: Some(period.id.clone()),
                last_clean_date: Some(w.at()[..10].to_string()),
                ..period.clone()
            };
            let overview = as_signed(recon.overview(), &signed);
            let signoff = w.insert_signoff(&SignoffRow {
                id: 0,
                period_id: period.id.clone(),
                signed_by: actor.login.clone(),
                signed_at: w.at().to_string(),
                digest: digest_of(&recon, &views),
                audit_head,
                audit_len,
                comment: comment.map(str::to_string),
                reopened_by: None,
                reopened_at: None,
                reopen_reason: None,
                source_hash: Some(source_hash),
                overview_hash: Some(stored::overview_hash(&overview)),
            })?;
            let mut changes = Changes::default();
            changes.record(period.row_id(), period.state(), signed.state());
            changes.record(signoff.row_id(), Value::Null, signoff.state());
            // The sign-off row first: once the status is signed_off the lock triggers refuse
            // writes to the workflow tables (the audit log, appended after, stays writable).
            w.update_period(&signed)?;
            w.claim_own_lock_change()?;
            w.acknowledge_lock_changes()?;
            let entry = changes.entry(actor, "signoff", &period.row_id(), comment);
            Ok(((signoff, overview), entry))
        })?;
        let generation = snapshot.source_generation().ok();
        Ok((SignOff { signoff, receipt }, overview, generation))
    });
    result.map_err(|e| e.keeping(comment.unwrap_or("")))
}

/// `overview` as the engine reads the period once `signed` is stored (signed off, the last
/// clean close moved to it): what a sign-off records the hash of, and what a later run gives.
fn as_signed(overview: Overview, signed: &PeriodState) -> Overview {
    let period = Period {
        status: signed.status,
        last_clean_period: signed.last_clean_period.clone(),
        last_clean_date: signed
            .last_clean_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        ..overview.period
    };
    Overview { period, ..overview }
}

/// Why the lock was lifted outside closedesk, when it was, and `status` says so; closedesk
/// then changes nothing until a lead has looked and reopened (`verify` names what changed).
/// Two shapes: the period reads `open` while its latest sign-off records no reopen (its
/// status was changed by plain SQL, `UPDATE period SET status = 'open'`, which the lock
/// triggers cannot tell from a reopen); or it reads `signed_off` and its record of status
/// changes (`lock_changes`, [`lock_record`]) has one that no sign-off or reopen made and no
/// lead has seen since — the lock was lifted and put back, rows may have been changed while
/// it was off — or was edited by hand.
pub fn lock_lifted_outside(read: &Reader<'_>) -> rusqlite::Result<Option<String>> {
    lifted_in(read, read.period_state()?.status)
}

/// [`lock_lifted_outside`] for a caller that has read the period's `status` already.
pub(crate) fn lifted_in(read: &Reader<'_>, status: PeriodStatus) -> rusqlite::Result<Option<String>> {
    if status == PeriodStatus::SignedOff {
        return put_back(read);
    }
    Ok(read
        .latest_signoff()?
        .filter(|s| s.reopened_at.is_none())
        .map(|s| {
            format!(
                "the period was signed off by {} at {} and is open, but no reopen is recorded: its lock was \
                 lifted outside closedesk; nothing can be changed until a lead has looked (closedesk verify \
                 names what changed)",
                inert(&s.signed_by),
                inert(&s.signed_at)
            )
        }))
}

/// A signed-off period whose record of lock changes says the lock was lifted outside
/// closedesk and nobody has looked since, or was edited by hand ([`lock_record`]).
fn put_back(read: &Reader<'_>) -> rusqlite::Result<Option<String>> {
    let changes = read.lock_changes()?;
    let record = lock_record(&changes);
    if let Some(forged) = record.forged {
        return Ok(Some(format!(
            "the period is signed off, but its record of lock changes was edited outside closedesk ({forged}): \
             the lock may have been lifted meanwhile; nothing can be changed until a lead reopens it \
             (closedesk verify names what changed)"
        )));
    }
    let (Some(first), Some(last)) = (record.unseen.first(), record.unseen.last()) else {
        return Ok(None);
    };
    let changes = if record.unseen.len() == 1 {
        described(first)
    } else {
        format!(
            "{} changes, the first {}, the last {}",
            record.unseen.len(),
            described(first),
            described(last)
        )
    };
    Ok(Some(format!(
        "the period is signed off, but its status was changed outside closedesk ({changes}): rows may have \
         been changed while it was not locked; nothing can be changed until a lead reopens it, which records \
         that a lead has looked (closedesk verify names what changed)"
    )))
}

/// "signed_off → open at 2026-04-02T09:15:00Z".
pub(crate) fn described(c: &LockChange) -> String {
    format!(
        "{} → {} at {}",
        inert(&c.old_status),
        inert(&c.new_status),
        inert(&c.at)
    )
}

/// What the file's record of the period's status changes (`lock_changes`) says: the
/// changes made outside closedesk that no sign-off or reopen has looked at (`unseen`),
/// those one has (`seen`), and the first claim that does not hold (`forged`): a change
/// recorded as made by an audit row that is not the sign-off (open → signed_off) or reopen
/// (signed_off → open) it would have to be, or by one that made another change too; or
/// acknowledged by an audit row that is neither a sign-off nor a reopen. One rule, for
/// `status` and `verify`.
pub(crate) struct LockRecord<'a> {
    pub unseen: Vec<&'a LockChange>,
    pub seen: Vec<&'a LockChange>,
    pub forged: Option<String>,
}

pub(crate) fn lock_record(changes: &[LockChange]) -> LockRecord<'_> {
    let mut record = LockRecord {
        unseen: Vec::new(),
        seen: Vec::new(),
        forged: None,
    };
    let mut made = std::collections::HashSet::new();
    let named = |claim: &LockClaim| match &claim.action {
        Some(action) => format!("audit row {}, a {}", claim.seq, inert(action)),
        None => format!("audit row {}, which the log does not have", claim.seq),
    };
    for c in changes {
        let problem = match (&c.made_by, &c.acknowledged_by) {
            (None, None) => {
                record.unseen.push(c);
                None
            }
            (Some(m), None) => {
                let maker = match (c.old_status.as_str(), c.new_status.as_str()) {
                    ("open", "signed_off") => Some("signoff"),
                    ("signed_off", "open") => Some("reopen"),
                    _ => None,
                };
                let holds = maker.is_some() && m.action.as_deref() == maker && made.insert(m.seq);
                (!holds).then(|| format!("{} is recorded as made by {}", described(c), named(m)))
            }
            (None, Some(a)) => {
                let holds = matches!(a.action.as_deref(), Some("signoff" | "reopen"));
                if holds {
                    record.seen.push(c);
                }
                (!holds).then(|| format!("{} is recorded as seen by {}", described(c), named(a)))
            }
            (Some(_), Some(_)) => Some(format!("{} is recorded as both made and seen", described(c))),
        };
        if record.forged.is_none() {
            record.forged = problem;
        }
    }
    record
}

/// Reopens a signed-off period: a lead, with a reason of at least 20 characters. The status
/// goes back to `open` first (lifting the lock), then the sign-off records the reopening.
/// The last clean close stays where the sign-off put it. A period whose lock was lifted
/// outside closedesk ([`lock_lifted_outside`]) may be open already: the reopen records it,
/// and with it who looked and why, so that work can go on. Either way the reopen claims
/// every change of the status made outside closedesk so far.
pub fn reopen(snapshot: &Snapshot, actor: &Actor, reason: &str) -> Result<Receipt, Refusal> {
    actor.may(Permission::Reopen)?;
    require_reason("reopening the period", reason)?;
    let result = snapshot.write(|tx| {
        let period = tx.read().period_state()?;
        let already_open = period.status == PeriodStatus::Open;
        let lifted = lifted_in(&tx.read(), period.status)?.is_some();
        if already_open && !lifted {
            return Err(Refusal::Precondition(
                "the period is not signed off: there is nothing to reopen".to_string(),
            ));
        }
        // The sign-off the reopen records itself on: the latest, unless it records a reopen
        // already (a lock forged or put back by hand after it has none of its own).
        let signoff = tx.read().latest_signoff()?.filter(|s| s.reopened_at.is_none());
        if signoff.is_none() && !lifted {
            return Err(Refusal::Precondition(
                "the period is signed off but has no sign-off record".into(),
            ));
        }
        audited(tx, actor, |w| {
            let opened = PeriodState {
                status: PeriodStatus::Open,
                ..period.clone()
            };
            let mut changes = Changes::default();
            if !already_open {
                w.update_period(&opened)?;
                w.claim_own_lock_change()?;
                changes.record(period.row_id(), period.state(), opened.state());
            }
            w.acknowledge_lock_changes()?;
            if let Some(signoff) = &signoff {
                let reopened = SignoffRow {
                    reopened_by: Some(actor.login.clone()),
                    reopened_at: Some(w.at().to_string()),
                    reopen_reason: Some(reason.to_string()),
                    ..signoff.clone()
                };
                w.record_reopen(&reopened)?;
                changes.record(reopened.row_id(), signoff.state(), reopened.state());
            }
            Ok(changes.entry(actor, "reopen", &period.row_id(), Some(reason)))
        })
    });
    result.map_err(|e| e.keeping(reason))
}
