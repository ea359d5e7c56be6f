//! Source aggregates (schema 7, issue 15; docs/reconciliation.md, "Source aggregates"): the
//! per-subject facts the engine's heaviest readers compute from the raw source rows,
//! materialized once into `agg_*` tables, stamped with the source generation they were
//! computed from and sealed by an edit counter.
//!
//! Owns the `agg_*` tables: their one definition each (the reader's own query, from
//! `queries`), building them, telling whether they are current, and recomputing them for
//! `verify`. Must not decide a mismatch (that is `crate::reconcile`) nor know the workflow.

use std::borrow::Cow;

use rusqlite::{Connection, OptionalExtension, Statement};
use sha2::{Digest, Sha256};

use super::model::Period;
use super::queries::{self, Window};
use super::schema::{aggregate_counter_triggers, edit_counting_triggers};
use super::Snapshot;

type Result<T> = rusqlite::Result<T>;

/// One source aggregate: a table filled by `INSERT INTO table SELECT <select>`, where
/// `select` is the very query its reader runs over the raw rows (so "from source" and
/// "stored" cannot drift).
#[derive(Clone, Copy, Debug)]
pub struct Aggregate {
    pub table: &'static str,
    /// Its columns, in the order of the query's result columns.
    pub columns: &'static [&'static str],
    /// How many leading columns make a row's key (named when a row differs).
    pub key_columns: usize,
    /// The reader's query (`:start`, `:end`, … are the period window's).
    pub select: &'static str,
    /// The schema version whose migration made its table.
    pub since: i32,
}

pub const INVOICE_FACTS: Aggregate = Aggregate {
    table: "agg_invoice_facts",
    columns: &[
        "id",
        "status",
        "posted_at",
        "voided_at",
        "total_cents",
        "balance_cents",
        "lines_cents",
        "disbursed_cents",
        "adjustments_cents",
        "disbursed_after_cents",
        "adjustments_after_cents",
    ],
    key_columns: 1,
    select: queries::INVOICE_FACTS,
    since: 7,
};

pub const SOURCE_TOTALS: Aggregate = Aggregate {
    table: "agg_source_totals",
    columns: &["kind", "id", "net_value_cents", "disbursed_cents"],
    key_columns: 2,
    select: queries::SOURCE_TOTALS,
    since: 7,
};

pub const ACCOUNT_LEDGERS: Aggregate = Aggregate {
    table: "agg_account_ledgers",
    columns: &[
        "account_id",
        "opening_cents",
        "posted_cents",
        "disbursed_cents",
        "pulled_back_cents",
        "adjustments_cents",
        "voids_cents",
        "balances_cents",
    ],
    key_columns: 1,
    select: queries::ACCOUNT_LEDGERS,
    since: 7,
};

pub const ARCHIVE_INVOICES: Aggregate = Aggregate {
    table: "agg_archive_invoices",
    columns: &[
        "batch_id",
        "invoice_id",
        "in_close_population",
        "total_cents",
        "lines_cents",
    ],
    key_columns: 2,
    select: queries::ARCHIVE_INVOICES,
    since: 7,
};

pub const ACCOUNT_USAGE: Aggregate = Aggregate {
    table: "agg_account_usage",
    columns: &[
        "account_id",
        "rated_cents",
        "billed_cents",
        "open_events",
        "open_amount_cents",
    ],
    key_columns: 1,
    select: queries::ACCOUNT_USAGE,
    since: 7,
};

pub const USAGE_LINES: Aggregate = Aggregate {
    table: "agg_usage_lines",
    columns: &[
        "id",
        "account_id",
        "amount_cents",
        "events_cents",
        "foreign_count",
        "foreign_amount_cents",
    ],
    key_columns: 1,
    select: queries::USAGE_LINES,
    since: 7,
};

pub const UNBILLED_USAGE: Aggregate = Aggregate {
    table: "agg_unbilled_usage",
    columns: &["id", "account_id", "rated_cents", "invoice_line_id", "events"],
    key_columns: 1,
    select: queries::UNBILLED_USAGE,
    since: 7,
};

