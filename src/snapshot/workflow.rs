//! The SQL of the close workflow (docs/workflow.md): reading the checklist, mismatch states,
//! annotations, sign-offs and the audit log ([`Reader`]), and the one write path,
//! [`Snapshot::write`]: a `BEGIN IMMEDIATE` transaction in which every change is made through
//! [`WriteTx::audited`] and so appends its audit row ([`AuditEntry`]), hash-chained to the
//! head read inside the same transaction.
//!
//! Owns the workflow tables' SQL. The rules (who may do what, when) are in the workflow
//! layer (`src/workflow/`), which this module must not import: it only stores, and the
//! chain's encoding is [`super::chain`]'s.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use serde::Serialize;
use serde_json::{json, Value};

use super::chain;
use super::model::{
    AnnotationKind, CorrectionStatus, ItemStatus, MismatchStatus, PeriodStatus, Role, RosterEntry, Side,
    TargetKind, TIMESTAMP_FORMAT,
};
use super::queries::{opt_word_at, word_at};
use super::schema;
use super::Snapshot;
use crate::money::Money;

/// The current time as stored in workflow rows: `YYYY-MM-DDTHH:MM:SSZ`, UTC.
pub fn now() -> String {
    chrono::Utc::now().format(TIMESTAMP_FORMAT).to_string()
}

// Rows ---------------------------------------------------------------------------------------

/// The name of a workflow row in the audit log's before/after objects.
pub fn row_id(table: &str, key: impl std::fmt::Display) -> String {
    format!("{table}:{key}")
}

/// Adds to a row's logged state the fields a later schema brought, each only when set: a
/// row logged before that schema has no such field, and replaying the log must give the
/// row as it is.
fn set_when_some<const N: usize>(state: &mut Value, fields: [(&str, &Option<String>); N]) {
    for (field, value) in fields {
        if let Some(value) = value {
            state[field] = json!(value);
        }
    }
}

/// One change of the period's status (`lock_changes`), written by trigger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockChange {
    pub seq: i64,
    pub at: String,
    pub old_status: String,
    pub new_status: String,
    /// The sign-off or reopen whose own update this was.
    pub made_by: Option<LockClaim>,
    /// The sign-off or reopen that found it made outside closedesk.
    pub acknowledged_by: Option<LockClaim>,
}

/// The audit row a lock change names: its sequence number, and its action (`None` when
/// the log has no row of that number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockClaim {
    pub seq: i64,
    pub action: Option<String>,
}

/// One checklist item as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChecklistRow {
    pub item: u8,
    pub title: String,
    pub status: ItemStatus,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
    pub version: i64,
}

impl ChecklistRow {
    pub fn row_id(&self) -> String {
        row_id("checklist", self.item)
    }

    /// The fields a workflow change can alter, as recorded in the audit log.
    pub fn state(&self) -> Value {
        json!({
            "status": self.status.as_str(),
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
            "version": self.version,
        })
    }

    /// The state of an item no one has moved yet (as created with the snapshot).
    pub fn initial_state() -> Value {
        json!({"status": "pending", "updated_by": null, "updated_at": null, "version": 0})
    }
}

/// The workflow state of one mismatch, keyed by its stable key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MismatchStateRow {
    pub key: String,
    pub status: MismatchStatus,
    pub owner_override: Option<String>,
    pub first_seen: String,
    pub cleared_by_data: bool,
    pub updated_by: String,
    pub updated_at: String,
    pub version: i64,
}

impl MismatchStateRow {
    pub fn row_id(&self) -> String {
        row_id("mismatch", &self.key)
    }

    pub fn state(&self) -> Value {
        json!({
            "status": self.status.as_str(),
            "owner_override": self.owner_override,
            "first_seen": self.first_seen,
            "cleared_by_data": self.cleared_by_data,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
            "version": self.version,
        })
    }
}

/// A note, correction or waiver in a trail. `id` is 0 before it is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AnnotationRow {
    pub id: i64,
    pub target_kind: TargetKind,
    pub target: String,
    pub kind: AnnotationKind,
    pub author: String,
    pub created_at: String,
    pub text: String,
    pub amount: Option<Money>,
    pub side: Option<Side>,
    pub reference: Option<String>,
    pub correction_status: Option<CorrectionStatus>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// The note of an acceptance or the reason of a rejection, as the decider typed it
    /// (also the decision's audit text); schema 4.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_note: Option<String>,
    /// Who reversed an accepted correction, when and why (schema 4); the acceptance's
    /// `decided_by`/`decided_at` are kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversal_reason: Option<String>,
}

impl AnnotationRow {
    pub fn row_id(&self) -> String {
        row_id("annotation", self.id)
    }

