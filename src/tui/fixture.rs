//! Test fixtures: a period shaped like the demo (Northstar, 2026-03, two mismatches
//! totalling 14.27), as a [`Loaded`] for view tests and as source data for a snapshot file.
//! Test support only: nothing in the product reads it.

use chrono::{NaiveDate, NaiveDateTime};

use super::data::{Actor, Item, Loaded};
use super::views::charts::Charts;
use crate::money::Money;
use crate::reconcile::{Mismatch, SourceRef};
use crate::snapshot::model::*;
use crate::snapshot::schema::CHECKLIST_ITEMS;
use crate::snapshot::workflow::ChecklistRow;
use crate::summary::{Checklist, LastCleanClose, SeverityCounts, Summary, Window};

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
}

fn at(day: u32, hour: u32) -> NaiveDateTime {
    d(day).and_hms_opt(hour, 0, 0).unwrap()
}

fn m(cents: i64) -> Money {
    Money::from_cents(cents)
}

pub fn mismatches() -> Vec<Mismatch> {
    vec![
        Mismatch {
            key: "exports:GL-2026-03:ar-total".into(),
            lane: Lane::Exports,
            subject: "GL-2026-03".into(),
            check: "ar-total",
            title: "GL export AR total does not equal closing AR".into(),
            expected: m(3_151_775),
            actual: m(3_150_800),
            variance: m(-975),
            severity: Severity::Medium,
            owner: "gl-ops@northstar.example".into(),
            next_action: "Re-run the GL export after the late credit memo".into(),
            expected_rows: vec![SourceRef::new("invoices", "INV-1042")],
            actual_rows: vec![SourceRef::new("export_batches", "GL-2026-03")],
        },
        Mismatch {
            key: "employer_programs:PS-ACME-2026-03:statement-total".into(),
            lane: Lane::EmployerPrograms,
            subject: "PS-ACME-2026-03".into(),
            check: "statement-total",
            title: "Organization fee statement total differs from fees billed".into(),
            expected: m(91_213),
            actual: m(91_665),
            variance: m(452),
            severity: Severity::Low,
            owner: "programs@northstar.example".into(),
            next_action: "Reissue the ACME statement without the duplicate seat".into(),
            expected_rows: vec![SourceRef::new("invoice_lines", "L-2001")],
            actual_rows: vec![SourceRef::new("program_statements", "PS-ACME-2026-03")],
        },
    ]
}

