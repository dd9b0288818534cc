//! One row per reference from a record to another (`from` names `to` in `field`): what the store checks
//! before a delete, and what list filters such as `city_id` join on.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub from_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub field: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub to_id: Uuid,
    pub from_resource: String,
    pub to_resource: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
