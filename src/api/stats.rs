//! Aggregates for dashboards, as JSON or CSV, versioned by the change feed so polling is cheap: a client
//! that sends the ETag back gets a 304 without the aggregate being computed again.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::crud::{body_etag, not_modified};
use super::extract::{PathId, Query};
use crate::domain::*;
use crate::error::{ApiError, Problem};
use crate::store::{self, Headline, Store, Table};
use crate::tabular;

const CSV: &str = "text/csv; charset=utf-8";
/// Dashboards may show an aggregate for a few seconds, then must revalidate (a 304 is cheap).
const CACHE_CONTROL: &str = "public, max-age=5, must-revalidate";

/// Rows of an aggregate, as JSON.
#[derive(Serialize, ToSchema)]
pub struct StatsTable<T> {
    /// The grouping keys asked for.
    pub group_by: Vec<String>,
    /// Column names in order; CSV has the same header.
    pub columns: Vec<String>,
    pub rows: Vec<T>,
}

/// A row of `/v1/stats/fundings`: the grouping columns asked for, then `kind` and `currency`, and the
/// figures.
#[derive(Serialize, ToSchema)]
pub struct FundingStatsRow {
    /// Present with `group_by=year`: the year the funding's period starts; null for fundings with no
    /// period.
    #[schema(example = 1999)]
    pub year: Option<i32>,
    pub funder_id: Option<uuid::Uuid>,
    #[schema(example = "Japan Bank for International Cooperation")]
    pub funder_name: Option<String>,
    #[schema(example = "CN")]
    pub country: Option<String>,
    pub city_id: Option<uuid::Uuid>,
    pub city_name: Option<String>,
    #[schema(example = "air_quality")]
    pub sector: Option<String>,
    pub scheme: Option<String>,
    pub instrument: Option<String>,
    pub partnership_id: Option<uuid::Uuid>,
    pub partnership_title: Option<String>,
    /// Present with `group_by=receiver`.
    pub receiver_id: Option<uuid::Uuid>,
    #[schema(example = "Phnom Penh Water Supply Authority")]
    pub receiver_name: Option<String>,
    /// Present with `group_by=aid_type`.
    #[schema(example = "D02")]
    pub aid_type: Option<String>,
    /// Present with `group_by=policy_marker`: a marker of the funded project, of significance 1 or 2.
    #[schema(example = "environment")]
    pub policy_marker: Option<String>,
    pub significance: Option<i64>,
    #[schema(example = "11.6")]
    pub sdg_target: Option<String>,
    /// Always a grouping key: amounts of different kinds (a commitment and a disbursement) are never
    /// added together.
    #[schema(value_type = FundingKind, example = "commitment")]
    pub kind: String,
    /// Always a grouping key: amounts are never added across currencies.
    #[schema(example = "JPY")]
    pub currency: Option<String>,
    /// Exact decimal sum of the amounts.
    #[schema(example = "8500000000")]
    pub total_amount: Option<String>,
    /// Fundings in the row, with or without an amount.
    #[schema(example = 2)]
    pub count: i64,
    /// Fundings in the row whose amount the sources do not give.
    #[schema(example = 0)]
    pub count_without_amount: i64,
}

/// A row of `/v1/stats/projects`.
#[derive(Serialize, ToSchema)]
pub struct ProjectStatsRow {
    #[schema(example = "water_supply")]
    pub sector: Option<String>,
    #[schema(example = "completed")]
    pub status: Option<String>,
    pub country: Option<String>,
    pub city_id: Option<uuid::Uuid>,
    pub city_name: Option<String>,
    #[schema(example = 2009)]
    pub start_year: Option<i32>,
    pub partnership_id: Option<uuid::Uuid>,
    pub partnership_title: Option<String>,
    /// With `group_by=policy_marker`: a marker of significance 1 or 2, and that significance.
    #[schema(example = "climate_mitigation")]
    pub policy_marker: Option<String>,
    #[schema(example = 2)]
    pub significance: Option<i64>,
    #[schema(example = "6.1")]
    pub sdg_target: Option<String>,
    #[schema(example = 4)]
    pub count: i64,
}

