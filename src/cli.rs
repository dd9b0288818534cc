//! The command line: `intercity [serve|migrate|seed|keys|import|export|generate|openapi]`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::domain::{Format, KeyName, Lifetime, ResourceKind, Role};

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
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Apply an NDJSON file of `{resource, op, data}` lines in one transaction (all or nothing).
    Import {
        /// The file, or `-` for standard input.
        file: PathBuf,
    },
    /// Write every record as NDJSON import lines (or one resource as CSV) to standard output.
    Export {
        /// Only this resource (required with `--format csv`).
        #[arg(long, value_parser = parse_resource)]
        resource: Option<ResourceKind>,
        #[arg(long, value_parser = parse_format, default_value = "json")]
        format: Format,
    },
    /// Print deterministic synthetic data as NDJSON import lines: `scale` records of each resource.
    Generate {
        #[arg(long, default_value_t = 100)]
        scale: u64,
    },
    /// Print the OpenAPI document.
    Openapi,
}

fn parse_resource(name: &str) -> Result<ResourceKind, String> {
    ResourceKind::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = ResourceKind::ALL.iter().map(|kind| kind.name()).collect();
        format!("use one of {}", names.join(", "))
    })
}

fn parse_format(name: &str) -> Result<Format, String> {
    match name {
        "json" | "ndjson" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        _ => Err("use json or csv".into()),
    }
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
