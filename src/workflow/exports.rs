//! Close outputs in the audit log: every export (GL, aging, mismatch register, close
//! packet) is produced inside one write transaction and recorded there by an `export` audit
//! row naming its kind, format, digest and row count. The row changes no workflow table, so
//! its `before` and `after` are `{}`; it may be written after sign-off (the audit log stays
//! append-only and writable under the lock). Item 8 of the checklist shows the exports.
//!
//! Owns recording an export in the audit log; must not produce an export's bytes (that is
//! `crate::export`).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Actor, Permission, Receipt, Refusal};
use crate::snapshot::workflow::{AuditEntry, AuditRow, Reader};
use crate::snapshot::Snapshot;

/// The audit action of an export.
pub const ACTION: &str = "export";

/// What one export produced, as its audit row's `text` records it (compact JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRecord {
    pub kind: String,
    pub format: String,
    /// SHA-256 (lowercase hex) of the bytes written.
    pub digest: String,
    pub rows: u64,
    /// Where it was written (`-` for standard output), as given.
    pub path: String,
    /// A GL journal by customer account (`--by-account`), not the entity's; absent (false)
    /// in every other record, so those read as they always did.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_account: bool,
}

impl ExportRecord {
    /// What was exported, in words: `gl (csv)`, `gl by account (csv)`.
    pub fn what(&self) -> String {
        match self.by_account {
            true => format!("{} by account ({})", self.kind, self.format),
            false => format!("{} ({})", self.kind, self.format),
        }
    }
}

/// The state an export is produced from, read inside its write transaction: the audit log's
/// length and head *before* the export's own row.
pub struct Before<'a> {
    pub read: Reader<'a>,
    pub audit_len: i64,
    pub audit_head: String,
}

/// Produces an export and records it, in one `BEGIN IMMEDIATE` transaction: `produce` sees
/// the snapshot as of the transaction and the audit head before the export's row, and
/// returns its value with the record to log. Nothing is recorded when `produce` fails.
pub fn record<T>(
    snapshot: &Snapshot,
    actor: &Actor,
    produce: impl FnOnce(&Before<'_>) -> Result<(T, ExportRecord), Refusal>,
) -> Result<(T, Receipt), Refusal> {
    actor.may(Permission::Export)?;
    snapshot.write(|tx| {
        let (audit_len, audit_head) = tx.read().audit_head()?;
        let before = Before {
            read: tx.read(),
            audit_len,
            audit_head,
        };
        let (value, record) = produce(&before)?;
        let text = serde_json::to_string(&record).expect("an export record serializes");
        let entry = AuditEntry {
            actor: actor.login.clone(),
            action: ACTION.to_string(),
            target: format!("export:{}", record.kind),
            before: json!({}),
            after: json!({}),
            text: Some(text),
        };
        let receipt = tx.append_audit(&entry, |read, hash| super::signing::sign(read, actor, hash))?;
        Ok((value, receipt))
    })
}

/// One recorded export: its audit row and what it recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub record: ExportRecord,
}

fn recorded(row: AuditRow) -> Option<Recorded> {
    let record = serde_json::from_str(row.text.as_deref()?).ok()?;
    Some(Recorded {
        seq: row.seq,
        at: row.at,
        actor: row.actor,
        record,
    })
}

/// Every recorded export, oldest first.
pub fn history(read: &Reader<'_>) -> Result<Vec<Recorded>, Refusal> {
    Ok(read
        .audit_log_by_action(ACTION)?
        .into_iter()
        .filter_map(recorded)
        .collect())
}
