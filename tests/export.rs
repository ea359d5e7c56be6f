//! Close outputs (docs/outputs.md): golden files on the demo, byte-identical re-runs, a
//! balanced GL, aging that adds up to closing AR, the register against `reconcile --json`,
//! formula-injection and control characters, refusal to overwrite, the worked example's
//! figures in its packet, and the audit record of each export.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use closedesk::export::{self, gl, Format, Kind, Request, Target, Written};
use closedesk::money::Money;
use closedesk::snapshot::Snapshot;
use closedesk::workflow::Actor;

mod common;

fn demo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    closedesk::demo::write(&path, false).unwrap();
    path
}

fn worked_example(dir: &Path) -> PathBuf {
    let path = dir.join("worked.db");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/worked-example");
    closedesk::import::import_dir(&fixtures, &path, false).unwrap();
    path
}

fn actor(snapshot: &Snapshot, login: &str) -> Actor {
    Actor::resolve(snapshot, Some(login)).unwrap()
}

/// Exports to standard output (the bytes are returned) as `login`.
fn bytes(path: &Path, login: &str, request: &Request) -> Vec<u8> {
    let snapshot = Snapshot::open(path).unwrap();
    let who = actor(&snapshot, login);
    export::write(&snapshot, &who, request, &Target::Stdout, false)
        .unwrap()
        .stdout
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn money(v: &Value) -> Money {
    Money::parse(&v.to_string()).unwrap()
}

/// An operator of the demo's roster.
fn demo_login(_path: &Path) -> String {
    "tlin".to_string()
}

/// The worked example's roster has one lead (roles are cumulative: a lead may export).
const WORKED_OPERATOR: &str = "controller";

/// A login of the worked example's roster.
fn worked_login(_path: &Path) -> String {
    WORKED_OPERATOR.to_string()
}

#[test]
fn golden_files_of_every_kind_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (Kind::Gl, Format::Csv, false, "demo-gl.csv"),
        (Kind::Gl, Format::Json, false, "demo-gl.json"),
        (Kind::Gl, Format::Csv, true, "demo-gl-by-account.csv"),
        (Kind::Aging, Format::Csv, false, "demo-aging.csv"),
        (Kind::Aging, Format::Json, false, "demo-aging.json"),
        (Kind::Mismatches, Format::Csv, false, "demo-mismatches.csv"),
        (Kind::Mismatches, Format::Json, false, "demo-mismatches.json"),
        (Kind::Packet, Format::Markdown, false, "demo-packet.md"),
        (Kind::Packet, Format::Json, false, "demo-packet.json"),
    ];
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (i, (kind, format, by_account, name)) in cases.into_iter().enumerate() {
        // A fresh demo each time: every golden file is exported from the same state.
        let path = demo(dir.path(), &format!("demo-{i}.db"));
        let login = demo_login(&path);
        let request = Request {
            by_account,
            ..Request::new(kind, format)
        };
        let out = bytes(&path, &login, &request);
        let file = golden.join(name);
        if update {
            std::fs::write(&file, &out).unwrap();
        } else {
            let expected = std::fs::read(&file)
                .unwrap_or_else(|_| panic!("{name} missing: run with UPDATE_GOLDEN=1 and review it"));
            assert!(
                expected == out,
                "{name} differs from the golden file (UPDATE_GOLDEN=1 to regenerate, then review)"
            );
        }
    }
}

#[test]
fn re_running_on_a_copy_in_the_same_state_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let a = demo(dir.path(), "a.db");
    let b = dir.path().join("b.db");
    std::fs::copy(&a, &b).unwrap();
    let login = demo_login(&a);
    for kind in Kind::ALL {
        for &format in kind.formats() {
            let c = dir.path().join("c.db");
            let d = dir.path().join("d.db");
            std::fs::copy(&a, &c).unwrap();
            std::fs::copy(&b, &d).unwrap();
            let request = Request::new(kind, format);
            assert_eq!(
                bytes(&c, &login, &request),
                bytes(&d, &login, &request),
                "{kind} {format}"
            );
            std::fs::remove_file(&c).unwrap();
            std::fs::remove_file(&d).unwrap();
        }
    }
    // The same snapshot after an export differs only by what the export recorded: the
    // audit head moves.
    let first = json(&bytes(&a, &login, &Request::new(Kind::Gl, Format::Json)));
    let second = json(&bytes(&a, &login, &Request::new(Kind::Gl, Format::Json)));
    assert_eq!(first["metadata"]["audit_len"], 0);
    assert_eq!(second["metadata"]["audit_len"], 1);
    assert_eq!(first["lines"], second["lines"]);
}

fn assert_balanced(path: &Path, login: &str) {
    for by_account in [false, true] {
        let request = Request {
            by_account,
            ..Request::new(Kind::Gl, Format::Json)
        };
        let doc = json(&bytes(path, login, &request));
        let lines = doc["lines"].as_array().unwrap();
        assert!(!lines.is_empty());
        let debit: Money = lines.iter().map(|l| money(&l["debit"])).sum();
        let credit: Money = lines.iter().map(|l| money(&l["credit"])).sum();
        assert_eq!(debit, credit, "by_account {by_account}");
        assert_eq!(money(&doc["total_debit"]), debit);
        assert_eq!(money(&doc["total_credit"]), credit);
        for l in lines {
            assert!(!money(&l["debit"]).is_negative() && !money(&l["credit"]).is_negative());
        }
    }
}

#[test]
fn gl_debits_equal_credits_on_the_demo_and_the_worked_example() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    assert_balanced(&path, &demo_login(&path));
    let worked = worked_example(dir.path());
    assert_balanced(&worked, &worked_login(&worked));
}

#[test]
fn gl_lines_balance_by_construction_whatever_the_signs() {
    // Per account, every entry's lines balance too.
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    let snapshot = Snapshot::open(&path).unwrap();
    let recon = closedesk::reconcile::run(&snapshot).unwrap();
    let doc = json(&bytes(
        &path,
        &demo_login(&path),
        &Request::new(Kind::Gl, Format::Json),
    ));
    let ar: Money = doc["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["gl_account"] == gl::AR)
        .map(|l| money(&l["debit"]) - money(&l["credit"]))
        .sum();
    let rf = &recon.steps.rollforward.totals;
    // The journal moves AR exactly as the ledger's roll-forward does over the window.
    assert_eq!(ar, rf.closing - rf.opening);
    // And unapplied cash by the change in unapplied payments (none was carried in).
    let unapplied_cash: Money = doc["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["gl_account"] == "Unapplied cash")
        .map(|l| money(&l["credit"]) - money(&l["debit"]))
        .sum();
    assert_eq!(unapplied_cash, recon.steps.applied.unapplied_payments);
}

#[test]
fn aging_buckets_sum_to_closing_ar() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (demo(dir.path(), "demo.db"), "tlin"),
        (worked_example(dir.path()), WORKED_OPERATOR),
    ];
    for (path, login) in cases {
        let snapshot = Snapshot::open(&path).unwrap();
        let recon = closedesk::reconcile::run(&snapshot).unwrap();
        drop(snapshot);
        let doc = json(&bytes(&path, login, &Request::new(Kind::Aging, Format::Json)));
        let accounts = doc["accounts"].as_array().unwrap();
        let buckets = ["current", "days_1_30", "days_31_60", "days_61_90", "days_91_plus"];
        let mut sum = Money::ZERO;
        for a in accounts {
            let row: Money = buckets.iter().map(|b| money(&a[*b])).sum();
            assert_eq!(row, money(&a["total"]));
            sum += row;
        }
        assert_eq!(sum, recon.headline.closing_ar);
        assert_eq!(money(&doc["totals"]["total"]), recon.headline.closing_ar);
        let unapplied =
            money(&doc["totals"]["unapplied_payments"]) + money(&doc["totals"]["unapplied_credits"]);
        assert_eq!(unapplied, recon.headline.unapplied);
    }
}

