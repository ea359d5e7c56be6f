//! The import benchmark (issue 15): `cargo bench --bench import`.
//!
//! For each size (default 10k and 100k invoices; `CLOSEDESK_BENCH_SIZES=10000` to choose)
//! it generates the synthetic period with the release binary (`closedesk demo --scale N
//! --seed 1`), writes its source tables as import's CSV files (every documented column,
//! amounts as decimals, rows in file order), and measures as child processes, wall time and
//! peak RSS (`wait4`):
//!
//! - `closedesk import DIR --out FILE` — the streaming import;
//! - the baseline, when `sqlite3` is on the PATH: the `sqlite3` tool's `.import` of the
//!   same files into the same tables (period.csv left out: one row, and its table has a
//!   column the file has not), in one transaction, rollback journal in memory, `synchronous
//!   = OFF`, a 128 MiB page cache, `CHECK` constraints off and the indexes created after
//!   the rows — the settings of closedesk's own bulk load, so that the ratio is the cost of
//!   parsing and checking every cell.
//!
//! Files go to `CLOSEDESK_BENCH_DIR` (default `target/bench-import/`); the generated
//! period and its CSV files are reused when they exist (`CLOSEDESK_BENCH_REBUILD=1` to
//! rebuild). Figures and the machine: BENCHMARKS.md, "Import streams".

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use closedesk::import::FILES;
use closedesk::money::Money;
use rusqlite::types::ValueRef;

#[path = "common/child.rs"]
mod child;

use child::run_command;

const SEED: u64 = 1;

/// The source tables of the baseline: every file but period.csv.
fn baseline_tables() -> impl Iterator<Item = &'static str> {
    FILES[1..].iter().map(|(name, _)| name.trim_end_matches(".csv"))
}

/// Writes the source tables of the snapshot `db` as import's CSV files into `dir`: each
/// documented column from the column of that name, or from `NAME_cents` as a decimal.
fn export_csv(db: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).expect("CSV directory");
    let conn = rusqlite::Connection::open(db).expect("open the generated period");
    for (name, columns) in FILES {
        let table = name.trim_end_matches(".csv");
        let mut info = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap();
        let existing: Vec<String> = info
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let cents: Vec<bool> = columns.iter().map(|c| !existing.iter().any(|e| e == c)).collect();
        let select: Vec<String> = columns
            .iter()
            .zip(&cents)
            .map(|(c, &cents)| {
                if cents {
                    format!("{c}_cents")
                } else {
                    c.to_string()
                }
            })
            .collect();
        let sql = format!("SELECT {} FROM {table} ORDER BY rowid", select.join(", "));
        let mut out = csv::Writer::from_path(dir.join(name)).expect("CSV file");
        out.write_record(*columns).unwrap();
        let mut st = conn.prepare(&sql).unwrap();
        let mut rows = st.query([]).unwrap();
        let mut record: Vec<String> = Vec::with_capacity(columns.len());
        while let Some(row) = rows.next().unwrap() {
            record.clear();
            for (i, &cents) in cents.iter().enumerate() {
                record.push(match row.get_ref(i).unwrap() {
                    ValueRef::Null => String::new(),
                    ValueRef::Integer(v) if cents => Money::from_cents(v).to_string(),
                    ValueRef::Integer(v) => v.to_string(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    other => panic!("{table}: unexpected value {other:?}"),
                });
            }
            out.write_record(&record).unwrap();
        }
        out.flush().unwrap();
    }
}

