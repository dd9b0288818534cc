//! Money without a project, indicators of any subject with qualified, ranged or undated values, a
//! project's results framework with its progress, and policy markers and SDG targets as filters and
//! groups. Every expected figure is worked out by hand in the comments.

use awc::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{on_both_engines, TestApp};

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

on_both_engines! {
    async fn money_may_belong_to_a_partnership_or_a_country(app: TestApp) {
        let kitakyushu = app.create("cities", json!({"name": "Kitakyushu", "country": "JP"})).await;
        let phnom_penh = app.create("cities", json!({"name": "Phnom Penh", "country": "KH"})).await;
        let partnership = app.create("partnerships", json!({"city_ids": [kitakyushu, phnom_penh],
            "kind": "sister_city", "title": "KK-PP"})).await;
        let project = app.create("projects", json!({"title": "Water", "city_ids": [phnom_penh],
            "partnership_id": partnership})).await;
        let money = |extra: Value| {
            let mut body = json!({"kind": "commitment", "funder_description": "Japanese ODA",
                "amount": "100", "currency": "JPY", "start": "2010"});
            body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            body
        };
        app.create("fundings", money(json!({"project_id": project}))).await;
        app.create("fundings", money(json!({"partnership_id": partnership, "amount": "40"}))).await;
        app.create("fundings", money(json!({"recipient_country": "KH", "amount": "7", "kind": "disbursement"}))).await;
        app.post("/v1/fundings", &money(json!({}))).await.assert_problem(422, "/project_id");
        app.post("/v1/fundings", &money(json!({"recipient_country": "XX"}))).await.assert_problem(422, "/recipient_country");

        // The partnership's money is its own 40 and its project's 100; none of it is the country's 7.
        let cols = ["kind", "total_amount", "count"];
        assert_eq!(rows(&app, &format!("/v1/stats/fundings?partnership_id={partnership}"), &cols).await,
            vec![json!({"kind": "commitment", "total_amount": "140", "count": 2})]);
        // Cambodia's: the project in Phnom Penh (100) and the recipient-country disbursement (7); the
        // partnership's 40 belongs to no country.
        assert_eq!(rows(&app, "/v1/stats/fundings?group_by=country", &["country", "kind", "total_amount"]).await, vec![
            json!({"country": "KH", "kind": "commitment", "total_amount": "100"}),
            json!({"country": "KH", "kind": "disbursement", "total_amount": "7"}),
            json!({"country": null, "kind": "commitment", "total_amount": "40"}),
        ]);
        assert_eq!(rows(&app, "/v1/stats/fundings?country=KH", &cols).await, vec![
            json!({"kind": "commitment", "total_amount": "100", "count": 1}),
            json!({"kind": "disbursement", "total_amount": "7", "count": 1}),
        ]);
        // Every funding counts in the overview, with or without a project: 100 + 40 committed, 7 disbursed.
        let overview = app.get("/v1/stats/overview").await.body;
        let funding: Vec<(Value, Value)> = overview["funding"].as_array().unwrap().iter()
            .map(|row| (row["kind"].clone(), row["total_amount"].clone())).collect();
        assert_eq!(funding, vec![(json!("commitment"), json!("140")), (json!("disbursement"), json!("7"))]);
        let card = app.get(&format!("/v1/partnerships/{partnership}/summary")).await.body;
        assert_eq!(card["funding"][0]["total_amount"], "140");
        assert_eq!(app.list_all(&format!("/v1/fundings?partnership_id={partnership}")).await.len(), 1);
        assert_eq!(app.list_all("/v1/fundings?recipient_country=KH").await.len(), 1);
    }

    async fn indicators_measure_any_subject_with_qualified_ranged_or_undated_values(app: TestApp) {
        let bangkok = app.create("cities", json!({"name": "Bangkok", "country": "TH"})).await;
        let utility = app.create("organizations", json!({"name": "PPWSA", "kind": "utility", "country": "KH"})).await;
        let project = app.create("projects", json!({"title": "Composting", "city_ids": [bangkok]})).await;
        let indicator = |extra: Value| {
            let mut body = json!({"metric": "non_revenue_water_rate", "unit": "%"});
            body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            body
        };
        // Undated, and qualified.
        let undated = app.create("indicators", indicator(json!({"city_id": bangkok, "value": "42.8"}))).await;
        assert_eq!(app.get(&format!("/v1/indicators/{undated}")).await.body["period"], Value::Null);
        app.create("indicators", indicator(json!({"city_id": bangkok, "period": "2012", "value": "30",
            "qualifier": "at_least"}))).await;
        app.create("indicators", indicator(json!({"organization_id": utility, "period": "2008", "value": "6.2"}))).await;
        app.create("indicators", indicator(json!({"country": "VN", "value_low": "20", "value_high": "30"}))).await;
        app.create("indicators", json!({"project_id": project, "metric": "compost", "unit": "t/day",
            "period": "2014", "value_low": "20", "value_high": "40"})).await;

        app.post("/v1/indicators", &indicator(json!({"value": "1"}))).await.assert_problem(422, "/city_id");
        app.post("/v1/indicators", &indicator(json!({"city_id": bangkok, "country": "TH", "value": "1"})))
            .await.assert_problem(422, "/city_id");
        app.post("/v1/indicators", &indicator(json!({"city_id": bangkok}))).await.assert_problem(422, "/value");
        app.post("/v1/indicators", &indicator(json!({"city_id": bangkok, "value": "1", "value_low": "0",
            "value_high": "2"}))).await.assert_problem(422, "/value");
        app.post("/v1/indicators", &indicator(json!({"city_id": bangkok, "value_low": "5", "value_high": "4"})))
            .await.assert_problem(422, "/value_high");
        app.post("/v1/indicators", &indicator(json!({"city_id": bangkok, "value_low": "5"})))
            .await.assert_problem(422, "/value_high");
        app.post("/v1/indicators", &indicator(json!({"city_id": bangkok, "value_low": "1", "value_high": "2",
            "qualifier": "approximately"}))).await.assert_problem(422, "/qualifier");

        // Bangkok's latest is the dated 2012 value, not the undated one; Viet Nam's is a range.
        let cols = ["country", "metric", "count", "latest_period", "latest_value", "latest_qualifier",
            "latest_value_low", "latest_value_high"];
        // The utility's value has no country: an organization is not a place.
        assert_eq!(rows(&app, "/v1/stats/indicators?group_by=country&metric=non_revenue_water_rate", &cols).await, vec![
            json!({"country": "TH", "metric": "non_revenue_water_rate", "count": 2, "latest_period": "2012",
                "latest_value": "30", "latest_qualifier": "at_least", "latest_value_low": null, "latest_value_high": null}),
            json!({"country": "VN", "metric": "non_revenue_water_rate", "count": 1, "latest_period": null,
                "latest_value": null, "latest_qualifier": null, "latest_value_low": "20", "latest_value_high": "30"}),
            json!({"country": null, "metric": "non_revenue_water_rate", "count": 1, "latest_period": "2008",
                "latest_value": "6.2", "latest_qualifier": null, "latest_value_low": null, "latest_value_high": null}),
        ]);
        let by_year = rows(&app, &format!("/v1/stats/indicators?group_by=year&city_id={bangkok}"),
            &["year", "count", "latest_value"]).await;
        assert_eq!(by_year, vec![
            json!({"year": 2012, "count": 1, "latest_value": "30"}),
            json!({"year": null, "count": 1, "latest_value": "42.8"}),
        ]);
        assert_eq!(rows(&app, &format!("/v1/stats/indicators?group_by=organization&organization_id={utility}"),
            &["organization_name", "latest_value"]).await,
            vec![json!({"organization_name": "PPWSA", "latest_value": "6.2"})]);
        assert_eq!(app.list_all("/v1/indicators?country=VN").await.len(), 1);
        assert_eq!(app.list_all(&format!("/v1/indicators?project_id={project}")).await.len(), 1);
    }

    async fn results_framework_reports_progress_towards_targets(app: TestApp) {
        let city = app.create("cities", json!({"name": "Phnom Penh", "country": "KH"})).await;
        let water = app.create("projects", json!({"title": "Water", "city_ids": [city], "results": [
            {"kind": "outcome", "title": "Non-revenue water reduced",
             "indicator": {"metric": "non_revenue_water_rate", "unit": "%", "measure": "percentage", "ascending": false},
             "baseline": {"period": "1993", "value": "72"},
             "targets": [{"period": "2010", "value": "10"}, {"period": "2005", "value": "30"}],
             "actuals": [{"period": "2008", "value": "6.2"}, {"period": "2003", "value": "20"}]},
            {"kind": "output", "title": "Households connected",
             "indicator": {"metric": "households_connected", "unit": "households", "measure": "unit"},
             "baseline": {"period": "2010", "value": "0"},
             "targets": [{"period": "2015", "value": "1000"}],
             "actuals": [{"period": "2013", "value": "250", "qualifier": "approximately"}]},
            {"kind": "impact", "title": "Tap water drinkable",
             "indicator": {"metric": "potable_tap_water", "measure": "qualitative"},
             "actuals": [{"period": "2005", "comment": "declared potable"}]}
        ]})).await;
        let read = app.get(&format!("/v1/projects/{water}")).await.body;
        assert_eq!(read["results"][1]["indicator"]["ascending"], true, "ascending defaults to true");

        let cols = ["title", "baseline_value", "actual_period", "actual_value", "target_period", "target_value",
            "change", "progress_percent", "target_met"];
        assert_eq!(rows(&app, "/v1/stats/results", &cols).await, vec![
            // 6.2 - 72 = -65.8; (6.2 - 72) / (10 - 72) = 65.8 / 62 = 106.13 %; 6.2 is at most 10.
            json!({"title": "Non-revenue water reduced", "baseline_value": "72", "actual_period": "2008",
                "actual_value": "6.2", "target_period": "2010", "target_value": "10", "change": "-65.8",
                "progress_percent": "106.1", "target_met": true}),
            // 250 - 0 = 250; 250 / 1000 = 25 %.
            json!({"title": "Households connected", "baseline_value": "0", "actual_period": "2013",
                "actual_value": "250", "target_period": "2015", "target_value": "1000", "change": "250",
                "progress_percent": "25", "target_met": false}),
            json!({"title": "Tap water drinkable", "baseline_value": null, "actual_period": "2005",
                "actual_value": null, "target_period": null, "target_value": null, "change": null,
                "progress_percent": null, "target_met": null}),
        ]);
        assert_eq!(rows(&app, "/v1/stats/results?kind=output", &["result_index", "metric"]).await,
            vec![json!({"result_index": 1, "metric": "households_connected"})]);
        assert_eq!(rows(&app, "/v1/stats/results?country=JP", &["title"]).await, Vec::<Value>::new());
        let csv = app.get("/v1/stats/results?format=csv").await;
        assert_eq!(csv.status, StatusCode::OK);

        // Values at the edge of the 28 digits before the point a decimal may have: their difference,
        // 2 × (10^28 - 1), still fits; a hundred times it, for the progress, does not, and gives no
        // figure rather than an error.
        let huge = "9".repeat(28);
        let edge = app.create("projects", json!({"title": "Edge", "city_ids": [city], "results": [
            {"kind": "output", "title": "Edge", "indicator": {"metric": "m", "measure": "percentage"},
             "baseline": {"value": format!("-{huge}")}, "targets": [{"value": "0"}], "actuals": [{"value": huge}]}]})).await;
        assert_eq!(rows(&app, &format!("/v1/stats/results?project_id={edge}"), &["change", "progress_percent", "target_met"]).await,
            vec![json!({"change": format!("1{}8", "9".repeat(27)), "progress_percent": null, "target_met": true})]);

        let framework = |result: Value| json!({"title": "T", "city_ids": [city], "results": [result]});
        let base = json!({"kind": "output", "title": "R", "indicator": {"metric": "m", "measure": "unit"},
            "actuals": [{"value": "1"}]});
        app.post("/v1/projects", &framework(base.clone())).await.assert_problem(422, "/results/0/indicator/unit");
        let mut qualitative = base.clone();
        qualitative["indicator"] = json!({"metric": "m", "measure": "qualitative"});
        app.post("/v1/projects", &framework(qualitative)).await.assert_problem(422, "/results/0/actuals/0/value");
        let mut missing = base.clone();
        missing["indicator"]["unit"] = json!("t");
        missing["targets"] = json!([{"period": "2020"}]);
        app.post("/v1/projects", &framework(missing)).await.assert_problem(422, "/results/0/targets/0/value");
        let mut kind = base;
        kind["kind"] = json!("activity");
        app.post("/v1/projects", &framework(kind)).await.assert_problem(422, "/results/0/kind");
    }

    async fn policy_markers_and_sdg_targets_filter_and_group(app: TestApp) {
        let city = app.create("cities", json!({"name": "Dalian", "country": "CN"})).await;
        let project = |title: &str, markers: Value, targets: Value| json!({"title": title, "city_ids": [city],
            "policy_markers": markers, "sdg_targets": targets});
        let boilers = app.create("projects", project("Boilers",
            json!([{"marker": "climate_mitigation", "significance": 2}, {"marker": "environment", "significance": 1}]),
            json!(["7.3", "11.6"]))).await;
        let waste = app.create("projects", project("Waste",
            json!([{"marker": "environment", "significance": 2}, {"marker": "climate_mitigation", "significance": 0}]),
            json!(["11.6"]))).await;
        app.create("projects", project("Plain", json!([]), json!([]))).await;
        for (project, amount) in [(&boilers, "300"), (&waste, "50")] {
            app.create("fundings", json!({"project_id": project, "kind": "commitment",
                "funder_description": "ODA", "amount": amount, "currency": "JPY"})).await;
        }

        // Significance 0 means not targeted: Waste is not a climate-mitigation project.
        let titles = |items: Vec<Value>| items.iter().map(|p| p["title"].clone()).collect::<Vec<_>>();
        assert_eq!(titles(app.list_all("/v1/projects?policy_marker=climate_mitigation").await), vec![json!("Boilers")]);
        assert_eq!(app.list_all("/v1/projects?sdg_target=11.6").await.len(), 2);
        assert_eq!(rows(&app, "/v1/stats/projects?group_by=policy_marker", &["policy_marker", "significance", "count"]).await, vec![
            json!({"policy_marker": "climate_mitigation", "significance": 2, "count": 1}),
            json!({"policy_marker": "environment", "significance": 1, "count": 1}),
            json!({"policy_marker": "environment", "significance": 2, "count": 1}),
            json!({"policy_marker": null, "significance": null, "count": 1}),
        ]);
        assert_eq!(rows(&app, "/v1/stats/projects?group_by=sdg_target", &["sdg_target", "count"]).await, vec![
            json!({"sdg_target": "11.6", "count": 2}),
            json!({"sdg_target": "7.3", "count": 1}),
            json!({"sdg_target": null, "count": 1}),
        ]);
        assert_eq!(rows(&app, "/v1/stats/projects?policy_marker=environment", &["count"]).await, vec![json!({"count": 2})]);
        // Money of 11.6 projects: 300 + 50; of 7.3 projects: 300.
        assert_eq!(rows(&app, "/v1/stats/fundings?group_by=sdg_target", &["sdg_target", "total_amount"]).await, vec![
            json!({"sdg_target": "11.6", "total_amount": "350"}),
            json!({"sdg_target": "7.3", "total_amount": "300"}),
        ]);
        assert_eq!(rows(&app, "/v1/stats/fundings?policy_marker=climate_mitigation", &["total_amount"]).await,
            vec![json!({"total_amount": "300"})]);

        // A patch that drops a marker drops it from the index too.
        let patched = app.patch(&format!("/v1/projects/{boilers}"), &json!({"policy_markers": []})).await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        assert!(app.list_all("/v1/projects?policy_marker=climate_mitigation").await.is_empty());

        let bad = |markers: Value, targets: Value| project("Bad", markers, targets);
        app.post("/v1/projects", &bad(json!([{"marker": "environment", "significance": 3}]), json!([])))
            .await.assert_problem(422, "/policy_markers/0/significance");
        app.post("/v1/projects", &bad(json!([{"marker": "environment", "significance": 1},
            {"marker": "environment", "significance": 2}]), json!([]))).await.assert_problem(422, "/policy_markers/1");
        app.post("/v1/projects", &bad(json!([{"marker": "gender", "significance": 1}]), json!([])))
            .await.assert_problem(422, "/policy_markers/0/marker");
        for target in ["18.1", "6", "6.01", "06.1", "6.ab"] {
            app.post("/v1/projects", &bad(json!([]), json!([target]))).await.assert_problem(422, "/sdg_targets/0");
        }
        app.post("/v1/projects", &bad(json!([]), json!(["6.1", "6.1"]))).await.assert_problem(422, "/sdg_targets/1");
        app.get("/v1/stats/projects?sdg_target=99.9").await.assert_problem(400, "sdg_target");
    }
}
