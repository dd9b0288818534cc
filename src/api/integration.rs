//! Keeping partner databases in step: the change feed, bulk import and export.

use actix_web::http::header;
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::extract::Query;
use super::idempotency::{idempotency_key, replayed};
use super::spool::{spool, Line};
use crate::config::Settings;
use crate::domain::*;
use crate::error::{ApiError, Problem};
use crate::store::{check_same_request, IdempotencyKey, Store, StoredResponse};

const NDJSON: &str = "application/x-ndjson";
const MAX_CHANGES: u32 = 1000;
/// Import progress is logged every this many lines.
const PROGRESS_EVERY: u64 = 10_000;

/// The change feed: every write, in commit order.
///
/// A partner mirrors the database by reading `/v1/export`, then polling this from the last `seq` it
/// applied: for each change it reads the record (or, for a delete, removes it). Positions have no gaps
/// and become visible in order, so a poller never skips a change.
#[utoipa::path(
    tag = "integration",
    params(ChangeQuery),
    responses(
        (status = 200, description = "Changes after `after`, oldest first", body = ChangePage),
        (status = 400, description = "Malformed or unknown parameter, or limit out of 1..1000",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/changes")]
pub async fn list_changes(
    store: web::Data<Store>,
    query: Query<ChangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_CHANGES).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit",
            format!("must be between 1 and {MAX_CHANGES}; {limit} given"),
        ));
    }
    if query.after.is_some_and(|after| after < 0) {
        return Err(ApiError::bad_request("after", "must be 0 or more"));
    }
    let page = store.changes(&query, limit).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Applies NDJSON lines or a JSON array of `{resource, op, data}` in one transaction: all of it, or
/// nothing.
///
/// Lines may reference records created by earlier lines (by the `id` they give). The body is received
/// whole into a temporary file before the import takes its turn to write, so a slow upload delays no
/// other writer; each part of it must arrive within `INTERCITY_BODY_READ_TIMEOUT_SECS` (30 s). A JSON
/// array is read one item at a time, never held whole. One line may be at most
/// `INTERCITY_MAX_BODY_BYTES`, the limit of a single write. A refused import answers every refused line
/// (up to 1,000) with its line number and a JSON pointer into it, and writes nothing. With an
/// `Idempotency-Key`, a retry of an applied import answers as the first time and applies nothing; a
/// retry sent while the first is still running waits for it and then does the same.
#[utoipa::path(
    tag = "integration",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response: 1 to 255 printable ASCII characters, such as a UUID")),
    security(("bearer" = ["editor"])),
    request_body(content = Vec<ImportLine>, content_type = "application/json",
        description = "A JSON array of `{resource, op, data}`; or the same lines as NDJSON with \
`Content-Type: application/x-ndjson`, which streams (the form for large imports)"),
    responses(
        (status = 200, description = "Every line applied", body = ImportReport),
        (status = 400, description = "The body is not a JSON array or NDJSON, or the Idempotency-Key is malformed",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No key, or a key that is malformed, revoked or expired", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
        (status = 403, description = "The key is a reader key; writes need an editor or admin key", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "This key made too many writes; wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the key may write again"))),
        (status = 408, description = "The body stopped arriving; nothing was written", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the import limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not NDJSON or JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Lines were refused; nothing was written. `errors` has `line`, `field` and `message` for each",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/import")]
pub async fn import(
    store: web::Data<Store>,
    settings: web::Data<Settings>,
    request: HttpRequest,
    caller: Caller,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let actor = caller.require(Role::Editor)?;
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if ![NDJSON, "application/jsonl", "application/json"].contains(&essence.as_str()) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send {NDJSON} (one line per record) or a JSON array as application/json, not `{content_type}`"
        )));
    }
    let key = idempotency_key(&request, &settings, &actor.name)?;
    let mut hasher = Sha256::new();
    hasher.update(b"POST /v1/import\n");
    // The whole body first, so that a slow upload holds a temporary file and not the writers' turn.
    let mut body = spool(
        &mut payload,
        hasher,
        settings.max_import_bytes,
        Duration::from_secs(settings.body_read_timeout_secs),
    )
    .await?;
    let key = key.map(|key| IdempotencyKey {
        request_hash: body.hash.clone(),
        ..key
    });

    let mut importer = store.begin_import(None).await?;
    // In the writers' turn, so a retry sent while the first import ran sees its committed answer.
    if let Some(key) = &key {
        if let Some(kept) = importer.kept(key).await? {
            importer.abandon().await?;
            return Ok(replayed(check_same_request(key, kept)?));
        }
    }
    let started = std::time::Instant::now();
    let max_line = settings.max_body_bytes;
    let mut line = 0u64;
    let applied: Result<(), ApiError> = async {
        while let Some(text) = body.next_line(max_line).await? {
            line += 1;
            match text {
                Line::Text(text) => {
                    let text = text.trim_ascii();
                    if !text.is_empty() {
                        importer.apply(line, text).await?;
                    }
                }
                Line::TooLong => importer.refuse_line(
                    line,
                    format!("is longer than {max_line} bytes (INTERCITY_MAX_BODY_BYTES), the limit for one record"),
                ).await?,
            }
            if line.is_multiple_of(PROGRESS_EVERY) {
                tracing::info!(lines = line, "import progress");
            }
        }
        Ok(())
    }
    .await;
    if let Err(error) = applied {
        importer.abandon().await?;
        return Err(error);
    }

    let report = importer.report().await?.clone();
    let response = StoredResponse {
        status: 200,
        location: None,
        body: serde_json::to_string(&report).map_err(|e| ApiError::Internal(e.into()))?,
    };
    if let (Some(key), true) = (&key, importer.is_clean()) {
        importer.keep_response(key, &response).await?;
    }
    let finished = importer.finish().await?;
    tracing::info!(
        lines = report.lines,
        elapsed_ms = started.elapsed().as_millis() as u64,
        applied = finished.is_ok(),
        "import finished"
    );
    match finished {
        Ok(_) => Ok(HttpResponse::Ok()
            .content_type("application/json")
            .body(response.body)),
        Err(refused) => Err(ApiError::ImportRefused(refused)),
    }
}

/// Every record as NDJSON import lines, from one consistent snapshot, in an order `/v1/import` accepts;
/// or one resource as CSV (`format=csv&resource=city`; lists and objects as JSON text).
///
/// Export, then import into an empty database, then export again gives the same bytes.
#[utoipa::path(
    tag = "integration",
    params(ExportQuery),
    responses(
        (status = 200, description = "The records, streamed",
            content((ImportLine = "application/x-ndjson"), (String = "text/csv"))),
        (status = 400, description = "Unknown parameter, or CSV without a resource", body = Problem,
            content_type = "application/problem+json"),
    )
)]
#[get("/v1/export")]
pub async fn export(
    store: web::Data<Store>,
    query: Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let csv = query.format == Some(Format::Csv);
    if csv && query.resource.is_none() {
        return Err(ApiError::bad_request(
            "resource",
            "is required with format=csv: CSV holds one resource",
        ));
    }
    let format = if csv { Format::Csv } else { Format::Json };
    let receiver = store.export(query.resource, format).await?;
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    })
    .map(|chunk| {
        chunk.map(Bytes::from).map_err(|error| {
            tracing::error!(%error, "export failed");
            actix_web::error::ErrorInternalServerError("export failed")
        })
    });
    let content_type = if csv {
        "text/csv; charset=utf-8"
    } else {
        NDJSON
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .streaming(stream))
}
