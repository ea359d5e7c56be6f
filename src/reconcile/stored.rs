//! Stored results (docs/reconciliation.md, "Stored results"): the engine's output is a pure
//! function of the source tables, so the [`Overview`] of the last one computed is kept in
//! the snapshot (`reconcile_cache`) with the source generation it was computed from, and
//! reused while that generation — and the closedesk version and stored format — are
//! unchanged.
//!
//! The overview is stored as rows (schema 3): one per mismatch (its figures as integer
//! minor units, the rest as JSON with its hash) and one per block of step figures, keyed by
//! the source generation; the header row's `result` is the digest of those rows and its
//! checksum covers it, so a row edited by hand makes the whole result count as none. `status`
//! counts and totals the open mismatches with SQL over the rows, without reading their JSON.
//!
//! Only the overview is stored: the per-subject lists (each account's roll-forward and
//! aged balance, each adjustment) are most of a reconciliation at scale — 16 MB of JSON of
//! a 1M-invoice period against 0.5 MB — and nothing that reads a stored result shows them;
//! the commands that do (`reconcile`, exports, sign-off) run the engine.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::mismatch::{SourceRef, CHECKS};
use super::{run, run_checks, Mismatch, Overview, Reconciliation};
use crate::digest::hex;
use crate::money::Money;
use crate::snapshot::cache::{OpenCounts, StoredMismatch, StoredRow};
use crate::snapshot::model::{Lane, PeriodStatus, Severity};
use crate::snapshot::Snapshot;

/// SHA-256 (lowercase hex) of a stored row's generation, version and result, each
/// length-prefixed: what `checksum` holds. A one-line `UPDATE` of the result with the
/// `sqlite3` tool no longer matches it, and the row counts as none.
pub fn checksum(generation: i64, version: &str, result: &str) -> String {
    let mut hash = Sha256::new();
    for part in ["closedesk.stored.v1", &generation.to_string(), version, result] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hex(&hash.finalize())
}

/// SHA-256 (lowercase hex) of a stored row's generation, version, result and the edit
/// counter its store left (schema 5), each length-prefixed: what `checksum` holds since.
pub fn sealed_checksum(generation: i64, version: &str, result: &str, edits: i64) -> String {
    let mut hash = Sha256::new();
    for part in [
        "closedesk.stored.v2",
        &generation.to_string(),
        version,
        result,
        &edits.to_string(),
    ] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hex(&hash.finalize())
}

/// Whether a stored row still matches the checksum it was stored with (over its edit
/// counter too: a row without one is of an earlier format).
fn unedited(row: &StoredRow) -> bool {
    row.edits.is_some_and(|edits| {
        row.checksum.as_deref()
            == Some(sealed_checksum(row.generation, &row.version, &row.result, edits).as_str())
    })
}

/// Whether the rows of the stored result `row` (whose checksum was checked) are as its
/// store left them, in O(1): the edit counter, which every insert, update or delete of
/// those rows bumps (triggers, whoever writes) and which only counts up, is still where
/// the store left it, and the triggers are all there as created. A row edited with the
/// `sqlite3` tool fails this; [`check_stored`] (`verify`) also digests every row.
fn sealed(snapshot: &Snapshot, row: &StoredRow) -> rusqlite::Result<bool> {
    Ok(row.edits.is_some()
        && snapshot.stored_edits().ok() == row.edits
        && snapshot.sealing_triggers_intact()?)
}

/// The part of a mismatch stored as JSON in its row's `detail`; the rest has columns.
#[derive(Serialize, Deserialize)]
struct MismatchDetail {
    title: String,
    next_action: String,
    expected_rows: Vec<SourceRef>,
    actual_rows: Vec<SourceRef>,
}

