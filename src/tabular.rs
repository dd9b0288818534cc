//! CSV as the aggregates and exports write it: RFC 4180 (quoted where needed, CRLF line ends), UTF-8
//! with a byte-order mark so spreadsheets read names such as 北九州市 correctly.
//!
//! A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a single
//! quote (`'`) in front, so a spreadsheet shows it as text instead of running it as a formula. JSON
//! numbers are written as they are; decimals the API gives as strings (an indicator value `-0.3`) are
//! text and get the quote too.

use serde_json::Value;

/// Starts a CSV document.
pub const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// What a spreadsheet reads as the start of a formula (the OWASP list for CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A JSON value as a CSV cell: null is empty, text as it is (with `'` before one that a spreadsheet
/// would run as a formula), anything else as JSON.
pub fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) if text.starts_with(FORMULA_STARTS) => format!("'{text}"),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// One CSV record, line end included.
pub fn record<I, T>(cells: I) -> Result<Vec<u8>, csv::Error>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(cells)?;
    writer
        .into_inner()
        .map_err(|error| csv::Error::from(error.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for (value, expected) in [
            (
                json!("=HYPERLINK(\"http://x\",\"y\")"),
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            (json!("+1"), "'+1"),
            (json!("-2"), "'-2"),
            (json!("@a"), "'@a"),
            (json!("\tx"), "'\tx"),
            (json!("\rx"), "'\rx"),
            (json!("Kitakyushu"), "Kitakyushu"),
            (json!("a=b"), "a=b"),
            (json!(-2), "-2"),
            (json!(1.5), "1.5"),
            (json!(null), ""),
        ] {
            assert_eq!(cell(Some(&value)), expected, "{value}");
        }
    }
}
