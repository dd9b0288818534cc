//! API keys: who may write and read, the keys' lifecycle over HTTP and the command line, the change feed's
//! actors, the write rate limit, CORS, and tokens kept out of logs.
//!
//! The access matrix walks the OpenAPI document the app serves, which `routes()` builds, so an endpoint
//! added later is checked without touching this file.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use awc::http::{Method, StatusCode};
use intercity::domain::{KeyName, Role};
use intercity::store::KeyRef;
use serde_json::{json, Value};

use crate::helpers::{fresh_database, on_both_engines, Engine, Reply, TestApp};

/// Every operation of the served OpenAPI document: (method, path with `{id}` filled in, the role its
/// `security` names, if any).
async fn operations(app: &TestApp) -> Vec<(Method, String, Option<Role>)> {
    let document = app.get("/openapi.json").await.body;
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let roles: Vec<Role> = operation["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|requirement| requirement["bearer"].as_array())
                .flatten()
                .map(|role| role.as_str().unwrap().parse().unwrap())
                .collect();
            let path = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            operations.push((method, path, roles.into_iter().min()));
        }
    }
    operations
}

fn is_write(method: &Method) -> bool {
    [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method)
}

/// Sends `method path` with `token` (an empty body where the method takes one).
async fn call(app: &TestApp, method: &Method, path: &str, token: Option<&str>) -> Reply {
    let body = [Method::POST, Method::PUT, Method::PATCH]
        .contains(method)
        .then(|| b"{}".to_vec());
    app.request_with(method.clone(), path, body, &[], token)
        .await
}

