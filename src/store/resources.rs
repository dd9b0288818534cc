//! How each resource maps onto its table: the entity, the filters, the sort keys, and the few columns
//! that differ from the body (money is stored in minor units).

use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, Condition, EntityTrait, FromQueryResult,
    IntoActiveModel, ModelTrait, TryIntoModel,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::*;

/// How a resource's records are drawn on a map, for `Accept: application/geo+json` on its list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Geometry {
    /// Not on a map.
    None,
    /// A point at the record's `latitude` and `longitude`.
    Point,
    /// A line between the places (cities) that this field names.
    LineBetween(&'static str),
}

/// How a sort key's column compares, and what a missing value sorts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Text,
    Integer,
    Float,
    Timestamp,
    Uuid,
}

pub trait Resource: Send + Sync + 'static {
    type Body: Body;
    type Filter: ListFilter;
    type Entity: EntityTrait<Model = Self::Model, ActiveModel = Self::ActiveModel>;
    type Model: ModelTrait<Entity = Self::Entity>
        + FromQueryResult
        + Serialize
        + DeserializeOwned
        + IntoActiveModel<Self::ActiveModel>
        + Clone
        + Send
        + Sync;
    type ActiveModel: ActiveModelTrait<Entity = Self::Entity>
        + ActiveModelBehavior
        + TryIntoModel<Self::Model>
        + Send
        + Sync;

    /// Sort keys beyond `id`, `created_at` and `updated_at`.
    const SORT_KEYS: &'static [(&'static str, KeyKind)];
    /// The field by which a record names another of its own kind (a project's programme, the
    /// agreement an agreement renews): export and seeding write that one first.
    const PARENT: Option<&'static str> = None;
    const GEOMETRY: Geometry = Geometry::None;

    /// The resource's own filters (the common ones are applied by the store).
    fn filter(filter: &Self::Filter) -> Condition;

    /// Adjusts the body's JSON into the row's columns, where they differ.
    fn body_to_row(_body: &Self::Body, _row: &mut Map<String, Value>) {}
    /// The reverse of `body_to_row`.
    fn row_to_body(_row: &mut Map<String, Value>) {}
}

/// `SELECT from_id FROM refs WHERE field = … AND to_id = …`: the records whose `field` names `target`.
pub(crate) fn ids_referencing(field: &'static str, target: Uuid) -> SelectStatement {
    Query::select()
        .column("from_id")
        .from("refs")
        .and_where(Expr::col("field").eq(field))
        .and_where(Expr::col("to_id").eq(target))
        .take()
}

/// The records whose `field` names a city in `country`.
pub(crate) fn ids_referencing_country(
    field: &'static str,
    country: &CountryCode,
) -> SelectStatement {
    Query::select()
        .column(("refs", "from_id"))
        .from("refs")
        .inner_join(
            "cities",
            Expr::col(("cities", "id")).equals(("refs", "to_id")),
        )
        .and_where(Expr::col(("refs", "field")).eq(field))
        .and_where(Expr::col(("cities", "country")).eq(country.as_str()))
        .take()
}

/// `SELECT project_id FROM project_tags WHERE vocabulary = … AND code = …`: the projects tagged so.
pub(crate) fn tagged(vocabulary: TagVocabulary, code: &str) -> SelectStatement {
    Query::select()
        .column("project_id")
        .from("project_tags")
        .and_where(Expr::col("vocabulary").eq(vocabulary.name()))
        .and_where(Expr::col("code").eq(code))
        .take()
}

/// The projects with a policy marker as a significant or principal objective.
pub(crate) fn marked(marker: PolicyMarkerCode) -> SelectStatement {
    tagged(TagVocabulary::PolicyMarker, marker.as_str())
        .and_where(Expr::col("significance").gte(1))
        .take()
}

fn referencing(field: &'static str, target: Uuid) -> SimpleExpr {
    Expr::col("id").in_subquery(ids_referencing(field, target))
}

fn in_country(field: &'static str, country: &CountryCode) -> SimpleExpr {
    Expr::col("id").in_subquery(ids_referencing_country(field, country))
}

