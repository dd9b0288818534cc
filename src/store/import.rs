//! Bulk import: every line in one transaction, written in batches.
//!
//! Consecutive upserts of one resource are taken together: their ids, existing rows, external ids
//! and references are looked up with one query each, and the new records, their index rows and their
//! feed entries are written with multi-row statements. Each line is still judged as if the lines
//! before it had been applied one by one; a line that a batch cannot judge that way (an update, a
//! record the same batch already wrote, a delete) is applied on its own, in its turn.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, Iterable,
    QueryFilter,
};
use serde_json::{Map, Value};
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use super::crud::{
    append_changes, delete_in, external_id_taken, find_external_id, id_of_another_resource,
    insert_rows, missing_reference, put_in, record_of, row_for, self_reference, Change, IndexRows,
    MAX_BOUND_VALUES,
};
use super::resources::{with_resource, Resource};
use super::transfer::{insert_kept, kept_response, IdempotencyKey, StoredResponse};
use super::{Store, StoreError};
use crate::domain::*;

/// Longest list of refused lines an import answers with.
const MAX_LINE_ERRORS: usize = 1000;
/// Upserts taken together: enough to make each lookup and insert serve many lines, few enough that
/// a batch's rows stay small in memory.
const BATCH_LINES: usize = 500;

impl Store {
    /// Starts an import: everything it applies is one transaction, committed by `finish` only if no
    /// line was refused.
    pub async fn begin_import(&self, actor: Option<&str>) -> Result<Importer, DbErr> {
        let guard = Arc::clone(&self.write_lock).lock_owned().await;
        let txn = super::begin_write(&self.db).await?;
        set_page_cache(&txn, IMPORT_PAGE_CACHE).await?;
        Ok(Importer {
            txn,
            _guard: guard,
            feed_head: Arc::clone(&self.feed_head),
            actor: actor.map(str::to_owned),
            report: ImportReport::default(),
            errors: Vec::new(),
            refused: 0,
            batch: None,
        })
    }
}

/// An import in progress.
pub struct Importer {
    txn: DatabaseTransaction,
    _guard: OwnedMutexGuard<()>,
    feed_head: Arc<super::stats::FeedHead>,
    actor: Option<String>,
    report: ImportReport,
    errors: Vec<LineError>,
    refused: u64,
    /// Upserts of one resource not yet applied.
    batch: Option<(ResourceKind, Vec<(u64, Value)>)>,
}

impl Importer {
    /// Takes one line; a line that breaks a rule is recorded (and the import will not commit), a
    /// database failure ends the import.
    pub async fn apply(&mut self, line: u64, text: &[u8]) -> Result<(), DbErr> {
        match serde_json::from_slice::<Value>(text) {
            Ok(value) => self.apply_value(line, value).await,
            Err(error) => {
                let message = format!("is not JSON: {error}");
                self.refuse_line(line, message).await
            }
        }
    }

    /// Refuses a line that could not be read at all.
    pub async fn refuse_line(&mut self, line: u64, message: String) -> Result<(), DbErr> {
        // Lines before it are judged first, so errors come in line order.
        self.flush().await?;
        self.report.lines += 1;
        self.refuse(line, vec![FieldError::new("", message)]);
        Ok(())
    }