pub const AGING: Aggregate = Aggregate {
    table: "agg_aging",
    columns: &[
        "account_id",
        "current_cents",
        "days_1_30_cents",
        "days_31_60_cents",
        "days_61_90_cents",
        "over_90_cents",
    ],
    key_columns: 1,
    select: queries::AGING_ROWS,
    since: 7,
};

pub const MISDIRECTED: Aggregate = Aggregate {
    table: "agg_misdirected",
    columns: &[
        "id",
        "invoice_id",
        "invoice_status",
        "amount_cents",
        "source_kind",
        "source_id",
        "rows",
    ],
    key_columns: 1,
    select: queries::MISDIRECTED,
    since: 7,
};

pub const LEDGER_ADJUSTMENTS: Aggregate = Aggregate {
    table: "agg_ledger_adjustments",
    columns: &[
        "id",
        "account_id",
        "kind",
        "occurred_on",
        "amount_cents",
        "reference",
        "source_found",
    ],
    key_columns: 1,
    select: queries::LEDGER_ADJUSTMENTS,
    since: 7,
};

pub const REVENUE_LINES: Aggregate = Aggregate {
    table: "agg_revenue_lines",
    columns: &[
        "id",
        "account_id",
        "kind",
        "amount_cents",
        "rule",
        "invoice_posted_at",
        "invoice_voided_at",
        "service_start",
        "service_end",
    ],
    key_columns: 1,
    select: queries::REVENUE_LINES,
    since: 7,
};

pub const REVENUE_SCHEDULES: Aggregate = Aggregate {
    table: "agg_revenue_schedules",
    columns: &[
        "account_id",
        "kind",
        "rule",
        "invoice_posted_at",
        "invoice_voided_at",
        "service_start",
        "service_end",
        "amount_cents",
        "lines",
    ],
    key_columns: 8,
    select: queries::REVENUE_SCHEDULES,
    since: 9,
};

pub const AFTER_WINDOW: Aggregate = Aggregate {
    table: "agg_after_window",
    columns: &["what", "count", "amount_cents"],
    key_columns: 1,
    select: queries::AFTER_WINDOW,
    since: 7,
};

pub const WINDOW_ACTIVITY: Aggregate = Aggregate {
    table: "agg_window_activity",
    columns: &["what", "kind", "amount_cents"],
    key_columns: 2,
    select: queries::WINDOW_ACTIVITY,
    since: 8,
};

pub const VOIDED_INVOICES: Aggregate = Aggregate {
    table: "agg_voided_invoices",
    columns: &["id", "account_id", "voided_at", "total_cents", "ledger_net_cents"],
    key_columns: 1,
    select: queries::VOIDED_INVOICES,
    since: 8,
};

pub const PAYMENT_UNDOS: Aggregate = Aggregate {
    table: "agg_payment_undos",
    columns: &[
        "id",
        "account_id",
        "kind",
        "related_payment_id",
        "occurred_on",
        "amount_cents",
        "reference",
        "recorded_cents",
        "unwound_cents",
    ],
    key_columns: 1,
    select: queries::PAYMENT_UNDOS,
    since: 8,
};

pub const BATCH_TOTALS: Aggregate = Aggregate {
    table: "agg_batch_totals",
    columns: &[
        "id",
        "kind",
        "destination",
        "created_at",
        "total_cents",
        "lines_cents",
        "line_count",
    ],
    key_columns: 1,
    select: queries::BATCH_TOTALS,
    since: 8,
};

pub const EXTRACT_ACCOUNTS: Aggregate = Aggregate {
    table: "agg_extract_accounts",
    columns: &["batch_id", "account_id", "amount_cents"],
    key_columns: 2,
    select: queries::EXTRACT_ACCOUNTS,
    since: 8,
};

pub const UNPRESENTED_FEE_LINES: Aggregate = Aggregate {
    table: "agg_unpresented_fee_lines",
    columns: &["id", "program_id", "amount_cents"],
    key_columns: 1,
    select: queries::UNPRESENTED_FEE_LINES,
    since: 8,
};

pub const PROGRAM_FEES_BILLED: Aggregate = Aggregate {
    table: "agg_program_fees_billed",
    columns: &["what", "amount_cents"],
    key_columns: 1,
    select: queries::PROGRAM_FEES_BILLED,
    since: 8,
};