/// The demo-shaped period as the cockpit holds it, seen by `login` with `role`.
pub fn loaded(login: &str, role: Option<Role>) -> Loaded {
    let items: Vec<Item> = mismatches()
        .into_iter()
        .map(|mm| Item {
            corrected: (mm.expected, mm.actual, mm.variance),
            pending_corrections: 0,
            version: 0,
            status: MismatchStatus::Open,
            owner: mm.owner.clone(),
            notes: 0,
            mismatch: mm,
        })
        .collect();
    let checklist: Vec<ChecklistRow> = CHECKLIST_ITEMS
        .iter()
        .enumerate()
        .map(|(i, title)| ChecklistRow {
            item: i as u8 + 1,
            title: title.to_string(),
            status: if i < 3 {
                ItemStatus::Done
            } else {
                ItemStatus::Pending
            },
            updated_by: (i < 3).then(|| "olga".to_string()),
            updated_at: (i < 3).then(|| format!("2026-04-0{}T09:00:00Z", i + 1)),
            version: if i < 3 { 1 } else { 0 },
        })
        .collect();
    let summary = Summary {
        exported_on: None,
        period: "2026-03".into(),
        usage_billed_usd: m(431_842),
        program_fees_billed_usd: m(91_213),
        variance_usd: m(1_427),
        status: "needs_review",
        owner: "finance@northstar.example".into(),
        entity: "Northstar Health Networks".into(),
        currency: "USD".into(),
        window: Window {
            start: d(1),
            end: d(31),
        },
        mismatches: SeverityCounts {
            open: 2,
            critical: 0,
            high: 0,
            medium: 1,
            low: 1,
        },
        last_clean_close: Some(LastCleanClose {
            period: "2026-02".into(),
            date: Some(NaiveDate::from_ymd_opt(2026, 3, 4).unwrap()),
            days_ago: Some(33),
        }),
        checklist: Checklist {
            done: 3,
            total: 8,
            next: Some(format!("4. {}", CHECKLIST_ITEMS[3])),
        },
        posted_receivables_usd: m(9_500_000),
        disbursed_usd: m(6_350_000),
        closing_ar_usd: m(3_150_000),
        invoice_balances_closing_ar_usd: m(3_150_000),
        disbursements_total_usd: m(6_350_000),
        unapplied_usd: m(950_000),
    };
    let mut l = Loaded {
        path: "/home/olga/.local/share/closedesk/demo-2026-03.db".into(),
        summary,
        period_status: PeriodStatus::Open,
        items,
        checklist,
        evidence: Vec::new(),
        actor: Actor {
            login: login.into(),
            display_name: role.map(|_| login.to_string()),
            role,
            proof: crate::workflow::Proof::Agent,
        },
        identities_checked: false,
        lock_lifted: None,
        changed_outside: None,
        preconditions: vec![
            (true, "the period is open".into(), "open".into()),
            (false, "all eight checklist items done".into(), "3 of 8 done".into()),
            (false, "no open mismatch".into(), "2 open".into()),
            (role == Some(Role::Lead), "the signer is a lead".into(), format!("{login} is {}", role.map_or("not on the roster", |r| r.as_str()))),
        ],
        lane_figures: vec![
            "rated 4,318.42 · billed 4,318.42 · open exceptions 0 (0.00)".into(),
            "3 batches: GL-2026-03 31,508.00 (expected 31,517.75)".into(),
            "2 programs · expected 912.13 · billed 912.13 · stated 916.65".into(),
            "14 lines · 916.65 · untied 0 (0.00)".into(),
            "current 21,000.00 · 1-30 8,000.00 · 31-60 1,500.00 · 61-90 500.00 · 91+ 500.00 · total 31,500.00".into(),
            "posted 95,000.00 · recognized 80,000.00 · deferred 15,000.00 · unscheduled 0.00".into(),
        ],
        recomputing: false,
        charts: Charts::default(),
        roster: vec![
            ("lena".into(), Role::Lead),
            ("olga".into(), Role::Operator),
            ("rita".into(), Role::Reviewer),
        ],
        partial: None,
        list: Default::default(),
    };
    // The worked example's figures, as the lane lines above state them.
    l.charts = Charts {
        aging: vec![
            ("current", m(2_100_000)),
            ("1-30", m(800_000)),
            ("31-60", m(150_000)),
            ("61-90", m(50_000)),
            ("91+", m(50_000)),
        ],
        variance: Charts::variance_of(&l.items),
        revenue: vec![
            ("recognized", m(8_000_000)),
            ("deferred", m(1_500_000)),
            ("reversed", m(0)),
        ],
        waterfall: vec![
            ("opening", m(0)),
            ("posted", m(9_500_000)),
            ("disbursed", m(-6_350_000)),
            ("pulled back", m(0)),
            ("adjustments", m(0)),
            ("voids", m(0)),
            ("closing", m(3_150_000)),
        ],
    };
    l.evidence = vec![
        vec![
            "usage billed: 4,318.42".into(),
            "lanes usage: 0 open mismatches".into(),
        ],
        vec!["posted receivables: 95,000.00".into()],
        vec!["open mismatches: 2".into()],
        vec!["disbursed: 63,500.00".into(), "unapplied: 9,500.00".into()],
        vec!["closing AR: 31,500.00".into()],
        vec!["adjustments: 0".into()],
        vec!["recognized: 80,000.00".into(), "deferred: 15,000.00".into()],
        vec!["lanes exports, employer_programs, statements: 2 open mismatches".into()],
    ];
    l
}

