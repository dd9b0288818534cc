//! What a request costs the database, in statements: fixed whatever the page size or the data.

use awc::http::StatusCode;
use serde_json::json;

use crate::helpers::{on_both_engines, TestApp};

/// The statements the store sent while `path` was answered (no other request runs meanwhile).
async fn statements_for(app: &TestApp, path: &str) -> u64 {
    let before = app.store.statements_sent();
    let reply = app.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    app.store.statements_sent() - before
}

on_both_engines! {
    #[settings(|s: &mut intercity::config::Settings| s.stats_staleness_ms = 3_600_000)]
    async fn a_request_sends_a_fixed_number_of_statements(app: TestApp) {
        let dalian = app.create("cities", json!({"name": "Dalian", "country": "CN"})).await;
        let kitakyushu = app.create("cities", json!({"name": "Kitakyushu", "country": "JP"})).await;
        let kita = app.create("organizations", json!({"name": "KITA", "kind": "ngo"})).await;
        let partnership = app.create("partnerships", json!({"city_ids": [kitakyushu, dalian], "kind": "friendship_city"})).await;
        let programme = app.create("projects", json!({"title": "Programme", "city_ids": [dalian]})).await;
        for i in 0..12 {
            let project = app.create("projects", json!({"title": format!("Phase {i}"), "city_ids": [dalian],
                "partnership_id": partnership, "parent_id": programme, "status": "active", "start": "2001",
                "sectors": ["air_quality"], "participants": [{"organization_id": kita, "role": "implementer"}],
                "policy_markers": [{"marker": "climate_mitigation", "significance": 2}], "sdg_targets": ["11.6"]})).await;
            app.create("fundings", json!({"project_id": project, "kind": "disbursement", "amount": "10", "funder_id": kita,
                "currency": "JPY", "start": "2001"})).await;
        }

        // A list page with every filter is one statement, at any page size; on SQLite a search first
        // counts its matches in the trigram table, to choose how to search.
        let list = if matches!(app.engine, Engine::Sqlite) { 2 } else { 1 };
        let filters = format!("partnership_id={partnership}&city_id={dalian}&country=CN&sector=air_quality\
            &status=active&parent_id={programme}&organization_id={kita}&policy_marker=climate_mitigation\
            &sdg_target=11.6&start_from=2000&start_to=2002&q=phase&updated_since=2000-01-01T00:00:00Z");
        for limit in [1, 5, 100] {
            assert_eq!(statements_for(&app, &format!("/v1/projects?limit={limit}&{filters}")).await, list, "limit={limit}");
        }
        let page = app.get(&format!("/v1/projects?limit=5&sort=-title&{filters}")).await;
        let cursor = page.body["next_cursor"].as_str().unwrap();
        assert_eq!(statements_for(&app, &format!("/v1/projects?limit=5&sort=-title&cursor={cursor}&{filters}")).await, list);
        assert_eq!(statements_for(&app, &format!("/v1/projects/{programme}")).await, 1);

        // The overview: the change feed's head (the data version behind its ETag), the headline figures,
        // the funding table; then, unchanged data, nothing: the head is known until this instance writes
        // (or the staleness allowed for other instances' writes, an hour here, passes).
        assert_eq!(statements_for(&app, "/v1/stats/overview").await, 3);
        assert_eq!(statements_for(&app, "/v1/stats/overview").await, 0);
        assert_eq!(statements_for(&app, "/v1/stats/fundings?group_by=year").await, 1);
        app.create("cities", json!({"name": "Shenyang", "country": "CN"})).await;
        assert_eq!(statements_for(&app, "/v1/stats/overview").await, 3);
    }
}
