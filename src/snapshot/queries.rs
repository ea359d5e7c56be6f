//! Typed read queries. Dates are stored as ISO text and compare as text.
//!
//! The reconciliation reads the snapshot through the queries below, all inside one
//! [`ReadTransaction`] so every figure comes from the same state of the file. The heavy
//! lifting is done by SQLite as `SUM … GROUP BY` over integer cents; per-invoice and
//! per-line inputs are streamed (handed to a consumer as an iterator) instead of being
//! collected, so a period of a million invoices never sits in memory.
//!
//! The words used here (receivable, close population, billed in the window, …) are the
//! ones defined in `docs/reconciliation.md`.
//!
//! Owns the engine's read queries and the SQL words defined once here (`receivable_at_end!`,
//! `in_close_population!`, `line_billed_in_window!`, `balance_at_end!` with
//! `invoice_movements!`, `linked_usage!`); must not compare figures or decide a mismatch
//! (that is `crate::reconcile`), nor write.

use chrono::{Days, NaiveDate, NaiveDateTime};
use rusqlite::types::{Type, ValueRef};
use rusqlite::{named_params, OptionalExtension, Row, ToSql};

use super::aggregates::{self, Basis};
use super::model::{
    BatchKind, Credit, CreditKind, InvoiceStatus, Lane, LaneOwner, LedgerKind, LineKind, Payment,
    PaymentKind, Period, PeriodStatus, RevenueRule, SourceKind, DATE_FORMAT, TIMESTAMP_FORMAT,
};
use super::schema::{SOURCE_TABLES, WORKFLOW_TABLES};
use super::Snapshot;
use crate::money::Money;

type Result<T> = rusqlite::Result<T>;

/// Named SQL parameters, as rusqlite takes them.
type Params<'a> = &'a [(&'a str, &'a dyn ToSql)];

/// Parses exactly `YYYY-MM-DD` (what the snapshot stores) from a column's bytes, without
/// the general-purpose format machinery or a UTF-8 check first: dates are read once per
/// row of the largest inputs.
fn parse_date_bytes(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(number(&b[0..4])? as i32, number(&b[5..7])?, number(&b[8..10])?)
}

fn bad_date(idx: usize, text: &[u8]) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        Type::Text,
        format!("not a date (YYYY-MM-DD): {:?}", String::from_utf8_lossy(text)).into(),
    )
}

/// Reads an ISO date column; a malformed value is a conversion error naming the column.
pub(crate) fn date_at(row: &Row<'_>, idx: usize) -> Result<NaiveDate> {
    opt_date_at(row, idx)?.ok_or(rusqlite::Error::InvalidColumnType(idx, String::new(), Type::Null))
}

pub(crate) fn opt_date_at(row: &Row<'_>, idx: usize) -> Result<Option<NaiveDate>> {
    match row.get_ref(idx)? {
        ValueRef::Text(text) => parse_date_bytes(text)
            .map(Some)
            .ok_or_else(|| bad_date(idx, text)),
        ValueRef::Null => Ok(None),
        other => Err(rusqlite::Error::InvalidColumnType(
            idx,
            String::new(),
            other.data_type(),
        )),
    }
}

/// Reads a timestamp column, `YYYY-MM-DDTHH:MM:SSZ` (the `Z` may be missing).
pub(crate) fn timestamp_at(row: &Row<'_>, idx: usize) -> Result<NaiveDateTime> {
    let text: String = row.get(idx)?;
    NaiveDateTime::parse_from_str(&text, TIMESTAMP_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

pub(crate) fn money_at(row: &Row<'_>, idx: usize) -> Result<Money> {
    Ok(Money::from_cents(row.get(idx)?))
}

/// Reads a word column (`status`, `kind`, …) into its enum with `parse`; an unknown word is
/// a conversion error naming the column.
pub(crate) fn word_at<T>(row: &Row<'_>, idx: usize, parse: fn(&str) -> Option<T>) -> Result<T> {
    let text = row.get_ref(idx)?.as_str()?;
    parse(text).ok_or_else(|| unknown_word(idx, text))
}

/// Reads a word column that may be NULL (a `LEFT JOIN`'s, an optional field) into `None`
/// or its enum, as [`word_at`].
pub(crate) fn opt_word_at<T>(row: &Row<'_>, idx: usize, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
    match row.get_ref(idx)? {
        ValueRef::Null => Ok(None),
        _ => word_at(row, idx, parse).map(Some),
    }
}

/// The error of a word column (at `idx`) holding a word its enum does not know.
fn unknown_word(idx: usize, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, format!("unknown word {text:?}").into())
}

fn count_at(row: &Row<'_>, idx: usize) -> Result<u64> {
    let n: i64 = row.get(idx)?;
    u64::try_from(n).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, n))
}

/// The window's bounds as SQL text parameters. Dates compare as ISO text. A timestamp
/// (`YYYY-MM-DDTHH:MM:SSZ`) is on or before `window_end` exactly when it sorts before
/// `after_end`, the day after the window, and before the window when it sorts before
/// `start`.
pub(crate) struct Window {
    pub(crate) start: String,
    pub(crate) end: String,
    pub(crate) after_end: String,
    /// `window_end` less 30, 60 and 90 days: the bounds of aged AR's buckets (empty when
    /// there is no such day).
    pub(crate) minus_30: String,
    pub(crate) minus_60: String,
    pub(crate) minus_90: String,
}

impl Window {
    pub(crate) fn of(period: &Period) -> Window {
        let date = |d: NaiveDate| d.format(DATE_FORMAT).to_string();
        let days_before = |days: u64| {
            period
                .window_end
                .checked_sub_days(Days::new(days))
                .map(date)
                .unwrap_or_default()
        };
        Window {
            start: date(period.window_start),
            end: date(period.window_end),
            after_end: period
                .window_end
                .checked_add_days(Days::new(1))
                .map(date)
                // No day follows the last representable one: any timestamp sorts before this.
                .unwrap_or_else(|| "9999-99-99".to_string()),
            minus_30: days_before(30),
            minus_60: days_before(60),
            minus_90: days_before(90),
        }
    }

