//! Foreign keys for every reference. Each record is registered in `records` (its id and resource), and
//! the index tables point into it: a reference (`refs`, one row per reference, lists included) can only
//! name a record that exists, and a record that is referenced cannot be deleted (`ON DELETE RESTRICT`).
//! A record's own index rows go with it (`ON DELETE CASCADE`).
//!
//! Existing data is carried across. Index rows of a record that no longer exists are dropped (they
//! describe nothing). A reference to a record that does not exist is not repaired: the migration
//! stops, lists them, and changes nothing, so that someone decides what the reference should be.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::prelude::Uuid;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each resource's name and table.
const RESOURCES: [(&str, &str); 8] = [
    ("city", "cities"),
    ("organization", "organizations"),
    ("partnership", "partnerships"),
    ("agreement", "agreements"),
    ("project", "projects"),
    ("funding", "fundings"),
    ("exchange", "exchanges"),
    ("indicator", "indicators"),
];

fn to_record(
    table: &'static str,
    columns: (&'static str, &'static str),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{}", columns.0))
        .from(table, columns)
        .to("records", ("id", "resource"))
        .on_delete(on_delete)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All of it or nothing, on SQLite too: a refused migration leaves the database as it was.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let run = |sql: String| async move {
            db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .map(|_| ())
        };

        manager
            .create_table(
                Table::create()
                    .table("records")
                    .col(uuid("id").primary_key())
                    .col(string("resource"))
                    .take(),
            )
            .await?;
        // What the composite foreign keys point at: a reference names the resource it expects.
        manager
            .create_index(
                Index::create()
                    .name("ux_records_id_resource")
                    .table("records")
                    .col("id")
                    .col("resource")
                    .unique()
                    .take(),
            )
            .await?;
        for (resource, table) in RESOURCES {
            run(format!(
                r#"INSERT INTO "records" ("id", "resource") SELECT "id", '{resource}' FROM "{table}""#
            ))
            .await?;
        }

        // Index rows of records that are gone.
        let orphan = |id: &str, resource: &str| {
            format!(
                r#"NOT EXISTS (SELECT 1 FROM "records" AS "r" WHERE "r"."id" = {id} AND "r"."resource" = {resource})"#
            )
        };
        run(format!(
            r#"DELETE FROM "refs" WHERE {}"#,
            orphan(r#""refs"."from_id""#, r#""refs"."from_resource""#)
        ))
        .await?;
        run(format!(
            r#"DELETE FROM "external_ids" WHERE {}"#,
            orphan(
                r#""external_ids"."record_id""#,
                r#""external_ids"."resource""#
            )
        ))
        .await?;
        run(format!(
            r#"DELETE FROM "project_sectors" WHERE {}"#,
            orphan(r#""project_sectors"."project_id""#, "'project'")
        ))
        .await?;

        let dangling = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    r#"SELECT "from_resource", "from_id", "field", "to_resource", "to_id" FROM "refs" WHERE {} ORDER BY "from_id""#,
                    orphan(r#""refs"."to_id""#, r#""refs"."to_resource""#)
                ),
            ))
            .await?;
        if !dangling.is_empty() {
            let mut report = Vec::new();
            for row in dangling.iter().take(50) {
                let text = |column: &str| -> Result<String, DbErr> {
                    row.try_get::<String>("", column)
                        .or_else(|_| row.try_get::<Uuid>("", column).map(|id| id.to_string()))
                };
                report.push(format!(
                    "{} {} {} -> {} {}",
                    text("from_resource")?,
                    text("from_id")?,
                    text("field")?,
                    text("to_resource")?,
                    text("to_id")?
                ));
            }
            return Err(DbErr::Migration(format!(
                "{} reference(s) name records that do not exist; change or delete the referring records \
                 (with the previous version), then migrate again. Nothing was changed. The first {}:\n{}",
                dangling.len(),
                report.len(),
                report.join("\n")
            )));
        }

        // The index tables again, now with their foreign keys (SQLite cannot add one to a table).
        let rebuilt = [
            (
                "refs",
                Table::create()
                    .table("refs_new")
                    .col(uuid("from_id"))
                    .col(string("field"))
                    .col(uuid("to_id"))
                    .col(string("from_resource"))
                    .col(string("to_resource"))
                    .primary_key(Index::create().col("from_id").col("field").col("to_id"))
                    .foreign_key(&mut to_record(
                        "refs_new",
                        ("from_id", "from_resource"),
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut to_record(
                        "refs_new",
                        ("to_id", "to_resource"),
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
                r#""from_id", "field", "to_id", "from_resource", "to_resource""#,
            ),
            (
                "external_ids",
                Table::create()
                    .table("external_ids_new")
                    .col(string("resource"))
                    .col(string("system"))
                    .col(string("value"))
                    .col(uuid("record_id"))
                    .primary_key(Index::create().col("resource").col("system").col("value"))
                    .foreign_key(&mut to_record(
                        "external_ids_new",
                        ("record_id", "resource"),
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
                r#""resource", "system", "value", "record_id""#,
            ),
            (
                "project_sectors",
                Table::create()
                    .table("project_sectors_new")
                    .col(uuid("project_id"))
                    .col(string("sector"))
                    .primary_key(Index::create().col("project_id").col("sector"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_project_sectors_project_id")
                            .from("project_sectors_new", "project_id")
                            .to("records", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
                r#""project_id", "sector""#,
            ),
        ];
        for (table, create, columns) in rebuilt {
            manager.create_table(create).await?;
            run(format!(
                r#"INSERT INTO "{table}_new" ({columns}) SELECT {columns} FROM "{table}""#
            ))
            .await?;
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
            manager
                .rename_table(Table::rename().table(format!("{table}_new"), table).take())
                .await?;
        }
        // The indexes the rebuilt tables had, and ones the foreign keys want.
        for (table, columns) in [
            ("refs", vec!["to_id"]),
            ("refs", vec!["to_id", "to_resource"]),
            ("refs", vec!["from_id", "from_resource"]),
            ("external_ids", vec!["record_id"]),
            ("project_sectors", vec!["sector"]),
        ] {
            let mut index = Index::create();
            index
                .name(format!("ix_{}_{}", table, columns.join("_")))
                .table(table)
                .if_not_exists();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.take()).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the foreign keys are not taken down: restore a backup (intercity export) instead"
                .into(),
        ))
    }
}
