//! Integration with partner databases: the change feed, idempotent writes, bulk import in one
//! transaction, and export from one snapshot.

use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, IsolationLevel,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::crud::record_of;
use super::resources::{with_resource, Resource};
use super::{Store, StoreError};
use crate::domain::*;
use crate::tabular;

/// A response kept for an `Idempotency-Key`.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredResponse {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// An `Idempotency-Key` as a write presents it.
#[derive(Clone, Debug)]
pub struct IdempotencyKey {
    /// Whose key it is: the API key's name, or "" for anonymous writers.
    pub scope: String,
    pub key: String,
    /// A hash of the request (method, path, body): the same key with another request is refused.
    pub request_hash: String,
    /// How long a kept response is replayed.
    pub ttl: Duration,
}

/// What an idempotent write did.
pub enum Idempotent {
    /// The first request with this key: it was carried out.
    Fresh(StoredResponse),
    /// A retry: the first response, and nothing written.
    Replay(StoredResponse),
}

impl Store {
    /// Changes after `after`, in order.
    pub async fn changes(&self, query: &ChangeQuery, limit: u32) -> Result<ChangePage, DbErr> {
        let after = query.after.unwrap_or(0);
        let mut select = Query::select();
        select
            .columns([
                "seq",
                "resource",
                "record_id",
                "op",
                "version",
                "at",
                "actor",
            ])
            .from("changes")
            .and_where(Expr::col("seq").gt(after))
            .order_by("seq", Order::Asc)
            .limit(u64::from(limit));
        if let Some(resource) = query.resource {
            select.and_where(Expr::col("resource").eq(resource.name()));
        }
        if let Some(id) = query.id {
            select.and_where(Expr::col("record_id").eq(id));
        }
        let mut items = Vec::new();
        for row in self.connection().query_all(&select).await? {
            let resource: String = row.try_get("", "resource")?;
            items.push(Change {
                seq: row.try_get("", "seq")?,
                resource: ResourceKind::from_name(&resource)
                    .ok_or_else(|| DbErr::Custom(format!("unknown resource {resource}")))?,
                id: row.try_get("", "record_id")?,
                op: row.try_get("", "op")?,
                version: row.try_get("", "version")?,
                at: row.try_get("", "at")?,
                actor: row.try_get("", "actor")?,
            });
        }
        let next = items.last().map_or(after, |change| change.seq);
        Ok(ChangePage { items, next })
    }

    /// Carries out `work` once per idempotency key: a retry with the same request gets the first
    /// response and writes nothing; the same key with another request is refused. The kept response is
    /// written in the same transaction as the work.
    pub async fn idempotently<F>(
        &self,
        key: &IdempotencyKey,
        work: F,
    ) -> Result<Idempotent, StoreError>
    where
        F: AsyncFn(&DatabaseTransaction) -> Result<StoredResponse, StoreError>,
    {
        // Under the writers' lock, a concurrent request with the same key has either committed its
        // response, which is replayed here, or not started.
        self.write(async |txn| {
            if let Some(kept) = kept_response(txn, key).await? {
                return Ok(Idempotent::Replay(check_same_request(key, kept)?));
            }
            let response = work(txn).await?;
            insert_kept(txn, key, &response).await?;
            Ok(Idempotent::Fresh(response))
        })
        .await
    }

    /// Streams every record (or every record of `only`) as NDJSON import lines or, for one resource,
    /// CSV rows after a header, from one snapshot, in an order `/v1/import` accepts: resources in
    /// dependency order, programmes before their phases. Each item is the encoded text of a batch of
    /// records. The snapshot is taken before this returns, so a database that cannot be read fails
    /// here, before anything is sent.
    pub async fn export(
        &self,
        only: Option<ResourceKind>,
        format: Format,
    ) -> Result<mpsc::Receiver<Result<Vec<u8>, DbErr>>, DbErr> {
        // A SQLite transaction reads from one snapshot already; PostgreSQL needs to be asked.
        let snapshot = if self.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            self.db
                .begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await?
        } else {
            self.db.begin().await?
        };
        let (sender, receiver) = mpsc::channel(4);
        tokio::spawn(async move {
            let mut encoder = ExportEncoder::new(format);
            if let Err(error) = export_from(snapshot, only, &mut encoder, &sender).await {
                let _ = sender.send(Err(error)).await;
            }
        });
        Ok(receiver)
    }
}

