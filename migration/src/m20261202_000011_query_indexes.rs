//! Indexes for what the API asks of each resource table: every column a list filters on (then `id`,
//! the default order), every sort
//! key (on the expression lists order by, then `id`, so a page is read in index order and a deep
//! cursor seeks instead of scanning), and the timestamps behind `updated_since` and the common sort
//! keys. References, sectors and tags are found through the index tables, which have theirs.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns lists filter on, by equality or by range.
const FILTERED: &[(&str, &[&str])] = &[
    ("documents", &["category", "language", "published"]),
    ("cities", &["country", "admin_level", "parent_id"]),
    (
        "organizations",
        &["kind", "country", "city_id", "parent_id"],
    ),
    ("networks", &["kind", "secretariat_id"]),
    ("partnerships", &["kind", "status", "established"]),
    (
        "agreements",
        &["partnership_id", "kind", "signed", "renews_id"],
    ),
    (
        "projects",
        &["partnership_id", "status", "parent_id", "start"],
    ),
    (
        "fundings",
        &[
            "project_id",
            "partnership_id",
            "recipient_country",
            "kind",
            "funder_id",
            "receiver_id",
            "aid_type",
            "instrument",
            "currency",
            "start",
        ],
    ),
    (
        "exchanges",
        &[
            "kind",
            "project_id",
            "partnership_id",
            "from_city_id",
            "to_city_id",
            "status",
            "start",
        ],
    ),
    (
        "indicators",
        &[
            "city_id",
            "organization_id",
            "country",
            "partnership_id",
            "project_id",
            "metric",
            "period",
        ],
    ),
];

/// Sort keys, with the value a missing one sorts as (the store's `SortKey::expr`).
const SORTED: &[(&str, &[(&str, &str)])] = &[
    (
        "documents",
        &[("title", "''"), ("publisher", "''"), ("published", "''")],
    ),
    (
        "cities",
        &[("name", "''"), ("country", "''"), ("population", "-1")],
    ),
    (
        "organizations",
        &[("name", "''"), ("kind", "''"), ("country", "''")],
    ),
    (
        "networks",
        &[("name", "''"), ("kind", "''"), ("established", "''")],
    ),
    (
        "partnerships",
        &[
            ("title", "''"),
            ("kind", "''"),
            ("status", "''"),
            ("established", "''"),
        ],
    ),
    (
        "agreements",
        &[("title", "''"), ("kind", "''"), ("signed", "''")],
    ),
    (
        "projects",
        &[
            ("title", "''"),
            ("status", "''"),
            ("start", "''"),
            ("end", "''"),
        ],
    ),
    (
        "fundings",
        &[
            ("start", "''"),
            ("end", "''"),
            ("kind", "''"),
            ("scheme", "''"),
            ("currency", "''"),
        ],
    ),
    (
        "exchanges",
        &[
            ("start", "''"),
            ("kind", "''"),
            ("participants", "-1"),
            ("title", "''"),
        ],
    ),
    ("indicators", &[("period", "''"), ("metric", "''")]),
];

fn statements() -> Vec<(String, String)> {
    let mut statements = Vec::new();
    for (table, columns) in FILTERED {
        for column in *columns {
            let name = format!("ix_{table}_{column}");
            let sql = format!(r#"CREATE INDEX "{name}" ON "{table}" ("{column}", "id")"#);
            statements.push((name, sql));
        }
    }
    for (table, keys) in SORTED {
        for (column, missing) in *keys {
            let name = format!("ix_{table}_sort_{column}");
            let sql = format!(
                r#"CREATE INDEX "{name}" ON "{table}" (COALESCE("{column}", {missing}), "id")"#
            );
            statements.push((name, sql));
        }
        for column in ["created_at", "updated_at"] {
            let name = format!("ix_{table}_sort_{column}");
            let sql = format!(r#"CREATE INDEX "{name}" ON "{table}" ("{column}", "id")"#);
            statements.push((name, sql));
        }
    }
    statements
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (_, sql) in statements() {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in statements() {
            db.execute_unprepared(&format!(r#"DROP INDEX "{name}""#))
                .await?;
        }
        Ok(())
    }
}
