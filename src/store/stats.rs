//! Aggregates for dashboards, computed by the database with GROUP BY; the same statements on SQLite and
//! PostgreSQL. Money is summed in integer minor units and always grouped by currency.

use sea_orm::sea_query::{
    Alias, Cond, Expr, ExprTrait, Func, JoinType, NullOrdering, Order, Query, SelectStatement,
    SimpleExpr, SubQueryStatement, UnionType,
};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

use super::resources::{ids_referencing, ids_referencing_country, marked, tagged};
use super::Store;
use crate::domain::*;

/// How a column is read back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Id,
    /// The first four characters of a partial date, answered as a number.
    Year,
    Integer,
}

struct Column {
    name: &'static str,
    expr: SimpleExpr,
    kind: Kind,
}

fn column(name: &'static str, expr: SimpleExpr, kind: Kind) -> Column {
    Column { name, expr, kind }
}

/// Rows of an aggregate with their columns in order: the grouping columns, then the figures.
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Map<String, Value>>,
}

fn col(table: &'static str, name: &'static str) -> SimpleExpr {
    Expr::col((Alias::new(table), Alias::new(name)))
}

fn year_of(table: &'static str, name: &'static str) -> SimpleExpr {
    Func::cust("SUBSTR")
        .arg(col(table, name))
        .arg(1)
        .arg(4)
        .into()
}

fn count_all() -> SimpleExpr {
    Func::cast_as(Func::count(Expr::cust("*")), "BIGINT").into()
}

/// A sum that fits in i64: counts, and participants (at most u32::MAX each, so below 2^31 rows).
fn sum(expr: SimpleExpr) -> SimpleExpr {
    Func::cast_as(Func::sum(expr), "BIGINT").into()
}

/// Money sums are split at this power of ten: amounts go up to i64, so their sum can pass it (SQLite
/// then fails with `integer overflow`, PostgreSQL with `bigint out of range`), but the sums of the high
/// and low parts fit, and are joined exactly in i128.
const MONEY_SPLIT: i64 = 1_000_000_000;

/// The sums of the high and low parts of `minor`, to be joined by `money_columns`.
fn money_sums(minor: SimpleExpr) -> [Column; 2] {
    [
        column(
            "total_minor_high",
            sum(minor.clone().div(MONEY_SPLIT)),
            Kind::Integer,
        ),
        column(
            "total_minor_low",
            sum(minor.modulo(MONEY_SPLIT)),
            Kind::Integer,
        ),
    ]
}

/// 1 for each row where `expr` is null.
fn count_null(expr: SimpleExpr) -> SimpleExpr {
    // A sum over no rows is NULL; a count of none is 0.
    Func::coalesce([
        sum(Expr::case(expr.is_null(), 1).finally(0).into()),
        0.into(),
    ])
    .into()
}

fn project_in_sector(project: SimpleExpr, sector: Sector) -> SimpleExpr {
    project.in_subquery(
        Query::select()
            .column("project_id")
            .from("project_sectors")
            .and_where(Expr::col("sector").eq(sector.code()))
            .take(),
    )
}

/// Whether an exchange's `participants` counts people (the unit when none is given).
fn counts_people(unit: SimpleExpr) -> Cond {
    Cond::any()
        .add(unit.clone().is_null())
        .add(unit.eq("people"))
}

fn year_range(year: SimpleExpr, from: Option<u16>, to: Option<u16>) -> Cond {
    Cond::all()
        .add_option(from.map(|from| year.clone().gte(format!("{from:04}"))))
        .add_option(to.map(|to| year.lte(format!("{to:04}"))))
}

/// Joins what the project-city keys need: `city` joins every city of a project (so a project counts once
/// per city), `country` one row per distinct country (so two cities of one country count once).
fn join_project_places(
    select: &mut SelectStatement,
    project: SimpleExpr,
    by_city: bool,
    by_country: bool,
) {
    if by_city {
        select
            .join_as(
                JoinType::LeftJoin,
                "refs",
                "pc",
                Cond::all()
                    .add(Expr::col(("pc", "from_id")).eq(project))
                    .add(Expr::col(("pc", "field")).eq("city_ids"))
                    .add(Expr::col(("pc", "from_resource")).eq("project")),
            )
            .join_as(
                JoinType::LeftJoin,
                "cities",
                "c",
                Expr::col(("c", "id")).equals(("pc", "to_id")),
            );
    } else if by_country {
        let countries = Query::select()
            .distinct()
            .expr_as(Expr::col(("r", "from_id")), "project_id")
            .expr_as(Expr::col(("cc", "country")), "country")
            .from_as("refs", "r")
            .join_as(
                JoinType::InnerJoin,
                "cities",
                "cc",
                Expr::col(("cc", "id")).equals(("r", "to_id")),
            )
            .and_where(Expr::col(("r", "field")).eq("city_ids"))
            .and_where(Expr::col(("r", "from_resource")).eq("project"))
            .take();
        select.join_subquery(
            JoinType::LeftJoin,
            countries,
            "c",
            Expr::col(("c", "project_id")).eq(project),
        );
    }
}

