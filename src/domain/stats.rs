//! Parameters of the aggregate endpoints: what to group by, and the filters each takes.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::*;

/// A grouping key of one stats endpoint.
pub trait GroupKey: Copy + PartialEq + Send + Sync + 'static {
    const ALL: &'static [Self];
    fn code(self) -> &'static str;
}

macro_rules! group_keys {
    ($(#[$attr:meta])* $name:ident { $($variant:ident = $code:tt),* $(,)? }) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant),* }

        impl GroupKey for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),*];
            fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),* }
            }
        }
    };
}

group_keys! {
    /// `group_by` keys of `/v1/stats/fundings`.
    FundingGroup {
        Year = "year", Funder = "funder", Country = "country", City = "city", Sector = "sector",
        Scheme = "scheme", Instrument = "instrument", Partnership = "partnership", Receiver = "receiver",
        AidType = "aid_type",
    }
}

group_keys! {
    /// `group_by` keys of `/v1/stats/projects`.
    ProjectGroup {
        Sector = "sector", Status = "status", Country = "country", City = "city", StartYear = "start_year",
        Partnership = "partnership",
    }
}

group_keys! {
    /// `group_by` keys of `/v1/stats/exchanges`.
    ExchangeGroup {
        Year = "year", Kind = "kind", Partnership = "partnership", FromCountry = "from_country",
        ToCountry = "to_country", FromCity = "from_city", ToCity = "to_city",
    }
}

group_keys! {
    /// `group_by` keys of `/v1/stats/indicators`.
    IndicatorGroup { City = "city", Year = "year", Project = "project" }
}

/// A comma-separated list of distinct grouping keys, such as `year,funder`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "String", bound = "K: GroupKey")]
pub struct GroupBy<K: GroupKey>(pub Vec<K>);

impl<K: GroupKey> Default for GroupBy<K> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: GroupKey> TryFrom<String> for GroupBy<K> {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let allowed = || {
            K::ALL
                .iter()
                .map(|k| k.code())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut keys: Vec<K> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let key = K::ALL
                .iter()
                .copied()
                .find(|k| k.code() == part)
                .ok_or_else(|| format!("`{part}` is not a grouping key here; use {}", allowed()))?;
            if keys.contains(&key) {
                return Err(format!("`{part}` is given twice"));
            }
            keys.push(key);
        }
        Ok(Self(keys))
    }
}

/// How an aggregate answers: JSON (default) or CSV (also chosen by `Accept: text/csv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
}

/// The filters the project-based aggregates share.
macro_rules! stats_query {
    ($(#[$attr:meta])* $name:ident, $group:ty, $group_example:literal { $($(#[$field_attr:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$attr])*
        #[derive(Clone, Debug, Default, Deserialize, IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Comma-separated grouping keys; none gives one row of totals.
            #[param(value_type = Option<String>, example = $group_example)]
            pub group_by: Option<GroupBy<$group>>,
            $($(#[$field_attr])* pub $field: Option<$ty>,)*
            /// Only years from this one (of the record's partial date).
            #[param(minimum = 1000, maximum = 9999, example = 2000)]
            pub year_from: Option<u16>,
            /// Only years up to this one.
            #[param(minimum = 1000, maximum = 9999, example = 2018)]
            pub year_to: Option<u16>,
            /// `csv` answers `text/csv`, as `Accept: text/csv` does.
            #[param(inline)]
            pub format: Option<Format>,
        }

        impl $name {
            pub fn keys(&self) -> Vec<$group> {
                self.group_by.clone().unwrap_or_default().0
            }
        }
    };
}

stats_query! {
    /// Parameters of `/v1/stats/fundings`. Keys: year (of the start of the funding's period), funder, country, city,
    /// sector, scheme, instrument, partnership, receiver, aid_type; rows are always per kind and currency
    /// as well.
    FundingStatsQuery, FundingGroup, "year,funder" {
        /// Fundings of projects in a city of this country.
        #[param(value_type = Option<String>, example = "CN")]
        country: CountryCode,
        /// Fundings of projects in this city.
        city_id: Uuid,
        partnership_id: Uuid,
        sector: Sector,
        /// Status of the funded project.
        status: ProjectStatus,
        /// Only money of this kind (rows are per kind in any case).
        kind: FundingKind,
        funder_id: Uuid,
        receiver_id: Uuid,
        instrument: Instrument,
        aid_type: AidType,
        #[param(value_type = Option<String>, example = "JPY")]
        currency: CurrencyCode,
    }
}

stats_query! {
    /// Parameters of `/v1/stats/projects`. Keys: sector, status, country, city, start_year, partnership.
    ProjectStatsQuery, ProjectGroup, "sector,status" {
        #[param(value_type = Option<String>, example = "KH")]
        country: CountryCode,
        city_id: Uuid,
        partnership_id: Uuid,
        sector: Sector,
        status: ProjectStatus,
    }
}

stats_query! {
    /// Parameters of `/v1/stats/exchanges`. Keys: year (of the start), kind, partnership (the exchange's or
    /// its project's), from_country, to_country, from_city, to_city.
    ExchangeStatsQuery, ExchangeGroup, "year,kind" {
        /// Exchanges from or to a city of this country.
        #[param(value_type = Option<String>, example = "VN")]
        country: CountryCode,
        /// Exchanges from or to this city.
        city_id: Uuid,
        partnership_id: Uuid,
        project_id: Uuid,
        kind: ExchangeKind,
    }
}

stats_query! {
    /// Parameters of `/v1/stats/indicators`. Keys: city, year, project; rows always carry the metric and unit.
    IndicatorStatsQuery, IndicatorGroup, "city,year" {
        #[param(value_type = Option<String>, example = "non_revenue_water_rate")]
        metric: MetricCode,
        /// Indicators of cities in this country.
        #[param(value_type = Option<String>, example = "KH")]
        country: CountryCode,
        city_id: Uuid,
        project_id: Uuid,
    }
}

/// Parameters of `/v1/stats/overview` and `/v1/partnerships/{id}/summary`.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// `csv` answers `text/csv` (one `section,key,value` row per figure).
    #[param(inline)]
    pub format: Option<Format>,
}

/// Which answer format a query asks for.
pub trait Formatted {
    fn format(&self) -> Option<Format>;
}

macro_rules! formatted {
    ($($name:ty),*) => {
        $(impl Formatted for $name {
            fn format(&self) -> Option<Format> {
                self.format
            }
        })*
    };
}
formatted!(
    FundingStatsQuery,
    ProjectStatsQuery,
    ExchangeStatsQuery,
    IndicatorStatsQuery,
    SummaryQuery
);
