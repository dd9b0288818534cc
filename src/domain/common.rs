//! What every resource has: its kind, its metadata, external ids, citations, and the text limits.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Declares `ResourceKind` from the registry's list.
macro_rules! resource_kinds {
    ([$(($kind:ident, $store:ident, $module:ident, $name:literal, $collection:literal, $($rest:tt)*)),* $(,)?]) => {
        /// The kinds of record.
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum ResourceKind {
            $($kind),*
        }

        impl ResourceKind {
            /// In the registry's dependency order: loading in this order never meets a missing
            /// reference.
            pub const ALL: [ResourceKind; [$(Self::$kind),*].len()] = [$(Self::$kind),*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$kind => $name),*
                }
            }

            /// The plural used in paths (`/v1/cities`) and as the table name.
            pub fn collection(self) -> &'static str {
                match self {
                    $(Self::$kind => $collection),*
                }
            }
        }
    };
}
crate::registry::registry!(resource_kinds);

impl ResourceKind {
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Its place in `ALL`.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A rule a request broke: `field` is a JSON pointer into the body (`/amount`) or a query parameter name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    #[schema(example = "/currency")]
    pub field: String,
    #[schema(example = "required when an amount is given")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A reference from one record to another, as a write names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// JSON pointer of the referencing field (`/city_ids/1`).
    pub pointer: String,
    /// The field's name as the index stores it (`city_ids`).
    pub field: &'static str,
    pub target: ResourceKind,
    pub id: Uuid,
}

impl Reference {
    pub fn one(field: &'static str, target: ResourceKind, id: Option<Uuid>) -> Option<Self> {
        id.map(|id| Self {
            pointer: format!("/{field}"),
            field,
            target,
            id,
        })
    }

    pub fn many(field: &'static str, target: ResourceKind, ids: &[Uuid]) -> Vec<Self> {
        ids.iter()
            .enumerate()
            .map(|(i, id)| Self {
                pointer: format!("/{field}/{i}"),
                field,
                target,
                id: *id,
            })
            .collect()
    }
}

/// The server-kept part of every record.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Meta {
    #[schema(example = "0193a5b2-7c3e-7d40-8000-000000000001")]
    pub id: Uuid,
    /// 1 on create, +1 on every write; the record's `ETag`.
    #[schema(example = 1)]
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// For records with names or titles in several languages (cities, organizations, projects,
    /// agreements): the name or title in the language the request asks for with `Accept-Language` or
    /// `lang`, else in English, else `name` or `title`. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Hải Phòng")]
    pub display_name: Option<String>,
}

/// A record as stored: metadata and the body a client wrote, serialized side by side.
#[derive(Clone, Debug, Serialize)]
pub struct Record<T> {
    #[serde(flatten)]
    pub meta: Meta,
    #[serde(flatten)]
    pub data: T,
}

/// Longest name, title, locator or code (and the `max_length` of `ShortText` below).
pub const MAX_SHORT_TEXT: usize = 500;
/// Longest list (sources, city ids, participants...).
pub const MAX_LIST: usize = 200;

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $max:tt, $example:tt) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String, min_length = 1, max_length = $max, example = $example)]
        pub struct $name(String);

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(text: String) -> Result<Self, String> {
                let length = text.chars().count();
                if text.trim().is_empty() {
                    Err("must not be empty".into())
                } else if length > $max {
                    Err(format!("is {length} characters long; at most {} are allowed", $max))
                } else {
                    Ok(Self(text))
                }
            }
        }

        impl From<$name> for String {
            fn from(text: $name) -> String {
                text.0
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

text_type!(
    /// A name, title, code or locator: not blank, at most 500 characters.
    ShortText,
    500,
    "Kitakyushu"
);
text_type!(
    /// A longer text (summary, notes, results, quote): not blank, at most 20,000 characters.
    LongText,
    20000,
    "Cooperation in the water sector began in 1999."
);

/// A list of at most 200 items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<T>", into = "Vec<T>")]
pub struct List<T: Clone>(pub Vec<T>);

impl<T: Clone> TryFrom<Vec<T>> for List<T> {
    type Error = String;
    fn try_from(items: Vec<T>) -> Result<Self, String> {
        if items.len() > MAX_LIST {
            Err(format!(
                "has {} items; at most {MAX_LIST} are allowed",
                items.len()
            ))
        } else {
            Ok(Self(items))
        }
    }
}

impl<T: Clone> From<List<T>> for Vec<T> {
    fn from(list: List<T>) -> Vec<T> {
        list.0
    }
}

impl<T: Clone> Default for List<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T: Clone> std::ops::Deref for List<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: Clone + ToSchema> utoipa::PartialSchema for List<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(T::schema())
            .max_items(Some(MAX_LIST))
            .into()
    }
}

