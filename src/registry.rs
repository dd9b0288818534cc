//! Every resource, declared once. The resource kinds, the store's dispatch on a kind, and the HTTP
//! endpoints with their OpenAPI paths all expand from this list; import and export follow its order.
//!
//! Adding a resource: a line here; its body and filter in `domain`; its `Resource` impl in `store`; its
//! entity; a migration that makes its table.

/// Calls `$callback!` (a path to a macro) with the list of resources, then the tokens after a `;`. Each entry is
/// `(Kind, StoreType, module, "name", "collection", Body, Record, Filter, "list path", "item path",
/// "external-id path")`. The order is dependency order: a record only references kinds listed before
/// its own, or its own kind through `Resource::PARENT` (a project's programme, a renewed agreement),
/// so loading in this order never meets a missing reference.
macro_rules! registry {
    ($($callback:ident)::+ $(; $($rest:tt)*)?) => {
        $($callback)::+! {
            [
                (Document, Documents, documents, "document", "documents", NewDocument, Document,
                    DocumentFilter, "/v1/documents", "/v1/documents/{id}",
                    "/v1/documents/by-external-id/{system}/{external_id}"),
                (City, Cities, cities, "city", "cities", NewCity, City, CityFilter,
                    "/v1/cities", "/v1/cities/{id}", "/v1/cities/by-external-id/{system}/{external_id}"),
                (Organization, Organizations, organizations, "organization", "organizations",
                    NewOrganization, Organization, OrganizationFilter, "/v1/organizations",
                    "/v1/organizations/{id}", "/v1/organizations/by-external-id/{system}/{external_id}"),
                (Network, Networks, networks, "network", "networks", NewNetwork, Network, NetworkFilter,
                    "/v1/networks", "/v1/networks/{id}", "/v1/networks/by-external-id/{system}/{external_id}"),
                (Partnership, Partnerships, partnerships, "partnership", "partnerships", NewPartnership,
                    Partnership, PartnershipFilter, "/v1/partnerships", "/v1/partnerships/{id}",
                    "/v1/partnerships/by-external-id/{system}/{external_id}"),
                (Project, Projects, projects, "project", "projects", NewProject, Project, ProjectFilter,
                    "/v1/projects", "/v1/projects/{id}", "/v1/projects/by-external-id/{system}/{external_id}"),
                (Agreement, Agreements, agreements, "agreement", "agreements", NewAgreement, Agreement,
                    AgreementFilter, "/v1/agreements", "/v1/agreements/{id}",
                    "/v1/agreements/by-external-id/{system}/{external_id}"),
                (Funding, Fundings, fundings, "funding", "fundings", NewFunding, Funding, FundingFilter,
                    "/v1/fundings", "/v1/fundings/{id}", "/v1/fundings/by-external-id/{system}/{external_id}"),
                (Exchange, Exchanges, exchanges, "exchange", "exchanges", NewExchange, Exchange,
                    ExchangeFilter, "/v1/exchanges", "/v1/exchanges/{id}",
                    "/v1/exchanges/by-external-id/{system}/{external_id}"),
                (Indicator, Indicators, indicators, "indicator", "indicators", NewIndicator, Indicator,
                    IndicatorFilter, "/v1/indicators", "/v1/indicators/{id}",
                    "/v1/indicators/by-external-id/{system}/{external_id}"),
            ]
            $($($rest)*)?
        }
    };
}
pub(crate) use registry;
