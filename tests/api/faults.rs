//! Faults a client cannot cause but the service must survive: slow uploads, retries of a running
//! import, an exhausted pool, a read-only database, a full disk (SQLite) and a database server that
//! stops and starts again (PostgreSQL). None may give a 500, and no write answered 2xx may be lost.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use awc::http::{header, Method, StatusCode};
use futures_util::future::join;
use intercity::config::Settings;
use intercity::domain::{KeyName, Role};
use intercity::startup::Application;
use intercity::store::Store;
use sea_orm::TransactionTrait;
use serde_json::{json, Value};

use crate::helpers::{fresh_database, on_both_engines, spawn_with, Engine, Reply, TestApp};

fn city_line(name: &str) -> String {
    format!(
        "{}\n",
        json!({"resource": "city", "op": "upsert", "data": {"name": name, "country": "KH"}})
    )
}

async fn city_count(app: &TestApp) -> usize {
    app.list_all("/v1/cities?limit=500").await.len()
}

/// Asserts a 503 problem that tells the client when to retry.
#[track_caller]
fn assert_unavailable(reply: &Reply) {
    reply.assert_problem(503, "");
    let retry_after: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!(retry_after >= 1);
}

on_both_engines! {
    #[settings(|s: &mut intercity::config::Settings| s.body_read_timeout_secs = 4)]
    async fn a_stalled_upload_blocks_no_writer(app: TestApp) {
        // A client that sends its headers and one line of a longer body, then nothing. Were the import
        // holding the writers' turn, the write below would wait until the import is answered 408.
        let import_answered = std::cell::Cell::new(false);
        let import = async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let address = app.base.trim_start_matches("http://");
            let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
            let line = city_line("Kep");
            let head = format!(
                "POST /v1/import HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
                 Content-Type: application/x-ndjson\r\nContent-Length: 100000\r\n\r\n{line}",
                app.editor_token
            );
            socket.write_all(head.as_bytes()).await.unwrap();
            socket.flush().await.unwrap();
            let mut answer = vec![0u8; 4096];
            // Bounded, so that a regression fails rather than hangs.
            let read = tokio::time::timeout(Duration::from_secs(60), socket.read(&mut answer))
                .await
                .expect("the stalled import is answered")
                .unwrap();
            import_answered.set(true);
            String::from_utf8_lossy(&answer[..read]).into_owned()
        };
        let writer = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let created = app.post("/v1/cities", &json!({"name": "Kampot", "country": "KH"})).await;
            assert!(!import_answered.get(), "the write waited for the stalled upload to be refused");
            created
        };
        let (answer, created) = join(import, writer).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("urn:intercity:problem:request-timeout"), "{answer}");
        assert_eq!(city_count(&app).await, 1, "the stalled import wrote something");
    }

    #[settings(|s: &mut intercity::config::Settings| s.max_body_bytes = 1024)]
    async fn a_line_longer_than_one_record_may_be_is_refused(app: TestApp) {
        let long = format!("{{\"resource\": \"city\", \"op\": \"upsert\", \"data\": {{\"name\": \"{}\"", "x".repeat(5000));
        let body = format!("{}{long}\n{}", city_line("Kep"), city_line("Kampot"));
        let reply = app.request(Method::POST, "/v1/import", Some(body.into_bytes()),
            &[("content-type", "application/x-ndjson")]).await;
        reply.assert_problem(422, "");
        assert_eq!(reply.body["refused_lines"], 1);
        assert_eq!(reply.body["errors"][0]["line"], 2);
        assert!(reply.body["errors"][0]["message"].as_str().unwrap().contains("longer than 1024 bytes"));
        assert_eq!(city_count(&app).await, 0);
        // A line without a newline at the end of the body is still a line.
        let last = format!("{}{}", city_line("Kep"), city_line("Kampot").trim_end());
        let reply = app.request(Method::POST, "/v1/import", Some(last.into_bytes()),
            &[("content-type", "application/x-ndjson")]).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["created"], 2);
    }

    async fn a_retry_sent_while_the_import_runs_replays_its_answer(app: TestApp) {
        let body: String = (0..300).map(|i| city_line(&format!("Town {i}"))).collect();
        let send = || app.request(Method::POST, "/v1/import", Some(body.clone().into_bytes()),
            &[("content-type", "application/x-ndjson"), ("idempotency-key", "import-7")]);
        let (first, second) = join(send(), send()).await;
        assert_eq!((first.status, second.status), (StatusCode::OK, StatusCode::OK),
            "{} / {}", first.body, second.body);
        assert_eq!(first.body, second.body);
        assert_eq!(first.body["created"], 300);
        let replays = [&first, &second].iter().filter(|r| r.header("idempotent-replayed").is_some()).count();
        assert_eq!(replays, 1);
        assert_eq!(city_count(&app).await, 300);
    }

    async fn a_large_json_array_is_imported_item_by_item(app: TestApp) {
        let items: Vec<Value> = (0..2000)
            .map(|i| json!({"resource": "city", "op": "upsert", "data": {"name": format!("City {i}"), "country": "JP"}}))
            .collect();
        let reply = app.request(Method::POST, "/v1/import", Some(serde_json::to_vec(&items).unwrap()), &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["created"], 2000);
        let broken = app.request(Method::POST, "/v1/import", Some(b"[{\"resource\": \"city\"}, ".to_vec()), &[]).await;
        broken.assert_problem(400, "");
    }

    #[settings(|s: &mut intercity::config::Settings| { s.db_max_connections = 1; s.db_acquire_timeout_ms = 200; })]
    async fn an_exhausted_pool_is_a_503(app: TestApp) {
        // The pool's only connection, held as a long request would hold it.
        let held = app.store.connection().begin().await.unwrap();
        let read = app.get("/v1/cities").await;
        assert_unavailable(&read);
        let write = app.post("/v1/cities", &json!({"name": "Kep", "country": "KH"})).await;
        assert_unavailable(&write);
        held.rollback().await.unwrap();
        assert_eq!(app.get("/v1/cities").await.status, StatusCode::OK);
        assert_eq!(app.post("/v1/cities", &json!({"name": "Kep", "country": "KH"})).await.status, StatusCode::CREATED);
    }
}

