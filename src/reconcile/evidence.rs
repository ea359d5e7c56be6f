//! The evidence behind one mismatch, as a reviewer checks it (docs/reconciliation.md,
//! "Tracing a mismatch"): the source rows behind its expected and its actual figure with
//! their dates, accounts and amounts, the sums of those amounts (marked where a sum is the
//! figure), and where a check compares two sides row by row, that comparison with the
//! differing rows marked. The CLI's `mismatch KEY --rows` and the cockpit show the same.
//!
//! Reads rows through `Snapshot::source_rows`; no workflow rule here. Its one display is
//! [`text`], the plain-text form the CLI prints and the cockpit shows.

use std::fmt::Write as _;

use serde::Serialize;

use super::{exports, Reconciliation};
use crate::money::Money;
use crate::snapshot::queries::SOURCE_ROWS_CAP;
use crate::snapshot::trace::SourceRow;
use crate::snapshot::Snapshot;
use crate::text::inert;

/// One side of a mismatch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    /// The mismatch's figure for this side.
    pub figure: Money,
    pub rows: Vec<SourceRow>,
    /// Per table and amount: the sum over the side's rows.
    pub sums: Vec<Sum>,
    /// A set of its rows stopped at [`SOURCE_ROWS_CAP`]: the rows are the first ones, and
    /// the sums are of them only, not of the figure.
    pub capped: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sum {
    pub table: &'static str,
    pub amount: &'static str,
    pub total: Money,
    /// The sum is the side's figure.
    pub is_figure: bool,
    /// The sum is minus the side's figure (a ledger row recording a disbursement or a
    /// refund carries it negated), and not zero.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_minus_figure: bool,
}

/// Two sides compared row by row (an export's lines by account against what each account
/// should carry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Compare {
    /// What is compared, in words.
    pub what: String,
    /// What a row is (`account`, `statement line`).
    pub id_is: String,
    pub expected_is: String,
    pub actual_is: String,
    pub rows: Vec<CompareRow>,
    /// What the rows do not show, e.g. a header total that differs from its lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CompareRow {
    pub id: String,
    pub name: Option<String>,
    pub expected: Money,
    pub actual: Money,
    pub difference: Money,
    pub differs: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub key: String,
    pub title: String,
    pub expected: Side,
    pub actual: Side,
    pub variance: Money,
    /// What to do, in full: where a figure is made of more than its rows (a roll-forward's
    /// expected less the rows reported on their own), it says so.
    pub next_action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare: Option<Compare>,
}

fn side(figure: Money, rows: Vec<SourceRow>) -> Side {
    let mut sums: Vec<Sum> = Vec::new();
    for row in &rows {
        for (amount, value) in &row.amounts {
            match sums
                .iter_mut()
                .find(|s| s.table == row.table && s.amount == *amount)
            {
                Some(sum) => sum.total += *value,
                None => sums.push(Sum {
                    table: row.table,
                    amount,
                    total: *value,
                    is_figure: false,
                    is_minus_figure: false,
                }),
            }
        }
    }
    let capped = sums
        .iter()
        .any(|sum| rows.iter().filter(|r| r.table == sum.table).count() >= SOURCE_ROWS_CAP);
    for sum in &mut sums {
        sum.is_figure = !capped && sum.total == figure;
        sum.is_minus_figure = !capped && !figure.is_zero() && sum.total == -figure;
    }
    Side {
        figure,
        rows,
        sums,
        capped,
    }
}

