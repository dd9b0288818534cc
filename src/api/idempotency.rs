//! `Idempotency-Key`: a retried write answers as the first one did and writes nothing.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::error::ApiError;
use crate::store::{IdempotencyKey, StoredResponse};

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The request's `Idempotency-Key`, if it sent one, scoped to `scope` (the caller's key name) and
/// bound to a hash of `body` (only as the caller knows it; imports hash as they stream).
pub fn idempotency_key(
    request: &HttpRequest,
    settings: &Settings,
    scope: &str,
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("");
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            IDEMPOTENCY_KEY,
            "must be 1 to 255 printable ASCII characters, such as a UUID",
        ));
    }
    Ok(Some(IdempotencyKey {
        scope: scope.to_owned(),
        key: key.to_owned(),
        request_hash: String::new(),
        ttl: chrono::Duration::hours(settings.idempotency_ttl_hours.min(24 * 365) as i64),
    }))
}

/// A hash of the request a key was sent with.
pub fn request_hash(request: &HttpRequest, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(request.method().as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(request.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// The HTTP response a kept response stands for.
pub fn respond(kept: StoredResponse, replay: bool) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK));
    response.content_type("application/json");
    if let Some(location) = &kept.location {
        response.insert_header((header::LOCATION, location.as_str()));
    }
    if let Some(version) = serde_json::from_str::<serde_json::Value>(&kept.body)
        .ok()
        .and_then(|body| body["version"].as_i64())
    {
        response.insert_header((header::ETAG, format!("\"{version}\"")));
    }
    if replay {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(kept.body)
}

/// A retry's answer: the first response again.
pub fn replayed(kept: StoredResponse) -> HttpResponse {
    respond(kept, true)
}
