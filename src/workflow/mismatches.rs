//! The correction lane: each mismatch's workflow state (keyed by its stable key, so notes
//! and corrections stay attached when the engine recomputes), notes, corrections proposed
//! and decided, waivers, owners, and the overlay of accepted corrections.
//!
//! A correction never edits source data. Accepted corrections are applied as an overlay:
//! corrected expected = expected + the accepted corrections on the `expected` side, likewise
//! for `actual`, and corrected variance = corrected actual − corrected expected. A mismatch
//! whose corrected variance is zero is `resolved`.
//!
//! Owns the correction lane's rules and the overlay; must not edit source data nor compute
//! a mismatch (the engine does).

use std::collections::{BTreeMap, HashMap};

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};

use super::audit::{self, Entry};
use super::{
    audited, check_version, ensure_open, mismatch_now, mismatches_now, require_filled, require_reason,
    require_text, Actor, Figures, Permission, Receipt, Refusal,
};
use crate::money::{Money, MAX_ABS_CENTS};
use crate::reconcile::Mismatch;
use crate::snapshot::model::{
    AnnotationKind, CorrectionStatus, Lane, MismatchStatus, Severity, Side, TargetKind,
};
use crate::snapshot::workflow::{
    row_id, AnnotationRow, AuditEntry, MismatchStateRow, Reader, WriteTx, Writes,
};
use crate::snapshot::Snapshot;
use crate::text::inert;

/// A correction proposed against a mismatch: its stored annotation (kind `correction`: who
/// proposed it and when, the reason as `text`, the reference, the decision and any
/// reversal) with the amount, side and status every correction has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    /// Added to the figure on `side` (negative to reduce it).
    pub amount: Money,
    pub side: Side,
    pub status: CorrectionStatus,
    pub row: AnnotationRow,
}

impl Correction {
    fn from_row(row: &AnnotationRow) -> Option<Correction> {
        if row.kind != AnnotationKind::Correction {
            return None;
        }
        Some(Correction {
            amount: row.amount?,
            side: row.side?,
            status: row.correction_status?,
            row: row.clone(),
        })
    }

    /// "reversed by WHO at WHEN: reason", once it was reversed.
    pub fn reversal(&self) -> Option<String> {
        reversal_of(&self.row)
    }
}

/// A correction as `--json` and the packet give it: the annotation's fields under the
/// correction's names (`reason`, `status`); the decision's note and the reversal only when
/// set.
impl Serialize for Correction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let row = &self.row;
        let mut out = serializer.serialize_struct("Correction", 14)?;
        out.serialize_field("id", &row.id)?;
        out.serialize_field("author", &row.author)?;
        out.serialize_field("created_at", &row.created_at)?;
        out.serialize_field("amount", &self.amount)?;
        out.serialize_field("side", &self.side)?;
        out.serialize_field("reason", &row.text)?;
        out.serialize_field("reference", &row.reference)?;
        out.serialize_field("status", &self.status)?;
        out.serialize_field("decided_by", &row.decided_by)?;
        out.serialize_field("decided_at", &row.decided_at)?;
        for (name, value) in [
            ("decision_note", &row.decision_note),
            ("reversed_by", &row.reversed_by),
            ("reversed_at", &row.reversed_at),
            ("reversal_reason", &row.reversal_reason),
        ] {
            match value {
                Some(value) => out.serialize_field(name, value)?,
                None => out.skip_field(name)?,
            }
        }
        out.end()
    }
}

/// "reversed by WHO at WHEN: reason", as every trail shows a reversal (inert).
pub fn reversal_words(by: &str, at: &str, reason: &str) -> String {
    format!("reversed by {} at {}: {}", inert(by), inert(at), inert(reason))
}

/// [`reversal_words`] of a stored correction, once it was reversed.
pub fn reversal_of(row: &AnnotationRow) -> Option<String> {
    Some(reversal_words(
        row.reversed_by.as_deref()?,
        row.reversed_at.as_deref().unwrap_or("-"),
        row.reversal_reason.as_deref().unwrap_or(""),
    ))
}

/// What a correction proposes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub amount: Money,
    pub side: Side,
    pub reason: String,
    pub reference: Option<String>,
}

/// A mismatch with its workflow state and the overlay of its accepted corrections. A key
/// with workflow state that the engine no longer reports is *cleared by data*: `mismatch`
/// is `None` and its trail is kept. `M` is the mismatch owned (what callers keep), or
/// borrowed from the caller's list (`&Mismatch`: what the workflow and the cockpit compute
/// over every mismatch of a period, without a copy of each).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MismatchView<M = Mismatch> {
    pub key: String,
    pub lane: Option<Lane>,
    pub severity: Option<Severity>,
    pub status: MismatchStatus,
    pub cleared_by_data: bool,
    /// The owner override, else the engine's owner.
    pub owner: String,
    pub owner_override: Option<String>,
    pub first_seen: Option<String>,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
    /// For stale-view checks: pass it back with a change (0 before any workflow action).
    pub version: i64,
    pub raw_variance: Money,
    pub corrected_expected: Money,
    pub corrected_actual: Money,
    pub corrected_variance: Money,
    pub corrections: Vec<Correction>,
    pub mismatch: Option<M>,
}

impl<M> MismatchView<M> {
    /// Open for the close: `open` or `in_correction`, and still reported by the engine.
    pub fn is_open(&self) -> bool {
        !self.cleared_by_data && matches!(self.status, MismatchStatus::Open | MismatchStatus::InCorrection)
    }

