//! What a database error means for the client: a lost race to retry, a database that cannot be reached
//! or written, or a bug. Both engines' codes are read here and nowhere else.

use sea_orm::{sqlx, DbErr, RuntimeErr};

/// The kind of failure behind a `DbErr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Lost a race with another transaction (deadlock, serialization failure, SQLite busy): the same
    /// work may succeed if tried again.
    Contention,
    /// The database cannot be reached: refused or dropped connections, pool timeouts, shutdown.
    Unavailable,
    /// The disk (or the database's quota) is full.
    StorageFull,
    /// The database accepts reads but not writes (a read-only file, a standby).
    ReadOnly,
    /// A unique index refused a second row with the same key.
    Unique,
    /// A foreign key refused a reference to a missing row, or the delete of a referenced one.
    ForeignKey,
    /// Anything else: a bug or a corrupt database.
    Other,
}

/// Classifies a database error by its engine's code.
pub fn classify(error: &DbErr) -> Fault {
    let sqlx_error = match error {
        DbErr::ConnectionAcquire(_) => return Fault::Unavailable,
        DbErr::Conn(RuntimeErr::SqlxError(error))
        | DbErr::Exec(RuntimeErr::SqlxError(error))
        | DbErr::Query(RuntimeErr::SqlxError(error)) => error,
        DbErr::Conn(_) => return Fault::Unavailable,
        _ => return Fault::Other,
    };
    match &**sqlx_error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => Fault::Unavailable,
        sqlx::Error::Database(database) => {
            let code = database.code().unwrap_or_default();
            if database
                .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                .is_some()
            {
                sqlite_fault(code.parse().unwrap_or(0))
            } else {
                postgres_fault(&code)
            }
        }
        _ => Fault::Other,
    }
}

/// SQLite result codes (<https://sqlite.org/rescode.html>); the low byte is the primary code.
fn sqlite_fault(code: i32) -> Fault {
    const UNIQUE: i32 = 2067;
    const PRIMARY_KEY: i32 = 1555;
    const FOREIGN_KEY: i32 = 787;
    match code {
        UNIQUE | PRIMARY_KEY => return Fault::Unique,
        FOREIGN_KEY => return Fault::ForeignKey,
        _ => {}
    }
    match code & 0xff {
        5 | 6 => Fault::Contention,         // BUSY, LOCKED
        8 => Fault::ReadOnly,               // READONLY
        13 => Fault::StorageFull,           // FULL
        10 | 14 | 26 => Fault::Unavailable, // IOERR, CANTOPEN, NOTADB
        _ => Fault::Other,
    }
}

/// PostgreSQL SQLSTATEs (<https://www.postgresql.org/docs/current/errcodes-appendix.html>).
fn postgres_fault(code: &str) -> Fault {
    match code {
        "40001" | "40P01" | "55P03" => Fault::Contention,
        "23505" => Fault::Unique,
        "23503" => Fault::ForeignKey,
        "53100" => Fault::StorageFull,
        "25006" => Fault::ReadOnly,
        // Connection exceptions, too many connections, shutdown, starting up.
        _ if code.starts_with("08") => Fault::Unavailable,
        "53300" | "57P01" | "57P02" | "57P03" => Fault::Unavailable,
        _ => Fault::Other,
    }
}