#[test]
fn the_register_matches_reconcile_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    let out = Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .args(["reconcile", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let reconciled = json(&out.stdout);
    let engine = reconciled["mismatches"].as_array().unwrap();
    let register = json(&bytes(
        &path,
        &demo_login(&path),
        &Request::new(Kind::Mismatches, Format::Json),
    ));
    let rows = register["mismatches"].as_array().unwrap();
    assert_eq!(rows.len(), engine.len());
    assert_eq!(register["metadata"]["rows"], engine.len());
    for (r, m) in rows.iter().zip(engine) {
        for (ours, theirs) in [
            ("key", "key"),
            ("lane", "lane"),
            ("subject", "subject"),
            ("severity", "severity"),
            ("expected", "expected"),
            ("actual", "actual"),
            ("raw_variance", "variance"),
            ("owner", "owner"),
            ("next_action", "next_action"),
        ] {
            assert_eq!(
                r[ours].to_string(),
                m[theirs].to_string(),
                "{ours} of {}",
                r["key"]
            );
        }
    }
}

/// The demo with `text` noted on its first mismatch; (path, a login that may export).
fn demo_with_note(dir: &Path, text: &str) -> (PathBuf, String) {
    let path = demo(dir, "demo.db");
    let login = demo_login(&path);
    let snapshot = Snapshot::open(&path).unwrap();
    let recon = closedesk::reconcile::run(&snapshot).unwrap();
    let key = recon.mismatches[0].key.clone();
    let who = actor(&snapshot, &login);
    closedesk::workflow::mismatches::on(&snapshot, &who, &recon, &key)
        .note(text)
        .unwrap();
    (path, login)
}

#[test]
fn formula_injection_and_control_characters_are_neutralized() {
    let dir = tempfile::tempdir().unwrap();
    let (path, login) = demo_with_note(dir.path(), "=HYPERLINK(\"x\")\x1b[2J\r\nok");
    let csv = String::from_utf8(bytes(&path, &login, &Request::new(Kind::Mismatches, Format::Csv))).unwrap();
    assert!(csv.contains("'=HYPERLINK(\"\"x\"\")\\x1b[2J\\r\\nok"), "{csv}");
    assert!(!csv.contains('\x1b'));
    // Negative amounts stay numbers.
    assert!(csv.contains(",-9.75,"), "{csv}");
    let md = String::from_utf8(bytes(
        &path,
        &login,
        &Request::new(Kind::Packet, Format::Markdown),
    ))
    .unwrap();
    assert!(!md.contains('\x1b'));
    // Rendered, the escape shows as text (`\x1b`, its backslash escaped too), and the line
    // break (CR LF) is a line break of a quoted paragraph, not a literal `\r\n`.
    assert!(
        md.contains("> \\=HYPERLINK(\"x\")\\\\x1b\\[2J  \n  > ok  \n"),
        "packet escapes the note: {md}"
    );
    assert!(!md.contains("\\r\\n"), "{md}");
}

/// `--out` naming the period file itself, or SQLite's `-shm`/`-wal` beside it, is refused
/// with `--force` too: the export replaced the signed-off period with its own CSV (and a
/// cockpit's later saves were lost with the `-shm`). Nothing is written or recorded.
#[test]
fn an_export_never_replaces_the_snapshot_or_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    let login = demo_login(&path);
    let before = std::fs::read(&path).unwrap();
    for (out, what) in [
        (path.clone(), "is a period snapshot"),
        (
            dir.path().join("demo.db-shm"),
            "is the -shm file of the period snapshot",
        ),
        (
            dir.path().join("demo.db-wal"),
            "is the -wal file of the period snapshot",
        ),
    ] {
        let out_put = Command::new(env!("CARGO_BIN_EXE_closedesk"))
            .args(["export", "--kind", "gl", "--force", "--user", &login, "--out"])
            .arg(&out)
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out_put.stderr);
        assert_eq!(out_put.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(what), "{stderr}");
        assert!(
            stderr.contains("an export never replaces it, even with --force"),
            "{stderr}"
        );
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let snapshot = Snapshot::open(&path).unwrap();
    assert_eq!(snapshot.workflow().audit_head().unwrap().0, 0, "nothing recorded");
}

#[test]
fn an_existing_file_is_not_replaced_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    let login = demo_login(&path);
    let out = dir.path().join("gl.csv");
    std::fs::write(&out, "keep me").unwrap();
    let run = |force: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_closedesk"));
        cmd.args(["export", "--kind", "gl", "--user", &login, "--out"])
            .arg(&out)
            .arg(&path);
        if force {
            cmd.arg("--force");
        }
        cmd.output().unwrap()
    };
    let refused = run(false);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("exists"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    // Nothing was recorded.
    let snapshot = Snapshot::open(&path).unwrap();
    assert_eq!(snapshot.workflow().audit_head().unwrap().0, 0);
    drop(snapshot);
    let forced = run(true);
    assert_eq!(
        forced.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("#format,closedesk.export.gl.v1\n"));
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names.iter().all(|n| !n.to_string_lossy().ends_with(".tmp")),
        "{names:?}"
    );
    // A kind/format that does not fit is refused with exit 2.
    let bad = Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .args([
            "export", "--kind", "packet", "--format", "csv", "--user", &login, "--out", "-",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("md or json"));
}

#[test]
fn the_worked_example_figures_appear_exactly_in_its_packet() {
    let dir = tempfile::tempdir().unwrap();
    let path = worked_example(dir.path());
    let login = worked_login(&path);
    let md = String::from_utf8(bytes(
        &path,
        &login,
        &Request::new(Kind::Packet, Format::Markdown),
    ))
    .unwrap();
    // Hand-worked figures of tests/fixtures/worked-example (its README), as the packet's
    // tables print them.
    for line in [
        "| posted receivables | 95,000.00 |",
        "| disbursed | 63,500.00 |",
        "| closing ar | 31,500.00 |",
        "| unapplied | 9,500.00 |",
        "| unapplied payments | 8,000.00 |",
        "| unapplied credits | 1,500.00 |",
        "**Draft — the period is not signed off**",
        "Not signed off.",
        "Result: **ok**",
        // The narrative claims a tie only where the figures have one (the demo's packet said
        // every export tied beside its own GL gap).
        "Each export batch has its header equal to its lines, and its lines tied to the subledger: the GL export to closing AR, the billing extract to the ledger's closing AR, the archive to posted receivables.",
    ] {
        assert!(
            md.lines().any(|l| l.ends_with(line) || l.starts_with(line)),
            "missing {line:?}"
        );
    }
    let doc = json(&bytes(&path, &login, &Request::new(Kind::Packet, Format::Json)));
    assert_eq!(doc["headline"]["posted_receivables"].to_string(), "95000.00");
    assert_eq!(doc["headline"]["closing_ar"].to_string(), "31500.00");
}