/// SHA-256 (lowercase hex) of `text`.
fn sha(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// The digest of a stored result's rows, in order, each column length-prefixed: every step
/// row (name, figures), then every mismatch row's columns and the hash of its `detail`
/// (which whoever reads the detail checks). The header's `result` holds it.
struct RowsDigest(Sha256);

impl RowsDigest {
    fn new() -> RowsDigest {
        let mut digest = RowsDigest(Sha256::new());
        digest.part("closedesk.stored-rows.v1");
        digest
    }

    fn part(&mut self, part: &str) {
        self.0.update((part.len() as u64).to_be_bytes());
        self.0.update(part.as_bytes());
    }

    fn step(&mut self, name: &str, figures: &str) {
        self.part("step");
        self.part(name);
        self.part(figures);
    }

    fn mismatch(&mut self, m: &StoredMismatch) {
        self.part("mismatch");
        for part in [&m.key, &m.lane, &m.subject, &m.check, &m.severity] {
            self.part(part);
        }
        for cents in [m.expected_cents, m.actual_cents, m.variance_cents] {
            self.part(&cents.to_string());
        }
        self.part(&m.owner);
        self.part(&m.detail_hash);
    }

    fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

/// An overview as rows: its step figures (the period, the headline, each step of `steps`,
/// the aged AR — one JSON each, in the overview's order) and one row per mismatch.
/// Step rows: (name, JSON figures), in order.
type StepRows = Vec<(String, String)>;

fn rows_of(overview: &Overview) -> serde_json::Result<(StepRows, Vec<StoredMismatch>)> {
    let Value::Object(fields) = serde_json::to_value(overview)? else {
        return Err(serde::ser::Error::custom("an overview is an object"));
    };
    let mut steps = Vec::new();
    for (name, value) in fields {
        match (name.as_str(), value) {
            ("mismatches", _) => {}
            ("steps", Value::Object(each)) => {
                for (step, figures) in each {
                    steps.push((format!("steps.{step}"), serde_json::to_string(&figures)?));
                }
            }
            (_, value) => steps.push((name, serde_json::to_string(&value)?)),
        }
    }
    let mut mismatches = Vec::with_capacity(overview.mismatches.len());
    for m in &overview.mismatches {
        let detail = serde_json::to_string(&MismatchDetail {
            title: m.title.clone(),
            next_action: m.next_action.clone(),
            expected_rows: m.expected_rows.clone(),
            actual_rows: m.actual_rows.clone(),
        })?;
        mismatches.push(StoredMismatch {
            key: m.key.clone(),
            lane: m.lane.as_str().to_string(),
            subject: m.subject.clone(),
            check: m.check.to_string(),
            severity: m.severity.as_str().to_string(),
            expected_cents: m.expected.cents(),
            actual_cents: m.actual.cents(),
            variance_cents: m.variance.cents(),
            owner: m.owner.clone(),
            detail_hash: sha(&detail),
            detail,
        });
    }
    Ok((steps, mismatches))
}

/// The overview of its step rows, without mismatches; `None` when they do not read back.
fn overview_of_steps(steps: &[(String, String)]) -> Option<Overview> {
    let mut fields = Map::new();
    let mut each = Map::new();
    for (name, figures) in steps {
        let value: Value = serde_json::from_str(figures).ok()?;
        match name.strip_prefix("steps.") {
            Some(step) => {
                each.insert(step.to_string(), value);
            }
            None => {
                fields.insert(name.clone(), value);
            }
        }
    }
    fields.insert("steps".into(), Value::Object(each));
    fields.insert("mismatches".into(), Value::Array(Vec::new()));
    serde_json::from_value(Value::Object(fields)).ok()
}

/// A mismatch of its row, when the row reads back and its detail matches its hash.
fn mismatch_of(row: StoredMismatch) -> Option<Mismatch> {
    if sha(&row.detail) != row.detail_hash {
        return None;
    }
    let detail: MismatchDetail = serde_json::from_str(&row.detail).ok()?;
    Some(Mismatch {
        title: detail.title,
        next_action: detail.next_action,
        expected_rows: detail.expected_rows,
        actual_rows: detail.actual_rows,
        ..compact_of(row)?
    })
}

/// Reads the rows of the stored result `header` (whose checksum was checked) whole: the
/// overview when they are sealed ([`sealed`]) and, with `digest`, match the header's digest
/// too, and read back; `None` when a row was edited (or does not read back) — then the
/// result counts as none.
fn read_rows(snapshot: &Snapshot, header: &StoredRow, digest: bool) -> rusqlite::Result<Option<Overview>> {
    if !sealed(snapshot, header)? {
        return Ok(None);
    }
    let check = digest;
    let steps = snapshot.stored_steps(header.generation)?;
    let mut digest = RowsDigest::new();
    for (name, figures) in &steps {
        digest.step(name, figures);
    }
    let mut mismatches = Vec::new();
    let mut readable = true;
    snapshot.stored_mismatches(header.generation, true, |row| {
        if check {
            digest.mismatch(&row);
        }
        match mismatch_of(row) {
            Some(m) if readable => mismatches.push(m),
            _ => readable = false,
        }
        Ok(())
    })?;
    if !readable || (check && digest.finish() != header.result) {
        return Ok(None);
    }
    Ok(overview_of_steps(&steps).map(|overview| Overview {
        mismatches,
        ..overview
    }))
}

/// SHA-256 (lowercase hex) of an overview's JSON, as a sign-off records it.
pub fn overview_hash(overview: &Overview) -> String {
    let json = serde_json::to_string(overview).expect("an overview serializes");
    hex(&Sha256::digest(json.as_bytes()))
}

/// Whether a stored overview may be shown for the period as it is: a signed-off period's
/// must be the overview its latest sign-off recorded (a sign-off before schema 2 recorded
/// none; its stored overview is trusted as before).
fn agrees_with_signoff(snapshot: &Snapshot, overview: &Overview) -> rusqlite::Result<bool> {
    let read = snapshot.workflow();
    if read.period_state()?.status != PeriodStatus::SignedOff {
        return Ok(true);
    }
    Ok(match read.latest_signoff()?.and_then(|s| s.overview_hash) {
        Some(signed) => overview_hash(overview) == signed,
        None => true,
    })
}

/// The `version` of a stored result: the closedesk version whose engine computed it, and
/// the format and rules it is stored with (`+rows.9`: an [`Overview`] as rows sealed by
/// the edit counter, with ledger rows held to what they record, usage lines to their
/// events to window end, credits paid out by refund rows to window end, and cash applied
/// to an invoice posted after window end a `target` break, a program's statements held to its
/// fees together, missing ledger rows held as 0.00, and the ledger rows of an application to
/// a draft left to its `target` break, the rows of a voided invoice's disbursements held
/// apart from its void, a reversal unwound on another day left to its `unrecorded`
/// finding, a `rerating` event billed on a line its open exception only, and a posting or
/// void the ledger dates across window start from its invoice a finding, and a credit
/// reversal's refund rows, on any account, held to what a payout of it can be, and a
/// reversal's or chargeback's wrong rows explained undo by undo on the accounts and
/// invoices they stand on, with traces and next actions that name what an expected figure
/// is made of; `+rows.8`, `+rows.7`, `+rows.6`,
/// `+rows.5` and
/// `+rows.4` the same with the rules before; `+rows.3` the same with the rules before, schema 5; `+rows.2` the
/// same rows sealed by a digest read back each
/// time, schema 3, with "a wrong ledger row is one finding"; `+rows.1` had the rules
/// before it — bump the
/// suffix whenever an engine rule changes what a period reports). A row of any
/// other version or format counts as none — another closedesk's, or a whole
/// reconciliation stored under the bare version by the builds before the overview, which
/// must not be read as an overview. `overview.2` (the JSON of an overview, the engine of
/// issue 13) and `overview.1` (earlier rules) were one JSON blob; schema 3 drops them.
/// `.minor`: amounts in the currency's decimals (before, two whatever the currency).
pub const STORED_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+rows.10.minor");

/// Where a reconciliation came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// The stored result, current for the source data as it is now.
    Stored { computed_at: String },
    /// Computed now by the engine.
    Computed,
}

/// A stored result of this version, current or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub overview: Overview,
    pub computed_at: String,
    /// Whether the source data is unchanged since it was computed.
    pub current: bool,
}

/// The stored result, if this version stored one that can be read back — current or
/// stale (the cockpit draws a stale one while it recomputes).
pub fn stored(snapshot: &Snapshot) -> rusqlite::Result<Option<Stored>> {
    stored_as(snapshot, STORED_VERSION)
}

fn stored_as(snapshot: &Snapshot, version: &str) -> rusqlite::Result<Option<Stored>> {
    let read = snapshot.begin_read()?;
    let (Ok(generation), Ok(row)) = (snapshot.source_generation(), snapshot.stored_reconciliation()) else {
        // A file made before stored results existed.
        read.finish()?;
        return Ok(None);
    };
    let Some(row) = row else {
        read.finish()?;
        return Ok(None);
    };
    let overview = readable(snapshot, &row, version)?;
    read.finish()?;
    Ok(overview.map(|overview| Stored {
        overview,
        computed_at: row.computed_at,
        current: row.generation == generation,
    }))
}

/// The overview of a stored result, when this version stored it in this format, its
/// checksum and rows are as stored and it reads back; anything else (another version or
/// format, a row edited by hand, a result this build cannot read) is as good as none.
fn readable(snapshot: &Snapshot, row: &StoredRow, version: &str) -> rusqlite::Result<Option<Overview>> {
    if row.version != version || !unedited(row) {
        return Ok(None);
    }
    read_rows(snapshot, row, false)
}

/// What `status` needs of the stored result, read without the mismatches' JSON: the
/// overview without its mismatches, and the open ones counted and totalled by SQL with the
/// workflow overlay. `None` when there is no current stored result of this version whose
/// rows are as stored, and for a signed-off period (whose stored overview must also be the
/// one its sign-off recorded: [`stored_or_run`] checks that) — the caller then takes
/// [`stored_or_run`].
pub fn stored_counts(snapshot: &Snapshot) -> rusqlite::Result<Option<(Overview, OpenCounts)>> {
    in_own_read(snapshot, || {
        let Some((generation, _)) = sealed_current(snapshot)? else {
            return Ok(None);
        };
        let steps = snapshot.stored_steps(generation)?;
        match overview_of_steps(&steps).filter(|o| o.period.status != PeriodStatus::SignedOff) {
            Some(overview) => Ok(Some((overview, snapshot.stored_open_counts(generation)?))),
            None => Ok(None),
        }
    })
}

/// The stored result of a large period as the cockpit reads it in two steps
/// ([`stored_first`], [`stored_compact`]): current, of this version, sealed, and not
/// signed off (a signed-off period's overview must be checked whole against its sign-off:
/// [`stored_or_run`]); its step overview and the totals per lane and severity.
struct LargeStored {
    generation: i64,
    overview: Overview,
    /// (lane, severity, mismatches, Σ |variance| in minor units), as stored.
    totals: Vec<(Lane, Severity, i64, i64)>,
}

