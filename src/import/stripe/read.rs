//! Stripe's objects as its list endpoints return them: one file per object type, either
//! the list itself (`{"object": "list", "data": [...], "has_more": false}`) or JSON Lines
//! (one object per line). Each object keeps where it was read, for its problems.

use std::io::ErrorKind;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::Value;

use crate::import::Problem;
use crate::text::{inert, inert_path};

/// The object types read, their file stem and the `object` word each must carry.
pub const KINDS: &[(&str, &str)] = &[
    ("customers", "customer"),
    ("invoices", "invoice"),
    ("charges", "charge"),
    ("payment_intents", "payment_intent"),
    ("refunds", "refund"),
    ("disputes", "dispute"),
    ("credit_notes", "credit_note"),
    ("customer_balance_transactions", "customer_balance_transaction"),
    ("invoice_payments", "invoice_payment"),
];

/// The top-level fields the mapping reads (docs/import-stripe.md); every other field of an
/// object is dropped as it is read, so a month of real objects (an invoice runs to dozens of
/// fields, its lines carry whole price objects) does not sit in memory whole.
pub const READ_FIELDS: &[&str] = &[
    "id",
    "object",
    "amount",
    "amount_captured",
    "amount_paid",
    "amount_received",
    "amount_refunded",
    "amount_remaining",
    "balance",
    "balance_transactions",
    "captured",
    "charge",
    "created",
    "currency",
    "customer",
    "customer_balance_transaction",
    "description",
    "disputed",
    "due_date",
    "effective_at",
    "email",
    "invoice",
    "lines",
    "livemode",
    "memo",
    "name",
    "out_of_band_amount",
    "paid_out_of_band",
    "payment",
    "payment_intent",
    "post_payment_amount",
    "pre_payment_amount",
    "reason",
    "refund",
    "refunds",
    "starting_balance",
    "status",
    "status_transitions",
    "total",
    "type",
    "voided_at",
];

/// The fields of an invoice's line item the mapping reads.
pub const LINE_FIELDS: &[&str] = &[
    "id",
    "amount",
    "period",
    "description",
    "discount_amounts",
    "tax_amounts",
    "taxes",
];

/// Drops the fields the mapping does not read.
fn prune(value: &mut Value) {
    let Value::Object(map) = value else {
        return;
    };
    map.retain(|key, _| READ_FIELDS.contains(&key.as_str()));
    if let Some(Value::Array(lines)) = map.get_mut("lines").and_then(|l| l.get_mut("data")) {
        for line in lines {
            if let Value::Object(line) = line {
                line.retain(|key, _| LINE_FIELDS.contains(&key.as_str()));
            }
        }
    }
}

/// One Stripe object and where it stands.
#[derive(Clone, Debug)]
pub struct Obj {
    /// The file name as read (`invoices.json`).
    pub file: String,
    /// Its line in a JSON Lines file; 0 in a list file.
    pub line: u64,
    /// Its position in the list's `data` (list files).
    pub index: usize,
    pub value: Value,
}

/// A problem with a file rather than one object: the file (bare name), line, and why.
pub fn file_problem(file: &str, line: u64, reason: String) -> Problem {
    Problem {
        file: file.to_string(),
        line,
        column: 0,
        reason,
    }
}

/// The files of `dir` that look like objects of a type but are not the one file read for it:
/// a name that begins with a type's stem and ends in `.json` or `.jsonl` (case aside), other
/// than `STEM.json` and `STEM.jsonl` themselves — `invoices_2.json`, `invoices.2.jsonl`,
/// `charges (1).json`, `Invoices.json`. Pages written beside the object file (or instead of
/// it) would otherwise be left out without a word, and the period imported without their
/// objects. Any other file (a README, `closedesk.toml`, notes) is not read and not named.
pub fn unread_pages(dir: &Path) -> Vec<Problem> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        // The directory was checked before; a listing that fails now reads nothing more.
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut problems = Vec::new();
    for name in names {
        if let Some(stem) = page_of(&name) {
            problems.push(file_problem(
                &name,
                0,
                format!(
                    "not read: it looks like {stem} but only {stem}.json or {stem}.jsonl is read; merge the \
                     pages into that one file (one list with \"has_more\": false, one array, or JSON Lines) \
                     and move this file out of the directory, or name it {stem}.json(l) if it holds them all"
                ),
            ));
        }
    }
    problems
}

/// The type's stem when `name` looks like a file of that type's objects that is not read
/// ([`unread_pages`]); `None` for the files read and for every other name.
fn page_of(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if !(lower.ends_with(".json") || lower.ends_with(".jsonl")) {
        return None;
    }
    if KINDS
        .iter()
        .any(|(stem, _)| name == format!("{stem}.json") || name == format!("{stem}.jsonl"))
    {
        return None;
    }
    // The longest stem that begins the name: `customer_balance_transactions_2.json` is a
    // page of balance transactions, whatever shorter stem might also match.
    KINDS
        .iter()
        .map(|(stem, _)| *stem)
        .filter(|stem| lower.starts_with(stem))
        .max_by_key(|stem| stem.len())
}

