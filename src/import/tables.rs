//! One function per source table: the cells of each row, the rules between cells of a row,
//! and the references to other rows.

use std::collections::HashMap;

use super::cells::{is_id, quoted, Ids, Problems, Row, Seen, Word};
use super::csvfile::{Cell, Record, Table};
use super::FILES;
use crate::snapshot::model::{
    Account, AccountKind, BatchKind, Credit, CreditKind, Disbursement, EmployerProgram, ExportBatch,
    ExportLine, Invoice, InvoiceLine, InvoiceStatus, Lane, LaneOwner, LedgerEntry, LedgerKind, LineKind,
    Payment, PaymentKind, Period, PeriodStatus, ProgramStatement, RevenueRule, Role, RosterEntry, SourceData,
    SourceKind, StatementLine, UsageEvent, UsageKind, UsageState,
};

/// The rows other files may refer to, collected before any table is parsed so that a
/// reference may point anywhere (a reversal may name a payment further down its file).
struct Known {
    accounts: Ids,
    account_kinds: HashMap<String, AccountKind>,
    invoices: Ids,
    invoice_lines: Ids,
    payments: Ids,
    payment_kinds: HashMap<String, PaymentKind>,
    credits: Ids,
    credit_kinds: HashMap<String, CreditKind>,
    programs: Ids,
    statements: Ids,
    batches: Ids,
}

/// The kind of each row with a valid id (the first row, for a duplicated id), as
/// [`Ids::collect`] sees the ids.
fn kinds<W: Word>(table: Option<&Table>, kind_column: &str) -> HashMap<String, W> {
    let mut kinds = HashMap::new();
    if let Some(table) = table {
        let (id_at, kind_at) = (table.index("id"), table.index(kind_column));
        for record in &table.records {
            if let (Cell::Text(id), Cell::Text(word)) = (&record.cells[id_at], &record.cells[kind_at]) {
                if let Some(kind) = W::from_word(word).filter(|_| is_id(id.trim(), false)) {
                    kinds.entry(id.trim().to_string()).or_insert(kind);
                }
            }
        }
    }
    kinds
}

/// The complete rows of a table (rows with the wrong number of fields are only reported).
fn rows(table: Option<&Table>) -> impl Iterator<Item = (&Table, &Record)> {
    table
        .into_iter()
        .flat_map(|t| t.records.iter().filter(|r| r.complete).map(move |r| (t, r)))
}

/// Parses every table. `tables` holds one entry per [`FILES`] entry, `None` for a file that
/// is missing or whose header is wrong (already reported). Returns `None` when no period
/// could be read; the caller discards the data anyway when anything was reported.
pub(super) fn source_data(tables: &[Option<Table>], problems: &mut Problems) -> Option<SourceData> {
    let get = |name: &str| -> Option<&Table> {
        let index = FILES.iter().position(|(file, _)| *file == name)?;
        tables.get(index)?.as_ref()
    };
    let known = Known {
        accounts: Ids::collect(get("accounts.csv"), "id", "account", "accounts.csv"),
        account_kinds: kinds(get("accounts.csv"), "kind"),
        invoices: Ids::collect(get("invoices.csv"), "id", "invoice", "invoices.csv"),
        invoice_lines: Ids::collect(
            get("invoice_lines.csv"),
            "id",
            "invoice line",
            "invoice_lines.csv",
        ),
        payments: Ids::collect(get("payments.csv"), "id", "payment", "payments.csv"),
        payment_kinds: kinds(get("payments.csv"), "kind"),
        credits: Ids::collect(get("credits.csv"), "id", "credit", "credits.csv"),
        credit_kinds: kinds(get("credits.csv"), "kind"),
        programs: Ids::collect(
            get("employer_programs.csv"),
            "id",
            "program",
            "employer_programs.csv",
        ),
        statements: Ids::collect(
            get("program_statements.csv"),
            "id",
            "statement",
            "program_statements.csv",
        ),
        batches: Ids::collect(get("export_batches.csv"), "id", "batch", "export_batches.csv"),
    };
    // Every table is parsed, even without a usable period, so that all problems are found.
    let period = period(get("period.csv"), problems);
    let lane_owners = lane_owners(get("lane_owners.csv"), problems);
    let accounts = accounts(get("accounts.csv"), problems);
    let invoices = invoices(get("invoices.csv"), &known, problems);
    let invoice_lines = invoice_lines(get("invoice_lines.csv"), &known, problems);
    let payments = payments(get("payments.csv"), &known, problems);
    let credits = credits(get("credits.csv"), &known, problems);
    let disbursements = disbursements(get("disbursements.csv"), &known, problems);
    let ledger = ledger(get("ledger.csv"), &known, problems);
    let usage_events = usage_events(get("usage_events.csv"), &known, problems);
    let export_batches = export_batches(get("export_batches.csv"), problems);
    let export_lines = export_lines(get("export_lines.csv"), &known, problems);
    let employer_programs = employer_programs(get("employer_programs.csv"), &known, problems);
    let program_statements = program_statements(get("program_statements.csv"), &known, problems);
    let statement_lines = statement_lines(get("statement_lines.csv"), &known, problems);
    let roster = roster(get("roster.csv"), problems);
    Some(SourceData {
        period: period?,
        lane_owners,
        accounts,
        invoices,
        invoice_lines,
        payments,
        credits,
        disbursements,
        ledger,
        usage_events,
        export_batches,
        export_lines,
        employer_programs,
        program_statements,
        statement_lines,
        roster,
    })
}

