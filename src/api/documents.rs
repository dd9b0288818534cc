//! The records that cite a document.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::extract::{PathId, Query};
use crate::domain::{ResourceKind, DEFAULT_LIMIT, MAX_LIMIT};
use crate::error::{ApiError, Problem};
use crate::store::Store;

/// Paging of `/v1/documents/{id}/citations`.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CitationQuery {
    /// Items per page, 1 to 500.
    #[param(minimum = 1, maximum = 500, default = 50, example = 50)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// A record that cites the document in its `sources`.
#[derive(Serialize, ToSchema)]
pub struct Citation {
    pub resource: ResourceKind,
    pub id: Uuid,
    /// The record's URL.
    #[schema(example = "/v1/projects/0190a4a4-6f7e-7d3c-9c1e-2f0e6f1f8a10")]
    pub href: String,
}

/// One page of citations.
#[derive(Serialize, ToSchema)]
pub struct CitationPage {
    pub items: Vec<Citation>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<Uuid>,
}

/// The records that cite a document, by id.
///
/// Each item names a record whose `sources` name this document; read the record for the locator and
/// quote. A document that records cite cannot be deleted (409).
#[utoipa::path(
    tag = "documents",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "The document's id"), CitationQuery),
    responses(
        (status = 200, description = "One page of citing records", body = CitationPage),
        (status = 400, description = "The id or cursor is not a UUID, the limit is out of 1..500, or an unknown parameter",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A key was sent that is malformed, revoked or expired, or this server \
does not serve reads without a key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/documents/{id}/citations")]
pub async fn citations(
    store: web::Data<Store>,
    id: PathId,
    query: Query<CitationQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.0.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}; {limit} given"),
        ));
    }
    // One more than the page shows whether there is a next page.
    let mut found = store.citations(id.0, query.0.cursor, limit + 1).await?;
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let next_cursor = more.then(|| found.last().map(|(_, id)| *id)).flatten();
    let items = found
        .into_iter()
        .map(|(resource, id)| Citation {
            resource,
            id,
            href: format!("/v1/{}/{id}", resource.collection()),
        })
        .collect();
    Ok(HttpResponse::Ok().json(CitationPage { items, next_cursor }))
}
