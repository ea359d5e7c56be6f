//! The audit log: append-only (triggers), hash-chained, and checkable by [`verify`].
//!
//! Each row's hash is SHA-256 over a canonical, length-prefixed encoding of its fields with
//! the previous row's hash included ([`encode`], owned by storage in
//! `crate::snapshot::chain` and re-exported here; byte-exact description in
//! docs/workflow.md). `before`/`after` are JSON objects naming every workflow row the action
//! changed and its state, so replaying the log rebuilds the workflow tables.
//!
//! Owns history (`log`) and every `verify` check; must not write (verify only reads) nor
//! change the chain's encoding (storage's, `snapshot::chain`).

use std::collections::BTreeMap;

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{signoff, Engine, Refusal};
use crate::reconcile::Reconciliation;
pub use crate::snapshot::chain::{encode, hash, Fields, ENCODING_TAG, GENESIS};
use crate::snapshot::model::PeriodStatus;
use crate::snapshot::schema::{APPLICATION_ID, CHECKLIST_ITEMS, SCHEMA_VERSION};
use crate::snapshot::workflow::{expected_triggers, AuditRow, ChecklistRow, Reader, SignoffRow, WriteTx};
use crate::snapshot::Snapshot;
use crate::text::inert;

// History ---------------------------------------------------------------------------------------

/// One audit row as shown (`closedesk log`, a mismatch's trail, the cockpit's audit view):
/// the stored row and what it changed, in words (`checklist:3 status: pending → done`, one
/// line per row and field). In JSON: the row's seq, at, actor, action, target, then
/// `changes`, its text, `before` and `after` as objects (`{}` when absent), and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub row: AuditRow,
    pub changes: Vec<String>,
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let row = &self.row;
        let mut out = serializer.serialize_struct("Entry", 10)?;
        out.serialize_field("seq", &row.seq)?;
        out.serialize_field("at", &row.at)?;
        out.serialize_field("actor", &row.actor)?;
        out.serialize_field("action", &row.action)?;
        out.serialize_field("target", &row.target)?;
        out.serialize_field("changes", &self.changes)?;
        out.serialize_field("text", &row.text)?;
        out.serialize_field("before", &parse_object(row.before.as_deref()))?;
        out.serialize_field("after", &parse_object(row.after.as_deref()))?;
        out.serialize_field("hash", &row.hash)?;
        out.end()
    }
}

/// The audit log, newest first.
pub fn history(snapshot: &Snapshot) -> Result<Vec<Entry>, Refusal> {
    let rows = snapshot.workflow().audit_log()?;
    Ok(rows.into_iter().rev().map(entry).collect())
}

fn parse_object(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Object(Map::new()))
}

/// The row as shown: with what it changed, in words.
pub fn entry(row: AuditRow) -> Entry {
    let changes = changes(
        &parse_object(row.before.as_deref()),
        &parse_object(row.after.as_deref()),
    );
    Entry { row, changes }
}

/// Fields that only repeat the row's actor and time or its text, or count changes. (A
/// reversal's who, when and why are said in one line of their own.)
const BOOKKEEPING: &[&str] = &[
    "updated_by",
    "updated_at",
    "version",
    "decided_by",
    "decided_at",
    "decision_note",
    "reversed_by",
    "reversed_at",
    "reversal_reason",
];

fn show(value: &Value) -> String {
    match value {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `before → after` in words, one line per changed row and field.
pub fn changes(before: &Value, after: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    let Some(after) = after.as_object() else {
        return lines;
    };
    for (id, new) in after {
        let old = before.get(id).unwrap_or(&Value::Null);
        match (old.as_object(), new.as_object()) {
            (None, Some(_)) => lines.push(format!("{id} added")),
            (Some(_), None) => lines.push(format!("{id} removed")),
            (Some(old), Some(new)) => {
                for (field, value) in new {
                    let was = old.get(field).unwrap_or(&Value::Null);
                    if was != value && !BOOKKEEPING.contains(&field.as_str()) {
                        lines.push(format!("{id} {field}: {} → {}", show(was), show(value)));
                    }
                }
                if let (None, Some(by)) = (old.get("reversed_by"), new.get("reversed_by")) {
                    let field = |name: &str| new.get(name).map_or_else(|| "-".to_string(), show);
                    lines.push(format!(
                        "{id} {}",
                        super::mismatches::reversal_words(
                            &show(by),
                            &field("reversed_at"),
                            &field("reversal_reason")
                        )
                    ));
                }
            }
            (None, None) => {}
        }
    }
    lines
}

// Verify ----------------------------------------------------------------------------------------

/// One check of [`verify`] and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// The first thing found wrong: the audit sequence number it concerns (if any) and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub seq: Option<i64>,
    pub what: String,
}

/// What `closedesk verify` found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub ok: bool,
    pub length: i64,
    pub head: String,
    pub checks: Vec<Check>,
    pub first_problem: Option<Problem>,
}

