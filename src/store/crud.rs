//! List, read, write and delete for any resource, with integrity checks, the index tables and the
//! change feed kept in the write's own transaction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query, SelectStatement, SimpleExpr};
use sea_orm::Value as SeaValue;
use sea_orm::{
    ActiveModelTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::resources::{with_resource, KeyKind, Resource};
use super::{cursor, Referrer, Store, StoreError};
use crate::domain::*;

/// What a list asks for.
pub struct ListRequest<F> {
    pub filter: F,
    pub limit: u32,
    pub cursor: Option<String>,
    pub sort: Option<String>,
}

pub struct ListPage<B> {
    pub items: Vec<Record<B>>,
    pub next_cursor: Option<String>,
}

/// The version a write expects the record to have (`If-Match`), if it says.
pub type Precondition = Option<i32>;

pub struct WriteOutcome<B> {
    pub record: Record<B>,
    /// Whether the write created the record (rather than replacing it).
    pub created: bool,
    /// Whether anything changed (writing a record's own body again changes nothing).
    pub changed: bool,
}

struct SortKey {
    name: &'static str,
    kind: KeyKind,
    descending: bool,
}

impl SortKey {
    /// The expression rows are ordered by; a missing value sorts first, as the same value on every engine.
    /// The fallback is written into the SQL, not bound, so that it is the very expression the sort
    /// indexes are built on (migration `query_indexes`).
    fn expr(&self) -> SimpleExpr {
        let fallback = match self.kind {
            KeyKind::Text => "''",
            KeyKind::Integer => "-1",
            KeyKind::Float => "-1000.0",
            KeyKind::Timestamp | KeyKind::Uuid => return Expr::col(self.name),
        };
        Expr::cust(format!(r#"COALESCE("{}", {fallback})"#, self.name))
    }

    fn fallback(&self) -> Value {
        match self.kind {
            KeyKind::Text => Value::from(""),
            KeyKind::Integer => Value::from(-1),
            KeyKind::Float => Value::from(-1000.0),
            KeyKind::Timestamp | KeyKind::Uuid => Value::Null,
        }
    }

    /// The SQL value of a cursor entry for this key, if it has the key's type.
    fn bind(&self, value: &Value) -> Option<sea_orm::Value> {
        Some(match self.kind {
            KeyKind::Text => value.as_str()?.to_owned().into(),
            KeyKind::Integer => value.as_i64()?.into(),
            KeyKind::Float => value.as_f64()?.into(),
            KeyKind::Timestamp => value.as_str()?.parse::<DateTime<Utc>>().ok()?.into(),
            KeyKind::Uuid => value.as_str()?.parse::<Uuid>().ok()?.into(),
        })
    }
}

/// Sort keys every list has, after its own.
const COMMON_SORT_KEYS: [(&str, KeyKind); 3] = [
    ("created_at", KeyKind::Timestamp),
    ("updated_at", KeyKind::Timestamp),
    ("id", KeyKind::Uuid),
];

/// The keys a list of `kind` sorts by: its own, then the common ones (the OpenAPI document lists them).
pub fn sort_key_names(kind: ResourceKind) -> Vec<&'static str> {
    fn of<R: Resource>() -> Vec<&'static str> {
        R::SORT_KEYS
            .iter()
            .chain(COMMON_SORT_KEYS.iter())
            .map(|(name, _)| *name)
            .collect()
    }
    with_resource!(kind, of())
}

fn sort_keys<R: Resource>(sort: &str) -> Result<Vec<SortKey>, FieldError> {
    let known = || R::SORT_KEYS.iter().chain(COMMON_SORT_KEYS.iter());
    let mut keys: Vec<SortKey> = Vec::new();
    for part in sort.split(',') {
        let (descending, name) = match part.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, part),
        };
        let Some(&(name, kind)) = known().find(|(key, _)| *key == name) else {
            let allowed: Vec<&str> = known().map(|(key, _)| *key).collect();
            return Err(FieldError::new(
                "sort",
                format!(
                    "`{part}` is not a sort key here; use {} (with `-` for descending)",
                    allowed.join(", ")
                ),
            ));
        };
        // A key given again adds nothing: the first mention orders.
        if keys.iter().any(|key| key.name == name) {
            continue;
        }
        keys.push(SortKey {
            name,
            kind,
            descending,
        });
    }
    if !keys.iter().any(|key| key.name == "id") {
        keys.push(SortKey {
            name: "id",
            kind: KeyKind::Uuid,
            descending: false,
        });
    }
    Ok(keys)
}

/// Rows strictly after `after` in the order of `keys`.
fn after_condition(keys: &[SortKey], after: &[Value]) -> Result<Condition, FieldError> {
    let invalid = || FieldError::new("cursor", "is not a cursor this list returned");
    if after.len() != keys.len() {
        return Err(invalid());
    }
    let values: Vec<sea_orm::Value> = keys
        .iter()
        .zip(after)
        .map(|(key, value)| key.bind(value).ok_or_else(invalid))
        .collect::<Result<_, _>>()?;
    // `first >= value` (or `<=`) is implied by what follows; said alone, it lets the page start with a
    // seek in the sort index instead of a walk past every earlier row.
    let first = &keys[0];
    let seek = if first.descending {
        first.expr().lte(values[0].clone())
    } else {
        first.expr().gte(values[0].clone())
    };
    let mut any = Condition::any();
    for (i, key) in keys.iter().enumerate() {
        let mut all = Condition::all();
        for (earlier, value) in keys[..i].iter().zip(&values) {
            all = all.add(earlier.expr().eq(value.clone()));
        }
        let value = values[i].clone();
        all = all.add(if key.descending {
            key.expr().lt(value)
        } else {
            key.expr().gt(value)
        });
        any = any.add(all);
    }
    Ok(Condition::all().add(seek).add(any))
}