async fn export_from(
    snapshot: DatabaseTransaction,
    only: Option<ResourceKind>,
    encoder: &mut ExportEncoder,
    sender: &mpsc::Sender<Result<Vec<u8>, DbErr>>,
) -> Result<(), DbErr> {
    for kind in ResourceKind::ALL {
        if only.is_some_and(|only| only != kind) {
            continue;
        }
        let sent = with_resource!(kind, export_kind(&snapshot, encoder, sender).await)?;
        if !sent {
            break;
        }
    }
    snapshot.commit().await
}

/// The live response kept for `key`, with the hash of the request that made it.
pub(crate) async fn kept_response(
    txn: &DatabaseTransaction,
    key: &IdempotencyKey,
) -> Result<Option<(String, StoredResponse)>, StoreError> {
    let select = Query::select()
        .columns(["request_hash", "status", "location", "body", "created_at"])
        .from("idempotency_keys")
        .and_where(Expr::col("scope").eq(key.scope.as_str()))
        .and_where(Expr::col("key").eq(key.key.as_str()))
        .take();
    let Some(row) = txn.query_one(&select).await? else {
        return Ok(None);
    };
    let created_at: chrono::DateTime<Utc> = row.try_get("", "created_at")?;
    if created_at + key.ttl < Utc::now() {
        let expired = Query::delete()
            .from_table("idempotency_keys")
            .and_where(Expr::col("scope").eq(key.scope.as_str()))
            .and_where(Expr::col("key").eq(key.key.as_str()))
            .take();
        txn.execute(&expired).await?;
        return Ok(None);
    }
    let request_hash: String = row.try_get("", "request_hash")?;
    let status: i32 = row.try_get("", "status")?;
    Ok(Some((
        request_hash,
        StoredResponse {
            status: status as u16,
            location: row.try_get("", "location")?,
            body: row.try_get("", "body")?,
        },
    )))
}

/// A kept response may only answer the request it was kept for.
pub fn check_same_request(
    key: &IdempotencyKey,
    kept: (String, StoredResponse),
) -> Result<StoredResponse, StoreError> {
    let (request_hash, response) = kept;
    if request_hash == key.request_hash {
        Ok(response)
    } else {
        Err(StoreError::Invalid(vec![FieldError::new(
            "Idempotency-Key",
            "was already used with a different request; use a new key for a new request",
        )]))
    }
}

pub(crate) async fn insert_kept(
    txn: &DatabaseTransaction,
    key: &IdempotencyKey,
    response: &StoredResponse,
) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table("idempotency_keys")
        .columns([
            "scope",
            "key",
            "request_hash",
            "status",
            "location",
            "body",
            "created_at",
        ])
        .values_panic([
            key.scope.clone().into(),
            key.key.clone().into(),
            key.request_hash.clone().into(),
            i32::from(response.status).into(),
            response.location.clone().into(),
            response.body.clone().into(),
            Utc::now().into(),
        ])
        .take();
    txn.execute(&insert).await.map(|_| ())
}

/// A record as export writes it: its id, then its body.
#[derive(Serialize)]
struct ExportData<'a, B> {
    id: Uuid,
    #[serde(flatten)]
    body: &'a B,
}

/// An NDJSON export line: an import line that writes the record as it is.
#[derive(Serialize)]
struct ExportLine<'a, B> {
    resource: ResourceKind,
    op: ImportOp,
    data: ExportData<'a, B>,
}

/// Encodes exported records as NDJSON lines, or as CSV rows under the first record's columns.
struct ExportEncoder {
    format: Format,
    columns: Option<Vec<String>>,
}

impl ExportEncoder {
    fn new(format: Format) -> Self {
        Self {
            format,
            columns: None,
        }
    }

    fn encode<B: Body>(&mut self, id: Uuid, body: &B, out: &mut Vec<u8>) -> Result<(), DbErr> {
        let data = ExportData { id, body };
        let failed = |error: &dyn std::fmt::Display| {
            DbErr::Custom(format!("a record did not serialize: {error}"))
        };
        if self.format == Format::Json {
            let line = ExportLine {
                resource: B::KIND,
                op: ImportOp::Upsert,
                data,
            };
            serde_json::to_writer(&mut *out, &line).map_err(|error| failed(&error))?;
            out.push(b'\n');
            return Ok(());
        }
        let Ok(Value::Object(data)) = serde_json::to_value(data) else {
            return Err(failed(&"not an object"));
        };
        let columns = match &self.columns {
            Some(columns) => columns,
            None => {
                let header: Vec<String> = data.keys().cloned().collect();
                out.extend_from_slice(tabular::BYTE_ORDER_MARK);
                out.extend(tabular::record(&header).map_err(|error| failed(&error))?);
                self.columns.insert(header)
            }
        };
        let cells = columns.iter().map(|column| tabular::cell(data.get(column)));
        out.extend(tabular::record(cells).map_err(|error| failed(&error))?);
        Ok(())
    }
}

