//! The period summary: what `closedesk status` prints and what the first pane shows.
//! The first six JSON fields keep their names and meaning (SPEC section 4); every field's
//! basis and sign is in docs/reconciliation.md ("status --json, field by field").

use chrono::NaiveDate;
use serde::Serialize;

use crate::money::Money;
use crate::reconcile::{Mismatch, Overview};
use crate::snapshot::cache::OpenCounts;
use crate::snapshot::model::{ItemStatus, Severity};
use crate::snapshot::workflow::ChecklistRow;
use crate::text::inert;

/// The period summary. Its amounts are in the period's currency whatever the field names
/// say: the `_usd` names are the seed card's and older scripts'. In JSON ([`Serialize`])
/// every amount is also under a currency-neutral name (`usage_billed`, `variance`, …), and
/// the `_usd` names are `null` unless the period's currency is USD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub period: String,
    pub usage_billed_usd: Money,
    pub program_fees_billed_usd: Money,
    pub variance_usd: Money,
    pub status: &'static str,
    pub owner: String,
    pub entity: String,
    pub currency: String,
    pub window: Window,
    pub mismatches: SeverityCounts,
    pub last_clean_close: Option<LastCleanClose>,
    pub checklist: Checklist,
    /// Σ totals of the close population (invoice totals, as billed).
    pub posted_receivables_usd: Money,
    /// Alias of `disbursements_total_usd`, kept for scripts.
    pub disbursed_usd: Money,
    /// Alias of `invoice_balances_closing_ar_usd`, kept for scripts.
    pub closing_ar_usd: Money,
    /// Unapplied value at window end (payments and credits, + = held for the customer).
    pub unapplied_usd: Money,
    /// Closing AR on the invoice basis: Σ balances of receivable invoices at window end,
    /// + = owed to us (the ledger's figure is `reconcile --json`'s `ledger_closing_ar`).
    pub invoice_balances_closing_ar_usd: Money,
    /// Disbursed in the window from the disbursements table, net of unwinding rows,
    /// + = AR reduced (the ledger carries the same rows negative).
    pub disbursements_total_usd: Money,
    /// When the snapshot was exported from the billing platform, when the import said.
    pub exported_on: Option<NaiveDate>,
}

impl Serialize for Summary {
    /// The seed card's six fields first, in their order (`period`, `usage_billed_usd`,
    /// `program_fees_billed_usd`, `variance_usd`, `status`, `owner`), then the rest; each
    /// amount under its currency-neutral name as well, and its `_usd` name `null` in a
    /// period whose currency is not USD (docs/reconciliation.md, "status --json").
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let usd = |m: Money| (self.currency == "USD").then_some(m);
        let mut s = serializer.serialize_struct("Summary", 30)?;
        s.serialize_field("period", &self.period)?;
        s.serialize_field("usage_billed_usd", &usd(self.usage_billed_usd))?;
        s.serialize_field("program_fees_billed_usd", &usd(self.program_fees_billed_usd))?;
        s.serialize_field("variance_usd", &usd(self.variance_usd))?;
        s.serialize_field("status", &self.status)?;
        s.serialize_field("owner", &self.owner)?;
        s.serialize_field("entity", &self.entity)?;
        s.serialize_field("currency", &self.currency)?;
        s.serialize_field("usage_billed", &self.usage_billed_usd)?;
        s.serialize_field("program_fees_billed", &self.program_fees_billed_usd)?;
        s.serialize_field("variance", &self.variance_usd)?;
        s.serialize_field("window", &self.window)?;
        s.serialize_field("mismatches", &self.mismatches)?;
        s.serialize_field("last_clean_close", &self.last_clean_close)?;
        s.serialize_field("checklist", &self.checklist)?;
        let amounts = [
            (
                "posted_receivables_usd",
                "posted_receivables",
                self.posted_receivables_usd,
            ),
            ("disbursed_usd", "disbursed", self.disbursed_usd),
            ("closing_ar_usd", "closing_ar", self.closing_ar_usd),
            ("unapplied_usd", "unapplied", self.unapplied_usd),
            (
                "invoice_balances_closing_ar_usd",
                "invoice_balances_closing_ar",
                self.invoice_balances_closing_ar_usd,
            ),
            (
                "disbursements_total_usd",
                "disbursements_total",
                self.disbursements_total_usd,
            ),
        ];
        for (usd_name, name, m) in amounts {
            s.serialize_field(usd_name, &usd(m))?;
            s.serialize_field(name, &m)?;
        }
        match &self.exported_on {
            Some(day) => s.serialize_field("exported_on", day)?,
            None => s.skip_field("exported_on")?,
        }
        s.end()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// Open mismatches by severity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    pub open: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

impl SeverityCounts {
    /// The open mismatches, given as (severity, open variance), counted by severity, and
    /// their open variance as an absolute sum: what `status` and the packet's cover say.
    pub fn tally(open: impl IntoIterator<Item = (Severity, Money)>) -> (SeverityCounts, Money) {
        let mut counts = SeverityCounts::default();
        let mut variance = Money::ZERO;
        for (severity, open) in open {
            counts.open += 1;
            variance += open.abs();
            match severity {
                Severity::Critical => counts.critical += 1,
                Severity::High => counts.high += 1,
                Severity::Medium => counts.medium += 1,
                Severity::Low => counts.low += 1,
            }
        }
        (counts, variance)
    }