    /// Corrections awaiting a decision.
    pub fn pending(&self) -> impl Iterator<Item = &Correction> {
        self.corrections
            .iter()
            .filter(|c| c.status == CorrectionStatus::Proposed)
    }
}

impl MismatchView<&Mismatch> {
    /// The view with its own copy of the mismatch.
    pub fn owned(self) -> MismatchView {
        MismatchView {
            mismatch: self.mismatch.cloned(),
            key: self.key,
            lane: self.lane,
            severity: self.severity,
            status: self.status,
            cleared_by_data: self.cleared_by_data,
            owner: self.owner,
            owner_override: self.owner_override,
            first_seen: self.first_seen,
            updated_by: self.updated_by,
            updated_at: self.updated_at,
            version: self.version,
            raw_variance: self.raw_variance,
            corrected_expected: self.corrected_expected,
            corrected_actual: self.corrected_actual,
            corrected_variance: self.corrected_variance,
            corrections: self.corrections,
        }
    }
}

/// Corrected expected, actual and variance of `m` with the accepted corrections applied.
pub fn overlay(m: &Mismatch, corrections: &[Correction]) -> (Money, Money, Money) {
    let (expected, actual) = corrected(m, accepted(corrections));
    // Inside the bounds (every acceptance is checked by `past_bounds`), so exact.
    let money = |cents: i128| Money::from_cents(cents as i64);
    (money(expected), money(actual), money(actual - expected))
}

/// The side and amount of each accepted correction.
fn accepted(corrections: &[Correction]) -> impl Iterator<Item = (Side, Money)> + '_ {
    corrections
        .iter()
        .filter(|c| c.status == CorrectionStatus::Accepted)
        .map(|c| (c.side, c.amount))
}

/// Expected and actual of `m` with the `counted` corrections added, summed wide, so even a
/// file edited past the bounds cannot wrap them.
fn corrected(m: &Mismatch, counted: impl IntoIterator<Item = (Side, Money)>) -> (i128, i128) {
    let (mut expected, mut actual) = (i128::from(m.expected.cents()), i128::from(m.actual.cents()));
    for (side, amount) in counted {
        match side {
            Side::Expected => expected += i128::from(amount.cents()),
            Side::Actual => actual += i128::from(amount.cents()),
        }
    }
    (expected, actual)
}

/// The first corrected figure of `m` (expected, actual, variance) that the `counted`
/// corrections would take to 10^15 minor units or past, in absolute value: no amount of a
/// period can be that large (docs/snapshot-format.md, "Bounds"), which keeps every sum of
/// corrections exact.
fn past_bounds(m: &Mismatch, counted: impl IntoIterator<Item = (Side, Money)>) -> Option<&'static str> {
    let (expected, actual) = corrected(m, counted);
    [
        ("expected", expected),
        ("actual", actual),
        ("variance", actual - expected),
    ]
    .into_iter()
    .find(|(_, v)| v.abs() >= i128::from(MAX_ABS_CENTS))
    .map(|(name, _)| name)
}

/// The refusal of a correction that [`past_bounds`] finds too large.
fn too_large(what: String, figure: &str, key: &str) -> Refusal {
    Refusal::Invalid(format!(
        "{what} would take the corrected {figure} of {} past {}, more than any amount of a period \
         can be: propose a smaller correction",
        inert(key),
        Money::from_cents(MAX_ABS_CENTS).grouped()
    ))
}

/// The status after a decision: `resolved` when the corrected variance is zero, else
/// `in_correction` while a correction awaits a decision, else `open`.
fn status_after(corrected_variance: Money, pending: usize) -> MismatchStatus {
    if corrected_variance.is_zero() {
        MismatchStatus::Resolved
    } else if pending > 0 {
        MismatchStatus::InCorrection
    } else {
        MismatchStatus::Open
    }
}

/// Every mismatch of the reconciliation (engine order) with its workflow state, then every
/// key cleared by data.
pub fn views(snapshot: &Snapshot, mismatches: &[Mismatch]) -> Result<Vec<MismatchView>, Refusal> {
    views_from(&snapshot.workflow(), mismatches)
}

/// [`views`] within `read`'s transaction.
pub(crate) fn views_from(read: &Reader<'_>, mismatches: &[Mismatch]) -> Result<Vec<MismatchView>, Refusal> {
    Ok(views_of(read, mismatches)?
        .into_iter()
        .map(MismatchView::owned)
        .collect())
}

/// [`views_from`] borrowing the mismatches: one view per mismatch (in their order), then
/// every key cleared by data. What the workflow and the cockpit compute over a whole
/// period (a dirty one has 100,000 mismatches: no copy of each).
pub fn views_of<'m>(
    read: &Reader<'_>,
    mismatches: &'m [Mismatch],
) -> Result<Vec<MismatchView<&'m Mismatch>>, Refusal> {
    let mut states: BTreeMap<String, MismatchStateRow> = read
        .mismatch_states()?
        .into_iter()
        .map(|s| (s.key.clone(), s))
        .collect();
    let mut corrections: HashMap<String, Vec<Correction>> = HashMap::new();
    for row in read.corrections()? {
        if let Some(c) = Correction::from_row(&row) {
            corrections.entry(row.target.clone()).or_default().push(c);
        }
    }
    let mut out = Vec::with_capacity(mismatches.len());
    for m in mismatches {
        let state = states.remove(&m.key);
        let cs = corrections.remove(&m.key).unwrap_or_default();
        out.push(view_of(m.key.clone(), Some(m), state, cs));
    }
    for (key, state) in states {
        let cs = corrections.remove(&key).unwrap_or_default();
        out.push(view_of(key, None, Some(state), cs));
    }
    Ok(out)
}

