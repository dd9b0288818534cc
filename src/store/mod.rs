//! The only code that talks to the database. Every write runs in one transaction together with its
//! change-feed entry; errors here know nothing of HTTP.

mod crud;
mod cursor;
mod keys;
mod resources;
mod stats;
mod transfer;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::domain::{FieldError, ResourceKind};

pub(crate) use crud::put_in;
pub use crud::{ListPage, ListRequest, Precondition, WriteOutcome};
pub use keys::{KeyCheck, KeyRef};
pub(crate) use resources::with_resource;
pub use resources::Resource;
pub use resources::{
    Agreements, Cities, Exchanges, Fundings, Indicators, Organizations, Partnerships, Projects,
};
pub use stats::{Headline, Table};
pub use transfer::{
    check_same_request, ExportItem, IdempotencyKey, Idempotent, ImportRefused, Importer,
    StoredResponse,
};

/// Why a store operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(ResourceKind),
    /// The caller's `If-Match` version is not the record's.
    #[error("the record is at version {current:?}, not the expected {expected}")]
    VersionMismatch { expected: i32, current: Option<i32> },
    /// The body is readable but breaks rules (missing references, impossible combinations).
    #[error("invalid: {}", describe(.0))]
    Invalid(Vec<FieldError>),
    /// Another record already holds one of these external ids.
    #[error("conflict: {}", describe(.0))]
    Conflict(Vec<FieldError>),
    /// Other records still reference this one.
    #[error("the record is referenced by others")]
    Referenced(Vec<Referrer>),
    /// No API key has this id or name.
    #[error("no API key has the {0}")]
    NoSuchKey(String),
    /// A list parameter (sort, cursor) that cannot be used.
    #[error("bad parameter {0:?}")]
    BadParameter(FieldError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

fn describe(errors: &[FieldError]) -> String {
    let errors: Vec<String> = errors
        .iter()
        .map(|error| format!("{} {}", error.field, error.message))
        .collect();
    errors.join("; ")
}

/// A record that references another one, as a 409 on delete lists it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Referrer {
    pub resource: ResourceKind,
    pub id: Uuid,
    /// The field that holds the reference.
    #[schema(example = "city_ids")]
    pub field: String,
}

/// A handle on the database, cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// SQLite allows one writer at a time; writers queue here instead of failing with "database is locked".
    write_lock: Option<Arc<Mutex<()>>>,
}

impl Store {
    /// Connects to `url` (`sqlite://file.db?mode=rwc` or `postgres://…`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbErr> {
        // SeaORM records its connect options, the URL among them, in a trace span: the password goes
        // to the driver on its own, so that no log level can show it.
        let (url, password) = crate::config::split_password(url);
        let mut options = ConnectOptions::new(url);
        if let Some(password) = password {
            options.map_sqlx_postgres_opts(move |opts| opts.password(&password));
        }
        options
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(30))
                    .foreign_keys(false)
            });
        let db = Database::connect(options).await?;
        let write_lock =
            (db.get_database_backend() == DbBackend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Self { db, write_lock })
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        use migration::MigratorTrait;
        migration::Migrator::up(&self.db, None).await
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.ping().await
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.db.close().await
    }

    async fn lock_writes(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_lock {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }

    /// Whether a resource table holds no record at all.
    pub async fn is_empty(&self) -> Result<bool, DbErr> {
        for kind in ResourceKind::ALL {
            let stmt = sea_orm::sea_query::Query::select()
                .expr(sea_orm::sea_query::Expr::val(1))
                .from(kind.collection())
                .limit(1)
                .to_owned();
            if self.db.query_one(&stmt).await?.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
