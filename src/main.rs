use std::io::{BufRead, Seek, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use intercity::domain::{Format, ResourceKind};

use clap::Parser;
use intercity::cli::{Cli, Command, KeysCommand};
use intercity::config::Settings;
use intercity::startup::{prepare_store, Application};
use intercity::store::{KeyRef, Store};
use intercity::{api, generate, seed, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.settings.log_format == "json");
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let application = Application::build(&settings).await?;
            println!(
                "Intercity is serving on http://{} (API docs at /docs)",
                settings.bind
            );
            application.run_until_stopped().await?;
        }
        Command::Migrate => {
            let store = Store::connect(&settings.database_url, 1).await?;
            store.migrate().await?;
            println!("migrations applied");
        }
        Command::Seed {
            verify_sources: Some(documents),
        } => {
            let failures = seed::verify_sources(&settings.seed_dir, &documents)?;
            if !failures.is_empty() {
                for failure in &failures {
                    eprintln!("{failure}");
                }
                eprintln!("{} citation problem(s)", failures.len());
                return Ok(ExitCode::FAILURE);
            }
            let records = seed::read_dir(&settings.seed_dir)?.len();
            println!("every quote of {records} seed records is in its document, and every figure in its quotes");
        }
        Command::Seed {
            verify_sources: None,
        } => {
            let store = prepare_store(&Settings {
                auto_seed: false,
                ..settings.clone()
            })
            .await?;
            let report = seed::load_dir(&store, &settings.seed_dir).await?;
            println!(
                "{} seed records, {} created, {} already present",
                report.records,
                report.written,
                report.records - report.written
            );
        }
        Command::Openapi => print!("{}", api::openapi_json()),
        Command::Generate { scale } => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for line in generate::lines(scale) {
                writeln!(out, "{line}")?;
            }
        }
        Command::Import { file } => {
            let store = Store::connect(&settings.database_url, 1).await?;
            store.migrate().await?;
            return import(&store, &file).await;
        }
        Command::Export { resource, format } => {
            if format == Format::Csv && resource.is_none() {
                anyhow::bail!("--format csv needs --resource: CSV holds one resource");
            }
            let store = Store::connect(&settings.database_url, 2).await?;
            store.migrate().await?;
            export(&store, resource, format).await?;
        }
        Command::Keys { command } => {
            let store = Store::connect(&settings.database_url, 1).await?;
            store.migrate().await?;
            keys(&store, command).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `intercity import FILE`: one transaction, with a progress bar on standard error.
async fn import(store: &Store, file: &Path) -> anyhow::Result<ExitCode> {
    let (reader, size): (Box<dyn BufRead>, Option<u64>) = if file == Path::new("-") {
        // Standard input is read whole first, so that a slow pipe holds no writer's turn.
        let mut spooled = tempfile::tempfile().context("cannot make a temporary file")?;
        let size = std::io::copy(&mut std::io::stdin().lock(), &mut spooled)?;
        spooled.rewind()?;
        (Box::new(std::io::BufReader::new(spooled)), Some(size))
    } else {
        let opened =
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        let size = opened.metadata().ok().map(|m| m.len());
        (Box::new(std::io::BufReader::new(opened)), size)
    };
    let progress = match size {
        Some(size) => ProgressBar::new(size).with_style(ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta} {msg}",
        )?),
        None => ProgressBar::new_spinner(),
    };
    let mut importer = store.begin_import(Some("cli")).await?;
    for (index, line) in reader.split(b'\n').enumerate() {
        let line = line?;
        progress.inc(line.len() as u64 + 1);
        let text = line.trim_ascii();
        if !text.is_empty() {
            importer.apply(index as u64 + 1, text).await?;
        }
        if index % 1000 == 0 {
            progress.set_message(format!("{} lines", index));
        }
    }
    progress.finish_and_clear();
    match importer.finish().await? {
        Ok(report) => {
            println!("{}", serde_json::to_string(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(refused) => {
            for error in &refused.errors {
                eprintln!("line {}: {}: {}", error.line, error.field, error.message);
            }
            eprintln!(
                "{} of {} lines refused; nothing was written",
                refused.refused, refused.lines
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `intercity export`: the same lines (or CSV) as `GET /v1/export`.
async fn export(
    store: &Store,
    resource: Option<ResourceKind>,
    format: Format,
) -> anyhow::Result<()> {
    let mut receiver = store.export(resource, format).await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    while let Some(chunk) = receiver.recv().await {
        out.write_all(&chunk?)?;
    }
    out.flush()?;
    Ok(())
}

fn time(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or_else(|| "-".into(), |at| at.format("%Y-%m-%d %H:%M").to_string())
}

/// `intercity keys …`. A new token goes alone to stdout (so `TOKEN=$(intercity keys create …)` works);
/// what it is goes to stderr.
async fn keys(store: &Store, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create {
            role,
            name,
            expires,
        } => {
            let expires_at = expires.map(|lifetime| lifetime.expiry(chrono::Utc::now()));
            let created = store.create_key(&name, role, expires_at).await?;
            let key = &created.key;
            eprintln!(
                "Created the {role} key `{}` ({}), {}. Its token follows, shown this once; \
                 send it as `Authorization: Bearer <token>`:",
                key.name,
                key.prefix,
                match key.expires_at {
                    Some(at) => format!("expiring {}", at.format("%Y-%m-%d %H:%M UTC")),
                    None => "never expiring".into(),
                }
            );
            println!("{}", created.token);
        }
        KeysCommand::List => {
            let now = chrono::Utc::now();
            println!(
                "{:<24} {:<7} {:<16} {:<8} {:<17} {:<17} {:<17} ID",
                "NAME", "ROLE", "PREFIX", "STATUS", "CREATED (UTC)", "LAST USED", "EXPIRES"
            );
            for key in store.list_keys().await? {
                println!(
                    "{:<24} {:<7} {:<16} {:<8} {:<17} {:<17} {:<17} {}",
                    key.name,
                    key.role,
                    key.prefix,
                    key.status(now),
                    time(Some(key.created_at)),
                    time(key.last_used_at),
                    time(key.expires_at),
                    key.id
                );
            }
        }
        KeysCommand::Revoke { key } => {
            let key = store.revoke_key(&KeyRef::parse(&key)).await?;
            println!(
                "The key `{}` ({}) is revoked since {} UTC.",
                key.name,
                key.prefix,
                time(key.revoked_at)
            );
        }
    }
    Ok(())
}
