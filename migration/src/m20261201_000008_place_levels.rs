//! Places gain a level (municipality, district, province, country) and the place they lie in
//! (`parent_id`). The new fields start empty, so no record says anything new and none gets a new
//! version.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::add_columns;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            "cities",
            vec![
                string_null("admin_level").take(),
                uuid_null("parent_id").take(),
            ],
        )
        .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "these fields are not taken away: restore a backup (intercity export) instead".into(),
        ))
    }
}
