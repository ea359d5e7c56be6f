//! Typed read queries. Dates are stored as ISO text and compare as text.

use chrono::NaiveDate;
use rusqlite::Row;

use super::model::{Period, PeriodStatus, DATE_FORMAT};
use super::schema::{SOURCE_TABLES, WORKFLOW_TABLES};
use super::Snapshot;
use crate::money::Money;

/// Reads an ISO date column; a malformed value is a conversion error naming the column.
pub(crate) fn date_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<NaiveDate> {
    let text: String = row.get(idx)?;
    NaiveDate::parse_from_str(&text, DATE_FORMAT)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e)))
}

pub(crate) fn opt_date_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| {
        NaiveDate::parse_from_str(&t, DATE_FORMAT).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

pub(crate) fn money_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Money> {
    Ok(Money::from_cents(row.get(idx)?))
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
    pub fn period(&self) -> rusqlite::Result<Period> {
        self.conn().query_row(
            "SELECT id, entity, window_start, window_end, currency, close_owner,
                    materiality_medium_cents, materiality_high_cents, materiality_critical_cents,
                    last_clean_period, last_clean_date, status
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
                })
            },
        )
    }
}

/// Checklist progress: items done, of how many, and the first item not done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChecklistProgress {
    pub done: u32,
    pub total: u32,
    pub next: Option<(u32, String)>,
}

impl Snapshot {
    pub fn checklist_progress(&self) -> rusqlite::Result<ChecklistProgress> {
        let mut st = self
            .conn()
            .prepare("SELECT item, title, status FROM checklist ORDER BY item")?;
        let mut progress = ChecklistProgress {
            done: 0,
            total: 0,
            next: None,
        };
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (item, title, status) = row?;
            progress.total += 1;
            if status == "done" {
                progress.done += 1;
            } else if progress.next.is_none() {
                progress.next = Some((item, title));
            }
        }
        Ok(progress)
    }
}