/// The objects of one type: `None` when neither `STEM.json` nor `STEM.jsonl` exists.
pub fn read_kind(dir: &Path, stem: &str, object: &str, problems: &mut Vec<Problem>) -> Option<Vec<Obj>> {
    let mut found: Vec<(String, String)> = Vec::new();
    for ext in ["json", "jsonl"] {
        let name = format!("{stem}.{ext}");
        let path = dir.join(&name);
        match crate::import::read_bytes(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => found.push((name, text)),
                Err(_) => problems.push(file_problem(&name, 0, "not UTF-8 text".into())),
            },
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => problems.push(file_problem(
                &name,
                0,
                format!("cannot read {}: {e}", inert_path(&path)),
            )),
        }
    }
    if found.len() > 1 {
        problems.push(file_problem(
            &format!("{stem}.jsonl"),
            0,
            format!(
                "{stem}.json is there too: give one file per object type (each object would count twice)"
            ),
        ));
        return None;
    }
    let (name, text) = found.pop()?;
    let mut objects = Vec::new();
    let trimmed = text.trim_start_matches('\u{feff}');
    // An empty file is not "no objects": an export cut off before it wrote anything looks
    // the same. None of a type is an empty list.
    if trimmed.trim().is_empty() {
        problems.push(file_problem(
            &name,
            0,
            format!(
                "empty file: expected a Stripe list; with no {object}s write {{\"object\": \"list\", \"data\": [], \
                 \"has_more\": false}}, or leave the file out where it is optional"
            ),
        ));
        return Some(Vec::new());
    }
    // A `.jsonl` file is JSON Lines, whatever its first line looks like; a `.json` file is
    // one JSON value (a list, an array or one object), or JSON Lines when it is not.
    let whole: Option<Value> = if name.ends_with(".jsonl") {
        None
    } else {
        serde_json::from_str(trimmed).ok()
    };
    // The objects of a list, an array or one object, each at its index in it.
    let listed = |items: Vec<Value>| {
        items.into_iter().enumerate().map(|(index, value)| Obj {
            file: name.clone(),
            line: 0,
            index,
            value,
        })
    };
    match whole {
        Some(Value::Object(mut map)) if map.get("object").and_then(Value::as_str) == Some("list") => {
            if map.get("has_more").and_then(Value::as_bool) == Some(true) {
                problems.push(file_problem(
                    &name,
                    0,
                    "has_more is true: the list was cut off; page through it (starting_after) and write every object"
                        .into(),
                ));
            }
            match map.remove("data") {
                Some(Value::Array(items)) => objects.extend(listed(items)),
                _ => problems.push(file_problem(&name, 0, "a list without a data array".into())),
            }
        }
        // A bare array of objects (a list's `data`, as `jq .data` writes it).
        Some(Value::Array(items)) => objects.extend(listed(items)),
        // One object, pretty-printed.
        Some(value @ Value::Object(_)) => objects.extend(listed(vec![value])),
        _ => {
            for (i, line) in trimmed.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(value) => objects.push(Obj {
                        file: name.clone(),
                        line: i as u64 + 1,
                        index: objects.len(),
                        value,
                    }),
                    Err(e) => problems.push(file_problem(
                        &name,
                        i as u64 + 1,
                        format!(
                            "not a JSON object ({}); expected a Stripe list or one object per line",
                            inert(&e.to_string())
                        ),
                    )),
                }
            }
        }
    }
    let mut kept = Vec::with_capacity(objects.len());
    for mut obj in objects {
        prune(&mut obj.value);
        match obj.value.get("object").and_then(Value::as_str) {
            Some(word) if word == object => kept.push(obj),
            other => {
                let what = other.map_or("no object field".to_string(), |w| format!("a {w}"));
                let why = format!("{}: {what}, not a {object}", obj.id_shown());
                let reason = if obj.line == 0 {
                    format!("data[{}]: {why}", obj.index)
                } else {
                    why
                };
                problems.push(file_problem(&obj.file, obj.line, reason));
            }
        }
    }
    Some(kept)
}

/// A field's value is not what Stripe documents.
pub type Bad = String;

impl Obj {
    /// Where the object is: `invoices.jsonl:3` or `invoices.json: data[2]`.
    pub fn at(&self) -> String {
        if self.line > 0 {
            format!("{}:{}", self.file, self.line)
        } else {
            format!("{}: data[{}]", self.file, self.index)
        }
    }

