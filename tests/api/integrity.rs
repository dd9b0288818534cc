//! A record that cannot be corrupted: writes that race each other end in exactly the allowed outcomes
//! (never both, never a 500), references cannot dangle, export leaves no record out, and the migration
//! that added the foreign keys carries a previous version's data across.

use awc::http::{Method, StatusCode};
use futures_util::future::join;
use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};

use crate::helpers::{empty_database, on_both_engines, spawn_with, Engine, Reply};

/// Rounds of each race: enough to hit both orders on this machine, few enough to stay quick.
const ROUNDS: usize = 20;

fn code(reply: &Reply) -> u16 {
    reply.status.as_u16()
}

/// How many records of each resource an NDJSON export holds.
fn export_counts(raw: &[u8]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for line in String::from_utf8_lossy(raw).lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        *counts
            .entry(line["resource"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

/// An id as an SQL literal: SQLite stores UUIDs as 16-byte blobs, PostgreSQL as `uuid`.
fn id_sql(engine: Engine, id: &str) -> String {
    match engine {
        Engine::Sqlite => format!("X'{}'", id.replace('-', "")),
        Engine::Postgres => format!("'{id}'"),
    }
}

async fn execute(db: &DatabaseConnection, sql: &str) {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

on_both_engines! {
    async fn deleting_a_city_races_a_partnership_naming_it(app: TestApp) {
        for round in 0..ROUNDS {
            let kept = app.create("cities", json!({"name": format!("Kept {round}"), "country": "JP"})).await;
            let raced = app.create("cities", json!({"name": format!("Raced {round}"), "country": "KH"})).await;
            let partnership = json!({"city_ids": [kept, raced], "kind": "friendship_city"});
            let (deleted, created) = join(
                app.delete(&format!("/v1/cities/{raced}")),
                app.post("/v1/partnerships", &partnership),
            )
            .await;
            let still_there = app.get(&format!("/v1/cities/{raced}")).await.status;
            match (code(&deleted), code(&created)) {
                (204, 422) => {
                    created.assert_problem(422, "/city_ids/1");
                    assert_eq!(still_there, StatusCode::NOT_FOUND);
                }
                (409, 201) => {
                    deleted.assert_problem(409, "");
                    assert_eq!(deleted.body["referenced_by"][0]["field"], "city_ids");
                    assert_eq!(still_there, StatusCode::OK);
                }
                other => panic!("round {round}: {other:?}: {} / {}", deleted.body, created.body),
            }
        }
        for partnership in app.list_all("/v1/partnerships?limit=500").await {
            for city in partnership["city_ids"].as_array().unwrap() {
                let city = app.get(&format!("/v1/cities/{}", city.as_str().unwrap())).await;
                assert_eq!(city.status, StatusCode::OK, "a partnership names a deleted city");
            }
        }
    }

    async fn concurrent_parent_links_never_close_a_cycle(app: TestApp) {
        let city = app.create("cities", json!({"name": "Hai Phong", "country": "VN"})).await;
        for round in 0..ROUNDS {
            let a = app.create("projects", json!({"title": format!("A {round}"), "city_ids": [city]})).await;
            let b = app.create("projects", json!({"title": format!("B {round}"), "city_ids": [city]})).await;
            let (a_under_b, b_under_a) = join(
                app.patch(&format!("/v1/projects/{a}"), &json!({"parent_id": b})),
                app.patch(&format!("/v1/projects/{b}"), &json!({"parent_id": a})),
            )
            .await;
            let (refused, parent_of_a, parent_of_b) = match (code(&a_under_b), code(&b_under_a)) {
                (200, 422) => (&b_under_a, Value::from(b.clone()), Value::Null),
                (422, 200) => (&a_under_b, Value::Null, Value::from(a.clone())),
                other => panic!("round {round}: {other:?}: {} / {}", a_under_b.body, b_under_a.body),
            };
            refused.assert_problem(422, "/parent_id");
            assert_eq!(app.get(&format!("/v1/projects/{a}")).await.body["parent_id"], parent_of_a);
            assert_eq!(app.get(&format!("/v1/projects/{b}")).await.body["parent_id"], parent_of_b);
        }
        let exported = export_counts(&app.get("/v1/export").await.raw);
        assert_eq!(exported.get("project"), Some(&(2 * ROUNDS)));
    }

    async fn concurrent_duplicate_external_ids(app: TestApp) {
        for round in 0..ROUNDS {
            let body = |name: &str| {
                json!({"name": name, "country": "VN", "external_ids": {"geonames": format!("158{round}")}})
            };
            let (first, second) = join(
                app.post("/v1/cities", &body("Hai Phong")),
                app.post("/v1/cities", &body("Haiphong")),
            )
            .await;
            let refused = match (code(&first), code(&second)) {
                (201, 409) => &second,
                (409, 201) => &first,
                other => panic!("round {round}: {other:?}: {} / {}", first.body, second.body),
            };
            refused.assert_problem(409, "/external_ids/geonames");
            let holders = app.list_all(&format!("/v1/cities?external_id=geonames:158{round}")).await;
            assert_eq!(holders.len(), 1);
        }
    }

    async fn an_import_and_an_edit_of_the_same_row_both_complete(app: TestApp) {
        for round in 0..ROUNDS {
            let city = app.create("cities", json!({"name": format!("Surabaya {round}"), "country": "ID"})).await;
            let mut lines = vec![json!({"resource": "city", "op": "upsert",
                "data": {"id": city, "name": format!("Kota Surabaya {round}"), "country": "ID"}})];
            for i in 0..20 {
                lines.push(json!({"resource": "city", "op": "upsert",
                    "data": {"name": format!("Town {round}-{i}"), "country": "ID"}}));
            }
            let body: String = lines.iter().map(|line| format!("{line}\n")).collect();
            let (imported, patched) = join(
                app.request(Method::POST, "/v1/import", Some(body.into_bytes()),
                    &[("content-type", "application/x-ndjson")]),
                app.patch(&format!("/v1/cities/{city}"), &json!({"population": 2_874_314})),
            )
            .await;
            assert_eq!((code(&imported), code(&patched)), (200, 200),
                "round {round}: {} / {}", imported.body, patched.body);
            assert_eq!(imported.body["created"], 20);
            let now = app.get(&format!("/v1/cities/{city}")).await.body;
            assert_eq!(now["version"], 3, "both writes applied, one after the other");
            assert_eq!(now["name"], format!("Kota Surabaya {round}"));
        }
    }

    async fn export_holds_every_record_even_a_cycle_written_behind_the_api(app: TestApp) {
        crate::crud::fixture(&app).await;
        let city = app.create("cities", json!({"name": "Shenyang", "country": "CN"})).await;
        let a = app.create("projects", json!({"title": "Phase A", "city_ids": [city]})).await;
        let b = app.create("projects", json!({"title": "Phase B", "city_ids": [city]})).await;
        let c = app.create("projects", json!({"title": "Phase C", "city_ids": [city], "parent_id": a})).await;
        // A cycle the API refuses, as a database written before that check may hold one.
        let db = app.store.connection();
        let [sql_a, sql_b] = [&a, &b].map(|id| id_sql(app.engine, id));
        execute(db, &format!("UPDATE projects SET parent_id = {sql_b} WHERE id = {sql_a}")).await;
        execute(db, &format!("UPDATE projects SET parent_id = {sql_a} WHERE id = {sql_b}")).await;

        let raw = app.get("/v1/export").await.raw;
        let exported = export_counts(&raw);
        for (resource, collection) in [("city", "cities"), ("organization", "organizations"),
            ("partnership", "partnerships"), ("agreement", "agreements"), ("project", "projects"),
            ("funding", "fundings"), ("exchange", "exchanges"), ("indicator", "indicators")] {
            let listed = app.list_all(&format!("/v1/{collection}?limit=500")).await.len();
            assert_eq!(exported.get(resource).copied().unwrap_or(0), listed, "{resource}");
        }
        let text = String::from_utf8(raw).unwrap();
        for id in [&a, &b, &c] {
            assert!(text.contains(id.as_str()), "project {id} left out of the export");
        }
    }

    async fn ids_are_unique_across_resources(app: TestApp) {
        let city = app.create("cities", json!({"name": "Dalian", "country": "CN"})).await;
        let reply = app
            .put(&format!("/v1/organizations/{city}"), &json!({"name": "Dalian office", "kind": "other"}))
            .await;
        reply.assert_problem(409, "id");
    }
}

/// Rows as the version before the foreign keys wrote them: two cities, a partnership of both, an
/// external id, and index rows left behind by a deleted record.
async fn previous_version_rows(
    engine: Engine,
    db: &DatabaseConnection,
    dangling: bool,
) -> [String; 3] {
    let [kitakyushu, dalian, partnership, deleted] =
        [(); 4].map(|_| uuid::Uuid::now_v7().to_string());
    let [k, d, p, x] = [&kitakyushu, &dalian, &partnership, &deleted].map(|id| id_sql(engine, id));
    let record = "1, '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z', '{}', '[]'";
    execute(db, &format!(
        "INSERT INTO cities (id, version, created_at, updated_at, external_ids, sources, name, country) VALUES \
         ({k}, {record}, 'Kitakyushu', 'JP'), ({d}, {record}, 'Dalian', 'CN')"
    )).await;
    execute(db, &format!(
        "INSERT INTO partnerships (id, version, created_at, updated_at, external_ids, sources, city_ids, kind) \
         VALUES ({p}, {record}, '[\"{kitakyushu}\", \"{dalian}\"]', 'friendship_city')"
    )).await;
    let target = if dangling { &x } else { &d };
    execute(
        db,
        &format!(
            "INSERT INTO refs (from_id, field, to_id, from_resource, to_resource) VALUES \
         ({p}, 'city_ids', {k}, 'partnership', 'city'), \
         ({p}, 'city_ids', {target}, 'partnership', 'city'), \
         ({x}, 'city_id', {k}, 'organization', 'city')"
        ),
    )
    .await;
    execute(
        db,
        &format!(
            "INSERT INTO external_ids (resource, system, value, record_id) VALUES \
         ('city', 'geonames', '1859307', {k}), ('organization', 'x', 'gone', {x})"
        ),
    )
    .await;
    if dangling {
        [kitakyushu, partnership, deleted]
    } else {
        [kitakyushu, dalian, partnership]
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// The migrations before the foreign keys.
const PREVIOUS_MIGRATIONS: u32 = 4;

async fn foreign_keys_migration_carries_data_across(engine: Engine) {
    let Some((url, dir)) = empty_database(engine).await else {
        return;
    };
    let db = Database::connect(&url).await.unwrap();
    migration::Migrator::up(&db, Some(PREVIOUS_MIGRATIONS))
        .await
        .unwrap();
    let [kitakyushu, dalian, partnership] = previous_version_rows(engine, &db, false).await;
    migration::Migrator::up(&db, None).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM records").await, 3);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM refs").await,
        2,
        "the deleted record's refs are dropped"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM external_ids").await, 1);
    db.close().await.unwrap();

    // The app serves the migrated data, and the references hold.
    let app = spawn_with(engine, |settings| settings.database_url = url.clone())
        .await
        .unwrap();
    let read = app.get(&format!("/v1/partnerships/{partnership}")).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body["city_ids"], json!([kitakyushu, dalian]));
    let found = app
        .list_all("/v1/cities?external_id=geonames:1859307")
        .await;
    assert_eq!(found.len(), 1);
    app.delete(&format!("/v1/cities/{dalian}"))
        .await
        .assert_problem(409, "");
    // Even a delete behind the API's back is refused by the database.
    let direct = app
        .store
        .connection()
        .execute_unprepared(&format!(
            "DELETE FROM records WHERE id = {}",
            id_sql(engine, &dalian)
        ))
        .await;
    assert!(
        direct.is_err(),
        "the foreign key let a referenced record go"
    );
    drop(dir);
}

async fn foreign_keys_migration_refuses_dangling_references(engine: Engine) {
    let Some((url, _dir)) = empty_database(engine).await else {
        return;
    };
    let db = Database::connect(&url).await.unwrap();
    migration::Migrator::up(&db, Some(PREVIOUS_MIGRATIONS))
        .await
        .unwrap();
    let [_, partnership, missing] = previous_version_rows(engine, &db, true).await;
    let error = migration::Migrator::up(&db, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("1 reference(s) name records that do not exist"),
        "{error}"
    );
    assert!(
        error.contains(&format!(
            "partnership {partnership} city_ids -> city {missing}"
        )),
        "{error}"
    );
    // Nothing changed: the previous version's tables, rows and migrations are as they were.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM refs").await, 3);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM seaql_migrations").await,
        i64::from(PREVIOUS_MIGRATIONS)
    );
    let records = db.execute_unprepared("SELECT COUNT(*) FROM records").await;
    assert!(
        records.is_err(),
        "the refused migration left a records table behind"
    );
}

#[actix_web::test]
async fn foreign_keys_migration_carries_data_across_sqlite() {
    foreign_keys_migration_carries_data_across(Engine::Sqlite).await;
}

#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
)]
#[actix_web::test]
async fn foreign_keys_migration_carries_data_across_postgres() {
    foreign_keys_migration_carries_data_across(Engine::Postgres).await;
}

#[actix_web::test]
async fn foreign_keys_migration_refuses_dangling_references_sqlite() {
    foreign_keys_migration_refuses_dangling_references(Engine::Sqlite).await;
}

#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
)]
#[actix_web::test]
async fn foreign_keys_migration_refuses_dangling_references_postgres() {
    foreign_keys_migration_refuses_dangling_references(Engine::Postgres).await;
}

