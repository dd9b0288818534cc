//! Operational endpoints and the sector vocabulary.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::crud::{body_etag, json_with_etag};
use crate::domain::{Sector, SectorInfo};
use crate::error::{ApiError, Problem};
use crate::store::{Fault, Store, StoreError};

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or why not: `database unreachable`, `database read-only`, `database disk full`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Whether the process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process is up", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Whether the service can read and write its database, answered within a second.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The database answers and takes writes", body = Health),
        (status = 503, description = "The database does not answer within a second, or takes no writes \
(read-only, disk full)", body = Health,
            headers(("Retry-After" = u64, description = "Seconds to wait before asking again"))),
    )
)]
#[get("/readyz")]
pub async fn readyz(store: web::Data<Store>) -> HttpResponse {
    match store.readiness(Duration::from_secs(1)).await {
        Ok(()) => HttpResponse::Ok().json(Health { status: "ok" }),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            let status = match error {
                StoreError::Unavailable(Fault::ReadOnly, _) => "database read-only",
                StoreError::Unavailable(Fault::StorageFull, _) => "database disk full",
                _ => "database unreachable",
            };
            HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, "5"))
                .json(Health { status })
        }
    }
}

/// The sector codes projects use, with labels and OECD DAC CRS purpose codes.
#[utoipa::path(
    tag = "sectors",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Every sector", body = Vec<SectorInfo>,
            headers(("ETag" = String, description = "Changes only with a new release"))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 401, description = "A key was sent that is malformed, revoked or expired, or this server \
does not serve reads without a key", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
    )
)]
#[get("/v1/sectors")]
pub async fn list_sectors(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let sectors: Vec<SectorInfo> = Sector::ALL.iter().copied().map(SectorInfo::from).collect();
    let body = serde_json::to_vec(&sectors).map_err(|error| ApiError::Internal(error.into()))?;
    let etag = body_etag(&body);
    Ok(json_with_etag(&request, body, etag))
}
