//! A client's mistakes: each is a 4xx problem+json naming the field, never a 500, and writes nothing.

use awc::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::crud::fixture;
use crate::helpers::{on_both_engines, Reply, TestApp};

/// Sends a bad write and checks that it failed with `status` on `field` and left no trace.
pub async fn refused(
    app: &TestApp,
    reply_of: impl std::future::Future<Output = Reply>,
    status: u16,
    field: &str,
) -> Reply {
    let before = app.change_count().await;
    let reply = reply_of.await;
    reply.assert_problem(status, field);
    assert!(reply.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(reply.body["request_id"].is_string());
    assert_eq!(
        app.change_count().await,
        before,
        "a refused write left a change behind"
    );
    reply
}

on_both_engines! {
    async fn malformed_bodies_are_400(app: TestApp) {
        for body in ["{\"name\": \"Kitakyushu\"", "not json", "", "{\"name\": \"A\"} trailing"] {
            let reply = app.request(Method::POST, "/v1/cities", Some(body.as_bytes().to_vec()), &[]);
            refused(&app, reply, 400, "").await;
        }
        let wrong_type = app.request(Method::POST, "/v1/cities", Some(b"{}".to_vec()),
            &[("content-type", "text/plain")]);
        refused(&app, wrong_type, 415, "").await;
    }

    async fn shape_errors_name_the_field(app: TestApp) {
        let cases: Vec<(Value, &str)> = vec![
            (json!({"name": 42, "country": "JP"}), "/name"),
            (json!({"name": "A", "country": "JP", "population": -5}), "/population"),
            (json!({"name": "A", "country": "JP", "population": "many"}), "/population"),
            (json!({"name": "A", "country": "JP", "nickname": "x"}), "/nickname"),
            (json!({"country": "JP"}), "/name"),
            (json!({"name": "A"}), "/country"),
            (json!({"name": "A", "country": "XX"}), "/country"),
            (json!({"name": "A", "country": "jp"}), "/country"),
            (json!({"name": "", "country": "JP"}), "/name"),
            (json!({"name": "x".repeat(10_000), "country": "JP"}), "/name"),
            (json!({"name": "A", "country": "JP", "latitude": 91.0}), "/latitude"),
            (json!({"name": "A", "country": "JP", "sources": [{"document_id": uuid::Uuid::now_v7()}]}), "/sources/0/quote"),
            (json!({"name": "A", "country": "JP", "sources": [{"document": "d", "quote": "q"}]}), "/sources/0/document"),
            (json!({"name": "A", "country": "JP", "sources": [{"document_id": "d", "quote": "q"}]}), "/sources/0/document_id"),
            (json!({"name": "A", "country": "JP", "external_ids": {"bad system": "1"}}), "/external_ids"),
            (json!([1, 2]), ""),
        ];
        for (body, field) in cases {
            refused(&app, app.post("/v1/cities", &body), 422, field).await;
        }
        // serde would read a struct out of its fields in order, a term out of `[from, until]`; an
        // object must be an object.
        let agreement = json!({"title": "T", "kind": "other", "term": [null, null]});
        refused(&app, app.post("/v1/agreements", &agreement), 422, "/term").await;
    }

    async fn rule_errors_name_the_field(app: TestApp) {
        let f = fixture(&app).await;
        let missing = "00000000-0000-4000-8000-000000000000";
        let cases: Vec<(&str, Value, &str)> = vec![
            ("partnerships", json!({"city_ids": [f.kitakyushu], "kind": "sister_city"}), "/city_ids"),
            ("partnerships", json!({"city_ids": [f.kitakyushu, f.kitakyushu], "kind": "sister_city"}), "/city_ids/1"),
            ("partnerships", json!({"city_ids": [f.kitakyushu, missing], "kind": "sister_city"}), "/city_ids/1"),
            ("partnerships", json!({"city_ids": [f.kitakyushu, f.phnom_penh], "kind": "twin"}), "/kind"),
            ("partnerships", json!({"city_ids": [f.kitakyushu, f.phnom_penh], "kind": "other",
                "established": "2016-02-30"}), "/established"),
            ("partnerships", json!({"city_ids": [f.kitakyushu, f.phnom_penh], "kind": "other",
                "established": "2016-13"}), "/established"),
            ("partnerships", json!({"city_ids": [f.kitakyushu, f.phnom_penh], "kind": "other",
                "established": "2016", "ended": "2015"}), "/ended"),
            ("fundings", json!({"project_id": f.project, "kind": "commitment", "funder_id": f.jica, "amount": "-5", "currency": "JPY"}), "/amount"),
            ("fundings", json!({"project_id": f.project, "kind": "commitment", "funder_id": f.jica, "amount": "5"}), "/currency"),
            ("fundings", json!({"project_id": f.project, "kind": "commitment", "funder_id": f.jica, "amount": "5", "currency": "YEN"}), "/currency"),
            ("fundings", json!({"project_id": f.project, "kind": "commitment", "funder_id": f.jica, "amount": "5.5", "currency": "JPY"}), "/amount"),
            ("fundings", json!({"project_id": f.project, "kind": "commitment", "funder_id": f.jica, "amount": 5, "currency": "JPY"}), "/amount"),
            ("fundings", json!({"project_id": f.project, "kind": "commitment", "funder_id": missing}), "/funder_id"),
            ("fundings", json!({"project_id": "not-a-uuid", "kind": "commitment", "funder_id": f.jica}), "/project_id"),
            ("projects", json!({"title": "T", "city_ids": []}), "/city_ids"),
            ("projects", json!({"title": "T", "city_ids": [f.kitakyushu], "sectors": ["space"]}), "/sectors/0"),
            ("projects", json!({"title": "T", "city_ids": [f.kitakyushu],
                "participants": [{"organization_id": missing, "role": "funder"}]}), "/participants/0/organization_id"),
            ("exchanges", json!({"kind": "seminar"}), "/project_id"),
            ("exchanges", json!({"kind": "seminar", "project_id": f.project, "participants": -1}), "/participants"),
            ("indicators", json!({"city_id": f.kitakyushu, "metric": "Bad Metric", "unit": "%",
                "period": "2006", "value": "1"}), "/metric"),
            ("fundings", json!({"project_id": f.project, "kind": "commitment", "funder_id": f.jica, "amount": "-0", "currency": "JPY"}), "/amount"),
            ("indicators", json!({"city_id": f.kitakyushu, "metric": "rate", "unit": "%",
                "period": "2006", "value": "1,5"}), "/value"),
            // 29 digits before the point: more than arithmetic on values keeps.
            ("indicators", json!({"city_id": f.kitakyushu, "metric": "rate", "unit": "%",
                "period": "2006", "value": format!("1{}", "0".repeat(28))}), "/value"),
            ("indicators", json!({"city_id": f.kitakyushu, "metric": "rate", "unit": "%",
                "period": "2006", "value": format!("0.{}", "1".repeat(39))}), "/value"),
            ("agreements", json!({"title": "T", "kind": "other", "partnership_id": missing}), "/partnership_id"),
            // An organization's id is no city, even where the same body names it as an organization.
            ("networks", json!({"name": "N", "kind": "forum", "secretariat_id": f.jica,
                "members": [{"city_id": f.jica}]}), "/members/0/city_id"),
        ];
        for (collection, body, field) in cases {
            refused(&app, app.post(&format!("/v1/{collection}"), &body), 422, field).await;
        }
        // Every broken rule is reported, not just the first.
        let reply = app.post("/v1/exchanges", &json!({"kind": "seminar", "project_id": missing,
            "to_city_id": missing, "start": "2010", "end": "2009"})).await;
        let mut fields = reply.error_fields();
        fields.sort();
        assert_eq!(fields, ["/end", "/project_id", "/to_city_id"]);
    }

    async fn bad_paths_and_parameters_are_400(app: TestApp) {
        refused(&app, app.request(Method::DELETE, "/v1/cities/12345", None, &[]), 400, "id").await;
        refused(&app, app.put("/v1/cities/not-a-uuid", &json!({"name": "A", "country": "JP"})), 400, "id").await;
        app.get("/v1/cities/not-a-uuid").await.assert_problem(400, "id");
        for (query, field) in [
            ("limit=0", "limit"), ("limit=100000", "limit"), ("limit=ten", "limit"), ("limit=-1", "limit"),
            ("cursor=forged", "cursor"), ("cursor=eyJzb3J0IjoiaWQiLCJhZnRlciI6WzFdfQ", "cursor"),
            ("sort=colour", "sort"), ("sort=name,,id", "sort"), ("colour=red", "colour"),
            ("country=XX", "country"), ("updated_since=yesterday", "updated_since"),
            ("limit=5&limit=6", "limit"),
        ] {
            app.get(&format!("/v1/cities?{query}")).await.assert_problem(400, field);
        }
        app.get("/v1/projects?start_from=2016-13").await.assert_problem(400, "start_from");
        app.get("/v1/projects?sector=space").await.assert_problem(400, "sector");
        let long = format!("/v1/cities?q={}", "a".repeat(5000));
        app.get(&long).await.assert_problem(400, "");
    }

    async fn oversized_bodies_are_413(app: TestApp) {
        let huge = json!({"name": "A", "country": "JP", "notes": "x".repeat(2 << 20)});
        let reply = app.post("/v1/cities", &huge);
        refused(&app, reply, 413, "").await;
    }

    async fn unknown_endpoints_are_problem_404s(app: TestApp) {
        let reply = app.get("/v1/planets").await;
        reply.assert_problem(404, "");
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
    }
}

on_both_engines! {
    async fn an_undeclared_method_on_a_known_path_is_405_with_allow(app: TestApp) {
        let city = app.create("cities", json!({"name": "Dalian", "country": "CN"})).await;
        for (method, path, allow) in [
            (Method::TRACE, "/v1/cities".to_owned(), "GET, HEAD, POST"),
            (Method::DELETE, "/v1/stats/overview".to_owned(), "GET, HEAD"),
            (Method::POST, format!("/v1/cities/{city}"), "GET, HEAD, PUT, PATCH, DELETE"),
            (Method::PUT, "/v1/stats/fundings".to_owned(), "GET, HEAD"),
        ] {
            let reply = app.request(method.clone(), &path, None, &[]).await;
            reply.assert_problem(405, "");
            assert_eq!(reply.header("allow").as_deref(), Some(allow), "{method} {path}");
        }
        app.request(Method::PATCH, "/v1/nowhere", None, &[]).await.assert_problem(404, "");
        // HEAD is GET without the body.
        let head = app.request(Method::HEAD, &format!("/v1/cities/{city}"), None, &[]).await;
        assert_eq!(head.status, StatusCode::OK);
        assert!(head.raw.is_empty());
        assert_eq!(head.header("etag").as_deref(), Some("\"1\""));
    }
}
