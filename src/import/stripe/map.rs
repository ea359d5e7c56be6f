//! Stripe objects → the snapshot's source rows (docs/import-stripe.md, field by field).
//!
//! Every object is mapped or named in a problem with its id and the reason; the ledger is
//! derived from the same events (`derived.` ids, `source_counts` says so).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value;

use super::read::{day, int_at, opt_str_at, str_at, Obj};
use super::units;
use crate::import::cells::is_id;
use crate::import::Problem;
use crate::money::Money;
use crate::snapshot::model::{
    Account, AccountKind, Credit, CreditKind, Disbursement, Invoice, InvoiceLine, InvoiceStatus, LedgerEntry,
    LedgerKind, LineKind, Payment, PaymentKind, RevenueRule, SourceKind,
};
use crate::text::inert;

/// The objects read, by type (`None`: no file).
#[derive(Default)]
pub struct Objects {
    pub customers: Vec<Obj>,
    pub invoices: Vec<Obj>,
    pub charges: Option<Vec<Obj>>,
    pub payment_intents: Option<Vec<Obj>>,
    pub refunds: Vec<Obj>,
    pub disputes: Vec<Obj>,
    pub credit_notes: Vec<Obj>,
    pub customer_balance_transactions: Vec<Obj>,
    pub invoice_payments: Option<Vec<Obj>>,
}

impl Objects {
    /// Every object that carries money (all but the customers), file by file.
    fn money(&self) -> impl Iterator<Item = &Obj> {
        let none: &[Obj] = &[];
        [
            &self.invoices[..],
            self.charges.as_deref().unwrap_or(none),
            self.payment_intents.as_deref().unwrap_or(none),
            &self.refunds[..],
            &self.disputes[..],
            &self.credit_notes[..],
            &self.customer_balance_transactions[..],
            self.invoice_payments.as_deref().unwrap_or(none),
        ]
        .into_iter()
        .flatten()
    }
}

/// One object that cannot be mapped: its file (bare name) and line, and why (id first).
pub type Refusal = Problem;

/// The rows mapped, in the order they were made.
#[derive(Default)]
pub struct Mapped {
    pub accounts: Vec<Account>,
    pub invoices: Vec<Invoice>,
    pub invoice_lines: Vec<InvoiceLine>,
    pub payments: Vec<Payment>,
    pub credits: Vec<Credit>,
    pub disbursements: Vec<Disbursement>,
    pub ledger: Vec<LedgerEntry>,
    /// The period currency (upper case), when the objects agree on one.
    pub currency: Option<String>,
}

/// What a payments row needs to know while the events after it are mapped.
struct Paid {
    account: String,
    /// What is left of it to refund or charge back (its amount less those mapped so far),
    /// in minor units: Stripe never returns more than was paid.
    left: i64,
}

impl Paid {
    /// Takes `amount` out of what is left to return of payment `id`, or says why not.
    fn take(&mut self, id: &str, amount: i64, what: &str) -> Result<(), String> {
        if amount > self.left {
            return Err(format!(
                "{what} {amount} of {}, more than is left of it to return ({}): Stripe never returns \
                 more than was paid; the files disagree",
                inert(id),
                self.left
            ));
        }
        self.left -= amount;
        Ok(())
    }
}