/// The stored result's header and its source generation, inside the caller's read
/// transaction, when it is current, of this version and sealed (its rows as stored).
fn sealed_current(snapshot: &Snapshot) -> rusqlite::Result<Option<(i64, StoredRow)>> {
    let (Ok(generation), Ok(Some(row))) = (snapshot.source_generation(), snapshot.stored_reconciliation())
    else {
        return Ok(None);
    };
    if row.generation != generation
        || row.version != STORED_VERSION
        || !unedited(&row)
        || !sealed(snapshot, &row)?
    {
        return Ok(None);
    }
    Ok(Some((generation, row)))
}

/// Reads [`LargeStored`] inside the caller's read transaction; `None` when there is no such
/// result, or it has at most `whole_up_to` mismatches (the cockpit reads those whole).
fn large_stored(snapshot: &Snapshot, whole_up_to: usize) -> rusqlite::Result<Option<LargeStored>> {
    let Some((generation, _)) = sealed_current(snapshot)? else {
        return Ok(None);
    };
    let mut totals = Vec::new();
    for (lane, severity, count, variance) in snapshot.stored_totals(generation)? {
        let (Some(lane), Some(severity)) = (Lane::parse(&lane), Severity::parse(&severity)) else {
            return Ok(None);
        };
        totals.push((lane, severity, count, variance));
    }
    let count: i64 = totals.iter().map(|t| t.2).sum();
    if usize::try_from(count).unwrap_or(0) <= whole_up_to {
        return Ok(None);
    }
    let steps = snapshot.stored_steps(generation)?;
    Ok(overview_of_steps(&steps)
        .filter(|o| o.period.status != PeriodStatus::SignedOff)
        .map(|overview| LargeStored {
            generation,
            overview,
            totals,
        }))
}

/// Runs `read` inside one read transaction of its own: `None` (nothing read) when the
/// connection is already inside a transaction.
fn in_own_read<T>(
    snapshot: &Snapshot,
    read: impl FnOnce() -> rusqlite::Result<Option<T>>,
) -> rusqlite::Result<Option<T>> {
    if !snapshot.conn().is_autocommit() {
        return Ok(None);
    }
    let transaction = snapshot.begin_read()?;
    let out = read()?;
    transaction.finish()?;
    Ok(out)
}

/// Runs `read` on [`LargeStored`] inside one read transaction of its own: `None` inside the
/// caller's transaction, when there is no large stored result, or when `read` says so.
fn in_large_stored<T>(
    snapshot: &Snapshot,
    whole_up_to: usize,
    read: impl FnOnce(LargeStored) -> rusqlite::Result<Option<T>>,
) -> rusqlite::Result<Option<T>> {
    in_own_read(snapshot, || match large_stored(snapshot, whole_up_to)? {
        Some(large) => read(large),
        None => Ok(None),
    })
}

/// The mismatches the workflow overlay touches and the first `first` in the cockpit's
/// order, each whole, by key; `None` when one of them cannot be read.
fn first_whole(
    snapshot: &Snapshot,
    generation: i64,
    first: usize,
) -> rusqlite::Result<Option<HashMap<String, Mismatch>>> {
    let mut whole = HashMap::new();
    let mut readable = true;
    let first = i64::try_from(first).unwrap_or(i64::MAX);
    snapshot.stored_first_mismatches(generation, first, |row| {
        match mismatch_of(row) {
            Some(m) => {
                whole.insert(m.key.clone(), m);
            }
            None => readable = false,
        }
        Ok(())
    })?;
    Ok(readable.then_some(whole))
}

/// The first frame of a large period's cockpit: the stored overview whose mismatches are
/// the ones the workflow overlay touches and the first `first` in the cockpit's order (each
/// whole, once), and the totals of all of them per lane and severity — read by SQL, in
/// time independent of how many mismatches there are. `None` unless the stored result is
/// current, sealed, not signed off and has more than `whole_up_to` mismatches.
pub fn stored_first(
    snapshot: &Snapshot,
    first: usize,
    whole_up_to: usize,
) -> rusqlite::Result<Option<FirstPage>> {
    in_large_stored(snapshot, whole_up_to, |large| {
        let Some(whole) = first_whole(snapshot, large.generation, first)? else {
            return Ok(None);
        };
        let mut mismatches: Vec<Mismatch> = whole.into_values().collect();
        mismatches.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Some(FirstPage {
            overview: Overview {
                mismatches,
                ..large.overview
            },
            totals: large.totals,
        }))
    })
}

/// [`stored_first`]'s answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstPage {
    /// The stored overview with the touched and the first mismatches only.
    pub overview: Overview,
    /// Every stored mismatch counted per (lane, severity), with Σ |variance| in minor units.
    pub totals: Vec<(Lane, Severity, i64, i64)>,
}

/// Every mismatch of a large period's stored result, compact: its figures, owner and key
/// whole, its title, next action and source rows (the `detail` JSON, most of a row) left
/// empty — except for the mismatches the workflow overlay touches and the first `first` in
/// the cockpit's order, which are whole. [`stored_detail`] reads one whole when it is
/// opened. Same conditions as [`stored_first`].
pub fn stored_compact(
    snapshot: &Snapshot,
    first: usize,
    whole_up_to: usize,
) -> rusqlite::Result<Option<Overview>> {
    in_large_stored(snapshot, whole_up_to, |large| {
        let Some(mut whole) = first_whole(snapshot, large.generation, first)? else {
            return Ok(None);
        };
        let count: i64 = large.totals.iter().map(|t| t.2).sum();
        let mut mismatches = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        let mut readable = true;
        snapshot.stored_mismatches(large.generation, false, |row| {
            if let Some(m) = whole.remove(&row.key) {
                mismatches.push(m);
                return Ok(());
            }
            match compact_of(row) {
                Some(m) => mismatches.push(m),
                None => readable = false,
            }
            Ok(())
        })?;
        Ok(readable.then_some(Overview {
            mismatches,
            ..large.overview
        }))
    })
}

/// A mismatch of its row read without its detail: title, next action and source rows empty.
fn compact_of(row: StoredMismatch) -> Option<Mismatch> {
    Some(Mismatch {
        lane: Lane::parse(&row.lane)?,
        check: CHECKS.iter().copied().find(|c| *c == row.check)?,
        severity: Severity::parse(&row.severity)?,
        key: row.key,
        subject: row.subject,
        title: String::new(),
        expected: Money::from_cents(row.expected_cents),
        actual: Money::from_cents(row.actual_cents),
        variance: Money::from_cents(row.variance_cents),
        owner: row.owner,
        next_action: String::new(),
        expected_rows: Vec::new(),
        actual_rows: Vec::new(),
    })
}

/// The stored mismatch `key` whole (title, next action, source rows), when the stored
/// result is current, of this version and sealed: what the cockpit reads when a mismatch
/// of a compact list ([`stored_compact`]) is opened.
pub fn stored_detail(snapshot: &Snapshot, key: &str) -> rusqlite::Result<Option<Mismatch>> {
    in_own_read(snapshot, || match sealed_current(snapshot)? {
        Some((generation, _)) => Ok(snapshot.stored_mismatch(generation, key)?.and_then(mismatch_of)),
        None => Ok(None),
    })
}

/// What a stored row is, as `verify` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredCheck {
    /// Nothing stored, or another version's (ignored by this closedesk).
    None,
    /// Stored for an earlier state of the source rows (ignored until recomputed).
    Stale,
    /// Current and the engine's overview exactly.
    Agrees,
    /// Its checksum does not match its contents: edited by hand.
    Edited,
    /// Current, its checksum matches, and it is not what the engine computes now.
    Differs,
}

