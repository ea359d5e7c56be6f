//! 5. AR to finance output — lane `exports`.
//!
//! Every export batch's header equals its lines, and its lines tie to the subledger: the
//! GL export to closing AR, the billing extract account by account to the ledger's closing
//! AR, the archive invoice by invoice to the close population.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::rollforward::{ReportedOnRows, RollForward, RollForwardFigures};
use super::{sorted, Context, Kind, Mismatch, Trace};
use crate::money::Money;
use crate::snapshot::model::{BatchKind, Lane};
use crate::snapshot::queries::{ArchiveInvoice, BatchTotals, ExtractAccount, SourceRows};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchFigures {
    pub id: String,
    pub kind: BatchKind,
    pub destination: String,
    pub created_at: NaiveDateTime,
    /// The batch's own header total.
    pub header_total: Money,
    pub lines_total: Money,
    pub line_count: u64,
    /// What the batch should add up to: closing AR (`gl`), the ledger's closing AR
    /// (`billing_extract`), posted receivables (`archive`).
    pub expected_total: Money,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFigures {
    pub batches: Vec<BatchFigures>,
}

/// The subledger figures the outputs tie to, from steps 1 and 3.
#[derive(Clone, Copy, Debug)]
pub struct TieTo<'a> {
    pub closing_ar: Money,
    pub posted_receivables: Money,
    pub rollforward: &'a RollForwardFigures,
    /// Which findings carry each account's ledger closing AR off, for the words of a
    /// billing extract's expected figure.
    pub reported_on_rows: &'a ReportedOnRows,
}

pub const LINES_TOTAL: &str = "lines-total";
pub const AR_TOTAL: &str = "ar-total";
pub const ACCOUNT_AR: &str = "account-ar";
pub const INVOICE_TOTAL: &str = "invoice-total";
/// A GL export's lines for one account that do not equal the account's window-end AR.
pub const GL_ACCOUNT: &str = "gl-account";

