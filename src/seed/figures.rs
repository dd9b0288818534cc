//! The figure check: every year, amount and count a seed record stores occurs in the text it cites (its
//! quotes, or the verbatim `context` beside a quote), so no figure of the seed dataset is made up.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// Date fields, wherever they sit in a record (results nest theirs): their year must occur in the text.
const DATE_FIELDS: &[&str] = &[
    "established",
    "ended",
    "signed",
    "start",
    "end",
    "period",
    "value_date",
];

/// Numeric fields, wherever they sit: their value must occur in the text as a number.
const NUMBER_FIELDS: &[&str] = &[
    "amount",
    "share",
    "value",
    "value_low",
    "value_high",
    "population",
    "population_year",
    "participants",
    "count",
];

/// Fields whose figures are the documents' own but not written in digits beside the record's quote.
/// Each entry is `(resource/key, field, why)`; the check skips that field of that record.
pub const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "funding/dalian-model-zone-yen-loan-1999",
        "/amount",
        "the table's OCR splits \"¥ 5.3\" from \"billion\"; 5.3 billion is what with 3.2 billion (2000) \
         makes the stated total of 8.5 billion",
    ),
    (
        "funding/kitakyushu-eco-town-city",
        "/share",
        "the city's 1 of the investment ratio \"1 : 2 : 7\" the quote states, as a percentage",
    ),
    (
        "funding/kitakyushu-eco-town-national",
        "/share",
        "the national government's 2 of the investment ratio \"1 : 2 : 7\", as a percentage",
    ),
    (
        "funding/kitakyushu-eco-town-private",
        "/share",
        "the private sector's 7 of the investment ratio \"1 : 2 : 7\", as a percentage",
    ),
    (
        "exchange/korean-urban-land-management-consortium-visit-2002",
        "/breakdown/0/count",
        "the one president the quote names beside \"nineteen of its other members\"",
    ),
];

/// The figures of `data` that its sources' text does not state, as `field: value` lines.
pub fn missing_figures(resource: &str, key: &str, data: &Map<String, Value>) -> Vec<String> {
    let mut text = String::new();
    for source in data
        .get("sources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for part in ["quote", "context"] {
            if let Some(part) = source.get(part).and_then(Value::as_str) {
                text.push_str(part);
                text.push('\n');
            }
        }
    }
    let stated = numbers_in(&text);
    // A total that a breakdown gives is checked through the breakdown's counts (the API checks that
    // they add up to it).
    let broken_down = data
        .get("breakdown")
        .and_then(Value::as_array)
        .is_some_and(|groups| !groups.is_empty());
    let name = format!("{resource}/{key}");
    let mut missing = Vec::new();
    for (path, figure) in figures(data) {
        let field = path.rsplit('/').next().unwrap_or_default();
        let excepted = EXCEPTIONS
            .iter()
            .any(|(record, path_field, _)| *record == name && *path_field == path);
        let summed = broken_down && path == "/participants";
        if !excepted && !summed && !stated.contains(&figure.normalize()) {
            missing.push(format!("{path} = {figure} ({field} not in the cited text)"));
        }
    }
    missing
}

