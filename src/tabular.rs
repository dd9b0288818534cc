//! CSV as the aggregates and exports write it: RFC 4180 (quoted where needed, CRLF line ends), UTF-8
//! with a byte-order mark so spreadsheets read names such as 北九州市 correctly.

use serde_json::Value;

/// Starts a CSV document.
pub const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// A JSON value as a CSV cell: null is empty, text as it is, anything else as JSON.
pub fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
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
