//! The usage-from-the-warehouse benchmark (issue 17 part 3): `cargo bench --bench
//! usage_parquet`.
//!
//! Writes two periods of the same accounts, invoices and usage lines, differing only in
//! how their usage comes (docs/usage-parquet.md), with the `parquet` crate's writer
//! (seeded, deterministic, Snappy, one row group at a time — never all rows in memory):
//!
//! - **raw**: `usage_events.parquet`, ~10M raw events (today's budget, the baseline);
//! - **aggregate**: a 100M-event month pre-aggregated to account × day × kind
//!   (`usage_daily.parquet`) with its control total (`usage_control.parquet`);
//!
//! then measures, as child processes, `closedesk import DIR --out FILE` and the first
//! `closedesk reconcile FILE --json`: wall time, CPU time (user + sys) and peak RSS
//! (`wait4`). Each period ties out but for three planted breaks, which the reconciliation
//! must find exactly once, with figures the bench computed while writing the rows: one
//! usage line billed 1.00 over its events, one rated event never billed, one event still
//! unprocessed. The control total ties (no control-total break).
//!
//! The binary measured is the one cargo built for the bench (`CLOSEDESK_BIN=PATH` to
//! measure another, e.g. `target/release/closedesk` from a harness built by `cargo test
//! --bench usage_parquet`). Sizes: `CLOSEDESK_BENCH_RAW_EVENTS` (default 10,000,000), `CLOSEDESK_BENCH_AGG_EVENTS`
//! (100,000,000), `CLOSEDESK_BENCH_ACCOUNTS` (10,000). Files go to `CLOSEDESK_BENCH_DIR`
//! (default `target/bench-usage-parquet/`) and are written again on every run. Figures and
//! the machine: BENCHMARKS.md, "Usage from the warehouse".

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use closedesk::demo::scale::Rng;
use closedesk::import::FILES;
use closedesk::money::Money;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

#[path = "common/child.rs"]
mod child;
#[path = "../tests/common/parquet_schemas.rs"]
mod schemas;

use child::{run_measured, Measured};
use schemas::{CONTROL_SCHEMA, DAILY_SCHEMA, EVENTS_SCHEMA};

const SEED: u64 = 17;
/// Rows per row group, as an engine writes them (~1M rows is Spark's order of size; a
/// smaller group keeps the bench's own memory small).
const GROUP: usize = 131_072;
/// 2026-03-01T00:00:00Z, seconds since the epoch; and as a Parquet `DATE`.
const MARCH_1: i64 = 1_772_323_200;
const MARCH_1_DAYS: i32 = 20_513;
const DAYS: u64 = 31;
const KINDS: [&str; 3] = ["protected_lookup", "report", "export"];
/// Cents per unit, by kind.
const PRICE: [i64; 3] = [40, 500, 125];

fn account_id(a: u64) -> String {
    format!("ACC-{:06}", a + 1)
}

/// The usage line of account `a` for kind `k`.
fn line_id(a: u64, k: usize) -> String {
    format!("LN-{:06}-{}", a + 1, k + 1)
}

/// One column of a row group, its values and (for an `OPTIONAL` column) the definition
/// levels (1 present, 0 null).
enum Column {
    Text(Vec<ByteArray>, Option<Vec<i16>>),
    Long(Vec<i64>, Option<Vec<i16>>),
    Int(Vec<i32>),
}

/// A Parquet file written one row group at a time.
struct Writer(SerializedFileWriter<File>);

impl Writer {
    fn create(path: &Path, schema: &str) -> Writer {
        let schema = Arc::new(parse_message_type(schema).expect("schema"));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let file = File::create(path).expect("Parquet file");
        Writer(SerializedFileWriter::new(file, schema, Arc::new(props)).expect("writer"))
    }

    fn group(&mut self, columns: &[Column]) {
        let mut group = self.0.next_row_group().expect("row group");
        let mut at = 0;
        while let Some(mut column) = group.next_column().expect("column") {
            match &columns[at] {
                Column::Text(values, levels) => {
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(values, levels.as_deref(), None)
                }
                Column::Long(values, levels) => {
                    column
                        .typed::<Int64Type>()
                        .write_batch(values, levels.as_deref(), None)
                }
                Column::Int(values) => column.typed::<Int32Type>().write_batch(values, None, None),
            }
            .expect("write column");
            column.close().expect("close column");
            at += 1;
        }
        group.close().expect("close row group");
    }

