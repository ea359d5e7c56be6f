//! Synthetic periods at scale (`closedesk demo --scale N [--seed S] --out FILE`).
//!
//! A deterministic period with `N` invoices: about 2–3 lines, 2–3 ledger rows and 10 usage
//! events per invoice, `N/50` accounts (every tenth an employer organization with one
//! program, its fee line and its organization fee statement), the GL, billing-extract and
//! archive export batches, and a realistic status mix (drafts, voids, February invoices
//! still open or paid in March, closed, unpaid and part-paid invoices, credits,
//! chargebacks, reversals, refunds, small-balance write-offs, unapplied cash).
//!
//! The period is consistent by construction, by the rules `docs/reconciliation.md` checks
//! (the same ones `tests/property.rs` builds by): lines add up to totals, disbursements
//! and the ledger agree with balances, usage events sum to the usage lines that billed
//! them, program fees are basis × rate, statements tie, the export batches carry the
//! closing AR, the ledger closing AR and the close population. Then a handful of
//! mismatches is planted, one per lane, each independent of the others; [`Generated`]
//! lists their keys and exact figures, so a run of the engine at any size can be checked
//! to find exactly those and nothing else.
//!
//! Rows are streamed into the snapshot one at a time ([`Snapshot::bulk_load`]); the only
//! state kept is per account. The same `N` and seed give the same file contents.
//!
//! Owns the generator and its planted mismatches; must not be used by the product's read
//! paths, and writes only through the bulk loader.

use std::path::Path;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};

use crate::import::{self, ImportError};
use crate::money::Money;
use crate::snapshot::bulk::RowWriter;
use crate::snapshot::model::*;
use crate::snapshot::Snapshot;

/// The smallest period the generator makes (room for every planted mismatch).
pub const MIN_INVOICES: u64 = 100;

/// The most invoices a synthetic period may have: ten times the largest period measured
/// (BENCHMARKS.md), whose file takes about 3 GiB per million invoices.
pub const MAX_INVOICES: u64 = 10_000_000;

/// The default seed.
pub const DEFAULT_SEED: u64 = 1;

/// A mismatch the generator planted: `reconcile` must report it with exactly these
/// figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    pub key: String,
    pub expected: Money,
    pub actual: Money,
    /// What was done to the data.
    pub story: &'static str,
}

impl Planted {
    /// `actual − expected`, as the engine computes it.
    pub fn variance(&self) -> Money {
        self.actual - self.expected
    }
}

/// Row counts of a generated period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub accounts: u64,
    pub invoices: u64,
    pub invoice_lines: u64,
    pub payments: u64,
    pub credits: u64,
    pub disbursements: u64,
    pub ledger: u64,
    pub usage_events: u64,
    pub export_lines: u64,
    pub employer_programs: u64,
}

/// What the generator wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    pub invoices: u64,
    pub seed: u64,
    pub counts: Counts,
    /// The planted mismatches, by key.
    pub planted: Vec<Planted>,
}

/// Writes a synthetic period of `invoices` invoices to `out`, all or nothing (refusing to
/// replace an existing file unless `force`).
pub fn write(out: &Path, invoices: u64, seed: u64, force: bool) -> Result<Generated, ImportError> {
    if invoices < MIN_INVOICES {
        return Err(ImportError::Target(format!(
            "--scale {invoices}: a synthetic period has at least {MIN_INVOICES} invoices"
        )));
    }
    if invoices > MAX_INVOICES {
        return Err(ImportError::Target(format!(
            "--scale {invoices}: a synthetic period has at most {MAX_INVOICES} invoices (its file takes \
             about 3 GiB per million)"
        )));
    }
    import::build_with(out, force, |snapshot| generate(snapshot, invoices, seed))
}

/// Fills a new, empty snapshot with the synthetic period.
pub fn generate(snapshot: &mut Snapshot, invoices: u64, seed: u64) -> rusqlite::Result<Generated> {
    let period = period();
    let mut generator = Generator::new(invoices.max(MIN_INVOICES), seed);
    snapshot.bulk_load(&period, |w| generator.run(w))
}