/// The packet's "After the window" section lists what the snapshot holds dated after window
/// end: tests/fixtures/as-of-window-end, its README's table (worked by hand). It was empty:
/// the figures are count-and-amount pairs, and only plain figures were printed.
#[test]
fn the_packet_lists_the_activity_after_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("asof.db");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/as-of-window-end");
    closedesk::import::import_dir(&fixtures, &path, false).unwrap();
    let md = String::from_utf8(bytes(
        &path,
        "controller",
        &Request::new(Kind::Packet, Format::Markdown),
    ))
    .unwrap();
    let section = md
        .split("### After the window")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    for line in [
        "| invoices posted | 1 | 300.00 |",
        "| invoices voided | 1 | 500.00 |",
        "| payments received | 1 | 400.00 |",
        "| credits issued | 1 | 50.00 |",
        "| disbursements | 1 | 400.00 |",
        "| ledger rows | 4 | -620.00 |",
        "| usage events | 1 | 5.00 |",
    ] {
        assert!(
            section.lines().any(|l| l == line),
            "missing {line:?} in {section}"
        );
    }
}

#[test]
fn every_export_is_audited_and_shown_in_item_8() {
    let dir = tempfile::tempdir().unwrap();
    let path = worked_example(dir.path());
    let login = worked_login(&path);
    let snapshot = Snapshot::open(&path).unwrap();
    let who = actor(&snapshot, &login);
    let out = dir.path().join("packet.md");
    let written: Written = export::write(
        &snapshot,
        &who,
        &Request::new(Kind::Packet, Format::Markdown),
        &Target::File(out.clone()),
        false,
    )
    .unwrap();
    assert_eq!(written.path.as_deref(), Some(out.as_path()));
    let log = snapshot.workflow().audit_log().unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.action, "export");
    assert_eq!(last.target, "export:packet");
    assert!(last.text.as_deref().unwrap().contains(&written.digest));
    let recon = closedesk::reconcile::run(&snapshot).unwrap();
    let items = closedesk::workflow::checklist::items(&snapshot, &recon.overview()).unwrap();
    let shown: Vec<String> = items[7].evidence.iter().map(|e| e.label.clone()).collect();
    assert!(shown.contains(&"export packet (md)".to_string()), "{shown:?}");
    assert!(closedesk::workflow::audit::verify(&snapshot).unwrap().ok);
}

/// A GL journal by account is told apart from the entity's: its own default file name
/// (both were `gl-PERIOD.csv`), and its audit row and item 8 say "by account" (both read
/// "export gl (csv)"). The entity's record is as it always was.
#[test]
fn a_gl_by_account_is_named_and_recorded_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_closedesk"))
            .arg("export")
            .arg(&path)
            .args(args)
            .args(["--user", "rdiaz"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["--kind", "gl"]);
    run(&["--kind", "gl", "--by-account"]);
    assert!(dir.path().join("gl-2026-03.csv").exists());
    assert!(dir.path().join("gl-by-account-2026-03.csv").exists());
    let snapshot = Snapshot::open(&path).unwrap();
    let log = snapshot.workflow().audit_log().unwrap();
    let texts: Vec<&str> = log
        .iter()
        .filter(|r| r.action == "export")
        .map(|r| r.text.as_deref().unwrap())
        .collect();
    assert!(!texts[0].contains("by_account"), "{}", texts[0]);
    assert!(texts[1].contains("\"by_account\":true"), "{}", texts[1]);
    let recon = closedesk::reconcile::run(&snapshot).unwrap();
    let items = closedesk::workflow::checklist::items(&snapshot, &recon.overview()).unwrap();
    let shown: Vec<String> = items[7].evidence.iter().map(|e| e.label.clone()).collect();
    assert!(shown.contains(&"export gl (csv)".to_string()), "{shown:?}");
    assert!(
        shown.contains(&"export gl by account (csv)".to_string()),
        "{shown:?}"
    );
}

/// Closes the demo through the binary: items done by two operators, both mismatches
/// waived by the reviewer, signed off by a lead who did none of the items.
fn signed_off_demo(dir: &Path) -> PathBuf {
    let path = demo(dir, "signed.db");
    // Each command takes FILE right after its name.
    let run = |command: &str, rest: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_closedesk"))
            .arg(command)
            .arg(&path)
            .args(rest)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{command} {rest:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    for item in ["1", "2", "3", "4"] {
        run("checklist", &["set", item, "done", "--user", "tlin"]);
    }
    for item in ["5", "6", "7", "8"] {
        run("checklist", &["set", item, "done", "--user", "rdiaz"]);
    }
    let reason = "--reason=Reviewed with the GL team; corrected in April's run";
    for key in [
        "exports:GL-2026-03:ar-total",
        "employer_programs:STM-VERIFY-2026-03:statement-total",
    ] {
        run("mismatch", &[key, "waive", reason, "--user", "jokafor"]);
    }
    run("signoff", &["--user", "mhale"]);
    path
}

#[test]
fn a_signed_off_period_still_exports_and_audits_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = signed_off_demo(dir.path());
    let out_file = dir.path().join("packet.md");
    let out = Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .args([
            "export", "--user", "tlin", "--kind", "packet", "--format", "md", "--out",
        ])
        .arg(&out_file)
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let packet = std::fs::read_to_string(&out_file).unwrap();
    assert!(packet.contains("**Signed off by mhale at "), "{packet}");
    assert!(
        packet.contains("| Status | signed off — 0 open mismatches"),
        "{packet}"
    );
    assert!(packet.contains("| signed by | mhale at "), "{packet}");
    // The export is in the log after the sign-off, and the chain still verifies.
    let snapshot = Snapshot::open(&path).unwrap();
    let log = closedesk::workflow::audit::history(&snapshot).unwrap();
    assert_eq!(log[0].row.action, "export");
    assert_eq!(log[1].row.action, "signoff");
    Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .arg("verify")
        .arg(&path)
        .assert()
        .success();
}

#[test]
fn stamp_adds_the_export_time_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    let plain = String::from_utf8(bytes(&path, "tlin", &Request::new(Kind::Gl, Format::Csv))).unwrap();
    assert!(!plain.contains("exported_at"));
    let mut stamped = Request::new(Kind::Gl, Format::Csv);
    stamped.stamp = true;
    let stamped = String::from_utf8(bytes(&path, "tlin", &stamped)).unwrap();
    let line = stamped
        .lines()
        .find(|l| l.starts_with("#exported_at,"))
        .expect("a stamp line");
    assert!(line.len() > "#exported_at,".len() + 9, "{line}");
}

/// The GL journal's net credit per GL account of `path` (entity level or by account), and
/// per customer account for `by_account`.
fn gl_nets(path: &Path, by_account: bool) -> (BTreeMap<String, Money>, BTreeMap<(String, String), Money>) {
    let doc = json(&bytes(
        path,
        WORKED_OPERATOR,
        &Request {
            by_account,
            ..Request::new(Kind::Gl, Format::Json)
        },
    ));
    let mut per_gl = BTreeMap::new();
    let mut per_account = BTreeMap::new();
    for l in doc["lines"].as_array().unwrap() {
        let net = money(&l["credit"]) - money(&l["debit"]);
        let gl_account = l["gl_account"].as_str().unwrap().to_string();
        *per_gl.entry(gl_account.clone()).or_insert(Money::ZERO) += net;
        if let Some(account) = l["account_id"].as_str() {
            *per_account
                .entry((account.to_string(), gl_account))
                .or_insert(Money::ZERO) += net;
        }
    }
    (per_gl, per_account)
}

