//! The reconciliation engine: the same sequence of checks every time (docs/reconciliation.md),
//! each a pure function from snapshot figures to [`Mismatch`]es.
//!
//! [`run`] reads the snapshot inside one read transaction, hands each check its typed
//! inputs (streamed for the per-invoice and per-line ones), and then looks up the source
//! rows behind each mismatch — only for the subjects that actually mismatch. The checks
//! are five parts that need nothing from one another (`Part`); two workers take them in
//! turn, longest first: this connection and, when its read sees the same source (the same
//! source fingerprint), a second one on the other core.
//!
//! Owns the sequence of checks and the source-row lookup; must not write to the snapshot nor
//! know the workflow's state (corrections are the workflow's overlay).

/// `fn add(&mut self, other: &Self)` for a struct of figures: adds each named field of
/// `other` to its own (every field, so that a total is the sum of its parts).
macro_rules! add_fields {
    ($figures:ident: $($field:ident),+ $(,)?) => {
        impl $figures {
            fn add(&mut self, other: &$figures) {
                $(self.$field += other.$field;)+
            }
        }
    };
}

pub mod adjustments;
pub mod after;
pub mod aging;
pub mod applied;
pub mod evidence;
pub mod exports;
pub mod ledger_rows;
pub mod mismatch;
pub mod posted;
pub mod programs;
pub mod revenue;
pub mod rollforward;
pub mod statements;
pub mod stored;
pub mod usage;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

pub use aging::Aging;
pub use mismatch::{severity, Kind, Mismatch, SourceRef};
pub use stored::{run_and_store, stored_or_run, Freshness};

use crate::money::Money;
use crate::snapshot::aggregates::Basis;
use crate::snapshot::model::{Lane, LaneOwner, Period, PeriodStatus};
use crate::snapshot::queries::{AfterWindowActivity, Recorded, SourceRows};
use crate::snapshot::Snapshot;

/// The headline figures shown first everywhere.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headline {
    /// Usage lines billed in the window.
    pub usage_billed: Money,
    /// `program_fee` lines billed in the window.
    pub program_fees_billed: Money,
    /// The totals of the close population.
    pub posted_receivables: Money,
    /// AR reduced by disbursement in the window.
    pub disbursed: Money,
    /// The balances of all receivable invoices.
    pub closing_ar: Money,
    /// Unapplied value of payments and credits at window end.
    pub unapplied: Money,
}

/// The figures of every step, in check order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Steps {
    pub posted: posted::PostedFigures,
    pub applied: applied::AppliedFigures,
    pub rollforward: rollforward::RollForwardFigures,
    pub adjustments: adjustments::AdjustmentFigures,
    pub exports: exports::ExportFigures,
    pub revenue: revenue::RevenueFigures,
    pub usage: usage::UsageFigures,
    pub programs: programs::ProgramFigures,
    pub statements: statements::StatementFigures,
    /// Activity dated after window end: shown, never counted in the period.
    #[serde(default, skip_serializing_if = "AfterWindowActivity::is_empty")]
    pub after_window: AfterWindowActivity,
}

/// Every figure of every step, and every mismatch, in check order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub period: Period,
    pub headline: Headline,
    pub mismatches: Vec<Mismatch>,
    pub steps: Steps,
    pub aging: Aging,
}

impl Reconciliation {
    /// Everything but the per-subject lists: what `status`, the cockpit's first pane, the
    /// checklist and the sign-off preconditions read, and what is stored.
    pub fn overview(&self) -> Overview {
        let s = &self.steps;
        Overview {
            period: self.period.clone(),
            headline: self.headline.clone(),
            mismatches: self.mismatches.clone(),
            steps: StepTotals {
                posted: s.posted.clone(),
                applied: s.applied.clone(),
                rollforward: s.rollforward.totals.clone(),
                adjustments: s.adjustments.totals.clone(),
                adjustment_count: s.adjustments.adjustments.len() as u64,
                exports: s.exports.clone(),
                revenue: revenue::RevenueFigures {
                    accounts: Vec::new(),
                    ..s.revenue.clone()
                },
                usage: s.usage.clone(),
                programs: s.programs.clone(),
                statements: s.statements.clone(),
                after_window: s.after_window.clone(),
            },
            aging: self.aging.totals.clone(),
        }
    }
}

/// A reconciliation without its per-subject lists — each account's roll-forward and aged
/// balance, each adjustment of the window — whose size grows with the period: the period,
/// the headline figures, every mismatch with its source rows, and every step's totals. It
/// is what `status`, the cockpit's first pane, the checklist and the sign-off
/// preconditions read, and what a snapshot stores (docs/reconciliation.md, "Stored
/// results"); the lists are the engine's, computed when a command needs them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overview {
    pub period: Period,
    pub headline: Headline,
    pub mismatches: Vec<Mismatch>,
    pub steps: StepTotals,
    /// The aged AR over all accounts.
    pub aging: aging::AgingBuckets,
}

