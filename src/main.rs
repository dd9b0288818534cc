use std::process::ExitCode;

use clap::Parser;
use intercity::cli::{Cli, Command, KeysCommand};
use intercity::config::Settings;
use intercity::startup::{prepare_store, Application};
use intercity::store::{KeyRef, Store};
use intercity::{api, seed, telemetry};

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
                eprintln!("{} quote(s) not found", failures.len());
                return Ok(ExitCode::FAILURE);
            }
            let records = seed::read_dir(&settings.seed_dir)?.len();
            println!("every quote of {records} seed records is in its document");
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
        Command::Keys { command } => {
            let store = Store::connect(&settings.database_url, 1).await?;
            store.migrate().await?;
            keys(&store, command).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
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
