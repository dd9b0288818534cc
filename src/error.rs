//! Every way a request fails, and the one place where a failure becomes an RFC 9457 problem+json body.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use http_api_problem::HttpApiProblem;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldError;
use crate::store::{Fault, Referrer, StoreError};
use crate::telemetry::current_request;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request cannot be read: malformed JSON, a bad query parameter, a path id that is no UUID.
    #[error("{detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The request was read but breaks rules of the data model.
    #[error("the request breaks the data model's rules")]
    Unprocessable(Vec<FieldError>),
    #[error("{0}")]
    NotFound(String),
    /// The write would give an external id to a second record.
    #[error("conflict")]
    Conflict(Vec<FieldError>),
    /// The record cannot be deleted while others reference it.
    #[error("referenced")]
    Referenced(Vec<Referrer>),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    MethodNotAllowed { detail: String, allow: String },
    /// Import lines broke rules; nothing was written.
    #[error("{} of {} import lines were refused", .0.refused, .0.lines)]
    ImportRefused(crate::store::ImportRefused),
    /// No key where one is needed, or a key that is malformed, unknown, revoked or expired.
    #[error("{detail}")]
    Unauthorized {
        detail: String,
        /// A key was sent but is not valid (rather than none sent at all).
        invalid_token: bool,
    },
    /// A valid key whose role does not allow the request.
    #[error("{0}")]
    Forbidden(String),
    /// The key has made more writes than the per-key rate limit allows.
    #[error(
        "this key may make at most {per_minute} writes per minute \
         (INTERCITY_WRITE_RATE_PER_MINUTE, on each instance); retry in {retry_after} s"
    )]
    TooManyRequests { per_minute: u32, retry_after: u64 },
    /// The database cannot serve the request now; nothing was written.
    #[error("{}", unavailable_detail(*.0))]
    Unavailable(Fault),
    /// The client stopped sending its body.
    #[error("{0}")]
    RequestTimeout(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        let error = FieldError::new(field, message);
        Self::BadRequest {
            detail: format!("`{}` {}", error.field, error.message),
            errors: vec![error],
        }
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest { .. } => ("bad-request", "The request cannot be read"),
            Self::Unprocessable(_) => ("validation", "The request breaks the data model's rules"),
            Self::ImportRefused(_) => (
                "import-refused",
                "The import was refused; nothing was written",
            ),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::Conflict(_) => ("conflict", "Conflicts with another record"),
            Self::Referenced(_) => ("referenced", "Other records reference this one"),
            Self::PreconditionFailed(_) => ("precondition-failed", "The record has changed"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "The body is too large"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            Self::Unauthorized { .. } => ("unauthorized", "A valid API key is needed"),
            Self::Forbidden(_) => ("forbidden", "The API key's role does not allow this"),
            Self::TooManyRequests { .. } => ("rate-limited", "Too many writes"),
            Self::Unavailable(Fault::StorageFull) => {
                ("storage-full", "The database has no space left")
            }
            Self::Unavailable(_) => ("unavailable", "The database is unavailable"),
            Self::RequestTimeout(_) => ("request-timeout", "The body stopped arriving"),
            Self::Internal(_) => ("internal", "Internal server error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Unprocessable(errors) | Self::Conflict(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            Self::Referenced(referrers) => format!(
                "{} record(s) reference it; delete or change them first",
                referrers.len()
            ),
            Self::Internal(_) => "the server failed; the request changed nothing. \
                                  Quote the request id when reporting this"
                .into(),
            other => other.to_string(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(kind) => Self::NotFound(format!("no {kind} has this id")),
            StoreError::NoSuchKey(key) => Self::NotFound(format!("no API key has the {key}")),
            StoreError::VersionMismatch { expected, current } => {
                Self::PreconditionFailed(match current {
                    Some(current) => format!(
                        "If-Match expected version {expected}, but the record is at version {current}; \
                         read it again and reapply your change"
                    ),
                    None => format!(
                        "If-Match expected version {expected}, but the record does not exist or changed meanwhile"
                    ),
                })
            }
            StoreError::Invalid(errors) => Self::Unprocessable(errors),
            StoreError::Conflict(errors) => Self::Conflict(errors),
            StoreError::Referenced(referrers) => Self::Referenced(referrers),
            StoreError::BadParameter(error) => Self::BadRequest {
                detail: format!("`{}` {}", error.field, error.message),
                errors: vec![error],
            },
            StoreError::Unavailable(fault, error) => {
                tracing::warn!(?fault, %error, "database unavailable");
                Self::Unavailable(fault)
            }
            StoreError::Database(error) => Self::Internal(error.into()),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        StoreError::from(error).into()
    }
}

fn unavailable_detail(fault: Fault) -> &'static str {
    match fault {
        Fault::Contention => {
            "the database is busy with other writes; nothing was written. Retry after Retry-After seconds"
        }
        Fault::StorageFull => {
            "the database's disk is full; nothing was written. Retry once space has been freed"
        }
        Fault::ReadOnly => "the database accepts no writes now; nothing was written",
        // A connection lost during COMMIT leaves the outcome unknown, so this does not promise that
        // nothing was written.
        _ => {
            "the database cannot be reached now. Retry after Retry-After seconds; a write retried with \
             the same Idempotency-Key is applied at most once"
        }
    }
}

