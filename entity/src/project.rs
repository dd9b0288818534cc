use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub external_ids: Json,
    pub sources: Json,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    pub title: String,
    pub titles: Json,
    #[sea_orm(column_type = "Text", nullable)]
    pub summary: Option<String>,
    pub partnership_id: Option<Uuid>,
    pub city_ids: Json,
    pub sectors: Json,
    pub status: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub parent_id: Option<Uuid>,
    pub participants: Json,
    #[sea_orm(column_type = "Text", nullable)]
    pub results_summary: Option<String>,
    pub results: Json,
    pub policy_markers: Json,
    pub sdg_targets: Json,
    pub sites: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
