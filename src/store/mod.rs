//! The only code that talks to the database. Every write runs in one transaction together with its
//! change-feed entry; errors here know nothing of HTTP.

mod crud;
mod cursor;
mod fault;
mod import;
mod keys;
mod resources;
mod stats;
mod transfer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::domain::{FieldError, ResourceKind};

pub(crate) use crud::put_in;
pub use crud::{sort_key_names, ListPage, ListRequest, Precondition, WriteOutcome};
use fault::classify;
pub use fault::Fault;
pub use import::{ImportRefused, Importer};
pub use keys::{KeyCheck, KeyRef};
pub use resources::*;
pub(crate) use resources::{dispatch_resource, with_resource};
pub use stats::{Headline, Table};
pub use transfer::{check_same_request, IdempotencyKey, Idempotent, StoredResponse};

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
    /// The database cannot do this now (busy, unreachable, full or read-only); nothing was written.
    #[error("the database is unavailable ({0:?}): {1}")]
    Unavailable(Fault, DbErr),
    /// A bug or a corrupt database.
    #[error(transparent)]
    Database(DbErr),
}

impl From<DbErr> for StoreError {
    fn from(error: DbErr) -> Self {
        match classify(&error) {
            fault @ (Fault::Contention
            | Fault::Unavailable
            | Fault::StorageFull
            | Fault::ReadOnly) => Self::Unavailable(fault, error),
            // Reached only where a write did not expect the index to refuse it.
            Fault::Unique => Self::Conflict(vec![FieldError::new(
                "",
                "conflicts with a record written at the same time; read it again and retry",
            )]),
            Fault::ForeignKey => Self::Invalid(vec![FieldError::new(
                "",
                "references a record that does not exist (or was deleted meanwhile)",
            )]),
            Fault::Other => Self::Database(error),
        }
    }
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

/// How often a write that lost a race with another transaction is tried in all.
const WRITE_ATTEMPTS: u32 = 5;
/// The PostgreSQL advisory lock that every instance's writers take first, so they take turns.
const WRITERS_LOCK: i64 = 7301240;
/// How long a request waits for a pooled connection unless configured otherwise.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long an aggregate's version may miss another process's write unless configured otherwise.
pub const DEFAULT_STATS_STALENESS: Duration = Duration::from_secs(1);

/// A handle on the database, cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Where lists and aggregates are read: a replica when one is configured, else `db`.
    read: DatabaseConnection,
    /// Statements sent to the database since the store was opened.
    statements: Arc<AtomicU64>,
    /// Writers take turns, queueing here before they take a connection: SQLite allows one writer at a
    /// time, and on PostgreSQL this keeps waiting writers from holding connections that reads need.
    write_lock: Arc<Mutex<()>>,
    /// The change feed's head as last read, which versions aggregates.
    feed_head: Arc<stats::FeedHead>,
}