/// The view of `key`: the engine's mismatch (`None`: cleared by data), its workflow state
/// (`None`: none recorded yet) and its corrections.
fn view_of<M: std::borrow::Borrow<Mismatch>>(
    key: String,
    mismatch: Option<M>,
    state: Option<MismatchStateRow>,
    corrections: Vec<Correction>,
) -> MismatchView<M> {
    let m = mismatch.as_ref().map(|m| m.borrow());
    let (raw_variance, (expected, actual, variance)) = match m {
        Some(m) => (m.variance, overlay(m, &corrections)),
        None => (Money::ZERO, (Money::ZERO, Money::ZERO, Money::ZERO)),
    };
    let mut status = state.as_ref().map_or(MismatchStatus::Open, |s| s.status);
    // A resolution holds only while the corrections still tie (the data may have changed).
    if status == MismatchStatus::Resolved && !variance.is_zero() {
        status = status_after(
            variance,
            corrections
                .iter()
                .filter(|c| c.status == CorrectionStatus::Proposed)
                .count(),
        );
    }
    let owner_override = state.as_ref().and_then(|s| s.owner_override.clone());
    MismatchView {
        // Cleared by data: the lane its key names.
        lane: m
            .map(|m| m.lane)
            .or_else(|| key.split(':').next().and_then(Lane::parse)),
        severity: m.map(|m| m.severity),
        status,
        cleared_by_data: m.is_none(),
        owner: owner_override
            .clone()
            .or_else(|| m.map(|m| m.owner.clone()))
            .unwrap_or_default(),
        owner_override,
        first_seen: state.as_ref().map(|s| s.first_seen.clone()),
        updated_by: state.as_ref().map(|s| s.updated_by.clone()),
        updated_at: state.as_ref().map(|s| s.updated_at.clone()),
        version: state.as_ref().map_or(0, |s| s.version),
        raw_variance,
        corrected_expected: expected,
        corrected_actual: actual,
        corrected_variance: variance,
        corrections,
        key,
        mismatch,
    }
}

/// The corrections proposed against mismatch `key`, read by key.
fn corrections_of(read: &Reader<'_>, key: &str) -> Result<Vec<Correction>, Refusal> {
    Ok(read
        .annotations_of(TargetKind::Mismatch, key)?
        .iter()
        .filter_map(Correction::from_row)
        .collect())
}

/// The view of the one mismatch `key` as `figures` report it, read by key (its state row
/// and its annotations): what [`views`] gives for it, in time independent of how many
/// mismatches the period has. Not found when neither the figures nor the workflow know it.
pub fn view<F: Figures + ?Sized>(
    snapshot: &Snapshot,
    figures: &F,
    key: &str,
) -> Result<MismatchView, Refusal> {
    view_in(&snapshot.workflow(), figures.mismatch(key), key).map(MismatchView::owned)
}

/// [`view`] within `read`'s transaction, of the engine's `mismatch` (`None`: not reported).
fn view_in<'m>(
    read: &Reader<'_>,
    mismatch: Option<&'m Mismatch>,
    key: &str,
) -> Result<MismatchView<&'m Mismatch>, Refusal> {
    let state = read.mismatch_state(key)?;
    if mismatch.is_none() && state.is_none() {
        return Err(not_found(key));
    }
    Ok(view_of(
        key.to_string(),
        mismatch,
        state,
        corrections_of(read, key)?,
    ))
}

/// One mismatch with its whole trail: every audit row about it, oldest first, and its
/// notes, corrections and waivers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub view: MismatchView,
    pub annotations: Vec<AnnotationRow>,
    pub trail: Vec<Entry>,
}

pub fn detail<F: Figures + ?Sized>(snapshot: &Snapshot, recon: &F, key: &str) -> Result<Detail, Refusal> {
    let read = snapshot.workflow();
    let view = view_in(&read, recon.mismatch(key), key)?.owned();
    Ok(Detail {
        annotations: read.annotations_of(TargetKind::Mismatch, key)?,
        trail: read
            .audit_log_of(&row_id("mismatch", key))?
            .into_iter()
            .map(audit::entry)
            .collect(),
        view,
    })
}

fn not_found(key: &str) -> Refusal {
    Refusal::NotFound(format!(
        "no mismatch {} in this period; `closedesk mismatch` lists them",
        inert(key)
    ))
}

/// A new annotation by `actor` at `at`, before it is stored (`id` 0), with no amount,
/// side, reference or decision yet.
pub(crate) fn new_annotation(
    target_kind: TargetKind,
    target: &str,
    kind: AnnotationKind,
    actor: &Actor,
    at: &str,
    text: &str,
) -> AnnotationRow {
    AnnotationRow {
        id: 0,
        target_kind,
        target: target.to_string(),
        kind,
        author: actor.login.clone(),
        created_at: at.to_string(),
        text: text.to_string(),
        amount: None,
        side: None,
        reference: None,
        correction_status: None,
        decided_by: None,
        decided_at: None,
        decision_note: None,
        reversed_by: None,
        reversed_at: None,
        reversal_reason: None,
    }
}