/// A partial-date column in a range of partial dates, compared at the bound's precision: `start_to=2015`
/// includes `2015-06`.
fn date_range(
    column: &'static str,
    from: &Option<PartialDate>,
    to: &Option<PartialDate>,
) -> Condition {
    Condition::all()
        .add_option(
            from.as_ref()
                .map(|from| Expr::col(column).gte(from.as_str())),
        )
        // `~` sorts after every digit and `-`, so `2015~` is after every date within 2015.
        .add_option(
            to.as_ref()
                .map(|to| Expr::col(column).lte(format!("{}~", to.as_str()))),
        )
}

fn eq<T: Into<sea_orm::Value>>(column: &'static str, value: Option<T>) -> Option<SimpleExpr> {
    value.map(|value| Expr::col(column).eq(value))
}

/// One marker type per resource of the registry, naming its row of types.
macro_rules! resource_markers {
    ([$(($kind:ident, $store:ident, $($rest:tt)*)),* $(,)?]) => {
        $(pub struct $store;)*
    };
}
crate::registry::registry!(resource_markers);

macro_rules! entity_types {
    ($module:ident, $body:ty, $filter:ty) => {
        type Body = $body;
        type Filter = $filter;
        type Entity = entity::$module::Entity;
        type Model = entity::$module::Model;
        type ActiveModel = entity::$module::ActiveModel;
    };
}

impl Resource for Documents {
    entity_types!(document, NewDocument, DocumentFilter);
    const SORT_KEYS: &'static [(&'static str, KeyKind)] = &[
        ("title", KeyKind::Text),
        ("publisher", KeyKind::Text),
        ("published", KeyKind::Text),
    ];

    fn filter(f: &DocumentFilter) -> Condition {
        Condition::all()
            .add_option(eq("category", f.category.map(|c| c.as_str())))
            .add_option(eq("language", f.language.as_ref().map(|l| l.as_str())))
            .add(date_range("published", &f.published_from, &f.published_to))
    }
}

impl Resource for Cities {
    entity_types!(city, NewCity, CityFilter);
    const SORT_KEYS: &'static [(&'static str, KeyKind)] = &[
        ("name", KeyKind::Text),
        ("country", KeyKind::Text),
        ("population", KeyKind::Integer),
    ];

    const PARENT: Option<&'static str> = Some("parent_id");
    const GEOMETRY: Geometry = Geometry::Point;

    fn filter(f: &CityFilter) -> Condition {
        Condition::all()
            .add_option(eq("country", f.country.as_ref().map(|c| c.as_str())))
            .add_option(eq("admin_level", f.admin_level.map(|a| a.as_str())))
            .add_option(eq("parent_id", f.parent_id))
    }
}

impl Resource for Organizations {
    entity_types!(organization, NewOrganization, OrganizationFilter);
    const PARENT: Option<&'static str> = Some("parent_id");
    const SORT_KEYS: &'static [(&'static str, KeyKind)] = &[
        ("name", KeyKind::Text),
        ("kind", KeyKind::Text),
        ("country", KeyKind::Text),
    ];

    fn filter(f: &OrganizationFilter) -> Condition {
        Condition::all()
            .add_option(eq("kind", f.kind.map(|k| k.as_str())))
            .add_option(eq("country", f.country.as_ref().map(|c| c.as_str())))
            .add_option(eq("city_id", f.city_id))
            .add_option(eq("parent_id", f.parent_id))
    }
}

impl Resource for Networks {
    entity_types!(network, NewNetwork, NetworkFilter);
    const SORT_KEYS: &'static [(&'static str, KeyKind)] = &[
        ("name", KeyKind::Text),
        ("kind", KeyKind::Text),
        ("established", KeyKind::Text),
    ];

    fn filter(f: &NetworkFilter) -> Condition {
        Condition::all()
            .add_option(eq("kind", f.kind.map(|k| k.as_str())))
            .add_option(f.member_id.map(|id| referencing("members", id)))
            .add_option(eq("secretariat_id", f.secretariat_id))
    }
}