/// A row of `/v1/stats/exchanges`.
#[derive(Serialize, ToSchema)]
pub struct ExchangeStatsRow {
    #[schema(example = 1997)]
    pub year: Option<i32>,
    #[schema(example = "trainee_acceptance")]
    pub kind: Option<String>,
    pub partnership_id: Option<uuid::Uuid>,
    pub partnership_title: Option<String>,
    pub from_country: Option<String>,
    pub to_country: Option<String>,
    pub from_city_id: Option<uuid::Uuid>,
    pub from_city_name: Option<String>,
    pub to_city_id: Option<uuid::Uuid>,
    pub to_city_name: Option<String>,
    #[schema(example = 3)]
    pub count: i64,
    /// Sum of the people the exchanges state (counts of organizations or cities are not added).
    #[schema(example = 26)]
    pub participants: Option<i64>,
    /// Exchanges whose number of people is not known (or is counted in organizations or cities).
    #[schema(example = 0)]
    pub count_without_participants: i64,
}

/// A row of `/v1/stats/indicators`: the latest value of one metric in one group.
#[derive(Serialize, ToSchema)]
pub struct IndicatorStatsRow {
    pub city_id: Option<uuid::Uuid>,
    #[schema(example = "Phnom Penh")]
    pub city_name: Option<String>,
    #[schema(example = 2006)]
    pub year: Option<i32>,
    pub project_id: Option<uuid::Uuid>,
    pub project_title: Option<String>,
    #[schema(example = "non_revenue_water_rate")]
    pub metric: String,
    #[schema(example = "%")]
    pub unit: String,
    /// Values in the group.
    #[schema(example = 1)]
    pub count: i64,
    pub organization_id: Option<uuid::Uuid>,
    pub organization_name: Option<String>,
    /// With `group_by=country`: the country of the city measured, or the country measured.
    #[schema(example = "KH")]
    pub country: Option<String>,
    pub partnership_id: Option<uuid::Uuid>,
    pub partnership_title: Option<String>,
    /// Null when the latest value is undated.
    #[schema(example = "2006")]
    pub latest_period: Option<String>,
    /// Null when the latest value is a range.
    #[schema(example = "8")]
    pub latest_value: Option<String>,
    #[schema(value_type = Option<ValueQualifier>)]
    pub latest_qualifier: Option<String>,
    pub latest_value_low: Option<String>,
    pub latest_value_high: Option<String>,
}

/// Headline numbers of the whole record.
#[derive(Serialize, ToSchema)]
pub struct Overview {
    pub headline: Headline,
    /// Funding totals, one row per kind and currency: committed and disbursed money apart.
    pub funding: Vec<FundingStatsRow>,
}

/// One partnership's card.
#[derive(Serialize, ToSchema)]
pub struct PartnershipSummary {
    pub partnership: Partnership,
    pub cities: Vec<City>,
    pub agreements: Vec<Agreement>,
    pub projects_by_sector: Vec<ProjectStatsRow>,
    pub projects_by_status: Vec<ProjectStatsRow>,
    /// One row per kind and currency: committed and disbursed money apart.
    pub funding: Vec<FundingStatsRow>,
    pub exchanges_by_year: Vec<ExchangeStatsRow>,
    /// The first and last year any of its records names.
    #[schema(example = 1979)]
    pub first_year: Option<i32>,
    #[schema(example = 2018)]
    pub last_year: Option<i32>,
}

fn wants_csv(request: &HttpRequest, format: Option<Format>) -> bool {
    match format {
        Some(format) => format == Format::Csv,
        None => request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/csv")),
    }
}

fn internal(error: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(error.into())
}

