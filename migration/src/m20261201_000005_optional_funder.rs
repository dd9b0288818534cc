//! A funding may name no funder organization (the sources often say only "a Japanese ODA loan"): its
//! `funder_id` may be empty when `funder_description` says who funded. No record changes.
//!
//! PostgreSQL drops the NOT NULL; SQLite cannot, so the table is built again with the same columns and
//! rows.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            return db
                .execute_unprepared(
                    r#"ALTER TABLE "fundings" ALTER COLUMN "funder_id" DROP NOT NULL"#,
                )
                .await
                .map(|_| ());
        }
        // The columns as the earlier migrations made them, but `funder_id` nullable.
        let columns = [
            pk_uuid("id"),
            integer("version"),
            timestamp_with_time_zone("created_at"),
            timestamp_with_time_zone("updated_at"),
            json("external_ids"),
            json("sources"),
            text_null("notes"),
            uuid("project_id"),
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
        ];
        let names: Vec<String> = columns
            .iter()
            .map(|column| format!("\"{}\"", column.get_column_name()))
            .collect();
        let names = names.join(", ");
        let mut table = Table::create();
        table.table("fundings_new");
        for mut column in columns {
            table.col(&mut column);
        }
        manager.create_table(table.take()).await?;
        db.execute_unprepared(&format!(
            r#"INSERT INTO "fundings_new" ({names}) SELECT {names} FROM "fundings""#
        ))
        .await?;
        manager
            .drop_table(Table::drop().table("fundings").take())
            .await?;
        manager
            .rename_table(Table::rename().table("fundings_new", "fundings").take())
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "funders are not made required again: restore a backup (intercity export) instead"
                .into(),
        ))
    }
}
