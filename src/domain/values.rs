//! Checked values: each type here can only hold a valid value, and parsing one says what is wrong.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A date of reduced precision, as the sources give it: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, a real date.
/// Stored and returned exactly as written, so it sorts as text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "2016-03")]
pub struct PartialDate(String);

/// Exactly the texts `PartialDate::parse` takes, as a regular expression (the OpenAPI document's
/// pattern, anchored there): each month's length, and 29 February in leap years only.
pub const PARTIAL_DATE_PATTERN: &str = concat!(
    "(",
    "[1-9][0-9]{3}(-(0[1-9]|1[0-2]))?",
    "|[1-9][0-9]{3}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])",
    "|[1-9][0-9]{3}-(0[469]|11)-(0[1-9]|[12][0-9]|30)",
    "|[1-9][0-9]{3}-02-(0[1-9]|1[0-9]|2[0-8])",
    // Leap years: divisible by 4 but not by 100, or by 400.
    "|([1-9][0-9](0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26])00)-02-29",
    ")"
);

impl PartialDate {
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("`{text}` is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD");
        let parts: Vec<&str> = text.split('-').collect();
        let widths = [4, 2, 2];
        if parts.len() > 3
            || parts.iter().zip(widths).any(|(part, width)| {
                part.len() != width || !part.bytes().all(|b| b.is_ascii_digit())
            })
        {
            return Err(invalid());
        }
        let number = |i: usize| parts.get(i).map(|p| p.parse::<u32>().unwrap_or(0));
        let year = number(0).unwrap_or(0) as i32;
        let month = number(1).unwrap_or(1);
        let day = number(2).unwrap_or(1);
        if year < 1000 {
            return Err(format!(
                "`{text}`: the year must have four digits, 1000 or later"
            ));
        }
        if chrono::NaiveDate::from_ymd_opt(year, month, day).is_none() {
            return Err(format!("`{text}` is not a real date"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn year(&self) -> i32 {
        self.0[..4].parse().unwrap_or_default()
    }
}

impl TryFrom<String> for PartialDate {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<PartialDate> for String {
    fn from(date: PartialDate) -> String {
        date.0
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[A-Z]{2}$", example = "JP")]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(text: &str) -> Result<Self, String> {
        match isocountry::CountryCode::for_alpha2(text) {
            Ok(_) => Ok(Self(text.to_owned())),
            Err(_) => Err(format!(
                "`{text}` is not an ISO 3166-1 alpha-2 country code (such as JP, CN, KH)"
            )),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CountryCode {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<CountryCode> for String {
    fn from(code: CountryCode) -> String {
        code.0
    }
}

/// An ISO 4217 currency code, upper case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[A-Z]{3}$", example = "JPY")]
pub struct CurrencyCode(iso_currency::Currency);

impl CurrencyCode {
    pub fn parse(text: &str) -> Result<Self, String> {
        iso_currency::Currency::from_code(text)
            .map(Self)
            .ok_or_else(|| format!("`{text}` is not an ISO 4217 currency code (such as JPY, USD)"))
    }
    /// Digits after the decimal point in this currency's minor unit (0 for JPY, 2 for USD).
    pub fn exponent(self) -> u32 {
        self.0.exponent().unwrap_or(0).into()
    }
    pub fn code(self) -> String {
        self.0.code().to_owned()
    }
}

impl TryFrom<String> for CurrencyCode {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<CurrencyCode> for String {
    fn from(code: CurrencyCode) -> String {
        code.code()
    }
}

/// A decimal number written as a string (`"800000000"`, `"12.5"`, `"-0.3"`): never a float, so it is
/// kept exactly. At most 40 characters, and 28 digits before the point (what arithmetic keeps).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "800000000")]
pub struct Decimal(String);

/// The longest decimal or amount, in characters.
pub const MAX_DECIMAL_LENGTH: usize = 40;

/// Exactly the texts of at most `MAX_DECIMAL_LENGTH` characters that `Decimal::parse` takes, as a
/// regular expression (the OpenAPI document's pattern, anchored there).
pub const DECIMAL_PATTERN: &str = r"-?0*[0-9]{1,28}(\.[0-9]+)?";

impl Decimal {
    pub fn parse(text: &str) -> Result<Self, String> {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || !all_digits(fraction) || text.len() > MAX_DECIMAL_LENGTH {
            return Err(format!(
                "`{text}` is not a decimal number written as a string of at most {MAX_DECIMAL_LENGTH} \
                 characters, such as \"1250.50\""
            ));
        }
        if whole.trim_start_matches('0').len() > 28 {
            return Err(format!("`{text}` has more than 28 digits before the point"));
        }
        Ok(Self(text.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The number, for arithmetic (digits past the 28 significant ones it keeps are rounded).
    pub fn number(&self) -> rust_decimal::Decimal {
        self.0
            .parse()
            .expect("a decimal has at most 28 digits before the point")
    }
}

impl TryFrom<String> for Decimal {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<Decimal> for String {
    fn from(value: Decimal) -> String {
        value.0
    }
}

/// An amount of money, in major units of its currency: a decimal written as a string, at least 0 and
/// at most 100000000000000 (10^14, in any currency), with no sign. It may have no more decimals than its
/// currency has (JPY none, USD 2), which the record's `currency` decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "800000000")]
pub struct Amount(Decimal);

/// Exactly the texts of at most `MAX_DECIMAL_LENGTH` characters that `Amount::parse` takes, as a
/// regular expression: up to 14 digits before the point, or 10^14 itself.
pub const AMOUNT_PATTERN: &str = r"0*([0-9]{1,14}(\.[0-9]+)?|100000000000000(\.0+)?)";

impl Amount {
    pub fn parse(text: &str) -> Result<Self, String> {
        let decimal = Decimal::parse(text)?;
        if text.starts_with('-') {
            return Err("an amount has no sign, and cannot be negative".into());
        }
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let whole = whole.trim_start_matches('0');
        let over_max = whole.len() > 15
            || (whole.len() == 15
                && (whole != MAX_AMOUNT.to_string() || fraction.bytes().any(|b| b != b'0')));
        if over_max {
            return Err(format!("`{text}` is larger than the maximum, {MAX_AMOUNT}"));
        }
        Ok(Self(decimal))
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<String> for Amount {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<Amount> for String {
    fn from(value: Amount) -> String {
        value.0.into()
    }
}

/// The largest amount, in major units of any currency: with up to 4 decimals (ISO 4217's most), its
/// minor units still fit in i64.
pub const MAX_AMOUNT: i64 = 100_000_000_000_000;

/// An amount of money in integer minor units of its currency, so sums are exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: CurrencyCode,
}

impl Money {
    /// Reads `amount` in `currency`; it may not have more decimals than the currency's minor unit.
    pub fn new(amount: &Amount, currency: CurrencyCode) -> Result<Self, String> {
        let text = amount.as_str();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let fraction = fraction.trim_end_matches('0');
        let exponent = currency.exponent();
        if fraction.len() > exponent as usize {
            return Err(format!(
                "{} has {exponent} decimal places; `{text}` has more",
                currency.code()
            ));
        }
        // At most 10^14 with at most 4 decimals: at most 10^18 minor units, which fit in i64.
        let padded = format!("{whole}{fraction:0<width$}", width = exponent as usize);
        let minor = padded
            .parse::<i64>()
            .expect("an amount's minor units fit in i64");
        Ok(Self { minor, currency })
    }

    /// The amount as a decimal string with the currency's number of decimals (`"1250.50"`, `"800000000"`).
    pub fn amount(&self) -> Amount {
        Amount(Decimal(format_minor(
            self.minor as i128,
            self.currency.exponent(),
        )))
    }
}

/// Formats an integer count of minor units as a decimal string with `exponent` decimals.
pub fn format_minor(minor: i128, exponent: u32) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10i128.pow(exponent);
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.abs();
    format!(
        "{sign}{}.{:0width$}",
        minor / scale,
        minor % scale,
        width = exponent as usize
    )
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_dates_must_be_real() {
        for good in ["1981", "2016-03", "2016-02-29", "2009-06-14"] {
            assert_eq!(PartialDate::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "2016-02-30",
            "2016-13",
            "2015-02-29",
            "81",
            "2016-3",
            "2016-03-",
            "abcd",
            "0999",
        ] {
            assert!(PartialDate::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(PartialDate::parse("2016-03").unwrap().year(), 2016);
    }

    #[test]
    fn money_is_exact_minor_units() {
        let jpy = CurrencyCode::parse("JPY").unwrap();
        let usd = CurrencyCode::parse("USD").unwrap();
        let m = |a: &str, c| Amount::parse(a).and_then(|amount| Money::new(&amount, c));
        assert_eq!(m("800000000", jpy).unwrap().minor, 800_000_000);
        assert_eq!(m("12.5", usd).unwrap().minor, 1250);
        assert_eq!(m("12.5", usd).unwrap().amount().as_str(), "12.50");
        assert_eq!(m("0.01", usd).unwrap().minor, 1);
        assert!(m("1.5", jpy).is_err());
        assert!(m("-1", jpy).is_err());
        assert!(m("99999999999999999999", jpy).is_err());
        let clf = CurrencyCode::parse("CLF").unwrap();
        assert_eq!(clf.exponent(), 4);
        assert_eq!(
            m("100000000000000", clf).unwrap().minor,
            1_000_000_000_000_000_000
        );
        assert_eq!(m("100000000000000.0000", jpy).unwrap().minor, MAX_AMOUNT);
        assert!(m("100000000000000.0001", clf).is_err());
        assert!(m("100000000000001", jpy).is_err());
        assert!(m(&"9".repeat(40), jpy).is_err());
        assert!(m("-0", jpy).is_err());
        assert_eq!(m(&format!("{:0>40}", "1"), jpy).unwrap().minor, 1);
        assert_eq!(format_minor(-5, 2), "-0.05");
    }

    #[test]
    fn codes_are_checked() {
        assert!(CountryCode::parse("JP").is_ok());
        assert!(CountryCode::parse("XX").is_err());
        assert!(CountryCode::parse("jp").is_err());
        assert!(CurrencyCode::parse("JPY").is_ok());
        assert!(CurrencyCode::parse("YEN").is_err());
        assert!(Decimal::parse("1e5").is_err());
        assert!(Decimal::parse("1.").is_err());
        assert!(Decimal::parse("-0.3").is_ok());
    }

    #[test]
    fn the_partial_date_pattern_has_29_february_in_leap_years_only() {
        let pattern = regex::Regex::new(&format!("^{PARTIAL_DATE_PATTERN}$")).unwrap();
        for year in 1000..=9999 {
            let leap = chrono::NaiveDate::from_ymd_opt(year, 2, 29).is_some();
            assert_eq!(pattern.is_match(&format!("{year}-02-29")), leap, "{year}");
            assert!(pattern.is_match(&format!("{year}-02-28")), "{year}");
        }
        assert!(!pattern.is_match("0999"));
        assert!(!pattern.is_match("2016-04-31"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn partial_dates_read_back_as_written(y in 1000i32..=9999, m in 1u32..=12, d in 1u32..=31, precision in 0..3) {
                let text = match precision {
                    0 => format!("{y}"),
                    1 => format!("{y}-{m:02}"),
                    _ => format!("{y}-{m:02}-{d:02}"),
                };
                let real = chrono::NaiveDate::from_ymd_opt(y, m, if precision == 2 { d } else { 1 }).is_some();
                match PartialDate::parse(&text) {
                    Ok(date) => {
                        prop_assert!(real);
                        prop_assert_eq!(date.as_str(), text.as_str());
                        prop_assert_eq!(PartialDate::parse(date.as_str()).unwrap(), date.clone());
                        prop_assert_eq!(date.year(), y);
                    }
                    Err(message) => prop_assert!(!real, "{text}: {message}"),
                }
            }

            /// What the documented pattern allows the server takes.
            #[test]
            fn the_documented_pattern_is_what_partial_dates_take(text in PARTIAL_DATE_PATTERN) {
                prop_assert!(PartialDate::parse(&text).is_ok(), "{text}");
            }

            #[test]
            fn partial_dates_refuse_what_the_pattern_refuses(text in any::<String>()) {
                let pattern = regex::Regex::new(&format!("^{PARTIAL_DATE_PATTERN}$")).unwrap();
                if PartialDate::parse(&text).is_ok() {
                    prop_assert!(pattern.is_match(&text), "{text:?}");
                }
            }

            /// Every day of a year is a date of the pattern, and no other: leap years (1600, 2000,
            /// 2024) and the century years that are not (1900, 2100) included.
            #[test]
            fn the_pattern_knows_each_months_length(y in 1000i32..=9999, m in 1u32..=12, d in 1u32..=31) {
                let pattern = regex::Regex::new(&format!("^{PARTIAL_DATE_PATTERN}$")).unwrap();
                let text = format!("{y}-{m:02}-{d:02}");
                let real = chrono::NaiveDate::from_ymd_opt(y, m, d).is_some();
                prop_assert_eq!(pattern.is_match(&text), real, "{}", text);
            }

            #[test]
            fn amounts_read_back_as_written(minor in 0i64..=MAX_AMOUNT * 10_000, code in prop::sample::select(vec!["JPY", "USD", "KWD", "CLF"])) {
                let currency = CurrencyCode::parse(code).unwrap();
                let largest = MAX_AMOUNT * 10i64.pow(currency.exponent());
                let money = Money { minor: minor % (largest + 1), currency };
                let amount = money.amount();
                prop_assert_eq!(Amount::parse(amount.as_str()).unwrap(), amount.clone());
                prop_assert_eq!(Money::new(&amount, currency).unwrap(), money);
            }

            #[test]
            fn amounts_never_panic(text in any::<String>(), digits in "-?[0-9]{0,45}(\\.[0-9]{0,45})?") {
                let currency = CurrencyCode::parse("USD").unwrap();
                for text in [text, digits] {
                    if let Ok(amount) = Amount::parse(&text) {
                        if let Ok(money) = Money::new(&amount, currency) {
                            prop_assert!(money.minor >= 0);
                            prop_assert_eq!(Money::new(&money.amount(), currency).unwrap(), money);
                        }
                    }
                }
            }

            /// Decimals and amounts take exactly what their documented pattern and length allow, so a
            /// client that checks the document is never refused; and every decimal has a number.
            #[test]
            fn decimals_take_what_their_pattern_allows(
                text in any::<String>(),
                digits in "-?0{0,12}[0-9]{0,30}(\\.[0-9]{0,12})?",
                near_max in "0{0,3}10{14}(\\.0{0,3}[0-9]?)?",
            ) {
                let decimal = regex::Regex::new(&format!("^{DECIMAL_PATTERN}$")).unwrap();
                let amount = regex::Regex::new(&format!("^{AMOUNT_PATTERN}$")).unwrap();
                for text in [text, digits, near_max] {
                    let short = text.len() <= MAX_DECIMAL_LENGTH;
                    let parsed = Decimal::parse(&text);
                    prop_assert_eq!(parsed.is_ok(), short && decimal.is_match(&text), "{:?}", text);
                    if let Ok(parsed) = parsed {
                        let _ = parsed.number();
                    }
                    prop_assert_eq!(Amount::parse(&text).is_ok(), short && amount.is_match(&text), "{:?}", text);
                }
            }
        }
    }
}