    /// The object's id as shown (inert), or `(no id)`.
    pub fn id_shown(&self) -> String {
        match self.value.get("id").and_then(Value::as_str) {
            Some(id) => inert(id),
            None => "(no id)".into(),
        }
    }

    /// The value at a dotted path (`status_transitions.voided_at`), `None` when absent or null.
    pub fn get(&self, path: &str) -> Option<&Value> {
        get(&self.value, path)
    }

    pub fn str(&self, path: &str) -> Result<String, Bad> {
        str_at(&self.value, path)
    }

    pub fn opt_str(&self, path: &str) -> Result<Option<String>, Bad> {
        opt_str_at(&self.value, path)
    }

    pub fn int(&self, path: &str) -> Result<i64, Bad> {
        int_at(&self.value, path)
    }

    pub fn opt_int(&self, path: &str) -> Result<Option<i64>, Bad> {
        opt_int_at(&self.value, path)
    }

    /// An amount of value moved (a charge, a payment, a refund, a credit note): a whole
    /// number of minor units greater than zero and below the bound of every amount.
    pub fn amount(&self, path: &str) -> Result<i64, Bad> {
        positive(path, self.int(path)?)
    }

    pub fn opt_amount(&self, path: &str) -> Result<Option<i64>, Bad> {
        self.opt_int(path)?.map(|a| positive(path, a)).transpose()
    }

    pub fn opt_bool(&self, path: &str) -> Result<Option<bool>, Bad> {
        match self.get(path) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(format!("{path} is not true or false")),
        }
    }

    /// A unix timestamp field, in UTC.
    pub fn time(&self, path: &str) -> Result<NaiveDateTime, Bad> {
        time_of(path, self.int(path)?)
    }

    pub fn opt_time(&self, path: &str) -> Result<Option<NaiveDateTime>, Bad> {
        self.opt_int(path)?.map(|t| time_of(path, t)).transpose()
    }
}

pub fn get<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut v = value;
    for key in path.split('.') {
        v = v.get(key)?;
    }
    (!v.is_null()).then_some(v)
}

pub fn str_at(value: &Value, path: &str) -> Result<String, Bad> {
    opt_str_at(value, path)?.ok_or_else(|| format!("{path} is missing"))
}

/// A string field; an expanded object stands for its `id`.
pub fn opt_str_at(value: &Value, path: &str) -> Result<Option<String>, Bad> {
    match get(value, path) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Object(map)) => match map.get("id") {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            _ => Err(format!("{path} is an object without an id")),
        },
        Some(_) => Err(format!("{path} is not a string")),
    }
}

pub fn int_at(value: &Value, path: &str) -> Result<i64, Bad> {
    opt_int_at(value, path)?.ok_or_else(|| format!("{path} is missing"))
}

/// An integer field. Stripe writes amounts as integers in the currency's minor unit: a
/// fraction, an exponent or a number past 64 bits is refused, never rounded.
pub fn opt_int_at(value: &Value, path: &str) -> Result<Option<i64>, Bad> {
    match get(value, path) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Some(i)),
            None => {
                let text = n.to_string();
                let digits = text.strip_prefix('-').unwrap_or(&text);
                let why = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    "too large for a whole number of minor units"
                } else {
                    "not an integer (Stripe amounts are whole minor units)"
                };
                Err(format!("{path} is {}, {why}", inert(&text)))
            }
        },
        Some(other) => Err(format!(
            "{path} is {}, not a number (Stripe writes integers, unquoted)",
            inert(&shown(other))
        )),
    }
}

/// A JSON value as written, cut to 40 characters.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// `amount` at `path`, refused unless greater than zero and below the bound of every amount
/// (docs/snapshot-format.md, "Bounds").
fn positive(path: &str, amount: i64) -> Result<i64, Bad> {
    if amount <= 0 {
        return Err(format!(
            "{path} is {amount}: an amount of value moved must be greater than zero"
        ));
    }
    if amount >= crate::money::MAX_ABS_CENTS {
        return Err(format!(
            "{path} is {amount}: 10^15 minor units or more, past the bound of every amount \
             (docs/snapshot-format.md, \"Bounds\")"
        ));
    }
    Ok(amount)
}

fn time_of(path: &str, seconds: i64) -> Result<NaiveDateTime, Bad> {
    DateTime::from_timestamp(seconds, 0)
        .map(|t| t.naive_utc())
        .filter(|t| (1970..=9999).contains(&chrono::Datelike::year(t)))
        .ok_or_else(|| format!("{path} is {seconds}, not a time"))
}

