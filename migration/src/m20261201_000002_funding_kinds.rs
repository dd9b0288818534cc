//! Fundings gain a kind (pledge, budget, commitment, disbursement, expenditure, contract value, total
//! cost), how exactly their amount is stated, and a value date.
//!
//! A funding written before kinds existed says nothing a migration could tell its kind from, so each
//! becomes a `commitment` with a note saying so, as a new version with its own change in the feed, so
//! that partners who follow the feed read it again.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Appended to the notes of every funding that existed before kinds.
const NOTE: &str =
    "Kind set to commitment when kinds were introduced; the record did not say which kind it is.";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column at a time: SQLite adds one per statement.
        for column in [
            string("kind").default("commitment").take(),
            string_null("amount_qualifier").take(),
            string_null("value_date").take(),
        ] {
            manager
                .alter_table(Table::alter().table("fundings").add_column(column).take())
                .await?;
        }

        let db = manager.get_connection();
        let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6);
        // Appended where there are notes (NOTE holds no quote), set where there are none.
        for update in [
            Query::update()
                .table("fundings")
                .value("notes", Expr::cust(format!(r#""notes" || ' {NOTE}'"#)))
                .and_where(Expr::col("notes").is_not_null())
                .take(),
            Query::update()
                .table("fundings")
                .value("notes", NOTE)
                .and_where(Expr::col("notes").is_null())
                .take(),
            Query::update()
                .table("fundings")
                .value("version", Expr::col("version").add(1))
                .value("updated_at", now)
                .take(),
        ] {
            db.execute(&update).await?;
        }
        let numbered = Query::select()
            .expr(Expr::cust(
                r#"(SELECT COALESCE(MAX("seq"), 0) FROM "changes") + ROW_NUMBER() OVER (ORDER BY "id")"#,
            ))
            .expr(Expr::val("funding"))
            .column("id")
            .expr(Expr::val("update"))
            .column("version")
            .expr(Expr::val(now))
            .expr(Expr::val("migration"))
            .from("fundings")
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

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "kinds are not taken away: restore a backup (intercity export) instead".into(),
        ))
    }
}
