//! Building the application: database, migrations, first-start seeding, and the HTTP server.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::{self, BodyLimit};
use crate::config::Settings;
use crate::seed;
use crate::store::Store;
use crate::telemetry;

pub struct Application {
    server: Server,
    port: u16,
}

/// Connects, migrates and, on an empty database, loads the seeds.
pub async fn prepare_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(&settings.database_url, settings.db_max_connections).await?;
    store.migrate().await?;
    if settings.auto_seed && store.is_empty().await? {
        if settings.seed_dir.is_dir() {
            let report = seed::load_dir(&store, &settings.seed_dir).await?;
            tracing::info!(records = report.written, dir = %settings.seed_dir.display(), "empty database seeded");
        } else {
            tracing::info!(dir = %settings.seed_dir.display(), "no seed folder; starting empty");
        }
    }
    Ok(store)
}

impl Application {
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let store = prepare_store(settings).await?;
        Self::with_store(store, settings)
    }

    /// Serves `store` on `settings.bind` (port 0 picks a free port).
    pub fn with_store(store: Store, settings: &Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let store = web::Data::new(store);
        let body_limit = BodyLimit(settings.max_body_bytes);
        let shared_settings = web::Data::new(settings.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .into_utoipa_app()
                .openapi(api::openapi_base())
                .map(|app| app.wrap(from_fn(telemetry::request_id)))
                .app_data(store.clone())
                .app_data(body_limit)
                .app_data(shared_settings.clone())
                .configure(api::routes)
                .openapi_service(|document| {
                    SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", document)
                })
                .into_app()
                .service(web::redirect("/docs", "/docs/"))
                .default_service(web::to(api::not_found))
        });
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(port, "listening");
        Ok(Self { server, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