/// The before and after objects of one audit row.
#[derive(Default)]
pub(crate) struct Changes {
    pub before: Map<String, Value>,
    pub after: Map<String, Value>,
}

impl Changes {
    pub fn record(&mut self, id: String, before: Value, after: Value) {
        self.before.insert(id.clone(), before);
        self.after.insert(id, after);
    }

    /// The audit entry of `actor`'s `action` on `target` that made these changes.
    pub fn entry(self, actor: &Actor, action: &str, target: &str, text: Option<&str>) -> AuditEntry {
        AuditEntry {
            actor: actor.login.clone(),
            action: action.to_string(),
            target: target.to_string(),
            before: Value::Object(self.before),
            after: Value::Object(self.after),
            text: text.map(str::to_string),
        }
    }
}

/// Records workflow state for every mismatch the engine reports that has none yet (first
/// seen now), and marks keys the engine no longer reports as cleared by data (and back,
/// should they reappear). Each change is its own audit row. Called by the sign-off and
/// [`record_seen`]; an action on one mismatch settles that one alone ([`settle`]).
pub(crate) fn sync(
    tx: &WriteTx<'_>,
    actor: &Actor,
    mismatches: &[Mismatch],
) -> Result<Vec<Receipt>, Refusal> {
    let mut states: BTreeMap<String, MismatchStateRow> = tx
        .read()
        .mismatch_states()?
        .into_iter()
        .map(|s| (s.key.clone(), s))
        .collect();
    let mut receipts = Vec::new();
    for m in mismatches {
        let state = states.remove(&m.key);
        settle(tx, actor, &m.key, true, state, &mut receipts)?;
    }
    for (key, state) in states {
        settle(tx, actor, &key, false, Some(state), &mut receipts)?;
    }
    Ok(receipts)
}

/// Records the workflow state of `key` as the engine reports it now (`reported`), from its
/// `state` as stored: first seen now when it is reported and has none yet
/// (`mismatch.seen`); cleared by data when it is no longer reported
/// (`mismatch.cleared_by_data`), and back when it is again (`mismatch.reappeared`). Each
/// change is its own audit row, its receipt pushed on `receipts`. Gives the state as it is
/// after: `None` for a key neither reported nor known to the workflow.
fn settle(
    tx: &WriteTx<'_>,
    actor: &Actor,
    key: &str,
    reported: bool,
    state: Option<MismatchStateRow>,
    receipts: &mut Vec<Receipt>,
) -> Result<Option<MismatchStateRow>, Refusal> {
    let (after, action) = match &state {
        None if reported => (
            MismatchStateRow {
                key: key.to_string(),
                status: MismatchStatus::Open,
                owner_override: None,
                first_seen: tx.at().to_string(),
                cleared_by_data: false,
                updated_by: actor.login.clone(),
                updated_at: tx.at().to_string(),
                version: 0,
            },
            "mismatch.seen",
        ),
        Some(stored) if stored.cleared_by_data == reported => (
            MismatchStateRow {
                cleared_by_data: !reported,
                updated_by: actor.login.clone(),
                updated_at: tx.at().to_string(),
                version: stored.version + 1,
                ..stored.clone()
            },
            if reported {
                "mismatch.reappeared"
            } else {
                "mismatch.cleared_by_data"
            },
        ),
        _ => return Ok(state),
    };
    let receipt = audited(tx, actor, |w| {
        w.put_mismatch_state(&after)?;
        let mut changes = Changes::default();
        changes.record(
            after.row_id(),
            state.as_ref().map_or(Value::Null, MismatchStateRow::state),
            after.state(),
        );
        Ok(changes.entry(actor, action, &after.row_id(), None))
    })?;
    receipts.push(receipt);
    Ok(Some(after))
}

/// Records first-seen state for new mismatches and clears vanished ones (see [`sync`]); for
/// the cockpit to call when it recomputes. Needs a roster role.
pub fn record_seen<F: Figures + ?Sized>(
    snapshot: &Snapshot,
    actor: &Actor,
    recon: &F,
) -> Result<Vec<Receipt>, Refusal> {
    actor.may(Permission::AddNote)?;
    snapshot.write(|tx| {
        ensure_open(tx)?;
        sync(tx, actor, &mismatches_now(snapshot, recon)?)
    })
}

/// What an action on one mismatch has to work with inside its transaction.
struct Work<'t, 'a> {
    tx: &'t Writes<'a>,
    actor: &'t Actor,
    mismatch: Option<&'t Mismatch>,
    state: MismatchStateRow,
    view: MismatchView<&'t Mismatch>,
    changes: Changes,
}

impl Work<'_, '_> {
    /// The mismatch as the engine reports it; refused when it was cleared by data.
    fn mismatch(&self) -> Result<&Mismatch, Refusal> {
        self.mismatch.ok_or_else(|| {
            Refusal::Precondition(format!(
                "{} was cleared by data: the reconciliation no longer reports it; its trail is kept \
                 and a note can still be added",
                inert(&self.state.key)
            ))
        })
    }

    fn add_annotation(&mut self, row: AnnotationRow) -> Result<AnnotationRow, Refusal> {
        let row = self.tx.insert_annotation(&row)?;
        self.changes.record(row.row_id(), Value::Null, row.state());
        Ok(row)
    }