/// Small source data for a real snapshot file: a roster, accounts (one with a hostile
/// name), invoices, lines, usage, exports and a program statement; `usage` extra usage
/// events to exercise paging.
pub fn source(hostile_name: &str, usage: usize) -> SourceData {
    let period = Period {
        id: "2026-03".into(),
        entity: "Northstar Health Networks".into(),
        window_start: d(1),
        window_end: d(31),
        currency: "USD".into(),
        close_owner: "finance@northstar.example".into(),
        materiality_medium: m(500),
        materiality_high: m(50_000),
        materiality_critical: m(500_000),
        last_clean_period: Some("2026-02".into()),
        last_clean_date: Some(d(4)),
        exported_on: None,
        status: PeriodStatus::Open,
    };
    let accounts = vec![
        Account {
            id: "A-1".into(),
            name: hostile_name.into(),
            kind: AccountKind::Customer,
        },
        Account {
            id: "A-2".into(),
            name: "ACME Employers".into(),
            kind: AccountKind::Employer,
        },
    ];
    let invoices = vec![Invoice {
        id: "INV-1042".into(),
        account_id: "A-1".into(),
        status: InvoiceStatus::Posted,
        posted_at: Some(d(5)),
        voided_at: None,
        due_date: d(20),
        total: m(10_000),
        balance: m(10_000),
    }];
    let invoice_lines = vec![InvoiceLine {
        id: "L-2001".into(),
        invoice_id: "INV-1042".into(),
        kind: LineKind::Usage,
        program_id: None,
        service_start: Some(d(1)),
        service_end: Some(d(31)),
        amount: m(10_000),
        revenue_rule: RevenueRule::Immediate,
        description: Some("usage".into()),
    }];
    let usage_events = (0..usage)
        .map(|i| UsageEvent {
            id: format!("U-{i:06}"),
            account_id: "A-1".into(),
            kind: UsageKind::Report,
            occurred_at: at(2 + (i % 28) as u32, 10),
            units: 1,
            rated_amount: Some(m(100)),
            state: UsageState::Rated,
            invoice_line_id: Some("L-2001".into()),
            reprocessed_at: None,
        })
        .collect();
    let export_batches = vec![ExportBatch {
        id: "GL-2026-03".into(),
        kind: BatchKind::Gl,
        destination: "gl".into(),
        created_at: at(31, 23),
        total: m(10_000),
    }];
    let export_lines = vec![ExportLine {
        id: "GL-2026-03-0001".into(),
        batch_id: "GL-2026-03".into(),
        account_id: "A-1".into(),
        invoice_id: Some("INV-1042".into()),
        amount: m(10_000),
    }];
    let roster = vec![
        RosterEntry {
            login: "olga".into(),
            display_name: "Olga Operator".into(),
            role: Role::Operator,
            public_key: None,
        },
        RosterEntry {
            login: "rita".into(),
            display_name: "Rita Reviewer".into(),
            role: Role::Reviewer,
            public_key: None,
        },
        RosterEntry {
            login: "lena".into(),
            display_name: "Lena Lead".into(),
            role: Role::Lead,
            public_key: None,
        },
    ];
    SourceData {
        period,
        lane_owners: vec![],
        accounts,
        invoices,
        invoice_lines,
        payments: vec![],
        credits: vec![],
        disbursements: vec![],
        ledger: vec![],
        usage_events,
        export_batches,
        export_lines,
        employer_programs: vec![],
        program_statements: vec![],
        statement_lines: vec![],
        roster,
    }
}

/// Writes [`source`] to a new snapshot at `path`.
pub fn write_snapshot(path: &std::path::Path, hostile_name: &str, usage: usize) {
    let mut snap = crate::snapshot::Snapshot::create(path).unwrap();
    snap.insert_source(&source(hostile_name, usage)).unwrap();
}