/// The migrations before fundings had kinds.
const BEFORE_FUNDING_KINDS: u32 = 5;

async fn funding_kinds_migration_carries_fundings_across(engine: Engine) {
    let Some((url, _dir)) = empty_database(engine).await else {
        return;
    };
    let db = Database::connect(&url).await.unwrap();
    migration::Migrator::up(&db, Some(BEFORE_FUNDING_KINDS))
        .await
        .unwrap();
    let [with_notes, without_notes] = [(); 2].map(|_| uuid::Uuid::now_v7().to_string());
    let [a, b, project, funder] = [
        &with_notes,
        &without_notes,
        &uuid::Uuid::now_v7().to_string(),
        &uuid::Uuid::now_v7().to_string(),
    ]
    .map(|id| id_sql(engine, id));
    let record = "1, '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z', '{}', '[]'";
    execute(&db, &format!(
        "INSERT INTO fundings (id, version, created_at, updated_at, external_ids, sources, notes, project_id, funder_id, amount_minor, currency, period) VALUES \
         ({a}, {record}, 'About JPY 90 million.', {project}, {funder}, 90000000, 'JPY', '1993'), \
         ({b}, {record}, NULL, {project}, {funder}, NULL, NULL, NULL)"
    )).await;
    execute(
        &db,
        "INSERT INTO changes (seq, resource, record_id, op, version, at, actor) VALUES \
        (41, 'city', X'00', 'create', 1, '2026-11-20T00:00:00Z', 'seed')"
            .replace("X'00'", &a)
            .as_str(),
    )
    .await;
    // One step: the kinds alone.
    migration::Migrator::up(&db, Some(1)).await.unwrap();

    let text = |row: &sea_orm::QueryResult, column: &str| {
        row.try_get::<Option<String>>("", column).unwrap()
    };
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT kind, notes, version, amount_qualifier, value_date FROM fundings ORDER BY id",
        ))
        .await
        .unwrap();
    let note = "Kind set to commitment when kinds were introduced; the record did not say which kind it is.";
    assert_eq!(text(&rows[0], "kind").as_deref(), Some("commitment"));
    assert_eq!(
        text(&rows[0], "notes"),
        Some(format!("About JPY 90 million. {note}"))
    );
    assert_eq!(text(&rows[1], "notes").as_deref(), Some(note));
    assert_eq!(rows[1].try_get::<i32>("", "version").unwrap(), 2);
    assert_eq!(text(&rows[1], "amount_qualifier"), None);
    // Each funding's new version is in the feed, after what was there, so followers read it again.
    let changes = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT seq, version, actor FROM changes WHERE resource = 'funding' ORDER BY seq",
        ))
        .await
        .unwrap();
    let feed: Vec<(i64, i32, String)> = changes
        .iter()
        .map(|row| {
            (
                row.try_get("", "seq").unwrap(),
                row.try_get("", "version").unwrap(),
                row.try_get("", "actor").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        feed,
        vec![
            (42, 2, "migration".to_owned()),
            (43, 2, "migration".to_owned())
        ]
    );

    // Then the period becomes a range, as a third version.
    migration::Migrator::up(&db, None).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            r#"SELECT "start", "end", version FROM fundings ORDER BY id"#,
        ))
        .await
        .unwrap();
    assert_eq!(
        (text(&rows[0], "start"), text(&rows[0], "end")),
        (Some("1993".into()), Some("1993".into()))
    );
    assert_eq!(
        (text(&rows[1], "start"), text(&rows[1], "end")),
        (None, None)
    );
    assert_eq!(rows[0].try_get::<i32>("", "version").unwrap(), 3);
    let newest = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT MAX(seq) AS seq FROM changes WHERE actor = 'migration'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(newest.try_get::<i64>("", "seq").unwrap(), 45);
    // The funder stays, and may now be left out.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM fundings WHERE funder_id IS NOT NULL"
        )
        .await,
        2
    );
    execute(&db, &format!(
        "INSERT INTO fundings (id, version, created_at, updated_at, external_ids, sources, project_id, kind) \
         VALUES ({}, {record}, {project}, 'pledge')",
        id_sql(engine, &uuid::Uuid::now_v7().to_string())
    )).await;
}