    pub fn state(&self) -> Value {
        let mut state = json!({
            "target_kind": self.target_kind.as_str(),
            "target": self.target,
            "kind": self.kind.as_str(),
            "author": self.author,
            "created_at": self.created_at,
            "text": self.text,
            "amount_cents": self.amount.map(Money::cents),
            "side": self.side.map(Side::as_str),
            "reference": self.reference,
            "correction_status": self.correction_status.map(CorrectionStatus::as_str),
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
        });
        // Fields of schema 4, only when set: annotations logged before have none, and
        // replaying the log must give the row as it is.
        set_when_some(
            &mut state,
            [
                ("decision_note", &self.decision_note),
                ("reversed_by", &self.reversed_by),
                ("reversed_at", &self.reversed_at),
                ("reversal_reason", &self.reversal_reason),
            ],
        );
        state
    }
}

/// One sign-off of the period, and its reopening if there was one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignoffRow {
    pub id: i64,
    pub period_id: String,
    pub signed_by: String,
    pub signed_at: String,
    pub digest: String,
    pub audit_head: String,
    pub audit_len: i64,
    pub comment: Option<String>,
    pub reopened_by: Option<String>,
    pub reopened_at: Option<String>,
    pub reopen_reason: Option<String>,
    /// The content hash of every source row at sign-off ([`Snapshot::source_content_hash`]);
    /// `None` for a sign-off made before schema 2.
    pub source_hash: Option<String>,
    /// SHA-256 of the engine's overview at sign-off, against which a stored result of the
    /// signed-off period is checked before it is shown; `None` before schema 2.
    pub overview_hash: Option<String>,
}

impl SignoffRow {
    pub fn row_id(&self) -> String {
        row_id("signoff", self.id)
    }

    pub fn state(&self) -> Value {
        let mut state = json!({
            "period_id": self.period_id,
            "signed_by": self.signed_by,
            "signed_at": self.signed_at,
            "digest": self.digest,
            "audit_head": self.audit_head,
            "audit_len": self.audit_len,
            "comment": self.comment,
            "reopened_by": self.reopened_by,
            "reopened_at": self.reopened_at,
            "reopen_reason": self.reopen_reason,
        });
        // Sign-offs made before schema 2 have neither hash: their logged state has no such
        // field, and replaying the log must give the row as it is.
        set_when_some(
            &mut state,
            [
                ("source_hash", &self.source_hash),
                ("overview_hash", &self.overview_hash),
            ],
        );
        state
    }
}

/// The part of the period row the workflow changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeriodState {
    pub id: String,
    pub status: PeriodStatus,
    pub last_clean_period: Option<String>,
    pub last_clean_date: Option<String>,
}

impl PeriodState {
    pub fn row_id(&self) -> String {
        row_id("period", &self.id)
    }

    pub fn state(&self) -> Value {
        json!({
            "status": self.status.as_str(),
            "last_clean_period": self.last_clean_period,
            "last_clean_date": self.last_clean_date,
        })
    }
}

/// One row of the audit log. `before` and `after` are JSON objects naming each workflow row
/// the action changed (`checklist:3`, `mismatch:KEY`, `annotation:7`, `signoff:1`,
/// `period:ID`) with its state before and after (`null`: did not exist).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub text: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// Proof of the actor on a keyed roster (docs/workflow.md, "Signed actions"): the
    /// SSHSIG armored signature of `hash`, or `serve-key SHA256:…`; `None` otherwise. Not
    /// covered by the hash (it signs the hash).
    pub signature: Option<String>,
}

impl AuditRow {
    /// The fields the hash covers, in their canonical order.
    pub fn fields(&self) -> chain::Fields<'_> {
        chain::Fields {
            seq: self.seq,
            at: &self.at,
            actor: &self.actor,
            action: &self.action,
            target: &self.target,
            before: self.before.as_deref(),
            after: self.after.as_deref(),
            text: self.text.as_deref(),
            prev_hash: &self.prev_hash,
        }
    }
}

/// What a committed workflow action wrote to the audit log: its sequence number and hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub seq: i64,
    pub hash: String,
}

// Reading -------------------------------------------------------------------------------------

/// Read queries of the workflow tables, on a snapshot or inside a write transaction.
pub struct Reader<'a>(&'a Connection);

const CHECKLIST_COLUMNS: &str = "item, title, status, updated_by, updated_at, version";
const STATE_COLUMNS: &str =
    "key, status, owner_override, first_seen, cleared_by_data, updated_by, updated_at, version";
const ANNOTATION_COLUMNS: &str = "id, target_kind, target, kind, author, created_at, text, amount_cents, \
     side, reference, correction_status, decided_by, decided_at, decision_note, reversed_by, reversed_at, \
     reversal_reason";
const SIGNOFF_COLUMNS: &str = "id, period_id, signed_by, signed_at, digest, audit_head, audit_len, comment, \
     reopened_by, reopened_at, reopen_reason, source_hash, overview_hash";
const AUDIT_COLUMNS: &str = "seq, at, actor, action, target, before, after, text, prev_hash, hash, signature";

fn checklist_row(r: &Row<'_>) -> rusqlite::Result<ChecklistRow> {
    Ok(ChecklistRow {
        item: r.get(0)?,
        title: r.get(1)?,
        status: word_at(r, 2, ItemStatus::parse)?,
        updated_by: r.get(3)?,
        updated_at: r.get(4)?,
        version: r.get(5)?,
    })
}

