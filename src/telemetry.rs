//! Logging: tracing spans per request, human-readable or JSON, and the `X-Request-Id` every response
//! carries and every log line of its request names.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Sets up the global subscriber: `INTERCITY_LOG_FORMAT=json` for JSON lines; `RUST_LOG` filters (default
/// `info`). Safe to call more than once.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// The request being served, for the parts of a response built away from it (problem bodies).
#[derive(Clone, Debug)]
pub struct CurrentRequest {
    pub id: String,
    pub path: String,
}

tokio::task_local! {
    static CURRENT: CurrentRequest;
}

pub fn current_request() -> Option<CurrentRequest> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Keeps a client's `X-Request-Id` (if it is short and printable) or makes one, logs the request in a span
/// that carries it, and returns it on the response.
pub async fn request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|value| {
            !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic())
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.path(),
    );
    let current = CurrentRequest {
        id: id.clone(),
        path: request.path().to_owned(),
    };
    let started = std::time::Instant::now();
    let result = CURRENT
        .scope(current, next.call(request))
        .instrument(span.clone())
        .await;
    let _entered = span.enter();
    match result {
        Ok(mut response) => {
            tracing::info!(
                status = response.status().as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "served"
            );
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert(REQUEST_ID, value);
            }
            Ok(response)
        }
        Err(error) => {
            tracing::warn!(error = %error, "failed");
            Err(error)
        }
    }
}