struct Checks {
    checks: Vec<Check>,
    first_problem: Option<Problem>,
}

impl Checks {
    fn record(&mut self, name: &'static str, outcome: Result<String, Problem>) {
        match outcome {
            Ok(detail) => self.checks.push(Check {
                name,
                ok: true,
                detail,
            }),
            Err(problem) => {
                self.checks.push(Check {
                    name,
                    ok: false,
                    detail: match problem.seq {
                        Some(seq) => format!("seq {seq}: {}", problem.what),
                        None => problem.what.clone(),
                    },
                });
                if self.first_problem.is_none() {
                    self.first_problem = Some(problem);
                }
            }
        }
    }
}

fn problem(seq: Option<i64>, what: impl Into<String>) -> Problem {
    Problem {
        seq,
        what: what.into(),
    }
}

/// Checks the file and its audit log with the reconciliation engine (`reconcile::run`).
pub fn verify(snapshot: &Snapshot) -> Result<Report, Refusal> {
    verify_with(snapshot, &crate::reconcile::run, None)
}

/// Checks, in order, all in one read transaction (so writers working meanwhile cause no
/// false alarm): the file's identity (application_id, user_version); `PRAGMA
/// integrity_check`; every lock, append-only and generation trigger present and unchanged;
/// exactly one period row; audit sequence gap-free from 1; each hash recomputed and linked
/// to the previous; the head and length recorded at each sign-off; with `expected_head` (a
/// head kept outside the file: a sign-off receipt, an export), that it is in the log;
/// replaying the log gives the current workflow state; amounts within bounds; the stored
/// source aggregates, recomputed from the raw rows, the same; while the period is signed off, its
/// figures and its source rows still give what was signed; the stored result, if any, is
/// unedited and the engine's.
pub fn verify_with(
    snapshot: &Snapshot,
    engine: Engine<'_>,
    expected_head: Option<&str>,
) -> Result<Report, Refusal> {
    if snapshot.in_transaction() {
        // Inside the caller's transaction (an export verifies what it records).
        return verify_in(snapshot, engine, expected_head);
    }
    let read_tx = snapshot.begin_read()?;
    let report = verify_in(snapshot, engine, expected_head)?;
    read_tx.finish()?;
    Ok(report)
}

