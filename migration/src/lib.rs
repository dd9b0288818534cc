//! Schema migrations. The same statements run on SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261123_000002_change_feed_index;
mod m20261123_000003_idempotency_keys;
mod m20261125_000001_api_keys;
mod m20261201_000001_foreign_keys;
mod m20261201_000002_funding_kinds;
mod m20261201_000003_funding_periods;
mod m20261201_000004_funding_parties;
mod m20261201_000005_optional_funder;
mod m20261201_000006_subjects_and_results;
mod m20261201_000007_documents;
mod m20261201_000008_place_levels;
mod m20261201_000009_names;
mod m20261201_000010_histories_and_networks;
mod m20261202_000011_query_indexes;
mod m20261202_000012_search_trigrams;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261123_000002_change_feed_index::Migration),
            Box::new(m20261123_000003_idempotency_keys::Migration),
            Box::new(m20261125_000001_api_keys::Migration),
            Box::new(m20261201_000001_foreign_keys::Migration),
            Box::new(m20261201_000002_funding_kinds::Migration),
            Box::new(m20261201_000003_funding_periods::Migration),
            Box::new(m20261201_000004_funding_parties::Migration),
            Box::new(m20261201_000005_optional_funder::Migration),
            Box::new(m20261201_000006_subjects_and_results::Migration),
            Box::new(m20261201_000007_documents::Migration),
            Box::new(m20261201_000008_place_levels::Migration),
            Box::new(m20261201_000009_names::Migration),
            Box::new(m20261201_000010_histories_and_networks::Migration),
            Box::new(m20261202_000011_query_indexes::Migration),
            Box::new(m20261202_000012_search_trigrams::Migration),
        ]
    }
}

/// Gives every record of `table` a new version, with its own change in the feed (actor `migration`),
/// after a migration changed what the records say: partners that follow the feed read them again.
pub(crate) async fn new_versions(
    db: &SchemaManagerConnection<'_>,
    table: &'static str,
    resource: &'static str,
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::ConnectionTrait;
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6);
    db.execute(
        &Query::update()
            .table(table)
            .value("version", Expr::col("version").add(1))
            .value("updated_at", now)
            .take(),
    )
    .await?;
    let numbered = Query::select()
        .expr(Expr::cust(
            r#"(SELECT COALESCE(MAX("seq"), 0) FROM "changes") + ROW_NUMBER() OVER (ORDER BY "id")"#,
        ))
        .expr(Expr::val(resource))
        .column("id")
        .expr(Expr::val("update"))
        .column("version")
        .expr(Expr::val(now))
        .expr(Expr::val("migration"))
        .from(table)
        .take();
    db.execute(
        &Query::insert()
            .into_table("changes")
            .columns([
                "seq",
                "resource",
                "record_id",
                "op",
                "version",
                "at",
                "actor",
            ])
            .select_from(numbered)
            .map_err(|error| DbErr::Migration(error.to_string()))?
            .take(),
    )
    .await?;
    Ok(())
}

/// The columns every resource table starts with.
pub(crate) fn common_columns() -> Vec<ColumnDef> {
    use sea_orm_migration::schema::*;
    vec![
        pk_uuid("id"),
        integer("version"),
        timestamp_with_time_zone("created_at"),
        timestamp_with_time_zone("updated_at"),
        json("external_ids"),
        json("sources"),
        text_null("notes"),
    ]
}

/// Makes `nullable` columns of `table` optional. PostgreSQL drops the NOT NULL; SQLite cannot, so the
/// table is built again from `columns` (its complete new definition) with the same rows.
pub(crate) async fn make_optional(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: Vec<ColumnDef>,
    nullable: &[&str],
) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
    let db = manager.get_connection();
    if db.get_database_backend() == DbBackend::Postgres {
        for column in nullable {
            db.execute_unprepared(&format!(
                r#"ALTER TABLE "{table}" ALTER COLUMN "{column}" DROP NOT NULL"#
            ))
            .await?;
        }
        return Ok(());
    }
    let names: Vec<String> = columns
        .iter()
        .map(|column| format!("\"{}\"", column.get_column_name()))
        .collect();
    let names = names.join(", ");
    let rebuilt = format!("{table}_new");
    let mut create = Table::create();
    create.table(Alias::new(rebuilt.as_str()));
    for mut column in columns {
        create.col(&mut column);
    }
    manager.create_table(create.take()).await?;
    db.execute_unprepared(&format!(
        r#"INSERT INTO "{rebuilt}" ({names}) SELECT {names} FROM "{table}""#
    ))
    .await?;
    manager
        .drop_table(Table::drop().table(Alias::new(table)).take())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(Alias::new(rebuilt), Alias::new(table))
                .take(),
        )
        .await
}

/// Adds `columns` to `table`, one statement each (SQLite adds one column per statement).
pub(crate) async fn add_columns(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    for column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new(table))
                    .add_column(column)
                    .take(),
            )
            .await?;
    }
    Ok(())
}