pub fn check(
    ctx: Context<'_>,
    tie_to: &TieTo<'_>,
    batches: &[BatchTotals],
    extracts: &[ExtractAccount],
    archived: impl IntoIterator<Item = ArchiveInvoice>,
) -> (ExportFigures, Vec<Mismatch>) {
    let period = &ctx.period.id;
    let gaps = ctx.lane_gaps(Lane::Exports, Kind::Tie);
    let mut found = Vec::new();
    let mut figures = ExportFigures::default();
    // What the findings on each batch's header and parts say of its header − lines gap.
    let mut explained: HashMap<&str, Money> = HashMap::new();
    let mut archive_explained: HashMap<String, Money> = HashMap::new();

    for batch in batches {
        let id = &batch.id;
        let expected_total = match batch.kind {
            BatchKind::Gl => tie_to.closing_ar,
            BatchKind::BillingExtract => tie_to.rollforward.totals.closing_without_reported_rows(),
            BatchKind::Archive => tie_to.posted_receivables,
        };
        // The GL's lines, account by account, against each account's window-end AR (the
        // sum of its receivable invoice balances): a gap never nets away across accounts.
        // One off account whose gap is the whole total's (lines = header) is the
        // `ar-total` break itself, reported once; gaps on several accounts, or on one
        // account when the header is not its lines' sum, are reported each on its account,
        // and the total (their sum) not again.
        let off_accounts: Vec<(&str, Money, Money)> = if batch.kind == BatchKind::Gl {
            accounts_against(id, extracts, tie_to.rollforward, window_end_ar)
                .into_iter()
                .filter(|(_, ar, lines)| ar != lines)
                .collect()
        } else {
            Vec::new()
        };
        let lines_tie = batch.total == batch.lines_total;
        let per_account = off_accounts.len() > 1 || (off_accounts.len() == 1 && !lines_tie);
        let mut gl_findings = Vec::new();
        if per_account {
            for (account, ar, lines) in &off_accounts {
                gl_findings.push(gaps.mismatch(
                    format!("{id}/{account}"),
                    GL_ACCOUNT,
                    *ar,
                    *lines,
                    format!("GL export {id} does not carry account {account} at its AR"),
                    format!(
                        "Correct account {account}'s line in GL export {id} to its window-end AR for {period}, \
                         or post a correcting journal"
                    ),
                ));
            }
        }
        let total_is_the_accounts = per_account && lines_tie;
        if batch.kind == BatchKind::Gl && batch.total != tie_to.closing_ar && !total_is_the_accounts {
            gl_findings.push(gaps.mismatch(
                id.clone(),
                AR_TOTAL,
                tie_to.closing_ar,
                batch.total,
                "GL export total does not tie to closing AR".to_string(),
                format!(
                    "Re-run the GL export for {period} or post a correcting journal; compare its lines to the \
                     billing extract"
                ),
            ));
        }
        for m in &gl_findings {
            *explained.entry(id.as_str()).or_default() += match m.check {
                AR_TOTAL => m.variance,
                _ => -m.variance,
            };
        }
        found.extend(gl_findings);
        if batch.kind == BatchKind::BillingExtract {
            for (account, ledger, lines) in
                accounts_against(id, extracts, tie_to.rollforward, ledger_closing_ar)
            {
                if lines != ledger {
                    *explained.entry(id.as_str()).or_default() -= lines - ledger;
                    found.push(gaps.mismatch(
                        format!("{id}/{account}"),
                        ACCOUNT_AR,
                        ledger,
                        lines,
                        format!("Billing extract {id} does not carry account {account} at its ledger closing AR"),
                        {
                            let mut action = format!(
                                "Re-run billing extract {id} for account {account}; compare it with the account's \
                                 ledger roll-forward for {period}"
                            );
                            let closing = tie_to
                                .rollforward
                                .accounts
                                .iter()
                                .find(|a| a.account_id == account)
                                .map(|a| a.roll_forward.closing);
                            if let Some(said) = closing.and_then(|c| tie_to.reported_on_rows.said(account, c)) {
                                action.push_str(&format!(". {said}"));
                            }
                            action
                        },
                    ));
                }
            }
        }
        figures.batches.push(BatchFigures {
            id: id.clone(),
            kind: batch.kind,
            destination: batch.destination.clone(),
            created_at: batch.created_at,
            header_total: batch.total,
            lines_total: batch.lines_total,
            line_count: batch.line_count,
            expected_total,
        });
    }

    for invoice in archived {
        if invoice.lines == invoice.total {
            continue;
        }
        let (batch, id) = (&invoice.batch_id, &invoice.invoice_id);
        *archive_explained.entry(batch.clone()).or_default() -= invoice.lines - invoice.total;
        let (title, next_action) = if invoice.in_close_population {
            (
                format!("Archive {batch} does not carry invoice {id} at its total"),
                format!(
                    "Re-archive invoice {id} in {batch} at its total of {}",
                    invoice.total
                ),
            )
        } else {
            (
                format!("Archive {batch} carries invoice {id}, which was not posted in {period}"),
                format!(
                    "Remove invoice {id} from archive {batch}; only invoices posted in {period} belong in it"
                ),
            )
        };
        found.push(gaps.mismatch(
            format!("{batch}/{id}"),
            INVOICE_TOTAL,
            invoice.total,
            invoice.lines,
            title,
            next_action,
        ));
    }
    // Header against lines. The gap is (header − what it should be) − Σ (the lines of each
    // account or invoice − what they should be): when the findings on the batch's header
    // and parts above say exactly that, it is theirs, not a second finding of the same
    // wrong figure (a GL header off alone was found twice, and one account's wrong line
    // was blamed on a right header).
    for batch in batches.iter().filter(|b| b.total != b.lines_total) {
        let id = &batch.id;
        let explained = explained.get(id.as_str()).copied().unwrap_or_default()
            + archive_explained.get(id).copied().unwrap_or_default();
        if batch.total - batch.lines_total != explained {
            found.push(gaps.mismatch(
                id.clone(),
                LINES_TOTAL,
                batch.lines_total,
                batch.total,
                format!("Export batch {id} header total does not equal the sum of its lines"),
                format!("Re-run export {id} for {period}; its header total and its lines must agree"),
            ));
        }
    }
    (figures, sorted(found))
}

