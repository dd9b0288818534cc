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
        ] {
            db.execute(&update).await?;
        }
        crate::new_versions(db, "fundings", "funding").await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "kinds are not taken away: restore a backup (intercity export) instead".into(),
        ))
    }
}
