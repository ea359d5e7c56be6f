//! Money: exact to the cent, never floating point.
//!
//! Stored as integer cents in SQLite, carried as a [`Decimal`] of scale 2 in Rust, printed
//! with exactly two decimals. Text that is not an exact amount is rejected, never rounded.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Absolute amounts at or above this many cents are refused (10 trillion currency units).
pub const MAX_ABS_CENTS: i64 = 1_000_000_000_000_000;

/// The absolute amounts of a whole period — every amount cell of every source table, and
/// every employer program's `basis_units × rate` — must add up to less than this many
/// cents (10 trillion currency units; docs/snapshot-format.md, "Bounds"). Every sum and
/// difference the engine forms is of at most a few of these amounts per row, so it stays
/// more than 9,000 times inside an `i64` (and inside SQLite's integer `SUM`).
pub const MAX_TOTAL_ABS_CENTS: i128 = 1_000_000_000_000_000;

/// An exact amount of money in the period's currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Why a piece of text is not an amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is empty")]
    Empty,
    #[error("amount in scientific notation is not allowed")]
    ScientificNotation,
    #[error("amount has a thousands separator")]
    ThousandsSeparator,
    #[error("amount has a leading '+'")]
    LeadingPlus,
    #[error("amount has more than 2 decimals (it would have to be rounded)")]
    TooManyDecimals,
    #[error("amount is out of range")]
    OutOfRange,
    #[error("not an amount (expected e.g. 1250.00 or -12.5)")]
    NotANumber,
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    /// The exact decimal value, scale 2.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// An exact decimal with at most two decimals; anything else is refused.
    pub fn from_decimal(d: Decimal) -> Result<Money, MoneyError> {
        let scaled = d * Decimal::ONE_HUNDRED;
        if scaled.fract() != Decimal::ZERO {
            return Err(MoneyError::TooManyDecimals);
        }
        let cents: i64 = scaled.trunc().try_into().map_err(|_| MoneyError::OutOfRange)?;
        if cents.abs() >= MAX_ABS_CENTS {
            return Err(MoneyError::OutOfRange);
        }
        Ok(Money(cents))
    }

    /// Parses a plain decimal: `1250`, `1250.5`, `-12.07`. See the module docs.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        if t.contains(['e', 'E']) && t.chars().any(|c| c.is_ascii_digit()) {
            return Err(MoneyError::ScientificNotation);
        }
        if t.contains(',') || t.contains('_') || t.contains(' ') || t.contains('\'') {
            return Err(MoneyError::ThousandsSeparator);
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
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 13 {
            return Err(MoneyError::OutOfRange);
        }
        let units: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyError::OutOfRange)?
        };
        let mut frac_cents: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| MoneyError::NotANumber)?
        };
        if frac.len() == 1 {
            frac_cents *= 10;
        }
        let cents = units
            .checked_mul(100)
            .and_then(|c| c.checked_add(frac_cents))
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

    /// `self × numerator / denominator`, truncated toward zero to the cent. Used only for
    /// documented allocations (daily ratable revenue), never for stored figures.
    pub fn allocate(self, numerator: i64, denominator: i64) -> Money {
        if denominator == 0 {
            return Money::ZERO;
        }
        let v = (self.0 as i128) * (numerator as i128) / (denominator as i128);
        Money(v as i64)
    }

    /// Human form with thousands separators: `-4,318.42`.
    pub fn grouped(self) -> String {
        let plain = self.to_string();
        let (sign, rest) = match plain.strip_prefix('-') {
            Some(r) => ("-", r),
            None => ("", plain.as_str()),
        };
        let (whole, frac) = rest.split_once('.').unwrap_or((rest, "00"));
        let mut out = String::with_capacity(plain.len() + whole.len() / 3);
        for (i, ch) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(ch);
        }
        format!("{sign}{out}.{frac}")
    }
}

impl fmt::Display for Money {
    /// Plain form, always two decimals, no separators: `-4318.42`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let s = format!("{sign}{}.{:02}", abs / 100, abs % 100);
        f.pad(&s)
    }
}

impl Serialize for Money {
    /// A JSON number with exactly two decimals (`4318.42`, `14.20`), written from the exact
    /// decimal — never through a float.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        rust_decimal::serde::arbitrary_precision::serialize(&self.to_decimal(), serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    /// The JSON number [`Serialize`] writes, read back exactly (never through a float);
    /// more than two decimals or an out-of-range value is refused.
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

#[cfg(test)]
mod tests {
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
        assert_eq!(Money::parse("1.5E2"), Err(MoneyError::ScientificNotation));
        assert_eq!(Money::parse("1,250.00"), Err(MoneyError::ThousandsSeparator));
        assert_eq!(Money::parse("+5"), Err(MoneyError::LeadingPlus));
        assert_eq!(Money::parse("0.125"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Money::parse("10000000000000.00"), Err(MoneyError::OutOfRange));
        assert_eq!(
            Money::parse("9999999999999.99").unwrap().cents(),
            999_999_999_999_999
        );
        assert_eq!(Money::parse(""), Err(MoneyError::Empty));
        assert_eq!(Money::parse("$5"), Err(MoneyError::NotANumber));
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
            Err(MoneyError::TooManyDecimals)
        );
        assert_eq!(
            Money::from_decimal(Decimal::new(1234, 1)).unwrap().cents(),
            12_340
        );
    }

    #[test]
    fn allocation_truncates_toward_zero() {
        assert_eq!(Money::from_cents(1000).allocate(1, 3).cents(), 333);
        assert_eq!(Money::from_cents(-1000).allocate(1, 3).cents(), -333);
    }
}
