//! Building the application: database, migrations, first-start seeding, and the HTTP server.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{from_fn, Condition};
use actix_web::{web, App, HttpResponse, HttpServer};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::api::auth::{self, Access, WriteLimiter};
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
    let acquire_timeout = std::time::Duration::from_millis(settings.db_acquire_timeout_ms);
    let mut store = Store::open(
        &settings.database_url,
        settings.db_max_connections,
        acquire_timeout,
    )
    .await?
    .with_stats_staleness(settings.stats_staleness());
    store.migrate().await?;
    if let Some(url) = &settings.database_read_url {
        store = store
            .with_read_replica(url, settings.db_max_connections, acquire_timeout)
            .await?;
    }
    if let Err(error) = store.readiness(std::time::Duration::from_secs(5)).await {
        tracing::warn!(%error, "the database takes no writes: every write will be answered 503 until it does");
    }
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
        if !store.has_admin_key().await? {
            tracing::warn!(
                "no admin API key exists yet: make the first with \
                 `intercity keys create --role admin --name admin`, which prints its token once; \
                 writes need a key (editor or admin)"
            );
        }
        Self::with_store(store, settings)
    }

    /// Serves `store` on `settings.bind` (port 0 picks a free port).
    pub fn with_store(store: Store, settings: &Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let store = web::Data::new(store);
        let body_limit = BodyLimit(settings.max_body_bytes);
        let shared_settings = web::Data::new(settings.clone());
        let access = Access {
            public_read: settings.public_read,
        };
        // One limiter for all workers, so a key's budget is per process rather than per thread.
        let limiter = web::Data::new(WriteLimiter::new(settings.write_rate_per_minute));
        let stats_cache = web::Data::new(api::StatsCache::new(settings.db_max_connections));
        // The document is built once: each worker serves these bytes rather than holding its own copy.
        let document = api::openapi();
        let known_paths = web::Data::new(api::KnownPaths::of(&document));
        let document_json = web::Bytes::from(api::to_json(&document));
        drop(document);
        let origins = cors_origins(&settings.cors_origins)?;
        let mut server = HttpServer::new(move || {
            // The last `wrap` runs first: HEAD as GET, request ids, then CORS (so refusals carry its headers
            // too), then keys.
            let cors = Condition::new(origins.is_some(), cors(origins.as_deref().unwrap_or(&[])));
            App::new()
                .into_utoipa_app()
                .openapi(api::openapi_base())
                .map(|app| {
                    app.wrap(from_fn(auth::authenticate))
                        .wrap(cors)
                        .wrap(from_fn(telemetry::request_id))
                        .wrap(from_fn(api::head_as_get))
                })
                .app_data(store.clone())
                .app_data(body_limit)
                .app_data(shared_settings.clone())
                .app_data(access)
                .app_data(limiter.clone())
                .app_data(stats_cache.clone())
                .app_data(known_paths.clone())
                .configure(api::routes)
                .into_app()
                .route("/openapi.json", {
                    let document_json = document_json.clone();
                    web::get().to(move || {
                        let body = document_json.clone();
                        async move {
                            HttpResponse::Ok()
                                .content_type("application/json")
                                .body(body)
                        }
                    })
                })
                .service(SwaggerUi::new("/docs/{_:.*}").config(Config::from("/openapi.json")))
                .service(web::redirect("/docs", "/docs/"))
                .default_service(web::to(api::not_found))
        });
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        tokio::spawn(return_free_memory());
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

/// The origins CORS opens the API to: None (closed) if there are none, an empty list for any origin (`*`).
fn cors_origins(origins: &[String]) -> anyhow::Result<Option<Vec<String>>> {
    let origins: Vec<String> = origins
        .iter()
        .map(|origin| origin.trim().trim_end_matches('/').to_owned())
        .filter(|origin| !origin.is_empty())
        .collect();
    if origins.is_empty() {
        return Ok(None);
    }
    if origins.iter().any(|origin| origin == "*") {
        return Ok(Some(Vec::new()));
    }
    for origin in &origins {
        let uri: actix_web::http::Uri = origin.parse().map_err(|_| {
            anyhow::anyhow!("INTERCITY_CORS_ORIGINS: `{origin}` is not an origin such as https://dashboard.example.org")
        })?;
        if uri.scheme().is_none() || uri.authority().is_none() || !matches!(uri.path(), "" | "/") {
            anyhow::bail!(
                "INTERCITY_CORS_ORIGINS: `{origin}` is not an origin (scheme://host[:port]) such as https://dashboard.example.org"
            );
        }
    }
    Ok(Some(origins))
}

/// CORS for browser dashboards on `origins` (any origin if empty): they may send keys and conditional
/// headers, and read the headers the API answers with.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::ACCEPT,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            telemetry::REQUEST_ID,
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::LINK,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
            telemetry::REQUEST_ID,
        ])
        .max_age(3600);
    if origins.is_empty() {
        cors = cors.allow_any_origin().send_wildcard();
    }
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Hands memory that is free but still held by the allocator back to the system: two seconds after
/// start (the workers have built their apps by then), then every half minute. glibc keeps what each
/// thread freed in that thread's arena: the workers' start-up alone leaves about 80 MiB behind, and
/// every burst of load more.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
async fn return_free_memory() {
    let mut wait = std::time::Duration::from_secs(2);
    loop {
        tokio::time::sleep(wait).await;
        // SAFETY: malloc_trim only releases free memory; any thread may call it at any time.
        unsafe {
            libc::malloc_trim(0);
        }
        wait = std::time::Duration::from_secs(30);
    }
}
