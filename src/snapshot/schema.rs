//! The snapshot's schema and its migrations. Version N of the schema is reached by running
//! every migration up to N in order, each in its own transaction.
//!
//! Owns the tables, triggers and migrations; a published migration is never edited. Must
//! not read or write rows.

/// `PRAGMA application_id` of a closedesk snapshot: "CLDS".
pub const APPLICATION_ID: i32 = 0x434C_4453;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i32 = 11;

/// The first schema version whose amounts are in the period currency's own minor unit
/// (before it, every amount was stored in hundredths whatever the currency).
pub const MINOR_UNITS_SINCE: i32 = 4;

/// Source tables, in an order where each table's references come before it.
pub const SOURCE_TABLES: &[&str] = &[
    "period",
    "lane_owners",
    "accounts",
    "invoices",
    "invoice_lines",
    "payments",
    "credits",
    "disbursements",
    "ledger",
    "usage_events",
    "export_batches",
    "export_lines",
    "employer_programs",
    "program_statements",
    "statement_lines",
    "roster",
];

/// Workflow tables: written by the cockpit and the workflow commands, never by import.
/// `audit_log` is append-only and stays writable after sign-off (a reopen is audited).
pub const WORKFLOW_TABLES: &[&str] = &[
    "checklist",
    "mismatch_state",
    "annotations",
    "signoffs",
    "audit_log",
];

/// Internal tables: derived data, neither source nor workflow, and not under the sign-off
/// lock. `source_generation` counts changes to the source tables (bumped by the
/// `*_generation_*` triggers); `reconcile_cache` holds the last reconciliation computed and
/// the generation it was computed from (docs/reconciliation.md, "Stored results"). Both stay
/// writable after sign-off: a signed-off period's source tables cannot change, so its
/// stored result stays current and a reader may store one; nothing of record is kept here
/// (`reconcile`, sign-off and `verify` always run the engine).
pub const INTERNAL_TABLES: &[&str] = &[
    "source_generation",
    "reconcile_cache",
    "reconcile_steps",
    "reconcile_mismatches",
    "reconcile_totals",
    "reconcile_edits",
    "agg_stamp",
    "agg_edits",
    "lock_changes",
];

/// Import metadata: what `import` (or the generator) wrote, per source table, written in
/// the same transaction as the rows and never changed after (docs/snapshot-format.md).
pub const IMPORT_TABLES: &[&str] = &["source_counts"];

/// The migrations in order: entry `i` takes a file from version `i` to version `i + 1`, in
/// one transaction. A published entry is never edited; a change is a new entry.
pub fn migrations() -> Vec<String> {
    vec![
        format!(
            "{V1}{}{}",
            lock_triggers_v1_sql(),
            generation_triggers_sql(V1_SOURCE_TABLES)
        ),
        v2(),
        stored_result_rows(),
        reversible_corrections(),
        sealed_result_rows(),
        usage_aggregates(),
        source_aggregates(),
        aggregate_tables(8, Vec::new()),
        aggregate_tables(9, Vec::new()),
        aggregate_tables(10, Vec::new()),
        LOCK_CHANGES.to_string(),
    ]
}

/// Version 11: every change of the period's status, written by trigger, so a lock lifted
/// by plain SQL and put back is seen after it is back (`workflow::signoff`). The sign-off or
/// reopen whose own update made a change records its audit row on it (`made_by_seq`); one
/// that finds changes made outside closedesk records that it saw them
/// (`acknowledged_seq`). Rows are never deleted, each column is set once, and a row is
/// never both. Idempotent (a test's way to replay the older migrations sets the version
/// back).
const LOCK_CHANGES: &str = r#"
CREATE TABLE IF NOT EXISTS lock_changes (
    seq              INTEGER PRIMARY KEY,
    at               TEXT NOT NULL,
    old_status       TEXT NOT NULL,
    new_status       TEXT NOT NULL,
    made_by_seq      INTEGER,
    acknowledged_seq INTEGER
);
CREATE TRIGGER IF NOT EXISTS period_status_logged AFTER UPDATE OF status ON period
WHEN OLD.status IS NOT NEW.status
BEGIN
    INSERT INTO lock_changes (at, old_status, new_status)
    VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), OLD.status, NEW.status);