/// A credit balance paid out by cheque (tests/fixtures/unwinds, story 6: CR-6 80.00,
/// reversed by CR-6R, ledger refund −80.00 naming CR-6R) leaves cash, and the service
/// credit stands. It was booked as a rescinded credit: Cash 80.00 too high, contra-revenue
/// 80.00 too low. By hand: Cash 2,200.00 − 1,250.00 − 150.00 − 200.00 − 80.00 = 520.00
/// (a debit); contra-revenue 80.00 (a debit); unapplied credits 80.00 − 80.00 = 0.00.
#[test]
fn gl_pays_a_credit_balance_out_of_cash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unwinds.db");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/unwinds");
    closedesk::import::import_dir(&fixtures, &path, false).unwrap();
    let m = |s: &str| Money::parse(s).unwrap();
    let (net, _) = gl_nets(&path, false);
    assert_eq!(net[gl::CASH], m("-520.00"));
    assert_eq!(net[gl::CREDITS], m("-80.00"));
    assert_eq!(
        net.get(gl::UNAPPLIED_CREDITS).copied().unwrap_or(Money::ZERO),
        Money::ZERO
    );

    // Paid out in part (the refund row 50.00 of the 80.00 reversed): 50.00 leaves Cash,
    // 30.00 goes back against contra-revenue. By hand: Cash 2,200 − 1,250 − 150 − 200 − 50
    // = 550.00; contra-revenue 80 − 30 = 50.00. (It booked the whole 80.00 as paid.)
    let src = common::files::copy_dir(&fixtures, &dir.path().join("partial"));
    common::files::edit(
        &src.join("ledger.csv"),
        "LG-12,ACC-B,,2026-03-29T12:00:00Z,refund,-80.00,CR-6R",
        "LG-12,ACC-B,,2026-03-29T12:00:00Z,refund,-50.00,CR-6R",
    );
    let partial = dir.path().join("partial.db");
    closedesk::import::import_dir(&src, &partial, false).unwrap();
    let (net, _) = gl_nets(&partial, false);
    assert_eq!(net[gl::CASH], m("-550.00"));
    assert_eq!(net[gl::CREDITS], m("-50.00"));

    // The refund row dated after window end (April 2) is April's: in March the reversal
    // reads as rescinded, and nothing leaves Cash. By hand: Cash 2,200 − 1,250 − 150 − 200
    // = 600.00; contra-revenue 80 − 80 = 0.00. (It paid the 80.00 out of March's Cash.)
    let src = common::files::copy_dir(&fixtures, &dir.path().join("late"));
    common::files::edit(
        &src.join("ledger.csv"),
        "LG-12,ACC-B,,2026-03-29T12:00:00Z,refund,-80.00,CR-6R",
        "LG-12,ACC-B,,2026-04-02T12:00:00Z,refund,-80.00,CR-6R",
    );
    let late = dir.path().join("late.db");
    closedesk::import::import_dir(&src, &late, false).unwrap();
    let (net, _) = gl_nets(&late, false);
    assert_eq!(net[gl::CASH], m("-600.00"));
    assert_eq!(net.get(gl::CREDITS).copied().unwrap_or(Money::ZERO), Money::ZERO);
    let recon = closedesk::reconcile::run(&Snapshot::open(&late).unwrap()).unwrap();
    assert_eq!(recon.steps.applied.window.credits_paid_out, Money::ZERO);

    // The refund row booked on another account's ledger (a group's credit paid out from a
    // clinic's books) still pays CR-6R out: the same 520.00 and 80.00 as the fixture, and
    // nothing is found. (It read as rescinded: Cash 600.00 with no finding, though the
    // check that explains refund rows took the row as the reversal's.)
    let src = common::files::copy_dir(&fixtures, &dir.path().join("elsewhere"));
    common::files::edit(
        &src.join("ledger.csv"),
        "LG-12,ACC-B,,2026-03-29T12:00:00Z,refund,-80.00,CR-6R",
        "LG-12,ACC-C,,2026-03-29T12:00:00Z,refund,-80.00,CR-6R",
    );
    let elsewhere = dir.path().join("elsewhere.db");
    closedesk::import::import_dir(&src, &elsewhere, false).unwrap();
    let (net, _) = gl_nets(&elsewhere, false);
    assert_eq!(net[gl::CASH], m("-520.00"));
    assert_eq!(net[gl::CREDITS], m("-80.00"));
    let recon = closedesk::reconcile::run(&Snapshot::open(&elsewhere).unwrap()).unwrap();
    assert_eq!(recon.steps.applied.window.credits_paid_out, m("80.00"));
    let keys: Vec<&str> = recon.mismatches.iter().map(|m| m.key.as_str()).collect();
    let before = closedesk::reconcile::run(&Snapshot::open(&path).unwrap()).unwrap();
    let before: Vec<&str> = before.mismatches.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, before);
}

/// A void undoes the invoice's ledger adjustments with it (tests/fixtures/
/// void-after-adjustment, worked by hand in its README): INV-4 150.00 with a −50.00
/// discount, voided by a −100.00 void row. The 50.00 went to Deferred revenue (a credit no
/// contract stood behind); it goes back against AR adjustments.
#[test]
fn gl_a_void_undoes_the_adjustments_of_its_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/void-after-adjustment");
    closedesk::import::import_dir(&fixtures, &path, false).unwrap();
    let m = |s: &str| Money::parse(s).unwrap();
    let (net, _) = gl_nets(&path, false);
    assert_eq!(net[gl::AR], m("-395.00"));
    assert_eq!(net.get(gl::DEFERRED).copied().unwrap_or(Money::ZERO), Money::ZERO);
    assert_eq!(net[gl::REVENUE], m("400.00"));
    assert_eq!(net[gl::ADJUSTMENTS], m("-5.00"));
    let (split, per_account) = gl_nets(&path, true);
    assert_eq!(split, net);
    assert_eq!(
        per_account[&("ACC-B".to_string(), gl::AR.to_string())],
        Money::ZERO
    );
    assert_eq!(
        per_account[&("ACC-B".to_string(), gl::ADJUSTMENTS.to_string())],
        Money::ZERO
    );
    assert_balanced(&path, WORKED_OPERATOR);
}

