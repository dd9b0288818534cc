//! Aggregates on a small fixture whose expected figures are worked out by hand below.

use awc::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{on_both_engines, TestApp};

struct Ids {
    partnership: String,
}

/// Cities A (北九州市, JP), B and C (KH); funders F1, F2; partnership P (A–B, established 1998);
/// projects X (B; water_supply + capacity_building; completed; 1999; P), Y (B and C; water_supply; active;
/// 2010; P), Z (A; no sector, status or start).
async fn fixture(app: &TestApp) -> Ids {
    let a = app
        .create("cities", json!({"name": "北九州市", "country": "JP"}))
        .await;
    let b = app
        .create("cities", json!({"name": "B", "country": "KH"}))
        .await;
    let c = app
        .create("cities", json!({"name": "C", "country": "KH"}))
        .await;
    let f1 = app
        .create(
            "organizations",
            json!({"name": "F1", "kind": "government_agency"}),
        )
        .await;
    let f2 = app
        .create(
            "organizations",
            json!({"name": "F2", "kind": "development_bank"}),
        )
        .await;
    let p = app
        .create(
            "partnerships",
            json!({"city_ids": [a, b], "kind": "sister_city", "established": "1998"}),
        )
        .await;
    let x = app
        .create(
            "projects",
            json!({"title": "X", "city_ids": [b], "partnership_id": p,
        "sectors": ["water_supply", "capacity_building"], "status": "completed", "start": "1999"}),
        )
        .await;
    let y = app
        .create(
            "projects",
            json!({"title": "Y", "city_ids": [b, c], "partnership_id": p,
        "sectors": ["water_supply"], "status": "active", "start": "2010"}),
        )
        .await;
    let z = app
        .create("projects", json!({"title": "Z", "city_ids": [a]}))
        .await;
    for funding in [
        json!({"project_id": x, "kind": "commitment", "funder_id": f1, "amount": "100", "currency": "JPY", "start": "1999", "instrument": "grant"}),
        json!({"project_id": x, "kind": "commitment", "funder_id": f1, "amount": "250", "currency": "JPY", "start": "2001", "instrument": "loan"}),
        json!({"project_id": y, "kind": "commitment", "funder_id": f2, "amount": "10.5", "currency": "USD", "start": "2010"}),
        json!({"project_id": y, "kind": "commitment", "funder_id": f1}),
        json!({"project_id": z, "kind": "commitment", "funder_id": f2, "amount": "7", "currency": "JPY", "start": "1999-04"}),
    ] {
        app.create("fundings", funding).await;
    }
    for exchange in [
        json!({"kind": "trainee_acceptance", "project_id": x, "from_city_id": b, "to_city_id": a, "start": "1999", "participants": 10}),
        json!({"kind": "trainee_acceptance", "partnership_id": p, "from_city_id": b, "to_city_id": a, "start": "1999-10", "participants": 5}),
        json!({"kind": "expert_dispatch", "project_id": y, "from_city_id": a, "to_city_id": b, "start": "2010", "participants": 3}),
        json!({"kind": "seminar", "project_id": z}),
    ] {
        app.create("exchanges", exchange).await;
    }
    for (city, period, value) in [
        (&b, "2000", "20"),
        (&b, "2005", "12.5"),
        (&b, "2005-06", "11"),
        (&c, "2005", "30"),
    ] {
        app.create(
            "indicators",
            json!({"city_id": city, "metric": "non_revenue_water_rate", "unit": "%",
            "period": period, "value": value}),
        )
        .await;
    }
    Ids { partnership: p }
}

/// The rows of an aggregate, with only the named columns.
async fn rows(app: &TestApp, path: &str, columns: &[&str]) -> Vec<Value> {
    let reply = app.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    reply.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            Value::Object(
                columns
                    .iter()
                    .map(|c| (c.to_string(), row[*c].clone()))
                    .collect(),
            )
        })
        .collect()
}

fn sorted(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by_key(|row| row.to_string());
    rows
}