    fn new_annotation(&self, kind: AnnotationKind, text: &str) -> AnnotationRow {
        new_annotation(
            TargetKind::Mismatch,
            &self.state.key,
            kind,
            self.actor,
            self.tx.at(),
            text,
        )
    }

    /// Correction `id` of this mismatch.
    fn correction(&self, id: i64) -> Result<&Correction, Refusal> {
        self.view
            .corrections
            .iter()
            .find(|c| c.row.id == id)
            .ok_or_else(|| Refusal::NotFound(format!("no correction #{id} on {}", inert(&self.state.key))))
    }

    /// The correction to decide: `id`, or the only one awaiting a decision.
    fn pending_correction(&self, id: Option<i64>) -> Result<Correction, Refusal> {
        let key = inert(&self.state.key);
        let pending: Vec<&Correction> = self.view.pending().collect();
        let chosen = match id {
            Some(id) => self.correction(id)?,
            None => match pending.as_slice() {
                [only] => only,
                [] => {
                    return Err(Refusal::Precondition(format!(
                        "{key} has no correction awaiting a decision"
                    )))
                }
                many => {
                    let ids: Vec<String> = many.iter().map(|c| format!("#{}", c.row.id)).collect();
                    return Err(Refusal::Invalid(format!(
                        "{key} has {} corrections awaiting a decision ({}): say which",
                        many.len(),
                        ids.join(", ")
                    )));
                }
            },
        };
        if chosen.status != CorrectionStatus::Proposed {
            let (by, at) = match chosen.status {
                CorrectionStatus::Reversed => (&chosen.row.reversed_by, &chosen.row.reversed_at),
                _ => (&chosen.row.decided_by, &chosen.row.decided_at),
            };
            let mut why = format!(
                "correction #{} on {key} was already {} by {} at {}",
                chosen.row.id,
                chosen.status,
                inert(by.as_deref().unwrap_or("-")),
                inert(at.as_deref().unwrap_or("-")),
            );
            if chosen.status == CorrectionStatus::Reversed {
                why.push_str(": a reversed correction stays reversed; propose a new one");
            }
            return Err(Refusal::Precondition(why));
        }
        Ok(chosen.clone())
    }

    /// The accepted correction `id`, to reverse.
    fn accepted_correction(&self, id: i64) -> Result<Correction, Refusal> {
        let key = inert(&self.state.key);
        let chosen = self.correction(id)?;
        match chosen.status {
            CorrectionStatus::Accepted => Ok(chosen.clone()),
            CorrectionStatus::Reversed => Err(Refusal::Precondition(format!(
                "correction #{id} on {key} was already {}",
                chosen.reversal().unwrap_or_else(|| "reversed".into())
            ))),
            other => Err(Refusal::Precondition(format!(
                "correction #{id} on {key} is {other}, not accepted: only an accepted correction can \
                 be reversed"
            ))),
        }
    }

    /// Accepts or rejects `correction` with the decider's note, or reverses it with its
    /// reason, then sets the status the remaining overlay gives.
    fn decide(
        &mut self,
        correction: &Correction,
        status: CorrectionStatus,
        note: Option<&str>,
    ) -> Result<(), Refusal> {
        let before = self
            .tx
            .read()
            .annotation(correction.row.id)?
            .ok_or_else(|| Refusal::NotFound(format!("no correction #{}", correction.row.id)))?;
        let (by, at) = (Some(self.actor.login.clone()), Some(self.tx.at().to_string()));
        let note = note.filter(|n| !n.trim().is_empty()).map(str::to_string);
        let after = if status == CorrectionStatus::Reversed {
            AnnotationRow {
                correction_status: Some(status),
                reversed_by: by,
                reversed_at: at,
                reversal_reason: note,
                ..before.clone()
            }
        } else {
            AnnotationRow {
                correction_status: Some(status),
                decided_by: by,
                decided_at: at,
                decision_note: note,
                ..before.clone()
            }
        };
        self.tx.decide_correction(&after)?;
        self.changes.record(after.row_id(), before.state(), after.state());
        for c in self.view.corrections.iter_mut().filter(|c| c.row.id == after.id) {
            c.status = status;
            c.row = after.clone();
        }
        let mismatch = self.mismatch()?;
        // Rejecting changes no accepted correction; accepting or reversing one must leave the
        // accepted ones inside the bounds.
        if status != CorrectionStatus::Rejected {
            if let Some(figure) = past_bounds(mismatch, accepted(&self.view.corrections)) {
                let doing = if status == CorrectionStatus::Reversed {
                    "reversing"
                } else {
                    "accepting"
                };
                let what = format!("{doing} correction #{}", correction.row.id);
                return Err(too_large(what, figure, &self.state.key));
            }
        }
        let (_, _, variance) = overlay(mismatch, &self.view.corrections);
        self.state.status = status_after(variance, self.view.pending().count());
        Ok(())
    }
}

/// One mismatch as an action addresses it: who acts, on which key of which figures, and
/// the version the actor last saw. `mismatches::on(&snapshot, &actor, &recon, key).note("…")`;
/// `.seen(Some(v))` first refuses the action when the mismatch changed since version `v`.
pub struct On<'a, F: Figures + ?Sized> {
    snapshot: &'a Snapshot,
    actor: &'a Actor,
    recon: &'a F,
    key: &'a str,
    seen_version: Option<i64>,
}

