//! Money: exact to the period currency's minor unit, never floating point.
//!
//! An amount is an integer count of the period currency's minor unit (cents for USD, yen
//! for JPY, fils for KWD), stored as such in SQLite and carried as such in Rust. What
//! depends on the currency is only how many decimals its text has, in and out: 0 for JPY,
//! KRW, VND, CLP, ISK…, 2 for most, 3 for BHD, IQD, JOD, KWD, LYD, OMR, TND, 4 for CLF and
//! UYW ([`currency_decimals`], the one ISO 4217 table of closedesk). A code with no minor
//! unit (XAU, XDR, XXX…) or an unknown code is refused at import. Text that is not an exact
//! amount in those decimals is rejected, never rounded.
//!
//! # Which decimals
//!
//! closedesk works on one period per process (a CLI command, the cockpit, `serve`), so the
//! number of decimals that [`fmt::Display`], [`Money::grouped`], serde,
//! [`Money::to_decimal`], [`Money::from_decimal`] and [`Money::parse`] use is
//! process-wide: [`decimals`], two until [`set_decimals`] or [`set_currency`] changes it.
//! [`crate::snapshot::Snapshot::open`] and `create` set it from the period's currency,
//! and the CSV import once period.csv is read (the import itself parses with the decimals
//! of the period it reads, explicitly: [`Money::parse_in`]).
//!
//! Library tests run in parallel threads: a test of another currency wraps its body in
//! [`with_decimals`], a thread-local override that no other thread sees; while it is in
//! force, [`set_decimals`] on that thread changes the override, never the process value.

use std::cell::Cell;
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::sync::atomic::{AtomicU32, Ordering};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Absolute amounts at or above this many minor units are refused (10 trillion currency
/// units in a two-decimal currency, 1,000 trillion in a zero-decimal one, 1 trillion in a
/// three-decimal one).
pub const MAX_ABS_CENTS: i64 = 1_000_000_000_000_000;

/// The absolute amounts of a whole period — every amount cell of every source table, and
/// every employer program's `basis_units × rate` — must add up to less than this many
/// minor units (docs/snapshot-format.md, "Bounds"). Every sum and
/// difference the engine forms is of at most a few of these amounts per row, so it stays
/// more than 9,000 times inside an `i64` (and inside SQLite's integer `SUM`).
pub const MAX_TOTAL_ABS_CENTS: i128 = 1_000_000_000_000_000;

/// The most decimals any currency has (CLF, UYW).
pub const MAX_DECIMALS: u32 = 4;

/// ISO 4217 codes whose minor unit is not the hundredth: (code, decimals).
const NOT_TWO: &[(&str, u32)] = &[
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    ("CLF", 4),
    ("UYW", 4),
];

/// ISO 4217 codes with two decimals: the current list, plus codes withdrawn recently enough
/// to appear in a period still being closed (ANG, CUC, HRK, SLL, ZWL).
const TWO: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD",
    "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY",
    "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD",
    "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS",
    "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD",
    "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB",
    "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU", "UZS", "VED",
    "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

/// ISO 4217 codes with no minor unit: precious metals, the SDR, bond-market units, the
/// testing and "no currency" codes. Amounts in them cannot be kept as a count of a minor
/// unit.
const NO_MINOR_UNIT: &[&str] = &[
    "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX",
];

/// Why a currency code cannot be a period's currency.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    #[error("is an ISO 4217 code with no minor unit (a metal, a fund or a testing code): amounts in it cannot be kept exactly")]
    NoMinorUnit,
    #[error("is not an ISO 4217 currency code closedesk knows (e.g. USD, EUR, JPY, KWD)")]
    Unknown,
}

/// The number of decimals of an ISO 4217 currency's minor unit (`JPY` 0, `USD` 2, `KWD` 3,
/// `CLF` 4). The code is matched exactly (three capital letters).
pub fn currency_decimals(code: &str) -> Result<u32, CurrencyError> {
    known_currency(code).map(|(_, d)| d)
}

/// The table's own spelling of `code` and its decimals ([`currency_decimals`]).
pub fn known_currency(code: &str) -> Result<(&'static str, u32), CurrencyError> {
    if let Some(&(c, d)) = NOT_TWO.iter().find(|(c, _)| *c == code) {
        Ok((c, d))
    } else if let Some(c) = TWO.iter().find(|c| **c == code) {
        Ok((c, 2))
    } else if NO_MINOR_UNIT.contains(&code) {
        Err(CurrencyError::NoMinorUnit)
    } else {
        Err(CurrencyError::Unknown)
    }
}

