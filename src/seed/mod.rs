//! The seed dataset: JSON files of cited records with readable keys and fixed ids (see `seeds/README.md`).
//! Loading creates the records a database lacks and leaves existing ones, edits included, as they are.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

mod figures;

use crate::domain::{parse_value, Body, ResourceKind};
use crate::store::{with_resource, Resource, Store, StoreError};

/// The change-feed actor of seeded records.
pub const SEED_ACTOR: &str = "seed";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    resource: String,
    key: String,
    data: Map<String, Value>,
}

/// One seeded record, merged from every file that states it.
#[derive(Debug)]
pub struct SeedRecord {
    pub kind: ResourceKind,
    pub key: String,
    pub id: Uuid,
    pub files: Vec<String>,
    pub data: Map<String, Value>,
}

#[derive(Debug, Default)]
pub struct SeedReport {
    /// Records in the seed files.
    pub records: usize,
    /// Records created by this load.
    pub written: usize,
    pub per_resource: BTreeMap<&'static str, usize>,
}

/// The fixed id of a seeded record: the UUID v5 of `resource/key` in the URL namespace.
pub fn seed_id(kind: ResourceKind, key: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("{}/{key}", kind.name()).as_bytes(),
    )
}

/// Merges `from` into `into`: `sources` are concatenated, `external_ids` united, differing `notes` joined;
/// any other field given twice must agree.
fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) -> Result<(), String> {
    for (field, value) in from {
        match (field.as_str(), into.get_mut(&field)) {
            (_, None) => {
                into.insert(field, value);
            }
            (_, Some(existing)) if *existing == value => {}
            ("sources", Some(Value::Array(existing))) => {
                existing.extend(value.as_array().cloned().unwrap_or_default());
            }
            ("external_ids", Some(Value::Object(existing))) => {
                for (system, id) in value.as_object().cloned().unwrap_or_default() {
                    existing.insert(system, id);
                }
            }
            ("notes", Some(Value::String(existing))) => {
                existing.push_str("\n\n");
                existing.push_str(value.as_str().unwrap_or_default());
            }
            (_, Some(existing)) => {
                return Err(format!(
                    "`{field}` is {existing} in one file and {value} in another"
                ))
            }
        }
    }
    Ok(())
}

