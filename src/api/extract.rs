//! Request extractors that answer every mistake with a problem+json naming the field, instead of
//! actix's plain-text errors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::domain::{FieldError, PageParams, DEFAULT_LIMIT, MAX_LIMIT};
use crate::error::ApiError;

/// The largest JSON body a write accepts, in bytes (app data; 1 MiB if unset).
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// Longest query string accepted.
const MAX_QUERY_LENGTH: usize = 4096;

/// Refuses text from a path or query string that holds U+0000 (which PostgreSQL cannot store), naming
/// the parameter; a NUL in the name itself is shown escaped.
pub fn refuse_nul(field: &str, text: &str) -> Result<(), ApiError> {
    if field.contains('\0') {
        let name = field.escape_debug().to_string();
        return Err(ApiError::bad_request(
            &name,
            "is a parameter name that contains the character U+0000 (NUL)",
        ));
    }
    if text.contains('\0') {
        return Err(ApiError::bad_request(field, crate::domain::NUL_MESSAGE));
    }
    Ok(())
}

/// Reads a value of `T` out of JSON, naming the field of the first mistake.
pub fn parse_json_value<T: DeserializeOwned + serde::Serialize>(
    value: serde_json::Value,
) -> Result<T, ApiError> {
    crate::domain::parse_value(value).map_err(|error| ApiError::Unprocessable(vec![error]))
}

/// Parses a body: malformed JSON is a 400; well-formed JSON of the wrong shape is a 422.
pub fn parse_json<T: DeserializeOwned + serde::Serialize>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|error| ApiError::BadRequest {
            detail: format!("the body is not valid JSON: {error}"),
            errors: vec![FieldError::new("", format!("is not valid JSON: {error}"))],
        })?;
    parse_json_value(value)
}

/// The raw body of a JSON request, read up to the configured limit.
pub struct JsonBytes(pub actix_web::web::Bytes);

impl FromRequest for JsonBytes {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = request
            .app_data::<BodyLimit>()
            .map_or(1 << 20, |limit| limit.0);
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let declared_length = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            let essence = content_type.split(';').next().unwrap_or("").trim();
            if !(essence.eq_ignore_ascii_case("application/json")
                || essence.to_ascii_lowercase().ends_with("+json"))
            {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "send the body as application/json, not `{content_type}`"
                )));
            }
            if declared_length.is_some_and(|length| length > limit) {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            let mut body = actix_web::web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|error| {
                    ApiError::bad_request("", format!("the body could not be read: {error}"))
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Self(body.freeze()))
        })
    }
}

/// A JSON body parsed into `T`.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + serde::Serialize + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = JsonBytes::from_request(request, payload);
        Box::pin(async move { Ok(Self(parse_json(&bytes.await?.0)?)) })
    }
}

/// The `{id}` of a path, which must be a UUID.
pub struct PathId(pub Uuid);

impl FromRequest for PathId {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let text = request.match_info().get("id").unwrap_or("");
        std::future::ready(refuse_nul("id", text).and_then(|()| {
            text.parse::<Uuid>()
                .map(Self)
                .map_err(|_| ApiError::bad_request("id", format!("`{text}` is not a UUID")))
        }))
    }
}

/// Paging parameters and a resource's filters, from one query string. Unknown parameters are refused.
pub struct ListQuery<F> {
    pub page: PageParams,
    pub limit: u32,
    pub filter: F,
}

fn parse_query<T: DeserializeOwned>(
    pairs: &[(String, String)],
    extra: &[&str],
) -> Result<T, ApiError> {
    for (name, value) in pairs {
        refuse_nul(name, value)?;
    }
    let encoded = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = error.path().to_string();
        let message = error.into_inner().to_string();
        let error = match message.split('`').nth(1) {
            Some(name) if message.starts_with("unknown field") => {
                let expected = message
                    .split_once(", expected ")
                    .map(|(_, e)| e)
                    .unwrap_or("");
                let known: Vec<String> = extra.iter().map(|name| format!("`{name}`")).collect();
                let known = known
                    .into_iter()
                    .chain([expected.to_owned()])
                    .collect::<Vec<_>>();
                FieldError::new(
                    name,
                    format!("is not a parameter here; use {}", known.join(", ")),
                )
            }
            Some(name) if message.starts_with("duplicate field") => {
                FieldError::new(name, "is given more than once")
            }
            _ => FieldError::new(field, message),
        };
        ApiError::BadRequest {
            detail: format!("`{}` {}", error.field, error.message),
            errors: vec![error],
        }
    })
}

const PAGE_PARAMS: [&str; 4] = ["limit", "cursor", "sort", "lang"];

impl<F: DeserializeOwned + 'static> FromRequest for ListQuery<F> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::parse(request.query_string()))
    }
}

impl<F: DeserializeOwned> ListQuery<F> {
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        if query.len() > MAX_QUERY_LENGTH {
            return Err(ApiError::bad_request(
                "",
                format!("the query string is longer than {MAX_QUERY_LENGTH} characters"),
            ));
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|error| {
            ApiError::bad_request("", format!("the query string is malformed: {error}"))
        })?;
        let (page, filter): (Vec<_>, Vec<_>) = pairs
            .into_iter()
            .partition(|(key, _)| PAGE_PARAMS.contains(&key.as_str()));
        let page: PageParams = parse_query(&page, &[])?;
        let filter = parse_query(&filter, &PAGE_PARAMS)?;
        let limit = page.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}; {limit} given"),
            ));
        }
        Ok(Self {
            page,
            limit,
            filter,
        })
    }
}

/// Query parameters parsed into `T`; unknown ones are refused with the list of known ones.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let query = request.query_string();
        let parsed = if query.len() > MAX_QUERY_LENGTH {
            Err(ApiError::bad_request(
                "",
                format!("the query string is longer than {MAX_QUERY_LENGTH} characters"),
            ))
        } else {
            serde_urlencoded::from_str::<Vec<(String, String)>>(query)
                .map_err(|error| {
                    ApiError::bad_request("", format!("the query string is malformed: {error}"))
                })
                .and_then(|pairs| parse_query(&pairs, &[]))
                .map(Self)
        };
        std::future::ready(parsed)
    }
}

/// The version an `If-Match` header expects, if one is sent (`*` expects nothing in particular).
pub struct IfMatch(pub Option<i32>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = match request.headers().get(header::IF_MATCH) {
            None => Ok(Self(None)),
            Some(value) => {
                let text = value.to_str().unwrap_or("").trim();
                if text == "*" {
                    Ok(Self(None))
                } else {
                    // An ETag is quoted (RFC 9110, 8.8.3), as the document's pattern says.
                    let tag = text.strip_prefix("W/").unwrap_or(text);
                    tag.strip_prefix('"')
                        .and_then(|tag| tag.strip_suffix('"'))
                        .filter(|digits| {
                            (1..=9).contains(&digits.len())
                                && digits.bytes().all(|b| b.is_ascii_digit())
                        })
                        .and_then(|digits| digits.parse::<i32>().ok())
                        .map(|version| Self(Some(version)))
                        .ok_or_else(|| {
                            ApiError::bad_request(
                                "If-Match",
                                format!("`{text}` is not an ETag this service gave, such as \"3\""),
                            )
                        })
                }
            }
        };
        std::future::ready(parsed)
    }
}