/// The period: March 2026, like the demo.
pub fn period() -> Period {
    Period {
        id: "2026-03".into(),
        entity: "Northstar Health Benefits (synthetic)".into(),
        window_start: day(3, 1),
        window_end: day(3, 31),
        currency: "USD".into(),
        close_owner: "finance@northstar.example".into(),
        materiality_medium: Money::from_cents(500),
        materiality_high: Money::from_cents(50_000),
        materiality_critical: Money::from_cents(500_000),
        last_clean_period: Some("2026-02".into()),
        last_clean_date: Some(day(3, 4)),
        exported_on: None,
        status: PeriodStatus::Open,
    }
}

fn day(month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, d).expect("a valid day of 2026")
}

fn at(date: NaiveDate, h: u32, m: u32, s: u32) -> NaiveDateTime {
    date.and_hms_opt(h, m, s).expect("a valid time")
}

fn money(cents: i64) -> Money {
    Money::from_cents(cents)
}

/// SplitMix64: small, fast, and the same on every platform (the benches seed it too).
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `0 .. n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `lo ..= hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True `per_mille` times in a thousand.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Draft,
    Void,
    /// Posted in February (opening AR).
    February,
    /// Posted in the window.
    March,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Settle {
    Unpaid,
    Partial,
    Full,
    FullByCredit,
    Chargeback,
    Reversal,
}

/// What one invoice must be, when it carries a planted mismatch or a program fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Force {
    None,
    /// A recurring line 12.34 short of what the total says.
    LinesShort,
    /// Part-paid by a payment that is 1.00 smaller than what was disbursed from it.
    OverDisbursed,
    /// An ordinary unpaid invoice whose account gets a duplicated ledger row.
    DuplicateLedger,
    /// The employer's invoice carrying its program fee.
    ProgramFee,
}

const LINES_SHORT: i64 = 1_234;
const OVER_DISBURSED: i64 = 100;
const DUPLICATE_LEDGER: i64 = 25_000;
const GL_NETTED: i64 = 975;
const UNBILLED_USAGE: i64 = 3_750;
const STATEMENT_OVER: i64 = 452;

const GL_BATCH: &str = "GL-2026-03";
const EXTRACT_BATCH: &str = "BX-2026-03";
const ARCHIVE_BATCH: &str = "ARCH-2026-03";

const NAMES: &[&str] = &[
    "Brightwater Clinics",
    "Cedar Ridge Health",
    "Redwood Coast Dermatology",
    "Riverbend Family Practice",
    "Keystone Renal",
    "Northwind Telehealth",
    "Greenfield Radiology",
    "Harbor Pediatrics",
    "Summit Orthopedics",
    "Clínica Santa Lucía",
];

struct Program {
    account: u64,
    id: String,
    fee: i64,
    line_id: Option<String>,
}

struct Generator {
    n: u64,
    seed: u64,
    accounts: u64,
    rng: Rng,
    /// Per account: the balances of its receivable invoices.
    balances: Vec<i64>,
    /// Per account: its AR-kind ledger rows to window end.
    ledger_ar: Vec<i64>,
    /// Per account: usage lines billed in the window.
    usage_billed: Vec<i64>,
    programs: Vec<Program>,
    posted_receivables: i64,
    counts: Counts,
    seq_line: u64,
    seq_ledger: u64,
    seq_event: u64,
    seq_payment: u64,
    seq_credit: u64,
    seq_disbursement: u64,
    seq_undo: u64,
    seq_archive: u64,
    lines_short: u64,
    over_disbursed: u64,
    duplicate_ledger: u64,
    planted: Vec<Planted>,
}

impl Generator {
    fn new(n: u64, seed: u64) -> Generator {
        let accounts = (n / 50).max(10);
        let mut rng = Rng(seed ^ 0xC105_ED35_u64.wrapping_mul(0x1000_0000_01B3));
        // Three distinct invoices past the employers' first invoices carry a plant.
        let span = n - accounts;
        let lines_short = accounts + rng.below(span);
        let mut over_disbursed = accounts + rng.below(span);
        while over_disbursed == lines_short {
            over_disbursed = accounts + (over_disbursed + 1 - accounts) % span;
        }
        let mut duplicate_ledger = accounts + rng.below(span);
        while duplicate_ledger == lines_short || duplicate_ledger == over_disbursed {
            duplicate_ledger = accounts + (duplicate_ledger + 1 - accounts) % span;
        }
        Generator {
            n,
            seed,
            accounts,
            rng,
            balances: vec![0; accounts as usize],
            ledger_ar: vec![0; accounts as usize],
            usage_billed: vec![0; accounts as usize],
            programs: Vec::new(),
            posted_receivables: 0,
            counts: Counts::default(),
            seq_line: 0,
            seq_ledger: 0,
            seq_event: 0,
            seq_payment: 0,
            seq_credit: 0,
            seq_disbursement: 0,
            seq_undo: 0,
            seq_archive: 0,
            lines_short,
            over_disbursed,
            duplicate_ledger,
            planted: Vec::new(),
        }
    }

