//! The cockpit's only door to the library: reconciliation, the period summary, the close
//! workflow and the paged queries. Runs on background threads, each with its own
//! [`Snapshot`] connection; the UI thread only sends [`Request`]s and receives
//! [`Response`]s. Decides no rule (the workflow does) and draws nothing (the views do).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::money::Money;
use crate::reconcile::{self, Mismatch};
use crate::snapshot::model::{
    ItemStatus, Lane, MismatchStatus, Period, PeriodStatus, Severity, Side, TargetKind,
};
use crate::snapshot::pages::{Direction, LaneRow, LaneTable};
use crate::snapshot::queries::RevenueLine;
use crate::snapshot::workflow::{AnnotationRow, ChecklistRow};
use crate::snapshot::Snapshot;
use crate::summary::{Checklist, Summary};
use crate::tui::views::charts::aging_buckets;
use crate::workflow::{self, mismatches::MismatchView, Refusal};

/// Rows per page of a lane table or the audit log.
pub const PAGE: usize = 200;

/// The most mismatches a period may have for the cockpit to load them whole at once
/// (title, next action and source rows of each). A larger period (issue 15, a dirty
/// period) is loaded in two steps: a first frame from the stored totals and the first
/// [`PAGE`] mismatches ([`load_first`]), then every mismatch compact ([`load`]); a compact
/// mismatch is read whole when it is opened ([`Request::Detail`]).
pub const WHOLE_UP_TO: usize = 2_000;

/// Who is using the cockpit, and what the roster says they may do: the workflow's actor.
pub use crate::workflow::Actor;

/// One mismatch as the cockpit lists it: the engine's figures plus workflow state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub mismatch: Mismatch,
    pub status: MismatchStatus,
    /// The owner override, else the engine's owner.
    pub owner: String,
    pub notes: usize,
    /// Expected, actual and variance with accepted corrections applied.
    pub corrected: (Money, Money, Money),
    /// Corrections awaiting a decision.
    pub pending_corrections: usize,
    /// The workflow state's version as read: a change passes it back so a stale view is
    /// refused as a conflict instead of overwriting someone else's change.
    pub version: i64,
}

impl Item {
    pub fn is_open(&self) -> bool {
        !matches!(self.status, MismatchStatus::Resolved | MismatchStatus::Waived)
    }

    /// The mismatch keys of `items`, in their order: what a table's selection moves over.
    pub fn keys(items: &[&Item]) -> Vec<String> {
        items.iter().map(|i| i.mismatch.key.clone()).collect()
    }
}

/// Everything the first pane, the mismatch table and the checklist show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    pub path: PathBuf,
    pub summary: Summary,
    pub period_status: PeriodStatus,
    /// Most severe first, then largest |variance|.
    pub items: Vec<Item>,
    pub checklist: Vec<ChecklistRow>,
    pub evidence: Vec<Vec<String>>,
    pub actor: Actor,
    /// One line of the engine's figures per lane table, in [`LaneTable::ALL`] order.
    pub lane_figures: Vec<String>,
    /// The sign-off preconditions from the workflow: (met, rule, state).
    pub preconditions: Vec<(bool, String, String)>,
    /// Whether the roster has keys, so every action is signed (docs/workflow.md, "Signed
    /// actions"); the first pane says so when it has none.
    pub identities_checked: bool,
    /// Why the period's lock was lifted outside closedesk, when it was (the workflow's
    /// `lock_lifted_outside`): the first pane says it where the status is.
    pub lock_lifted: Option<String>,
    /// Which workflow row was changed outside closedesk, when one was (the workflow's
    /// `audit::changed_outside`): the first pane says it where the status is.
    pub changed_outside: Option<String>,
    /// Drawn from a stored reconciliation computed before the source data last changed;
    /// the worker is running the engine and a fresh `Loaded` follows.
    pub recomputing: bool,
    /// The figures of the charts view.
    pub charts: crate::tui::views::charts::Charts,
    /// The roster's logins and roles: whom a login not on it may act as (`--user`).
    pub roster: Vec<(String, crate::snapshot::model::Role)>,
    /// A large period's first frame: `items` are the first page only (and every mismatch
    /// the workflow touched); the figures over all of them are here, and the rest follows.
    pub partial: Option<Partial>,
    /// The mismatch list's sort orders and search text, computed with the data (in the
    /// worker) so a key in the list costs no sort ([`ListIndex::of`]).
    pub list: ListIndex,
}

/// What a first frame ([`load_first`]) knows of the mismatches it has not read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Partial {
    /// How many mismatches there are.
    pub total: usize,
    /// Open mismatches per lane, in [`Lane::ALL`] order.
    pub lane_open: Vec<(Lane, usize)>,
    /// How many are open, and Σ |variance| (as the engine gives it) of those.
    pub open: usize,
    pub open_variance: Money,
}

/// The mismatch list's orders and search text, by item index: for each [`SortKey`] the
/// items in that order (ties by severity), each item's searchable fields in lower case
/// (one text, so a filter is one pass over it), and the owners. Empty when not computed
/// (the list then computes what it needs itself).
///
/// [`SortKey`]: crate::tui::views::mismatches::SortKey
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListIndex {
    pub orders: Vec<Vec<u32>>,
    pub search: SearchText,
    /// The items' owners, sorted, each once.
    pub owners: Vec<String>,
}

impl ListIndex {
    pub fn of(items: &[Item]) -> ListIndex {
        use crate::tui::views::mismatches::SortKey;
        let owners: std::collections::BTreeSet<&String> = items.iter().map(|i| &i.owner).collect();
        ListIndex {
            orders: SortKey::ORDER.iter().map(|k| k.order(items)).collect(),
            search: SearchText::of(items),
            owners: owners.into_iter().cloned().collect(),
        }
    }
}

/// Every item's searchable fields in lower case, one after the other in one text: each
/// field ended by a NUL (which no typed filter has, so a match never spans two fields),
/// `ends[i]` where item `i`'s end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchText {
    pub text: String,
    pub ends: Vec<u32>,
}

impl SearchText {
    pub fn of(items: &[Item]) -> SearchText {
        let mut search = SearchText {
            text: String::new(),
            ends: Vec::with_capacity(items.len()),
        };
        for i in items {
            let mm = &i.mismatch;
            for field in [
                mm.key.as_str(),
                mm.title.as_str(),
                mm.subject.as_str(),
                i.owner.as_str(),
                mm.next_action.as_str(),
                i.status.as_str(),
                mm.severity.as_str(),
            ] {
                search.text.push_str(&field.to_lowercase());
                search.text.push('\0');
            }
            search
                .ends
                .push(u32::try_from(search.text.len()).unwrap_or(u32::MAX));
        }
        search
    }

