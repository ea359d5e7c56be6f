//! The scale benchmark (issue 7): `cargo bench --bench scale`.
//!
//! For each size (default 10k, 100k and 1M invoices; `CLOSEDESK_BENCH_SIZES=10000,100000`
//! to choose) it generates the synthetic period with the release binary (`closedesk demo
//! --scale N --seed 1`) and measures, printing one table at the end:
//!
//! - build: wall time of the generator, and the file size;
//! - status: wall time of `closedesk status FILE` as a process, run twice (the first may
//!   compute and store the result; the second reads the stored rows);
//! - reconcile: wall time of `closedesk reconcile FILE` as a process, best and median of
//!   five, and its peak RSS;
//! - a workflow action (issue 15): `closedesk mismatch FILE KEY note …` and `… assign …`
//!   as processes on the first planted mismatch, best of three each — they read the stored
//!   result and run no engine;
//! - `reconcile --from-source` as a process (the full recompute from the raw rows);
//! - engine vs baseline, in this process on one connection: `reconcile::run` (on the
//!   source aggregates stored at import, issue 15) and `reconcile::run_from_source` (on the
//!   raw rows) against the raw-SQL baseline (`Snapshot::raw_sql_baseline`: the same
//!   aggregates as plain SQL), and rebuilding the aggregates (`build_aggregates`),
//!   best of three each, and their ratio;
//! - whether the engine found exactly the planted mismatches with their exact variances.
//!
//! Then the dirty period (issue 15), at 100k invoices when that size is run
//! (`CLOSEDESK_BENCH_DIRTY=0` skips it, `=only` runs nothing else): the period with the
//! first line of every invoice one cent off (~97,000 open mismatches), stored once by a
//! first `status`; then `status` (best and median of five) and its peak RSS, the cockpit
//! headless in a child process (first frame, every mismatch loaded, key→frame of sort,
//! filter and move keys in the mismatch list, its peak RSS), and the real cockpit's first
//! frame in a pseudo-terminal (`benches/first_frame.py`, when `python3` is there). With
//! `CLOSEDESK_BENCH_BEFORE=BINARY` (another build, e.g. main's) the process figures are
//! measured for it too, on its own copy of the period, side by side.
//!
//! Files go to `CLOSEDESK_BENCH_DIR` (default `target/bench-scale/`) and are reused when
//! they already exist for the same size and seed (`CLOSEDESK_BENCH_REBUILD=1` to rebuild).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use closedesk::money::Money;
use closedesk::reconcile;
use closedesk::snapshot::Snapshot;

#[path = "common/child.rs"]
mod child;
#[path = "scale/cockpit.rs"]
mod cockpit;

use child::run_command;

const SEED: u64 = 1;

/// Runs the release binary with `args`, output discarded; wall time and peak RSS (KiB).
fn run(stdout: Stdio, args: &[&str]) -> (Duration, u64) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_closedesk"));
    command.args(args);
    run_command(command, stdout)
}

/// `demo --scale INVOICES --seed SEED --out FILE --force`: the synthetic period the bench
/// measures.
fn demo_args(invoices: u64, file: &str) -> [String; 8] {
    [
        "demo",
        "--scale",
        &invoices.to_string(),
        "--seed",
        &SEED.to_string(),
        "--out",
        file,
        "--force",
    ]
    .map(str::to_string)
}