END;
CREATE TRIGGER IF NOT EXISTS lock_changes_no_delete BEFORE DELETE ON lock_changes
BEGIN SELECT RAISE(ABORT, 'lock_changes: rows are never deleted'); END;
CREATE TRIGGER IF NOT EXISTS lock_changes_claimed_once BEFORE UPDATE ON lock_changes
WHEN NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at OR NEW.old_status IS NOT OLD.old_status
  OR NEW.new_status IS NOT OLD.new_status
  OR (OLD.made_by_seq IS NOT NULL AND NEW.made_by_seq IS NOT OLD.made_by_seq)
  OR (OLD.acknowledged_seq IS NOT NULL AND NEW.acknowledged_seq IS NOT OLD.acknowledged_seq)
  OR (NEW.made_by_seq IS NOT NULL AND NEW.acknowledged_seq IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'lock_changes: each column is set once, and a change is never edited'); END;
"#;

/// Version 7 (issue 15): source aggregates (`super::aggregates`). One table per aggregate,
/// its columns those of its reader's query (a later change of them is a new migration);
/// their stamp (the source generation, edit count and definitions they were computed
/// from); and the counter that seals them: every insert, update or delete of an aggregate
/// row counts up `agg_edits` (`agg_*_edited_{op}`), and the counter only counts up. The
/// tables are empty until built: an older file gets its aggregates right after this
/// migration (`Snapshot::open`).
fn source_aggregates() -> String {
    let mut sql = String::from(
        r#"
CREATE TABLE IF NOT EXISTS agg_edits (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    edits INTEGER NOT NULL
);
INSERT INTO agg_edits (id, edits) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM agg_edits);
CREATE TABLE IF NOT EXISTS agg_stamp (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL,
    edits       INTEGER NOT NULL,
    definitions TEXT NOT NULL
);
"#,
    );
    sql.push_str(&aggregate_tables(7, aggregate_counter_triggers()));
    sql
}

/// The tables of the aggregates that version `version` added, then `triggers` and the
/// triggers that seal each table. Version 8 (issue 15) added the smaller inputs that still
/// scanned a source table on every run: the window's activity, voids, payment undos,
/// export batch totals and extract accounts, unpresented and billed program fees. Version 9
/// added the revenue lines grouped by schedule, so the revenue check reads one row per
/// schedule rather than one per line. Version 10 added the ledger rows that do not add up
/// to the invoice or disbursement they record.
fn aggregate_tables(version: i32, mut triggers: Vec<(String, String)>) -> String {
    let mut sql = String::new();
    for aggregate in super::aggregates::AGGREGATES
        .iter()
        .filter(|a| a.since == version)
    {
        sql.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS {} ({});\n",
            aggregate.table,
            aggregate.columns.join(", ")
        ));
        triggers.extend(edit_counting_triggers(aggregate.table, "agg_edits"));
    }
    for (_, trigger) in triggers {
        sql.push_str(&idempotent(&trigger));
    }
    sql
}

/// A trigger's SQL made idempotent, with its `;`: a file whose version was set back (a
/// test's way to replay the older migrations) already has it. SQLite keeps each without
/// `IF NOT EXISTS`.
fn idempotent(trigger: &str) -> String {
    format!(
        "{};\n",
        trigger.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ")
    )
}

/// (name, SQL) of the triggers that let `agg_edits` only count up, each without its `;`
/// (as `sqlite_schema` keeps it).
pub fn aggregate_counter_triggers() -> Vec<(String, String)> {
    count_up_only_triggers("agg_edits")
}

/// The usage tables of pre-aggregated Parquet usage (docs/usage-parquet.md), locked and
/// counted in the source generation like the source tables.
pub const USAGE_AGGREGATE_TABLES: &[&str] = &["usage_daily", "usage_control"];

/// Version 6: usage pre-aggregated by the warehouse (`usage_daily.parquet`) and its
/// control total (`usage_control.parquet`).
fn usage_aggregates() -> String {
    let mut sql = String::from(
        r#"
CREATE TABLE IF NOT EXISTS usage_daily (
    row                INTEGER PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts(id),
    day                TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('protected_lookup', 'report', 'export')),
    state              TEXT NOT NULL CHECK (state IN ('rated', 'unprocessed', 'rerating')),
    invoice_line_id    TEXT REFERENCES invoice_lines(id),
    units              INTEGER NOT NULL,
    rated_amount_cents INTEGER NOT NULL,
    event_count        INTEGER NOT NULL CHECK (event_count >= 1)
);
CREATE INDEX IF NOT EXISTS usage_daily_line ON usage_daily(invoice_line_id);
CREATE TABLE IF NOT EXISTS usage_control (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    event_count        INTEGER NOT NULL,
    units              INTEGER NOT NULL,
    rated_amount_cents INTEGER NOT NULL
);
"#,
    );
    let triggers = lock_triggers(USAGE_AGGREGATE_TABLES.iter().copied(), LOCKED_WHEN)
        + &generation_triggers_sql(USAGE_AGGREGATE_TABLES);
    // Idempotent: a file whose version was set back (a test's way to replay the older
    // migrations) already has them.
    sql.push_str(&triggers.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS "));
    sql
}