/// A record a row is grouped by: its table, the alias it is joined as, the column that names it, and the
/// output columns of its id and name.
struct Named {
    table: &'static str,
    alias: &'static str,
    label: &'static str,
    id_column: &'static str,
    label_column: &'static str,
}

const PARTNERSHIP: Named = Named {
    table: "partnerships",
    alias: "pa",
    label: "title",
    id_column: "partnership_id",
    label_column: "partnership_title",
};
const FUNDER: Named = Named {
    table: "organizations",
    alias: "o",
    label: "name",
    id_column: "funder_id",
    label_column: "funder_name",
};
const RECEIVER: Named = Named {
    table: "organizations",
    alias: "ro",
    label: "name",
    id_column: "receiver_id",
    label_column: "receiver_name",
};
const ORGANIZATION: Named = Named {
    table: "organizations",
    alias: "o",
    label: "name",
    id_column: "organization_id",
    label_column: "organization_name",
};
const PROJECT: Named = Named {
    table: "projects",
    alias: "p",
    label: "title",
    id_column: "project_id",
    label_column: "project_title",
};

/// Groups by the record `id` names: its id, and its name from a left join, so rows that name none keep a
/// null group.
fn group_named(
    select: &mut SelectStatement,
    groups: &mut Vec<Column>,
    id: SimpleExpr,
    named: &Named,
) {
    let alias = Alias::new(named.alias);
    select.join_as(
        JoinType::LeftJoin,
        named.table,
        alias.clone(),
        Expr::col((alias, Alias::new("id"))).eq(id.clone()),
    );
    groups.push(column(named.id_column, id, Kind::Id));
    groups.push(column(
        named.label_column,
        col(named.alias, named.label),
        Kind::Text,
    ));
}

/// The grouping keys fundings and projects share: they group the project.
#[derive(Clone, Copy)]
enum ProjectKey {
    Sector,
    Country,
    City,
    Partnership,
    PolicyMarker,
    SdgTarget,
}

/// Adds a project key's columns (and the join it needs) to an aggregate over projects `p`.
fn group_project(select: &mut SelectStatement, key: ProjectKey, groups: &mut Vec<Column>) {
    match key {
        ProjectKey::Sector => {
            select.join_as(
                JoinType::LeftJoin,
                "project_sectors",
                "ps",
                Expr::col(("ps", "project_id")).equals(("p", "id")),
            );
            groups.push(column("sector", col("ps", "sector"), Kind::Text));
        }
        ProjectKey::Country => groups.push(column("country", col("c", "country"), Kind::Text)),
        ProjectKey::City => {
            groups.push(column("city_id", col("c", "id"), Kind::Id));
            groups.push(column("city_name", col("c", "name"), Kind::Text));
        }
        ProjectKey::Partnership => {
            group_named(select, groups, col("p", "partnership_id"), &PARTNERSHIP)
        }
        ProjectKey::PolicyMarker => {
            select.join_as(
                JoinType::LeftJoin,
                "project_tags",
                "pm",
                Cond::all()
                    .add(Expr::col(("pm", "project_id")).equals(("p", "id")))
                    .add(Expr::col(("pm", "vocabulary")).eq(TagVocabulary::PolicyMarker.name()))
                    .add(Expr::col(("pm", "significance")).gte(1)),
            );
            groups.push(column("policy_marker", col("pm", "code"), Kind::Text));
            groups.push(column(
                "significance",
                Func::cast_as(col("pm", "significance"), "BIGINT").into(),
                Kind::Integer,
            ));
        }
        ProjectKey::SdgTarget => {
            select.join_as(
                JoinType::LeftJoin,
                "project_tags",
                "st",
                Cond::all()
                    .add(Expr::col(("st", "project_id")).equals(("p", "id")))
                    .add(Expr::col(("st", "vocabulary")).eq(TagVocabulary::SdgTarget.name())),
            );
            groups.push(column("sdg_target", col("st", "code"), Kind::Text));
        }
    }
}

