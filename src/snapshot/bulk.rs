//! Bulk loading a new snapshot row by row (`closedesk import` and the synthetic periods
//! of `closedesk demo --scale`): every row goes through a prepared statement inside one
//! transaction, so nothing larger than one row is held in memory.
//!
//! For the load only, the connection trades durability for speed — rollback journal in
//! memory, `synchronous = OFF`, a larger page cache, foreign-key and `CHECK` constraints
//! off (import checks every reference and every word before a row is written; the
//! generator builds a consistent period by construction; the tests of both run `PRAGMA
//! foreign_key_check` and `verify`, whose `PRAGMA integrity_check` checks every `CHECK`;
//! SQLite evaluates each `x IN ('a', 'b', 'c')` check by building a temporary B-tree, which
//! was half the load) — and the secondary indexes are dropped and created again after the
//! rows are in (one sort instead of millions of random B-tree inserts), and so are the
//! triggers on the source tables: the `source_generation` triggers (the load bumps the
//! generation once instead) and the lock triggers (a new period is open). Afterwards the
//! snapshot's normal settings are back: WAL, `synchronous = FULL`, foreign keys and
//! `CHECK` constraints on.
//! The file is a temporary one until the caller renames it into place, so a failed load
//! leaves nothing.

use rusqlite::{params, Statement, Transaction};

use super::model::{
    Account, AggregateRow, Credit, Disbursement, EmployerProgram, ExportBatch, ExportLine, Invoice,
    InvoiceLine, LaneOwner, LedgerEntry, Payment, Period, ProgramStatement, RosterEntry, SourceData,
    SourceRow, StatementLine, UsageEvent,
};
use super::Snapshot;
use crate::money::Money;

use super::encode::{cents, date, insert_checklist, insert_period, insert_source_counts, opt_date, ts};
use super::schema::{SOURCE_TABLES, USAGE_AGGREGATE_TABLES};

/// What `source_counts.file` says for the rows of a synthetic period, which come from no
/// file.
pub const GENERATED: &str = "closedesk demo --scale";

/// The prepared insert statements of every source table, one method per row: used by
/// import (`Snapshot::insert_source`) and by the bulk load of the scale generator.
pub struct RowWriter<'t> {
    /// For the statements of the tables few rows go to.
    tx: &'t rusqlite::Connection,
    /// [`INSERTS`], prepared: `inserts[table - 1]` writes the rows of source table `table`.
    inserts: Vec<Statement<'t>>,
    batch_total: Statement<'t>,
    /// Rows written per source table, in the order of [`SOURCE_TABLES`].
    written: [i64; SOURCE_TABLES.len()],
    /// Rows written per pre-aggregated usage table, in the order of
    /// [`USAGE_AGGREGATE_TABLES`].
    aggregated: [i64; USAGE_AGGREGATE_TABLES.len()],
}

type Result<T> = rusqlite::Result<T>;

/// The source tables by their index in [`SOURCE_TABLES`] (checked by a test), as
/// [`RowWriter::insert`] takes them.
const LANE_OWNERS: usize = 1;
const ACCOUNTS: usize = 2;
const INVOICES: usize = 3;
const INVOICE_LINES: usize = 4;
const PAYMENTS: usize = 5;
const CREDITS: usize = 6;
const DISBURSEMENTS: usize = 7;
const LEDGER: usize = 8;
const USAGE_EVENTS: usize = 9;
const EXPORT_BATCHES: usize = 10;
const EXPORT_LINES: usize = 11;
const EMPLOYER_PROGRAMS: usize = 12;
const PROGRAM_STATEMENTS: usize = 13;
const STATEMENT_LINES: usize = 14;
const ROSTER: usize = 15;

