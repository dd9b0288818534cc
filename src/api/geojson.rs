//! GeoJSON (RFC 7946) of the lists whose records are places, or join places: `Accept:
//! application/geo+json` on such a list answers the same page as a FeatureCollection. Each resource's
//! `Resource::GEOMETRY` says how its records are drawn.

use std::collections::BTreeSet;

use actix_web::http::header;
use actix_web::HttpRequest;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::openapi::{Content, OpenApi as OpenApiDoc, Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

use crate::domain::{Record, ResourceKind};
use crate::error::ApiError;
use crate::store::{with_resource, Geometry, Resource, Store};

pub const GEO_JSON: &str = "application/geo+json";

/// A page of records as an RFC 7946 FeatureCollection.
#[derive(Serialize, ToSchema)]
pub struct FeatureCollection {
    #[schema(example = "FeatureCollection")]
    pub r#type: String,
    pub features: Vec<Feature>,
    /// Pass as `cursor` for the next page; `null` on the last page (a foreign member, as RFC 7946
    /// allows).
    pub next_cursor: Option<String>,
}

/// One record: its geometry, and the record itself as properties.
#[derive(Serialize, ToSchema)]
pub struct Feature {
    #[schema(example = "Feature")]
    pub r#type: String,
    pub id: Uuid,
    /// Null when the record's places have no coordinates.
    pub geometry: Option<FeatureGeometry>,
    /// The record, as the JSON list gives it.
    pub properties: Map<String, Value>,
}

/// A `Point` (`[longitude, latitude]`) or a `LineString` (a list of them).
#[derive(Serialize, ToSchema)]
pub struct FeatureGeometry {
    #[schema(example = "Point")]
    pub r#type: String,
    #[schema(value_type = Vec<Value>, example = json!([130.85034, 33.85181]))]
    pub coordinates: Value,
}

/// Whether the client asks for GeoJSON.
pub fn wanted(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains(GEO_JSON))
}

/// The page as a FeatureCollection, or `None` when records of `R` are not drawn on a map.
pub async fn collection<R: Resource>(
    store: &Store,
    items: &[Record<R::Body>],
    next_cursor: Option<String>,
) -> Result<Option<FeatureCollection>, ApiError> {
    let geometry = R::GEOMETRY;
    if geometry == Geometry::None {
        return Ok(None);
    }
    let records: Vec<Map<String, Value>> = items
        .iter()
        .map(|record| match serde_json::to_value(record) {
            Ok(Value::Object(record)) => Ok(record),
            other => Err(ApiError::Internal(anyhow::anyhow!("a record is {other:?}"))),
        })
        .collect::<Result<_, _>>()?;
    let ids_in = |record: &Map<String, Value>, field: &str| -> Vec<Uuid> {
        record
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str()?.parse().ok())
            .collect()
    };
    let points = match geometry {
        Geometry::LineBetween(field) => {
            let ids: BTreeSet<Uuid> = records.iter().flat_map(|r| ids_in(r, field)).collect();
            store
                .city_points(&ids.into_iter().collect::<Vec<_>>())
                .await?
        }
        _ => Default::default(),
    };
    let features = records
        .into_iter()
        .map(|record| {
            let geometry = match geometry {
                Geometry::Point => {
                    let number = |field: &str| record.get(field).and_then(Value::as_f64);
                    number("longitude")
                        .zip(number("latitude"))
                        .map(|(longitude, latitude)| FeatureGeometry {
                            r#type: "Point".into(),
                            coordinates: json!([longitude, latitude]),
                        })
                }
                Geometry::LineBetween(field) => {
                    let line: Option<Vec<[f64; 2]>> = ids_in(&record, field)
                        .iter()
                        .map(|id| points.get(id).copied())
                        .collect();
                    line.filter(|line| line.len() >= 2)
                        .map(|line| FeatureGeometry {
                            r#type: "LineString".into(),
                            coordinates: json!(line),
                        })
                }
                Geometry::None => None,
            };
            Feature {
                r#type: "Feature".into(),
                id: record
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|id| id.parse().ok())
                    .unwrap_or_default(),
                geometry,
                properties: record,
            }
        })
        .collect();
    Ok(Some(FeatureCollection {
        r#type: "FeatureCollection".into(),
        features,
        next_cursor,
    }))
}

fn draws<R: Resource>() -> bool {
    R::GEOMETRY != Geometry::None
}

/// Documents `application/geo+json` on the lists of the resources drawn on a map.
pub fn document(document: &mut OpenApiDoc) {
    let components = document.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        ("FeatureCollection", FeatureCollection::schema()),
        ("Feature", Feature::schema()),
        ("FeatureGeometry", FeatureGeometry::schema()),
    ] {
        components.schemas.insert(name.to_owned(), schema);
    }
    for kind in ResourceKind::ALL {
        if !with_resource!(kind, draws()) {
            continue;
        }
        let path = format!("/v1/{}", kind.collection());
        let list = document
            .paths
            .paths
            .get_mut(&path)
            .and_then(|item| item.get.as_mut());
        let ok = list.and_then(
            |operation| match operation.responses.responses.get_mut("200") {
                Some(RefOr::T(response)) => Some(response),
                _ => None,
            },
        );
        if let Some(response) = ok {
            response.content.insert(
                GEO_JSON.to_owned(),
                RefOr::T(Content::new(Some(Ref::from_schema_name(
                    "FeatureCollection",
                )))),
            );
            response.description.push_str(
                "; with `Accept: application/geo+json`, the same page as an RFC 7946 FeatureCollection",
            );
        }
    }
}
