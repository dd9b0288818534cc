//! Keyset pagination, sorting and filters.

use awc::http::StatusCode;
use serde_json::{json, Value};

use crate::crud::fixture;
use crate::helpers::on_both_engines;

fn names(items: &[Value], field: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| i[field].as_str().unwrap_or("").to_owned())
        .collect()
}

on_both_engines! {
    async fn cursors_walk_every_record_once_in_order(app: TestApp) {
        let countries = ["JP", "CN", "KH", "VN", "ID"];
        for i in 0..23 {
            app.create("cities", json!({"name": format!("City {:02}", (i * 7) % 23),
                "country": countries[i % 5], "population": if i % 3 == 0 { Value::Null } else { json!(i * 1000) }})).await;
        }
        // Default order is by id; 23 records in pages of 5 are 5 pages.
        let first = app.get("/v1/cities?limit=5").await;
        assert_eq!(first.body["items"].as_array().unwrap().len(), 5);
        let link = first.header("link").unwrap();
        assert!(link.starts_with("</v1/cities?limit=5&cursor=") && link.ends_with(">; rel=\"next\""), "{link}");
        let all = app.list_all("/v1/cities?limit=5").await;
        assert_eq!(all.len(), 23);
        let ids = names(&all, "id");
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted);

        // By name, descending.
        let by_name = app.list_all("/v1/cities?limit=4&sort=-name").await;
        let expected: Vec<String> = (0..23).rev().map(|i| format!("City {i:02}")).collect();
        assert_eq!(names(&by_name, "name"), expected);
        // A key given again adds nothing: the first mention orders.
        let again = app.list_all("/v1/cities?limit=4&sort=-name,name,-name").await;
        assert_eq!(names(&again, "name"), expected);

        // By population, with missing values first and ties broken by id.
        let by_population = app.list_all("/v1/cities?limit=3&sort=population").await;
        assert_eq!(by_population.len(), 23);
        let populations: Vec<i64> = by_population.iter().map(|c| c["population"].as_i64().unwrap_or(-1)).collect();
        let mut ordered = populations.clone();
        ordered.sort();
        assert_eq!(populations, ordered);
        assert_eq!(populations.iter().filter(|p| **p == -1).count(), 8);

        // A filter keeps its cursor.
        let japanese = app.list_all("/v1/cities?limit=2&country=JP").await;
        assert_eq!(japanese.len(), 5);
        // The last page says so.
        let last = app.get("/v1/cities?limit=500").await;
        assert_eq!(last.body["next_cursor"], Value::Null);
        assert!(last.header("link").is_none());
        // A cursor made for one sort is refused under another.
        let cursor = first.body["next_cursor"].as_str().unwrap();
        app.get(&format!("/v1/cities?limit=5&sort=name&cursor={cursor}")).await.assert_problem(400, "cursor");
    }

    async fn filters_select_what_they_say(app: TestApp) {
        let f = fixture(&app).await;
        let dalian = app.create("cities", json!({"name": "Dalian", "local_name": "大连市", "country": "CN"})).await;
        let other = app.create("partnerships", json!({"city_ids": [f.kitakyushu, dalian],
            "kind": "friendship_city", "established": "1979-05-01"})).await;
        let phase = app.create("projects", json!({"title": "Eco-model city", "city_ids": [dalian],
            "sectors": ["air_quality"], "start": "2015-06", "partnership_id": other})).await;

        let ids = |items: Vec<Value>| { let mut v = names(&items, "id"); v.sort(); v };
        let sorted = |mut v: Vec<String>| { v.sort(); v };
        assert_eq!(ids(app.list_all("/v1/cities?q=DAL").await), vec![dalian.clone()]);
        assert_eq!(ids(app.list_all("/v1/cities?q=%E5%A4%A7%E8%BF%9E").await), vec![dalian.clone()]);
        // `%` and `_` are text, not wildcards: "D%L" folds to "dl", which no name contains.
        assert_eq!(ids(app.list_all("/v1/cities?q=D%25L").await), Vec::<String>::new());
        assert_eq!(ids(app.list_all("/v1/cities?q=D_L").await), Vec::<String>::new());
        assert_eq!(ids(app.list_all("/v1/cities?country=KH").await), vec![f.phnom_penh.clone()]);
        assert_eq!(ids(app.list_all(&format!("/v1/partnerships?city_id={}", f.kitakyushu)).await),
            sorted(vec![f.partnership.clone(), other.clone()]));
        assert_eq!(ids(app.list_all("/v1/partnerships?country=CN").await), vec![other.clone()]);
        assert_eq!(ids(app.list_all("/v1/partnerships?established_to=1979").await), vec![other.clone()]);
        assert_eq!(ids(app.list_all("/v1/partnerships?established_from=2016-03").await), vec![f.partnership.clone()]);
        assert_eq!(ids(app.list_all("/v1/partnerships?kind=sister_city").await), vec![f.partnership.clone()]);
        assert_eq!(ids(app.list_all("/v1/projects?sector=water_supply").await), vec![f.project.clone()]);
        assert_eq!(ids(app.list_all("/v1/projects?sector=air_quality").await), vec![phase.clone()]);
        assert_eq!(ids(app.list_all("/v1/projects?start_from=2010&start_to=2015").await), vec![phase.clone()]);
        assert_eq!(ids(app.list_all("/v1/projects?start_to=2014").await), vec![f.project.clone()]);
        assert_eq!(ids(app.list_all("/v1/projects?country=KH").await), vec![f.project.clone()]);
        assert_eq!(ids(app.list_all(&format!("/v1/projects?organization_id={}", f.ppwsa)).await), vec![f.project.clone()]);
        assert_eq!(ids(app.list_all("/v1/projects?status=completed").await), vec![f.project.clone()]);
        assert_eq!(ids(app.list_all(&format!("/v1/organizations?city_id={}", f.phnom_penh)).await), vec![f.ppwsa.clone()]);
        assert_eq!(ids(app.list_all("/v1/organizations?kind=utility").await), vec![f.ppwsa.clone()]);
        assert_eq!(ids(app.list_all(&format!("/v1/agreements?signatory_id={}", f.ppwsa)).await), vec![f.agreement.clone()]);
        assert_eq!(ids(app.list_all("/v1/fundings?currency=JPY&instrument=grant").await), vec![f.funding.clone()]);
        assert_eq!(ids(app.list_all("/v1/fundings?start_from=2017").await).len(), 0);
        assert_eq!(ids(app.list_all(&format!("/v1/exchanges?city_id={}", f.kitakyushu)).await), vec![f.exchange.clone()]);
        assert_eq!(ids(app.list_all("/v1/indicators?metric=non_revenue_water_rate&period_to=2006").await),
            vec![f.indicator.clone()]);

        // updated_since: only what changed at or after the instant.
        let since = app.get(&format!("/v1/cities/{dalian}")).await.body["updated_at"].as_str().unwrap().to_owned();
        let since = since.replace('+', "%2B");
        assert_eq!(ids(app.list_all(&format!("/v1/cities?updated_since={since}")).await), vec![dalian.clone()]);
        let status = app.get("/v1/cities?updated_since=2999-01-01T00:00:00Z").await;
        assert_eq!(status.status, StatusCode::OK);
        assert_eq!(status.body["items"], json!([]));
    }
}

on_both_engines! {
    async fn each_lists_documented_sort_is_one_it_takes(app: TestApp) {
        let document: Value = serde_json::from_str(&intercity::api::openapi_json()).unwrap();
        let mut checked = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            let parameters = item["get"]["parameters"].as_array();
            let Some(sort) = parameters.and_then(|ps| ps.iter().find(|p| p["name"] == "sort")) else { continue };
            if path.contains('{') {
                continue;
            }
            let example = sort["example"].as_str().unwrap();
            let reply = app.get(&format!("{path}?sort={example}")).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}?sort={example}: {}", reply.body);
            let pattern = sort["schema"]["pattern"].as_str().unwrap();
            // Agreements have no `start`: the pattern leaves it out, and the server refuses it.
            if path == "/v1/agreements" {
                assert!(!pattern.contains("start"), "{pattern}");
                app.get("/v1/agreements?sort=-start").await.assert_problem(400, "sort");
            }
            checked += 1;
        }
        assert_eq!(checked, 10, "one list per resource");
    }
}
