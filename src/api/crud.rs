//! The request handling shared by every resource: list, read, create, upsert, merge-patch, delete.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::extract::{parse_json, refuse_nul, IfMatch, ListQuery};
use super::idempotency::{idempotency_key, request_hash, respond};
use crate::config::Settings;
use crate::domain::{Body, Common, ExternalIds, LanguageTag, Record};
use crate::error::ApiError;
use crate::store::{put_in, Idempotent, ListRequest, Resource, Store, StoreError, StoredResponse};

/// One page of a list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A strong ETag over a response body, for responses that have no version of their own.
pub fn body_etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// Whether `If-None-Match` already names `etag`.
pub fn not_modified(request: &HttpRequest, etag: &str) -> bool {
    request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|tag| tag.trim() == "*" || tag.trim().trim_start_matches("W/") == etag)
        })
}

/// A 200 JSON response with its ETag, or a 304 if the client has it already.
pub fn json_with_etag(request: &HttpRequest, body: Vec<u8>, etag: String) -> HttpResponse {
    if not_modified(request, &etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, etag))
        .body(body)
}

fn version_etag(version: i32) -> String {
    format!("\"{version}\"")
}

fn location<R: Resource>(id: Uuid) -> String {
    format!("/v1/{}/{id}", R::Body::KIND.collection())
}

fn record_response<B: Body>(
    mut response: actix_web::HttpResponseBuilder,
    record: &Record<B>,
) -> HttpResponse {
    response
        .insert_header((header::ETAG, version_etag(record.meta.version)))
        .json(record)
}