/// Checks the stored row against its checksum and, when current, against `engine_now`, the
/// engine's overview of the source rows as they are (`verify`).
pub fn check_stored(snapshot: &Snapshot, engine_now: &Overview) -> rusqlite::Result<StoredCheck> {
    let (Ok(generation), Ok(row)) = (snapshot.source_generation(), snapshot.stored_reconciliation()) else {
        return Ok(StoredCheck::None);
    };
    let Some(row) = row else {
        return Ok(StoredCheck::None);
    };
    if row.version != STORED_VERSION {
        return Ok(StoredCheck::None);
    }
    if !unedited(&row) {
        return Ok(StoredCheck::Edited);
    }
    let Some(overview) = read_rows(snapshot, &row, true)? else {
        return Ok(StoredCheck::Edited);
    };
    if row.generation != generation {
        return Ok(StoredCheck::Stale);
    }
    Ok(if overview == *engine_now {
        StoredCheck::Agrees
    } else {
        StoredCheck::Differs
    })
}

/// The stored overview when it is current (same source generation, same version and
/// format); else the engine's, stored for next time. Storing is best effort: a file that
/// cannot be written (read-only, busy) still gets its figures.
pub fn stored_or_run(snapshot: &Snapshot) -> rusqlite::Result<(Overview, Freshness)> {
    stored_or_run_as(snapshot, STORED_VERSION)
}

fn stored_or_run_as(snapshot: &Snapshot, version: &str) -> rusqlite::Result<(Overview, Freshness)> {
    let current = current_as(snapshot, version)?;
    Ok((current.overview, current.freshness))
}

/// The figures a workflow action works with: the overview (stored when current, else the
/// engine's, stored for next time), where it came from, and the source generation it was
/// computed from. The action's write compares that generation with the file's inside its
/// own transaction, and runs the engine there when it moved (`workflow::Figures`), so no
/// action is taken on figures the source rows no longer give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    pub overview: Overview,
    pub freshness: Freshness,
    /// `None` for a file made before stored results existed (no generation to compare).
    pub generation: Option<i64>,
    /// Whether `overview.mismatches` is every mismatch; false for [`current_of`]'s, which
    /// holds the one an action is about.
    pub whole: bool,
}

/// [`stored_or_run`], with the source generation of the figures: what every workflow
/// action (CLI and cockpit) reads instead of running the engine.
pub fn current(snapshot: &Snapshot) -> rusqlite::Result<Current> {
    current_as(snapshot, STORED_VERSION)
}

/// The figures an action on the one mismatch `key` works with: the stored result's step
/// overview and that mismatch alone, read by key (none when the stored result does not
/// report it: cleared by data, or no such mismatch), when the stored result is current, of
/// this version, sealed and not signed off — in time independent of how many mismatches
/// the period has. Anything else is [`current`] (whole). The overview's mismatches are
/// then not every mismatch: `whole` is false.
pub fn current_of(snapshot: &Snapshot, key: &str) -> rusqlite::Result<Current> {
    match in_own_read(snapshot, || keyed_stored(snapshot, key))? {
        Some(keyed) => Ok(keyed),
        None => current(snapshot),
    }
}

/// [`current_of`]'s read of the stored result, inside the caller's read transaction.
fn keyed_stored(snapshot: &Snapshot, key: &str) -> rusqlite::Result<Option<Current>> {
    let Some((generation, row)) = sealed_current(snapshot)? else {
        return Ok(None);
    };
    let Some(overview) = overview_of_steps(&snapshot.stored_steps(generation)?)
        .filter(|o| o.period.status != PeriodStatus::SignedOff)
    else {
        return Ok(None);
    };
    let mismatch = match snapshot.stored_mismatch(generation, key)? {
        Some(row) => match mismatch_of(row) {
            Some(m) => Some(m),
            None => return Ok(None),
        },
        None => None,
    };
    Ok(Some(Current {
        overview: Overview {
            mismatches: mismatch.into_iter().collect(),
            ..overview
        },
        freshness: Freshness::Stored {
            computed_at: row.computed_at,
        },
        generation: Some(generation),
        whole: false,
    }))
}

fn current_as(snapshot: &Snapshot, version: &str) -> rusqlite::Result<Current> {
    if !snapshot.conn().is_autocommit() {
        // Inside the caller's transaction: compute, store nothing.
        return Ok(Current {
            overview: run(snapshot)?.overview(),
            freshness: Freshness::Computed,
            generation: snapshot.source_generation().ok(),
            whole: true,
        });
    }
    // The generation is read in the same read transaction as the figures, so a stored
    // result is always labelled with the generation of the data it was computed from.
    let read = snapshot.begin_read()?;
    let Ok(generation) = snapshot.source_generation() else {
        // A file made before stored results existed: no internal tables, nothing stored.
        let reconciliation = run_checks(snapshot)?;
        read.finish()?;
        return Ok(Current {
            overview: reconciliation.overview(),
            freshness: Freshness::Computed,
            generation: None,
            whole: true,
        });
    };
    if let Some(row) = snapshot.stored_reconciliation()? {
        if row.generation == generation {
            if let Some(overview) = readable(snapshot, &row, version)?
                .filter(|o| agrees_with_signoff(snapshot, o).unwrap_or(false))
            {
                read.finish()?;
                return Ok(Current {
                    overview,
                    freshness: Freshness::Stored {
                        computed_at: row.computed_at,
                    },
                    generation: Some(generation),
                    whole: true,
                });
            }
        }
    }
    let overview = run_checks(snapshot)?.overview();
    read.finish()?;
    store(snapshot, generation, version, &overview);
    Ok(Current {
        overview,
        freshness: Freshness::Computed,
        generation: Some(generation),
        whole: true,
    })
}

/// Runs the engine afresh (as `reconcile` always does) and stores its overview unless the
/// stored one is already exactly it — so a stored result that was tampered with is
/// replaced by the next `reconcile`.
pub fn run_and_store(snapshot: &Snapshot) -> rusqlite::Result<Reconciliation> {
    if !snapshot.conn().is_autocommit() {
        return run(snapshot);
    }
    let read = snapshot.begin_read()?;
    let Ok(generation) = snapshot.source_generation() else {
        // A file made before stored results existed: nothing to store into.
        let reconciliation = run_checks(snapshot)?;
        read.finish()?;
        return Ok(reconciliation);
    };
    let reconciliation = run_checks(snapshot)?;
    let overview = reconciliation.overview();
    let same = match snapshot.stored_reconciliation()? {
        Some(row) if row.generation == generation => {
            readable(snapshot, &row, STORED_VERSION)?.is_some_and(|stored| stored == overview)
        }
        _ => false,
    };
    read.finish()?;
    if !same {
        store(snapshot, generation, STORED_VERSION, &overview);
    }
    Ok(reconciliation)
}

/// Stores `overview` as computed from `generation`, as rows; failures are ignored.
fn store(snapshot: &Snapshot, generation: i64, version: &str, overview: &Overview) {
    let Ok((steps, mismatches)) = rows_of(overview) else {
        return;
    };
    let mut digest = RowsDigest::new();
    for (name, figures) in &steps {
        digest.step(name, figures);
    }
    for m in &mismatches {
        digest.mismatch(m);
    }
    let result = digest.finish();
    let header = |edits| StoredRow {
        generation,
        version: version.to_string(),
        computed_at: crate::snapshot::workflow::now(),
        checksum: Some(sealed_checksum(generation, version, &result, edits)),
        result: result.clone(),
        edits: Some(edits),
    };
    let _ = snapshot.store_reconciliation_rows(generation, &steps, &mismatches, header);
}

