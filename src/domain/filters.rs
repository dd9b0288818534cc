//! List parameters: paging and each resource's filters, as a query string carries them.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::*;

/// Paging and order, shared by every list.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 500.
    #[param(minimum = 1, maximum = 500, default = 50, example = 50)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Comma-separated sort keys, `-` for descending; ties are broken by `id`. See each list for its keys.
    #[param(example = "-start,title")]
    pub sort: Option<String>,
    /// The language of `display_name` (a BCP 47 tag), before any `Accept-Language`.
    #[param(example = "vi")]
    pub lang: Option<LanguageTag>,
}

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// `system:id`, such as `jica:0601234`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ExternalIdQuery {
    pub system: String,
    pub id: String,
}

impl TryFrom<String> for ExternalIdQuery {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        match text.split_once(':') {
            Some((system, id)) if !system.is_empty() && !id.is_empty() => Ok(Self {
                system: system.to_owned(),
                id: id.to_owned(),
            }),
            _ => Err(format!("`{text}` is not of the form system:id")),
        }
    }
}

/// A search text for `q`: matched case-insensitively anywhere in the name or title.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct SearchText(pub String);

impl TryFrom<String> for SearchText {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        if text.chars().count() > 200 {
            Err("at most 200 characters".into())
        } else {
            Ok(Self(text))
        }
    }
}

/// Declares a filter struct: the filters every list has (`q`, `external_id`, `updated_since`), then the
/// resource's own.
macro_rules! filter {
    ($(#[$attr:meta])* $name:ident { $($(#[$field_attr:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$attr])*
        #[derive(Clone, Debug, Default, Deserialize, IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            $($(#[$field_attr])* pub $field: Option<$ty>,)*
            /// Search in the name or title, and in cities' and organizations' names in every language,
            /// aliases and former names; case, accents, spaces and punctuation are ignored (`haiphong`
            /// finds "Hai Phong").
            #[param(value_type = Option<String>, max_length = 200, example = "water")]
            pub q: Option<SearchText>,
            /// Only the record with this external id, as `system:id`.
            #[param(value_type = Option<String>, pattern = "^[^:\\u0000]+:[^\\u0000]+$", example = "jica:0601234")]
            pub external_id: Option<ExternalIdQuery>,
            /// Only records changed at or after this instant (RFC 3339).
            pub updated_since: Option<DateTime<Utc>>,
        }

        impl ListFilter for $name {
            fn common(&self) -> CommonFilter<'_> {
                CommonFilter {
                    q: self.q.as_ref(),
                    external_id: self.external_id.as_ref(),
                    updated_since: self.updated_since,
                }
            }
        }
    };
}

/// The filters every list has.
pub struct CommonFilter<'a> {
    pub q: Option<&'a SearchText>,
    pub external_id: Option<&'a ExternalIdQuery>,
    pub updated_since: Option<DateTime<Utc>>,
}

pub trait ListFilter: serde::de::DeserializeOwned + Send + Sync + 'static {
    fn common(&self) -> CommonFilter<'_>;
}

filter! {
    /// Filters of `GET /v1/cities`. Sort keys: `name`, `country`, `population`, `created_at`, `updated_at`, `id`.
    CityFilter {
        /// ISO 3166-1 alpha-2 code.
        #[param(example = "JP")]
        country: CountryCode,
        admin_level: AdminLevel,
        /// The places that lie in this one.
        parent_id: Uuid,
    }
}

filter! {
    /// Filters of `GET /v1/organizations`. Sort keys: `name`, `kind`, `country`, `created_at`, `updated_at`, `id`.
    OrganizationFilter {
        kind: OrganizationKind,
        #[param(example = "JP")]
        country: CountryCode,
        city_id: Uuid,
        /// The organizations that are part of this one.
        parent_id: Uuid,
    }
}

filter! {
    /// Filters of `GET /v1/partnerships`. Sort keys: `title`, `kind`, `status`, `established`, `created_at`,
    /// `updated_at`, `id`.
    PartnershipFilter {
        /// Partnerships that include this city.
        city_id: Uuid,
        /// Partnerships with a city in this country.
        #[param(example = "KH")]
        country: CountryCode,
        kind: PartnershipKind,
        status: PartnershipStatus,
        /// Established in or after this (partial) date.
        #[param(example = "1990")]
        established_from: PartialDate,
        /// Established in or before this (partial) date.
        #[param(example = "2010")]
        established_to: PartialDate,
    }
}