    /// Every window parameter a reader's query may name, for the queries run generically
    /// (`super::aggregates`): bind only those the statement names.
    pub(crate) fn all_params(&self) -> [(&'static str, &str); 6] {
        [
            (":start", &self.start),
            (":end", &self.end),
            (":after_end", &self.after_end),
            (":minus_30", &self.minus_30),
            (":minus_60", &self.minus_60),
            (":minus_90", &self.minus_90),
        ]
    }
}

/// The statuses of a receivable invoice `i` as the export shows them: `posted` or `closed`
/// (`InvoiceStatus::is_receivable` in Rust; a void is judged by its date, see
/// `receivable_at_end!`).
macro_rules! receivable_status {
    () => {
        "i.status IN ('posted', 'closed')"
    };
}

/// An invoice `i` that is a receivable at window end (docs/reconciliation.md, "As of window
/// end"): posted by window end and, at window end, `posted`/`closed` — a void dated after
/// the window is the next period's, so the invoice is still a receivable here. Uses `:end`.
macro_rules! receivable_at_end {
    () => {
        concat!(
            "i.posted_at <= :end
    AND (",
            receivable_status!(),
            " OR (i.status = 'void' AND i.voided_at > :end))"
        )
    };
}

/// An invoice `i` of the close population (docs/reconciliation.md, "Words"): a receivable
/// at window end posted in the window. Uses `:start` and `:end`.
macro_rules! in_close_population {
    () => {
        concat!("i.posted_at >= :start AND ", receivable_at_end!())
    };
}

/// A line `l` of invoice `i` billed in the window (docs/reconciliation.md, "Words"): on a
/// receivable invoice, with the later of its service date (its service start, else the
/// invoice's `posted_at`) and the invoice's `posted_at` in the window — a line billed in
/// arrears (service before the window, posted in it) is billed when it is posted. Uses
/// `:start` and `:end`.
macro_rules! line_billed_in_window {
    () => {
        concat!(
            receivable_at_end!(),
            "
    AND (COALESCE(l.service_start, i.posted_at) >= :start OR i.posted_at >= :start)
    AND COALESCE(l.service_start, i.posted_at) <= :end"
        )
    };
}

/// Which usage linked to line `l` of invoice `i` a figure counts, on the usage rows `$u`
/// (events or pre-aggregated days): `own`, the rated usage of the invoice's account;
/// `foreign`, any usage of another account.
macro_rules! linked_usage_of {
    (own, $u:tt) => {
        concat!(
            $u,
            ".account_id = i.account_id AND ",
            $u,
            ".state IN ('rated', 'rerating') AND ",
            $crate::snapshot::queries::usage_by_end!($u)
        )
    };
    (foreign, $u:tt) => {
        concat!(
            $u,
            ".account_id <> i.account_id AND ",
            $crate::snapshot::queries::usage_by_end!($u)
        )
    };
}

/// Usage dated up to window end, of the events (`"e"`) or the pre-aggregated days (`"d"`):
/// usage after window end counts in no figure and no check of the period
/// (docs/reconciliation.md, "As of window end"). Uses `:after_end`.
macro_rules! usage_by_end {
    ("e") => {
        "e.occurred_at < :after_end"
    };
    ("d") => {
        "d.day < :after_end"
    };
    (events) => {
        "occurred_at < :after_end"
    };
    (days) => {
        "day < :after_end"
    };
}

/// A figure of the usage linked to line `l` of invoice `i` that `$cond` picks (on the
/// columns both usage tables have): the events' and the pre-aggregated days' together, each
/// day standing for `event_count` events. `rated`: Σ rated amount; `count`: how many events.
///
/// `joined rated`/`joined count` with `own` or `foreign` (`linked_usage_of!`): the same
/// figure over many lines, with `l`'s events joined as `e` (`LEFT JOIN usage_events e ON
/// e.invoice_line_id = l.id … GROUP BY l.rowid`, one pass over the events instead of one per
/// figure); the days are read by sub-select.
macro_rules! linked_usage {
    (rated, $cond:literal) => {
        linked_usage!(
            "COALESCE(SUM(rated_amount_cents), 0)",
            "COALESCE(SUM(rated_amount_cents), 0)",
            $cond
        )
    };
    (count, $cond:literal) => {
        linked_usage!("COUNT(*)", "COALESCE(SUM(event_count), 0)", $cond)
    };
    (joined rated, $which:ident) => {
        concat!(
            "COALESCE(SUM(CASE WHEN ",
            linked_usage_of!($which, "e"),
            " THEN e.rated_amount_cents END), 0)
 + (SELECT COALESCE(SUM(d.rated_amount_cents), 0) FROM usage_daily d
    WHERE d.invoice_line_id = l.id AND ",
            linked_usage_of!($which, "d"),
            ")"
        )
    };
    (joined count, $which:ident) => {
        concat!(
            "COUNT(CASE WHEN ",
            linked_usage_of!($which, "e"),
            " THEN 1 END)
 + (SELECT COALESCE(SUM(d.event_count), 0) FROM usage_daily d
    WHERE d.invoice_line_id = l.id AND ",
            linked_usage_of!($which, "d"),
            ")"
        )
    };
    ($events:literal, $days:literal, $cond:literal) => {
        concat!(
            "(SELECT ",
            $events,
            " FROM usage_events WHERE invoice_line_id = l.id AND ",
            $cond,
            " AND ",
            $crate::snapshot::queries::usage_by_end!(events),
            ")\n + (SELECT ",
            $days,
            " FROM usage_daily WHERE invoice_line_id = l.id AND ",
            $cond,
            " AND ",
            $crate::snapshot::queries::usage_by_end!(days),
            ")"
        )
    };
}

/// A disbursement `d` dated up to window end: what a window-end balance subtracts. Uses `:end`.
macro_rules! disbursed_by_end {
    () => {
        "d.disbursed_on <= :end"
    };
}

/// A ledger row `g` that adjusts its invoice (the kind alone; `adjusted_by_end!` dates it).
macro_rules! ledger_adjustment {
    () => {
        "g.kind = 'adjustment'"
    };
}

/// A ledger row `g` dated up to window end: with `ledger_adjustment!`, what a window-end
/// balance adds. Uses `:after_end`.
macro_rules! adjusted_by_end {
    () => {
        "g.occurred_at < :after_end"
    };
}

/// Every invoice's movements from the source events, one row per invoice that has any
/// (`invoice_id`), for the queries over many invoices to join once as `m` (instead of two
/// sub-selects per invoice): `disbursed` and `adjusted`, what `balance_at_end!` subtracts
/// and adds, and `disbursed_after` and `adjusted_after`, the same rows dated after window
/// end. Uses `:end` and `:after_end`.
macro_rules! invoice_movements {
    () => {
        concat!(
            "SELECT invoice_id, SUM(disbursed) AS disbursed, SUM(adjusted) AS adjusted,
                    SUM(disbursed_after) AS disbursed_after, SUM(adjusted_after) AS adjusted_after
             FROM (SELECT d.invoice_id,
                          CASE WHEN ",
            disbursed_by_end!(),
            " THEN d.amount_cents ELSE 0 END AS disbursed,
                          0 AS adjusted,
                          CASE WHEN ",
            disbursed_by_end!(),
            " THEN 0 ELSE d.amount_cents END AS disbursed_after,
                          0 AS adjusted_after
                   FROM disbursements d
                   UNION ALL
                   SELECT g.invoice_id, 0, CASE WHEN ",
            adjusted_by_end!(),
            " THEN g.amount_cents ELSE 0 END,
                          0, CASE WHEN ",
            adjusted_by_end!(),
            " THEN 0 ELSE g.amount_cents END
                   FROM ledger g WHERE ",
            ledger_adjustment!(),
            ")
             GROUP BY invoice_id"
        )
    };
}

/// The window-end balance of a receivable invoice `i`, from the source events: its total
/// less what was disbursed to it up to window end plus its ledger adjustments up to window
/// end — the same figure for an invoice voided after the window (its void is the next
/// period's). The platform's stored balance is not read: it is as of the export and is
/// checked once, by `invoices:{invoice}:balance` (and `void-balance`), so an error in it
/// never shows again in closing AR, the roll-forward, aged AR or the GL ties
/// (docs/reconciliation.md, "Window-end balances from the source events").
///
/// `balance_at_end!()` sums `i`'s own rows where it is read (for one invoice or a few);
/// `balance_at_end!(m)`, over many, reads them from `i` joined to its movements as `m`
/// (`LEFT JOIN (invoice_movements!()) m ON m.invoice_id = i.id`).
/// Uses `:end` and `:after_end`.
macro_rules! balance_at_end {
    () => {
        $crate::snapshot::queries::balance_at_end!(
            @of
            concat!(
                "(SELECT COALESCE(SUM(d.amount_cents), 0) FROM disbursements d
        WHERE d.invoice_id = i.id AND ",
                $crate::snapshot::queries::disbursed_by_end!(),
                ")"
            ),
            concat!(
                "(SELECT COALESCE(SUM(g.amount_cents), 0) FROM ledger g
        WHERE g.invoice_id = i.id AND ",
                $crate::snapshot::queries::ledger_adjustment!(),
                " AND ",
                $crate::snapshot::queries::adjusted_by_end!(),
                ")"
            )
        )
    };
    (m) => {
        $crate::snapshot::queries::balance_at_end!(@of "COALESCE(m.disbursed, 0)", "COALESCE(m.adjusted, 0)")
    };
    (@of $disbursed:expr, $adjusted:expr) => {
        concat!("(i.total_cents\n    - ", $disbursed, "\n    + ", $adjusted, ")")
    };
}
pub(crate) use {adjusted_by_end, balance_at_end, disbursed_by_end, ledger_adjustment};
pub(crate) use {line_billed_in_window, linked_usage, receivable_at_end, receivable_status, usage_by_end};

// ---------------------------------------------------------------------------------------
// The readers' queries that source aggregates are built from (`super::aggregates`): each is
// read from the source rows, or materialized once into its `agg_*` table by the same SQL.

/// Every invoice with the sums of check 1 (posted invoice totals): one row per invoice.
pub(crate) const INVOICE_FACTS: &str = concat!(
    "SELECT i.id, i.status, i.posted_at, i.voided_at, i.total_cents, i.balance_cents,
                    (SELECT COALESCE(SUM(l.amount_cents), 0) FROM invoice_lines l
                      WHERE l.invoice_id = i.id),
                    COALESCE(m.disbursed, 0), COALESCE(m.adjusted, 0),
                    COALESCE(m.disbursed_after, 0), COALESCE(m.adjusted_after, 0)
             FROM invoices i LEFT JOIN (",
    invoice_movements!(),
    ") m ON m.invoice_id = i.id"
);

/// Every payment and credit (and every source a disbursement names) with its net value and what was disbursed from it, to window end.
pub(crate) const SOURCE_TOTALS: &str = "SELECT kind, id, SUM(value), SUM(disbursed) FROM (
                 SELECT 'payment' AS kind, id, amount_cents AS value, 0 AS disbursed FROM payments
                  WHERE kind = 'payment' AND occurred_on <= :end
                 UNION ALL
                 SELECT 'payment', related_payment_id, -amount_cents, 0 FROM payments
                  WHERE kind IN ('reversal', 'refund', 'chargeback') AND occurred_on <= :end
                    AND related_payment_id IS NOT NULL
                 UNION ALL
                 SELECT 'credit', id, amount_cents, 0 FROM credits
                  WHERE kind = 'credit' AND issued_on <= :end
                 UNION ALL
                 SELECT 'credit', related_credit_id, -amount_cents, 0 FROM credits
                  WHERE kind = 'reversal' AND issued_on <= :end AND related_credit_id IS NOT NULL
                 UNION ALL
                 SELECT source_kind, source_id, 0, amount_cents FROM disbursements
                  WHERE disbursed_on <= :end
             ) GROUP BY kind, id";

/// The roll-forward of every account, and the sum of its receivable invoice balances. Each
/// part is summed by account first, read in table order (`NOT INDEXED`, as in
/// `ACCOUNT_USAGE`).
pub(crate) const ACCOUNT_LEDGERS: &str = concat!(
    "SELECT account_id, SUM(opening), SUM(posted), SUM(disbursed), SUM(pulled_back),
                    SUM(adjustments), SUM(voids), SUM(balances)
             FROM (
                 SELECT account_id,
                        SUM(CASE WHEN occurred_at < :start AND kind <> 'refund'
                             THEN amount_cents ELSE 0 END) AS opening,
                        SUM(CASE WHEN occurred_at >= :start AND kind = 'invoice_posted'
                             THEN amount_cents ELSE 0 END) AS posted,
                        SUM(CASE WHEN occurred_at >= :start AND kind IN ('payment_disbursed', 'credit_disbursed')
                             THEN amount_cents ELSE 0 END) AS disbursed,
                        SUM(CASE WHEN occurred_at >= :start AND kind IN ('reversal', 'chargeback')
                             THEN amount_cents ELSE 0 END) AS pulled_back,
                        SUM(CASE WHEN occurred_at >= :start AND kind = 'adjustment'
                             THEN amount_cents ELSE 0 END) AS adjustments,
                        SUM(CASE WHEN occurred_at >= :start AND kind = 'void'
                             THEN amount_cents ELSE 0 END) AS voids,
                        0 AS balances
                 FROM ledger NOT INDEXED WHERE occurred_at < :after_end
                 GROUP BY account_id
                 UNION ALL
                 SELECT i.account_id, 0, 0, 0, 0, 0, 0, SUM(",
    balance_at_end!(m),
    ") FROM invoices i NOT INDEXED LEFT JOIN (",
    invoice_movements!(),
    ") m ON m.invoice_id = i.id
                  WHERE ",
    receivable_at_end!(),
    "
                 GROUP BY i.account_id
             ) GROUP BY account_id ORDER BY account_id"
);

/// Each archive batch against each invoice of the close population, and each other invoice
/// it has lines for — only where the batch's lines for the invoice differ from its total
/// (the others can raise no mismatch of check 5's `invoice-total`; at 1M invoices that is
/// 850,000 rows fewer to read).
pub(crate) const ARCHIVE_INVOICES: &str = concat!(
    "WITH population AS (
                 SELECT i.id, i.total_cents FROM invoices i
                  WHERE ",
    in_close_population!(),
    "),
             archived AS (
                 SELECT l.batch_id, l.invoice_id, SUM(l.amount_cents) AS amount_cents
                 FROM export_lines l JOIN export_batches b ON b.id = l.batch_id
                 WHERE b.kind = 'archive' AND l.invoice_id IS NOT NULL
                 GROUP BY l.batch_id, l.invoice_id)
             SELECT b.id, p.id, 1, p.total_cents, COALESCE(a.amount_cents, 0)
             FROM export_batches b CROSS JOIN population p
             LEFT JOIN archived a ON a.batch_id = b.id AND a.invoice_id = p.id
             WHERE b.kind = 'archive' AND COALESCE(a.amount_cents, 0) <> p.total_cents
             UNION ALL
             SELECT a.batch_id, a.invoice_id, 0, 0, a.amount_cents FROM archived a
             WHERE a.invoice_id NOT IN (SELECT id FROM population) AND a.amount_cents <> 0"
);

/// Each account's usage in the window: rated, billed, open exceptions. Each part is summed
/// by account first (the events read in table order: `NOT INDEXED`, as reading them in
/// account order costs a row lookup per event), so the last grouping sorts a row per
/// account and part, not one per event.
pub(crate) const ACCOUNT_USAGE: &str = concat!(
    "SELECT account_id, SUM(rated), SUM(billed), SUM(open_events), SUM(open_amount) FROM (
                 SELECT account_id,
                        SUM(CASE WHEN state = 'rated' THEN COALESCE(rated_amount_cents, 0) ELSE 0 END) AS rated,
                        0 AS billed,
                        SUM(CASE WHEN state IN ('unprocessed', 'rerating') THEN 1 ELSE 0 END) AS open_events,
                        SUM(CASE WHEN state IN ('unprocessed', 'rerating')
                             THEN COALESCE(rated_amount_cents, 0) ELSE 0 END) AS open_amount
                 FROM usage_events NOT INDEXED WHERE occurred_at >= :start AND occurred_at < :after_end
                 GROUP BY account_id
                 UNION ALL
                 SELECT account_id,
                        SUM(CASE WHEN state = 'rated' THEN rated_amount_cents ELSE 0 END),
                        0,
                        SUM(CASE WHEN state IN ('unprocessed', 'rerating') THEN event_count ELSE 0 END),
                        SUM(CASE WHEN state IN ('unprocessed', 'rerating') THEN rated_amount_cents ELSE 0 END)
                 FROM usage_daily WHERE day >= :start AND day < :after_end
                 GROUP BY account_id
                 UNION ALL
                 SELECT i.account_id, 0, SUM(l.amount_cents), 0, 0
                 FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
                 WHERE l.kind = 'usage' AND ",
    line_billed_in_window!(),
    "
                 GROUP BY i.account_id
             ) GROUP BY account_id ORDER BY account_id"
);

/// Every usage line billed in the window with the rated events linked to it — only the lines
/// whose amount differs from their own account's rated events (the others can raise no
/// mismatch of the usage lane's `line-events`; at 1M invoices that is 850,000 rows fewer
/// to read).
pub(crate) const USAGE_LINES: &str = concat!(
    "WITH lines(id, account_id, amount_cents, events_cents, foreign_count, foreign_amount_cents) AS (
             SELECT l.id, i.account_id, l.amount_cents,\n",
    linked_usage!(joined rated, own),
    ",\n",
    linked_usage!(joined count, foreign),
    ",\n",
    linked_usage!(joined rated, foreign),
    "
             FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
             LEFT JOIN usage_events e ON e.invoice_line_id = l.id
             WHERE l.kind = 'usage' AND ",
    line_billed_in_window!(),
    "
             GROUP BY l.rowid)
             SELECT * FROM lines WHERE amount_cents <> events_cents"
);

/// Usage rated in the window that no usage line billed in the window carries. Each line
/// the events name (or none) is tested once, not once per event (`unbilled_lines`); then
/// the events of the lines not billed are found by their line.
pub(crate) const UNBILLED_USAGE: &str = concat!(
    "WITH billed AS (
                 SELECT l.id FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
                  WHERE l.kind = 'usage' AND ",
    line_billed_in_window!(),
    "),
             unbilled_lines AS (
                 SELECT x.line FROM (SELECT DISTINCT invoice_line_id AS line FROM usage_events) x
                  WHERE x.line IS NULL OR x.line NOT IN (SELECT id FROM billed))
             SELECT e.id, e.account_id, COALESCE(e.rated_amount_cents, 0), e.invoice_line_id, NULL
             FROM unbilled_lines u CROSS JOIN usage_events e ON e.invoice_line_id IS u.line
             WHERE e.state = 'rated' AND e.occurred_at >= :start AND e.occurred_at < :after_end
             UNION ALL
             SELECT d.account_id || '/' || d.day || '/' || d.kind
                      || COALESCE('/' || d.invoice_line_id, ''),
                    d.account_id, SUM(d.rated_amount_cents), d.invoice_line_id, SUM(d.event_count)
             FROM usage_daily d
             WHERE d.state = 'rated' AND d.day >= :start AND d.day < :after_end
               AND (d.invoice_line_id IS NULL OR d.invoice_line_id NOT IN (SELECT id FROM billed))
             GROUP BY d.account_id, d.day, d.kind, d.invoice_line_id
             ORDER BY 1"
);

/// Each account's receivable invoice balances by days past due at window end. (`NOT
/// INDEXED`: reading the invoices in account order, to spare the grouping's sort, costs a
/// row lookup per invoice, slower than the sort.)
pub(crate) const AGING_ROWS: &str = concat!("SELECT account_id,
                    SUM(CASE WHEN due_date >= :end THEN balance_cents ELSE 0 END),
                    SUM(CASE WHEN due_date < :end AND due_date >= :minus_30 THEN balance_cents ELSE 0 END),
                    SUM(CASE WHEN due_date < :minus_30 AND due_date >= :minus_60 THEN balance_cents ELSE 0 END),
                    SUM(CASE WHEN due_date < :minus_60 AND due_date >= :minus_90 THEN balance_cents ELSE 0 END),
                    SUM(CASE WHEN due_date < :minus_90 THEN balance_cents ELSE 0 END)
             FROM (SELECT i.account_id, i.due_date, ", balance_at_end!(m), " AS balance_cents
                   FROM invoices i NOT INDEXED LEFT JOIN (", invoice_movements!(), ") m ON m.invoice_id = i.id
                   WHERE ", receivable_at_end!(), ")
             WHERE balance_cents <> 0
             GROUP BY account_id ORDER BY account_id");

/// Disbursements to window end to an invoice that is a draft or void, per payment or credit and invoice.
pub(crate) const MISDIRECTED: &str = "SELECT MIN(d.id), d.invoice_id,
                    CASE WHEN i.status = 'void' AND i.voided_at <= :end THEN 'void' ELSE 'draft' END,
                    SUM(d.amount_cents), d.source_kind, d.source_id, COUNT(*)
             FROM disbursements d JOIN invoices i ON i.id = d.invoice_id
             WHERE d.disbursed_on <= :end
               AND (i.status = 'draft' OR (i.status = 'void' AND i.voided_at <= :end)
                    OR i.posted_at > :end)
             GROUP BY d.source_kind, d.source_id, d.invoice_id
             HAVING SUM(d.amount_cents) <> 0
             ORDER BY 1";

/// Ledger rows in the window of the adjusting kinds, each with whether its reference names its source.
pub(crate) const LEDGER_ADJUSTMENTS: &str =
    "SELECT g.id, g.account_id, g.kind, substr(g.occurred_at, 1, 10), g.amount_cents, g.reference,
                    CASE g.kind
                      WHEN 'adjustment' THEN 0
                      WHEN 'void' THEN EXISTS (SELECT 1 FROM invoices i
                          WHERE i.id = g.reference AND i.id = g.invoice_id AND i.status = 'void')
                      WHEN 'refund' THEN EXISTS (SELECT 1 FROM payments p
                          WHERE p.id = g.reference AND p.kind = 'refund')
                        OR EXISTS (SELECT 1 FROM credits c WHERE c.id = g.reference AND c.kind = 'reversal')
                      ELSE EXISTS (SELECT 1 FROM payments p WHERE p.id = g.reference AND p.kind = g.kind)
                    END
             FROM ledger g
             WHERE g.kind IN ('adjustment', 'void', 'reversal', 'refund', 'chargeback')
               AND g.occurred_at >= :start AND g.occurred_at < :after_end
             ORDER BY g.id";

/// Every line of an invoice posted by window end, receivable or void; its columns named
/// as `agg_revenue_lines`'s.
macro_rules! revenue_lines {
    () => {
        concat!(
            "SELECT l.id AS id, i.account_id AS account_id, l.kind AS kind, l.amount_cents AS amount_cents,
                    l.revenue_rule AS rule, i.posted_at AS invoice_posted_at,
                    CASE WHEN i.status = 'void' THEN i.voided_at END AS invoice_voided_at,
                    l.service_start AS service_start, l.service_end AS service_end
             FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
             WHERE (",
            receivable_status!(),
            " OR (i.status = 'void' AND i.voided_at IS NOT NULL))
               AND i.posted_at IS NOT NULL AND i.posted_at <= :end"
        )
    };
}

pub(crate) const REVENUE_LINES: &str = revenue_lines!();

/// The lines of [`REVENUE_LINES`] grouped by revenue schedule (docs/reconciliation.md,
/// "Revenue schedules"): lines that share kind, rule, their invoice's posted and void dates
/// and their service period are recognized alike. A `ratable_daily` line's share of a day
/// is truncated on its own, so only ratable lines of the same amount are counted together
/// (the amount and how many); the other rules recognize all of a line or nothing, so their
/// lines are summed into one. Tax lines and lines of void invoices keep their account (the
/// GL journal books those per account); every other schedule spans accounts.
pub(crate) const REVENUE_SCHEDULES: &str = concat!(
    "SELECT CASE WHEN kind = 'tax' OR invoice_voided_at IS NOT NULL THEN account_id END,
            kind, rule, invoice_posted_at, invoice_voided_at, service_start, service_end,
            CASE WHEN rule = 'ratable_daily' THEN MIN(amount_cents) ELSE SUM(amount_cents) END,
            CASE WHEN rule = 'ratable_daily' THEN COUNT(*) ELSE 1 END
     FROM (",
    revenue_lines!(),
    ")
     GROUP BY 1, 2, 3, 4, 5, 6, 7, CASE WHEN rule = 'ratable_daily' THEN amount_cents END"
);

/// Every kind of activity dated after window end, counted and summed (the events counted
/// and summed in one pass).
pub(crate) const AFTER_WINDOW: &str =
    "SELECT 'invoices_posted', COUNT(*), COALESCE(SUM(total_cents), 0) FROM invoices
              WHERE status <> 'draft' AND posted_at > :end
             UNION ALL
             SELECT 'invoices_voided', COUNT(*), COALESCE(SUM(total_cents), 0) FROM invoices
              WHERE status = 'void' AND voided_at > :end AND posted_at <= :end
             UNION ALL
             SELECT 'payments_received', COUNT(*), COALESCE(SUM(amount_cents), 0) FROM payments
              WHERE kind = 'payment' AND occurred_on > :end
             UNION ALL
             SELECT 'payment_undos', COUNT(*), COALESCE(SUM(amount_cents), 0) FROM payments
              WHERE kind <> 'payment' AND occurred_on > :end
             UNION ALL
             SELECT 'credits_issued', COUNT(*), COALESCE(SUM(amount_cents), 0) FROM credits
              WHERE kind = 'credit' AND issued_on > :end
             UNION ALL
             SELECT 'credits_reversed', COUNT(*), COALESCE(SUM(amount_cents), 0) FROM credits
              WHERE kind = 'reversal' AND issued_on > :end
             UNION ALL
             SELECT 'disbursements', COUNT(*), COALESCE(SUM(amount_cents), 0) FROM disbursements
              WHERE disbursed_on > :end
             UNION ALL
             SELECT 'ledger_rows', COUNT(*), COALESCE(SUM(amount_cents), 0) FROM ledger
              WHERE occurred_at >= :after_end
             UNION ALL
             SELECT 'usage_events', e.n + d.n, e.s + d.s
             FROM (SELECT COUNT(*) AS n, COALESCE(SUM(rated_amount_cents), 0) AS s FROM usage_events
                    WHERE occurred_at >= :after_end) e,
                  (SELECT COALESCE(SUM(event_count), 0) AS n, COALESCE(SUM(rated_amount_cents), 0) AS s
                   FROM usage_daily WHERE day >= :after_end) d";

// The smaller inputs (schema 8): few rows each, but each scanned a whole source table on
// every run.

/// The window's payments, credits and disbursements, summed by kind (`what`: `payments`,
/// `credits`, `disbursed`; `kind`: the row's kind, or the disbursement's source kind).
pub(crate) const WINDOW_ACTIVITY: &str = "SELECT 'payments', kind, SUM(amount_cents) FROM payments
             WHERE occurred_on >= :start AND occurred_on <= :end GROUP BY kind
             UNION ALL
             SELECT 'credits', kind, SUM(amount_cents) FROM credits
             WHERE issued_on >= :start AND issued_on <= :end GROUP BY kind
             UNION ALL
             SELECT 'disbursed', source_kind, SUM(amount_cents) FROM disbursements
             WHERE disbursed_on >= :start AND disbursed_on <= :end GROUP BY source_kind";

/// Invoices voided in the window, with their ledger rows other than refunds to window end.
pub(crate) const VOIDED_INVOICES: &str = "SELECT i.id, i.account_id, i.voided_at, i.total_cents,
                    (SELECT COALESCE(SUM(g.amount_cents), 0) FROM ledger g
                      WHERE g.invoice_id = i.id AND g.kind <> 'refund' AND g.occurred_at < :after_end)
             FROM invoices i
             WHERE i.status = 'void' AND i.voided_at >= :start AND i.voided_at <= :end
             ORDER BY i.id";

/// The ledger rows that record a source row, where they add up to something else
/// (docs/reconciliation.md, "A ledger row against what it records"): per receivable
/// invoice, its `invoice_posted` rows (to window end) against its total — none at all is
/// 0.00; per disbursement dated to window end to a receivable invoice (`disbursed`) or to
/// one voided in the window (`voided`; only where its source's disbursements to that
/// invoice net to zero by window end, else the `target` check holds them), every
/// `payment_disbursed`/`credit_disbursed` row
/// naming it (to window end, whatever invoice the row names) against its amount, negated —
/// a disbursement with no row at all is 0.00, except an unwinding (negative) within a day of
/// a reversal or chargeback of its payment (or a reversal of its credit), which that undo's
/// rows record (a refund pays unapplied value out and unwinds nothing); per invoice posted
/// (`posted-across`) or voided (`voided-across`) by window end, its `invoice_posted` or
/// `void` rows (to window end) dated on the other side of window start than its `posted_at`
/// or `voided_at` — expected what the invoice's date puts in the window, actual what the
/// rows' dates do — where its rows are right in amount (its postings add up to its total;
/// a void invoice's AR rows net to zero): a row off in amount is the posting, void or
/// roll-forward finding's, and would be reported twice. `what`, the source's id, the rows' account (the invoice's when there are
/// none), expected, actual, how many rows.
pub(crate) const LEDGER_ROW_GAPS: &str = concat!(
    "SELECT 'posted', i.id, COALESCE(MIN(g.account_id), i.account_id), i.total_cents,
                    COALESCE(SUM(g.amount_cents), 0), COUNT(g.id)
             FROM invoices i
             LEFT JOIN ledger g ON g.invoice_id = i.id AND g.kind = 'invoice_posted'
                                AND g.occurred_at < :after_end
             WHERE ",
    receivable_at_end!(),
    "
             GROUP BY i.id HAVING COALESCE(SUM(g.amount_cents), 0) <> i.total_cents
             UNION ALL
             SELECT CASE WHEN i.status = 'void' AND i.voided_at <= :end THEN 'voided' ELSE 'disbursed' END,
                    d.id, COALESCE(MIN(g.account_id), i.account_id), -d.amount_cents,
                    COALESCE(SUM(g.amount_cents), 0), COUNT(g.id)
             FROM disbursements d JOIN invoices i ON i.id = d.invoice_id
             LEFT JOIN ledger g ON g.reference = d.id
                                AND g.kind IN ('payment_disbursed', 'credit_disbursed')
                                AND g.occurred_at < :after_end
             WHERE d.disbursed_on <= :end AND ((",
    receivable_at_end!(),
    ") OR (i.status = 'void' AND i.voided_at >= :start AND i.voided_at <= :end
                    AND (SELECT SUM(p.amount_cents) FROM disbursements p
                         WHERE p.source_kind = d.source_kind AND p.source_id = d.source_id
                           AND p.invoice_id = d.invoice_id AND p.disbursed_on <= :end) = 0))
             GROUP BY d.id
             HAVING (COUNT(g.id) > 0 AND SUM(g.amount_cents) <> -d.amount_cents)
                 OR (COUNT(g.id) = 0 AND (d.amount_cents > 0 OR (d.amount_cents < 0
                     AND NOT EXISTS (SELECT 1 FROM payments p
                                     WHERE d.source_kind = 'payment' AND p.related_payment_id = d.source_id
                                       AND p.kind IN ('reversal', 'chargeback')
                                       AND p.occurred_on >= date(d.disbursed_on, '-1 day')
                                       AND p.occurred_on <= date(d.disbursed_on, '+1 day'))
                     AND NOT EXISTS (SELECT 1 FROM credits c
                                     WHERE d.source_kind = 'credit' AND c.related_credit_id = d.source_id
                                       AND c.kind = 'reversal'
                                       AND c.issued_on >= date(d.disbursed_on, '-1 day')
                                       AND c.issued_on <= date(d.disbursed_on, '+1 day')))))
             UNION ALL
             SELECT x.what, x.id, MIN(x.account_id),
                    CASE WHEN x.dated_in THEN SUM(x.amount_cents) ELSE 0 END,
                    CASE WHEN x.dated_in THEN 0 ELSE SUM(x.amount_cents) END, COUNT(*)
             FROM (SELECT CASE g.kind WHEN 'invoice_posted' THEN 'posted-across' ELSE 'voided-across' END AS what,
                          i.id, g.account_id, g.amount_cents,
                          CASE g.kind WHEN 'invoice_posted' THEN i.posted_at ELSE i.voided_at END >= :start
                            AS dated_in
                   FROM ledger g JOIN invoices i ON i.id = g.invoice_id
                   WHERE g.occurred_at < :after_end
                     AND ((g.kind = 'invoice_posted' AND i.status <> 'draft' AND i.posted_at <= :end
                           AND (g.occurred_at >= :start) <> (i.posted_at >= :start)
                           AND (SELECT SUM(p.amount_cents) FROM ledger p
                                WHERE p.invoice_id = i.id AND p.kind = 'invoice_posted'
                                  AND p.occurred_at < :after_end) = i.total_cents)
                       OR (g.kind = 'void' AND i.status = 'void' AND i.voided_at <= :end
                           AND (g.occurred_at >= :start) <> (i.voided_at >= :start)
                           AND (SELECT SUM(v.amount_cents) FROM ledger v
                                WHERE v.invoice_id = i.id AND v.kind <> 'refund'
                                  AND v.occurred_at < :after_end) = 0))
                   UNION ALL
                   SELECT CASE WHEN d.id IS NOT NULL THEN 'disbursed-across' ELSE 'pulled-across' END,
                          COALESCE(d.id, p.id), g.account_id, g.amount_cents,
                          COALESCE(d.disbursed_on, p.occurred_on) >= :start
                   FROM ledger g
                   LEFT JOIN disbursements d ON g.kind IN ('payment_disbursed', 'credit_disbursed')
                                            AND d.id = g.reference
                   LEFT JOIN payments p ON g.kind IN ('reversal', 'chargeback') AND p.id = g.reference
                                       AND p.kind = g.kind
                   WHERE g.occurred_at < :after_end
                     AND g.kind IN ('payment_disbursed', 'credit_disbursed', 'reversal', 'chargeback')
                     AND COALESCE(d.disbursed_on, p.occurred_on) <= :end
                     AND (g.occurred_at >= :start) <> (COALESCE(d.disbursed_on, p.occurred_on) >= :start)
                     AND (d.id IS NULL
                          OR ((SELECT SUM(r.amount_cents) FROM ledger r
                               WHERE r.reference = d.id AND r.kind IN ('payment_disbursed', 'credit_disbursed')
                                 AND r.occurred_at < :after_end) = -d.amount_cents
                              AND EXISTS (SELECT 1 FROM invoices i WHERE i.id = d.invoice_id AND ",
    receivable_at_end!(),
    ")))
                     AND (p.id IS NULL
                          OR (SELECT SUM(r.amount_cents) FROM ledger r
                              WHERE r.reference = p.id AND r.kind = p.kind AND r.occurred_at < :after_end)
                             = MIN(p.amount_cents, MAX(0, (SELECT COALESCE(-SUM(u.amount_cents), 0)
                                                           FROM disbursements u
                                                           WHERE u.source_kind = 'payment'
                                                             AND u.source_id = p.related_payment_id
                                                             AND u.disbursed_on = p.occurred_on))))) x
             GROUP BY x.what, x.id HAVING SUM(x.amount_cents) <> 0
             ORDER BY 1, 2"
);

/// Reversals, refunds and chargebacks dated in the window, with the ledger rows of the same
/// kind recorded for them (to window end) and the disbursements they unwound.
pub(crate) const PAYMENT_UNDOS: &str =
    "SELECT p.id, p.account_id, p.kind, p.related_payment_id, p.occurred_on, p.amount_cents,
                    p.reference,
                    (SELECT COALESCE(SUM(g.amount_cents), 0) FROM ledger g
                      WHERE g.reference = p.id AND g.kind = p.kind AND g.occurred_at < :after_end),
                    (SELECT COALESCE(-SUM(d.amount_cents), 0) FROM disbursements d
                      WHERE d.source_kind = 'payment' AND d.source_id = p.related_payment_id
                        AND d.disbursed_on = p.occurred_on)
             FROM payments p
             WHERE p.kind IN ('reversal', 'refund', 'chargeback')
               AND p.occurred_on >= :start AND p.occurred_on <= :end
             ORDER BY p.id";

/// Every export batch with the sum and count of its lines.
pub(crate) const BATCH_TOTALS: &str = "SELECT b.id, b.kind, b.destination, b.created_at, b.total_cents,
                    COALESCE(SUM(l.amount_cents), 0), COUNT(l.id)
             FROM export_batches b LEFT JOIN export_lines l ON l.batch_id = b.id
             GROUP BY b.id ORDER BY b.id";

/// The sum of each account's lines in each billing extract and each GL batch.
pub(crate) const EXTRACT_ACCOUNTS: &str = "SELECT l.batch_id, l.account_id, SUM(l.amount_cents)
             FROM export_lines l JOIN export_batches b ON b.id = l.batch_id
             WHERE b.kind IN ('billing_extract', 'gl')
             GROUP BY l.batch_id, l.account_id ORDER BY l.batch_id, l.account_id";

/// `program_fee` lines billed in the window for a program that has statements, on none of
/// that program's statements.
pub(crate) const UNPRESENTED_FEE_LINES: &str = concat!(
    "SELECT l.id, l.program_id, l.amount_cents
             FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
             WHERE l.kind = 'program_fee' AND ",
    line_billed_in_window!(),
    "
               AND EXISTS (SELECT 1 FROM program_statements s WHERE s.program_id = l.program_id)
               AND NOT EXISTS (SELECT 1 FROM statement_lines sl
                   JOIN program_statements s ON s.id = sl.statement_id
                   WHERE sl.invoice_line_id = l.id AND s.program_id = l.program_id)
             ORDER BY l.id"
);

/// The `program_fee` lines billed in the window, summed: one row.
pub(crate) const PROGRAM_FEES_BILLED: &str = concat!(
    "SELECT 'program_fees_billed', COALESCE(SUM(l.amount_cents), 0)
             FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
             WHERE l.kind = 'program_fee' AND ",
    line_billed_in_window!(),
    ""
);

/// A reader's parameters on `basis`: the stored aggregate's table takes none.
fn on<'a>(basis: Basis, params: Params<'a>) -> Params<'a> {
    match basis {
        Basis::Source => params,
        Basis::Stored => &[],
    }
}

/// A read transaction: every query made on the snapshot while it lives sees the same state
/// of the file. It ends with [`ReadTransaction::finish`], or when dropped.
pub struct ReadTransaction<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl ReadTransaction<'_> {
    /// Ends the transaction.
    pub fn finish(self) -> Result<()> {
        self.tx.commit()
    }
}

// ---------------------------------------------------------------------------------------
// The typed rows the checks consume.

/// One invoice with the sums check 1 (posted invoice totals) needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceFacts {
    pub id: String,
    pub status: InvoiceStatus,
    pub posted_at: Option<NaiveDate>,
    pub voided_at: Option<NaiveDate>,
    pub total: Money,
    pub balance: Money,
    /// The sum of its lines.
    pub lines: Money,
    /// Disbursed to it, dated on or before window end.
    pub disbursed: Money,
    /// Its ledger `adjustment` rows dated on or before window end.
    pub adjustments: Money,
    /// Disbursed to it after window end (up to the export: every later row the snapshot
    /// holds).
    pub disbursed_after: Money,
    /// Its ledger `adjustment` rows dated after window end.
    pub adjustments_after: Money,
}

/// A payment or a credit, with its net value and what was disbursed from it, both to
/// window end. A disbursement naming an unknown payment or credit shows as a source with
/// no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceTotals {
    pub kind: SourceKind,
    pub id: String,
    pub net_value: Money,
    pub disbursed: Money,
}

/// Payments, credits and disbursements dated in the window, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WindowActivity {
    pub payments_received: Money,
    pub payments_reversed: Money,
    pub payments_refunded: Money,
    pub payments_charged_back: Money,
    pub credits_issued: Money,
    pub credits_reversed: Money,
    /// Of `credits_reversed`, what ledger `refund` rows naming a reversal (on any account)
    /// paid out, at most the reversal: a credit balance paid out to the customer
    /// (docs/reconciliation.md, "A refund of an account's credit balance"), which leaves
    /// cash, where the rest rescinds the credit. Not read here: the engine sets it from
    /// [`Snapshot::credit_reversal_refunds`] (`reconcile::adjustments::paid_out`).
    pub credits_paid_out: Money,
    pub disbursed_from_payments: Money,
    pub disbursed_from_credits: Money,
}

/// What an unwinding with no ledger row of its own pulled back off one invoice
/// ([`Snapshot::unwound_without_rows`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unwound {
    pub invoice_id: String,
    /// The invoice's account (`None`: no such invoice).
    pub account_id: Option<String>,
    /// The day of the unwinding.
    pub on: NaiveDate,
    pub amount: Money,
}

/// The ledger rows of one reversal or chargeback on one account and invoice, summed
/// ([`Snapshot::undo_rows`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoRows {
    pub undo_id: String,
    pub account_id: String,
    pub invoice_id: Option<String>,
    pub amount: Money,
}

/// A credit reversal of the window and the ledger `refund` rows that name it
/// ([`Snapshot::credit_reversal_refunds`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReversalRefunds {
    pub id: String,
    /// The reversal's amount (positive).
    pub amount: Money,
    /// Its refund rows, summed as posted (a payout is negative).
    pub rows: Money,
}

/// What one payment or credit applied, net, to an invoice that at window end is a draft (a
/// draft, or posted only after window end) or void (voided by window end), over its
/// disbursements dated on or before window end; only pairs that do not net to zero. `id` is
/// the pair's first disbursement (in id order); `invoice_status` is the invoice's status at
/// window end (`draft` or `void`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MisdirectedDisbursement {
    pub id: String,
    pub invoice_id: String,
    pub invoice_status: InvoiceStatus,
    pub amount: Money,
    /// The source applied (`payment` or `credit` and its id) and how many disbursements
    /// the pair has.
    pub source_kind: SourceKind,
    pub source_id: String,
    pub rows: u64,
}