#[actix_web::test]
async fn funding_kinds_migration_carries_fundings_across_sqlite() {
    funding_kinds_migration_carries_fundings_across(Engine::Sqlite).await;
}

#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
)]
#[actix_web::test]
async fn funding_kinds_migration_carries_fundings_across_postgres() {
    funding_kinds_migration_carries_fundings_across(Engine::Postgres).await;
}

/// The migrations before fundings without projects, indicator subjects and results frameworks.
const BEFORE_RESULTS: u32 = 9;

async fn results_migration_carries_projects_indicators_and_fundings_across(engine: Engine) {
    let Some((url, _dir)) = empty_database(engine).await else {
        return;
    };
    let db = Database::connect(&url).await.unwrap();
    migration::Migrator::up(&db, Some(BEFORE_RESULTS))
        .await
        .unwrap();
    let ids = [(); 4].map(|_| uuid::Uuid::now_v7().to_string());
    let [city, project, indicator, funding] = &ids;
    let [c, p, i, f] = [city, project, indicator, funding].map(|id| id_sql(engine, id));
    let record = "1, '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z', '{}', '[]'";
    for sql in [
        format!("INSERT INTO records (id, resource) VALUES ({c}, 'city'), ({p}, 'project'), ({i}, 'indicator'), ({f}, 'funding')"),
        format!("INSERT INTO cities (id, version, created_at, updated_at, external_ids, sources, name, country) VALUES ({c}, {record}, 'Phnom Penh', 'KH')"),
        format!("INSERT INTO projects (id, version, created_at, updated_at, external_ids, sources, title, city_ids, sectors, participants, results) \
                 VALUES ({p}, {record}, 'Water', '[\"{city}\"]', '[]', '[]', 'Non-revenue water fell to 8%.')"),
        format!("INSERT INTO indicators (id, version, created_at, updated_at, external_ids, sources, city_id, project_id, metric, unit, period, value) \
                 VALUES ({i}, {record}, {c}, {p}, 'non_revenue_water_rate', '%', '2006', '8')"),
        format!("INSERT INTO fundings (id, version, created_at, updated_at, external_ids, sources, project_id, kind, funder_description, amount_minor, currency) \
                 VALUES ({f}, {record}, {p}, 'disbursement', 'JICA', 500, 'JPY')"),
        format!("INSERT INTO refs (from_id, field, to_id, from_resource, to_resource) VALUES \
                 ({p}, 'city_ids', {c}, 'project', 'city'), ({i}, 'city_id', {c}, 'indicator', 'city'), \
                 ({i}, 'project_id', {p}, 'indicator', 'project'), ({f}, 'project_id', {p}, 'funding', 'project')"),
        format!("INSERT INTO changes (seq, resource, record_id, op, version, at, actor) VALUES \
                 (1, 'city', {c}, 'create', 1, '2026-11-20T00:00:00Z', 'seed'), (2, 'project', {p}, 'create', 1, '2026-11-20T00:00:00Z', 'seed'), \
                 (3, 'indicator', {i}, 'create', 1, '2026-11-20T00:00:00Z', 'seed'), (4, 'funding', {f}, 'create', 1, '2026-11-20T00:00:00Z', 'seed')"),
    ] {
        execute(&db, &sql).await;
    }
    migration::Migrator::up(&db, None).await.unwrap();
    // The project's `results` changed shape, so it has a new version in the feed; the others only
    // gained empty fields and keep theirs.
    let feed = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT seq, resource, version, actor FROM changes WHERE seq > 4 ORDER BY seq",
        ))
        .await
        .unwrap();
    let feed: Vec<(i64, String, i32, String)> = feed
        .iter()
        .map(|row| {
            (
                row.try_get("", "seq").unwrap(),
                row.try_get("", "resource").unwrap(),
                row.try_get("", "version").unwrap(),
                row.try_get("", "actor").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        feed,
        vec![(5, "project".to_owned(), 2, "migration".to_owned())]
    );
    db.close().await.unwrap();

    let app = spawn_with(engine, |settings| settings.database_url = url.clone())
        .await
        .unwrap();
    let read = app.get(&format!("/v1/projects/{project}")).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(
        (
            &read.body["results_summary"],
            &read.body["results"],
            &read.body["version"]
        ),
        (
            &json!("Non-revenue water fell to 8%."),
            &json!([]),
            &json!(2)
        )
    );
    let read = app.get(&format!("/v1/indicators/{indicator}")).await.body;
    assert_eq!(
        (
            &read["city_id"],
            &read["period"],
            &read["value"],
            &read["version"],
            &read["country"]
        ),
        (
            &json!(city),
            &json!("2006"),
            &json!("8"),
            &json!(1),
            &Value::Null
        )
    );
    let read = app.get(&format!("/v1/fundings/{funding}")).await.body;
    assert_eq!(
        (
            &read["project_id"],
            &read["amount"],
            &read["recipient_country"]
        ),
        (&json!(project), &json!("500"), &Value::Null)
    );
    // The new fields work on the migrated database.
    let marked = app
        .patch(
            &format!("/v1/projects/{project}"),
            &json!({"policy_markers": [{"marker": "environment", "significance": 2}]}),
        )
        .await;
    assert_eq!(marked.status, StatusCode::OK, "{}", marked.body);
    assert_eq!(
        app.list_all("/v1/projects?policy_marker=environment")
            .await
            .len(),
        1
    );
    app.create(
        "fundings",
        json!({"recipient_country": "KH", "kind": "pledge", "funder_description": "ODA"}),
    )
    .await;
}

#[actix_web::test]
async fn results_migration_carries_projects_indicators_and_fundings_across_sqlite() {
    results_migration_carries_projects_indicators_and_fundings_across(Engine::Sqlite).await;
}

#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
)]
#[actix_web::test]
async fn results_migration_carries_projects_indicators_and_fundings_across_postgres() {
    results_migration_carries_projects_indicators_and_fundings_across(Engine::Postgres).await;
}