fn best_of<T>(times: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..times {
        let started = Instant::now();
        let value = f();
        best = best.min(started.elapsed());
        last = Some(value);
    }
    (best, last.expect("at least one run"))
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

struct Row {
    invoices: u64,
    build: Option<Duration>,
    file_size: u64,
    status_first: Duration,
    status_next: Duration,
    status_rss: u64,
    reconcile_best: Duration,
    reconcile: Duration,
    reconcile_rss: u64,
    note: Duration,
    assign: Duration,
    reconcile_source: Duration,
    engine: Duration,
    engine_source: Duration,
    aggregates_build: Duration,
    baseline: Duration,
    exact: bool,
}

/// The generated period of `invoices` invoices.
fn snapshot_path(dir: &Path, invoices: u64) -> PathBuf {
    dir.join(format!("scale-{invoices}-seed{SEED}.db"))
}

fn bench(dir: &Path, invoices: u64) -> Row {
    let file = snapshot_path(dir, invoices);
    let file_text = file.to_str().expect("a UTF-8 path").to_string();
    let rebuild = std::env::var_os("CLOSEDESK_BENCH_REBUILD").is_some();
    let report = dir.join(format!("scale-{invoices}-seed{SEED}.planted.txt"));
    let mut build = None;
    if rebuild || !file.exists() || !report.exists() {
        let out = std::fs::File::create(&report).expect("report file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_closedesk"));
        command.args(demo_args(invoices, &file_text));
        let (took, _) = run_command(command, Stdio::from(out));
        build = Some(took);
        eprintln!("built {invoices} invoices in {}", ms(took));
    }
    // What the generator planted, as it printed it when it built the file.
    let planted: Vec<(String, i64)> = std::fs::read_to_string(&report)
        .expect("the generator's report")
        .lines()
        .skip_while(|l| !l.starts_with("Planted mismatches"))
        .skip(2)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            let variance = Money::parse(&cells.get(3)?.replace(',', "")).ok()?;
            Some((cells[0].to_string(), variance.cents()))
        })
        .collect();
    let file_size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);

    let (status_first, _) = run(Stdio::null(), &["status", &file_text]);
    let (status_next, status_rss) = run(Stdio::null(), &["status", &file_text]);
    let (reconcile_best, reconcile_time, reconcile_rss) =
        five_runs(|| run(Stdio::null(), &["reconcile", &file_text]));
    let (reconcile_source, _) = run(Stdio::null(), &["reconcile", "--from-source", &file_text]);
    let key = &planted.first().expect("planted mismatches").0;
    let action = |args: &[&str]| {
        let mut all = vec!["mismatch", &file_text, key];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--user", "tlin"]);
        best_of(3, || run(Stdio::null(), &all)).0
    };
    let note = action(&["note", "benchmark note"]);
    let assign = action(&["assign", "bench@northstar.example"]);

    let snapshot = Snapshot::open(&file).expect("open");
    let (baseline, _) = best_of(3, || snapshot.raw_sql_baseline().expect("baseline"));
    let (aggregates_build, _) = best_of(1, || snapshot.build_aggregates().expect("build aggregates"));
    let (engine, rec) = best_of(3, || reconcile::run(&snapshot).expect("reconcile"));
    let (engine_source, from_source) = best_of(3, || {
        reconcile::run_from_source(&snapshot).expect("reconcile from source")
    });
    let mut found: Vec<(String, i64)> = rec
        .mismatches
        .iter()
        .map(|m| (m.key.clone(), m.variance.cents()))
        .collect();
    found.sort();
    let exact = found == planted && planted.len() == 6 && rec == from_source;
    Row {
        invoices,
        build,
        file_size,
        status_first,
        status_next,
        status_rss,
        reconcile_best,
        reconcile: reconcile_time,
        reconcile_rss,
        note,
        assign,
        reconcile_source,
        engine,
        engine_source,
        aggregates_build,
        baseline,
        exact,
    }
}

/// The cockpit measured in a child process of this bench (so its peak RSS is its own):
/// first frame, key→frame p50/p99 in the usage table and the mismatch list, peak RSS.
fn cockpit_row(path: &Path) -> String {
    let out = std::env::temp_dir().join(format!("closedesk-cockpit-bench-{}.txt", std::process::id()));
    let mut command = Command::new(std::env::current_exe().expect("this bench"));
    command
        .env("CLOSEDESK_BENCH_COCKPIT", path)
        .env("CLOSEDESK_BENCH_COCKPIT_OUT", &out);
    let (_, rss) = run_command(command, Stdio::null());
    let figures = std::fs::read_to_string(&out).expect("cockpit figures");
    let _ = std::fs::remove_file(&out);
    format!("{figures} | {} |", mib(rss))
}

/// In the child: measure and write the figures as table cells.
fn cockpit_child(path: &Path) {
    let l = cockpit::measure(path, 500);
    let p = |samples: &[cockpit::Timing], pick: fn(&cockpit::Timing) -> Duration| {
        let samples: Vec<Duration> = samples.iter().map(pick).collect();
        let at = |q: f64| cockpit::percentile(&samples, q).as_secs_f64() * 1e3;
        format!("{:.1} / {:.1} ms", at(50.0), at(99.0))
    };
    let figures = format!(
        "{} | {} | {} | {} | {}",
        ms(l.first_frame),
        p(&l.table, |t| t.frame),
        p(&l.table, |t| t.with_data),
        p(&l.mismatches, |t| t.frame),
        p(&l.mismatches, |t| t.with_data),
    );
    let out = std::env::var_os("CLOSEDESK_BENCH_COCKPIT_OUT").expect("output file");
    std::fs::write(out, figures).expect("write figures");
}