pub const LEDGER_ROW_GAPS: Aggregate = Aggregate {
    table: "agg_ledger_row_gaps",
    columns: &[
        "what",
        "id",
        "account_id",
        "expected_cents",
        "actual_cents",
        "rows",
    ],
    key_columns: 2,
    select: queries::LEDGER_ROW_GAPS,
    since: 10,
};

/// Every source aggregate, in the order they are built.
pub const AGGREGATES: [&Aggregate; 21] = [
    &INVOICE_FACTS,
    &SOURCE_TOTALS,
    &MISDIRECTED,
    &ACCOUNT_LEDGERS,
    &LEDGER_ADJUSTMENTS,
    &ARCHIVE_INVOICES,
    &REVENUE_LINES,
    &ACCOUNT_USAGE,
    &USAGE_LINES,
    &UNBILLED_USAGE,
    &AGING,
    &AFTER_WINDOW,
    &WINDOW_ACTIVITY,
    &VOIDED_INVOICES,
    &PAYMENT_UNDOS,
    &BATCH_TOTALS,
    &EXTRACT_ACCOUNTS,
    &UNPRESENTED_FEE_LINES,
    &PROGRAM_FEES_BILLED,
    &REVENUE_SCHEDULES,
    &LEDGER_ROW_GAPS,
];

/// The last schema version that added aggregate tables (the highest `since`): a file older
/// than it gets every aggregate built once its migrations are done.
pub const LAST_ADDED: i32 = {
    let (mut i, mut last) = (0, 0);
    while i < AGGREGATES.len() {
        if AGGREGATES[i].since > last {
            last = AGGREGATES[i].since;
        }
        i += 1;
    }
    last
};

/// Where the engine's readers read from: the raw source rows, or the stored aggregates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    Source,
    Stored,
}

impl Basis {
    /// The query a reader runs for `aggregate` on this basis, and whether it takes the
    /// window's parameters (the stored table takes none).
    pub(crate) fn sql(self, aggregate: &Aggregate) -> Cow<'static, str> {
        match self {
            Basis::Source => Cow::Borrowed(aggregate.select),
            Basis::Stored => Cow::Owned(format!("SELECT * FROM {} ORDER BY rowid", aggregate.table)),
        }
    }
}

/// SHA-256 over every aggregate's table, columns and query: stamped with the aggregates,
/// so a build of closedesk whose definitions differ treats them as not current.
pub fn definitions_digest() -> String {
    let mut hash = Sha256::new();
    for a in AGGREGATES {
        hash.update(a.table.as_bytes());
        hash.update([0]);
        for c in a.columns {
            hash.update(c.as_bytes());
            hash.update([0]);
        }
        hash.update(a.select.as_bytes());
        hash.update([0]);
    }
    crate::digest::hex(&hash.finalize())
}

/// (name, SQL) of the triggers sealing one aggregate table: each insert, update or delete
/// of one of its rows counts up `agg_edits`.
fn seal_triggers(table: &str) -> Vec<(String, String)> {
    edit_counting_triggers(table, "agg_edits")
}

/// Every trigger the aggregates' seal needs, (name, SQL) in name order.
fn expected_seal() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = AGGREGATES
        .iter()
        .flat_map(|a| seal_triggers(a.table))
        .chain(aggregate_counter_triggers())
        .collect();
    all.sort();
    all
}

/// Binds each window parameter `statement` names.
fn bind_window(statement: &mut Statement<'_>, window: &Window) -> Result<()> {
    for (name, value) in window.all_params() {
        if let Some(index) = statement.parameter_index(name)? {
            statement.raw_bind_parameter(index, value)?;
        }
    }
    Ok(())
}

