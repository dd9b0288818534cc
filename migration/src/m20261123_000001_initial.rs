//! The resource tables, their index tables and the change feed.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A resource table: the columns every resource shares, then its own.
fn resource_table(name: &'static str, columns: Vec<ColumnDef>) -> TableCreateStatement {
    let mut table = Table::create();
    table
        .table(name)
        .col(pk_uuid("id"))
        .col(integer("version"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .col(json("external_ids"))
        .col(json("sources"))
        .col(text_null("notes"));
    for mut column in columns {
        table.col(&mut column);
    }
    table.take()
}

fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("ix_{}_{}", table, columns.join("_")))
        .table(table);
    for column in columns {
        index.col(*column);
    }
    index.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            resource_table(
                "cities",
                vec![
                    string("name"),
                    string_null("local_name"),
                    string("country"),
                    string_null("region"),
                    double_null("latitude"),
                    double_null("longitude"),
                    big_integer_null("population"),
                    integer_null("population_year"),
                ],
            ),
            resource_table(
                "organizations",
                vec![
                    string("name"),
                    string_null("acronym"),
                    string("kind"),
                    string_null("country"),
                    uuid_null("city_id"),
                ],
            ),
            resource_table(
                "partnerships",
                vec![
                    json("city_ids"),
                    string("kind"),
                    string_null("status"),
                    string_null("established"),
                    string_null("ended"),
                    string_null("title"),
                    text_null("summary"),
                ],
            ),
            resource_table(
                "agreements",
                vec![
                    uuid_null("partnership_id"),
                    string("title"),
                    string("kind"),
                    string_null("signed"),
                    json("signatory_ids"),
                ],
            ),
            resource_table(
                "projects",
                vec![
                    string("title"),
                    text_null("summary"),
                    uuid_null("partnership_id"),
                    json("city_ids"),
                    json("sectors"),
                    string_null("status"),
                    string_null("start"),
                    string_null("end"),
                    uuid_null("parent_id"),
                    json("participants"),
                    text_null("results"),
                ],
            ),
            resource_table(
                "fundings",
                vec![
                    uuid("project_id"),
                    uuid("funder_id"),
                    string_null("scheme"),
                    string_null("instrument"),
                    big_integer_null("amount_minor"),
                    string_null("currency"),
                    string_null("period"),
                ],
            ),
            resource_table(
                "exchanges",
                vec![
                    string("kind"),
                    uuid_null("project_id"),
                    uuid_null("partnership_id"),
                    uuid_null("from_city_id"),
                    uuid_null("to_city_id"),
                    string_null("start"),
                    string_null("end"),
                    big_integer_null("participants"),
                    string_null("title"),
                ],
            ),
            resource_table(
                "indicators",
                vec![
                    uuid("city_id"),
                    uuid_null("project_id"),
                    string("metric"),
                    string("unit"),
                    string("period"),
                    string("value"),
                ],
            ),
            Table::create()
                .table("refs")
                .col(uuid("from_id"))
                .col(string("field"))
                .col(uuid("to_id"))
                .col(string("from_resource"))
                .col(string("to_resource"))
                .primary_key(Index::create().col("from_id").col("field").col("to_id"))
                .take(),
            Table::create()
                .table("external_ids")
                .col(string("resource"))
                .col(string("system"))
                .col(string("value"))
                .col(uuid("record_id"))
                .primary_key(Index::create().col("resource").col("system").col("value"))
                .take(),
            Table::create()
                .table("project_sectors")
                .col(uuid("project_id"))
                .col(string("sector"))
                .primary_key(Index::create().col("project_id").col("sector"))
                .take(),
            Table::create()
                .table("changes")
                .col(big_pk_auto("seq"))
                .col(string("resource"))
                .col(uuid("record_id"))
                .col(string("op"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("at"))
                .col(string_null("actor"))
                .take(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let indexes = [
            index("refs", &["to_id"]),
            index("external_ids", &["record_id"]),
            index("project_sectors", &["sector"]),
            index("changes", &["record_id"]),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "changes",
            "project_sectors",
            "external_ids",
            "refs",
            "indicators",
            "exchanges",
            "fundings",
            "projects",
            "agreements",
            "partnerships",
            "organizations",
            "cities",
        ] {
            manager.drop_table(Table::drop().table(name).take()).await?;
        }
        Ok(())
    }
}
