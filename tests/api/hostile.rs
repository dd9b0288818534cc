//! Hostile values get the same clear 4xx on both engines, never a 500: U+0000 anywhere a client puts
//! text, amounts at and past the maximum, and text that a spreadsheet would run as a formula.

use awc::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::crud::fixture;
use crate::errors::refused;
use crate::helpers::{on_both_engines, Reply};

/// The refusal names exactly `field`, and nothing else.
#[track_caller]
fn names_only(reply: &Reply, field: &str) {
    assert_eq!(reply.error_fields(), [field], "{}", reply.body);
}

/// A CSV answer's records, header first, without the byte-order mark.
fn csv_records(reply: &Reply) -> Vec<Vec<String>> {
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.raw)
    );
    let text = String::from_utf8(reply.raw.clone()).unwrap();
    let text = text.strip_prefix('\u{feff}').unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The values of `column` in a CSV answer.
fn csv_column(reply: &Reply, column: &str) -> Vec<String> {
    let records = csv_records(reply);
    let at = records[0].iter().position(|name| name == column).unwrap();
    records[1..]
        .iter()
        .map(|record| record[at].clone())
        .collect()
}

/// `(currency, total_amount, count)` of each funding row.
fn totals(rows: &Value) -> Vec<(String, String, i64)> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["currency"].as_str().unwrap().to_owned(),
                row["total_amount"].as_str().unwrap().to_owned(),
                row["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

on_both_engines! {
    async fn nul_in_a_body_is_422_naming_its_pointer(app: TestApp) {
        let f = fixture(&app).await;
        let city = format!("/v1/cities/{}", f.kitakyushu);
        let nul = "Kita\u{0}kyushu";
        let cases: Vec<(Method, String, Value, &str)> = vec![
            (Method::POST, "/v1/cities".into(), json!({"name": nul, "country": "JP"}), "/name"),
            (Method::POST, "/v1/cities".into(), json!({"name": "\u{0}", "country": "JP"}), "/name"),
            // A key with NUL names the object that holds it: here the body itself.
            (Method::POST, "/v1/cities".into(), json!({"name": "A", "country": "JP", "no\u{0}tes": "x"}), ""),
            (Method::POST, "/v1/cities".into(),
                json!({"name": "A", "country": "JP", "external_ids": {"jica": nul}}), "/external_ids/jica"),
            (Method::POST, "/v1/cities".into(),
                json!({"name": "A", "country": "JP", "external_ids": {"ji\u{0}ca": "1"}}), "/external_ids"),
            (Method::POST, "/v1/cities".into(), json!({"name": "A", "country": "JP",
                "sources": [{"document_id": f.document, "quote": "q"}, {"document_id": f.document, "quote": nul}]}), "/sources/1/quote"),
            (Method::POST, "/v1/cities".into(), json!({"name": "A", "country": "JP",
                "sources": [{"document_id": f.document, "quote": "q", "loc\u{0}ator": "p. 1"}]}), "/sources/0"),
            (Method::POST, "/v1/projects".into(),
                json!({"title": "T", "city_ids": [f.kitakyushu], "sectors": ["water_supply\u{0}"]}), "/sectors/0"),
            (Method::POST, "/v1/partnerships".into(),
                json!({"city_ids": [f.kitakyushu, "\u{0}"], "kind": "sister_city"}), "/city_ids/1"),
            (Method::POST, "/v1/fundings".into(), json!({"project_id": f.project, "kind": "commitment", "funder_id": f.jica,
                "amount": "5\u{0}", "currency": "JPY"}), "/amount"),
            (Method::PUT, city.clone(), json!({"name": nul, "country": "JP"}), "/name"),
            (Method::PATCH, city.clone(), json!({"notes": nul}), "/notes"),
            // Even a key the merge would drop is refused.
            (Method::PATCH, city.clone(), json!({"no\u{0}tes": null}), ""),
            (Method::PATCH, city.clone(), json!({"external_ids": {"jica": nul}}), "/external_ids/jica"),
            (Method::PUT, "/v1/cities/by-external-id/partner/1".into(), json!({"name": nul, "country": "JP"}), "/name"),
        ];
        for (method, path, body, field) in cases {
            let reply = app.request(method.clone(), &path, Some(body.to_string().into_bytes()), &[]);
            let reply = refused(&app, reply, 422, field).await;
            names_only(&reply, field);
        }
        // Key names are text too (keys are not in the change feed: list them).
        let key_names = || async {
            let keys = app.request_with(Method::GET, "/v1/keys", None, &[], Some(&app.admin_token)).await;
            keys.body["items"].as_array().unwrap().iter().map(|key| key["name"].clone()).collect::<Vec<_>>()
        };
        let body = json!({"name": "a\u{0}b", "role": "reader"}).to_string().into_bytes();
        let reply = app.request_with(Method::POST, "/v1/keys", Some(body), &[], Some(&app.admin_token)).await;
        reply.assert_problem(422, "/name");
        names_only(&reply, "/name");
        assert_eq!(key_names().await, ["reader", "editor", "admin"]);
        // A raw NUL byte is not JSON at all.
        let raw = b"{\"name\": \"a\x00\", \"country\": \"JP\"}".to_vec();
        refused(&app, app.request(Method::POST, "/v1/cities", Some(raw), &[]), 400, "").await;
        // Nothing of the refused writes shows.
        let city = app.get(&city).await;
        assert_eq!((city.body["name"].clone(), city.body["version"].clone()), (json!("Kitakyushu"), json!(1)));
        assert_eq!(app.list_all("/v1/cities").await.len(), 2);
    }

    async fn nul_in_an_import_line_is_422_naming_the_line(app: TestApp) {
        let good = json!({"resource": "city", "op": "upsert", "data": {"name": "Dalian", "country": "CN"}});
        let lines = [
            good.clone(),
            json!({"resource": "city", "op": "upsert", "data": {"name": "Kita\u{0}kyushu", "country": "JP"}}),
            json!({"resource": "city", "op": "upsert", "data": {"name": "A", "country": "JP", "x\u{0}": 1}}),
            json!({"resource": "city", "op": "upsert", "data": {"name": "A", "country": "JP",
                "sources": [{"document_id": uuid::Uuid::now_v7(), "quote": "\u{0}"}]}}),
            json!({"resource": "city\u{0}", "op": "upsert", "data": {}}),
            good,
        ];
        let expected = json!([[2, "/data/name"], [3, "/data"], [4, "/data/sources/0/quote"], [5, "/resource"]]);
        let ndjson: String = lines.iter().map(|line| format!("{line}\n")).collect();
        for (body, content_type) in [
            (ndjson.into_bytes(), "application/x-ndjson"),
            (serde_json::to_vec(&lines).unwrap(), "application/json"),
        ] {
            let headers = [("content-type", content_type)];
            let reply = app.request(Method::POST, "/v1/import", Some(body), &headers);
            let reply = refused(&app, reply, 422, "/data/name").await;
            let errors: Vec<Value> = reply.body["errors"].as_array().unwrap().iter()
                .map(|e| json!([e["line"], e["field"]])).collect();
            assert_eq!(json!(errors), expected, "{content_type}: {}", reply.body);
            assert_eq!(reply.body["refused_lines"], 4);
            assert!(app.list_all("/v1/cities").await.is_empty());
        }
    }

    async fn nul_in_a_query_or_path_is_400_naming_it(app: TestApp) {
        let f = fixture(&app).await;
        // `%00` is how a NUL reaches a query string or a path (an HTTP request line cannot hold one raw).
        let reads = [
            ("/v1/cities?q=%00", "q"),
            ("/v1/cities?q=Kita%00kyushu", "q"),
            ("/v1/cities?country=J%00", "country"),
            ("/v1/cities?sort=name%00", "sort"),
            ("/v1/cities?cursor=%00", "cursor"),
            ("/v1/cities?co%00untry=JP", "co\\0untry"),
            ("/v1/projects?sector=%00", "sector"),
            ("/v1/stats/fundings?group_by=year%00", "group_by"),
            ("/v1/stats/projects?format=csv&group_by=city%00", "group_by"),
            ("/v1/stats/indicators?metric=%00", "metric"),
            ("/v1/stats/overview?format=csv%00", "format"),
            ("/v1/stats/exchanges?%00=1", "\\0"),
            ("/v1/export?format=csv&resource=city%00", "resource"),
            ("/v1/changes?after=%00", "after"),
            ("/v1/cities/%00", "id"),
            ("/v1/cities/0%00", "id"),
            ("/v1/partnerships/%00/summary", "id"),
        ];
        for (path, field) in reads {
            let reply = app.get(path).await;
            reply.assert_problem(400, field);
            names_only(&reply, field);
            assert!(reply.body["detail"].as_str().unwrap().contains("U+0000"), "{path}: {}", reply.body);
        }
        let city = json!({"name": "Hai Phong", "country": "VN"});
        let writes = [
            (Method::DELETE, format!("/v1/cities/{}%00", f.kitakyushu), None, "id"),
            (Method::PUT, "/v1/cities/%00".to_owned(), Some(&city), "id"),
            (Method::PATCH, "/v1/cities/%00".to_owned(), Some(&city), "id"),
            (Method::PUT, "/v1/cities/by-external-id/partner/4%002".to_owned(), Some(&city), "external_id"),
            (Method::PUT, "/v1/cities/by-external-id/part%00ner/42".to_owned(), Some(&city), "system"),
        ];
        for (method, path, body, field) in writes {
            let body = body.map(|body| body.to_string().into_bytes());
            let reply = refused(&app, app.request(method, &path, body, &[]), 400, field).await;
            names_only(&reply, field);
        }
        let reply = app.request_with(Method::DELETE, "/v1/keys/%00", None, &[], Some(&app.admin_token)).await;
        reply.assert_problem(400, "id");
        assert_eq!(app.list_all("/v1/cities").await.len(), 2);
    }

    async fn the_largest_amounts_sum_exactly(app: TestApp) {
        let f = fixture(&app).await;
        let funding = |amount: &str, currency: &str| json!({"project_id": f.project, "kind": "commitment", "funder_id": f.jica,
            "amount": amount, "currency": currency});
        let max = "100000000000000";
        for _ in 0..3 {
            app.create("fundings", funding(max, "USD")).await;
        }
        // CLF has 4 decimals: each is 10^18 minor units, and ten of them (10^19) pass i64::MAX
        // (9223372036854775807).
        for _ in 0..10 {
            app.create("fundings", funding(max, "CLF")).await;
        }
        let stored = app.create("fundings", funding("100000000000000.0000", "CLF")).await;
        assert_eq!(app.get(&format!("/v1/fundings/{stored}")).await.body["amount"], "100000000000000.0000");
        for (amount, currency) in [("100000000000000.01", "USD"), ("100000000000001", "JPY"),
                                   ("100000000000000.0001", "CLF"), ("9223372036854775808", "JPY"),
                                   (&"9".repeat(40), "JPY")] {
            let reply = refused(&app, app.post("/v1/fundings", &funding(amount, currency)), 422, "/amount").await;
            names_only(&reply, "/amount");
        }
        // Eleven CLF fundings at the maximum: 11 × 10^14 = 1,100,000,000,000,000 CLF. Three USD: 3 × 10^14.
        // The fixture's JPY funding is 800,000,000.
        let expected = vec![
            ("CLF".to_owned(), "1100000000000000.0000".to_owned(), 11),
            ("JPY".to_owned(), "800000000".to_owned(), 1),
            ("USD".to_owned(), "300000000000000.00".to_owned(), 3),
        ];
        let stats = app.get("/v1/stats/fundings").await;
        assert_eq!(stats.status, StatusCode::OK, "{}", stats.body);
        assert_eq!(totals(&stats.body["rows"]), expected);
        let overview = app.get("/v1/stats/overview").await;
        assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
        assert_eq!(totals(&overview.body["funding"]), expected);
        let summary = app.get(&format!("/v1/partnerships/{}/summary", f.partnership)).await;
        assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
        assert_eq!(totals(&summary.body["funding"]), expected);
        let by_year = app.get("/v1/stats/fundings?group_by=year&currency=CLF").await;
        assert_eq!(by_year.body["rows"][0]["total_amount"], "1100000000000000.0000", "{}", by_year.body);
        let csv = app.get("/v1/stats/fundings?format=csv").await;
        assert_eq!(csv_column(&csv, "total_amount"), ["1100000000000000.0000", "800000000", "300000000000000.00"]);
        // Participants are summed too; each is at most u32::MAX, so the sum fits.
        let big = u32::MAX;
        for _ in 0..3 {
            app.create("exchanges", json!({"kind": "expert_dispatch", "project_id": f.project,
                "participants": big})).await;
        }
        let exchanges = app.get("/v1/stats/exchanges?group_by=kind").await;
        let dispatch = exchanges.body["rows"].as_array().unwrap().iter()
            .find(|row| row["kind"] == "expert_dispatch").unwrap().clone();
        assert_eq!(dispatch["participants"], 3 * u64::from(big));
        let overview = app.get("/v1/stats/overview").await;
        assert_eq!(overview.body["headline"]["experts"], 3 * u64::from(big));
    }

    async fn csv_cells_never_start_a_formula(app: TestApp) {
        let names = ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@a", "\tx", "\rx"];
        let mut ids = Vec::new();
        for name in names {
            ids.push(app.create("cities", json!({"name": name, "country": "JP", "latitude": -33.5,
                "population": 5})).await);
        }
        let quoted: Vec<String> = names.iter().map(|name| format!("'{name}")).collect();
        let export = app.get("/v1/export?format=csv&resource=city").await;
        let mut exported = csv_column(&export, "name");
        exported.sort();
        let mut expected = quoted.clone();
        expected.sort();
        assert_eq!(exported, expected);
        // Numbers stay numbers, a negative one included.
        assert_eq!(csv_column(&export, "latitude"), vec!["-33.5"; names.len()]);
        assert_eq!(csv_column(&export, "population"), vec!["5"; names.len()]);
        // The same in an aggregate: one project in every city, grouped by city.
        app.create("projects", json!({"title": "-Composting", "city_ids": ids})).await;
        let stats = app.get("/v1/stats/projects?group_by=city&format=csv").await;
        let mut cells = csv_column(&stats, "city_name");
        cells.sort();
        assert_eq!(cells, expected);
        assert_eq!(csv_column(&stats, "count"), vec!["1"; names.len()]);
        // JSON answers keep the text as it is.
        let json = app.get("/v1/stats/projects?group_by=city").await;
        let mut plain: Vec<String> = json.body["rows"].as_array().unwrap().iter()
            .map(|row| row["city_name"].as_str().unwrap().to_owned()).collect();
        plain.sort();
        let mut names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        names.sort();
        assert_eq!(plain, names);
    }
}