impl<F: Figures + ?Sized> Clone for On<'_, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F: Figures + ?Sized> Copy for On<'_, F> {}

/// Why a mismatch in `status` takes no `permission` action, when it takes none: a waived or
/// resolved mismatch has nothing to correct or waive. The one rule: the actions below refuse
/// by it, and the cockpit shows it beside the key it disables.
pub fn closed_to(status: MismatchStatus, permission: Permission) -> Option<String> {
    match (permission, status) {
        (Permission::ProposeCorrection, MismatchStatus::Waived) => {
            Some("waived: there is nothing to correct".into())
        }
        (Permission::ProposeCorrection, MismatchStatus::Resolved) => {
            Some(format!("resolved: its corrected variance is {}", Money::ZERO))
        }
        (Permission::Waive, MismatchStatus::Waived) => Some("already waived".into()),
        (Permission::Waive, MismatchStatus::Resolved) => Some("resolved: there is nothing to waive".into()),
        (Permission::Waive, MismatchStatus::InCorrection) => {
            Some("waiving waits: accept or send back the correction first".into())
        }
        // Resolved: a correction still waiting beside the accepted ones is sent back, not
        // accepted on top of them (that would move a variance of 0.00 off again).
        (Permission::AcceptCorrection, MismatchStatus::Resolved) => Some(format!(
            "resolved: its corrected variance is {}; a correction still waiting is sent back (or reverse an \
             accepted one first)",
            Money::ZERO
        )),
        (Permission::AcceptCorrection, status) if status != MismatchStatus::InCorrection => {
            Some("no correction awaits a decision".into())
        }
        // A resolved mismatch may still have a correction proposed beside the one accepted:
        // it is sent back (a sign-off waits for every correction to be decided).
        (Permission::RejectCorrection, status)
            if !matches!(status, MismatchStatus::InCorrection | MismatchStatus::Resolved) =>
        {
            Some("no correction awaits a decision".into())
        }
        _ => None,
    }
}

/// Mismatch `key` of `recon`, for `actor` to act on (see [`On`]).
pub fn on<'a, F: Figures + ?Sized>(
    snapshot: &'a Snapshot,
    actor: &'a Actor,
    recon: &'a F,
    key: &'a str,
) -> On<'a, F> {
    On {
        snapshot,
        actor,
        recon,
        key,
        seen_version: None,
    }
}

