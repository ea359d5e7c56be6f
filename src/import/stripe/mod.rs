//! Stripe's own objects → a new period snapshot, all or nothing (docs/import-stripe.md).
//!
//! `closedesk import --from stripe DIR --window 2026-03 --out FILE` reads the JSON Stripe's
//! list endpoints return (one file per object type: the list, or JSON Lines) and the
//! period file `closedesk.toml`, maps every object to the snapshot's source rows, derives
//! the account ledger from the same events, and writes the snapshot through the same
//! build as the CSV import. Every object that cannot be mapped is a problem naming its
//! file, id and reason; with any problem nothing is written.
//!
//! - `read`: the files, their objects, and typed access to Stripe's fields (amounts as
//!   integers in the currency's minor unit, timestamps as UTC).
//! - `config`: `closedesk.toml`, what Stripe does not know about the period.
//! - `map`: object → rows, and the derived ledger.
//! - `units`: Stripe's minor unit of a currency → ISO 4217's (MGA ×100, ISK ÷100).

pub mod config;
pub mod map;
pub mod read;
pub mod units;

use std::path::Path;

use chrono::{Datelike, NaiveDate};

use super::{build, Dir, ImportError, Imported, Problem, MAX_PROBLEMS};
use crate::money::{Money, MAX_ABS_CENTS, MAX_TOTAL_ABS_CENTS};
use crate::snapshot::model::{Period, PeriodStatus, SourceData};
use crate::text::{inert, inert_path};

/// What `source_counts.file` says the ledger's rows came from: they are closedesk's, made
/// from the Stripe events, not a ledger Stripe exported.
pub const DERIVED_LEDGER: &str = "derived by closedesk from the Stripe events (import --from stripe)";

/// `YYYY-MM` → the period id and its first and last day.
pub fn parse_window(window: &str) -> Option<(String, NaiveDate, NaiveDate)> {
    let bytes = window.as_bytes();
    if bytes.len() != 7 || bytes[4] != b'-' {
        return None;
    }
    let start = NaiveDate::parse_from_str(&format!("{window}-01"), "%Y-%m-%d").ok()?;
    let next = if start.month() == 12 {
        NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)?
    };
    Some((window.to_string(), start, next.pred_opt()?))
}

/// What `source_counts.file` records for each table of a Stripe import.
pub fn file_of(table: &str) -> String {
    match table {
        "period" | "lane_owners" | "roster" => "closedesk.toml".into(),
        "accounts" => "stripe customers".into(),
        "invoices" | "invoice_lines" => "stripe invoices (lines, tax and discounts)".into(),
        "payments" => "stripe charges or payment intents, refunds, disputes, out-of-band payments".into(),
        "credits" => "stripe credit notes (pre-payment)".into(),
        "disbursements" => "stripe charges/invoice payments, credit notes, disputes".into(),
        "ledger" => DERIVED_LEDGER.into(),
        _ => "none (not in Stripe)".into(),
    }
}