/// The migrations before documents became records.
const BEFORE_DOCUMENTS: u32 = 10;

async fn documents_migration_turns_document_keys_into_records(engine: Engine) {
    let Some((url, _dir)) = empty_database(engine).await else {
        return;
    };
    let db = Database::connect(&url).await.unwrap();
    migration::Migrator::up(&db, Some(BEFORE_DOCUMENTS))
        .await
        .unwrap();
    let [city, bare] = [(); 2].map(|_| uuid::Uuid::now_v7().to_string());
    let [c, b] = [&city, &bare].map(|id| id_sql(engine, id));
    let sources = r#"[{"document": "kido-kita", "locator": "p. 1", "quote": "Kitakyushu"}, {"document": "iges-2018", "quote": "Kitakyushu City"}, {"document": "kido-kita", "quote": "KITA"}]"#;
    for sql in [
        format!("INSERT INTO records (id, resource) VALUES ({c}, 'city'), ({b}, 'city')"),
        format!("INSERT INTO cities (id, version, created_at, updated_at, external_ids, sources, name, country) VALUES \
                 ({c}, 3, '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z', '{{}}', '{sources}', 'Kitakyushu', 'JP'), \
                 ({b}, 1, '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z', '{{}}', '[]', 'Dalian', 'CN')"),
        format!("INSERT INTO changes (seq, resource, record_id, op, version, at, actor) VALUES \
                 (7, 'city', {c}, 'update', 3, '2026-11-20T00:00:00Z', 'editor'), (8, 'city', {b}, 'create', 1, '2026-11-20T00:00:00Z', 'seed')"),
    ] {
        execute(&db, &sql).await;
    }
    migration::Migrator::up(&db, None).await.unwrap();
    let id_of = |key: &str| {
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("document/{key}").as_bytes(),
        )
        .to_string()
    };
    let (iges, kido) = (id_of("iges-2018"), id_of("kido-kita"));
    // The two documents are created in key order, then the city that cites them is updated; the city
    // without sources is left alone.
    let feed = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT seq, resource, op, version FROM changes WHERE seq > 8 ORDER BY seq",
        ))
        .await
        .unwrap();
    let feed: Vec<(i64, String, String, i32)> = feed
        .iter()
        .map(|row| {
            (
                row.try_get("", "seq").unwrap(),
                row.try_get("", "resource").unwrap(),
                row.try_get("", "op").unwrap(),
                row.try_get("", "version").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        feed,
        vec![
            (9, "document".to_owned(), "create".to_owned(), 1),
            (10, "document".to_owned(), "create".to_owned(), 1),
            (11, "city".to_owned(), "update".to_owned(), 4),
        ]
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM refs WHERE field = 'sources'").await,
        2
    );
    db.close().await.unwrap();

    let app = spawn_with(engine, |settings| settings.database_url = url.clone())
        .await
        .unwrap();
    let read = app.get(&format!("/v1/cities/{city}")).await.body;
    assert_eq!(read["version"], 4);
    assert_eq!(
        read["sources"],
        json!([
            {"document_id": kido, "locator": "p. 1", "quote": "Kitakyushu"},
            {"document_id": iges, "locator": null, "quote": "Kitakyushu City"},
            {"document_id": kido, "locator": null, "quote": "KITA"},
        ])
    );
    assert_eq!(
        app.get(&format!("/v1/cities/{bare}")).await.body["version"],
        1
    );
    let document = app.get(&format!("/v1/documents/{kido}")).await.body;
    assert_eq!(document["title"], "kido-kita");
    let cited = app
        .get(&format!("/v1/documents/{kido}/citations"))
        .await
        .body;
    assert_eq!(
        cited["items"],
        json!([{"resource": "city", "id": city, "href": format!("/v1/cities/{city}")}])
    );
    app.delete(&format!("/v1/documents/{iges}"))
        .await
        .assert_problem(409, "");
}

#[actix_web::test]
async fn documents_migration_turns_document_keys_into_records_sqlite() {
    documents_migration_turns_document_keys_into_records(Engine::Sqlite).await;
}

#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
)]
#[actix_web::test]
async fn documents_migration_turns_document_keys_into_records_postgres() {
    documents_migration_turns_document_keys_into_records(Engine::Postgres).await;
}

