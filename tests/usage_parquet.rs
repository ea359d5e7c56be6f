//! Issue 17 part 3: usage from the warehouse, as Parquet (docs/usage-parquet.md). The
//! Parquet files are written here with the `parquet` crate's own writer, beside copies of
//! the other CSV files of `tests/fixtures/nets-away`, imported through the real binary and
//! reconciled.
//!
//! The fixture's usage, worked by hand (tests/fixtures/nets-away/README.md): ACC-A rated
//! UE-1 60.00 + UE-2 40.00 + UE-3 40.00 + UE-5 15.00 = 155.00, ACC-B UE-4 35.00: rated
//! 190.00. Usage lines billed: LN-A1U 100.00 + LN-A2U 40.00 + LN-B1U 50.00 = 190.00. Three
//! usage breaks: LN-A2U bills 40.00 with no event behind it (+40.00), UE-3 was never
//! billed (−40.00), LN-B1U bills 50.00 against its own events' 35.00 (+15.00).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use closedesk::money::Money;
use closedesk::reconcile::{self, Reconciliation};
use closedesk::snapshot::Snapshot;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

#[path = "common/parquet_schemas.rs"]
mod schemas;

use schemas::{CONTROL_SCHEMA, DAILY_SCHEMA, EVENTS_SCHEMA};

fn m(text: &str) -> Money {
    Money::parse(text).unwrap()
}

/// One column's values, `None` a null.
enum Values {
    Text(Vec<Option<&'static str>>),
    Long(Vec<Option<i64>>),
    Int(Vec<Option<i32>>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::Long(v) => v.len(),
            Values::Int(v) => v.len(),
        }
    }
}

/// Writes a Parquet file of `schema` (a message type) with `columns` in schema order,
/// `per_group` rows per row group.
fn write_parquet(path: &Path, schema: &str, columns: &[Values], per_group: usize) {
    let schema = Arc::new(parse_message_type(schema).unwrap());
    let optional: Vec<bool> = schema.get_fields().iter().map(|f| f.is_optional()).collect();
    let props = Arc::new(WriterProperties::builder().build());
    let file = fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema.clone(), props).unwrap();
    let rows = columns[0].len();
    let mut start = 0;
    while start < rows {
        let end = (start + per_group).min(rows);
        let mut group = writer.next_row_group().unwrap();
        let mut at = 0;
        while let Some(mut column) = group.next_column().unwrap() {
            let optional = optional[at];
            fn split<T: Clone>(values: &[Option<T>], optional: bool) -> (Vec<T>, Option<Vec<i16>>) {
                let present: Vec<T> = values.iter().flatten().cloned().collect();
                let levels = values.iter().map(|v| i16::from(v.is_some())).collect();
                (present, optional.then_some(levels))
            }
            match &columns[at] {
                Values::Text(all) => {
                    let (present, levels) = split(&all[start..end], optional);
                    let present: Vec<ByteArray> = present.into_iter().map(ByteArray::from).collect();
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&present, levels.as_deref(), None)
                        .unwrap();
                }
                Values::Long(all) => {
                    let (present, levels) = split(&all[start..end], optional);
                    column
                        .typed::<Int64Type>()
                        .write_batch(&present, levels.as_deref(), None)
                        .unwrap();
                }
                Values::Int(all) => {
                    let (present, levels) = split(&all[start..end], optional);
                    column
                        .typed::<Int32Type>()
                        .write_batch(&present, levels.as_deref(), None)
                        .unwrap();
                }
            }
            column.close().unwrap();
            at += 1;
        }
        group.close().unwrap();
        start = end;
    }
    writer.close().unwrap();
}

/// 2026-03-DD 10:00:00 UTC in milliseconds since the epoch.
fn march(day: i64) -> i64 {
    // 2026-03-01T00:00:00Z
    const MARCH_1: i64 = 1_772_323_200;
    (MARCH_1 + (day - 1) * 86_400 + 10 * 3_600) * 1_000
}