fn state_row(r: &Row<'_>) -> rusqlite::Result<MismatchStateRow> {
    Ok(MismatchStateRow {
        key: r.get(0)?,
        status: word_at(r, 1, MismatchStatus::parse)?,
        owner_override: r.get(2)?,
        first_seen: r.get(3)?,
        cleared_by_data: r.get::<_, i64>(4)? != 0,
        updated_by: r.get(5)?,
        updated_at: r.get(6)?,
        version: r.get(7)?,
    })
}

fn annotation_row(r: &Row<'_>) -> rusqlite::Result<AnnotationRow> {
    Ok(AnnotationRow {
        id: r.get(0)?,
        target_kind: word_at(r, 1, TargetKind::parse)?,
        target: r.get(2)?,
        kind: word_at(r, 3, AnnotationKind::parse)?,
        author: r.get(4)?,
        created_at: r.get(5)?,
        text: r.get(6)?,
        amount: r.get::<_, Option<i64>>(7)?.map(Money::from_cents),
        side: opt_word_at(r, 8, Side::parse)?,
        reference: r.get(9)?,
        correction_status: opt_word_at(r, 10, CorrectionStatus::parse)?,
        decided_by: r.get(11)?,
        decided_at: r.get(12)?,
        decision_note: r.get(13)?,
        reversed_by: r.get(14)?,
        reversed_at: r.get(15)?,
        reversal_reason: r.get(16)?,
    })
}

fn signoff_row(r: &Row<'_>) -> rusqlite::Result<SignoffRow> {
    Ok(SignoffRow {
        id: r.get(0)?,
        period_id: r.get(1)?,
        signed_by: r.get(2)?,
        signed_at: r.get(3)?,
        digest: r.get(4)?,
        audit_head: r.get(5)?,
        audit_len: r.get(6)?,
        comment: r.get(7)?,
        reopened_by: r.get(8)?,
        reopened_at: r.get(9)?,
        reopen_reason: r.get(10)?,
        source_hash: r.get(11)?,
        overview_hash: r.get(12)?,
    })
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        target: r.get(4)?,
        before: r.get(5)?,
        after: r.get(6)?,
        text: r.get(7)?,
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
        signature: r.get(10)?,
    })
}

