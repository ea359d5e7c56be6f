//! `closedesk.toml`: what a period needs that Stripe does not know (entity, close owner,
//! materiality, lane owners, roster), in one small file beside the Stripe objects
//! (docs/import-stripe.md, "The period file").

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::import::cells::is_id;
use crate::money::{Money, MAX_ABS_CENTS};
use crate::snapshot::model::{Lane, LaneOwner, Role, RosterEntry};

/// The file's name in the directory.
pub const FILE: &str = "closedesk.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    entity: String,
    close_owner: String,
    #[serde(default)]
    currency: Option<String>,
    materiality: RawMateriality,
    #[serde(default)]
    exported_on: Option<String>,
    #[serde(default)]
    last_clean_period: Option<String>,
    #[serde(default)]
    last_clean_date: Option<String>,
    #[serde(default)]
    lane_owners: BTreeMap<String, String>,
    #[serde(default)]
    roster: Vec<RawLogin>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMateriality {
    #[serde(deserialize_with = "minor_units::medium")]
    medium: i64,
    #[serde(deserialize_with = "minor_units::high")]
    high: i64,
    #[serde(deserialize_with = "minor_units::critical")]
    critical: i64,
}

/// A materiality threshold: a whole number of the currency's minor unit. A decimal (`5.00`)
/// or a string is refused naming the key and the unit (serde said "invalid type: floating
/// point `5.0`, expected i64").
mod minor_units {
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;

    struct Threshold(&'static str);

    impl Threshold {
        fn refused<E: de::Error>(&self, shown: String) -> E {
            E::custom(format!(
                "materiality.{} = {shown}: a threshold is a whole number of the currency's minor unit \
                 (cents for USD: 500 is 5.00), not an amount with decimals",
                self.0
            ))
        }
    }

    impl Visitor<'_> for Threshold {
        type Value = i64;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(
                f,
                "materiality.{} as a whole number of the currency's minor unit (cents for USD: 500 is 5.00)",
                self.0
            )
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| self.refused(v.to_string()))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            Err(self.refused(format!("{v:?}")))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            Err(self.refused(format!("\"{}\"", crate::text::inert(v))))
        }
    }

    pub fn medium<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_i64(Threshold("medium"))
    }

    pub fn high<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_i64(Threshold("high"))
    }

    pub fn critical<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_i64(Threshold("critical"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogin {
    login: String,
    display_name: String,
    role: String,
}

/// The period file, checked.
#[derive(Clone, Debug)]
pub struct PeriodFile {
    pub entity: String,
    pub close_owner: String,
    /// Upper-case ISO 4217 code, when the file pins it.
    pub currency: Option<String>,
    pub materiality: [Money; 3],
    pub exported_on: Option<NaiveDate>,
    pub last_clean_period: Option<String>,
    pub last_clean_date: Option<NaiveDate>,
    pub lane_owners: Vec<LaneOwner>,
    pub roster: Vec<RosterEntry>,
}

fn date(field: &str, text: &str, problems: &mut Vec<String>) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) if text.len() == 10 => Some(d),
        _ => {
            problems.push(format!(
                "{field}: '{text}' is not a date (expected \"YYYY-MM-DD\")"
            ));
            None
        }
    }
}