/// How a list finds the records that `q` matches.
enum Search {
    /// Through SQLite's trigram table: every record with a matching term, gathered first. Best when
    /// few records match.
    Gather(String),
    /// With `LIKE` on the terms, which PostgreSQL's planner serves from its trigram index or by
    /// probing, as its statistics say.
    Like(String),
    /// By looking up the terms of each record the list reads, in the list's order, until the page is
    /// full. Best when many records match: it stops early where gathering reads every match.
    Probe(String),
}

/// On SQLite, a text that at least this many terms match is searched by probing.
const BROAD_SEARCH: u64 = 5_000;

impl Search {
    fn condition<R: Resource>(&self) -> SimpleExpr {
        match self {
            // Folded text is letters and digits only, so it holds no LIKE wildcard to escape.
            Search::Probe(q) => Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from("search_terms")
                    .and_where(
                        Expr::col(("search_terms", "record_id"))
                            .equals((R::Body::KIND.collection(), "id")),
                    )
                    .and_where(Expr::col("term").like(format!("%{q}%")))
                    .take(),
            ),
            Search::Gather(q) => Expr::col("id").in_subquery(trigram_matches(R::Body::KIND, q)),
            Search::Like(q) => Expr::col("id").in_subquery(
                Query::select()
                    .column("record_id")
                    .from("search_terms")
                    .and_where(Expr::col("resource").eq(R::Body::KIND.name()))
                    .and_where(Expr::col("term").like(format!("%{q}%")))
                    .take(),
            ),
        }
    }
}

/// The records of `kind` whose terms hold `q` (three letters or more, folded: never a quote), found
/// through SQLite's trigram table by a phrase query. CROSS JOIN keeps SQLite reading the trigram
/// table first: it would otherwise read every term of the resource and look each up in it.
fn trigram_matches(kind: ResourceKind, q: &str) -> SelectStatement {
    Query::select()
        .column(("search_terms", "record_id"))
        .from("search_trigrams")
        // sea-query writes no ON for a cross join: the join's condition is in WHERE.
        .cross_join("search_terms")
        .and_where(Expr::col(("search_terms", "term_id")).equals(("search_trigrams", "rowid")))
        .and_where(Expr::cust_with_values(
            r#""search_trigrams" MATCH ?"#,
            [format!("\"{q}\"")],
        ))
        .and_where(Expr::col(("search_terms", "resource")).eq(kind.name()))
        .take()
}

fn common_condition<R: Resource>(filter: &R::Filter, search: Option<&Search>) -> Condition {
    let common = filter.common();
    let search = search.map(|search| search.condition::<R>());
    let external = common.external_id.map(|external| {
        Expr::col("id").in_subquery(
            Query::select()
                .column("record_id")
                .from("external_ids")
                .and_where(Expr::col("resource").eq(R::Body::KIND.name()))
                .and_where(Expr::col("system").eq(external.system.as_str()))
                .and_where(Expr::col("value").eq(external.id.as_str()))
                .take(),
        )
    });
    Condition::all()
        .add_option(search)
        .add_option(external)
        .add_option(
            common
                .updated_since
                .map(|since| Expr::col("updated_at").gte(since)),
        )
}

fn row_of<R: Resource>(model: &R::Model) -> Result<Map<String, Value>, StoreError> {
    match serde_json::to_value(model) {
        Ok(Value::Object(row)) => Ok(row),
        _ => Err(corrupt::<R>("row is not an object")),
    }
}

/// A body with a JSON Merge Patch (RFC 7396) applied, read again as a whole body.
fn merge_patch<B: serde::de::DeserializeOwned + serde::Serialize>(
    mut body: Value,
    patch: &Value,
) -> Result<B, crate::domain::FieldError> {
    json_patch::merge(&mut body, patch);
    parse_value(body)
}

fn corrupt<R: Resource>(detail: impl std::fmt::Display) -> StoreError {
    StoreError::Database(DbErr::Custom(format!(
        "a stored {} cannot be read: {detail}",
        R::Body::KIND.name()
    )))
}

fn record_of_row<R: Resource>(mut row: Map<String, Value>) -> Result<Record<R::Body>, StoreError> {
    let mut take = |key: &str| row.remove(key).unwrap_or(Value::Null);
    let meta = Meta {
        id: serde_json::from_value(take("id")).map_err(corrupt::<R>)?,
        version: serde_json::from_value(take("version")).map_err(corrupt::<R>)?,
        created_at: serde_json::from_value(take("created_at")).map_err(corrupt::<R>)?,
        updated_at: serde_json::from_value(take("updated_at")).map_err(corrupt::<R>)?,
        display_name: None,
    };
    R::row_to_body(&mut row);
    let data: R::Body = serde_json::from_value(Value::Object(row)).map_err(corrupt::<R>)?;
    // The name without a language asked for; a read that asks for one replaces it.
    let display_name = data.display_name(&[]);
    Ok(Record {
        meta: Meta {
            display_name,
            ..meta
        },
        data,
    })
}