/// The source tables of schema version 1 (version 2 added none).
const V1_SOURCE_TABLES: &[&str] = SOURCE_TABLES;

const V1: &str = r#"
CREATE TABLE period (
    id                      TEXT PRIMARY KEY,
    entity                  TEXT NOT NULL,
    window_start            TEXT NOT NULL,
    window_end              TEXT NOT NULL,
    currency                TEXT NOT NULL,
    close_owner             TEXT NOT NULL,
    materiality_medium_cents   INTEGER NOT NULL,
    materiality_high_cents     INTEGER NOT NULL,
    materiality_critical_cents INTEGER NOT NULL,
    last_clean_period       TEXT,
    last_clean_date         TEXT,
    status                  TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'signed_off'))
);

CREATE TABLE lane_owners (
    lane  TEXT PRIMARY KEY,
    owner TEXT NOT NULL
);

CREATE TABLE accounts (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('customer', 'employer'))
);

CREATE TABLE invoices (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'posted', 'closed', 'void')),
    posted_at     TEXT,
    voided_at     TEXT,
    due_date      TEXT NOT NULL,
    total_cents   INTEGER NOT NULL,
    balance_cents INTEGER NOT NULL
);
CREATE INDEX invoices_account ON invoices(account_id);

CREATE TABLE employer_programs (
    id                  TEXT PRIMARY KEY,
    employer_account_id TEXT NOT NULL REFERENCES accounts(id),
    name                TEXT NOT NULL,
    basis_units         INTEGER NOT NULL,
    rate_cents          INTEGER NOT NULL
);

CREATE TABLE invoice_lines (
    id            TEXT PRIMARY KEY,
    invoice_id    TEXT NOT NULL REFERENCES invoices(id),
    kind          TEXT NOT NULL CHECK (kind IN ('usage', 'program_fee', 'recurring', 'tax', 'adjustment')),
    program_id    TEXT REFERENCES employer_programs(id),
    service_start TEXT,
    service_end   TEXT,
    amount_cents  INTEGER NOT NULL,
    revenue_rule  TEXT NOT NULL CHECK (revenue_rule IN ('immediate', 'ratable_daily', 'on_service_date')),
    description   TEXT
);
CREATE INDEX invoice_lines_invoice ON invoice_lines(invoice_id);
CREATE INDEX invoice_lines_program ON invoice_lines(program_id);

CREATE TABLE payments (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts(id),
    kind               TEXT NOT NULL CHECK (kind IN ('payment', 'reversal', 'refund', 'chargeback')),
    related_payment_id TEXT REFERENCES payments(id),
    occurred_on        TEXT NOT NULL,
    amount_cents       INTEGER NOT NULL,
    reference          TEXT
);
CREATE INDEX payments_account ON payments(account_id);
CREATE INDEX payments_related ON payments(related_payment_id);

CREATE TABLE credits (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts(id),
    kind              TEXT NOT NULL CHECK (kind IN ('credit', 'reversal')),
    related_credit_id TEXT REFERENCES credits(id),
    issued_on         TEXT NOT NULL,
    amount_cents      INTEGER NOT NULL,
    reason            TEXT
);
CREATE INDEX credits_account ON credits(account_id);
CREATE INDEX credits_related ON credits(related_credit_id);

CREATE TABLE disbursements (
    id           TEXT PRIMARY KEY,
    source_kind  TEXT NOT NULL CHECK (source_kind IN ('payment', 'credit')),
    source_id    TEXT NOT NULL,
    invoice_id   TEXT NOT NULL REFERENCES invoices(id),
    disbursed_on TEXT NOT NULL,
    amount_cents INTEGER NOT NULL
);
CREATE INDEX disbursements_invoice ON disbursements(invoice_id);
CREATE INDEX disbursements_source ON disbursements(source_kind, source_id);

