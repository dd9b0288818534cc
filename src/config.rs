//! Configuration, from environment variables (or the matching command-line flags), with defaults that
//! run with no configuration at all. `.env.example` lists them.

use std::path::PathBuf;

#[derive(Clone, clap::Args)]
pub struct Settings {
    /// `sqlite://FILE?mode=rwc` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://intercity.db?mode=rwc",
        hide_env_values = true
    )]
    pub database_url: String,
    /// A read-only replica of the same database (`postgres://…`), which then serves lists, stats and
    /// their ETags; reads of one record, the change feed and every write stay on `DATABASE_URL`.
    #[arg(long, env = "DATABASE_READ_URL", hide_env_values = true)]
    pub database_read_url: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "INTERCITY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "INTERCITY_MAX_BODY_BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Largest import body, in bytes (imports stream, so this bounds time, not memory).
    #[arg(long, env = "INTERCITY_MAX_IMPORT_BYTES", default_value_t = 4 << 30)]
    pub max_import_bytes: u64,
    /// How long a response kept for an `Idempotency-Key` is replayed, in hours.
    #[arg(long, env = "INTERCITY_IDEMPOTENCY_TTL_HOURS", default_value_t = 24)]
    pub idempotency_ttl_hours: u64,
    /// Database connections per process.
    #[arg(long, env = "INTERCITY_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
    /// How long a request waits for a database connection before it is answered 503, in milliseconds.
    #[arg(long, env = "INTERCITY_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 3000)]
    pub db_acquire_timeout_ms: u64,
    /// How long an aggregate's ETag may miss a write made by another process (another instance, the
    /// CLI), in milliseconds; writes through this instance show at once. Until then polling an
    /// unchanged aggregate costs no database statement. 0: every aggregate request reads the change feed.
    #[arg(long, env = "INTERCITY_STATS_STALENESS_MS", default_value_t = 1000)]
    pub stats_staleness_ms: u64,
    /// How long an import may wait for the next part of its body before it is answered 408, in seconds.
    #[arg(long, env = "INTERCITY_BODY_READ_TIMEOUT_SECS", default_value_t = 30)]
    pub body_read_timeout_secs: u64,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "INTERCITY_WORKERS")]
    pub workers: Option<usize>,
    /// Folder of seed files loaded into an empty database on start.
    #[arg(long, env = "INTERCITY_SEED_DIR", default_value = "seeds")]
    pub seed_dir: PathBuf,
    /// Load the seeds when the database is empty at start.
    #[arg(long, env = "INTERCITY_AUTO_SEED", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_seed: bool,
    /// Whether reads need no key. With `false`, every read under `/v1` needs a key of any role
    /// (health checks and the documentation stay open).
    #[arg(long, env = "INTERCITY_PUBLIC_READ", default_value_t = true, action = clap::ArgAction::Set)]
    pub public_read: bool,
    /// Writes each key may make per minute, on each instance (0: no limit).
    #[arg(long, env = "INTERCITY_WRITE_RATE_PER_MINUTE", default_value_t = 600)]
    pub write_rate_per_minute: u32,
    /// Origins (`https://dashboard.example.org`, comma-separated, or `*`) whose browser pages may call
    /// the API. None by default.
    #[arg(long, env = "INTERCITY_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// `text` (default) or `json` log lines.
    #[arg(long, env = "INTERCITY_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
}

impl Settings {
    /// `stats_staleness_ms` as a duration.
    pub fn stats_staleness(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.stats_staleness_ms)
    }

    /// The defaults, as if no variable were set.
    pub fn defaults() -> Self {
        use clap::{Args, FromArgMatches};
        let command = Self::augment_args(clap::Command::new("intercity"));
        let matches = command
            .try_get_matches_from(["intercity"])
            .expect("defaults parse");
        Self::from_arg_matches(&matches).expect("defaults parse")
    }
}

/// Settings as logs may show them: the database password is masked.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "database_read_url",
                &self.database_read_url.as_deref().map(redact_url),
            )
            .field("bind", &self.bind)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("db_max_connections", &self.db_max_connections)
            .field("db_acquire_timeout_ms", &self.db_acquire_timeout_ms)
            .field("stats_staleness_ms", &self.stats_staleness_ms)
            .field("body_read_timeout_secs", &self.body_read_timeout_secs)
            .field("workers", &self.workers)
            .field("seed_dir", &self.seed_dir)
            .field("auto_seed", &self.auto_seed)
            .field("public_read", &self.public_read)
            .field("write_rate_per_minute", &self.write_rate_per_minute)
            .field("cors_origins", &self.cors_origins)
            .field("log_format", &self.log_format)
            .finish()
    }
}

/// The password of a `scheme://user:password@host/…` URL, if it has one.
pub fn url_password(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':').map(|(_, password)| password)
}

/// `url` without its password, and the password (percent-decoded), if it has one.
pub fn split_password(url: &str) -> (String, Option<String>) {
    match url_password(url) {
        Some(password) => (
            url.replacen(&format!(":{password}@"), "@", 1),
            Some(
                percent_encoding::percent_decode_str(password)
                    .decode_utf8_lossy()
                    .into_owned(),
            ),
        ),
        None => (url.to_owned(), None),
    }
}

/// `url` with its password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match url_password(url) {
        Some(password) if !password.is_empty() => {
            url.replacen(&format!(":{password}@"), ":***@", 1)
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        let url = "postgres://intercity:s3cret@db:5432/intercity?sslmode=disable";
        assert_eq!(url_password(url), Some("s3cret"));
        assert_eq!(
            redact_url(url),
            "postgres://intercity:***@db:5432/intercity?sslmode=disable"
        );
        assert_eq!(
            redact_url("sqlite://intercity.db?mode=rwc"),
            "sqlite://intercity.db?mode=rwc"
        );
        assert_eq!(url_password("postgres://intercity@db/intercity"), None);
        assert_eq!(
            split_password("postgres://intercity:s%40cret@db/intercity"),
            (
                "postgres://intercity@db/intercity".into(),
                Some("s@cret".into())
            )
        );
        let settings = Settings {
            database_url: url.into(),
            ..Settings::defaults()
        };
        assert!(!format!("{settings:?}").contains("s3cret"));
    }
}