/// The figures of every step, in check order, without the per-subject lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepTotals {
    pub posted: posted::PostedFigures,
    pub applied: applied::AppliedFigures,
    /// The roll-forward over all accounts.
    pub rollforward: rollforward::RollForward,
    pub adjustments: adjustments::AdjustmentTotals,
    /// How many adjustments the window has.
    pub adjustment_count: u64,
    pub exports: exports::ExportFigures,
    pub revenue: revenue::RevenueFigures,
    pub usage: usage::UsageFigures,
    pub programs: programs::ProgramFigures,
    pub statements: statements::StatementFigures,
    /// Activity dated after window end: shown, never counted in the period.
    #[serde(default, skip_serializing_if = "AfterWindowActivity::is_empty")]
    pub after_window: AfterWindowActivity,
}

impl Overview {
    /// The status of the period (docs/reconciliation.md): `signed_off` if signed off; else
    /// `clean` when no mismatch is open; else `needs_review`. Which mismatches are open is
    /// workflow state (`mismatch_state`), so the caller says.
    pub fn status_word(&self, is_open: impl Fn(&Mismatch) -> bool) -> &'static str {
        if self.period.status == PeriodStatus::SignedOff {
            "signed_off"
        } else if self.mismatches.iter().any(is_open) {
            "needs_review"
        } else {
            "clean"
        }
    }
}

/// Who owns each lane: its `lane_owners` row, else the period's close owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owners {
    by_lane: HashMap<Lane, String>,
    close_owner: String,
}

impl Owners {
    pub fn new(period: &Period, lane_owners: &[LaneOwner]) -> Owners {
        Owners {
            by_lane: lane_owners.iter().map(|o| (o.lane, o.owner.clone())).collect(),
            close_owner: period.close_owner.clone(),
        }
    }

    pub fn of(&self, lane: Lane) -> &str {
        self.by_lane.get(&lane).unwrap_or(&self.close_owner)
    }
}

/// What every check needs besides its own inputs.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub period: &'a Period,
    pub owners: &'a Owners,
}

/// A gap a check found, before severity and owner are settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub lane: Lane,
    pub kind: Kind,
    pub subject: String,
    pub check: &'static str,
    pub expected: Money,
    pub actual: Money,
    pub title: String,
    pub next_action: String,
}

impl Context<'_> {
    /// The mismatch for a gap: key, variance (`actual − expected`), severity and owner. Its
    /// source rows are filled in later, by [`run`].
    pub fn mismatch(&self, gap: Gap) -> Mismatch {
        let variance = gap.actual - gap.expected;
        Mismatch {
            key: format!("{}:{}:{}", gap.lane, gap.subject, gap.check),
            lane: gap.lane,
            subject: gap.subject,
            check: gap.check,
            title: gap.title,
            expected: gap.expected,
            actual: gap.actual,
            variance,
            severity: severity(self.period, variance, gap.kind),
            owner: self.owners.of(gap.lane).to_string(),
            next_action: gap.next_action,
            expected_rows: Vec::new(),
            actual_rows: Vec::new(),
        }
    }
}

/// The gaps one check finds in one lane, all of one kind: it makes their mismatches.
#[derive(Clone, Copy, Debug)]
pub struct LaneGaps<'a> {
    ctx: Context<'a>,
    lane: Lane,
    kind: Kind,
}

impl<'a> Context<'a> {
    /// For a check whose gaps are all in `lane` and of `kind`.
    pub fn lane_gaps(self, lane: Lane, kind: Kind) -> LaneGaps<'a> {
        LaneGaps {
            ctx: self,
            lane,
            kind,
        }
    }
}

impl LaneGaps<'_> {
    /// [`Context::mismatch`] of a gap in this lane.
    pub fn mismatch(
        &self,
        subject: impl Into<String>,
        check: &'static str,
        expected: Money,
        actual: Money,
        title: String,
        next_action: String,
    ) -> Mismatch {
        self.ctx.mismatch(Gap {
            lane: self.lane,
            kind: self.kind,
            subject: subject.into(),
            check,
            expected,
            actual,
            title,
            next_action,
        })
    }
}

/// Sorts one check's mismatches by key.
pub(crate) fn sorted(mut mismatches: Vec<Mismatch>) -> Vec<Mismatch> {
    mismatches.sort_by(|a, b| a.key.cmp(&b.key));
    mismatches
}

/// The source rows to look up for one mismatch: those behind `expected` and behind
/// `actual`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace<'a> {
    pub expected: Vec<SourceRows<'a>>,
    pub actual: Vec<SourceRows<'a>>,
}

