//! Fundings gain the receiver of the money, the funder's share of a cost, the OECD DAC aid type, and a
//! description of the funder as the source gives it. The new fields start empty, so no record says
//! anything new and none gets a new version.
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
            "fundings",
            vec![
                string_null("funder_description").take(),
                uuid_null("receiver_id").take(),
                double_null("share").take(),
                string_null("aid_type").take(),
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