/// The names of the cities `q` finds, sorted.
async fn cities_found(app: &crate::helpers::TestApp, q: &str) -> Vec<String> {
    let mut names: Vec<String> = app
        .list_all(&format!("/v1/cities?q={q}"))
        .await
        .iter()
        .map(|city| city["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// The migrations before the trigram index of search terms.
const BEFORE_SEARCH_TRIGRAMS: u32 = 15;

async fn search_trigrams_migration_carries_terms_across(engine: Engine) {
    let Some((url, _dir)) = empty_database(engine).await else {
        return;
    };
    let db = Database::connect(&url).await.unwrap();
    migration::Migrator::up(&db, Some(BEFORE_SEARCH_TRIGRAMS))
        .await
        .unwrap();
    let [hai_phong, kitakyushu] = [(); 2].map(|_| uuid::Uuid::now_v7().to_string());
    let [h, k] = [&hai_phong, &kitakyushu].map(|id| id_sql(engine, id));
    for sql in [
        format!("INSERT INTO records (id, resource) VALUES ({h}, 'city'), ({k}, 'city')"),
        format!("INSERT INTO cities (id, version, created_at, updated_at, external_ids, sources, name, country) VALUES \
                 ({h}, 1, '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z', '{{}}', '[]', 'Hai Phong', 'VN'), \
                 ({k}, 1, '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z', '{{}}', '[]', 'Kitakyushu', 'JP')"),
        format!("INSERT INTO search_terms (record_id, resource, term) VALUES \
                 ({h}, 'city', 'haiphong'), ({k}, 'city', 'kitakyushu')"),
        "INSERT INTO index_versions (name, version) VALUES ('search_terms', 1)".to_owned(),
    ] {
        execute(&db, &sql).await;
    }
    migration::Migrator::up(&db, None).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM search_terms").await, 2);
    db.close().await.unwrap();

    let app = spawn_with(engine, |settings| settings.database_url = url.clone())
        .await
        .unwrap();
    // The carried terms are found by any part: three letters or more through the trigrams, fewer
    // by reading the terms.
    assert_eq!(cities_found(&app, "phong").await, ["Hai Phong"]);
    assert_eq!(cities_found(&app, "kyu").await, ["Kitakyushu"]);
    assert_eq!(cities_found(&app, "h").await, ["Hai Phong", "Kitakyushu"]);
    assert_eq!(cities_found(&app, "ph").await, ["Hai Phong"]);
    assert!(cities_found(&app, "phongx").await.is_empty());
    // New terms are found, changed ones found under their new text only, deleted ones not at all.
    let da_nang = app
        .create(
            "cities",
            json!({"name": "Da Nang", "country": "VN", "aliases": ["Đà Nẵng"]}),
        )
        .await;
    assert_eq!(cities_found(&app, "anan").await, ["Da Nang"]);
    app.patch(
        &format!("/v1/cities/{kitakyushu}"),
        &json!({"name": "Yahata"}),
    )
    .await;
    assert_eq!(cities_found(&app, "ahat").await, ["Yahata"]);
    assert!(cities_found(&app, "kyu").await.is_empty());
    app.delete(&format!("/v1/cities/{hai_phong}")).await;
    assert!(cities_found(&app, "phong").await.is_empty());
    let db = app.store.connection();
    if matches!(engine, Engine::Sqlite) {
        // VACUUM keeps the terms' ids, which the trigram table reads them by.
        db.execute_unprepared("VACUUM").await.unwrap();
        db.execute_unprepared(
            "INSERT INTO search_trigrams (search_trigrams) VALUES ('integrity-check')",
        )
        .await
        .unwrap();
    }
    assert_eq!(cities_found(&app, "nang").await, ["Da Nang"]);
    app.delete(&format!("/v1/cities/{da_nang}")).await;
    assert!(cities_found(&app, "nang").await.is_empty());
}

#[actix_web::test]
async fn search_trigrams_migration_carries_terms_across_sqlite() {
    search_trigrams_migration_carries_terms_across(Engine::Sqlite).await;
}

#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
)]
#[actix_web::test]
async fn search_trigrams_migration_carries_terms_across_postgres() {
    search_trigrams_migration_carries_terms_across(Engine::Postgres).await;
}