    fn close(self) {
        self.0.close().expect("close Parquet file");
    }
}

/// What the bench knows of the usage it wrote: the sums it computed row by row, and the
/// planted breaks.
struct Usage {
    /// Rated cents per account × kind, billed on its line (`a * 3 + k`).
    per_line: Vec<i64>,
    events: u64,
    units: i64,
    rated: i64,
    rows: u64,
    /// The planted unbilled usage: its key in the reconciliation and its rated cents.
    unbilled: (String, i64),
}

/// The planted breaks, the same in both forms: account 1's first line bills 1.00 more
/// than its events; one rated event of account 2 (March 15, a report, 2 units) on no line;
/// one event of account 3 (March 20, an export, 1 unit) still unprocessed.
const OVERBILLED: i64 = 100;
const UNBILLED_UNITS: i64 = 2;

/// Writes `events` raw events (the last two the planted unbilled and unprocessed ones)
/// to `usage_events.parquet`.
fn write_raw(dir: &Path, accounts: u64, events: u64) -> Usage {
    let mut rng = Rng(SEED);
    let mut w = Writer::create(&dir.join("usage_events.parquet"), EVENTS_SCHEMA);
    let mut u = Usage {
        per_line: vec![0; accounts as usize * 3],
        events,
        units: 0,
        rated: 0,
        rows: events,
        unbilled: ("usage:UE-UNBILLED:unbilled".into(), 0),
    };
    let billed = events - 2;
    let mut i = 0;
    while i < events {
        let n = GROUP.min((events - i) as usize);
        let (mut ids, mut accts, mut kinds, mut at, mut units, mut rated, mut rated_def) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        let (mut states, mut lines, mut line_def) = (vec![], vec![], vec![]);
        for e in i..i + n as u64 {
            let (a, k, day, unit, state, line, id) = if e < billed {
                let a = e % accounts;
                let k = ((e / accounts) % 3) as usize;
                let day = (e / (3 * accounts)) % DAYS + 1;
                let unit = 1 + rng.below(3) as i64;
                (
                    a,
                    k,
                    day,
                    unit,
                    "rated",
                    Some(line_id(a, k)),
                    format!("UE-{e:09}"),
                )
            } else if e == billed {
                (1, 1, 15, UNBILLED_UNITS, "rated", None, "UE-UNBILLED".to_string())
            } else {
                (2, 2, 20, 1, "unprocessed", None, "UE-UNPROCESSED".to_string())
            };
            let second = rng.below(86_400) as i64;
            ids.push(ByteArray::from(id.as_str()));
            accts.push(ByteArray::from(account_id(a).as_str()));
            kinds.push(ByteArray::from(KINDS[k]));
            at.push((MARCH_1 + (day as i64 - 1) * 86_400 + second) * 1_000);
            units.push(unit);
            u.units += unit;
            if state == "rated" {
                let cents = unit * PRICE[k];
                rated.push(cents);
                rated_def.push(1);
                u.rated += cents;
                match &line {
                    Some(_) => u.per_line[a as usize * 3 + k] += cents,
                    None => u.unbilled.1 = cents,
                }
            } else {
                rated_def.push(0);
            }
            states.push(ByteArray::from(state));
            match line {
                Some(line) => {
                    lines.push(ByteArray::from(line.as_str()));
                    line_def.push(1);
                }
                None => line_def.push(0),
            }
        }
        w.group(&[
            Column::Text(ids, None),
            Column::Text(accts, None),
            Column::Text(kinds, None),
            Column::Long(at, None),
            Column::Long(units, None),
            Column::Long(rated, Some(rated_def)),
            Column::Text(states, None),
            Column::Text(lines, Some(line_def)),
            Column::Long(vec![], Some(vec![0; n])),
        ]);
        i += n as u64;
    }
    w.close();
    u
}