/// Runs every check on the snapshot, in the order of docs/reconciliation.md, inside one
/// read transaction that ends before this returns — or, when the connection is already
/// inside a transaction (sign-off re-runs the reconciliation inside its write
/// transaction), inside that one.
///
/// The checks read the stored source aggregates when they are current (docs/reconciliation.md,
/// "Source aggregates"); outside a transaction, aggregates that are not current are first
/// rebuilt when the file can be written ([`refresh_aggregates`]), else the checks read the
/// raw rows.
pub fn run(snapshot: &Snapshot) -> rusqlite::Result<Reconciliation> {
    if !snapshot.conn().is_autocommit() {
        return run_checks_on(snapshot, snapshot.aggregates_basis()?, Beside::Never);
    }
    refresh_aggregates(snapshot);
    let read = snapshot.begin_read()?;
    let reconciliation = run_checks(snapshot)?;
    read.finish()?;
    Ok(reconciliation)
}

/// Runs every check over the raw source rows, never the stored aggregates (`reconcile
/// --from-source`): the full recompute, in one read transaction like [`run`].
pub fn run_from_source(snapshot: &Snapshot) -> rusqlite::Result<Reconciliation> {
    if !snapshot.conn().is_autocommit() {
        return run_checks_on(snapshot, Basis::Source, Beside::Never);
    }
    let read = snapshot.begin_read()?;
    let reconciliation = run_checks_on(snapshot, Basis::Source, Beside::WhenItSeesTheSame)?;
    read.finish()?;
    Ok(reconciliation)
}

/// Whether a second connection, on another thread, may take parts of the checks ([`Part`])
/// beside the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Beside {
    /// Inside the caller's transaction (a sign-off's write): a second connection would not
    /// see what it has written, so everything runs on the caller's connection.
    Never,
    /// In a read transaction of our own: a second connection runs them when its read finds
    /// the same source fingerprint, else every part runs here.
    WhenItSeesTheSame,
}

/// Rebuilds the source aggregates when they are not current (a hand edit of a source row,
/// an edited aggregate row, another build's definitions) and the file can be written now;
/// outside a transaction only. Best effort: a read-only or busy file keeps them as they
/// are, and the engine then reads the raw rows. Whether they are current afterwards.
pub fn refresh_aggregates(snapshot: &Snapshot) -> bool {
    match snapshot.aggregates_basis() {
        Ok(Basis::Stored) => true,
        Ok(Basis::Source) if snapshot.conn().is_autocommit() => snapshot.build_aggregates().is_ok(),
        _ => false,
    }
}

