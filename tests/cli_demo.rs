//! The demo period through the real binary: its six status fields exactly, reconcile's
//! mismatches, exit codes, and that the demo file is the user's (never overwritten).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn closedesk(data_home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_closedesk"));
    cmd.env("XDG_DATA_HOME", data_home)
        .env("CLOSEDESK_TODAY", "2026-04-02")
        .env("NO_COLOR", "1");
    cmd
}

fn demo_file(dir: &Path) -> PathBuf {
    let path = dir.join("demo.db");
    closedesk(dir)
        .args(["demo", "--out"])
        .arg(&path)
        .assert()
        .success();
    path
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

#[test]
fn status_json_has_the_six_fields_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_file(dir.path());
    let out = closedesk(dir.path())
        .args(["status", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // The first six fields, in order, with amounts written exactly as two-decimal numbers.
    let head: Vec<&str> = text.lines().skip(1).take(6).map(str::trim).collect();
    assert_eq!(
        head,
        [
            r#""period": "2026-03","#,
            r#""usage_billed_usd": 4318.42,"#,
            r#""program_fees_billed_usd": 912.13,"#,
            r#""variance_usd": 14.27,"#,
            r#""status": "needs_review","#,
            r#""owner": "finance@northstar.example","#,
        ]
    );
    let v = json(text.as_bytes());
    assert_eq!(v["window"]["start"], "2026-03-01");
    assert_eq!(v["window"]["end"], "2026-03-31");
    assert_eq!(v["mismatches"]["open"], 2);
    assert_eq!(v["mismatches"]["medium"], 1);
    assert_eq!(v["mismatches"]["low"], 1);
    assert_eq!(v["last_clean_close"]["period"], "2026-02");
    assert_eq!(v["last_clean_close"]["date"], "2026-03-04");
    assert_eq!(v["last_clean_close"]["days_ago"], 29);
    assert_eq!(v["checklist"]["done"], 0);
    assert_eq!(v["checklist"]["total"], 8);
}

#[test]
fn status_check_exits_1_when_not_clean() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_file(dir.path());
    closedesk(dir.path())
        .args(["status", "--check"])
        .arg(&path)
        .assert()
        .code(1);
    closedesk(dir.path())
        .args(["reconcile", "--check"])
        .arg(&path)
        .assert()
        .code(1);
    closedesk(dir.path()).arg("status").arg(&path).assert().code(0);
}

#[test]
fn reconcile_lists_the_two_mismatches_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_file(dir.path());
    let out = closedesk(dir.path())
        .args(["reconcile", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out.stdout);
    let mismatches = v["mismatches"].as_array().unwrap();
    let got: Vec<(String, String, String, String, String, String)> = mismatches
        .iter()
        .map(|m| {
            (
                m["key"].as_str().unwrap().to_string(),
                m["lane"].as_str().unwrap().to_string(),
                m["expected"].to_string(),
                m["actual"].to_string(),
                m["variance"].to_string(),
                m["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let row = |k: &str, l: &str, e: &str, a: &str, var: &str, s: &str| {
        (
            k.to_string(),
            l.to_string(),
            e.to_string(),
            a.to_string(),
            var.to_string(),
            s.to_string(),
        )
    };
    assert_eq!(
        got,
        vec![
            row(
                "exports:GL-2026-03:ar-total",
                "exports",
                "39639.27",
                "39629.52",
                "-9.75",
                "medium"
            ),
            row(
                "employer_programs:STM-VERIFY-2026-03:statement-total",
                "employer_programs",
                "244.08",
                "248.60",
                "4.52",
                "low"
            ),
        ]
    );
    for m in mismatches {
        assert!(!m["expected_rows"].as_array().unwrap().is_empty(), "{m}");
        assert!(!m["actual_rows"].as_array().unwrap().is_empty(), "{m}");
        assert!(!m["next_action"].as_str().unwrap().is_empty());
    }
    assert_eq!(mismatches[0]["owner"], "gl-team@northstar.example");
    assert_eq!(mismatches[1]["owner"], "programs@northstar.example");
}

#[test]
fn reconcile_human_output_shows_every_step_and_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo_file(dir.path());
    let out = closedesk(dir.path())
        .arg("reconcile")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "2026-03-01 .. 2026-03-31",
        "needs review — 2 open mismatches (0 critical, 0 high, 1 medium, 1 low)",
        "4,318.42",
        "912.13",
        "14.27",
        "exports:GL-2026-03:ar-total",
        "employer_programs:STM-VERIFY-2026-03:statement-total",
        "-9.75",
        "4.52",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn demo_defaults_to_the_data_directory_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let expected = dir.path().join("closedesk").join("demo-2026-03.db");
    let out = closedesk(dir.path()).arg("demo").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&expected.display().to_string()));
    let before = std::fs::read(&expected).unwrap();
    let out = closedesk(dir.path()).arg("demo").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&expected).unwrap(), before);
    closedesk(dir.path()).args(["demo", "--force"]).assert().success();
}

#[test]
fn a_synthetic_period_too_small_or_too_large_is_refused_before_anything_is_written() {
    // --scale 99999999999 ran on until the disk filled (26 GB and growing).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.db");
    for (n, says) in [
        (
            "99999999999",
            "--scale 99999999999: a synthetic period has at most 10000000 invoices",
        ),
        ("10000001", "at most 10000000 invoices"),
        ("99", "--scale 99: a synthetic period has at least 100 invoices"),
    ] {
        let o = closedesk(dir.path())
            .args(["demo", "--scale", n, "--out"])
            .arg(&out)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{n}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(says), "{n}: {stderr}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{n}: nothing written"
        );
    }
}

#[test]
fn status_without_a_file_uses_the_demo_and_creates_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = closedesk(dir.path()).args(["status", "--json"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("created the demo period"));
    assert_eq!(json(&out.stdout)["variance_usd"].to_string(), "14.27");
    assert!(dir.path().join("closedesk").join("demo-2026-03.db").exists());
    let again = closedesk(dir.path()).args(["status", "--json"]).output().unwrap();
    assert!(
        again.stderr.is_empty(),
        "second run must not recreate: {}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn worked_example_through_import() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("worked.db");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/worked-example");
    closedesk(dir.path())
        .arg("import")
        .arg(&fixtures)
        .arg("--out")
        .arg(&out_path)
        .assert()
        .success();
    let out = closedesk(dir.path())
        .args(["status", "--json"])
        .arg(&out_path)
        .output()
        .unwrap();
    let v = json(&out.stdout);
    assert_eq!(v["posted_receivables_usd"].to_string(), "95000.00");
    assert_eq!(v["disbursed_usd"].to_string(), "63500.00");
    assert_eq!(v["closing_ar_usd"].to_string(), "31500.00");
    assert_eq!(v["unapplied_usd"].to_string(), "9500.00");
    assert_eq!(v["status"], "clean");
    assert_eq!(v["variance_usd"].to_string(), "0.00");
}

#[test]
fn a_closed_pipe_ends_quietly_without_a_panic() {
    use std::io::Read;
    use std::process::{Command as Std, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let path = demo_file(dir.path());
    for args in [vec!["reconcile"], vec!["reconcile", "--json"], vec!["checklist"]] {
        let mut child = Std::new(env!("CARGO_BIN_EXE_closedesk"))
            .args(&args)
            .arg(&path)
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then close the pipe as `head -c1` would.
        let mut stdout = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        stdout.read_exact(&mut one).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