    /// Which items have `needle` (lower case) in a field, by index: one pass over the text.
    pub fn matching(&self, needle: &str) -> Vec<bool> {
        let mut hit = vec![needle.is_empty(); self.ends.len()];
        if needle.is_empty() {
            return hit;
        }
        let mut item = 0;
        for at in memchr::memmem::find_iter(self.text.as_bytes(), needle.as_bytes()) {
            let at = at as u32;
            while item < self.ends.len() && self.ends[item] <= at {
                item += 1;
            }
            if let Some(h) = hit.get_mut(item) {
                *h = true;
            }
        }
        hit
    }
}

impl Loaded {
    pub fn open_items(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| i.is_open())
    }

    /// Open mismatches per lane.
    pub fn lane_counts(&self) -> Vec<(Lane, usize)> {
        if let Some(p) = &self.partial {
            return p.lane_open.clone();
        }
        Lane::ALL
            .iter()
            .map(|lane| {
                (
                    *lane,
                    self.open_items().filter(|i| i.mismatch.lane == *lane).count(),
                )
            })
            .collect()
    }

    pub fn item(&self, key: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.mismatch.key == key)
    }

    /// How many mismatches are open, and Σ |variance| of those as the engine gives it.
    pub fn open_totals(&self) -> (usize, Money) {
        if let Some(p) = &self.partial {
            return (p.open, p.open_variance);
        }
        self.open_items().fold((0, Money::ZERO), |(n, sum), i| {
            (n + 1, sum + i.mismatch.variance.abs())
        })
    }

    /// How many mismatches there are (not all in `items` in a first frame).
    pub fn total(&self) -> usize {
        self.partial.as_ref().map_or(self.items.len(), |p| p.total)
    }

    /// Puts a mismatch read whole ([`Response::Detail`]) in place of its compact item.
    pub fn fill_detail(&mut self, mismatch: Mismatch) {
        if let Some(at) = self.items.iter().position(|i| i.mismatch.key == mismatch.key) {
            self.items[at].mismatch = mismatch;
            if self.list.search.ends.len() == self.items.len() {
                self.list.search = SearchText::of(&self.items);
            }
        }
    }
}

/// Hits of one lane search the cockpit keeps (`n`/`N` step through them).
pub const SEARCH_HITS: usize = 1000;

/// Annotations of one trail the cockpit keeps (the oldest first).
pub const TRAIL_ROWS: usize = 500;

/// Work for the background worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Reconcile and summarize again.
    Load,
    /// The trail (annotations) of a mismatch key or checklist item.
    Trail {
        kind: TargetKind,
        target: String,
    },
    LanePage {
        lane: LaneTable,
        cursor: String,
        direction: Direction,
    },
    /// `/` in a lane: the ids of its rows that match `query`, from the whole table.
    LaneSearch {
        lane: LaneTable,
        query: String,
    },
    /// The rows tied to a lane's row (`Snapshot::tied`).
    Tied {
        lane: LaneTable,
        id: String,
    },
    /// Open the lane showing this source row.
    Locate {
        table: String,
        id: String,
    },
    /// The audit log, newest first, before `before`.
    Audit {
        before: Option<i64>,
    },
    Verify,
    /// The rows behind a mismatch, their sums and comparison.
    Evidence {
        key: String,
    },
    /// A mismatch of a compact list ([`WHOLE_UP_TO`]) whole: title, next action, rows.
    Detail {
        key: String,
    },
    Write(WriteOp),
}

/// A change to the close workflow, made as the actor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOp {
    Note {
        kind: TargetKind,
        target: String,
        text: String,
    },
    Correction {
        key: String,
        amount: Money,
        side: Side,
        text: String,
        /// A reference (journal entry, ticket, source row), as `--reference`.
        reference: Option<String>,
        seen: Option<i64>,
    },
    Accept {
        key: String,
        /// The correction chosen (`None`: the one waiting).
        id: Option<i64>,
        /// The note kept with the acceptance, as `accept --note`.
        note: Option<String>,
        seen: Option<i64>,
    },
    /// Reverse an accepted correction, with a reason.
    Reverse {
        key: String,
        id: i64,
        reason: String,
        seen: Option<i64>,
    },
    Reject {
        key: String,
        id: i64,
        reason: String,
        seen: Option<i64>,
    },
    Waive {
        key: String,
        reason: String,
        seen: Option<i64>,
    },
    /// A new owner for a mismatch, overriding the lane owner.
    Assign {
        key: String,
        owner: String,
        seen: Option<i64>,
    },
    Checklist {
        item: u32,
        status: ItemStatus,
        note: Option<String>,
        seen: Option<i64>,
    },
    SignOff {
        typed: String,
        /// The comment kept with the sign-off, as `signoff --comment`.
        comment: Option<String>,
    },
    Reopen {
        reason: String,
    },
    /// Write the close packet (Markdown) beside the snapshot file.
    ExportPacket,
}

