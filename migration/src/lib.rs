//! Schema migrations. The same statements run on SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261123_000002_change_feed_index;
mod m20261123_000003_idempotency_keys;
mod m20261125_000001_api_keys;
mod m20261201_000001_foreign_keys;
mod m20261201_000002_funding_kinds;

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
        ]
    }
}
