//! The shapes of partner-database integration: the change feed, bulk import and export.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ResourceKind;

/// One write, as the change feed lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// Position in the feed: gap-free and in commit order.
    #[schema(example = 42)]
    pub seq: i64,
    pub resource: ResourceKind,
    pub id: Uuid,
    /// `create`, `update` or `delete`.
    #[schema(example = "update")]
    pub op: String,
    /// The record's version after the write (for a delete, one past its last).
    #[schema(example = 2)]
    pub version: i32,
    pub at: DateTime<Utc>,
    /// The API key's name, `seed` for seeded records, or null.
    #[schema(example = "partner-sync")]
    pub actor: Option<String>,
}

/// Parameters of `GET /v1/changes`.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeQuery {
    /// Changes after this position (0, or the `next` of the previous call).
    #[param(minimum = 0, example = 0)]
    pub after: Option<i64>,
    /// At most this many, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000, example = 100)]
    pub limit: Option<u32>,
    /// Only changes to this resource type.
    #[param(inline)]
    pub resource: Option<ResourceKind>,
    /// Only changes to this record.
    pub id: Option<Uuid>,
}

/// A page of the change feed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub items: Vec<Change>,
    /// Pass as `after` to continue; equal to `after` when nothing is new.
    #[schema(example = 42)]
    pub next: i64,
}

/// What an import line does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportOp {
    Upsert,
    Delete,
}

/// One line of an import (and of an export).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportLine {
    pub resource: ResourceKind,
    pub op: ImportOp,
    /// The record's body, as its create endpoint takes it, plus its `id`. Without an `id`, an upsert
    /// replaces the record carrying the body's first external id, or creates one. A delete needs only `id`.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>, example = json!({"id": "0e3b2c1a-5d4f-4a7b-9c8d-112233445566", "name": "Surabaya", "country": "ID"}))]
    pub data: serde_json::Value,
}

/// Why one import line was refused.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct LineError {
    /// 1-based line number (for a JSON array, the 1-based item number).
    #[schema(example = 3)]
    pub line: u64,
    /// JSON pointer into that line.
    #[schema(example = "/data/amount")]
    pub field: String,
    #[schema(example = "an amount has no sign, and cannot be negative")]
    pub message: String,
}

/// What an applied import did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ImportReport {
    pub lines: u64,
    pub created: u64,
    pub updated: u64,
    /// Upserts whose body the record already had.
    pub unchanged: u64,
    pub deleted: u64,
}

/// Parameters of `GET /v1/export`.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only this resource (required with `format=csv`).
    #[param(inline)]
    pub resource: Option<ResourceKind>,
    /// `csv` for one resource as CSV; NDJSON import lines otherwise.
    #[param(inline)]
    pub format: Option<super::Format>,
}