CREATE TABLE ledger (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    invoice_id   TEXT REFERENCES invoices(id),
    occurred_at  TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('invoice_posted', 'payment_disbursed', 'credit_disbursed',
                     'void', 'adjustment', 'reversal', 'refund', 'chargeback')),
    amount_cents INTEGER NOT NULL,
    reference    TEXT
);
CREATE INDEX ledger_account ON ledger(account_id, occurred_at);
CREATE INDEX ledger_invoice ON ledger(invoice_id);
CREATE INDEX ledger_reference ON ledger(reference);

CREATE TABLE usage_events (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts(id),
    kind              TEXT NOT NULL CHECK (kind IN ('protected_lookup', 'report', 'export')),
    occurred_at       TEXT NOT NULL,
    units             INTEGER NOT NULL,
    rated_amount_cents INTEGER,
    state             TEXT NOT NULL CHECK (state IN ('rated', 'unprocessed', 'rerating')),
    invoice_line_id   TEXT REFERENCES invoice_lines(id),
    reprocessed_at    TEXT
);
CREATE INDEX usage_events_account ON usage_events(account_id, occurred_at);
CREATE INDEX usage_events_line ON usage_events(invoice_line_id);

CREATE TABLE export_batches (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('gl', 'billing_extract', 'archive')),
    destination TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    total_cents INTEGER NOT NULL
);

CREATE TABLE export_lines (
    id           TEXT PRIMARY KEY,
    batch_id     TEXT NOT NULL REFERENCES export_batches(id),
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    invoice_id   TEXT REFERENCES invoices(id),
    amount_cents INTEGER NOT NULL
);
CREATE INDEX export_lines_batch ON export_lines(batch_id, account_id);
CREATE INDEX export_lines_invoice ON export_lines(invoice_id);

CREATE TABLE program_statements (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES employer_programs(id),
    issued_on   TEXT NOT NULL,
    total_cents INTEGER NOT NULL
);
CREATE INDEX program_statements_program ON program_statements(program_id);

CREATE TABLE statement_lines (
    id              TEXT PRIMARY KEY,
    statement_id    TEXT NOT NULL REFERENCES program_statements(id),
    invoice_line_id TEXT REFERENCES invoice_lines(id),
    description     TEXT,
    amount_cents    INTEGER NOT NULL
);
CREATE INDEX statement_lines_statement ON statement_lines(statement_id);

CREATE TABLE roster (
    login        TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('operator', 'reviewer', 'lead'))
);

-- Internal (see INTERNAL_TABLES) ---------------------------------------------------------

CREATE TABLE source_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO source_generation (id, generation) VALUES (1, 0);

CREATE TABLE reconcile_cache (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL,
    version     TEXT NOT NULL,
    computed_at TEXT NOT NULL,
    result      TEXT NOT NULL
);

-- Workflow -----------------------------------------------------------------------------

CREATE TABLE checklist (
    item       INTEGER PRIMARY KEY CHECK (item BETWEEN 1 AND 8),
    title      TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'in_progress', 'done', 'blocked')),
    updated_by TEXT,
    updated_at TEXT,
    version    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE mismatch_state (
    key             TEXT PRIMARY KEY,
    status          TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'in_correction', 'resolved', 'waived')),
    owner_override  TEXT,
    first_seen      TEXT NOT NULL,
    cleared_by_data INTEGER NOT NULL DEFAULT 0,
    updated_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE annotations (
    id                INTEGER PRIMARY KEY,
    target_kind       TEXT NOT NULL CHECK (target_kind IN ('mismatch', 'checklist')),
    target            TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('note', 'correction', 'waiver')),
    author            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    text              TEXT NOT NULL,
    amount_cents      INTEGER,
    side              TEXT CHECK (side IS NULL OR side IN ('expected', 'actual')),
    reference         TEXT,
    correction_status TEXT CHECK (correction_status IS NULL OR correction_status IN ('proposed', 'accepted', 'rejected')),
    decided_by        TEXT,
    decided_at        TEXT
);
CREATE INDEX annotations_target ON annotations(target_kind, target);

CREATE TABLE signoffs (
    id            INTEGER PRIMARY KEY,
    period_id     TEXT NOT NULL,
    signed_by     TEXT NOT NULL,
    signed_at     TEXT NOT NULL,
    digest        TEXT NOT NULL,
    audit_head    TEXT NOT NULL,
    audit_len     INTEGER NOT NULL,
    comment       TEXT,
    reopened_by   TEXT,
    reopened_at   TEXT,
    reopen_reason TEXT
);

CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    before    TEXT,
    after     TEXT,
    text      TEXT,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- The period row: never deleted; once signed off, only a reopen (status back to open,
-- nothing else changed) may update it.
CREATE TRIGGER period_no_delete BEFORE DELETE ON period
BEGIN SELECT RAISE(ABORT, 'period is signed off: locked'); END;
CREATE TRIGGER period_locked_update BEFORE UPDATE ON period
WHEN OLD.status = 'signed_off' AND NOT (
    NEW.status = 'open' AND NEW.id IS OLD.id AND NEW.entity IS OLD.entity
    AND NEW.window_start IS OLD.window_start AND NEW.window_end IS OLD.window_end
    AND NEW.currency IS OLD.currency AND NEW.close_owner IS OLD.close_owner
    AND NEW.materiality_medium_cents IS OLD.materiality_medium_cents
    AND NEW.materiality_high_cents IS OLD.materiality_high_cents
    AND NEW.materiality_critical_cents IS OLD.materiality_critical_cents
    AND NEW.last_clean_period IS OLD.last_clean_period
    AND NEW.last_clean_date IS OLD.last_clean_date)
BEGIN SELECT RAISE(ABORT, 'period is signed off: locked'); END;
"#;

/// The lock triggers of schema version 1 (frozen: version 2 replaces them). They read
/// `(SELECT status FROM period)`, the first row's status, which a second period row could
/// hide; see [`lock_triggers_sql`].
fn lock_triggers_v1_sql() -> String {
    lock_triggers(v1_locked_tables(), "(SELECT status FROM period) = 'signed_off'")
}

/// The tables schema version 1 locked: its source and workflow tables except the period row
/// and the audit log.
fn v1_locked_tables() -> impl Iterator<Item = &'static str> {
    V1_SOURCE_TABLES
        .iter()
        .chain(WORKFLOW_TABLES)
        .copied()
        .filter(|t| !matches!(*t, "period" | "audit_log"))
}

/// (table, trigger name, operation) of every lock trigger over `tables`.
fn lock_trigger_names(
    tables: impl Iterator<Item = &'static str>,
) -> impl Iterator<Item = (&'static str, String, &'static str)> {
    tables.flat_map(|table| {
        ["INSERT", "UPDATE", "DELETE"]
            .into_iter()
            .map(move |op| (table, format!("{table}_locked_{}", op.to_lowercase()), op))
    })
}

/// A lock trigger on each of `tables` for insert, update and delete, refusing the change
/// `WHEN` the period is signed off.
fn lock_triggers(tables: impl Iterator<Item = &'static str>, when: &str) -> String {
    let mut sql = String::new();
    for (table, name, op) in lock_trigger_names(tables) {
        sql.push_str(&format!(
            "CREATE TRIGGER {name} BEFORE {op} ON {table}\n\
             WHEN {when}\n\
             BEGIN SELECT RAISE(ABORT, 'period is signed off: locked'); END;\n"
        ));
    }
    sql
}

/// The tables under the sign-off lock: every source and workflow table except the period
/// row and the audit log (each guarded by triggers of its own), and the import metadata.
fn locked_tables() -> impl Iterator<Item = &'static str> {
    SOURCE_TABLES
        .iter()
        .chain(WORKFLOW_TABLES)
        .chain(IMPORT_TABLES)
        .copied()
        .filter(|t| !matches!(*t, "period" | "audit_log"))
}

/// The lock triggers (schema version 2): while any period row is signed off, every locked
/// table refuses inserts (so also `INSERT OR REPLACE`, `REPLACE` and upserts), updates and
/// deletes, whatever the rowids.
pub fn lock_triggers_sql() -> String {
    lock_triggers(locked_tables(), LOCKED_WHEN)
}

/// When the lock triggers of schema 2 on refuse a change.
const LOCKED_WHEN: &str = "EXISTS (SELECT 1 FROM period WHERE status = 'signed_off')";

/// Version 2: the lock holds against plain SQL (one period row; lock triggers that no
/// second period row can hide; the audit log takes only appends at the next sequence
/// number, chained to the head), import metadata with each table's row count, a public
/// key per roster login and a signature per audit row, the source content hash and the
/// overview hash of each sign-off, a checksum of the stored result.
fn v2() -> String {
    let mut sql = String::new();
    for (_, name, _) in lock_trigger_names(v1_locked_tables()) {
        sql.push_str(&format!("DROP TRIGGER {name};\n"));
    }
    sql.push_str(V2);
    sql.push_str(&lock_triggers_sql());
    sql
}

