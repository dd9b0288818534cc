//! Spawns the real application per test, each on its own database: a copy of a migrated SQLite file, or a
//! PostgreSQL database created from a migrated template (`TEST_DATABASE_URL` names the server). Each app
//! has a reader, an editor and an admin key; writes send the editor key unless a test says otherwise.

use std::path::PathBuf;

use awc::http::{header, Method, StatusCode};
use intercity::config::Settings;
use intercity::domain::{KeyName, Role};
use intercity::startup::Application;
use intercity::store::Store;
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use tokio::sync::OnceCell;

#[derive(Clone, Copy, Debug)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub engine: Engine,
    pub base: String,
    pub client: awc::Client,
    pub store: Store,
    /// The database the app serves (on PostgreSQL, without a password: the test server trusts).
    pub database_url: String,
    /// Tokens of keys named `reader`, `editor` and `admin`, with those roles.
    pub reader_token: String,
    pub editor_token: String,
    pub admin_token: String,
    _database: Option<Scratch>,
}

/// Where a test's database lives, removed when this is dropped: the SQLite file's folder, or the
/// PostgreSQL database (dropped over a connection of its own, since `Drop` cannot await).
pub enum Scratch {
    Folder { _dir: tempfile::TempDir },
    Postgres { admin_url: String, name: String },
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let Scratch::Postgres { admin_url, name } = self else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                admin.close().await
            })
        });
        // A database left behind is dropped by the next run (see `postgres_template`).
        let _ = dropped.join();
    }
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: awc::http::header::HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The `field`s of a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Asserts a problem+json with this status whose errors name `field` (any, if `field` is empty).
    #[track_caller]
    pub fn assert_problem(&self, status: u16, field: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        assert_eq!(self.body["status"], status);
        assert!(
            field.is_empty() || self.error_fields().iter().any(|f| f == field),
            "expected an error on {field}, got {}",
            self.body
        );
    }
}

static SQLITE_TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();
static POSTGRES_TEMPLATE: OnceCell<String> = OnceCell::const_new();

fn settings() -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        workers: Some(2),
        auto_seed: false,
        db_max_connections: 5,
        ..Settings::defaults()
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) = base
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL names a database");
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

async fn sqlite_template() -> PathBuf {
    SQLITE_TEMPLATE
        .get_or_init(|| async {
            let dir = tempfile::tempdir().unwrap().keep();
            let path = dir.join("template.db");
            let store = Store::connect(&format!("sqlite://{}?mode=rwc", path.display()), 1)
                .await
                .unwrap();
            store.migrate().await.unwrap();
            store.close().await.unwrap();
            path
        })
        .await
        .clone()
}

async fn postgres_template(admin_url: &str) -> String {
    POSTGRES_TEMPLATE
        .get_or_init(|| async {
            let admin = Database::connect(admin_url)
                .await
                .expect("TEST_DATABASE_URL reachable");
            let prefix = format!("intercity_test_{}", std::process::id());
            // Databases of finished runs are dropped here, since a test cannot drop its own on exit.
            let stale = admin
                .query_all_raw(sea_orm::Statement::from_string(
                    admin.get_database_backend(),
                    "SELECT datname FROM pg_database WHERE datname LIKE 'intercity_test_%'",
                ))
                .await
                .unwrap();
            for row in stale {
                let name: String = row.try_get("", "datname").unwrap();
                // Another test run still going owns its databases; leave them.
                let owner = name.split('_').nth(2).unwrap_or_default();
                if std::path::Path::new(&format!("/proc/{owner}")).exists() {
                    continue;
                }
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            }
            let template = format!("{prefix}_template");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{template}\""))
                .await
                .unwrap();
            let store = Store::connect(&with_database(admin_url, &template), 1)
                .await
                .unwrap();
            store.migrate().await.unwrap();
            store.close().await.unwrap();
            admin.close().await.unwrap();
            template
        })
        .await
        .clone()
}