    /// The open mismatches as the stored result counts them (by SQL, without the engine),
    /// and their open variance as an absolute sum.
    pub fn stored(open: &OpenCounts) -> (SeverityCounts, Money) {
        let count = |n: i64| usize::try_from(n).unwrap_or(0);
        let counts = SeverityCounts {
            open: count(open.critical + open.high + open.medium + open.low),
            critical: count(open.critical),
            high: count(open.high),
            medium: count(open.medium),
            low: count(open.low),
        };
        (counts, Money::from_cents(open.variance_abs_cents))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LastCleanClose {
    pub period: String,
    pub date: Option<NaiveDate>,
    pub days_ago: Option<i64>,
}

/// Checklist progress: items done, of how many, and the first item not done ("3. title").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Checklist {
    pub done: u32,
    pub total: u32,
    pub next: Option<String>,
}

impl Checklist {
    /// "3 of 8 done", then `then` and the next item when one is not done (inert):
    /// "3 of 8 done — next: 4. Statements tied", as `status` and the first pane say it.
    pub fn words(&self, then: &str) -> String {
        let next = self
            .next
            .as_deref()
            .map(|n| format!("{then}next: {}", inert(n)))
            .unwrap_or_default();
        format!("{} of {} done{next}", self.done, self.total)
    }

    /// The progress of the stored checklist (`rows`, in item order).
    pub fn of(rows: &[ChecklistRow]) -> Checklist {
        let done = rows.iter().filter(|r| r.status == ItemStatus::Done).count();
        Checklist {
            done: u32::try_from(done).unwrap_or(u32::MAX),
            total: u32::try_from(rows.len()).unwrap_or(u32::MAX),
            next: rows
                .iter()
                .find(|r| r.status != ItemStatus::Done)
                .map(|r| format!("{}. {}", r.item, r.title)),
        }
    }
}

impl Summary {
    /// `open_variance` gives, for a mismatch still open (not resolved or waived), its
    /// variance after accepted corrections, and `None` for one that is not open.
    pub fn new(
        recon: &Overview,
        open_variance: impl Fn(&Mismatch) -> Option<Money>,
        checklist: Checklist,
        today: NaiveDate,
    ) -> Summary {
        let (counts, variance) = SeverityCounts::tally(
            recon
                .mismatches
                .iter()
                .filter_map(|m| Some((m.severity, open_variance(m)?))),
        );
        Summary::counted(recon, counts, variance, checklist, today)
    }

    /// The summary of `recon`'s period and figures with its open mismatches already counted
    /// (`counts`) and their Σ |corrected variance| (`variance`); `recon.mismatches` is not
    /// read (`status` counts the stored rows with SQL).
    pub fn counted(
        recon: &Overview,
        counts: SeverityCounts,
        variance: Money,
        checklist: Checklist,
        today: NaiveDate,
    ) -> Summary {
        let period = &recon.period;
        let status = if period.status == crate::snapshot::model::PeriodStatus::SignedOff {
            "signed_off"
        } else if counts.open > 0 {
            "needs_review"
        } else {
            "clean"
        };
        let h = &recon.headline;
        Summary {
            period: period.id.clone(),
            usage_billed_usd: h.usage_billed,
            program_fees_billed_usd: h.program_fees_billed,
            variance_usd: variance,
            status,
            owner: period.close_owner.clone(),
            entity: period.entity.clone(),
            currency: period.currency.clone(),
            window: Window {
                start: period.window_start,
                end: period.window_end,
            },
            mismatches: counts,
            last_clean_close: period.last_clean_period.as_ref().map(|p| LastCleanClose {
                period: p.clone(),
                date: period.last_clean_date,
                days_ago: period.last_clean_date.map(|d| (today - d).num_days()),
            }),
            checklist,
            posted_receivables_usd: h.posted_receivables,
            disbursed_usd: h.disbursed,
            closing_ar_usd: h.closing_ar,
            unapplied_usd: h.unapplied,
            invoice_balances_closing_ar_usd: h.closing_ar,
            disbursements_total_usd: h.disbursed,
            exported_on: period.exported_on,
        }
    }

    /// When the books last closed clean, in words (inert): "never", or
    /// "2026-02 on 2026-03-04 (271 days ago)", or the period alone when its date is unknown.
    pub fn last_clean_words(&self) -> String {
        match &self.last_clean_close {
            None => "never".to_string(),
            Some(l) => match (l.date, l.days_ago) {
                (Some(date), Some(n)) => format!("{} on {date} ({n} days ago)", inert(&l.period)),
                _ => inert(&l.period),
            },
        }
    }

    /// "needs review", "clean", "signed off".
    pub fn status_words(&self) -> &'static str {
        match self.status {
            "signed_off" => "signed off",
            "clean" => "clean",
            _ => "needs review",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Done counts the items done; next is the first item, in item order, that is not done
    /// (in progress and blocked are not done), whatever comes after it.
    #[test]
    fn checklist_progress_counts_done_items_and_names_the_first_not_done() {
        let row = |item: u8, status| ChecklistRow {
            item,
            title: format!("item {item}"),
            status,
            updated_by: None,
            updated_at: None,
            version: 0,
        };
        let rows = [
            row(1, ItemStatus::Done),
            row(2, ItemStatus::InProgress),
            row(3, ItemStatus::Done),
            row(4, ItemStatus::Blocked),
        ];
        let progress = Checklist::of(&rows);
        assert_eq!((progress.done, progress.total), (2, 4));
        assert_eq!(progress.next.as_deref(), Some("2. item 2"));
        assert_eq!(progress.words(" — "), "2 of 4 done — next: 2. item 2");
        let all_done = Checklist::of(&[row(1, ItemStatus::Done), row(2, ItemStatus::Done)]);
        assert_eq!(all_done.words(" · "), "2 of 2 done");
        assert_eq!((all_done.done, all_done.total, all_done.next), (2, 2, None));
    }
}