impl<T: Clone + ToSchema> ToSchema for List<T> {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        T::schemas(schemas);
    }
}

/// A citation: the document record, where in it, and a short verbatim quote that supports the record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The cited document (`/v1/documents/{id}`).
    pub document_id: Uuid,
    #[serde(default)]
    #[schema(example = "Case Study 2, 2.1")]
    pub locator: Option<ShortText>,
    #[schema(example = "Phnom Penh Water Supply Authority")]
    pub quote: LongText,
    /// A longer verbatim excerpt around the quote, where it states figures the quote leaves out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<LongText>,
}

/// A name in several languages: BCP 47 language tag to the name, such as `{"en": "Hai Phong", "vi":
/// "Hải Phòng", "ja": "ハイフォン"}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(
    try_from = "BTreeMap<String, ShortText>",
    into = "BTreeMap<String, ShortText>"
)]
#[schema(value_type = BTreeMap<String, String>, example = json!({"en": "Hai Phong", "vi": "Hải Phòng"}))]
pub struct Names(pub BTreeMap<String, ShortText>);

impl TryFrom<BTreeMap<String, ShortText>> for Names {
    type Error = String;
    fn try_from(names: BTreeMap<String, ShortText>) -> Result<Self, String> {
        if names.len() > MAX_LIST {
            return Err(format!("at most {MAX_LIST} names are allowed"));
        }
        for tag in names.keys() {
            super::LanguageTag::try_from(tag.clone())?;
        }
        Ok(Self(names))
    }
}

impl From<Names> for BTreeMap<String, ShortText> {
    fn from(names: Names) -> Self {
        names.0
    }
}

impl Names {
    /// The name in the first of `languages` (BCP 47 tags, most wanted first) that it has: an exact tag,
    /// else one of the same language (`zh` for `zh-Hans`, `zh-Hans` for `zh`); else English.
    pub fn pick(&self, languages: &[String]) -> Option<&str> {
        let primary = |tag: &str| {
            tag.split('-')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase()
        };
        let find = |wanted: &str| {
            self.0
                .iter()
                .find(|(tag, _)| tag.eq_ignore_ascii_case(wanted))
                .or_else(|| {
                    self.0
                        .iter()
                        .find(|(tag, _)| primary(tag) == primary(wanted))
                })
                .map(|(_, name)| name.as_str())
        };
        languages
            .iter()
            .find_map(|wanted| find(wanted))
            .or_else(|| find("en"))
    }
}

/// The record's ids in other systems, such as `{"jica": "0601234"}`. A (system, id) pair belongs to at
/// most one record of a resource type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(
    try_from = "BTreeMap<String, String>",
    into = "BTreeMap<String, String>"
)]
#[schema(value_type = BTreeMap<String, String>, example = json!({"jica": "0601234"}))]
pub struct ExternalIds(pub BTreeMap<String, String>);

impl TryFrom<BTreeMap<String, String>> for ExternalIds {
    type Error = String;
    fn try_from(ids: BTreeMap<String, String>) -> Result<Self, String> {
        if ids.len() > MAX_LIST {
            return Err(format!("at most {MAX_LIST} external ids are allowed"));
        }
        for (system, id) in &ids {
            let valid_system = !system.is_empty()
                && system.len() <= 100
                && system
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
            if !valid_system {
                return Err(format!(
                    "system `{system}` must be 1 to 100 letters, digits, `_`, `-` or `.`"
                ));
            }
            if id.trim().is_empty() || id.chars().count() > MAX_SHORT_TEXT {
                return Err(format!(
                    "the id for `{system}` must be 1 to {MAX_SHORT_TEXT} characters"
                ));
            }
        }
        Ok(Self(ids))
    }
}