/// Filters on a project's policy markers and SDG targets, on projects `p`.
fn tag_filter(marker: Option<PolicyMarkerCode>, target: Option<&SdgTarget>) -> Cond {
    Cond::all()
        .add_option(marker.map(|m| col("p", "id").in_subquery(marked(m))))
        .add_option(
            target
                .map(|t| col("p", "id").in_subquery(tagged(TagVocabulary::SdgTarget, t.as_str()))),
        )
}

/// The filters fundings and projects share, on projects `p`.
fn project_filter(
    country: Option<&CountryCode>,
    city: Option<Uuid>,
    sector: Option<Sector>,
    partnership: Option<Uuid>,
    status: Option<ProjectStatus>,
) -> Cond {
    Cond::all()
        .add_option(
            country.map(|c| col("p", "id").in_subquery(ids_referencing_country("city_ids", c))),
        )
        .add_option(city.map(|id| col("p", "id").in_subquery(ids_referencing("city_ids", id))))
        .add_option(sector.map(|s| project_in_sector(col("p", "id"), s)))
        .add_option(partnership.map(|id| col("p", "partnership_id").eq(id)))
        .add_option(status.map(|s| col("p", "status").eq(s.as_str())))
}

impl Store {
    /// Groups, filters and figures into one statement, runs it, and reads the rows back in order.
    async fn aggregate(
        &self,
        mut select: SelectStatement,
        groups: Vec<Column>,
        figures: Vec<Column>,
    ) -> Result<Table, DbErr> {
        // Grouped and ordered by output position and name, which both engines read the same way.
        for (position, group) in groups.iter().enumerate() {
            select.expr_as(group.expr.clone(), group.name);
            select.add_group_by([Expr::cust((position + 1).to_string())]);
            select.order_by_with_nulls(group.name, Order::Asc, NullOrdering::Last);
        }
        for figure in &figures {
            select.expr_as(figure.expr.clone(), figure.name);
        }
        let rows = self.reader().query_all(&select).await?;
        let columns: Vec<&Column> = groups.iter().chain(&figures).collect();
        let rows = rows
            .iter()
            .map(|row| read_row(row, &columns))
            .collect::<Result<_, _>>()?;
        Ok(Table {
            columns: columns.iter().map(|c| c.name).collect(),
            rows,
        })
    }

    pub async fn funding_stats(&self, query: &FundingStatsQuery) -> Result<Table, DbErr> {
        let keys = query.keys();
        let mut select = Query::select();
        // A funding without a project still counts: towards its partnership or recipient country.
        select.from_as("fundings", "f").join_as(
            JoinType::LeftJoin,
            "projects",
            "p",
            Expr::col(("p", "id")).equals(("f", "project_id")),
        );
        let partnership: SimpleExpr =
            Func::coalesce([col("f", "partnership_id"), col("p", "partnership_id")]).into();
        let by_city = keys.contains(&FundingGroup::City);
        join_project_places(
            &mut select,
            col("p", "id"),
            by_city,
            keys.contains(&FundingGroup::Country),
        );
        let mut groups = Vec::new();
        for key in &keys {
            match key {
                FundingGroup::Year => {
                    groups.push(column("year", year_of("f", "start"), Kind::Year))
                }
                FundingGroup::Funder => {
                    group_named(&mut select, &mut groups, col("f", "funder_id"), &FUNDER)
                }
                FundingGroup::Country => groups.push(column(
                    "country",
                    Func::coalesce([col("c", "country"), col("f", "recipient_country")]).into(),
                    Kind::Text,
                )),
                FundingGroup::City => group_project(&mut select, ProjectKey::City, &mut groups),
                FundingGroup::Sector => group_project(&mut select, ProjectKey::Sector, &mut groups),
                FundingGroup::Scheme => {
                    groups.push(column("scheme", col("f", "scheme"), Kind::Text))
                }
                FundingGroup::Instrument => {
                    groups.push(column("instrument", col("f", "instrument"), Kind::Text))
                }
                FundingGroup::Partnership => {
                    group_named(&mut select, &mut groups, partnership.clone(), &PARTNERSHIP)
                }
                FundingGroup::PolicyMarker => {
                    group_project(&mut select, ProjectKey::PolicyMarker, &mut groups)
                }
                FundingGroup::SdgTarget => {
                    group_project(&mut select, ProjectKey::SdgTarget, &mut groups)
                }
                FundingGroup::Receiver => {
                    group_named(&mut select, &mut groups, col("f", "receiver_id"), &RECEIVER)
                }
                FundingGroup::AidType => {
                    groups.push(column("aid_type", col("f", "aid_type"), Kind::Text))
                }
            }
        }
        // Amounts of two kinds or two currencies are never added together.
        groups.push(column("kind", col("f", "kind"), Kind::Text));
        groups.push(column("currency", col("f", "currency"), Kind::Text));
        let in_country = |country: &CountryCode| {
            Cond::any()
                .add(col("p", "id").in_subquery(ids_referencing_country("city_ids", country)))
                .add(col("f", "recipient_country").eq(country.as_str()))
        };
        select.cond_where(
            project_filter(None, query.city_id, query.sector, None, query.status)
                .add(tag_filter(query.policy_marker, query.sdg_target.as_ref()))
                .add_option(query.country.as_ref().map(in_country))
                .add_option(query.partnership_id.map(|id| partnership.clone().eq(id)))
                .add_option(query.kind.map(|k| col("f", "kind").eq(k.as_str())))
                .add_option(query.funder_id.map(|id| col("f", "funder_id").eq(id)))
                .add_option(query.receiver_id.map(|id| col("f", "receiver_id").eq(id)))
                .add_option(query.aid_type.map(|a| col("f", "aid_type").eq(a.as_str())))
                .add_option(
                    query
                        .instrument
                        .map(|i| col("f", "instrument").eq(i.as_str())),
                )
                .add_option(query.currency.map(|c| col("f", "currency").eq(c.code())))
                .add(year_range(
                    year_of("f", "start"),
                    query.year_from,
                    query.year_to,
                )),
        );
        let mut figures = Vec::from(money_sums(col("f", "amount_minor")));
        figures.extend([
            column("count", count_all(), Kind::Integer),
            column(
                "count_without_amount",
                count_null(col("f", "amount_minor")),
                Kind::Integer,
            ),
        ]);
        let mut table = self.aggregate(select, groups, figures).await?;
        money_columns(&mut table);
        Ok(table)
    }