impl WriteOp {
    /// The mismatch the change is about, when it is about one.
    pub fn mismatch_key(&self) -> Option<&str> {
        match self {
            WriteOp::Note {
                kind: TargetKind::Mismatch,
                target,
                ..
            } => Some(target),
            WriteOp::Correction { key, .. }
            | WriteOp::Accept { key, .. }
            | WriteOp::Reverse { key, .. }
            | WriteOp::Reject { key, .. }
            | WriteOp::Waive { key, .. }
            | WriteOp::Assign { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// Results sent back to the UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// The file at the snapshot's path is no longer the one opened (replaced or moved):
    /// why, in words. Nothing more is read from it or saved to it.
    Replaced(String),
    Loaded(Box<Loaded>),
    Trail {
        kind: TargetKind,
        target: String,
        rows: Vec<AnnotationRow>,
    },
    LanePage {
        lane: LaneTable,
        cursor: String,
        direction: Direction,
        rows: Vec<LaneEntry>,
    },
    Located {
        lane: LaneTable,
        id: Option<String>,
    },
    Tied {
        lane: LaneTable,
        id: String,
        result: Box<Result<crate::snapshot::tied::Tied, String>>,
    },
    /// The rows of `lane` that match `query` (at most [`SEARCH_HITS`]; `capped`: there may
    /// be more).
    LaneSearch {
        lane: LaneTable,
        query: String,
        ids: Vec<String>,
        capped: bool,
    },
    Audit {
        before: Option<i64>,
        rows: Vec<workflow::audit::Entry>,
    },
    Verified(Result<String, String>),
    Evidence {
        key: String,
        result: Box<Result<crate::reconcile::evidence::Evidence, String>>,
    },
    /// A mismatch whole, when the stored result still has it.
    Detail(Box<Mismatch>),
    Wrote {
        op: WriteOp,
        result: Result<String, String>,
    },
    /// Another connection changed the file.
    Changed,
    Failed(String),
}

/// Orders mismatches most severe first, then by |variance| descending, then key.
pub fn severity_order(a: &Mismatch, b: &Mismatch) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then(b.variance.abs().cmp(&a.variance.abs()))
        .then(a.key.cmp(&b.key))
}

fn sql_err(e: rusqlite::Error) -> String {
    e.to_string()
}

fn refusal(e: Refusal) -> String {
    e.to_string()
}

/// Reconciles (the stored overview when it is current, else the engine, storing its
/// overview), summarizes and reads the workflow state.
///
/// A period of more than [`WHOLE_UP_TO`] mismatches whose stored result is current is read
/// compact: every mismatch without its detail JSON but those the workflow touched and the
/// first page ([`reconcile::stored::stored_compact`]).
pub fn load(snapshot: &Snapshot, login: &str, today: NaiveDate) -> Result<Loaded, String> {
    if let Some(compact) = reconcile::stored::stored_compact(snapshot, PAGE, WHOLE_UP_TO).map_err(sql_err)? {
        return load_with(snapshot, compact, login, today);
    }
    let (overview, _) = reconcile::stored_or_run(snapshot).map_err(sql_err)?;
    load_with(snapshot, overview, login, today)
}

/// A large period's first frame (more than [`WHOLE_UP_TO`] mismatches, stored result
/// current): the overview and counts as `status` reads them, and the first page of the
/// mismatch list with every mismatch the workflow touched; `partial` says so, and [`load`]
/// follows with the rest. `None` for any other period (then [`load`] is the first frame).
pub fn load_first(snapshot: &Snapshot, login: &str, today: NaiveDate) -> Option<Loaded> {
    let first = reconcile::stored::stored_first(snapshot, PAGE, WHOLE_UP_TO).ok()??;
    let mut loaded = load_with(snapshot, first.overview.clone(), login, today).ok()?;
    // Every mismatch the workflow touched is among the items, so those not open are too:
    // the rest of each lane is open, as stored.
    let total: i64 = first.totals.iter().map(|t| t.2).sum();
    let closed: Vec<&Item> = loaded.items.iter().filter(|i| !i.is_open()).collect();
    let lane_open = Lane::ALL
        .iter()
        .map(|lane| {
            let stored: i64 = first.totals.iter().filter(|t| t.0 == *lane).map(|t| t.2).sum();
            let closed = closed.iter().filter(|i| i.mismatch.lane == *lane).count();
            (*lane, usize::try_from(stored).unwrap_or(0).saturating_sub(closed))
        })
        .collect();
    let stored_variance = Money::from_cents(first.totals.iter().map(|t| t.3).sum());
    let closed_variance: Money = closed.iter().map(|i| i.mismatch.variance.abs()).sum();
    let (counts, open_variance) = open_counts(snapshot)?;
    let progress = Checklist::of(&snapshot.workflow().checklist().ok()?);
    loaded.summary = Summary::counted(&first.overview, counts, open_variance, progress, today);
    loaded.partial = Some(Partial {
        total: usize::try_from(total).unwrap_or(0),
        open: usize::try_from(total).unwrap_or(0).saturating_sub(closed.len()),
        open_variance: stored_variance - closed_variance,
        lane_open,
    });
    Some(loaded)
}

/// The open mismatches by severity and Σ |corrected variance|, by SQL (as `status`).
fn open_counts(snapshot: &Snapshot) -> Option<(crate::summary::SeverityCounts, Money)> {
    let (_, open) = reconcile::stored::stored_counts(snapshot).ok()??;
    Some(crate::summary::SeverityCounts::stored(&open))
}

/// What to draw while the engine runs: the stored result, when there is one of this
/// version but the source data changed since (`recomputing` set). `None` when the stored
/// result is current (a [`load`] is as fast) or there is none (nothing to draw yet).
pub fn load_stale(snapshot: &Snapshot, login: &str, today: NaiveDate) -> Option<Loaded> {
    // Cheap first: a current stored result is left to `load`, read once.
    let (generation, version) = snapshot.stored_reconciliation_key().ok()??;
    if version != reconcile::stored::STORED_VERSION || generation == snapshot.source_generation().ok()? {
        return None;
    }
    let stored = reconcile::stored::stored(snapshot).ok()??;
    if stored.current {
        return None;
    }
    let mut loaded = load_with(snapshot, stored.overview, login, today).ok()?;
    loaded.recomputing = true;
    Some(loaded)
}

/// What an item has of the workflow overlay: status, owner, corrected figures, pending
/// corrections, version.
type Overlay = (MismatchStatus, String, (Money, Money, Money), usize, i64);

/// Builds the cockpit's data of `recon` (taken: its mismatches become the items, not
/// copied; a dirty period has 100,000). The workflow's views of the mismatches are computed
/// once, borrowing them, for the items' overlay, the checklist and the sign-off
/// preconditions, and let go before the items are built.
fn load_with(
    snapshot: &Snapshot,
    mut recon: reconcile::Overview,
    login: &str,
    today: NaiveDate,
) -> Result<Loaded, String> {
    let counts = snapshot.annotation_counts().map_err(sql_err)?;
    let progress = Checklist::of(&snapshot.workflow().checklist().map_err(sql_err)?);
    let wf_actor = workflow::Actor::resolve(snapshot, Some(login)).map_err(refusal)?;
    let (summary, overlay, wf_items, preconditions) = {
        // One view per mismatch, in their order (then any cleared by data, not listed).
        let views: Vec<MismatchView<&Mismatch>> =
            workflow::mismatches::views_of(&snapshot.workflow(), &recon.mismatches).map_err(refusal)?;
        let view = |i: usize, m: &Mismatch| views.get(i).filter(|v| v.key == m.key);
        // Open: neither resolved nor waived; what remains open is the corrected variance.
        // (`Summary::new`'s tally, over the views in the mismatches' order.)
        let (open, open_variance) = crate::summary::SeverityCounts::tally(
            recon
                .mismatches
                .iter()
                .enumerate()
                .filter_map(|(i, m)| view(i, m).filter(|v| v.is_open()))
                .map(|v| (v.severity.unwrap_or(Severity::Low), v.corrected_variance)),
        );
        let summary = Summary::counted(&recon, open, open_variance, progress, today);
        let overlay: Vec<Overlay> = recon
            .mismatches
            .iter()
            .enumerate()
            .map(|(i, m)| match view(i, m) {
                Some(v) => (
                    v.status,
                    v.owner.clone(),
                    (v.corrected_expected, v.corrected_actual, v.corrected_variance),
                    v.pending().count(),
                    v.version,
                ),
                None => (
                    MismatchStatus::Open,
                    m.owner.clone(),
                    (m.expected, m.actual, m.variance),
                    0,
                    0,
                ),
            })
            .collect();
        let wf_items =
            workflow::checklist::items_naming(snapshot, &recon, &views, BLOCKERS_NAMED).map_err(refusal)?;
        let preconditions = workflow::signoff::preconditions_with(snapshot, &wf_actor, &views)
            .map_err(refusal)?
            .into_iter()
            .map(|p| (p.met, p.rule.to_string(), p.state))
            .collect::<Vec<_>>();
        (summary, overlay, wf_items, preconditions)
    };
    let checklist = wf_items
        .iter()
        .map(|(i, _)| ChecklistRow {
            item: i.row.item,
            title: i.row.title.clone(),
            status: i.row.status,
            updated_by: i.row.updated_by.clone(),
            updated_at: i.row.updated_at.clone(),
            version: i.row.version,
        })
        .collect();
    let evidence = wf_items
        .iter()
        .map(|(i, blockers)| {
            let mut lines: Vec<String> = i
                .evidence
                .iter()
                .map(|e| format!("{}: {}", e.label, e.value))
                .collect();
            if *blockers > 0 {
                // A few by name: a dirty period has tens of thousands.
                let mut keys: Vec<String> = i
                    .blockers
                    .iter()
                    .map(|b| format!("{} ({})", b.key, b.severity))
                    .collect();
                if *blockers > BLOCKERS_NAMED {
                    keys.push(format!("and {} more", blockers - BLOCKERS_NAMED));
                }
                lines.push(format!("cannot be done while open: {}", keys.join(", ")));
            }
            lines
        })
        .collect();
    drop(wf_items);
    let mut items: Vec<Item> = std::mem::take(&mut recon.mismatches)
        .into_iter()
        .zip(overlay)
        .map(
            |(m, (status, owner, corrected, pending_corrections, version))| Item {
                status,
                owner,
                notes: counts.get(&m.key).copied().unwrap_or(0),
                corrected,
                pending_corrections,
                version,
                mismatch: m,
            },
        )
        .collect();
    // A total order (by key last): unstable sorts the same, without a buffer of half the items.
    items.sort_unstable_by(|a, b| severity_order(&a.mismatch, &b.mismatch));
    let charts = crate::tui::views::charts::Charts::of(&recon, &items);
    let list = ListIndex::of(&items);
    Ok(Loaded {
        path: snapshot.path().to_path_buf(),
        summary,
        period_status: recon.period.status,
        items,
        checklist,
        evidence,
        actor: wf_actor,
        lane_figures: lane_figures(&recon),
        preconditions,
        identities_checked: workflow::signing::is_keyed(&snapshot.workflow()).map_err(refusal)?,
        lock_lifted: workflow::signoff::lock_lifted_outside(&snapshot.workflow()).map_err(sql_err)?,
        changed_outside: workflow::audit::changed_outside(&snapshot.workflow()).map_err(refusal)?,
        recomputing: false,
        charts,
        roster: snapshot.workflow().roster_roles().map_err(sql_err)?,
        partial: None,
        list,
    })
}

/// Blockers of a checklist item named in its evidence; the rest are counted.
const BLOCKERS_NAMED: usize = 20;

/// The engine's figures for each lane table, one line each.
pub fn lane_figures(recon: &reconcile::Overview) -> Vec<String> {
    let st = &recon.steps;
    let u = &st.usage;
    let batches: Vec<String> = st
        .exports
        .batches
        .iter()
        .map(|b| {
            format!(
                "{} {} (expected {})",
                b.id,
                b.header_total.grouped(),
                b.expected_total.grouped()
            )
        })
        .collect();
    let pr = &st.programs;
    let expected: Money = pr.programs.iter().map(|p| p.expected_fee).sum();
    let stated: Money = pr.programs.iter().map(|p| p.statement_total).sum();
    let sf = &st.statements;
    let a = &recon.aging;
    let r = &st.revenue.total;
    let rev = &st.revenue;
    let ap = &st.applied;
    let rf = &st.rollforward;
    LaneTable::ALL
        .iter()
        .map(|lane| match lane {
            LaneTable::Usage => format!(
                "rated {} · billed {} · open exceptions {} ({})",
                u.rated.grouped(),
                u.billed.grouped(),
                u.open_exceptions,
                u.open_exception_amount.grouped()
            ),
            LaneTable::Exports => format!("{} batches: {}", batches.len(), batches.join(" · ")),
            LaneTable::Programs => format!(
                "{} programs · expected {} · billed {} · stated {}",
                pr.programs.len(),
                expected.grouped(),
                pr.program_fees_billed.grouped(),
                stated.grouped()
            ),
            LaneTable::Statements => format!(
                "{} lines · {} · untied {} ({})",
                sf.line_count,
                sf.lines_total.grouped(),
                sf.untied_count,
                sf.untied_total.grouped()
            ),
            LaneTable::Aging => {
                let mut buckets = aging_buckets(a).to_vec();
                buckets.push(("total", a.total));
                amounts(&buckets)
            }
            LaneTable::Revenue => amounts(&[
                ("posted", r.posted),
                ("recognized", r.recognized),
                ("deferred", r.deferred),
                ("unscheduled", r.unscheduled),
                // What Posted AR carries beside revenue: tax is owed, not earned.
                ("tax billed (not revenue)", rev.tax.billed_in_window),
            ]),
            LaneTable::Payments => amounts(&[
                ("received", ap.window.payments_received),
                ("reversed", ap.window.payments_reversed),
                ("refunded", ap.window.payments_refunded),
                ("charged back", ap.window.payments_charged_back),
                ("unapplied at window end", ap.unapplied_payments),
            ]),
            LaneTable::Credits => amounts(&[
                ("issued", ap.window.credits_issued),
                ("reversed", ap.window.credits_reversed),
                ("of which paid out", ap.window.credits_paid_out),
                ("unapplied at window end", ap.unapplied_credits),
            ]),
            LaneTable::Disbursements => amounts(&[
                ("disbursed in the window", ap.disbursed),
                ("from payments", ap.window.disbursed_from_payments),
                ("from credits", ap.window.disbursed_from_credits),
            ]),
            LaneTable::Ledger => amounts(&rf.movements()),
        })
        .collect()
}

/// "label amount · label amount · …", the amounts grouped.
fn amounts(figures: &[(&str, Money)]) -> String {
    let parts: Vec<String> = figures
        .iter()
        .map(|(label, amount)| format!("{label} {}", amount.grouped()))
        .collect();
    parts.join(" · ")
}

/// Carries out a write as `login` against a fresh reconciliation; Ok is a one-line
/// confirmation, Err the workflow's refusal, in its words. `serve_key`: the fingerprint of
/// the key of a `serve` session, which proves the login instead of the ssh-agent.
pub fn write(
    snapshot: &mut Snapshot,
    login: &str,
    serve_key: Option<&str>,
    op: &WriteOp,
) -> Result<String, String> {
    write_with(snapshot, login, serve_key, op, Packets::Beside)
}

/// [`write`], with close packets written as `packets` says.
pub fn write_with(
    snapshot: &mut Snapshot,
    login: &str,
    serve_key: Option<&str>,
    op: &WriteOp,
    packets: Packets,
) -> Result<String, String> {
    use workflow::{checklist, mismatches, signoff};
    let mut actor = workflow::Actor::resolve(snapshot, Some(login)).map_err(refusal)?;
    if let Some(fingerprint) = serve_key {
        actor = actor.served(fingerprint);
    }
    let snap = &*snapshot;
    // The stored result when current (no engine run), read by the writes that need it;
    // each checks in its transaction that the source rows did not change since. An action
    // on one mismatch reads that one by key; a checklist move reads every one (its
    // blockers). A checklist note, the sign-off (which runs the engine itself) and reopen
    // read none.
    let figures = || {
        match op.mismatch_key() {
            Some(key) => reconcile::stored::current_of(snap, key),
            None => reconcile::stored::current(snap),
        }
        .map_err(sql_err)
    };
    if let WriteOp::ExportPacket = op {
        return export_packet(snap, &actor, packets);
    }
    let receipt = match op {
        WriteOp::Note {
            kind: TargetKind::Checklist,
            target,
            text,
        } => {
            let item = target
                .parse::<u8>()
                .map_err(|_| format!("no checklist item {}", crate::text::inert(target)))?;
            workflow::checklist::note(snap, &actor, item, text)
        }
        WriteOp::Note { target, text, .. } => mismatches::on(snap, &actor, &figures()?, target).note(text),
        WriteOp::Correction {
            key,
            amount,
            side,
            text,
            reference,
            seen,
        } => {
            let proposal = mismatches::Proposal {
                amount: *amount,
                side: *side,
                reason: text.clone(),
                reference: reference.clone(),
            };
            mismatches::on(snap, &actor, &figures()?, key)
                .seen(*seen)
                .propose(&proposal)
        }
        WriteOp::Accept { key, id, note, seen } => mismatches::on(snap, &actor, &figures()?, key)
            .seen(*seen)
            .accept(*id, note.as_deref()),
        WriteOp::Reverse {
            key,
            id,
            reason,
            seen,
        }
        | WriteOp::Reject {
            key,
            id,
            reason,
            seen,
        } => {
            let figures = figures()?;
            let on = mismatches::on(snap, &actor, &figures, key).seen(*seen);
            if matches!(op, WriteOp::Reverse { .. }) {
                on.reverse(*id, reason)
            } else {
                on.reject(Some(*id), Some(reason))
            }
        }
        WriteOp::Waive { key, reason, seen } => mismatches::on(snap, &actor, &figures()?, key)
            .seen(*seen)
            .waive(reason),
        WriteOp::Assign { key, owner, seen } => mismatches::on(snap, &actor, &figures()?, key)
            .seen(*seen)
            .assign(owner),
        WriteOp::Checklist {
            item,
            status,
            note,
            seen,
        } => {
            let item = u8::try_from(*item).map_err(|_| format!("no checklist item {item}"))?;
            checklist::set(snap, &actor, &figures()?, item, *status, note.as_deref(), *seen)
        }
        WriteOp::SignOff { comment, .. } => {
            signoff::sign(snap, &actor, comment.as_deref()).map(|s| s.receipt)
        }
        WriteOp::Reopen { reason } => signoff::reopen(snap, &actor, reason),
        WriteOp::ExportPacket => unreachable!("handled above"),
    }
    .map_err(refusal)?;
    let what = match op {
        WriteOp::Note { .. } => "note added".to_string(),
        WriteOp::Correction { .. } => "correction proposed".to_string(),
        WriteOp::Accept { .. } => "correction accepted".to_string(),
        WriteOp::Reverse { id, .. } => format!("correction #{id} reversed"),
        WriteOp::Reject { .. } => "correction sent back".to_string(),
        WriteOp::Waive { .. } => "mismatch waived".to_string(),
        WriteOp::Assign { owner, .. } => format!("owner is now {}", crate::text::inert(owner)),
        WriteOp::Checklist { item, status, .. } => format!("item {item} is now {status}"),
        WriteOp::SignOff { .. } => "period signed off and locked".to_string(),
        WriteOp::Reopen { .. } => "period reopened".to_string(),
        WriteOp::ExportPacket => unreachable!("handled above"),
    };
    Ok(format!("{what} (audit #{})", receipt.seq))
}

/// What the engine's schedule of a revenue line makes of it in the period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// The line's invoice is not receivable: no revenue.
    NotAr,
    /// Tax is owed, not earned.
    TaxOwed,
    /// The line cannot be scheduled (its rule needs service dates it lacks).
    Unscheduled,
    /// Recognized in the window, and deferred past its end.
    Scheduled { recognized: Money, deferred: Money },
}

impl Schedule {
    /// The engine's schedule of `line` in `period`, so the lane's rows add up to its figures.
    fn of(line: Option<&RevenueLine>, period: &Period) -> Schedule {
        use crate::reconcile::revenue::{deferred_at, is_revenue, recognized_through};
        let Some(line) = line else {
            return Schedule::NotAr;
        };
        if !is_revenue(line) {
            return Schedule::TaxOwed;
        }
        let day_before = period.window_start.pred_opt().unwrap_or(period.window_start);
        match (
            recognized_through(line, period.window_end),
            recognized_through(line, day_before),
            deferred_at(line, period.window_end),
        ) {
            (Some(through_end), Some(before), Some(deferred)) => Schedule::Scheduled {
                recognized: through_end - before,
                deferred,
            },
            _ => Schedule::Unscheduled,
        }
    }
}

/// One row of a lane page as the cockpit holds it: the stored row and, on the revenue lane,
/// the engine's schedule of the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneEntry {
    pub row: LaneRow,
    pub schedule: Option<Schedule>,
}