pub(crate) fn record_of<R: Resource>(model: &R::Model) -> Result<Record<R::Body>, StoreError> {
    record_of_row::<R>(row_of::<R>(model)?)
}

pub(crate) fn row_for<R: Resource>(meta: &Meta, body: &R::Body) -> Map<String, Value> {
    let mut row = match serde_json::to_value(body) {
        Ok(Value::Object(row)) => row,
        _ => Map::new(),
    };
    R::body_to_row(body, &mut row);
    row.insert("id".into(), meta.id.to_string().into());
    row.insert("version".into(), meta.version.into());
    row.insert("created_at".into(), serde_json::json!(meta.created_at));
    row.insert("updated_at".into(), serde_json::json!(meta.updated_at));
    row
}

fn check_precondition(expected: Precondition, current: Option<i32>) -> Result<(), StoreError> {
    match expected {
        Some(expected) if current != Some(expected) => {
            Err(StoreError::VersionMismatch { expected, current })
        }
        _ => Ok(()),
    }
}

impl Store {
    /// How to search for `q`, or None when it folds to nothing (only spaces or punctuation), which
    /// matches everything. PostgreSQL's planner weighs gathering against probing with its statistics;
    /// on SQLite, the trigram table counts the matching terms, up to `BROAD_SEARCH`, first.
    async fn search_plan<R: Resource>(&self, q: &str) -> Result<Option<Search>, DbErr> {
        let q = fold(q);
        if q.is_empty() {
            return Ok(None);
        }
        if self.reader().get_database_backend() == DbBackend::Postgres {
            return Ok(Some(Search::Like(q)));
        }
        // Trigrams find texts of three letters or more.
        if q.chars().count() < 3 {
            return Ok(Some(Search::Probe(q)));
        }
        let matching = trigram_matches(R::Body::KIND, &q)
            .limit(BROAD_SEARCH)
            .take();
        let count = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), "n")
            .from_subquery(matching, "m")
            .take();
        let found = match self.reader().query_one(&count).await? {
            Some(row) => row.try_get::<i64>("", "n")?,
            None => 0,
        };
        Ok(Some(if found as u64 >= BROAD_SEARCH {
            Search::Probe(q)
        } else {
            Search::Gather(q)
        }))
    }

    pub async fn list<R: Resource>(
        &self,
        request: ListRequest<R::Filter>,
    ) -> Result<ListPage<R::Body>, StoreError> {
        let sort = request.sort.unwrap_or_else(|| "id".to_owned());
        let keys = sort_keys::<R>(&sort).map_err(StoreError::BadParameter)?;
        let search = match request.filter.common().q {
            Some(q) => self.search_plan::<R>(&q.0).await?,
            None => None,
        };
        let mut select = R::Entity::find()
            .filter(common_condition::<R>(&request.filter, search.as_ref()))
            .filter(R::filter(&request.filter));
        if let Some(cursor) = &request.cursor {
            let after = cursor::decode(cursor, &sort).map_err(StoreError::BadParameter)?;
            select =
                select.filter(after_condition(&keys, &after).map_err(StoreError::BadParameter)?);
        }
        for key in &keys {
            let order = if key.descending {
                Order::Desc
            } else {
                Order::Asc
            };
            select = select.order_by(key.expr(), order);
        }
        let limit = u64::from(request.limit);
        let mut models = select.limit(limit + 1).all(self.reader()).await?;
        let next_cursor = if models.len() as u64 > limit {
            models.truncate(limit as usize);
            let last = row_of::<R>(models.last().expect("a full page has a last row"))?;
            let after = keys
                .iter()
                .map(|key| match last.get(key.name) {
                    Some(Value::Null) | None => key.fallback(),
                    Some(value) => value.clone(),
                })
                .collect();
            Some(cursor::encode(&sort, after))
        } else {
            None
        };
        let items = models
            .iter()
            .map(record_of::<R>)
            .collect::<Result<_, _>>()?;
        Ok(ListPage { items, next_cursor })
    }

    pub async fn get<R: Resource>(&self, id: Uuid) -> Result<Record<R::Body>, StoreError> {
        find_in::<R>(&self.db, id)
            .await?
            .ok_or(StoreError::NotFound(R::Body::KIND))
    }

    /// Creates the record `id`, or replaces it if it exists. Writing the body a record already has
    /// changes nothing (no new version, no change event).
    pub async fn put<R: Resource>(
        &self,
        id: Uuid,
        body: R::Body,
        expected: Precondition,
        actor: Option<&str>,
    ) -> Result<WriteOutcome<R::Body>, StoreError> {
        self.write(async |txn| put_in::<R>(txn, id, body.clone(), expected, actor).await)
            .await
    }

    /// Applies a JSON Merge Patch (RFC 7396) to the record's body and writes the result as a whole, so
    /// the patched record passes the same checks as a new one. The patch applies to the record as it is
    /// when the write takes its turn, so a write that came first is built on, not overwritten.
    pub async fn patch<R: Resource>(
        &self,
        id: Uuid,
        patch: &Value,
        expected: Precondition,
        actor: Option<&str>,
    ) -> Result<WriteOutcome<R::Body>, StoreError> {
        self.write(async |txn| {
            let current = find_in::<R>(txn, id)
                .await?
                .ok_or(StoreError::NotFound(R::Body::KIND))?;
            check_precondition(expected, Some(current.meta.version))?;
            let document = serde_json::to_value(&current.data).map_err(corrupt::<R>)?;
            let body: R::Body =
                merge_patch(document, patch).map_err(|error| StoreError::Invalid(vec![error]))?;
            write_body::<R>(txn, id, body, Some(current), actor).await
        })
        .await
    }

    /// Deletes a record no other record references.
    pub async fn delete<R: Resource>(
        &self,
        id: Uuid,
        expected: Precondition,
        actor: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write(async |txn| delete_in::<R>(txn, id, expected, actor).await)
            .await
    }

    /// Creates or replaces the record that carries the external id `system:value`.
    pub async fn put_by_external_id<R: Resource>(
        &self,
        system: &str,
        value: &str,
        body: R::Body,
        expected: Precondition,
        actor: Option<&str>,
    ) -> Result<WriteOutcome<R::Body>, StoreError> {
        let new_id = Uuid::now_v7();
        self.write(async |txn| {
            let id = find_external_id(txn, R::Body::KIND, system, value)
                .await?
                .unwrap_or(new_id);
            put_in::<R>(txn, id, body.clone(), expected, actor).await
        })
        .await
    }
}