impl Reader<'_> {
    fn all<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Vec<T>> {
        let mut st = self.0.prepare_cached(sql)?;
        let rows = st.query_map(params, map)?;
        rows.collect()
    }

    fn one<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Option<T>> {
        self.0.prepare_cached(sql)?.query_row(params, map).optional()
    }

    /// Per workflow row id, the state the audit log's last row naming it in its after-states
    /// left it in: that row's seq and the state as JSON text (`None`: it deleted the row).
    fn logged_states(&self) -> rusqlite::Result<LoggedStates> {
        let mut st = self.0.prepare(
            "SELECT a.seq, j.key, CASE WHEN j.type = 'null' THEN NULL ELSE json(j.value) END
             FROM audit_log a, json_each(CASE WHEN json_valid(a.after) THEN a.after ELSE '{}' END) j
             ORDER BY a.seq",
        )?;
        let mut out = HashMap::new();
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            out.insert(r.get(1)?, (r.get(0)?, r.get(2)?));
        }
        Ok(out)
    }

    /// The roster entry of `login`, if it is on the roster.
    pub fn roster_entry(&self, login: &str) -> rusqlite::Result<Option<RosterEntry>> {
        self.one(
            "SELECT login, display_name, role, public_key FROM roster WHERE login = ?1",
            [login],
            |r| {
                Ok(RosterEntry {
                    login: r.get(0)?,
                    display_name: r.get(1)?,
                    role: word_at(r, 2, Role::parse)?,
                    public_key: r.get(3)?,
                })
            },
        )
    }

    /// How many period rows there are (a snapshot has exactly one).
    pub fn period_rows(&self) -> rusqlite::Result<i64> {
        self.0.query_row("SELECT count(*) FROM period", [], |r| r.get(0))
    }

    /// Every roster login and its role, by login: whom a newcomer may act as.
    pub fn roster_roles(&self) -> rusqlite::Result<Vec<(String, Role)>> {
        let mut st = self
            .0
            .prepare_cached("SELECT login, role FROM roster ORDER BY login")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, word_at(r, 1, Role::parse)?)))?;
        rows.collect()
    }

    /// Every roster login and its public key (`None`: none given).
    pub fn roster_keys(&self) -> rusqlite::Result<BTreeMap<String, Option<String>>> {
        let mut st = self.0.prepare_cached("SELECT login, public_key FROM roster")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    pub fn period_state(&self) -> rusqlite::Result<PeriodState> {
        self.0.query_row(
            "SELECT id, status, last_clean_period, last_clean_date FROM period",
            [],
            |r| {
                Ok(PeriodState {
                    id: r.get(0)?,
                    status: word_at(r, 1, PeriodStatus::parse)?,
                    last_clean_period: r.get(2)?,
                    last_clean_date: r.get(3)?,
                })
            },
        )
    }

    pub fn checklist(&self) -> rusqlite::Result<Vec<ChecklistRow>> {
        self.all(
            &format!("SELECT {CHECKLIST_COLUMNS} FROM checklist ORDER BY item"),
            [],
            checklist_row,
        )
    }

    pub fn checklist_item(&self, item: u8) -> rusqlite::Result<Option<ChecklistRow>> {
        self.one(
            &format!("SELECT {CHECKLIST_COLUMNS} FROM checklist WHERE item = ?1"),
            [item],
            checklist_row,
        )
    }

    pub fn mismatch_states(&self) -> rusqlite::Result<Vec<MismatchStateRow>> {
        self.all(
            &format!("SELECT {STATE_COLUMNS} FROM mismatch_state ORDER BY key"),
            [],
            state_row,
        )
    }

    pub fn mismatch_state(&self, key: &str) -> rusqlite::Result<Option<MismatchStateRow>> {
        self.one(
            &format!("SELECT {STATE_COLUMNS} FROM mismatch_state WHERE key = ?1"),
            [key],
            state_row,
        )
    }

    /// Every annotation, oldest first.
    pub fn annotations(&self) -> rusqlite::Result<Vec<AnnotationRow>> {
        self.all(
            &format!("SELECT {ANNOTATION_COLUMNS} FROM annotations ORDER BY id"),
            [],
            annotation_row,
        )
    }

    /// The annotations of one mismatch or checklist item, oldest first.
    pub fn annotations_of(&self, kind: TargetKind, target: &str) -> rusqlite::Result<Vec<AnnotationRow>> {
        self.all(
            &format!(
                "SELECT {ANNOTATION_COLUMNS} FROM annotations WHERE target_kind = ?1 AND target = ?2 ORDER BY id"
            ),
            params![kind.as_str(), target],
            annotation_row,
        )
    }

    /// Every correction proposed against a mismatch, oldest first.
    pub fn corrections(&self) -> rusqlite::Result<Vec<AnnotationRow>> {
        self.all(
            &format!(
                "SELECT {ANNOTATION_COLUMNS} FROM annotations
                 WHERE target_kind = 'mismatch' AND kind = 'correction' ORDER BY id"
            ),
            [],
            annotation_row,
        )
    }

    pub fn annotation(&self, id: i64) -> rusqlite::Result<Option<AnnotationRow>> {
        self.one(
            &format!("SELECT {ANNOTATION_COLUMNS} FROM annotations WHERE id = ?1"),
            [id],
            annotation_row,
        )
    }

    /// Every sign-off, oldest first.
    pub fn signoffs(&self) -> rusqlite::Result<Vec<SignoffRow>> {
        self.all(
            &format!("SELECT {SIGNOFF_COLUMNS} FROM signoffs ORDER BY id"),
            [],
            signoff_row,
        )
    }

    pub fn latest_signoff(&self) -> rusqlite::Result<Option<SignoffRow>> {
        self.one(
            &format!("SELECT {SIGNOFF_COLUMNS} FROM signoffs ORDER BY id DESC LIMIT 1"),
            [],
            signoff_row,
        )
    }

    /// Every change of the period's status (`lock_changes`, schema 11), oldest first, with
    /// the actions of the audit rows it names.
    pub fn lock_changes(&self) -> rusqlite::Result<Vec<LockChange>> {
        self.all(
            "SELECT l.seq, l.at, l.old_status, l.new_status,
                    l.made_by_seq, (SELECT action FROM audit_log WHERE seq = l.made_by_seq),
                    l.acknowledged_seq, (SELECT action FROM audit_log WHERE seq = l.acknowledged_seq)
             FROM lock_changes l ORDER BY l.seq",
            [],
            |r| {
                // An audit row's number at `at`, its action beside it.
                let claim = |at: usize| -> rusqlite::Result<Option<LockClaim>> {
                    Ok(match r.get::<_, Option<i64>>(at)? {
                        Some(seq) => Some(LockClaim {
                            seq,
                            action: r.get(at + 1)?,
                        }),
                        None => None,
                    })
                };
                Ok(LockChange {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    old_status: r.get(2)?,
                    new_status: r.get(3)?,
                    made_by: claim(4)?,
                    acknowledged_by: claim(6)?,
                })
            },
        )
    }

    /// The whole audit log, oldest first.
    pub fn audit_log(&self) -> rusqlite::Result<Vec<AuditRow>> {
        self.all(
            &format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq"),
            [],
            audit_row,
        )
    }

    /// The audit rows of one target (`mismatch:KEY`, `checklist:3`, `period:ID`), oldest first.
    pub fn audit_log_of(&self, target: &str) -> rusqlite::Result<Vec<AuditRow>> {
        self.all(
            &format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE target = ?1 ORDER BY seq"),
            [target],
            audit_row,
        )
    }

    /// One page of the audit log, newest first: rows with `seq < before` (`None`: from the
    /// newest), at most `limit` (keyset pagination for the cockpit).
    pub fn audit_page(&self, before: Option<i64>, limit: usize) -> rusqlite::Result<Vec<AuditRow>> {
        self.all(
            &format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2"),
            params![before.unwrap_or(i64::MAX), limit as i64],
            audit_row,
        )
    }

    /// The audit rows of one action (`export`, …), oldest first.
    pub fn audit_log_by_action(&self, action: &str) -> rusqlite::Result<Vec<AuditRow>> {
        self.all(
            &format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE action = ?1 ORDER BY seq"),
            [action],
            audit_row,
        )
    }

    /// The log's length and head hash ([`chain::GENESIS`] when empty).
    pub fn audit_head(&self) -> rusqlite::Result<(i64, String)> {
        let head = self.one(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(head.unwrap_or_else(|| (0, chain::GENESIS.to_string())))
    }

    /// `PRAGMA application_id` and `PRAGMA user_version`.
    pub fn identity(&self) -> rusqlite::Result<(i32, i32)> {
        let app = self.0.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version = self.0.pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok((app, version))
    }

    /// The messages of `PRAGMA integrity_check` (`["ok"]` when sound).
    pub fn integrity_check(&self) -> rusqlite::Result<Vec<String>> {
        let mut st = self.0.prepare("PRAGMA integrity_check")?;
        let rows = st.query_map([], |r| r.get(0))?;
        rows.collect()
    }

    /// Every trigger in the file: name → SQL.
    pub fn triggers(&self) -> rusqlite::Result<BTreeMap<String, String>> {
        let mut st = self
            .0
            .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'")?;
        let rows = st.query_map([], |r| {
            Ok((r.get(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default()))
        })?;
        rows.collect()
    }
}

/// One row of `source_counts`: how many rows an import (or the generator) wrote into a
/// source table, and from which file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceCount {
    pub table_name: String,
    pub file: String,
    pub rows: i64,
}

impl Reader<'_> {
    /// Every `source_counts` row, by table name (none in a file made before schema 2).
    pub fn source_counts(&self) -> rusqlite::Result<Vec<SourceCount>> {
        self.all(
            "SELECT table_name, file, rows FROM source_counts ORDER BY table_name",
            [],
            |r| {
                Ok(SourceCount {
                    table_name: r.get(0)?,
                    file: r.get(1)?,
                    rows: r.get(2)?,
                })
            },
        )
    }

    /// The number of rows of source table `table` (or pre-aggregated usage table); `None`
    /// when `table` is not the name of one (the name is never put into SQL otherwise).
    pub fn source_rows(&self, table: &str) -> rusqlite::Result<Option<i64>> {
        let mut tables = schema::SOURCE_TABLES.iter().chain(schema::USAGE_AGGREGATE_TABLES);
        let Some(known) = tables.find(|t| **t == table) else {
            return Ok(None);
        };
        self.0
            .query_row(&format!("SELECT count(*) FROM {known}"), [], |r| r.get(0))
            .map(Some)
    }
}

