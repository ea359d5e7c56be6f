//! The close checklist: the eight items of the close guide, in order, each with evidence
//! computed by the reconciliation engine and the lanes whose mismatches it covers. An item
//! cannot be marked `done` while a `critical` or `high` mismatch in its lanes is open.
//!
//! Owns the checklist's evidence and its `done` rule; must not hold SQL or display text
//! beyond the evidence's words.

use serde::Serialize;
use serde_json::Value;

use super::exports::{history, Recorded};
use super::mismatches::{new_annotation, views_of, Changes, MismatchView};
use super::{
    audited, check_version, ensure_open, mismatches_now, require_text, Actor, Figures, Permission, Receipt,
    Refusal,
};
use crate::money::Money;
use crate::reconcile::Overview;
use crate::snapshot::model::{AnnotationKind, ItemStatus, Lane, Severity, TargetKind};
use crate::snapshot::schema::CHECKLIST_ITEMS;
use crate::snapshot::workflow::{row_id, AnnotationRow, ChecklistRow, WriteTx};
use crate::snapshot::Snapshot;
use crate::text::inert;

/// The lanes whose mismatches each item covers (item 1 first). Item 3, the review of open
/// exceptions, covers every lane.
pub const ITEM_LANES: [&[Lane]; 8] = [
    &[Lane::Usage],
    &[Lane::Invoices],
    Lane::ALL,
    &[Lane::Disbursements],
    &[Lane::Ledger, Lane::Invoices],
    &[Lane::Adjustments],
    &[Lane::Revenue],
    &[Lane::Exports, Lane::EmployerPrograms, Lane::Statements],
];

/// One figure shown as evidence for an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub label: String,
    pub value: Figure,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Figure {
    Amount(Money),
    Count(i64),
    Words(String),
    /// An amount and how it compares with what it should be: `(ties)`, `(total ties; 2 open
    /// mismatches on its lines)`, `against 600.00 expected (off by 0.20)`. Shown, and in JSON
    /// written, as one text (`600.20 (ties)`); the workbook writes the amount as a number
    /// with the comparison beside it.
    Compared {
        amount: Money,
        comparison: String,
    },
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Figure::Amount(m) => f.write_str(&m.grouped()),
            Figure::Count(n) => write!(f, "{n}"),
            Figure::Words(w) => f.write_str(w),
            Figure::Compared { amount, comparison } => write!(f, "{} {comparison}", amount.grouped()),
        }
    }
}

/// An amount as a JSON number, a count as an integer, words and a comparison as text.
impl Serialize for Figure {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Figure::Amount(m) => m.serialize(serializer),
            Figure::Count(n) => n.serialize(serializer),
            Figure::Words(w) => w.serialize(serializer),
            Figure::Compared { .. } => serializer.collect_str(self),
        }
    }
}

fn amount(label: &str, value: Money) -> Evidence {
    Evidence {
        label: label.to_string(),
        value: Figure::Amount(value),
    }
}

fn count(label: &str, value: usize) -> Evidence {
    Evidence {
        label: label.to_string(),
        value: Figure::Count(value as i64),
    }
}

/// An open mismatch that keeps an item from being marked done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Blocker {
    pub key: String,
    pub severity: Severity,
    pub status: crate::snapshot::model::MismatchStatus,
}

/// One checklist item with its evidence: the stored row (its `version` is for stale-view
/// checks: pass it back with a move) and what the close shows beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    #[serde(flatten)]
    pub row: ChecklistRow,
    pub lanes: Vec<Lane>,
    pub evidence: Vec<Evidence>,
    /// How many mismatches in the item's lanes are open.
    pub open_mismatches: usize,
    /// Open critical or high mismatches in its lanes: while any, it cannot be done.
    pub blockers: Vec<Blocker>,
    pub notes: Vec<AnnotationRow>,
}

fn lanes_of(item: u8) -> &'static [Lane] {
    ITEM_LANES[usize::from(item - 1)]
}

fn in_lanes<'v, M>(
    views: &'v [MismatchView<M>],
    lanes: &[Lane],
) -> impl Iterator<Item = &'v MismatchView<M>> + 'v {
    let lanes = lanes.to_vec();
    views
        .iter()
        .filter(move |v| v.is_open() && v.lane.is_some_and(|l| lanes.contains(&l)))
}

