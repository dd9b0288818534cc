//! Several instances behind one address share one database; a replica serves lists and aggregates.

use awc::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{fresh_database, on_both_engines, spawn_with, Engine, Reply, TestApp};

async fn post(instance: &TestApp, key: &str) -> Reply {
    let body = json!({"name": "Kitakyushu", "country": "JP"})
        .to_string()
        .into_bytes();
    instance
        .request(
            Method::POST,
            "/v1/cities",
            Some(body),
            &[("idempotency-key", key)],
        )
        .await
}

on_both_engines! {
    #[settings(|s: &mut intercity::config::Settings| s.stats_staleness_ms = 300)]
    async fn an_aggregate_shows_another_instances_write_within_its_staleness(app: TestApp) {
        let other = app.another_instance().await;
        let cities = |reply: Reply| reply.body["headline"]["cities"].as_i64().unwrap();
        let before = cities(app.get("/v1/stats/overview").await);
        other.create("cities", json!({"name": "Written Elsewhere", "country": "JP"})).await;
        actix_web::rt::time::sleep(std::time::Duration::from_millis(400)).await;
        assert_eq!(cities(app.get("/v1/stats/overview").await), before + 1);
        // This instance's own write shows at once.
        app.create("cities", json!({"name": "Written Here", "country": "JP"})).await;
        assert_eq!(cities(app.get("/v1/stats/overview").await), before + 2);
    }

    async fn instances_on_one_database_keep_one_feed_and_one_answer_per_key(app: TestApp) {
        let other = app.another_instance().await;
        // Four writers, two on each instance, create and change cities at the same time.
        let writer = |w: usize| {
            let instance = if w.is_multiple_of(2) { &app } else { &other };
            async move {
                for i in 0..6 {
                    let id = instance.create("cities", json!({"name": format!("W{w} C{i}"), "country": "JP"})).await;
                    if i % 2 == 1 {
                        let patched = instance.patch(&format!("/v1/cities/{id}"), &json!({"region": "r"})).await;
                        assert_eq!(patched.status, StatusCode::OK);
                    }
                }
            }
        };
        futures_util::future::join_all((0..4).map(writer)).await;
        // 4 × (6 creates + 3 updates), numbered 1, 2, 3… with no gap, and each instance lists them all.
        let feed = other.get("/v1/changes?limit=1000").await;
        let seqs: Vec<i64> = feed.body["items"].as_array().unwrap().iter().map(|c| c["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, (1..=36).collect::<Vec<i64>>());
        assert_eq!(app.list_all("/v1/cities?limit=100").await.len(), 24);
        assert_eq!(other.list_all("/v1/cities?limit=100").await.len(), 24);

        // A retry sent to the other instance is answered as the first time, and writes nothing.
        let first = post(&app, "once").await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        let retry = post(&other, "once").await;
        assert_eq!(retry.raw, first.raw);
        assert_eq!(retry.header("idempotent-replayed").as_deref(), Some("true"));
        // The same key sent to both at once creates one record.
        let (a, b) = futures_util::future::join(post(&app, "racing"), post(&other, "racing")).await;
        assert_eq!((a.status, b.status), (StatusCode::CREATED, StatusCode::CREATED));
        assert_eq!(a.raw, b.raw);
        assert_eq!(app.list_all("/v1/cities?q=kitakyushu").await.len(), 2);
        assert_eq!(app.change_count().await, 38);
    }
}

/// With `DATABASE_READ_URL`, lists and aggregates come from the replica; a record by id, the feed and
/// writes from the primary. The "replica" here is another database whose content differs, so each
/// answer shows which one it came from.
async fn a_replica_serves_lists_and_aggregates(engine: Engine) {
    let Some((replica_url, _replica_dir)) = fresh_database(engine).await else {
        return;
    };
    let replica = spawn_with(engine, |settings| {
        settings.database_url = replica_url.clone()
    })
    .await
    .unwrap();
    let only_on_replica = replica
        .create("cities", json!({"name": "Replica City", "country": "KH"}))
        .await;
    let app = spawn_with(engine, |settings| {
        settings.database_read_url = Some(replica_url.clone())
    })
    .await
    .unwrap();

    let written = app
        .create("cities", json!({"name": "Primary City", "country": "JP"}))
        .await;
    assert_eq!(
        app.get(&format!("/v1/cities/{written}")).await.body["name"],
        "Primary City"
    );
    let listed: Vec<Value> = app
        .list_all("/v1/cities")
        .await
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(listed, [json!(only_on_replica)]);
    let overview = app.get("/v1/stats/overview").await;
    assert_eq!(overview.body["headline"]["cities"], 1);
    assert_eq!(
        app.get(&format!("/v1/cities/{only_on_replica}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v1/changes").await.body["items"][0]["id"],
        json!(written)
    );
}

mod a_replica_serves_lists_and_aggregates {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        a_replica_serves_lists_and_aggregates(Engine::Sqlite).await;
    }

    #[cfg_attr(
        not(postgres_tests),
        ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
    )]
    #[actix_web::test]
    async fn postgres() {
        a_replica_serves_lists_and_aggregates(Engine::Postgres).await;
    }
}