fn verify_in(
    snapshot: &Snapshot,
    engine: Engine<'_>,
    expected_head: Option<&str>,
) -> Result<Report, Refusal> {
    let read = snapshot.workflow();
    let mut checks = Checks {
        checks: Vec::new(),
        first_problem: None,
    };

    let (app, version) = read.identity()?;
    checks.record(
        "file identity",
        if app == APPLICATION_ID && version == SCHEMA_VERSION {
            Ok(format!("application_id 0x{app:08X}, schema version {version}"))
        } else {
            Err(problem(
                None,
                format!(
                    "application_id 0x{app:08X} and schema version {version}; expected \
                     0x{APPLICATION_ID:08X} and {SCHEMA_VERSION}"
                ),
            ))
        },
    );

    let integrity = read.integrity_check()?;
    checks.record(
        "integrity",
        if integrity == ["ok"] {
            Ok("PRAGMA integrity_check: ok".to_string())
        } else {
            Err(problem(
                None,
                format!("PRAGMA integrity_check: {}", integrity.join("; ")),
            ))
        },
    );

    checks.record("triggers", check_triggers(&read)?);
    checks.record("period row", check_period_row(&read)?);
    checks.record("row counts", check_row_counts(&read)?);

    let rows = read.audit_log()?;
    let (length, head) = read.audit_head()?;
    checks.record("sequence", check_sequence(&rows));
    checks.record("hash chain", check_chain(&rows));
    checks.record("sign-off anchors", check_anchors(&read, &rows)?);
    if let Some(expected) = expected_head {
        checks.record("expected head", check_expected_head(&rows, expected));
    }
    checks.record("replay", check_replay(&read, &rows)?);
    checks.record("lock changes", check_lock_changes(&read)?);
    let bounds = check_bounds(snapshot)?;
    let out_of_bounds = bounds.is_err();
    checks.record("bounds", bounds);
    if out_of_bounds {
        // Amounts past the bounds would make the engine's sums overflow: the checks that
        // run it are not run.
        return Ok(Report {
            ok: false,
            length,
            head,
            checks: checks.checks,
            first_problem: checks.first_problem,
        });
    }
    checks.record("source aggregates", check_aggregates(snapshot)?);
    let recon = engine(snapshot)?;
    checks.record("signed figures", check_signed_figures(snapshot, &recon)?);
    checks.record("signed source rows", check_signed_source(snapshot)?);
    checks.record("stored result", check_stored_result(snapshot, &recon)?);
    checks.record("signatures", super::signing::check_signatures(&read, &rows)?);

    Ok(Report {
        ok: checks.first_problem.is_none(),
        length,
        head,
        checks: checks.checks,
        first_problem: checks.first_problem,
    })
}

/// Every amount within the bounds import enforces (docs/snapshot-format.md, "Bounds").
fn check_bounds(snapshot: &Snapshot) -> Result<Result<String, Problem>, Refusal> {
    let b = snapshot.bounds()?;
    Ok(if b.problems.is_empty() {
        Ok(format!(
            "{} amounts within bounds (absolute total {})",
            b.amounts,
            crate::money::Money::from_cents(b.total_abs_cents as i64).grouped()
        ))
    } else {
        Err(problem(
            None,
            format!("amounts out of bounds: {}", b.problems.join("; ")),
        ))
    })
}

/// The stored source aggregates, recomputed from the raw rows (docs/reconciliation.md,
/// "Source aggregates"): the first table and key that differ, or rows written since their
/// build. Aggregates not current are not read by the engine, so they pass (named).
fn check_aggregates(snapshot: &Snapshot) -> Result<Result<String, Problem>, Refusal> {
    use crate::snapshot::aggregates::AggregateCheck;
    Ok(match snapshot.check_aggregates()? {
        AggregateCheck::NotBuilt => Ok("none stored: the engine reads the raw rows".to_string()),
        AggregateCheck::Stale {
            generation,
            source_generation,
        } => Ok(if generation == source_generation {
            "computed by another build's definitions: not read (the next reconcile rebuilds them)".to_string()
        } else {
            format!(
                "computed from source generation {generation}, the file is at {source_generation}: \
                 not read (the next reconcile rebuilds them)"
            )
        }),
        AggregateCheck::Agree { tables, rows } => Ok(format!(
            "{tables} tables, {rows} rows: each recomputed from the raw rows, the same"
        )),
        AggregateCheck::Missing { table } => Err(problem(
            None,
            format!("the source aggregate table {table} is missing"),
        )),
        AggregateCheck::Differs { table, key, stored } => Err(problem(
            None,
            format!(
                "{table} {}: {}",
                crate::text::inert(&key),
                if stored {
                    "the stored row differs from the one recomputed from the raw rows (edited?)"
                } else {
                    "recomputed from the raw rows but not stored as such (edited or removed?)"
                }
            ),
        )),
        AggregateCheck::Edited {
            edits,
            edits_now,
            seal_intact,
        } => Err(problem(
            None,
            if seal_intact {
                format!(
                    "source aggregate rows were written since their build (edit counter {edits_now}, \
                     stamped {edits})"
                )
            } else {
                "a trigger sealing the source aggregates is missing or changed".to_string()
            },
        )),
    })
}

