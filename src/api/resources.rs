//! The six endpoints of each of the eight resources, each annotated for the OpenAPI document. The
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

macro_rules! resource_endpoints {
    (
        resource: $resource:ty, body: $body:ty, record: $record:ty, filter: $filter:ty,
        tag: $tag:tt, collection: $collection:tt, item: $item:tt, name: $name:tt,
        list: $list:ident, get: $get:ident, create: $create:ident, put: $put:ident,
        patch: $patch:ident, delete: $delete:ident, by_external_id: $by_external_id:ident,
        external_path: $external_path:tt $(,)?
    ) => {
        #[doc = concat!("List ", $tag, ".")]
        ///
        /// Keyset-paginated: follow `next_cursor` (or the `Link: rel="next"` header) until it is null.
        #[utoipa::path(
            tag = $tag,
            security((), ("bearer" = [])),
            params(PageParams, $filter,
                ("If-None-Match" = Option<String>, Header, description = "An ETag of this list; 304 if unchanged")),
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
        pub async fn $list(
            store: web::Data<Store>,
            request: HttpRequest,
            query: ListQuery<$filter>,
        ) -> Result<HttpResponse, ApiError> {
            crud::list::<$resource>(&store, &request, query).await
        }

        #[doc = concat!("Read one ", $name, ".")]
        #[utoipa::path(
            tag = $tag,
            security((), ("bearer" = [])),
            params(("id" = Uuid, Path, description = "The record's id"),
                ("If-None-Match" = Option<String>, Header, description = "The record's ETag; 304 if unchanged")),
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
        pub async fn $get(
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
            params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response")),
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
        pub async fn $create(
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
            params(
                ("system" = String, Path, description = "The external system, such as `jica`"),
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
        pub async fn $by_external_id(
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
        pub async fn $put(
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
        pub async fn $patch(
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
        pub async fn $delete(
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

resource_endpoints! {
    resource: store::Cities, body: NewCity, record: City, filter: CityFilter,
    tag: "cities", collection: "/v1/cities", item: "/v1/cities/{id}", name: "city",
    list: list_cities, get: get_city, create: create_city, put: put_city, patch: patch_city, delete: delete_city,
    by_external_id: put_city_by_external_id, external_path: "/v1/cities/by-external-id/{system}/{external_id}",
}
resource_endpoints! {
    resource: store::Organizations, body: NewOrganization, record: Organization, filter: OrganizationFilter,
    tag: "organizations", collection: "/v1/organizations", item: "/v1/organizations/{id}", name: "organization",
    list: list_organizations, get: get_organization, create: create_organization, put: put_organization,
    patch: patch_organization, delete: delete_organization,
    by_external_id: put_organization_by_external_id, external_path: "/v1/organizations/by-external-id/{system}/{external_id}",
}
resource_endpoints! {
    resource: store::Partnerships, body: NewPartnership, record: Partnership, filter: PartnershipFilter,
    tag: "partnerships", collection: "/v1/partnerships", item: "/v1/partnerships/{id}", name: "partnership",
    list: list_partnerships, get: get_partnership, create: create_partnership, put: put_partnership,
    patch: patch_partnership, delete: delete_partnership,
    by_external_id: put_partnership_by_external_id, external_path: "/v1/partnerships/by-external-id/{system}/{external_id}",
}
resource_endpoints! {
    resource: store::Agreements, body: NewAgreement, record: Agreement, filter: AgreementFilter,
    tag: "agreements", collection: "/v1/agreements", item: "/v1/agreements/{id}", name: "agreement",
    list: list_agreements, get: get_agreement, create: create_agreement, put: put_agreement,
    patch: patch_agreement, delete: delete_agreement,
    by_external_id: put_agreement_by_external_id, external_path: "/v1/agreements/by-external-id/{system}/{external_id}",
}
resource_endpoints! {
    resource: store::Projects, body: NewProject, record: Project, filter: ProjectFilter,
    tag: "projects", collection: "/v1/projects", item: "/v1/projects/{id}", name: "project",
    list: list_projects, get: get_project, create: create_project, put: put_project,
    patch: patch_project, delete: delete_project,
    by_external_id: put_project_by_external_id, external_path: "/v1/projects/by-external-id/{system}/{external_id}",
}
resource_endpoints! {
    resource: store::Fundings, body: NewFunding, record: Funding, filter: FundingFilter,
    tag: "fundings", collection: "/v1/fundings", item: "/v1/fundings/{id}", name: "funding",
    list: list_fundings, get: get_funding, create: create_funding, put: put_funding,
    patch: patch_funding, delete: delete_funding,
    by_external_id: put_funding_by_external_id, external_path: "/v1/fundings/by-external-id/{system}/{external_id}",
}
resource_endpoints! {
    resource: store::Exchanges, body: NewExchange, record: Exchange, filter: ExchangeFilter,
    tag: "exchanges", collection: "/v1/exchanges", item: "/v1/exchanges/{id}", name: "exchange",
    list: list_exchanges, get: get_exchange, create: create_exchange, put: put_exchange,
    patch: patch_exchange, delete: delete_exchange,
    by_external_id: put_exchange_by_external_id, external_path: "/v1/exchanges/by-external-id/{system}/{external_id}",
}
resource_endpoints! {
    resource: store::Indicators, body: NewIndicator, record: Indicator, filter: IndicatorFilter,
    tag: "indicators", collection: "/v1/indicators", item: "/v1/indicators/{id}", name: "indicator",
    list: list_indicators, get: get_indicator, create: create_indicator, put: put_indicator,
    patch: patch_indicator, delete: delete_indicator,
    by_external_id: put_indicator_by_external_id, external_path: "/v1/indicators/by-external-id/{system}/{external_id}",
}