/// The fixture's five events (usage_events.csv), in the Parquet types of `EVENTS_SCHEMA`.
fn events() -> Vec<Values> {
    vec![
        Values::Text(vec![
            Some("UE-1"),
            Some("UE-2"),
            Some("UE-3"),
            Some("UE-4"),
            Some("UE-5"),
        ]),
        Values::Text(vec![
            Some("ACC-A"),
            Some("ACC-A"),
            Some("ACC-A"),
            Some("ACC-B"),
            Some("ACC-A"),
        ]),
        Values::Text(vec![
            Some("protected_lookup"),
            Some("report"),
            Some("report"),
            Some("protected_lookup"),
            Some("protected_lookup"),
        ]),
        Values::Long(vec![
            Some(march(5)),
            Some(march(9)),
            Some(march(20)),
            Some(march(11)),
            Some(march(12)),
        ]),
        Values::Long(vec![Some(120), Some(8), Some(8), Some(70), Some(30)]),
        Values::Long(vec![
            Some(6_000),
            Some(4_000),
            Some(4_000),
            Some(3_500),
            Some(1_500),
        ]),
        Values::Text(vec![Some("rated"); 5]),
        Values::Text(vec![
            Some("LN-A1U"),
            Some("LN-A1U"),
            None,
            Some("LN-B1U"),
            Some("LN-B1U"),
        ]),
        Values::Long(vec![None; 5]),
    ]
}

/// A temporary directory with the fixture's CSV files but usage_events.csv in `csv/`.
fn fixture_without_usage() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("csv");
    fs::create_dir(&src).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nets-away");
    for entry in fs::read_dir(fixture).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        if path.extension().is_some_and(|e| e == "csv") && name != "usage_events.csv" {
            fs::copy(&path, src.join(name)).unwrap();
        }
    }
    (dir, src)
}