const V2: &str = r#"
CREATE TABLE source_counts (
    table_name TEXT PRIMARY KEY,
    file       TEXT NOT NULL,
    rows       INTEGER NOT NULL CHECK (rows >= 0)
);
CREATE TRIGGER source_counts_no_update BEFORE UPDATE ON source_counts
BEGIN SELECT RAISE(ABORT, 'source_counts is written by import only'); END;
CREATE TRIGGER source_counts_no_delete BEFORE DELETE ON source_counts
BEGIN SELECT RAISE(ABORT, 'source_counts is written by import only'); END;

ALTER TABLE roster ADD COLUMN public_key TEXT;
ALTER TABLE audit_log ADD COLUMN signature TEXT;
ALTER TABLE signoffs ADD COLUMN source_hash TEXT;
ALTER TABLE signoffs ADD COLUMN overview_hash TEXT;
ALTER TABLE reconcile_cache ADD COLUMN checksum TEXT;

-- When the snapshot was exported from the billing platform (docs/reconciliation.md,
-- "As of window end"); under the sign-off lock like the rest of the period row.
ALTER TABLE period ADD COLUMN exported_on TEXT;
DROP TRIGGER period_locked_update;
CREATE TRIGGER period_locked_update BEFORE UPDATE ON period
WHEN OLD.status = 'signed_off' AND NOT (
    NEW.status = 'open' AND NEW.id IS OLD.id AND NEW.entity IS OLD.entity
    AND NEW.window_start IS OLD.window_start AND NEW.window_end IS OLD.window_end
    AND NEW.currency IS OLD.currency AND NEW.close_owner IS OLD.close_owner
    AND NEW.materiality_medium_cents IS OLD.materiality_medium_cents
    AND NEW.materiality_high_cents IS OLD.materiality_high_cents
    AND NEW.materiality_critical_cents IS OLD.materiality_critical_cents
    AND NEW.last_clean_period IS OLD.last_clean_period
    AND NEW.last_clean_date IS OLD.last_clean_date
    AND NEW.exported_on IS OLD.exported_on)
BEGIN SELECT RAISE(ABORT, 'period is signed off: locked'); END;

-- Exactly one period row: once it exists, no insert (nor INSERT OR REPLACE, REPLACE or an
-- upsert, whose insert comes first) may add or replace one.
CREATE TRIGGER period_one_row BEFORE INSERT ON period
WHEN EXISTS (SELECT 1 FROM period)
BEGIN SELECT RAISE(ABORT, 'period: a snapshot has exactly one period row'); END;

-- The audit log takes appends only: the next sequence number, chained to the head.
CREATE TRIGGER audit_log_append_only BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log)
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1),
                                   '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows go at the next sequence number'); END;
"#;
/// Stored results as rows (issue 15; docs/reconciliation.md, "Stored results"): one row per
/// mismatch with its figures in integer minor units and the rest of it as JSON, and one
/// row per block of step figures, keyed by the source generation; `reconcile_cache` keeps
/// the header, whose `result` becomes the digest of these rows. A result stored before is
/// dropped (derived data: the next reader recomputes it). Self-contained, so it can be
/// renumbered.
fn stored_result_rows() -> String {
    r#"
CREATE TABLE reconcile_steps (
    generation INTEGER NOT NULL,
    ord        INTEGER NOT NULL,
    step       TEXT NOT NULL,
    figures    TEXT NOT NULL,
    PRIMARY KEY (generation, ord)
);
CREATE TABLE reconcile_mismatches (
    generation     INTEGER NOT NULL,
    ord            INTEGER NOT NULL,
    key            TEXT NOT NULL,
    lane           TEXT NOT NULL,
    subject        TEXT NOT NULL,
    check_name     TEXT NOT NULL,
    severity       TEXT NOT NULL,
    expected_cents INTEGER NOT NULL,
    actual_cents   INTEGER NOT NULL,
    variance_cents INTEGER NOT NULL,
    owner          TEXT NOT NULL,
    detail         TEXT NOT NULL,
    detail_hash    TEXT NOT NULL,
    PRIMARY KEY (generation, ord)
);
CREATE INDEX reconcile_mismatches_key ON reconcile_mismatches(key);
DELETE FROM reconcile_cache;
"#
    .to_string()
}

