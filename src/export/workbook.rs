//! The close workbook (docs/outputs.md): one `.xlsx` with a summary sheet, one sheet per
//! reconciliation step, the mismatch register, aged AR by account, the GL journal, the
//! checklist and the audit trail.
//!
//! Built on the engine's Rust types, never on their JSON: every figure struct is
//! destructured without `..`, so a field added to the engine fails to compile here until
//! the workbook shows it. Amounts are number cells with the currency's number format
//! (USD: `#,##0.00`), counts are number cells, and everything else
//! — ids, names, notes, keys — is written with `write_string`, never as a formula and never
//! auto-detected, so `=cmd|' /C calc'!A0` from data stays text. Text is made inert as in
//! every output (control characters escaped, bidi controls dropped). The document's
//! creation time is the period's window end, so the same state gives the same bytes.
//!
//! Owns the workbook's sheets and cell types; must not compute figures or write formulas.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as XFormat, Workbook, Worksheet, XlsxError};

use super::{aging, gl, register, Cell, ExportError, Kind, Output, Source};
use crate::money::Money;
use crate::reconcile::adjustments::{AdjustmentFigures, AdjustmentItem, AdjustmentTotals};
use crate::reconcile::applied::AppliedFigures;
use crate::reconcile::exports::{BatchFigures, ExportFigures};
use crate::reconcile::posted::PostedFigures;
use crate::reconcile::programs::{ProgramFigures, ProgramRow};
use crate::reconcile::revenue::{RevenueFigures, RuleFigures};
use crate::reconcile::rollforward::{AccountRollForward, RollForward, RollForwardFigures};
use crate::reconcile::statements::StatementFigures;
use crate::reconcile::usage::UsageFigures;
use crate::reconcile::{Headline, Steps};
use crate::snapshot::queries::WindowActivity;
use crate::text::inert;
use crate::workflow::checklist::{self, Figure};

/// The sheets, in order.
pub const SHEETS: &[&str] = &[
    "Summary",
    "Posted",
    "Applied",
    "Roll-forward",
    "Adjustments",
    "AR to output",
    "Revenue",
    "Usage",
    "Programs",
    "Statements",
    "Mismatches",
    "Aged AR",
    "GL journal",
    "Checklist",
    "Trail",
];

/// Excel's limit on the characters of one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// The number format of amounts: grouped, with the currency's decimals
/// ([`crate::money::currency_decimals`], the one ISO 4217 table; two for a code it does not
/// know, as every amount had before it). Only the display: the cell's value is the exact
/// amount either way.
pub fn money_format(currency: &str) -> &'static str {
    let code = currency.trim().to_ascii_uppercase();
    match crate::money::currency_decimals(&code).unwrap_or(2) {
        0 => "#,##0",
        3 => "#,##0.000",
        4 => "#,##0.0000",
        _ => "#,##0.00",
    }
}

fn xlsx(e: XlsxError) -> ExportError {
    ExportError::Io(format!("cannot build the workbook: {e}"))
}

/// A worksheet being filled top to bottom.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
    row: u32,
    money: XFormat,
    bold: XFormat,
    widths: Vec<usize>,
}

