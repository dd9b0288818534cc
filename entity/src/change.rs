//! The change feed: one row per write, appended in the write's own transaction.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub resource: String,
    pub record_id: Uuid,
    /// `create`, `update` or `delete`.
    pub op: String,
    pub version: i32,
    pub at: DateTimeUtc,
    pub actor: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