impl Resource for Partnerships {
    entity_types!(partnership, NewPartnership, PartnershipFilter);
    const SORT_KEYS: &'static [(&'static str, KeyKind)] = &[
        ("title", KeyKind::Text),
        ("kind", KeyKind::Text),
        ("status", KeyKind::Text),
        ("established", KeyKind::Text),
    ];
    const GEOMETRY: Geometry = Geometry::LineBetween("city_ids");

    fn filter(f: &PartnershipFilter) -> Condition {
        Condition::all()
            .add_option(f.city_id.map(|id| referencing("city_ids", id)))
            .add_option(f.country.as_ref().map(|c| in_country("city_ids", c)))
            .add_option(eq("kind", f.kind.map(|k| k.as_str())))
            .add_option(eq("status", f.status.map(|s| s.as_str())))
            .add(date_range(
                "established",
                &f.established_from,
                &f.established_to,
            ))
    }
}

impl Resource for Agreements {
    entity_types!(agreement, NewAgreement, AgreementFilter);
    const PARENT: Option<&'static str> = Some("renews_id");
    const SORT_KEYS: &'static [(&'static str, KeyKind)] = &[
        ("title", KeyKind::Text),
        ("kind", KeyKind::Text),
        ("signed", KeyKind::Text),
    ];

    fn filter(f: &AgreementFilter) -> Condition {
        Condition::all()
            .add_option(eq("partnership_id", f.partnership_id))
            .add_option(eq("kind", f.kind.map(|k| k.as_str())))
            .add_option(f.signatory_id.map(|id| referencing("signatory_ids", id)))
            .add_option(f.city_id.map(|id| referencing("city_ids", id)))
            .add_option(f.project_id.map(|id| referencing("project_ids", id)))
            .add(date_range("signed", &f.signed_from, &f.signed_to))
    }
}

impl Resource for Projects {
    entity_types!(project, NewProject, ProjectFilter);
    const SORT_KEYS: &'static [(&'static str, KeyKind)] = &[
        ("title", KeyKind::Text),
        ("status", KeyKind::Text),
        ("start", KeyKind::Text),
        ("end", KeyKind::Text),
    ];
    const PARENT: Option<&'static str> = Some("parent_id");

    fn filter(f: &ProjectFilter) -> Condition {
        let in_sector = |sector: Sector| {
            Expr::col("id").in_subquery(
                Query::select()
                    .column("project_id")
                    .from("project_sectors")
                    .and_where(Expr::col("sector").eq(sector.code()))
                    .take(),
            )
        };
        Condition::all()
            .add_option(eq("partnership_id", f.partnership_id))
            .add_option(f.city_id.map(|id| referencing("city_ids", id)))
            .add_option(f.country.as_ref().map(|c| in_country("city_ids", c)))
            .add_option(f.sector.map(in_sector))
            .add_option(eq("status", f.status.map(|s| s.as_str())))
            .add_option(eq("parent_id", f.parent_id))
            .add_option(f.organization_id.map(|id| referencing("participants", id)))
            .add_option(
                f.policy_marker
                    .map(|m| Expr::col("id").in_subquery(marked(m))),
            )
            .add_option(
                f.sdg_target.as_ref().map(|t| {
                    Expr::col("id").in_subquery(tagged(TagVocabulary::SdgTarget, t.as_str()))
                }),
            )
            .add(date_range("start", &f.start_from, &f.start_to))
    }
}