/// Tokens that must be refused with a 401: revoked, expired, unknown, and not a token at all.
async fn bad_tokens(app: &TestApp) -> Vec<(&'static str, String)> {
    let name = |name: &str| KeyName::try_from(name.to_owned()).unwrap();
    let revoked = app
        .store
        .create_key(&name("revoked-admin"), Role::Admin, None)
        .await
        .unwrap();
    app.store
        .revoke_key(&KeyRef::Name("revoked-admin".into()))
        .await
        .unwrap();
    let expired = app
        .store
        .create_key(
            &name("expired-admin"),
            Role::Admin,
            Some(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .await
        .unwrap();
    // The admin key's prefix with another secret.
    let mut forged = app.admin_token.clone();
    let last = if forged.ends_with('0') { "1" } else { "0" };
    forged.replace_range(forged.len() - 1.., last);
    vec![
        ("revoked", revoked.token),
        ("expired", expired.token),
        ("forged", forged),
        ("malformed", "not-a-key".into()),
    ]
}

#[track_caller]
fn assert_unauthorized(reply: &Reply, what: &str, invalid_token: bool) {
    reply.assert_problem(401, "");
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer "),
        "{what}: challenge {challenge:?}"
    );
    assert_eq!(
        challenge.contains("error=\"invalid_token\""),
        invalid_token,
        "{what}: challenge {challenge:?}"
    );
}

/// The actor of each change, in order.
async fn actors(app: &TestApp) -> Vec<Option<String>> {
    use sea_orm::ConnectionTrait;
    let db = app.store.connection();
    db.query_all_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT actor FROM changes ORDER BY seq",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<Option<String>>("", "actor").unwrap())
    .collect()
}

on_both_engines! {
    async fn every_write_needs_a_key_of_its_role(app: TestApp) {
        let operations = operations(&app).await;
        let writes: Vec<_> = operations.iter().filter(|(method, _, _)| is_write(method)).collect();
        // Ten resources × (create, replace, patch, delete, upsert by external id), import, and a key's
        // creation and revocation.
        assert_eq!(writes.len(), 10 * 5 + 3, "{writes:?}");
        let bad = bad_tokens(&app).await;
        let keys_before = app.store.list_keys().await.unwrap().len();
        for (method, path, role) in writes {
            let what = format!("{method} {path}");
            let role = role.unwrap_or_else(|| panic!("{what} names no role in its security"));
            assert!(role >= Role::Editor, "{what} lets a {role} key write");

            assert_unauthorized(&call(&app, method, path, None).await, &what, false);
            for (kind, token) in &bad {
                assert_unauthorized(&call(&app, method, path, Some(token)).await, &format!("{what} {kind}"), true);
            }
            call(&app, method, path, Some(&app.reader_token)).await.assert_problem(403, "");
            for (key_role, token) in [(Role::Editor, &app.editor_token), (Role::Admin, &app.admin_token)] {
                let reply = call(&app, method, path, Some(token)).await;
                if key_role < role {
                    reply.assert_problem(403, "");
                } else {
                    // Past the key check: the empty body or the made-up id is what fails.
                    assert!(
                        reply.status.is_client_error()
                            && ![401, 403, 429].contains(&reply.status.as_u16()),
                        "{what} with an {key_role} key: {} {}", reply.status, reply.body
                    );
                }
            }
        }
        assert_eq!(app.change_count().await, 0, "a refused write left a change behind");
        assert_eq!(app.store.list_keys().await.unwrap().len(), keys_before);
    }

    async fn reads_are_open_but_refuse_bad_keys(app: TestApp) {
        let bad = bad_tokens(&app).await;
        for (method, path, role) in operations(&app).await {
            if is_write(&method) || role.is_some() {
                continue;
            }
            let reply = call(&app, &method, &path, None).await;
            assert!(![401, 403].contains(&reply.status.as_u16()), "GET {path}: {}", reply.status);
            if path.starts_with("/v1/") {
                for (kind, token) in &bad {
                    assert_unauthorized(&call(&app, &method, &path, Some(token)).await, &format!("GET {path} {kind}"), true);
                }
            }
        }
    }

    #[settings(|settings: &mut intercity::config::Settings| settings.public_read = false)]
    async fn closed_reads_need_a_key(app: TestApp) {
        let bad = bad_tokens(&app).await;
        let reads: Vec<_> = operations(&app).await.into_iter().filter(|(method, _, _)| !is_write(method)).collect();
        for (method, path, role) in &reads {
            if !path.starts_with("/v1/") {
                // Health checks stay open for load balancers.
                assert_eq!(call(&app, method, path, None).await.status, StatusCode::OK, "{path}");
                continue;
            }
            assert_unauthorized(&call(&app, method, path, None).await, path, false);
            for (kind, token) in &bad {
                assert_unauthorized(&call(&app, method, path, Some(token)).await, &format!("{path} {kind}"), true);
            }
            let reply = call(&app, method, path, Some(&app.reader_token)).await;
            match role {
                Some(Role::Admin) => reply.assert_problem(403, ""),
                _ => assert!([200, 404].contains(&reply.status.as_u16()), "GET {path} as reader: {}", reply.status),
            }
        }
        assert!(reads.iter().any(|(_, path, _)| path == "/v1/cities"));
        for open in ["/openapi.json", "/docs/"] {
            assert_eq!(app.get(open).await.status, StatusCode::OK, "{open}");
        }
    }

    async fn keys_lifecycle_over_http(app: TestApp) {
        let admin = Some(app.admin_token.as_str());
        let created = app.request_with(Method::POST, "/v1/keys",
            Some(json!({"name": "partner-sync", "role": "editor", "expires": "90d"}).to_string().into_bytes()), &[], admin).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.header("cache-control").as_deref(), Some("no-store"));
        let token = created.body["token"].as_str().unwrap().to_owned();
        let prefix = created.body["prefix"].as_str().unwrap();
        assert!(token.starts_with(&format!("{prefix}_")) && prefix.starts_with("ic_"), "{token} {prefix}");
        assert_eq!(created.body["role"], "editor");
        let expires: chrono::DateTime<chrono::Utc> = created.body["expires_at"].as_str().unwrap().parse().unwrap();
        let days = (expires - chrono::Utc::now()).num_hours() as f64 / 24.0;
        assert!((89.9..=90.0).contains(&days), "{days}");

        // The new key writes, and the change feed names it.
        let city = app.request_with(Method::POST, "/v1/cities",
            Some(json!({"name": "Hai Phong", "country": "VN"}).to_string().into_bytes()), &[], Some(&token)).await;
        assert_eq!(city.status, StatusCode::CREATED, "{}", city.body);
        assert_eq!(actors(&app).await, [Some("partner-sync".to_owned())]);

        // Lists never show a token or its hash; they show when a key was last used.
        let mut listed = Value::Null;
        for _ in 0..50 {
            let reply = app.request_with(Method::GET, "/v1/keys", None, &[], admin).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            let raw = String::from_utf8_lossy(&reply.raw).into_owned();
            for token in [&token, &app.admin_token, &app.editor_token, &app.reader_token] {
                assert!(!raw.contains(&token[16..]), "a list shows a token: {raw}");
            }
            assert!(!raw.contains("hash"), "{raw}");
            listed = reply.body["items"].as_array().unwrap().iter().find(|k| k["name"] == "partner-sync").unwrap().clone();
            if listed["last_used_at"].is_string() {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(listed["last_used_at"].is_string(), "last use not recorded: {listed}");
        assert_eq!(listed["revoked_at"], Value::Null);

        // Names are unique; bodies are checked field by field.
        for (body, status, field) in [
            (json!({"name": "partner-sync", "role": "reader"}), 409, "/name"),
            (json!({"name": "x", "role": "owner"}), 422, "/role"),
            (json!({"name": "x", "role": "reader", "expires": "forever"}), 422, "/expires"),
            (json!({"name": "no spaces", "role": "reader"}), 422, "/name"),
            (json!({"name": "x", "role": "reader", "token": "mine"}), 422, "/token"),
        ] {
            app.request_with(Method::POST, "/v1/keys", Some(body.to_string().into_bytes()), &[], admin)
                .await
                .assert_problem(status, field);
        }

        // Editors cannot manage keys.
        app.request_with(Method::GET, "/v1/keys", None, &[], Some(&token)).await.assert_problem(403, "");

        // Revoked: refused from then on; revoking again changes nothing; unknown ids are 404s.
        let path = format!("/v1/keys/{}", created.body["id"].as_str().unwrap());
        let revoked = app.request_with(Method::DELETE, &path, None, &[], admin).await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
        let refused = app.request_with(Method::POST, "/v1/cities",
            Some(json!({"name": "Hue", "country": "VN"}).to_string().into_bytes()), &[], Some(&token)).await;
        assert_unauthorized(&refused, "revoked key", true);
        assert!(refused.body["detail"].as_str().unwrap().contains("revoked"), "{}", refused.body);
        assert_eq!(app.request_with(Method::DELETE, &path, None, &[], admin).await.status, StatusCode::NO_CONTENT);
        let missing = format!("/v1/keys/{}", uuid::Uuid::now_v7());
        app.request_with(Method::DELETE, &missing, None, &[], admin).await.assert_problem(404, "");
        let keys = app.request_with(Method::GET, "/v1/keys", None, &[], admin).await;
        let listed = keys.body["items"].as_array().unwrap().iter().find(|k| k["name"] == "partner-sync").unwrap().clone();
        assert!(listed["revoked_at"].is_string(), "{listed}");
    }

    async fn the_change_feed_names_each_writes_key(app: TestApp) {
        let id = app.create("cities", json!({"name": "Kitakyushu", "country": "JP"})).await;
        let path = format!("/v1/cities/{id}");
        let patched = app.request_with(Method::PATCH, &path,
            Some(json!({"region": "Fukuoka"}).to_string().into_bytes()), &[], Some(&app.admin_token)).await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
        assert_eq!(actors(&app).await, [Some("editor".to_owned()), Some("admin".to_owned()), Some("editor".to_owned())]);
    }

    async fn keys_lifecycle_on_the_command_line(app: TestApp) {
        let intercity = |args: &[&str]| {
            let output = Command::new(env!("CARGO_BIN_EXE_intercity"))
                .args(args)
                .env("DATABASE_URL", &app.database_url)
                .env("RUST_LOG", "warn")
                .output()
                .unwrap();
            (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned(),
             String::from_utf8_lossy(&output.stderr).into_owned())
        };
        let (ok, stdout, stderr) = intercity(&["keys", "create", "--role", "editor", "--name", "cli-sync", "--expires", "12h"]);
        assert!(ok, "{stderr}");
        let token = stdout.trim().to_owned();
        assert!(token.starts_with("ic_") && !token.contains(char::is_whitespace), "{stdout}");
        assert!(stderr.contains("cli-sync") && !stderr.contains(&token), "{stderr}");

        let (ok, list, stderr) = intercity(&["keys", "list"]);
        assert!(ok, "{stderr}");
        let line = list.lines().find(|line| line.starts_with("cli-sync ")).unwrap_or_else(|| panic!("{list}"));
        assert!(line.contains("editor") && line.contains(&token[..15]) && line.contains("active"), "{line}");
        for token in [&token, &app.admin_token, &app.editor_token, &app.reader_token] {
            assert!(!list.contains(&token[16..]), "the list shows a token:\n{list}");
        }

        let city = app.request_with(Method::POST, "/v1/cities",
            Some(json!({"name": "Semarang", "country": "ID"}).to_string().into_bytes()), &[], Some(&token)).await;
        assert_eq!(city.status, StatusCode::CREATED, "{}", city.body);

        let (ok, _, stderr) = intercity(&["keys", "create", "--role", "editor", "--name", "cli-sync"]);
        assert!(!ok && stderr.contains("cli-sync"), "{stderr}");
        let (ok, _, stderr) = intercity(&["keys", "create", "--role", "owner", "--name", "x"]);
        assert!(!ok && stderr.contains("owner"), "{stderr}");

        let (ok, stdout, stderr) = intercity(&["keys", "revoke", "cli-sync"]);
        assert!(ok && stdout.contains("revoked"), "{stdout}{stderr}");
        let refused = app.request_with(Method::POST, "/v1/cities",
            Some(json!({"name": "Surabaya", "country": "ID"}).to_string().into_bytes()), &[], Some(&token)).await;
        assert_unauthorized(&refused, "revoked on the command line", true);
        let (_, list, _) = intercity(&["keys", "list"]);
        assert!(list.lines().any(|line| line.starts_with("cli-sync ") && line.contains("revoked")), "{list}");
        // By id too.
        let admin_id = app.store.list_keys().await.unwrap().into_iter().find(|k| k.name == "reader").unwrap().id;
        let (ok, stdout, stderr) = intercity(&["keys", "revoke", &admin_id.to_string()]);
        assert!(ok && stdout.contains("`reader`"), "{stdout}{stderr}");
        let (ok, _, stderr) = intercity(&["keys", "revoke", "nobody"]);
        assert!(!ok && stderr.contains("nobody"), "{stderr}");
    }

    #[settings(|settings: &mut intercity::config::Settings| settings.write_rate_per_minute = 3)]
    async fn writes_are_rate_limited_per_key(app: TestApp) {
        for i in 0..3 {
            app.create("cities", json!({"name": format!("City {i}"), "country": "JP"})).await;
        }
        let before = app.change_count().await;
        let limited = app.post("/v1/cities", &json!({"name": "One too many", "country": "JP"})).await;
        limited.assert_problem(429, "");
        let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=20).contains(&retry_after), "{retry_after}");
        let detail = limited.body["detail"].as_str().unwrap();
        assert!(detail.contains("3 writes per minute") && detail.contains("INTERCITY_WRITE_RATE_PER_MINUTE"), "{detail}");
        assert_eq!(app.change_count().await, before);
        // Reads are not limited, and each key has its own budget.
        assert_eq!(app.get("/v1/cities").await.status, StatusCode::OK);
        let other = app.request_with(Method::POST, "/v1/cities",
            Some(json!({"name": "By the admin", "country": "JP"}).to_string().into_bytes()), &[], Some(&app.admin_token)).await;
        assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    }

    async fn cors_is_closed_by_default(app: TestApp) {
        let origin = [("origin", "https://dashboard.example.org")];
        let read = app.request(Method::GET, "/v1/cities", None, &origin).await;
        assert_eq!(read.status, StatusCode::OK);
        assert_eq!(read.header("access-control-allow-origin"), None);
        let preflight = app.request_with(Method::OPTIONS, "/v1/cities", None,
            &[origin[0], ("access-control-request-method", "POST")], None).await;
        assert_eq!(preflight.header("access-control-allow-origin"), None);
        assert_eq!(preflight.header("access-control-allow-methods"), None);
    }

    #[settings(|settings: &mut intercity::config::Settings|
        settings.cors_origins = vec!["https://dashboard.example.org".into(), "http://localhost:3000".into()])]
    async fn cors_opens_to_configured_origins(app: TestApp) {
        let origin = ("origin", "https://dashboard.example.org");
        let preflight = app.request_with(Method::OPTIONS, "/v1/cities", None, &[origin,
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "authorization, content-type")], None).await;
        assert_eq!(preflight.status, StatusCode::OK, "{:?}", preflight.headers);
        assert_eq!(preflight.header("access-control-allow-origin").as_deref(), Some(origin.1));
        assert!(preflight.header("access-control-allow-methods").unwrap().contains("POST"));
        assert!(preflight.header("access-control-allow-headers").unwrap().to_lowercase().contains("authorization"));

        let read = app.request(Method::GET, "/v1/cities", None, &[origin]).await;
        assert_eq!(read.header("access-control-allow-origin").as_deref(), Some(origin.1));
        assert!(read.header("access-control-expose-headers").unwrap().to_lowercase().contains("etag"));

        // A refusal is readable by the page too.
        let refused = app.request_with(Method::POST, "/v1/cities", Some(b"{}".to_vec()), &[origin], None).await;
        assert_unauthorized(&refused, "cross-origin write without a key", false);
        assert_eq!(refused.header("access-control-allow-origin").as_deref(), Some(origin.1));
        assert!(refused.header("access-control-expose-headers").unwrap().to_lowercase().contains("www-authenticate"));

        let other = app.request(Method::GET, "/v1/cities", None, &[("origin", "https://evil.example.com")]).await;
        assert_eq!(other.header("access-control-allow-origin"), None);
    }
}