filter! {
    /// Filters of `GET /v1/agreements`. Sort keys: `title`, `kind`, `signed`, `created_at`, `updated_at`, `id`.
    AgreementFilter {
        partnership_id: Uuid,
        kind: AgreementKind,
        /// Agreements this organization signed.
        signatory_id: Uuid,
        #[param(example = "2000")]
        signed_from: PartialDate,
        #[param(example = "2020-12")]
        signed_to: PartialDate,
        /// Agreements that bind this city.
        city_id: Uuid,
        /// Agreements that started this project.
        project_id: Uuid,
    }
}

filter! {
    /// Filters of `GET /v1/documents`. Sort keys: `title`, `publisher`, `published`, `created_at`,
    /// `updated_at`, `id`.
    DocumentFilter {
        category: DocumentCategory,
        #[param(example = "en")]
        language: LanguageTag,
        #[param(example = "2010")]
        published_from: PartialDate,
        #[param(example = "2020")]
        published_to: PartialDate,
    }
}

filter! {
    /// Filters of `GET /v1/networks`. Sort keys: `name`, `kind`, `established`, `created_at`,
    /// `updated_at`, `id`.
    NetworkFilter {
        kind: NetworkKind,
        /// Networks this city or organization is a member of.
        member_id: Uuid,
        secretariat_id: Uuid,
    }
}

filter! {
    /// Filters of `GET /v1/projects`. Sort keys: `title`, `status`, `start`, `end`, `created_at`, `updated_at`, `id`.
    ProjectFilter {
        partnership_id: Uuid,
        /// Projects in this city.
        city_id: Uuid,
        /// Projects in a city of this country.
        #[param(example = "KH")]
        country: CountryCode,
        sector: Sector,
        status: ProjectStatus,
        /// Phases of this programme.
        parent_id: Uuid,
        /// Projects this organization takes part in.
        organization_id: Uuid,
        /// Projects with this policy marker as a significant or principal objective (significance 1 or 2).
        policy_marker: PolicyMarkerCode,
        /// Projects tagged with this SDG target.
        #[param(example = "6.1")]
        sdg_target: SdgTarget,
        /// Started in or after this (partial) date.
        #[param(example = "2010")]
        start_from: PartialDate,
        /// Started in or before this (partial) date.
        #[param(example = "2015-06")]
        start_to: PartialDate,
    }
}

filter! {
    /// Filters of `GET /v1/fundings` (`start_from` and `start_to` bound the start of the period). Sort keys:
    /// `start`, `end`, `kind`, `scheme`, `currency`, `created_at`, `updated_at`, `id`.
    FundingFilter {
        project_id: Uuid,
        partnership_id: Uuid,
        #[param(example = "KH")]
        recipient_country: CountryCode,
        kind: FundingKind,
        funder_id: Uuid,
        receiver_id: Uuid,
        instrument: Instrument,
        aid_type: AidType,
        #[param(example = "JPY")]
        currency: CurrencyCode,
        #[param(example = "2000")]
        start_from: PartialDate,
        #[param(example = "2010")]
        start_to: PartialDate,
    }
}

filter! {
    /// Filters of `GET /v1/exchanges`. Sort keys: `start`, `kind`, `participants`, `title`, `created_at`,
    /// `updated_at`, `id`.
    ExchangeFilter {
        kind: ExchangeKind,
        project_id: Uuid,
        partnership_id: Uuid,
        /// Exchanges from, to or among this city.
        city_id: Uuid,
        #[param(example = "1997")]
        start_from: PartialDate,
        #[param(example = "2008")]
        start_to: PartialDate,
        status: ExchangeStatus,
    }
}

filter! {
    /// Filters of `GET /v1/indicators`. Sort keys: `period`, `metric`, `created_at`, `updated_at`, `id`.
    IndicatorFilter {
        city_id: Uuid,
        organization_id: Uuid,
        #[param(example = "VN")]
        country: CountryCode,
        partnership_id: Uuid,
        project_id: Uuid,
        #[param(example = "non_revenue_water_rate")]
        metric: MetricCode,
        #[param(example = "2000")]
        period_from: PartialDate,
        #[param(example = "2010")]
        period_to: PartialDate,
    }
}