/// An account with revenue lines and no ledger row (an invoice posted and voided in the
/// window, its ledger rows missing, which nets away in the roll-forward) had no share of
/// the billing and void entries by account, so the journal by account did not add up to
/// the entity journal and put −90.00 of AR on an account that has none. By hand, ACC-V's
/// AR per entry: billing 0.00 posted − 10.00 tax = −10.00; billing-tax +10.00; voids
/// −(0.00 − 90.00 − 10.00) = +100.00; voids-revenue −90.00; voids-tax −10.00; in all
/// −10 + 10 + 100 − 90 − 10 = 0.00.
#[test]
fn gl_by_account_adds_up_to_the_entity_journal_for_an_account_without_ledger_rows() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mixed-edges");
    let src = common::files::copy_dir(&fixtures, &dir.path().join("src"));
    let append = |file: &str, rows: &str| {
        let p = src.join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, format!("{text}{rows}")).unwrap();
    };
    append("accounts.csv", "ACC-V,Voided in window,customer\n");
    append(
        "invoices.csv",
        "INV-V1,ACC-V,void,2026-03-05,2026-03-20,2026-04-04,100.00,0.00\n",
    );
    append(
        "invoice_lines.csv",
        "LV1,INV-V1,recurring,,,,90.00,immediate,service\nLV1T,INV-V1,tax,,,,10.00,immediate,sales tax\n",
    );
    let path = dir.path().join("p.db");
    closedesk::import::import_dir(&src, &path, false).unwrap();
    let (entity, _) = gl_nets(&path, false);
    let (split, per_account) = gl_nets(&path, true);
    assert_eq!(split, entity);
    assert_eq!(
        per_account[&("ACC-V".to_string(), gl::AR.to_string())],
        Money::ZERO
    );
}

/// The GL of tests/fixtures/revenue-rules (worked by hand in its README.md): tax to a
/// liability, a prior-period void against revenue, deferred revenue moving by exactly the
/// engine's deferred at window end − at window start.
#[test]
fn gl_books_tax_as_a_liability_and_voids_against_revenue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("revenue-rules.db");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/revenue-rules");
    closedesk::import::import_dir(&fixtures, &path, false).unwrap();
    let recon = closedesk::reconcile::run(&Snapshot::open(&path).unwrap()).unwrap();
    for by_account in [false, true] {
        let doc = json(&bytes(
            &path,
            WORKED_OPERATOR,
            &Request {
                by_account,
                ..Request::new(Kind::Gl, Format::Json)
            },
        ));
        let lines = doc["lines"].as_array().unwrap();
        let net = |account: &str, entry: Option<&str>| -> Money {
            lines
                .iter()
                .filter(|l| l["gl_account"] == account && entry.is_none_or(|e| l["entry"] == e))
                .map(|l| money(&l["credit"]) - money(&l["debit"]))
                .sum()
        };
        let m = |s: &str| Money::parse(s).unwrap();
        assert_eq!(net(gl::DEFERRED, Some("billing")), m("1100.00"));
        assert_eq!(net(gl::TAX_PAYABLE, Some("billing-tax")), m("16.50"));
        assert_eq!(net(gl::REVENUE, Some("recognition")), m("1240.00"));
        assert_eq!(net(gl::DEFERRED, Some("voids")), m("-200.00"));
        assert_eq!(net(gl::REVENUE, Some("voids-revenue")), m("-690.00"));
        assert_eq!(net(gl::TAX_PAYABLE, Some("voids-tax")), m("-24.00"));
        // Deferred revenue (a credit balance) moves by 1,100.00 − 1,240.00 − 200.00.
        let r = &recon.steps.revenue;
        assert_eq!(net(gl::DEFERRED, None), m("-340.00"));
        assert_eq!(
            net(gl::DEFERRED, None),
            r.total.deferred - r.total.deferred_at_window_start
        );
        assert_eq!(net(gl::REVENUE, None), r.total.recognized);
        assert_eq!(net(gl::REVENUE, None), m("550.00"));
        assert_eq!(net(gl::TAX_PAYABLE, None), m("-7.50"));
        // AR (a debit balance) moves by closing − opening AR: 2,006.50 − 1,804.00.
        assert_eq!(-net(gl::AR, None), m("202.50"));
    }
}

#[test]
fn the_packet_reads_as_a_document_with_account_names_and_paragraphs() {
    let dir = tempfile::tempdir().unwrap();
    let (path, login) = demo_with_note(
        dir.path(),
        "Asked the GL team.\n\n# not a heading\n| not | a table |",
    );
    let md = String::from_utf8(bytes(
        &path,
        &login,
        &Request::new(Kind::Packet, Format::Markdown),
    ))
    .unwrap();
    // The cover first, then the six steps in order, then the appendices.
    let at = |heading: &str| md.find(heading).unwrap_or_else(|| panic!("no {heading:?}"));
    let order = [
        "| Source content hash |",
        "## 1. Posted invoice totals",
        "## 2. Applied vs unapplied",
        "## 3. Account roll-forward",
        "## 4. Adjustments",
        "## 5. AR to finance output",
        "## 6. Revenue",
        "## Aged AR",
        "## Mismatches",
        "## Checklist",
        "## Sign-off receipt",
        "## Verify",
        "## Appendix A: roll-forward by account",
        "## Appendix B: aged AR by account",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{pair:?}");
    }
    // Account names beside ids; the body shows the ten largest, the appendix all 41.
    assert!(
        md.contains("| ACC-1031 | Lighthouse Oncology Network | 3,255.04 |"),
        "{md}"
    );
    assert!(md.contains("The 10 largest of 41 accounts by closing; every account is in Appendix A."));
    let appendix = &md[at("## Appendix A")..at("## Appendix B")];
    let rows = appendix
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| account id"));
    assert_eq!(rows.count(), 41);
    // A multi-line note is quoted paragraphs: its lines cannot make headings or tables.
    assert!(
        md.contains(
            "  > Asked the GL team.  \n  >\n  > \\# not a heading  \n  > \\| not \\| a table \\|  \n"
        ),
        "{md}"
    );
}