fn blockers<M>(views: &[MismatchView<M>], item: u8) -> Vec<Blocker> {
    named_blockers(views, item, usize::MAX).0
}

/// The first `named` blockers of item `item` (most severe first, then by key), and how many
/// there are: only the named ones are copied (a dirty period has tens of thousands).
fn named_blockers<M>(views: &[MismatchView<M>], item: u8, named: usize) -> (Vec<Blocker>, usize) {
    let mut all: Vec<(Severity, &MismatchView<M>)> = in_lanes(views, lanes_of(item))
        .filter_map(|v| v.severity.filter(|s| *s >= Severity::High).map(|s| (s, v)))
        .collect();
    all.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.key.cmp(&b.1.key)));
    let out = all
        .iter()
        .take(named)
        .map(|(severity, v)| Blocker {
            key: v.key.clone(),
            severity: *severity,
            status: v.status,
        })
        .collect();
    (out, all.len())
}

fn words(label: &str, value: String) -> Evidence {
    Evidence {
        label: label.to_string(),
        value: Figure::Words(value),
    }
}

/// `actual` compared with what it should be (`against`: what that is): `(ties)`, or by how
/// much it is off. `lines`: the mismatches on the lines it totals (an export batch's lines,
/// accounts or invoices): a total that ties above lines that do not is no tie, and says so
/// with their number — open, or decided (waived, or resolved by a correction: the figures
/// still differ). Found by an outputs audit: a billing extract whose lines were ±10.00 off
/// on two accounts read "600.20 (ties)".
fn tie(actual: Money, expected: Money, against: &str, lines: OnLines) -> Figure {
    let plural = |n: usize| if n == 1 { "" } else { "es" };
    let comparison = if actual != expected {
        format!(
            "against {} {against} (off by {})",
            expected.grouped(),
            (actual - expected).grouped()
        )
    } else if lines.open > 0 {
        format!(
            "(total ties; {} open mismatch{} on its lines)",
            lines.open,
            plural(lines.open)
        )
    } else if lines.decided > 0 {
        format!(
            "(total ties; {} mismatch{} on its lines waived or corrected)",
            lines.decided,
            plural(lines.decided)
        )
    } else {
        "(ties)".to_string()
    };
    Figure::Compared {
        amount: actual,
        comparison,
    }
}

/// The mismatches on a total's lines: still open, and decided (waived, or resolved by an
/// accepted correction) while the data still shows them.
#[derive(Clone, Copy, Debug, Default)]
struct OnLines {
    open: usize,
    decided: usize,
}