/// Seconds a client should wait before retrying after `fault`.
fn retry_after(fault: Fault) -> u64 {
    match fault {
        Fault::Contention => 1,
        Fault::Unavailable => 5,
        _ => 30,
    }
}

/// An RFC 9457 problem, as every error response carries it (this type documents the shape).
#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[schema(example = "urn:intercity:problem:validation")]
    pub r#type: String,
    #[schema(example = "The request breaks the data model's rules")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    #[schema(example = "/currency: required when an amount is given")]
    pub detail: String,
    /// The request path.
    #[schema(example = "/v1/fundings")]
    pub instance: String,
    /// Each field that is wrong, as a JSON pointer into the body or a query parameter name.
    pub errors: Vec<FieldError>,
    /// On a refused import: how many lines were refused (`errors` then also carry each `line`).
    pub refused_lines: Option<u64>,
    /// On a 409 from a delete: the records that still reference this one.
    pub referenced_by: Option<Vec<Referrer>>,
    /// The request's `X-Request-Id`.
    pub request_id: String,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unprocessable(_) | Self::ImportRefused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) | Self::Referenced(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(Fault::StorageFull) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let Self::Internal(error) = self {
            tracing::error!(error = format!("{error:#}"), "request failed");
        }
        let (slug, title) = self.kind();
        let errors: &[FieldError] = match self {
            Self::BadRequest { errors, .. }
            | Self::Unprocessable(errors)
            | Self::Conflict(errors) => errors,
            _ => &[],
        };
        let request = current_request();
        let mut problem = HttpApiProblem::try_new(status.as_u16())
            .unwrap_or_else(|_| HttpApiProblem::empty())
            .type_url(format!("urn:intercity:problem:{slug}"))
            .title(title)
            .detail(self.detail())
            .value("errors", &errors);
        if let Some(request) = &request {
            problem = problem
                .instance(request.path.clone())
                .value("request_id", &request.id);
        }
        if let Self::Referenced(referrers) = self {
            problem = problem.value("referenced_by", referrers);
        }
        if let Self::ImportRefused(refused) = self {
            problem = problem
                .value("errors", &refused.errors)
                .value("refused_lines", &refused.refused);
        }
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            Self::MethodNotAllowed { allow, .. } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            // RFC 6750: a challenge on every 401, and the error code when a key was sent.
            Self::Unauthorized { invalid_token, .. } => {
                let challenge = if *invalid_token {
                    r#"Bearer realm="intercity", error="invalid_token""#
                } else {
                    r#"Bearer realm="intercity""#
                };
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            Self::Forbidden(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    r#"Bearer realm="intercity", error="insufficient_scope""#,
                ));
            }
            Self::TooManyRequests { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            Self::Unavailable(fault) => {
                response.insert_header((header::RETRY_AFTER, retry_after(*fault).to_string()));
            }
            _ => {}
        }
        response.body(problem.json_bytes())
    }
}