    fn account_id(a: u64) -> String {
        format!("ACC-{a:06}")
    }

    fn invoice_id(i: u64) -> String {
        format!("INV-{i:08}")
    }

    fn is_employer(a: u64) -> bool {
        a % 10 == 9
    }

    fn run(&mut self, w: &mut RowWriter<'_>) -> rusqlite::Result<Generated> {
        self.header(w)?;
        for i in 0..self.n {
            let a = i % self.accounts;
            let force = if i == self.lines_short {
                Force::LinesShort
            } else if i == self.over_disbursed {
                Force::OverDisbursed
            } else if i == self.duplicate_ledger {
                Force::DuplicateLedger
            } else if i == a && Self::is_employer(a) {
                Force::ProgramFee
            } else {
                Force::None
            };
            self.invoice(w, i, a, force)?;
        }
        self.footer(w)?;
        self.planted.sort_by(|x, y| x.key.cmp(&y.key));
        Ok(Generated {
            invoices: self.n,
            seed: self.seed,
            counts: self.counts.clone(),
            planted: self.planted.clone(),
        })
    }

    fn header(&mut self, w: &mut RowWriter<'_>) -> rusqlite::Result<()> {
        w.lane_owner(&LaneOwner {
            lane: Lane::Exports,
            owner: "gl-team@northstar.example".into(),
        })?;
        w.lane_owner(&LaneOwner {
            lane: Lane::EmployerPrograms,
            owner: "programs@northstar.example".into(),
        })?;
        for (login, name, role) in [
            ("mhale", "Morgan Hale", Role::Lead),
            ("sgupta", "Sana Gupta", Role::Lead),
            ("jokafor", "James Okafor", Role::Reviewer),
            ("rdiaz", "Rosa Diaz", Role::Operator),
            ("tlin", "Tao Lin", Role::Operator),
        ] {
            w.roster(&RosterEntry {
                login: login.into(),
                display_name: name.into(),
                role,
                public_key: None,
            })?;
        }
        for a in 0..self.accounts {
            let employer = Self::is_employer(a);
            w.account(&Account {
                id: Self::account_id(a),
                name: if employer {
                    format!("Employer Benefits Trust {a}")
                } else {
                    format!("{} {a}", NAMES[(a % NAMES.len() as u64) as usize])
                },
                kind: if employer {
                    AccountKind::Employer
                } else {
                    AccountKind::Customer
                },
            })?;
            if employer {
                let basis_units = self.rng.range(50, 1_000);
                let rate = self.rng.range(50, 2_500);
                let id = format!("PRG-{a:06}");
                w.employer_program(&EmployerProgram {
                    id: id.clone(),
                    employer_account_id: Self::account_id(a),
                    name: format!("Wellness lookups {a}"),
                    basis_units,
                    rate: money(rate),
                })?;
                self.programs.push(Program {
                    account: a,
                    id,
                    fee: basis_units * rate,
                    line_id: None,
                });
            }
        }
        self.counts.accounts = self.accounts;
        self.counts.employer_programs = self.programs.len() as u64;
        for (id, kind, destination) in [
            (GL_BATCH, BatchKind::Gl, "netsuite-gl"),
            (EXTRACT_BATCH, BatchKind::BillingExtract, "billing-extract"),
            (ARCHIVE_BATCH, BatchKind::Archive, "invoice-archive"),
        ] {
            w.export_batch(&ExportBatch {
                id: id.into(),
                kind,
                destination: destination.into(),
                created_at: at(day(3, 31), 22, 0, 0),
                total: Money::ZERO,
            })?;
        }
        Ok(())
    }

    fn line_id(&mut self) -> String {
        self.seq_line += 1;
        self.counts.invoice_lines += 1;
        format!("LN-{:09}", self.seq_line)
    }

