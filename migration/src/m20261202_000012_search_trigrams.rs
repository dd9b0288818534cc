//! A trigram index for `q`, which matches a folded text anywhere inside a record's search terms
//! (`term LIKE '%…%'`): without one, every search reads every term of the resource.
//!
//! - PostgreSQL: a GIN index with `pg_trgm`'s operator class on `search_terms.term`, which the
//!   planner uses for `LIKE` as it stands. `pg_trgm` ships with PostgreSQL and is a trusted extension
//!   (a database owner may create it); where it is missing or may not be created, the migration
//!   says so in the server's notices and `q` reads every term, as before.
//! - SQLite: an FTS5 table with the trigram tokenizer over `search_terms` (`search_trigrams`, its
//!   content read from `search_terms` by `term_id`), kept in step by triggers. FTS5 answers `LIKE`
//!   from it too. An external-content table needs a row id that `VACUUM` keeps, so `search_terms`
//!   is built again with an `INTEGER PRIMARY KEY`, `term_id`; its rows are carried across as they
//!   are.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES: &str = r#"
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION pg_trgm;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pg_trgm may not be created here: q will read every search term';
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE format(
            'CREATE INDEX "ix_search_terms_term_trigrams" ON "search_terms" USING gin ("term" %I.gin_trgm_ops)',
            (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'));
    ELSE
        RAISE NOTICE 'pg_trgm is not installed: q will read every search term';
    END IF;
END
$$
"#;

const SQLITE: &[&str] = &[
    r#"CREATE TABLE "search_terms_new" (
        "term_id" INTEGER PRIMARY KEY,
        "record_id" uuid_text NOT NULL,
        "resource" varchar NOT NULL,
        "term" varchar NOT NULL,
        UNIQUE ("record_id", "term"),
        CONSTRAINT "fk_search_terms_record_id" FOREIGN KEY ("record_id")
            REFERENCES "records" ("id") ON DELETE CASCADE
    )"#,
    r#"INSERT INTO "search_terms_new" ("record_id", "resource", "term")
        SELECT "record_id", "resource", "term" FROM "search_terms""#,
    r#"DROP TABLE "search_terms""#,
    r#"ALTER TABLE "search_terms_new" RENAME TO "search_terms""#,
    r#"CREATE INDEX "ix_search_terms_resource" ON "search_terms" ("resource")"#,
    r#"CREATE VIRTUAL TABLE "search_trigrams" USING fts5(
        "term", content = 'search_terms', content_rowid = 'term_id', tokenize = 'trigram'
    )"#,
    r#"INSERT INTO "search_trigrams" ("search_trigrams") VALUES ('rebuild')"#,
    r#"CREATE TRIGGER "search_terms_added" AFTER INSERT ON "search_terms" BEGIN
        INSERT INTO "search_trigrams" ("rowid", "term") VALUES (new."term_id", new."term");
    END"#,
    r#"CREATE TRIGGER "search_terms_removed" AFTER DELETE ON "search_terms" BEGIN
        INSERT INTO "search_trigrams" ("search_trigrams", "rowid", "term")
            VALUES ('delete', old."term_id", old."term");
    END"#,
    r#"CREATE TRIGGER "search_terms_changed" AFTER UPDATE ON "search_terms" BEGIN
        INSERT INTO "search_trigrams" ("search_trigrams", "rowid", "term")
            VALUES ('delete', old."term_id", old."term");
        INSERT INTO "search_trigrams" ("rowid", "term") VALUES (new."term_id", new."term");
    END"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(POSTGRES).await?;
        } else {
            for statement in SQLITE {
                db.execute_unprepared(statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the search index is not taken away: restore a backup (intercity export) instead"
                .into(),
        ))
    }
}