/// The objects of `dir`, read and mapped, as the source data of the period `window`.
/// Every problem (up to [`MAX_PROBLEMS`]) names its file (under `dir`), the object's id and
/// the reason.
pub fn read_dir(dir: &Path, window: &str) -> Result<SourceData, ImportError> {
    Dir::new(dir)?;
    let mut problems: Vec<Problem> = Vec::new();
    let mut window_parsed = parse_window(window);
    match &window_parsed {
        None => problems.push(read::file_problem(
            "--window",
            0,
            format!(
                "'{}' is not a month (expected YYYY-MM, e.g. 2026-03)",
                inert(window)
            ),
        )),
        // As a window_start in period.csv or through --map: a year before 1900 is a
        // two-digit year written with four digits (it imported an empty period, clean).
        Some((_, start, _)) if start.year() < super::cells::MIN_YEAR => {
            problems.push(read::file_problem(
                "--window",
                0,
                format!(
                    "'{}'{}",
                    inert(window),
                    super::cells::before_min_year(&inert(window.get(..4).unwrap_or_default()))
                ),
            ));
            window_parsed = None;
        }
        Some(_) => {}
    }
    let period_file = match crate::import::read_text(&dir.join(config::FILE)) {
        Ok(text) => match config::parse(&text) {
            Ok(p) => Some(p),
            Err(reasons) => {
                for reason in reasons {
                    problems.push(read::file_problem(config::FILE, 0, inert(&reason)));
                }
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            problems.push(read::file_problem(
                config::FILE,
                0,
                "missing: Stripe does not know the period's entity, close owner and materiality; write them in this file (docs/import-stripe.md, \"The period file\")".into(),
            ));
            None
        }
        Err(e) => {
            problems.push(read::file_problem(config::FILE, 0, format!("cannot read: {e}")));
            None
        }
    };

    // A page beside an object file would be left out without a word: refused, named.
    problems.extend(read::unread_pages(dir));
    let mut objects = map::Objects::default();
    for (stem, object) in read::KINDS {
        let found = read::read_kind(dir, stem, object, &mut problems);
        match *stem {
            "customers" | "invoices" if found.is_none() => problems.push(read::file_problem(
                &format!("{stem}.json"),
                0,
                format!("missing: {stem} are required (the list as Stripe returns it, or JSON Lines)"),
            )),
            _ => {}
        }
        let slot = match *stem {
            "charges" => &mut objects.charges,
            "payment_intents" => &mut objects.payment_intents,
            "invoice_payments" => &mut objects.invoice_payments,
            _ => {
                let list = found.unwrap_or_default();
                match *stem {
                    "customers" => objects.customers = list,
                    "invoices" => objects.invoices = list,
                    "refunds" => objects.refunds = list,
                    "disputes" => objects.disputes = list,
                    "credit_notes" => objects.credit_notes = list,
                    _ => objects.customer_balance_transactions = list,
                }
                continue;
            }
        };
        *slot = found;
    }
    if objects.charges.is_some() && objects.payment_intents.is_some() {
        problems.push(read::file_problem(
            "payment_intents.json",
            0,
            "charges.json is there too: give the charges or the payment intents, not both (each payment would count twice)".into(),
        ));
        objects.payment_intents = None;
    }

    let pinned = period_file.as_ref().and_then(|p| p.currency.clone());
    let (mapped, refusals) = map::map(&mut objects, pinned.as_deref());
    problems.extend(refusals);

    let mut data = None;
    if let (Some((id, window_start, window_end)), Some(p)) = (window_parsed, period_file) {
        if let Some(exported) = p.exported_on {
            if exported < window_end {
                problems.push(read::file_problem(
                    config::FILE,
                    0,
                    format!("exported_on {exported} is before the window's end {window_end}"),
                ));
            }
        }
        match mapped.currency.clone() {
            None => problems.push(read::file_problem(
                config::FILE,
                0,
                "no object carries a currency: name the period's with currency = \"usd\"".into(),
            )),
            Some(currency) => {
                if let Err(e) = crate::money::currency_decimals(&currency) {
                    // Named where it comes from: the file pins it, or the objects carry it.
                    let whose = if pinned.is_some() {
                        "currency"
                    } else {
                        "the objects' currency (closedesk.toml pins none)"
                    };
                    problems.push(read::file_problem(
                        config::FILE,
                        0,
                        format!("{whose} {} {e}", inert(&currency)),
                    ));
                }
                // The thresholds are written as Stripe writes amounts, and converted as they are.
                let mut materiality = p.materiality;
                if let Ok(scale) = units::Scale::of(&currency) {
                    for (name, m) in ["medium", "high", "critical"].iter().zip(materiality.iter_mut()) {
                        match scale.apply(&format!("materiality.{name}"), m.cents()) {
                            Ok(converted) => *m = Money::from_cents(converted),
                            Err(reason) => problems.push(read::file_problem(config::FILE, 0, reason)),
                        }
                    }
                }
                let period = Period {
                    id,
                    entity: p.entity,
                    window_start,
                    window_end,
                    currency,
                    close_owner: p.close_owner,
                    materiality_medium: materiality[0],
                    materiality_high: materiality[1],
                    materiality_critical: materiality[2],
                    last_clean_period: p.last_clean_period,
                    last_clean_date: p.last_clean_date,
                    status: PeriodStatus::Open,
                    exported_on: p.exported_on,
                };
                let mut d = SourceData::new(period);
                d.lane_owners = p.lane_owners;
                d.roster = p.roster;
                d.accounts = mapped.accounts;
                d.invoices = mapped.invoices;
                d.invoice_lines = mapped.invoice_lines;
                d.payments = mapped.payments;
                d.credits = mapped.credits;
                d.disbursements = mapped.disbursements;
                d.ledger = mapped.ledger;
                bounds(&d, &mut problems);
                data = Some(d);
            }
        }
    }
    if !problems.is_empty() {
        let more = problems.len().saturating_sub(MAX_PROBLEMS);
        problems.truncate(MAX_PROBLEMS);
        for p in &mut problems {
            if !p.file.starts_with("--") {
                p.file = inert_path(&dir.join(&p.file));
            }
        }
        return Err(ImportError::Problems { problems, more });
    }
    data.ok_or_else(|| ImportError::Io("no usable period".into()))
}

/// Every amount, and all of them together, within the snapshot's bounds
/// (docs/snapshot-format.md, "Bounds").
fn bounds(d: &SourceData, problems: &mut Vec<Problem>) {
    let amounts = d
        .invoices
        .iter()
        .flat_map(|i| {
            [
                ("invoices.json", &i.id, i.total),
                ("invoices.json", &i.id, i.balance),
            ]
        })
        .chain(
            d.invoice_lines
                .iter()
                .map(|l| ("invoices.json", &l.invoice_id, l.amount)),
        )
        .chain(d.payments.iter().map(|p| ("payments", &p.id, p.amount)))
        .chain(d.credits.iter().map(|c| ("credit_notes.json", &c.id, c.amount)))
        .chain(d.disbursements.iter().map(|x| ("disbursements", &x.id, x.amount)))
        .chain(d.ledger.iter().map(|l| ("ledger (derived)", &l.id, l.amount)));
    let mut total: i128 = 0;
    for (file, id, amount) in amounts {
        let cents = amount.cents();
        total += i128::from(cents).abs();
        let reason = if cents.unsigned_abs() >= MAX_ABS_CENTS as u64 {
            "an amount of 10^15 minor units or more (10,000,000,000,000.00 in a two-decimal currency)"
        } else if total >= MAX_TOTAL_ABS_CENTS {
            "the period's amounts together reach 10^15 minor units (10,000,000,000,000.00 in a two-decimal currency)"
        } else {
            continue;
        };
        problems.push(read::file_problem(file, 0, format!("{}: {reason}", inert(id))));
        if total >= MAX_TOTAL_ABS_CENTS {
            return;
        }
    }
}

/// Reads `dir` ([`read_dir`]) and builds the snapshot `out` from it, all or nothing. The
/// target is checked first, so a refused target costs no reading.
pub fn import_dir(dir: &Path, window: &str, out: &Path, force: bool) -> Result<Imported, ImportError> {
    build::check_target(out, force)?;
    let data = read_dir(dir, window)?;
    build::build_with(out, force, |snapshot| {
        snapshot.bulk_load_from(&data.period, &file_of, |writer| writer.source_data(&data))
    })?;
    Ok(Imported {
        events_parquet: false,
        daily_rows: None,
        counts: data.row_counts(),
        period: data.period,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use crate::snapshot::model::{Credit, CreditKind, LedgerEntry, LedgerKind, Payment, PaymentKind};

    #[test]
    fn a_window_is_a_calendar_month() {
        let (id, start, end) = parse_window("2026-02").unwrap();
        assert_eq!(
            (id.as_str(), start.to_string(), end.to_string()),
            ("2026-02", "2026-02-01".into(), "2026-02-28".into())
        );
        assert_eq!(parse_window("2026-12").unwrap().2.to_string(), "2026-12-31");
        for bad in ["2026-3", "2026-13", "2026/03", "26-03-01", ""] {
            assert!(parse_window(bad).is_none(), "{bad}");
        }
    }

    fn with_amounts(payment: i64, credit: i64, ledger: i64) -> SourceData {
        let on = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let mut d = SourceData::new(crate::demo::scale::period());
        d.payments.push(Payment {
            id: "py_1".into(),
            account_id: "cus_1".into(),
            kind: PaymentKind::Payment,
            related_payment_id: None,
            occurred_on: on,
            amount: Money::from_cents(payment),
            reference: None,
        });
        d.credits.push(Credit {
            id: "cn_1".into(),
            account_id: "cus_1".into(),
            kind: CreditKind::Credit,
            related_credit_id: None,
            issued_on: on,
            amount: Money::from_cents(credit),
            reason: None,
        });
        d.ledger.push(LedgerEntry {
            id: "le_1".into(),
            account_id: "cus_1".into(),
            invoice_id: None,
            occurred_at: on.and_hms_opt(9, 0, 0).unwrap(),
            kind: LedgerKind::PaymentDisbursed,
            amount: Money::from_cents(ledger),
            reference: None,
        });
        d
    }

    fn bounds_of(d: &SourceData) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        bounds(d, &mut problems);
        problems.into_iter().map(|p| (p.file, p.reason)).collect()
    }

    #[test]
    fn an_amount_or_the_amounts_together_out_of_bounds_are_refused_once_in_file_order() {
        assert_eq!(bounds_of(&with_amounts(100, 200, -300)), []);
        // 10^15 minor units in one payment: refused, and the total is reached with it.
        assert_eq!(
            bounds_of(&with_amounts(1_000_000_000_000_000, 1, 1)),
            [(
                "payments".to_string(),
                "py_1: an amount of 10^15 minor units or more (10,000,000,000,000.00 in a two-decimal \
                 currency)"
                    .to_string()
            )]
        );
        // 4·10^14 + 4·10^14 + |−4·10^14| = 1.2·10^15: the ledger row (after the credits)
        // is the one that reaches the total.
        assert_eq!(
            bounds_of(&with_amounts(
                400_000_000_000_000,
                400_000_000_000_000,
                -400_000_000_000_000
            )),
            [(
                "ledger (derived)".to_string(),
                "le_1: the period's amounts together reach 10^15 minor units (10,000,000,000,000.00 in \
                 a two-decimal currency)"
                    .to_string()
            )]
        );
    }

    #[test]
    fn the_ledger_says_it_is_derived() {
        assert_eq!(file_of("ledger"), DERIVED_LEDGER);
        assert_eq!(file_of("usage_events"), "none (not in Stripe)");
    }
}