/// Version 4: an accepted correction can be reversed (docs/workflow.md, "Mismatches and the
/// correction lane"). SQLite cannot alter a CHECK, so `annotations` is rebuilt: the table as
/// it was is renamed aside, the new one created with `reversed` among the correction
/// statuses and four new columns (the note or reason of a decision; who reversed it, when,
/// why), every row copied with its id, the old table dropped (its triggers with it, firing
/// none), and its index and lock triggers created again with the very SQL of
/// [`lock_triggers_sql`], so `verify`'s trigger check holds. Writes no workflow row: a
/// signed-off file migrates and stays locked.
fn reversible_corrections() -> String {
    let mut sql = String::from(
        r#"
ALTER TABLE annotations RENAME TO annotations_v3;
DROP INDEX annotations_target;
CREATE TABLE annotations (
    id                INTEGER PRIMARY KEY,
    target_kind       TEXT NOT NULL CHECK (target_kind IN ('mismatch', 'checklist')),
    target            TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('note', 'correction', 'waiver')),
    author            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    text              TEXT NOT NULL,
    amount_cents      INTEGER,
    side              TEXT CHECK (side IS NULL OR side IN ('expected', 'actual')),
    reference         TEXT,
    correction_status TEXT CHECK (correction_status IS NULL
                          OR correction_status IN ('proposed', 'accepted', 'rejected', 'reversed')),
    decided_by        TEXT,
    decided_at        TEXT,
    decision_note     TEXT,
    reversed_by       TEXT,
    reversed_at       TEXT,
    reversal_reason   TEXT
);
INSERT INTO annotations (id, target_kind, target, kind, author, created_at, text, amount_cents, side,
                         reference, correction_status, decided_by, decided_at)
SELECT id, target_kind, target, kind, author, created_at, text, amount_cents, side,
       reference, correction_status, decided_by, decided_at
FROM annotations_v3 ORDER BY id;
DROP TABLE annotations_v3;
CREATE INDEX annotations_target ON annotations(target_kind, target);
"#,
    );
    sql.push_str(&lock_triggers(std::iter::once("annotations"), LOCKED_WHEN));
    sql
}

/// The tables of the stored result whose every insert, update or delete counts as an edit
/// (`reconcile_edits`), and the triggers that guard the counter: what [`sealed_result_rows`]
/// creates, each statement without its `;` (as `sqlite_schema` keeps it).
pub const SEALED_TABLES: &[&str] = &["reconcile_steps", "reconcile_mismatches", "reconcile_totals"];

/// (name, SQL) of every trigger of [`sealed_result_rows`], in name order: one per sealed
/// table and operation bumping `reconcile_edits`, and three that let the counter only
/// count up. `reconcile::stored` checks that they are all in the file, as created, before
/// it trusts the counter.
pub fn sealing_triggers() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = SEALED_TABLES
        .iter()
        .flat_map(|table| edit_counting_triggers(table, "reconcile_edits"))
        .chain(count_up_only_triggers("reconcile_edits"))
        .collect();
    all.sort();
    all
}

/// (name, SQL) of the three triggers by which every insert, update or delete of a row of
/// `table` counts up the one-row counter `counter` (`{table}_edited_{op}`).
pub fn edit_counting_triggers(table: &str, counter: &str) -> Vec<(String, String)> {
    ["INSERT", "UPDATE", "DELETE"]
        .into_iter()
        .map(|op| {
            let name = format!("{table}_edited_{}", op.to_lowercase());
            let sql = format!(
                "CREATE TRIGGER {name} AFTER {op} ON {table}\n\
                 BEGIN UPDATE {counter} SET edits = edits + 1; END"
            );
            (name, sql)
        })
        .collect()
}

/// (name, SQL) of the three triggers that let the one-row counter `counter` only count
/// up (`{counter}_no_{op}`).
fn count_up_only_triggers(counter: &str) -> Vec<(String, String)> {
    [
        ("INSERT", ""),
        ("UPDATE", "\nWHEN NEW.edits <= OLD.edits OR NEW.id IS NOT OLD.id"),
        ("DELETE", ""),
    ]
    .into_iter()
    .map(|(op, when)| {
        let name = format!("{counter}_no_{}", op.to_lowercase());
        let sql = format!(
            "CREATE TRIGGER {name} BEFORE {op} ON {counter}{when}\n\
             BEGIN SELECT RAISE(ABORT, '{counter} only counts up'); END"
        );
        (name, sql)
    })
    .collect()
}