/// The triggers a snapshot of this schema version must have, name → SQL, from a fresh
/// in-memory database built by the same migrations.
pub fn expected_triggers() -> rusqlite::Result<BTreeMap<String, String>> {
    let reference = Connection::open_in_memory()?;
    for sql in schema::migrations() {
        reference.execute_batch(&sql)?;
    }
    Reader(&reference).triggers()
}

impl Snapshot {
    /// Read queries of the workflow tables.
    pub fn workflow(&self) -> Reader<'_> {
        Reader(self.conn())
    }

    /// Runs `change` in one `BEGIN IMMEDIATE` transaction and commits it. The transaction
    /// waits up to [`super::BUSY_TIMEOUT`] for another writer. Any error rolls back.
    pub(crate) fn write<T, E: From<rusqlite::Error>>(
        &self,
        change: impl FnOnce(&WriteTx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = Transaction::new_unchecked(self.conn(), TransactionBehavior::Immediate)?;
        self.still_at_its_path()?;
        let write = WriteTx {
            tx,
            at: now(),
            logged: RefCell::new(None),
        };
        let value = change(&write)?;
        write.tx.commit()?;
        Ok(value)
    }
}

// Writing -------------------------------------------------------------------------------------

/// One audit row to append: who did what to which workflow row, the states of the rows it
/// changed before and after (JSON objects keyed by [`row_id`]; `{}` for an action that
/// changes no table), and its text. [`WriteTx::audited`] requires one with every write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Value,
    pub after: Value,
    pub text: Option<String>,
}

/// An open write transaction: reads, and the audit log. Workflow tables are changed only
/// through [`WriteTx::audited`], whose change must return the audit entry describing it, so
/// a write without its audit row does not compile.
pub struct WriteTx<'a> {
    tx: Transaction<'a>,
    at: String,
    /// [`WriteTx::last_logged_state`]'s answers: the log read once per transaction, then
    /// kept up to date by each row this transaction appends (a sync writes one per mismatch).
    logged: RefCell<Option<LoggedStates>>,
}