/// The rows as a CSV document, header first.
fn csv_body(columns: &[&str], rows: &[Map<String, Value>]) -> Result<Vec<u8>, ApiError> {
    let mut body = tabular::BYTE_ORDER_MARK.to_vec();
    body.extend(tabular::record(columns).map_err(internal)?);
    for row in rows {
        let cells = columns.iter().map(|column| tabular::cell(row.get(*column)));
        body.extend(tabular::record(cells).map_err(internal)?);
    }
    Ok(body)
}

/// The answers of aggregates, each kept under its ETag's key (path, query, format and data version), so
/// an aggregate is computed once per version of the data however many dashboards poll it; and a limit on
/// how many are computed at once, so aggregates cannot take every database connection from point reads.
pub struct StatsCache {
    answers: std::sync::Mutex<Answers>,
    computing: tokio::sync::Semaphore,
}

#[derive(Default)]
struct Answers {
    bodies: std::collections::HashMap<String, (web::Bytes, &'static str)>,
    bytes: usize,
}

/// Kept answers are dropped together when they pass this size: keys of older data versions are never
/// asked for again.
const CACHE_BYTES: usize = 32 << 20;

impl StatsCache {
    /// At most half of `connections` compute aggregates at once.
    pub fn new(connections: u32) -> Self {
        Self {
            answers: Default::default(),
            computing: tokio::sync::Semaphore::new((connections as usize / 2).max(1)),
        }
    }

    fn get(&self, key: &str) -> Option<(web::Bytes, &'static str)> {
        let answers = self
            .answers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        answers.bodies.get(key).cloned()
    }