/// Stores the overview a sign-off recorded the hash of, computed from `generation` (read in
/// the sign-off's transaction): a signed-off period's `status` then shows it as stored.
pub fn store_signed(snapshot: &Snapshot, generation: i64, overview: &Overview) {
    store(snapshot, generation, STORED_VERSION, overview);
}

/// Stores `overview` as the current result, whatever it is: for tests of what reads it.
#[cfg(test)]
pub(crate) fn store_current(snapshot: &Snapshot, overview: &Overview) {
    let generation = snapshot.source_generation().unwrap();
    store(snapshot, generation, STORED_VERSION, overview);
}

/// Recomputes the header of the stored result from its rows as they are in the file now:
/// what someone who edits a row with SQL and knows this (documented) encoding can do. For
/// tests that check what such a forgery can and cannot achieve.
#[doc(hidden)]
pub fn reseal(snapshot: &Snapshot) -> rusqlite::Result<()> {
    let Some(mut row) = snapshot.stored_reconciliation()? else {
        return Ok(());
    };
    let mut digest = RowsDigest::new();
    for (name, figures) in snapshot.stored_steps(row.generation)? {
        digest.step(&name, &figures);
    }
    snapshot.stored_mismatches(row.generation, true, |mut m| {
        m.detail_hash = sha(&m.detail);
        digest.mismatch(&m);
        Ok(())
    })?;
    row.result = digest.finish();
    let edits = snapshot.stored_edits()?;
    row.edits = Some(edits);
    row.checksum = Some(sealed_checksum(row.generation, &row.version, &row.result, edits));
    snapshot.store_reconciliation(&row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> (tempfile::TempDir, Snapshot) {
        let (dir, snapshot) = crate::demo::open_in_tempdir();
        // Written files are reconciled once and keep the result; these tests start before.
        snapshot
            .conn()
            .execute_batch(
                "DELETE FROM reconcile_cache; DELETE FROM reconcile_mismatches; DELETE FROM reconcile_steps;",
            )
            .unwrap();
        (dir, snapshot)
    }

    #[test]
    fn the_stored_result_equals_a_fresh_run_and_is_reused() {
        let (_dir, snapshot) = demo();
        let fresh = run(&snapshot).unwrap().overview();
        let (first, how) = stored_or_run(&snapshot).unwrap();
        assert_eq!(how, Freshness::Computed);
        assert_eq!(first, fresh);
        let (second, how) = stored_or_run(&snapshot).unwrap();
        assert!(matches!(how, Freshness::Stored { .. }), "{how:?}");
        assert_eq!(second, fresh);
        // Byte for byte the same JSON as the engine's own output.
        assert_eq!(
            serde_json::to_string(&second).unwrap(),
            serde_json::to_string(&fresh).unwrap()
        );
        let stored = stored(&snapshot).unwrap().unwrap();
        assert!(stored.current);
        assert_eq!(stored.overview, fresh);
    }

    #[test]
    fn a_change_to_any_source_row_makes_the_stored_result_stale() {
        let (_dir, snapshot) = demo();
        let path = snapshot.path().to_path_buf();
        stored_or_run(&snapshot).unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        let changes = [
            "UPDATE invoices SET balance_cents = balance_cents + 1 WHERE id = (SELECT min(id) FROM invoices)",
            "DELETE FROM roster WHERE login = (SELECT max(login) FROM roster)",
            "INSERT INTO accounts (id, name, kind) VALUES ('ACC-NEW', 'New', 'customer')",
            "UPDATE period SET close_owner = close_owner || 'x'",
        ];
        for sql in changes {
            let (_, how) = stored_or_run(&snapshot).unwrap();
            assert!(matches!(how, Freshness::Stored { .. }), "before {sql}");
            assert_eq!(other.execute(sql, []).unwrap(), 1, "{sql}");
            assert!(!stored(&snapshot).unwrap().unwrap().current, "after {sql}");
            let (recon, how) = stored_or_run(&snapshot).unwrap();
            assert_eq!(how, Freshness::Computed, "after {sql}");
            assert_eq!(recon, run(&snapshot).unwrap().overview(), "after {sql}");
        }
        // Workflow tables are not source data: the stored result stays current.
        other
            .execute("UPDATE checklist SET status = 'in_progress' WHERE item = 1", [])
            .unwrap();
        let (_, how) = stored_or_run(&snapshot).unwrap();
        assert!(matches!(how, Freshness::Stored { .. }));
    }

    #[test]
    fn another_version_does_not_reuse_the_stored_result() {
        let (_dir, snapshot) = demo();
        stored_or_run(&snapshot).unwrap();
        let (_, how) = stored_or_run_as(&snapshot, "0.0.0-other").unwrap();
        assert_eq!(how, Freshness::Computed);
        assert!(stored_as(&snapshot, STORED_VERSION).unwrap().is_none());
        let (_, how) = stored_or_run_as(&snapshot, "0.0.0-other").unwrap();
        assert!(matches!(how, Freshness::Stored { .. }));
    }

    #[test]
    fn a_file_without_the_internal_tables_still_reconciles() {
        let (_dir, snapshot) = demo();
        snapshot
            .conn()
            .execute_batch("DROP TABLE reconcile_cache; DROP TABLE source_generation;")
            .unwrap_or_else(|_| {
                // The generation triggers refer to the table; drop them first.
                for name in crate::snapshot::schema::generation_trigger_names() {
                    snapshot
                        .conn()
                        .execute_batch(&format!("DROP TRIGGER {name}"))
                        .unwrap();
                }
                snapshot
                    .conn()
                    .execute_batch("DROP TABLE reconcile_cache; DROP TABLE source_generation;")
                    .unwrap();
            });
        let fresh = run(&snapshot).unwrap();
        assert_eq!(
            stored_or_run(&snapshot).unwrap(),
            (fresh.overview(), Freshness::Computed)
        );
        assert_eq!(run_and_store(&snapshot).unwrap(), fresh);
        assert!(stored(&snapshot).unwrap().is_none());
    }

    #[test]
    fn an_unwritable_file_still_reconciles() {
        let (_dir, snapshot) = demo();
        let path = snapshot.path().to_path_buf();
        drop(snapshot);
        let snapshot = Snapshot::open(&path).unwrap();
        snapshot.conn().pragma_update(None, "query_only", true).unwrap();
        let (recon, how) = stored_or_run(&snapshot).unwrap();
        assert_eq!(how, Freshness::Computed);
        assert_eq!(recon, run(&snapshot).unwrap().overview());
        assert!(stored(&snapshot).unwrap().is_none());
    }

    #[test]
    fn reconcile_stores_and_a_signed_off_period_still_stores_its_result() {
        let (_dir, snapshot) = demo();
        let fresh = run_and_store(&snapshot).unwrap();
        assert_eq!(fresh, run(&snapshot).unwrap());
        let fresh = fresh.overview();
        assert!(stored(&snapshot).unwrap().unwrap().current);
        let (recon, how) = stored_or_run(&snapshot).unwrap();
        assert!(matches!(how, Freshness::Stored { .. }));
        assert_eq!(recon, fresh);
        // A stored result altered in place is replaced by the next reconcile.
        snapshot
            .conn()
            .execute(
                "UPDATE reconcile_steps SET figures = replace(figures, '\"usage_billed\":', '\"usage_billed\":1')
                 WHERE step = 'headline'",
                [],
            )
            .unwrap();
        assert_ne!(
            stored(&snapshot).unwrap().map(|s| s.overview),
            Some(fresh.clone())
        );
        run_and_store(&snapshot).unwrap();
        assert_eq!(stored(&snapshot).unwrap().unwrap().overview, fresh);
        // Locked: the source tables refuse writes, the internal tables do not.
        snapshot
            .conn()
            .execute("UPDATE period SET status = 'signed_off'", [])
            .unwrap();
        assert!(snapshot.conn().execute("DELETE FROM roster", []).is_err());
        let (recon, how) = stored_or_run(&snapshot).unwrap();
        assert_eq!(how, Freshness::Computed);
        assert_eq!(
            recon.period.status,
            crate::snapshot::model::PeriodStatus::SignedOff
        );
        let (again, how) = stored_or_run(&snapshot).unwrap();
        assert!(matches!(how, Freshness::Stored { .. }));
        assert_eq!(again, recon);
    }

    #[test]
    fn after_a_sign_off_the_stored_result_is_shown_without_running_the_engine() {
        use crate::snapshot::model::ItemStatus;
        use crate::workflow::{checklist, mismatches, signoff, Actor};
        let (_dir, snapshot) = demo();
        let who = |login| Actor::resolve(&snapshot, Some(login)).unwrap();
        let recon = run(&snapshot).unwrap();
        for m in &recon.mismatches {
            mismatches::on(&snapshot, &who("mhale"), &recon, &m.key)
                .waive("below materiality; rate fixed from April")
                .unwrap();
        }
        for item in 1..=8 {
            let by = if item <= 4 { "rdiaz" } else { "tlin" };
            checklist::set(&snapshot, &who(by), &recon, item, ItemStatus::Done, None, None).unwrap();
        }
        signoff::sign(&snapshot, &who("sgupta"), None).unwrap();
        // The sign-off left the overview it recorded stored: shown as stored, the first time
        // and every time, and it is the engine's overview of the signed-off period.
        for _ in 0..2 {
            let (shown, how) = stored_or_run(&snapshot).unwrap();
            assert!(matches!(how, Freshness::Stored { .. }), "{how:?}");
            assert_eq!(shown, run(&snapshot).unwrap().overview());
            assert_eq!(
                shown.period.status,
                crate::snapshot::model::PeriodStatus::SignedOff
            );
        }
    }

    #[test]
    fn only_the_overview_is_stored_and_it_has_the_engines_figures() {
        let (_dir, snapshot) = demo();
        let fresh = run(&snapshot).unwrap();
        // The demo has accounts rolled forward and aged, and adjustments in the window.
        assert!(!fresh.steps.rollforward.accounts.is_empty());
        assert!(!fresh.aging.accounts.is_empty());
        assert!(!fresh.steps.adjustments.adjustments.is_empty());
        stored_or_run(&snapshot).unwrap();
        let row = snapshot.stored_reconciliation().unwrap().unwrap();
        assert_eq!(row.version, STORED_VERSION);
        assert_ne!(row.version, env!("CARGO_PKG_VERSION"));
        let steps: serde_json::Map<String, serde_json::Value> = snapshot
            .stored_steps(row.generation)
            .unwrap()
            .into_iter()
            .map(|(name, figures)| (name, serde_json::from_str(&figures).unwrap()))
            .collect();
        assert!(steps["steps.rollforward"].get("accounts").is_none(), "{steps:?}");
        assert!(steps["aging"].get("accounts").is_none(), "{steps:?}");
        assert!(
            steps["steps.adjustments"].get("adjustments").is_none(),
            "{steps:?}"
        );
        assert!(steps.get("mismatches").is_none());
        let stored_json: usize = steps.values().map(|v| v.to_string().len()).sum();
        assert!(stored_json < serde_json::to_string(&fresh).unwrap().len());
        // One row per mismatch, its figures in minor units, in engine order.
        let mut rows = Vec::new();
        snapshot
            .stored_mismatches(row.generation, true, |m| {
                rows.push(m);
                Ok(())
            })
            .unwrap();
        assert_eq!(rows.len(), fresh.mismatches.len());
        for (row, m) in rows.iter().zip(&fresh.mismatches) {
            assert_eq!(row.key, m.key);
            assert_eq!(row.severity, m.severity.as_str());
            assert_eq!(row.variance_cents, m.variance.cents());
            assert_eq!(row.expected_cents, m.expected.cents());
            assert_eq!(row.owner, m.owner);
        }
        // What is read back has every figure of the engine's run that the overview keeps.
        let (overview, how) = stored_or_run(&snapshot).unwrap();
        assert!(matches!(how, Freshness::Stored { .. }));
        assert_eq!(overview.period, fresh.period);
        assert_eq!(overview.headline, fresh.headline);
        assert_eq!(overview.mismatches, fresh.mismatches);
        assert_eq!(overview.aging, fresh.aging.totals);
        assert_eq!(overview.steps.rollforward, fresh.steps.rollforward.totals);
        assert_eq!(overview.steps.adjustments, fresh.steps.adjustments.totals);
        assert_eq!(
            overview.steps.adjustment_count,
            fresh.steps.adjustments.adjustments.len() as u64
        );
        assert_eq!(overview.steps.posted, fresh.steps.posted);
        assert_eq!(overview.steps.applied, fresh.steps.applied);
        assert_eq!(overview.steps.exports, fresh.steps.exports);
        // The per-account revenue split (for the GL by account) is a per-subject list.
        assert!(overview.steps.revenue.accounts.is_empty());
        assert_eq!(
            overview.steps.revenue,
            crate::reconcile::revenue::RevenueFigures {
                accounts: Vec::new(),
                ..fresh.steps.revenue.clone()
            }
        );
        assert_eq!(overview.steps.usage, fresh.steps.usage);
        assert_eq!(overview.steps.programs, fresh.steps.programs);
        assert_eq!(overview.steps.statements, fresh.steps.statements);
    }

    /// Stores `result` under `version` as current.
    fn plant(snapshot: &Snapshot, version: &str, result: String) {
        let generation = snapshot.source_generation().unwrap();
        snapshot
            .store_reconciliation(&StoredRow {
                generation,
                version: version.to_string(),
                computed_at: "2026-11-01T00:00:00Z".to_string(),
                checksum: Some(checksum(generation, version, &result)),
                result,
                edits: None,
            })
            .unwrap();
    }

    #[test]
    fn a_whole_reconciliation_stored_by_an_earlier_build_is_recomputed_not_misread() {
        let (_dir, snapshot) = demo();
        let fresh = run(&snapshot).unwrap();
        // As the builds before the overview stored it: the whole reconciliation as JSON,
        // under the bare version, current. Its figures are altered, so reading it would
        // show.
        let mut old = fresh.clone();
        old.headline.usage_billed += crate::money::Money::from_cents(100);
        plant(
            &snapshot,
            env!("CARGO_PKG_VERSION"),
            serde_json::to_string(&old).unwrap(),
        );
        assert!(stored(&snapshot).unwrap().is_none());
        let (overview, how) = stored_or_run(&snapshot).unwrap();
        assert_eq!(how, Freshness::Computed);
        assert_eq!(overview, fresh.overview());
        // ... and replaced by an overview in the new format.
        let row = snapshot.stored_reconciliation().unwrap().unwrap();
        assert_eq!(row.version, STORED_VERSION);
        assert!(matches!(
            stored_or_run(&snapshot).unwrap(),
            (ref again, Freshness::Stored { .. }) if *again == fresh.overview()
        ));

        // Under this version's label, a whole reconciliation still does not read as an
        // overview: it counts as none.
        plant(&snapshot, STORED_VERSION, serde_json::to_string(&old).unwrap());
        assert!(stored(&snapshot).unwrap().is_none());
        let (overview, how) = stored_or_run(&snapshot).unwrap();
        assert_eq!(how, Freshness::Computed);
        assert_eq!(overview, fresh.overview());
    }

    /// The open mismatches as `views` sees them: by severity, and Σ |corrected variance|.
    fn counted_by_views(snapshot: &Snapshot, overview: &Overview) -> OpenCounts {
        let views = crate::workflow::mismatches::views(snapshot, &overview.mismatches).unwrap();
        let mut counts = OpenCounts::default();
        for v in views.iter().filter(|v| v.is_open()) {
            counts.variance_abs_cents += v.corrected_variance.abs().cents();
            match v.severity.unwrap() {
                Severity::Critical => counts.critical += 1,
                Severity::High => counts.high += 1,
                Severity::Medium => counts.medium += 1,
                Severity::Low => counts.low += 1,
            }
        }
        counts
    }

    #[test]
    fn status_counts_by_sql_what_the_workflow_overlay_gives() {
        use crate::workflow::{mismatches, Actor};
        let (_dir, snapshot) = demo();
        let (overview, _) = stored_or_run(&snapshot).unwrap();
        assert!(overview.mismatches.len() >= 2);
        let check = |what: &str| {
            let (light, counts) = stored_counts(&snapshot).unwrap().expect(what);
            assert!(light.mismatches.is_empty());
            assert_eq!(light.headline, overview.headline, "{what}");
            assert_eq!(light.period, overview.period, "{what}");
            assert_eq!(counts, counted_by_views(&snapshot, &overview), "{what}");
            counts
        };
        let all = check("nothing done");
        assert_eq!(
            all.critical + all.high + all.medium + all.low,
            overview.mismatches.len() as i64
        );
        let who = |login: &str| Actor::resolve(&snapshot, Some(login)).unwrap();
        let (first, second) = (&overview.mismatches[0], &overview.mismatches[1]);
        let proposal = |cents: i64| mismatches::Proposal {
            amount: Money::from_cents(cents),
            side: crate::snapshot::model::Side::Actual,
            reason: "netted in the GL".into(),
            reference: None,
        };
        // A correction proposed by an operator and accepted by a reviewer.
        let correct = |cents: i64, what: &str| {
            let key = &first.key;
            mismatches::on(&snapshot, &who("tlin"), &overview, key)
                .propose(&proposal(cents))
                .unwrap();
            check(&format!("{what}, in correction"));
            mismatches::on(&snapshot, &who("jokafor"), &overview, key)
                .accept(None, None)
                .unwrap();
            check(what)
        };
        // Part of the gap corrected: open, with the corrected variance.
        let part = -first.variance.cents() / 2;
        let partly = correct(part, "partly corrected");
        assert_eq!(
            partly.variance_abs_cents,
            all.variance_abs_cents - part.abs(),
            "the accepted correction reduces the open variance"
        );
        // The rest corrected: resolved, not open.
        correct(-(first.variance.cents() + part), "resolved");
        let reason = "below materiality, agreed with the controller";
        mismatches::on(&snapshot, &who("jokafor"), &overview, &second.key)
            .waive(reason)
            .unwrap();
        let none = check("waived");
        assert_eq!(
            none.variance_abs_cents,
            all.variance_abs_cents - first.variance.abs().cents() - second.variance.abs().cents()
        );
    }

    #[test]
    fn an_action_reads_its_one_mismatch_by_key_and_writes_its_state_alone() {
        use crate::workflow::{mismatches, Actor};
        let (_dir, snapshot) = demo();
        let whole = current(&snapshot).unwrap();
        assert!(whole.whole);
        assert!(whole.overview.mismatches.len() >= 2);
        let first = &whole.overview.mismatches[0];
        let keyed = current_of(&snapshot, &first.key).unwrap();
        assert!(!keyed.whole);
        assert_eq!(keyed.overview.mismatches, vec![first.clone()], "the one, whole");
        assert_eq!(keyed.generation, whole.generation);
        assert!(matches!(keyed.freshness, Freshness::Stored { .. }));
        assert_eq!(
            Overview {
                mismatches: whole.overview.mismatches.clone(),
                ..keyed.overview.clone()
            },
            whole.overview,
            "the same step figures"
        );
        // A key the stored result does not report: no mismatch, and an action is refused.
        let none = current_of(&snapshot, "exports:NOPE:ar-total").unwrap();
        assert!(none.overview.mismatches.is_empty() && !none.whole);
        let tlin = Actor::resolve(&snapshot, Some("tlin")).unwrap();
        let r = mismatches::on(&snapshot, &tlin, &none, "exports:NOPE:ar-total")
            .note("x")
            .unwrap_err();
        assert!(matches!(r, crate::workflow::Refusal::NotFound(_)), "{r:?}");
        // A note through it: one state row (this mismatch's), one seen row, one note row.
        mismatches::on(&snapshot, &tlin, &keyed, &first.key)
            .note("asked billing")
            .unwrap();
        let read = snapshot.workflow();
        let states = read.mismatch_states().unwrap();
        assert_eq!(states.len(), 1);
        assert_eq!(states[0].key, first.key);
        assert_eq!(read.audit_log().unwrap().len(), 2);
        // The view by key is the view `views` gives over every mismatch.
        let by_key = mismatches::view(&snapshot, &keyed, &first.key).unwrap();
        let all = mismatches::views(&snapshot, &whole.overview.mismatches).unwrap();
        assert_eq!(Some(&by_key), all.iter().find(|v| v.key == first.key));
        // Once a source row changed, the figures are whole again (the engine's).
        snapshot
            .conn()
            .execute(
                "UPDATE invoices SET balance_cents = balance_cents + 1 WHERE id = (SELECT min(id) FROM invoices)",
                [],
            )
            .unwrap();
        let after = current_of(&snapshot, &first.key).unwrap();
        assert!(after.whole);
        assert_eq!(after.freshness, Freshness::Computed);
    }

    #[test]
    fn a_stored_row_edited_by_hand_counts_as_none() {
        let (_dir, snapshot) = demo();
        let fresh = run(&snapshot).unwrap().overview();
        let edits = [
            "UPDATE reconcile_mismatches SET variance_cents = 0 WHERE ord = 0",
            "UPDATE reconcile_mismatches SET severity = 'low' WHERE ord = 0",
            "DELETE FROM reconcile_mismatches WHERE ord = 1",
            "UPDATE reconcile_mismatches SET detail = replace(detail, 'GL', 'XX') WHERE ord = 0",
            "UPDATE reconcile_steps SET figures = replace(figures, '\"closing_ar\":', '\"closing_ar\":1') WHERE step = 'headline'",
            "INSERT INTO reconcile_mismatches SELECT generation, 99, key, lane, subject, check_name, severity,
                 expected_cents, actual_cents, variance_cents, owner, detail, detail_hash
             FROM reconcile_mismatches WHERE ord = 0",
        ];
        for sql in edits {
            run_and_store(&snapshot).unwrap();
            assert_eq!(
                check_stored(&snapshot, &fresh).unwrap(),
                StoredCheck::Agrees,
                "{sql}"
            );
            assert_eq!(snapshot.conn().execute(sql, []).unwrap(), 1, "{sql}");
            // `status` reads no row, yet the edit counter moved: none, detail edits too.
            assert_edited(&snapshot, &fresh, sql);
            // Read as none, so recomputed and stored again.
            let (overview, how) = stored_or_run(&snapshot).unwrap();
            assert_eq!(how, Freshness::Computed, "{sql}");
            assert_eq!(overview, fresh);
        }
        // Edited and resealed with the documented encoding: reads back, and verify's
        // comparison with the engine names it.
        snapshot
            .conn()
            .execute(
                "UPDATE reconcile_mismatches SET variance_cents = 1 WHERE ord = 0",
                [],
            )
            .unwrap();
        reseal(&snapshot).unwrap();
        assert!(stored(&snapshot).unwrap().is_some());
        assert_eq!(check_stored(&snapshot, &fresh).unwrap(), StoredCheck::Differs);
    }

    /// A stored result edited behind its seal: `status` reads no totals, no result is read
    /// as stored, and verify's comparison with the engine calls it edited.
    #[track_caller]
    fn assert_edited(snapshot: &Snapshot, fresh: &Overview, what: &str) {
        assert!(stored_counts(snapshot).unwrap().is_none(), "{what}");
        assert!(stored(snapshot).unwrap().is_none(), "{what}");
        assert_eq!(
            check_stored(snapshot, fresh).unwrap(),
            StoredCheck::Edited,
            "{what}"
        );
    }

    #[test]
    fn any_change_to_a_stored_row_breaks_the_seal_without_a_row_being_read() {
        let (_dir, snapshot) = demo();
        let path = snapshot.path().to_path_buf();
        let fresh = run(&snapshot).unwrap().overview();
        // Another program (its own connection, no closedesk code): every kind of change to
        // every table of the stored result, the totals `status` reads instead of the rows
        // among them, and a change put back as it was.
        let other = rusqlite::Connection::open(&path).unwrap();
        let edits = [
            "UPDATE reconcile_totals SET mismatches = mismatches + 1 WHERE rowid = (SELECT min(rowid) FROM reconcile_totals)",
            "UPDATE reconcile_totals SET variance_abs_cents = 0 WHERE rowid = (SELECT min(rowid) FROM reconcile_totals)",
            "DELETE FROM reconcile_totals WHERE rowid = (SELECT min(rowid) FROM reconcile_totals)",
            "INSERT INTO reconcile_totals SELECT generation, 'usage', 'zz', 1, 1 FROM reconcile_cache",
            "UPDATE reconcile_mismatches SET owner = owner WHERE ord = 0",
            "UPDATE reconcile_steps SET figures = figures WHERE ord = 0",
            "DELETE FROM reconcile_steps WHERE ord = 0",
        ];
        for sql in edits {
            run_and_store(&snapshot).unwrap();
            assert!(stored_counts(&snapshot).unwrap().is_some(), "{sql}");
            assert_eq!(other.execute(sql, []).unwrap(), 1, "{sql}");
            assert!(stored_counts(&snapshot).unwrap().is_none(), "{sql}");
            assert!(stored(&snapshot).unwrap().is_none(), "{sql}");
            assert_eq!(
                stored_or_run(&snapshot).unwrap(),
                (fresh.clone(), Freshness::Computed)
            );
        }
        run_and_store(&snapshot).unwrap();
        // The counter only counts up: it cannot be put back to the header's value.
        let edits = snapshot.stored_edits().unwrap();
        for sql in [
            "UPDATE reconcile_edits SET edits = edits - 1",
            "UPDATE reconcile_edits SET edits = edits",
            "DELETE FROM reconcile_edits",
            "INSERT OR REPLACE INTO reconcile_edits (id, edits) VALUES (1, 0)",
            "REPLACE INTO reconcile_edits (id, edits) VALUES (1, 0)",
        ] {
            assert!(other.execute(sql, []).is_err(), "{sql}");
        }
        assert_eq!(snapshot.stored_edits().unwrap(), edits);
        assert!(stored_counts(&snapshot).unwrap().is_some());
        // A trigger behind the counter dropped (then a row changed unseen): none, and for
        // verify, edited.
        other
            .execute_batch("DROP TRIGGER reconcile_mismatches_edited_update")
            .unwrap();
        assert_edited(&snapshot, &fresh, "a trigger dropped");
        // The header's count edited to the counter's: its checksum no longer matches.
        let other_row = |sql: &str| other.execute(sql, []).unwrap();
        drop(snapshot);
        let snapshot = Snapshot::open(&path).unwrap();
        let (_, sql) = crate::snapshot::schema::sealing_triggers()
            .into_iter()
            .find(|(name, _)| name == "reconcile_mismatches_edited_update")
            .unwrap();
        snapshot.conn().execute_batch(&sql).unwrap();
        run_and_store(&snapshot).unwrap();
        assert!(stored_counts(&snapshot).unwrap().is_some());
        other_row("UPDATE reconcile_mismatches SET variance_cents = 0 WHERE ord = 0");
        other_row("UPDATE reconcile_cache SET edits = (SELECT edits FROM reconcile_edits)");
        assert_edited(&snapshot, &fresh, "the header's count edited");
    }

    #[test]
    fn a_version_2_file_upgrades_and_stores_its_result_as_rows() {
        let (dir, snapshot) = demo();
        let path = snapshot.path().to_path_buf();
        let fresh = run(&snapshot).unwrap().overview();
        drop(snapshot);
        // The file as schema 2 left it: no result rows, a stored overview as one JSON blob.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE reconcile_mismatches; DROP TABLE reconcile_steps;
             DROP TABLE reconcile_totals; DROP TABLE reconcile_edits;
             ALTER TABLE reconcile_cache DROP COLUMN edits;",
        )
        .unwrap();
        let generation: i64 = conn
            .query_row("SELECT generation FROM source_generation", [], |r| r.get(0))
            .unwrap();
        let (version, result) = ("0.1.0+overview.2", serde_json::to_string(&fresh).unwrap());
        conn.execute(
            "INSERT OR REPLACE INTO reconcile_cache (id, generation, version, computed_at, result, checksum)
             VALUES (1, ?1, ?2, '2026-11-01T00:00:00Z', ?3, ?4)",
            rusqlite::params![
                generation,
                version,
                result,
                checksum(generation, version, &result)
            ],
        )
        .unwrap();
        // The version before the stored-rows migration (schema 3); the later migrations run
        // on from there.
        let before = 2;
        conn.pragma_update(None, "user_version", before).unwrap();
        drop(conn);
        let snapshot = Snapshot::open(&path).unwrap();
        let (_, version) = snapshot.workflow().identity().unwrap();
        assert_eq!(version, crate::snapshot::schema::SCHEMA_VERSION);
        assert!(
            snapshot.stored_reconciliation().unwrap().is_none(),
            "the blob is dropped"
        );
        assert!(stored_counts(&snapshot).unwrap().is_none());
        let (overview, how) = stored_or_run(&snapshot).unwrap();
        assert_eq!(how, Freshness::Computed);
        assert_eq!(overview, fresh);
        let (again, how) = stored_or_run(&snapshot).unwrap();
        assert!(matches!(how, Freshness::Stored { .. }));
        assert_eq!(again, fresh);
        assert!(stored_counts(&snapshot).unwrap().is_some());
        drop(dir);
    }
}