/// Writes `events` events pre-aggregated to account × day × kind (`usage_daily.parquet`,
/// one row per key on its line; the planted unbilled and unprocessed events a row each)
/// and their control total (`usage_control.parquet`).
fn write_aggregate(dir: &Path, accounts: u64, events: u64) -> Usage {
    let mut rng = Rng(SEED);
    let mut w = Writer::create(&dir.join("usage_daily.parquet"), DAILY_SCHEMA);
    let keys = accounts * DAYS * 3;
    let rows = keys + 2;
    let billed = events - 2;
    let (base, extra) = (billed / keys, billed % keys);
    let mut u = Usage {
        per_line: vec![0; accounts as usize * 3],
        events,
        units: 0,
        rated: 0,
        rows,
        unbilled: ("usage:ACC-000002/2026-03-15/report:unbilled".into(), 0),
    };
    let mut counted = 0;
    let mut r = 0;
    while r < rows {
        let n = GROUP.min((rows - r) as usize);
        let (mut accts, mut days, mut kinds, mut states) = (vec![], vec![], vec![], vec![]);
        let (mut lines, mut line_def, mut units, mut rated, mut counts) =
            (vec![], vec![], vec![], vec![], vec![]);
        for row in r..r + n as u64 {
            // Rows by account, then day, then kind, as a GROUP BY … ORDER BY writes them.
            let (a, day, k, count, unit, state, line) = if row < keys {
                let (a, rest) = (row / (DAYS * 3), row % (DAYS * 3));
                let (day, k) = (rest / 3 + 1, (rest % 3) as usize);
                let count = base + u64::from(row < extra);
                // Each event 1 to 3 units: the row's units between count and 3 × count.
                let unit = (count + rng.below(2 * count + 1)) as i64;
                (a, day, k, count, unit, "rated", Some(line_id(a, k)))
            } else if row == keys {
                (1, 15, 1, 1, UNBILLED_UNITS, "rated", None)
            } else {
                (2, 20, 2, 1, 1, "unprocessed", None)
            };
            counted += count;
            accts.push(ByteArray::from(account_id(a).as_str()));
            days.push(MARCH_1_DAYS + day as i32 - 1);
            kinds.push(ByteArray::from(KINDS[k]));
            states.push(ByteArray::from(state));
            u.units += unit;
            units.push(unit);
            counts.push(count as i64);
            let cents = if state == "rated" { unit * PRICE[k] } else { 0 };
            rated.push(cents);
            u.rated += cents;
            match line {
                Some(line) => {
                    u.per_line[a as usize * 3 + k] += cents;
                    lines.push(ByteArray::from(line.as_str()));
                    line_def.push(1);
                }
                None if state == "rated" => {
                    u.unbilled.1 = cents;
                    line_def.push(0);
                }
                None => line_def.push(0),
            }
        }
        w.group(&[
            Column::Text(accts, None),
            Column::Int(days),
            Column::Text(kinds, None),
            Column::Text(states, None),
            Column::Text(lines, Some(line_def)),
            Column::Long(units, None),
            Column::Long(rated, None),
            Column::Long(counts, None),
        ]);
        r += n as u64;
    }
    w.close();
    assert_eq!(counted, events, "the aggregate's rows hold every event");
    let mut c = Writer::create(&dir.join("usage_control.parquet"), CONTROL_SCHEMA);
    c.group(&[
        Column::Long(vec![events as i64], None),
        Column::Long(vec![u.units], None),
        Column::Long(vec![u.rated], None),
    ]);
    c.close();
    u
}

fn money(cents: i64) -> String {
    Money::from_cents(cents).to_string()
}