/// The evidence of the mismatch `key` of `recon`, read from `snapshot`; `None` when the
/// engine does not report that key.
pub fn evidence(
    snapshot: &Snapshot,
    recon: &Reconciliation,
    key: &str,
) -> rusqlite::Result<Option<Evidence>> {
    let Some(m) = recon.mismatches.iter().find(|m| m.key == key) else {
        return Ok(None);
    };
    let rows = |refs: &[super::SourceRef]| {
        snapshot.source_rows(&recon.period, refs.iter().map(|r| (r.table, r.id.as_str())))
    };
    let expected = side(m.expected, rows(&m.expected_rows)?);
    let actual = side(m.actual, rows(&m.actual_rows)?);
    let compare = match m.lane {
        crate::snapshot::model::Lane::Exports => {
            let batch_id = m.subject.split_once('/').map_or(m.subject.as_str(), |(b, _)| b);
            match recon.steps.exports.batches.iter().find(|b| b.id == batch_id) {
                Some(batch) => {
                    let extracts = snapshot.extract_accounts(snapshot.aggregates_basis()?)?;
                    let names = snapshot.account_names()?;
                    let pairs = exports::accounts_of(batch, &extracts, &recon.steps.rollforward);
                    (!pairs.is_empty()).then(|| Compare {
                        what: format!("{} lines by account", batch.id),
                        id_is: "account".into(),
                        expected_is: match batch.kind {
                            crate::snapshot::model::BatchKind::Gl => "window-end AR".into(),
                            _ => "ledger closing AR".into(),
                        },
                        actual_is: "lines".into(),
                        rows: pairs
                            .into_iter()
                            .map(|(account, expected, actual)| CompareRow {
                                id: account.to_string(),
                                name: names.get(account).cloned(),
                                expected,
                                actual,
                                difference: actual - expected,
                                differs: actual != expected,
                            })
                            .collect(),
                        note: (batch.header_total != batch.lines_total).then(|| {
                            format!(
                                "the lines add up to {}; the batch header says {}",
                                batch.lines_total.grouped(),
                                batch.header_total.grouped()
                            )
                        }),
                    })
                }
                None => None,
            }
        }
        crate::snapshot::model::Lane::EmployerPrograms | crate::snapshot::model::Lane::Statements => {
            statement_compare(snapshot, &recon.period, m)?
        }
        crate::snapshot::model::Lane::Usage => usage_compare(snapshot, &recon.period, m)?,
        _ => None,
    };
    Ok(Some(Evidence {
        key: m.key.clone(),
        title: m.title.clone(),
        expected,
        actual,
        variance: m.variance,
        next_action: m.next_action.clone(),
        compare,
    }))
}

/// [`evidence`] on the file as it is now. It runs the engine: the per-account compare needs
/// its full figures, which the stored result does not keep.
pub fn evidence_now(snapshot: &Snapshot, key: &str) -> rusqlite::Result<Option<Evidence>> {
    let full = super::run(snapshot)?;
    evidence(snapshot, &full, key)
}

/// Usage rated against billed, line by line: each usage line billed in the window of the
/// mismatch's account, its amount against the rated amounts of its own account's events
/// billed on it (as `usage:{line}:events` checks it), then the account's events rated in
/// the window that no such line carries (as `usage:{event}:unbilled` does).
fn usage_compare(
    snapshot: &Snapshot,
    period: &crate::snapshot::model::Period,
    m: &super::Mismatch,
) -> rusqlite::Result<Option<Compare>> {
    let account = snapshot.usage_subject_account(&m.subject)?;
    let lines = snapshot.usage_lines_rated(period, &account)?;
    let unbilled: Vec<_> = snapshot
        .unbilled_usage(period, snapshot.aggregates_basis()?)?
        .into_iter()
        .filter(|e| e.account_id == account)
        .collect();
    if lines.is_empty() && unbilled.is_empty() {
        return Ok(None);
    }
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let mut rows: Vec<CompareRow> = lines
        .iter()
        .map(|l| {
            let mut name = format!("on {}, {} event{}", l.invoice_id, l.events, plural(l.events));
            if l.foreign_count > 0 {
                name.push_str(&format!(
                    " + {} of another account ({})",
                    l.foreign_count,
                    l.foreign_amount.grouped()
                ));
            }
            CompareRow {
                id: l.id.clone(),
                name: Some(name),
                expected: l.rated,
                actual: l.billed,
                difference: l.billed - l.rated,
                differs: l.billed != l.rated,
            }
        })
        .collect();
    rows.extend(unbilled.iter().map(|e| CompareRow {
        id: e.id.clone(),
        name: Some("event billed on no line".to_string()),
        expected: e.rated,
        actual: Money::ZERO,
        difference: -e.rated,
        differs: true,
    }));
    let names = snapshot.account_names()?;
    let who = match names.get(account.as_str()) {
        Some(name) => format!("{account} ({name})"),
        None => account.clone(),
    };
    Ok(Some(Compare {
        what: format!("{who}'s usage, line by line"),
        id_is: "usage line".into(),
        expected_is: "rated".into(),
        actual_is: "billed".into(),
        rows,
        note: None,
    }))
}