/// For tracing a mismatch of a GL or billing extract batch: each account of the batch as
/// (account, what its lines should carry, what they carry) — window-end AR for the GL, the
/// ledger's closing AR (net of rows reported on their own) for the billing extract — the
/// same pairs the checks compare. Empty for an archive batch.
pub fn accounts_of<'a>(
    batch: &BatchFigures,
    extracts: &'a [ExtractAccount],
    rollforward: &'a RollForwardFigures,
) -> Vec<(&'a str, Money, Money)> {
    match batch.kind {
        BatchKind::Gl => accounts_against(&batch.id, extracts, rollforward, window_end_ar),
        BatchKind::BillingExtract => accounts_against(&batch.id, extracts, rollforward, ledger_closing_ar),
        BatchKind::Archive => Vec::new(),
    }
}

/// For one GL or billing extract batch: each account with lines in it or with a non-zero
/// `should_carry` figure of its roll-forward, as (account, that figure, sum of lines), in
/// account id order. Accounts with neither are skipped.
fn accounts_against<'a>(
    batch_id: &str,
    lines: &'a [ExtractAccount],
    rollforward: &'a RollForwardFigures,
    should_carry: fn(&RollForward) -> Money,
) -> Vec<(&'a str, Money, Money)> {
    let mut accounts: BTreeMap<&str, (Money, Money)> = BTreeMap::new();
    for account in &rollforward.accounts {
        let figure = should_carry(&account.roll_forward);
        if !figure.is_zero() {
            accounts.entry(&account.account_id).or_default().0 = figure;
        }
    }
    for line in lines.iter().filter(|e| e.batch_id == batch_id) {
        accounts.entry(&line.account_id).or_default().1 = line.amount;
    }
    accounts
        .into_iter()
        .map(|(account, (figure, lines))| (account, figure, lines))
        .collect()
}

/// What a GL batch's lines should carry for an account: its window-end AR, the sum of its
/// receivable invoice balances.
fn window_end_ar(account: &RollForward) -> Money {
    account.invoice_balances
}

/// What a billing extract's lines should carry for an account: its ledger closing AR, net
/// of the ledger rows step 4 reports as wrong, so a wrong row is found once, on itself, not
/// again on the extract.
fn ledger_closing_ar(account: &RollForward) -> Money {
    account.closing_without_reported_rows()
}