/// The sign a spreadsheet writes before an amount in `code` (`$` for USD, `€` for EUR),
/// where closedesk reads one: a sign shared by several currencies (`$`, `¥`) stands for
/// each of them, the period's currency saying which.
pub fn currency_sign(code: &str) -> Option<char> {
    match code {
        "USD" | "CAD" | "AUD" | "NZD" | "SGD" | "HKD" | "MXN" => Some('$'),
        "EUR" => Some('€'),
        "GBP" => Some('£'),
        "JPY" | "CNY" => Some('¥'),
        "INR" => Some('₹'),
        "KRW" => Some('₩'),
        _ => None,
    }
}

/// The currency signs [`Money::parse`] refuses and [`currency_sign`] knows.
pub const CURRENCY_SIGNS: &[char] = &['$', '€', '£', '¥', '₹', '₩', '¤'];

static PROCESS_DECIMALS: AtomicU32 = AtomicU32::new(2);

thread_local! {
    static OVERRIDE: Cell<Option<u32>> = const { Cell::new(None) };
}

/// The number of decimals amounts are read and written with on this thread: the override
/// of [`with_decimals`] when one is in force, else the process's (two unless set).
pub fn decimals() -> u32 {
    OVERRIDE
        .with(Cell::get)
        .unwrap_or_else(|| PROCESS_DECIMALS.load(Ordering::Relaxed))
}

/// Sets the number of decimals for the process — or, on a thread inside [`with_decimals`],
/// for that override only. Values above [`MAX_DECIMALS`] are clamped.
pub fn set_decimals(decimals: u32) {
    let decimals = decimals.min(MAX_DECIMALS);
    let overridden = OVERRIDE.with(|o| {
        if o.get().is_some() {
            o.set(Some(decimals));
            true
        } else {
            false
        }
    });
    if !overridden {
        PROCESS_DECIMALS.store(decimals, Ordering::Relaxed);
    }
}

/// [`set_decimals`] with the currency's decimals. A currency closedesk does not know (a
/// file edited by hand, or written before the currency table existed) keeps two, the
/// decimals every amount had then; its error is returned for whoever wants to say so.
pub fn set_currency(code: &str) -> Result<u32, CurrencyError> {
    let found = currency_decimals(code);
    set_decimals(*found.as_ref().unwrap_or(&2));
    found
}

/// Runs `f` with amounts read and written with `decimals` on this thread only (for tests:
/// the process's value is neither used nor changed), then restores what was before.
pub fn with_decimals<R>(decimals: u32, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u32>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0;
            OVERRIDE.with(|o| o.set(before));
        }
    }
    let _restore = Restore(OVERRIDE.with(|o| o.replace(Some(decimals.min(MAX_DECIMALS)))));
    f()
}

/// `10^decimals`.
fn scale(decimals: u32) -> i64 {
    10_i64.pow(decimals)
}

/// An exact amount of money in the period's currency: a count of its minor unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Why a piece of text is not an amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is empty")]
    Empty,
    #[error("amount in scientific notation is not allowed: write the amount in full, e.g. 40000.00")]
    ScientificNotation,
    /// `100.00 EUR`, `$12.00`: a code or sign beside the number (it read as scientific
    /// notation, for the E of EUR).
    #[error("amount has a currency code or sign in it: write the number alone, e.g. 100.00, in the period's currency")]
    CurrencyInAmount,
    #[error("amount has a thousands separator: write the digits alone, e.g. 1234.56")]
    ThousandsSeparator,
    #[error("amount has a decimal comma: write the decimals after a point, e.g. 9.75")]
    DecimalComma,
    #[error("amount in parentheses: write a negative amount with a minus, e.g. -12.00")]
    Parentheses,
    #[error("amount has a space inside it (write it as digits, e.g. -500.00)")]
    InnerSpace,
    #[error("amount has a leading '+'")]
    LeadingPlus,
    #[error("amount has more than {0} decimals (it would have to be rounded)")]
    TooManyDecimals(u32),
    /// More decimals than the currency has, all zeros past them (`0.120` in USD): exact,
    /// but not written in the currency's minor unit.
    #[error("amount has more than {0} decimals (the extra ones are zeros: write it with at most {0})")]
    ExtraZeros(u32),
    #[error("amount is out of range")]
    OutOfRange,
    #[error("not an amount (expected e.g. 1250.00 or -12.5)")]
    NotANumber,
}

