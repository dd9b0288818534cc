//! The command line: `intercity [serve|migrate|seed|openapi|keys]`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::domain::{KeyName, Lifetime, Role};

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
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a key and print its token, once: only its hash is kept.
    Create {
        /// reader, editor (writes data) or admin (also manages keys).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A unique name; the change feed records it as the actor of each write made with the key.
        #[arg(long, value_parser = parse_name)]
        name: KeyName,
        /// How long the key lasts, such as `90d` or `12h`; it never expires without this.
        #[arg(long, value_parser = parse_lifetime)]
        expires: Option<Lifetime>,
    },
    /// Show every key: name, role, prefix, status, when it was made, last used and expires. Never tokens.
    List,
    /// Revoke a key: every request with it fails from now on.
    Revoke {
        /// The key's name or id.
        #[arg(value_name = "NAME-or-ID")]
        key: String,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

fn parse_name(text: &str) -> Result<KeyName, String> {
    KeyName::try_from(text.to_owned())
}

fn parse_lifetime(text: &str) -> Result<Lifetime, String> {
    text.parse()
}
