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
