//! Keyset cursors: the sort keys of the last row of a page, so the next page starts right after it with
//! no OFFSET, and page 10,000 costs what page 1 costs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::domain::FieldError;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Position {
    /// The sort the cursor was made for; a cursor is only valid with the same sort.
    sort: String,
    /// The last row's value for each sort key, then its id.
    after: Vec<serde_json::Value>,
}

pub fn encode(sort: &str, after: Vec<serde_json::Value>) -> String {
    let position = Position {
        sort: sort.to_owned(),
        after,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&position).unwrap_or_default())
}

/// Reads a cursor made for `sort`; anything else (forged, truncated, made for another sort) is refused.
pub fn decode(cursor: &str, sort: &str) -> Result<Vec<serde_json::Value>, FieldError> {
    let invalid = || {
        FieldError::new(
            "cursor",
            "is not a cursor this list returned; start again without it",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let position: Position = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if position.sort != sort {
        return Err(FieldError::new(
            "cursor",
            format!(
                "was made for sort `{}`, not `{sort}`; keep the sort while paging",
                position.sort
            ),
        ));
    }
    Ok(position.after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key_value() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            Just(serde_json::Value::Null),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::from),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn a_cursor_reads_back_the_position_it_was_made_for(
            sort in "-?[a-z_]{1,12}(,-?[a-z_]{1,12}){0,3}",
            after in prop::collection::vec(key_value(), 1..5),
        ) {
            let cursor = encode(&sort, after.clone());
            prop_assert_eq!(decode(&cursor, &sort).unwrap(), after);
            prop_assert!(cursor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            let other = format!("{sort},id");
            prop_assert!(decode(&cursor, &other).is_err());
        }

        #[test]
        fn any_other_text_is_refused_without_panic(text in any::<String>(), sort in "[a-z]{1,8}") {
            if let Ok(after) = decode(&text, &sort) {
                // Only a cursor of this sort decodes: it encodes back to the same position.
                prop_assert_eq!(decode(&encode(&sort, after.clone()), &sort).unwrap(), after);
            }
        }
    }
}
