//! The close packet as a document a reviewer reads top to bottom (docs/outputs.md, "Close
//! packet"): a cover, each reconciliation step as a short narrative with a table of its
//! figures, the lanes, every mismatch with its full trail, the checklist, the sign-off
//! receipt and `verify`'s result, then appendices with every account. Markdown here; the
//! PDF form lays out the same text (`export::pdf`).
//!
//! Owns the layout of the packet's text only: the figures come from [`Packet`], every
//! piece of text from data goes through [`md`] (or [`paragraphs`]) and stays inert.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::md;
use super::packet::Packet;
use crate::money::Money;
use crate::reconcile::{Mismatch, SourceRef};
use crate::snapshot::model::{AnnotationKind, CorrectionStatus, Lane, MismatchStatus};
use crate::workflow::checklist;

/// Rows of an account table shown in the body; the full list is in the appendix.
pub const TOP_ACCOUNTS: usize = 10;
/// Adjustments listed in the body before it shows only the largest.
pub const TOP_ADJUSTMENTS: usize = 25;

/// Text from data or from users as Markdown paragraphs: every line inert and escaped, a
/// blank line a paragraph break, each paragraph quoted, and each line's start made plain
/// text ([`line_start`]), so nothing in it can start a heading, a list, a rule, a code
/// block or a table.
pub fn paragraphs(text: &str) -> String {
    let mut out = String::new();
    for line in text.trim_end().split('\n') {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            out.push_str(">\n");
        } else {
            let _ = writeln!(out, "> {}  ", line_start(&md(line.trim_start())));
        }
    }
    out
}

/// An escaped line whose start could still open a block inside the quote — a list item
/// (`-`, `+`, `1.`, `1)`), a setext heading or rule (`===`, `---`) — with that mark
/// backslash-escaped. (Indentation, which would open a code block, is trimmed by the
/// caller; `#`, `>`, `*`, `` ` ``, `~` and `|` are escaped everywhere by [`md`].)
fn line_start(line: &str) -> String {
    if line.starts_with(['-', '+', '=']) {
        return format!("\\{line}");
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 && line[digits..].starts_with(['.', ')']) {
        return format!("{}\\{}", &line[..digits], &line[digits..]);
    }
    line.to_string()
}

/// A Markdown table; `right` marks the columns to right-align (amounts, counts).
fn table(out: &mut String, header: &[&str], right: &[bool], rows: &[Vec<String>]) {
    let _ = writeln!(
        out,
        "| {} |",
        header.iter().map(|h| md(h)).collect::<Vec<_>>().join(" | ")
    );
    let rule: Vec<&str> = (0..header.len())
        .map(|i| {
            if right.get(i).copied().unwrap_or(false) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out.push('\n');
}

/// A figure as the document prints it: amounts grouped (`39,639.27`), the rest as text.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => "—".to_string(),
        Value::String(s) => md(s),
        Value::Number(n) => {
            let text = n.to_string();
            // In a currency without decimals an amount is a JSON integer like a count:
            // both are grouped then (`67,000`, `1,234`).
            match Money::parse(&text) {
                Ok(m) if text.contains('.') || crate::money::decimals() == 0 => m.grouped(),
                _ => text,
            }
        }
        other => md(&other.to_string()),
    }
}

fn is_number(v: &Value) -> bool {
    matches!(v, Value::Number(_))
}

/// A field name as a heading: `days_1_30` → `days 1 30`.
fn words(name: &str) -> String {
    name.replace('_', " ")
}

fn get<'v>(v: &'v Value, path: &[&str]) -> &'v Value {
    path.iter().fold(v, |v, k| &v[*k])
}

fn amount(v: &Value, path: &[&str]) -> String {
    cell(get(v, path))
}

/// The named fields of an object, each as [`amount`] shows it.
fn amounts<const N: usize>(v: &Value, names: [&str; N]) -> [String; N] {
    names.map(|name| amount(v, &[name]))
}

/// An object's scalar fields as a two-column table (figure, value).
fn scalars(out: &mut String, v: &Value) {
    let Value::Object(map) = v else { return };
    let rows: Vec<Vec<String>> = map
        .iter()
        .filter(|(_, v)| !v.is_object() && !v.is_array())
        .map(|(k, v)| vec![md(&words(k)), cell(v)])
        .collect();
    if !rows.is_empty() {
        table(out, &["figure", "value"], &[false, true], &rows);
    }
}