struct Mapper<'a> {
    out: Mapped,
    refusals: Vec<Refusal>,
    /// The customers mapped.
    accounts: HashSet<String>,
    /// Invoice id → (account, status) of the invoices mapped.
    invoices: HashMap<String, (String, InvoiceStatus)>,
    /// Payments row id → its account.
    payments: HashMap<String, Paid>,
    /// Each charge mapped, what it says was refunded, and whether it says it was disputed:
    /// checked against the refunds and disputes of the files once they are mapped.
    claims: Vec<(&'a Obj, String, i64, bool)>,
    /// Invoices that started with customer credit: (the invoice, its id, the credit applied).
    starting: Vec<(&'a Obj, String, i64)>,
    /// Customers and the `balance` they report: (the customer, its id, balance).
    balances: Vec<(&'a Obj, String, i64)>,
    /// Customer credit applied to each invoice by `applied_to_invoice` transactions.
    applied_balance: HashMap<String, i64>,
    /// Each customer's balance credits, oldest first: (credit id, issued on, amount).
    balance_credits: HashMap<String, Vec<(String, NaiveDate, i64)>>,
    /// Credit row id → its account (the credits that can be applied).
    credit_accounts: HashMap<String, String>,
    /// The disbursements of each payment or credit, and to each invoice (indexes into
    /// `out.disbursements`): every later rule looks them up, none scans them all.
    by_source: HashMap<(SourceKind, String), Vec<usize>>,
    by_invoice: HashMap<String, Vec<usize>>,
    /// Post-payment credit notes, mapped after the refunds they name.
    post_payment: Vec<&'a Obj>,
    /// The ids of the objects refused, to say so where another object names them.
    refused: HashSet<String>,
    /// Void invoices: id, when voided, account, total.
    voided: Vec<(String, NaiveDateTime, String, i64)>,
    /// Payment intent id → the charge row that carries its money (charges mode).
    intent_charge: HashMap<String, String>,
    /// Every id used per table, to refuse a repeated one.
    used: HashMap<&'static str, HashMap<String, String>>,
    /// Every object read (which files there are decides some rules).
    objects: &'a Objects,
}

/// Why `id` is not among the mapped objects of `file`: it was refused itself, or it is not
/// in the file.
fn missing(refused: &HashSet<String>, what: &str, id: &str, file: &str) -> String {
    if refused.contains(id) {
        format!("{what} {id} could not be mapped (its own problem is listed)")
    } else {
        format!("{what} {id} is not in {file}")
    }
}

fn refuse(obj: &Obj, reason: impl Into<String>) -> Refusal {
    let why = format!("{}: {}", obj.id_shown(), inert(&reason.into()));
    Problem {
        file: obj.file.clone(),
        line: obj.line,
        column: 0,
        reason: if obj.line == 0 {
            format!("data[{}]: {why}", obj.index)
        } else {
            why
        },
    }
}

/// When a credit note takes effect: its `effective_at`, else when it was created.
/// An invoice's or invoice payment's `amount_paid`: `None` when 0 (nothing was paid), else
/// an amount greater than zero ([`Obj::amount`]).
fn paid(obj: &Obj) -> Result<Option<i64>, String> {
    if obj.int("amount_paid")? == 0 {
        return Ok(None);
    }
    obj.amount("amount_paid").map(Some)
}

fn effective_at(obj: &Obj) -> Result<NaiveDateTime, String> {
    match obj.opt_time("effective_at")? {
        Some(t) => Ok(t),
        None => obj.time("created"),
    }
}

/// The service days of a Stripe period `[start, end)`: the UTC day of `start`, through the
/// day before the UTC day of `end`, whatever the time of day (a subscription anchored at
/// 10:00 renews Mar 15 10:00 → Apr 15 10:00: served Mar 15 ..= Apr 14, as at midnight);
/// never before the first day. A period of no length is the one day of `start`.
fn service_days(start: NaiveDateTime, end: NaiveDateTime) -> (NaiveDate, NaiveDate) {
    let first = day(start);
    match day(end).pred_opt() {
        Some(last) if end > start => (first, last.max(first)),
        _ => (first, first),
    }
}

impl<'a> Mapper<'a> {
    fn new(objects: &'a Objects) -> Mapper<'a> {
        Mapper {
            out: Mapped::default(),
            refusals: Vec::new(),
            accounts: HashSet::new(),
            invoices: HashMap::new(),
            payments: HashMap::new(),
            intent_charge: HashMap::new(),
            voided: Vec::new(),
            refused: HashSet::new(),
            claims: Vec::new(),
            post_payment: Vec::new(),
            starting: Vec::new(),
            balances: Vec::new(),
            applied_balance: HashMap::new(),
            balance_credits: HashMap::new(),
            credit_accounts: HashMap::new(),
            by_source: HashMap::new(),
            by_invoice: HashMap::new(),
            used: HashMap::new(),
            objects,
        }
    }

    /// Lists `obj` as not mapped, and remembers its id for the objects that name it.
    fn refuse_object(&mut self, obj: &Obj, reason: String) {
        if let Some(id) = obj.get("id").and_then(Value::as_str) {
            self.refused.insert(id.to_string());
        }
        self.refusals.push(refuse(obj, reason));
    }

    /// Records `id` in `table`; a repeated or malformed id is a reason.
    fn claim(&mut self, table: &'static str, id: &str, at: &str) -> Result<(), String> {
        if !is_id(id, false) {
            return Err(format!(
                "the {table} id '{id}' is not usable (1-64 letters, digits, '.', '_' or '-')"
            ));
        }
        let seen = self.used.entry(table).or_default();
        if let Some(first) = seen.get(id) {
            return Err(format!("'{id}' appears twice (first at {first})"));
        }
        seen.insert(id.to_string(), at.to_string());
        Ok(())
    }

    fn account_of(&self, obj: &Obj) -> Result<String, String> {
        let customer = obj.str("customer")?;
        if !self.accounts.contains(&customer) {
            return Err(missing(&self.refused, "customer", &customer, "customers.json"));
        }
        Ok(customer)
    }

    /// Maps each of `objects` with `map`; one it refuses is listed as not mapped, with its
    /// reason, and the others go on.
    fn each(
        &mut self,
        objects: impl IntoIterator<Item = &'a Obj>,
        mut map: impl FnMut(&mut Self, &'a Obj) -> Result<(), String>,
    ) {
        for obj in objects {
            if let Err(reason) = map(self, obj) {
                self.refuse_object(obj, reason);
            }
        }
    }

    fn customer(&mut self, obj: &'a Obj) -> Result<(), String> {
        let id = obj.str("id")?;
        self.claim("accounts", &id, &obj.at())?;
        let name = obj
            .opt_str("name")?
            .filter(|n| !n.trim().is_empty())
            .or(obj.opt_str("email")?.filter(|n| !n.trim().is_empty()))
            .unwrap_or_else(|| id.clone());
        if let Some(balance) = obj.opt_int("balance")? {
            self.balances.push((obj, id.clone(), balance));
        }
        self.accounts.insert(id.clone());
        self.out.accounts.push(Account {
            id,
            name,
            kind: AccountKind::Customer,
        });
        Ok(())
    }

    fn invoice(&mut self, obj: &'a Obj) -> Result<(), String> {
        let id = obj.str("id")?;
        let account = self.account_of(obj)?;
        let stripe_status = obj.str("status")?;
        let status = match stripe_status.as_str() {
            "draft" => InvoiceStatus::Draft,
            "open" | "uncollectible" => InvoiceStatus::Posted,
            "paid" => InvoiceStatus::Closed,
            "void" => InvoiceStatus::Void,
            other => {
                return Err(format!(
                    "status '{other}' is not draft, open, paid, uncollectible or void"
                ))
            }
        };
        let finalized = obj.opt_time("status_transitions.finalized_at")?;
        let voided = obj.opt_time("status_transitions.voided_at")?;
        if status != InvoiceStatus::Draft && finalized.is_none() {
            return Err(format!(
                "status {stripe_status} without status_transitions.finalized_at (the posting date)"
            ));
        }
        let posted_at = if status == InvoiceStatus::Draft {
            None
        } else {
            finalized
        };
        let voided_at = match (status, voided) {
            (InvoiceStatus::Void, None) => {
                return Err("status void without status_transitions.voided_at (the void date)".into())
            }
            (InvoiceStatus::Void, Some(v)) => Some(v),
            _ => None,
        };
        if let (Some(p), Some(v)) = (posted_at, voided_at) {
            if v < p {
                return Err("voided_at is before finalized_at".into());
            }
        }
        let starting_balance = obj.opt_int("starting_balance")?.unwrap_or(0);
        if starting_balance > 0 {
            return Err(format!(
                "starting_balance {starting_balance}: an amount the customer owed before, added to the invoice, is not mapped (docs/import-stripe.md, \"Not mapped\")"
            ));
        }
        let total = obj.int("total")?;
        let remaining = obj.int("amount_remaining")?;
        let balance = if status == InvoiceStatus::Void {
            0
        } else {
            remaining
        };
        let created = obj.time("created")?;
        let due_date = match obj.opt_time("due_date")? {
            Some(due) => day(due),
            None => day(posted_at.unwrap_or(created)),
        };
        if obj.opt_bool("lines.has_more")? == Some(true) {
            return Err("lines.has_more is true: the invoice's lines were cut off; expand every line".into());
        }
        let lines = match obj.get("lines.data") {
            Some(Value::Array(lines)) => lines,
            _ => return Err("lines.data is missing: the invoice's line items are needed".into()),
        };
        let mut rows = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            rows.extend(self.line(&id, i, line)?);
        }
        let sum: i64 = rows.iter().map(|l: &InvoiceLine| l.amount.cents()).sum();
        if sum != total {
            return Err(format!(
                "its lines (with their tax and discounts) sum to {sum}, its total is {total}"
            ));
        }
        self.claim("invoices", &id, &obj.at())?;
        for line in &rows {
            self.claim("invoice_lines", &line.id, &obj.at())?;
        }
        if let Some(posted) = posted_at {
            self.ledger(LedgerEntry {
                id: format!("derived.{id}.posted"),
                account_id: account.clone(),
                invoice_id: Some(id.clone()),
                occurred_at: posted,
                kind: LedgerKind::InvoicePosted,
                amount: Money::from_cents(total),
                reference: Some(id.clone()),
            })?;
        }
        self.invoices.insert(id.clone(), (account.clone(), status));
        if starting_balance < 0 {
            self.starting.push((obj, id.clone(), -starting_balance));
        }
        if let Some(v) = voided_at {
            self.voided.push((id.clone(), v, account.clone(), total));
        }
        self.out.invoices.push(Invoice {
            id: id.clone(),
            account_id: account.clone(),
            status,
            posted_at: posted_at.map(day),
            voided_at: voided_at.map(day),
            due_date,
            total: Money::from_cents(total),
            balance: Money::from_cents(balance),
        });
        self.out.invoice_lines.extend(rows);
        // Paid outside Stripe: the payment exists only as this flag (without
        // invoice_payments.json, which would carry it as an out_of_band_payment).
        if obj.opt_bool("paid_out_of_band")? == Some(true) && self.objects.invoice_payments.is_none() {
            let paid_at = obj
                .opt_time("status_transitions.paid_at")?
                .ok_or("paid_out_of_band without status_transitions.paid_at")?;
            let Some(amount) = paid(obj)? else {
                return Ok(()); // an invoice of 0.00: nothing was paid
            };
            let pay_id = format!("{id}.out_of_band");
            self.claim("payments", &pay_id, &obj.at())?;
            self.payments.insert(
                pay_id.clone(),
                Paid {
                    account: account.clone(),
                    left: amount,
                },
            );
            self.out.payments.push(Payment {
                id: pay_id.clone(),
                account_id: account.clone(),
                kind: PaymentKind::Payment,
                related_payment_id: None,
                occurred_on: day(paid_at),
                amount: Money::from_cents(amount),
                reference: Some("paid out of band".into()),
            });
            self.apply(
                SourceKind::Payment,
                &pay_id,
                &pay_id,
                &id,
                paid_at,
                amount,
                &obj.at(),
            )?;
        }
        Ok(())
    }

    /// One Stripe line item → its revenue line, and its discount and tax lines.
    fn line(&mut self, invoice: &str, i: usize, line: &Value) -> Result<Vec<InvoiceLine>, String> {
        let at = |what: &str| format!("lines.data[{i}].{what}");
        let id = opt_str_at(line, "id")
            .map_err(|e| at(&e))?
            .ok_or_else(|| at("id is missing"))?;
        let amount = int_at(line, "amount").map_err(|e| at(&e))?;
        let start = int_at(line, "period.start").map_err(|e| at(&e))?;
        let end = int_at(line, "period.end").map_err(|e| at(&e))?;
        let to_time = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|t| t.naive_utc())
                .ok_or_else(|| at(&format!("period: {t} is not a time")))
        };
        let (service_start, service_end) = service_days(to_time(start)?, to_time(end)?);
        let description = opt_str_at(line, "description").map_err(|e| at(&e))?;
        let mut discount = 0i64;
        if let Some(Value::Array(items)) = line.get("discount_amounts") {
            for item in items {
                discount += int_at(item, "amount").map_err(|e| at(&format!("discount_amounts: {e}")))?;
            }
        }
        let (mut tax_exclusive, mut tax_inclusive) = (0i64, 0i64);
        // Before API version 2025-03-31: tax_amounts[].inclusive; since: taxes[].tax_behavior.
        if let Some(Value::Array(items)) = line.get("tax_amounts") {
            for item in items {
                let amount = int_at(item, "amount").map_err(|e| at(&format!("tax_amounts: {e}")))?;
                match item.get("inclusive") {
                    Some(Value::Bool(true)) => tax_inclusive += amount,
                    Some(Value::Bool(false)) => tax_exclusive += amount,
                    _ => return Err(at("tax_amounts: inclusive is not true or false")),
                }
            }
        }
        if let Some(Value::Array(items)) = line.get("taxes") {
            for item in items {
                let amount = int_at(item, "amount").map_err(|e| at(&format!("taxes: {e}")))?;
                match item.get("tax_behavior").and_then(Value::as_str) {
                    Some("inclusive") => tax_inclusive += amount,
                    Some("exclusive") => tax_exclusive += amount,
                    _ => return Err(at("taxes: tax_behavior is not inclusive or exclusive")),
                }
            }
        }
        let revenue = amount - tax_inclusive;
        let ratable = end > start;
        let rule = if ratable {
            RevenueRule::RatableDaily
        } else {
            RevenueRule::Immediate
        };
        let kind = if revenue < 0 {
            LineKind::Adjustment
        } else {
            LineKind::Recurring
        };
        let mut rows = vec![InvoiceLine {
            id: id.clone(),
            invoice_id: invoice.to_string(),
            kind,
            program_id: None,
            service_start: Some(service_start),
            service_end: Some(service_end),
            amount: Money::from_cents(revenue),
            revenue_rule: rule,
            description,
        }];
        if discount != 0 {
            rows.push(InvoiceLine {
                id: format!("{id}.discount"),
                invoice_id: invoice.to_string(),
                kind: LineKind::Adjustment,
                program_id: None,
                service_start: Some(service_start),
                service_end: Some(service_end),
                amount: Money::from_cents(-discount),
                revenue_rule: rule,
                description: Some(format!("Discount on {id}")),
            });
        }
        let tax = tax_exclusive + tax_inclusive;
        if tax != 0 {
            rows.push(InvoiceLine {
                id: format!("{id}.tax"),
                invoice_id: invoice.to_string(),
                kind: LineKind::Tax,
                program_id: None,
                service_start: None,
                service_end: None,
                amount: Money::from_cents(tax),
                revenue_rule: RevenueRule::Immediate,
                description: Some(format!("Tax on {id}")),
            });
        }
        Ok(rows)
    }

    /// A disbursement of `amount` from `source` to `invoice` and its derived ledger row.
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        source_kind: SourceKind,
        source: &str,
        id: &str,
        invoice: &str,
        at: NaiveDateTime,
        amount: i64,
        where_: &str,
    ) -> Result<(), String> {
        let (account, status) = self
            .invoices
            .get(invoice)
            .cloned()
            .ok_or_else(|| missing(&self.refused, "invoice", invoice, "invoices.json"))?;
        let source_account = match source_kind {
            SourceKind::Payment => self.payments.get(source).map(|p| p.account.clone()),
            SourceKind::Credit => self.credit_accounts.get(source).cloned(),
        };
        if source_account.as_deref() != Some(account.as_str()) {
            return Err(format!(
                "it pays invoice {invoice} of another customer ({account})"
            ));
        }
        if status == InvoiceStatus::Draft {
            return Err(format!("it pays invoice {invoice}, a draft"));
        }
        self.claim("disbursements", id, where_)?;
        self.push_disbursement(Disbursement {
            id: id.to_string(),
            source_kind,
            source_id: source.to_string(),
            invoice_id: invoice.to_string(),
            disbursed_on: day(at),
            amount: Money::from_cents(amount),
        });
        let kind = match source_kind {
            SourceKind::Payment => LedgerKind::PaymentDisbursed,
            SourceKind::Credit => LedgerKind::CreditDisbursed,
        };
        self.ledger(LedgerEntry {
            id: format!("derived.{id}"),
            account_id: account,
            invoice_id: Some(invoice.to_string()),
            occurred_at: at,
            kind,
            amount: Money::from_cents(-amount),
            reference: Some(id.to_string()),
        })
    }

    fn ledger(&mut self, row: LedgerEntry) -> Result<(), String> {
        self.claim("ledger", &row.id, "derived")?;
        self.out.ledger.push(row);
        Ok(())
    }

    fn payment_row(&mut self, obj: &Obj, amount: i64) -> Result<(String, NaiveDateTime), String> {
        let id = obj.str("id")?;
        let account = self.account_of(obj)?;
        let created = obj.time("created")?;
        self.payment(obj, &id, account, created, amount, None)?;
        Ok((id, created))
    }

    /// A payment row `id` of `account` received at `at` (claimed for `obj`), kept for the
    /// refunds and disputes that may name it.
    fn payment(
        &mut self,
        obj: &Obj,
        id: &str,
        account: String,
        at: NaiveDateTime,
        amount: i64,
        reference: Option<String>,
    ) -> Result<(), String> {
        self.claim("payments", id, &obj.at())?;
        self.payments.insert(
            id.to_string(),
            Paid {
                account: account.clone(),
                left: amount,
            },
        );
        self.out.payments.push(Payment {
            id: id.to_string(),
            account_id: account,
            kind: PaymentKind::Payment,
            related_payment_id: None,
            occurred_on: day(at),
            amount: Money::from_cents(amount),
            reference,
        });
        Ok(())
    }

    /// Charges (or payment intents): succeeded ones are payments; with no
    /// invoice_payments.json, the `invoice` each names is what it paid.
    fn charges(&mut self, objects: &'a [Obj], intents: bool) {
        let carry_invoice = self.objects.invoice_payments.is_none();
        self.each(objects, |m, obj| m.charge(obj, intents, carry_invoice));
    }

    fn charge(&mut self, obj: &'a Obj, intents: bool, carry_invoice: bool) -> Result<(), String> {
        let known: &[&str] = if intents {
            &[
                "succeeded",
                "processing",
                "requires_payment_method",
                "requires_confirmation",
                "requires_action",
                "requires_capture",
                "canceled",
            ]
        } else {
            &["succeeded", "pending", "failed"]
        };
        if !moved_value(obj, known)? {
            // No value moved: carried as nothing (docs/import-stripe.md).
            return Ok(());
        }
        let amount = if intents {
            obj.amount("amount_received")?
        } else {
            if obj.opt_bool("captured")? == Some(false) {
                return Ok(());
            }
            obj.opt_amount("amount_captured")?
                .map_or_else(|| obj.amount("amount"), Ok)?
        };
        let refunded = if intents {
            None
        } else {
            obj.opt_int("amount_refunded")?
        };
        let disputed = !intents && obj.opt_bool("disputed")? == Some(true);
        let (id, created) = self.payment_row(obj, amount)?;
        if !intents {
            if let Some(pi) = obj.opt_str("payment_intent")? {
                self.intent_charge.insert(pi, id.clone());
            }
            self.claims
                .push((obj, id.clone(), refunded.unwrap_or(0), disputed));
        }
        if carry_invoice {
            if let Some(invoice) = obj.opt_str("invoice")? {
                self.apply(
                    SourceKind::Payment,
                    &id,
                    &id,
                    &invoice,
                    created,
                    amount,
                    &obj.at(),
                )?;
            }
        }
        Ok(())
    }

    /// The payments row a refund or dispute names: its charge, or its payment intent.
    fn paid_by(&self, obj: &Obj) -> Result<String, String> {
        let charge = obj.opt_str("charge")?;
        let intent = obj.opt_str("payment_intent")?;
        for candidate in [charge.clone(), intent.clone()].into_iter().flatten() {
            if self.payments.contains_key(&candidate) {
                return Ok(candidate);
            }
            if let Some(ch) = self.intent_charge.get(&candidate) {
                return Ok(ch.clone());
            }
        }
        match (charge, intent) {
            (None, None) => Err("names no charge and no payment_intent".into()),
            (c, i) => {
                let named = c.or(i).unwrap_or_default();
                if self.refused.contains(&named) {
                    Err(format!(
                        "its payment {named} could not be mapped (its own problem is listed)"
                    ))
                } else {
                    Err(format!(
                        "its payment {named} is not a succeeded charge or payment intent of the files"
                    ))
                }
            }
        }
    }

    fn invoice_payment(&mut self, obj: &'a Obj) -> Result<(), String> {
        let id = obj.str("id")?;
        if obj.str("status")? != "paid" {
            return Ok(()); // open or canceled: nothing was paid
        }
        let invoice = obj.str("invoice")?;
        let Some(amount) = paid(obj)? else {
            return Ok(()); // 0.00: nothing was paid
        };
        let paid_at = obj.time("status_transitions.paid_at")?;
        let kind = obj.opt_str("payment.type")?;
        let source = match kind.as_deref() {
            Some("out_of_band_payment") => {
                let account = self
                    .invoices
                    .get(&invoice)
                    .map(|(a, _)| a.clone())
                    .ok_or_else(|| missing(&self.refused, "invoice", &invoice, "invoices.json"))?;
                self.payment(
                    obj,
                    &id,
                    account,
                    paid_at,
                    amount,
                    Some("paid out of band".into()),
                )?;
                id.clone()
            }
            _ => {
                let named = obj
                    .opt_str("payment.payment_intent")?
                    .or(obj.opt_str("payment.charge")?)
                    .or(obj.opt_str("payment_intent")?)
                    .or(obj.opt_str("charge")?)
                    .ok_or("names no payment (payment.payment_intent or payment.charge)")?;
                if self.payments.contains_key(&named) {
                    named
                } else if let Some(ch) = self.intent_charge.get(&named) {
                    ch.clone()
                } else {
                    return Err(format!(
                        "its payment {named} is not a succeeded charge or payment intent of the files"
                    ));
                }
            }
        };
        self.apply(
            SourceKind::Payment,
            &source,
            &id,
            &invoice,
            paid_at,
            amount,
            &obj.at(),
        )
    }

    fn credit_note(&mut self, obj: &'a Obj) -> Result<(), String> {
        let id = obj.str("id")?;
        let kind = obj.str("type")?;
        if kind == "post_payment" {
            // Mapped once the refunds are: see `refunded_notes`.
            self.post_payment.push(obj);
            return Ok(());
        }
        if kind != "pre_payment" {
            return Err(format!(
                "type {kind}: only pre-payment credit notes, and post-payment ones paid back by refunds, are mapped (docs/import-stripe.md, \"Not mapped\")"
            ));
        }
        let status = obj.str("status")?;
        let voided = match status.as_str() {
            "issued" => None,
            "void" => Some(
                obj.opt_time("voided_at")?
                    .ok_or("status void without voided_at (the void date)")?,
            ),
            other => return Err(format!("status '{other}' is not issued or void")),
        };
        let account = self.account_of(obj)?;
        let amount = obj.amount("amount")?;
        if let Some(pre) = obj.opt_int("pre_payment_amount")? {
            if pre != amount {
                return Err(format!("pre_payment_amount {pre} is not its amount {amount}"));
            }
        }
        let at = effective_at(obj)?;
        let invoice = obj.str("invoice")?;
        self.credit_issued(obj, &id, account.clone(), &invoice, at, amount)?;
        // A voided credit note: its application is unwound and the credit reversed on
        // the void date; Stripe puts the amount back on the invoice.
        if let Some(void_at) = voided {
            let void_id = format!("{id}.void");
            self.claim("credits", &void_id, &obj.at())?;
            self.push_credit(Credit {
                id: void_id.clone(),
                account_id: account,
                kind: CreditKind::Reversal,
                related_credit_id: Some(id.clone()),
                issued_on: day(void_at),
                amount: Money::from_cents(amount),
                reason: Some(format!("credit note {id} voided")),
            });
            self.apply(
                SourceKind::Credit,
                &id,
                &void_id,
                &invoice,
                void_at,
                -amount,
                &obj.at(),
            )?;
        }
        Ok(())
    }

    fn refund(&mut self, obj: &'a Obj) -> Result<(), String> {
        let id = obj.str("id")?;
        if !booked_refund(obj)? {
            return Ok(()); // requires_action, failed or canceled: no value moved
        }
        let payment = self.paid_by(obj)?;
        let account = self.payments[&payment].account.clone();
        let amount = obj.amount("amount")?;
        let created = obj.time("created")?;
        if let Some(paid) = self.payments.get_mut(&payment) {
            paid.take(&payment, amount, "refunds")?;
        }
        self.claim("payments", &id, &obj.at())?;
        self.out.payments.push(Payment {
            id: id.clone(),
            account_id: account.clone(),
            kind: PaymentKind::Refund,
            related_payment_id: Some(payment),
            occurred_on: day(created),
            amount: Money::from_cents(amount),
            reference: obj.opt_str("reason")?,
        });
        self.ledger(LedgerEntry {
            id: format!("derived.{id}"),
            account_id: account,
            invoice_id: None,
            occurred_at: created,
            kind: LedgerKind::Refund,
            amount: Money::from_cents(-amount),
            reference: Some(id.clone()),
        })
    }

    /// Post-payment credit notes paid back by refunds: the credit (the invoice was billed
    /// too much) is applied to the invoice, and what the refunded payment had applied there
    /// is unwound by as much, so the refund pays back value that is unapplied
    /// (docs/import-stripe.md, "Post-payment credit notes").
    fn refunded_notes(&mut self) {
        let refund_rows: HashMap<String, (String, i64)> = self
            .out
            .payments
            .iter()
            .filter(|p| p.kind == PaymentKind::Refund)
            .map(|p| {
                (
                    p.id.clone(),
                    (p.related_payment_id.clone().unwrap_or_default(), p.amount.cents()),
                )
            })
            .collect();
        let notes = std::mem::take(&mut self.post_payment);
        self.each(notes, |m, obj| m.refunded_note(obj, &refund_rows));
    }

    fn refunded_note(
        &mut self,
        obj: &'a Obj,
        refund_rows: &HashMap<String, (String, i64)>,
    ) -> Result<(), String> {
        let id = obj.str("id")?;
        let status = obj.str("status")?;
        if status != "issued" {
            return Err(format!("status {status}: a voided credit note is not mapped"));
        }
        let account = self.account_of(obj)?;
        let amount = obj.amount("amount")?;
        if let Some(post) = obj.opt_int("post_payment_amount")? {
            if post != amount {
                return Err(format!("post_payment_amount {post} is not its amount {amount}"));
            }
        }
        if obj.opt_str("customer_balance_transaction")?.is_some() {
            return Err(
                "it credits the customer balance: not mapped (docs/import-stripe.md, \"Not mapped\")".into(),
            );
        }
        if obj.opt_int("out_of_band_amount")?.unwrap_or(0) != 0 {
            return Err(
                "it has an out_of_band_amount: not mapped (docs/import-stripe.md, \"Not mapped\")".into(),
            );
        }
        let at = effective_at(obj)?;
        let invoice = obj.str("invoice")?;
        // Since API version 2024-10-28: refunds[].refund and amount_refunded; before: refund.
        let mut refunds: Vec<(String, Option<i64>)> = Vec::new();
        if let Some(Value::Array(items)) = obj.get("refunds") {
            for (i, item) in items.iter().enumerate() {
                let at = |e: String| format!("refunds[{i}]: {e}");
                let refund = str_at(item, "refund").map_err(at)?;
                let amount = int_at(item, "amount_refunded").map_err(at)?;
                refunds.push((refund, Some(amount)));
            }
        } else if let Some(refund) = obj.opt_str("refund")? {
            refunds.push((refund, None));
        }
        if refunds.is_empty() {
            return Err("a post-payment credit note with no refund (it credits the customer or was settled out of band): not mapped (docs/import-stripe.md, \"Not mapped\")".into());
        }
        let mut parts: Vec<(String, String, i64)> = Vec::new();
        for (refund, part) in refunds {
            let (paid_by, whole) = refund_rows
                .get(&refund)
                .cloned()
                .ok_or_else(|| missing(&self.refused, "refund", &refund, "refunds.json (succeeded)"))?;
            parts.push((refund, paid_by, part.unwrap_or(whole)));
        }
        let refunded: i64 = parts.iter().map(|(_, _, a)| a).sum();
        if refunded != amount {
            return Err(format!(
                "its refunds add up to {refunded}, its amount is {amount}"
            ));
        }
        for (_, payment, part) in &parts {
            let applied = self.applied(payment, day(at)).get(&invoice).copied().unwrap_or(0);
            if applied < *part {
                return Err(format!(
                    "it refunds {part} of {payment}, which had applied only {applied} to {invoice} by then"
                ));
            }
        }
        self.credit_issued(obj, &id, account, &invoice, at, amount)?;
        for (refund, payment, part) in parts {
            let d_id = format!("{id}.{refund}");
            self.apply(
                SourceKind::Payment,
                &payment,
                &d_id,
                &invoice,
                at,
                -part,
                &obj.at(),
            )?;
        }
        Ok(())
    }

    /// What `payment` has applied to each invoice, net, up to and including `through`.
    fn applied(&self, payment: &str, through: NaiveDate) -> BTreeMap<String, i64> {
        let mut by_invoice: BTreeMap<String, i64> = BTreeMap::new();
        for d in self.disbursements_of(SourceKind::Payment, payment) {
            if d.disbursed_on <= through {
                *by_invoice.entry(d.invoice_id.clone()).or_default() += d.amount.cents();
            }
        }
        by_invoice
    }

    /// Adds a disbursement and indexes it.
    fn push_disbursement(&mut self, d: Disbursement) {
        let at = self.out.disbursements.len();
        self.by_source
            .entry((d.source_kind, d.source_id.clone()))
            .or_default()
            .push(at);
        self.by_invoice.entry(d.invoice_id.clone()).or_default().push(at);
        self.out.disbursements.push(d);
    }

    /// The disbursements from one payment or credit.
    fn disbursements_of(&self, kind: SourceKind, source: &str) -> impl Iterator<Item = &Disbursement> {
        self.by_source
            .get(&(kind, source.to_string()))
            .into_iter()
            .flatten()
            .map(|&i| &self.out.disbursements[i])
    }

    /// Adds a credit; one of kind `credit` can then be applied.
    /// Credit note `id` (`obj`) as a credit of `amount` to `account` issued at `at` (its
    /// reason: the memo, else the reason), applied to `invoice`.
    fn credit_issued(
        &mut self,
        obj: &Obj,
        id: &str,
        account: String,
        invoice: &str,
        at: NaiveDateTime,
        amount: i64,
    ) -> Result<(), String> {
        let reason = match obj.opt_str("memo")? {
            Some(memo) => Some(memo),
            None => obj.opt_str("reason")?,
        };
        self.claim("credits", id, &obj.at())?;
        self.push_credit(Credit {
            id: id.to_string(),
            account_id: account,
            kind: CreditKind::Credit,
            related_credit_id: None,
            issued_on: day(at),
            amount: Money::from_cents(amount),
            reason,
        });
        self.apply(SourceKind::Credit, id, id, invoice, at, amount, &obj.at())
    }

    fn push_credit(&mut self, c: Credit) {
        if c.kind == CreditKind::Credit {
            self.credit_accounts.insert(c.id.clone(), c.account_id.clone());
        }
        self.out.credits.push(c);
    }

    /// A dispute's balance transactions: the withdrawal is a chargeback, a reinstatement
    /// (a won dispute) value received again and applied where the chargeback took it from.
    fn dispute(&mut self, obj: &'a Obj) -> Result<(), String> {
        let id = obj.str("id")?;
        let status = obj.str("status")?;
        let payment = self.paid_by(obj)?;
        let account = self.payments[&payment].account.clone();
        let txns = match obj.get("balance_transactions") {
            None => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => return Err("balance_transactions is not a list".into()),
        };
        let mut pulled: Vec<(String, i64)> = Vec::new();
        let mut withdrawn = false;
        let mut reinstated = false;
        for (i, txn) in txns.iter().enumerate() {
            let at = |e: String| format!("balance_transactions[{i}]: {e}");
            if txn.is_string() {
                return Err(at(
                    "not expanded: the dispute's balance transactions are needed as objects".into(),
                ));
            }
            let txn_id = opt_str_at(txn, "id")
                .map_err(at)?
                .ok_or_else(|| at("id is missing".into()))?;
            // A balance transaction is in the account's settlement currency, which may not be
            // the charge's: its amount is then not the period's money at all.
            if let (Some(txn_currency), Some(period)) = (
                opt_str_at(txn, "currency").map_err(at)?,
                self.out.currency.as_deref(),
            ) {
                if !txn_currency.eq_ignore_ascii_case(period) {
                    return Err(at(format!(
                        "currency {} is not the period's {period}: a balance transaction settled in \
                         another currency cannot be carried exactly; convert the period to the settlement \
                         currency or leave this dispute out",
                        inert(&txn_currency.to_ascii_lowercase())
                    )));
                }
            }
            let amount = int_at(txn, "amount").map_err(at)?;
            let seconds = int_at(txn, "created").map_err(at)?;
            let when = chrono::DateTime::from_timestamp(seconds, 0)
                .map(|t| t.naive_utc())
                .ok_or_else(|| at(format!("created {seconds} is not a time")))?;
            if amount < 0 && !withdrawn {
                withdrawn = true;
                let value = -amount;
                if let Some(paid) = self.payments.get_mut(&payment) {
                    paid.take(&payment, value, "the dispute withdraws").map_err(at)?;
                }
                self.claim("payments", &txn_id, &obj.at())?;
                self.out.payments.push(Payment {
                    id: txn_id.clone(),
                    account_id: account.clone(),
                    kind: PaymentKind::Chargeback,
                    related_payment_id: Some(payment.clone()),
                    occurred_on: day(when),
                    amount: Money::from_cents(value),
                    reference: Some(id.clone()),
                });
                let mut left = value;
                for (invoice, applied) in self.applied(&payment, day(when)) {
                    let take = left.min(applied);
                    if take <= 0 {
                        continue;
                    }
                    left -= take;
                    let d_id = format!("{txn_id}.{invoice}");
                    self.claim("disbursements", &d_id, &obj.at())?;
                    self.push_disbursement(Disbursement {
                        id: d_id.clone(),
                        source_kind: SourceKind::Payment,
                        source_id: payment.clone(),
                        invoice_id: invoice.clone(),
                        disbursed_on: day(when),
                        amount: Money::from_cents(-take),
                    });
                    self.ledger(LedgerEntry {
                        id: format!("derived.{d_id}"),
                        account_id: account.clone(),
                        invoice_id: Some(invoice.clone()),
                        occurred_at: when,
                        kind: LedgerKind::Chargeback,
                        amount: Money::from_cents(take),
                        reference: Some(txn_id.clone()),
                    })?;
                    pulled.push((invoice, take));
                }
            } else if amount > 0 && withdrawn && !reinstated {
                reinstated = true;
                self.claim("payments", &txn_id, &obj.at())?;
                self.payments.insert(
                    txn_id.clone(),
                    Paid {
                        account: account.clone(),
                        left: amount,
                    },
                );
                self.out.payments.push(Payment {
                    id: txn_id.clone(),
                    account_id: account.clone(),
                    kind: PaymentKind::Payment,
                    related_payment_id: None,
                    occurred_on: day(when),
                    amount: Money::from_cents(amount),
                    reference: Some(id.clone()),
                });
                let mut left = amount;
                for (invoice, took) in pulled.clone() {
                    let give = left.min(took);
                    if give <= 0 {
                        continue;
                    }
                    left -= give;
                    let d_id = format!("{txn_id}.{invoice}");
                    self.apply(
                        SourceKind::Payment,
                        &txn_id,
                        &d_id,
                        &invoice,
                        when,
                        give,
                        &obj.at(),
                    )?;
                }
            } else {
                return Err(at(format!(
                    "amount {amount}: expected one withdrawal (negative) and at most one reinstatement after it"
                )));
            }
        }
        match status.as_str() {
            "won" if withdrawn && !reinstated => {
                Err("status won, but no balance transaction reinstates the funds".into())
            }
            "lost" if reinstated => Err("status lost, but a balance transaction reinstates funds".into()),
            "won"
            | "lost"
            | "needs_response"
            | "under_review"
            | "warning_needs_response"
            | "warning_under_review"
            | "warning_closed"
            | "prevented" => Ok(()),
            other => Err(format!("status '{other}' is not a dispute status")),
        }
    }

    /// Customer balance transactions, oldest first: credit granted to the customer
    /// (`adjustment`, `initial`, `migration` with a negative amount) is a credit; credit
    /// applied to an invoice (`applied_to_invoice`, positive) is its disbursement, from the
    /// customer's balance credits oldest first.
    fn balance_transactions(&mut self, objects: &'a [Obj]) {
        let mut sorted: Vec<&Obj> = objects.iter().collect();
        sorted.sort_by_key(|o| o.opt_int("created").ok().flatten().unwrap_or(i64::MIN));
        self.each(sorted, Self::balance_transaction);
    }

    fn balance_transaction(&mut self, obj: &'a Obj) -> Result<(), String> {
        let id = obj.str("id")?;
        let account = self.account_of(obj)?;
        let amount = obj.int("amount")?;
        let created = obj.time("created")?;
        let kind = obj.str("type")?;
        match (kind.as_str(), amount.signum()) {
            ("adjustment" | "initial" | "migration", -1) => {
                self.claim("credits", &id, &obj.at())?;
                let reason = match obj.opt_str("description")? {
                    Some(d) => d,
                    None => format!("customer balance {kind}"),
                };
                self.balance_credits.entry(account.clone()).or_default().push((
                    id.clone(),
                    day(created),
                    -amount,
                ));
                self.push_credit(Credit {
                    id,
                    account_id: account,
                    kind: CreditKind::Credit,
                    related_credit_id: None,
                    issued_on: day(created),
                    amount: Money::from_cents(-amount),
                    reason: Some(reason),
                });
                Ok(())
            }
            ("applied_to_invoice", 1) => {
                let invoice = obj.str("invoice")?;
                let mut left = amount;
                let mut parts: Vec<(String, i64)> = Vec::new();
                let held = self.balance_credits.get(&account).cloned().unwrap_or_default();
                for (credit, issued_on, granted) in held {
                    if left == 0 {
                        break;
                    }
                    if issued_on > day(created) {
                        continue;
                    }
                    let used: i64 = self
                        .disbursements_of(SourceKind::Credit, &credit)
                        .map(|d| d.amount.cents())
                        .sum();
                    let take = left.min(granted - used);
                    if take > 0 {
                        parts.push((credit, take));
                        left -= take;
                    }
                }
                if left > 0 {
                    return Err(format!(
                        "applies {amount} of customer credit to {invoice}, but the balance transactions before it grant only {} that is not yet applied",
                        amount - left
                    ));
                }
                for (n, (credit, take)) in parts.into_iter().enumerate() {
                    let d_id = format!("{id}.{}", n + 1);
                    self.apply(SourceKind::Credit, &credit, &d_id, &invoice, created, take, &obj.at())?;
                }
                *self.applied_balance.entry(invoice).or_default() += amount;
                Ok(())
            }
            (other, _) => Err(format!(
                "type {other} with amount {amount}: only credit granted (adjustment, initial or migration, negative) and credit applied to an invoice (applied_to_invoice, positive) are mapped (docs/import-stripe.md, \"Not mapped\")"
            )),
        }
    }

    /// An invoice's `starting_balance` against the credit applied to it, and a customer's
    /// `balance` against its balance transactions: a transaction missing from the files is
    /// named, not dropped.
    fn balance_claims(&mut self, objects: &Objects) {
        for (obj, invoice, credit) in std::mem::take(&mut self.starting) {
            let applied = self.applied_balance.get(&invoice).copied().unwrap_or(0);
            if applied != credit {
                self.refuse_object(
                    obj,
                    format!(
                        "starting_balance is -{credit} (customer credit applied), but the applied_to_invoice balance transactions of the files apply {applied} to it"
                    ),
                );
            }
        }
        let mut sums: HashMap<String, i64> = HashMap::new();
        for t in &objects.customer_balance_transactions {
            if let (Ok(Some(customer)), Ok(Some(amount))) = (t.opt_str("customer"), t.opt_int("amount")) {
                *sums.entry(customer).or_default() += amount;
            }
        }
        for (obj, customer, balance) in std::mem::take(&mut self.balances) {
            let sum = sums.get(&customer).copied().unwrap_or(0);
            if sum != balance {
                self.refuse_object(
                    obj,
                    format!(
                        "balance is {balance}, its balance transactions in the files add up to {sum}: a customer balance transaction is missing"
                    ),
                );
            }
        }
    }

    /// A charge's own `amount_refunded` and `disputed` against the refunds and disputes
    /// mapped for it: a refund or dispute missing from the files is named, not dropped.
    fn charge_claims(&mut self, objects: &Objects) {
        let mut refunds: HashMap<&str, i64> = HashMap::new();
        for p in &self.out.payments {
            if let (PaymentKind::Refund, Some(of)) = (p.kind, p.related_payment_id.as_deref()) {
                *refunds.entry(of).or_default() += p.amount.cents();
            }
        }
        let refunds: HashMap<String, i64> = refunds.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let disputed_charges: HashSet<String> = objects
            .disputes
            .iter()
            .filter_map(|d| d.opt_str("charge").ok().flatten())
            .collect();
        // The refunds in the files that were not booked (they moved nothing), by charge.
        let mut unbooked: HashMap<String, Vec<String>> = HashMap::new();
        for refund in &objects.refunds {
            if let (Ok(false), Ok(charge), Ok(id), Ok(amount), Ok(status)) = (
                booked_refund(refund),
                self.paid_by(refund),
                refund.str("id"),
                refund.int("amount"),
                refund.str("status"),
            ) {
                unbooked
                    .entry(charge)
                    .or_default()
                    .push(format!("{id} of {amount} is {status}: it moved nothing"));
            }
        }
        let file = objects
            .refunds
            .first()
            .map_or("refunds.json", |r| r.file.as_str());
        for (obj, id, refunded, disputed) in std::mem::take(&mut self.claims) {
            let mapped = refunds.get(&id).copied().unwrap_or(0);
            if mapped != refunded {
                let (listed, or) = match unbooked.get(&id) {
                    Some(refunds) => (
                        format!(" ({})", refunds.join("; ")),
                        ", or the charge was listed before the refund failed — export the charges and \
                         refunds again",
                    ),
                    None => (String::new(), ""),
                };
                self.refuse_object(
                    obj,
                    format!(
                        "amount_refunded is {refunded}, its succeeded and pending refunds in {file} add up \
                         to {mapped}{listed}: a refund is missing from the files{or}"
                    ),
                );
            }
            if disputed && !disputed_charges.contains(&id) {
                self.refuse_object(
                    obj,
                    "disputed is true, but disputes.json has no dispute of it".into(),
                );
            }
        }
    }

    /// A void's derived ledger row: what the invoice still owed when it was voided (its
    /// total less what was applied to it by then), taken off AR on the void date.
    fn voids(&mut self) {
        for (invoice, at, account, total) in std::mem::take(&mut self.voided) {
            let applied: i64 = self
                .by_invoice
                .get(&invoice)
                .into_iter()
                .flatten()
                .map(|&i| &self.out.disbursements[i])
                .filter(|d| d.disbursed_on <= day(at))
                .map(|d| d.amount.cents())
                .sum();
            let entry = LedgerEntry {
                id: format!("derived.{invoice}.void"),
                account_id: account,
                invoice_id: Some(invoice.clone()),
                occurred_at: at,
                kind: LedgerKind::Void,
                amount: Money::from_cents(-(total - applied)),
                reference: Some(invoice.clone()),
            };
            if let Err(reason) = self.ledger(entry) {
                self.refusals.push(Problem {
                    file: "invoices.json".into(),
                    line: 0,
                    column: 0,
                    reason: format!("{}: {}", inert(&invoice), inert(&reason)),
                });
            }
        }
    }
}

