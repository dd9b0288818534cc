use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "fundings")]
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
    pub project_id: Option<Uuid>,
    pub partnership_id: Option<Uuid>,
    pub recipient_country: Option<String>,
    pub kind: String,
    pub funder_id: Option<Uuid>,
    pub funder_description: Option<String>,
    pub receiver_id: Option<Uuid>,
    pub share: Option<f64>,
    pub scheme: Option<String>,
    pub instrument: Option<String>,
    pub aid_type: Option<String>,
    /// The amount in integer minor units of `currency` (exact; never a float).
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub amount_qualifier: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub value_date: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