fn check_period_row(read: &Reader<'_>) -> Result<Result<String, Problem>, Refusal> {
    let n = read.period_rows()?;
    Ok(if n == 1 {
        Ok("exactly one period row".to_string())
    } else {
        Err(problem(
            None,
            format!("the period table has {n} rows; a snapshot has exactly one"),
        ))
    })
}

/// Every change of the period's status (`lock_changes`, written by trigger since schema 11)
/// made by the sign-off or reopen it names ([`signoff::lock_record`]); one made outside
/// closedesk fails, also once a lead has looked (the file's history has it for good), and so
/// does a record edited by hand.
fn check_lock_changes(read: &Reader<'_>) -> Result<Result<String, Problem>, Refusal> {
    let changes = read.lock_changes()?;
    let record = signoff::lock_record(&changes);
    if let Some(forged) = record.forged {
        return Ok(Err(problem(
            None,
            format!("the record of the period's status changes was edited outside closedesk: {forged}"),
        )));
    }
    if let Some(c) = record.unseen.first() {
        return Ok(Err(problem(
            None,
            format!(
                "the period's status was changed outside closedesk ({}): no sign-off or reopen made it, \
                 and no lead has looked since",
                signoff::described(c)
            ),
        )));
    }
    if let Some(c) = record.seen.first() {
        let by = c.acknowledged_by.as_ref().map_or(0, |a| a.seq);
        return Ok(Err(problem(
            Some(by),
            format!(
                "the period's status was changed outside closedesk ({}), seen since by the sign-off or reopen \
                 at seq {by}",
                signoff::described(c)
            ),
        )));
    }
    Ok(Ok(match changes.len() {
        0 => "the period's status has not changed".to_string(),
        1 => "1 change of the period's status, by a sign-off or reopen".to_string(),
        n => format!("{n} changes of the period's status, each by a sign-off or reopen"),
    }))
}

/// An `--expect-head` value as typed: a head hash or a prefix of it, 12 to 64 hex digits
/// (surrounding whitespace ignored), lower-cased; else why not, echoing it as typed (inert).
pub fn expected_head(typed: &str) -> Result<String, String> {
    let head = typed.trim();
    if head.len() < 12 || head.len() > 64 || !head.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "--expect-head {}: not a head hash (12 to 64 hex digits, as a sign-off receipt or an export prints it)",
            inert(typed)
        ));
    }
    Ok(head.to_ascii_lowercase())
}

/// The head an auditor kept outside the file (the sign-off receipt, an export's header):
/// a full hash or a prefix of at least 12 hex digits, which must be a row of the log.
/// With the chain intact, every row up to it is then the one that was there when it was
/// taken; a log rewritten with recomputed hashes, or truncated before it, lacks it.
fn check_expected_head(rows: &[AuditRow], expected: &str) -> Result<String, Problem> {
    let expected = expected_head(expected).map_err(|why| problem(None, why))?;
    match rows.iter().find(|r| r.hash.starts_with(&expected)) {
        Some(row) => Ok(format!(
            "{expected} is row {} of {}: the log up to it is the one it was taken from",
            row.seq,
            rows.len()
        )),
        None => Err(problem(
            None,
            format!(
                "the head {expected} kept outside the file is not in the log: the log was rewritten \
                 (hashes recomputed) or truncated before it"
            ),
        )),
    }
}

fn check_triggers(read: &Reader<'_>) -> Result<Result<String, Problem>, Refusal> {
    let expected = expected_triggers()?;
    let present = read.triggers()?;
    for (name, sql) in &expected {
        match present.get(name) {
            None => return Ok(Err(problem(None, format!("trigger {name} is missing")))),
            Some(found) if found != sql => {
                return Ok(Err(problem(None, format!("trigger {name} was changed"))));
            }
            Some(_) => {}
        }
    }
    // A trigger closedesk did not make can change what a write stores (`RAISE(IGNORE)`
    // swallows an insert without failing it).
    if let Some(name) = present.keys().find(|name| !expected.contains_key(*name)) {
        return Ok(Err(problem(
            None,
            format!("trigger {} is not closedesk's: drop it", crate::text::inert(name)),
        )));
    }
    Ok(Ok(format!(
        "all {} lock, append-only and generation triggers present",
        expected.len()
    )))
}