    #[allow(clippy::too_many_arguments)]
    fn ledger(
        &mut self,
        w: &mut RowWriter<'_>,
        a: u64,
        invoice: Option<&str>,
        when: NaiveDateTime,
        kind: LedgerKind,
        cents: i64,
        reference: Option<String>,
    ) -> rusqlite::Result<()> {
        self.seq_ledger += 1;
        self.counts.ledger += 1;
        if kind.moves_ar() {
            self.ledger_ar[a as usize] += cents;
        }
        w.ledger(&LedgerEntry {
            id: format!("LG-{:09}", self.seq_ledger),
            account_id: Self::account_id(a),
            invoice_id: invoice.map(Into::into),
            occurred_at: when,
            kind,
            amount: money(cents),
            reference,
        })
    }

    fn payment(
        &mut self,
        w: &mut RowWriter<'_>,
        a: u64,
        kind: PaymentKind,
        related: Option<&str>,
        on: NaiveDate,
        cents: i64,
    ) -> rusqlite::Result<String> {
        let id = match kind {
            PaymentKind::Payment => {
                self.seq_payment += 1;
                format!("PAY-{:08}", self.seq_payment)
            }
            other => {
                self.seq_undo += 1;
                let prefix = match other {
                    PaymentKind::Reversal => "REV",
                    PaymentKind::Refund => "RFD",
                    _ => "CHB",
                };
                format!("{prefix}-{:06}", self.seq_undo)
            }
        };
        self.counts.payments += 1;
        let reference = match kind {
            PaymentKind::Payment => Some(format!("ACH {}", 50_000 + self.rng.below(50_000))),
            PaymentKind::Reversal => Some("ACH return R01, insufficient funds".into()),
            PaymentKind::Refund => Some("Duplicate remittance refunded".into()),
            PaymentKind::Chargeback => Some("Card dispute, reason 10.4".into()),
        };
        w.payment(&Payment {
            id: id.clone(),
            account_id: Self::account_id(a),
            kind,
            related_payment_id: related.map(Into::into),
            occurred_on: on,
            amount: money(cents),
            reference,
        })?;
        Ok(id)
    }

    fn disburse(
        &mut self,
        w: &mut RowWriter<'_>,
        source_kind: SourceKind,
        source: &str,
        invoice: &str,
        on: NaiveDate,
        cents: i64,
    ) -> rusqlite::Result<String> {
        self.seq_disbursement += 1;
        self.counts.disbursements += 1;
        let id = format!("DSB-{:08}", self.seq_disbursement);
        w.disbursement(&Disbursement {
            id: id.clone(),
            source_kind,
            source_id: source.into(),
            invoice_id: invoice.into(),
            disbursed_on: on,
            amount: money(cents),
        })?;
        Ok(id)
    }