    pub async fn project_stats(&self, query: &ProjectStatsQuery) -> Result<Table, DbErr> {
        let keys = query.keys();
        let mut select = Query::select();
        select.from_as("projects", "p");
        join_project_places(
            &mut select,
            col("p", "id"),
            keys.contains(&ProjectGroup::City),
            keys.contains(&ProjectGroup::Country),
        );
        let mut groups = Vec::new();
        for key in &keys {
            match key {
                ProjectGroup::Sector => group_project(&mut select, ProjectKey::Sector, &mut groups),
                ProjectGroup::Status => {
                    groups.push(column("status", col("p", "status"), Kind::Text))
                }
                ProjectGroup::Country => {
                    group_project(&mut select, ProjectKey::Country, &mut groups)
                }
                ProjectGroup::City => group_project(&mut select, ProjectKey::City, &mut groups),
                ProjectGroup::StartYear => {
                    groups.push(column("start_year", year_of("p", "start"), Kind::Year))
                }
                ProjectGroup::Partnership => {
                    group_project(&mut select, ProjectKey::Partnership, &mut groups)
                }
                ProjectGroup::PolicyMarker => {
                    group_project(&mut select, ProjectKey::PolicyMarker, &mut groups)
                }
                ProjectGroup::SdgTarget => {
                    group_project(&mut select, ProjectKey::SdgTarget, &mut groups)
                }
            }
        }
        select.cond_where(
            project_filter(
                query.country.as_ref(),
                query.city_id,
                query.sector,
                query.partnership_id,
                query.status,
            )
            .add(tag_filter(query.policy_marker, query.sdg_target.as_ref()))
            .add(year_range(
                year_of("p", "start"),
                query.year_from,
                query.year_to,
            )),
        );
        self.aggregate(
            select,
            groups,
            vec![column("count", count_all(), Kind::Integer)],
        )
        .await
    }