/// Replaces `resource/key` references with the record's fixed id, in every `…_id` and `…_ids` field.
fn resolve(value: &mut Value, known: &BTreeSet<(ResourceKind, String)>) -> Result<(), String> {
    let resolve_one = |text: &mut Value| -> Result<(), String> {
        let Some(reference) = text.as_str() else {
            return Ok(());
        };
        if reference.parse::<Uuid>().is_ok() {
            return Ok(());
        }
        let (resource, key) = reference
            .split_once('/')
            .ok_or_else(|| format!("`{reference}` is neither a UUID nor resource/key"))?;
        let kind = ResourceKind::from_name(resource)
            .ok_or_else(|| format!("`{reference}`: no resource is called {resource}"))?;
        if !known.contains(&(kind, key.to_owned())) {
            return Err(format!("`{reference}` is not in the seeds"));
        }
        *text = Value::String(seed_id(kind, key).to_string());
        Ok(())
    };
    match value {
        Value::Object(object) => {
            for (field, child) in object.iter_mut() {
                if field.ends_with("_id") {
                    resolve_one(child)?;
                } else if field.ends_with("_ids") {
                    for item in child.as_array_mut().into_iter().flatten() {
                        resolve_one(item)?;
                    }
                } else {
                    resolve(child, known)?;
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                resolve(item, known)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Reads every `*.json` in `dir`, merged and in an order that loads without missing references.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<SeedRecord>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the seed folder {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    let mut records: BTreeMap<(ResourceKind, String), SeedRecord> = BTreeMap::new();
    for path in paths {
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {file}"))?;
        let entries: Vec<Entry> = serde_json::from_str(&text)
            .with_context(|| format!("{file} is not a list of seed records"))?;
        for entry in entries {
            let kind = ResourceKind::from_name(&entry.resource)
                .ok_or_else(|| anyhow!("{file}: `{}` is not a resource", entry.resource))?;
            let slot = (kind, entry.key.clone());
            match records.get_mut(&slot) {
                Some(record) => {
                    merge(&mut record.data, entry.data).map_err(|message| {
                        anyhow!(
                            "{}/{} in {} and {file}: {message}",
                            kind.name(),
                            entry.key,
                            record.files.join(", ")
                        )
                    })?;
                    record.files.push(file.clone());
                }
                None => {
                    records.insert(
                        slot,
                        SeedRecord {
                            kind,
                            id: seed_id(kind, &entry.key),
                            key: entry.key,
                            files: vec![file.clone()],
                            data: entry.data,
                        },
                    );
                }
            }
        }
    }
    let known: BTreeSet<(ResourceKind, String)> = records.keys().cloned().collect();
    for record in records.values_mut() {
        let mut data = Value::Object(std::mem::take(&mut record.data));
        resolve(&mut data, &known).map_err(|message| {
            anyhow!(
                "{}/{} ({}): {message}",
                record.kind.name(),
                record.key,
                record.files.join(", ")
            )
        })?;
        if let Value::Object(data) = data {
            record.data = data;
        }
    }
    Ok(in_load_order(records.into_values().collect()))
}

fn parent_field<R: Resource>() -> Option<&'static str> {
    R::PARENT
}

/// Orders records by resource, and each after its parent: a programme before its phases, a province
/// before its cities.
fn in_load_order(mut records: Vec<SeedRecord>) -> Vec<SeedRecord> {
    records.sort_by_key(|record| record.kind);
    let mut ordered = Vec::with_capacity(records.len());
    let mut placed: BTreeSet<Uuid> = BTreeSet::new();
    let mut pending = records;
    while !pending.is_empty() {
        let before = pending.len();
        let (ready, waiting): (Vec<_>, Vec<_>) = pending.into_iter().partition(|record| {
            // A parent is a record of the same kind (a programme, a province, a renewed agreement).
            let field = with_resource!(record.kind, parent_field());
            match field
                .and_then(|field| record.data.get(field))
                .and_then(Value::as_str)
            {
                Some(parent) => parent
                    .parse::<Uuid>()
                    .map_or(true, |parent| placed.contains(&parent)),
                None => true,
            }
        });
        placed.extend(ready.iter().map(|record| record.id));
        ordered.extend(ready);
        pending = waiting;
        if pending.len() == before {
            // A cycle: load the rest as they are and let the store refuse them.
            ordered.append(&mut pending);
        }
    }
    ordered.sort_by_key(|record| record.kind);
    ordered
}

fn describe(error: StoreError) -> anyhow::Error {
    match error {
        StoreError::Invalid(errors) | StoreError::Conflict(errors) => anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => other.into(),
    }
}

/// The record's body, checked as the API would check it (references aside).
fn body_of<R: Resource>(record: &SeedRecord) -> Result<R::Body, String> {
    let body: R::Body = parse_value(Value::Object(record.data.clone()))
        .map_err(|error| format!("{}: {}", error.field, error.message))?;
    let errors = body.validate();
    if errors.is_empty() {
        Ok(body)
    } else {
        Err(errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "))
    }
}

fn check<R: Resource>(record: &SeedRecord) -> Result<(), String> {
    body_of::<R>(record).map(|_| ())
}

/// Creates the record unless it exists; reports whether it was created.
async fn create_missing<R: Resource>(store: &Store, record: &SeedRecord) -> anyhow::Result<bool> {
    match store.get::<R>(record.id).await {
        Ok(_) => return Ok(false),
        Err(StoreError::NotFound(_)) => {}
        Err(error) => return Err(error.into()),
    }
    let body = body_of::<R>(record).map_err(|message| anyhow!(message))?;
    store
        .put::<R>(record.id, body, None, Some(SEED_ACTOR))
        .await
        .map_err(describe)?;
    Ok(true)
}

/// Every problem of the seed files, one line each; empty when they load.
pub fn check_dir(dir: &Path) -> anyhow::Result<Vec<String>> {
    Ok(read_dir(dir)?
        .iter()
        .filter_map(|record| {
            with_resource!(record.kind, check(record))
                .err()
                .map(|message| {
                    format!(
                        "{}/{} ({}): {message}",
                        record.kind.name(),
                        record.key,
                        record.files.join(", ")
                    )
                })
        })
        .collect())
}

/// Loads every seed record the database lacks. The files are checked whole first, so a mistake in them
/// is reported in full and loads nothing.
pub async fn load_dir(store: &Store, dir: &Path) -> anyhow::Result<SeedReport> {
    let problems = check_dir(dir)?;
    if !problems.is_empty() {
        bail!(
            "the seed files in {} have {} problem(s):\n{}",
            dir.display(),
            problems.len(),
            problems.join("\n")
        );
    }
    let records = read_dir(dir)?;
    let mut report = SeedReport {
        records: records.len(),
        ..Default::default()
    };
    for record in &records {
        *report.per_resource.entry(record.kind.name()).or_default() += 1;
        let created = with_resource!(record.kind, create_missing(store, record).await)
            .with_context(|| {
                format!(
                    "seed {}/{} ({})",
                    record.kind.name(),
                    record.key,
                    record.files.join(", ")
                )
            })?;
        report.written += usize::from(created);
    }
    Ok(report)
}

/// Checks every quote and context against the documents in `documents` (whose README maps document keys
/// to files), comparing with whitespace normalised, and every figure of a record against its cited text
/// (see `figures`). Returns one line per failure.
pub fn verify_sources(seeds: &Path, documents: &Path) -> anyhow::Result<Vec<String>> {
    let normalise = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let readme = std::fs::read_to_string(documents.join("README.md")).with_context(|| {
        format!(
            "{} has no README.md naming the documents",
            documents.display()
        )
    })?;
    // By the seeded document's id: its key and its text.
    let mut texts: HashMap<String, (String, String)> = HashMap::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if let [_, key, file, ..] = cells.as_slice() {
            let key = key.trim_matches('`');
            if let Ok(text) = std::fs::read_to_string(documents.join(file)) {
                let id = seed_id(ResourceKind::Document, key).to_string();
                texts.insert(id, (key.to_owned(), normalise(&text)));
            }
        }
    }
    if texts.is_empty() {
        bail!("no document of {} could be read", documents.display());
    }
    let mut failures = Vec::new();
    for record in read_dir(seeds)? {
        let name = format!(
            "{}/{} ({})",
            record.kind.name(),
            record.key,
            record.files.join(", ")
        );
        let sources = record.data.get("sources").and_then(Value::as_array);
        // A document is the evidence itself.
        let cited = record.kind == ResourceKind::Document;
        if !cited && sources.is_none_or(|sources| sources.is_empty()) {
            failures.push(format!("{name}: no sources"));
        }
        for source in sources.into_iter().flatten() {
            let document_id = source
                .get("document_id")
                .and_then(Value::as_str)
                .unwrap_or("");
            let Some((document, text)) = texts.get(document_id) else {
                failures.push(format!(
                    "{name}: cites {document_id}, which is none of the source documents"
                ));
                continue;
            };
            for part in ["quote", "context"] {
                let excerpt = source.get(part).and_then(Value::as_str).map(normalise);
                match excerpt {
                    None if part == "context" => {}
                    Some(excerpt) if !excerpt.is_empty() && text.contains(&excerpt) => {}
                    Some(excerpt) if !excerpt.is_empty() => failures.push(format!(
                        "{name}: {part} not found in {document}: \"{excerpt}\""
                    )),
                    _ => failures.push(format!("{name}: empty {part}")),
                }
            }
        }
        for figure in figures::missing_figures(record.kind.name(), &record.key, &record.data) {
            failures.push(format!("{name}: {figure}"));
        }
    }
    Ok(failures)
}