/// The record of `kind` that carries `system:value`, if any.
pub(crate) async fn find_external_id(
    txn: &DatabaseTransaction,
    kind: ResourceKind,
    system: &str,
    value: &str,
) -> Result<Option<Uuid>, DbErr> {
    let stmt = Query::select()
        .column("record_id")
        .from("external_ids")
        .and_where(Expr::col("resource").eq(kind.name()))
        .and_where(Expr::col("system").eq(system))
        .and_where(Expr::col("value").eq(value))
        .take();
    match txn.query_one(&stmt).await? {
        Some(row) => Ok(Some(row.try_get("", "record_id")?)),
        None => Ok(None),
    }
}

/// The record `id`, if it exists.
async fn find_in<R: Resource>(
    connection: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<Record<R::Body>>, StoreError> {
    match R::Entity::find()
        .filter(Expr::col("id").eq(id))
        .one(connection)
        .await?
    {
        Some(model) => Ok(Some(record_of::<R>(&model)?)),
        None => Ok(None),
    }
}

/// `Store::put` inside the caller's transaction (imports write many records in one).
pub(crate) async fn put_in<R: Resource>(
    txn: &DatabaseTransaction,
    id: Uuid,
    body: R::Body,
    expected: Precondition,
    actor: Option<&str>,
) -> Result<WriteOutcome<R::Body>, StoreError> {
    let existing = find_in::<R>(txn, id).await?;
    check_precondition(expected, existing.as_ref().map(|r| r.meta.version))?;
    write_body::<R>(txn, id, body, existing, actor).await
}

/// Writes `body` as the record `id`, which is `existing` as read in this transaction: checks it,
/// creates or replaces the row, its index rows and its change.
async fn write_body<R: Resource>(
    txn: &DatabaseTransaction,
    id: Uuid,
    body: R::Body,
    existing: Option<Record<R::Body>>,
    actor: Option<&str>,
) -> Result<WriteOutcome<R::Body>, StoreError> {
    let kind = R::Body::KIND;
    let mut errors = body.validate();
    errors.extend(reference_errors(txn, kind, id, &body.all_references()).await?);
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    check_external_ids(txn, kind, id, body.external_ids()).await?;
    if let Some(existing) = existing.as_ref().filter(|r| r.data == body) {
        return Ok(WriteOutcome {
            record: existing.clone(),
            created: false,
            changed: false,
        });
    }

    let now = Utc::now().trunc_subsecs(6);
    let meta = Meta {
        id,
        version: existing.as_ref().map_or(1, |r| r.meta.version + 1),
        created_at: existing.as_ref().map_or(now, |r| r.meta.created_at),
        updated_at: now,
        display_name: None,
    };
    let row = row_for::<R>(&meta, &body);
    let model = R::ActiveModel::from_json(Value::Object(row.clone()))?;
    match &existing {
        Some(existing) => {
            let result = R::Entity::update_many()
                .set(model)
                .filter(Expr::col("id").eq(id))
                .filter(Expr::col("version").eq(existing.meta.version))
                .exec(txn)
                .await?;
            if result.rows_affected == 0 {
                return Err(StoreError::VersionMismatch {
                    expected: existing.meta.version,
                    current: None,
                });
            }
        }
        None => {
            // Ids are unique across resources: `records` refuses one that another resource holds.
            register(txn, kind, id)
                .await
                .map_err(|err| match err.sql_err() {
                    Some(SqlErr::UniqueConstraintViolation(_)) => id_of_another_resource("id"),
                    _ => err.into(),
                })?;
            R::Entity::insert(model).exec_without_returning(txn).await?;
        }
    }
    write_indexes(txn, kind, id, &body, existing.is_some()).await?;
    let op = if existing.is_some() {
        "update"
    } else {
        "create"
    };
    let change = Change {
        kind,
        id,
        op,
        version: meta.version,
    };
    append_changes(txn, &[change], actor).await?;
    Ok(WriteOutcome {
        record: record_of_row::<R>(row)?,
        created: existing.is_none(),
        changed: true,
    })
}

/// `Store::delete` inside the caller's transaction.
pub(crate) async fn delete_in<R: Resource>(
    txn: &DatabaseTransaction,
    id: Uuid,
    expected: Precondition,
    actor: Option<&str>,
) -> Result<(), StoreError> {
    let kind = R::Body::KIND;
    let version = find_in::<R>(txn, id)
        .await?
        .ok_or(StoreError::NotFound(kind))?
        .meta
        .version;
    check_precondition(expected, Some(version))?;
    let referrers = referrers(txn, id).await?;
    if !referrers.is_empty() {
        return Err(StoreError::Referenced(referrers));
    }
    R::Entity::delete_many()
        .filter(Expr::col("id").eq(id))
        .exec(txn)
        .await?;
    // Its index rows go with it (ON DELETE CASCADE); a reference that the check above could not see
    // makes the foreign key refuse the delete.
    let unregister = Query::delete()
        .from_table("records")
        .and_where(Expr::col("id").eq(id))
        .take();
    txn.execute(&unregister).await?;
    let change = Change {
        kind,
        id,
        op: "delete",
        version: version + 1,
    };
    append_changes(txn, &[change], actor).await?;
    Ok(())
}

/// Adds a new record to `records`, which the foreign keys of references point at.
async fn register(txn: &DatabaseTransaction, kind: ResourceKind, id: Uuid) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table("records")
        .columns(["id", "resource"])
        .values_panic([id.into(), kind.name().into()])
        .take();
    txn.execute(&insert).await.map(|_| ())
}