#[test]
fn the_packet_file_name_says_draft_or_signed_and_the_audit_head() {
    let dir = tempfile::tempdir().unwrap();
    let path = signed_off_demo(dir.path());
    let head = |path: &Path| {
        let snapshot = Snapshot::open(path).unwrap();
        closedesk::workflow::audit::verify(&snapshot).unwrap().head
    };
    let before = head(&path);
    let elsewhere = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .current_dir(elsewhere.path())
        .args(["export", "--user", "tlin", "--kind", "packet"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Beside the snapshot, not in the working folder, as the cockpit writes it.
    let name = format!("close-packet-2026-03-signed-{}.md", &before[..8]);
    assert!(
        dir.path().join(&name).exists(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&name));
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    // The rule itself: draft while open, numbered only when the same state is exported twice.
    use closedesk::export::file_name;
    assert_eq!(
        file_name(
            Kind::Packet,
            Format::Markdown,
            "2026-03",
            false,
            "9894df5740e0",
            None,
            1
        ),
        "close-packet-2026-03-draft-9894df57.md"
    );
    assert_eq!(
        file_name(
            Kind::Packet,
            Format::Json,
            "2026-03",
            true,
            "9894df5740e0",
            None,
            2
        ),
        "close-packet-2026-03-signed-9894df57-2.json"
    );
    assert_eq!(
        file_name(
            Kind::Packet,
            Format::Markdown,
            "2026-03",
            false,
            "00",
            Some("r diaz"),
            1
        ),
        "close-packet-2026-03-draft-00-r_diaz-1.md"
    );
}

/// Needs `pdftotext` (poppler-utils) to read the PDF back; without it, says so and skips.
#[test]
fn the_pdf_packet_reads_back_with_the_documents_figures() {
    let dir = tempfile::tempdir().unwrap();
    let path = worked_example(dir.path());
    let login = worked_login(&path);
    let pdf = bytes(&path, &login, &Request::new(Kind::Packet, Format::Pdf));
    assert!(pdf.starts_with(b"%PDF-"));
    let file = dir.path().join("packet.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let Ok(out) = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-")
        .output()
    else {
        // Straight to stderr, past the harness's capture, so the skip shows in every run.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped: pdftotext (poppler-utils) is not installed; the_pdf_packet_reads_back_with_the_documents_figures did not run"
        );
        return;
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    // The worked example's hand-computed figures (tests/fixtures/worked-example/README.md).
    for expected in [
        "Close packet",
        "Draft",
        "1. Posted invoice totals",
        "posted receivables",
        "95,000.00",
        "63,500.00",
        "31,500.00",
        "9,500.00",
        "Appendix B: aged AR by account",
        "page 1 of",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

/// The text a PDF packet shows, line by line, read back from its content streams (the
/// packet's PDF writes each line as one `(…) Tj` in the base fonts' WinAnsi encoding; this
/// reads exactly that, with no external program): the golden form of the PDF.
fn pdf_text(pdf: &[u8]) -> String {
    let win_ansi = |b: u8| match b {
        0x80 => '€',
        0x85 => '…',
        0x91 => '‘',
        0x92 => '’',
        0x93 => '“',
        0x94 => '”',
        0x95 => '•',
        0x96 => '–',
        0x97 => '—',
        b => char::from(b),
    };
    let mut out = String::new();
    let mut i = 0;
    while i < pdf.len() {
        // A hex string (`<…>`, how non-ASCII text is written): its bytes.
        if pdf[i] == b'<' && pdf.get(i + 1).is_some_and(u8::is_ascii_hexdigit) {
            let end = pdf[i..].iter().position(|&b| b == b'>').map(|p| i + p);
            let hex = end.map(|e| &pdf[i + 1..e]);
            if let (Some(end), Some(hex)) = (end, hex.filter(|h| h.iter().all(u8::is_ascii_hexdigit))) {
                let rest = &pdf[end + 1..pdf.len().min(end + 5)];
                if rest.starts_with(b" Tj") {
                    let digit = |b: u8| (b as char).to_digit(16).unwrap() as u8;
                    out.extend(
                        hex.chunks(2)
                            .map(|p| win_ansi(digit(p[0]) * 16 + digit(*p.get(1).unwrap_or(&b'0')))),
                    );
                    out.push('\n');
                }
                i = end + 1;
                continue;
            }
        }
        if pdf[i] != b'(' {
            i += 1;
            continue;
        }
        // A string: read to its closing parenthesis (balanced ones may stand unescaped
        // inside), undoing the escapes.
        let mut text = Vec::new();
        let mut depth = 0;
        i += 1;
        while i < pdf.len() && !(pdf[i] == b')' && depth == 0) {
            if pdf[i] == b'(' {
                depth += 1;
            } else if pdf[i] == b')' {
                depth -= 1;
            }
            if pdf[i] == b'\\' && i + 1 < pdf.len() {
                i += 1;
                match pdf[i] {
                    b'n' => text.push(b'\n'),
                    b'r' => text.push(b'\r'),
                    b't' => text.push(b'\t'),
                    d @ b'0'..=b'7' => {
                        let mut v = u32::from(d - b'0');
                        for _ in 0..2 {
                            if matches!(pdf.get(i + 1), Some(b'0'..=b'7')) {
                                i += 1;
                                v = v * 8 + u32::from(pdf[i] - b'0');
                            }
                        }
                        text.push(v as u8);
                    }
                    other => text.push(other),
                }
            } else {
                text.push(pdf[i]);
            }
            i += 1;
        }
        i += 1;
        // Only the strings shown on a page (`Tj`), not the document info's.
        let rest = &pdf[i..pdf.len().min(i + 4)];
        if rest.starts_with(b" Tj") || rest.starts_with(b"Tj") {
            out.extend(text.into_iter().map(win_ansi));
            out.push('\n');
        }
    }
    out
}

#[test]
fn the_pdf_packet_matches_its_golden_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    let login = demo_login(&path);
    let pdf = bytes(&path, &login, &Request::new(Kind::Packet, Format::Pdf));
    let text = pdf_text(&pdf);
    // The same document as the Markdown packet, laid out: every figure of its cover and steps.
    for line in [
        "Close packet — Northstar Health Benefits — 2026-03",
        "1. Posted invoice totals",
        "Appendix B: aged AR by account",
    ] {
        assert!(text.lines().any(|l| l.trim() == line), "missing {line:?}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("closing ar ") && l.ends_with(" 39,639.27")),
        "{text}"
    );
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/demo-packet-pdf.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&file, &text).unwrap();
    } else {
        let expected = std::fs::read_to_string(&file).unwrap_or_else(|_| {
            panic!("demo-packet-pdf.txt missing: run with UPDATE_GOLDEN=1 and review it")
        });
        assert!(
            expected == text,
            "demo-packet-pdf.txt differs from the PDF's text (UPDATE_GOLDEN=1 to regenerate, then review)"
        );
    }
}

/// Runs `closedesk COMMAND FILE REST…` and asserts it succeeded.
fn run_ok(path: &Path, command: &str, rest: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .arg(command)
        .arg(path)
        .args(rest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{command} {rest:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The packet's text from the heading that starts with `heading` to the next `## `.
fn packet_section(path: &Path, login: &str, heading: &str) -> String {
    let md = String::from_utf8(bytes(path, login, &Request::new(Kind::Packet, Format::Markdown))).unwrap();
    let start = md
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in {md}"));
    let rest = &md[start + heading.len()..];
    rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
}

const GL_GAP: &str = "exports:GL-2026-03:ar-total";

/// A waiver decides the demo's GL gap, it does not close it: the export is still 9.75 short
/// of closing AR. Section 5 said "Each export batch has its header equal to its lines, and
/// its lines tied to the subledger" above a GL row of 39,629.52 against 39,639.27.
#[test]
fn the_packet_says_a_waived_export_gap_is_still_short() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "waived.db");
    run_ok(
        &path,
        "mismatch",
        &[
            GL_GAP,
            "waive",
            "--reason=Usage line dropped by the GL feed; booked in April",
            "--user",
            "mhale",
        ],
    );
    let section = packet_section(&path, "tlin", "## 5. AR to finance output");
    assert!(!section.contains("Each export batch has "), "{section}");
    assert!(
        section.contains("GL-2026-03 is 9.75 short of closing AR; its mismatch was waived by mhale at "),
        "{section}"
    );
    assert!(
        section.contains("| GL-2026-03 | gl | netsuite-gl | 2026-03-31T22:00:00 | 39,629.52 | 39,629.52 | 29 | 39,639.27 |"),
        "{section}"
    );
}

/// The same with the gap resolved by an accepted correction: the overlay ties, the export
/// does not.
#[test]
fn the_packet_says_a_corrected_export_gap_is_still_short() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "corrected.db");
    run_ok(
        &path,
        "mismatch",
        &[
            GL_GAP,
            "propose",
            "--amount=9.75",
            "--side=actual",
            "--reason=GL line for ACC-1004 dropped a usage line",
            "--user",
            "rdiaz",
        ],
    );
    run_ok(&path, "mismatch", &[GL_GAP, "accept", "--user", "jokafor"]);
    let detail = run_ok(&path, "mismatch", &[GL_GAP, "--json"]);
    assert_eq!(json(detail.as_bytes())["view"]["status"], "resolved", "{detail}");
    let section = packet_section(&path, "tlin", "## 5. AR to finance output");
    assert!(!section.contains("Each export batch has "), "{section}");
    assert!(
        section.contains(
            "GL-2026-03 is 9.75 short of closing AR; its mismatch was corrected by accepted correction #"
        ),
        "{section}"
    );
    assert!(section.contains("accepted by jokafor at "), "{section}");
}

/// Step 4 said every adjustment was "recorded in the ledger in full" once the mismatch of a
/// void the ledger booked short was waived (tests/fixtures/void-booked-late).
#[test]
fn the_packet_says_a_waived_adjustment_gap_is_still_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.db");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/void-booked-late");
    closedesk::import::import_dir(&fixtures, &path, false).unwrap();
    run_ok(
        &path,
        "mismatch",
        &[
            "adjustments:INV-A1:void",
            "waive",
            "--reason=The void is booked in the next period's ledger",
            "--user",
            "controller",
        ],
    );
    let section = packet_section(&path, "controller", "## 4. Adjustments");
    assert!(!section.contains("recorded in the ledger in full."), "{section}");
    assert!(
        section.contains(
            "The void of invoice INV-A1 is not recorded in the ledger in full (expected 0.00, actual 300.00); \
             its mismatch was waived by controller at "
        ),
        "{section}"
    );
}

