//! A funding may name no funder organization (the sources often say only "a Japanese ODA loan"): its
//! `funder_id` may be empty when `funder_description` says who funded. No record changes.
//!
//! PostgreSQL drops the NOT NULL; SQLite cannot, so the table is built again with the same columns and
//! rows.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::{common_columns, make_optional};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The columns as the earlier migrations made them, but `funder_id` nullable.
        let mut columns = common_columns();
        columns.extend([
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
        ]);
        make_optional(manager, "fundings", columns, &["funder_id"]).await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "funders are not made required again: restore a backup (intercity export) instead"
                .into(),
        ))
    }
}