impl LaneEntry {
    pub fn id(&self) -> &str {
        self.row.id()
    }
}

/// Where the cockpit writes close packets, and how many may pile up there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Packets {
    /// The local cockpit: beside the snapshot as `close-packet-PERIOD-draft|signed-HEAD.md`
    /// (`export::file_name`), then `…-2.md`; never replacing one, never refused for their
    /// number.
    #[default]
    Beside,
    /// A served session (`closedesk serve`): beside the snapshot as
    /// `close-packet-PERIOD-STATE-HEAD-LOGIN-N.md`, N from 1 to `max`. With all `max` names taken the
    /// export is refused until some are moved away: a login keeps at most `max` packets.
    PerLogin { max: usize },
}

/// Writes the close packet (Markdown) beside the snapshot, named as [`Packets`] says: an
/// export never replaces one.
fn export_packet(snap: &Snapshot, actor: &workflow::Actor, packets: Packets) -> Result<String, String> {
    use crate::export::{self, Format, Kind, Naming, Target};
    // Beside the snapshot, named as `closedesk export --kind packet` names it
    // (docs/outputs.md, "File names").
    let dir = snap.path().parent().map(Path::to_path_buf).unwrap_or_default();
    let naming = match packets {
        Packets::Beside => Naming {
            dir,
            login: None,
            max: None,
        },
        Packets::PerLogin { max } => Naming {
            dir,
            login: Some(actor.login.clone()),
            max: Some(max),
        },
    };
    let request = export::Request::new(Kind::Packet, Format::Markdown);
    let written =
        export::write(snap, actor, &request, &Target::Named(naming), false).map_err(|e| e.to_string())?;
    let path = written.path.unwrap_or_default();
    Ok(format!(
        "close packet written to {} (audit #{})",
        crate::text::inert_path(&path),
        written.receipt.seq
    ))
}