    pub async fn exchange_stats(&self, query: &ExchangeStatsQuery) -> Result<Table, DbErr> {
        let mut select = Query::select();
        select.from_as("exchanges", "e").join_as(
            JoinType::LeftJoin,
            "projects",
            "p",
            Expr::col(("p", "id")).equals(("e", "project_id")),
        );
        // An exchange belongs to its own partnership, or else to its project's.
        let partnership: SimpleExpr =
            Func::coalesce([col("e", "partnership_id"), col("p", "partnership_id")]).into();
        let mut groups = Vec::new();
        let mut joined_cities: Vec<&str> = Vec::new();
        for key in query.keys() {
            let (alias, side, place) = match key {
                ExchangeGroup::Year => {
                    groups.push(column("year", year_of("e", "start"), Kind::Year));
                    continue;
                }
                ExchangeGroup::Kind => {
                    groups.push(column("kind", col("e", "kind"), Kind::Text));
                    continue;
                }
                ExchangeGroup::Partnership => {
                    group_named(&mut select, &mut groups, partnership.clone(), &PARTNERSHIP);
                    continue;
                }
                ExchangeGroup::FromCountry => ("fc", "from_city_id", "from_country"),
                ExchangeGroup::ToCountry => ("tc", "to_city_id", "to_country"),
                ExchangeGroup::FromCity => ("fc", "from_city_id", "from_city"),
                ExchangeGroup::ToCity => ("tc", "to_city_id", "to_city"),
            };
            if !joined_cities.contains(&alias) {
                joined_cities.push(alias);
                select.join_as(
                    JoinType::LeftJoin,
                    "cities",
                    alias,
                    Expr::col((Alias::new(alias), Alias::new("id"))).equals(("e", side)),
                );
            }
            match place {
                "from_country" => {
                    groups.push(column("from_country", col("fc", "country"), Kind::Text))
                }
                "to_country" => groups.push(column("to_country", col("tc", "country"), Kind::Text)),
                "from_city" => {
                    groups.push(column("from_city_id", col("e", "from_city_id"), Kind::Id));
                    groups.push(column("from_city_name", col("fc", "name"), Kind::Text));
                }
                _ => {
                    groups.push(column("to_city_id", col("e", "to_city_id"), Kind::Id));
                    groups.push(column("to_city_name", col("tc", "name"), Kind::Text));
                }
            }
        }
        let in_country = |country: &CountryCode| {
            let cities = Query::select()
                .column("id")
                .from("cities")
                .and_where(Expr::col("country").eq(country.as_str()))
                .take();
            Cond::any()
                .add(col("e", "from_city_id").in_subquery(cities.clone()))
                .add(col("e", "to_city_id").in_subquery(cities))
                .add(col("e", "id").in_subquery(ids_referencing_country("city_ids", country)))
        };
        select.cond_where(
            Cond::all()
                .add_option(query.country.as_ref().map(in_country))
                .add_option(query.city_id.map(|id| {
                    Cond::any()
                        .add(col("e", "from_city_id").eq(id))
                        .add(col("e", "to_city_id").eq(id))
                        .add(col("e", "id").in_subquery(ids_referencing("city_ids", id)))
                }))
                .add_option(query.partnership_id.map(|id| partnership.clone().eq(id)))
                .add_option(query.project_id.map(|id| col("e", "project_id").eq(id)))
                .add_option(query.kind.map(|k| col("e", "kind").eq(k.as_str())))
                .add(year_range(
                    year_of("e", "start"),
                    query.year_from,
                    query.year_to,
                )),
        );
        // Only counts of people add up; an exchange counted in organizations or cities has no number of
        // people.
        let people: SimpleExpr = Expr::case(
            counts_people(col("e", "participants_unit")),
            col("e", "participants"),
        )
        .into();
        let figures = vec![
            column("count", count_all(), Kind::Integer),
            column("participants", sum(people.clone()), Kind::Integer),
            column(
                "count_without_participants",
                count_null(people),
                Kind::Integer,
            ),
        ];
        self.aggregate(select, groups, figures).await
    }
}

/// Reads one row's columns as JSON values.
fn read_row(row: &QueryResult, columns: &[&Column]) -> Result<Map<String, Value>, DbErr> {
    let mut values = Map::new();
    for column in columns {
        let value = match column.kind {
            Kind::Text => row.try_get::<Option<String>>("", column.name)?.into(),
            Kind::Id => row
                .try_get::<Option<Uuid>>("", column.name)?
                .map(|id| id.to_string())
                .into(),
            Kind::Year => row
                .try_get::<Option<String>>("", column.name)?
                .and_then(|year| year.parse::<i64>().ok())
                .into(),
            Kind::Integer => row.try_get::<Option<i64>>("", column.name)?.into(),
        };
        values.insert(column.name.to_owned(), value);
    }
    Ok(values)
}