    /// `apply` for a line already read as JSON (an item of a JSON array).
    pub async fn apply_value(&mut self, line: u64, value: Value) -> Result<(), DbErr> {
        let parsed = match parse_value::<ImportLine>(value) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.flush().await?;
                self.report.lines += 1;
                self.refuse(line, vec![error]);
                return Ok(());
            }
        };
        match parsed.op {
            ImportOp::Upsert => {
                let joins = matches!(&self.batch, Some((kind, lines))
                    if *kind == parsed.resource && lines.len() < BATCH_LINES);
                if !joins {
                    self.flush().await?;
                }
                self.batch
                    .get_or_insert_with(|| (parsed.resource, Vec::new()))
                    .1
                    .push((line, parsed.data));
            }
            ImportOp::Delete => {
                self.flush().await?;
                let actor = self.actor.clone();
                let outcome = with_resource!(
                    parsed.resource,
                    delete_line(&self.txn, parsed.data, actor.as_deref()).await
                );
                self.record(line, outcome)?;
            }
        }
        Ok(())
    }

    /// Applies the waiting batch.
    pub async fn flush(&mut self) -> Result<(), DbErr> {
        let Some((kind, lines)) = self.batch.take() else {
            return Ok(());
        };
        let actor = self.actor.clone();
        let outcomes =
            with_resource!(kind, upsert_batch(&self.txn, lines, actor.as_deref()).await)?;
        for (line, outcome) in outcomes {
            self.record(line, outcome)?;
        }
        Ok(())
    }

    fn record(&mut self, line: u64, outcome: Result<Applied, StoreError>) -> Result<(), DbErr> {
        self.report.lines += 1;
        match outcome {
            Ok(Applied::Created) => self.report.created += 1,
            Ok(Applied::Updated) => self.report.updated += 1,
            Ok(Applied::Unchanged) => self.report.unchanged += 1,
            Ok(Applied::Deleted) => self.report.deleted += 1,
            Err(StoreError::Database(error)) => return Err(error),
            Err(error) => self.refuse(line, line_errors(error)),
        }
        Ok(())
    }

    fn refuse(&mut self, line: u64, errors: Vec<FieldError>) {
        self.refused += 1;
        for error in errors {
            if self.errors.len() < MAX_LINE_ERRORS {
                self.errors.push(LineError {
                    line,
                    field: error.field,
                    message: error.message,
                });
            }
        }
    }

    /// The live response kept for `key`, read in the import's own transaction (and so in its turn).
    pub async fn kept(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<(String, StoredResponse)>, StoreError> {
        kept_response(&self.txn, key).await
    }

    /// What the import has done, every line taken so far applied.
    pub async fn report(&mut self) -> Result<&ImportReport, DbErr> {
        self.flush().await?;
        Ok(&self.report)
    }

    /// Whether every line so far applied (call `report` first to judge the waiting batch).
    pub fn is_clean(&self) -> bool {
        self.refused == 0
    }

    /// Keeps `response` for an `Idempotency-Key`, in the import's own transaction.
    pub async fn keep_response(
        &self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), DbErr> {
        insert_kept(&self.txn, key, response).await
    }

    /// Commits when every line applied; otherwise rolls back and returns every refused line.
    pub async fn finish(mut self) -> Result<Result<ImportReport, ImportRefused>, DbErr> {
        self.flush().await?;
        set_page_cache(&self.txn, DEFAULT_PAGE_CACHE).await?;
        if self.refused == 0 {
            self.txn.commit().await?;
            self.feed_head.written();
            Ok(Ok(self.report))
        } else {
            self.txn.rollback().await?;
            Ok(Err(ImportRefused {
                lines: self.report.lines,
                refused: self.refused,
                errors: self.errors,
            }))
        }
    }

    /// Gives up: nothing is written.
    pub async fn abandon(self) -> Result<(), DbErr> {
        set_page_cache(&self.txn, DEFAULT_PAGE_CACHE).await?;
        self.txn.rollback().await
    }
}

/// SQLite's page cache while an import runs, in KiB: an import's dirty pages stay in memory instead of
/// spilling to the log and being read back (the default 2 MiB holds little of a large database's
/// indexes). It is given back when the import ends, so the connection does not keep it.
const IMPORT_PAGE_CACHE: i64 = 64 << 10;
/// SQLite's default page cache, in KiB.
const DEFAULT_PAGE_CACHE: i64 = 2000;

async fn set_page_cache(txn: &DatabaseTransaction, kib: i64) -> Result<(), DbErr> {
    if txn.get_database_backend() == sea_orm::DbBackend::Sqlite {
        txn.execute_unprepared(&format!("PRAGMA cache_size = -{kib}"))
            .await?;
    }
    Ok(())
}

/// Why an import wrote nothing.
#[derive(Debug)]
pub struct ImportRefused {
    pub lines: u64,
    pub refused: u64,
    /// The first 1,000 errors.
    pub errors: Vec<LineError>,
}

enum Applied {
    Created,
    Updated,
    Unchanged,
    Deleted,
}