/// Writes the rest of the period as import's CSV files: one invoice per account, posted
/// on March 31, of one usage line per kind billing the account's events of that kind
/// (account 1's first line 1.00 more), its ledger row; every other file empty.
fn write_period(dir: &Path, accounts: u64, usage: &Usage) {
    let file = |name: &str| {
        let columns = FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
            .expect("a file of the snapshot format");
        let mut out = csv::Writer::from_path(dir.join(name)).expect("CSV file");
        out.write_record(columns).unwrap();
        out
    };
    for (name, _) in FILES {
        if *name != "usage_events.csv" {
            file(name).flush().unwrap();
        }
    }
    let mut period = file("period.csv");
    period
        .write_record([
            "2026-03",
            "Warehouse Usage Co",
            "2026-03-01",
            "2026-03-31",
            "USD",
            "controller@example.test",
            "5.00",
            "500.00",
            "5000.00",
            "2026-02",
            "2026-03-04",
            "",
        ])
        .unwrap();
    period.flush().unwrap();
    let mut roster = file("roster.csv");
    roster
        .write_record(["controller", "Casey Controller", "lead", ""])
        .unwrap();
    roster.flush().unwrap();
    let (mut accts, mut invoices, mut lines, mut ledger) = (
        file("accounts.csv"),
        file("invoices.csv"),
        file("invoice_lines.csv"),
        file("ledger.csv"),
    );
    for a in 0..accounts {
        let (account, invoice) = (account_id(a), format!("INV-{:06}", a + 1));
        accts
            .write_record([account.as_str(), &format!("Customer {}", a + 1), "customer"])
            .unwrap();
        let mut total = 0;
        for (k, kind) in KINDS.iter().enumerate() {
            let mut amount = usage.per_line[a as usize * 3 + k];
            if a == 0 && k == 0 {
                amount += OVERBILLED;
            }
            total += amount;
            lines
                .write_record([
                    line_id(a, k).as_str(),
                    &invoice,
                    "usage",
                    "",
                    "2026-03-01",
                    "2026-03-31",
                    &money(amount),
                    "immediate",
                    kind,
                ])
                .unwrap();
        }
        let total = money(total);
        invoices
            .write_record([
                invoice.as_str(),
                &account,
                "posted",
                "2026-03-31",
                "",
                "2026-04-30",
                &total,
                &total,
            ])
            .unwrap();
        ledger
            .write_record([
                format!("LG-{:06}", a + 1).as_str(),
                &account,
                &invoice,
                "2026-03-31T09:00:00Z",
                "invoice_posted",
                &total,
                &invoice,
            ])
            .unwrap();
    }
    for mut w in [accts, invoices, lines, ledger] {
        w.flush().unwrap();
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// One form, written, imported and reconciled.
struct Run {
    form: &'static str,
    usage: Usage,
    parquet_bytes: u64,
    import: Measured,
    reconcile: Measured,
}

/// The closedesk binary to measure.
fn closedesk() -> Command {
    let bin = std::env::var_os("CLOSEDESK_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_closedesk").into());
    Command::new(bin)
}

fn run(dir: &Path, form: &'static str, accounts: u64, events: u64) -> Run {
    let src = dir.join(form);
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).expect("period directory");
    eprintln!("{form}: writing {events} events as Parquet …");
    let usage = match form {
        "raw" => write_raw(&src, accounts, events),
        _ => write_aggregate(&src, accounts, events),
    };
    write_period(&src, accounts, &usage);
    let parquet_bytes = ["usage_events", "usage_daily", "usage_control"]
        .iter()
        .filter_map(|n| std::fs::metadata(src.join(format!("{n}.parquet"))).ok())
        .map(|m| m.len())
        .sum();

    let out = dir.join(format!("{form}.db"));
    let mut import = closedesk();
    import
        .arg("import")
        .arg(&src)
        .arg("--out")
        .arg(&out)
        .arg("--force");
    let import = run_measured(import, Stdio::null());
    eprintln!("{form}: import {}", import.shown());

    let json = dir.join(format!("{form}-reconcile.json"));
    let mut reconcile = closedesk();
    reconcile.arg("reconcile").arg(&out).arg("--json");
    let reconcile = run_measured(reconcile, Stdio::from(File::create(&json).unwrap()));
    eprintln!("{form}: reconcile {}", reconcile.shown());
    check(form, &usage, &json);
    Run {
        form,
        usage,
        parquet_bytes,
        import,
        reconcile,
    }
}