const EXPORT_BATCH: u64 = 500;

/// Sends every record of one resource, encoded a batch at a time, in pages by id; projects come
/// parents first. Returns false when the receiver has gone.
async fn export_kind<R: Resource>(
    txn: &DatabaseTransaction,
    encoder: &mut ExportEncoder,
    sender: &mpsc::Sender<Result<Vec<u8>, DbErr>>,
) -> Result<bool, DbErr> {
    let kind = R::Body::KIND;
    let ordered_ids = match R::PARENT {
        Some(parent) => Some(parents_first(txn, kind, parent).await?),
        None => None,
    };
    // Each id's place in that order, to put each batch back in it.
    let order: Option<std::collections::HashMap<Uuid, usize>> = ordered_ids
        .as_ref()
        .map(|ids| ids.iter().enumerate().map(|(i, id)| (*id, i)).collect());
    let mut after: Option<Uuid> = None;
    let mut position = 0usize;
    loop {
        let models = match &ordered_ids {
            Some(ids) => {
                let batch: Vec<Uuid> = ids
                    .iter()
                    .skip(position)
                    .take(EXPORT_BATCH as usize)
                    .copied()
                    .collect();
                position += batch.len();
                R::Entity::find()
                    .filter(Expr::col("id").is_in(batch))
                    .all(txn)
                    .await?
            }
            None => {
                let mut select = R::Entity::find().order_by(Expr::col("id"), Order::Asc);
                if let Some(after) = after {
                    select = select.filter(Expr::col("id").gt(after));
                }
                select.limit(EXPORT_BATCH).all(txn).await?
            }
        };
        if models.is_empty() {
            return Ok(true);
        }
        let mut records = models
            .iter()
            .map(record_of::<R>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| DbErr::Custom(error.to_string()))?;
        if let Some(order) = &order {
            records.sort_by_key(|record| order.get(&record.meta.id).copied());
        }
        let mut chunk = Vec::new();
        for record in &records {
            encoder.encode(record.meta.id, &record.data, &mut chunk)?;
        }
        after = records.last().map(|record| record.meta.id);
        if sender.send(Ok(chunk)).await.is_err() {
            return Ok(false);
        }
    }
}

/// Every id of a kind whose records name another of their own kind in `parent`, each after the one
/// it names (then by id). Records that no root leads to (a parent cycle or a missing parent, which a database written
/// before the foreign keys may hold) follow, by id, so that an export never leaves a record out; they
/// are reported in the log.
async fn parents_first(
    txn: &DatabaseTransaction,
    kind: ResourceKind,
    parent: &str,
) -> Result<Vec<Uuid>, DbErr> {
    // The table and column names are the registry's, never a client's.
    let table = kind.collection();
    let statement = sea_orm::Statement::from_string(
        txn.get_database_backend(),
        format!(
            r#"WITH RECURSIVE tree (id, depth) AS (
             SELECT "id", 0 FROM "{table}" WHERE "{parent}" IS NULL
             UNION ALL
             SELECT "p"."id", "tree"."depth" + 1 FROM "{table}" AS "p" JOIN tree ON "p"."{parent}" = "tree"."id"
           )
           SELECT "id", 0 AS "unrooted", "depth" FROM tree
           UNION ALL
           SELECT "id", 1, 0 FROM "{table}" WHERE "id" NOT IN (SELECT "id" FROM tree)
           ORDER BY 2, 3, 1"#
        ),
    );
    let mut ids = Vec::new();
    let mut unrooted = Vec::new();
    for row in txn.query_all_raw(statement).await? {
        let id = row.try_get::<Uuid>("", "id")?;
        if row.try_get::<i32>("", "unrooted")? == 1 {
            unrooted.push(id);
        }
        ids.push(id);
    }
    if !unrooted.is_empty() {
        tracing::warn!(
            count = unrooted.len(),
            ids = ?unrooted,
            "exported records whose parents form a cycle or are missing; an import needs their parent fixed first"
        );
    }
    Ok(ids)
}
