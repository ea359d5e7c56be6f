//! The rules file of `import --map` (docs/import-map.md): which export file feeds which
//! snapshot table, and how each field of the table is made from the export's columns.
//! Every error names the rules file's line and the rule.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::format::{Fixed, Item, StrftimeItems};
use serde::Deserialize;
use toml::Spanned;

use crate::import::FILES;

/// The tables the period file (`closedesk.toml`) gives, never an export.
pub const FROM_PERIOD_FILE: &[&str] = &["period", "lane_owners", "roster"];

/// Native columns holding an amount: `amounts` and `negate` apply to them.
const AMOUNTS: &[(&str, &str)] = &[
    ("invoices", "total"),
    ("invoices", "balance"),
    ("invoice_lines", "amount"),
    ("payments", "amount"),
    ("credits", "amount"),
    ("disbursements", "amount"),
    ("ledger", "amount"),
    ("usage_events", "rated_amount"),
    ("export_batches", "total"),
    ("export_lines", "amount"),
    ("employer_programs", "rate"),
    ("program_statements", "total"),
    ("statement_lines", "amount"),
];

/// Native columns holding a date (`YYYY-MM-DD`).
const DATES: &[(&str, &str)] = &[
    ("invoices", "posted_at"),
    ("invoices", "voided_at"),
    ("invoices", "due_date"),
    ("invoice_lines", "service_start"),
    ("invoice_lines", "service_end"),
    ("payments", "occurred_on"),
    ("credits", "issued_on"),
    ("disbursements", "disbursed_on"),
    ("program_statements", "issued_on"),
];

/// Native columns holding a timestamp (`YYYY-MM-DDTHH:MM:SSZ`).
const TIMESTAMPS: &[(&str, &str)] = &[
    ("ledger", "occurred_at"),
    ("usage_events", "occurred_at"),
    ("usage_events", "reprocessed_at"),
    ("export_batches", "created_at"),
];

/// What a native cell holds, for the conversions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Amount,
    Date,
    Timestamp,
    Other,
}

fn kind_of(table: &str, column: &str) -> Kind {
    let is = |list: &[(&str, &str)]| list.iter().any(|(t, c)| *t == table && *c == column);
    if is(AMOUNTS) {
        Kind::Amount
    } else if is(DATES) {
        Kind::Date
    } else if is(TIMESTAMPS) {
        Kind::Timestamp
    } else {
        Kind::Other
    }
}

/// Whether a native column takes a word.
type Takes = fn(&str) -> bool;

/// The native columns that hold a code word, with a test of the words each takes and the
/// words for messages: what a `map` or a `value` may write there.
fn code_words(table: &str, column: &str) -> Option<(Takes, String)> {
    use crate::snapshot::model::{
        AccountKind, BatchKind, CreditKind, InvoiceStatus, LedgerKind, LineKind, PaymentKind, RevenueRule,
        SourceKind, UsageKind, UsageState,
    };
    macro_rules! words {
        ($word:ty) => {
            Some((|w: &str| <$word>::parse(w).is_some(), <$word>::choices()))
        };
    }
    match (table, column) {
        ("accounts", "kind") => words!(AccountKind),
        ("invoices", "status") => words!(InvoiceStatus),
        ("invoice_lines", "kind") => words!(LineKind),
        ("invoice_lines", "revenue_rule") => words!(RevenueRule),
        ("payments", "kind") => words!(PaymentKind),
        ("credits", "kind") => words!(CreditKind),
        ("disbursements", "source_kind") => words!(SourceKind),
        ("ledger", "kind") => words!(LedgerKind),
        ("usage_events", "kind") => words!(UsageKind),
        ("usage_events", "state") => words!(UsageState),
        ("export_batches", "kind") => words!(BatchKind),
        _ => None,
    }
}

/// How the export writes amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `12.50`: copied as written (the native rules check it).
    Major,
    /// `1250`: an integer of the currency's minor unit (cents).
    Minor,
    /// `$1,234.56`, `(1,234.56)`, `$ -`: as a spreadsheet's accounting or currency format
    /// writes it (thousands grouped by commas, a decimal point, negatives in parentheses or
    /// with a minus, the period currency's sign). Read strictly into a major-unit amount.
    Accounting,
}