/// The errors of a refused line, as pointers into the line.
fn line_errors(error: StoreError) -> Vec<FieldError> {
    let at = |errors: Vec<FieldError>| {
        errors
            .into_iter()
            .map(|e| FieldError::new(format!("/data{}", e.field), e.message))
            .collect()
    };
    match error {
        StoreError::Invalid(errors) | StoreError::Conflict(errors) => at(errors),
        StoreError::NotFound(kind) => vec![FieldError::new(
            "/data/id",
            format!("no {kind} has this id"),
        )],
        StoreError::Referenced(referrers) => vec![FieldError::new(
            "/data/id",
            format!(
                "is referenced by {}",
                referrers
                    .iter()
                    .map(|r| format!("{} {} ({})", r.resource, r.id, r.field))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )],
        other => vec![FieldError::new("", other.to_string())],
    }
}

fn invalid(field: &str, message: &str) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(field, message)])
}

/// A line's `data` split into its `id` (if it gives one) and the rest.
fn split_id(data: Value) -> Result<(Option<Uuid>, Map<String, Value>), StoreError> {
    let Value::Object(mut data) = data else {
        return Err(invalid("", "must be an object"));
    };
    let id = match data.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(
            text.parse::<Uuid>()
                .map_err(|_| invalid("/id", "is not a UUID"))?,
        ),
        Some(_) => return Err(invalid("/id", "is not a UUID")),
    };
    Ok((id, data))
}

async fn delete_line<R: Resource>(
    txn: &DatabaseTransaction,
    data: Value,
    actor: Option<&str>,
) -> Result<Applied, StoreError> {
    let (id, _) = split_id(data)?;
    let id = id.ok_or_else(|| invalid("/id", "a delete needs the record's id"))?;
    delete_in::<R>(txn, id, None, actor).await?;
    Ok(Applied::Deleted)
}

/// An upsert that names its record, or else the record its first external id finds, or a new one.
async fn upsert_line<R: Resource>(
    txn: &DatabaseTransaction,
    id: Option<Uuid>,
    body: R::Body,
    actor: Option<&str>,
) -> Result<Applied, StoreError> {
    let id = match id {
        Some(id) => id,
        None => match body.external_ids().0.iter().next() {
            Some((system, value)) => find_external_id(txn, R::Body::KIND, system, value).await?,
            None => None,
        }
        .unwrap_or_else(Uuid::now_v7),
    };
    let outcome = put_in::<R>(txn, id, body, None, actor).await?;
    Ok(match (outcome.created, outcome.changed) {
        (true, _) => Applied::Created,
        (false, true) => Applied::Updated,
        (false, false) => Applied::Unchanged,
    })
}

/// What a batch knows of the database, read with one query per table before its lines are judged,
/// and kept current as they are.
struct Known<B> {
    /// Which resource holds each id the batch names (ids are unique across resources).
    resource_of: HashMap<Uuid, String>,
    /// The stored records of this resource the batch names.
    existing: HashMap<Uuid, Record<B>>,
    /// The referenced ids that exist, per resource.
    found: HashMap<ResourceKind, HashSet<Uuid>>,
    /// The record holding each external id the batch's bodies carry.
    holders: HashMap<(String, String), Uuid>,
}