/// Replaces the sums of `money_sums` with `total_amount`, a decimal string in the row's currency.
fn money_columns(table: &mut Table) {
    table.columns.retain(|column| *column != "total_minor_low");
    for column in table.columns.iter_mut() {
        if *column == "total_minor_high" {
            *column = "total_amount";
        }
    }
    for row in &mut table.rows {
        let part = |name| row.get(name).and_then(Value::as_i64).map(i128::from);
        let minor = part("total_minor_high")
            .zip(part("total_minor_low"))
            .map(|(high, low)| high * i128::from(MONEY_SPLIT) + low);
        let exponent = row
            .get("currency")
            .and_then(Value::as_str)
            .and_then(|code| CurrencyCode::parse(code).ok())
            .map(CurrencyCode::exponent);
        let amount = match (minor, exponent) {
            (Some(minor), Some(exponent)) => Value::String(format_minor(minor, exponent)),
            (None, Some(_)) => Value::String("0".into()),
            _ => Value::Null,
        };
        // Rebuilt in column order, which JSON keeps.
        *row = table
            .columns
            .iter()
            .map(|column| {
                let value = match *column {
                    "total_amount" => amount.clone(),
                    other => row.get(other).cloned().unwrap_or(Value::Null),
                };
                (column.to_string(), value)
            })
            .collect();
    }
}

/// Figures for the overview: counts of records and people.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Headline {
    pub cities: i64,
    pub organizations: i64,
    pub partnerships: i64,
    pub active_partnerships: i64,
    pub agreements: i64,
    pub projects: i64,
    pub active_projects: i64,
    pub exchanges: i64,
    /// People accepted as trainees or on training courses.
    pub trainees: i64,
    /// Experts dispatched.
    pub experts: i64,
}

/// The figures of the latest value of an indicator group, and the column each comes from.
const LATEST: [(&str, &str); 5] = [
    ("latest_period", "period"),
    ("latest_value", "value"),
    ("latest_qualifier", "qualifier"),
    ("latest_value_low", "value_low"),
    ("latest_value_high", "value_high"),
];

