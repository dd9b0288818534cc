//! A funding's single `period` becomes a range, `start` to `end`: the amount of a programme that ran
//! from 1996 to 2000 can say so. Existing periods become `start` = `end` = the period, as a new version of
//! each funding with its own change in the feed.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("fundings")
                    .rename_column("period", "start")
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("fundings")
                    .add_column(string_null("end"))
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute(
            &Query::update()
                .table("fundings")
                .value("end", Expr::col("start"))
                .take(),
        )
        .await?;
        crate::new_versions(db, "fundings", "funding").await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "periods are not folded back: restore a backup (intercity export) instead".into(),
        ))
    }
}