impl Store {
    /// Connects to `url` (`sqlite://file.db?mode=rwc` or `postgres://…`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbErr> {
        Self::open(url, max_connections, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// `connect`, with how long a request may wait for a pooled connection before it is answered 503.
    pub async fn open(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Result<Self, DbErr> {
        let statements = Arc::new(AtomicU64::new(0));
        let db = pool(url, max_connections, acquire_timeout, &statements).await?;
        Ok(Self {
            read: db.clone(),
            db,
            statements,
            write_lock: Arc::new(Mutex::new(())),
            feed_head: Arc::new(stats::FeedHead::new(DEFAULT_STATS_STALENESS)),
        })
    }

    /// How long an aggregate's version may miss a write made by another process (another instance, the
    /// CLI); a write through this store shows at once.
    pub fn with_stats_staleness(self, staleness: Duration) -> Self {
        Self {
            feed_head: Arc::new(stats::FeedHead::new(staleness)),
            ..self
        }
    }

    /// Reads lists, aggregates and their ETags from `url`, a read-only replica of this database.
    pub async fn with_read_replica(
        self,
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Result<Self, DbErr> {
        let read = pool(url, max_connections, acquire_timeout, &self.statements).await?;
        Ok(Self { read, ..self })
    }

    /// Where lists and aggregates are read.
    pub(crate) fn reader(&self) -> &DatabaseConnection {
        &self.read
    }

    /// How many statements the store has sent to the database: what a request costs in round trips.
    pub fn statements_sent(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Applies every pending migration, then builds the search index if the folding it was made with
    /// is not the current one.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        use migration::MigratorTrait;
        migration::Migrator::up(&self.db, None).await?;
        self.ensure_search_index().await
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.ping().await
    }

    /// Whether the database answers and takes writes, within `within`. The write is a transaction that
    /// deletes nothing and rolls back; it is skipped while another write holds the writers' turn (that
    /// write shows the database takes writes).
    pub async fn readiness(&self, within: Duration) -> Result<(), StoreError> {
        let check = async {
            self.db.ping().await?;
            if let Ok(_turn) = self.write_lock.try_lock() {
                // A plain transaction: the probe must not wait for another instance's writers.
                let txn = self.db.begin().await?;
                txn.execute_unprepared("DELETE FROM idempotency_keys WHERE 1 = 0")
                    .await?;
                txn.rollback().await?;
            }
            Ok(())
        };
        match tokio::time::timeout(within, check).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Unavailable(
                Fault::Unavailable,
                DbErr::Custom(format!("no answer within {} ms", within.as_millis())),
            )),
        }
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.db.close().await
    }

    async fn lock_writes(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.write_lock.lock().await
    }

    /// Runs `work` in one write transaction, committed if it succeeds and rolled back if not. Writers
    /// take turns (see `begin_write`), and a transaction that loses a race with another one (a
    /// deadlock, a serialization failure, SQLite busy) is tried again a few times before the caller is
    /// told the database is busy.
    pub(crate) async fn write<T>(
        &self,
        work: impl AsyncFn(&DatabaseTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _guard = self.lock_writes().await;
        let mut attempt = 1;
        loop {
            let result = async {
                let txn = begin_write(&self.db).await?;
                match work(&txn).await {
                    Ok(value) => {
                        txn.commit().await?;
                        self.feed_head.written();
                        Ok(value)
                    }
                    Err(error) => {
                        // A failed rollback leaves the connection in doubt; the pool then drops it.
                        if let Err(rollback) = txn.rollback().await {
                            tracing::warn!(error = %rollback, "rollback failed");
                        }
                        Err(error)
                    }
                }
            }
            .await;
            match result {
                Err(StoreError::Unavailable(Fault::Contention, error))
                    if attempt < WRITE_ATTEMPTS =>
                {
                    tracing::debug!(attempt, %error, "write lost a race; trying again");
                    tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
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

/// Starts a write transaction. Every writer takes the same lock before it touches a row, so writers
/// cannot deadlock one another and checks that span rows (no parent cycle, unique external ids) see
/// every earlier write: SQLite's `BEGIN IMMEDIATE`, and on PostgreSQL an advisory lock that every
/// instance shares. It also numbers the change feed without gaps.
/// A connection pool to `url`, counting its statements in `statements`.
async fn pool(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    statements: &Arc<AtomicU64>,
) -> Result<DatabaseConnection, DbErr> {
    // SeaORM records its connect options, the URL among them, in a trace span: the password goes
    // to the driver on its own, so that no log level can show it.
    let (url, password) = crate::config::split_password(url);
    let mut options = ConnectOptions::new(url);
    if let Some(password) = password {
        options.map_sqlx_postgres_opts(move |opts| opts.password(&password));
    }
    options
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .connect_timeout(acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        })
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_release(|connection, _| Box::pin(pool_hygiene::sqlite(connection)))
        })
        .map_sqlx_postgres_pool_opts(|pool| {
            pool.after_release(|connection, _| Box::pin(pool_hygiene::postgres(connection)))
        });
    let mut db = Database::connect(options).await?;
    let counter = Arc::clone(statements);
    db.set_metric_callback(move |info| {
        counter.fetch_add(1, Ordering::Relaxed);
        // `RUST_LOG=intercity::sql=trace` logs each statement with its values, as the database ran it
        // (the benchmark replays aggregates from it).
        tracing::trace!(target: "intercity::sql", elapsed_us = info.elapsed.as_micros() as u64, "{}", info.statement);
    });
    Ok(db)
}

pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({WRITERS_LOCK})"))
            .await?;
    }
    Ok(txn)
}

/// Checks on a connection as it returns to the pool: one still inside a transaction (a COMMIT or
/// ROLLBACK that failed, as on a full disk) is closed rather than handed to the next request, where
/// its writes would be acknowledged and then lost.
mod pool_hygiene {
    use sea_orm::sqlx::{self, Connection, Executor};

    pub async fn sqlite(connection: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
        if connection.is_in_transaction() {
            return Ok(false);
        }
        // The driver's count can disagree with the engine's; a ROLLBACK that succeeds proves the
        // engine was still inside a transaction.
        Ok(connection.execute("ROLLBACK").await.is_err())
    }

    pub async fn postgres(connection: &mut sqlx::PgConnection) -> Result<bool, sqlx::Error> {
        Ok(!connection.is_in_transaction())
    }
}
