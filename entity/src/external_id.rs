//! The (system, value) pairs of every record's `external_ids`, unique within a resource.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "external_ids")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub system: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub value: String,
    pub record_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