/// The dirty period of `invoices` invoices written by `binary`: generated, one cent put
/// on the first line of every invoice, and stored by a first `status` (timed).
fn dirty_period(binary: &Path, dir: &Path, invoices: u64, tag: &str) -> (PathBuf, Duration, u64) {
    let file = dir.join(format!("dirty-{invoices}-seed{SEED}-{tag}.db"));
    let file_text = file.to_str().expect("a UTF-8 path").to_string();
    let rebuild = std::env::var_os("CLOSEDESK_BENCH_REBUILD").is_some();
    if rebuild || !file.exists() {
        let mut command = Command::new(binary);
        command.args(demo_args(invoices, &file_text));
        run_command(command, Stdio::null());
        // Another program's edit (no closedesk code): the source generation moves.
        let conn = rusqlite::Connection::open(&file).expect("open with rusqlite");
        conn.execute(
            "UPDATE invoice_lines SET amount_cents = amount_cents + 1
             WHERE rowid IN (SELECT min(rowid) FROM invoice_lines GROUP BY invoice_id)",
            [],
        )
        .expect("plant");
        drop(conn);
    }
    let mut command = Command::new(binary);
    command.args(["status", &file_text]);
    let (first, rss) = run_command(command, Stdio::null());
    (file, first, rss)
}

/// `status` of `file` by `binary`: best and median of five, and the peak RSS.
fn dirty_status(binary: &Path, file: &Path) -> (Duration, Duration, u64) {
    five_runs(|| {
        let mut command = Command::new(binary);
        command.arg("status").arg(file);
        run_command(command, Stdio::null())
    })
}

/// Five runs of a process `run` starts and waits for: the best and the median wall time,
/// and the highest peak RSS.
fn five_runs(mut run: impl FnMut() -> (Duration, u64)) -> (Duration, Duration, u64) {
    let mut times = Vec::new();
    let mut rss = 0;
    for _ in 0..5 {
        let (took, kib) = run();
        times.push(took);
        rss = rss.max(kib);
    }
    times.sort();
    (times[0], times[2], rss)
}

/// The real cockpit's first frame with data in a 120x40 pseudo-terminal, best of three
/// (`benches/first_frame.py`); `None` without `python3`.
fn pty_first_frame(binary: &Path, file: &Path) -> Option<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/first_frame.py");
    let mut best: Option<f64> = None;
    for _ in 0..3 {
        let out = Command::new("python3")
            .arg(&script)
            .arg(binary)
            .arg(file)
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let ms: f64 = text
            .split("first frame with data ")
            .nth(1)?
            .split(" ms")
            .next()?
            .trim()
            .parse()
            .ok()?;
        best = Some(best.map_or(ms, |b: f64| b.min(ms)));
    }
    best.map(|ms| format!("{ms:.0} ms"))
}