/// Every source table still has the rows its import wrote (`source_counts`, schema 2): no
/// row was removed or added since, by any means. A file made before schema 2 has no counts.
fn check_row_counts(read: &Reader<'_>) -> Result<Result<String, Problem>, Refusal> {
    use crate::{snapshot::schema::SOURCE_TABLES, text::inert};
    let recorded = read.source_counts()?;
    if recorded.is_empty() {
        return Ok(Ok(
            "no import counts recorded (file made before schema 2)".to_string()
        ));
    }
    let mut wrong = Vec::new();
    for count in &recorded {
        let (table, file) = (inert(&count.table_name), inert(&count.file));
        match read.source_rows(&count.table_name)? {
            Some(rows) if rows == count.rows => {}
            Some(rows) => wrong.push(format!(
                "{table} has {rows} rows; the import wrote {} from {file}",
                count.rows
            )),
            None => wrong.push(format!("source_counts names '{table}', not a source table")),
        }
    }
    for table in SOURCE_TABLES {
        if !recorded.iter().any(|c| c.table_name == *table) {
            wrong.push(format!("{table} has no import count recorded"));
        }
    }
    Ok(if wrong.is_empty() {
        Ok(format!(
            "all {} source tables have the rows their import wrote",
            recorded.len()
        ))
    } else {
        Err(problem(None, wrong.join("; ")))
    })
}

fn check_sequence(rows: &[AuditRow]) -> Result<String, Problem> {
    for (index, row) in rows.iter().enumerate() {
        let expected = index as i64 + 1;
        if row.seq != expected {
            return Err(problem(
                Some(expected),
                format!("missing (the next row is seq {})", row.seq),
            ));
        }
    }
    Ok(format!("{} rows, gap-free from 1", rows.len()))
}

fn check_chain(rows: &[AuditRow]) -> Result<String, Problem> {
    let mut prev = GENESIS.to_string();
    for row in rows {
        if row.prev_hash != prev {
            return Err(problem(
                Some(row.seq),
                "its previous hash is not the hash of the row before it (a row was removed, \
                 inserted or reordered)",
            ));
        }
        if hash(&row.fields()) != row.hash {
            return Err(problem(
                Some(row.seq),
                "its hash does not match its contents (the row was edited)",
            ));
        }
        prev = row.hash.clone();
    }
    Ok("every hash recomputed and linked".to_string())
}

fn check_anchors(read: &Reader<'_>, rows: &[AuditRow]) -> Result<Result<String, Problem>, Refusal> {
    let signoffs = read.signoffs()?;
    let by_seq: BTreeMap<i64, &AuditRow> = rows.iter().map(|r| (r.seq, r)).collect();
    for s in &signoffs {
        match by_seq.get(&s.audit_len) {
            None if s.audit_len == 0 && s.audit_head == GENESIS => {}
            None => {
                return Ok(Err(problem(
                    Some(s.audit_len),
                    format!(
                        "sign-off {} recorded a log of {} rows, this row is missing (the log was \
                         truncated)",
                        s.id, s.audit_len
                    ),
                )));
            }
            Some(row) if row.hash != s.audit_head => {
                return Ok(Err(problem(
                    Some(s.audit_len),
                    format!(
                        "its hash is not the head recorded at sign-off {} (the log before it was \
                         rewritten)",
                        s.id
                    ),
                )));
            }
            Some(_) => {}
        }
    }
    Ok(Ok(match signoffs.len() {
        0 => "no sign-off yet".to_string(),
        n => format!("{n} sign-off(s): recorded head and length match"),
    }))
}

/// The current workflow state, keyed like the audit log's before/after objects.
fn current_state(read: &Reader<'_>) -> Result<BTreeMap<String, Value>, Refusal> {
    let mut state = BTreeMap::new();
    for row in read.checklist()? {
        state.insert(row.row_id(), row.state());
    }
    for row in read.mismatch_states()? {
        state.insert(row.row_id(), row.state());
    }
    for row in read.annotations()? {
        state.insert(row.row_id(), row.state());
    }
    for row in read.signoffs()? {
        state.insert(row.row_id(), row.state());
    }
    Ok(state)
}

fn check_replay(read: &Reader<'_>, rows: &[AuditRow]) -> Result<Result<String, Problem>, Refusal> {
    replay(read, rows, true)
}