/// An object whose fields are objects of scalars (revenue by rule) as one table: a row per
/// field, a column per inner field.
fn grid(out: &mut String, v: &Value, first: &str) {
    let Value::Object(map) = v else { return };
    let inner: Vec<(&String, &serde_json::Map<String, Value>)> = map
        .iter()
        .filter_map(|(k, v)| v.as_object().map(|o| (k, o)))
        .collect();
    let Some((_, sample)) = inner.first() else { return };
    let columns: Vec<&String> = sample.keys().collect();
    let mut header = vec![first.to_string()];
    header.extend(columns.iter().map(|c| words(c)));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut right = vec![false];
    right.extend(columns.iter().map(|c| is_number(&sample[c.as_str()])));
    let rows: Vec<Vec<String>> = inner
        .iter()
        .filter(|(_, o)| o.keys().eq(sample.keys()))
        .map(|(k, o)| {
            let mut row = vec![md(&words(k))];
            row.extend(columns.iter().map(|c| cell(&o[c.as_str()])));
            row
        })
        .collect();
    table(out, &header, &right, &rows);
    for (k, o) in inner.iter().filter(|(_, o)| !o.keys().eq(sample.keys())) {
        let _ = writeln!(out, "*{}*\n", md(&words(k)));
        scalars(out, &Value::Object((*o).clone()));
    }
}