fn import(src: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .arg("import")
        .arg(src)
        .arg("--out")
        .arg(out)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn imported(src: &Path, out: &Path) -> Reconciliation {
    let run = import(src, out);
    assert!(
        run.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    reconcile::run(&Snapshot::open(out).unwrap()).unwrap()
}

/// The import is refused; its problems (stderr), and no snapshot was left behind.
fn refused(src: &Path, out: &Path) -> String {
    let run = import(src, out);
    assert!(!run.status.success(), "import should fail");
    assert!(!out.exists(), "a failed import left {}", out.display());
    String::from_utf8_lossy(&run.stderr).into_owned()
}

/// The usage mismatches as (key, expected, actual, variance).
fn usage_breaks(rec: &Reconciliation) -> Vec<(String, Money, Money, Money)> {
    let mut out: Vec<_> = rec
        .mismatches
        .iter()
        .filter(|m| m.key.starts_with("usage:"))
        .map(|m| (m.key.clone(), m.expected, m.actual, m.variance))
        .collect();
    out.sort();
    out
}

#[test]
fn raw_events_as_parquet_give_the_figures_of_the_csv() {
    let (dir, src) = fixture_without_usage();
    // Two rows per row group: three row groups.
    write_parquet(&src.join("usage_events.parquet"), EVENTS_SCHEMA, &events(), 2);
    let rec = imported(&src, &dir.path().join("parquet.db"));

    let (csv_dir, csv_src) = fixture_without_usage();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nets-away");
    fs::copy(fixture.join("usage_events.csv"), csv_src.join("usage_events.csv")).unwrap();
    let csv = imported(&csv_src, &csv_dir.path().join("csv.db"));

    let usage = &rec.steps.usage;
    assert_eq!(usage.rated, m("190.00"));
    assert_eq!(usage.billed, m("190.00"));
    assert_eq!(usage.open_exceptions, 0);
    let expected = vec![
        (
            "usage:LN-A2U:events".to_string(),
            m("0.00"),
            m("40.00"),
            m("40.00"),
        ),
        (
            "usage:LN-B1U:events".to_string(),
            m("35.00"),
            m("50.00"),
            m("15.00"),
        ),
        (
            "usage:UE-3:unbilled".to_string(),
            m("40.00"),
            m("0.00"),
            m("-40.00"),
        ),
    ];
    assert_eq!(usage_breaks(&rec), expected);
    assert_eq!(usage_breaks(&csv), expected);
    assert_eq!(rec.steps.usage, csv.steps.usage);
    assert_eq!(rec.headline, csv.headline);
}

#[test]
fn amounts_as_decimals_and_timestamps_as_strings_are_read_too() {
    let (dir, src) = fixture_without_usage();
    let schema = EVENTS_SCHEMA
        .replace(
            "REQUIRED INT64 occurred_at (TIMESTAMP_MILLIS)",
            "REQUIRED BYTE_ARRAY occurred_at (UTF8)",
        )
        .replace(
            "OPTIONAL INT64 rated_amount;",
            "OPTIONAL INT64 rated_amount (DECIMAL(18,2));",
        );
    let mut columns = events();
    columns[3] = Values::Text(vec![
        Some("2026-03-05T10:00:00Z"),
        Some("2026-03-09T10:00:00Z"),
        Some("2026-03-20T10:00:00Z"),
        Some("2026-03-11T10:00:00Z"),
        Some("2026-03-12T10:00:00Z"),
    ]);
    write_parquet(&src.join("usage_events.parquet"), &schema, &columns, 10);
    let rec = imported(&src, &dir.path().join("p.db"));
    assert_eq!(rec.steps.usage.rated, m("190.00"));
    assert_eq!(usage_breaks(&rec).len(), 3);
}

#[test]
fn a_wrong_schema_is_refused_naming_the_column() {
    let (dir, src) = fixture_without_usage();
    let out = dir.path().join("p.db");
    let path = src.join("usage_events.parquet");
    // units as a string.
    let schema = EVENTS_SCHEMA.replace("REQUIRED INT64 units;", "REQUIRED BYTE_ARRAY units (UTF8);");
    let mut columns = events();
    columns[4] = Values::Text(vec![Some("1"); 5]);
    write_parquet(&path, &schema, &columns, 10);
    let problems = refused(&src, &out);
    assert!(
        problems.contains("usage_events.parquet:units: wrong type BYTE_ARRAY (UTF8): expected an integer"),
        "{problems}"
    );
    // state left out.
    let schema = EVENTS_SCHEMA.replace("REQUIRED BYTE_ARRAY state (UTF8);", "");
    let mut columns = events();
    columns.remove(6);
    write_parquet(&path, &schema, &columns, 10);
    let problems = refused(&src, &out);
    assert!(
        problems.contains("usage_events.parquet:state: missing column"),
        "{problems}"
    );
    assert_eq!(problems.matches(".parquet").count(), 1, "{problems}");
}

#[test]
fn a_bad_value_is_reported_with_its_row_and_column_and_nothing_is_written() {
    let (dir, src) = fixture_without_usage();
    let out = dir.path().join("p.db");
    let mut columns = events();
    // Row 3 (in the second row group): an unknown kind; row 5: no such account.
    columns[2] = Values::Text(vec![
        Some("protected_lookup"),
        Some("report"),
        Some("bogus"),
        Some("protected_lookup"),
        Some("protected_lookup"),
    ]);
    columns[1] = Values::Text(vec![
        Some("ACC-A"),
        Some("ACC-A"),
        Some("ACC-A"),
        Some("ACC-B"),
        Some("ACC-Z"),
    ]);
    // Row 4: zero units (at least 1).
    columns[4] = Values::Long(vec![Some(120), Some(8), Some(8), Some(0), Some(30)]);
    write_parquet(&src.join("usage_events.parquet"), EVENTS_SCHEMA, &columns, 2);
    let problems = refused(&src, &out);
    let lines: Vec<&str> = problems.lines().filter(|l| l.contains(".parquet")).collect();
    assert_eq!(lines.len(), 3, "{problems}");
    assert!(
        lines[0].contains("usage_events.parquet:row 3:kind: "),
        "{problems}"
    );
    assert!(
        lines[1].contains("usage_events.parquet:row 4:units: "),
        "{problems}"
    );
    assert!(
        lines[2].contains("usage_events.parquet:row 5:account_id: "),
        "{problems}"
    );
}

#[test]
fn a_repeated_event_id_or_both_forms_are_refused() {
    let (dir, src) = fixture_without_usage();
    let out = dir.path().join("p.db");
    let mut columns = events();
    columns[0] = Values::Text(vec![
        Some("UE-1"),
        Some("UE-2"),
        Some("UE-3"),
        Some("UE-4"),
        Some("UE-2"),
    ]);
    write_parquet(&src.join("usage_events.parquet"), EVENTS_SCHEMA, &columns, 2);
    let problems = refused(&src, &out);
    assert!(
        problems.contains("usage_events.parquet:row 5:id: duplicate id 'UE-2' (first on row 2)"),
        "{problems}"
    );

    write_parquet(&src.join("usage_events.parquet"), EVENTS_SCHEMA, &events(), 2);
    fs::write(
        src.join("usage_events.csv"),
        "id,account_id,kind,occurred_at,units,rated_amount,state,invoice_line_id,reprocessed_at\n",
    )
    .unwrap();
    let problems = refused(&src, &out);
    assert!(
        problems.contains("give one of usage_events.csv and usage_events.parquet"),
        "{problems}"
    );
}

// ---------------------------------------------------------------------------------------
// Pre-aggregated usage: usage_daily.parquet and its control total usage_control.parquet.

/// The fixture's events with UE-1 (120 units, 60.00) split in two events of the same
/// account, day, kind and line: UE-1a 100 units 50.00 and UE-1b 20 units 10.00. Six events,
/// 236 units, rated 190.00 — the same usage figures and breaks as the fixture.
fn six_events() -> Vec<Values> {
    let ids = vec![
        Some("UE-1a"),
        Some("UE-1b"),
        Some("UE-2"),
        Some("UE-3"),
        Some("UE-4"),
        Some("UE-5"),
    ];
    let accounts = vec![
        Some("ACC-A"),
        Some("ACC-A"),
        Some("ACC-A"),
        Some("ACC-A"),
        Some("ACC-B"),
        Some("ACC-A"),
    ];
    let kinds = vec![
        Some("protected_lookup"),
        Some("protected_lookup"),
        Some("report"),
        Some("report"),
        Some("protected_lookup"),
        Some("protected_lookup"),
    ];
    let at = vec![
        Some(march(5)),
        Some(march(5)),
        Some(march(9)),
        Some(march(20)),
        Some(march(11)),
        Some(march(12)),
    ];
    let lines = vec![
        Some("LN-A1U"),
        Some("LN-A1U"),
        Some("LN-A1U"),
        None,
        Some("LN-B1U"),
        Some("LN-B1U"),
    ];
    vec![
        Values::Text(ids),
        Values::Text(accounts),
        Values::Text(kinds),
        Values::Long(at),
        Values::Long(vec![Some(100), Some(20), Some(8), Some(8), Some(70), Some(30)]),
        Values::Long(vec![
            Some(5_000),
            Some(1_000),
            Some(4_000),
            Some(4_000),
            Some(3_500),
            Some(1_500),
        ]),
        Values::Text(vec![Some("rated"); 6]),
        Values::Text(lines),
        Values::Long(vec![None; 6]),
    ]
}

/// 2026-03-DD as days since 1970-01-01 (2026-03-01 is day 20,513).
fn day(d: i32) -> i32 {
    20_512 + d
}

/// The six events grouped by (account, day, kind, state, line): UE-1a and UE-1b make one
/// row of 2 events, 120 units, 60.00; the others a row each.
fn daily() -> Vec<Values> {
    vec![
        Values::Text(vec![
            Some("ACC-A"),
            Some("ACC-A"),
            Some("ACC-A"),
            Some("ACC-B"),
            Some("ACC-A"),
        ]),
        Values::Int(vec![
            Some(day(5)),
            Some(day(9)),
            Some(day(20)),
            Some(day(11)),
            Some(day(12)),
        ]),
        Values::Text(vec![
            Some("protected_lookup"),
            Some("report"),
            Some("report"),
            Some("protected_lookup"),
            Some("protected_lookup"),
        ]),
        Values::Text(vec![Some("rated"); 5]),
        Values::Text(vec![
            Some("LN-A1U"),
            Some("LN-A1U"),
            None,
            Some("LN-B1U"),
            Some("LN-B1U"),
        ]),
        Values::Long(vec![Some(120), Some(8), Some(8), Some(70), Some(30)]),
        Values::Long(vec![
            Some(6_000),
            Some(4_000),
            Some(4_000),
            Some(3_500),
            Some(1_500),
        ]),
        Values::Long(vec![Some(2), Some(1), Some(1), Some(1), Some(1)]),
    ]
}

/// The control total of the six events: 6 events, 236 units, 190.00 (in cents).
fn control(events: i64, units: i64, rated: i64) -> Vec<Values> {
    vec![
        Values::Long(vec![Some(events)]),
        Values::Long(vec![Some(units)]),
        Values::Long(vec![Some(rated)]),
    ]
}

/// A directory with the fixture's other files, the aggregate and its control total.
fn aggregated(control_total: Vec<Values>) -> (tempfile::TempDir, PathBuf) {
    let (dir, src) = fixture_without_usage();
    write_parquet(&src.join("usage_daily.parquet"), DAILY_SCHEMA, &daily(), 2);
    write_parquet(
        &src.join("usage_control.parquet"),
        CONTROL_SCHEMA,
        &control_total,
        1,
    );
    (dir, src)
}

#[test]
fn raw_and_pre_aggregated_forms_of_the_same_events_give_the_same_figures() {
    let (raw_dir, raw_src) = fixture_without_usage();
    write_parquet(
        &raw_src.join("usage_events.parquet"),
        EVENTS_SCHEMA,
        &six_events(),
        4,
    );
    let raw = imported(&raw_src, &raw_dir.path().join("raw.db"));

    let (dir, src) = aggregated(control(6, 236, 19_000));
    let agg = imported(&src, &dir.path().join("agg.db"));

    // Rated 50 + 10 + 40 + 40 + 35 + 15 = 190.00; billed LN-A1U 100 + LN-A2U 40 + LN-B1U 50.
    for rec in [&raw, &agg] {
        assert_eq!(rec.steps.usage.rated, m("190.00"));
        assert_eq!(rec.steps.usage.billed, m("190.00"));
        assert_eq!(rec.steps.usage.open_exceptions, 0);
    }
    assert_eq!(raw.steps.usage.control, None);
    let totals = agg
        .steps
        .usage
        .control
        .clone()
        .expect("the control totals are reported");
    assert_eq!(
        (
            totals.control_event_count,
            totals.control_units,
            totals.control_rated
        ),
        (6, 236, m("190.00"))
    );
    assert_eq!(
        (
            totals.aggregate_event_count,
            totals.aggregate_units,
            totals.aggregate_rated
        ),
        (6, 236, m("190.00"))
    );
    assert_eq!(raw.headline, agg.headline);

    // The per-line breaks are the same; UE-3's unbilled event is, pre-aggregated, the row
    // of ACC-A's report usage of March 20 (one event, 40.00).
    let line_breaks = vec![
        (
            "usage:LN-A2U:events".to_string(),
            m("0.00"),
            m("40.00"),
            m("40.00"),
        ),
        (
            "usage:LN-B1U:events".to_string(),
            m("35.00"),
            m("50.00"),
            m("15.00"),
        ),
    ];
    let unbilled = |key: &str| (key.to_string(), m("40.00"), m("0.00"), m("-40.00"));
    let mut expected = line_breaks.clone();
    expected.push(unbilled("usage:UE-3:unbilled"));
    assert_eq!(usage_breaks(&raw), expected);
    let mut expected = line_breaks;
    expected.insert(0, unbilled("usage:ACC-A/2026-03-20/report:unbilled"));
    assert_eq!(usage_breaks(&agg), expected);
    let m = agg
        .mismatches
        .iter()
        .find(|m| m.key.ends_with(":unbilled"))
        .unwrap();
    assert!(m.title.contains("1 usage event of account ACC-A"), "{}", m.title);
}

#[test]
fn an_aggregate_that_does_not_match_its_control_total_is_one_break() {
    let (dir, src) = aggregated(control(6, 236, 19_100));
    let rec = imported(&src, &dir.path().join("agg.db"));
    let breaks: Vec<_> = usage_breaks(&rec)
        .into_iter()
        .filter(|b| b.0.contains("control"))
        .collect();
    // The control says 191.00, the aggregate sums to 190.00.
    assert_eq!(
        breaks,
        vec![(
            "usage:usage_daily:control-total".to_string(),
            m("191.00"),
            m("190.00"),
            m("-1.00")
        )]
    );
    assert_eq!(usage_breaks(&rec).len(), 4);

    // A count that does not match is a break too, with no variance in money.
    let (dir, src) = aggregated(control(7, 236, 19_000));
    let rec = imported(&src, &dir.path().join("agg.db"));
    let found: Vec<_> = rec
        .mismatches
        .iter()
        .filter(|m| m.check == "control-total")
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].variance, m("0.00"));
    assert!(
        found[0].title.contains("6 events") && found[0].title.contains("7 events"),
        "{}",
        found[0].title
    );
}

