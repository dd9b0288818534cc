//! SeaORM entities: one table per resource, plus the index tables the store maintains beside them
//! (`refs`, `external_ids`, `project_sectors`), the change feed (`changes`) and the API keys (`api_keys`).
//!
//! Every resource table shares the columns `id`, `version`, `created_at`, `updated_at`, `external_ids`,
//! `sources` and `notes`. List-valued fields are JSON columns; the store mirrors the ones that are
//! queried (references, external ids, sectors) into the index tables in the same transaction.

pub mod agreement;
pub mod api_key;
pub mod change;
pub mod city;
pub mod document;
pub mod exchange;
pub mod external_id;
pub mod funding;
pub mod indicator;
pub mod network;
pub mod organization;
pub mod partnership;
pub mod project;
pub mod project_sector;
pub mod reference;