#[actix_web::test]
async fn a_read_only_sqlite_database_is_reported_and_refuses_writes_with_503() {
    let (url, _dir) = fresh_database(Engine::Sqlite).await.unwrap();
    let writable = Store::connect(&url, 1).await.unwrap();
    let editor = KeyName::try_from("editor".to_owned()).unwrap();
    let token = writable
        .create_key(&editor, Role::Editor, None)
        .await
        .unwrap()
        .token;
    writable.close().await.unwrap();

    let read_only = url.replace("mode=rwc", "mode=ro");
    let settings = Settings {
        bind: "127.0.0.1:0".into(),
        database_url: read_only.clone(),
        auto_seed: false,
        workers: Some(1),
        ..Settings::defaults()
    };
    let store = Store::connect(&read_only, 2).await.unwrap();
    let application = Application::with_store(store, &settings).unwrap();
    let base = format!("http://127.0.0.1:{}", application.port());
    actix_web::rt::spawn(application.run_until_stopped());
    let client = awc::Client::default();

    let mut ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "database read-only");
    let list = client
        .get(format!("{base}/v1/cities"))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK, "reads go on");
    let mut write = client
        .post(format!("{base}/v1/cities"))
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .send_json(&json!({"name": "Kep", "country": "KH"}))
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(write.headers().contains_key(header::RETRY_AFTER));
    let body: Value = write.json().await.unwrap();
    assert_eq!(body["type"], "urn:intercity:problem:unavailable");
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap().keep();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .is_ok_and(|output| output.status.success());
        mounted.then(|| Self(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Fills `dir`'s file system until less than `leave` bytes are free.
fn fill(dir: &Path, leave: u64) -> PathBuf {
    let filler = dir.join("filler");
    let free = fs_free(dir);
    let size = free.saturating_sub(leave);
    std::fs::write(&filler, vec![0u8; size as usize]).unwrap();
    filler
}

fn fs_free(dir: &Path) -> u64 {
    let output = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[actix_web::test]
async fn a_full_disk_loses_no_acknowledged_write_and_writes_recover() {
    let Some(tmpfs) = Tmpfs::mount("8m") else {
        eprintln!("SKIPPED a_full_disk_loses_no_acknowledged_write_and_writes_recover: cannot mount a tmpfs here (needs root)");
        return;
    };
    let (url, _dir) = fresh_database(Engine::Sqlite).await.unwrap();
    let source = url
        .trim_start_matches("sqlite://")
        .trim_end_matches("?mode=rwc");
    let path = tmpfs.0.join("intercity.db");
    std::fs::copy(source, &path).unwrap();
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let app = spawn_with(Engine::Sqlite, |s| s.database_url = url.clone())
        .await
        .unwrap();

    let filler = fill(&tmpfs.0, 160 << 10);
    let notes = "n".repeat(2000);
    let mut acknowledged = BTreeSet::new();
    let mut refused = 0;
    for i in 0..400 {
        let reply = app
            .post(
                "/v1/cities",
                &json!({"name": format!("City {i}"), "country": "JP", "notes": notes}),
            )
            .await;
        match reply.status.as_u16() {
            201 => {
                acknowledged.insert(reply.body["id"].as_str().unwrap().to_owned());
            }
            507 | 503 => {
                reply.assert_problem(reply.status.as_u16(), "");
                refused += 1;
                if refused >= 20 {
                    break;
                }
            }
            other => panic!("write {i}: {other} {}", reply.body),
        }
    }
    assert!(refused >= 20, "the disk never filled");

    // Space comes back; the service recovers by itself, on every pooled connection.
    std::fs::remove_file(filler).unwrap();
    let mut after = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    for i in 0..100 {
        assert!(
            Instant::now() < deadline,
            "writes did not recover within a minute of space coming back"
        );
        let reply = app
            .post(
                "/v1/cities",
                &json!({"name": format!("After {i}"), "country": "JP"}),
            )
            .await;
        match reply.status.as_u16() {
            201 => {
                acknowledged.insert(reply.body["id"].as_str().unwrap().to_owned());
                after += 1;
                if after == 30 {
                    break;
                }
            }
            503 | 507 => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("write after {i}: {other} {}", reply.body),
        }
    }
    assert_eq!(after, 30, "writes did not recover once space was back");
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);

    // As after a restart: a new connection sees every acknowledged write.
    let reopened = Store::connect(&url, 1).await.unwrap();
    let db = sea_orm::ConnectionTrait::get_database_backend(reopened.connection());
    assert_eq!(db, sea_orm::DbBackend::Sqlite);
    for id in &acknowledged {
        let found = reopened
            .get::<intercity::store::Cities>(id.parse().unwrap())
            .await;
        assert!(
            found.is_ok(),
            "acknowledged city {id} is gone after a reopen"
        );
    }
    reopened.close().await.unwrap();
    drop(app);
}

/// A PostgreSQL server of the test's own, so that stopping it disturbs no other test: initdb'd into a
/// temporary folder, run as the `postgres` user on a free port, stopped and removed when dropped.
struct PrivatePostgres(PgCtl);

/// Where a private server lives, and `pg_ctl` for it.
#[derive(Clone)]
struct PgCtl {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists())
            .max()?;
        let dir = tempfile::tempdir().unwrap().keep();
        let owned = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status();
        if !owned.is_ok_and(|status| status.success()) {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = PgCtl { bin, dir, port };
        let data = cluster.dir.join("data");
        let initdb = cluster
            .as_postgres("initdb")
            .args(["--auth=trust", "--username=postgres", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .ok()?;
        if !initdb.status.success() {
            eprintln!("initdb failed: {}", String::from_utf8_lossy(&initdb.stderr));
            return None;
        }
        cluster.run("start").then_some(Self(cluster))
    }
}

impl PgCtl {
    fn as_postgres(&self, program: &str) -> Command {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program));
        command
    }

    /// `pg_ctl start` or `stop`, waiting until it is done.
    fn run(&self, action: &str) -> bool {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        self.as_postgres("pg_ctl")
            .args(["-w", "-m", "fast", "-D"])
            .arg(self.dir.join("data"))
            .args(["-l"])
            .arg(self.dir.join("log"))
            .args(["-o", &options, action])
            .output()
            .is_ok_and(|output| output.status.success())
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.0.run("stop");
        let _ = std::fs::remove_dir_all(&self.0.dir);
    }
}

#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
)]
#[actix_web::test]
async fn postgres_stopped_and_started_under_load_gives_only_503s_and_loses_nothing() {
    let Some(server) = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .unwrap()
    else {
        eprintln!("SKIPPED postgres_stopped_and_started: cannot run a private PostgreSQL here (needs root and initdb)");
        return;
    };
    let control = server.0.clone();
    let admin = sea_orm::Database::connect(control.url("postgres"))
        .await
        .unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(&admin, "CREATE DATABASE intercity")
        .await
        .unwrap();
    admin.close().await.unwrap();
    let url = control.url("intercity");
    let store = Store::connect(&url, 1).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await.unwrap();
    let app = spawn_with(Engine::Postgres, |s| {
        s.database_url = url.clone();
        s.db_acquire_timeout_ms = 500;
        s.write_rate_per_minute = 0;
    })
    .await
    .unwrap();

    let mut acknowledged = BTreeSet::new();
    let mut unavailable = 0;
    let outage = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(run_blocking(&control, "stop").await, "pg_ctl stop failed");
        let ready = app.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(run_blocking(&control, "start").await, "pg_ctl start failed");
    };
    let load = async {
        let started = Instant::now();
        let mut i = 0;
        // Writers and readers, from before the outage until well after it.
        while started.elapsed() < Duration::from_secs(8) {
            i += 1;
            let (write, read) = join(
                app.post(
                    "/v1/cities",
                    &json!({"name": format!("City {i}"), "country": "JP"}),
                ),
                app.get(if i % 2 == 0 {
                    "/v1/cities?limit=5"
                } else {
                    "/v1/stats/overview"
                }),
            )
            .await;
            for reply in [&write, &read] {
                match reply.status.as_u16() {
                    200 | 201 => {}
                    503 => {
                        assert_unavailable(reply);
                        unavailable += 1;
                    }
                    other => panic!("request {i}: {other} {}", reply.body),
                }
            }
            if write.status == StatusCode::CREATED {
                acknowledged.insert(write.body["id"].as_str().unwrap().to_owned());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    join(outage, load).await;
    assert!(unavailable > 0, "no request saw the outage");

    // Recovered without a restart: writes and reads work, and every acknowledged write is there.
    let created = app
        .post("/v1/cities", &json!({"name": "After", "country": "JP"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    let listed: BTreeSet<String> = app
        .list_all("/v1/cities?limit=500")
        .await
        .iter()
        .map(|city| city["id"].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<_> = acknowledged.difference(&listed).collect();
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    app.store.clone().close().await.unwrap();
    drop(app);
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
}

async fn run_blocking(control: &PgCtl, action: &'static str) -> bool {
    let control = control.clone();
    tokio::task::spawn_blocking(move || control.run(action))
        .await
        .unwrap()
}
