//! Names: cities and organizations gain names in other languages (`names`) and the spellings the
//! sources use (`aliases`); organizations gain the organization they are part of (`parent_id`), when
//! they were founded and the names they had before (`former_names`).
//!
//! `search_terms` holds the folded texts `q` finds each record by; the application fills it (it
//! folds text the way `q` does) and records the folding's version in `index_versions`. The new fields
//! start empty, so no record says anything new and none gets a new version.
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
                json("names").default("{}").take(),
                json("aliases").default("[]").take(),
            ],
        )
        .await?;
        add_columns(
            manager,
            "organizations",
            vec![
                uuid_null("parent_id").take(),
                string_null("founded").take(),
                json("former_names").default("[]").take(),
                json("names").default("{}").take(),
                json("aliases").default("[]").take(),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("search_terms")
                    .col(uuid("record_id"))
                    .col(string("resource"))
                    .col(string("term"))
                    .primary_key(Index::create().col("record_id").col("term"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_search_terms_record_id")
                            .from("search_terms", "record_id")
                            .to("records", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_search_terms_resource")
                    .table("search_terms")
                    .col("resource")
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("index_versions")
                    .col(string("name").primary_key())
                    .col(integer("version"))
                    .take(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "names are not taken away: restore a backup (intercity export) instead".into(),
        ))
    }
}