/// Every reference that names no existing record, and every cycle a self-reference would close.
async fn reference_errors(
    txn: &DatabaseTransaction,
    kind: ResourceKind,
    id: Uuid,
    references: &[Reference],
) -> Result<Vec<FieldError>, DbErr> {
    let mut wanted: BTreeMap<ResourceKind, BTreeSet<Uuid>> = BTreeMap::new();
    for reference in references {
        wanted
            .entry(reference.target)
            .or_default()
            .insert(reference.id);
    }
    // Keyed by the resource too: an id one resource holds is no reference to another.
    let mut found: BTreeSet<(ResourceKind, Uuid)> = BTreeSet::new();
    for (target, ids) in &wanted {
        let stmt = Query::select()
            .column("id")
            .from(target.collection())
            .and_where(Expr::col("id").is_in(ids.iter().copied()))
            .take();
        for row in txn.query_all(&stmt).await? {
            found.insert((*target, row.try_get::<Uuid>("", "id")?));
        }
    }
    let mut errors = Vec::new();
    for reference in references {
        if reference.target == kind && reference.id == id {
            errors.push(self_reference(reference));
        } else if !found.contains(&(reference.target, reference.id)) {
            errors.push(missing_reference(reference));
        } else if reference.target == kind && closes_cycle(txn, reference, id).await? {
            errors.push(FieldError::new(
                &reference.pointer,
                format!(
                    "{} already descends from this {}",
                    reference.id,
                    kind.name()
                ),
            ));
        }
    }
    Ok(errors)
}

// The refusals of a write's checks, worded once for single writes and the import's batches.

/// A new record's id that a record of another resource holds (ids are unique across resources).
pub(crate) fn id_of_another_resource(field: &str) -> StoreError {
    StoreError::Conflict(vec![FieldError::new(
        field,
        "is the id of a record of another resource; choose another id",
    )])
}

pub(crate) fn self_reference(reference: &Reference) -> FieldError {
    let name = reference.target.name();
    FieldError::new(
        &reference.pointer,
        format!("a {name} cannot reference itself"),
    )
}

pub(crate) fn missing_reference(reference: &Reference) -> FieldError {
    let name = reference.target.name();
    FieldError::new(
        &reference.pointer,
        format!("no {name} has the id {}", reference.id),
    )
}

/// An external id that already identifies `holder`, another record of `kind`.
pub(crate) fn external_id_taken(
    kind: ResourceKind,
    system: &str,
    value: &str,
    holder: Uuid,
) -> FieldError {
    FieldError::new(
        format!("/external_ids/{system}"),
        format!(
            "{system}:{value} already identifies the {} {holder}",
            kind.name()
        ),
    )
}

/// Whether following `reference.field` upwards from its target leads back to `id`.
async fn closes_cycle(
    txn: &DatabaseTransaction,
    reference: &Reference,
    id: Uuid,
) -> Result<bool, DbErr> {
    let mut current = reference.id;
    for _ in 0..10_000 {
        let stmt = Query::select()
            .column("to_id")
            .from("refs")
            .and_where(Expr::col("from_id").eq(current))
            .and_where(Expr::col("field").eq(reference.field))
            .take();
        match txn.query_one(&stmt).await? {
            Some(row) => current = row.try_get::<Uuid>("", "to_id")?,
            None => return Ok(false),
        }
        if current == id {
            return Ok(true);
        }
    }
    Ok(true)
}

