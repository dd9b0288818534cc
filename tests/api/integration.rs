//! Keeping a partner database in step: the change feed, idempotent retries, upserts by external id,
//! bulk import and export.

use std::cell::Cell;
use std::collections::BTreeMap;

use awc::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{on_both_engines, spawn_with, Engine, TestApp};

fn ndjson(lines: &[Value]) -> Vec<u8> {
    lines
        .iter()
        .map(|line| format!("{line}\n"))
        .collect::<String>()
        .into_bytes()
}

async fn import(app: &TestApp, body: Vec<u8>, content_type: &str) -> crate::helpers::Reply {
    app.request(
        Method::POST,
        "/v1/import",
        Some(body),
        &[("content-type", content_type)],
    )
    .await
}

/// Every city, by id, as the API shows it.
async fn cities(app: &TestApp) -> BTreeMap<String, Value> {
    app.list_all("/v1/cities?limit=500")
        .await
        .into_iter()
        .map(|city| (city["id"].as_str().unwrap().to_owned(), city))
        .collect()
}

async fn export(app: &TestApp, query: &str) -> Vec<u8> {
    let reply = app.get(&format!("/v1/export{query}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.raw
}

on_both_engines! {
    async fn a_feed_follower_ends_with_the_servers_data(app: TestApp) {
        let done = Cell::new(false);
        // Four writers create, change and delete cities at the same time.
        let writer = |w: usize| {
            let app = &app;
            async move {
                let mut ids = Vec::new();
                for i in 0..8 {
                    ids.push(app.create("cities", json!({"name": format!("W{w} C{i}"), "country": "JP"})).await);
                    if i % 3 == 2 {
                        let reply = app.patch(&format!("/v1/cities/{}", ids[i - 1]), &json!({"region": format!("r{i}")})).await;
                        assert_eq!(reply.status, StatusCode::OK);
                    }
                    if i % 4 == 3 {
                        let reply = app.delete(&format!("/v1/cities/{}", ids[i - 2])).await;
                        assert_eq!(reply.status, StatusCode::NO_CONTENT);
                    }
                }
            }
        };
        let writers = async {
            futures_util::future::join_all((0..4).map(writer)).await;
            done.set(true);
        };
        // A follower polls the feed and applies each change to its mirror.
        let follower = async {
            let mut mirror: BTreeMap<String, Value> = BTreeMap::new();
            let mut after = 0;
            let mut seen = Vec::new();
            loop {
                let finished = done.get();
                let page = app.get(&format!("/v1/changes?after={after}&limit=7")).await;
                assert_eq!(page.status, StatusCode::OK);
                let items = page.body["items"].as_array().unwrap().clone();
                for change in &items {
                    seen.push(change["seq"].as_i64().unwrap());
                    let id = change["id"].as_str().unwrap().to_owned();
                    let record = app.get(&format!("/v1/cities/{id}")).await;
                    if change["op"] == "delete" || record.status == StatusCode::NOT_FOUND {
                        mirror.remove(&id);
                    } else {
                        mirror.insert(id, record.body);
                    }
                }
                after = page.body["next"].as_i64().unwrap();
                if items.is_empty() && finished {
                    return (mirror, seen);
                }
                if items.is_empty() {
                    actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            }
        };
        let (_, (mirror, seen)) = futures_util::future::join(writers, follower).await;
        // 4 × (8 creates + 2 updates + 2 deletes), numbered 1, 2, 3… with no gap.
        assert_eq!(seen, (1..=48).collect::<Vec<i64>>());
        assert_eq!(mirror, cities(&app).await);
        assert_eq!(mirror.len(), 24);
        // Filters.
        let organization = app.create("organizations", json!({"name": "KITA", "kind": "ngo"})).await;
        let of = |resource: &str| {
            let app = &app;
            let path = format!("/v1/changes?limit=1000&resource={resource}");
            async move {
                let page = app.get(&path).await;
                page.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
            }
        };
        assert_eq!(of("city").await.len(), 48);
        assert_eq!(of("organization").await, [organization]);
        // One record's history: its create, then what happened to it.
        let one = mirror.keys().next().unwrap();
        let history = app.get(&format!("/v1/changes?id={one}")).await;
        let history = history.body["items"].as_array().unwrap();
        assert_eq!(history[0]["op"], "create");
        assert_eq!(history.len(), mirror[one]["version"].as_u64().unwrap() as usize);
        assert!(history.iter().all(|c| c["id"] == one.as_str()));
        app.get("/v1/changes?limit=0").await.assert_problem(400, "limit");
        app.get("/v1/changes?after=-1").await.assert_problem(400, "after");
        app.get("/v1/changes?resource=planet").await.assert_problem(400, "resource");
    }

    async fn idempotent_retries_return_the_first_response(app: TestApp) {
        let body = json!({"name": "Kitakyushu", "country": "JP"}).to_string().into_bytes();
        let post = |key: &'static str, body: Vec<u8>| {
            let app = &app;
            async move { app.request(Method::POST, "/v1/cities", Some(body), &[("idempotency-key", key)]).await }
        };
        let first = post("key-1", body.clone()).await;
        assert_eq!(first.status, StatusCode::CREATED);
        let changes = app.change_count().await;
        let retry = post("key-1", body.clone()).await;
        assert_eq!(retry.status, StatusCode::CREATED);
        assert_eq!(retry.raw, first.raw);
        assert_eq!(retry.header("location"), first.header("location"));
        assert_eq!(retry.header("idempotent-replayed").as_deref(), Some("true"));
        assert_eq!(app.change_count().await, changes);
        assert_eq!(cities(&app).await.len(), 1);
        // The same key with another body is refused and writes nothing.
        let other = post("key-1", json!({"name": "Dalian", "country": "CN"}).to_string().into_bytes()).await;
        other.assert_problem(422, "Idempotency-Key");
        assert_eq!(app.change_count().await, changes);
        // Concurrent retries create one record.
        let racing = futures_util::future::join_all((0..4).map(|_| post("key-2", body.clone()))).await;
        assert!(racing.iter().all(|r| r.status == StatusCode::CREATED && r.raw == racing[0].raw));
        assert_eq!(cities(&app).await.len(), 2);
        app.request(Method::POST, "/v1/cities", Some(body), &[("idempotency-key", "")]).await
            .assert_problem(400, "Idempotency-Key");
    }

    async fn partners_upsert_by_their_own_ids(app: TestApp) {
        let path = "/v1/cities/by-external-id/partner-db/42";
        let created = app.put(path, &json!({"name": "Hai Phong", "country": "VN"})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.body["external_ids"], json!({"partner-db": "42"}));
        let id = created.body["id"].as_str().unwrap().to_owned();
        assert_eq!(created.header("location"), Some(format!("/v1/cities/{id}")));
        let replaced = app.put(path, &json!({"name": "Hai Phong City", "country": "VN"})).await;
        assert_eq!(replaced.status, StatusCode::OK);
        assert_eq!(replaced.body["id"], id.as_str());
        assert_eq!(replaced.body["version"], 2);
        assert_eq!(cities(&app).await.len(), 1);
        app.put(path, &json!({"name": "X", "country": "VN", "external_ids": {"partner-db": "43"}})).await
            .assert_problem(422, "/external_ids/partner-db");
        app.put("/v1/cities/by-external-id/bad%20system/1", &json!({"name": "X", "country": "VN"})).await
            .assert_problem(400, "system");
    }

    async fn an_import_applies_whole_or_not_at_all(app: TestApp) {
        let kitakyushu = "0e3b2c1a-5d4f-4a7b-9c8d-000000000001";
        let dalian = "0e3b2c1a-5d4f-4a7b-9c8d-000000000002";
        let good = vec![
            json!({"resource": "city", "op": "upsert", "data": {"id": kitakyushu, "name": "Kitakyushu", "country": "JP"}}),
            json!({"resource": "city", "op": "upsert", "data": {"id": dalian, "name": "Dalian", "country": "CN"}}),
            // References records of earlier lines.
            json!({"resource": "partnership", "op": "upsert", "data": {"city_ids": [kitakyushu, dalian],
                "kind": "friendship_city", "external_ids": {"partner": "p1"}}}),
        ];
        // One bad line among good ones: 422 naming it, and nothing written.
        let mut bad = good.clone();
        bad.insert(2, json!({"resource": "city", "op": "upsert", "data": {"name": "Nowhere", "country": "XX"}}));
        bad.push(json!({"resource": "planet", "op": "upsert", "data": {}}));
        let changes = app.change_count().await;
        let refused = import(&app, ndjson(&bad), "application/x-ndjson").await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        let errors = refused.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!((errors[0]["line"].clone(), errors[0]["field"].clone()), (json!(3), json!("/data/country")));
        assert_eq!((errors[1]["line"].clone(), errors[1]["field"].clone()), (json!(5), json!("/resource")));
        assert_eq!(refused.body["refused_lines"], 2);
        assert_eq!(app.change_count().await, changes);
        assert!(cities(&app).await.is_empty());

        // The good lines apply, as NDJSON or as a JSON array.
        let applied = import(&app, ndjson(&good), "application/x-ndjson").await;
        assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
        assert_eq!(applied.body, json!({"lines": 3, "created": 3, "updated": 0, "unchanged": 0, "deleted": 0}));
        let array = serde_json::to_vec(&good).unwrap();
        let again = import(&app, array, "application/json").await;
        assert_eq!(again.body, json!({"lines": 3, "created": 0, "updated": 0, "unchanged": 3, "deleted": 0}));
        // Without an id, an upsert finds the record by its external id.
        assert_eq!(app.list_all("/v1/partnerships").await.len(), 1);

        // A delete of a referenced city is refused, naming who references it.
        let delete = ndjson(&[json!({"resource": "city", "op": "delete", "data": {"id": dalian}})]);
        let refused = import(&app, delete, "application/x-ndjson").await;
        refused.assert_problem(422, "/data/id");
        assert!(refused.body["errors"][0]["message"].as_str().unwrap().contains("partnership"));
        import(&app, b"{}".to_vec(), "text/plain").await.assert_problem(415, "");
    }

    async fn an_import_judges_each_line_after_the_lines_before_it(app: TestApp) {
        let a = "0e3b2c1a-5d4f-4a7b-9c8d-00000000000a";
        let b = "0e3b2c1a-5d4f-4a7b-9c8d-00000000000b";
        let p1 = "0e3b2c1a-5d4f-4a7b-9c8d-0000000000c1";
        let p2 = "0e3b2c1a-5d4f-4a7b-9c8d-0000000000c2";
        let city = |data: Value| json!({"resource": "city", "op": "upsert", "data": data});
        let project = |data: Value| json!({"resource": "project", "op": "upsert", "data": data});
        let lines = [
            city(json!({"id": a, "name": "A", "country": "JP", "external_ids": {"p": "1"}})),
            // The record the line before created, changed.
            city(json!({"id": a, "name": "A2", "country": "JP", "external_ids": {"p": "1"}})),
            // Found by the external id the first line gave it.
            city(json!({"name": "A3", "country": "JP", "external_ids": {"p": "1"}})),
            city(json!({"id": b, "name": "B", "country": "JP", "external_ids": {"p": "2"}})),
            project(json!({"id": p1, "title": "P1", "city_ids": [a]})),
            // A phase of the project the line before created.
            project(json!({"id": p2, "title": "P2", "city_ids": [a, b], "parent_id": p1})),
            city(json!({"id": a, "name": "A3", "country": "JP", "external_ids": {"p": "1"}})),
            // Gives up its external id, which the next line then takes for a new city.
            city(json!({"id": a, "name": "A4", "country": "JP"})),
            city(json!({"name": "C", "country": "JP", "external_ids": {"p": "1"}})),
        ];
        let before = app.change_count().await;
        let applied = import(&app, ndjson(&lines), "application/x-ndjson").await;
        assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
        assert_eq!(applied.body, json!({"lines": 9, "created": 5, "updated": 3, "unchanged": 1, "deleted": 0}));
        let first = app.get(&format!("/v1/cities/{a}")).await;
        assert_eq!((first.body["name"].clone(), first.body["version"].clone()), (json!("A4"), json!(4)));
        let names: Vec<Value> = cities(&app).await.values().map(|c| c["name"].clone()).collect();
        assert_eq!(names.len(), 3);
        let holder = app.list_all("/v1/cities?external_id=p:1").await;
        assert_eq!(holder.len(), 1);
        assert_eq!(holder[0]["name"], "C");
        assert_eq!(app.get(&format!("/v1/projects/{p2}")).await.body["parent_id"], p1);
        // The feed holds the lines' changes in line order.
        let feed = app.get(&format!("/v1/changes?after={before}&limit=100")).await;
        let ops: Vec<(String, String)> = feed.body["items"].as_array().unwrap().iter()
            .map(|c| (c["op"].as_str().unwrap().to_owned(), c["id"].as_str().unwrap().to_owned()))
            .collect();
        let c = holder[0]["id"].as_str().unwrap().to_owned();
        let expected: Vec<(String, String)> = [("create", a), ("update", a), ("update", a), ("create", b),
            ("create", p1), ("create", p2), ("update", a), ("create", c.as_str())]
            .iter().map(|(op, id)| (op.to_string(), id.to_string())).collect();
        assert_eq!(ops, expected);

        // Refused lines are named in line order, whichever way each was judged, and nothing is written.
        let x = "0e3b2c1a-5d4f-4a7b-9c8d-0000000000d1";
        let q = "0e3b2c1a-5d4f-4a7b-9c8d-0000000000d2";
        let nobody = "0e3b2c1a-5d4f-4a7b-9c8d-0000000000d3";
        let mut body = ndjson(&[
            city(json!({"id": x, "name": "X", "country": "JP", "external_ids": {"q": "1"}})),
            // Found by its first external id: the city of the line before, which takes `r` too.
            city(json!({"name": "Y", "country": "JP", "external_ids": {"q": "1", "r": "1"}})),
            city(json!({"id": nobody, "name": "Z", "country": "JP", "external_ids": {"r": "1", "q": "1"}})),
            project(json!({"id": x, "title": "Taken id", "city_ids": [a]})),
        ]);
        body.extend_from_slice(b"not json\n");
        body.extend(ndjson(&[
            project(json!({"id": q, "title": "Q", "city_ids": [a], "parent_id": q})),
            project(json!({"title": "Orphan", "city_ids": [a], "parent_id": nobody})),
            // A cycle that two updates close: b lies in a, then a in b.
            city(json!({"id": b, "name": "B", "country": "JP", "external_ids": {"p": "2"}, "parent_id": a})),
            city(json!({"id": a, "name": "A4", "country": "JP", "parent_id": b})),
        ]));
        let changes = app.change_count().await;
        let refused = import(&app, body, "application/x-ndjson").await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        let errors: Vec<(i64, String)> = refused.body["errors"].as_array().unwrap().iter()
            .map(|e| (e["line"].as_i64().unwrap(), e["field"].as_str().unwrap().to_owned()))
            .collect();
        let expected: Vec<(i64, String)> = [(3, "/data/external_ids/q"), (3, "/data/external_ids/r"),
            (4, "/data/id"), (5, ""), (6, "/data/parent_id"), (7, "/data/parent_id"), (9, "/data/parent_id")]
            .iter().map(|(line, field)| (*line, field.to_string())).collect();
        assert_eq!(errors, expected);
        assert_eq!(refused.body["refused_lines"], 6);
        assert_eq!(app.change_count().await, changes);
        assert_eq!(app.get(&format!("/v1/cities/{b}")).await.body["parent_id"], Value::Null);
    }

    async fn export_then_import_gives_the_same_bytes(app: TestApp) {
        // The seeds, then generated data on top.
        intercity::seed::load_dir(&app.store, &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds"))
            .await
            .unwrap();
        let generated: String = intercity::generate::lines(40).map(|line| line + "\n").collect();
        let applied = import(&app, generated.into_bytes(), "application/x-ndjson").await;
        assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
        let first = export(&app, "").await;
        let seeded: usize = crate::seeds::seed_counts().values().sum();
        assert_eq!(first.iter().filter(|b| **b == b'\n').count(), seeded + 40 * 7);

        let copy = spawn_with(app.engine, |_| {}).await.unwrap();
        let applied = import(&copy, first.clone(), "application/x-ndjson").await;
        assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
        let second = export(&copy, "").await;
        assert!(first == second, "the export of the copy differs");

        // One resource as CSV: a header, then a row per record.
        let csv = export(&app, "?format=csv&resource=funding").await;
        let text = String::from_utf8(csv).unwrap();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        assert_eq!(reader.headers().unwrap().iter().next(), Some("id"));
        assert_eq!(reader.records().count(), crate::seeds::seed_counts()["funding"] + 40);
        app.get("/v1/export?format=csv").await.assert_problem(400, "resource");
    }
}

/// Kept responses expire: with a lifetime of 0 hours, a retry is a new request.
async fn idempotency_keys_expire(engine: Engine) {
    let Some(app) = spawn_with(engine, |settings| settings.idempotency_ttl_hours = 0).await else {
        return;
    };
    let body = json!({"name": "Surabaya", "country": "ID"})
        .to_string()
        .into_bytes();
    for _ in 0..2 {
        let reply = app
            .request(
                Method::POST,
                "/v1/cities",
                Some(body.clone()),
                &[("idempotency-key", "k")],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    assert_eq!(cities(&app).await.len(), 2);
}

mod idempotency_expiry {
    #[actix_web::test]
    async fn sqlite() {
        super::idempotency_keys_expire(super::Engine::Sqlite).await;
    }

    #[cfg_attr(
        not(postgres_tests),
        ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
    )]
    #[actix_web::test]
    async fn postgres() {
        super::idempotency_keys_expire(super::Engine::Postgres).await;
    }
}
