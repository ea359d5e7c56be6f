//! How source values are stored (dates, timestamps, cents) and the rows every new
//! snapshot starts with (the period, the checklist, the import counts): shared by the
//! bulk load (`bulk`) and the in-memory insert (`write`), which know nothing of each other
//! beyond [`super::bulk::RowWriter`].

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rusqlite::{params, Transaction};

use super::model::Period;
use super::schema::CHECKLIST_ITEMS;
use crate::money::Money;

/// `YYYY-MM-DD`, without the general-purpose format machinery (called per row).
pub(super) fn date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

pub(super) fn opt_date(d: Option<NaiveDate>) -> Option<String> {
    d.map(date)
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(super) fn ts(t: NaiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub(super) fn cents(m: Money) -> i64 {
    m.cents()
}

/// The period row, `open`.
pub(super) fn insert_period(tx: &Transaction<'_>, p: &Period) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO period (id, entity, window_start, window_end, currency, close_owner,
            materiality_medium_cents, materiality_high_cents, materiality_critical_cents,
            last_clean_period, last_clean_date, status, exported_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open', ?12)",
        params![
            p.id,
            p.entity,
            date(p.window_start),
            date(p.window_end),
            p.currency,
            p.close_owner,
            cents(p.materiality_medium),
            cents(p.materiality_high),
            cents(p.materiality_critical),
            p.last_clean_period,
            opt_date(p.last_clean_date),
            opt_date(p.exported_on),
        ],
    )?;
    Ok(())
}

/// The eight checklist items, all `pending`.
pub(super) fn insert_checklist(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut st = tx.prepare("INSERT INTO checklist (item, title, status) VALUES (?1, ?2, 'pending')")?;
    for (i, title) in CHECKLIST_ITEMS.iter().enumerate() {
        st.execute(params![i as i64 + 1, title])?;
    }
    Ok(())
}

/// The import metadata: one `source_counts` row per source table, its rows as written and
/// the file they came from (`file_of(table)`).
pub(super) fn insert_source_counts(
    tx: &Transaction<'_>,
    counts: &[(&str, i64)],
    file_of: &dyn Fn(&str) -> String,
) -> rusqlite::Result<()> {
    let mut st = tx.prepare("INSERT INTO source_counts (table_name, file, rows) VALUES (?1, ?2, ?3)")?;
    for (table, rows) in counts {
        st.execute(params![table, file_of(table), rows])?;
    }
    Ok(())
}