fn dirty(dir: &Path, invoices: u64) {
    let new = PathBuf::from(env!("CARGO_BIN_EXE_closedesk"));
    let before = std::env::var_os("CLOSEDESK_BENCH_BEFORE").map(PathBuf::from);
    let mut builds = vec![("this build", new.clone(), "new")];
    if let Some(before) = before {
        builds.insert(0, ("before", before, "before"));
    }
    println!();
    println!("Dirty period: {invoices} invoices, the first line of each one cent off:");
    println!();
    println!(
        "| build | 1st status (engine, stores) | its peak RSS | status best / median of 5 | status peak RSS | cockpit first frame, pty (best of 3) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut new_file = None;
    for (name, binary, tag) in &builds {
        let (file, first, first_rss) = dirty_period(binary, dir, invoices, tag);
        let (best, median, rss) = dirty_status(binary, &file);
        let pty = pty_first_frame(binary, &file).unwrap_or_else(|| "—".into());
        println!(
            "| {name} | {} | {} | {} / {} | {} | {pty} |",
            ms(first),
            mib(first_rss),
            ms(best),
            ms(median),
            mib(rss)
        );
        if *tag == "new" {
            new_file = Some(file);
        }
    }
    let file = new_file.expect("this build's file");
    let out = std::env::temp_dir().join(format!("closedesk-dirty-bench-{}.txt", std::process::id()));
    let mut command = Command::new(std::env::current_exe().expect("this bench"));
    command
        .env("CLOSEDESK_BENCH_COCKPIT_DIRTY", &file)
        .env("CLOSEDESK_BENCH_COCKPIT_OUT", &out);
    let (_, rss) = run_command(command, Stdio::null());
    let figures = std::fs::read_to_string(&out).expect("cockpit figures");
    let _ = std::fs::remove_file(&out);
    println!();
    println!("Cockpit on the dirty period, headless at 80x24 (this build; benches/scale/cockpit.rs):");
    println!();
    println!(
        "| mismatches | first frame | every mismatch loaded | sort key→frame p50 / p99 / max (CPU) | filter key→frame p50 / p99 / max (CPU) | move key→frame p50 / p99 / max (CPU) | peak RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    println!("{figures} {} |", mib(rss));
}

/// In the child: the dirty period's cockpit figures as table cells.
fn dirty_child(path: &Path) {
    let rounds = std::env::var("CLOSEDESK_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let d = cockpit::measure_dirty(path, rounds);
    let p = |samples: &[(Duration, Duration)]| {
        let wall: Vec<Duration> = samples.iter().map(|s| s.0).collect();
        let cpu: Vec<Duration> = samples.iter().map(|s| s.1).collect();
        let at = |s: &[Duration], q: f64| cockpit::percentile(s, q).as_secs_f64() * 1e3;
        format!(
            "{:.1} / {:.1} / {:.1} ms (CPU {:.1} / {:.1} / {:.1})",
            at(&wall, 50.0),
            at(&wall, 99.0),
            at(&wall, 100.0),
            at(&cpu, 50.0),
            at(&cpu, 99.0),
            at(&cpu, 100.0)
        )
    };
    let figures = format!(
        "| {} | {} | {} | {} | {} | {} |",
        d.total,
        ms(d.first_frame),
        ms(d.complete),
        p(&d.sort),
        p(&d.filter),
        p(&d.moves),
    );
    let out = std::env::var_os("CLOSEDESK_BENCH_COCKPIT_OUT").expect("output file");
    std::fs::write(out, figures).expect("write figures");
}

fn main() {
    if let Some(path) = std::env::var_os("CLOSEDESK_BENCH_COCKPIT") {
        return cockpit_child(Path::new(&path));
    }
    if let Some(path) = std::env::var_os("CLOSEDESK_BENCH_COCKPIT_DIRTY") {
        return dirty_child(Path::new(&path));
    }
    let sizes = child::sizes("10000,100000,1000000");
    let dir = child::dir("bench-scale");
    let dirty_only = std::env::var("CLOSEDESK_BENCH_DIRTY").is_ok_and(|v| v == "only");
    let dirty_off = std::env::var("CLOSEDESK_BENCH_DIRTY").is_ok_and(|v| v == "0");
    if dirty_only {
        return dirty(&dir, 100_000);
    }
    let rows: Vec<Row> = sizes.iter().map(|&n| bench(&dir, n)).collect();

    println!();
    println!(
        "| invoices | build | file | status (1st run) | status (2nd run) | status RSS | reconcile (process, best / median of 5) | reconcile RSS | reconcile --from-source (process) | a note (process) | assign (process) | engine (aggregates) | engine (from source) | aggregates rebuild | raw-SQL baseline | from source / baseline | exact |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|");
    for r in &rows {
        println!(
            "| {} | {} | {:.0} MiB | {} | {} | {} | {} / {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2}× | {} |",
            r.invoices,
            r.build.map(ms).unwrap_or_else(|| "(reused)".into()),
            r.file_size as f64 / 1_048_576.0,
            ms(r.status_first),
            ms(r.status_next),
            mib(r.status_rss),
            ms(r.reconcile_best),
            ms(r.reconcile),
            mib(r.reconcile_rss),
            ms(r.reconcile_source),
            ms(r.note),
            ms(r.assign),
            ms(r.engine),
            ms(r.engine_source),
            ms(r.aggregates_build),
            ms(r.baseline),
            r.engine_source.as_secs_f64() / r.baseline.as_secs_f64(),
            if r.exact { "yes" } else { "NO" }
        );
    }

    println!();
    println!("Cockpit, headless at 80x24, 500 keys per table (docs: benches/scale/cockpit.rs):");
    println!();
    println!(
        "| invoices | first frame | usage table key→frame p50 / p99 | … with data | mismatch list key→frame p50 / p99 | … with data | peak RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        println!("| {n} | {}", cockpit_row(&snapshot_path(&dir, n)));
    }
    if !dirty_off && sizes.contains(&100_000) {
        dirty(&dir, 100_000);
    }
}