/// The insert statement of every source table but the period, in the order of
/// [`SOURCE_TABLES`] from `lane_owners` (checked by a test).
const INSERTS: [&str; SOURCE_TABLES.len() - 1] = [
    "INSERT INTO lane_owners (lane, owner) VALUES (?1, ?2)",
    "INSERT INTO accounts (id, name, kind) VALUES (?1, ?2, ?3)",
    "INSERT INTO invoices (id, account_id, status, posted_at, voided_at, due_date, total_cents, balance_cents)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "INSERT INTO invoice_lines (id, invoice_id, kind, program_id, service_start, service_end, amount_cents, revenue_rule, description)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    "INSERT INTO payments (id, account_id, kind, related_payment_id, occurred_on, amount_cents, reference)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "INSERT INTO credits (id, account_id, kind, related_credit_id, issued_on, amount_cents, reason)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "INSERT INTO disbursements (id, source_kind, source_id, invoice_id, disbursed_on, amount_cents)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "INSERT INTO ledger (id, account_id, invoice_id, occurred_at, kind, amount_cents, reference)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    "INSERT INTO usage_events (id, account_id, kind, occurred_at, units, rated_amount_cents, state, invoice_line_id, reprocessed_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    "INSERT INTO export_batches (id, kind, destination, created_at, total_cents) VALUES (?1, ?2, ?3, ?4, ?5)",
    "INSERT INTO export_lines (id, batch_id, account_id, invoice_id, amount_cents) VALUES (?1, ?2, ?3, ?4, ?5)",
    "INSERT INTO employer_programs (id, employer_account_id, name, basis_units, rate_cents)
     VALUES (?1, ?2, ?3, ?4, ?5)",
    "INSERT INTO program_statements (id, program_id, issued_on, total_cents) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO statement_lines (id, statement_id, invoice_line_id, description, amount_cents)
     VALUES (?1, ?2, ?3, ?4, ?5)",
    "INSERT INTO roster (login, display_name, role, public_key) VALUES (?1, ?2, ?3, ?4)",
];

