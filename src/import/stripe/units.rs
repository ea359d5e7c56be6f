//! Stripe's minor units → the period currency's ISO 4217 minor units (docs/import-stripe.md,
//! "Amounts").
//!
//! Stripe writes every amount as an integer of *its own* minor unit of the currency, which is
//! not always ISO 4217's (docs.stripe.com/currencies, "Zero-decimal currencies" and "Special
//! cases"): the Malagasy ariary is zero-decimal at Stripe and two-decimal in ISO 4217 (Ar 500
//! is `500`, stored as 50000), and the Icelandic króna is two-decimal at Stripe ("ISK will
//! remain a two-decimal currency in the Stripe API, and an ISK amount of 100 will continue to
//! represent 1 króna", support.stripe.com, "Deprecation of fractional ISK charges and
//! refunds") and zero-decimal in ISO 4217 (`500` is 5 kr, stored as 5). Every amount is
//! converted exactly; one that is not a whole number of the ISO minor unit is refused, never
//! rounded.

use serde_json::Value;

use crate::money::{known_currency, CurrencyError};

/// Stripe's zero-decimal currencies: the amount is the number of whole units
/// (docs.stripe.com/currencies#zero-decimal).
pub const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF",
    "XPF",
];

/// Stripe's three-decimal currencies (docs.stripe.com/currencies#three-decimal).
pub const THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];

/// The decimals of Stripe's amounts in `code` (upper case): none for its zero-decimal
/// currencies, three for its three-decimal ones, two for every other ("unless noted
/// otherwise, currencies are two-decimal"). Stripe's special cases: ISK is two-decimal in
/// the API (its last two digits are always 00); HUF and TWD are two-decimal in charges,
/// invoices and refunds and zero-decimal only for payouts, which are not read; UGX is
/// zero-decimal.
pub fn stripe_decimals(code: &str) -> u32 {
    if ZERO_DECIMAL.contains(&code) {
        0
    } else if THREE_DECIMAL.contains(&code) {
        3
    } else {
        2
    }
}

/// How a Stripe amount becomes a count of the ISO 4217 minor unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// The period currency (upper case), for the reasons.
    code: &'static str,
    /// ISO 4217's decimals less Stripe's: the amount is multiplied by `10^shift` when
    /// positive, divided by `10^-shift` (exactly) when negative.
    shift: i32,
}

impl Scale {
    /// The conversion for the currency `code` (upper case); the currency's own error when
    /// closedesk does not know it or it has no minor unit.
    pub fn of(code: &str) -> Result<Scale, CurrencyError> {
        let (code, iso) = known_currency(code)?;
        Ok(Scale {
            code,
            shift: iso as i32 - stripe_decimals(code) as i32,
        })
    }

    /// Whether amounts are kept as Stripe writes them.
    pub fn is_same(self) -> bool {
        self.shift == 0
    }

    /// `amount` (Stripe's integer, at `path`) in the ISO minor unit; a reason when it is not
    /// a whole number of it or does not fit.
    pub fn apply(self, path: &str, amount: i64) -> Result<i64, String> {
        let code = self.code;
        let factor = 10_i64.pow(self.shift.unsigned_abs());
        if self.shift >= 0 {
            amount.checked_mul(factor).ok_or_else(|| {
                format!("{path} is {amount}: too large once in {code}'s ISO 4217 minor unit (×{factor})")
            })
        } else if amount % factor == 0 {
            Ok(amount / factor)
        } else {
            Err(format!(
                "{path} is {amount}: Stripe writes {code} with {} decimals and ISO 4217 with {}, so its \
                 amounts end in {}; {amount} is not a whole number of the unit the period keeps, and is \
                 not rounded (docs/import-stripe.md, \"Amounts\")",
                stripe_decimals(code),
                stripe_decimals(code) as i32 + self.shift,
                "0".repeat(self.shift.unsigned_abs() as usize),
            ))
        }
    }
}

/// The amount fields of an object, as paths: the top-level fields every mapping reads as
/// money, and the ones inside arrays (`lines.data[].taxes[].amount`). A dispute's balance
/// transactions are converted only when they are in the period currency (any other is
/// refused by the mapping).
const TOP: &[&str] = &[
    "amount",
    "amount_captured",
    "amount_paid",
    "amount_received",
    "amount_refunded",
    "amount_remaining",
    "balance",
    "out_of_band_amount",
    "post_payment_amount",
    "pre_payment_amount",
    "starting_balance",
    "total",
];