/// Computes every aggregate from the raw rows into its table and stamps them with the
/// source generation; on `conn`, inside the caller's write transaction. Each table's seal
/// triggers are dropped for the build (one counter update per row otherwise) and made
/// again from the same SQL after its rows; then the edit counter counts once and the stamp
/// records it.
pub(crate) fn build_in(conn: &Connection, period: &Period) -> Result<()> {
    let window = Window::of(period);
    for a in AGGREGATES {
        for (name, _) in seal_triggers(a.table) {
            conn.execute_batch(&format!("DROP TRIGGER IF EXISTS {name};"))?;
        }
        conn.execute_batch(&format!("DELETE FROM {};", a.table))?;
        let mut insert = conn.prepare(&format!("INSERT INTO {} {}", a.table, a.select))?;
        bind_window(&mut insert, &window)?;
        insert.raw_execute()?;
        for (_, sql) in seal_triggers(a.table) {
            conn.execute_batch(&sql)?;
        }
    }
    conn.execute("UPDATE agg_edits SET edits = edits + 1", [])?;
    conn.execute(
        "INSERT OR REPLACE INTO agg_stamp (id, generation, edits, definitions)
         VALUES (1, (SELECT generation FROM source_generation WHERE id = 1),
                 (SELECT edits FROM agg_edits WHERE id = 1), ?1)",
        [definitions_digest()],
    )?;
    Ok(())
}

/// Runs `change`, an update of the period row that keeps its window (a sign-off, a
/// reopening), and keeps the stored aggregates current if they were: they depend on the
/// source rows and the window alone, but the generation trigger counts every update of the
/// period row. Without this, a sign-off would leave them stale, and the next `reconcile` of
/// a 1M-invoice period would rebuild them (~40 s).
pub(crate) fn keeping_current<T>(conn: &Connection, change: impl FnOnce() -> Result<T>) -> Result<T> {
    let current: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM agg_stamp s, source_generation g, agg_edits e
                        WHERE s.id = 1 AND g.id = 1 AND e.id = 1
                          AND s.generation = g.generation AND s.edits = e.edits)",
        [],
        |r| r.get(0),
    )?;
    let out = change()?;
    if current {
        conn.execute(
            "UPDATE agg_stamp SET generation = (SELECT generation FROM source_generation WHERE id = 1)
             WHERE id = 1",
            [],
        )?;
    }
    Ok(out)
}

/// The stamp of the stored aggregates against the file as it is now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The source generation they were computed from, and the file's.
    pub generation: i64,
    pub source_generation: i64,
    /// The edit counter their build left, and the counter now.
    pub edits: i64,
    pub edits_now: i64,
    /// Whether they were computed by this build's definitions.
    pub same_definitions: bool,
    /// Whether every seal trigger is in the file as created.
    pub seal_intact: bool,
}

impl Stamp {
    /// Computed from the source as it is, by these definitions, and not edited since.
    pub fn is_current(&self) -> bool {
        self.generation == self.source_generation
            && self.edits == self.edits_now
            && self.same_definitions
            && self.seal_intact
    }
}

/// What `verify` found comparing the stored aggregates with the raw rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AggregateCheck {
    /// Never built (a file not yet upgraded by a writer): nothing is read from them.
    NotBuilt,
    /// Computed from an older generation or other definitions: the engine does not read
    /// them (the next `reconcile` rebuilds them).
    Stale { generation: i64, source_generation: i64 },
    /// Every row recomputed from the raw rows is stored, and nothing else.
    Agree { tables: usize, rows: u64 },
    /// A table is missing.
    Missing { table: &'static str },
    /// The first row (in key order) that differs: `stored` says whether it is stored but
    /// not recomputed (else recomputed but not stored); `key` is its key, columns joined
    /// by `:`.
    Differs {
        table: &'static str,
        key: String,
        stored: bool,
    },
    /// The rows agree, but some were written since the build (the seal's counter is ahead
    /// of the stamp, or a seal trigger is missing or changed).
    Edited {
        edits: i64,
        edits_now: i64,
        seal_intact: bool,
    },
}