/// `verify`: the audit chain, the lock triggers and the signed figures.
pub fn verify(snapshot: &Snapshot) -> Result<String, String> {
    let report = workflow::audit::verify(snapshot).map_err(refusal)?;
    if report.ok {
        let head: String = report.head.chars().take(12).collect();
        Ok(format!(
            "{} checks passed · audit log of {} entries intact · head {head}",
            report.checks.len(),
            report.length
        ))
    } else {
        let first = report.first_problem.map_or_else(
            || "a check failed".to_string(),
            |p| match p.seq {
                Some(seq) => format!("seq {seq}: {}", p.what),
                None => p.what,
            },
        );
        Err(first)
    }
}

/// Answers one request. Never panics on bad data: errors become [`Response::Failed`].
pub fn handle(
    snapshot: &mut Snapshot,
    login: &str,
    serve_key: Option<&str>,
    today: NaiveDate,
    req: Request,
) -> Response {
    handle_with(snapshot, login, serve_key, today, Packets::Beside, req)
}

/// [`handle`], with close packets written as `packets` says.
pub fn handle_with(
    snapshot: &mut Snapshot,
    login: &str,
    serve_key: Option<&str>,
    today: NaiveDate,
    packets: Packets,
    req: Request,
) -> Response {
    match req {
        Request::Load => match load(snapshot, login, today) {
            Ok(l) => Response::Loaded(Box::new(l)),
            Err(e) => Response::Failed(format!("cannot read the snapshot: {e}")),
        },
        Request::Trail { kind, target } => match snapshot.workflow().annotations_of(kind, &target) {
            Ok(mut rows) => {
                rows.truncate(TRAIL_ROWS);
                Response::Trail { kind, target, rows }
            }
            Err(e) => Response::Failed(e.to_string()),
        },
        Request::LanePage {
            lane,
            cursor,
            direction,
        } => {
            let period = snapshot.period().ok();
            let as_of = period.as_ref().map_or(today, |p| p.window_end);
            match snapshot.lane_page(lane, &cursor, direction, PAGE, as_of) {
                Ok(rows) => {
                    let rows = rows
                        .into_iter()
                        .map(|row| {
                            let schedule = match (&row, &period) {
                                (LaneRow::Revenue(r), Some(period)) => {
                                    Some(Schedule::of(r.line.as_ref(), period))
                                }
                                _ => None,
                            };
                            LaneEntry { row, schedule }
                        })
                        .collect();
                    Response::LanePage {
                        lane,
                        cursor,
                        direction,
                        rows,
                    }
                }
                Err(e) => Response::Failed(e.to_string()),
            }
        }
        Request::LaneSearch { lane, query } => {
            let amount = crate::tui::search::query_amount(&query);
            let signed = query.trim_start().starts_with(['-', '+', '−']);
            match snapshot.lane_search(lane, &query, amount, signed, SEARCH_HITS + 1) {
                Ok(mut ids) => {
                    let capped = ids.len() > SEARCH_HITS;
                    ids.truncate(SEARCH_HITS);
                    Response::LaneSearch {
                        lane,
                        query,
                        ids,
                        capped,
                    }
                }
                Err(e) => Response::Failed(e.to_string()),
            }
        }
        Request::Tied { lane, id } => {
            let result = snapshot.tied(lane.table(), &id).map_err(sql_err);
            Response::Tied {
                lane,
                id,
                result: Box::new(result),
            }
        }
        Request::Locate { table, id } => match snapshot.locate_source(&table, &id) {
            Ok(Some((lane, id))) => Response::Located { lane, id: Some(id) },
            Ok(None) => Response::Failed(format!(
                "no lane shows {} row {}",
                crate::text::inert(&table),
                crate::text::inert(&id)
            )),
            Err(e) => Response::Failed(e.to_string()),
        },
        Request::Audit { before } => match snapshot.workflow().audit_page(before, PAGE) {
            Ok(rows) => {
                let rows = rows.into_iter().map(workflow::audit::entry).collect();
                Response::Audit { before, rows }
            }
            Err(e) => Response::Failed(e.to_string()),
        },
        Request::Verify => Response::Verified(verify(snapshot)),
        Request::Detail { key } => match reconcile::stored::stored_detail(snapshot, &key) {
            Ok(Some(mismatch)) => Response::Detail(Box::new(mismatch)),
            // Stale or gone: the next load (the watcher asks for it) brings it whole.
            Ok(None) => Response::Changed,
            Err(e) => Response::Failed(e.to_string()),
        },
        Request::Evidence { key } => {
            let result = crate::reconcile::evidence::evidence_now(snapshot, &key)
                .map_err(|e| crate::snapshot::explain(&e))
                .and_then(|found| {
                    found.ok_or_else(|| "the engine no longer reports this mismatch".to_string())
                });
            Response::Evidence {
                key,
                result: Box::new(result),
            }
        }
        Request::Write(op) => {
            let result = write_with(snapshot, login, serve_key, &op, packets);
            Response::Wrote { op, result }
        }
    }
}