on_both_engines! {
    async fn funding_totals_are_exact_and_per_currency(app: TestApp) {
        fixture(&app).await;
        let cols = ["year", "currency", "total_amount", "count", "count_without_amount"];
        assert_eq!(rows(&app, "/v1/stats/fundings?group_by=year", &cols).await, vec![
            json!({"year": 1999, "currency": "JPY", "total_amount": "107", "count": 2, "count_without_amount": 0}),
            json!({"year": 2001, "currency": "JPY", "total_amount": "250", "count": 1, "count_without_amount": 0}),
            json!({"year": 2010, "currency": "USD", "total_amount": "10.50", "count": 1, "count_without_amount": 0}),
            json!({"year": null, "currency": null, "total_amount": null, "count": 1, "count_without_amount": 1}),
        ]);
        let cols = ["sector", "currency", "total_amount", "count"];
        assert_eq!(rows(&app, "/v1/stats/fundings?group_by=sector", &cols).await, vec![
            json!({"sector": "capacity_building", "currency": "JPY", "total_amount": "350", "count": 2}),
            json!({"sector": "water_supply", "currency": "JPY", "total_amount": "350", "count": 2}),
            json!({"sector": "water_supply", "currency": "USD", "total_amount": "10.50", "count": 1}),
            json!({"sector": "water_supply", "currency": null, "total_amount": null, "count": 1}),
            json!({"sector": null, "currency": "JPY", "total_amount": "7", "count": 1}),
        ]);
        // Y has two cities in KH: it counts once for KH.
        let cols = ["country", "currency", "total_amount", "count"];
        assert_eq!(rows(&app, "/v1/stats/fundings?group_by=country", &cols).await, vec![
            json!({"country": "JP", "currency": "JPY", "total_amount": "7", "count": 1}),
            json!({"country": "KH", "currency": "JPY", "total_amount": "350", "count": 2}),
            json!({"country": "KH", "currency": "USD", "total_amount": "10.50", "count": 1}),
            json!({"country": "KH", "currency": null, "total_amount": null, "count": 1}),
        ]);
        let cols = ["funder_name", "year", "currency", "total_amount", "count"];
        assert_eq!(sorted(rows(&app, "/v1/stats/fundings?group_by=funder,year&country=KH&year_to=2005", &cols).await), sorted(vec![
            json!({"funder_name": "F1", "year": 1999, "currency": "JPY", "total_amount": "100", "count": 1}),
            json!({"funder_name": "F1", "year": 2001, "currency": "JPY", "total_amount": "250", "count": 1}),
        ]));
        let cols = ["instrument", "currency", "total_amount", "count"];
        assert_eq!(rows(&app, "/v1/stats/fundings?group_by=instrument&sector=capacity_building", &cols).await, vec![
            json!({"instrument": "grant", "currency": "JPY", "total_amount": "100", "count": 1}),
            json!({"instrument": "loan", "currency": "JPY", "total_amount": "250", "count": 1}),
        ]);
        // No group_by: one row per currency.
        let cols = ["currency", "total_amount", "count"];
        assert_eq!(rows(&app, "/v1/stats/fundings", &cols).await, vec![
            json!({"currency": "JPY", "total_amount": "357", "count": 3}),
            json!({"currency": "USD", "total_amount": "10.50", "count": 1}),
            json!({"currency": null, "total_amount": null, "count": 1}),
        ]);
    }

    async fn project_and_exchange_counts(app: TestApp) {
        fixture(&app).await;
        assert_eq!(rows(&app, "/v1/stats/projects?group_by=sector,status", &["sector", "status", "count"]).await, vec![
            json!({"sector": "capacity_building", "status": "completed", "count": 1}),
            json!({"sector": "water_supply", "status": "active", "count": 1}),
            json!({"sector": "water_supply", "status": "completed", "count": 1}),
            json!({"sector": null, "status": null, "count": 1}),
        ]);
        assert_eq!(rows(&app, "/v1/stats/projects?group_by=city", &["city_name", "count"]).await
            .into_iter().map(|r| (r["city_name"].as_str().unwrap().to_owned(), r["count"].as_i64().unwrap()))
            .collect::<std::collections::BTreeMap<_, _>>(),
            [("北九州市".to_owned(), 1), ("B".to_owned(), 2), ("C".to_owned(), 1)].into_iter().collect());
        assert_eq!(rows(&app, "/v1/stats/projects?group_by=start_year", &["start_year", "count"]).await, vec![
            json!({"start_year": 1999, "count": 1}), json!({"start_year": 2010, "count": 1}),
            json!({"start_year": null, "count": 1}),
        ]);
        assert_eq!(rows(&app, "/v1/stats/projects?country=KH&status=active", &["count"]).await, vec![json!({"count": 1})]);

        let cols = ["year", "partnership_title", "count", "participants", "count_without_participants"];
        assert_eq!(rows(&app, "/v1/stats/exchanges?group_by=year,partnership", &cols).await, vec![
            json!({"year": 1999, "partnership_title": null, "count": 2, "participants": 15, "count_without_participants": 0}),
            json!({"year": 2010, "partnership_title": null, "count": 1, "participants": 3, "count_without_participants": 0}),
            json!({"year": null, "partnership_title": null, "count": 1, "participants": null, "count_without_participants": 1}),
        ]);
        assert_eq!(rows(&app, "/v1/stats/exchanges?group_by=kind", &["kind", "count", "participants"]).await, vec![
            json!({"kind": "expert_dispatch", "count": 1, "participants": 3}),
            json!({"kind": "seminar", "count": 1, "participants": null}),
            json!({"kind": "trainee_acceptance", "count": 2, "participants": 15}),
        ]);
        let cols = ["from_country", "to_country", "count", "participants"];
        assert_eq!(rows(&app, "/v1/stats/exchanges?group_by=from_country,to_country", &cols).await, vec![
            json!({"from_country": "JP", "to_country": "KH", "count": 1, "participants": 3}),
            json!({"from_country": "KH", "to_country": "JP", "count": 2, "participants": 15}),
            json!({"from_country": null, "to_country": null, "count": 1, "participants": null}),
        ]);
    }

    async fn indicator_series_and_overview(app: TestApp) {
        fixture(&app).await;
        let cols = ["city_name", "year", "metric", "unit", "count", "latest_period", "latest_value"];
        assert_eq!(sorted(rows(&app, "/v1/stats/indicators?group_by=city,year&metric=non_revenue_water_rate", &cols).await), sorted(vec![
            json!({"city_name": "B", "year": 2000, "metric": "non_revenue_water_rate", "unit": "%", "count": 1, "latest_period": "2000", "latest_value": "20"}),
            json!({"city_name": "B", "year": 2005, "metric": "non_revenue_water_rate", "unit": "%", "count": 2, "latest_period": "2005-06", "latest_value": "11"}),
            json!({"city_name": "C", "year": 2005, "metric": "non_revenue_water_rate", "unit": "%", "count": 1, "latest_period": "2005", "latest_value": "30"}),
        ]));
        assert_eq!(rows(&app, "/v1/stats/indicators", &["metric", "count", "latest_value"]).await, vec![
            json!({"metric": "non_revenue_water_rate", "count": 4, "latest_value": "11"}),
        ]);

        let overview = app.get("/v1/stats/overview").await;
        assert_eq!(overview.status, StatusCode::OK);
        assert_eq!(overview.body["headline"], json!({"cities": 3, "organizations": 2, "partnerships": 1,
            "active_partnerships": 0, "agreements": 0, "projects": 3, "active_projects": 1, "exchanges": 4,
            "trainees": 15, "experts": 3}));
        assert_eq!(overview.body["funding"][0]["total_amount"], "357");
    }

    async fn partnership_summary_card(app: TestApp) {
        let ids = fixture(&app).await;
        let card = app.get(&format!("/v1/partnerships/{}/summary", ids.partnership)).await;
        assert_eq!(card.status, StatusCode::OK, "{}", card.body);
        let names: Vec<&str> = card.body["cities"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["北九州市", "B"]);
        assert_eq!(card.body["projects_by_sector"], json!([
            {"sector": "capacity_building", "count": 1}, {"sector": "water_supply", "count": 2}]));
        assert_eq!(card.body["projects_by_status"], json!([
            {"status": "active", "count": 1}, {"status": "completed", "count": 1}]));
        let funding: Vec<(Value, Value)> = card.body["funding"].as_array().unwrap().iter()
            .map(|r| (r["currency"].clone(), r["total_amount"].clone())).collect();
        assert_eq!(funding, vec![(json!("JPY"), json!("350")), (json!("USD"), json!("10.50")), (json!(null), json!(null))]);
        let exchanges: Vec<(Value, Value)> = card.body["exchanges_by_year"].as_array().unwrap().iter()
            .map(|r| (r["year"].clone(), r["participants"].clone())).collect();
        assert_eq!(exchanges, vec![(json!(1999), json!(15)), (json!(2010), json!(3))]);
        assert_eq!(card.body["first_year"], 1998);
        assert_eq!(card.body["last_year"], 2010);
        app.get("/v1/partnerships/00000000-0000-4000-8000-000000000000/summary").await.assert_problem(404, "");
    }

    async fn csv_has_the_same_rows_as_json(app: TestApp) {
        fixture(&app).await;
        for path in ["/v1/stats/fundings?group_by=year,city", "/v1/stats/exchanges?group_by=kind,to_city",
                     "/v1/stats/projects?group_by=city,sector"] {
            let json = app.get(path).await;
            let csv = app.get(&format!("{path}&format=csv")).await;
            assert_eq!(csv.status, StatusCode::OK);
            assert_eq!(csv.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
            let text = String::from_utf8(csv.raw.clone()).unwrap();
            let text = text.strip_prefix('\u{feff}').expect("a byte-order mark for spreadsheets");
            assert!(text.contains("\r\n") && !text.replace("\r\n", "").contains('\n'));
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
            assert_eq!(json!(header), json.body["columns"]);
            let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
            let rows = json.body["rows"].as_array().unwrap();
            assert_eq!(records.len(), rows.len());
            for (record, row) in records.iter().zip(rows) {
                for (column, cell) in header.iter().zip(record.iter()) {
                    let expected = match &row[column] {
                        Value::Null => String::new(),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    assert_eq!(cell, expected, "{path} {column}");
                }
            }
            // Accept: text/csv chooses CSV too.
            let accepted = app.request(Method::GET, path, None, &[("accept", "text/csv")]).await;
            assert_eq!(accepted.raw, csv.raw);
        }
        let names = app.get("/v1/stats/fundings?group_by=city&format=csv").await;
        assert!(String::from_utf8(names.raw).unwrap().contains(",北九州市,commitment,JPY,7,1,0\r\n"));
    }

    async fn etags_follow_the_data(app: TestApp) {
        let ids = fixture(&app).await;
        let path = "/v1/stats/fundings?group_by=year";
        let first = app.get(path).await;
        let etag = first.header("etag").unwrap();
        assert!(first.header("cache-control").unwrap().contains("must-revalidate"));
        let cached = app.request(Method::GET, path, None, &[("if-none-match", &etag)]).await;
        assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
        // A write the aggregate does not read leaves it valid.
        app.create("agreements", json!({"title": "MoU", "kind": "other", "partnership_id": ids.partnership})).await;
        let still = app.request(Method::GET, path, None, &[("if-none-match", &etag)]).await;
        assert_eq!(still.status, StatusCode::NOT_MODIFIED);
        // A funding changes it.
        let project = app.get("/v1/projects?q=Z").await.body["items"][0]["id"].as_str().unwrap().to_owned();
        let funder = app.get("/v1/organizations?q=F2").await.body["items"][0]["id"].as_str().unwrap().to_owned();
        app.create("fundings", json!({"project_id": project, "kind": "commitment", "funder_id": funder, "amount": "1", "currency": "JPY", "start": "1999"})).await;
        let changed = app.request(Method::GET, path, None, &[("if-none-match", &etag)]).await;
        assert_eq!(changed.status, StatusCode::OK);
        assert_eq!(changed.body["rows"][0]["total_amount"], "108");
        assert_ne!(changed.header("etag").unwrap(), etag);
        // JSON and CSV have their own ETags.
        let csv = app.get(&format!("{path}&format=csv")).await;
        assert_ne!(csv.header("etag"), changed.header("etag"));
    }

    async fn unknown_keys_and_filters_are_400(app: TestApp) {
        let reply = app.get("/v1/stats/fundings?group_by=year,colour").await;
        reply.assert_problem(400, "group_by");
        assert!(reply.body["detail"].as_str().unwrap().contains("year, funder, country, city, sector, scheme, instrument, partnership"));
        // Keys separated by single commas, as the documented pattern says; a key given again adds nothing.
        for bad in ["year,,kind", "year,", "%20year", ""] {
            app.get(&format!("/v1/stats/fundings?group_by={bad}")).await.assert_problem(400, "group_by");
        }
        let twice = app.get("/v1/stats/fundings?group_by=year,year").await;
        assert_eq!(twice.status, awc::http::StatusCode::OK);
        assert_eq!(twice.body["group_by"], serde_json::json!(["year"]));
        let reply = app.get("/v1/stats/projects?planet=mars").await;
        reply.assert_problem(400, "planet");
        assert!(reply.body["detail"].as_str().unwrap().contains("`sector`"));
        app.get("/v1/stats/exchanges?format=xml").await.assert_problem(400, "format");
        app.get("/v1/stats/indicators?group_by=sector").await.assert_problem(400, "group_by");
        app.get("/v1/stats/overview?group_by=year").await.assert_problem(400, "group_by");
    }
}

on_both_engines! {
    async fn commitments_and_disbursements_are_never_added(app: TestApp) {
        let city = app.create("cities", json!({"name": "Hai Phong", "country": "VN"})).await;
        let funder = app.create("organizations", json!({"name": "JICA", "kind": "government_agency"})).await;
        let project = app.create("projects", json!({"title": "Water", "city_ids": [city]})).await;
        for (kind, amount, currency, period) in [
            ("commitment", "100", "JPY", "2010"),
            ("disbursement", "40", "JPY", "2010-06"),
            ("disbursement", "60", "JPY", "2011"),
            ("commitment", "2.50", "USD", "2010"),
        ] {
            app.create("fundings", json!({"project_id": project, "kind": kind, "funder_id": funder,
                "amount": amount, "currency": currency, "start": period})).await;
        }
        let cols = ["year", "kind", "currency", "total_amount", "count"];
        assert_eq!(rows(&app, "/v1/stats/fundings?group_by=year", &cols).await, vec![
            json!({"year": 2010, "kind": "commitment", "currency": "JPY", "total_amount": "100", "count": 1}),
            json!({"year": 2010, "kind": "commitment", "currency": "USD", "total_amount": "2.50", "count": 1}),
            json!({"year": 2010, "kind": "disbursement", "currency": "JPY", "total_amount": "40", "count": 1}),
            json!({"year": 2011, "kind": "disbursement", "currency": "JPY", "total_amount": "60", "count": 1}),
        ]);
        assert_eq!(rows(&app, "/v1/stats/fundings?kind=disbursement", &cols[1..]).await, vec![
            json!({"kind": "disbursement", "currency": "JPY", "total_amount": "100", "count": 2}),
        ]);
        let overview = app.get("/v1/stats/overview").await;
        let funding: Vec<(Value, Value, Value)> = overview.body["funding"].as_array().unwrap().iter()
            .map(|row| (row["kind"].clone(), row["currency"].clone(), row["total_amount"].clone()))
            .collect();
        assert_eq!(funding, vec![
            (json!("commitment"), json!("JPY"), json!("100")),
            (json!("commitment"), json!("USD"), json!("2.50")),
            (json!("disbursement"), json!("JPY"), json!("100")),
        ]);
        let listed = app.list_all("/v1/fundings?kind=commitment&sort=currency").await;
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0]["amount_qualifier"], Value::Null);

        let no_kind = app.post("/v1/fundings", &json!({"project_id": project, "funder_id": funder})).await;
        no_kind.assert_problem(422, "/kind");
        let unknown = app.post("/v1/fundings", &json!({"project_id": project, "kind": "spent", "funder_id": funder})).await;
        unknown.assert_problem(422, "/kind");
        let backwards = app.post("/v1/fundings", &json!({"project_id": project, "kind": "budget",
            "funder_id": funder, "start": "2005", "end": "2001"})).await;
        backwards.assert_problem(422, "/end");
        let qualified = app.post("/v1/fundings", &json!({"project_id": project, "kind": "pledge",
            "funder_id": funder, "amount_qualifier": "up_to"})).await;
        qualified.assert_problem(422, "/amount_qualifier");
        let about = app.create("fundings", json!({"project_id": project, "kind": "contract_value",
            "funder_id": funder, "amount": "100000000", "currency": "JPY", "amount_qualifier": "approximately",
            "value_date": "2016-03"})).await;
        let about = app.get(&format!("/v1/fundings/{about}")).await.body;
        assert_eq!((&about["kind"], &about["amount_qualifier"], &about["value_date"]),
            (&json!("contract_value"), &json!("approximately"), &json!("2016-03")));
    }
}