/// Version 5 (issue 15, a dirty period): the stored result is sealed by a counter instead
/// of a digest of every row read back. `reconcile_edits` counts every insert, update and
/// delete of the stored result's rows (triggers; the counter only counts up), and the
/// header records the count its own store ended at (`edits`, covered by its checksum): a
/// row changed since, by any program, leaves the counter ahead of the header and the
/// result counts as none — checked in O(1) per read. `reconcile_totals` holds the stored
/// mismatches counted and totalled per lane and severity, so `status` and the cockpit
/// apply the workflow overlay to the mismatches it touches only. An index gives the
/// cockpit's first page (most severe, then largest |variance|, then key) without a sort.
/// A result stored before is dropped (derived data: the next reader recomputes it).
/// Self-contained, so it can be renumbered.
fn sealed_result_rows() -> String {
    let mut sql = String::from(
        r#"
CREATE TABLE reconcile_edits (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    edits INTEGER NOT NULL
);
INSERT INTO reconcile_edits (id, edits) VALUES (1, 0);
CREATE TABLE reconcile_totals (
    generation         INTEGER NOT NULL,
    lane               TEXT NOT NULL,
    severity           TEXT NOT NULL,
    mismatches         INTEGER NOT NULL,
    variance_abs_cents INTEGER NOT NULL,
    PRIMARY KEY (generation, lane, severity)
);
ALTER TABLE reconcile_cache ADD COLUMN edits INTEGER;
CREATE INDEX reconcile_mismatches_first ON reconcile_mismatches(generation,
    (CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END),
    abs(variance_cents) DESC, key);
DELETE FROM reconcile_cache;
DELETE FROM reconcile_steps;
DELETE FROM reconcile_mismatches;
"#,
    );
    for (_, trigger) in sealing_triggers() {
        sql.push_str(&trigger);
        sql.push_str(";\n");
    }
    sql
}

/// The generation triggers: every insert, update or delete of a source row bumps
/// `source_generation`, so a stored reconciliation computed before it is no longer current.
/// They run after the lock triggers (which refuse the change first when signed off).
pub fn generation_triggers_sql(tables: &'static [&'static str]) -> String {
    let mut sql = String::new();
    for (name, table, op) in generation_triggers(tables) {
        sql.push_str(&format!(
            "CREATE TRIGGER {name} AFTER {op} ON {table}\n\
             BEGIN UPDATE source_generation SET generation = generation + 1; END;\n"
        ));
    }
    sql
}

/// (trigger name, table, operation) of every generation trigger.
fn generation_triggers(
    tables: &'static [&'static str],
) -> impl Iterator<Item = (String, &'static str, &'static str)> {
    tables.iter().flat_map(|table| {
        ["INSERT", "UPDATE", "DELETE"]
            .into_iter()
            .map(move |op| (format!("{table}_generation_{}", op.to_lowercase()), *table, op))
    })
}

/// The names of every generation trigger (the bulk load drops and recreates them).
pub fn generation_trigger_names() -> Vec<String> {
    generation_triggers(SOURCE_TABLES)
        .map(|(name, _, _)| name)
        .collect()
}

/// The names of every trigger this schema version must have (checked by `verify`).
pub fn expected_triggers() -> Vec<String> {
    let mut names: Vec<String> = [
        "audit_log_no_update",
        "audit_log_no_delete",
        "audit_log_append_only",
        "period_no_delete",
        "period_locked_update",
        "period_one_row",
        "source_counts_no_update",
        "source_counts_no_delete",
        "period_status_logged",
        "lock_changes_no_delete",
        "lock_changes_claimed_once",
    ]
    .map(String::from)
    .to_vec();
    names.extend(lock_trigger_names(locked_tables()).map(|(_, name, _)| name));
    names.extend(generation_trigger_names());
    names.extend(lock_trigger_names(USAGE_AGGREGATE_TABLES.iter().copied()).map(|(_, name, _)| name));
    names.extend(generation_triggers(USAGE_AGGREGATE_TABLES).map(|(name, _, _)| name));
    names
}

/// The eight items of the close checklist, in order (the close guide's period checklist).
pub const CHECKLIST_ITEMS: [&str; 8] = [
    "Confirm billing has fully completed",
    "Review posted invoices",
    "Review open exceptions before final close",
    "Review payment and credit disbursement",
    "Review aged AR and invoice balances",
    "Review void, credit and adjustment activity",
    "Review revenue recognition output",
    "Finalize export and reporting outputs",
];
