use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "exchanges")]
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
    pub kind: String,
    pub project_id: Option<Uuid>,
    pub partnership_id: Option<Uuid>,
    pub from_city_id: Option<Uuid>,
    pub to_city_id: Option<Uuid>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub participants: Option<i64>,
    pub city_ids: Json,
    pub participants_unit: Option<String>,
    pub breakdown: Json,
    pub status: Option<String>,
    pub title: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