impl From<ExternalIds> for BTreeMap<String, String> {
    fn from(ids: ExternalIds) -> Self {
        ids.0
    }
}

/// The fields every body has (`common_fields!` implements this).
pub trait Common {
    fn external_ids(&self) -> &ExternalIds;
    fn external_ids_mut(&mut self) -> &mut ExternalIds;
    fn sources(&self) -> &[Source];
}

/// What the store needs to know of a resource's body, whichever resource it is.
pub trait Body:
    Common + Clone + PartialEq + Serialize + serde::de::DeserializeOwned + Send + Sync + 'static
{
    const KIND: ResourceKind;
    /// Rules that span fields; each broken one is reported.
    fn validate(&self) -> Vec<FieldError>;
    /// Every other record this one names in its own fields.
    fn references(&self) -> Vec<Reference>;
    /// Those, and the documents its sources cite.
    fn all_references(&self) -> Vec<Reference> {
        let mut references = self.references();
        references.extend(
            self.sources()
                .iter()
                .enumerate()
                .map(|(i, source)| Reference {
                    pointer: format!("/sources/{i}/document_id"),
                    field: "sources",
                    target: ResourceKind::Document,
                    id: source.document_id,
                }),
        );
        references
    }
    fn sectors(&self) -> Vec<super::Sector> {
        Vec::new()
    }
    /// Classification codes kept in the tag index for filters and grouping.
    fn tags(&self) -> Vec<Tag> {
        Vec::new()
    }
    /// The texts `q` finds the record by (folded into the search index).
    fn search_texts(&self) -> Vec<&str>;
    /// The name to show for `languages` (most wanted first), for bodies with names in several
    /// languages.
    fn display_name(&self, _languages: &[String]) -> Option<String> {
        None
    }
}

/// The vocabularies of the tag index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagVocabulary {
    PolicyMarker,
    SdgTarget,
}

impl TagVocabulary {
    pub fn name(self) -> &'static str {
        match self {
            Self::PolicyMarker => "policy_marker",
            Self::SdgTarget => "sdg_target",
        }
    }
}

/// One classification of a record, as the tag index holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub vocabulary: TagVocabulary,
    pub code: String,
    pub significance: Option<u8>,
}

/// One step of a JSON pointer (RFC 6901).
fn pointer_step(part: &str) -> String {
    format!("/{}", part.replace('~', "~0").replace('/', "~1"))
}

/// A JSON pointer (RFC 6901) for a serde path.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .map(|part| pointer_step(&part))
        .collect()
}

/// Says what is wrong with text holding U+0000.
pub const NUL_MESSAGE: &str = "contains the character U+0000 (NUL), which text may not hold";

/// The first string or object key in `value` that holds U+0000, as a pointer to the string or to the
/// object with the key. PostgreSQL cannot store U+0000 in text, so neither engine accepts it.
fn find_nul(value: &serde_json::Value) -> Option<FieldError> {
    use serde_json::Value;
    // The steps are collected innermost first, and only on the way back from a hit.
    fn walk(value: &Value) -> Option<(Vec<String>, &'static str)> {
        let inside = |step: String, found: Option<(Vec<String>, &'static str)>| {
            found.map(|(mut steps, message)| {
                steps.push(step);
                (steps, message)
            })
        };
        match value {
            Value::String(text) if text.contains('\0') => Some((Vec::new(), NUL_MESSAGE)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| inside(i.to_string(), walk(item))),
            Value::Object(fields) => fields.iter().find_map(|(key, item)| {
                if key.contains('\0') {
                    Some((
                        Vec::new(),
                        "has a key that contains the character U+0000 (NUL), which text may not hold",
                    ))
                } else {
                    inside(key.clone(), walk(item))
                }
            }),
            _ => None,
        }
    }
    walk(value).map(|(steps, message)| {
        let field: String = steps.iter().rev().map(|step| pointer_step(step)).collect();
        FieldError::new(field, message)
    })
}