pub async fn list<R: Resource>(
    store: &Store,
    request: &HttpRequest,
    query: ListQuery<R::Filter>,
) -> Result<HttpResponse, ApiError> {
    let languages = languages(request)?;
    let mut page = store
        .list::<R>(ListRequest {
            filter: query.filter,
            limit: query.limit,
            cursor: query.page.cursor,
            sort: query.page.sort,
        })
        .await?;
    for record in &mut page.items {
        name_for(record, &languages);
    }
    let map = if super::geojson::wanted(request) {
        super::geojson::collection::<R>(store, &page.items, page.next_cursor.clone()).await?
    } else {
        None
    };
    let (body, content_type) = match map {
        Some(collection) => (serde_json::to_vec(&collection), super::geojson::GEO_JSON),
        None => (
            serde_json::to_vec(&Page {
                items: page.items,
                next_cursor: page.next_cursor.clone(),
            }),
            "application/json",
        ),
    };
    let body = body.map_err(|error| ApiError::Internal(error.into()))?;
    let etag = body_etag(&body);
    let mut response = json_with_etag(request, body, etag);
    if response.status() == actix_web::http::StatusCode::OK {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept, Accept-Language"),
    );
    if let Some(cursor) = page.next_cursor {
        let mut pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
        pairs.retain(|(key, _)| key != "cursor");
        pairs.push(("cursor".into(), cursor));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        let link = format!("<{}?{query}>; rel=\"next\"", request.path());
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

pub async fn get<R: Resource>(
    store: &Store,
    request: &HttpRequest,
    id: Uuid,
) -> Result<HttpResponse, ApiError> {
    let languages = languages(request)?;
    let mut record = store.get::<R>(id).await?;
    name_for(&mut record, &languages);
    // The version is the ETag: the language is part of the representation, not of the version.
    let etag = version_etag(record.meta.version);
    let body = serde_json::to_vec(&record).map_err(|error| ApiError::Internal(error.into()))?;
    let mut response = json_with_etag(request, body, etag);
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    Ok(response)
}

/// The languages a read asks names in, most wanted first: `lang`, then `Accept-Language`.
fn languages(request: &HttpRequest) -> Result<Vec<String>, ApiError> {
    use actix_web::http::header::{AcceptLanguage, Header, Preference};
    let mut languages = Vec::new();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    if let Some((_, lang)) = pairs.iter().find(|(key, _)| key == "lang") {
        let tag = LanguageTag::try_from(lang.clone())
            .map_err(|message| ApiError::bad_request("lang", message))?;
        languages.push(tag.as_str().to_owned());
    }
    if let Ok(accept) = AcceptLanguage::parse(request) {
        languages.extend(
            accept
                .ranked()
                .into_iter()
                .filter_map(|preference| match preference {
                    Preference::Specific(tag) => Some(tag.to_string()),
                    Preference::Any => None,
                }),
        );
    }
    Ok(languages)
}

/// Gives a record the name in the first of `languages` it has, when any is asked for.
fn name_for<B: Body>(record: &mut Record<B>, languages: &[String]) {
    if !languages.is_empty() {
        record.meta.display_name = record.data.display_name(languages);
    }
}

/// The writes below take `actor`, the name of the key that makes them, for the change feed.
///
/// POST: the server chooses the id. With an `Idempotency-Key`, a retry answers as the first request did.
pub async fn create<R: Resource>(
    store: &Store,
    settings: &Settings,
    request: &HttpRequest,
    bytes: &[u8],
    actor: &str,
) -> Result<HttpResponse, ApiError> {
    let body: R::Body = parse_json(bytes)?;
    let id = Uuid::now_v7();
    let Some(mut key) = idempotency_key(request, settings, actor)? else {
        let outcome = store.put::<R>(id, body, None, Some(actor)).await?;
        let mut response = HttpResponse::Created();
        response.insert_header((header::LOCATION, location::<R>(id)));
        return Ok(record_response(response, &outcome.record));
    };
    key.request_hash = request_hash(request, bytes);
    let outcome = store
        .idempotently(&key, async |txn| {
            let outcome = put_in::<R>(txn, id, body.clone(), None, Some(actor)).await?;
            Ok(StoredResponse {
                status: 201,
                location: Some(location::<R>(id)),
                body: serde_json::to_string(&outcome.record).map_err(|error| {
                    StoreError::Database(sea_orm::DbErr::Custom(error.to_string()))
                })?,
            })
        })
        .await?;
    Ok(match outcome {
        Idempotent::Fresh(response) => respond(response, false),
        Idempotent::Replay(response) => respond(response, true),
    })
}

/// PUT by external id: creates or replaces the record that carries `system:value`, which the body must
/// carry too (it is added when the body has no id in that system).
pub async fn put_by_external_id<R: Resource>(
    store: &Store,
    system: &str,
    value: &str,
    mut body: R::Body,
    if_match: IfMatch,
    actor: &str,
) -> Result<HttpResponse, ApiError> {
    refuse_nul("system", system)?;
    refuse_nul("external_id", value)?;
    let ids = &mut body.external_ids_mut().0;
    match ids.get(system) {
        Some(given) if given != value => {
            return Err(ApiError::Unprocessable(vec![
                crate::domain::FieldError::new(
                    format!("/external_ids/{system}"),
                    format!("is `{given}`, but the path says `{value}`"),
                ),
            ]))
        }
        Some(_) => {}
        None => {
            ids.insert(system.to_owned(), value.to_owned());
        }
    }
    let ids = ExternalIds::try_from(std::mem::take(ids)).map_err(|message| {
        ApiError::bad_request("system", format!("{system}:{value}: {message}"))
    })?;
    *body.external_ids_mut() = ids;
    let outcome = store
        .put_by_external_id::<R>(system, value, body, if_match.0, Some(actor))
        .await?;
    let id = outcome.record.meta.id;
    let response = if outcome.created {
        let mut response = HttpResponse::Created();
        response.insert_header((header::LOCATION, location::<R>(id)));
        response
    } else {
        HttpResponse::Ok()
    };
    Ok(record_response(response, &outcome.record))
}

pub async fn put<R: Resource>(
    store: &Store,
    id: Uuid,
    body: R::Body,
    if_match: IfMatch,
    actor: &str,
) -> Result<HttpResponse, ApiError> {
    let outcome = store.put::<R>(id, body, if_match.0, Some(actor)).await?;
    let response = if outcome.created {
        let mut response = HttpResponse::Created();
        response.insert_header((header::LOCATION, location::<R>(id)));
        response
    } else {
        HttpResponse::Ok()
    };
    Ok(record_response(response, &outcome.record))
}

/// Applies a JSON Merge Patch (RFC 7396) to the record (see `Store::patch`).
pub async fn patch<R: Resource>(
    store: &Store,
    id: Uuid,
    patch: serde_json::Value,
    if_match: IfMatch,
    actor: &str,
) -> Result<HttpResponse, ApiError> {
    if !patch.is_object() {
        return Err(ApiError::Unprocessable(vec![
            crate::domain::FieldError::new("", "a merge patch must be a JSON object"),
        ]));
    }
    let outcome = store
        .patch::<R>(id, &patch, if_match.0, Some(actor))
        .await?;
    Ok(record_response(HttpResponse::Ok(), &outcome.record))
}

pub async fn delete<R: Resource>(
    store: &Store,
    id: Uuid,
    if_match: IfMatch,
    actor: &str,
) -> Result<HttpResponse, ApiError> {
    store.delete::<R>(id, if_match.0, Some(actor)).await?;
    Ok(HttpResponse::NoContent().finish())
}