#[test]
fn the_aggregate_is_refused_on_a_wrong_schema_a_bad_value_or_no_control_total() {
    let (dir, src) = aggregated(control(6, 236, 19_000));
    let out = dir.path().join("agg.db");
    // rated_amount as a decimal: the aggregate's amounts are minor units.
    let schema = DAILY_SCHEMA.replace(
        "REQUIRED INT64 rated_amount;",
        "REQUIRED INT64 rated_amount (DECIMAL(18,2));",
    );
    write_parquet(&src.join("usage_daily.parquet"), &schema, &daily(), 2);
    let problems = refused(&src, &out);
    assert!(
        problems.contains("usage_daily.parquet:rated_amount: wrong type"),
        "{problems}"
    );

    // Row 2: no events; row 4: a line that does not exist.
    let mut columns = daily();
    columns[7] = Values::Long(vec![Some(2), Some(0), Some(1), Some(1), Some(1)]);
    columns[4] = Values::Text(vec![
        Some("LN-A1U"),
        Some("LN-A1U"),
        None,
        Some("LN-NONE"),
        Some("LN-B1U"),
    ]);
    write_parquet(&src.join("usage_daily.parquet"), DAILY_SCHEMA, &columns, 2);
    let problems = refused(&src, &out);
    let lines: Vec<&str> = problems.lines().filter(|l| l.contains(".parquet")).collect();
    assert_eq!(lines.len(), 2, "{problems}");
    assert!(
        lines[0].contains("usage_daily.parquet:row 2:event_count: "),
        "{problems}"
    );
    assert!(
        lines[1].contains("usage_daily.parquet:row 4:invoice_line_id: "),
        "{problems}"
    );

    write_parquet(&src.join("usage_daily.parquet"), DAILY_SCHEMA, &daily(), 2);
    fs::remove_file(src.join("usage_control.parquet")).unwrap();
    let problems = refused(&src, &out);
    assert!(
        problems.contains("usage_control.parquet: missing file: the control total of usage_daily.parquet"),
        "{problems}"
    );
}