/// The PostgreSQL server to test on, if any. Under CI a missing one is a failure, not a skip.
fn postgres_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!(
                "CI=true but TEST_DATABASE_URL is not set: the PostgreSQL half cannot be skipped"
            )
        }
        _ => None,
    }
}

/// A fresh database for `engine`: its URL, and what removes it when dropped.
pub async fn fresh_database(engine: Engine) -> Option<(String, Scratch)> {
    let (database_url, scratch) = match engine {
        Engine::Sqlite => {
            let template = sqlite_template().await;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("intercity.db");
            std::fs::copy(&template, &path).unwrap();
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                Scratch::Folder { _dir: dir },
            )
        }
        Engine::Postgres => {
            let Some(admin_url) = postgres_url() else {
                eprintln!("skipped on PostgreSQL: TEST_DATABASE_URL is not set");
                return None;
            };
            let template = postgres_template(&admin_url).await;
            let name = format!("{template}_{}", uuid::Uuid::now_v7().simple());
            let admin = Database::connect(&admin_url).await.unwrap();
            let mut attempt = 0;
            // CREATE DATABASE … TEMPLATE fails while another one copies the same template; retry.
            while let Err(error) = admin
                .execute_unprepared(&format!(
                    "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                ))
                .await
            {
                attempt += 1;
                assert!(attempt < 50, "cannot create a test database: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            admin.close().await.unwrap();
            let url = with_database(&admin_url, &name);
            (url, Scratch::Postgres { admin_url, name })
        }
    };
    Some((database_url, scratch))
}

/// A database with no tables at all, as a new installation or an older version starts from: its URL,
/// and what removes it when dropped.
pub async fn empty_database(engine: Engine) -> Option<(String, Scratch)> {
    match engine {
        Engine::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("empty.db").display()
            );
            Some((url, Scratch::Folder { _dir: dir }))
        }
        Engine::Postgres => {
            let admin_url = postgres_url()?;
            // Named after this run's template, so a run that stops early leaves it to the next one's cleanup.
            let prefix = postgres_template(&admin_url).await;
            let name = format!("{prefix}_empty_{}", uuid::Uuid::now_v7().simple());
            let admin = Database::connect(&admin_url).await.unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .unwrap();
            admin.close().await.unwrap();
            let url = with_database(&admin_url, &name);
            Some((url, Scratch::Postgres { admin_url, name }))
        }
    }
}

/// Starts the app with settings changed by `configure`, or returns None when PostgreSQL is asked for but
/// not configured.
pub async fn spawn_with(engine: Engine, configure: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    let (database_url, database) = fresh_database(engine).await?;
    let mut settings = settings();
    settings.database_url = database_url;
    configure(&mut settings);
    let database_url = settings.database_url.clone();
    let mut store = Store::connect(&database_url, settings.db_max_connections)
        .await
        .unwrap()
        .with_stats_staleness(settings.stats_staleness());
    if let Some(url) = &settings.database_read_url {
        let timeout = std::time::Duration::from_secs(3);
        store = store
            .with_read_replica(url, settings.db_max_connections, timeout)
            .await
            .unwrap();
    }
    let mut tokens = Vec::new();
    for role in [Role::Reader, Role::Editor, Role::Admin] {
        let name = KeyName::try_from(role.as_str().to_owned()).unwrap();
        tokens.push(store.create_key(&name, role, None).await.unwrap().token);
    }
    let [reader_token, editor_token, admin_token] = <[String; 3]>::try_from(tokens).unwrap();
    let application = Application::with_store(store.clone(), &settings).unwrap();
    let base = format!("http://127.0.0.1:{}", application.port());
    actix_web::rt::spawn(application.run_until_stopped());
    Some(TestApp {
        engine,
        base,
        client: awc::Client::builder()
            .timeout(std::time::Duration::from_secs(900))
            .disable_redirects()
            .finish(),
        store,
        database_url,
        reader_token,
        editor_token,
        admin_token,
        _database: Some(database),
    })
}

impl TestApp {
    /// Another instance of the app, with its own process state (connection pool, writers' queue, rate
    /// limits, caches), on the same database and with the same keys.
    pub async fn another_instance(&self) -> TestApp {
        let mut settings = settings();
        settings.database_url = self.database_url.clone();
        let store = Store::connect(&self.database_url, settings.db_max_connections)
            .await
            .unwrap()
            .with_stats_staleness(settings.stats_staleness());
        let application = Application::with_store(store.clone(), &settings).unwrap();
        let base = format!("http://127.0.0.1:{}", application.port());
        actix_web::rt::spawn(application.run_until_stopped());
        TestApp {
            engine: self.engine,
            base,
            client: self.client.clone(),
            store,
            database_url: self.database_url.clone(),
            reader_token: self.reader_token.clone(),
            editor_token: self.editor_token.clone(),
            admin_token: self.admin_token.clone(),
            _database: None,
        }
    }

    /// Sends a request; writes (not GET or HEAD) carry the editor key.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let token = (method != Method::GET && method != Method::HEAD).then_some(&self.editor_token);
        self.request_with(method, path, body, headers, token.map(String::as_str))
            .await
    }

    /// Sends a request with `token` as its bearer key, or with no key.
    pub async fn request_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
        token: Option<&str>,
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        }
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = match body {
            Some(body) => {
                if !headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                {
                    request = request.insert_header((header::CONTENT_TYPE, "application/json"));
                }
                request.send_body(body).await
            }
            None => request.send().await,
        }
        .expect("the request is answered");
        let raw = response.body().limit(64 << 20).await.unwrap().to_vec();
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
            raw,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.request(Method::POST, path, Some(body.to_string().into_bytes()), &[])
            .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.request(Method::PUT, path, Some(body.to_string().into_bytes()), &[])
            .await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.request(
            Method::PATCH,
            path,
            Some(body.to_string().into_bytes()),
            &[],
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.request(Method::DELETE, path, None, &[]).await
    }

    /// Creates a record and returns its id.
    pub async fn create(&self, collection: &str, body: Value) -> String {
        let reply = self.post(&format!("/v1/{collection}"), &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// Every item of a list, following cursors.
    pub async fn list_all(&self, path_and_query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let separator = if path_and_query.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut next: Option<String> = None;
        loop {
            let path = match &next {
                Some(cursor) => format!("{path_and_query}{separator}cursor={cursor}"),
                None => path_and_query.to_owned(),
            };
            let reply = self.get(&path).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            items.extend(reply.body["items"].as_array().unwrap().iter().cloned());
            match reply.body["next_cursor"].as_str() {
                Some(cursor) => next = Some(cursor.to_owned()),
                None => return items,
            }
        }
    }

    /// How many rows the change feed holds: a failed write must not add one.
    pub async fn change_count(&self) -> i64 {
        let db = self.store.connection();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM changes",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

/// Declares tests that run once on SQLite and once on PostgreSQL, each on its own fresh database.
/// `#[settings(|s: &mut Settings| …)]` before a test changes the settings its app starts with.
macro_rules! on_both_engines {
    ($($(#[settings($configure:expr)])? async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                use $crate::helpers::{spawn_with, Engine, TestApp};

                async fn run($app: TestApp) $body

                fn configure(_settings: &mut intercity::config::Settings) {
                    $(($configure)(_settings);)?
                }

                #[actix_web::test]
                async fn sqlite() {
                    run(spawn_with(Engine::Sqlite, configure).await.unwrap()).await;
                }

                #[cfg_attr(not(postgres_tests), ignore = "set TEST_DATABASE_URL to run the PostgreSQL half")]
                #[actix_web::test]
                async fn postgres() {
                    if let Some(app) = spawn_with(Engine::Postgres, configure).await {
                        run(app).await;
                    }
                }
            }
        )*
    };
}
pub(crate) use on_both_engines;
