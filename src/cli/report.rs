//! The human-readable reconciliation report: every figure of every step, in check order.
//!
//! Owns the report's layout; must not compute a figure (it prints the engine's).

use crate::money::Money;
use crate::reconcile::Reconciliation;
use crate::text::inert;

fn heading(title: &str) {
    println!();
    println!("{title}");
}

fn figure(label: &str, amount: Money) {
    println!("  {label:<40}{:>16}", amount.grouped());
}

fn count(label: &str, n: u64, amount: Money) {
    println!("  {label:<28}{n:>8} {:>19}", amount.grouped());
}

pub fn print_steps(recon: &Reconciliation) {
    let s = &recon.steps;

    heading("1. Posted invoice totals");
    count(
        "Close population",
        s.posted.close_population_count,
        s.posted.posted_receivables,
    );
    count(
        "Voided in the window",
        s.posted.voided_count,
        s.posted.voided_total,
    );
    count("Drafts (not AR)", s.posted.draft_count, s.posted.draft_total);
    figure("Closing AR (invoice AR remaining)", s.posted.closing_ar);
    if s.posted.voided_after_count > 0 {
        count(
            "  voided after the window",
            s.posted.voided_after_count,
            s.posted.voided_after_balance,
        );
    }
    if !s.posted.balance_change_after_window.is_zero() {
        figure(
            "Platform balances (as of the export)",
            s.posted.closing_ar + s.posted.balance_change_after_window,
        );
    }

    heading("2. Applied vs unapplied");
    let a = &s.applied;
    figure("Payments received", a.window.payments_received);
    figure("  reversed", a.window.payments_reversed);
    figure("  refunded", a.window.payments_refunded);
    figure("  charged back", a.window.payments_charged_back);
    figure("Credits issued", a.window.credits_issued);
    figure("  reversed", a.window.credits_reversed);
    if !a.window.credits_paid_out.is_zero() {
        figure("    of which paid out", a.window.credits_paid_out);
    }
    figure("Disbursed from payments", a.window.disbursed_from_payments);
    figure("Disbursed from credits", a.window.disbursed_from_credits);
    figure("AR reduced by disbursement", a.disbursed);
    figure("Unapplied payments (window end)", a.unapplied_payments);
    figure("Unapplied credits (window end)", a.unapplied_credits);
    figure("Unapplied value", a.unapplied);

    heading("3. Account roll-forward (from the ledger, signed as posted there)");
    let r = &s.rollforward.totals;
    figure("Opening AR", r.opening);
    figure("Posted", r.posted);
    figure("Disbursed", r.disbursed);
    figure("Pulled back (reversals, chargebacks)", r.pulled_back);
    figure("Adjustments", r.adjustments);
    figure("Voids", r.voids);
    figure("Ledger closing AR", r.closing);
    figure("Sum of invoice balances", r.invoice_balances);
    println!("  {} accounts rolled forward", s.rollforward.accounts.len());

    heading("4. Adjustments of the window");
    for item in &s.adjustments.adjustments {
        let why = item.explanation.as_deref().map(inert).unwrap_or_default();
        let undoes = item
            .undoes
            .as_deref()
            .map(|u| format!(" (undoes {})", inert(u)))
            .unwrap_or_default();
        println!(
            "  {:<18} {:<16} {:<10} {} {:>12}  {why}{undoes}",
            item.kind.as_str().replace('_', " "),
            inert(&item.id),
            inert(&item.account_id),
            item.date,
            item.amount.grouped()
        );
    }
    let t = &s.adjustments.totals;
    figure("Voids", t.voids);
    figure("Credits issued", t.credits_issued);
    figure("Credit reversals", t.credit_reversals);
    figure("Payment reversals", t.payment_reversals);
    figure("Refunds", t.refunds);
    figure("Chargebacks", t.chargebacks);
    figure("System adjustments", t.system_adjustments);

    heading("5. AR to finance output");
    println!(
        "  {:<16} {:<16} {:>6} {:>14} {:>14} {:>14}",
        "batch", "kind", "lines", "header", "lines total", "should be"
    );
    for b in &s.exports.batches {
        println!(
            "  {:<16} {:<16} {:>6} {:>14} {:>14} {:>14}",
            inert(&b.id),
            b.kind.as_str(),
            b.line_count,
            b.header_total.grouped(),
            b.lines_total.grouped(),
            b.expected_total.grouped()
        );
    }

    heading("6. Revenue (separately from AR)");
    println!(
        "  {:<18} {:>14} {:>14} {:>14} {:>14}",
        "rule", "posted", "recognized", "deferred", "unscheduled"
    );
    let v = &s.revenue;
    for (rule, f) in [
        ("immediate", &v.immediate),
        ("ratable_daily", &v.ratable_daily),
        ("on_service_date", &v.on_service_date),
        ("total", &v.total),
    ] {
        println!(
            "  {rule:<18} {:>14} {:>14} {:>14} {:>14}",
            f.posted.grouped(),
            f.recognized.grouped(),
            f.deferred.grouped(),
            f.unscheduled.grouped()
        );
    }
    figure("Recognized before the window", v.total.recognized_before_window);
    figure("Deferred at window start", v.total.deferred_at_window_start);
    figure("Taken back by voids in the window", v.total.reversed_by_voids);
    figure("Tax, pass-through billed (not revenue)", v.tax.billed_in_window);
    figure("Tax, pass-through voided", v.tax.voided_in_window);

    heading("Usage");
    figure("Rated in the window", s.usage.rated);
    figure("Usage billed in the window", s.usage.billed);
    count(
        "Open exceptions",
        s.usage.open_exceptions,
        s.usage.open_exception_amount,
    );
    if let Some(c) = &s.usage.control {
        // Pre-aggregated usage (docs/usage-parquet.md).
        count(
            "Control total (events, rated)",
            c.control_event_count.max(0) as u64,
            c.control_rated,
        );
        count(
            "Aggregate (events, rated)",
            c.aggregate_event_count.max(0) as u64,
            c.aggregate_rated,
        );
    }

    heading("Employer programs");
    println!(
        "  {:<16} {:>8} {:>8} {:>12} {:>12} {:>12}",
        "program", "units", "rate", "expected", "billed", "statements"
    );
    for p in &s.programs.programs {
        println!(
            "  {:<16} {:>8} {:>8} {:>12} {:>12} {:>12}",
            inert(&p.id),
            p.basis_units,
            p.rate.grouped(),
            p.expected_fee.grouped(),
            p.billed.grouped(),
            p.statement_total.grouped()
        );
    }
    figure("Program fees billed", s.programs.program_fees_billed);

    heading("Statements");
    count(
        "Statement lines",
        s.statements.line_count,
        s.statements.lines_total,
    );
    count(
        "  not tied to an invoice line",
        s.statements.untied_count,
        s.statements.untied_total,
    );

    heading("Aged AR at window end (days past due)");
    let g = &recon.aging.totals;
    figure("Current", g.current);
    figure("1–30", g.days_1_30);
    figure("31–60", g.days_31_60);
    figure("61–90", g.days_61_90);
    figure("91+ (91 or more)", g.over_90);
    figure("Total (= closing AR)", g.total);

    // Shown as such, never counted in the period (docs/reconciliation.md, "As of window end").
    if !s.after_window.is_empty() {
        heading("After the window (not counted in the period)");
        for (label, tally) in s.after_window.rows() {
            if !tally.is_empty() {
                let mut label = label.trim_end_matches(" after the window").chars();
                let first = label
                    .next()
                    .map(|c| c.to_uppercase().to_string())
                    .unwrap_or_default();
                count(&format!("{first}{}", label.as_str()), tally.count, tally.amount);
            }
        }
    }
}