/// The baseline's script for `sqlite3 DB`: the tables of `schema_from`, the `.import` of
/// every file, then the indexes.
fn baseline_script(schema_from: &Path, csv: &Path) -> String {
    let conn = rusqlite::Connection::open(schema_from).expect("open the generated period");
    let sql_of = |kind: &str, table: &str| -> Vec<String> {
        let mut st = conn
            .prepare("SELECT sql FROM sqlite_schema WHERE type = ?1 AND tbl_name = ?2 AND sql IS NOT NULL")
            .unwrap();
        st.query_map([kind, table], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let mut script = String::from(
        "PRAGMA journal_mode = MEMORY;\nPRAGMA synchronous = OFF;\nPRAGMA cache_size = -131072;\n\
         PRAGMA ignore_check_constraints = ON;\n",
    );
    for table in baseline_tables() {
        for sql in sql_of("table", table) {
            script.push_str(&format!("{sql};\n"));
        }
    }
    script.push_str("BEGIN;\n");
    for table in baseline_tables() {
        let file = csv.join(format!("{table}.csv"));
        script.push_str(&format!(".import --csv --skip 1 {} {table}\n", file.display()));
    }
    for table in baseline_tables() {
        for sql in sql_of("index", table) {
            script.push_str(&format!("{sql};\n"));
        }
    }
    script.push_str("COMMIT;\n");
    script
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

struct Measured {
    invoices: u64,
    csv_bytes: u64,
    import: (Duration, u64),
    baseline: Option<(Duration, u64)>,
}

fn bench(dir: &Path, invoices: u64) -> Measured {
    let rebuild = std::env::var_os("CLOSEDESK_BENCH_REBUILD").is_some();
    let db = dir.join(format!("period-{invoices}-seed{SEED}.db"));
    let csv = dir.join(format!("csv-{invoices}-seed{SEED}"));
    if rebuild || !db.exists() {
        let mut generate = Command::new(env!("CARGO_BIN_EXE_closedesk"));
        generate.args([
            "demo",
            "--scale",
            &invoices.to_string(),
            "--seed",
            &SEED.to_string(),
        ]);
        generate.arg("--out").arg(&db).arg("--force");
        run_command(generate, Stdio::null());
    }
    if rebuild || !csv.join("roster.csv").exists() {
        export_csv(&db, &csv);
    }
    let csv_bytes = FILES
        .iter()
        .map(|(name, _)| std::fs::metadata(csv.join(name)).map_or(0, |m| m.len()))
        .sum();

    let out = dir.join(format!("imported-{invoices}.db"));
    let mut import = Command::new(env!("CARGO_BIN_EXE_closedesk"));
    import
        .arg("import")
        .arg(&csv)
        .arg("--out")
        .arg(&out)
        .arg("--force");
    let import = run_command(import, Stdio::null());
    eprintln!(
        "{invoices}: closedesk import {} ({})",
        secs(import.0),
        mib(import.1)
    );

    let has_sqlite3 = Command::new("sqlite3")
        .arg("-version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let baseline = has_sqlite3.then(|| {
        let script = dir.join(format!("baseline-{invoices}.sql"));
        std::fs::File::create(&script)
            .and_then(|mut f| f.write_all(baseline_script(&db, &csv).as_bytes()))
            .expect("baseline script");
        let target = dir.join(format!("baseline-{invoices}.db"));
        let _ = std::fs::remove_file(&target);
        let mut sqlite3 = Command::new("sqlite3");
        sqlite3.arg(&target).stdin(std::fs::File::open(&script).unwrap());
        let measured = run_command(sqlite3, Stdio::null());
        eprintln!(
            "{invoices}: sqlite3 .import {} ({})",
            secs(measured.0),
            mib(measured.1)
        );
        measured
    });
    Measured {
        invoices,
        csv_bytes,
        import,
        baseline,
    }
}

fn main() {
    let sizes = child::sizes("10000,100000");
    let dir = child::dir("bench-import");
    let rows: Vec<Measured> = sizes.iter().map(|&n| bench(&dir, n)).collect();

    println!();
    println!("| invoices | CSV files | closedesk import | import peak RSS | sqlite3 .import | sqlite3 peak RSS | import / sqlite3 |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let (baseline, baseline_rss, ratio) = match r.baseline {
            Some((took, rss)) => (
                secs(took),
                mib(rss),
                format!("{:.2}×", r.import.0.as_secs_f64() / took.as_secs_f64()),
            ),
            None => ("(no sqlite3)".into(), "".into(), "".into()),
        };
        println!(
            "| {} | {:.0} MiB | {} | {} | {baseline} | {baseline_rss} | {ratio} |",
            r.invoices,
            r.csv_bytes as f64 / 1_048_576.0,
            secs(r.import.0),
            mib(r.import.1),
        );
    }
}