impl Resource for Fundings {
    entity_types!(funding, NewFunding, FundingFilter);
    const SORT_KEYS: &'static [(&'static str, KeyKind)] = &[
        ("start", KeyKind::Text),
        ("end", KeyKind::Text),
        ("kind", KeyKind::Text),
        ("scheme", KeyKind::Text),
        ("currency", KeyKind::Text),
    ];

    fn filter(f: &FundingFilter) -> Condition {
        Condition::all()
            .add_option(eq("project_id", f.project_id))
            .add_option(eq("partnership_id", f.partnership_id))
            .add_option(eq(
                "recipient_country",
                f.recipient_country.as_ref().map(|c| c.as_str()),
            ))
            .add_option(eq("kind", f.kind.map(|k| k.as_str())))
            .add_option(eq("funder_id", f.funder_id))
            .add_option(eq("receiver_id", f.receiver_id))
            .add_option(eq("aid_type", f.aid_type.map(|a| a.as_str())))
            .add_option(eq("instrument", f.instrument.map(|i| i.as_str())))
            .add_option(eq("currency", f.currency.map(|c| c.code())))
            .add(date_range("start", &f.start_from, &f.start_to))
    }

    fn body_to_row(body: &NewFunding, row: &mut Map<String, Value>) {
        row.remove("amount");
        let minor = body.money().ok().flatten().map(|money| money.minor);
        row.insert("amount_minor".into(), minor.into());
    }

    fn row_to_body(row: &mut Map<String, Value>) {
        let minor = row.remove("amount_minor").and_then(|v| v.as_i64());
        let currency = row
            .get("currency")
            .and_then(|v| v.as_str())
            .and_then(|code| CurrencyCode::parse(code).ok());
        let amount = match (minor, currency) {
            (Some(minor), Some(currency)) => {
                Value::String(format_minor(minor.into(), currency.exponent()))
            }
            _ => Value::Null,
        };
        row.insert("amount".into(), amount);
    }
}

impl Resource for Exchanges {
    entity_types!(exchange, NewExchange, ExchangeFilter);
    const SORT_KEYS: &'static [(&'static str, KeyKind)] = &[
        ("start", KeyKind::Text),
        ("kind", KeyKind::Text),
        ("participants", KeyKind::Integer),
        ("title", KeyKind::Text),
    ];

    fn filter(f: &ExchangeFilter) -> Condition {
        Condition::all()
            .add_option(eq("kind", f.kind.map(|k| k.as_str())))
            .add_option(eq("project_id", f.project_id))
            .add_option(eq("partnership_id", f.partnership_id))
            .add_option(f.city_id.map(|id| {
                Condition::any()
                    .add(Expr::col("from_city_id").eq(id))
                    .add(Expr::col("to_city_id").eq(id))
                    .add(referencing("city_ids", id))
            }))
            .add_option(eq("status", f.status.map(|s| s.as_str())))
            .add(date_range("start", &f.start_from, &f.start_to))
    }
}

impl Resource for Indicators {
    entity_types!(indicator, NewIndicator, IndicatorFilter);
    const SORT_KEYS: &'static [(&'static str, KeyKind)] =
        &[("period", KeyKind::Text), ("metric", KeyKind::Text)];

    fn filter(f: &IndicatorFilter) -> Condition {
        Condition::all()
            .add_option(eq("city_id", f.city_id))
            .add_option(eq("organization_id", f.organization_id))
            .add_option(eq("country", f.country.as_ref().map(|c| c.as_str())))
            .add_option(eq("partnership_id", f.partnership_id))
            .add_option(eq("project_id", f.project_id))
            .add_option(eq("metric", f.metric.as_ref().map(|m| m.as_str())))
            .add(date_range("period", &f.period_from, &f.period_to))
    }
}

/// Calls `$function::<R>(…)` with the store type of `$kind`, for every kind of the registry.
macro_rules! with_resource {
    ($kind:expr, $function:ident($($arg:expr),*).await) => {
        $crate::registry::registry!(crate::store::dispatch_resource; ($kind) $function ($($arg),*) await)
    };
    ($kind:expr, $function:ident($($arg:expr),*)) => {
        $crate::registry::registry!(crate::store::dispatch_resource; ($kind) $function ($($arg),*))
    };
}
pub(crate) use with_resource;

/// The `match` behind `with_resource!`, given the registry's list.
macro_rules! dispatch_resource {
    ([$(($kind:ident, $store:ident, $($rest:tt)*)),* $(,)?] ($on:expr) $function:ident $args:tt await) => {
        match $on {
            $($crate::domain::ResourceKind::$kind => $function::<$crate::store::$store> $args .await,)*
        }
    };
    ([$(($kind:ident, $store:ident, $($rest:tt)*)),* $(,)?] ($on:expr) $function:ident $args:tt) => {
        match $on {
            $($crate::domain::ResourceKind::$kind => $function::<$crate::store::$store> $args,)*
        }
    };
}
pub(crate) use dispatch_resource;