/// The UTC day of a timestamp.
pub fn day(t: NaiveDateTime) -> NaiveDate {
    t.date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_fields_read_are_kept() {
        let mut v = json!({"id": "in_1", "object": "invoice", "total": 5, "footer": "x", "rendering": {"a": 1},
            "lines": {"object": "list", "has_more": false, "data": [{"id": "il_1", "amount": 5, "price": {"id": "price_1"}, "period": {"start": 1, "end": 2}}]}});
        prune(&mut v);
        assert_eq!(
            v,
            json!({"id": "in_1", "object": "invoice", "total": 5,
                "lines": {"object": "list", "has_more": false, "data": [{"id": "il_1", "amount": 5, "period": {"start": 1, "end": 2}}]}})
        );
        // Every field the mapping reads is kept: each quoted field name in map.rs.
        let source = include_str!("map.rs");
        for call in [
            "str(\"",
            "opt_str(\"",
            "int(\"",
            "opt_int(\"",
            "opt_bool(\"",
            "time(\"",
            "opt_time(\"",
            "obj.get(\"",
        ] {
            for (at, _) in source.match_indices(call) {
                let rest = &source[at + call.len()..];
                let field = &rest[..rest.find('"').unwrap()];
                let top = field.split('.').next().unwrap();
                assert!(READ_FIELDS.contains(&top), "{field} is read but dropped");
            }
        }
    }

    #[test]
    fn amounts_must_be_integers() {
        let v: Value =
            serde_json::from_str(r#"{"a": 1250, "b": 12.5, "c": 1e3, "d": 99999999999999999999, "e": "7"}"#)
                .unwrap();
        assert_eq!(opt_int_at(&v, "a"), Ok(Some(1250)));
        for path in ["b", "c", "d", "e"] {
            assert!(opt_int_at(&v, path).is_err(), "{path}");
        }
        // An integer past 64 bits is said to be too large, not "not an integer".
        assert_eq!(
            opt_int_at(&v, "d"),
            Err("d is 99999999999999999999, too large for a whole number of minor units".into())
        );
        assert_eq!(
            opt_int_at(&v, "b"),
            Err("b is 12.5, not an integer (Stripe amounts are whole minor units)".into())
        );
    }

    #[test]
    fn a_list_json_lines_an_array_and_one_object_all_read() {
        let dir = tempfile::tempdir().unwrap();
        let one = r#"{"id": "cus_1", "object": "customer"}"#;
        let cases: [(&str, String, usize); 4] = [
            (
                "customers.json",
                format!(r#"{{"object": "list", "has_more": false, "data": [{one}, {one}]}}"#),
                2,
            ),
            ("customers.jsonl", format!("{one}\n\n{one}\n{one}\n"), 3),
            ("customers.json", format!("[{one}]"), 1),
            (
                "customers.json",
                "{\n  \"id\": \"cus_1\",\n  \"object\": \"customer\"\n}".to_string(),
                1,
            ),
        ];
        for (name, text, count) in cases {
            for stale in ["customers.json", "customers.jsonl"] {
                let _ = std::fs::remove_file(dir.path().join(stale));
            }
            std::fs::write(dir.path().join(name), &text).unwrap();
            let mut problems = Vec::new();
            let objects = read_kind(dir.path(), "customers", "customer", &mut problems).unwrap();
            assert!(problems.is_empty(), "{problems:?}");
            assert_eq!(objects.len(), count, "{text}");
        }
    }

    #[test]
    fn a_page_is_a_name_beginning_with_a_stem_and_not_the_file_read() {
        for (name, stem) in [
            ("invoices_2.json", Some("invoices")),
            ("invoices.2.jsonl", Some("invoices")),
            ("charges (1).json", Some("charges")),
            ("charges_page1.json", Some("charges")),
            ("Invoices.JSON", Some("invoices")),
            (
                "customer_balance_transactions_2.jsonl",
                Some("customer_balance_transactions"),
            ),
            ("invoices.json", None),
            ("invoice_payments.jsonl", None),
            ("customer_balance_transactions.json", None),
            ("invoices.json.bak", None),
            ("invoices.csv", None),
            ("README.md", None),
            ("closedesk.toml", None),
            ("notes.json", None),
        ] {
            assert_eq!(page_of(name), stem, "{name}");
        }
    }

    #[test]
    fn paths_read_nested_fields_and_expanded_objects() {
        let v = json!({"status_transitions": {"voided_at": 1774224000, "paid_at": null}, "customer": {"id": "cus_1"}});
        assert_eq!(
            opt_int_at(&v, "status_transitions.voided_at"),
            Ok(Some(1774224000))
        );
        assert_eq!(opt_int_at(&v, "status_transitions.paid_at"), Ok(None));
        assert_eq!(str_at(&v, "customer"), Ok("cus_1".into()));
        // 2026-03-23T00:00:00Z
        assert_eq!(day(time_of("t", 1774224000).unwrap()).to_string(), "2026-03-23");
    }
}
