use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cities")]
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
    pub admin_level: Option<String>,
    pub parent_id: Option<Uuid>,
    pub local_name: Option<String>,
    pub names: Json,
    pub aliases: Json,
    pub country: String,
    pub region: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub population: Option<i64>,
    pub population_year: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