async fn check_external_ids(
    txn: &DatabaseTransaction,
    kind: ResourceKind,
    id: Uuid,
    external_ids: &ExternalIds,
) -> Result<(), StoreError> {
    let mut conflicts = Vec::new();
    for (system, value) in &external_ids.0 {
        let stmt = Query::select()
            .column("record_id")
            .from("external_ids")
            .and_where(Expr::col("resource").eq(kind.name()))
            .and_where(Expr::col("system").eq(system.as_str()))
            .and_where(Expr::col("value").eq(value.as_str()))
            .take();
        if let Some(row) = txn.query_one(&stmt).await? {
            let holder: Uuid = row.try_get("", "record_id")?;
            if holder != id {
                conflicts.push(external_id_taken(kind, system, value, holder));
            }
        }
    }
    if conflicts.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Conflict(conflicts))
    }
}

async fn referrers(txn: &DatabaseTransaction, id: Uuid) -> Result<Vec<Referrer>, DbErr> {
    let stmt = Query::select()
        .columns(["from_resource", "from_id", "field"])
        .from("refs")
        .and_where(Expr::col("to_id").eq(id))
        .order_by("from_resource", Order::Asc)
        .order_by("from_id", Order::Asc)
        .take();
    let mut referrers = Vec::new();
    for row in txn.query_all(&stmt).await? {
        let resource: String = row.try_get("", "from_resource")?;
        referrers.push(Referrer {
            resource: ResourceKind::from_name(&resource)
                .ok_or_else(|| DbErr::Custom(format!("unknown resource {resource} in refs")))?,
            id: row.try_get("", "from_id")?,
            field: row.try_get("", "field")?,
        });
    }
    Ok(referrers)
}

async fn clear_indexes(
    txn: &DatabaseTransaction,
    kind: ResourceKind,
    id: Uuid,
) -> Result<(), DbErr> {
    let deletes = [
        Query::delete()
            .from_table("refs")
            .and_where(Expr::col("from_id").eq(id))
            .take(),
        Query::delete()
            .from_table("external_ids")
            .and_where(Expr::col("resource").eq(kind.name()))
            .and_where(Expr::col("record_id").eq(id))
            .take(),
        Query::delete()
            .from_table("project_sectors")
            .and_where(Expr::col("project_id").eq(id))
            .take(),
        Query::delete()
            .from_table("project_tags")
            .and_where(Expr::col("project_id").eq(id))
            .take(),
        Query::delete()
            .from_table("search_terms")
            .and_where(Expr::col("record_id").eq(id))
            .take(),
    ];
    for delete in deletes {
        txn.execute(&delete).await?;
    }
    Ok(())
}

/// Rewrites the index rows of a record: its references, external ids, search terms, sectors and tags. A new record has
/// none to clear.
async fn write_indexes<B: Body>(
    txn: &DatabaseTransaction,
    kind: ResourceKind,
    id: Uuid,
    body: &B,
    existed: bool,
) -> Result<(), DbErr> {
    if existed {
        clear_indexes(txn, kind, id).await?;
    }
    let mut rows = IndexRows::default();
    rows.add(kind, id, body);
    rows.insert(txn).await
}

/// Most values one statement binds: below SQLite's limit (32,766) and PostgreSQL's (65,535).
pub(crate) const MAX_BOUND_VALUES: usize = 16_000;

/// Inserts `rows` into `table` with as few multi-row statements as the bound-value limit allows.
pub(crate) async fn insert_rows<const N: usize>(
    txn: &DatabaseTransaction,
    table: &str,
    columns: [&str; N],
    rows: &[[SeaValue; N]],
) -> Result<(), DbErr> {
    for chunk in rows.chunks(MAX_BOUND_VALUES / N) {
        let mut insert = Query::insert()
            .into_table(table.to_owned())
            .columns(columns.map(str::to_owned))
            .take();
        for row in chunk {
            insert.values_panic(row.iter().cloned().map(SimpleExpr::from));
        }
        txn.execute(&insert).await?;
    }
    Ok(())
}

/// The index rows of a set of records (references, external ids, sectors, search terms, tags),
/// written with a few multi-row statements.
#[derive(Default)]
pub(crate) struct IndexRows {
    refs: Vec<[SeaValue; 5]>,
    external_ids: Vec<[SeaValue; 4]>,
    sectors: Vec<[SeaValue; 2]>,
    terms: Vec<[SeaValue; 3]>,
    tags: Vec<[SeaValue; 4]>,
}

