//! Documents become records, and every citation names one by id.
//!
//! A source was `{document: "<key>", locator, quote}`; it becomes `{document_id, locator, quote}`. Each
//! distinct key becomes a document record whose id is the UUID v5 of `document/<key>` (the id the seed
//! dataset gives the same document), titled with the key until someone gives its title. Every record
//! whose sources changed gets a new version, and the feed gets the documents' creations and those
//! updates (actor `migration`). Citations are indexed in `refs`, so a cited document cannot be deleted.
use std::collections::BTreeMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Value};
use serde_json::Value as Json;
use uuid::Uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The resource tables before this migration, with each one's resource name.
const TABLES: [(&str, &str); 8] = [
    ("cities", "city"),
    ("organizations", "organization"),
    ("partnerships", "partnership"),
    ("agreements", "agreement"),
    ("projects", "project"),
    ("fundings", "funding"),
    ("exchanges", "exchange"),
    ("indicators", "indicator"),
];

fn document_id(key: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("document/{key}").as_bytes())
}

/// The sources with `document` keys replaced by `document_id`s, adding the keys met to `keys`; `None`
/// when there was nothing to replace.
fn rewrite(sources: &Json, keys: &mut BTreeMap<String, Uuid>) -> Option<Json> {
    let items = sources.as_array()?;
    let mut changed = false;
    let rewritten = items
        .iter()
        .map(|source| {
            let mut source = source.as_object().cloned().unwrap_or_default();
            if let Some(Json::String(key)) = source.remove("document") {
                let id = *keys.entry(key.clone()).or_insert_with(|| document_id(&key));
                let mut ordered = serde_json::Map::new();
                ordered.insert("document_id".into(), Json::String(id.to_string()));
                ordered.extend(source);
                changed = true;
                Json::Object(ordered)
            } else {
                Json::Object(source)
            }
        })
        .collect();
    changed.then_some(Json::Array(rewritten))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .create_table(
                Table::create()
                    .table("documents")
                    .col(pk_uuid("id"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(json("external_ids"))
                    .col(json("sources"))
                    .col(text_null("notes"))
                    .col(string("title"))
                    .col(string_null("publisher"))
                    .col(string_null("published"))
                    .col(string_null("language"))
                    .col(string_null("url"))
                    .col(string_null("category"))
                    .take(),
            )
            .await?;

        let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6);
        let mut keys: BTreeMap<String, Uuid> = BTreeMap::new();
        let mut updated: Vec<(&str, Uuid, i32, Vec<Uuid>)> = Vec::new();
        for (table, resource) in TABLES {
            let rows = db
                .query_all(
                    &Query::select()
                        .columns(["id", "version", "sources"])
                        .from(table)
                        .order_by("id", Order::Asc)
                        .take(),
                )
                .await?;
            for row in rows {
                let id: Uuid = row.try_get("", "id")?;
                let version: i32 = row.try_get("", "version")?;
                let sources: Json = row.try_get("", "sources")?;
                let mut cited = BTreeMap::new();
                let Some(rewritten) = rewrite(&sources, &mut cited) else {
                    continue;
                };
                for (key, document) in &cited {
                    keys.insert(key.clone(), *document);
                }
                db.execute(
                    &Query::update()
                        .table(table)
                        .value("sources", Value::Json(Some(Box::new(rewritten))))
                        .value("version", version + 1)
                        .value("updated_at", now)
                        .and_where(Expr::col("id").eq(id))
                        .take(),
                )
                .await?;
                updated.push((resource, id, version + 1, cited.into_values().collect()));
            }
        }

        let next_seq = db
            .query_one(
                &Query::select()
                    .expr_as(Expr::cust(r#"COALESCE(MAX("seq"), 0)"#), "seq")
                    .from("changes")
                    .take(),
            )
            .await?
            .map(|row| row.try_get::<i64>("", "seq"))
            .transpose()?
            .unwrap_or(0);
        let mut seq = next_seq;
        let mut change = |resource: &str, id: Uuid, op: &str, version: i32| {
            seq += 1;
            Query::insert()
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
                .values_panic([
                    seq.into(),
                    resource.into(),
                    id.into(),
                    op.into(),
                    version.into(),
                    now.into(),
                    "migration".into(),
                ])
                .take()
        };
        for (key, id) in &keys {
            let notes = format!(
                "Made from the document key `{key}` when documents became records; its title is that key \
                 until it is given."
            );
            db.execute(
                &Query::insert()
                    .into_table("documents")
                    .columns([
                        "id",
                        "version",
                        "created_at",
                        "updated_at",
                        "external_ids",
                        "sources",
                        "notes",
                        "title",
                    ])
                    .values_panic([
                        (*id).into(),
                        1.into(),
                        now.into(),
                        now.into(),
                        Value::Json(Some(Box::new(serde_json::json!({})))).into(),
                        Value::Json(Some(Box::new(serde_json::json!([])))).into(),
                        notes.into(),
                        key.as_str().into(),
                    ])
                    .take(),
            )
            .await?;
            db.execute(
                &Query::insert()
                    .into_table("records")
                    .columns(["id", "resource"])
                    .values_panic([(*id).into(), "document".into()])
                    .take(),
            )
            .await?;
            db.execute(&change("document", *id, "create", 1)).await?;
        }
        for (resource, id, version, documents) in updated {
            for document in documents {
                db.execute(
                    &Query::insert()
                        .into_table("refs")
                        .columns(["from_id", "field", "to_id", "from_resource", "to_resource"])
                        .values_panic([
                            id.into(),
                            "sources".into(),
                            document.into(),
                            resource.into(),
                            "document".into(),
                        ])
                        .take(),
                )
                .await?;
            }
            db.execute(&change(resource, id, "update", version)).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "documents are not turned back into keys: restore a backup (intercity export) instead"
                .into(),
        ))
    }
}
