//! Key management for administrators: list, create (the only time a token is shown), revoke.

use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpResponse};

use super::auth::Caller;
use super::extract::{Json, PathId};
use crate::domain::{ApiKeyList, CreatedApiKey, NewApiKey, Role};
use crate::error::{ApiError, Problem};
use crate::store::{KeyRef, Store};

/// List every API key, revoked and expired ones too. Tokens are never shown.
#[utoipa::path(
    tag = "keys",
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Every key, oldest first", body = ApiKeyList),
        (status = 401, description = "No key, or a key that is malformed, revoked or expired", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
        (status = 403, description = "The key is not an admin key", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/keys")]
pub async fn list_keys(store: web::Data<Store>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let items = store.list_keys().await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ApiKeyList { items }))
}

/// Create an API key. The answer holds its token: the only time it is shown.
#[utoipa::path(
    tag = "keys",
    security(("bearer" = ["admin"])),
    request_body = NewApiKey,
    responses(
        (status = 201, description = "Created; `token` is shown this once", body = CreatedApiKey),
        (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No key, or a key that is malformed, revoked or expired", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
        (status = 403, description = "The key is not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A key has this name already", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing, unknown or invalid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "This key made too many writes; wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the key may write again"))),
    )
)]
#[post("/v1/keys")]
pub async fn create_key(
    store: web::Data<Store>,
    caller: Caller,
    body: Json<NewApiKey>,
) -> Result<HttpResponse, ApiError> {
    let admin = caller.require(Role::Admin)?;
    let new = body.0;
    let expires_at = new
        .expires
        .map(|lifetime| lifetime.expiry(chrono::Utc::now()));
    let created = store.create_key(&new.name, new.role, expires_at).await?;
    tracing::info!(
        name = %created.key.name,
        role = %created.key.role,
        prefix = %created.key.prefix,
        by = %admin.name,
        "API key created"
    );
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// Revoke an API key: every request with it fails from now on. Revoking a revoked key is a no-op.
#[utoipa::path(
    tag = "keys",
    security(("bearer" = ["admin"])),
    params(("id" = Uuid, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No key, or a key that is malformed, revoked or expired", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
        (status = 403, description = "The key is not an admin key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No key has this id", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "This key made too many writes; wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the key may write again"))),
    )
)]
#[delete("/v1/keys/{id}")]
pub async fn revoke_key(
    store: web::Data<Store>,
    caller: Caller,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    let admin = caller.require(Role::Admin)?;
    let key = store.revoke_key(&KeyRef::Id(id.0)).await?;
    tracing::info!(name = %key.name, prefix = %key.prefix, by = %admin.name, "API key revoked");
    Ok(HttpResponse::NoContent().finish())
}