/// The period currency (upper case): the one `pinned` by the period file, else the most
/// common of the money objects'. Every money object in another currency, or with none, is
/// refused.
fn currencies(objects: &Objects, pinned: Option<&str>) -> (Option<String>, Vec<Refusal>) {
    let mut refusals = Vec::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut of: Vec<(&Obj, Option<String>)> = Vec::new();
    for obj in objects.money() {
        match obj.str("currency") {
            Ok(c) if super::config::is_currency(&c) => {
                let c = c.to_ascii_uppercase();
                *counts.entry(c.clone()).or_default() += 1;
                of.push((obj, Some(c)));
            }
            Ok(c) => refusals.push(refuse(obj, format!("currency '{c}' is not an ISO 4217 code"))),
            Err(e) => refusals.push(refuse(obj, e)),
        }
    }
    let period = match pinned {
        Some(c) => Some(c.to_string()),
        None => counts.iter().max_by_key(|(_, n)| **n).map(|(c, _)| c.clone()),
    };
    if let Some(period) = &period {
        for (obj, c) in of {
            if let Some(c) = c.filter(|c| c != period) {
                refusals.push(refuse(
                    obj,
                    format!(
                        "currency {} is not the period's {period}: a period is in one currency",
                        c.to_ascii_lowercase()
                    ),
                ));
            }
        }
    }
    (period, refusals)
}

