use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "indicators")]
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
    pub city_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub country: Option<String>,
    pub partnership_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub metric: String,
    pub unit: String,
    pub period: Option<String>,
    /// Decimal strings, kept exactly as given.
    pub value: Option<String>,
    pub qualifier: Option<String>,
    pub value_low: Option<String>,
    pub value_high: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