/// [`check_replay`] of the workflow tables alone (`checklist`, `mismatch_state`,
/// `annotations`, `signoffs`), leaving out the period's status: what a sign-off is about to
/// seal must be what the log's actions made. The period's status is the lock checks' to
/// judge (a lock lifted outside closedesk and then reopened by a lead stays unaudited in the
/// log for good, and must not block the next sign-off).
pub(crate) fn workflow_rows_match_log(read: &Reader<'_>) -> Result<Result<String, Problem>, Refusal> {
    replay(read, &read.audit_log()?, false)
}

/// Why the workflow tables are not what the audit log's actions made, when they are not
/// ([`workflow_rows_match_log`]): a row written outside closedesk (a waiver set with
/// `sqlite3`). `status`, the cockpit and a sign-off say it; `verify` names it too.
pub fn changed_outside(read: &Reader<'_>) -> Result<Option<String>, Refusal> {
    Ok(workflow_rows_match_log(read)?.err().map(|p| {
        format!(
            "the workflow tables do not match the audit log ({}{}): they were changed outside closedesk",
            p.seq.map(|s| format!("seq {s}: ")).unwrap_or_default(),
            inert(&p.what)
        )
    }))
}

/// Refuses a write whose rows the workflow tables no longer hold as the audit log's last
/// change to them left them (a row written with `sqlite3`): the write would record that
/// state as its own before-state, and the log could never be replayed, verified or signed
/// off again. `before`: the entry's before-states, keyed by row id. Only the rows the write
/// touches are compared; the period's row is the lock's (`signoff`).
pub(crate) fn ensure_rows_follow_log(tx: &WriteTx<'_>, before: &Value) -> Result<(), Refusal> {
    let Some(before) = before.as_object() else {
        return Ok(());
    };
    for (id, now) in before.iter().filter(|(id, _)| !id.starts_with("period:")) {
        // What the log's actions left the row as: the last after-state naming it.
        let (seq, expected) = match tx.last_logged_state(id)? {
            Some((seq, state)) => (
                Some(seq),
                state
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or(Value::Null),
            ),
            None if id.starts_with("checklist:") => (None, ChecklistRow::initial_state()),
            None => (None, Value::Null),
        };
        if &expected != now {
            let last = match seq {
                Some(seq) => format!("the audit log's last change to it (seq {seq}) left it {expected}"),
                None => format!("the audit log never changed it: it should be {expected}"),
            };
            return Err(Refusal::Precondition(format!(
                "{id} was changed outside closedesk: {last}, the file has {now}. Nothing was saved: an \
                 action on it now would take that change for its starting point and the log could \
                 never be verified or signed off again. Put the row back as the log has it first \
                 (docs/workflow.md, \"Changed outside closedesk\")",
                id = inert(id),
                last = inert(&last),
                now = inert(&now.to_string()),
            )));
        }
    }
    Ok(())
}