impl Snapshot {
    /// The stamp of the stored aggregates; `None` when there are none (never built, or a
    /// file older than schema 7).
    pub fn aggregates_stamp(&self) -> Result<Option<Stamp>> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT s.generation, g.generation, s.edits, e.edits, s.definitions
                 FROM agg_stamp s, source_generation g, agg_edits e
                 WHERE s.id = 1 AND g.id = 1 AND e.id = 1",
            )
            .and_then(|mut st| {
                st.query_row([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
                })
                .optional()
            });
        let (generation, source_generation, edits, edits_now, definitions) = match row {
            Ok(Some(row)) => row,
            Ok(None) => return Ok(None),
            // No such table: a file older than schema 7, opened read-only.
            Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.starts_with("no such table") => {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        Ok(Some(Stamp {
            generation,
            source_generation,
            edits,
            edits_now,
            same_definitions: definitions == definitions_digest(),
            seal_intact: self.aggregate_seal_intact()?,
        }))
    }

    /// Whether every seal trigger of the aggregates is in the file exactly as created.
    fn aggregate_seal_intact(&self) -> Result<bool> {
        let mut statement = self.conn().prepare_cached(
            "SELECT name, sql FROM sqlite_schema
             WHERE type = 'trigger' AND name LIKE 'agg\\_%' ESCAPE '\\' ORDER BY name",
        )?;
        let found = statement
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                ))
            })?
            .collect::<Result<Vec<_>>>()?;
        Ok(found == expected_seal())
    }

    /// Where the engine reads from now: the stored aggregates when they are current,
    /// else the raw rows.
    pub fn aggregates_basis(&self) -> Result<Basis> {
        Ok(match self.aggregates_stamp()? {
            Some(stamp) if stamp.is_current() => Basis::Stored,
            _ => Basis::Source,
        })
    }

    /// Computes every aggregate from the raw rows and stores it, in one `BEGIN IMMEDIATE`
    /// transaction, without waiting for another writer (a busy file is an error at once).
    pub fn build_aggregates(&self) -> Result<()> {
        self.without_waiting(|conn| {
            let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
            let period = self.period()?;
            build_in(&tx, &period)?;
            tx.commit()
        })
    }

    /// Recomputes every aggregate from the raw rows (into a TEMP table by the same
    /// definition) and compares it with the stored one, both ways (`EXCEPT`): what
    /// `verify` checks.
    pub fn check_aggregates(&self) -> Result<AggregateCheck> {
        let Some(stamp) = self.aggregates_stamp()? else {
            return Ok(AggregateCheck::NotBuilt);
        };
        if stamp.generation != stamp.source_generation || !stamp.same_definitions {
            return Ok(AggregateCheck::Stale {
                generation: stamp.generation,
                source_generation: stamp.source_generation,
            });
        }
        let conn = self.conn();
        let window = Window::of(&self.period()?);
        let mut rows = 0u64;
        for a in AGGREGATES {
            let exists: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
                [a.table],
                |r| r.get(0),
            )?;
            if !exists {
                return Ok(AggregateCheck::Missing { table: a.table });
            }
            let temp = format!("temp.recomputed_{}", a.table);
            conn.execute_batch(&format!(
                "DROP TABLE IF EXISTS {temp}; CREATE TABLE {temp} ({});",
                a.columns.join(", ")
            ))?;
            let differs = (|| -> Result<Option<AggregateCheck>> {
                let mut insert = conn.prepare(&format!("INSERT INTO {temp} {}", a.select))?;
                bind_window(&mut insert, &window)?;
                rows += insert.raw_execute()? as u64;
                let first = |from: &str, minus: &str| -> Result<Option<String>> {
                    let key: Vec<String> = a.columns[..a.key_columns]
                        .iter()
                        .map(|c| format!("COALESCE(CAST({c} AS TEXT), '')"))
                        .collect();
                    conn.query_row(
                        &format!(
                            "SELECT {} FROM (SELECT * FROM {from} EXCEPT SELECT * FROM {minus}) LIMIT 1",
                            key.join(" || ':' || ")
                        ),
                        [],
                        |r| r.get(0),
                    )
                    .optional()
                };
                if let Some(key) = first(a.table, &temp)? {
                    return Ok(Some(AggregateCheck::Differs {
                        table: a.table,
                        key,
                        stored: true,
                    }));
                }
                Ok(first(&temp, a.table)?.map(|key| AggregateCheck::Differs {
                    table: a.table,
                    key,
                    stored: false,
                }))
            })();
            conn.execute_batch(&format!("DROP TABLE IF EXISTS {temp};"))?;
            if let Some(found) = differs? {
                return Ok(found);
            }
        }
        if !stamp.is_current() {
            return Ok(AggregateCheck::Edited {
                edits: stamp.edits,
                edits_now: stamp.edits_now,
                seal_intact: stamp.seal_intact,
            });
        }
        Ok(AggregateCheck::Agree {
            tables: AGGREGATES.len(),
            rows,
        })
    }
}