/// The reconciliation has the figures the bench computed and exactly the planted breaks.
fn check(form: &str, u: &Usage, json: &Path) {
    let doc: serde_json::Value =
        serde_json::from_reader(File::open(json).expect("reconcile --json")).expect("JSON");
    let usage = &doc["steps"]["usage"];
    let figure = |v: &serde_json::Value| v.to_string();
    // Rated in the window: every rated event; billed: the lines, 1.00 over on account 1's
    // first line and without the unbilled event.
    assert_eq!(
        figure(&usage["events_rated_in_window"]),
        money(u.rated),
        "{form}: rated"
    );
    let billed = u.rated - u.unbilled.1 + OVERBILLED;
    assert_eq!(
        figure(&usage["usage_lines_billed_in_window"]),
        money(billed),
        "{form}: billed"
    );
    assert_eq!(usage["open_exceptions"], 1, "{form}: open exceptions");
    if form == "aggregate" {
        let c = &usage["control"];
        for side in ["control", "aggregate"] {
            assert_eq!(
                c[format!("{side}_event_count")],
                u.events,
                "{form}: {side} events"
            );
            assert_eq!(c[format!("{side}_units")], u.units, "{form}: {side} units");
            assert_eq!(
                figure(&c[format!("{side}_rated")]),
                money(u.rated),
                "{form}: {side} rated"
            );
        }
    }
    let line = u.per_line[0];
    let mut expected = vec![
        ("usage:ACC-000003:unprocessed".to_string(), money(0), money(0)),
        (
            "usage:LN-000001-1:events".to_string(),
            money(line),
            money(line + OVERBILLED),
        ),
        (u.unbilled.0.clone(), money(u.unbilled.1), money(0)),
    ];
    expected.sort();
    let mut found: Vec<(String, String, String)> = doc["mismatches"]
        .as_array()
        .expect("mismatches")
        .iter()
        .map(|m| {
            (
                m["key"].as_str().unwrap().to_string(),
                figure(&m["expected"]),
                figure(&m["actual"]),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found, expected,
        "{form}: the planted breaks, each once, and nothing else"
    );
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    let accounts = env_u64("CLOSEDESK_BENCH_ACCOUNTS", 10_000);
    let raw_events = env_u64("CLOSEDESK_BENCH_RAW_EVENTS", 10_000_000);
    let agg_events = env_u64("CLOSEDESK_BENCH_AGG_EVENTS", 100_000_000);
    let dir: PathBuf = child::dir("bench-usage-parquet");
    eprintln!("measuring {:?}", closedesk().get_program());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut loads = vec![load_average()];
    let raw = run(&dir, "raw", accounts, raw_events);
    loads.push(load_average());
    let agg = run(&dir, "aggregate", accounts, agg_events);
    loads.push(load_average());

    let mut out = std::io::stdout().lock();
    writeln!(out).unwrap();
    writeln!(
        out,
        "{accounts} accounts, nproc {nproc}, load average (1/5/15 min) before / between / after: {}",
        loads.join(" / ")
    )
    .unwrap();
    writeln!(out).unwrap();
    writeln!(out, "| form | events | Parquet rows | Parquet size | import wall / CPU / peak RSS | reconcile wall / CPU / peak RSS | import + reconcile wall / CPU |").unwrap();
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|").unwrap();
    for r in [&raw, &agg] {
        writeln!(
            out,
            "| {} | {} | {} | {:.1} MiB | {} | {} | {:.1} s / {:.1} s |",
            r.form,
            r.usage.events,
            r.usage.rows,
            mib(r.parquet_bytes),
            r.import.shown(),
            r.reconcile.shown(),
            r.import.wall.as_secs_f64() + r.reconcile.wall.as_secs_f64(),
            r.import.cpu.as_secs_f64() + r.reconcile.cpu.as_secs_f64(),
        )
        .unwrap();
    }
    let total = |r: &Run| {
        (
            r.import.wall.as_secs_f64() + r.reconcile.wall.as_secs_f64(),
            r.import.cpu.as_secs_f64() + r.reconcile.cpu.as_secs_f64(),
        )
    };
    let ((raw_wall, raw_cpu), (agg_wall, agg_cpu)) = (total(&raw), total(&agg));
    writeln!(out).unwrap();
    writeln!(
        out,
        "aggregate / raw, import + reconcile: {:.2}× wall, {:.2}× CPU; peak RSS of the aggregate: import {:.0} MiB, reconcile {:.0} MiB (target < 200 MiB)",
        agg_wall / raw_wall,
        agg_cpu / raw_cpu,
        agg.import.rss_kib as f64 / 1024.0,
        agg.reconcile.rss_kib as f64 / 1024.0,
    )
    .unwrap();
}