/// Whether a mismatch of the exports lane is on export batch `batch`, from its key
/// (`exports:SUBJECT:CHECK`, the subject `BATCH`, `BATCH/ACCOUNT` or `BATCH/INVOICE`; checks
/// never contain `:`). Compared with the batch's id rather than cut at the first `/`, since
/// an id may hold a `/` itself.
fn on_batch(key: &str, batch: &str) -> bool {
    let Some((subject, _check)) = key.strip_prefix("exports:").and_then(|k| k.rsplit_once(':')) else {
        return false;
    };
    subject
        .strip_prefix(batch)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The evidence of one item, from the engine's figures and the open mismatches.
fn evidence<M>(item: u8, recon: &Overview, views: &[MismatchView<M>], exports: &[Recorded]) -> Vec<Evidence> {
    let steps = &recon.steps;
    let mut out = match item {
        1 => vec![
            count("draft invoices (not AR)", steps.posted.draft_count as usize),
            amount("draft invoices total", steps.posted.draft_total),
            count(
                "unprocessed or rerating usage events",
                steps.usage.open_exceptions as usize,
            ),
            amount("their rated amount", steps.usage.open_exception_amount),
            amount("usage rated in the window", steps.usage.rated),
            amount("usage billed", steps.usage.billed),
        ],
        2 => vec![
            count(
                "invoices posted in the window",
                steps.posted.close_population_count as usize,
            ),
            amount("posted receivables", steps.posted.posted_receivables),
            count(
                "invoices voided in the window",
                steps.posted.voided_count as usize,
            ),
            amount("voided total", steps.posted.voided_total),
            amount("closing AR", steps.posted.closing_ar),
        ],
        3 => {
            let open: Vec<&MismatchView<M>> = views.iter().filter(|v| v.is_open()).collect();
            let by = |s: Severity| open.iter().filter(|v| v.severity == Some(s)).count();
            vec![
                count("open critical", by(Severity::Critical)),
                count("open high", by(Severity::High)),
                count("open medium", by(Severity::Medium)),
                count("open low", by(Severity::Low)),
                count(
                    "in correction",
                    open.iter()
                        .filter(|v| v.status == crate::snapshot::model::MismatchStatus::InCorrection)
                        .count(),
                ),
            ]
        }
        4 => {
            let a = &steps.applied;
            vec![
                amount("payments received", a.window.payments_received),
                amount("credits issued", a.window.credits_issued),
                amount("disbursed from payments", a.window.disbursed_from_payments),
                amount("disbursed from credits", a.window.disbursed_from_credits),
                amount("AR reduced by disbursement", a.disbursed),
                amount("unapplied payments", a.unapplied_payments),
                amount("unapplied credits", a.unapplied_credits),
                amount("unapplied value", a.unapplied),
            ]
        }
        5 => {
            let b = &recon.aging;
            vec![
                amount("current", b.current),
                amount("1–30 days", b.days_1_30),
                amount("31–60 days", b.days_31_60),
                amount("61–90 days", b.days_61_90),
                amount("91 or more days", b.over_90),
                amount("aged AR total", b.total),
                amount("closing AR", recon.headline.closing_ar),
            ]
        }
        6 => {
            let t = &steps.adjustments;
            vec![
                count("adjustments in the window", steps.adjustment_count as usize),
                amount("voids", t.voids),
                amount("credits issued", t.credits_issued),
                amount("credit reversals", t.credit_reversals),
                amount("payment reversals", t.payment_reversals),
                amount("refunds", t.refunds),
                amount("chargebacks", t.chargebacks),
                amount("system adjustments", t.system_adjustments),
            ]
        }
        7 => {
            let r = &steps.revenue.total;
            vec![
                // "Billed" means billed in the window (docs/reconciliation.md, Words): this
                // is the revenue lines of the invoices posted in the window.
                amount("revenue lines posted in the window", r.posted),
                amount("recognized in the window", r.recognized),
                amount("deferred at window end", r.deferred),
                amount("unscheduled", r.unscheduled),
                amount(
                    "tax and pass-through billed (not revenue)",
                    steps.revenue.tax.billed_in_window,
                ),
            ]
        }
        8 => {
            // Each batch's mismatches, whether on its total or on its lines.
            let on_lines = |batch: &str| {
                let mut lines = OnLines::default();
                for v in views.iter().filter(|v| {
                    v.lane == Some(Lane::Exports) && !v.cleared_by_data && on_batch(&v.key, batch)
                }) {
                    if v.is_open() {
                        lines.open += 1;
                    } else {
                        lines.decided += 1;
                    }
                }
                lines
            };
            let mut out: Vec<Evidence> = steps
                .exports
                .batches
                .iter()
                .map(|b| Evidence {
                    label: format!("{} ({})", b.id, b.kind),
                    value: tie(b.header_total, b.expected_total, "expected", on_lines(&b.id)),
                })
                .collect();
            out.extend(steps.programs.programs.iter().map(|p| Evidence {
                label: format!("program {} statements", p.id),
                value: tie(p.statement_total, p.billed, "billed", OnLines::default()),
            }));
            out.push(count(
                "statement lines with no invoice line",
                steps.statements.untied_count as usize,
            ));
            out.push(count("close outputs exported", exports.len()));
            // The latest export of each kind and format (a GL by account apart from the
            // entity's), in the order first exported.
            let mut latest: Vec<&Recorded> = Vec::new();
            for e in exports {
                let same = |l: &&Recorded| {
                    (&l.record.kind, &l.record.format, l.record.by_account)
                        == (&e.record.kind, &e.record.format, e.record.by_account)
                };
                match latest.iter().position(same) {
                    Some(i) => latest[i] = e,
                    None => latest.push(e),
                }
            }
            out.extend(latest.into_iter().map(|e| {
                words(
                    &format!("export {}", e.record.what()),
                    format!(
                        "audit seq {} by {} at {}: {} row(s), sha256 {}, to {}",
                        e.seq,
                        inert(&e.actor),
                        e.at,
                        e.record.rows,
                        e.record.digest,
                        inert(&e.record.path)
                    ),
                )
            }));
            out
        }
        _ => Vec::new(),
    };
    // Activity after the window, in the evidence of the items it touches: shown as such,
    // never counted in the period (docs/reconciliation.md, "As of window end").
    // Indexes into `AfterWindowActivity::rows`.
    let touched: &[usize] = match item {
        1 => &[8],
        2 => &[0, 1],
        4 => &[2, 3, 4, 5, 6],
        6 => &[7],
        _ => &[],
    };
    let rows = steps.after_window.rows();
    for (label, tally) in touched.iter().map(|&i| rows[i]) {
        if !tally.is_empty() {
            out.push(words(
                label,
                format!(
                    "{} row(s), {} (not counted in the period)",
                    tally.count,
                    tally.amount.grouped()
                ),
            ));
        }
    }
    if item != 3 {
        out.push(count(
            "open mismatches in its lanes",
            in_lanes(views, lanes_of(item)).count(),
        ));
    }
    out
}

/// The eight items with their evidence, blockers and notes.
pub fn items(snapshot: &Snapshot, recon: &Overview) -> Result<Vec<Item>, Refusal> {
    let views = views_of(&snapshot.workflow(), &recon.mismatches)?;
    items_with(snapshot, recon, &views)
}

/// [`items`] over `views`, the workflow's views of `recon`'s mismatches as the caller
/// computed them ([`views_of`]): a caller that needs them too computes them once.
pub fn items_with<M>(
    snapshot: &Snapshot,
    recon: &Overview,
    views: &[MismatchView<M>],
) -> Result<Vec<Item>, Refusal> {
    Ok(items_naming(snapshot, recon, views, usize::MAX)?
        .into_iter()
        .map(|(item, _)| item)
        .collect())
}

/// [`items_with`] with at most `named` blockers in each item (the most severe first), each
/// with how many blockers it has: what a view that names a few needs.
pub fn items_naming<M>(
    snapshot: &Snapshot,
    recon: &Overview,
    views: &[MismatchView<M>],
    named: usize,
) -> Result<Vec<(Item, usize)>, Refusal> {
    let read = snapshot.workflow();
    let exports = history(&read)?;
    let mut out = Vec::new();
    for row in read.checklist()? {
        let notes = read.annotations_of(TargetKind::Checklist, &row.item.to_string())?;
        let (blockers, count) = named_blockers(views, row.item, named);
        out.push((
            Item {
                lanes: lanes_of(row.item).to_vec(),
                evidence: evidence(row.item, recon, views, &exports),
                open_mismatches: in_lanes(views, lanes_of(row.item)).count(),
                blockers,
                row,
                notes,
            },
            count,
        ));
    }
    Ok(out)
}

/// Parses an item number, 1 to 8.
pub fn parse_item(text: &str) -> Result<u8, Refusal> {
    match text.trim().parse::<u8>() {
        Ok(n) if (1..=CHECKLIST_ITEMS.len() as u8).contains(&n) => Ok(n),
        _ => Err(Refusal::NotFound(format!(
            "there is no checklist item {}: items are numbered 1 to 8",
            inert(text)
        ))),
    }
}

/// Item `item` as stored; not found when the snapshot lacks it.
fn stored_item(tx: &WriteTx<'_>, item: u8) -> Result<ChecklistRow, Refusal> {
    tx.read()
        .checklist_item(item)?
        .ok_or_else(|| Refusal::NotFound(format!("checklist item {item} is missing from the snapshot")))
}

/// Writes `text` as a note on item `item` and records it among `changes`.
fn add_note(
    w: &super::Writes<'_>,
    actor: &Actor,
    item: u8,
    text: &str,
    changes: &mut Changes,
) -> Result<(), Refusal> {
    let row = w.insert_annotation(&new_annotation(
        TargetKind::Checklist,
        &item.to_string(),
        AnnotationKind::Note,
        actor,
        w.at(),
        text,
    ))?;
    changes.record(row.row_id(), Value::Null, row.state());
    Ok(())
}

/// Adds a note to item `item` without moving it: the item keeps its status, its version and
/// who last moved it (a note on a done item does not make the noter its completer). Needs
/// the right to add a note; refused when the period is locked.
pub fn note(snapshot: &Snapshot, actor: &Actor, item: u8, text: &str) -> Result<Receipt, Refusal> {
    actor.may(Permission::AddNote)?;
    parse_item(&item.to_string())?;
    require_text("the note", text)?;
    let result = snapshot.write(|tx| {
        ensure_open(tx)?;
        stored_item(tx, item)?;
        audited(tx, actor, |w| {
            let mut changes = Changes::default();
            add_note(w, actor, item, text, &mut changes)?;
            Ok(changes.entry(actor, "checklist.note", &row_id("checklist", item), Some(text)))
        })
    });
    result.map_err(|e| e.keeping(text))
}

/// Moves item `item` to `status`, with an optional note. Refused when the period is locked,
/// when the item changed since `seen_version`, and for `done` while a critical or high
/// mismatch in its lanes is open.
#[allow(clippy::too_many_arguments)]
pub fn set<F: Figures + ?Sized>(
    snapshot: &Snapshot,
    actor: &Actor,
    recon: &F,
    item: u8,
    status: ItemStatus,
    note: Option<&str>,
    seen_version: Option<i64>,
) -> Result<Receipt, Refusal> {
    actor.may(Permission::MoveItem)?;
    parse_item(&item.to_string())?;
    if let Some(note) = note {
        require_text("the note", note)?;
    }
    let result = snapshot.write(|tx| {
        ensure_open(tx)?;
        let before = stored_item(tx, item)?;
        check_version(
            || format!("checklist item {item}"),
            seen_version,
            before.version,
            before
                .updated_by
                .as_deref()
                .map(|by| (by, before.updated_at.as_deref().unwrap_or("-"))),
        )?;
        if before.status == status {
            return Err(Refusal::Precondition(format!(
                "checklist item {item} is already {status}"
            )));
        }
        if status == ItemStatus::Done {
            let mismatches = mismatches_now(snapshot, recon)?;
            let blocking = blockers(&views_of(&tx.read(), &mismatches)?, item);
            if !blocking.is_empty() {
                let list: Vec<String> = blocking
                    .iter()
                    .map(|b| format!("{} ({}, {})", inert(&b.key), b.severity, b.status))
                    .collect();
                return Err(Refusal::Precondition(format!(
                    "checklist item {item} cannot be marked done: {} critical or high mismatch(es) open \
                     in its lanes: {}; correct, resolve or waive them first",
                    blocking.len(),
                    list.join(", ")
                )));
            }
        }
        audited(tx, actor, |w| {
            let after = ChecklistRow {
                status,
                updated_by: Some(actor.login.clone()),
                updated_at: Some(w.at().to_string()),
                version: before.version + 1,
                ..before.clone()
            };
            w.update_checklist(&after)?;
            let mut changes = Changes::default();
            changes.record(after.row_id(), before.state(), after.state());
            if let Some(note) = note {
                add_note(w, actor, item, note, &mut changes)?;
            }
            Ok(changes.entry(actor, "checklist.set", &after.row_id(), note))
        })
    });
    result.map_err(|e| e.keeping(note.unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::on_batch;

    /// A batch's mismatches are told by its whole id, which may hold a `/`.
    #[test]
    fn a_mismatch_is_on_the_batch_its_subject_names() {
        assert!(on_batch("exports:GL-1:ar-total", "GL-1"));
        assert!(on_batch("exports:GL-1/ACC-1:gl-account", "GL-1"));
        assert!(!on_batch("exports:GL-10/ACC-1:gl-account", "GL-1"));
        assert!(on_batch("exports:GL/2026-03/ACC-1:gl-account", "GL/2026-03"));
        assert!(!on_batch("ledger:GL-1:roll-forward", "GL-1"));
    }
}