thread_local! {
    static ENGINE_RUNS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many times the engine ran on this thread: for tests that prove an action did not
/// run it (a workflow action on a current stored result costs what it changes).
pub fn engine_runs() -> u64 {
    ENGINE_RUNS.with(std::cell::Cell::get)
}

/// Every check, inside a read transaction the caller began for it, on the stored aggregates
/// when they are current, else on the raw rows.
fn run_checks(snapshot: &Snapshot) -> rusqlite::Result<Reconciliation> {
    run_checks_on(snapshot, snapshot.aggregates_basis()?, Beside::WhenItSeesTheSame)
}

fn run_checks_on(snapshot: &Snapshot, basis: Basis, beside: Beside) -> rusqlite::Result<Reconciliation> {
    ENGINE_RUNS.with(|runs| runs.set(runs.get() + 1));
    let period = snapshot.period()?;
    let owners = Owners::new(&period, &snapshot.lane_owners()?);
    let ctx = Context {
        period: &period,
        owners: &owners,
    };
    // Two workers take the parts in `Part::longest_first` order, each as soon as it is free: this
    // connection, and a second one on the other core when there is one that sees what this
    // read sees. A part the second could not run is run here afterwards.
    let other = match beside {
        Beside::WhenItSeesTheSame => snapshot.reader_beside().zip(snapshot.source_fingerprint().ok()),
        Beside::Never => None,
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let order = Part::longest_first(basis);
    let take = || {
        order
            .get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
            .copied()
    };
    let (mine, theirs) = std::thread::scope(|scope| {
        let decimals = crate::money::decimals();
        let other = other.map(|(other, fingerprint)| {
            let take = &take;
            scope.spawn(move || {
                crate::money::with_decimals(decimals, || parts_beside(&other, fingerprint, ctx, basis, take))
            })
        });
        let mut mine = Vec::new();
        while let Some(part) = take() {
            mine.push(run_part(snapshot, ctx, basis, part));
        }
        let theirs = other.map_or_else(Vec::new, |thread| {
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (mine, theirs)
    });
    let mut done = Done::default();
    for found in mine {
        done.add(found?);
    }
    for found in theirs {
        done.add(found);
    }
    for part in Part::ALL {
        if !done.has(part) {
            done.add(run_part(snapshot, ctx, basis, part)?);
        }
    }
    done.reconciliation(period)
}

/// The engine's parts: each reads its own inputs and needs nothing another part computes,
/// so either connection can run it. Steps 1 and 3–5 are one part: each but the first
/// needs what an earlier one computed (step 2 needs none of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// Checks 1 and 3–5.
    Receivables,
    /// Check 2.
    Applied,
    /// Check 6.
    Revenue,
    Usage,
    /// The employer programs and statements lanes.
    Programs,
    /// Aged AR and the activity after the window.
    AgedAndAfter,
}

impl Part {
    const ALL: [Part; 6] = [
        Part::Receivables,
        Part::Applied,
        Part::Revenue,
        Part::Usage,
        Part::AgedAndAfter,
        Part::Programs,
    ];

    /// In the order the workers take them: the longest first. At 1M invoices on the stored
    /// aggregates checks 1 and 3–5 take about 0.7 s, revenue and usage about 0.25 s each,
    /// check 2 0.13 s, the rest a few milliseconds; from the raw rows usage takes about
    /// 12.5 s, checks 1 and 3–5 9 s, revenue 5 s, aged AR 2.5 s, check 2 1.7 s.
    fn longest_first(basis: Basis) -> [Part; 6] {
        match basis {
            Basis::Stored => [
                Part::Receivables,
                Part::Revenue,
                Part::Usage,
                Part::Applied,
                Part::AgedAndAfter,
                Part::Programs,
            ],
            Basis::Source => [
                Part::Usage,
                Part::Receivables,
                Part::Revenue,
                Part::AgedAndAfter,
                Part::Applied,
                Part::Programs,
            ],
        }
    }
}

/// What one part found: its figures and its mismatches, in check order.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Receivables(Box<Receivables>),
    Applied(applied::AppliedFigures, Vec<Mismatch>),
    Revenue(revenue::RevenueFigures, Vec<Mismatch>),
    Usage(usage::UsageFigures, Vec<Mismatch>),
    Programs {
        programs: programs::ProgramFigures,
        statements: statements::StatementFigures,
        mismatches: Vec<Mismatch>,
    },
    AgedAndAfter(Aging, AfterWindowActivity),
}

/// What checks 1 and 3–5 found: check 1's mismatches, and those of checks 3–5 in check
/// order (check 2's go between them).
#[derive(Debug, PartialEq, Eq)]
struct Receivables {
    posted: posted::PostedFigures,
    rollforward: rollforward::RollForwardFigures,
    adjustments: adjustments::AdjustmentFigures,
    exports: exports::ExportFigures,
    posted_mismatches: Vec<Mismatch>,
    mismatches: Vec<Mismatch>,
}

impl Found {
    fn part(&self) -> Part {
        match self {
            Found::Receivables(_) => Part::Receivables,
            Found::Applied(..) => Part::Applied,
            Found::Revenue(..) => Part::Revenue,
            Found::Usage(..) => Part::Usage,
            Found::Programs { .. } => Part::Programs,
            Found::AgedAndAfter(..) => Part::AgedAndAfter,
        }
    }
}

fn run_part(snapshot: &Snapshot, ctx: Context<'_>, basis: Basis, part: Part) -> rusqlite::Result<Found> {
    match part {
        Part::Receivables => receivables(snapshot, ctx, basis),
        Part::Applied => {
            let p = ctx.period;
            let mut activity = snapshot.window_activity(p, basis)?;
            activity.credits_paid_out = snapshot
                .credit_reversal_refunds(p)?
                .iter()
                .map(|r| adjustments::paid_out(r.amount, r.rows))
                .sum();
            let misdirected = snapshot.misdirected_disbursements(p, basis)?;
            let (applied, found) = snapshot.source_totals(p, basis, |sources| {
                applied::check(ctx, &activity, sources, &misdirected)
            })?;
            Ok(Found::Applied(
                applied,
                traced(snapshot, p, found, applied::trace)?,
            ))
        }
        Part::Revenue => {
            let p = ctx.period;
            let (figures, periods) = snapshot.revenue_schedules(p, basis, |s| revenue::check(ctx, s))?;
            // Only a period with lines that cannot be scheduled reads its lines, to name them.
            let found = if periods.is_empty() {
                Vec::new()
            } else {
                snapshot.revenue_lines(p, basis, |lines| {
                    let lines = lines.filter(|line| periods.contains(&revenue::service_period(line)));
                    revenue::cannot_be_scheduled(ctx, lines)
                })?
            };
            Ok(Found::Revenue(
                figures,
                traced(snapshot, p, found, revenue::trace)?,
            ))
        }
        Part::Usage => {
            let p = ctx.period;
            let unbilled = snapshot.unbilled_usage(p, basis)?;
            let account_usage = snapshot.account_usage(p, basis)?;
            let control = snapshot.usage_control()?;
            let (figures, found) = snapshot.usage_lines(p, basis, |lines| {
                usage::check(ctx, account_usage, lines, unbilled, control)
            })?;
            Ok(Found::Usage(figures, traced(snapshot, p, found, usage::trace)?))
        }
        Part::Programs => programs_and_statements(snapshot, ctx, basis),
        Part::AgedAndAfter => Ok(Found::AgedAndAfter(
            aging::aging(snapshot.aging_rows(ctx.period, basis)?),
            snapshot.after_window_activity(ctx.period, basis)?,
        )),
    }
}

/// Checks 1–5, in order.
fn receivables(snapshot: &Snapshot, ctx: Context<'_>, basis: Basis) -> rusqlite::Result<Found> {
    let p = ctx.period;
    let mut mismatches = Vec::new();

    // 1. Posted invoice totals.
    let (posted, found) = snapshot.invoice_facts(p, basis, |invoices| posted::check(ctx, invoices))?;
    let posted_mismatches = traced(snapshot, p, found, posted::trace)?;

    // 2. Applied vs unapplied: `Part::Applied`.

    // 3. Account roll-forward: what step 4's wrong ledger rows explain is theirs.
    let gaps = snapshot.ledger_row_gaps(p, basis)?;
    // The rows of a voided invoice's disbursements are held on their own (`ledger_rows`);
    // its void on the rest.
    let mut disbursement_rows_off = BTreeMap::<String, Money>::new();
    for gap in gaps.iter().filter(|g| g.recorded == Recorded::DisbursedToVoid) {
        if let Some(invoice) = snapshot.invoice_of_disbursement(&gap.id)? {
            *disbursement_rows_off.entry(invoice).or_default() += gap.actual - gap.expected;
        }
    }
    let payment_undos = snapshot.payment_undos(p, basis)?;
    let mut unwound_without_rows = BTreeMap::new();
    let mut undo_rows = BTreeMap::new();
    for payment in adjustments::misrecorded_payments(&payment_undos) {
        undo_rows.insert(payment.clone(), snapshot.undo_rows(p, &payment)?);
        unwound_without_rows.insert(payment.clone(), snapshot.unwound_without_rows(p, &payment)?);
    }
    let inputs = adjustments::Inputs {
        voided: snapshot.voided_invoices(p, basis)?,
        payment_undos,
        unwound_without_rows,
        undo_rows,
        credits: snapshot.credits_issued(p)?,
        ledger: snapshot.ledger_adjustments(p, basis)?,
        disbursement_rows_off,
        credit_refunds: snapshot
            .credit_reversal_refunds(p)?
            .into_iter()
            .map(|r| (r.id, r.rows))
            .collect(),
    };
    // Ledger rows against what they record, where two or more on an account are wrong.
    let mut reported_on_rows = adjustments::ledger_excess(&inputs);
    let (found, explained) = ledger_rows::check(ctx, gaps);
    mismatches.extend(traced(snapshot, p, found, ledger_rows::trace)?);
    reported_on_rows.extend(explained);
    // An application to an invoice that is a draft at window end, booked in the ledger, is
    // the `target` break (step 2); the ledger rows that booked it are that break's, not the
    // roll-forward's (it was found twice). A void's rows are the void check's.
    for d in snapshot.misdirected_disbursements(p, basis)? {
        if d.invoice_status == crate::snapshot::model::InvoiceStatus::Draft {
            let key = format!("{}:{}:{}", Lane::Disbursements, d.id, applied::TARGET);
            for (account, amount) in snapshot.ledger_recording(p, &d)? {
                reported_on_rows.add(&account, key.clone(), amount);
            }
        }
    }
    let (rollforward, found) =
        rollforward::check(ctx, snapshot.account_ledgers(p, basis)?, &reported_on_rows);
    mismatches.extend(traced(snapshot, p, found, rollforward::trace)?);

    // 4. Adjustments.
    let (adjustments, found) = adjustments::check(ctx, inputs);
    mismatches.extend(traced(snapshot, p, found, adjustments::trace)?);

    // 5. AR to finance output.
    let batches = snapshot.batch_totals(basis)?;
    let extracts = snapshot.extract_accounts(basis)?;
    let (exports, found) = snapshot.archive_invoices(p, basis, |archived| {
        let tie_to = exports::TieTo {
            closing_ar: posted.closing_ar,
            posted_receivables: posted.posted_receivables,
            rollforward: &rollforward,
            reported_on_rows: &reported_on_rows,
        };
        exports::check(ctx, &tie_to, &batches, &extracts, archived)
    })?;
    mismatches.extend(traced(snapshot, p, found, exports::trace)?);

    Ok(Found::Receivables(Box::new(Receivables {
        posted,
        rollforward,
        adjustments,
        exports,
        posted_mismatches,
        mismatches,
    })))
}

/// The employer programs and statements lanes.
fn programs_and_statements(snapshot: &Snapshot, ctx: Context<'_>, basis: Basis) -> rusqlite::Result<Found> {
    let p = ctx.period;
    let mut mismatches = Vec::new();
    let program_fees_billed = snapshot.program_fees_billed(p, basis)?;
    let (programs, found) = programs::check(
        ctx,
        snapshot.program_fees(p)?,
        snapshot.statement_totals()?,
        program_fees_billed,
    );
    mismatches.extend(traced(snapshot, p, found, programs::trace)?);

    let (statements, found) = statements::check(
        ctx,
        snapshot.statement_lines(p)?,
        snapshot.unpresented_fee_lines(p, basis)?,
    );
    mismatches.extend(traced(snapshot, p, found, statements::trace)?);
    Ok(Found::Programs {
        programs,
        statements,
        mismatches,
    })
}

/// The parts `other`, a second connection, runs as `take` hands them out, in a read
/// transaction of its own — none when that read does not find the source as `fingerprint`
/// says the caller's read found it (a writer committed in between), and none after its
/// first error (the caller runs what is missing).
fn parts_beside(
    other: &Snapshot,
    fingerprint: (i64, i64),
    ctx: Context<'_>,
    basis: Basis,
    take: &dyn Fn() -> Option<Part>,
) -> Vec<Found> {
    let mut done = Vec::new();
    let Ok(read) = other.begin_read() else {
        return done;
    };
    if other.source_fingerprint().ok() != Some(fingerprint) {
        return done;
    }
    while let Some(part) = take() {
        match run_part(other, ctx, basis, part) {
            Ok(found) => done.push(found),
            Err(_) => return done,
        }
    }
    let _ = read.finish();
    done
}

/// The parts found so far, assembled into a reconciliation once all are in.
#[derive(Default)]
struct Done(Vec<Found>);

impl Done {
    fn add(&mut self, found: Found) {
        self.0.push(found);
    }

    fn has(&self, part: Part) -> bool {
        self.0.iter().any(|f| f.part() == part)
    }

    fn reconciliation(self, period: Period) -> rusqlite::Result<Reconciliation> {
        let (mut receivables, mut applied, mut revenue, mut usage, mut programs, mut aged) =
            (None, None, None, None, None, None);
        for found in self.0 {
            match found {
                Found::Receivables(found) => receivables = Some(*found),
                Found::Applied(figures, mismatches) => applied = Some((figures, mismatches)),
                Found::Revenue(figures, mismatches) => revenue = Some((figures, mismatches)),
                Found::Usage(figures, mismatches) => usage = Some((figures, mismatches)),
                Found::Programs {
                    programs: figures,
                    statements,
                    mismatches,
                } => programs = Some((figures, statements, mismatches)),
                Found::AgedAndAfter(aging, after) => aged = Some((aging, after)),
            }
        }
        let (
            Some(r),
            Some((applied, applied_mismatches)),
            Some((revenue, revenue_mismatches)),
            Some((usage, usage_mismatches)),
            Some((programs, statements, lane_mismatches)),
            Some((aging, after_window)),
        ) = (receivables, applied, revenue, usage, programs, aged)
        else {
            // Not reached: `run_checks_on` runs every part not found before assembling.
            return Err(rusqlite::Error::InvalidQuery);
        };
        let headline = Headline {
            usage_billed: usage.billed,
            program_fees_billed: programs.program_fees_billed,
            posted_receivables: r.posted.posted_receivables,
            disbursed: applied.disbursed,
            closing_ar: r.posted.closing_ar,
            unapplied: applied.unapplied,
        };
        // In check order: steps 1–6, then the source lanes.
        let mut all = r.posted_mismatches;
        all.extend(applied_mismatches);
        all.extend(r.mismatches);
        all.extend(revenue_mismatches);
        all.extend(usage_mismatches);
        all.extend(lane_mismatches);
        Ok(Reconciliation {
            period,
            headline,
            mismatches: all,
            steps: Steps {
                posted: r.posted,
                applied,
                rollforward: r.rollforward,
                adjustments: r.adjustments,
                exports: r.exports,
                revenue,
                usage,
                programs,
                statements,
                after_window,
            },
            aging,
        })
    }
}

/// Fills in the source rows behind each mismatch of one check, as its `trace` names them.
fn traced(
    snapshot: &Snapshot,
    period: &Period,
    mut mismatches: Vec<Mismatch>,
    trace: fn(&Mismatch) -> Trace<'_>,
) -> rusqlite::Result<Vec<Mismatch>> {
    for m in &mut mismatches {
        let rows = trace(m);
        let expected = source_refs(snapshot, period, &rows.expected)?;
        let actual = source_refs(snapshot, period, &rows.actual)?;
        m.expected_rows = expected;
        m.actual_rows = actual;
    }
    Ok(mismatches)
}

fn source_refs(
    snapshot: &Snapshot,
    period: &Period,
    sets: &[SourceRows<'_>],
) -> rusqlite::Result<Vec<SourceRef>> {
    let mut refs = Vec::new();
    for set in sets {
        let (table, ids) = snapshot.source_ids(period, set)?;
        refs.extend(ids.into_iter().map(|id| SourceRef::new(table, id)));
    }
    Ok(refs)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Small helpers for the checks' unit tests.

    use super::*;
    use crate::snapshot::model::{PeriodStatus, Severity};
    use chrono::NaiveDate;

    pub fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    pub fn cents(c: i64) -> Money {
        Money::from_cents(c)
    }

    /// March 2026; materiality 5.00 / 500.00 / 5,000.00; exports owned by the GL team.
    pub fn period() -> Period {
        Period {
            id: "2026-03".into(),
            entity: "Northstar Health Benefits".into(),
            window_start: date("2026-03-01"),
            window_end: date("2026-03-31"),
            currency: "USD".into(),
            close_owner: "finance@northstar.example".into(),
            materiality_medium: cents(500),
            materiality_high: cents(50_000),
            materiality_critical: cents(500_000),
            last_clean_period: None,
            last_clean_date: None,
            exported_on: None,
            status: PeriodStatus::Open,
        }
    }

    pub fn owners(period: &Period) -> Owners {
        Owners::new(
            period,
            &[LaneOwner {
                lane: Lane::Exports,
                owner: "gl-team@northstar.example".into(),
            }],
        )
    }

    /// Calls `f` with the context of [`period`] and its [`owners`]: how a test runs a check.
    pub fn with_context<T>(f: impl FnOnce(Context<'_>) -> T) -> T {
        let period = period();
        let owners = owners(&period);
        f(Context {
            period: &period,
            owners: &owners,
        })
    }

    /// A mismatch's amounts, as the tests compare them: expected, actual, variance.
    pub fn amounts(m: &Mismatch) -> (Money, Money, Money) {
        (m.expected, m.actual, m.variance)
    }

    /// The keys of what a check found, in its order.
    pub fn keys(found: &[Mismatch]) -> Vec<&str> {
        found.iter().map(|m| m.key.as_str()).collect()
    }

    /// Asserts a mismatch's [`amounts`] in cents (expected, actual, variance) and the
    /// severity they earn.
    #[track_caller]
    pub fn assert_amounts(m: &Mismatch, [expected, actual, variance]: [i64; 3], severity: Severity) {
        assert_eq!(amounts(m), (cents(expected), cents(actual), cents(variance)));
        assert_eq!(m.severity, severity);
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::snapshot::model::Severity;

    /// The workers' orders are kept by hand beside `Part::ALL`: each must hold every part
    /// exactly once, or a part would run twice or only in the fallback loop.
    #[test]
    fn each_order_of_the_parts_holds_every_part_once() {
        for basis in [Basis::Stored, Basis::Source] {
            let order = Part::longest_first(basis);
            assert_eq!(order.len(), Part::ALL.len());
            for part in Part::ALL {
                let times = order.iter().filter(|p| **p == part).count();
                assert_eq!(times, 1, "{part:?} in the {basis:?} order");
            }
        }
    }

    #[test]
    fn a_mismatch_gets_key_variance_severity_and_owner() {
        let gap = |lane, kind, subject: &str, check, expected, actual| {
            with_context(|ctx| {
                ctx.mismatch(Gap {
                    lane,
                    kind,
                    subject: subject.into(),
                    check,
                    expected,
                    actual,
                    title: "t".into(),
                    next_action: "n".into(),
                })
            })
        };
        let m = gap(
            Lane::Exports,
            Kind::Tie,
            "GL-2026-03",
            "ar-total",
            cents(3_150_000),
            cents(3_140_000),
        );
        assert_eq!(m.key, "exports:GL-2026-03:ar-total");
        assert_eq!(m.variance, cents(-10_000));
        assert_eq!(m.severity, Severity::Medium);
        assert_eq!(m.owner, "gl-team@northstar.example");
        let m = gap(
            Lane::Ledger,
            Kind::Internal,
            "ACC-1",
            "roll-forward",
            cents(100),
            cents(101),
        );
        assert_eq!(m.severity, Severity::High);
        assert_eq!(m.owner, "finance@northstar.example");
    }

    #[test]
    fn run_leaves_no_transaction_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut snapshot = Snapshot::create(&dir.path().join("p.db")).unwrap();
        let data = crate::snapshot::model::SourceData {
            period: period(),
            lane_owners: vec![],
            accounts: vec![],
            invoices: vec![],
            invoice_lines: vec![],
            payments: vec![],
            credits: vec![],
            disbursements: vec![],
            ledger: vec![],
            usage_events: vec![],
            export_batches: vec![],
            export_lines: vec![],
            employer_programs: vec![],
            program_statements: vec![],
            statement_lines: vec![],
            roster: vec![],
        };
        snapshot.insert_source(&data).unwrap();
        let rec = run(&snapshot).unwrap();
        assert!(rec.mismatches.is_empty());
        assert_eq!(rec.headline, Headline::default());
        assert!(snapshot.conn().is_autocommit());
    }

    /// On the demo: its period and owners (for calling the checks directly), a second
    /// connection beside the first, and the source fingerprint of a read begun on the
    /// first; `test` gets them all, and the read ends after it.
    fn beside_the_demo(test: impl FnOnce(&Snapshot, Context<'_>, &Snapshot, (i64, i64))) {
        let (_dir, snapshot) = crate::snapshot::testing::demo_snapshot();
        let period = snapshot.period().unwrap();
        let owners = Owners::new(&period, &snapshot.lane_owners().unwrap());
        let ctx = Context {
            period: &period,
            owners: &owners,
        };
        let other = snapshot.reader_beside().expect("a second connection to the file");
        let read = snapshot.begin_read().unwrap();
        let fingerprint = snapshot.source_fingerprint().unwrap();
        test(&snapshot, ctx, &other, fingerprint);
        read.finish().unwrap();
    }

    #[test]
    fn the_parts_beside_find_what_one_connection_finds() {
        beside_the_demo(|snapshot, ctx, other, fingerprint| {
            let handed = std::cell::Cell::new(0);
            let take = || {
                let part = Part::ALL.get(handed.get()).copied();
                handed.set(handed.get() + 1);
                part
            };
            let beside = parts_beside(other, fingerprint, ctx, Basis::Source, &take);
            let here: Vec<Found> = Part::ALL
                .iter()
                .map(|&part| run_part(snapshot, ctx, Basis::Source, part).unwrap())
                .collect();
            assert!(
                matches!(&here[0], Found::Receivables(r) if !r.mismatches.is_empty()),
                "the demo has an exports mismatch"
            );
            assert_eq!(beside, here);
        });
    }

    #[test]
    fn a_run_with_parts_beside_equals_one_on_a_single_connection() {
        let (_dir, snapshot) = crate::snapshot::testing::demo_snapshot();
        let whole = run(&snapshot).unwrap();
        let read = snapshot.begin_read().unwrap();
        let alone = run_checks_on(&snapshot, snapshot.aggregates_basis().unwrap(), Beside::Never).unwrap();
        read.finish().unwrap();
        assert!(!whole.mismatches.is_empty());
        assert_eq!(whole, alone);
    }

    #[test]
    fn a_write_between_the_two_reads_sends_the_checks_back_to_the_first_connection() {
        beside_the_demo(|snapshot, ctx, other, fingerprint| {
            // Another program changes a source row after this read began and before the
            // second connection's read begins: that read would see other figures.
            let writer = rusqlite::Connection::open(snapshot.path()).unwrap();
            writer
                .execute(
                    "UPDATE invoice_lines SET amount_cents = amount_cents + 100
                 WHERE rowid = (SELECT MIN(rowid) FROM invoice_lines)",
                    [],
                )
                .unwrap();
            let taken = std::cell::Cell::new(false);
            let take = || (!taken.replace(true)).then_some(Part::Receivables);
            assert_eq!(parts_beside(other, fingerprint, ctx, Basis::Source, &take), []);
            assert!(!taken.get(), "it took no part: this connection runs them all");
            // This read still sees the file as it began.
            assert_eq!(snapshot.source_fingerprint().unwrap(), fingerprint);
        });
    }

    #[test]
    fn status_word_follows_open_mismatches_and_sign_off() {
        let gap = with_context(|ctx| {
            ctx.mismatch(Gap {
                lane: Lane::Usage,
                kind: Kind::Exception,
                subject: "ACC-1".into(),
                check: "unprocessed",
                expected: Money::ZERO,
                actual: Money::ZERO,
                title: "t".into(),
                next_action: "n".into(),
            })
        });
        let mut rec = Reconciliation {
            period: period(),
            headline: Headline::default(),
            mismatches: vec![gap],
            steps: Steps::default(),
            aging: Aging::default(),
        }
        .overview();
        assert_eq!(rec.status_word(|_| true), "needs_review");
        assert_eq!(rec.status_word(|_| false), "clean");
        rec.period.status = PeriodStatus::SignedOff;
        assert_eq!(rec.status_word(|_| true), "signed_off");
    }
}