impl<'a> Sheet<'a> {
    fn new(ws: &'a mut Worksheet, name: &str, currency: &str) -> Result<Sheet<'a>, ExportError> {
        ws.set_name(name).map_err(xlsx)?;
        Ok(Sheet {
            ws,
            row: 0,
            money: XFormat::new().set_num_format(money_format(currency)),
            bold: XFormat::new().set_bold(),
            widths: Vec::new(),
        })
    }

    fn width(&mut self, col: u16, chars: usize) {
        let col = usize::from(col);
        if self.widths.len() <= col {
            self.widths.resize(col + 1, 0);
        }
        self.widths[col] = self.widths[col].max(chars.min(60));
    }

    /// Text from data: inert, within Excel's cell limit, always a string cell.
    fn text(&mut self, col: u16, text: &str, bold: bool) -> Result<(), ExportError> {
        let mut clean = inert(text);
        if clean.chars().count() > MAX_CELL_CHARS {
            let keep: String = clean.chars().take(MAX_CELL_CHARS - 20).collect();
            clean = format!("{keep} … (truncated)");
        }
        self.width(col, clean.chars().count());
        let (row, ws) = (self.row, &mut *self.ws);
        if bold {
            ws.write_string_with_format(row, col, clean, &self.bold)
        } else {
            ws.write_string(row, col, clean)
        }
        .map_err(xlsx)?;
        Ok(())
    }

    fn cell(&mut self, col: u16, cell: &Cell) -> Result<(), ExportError> {
        let row = self.row;
        match cell {
            Cell::Text(t) => return self.text(col, t, false),
            Cell::Amount(m) => {
                self.width(col, m.grouped().len() + 1);
                self.ws
                    .write_number_with_format(row, col, amount(*m), &self.money)
                    .map_err(xlsx)?;
            }
            Cell::Count(n) => {
                self.width(col, n.to_string().len());
                // Counts are far below 2^53: exact as a double.
                self.ws.write_number(row, col, *n as f64).map_err(xlsx)?;
            }
            Cell::Empty => {}
        }
        Ok(())
    }

    /// One row of cells, then the next row.
    fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        for (col, cell) in cells.iter().enumerate() {
            self.cell(col as u16, cell)?;
        }
        self.row += 1;
        Ok(())
    }

    /// A bold row of labels.
    fn header(&mut self, labels: &[&str]) -> Result<(), ExportError> {
        for (col, label) in labels.iter().enumerate() {
            self.text(col as u16, label, true)?;
        }
        self.row += 1;
        Ok(())
    }

    fn title(&mut self, title: &str) -> Result<(), ExportError> {
        self.text(0, title, true)?;
        self.row += 2;
        Ok(())
    }

    fn blank(&mut self) {
        self.row += 1;
    }

    /// `figure | value` rows under a header.
    fn figures(&mut self, rows: &[(&str, Cell)]) -> Result<(), ExportError> {
        self.header(&["figure", "value"])?;
        for (label, value) in rows {
            self.row(&[Cell::text(*label), value.clone()])?;
        }
        Ok(())
    }