/// True when a line of `out` names `file` and then `rows`.
fn counted(out: &str, file: &str, rows: &str) -> bool {
    out.lines().any(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words.len() >= 3 && words[0] == file && words[1] == rows
    })
}

#[test]
fn the_import_names_the_parquet_files_it_read_with_their_rows() {
    let (dir, src) = fixture_without_usage();
    write_parquet(&src.join("usage_events.parquet"), EVENTS_SCHEMA, &events(), 2);
    let run = import(&src, &dir.path().join("raw.db"));
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{out}");
    assert!(counted(&out, "usage_events.parquet", "5"), "{out}");
    assert!(out.contains("5 usage events"), "{out}");

    let (dir, src) = aggregated(control(6, 236, 19_000));
    let run = import(&src, &dir.path().join("agg.db"));
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{out}");
    assert!(counted(&out, "usage_events.csv", "0"), "{out}");
    assert!(counted(&out, "usage_daily.parquet", "5"), "{out}");
    assert!(counted(&out, "usage_control.parquet", "1"), "{out}");
}

/// A pre-aggregated period (its control total `rated` cents) imported, verified, and
/// reconciled as `reconcile --json`.
fn verified_json(rated: i64) -> serde_json::Value {
    let (dir, src) = aggregated(control(6, 236, rated));
    let out = dir.path().join("agg.db");
    imported(&src, &out);
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_closedesk"))
            .args(args)
            .arg(&out)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let verify = run(&["verify"]);
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    // A line's break traces to the aggregate rows on it: rows 4 (ACC-B's) and 5 (ACC-A's).
    let detail = Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .arg("mismatch")
        .arg(&out)
        .arg("usage:LN-B1U:events")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let detail = String::from_utf8_lossy(&detail.stdout);
    assert!(
        detail.contains("expected from: usage_daily 4, usage_daily 5"),
        "{detail}"
    );
    let json = run(&["reconcile", "--json"]);
    serde_json::from_slice(&json.stdout).unwrap()
}