on_both_engines! {
    async fn money_has_a_receiver_an_aid_type_and_a_share(app: TestApp) {
        let city = app.create("cities", json!({"name": "Phnom Penh", "country": "KH"})).await;
        let jica = app.create("organizations", json!({"name": "JICA", "kind": "government_agency"})).await;
        let ppwsa = app.create("organizations", json!({"name": "PPWSA", "kind": "utility"})).await;
        let project = app.create("projects", json!({"title": "Water", "city_ids": [city]})).await;
        let base = |amount: &str| json!({"project_id": project, "kind": "disbursement", "funder_id": jica,
            "amount": amount, "currency": "JPY"});
        let mut experts = base("30");
        experts["aid_type"] = json!("D01");
        experts["receiver_id"] = json!(ppwsa);
        let mut equipment = base("50");
        equipment["aid_type"] = json!("C01");
        equipment["receiver_id"] = json!(ppwsa);
        equipment["share"] = json!(50);
        equipment["funder_description"] = json!("Japanese grant aid");
        let mut unassigned = base("20");
        unassigned["aid_type"] = json!("D01");
        for body in [experts, equipment, unassigned] {
            app.create("fundings", body).await;
        }
        let cols = ["receiver_name", "aid_type", "kind", "total_amount", "count"];
        assert_eq!(rows(&app, "/v1/stats/fundings?group_by=receiver,aid_type", &cols).await, vec![
            json!({"receiver_name": "PPWSA", "aid_type": "C01", "kind": "disbursement", "total_amount": "50", "count": 1}),
            json!({"receiver_name": "PPWSA", "aid_type": "D01", "kind": "disbursement", "total_amount": "30", "count": 1}),
            json!({"receiver_name": null, "aid_type": "D01", "kind": "disbursement", "total_amount": "20", "count": 1}),
        ]);
        assert_eq!(rows(&app, &format!("/v1/stats/fundings?receiver_id={ppwsa}&aid_type=D01"), &cols[2..]).await, vec![
            json!({"kind": "disbursement", "total_amount": "30", "count": 1}),
        ]);
        let listed = app.list_all(&format!("/v1/fundings?receiver_id={ppwsa}&aid_type=C01")).await;
        assert_eq!(listed.len(), 1);
        assert_eq!((&listed[0]["share"], &listed[0]["funder_description"]), (&json!(50.0), &json!("Japanese grant aid")));

        let mut bad_share = base("1");
        bad_share["share"] = json!(0);
        app.post("/v1/fundings", &bad_share).await.assert_problem(422, "/share");
        bad_share["share"] = json!(100.5);
        app.post("/v1/fundings", &bad_share).await.assert_problem(422, "/share");
        let mut nobody = base("1");
        nobody["receiver_id"] = json!(uuid::Uuid::now_v7());
        app.post("/v1/fundings", &nobody).await.assert_problem(422, "/receiver_id");
        let mut unknown = base("1");
        unknown["aid_type"] = json!("Z99");
        app.post("/v1/fundings", &unknown).await.assert_problem(422, "/aid_type");
        // A source that names no funder organization.
        let loan = app.create("fundings", json!({"project_id": project, "kind": "commitment",
            "funder_description": "Japanese ODA loan", "amount": "100", "currency": "JPY"})).await;
        assert_eq!(app.get(&format!("/v1/fundings/{loan}")).await.body["funder_id"], Value::Null);
        let funders = rows(&app, "/v1/stats/fundings?group_by=funder&kind=commitment", &["funder_id", "total_amount"]).await;
        assert_eq!(funders, vec![json!({"funder_id": null, "total_amount": "100"})]);
        let nobody = app.post("/v1/fundings", &json!({"project_id": project, "kind": "pledge"})).await;
        nobody.assert_problem(422, "/funder_id");

        let deleted = app.delete(&format!("/v1/organizations/{ppwsa}")).await;
        deleted.assert_problem(409, "");
        assert_eq!(deleted.body["referenced_by"][0]["field"], "receiver_id");
    }
}

// What the document's parameter and body schemas allow is what the server takes, at their edges.
on_both_engines! {
    async fn edges_of_the_documented_schemas(app: TestApp) {
        // Years are four digits.
        app.get("/v1/stats/fundings?year_to=999").await.assert_problem(400, "year_to");
        app.get("/v1/stats/projects?year_from=10000").await.assert_problem(400, "year_from");
        assert_eq!(app.get("/v1/stats/fundings?year_to=1000").await.status, StatusCode::OK);
        // A total over no rows still counts: none is 0, not null.
        let empty = app.get("/v1/stats/exchanges?country=VN").await;
        assert_eq!(empty.body["rows"], json!([{"count": 0, "participants": null, "count_without_participants": 0}]));
        // JSON has one kind of number: 940000.0 is the integer 940000.
        let id = app.create("cities", json!({"name": "Kitakyushu", "country": "JP", "population": 940000.0})).await;
        assert_eq!(app.get(&format!("/v1/cities/{id}")).await.body["population"], 940000);
        app.post("/v1/cities", &json!({"name": "Dalian", "country": "CN", "population": 940000.5}))
            .await
            .assert_problem(422, "/population");
    }
}