fn replay(
    read: &Reader<'_>,
    rows: &[AuditRow],
    with_period: bool,
) -> Result<Result<String, Problem>, Refusal> {
    let mut replayed: BTreeMap<String, Value> = (1..=8u8)
        .map(|item| (format!("checklist:{item}"), ChecklistRow::initial_state()))
        .collect();
    let mut period: Option<(String, Value)> = None;
    let mut last_touch: BTreeMap<String, i64> = BTreeMap::new();
    for row in rows {
        let before = parse_object(row.before.as_deref());
        let after = parse_object(row.after.as_deref());
        let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
            return Ok(Err(problem(Some(row.seq), "before/after are not JSON objects")));
        };
        for (id, old) in before {
            if !with_period && id.starts_with("period:") {
                continue;
            }
            let known = if id.starts_with("period:") {
                // The period's state before its first logged change comes from the import.
                period
                    .as_ref()
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| old.clone())
            } else {
                replayed.get(id).cloned().unwrap_or(Value::Null)
            };
            if &known != old {
                return Ok(Err(problem(
                    Some(row.seq),
                    format!("its before-state of {id} does not follow from the rows before it"),
                )));
            }
        }
        for (id, new) in after {
            last_touch.insert(id.clone(), row.seq);
            if id.starts_with("period:") {
                period = Some((id.clone(), new.clone()));
            } else if new.is_null() {
                replayed.remove(id);
            } else {
                replayed.insert(id.clone(), new.clone());
            }
        }
    }
    let current = current_state(read)?;
    let ids: std::collections::BTreeSet<&String> = replayed.keys().chain(current.keys()).collect();
    for id in ids {
        if replayed.get(id) != current.get(id) {
            let (seq, what) = match (replayed.get(id), current.get(id)) {
                // The row that should have recorded it would come after the last one.
                (None, _) => (
                    Some(rows.len() as i64 + 1),
                    format!(
                        "missing: {id} is in the workflow tables but no audit row created it (the log \
                         was truncated, or the table written behind it)"
                    ),
                ),
                (_, None) => (
                    last_touch.get(id).copied(),
                    format!("{id} is in the log but missing from the workflow tables"),
                ),
                _ => (
                    last_touch.get(id).copied(),
                    format!("{id} in the workflow tables differs from the log's last change to it"),
                ),
            };
            return Ok(Err(problem(seq, what)));
        }
    }
    // The titles are not in the log (no action changes them): they are the close guide's.
    for row in read.checklist()? {
        let expected = CHECKLIST_ITEMS.get(usize::from(row.item).wrapping_sub(1));
        if expected != Some(&row.title.as_str()) {
            return Ok(Err(problem(
                None,
                format!(
                    "checklist:{}'s title is '{}', not the close guide's: changed behind the log",
                    row.item,
                    inert(&row.title)
                ),
            )));
        }
    }
    if !with_period {
        return Ok(Ok(format!("{} workflow rows match the log", current.len())));
    }
    let period_now = read.period_state()?;
    match &period {
        Some((id, logged)) if *id != period_now.row_id() || *logged != period_now.state() => {
            return Ok(Err(problem(
                last_touch.get(id).copied(),
                "the period's status or last clean close differs from the log's last change to it",
            )));
        }
        None if period_now.status != PeriodStatus::Open => {
            return Ok(Err(problem(
                None,
                "the period is signed off but the log has no sign-off",
            )));
        }
        _ => {}
    }
    Ok(Ok(format!("{} workflow rows match the log", current.len())))
}

/// The latest sign-off of a signed-off period; else the outcome the signed checks report
/// (passed: open, nothing signed; failed: signed off without a sign-off row).
fn signed_off(snapshot: &Snapshot) -> Result<Result<SignoffRow, Result<String, Problem>>, Refusal> {
    let read = snapshot.workflow();
    if read.period_state()?.status != PeriodStatus::SignedOff {
        return Ok(Err(Ok(
            "the period is open: nothing signed to compare".to_string()
        )));
    }
    Ok(match read.latest_signoff()? {
        Some(latest) => Ok(latest),
        None => Err(Err(problem(
            None,
            "the period is signed off but has no sign-off row",
        ))),
    })
}

fn check_signed_figures(
    snapshot: &Snapshot,
    recon: &Reconciliation,
) -> Result<Result<String, Problem>, Refusal> {
    let latest = match signed_off(snapshot)? {
        Ok(latest) => latest,
        Err(outcome) => return Ok(outcome),
    };
    let digest = signoff::digest(snapshot, recon)?;
    if digest != latest.digest {
        return Ok(Err(problem(
            None,
            format!(
                "the period's figures no longer give the digest signed by {} at {} (source or \
                 workflow data changed after sign-off)",
                latest.signed_by, latest.signed_at
            ),
        )));
    }
    Ok(Ok(format!(
        "figures match the digest signed at {}",
        latest.signed_at
    )))
}