/// `period.csv`: exactly one row.
fn period(table: Option<&Table>, problems: &mut Problems) -> Option<Period> {
    let table = table?;
    let mut records = table.records.iter();
    let Some(record) = records.next() else {
        let reason = "no period row (period.csv holds exactly one period)".to_string();
        problems.push(table.file, &table.label, 0, 0, reason);
        return None;
    };
    if let Some(second) = records.next() {
        let reason = "a second period row (period.csv holds exactly one period)".to_string();
        problems.push(table.file, &table.label, second.line, 0, reason);
    }
    if !record.complete {
        return None;
    }
    let mut r = Row::new(table, record, problems);
    let id = r.period_id("id");
    let entity = r.text("entity");
    let window_start = r.date("window_start");
    let window_end = r.date("window_end");
    if let (Some(start), Some(end)) = (window_start, window_end) {
        if end < start {
            r.problem(
                "window_end",
                format!("window_end {end} is before window_start {start}"),
            );
        }
    }
    let currency = r.currency("currency");
    let close_owner = r.text("close_owner");
    let medium = r.non_negative_money("materiality_medium");
    let high = r.non_negative_money("materiality_high");
    let critical = r.non_negative_money("materiality_critical");
    if let (Some(medium), Some(high)) = (medium, high) {
        if high < medium {
            let reason = format!("materiality_high {high} is below materiality_medium {medium}");
            r.problem("materiality_high", reason);
        }
    }
    if let (Some(high), Some(critical)) = (high, critical) {
        if critical < high {
            let reason = format!("materiality_critical {critical} is below materiality_high {high}");
            r.problem("materiality_critical", reason);
        }
    }
    let last_clean_period = r.opt_period_id("last_clean_period");
    let last_clean_date = r.opt_date("last_clean_date");
    let exported_on = r.opt_date("exported_on");
    if let (Some(end), Some(exported)) = (window_end, exported_on) {
        if exported < end {
            r.problem(
                "exported_on",
                format!("exported_on {exported} is before window_end {end}: a close runs on a snapshot taken after its window"),
            );
        }
    }
    let (
        Some(id),
        Some(entity),
        Some(window_start),
        Some(window_end),
        Some(currency),
        Some(close_owner),
        Some(materiality_medium),
        Some(materiality_high),
        Some(materiality_critical),
        true,
    ) = (
        id,
        entity,
        window_start,
        window_end,
        currency,
        close_owner,
        medium,
        high,
        critical,
        r.ok(),
    )
    else {
        return None;
    };
    Some(Period {
        id,
        entity,
        window_start,
        window_end,
        currency,
        close_owner,
        materiality_medium,
        materiality_high,
        materiality_critical,
        last_clean_period,
        last_clean_date,
        status: PeriodStatus::Open,
        exported_on,
    })
}