    fn invoice(&mut self, w: &mut RowWriter<'_>, i: u64, a: u64, force: Force) -> rusqlite::Result<()> {
        let rng = &mut self.rng;
        let shape = if force != Force::None {
            Shape::March
        } else {
            match rng.below(1000) {
                0..=29 => Shape::Draft,
                30..=49 => Shape::Void,
                50..=149 => Shape::February,
                _ => Shape::March,
            }
        };
        let mut settle = match rng.below(1000) {
            0..=519 => Settle::Full,
            520..=549 => Settle::FullByCredit,
            550..=799 => Settle::Unpaid,
            800..=993 => Settle::Partial,
            994..=996 => Settle::Chargeback,
            _ => Settle::Reversal,
        };
        match force {
            Force::OverDisbursed => settle = Settle::Partial,
            Force::DuplicateLedger => settle = Settle::Unpaid,
            _ => {}
        }
        let posted = match shape {
            Shape::Draft => None,
            Shape::Void => Some(day(3, 1 + rng.below(27) as u32)),
            Shape::February => Some(day(2, 1 + rng.below(28) as u32)),
            Shape::March => Some(day(3, 1 + rng.below(31) as u32)),
        };
        let (month_start, month_end) = match shape {
            Shape::Draft => (day(4, 1), day(4, 30)),
            Shape::February => (day(2, 1), day(2, 28)),
            _ => (day(3, 1), day(3, 31)),
        };
        let inv = Self::invoice_id(i);
        let account = Self::account_id(a);
        let receivable = matches!(shape, Shape::February | Shape::March);

        // Lines. The invoice row comes first (the lines name it), so collect the figures
        // needed for it: the total is the sum of the lines.
        let recurring = self.rng.range(5_000, 200_000);
        let ratable = shape == Shape::March && self.rng.chance(300);
        let tax = self.rng.chance(400).then_some(recurring * 8 / 100);
        let event_count = if receivable { 9 + self.rng.below(4) } else { 0 };
        let program = if force == Force::ProgramFee {
            self.programs.iter().position(|p| p.account == a)
        } else {
            None
        };
        // Usage events are drawn after the invoice row is written; their sum must be
        // known now, so draw their units and rates first into a small fixed buffer.
        let mut events = [(0i64, 0i64); 12];
        let mut usage = 0;
        for e in events.iter_mut().take(event_count as usize) {
            let units = self.rng.range(1, 40);
            let rate = self.rng.range(10, 45);
            *e = (units, units * rate);
            usage += units * rate;
        }
        let fee = program.map(|p| self.programs[p].fee).unwrap_or(0);
        let total = recurring + tax.unwrap_or(0) + usage + fee;

        let status = match (shape, settle) {
            (Shape::Draft, _) => InvoiceStatus::Draft,
            (Shape::Void, _) => InvoiceStatus::Void,
            (_, Settle::Full | Settle::FullByCredit) => InvoiceStatus::Closed,
            _ => InvoiceStatus::Posted,
        };
        let voided_at = (shape == Shape::Void).then(|| {
            let p = posted.expect("a void was posted");
            p + Days::new(1 + self.rng.below(3))
        });

        // Settlement, decided before the invoice row so its balance is known.
        let mut balance = match shape {
            Shape::Draft => total,
            Shape::Void => 0,
            _ => total,
        };
        let terms = [30, 30, 14, 0][self.rng.below(4) as usize];
        let due_date = posted.map(|p| p + Days::new(terms)).unwrap_or(day(4, 30));
        self.counts.invoices += 1;
        // Written with its final balance below, after settlement is worked out.
        let mut invoice = Invoice {
            id: inv.clone(),
            account_id: account.clone(),
            status,
            posted_at: posted,
            voided_at,
            due_date,
            total: money(total),
            balance: money(balance),
        };

        // Ledger and money movements.
        let mut movements: Vec<Movement> = Vec::new();
        if receivable {
            let p = posted.expect("receivable invoices are posted");
            // The payment day: on or after posting; February invoices are paid in
            // February or in March.
            let pay_day = |rng: &mut Rng| -> NaiveDate {
                if shape == Shape::February && rng.chance(500) {
                    p + Days::new(rng.below(29 - p.day0() as u64 - 1))
                } else if shape == Shape::February {
                    day(3, 1 + rng.below(31) as u32)
                } else {
                    p + Days::new(rng.below(31 - p.day0() as u64))
                }
            };
            match settle {
                Settle::Unpaid => {}
                Settle::Full | Settle::FullByCredit => {
                    let q = pay_day(&mut self.rng);
                    movements.push(Movement::Apply {
                        by_credit: settle == Settle::FullByCredit,
                        on: q,
                        applied: total,
                        received: total
                            + if self.rng.chance(50) {
                                self.rng.range(100, 50_000)
                            } else {
                                0
                            },
                    });
                    balance = 0;
                }
                Settle::Partial => {
                    let q = pay_day(&mut self.rng);
                    let applied = total * self.rng.range(20, 80) / 100;
                    let received = if force == Force::OverDisbursed {
                        applied - OVER_DISBURSED
                    } else {
                        applied
                    };
                    movements.push(Movement::Apply {
                        by_credit: false,
                        on: q,
                        applied,
                        received,
                    });
                    balance -= applied;
                    if force == Force::None && self.rng.chance(50) {
                        let write_off = self.rng.range(1, 99).min(balance);
                        movements.push(Movement::WriteOff {
                            on: q,
                            cents: write_off,
                        });
                        balance -= write_off;
                    }
                }
                Settle::Chargeback | Settle::Reversal => {
                    if shape == Shape::March && p.day() <= 25 {
                        let q = p + Days::new(self.rng.below(3));
                        movements.push(Movement::Undone {
                            chargeback: settle == Settle::Chargeback,
                            on: q,
                            undone_on: q + Days::new(3),
                            cents: total,
                        });
                    }
                }
            }
        }
        invoice.balance = money(balance);
        w.invoice(&invoice)?;

        // Lines.
        let (rule, start, end) = if ratable {
            (RevenueRule::RatableDaily, day(3, 15), day(4, 14))
        } else {
            (RevenueRule::Immediate, month_start, month_end)
        };
        let recurring_id = self.line_id();
        w.invoice_line(&InvoiceLine {
            id: recurring_id,
            invoice_id: inv.clone(),
            kind: LineKind::Recurring,
            program_id: None,
            service_start: Some(start),
            service_end: Some(end),
            amount: money(if force == Force::LinesShort {
                recurring - LINES_SHORT
            } else {
                recurring
            }),
            revenue_rule: rule,
            description: Some("Platform subscription".into()),
        })?;
        if let Some(tax) = tax {
            let id = self.line_id();
            w.invoice_line(&InvoiceLine {
                id,
                invoice_id: inv.clone(),
                kind: LineKind::Tax,
                program_id: None,
                service_start: None,
                service_end: None,
                amount: money(tax),
                revenue_rule: RevenueRule::Immediate,
                description: Some("Sales tax".into()),
            })?;
        }
        if let Some(p) = program {
            let id = self.line_id();
            w.invoice_line(&InvoiceLine {
                id: id.clone(),
                invoice_id: inv.clone(),
                kind: LineKind::ProgramFee,
                program_id: Some(self.programs[p].id.clone()),
                service_start: Some(day(3, 1)),
                service_end: Some(day(3, 31)),
                amount: money(fee),
                revenue_rule: RevenueRule::OnServiceDate,
                description: Some("Program fee, March".into()),
            })?;
            self.programs[p].line_id = Some(id);
        }
        if event_count > 0 {
            let line = self.line_id();
            w.invoice_line(&InvoiceLine {
                id: line.clone(),
                invoice_id: inv.clone(),
                kind: LineKind::Usage,
                program_id: None,
                service_start: Some(month_start),
                service_end: Some(month_end),
                amount: money(usage),
                revenue_rule: RevenueRule::Immediate,
                description: Some("Usage".into()),
            })?;
            if shape == Shape::March {
                self.usage_billed[a as usize] += usage;
            }
            let days = month_end.day();
            for (e, (units, rated)) in events.iter().take(event_count as usize).enumerate() {
                self.seq_event += 1;
                self.counts.usage_events += 1;
                let when = at(
                    month_start + Days::new(self.rng.below(days as u64)),
                    self.rng.below(23) as u32,
                    self.rng.below(60) as u32,
                    self.rng.below(60) as u32,
                );
                let reprocessed = self.rng.chance(1).then(|| at(when.date(), 23, 30, 0));
                w.usage_event(&UsageEvent {
                    id: format!("UE-{:010}", self.seq_event),
                    account_id: account.clone(),
                    kind: [UsageKind::ProtectedLookup, UsageKind::Report, UsageKind::Export][e % 3],
                    occurred_at: when,
                    units: *units,
                    rated_amount: Some(money(*rated)),
                    state: UsageState::Rated,
                    invoice_line_id: Some(line.clone()),
                    reprocessed_at: reprocessed,
                })?;
            }
        }

        // The ledger and the money.
        if let Some(p) = posted {
            self.ledger(
                w,
                a,
                Some(&inv),
                at(p, 9, 0, 0),
                LedgerKind::InvoicePosted,
                total,
                None,
            )?;
        }
        if let Some(v) = voided_at {
            self.ledger(
                w,
                a,
                Some(&inv),
                at(v, 17, 0, 0),
                LedgerKind::Void,
                -total,
                Some(inv.clone()),
            )?;
        }
        for movement in movements {
            match movement {
                Movement::Apply {
                    by_credit,
                    on,
                    applied,
                    received,
                } => {
                    let (source_kind, source, ledger_kind) = if by_credit {
                        self.seq_credit += 1;
                        self.counts.credits += 1;
                        let id = format!("CR-{:08}", self.seq_credit);
                        w.credit(&Credit {
                            id: id.clone(),
                            account_id: account.clone(),
                            kind: CreditKind::Credit,
                            related_credit_id: None,
                            issued_on: on,
                            amount: money(received),
                            reason: Some("Service credit".into()),
                        })?;
                        (SourceKind::Credit, id, LedgerKind::CreditDisbursed)
                    } else {
                        let id = self.payment(w, a, PaymentKind::Payment, None, on, received)?;
                        (SourceKind::Payment, id, LedgerKind::PaymentDisbursed)
                    };
                    let dsb = self.disburse(w, source_kind, &source, &inv, on, applied)?;
                    self.ledger(
                        w,
                        a,
                        Some(&inv),
                        at(on, 12, 0, 0),
                        ledger_kind,
                        -applied,
                        Some(dsb),
                    )?;
                    if force == Force::OverDisbursed {
                        self.planted.push(Planted {
                            key: format!("disbursements:{source}:over-disbursed"),
                            expected: money(received),
                            actual: money(applied),
                            story: "a payment disbursed for 1.00 more than was received",
                        });
                    }
                }
                Movement::WriteOff { on, cents } => {
                    self.ledger(
                        w,
                        a,
                        Some(&inv),
                        at(on, 15, 0, 0),
                        LedgerKind::Adjustment,
                        -cents,
                        Some("Small-balance write-off".into()),
                    )?;
                }
                Movement::Undone {
                    chargeback,
                    on,
                    undone_on,
                    cents,
                } => {
                    let pay = self.payment(w, a, PaymentKind::Payment, None, on, cents)?;
                    let dsb = self.disburse(w, SourceKind::Payment, &pay, &inv, on, cents)?;
                    self.ledger(
                        w,
                        a,
                        Some(&inv),
                        at(on, 12, 0, 0),
                        LedgerKind::PaymentDisbursed,
                        -cents,
                        Some(dsb),
                    )?;
                    let (kind, ledger_kind) = if chargeback {
                        (PaymentKind::Chargeback, LedgerKind::Chargeback)
                    } else {
                        (PaymentKind::Reversal, LedgerKind::Reversal)
                    };
                    let undo = self.payment(w, a, kind, Some(&pay), undone_on, cents)?;
                    self.disburse(w, SourceKind::Payment, &pay, &inv, undone_on, -cents)?;
                    self.ledger(
                        w,
                        a,
                        Some(&inv),
                        at(undone_on, 16, 0, 0),
                        ledger_kind,
                        cents,
                        Some(undo),
                    )?;
                }
            }
        }
        // A duplicate remittance, never applied and refunded.
        if receivable && force == Force::None && self.rng.chance(1) {
            let on = day(3, 1 + self.rng.below(28) as u32);
            let cents = self.rng.range(1_000, 50_000);
            let pay = self.payment(w, a, PaymentKind::Payment, None, on, cents)?;
            let refund = self.payment(w, a, PaymentKind::Refund, Some(&pay), on + Days::new(2), cents)?;
            self.ledger(
                w,
                a,
                None,
                at(on + Days::new(2), 11, 0, 0),
                LedgerKind::Refund,
                -cents,
                Some(refund),
            )?;
        }

        if receivable {
            self.balances[a as usize] += balance;
        }
        if shape == Shape::March {
            self.posted_receivables += total;
            self.seq_archive += 1;
            self.counts.export_lines += 1;
            w.export_line(&ExportLine {
                id: format!("ARL-{:08}", self.seq_archive),
                batch_id: ARCHIVE_BATCH.into(),
                account_id: account.clone(),
                invoice_id: Some(inv.clone()),
                amount: money(total),
            })?;
        }
        match force {
            Force::LinesShort => self.planted.push(Planted {
                key: format!("invoices:{inv}:lines-total"),
                expected: money(total - LINES_SHORT),
                actual: money(total),
                story: "a subscription line 12.34 short of the invoice total",
            }),
            Force::DuplicateLedger => {
                // The disbursement ledger row of another payment, posted twice.
                let dup = format!("DSB-DUP-{i}");
                self.ledger(
                    w,
                    a,
                    Some(&inv),
                    at(day(3, 20), 12, 0, 0),
                    LedgerKind::PaymentDisbursed,
                    -DUPLICATE_LEDGER,
                    Some(dup),
                )?;
            }
            _ => {}
        }
        Ok(())
    }