/// Runs the worker on a blocking thread with its own connection until `requests` closes.
pub fn spawn_worker(
    path: PathBuf,
    login: String,
    serve_key: Option<String>,
    today: NaiveDate,
    packets: Packets,
    mut requests: UnboundedReceiver<Request>,
    responses: UnboundedSender<Response>,
) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        let mut snapshot = match Snapshot::open(&path) {
            Ok(s) => s,
            Err(e) => {
                let _ = responses.send(Response::Failed(e.to_string()));
                return;
            }
        };
        while let Some(req) = requests.blocking_recv() {
            // `verify` reads the whole file, seconds on a large period: on a read-only
            // connection of its own, so the requests after it (a checklist move, a page) are
            // not queued behind it (they waited 17 s on 200,000 invoices).
            if req == Request::Verify {
                if let Some(beside) = snapshot.reader_beside() {
                    let responses = responses.clone();
                    std::thread::spawn(move || {
                        let _ = responses.send(Response::Verified(verify(&beside)));
                    });
                    continue;
                }
            }
            // A large period's first page is drawn at once while the rest is read; a stale
            // stored result is drawn at once while the engine runs.
            if req == Request::Load {
                if let Some(first) = load_first(&snapshot, &login, today) {
                    if responses.send(Response::Loaded(Box::new(first))).is_err() {
                        break;
                    }
                } else if let Some(stale) = load_stale(&snapshot, &login, today) {
                    if responses.send(Response::Loaded(Box::new(stale))).is_err() {
                        break;
                    }
                }
            }
            let resp = handle_with(&mut snapshot, &login, serve_key.as_deref(), today, packets, req);
            if responses.send(resp).is_err() {
                break;
            }
        }
    })
}