/// While signed off: the source rows (and the roster) hash to what the sign-off recorded.
fn check_signed_source(snapshot: &Snapshot) -> Result<Result<String, Problem>, Refusal> {
    let latest = match signed_off(snapshot)? {
        Ok(latest) => latest,
        Err(outcome) => return Ok(outcome),
    };
    let Some(signed) = latest.source_hash else {
        return Ok(Ok(
            "signed before schema 2: the sign-off recorded no source content hash".to_string(),
        ));
    };
    let now = snapshot.source_content_hash()?;
    // `signed` is read from the file and may be anything: cut by characters, made inert.
    let signed_shown = crate::text::inert(&signed.chars().take(16).collect::<String>());
    Ok(if now == signed {
        Ok(format!("source rows and roster hash to {} as signed", &now[..16]))
    } else {
        Err(problem(
            None,
            format!(
                "the source rows no longer give the content hash signed by {} at {} (a source \
                 or roster row was changed after sign-off: hash {} now, {} signed)",
                latest.signed_by,
                latest.signed_at,
                &now[..16],
                signed_shown
            ),
        ))
    })
}

/// The stored result is unedited (its checksum) and, when current, the engine's overview.
fn check_stored_result(
    snapshot: &Snapshot,
    recon: &Reconciliation,
) -> Result<Result<String, Problem>, Refusal> {
    use crate::reconcile::stored::{check_stored, StoredCheck};
    Ok(match check_stored(snapshot, &recon.overview())? {
        StoredCheck::None => Ok("no stored result".to_string()),
        StoredCheck::Stale => Ok("the stored result is stale (ignored until recomputed)".to_string()),
        StoredCheck::Agrees => Ok("the stored result is the engine's".to_string()),
        StoredCheck::Edited => Err(problem(
            None,
            "the stored result was edited: its checksum does not match its contents (status and \
             the cockpit ignore it and recompute)",
        )),
        StoredCheck::Differs => Err(problem(
            None,
            "the stored result differs from what the engine computes from the source rows",
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::testing::demo_snapshot;

    /// An entry's JSON (`log --json`, a trail in `mismatch --json`): the row's fields in this
    /// order, `changes` in words, `before` and `after` as objects (`{}` when the row has
    /// none), the hash; not the previous hash nor the signature.
    #[test]
    fn an_entry_serializes_the_row_with_its_changes() {
        let row = AuditRow {
            seq: 7,
            at: "2026-04-01T10:00:00Z".into(),
            actor: "rdiaz".into(),
            action: "checklist.set".into(),
            target: "checklist:3".into(),
            before: Some(r#"{"checklist:3":{"status":"pending","version":1}}"#.into()),
            after: Some(r#"{"checklist:3":{"status":"done","version":2}}"#.into()),
            text: Some("tied".into()),
            prev_hash: "p".into(),
            hash: "h".into(),
            signature: Some("s".into()),
        };
        let json = serde_json::to_string(&entry(row.clone())).unwrap();
        assert_eq!(
            json,
            r#"{"seq":7,"at":"2026-04-01T10:00:00Z","actor":"rdiaz","action":"checklist.set","target":"checklist:3","changes":["checklist:3 status: pending → done"],"text":"tied","before":{"checklist:3":{"status":"pending","version":1}},"after":{"checklist:3":{"status":"done","version":2}},"hash":"h"}"#
        );
        let bare = entry(AuditRow {
            before: None,
            after: None,
            text: None,
            ..row
        });
        assert!(bare.changes.is_empty());
        let json = serde_json::to_value(&bare).unwrap();
        assert_eq!(json["before"], serde_json::json!({}));
        assert_eq!(json["after"], serde_json::json!({}));
        assert_eq!(json["text"], serde_json::Value::Null);
    }

    /// A sign-off's recorded source hash is read from the file: a non-ASCII one (a tampered
    /// file) is reported, not a panic on a byte index inside a character.
    #[test]
    fn a_non_ascii_signed_source_hash_is_reported_not_a_panic() {
        let (_dir, snapshot) = demo_snapshot();
        // Byte 16 falls inside the first 'é' (bytes 15 and 16).
        snapshot
            .conn()
            .execute_batch(
                "INSERT INTO signoffs (period_id, signed_by, signed_at, digest, audit_head, audit_len,
                     source_hash)
                 SELECT id, 'olive', '2026-04-02T09:15:00Z', 'd', '0', 0,
                        '0123456789abcdeéééé' FROM period;
                 UPDATE period SET status = 'signed_off';",
            )
            .unwrap();
        let problem = check_signed_source(&snapshot).unwrap().unwrap_err();
        assert!(
            problem.what.contains("0123456789abcde\u{e9} signed"),
            "{}",
            problem.what
        );
    }
}
