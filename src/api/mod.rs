//! The HTTP layer: the URL space, handlers, extractors and the OpenAPI document built from them.

pub mod auth;
mod crud;
mod document;
mod documents;
mod extract;
mod geojson;
mod idempotency;
mod integration;
mod keys;
mod resources;
mod spool;
mod stats;
mod system;

pub use document::{openapi, openapi_base, openapi_json, to_json};
pub use extract::BodyLimit;
pub use stats::StatsCache;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Intercity",
        description = "Records city-to-city cooperation: sister-city and friendship partnerships, the \
agreements behind them, the projects cities run together, who funds them and with how much, the people \
they exchange, and the results they measure.\n\n\
Conventions: JSON bodies in snake_case; lists are keyset-paginated (`limit`, `cursor`, `sort`); every GET \
has an `ETag` (send `If-None-Match` for a 304); PUT, PATCH and DELETE take `If-Match` and answer 412 when \
the record has moved on; partial dates are `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; amounts are exact decimal \
strings with an ISO 4217 currency; every error is an RFC 9457 `application/problem+json` whose `errors` \
name each field (a JSON pointer into the body, or a query parameter).\n\n\
Keys: send `Authorization: Bearer <token>`. Every write needs an `editor` key (or `admin`), and managing \
keys needs an `admin` key; each operation's `security` names the role. Reads need no key, unless the \
server sets `INTERCITY_PUBLIC_READ=false`: then any valid key (`reader` and up). No key where one is \
needed is a 401, a key of too low a role a 403, a revoked, expired or malformed key a 401. Each key may \
make a limited number of writes per minute (`INTERCITY_WRITE_RATE_PER_MINUTE`, 600 by default); past it, \
a 429 says in `Retry-After` how many seconds to wait.",
        license(name = "MIT", identifier = "MIT"),
    ),
    tags(
        (name = "documents", description = "The documents records cite, and the records citing each"),
        (name = "cities", description = "Cities and municipalities"),
        (name = "organizations", description = "Funders, implementers and partners"),
        (name = "partnerships", description = "Partnerships between two cities"),
        (name = "agreements", description = "Agreements behind partnerships"),
        (name = "projects", description = "Projects and their phases"),
        (name = "fundings", description = "Who funds a project, and with how much"),
        (name = "exchanges", description = "Trainees, experts and seminars"),
        (name = "indicators", description = "Measured results"),
        (name = "stats", description = "Aggregates for dashboards, as JSON or CSV"),
        (name = "integration", description = "Change feed, bulk import and export for partner databases"),
        (name = "sectors", description = "The sector vocabulary"),
        (name = "keys", description = "API keys (admin only)"),
        (name = "operations", description = "Health and readiness"),
    ),
    modifiers(&BearerScheme),
)]
struct ApiDoc;

/// Declares the `bearer` scheme that operations name in their `security`.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, document: &mut OpenApiDoc) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("ic_<prefix>_<secret>")
                    .description(Some(
                        "An API key, made with `intercity keys create` or `POST /v1/keys`. Its role \
                         (`reader`, `editor` or `admin`) is what an operation's security lists.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The whole URL space, on one screen. The server and the OpenAPI document are both built from it.
/// A request is matched against each path in turn, and a path with a parameter costs a regular
/// expression: fixed paths come first, so the aggregates dashboards poll are found at once.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(system::healthz)
        .service(system::readyz)
        .service(system::list_sectors)
        .service(stats::funding_stats)
        .service(stats::project_stats)
        .service(stats::exchange_stats)
        .service(stats::indicator_stats)
        .service(stats::result_stats)
        .service(stats::overview)
        .service(integration::list_changes)
        .service(integration::import)
        .service(integration::export)
        .service(keys::list_keys)
        .service(keys::create_key)
        .configure(resources::configure)
        .service(documents::citations)
        .service(stats::partnership_summary)
        .service(keys::revoke_key);
}

/// The paths the API serves and the methods each takes, read from its OpenAPI document: an undeclared
/// method on a known path is answered 405 with `Allow`, not 404.
pub struct KnownPaths(Vec<(Vec<String>, String)>);

impl KnownPaths {
    pub fn of(document: &OpenApiDoc) -> Self {
        let paths = document
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let operations = [
                    ("GET, HEAD", &item.get),
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                ];
                let allow: Vec<&str> = operations
                    .into_iter()
                    .filter(|(_, operation)| operation.is_some())
                    .map(|(methods, _)| methods)
                    .collect();
                let segments = template.split('/').map(str::to_owned).collect();
                (segments, allow.join(", "))
            })
            .collect();
        Self(paths)
    }

    /// The methods of the most specific template `path` matches (`{…}` stands for one segment).
    fn allow(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.split('/').collect();
        let matches = |template: &[String]| {
            template.len() == segments.len()
                && template.iter().zip(&segments).all(|(part, segment)| {
                    (part.starts_with('{') && !segment.is_empty()) || part == segment
                })
        };
        self.0
            .iter()
            .filter(|(template, _)| matches(template))
            .max_by_key(|(template, _)| template.iter().filter(|p| !p.starts_with('{')).count())
            .map(|(_, allow)| allow.as_str())
    }
}

/// Answers a request no route takes: 405 on a known path, else 404.
pub async fn not_found(request: actix_web::HttpRequest) -> actix_web::HttpResponse {
    use actix_web::ResponseError;
    let known = request.app_data::<actix_web::web::Data<KnownPaths>>();
    let error = match known.and_then(|known| known.allow(request.path())) {
        Some(allow) => crate::error::ApiError::MethodNotAllowed {
            detail: format!(
                "{} is not an operation of {}; it takes {allow}",
                request.method(),
                request.path()
            ),
            allow: allow.to_owned(),
        },
        None => crate::error::ApiError::NotFound(format!(
            "no endpoint {} {}; the API is described at /docs",
            request.method(),
            request.path()
        )),
    };
    error.error_response()
}

/// HEAD is GET without the body (RFC 9110, 9.3.2); the routes declare GET alone.
pub async fn head_as_get(
    mut request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::http::Method;
    let head = request.method() == Method::HEAD;
    if head {
        request.head_mut().method = Method::GET;
    }
    let response = next.call(request).await?;
    Ok(if head {
        response.map_body(|_, _| actix_web::body::BoxBody::new(()))
    } else {
        response.map_into_boxed_body()
    })
}