/// Polls `PRAGMA data_version` on its own connection every `every`; sends
/// [`Response::Changed`] when another connection committed. Holds no transaction between
/// polls.
pub fn spawn_watcher(
    path: PathBuf,
    every: Duration,
    responses: UnboundedSender<Response>,
) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        let Ok(snapshot) = Snapshot::open(&path) else {
            return;
        };
        let mut last = snapshot.data_version().ok();
        while !responses.is_closed() {
            std::thread::sleep(every);
            // Another import, `demo --force` or a move put another file at the path: what
            // is shown is the old one, and no save can succeed (the writes refuse it too).
            if let Some(why) = snapshot.replaced_since_open() {
                let _ = responses.send(Response::Replaced(why));
                break;
            }
            let now = snapshot.data_version().ok();
            if now != last {
                last = now;
                if responses.send(Response::Changed).is_err() {
                    break;
                }
            }
        }
    })
}

/// Counts by severity of the open items (for tests and the overview).
pub fn severity_split(items: &[Item]) -> HashMap<Severity, usize> {
    let mut out = HashMap::new();
    for i in items.iter().filter(|i| i.is_open()) {
        *out.entry(i.mismatch.severity).or_insert(0) += 1;
    }
    out
}

#[cfg(test)]
mod large_tests {
    use super::*;
    use crate::tui::app::App;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    /// The demo period with its stored result made large: its mismatches copied under new
    /// keys (and amounts) until there are more than [`WHOLE_UP_TO`], stored as current.
    fn large() -> (tempfile::TempDir, Snapshot, reconcile::Overview) {
        let (dir, snapshot) = crate::demo::open_in_tempdir();
        let (mut overview, _) = reconcile::stored_or_run(&snapshot).unwrap();
        let base = overview.mismatches.clone();
        let mut n = 0i64;
        while overview.mismatches.len() <= WHOLE_UP_TO + 300 {
            for m in &base {
                let mut copy = m.clone();
                copy.key = format!("{}~{n:05}", m.key);
                copy.subject = format!("{}-{}", m.subject, n % 97);
                copy.actual = m.actual + Money::from_cents(n % 13);
                copy.variance = copy.actual - copy.expected;
                overview.mismatches.push(copy);
                n += 1;
            }
        }
        overview.mismatches.sort_by(|a, b| a.key.cmp(&b.key));
        reconcile::stored::store_current(&snapshot, &overview);
        (dir, snapshot, overview)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 4, 6).unwrap()
    }

    /// What may differ between a compact item and the same item whole.
    fn figures(i: &Item) -> impl PartialEq + std::fmt::Debug + '_ {
        let m = &i.mismatch;
        (
            (
                &m.key, m.lane, m.severity, &m.subject, m.expected, m.actual, m.variance,
            ),
            (&m.owner, i.status, &i.owner, i.notes, i.corrected, i.version),
        )
    }

    #[test]
    fn a_large_period_loads_in_two_steps_with_the_figures_of_one() {
        let (_dir, mut snapshot, overview) = large();
        // Worked on deep in the list, past the first page: a waiver and a note.
        let mut by_severity = overview.mismatches.clone();
        by_severity.sort_by(severity_order);
        let (waived, noted) = (
            &by_severity[by_severity.len() - 1],
            &by_severity[by_severity.len() - 2],
        );
        let actor = |login: &str| workflow::Actor::resolve(&snapshot, Some(login)).unwrap();
        let reason = "below materiality, agreed with the controller";
        workflow::mismatches::on(&snapshot, &actor("jokafor"), &overview, &waived.key)
            .waive(reason)
            .unwrap();
        workflow::mismatches::on(&snapshot, &actor("tlin"), &overview, &noted.key)
            .note("asked")
            .unwrap();

        // The whole list, as a small period is loaded, against the two steps.
        let whole = load_with(&snapshot, overview.clone(), "rdiaz", today()).unwrap();
        let first = load_first(&snapshot, "rdiaz", today()).expect("a first page");
        let rest = load(&snapshot, "rdiaz", today()).unwrap();
        let partial = first.partial.as_ref().unwrap();
        assert_eq!(partial.total, overview.mismatches.len());
        assert_eq!(first.total(), whole.total());
        assert!(first.items.len() <= PAGE + 2, "{}", first.items.len());
        assert!(rest.partial.is_none());
        for step in [&first, &rest] {
            assert_eq!(step.summary, whole.summary);
            assert_eq!(step.lane_counts(), whole.lane_counts());
            assert_eq!(step.open_totals(), whole.open_totals());
            assert_eq!(step.period_status, whole.period_status);
        }
        // The first page is the whole list's, each mismatch whole; the worked ones are there.
        assert_eq!(&first.items[..PAGE], &whole.items[..PAGE]);
        assert_eq!(
            first.item(&waived.key).map(|i| i.status),
            Some(MismatchStatus::Waived)
        );
        assert_eq!(first.item(&noted.key).map(|i| i.notes), Some(1));
        // The rest: every mismatch, the same figures and states; compact past the first page.
        assert_eq!(rest.items.len(), whole.items.len());
        for (r, w) in rest.items.iter().zip(&whole.items) {
            assert_eq!(figures(r), figures(w));
            if !r.mismatch.title.is_empty() {
                assert_eq!(r, w);
            }
        }
        assert_eq!(&rest.items[..PAGE], &whole.items[..PAGE]);
        let compact = rest
            .items
            .iter()
            .find(|i| i.mismatch.title.is_empty())
            .expect("compact");
        // Opened: read whole.
        let key = compact.mismatch.key.clone();
        let Response::Detail(m) = handle(
            &mut snapshot,
            "rdiaz",
            None,
            today(),
            Request::Detail { key: key.clone() },
        ) else {
            panic!("no detail");
        };
        assert_eq!(&*m, &whole.item(&key).unwrap().mismatch);
        let mut app = App::new();
        app.on_response(Response::Loaded(Box::new(rest.clone())));
        app.detail.key = key.clone();
        assert_eq!(
            app.whole_detail_request(),
            Some(Request::Detail { key: key.clone() })
        );
        app.on_response(Response::Detail(m));
        assert_eq!(app.detail_item(), whole.item(&key));
        assert_eq!(app.whole_detail_request(), None);

        // The list filters and sorts as it does the whole list (less the compact rows'
        // title and next action), key by key.
        let mut app = App::new();
        app.on_response(Response::Loaded(Box::new(rest.clone())));
        let mut plain = App::new();
        let mut bare = rest.clone();
        bare.list = ListIndex::default();
        plain.on_response(Response::Loaded(Box::new(bare)));
        let keys = |app: &App| -> Vec<String> {
            app.visible_items()
                .iter()
                .map(|i| i.mismatch.key.clone())
                .collect()
        };
        let press = |app: &mut App, c: char| {
            app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        };
        for app in [&mut app, &mut plain] {
            press(app, '2');
        }
        assert_eq!(keys(&app), keys(&plain));
        assert_eq!(keys(&app).len(), whole.items.len());
        for c in "sssSsssssSVVx/~001".chars() {
            press(&mut app, c);
            press(&mut plain, c);
            assert_eq!(keys(&app), keys(&plain), "after {c}");
        }
        assert!(!keys(&app).is_empty() && keys(&app).len() < whole.items.len());
        let naive: Vec<String> = {
            let mut rows: Vec<&Item> = rest
                .items
                .iter()
                .filter(|i| {
                    [&i.mismatch.key, &i.mismatch.subject, &i.owner]
                        .iter()
                        .any(|t| t.to_lowercase().contains("~001"))
                })
                .collect();
            rows.sort_by(|a, b| severity_order(&a.mismatch, &b.mismatch));
            rows.iter().map(|i| i.mismatch.key.clone()).collect()
        };
        let mut shown = keys(&app);
        if app.mismatches.descending {
            shown.reverse();
        }
        let mut naive_sorted = naive.clone();
        naive_sorted.sort();
        let mut shown_sorted = shown.clone();
        shown_sorted.sort();
        assert_eq!(shown_sorted, naive_sorted);

        // A stored row edited by another program: no first page, no detail, and the rest
        // is the engine's (the demo's own mismatches).
        snapshot
            .conn()
            .execute(
                "UPDATE reconcile_mismatches SET variance_cents = 0 WHERE ord = 0",
                [],
            )
            .unwrap();
        assert!(load_first(&snapshot, "rdiaz", today()).is_none());
        assert_eq!(
            handle(&mut snapshot, "rdiaz", None, today(), Request::Detail { key }),
            Response::Changed
        );
        let recomputed = load(&snapshot, "rdiaz", today()).unwrap();
        assert_eq!(
            recomputed.items.len(),
            reconcile::run(&snapshot).unwrap().mismatches.len()
        );
    }

    #[test]
    fn a_write_from_the_cockpit_on_a_large_period_touches_its_one_mismatch() {
        let (_dir, mut snapshot, overview) = large();
        let key = overview.mismatches[overview.mismatches.len() / 2].key.clone();
        let write = |snapshot: &mut Snapshot, op: WriteOp| write(snapshot, "tlin", None, &op);
        let note = WriteOp::Note {
            kind: TargetKind::Mismatch,
            target: key.clone(),
            text: "asked billing".into(),
        };
        assert_eq!(note.mismatch_key(), Some(key.as_str()));
        write(&mut snapshot, note).unwrap();
        let assign = WriteOp::Assign {
            key: key.clone(),
            owner: "ar-team".into(),
            seen: Some(1),
        };
        write(&mut snapshot, assign).unwrap();
        // One state row (this mismatch's), three audit rows (seen, note, assign); not one
        // per mismatch of the period.
        let read = snapshot.workflow();
        let states = read.mismatch_states().unwrap();
        assert_eq!(states.len(), 1);
        assert_eq!((states[0].key.as_str(), states[0].version), (key.as_str(), 2));
        assert_eq!(read.audit_log().unwrap().len(), 3);
        // A stale version is a conflict, as before.
        let stale = WriteOp::Assign {
            key: key.clone(),
            owner: "someone".into(),
            seen: Some(1),
        };
        let refused = write(&mut snapshot, stale).unwrap_err();
        assert!(refused.starts_with("conflict:"), "{refused}");
        // The list shows it, the other mismatches as before any action.
        let loaded = load(&snapshot, "rdiaz", today()).unwrap();
        let item = loaded.item(&key).unwrap();
        assert_eq!((item.owner.as_str(), item.notes, item.version), ("ar-team", 1, 2));
        assert!(loaded
            .items
            .iter()
            .filter(|i| i.mismatch.key != key)
            .all(|i| i.version == 0));
    }

    /// The cockpit's save from a stale view of a mismatch nobody changed says so: it named
    /// the saving login and now as the changer ("it is now version 0, changed by tlin at …").
    #[test]
    fn a_conflict_on_a_mismatch_nobody_changed_says_so() {
        let (_dir, mut snapshot) = crate::demo::open_in_tempdir();
        let assign = WriteOp::Assign {
            key: "exports:GL-2026-03:ar-total".into(),
            owner: "ar-team".into(),
            seen: Some(3),
        };
        let refused = write(&mut snapshot, "tlin", None, &assign).unwrap_err();
        assert!(
            refused.contains("(you saw version 3, it is now version 0, never changed)"),
            "{refused}"
        );
        assert!(!refused.contains("tlin"), "{refused}");
    }
}

#[cfg(test)]
mod watcher_tests {
    use super::*;

    /// Another file moved onto the path under an open cockpit: the watcher says so (the
    /// cockpit showed the old file as live, and learnt it only from a refused save).
    #[test]
    fn a_file_replaced_under_the_cockpit_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let other = dir.path().join("other.db");
        crate::demo::write(&path, false).unwrap();
        crate::demo::write(&other, false).unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let _entered = runtime.enter();
        let _watcher = spawn_watcher(path.clone(), Duration::from_millis(10), tx);
        std::thread::sleep(Duration::from_millis(100));
        std::fs::rename(&other, &path).unwrap();
        let said = runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    match rx.recv().await {
                        Some(Response::Replaced(why)) => return why,
                        Some(_) => continue,
                        None => panic!("the watcher stopped without saying why"),
                    }
                }
            })
            .await
            .expect("no word within 10 s")
        });
        assert!(
            said.contains("p.db was replaced by another file since it was opened here"),
            "{said}"
        );
        let mut app = crate::tui::app::App::new();
        app.on_response(Response::Replaced(said));
        assert!(app
            .stopped
            .as_deref()
            .unwrap()
            .ends_with("quit and open it again"));
    }
}