/// One account's ledger for the roll-forward, and the balances of its receivable
/// invoices. Amounts are signed as in the ledger: disbursed and voids are negative.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountLedger {
    pub account_id: String,
    /// AR-kind rows dated before the window.
    pub opening: Money,
    /// `invoice_posted` rows in the window.
    pub posted: Money,
    /// `payment_disbursed` and `credit_disbursed` rows in the window.
    pub disbursed: Money,
    /// `reversal` and `chargeback` rows in the window.
    pub pulled_back: Money,
    /// `adjustment` rows in the window.
    pub adjustments: Money,
    /// `void` rows in the window.
    pub voids: Money,
    /// The sum of the balances of the account's receivable invoices.
    pub balances: Money,
}

/// An invoice voided in the window, with the net of its AR-kind ledger rows to window end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoidedInvoice {
    pub id: String,
    pub account_id: String,
    pub voided_at: NaiveDate,
    pub total: Money,
    pub ledger_net: Money,
}

/// What ledger rows record, for [`LedgerRowGap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// An invoice's posting: its `invoice_posted` rows, against its total.
    Posted,
    /// A disbursement: the `payment_disbursed`/`credit_disbursed` rows naming it, against
    /// its amount, negated.
    Disbursed,
    /// The same, of a disbursement to an invoice voided in the window: the void check holds
    /// the invoice's other rows, these are held here.
    DisbursedToVoid,
    /// An invoice's `invoice_posted` rows dated on the other side of window start than its
    /// `posted_at` (invoice posted by window end, rows to window end): expected what the
    /// invoice's date puts in the window, actual what the rows' dates do.
    PostedAcrossStart,
    /// The same, of a void invoice's `void` rows against its `voided_at`.
    VoidedAcrossStart,
    /// The same, of a disbursement's `payment_disbursed`/`credit_disbursed` rows against
    /// its `disbursed_on` (a disbursement dated by window end to a receivable, its rows
    /// right in amount).
    DisbursedAcrossStart,
    /// The same, of a reversal's or chargeback's rows against its `occurred_on` (dated by
    /// window end, its rows right in amount).
    PulledBackAcrossStart,
}