impl Money {
    pub const ZERO: Money = Money(0);

    /// The amount of this many minor units (cents, yen, fils — whatever the period's
    /// currency has).
    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    /// The count of minor units.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// The exact decimal value, in the process's decimals ([`decimals`]).
    pub fn to_decimal(self) -> Decimal {
        self.to_decimal_in(decimals())
    }

    /// The exact decimal value with `decimals` decimals.
    pub fn to_decimal_in(self, decimals: u32) -> Decimal {
        Decimal::new(self.0, decimals.min(MAX_DECIMALS))
    }

    /// An exact decimal with at most the process's decimals; anything else is refused.
    pub fn from_decimal(d: Decimal) -> Result<Money, MoneyError> {
        Money::from_decimal_in(d, decimals())
    }

    /// An exact decimal with at most `decimals` decimals; anything else is refused.
    pub fn from_decimal_in(d: Decimal, decimals: u32) -> Result<Money, MoneyError> {
        let decimals = decimals.min(MAX_DECIMALS);
        let scaled = d
            .checked_mul(Decimal::from(scale(decimals)))
            .ok_or(MoneyError::OutOfRange)?;
        if scaled.fract() != Decimal::ZERO {
            return Err(MoneyError::TooManyDecimals(decimals));
        }
        let cents: i64 = scaled.trunc().try_into().map_err(|_| MoneyError::OutOfRange)?;
        if cents.abs() >= MAX_ABS_CENTS {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Money(cents))
    }

    /// Parses a plain decimal in the process's decimals ([`decimals`]): `1250`, `1250.5`,
    /// `-12.07`. See the module docs.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        Money::parse_in(text, decimals())
    }

    /// Parses a plain decimal with at most `decimals` decimals (`1250`, `1250.5`,
    /// `-12.07` at two; `67000` at zero; `12.345` at three) into minor units.
    pub fn parse_in(text: &str, decimals: u32) -> Result<Money, MoneyError> {
        let decimals = decimals.min(MAX_DECIMALS);
        let t = text.trim();
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        // A run of exactly three letters that is an ISO 4217 code (`EUR`, `usd`).
        let code = t
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| w.len() == 3 && known_currency(&w.to_ascii_uppercase()).is_ok());
        if code || t.contains(CURRENCY_SIGNS) {
            return Err(MoneyError::CurrencyInAmount);
        }
        if is_scientific(t) {
            return Err(MoneyError::ScientificNotation);
        }
        if t.starts_with('(') && t.ends_with(')') && t.len() > 2 {
            return Err(MoneyError::Parentheses);
        }
        // `9,75`: one comma, no point, and not three digits after it (`1,250` is a thousand).
        if let Some((whole, frac)) = t.split_once(',') {
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if !t.contains('.') && digits(whole.trim_start_matches('-')) && digits(frac) && frac.len() != 3 {
                return Err(MoneyError::DecimalComma);
            }
        }
        if t.contains(',') || t.contains('_') || t.contains('\'') {
            return Err(MoneyError::ThousandsSeparator);
        }
        if t.contains(char::is_whitespace) {
            return Err(MoneyError::InnerSpace);
        }
        if t.starts_with('+') {
            return Err(MoneyError::LeadingPlus);
        }
        let (negative, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (whole, frac) = match body.split_once('.') {
            Some((w, f)) => (w, f),
            None => (body, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || (body.contains('.') && frac.is_empty()) {
            return Err(MoneyError::NotANumber);
        }
        if frac.len() > decimals as usize {
            if frac.bytes().skip(decimals as usize).all(|b| b == b'0') {
                return Err(MoneyError::ExtraZeros(decimals));
            }
            return Err(MoneyError::TooManyDecimals(decimals));
        }
        let whole = whole.trim_start_matches('0');
        // MAX_ABS_CENTS is 10^15 minor units: at most 15 − decimals whole digits.
        if whole.len() > 15 - decimals as usize {
            return Err(MoneyError::OutOfRange);
        }
        let units: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyError::OutOfRange)?
        };
        let frac_minor: i64 = if frac.is_empty() {
            0
        } else {
            let f: i64 = frac.parse().map_err(|_| MoneyError::NotANumber)?;
            f * scale(decimals - frac.len() as u32)
        };
        let cents = units
            .checked_mul(scale(decimals))
            .and_then(|c| c.checked_add(frac_minor))
            .ok_or(MoneyError::OutOfRange)?;
        if cents >= MAX_ABS_CENTS {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Money(if negative { -cents } else { cents }))
    }

    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `amount × units`, exact; `None` on overflow.
    pub fn checked_mul_units(self, units: i64) -> Option<Money> {
        self.0.checked_mul(units).map(Money)
    }

    /// `self × numerator / denominator`, truncated toward zero to the minor unit. Used only
    /// for documented allocations (daily ratable revenue), never for stored figures.
    pub fn allocate(self, numerator: i64, denominator: i64) -> Money {
        if denominator == 0 {
            return Money::ZERO;
        }
        let v = (self.0 as i128) * (numerator as i128) / (denominator as i128);
        Money(v as i64)
    }

    /// Plain form with `decimals` decimals, no separators: `-4318.42` at two, `67000` at
    /// zero, `12.345` at three.
    pub fn plain_in(self, decimals: u32) -> String {
        let decimals = decimals.min(MAX_DECIMALS);
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        if decimals == 0 {
            return format!("{sign}{abs}");
        }
        let scale = scale(decimals) as u64;
        let width = decimals as usize;
        format!("{sign}{}.{:0width$}", abs / scale, abs % scale)
    }

    /// Human form with thousands separators, in the process's decimals: `-4,318.42`,
    /// `67,000` (JPY), `12.345` (KWD).
    pub fn grouped(self) -> String {
        self.grouped_in(decimals())
    }

    /// Human form with thousands separators and `decimals` decimals.
    pub fn grouped_in(self, decimals: u32) -> String {
        let plain = self.plain_in(decimals);
        let (sign, rest) = match plain.strip_prefix('-') {
            Some(r) => ("-", r),
            None => ("", plain.as_str()),
        };
        let (whole, frac) = match rest.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (rest, None),
        };
        let mut out = String::with_capacity(plain.len() + whole.len() / 3);
        out.push_str(sign);
        for (i, ch) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(ch);
        }
        if let Some(frac) = frac {
            out.push('.');
            out.push_str(frac);
        }
        out
    }
}