#[test]
fn a_pre_aggregated_period_verifies_and_reports_its_control_total_in_json() {
    // The stored result (with the per-row unbilled break traced to usage_daily) reads back.
    let doc = verified_json(19_000);
    let control = &doc["steps"]["usage"]["control"];
    assert_eq!(control["control_event_count"], 6, "{control}");
    assert_eq!(control["aggregate_units"], 236, "{control}");
    assert_eq!(control["control_rated"].to_string(), "190.00", "{control}");
    assert_eq!(
        doc["steps"]["usage"]["events_rated_in_window"].to_string(),
        "190.00"
    );
}

#[test]
fn a_control_total_break_is_stored_and_verifies() {
    let doc = verified_json(19_100);
    let keys: Vec<String> = doc["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap().to_string())
        .filter(|k| k.contains("control"))
        .collect();
    assert_eq!(keys, ["usage:usage_daily:control-total"]);
}

#[test]
fn aggregate_rows_after_the_window_count_in_no_figure_but_are_shown() {
    let (dir, src) = fixture_without_usage();
    // A sixth row: 3 events of ACC-B on April 2, 9.00, unbilled. The control counts them.
    let mut columns = daily();
    let push_text = |v: &mut Values, x: Option<&'static str>| {
        if let Values::Text(all) = v {
            all.push(x);
        }
    };
    push_text(&mut columns[0], Some("ACC-B"));
    if let Values::Int(all) = &mut columns[1] {
        all.push(Some(day(33)));
    }
    push_text(&mut columns[2], Some("report"));
    push_text(&mut columns[3], Some("rated"));
    push_text(&mut columns[4], None);
    for (at, value) in [(5, 3), (6, 900), (7, 3)] {
        if let Values::Long(all) = &mut columns[at] {
            all.push(Some(value));
        }
    }
    write_parquet(&src.join("usage_daily.parquet"), DAILY_SCHEMA, &columns, 4);
    write_parquet(
        &src.join("usage_control.parquet"),
        CONTROL_SCHEMA,
        &control(9, 239, 19_900),
        1,
    );
    let rec = imported(&src, &dir.path().join("agg.db"));
    // The same usage figures and breaks as without it; no control-total break (9 events,
    // 239 units, 199.00 on both sides).
    assert_eq!(rec.steps.usage.rated, m("190.00"));
    assert_eq!(usage_breaks(&rec).len(), 3);
    let after = serde_json::to_value(&rec.steps.after_window).unwrap();
    assert_eq!(after["usage_events"]["count"], 3, "{after}");
    assert_eq!(after["usage_events"]["amount"].to_string(), "9.00", "{after}");
}

