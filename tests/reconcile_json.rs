//! `reconcile --json` (issue 13 part 6, "one name, one meaning"): every field documented in
//! docs/reconciliation.md with its basis and sign; no `headline` repeating `summary`;
//! closing AR, disbursed and voids named by basis and sign; the last aging bucket named
//! for what it holds; the seed card's six `status --json` fields unchanged.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn closedesk() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_closedesk"));
    c.env(
        "XDG_DATA_HOME",
        std::env::temp_dir().join("closedesk-reconcile-json-tests"),
    );
    c
}

fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("demo.db");
    closedesk::demo::write(&path, false).unwrap();
    path
}

fn revenue_rules(dir: &Path) -> PathBuf {
    let path = dir.join("rr.db");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/revenue-rules");
    closedesk::import::import_dir(&fixtures, &path, false).unwrap();
    path
}

fn run_json(args: &[&str], file: &Path) -> Value {
    let out = closedesk().args(args).arg(file).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every leaf's path, arrays as `[]`, revenue rules as `{rule}`.
fn leaves(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(x, p, out);
            }
        }
        Value::Array(items) => {
            for x in items {
                leaves(x, format!("{path}[]"), out);
            }
        }
        _ => {
            let mut p = path;
            for rule in ["total", "immediate", "ratable_daily", "on_service_date"] {
                p = p.replace(&format!("steps.revenue.{rule}."), "steps.revenue.{rule}.");
            }
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
}

#[test]
fn every_field_is_documented_with_its_basis_and_sign() {
    let dir = tempfile::tempdir().unwrap();
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reconciliation.md"))
        .unwrap();
    let section = &docs[docs
        .find("## reconcile --json, field by field")
        .expect("the section")..];
    let mut paths = Vec::new();
    for file in [
        demo(dir.path()),
        revenue_rules(dir.path()),
        wrong_reversal_row(dir.path()),
    ] {
        leaves(
            &run_json(&["reconcile", "--json"], &file),
            String::new(),
            &mut paths,
        );
    }
    assert!(paths.len() > 150, "{}", paths.len());
    let undocumented: Vec<&String> = paths
        .iter()
        .filter(|p| !section.contains(&format!("| `{p}` |")))
        .collect();
    assert!(undocumented.is_empty(), "undocumented fields: {undocumented:?}");
}

#[test]
fn one_name_one_meaning() {
    let dir = tempfile::tempdir().unwrap();
    let file = revenue_rules(dir.path());
    let v = run_json(&["reconcile", "--json"], &file);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["summary", "period", "mismatches", "steps", "aging"]);
    let s = &v["steps"];
    let amount = |x: &Value| x.to_string();
    // Closing AR on its two bases (the fixture's ledger and balances agree: 2,006.50).
    assert_eq!(amount(&s["posted"]["invoice_balances_closing_ar"]), "2006.50");
    assert_eq!(
        amount(&s["rollforward"]["totals"]["ledger_closing_ar"]),
        "2006.50"
    );
    // Voids: 914.00 of invoice totals, −914.00 in the ledger.
    assert_eq!(amount(&s["posted"]["invoice_totals_voided"]), "914.00");
    assert_eq!(
        amount(&s["adjustments"]["totals"]["invoice_totals_voided"]),
        "914.00"
    );
    assert_eq!(
        amount(&s["rollforward"]["totals"]["ledger_voids_signed"]),
        "-914.00"
    );
    assert_eq!(amount(&s["revenue"]["total"]["recognized_in_window"]), "550.00");
    // No bare ambiguous names left anywhere in the steps.
    let mut paths = Vec::new();
    leaves(s, String::new(), &mut paths);
    for bare in [
        "closing",
        "closing_ar",
        "disbursed",
        "voids",
        "over_90",
        "opening",
        "recognized",
        "deferred",
    ] {
        assert!(
            !paths.iter().any(|p| p.rsplit('.').next() == Some(bare)),
            "{bare} still in {paths:?}"
        );
    }
    assert!(v["aging"]["totals"].get("days_91_plus").is_some());
}

#[test]
fn the_seed_card_fields_are_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo(dir.path());
    let status = run_json(&["status", "--json"], &file);
    let reconciled = run_json(&["reconcile", "--json"], &file);
    let six: Vec<(&String, &Value)> = status.as_object().unwrap().iter().take(6).collect();
    let expected = [
        ("period", "\"2026-03\""),
        ("usage_billed_usd", "4318.42"),
        ("program_fees_billed_usd", "912.13"),
        ("variance_usd", "14.27"),
        ("status", "\"needs_review\""),
        ("owner", "\"finance@northstar.example\""),
    ];
    for ((k, v), (name, value)) in six.iter().zip(expected) {
        assert_eq!((k.as_str(), v.to_string()), (name, value.to_string()));
    }
    assert_eq!(reconciled["summary"], status);
}

fn fixture(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.db"));
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    closedesk::import::import_dir(&fixtures, &path, false).unwrap();
    path
}