/// Is `text` a three-letter ISO 4217 code (any case)?
pub fn is_currency(text: &str) -> bool {
    text.len() == 3 && text.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Parses the text of `closedesk.toml`; every problem is one message (the caller names the
/// file).
pub fn parse(text: &str) -> Result<PeriodFile, Vec<String>> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| crate::config::line_column(text, s.start));
        vec![match at {
            Some((line, column)) => format!("line {line}, column {column}: {}", e.message()),
            None => e.message().to_string(),
        }]
    })?;
    let mut problems = Vec::new();
    if raw.entity.trim().is_empty() {
        problems.push("entity: empty (the legal entity or brand, e.g. \"Northstar Health Benefits\")".into());
    }
    if raw.close_owner.trim().is_empty() {
        problems.push("close_owner: empty (a login or mailbox)".into());
    }
    let currency = raw.currency.as_deref().map(|c| {
        if !is_currency(c) {
            problems.push(format!("currency: '{c}' is not a three-letter ISO 4217 code"));
        }
        c.to_ascii_uppercase()
    });
    let m = &raw.materiality;
    for (name, value) in [("medium", m.medium), ("high", m.high), ("critical", m.critical)] {
        if !(0..MAX_ABS_CENTS).contains(&value) {
            problems.push(format!(
                "materiality.{name}: {value} is out of range (0 or more, in the currency's minor unit)"
            ));
        }
    }
    if !(m.medium <= m.high && m.high <= m.critical) {
        problems.push("materiality: medium <= high <= critical must hold".into());
    }
    let exported_on = raw
        .exported_on
        .as_deref()
        .and_then(|t| date("exported_on", t, &mut problems));
    let last_clean_date = raw
        .last_clean_date
        .as_deref()
        .and_then(|t| date("last_clean_date", t, &mut problems));
    if let Some(p) = &raw.last_clean_period {
        let ok = p.len() == 7 && NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d").is_ok();
        if !ok {
            problems.push(format!(
                "last_clean_period: '{p}' is not a period (expected \"YYYY-MM\")"
            ));
        }
    }
    let mut lane_owners = Vec::new();
    for (lane, owner) in &raw.lane_owners {
        match Lane::parse(lane) {
            Some(lane) if !owner.trim().is_empty() => lane_owners.push(LaneOwner {
                lane,
                owner: owner.clone(),
            }),
            Some(_) => problems.push(format!("lane_owners.{lane}: empty owner")),
            None => problems.push(format!(
                "lane_owners.{lane}: not a lane (one of {})",
                Lane::choices()
            )),
        }
    }
    let mut roster = Vec::new();
    for (i, login) in raw.roster.iter().enumerate() {
        let at = format!("roster[{i}]");
        if !is_id(&login.login, true) {
            problems.push(format!(
                "{at}.login: '{}' is not a login (1-64 letters, digits, '.', '_', '-' or '@')",
                login.login
            ));
        }
        if roster.iter().any(|r: &RosterEntry| r.login == login.login) {
            problems.push(format!("{at}.login: '{}' is listed twice", login.login));
        }
        if login.display_name.trim().is_empty() {
            problems.push(format!("{at}.display_name: empty"));
        }
        match Role::parse(&login.role) {
            Some(role) => roster.push(RosterEntry {
                login: login.login.clone(),
                display_name: login.display_name.clone(),
                role,
                public_key: None,
            }),
            None => problems.push(format!(
                "{at}.role: '{}' is not one of {}",
                login.role,
                Role::choices()
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(PeriodFile {
        entity: raw.entity,
        close_owner: raw.close_owner,
        currency,
        materiality: [m.medium, m.high, m.critical].map(Money::from_cents),
        exported_on,
        last_clean_period: raw.last_clean_period,
        last_clean_date,
        lane_owners,
        roster,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
entity = "Acme"
close_owner = "finance@acme.example"
[materiality]
medium = 500
high = 50000
critical = 500000
[lane_owners]
exports = "gl@acme.example"
[[roster]]
login = "mhale"
display_name = "Morgan Hale"
role = "lead"
"#;

    #[test]
    fn a_complete_file_reads() {
        let p = parse(GOOD).unwrap();
        assert_eq!(p.materiality[0], Money::from_cents(500));
        assert_eq!(p.roster[0].role, Role::Lead);
        assert_eq!(p.lane_owners[0].lane, Lane::Exports);
    }

    #[test]
    fn every_problem_is_named() {
        let bad = GOOD.replace("\"lead\"", "\"boss\"").replace("exports", "nowhere");
        let problems = parse(&bad).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        let missing = parse("entity = \"Acme\"\n").unwrap_err();
        assert!(missing[0].contains("close_owner"), "{missing:?}");
        // The key named, and the unit said (serde said "invalid type: floating point `5.0`,
        // expected i64").
        let decimals = parse(&GOOD.replace("medium = 500", "medium = 5.00")).unwrap_err();
        assert!(decimals[0].starts_with("line "), "{decimals:?}");
        assert!(
            decimals[0].ends_with(
                ": materiality.medium = 5.0: a threshold is a whole number of the currency's minor unit \
                 (cents for USD: 500 is 5.00), not an amount with decimals"
            ),
            "{decimals:?}"
        );
        let quoted = parse(&GOOD.replace("medium = 500", "medium = \"500\"")).unwrap_err();
        assert!(
            quoted[0].contains("materiality.medium = \"500\": a threshold is a whole number"),
            "{quoted:?}"
        );
    }
}