impl Store {
    pub async fn indicator_stats(&self, query: &IndicatorStatsQuery) -> Result<Table, DbErr> {
        let keys = query.keys();
        let mut inner = Query::select();
        inner.from_as("indicators", "i").join_as(
            JoinType::LeftJoin,
            "cities",
            "c",
            Expr::col(("c", "id")).equals(("i", "city_id")),
        );
        // The country of the city measured, or the country measured.
        const COUNTRY_SQL: &str = r#"COALESCE("c"."country", "i"."country")"#;
        let country = Expr::cust(COUNTRY_SQL);
        let mut groups = Vec::new();
        // Window partitions are written as SQL text: fixed identifiers only, the same on both engines.
        let mut partition = Vec::new();
        for key in &keys {
            match key {
                IndicatorGroup::City => {
                    groups.push(column("city_id", col("i", "city_id"), Kind::Id));
                    groups.push(column("city_name", col("c", "name"), Kind::Text));
                    partition.push(r#""i"."city_id""#);
                }
                IndicatorGroup::Organization => {
                    group_named(
                        &mut inner,
                        &mut groups,
                        col("i", "organization_id"),
                        &ORGANIZATION,
                    );
                    partition.push(r#""i"."organization_id""#);
                }
                IndicatorGroup::Country => {
                    groups.push(column("country", country.clone(), Kind::Text));
                    partition.push(COUNTRY_SQL);
                }
                IndicatorGroup::Partnership => {
                    group_named(
                        &mut inner,
                        &mut groups,
                        col("i", "partnership_id"),
                        &PARTNERSHIP,
                    );
                    partition.push(r#""i"."partnership_id""#);
                }
                IndicatorGroup::Year => {
                    groups.push(column("year", year_of("i", "period"), Kind::Year));
                    partition.push(r#"SUBSTR("i"."period", 1, 4)"#);
                }
                IndicatorGroup::Project => {
                    group_named(&mut inner, &mut groups, col("i", "project_id"), &PROJECT);
                    partition.push(r#""i"."project_id""#);
                }
            }
        }
        groups.push(column("metric", col("i", "metric"), Kind::Text));
        groups.push(column("unit", col("i", "unit"), Kind::Text));
        partition.extend([r#""i"."metric""#, r#""i"."unit""#]);
        let partition = partition.join(", ");
        for group in &groups {
            inner.expr_as(group.expr.clone(), group.name);
        }
        for (name, field) in LATEST {
            inner.expr_as(col("i", field), name);
        }
        inner
            .expr_as(Expr::cust(format!("COUNT(*) OVER (PARTITION BY {partition})")), "count")
            // The latest dated value; an undated one only where the group has no dated value.
            .expr_as(
                Expr::cust(format!(
                    r#"ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY "i"."period" DESC NULLS LAST, "i"."id" DESC)"#
                )),
                "rank",
            )
            .cond_where(
                Cond::all()
                    .add_option(query.metric.as_ref().map(|m| col("i", "metric").eq(m.as_str())))
                    .add_option(query.country.as_ref().map(|c| country.clone().eq(c.as_str())))
                    .add_option(query.city_id.map(|id| col("i", "city_id").eq(id)))
                    .add_option(query.organization_id.map(|id| col("i", "organization_id").eq(id)))
                    .add_option(query.partnership_id.map(|id| col("i", "partnership_id").eq(id)))
                    .add_option(query.project_id.map(|id| col("i", "project_id").eq(id)))
                    .add(year_range(year_of("i", "period"), query.year_from, query.year_to)),
            );
        // The latest value of each group, with how many values the group has.
        let mut outer = Query::select();
        outer
            .from_subquery(inner, "t")
            .and_where(Expr::col(("t", "rank")).eq(1));
        let mut figures = vec![column("count", col("t", "count"), Kind::Integer)];
        figures.extend(
            LATEST
                .iter()
                .map(|(name, _)| column(name, col("t", name), Kind::Text)),
        );
        let mut output = Vec::new();
        for group in &groups {
            let expr = col("t", group.name);
            outer.expr_as(expr, group.name);
            outer.order_by_with_nulls(group.name, Order::Asc, NullOrdering::Last);
            output.push(column(group.name, col("t", group.name), group.kind));
        }
        for figure in &figures {
            outer.expr_as(figure.expr.clone(), figure.name);
        }
        let rows = self.reader().query_all(&outer).await?;
        let columns: Vec<&Column> = output.iter().chain(&figures).collect();
        Ok(Table {
            columns: columns.iter().map(|c| c.name).collect(),
            rows: rows
                .iter()
                .map(|row| read_row(row, &columns))
                .collect::<Result<_, _>>()?,
        })
    }

    pub async fn headline(&self) -> Result<Headline, DbErr> {
        let count = |table: &'static str, condition: Option<SimpleExpr>| {
            let mut select = Query::select();
            select.expr_as(count_all(), "n").from(table);
            if let Some(condition) = condition {
                select.and_where(condition);
            }
            select
        };
        let people = |kinds: &[&'static str]| {
            Query::select()
                .expr_as(sum(Expr::col("participants")), "n")
                .from("exchanges")
                .and_where(Expr::col("kind").is_in(kinds.iter().copied()))
                .cond_where(counts_people(Expr::col("participants_unit")))
                .take()
        };
        let statements = [
            count("cities", None),
            count("organizations", None),
            count("partnerships", None),
            count("partnerships", Some(Expr::col("status").eq("active"))),
            count("agreements", None),
            count("projects", None),
            count("projects", Some(Expr::col("status").eq("active"))),
            count("exchanges", None),
            people(&["trainee_acceptance", "training_course"]),
            people(&["expert_dispatch"]),
        ];
        // One statement: each figure is a scalar subquery of it.
        let count = statements.len();
        let mut select = Query::select();
        for (i, statement) in statements.into_iter().enumerate() {
            select.expr_as(
                SimpleExpr::SubQuery(
                    None,
                    Box::new(SubQueryStatement::SelectStatement(statement)),
                ),
                Alias::new(format!("f{i}")),
            );
        }
        let row = self.reader().query_one(&select).await?;
        let figures: Vec<i64> = (0..count)
            .map(|i| match &row {
                Some(row) => Ok(row
                    .try_get::<Option<i64>>("", &format!("f{i}"))?
                    .unwrap_or(0)),
                None => Ok(0),
            })
            .collect::<Result<_, DbErr>>()?;
        Ok(Headline {
            cities: figures[0],
            organizations: figures[1],
            partnerships: figures[2],
            active_partnerships: figures[3],
            agreements: figures[4],
            projects: figures[5],
            active_projects: figures[6],
            exchanges: figures[7],
            trainees: figures[8],
            experts: figures[9],
        })
    }

    /// The results of each project's results framework, with their progress, ordered by project title.
    pub async fn result_stats(
        &self,
        query: &ResultStatsQuery,
    ) -> Result<Vec<ResultStatsRow>, DbErr> {
        use entity::project;
        use sea_orm::{EntityTrait, QueryFilter, QueryOrder};
        let condition = Cond::all()
            .add(Expr::cust(r#"CAST("results" AS TEXT) <> '[]'"#))
            .add_option(query.project_id.map(|id| Expr::col("id").eq(id)))
            .add_option(
                query
                    .partnership_id
                    .map(|id| Expr::col("partnership_id").eq(id)),
            )
            .add_option(
                query
                    .city_id
                    .map(|id| Expr::col("id").in_subquery(ids_referencing("city_ids", id))),
            )
            .add_option(
                query
                    .country
                    .as_ref()
                    .map(|c| Expr::col("id").in_subquery(ids_referencing_country("city_ids", c))),
            );
        let projects = project::Entity::find()
            .filter(condition)
            .order_by_asc(project::Column::Title)
            .order_by_asc(project::Column::Id)
            .all(self.reader())
            .await?;
        let mut rows = Vec::new();
        for project in projects {
            let results: Vec<ProjectResult> = serde_json::from_value(project.results)
                .map_err(|error| DbErr::Custom(format!("project {}: {error}", project.id)))?;
            for (index, result) in results.iter().enumerate() {
                let wanted = query.kind.is_none_or(|kind| kind == result.kind)
                    && query
                        .metric
                        .as_ref()
                        .is_none_or(|metric| *metric == result.indicator.metric);
                if wanted {
                    rows.push(ResultStatsRow::new(
                        project.id,
                        &project.title,
                        index,
                        result,
                    ));
                }
            }
        }
        Ok(rows)
    }

    /// The position of the change feed among changes to these resources: it moves exactly when one of
    /// them is written, so it versions any aggregate over them. Read from the feed head while that is
    /// fresh (see `FeedHead`), so polling an unchanged aggregate sends no statement.
    pub async fn data_version(&self, resources: &[ResourceKind]) -> Result<i64, DbErr> {
        let newest = match self.feed_head.fresh() {
            Some(newest) => newest,
            None => {
                let writes = self.feed_head.writes();
                let newest = self.read_feed_head().await?;
                self.feed_head.keep(writes, newest);
                newest
            }
        };
        Ok(resources
            .iter()
            .map(|resource| newest[resource.index()])
            .max()
            .unwrap_or(0))
    }

    /// The newest change of each resource, in `ResourceKind::ALL`'s order.
    async fn read_feed_head(&self) -> Result<Newest, DbErr> {
        // One `MAX(seq)` per resource, each a single probe of the (resource, seq) index; a `MAX` over
        // `resource IN (…)` walks the feed backwards past every other resource's changes on PostgreSQL.
        let newest = |resource: &ResourceKind| {
            Query::select()
                .expr_as(Expr::val(resource.name()), "resource")
                .expr_as(Func::max(Expr::col("seq")), "seq")
                .from("changes")
                .and_where(Expr::col("resource").eq(resource.name()))
                .take()
        };
        let (first, rest) = ResourceKind::ALL.split_first().expect("resources");
        let mut union = newest(first);
        for resource in rest {
            union.union(UnionType::All, newest(resource));
        }
        let mut head = [0; ResourceKind::ALL.len()];
        for row in self.reader().query_all(&union).await? {
            let name: String = row.try_get("", "resource")?;
            if let Some(resource) = ResourceKind::from_name(&name) {
                head[resource.index()] = row.try_get::<Option<i64>>("", "seq")?.unwrap_or(0);
            }
        }
        Ok(head)
    }
}

/// The newest change-feed position of each resource.
type Newest = [i64; ResourceKind::ALL.len()];

/// The feed head as last read, shared by a store's clones. It is fresh until a write through this store
/// commits, or until it is `staleness` old: a write by another process (another instance, the CLI) is
/// seen within that time, as `Cache-Control: max-age` already lets a dashboard's cache lag by more.
pub(crate) struct FeedHead {
    staleness: Duration,
    /// Writes committed through this store; a reading taken before the latest one is stale.
    writes: AtomicU64,
    reading: std::sync::Mutex<Option<(Instant, u64, Newest)>>,
}

impl FeedHead {
    pub(crate) fn new(staleness: Duration) -> Self {
        Self {
            staleness,
            writes: AtomicU64::new(0),
            reading: std::sync::Mutex::new(None),
        }
    }

    /// Called after a write that may have added changes has committed.
    pub(crate) fn written(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    fn fresh(&self) -> Option<Newest> {
        let reading = self.reading.lock().unwrap_or_else(|e| e.into_inner());
        let (taken, writes, newest) = (*reading)?;
        (writes == self.writes() && taken.elapsed() < self.staleness).then_some(newest)
    }

    /// Keeps a reading begun when `writes` writes had committed.
    fn keep(&self, writes: u64, newest: Newest) {
        *self.reading.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), writes, newest));
    }
}