/// `lane_owners.csv`: at most one row per lane.
fn lane_owners(table: Option<&Table>, problems: &mut Problems) -> Vec<LaneOwner> {
    let mut out = Vec::new();
    let mut seen = Seen::new("lane");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let lane = r.word::<Lane>("lane");
        if let Some(lane) = lane {
            r.unique("lane", &mut seen, lane.as_str());
        }
        let owner = r.text("owner");
        let (Some(lane), Some(owner), true) = (lane, owner, r.ok()) else {
            continue;
        };
        out.push(LaneOwner { lane, owner });
    }
    out
}

fn accounts(table: Option<&Table>, problems: &mut Problems) -> Vec<Account> {
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let name = r.text("name");
        let kind = r.word::<AccountKind>("kind");
        let (Some(id), Some(name), Some(kind), true) = (id, name, kind, r.ok()) else {
            continue;
        };
        out.push(Account { id, name, kind });
    }
    out
}

/// Posted, closed and void invoices carry a posting date; only void ones a void date.
fn invoices(table: Option<&Table>, known: &Known, problems: &mut Problems) -> Vec<Invoice> {
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let account_id = r.reference("account_id", &known.accounts);
        let status = r.word::<InvoiceStatus>("status");
        let posted_at = r.opt_date("posted_at");
        let voided_at = r.opt_date("voided_at");
        if let Some(status) = status {
            if status != InvoiceStatus::Draft && r.is_blank("posted_at") {
                r.problem("posted_at", format!("posted_at is required for status {status}"));
            }
            if status == InvoiceStatus::Void && r.is_blank("voided_at") {
                r.problem("voided_at", "voided_at is required for status void".to_string());
            }
            if status != InvoiceStatus::Void && r.is_filled("voided_at") {
                r.problem(
                    "voided_at",
                    format!("voided_at must be empty for status {status}"),
                );
            }
        }
        let due_date = r.date("due_date");
        let total = r.money("total");
        let balance = r.money("balance");
        let (Some(id), Some(account_id), Some(status), Some(due_date), Some(total), Some(balance), true) =
            (id, account_id, status, due_date, total, balance, r.ok())
        else {
            continue;
        };
        out.push(Invoice {
            id,
            account_id,
            status,
            posted_at,
            voided_at,
            due_date,
            total,
            balance,
        });
    }
    out
}

/// Program fee lines name their program; a service period has a start if it has an end.
fn invoice_lines(table: Option<&Table>, known: &Known, problems: &mut Problems) -> Vec<InvoiceLine> {
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let invoice_id = r.reference("invoice_id", &known.invoices);
        let kind = r.word::<LineKind>("kind");
        let program_id = r.opt_reference("program_id", &known.programs);
        if kind == Some(LineKind::ProgramFee) && r.is_blank("program_id") {
            r.problem(
                "program_id",
                "program_id is required for kind program_fee".to_string(),
            );
        }
        let service_start = r.opt_date("service_start");
        let service_end = r.opt_date("service_end");
        if r.is_filled("service_end") && r.is_blank("service_start") {
            r.problem(
                "service_end",
                "service_end is given without service_start".to_string(),
            );
        }
        let amount = r.money("amount");
        let revenue_rule = r.word::<RevenueRule>("revenue_rule");
        let description = r.opt_text("description");
        let (Some(id), Some(invoice_id), Some(kind), Some(amount), Some(revenue_rule), true) =
            (id, invoice_id, kind, amount, revenue_rule, r.ok())
        else {
            continue;
        };
        out.push(InvoiceLine {
            id,
            invoice_id,
            kind,
            program_id,
            service_start,
            service_end,
            amount,
            revenue_rule,
            description,
        });
    }
    out
}