impl fmt::Display for Money {
    /// Plain form in the process's decimals, no separators: `-4318.42`, `67000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.plain_in(decimals()))
    }
}

impl Serialize for Money {
    /// A JSON number with exactly the process's decimals (`4318.42`, `14.20`; `67000` in
    /// JPY, `12.345` in KWD), written from the exact decimal — never through a float.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        rust_decimal::serde::arbitrary_precision::serialize(&self.to_decimal(), serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    /// The JSON number [`Serialize`] writes, read back exactly (never through a float);
    /// more than the process's decimals or an out-of-range value is refused.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let d = rust_decimal::serde::arbitrary_precision::deserialize(deserializer)?;
        Money::from_decimal(d).map_err(serde::de::Error::custom)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}
impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}
impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}
impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}
impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}
impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}
impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + *b)
    }
}

/// `4e4`, `1.25E-3`, `-2e+5`: a number in scientific notation, and nothing else (`1\x1b[31mRED`
/// has an E after a digit, and is no number at all).
fn is_scientific(t: &str) -> bool {
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    let Some((mantissa, exponent)) = t.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, part)) => {
            (digits(whole) || whole.is_empty()) && (digits(part) || part.is_empty()) && mantissa != "."
        }
        None => digits(mantissa),
    };
    mantissa_ok && digits(exponent)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_number_in_scientific_notation_is_called_one() {
        for sci in ["4e4", "1.25e3", "-2E+5", ".5e1", "1.e2"] {
            assert_eq!(
                Money::parse_in(sci, 2),
                Err(MoneyError::ScientificNotation),
                "{sci}"
            );
        }
        // An E after a digit in text that is no number (a pasted escape sequence, a word).
        for not in ["1\x1b[31mRED", "12 each", "3rd", "e5", "1e", "1e5x"] {
            assert_ne!(
                Money::parse_in(not, 2),
                Err(MoneyError::ScientificNotation),
                "{not}"
            );
        }
    }

    use super::*;

    #[test]
    fn parses_plain_amounts_exactly() {
        assert_eq!(Money::parse("1250").unwrap().cents(), 125_000);
        assert_eq!(Money::parse("1250.5").unwrap().cents(), 125_050);
        assert_eq!(Money::parse("-12.07").unwrap().cents(), -1_207);
        assert_eq!(Money::parse("0.01").unwrap().cents(), 1);
        assert_eq!(Money::parse("007.10").unwrap().cents(), 710);
    }

    #[test]
    fn refuses_what_would_need_rounding_or_guessing() {
        assert_eq!(Money::parse("1e3"), Err(MoneyError::ScientificNotation));
        // A currency beside the number is named as that ("100.00 EUR" read as 1e…).
        for text in ["100.00 EUR", "100 EUR", "EUR100", "$12.00", "12.00€", "12.00 usd"] {
            assert_eq!(Money::parse(text), Err(MoneyError::CurrencyInAmount), "{text}");
        }
        assert_eq!(Money::parse("1.5E2"), Err(MoneyError::ScientificNotation));
        assert_eq!(Money::parse("1,250.00"), Err(MoneyError::ThousandsSeparator));
        assert_eq!(Money::parse("1,250"), Err(MoneyError::ThousandsSeparator));
        assert_eq!(Money::parse("9,75"), Err(MoneyError::DecimalComma));
        assert_eq!(Money::parse("-0,5"), Err(MoneyError::DecimalComma));
        assert_eq!(Money::parse("(12.00)"), Err(MoneyError::Parentheses));
        assert_eq!(Money::parse("+5"), Err(MoneyError::LeadingPlus));
        assert_eq!(Money::parse("0.125"), Err(MoneyError::TooManyDecimals(2)));
        assert_eq!(Money::parse("0.120"), Err(MoneyError::ExtraZeros(2)));
        for spaced in ["5 00", "- 5", "1\t000"] {
            assert_eq!(Money::parse(spaced), Err(MoneyError::InnerSpace), "{spaced:?}");
        }
        assert_eq!(
            MoneyError::ExtraZeros(2).to_string(),
            "amount has more than 2 decimals (the extra ones are zeros: write it with at most 2)"
        );
        assert_eq!(Money::parse("10000000000000.00"), Err(MoneyError::OutOfRange));
        assert_eq!(
            Money::parse("9999999999999.99").unwrap().cents(),
            999_999_999_999_999
        );
        assert_eq!(Money::parse(""), Err(MoneyError::Empty));
        assert_eq!(Money::parse("$5"), Err(MoneyError::CurrencyInAmount));
        assert_eq!(Money::parse("5."), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse(".5"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("NaN"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse("--5"), Err(MoneyError::NotANumber));
    }

    #[test]
    fn prints_two_decimals_plain_and_grouped() {
        assert_eq!(Money::from_cents(431_842).to_string(), "4318.42");
        assert_eq!(Money::from_cents(-5).to_string(), "-0.05");
        assert_eq!(Money::from_cents(1_420).to_string(), "14.20");
        assert_eq!(Money::from_cents(10_000_000).grouped(), "100,000.00");
        assert_eq!(Money::from_cents(-123_456_789).grouped(), "-1,234,567.89");
        assert_eq!(Money::from_cents(99).grouped(), "0.99");
    }

    #[test]
    fn serializes_as_exact_json_number() {
        let v = serde_json::to_string(&Money::from_cents(1_420)).unwrap();
        assert_eq!(v, "14.20");
        let v = serde_json::to_string(&Money::from_cents(-91_213)).unwrap();
        assert_eq!(v, "-912.13");
    }

    #[test]
    fn decimal_round_trip_refuses_sub_cent() {
        assert_eq!(
            Money::from_decimal(Decimal::new(12345, 3)),
            Err(MoneyError::TooManyDecimals(2))
        );
        assert_eq!(
            Money::from_decimal(Decimal::new(1234, 1)).unwrap().cents(),
            12_340
        );
    }

    #[test]
    fn the_iso_4217_table() {
        let by_minor_units: [(&[&str], Result<u32, CurrencyError>); 6] = [
            (&["USD", "EUR"], Ok(2)),
            (&["JPY", "KRW", "VND", "CLP", "ISK"], Ok(0)),
            (&["KWD", "BHD", "TND"], Ok(3)),
            (&["CLF", "UYW"], Ok(4)),
            (&["XAU", "XDR", "XXX"], Err(CurrencyError::NoMinorUnit)),
            (&["XYZ", "usd"], Err(CurrencyError::Unknown)),
        ];
        for (codes, decimals) in by_minor_units {
            for code in codes {
                assert_eq!(currency_decimals(code), decimals, "{code}");
            }
        }
        // No code is in two lists.
        for (code, _) in NOT_TWO {
            assert!(!TWO.contains(code) && !NO_MINOR_UNIT.contains(code), "{code}");
        }
        for code in TWO {
            assert!(!NO_MINOR_UNIT.contains(code), "{code}");
        }
    }

    #[test]
    fn zero_decimals_jpy() {
        with_decimals(0, || {
            assert_eq!(decimals(), 0);
            assert_eq!(Money::parse("67000").unwrap().cents(), 67_000);
            assert_eq!(Money::parse("-12").unwrap().cents(), -12);
            assert_eq!(Money::parse("12.5"), Err(MoneyError::TooManyDecimals(0)));
            // Exact, but not written in yen: refused, and the message says it is not rounding.
            assert_eq!(Money::parse("12.0"), Err(MoneyError::ExtraZeros(0)));
            assert_eq!(
                Money::parse("12.5").unwrap_err().to_string(),
                "amount has more than 0 decimals (it would have to be rounded)"
            );
            assert_eq!(
                Money::parse("999999999999999").unwrap().cents(),
                999_999_999_999_999
            );
            assert_eq!(Money::parse("1000000000000000"), Err(MoneyError::OutOfRange));
            let m = Money::from_cents(67_000);
            assert_eq!(m.to_string(), "67000");
            assert_eq!(m.grouped(), "67,000");
            assert_eq!(Money::from_cents(-1_234_567).grouped(), "-1,234,567");
            assert_eq!(Money::from_cents(5).grouped(), "5");
            assert_eq!(serde_json::to_string(&m).unwrap(), "67000");
            assert_eq!(serde_json::from_str::<Money>("67000").unwrap(), m);
            assert!(serde_json::from_str::<Money>("670.5").is_err());
            assert_eq!(m.to_decimal(), Decimal::new(67_000, 0));
            assert_eq!(Money::from_decimal(Decimal::new(67_000, 0)), Ok(m));
            assert_eq!(
                Money::from_decimal(Decimal::new(125, 1)),
                Err(MoneyError::TooManyDecimals(0))
            );
        });
    }

    #[test]
    fn three_decimals_kwd() {
        with_decimals(3, || {
            assert_eq!(Money::parse("12.345").unwrap().cents(), 12_345);
            assert_eq!(Money::parse("12.3").unwrap().cents(), 12_300);
            assert_eq!(Money::parse("-0.05").unwrap().cents(), -50);
            assert_eq!(Money::parse("1.2345"), Err(MoneyError::TooManyDecimals(3)));
            assert_eq!(Money::parse("1000000000000"), Err(MoneyError::OutOfRange));
            let m = Money::from_cents(12_345);
            assert_eq!(m.to_string(), "12.345");
            assert_eq!(Money::from_cents(-5).to_string(), "-0.005");
            assert_eq!(Money::from_cents(1_234_567_890).grouped(), "1,234,567.890");
            assert_eq!(serde_json::to_string(&m).unwrap(), "12.345");
            assert_eq!(
                serde_json::to_string(&Money::from_cents(12_300)).unwrap(),
                "12.300"
            );
            assert_eq!(serde_json::from_str::<Money>("12.345").unwrap(), m);
            assert!(serde_json::from_str::<Money>("12.3456").is_err());
        });
    }

    #[test]
    fn four_decimals_and_explicit_decimals() {
        assert_eq!(Money::parse_in("1.2345", 4).unwrap().cents(), 12_345);
        assert_eq!(Money::from_cents(12_345).plain_in(4), "1.2345");
        assert_eq!(Money::parse_in("67000", 0).unwrap().cents(), 67_000);
        assert_eq!(Money::from_cents(67_000).grouped_in(0), "67,000");
        assert_eq!(Money::from_cents(67_000).grouped_in(2), "670.00");
    }

    #[test]
    fn the_override_is_this_thread_s_only() {
        with_decimals(0, || {
            assert_eq!(Money::from_cents(100).to_string(), "100");
            // set_decimals inside an override changes the override, not the process.
            set_decimals(3);
            assert_eq!(decimals(), 3);
            let other = std::thread::spawn(decimals).join().unwrap();
            assert_eq!(other, 2);
            with_decimals(2, || assert_eq!(Money::from_cents(100).to_string(), "1.00"));
            assert_eq!(decimals(), 3);
        });
        assert_eq!(decimals(), 2);
        assert_eq!(Money::from_cents(100).to_string(), "1.00");
    }

    #[test]
    fn allocation_truncates_toward_zero() {
        assert_eq!(Money::from_cents(1000).allocate(1, 3).cents(), 333);
        assert_eq!(Money::from_cents(-1000).allocate(1, 3).cents(), -333);
    }
}