/// `closedesk verify FILE`: (exit code, stdout).
fn verify(file: &Path) -> (Option<i32>, String) {
    let run = Command::new(env!("CARGO_BIN_EXE_closedesk"))
        .arg("verify")
        .arg(file)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&run.stderr).contains("panicked"));
    (
        run.status.code(),
        String::from_utf8_lossy(&run.stdout).into_owned(),
    )
}

/// A pre-aggregated period imported, verified clean; the file and its directory.
fn aggregated_and_verified() -> (tempfile::TempDir, PathBuf) {
    let (dir, src) = aggregated(control(6, 236, 19_000));
    let out = dir.path().join("agg.db");
    imported(&src, &out);
    let (code, stdout) = verify(&out);
    assert_eq!(code, Some(0), "{stdout}");
    (dir, out)
}

/// Another program edits `out` with `sql` (the period is open: plain SQL can); `verify`
/// then fails, saying `what`.
fn edited_then_verify_fails(out: &Path, sql: &str, what: &str) {
    let conn = rusqlite::Connection::open(out).unwrap();
    assert!(conn.execute(sql, []).unwrap() >= 1, "{sql}");
    drop(conn);
    let (code, stdout) = verify(out);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains(what), "{stdout}");
}

#[test]
fn verify_bounds_cover_the_aggregate_and_its_control_total() {
    let (_dir, out) = aggregated_and_verified();
    let (_, stdout) = verify(&out);
    // The fixture's other files: 32 amounts (invoices 4 totals + 4 balances, 8 lines,
    // 1 payment, 2 disbursements, 6 ledger rows, 1 batch, 3 export lines, 1 program rate,
    // 1 statement, 1 statement line) of absolute total 6,622.00 (1,000 + 650 + 1,000 +
    // 450 + 450 + 1,450 + 550 + 550 + 2 + 200 + 120, and the program's 100 × 2.00 =
    // 200.00); the aggregate's 5 rows (190.00) and the control total (190.00): 38 amounts,
    // 7,002.00.
    assert!(
        stdout.contains("[ok]     bounds: 38 amounts within bounds (absolute total 7,002.00)"),
        "{stdout}"
    );

    // Another program sets one aggregate row past the bound import enforces (10^15 minor
    // units): verify names the row of usage_daily.parquet.
    edited_then_verify_fails(
        &out,
        "UPDATE usage_daily SET rated_amount_cents = 1000000000000000 WHERE row = 3",
        "[failed] bounds: amounts out of bounds: usage_daily row 3: rated_amount_cents 1000000000000000 is out of range",
    );

    // The control total too.
    let (_dir, out) = aggregated_and_verified();
    edited_then_verify_fails(
        &out,
        "UPDATE usage_control SET rated_amount_cents = -1000000000000000",
        "usage_control id 1: rated_amount_cents -1000000000000000 is out of range",
    );
}