    fn keep(&self, key: String, body: web::Bytes, content_type: &'static str) {
        let mut answers = self
            .answers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if answers.bytes + body.len() > CACHE_BYTES {
            *answers = Answers::default();
        }
        answers.bytes += body.len();
        answers.bodies.insert(key, (body, content_type));
    }
}

/// Answers an aggregate versioned by the change feed: 304 before any work when the client has it, the
/// kept answer when this version was computed before.
async fn versioned<F, Fut>(
    store: &Store,
    request: &HttpRequest,
    csv: bool,
    resources: &[ResourceKind],
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Answer, ApiError>>,
{
    let version = store.data_version(resources).await?;
    let format = if csv { "csv" } else { "json" };
    let key = format!(
        "{}?{}#{format}@{version}",
        request.path(),
        request.query_string()
    );
    let etag = body_etag(key.as_bytes());
    let mut response = if not_modified(request, &etag) {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((header::VARY, "Accept"));
    if not_modified(request, &etag) {
        return Ok(response.finish());
    }
    let cache = request.app_data::<web::Data<StatsCache>>();
    if let Some((body, content_type)) = cache.and_then(|cache| cache.get(&key)) {
        return Ok(response.content_type(content_type).body(body));
    }
    let _turn = match cache {
        Some(cache) => {
            let turn = cache.computing.acquire().await.map_err(internal)?;
            // Requests that waited for this turn while another computed the same answer take it.
            if let Some((body, content_type)) = cache.get(&key) {
                return Ok(response.content_type(content_type).body(body));
            }
            Some(turn)
        }
        None => None,
    };
    let (body, content_type) = match compute().await? {
        Answer::Table { columns, rows, .. } if csv => (csv_body(&columns, &rows)?, CSV),
        Answer::Document(document) if csv => {
            (csv_body(&SUMMARY_COLUMNS, &flatten(&document))?, CSV)
        }
        answer => (
            serde_json::to_vec(&answer).map_err(internal)?,
            "application/json",
        ),
    };
    let body = web::Bytes::from(body);
    if let Some(cache) = cache {
        cache.keep(key, body.clone(), content_type);
    }
    Ok(response.content_type(content_type).body(body))
}

/// What an aggregate answers: a table (as JSON, its grouping keys, columns and rows; as CSV, its rows)
/// or a document (as JSON, itself; as CSV, its values flattened into `section,key,value` rows).
#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    Table {
        group_by: Vec<&'static str>,
        columns: Vec<&'static str>,
        rows: Vec<Map<String, Value>>,
    },
    Document(Value),
}

fn table_answer(group_by: Vec<&'static str>, table: Table) -> Answer {
    Answer::Table {
        group_by,
        columns: table.columns,
        rows: table.rows,
    }
}

const PROJECT_DATA: &[ResourceKind] = &[
    ResourceKind::Project,
    ResourceKind::City,
    ResourceKind::Partnership,
];
const FUNDING_DATA: &[ResourceKind] = &[
    ResourceKind::Funding,
    ResourceKind::Project,
    ResourceKind::City,
    ResourceKind::Organization,
    ResourceKind::Partnership,
];
const EXCHANGE_DATA: &[ResourceKind] = &[
    ResourceKind::Exchange,
    ResourceKind::Project,
    ResourceKind::City,
    ResourceKind::Partnership,
];
const INDICATOR_DATA: &[ResourceKind] = &[
    ResourceKind::Indicator,
    ResourceKind::City,
    ResourceKind::Project,
];

/// Funding totals, grouped.
///
/// Amounts are summed exactly (in minor units), and never across kinds of money or currencies: `kind`
/// (commitment, disbursement, …) and `currency` are always grouping keys, so a dashboard's "committed vs
/// disbursed per year per currency" is `group_by=year`. Fundings without an amount count in `count` and
/// `count_without_amount`, not in `total_amount`. A record without a date is grouped under a null year.
/// With `sector` or `city`, a funding of a project with several sectors or cities counts once in each of
/// its rows (so rows can add up to more than the total); without them it counts once.
#[utoipa::path(
    tag = "stats",
    params(FundingStatsQuery, ("If-None-Match" = Option<String>, Header, description = "An ETag of this answer")),
    responses(
        (status = 200, description = "Grouped totals", content((StatsTable<FundingStatsRow> = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes exactly when the data behind it does"),
                    ("Cache-Control" = String, description = "Revalidate after a few seconds"))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 400, description = "Unknown group_by key or filter; the message lists the allowed ones",
            body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/stats/fundings")]
pub async fn funding_stats(
    store: web::Data<Store>,
    request: HttpRequest,
    query: Query<FundingStatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let csv = wants_csv(&request, query.format);
    versioned(&store, &request, csv, FUNDING_DATA, || async {
        let keys = query.keys().iter().map(|k| k.code()).collect();
        let table = store.funding_stats(&query).await?;
        Ok(table_answer(keys, table))
    })
    .await
}

/// Project counts, grouped. A project with several sectors (or cities) counts once per sector (or city)
/// in such a breakdown, and once without it.
#[utoipa::path(
    tag = "stats",
    params(ProjectStatsQuery, ("If-None-Match" = Option<String>, Header, description = "An ETag of this answer")),
    responses(
        (status = 200, description = "Grouped counts", content((StatsTable<ProjectStatsRow> = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes exactly when the data behind it does"))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 400, description = "Unknown group_by key or filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/stats/projects")]
pub async fn project_stats(
    store: web::Data<Store>,
    request: HttpRequest,
    query: Query<ProjectStatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let csv = wants_csv(&request, query.format);
    versioned(&store, &request, csv, PROJECT_DATA, || async {
        let keys = query.keys().iter().map(|k| k.code()).collect();
        let table = store.project_stats(&query).await?;
        Ok(table_answer(keys, table))
    })
    .await
}

/// Exchanges and the people in them, grouped.
#[utoipa::path(
    tag = "stats",
    params(ExchangeStatsQuery, ("If-None-Match" = Option<String>, Header, description = "An ETag of this answer")),
    responses(
        (status = 200, description = "Grouped counts and participants", content((StatsTable<ExchangeStatsRow> = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes exactly when the data behind it does"))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 400, description = "Unknown group_by key or filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/stats/exchanges")]
pub async fn exchange_stats(
    store: web::Data<Store>,
    request: HttpRequest,
    query: Query<ExchangeStatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let csv = wants_csv(&request, query.format);
    versioned(&store, &request, csv, EXCHANGE_DATA, || async {
        let keys = query.keys().iter().map(|k| k.code()).collect();
        let table = store.exchange_stats(&query).await?;
        Ok(table_answer(keys, table))
    })
    .await
}

/// Indicator series: per group (and metric and unit), the latest value and how many values there are.
/// With `group_by=city,year` each row is one point of a city's series.
#[utoipa::path(
    tag = "stats",
    params(IndicatorStatsQuery, ("If-None-Match" = Option<String>, Header, description = "An ETag of this answer")),
    responses(
        (status = 200, description = "Latest values per group", content((StatsTable<IndicatorStatsRow> = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes exactly when the data behind it does"))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 400, description = "Unknown group_by key or filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/stats/indicators")]
pub async fn indicator_stats(
    store: web::Data<Store>,
    request: HttpRequest,
    query: Query<IndicatorStatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let csv = wants_csv(&request, query.format);
    versioned(&store, &request, csv, INDICATOR_DATA, || async {
        let keys = query.keys().iter().map(|k| k.code()).collect();
        let table = store.indicator_stats(&query).await?;
        Ok(table_answer(keys, table))
    })
    .await
}

/// Progress of results: for each result of each project's results framework, its baseline, latest
/// actual value and final target, the change since the baseline and the progress towards the target.
#[utoipa::path(
    tag = "stats",
    params(ResultStatsQuery, ("If-None-Match" = Option<String>, Header, description = "An ETag of this answer")),
    responses(
        (status = 200, description = "One row per result", content((StatsTable<ResultStatsRow> = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes exactly when the data behind it does"))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 400, description = "Unknown filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/stats/results")]
pub async fn result_stats(
    store: web::Data<Store>,
    request: HttpRequest,
    query: Query<ResultStatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let csv = wants_csv(&request, query.format);
    versioned(&store, &request, csv, PROJECT_DATA, || async {
        let rows = store.result_stats(&query).await?;
        let rows: Vec<Map<String, Value>> = rows
            .into_iter()
            .map(|row| match serde_json::to_value(row) {
                Ok(Value::Object(row)) => Ok(row),
                other => Err(internal(anyhow::anyhow!("a result row is {other:?}"))),
            })
            .collect::<Result<_, _>>()?;
        Ok(Answer::Table {
            group_by: Vec::new(),
            columns: ResultStatsRow::COLUMNS.to_vec(),
            rows,
        })
    })
    .await
}

/// Flattens a JSON document into `section,key,value` rows for CSV.
fn flatten(document: &Value) -> Vec<Map<String, Value>> {
    fn walk(section: &str, pointer: String, value: &Value, rows: &mut Vec<Map<String, Value>>) {
        match value {
            Value::Object(fields) => {
                for (name, child) in fields {
                    walk(section, format!("{pointer}/{name}"), child, rows)
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(section, format!("{pointer}/{i}"), child, rows)
                }
            }
            scalar => {
                let mut row = Map::new();
                row.insert("section".into(), section.into());
                row.insert("key".into(), pointer.trim_start_matches('/').into());
                row.insert("value".into(), scalar.clone());
                rows.push(row);
            }
        }
    }
    let mut rows = Vec::new();
    if let Value::Object(sections) = document {
        for (section, value) in sections {
            walk(section, String::new(), value, &mut rows);
        }
    }
    rows
}

const SUMMARY_COLUMNS: [&str; 3] = ["section", "key", "value"];

/// Headline numbers: records, active ones, trainees and experts, funding per kind and currency.
#[utoipa::path(
    tag = "stats",
    params(SummaryQuery, ("If-None-Match" = Option<String>, Header, description = "An ETag of this answer")),
    responses(
        (status = 200, description = "The overview", content((Overview = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes exactly when the data behind it does"))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 400, description = "Unknown parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/stats/overview")]
pub async fn overview(
    store: web::Data<Store>,
    request: HttpRequest,
    query: Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    let csv = wants_csv(&request, query.0.format);
    versioned(&store, &request, csv, &ResourceKind::ALL, || async {
        let headline = store.headline().await?;
        let funding = store.funding_stats(&FundingStatsQuery::default()).await?;
        Ok(Answer::Document(
            serde_json::json!({"headline": headline, "funding": funding.rows}),
        ))
    })
    .await
}

fn year_of(value: Option<&str>) -> Option<i32> {
    value
        .and_then(|text| text.get(..4))
        .and_then(|year| year.parse().ok())
}

/// One partnership's card: its cities and agreements, projects by sector and status, funding per
/// kind and currency, exchanges per year, and the first and last year of activity.
#[utoipa::path(
    tag = "stats",
    params(("id" = Uuid, Path, description = "The partnership's id"), SummaryQuery,
        ("If-None-Match" = Option<String>, Header, description = "An ETag of this answer")),
    responses(
        (status = 200, description = "The card", content((PartnershipSummary = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes exactly when the data behind it does"))),
        (status = 304, description = "Unchanged since the ETag in If-None-Match"),
        (status = 400, description = "The id is not a UUID, or an unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partnership", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/partnerships/{id}/summary")]
pub async fn partnership_summary(
    store: web::Data<Store>,
    request: HttpRequest,
    id: PathId,
    query: Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.0;
    let partnership = store.get::<store::Partnerships>(id).await?;
    let csv = wants_csv(&request, query.0.format);
    versioned(&store, &request, csv, &ResourceKind::ALL, || async {
        let mut cities = Vec::new();
        for city in &partnership.data.city_ids {
            cities.push(store.get::<store::Cities>(*city).await?);
        }
        let agreements = store
            .list::<store::Agreements>(store::ListRequest {
                filter: AgreementFilter {
                    partnership_id: Some(id),
                    ..Default::default()
                },
                limit: MAX_LIMIT,
                cursor: None,
                sort: Some("signed".into()),
            })
            .await?
            .items;
        let projects = |keys: &str| ProjectStatsQuery {
            group_by: GroupBy::try_from(keys.to_owned()).ok(),
            partnership_id: Some(id),
            ..Default::default()
        };
        let by_sector = store.project_stats(&projects("sector")).await?;
        let by_status = store.project_stats(&projects("status")).await?;
        let by_start = store.project_stats(&projects("start_year")).await?;
        let funding = store
            .funding_stats(&FundingStatsQuery {
                partnership_id: Some(id),
                ..Default::default()
            })
            .await?;
        let exchanges = store
            .exchange_stats(&ExchangeStatsQuery {
                group_by: GroupBy::try_from("year".to_owned()).ok(),
                partnership_id: Some(id),
                ..Default::default()
            })
            .await?;
        let years: Vec<i32> = [
            year_of(
                partnership
                    .data
                    .established
                    .as_ref()
                    .map(PartialDate::as_str),
            ),
            year_of(partnership.data.ended.as_ref().map(PartialDate::as_str)),
        ]
        .into_iter()
        .chain(
            agreements
                .iter()
                .map(|a| year_of(a.data.signed.as_ref().map(PartialDate::as_str))),
        )
        .chain(
            by_start
                .rows
                .iter()
                .map(|row| row["start_year"].as_i64().map(|y| y as i32)),
        )
        .chain(
            exchanges
                .rows
                .iter()
                .map(|row| row["year"].as_i64().map(|y| y as i32)),
        )
        .flatten()
        .collect();
        let json = serde_json::json!({
            "partnership": partnership,
            "cities": cities,
            "agreements": agreements,
            "projects_by_sector": by_sector.rows,
            "projects_by_status": by_status.rows,
            "funding": funding.rows,
            "exchanges_by_year": exchanges.rows,
            "first_year": years.iter().min(),
            "last_year": years.iter().max(),
        });
        Ok(Answer::Document(json))
    })
    .await
}