/// A program statement's lines against the invoice lines they present, and the fee lines
/// behind the mismatch that no line of the statement presents.
fn statement_compare(
    snapshot: &Snapshot,
    period: &crate::snapshot::model::Period,
    m: &super::Mismatch,
) -> rusqlite::Result<Option<Compare>> {
    let all = snapshot.statement_lines(period)?;
    let judged = super::statements::judged(&all);
    // The statement: the subject itself, or the statement of the subject's line.
    let statement = match all.iter().find(|l| l.id == m.subject) {
        Some(line) => line.statement_id.clone(),
        None => m.subject.clone(),
    };
    let lines: Vec<_> = all
        .iter()
        .zip(&judged)
        .filter(|(l, _)| l.statement_id == statement)
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    let mut rows: Vec<CompareRow> = lines
        .iter()
        .map(|(l, judged)| CompareRow {
            id: l.id.clone(),
            name: Some(match (&l.invoice_line, judged.check) {
                (Some(p), Some(super::statements::VOID)) => format!("presents {} (void)", p.id),
                (Some(p), Some(super::statements::PRESENTED_TWICE)) => {
                    format!("presents {} (again)", p.id)
                }
                (Some(p), _) => format!("presents {}", p.id),
                (None, _) => "presents no invoice line".to_string(),
            }),
            expected: judged.expected,
            actual: l.amount,
            difference: l.amount - judged.expected,
            differs: judged.check.is_some(),
        })
        .collect();
    let presented: Vec<&str> = lines
        .iter()
        .filter_map(|(l, _)| l.invoice_line.as_ref().map(|p| p.id.as_str()))
        .collect();
    let missing: Vec<&super::SourceRef> = m
        .expected_rows
        .iter()
        .filter(|r| r.table == "invoice_lines" && !presented.contains(&r.id.as_str()))
        .collect();
    for row in snapshot.source_rows(
        &snapshot.period()?,
        missing.iter().map(|r| (r.table, r.id.as_str())),
    )? {
        let amount = row.amounts.first().map(|(_, m)| *m).unwrap_or_default();
        rows.push(CompareRow {
            id: row.id.clone(),
            name: Some("on no line of the statement".to_string()),
            expected: amount,
            actual: Money::ZERO,
            difference: -amount,
            differs: true,
        });
    }
    let lines_total: Money = lines.iter().map(|(l, _)| l.amount).sum();
    let header = snapshot
        .source_rows(period, [("program_statements", statement.as_str())])?
        .into_iter()
        .find(|r| r.found)
        .and_then(|r| r.amounts.first().map(|(_, m)| *m));
    Ok(Some(Compare {
        what: format!("statement {statement}, line by line"),
        id_is: "statement line".into(),
        expected_is: "invoice line".into(),
        actual_is: "statement line".into(),
        rows,
        note: header.filter(|h| *h != lines_total).map(|h| {
            format!(
                "the statement's lines add up to {}; its total says {}",
                lines_total.grouped(),
                h.grouped()
            )
        }),
    }))
}

// ---- as text ----------------------------------------------------------------------------

/// `text` cut to `max` characters, the last one `…` when cut.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