#[test]
fn verify_counts_the_aggregate_rows_the_import_wrote() {
    let (_dir, out) = aggregated_and_verified();
    // The 16 source tables and the two of the aggregate, recorded at import.
    let snapshot = Snapshot::open(&out).unwrap();
    let counts: Vec<(String, String, i64)> = snapshot
        .workflow()
        .source_counts()
        .unwrap()
        .into_iter()
        .filter(|c| c.table_name.starts_with("usage"))
        .map(|c| (c.table_name, c.file, c.rows))
        .collect();
    drop(snapshot);
    let expected = [
        ("usage_control", "usage_control.parquet", 1),
        ("usage_daily", "usage_daily.parquet", 5),
        ("usage_events", "usage_events.csv", 0),
    ];
    let expected: Vec<(String, String, i64)> = expected
        .iter()
        .map(|(t, f, n)| (t.to_string(), f.to_string(), *n))
        .collect();
    assert_eq!(counts, expected);
    let (_, stdout) = verify(&out);
    assert!(
        stdout.contains("[ok]     row counts: all 18 source tables have the rows their import wrote"),
        "{stdout}"
    );

    // Another program deletes one aggregate row.
    edited_then_verify_fails(
        &out,
        "DELETE FROM usage_daily WHERE row = 2",
        "[failed] row counts: usage_daily has 4 rows; the import wrote 5 from usage_daily.parquet\n",
    );

    // Or the control total.
    let (_dir, out) = aggregated_and_verified();
    edited_then_verify_fails(
        &out,
        "DELETE FROM usage_control",
        "usage_control has 0 rows; the import wrote 1 from usage_control.parquet",
    );
}

/// A ZSTD-compressed file (Polars' default) said "Parquet error: Disabled feature at compile
/// time: zstd" at row 1: build jargon, no fix. The codec is named once, with the fix.
#[test]
fn a_codec_closedesk_does_not_read_is_named_with_the_fix() {
    let (dir, src) = fixture_without_usage();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parquet-zstd/usage_events.parquet"),
        src.join("usage_events.parquet"),
    )
    .unwrap();
    let stderr = refused(&src, &dir.path().join("p.db"));
    assert!(
        stderr.contains(
            "usage_events.parquet: compressed with ZSTD, which closedesk does not read: write it with Snappy \
             (docs/usage-parquet.md)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("Disabled feature"), "{stderr}");
    assert_eq!(stderr.matches("usage_events.parquet").count(), 1, "{stderr}");
}