/// The field an error is about: serde reports unknown and missing fields at their parent.
fn field_error(parent: String, message: String) -> FieldError {
    // serde_json ends data errors with the position; the pointer says more.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    if message.starts_with("unknown field `") {
        // The path already ends with the unknown field's name.
        let expected = message
            .split_once(", expected ")
            .map(|(_, e)| e)
            .unwrap_or("");
        return FieldError::new(parent, format!("is not a field here; expected {expected}"));
    }
    if let Some(name) = named("missing field `") {
        return FieldError::new(format!("{parent}/{name}"), "is required");
    }
    FieldError::new(parent, message)
}

/// JSON has one kind of number, so `2.0` is the integer 2 (as JSON Schema's `integer` says): written
/// as an integer it deserializes into integer fields, and into float fields all the same.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64()) {
                if float.fract() == 0.0 && float.abs() < 9.0e15 {
                    *number = serde_json::Number::from(float as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// Reads a value of `T` out of JSON; a mistake names its field as a JSON pointer. Every body and import
/// line passes here, so this is where text holding U+0000 is refused.
pub fn parse_value<T: serde::de::DeserializeOwned + serde::Serialize>(
    value: serde_json::Value,
) -> Result<T, FieldError> {
    if let Some(error) = find_nul(&value) {
        return Err(error);
    }
    let mut value = value;
    integral_numbers_as_integers(&mut value);
    let parsed: T = serde_path_to_error::deserialize(&value).map_err(|error| {
        let parent = pointer(error.path());
        field_error(parent, error.into_inner().to_string())
    })?;
    let read = serde_json::to_value(&parsed)
        .map_err(|error| FieldError::new("", format!("cannot be read back: {error}")))?;
    match object_given_as_array(&value, &read) {
        Some(field) => Err(FieldError::new(&field, "must be an object, not an array")),
        None => Ok(parsed),
    }
}

/// Where `given` has an array and `read` (the value parsed from it, written out again) an object.
/// serde reads a struct out of an array of its fields in order, so `"term": [null, null]` would be
/// taken as `{"from": null, "until": null}`; the API's objects are spelled as objects.
fn object_given_as_array(given: &serde_json::Value, read: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match (given, read) {
        (Value::Array(_), Value::Object(_)) => Some(String::new()),
        (Value::Object(given), Value::Object(read)) => read.iter().find_map(|(key, read)| {
            let inner = object_given_as_array(given.get(key)?, read)?;
            Some(format!("{}{inner}", pointer_step(key)))
        }),
        (Value::Array(given), Value::Array(read)) => {
            given
                .iter()
                .zip(read)
                .enumerate()
                .find_map(|(index, (given, read))| {
                    let inner = object_given_as_array(given, read)?;
                    Some(format!("/{index}{inner}"))
                })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_is_found_in_values_and_keys_at_any_depth() {
        let field = |value: serde_json::Value| find_nul(&value).map(|error| error.field);
        assert_eq!(
            field(json!({"name": "Kita\u{0}kyushu"})).as_deref(),
            Some("/name")
        );
        assert_eq!(field(json!({"a\u{0}": 1})).as_deref(), Some(""));
        assert_eq!(
            field(json!({"sources": [{"quote": "ok"}, {"quote": "\u{0}"}]})).as_deref(),
            Some("/sources/1/quote")
        );
        assert_eq!(
            field(json!({"external_ids": {"x\u{0}": "1"}})).as_deref(),
            Some("/external_ids")
        );
        assert_eq!(
            field(json!({"a/b~": ["\u{0}"]})).as_deref(),
            Some("/a~1b~0/0")
        );
        assert_eq!(field(json!({"name": "Kitakyushu", "n": [1, null]})), None);
    }
}