/// Applies consecutive upserts of one resource; answers each line's outcome, in order.
async fn upsert_batch<R: Resource>(
    txn: &DatabaseTransaction,
    lines: Vec<(u64, Value)>,
    actor: Option<&str>,
) -> Result<Vec<(u64, Result<Applied, StoreError>)>, DbErr> {
    let kind = R::Body::KIND;
    let mut outcomes = Vec::with_capacity(lines.len());
    let mut parsed = Vec::with_capacity(lines.len());
    for (line, data) in lines {
        let body = split_id(data).and_then(|(id, data)| {
            let body: R::Body = parse_value(Value::Object(data))
                .map_err(|error| StoreError::Invalid(vec![error]))?;
            Ok((id, body))
        });
        match body {
            Ok((id, body)) => parsed.push((line, id, body)),
            Err(error) => outcomes.push((line, Err(error))),
        }
    }
    let mut known = look_up::<R>(txn, &parsed).await?;

    let now = Utc::now().trunc_subsecs(6);
    let mut pending = NewRecords::<R>::default();
    // Records a line of this batch has written or found unchanged: a later line about one of them is
    // applied on its own, against what the earlier one left.
    let mut seen: HashSet<Uuid> = HashSet::new();
    for (line, id, body) in parsed {
        let id = id
            .or_else(|| {
                let (system, value) = body.external_ids().0.iter().next()?;
                known.holders.get(&(system.clone(), value.clone())).copied()
            })
            .unwrap_or_else(Uuid::now_v7);
        let stored = if seen.contains(&id) {
            None
        } else {
            known.existing.remove(&id)
        };
        let outcome = match stored {
            Some(stored) if stored.data == body => {
                seen.insert(id);
                let errors = body.validate();
                if errors.is_empty() {
                    Ok(Applied::Unchanged)
                } else {
                    Err(StoreError::Invalid(errors))
                }
            }
            _ if stored.is_some() || seen.contains(&id) => {
                // An update: applied on its own, after every line before it.
                seen.insert(id);
                pending.write(txn, actor).await?;
                let outcome = upsert_line::<R>(txn, Some(id), body.clone(), actor).await;
                if outcome.is_ok() {
                    known.holders.retain(|_, holder| *holder != id);
                    hold_external_ids(&mut known, id, &body);
                }
                outcome
            }
            _ => judge_new(&known, kind, id, &body).and_then(|()| {
                let meta = Meta {
                    id,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                    display_name: None,
                };
                let row = row_for::<R>(&meta, &body);
                pending
                    .models
                    .push(R::ActiveModel::from_json(Value::Object(row))?);
                pending.ids.push([id.into(), kind.name().into()]);
                pending.indexes.add(kind, id, &body);
                pending.changes.push(Change {
                    kind,
                    id,
                    op: "create",
                    version: 1,
                });
                hold_external_ids(&mut known, id, &body);
                known.found.entry(kind).or_default().insert(id);
                known.resource_of.insert(id, kind.name().to_owned());
                seen.insert(id);
                Ok(Applied::Created)
            }),
        };
        outcomes.push((line, outcome));
    }
    pending.write(txn, actor).await?;
    outcomes.sort_by_key(|(line, _)| *line);
    Ok(outcomes)
}

fn hold_external_ids<B: Body>(known: &mut Known<B>, id: Uuid, body: &B) {
    for (system, value) in &body.external_ids().0 {
        known.holders.insert((system.clone(), value.clone()), id);
    }
}

/// The checks of a write (`crud::write_body`) for a record that does not exist yet, against what
/// the batch knows. A new record cannot close a cycle: nothing names it yet.
fn judge_new<B: Body>(
    known: &Known<B>,
    kind: ResourceKind,
    id: Uuid,
    body: &B,
) -> Result<(), StoreError> {
    if known
        .resource_of
        .get(&id)
        .is_some_and(|holder| holder != kind.name())
    {
        return Err(id_of_another_resource("/id"));
    }
    let mut errors = body.validate();
    for reference in body.all_references() {
        if reference.target == kind && reference.id == id {
            errors.push(self_reference(&reference));
        } else if !known
            .found
            .get(&reference.target)
            .is_some_and(|ids| ids.contains(&reference.id))
        {
            errors.push(missing_reference(&reference));
        }
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    let conflicts: Vec<FieldError> = body
        .external_ids()
        .0
        .iter()
        .filter_map(|(system, value)| {
            let holder = known.holders.get(&(system.clone(), value.clone()))?;
            (*holder != id).then(|| external_id_taken(kind, system, value, *holder))
        })
        .collect();
    if conflicts.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Conflict(conflicts))
    }
}

