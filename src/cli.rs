//! The command line: `intercity [serve|migrate|seed|openapi]`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "intercity",
    version,
    about = "Records city-to-city cooperation over a REST/JSON API"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, seed an empty database, and serve the API (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Load the seed records the database lacks (existing records are left as they are).
    Seed {
        /// Only check every seed quote against the documents in this folder; load nothing.
        #[arg(long, value_name = "DIR")]
        verify_sources: Option<PathBuf>,
    },
    /// Print the OpenAPI document.
    Openapi,
}