impl<F: Figures + ?Sized> On<'_, F> {
    /// Refuses the action when the mismatch's stored version is no longer `seen_version`
    /// (`None`: acts on whatever is stored now).
    pub fn seen(self, seen_version: Option<i64>) -> Self {
        On { seen_version, ..self }
    }

    /// Runs one action on one mismatch in one transaction: checks the role, then the input
    /// (`valid`: the action's own check of what was typed, refused before anything is
    /// read), the lock and the version the caller saw, then `change`, then stores the
    /// state and the audit row. The
    /// key is validated against the mismatches as of the transaction ([`mismatch_now`]); the
    /// action reads that mismatch's state and annotations by key and settles that key alone
    /// ([`settle`]): it costs the same whatever the number of mismatches in the period.
    fn act(
        &self,
        permission: Permission,
        action: &str,
        input: &str,
        valid: Result<(), Refusal>,
        change: impl FnOnce(&mut Work<'_, '_>) -> Result<Option<String>, Refusal>,
    ) -> Result<Receipt, Refusal> {
        let On {
            snapshot,
            actor,
            recon,
            key,
            seen_version,
        } = *self;
        actor.may(permission)?;
        valid?;
        let result = snapshot.write(|tx| {
            ensure_open(tx)?;
            let mismatch = mismatch_now(snapshot, recon, key)?;
            let mismatch = mismatch.as_deref();
            let stored = tx.read().mismatch_state(key)?;
            // A stale view is a conflict, unless the change is refused anyway for a reason of
            // its own (the correction it decides was decided meanwhile): that reason says more,
            // so it comes first. Either way nothing is written (an error rolls back). The
            // caller read the state as stored (a view shows the stored version, 0 with none):
            // it is checked against that, naming who stored it — not against what `settle`
            // records for this very action (first seen, cleared by data, reappeared), which
            // named the actor and now as the changer.
            let stale = check_version(
                || format!("mismatch {}", inert(key)),
                seen_version,
                stored.as_ref().map_or(0, |s| s.version),
                stored
                    .as_ref()
                    .map(|s| (s.updated_by.as_str(), s.updated_at.as_str())),
            )
            .err();
            let Some(state) = settle(tx, actor, key, mismatch.is_some(), stored, &mut Vec::new())? else {
                return Err(not_found(key));
            };
            let view = view_in(&tx.read(), mismatch, key)?;
            audited(tx, actor, |w| {
                let mut work = Work {
                    tx: w,
                    actor,
                    mismatch,
                    state: state.clone(),
                    view,
                    changes: Changes::default(),
                };
                let text = change(&mut work)?;
                if let Some(conflict) = stale {
                    return Err(conflict);
                }
                let mut after = work.state;
                after.updated_by = actor.login.clone();
                after.updated_at = w.at().to_string();
                after.version = state.version + 1;
                w.put_mismatch_state(&after)?;
                let mut changes = Changes::default();
                changes.record(after.row_id(), state.state(), after.state());
                // The mismatch's own state first, then the annotations the action wrote.
                changes.before.extend(work.changes.before);
                changes.after.extend(work.changes.after);
                Ok(changes.entry(actor, action, &after.row_id(), text.as_deref()))
            })
        });
        result.map_err(|e| e.keeping(input))
    }

    /// Adds a note to a mismatch's trail (also allowed once it was cleared by data).
    pub fn note(&self, text: &str) -> Result<Receipt, Refusal> {
        let valid = require_text("the note", text);
        self.act(Permission::AddNote, "mismatch.note", text, valid, |w| {
            let row = w.new_annotation(AnnotationKind::Note, text);
            w.add_annotation(row)?;
            Ok(Some(text.to_string()))
        })
    }

    /// Proposes a correction; the mismatch moves to `in_correction`.
    pub fn propose(&self, proposal: &Proposal) -> Result<Receipt, Refusal> {
        let valid = require_text("the reason for the correction", &proposal.reason).and_then(|()| {
            if proposal.amount.is_zero() {
                return Err(Refusal::Invalid(
                    "a correction of 0.00 changes nothing: give the amount to add to the expected or actual figure"
                        .into(),
                ));
            }
            Ok(())
        });
        self.act(
            Permission::ProposeCorrection,
            "mismatch.propose",
            &proposal.reason,
            valid,
            |w| {
                w.mismatch()?;
                let key = inert(self.key);
                if let Some(why) = closed_to(w.state.status, Permission::ProposeCorrection) {
                    return Err(Refusal::Precondition(format!("{key} is {why}")));
                }
                let with_it = accepted(&w.view.corrections).chain([(proposal.side, proposal.amount)]);
                if let Some(figure) = past_bounds(w.mismatch()?, with_it) {
                    let what = format!("a correction of {}", proposal.amount.grouped());
                    return Err(too_large(what, figure, self.key));
                }
                let mut row = w.new_annotation(AnnotationKind::Correction, &proposal.reason);
                row.amount = Some(proposal.amount);
                row.side = Some(proposal.side);
                row.reference = proposal.reference.clone();
                row.correction_status = Some(CorrectionStatus::Proposed);
                w.add_annotation(row)?;
                w.state.status = MismatchStatus::InCorrection;
                Ok(Some(proposal.reason.clone()))
            },
        )
    }

    /// Accepts a proposed correction (`id`, or the only one awaiting a decision). Four-eyes: the
    /// person who proposed it cannot accept it.
    pub fn accept(&self, id: Option<i64>, note: Option<&str>) -> Result<Receipt, Refusal> {
        self.act(
            Permission::AcceptCorrection,
            "mismatch.accept",
            note.unwrap_or(""),
            Ok(()),
            |w| {
                w.mismatch()?;
                if let Some(why) = closed_to(w.state.status, Permission::AcceptCorrection)
                    .filter(|_| w.state.status == MismatchStatus::Resolved)
                {
                    return Err(Refusal::Precondition(format!("{} is {why}", inert(self.key))));
                }
                let correction = w.pending_correction(id)?;
                may_accept(&self.actor.login, &correction.row.author, correction.row.id)?;
                w.decide(&correction, CorrectionStatus::Accepted, note)?;
                Ok(note.map(str::to_string))
            },
        )
    }

    /// Rejects a proposed correction; it stays in the trail as rejected.
    pub fn reject(&self, id: Option<i64>, reason: Option<&str>) -> Result<Receipt, Refusal> {
        self.act(
            Permission::RejectCorrection,
            "mismatch.reject",
            reason.unwrap_or(""),
            Ok(()),
            |w| {
                w.mismatch()?;
                let correction = w.pending_correction(id)?;
                w.decide(&correction, CorrectionStatus::Rejected, reason)?;
                Ok(reason.map(str::to_string))
            },
        )
    }

    /// Reverses accepted correction `id` (a reviewer or lead) with a reason of at least 20
    /// characters: it no longer counts in the overlay, and the mismatch takes the status the
    /// remaining corrections give (`resolved` while they still tie, else `in_correction` while
    /// one awaits a decision, else `open`; a waiver, decided on the variance with it, lapses
    /// likewise). The earlier audit rows are untouched: the reversal is a row of its own. A
    /// reversed correction cannot be accepted again; a new one can be proposed.
    pub fn reverse(&self, id: i64, reason: &str) -> Result<Receipt, Refusal> {
        let valid = require_reason("a reversal", reason);
        self.act(
            Permission::ReverseCorrection,
            "mismatch.reverse",
            reason,
            valid,
            |w| {
                w.mismatch()?;
                let correction = w.accepted_correction(id)?;
                w.decide(&correction, CorrectionStatus::Reversed, Some(reason))?;
                Ok(Some(reason.to_string()))
            },
        )
    }

    /// Waives a mismatch with a reason of at least 20 characters. Needs a reviewer or lead.
    pub fn waive(&self, reason: &str) -> Result<Receipt, Refusal> {
        let valid = require_reason("a waiver", reason);
        self.act(Permission::Waive, "mismatch.waive", reason, valid, |w| {
            w.mismatch()?;
            let key = inert(self.key);
            // The waiting correction by number first (`closed_to` says it in general).
            if let Some(c) = w.view.pending().next() {
                return Err(Refusal::Precondition(format!(
                    "correction #{} on {key} awaits a decision: accept or reject it before waiving",
                    c.row.id
                )));
            }
            if let Some(why) = closed_to(w.state.status, Permission::Waive) {
                let mut why = format!("{key} is {why}");
                if w.state.status == MismatchStatus::Waived {
                    // Who waived it: the latest waiver's author, not whoever last touched
                    // the mismatch (a note after the waiver, an owner assigned).
                    let waivers = w.tx.read().annotations_of(TargetKind::Mismatch, self.key)?;
                    if let Some(waiver) = waivers.iter().rev().find(|a| a.kind == AnnotationKind::Waiver) {
                        why.push_str(&format!(
                            " (by {} at {})",
                            inert(&waiver.author),
                            inert(&waiver.created_at)
                        ));
                    }
                }
                return Err(Refusal::Precondition(why));
            }
            let row = w.new_annotation(AnnotationKind::Waiver, reason);
            w.add_annotation(row)?;
            w.state.status = MismatchStatus::Waived;
            Ok(Some(reason.to_string()))
        })
    }

    /// Assigns an owner to a mismatch, overriding the lane owner.
    pub fn assign(&self, owner: &str) -> Result<Receipt, Refusal> {
        let valid = require_filled("the owner", owner, "name who owns it (a login or an address)");
        self.act(Permission::AssignOwner, "mismatch.assign", owner, valid, |w| {
            w.mismatch()?;
            w.state.owner_override = Some(owner.to_string());
            Ok(None)
        })
    }
}

