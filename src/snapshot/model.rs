//! Typed rows of the source tables, as imported and as read back.
//!
//! Dates are `chrono::NaiveDate`, timestamps `chrono::NaiveDateTime` (UTC), money
//! [`Money`]. Enumerations are Rust enums whose `as_str` is the word stored in SQLite and
//! written in CSV.
//!
//! Owns the source rows' Rust types and their stored words; must not hold SQL, rules of the
//! engine or the workflow, or display.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// Declares a closed set of words: `as_str`, `parse`, `ALL`, `Display`, `Serialize`,
/// `Deserialize`.
macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            pub fn parse(word: &str) -> Option<$name> {
                match word { $($word => Some($name::$variant),)+ _ => None }
            }

            /// The accepted words, for error messages: `a, b or c`.
            pub fn choices() -> String {
                let words: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                match words.split_last() {
                    Some((last, rest)) if !rest.is_empty() => format!("{} or {}", rest.join(", "), last),
                    _ => words.join(""),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&word).ok_or_else(|| {
                    serde::de::Error::custom(format!("{}: not one of {}", word, $name::choices()))
                })
            }
        }
    };
}
pub(crate) use word_enum;

word_enum!(
    /// Where a mismatch comes from; also the unit of ownership (`lane_owners`).
    Lane {
        Usage => "usage",
        Exports => "exports",
        EmployerPrograms => "employer_programs",
        Statements => "statements",
        Invoices => "invoices",
        Disbursements => "disbursements",
        Ledger => "ledger",
        Adjustments => "adjustments",
        Revenue => "revenue",
    }
);
word_enum!(PeriodStatus { Open => "open", SignedOff => "signed_off" });
word_enum!(AccountKind { Customer => "customer", Employer => "employer" });
word_enum!(InvoiceStatus { Draft => "draft", Posted => "posted", Closed => "closed", Void => "void" });
word_enum!(LineKind {
    Usage => "usage",
    ProgramFee => "program_fee",
    Recurring => "recurring",
    Tax => "tax",
    Adjustment => "adjustment",
});
word_enum!(RevenueRule {
    Immediate => "immediate",
    RatableDaily => "ratable_daily",
    OnServiceDate => "on_service_date",
});
word_enum!(PaymentKind { Payment => "payment", Reversal => "reversal", Refund => "refund", Chargeback => "chargeback" });
word_enum!(CreditKind { Credit => "credit", Reversal => "reversal" });
word_enum!(SourceKind { Payment => "payment", Credit => "credit" });
word_enum!(LedgerKind {
    InvoicePosted => "invoice_posted",
    PaymentDisbursed => "payment_disbursed",
    CreditDisbursed => "credit_disbursed",
    Void => "void",
    Adjustment => "adjustment",
    Reversal => "reversal",
    Refund => "refund",
    Chargeback => "chargeback",
});
word_enum!(UsageKind { ProtectedLookup => "protected_lookup", Report => "report", Export => "export" });
word_enum!(UsageState { Rated => "rated", Unprocessed => "unprocessed", Rerating => "rerating" });
word_enum!(BatchKind { Gl => "gl", BillingExtract => "billing_extract", Archive => "archive" });
word_enum!(Role { Operator => "operator", Reviewer => "reviewer", Lead => "lead" });

impl LedgerKind {
    /// Every kind but `refund` moves invoice AR.
    pub fn moves_ar(self) -> bool {
        self != LedgerKind::Refund
    }
}