impl<'t> RowWriter<'t> {
    pub(super) fn new(tx: &'t Transaction<'_>) -> Result<RowWriter<'t>> {
        Ok(RowWriter {
            tx,
            inserts: INSERTS.iter().map(|sql| tx.prepare(sql)).collect::<Result<_>>()?,
            batch_total: tx.prepare("UPDATE export_batches SET total_cents = ?2 WHERE id = ?1")?,
            written: [0; SOURCE_TABLES.len()],
            aggregated: [0; USAGE_AGGREGATE_TABLES.len()],
        })
    }

    /// The rows written so far per source table, in the order of [`SOURCE_TABLES`]; the
    /// period counts one row (every caller writes it before making the writer). Then the
    /// pre-aggregated usage tables, when the period's usage came that way (`verify` checks
    /// their counts as the others').
    pub(super) fn row_counts(&self) -> Vec<(&'static str, i64)> {
        let mut written = self.written;
        written[0] = 1;
        let aggregated = USAGE_AGGREGATE_TABLES.iter().copied().zip(self.aggregated);
        SOURCE_TABLES
            .iter()
            .copied()
            .zip(written)
            .chain(aggregated.filter(|(_, rows)| *rows > 0))
            .collect()
    }

    /// Writes one row of the pre-aggregated usage form (schema 6: `usage_daily`,
    /// `usage_control`).
    pub fn aggregate(&mut self, row: &AggregateRow) -> Result<()> {
        let table = match row {
            AggregateRow::Daily(_) => 0,
            AggregateRow::Control(_) => 1,
        };
        self.aggregated[table] += 1;
        match row {
            AggregateRow::Daily(r) => self
                .tx
                .prepare_cached(
                    "INSERT INTO usage_daily (row, account_id, day, kind, state, invoice_line_id, units,
                                              rated_amount_cents, event_count)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    r.row as i64,
                    r.account_id,
                    date(r.day),
                    r.kind.as_str(),
                    r.state.as_str(),
                    r.invoice_line_id,
                    r.units,
                    cents(r.rated_amount),
                    r.event_count
                ])?,
            AggregateRow::Control(r) => self
                .tx
                .prepare_cached(
                    "INSERT INTO usage_control (id, event_count, units, rated_amount_cents) VALUES (1, ?1, ?2, ?3)",
                )?
                .execute(params![r.event_count, r.units, cents(r.rated_amount)])?,
        };
        Ok(())
    }

    /// Writes one row of source table `table` (its index in [`SOURCE_TABLES`]), and counts it.
    fn insert(&mut self, table: usize, row: impl rusqlite::Params) -> Result<()> {
        self.inserts[table - 1].execute(row)?;
        self.written[table] += 1;
        Ok(())
    }

    /// Writes one row of any source table but the period.
    pub fn write(&mut self, row: &SourceRow) -> Result<()> {
        match row {
            SourceRow::LaneOwner(r) => self.lane_owner(r),
            SourceRow::Account(r) => self.account(r),
            SourceRow::Invoice(r) => self.invoice(r),
            SourceRow::InvoiceLine(r) => self.invoice_line(r),
            SourceRow::Payment(r) => self.payment(r),
            SourceRow::Credit(r) => self.credit(r),
            SourceRow::Disbursement(r) => self.disbursement(r),
            SourceRow::Ledger(r) => self.ledger(r),
            SourceRow::UsageEvent(r) => self.usage_event(r),
            SourceRow::ExportBatch(r) => self.export_batch(r),
            SourceRow::ExportLine(r) => self.export_line(r),
            SourceRow::EmployerProgram(r) => self.employer_program(r),
            SourceRow::ProgramStatement(r) => self.program_statement(r),
            SourceRow::StatementLine(r) => self.statement_line(r),
            SourceRow::Roster(r) => self.roster(r),
        }
    }

    /// Writes every row of `d` but the period's, table by table in file order.
    pub fn source_data(&mut self, d: &SourceData) -> Result<()> {
        d.lane_owners.iter().try_for_each(|r| self.lane_owner(r))?;
        d.accounts.iter().try_for_each(|r| self.account(r))?;
        d.invoices.iter().try_for_each(|r| self.invoice(r))?;
        d.employer_programs
            .iter()
            .try_for_each(|r| self.employer_program(r))?;
        d.invoice_lines.iter().try_for_each(|r| self.invoice_line(r))?;
        d.payments.iter().try_for_each(|r| self.payment(r))?;
        d.credits.iter().try_for_each(|r| self.credit(r))?;
        d.disbursements.iter().try_for_each(|r| self.disbursement(r))?;
        d.ledger.iter().try_for_each(|r| self.ledger(r))?;
        d.usage_events.iter().try_for_each(|r| self.usage_event(r))?;
        d.export_batches.iter().try_for_each(|r| self.export_batch(r))?;
        d.export_lines.iter().try_for_each(|r| self.export_line(r))?;
        d.program_statements
            .iter()
            .try_for_each(|r| self.program_statement(r))?;
        d.statement_lines
            .iter()
            .try_for_each(|r| self.statement_line(r))?;
        d.roster.iter().try_for_each(|r| self.roster(r))
    }

    pub fn lane_owner(&mut self, r: &LaneOwner) -> Result<()> {
        self.insert(LANE_OWNERS, params![r.lane.as_str(), r.owner])
    }

    pub fn account(&mut self, r: &Account) -> Result<()> {
        self.insert(ACCOUNTS, params![r.id, r.name, r.kind.as_str()])
    }

    pub fn invoice(&mut self, r: &Invoice) -> Result<()> {
        self.insert(
            INVOICES,
            params![
                r.id,
                r.account_id,
                r.status.as_str(),
                opt_date(r.posted_at),
                opt_date(r.voided_at),
                date(r.due_date),
                cents(r.total),
                cents(r.balance)
            ],
        )
    }

    pub fn invoice_line(&mut self, r: &InvoiceLine) -> Result<()> {
        self.insert(
            INVOICE_LINES,
            params![
                r.id,
                r.invoice_id,
                r.kind.as_str(),
                r.program_id,
                opt_date(r.service_start),
                opt_date(r.service_end),
                cents(r.amount),
                r.revenue_rule.as_str(),
                r.description
            ],
        )
    }

    pub fn payment(&mut self, r: &Payment) -> Result<()> {
        self.insert(
            PAYMENTS,
            params![
                r.id,
                r.account_id,
                r.kind.as_str(),
                r.related_payment_id,
                date(r.occurred_on),
                cents(r.amount),
                r.reference
            ],
        )
    }

    pub fn credit(&mut self, r: &Credit) -> Result<()> {
        self.insert(
            CREDITS,
            params![
                r.id,
                r.account_id,
                r.kind.as_str(),
                r.related_credit_id,
                date(r.issued_on),
                cents(r.amount),
                r.reason
            ],
        )
    }

    pub fn disbursement(&mut self, r: &Disbursement) -> Result<()> {
        self.insert(
            DISBURSEMENTS,
            params![
                r.id,
                r.source_kind.as_str(),
                r.source_id,
                r.invoice_id,
                date(r.disbursed_on),
                cents(r.amount)
            ],
        )
    }

    pub fn ledger(&mut self, r: &LedgerEntry) -> Result<()> {
        self.insert(
            LEDGER,
            params![
                r.id,
                r.account_id,
                r.invoice_id,
                ts(r.occurred_at),
                r.kind.as_str(),
                cents(r.amount),
                r.reference
            ],
        )
    }

    pub fn usage_event(&mut self, r: &UsageEvent) -> Result<()> {
        self.insert(
            USAGE_EVENTS,
            params![
                r.id,
                r.account_id,
                r.kind.as_str(),
                ts(r.occurred_at),
                r.units,
                r.rated_amount.map(cents),
                r.state.as_str(),
                r.invoice_line_id,
                r.reprocessed_at.map(ts)
            ],
        )
    }

    pub fn export_batch(&mut self, r: &ExportBatch) -> Result<()> {
        self.insert(
            EXPORT_BATCHES,
            params![
                r.id,
                r.kind.as_str(),
                r.destination,
                ts(r.created_at),
                cents(r.total)
            ],
        )
    }

    /// Sets a batch's header total (known only once its lines are written).
    pub fn set_batch_total(&mut self, id: &str, total: Money) -> Result<()> {
        self.batch_total.execute(params![id, cents(total)])?;
        Ok(())
    }

    pub fn export_line(&mut self, r: &ExportLine) -> Result<()> {
        self.insert(
            EXPORT_LINES,
            params![r.id, r.batch_id, r.account_id, r.invoice_id, cents(r.amount)],
        )
    }

    pub fn employer_program(&mut self, r: &EmployerProgram) -> Result<()> {
        self.insert(
            EMPLOYER_PROGRAMS,
            params![r.id, r.employer_account_id, r.name, r.basis_units, cents(r.rate)],
        )
    }

    pub fn program_statement(&mut self, r: &ProgramStatement) -> Result<()> {
        self.insert(
            PROGRAM_STATEMENTS,
            params![r.id, r.program_id, date(r.issued_on), cents(r.total)],
        )
    }

    pub fn statement_line(&mut self, r: &StatementLine) -> Result<()> {
        self.insert(
            STATEMENT_LINES,
            params![
                r.id,
                r.statement_id,
                r.invoice_line_id,
                r.description,
                cents(r.amount)
            ],
        )
    }

    pub fn roster(&mut self, r: &RosterEntry) -> Result<()> {
        self.insert(
            ROSTER,
            params![r.login, r.display_name, r.role.as_str(), r.public_key],
        )
    }
}