/// Four-eyes: whoever proposed correction `id` (`author`) cannot also accept it. The
/// cockpit asks this before the accept note is written, the accept itself again.
pub fn may_accept(login: &str, author: &str, id: i64) -> Result<(), Refusal> {
    if login == author {
        return Err(Refusal::FourEyes(format!(
            "{} proposed correction #{id} and cannot also accept it; another reviewer or lead must",
            inert(login)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_correction() -> AnnotationRow {
        AnnotationRow {
            id: 7,
            amount: Some(Money::from_cents(-975)),
            side: Some(Side::Actual),
            reference: Some("JE-1042".into()),
            correction_status: Some(CorrectionStatus::Accepted),
            decided_by: Some("rita".into()),
            decided_at: Some("2026-04-02T10:00:00Z".into()),
            decision_note: Some("ties to JE-1042".into()),
            ..new_annotation(
                TargetKind::Mismatch,
                "exports:GL-1:ar-total",
                AnnotationKind::Correction,
                &Actor {
                    login: "tlin".into(),
                    display_name: None,
                    role: None,
                    proof: Default::default(),
                },
                "2026-04-01T09:00:00Z",
                "netted twice",
            )
        }
    }

    #[test]
    fn a_correction_gives_its_annotation_under_the_correction_names_and_only_the_set_decision_fields() {
        let c = Correction::from_row(&stored_correction()).unwrap();
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"id":7,"author":"tlin","created_at":"2026-04-01T09:00:00Z","amount":-9.75,"side":"actual","reason":"netted twice","reference":"JE-1042","status":"accepted","decided_by":"rita","decided_at":"2026-04-02T10:00:00Z","decision_note":"ties to JE-1042"}"#
        );
    }

    #[test]
    fn an_annotation_that_is_not_a_whole_correction_is_none() {
        let note = AnnotationRow {
            kind: AnnotationKind::Note,
            ..stored_correction()
        };
        assert_eq!(Correction::from_row(&note), None);
        let no_amount = AnnotationRow {
            amount: None,
            ..stored_correction()
        };
        assert_eq!(Correction::from_row(&no_amount), None);
    }

    #[test]
    fn a_key_cleared_by_data_keeps_its_state_and_takes_its_lane_from_the_key() {
        let state = MismatchStateRow {
            key: "exports:GL-1:ar-total".into(),
            status: MismatchStatus::Resolved,
            owner_override: Some("gl-team".into()),
            first_seen: "2026-04-01T09:00:00Z".into(),
            cleared_by_data: true,
            updated_by: "rita".into(),
            updated_at: "2026-04-02T10:00:00Z".into(),
            version: 3,
        };
        let corrections = vec![Correction::from_row(&stored_correction()).unwrap()];
        let v = view_of::<Mismatch>(state.key.clone(), None, Some(state.clone()), corrections.clone());
        assert_eq!(
            (v.lane, v.severity, v.status, v.cleared_by_data, v.is_open()),
            (Some(Lane::Exports), None, MismatchStatus::Resolved, true, false)
        );
        assert_eq!(
            (v.owner.as_str(), v.owner_override.as_deref()),
            ("gl-team", Some("gl-team"))
        );
        assert_eq!(
            (
                v.first_seen.as_deref(),
                v.updated_by.as_deref(),
                v.updated_at.as_deref(),
                v.version
            ),
            (
                Some("2026-04-01T09:00:00Z"),
                Some("rita"),
                Some("2026-04-02T10:00:00Z"),
                3
            )
        );
        assert_eq!(
            [
                v.raw_variance,
                v.corrected_expected,
                v.corrected_actual,
                v.corrected_variance
            ],
            [Money::ZERO; 4]
        );
        assert_eq!((v.corrections, v.mismatch), (corrections, None));
        let no_override = MismatchStateRow {
            owner_override: None,
            ..state
        };
        let v = view_of::<Mismatch>("nowhere:X:y".into(), None, Some(no_override), Vec::new());
        assert_eq!((v.lane, v.owner.as_str()), (None, ""));
    }
}
