//! The rest of the domain's shape: a partnership's `history` of kinds and statuses; titles of projects
//! and agreements in other languages; exchanges among
//! several cities (`city_ids`) with a unit and breakdown of their participants and a `status`;
//! agreements that bind any number of cities, name the projects they started, renew an earlier one and
//! have a term; project `sites`; and `networks` of cities. The new fields start empty, so no record says
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
            "partnerships",
            vec![json("history").default("[]").take()],
        )
        .await?;
        add_columns(
            manager,
            "projects",
            vec![
                json("titles").default("{}").take(),
                json("sites").default("[]").take(),
            ],
        )
        .await?;
        add_columns(
            manager,
            "agreements",
            vec![
                json("titles").default("{}").take(),
                json("city_ids").default("[]").take(),
                json("project_ids").default("[]").take(),
                uuid_null("renews_id").take(),
                json_null("term").take(),
            ],
        )
        .await?;
        add_columns(
            manager,
            "exchanges",
            vec![
                json("city_ids").default("[]").take(),
                string_null("participants_unit").take(),
                json("breakdown").default("[]").take(),
                string_null("status").take(),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("networks")
                    .col(pk_uuid("id"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(json("external_ids"))
                    .col(json("sources"))
                    .col(text_null("notes"))
                    .col(string("name"))
                    .col(string_null("acronym"))
                    .col(string("kind"))
                    .col(string_null("established"))
                    .col(string_null("ended"))
                    .col(uuid_null("secretariat_id"))
                    .col(json("members"))
                    .col(text_null("summary"))
                    .take(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "these fields are not taken away: restore a backup (intercity export) instead".into(),
        ))
    }
}