/// Every integer amount of `value` (one object) converted in place; the first reason an
/// amount cannot be, and then the object is left as it was.
pub fn convert(value: &mut Value, scale: Scale, currency: &str) -> Result<(), String> {
    // Twice: first only to check (so a refused object is left whole), then to write.
    for write in [false, true] {
        each_amount(value, currency, &mut |path, v| {
            let Some(amount) = v.as_i64() else {
                // Not an integer: the mapping refuses it with its own reason.
                return Ok(());
            };
            let converted = scale.apply(path, amount)?;
            if write {
                *v = Value::from(converted);
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Calls `f` with the path and value of every amount field of `value` that is present.
fn each_amount(
    value: &mut Value,
    currency: &str,
    f: &mut dyn FnMut(&str, &mut Value) -> Result<(), String>,
) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Ok(());
    };
    for key in TOP {
        if let Some(v) = map.get_mut(*key) {
            f(key, v)?;
        }
    }
    // An invoice's lines, with their discounts and taxes.
    if let Some(Value::Array(lines)) = map.get_mut("lines").and_then(|l| l.get_mut("data")) {
        for (i, line) in lines.iter_mut().enumerate() {
            if let Some(v) = line.get_mut("amount") {
                f(&format!("lines.data[{i}].amount"), v)?;
            }
            for list in ["discount_amounts", "tax_amounts", "taxes"] {
                if let Some(Value::Array(items)) = line.get_mut(list) {
                    for (j, item) in items.iter_mut().enumerate() {
                        if let Some(v) = item.get_mut("amount") {
                            f(&format!("lines.data[{i}].{list}[{j}].amount"), v)?;
                        }
                    }
                }
            }
        }
    }
    // A post-payment credit note's refunds (a charge's `refunds` is a list object, not read).
    if let Some(Value::Array(items)) = map.get_mut("refunds") {
        for (i, item) in items.iter_mut().enumerate() {
            if let Some(v) = item.get_mut("amount_refunded") {
                f(&format!("refunds[{i}].amount_refunded"), v)?;
            }
        }
    }
    // A dispute's balance transactions in the period currency.
    if let Some(Value::Array(items)) = map.get_mut("balance_transactions") {
        for (i, item) in items.iter_mut().enumerate() {
            let theirs = item.get("currency").and_then(Value::as_str);
            if theirs.is_some_and(|c| !c.eq_ignore_ascii_case(currency)) {
                continue;
            }
            if let Some(v) = item.get_mut("amount") {
                f(&format!("balance_transactions[{i}].amount"), v)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stripe_and_iso_disagree_on_the_ariary_and_the_krona_only_among_stripes_lists() {
        // Where Stripe's own exponent differs from ISO 4217's, among the currencies its lists name.
        let mut differ: Vec<(&str, i32)> = ZERO_DECIMAL
            .iter()
            .chain(THREE_DECIMAL)
            .chain(&["ISK", "HUF", "TWD", "USD", "EUR"])
            .map(|c| (*c, Scale::of(c).unwrap().shift))
            .filter(|(_, shift)| *shift != 0)
            .collect();
        differ.sort();
        assert_eq!(differ, vec![("ISK", -2), ("MGA", 2)]);
    }

    #[test]
    fn amounts_are_converted_exactly_or_refused() {
        let mga = Scale::of("MGA").unwrap();
        assert_eq!(mga.apply("total", 67_000), Ok(6_700_000));
        assert!(mga.apply("total", i64::MAX / 10).is_err());
        let isk = Scale::of("ISK").unwrap();
        assert_eq!(isk.apply("total", 550_000), Ok(5_500));
        assert_eq!(isk.apply("total", -500), Ok(-5));
        assert_eq!(
            isk.apply("total", 5_050),
            Err(
                "total is 5050: Stripe writes ISK with 2 decimals and ISO 4217 with 0, so its amounts \
                 end in 00; 5050 is not a whole number of the unit the period keeps, and is not rounded \
                 (docs/import-stripe.md, \"Amounts\")"
                    .into()
            )
        );
        assert!(Scale::of("JPY").unwrap().is_same());
        assert!(Scale::of("KWD").unwrap().is_same());
    }

    #[test]
    fn every_amount_field_is_converted_and_a_refused_object_is_left_whole() {
        let mut invoice = json!({"id": "in_1", "total": 500, "amount_remaining": 0, "created": 1772701200,
            "lines": {"data": [{"amount": 500, "period": {"start": 1, "end": 2},
                "discount_amounts": [{"amount": 100}], "taxes": [{"amount": 50}]}]},
            "balance_transactions": [{"amount": -500, "currency": "mga"}, {"amount": -7, "currency": "usd"}]});
        convert(&mut invoice, Scale::of("MGA").unwrap(), "MGA").unwrap();
        assert_eq!(
            invoice,
            json!({"id": "in_1", "total": 50000, "amount_remaining": 0, "created": 1772701200,
                "lines": {"data": [{"amount": 50000, "period": {"start": 1, "end": 2},
                    "discount_amounts": [{"amount": 10000}], "taxes": [{"amount": 5000}]}]},
                "balance_transactions": [{"amount": -50000, "currency": "mga"}, {"amount": -7, "currency": "usd"}]})
        );
        let mut note =
            json!({"amount": 1000, "refunds": [{"refund": "re_1", "amount_refunded": 950}], "total": "x"});
        let before = note.clone();
        let err = convert(&mut note, Scale::of("ISK").unwrap(), "ISK").unwrap_err();
        assert!(err.starts_with("refunds[0].amount_refunded is 950:"), "{err}");
        assert_eq!(note, before);
    }
}
