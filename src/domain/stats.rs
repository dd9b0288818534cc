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
        AidType = "aid_type", PolicyMarker = "policy_marker", SdgTarget = "sdg_target",
    }
}

group_keys! {
    /// `group_by` keys of `/v1/stats/projects`.
    ProjectGroup {
        Sector = "sector", Status = "status", Country = "country", City = "city", StartYear = "start_year",
        Partnership = "partnership", PolicyMarker = "policy_marker", SdgTarget = "sdg_target",
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
    IndicatorGroup {
        City = "city", Organization = "organization", Country = "country", Partnership = "partnership",
        Year = "year", Project = "project",
    }
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
        // Exactly what the documented pattern allows: keys separated by single commas. A key given
        // again adds nothing.
        let mut keys: Vec<K> = Vec::new();
        for part in text.split(',') {
            let key = K::ALL
                .iter()
                .copied()
                .find(|k| k.code() == part)
                .ok_or_else(|| format!("`{part}` is not a grouping key here; use {}", allowed()))?;
            if !keys.contains(&key) {
                keys.push(key);
            }
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

/// A year as partial dates hold them: four digits, as `year_from` and `year_to` are documented.
fn four_digit_year<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u16>, D::Error> {
    let year = Option::<u16>::deserialize(deserializer)?;
    match year {
        Some(year) if !(1000..=9999).contains(&year) => Err(serde::de::Error::custom(format!(
            "{year} is not a year from 1000 to 9999"
        ))),
        _ => Ok(year),
    }
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
            #[serde(default, deserialize_with = "four_digit_year")]
            pub year_from: Option<u16>,
            /// Only years up to this one.
            #[param(minimum = 1000, maximum = 9999, example = 2018)]
            #[serde(default, deserialize_with = "four_digit_year")]
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
    /// Parameters of `/v1/stats/fundings`. Keys: year (of the start of the funding's period), funder, country
    /// (of the project's cities, or the recipient country), city, sector, scheme, instrument, partnership
    /// (the funding's or its project's), receiver, aid_type, policy_marker, sdg_target; rows are always
    /// per kind and currency as well.
    FundingStatsQuery, FundingGroup, "year,funder" {
        /// Fundings of projects in a city of this country, or for this recipient country.
        #[param(example = "CN")]
        country: CountryCode,
        /// Fundings of projects in this city.
        city_id: Uuid,
        /// Fundings of this partnership, or of its projects.
        partnership_id: Uuid,
        sector: Sector,
        /// Fundings of projects with this policy marker as a significant or principal objective.
        policy_marker: PolicyMarkerCode,
        /// Fundings of projects tagged with this SDG target.
        #[param(example = "6.1")]
        sdg_target: SdgTarget,
        /// Status of the funded project.
        status: ProjectStatus,
        /// Only money of this kind (rows are per kind in any case).
        kind: FundingKind,
        funder_id: Uuid,
        receiver_id: Uuid,
        instrument: Instrument,
        aid_type: AidType,
        #[param(example = "JPY")]
        currency: CurrencyCode,
    }
}

stats_query! {
    /// Parameters of `/v1/stats/projects`. Keys: sector, status, country, city, start_year, partnership,
    /// policy_marker (markers of significance 1 or 2, with the significance), sdg_target.
    ProjectStatsQuery, ProjectGroup, "sector,status" {
        #[param(example = "KH")]
        country: CountryCode,
        city_id: Uuid,
        partnership_id: Uuid,
        sector: Sector,
        status: ProjectStatus,
        /// Projects with this policy marker as a significant or principal objective.
        policy_marker: PolicyMarkerCode,
        #[param(example = "6.1")]
        sdg_target: SdgTarget,
    }
}

stats_query! {
    /// Parameters of `/v1/stats/exchanges`. Keys: year (of the start), kind, partnership (the exchange's or
    /// its project's), from_country, to_country, from_city, to_city.
    ExchangeStatsQuery, ExchangeGroup, "year,kind" {
        /// Exchanges from or to a city of this country.
        #[param(example = "VN")]
        country: CountryCode,
        /// Exchanges from or to this city.
        city_id: Uuid,
        partnership_id: Uuid,
        project_id: Uuid,
        kind: ExchangeKind,
    }
}

stats_query! {
    /// Parameters of `/v1/stats/indicators`. Keys: city, organization, country (of the city, or the
    /// country measured), partnership, year, project; rows always carry the metric and unit.
    IndicatorStatsQuery, IndicatorGroup, "city,year" {
        #[param(example = "non_revenue_water_rate")]
        metric: MetricCode,
        /// Indicators of this country or of its cities.
        #[param(example = "KH")]
        country: CountryCode,
        city_id: Uuid,
        organization_id: Uuid,
        partnership_id: Uuid,
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

/// Parameters of `/v1/stats/results`: one row per result of each project's results framework.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResultStatsQuery {
    pub project_id: Option<Uuid>,
    pub partnership_id: Option<Uuid>,
    /// Results of projects in this city.
    pub city_id: Option<Uuid>,
    /// Results of projects in a city of this country.
    #[param(example = "KH")]
    pub country: Option<CountryCode>,
    pub kind: Option<ResultKind>,
    #[param(example = "non_revenue_water_rate")]
    pub metric: Option<MetricCode>,
    /// `csv` answers `text/csv`, as `Accept: text/csv` does.
    #[param(inline)]
    pub format: Option<Format>,
}

/// A row of `/v1/stats/results`: one result of a project, its baseline, latest actual value and final
/// target, the change since the baseline and the progress towards the target.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ResultStatsRow {
    pub project_id: Uuid,
    #[schema(example = "Phnom Penh water supply improvement")]
    pub project_title: String,
    /// The result's position in the project's `results`.
    #[schema(example = 0)]
    pub result_index: usize,
    pub kind: ResultKind,
    #[schema(example = "Non-revenue water reduced")]
    pub title: String,
    #[schema(example = "non_revenue_water_rate")]
    pub metric: String,
    #[schema(example = "%")]
    pub unit: Option<String>,
    pub measure: Measure,
    /// Whether a higher value is better.
    pub ascending: bool,
    #[schema(example = "1993")]
    pub baseline_period: Option<String>,
    #[schema(example = "72")]
    pub baseline_value: Option<String>,
    /// The actual value of the latest period (an undated one only where no actual is dated).
    #[schema(example = "2008")]
    pub actual_period: Option<String>,
    #[schema(example = "6.2")]
    pub actual_value: Option<String>,
    /// The target of the latest period.
    #[schema(example = "2010")]
    pub target_period: Option<String>,
    #[schema(example = "10")]
    pub target_value: Option<String>,
    /// `actual_value` minus `baseline_value`.
    #[schema(example = "-65.8")]
    pub change: Option<String>,
    /// How far the actual value has come from the baseline towards the target, in percent (rounded to
    /// one decimal; past 100 when the target is exceeded, negative when it moved away).
    #[schema(example = "105.8")]
    pub progress_percent: Option<String>,
    /// Whether the actual value reaches the target, in the direction `ascending` says is better.
    pub target_met: Option<bool>,
}

/// The point of the latest period: dated points after undated ones, later periods after earlier ones,
/// and the last listed among equals.
fn latest(points: &[ResultPoint]) -> Option<&ResultPoint> {
    points
        .iter()
        .enumerate()
        .max_by(|(i, a), (j, b)| {
            let period = |p: &ResultPoint| p.period.as_ref().map(|d| d.as_str().to_owned());
            period(a).cmp(&period(b)).then(i.cmp(j))
        })
        .map(|(_, point)| point)
}

impl ResultStatsRow {
    pub fn new(
        project_id: Uuid,
        project_title: &str,
        index: usize,
        result: &ProjectResult,
    ) -> Self {
        let baseline = result.baseline.as_ref();
        let actual = latest(&result.actuals);
        let target = latest(&result.targets);
        let number =
            |point: Option<&ResultPoint>| point.and_then(|p| p.value.as_ref()).map(Decimal::number);
        let (b, a, t) = (number(baseline), number(actual), number(target));
        // Checked: values near the 28-digit limit give no figure rather than an overflow.
        let change = b.zip(a).and_then(|(b, a)| a.checked_sub(b));
        let progress = match (change, b, t) {
            (Some(change), Some(b), Some(t)) => t
                .checked_sub(b)
                .filter(|span| !span.is_zero())
                .and_then(|span| {
                    change
                        .checked_mul(rust_decimal::Decimal::ONE_HUNDRED)?
                        .checked_div(span)
                })
                .map(|p| p.round_dp(1).normalize()),
            _ => None,
        };
        let ascending = result.indicator.ascending;
        let text = |point: Option<&ResultPoint>| {
            point.and_then(|p| p.value.as_ref().map(|v| v.as_str().to_owned()))
        };
        let period = |point: Option<&ResultPoint>| {
            point.and_then(|p| p.period.as_ref().map(|d| d.as_str().to_owned()))
        };
        Self {
            project_id,
            project_title: project_title.to_owned(),
            result_index: index,
            kind: result.kind,
            title: result.title.as_str().to_owned(),
            metric: result.indicator.metric.as_str().to_owned(),
            unit: result
                .indicator
                .unit
                .as_ref()
                .map(|u| u.as_str().to_owned()),
            measure: result.indicator.measure,
            ascending,
            baseline_period: period(baseline),
            baseline_value: text(baseline),
            actual_period: period(actual),
            actual_value: text(actual),
            target_period: period(target),
            target_value: text(target),
            change: change.map(|c| c.normalize().to_string()),
            progress_percent: progress.map(|p| p.to_string()),
            target_met: a
                .zip(t)
                .map(|(a, t)| if ascending { a >= t } else { a <= t }),
        }
    }

    /// The column names, in order, for CSV.
    pub const COLUMNS: [&'static str; 18] = [
        "project_id",
        "project_title",
        "result_index",
        "kind",
        "title",
        "metric",
        "unit",
        "measure",
        "ascending",
        "baseline_period",
        "baseline_value",
        "actual_period",
        "actual_value",
        "target_period",
        "target_value",
        "change",
        "progress_percent",
        "target_met",
    ];
}