/// Every object that says `livemode` must say what the most of them say (live on a tie):
/// test-mode objects are not the business's money, and a period of both would book them as
/// if they were. Each odd one out is refused, and a `livemode` that is not a boolean.
fn livemodes(objects: &Objects) -> Vec<Refusal> {
    let all = objects.customers.iter().chain(objects.money());
    let mut refusals = Vec::new();
    let mut of: Vec<(&Obj, bool)> = Vec::new();
    for obj in all {
        match obj.value.get("livemode") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(live)) => of.push((obj, *live)),
            Some(other) => refusals.push(refuse(obj, format!("livemode is {other}, not true or false"))),
        }
    }
    let live = of.iter().filter(|(_, live)| *live).count();
    let period = live * 2 >= of.len();
    let agree = if period { live } else { of.len() - live };
    let mode = |live: bool| {
        if live {
            "true (live mode)"
        } else {
            "false (test mode)"
        }
    };
    for (obj, _) in of.iter().filter(|(_, live)| *live != period) {
        refusals.push(refuse(
            obj,
            format!(
                "livemode is {} and the other objects' {}: {agree} of the {} objects that say): a \
                 period's objects are all live or all test — export test and live data separately \
                 (list with the live or the test secret key, not both)",
                mode(!period),
                mode(period).trim_end_matches(')'),
                of.len()
            ),
        ));
    }
    refusals
}