/// An array of objects as a table, with the account's name beside `account_id`. With `top`,
/// only that many rows, by the absolute value of `by` (largest first, then as listed).
fn rows_table(
    out: &mut String,
    items: &[Value],
    names: &BTreeMap<String, String>,
    top: Option<(usize, &str)>,
) {
    let Some(Value::Object(sample)) = items.first() else {
        out.push_str("None.\n\n");
        return;
    };
    let columns: Vec<&String> = sample.keys().filter(|k| !sample[k.as_str()].is_array()).collect();
    let with_names = sample.contains_key("account_id");
    let mut header = Vec::new();
    let mut right = Vec::new();
    for c in &columns {
        header.push(words(c));
        right.push(is_number(&sample[c.as_str()]));
        if with_names && c.as_str() == "account_id" {
            header.push("account name".to_string());
            right.push(false);
        }
    }
    let mut chosen: Vec<&Value> = items.iter().collect();
    if let Some((n, by)) = top {
        let size = |v: &Value| {
            Money::parse(&v[by].to_string())
                .map(|m| m.abs())
                .unwrap_or_default()
        };
        chosen.sort_by_key(|v| std::cmp::Reverse(size(v)));
        chosen.truncate(n);
    }
    let rows: Vec<Vec<String>> = chosen
        .iter()
        .map(|item| {
            let mut row = Vec::new();
            for c in &columns {
                row.push(cell(&item[c.as_str()]));
                if with_names && c.as_str() == "account_id" {
                    let id = item[c.as_str()].as_str().unwrap_or_default();
                    row.push(names.get(id).map(|n| md(n)).unwrap_or_else(|| "—".to_string()));
                }
            }
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table(out, &header, &right, &rows);
}

/// An account table in the body: the `TOP_ACCOUNTS` largest by `by`, and where the rest is.
fn top_accounts(
    out: &mut String,
    items: &[Value],
    names: &BTreeMap<String, String>,
    by: &str,
    appendix: &str,
) {
    rows_table(out, items, names, Some((TOP_ACCOUNTS, by)));
    if items.len() > TOP_ACCOUNTS {
        let _ = writeln!(
            out,
            "The {TOP_ACCOUNTS} largest of {} accounts by {}; every account is in {appendix}.\n",
            items.len(),
            words(by)
        );
    }
}

fn count(v: &Value, path: &[&str]) -> u64 {
    get(v, path).as_u64().unwrap_or(0)
}

/// The gaps of `lane` that still show in its figures though their mismatch is no longer
/// open: waived, or resolved by accepted corrections. A waiver or a correction decides the
/// mismatch; the source rows, and so the batch or ledger that differs, stay as they were.
/// One clause each: the gap in `words`, then how its mismatch was decided.
fn decided_gaps(p: &Packet<'_>, lane: Lane, words: fn(&Mismatch) -> String) -> Vec<String> {
    p.mismatches
        .iter()
        .filter(|d| d.view.lane == Some(lane) && !d.view.is_open())
        .filter_map(|d| {
            let mm = d.view.mismatch.as_ref()?;
            Some(format!("{}; its mismatch was {}", words(mm), decision(d)))
        })
        .collect()
}

/// " First. Second." — each clause a sentence after the one before it (empty for none).
fn sentences(clauses: &[String]) -> String {
    clauses.iter().map(|c| format!(" {c}.")).collect()
}

/// How a mismatch that is no longer open was decided: "waived by WHO at WHEN", or
/// "corrected by accepted correction #N (+9.75 to actual, proposed by WHO, accepted by WHO
/// at WHEN)".
fn decision(d: &crate::workflow::mismatches::Detail) -> String {
    match d.view.status {
        MismatchStatus::Waived => {
            match d
                .annotations
                .iter()
                .rev()
                .find(|a| a.kind == AnnotationKind::Waiver)
            {
                Some(a) => format!("waived by {} at {}", md(&a.author), md(&a.created_at)),
                None => "waived".to_string(),
            }
        }
        MismatchStatus::Resolved => {
            let accepted: Vec<String> = d
                .annotations
                .iter()
                .filter(|a| a.correction_status == Some(CorrectionStatus::Accepted))
                .map(|a| {
                    let amount = a.amount.unwrap_or_default();
                    let signed = if amount.is_negative() {
                        amount.grouped()
                    } else {
                        format!("+{}", amount.grouped())
                    };
                    format!(
                        "#{} ({signed} to {}, proposed by {}, accepted by {} at {})",
                        a.id,
                        a.side.map(|s| s.to_string()).unwrap_or_default(),
                        md(&a.author),
                        md(a.decided_by.as_deref().unwrap_or("-")),
                        md(a.decided_at.as_deref().unwrap_or("-")),
                    )
                })
                .collect();
            match accepted.len() {
                0 => "resolved".to_string(),
                1 => format!("corrected by accepted correction {}", accepted[0]),
                _ => format!("corrected by accepted corrections {}", accepted.join(", ")),
            }
        }
        other => other.to_string(),
    }
}

/// A gap as the engine titles it, with its figures: "The void of invoice INV-A1 is not
/// recorded in the ledger in full (expected 0.00, actual 300.00)".
fn gap_in_words(mm: &Mismatch) -> String {
    format!(
        "{} (expected {}, actual {})",
        md(mm.title.trim_end_matches('.')),
        mm.expected.grouped(),
        mm.actual.grouped()
    )
}

/// An export batch's gap by what it should tie to: "GL-2026-03 is 9.75 short of closing
/// AR".
fn export_gap(mm: &Mismatch) -> String {
    use crate::reconcile::exports::{ACCOUNT_AR, AR_TOTAL, GL_ACCOUNT, LINES_TOTAL};
    let by = mm.variance.abs().grouped();
    let how = if mm.variance.is_negative() {
        "short of"
    } else {
        "over"
    };
    let (batch, item) = mm.subject.split_once('/').unwrap_or((&mm.subject, ""));
    let (batch, item) = (md(batch), md(item));
    match mm.check {
        AR_TOTAL => format!("{batch} is {by} {how} closing AR"),
        LINES_TOTAL => format!("{batch}'s header is {by} {how} its lines"),
        GL_ACCOUNT => format!("{batch} carries account {item} {by} {how} its window-end AR"),
        ACCOUNT_AR => format!("{batch} carries account {item} {by} {how} its ledger closing AR"),
        _ => gap_in_words(mm),
    }
}

/// The packet as a Markdown document.
pub fn markdown(p: &Packet<'_>) -> String {
    let mut out = String::new();
    let w = &mut out;
    let m = &p.metadata;
    let names = &p.account_names;
    let signed = p.signoffs.iter().rev().find(|s| s.reopened_by.is_none());

    // Cover ----------------------------------------------------------------------------
    let _ = writeln!(w, "# Close packet — {} — {}\n", md(&m.entity), md(&m.period));
    let _ = writeln!(
        w,
        "**{}**\n",
        match (&p.lock_lifted, signed) {
            (Some(why), _) => format!("Lock lifted outside closedesk: {}", md(why)),
            (None, Some(s)) => format!("Signed off by {} at {}", md(&s.signed_by), md(&s.signed_at)),
            (None, None) => "Draft — the period is not signed off".to_string(),
        }
    );
    let mut cover = vec![
        vec!["Entity".to_string(), md(&m.entity)],
        vec!["Period".to_string(), md(&m.period)],
        vec![
            "Statement window".to_string(),
            format!("{} .. {}", md(&m.window_start), md(&m.window_end)),
        ],
        vec!["Currency".to_string(), md(&m.currency)],
        vec![
            "Snapshot taken".to_string(),
            p.snapshot_taken
                .map(|d| d.to_string())
                .unwrap_or_else(|| "not recorded".to_string()),
        ],
        vec!["Status".to_string(), md(&p.status_line)],
        vec![
            "Signed off".to_string(),
            match signed {
                Some(s) => format!(
                    "by {} at {} (sign-off {})",
                    md(&s.signed_by),
                    md(&s.signed_at),
                    s.id
                ),
                None => "no".to_string(),
            },
        ],
        vec![
            "Audit head".to_string(),
            format!("`{}` (length {})", md(&m.audit_head), m.audit_len),
        ],
        vec![
            "Source content hash".to_string(),
            format!("`{}`", md(&p.source_hash)),
        ],
        vec![
            "Figures digest".to_string(),
            format!("`{}`", md(&m.figures_digest)),
        ],
    ];
    cover.push(vec![
        "Made by".to_string(),
        format!(
            "closedesk {}, snapshot schema {}, format {}",
            m.closedesk_version,
            m.schema_version,
            md(&m.format)
        ),
    ]);
    if let Some(at) = &m.exported_at {
        cover.push(vec!["Exported at".to_string(), md(at)]);
    }
    table(w, &["", ""], &[false, false], &cover);
    let _ = writeln!(
        w,
        "The audit head and length are the log's before this packet's own audit row; `closedesk \
         verify FILE --expect-head HEAD` checks the file against them.\n"
    );

    // Headline -------------------------------------------------------------------------
    let headline = serde_json::to_value(p.headline).expect("figures serialize");
    let steps = serde_json::to_value(p.steps).expect("figures serialize");
    let _ = writeln!(w, "## Summary\n");
    let _ = writeln!(w, "{}\n", md(&p.status_line));
    scalars(w, &headline);

    // The six steps --------------------------------------------------------------------
    let s = &steps;
    // What the sentences below may claim: a lane ties only when the engine reports none of
    // its mismatches — an open one is counted, and one waived or corrected is said with its
    // gap, which the decision did not close (the tables under them hold the figures).
    let open_in = |lane: Lane| {
        p.mismatches
            .iter()
            .filter(|d| d.view.lane == Some(lane) && d.view.is_open())
            .count()
    };
    let posted = &s["posted"];
    let [population, voided, drafts] =
        ["close_population_count", "voided_count", "draft_count"].map(|name| count(posted, &[name]));
    let [receivables, voided_total, draft_total, closing_ar] = amounts(
        posted,
        ["posted_receivables", "voided_total", "draft_total", "closing_ar"],
    );
    let _ = writeln!(w, "## 1. Posted invoice totals\n");
    let _ = writeln!(
        w,
        "{population} invoices posted in the window make up the close population, {receivables} in \
         posted receivables. {voided} invoices voided in the window ({voided_total}) and {drafts} \
         still in draft ({draft_total}) are not in it. Closing AR at window end, the sum of every \
         receivable invoice's balance, is {closing_ar}.\n",
    );
    scalars(w, posted);

    let applied = &s["applied"];
    let [received, issued, disbursed, from_payments, from_credits, unapplied] = amounts(
        applied,
        [
            "payments_received",
            "credits_issued",
            "disbursed",
            "disbursed_from_payments",
            "disbursed_from_credits",
            "unapplied",
        ],
    );
    // What undid collected value in the window, said beside what was collected: without it
    // received + issued did not come to disbursed + unapplied.
    let undone: Vec<String> = [
        ("payments_reversed", "reversed"),
        ("payments_refunded", "refunded"),
        ("payments_charged_back", "charged back"),
        ("credits_reversed", "credits reversed"),
    ]
    .into_iter()
    .map(|(name, words)| (amount(applied, &[name]), words))
    .filter(|(figure, _)| figure.chars().any(|c| c.is_ascii_digit() && c != '0'))
    .map(|(figure, words)| format!("{figure} {words}"))
    .collect();
    let undone = if undone.is_empty() {
        String::new()
    } else {
        format!(" (less {})", undone.join(", "))
    };
    let _ = writeln!(w, "## 2. Applied vs unapplied\n");
    let _ = writeln!(
        w,
        "Payments received in the window came to {received} and credits issued to {issued}{undone}. \
         Of what was collected, {disbursed} was disbursed to invoices ({from_payments} from payments, \
         {from_credits} from credits); {unapplied} sits unapplied at window end.\n",
    );
    scalars(w, applied);

    let _ = writeln!(w, "## 3. Account roll-forward\n");
    let _ = writeln!(
        w,
        "Per account, opening AR plus what was posted, less what was disbursed, plus what was \
         pulled back, adjusted and voided, is the ledger's closing AR: {} in total, against {} \
         in invoice balances. Amounts are signed as the ledger signs them.\n",
        amount(s, &["rollforward", "totals", "closing"]),
        amount(s, &["rollforward", "totals", "invoice_balances"]),
    );
    scalars(w, &s["rollforward"]["totals"]);
    let accounts = s["rollforward"]["accounts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    top_accounts(w, &accounts, names, "closing", "Appendix A");

    let _ = writeln!(w, "## 4. Adjustments\n");
    let items = s["adjustments"]["adjustments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let closed = decided_gaps(p, Lane::Adjustments, gap_in_words);
    let recorded = match open_in(Lane::Adjustments) {
        0 if closed.is_empty() => "each recorded in the ledger in full".to_string(),
        0 => "not all recorded in the ledger as they should be".to_string(),
        n => format!(
            "not all recorded in the ledger as they should be: {n} open mismatch(es) in the adjustments lane"
        ),
    };
    let _ = writeln!(
        w,
        "{} adjustments in the window: voids, credits, reversals, refunds, chargebacks and \
         ledger adjustments, {recorded}.{}\n",
        items.len(),
        sentences(&closed)
    );
    scalars(w, &s["adjustments"]["totals"]);
    if items.len() > TOP_ADJUSTMENTS {
        rows_table(w, &items, names, Some((TOP_ADJUSTMENTS, "amount")));
        let _ = writeln!(
            w,
            "The {TOP_ADJUSTMENTS} largest of {} by amount; the workbook's Adjustments sheet lists every one.\n",
            items.len()
        );
    } else {
        rows_table(w, &items, names, None);
    }

    let _ = writeln!(w, "## 5. AR to finance output\n");
    let rule = "its header equal to its lines, and its lines tied to the subledger: the GL export to \
                closing AR, the billing extract to the ledger's closing AR, the archive to posted \
                receivables";
    let closed = decided_gaps(p, Lane::Exports, export_gap);
    match open_in(Lane::Exports) {
        0 if closed.is_empty() => {
            let _ = writeln!(w, "Each export batch has {rule}.\n");
        }
        0 => {
            let _ = writeln!(
                w,
                "Each export batch should have {rule}. Not every one does:{}\n",
                sentences(&closed)
            );
        }
        n => {
            let _ = writeln!(
                w,
                "Each export batch should have {rule}. Not every one does: {n} open mismatch(es) in the \
                 exports lane (the register lists them).{}\n",
                sentences(&closed)
            );
        }
    }
    rows_table(
        w,
        s["exports"]["batches"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]),
        names,
        None,
    );

    let [revenue_posted, recognized, deferred] =
        amounts(&s["revenue"]["total"], ["posted", "recognized", "deferred"]);
    let _ = writeln!(w, "## 6. Revenue\n");
    let _ = writeln!(
        w,
        "Of {revenue_posted} posted on revenue lines, {recognized} is recognized in the window and \
         {deferred} deferred at window end; tax is a liability, not revenue.\n",
    );
    grid(w, &s["revenue"], "rule");

    let _ = writeln!(w, "## Source lanes: usage, employer programs, statements\n");
    scalars(w, &s["usage"]);
    scalars(w, &s["programs"]);
    if let Some(programs) = s["programs"]["programs"].as_array() {
        rows_table(w, programs, names, None);
    }
    scalars(w, &s["statements"]);
    if let Value::Object(after) = &s["after_window"] {
        let _ = writeln!(w, "### After the window\n");
        let _ = writeln!(
            w,
            "Activity dated after window end, shown and never counted in this period.\n"
        );
        if after.is_empty() {
            let _ = writeln!(w, "None.\n");
        } else {
            grid(w, &s["after_window"], "activity");
        }
    }

    let _ = writeln!(w, "## Aged AR\n");
    let _ = writeln!(
        w,
        "Window-end AR by days past due; the buckets add up to closing AR. A credit balance \
         (negative) stays in its account's buckets (docs/reconciliation.md, \"credit balances in \
         aged AR\"); unapplied payments and credits are beside them, never in them, and an \
         account with only those is listed too, as in the aging export.\n"
    );
    aged_ar(w, p);

    // Lanes ----------------------------------------------------------------------------
    let _ = writeln!(w, "## Lanes\n");
    let mut lanes: BTreeMap<String, (usize, usize, Money)> = BTreeMap::new();
    for d in &p.mismatches {
        let lane = d.view.lane.map(|l| l.to_string()).unwrap_or_else(|| "—".into());
        let e = lanes.entry(lane).or_default();
        e.0 += 1;
        if d.view.is_open() {
            e.1 += 1;
            e.2 += d.view.corrected_variance.abs();
        }
    }
    if lanes.is_empty() {
        let _ = writeln!(w, "Every lane ties: no mismatch.\n");
    } else {
        let rows: Vec<Vec<String>> = lanes
            .iter()
            .map(|(lane, (all, open, var))| vec![md(lane), all.to_string(), open.to_string(), var.grouped()])
            .collect();
        table(
            w,
            &["lane", "mismatches", "open", "open variance (absolute)"],
            &[false, true, true, true],
            &rows,
        );
    }

    // Mismatches -----------------------------------------------------------------------
    let _ = writeln!(w, "## Mismatches\n");
    if p.mismatches.is_empty() {
        let _ = writeln!(w, "None.\n");
    }
    for d in &p.mismatches {
        let v = &d.view;
        let _ = writeln!(w, "### {}\n", md(&v.key));
        match &v.mismatch {
            Some(mm) => {
                let _ = writeln!(w, "{}.\n", md(mm.title.trim_end_matches('.')));
            }
            None => {
                let _ = writeln!(w, "Cleared by data: the engine no longer reports it.\n");
            }
        }
        let severity = v.severity.map(|s| s.to_string()).unwrap_or_else(|| "—".into());
        let mut rows = vec![
            vec!["status".to_string(), v.status.to_string()],
            vec!["severity".to_string(), severity],
            vec!["owner".to_string(), md(&v.owner)],
        ];
        if let Some(mm) = &v.mismatch {
            rows.push(vec!["expected".to_string(), mm.expected.grouped()]);
            rows.push(vec!["actual".to_string(), mm.actual.grouped()]);
        }
        rows.push(vec!["variance".to_string(), v.raw_variance.grouped()]);
        rows.push(vec![
            "after accepted corrections".to_string(),
            format!(
                "expected {} · actual {} · variance {}",
                v.corrected_expected.grouped(),
                v.corrected_actual.grouped(),
                v.corrected_variance.grouped()
            ),
        ]);
        table(w, &["", ""], &[false, false], &rows);
        if let Some(mm) = &v.mismatch {
            let _ = writeln!(w, "**Next action.** {}\n", md(&mm.next_action));
            let _ = writeln!(w, "**Behind expected:** {}\n", refs(&mm.expected_rows));
            let _ = writeln!(w, "**Behind actual:** {}\n", refs(&mm.actual_rows));
        }
        let corrections: Vec<_> = d.annotations.iter().filter(|a| a.amount.is_some()).collect();
        if !corrections.is_empty() {
            let _ = writeln!(w, "**Corrections**\n");
            let rows: Vec<Vec<String>> = corrections
                .iter()
                .map(|a| {
                    vec![
                        format!("#{}", a.id),
                        a.amount.map(|m| m.grouped()).unwrap_or_default(),
                        a.side.map(|s| format!("adds to {s}")).unwrap_or_default(),
                        md(&a.author),
                        md(&a.created_at),
                        a.correction_status.map(|s| s.to_string()).unwrap_or_default(),
                        decided(a),
                        a.reference.as_deref().map(md).unwrap_or_else(|| "—".into()),
                    ]
                })
                .collect();
            table(
                w,
                &[
                    "#",
                    "amount",
                    "side",
                    "by",
                    "at",
                    "status",
                    "decided",
                    "reference",
                ],
                &[false, true, false, false, false, false, false, false],
                &rows,
            );
        }
        let _ = writeln!(w, "**Trail**\n");
        if d.trail.is_empty() && d.annotations.is_empty() {
            let _ = writeln!(w, "Nothing yet.\n");
        }
        for a in &d.annotations {
            let what = match a.amount {
                Some(_) => format!("correction #{} (reason)", a.id),
                None => format!("{} #{}", a.kind, a.id),
            };
            let _ = writeln!(w, "- {what} by {} at {}:\n", md(&a.author), md(&a.created_at));
            let _ = writeln!(w, "{}", indent(&paragraphs(&a.text)));
        }
        for e in &d.trail {
            let _ = writeln!(
                w,
                "- audit #{} {} by {} at {}: {}",
                e.row.seq,
                md(&e.row.action),
                md(&e.row.actor),
                md(&e.row.at),
                e.changes.iter().map(|c| md(c)).collect::<Vec<_>>().join("; ")
            );
            // A rejection's, waiver's or assignment's reason; a note's or correction's text
            // is already above, with its annotation.
            let said = |t: &str| d.annotations.iter().any(|a| a.text == t);
            if let Some(text) = e.row.text.as_deref().filter(|t| !t.trim().is_empty() && !said(t)) {
                let _ = writeln!(w, "\n{}", indent(&paragraphs(text)));
            }
        }
        w.push('\n');
    }

    // Checklist ------------------------------------------------------------------------
    let _ = writeln!(w, "## Checklist\n");
    let rows: Vec<Vec<String>> = p
        .checklist
        .iter()
        .map(|i| {
            vec![
                i.row.item.to_string(),
                md(&i.row.title),
                i.row.status.to_string(),
                match (&i.row.updated_by, &i.row.updated_at) {
                    (Some(by), Some(at)) => format!("{} at {}", md(by), md(at)),
                    _ => "—".to_string(),
                },
                i.open_mismatches.to_string(),
            ]
        })
        .collect();
    table(
        w,
        &["#", "item", "status", "moved", "open mismatches"],
        &[true, false, false, false, true],
        &rows,
    );
    for item in &p.checklist {
        let _ = writeln!(w, "### {}. {}\n", item.row.item, md(&item.row.title));
        let rows: Vec<Vec<String>> = item
            .evidence
            .iter()
            .map(|e| vec![md(&e.label), evidence_value(&e.value)])
            .collect();
        if !rows.is_empty() {
            table(w, &["evidence", "value"], &[false, true], &rows);
        }
        for n in &item.notes {
            let _ = writeln!(w, "- note by {} at {}:\n", md(&n.author), md(&n.created_at));
            let _ = writeln!(w, "{}", indent(&paragraphs(&n.text)));
        }
    }

    // Sign-off -------------------------------------------------------------------------
    let _ = writeln!(w, "## Sign-off receipt\n");
    if p.signoffs.is_empty() {
        let _ = writeln!(w, "Not signed off.\n");
    }
    for s in &p.signoffs {
        let rows = vec![
            vec!["sign-off".to_string(), s.id.to_string()],
            vec![
                "signed by".to_string(),
                format!("{} at {}", md(&s.signed_by), md(&s.signed_at)),
            ],
            vec!["figures digest".to_string(), format!("`{}`", md(&s.digest))],
            vec![
                "audit head".to_string(),
                format!("`{}` (length {})", md(&s.audit_head), s.audit_len),
            ],
            vec![
                "source content hash".to_string(),
                s.source_hash
                    .as_deref()
                    .map(|h| format!("`{}`", md(h)))
                    .unwrap_or_else(|| "—".into()),
            ],
        ];
        table(w, &["", ""], &[false, false], &rows);
        if let Some(c) = s.comment.as_deref().filter(|c| !c.trim().is_empty()) {
            let _ = writeln!(w, "Comment:\n\n{}", paragraphs(c));
        }
        if let Some(by) = &s.reopened_by {
            let _ = writeln!(
                w,
                "Reopened by {} at {}. Reason:\n\n{}",
                md(by),
                s.reopened_at.as_deref().map(md).unwrap_or_else(|| "—".into()),
                paragraphs(s.reopen_reason.as_deref().unwrap_or(""))
            );
        }
    }

    // Verify ---------------------------------------------------------------------------
    let v = &p.verify;
    let _ = writeln!(w, "## Verify\n");
    let _ = writeln!(
        w,
        "Result: **{}** (audit log of {} rows, head `{}`).\n",
        if v.ok { "ok" } else { "FAILED" },
        v.length,
        md(&v.head)
    );
    let rows: Vec<Vec<String>> = v
        .checks
        .iter()
        .map(|c| {
            vec![
                md(c.name),
                if c.ok { "ok" } else { "FAILED" }.to_string(),
                md(&c.detail),
            ]
        })
        .collect();
    table(w, &["check", "result", "detail"], &[false, false, false], &rows);
    if let Some(problem) = &v.first_problem {
        let seq = problem.seq.map(|s| format!("audit #{s}: ")).unwrap_or_default();
        let _ = writeln!(w, "First problem: {seq}{}\n", md(&problem.what));
    }

    // Appendices -----------------------------------------------------------------------
    let _ = writeln!(w, "## Appendix A: roll-forward by account\n");
    rows_table(w, &accounts, names, None);
    let _ = writeln!(w, "## Appendix B: aged AR by account\n");
    let aging = serde_json::to_value(&p.aging).expect("figures serialize");
    rows_table(
        w,
        aging["accounts"].as_array().map(Vec::as_slice).unwrap_or(&[]),
        names,
        None,
    );
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Aged AR in the body: the buckets' totals and the largest accounts.
pub fn aged_ar(out: &mut String, p: &Packet<'_>) {
    let aging = serde_json::to_value(&p.aging).expect("figures serialize");
    scalars(out, &aging["totals"]);
    let accounts = aging["accounts"].as_array().cloned().unwrap_or_default();
    top_accounts(out, &accounts, &p.account_names, "total", "Appendix B");
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

fn refs(rows: &[SourceRef]) -> String {
    const SHOWN: usize = 12;
    if rows.is_empty() {
        return "—".to_string();
    }
    let mut text = rows
        .iter()
        .take(SHOWN)
        .map(|r| format!("{} {}", md(r.table), md(&r.id)))
        .collect::<Vec<_>>()
        .join(", ");
    if rows.len() > SHOWN {
        let _ = write!(
            text,
            " and {} more (`closedesk mismatch FILE KEY --json` lists them)",
            rows.len() - SHOWN
        );
    }
    text
}

fn evidence_value(v: &checklist::Figure) -> String {
    match v {
        checklist::Figure::Amount(m) => m.grouped(),
        checklist::Figure::Count(n) => n.to_string(),
        checklist::Figure::Words(s) => md(s),
        checklist::Figure::Compared { amount, comparison } => {
            format!("{} {}", amount.grouped(), md(comparison))
        }
    }
}

/// Who decided a correction and when; for a reversed one, also "reversed by WHO at WHEN:
/// reason".
fn decided(a: &crate::snapshot::workflow::AnnotationRow) -> String {
    let mut text = match (&a.decided_by, &a.decided_at) {
        (Some(by), Some(at)) => format!("{} at {}", md(by), md(at)),
        _ => "—".to_string(),
    };
    if let Some(reversal) = crate::workflow::mismatches::reversal_of(a) {
        text.push_str(&format!("; {}", md(&reversal)));
    }
    text
}