/// Per workflow row id, the seq of the last audit row naming it in its after-states and the
/// state it gave it (JSON text; `None`: deleted).
type LoggedStates = HashMap<String, (i64, Option<String>)>;

/// Write access to the workflow tables, lent only inside [`WriteTx::audited`].
pub struct Writes<'t>(&'t WriteTx<'t>);

impl WriteTx<'_> {
    /// The time of this transaction, used for every row it writes.
    pub fn at(&self) -> &str {
        &self.at
    }

    /// Read queries inside the transaction (they see its own writes).
    pub fn read(&self) -> Reader<'_> {
        Reader(&self.tx)
    }

    /// The state the audit log's last row naming workflow row `id` in its after-states left
    /// it in: that row's seq and the state as JSON text (`None`: it deleted the row); `None`
    /// when no row names it. Counts the rows this transaction appended.
    pub fn last_logged_state(&self, id: &str) -> rusqlite::Result<Option<(i64, Option<String>)>> {
        let mut logged = self.logged.borrow_mut();
        if logged.is_none() {
            *logged = Some(self.read().logged_states()?);
        }
        Ok(logged.as_ref().and_then(|m| m.get(id).cloned()))
    }

    /// Runs `change` with write access, then appends the audit entry it returns (see
    /// [`WriteTx::append_audit`] for `sign`), and returns its receipt.
    pub fn audited<E: From<rusqlite::Error>>(
        &self,
        sign: impl FnOnce(&Reader<'_>, &str) -> Result<Option<String>, E>,
        change: impl FnOnce(&Writes<'_>) -> Result<AuditEntry, E>,
    ) -> Result<Receipt, E> {
        let entry = change(&Writes(self))?;
        self.append_audit(&entry, sign)
    }

    /// [`WriteTx::audited`] for a change that also gives back a value (a row it inserted).
    pub fn audited_with<T, E: From<rusqlite::Error>>(
        &self,
        sign: impl FnOnce(&Reader<'_>, &str) -> Result<Option<String>, E>,
        change: impl FnOnce(&Writes<'_>) -> Result<(T, AuditEntry), E>,
    ) -> Result<(T, Receipt), E> {
        let (value, entry) = change(&Writes(self))?;
        let receipt = self.append_audit(&entry, sign)?;
        Ok((value, receipt))
    }

    /// Appends one audit row chained to the current head, and returns its receipt; on its
    /// own, for an action that changes no workflow table (an export, a session event).
    /// `sign` gets the row's hash (and the transaction's reads) and returns its signature
    /// field, or refuses: then nothing is inserted and the caller's transaction rolls back.
    pub fn append_audit<E: From<rusqlite::Error>>(
        &self,
        entry: &AuditEntry,
        sign: impl FnOnce(&Reader<'_>, &str) -> Result<Option<String>, E>,
    ) -> Result<Receipt, E> {
        let (len, prev_hash) = self.read().audit_head()?;
        let mut row = AuditRow {
            seq: len + 1,
            at: self.at.clone(),
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            target: entry.target.clone(),
            before: Some(entry.before.to_string()),
            after: Some(entry.after.to_string()),
            text: entry.text.clone(),
            prev_hash,
            hash: String::new(),
            signature: None,
        };
        row.hash = chain::hash(&row.fields());
        row.signature = sign(&self.read(), &row.hash)?;
        self.tx.execute(
            &format!(
                "INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ),
            params![
                row.seq,
                row.at,
                row.actor,
                row.action,
                row.target,
                row.before,
                row.after,
                row.text,
                row.prev_hash,
                row.hash,
                row.signature
            ],
        )
        .and_then(|n| one_row(n, "audit_log"))?;
        if let (Some(logged), Some(after)) = (self.logged.borrow_mut().as_mut(), entry.after.as_object()) {
            for (id, state) in after {
                let state = (!state.is_null()).then(|| state.to_string());
                logged.insert(id.clone(), (row.seq, state));
            }
        }
        Ok(Receipt {
            seq: row.seq,
            hash: row.hash,
        })
    }
}

impl Writes<'_> {
    /// The time of this transaction, used for every row it writes.
    pub fn at(&self) -> &str {
        self.0.at()
    }

    /// Read queries inside the transaction (they see its own writes).
    pub fn read(&self) -> Reader<'_> {
        self.0.read()
    }

    fn tx(&self) -> &Transaction<'_> {
        &self.0.tx
    }

    pub fn update_checklist(&self, row: &ChecklistRow) -> rusqlite::Result<()> {
        self.tx().execute(
            "UPDATE checklist SET status = ?2, updated_by = ?3, updated_at = ?4, version = ?5 WHERE item = ?1",
            params![row.item, row.status.as_str(), row.updated_by, row.updated_at, row.version],
        )
        .and_then(|n| one_row(n, "checklist"))?;
        Ok(())
    }

    /// Inserts or replaces the state of one mismatch.
    pub fn put_mismatch_state(&self, row: &MismatchStateRow) -> rusqlite::Result<()> {
        self.tx()
            .execute(
                "INSERT INTO mismatch_state
                 (key, status, owner_override, first_seen, cleared_by_data, updated_by, updated_at, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (key) DO UPDATE SET
                 status = excluded.status, owner_override = excluded.owner_override,
                 first_seen = excluded.first_seen, cleared_by_data = excluded.cleared_by_data,
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at,
                 version = excluded.version",
                params![
                    row.key,
                    row.status.as_str(),
                    row.owner_override,
                    row.first_seen,
                    row.cleared_by_data as i64,
                    row.updated_by,
                    row.updated_at,
                    row.version
                ],
            )
            .and_then(|n| one_row(n, "mismatch_state"))?;
        Ok(())
    }

    /// Stores a new annotation and returns it with its id.
    pub fn insert_annotation(&self, row: &AnnotationRow) -> rusqlite::Result<AnnotationRow> {
        self.tx()
            .execute(
                "INSERT INTO annotations (target_kind, target, kind, author, created_at, text, amount_cents,
                 side, reference, correction_status, decided_by, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    row.target_kind.as_str(),
                    row.target,
                    row.kind.as_str(),
                    row.author,
                    row.created_at,
                    row.text,
                    row.amount.map(Money::cents),
                    row.side.map(Side::as_str),
                    row.reference,
                    row.correction_status.map(CorrectionStatus::as_str),
                    row.decided_by,
                    row.decided_at
                ],
            )
            .and_then(|n| one_row(n, "annotations"))?;
        Ok(AnnotationRow {
            id: self.tx().last_insert_rowid(),
            ..row.clone()
        })
    }

    /// Records a decision on a correction: accepted or rejected (with its note), or an
    /// accepted one reversed (who, when, why).
    pub fn decide_correction(&self, row: &AnnotationRow) -> rusqlite::Result<()> {
        self.tx()
            .execute(
                "UPDATE annotations SET correction_status = ?2, decided_by = ?3, decided_at = ?4,
                 decision_note = ?5, reversed_by = ?6, reversed_at = ?7, reversal_reason = ?8
             WHERE id = ?1",
                params![
                    row.id,
                    row.correction_status.map(CorrectionStatus::as_str),
                    row.decided_by,
                    row.decided_at,
                    row.decision_note,
                    row.reversed_by,
                    row.reversed_at,
                    row.reversal_reason
                ],
            )
            .and_then(|n| one_row(n, "annotations"))?;
        Ok(())
    }

    /// Stores a new sign-off and returns it with its id.
    pub fn insert_signoff(&self, row: &SignoffRow) -> rusqlite::Result<SignoffRow> {
        self.tx().execute(
            "INSERT INTO signoffs (period_id, signed_by, signed_at, digest, audit_head, audit_len, comment,
                 source_hash, overview_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                row.period_id,
                row.signed_by,
                row.signed_at,
                row.digest,
                row.audit_head,
                row.audit_len,
                row.comment,
                row.source_hash,
                row.overview_hash
            ],
        )
        .and_then(|n| one_row(n, "signoffs"))?;
        Ok(SignoffRow {
            id: self.tx().last_insert_rowid(),
            ..row.clone()
        })
    }

    /// Records on the change of the period's status this transaction's update just made
    /// (the trigger's newest row) that the audit row appended next — a sign-off's or a
    /// reopen's — made it. Exactly one row, else nothing is saved (the logging trigger is
    /// missing or not closedesk's).
    pub fn claim_own_lock_change(&self) -> rusqlite::Result<()> {
        self.tx()
            .execute(
                "UPDATE lock_changes SET made_by_seq = (SELECT coalesce(max(seq), 0) + 1 FROM audit_log)
                 WHERE seq = (SELECT max(seq) FROM lock_changes)
                   AND made_by_seq IS NULL AND acknowledged_seq IS NULL
                   AND new_status = (SELECT status FROM period)",
                [],
            )
            .and_then(|n| one_row(n, "lock_changes"))
    }

    /// Records on every change of the period's status made outside closedesk and not yet
    /// looked at that the audit row appended next (a sign-off's or a lead's reopen) saw it.
    pub fn acknowledge_lock_changes(&self) -> rusqlite::Result<usize> {
        self.tx().execute(
            "UPDATE lock_changes SET acknowledged_seq = (SELECT coalesce(max(seq), 0) + 1 FROM audit_log)
             WHERE made_by_seq IS NULL AND acknowledged_seq IS NULL",
            [],
        )
    }

    /// Records who reopened a sign-off, when and why.
    pub fn record_reopen(&self, row: &SignoffRow) -> rusqlite::Result<()> {
        self.tx()
            .execute(
                "UPDATE signoffs SET reopened_by = ?2, reopened_at = ?3, reopen_reason = ?4 WHERE id = ?1",
                params![row.id, row.reopened_by, row.reopened_at, row.reopen_reason],
            )
            .and_then(|n| one_row(n, "signoffs"))?;
        Ok(())
    }

    /// Sets the period's status and last clean close. Once the status is `signed_off` the
    /// lock triggers refuse every other write to source and workflow tables (the audit log
    /// stays writable, so the entry of the change that signs off is appended after it).
    /// Sets the period's workflow state (never its window: the source aggregates stay
    /// current through it).
    pub fn update_period(&self, state: &PeriodState) -> rusqlite::Result<()> {
        super::aggregates::keeping_current(self.tx(), || {
            self.tx().execute(
                "UPDATE period SET status = ?2, last_clean_period = ?3, last_clean_date = ?4 WHERE id = ?1",
                params![
                    state.id,
                    state.status.as_str(),
                    state.last_clean_period,
                    state.last_clean_date
                ],
            )
        })
        .and_then(|n| one_row(n, "period"))?;
        Ok(())
    }
}

/// One row written, else an error: a trigger that is not closedesk's can make an insert
/// or update write nothing without failing (`RAISE(IGNORE)`), and a change the user is told
/// was saved must have been (the transaction then rolls back whole).
fn one_row(written: usize, table: &str) -> rusqlite::Result<()> {
    if written == 1 {
        return Ok(());
    }
    Err(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_TRIGGER),
        Some(format!(
            "{table}: {written} rows written where one was meant (a trigger that is not closedesk's?); \
             nothing was saved — closedesk verify lists the file's triggers"
        )),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{new_snapshot, pragma, temp_path};
    use super::*;

    /// Workflow writes are durable: synchronous = FULL and WAL (waiting for other writers:
    /// `snapshot::busy`).
    #[test]
    fn connections_write_with_synchronous_full() {
        let (_dir, path) = temp_path("p.db");
        drop(Snapshot::create(&path).unwrap());
        let snap = Snapshot::open(&path).unwrap();
        assert_eq!(pragma::<i64>(&snap, "synchronous"), 2, "FULL");
        assert_eq!(pragma::<String>(&snap, "journal_mode"), "wal");
        // A file another tool switched to a rollback journal is WAL again once opened.
        drop(snap);
        let other = rusqlite::Connection::open(&path).unwrap();
        other.pragma_update(None, "journal_mode", "DELETE").unwrap();
        drop(other);
        let snap = Snapshot::open(&path).unwrap();
        assert_eq!(pragma::<String>(&snap, "journal_mode"), "wal");
    }

    /// A sign-off or reopening changes the period row, which counts in the source
    /// generation, but not the window: the source aggregates stay current through it.
    #[test]
    fn a_period_state_change_keeps_the_aggregates_current() {
        use super::super::aggregates::Basis;
        let (_dir, snap) = super::super::testing::demo_snapshot();
        assert_eq!(snap.aggregates_basis().unwrap(), Basis::Stored);
        let generation = snap.source_generation().unwrap();
        let set = |status: PeriodStatus| {
            snap.write(|tx| {
                tx.audited(
                    |_, _| Ok::<_, rusqlite::Error>(None),
                    |w| {
                        let state = PeriodState {
                            status,
                            ..tx.read().period_state()?
                        };
                        w.update_period(&state)?;
                        Ok(AuditEntry {
                            actor: "mhale".into(),
                            action: "test".into(),
                            target: "period".into(),
                            before: json!({}),
                            after: json!({}),
                            text: None,
                        })
                    },
                )
            })
            .unwrap();
        };
        set(PeriodStatus::SignedOff);
        assert!(
            snap.source_generation().unwrap() > generation,
            "the update is counted"
        );
        assert_eq!(
            snap.aggregates_basis().unwrap(),
            Basis::Stored,
            "after a sign-off"
        );
        set(PeriodStatus::Open);
        assert_eq!(
            snap.aggregates_basis().unwrap(),
            Basis::Stored,
            "after a reopening"
        );
        // A source edit still makes them stale.
        snap.conn()
            .execute(
                "UPDATE invoice_lines SET amount_cents = amount_cents + 1 WHERE rowid = 1",
                [],
            )
            .unwrap();
        assert_eq!(snap.aggregates_basis().unwrap(), Basis::Source);
    }

    #[test]
    fn the_first_audit_row_chains_to_genesis() {
        let (_dir, snap) = new_snapshot();
        assert_eq!(
            snap.workflow().audit_head().unwrap(),
            (0, chain::GENESIS.to_string())
        );
        let receipt = snap
            .write(|tx| {
                let entry = AuditEntry {
                    actor: "a".into(),
                    action: "x".into(),
                    target: "t".into(),
                    before: json!({}),
                    after: json!({}),
                    text: Some("hi".into()),
                };
                tx.append_audit(&entry, |_, _| Ok::<_, rusqlite::Error>(None))
            })
            .unwrap();
        let row = &snap.workflow().audit_log().unwrap()[0];
        assert_eq!(receipt.seq, 1);
        assert_eq!(row.prev_hash, chain::GENESIS);
        assert_eq!(row.hash, chain::hash(&row.fields()));
        assert_eq!(snap.workflow().audit_head().unwrap(), (1, receipt.hash));
    }
}