/// An undoing row (a reversal, refund or chargeback) names the original row it undoes in
/// `column`, and that row must be of the `original` kind; an original row names none.
fn undone_row<K: Word + PartialEq + std::fmt::Display>(
    r: &mut Row<'_>,
    kind: Option<K>,
    original: K,
    column: &str,
    ids: &Ids,
    kinds: &HashMap<String, K>,
) -> Option<String> {
    let related = match kind {
        Some(kind) if kind == original => {
            if r.is_filled(column) {
                r.problem(column, format!("{column} must be empty for kind {original}"));
            }
            None
        }
        Some(kind) if r.is_blank(column) => {
            r.problem(column, format!("{column} is required for kind {kind}"));
            None
        }
        _ => r.opt_reference(column, ids),
    };
    if let (Some(_), Some(id)) = (kind, &related) {
        match kinds.get(id) {
            Some(&related_kind) if related_kind != original => {
                let reason = format!(
                    "related {original} '{}' has kind {related_kind}, not {original}",
                    quoted(id)
                );
                r.problem(column, reason);
            }
            _ => {}
        }
    }
    related
}

/// Reversals, refunds and chargebacks name the `payment` row they undo; payments name none.
fn payments(table: Option<&Table>, known: &Known, problems: &mut Problems) -> Vec<Payment> {
    const RELATED: &str = "related_payment_id";
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let account_id = r.reference("account_id", &known.accounts);
        let kind = r.word::<PaymentKind>("kind");
        let related_payment_id = undone_row(
            &mut r,
            kind,
            PaymentKind::Payment,
            RELATED,
            &known.payments,
            &known.payment_kinds,
        );
        let occurred_on = r.date("occurred_on");
        let amount = r.positive_money("amount");
        let reference = r.opt_text("reference");
        let (Some(id), Some(account_id), Some(kind), Some(occurred_on), Some(amount), true) =
            (id, account_id, kind, occurred_on, amount, r.ok())
        else {
            continue;
        };
        out.push(Payment {
            id,
            account_id,
            kind,
            related_payment_id,
            occurred_on,
            amount,
            reference,
        });
    }
    out
}

/// Reversals name the `credit` row they undo; credits name none.
fn credits(table: Option<&Table>, known: &Known, problems: &mut Problems) -> Vec<Credit> {
    const RELATED: &str = "related_credit_id";
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let account_id = r.reference("account_id", &known.accounts);
        let kind = r.word::<CreditKind>("kind");
        let related_credit_id = undone_row(
            &mut r,
            kind,
            CreditKind::Credit,
            RELATED,
            &known.credits,
            &known.credit_kinds,
        );
        let issued_on = r.date("issued_on");
        let amount = r.positive_money("amount");
        let reason = r.opt_text("reason");
        let (Some(id), Some(account_id), Some(kind), Some(issued_on), Some(amount), true) =
            (id, account_id, kind, issued_on, amount, r.ok())
        else {
            continue;
        };
        out.push(Credit {
            id,
            account_id,
            kind,
            related_credit_id,
            issued_on,
            amount,
            reason,
        });
    }
    out
}

/// A disbursement applies a `payment` row of payments.csv or a `credit` row of credits.csv.
fn disbursements(table: Option<&Table>, known: &Known, problems: &mut Problems) -> Vec<Disbursement> {
    const SOURCE: &str = "source_id";
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let source_kind = r.word::<SourceKind>("source_kind");
        let source_id = match source_kind {
            Some(SourceKind::Payment) => {
                let source_id = r.reference(SOURCE, &known.payments);
                let kind = source_id.as_ref().and_then(|s| known.payment_kinds.get(s));
                if let (Some(source), Some(&kind)) = (&source_id, kind) {
                    if kind != PaymentKind::Payment {
                        let shown = quoted(source);
                        r.problem(
                            SOURCE,
                            format!("source payment '{shown}' has kind {kind}, not payment"),
                        );
                    }
                }
                source_id
            }
            Some(SourceKind::Credit) => {
                let source_id = r.reference(SOURCE, &known.credits);
                let kind = source_id.as_ref().and_then(|s| known.credit_kinds.get(s));
                if let (Some(source), Some(&kind)) = (&source_id, kind) {
                    if kind != CreditKind::Credit {
                        let shown = quoted(source);
                        r.problem(
                            SOURCE,
                            format!("source credit '{shown}' has kind {kind}, not credit"),
                        );
                    }
                }
                source_id
            }
            None => r.id(SOURCE),
        };
        let invoice_id = r.reference("invoice_id", &known.invoices);
        let disbursed_on = r.date("disbursed_on");
        let amount = r.money("amount");
        let (
            Some(id),
            Some(source_kind),
            Some(source_id),
            Some(invoice_id),
            Some(disbursed_on),
            Some(amount),
            true,
        ) = (
            id,
            source_kind,
            source_id,
            invoice_id,
            disbursed_on,
            amount,
            r.ok(),
        )
        else {
            continue;
        };
        out.push(Disbursement {
            id,
            source_kind,
            source_id,
            invoice_id,
            disbursed_on,
            amount,
        });
    }
    out
}