/// tests/fixtures/import-minimal with a billing extract whose total ties and whose lines do
/// not, and its GL's lines moved the same way (found by an outputs audit). Closing AR is
/// 600.20: ACC-1001 250.00 and EMP-2001 350.20. By hand: BX-2026-03 carries ACC-1001 at
/// 260.00 (+10.00) and EMP-2001 at 340.20 (−10.00), 600.20 in all; GL-2026-03 carries
/// 255.00 (+5.00) and 345.20 (−5.00), 600.20 in all. Four open mismatches, two per batch,
/// and both headers equal closing AR.
fn lines_off_total_ties(dir: &Path) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import-minimal");
    let src = common::files::copy_dir(&fixtures, &dir.join("lines-off"));
    let batches = src.join("export_batches.csv");
    let mut text = std::fs::read_to_string(&batches).unwrap();
    text.push_str("BX-2026-03,billing_extract,bx,2026-03-31T22:00:00Z,600.20\n");
    std::fs::write(&batches, text).unwrap();
    let lines = src.join("export_lines.csv");
    common::files::edit(
        &lines,
        "GLL-1,GL-2026-03,ACC-1001,,250.00",
        "GLL-1,GL-2026-03,ACC-1001,,255.00",
    );
    common::files::edit(
        &lines,
        "GLL-2,GL-2026-03,EMP-2001,,350.20",
        "GLL-2,GL-2026-03,EMP-2001,,345.20",
    );
    let mut text = std::fs::read_to_string(&lines).unwrap();
    text.push_str("BXL-1,BX-2026-03,ACC-1001,,260.00\nBXL-2,BX-2026-03,EMP-2001,,340.20\n");
    std::fs::write(&lines, text).unwrap();
    let path = dir.join("lines-off.db");
    closedesk::import::import_dir(&src, &path, false).unwrap();
    path
}

/// Item 8 said "600.20 (ties)" for a batch whose total ties to closing AR while two of its
/// account lines are off by ±10.00 and open in the register (found by an outputs audit): a
/// batch ties only when none of its mismatches is open. In the checklist, the packet (Markdown
/// and JSON) and the command alike.
#[test]
fn item_8_says_a_batch_ties_only_when_none_of_its_mismatches_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = lines_off_total_ties(dir.path());
    let snapshot = Snapshot::open(&path).unwrap();
    let recon = closedesk::reconcile::run(&snapshot).unwrap();
    let mut keys: Vec<&str> = recon
        .mismatches
        .iter()
        .map(|m| m.key.as_str())
        .filter(|k| k.starts_with("exports:"))
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "exports:BX-2026-03/ACC-1001:account-ar",
            "exports:BX-2026-03/EMP-2001:account-ar",
            "exports:GL-2026-03/ACC-1001:gl-account",
            "exports:GL-2026-03/EMP-2001:gl-account",
        ]
    );
    drop(snapshot);
    let bx = "| BX-2026-03 (billing_extract) | 600.20 (total ties; 2 open mismatches on its lines) |";
    let gl = "| GL-2026-03 (gl) | 600.20 (total ties; 2 open mismatches on its lines) |";
    let section = packet_section(&path, "mhale", "### 8. ");
    assert!(section.contains(bx), "{section}");
    assert!(section.contains(gl), "{section}");
    // The program's statements do tie to what was billed.
    assert!(
        section.contains("| program PRG-WELL statements | 350.20 (ties) |"),
        "{section}"
    );
    let doc = json(&bytes(&path, "mhale", &Request::new(Kind::Packet, Format::Json)));
    let evidence = doc["checklist"][7]["evidence"].as_array().unwrap();
    for label in ["BX-2026-03 (billing_extract)", "GL-2026-03 (gl)"] {
        let e = evidence.iter().find(|e| e["label"] == label).unwrap();
        assert_eq!(e["value"], "600.20 (total ties; 2 open mismatches on its lines)");
    }
    let shown = run_ok(&path, "checklist", &["--user", "mhale"]);
    let flat = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("BX-2026-03 (billing_extract): 600.20 (total ties; 2 open mismatches on its lines)"),
        "{shown}"
    );
    assert!(
        flat.contains("GL-2026-03 (gl): 600.20 (total ties; 2 open mismatches on its lines)"),
        "{shown}"
    );
    // Waived, the billing extract's lines still differ from the ledger: no tie either.
    for key in [
        "exports:BX-2026-03/ACC-1001:account-ar",
        "exports:BX-2026-03/EMP-2001:account-ar",
    ] {
        run_ok(
            &path,
            "mismatch",
            &[
                key,
                "waive",
                "--reason",
                "timing of the extract, agreed with billing",
                "--user",
                "mhale",
            ],
        );
    }
    let section = packet_section(&path, "mhale", "### 8. ");
    assert!(
        section.contains(
            "| BX-2026-03 (billing_extract) | 600.20 (total ties; 2 mismatches on its lines waived or corrected) |"
        ),
        "{section}"
    );
    assert!(section.contains(gl), "{section}");
}