/// Reads what the batch's lines need to be judged: one query per table (per few thousand ids).
async fn look_up<R: Resource>(
    txn: &DatabaseTransaction,
    parsed: &[(u64, Option<Uuid>, R::Body)],
) -> Result<Known<R::Body>, DbErr> {
    let kind = R::Body::KIND;
    let mut known = Known {
        resource_of: HashMap::new(),
        existing: HashMap::new(),
        found: HashMap::new(),
        holders: HashMap::new(),
    };

    let values: BTreeSet<&str> = parsed
        .iter()
        .flat_map(|(_, _, body)| body.external_ids().0.values().map(String::as_str))
        .collect();
    for chunk in values
        .into_iter()
        .collect::<Vec<_>>()
        .chunks(MAX_BOUND_VALUES)
    {
        let stmt = Query::select()
            .columns(["system", "value", "record_id"])
            .from("external_ids")
            .and_where(Expr::col("resource").eq(kind.name()))
            .and_where(Expr::col("value").is_in(chunk.iter().copied()))
            .take();
        for row in txn.query_all(&stmt).await? {
            let key = (row.try_get("", "system")?, row.try_get("", "value")?);
            known.holders.insert(key, row.try_get("", "record_id")?);
        }
    }

    // The ids the lines name, or that their first external id finds.
    let ids: BTreeSet<Uuid> = parsed
        .iter()
        .filter_map(|(_, id, body)| {
            id.or_else(|| {
                let (system, value) = body.external_ids().0.iter().next()?;
                known.holders.get(&(system.clone(), value.clone())).copied()
            })
        })
        .collect();
    let ids: Vec<Uuid> = ids.into_iter().collect();
    for chunk in ids.chunks(MAX_BOUND_VALUES) {
        let stmt = Query::select()
            .columns(["id", "resource"])
            .from("records")
            .and_where(Expr::col("id").is_in(chunk.iter().copied()))
            .take();
        for row in txn.query_all(&stmt).await? {
            known
                .resource_of
                .insert(row.try_get("", "id")?, row.try_get("", "resource")?);
        }
    }
    let mine: Vec<Uuid> = ids
        .into_iter()
        .filter(|id| known.resource_of.get(id).is_some_and(|r| r == kind.name()))
        .collect();
    for chunk in mine.chunks(MAX_BOUND_VALUES) {
        let models = R::Entity::find()
            .filter(Expr::col("id").is_in(chunk.iter().copied()))
            .all(txn)
            .await?;
        for model in &models {
            let record = record_of::<R>(model).map_err(|error| DbErr::Custom(error.to_string()))?;
            known.existing.insert(record.meta.id, record);
        }
    }

    let mut wanted: BTreeMap<ResourceKind, BTreeSet<Uuid>> = BTreeMap::new();
    for (_, _, body) in parsed {
        for reference in body.all_references() {
            wanted
                .entry(reference.target)
                .or_default()
                .insert(reference.id);
        }
    }
    for (target, ids) in wanted {
        let found = known.found.entry(target).or_default();
        for chunk in ids.into_iter().collect::<Vec<_>>().chunks(MAX_BOUND_VALUES) {
            let stmt = Query::select()
                .column("id")
                .from(target.collection())
                .and_where(Expr::col("id").is_in(chunk.iter().copied()))
                .take();
            for row in txn.query_all(&stmt).await? {
                found.insert(row.try_get("", "id")?);
            }
        }
    }
    Ok(known)
}

/// New records of one resource, written together: their ids, rows, index rows and feed entries.
struct NewRecords<R: Resource> {
    ids: Vec<[sea_orm::Value; 2]>,
    models: Vec<R::ActiveModel>,
    indexes: IndexRows,
    changes: Vec<Change>,
}

impl<R: Resource> Default for NewRecords<R> {
    fn default() -> Self {
        Self {
            ids: Vec::new(),
            models: Vec::new(),
            indexes: IndexRows::default(),
            changes: Vec::new(),
        }
    }
}

impl<R: Resource> NewRecords<R> {
    async fn write(&mut self, txn: &DatabaseTransaction, actor: Option<&str>) -> Result<(), DbErr> {
        if self.models.is_empty() {
            return Ok(());
        }
        let Self {
            ids,
            models,
            indexes,
            changes,
        } = std::mem::take(self);
        insert_rows(txn, "records", ["id", "resource"], &ids).await?;
        let columns = <R::Entity as EntityTrait>::Column::iter().count().max(1);
        let mut models = models.into_iter().peekable();
        while models.peek().is_some() {
            let chunk: Vec<_> = models.by_ref().take(MAX_BOUND_VALUES / columns).collect();
            R::Entity::insert_many(chunk)
                .exec_without_returning(txn)
                .await?;
        }
        indexes.insert(txn).await?;
        append_changes(txn, &changes, actor).await
    }
}