/// Every ledger row but a refund names its invoice.
fn ledger(table: Option<&Table>, known: &Known, problems: &mut Problems) -> Vec<LedgerEntry> {
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let account_id = r.reference("account_id", &known.accounts);
        let invoice_id = r.opt_reference("invoice_id", &known.invoices);
        let occurred_at = r.timestamp("occurred_at");
        let kind = r.word::<LedgerKind>("kind");
        if let Some(kind) = kind {
            if kind != LedgerKind::Refund && r.is_blank("invoice_id") {
                let reason =
                    format!("invoice_id is required for kind {kind} (only refund rows have no invoice)");
                r.problem("invoice_id", reason);
            }
        }
        let amount = r.money("amount");
        let reference = r.opt_text("reference");
        let (Some(id), Some(account_id), Some(occurred_at), Some(kind), Some(amount), true) =
            (id, account_id, occurred_at, kind, amount, r.ok())
        else {
            continue;
        };
        out.push(LedgerEntry {
            id,
            account_id,
            invoice_id,
            occurred_at,
            kind,
            amount,
            reference,
        });
    }
    out
}

fn usage_events(table: Option<&Table>, known: &Known, problems: &mut Problems) -> Vec<UsageEvent> {
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let account_id = r.reference("account_id", &known.accounts);
        let kind = r.word::<UsageKind>("kind");
        let occurred_at = r.timestamp("occurred_at");
        let units = r.whole("units", 1);
        let rated_amount = r.opt_money("rated_amount");
        let state = r.word::<UsageState>("state");
        let invoice_line_id = r.opt_reference("invoice_line_id", &known.invoice_lines);
        let reprocessed_at = r.opt_timestamp("reprocessed_at");
        let (Some(id), Some(account_id), Some(kind), Some(occurred_at), Some(units), Some(state), true) =
            (id, account_id, kind, occurred_at, units, state, r.ok())
        else {
            continue;
        };
        out.push(UsageEvent {
            id,
            account_id,
            kind,
            occurred_at,
            units,
            rated_amount,
            state,
            invoice_line_id,
            reprocessed_at,
        });
    }
    out
}

fn export_batches(table: Option<&Table>, problems: &mut Problems) -> Vec<ExportBatch> {
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let kind = r.word::<BatchKind>("kind");
        let destination = r.text("destination");
        let created_at = r.timestamp("created_at");
        let total = r.money("total");
        let (Some(id), Some(kind), Some(destination), Some(created_at), Some(total), true) =
            (id, kind, destination, created_at, total, r.ok())
        else {
            continue;
        };
        out.push(ExportBatch {
            id,
            kind,
            destination,
            created_at,
            total,
        });
    }
    out
}

fn export_lines(table: Option<&Table>, known: &Known, problems: &mut Problems) -> Vec<ExportLine> {
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let batch_id = r.reference("batch_id", &known.batches);
        let account_id = r.reference("account_id", &known.accounts);
        let invoice_id = r.opt_reference("invoice_id", &known.invoices);
        let amount = r.money("amount");
        let (Some(id), Some(batch_id), Some(account_id), Some(amount), true) =
            (id, batch_id, account_id, amount, r.ok())
        else {
            continue;
        };
        out.push(ExportLine {
            id,
            batch_id,
            account_id,
            invoice_id,
            amount,
        });
    }
    out
}