/// The figures a record stores, with the JSON path of each (`/results/0/targets/1/value`).
fn figures(data: &Map<String, Value>) -> Vec<(String, Decimal)> {
    fn walk(path: &str, value: &Value, out: &mut Vec<(String, Decimal)>) {
        match value {
            Value::Object(map) => {
                for (field, value) in map {
                    if matches!(field.as_str(), "sources" | "external_ids" | "notes") {
                        continue;
                    }
                    let here = format!("{path}/{field}");
                    if DATE_FIELDS.contains(&field.as_str()) {
                        let year = value.as_str().and_then(|date| date.get(..4));
                        if let Some(year) = year.and_then(|year| year.parse().ok()) {
                            out.push((here, year));
                        }
                    } else if NUMBER_FIELDS.contains(&field.as_str()) {
                        let number = match value {
                            Value::String(text) => text.parse().ok(),
                            Value::Number(number) => number.to_string().parse().ok(),
                            _ => None,
                        };
                        if let Some(number) = number {
                            out.push((here, number));
                        } else {
                            walk(&here, value, out);
                        }
                    } else {
                        walk(&here, value, out);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(&format!("{path}/{i}"), item, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", &Value::Object(data.clone()), &mut out);
    out
}

/// The words for counts below twenty that documents spell out, from one.
const UNITS: &[&str] = &[
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
/// The words for the tens, from twenty.
const TENS: &[&str] = &[
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// Every number `text` states, normalised: digits with thousands separators and decimals, scaled by a
/// following "thousand", "million", "billion" or "trillion" ("200-million" too), and the words one to
/// ninety-nine ("forty-seven", "twenty four").
fn numbers_in(text: &str) -> Vec<Decimal> {
    let mut numbers = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let mut digits = text[start..i].to_owned();
        // Each run of digits counts on its own too ("1997,1998" is two years, not a thousands group).
        if let Ok(run) = digits.parse::<Decimal>() {
            numbers.push(run.normalize());
        }
        // `1,234,567`: groups of exactly three digits after the first group of at most three.
        if digits.len() <= 3 {
            while bytes.get(i) == Some(&b',')
                && bytes
                    .get(i + 1..i + 4)
                    .is_some_and(|group| group.iter().all(u8::is_ascii_digit))
                && !bytes.get(i + 4).is_some_and(u8::is_ascii_digit)
            {
                digits.push_str(&text[i + 1..i + 4]);
                i += 4;
            }
        }
        if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
            let fraction = i + 1;
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            digits.push('.');
            digits.push_str(&text[fraction..i]);
        }
        let Ok(number) = digits.parse::<Decimal>() else {
            continue;
        };
        numbers.push(number.normalize());
        let following = text[i..]
            .trim_start_matches(|c: char| c.is_whitespace() || c == '-')
            .to_ascii_lowercase();
        let scale = [
            ("thousand", 1_000u64),
            ("million", 1_000_000),
            ("mil", 1_000_000),
            ("billion", 1_000_000_000),
            ("bn", 1_000_000_000),
            ("trillion", 1_000_000_000_000),
        ]
        .into_iter()
        .find(|(word, _)| following.starts_with(word));
        if let Some(scaled) = scale.and_then(|(_, scale)| number.checked_mul(Decimal::from(scale)))
        {
            numbers.push(scaled.normalize());
        }
    }
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let unit = |word: &str| UNITS.iter().position(|w| *w == word).map(|n| n + 1);
    // A number in words, with the position of its last word.
    let mut spelled = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if let Some(n) = unit(word) {
            spelled.push((n, i));
        }
        if let Some(tens) = TENS.iter().position(|w| w == word).map(|n| 20 + 10 * n) {
            spelled.push((tens, i));
            if let Some(n) = words
                .get(i + 1)
                .and_then(|next| unit(next))
                .filter(|n| *n < 10)
            {
                spelled.push((tens + n, i + 1));
            }
        }
    }
    for (n, last) in spelled {
        numbers.push(Decimal::from(n));
        // "three million"
        let scale = match words.get(last + 1).map(String::as_str) {
            Some("thousand") => 1_000u64,
            Some("million") => 1_000_000,
            Some("billion") => 1_000_000_000,
            _ => continue,
        };
        numbers.push(Decimal::from(n as u64 * scale));
    }
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(text: &str) -> Decimal {
        text.parse::<Decimal>().unwrap().normalize()
    }

    #[test]
    fn reads_numbers_as_documents_write_them() {
        let numbers = numbers_in(
            "JPY 1.5 billion, approx. 800 million yen, 1,234 people, 12.5%, two experts, FY2016, \
             a 200-million order, JPY 5 trillion, Forty-seven came, twenty four left, three million",
        );
        for expected in [
            "1500000000",
            "800000000",
            "1234",
            "12.5",
            "2",
            "2016",
            "1.5",
            "200000000",
            "5000000000000",
            "47",
            "24",
            "3000000",
        ] {
            assert!(numbers.contains(&d(expected)), "{expected} in {numbers:?}");
        }
        let years = numbers_in("1997,1998 and 2001-05");
        assert!(years.contains(&d("1997")) && years.contains(&d("1998")));
        assert!(!years.contains(&d("1997198")));
        assert!(!years.contains(&d("2005")));
    }

    #[test]
    fn names_each_figure_the_quote_lacks() {
        let data = json!({
            "start": "1996", "end": "2003-04", "amount": "800000000", "participants": 26,
            "results": [{"targets": [{"period": "2020", "value": "8"}]}],
            "sources": [{"quote": "from 1996, JPY 800 million", "context": "26 trainees; 8% by 2020"}],
            "notes": "1999 is not checked here"
        });
        let missing = missing_figures("funding", "x", data.as_object().unwrap());
        assert_eq!(missing, vec!["/end = 2003 (end not in the cited text)"]);

        // A breakdown's counts are checked, and its total is not.
        let data = json!({"participants": 38, "breakdown": [{"group": "a", "count": 8}, {"group": "b", "count": 31}],
            "sources": [{"quote": "8 Kitakyushu Representatives, 30 Congqing Businesses Representatives"}]});
        let missing = missing_figures("exchange", "x", data.as_object().unwrap());
        assert_eq!(
            missing,
            vec!["/breakdown/1/count = 31 (count not in the cited text)"]
        );
    }
}