/// A source row whose ledger rows (to window end) add up to something else than it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerRowGap {
    pub recorded: Recorded,
    /// The invoice or the disbursement.
    pub id: String,
    /// The account its ledger rows are on (the first in id order, when they differ).
    pub account_id: String,
    /// What the rows should add up to: the invoice's total, or minus the disbursement.
    pub expected: Money,
    /// What they add up to.
    pub actual: Money,
    pub rows: u64,
}

/// A reversal, refund or chargeback dated in the window (its `payments` row as stored), with
/// the sum of the ledger rows of the same kind that reference it (dated on or before window
/// end).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentUndo {
    pub payment: Payment,
    pub recorded: Money,
    /// What the related payment's disbursements dated the same day net to, negated: the
    /// value this undo pulled back from invoices when positive (docs/reconciliation.md,
    /// "An application and its unwinding").
    pub unwound: Money,
}

/// A credit or credit reversal issued in the window: its `credits` row as stored.
pub type CreditIssued = Credit;

/// A ledger row in the window of kind `adjustment`, `void`, `reversal`, `refund` or
/// `chargeback`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerAdjustment {
    pub id: String,
    pub account_id: String,
    pub kind: LedgerKind,
    pub occurred_on: NaiveDate,
    pub amount: Money,
    pub reference: Option<String>,
    /// Whether the reference names the matching source: for `void`, a void invoice that is
    /// the row's own invoice; for `reversal`, `refund`, `chargeback`, a payments row of the
    /// same kind. Always false for `adjustment` (its reference is a reason, not a row).
    pub source_found: bool,
}

/// An export batch with the sum and count of its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchTotals {
    pub id: String,
    pub kind: BatchKind,
    pub destination: String,
    pub created_at: NaiveDateTime,
    pub total: Money,
    pub lines_total: Money,
    pub line_count: u64,
}

/// The sum of one account's lines in one billing extract or GL batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtractAccount {
    pub batch_id: String,
    pub account_id: String,
    pub amount: Money,
}

/// One invoice against one archive batch: every invoice of the close population, and every
/// other invoice the batch has lines for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveInvoice {
    pub batch_id: String,
    pub invoice_id: String,
    pub in_close_population: bool,
    /// The invoice's total (0.00 when not in the close population).
    pub total: Money,
    /// The sum of the batch's lines for the invoice.
    pub lines: Money,
}

/// Lines of invoices posted by window end that are recognized alike ([`REVENUE_SCHEDULES`]):
/// `line` is one of `lines` equal lines (`ratable_daily`), or all of them as one line, their
/// amounts summed (every other rule). The line has no id; its account is empty unless the
/// lines are tax lines or lines of a void invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevenueSchedule {
    pub line: RevenueLine,
    pub lines: u64,
}

/// One line of an invoice posted by window end (receivable, or void), for revenue
/// recognition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevenueLine {
    pub id: String,
    /// The invoice's account.
    pub account_id: String,
    pub kind: LineKind,
    pub amount: Money,
    pub rule: RevenueRule,
    pub invoice_posted_at: NaiveDate,
    /// When the invoice is void: the day it was voided.
    pub invoice_voided_at: Option<NaiveDate>,
    pub service_start: Option<NaiveDate>,
    pub service_end: Option<NaiveDate>,
}

/// One account's usage in the window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountUsage {
    pub account_id: String,
    /// Events `rated` that occurred in the window.
    pub rated: Money,
    /// Usage lines billed in the window.
    pub billed: Money,
    /// Events in the window still `unprocessed` or `rerating`.
    pub open_events: u64,
    /// Their known rated amounts.
    pub open_amount: Money,
}

/// A usage line billed in the window, with the rated events linked to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageLineFacts {
    pub id: String,
    pub account_id: String,
    pub amount: Money,
    /// The rated amounts of the `rated` events of the line's own account linked to it.
    pub events: Money,
    /// Events of other accounts linked to it: how many, and their rated amounts.
    pub foreign_count: u64,
    pub foreign_amount: Money,
}

/// A usage event rated in the window that no usage line billed in the window carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnbilledEvent {
    pub id: String,
    pub account_id: String,
    pub rated: Money,
    /// The line it names, if any (not a usage line billed in the window).
    pub invoice_line_id: Option<String>,
    /// `None`: one usage event, `id` its id. `Some(n)`: the rows of `usage_daily` of one
    /// account, day, kind and line (docs/usage-parquet.md), `n` events in all; `id` is
    /// `ACCOUNT/DAY/KIND` (then `/LINE` when it names one).
    pub events: Option<u64>,
}

/// The control total of pre-aggregated usage (`usage_control.parquet`: the raw events the
/// warehouse aggregated) and the sums of the aggregate itself (every row of
/// `usage_daily.parquet`, whatever its day). The usage step's figures carry it as read.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ControlTotals {
    pub control_event_count: i64,
    pub control_units: i64,
    pub control_rated: Money,
    pub aggregate_event_count: i64,
    pub aggregate_units: i64,
    pub aggregate_rated: Money,
}

impl ControlTotals {
    /// The aggregate's event count, units and rated amount are its control total's.
    pub fn ties(&self) -> bool {
        self.control_event_count == self.aggregate_event_count
            && self.control_units == self.aggregate_units
            && self.control_rated == self.aggregate_rated
    }
}

/// A `program_fee` line billed in the window, of a program that has a statement, that no
/// line of its program's statements presents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnpresentedFeeLine {
    pub id: String,
    pub program_id: String,
    pub amount: Money,
}

/// An employer program with its expected fee and the fees billed for it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProgramFees {
    pub id: String,
    pub name: String,
    pub employer_account_id: String,
    pub basis_units: i64,
    pub rate: Money,
    /// `basis_units × rate`, exact.
    pub expected_fee: Money,
    /// Its `program_fee` lines billed in the window.
    pub billed: Money,
    pub statement_count: u64,
    /// The totals of its organization fee statements.
    pub statement_total: Money,
}

/// An organization fee statement's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementTotal {
    pub id: String,
    pub program_id: String,
    pub issued_on: NaiveDate,
    pub total: Money,
}