/// A program belongs to an `employer` account.
fn employer_programs(table: Option<&Table>, known: &Known, problems: &mut Problems) -> Vec<EmployerProgram> {
    const EMPLOYER: &str = "employer_account_id";
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let employer_account_id = r.reference(EMPLOYER, &known.accounts);
        let kind = employer_account_id
            .as_ref()
            .and_then(|a| known.account_kinds.get(a));
        if let (Some(account), Some(&kind)) = (&employer_account_id, kind) {
            if kind != AccountKind::Employer {
                let shown = quoted(account);
                r.problem(
                    EMPLOYER,
                    format!("account '{shown}' has kind {kind}, not employer"),
                );
            }
        }
        let name = r.text("name");
        let basis_units = r.whole("basis_units", 0);
        let rate = r.money("rate");
        // The engine forms basis_units × rate: it must be an amount, and it counts toward
        // the period's bound like one.
        if let (Some(units), Some(rate)) = (basis_units, rate) {
            let fee = units as i128 * rate.cents() as i128;
            if fee.abs() >= crate::money::MAX_ABS_CENTS as i128 {
                r.problem(
                    "basis_units",
                    format!(
                        "basis_units × rate ({units} × {rate}) is out of range: the fee must be less than {} \
                         in absolute value",
                        crate::money::Money::from_cents(crate::money::MAX_ABS_CENTS).grouped()
                    ),
                );
            } else {
                r.count_toward_bound("basis_units", fee);
            }
        }
        let (Some(id), Some(employer_account_id), Some(name), Some(basis_units), Some(rate), true) =
            (id, employer_account_id, name, basis_units, rate, r.ok())
        else {
            continue;
        };
        out.push(EmployerProgram {
            id,
            employer_account_id,
            name,
            basis_units,
            rate,
        });
    }
    out
}

fn program_statements(
    table: Option<&Table>,
    known: &Known,
    problems: &mut Problems,
) -> Vec<ProgramStatement> {
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let program_id = r.reference("program_id", &known.programs);
        let issued_on = r.date("issued_on");
        let total = r.money("total");
        let (Some(id), Some(program_id), Some(issued_on), Some(total), true) =
            (id, program_id, issued_on, total, r.ok())
        else {
            continue;
        };
        out.push(ProgramStatement {
            id,
            program_id,
            issued_on,
            total,
        });
    }
    out
}

fn statement_lines(table: Option<&Table>, known: &Known, problems: &mut Problems) -> Vec<StatementLine> {
    let mut out = Vec::new();
    let mut seen = Seen::new("id");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let id = r.unique_id("id", &mut seen);
        let statement_id = r.reference("statement_id", &known.statements);
        let invoice_line_id = r.opt_reference("invoice_line_id", &known.invoice_lines);
        let description = r.opt_text("description");
        let amount = r.money("amount");
        let (Some(id), Some(statement_id), Some(amount), true) = (id, statement_id, amount, r.ok()) else {
            continue;
        };
        out.push(StatementLine {
            id,
            statement_id,
            invoice_line_id,
            description,
            amount,
        });
    }
    out
}

fn roster(table: Option<&Table>, problems: &mut Problems) -> Vec<RosterEntry> {
    let mut out = Vec::new();
    let mut seen = Seen::new("login");
    let mut keys = Seen::new("public key");
    for (table, record) in rows(table) {
        let mut r = Row::new(table, record, problems);
        let login = r.login("login");
        if let Some(login) = &login {
            r.unique("login", &mut seen, login);
        }
        let display_name = r.text("display_name");
        let role = r.word::<Role>("role");
        let public_key = r.opt_public_key("public_key", &mut keys);
        let (Some(login), Some(display_name), Some(role), true) = (login, display_name, role, r.ok()) else {
            continue;
        };
        out.push(RosterEntry {
            login,
            display_name,
            role,
            public_key,
        });
    }
    out
}