/// The source rows behind a mismatch of this check. The subjects of per-account and
/// per-invoice mismatches are `batch/account` and `batch/invoice` (ids never contain `/`).
pub fn trace(m: &Mismatch) -> Trace<'_> {
    let subject = m.subject.as_str();
    let (batch, item) = subject.split_once('/').unwrap_or((subject, ""));
    match m.check {
        LINES_TOTAL => Trace {
            expected: vec![SourceRows::BatchLines(batch)],
            actual: vec![SourceRows::One("export_batches", batch)],
        },
        AR_TOTAL => Trace {
            expected: vec![SourceRows::ReceivableInvoicesWithBalance],
            actual: vec![SourceRows::One("export_batches", batch)],
        },
        ACCOUNT_AR => Trace {
            expected: vec![SourceRows::LedgerOfAccount(item)],
            actual: vec![SourceRows::BatchLinesOfAccount(batch, item)],
        },
        GL_ACCOUNT => Trace {
            expected: vec![SourceRows::ReceivableInvoicesOfAccount(item)],
            actual: vec![SourceRows::BatchLinesOfAccount(batch, item)],
        },
        _ => Trace {
            expected: vec![SourceRows::One("invoices", item)],
            actual: vec![SourceRows::BatchLinesOfInvoice(batch, item)],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::rollforward::{AccountRollForward, RollForward};
    use crate::reconcile::testing::*;
    use crate::snapshot::model::Severity;

    fn batch(id: &str, kind: BatchKind, total: i64, lines_total: i64) -> BatchTotals {
        BatchTotals {
            id: id.into(),
            kind,
            destination: "netsuite-gl".into(),
            created_at: date("2026-03-31").and_hms_opt(22, 0, 0).unwrap(),
            total: cents(total),
            lines_total: cents(lines_total),
            line_count: 2,
        }
    }

    fn rollforward() -> RollForwardFigures {
        let closing = |amount: i64| RollForward {
            closing: cents(amount),
            invoice_balances: cents(amount),
            ..RollForward::default()
        };
        let account = |id: &str, amount: i64| AccountRollForward {
            account_id: id.into(),
            roll_forward: closing(amount),
        };
        RollForwardFigures {
            totals: closing(3_150_000),
            accounts: vec![
                account("ACC-1", 0),
                account("ACC-2", 3_150_000),
                account("ACC-3", 0),
            ],
        }
    }

    fn extract(account: &str, amount: i64) -> ExtractAccount {
        ExtractAccount {
            batch_id: "BX-1".into(),
            account_id: account.into(),
            amount: cents(amount),
        }
    }

    fn archived(invoice: &str, in_population: bool, total: i64, lines: i64) -> ArchiveInvoice {
        ArchiveInvoice {
            batch_id: "AR-1".into(),
            invoice_id: invoice.into(),
            in_close_population: in_population,
            total: cents(total),
            lines: cents(lines),
        }
    }

    fn run(
        batches: &[BatchTotals],
        extracts: &[ExtractAccount],
        archive: Vec<ArchiveInvoice>,
    ) -> Vec<Mismatch> {
        let rollforward = rollforward();
        let tie_to = TieTo {
            closing_ar: cents(3_150_000),
            posted_receivables: cents(9_500_000),
            rollforward: &rollforward,
            reported_on_rows: &ReportedOnRows::default(),
        };
        let (figures, found) = with_context(|ctx| check(ctx, &tie_to, batches, extracts, archive));
        assert_eq!(figures.batches.len(), batches.len());
        found
    }

    #[test]
    fn outputs_that_tie() {
        let found = run(
            &[
                batch("GL-1", BatchKind::Gl, 3_150_000, 3_150_000),
                batch("BX-1", BatchKind::BillingExtract, 3_150_000, 3_150_000),
                batch("AR-1", BatchKind::Archive, 9_500_000, 9_500_000),
            ],
            // An account with lines of 0.00 and no closing AR ties.
            &[extract("ACC-2", 3_150_000), extract("ACC-3", 0)],
            vec![
                archived("INV-A", true, 6_000_000, 6_000_000),
                archived("INV-B", true, 3_500_000, 3_500_000),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_header_that_does_not_equal_its_lines() {
        let found = run(
            &[batch("AR-1", BatchKind::Archive, 3_150_000, 3_151_000)],
            &[],
            vec![],
        );
        assert_eq!(keys(&found), ["exports:AR-1:lines-total"]);
        let m = &found[0];
        assert_amounts(m, [3_151_000, 3_150_000, -1_000], Severity::Medium);
        assert_eq!(m.owner, "gl-team@northstar.example");
    }

    fn gl_line(account: &str, amount: i64) -> ExtractAccount {
        ExtractAccount {
            batch_id: "GL-1".into(),
            ..extract(account, amount)
        }
    }

    /// A GL header off alone (its lines tie account by account to AR 31,500.00; the header
    /// says 31,510.00) is one wrong figure, one finding: `ar-total`, +10.00. It was also
    /// `lines-total`, +10.00: one error, 20.00 of open variance.
    #[test]
    fn a_gl_header_off_alone_is_found_once() {
        let found = run(
            &[batch("GL-1", BatchKind::Gl, 3_151_000, 3_150_000)],
            &[gl_line("ACC-2", 3_150_000)],
            vec![],
        );
        assert_eq!(keys(&found), ["exports:GL-1:ar-total"]);
        assert_amounts(&found[0], [3_150_000, 3_151_000, 1_000], Severity::Medium);
    }

    /// One account's GL line off under a right header (31,500.00 = AR; ACC-2's line
    /// 31,530.00 against its AR 31,500.00, ACC-1's 0.00 line ties): the finding is the
    /// account's, +30.00. It was `lines-total`, −30.00, blaming the header.
    #[test]
    fn one_gl_line_off_under_a_right_header_is_its_accounts() {
        let found = run(
            &[batch("GL-1", BatchKind::Gl, 3_150_000, 3_153_000)],
            &[gl_line("ACC-2", 3_153_000), gl_line("ACC-1", 0)],
            vec![],
        );
        assert_eq!(keys(&found), ["exports:GL-1/ACC-2:gl-account"]);
        assert_amounts(&found[0], [3_150_000, 3_153_000, 3_000], Severity::Medium);
        // The header off too (31,510.00): two wrong figures, two findings.
        let found = run(
            &[batch("GL-1", BatchKind::Gl, 3_151_000, 3_153_000)],
            &[gl_line("ACC-2", 3_153_000)],
            vec![],
        );
        assert_eq!(
            keys(&found),
            ["exports:GL-1/ACC-2:gl-account", "exports:GL-1:ar-total"]
        );
    }

    #[test]
    fn a_gl_export_that_does_not_tie_to_closing_ar() {
        let found = run(&[batch("GL-1", BatchKind::Gl, 3_140_000, 3_140_000)], &[], vec![]);
        assert_eq!(keys(&found), ["exports:GL-1:ar-total"]);
        let m = &found[0];
        assert_amounts(m, [3_150_000, 3_140_000, -10_000], Severity::Medium);
        assert_eq!(m.title, "GL export total does not tie to closing AR");
    }

    #[test]
    fn a_billing_extract_account_off_from_the_ledger() {
        let found = run(
            &[batch("BX-1", BatchKind::BillingExtract, 3_150_000, 3_150_000)],
            &[extract("ACC-1", 1_000), extract("ACC-2", 3_149_000)],
            vec![],
        );
        assert_eq!(
            keys(&found),
            ["exports:BX-1/ACC-1:account-ar", "exports:BX-1/ACC-2:account-ar"]
        );
        assert_amounts(&found[0], [0, 1_000, 1_000], Severity::Medium);
        let m = &found[1];
        assert_eq!(amounts(m), (cents(3_150_000), cents(3_149_000), cents(-1_000)));
        assert_eq!(
            trace(m).actual,
            vec![SourceRows::BatchLinesOfAccount("BX-1", "ACC-2")]
        );
    }

    #[test]
    fn a_billing_extract_missing_an_account() {
        let found = run(&[batch("BX-1", BatchKind::BillingExtract, 0, 0)], &[], vec![]);
        let m = &found[0];
        assert_eq!(m.key, "exports:BX-1/ACC-2:account-ar");
        assert_amounts(m, [3_150_000, 0, -3_150_000], Severity::Critical);
    }

    #[test]
    fn an_archive_off_from_invoice_totals() {
        let found = run(
            &[],
            &[],
            vec![
                archived("INV-A", true, 6_000_000, 5_000_000),
                archived("INV-B", true, 3_500_000, 3_500_000),
                archived("INV-OLD", false, 0, 10_000),
            ],
        );
        assert_eq!(
            keys(&found),
            [
                "exports:AR-1/INV-A:invoice-total",
                "exports:AR-1/INV-OLD:invoice-total"
            ]
        );
        assert_amounts(&found[0], [6_000_000, 5_000_000, -1_000_000], Severity::Critical);
        assert_amounts(&found[1], [0, 10_000, 10_000], Severity::Medium);
    }
}