/// tests/fixtures/unwinds with REV-2's ledger row recorded at 1,000.00 instead of the
/// 600.00 it pulled back: the roll-forward carries `ledger_reported_on_rows` (400.00).
fn wrong_reversal_row(dir: &Path) -> PathBuf {
    let src = dir.join("unwinds-csv");
    std::fs::create_dir_all(&src).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/unwinds");
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            let text = std::fs::read_to_string(&path).unwrap().replace(
                "LG-7,ACC-B,INV-2,2026-03-15T15:00:00Z,reversal,600.00,REV-2",
                "LG-7,ACC-B,INV-2,2026-03-15T15:00:00Z,reversal,1000.00,REV-2",
            );
            std::fs::write(src.join(path.file_name().unwrap()), text).unwrap();
        }
    }
    let path = dir.join("unwinds.db");
    closedesk::import::import_dir(&src, &path, false).unwrap();
    let v = run_json(&["reconcile", "--json"], &path);
    assert_eq!(
        v["steps"]["rollforward"]["totals"]["ledger_reported_on_rows"],
        400.0
    );
    path
}

fn worked_example(dir: &Path) -> PathBuf {
    fixture(dir, "worked-example")
}

/// The section of docs/reconciliation.md that starts with `heading`, up to the next `## `.
fn doc_section(heading: &str) -> String {
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reconciliation.md"))
        .unwrap();
    let start = docs.find(heading).expect("the section");
    let rest = &docs[start + heading.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    rest[..end].to_string()
}

#[test]
fn every_status_field_is_documented_with_its_basis_and_sign() {
    let dir = tempfile::tempdir().unwrap();
    let section = doc_section("## status --json, field by field");
    let mut paths = Vec::new();
    for file in [
        demo(dir.path()),
        revenue_rules(dir.path()),
        worked_example(dir.path()),
        // The one fixture with an export date (`exported_on`).
        fixture(dir.path(), "as-of-window-end"),
    ] {
        leaves(&run_json(&["status", "--json"], &file), String::new(), &mut paths);
    }
    // 28 before issue 17 part 2, which added nine currency-neutral names.
    assert_eq!(paths.len(), 37, "{paths:?}");
    let undocumented: Vec<&String> = paths
        .iter()
        .filter(|p| !section.contains(&format!("| `{p}` |")))
        .collect();
    assert!(undocumented.is_empty(), "undocumented fields: {undocumented:?}");
    // Every documented row is a field some status object prints (no stale rows).
    let stale: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `")?.split_once("` |").map(|(p, _)| p))
        .filter(|p| !paths.iter().any(|x| x == p))
        .collect();
    assert!(stale.is_empty(), "documented but not printed: {stale:?}");
}

/// tests/fixtures/worked-example, by hand: INV-1 40,000.00 (paid in full), INV-2 30,000.00
/// (22,000.00 paid, 8,000.00 open), INV-3 25,000.00 (1,500.00 of credit applied, 23,500.00
/// open), INV-4 voided in the window. Posted receivables 40,000 + 30,000 + 25,000 =
/// 95,000.00; disbursed 40,000 + 22,000 + 1,500 = 63,500.00, positive (AR reduced), and the
/// ledger carries it as −63,500.00; closing AR 8,000 + 23,500 = 31,500.00 on both bases;
/// unapplied (30,000 − 22,000) + (3,000 − 1,500) = 9,500.00.
#[test]
fn status_names_say_basis_and_sign_and_the_old_names_are_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let file = worked_example(dir.path());
    let status = run_json(&["status", "--json"], &file);
    let reconciled = run_json(&["reconcile", "--json"], &file);
    let amount = |v: &Value| v.to_string();
    assert_eq!(amount(&status["posted_receivables_usd"]), "95000.00");
    assert_eq!(amount(&status["invoice_balances_closing_ar_usd"]), "31500.00");
    assert_eq!(amount(&status["closing_ar_usd"]), "31500.00");
    assert_eq!(amount(&status["disbursements_total_usd"]), "63500.00");
    assert_eq!(amount(&status["disbursed_usd"]), "63500.00");
    assert_eq!(amount(&status["unapplied_usd"]), "9500.00");
    let s = &reconciled["steps"];
    assert_eq!(amount(&s["posted"]["invoice_balances_closing_ar"]), "31500.00");
    assert_eq!(
        amount(&s["rollforward"]["totals"]["ledger_closing_ar"]),
        "31500.00"
    );
    assert_eq!(amount(&s["applied"]["disbursements_total"]), "63500.00");
    assert_eq!(
        amount(&s["rollforward"]["totals"]["ledger_disbursed_signed"]),
        "-63500.00"
    );
    // The seed card's six come first, in order; the new names come after the aliases.
    let keys: Vec<&str> = status.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys[..6],
        [
            "period",
            "usage_billed_usd",
            "program_fees_billed_usd",
            "variance_usd",
            "status",
            "owner"
        ]
    );
    let at = |k: &str| keys.iter().position(|x| *x == k).unwrap();
    assert!(at("closing_ar_usd") < at("invoice_balances_closing_ar_usd"));
    assert!(at("disbursed_usd") < at("disbursements_total_usd"));
}