    fn table(&mut self, caption: &str, header: &[&str], rows: &[Vec<Cell>]) -> Result<(), ExportError> {
        self.text(0, caption, true)?;
        self.row += 1;
        self.header(header)?;
        for r in rows {
            self.row(r)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<(), ExportError> {
        for (col, width) in self.widths.iter().enumerate() {
            self.ws
                .set_column_width(col as u16, (*width).max(8) as f64 + 2.0)
                .map_err(xlsx)?;
        }
        Ok(())
    }
}

/// An amount as a spreadsheet number, in the period currency's units: the double nearest
/// the exact amount (minor units are below 2^53, so the minor unit is always recovered by
/// rounding `value × 10^decimals`).
pub fn amount(m: Money) -> f64 {
    m.cents() as f64 / 10_f64.powi(crate::money::decimals() as i32)
}

fn money(m: Money) -> Cell {
    Cell::Amount(m)
}

fn count(n: u64) -> Cell {
    Cell::Count(i64::try_from(n).unwrap_or(i64::MAX))
}

pub fn render(source: &Source<'_>) -> Result<Output, ExportError> {
    let register_rows = register::rows(source)?;
    let rows = register_rows.len() as u64;
    let meta = source.metadata(Kind::Workbook, rows);
    let recon = &source.recon;
    let currency = recon.period.currency.as_str();
    let mut book = Workbook::new();
    let end = recon.period.window_end;
    use chrono::Datelike;
    let created =
        ExcelDateTime::from_ymd(end.year() as u16, end.month() as u8, end.day() as u8).map_err(xlsx)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "Close workbook — {} — {}",
                inert(&meta.entity),
                inert(&meta.period)
            ))
            .set_author("closedesk")
            .set_creation_datetime(&created),
    );

    // Summary: metadata and headline figures.
    {
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[0], currency)?;
        s.title(&format!("Close workbook — {} — {}", meta.entity, meta.period))?;
        s.header(&["field", "value"])?;
        for (name, value) in meta.pairs() {
            let cell = match name {
                "schema_version" => Cell::Count(i64::from(meta.schema_version)),
                "audit_len" => Cell::Count(meta.audit_len),
                "rows" => count(meta.rows),
                _ => Cell::Text(value),
            };
            s.row(&[Cell::text(name), cell])?;
        }
        s.blank();
        let Headline {
            usage_billed,
            program_fees_billed,
            posted_receivables,
            disbursed,
            closing_ar,
            unapplied,
        } = &recon.headline;
        s.text(0, "Headline figures", true)?;
        s.row += 1;
        s.figures(&[
            ("usage_billed", money(*usage_billed)),
            ("program_fees_billed", money(*program_fees_billed)),
            ("posted_receivables", money(*posted_receivables)),
            ("disbursed", money(*disbursed)),
            ("closing_ar", money(*closing_ar)),
            ("unapplied", money(*unapplied)),
        ])?;
        s.blank();
        s.text(0, "Rows: the mismatches in the register. The audit head and length are the log's before this export's own audit row.", false)?;
        s.finish()?;
    }

    let Steps {
        posted,
        after_window,
        applied,
        rollforward,
        adjustments,
        exports,
        revenue,
        usage,
        programs,
        statements,
    } = &recon.steps;

    // 1. Posted invoice totals.
    {
        let PostedFigures {
            close_population_count,
            posted_receivables,
            voided_count,
            voided_total,
            draft_count,
            draft_total,
            closing_ar,
            balance_change_after_window,
            voided_after_count,
            voided_after_balance,
        } = posted;
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[1], currency)?;
        s.title("1. Posted invoice totals")?;
        s.figures(&[
            ("close_population_count", count(*close_population_count)),
            ("posted_receivables", money(*posted_receivables)),
            ("voided_count", count(*voided_count)),
            ("voided_total", money(*voided_total)),
            ("draft_count", count(*draft_count)),
            ("draft_total", money(*draft_total)),
            ("closing_ar", money(*closing_ar)),
            ("balance_change_after_window", money(*balance_change_after_window)),
            ("voided_after_count", count(*voided_after_count)),
            ("voided_after_balance", money(*voided_after_balance)),
        ])?;
        // Activity dated after window end: shown, moving nothing in the period.
        let crate::snapshot::queries::AfterWindowActivity {
            invoices_posted,
            invoices_voided,
            payments_received,
            payment_undos,
            credits_issued,
            credits_reversed,
            disbursements,
            ledger_rows,
            usage_events,
        } = after_window;
        s.blank();
        s.text(0, "After the window (moves nothing in this period)", true)?;
        s.row += 1;
        let mut rows = Vec::new();
        for (name, tally) in [
            ("invoices_posted", invoices_posted),
            ("invoices_voided", invoices_voided),
            ("payments_received", payments_received),
            ("payment_undos", payment_undos),
            ("credits_issued", credits_issued),
            ("credits_reversed", credits_reversed),
            ("disbursements", disbursements),
            ("ledger_rows", ledger_rows),
            ("usage_events", usage_events),
        ] {
            rows.push((format!("{name}_count"), count(tally.count)));
            rows.push((format!("{name}_amount"), money(tally.amount)));
        }
        let rows: Vec<(&str, Cell)> = rows.iter().map(|(n, c)| (n.as_str(), c.clone())).collect();
        s.figures(&rows)?;
        s.finish()?;
    }

    // 2. Applied vs unapplied.
    {
        let AppliedFigures {
            window:
                WindowActivity {
                    payments_received,
                    payments_reversed,
                    payments_refunded,
                    payments_charged_back,
                    credits_issued,
                    credits_reversed,
                    credits_paid_out,
                    disbursed_from_payments,
                    disbursed_from_credits,
                },
            disbursed,
            unapplied_payments,
            unapplied_credits,
            unapplied,
        } = applied;
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[2], currency)?;
        s.title("2. Applied vs unapplied")?;
        s.figures(&[
            ("payments_received", money(*payments_received)),
            ("payments_reversed", money(*payments_reversed)),
            ("payments_refunded", money(*payments_refunded)),
            ("payments_charged_back", money(*payments_charged_back)),
            ("credits_issued", money(*credits_issued)),
            ("credits_reversed", money(*credits_reversed)),
            ("credits_paid_out", money(*credits_paid_out)),
            ("disbursed_from_payments", money(*disbursed_from_payments)),
            ("disbursed_from_credits", money(*disbursed_from_credits)),
            ("disbursed", money(*disbursed)),
            ("unapplied_payments", money(*unapplied_payments)),
            ("unapplied_credits", money(*unapplied_credits)),
            ("unapplied", money(*unapplied)),
        ])?;
        s.finish()?;
    }

    // 3. Account roll-forward.
    {
        let RollForwardFigures { totals, accounts } = rollforward;
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[3], currency)?;
        s.title("3. Account roll-forward")?;
        let header = [
            "account_id",
            "opening",
            "posted",
            "disbursed",
            "pulled_back",
            "adjustments",
            "voids",
            "closing",
            "invoice_balances",
        ];
        let mut table: Vec<Vec<Cell>> = accounts
            .iter()
            .map(
                |AccountRollForward {
                     account_id,
                     roll_forward,
                 }| roll_row(Cell::text(account_id), roll_forward),
            )
            .collect();
        table.push(roll_row(Cell::text("TOTAL"), totals));
        s.table("Per account", &header, &table)?;
        s.finish()?;
    }

    // 4. Adjustments.
    {
        let AdjustmentFigures {
            totals,
            adjustments: items,
        } = adjustments;
        let AdjustmentTotals {
            voids,
            credits_issued,
            credit_reversals,
            payment_reversals,
            refunds,
            chargebacks,
            system_adjustments,
        } = totals;
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[4], currency)?;
        s.title("4. Adjustments")?;
        s.figures(&[
            ("voids", money(*voids)),
            ("credits_issued", money(*credits_issued)),
            ("credit_reversals", money(*credit_reversals)),
            ("payment_reversals", money(*payment_reversals)),
            ("refunds", money(*refunds)),
            ("chargebacks", money(*chargebacks)),
            ("system_adjustments", money(*system_adjustments)),
        ])?;
        s.blank();
        let table: Vec<Vec<Cell>> = items
            .iter()
            .map(|a| {
                let AdjustmentItem {
                    kind,
                    id,
                    account_id,
                    date,
                    amount,
                    undoes,
                    explanation,
                } = a;
                vec![
                    Cell::text(kind.as_str()),
                    Cell::text(id),
                    Cell::text(account_id),
                    Cell::text(date.to_string()),
                    money(*amount),
                    Cell::opt(undoes.as_deref()),
                    Cell::opt(explanation.as_deref()),
                ]
            })
            .collect();
        s.table(
            "Adjustments of the window",
            &[
                "kind",
                "id",
                "account_id",
                "date",
                "amount",
                "undoes",
                "explanation",
            ],
            &table,
        )?;
        s.finish()?;
    }

    // 5. AR to finance output.
    {
        let ExportFigures { batches } = exports;
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[5], currency)?;
        s.title("5. AR to finance output")?;
        let table: Vec<Vec<Cell>> = batches
            .iter()
            .map(|b| {
                let BatchFigures {
                    id,
                    kind,
                    destination,
                    created_at,
                    header_total,
                    lines_total,
                    line_count,
                    expected_total,
                } = b;
                vec![
                    Cell::text(id),
                    Cell::text(kind.to_string()),
                    Cell::text(destination),
                    Cell::text(created_at.to_string()),
                    money(*header_total),
                    money(*lines_total),
                    count(*line_count),
                    money(*expected_total),
                ]
            })
            .collect();
        s.table(
            "Export batches",
            &[
                "id",
                "kind",
                "destination",
                "created_at",
                "header_total",
                "lines_total",
                "line_count",
                "expected_total",
            ],
            &table,
        )?;
        s.finish()?;
    }

    // 6. Revenue.
    {
        let RevenueFigures {
            total,
            immediate,
            ratable_daily,
            on_service_date,
            tax,
            // Per account, for the GL journal by account (not a figure of the step).
            accounts: _,
        } = revenue;
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[6], currency)?;
        s.title("6. Revenue")?;
        let table: Vec<Vec<Cell>> = [
            ("immediate", immediate),
            ("ratable_daily", ratable_daily),
            ("on_service_date", on_service_date),
            ("total", total),
        ]
        .into_iter()
        .map(|(rule, r)| {
            let RuleFigures {
                posted,
                recognized,
                deferred,
                unscheduled,
                recognized_before_window,
                deferred_at_window_start,
                reversed_by_voids,
            } = r;
            vec![
                Cell::text(rule),
                money(*posted),
                money(*recognized_before_window),
                money(*deferred_at_window_start),
                money(*recognized),
                money(*reversed_by_voids),
                money(*deferred),
                money(*unscheduled),
            ]
        })
        .collect();
        s.table(
            "By recognition rule",
            &[
                "rule",
                "posted",
                "recognized_before_window",
                "deferred_at_window_start",
                "recognized_in_window",
                "reversed_by_voids",
                "deferred_at_window_end",
                "unscheduled",
            ],
            &table,
        )?;
        let crate::reconcile::revenue::LiabilityFigures {
            billed_in_window,
            voided_in_window,
            on_invoices_at_window_end,
        } = tax;
        s.blank();
        s.text(0, "Tax and pass-through (a liability, not revenue)", true)?;
        s.row += 1;
        s.figures(&[
            ("tax_billed_in_window", money(*billed_in_window)),
            ("tax_voided_in_window", money(*voided_in_window)),
            ("tax_on_invoices_at_window_end", money(*on_invoices_at_window_end)),
        ])?;
        s.finish()?;
    }

    // Usage.
    {
        let UsageFigures {
            rated,
            billed,
            open_exceptions,
            open_exception_amount,
            control,
        } = usage;
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[7], currency)?;
        s.title("Usage")?;
        let mut figures = vec![
            ("rated", money(*rated)),
            ("billed", money(*billed)),
            ("open_exceptions", count(*open_exceptions)),
            ("open_exception_amount", money(*open_exception_amount)),
        ];
        // Pre-aggregated usage (docs/usage-parquet.md): its control total.
        if let Some(c) = control {
            figures.extend([
                ("control_event_count", count(c.control_event_count.max(0) as u64)),
                ("control_units", count(c.control_units.max(0) as u64)),
                ("control_rated", money(c.control_rated)),
                (
                    "aggregate_event_count",
                    count(c.aggregate_event_count.max(0) as u64),
                ),
                ("aggregate_units", count(c.aggregate_units.max(0) as u64)),
                ("aggregate_rated", money(c.aggregate_rated)),
            ]);
        }
        s.figures(&figures)?;
        s.finish()?;
    }

    // Employer programs.
    {
        let ProgramFigures {
            program_fees_billed,
            programs: rows,
        } = programs;
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[8], currency)?;
        s.title("Employer programs")?;
        s.figures(&[("program_fees_billed", money(*program_fees_billed))])?;
        s.blank();
        let table: Vec<Vec<Cell>> = rows
            .iter()
            .map(|p| {
                let ProgramRow {
                    id,
                    name,
                    employer_account_id,
                    basis_units,
                    rate,
                    expected_fee,
                    billed,
                    statement_count,
                    statement_total,
                } = p;
                vec![
                    Cell::text(id),
                    Cell::text(name),
                    Cell::text(employer_account_id),
                    Cell::Count(*basis_units),
                    money(*rate),
                    money(*expected_fee),
                    money(*billed),
                    count(*statement_count),
                    money(*statement_total),
                ]
            })
            .collect();
        s.table(
            "Programs",
            &[
                "id",
                "name",
                "employer_account_id",
                "basis_units",
                "rate",
                "expected_fee",
                "billed",
                "statement_count",
                "statement_total",
            ],
            &table,
        )?;
        s.finish()?;
    }

    // Statements.
    {
        let StatementFigures {
            line_count,
            lines_total,
            untied_count,
            untied_total,
        } = statements;
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[9], currency)?;
        s.title("Employer statements")?;
        s.figures(&[
            ("line_count", count(*line_count)),
            ("lines_total", money(*lines_total)),
            ("untied_count", count(*untied_count)),
            ("untied_total", money(*untied_total)),
        ])?;
        s.finish()?;
    }

    // The mismatch register.
    {
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[10], currency)?;
        let table: Vec<Vec<Cell>> = register_rows.iter().map(register::cells).collect();
        s.table("Mismatch register", register::HEADER, &table)?;
        s.finish()?;
    }

    // Aged AR by account.
    {
        let (rows, total) = aging::rows(source)?;
        let table = aging::table(&rows, &total);
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[11], currency)?;
        s.table("Aged AR at window end", aging::HEADER, &table)?;
        s.finish()?;
    }

    // The GL journal.
    {
        let lines = gl::lines(source, false)?;
        let (debit, credit) = gl::totals(&lines);
        let table = gl::table(&lines, debit, credit);
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[12], currency)?;
        s.table("Summarized GL journal", gl::HEADER, &table)?;
        s.finish()?;
    }

    // The checklist.
    {
        let items = checklist::items(source.snapshot, &recon.overview())?;
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[13], currency)?;
        let table: Vec<Vec<Cell>> = items
            .iter()
            .map(|i| {
                vec![
                    Cell::Count(i64::from(i.row.item)),
                    Cell::text(&i.row.title),
                    Cell::text(i.row.status.to_string()),
                    Cell::opt(i.row.updated_by.as_deref()),
                    Cell::opt(i.row.updated_at.as_deref()),
                    Cell::Count(i.row.version),
                    Cell::Count(i64::try_from(i.open_mismatches).unwrap_or(i64::MAX)),
                    Cell::text(
                        i.blockers
                            .iter()
                            .map(|b| b.key.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ]
            })
            .collect();
        s.table(
            "Close checklist",
            &[
                "item",
                "title",
                "status",
                "updated_by",
                "updated_at",
                "version",
                "open_mismatches",
                "blockers",
            ],
            &table,
        )?;
        s.blank();
        let evidence: Vec<Vec<Cell>> = items
            .iter()
            .flat_map(|i| {
                i.evidence.iter().map(move |e| {
                    // An amount compared with what it should be is a number, the
                    // comparison beside it.
                    let (value, comparison) = match &e.value {
                        Figure::Amount(m) => (money(*m), Cell::Empty),
                        Figure::Count(n) => (Cell::Count(*n), Cell::Empty),
                        Figure::Words(w) => (Cell::text(w), Cell::Empty),
                        Figure::Compared { amount, comparison } => (money(*amount), Cell::text(comparison)),
                    };
                    vec![
                        Cell::Count(i64::from(i.row.item)),
                        Cell::text(&e.label),
                        value,
                        comparison,
                    ]
                })
            })
            .collect();
        s.table(
            "Evidence",
            &["item", "evidence", "value", "comparison"],
            &evidence,
        )?;
        s.blank();
        let notes: Vec<Vec<Cell>> = items
            .iter()
            .flat_map(|i| {
                i.notes.iter().map(move |n| {
                    vec![
                        Cell::Count(i64::from(i.row.item)),
                        Cell::text(&n.author),
                        Cell::text(&n.created_at),
                        Cell::text(&n.text),
                    ]
                })
            })
            .collect();
        s.table("Notes", &["item", "author", "created_at", "text"], &notes)?;
        s.finish()?;
    }

    // The trail: the audit log up to (not including) this export's own row.
    {
        let log = source
            .snapshot
            .workflow()
            .audit_log()
            .map_err(|e| ExportError::Refused(e.into()))?;
        let table: Vec<Vec<Cell>> = log
            .iter()
            .map(|a| {
                vec![
                    Cell::Count(a.seq),
                    Cell::text(&a.at),
                    Cell::text(&a.actor),
                    Cell::text(&a.action),
                    Cell::text(&a.target),
                    Cell::opt(a.text.as_deref()),
                    Cell::opt(a.before.as_deref()),
                    Cell::opt(a.after.as_deref()),
                    Cell::text(&a.hash),
                    Cell::opt(a.signature.as_deref()),
                ]
            })
            .collect();
        let mut s = Sheet::new(book.add_worksheet(), SHEETS[14], currency)?;
        s.table(
            "Audit trail (oldest first)",
            &[
                "seq",
                "at",
                "actor",
                "action",
                "target",
                "text",
                "before",
                "after",
                "hash",
                "signature",
            ],
            &table,
        )?;
        s.finish()?;
    }

    let bytes = book.save_to_buffer().map_err(xlsx)?;
    Ok(Output { bytes, rows })
}