impl InvoiceStatus {
    /// Posted and closed invoices are receivables; drafts and voids are not.
    pub fn is_receivable(self) -> bool {
        matches!(self, InvoiceStatus::Posted | InvoiceStatus::Closed)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub id: String,
    pub entity: String,
    pub window_start: NaiveDate,
    pub window_end: NaiveDate,
    pub currency: String,
    pub close_owner: String,
    pub materiality_medium: Money,
    pub materiality_high: Money,
    pub materiality_critical: Money,
    pub last_clean_period: Option<String>,
    pub last_clean_date: Option<NaiveDate>,
    pub status: PeriodStatus,
    /// When the snapshot was exported from the billing platform (`period.exported_on`),
    /// when the import said: the platform's `balance` column is as of this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_on: Option<NaiveDate>,
}

impl Period {
    pub fn in_window(&self, date: NaiveDate) -> bool {
        self.window_start <= date && date <= self.window_end
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LaneOwner {
    pub lane: Lane,
    pub owner: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub kind: AccountKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Invoice {
    pub id: String,
    pub account_id: String,
    pub status: InvoiceStatus,
    pub posted_at: Option<NaiveDate>,
    pub voided_at: Option<NaiveDate>,
    pub due_date: NaiveDate,
    pub total: Money,
    pub balance: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvoiceLine {
    pub id: String,
    pub invoice_id: String,
    pub kind: LineKind,
    pub program_id: Option<String>,
    pub service_start: Option<NaiveDate>,
    pub service_end: Option<NaiveDate>,
    pub amount: Money,
    pub revenue_rule: RevenueRule,
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub id: String,
    pub account_id: String,
    pub kind: PaymentKind,
    pub related_payment_id: Option<String>,
    pub occurred_on: NaiveDate,
    pub amount: Money,
    pub reference: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Credit {
    pub id: String,
    pub account_id: String,
    pub kind: CreditKind,
    pub related_credit_id: Option<String>,
    pub issued_on: NaiveDate,
    pub amount: Money,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disbursement {
    pub id: String,
    pub source_kind: SourceKind,
    pub source_id: String,
    pub invoice_id: String,
    pub disbursed_on: NaiveDate,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    pub id: String,
    pub account_id: String,
    pub invoice_id: Option<String>,
    pub occurred_at: NaiveDateTime,
    pub kind: LedgerKind,
    pub amount: Money,
    pub reference: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UsageEvent {
    pub id: String,
    pub account_id: String,
    pub kind: UsageKind,
    pub occurred_at: NaiveDateTime,
    pub units: i64,
    pub rated_amount: Option<Money>,
    pub state: UsageState,
    pub invoice_line_id: Option<String>,
    pub reprocessed_at: Option<NaiveDateTime>,
}

/// One row of `usage_daily.parquet`: the events of one account, day, kind and state on
/// one usage line (or none), pre-aggregated by the warehouse (docs/usage-parquet.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UsageDaily {
    /// Its 1-based row in the file.
    pub row: u64,
    pub account_id: String,
    pub day: NaiveDate,
    pub kind: UsageKind,
    pub state: UsageState,
    pub invoice_line_id: Option<String>,
    pub units: i64,
    pub rated_amount: Money,
    pub event_count: i64,
}

/// `usage_control.parquet`: the count and sums of the raw events the aggregate was made
/// from, computed by the warehouse apart from the aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UsageControl {
    pub event_count: i64,
    pub units: i64,
    pub rated_amount: Money,
}

/// A row of the pre-aggregated usage form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AggregateRow {
    Daily(UsageDaily),
    Control(UsageControl),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportBatch {
    pub id: String,
    pub kind: BatchKind,
    pub destination: String,
    pub created_at: NaiveDateTime,
    pub total: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportLine {
    pub id: String,
    pub batch_id: String,
    pub account_id: String,
    pub invoice_id: Option<String>,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EmployerProgram {
    pub id: String,
    pub employer_account_id: String,
    pub name: String,
    pub basis_units: i64,
    pub rate: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProgramStatement {
    pub id: String,
    pub program_id: String,
    pub issued_on: NaiveDate,
    pub total: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub id: String,
    pub statement_id: String,
    pub invoice_line_id: Option<String>,
    pub description: Option<String>,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RosterEntry {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    /// The login's OpenSSH Ed25519 public key (`ssh-ed25519 AAAA… [comment]`), as given;
    /// a roster with any key makes the period keyed (docs/workflow.md, "Signed actions").
    pub public_key: Option<String>,
}

/// Every source table of one period, as imported. Vectors keep file order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceData {
    pub period: Period,
    pub lane_owners: Vec<LaneOwner>,
    pub accounts: Vec<Account>,
    pub invoices: Vec<Invoice>,
    pub invoice_lines: Vec<InvoiceLine>,
    pub payments: Vec<Payment>,
    pub credits: Vec<Credit>,
    pub disbursements: Vec<Disbursement>,
    pub ledger: Vec<LedgerEntry>,
    pub usage_events: Vec<UsageEvent>,
    pub export_batches: Vec<ExportBatch>,
    pub export_lines: Vec<ExportLine>,
    pub employer_programs: Vec<EmployerProgram>,
    pub program_statements: Vec<ProgramStatement>,
    pub statement_lines: Vec<StatementLine>,
    pub roster: Vec<RosterEntry>,
}

impl SourceData {
    /// The number of rows of each source table, in the order of
    /// [`super::schema::SOURCE_TABLES`].
    pub fn row_counts(&self) -> [(&'static str, usize); 16] {
        [
            ("period", 1),
            ("lane_owners", self.lane_owners.len()),
            ("accounts", self.accounts.len()),
            ("invoices", self.invoices.len()),
            ("invoice_lines", self.invoice_lines.len()),
            ("payments", self.payments.len()),
            ("credits", self.credits.len()),
            ("disbursements", self.disbursements.len()),
            ("ledger", self.ledger.len()),
            ("usage_events", self.usage_events.len()),
            ("export_batches", self.export_batches.len()),
            ("export_lines", self.export_lines.len()),
            ("employer_programs", self.employer_programs.len()),
            ("program_statements", self.program_statements.len()),
            ("statement_lines", self.statement_lines.len()),
            ("roster", self.roster.len()),
        ]
    }
}

/// One row of a source table other than the period: what import hands on, file by file
/// and row by row, to be written or collected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceRow {
    LaneOwner(LaneOwner),
    Account(Account),
    Invoice(Invoice),
    InvoiceLine(InvoiceLine),
    Payment(Payment),
    Credit(Credit),
    Disbursement(Disbursement),
    Ledger(LedgerEntry),
    UsageEvent(UsageEvent),
    ExportBatch(ExportBatch),
    ExportLine(ExportLine),
    EmployerProgram(EmployerProgram),
    ProgramStatement(ProgramStatement),
    StatementLine(StatementLine),
    Roster(RosterEntry),
}

impl SourceData {
    /// No rows but the period's.
    pub fn new(period: Period) -> SourceData {
        SourceData {
            period,
            lane_owners: Vec::new(),
            accounts: Vec::new(),
            invoices: Vec::new(),
            invoice_lines: Vec::new(),
            payments: Vec::new(),
            credits: Vec::new(),
            disbursements: Vec::new(),
            ledger: Vec::new(),
            usage_events: Vec::new(),
            export_batches: Vec::new(),
            export_lines: Vec::new(),
            employer_programs: Vec::new(),
            program_statements: Vec::new(),
            statement_lines: Vec::new(),
            roster: Vec::new(),
        }
    }

    /// Adds `row` after the rows of its table.
    pub fn push(&mut self, row: SourceRow) {
        match row {
            SourceRow::LaneOwner(r) => self.lane_owners.push(r),
            SourceRow::Account(r) => self.accounts.push(r),
            SourceRow::Invoice(r) => self.invoices.push(r),
            SourceRow::InvoiceLine(r) => self.invoice_lines.push(r),
            SourceRow::Payment(r) => self.payments.push(r),
            SourceRow::Credit(r) => self.credits.push(r),
            SourceRow::Disbursement(r) => self.disbursements.push(r),
            SourceRow::Ledger(r) => self.ledger.push(r),
            SourceRow::UsageEvent(r) => self.usage_events.push(r),
            SourceRow::ExportBatch(r) => self.export_batches.push(r),
            SourceRow::ExportLine(r) => self.export_lines.push(r),
            SourceRow::EmployerProgram(r) => self.employer_programs.push(r),
            SourceRow::ProgramStatement(r) => self.program_statements.push(r),
            SourceRow::StatementLine(r) => self.statement_lines.push(r),
            SourceRow::Roster(r) => self.roster.push(r),
        }
    }
}

/// Timestamps are written `YYYY-MM-DDTHH:MM:SSZ`.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";
/// Dates are written `YYYY-MM-DD`.
pub const DATE_FORMAT: &str = "%Y-%m-%d";

word_enum!(
    /// How much a mismatch matters, least to most.
    Severity { Low => "low", Medium => "medium", High => "high", Critical => "critical" }
);

word_enum!(
    /// How far past due an open invoice balance is at a day (`as_of − due_date`), as aged AR
    /// buckets it: current (≤ 0 days), 1–30, 31–60, 61–90, 91 or more; paid: no balance.
    AgeBucket {
        Paid => "paid",
        Current => "current",
        Days1To30 => "1-30",
        Days31To60 => "31-60",
        Days61To90 => "61-90",
        Over90 => "91+",
    }
);

impl AgeBucket {
    /// The bucket of a balance `days_past_due` days past its due date.
    pub fn of(days_past_due: i64) -> AgeBucket {
        match days_past_due {
            d if d <= 0 => AgeBucket::Current,
            1..=30 => AgeBucket::Days1To30,
            31..=60 => AgeBucket::Days31To60,
            61..=90 => AgeBucket::Days61To90,
            _ => AgeBucket::Over90,
        }
    }
}

// Workflow words ---------------------------------------------------------------------------

word_enum!(
    /// Where a checklist item stands.
    ItemStatus { Pending => "pending", InProgress => "in_progress", Done => "done", Blocked => "blocked" }
);
word_enum!(
    /// Where a mismatch stands in the correction lane.
    MismatchStatus { Open => "open", InCorrection => "in_correction", Resolved => "resolved", Waived => "waived" }
);
word_enum!(
    /// What a note in the trail is.
    AnnotationKind { Note => "note", Correction => "correction", Waiver => "waiver" }
);
word_enum!(
    /// What a note is attached to.
    TargetKind { Mismatch => "mismatch", Checklist => "checklist" }
);
word_enum!(
    /// Where a proposed correction stands: `reversed` is an accepted one taken back (schema 4).
    CorrectionStatus {
        Proposed => "proposed",
        Accepted => "accepted",
        Rejected => "rejected",
        Reversed => "reversed",
    }
);
word_enum!(
    /// Which figure of a mismatch a correction adjusts.
    Side { Expected => "expected", Actual => "actual" }
);