/// A statement line, its statement's program, and the invoice line it presents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLineFacts {
    pub id: String,
    pub statement_id: String,
    pub program_id: String,
    pub amount: Money,
    pub invoice_line: Option<PresentedLine>,
}

/// The invoice line a statement line presents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentedLine {
    pub id: String,
    pub kind: LineKind,
    pub program_id: Option<String>,
    pub amount: Money,
    /// Its invoice is void at window end (voided on or before it).
    pub voided: bool,
}

/// One account's receivable invoice balances by days past due at window end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgingRow {
    pub account_id: String,
    pub current: Money,
    pub days_1_30: Money,
    pub days_31_60: Money,
    pub days_61_90: Money,
    pub over_90: Money,
}

/// One account's unapplied payments and credits at window end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnappliedRow {
    pub account_id: String,
    pub payments: Money,
    pub credits: Money,
}

/// One account's disbursements in the window, by source kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DisbursedRow {
    pub account_id: String,
    pub from_payments: Money,
    pub from_credits: Money,
}

/// The most source rows one set of [`SourceRows`] lists: the first ones in id order.
pub const SOURCE_ROWS_CAP: usize = 1_000;

/// A set of source rows behind a figure, for tracing one mismatch. Each names one table;
/// "to window end" means dated on or before `window_end`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceRows<'a> {
    /// One row, known without a query.
    One(&'static str, &'a str),
    /// The lines of an invoice.
    LinesOfInvoice(&'a str),
    /// Disbursements to an invoice, to window end.
    DisbursementsToInvoice(&'a str),
    /// Disbursements from a payment or credit, to window end.
    DisbursementsFrom(SourceKind, &'a str),
    /// The payment and the reversals, refunds and chargebacks naming it, to window end.
    PaymentAndUndos(&'a str),
    /// The credit and the reversals naming it, to window end.
    CreditAndReversals(&'a str),
    /// Ledger `adjustment` rows of an invoice, to window end.
    LedgerAdjustmentsOfInvoice(&'a str),
    /// AR-kind ledger rows of an invoice, to window end.
    LedgerOfInvoice(&'a str),
    /// AR-kind ledger rows of an account, to window end.
    LedgerOfAccount(&'a str),
    /// Ledger rows recording a reversal, refund or chargeback: of its kind and referencing
    /// it, to window end.
    LedgerRecordingPayment(&'a str),
    /// What a reversal or chargeback pulled back off invoices: its payment's unwinding
    /// disbursements dated the same day (as `PAYMENT_UNDOS` weighs them).
    UnwindingsOfUndo(&'a str),
    /// The `invoice_posted` ledger rows of an invoice, to window end.
    LedgerPostingInvoice(&'a str),
    /// The `void` ledger rows of an invoice, to window end.
    LedgerVoidingInvoice(&'a str),
    /// The other organization fee statements of a statement's program.
    OtherStatementsOfProgram(&'a str),
    /// The `refund` ledger rows paying out a credit reversal: naming it, on any account, to
    /// window end.
    LedgerRefundingCredit(&'a str),
    /// The `payment_disbursed`/`credit_disbursed` ledger rows naming a disbursement, to
    /// window end.
    LedgerRecordingDisbursement(&'a str),
    /// Receivable invoices of an account.
    ReceivableInvoicesOfAccount(&'a str),
    /// Every receivable invoice with a balance.
    ReceivableInvoicesWithBalance,
    /// The invoices of the close population.
    ClosePopulation,
    /// The lines of an export batch.
    BatchLines(&'a str),
    /// The lines of an export batch for one account.
    BatchLinesOfAccount(&'a str, &'a str),
    /// The lines of an export batch for one invoice.
    BatchLinesOfInvoice(&'a str, &'a str),
    /// Usage events of an account rated in the window.
    RatedUsage(&'a str),
    /// Usage events of an account in the window still unprocessed or rerating.
    OpenUsage(&'a str),
    /// Usage lines of an account billed in the window.
    BilledUsageLines(&'a str),
    /// `program_fee` lines of a program billed in the window.
    BilledProgramFeeLines(&'a str),
    /// `program_fee` lines billed in the window for the program of a statement.
    BilledProgramFeeLinesOfStatement(&'a str),
    /// The invoice line a statement line presents.
    PresentedInvoiceLine(&'a str),
    /// The invoice of the invoice line a statement line presents.
    InvoiceOfPresentedLine(&'a str),
    /// The other statement lines presenting the invoice line a statement line presents.
    OtherLinesPresentingFee(&'a str),
    /// The disbursements (to window end) of the same payment or credit to the same invoice
    /// as the named disbursement: one application and its unwinding.
    DisbursementsOfPair(&'a str),
    /// The usage events linked to a usage line, dated to window end.
    EventsOfLine(&'a str),
    /// The pre-aggregated usage rows linked to a usage line (their row numbers in
    /// `usage_daily.parquet`).
    AggregatesOfLine(&'a str),
    /// Disbursements to an invoice up to the export (every one the snapshot holds).
    DisbursementsToInvoiceToExport(&'a str),
    /// Ledger `adjustment` rows of an invoice up to the export.
    LedgerAdjustmentsOfInvoiceToExport(&'a str),
}

impl Snapshot {
    /// The number of rows of one of the snapshot's source or workflow tables. Any other
    /// name is refused, so the name never reaches SQL unchecked.
    pub fn table_count(&self, table: &str) -> rusqlite::Result<i64> {
        let Some(known) = SOURCE_TABLES.iter().chain(WORKFLOW_TABLES).find(|t| **t == table) else {
            return Err(rusqlite::Error::InvalidParameterName(format!(
                "not a snapshot table: {}",
                crate::text::inert(table)
            )));
        };
        self.conn()
            .query_row(&format!("SELECT count(*) FROM {known}"), [], |r| r.get(0))
    }

    /// The period row.
    pub fn period(&self) -> Result<Period> {
        self.conn().query_row(
            "SELECT id, entity, window_start, window_end, currency, close_owner,
                    materiality_medium_cents, materiality_high_cents, materiality_critical_cents,
                    last_clean_period, last_clean_date, status, exported_on
             FROM period",
            [],
            |r| {
                let status: String = r.get(11)?;
                Ok(Period {
                    id: r.get(0)?,
                    entity: r.get(1)?,
                    window_start: date_at(r, 2)?,
                    window_end: date_at(r, 3)?,
                    currency: r.get(4)?,
                    close_owner: r.get(5)?,
                    materiality_medium: money_at(r, 6)?,
                    materiality_high: money_at(r, 7)?,
                    materiality_critical: money_at(r, 8)?,
                    last_clean_period: r.get(9)?,
                    last_clean_date: opt_date_at(r, 10)?,
                    status: if status == "signed_off" {
                        PeriodStatus::SignedOff
                    } else {
                        PeriodStatus::Open
                    },
                    exported_on: opt_date_at(r, 12)?,
                })
            },
        )
    }

    /// Starts a read transaction (`BEGIN DEFERRED`): the queries made until it ends all
    /// see the same state of the file.
    pub fn begin_read(&self) -> Result<ReadTransaction<'_>> {
        Ok(ReadTransaction {
            tx: self.conn().unchecked_transaction()?,
        })
    }

    /// Runs `sql` and hands its rows, mapped by `map`, to `consume` as an iterator, one at a
    /// time. The first SQL error ends the iteration and is returned instead of the result.
    fn stream<T, R>(
        &self,
        sql: &str,
        params: Params<'_>,
        map: fn(&Row<'_>) -> Result<T>,
        consume: impl FnOnce(&mut dyn Iterator<Item = T>) -> R,
    ) -> Result<R> {
        let mut statement = self.conn().prepare(sql)?;
        let rows = statement.query_map(params, map)?;
        let mut failure = None;
        let mut good_rows = rows.map_while(|row| match row {
            Ok(value) => Some(value),
            Err(e) => {
                failure = Some(e);
                None
            }
        });
        let result = consume(&mut good_rows);
        drop(good_rows);
        match failure {
            Some(e) => Err(e),
            None => Ok(result),
        }
    }

    /// Runs `sql` and collects its rows, for inputs with one row per account, batch,
    /// program or adjustment (never per invoice or per line).
    fn collect<T>(&self, sql: &str, params: Params<'_>, map: fn(&Row<'_>) -> Result<T>) -> Result<Vec<T>> {
        let mut statement = self.conn().prepare(sql)?;
        let rows = statement.query_map(params, map)?;
        rows.collect()
    }

    /// Who owns which lane.
    pub fn lane_owners(&self) -> Result<Vec<LaneOwner>> {
        self.collect("SELECT lane, owner FROM lane_owners ORDER BY lane", &[], |r| {
            Ok(LaneOwner {
                lane: word_at(r, 0, Lane::parse)?,
                owner: r.get(1)?,
            })
        })
    }

    /// Every invoice with the sum of its lines, what was disbursed to it and its ledger
    /// adjustments (both to window end), streamed to `consume`.
    pub fn invoice_facts<R>(
        &self,
        period: &Period,
        basis: Basis,
        consume: impl FnOnce(&mut dyn Iterator<Item = InvoiceFacts>) -> R,
    ) -> Result<R> {
        let w = Window::of(period);
        self.stream(
            &basis.sql(&aggregates::INVOICE_FACTS),
            on(basis, named_params! { ":end": w.end, ":after_end": w.after_end }),
            |r| {
                Ok(InvoiceFacts {
                    id: r.get(0)?,
                    status: word_at(r, 1, InvoiceStatus::parse)?,
                    posted_at: opt_date_at(r, 2)?,
                    voided_at: opt_date_at(r, 3)?,
                    total: money_at(r, 4)?,
                    balance: money_at(r, 5)?,
                    lines: money_at(r, 6)?,
                    disbursed: money_at(r, 7)?,
                    adjustments: money_at(r, 8)?,
                    disbursed_after: money_at(r, 9)?,
                    adjustments_after: money_at(r, 10)?,
                })
            },
            consume,
        )
    }

    /// Payments, credits and disbursements dated in the window, by kind.
    pub fn window_activity(&self, period: &Period, basis: Basis) -> Result<WindowActivity> {
        let w = Window::of(period);
        let mut activity = WindowActivity::default();
        let sums = self.collect(
            &basis.sql(&aggregates::WINDOW_ACTIVITY),
            on(basis, named_params! { ":start": w.start, ":end": w.end }),
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, money_at(r, 2)?)),
        )?;
        for (what, kind, amount) in sums {
            let field = match (what.as_str(), kind.as_str()) {
                ("payments", kind) => match PaymentKind::parse(kind) {
                    Some(PaymentKind::Payment) => &mut activity.payments_received,
                    Some(PaymentKind::Reversal) => &mut activity.payments_reversed,
                    Some(PaymentKind::Refund) => &mut activity.payments_refunded,
                    Some(PaymentKind::Chargeback) => &mut activity.payments_charged_back,
                    None => return Err(unknown_word(1, kind)),
                },
                ("credits", kind) => match CreditKind::parse(kind) {
                    Some(CreditKind::Credit) => &mut activity.credits_issued,
                    Some(CreditKind::Reversal) => &mut activity.credits_reversed,
                    None => return Err(unknown_word(1, kind)),
                },
                ("disbursed", kind) => match SourceKind::parse(kind) {
                    Some(SourceKind::Payment) => &mut activity.disbursed_from_payments,
                    Some(SourceKind::Credit) => &mut activity.disbursed_from_credits,
                    None => return Err(unknown_word(1, kind)),
                },
                (what, _) => return Err(unknown_word(0, what)),
            };
            *field = amount;
        }
        Ok(activity)
    }

    /// Every payment and credit (and every source a disbursement names) with its net value
    /// and what was disbursed from it, to window end, streamed to `consume`.
    pub fn source_totals<R>(
        &self,
        period: &Period,
        basis: Basis,
        consume: impl FnOnce(&mut dyn Iterator<Item = SourceTotals>) -> R,
    ) -> Result<R> {
        let w = Window::of(period);
        self.stream(
            &basis.sql(&aggregates::SOURCE_TOTALS),
            on(basis, named_params! { ":end": w.end }),
            |r| {
                Ok(SourceTotals {
                    kind: word_at(r, 0, SourceKind::parse)?,
                    id: r.get(1)?,
                    net_value: money_at(r, 2)?,
                    disbursed: money_at(r, 3)?,
                })
            },
            consume,
        )
    }

    /// Disbursements dated on or before window end to an invoice that at window end is a
    /// draft (or not yet posted) or void.
    pub fn misdirected_disbursements(
        &self,
        period: &Period,
        basis: Basis,
    ) -> Result<Vec<MisdirectedDisbursement>> {
        let w = Window::of(period);
        self.collect(
            &basis.sql(&aggregates::MISDIRECTED),
            on(basis, named_params! { ":end": w.end }),
            |r| {
                Ok(MisdirectedDisbursement {
                    id: r.get(0)?,
                    invoice_id: r.get(1)?,
                    invoice_status: word_at(r, 2, InvoiceStatus::parse)?,
                    amount: money_at(r, 3)?,
                    source_kind: word_at(r, 4, SourceKind::parse)?,
                    source_id: r.get(5)?,
                    rows: count_at(r, 6)?,
                })
            },
        )
    }

    /// The ledger roll-forward of every account with ledger rows to window end or with
    /// receivable invoices, and the sum of its receivable invoice balances; by account id.
    pub fn account_ledgers(&self, period: &Period, basis: Basis) -> Result<Vec<AccountLedger>> {
        let w = Window::of(period);
        self.collect(
            &basis.sql(&aggregates::ACCOUNT_LEDGERS),
            on(
                basis,
                named_params! { ":start": w.start, ":end": w.end, ":after_end": w.after_end },
            ),
            |r| {
                Ok(AccountLedger {
                    account_id: r.get(0)?,
                    opening: money_at(r, 1)?,
                    posted: money_at(r, 2)?,
                    disbursed: money_at(r, 3)?,
                    pulled_back: money_at(r, 4)?,
                    adjustments: money_at(r, 5)?,
                    voids: money_at(r, 6)?,
                    balances: money_at(r, 7)?,
                })
            },
        )
    }

    /// Invoices voided in the window, with the net of their AR-kind ledger rows to window
    /// end.
    pub fn voided_invoices(&self, period: &Period, basis: Basis) -> Result<Vec<VoidedInvoice>> {
        let w = Window::of(period);
        self.collect(
            &basis.sql(&aggregates::VOIDED_INVOICES),
            on(
                basis,
                named_params! { ":start": w.start, ":end": w.end, ":after_end": w.after_end },
            ),
            |r| {
                Ok(VoidedInvoice {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    voided_at: date_at(r, 2)?,
                    total: money_at(r, 3)?,
                    ledger_net: money_at(r, 4)?,
                })
            },
        )
    }

    /// The invoices and disbursements whose ledger rows (to window end) add up to something
    /// else than they record; invoices first, each in id order.
    pub fn ledger_row_gaps(&self, period: &Period, basis: Basis) -> Result<Vec<LedgerRowGap>> {
        let w = Window::of(period);
        self.collect(
            &basis.sql(&aggregates::LEDGER_ROW_GAPS),
            on(
                basis,
                named_params! { ":start": w.start, ":end": w.end, ":after_end": w.after_end },
            ),
            |r| {
                Ok(LedgerRowGap {
                    recorded: word_at(r, 0, |w| match w {
                        "posted" => Some(Recorded::Posted),
                        "disbursed" => Some(Recorded::Disbursed),
                        "voided" => Some(Recorded::DisbursedToVoid),
                        "posted-across" => Some(Recorded::PostedAcrossStart),
                        "voided-across" => Some(Recorded::VoidedAcrossStart),
                        "disbursed-across" => Some(Recorded::DisbursedAcrossStart),
                        "pulled-across" => Some(Recorded::PulledBackAcrossStart),
                        _ => None,
                    })?,
                    id: r.get(1)?,
                    account_id: r.get(2)?,
                    expected: money_at(r, 3)?,
                    actual: money_at(r, 4)?,
                    rows: count_at(r, 5)?,
                })
            },
        )
    }

    /// Reversals, refunds and chargebacks dated in the window, with the ledger rows of the
    /// same kind recorded for them (to window end).
    pub fn payment_undos(&self, period: &Period, basis: Basis) -> Result<Vec<PaymentUndo>> {
        let w = Window::of(period);
        self.collect(
            &basis.sql(&aggregates::PAYMENT_UNDOS),
            on(
                basis,
                named_params! { ":start": w.start, ":end": w.end, ":after_end": w.after_end },
            ),
            |r| {
                Ok(PaymentUndo {
                    payment: Payment {
                        id: r.get(0)?,
                        account_id: r.get(1)?,
                        kind: word_at(r, 2, PaymentKind::parse)?,
                        related_payment_id: r.get(3)?,
                        occurred_on: date_at(r, 4)?,
                        amount: money_at(r, 5)?,
                        reference: r.get(6)?,
                    },
                    recorded: money_at(r, 7)?,
                    unwound: money_at(r, 8)?,
                })
            },
        )
    }

    /// Credits and credit reversals issued in the window.
    pub fn credits_issued(&self, period: &Period) -> Result<Vec<CreditIssued>> {
        let w = Window::of(period);
        self.collect(
            "SELECT id, account_id, kind, related_credit_id, issued_on, amount_cents, reason
             FROM credits WHERE issued_on >= :start AND issued_on <= :end ORDER BY id",
            named_params! { ":start": w.start, ":end": w.end },
            |r| {
                Ok(CreditIssued {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    kind: word_at(r, 2, CreditKind::parse)?,
                    related_credit_id: r.get(3)?,
                    issued_on: date_at(r, 4)?,
                    amount: money_at(r, 5)?,
                    reason: r.get(6)?,
                })
            },
        )
    }

    /// Per credit reversal issued in the window that ledger `refund` rows pay out (rows
    /// naming it, on any account, to window end; not a payments row's id, whose refund they
    /// would be), its amount and what those rows add up to. The one reader of refunds of a
    /// credit balance: the window's payout (step 2, the GL) and its check (step 4) are
    /// made of it.
    pub fn credit_reversal_refunds(&self, period: &Period) -> Result<Vec<ReversalRefunds>> {
        let w = Window::of(period);
        self.collect(
            // The window's reversals outside, their refund rows looked up by the indexed
            // reference: joined, SQLite scanned the whole ledger for its refund rows (3×
            // the pages of a whole `reconcile` at 1M invoices).
            "SELECT id, amount_cents, paid FROM (
               SELECT c.id, c.amount_cents,
                      (SELECT SUM(g.amount_cents) FROM ledger g
                        WHERE g.reference = c.id AND g.kind = 'refund' AND g.occurred_at < :after_end) AS paid
               FROM credits c
               WHERE c.kind = 'reversal' AND c.issued_on >= :start AND c.issued_on <= :end
                 AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = c.id))
             WHERE paid IS NOT NULL ORDER BY id",
            named_params! { ":start": w.start, ":end": w.end, ":after_end": w.after_end },
            |r| {
                Ok(ReversalRefunds {
                    id: r.get(0)?,
                    amount: money_at(r, 1)?,
                    rows: money_at(r, 2)?,
                })
            },
        )
    }

    /// Ledger rows in the window of kind `adjustment`, `void`, `reversal`, `refund` or
    /// `chargeback`, each with whether its reference names the matching source.
    pub fn ledger_adjustments(&self, period: &Period, basis: Basis) -> Result<Vec<LedgerAdjustment>> {
        let w = Window::of(period);
        self.collect(
            &basis.sql(&aggregates::LEDGER_ADJUSTMENTS),
            on(
                basis,
                named_params! { ":start": w.start, ":after_end": w.after_end },
            ),
            |r| {
                Ok(LedgerAdjustment {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    kind: word_at(r, 2, LedgerKind::parse)?,
                    occurred_on: date_at(r, 3)?,
                    amount: money_at(r, 4)?,
                    reference: r.get(5)?,
                    source_found: r.get(6)?,
                })
            },
        )
    }

    /// Every export batch with the sum and count of its lines.
    pub fn batch_totals(&self, basis: Basis) -> Result<Vec<BatchTotals>> {
        self.collect(&basis.sql(&aggregates::BATCH_TOTALS), &[], |r| {
            Ok(BatchTotals {
                id: r.get(0)?,
                kind: word_at(r, 1, BatchKind::parse)?,
                destination: r.get(2)?,
                created_at: timestamp_at(r, 3)?,
                total: money_at(r, 4)?,
                lines_total: money_at(r, 5)?,
                line_count: count_at(r, 6)?,
            })
        })
    }

    /// The sum of each account's lines in each billing extract and each GL batch.
    pub fn extract_accounts(&self, basis: Basis) -> Result<Vec<ExtractAccount>> {
        self.collect(&basis.sql(&aggregates::EXTRACT_ACCOUNTS), &[], |r| {
            Ok(ExtractAccount {
                batch_id: r.get(0)?,
                account_id: r.get(1)?,
                amount: money_at(r, 2)?,
            })
        })
    }

    /// For every archive batch: each invoice of the close population with the batch's lines
    /// for it, and each other invoice the batch has lines for — where the two differ
    /// ([`ARCHIVE_INVOICES`]); streamed to `consume`.
    /// Archive lines without an invoice count only in the batch's lines total.
    pub fn archive_invoices<R>(
        &self,
        period: &Period,
        basis: Basis,
        consume: impl FnOnce(&mut dyn Iterator<Item = ArchiveInvoice>) -> R,
    ) -> Result<R> {
        let w = Window::of(period);
        self.stream(
            &basis.sql(&aggregates::ARCHIVE_INVOICES),
            on(basis, named_params! { ":start": w.start, ":end": w.end }),
            |r| {
                Ok(ArchiveInvoice {
                    batch_id: r.get(0)?,
                    invoice_id: r.get(1)?,
                    in_close_population: r.get(2)?,
                    total: money_at(r, 3)?,
                    lines: money_at(r, 4)?,
                })
            },
            consume,
        )
    }

    /// Every line of an invoice posted by window end — receivable, or void (with its void
    /// date) — streamed to `consume`.
    pub fn revenue_lines<R>(
        &self,
        period: &Period,
        basis: Basis,
        consume: impl FnOnce(&mut dyn Iterator<Item = RevenueLine>) -> R,
    ) -> Result<R> {
        let w = Window::of(period);
        self.stream(
            &basis.sql(&aggregates::REVENUE_LINES),
            on(basis, named_params! { ":end": w.end }),
            |r| {
                Ok(RevenueLine {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    kind: word_at(r, 2, LineKind::parse)?,
                    amount: money_at(r, 3)?,
                    rule: word_at(r, 4, RevenueRule::parse)?,
                    invoice_posted_at: date_at(r, 5)?,
                    invoice_voided_at: opt_date_at(r, 6)?,
                    service_start: opt_date_at(r, 7)?,
                    service_end: opt_date_at(r, 8)?,
                })
            },
            consume,
        )
    }

    /// The revenue schedules of the lines of every invoice posted by window end, streamed
    /// to `consume`.
    pub fn revenue_schedules<R>(
        &self,
        period: &Period,
        basis: Basis,
        consume: impl FnOnce(&mut dyn Iterator<Item = RevenueSchedule>) -> R,
    ) -> Result<R> {
        let w = Window::of(period);
        self.stream(
            &basis.sql(&aggregates::REVENUE_SCHEDULES),
            on(basis, named_params! { ":end": w.end }),
            |r| {
                Ok(RevenueSchedule {
                    line: RevenueLine {
                        id: String::new(),
                        account_id: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                        kind: word_at(r, 1, LineKind::parse)?,
                        rule: word_at(r, 2, RevenueRule::parse)?,
                        invoice_posted_at: date_at(r, 3)?,
                        invoice_voided_at: opt_date_at(r, 4)?,
                        service_start: opt_date_at(r, 5)?,
                        service_end: opt_date_at(r, 6)?,
                        amount: money_at(r, 7)?,
                    },
                    lines: count_at(r, 8)?,
                })
            },
            consume,
        )
    }

    /// Each account's usage in the window: rated, billed, open exceptions.
    pub fn account_usage(&self, period: &Period, basis: Basis) -> Result<Vec<AccountUsage>> {
        let w = Window::of(period);
        self.collect(
            &basis.sql(&aggregates::ACCOUNT_USAGE),
            on(
                basis,
                named_params! { ":start": w.start, ":end": w.end, ":after_end": w.after_end },
            ),
            |r| {
                Ok(AccountUsage {
                    account_id: r.get(0)?,
                    rated: money_at(r, 1)?,
                    billed: money_at(r, 2)?,
                    open_events: count_at(r, 3)?,
                    open_amount: money_at(r, 4)?,
                })
            },
        )
    }

    /// `program_fee` lines billed in the window, of programs with a statement, that no line
    /// of their program's statements presents; by id.
    pub fn unpresented_fee_lines(&self, period: &Period, basis: Basis) -> Result<Vec<UnpresentedFeeLine>> {
        let w = Window::of(period);
        self.collect(
            &basis.sql(&aggregates::UNPRESENTED_FEE_LINES),
            on(basis, named_params! { ":start": w.start, ":end": w.end }),
            |r| {
                Ok(UnpresentedFeeLine {
                    id: r.get(0)?,
                    program_id: r.get(1)?,
                    amount: money_at(r, 2)?,
                })
            },
        )
    }

    /// Every usage line billed in the window whose amount differs from the rated events of
    /// its own account linked to it ([`USAGE_LINES`]), with any events of other accounts
    /// linked to it; streamed to `consume`.
    pub fn usage_lines<R>(
        &self,
        period: &Period,
        basis: Basis,
        consume: impl FnOnce(&mut dyn Iterator<Item = UsageLineFacts>) -> R,
    ) -> Result<R> {
        let w = Window::of(period);
        self.stream(
            &basis.sql(&aggregates::USAGE_LINES),
            on(
                basis,
                named_params! { ":start": w.start, ":end": w.end, ":after_end": w.after_end },
            ),
            |r| {
                Ok(UsageLineFacts {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    amount: money_at(r, 2)?,
                    events: money_at(r, 3)?,
                    foreign_count: count_at(r, 4)?,
                    foreign_amount: money_at(r, 5)?,
                })
            },
            consume,
        )
    }

    /// Usage events `rated` in the window that no usage line billed in the window carries
    /// (no line, or a line that is not one), by id.
    pub fn unbilled_usage(&self, period: &Period, basis: Basis) -> Result<Vec<UnbilledEvent>> {
        let w = Window::of(period);
        self.collect(
            &basis.sql(&aggregates::UNBILLED_USAGE),
            on(
                basis,
                named_params! { ":start": w.start, ":end": w.end, ":after_end": w.after_end },
            ),
            |r| {
                Ok(UnbilledEvent {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    rated: money_at(r, 2)?,
                    invoice_line_id: r.get(3)?,
                    events: r.get::<_, Option<i64>>(4)?.map(|n| n.max(0) as u64),
                })
            },
        )
    }

    /// The control total of the pre-aggregated usage and the aggregate's sums; `None` when
    /// the period's usage is not pre-aggregated.
    pub fn usage_control(&self) -> Result<Option<ControlTotals>> {
        let rows = self.collect(
            "SELECT c.event_count, c.units, c.rated_amount_cents,
                    (SELECT COALESCE(SUM(event_count), 0) FROM usage_daily),
                    (SELECT COALESCE(SUM(units), 0) FROM usage_daily),
                    (SELECT COALESCE(SUM(rated_amount_cents), 0) FROM usage_daily)
             FROM usage_control c",
            named_params! {},
            |r| {
                Ok(ControlTotals {
                    control_event_count: r.get(0)?,
                    control_units: r.get(1)?,
                    control_rated: money_at(r, 2)?,
                    aggregate_event_count: r.get(3)?,
                    aggregate_units: r.get(4)?,
                    aggregate_rated: money_at(r, 5)?,
                })
            },
        )?;
        Ok(rows.into_iter().next())
    }

    /// Every employer program with its expected fee, the fees billed for it in the window
    /// and its statements.
    pub fn program_fees(&self, period: &Period) -> Result<Vec<ProgramFees>> {
        let w = Window::of(period);
        self.collect(
            concat!(
                "SELECT p.id, p.name, p.employer_account_id, p.basis_units, p.rate_cents,
                    (SELECT COALESCE(SUM(l.amount_cents), 0)
                       FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
                      WHERE l.program_id = p.id AND l.kind = 'program_fee'
                        AND ",
                line_billed_in_window!(),
                "),
                    (SELECT COUNT(*) FROM program_statements s WHERE s.program_id = p.id),
                    (SELECT COALESCE(SUM(s.total_cents), 0) FROM program_statements s
                      WHERE s.program_id = p.id)
             FROM employer_programs p ORDER BY p.id"
            ),
            named_params! { ":start": w.start, ":end": w.end },
            |r| {
                let basis_units: i64 = r.get(3)?;
                let rate = money_at(r, 4)?;
                let expected_fee = rate
                    .checked_mul_units(basis_units)
                    .ok_or(rusqlite::Error::IntegralValueOutOfRange(3, basis_units))?;
                Ok(ProgramFees {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    employer_account_id: r.get(2)?,
                    basis_units,
                    rate,
                    expected_fee,
                    billed: money_at(r, 5)?,
                    statement_count: count_at(r, 6)?,
                    statement_total: money_at(r, 7)?,
                })
            },
        )
    }

    /// Every `program_fee` line billed in the window, whatever its program.
    pub fn program_fees_billed(&self, period: &Period, basis: Basis) -> Result<Money> {
        let w = Window::of(period);
        self.conn().query_row(
            &basis.sql(&aggregates::PROGRAM_FEES_BILLED),
            on(basis, named_params! { ":start": w.start, ":end": w.end }),
            |r| money_at(r, 1),
        )
    }

    /// Every organization fee statement's header.
    pub fn statement_totals(&self) -> Result<Vec<StatementTotal>> {
        self.collect(
            "SELECT id, program_id, issued_on, total_cents FROM program_statements ORDER BY id",
            &[],
            |r| {
                Ok(StatementTotal {
                    id: r.get(0)?,
                    program_id: r.get(1)?,
                    issued_on: date_at(r, 2)?,
                    total: money_at(r, 3)?,
                })
            },
        )
    }

    /// Every statement line with its statement's program and the invoice line it presents
    /// (whether its invoice is void at window end); in the order the statements were issued
    /// (`issued_on`, then id), each statement's lines by id.
    pub fn statement_lines(&self, period: &Period) -> Result<Vec<StatementLineFacts>> {
        let w = Window::of(period);
        self.collect(
            "SELECT sl.id, sl.statement_id, s.program_id, sl.amount_cents,
                    l.id, l.kind, l.program_id, l.amount_cents,
                    COALESCE(i.status = 'void' AND i.voided_at <= :end, 0)
             FROM statement_lines sl JOIN program_statements s ON s.id = sl.statement_id
             LEFT JOIN invoice_lines l ON l.id = sl.invoice_line_id
             LEFT JOIN invoices i ON i.id = l.invoice_id
             ORDER BY s.issued_on, s.id, sl.id",
            named_params! { ":end": w.end },
            |r| {
                let line_id: Option<String> = r.get(4)?;
                let invoice_line = match line_id {
                    Some(id) => Some(PresentedLine {
                        id,
                        kind: word_at(r, 5, LineKind::parse)?,
                        program_id: r.get(6)?,
                        amount: money_at(r, 7)?,
                        voided: r.get(8)?,
                    }),
                    None => None,
                };
                Ok(StatementLineFacts {
                    id: r.get(0)?,
                    statement_id: r.get(1)?,
                    program_id: r.get(2)?,
                    amount: money_at(r, 3)?,
                    invoice_line,
                })
            },
        )
    }

    /// Each account's receivable invoice balances by days past due at window end
    /// (`window_end − due_date`): current (≤ 0), 1–30, 31–60, 61–90, over 90. Accounts
    /// without a balance are left out.
    pub fn aging_rows(&self, period: &Period, basis: Basis) -> Result<Vec<AgingRow>> {
        // Days past due d = end − due; 1 ≤ d ≤ 30 exactly when end − 30 ≤ due < end, etc.
        let w = Window::of(period);
        self.collect(
            &basis.sql(&aggregates::AGING),
            on(
                basis,
                named_params! {
                    ":end": w.end, ":minus_30": w.minus_30, ":minus_60": w.minus_60, ":minus_90": w.minus_90,
                    ":after_end": w.after_end,
                },
            ),
            |r| {
                Ok(AgingRow {
                    account_id: r.get(0)?,
                    current: money_at(r, 1)?,
                    days_1_30: money_at(r, 2)?,
                    days_31_60: money_at(r, 3)?,
                    days_61_90: money_at(r, 4)?,
                    over_90: money_at(r, 5)?,
                })
            },
        )
    }

    /// Unapplied value at window end per account (net value − disbursed of its payments and
    /// of its credits, each as in [`Snapshot::source_totals`]), accounts in id order;
    /// accounts with neither payments nor credits are left out.
    pub fn unapplied_by_account(&self, period: &Period) -> Result<Vec<UnappliedRow>> {
        let w = Window::of(period);
        self.collect(
            "SELECT account_id, SUM(CASE WHEN kind = 'payment' THEN value ELSE 0 END),
                    SUM(CASE WHEN kind = 'credit' THEN value ELSE 0 END)
             FROM (
                 SELECT 'payment' AS kind, account_id, amount_cents AS value FROM payments
                  WHERE kind = 'payment' AND occurred_on <= :end
                 UNION ALL
                 SELECT 'payment', p.account_id, -r.amount_cents FROM payments r
                   JOIN payments p ON p.id = r.related_payment_id
                  WHERE r.kind IN ('reversal', 'refund', 'chargeback') AND r.occurred_on <= :end
                 UNION ALL
                 SELECT 'credit', account_id, amount_cents FROM credits
                  WHERE kind = 'credit' AND issued_on <= :end
                 UNION ALL
                 SELECT 'credit', c.account_id, -r.amount_cents FROM credits r
                   JOIN credits c ON c.id = r.related_credit_id
                  WHERE r.kind = 'reversal' AND r.issued_on <= :end
                 UNION ALL
                 SELECT 'payment', p.account_id, -d.amount_cents FROM disbursements d
                   JOIN payments p ON p.id = d.source_id
                  WHERE d.source_kind = 'payment' AND d.disbursed_on <= :end
                 UNION ALL
                 SELECT 'credit', c.account_id, -d.amount_cents FROM disbursements d
                   JOIN credits c ON c.id = d.source_id
                  WHERE d.source_kind = 'credit' AND d.disbursed_on <= :end
             ) GROUP BY account_id ORDER BY account_id",
            named_params! { ":end": w.end },
            |r| {
                Ok(UnappliedRow {
                    account_id: r.get(0)?,
                    payments: money_at(r, 1)?,
                    credits: money_at(r, 2)?,
                })
            },
        )
    }

    /// Per account, the `payment_disbursed`/`credit_disbursed` rows (to window end) that record
    /// the disbursements of one misdirected pair (its source, to its invoice, dated to window
    /// end): what the ledger booked of an application the `target` check reports.
    pub fn ledger_recording(
        &self,
        period: &Period,
        d: &MisdirectedDisbursement,
    ) -> Result<Vec<(String, Money)>> {
        let w = Window::of(period);
        self.collect(
            "SELECT g.account_id, SUM(g.amount_cents)
             FROM disbursements d JOIN ledger g ON g.reference = d.id
             WHERE d.source_kind = :kind AND d.source_id = :source AND d.invoice_id = :invoice
               AND d.disbursed_on <= :end
               AND g.kind IN ('payment_disbursed', 'credit_disbursed') AND g.occurred_at < :after_end
             GROUP BY g.account_id ORDER BY g.account_id",
            named_params! {
                ":kind": d.source_kind.as_str(),
                ":source": d.source_id,
                ":invoice": d.invoice_id,
                ":end": w.end,
                ":after_end": w.after_end,
            },
            |r| Ok((r.get(0)?, money_at(r, 1)?)),
        )
    }

    /// What payment `payment`'s unwindings within a day of one of its reversals or
    /// chargebacks of the window (so from the day before window start), that no
    /// `payment_disbursed` or `credit_disbursed` row (to window end) names, pulled back off
    /// invoices: the ones those undos' own rows record.
    /// Per day and invoice they unwound, with the invoice's account (`None`: no such
    /// invoice).
    pub fn unwound_without_rows(&self, period: &Period, payment: &str) -> Result<Vec<Unwound>> {
        let w = Window::of(period);
        self.collect(
            "SELECT d.invoice_id, (SELECT i.account_id FROM invoices i WHERE i.id = d.invoice_id),
                    d.disbursed_on, -SUM(d.amount_cents) FROM disbursements d
             WHERE d.source_kind = 'payment' AND d.source_id = :payment AND d.amount_cents < 0
               AND d.disbursed_on >= date(:start, '-1 day') AND d.disbursed_on <= :end
               AND EXISTS (SELECT 1 FROM payments p
                           WHERE p.related_payment_id = d.source_id AND p.kind IN ('reversal', 'chargeback')
                             AND p.occurred_on >= :start AND p.occurred_on <= :end
                             AND p.occurred_on >= date(d.disbursed_on, '-1 day')
                             AND p.occurred_on <= date(d.disbursed_on, '+1 day'))
               AND NOT EXISTS (SELECT 1 FROM ledger g
                               WHERE g.reference = d.id AND g.kind IN ('payment_disbursed', 'credit_disbursed')
                                 AND g.occurred_at < :after_end)
             GROUP BY d.disbursed_on, d.invoice_id ORDER BY d.disbursed_on, d.invoice_id",
            named_params! {
                ":payment": payment,
                ":start": w.start,
                ":end": w.end,
                ":after_end": w.after_end,
            },
            |r| {
                Ok(Unwound {
                    invoice_id: r.get(0)?,
                    account_id: r.get(1)?,
                    on: date_at(r, 2)?,
                    amount: money_at(r, 3)?,
                })
            },
        )
    }

    /// The ledger rows of payment `payment`'s reversals and chargebacks of the window (rows
    /// of the undo's kind naming it, to window end), summed per undo, account and invoice.
    pub fn undo_rows(&self, period: &Period, payment: &str) -> Result<Vec<UndoRows>> {
        let w = Window::of(period);
        self.collect(
            "SELECT p.id, g.account_id, g.invoice_id, SUM(g.amount_cents)
             FROM payments p JOIN ledger g ON g.reference = p.id AND g.kind = p.kind
             WHERE p.related_payment_id = :payment AND p.kind IN ('reversal', 'chargeback')
               AND p.occurred_on >= :start AND p.occurred_on <= :end AND g.occurred_at < :after_end
             GROUP BY p.id, g.account_id, g.invoice_id ORDER BY p.id, g.account_id, g.invoice_id",
            named_params! {
                ":payment": payment,
                ":start": w.start,
                ":end": w.end,
                ":after_end": w.after_end,
            },
            |r| {
                Ok(UndoRows {
                    undo_id: r.get(0)?,
                    account_id: r.get(1)?,
                    invoice_id: r.get(2)?,
                    amount: money_at(r, 3)?,
                })
            },
        )
    }

    /// The invoice a disbursement went to (`None`: no such disbursement).
    pub fn invoice_of_disbursement(&self, id: &str) -> Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT invoice_id FROM disbursements WHERE id = :id",
                named_params! { ":id": id },
                |r| r.get(0),
            )
            .optional()
    }

    /// Disbursements in the window per account of the invoice they went to, from payments
    /// and from credits (the window's `disbursed_from_*` figures, split by account).
    pub fn disbursed_by_account(&self, period: &Period) -> Result<Vec<DisbursedRow>> {
        let w = Window::of(period);
        self.collect(
            "SELECT i.account_id,
                    SUM(CASE WHEN d.source_kind = 'payment' THEN d.amount_cents ELSE 0 END),
                    SUM(CASE WHEN d.source_kind = 'credit' THEN d.amount_cents ELSE 0 END)
             FROM disbursements d JOIN invoices i ON i.id = d.invoice_id
             WHERE d.disbursed_on >= :start AND d.disbursed_on <= :end
             GROUP BY i.account_id ORDER BY i.account_id",
            named_params! { ":start": w.start, ":end": w.end },
            |r| {
                Ok(DisbursedRow {
                    account_id: r.get(0)?,
                    from_payments: money_at(r, 1)?,
                    from_credits: money_at(r, 2)?,
                })
            },
        )
    }

    /// Per account, the ledger `adjustment` rows (to window end) on its invoices voided in
    /// the window: what the voids undo besides the invoices' lines (the GL's
    /// `voids-adjustments`). Accounts whose rows net to zero are left out.
    pub fn voided_adjustments_by_account(&self, period: &Period) -> Result<Vec<(String, Money)>> {
        let w = Window::of(period);
        self.collect(
            "SELECT i.account_id, SUM(g.amount_cents)
             FROM invoices i JOIN ledger g ON g.invoice_id = i.id
             WHERE i.status = 'void' AND i.voided_at >= :start AND i.voided_at <= :end
               AND g.kind = 'adjustment' AND g.occurred_at < :after_end
             GROUP BY i.account_id HAVING SUM(g.amount_cents) <> 0 ORDER BY i.account_id",
            named_params! { ":start": w.start, ":end": w.end, ":after_end": w.after_end },
            |r| Ok((r.get(0)?, money_at(r, 1)?)),
        )
    }

    /// The table and the ids (in id order) of a set of source rows, for tracing one
    /// mismatch. Used only for subjects that mismatch.
    pub fn source_ids(&self, period: &Period, rows: &SourceRows<'_>) -> Result<(&'static str, Vec<String>)> {
        let w = Window::of(period);
        // Each set: its table, the query of its ids and the query's parameters (`*id`: the
        // id as `rows` holds it, which outlives the match).
        let (table, sql, params): (&'static str, &str, Params<'_>) = match rows {
            SourceRows::One(table, id) => return Ok((table, vec![id.to_string()])),
            SourceRows::LinesOfInvoice(invoice) => (
                "invoice_lines",
                "SELECT id FROM invoice_lines WHERE invoice_id = :invoice ORDER BY id",
                named_params! { ":invoice": *invoice },
            ),
            SourceRows::DisbursementsToInvoice(invoice) => (
                "disbursements",
                "SELECT id FROM disbursements WHERE invoice_id = :invoice AND disbursed_on <= :end
                     ORDER BY id",
                named_params! { ":invoice": *invoice, ":end": w.end },
            ),
            SourceRows::DisbursementsFrom(kind, source) => (
                "disbursements",
                "SELECT id FROM disbursements
                     WHERE source_kind = :kind AND source_id = :source AND disbursed_on <= :end ORDER BY id",
                named_params! { ":kind": kind.as_str(), ":source": *source, ":end": w.end },
            ),
            SourceRows::PaymentAndUndos(payment) => (
                "payments",
                "SELECT id FROM payments
                     WHERE (id = :payment OR related_payment_id = :payment) AND occurred_on <= :end
                     ORDER BY id",
                named_params! { ":payment": *payment, ":end": w.end },
            ),
            SourceRows::CreditAndReversals(credit) => (
                "credits",
                "SELECT id FROM credits
                     WHERE (id = :credit OR related_credit_id = :credit) AND issued_on <= :end ORDER BY id",
                named_params! { ":credit": *credit, ":end": w.end },
            ),
            SourceRows::LedgerAdjustmentsOfInvoice(invoice) => (
                "ledger",
                "SELECT id FROM ledger
                     WHERE invoice_id = :invoice AND kind = 'adjustment' AND occurred_at < :after_end
                     ORDER BY id",
                named_params! { ":invoice": *invoice, ":after_end": w.after_end },
            ),
            SourceRows::LedgerOfInvoice(invoice) => (
                "ledger",
                "SELECT id FROM ledger
                     WHERE invoice_id = :invoice AND kind <> 'refund' AND occurred_at < :after_end
                     ORDER BY id",
                named_params! { ":invoice": *invoice, ":after_end": w.after_end },
            ),
            SourceRows::LedgerOfAccount(account) => (
                "ledger",
                "SELECT id FROM ledger
                     WHERE account_id = :account AND kind <> 'refund' AND occurred_at < :after_end
                     ORDER BY id",
                named_params! { ":account": *account, ":after_end": w.after_end },
            ),
            SourceRows::LedgerRecordingPayment(payment) => (
                "ledger",
                "SELECT g.id FROM ledger g JOIN payments p ON p.id = g.reference AND p.kind = g.kind
                     WHERE p.id = :payment AND g.occurred_at < :after_end
                     ORDER BY g.id",
                named_params! { ":payment": *payment, ":after_end": w.after_end },
            ),
            SourceRows::UnwindingsOfUndo(undo) => (
                "disbursements",
                "SELECT d.id FROM disbursements d JOIN payments p
                       ON d.source_kind = 'payment' AND d.source_id = p.related_payment_id
                      AND d.disbursed_on = p.occurred_on
                     WHERE p.id = :undo AND p.kind IN ('reversal', 'chargeback')
                     ORDER BY d.id",
                named_params! { ":undo": *undo },
            ),
            SourceRows::LedgerPostingInvoice(invoice) => (
                "ledger",
                "SELECT id FROM ledger
                     WHERE invoice_id = :invoice AND kind = 'invoice_posted' AND occurred_at < :after_end
                     ORDER BY id",
                named_params! { ":invoice": *invoice, ":after_end": w.after_end },
            ),
            SourceRows::LedgerVoidingInvoice(invoice) => (
                "ledger",
                "SELECT id FROM ledger
                     WHERE invoice_id = :invoice AND kind = 'void' AND occurred_at < :after_end
                     ORDER BY id",
                named_params! { ":invoice": *invoice, ":after_end": w.after_end },
            ),
            SourceRows::OtherStatementsOfProgram(statement) => (
                "program_statements",
                "SELECT o.id FROM program_statements s JOIN program_statements o
                       ON o.program_id = s.program_id AND o.id <> s.id
                     WHERE s.id = :statement
                     ORDER BY o.id",
                named_params! { ":statement": *statement },
            ),
            SourceRows::LedgerRefundingCredit(reversal) => (
                "ledger",
                "SELECT g.id FROM ledger g JOIN credits c ON c.id = g.reference
                     WHERE c.id = :reversal AND g.kind = 'refund' AND g.occurred_at < :after_end
                     ORDER BY g.id",
                named_params! { ":reversal": *reversal, ":after_end": w.after_end },
            ),
            SourceRows::LedgerRecordingDisbursement(disbursement) => (
                "ledger",
                "SELECT id FROM ledger
                     WHERE reference = :disbursement AND kind IN ('payment_disbursed', 'credit_disbursed')
                       AND occurred_at < :after_end
                     ORDER BY id",
                named_params! { ":disbursement": *disbursement, ":after_end": w.after_end },
            ),
            SourceRows::ReceivableInvoicesOfAccount(account) => (
                "invoices",
                concat!(
                    "SELECT i.id FROM invoices i WHERE i.account_id = :account AND ",
                    receivable_at_end!(),
                    " ORDER BY i.id"
                ),
                named_params! { ":account": *account, ":end": w.end },
            ),
            SourceRows::ReceivableInvoicesWithBalance => (
                "invoices",
                concat!(
                    "SELECT i.id FROM invoices i WHERE ",
                    receivable_at_end!(),
                    " AND ",
                    balance_at_end!(),
                    " <> 0 ORDER BY i.id"
                ),
                named_params! { ":end": w.end, ":after_end": w.after_end },
            ),
            SourceRows::ClosePopulation => (
                "invoices",
                concat!(
                    "SELECT i.id FROM invoices i WHERE ",
                    in_close_population!(),
                    " ORDER BY i.id"
                ),
                named_params! { ":start": w.start, ":end": w.end },
            ),
            SourceRows::BatchLines(batch) => (
                "export_lines",
                "SELECT id FROM export_lines WHERE batch_id = :batch ORDER BY id",
                named_params! { ":batch": *batch },
            ),
            SourceRows::BatchLinesOfAccount(batch, account) => (
                "export_lines",
                "SELECT id FROM export_lines WHERE batch_id = :batch AND account_id = :account
                     ORDER BY id",
                named_params! { ":batch": *batch, ":account": *account },
            ),
            SourceRows::BatchLinesOfInvoice(batch, invoice) => (
                "export_lines",
                "SELECT id FROM export_lines WHERE batch_id = :batch AND invoice_id = :invoice
                     ORDER BY id",
                named_params! { ":batch": *batch, ":invoice": *invoice },
            ),
            SourceRows::RatedUsage(account) => (
                "usage_events",
                "SELECT id FROM usage_events
                     WHERE account_id = :account AND state = 'rated'
                       AND occurred_at >= :start AND occurred_at < :after_end
                     ORDER BY id",
                named_params! { ":account": *account, ":start": w.start, ":after_end": w.after_end },
            ),
            SourceRows::OpenUsage(account) => (
                "usage_events",
                "SELECT id FROM usage_events
                     WHERE account_id = :account AND state IN ('unprocessed', 'rerating')
                       AND occurred_at >= :start AND occurred_at < :after_end
                     ORDER BY id",
                named_params! { ":account": *account, ":start": w.start, ":after_end": w.after_end },
            ),
            SourceRows::BilledUsageLines(account) => (
                "invoice_lines",
                concat!(
                    "SELECT l.id FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
                     WHERE i.account_id = :account AND l.kind = 'usage'
                       AND ",
                    line_billed_in_window!(),
                    "
                     ORDER BY l.id"
                ),
                named_params! { ":account": *account, ":start": w.start, ":end": w.end },
            ),
            SourceRows::BilledProgramFeeLines(program) => (
                "invoice_lines",
                concat!(
                    "SELECT l.id FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
                     WHERE l.program_id = :program AND l.kind = 'program_fee'
                       AND ",
                    line_billed_in_window!(),
                    "
                     ORDER BY l.id"
                ),
                named_params! { ":program": *program, ":start": w.start, ":end": w.end },
            ),
            SourceRows::BilledProgramFeeLinesOfStatement(statement) => (
                "invoice_lines",
                concat!(
                    "SELECT l.id FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
                     JOIN program_statements s ON s.program_id = l.program_id
                     WHERE s.id = :statement AND l.kind = 'program_fee'
                       AND ",
                    line_billed_in_window!(),
                    "
                     ORDER BY l.id"
                ),
                named_params! { ":statement": *statement, ":start": w.start, ":end": w.end },
            ),
            SourceRows::PresentedInvoiceLine(statement_line) => (
                "invoice_lines",
                "SELECT invoice_line_id FROM statement_lines
                     WHERE id = :statement_line AND invoice_line_id IS NOT NULL",
                named_params! { ":statement_line": *statement_line },
            ),
            SourceRows::InvoiceOfPresentedLine(statement_line) => (
                "invoices",
                "SELECT l.invoice_id FROM statement_lines sl JOIN invoice_lines l ON l.id = sl.invoice_line_id
                     WHERE sl.id = :statement_line",
                named_params! { ":statement_line": *statement_line },
            ),
            SourceRows::OtherLinesPresentingFee(statement_line) => (
                "statement_lines",
                "SELECT o.id FROM statement_lines sl JOIN statement_lines o
                       ON o.invoice_line_id = sl.invoice_line_id AND o.id <> sl.id
                     WHERE sl.id = :statement_line
                     ORDER BY o.id",
                named_params! { ":statement_line": *statement_line },
            ),
            SourceRows::DisbursementsToInvoiceToExport(invoice) => (
                "disbursements",
                "SELECT id FROM disbursements WHERE invoice_id = :invoice ORDER BY id",
                named_params! { ":invoice": *invoice },
            ),
            SourceRows::LedgerAdjustmentsOfInvoiceToExport(invoice) => (
                "ledger",
                "SELECT id FROM ledger WHERE invoice_id = :invoice AND kind = 'adjustment' ORDER BY id",
                named_params! { ":invoice": *invoice },
            ),
            SourceRows::AggregatesOfLine(line) => (
                "usage_daily",
                "SELECT CAST(row AS TEXT) FROM usage_daily
                     WHERE invoice_line_id = :line AND day < :after_end ORDER BY row",
                named_params! { ":line": *line, ":after_end": w.after_end },
            ),
            SourceRows::EventsOfLine(line) => (
                "usage_events",
                "SELECT id FROM usage_events
                     WHERE invoice_line_id = :line AND occurred_at < :after_end ORDER BY id",
                named_params! { ":line": *line, ":after_end": w.after_end },
            ),
            SourceRows::DisbursementsOfPair(disbursement) => (
                "disbursements",
                "SELECT d.id FROM disbursements d JOIN disbursements s
                       ON s.source_kind = d.source_kind AND s.source_id = d.source_id
                      AND s.invoice_id = d.invoice_id
                     WHERE s.id = :disbursement AND d.disbursed_on <= :end ORDER BY d.id",
                named_params! { ":disbursement": *disbursement, ":end": w.end },
            ),
        };
        // At most SOURCE_ROWS_CAP ids per set: the first ones in id order (a GL `ar-total`
        // gap would otherwise list every receivable invoice of the period).
        let capped = format!("{sql} LIMIT {SOURCE_ROWS_CAP}");
        Ok((table, self.collect(&capped, params, |r| r.get(0))?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_strictly() {
        assert_eq!(
            parse_date_bytes(b"2026-03-31"),
            NaiveDate::from_ymd_opt(2026, 3, 31)
        );
        assert_eq!(
            parse_date_bytes(b"2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        for bad in [
            "2026-02-29",
            "2026-3-01",
            "2026/03/01",
            "2026-03-1x",
            "+026-03-01",
            "2026-03-01T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_date_bytes(bad.as_bytes()), None, "{bad}");
        }
    }
}

/// A count of source rows and the sum of their amounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    pub count: u64,
    pub amount: Money,
}

impl Tally {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// The activity a snapshot holds dated after window end (up to its export), by kind: a
/// count and an amount each. It moves nothing in the period, and is shown as such
/// (docs/reconciliation.md, "As of window end"): the after-window step's figures are this,
/// as read (`reconcile::after`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfterWindowActivity {
    /// Invoices (not drafts) posted after window end: not in the close set.
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub invoices_posted: Tally,
    /// Invoices receivable at window end and voided after it: their voids are the next
    /// period's (totals).
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub invoices_voided: Tally,
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub payments_received: Tally,
    /// Reversals, refunds and chargebacks.
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub payment_undos: Tally,
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub credits_issued: Tally,
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub credits_reversed: Tally,
    /// Disbursements, net (unwinding ones are negative).
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub disbursements: Tally,
    /// Ledger rows of every kind, net.
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub ledger_rows: Tally,
    /// Usage events (their rated amounts), raw or pre-aggregated (their event counts).
    #[serde(default, skip_serializing_if = "Tally::is_empty")]
    pub usage_events: Tally,
}

impl Snapshot {
    /// Every kind of activity dated after window end, counted and summed (the events counted
    /// and summed in one pass).
    pub fn after_window_activity(&self, period: &Period, basis: Basis) -> Result<AfterWindowActivity> {
        let w = Window::of(period);
        let rows = self.collect(
            &basis.sql(&aggregates::AFTER_WINDOW),
            on(basis, named_params! { ":end": w.end, ":after_end": w.after_end }),
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Tally {
                        count: count_at(r, 1)?,
                        amount: money_at(r, 2)?,
                    },
                ))
            },
        )?;
        let mut a = AfterWindowActivity::default();
        for (what, tally) in rows {
            let slot = match what.as_str() {
                "invoices_posted" => &mut a.invoices_posted,
                "invoices_voided" => &mut a.invoices_voided,
                "payments_received" => &mut a.payments_received,
                "payment_undos" => &mut a.payment_undos,
                "credits_issued" => &mut a.credits_issued,
                "credits_reversed" => &mut a.credits_reversed,
                "disbursements" => &mut a.disbursements,
                "ledger_rows" => &mut a.ledger_rows,
                _ => &mut a.usage_events,
            };
            *slot = tally;
        }
        Ok(a)
    }
}
