use std::process::ExitCode;

use clap::Parser;
use intercity::cli::{Cli, Command};
use intercity::config::Settings;
use intercity::startup::{prepare_store, Application};
use intercity::{api, seed, store::Store, telemetry};

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
    }
    Ok(ExitCode::SUCCESS)
}