fn opt(v: &Option<String>) -> String {
    v.as_deref().map(inert).unwrap_or_else(|| "-".into())
}

/// A text column gives way down to this many characters (its cells then end with `…`).
const NARROWEST_TEXT: usize = 6;
/// A text column gives way to this many characters before an amount's heading is cut.
const READABLE_TEXT: usize = 12;

/// Columns padded to their widest cell; `right` marks right-aligned columns (the amounts).
/// Within `max` characters, the text columns before the last amount give way, the widest
/// first, so that every amount ends inside `max`, whole: an amount is never cut, a name is.
fn columns(out: &mut String, header: &[String], right: &[bool], rows: &[Vec<String>], max: Option<usize>) {
    let n = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate().take(n) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    if let (Some(max), Some(last)) = (max, right.iter().take(n).rposition(|r| *r)) {
        // Where the last amount column ends: the indent, the columns, two spaces between.
        let end = |w: &[usize]| 2 + w[..=last].iter().sum::<usize>() + 2 * last;
        // Names and other text but the row's id give way first (down to a readable 12),
        // then an amount's heading (down to its widest figure), then the text further,
        // then the id, the widest first.
        let widest_cell: Vec<usize> = (0..n)
            .map(|i| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let text_over = |w: &[usize], from: usize, to: usize, floor: usize| -> Vec<usize> {
            (from..to).filter(|&i| !right[i] && w[i] > floor).collect()
        };
        while end(&width) > max {
            let tiers = [
                text_over(&width, 1, last, READABLE_TEXT),
                (0..=last)
                    .filter(|&i| right[i] && width[i] > widest_cell[i].max(NARROWEST_TEXT))
                    .collect::<Vec<_>>(),
                text_over(&width, 1, last, NARROWEST_TEXT),
                text_over(&width, 0, last.min(1), NARROWEST_TEXT),
            ];
            let Some(i) = tiers.iter().find(|t| !t.is_empty()).and_then(|t| {
                t.iter()
                    .copied()
                    .max_by_key(|&i| (width[i], std::cmp::Reverse(i)))
            }) else {
                break;
            };
            width[i] -= 1;
        }
    }
    let line = |cells: &[String]| {
        let mut text = String::from("  ");
        for (i, c) in cells.iter().enumerate().take(n) {
            let c = &short(c, width[i]);
            let pad = " ".repeat(width[i] - c.chars().count());
            if right.get(i).copied().unwrap_or(false) {
                let _ = write!(text, "{pad}{c}  ");
            } else {
                let _ = write!(text, "{c}{pad}  ");
            }
        }
        text.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(header));
    for row in rows {
        let _ = writeln!(out, "{}", line(row));
    }
}

fn side_text(out: &mut String, name: &str, s: &Side, max: Option<usize>) {
    let _ = match s.capped {
        false => writeln!(
            out,
            "\n{name} {} — from {} source row{}:",
            s.figure.grouped(),
            s.rows.len(),
            if s.rows.len() == 1 { "" } else { "s" }
        ),
        true => writeln!(
            out,
            "\n{name} {} — from more source rows than are listed: the first {} (a list stops at \
             {SOURCE_ROWS_CAP} rows, in id order), whose sums are of these rows only, not the figure:",
            s.figure.grouped(),
            s.rows.len(),
        ),
    };
    if s.rows.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    // One table of columns per source table, in the order the tables first appear.
    let mut tables: Vec<&str> = Vec::new();
    for r in &s.rows {
        if !tables.contains(&r.table) {
            tables.push(r.table);
        }
    }
    for table in tables {
        let rows: Vec<_> = s.rows.iter().filter(|r| r.table == table).collect();
        let amount_names: Vec<&str> = rows
            .iter()
            .find(|r| r.found)
            .map(|r| r.amounts.iter().map(|(n, _)| *n).collect())
            .unwrap_or_default();
        // The amounts before the description, which runs long: on a narrow screen the
        // figures stay in view.
        let mut header: Vec<String> = vec![table.to_string(), "date".into(), "account".into()];
        header.extend(amount_names.iter().map(|n| n.to_string()));
        header.push("what".into());
        let mut right = vec![false; 3];
        right.extend(amount_names.iter().map(|_| true));
        right.push(false);
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let mut row = vec![inert(&r.id), opt(&r.date), opt(&r.account)];
                row.extend(r.amounts.iter().map(|(_, m)| m.grouped()));
                // A row gone since has no amounts: its columns stay, empty.
                row.resize(3 + amount_names.len(), String::new());
                row.push(if r.found {
                    inert(&r.detail)
                } else {
                    "(no such row now)".into()
                });
                row
            })
            .collect();
        columns(out, &header, &right, &cells, max);
        for sum in s.sums.iter().filter(|x| x.table == table) {
            let _ = writeln!(
                out,
                "  Σ {} {}{}",
                sum.amount,
                sum.total.grouped(),
                if sum.is_figure {
                    format!(" = {} {}", name.to_lowercase(), s.figure.grouped())
                } else if sum.is_minus_figure {
                    format!(" = -({} {})", name.to_lowercase(), s.figure.grouped())
                } else {
                    String::new()
                }
            );
        }
    }
}