impl IndexRows {
    pub(crate) fn add<B: Body>(&mut self, kind: ResourceKind, id: Uuid, body: &B) {
        let references: BTreeSet<(&'static str, Uuid, ResourceKind)> = body
            .all_references()
            .into_iter()
            .map(|r| (r.field, r.id, r.target))
            .collect();
        for (field, to_id, target) in references {
            self.refs.push([
                id.into(),
                field.into(),
                to_id.into(),
                kind.name().into(),
                target.name().into(),
            ]);
        }
        for (system, value) in &body.external_ids().0 {
            self.external_ids.push([
                kind.name().into(),
                system.as_str().into(),
                value.as_str().into(),
                id.into(),
            ]);
        }
        for sector in body.sectors() {
            self.sectors.push([id.into(), sector.code().into()]);
        }
        self.add_terms(kind, id, body);
        for tag in body.tags() {
            self.tags.push([
                id.into(),
                tag.vocabulary.name().into(),
                tag.code.into(),
                tag.significance.map(i16::from).into(),
            ]);
        }
    }

    /// The search index's rows alone: each distinct folded text `q` finds the record by.
    fn add_terms<B: Body>(&mut self, kind: ResourceKind, id: Uuid, body: &B) {
        let terms: BTreeSet<String> = body
            .search_texts()
            .into_iter()
            .map(fold)
            .filter(|term| !term.is_empty())
            .collect();
        for term in terms {
            self.terms
                .push([id.into(), kind.name().into(), term.into()]);
        }
    }

    pub(crate) async fn insert(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        let refs = ["from_id", "field", "to_id", "from_resource", "to_resource"];
        insert_rows(txn, "refs", refs, &self.refs).await?;
        let external_ids = ["resource", "system", "value", "record_id"];
        insert_rows(txn, "external_ids", external_ids, &self.external_ids).await?;
        insert_rows(
            txn,
            "project_sectors",
            ["project_id", "sector"],
            &self.sectors,
        )
        .await?;
        let terms = ["record_id", "resource", "term"];
        insert_rows(txn, "search_terms", terms, &self.terms).await?;
        let tags = ["project_id", "vocabulary", "code", "significance"];
        insert_rows(txn, "project_tags", tags, &self.tags).await
    }
}

/// One entry of the change feed, before it is numbered.
pub(crate) struct Change {
    pub kind: ResourceKind,
    pub id: Uuid,
    pub op: &'static str,
    pub version: i32,
}

/// Appends `changes` to the feed in order, numbered after its last entry.
pub(crate) async fn append_changes(
    txn: &DatabaseTransaction,
    changes: &[Change],
    actor: Option<&str>,
) -> Result<(), DbErr> {
    if changes.is_empty() {
        return Ok(());
    }
    // Numbered under the writers' lock (`begin_write`), held until commit: numbers have no gaps, become
    // visible in order, and a transaction that rolls back never took one that others can see.
    let last = Query::select()
        .expr(Expr::cust(r#"COALESCE(MAX("seq"), 0)"#))
        .from("changes")
        .take();
    let last: i64 = match txn.query_one(&last).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    let at = Utc::now().trunc_subsecs(6);
    let rows: Vec<[SeaValue; 7]> = changes
        .iter()
        .zip(last + 1..)
        .map(|(change, seq)| {
            [
                seq.into(),
                change.kind.name().into(),
                change.id.into(),
                change.op.into(),
                change.version.into(),
                at.into(),
                actor.map(str::to_owned).into(),
            ]
        })
        .collect();
    let columns = [
        "seq",
        "resource",
        "record_id",
        "op",
        "version",
        "at",
        "actor",
    ];
    insert_rows(txn, "changes", columns, &rows).await
}

impl Store {
    /// The records whose sources cite `document`, in id order after `after`, at most `limit`.
    pub async fn citations(
        &self,
        document: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(ResourceKind, Uuid)>, StoreError> {
        self.get::<super::Documents>(document).await?;
        let mut select = Query::select()
            .columns(["from_resource", "from_id"])
            .from("refs")
            .and_where(Expr::col("to_id").eq(document))
            .and_where(Expr::col("field").eq("sources"))
            .order_by("from_id", Order::Asc)
            .limit(u64::from(limit))
            .take();
        if let Some(after) = after {
            select.and_where(Expr::col("from_id").gt(after));
        }
        let mut citations = Vec::new();
        for row in self.db.query_all(&select).await? {
            let resource: String = row.try_get("", "from_resource")?;
            let resource = ResourceKind::from_name(&resource)
                .ok_or_else(|| DbErr::Custom(format!("unknown resource {resource} in refs")))?;
            citations.push((resource, row.try_get("", "from_id")?));
        }
        Ok(citations)
    }
}

impl Store {
    /// The coordinates (longitude, latitude) of those of these cities that have them.
    pub async fn city_points(
        &self,
        ids: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, [f64; 2]>, StoreError> {
        let select = Query::select()
            .columns(["id", "longitude", "latitude"])
            .from("cities")
            .and_where(Expr::col("id").is_in(ids.iter().copied()))
            .and_where(Expr::col("longitude").is_not_null())
            .and_where(Expr::col("latitude").is_not_null())
            .take();
        let mut points = std::collections::HashMap::new();
        for row in self.db.query_all(&select).await? {
            points.insert(
                row.try_get("", "id")?,
                [row.try_get("", "longitude")?, row.try_get("", "latitude")?],
            );
        }
        Ok(points)
    }
}

/// The version of the search index's folding: when it differs from the stored one, `Store::open`
/// builds the index again from the records.
pub const SEARCH_INDEX_VERSION: i32 = 1;

async fn reindex_kind<R: Resource>(txn: &DatabaseTransaction) -> Result<(), StoreError> {
    use sea_orm::{QueryOrder, QuerySelect};
    let kind = R::Body::KIND;
    let mut after: Option<Uuid> = None;
    loop {
        let mut select = R::Entity::find()
            .order_by(Expr::col("id"), Order::Asc)
            .limit(500);
        if let Some(after) = after {
            select = select.filter(Expr::col("id").gt(after));
        }
        let models = select.all(txn).await?;
        let Some(last) = models.last() else {
            return Ok(());
        };
        after = Some(record_of::<R>(last)?.meta.id);
        let mut rows = IndexRows::default();
        for model in &models {
            let record = record_of::<R>(model)?;
            rows.add_terms(kind, record.meta.id, &record.data);
        }
        rows.insert(txn).await?;
    }
}

async fn reindex_one_kind(txn: &DatabaseTransaction, kind: ResourceKind) -> Result<(), StoreError> {
    with_resource!(kind, reindex_kind(txn).await)
}

impl Store {
    /// Builds the search index again when it was made by another version of the folding (or never, on
    /// a database that a migration just gave the index).
    pub async fn ensure_search_index(&self) -> Result<(), StoreError> {
        let stored = |row: Option<sea_orm::QueryResult>| -> Result<Option<i32>, DbErr> {
            row.map(|row| row.try_get::<i32>("", "version")).transpose()
        };
        let select = Query::select()
            .column("version")
            .from("index_versions")
            .and_where(Expr::col("name").eq("search_terms"))
            .take();
        if stored(self.db.query_one(&select).await?)? == Some(SEARCH_INDEX_VERSION) {
            return Ok(());
        }
        self.write(async |txn| {
            if stored(txn.query_one(&select).await?)? == Some(SEARCH_INDEX_VERSION) {
                return Ok(());
            }
            txn.execute(&Query::delete().from_table("search_terms").take())
                .await?;
            for kind in ResourceKind::ALL {
                reindex_one_kind(txn, kind).await?;
            }
            txn.execute(
                &Query::delete()
                    .from_table("index_versions")
                    .and_where(Expr::col("name").eq("search_terms"))
                    .take(),
            )
            .await?;
            txn.execute(
                &Query::insert()
                    .into_table("index_versions")
                    .columns(["name", "version"])
                    .values_panic(["search_terms".into(), SEARCH_INDEX_VERSION.into()])
                    .take(),
            )
            .await?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NewDocument;
    use proptest::prelude::*;
    use serde_json::json;

    fn document() -> Value {
        json!({"title": "Actions for a Sustainable Society", "publisher": "IGES", "published": "2018",
               "language": "en", "notes": "Read in 2026"})
    }

    /// Any JSON: objects keyed by the document's fields and by others, holding anything.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            "[0-9]{4}(-[0-9]{2})?".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(
                    prop::sample::select(vec![
                        "title",
                        "notes",
                        "published",
                        "language",
                        "url",
                        "sources",
                        "x"
                    ])
                    .prop_map(str::to_owned),
                    inner,
                    0..5,
                )
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// A patch of the document's optional texts: each left out, set, or cleared with `null`.
    fn patch() -> impl Strategy<Value = serde_json::Map<String, Value>> {
        let field = prop_oneof![
            Just(None),
            Just(Some(Value::Null)),
            "[A-Za-z][A-Za-z ]{0,20}".prop_map(|text| Some(Value::from(text))),
        ];
        (field.clone(), field.clone(), field).prop_map(|(publisher, notes, title)| {
            [("publisher", publisher), ("notes", notes), ("title", title)]
                .into_iter()
                .filter_map(|(name, value)| Some((name.to_owned(), value?)))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn a_patch_sets_what_it_names_clears_its_nulls_and_keeps_the_rest(patch in patch()) {
            let patched = merge_patch::<NewDocument>(document(), &Value::Object(patch.clone()));
            if patch.get("title") == Some(&Value::Null) {
                // The title is required: clearing it is refused, naming the field.
                prop_assert_eq!(patched.unwrap_err().field, "/title");
                return Ok(());
            }
            let patched = serde_json::to_value(patched.unwrap()).unwrap();
            let before = document();
            for field in ["title", "publisher", "notes", "published", "language"] {
                let expected = match patch.get(field) {
                    Some(Value::Null) => &Value::Null,
                    Some(value) => value,
                    None => &before[field],
                };
                prop_assert_eq!(&patched[field], expected, "{}", field);
            }
            // Applying it again changes nothing more.
            let again = merge_patch::<NewDocument>(patched.clone(), &Value::Object(patch)).unwrap();
            prop_assert_eq!(serde_json::to_value(again).unwrap(), patched);
        }

        #[test]
        fn any_patch_is_applied_or_refused_without_panic(patch in any_json()) {
            if let Ok(patched) = merge_patch::<NewDocument>(document(), &patch) {
                // Whatever it takes reads back as the same body.
                let value = serde_json::to_value(&patched).unwrap();
                prop_assert_eq!(parse_value::<NewDocument>(value).unwrap(), patched);
            }
        }
    }
}