/// Every amount of every object (customers' balances too) converted from Stripe's minor unit
/// of `currency` to ISO 4217's ([`units`]): ×100 for MGA, ÷100 for ISK, unchanged for most.
/// An object with an amount that is not a whole number of the ISO minor unit is refused,
/// left out of the mapping, and its id returned (the objects naming it say it could not be
/// mapped).
fn to_iso_units(objects: &mut Objects, currency: &str, refusals: &mut Vec<Refusal>) -> HashSet<String> {
    let mut refused = HashSet::new();
    let Ok(scale) = units::Scale::of(currency) else {
        // A currency closedesk does not know is refused with the period file's problem.
        return refused;
    };
    if scale.is_same() {
        return refused;
    }
    let Objects {
        customers,
        invoices,
        charges,
        payment_intents,
        refunds,
        disputes,
        credit_notes,
        customer_balance_transactions,
        invoice_payments,
    } = objects;
    let lists = [
        Some(customers),
        Some(invoices),
        charges.as_mut(),
        payment_intents.as_mut(),
        Some(refunds),
        Some(disputes),
        Some(credit_notes),
        Some(customer_balance_transactions),
        invoice_payments.as_mut(),
    ];
    for list in lists.into_iter().flatten() {
        list.retain_mut(|obj| match units::convert(&mut obj.value, scale, currency) {
            Ok(()) => true,
            Err(reason) => {
                if let Some(id) = obj.get("id").and_then(Value::as_str) {
                    refused.insert(id.to_string());
                }
                refusals.push(refuse(obj, reason));
                false
            }
        });
    }
    refused
}

