//! Money and results that mean one thing:
//! - a funding may belong to a partnership or a country's programme instead of a project
//!   (`partnership_id`, `recipient_country`; `project_id` becomes optional);
//! - an indicator's subject may be a city, an organization, a country, a partnership or a project, its
//!   value qualified or a range, its period unknown (`city_id`, `period` and `value` become optional);
//! - projects gain a results framework, policy markers and SDG targets, kept in `results`,
//!   `policy_markers` and `sdg_targets`; their free-text `results` becomes `results_summary`;
//! - `project_tags` indexes markers and targets for filters and grouping, as `project_sectors` does
//!   sectors.
//!
//! Every project's `results` changes (from text or null to a list), so each project gets a new version
//! and a change in the feed. Fundings and indicators only gain empty fields: they say nothing new and
//! keep their versions.
use crate::{add_columns, common_columns, make_optional, new_versions};
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
        let db = manager.get_connection();

        add_columns(
            manager,
            "fundings",
            vec![
                uuid_null("partnership_id").take(),
                string_null("recipient_country").take(),
            ],
        )
        .await?;
        let mut fundings = common_columns();
        fundings.extend([
            uuid_null("project_id"),
            uuid_null("funder_id"),
            string_null("scheme"),
            string_null("instrument"),
            big_integer_null("amount_minor"),
            string_null("currency"),
            string_null("start"),
            string("kind").default("commitment").take(),
            string_null("amount_qualifier"),
            string_null("value_date"),
            string_null("end"),
            string_null("funder_description"),
            uuid_null("receiver_id"),
            double_null("share"),
            string_null("aid_type"),
            uuid_null("partnership_id"),
            string_null("recipient_country"),
        ]);
        make_optional(manager, "fundings", fundings, &["project_id"]).await?;

        add_columns(
            manager,
            "indicators",
            vec![
                uuid_null("organization_id").take(),
                string_null("country").take(),
                uuid_null("partnership_id").take(),
                string_null("qualifier").take(),
                string_null("value_low").take(),
                string_null("value_high").take(),
            ],
        )
        .await?;
        let mut indicators = common_columns();
        indicators.extend([
            uuid_null("city_id"),
            uuid_null("project_id"),
            string("metric"),
            string("unit"),
            string_null("period"),
            string_null("value"),
            uuid_null("organization_id"),
            string_null("country"),
            uuid_null("partnership_id"),
            string_null("qualifier"),
            string_null("value_low"),
            string_null("value_high"),
        ]);
        make_optional(
            manager,
            "indicators",
            indicators,
            &["city_id", "period", "value"],
        )
        .await?;

        manager
            .alter_table(
                Table::alter()
                    .table("projects")
                    .rename_column("results", "results_summary")
                    .take(),
            )
            .await?;
        add_columns(
            manager,
            "projects",
            vec![
                json("results").default("[]").take(),
                json("policy_markers").default("[]").take(),
                json("sdg_targets").default("[]").take(),
            ],
        )
        .await?;
        new_versions(db, "projects", "project").await?;

        manager
            .create_table(
                Table::create()
                    .table("project_tags")
                    .col(uuid("project_id"))
                    .col(string("vocabulary"))
                    .col(string("code"))
                    .col(small_integer_null("significance"))
                    .primary_key(
                        Index::create()
                            .col("project_id")
                            .col("vocabulary")
                            .col("code"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_tags_project_id")
                            .from("project_tags", "project_id")
                            .to("records", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_project_tags_vocabulary_code")
                    .table("project_tags")
                    .col("vocabulary")
                    .col("code")
                    .take(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "results and subjects are not taken away: restore a backup (intercity export) instead"
                .into(),
        ))
    }
}
