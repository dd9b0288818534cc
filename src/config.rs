//! Configuration, from environment variables (or the matching command-line flags), with defaults that
//! run with no configuration at all. `.env.example` lists them.

use std::path::PathBuf;

#[derive(Clone, Debug, clap::Args)]
pub struct Settings {
    /// `sqlite://FILE?mode=rwc` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://intercity.db?mode=rwc",
        hide_env_values = true
    )]
    pub database_url: String,
    /// Address to listen on.
    #[arg(long, env = "INTERCITY_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "INTERCITY_MAX_BODY_BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Database connections per process.
    #[arg(long, env = "INTERCITY_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
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