/// The page cache while the rows are written (`cache_size`, negative: KiB): 128 MiB.
const LOAD_CACHE_KIB: i64 = -131_072;
/// The page cache while the indexes and the aggregates are built after the rows: 64 MiB.
const BUILD_CACHE_KIB: i64 = -65_536;

impl Snapshot {
    /// Writes the period row and the initial checklist, then hands `fill` a writer for
    /// every other source table; all in one transaction (see the module comment for the
    /// settings used during the load). The snapshot must be new and empty.
    pub fn bulk_load<T>(
        &mut self,
        period: &Period,
        fill: impl FnOnce(&mut RowWriter<'_>) -> Result<T>,
    ) -> Result<T> {
        self.bulk_load_from(period, &|_| GENERATED.to_string(), fill)
    }

    /// [`Snapshot::bulk_load`], with `file_of(table)` as what `source_counts.file` says
    /// each table's rows came from, and `fill` free to fail with its own error: when it
    /// fails nothing is committed (import, when a file has a problem).
    pub fn bulk_load_from<T, E: From<rusqlite::Error>>(
        &mut self,
        period: &Period,
        file_of: &dyn Fn(&str) -> String,
        fill: impl FnOnce(&mut RowWriter<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let conn = self.conn();
        conn.pragma_update(None, "journal_mode", "MEMORY")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        conn.pragma_update(None, "ignore_check_constraints", "ON")?;
        conn.pragma_update(None, "cache_size", LOAD_CACHE_KIB)?;
        let loaded = self.load(period, file_of, fill);
        let conn = self.conn();
        let restored = (|| -> Result<()> {
            conn.pragma_update(None, "cache_size", -2_000)?;
            conn.pragma_update(None, "ignore_check_constraints", "OFF")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            Ok(())
        })();
        let value = loaded?;
        restored?;
        Ok(value)
    }

    fn load<T, E: From<rusqlite::Error>>(
        &mut self,
        period: &Period,
        file_of: &dyn Fn(&str) -> String,
        fill: impl FnOnce(&mut RowWriter<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // The secondary indexes, dropped for the load and created again from their own SQL.
        let indexes: Vec<(String, String)> = {
            let mut st = tx.prepare(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_>>()?
        };
        for (name, _) in &indexes {
            tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
        }
        // The triggers on the source tables too, created again from their own SQL after the
        // load: the generation triggers (one counter update per row otherwise; the load
        // bumps the generation once instead, below) and the lock triggers (a subquery on
        // the period row per row; a new period is open).
        let triggers: Vec<(String, String)> = {
            let mut st = tx.prepare(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?1 ORDER BY name",
            )?;
            let mut all = Vec::new();
            for table in SOURCE_TABLES.iter().chain(USAGE_AGGREGATE_TABLES) {
                let rows = st.query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?;
                all.extend(rows.collect::<Result<Vec<(String, String)>>>()?);
            }
            all
        };
        for (name, _) in &triggers {
            tx.execute_batch(&format!("DROP TRIGGER \"{}\"", name.replace('"', "\"\"")))?;
        }
        insert_period(&tx, period)?;
        insert_checklist(&tx)?;
        let (value, counts) = {
            let mut writer = RowWriter::new(&tx)?;
            let value = fill(&mut writer)?;
            (value, writer.row_counts())
        };
        insert_source_counts(&tx, &counts, file_of)?;
        // The indexes and the aggregates are built by sorting, and SQLite's sorter holds up
        // to the page cache's size in memory on top of the cache itself: a smaller cache
        // from here keeps the load's peak memory (issue 15: ≤ 300 MiB at 1M invoices).
        tx.pragma_update(None, "cache_size", BUILD_CACHE_KIB)?;
        for (_, sql) in &indexes {
            tx.execute_batch(sql)?;
        }
        for (_, sql) in &triggers {
            tx.execute_batch(sql)?;
        }
        tx.execute("UPDATE source_generation SET generation = generation + 1", [])?;
        // The source aggregates, computed once from the rows just loaded (issue 15).
        super::aggregates::build_in(&tx, period)?;
        tx.commit()?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::new_snapshot;
    use super::super::workflow::expected_triggers;
    use super::*;

    #[test]
    fn the_load_puts_back_the_checks_the_triggers_and_the_indexes() {
        let (_dir, mut snapshot) = new_snapshot();
        let schema = |s: &Snapshot| -> Vec<(String, String)> {
            let mut st = s
                .conn()
                .prepare("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
                .unwrap();
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
            rows.collect::<Result<_>>().unwrap()
        };
        let before = schema(&snapshot);
        crate::demo::scale::generate(&mut snapshot, 100, 1).unwrap();
        assert_eq!(
            schema(&snapshot),
            before,
            "every index and trigger is back, unchanged"
        );
        assert_eq!(
            snapshot.workflow().triggers().unwrap(),
            expected_triggers().unwrap()
        );
        assert_eq!(snapshot.workflow().integrity_check().unwrap(), ["ok"]);
        let conn = snapshot.conn();
        let check: bool = conn
            .query_row("PRAGMA ignore_check_constraints", [], |r| r.get(0))
            .unwrap();
        assert!(!check, "CHECK constraints are enforced again");
        let bad = conn.execute(
            "INSERT INTO usage_events (id, account_id, kind, occurred_at, units, state)
             VALUES ('UE-X', 'ACC-000001', 'no-such-kind', '2026-03-01T00:00:00Z', 1, 'rated')",
            [],
        );
        assert!(bad.is_err(), "{bad:?}");
        let generation = snapshot.source_generation().unwrap();
        conn.execute("UPDATE roster SET display_name = 'x' WHERE login = 'tlin'", [])
            .unwrap();
        assert_eq!(snapshot.source_generation().unwrap(), generation + 1);
        conn.execute("UPDATE period SET status = 'signed_off'", [])
            .unwrap();
        assert!(conn.execute("DELETE FROM roster", []).is_err(), "locked");
    }

    #[test]
    fn the_writer_counts_the_rows_of_every_source_table() {
        let indexes = [
            LANE_OWNERS,
            ACCOUNTS,
            INVOICES,
            INVOICE_LINES,
            PAYMENTS,
            CREDITS,
            DISBURSEMENTS,
            LEDGER,
            USAGE_EVENTS,
            EXPORT_BATCHES,
            EXPORT_LINES,
            EMPLOYER_PROGRAMS,
            PROGRAM_STATEMENTS,
            STATEMENT_LINES,
            ROSTER,
        ];
        assert_eq!(indexes.map(|i| SOURCE_TABLES[i]), SOURCE_TABLES[1..]);
        for (sql, table) in INSERTS.iter().zip(&SOURCE_TABLES[1..]) {
            assert!(sql.starts_with(&format!("INSERT INTO {table} (")), "{sql}");
        }

        let (_dir, mut snapshot) = new_snapshot();
        let generated = crate::demo::scale::generate(&mut snapshot, 100, 1).unwrap();
        let counts = snapshot.workflow().source_counts().unwrap();
        assert_eq!(counts.len(), SOURCE_TABLES.len());
        for count in &counts {
            assert_eq!(count.file, GENERATED);
            let rows = snapshot.table_count(&count.table_name).unwrap();
            assert_eq!(count.rows, rows, "{}", count.table_name);
        }
        let payments = counts.iter().find(|c| c.table_name == "payments").unwrap();
        assert_eq!(payments.rows as u64, generated.counts.payments);
    }
}
