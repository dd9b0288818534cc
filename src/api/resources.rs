//! The seven endpoints of every resource of the registry, each annotated for the OpenAPI document. The
//! handlers are thin: they extract, then call the shared code in `crud`. Writes need an editor key
//! (`auth::authenticate` refuses others before the body is read); its name is the change's actor.

use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};

use super::auth::Caller;
use super::crud::{self, Page};
use super::extract::{IfMatch, Json, JsonBytes, ListQuery, PathId};
use crate::config::Settings;
use crate::domain::*;
use crate::error::{ApiError, Problem};
use crate::store::{self, Store};
use utoipa_actix_web::service_config::ServiceConfig;

macro_rules! resource_endpoints {
    (
        resource: $resource:ty, body: $body:ty, record: $record:ty, filter: $filter:ty,
        tag: $tag:tt, name: $name:tt, collection: $collection:tt, item: $item:tt,
        external_path: $external_path:tt $(,)?
    ) => {
        #[doc = concat!("List ", $tag, ".")]
        ///
        /// Keyset-paginated: follow `next_cursor` (or the `Link: rel="next"` header) until it is null.
        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("list_", $tag),
            security((), ("bearer" = [])),
            params(PageParams, $filter,
                ("If-None-Match" = Option<String>, Header, description = "An ETag of this list; 304 if unchanged"),
                ("Accept-Language" = Option<String>, Header, description = "The languages of `display_name`, for records with names")),
            responses(
                (status = 200, description = "One page", body = Page<$record>,
                    headers(("ETag" = String, description = "Changes whenever the page does"),
                            ("Link" = String, description = "`<…>; rel=\"next\"` while there are more pages"))),
                (status = 304, description = "Unchanged since the ETag in If-None-Match"),
                (status = 400, description = "Unknown or malformed parameter, limit out of 1..500, or a forged cursor",
                    body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "A key was sent that is malformed, revoked or expired, or this server \
does not serve reads without a key", body = Problem, content_type = "application/problem+json",
                    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
            )
        )]
        #[get($collection)]
        pub async fn list(
            store: web::Data<Store>,
            request: HttpRequest,
            query: ListQuery<$filter>,
        ) -> Result<HttpResponse, ApiError> {
            crud::list::<$resource>(&store, &request, query).await
        }

        #[doc = concat!("Read one ", $name, ".")]
        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("get_", $name),
            security((), ("bearer" = [])),
            params(("id" = Uuid, Path, description = "The record's id"),
                ("lang" = Option<LanguageTag>, Query, description = "The language of `display_name` (a BCP 47 tag), before any `Accept-Language`"),
                ("If-None-Match" = Option<String>, Header, description = "The record's ETag; 304 if unchanged"),
                ("Accept-Language" = Option<String>, Header, description = "The languages of `display_name`, for records with names")),
            responses(
                (status = 200, description = "The record", body = $record,
                    headers(("ETag" = String, description = "The record's version, quoted"))),
                (status = 304, description = "Unchanged since the ETag in If-None-Match"),
                (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "A key was sent that is malformed, revoked or expired, or this server \
does not serve reads without a key", body = Problem, content_type = "application/problem+json",
                    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
                (status = 404, description = "No such record", body = Problem, content_type = "application/problem+json"),
            )
        )]
        #[get($item)]
        pub async fn get(
            store: web::Data<Store>,
            request: HttpRequest,
            id: PathId,
        ) -> Result<HttpResponse, ApiError> {
            crud::get::<$resource>(&store, &request, id.0).await
        }

        #[doc = concat!("Create a ", $name, "; the server chooses its id.")]
        ///
        /// With an `Idempotency-Key`, a retry with the same body answers as the first request did (same
        /// status, body and Location) and creates nothing; the same key with another body is a 422.
        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("create_", $name),
            params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response: 1 to 255 printable ASCII characters, such as a UUID")),
            security(("bearer" = ["editor"])),
            request_body = $body,
            responses(
                (status = 201, description = "Created", body = $record,
                    headers(("Location" = String, description = "The new record's URL"),
                            ("ETag" = String, description = "The record's version, quoted"))),
                (status = 400, description = "The body is not valid JSON", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "No key, or a key that is malformed, revoked or expired", body = Problem, content_type = "application/problem+json",
                    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
                (status = 403, description = "The key is a reader key; writes need an editor or admin key", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "An external id already belongs to another record", body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
                (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "A field is missing, unknown or invalid, or names a missing record", body = Problem, content_type = "application/problem+json"),
                (status = 429, description = "This key made too many writes; wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
                    headers(("Retry-After" = u64, description = "Seconds until the key may write again"))),
            )
        )]
        #[post($collection)]
        pub async fn create(
            store: web::Data<Store>,
            settings: web::Data<Settings>,
            request: HttpRequest,
            caller: Caller,
            body: JsonBytes,
        ) -> Result<HttpResponse, ApiError> {
            let actor = caller.require(Role::Editor)?;
            crud::create::<$resource>(&store, &settings, &request, &body.0, &actor.name).await
        }

        #[doc = concat!("Create or replace the ", $name, " that carries an external id, such as a partner's own id.")]
        ///
        /// The body gets that external id if it has none in the system; a different one is a 422. A
        /// partner can push records keyed by its own ids without storing ours.
        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("put_", $name, "_by_external_id"),
            params(
                ("system" = String, Path, description = "The external system, such as `jica`: 1 to 100 letters, digits, `_`, `-` or `.`"),
                ("external_id" = String, Path, description = "The record's id in that system"),
                ("If-Match" = Option<String>, Header, description = "Replace only if the record is at this version"),
            ),
            request_body = $body,
            security(("bearer" = ["editor"])),
            responses(
                (status = 200, description = "Replaced", body = $record,
                    headers(("ETag" = String, description = "The record's version, quoted"))),
                (status = 201, description = "Created", body = $record,
                    headers(("Location" = String, description = "The record's URL"),
                            ("ETag" = String, description = "The record's version, quoted"))),
                (status = 400, description = "The body is not valid JSON, or the system name is invalid", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "No key, or a key that is malformed, revoked or expired", body = Problem, content_type = "application/problem+json",
                    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
                (status = 403, description = "The key is a reader key; writes need an editor or admin key", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "Another external id of the body belongs to another record", body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "If-Match names another version", body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
                (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "A field is missing, unknown or invalid, or names a missing record", body = Problem, content_type = "application/problem+json"),
                (status = 429, description = "This key made too many writes; wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
                    headers(("Retry-After" = u64, description = "Seconds until the key may write again"))),
            )
        )]
        #[put($external_path)]
        pub async fn put_by_external_id(
            store: web::Data<Store>,
            path: web::Path<(String, String)>,
            if_match: IfMatch,
            caller: Caller,
            body: Json<$body>,
        ) -> Result<HttpResponse, ApiError> {
            let actor = caller.require(Role::Editor)?;
            let (system, external_id) = path.into_inner();
            crud::put_by_external_id::<$resource>(&store, &system, &external_id, body.0, if_match, &actor.name)
                .await
        }

        #[doc = concat!("Create or replace the ", $name, " with this id (chosen by the client).")]
        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("put_", $name),
            security(("bearer" = ["editor"])),
            params(
                ("id" = Uuid, Path, description = "The record's id"),
                ("If-Match" = Option<String>, Header, description = "Replace only if the record is at this version (its ETag)"),
            ),
            request_body = $body,
            responses(
                (status = 200, description = "Replaced", body = $record,
                    headers(("ETag" = String, description = "The record's version, quoted"))),
                (status = 201, description = "Created", body = $record,
                    headers(("Location" = String, description = "The record's URL"),
                            ("ETag" = String, description = "The record's version, quoted"))),
                (status = 400, description = "The body is not valid JSON, or the id is not a UUID", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "No key, or a key that is malformed, revoked or expired", body = Problem, content_type = "application/problem+json",
                    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
                (status = 403, description = "The key is a reader key; writes need an editor or admin key", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "An external id already belongs to another record", body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "If-Match names another version", body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
                (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "A field is missing, unknown or invalid, or names a missing record", body = Problem, content_type = "application/problem+json"),
                (status = 429, description = "This key made too many writes; wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
                    headers(("Retry-After" = u64, description = "Seconds until the key may write again"))),
            )
        )]
        #[put($item)]
        pub async fn put(
            store: web::Data<Store>,
            caller: Caller,
            id: PathId,
            if_match: IfMatch,
            body: Json<$body>,
        ) -> Result<HttpResponse, ApiError> {
            let actor = caller.require(Role::Editor)?;
            crud::put::<$resource>(&store, id.0, body.0, if_match, &actor.name).await
        }

        #[doc = concat!("Change some fields of a ", $name, " with a JSON Merge Patch (RFC 7396).")]
        ///
        /// Fields set to `null` are cleared; the patched record must still be valid as a whole.
        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("patch_", $name),
            security(("bearer" = ["editor"])),
            params(
                ("id" = Uuid, Path, description = "The record's id"),
                ("If-Match" = Option<String>, Header, description = "Patch only if the record is at this version (its ETag)"),
            ),
            request_body(content = Object, content_type = "application/merge-patch+json",
                description = "The fields to change", example = json!({"notes": "Checked against the 2018 report"})),
            responses(
                (status = 200, description = "Patched", body = $record,
                    headers(("ETag" = String, description = "The record's version, quoted"))),
                (status = 400, description = "The body is not valid JSON, or the id is not a UUID", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "No key, or a key that is malformed, revoked or expired", body = Problem, content_type = "application/problem+json",
                    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
                (status = 403, description = "The key is a reader key; writes need an editor or admin key", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such record", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "An external id already belongs to another record", body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "If-Match names another version, or the record changed meanwhile", body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
                (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "The patched record is invalid", body = Problem, content_type = "application/problem+json"),
                (status = 429, description = "This key made too many writes; wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
                    headers(("Retry-After" = u64, description = "Seconds until the key may write again"))),
            )
        )]
        #[patch($item)]
        pub async fn patch(
            store: web::Data<Store>,
            caller: Caller,
            id: PathId,
            if_match: IfMatch,
            body: Json<serde_json::Value>,
        ) -> Result<HttpResponse, ApiError> {
            let actor = caller.require(Role::Editor)?;
            crud::patch::<$resource>(&store, id.0, body.0, if_match, &actor.name).await
        }

        #[doc = concat!("Delete a ", $name, " that no other record references.")]
        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("delete_", $name),
            security(("bearer" = ["editor"])),
            params(
                ("id" = Uuid, Path, description = "The record's id"),
                ("If-Match" = Option<String>, Header, description = "Delete only if the record is at this version (its ETag)"),
            ),
            responses(
                (status = 204, description = "Deleted"),
                (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "No key, or a key that is malformed, revoked or expired", body = Problem, content_type = "application/problem+json",
                    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"intercity\"`"))),
                (status = 403, description = "The key is a reader key; writes need an editor or admin key", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such record", body = Problem, content_type = "application/problem+json"),
                (status = 409, description = "Other records reference it; `referenced_by` lists them", body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "If-Match names another version", body = Problem, content_type = "application/problem+json"),
                (status = 429, description = "This key made too many writes; wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
                    headers(("Retry-After" = u64, description = "Seconds until the key may write again"))),
            )
        )]
        #[delete($item)]
        pub async fn delete(
            store: web::Data<Store>,
            caller: Caller,
            id: PathId,
            if_match: IfMatch,
        ) -> Result<HttpResponse, ApiError> {
            let actor = caller.require(Role::Editor)?;
            crud::delete::<$resource>(&store, id.0, if_match, &actor.name).await
        }
    };
}

/// Each resource's endpoints in a module of its own (`cities::list`…), and `configure`, which
/// registers them all, in the registry's order.
macro_rules! all_resource_endpoints {
    ([$((
        $kind:ident, $store:ident, $module:ident, $name:literal, $collection:literal, $body:ident,
        $record:ident, $filter:ident, $list_path:literal, $item_path:literal, $external_path:literal
    )),* $(,)?]) => {
        $(
            pub mod $module {
                use super::*;

                resource_endpoints! {
                    resource: store::$store, body: $body, record: $record, filter: $filter,
                    tag: $collection, name: $name, collection: $list_path, item: $item_path,
                    external_path: $external_path,
                }
            }
        )*

        /// Registers every resource's endpoints.
        pub fn configure(config: &mut ServiceConfig) {
            $(
                config
                    .service($module::list)
                    .service($module::create)
                    .service($module::get)
                    .service($module::put)
                    .service($module::patch)
                    .service($module::delete)
                    .service($module::put_by_external_id);
            )*
        }
    };
}
crate::registry::registry!(all_resource_endpoints);