/// Runs `intercity serve` on a fresh database with every log line at `trace`, makes the first admin key
/// on the command line, sends requests with good and bad keys, and checks that no token, no
/// `Authorization` header and no database password reaches the log or an error body.
async fn tokens_stay_out_of_logs(engine: Engine) {
    let Some((database_url, _dir)) = fresh_database(engine).await else {
        return;
    };
    let password = "pw-Zq81x-never-logged";
    // The test server trusts local connections, so any password works; it must not be logged.
    let database_url = database_url.replacen(
        "postgres://postgres@",
        &format!("postgres://postgres:{password}@"),
        1,
    );
    let binary = env!("CARGO_BIN_EXE_intercity");
    let environment = [
        ("DATABASE_URL", database_url.as_str()),
        ("INTERCITY_BIND", "127.0.0.1:0"),
        ("INTERCITY_AUTO_SEED", "false"),
        ("INTERCITY_LOG_FORMAT", "json"),
        ("INTERCITY_WORKERS", "1"),
        ("RUST_LOG", "trace"),
    ];
    let mut server = Command::new(binary)
        .arg("serve")
        .envs(environment)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let reader = {
        let log = Arc::clone(&log);
        let stderr = server.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        })
    };
    let started = Instant::now();
    let port = loop {
        let port = log.lock().unwrap().lines().find_map(|line| {
            let line: Value = serde_json::from_str(line).ok()?;
            (line["message"] == "listening")
                .then(|| line["port"].as_u64())
                .flatten()
        });
        if let Some(port) = port {
            break port;
        }
        if started.elapsed() > Duration::from_secs(60) || server.try_wait().unwrap().is_some() {
            let _ = server.kill();
            panic!("the server did not start:\n{}", log.lock().unwrap());
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        log.lock()
            .unwrap()
            .contains("intercity keys create --role admin"),
        "no hint on how to make the first admin key:\n{}",
        log.lock().unwrap()
    );

    let output = Command::new(binary)
        .args(["keys", "create", "--role", "admin", "--name", "first-admin"])
        .envs(environment)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let admin = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let mut secrets = vec![admin.clone(), password.to_owned()];

    let client = awc::Client::default();
    let base = format!("http://127.0.0.1:{port}");
    let send = |method: Method, path: &str, body: Value, authorization: Option<String>| {
        let mut request = client.request(method, format!("{base}{path}"));
        if let Some(authorization) = authorization {
            request = request.insert_header(("authorization", authorization));
        }
        async move {
            let mut response = request.send_json(&body).await.unwrap();
            let raw = response.body().await.unwrap();
            (
                response.status(),
                String::from_utf8_lossy(&raw).into_owned(),
            )
        }
    };
    let (status, body) = send(
        Method::POST,
        "/v1/keys",
        json!({"name": "partner", "role": "editor"}),
        Some(format!("Bearer {admin}")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let editor = serde_json::from_str::<Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    secrets.push(editor.clone());
    let forged = format!("{}{}", &editor[..editor.len() - 8], "00000000");
    let unknown = format!("ic_0123456789ab_{}", "ab".repeat(32));
    secrets.extend([forged.clone(), unknown.clone(), "dXNlcjpzM2NyZXQ=".into()]);
    let city = json!({"name": "Kitakyushu", "country": "JP"});
    for (authorization, expected) in [
        (Some(format!("Bearer {editor}")), 201),
        (Some(format!("Bearer {forged}")), 401),
        (Some(format!("Bearer {unknown}")), 401),
        (Some(format!("bearer {editor} extra")), 401),
        (Some("Basic dXNlcjpzM2NyZXQ=".to_owned()), 401),
        (Some(format!("Bearer {admin}")), 201),
        (None, 401),
    ] {
        let (status, body) = send(Method::POST, "/v1/cities", city.clone(), authorization).await;
        assert_eq!(status.as_u16(), expected, "{body}");
        for secret in &secrets {
            assert!(
                !body.contains(secret.as_str()),
                "an error body shows a secret: {body}"
            );
        }
    }
    let (status, _) = send(
        Method::GET,
        "/v1/keys",
        json!({}),
        Some(format!("Bearer {admin}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    server.kill().unwrap();
    server.wait().unwrap();
    reader.join().unwrap();
    let log = log.lock().unwrap().clone();
    assert!(
        log.contains("\"status\":401"),
        "requests were not logged:\n{log}"
    );
    assert!(log.contains("API key created"), "{log}");
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log shows a secret ({secret}):\n{log}"
        );
    }
    // Not even part of a secret, nor the header that carries them.
    for fragment in [&admin[16..40], &editor[16..40], "Bearer ", "authorization"] {
        assert!(
            !log.to_lowercase().contains(&fragment.to_lowercase()),
            "the log shows {fragment}:\n{log}"
        );
    }
}

#[actix_web::test]
async fn tokens_stay_out_of_logs_on_sqlite() {
    tokens_stay_out_of_logs(Engine::Sqlite).await;
}

#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
)]
#[actix_web::test]
async fn tokens_stay_out_of_logs_on_postgres() {
    tokens_stay_out_of_logs(Engine::Postgres).await;
}

/// A server that cannot start says why without quoting the database password.
#[test]
fn failed_starts_do_not_show_the_database_password() {
    let password = "pw-Kx7-never-logged";
    for url in [
        format!("postgresx://intercity:{password}@127.0.0.1:1/intercity"),
        format!("postgres://intercity:{password}@127.0.0.1:1/intercity?connect_timeout=2"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_intercity"))
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "{printed}");
        assert!(
            !printed.contains(password),
            "the password is shown:\n{printed}"
        );
        assert!(printed.contains("error"), "{printed}");
    }
}