fn roll_row(first: Cell, r: &RollForward) -> Vec<Cell> {
    let RollForward {
        opening,
        posted,
        disbursed,
        pulled_back,
        adjustments,
        voids,
        closing,
        invoice_balances,
        // What wrong ledger rows explain is on their own findings, in the register.
        reported_on_rows: _,
    } = r;
    vec![
        first,
        money(*opening),
        money(*posted),
        money(*disbursed),
        money(*pulled_back),
        money(*adjustments),
        money(*voids),
        money(*closing),
        money(*invoice_balances),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_take_the_currency_s_decimals() {
        let by_format: [(&[&str], &str); 4] = [
            (&["USD", "EUR", "XYZ"], "#,##0.00"),
            (&["jpy", "VND"], "#,##0"),
            (&["KWD", "OMR"], "#,##0.000"),
            (&["CLF"], "#,##0.0000"),
        ];
        for (codes, format) in by_format {
            for code in codes {
                assert_eq!(money_format(code), format, "{code}");
            }
        }
    }

    #[test]
    fn an_amount_is_in_the_currency_s_units() {
        crate::money::with_decimals(0, || assert_eq!(amount(Money::from_cents(67_000)), 67_000.0));
        crate::money::with_decimals(3, || assert_eq!(amount(Money::from_cents(12_345)), 12.345));
        assert_eq!(amount(Money::from_cents(431_842)), 4318.42);
    }

    #[test]
    fn an_amount_is_the_double_nearest_it_and_gives_back_its_cents() {
        for cents in [
            0,
            1,
            -975,
            431_842,
            99_999_999_999_999,
            -crate::money::MAX_ABS_CENTS + 1,
        ] {
            let v = amount(Money::from_cents(cents));
            assert_eq!((v * 100.0).round() as i64, cents);
            assert_eq!(
                v.to_string(),
                Money::from_cents(cents)
                    .to_string()
                    .trim_end_matches('0')
                    .trim_end_matches('.')
            );
        }
    }
}