/// Whether a refund is booked: `succeeded`, or `pending` — initiated, on its way back to the
/// customer, already taken from the Stripe balance and counted in its charge's
/// `amount_refunded`; booked when created, as most ledgers do. `requires_action`, `failed`
/// and `canceled` moved nothing.
fn booked_refund(obj: &Obj) -> Result<bool, String> {
    let known = ["succeeded", "pending", "requires_action", "failed", "canceled"];
    Ok(moved_value(obj, &known)? || obj.str("status")? == "pending")
}

/// Whether the object's `status` says its value moved (`succeeded`); any other status it may
/// have (`known`) moved nothing. A status Stripe does not write (`SUCCEEDED`, a typo) is
/// refused rather than read as nothing: the money would vanish without a word.
fn moved_value(obj: &Obj, known: &[&str]) -> Result<bool, String> {
    let status = obj.str("status")?;
    if !known.contains(&status.as_str()) {
        return Err(format!(
            "status '{}' is not one Stripe writes for a {} ({})",
            inert(&status),
            obj.value
                .get("object")
                .and_then(Value::as_str)
                .unwrap_or("object"),
            known.join(", ")
        ));
    }
    Ok(status == "succeeded")
}

/// Maps every object, its amounts first converted to the period currency's ISO 4217 minor
/// unit ([`to_iso_units`]); the refusals name each object that could not be mapped.
pub fn map(objects: &mut Objects, pinned_currency: Option<&str>) -> (Mapped, Vec<Refusal>) {
    let (currency, mut refusals) = currencies(objects, pinned_currency);
    refusals.extend(livemodes(objects));
    let unconverted = match &currency {
        Some(c) => to_iso_units(objects, c, &mut refusals),
        None => HashSet::new(),
    };
    let objects: &Objects = objects;
    let mut m = Mapper::new(objects);
    m.out.currency = currency;
    m.refusals = refusals;
    m.refused = unconverted;
    m.each(&objects.customers, Mapper::customer);
    m.each(&objects.invoices, Mapper::invoice);
    if let Some(charges) = &objects.charges {
        m.charges(charges, false);
    }
    if let Some(intents) = &objects.payment_intents {
        m.charges(intents, true);
    }
    if let Some(payments) = &objects.invoice_payments {
        m.each(payments, Mapper::invoice_payment);
    }
    m.each(&objects.credit_notes, Mapper::credit_note);
    m.each(&objects.refunds, Mapper::refund);
    m.refunded_notes();
    m.each(&objects.disputes, Mapper::dispute);
    m.charge_claims(objects);
    m.balance_transactions(&objects.customer_balance_transactions);
    m.balance_claims(objects);
    m.voids();
    (m.out, m.refusals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    #[test]
    fn a_stripe_period_end_is_exclusive() {
        let (start, end) = service_days(at("2026-03-15T00:00:00"), at("2026-04-15T00:00:00"));
        assert_eq!(
            (start.to_string(), end.to_string()),
            ("2026-03-15".into(), "2026-04-14".into())
        );
        let (start, end) = service_days(at("2026-03-02T10:00:00"), at("2026-03-02T10:00:00"));
        assert_eq!(
            (start.to_string(), end.to_string()),
            ("2026-03-02".into(), "2026-03-02".into())
        );
    }

    /// A subscription anchored at 10:00 UTC: Mar 15 10:00 → Apr 15 10:00 was served
    /// through Apr 15 (32 days) where the same period at midnight is served through Apr 14.
    #[test]
    fn a_stripe_period_end_is_exclusive_by_calendar_day_whatever_the_time() {
        let days = |start: &str, end: &str| {
            let (start, end) = service_days(at(start), at(end));
            (start.to_string(), end.to_string())
        };
        let expected = ("2026-03-15".to_string(), "2026-04-14".to_string());
        assert_eq!(days("2026-03-15T10:00:00", "2026-04-15T10:00:00"), expected);
        assert_eq!(days("2026-03-15T00:00:00", "2026-04-15T23:59:59"), expected);
        assert_eq!(days("2026-03-15T23:59:59", "2026-04-15T00:00:01"), expected);
        // Never before its first day: a period within one day, or ending the next day.
        assert_eq!(
            days("2026-03-15T10:00:00", "2026-03-15T18:00:00"),
            ("2026-03-15".into(), "2026-03-15".into())
        );
        assert_eq!(
            days("2026-03-15T22:00:00", "2026-03-16T02:00:00"),
            ("2026-03-15".into(), "2026-03-15".into())
        );
    }

    #[test]
    fn inclusive_tax_comes_out_of_the_line_and_exclusive_tax_is_added() {
        let objects = Objects::default();
        let mut m = Mapper::new(&objects);
        let inclusive = json!({"id": "il_1", "amount": 1100, "period": {"start": 1772445600, "end": 1772445600},
            "discount_amounts": [{"amount": 100}],
            "taxes": [{"amount": 100, "tax_behavior": "inclusive"}]});
        let rows = m.line("in_1", 0, &inclusive).unwrap();
        let got: Vec<(&str, LineKind, i64)> = rows
            .iter()
            .map(|l| (l.id.as_str(), l.kind, l.amount.cents()))
            .collect();
        assert_eq!(
            got,
            [
                ("il_1", LineKind::Recurring, 1000),
                ("il_1.discount", LineKind::Adjustment, -100),
                ("il_1.tax", LineKind::Tax, 100)
            ]
        );
        let untyped = json!({"id": "il_2", "amount": 500, "period": {"start": 1, "end": 1},
            "tax_amounts": [{"amount": 40}]});
        let e = m.line("in_1", 3, &untyped).unwrap_err();
        assert!(e.starts_with("lines.data[3].tax_amounts"), "{e}");
        let float = json!({"id": "il_3", "amount": 500.0, "period": {"start": 1, "end": 1}});
        assert!(m.line("in_1", 0, &float).unwrap_err().contains("not an integer"));
    }
}