/// The evidence as plain text, one line per row (`\n`-separated): what `closedesk mismatch
/// KEY --rows` prints and the cockpit's evidence view shows. Every piece of text from the
/// file goes through `inert`; a line starting `  ≠` is a row that differs.
pub fn text(e: &Evidence) -> String {
    text_within(e, None)
}

/// [`text`] with each table's amounts ending within `max` characters where text columns
/// (names, ids, dates) can give way for them (a cell cut ends with `…`): the cockpit's
/// evidence view at its width. The same lines, in the same order, as [`text`].
pub fn text_within(e: &Evidence, max: Option<usize>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", inert(&e.key), inert(&e.title));
    let _ = writeln!(
        out,
        "expected {} · actual {} · variance {}",
        e.expected.figure.grouped(),
        e.actual.figure.grouped(),
        e.variance.grouped()
    );
    // In full, a line at a time: a detail view cuts it at its width.
    for (i, line) in crate::text::wrap(&inert(&e.next_action), 72).iter().enumerate() {
        // Continuations come indented by two: under the first line's text.
        let _ = writeln!(
            out,
            "{}{}",
            if i == 0 { "next: " } else { "    " },
            line.trim_end()
        );
    }
    // The comparison first, where there is one: it shows which row makes the gap.
    if let Some(c) = &e.compare {
        let _ = writeln!(
            out,
            "\nCompared: {} ({} against {}); ≠ marks each row that differs:",
            inert(&c.what),
            inert(&c.actual_is),
            inert(&c.expected_is)
        );
        let header: Vec<String> = vec![
            "".into(),
            inert(&c.id_is),
            "".into(),
            inert(&c.expected_is),
            inert(&c.actual_is),
            "difference".into(),
        ];
        let rows: Vec<Vec<String>> = c
            .rows
            .iter()
            .map(|r| {
                vec![
                    if r.differs { "≠".into() } else { String::new() },
                    inert(&r.id),
                    short(&opt(&r.name), 24),
                    r.expected.grouped(),
                    r.actual.grouped(),
                    r.difference.grouped(),
                ]
            })
            .collect();
        columns(
            &mut out,
            &header,
            &[false, false, false, true, true, true],
            &rows,
            max,
        );
        let differing = c.rows.iter().filter(|r| r.differs).count();
        let _ = writeln!(
            out,
            "  {differing} of {} row{} differ{}",
            c.rows.len(),
            if c.rows.len() == 1 { "" } else { "s" },
            if differing == 1 { "s" } else { "" }
        );
        if let Some(note) = &c.note {
            let _ = writeln!(out, "  ≠ {}", inert(note));
        }
    }
    side_text(&mut out, "Expected", &e.expected, max);
    side_text(&mut out, "Actual", &e.actual, max);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(table: &'static str, id: &str, amounts: &[(&'static str, i64)]) -> SourceRow {
        SourceRow {
            table,
            id: id.into(),
            date: None,
            account: None,
            detail: String::new(),
            amounts: amounts.iter().map(|(n, c)| (*n, Money::from_cents(*c))).collect(),
            found: true,
        }
    }

    #[test]
    fn sums_per_table_and_amount_mark_the_one_that_is_the_figure() {
        // Two invoices: totals 100.00 + 50.00 = 150.00, window-end balances 40.00 + 10.00 =
        // 50.00; the figure 50.00 is the balances' sum, not the totals'.
        let s = side(
            Money::from_cents(5_000),
            vec![
                row(
                    "invoices",
                    "INV-1",
                    &[("total", 10_000), ("window-end balance", 4_000)],
                ),
                row(
                    "invoices",
                    "INV-2",
                    &[("total", 5_000), ("window-end balance", 1_000)],
                ),
            ],
        );
        let got: Vec<(&str, i64, bool)> = s
            .sums
            .iter()
            .map(|s| (s.amount, s.total.cents(), s.is_figure))
            .collect();
        assert_eq!(
            got,
            [("total", 15_000, false), ("window-end balance", 5_000, true)]
        );
    }

    /// Within a width, a side's amounts end inside it whole and its ids stay whole; dates,
    /// accounts and the amounts' headings give way (the cockpit's evidence at 80 columns).
    #[test]
    fn within_a_width_amounts_and_ids_stay_whole() {
        let amounts = [
            ("total", 203_499),
            ("platform balance", 8_451),
            ("window-end balance", 8_451),
            ("export-date balance", 8_451),
        ];
        let rows: Vec<SourceRow> = (0..3)
            .map(|i| SourceRow {
                date: Some("2026-03-02".into()),
                account: Some("ACC-002326".into()),
                detail: "posted · Redwood Coast Dermatology".into(),
                ..row("invoices", &format!("INV-0000232{i}"), &amounts)
            })
            .collect();
        let s = side(Money::from_cents(3 * 8_451), rows);
        let mut text = String::new();
        side_text(&mut text, "Expected", &s, Some(78));
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("  INV-")).collect();
        assert_eq!(lines.len(), 3, "{text}");
        for line in lines {
            let cut: String = line.chars().take(78).collect();
            assert!(
                cut.contains("INV-00002320") || cut.contains("INV-00002321") || cut.contains("INV-00002322"),
                "{line}"
            );
            assert!(
                cut.contains("2,034.99") && cut.trim_end().ends_with("84.51"),
                "{cut:?}\n{text}"
            );
        }
    }

    /// A list that stopped at the cap says so and marks no sum as the figure (the figure is
    /// of every row, the sums of the first ones): it read "from 1000 source rows".
    #[test]
    fn a_side_whose_rows_stopped_at_the_cap_says_so() {
        let rows: Vec<SourceRow> = (0..SOURCE_ROWS_CAP)
            .map(|i| row("invoices", &format!("INV-{i:05}"), &[("window-end balance", 100)]))
            .collect();
        let figure = Money::from_cents(100 * SOURCE_ROWS_CAP as i64);
        let s = side(figure, rows);
        assert!(s.capped);
        assert!(!s.sums[0].is_figure, "a partial sum is never the figure");
        let mut text = String::new();
        side_text(&mut text, "Expected", &s, None);
        assert!(
            text.contains(&format!(
                "Expected {} — from more source rows than are listed: the first {SOURCE_ROWS_CAP} (a list stops",
                figure.grouped()
            )),
            "{text}"
        );
        let one_short = side(
            figure,
            (0..3).map(|i| row("invoices", &format!("I{i}"), &[])).collect(),
        );
        assert!(!one_short.capped);
    }
}
