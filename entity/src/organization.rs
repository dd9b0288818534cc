use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "organizations")]
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
    pub name: String,
    pub acronym: Option<String>,
    pub kind: String,
    pub country: Option<String>,
    pub city_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub founded: Option<String>,
    pub former_names: Json,
    pub names: Json,
    pub aliases: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