impl Unit {
    /// As the rules file writes it.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Major => "major",
            Unit::Minor => "minor",
            Unit::Accounting => "accounting",
        }
    }
}

/// `{ column = [values] }`: true when the export's cell in `column` is one of `values`.
#[derive(Clone, Debug, Default)]
pub struct Condition(pub Vec<(String, Vec<String>)>);

impl Condition {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Shown in messages and summaries: `type = purchase, status = success`.
    pub fn shown(&self) -> String {
        self.0
            .iter()
            .map(|(column, values)| {
                let values: Vec<&str> = values
                    .iter()
                    .map(|v| if v.is_empty() { "(empty)" } else { v })
                    .collect();
                format!("{column} = {}", values.join(" or "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Condition {
    /// As the rules file writes it, for messages: `{ status = "success", type = ["purchase",
    /// "refund"] }` (the columns in the order the rules file's table gives them).
    pub fn toml(&self) -> String {
        let columns: Vec<String> = self
            .0
            .iter()
            .map(|(column, values)| {
                let key = if !column.is_empty()
                    && column
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    column.clone()
                } else {
                    toml_string(column)
                };
                let values: Vec<String> = values.iter().map(|v| toml_string(v)).collect();
                match values.as_slice() {
                    [one] => format!("{key} = {one}"),
                    _ => format!("{key} = [{}]", values.join(", ")),
                }
            })
            .collect();
        format!("{{ {} }}", columns.join(", "))
    }
}

/// A TOML basic string of `text`: `"a \"b\""`.
pub fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Where a field's text comes from.
#[derive(Clone, Debug)]
pub enum Origin {
    /// The export's column of this name.
    Column(String),
    /// The same text on every row (written as the native format wants it).
    Value(String),
    /// Not given: empty on every row (the native rules say when it may not be).
    Nothing,
}

/// One native field of one table.
#[derive(Clone, Debug)]
pub struct Field {
    /// The native column (a constant of `FILES`).
    pub name: &'static str,
    pub kind: Kind,
    /// The rules file's line of this field's rule (the table's for a field not given).
    pub line: usize,
    pub from: Origin,
    /// Export value → native value; a value not listed is refused.
    pub map: Option<BTreeMap<String, String>>,
    pub prefix: Option<String>,
    /// The cell is empty unless this holds.
    pub when: Condition,
    /// Amounts: the sign flipped on every row, or on the rows where this holds.
    pub negate: bool,
    pub negate_when: Condition,
}

/// One export file feeding one snapshot table.
#[derive(Clone, Debug)]
pub struct Table {
    /// Index into `FILES`.
    pub index: usize,
    pub name: &'static str,
    /// The export file, relative to DIR.
    pub file: String,
    /// The rules file's line of this table's `[[table]]`.
    pub line: usize,
    pub date_format: Option<(String, usize)>,
    pub amounts: (Unit, usize),
    /// Only the rows where this holds feed the table (the others are counted)...
    pub rows: Condition,
    /// ... and where this does not.
    pub skip: Condition,
    /// The export's column holding each row's currency (an ISO 4217 code, any case), and the
    /// rules file's line of `currency = "…"`: a row in another currency than the period's is
    /// refused. `None`: the export has no such column, its rows are the period's.
    pub currency: Option<(String, usize)>,
    /// The export's line its header is on (1 unless a report puts title lines above it),
    /// and the rules file's line of `header_line = N` (0: not given).
    pub header_line: (u64, usize),
    /// One per native column, in documented order.
    pub fields: Vec<Field>,
}

/// The rules file, checked.
#[derive(Clone, Debug)]
pub struct Rules {
    pub window: String,
    pub period_file: String,
    pub tables: Vec<Table>,
    /// The snapshot tables the export does not have (empty in the snapshot).
    pub absent: Vec<&'static str>,
}

/// One error in the rules file: its line (0: the file as a whole) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub line: usize,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    window: Spanned<String>,
    #[serde(default)]
    period_file: Option<Spanned<String>>,
    #[serde(default)]
    date_format: Option<Spanned<String>>,
    #[serde(default)]
    amounts: Option<Spanned<String>>,
    #[serde(default)]
    absent: Vec<Spanned<String>>,
    #[serde(default)]
    table: Vec<Spanned<RawTable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    name: Spanned<String>,
    file: Spanned<String>,
    #[serde(default)]
    date_format: Option<Spanned<String>>,
    #[serde(default)]
    amounts: Option<Spanned<String>>,
    #[serde(default)]
    rows: BTreeMap<String, Values>,
    #[serde(default)]
    skip: BTreeMap<String, Values>,
    #[serde(default)]
    currency: Option<Spanned<String>>,
    #[serde(default)]
    header_line: Option<Spanned<i64>>,
    #[serde(default)]
    fields: BTreeMap<String, Spanned<RawField>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Values {
    One(String),
    Many(Vec<String>),
}

impl Values {
    fn list(self) -> Vec<String> {
        match self {
            Values::One(v) => vec![v],
            Values::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawField {
    Column(String),
    Full(RawFull),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFull {
    #[serde(default)]
    column: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    map: Option<BTreeMap<String, String>>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    when: BTreeMap<String, Values>,
    #[serde(default)]
    negate: bool,
    #[serde(default)]
    negate_when: BTreeMap<String, Values>,
}

/// The 1-based line of a byte offset of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

fn condition(map: BTreeMap<String, Values>) -> Condition {
    Condition(map.into_iter().map(|(k, v)| (k, v.list())).collect())
}

/// A strftime format chrono can read (no unknown `%` directive).
fn check_format(format: &str) -> Result<(), String> {
    if format.is_empty() {
        return Err("date_format is empty".into());
    }
    if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
        return Err(format!(
            "date_format '{format}' is not a strftime format chrono reads (e.g. \"%d/%m/%Y\", \"%Y-%m-%d %H:%M:%S UTC\")"
        ));
    }
    // chrono reads a zone name and drops it: `23:30:00 EST` would be taken as 23:30 UTC, a
    // day early near midnight. A name is not an offset (EST, CST and IST name several).
    if StrftimeItems::new(format).any(|item| matches!(item, Item::Fixed(Fixed::TimezoneName))) {
        return Err(format!(
            "date_format '{format}': %Z reads a time-zone name (EST, CET), which closedesk cannot turn into \
             UTC (a name is no offset, and several zones share one): write the dates in UTC (e.g. \
             \"%Y-%m-%d %H:%M:%S UTC\") or with a numeric offset, read by %z (-0500) or %:z (-05:00)"
        ));
    }
    Ok(())
}

fn unit(text: &str) -> Result<Unit, String> {
    match text {
        "major" => Ok(Unit::Major),
        "minor" => Ok(Unit::Minor),
        "accounting" => Ok(Unit::Accounting),
        other => Err(format!(
            "amounts = '{other}': expected \"major\" (12.50), \"minor\" (1250, the currency's minor unit) \
             or \"accounting\" ($1,234.56, (12.00))"
        )),
    }
}

/// A TOML error in the words of the rules file: serde's "untagged enum" (the shape of a
/// field or a condition matched none of its forms) names the forms instead.
fn readable(message: &str) -> String {
    let message = message.replace('\n', " ").trim().to_string();
    if message.contains("untagged enum RawField") {
        return "a field is a column name (\"Amount\") or a table of column, value, map, prefix, when, \
                negate, negate_when (e.g. { column = \"Status\", map = { paid = \"closed\" } }), each a \
                string, a table of strings or, for negate, true/false"
            .into();
    }
    if message.contains("untagged enum Values") {
        return "a condition is a column name and a value or a list of values, each a string \
                (e.g. rows = { Status = [\"paid\", \"open\"] })"
            .into();
    }
    message
}

/// A name of a file in DIR: no directory part, neither `.` nor `..`.
fn is_file_name(file: &str) -> bool {
    !(file.is_empty() || file.contains('/') || file.contains('\\') || file == "." || file == "..")
}

/// Parses and checks the text of a rules file. Every error has its line.
pub fn parse(text: &str) -> Result<Rules, Vec<RuleError>> {
    let raw: RawRules = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s: Range<usize>| line_of(text, s.start));
        vec![RuleError {
            line,
            reason: readable(e.message()),
        }]
    })?;
    let mut errors = Vec::new();
    let mut error = |line: usize, reason: String| errors.push(RuleError { line, reason });
    let at = |span: Range<usize>| line_of(text, span.start);

    let window_line = at(raw.window.span());
    let window = raw.window.into_inner();
    if crate::import::stripe::parse_window(&window).is_none() {
        error(
            window_line,
            format!("window = '{window}': not a month (expected \"YYYY-MM\", e.g. \"2026-03\")"),
        );
    }
    // The period file is in DIR, as every export file is: a path would open (and quote in
    // its errors) any file the user can read.
    let period_file = match raw.period_file {
        Some(f) => {
            let line = at(f.span());
            let f = f.into_inner();
            if !is_file_name(&f) {
                error(
                    line,
                    format!("period_file = '{f}': a file name in DIR (no directory)"),
                );
            }
            f
        }
        None => crate::import::stripe::config::FILE.to_string(),
    };
    let default_format = raw.date_format.map(|f| {
        let line = at(f.span());
        let f = f.into_inner();
        if let Err(e) = check_format(&f) {
            error(line, e);
        }
        (f, line)
    });
    let default_unit = match raw.amounts {
        Some(a) => {
            let line = at(a.span());
            match unit(a.get_ref()) {
                Ok(u) => (u, line),
                Err(e) => {
                    error(line, e);
                    (Unit::Major, line)
                }
            }
        }
        None => (Unit::Major, 0),
    };

    let mappable = |name: &str| -> Option<usize> {
        FILES
            .iter()
            .position(|(file, _)| file.strip_suffix(".csv") == Some(name))
            .filter(|_| !FROM_PERIOD_FILE.contains(&name))
    };
    let table_names = || {
        FILES
            .iter()
            .map(|(f, _)| f.trim_end_matches(".csv"))
            .filter(|t| !FROM_PERIOD_FILE.contains(t))
            .collect::<Vec<_>>()
            .join(", ")
    };

    let mut absent: Vec<&'static str> = Vec::new();
    for name in raw.absent {
        let line = at(name.span());
        match mappable(name.get_ref()) {
            Some(index) => absent.push(FILES[index].0.trim_end_matches(".csv")),
            None => error(
                line,
                format!(
                    "absent: '{}' is not a table an export can give (one of {})",
                    name.get_ref(),
                    table_names()
                ),
            ),
        }
    }

    let mut tables = Vec::new();
    for raw_table in raw.table {
        let line = at(raw_table.span());
        let raw_table = raw_table.into_inner();
        let name_line = at(raw_table.name.span());
        let Some(index) = mappable(raw_table.name.get_ref()) else {
            error(
                name_line,
                format!(
                    "[[table]] name = '{}': not a table an export can give (one of {}; period, lane_owners and roster come from the period file)",
                    raw_table.name.get_ref(),
                    table_names()
                ),
            );
            continue;
        };
        let (file_name, columns) = FILES[index];
        let name = file_name.trim_end_matches(".csv");
        if absent.contains(&name) {
            error(
                name_line,
                format!("table {name} is mapped here and listed as absent"),
            );
        }
        let file = raw_table.file.get_ref().clone();
        if !is_file_name(&file) {
            error(
                at(raw_table.file.span()),
                format!("table {name}: file = '{file}': a file name in DIR (no directory)"),
            );
        }
        let date_format = match raw_table.date_format {
            Some(f) => {
                let l = at(f.span());
                let f = f.into_inner();
                if let Err(e) = check_format(&f) {
                    error(l, format!("table {name}: {e}"));
                }
                Some((f, l))
            }
            None => default_format.clone(),
        };
        let amounts = match raw_table.amounts {
            Some(a) => {
                let l = at(a.span());
                match unit(a.get_ref()) {
                    Ok(u) => (u, l),
                    Err(e) => {
                        error(l, format!("table {name}: {e}"));
                        (Unit::Major, l)
                    }
                }
            }
            None => default_unit,
        };
        let header_line = match raw_table.header_line {
            Some(n) => {
                let l = at(n.span());
                match u64::try_from(*n.get_ref()) {
                    Ok(n @ 1..=1000) => (n, l),
                    _ => {
                        error(
                            l,
                            format!(
                                "table {name}: header_line = {}: the export's line its header is on, 1 to 1000",
                                n.get_ref()
                            ),
                        );
                        (1, l)
                    }
                }
            }
            None => (1, 0),
        };
        let currency = raw_table.currency.map(|c| {
            let l = at(c.span());
            let c = c.into_inner();
            if c.is_empty() {
                error(
                    l,
                    format!("table {name}: currency = '': the name of the export's currency column"),
                );
            }
            (c, l)
        });
        let mut given = raw_table.fields;
        let mut fields = Vec::with_capacity(columns.len());
        for column in columns.iter().copied() {
            let kind = kind_of(name, column);
            let Some(raw_field) = given.remove(column) else {
                fields.push(Field {
                    name: column,
                    kind,
                    line,
                    from: Origin::Nothing,
                    map: None,
                    prefix: None,
                    when: Condition::default(),
                    negate: false,
                    negate_when: Condition::default(),
                });
                continue;
            };
            let field_line = at(raw_field.span());
            let rule = format!("table {name}, field {column}");
            let field = match raw_field.into_inner() {
                RawField::Column(c) => Field {
                    name: column,
                    kind,
                    line: field_line,
                    from: Origin::Column(c),
                    map: None,
                    prefix: None,
                    when: Condition::default(),
                    negate: false,
                    negate_when: Condition::default(),
                },
                RawField::Full(f) => {
                    let from = match (f.column, f.value) {
                        (Some(c), None) => Origin::Column(c),
                        (None, Some(v)) => {
                            if v.contains(['\n', '\r']) {
                                error(field_line, format!("{rule}: value holds a line break"));
                            }
                            Origin::Value(v)
                        }
                        _ => {
                            error(
                                field_line,
                                format!("{rule}: give exactly one of column = \"…\" or value = \"…\""),
                            );
                            Origin::Nothing
                        }
                    };
                    let is_column = matches!(from, Origin::Column(_));
                    if !is_column && (f.map.is_some() || f.prefix.is_some() || !f.when.is_empty()) {
                        error(
                            field_line,
                            format!("{rule}: map, prefix and when apply to a column, not a value"),
                        );
                    }
                    // `1` before `49900` is `149900`, `-` before `1296.00` a refund: a prefix
                    // makes ids distinct, it never changes an amount or a date.
                    if f.prefix.is_some() && kind != Kind::Other {
                        error(
                            field_line,
                            format!(
                                "{rule}: prefix applies to ids and text, not to {} (it would change the value: \
                                 use negate for a sign, date_format for a date)",
                                if kind == Kind::Amount { "an amount" } else { "a date" }
                            ),
                        );
                    }
                    if (f.negate || !f.negate_when.is_empty()) && kind != Kind::Amount {
                        error(field_line, format!("{rule}: negate applies to amounts only"));
                    }
                    if f.negate && !f.negate_when.is_empty() {
                        error(
                            field_line,
                            format!("{rule}: give negate or negate_when, not both"),
                        );
                    }
                    if f.map.is_some() && kind != Kind::Other {
                        error(
                            field_line,
                            format!("{rule}: map applies to codes (statuses, kinds), not dates or amounts"),
                        );
                    }
                    // A code the native column does not take is the rule's mistake: said once,
                    // here, not on every row it maps.
                    if let Some((takes, choices)) = code_words(name, column) {
                        let mapped = f.map.iter().flatten().map(|(from, to)| (Some(from), to));
                        let constant = match &from {
                            Origin::Value(v) => Some((None, v)),
                            _ => None,
                        };
                        for (from, to) in mapped.chain(constant) {
                            // Empty: the native rules say whether the column may be.
                            if !to.is_empty() && !takes(to) {
                                let what = match from {
                                    Some(from) => format!("map {} = {}", toml_string(from), toml_string(to)),
                                    None => format!("value = {}", toml_string(to)),
                                };
                                error(
                                    field_line,
                                    format!("{rule}: {what}: {name}.{column} takes {choices}"),
                                );
                            }
                        }
                    }
                    Field {
                        name: column,
                        kind,
                        line: field_line,
                        from,
                        map: f.map,
                        prefix: f.prefix,
                        when: condition(f.when),
                        negate: f.negate,
                        negate_when: condition(f.negate_when),
                    }
                }
            };
            fields.push(field);
        }
        for (unknown, raw_field) in given {
            error(
                at(raw_field.span()),
                format!(
                    "table {name}: no field '{unknown}' (the fields of {file_name}: {})",
                    columns.join(", ")
                ),
            );
        }
        tables.push(Table {
            index,
            name,
            file,
            line,
            date_format,
            amounts,
            rows: condition(raw_table.rows),
            skip: condition(raw_table.skip),
            currency,
            header_line,
            fields,
        });
    }
    // Every table an export can give is mapped or said to be absent: nothing is left empty
    // by omission.
    for (file, _) in FILES {
        let name = file.trim_end_matches(".csv");
        if FROM_PERIOD_FILE.contains(&name) {
            continue;
        }
        if !absent.contains(&name) && !tables.iter().any(|t| t.name == name) {
            error(
                0,
                format!("table {name} is neither mapped ([[table]] name = \"{name}\") nor listed in absent = [...]"),
            );
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
    }
    Ok(Rules {
        window,
        period_file,
        tables,
        absent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABSENT: &str = r#"absent = ["invoice_lines", "payments", "credits", "disbursements", "ledger", "usage_events", "export_batches", "export_lines", "employer_programs", "program_statements", "statement_lines"]"#;

    fn rules(body: &str) -> String {
        format!("window = \"2026-03\"\n{ABSENT}\n{body}")
    }

    const GOOD: &str = r#"
[[table]]
name = "accounts"
file = "accounts.csv"
fields.id = "account_code"
fields.name = "account_company"
fields.kind = { value = "customer" }

[[table]]
name = "invoices"
file = "invoices.csv"
date_format = "%d/%m/%Y"
amounts = "minor"
[table.fields]
id = { column = "invoice_number", prefix = "INV-" }
status = { column = "status", map = { paid = "closed", voided = "void" } }
total = { column = "total", negate_when = { type = "credit" } }
"#;

    #[test]
    fn a_good_file_reads() {
        let r = parse(&rules(GOOD)).unwrap();
        assert_eq!(r.window, "2026-03");
        assert_eq!(r.tables.len(), 2);
        let invoices = &r.tables[1];
        assert_eq!(invoices.amounts.0, Unit::Minor);
        assert_eq!(invoices.date_format.as_ref().unwrap().0, "%d/%m/%Y");
        let status = invoices.fields.iter().find(|f| f.name == "status").unwrap();
        assert_eq!(status.line, 18);
        assert_eq!(status.map.as_ref().unwrap()["paid"], "closed");
        let total = invoices.fields.iter().find(|f| f.name == "total").unwrap();
        assert_eq!(total.kind, Kind::Amount);
        assert_eq!(total.negate_when.shown(), "type = credit");
        let balance = invoices.fields.iter().find(|f| f.name == "balance").unwrap();
        assert!(matches!(balance.from, Origin::Nothing));
        assert_eq!(balance.line, 11, "a field not given is the table's");
    }

    #[test]
    fn errors_name_their_line_and_rule() {
        let bad = rules(GOOD)
            .replace(
                "fields.kind = { value = \"customer\" }",
                "fields.knd = { value = \"customer\" }",
            )
            .replace("%d/%m/%Y", "%d/%m/%Q");
        let errors = parse(&bad).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].line, 9);
        assert!(errors[0].reason.contains("no field 'knd'"), "{errors:?}");
        assert_eq!(errors[1].line, 14);
        assert!(errors[1].reason.contains("%d/%m/%Q"), "{errors:?}");
    }

    /// A prefix on an amount or a date changes the value: `1` before `49900` was loaded as
    /// 149900 cents without a word.
    #[test]
    fn a_prefix_on_an_amount_or_a_date_is_refused() {
        for (field, what) in [
            ("total = { column = \"total\", prefix = \"1\" }", "an amount"),
            ("posted_at = { column = \"date\", prefix = \"20\" }", "a date"),
        ] {
            let bad = rules(GOOD).replace(
                "total = { column = \"total\", negate_when = { type = \"credit\" } }",
                field,
            );
            let errors = parse(&bad).unwrap_err();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].line, 19);
            assert!(
                errors[0].reason.ends_with(&format!(
                    "prefix applies to ids and text, not to {what} (it would change the value: use negate for a \
                     sign, date_format for a date)"
                )),
                "{errors:?}"
            );
        }
    }

    /// A map to a word the native column does not take was refused on every row it
    /// mapped, quoting the mapped word as if it were the export's.
    #[test]
    fn a_map_or_value_to_a_word_the_column_does_not_take_is_refused_once() {
        let bad = rules(GOOD)
            .replace("paid = \"closed\"", "paid = \"paid\"")
            .replace(
                "fields.kind = { value = \"customer\" }",
                "fields.kind = { value = \"Customer\" }",
            );
        let errors = parse(&bad).unwrap_err();
        let reasons: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (
                    9,
                    "table accounts, field kind: value = \"Customer\": accounts.kind takes customer or employer"
                ),
                (
                    18,
                    "table invoices, field status: map \"paid\" = \"paid\": invoices.status takes draft, posted, \
                     closed or void"
                ),
            ]
        );
    }

    #[test]
    fn a_zone_name_in_a_date_format_is_refused() {
        let zoned = rules(GOOD).replace("%d/%m/%Y", "%d/%m/%Y %H:%M %Z");
        let errors = parse(&zoned).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, 14);
        assert!(
            errors[0]
                .reason
                .starts_with("table invoices: date_format '%d/%m/%Y %H:%M %Z': %Z reads a time-zone name"),
            "{errors:?}"
        );
        // A literal "%Z" (written %%Z) and the offsets read.
        for format in ["%d/%m/%Y %%Z", "%d/%m/%Y %H:%M %z", "%d/%m/%Y %H:%M %:z"] {
            assert!(
                parse(&rules(GOOD).replace("%d/%m/%Y", format)).is_ok(),
                "{format}"
            );
        }
    }

    #[test]
    fn a_table_names_its_currency_column() {
        let with = rules(GOOD).replace(
            "amounts = \"minor\"\n",
            "amounts = \"minor\"\ncurrency = \"Currency\"\n",
        );
        let r = parse(&with).unwrap();
        assert_eq!(r.tables[0].currency, None);
        assert_eq!(r.tables[1].currency, Some(("Currency".to_string(), 16)));
        let errors = parse(&with.replace("currency = \"Currency\"", "currency = \"\"")).unwrap_err();
        assert_eq!(errors[0].line, 16, "{errors:?}");
        assert!(
            errors[0].reason.contains("table invoices: currency = ''"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_table_neither_mapped_nor_absent_is_an_error() {
        let errors = parse("window = \"2026-03\"\n").unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.reason.contains("table invoices is neither mapped")),
            "{errors:?}"
        );
    }

    #[test]
    fn toml_syntax_errors_have_a_line() {
        let errors = parse(&rules("[[table]]\nname = \"accounts\"\nfile = \n")).unwrap_err();
        assert_eq!(errors[0].line, 5, "{errors:?}");
    }
}