    fn footer(&mut self, w: &mut RowWriter<'_>) -> rusqlite::Result<()> {
        // Usage rated in the window that no invoice line billed.
        let unbilled = self.rng.below(self.accounts);
        self.seq_event += 1;
        self.counts.usage_events += 1;
        w.usage_event(&UsageEvent {
            id: format!("UE-{:010}", self.seq_event),
            account_id: Self::account_id(unbilled),
            kind: UsageKind::ProtectedLookup,
            occurred_at: at(day(3, 15), 10, 0, 0),
            units: 75,
            rated_amount: Some(money(UNBILLED_USAGE)),
            state: UsageState::Rated,
            invoice_line_id: None,
            reprocessed_at: None,
        })?;
        // Checked event by event (issue 13 part 3): the break is the event's.
        self.planted.push(Planted {
            key: format!("usage:UE-{:010}:unbilled", self.seq_event),
            expected: money(UNBILLED_USAGE),
            actual: money(0),
            story: "37.50 of usage rated in the window but never billed",
        });

        let dup_account = self.duplicate_ledger % self.accounts;
        self.planted.push(Planted {
            key: format!("ledger:{}:roll-forward", Self::account_id(dup_account)),
            expected: money(self.ledger_ar[dup_account as usize]),
            actual: money(self.balances[dup_account as usize]),
            story: "a disbursement ledger row of 250.00 posted twice",
        });

        // Organization fee statements, one per program, tying line by line; one header
        // computed at the wrong rate.
        let over = self.rng.below(self.programs.len() as u64) as usize;
        for (k, program) in self.programs.iter().enumerate() {
            let statement = format!("STM-{:06}", program.account);
            let total = program.fee + if k == over { STATEMENT_OVER } else { 0 };
            w.program_statement(&ProgramStatement {
                id: statement.clone(),
                program_id: program.id.clone(),
                issued_on: day(3, 31),
                total: money(total),
            })?;
            w.statement_line(&StatementLine {
                id: format!("STL-{:06}", program.account),
                statement_id: statement.clone(),
                invoice_line_id: program.line_id.clone(),
                description: Some("Program fee, March".into()),
                amount: money(program.fee),
            })?;
            if k == over {
                self.planted.push(Planted {
                    key: format!("employer_programs:{statement}:statement-total"),
                    expected: money(program.fee),
                    actual: money(total),
                    story: "a statement header 4.52 over the fees billed",
                });
            }
        }

        // The GL export (closing AR per account), one line netting 9.75 away, its header
        // the sum of its lines; the billing extract (ledger closing AR per account); the
        // archive's header.
        let netted = self.rng.below(self.accounts);
        let mut gl_total = 0;
        let mut extract_total = 0;
        for a in 0..self.accounts {
            let gl = self.balances[a as usize] - if a == netted { GL_NETTED } else { 0 };
            gl_total += gl;
            let extract = self.ledger_ar[a as usize];
            extract_total += extract;
            for (batch, line, amount) in [(GL_BATCH, "GLL", gl), (EXTRACT_BATCH, "BXL", extract)] {
                w.export_line(&ExportLine {
                    id: format!("{line}-{a:06}"),
                    batch_id: batch.into(),
                    account_id: Self::account_id(a),
                    invoice_id: None,
                    amount: money(amount),
                })?;
                self.counts.export_lines += 1;
            }
        }
        w.set_batch_total(GL_BATCH, money(gl_total))?;
        w.set_batch_total(EXTRACT_BATCH, money(extract_total))?;
        w.set_batch_total(ARCHIVE_BATCH, money(self.posted_receivables))?;
        let closing_ar: i64 = self.balances.iter().sum();
        self.planted.push(Planted {
            key: format!("exports:{GL_BATCH}:ar-total"),
            expected: money(closing_ar),
            actual: money(gl_total),
            story: "the GL export netted 9.75 of unapplied credit into one account's AR",
        });
        Ok(())
    }
}

/// A money movement on one invoice.
enum Movement {
    /// A payment (or credit) received and applied.
    Apply {
        by_credit: bool,
        on: NaiveDate,
        applied: i64,
        received: i64,
    },
    /// A small balance written off by a ledger adjustment.
    WriteOff { on: NaiveDate, cents: i64 },
    /// A payment applied, then charged back or reversed and unwound.
    Undone {
        chargeback: bool,
        on: NaiveDate,
        undone_on: NaiveDate,
        cents: i64,
    },
}
