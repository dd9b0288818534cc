//! Aggregates version themselves by the newest change of the resources they read.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_changes_resource_seq")
                    .table("changes")
                    .col("resource")
                    .col("seq")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_changes_resource_seq")
                    .table("changes")
                    .to_owned(),
            )
            .await
    }
}