/// `--out DIR --force` with DIR an existing directory was recorded (audit seq 1) and then
/// failed to be put in place ("Is a directory"), leaving the log with an export of a file
/// never written, which the next packet counted under item 8 (found by an outputs audit). A
/// directory, or a file in a folder that does not exist or is not a folder, is refused
/// before anything is recorded: exit 2, the path named, the log empty.
#[test]
fn a_directory_or_a_missing_folder_is_refused_before_anything_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    let folder = dir.path().join("outputs");
    std::fs::create_dir(&folder).unwrap();
    let not_a_folder = dir.path().join("notes.txt");
    std::fs::write(&not_a_folder, "keep me").unwrap();
    let cases = [
        (folder.clone(), true, "is a directory"),
        (folder.clone(), false, "is a directory"),
        (dir.path().join("missing").join("gl.csv"), true, "does not exist"),
        (not_a_folder.join("gl.csv"), false, "is not a directory"),
        (
            not_a_folder.join("sub").join("gl.csv"),
            true,
            "is not a directory",
        ),
    ];
    for (out, force, says) in cases {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_closedesk"));
        cmd.args(["export", "--kind", "gl", "--user", "tlin", "--out"])
            .arg(&out)
            .arg(&path);
        if force {
            cmd.arg("--force");
        }
        let run = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{out:?}: {stderr}");
        assert!(stderr.contains(&out.display().to_string()), "{out:?}: {stderr}");
        assert!(stderr.contains(says), "{out:?}: {stderr}");
        assert!(
            stderr.contains("nothing was written or recorded"),
            "{out:?}: {stderr}"
        );
        let snapshot = Snapshot::open(&path).unwrap();
        assert_eq!(
            snapshot.workflow().audit_head().unwrap().0,
            0,
            "{out:?}: {stderr}"
        );
    }
    assert!(std::fs::read_dir(&folder).unwrap().next().is_none());
    assert_eq!(std::fs::read_to_string(&not_a_folder).unwrap(), "keep me");
}

/// The packet's aged AR lists the accounts `--kind aging` lists, with their unapplied
/// payments and credits (found by an outputs audit: it had no unapplied columns, so the
/// demo's ACC-1026 — no balance, 60.00 of unapplied credits — was in the aging export and
/// the workbook and missing from the packet's Appendix B). The demo's totals, from
/// tests/golden/demo-aging.csv: buckets 39,639.27 (closing AR), unapplied payments 827.60,
/// unapplied credits 219.75.
#[test]
fn the_packets_aged_ar_lists_the_accounts_of_the_aging_export() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    let aging = json(&bytes(&path, "tlin", &Request::new(Kind::Aging, Format::Json)));
    let packet = json(&bytes(&path, "tlin", &Request::new(Kind::Packet, Format::Json)));
    let exported = aging["accounts"].as_array().unwrap();
    let packed = packet["aging"]["accounts"].as_array().unwrap();
    let ids = |rows: &[Value]| -> Vec<String> {
        rows.iter()
            .map(|r| r["account_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(packed), ids(exported));
    assert_eq!(packed.len(), 30);
    for (p, a) in packed.iter().zip(exported) {
        for (pf, af) in [
            ("current", "current"),
            ("days_1_30", "days_1_30"),
            ("days_31_60", "days_31_60"),
            ("days_61_90", "days_61_90"),
            ("over_90", "days_91_plus"),
            ("total", "total"),
            ("unapplied_payments", "unapplied_payments"),
            ("unapplied_credits", "unapplied_credits"),
        ] {
            assert_eq!(money(&p[pf]), money(&a[af]), "{} {pf}", a["account_id"]);
        }
    }
    let totals = &packet["aging"]["totals"];
    assert_eq!(money(&totals["total"]), Money::parse("39639.27").unwrap());
    assert_eq!(
        money(&totals["unapplied_payments"]),
        Money::parse("827.60").unwrap()
    );
    assert_eq!(
        money(&totals["unapplied_credits"]),
        Money::parse("219.75").unwrap()
    );
    assert_eq!(money(&totals["total"]), money(&aging["totals"]["total"]));

    let body = packet_section(&path, "tlin", "## Aged AR");
    assert!(body.contains("| total | 39,639.27 |"), "{body}");
    assert!(body.contains("| unapplied payments | 827.60 |"), "{body}");
    assert!(body.contains("| unapplied credits | 219.75 |"), "{body}");
    let appendix = packet_section(&path, "tlin", "## Appendix B");
    let row = appendix
        .lines()
        .find(|l| l.starts_with("| ACC-1026 | "))
        .unwrap_or_else(|| panic!("no ACC-1026 in {appendix}"));
    assert!(
        row.ends_with("| 0.00 | 0.00 | 0.00 | 0.00 | 0.00 | 0.00 | 0.00 | 60.00 |"),
        "{row}"
    );
}

fn audit_len(path: &Path) -> i64 {
    Snapshot::open(path).unwrap().workflow().audit_head().unwrap().0
}

/// `--out -` is recorded only for an output that can be delivered (found by a black-box
/// audit). A closed standard output (`>&-`), which the Rust runtime silently replaces with
/// /dev/null, is refused before anything is recorded: exit 2, the log untouched. A write
/// that fails after the audit row was committed (a full device) says that it was
/// recorded and names its audit seq, exit 3 (the environment's: README, "Exit codes").
#[test]
fn a_closed_or_full_standard_output_is_refused_or_named_with_its_audit_seq() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    let closed = std::process::Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" export \"$1\" --kind gl --out - --user tlin >&-")
        .arg(env!("CARGO_BIN_EXE_closedesk"))
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&closed.stderr);
    assert_eq!(closed.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("standard output is not open"), "{stderr}");
    assert!(stderr.contains("nothing was written or recorded"), "{stderr}");
    assert_eq!(audit_len(&path), 0, "{stderr}");

    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .args(["export", "--kind", "gl", "--out", "-", "--user", "tlin"])
        .arg(&path)
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot write to standard output"), "{stderr}");
    assert!(
        stderr.contains("the export was recorded (audit seq 1) but not delivered"),
        "{stderr}"
    );
    assert_eq!(audit_len(&path), 1, "{stderr}");
}

/// A temporary that cannot be written for the environment's reason is exit 3, not 2
/// (README, "Exit codes"; a full disk gave 2, found by a black-box audit). A file size
/// limit stands in for a full disk here: the write fails with EFBIG, as it would with
/// ENOSPC, before anything is recorded.
#[test]
fn a_temporary_the_environment_cannot_take_exits_3_and_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    let out = dir.path().join("packet.pdf");
    // 96 blocks of 512 bytes: the snapshot's -shm (32 KiB) and -wal fit, the PDF does not.
    let run = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 96 && exec \"$0\" export \"$1\" --kind packet --format pdf --user tlin --out \"$2\"")
        .arg(env!("CARGO_BIN_EXE_closedesk"))
        .arg(&path)
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot write the export"), "{stderr}");
    assert!(stderr.contains("nothing was written or recorded"), "{stderr}");
    assert!(!out.exists());
    assert_eq!(audit_len(&path), 0, "{stderr}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Any name the file system takes is a name an export can be written to: a 235-byte name
/// was refused ("File name too long") because its temporary's name, the name with
/// `.closedesk-PID-N.tmp` around it, was longer than 255 bytes (found by a black-box
/// audit). So is a long name of multi-byte characters.
#[test]
fn a_long_file_name_the_file_system_takes_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo(dir.path(), "demo.db");
    for name in [
        format!("{}.csv", "a".repeat(231)),
        format!("{}.csv", "é".repeat(125)),
        format!("{}.csv", "b".repeat(251)),
    ] {
        assert!(name.len() <= 255);
        let out = dir.path().join(&name);
        let run = Command::new(env!("CARGO_BIN_EXE_closedesk"))
            .args(["export", "--kind", "gl", "--user", "tlin", "--out"])
            .arg(&out)
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{} bytes: {stderr}", name.len());
        assert!(out.exists());
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
