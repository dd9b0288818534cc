//! Partnerships that change form, exchanges among several cities, agreements that bind many cities and
//! renew each other, project sites, and networks of cities. Expected figures are worked out by hand.

use awc::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::on_both_engines;

on_both_engines! {
    async fn a_partnership_keeps_its_history(app: TestApp) {
        let a = app.create("cities", json!({"name": "Kitakyushu", "country": "JP"})).await;
        let b = app.create("cities", json!({"name": "Hai Phong", "country": "VN"})).await;
        let body = |kind: &str, history: Value| json!({"city_ids": [a, b], "kind": kind, "status": "active",
            "history": history});
        let upgraded = json!([{"date": "2009", "kind": "friendship_city", "status": "active"},
            {"date": "2014-04", "kind": "sister_city", "note": "Upgraded to sister cities"}]);
        let id = app.create("partnerships", body("sister_city", upgraded.clone())).await;
        let read = app.get(&format!("/v1/partnerships/{id}")).await.body;
        assert_eq!(read["history"][1]["kind"], "sister_city");
        assert_eq!(read["history"][0]["note"], Value::Null);

        app.post("/v1/partnerships", &body("friendship_city", upgraded)).await.assert_problem(422, "/kind");
        app.post("/v1/partnerships", &body("sister_city", json!([{"date": "2014", "kind": "sister_city"},
            {"date": "2009", "kind": "sister_city"}]))).await.assert_problem(422, "/history/1/date");
        app.post("/v1/partnerships", &body("sister_city", json!([{"date": "2014"}])))
            .await.assert_problem(422, "/history/0");
        app.post("/v1/partnerships", &body("sister_city", json!([{"date": "2014", "status": "ended"}])))
            .await.assert_problem(422, "/status");
    }

    async fn exchanges_among_several_cities_count_people_only(app: TestApp) {
        let a = app.create("cities", json!({"name": "Kitakyushu", "country": "JP"})).await;
        let b = app.create("cities", json!({"name": "Nay Pyi Taw", "country": "MM"})).await;
        let c = app.create("cities", json!({"name": "Mandalay", "country": "MM"})).await;
        // A forum among cities, with no partnership or project, and a breakdown of who came.
        let forum = app.create("exchanges", json!({"kind": "seminar", "city_ids": [b, c], "status": "held",
            "start": "2015", "participants": 38, "breakdown": [
                {"group": "Kitakyushu representatives", "count": 8},
                {"group": "Chongqing business representatives", "count": 30}]})).await;
        app.create("exchanges", json!({"kind": "seminar", "city_ids": [a, b], "start": "2015",
            "participants": 6, "participants_unit": "cities"})).await;
        app.create("exchanges", json!({"kind": "study_visit", "from_city_id": b, "to_city_id": a, "start": "2016",
            "participants": 4, "status": "planned"})).await;

        // People: 38 + 4; the count in cities is not people.
        let totals = app.get("/v1/stats/exchanges").await.body;
        assert_eq!((&totals["rows"][0]["count"], &totals["rows"][0]["participants"],
            &totals["rows"][0]["count_without_participants"]), (&json!(3), &json!(42), &json!(1)));
        let in_mandalay = app.get(&format!("/v1/stats/exchanges?city_id={c}")).await.body;
        assert_eq!(in_mandalay["rows"][0]["participants"], 38);
        let myanmar = app.get("/v1/stats/exchanges?country=MM").await.body;
        assert_eq!(myanmar["rows"][0]["count"], 3);
        assert_eq!(app.list_all(&format!("/v1/exchanges?city_id={c}")).await.len(), 1);
        assert_eq!(app.list_all("/v1/exchanges?status=planned").await.len(), 1);
        let overview = app.get("/v1/stats/overview").await.body;
        assert_eq!(overview["headline"]["exchanges"], 3);

        app.post("/v1/exchanges", &json!({"kind": "seminar"})).await.assert_problem(422, "/project_id");
        app.post("/v1/exchanges", &json!({"kind": "seminar", "city_ids": [b], "participants": 10,
            "breakdown": [{"group": "x", "count": 4}]})).await.assert_problem(422, "/breakdown");
        app.post("/v1/exchanges", &json!({"kind": "seminar", "city_ids": [b],
            "breakdown": [{"group": "x", "count": 4}]})).await.assert_problem(422, "/participants");
        app.post("/v1/exchanges", &json!({"kind": "seminar", "city_ids": [b], "participants_unit": "cities"}))
            .await.assert_problem(422, "/participants_unit");
        app.post("/v1/exchanges", &json!({"kind": "seminar", "city_ids": [b], "status": "cancelled"}))
            .await.assert_problem(422, "/status");
        app.delete(&format!("/v1/cities/{c}")).await.assert_problem(409, "");
        assert_eq!(app.delete(&format!("/v1/exchanges/{forum}")).await.status, StatusCode::NO_CONTENT);
    }

    async fn agreements_bind_many_cities_start_projects_and_renew(app: TestApp) {
        let cities: Vec<String> = futures_util::future::join_all((0..9).map(|i| {
            app.create("cities", json!({"name": format!("City {i}"), "country": "CN"}))
        })).await;
        let project = app.create("projects", json!({"title": "Model zone", "city_ids": [cities[0]]})).await;
        // The renewal is made first, so its id sorts before the one it renews: export must still write
        // the renewed agreement first.
        let renewal = app.create("agreements", json!({"title": "Renewed memorandum",
            "kind": "memorandum_of_understanding", "signed": "1996"})).await;
        let first = app.create("agreements", json!({"title": "Nine-city memorandum",
            "kind": "memorandum_of_understanding", "signed": "1993", "city_ids": cities,
            "project_ids": [project], "term": {"from": "1993", "until": "1996"}})).await;
        let renews = app.patch(&format!("/v1/agreements/{renewal}"), &json!({"renews_id": first})).await;
        assert_eq!(renews.status, StatusCode::OK, "{}", renews.body);
        assert!(renewal < first);
        assert_eq!(app.list_all(&format!("/v1/agreements?city_id={}", cities[8])).await.len(), 1);
        assert_eq!(app.list_all(&format!("/v1/agreements?project_id={project}")).await.len(), 1);
        app.patch(&format!("/v1/agreements/{first}"), &json!({"renews_id": renewal}))
            .await.assert_problem(422, "/renews_id");
        app.post("/v1/agreements", &json!({"title": "T", "kind": "other", "term": {"from": "2000", "until": "1999"}}))
            .await.assert_problem(422, "/term/until");
        app.delete(&format!("/v1/projects/{project}")).await.assert_problem(409, "");
        let export = app.get("/v1/export?resource=agreement").await;
        let text = String::from_utf8(export.raw).unwrap();
        assert!(text.find(&format!("\"id\":\"{first}\"")).unwrap() < text.find(&format!("\"id\":\"{renewal}\"")).unwrap());
    }

    async fn projects_have_sites_and_networks_have_members(app: TestApp) {
        let hai_phong = app.create("cities", json!({"name": "Hai Phong", "country": "VN"})).await;
        let kitakyushu = app.create("cities", json!({"name": "Kitakyushu", "country": "JP"})).await;
        let iges = app.create("organizations", json!({"name": "IGES", "kind": "academic"})).await;
        let site = |point: Value, exactness: Value| json!({"title": "U-BCF", "city_ids": [hai_phong], "sites": [
            {"name": "An Duong water treatment plant", "kind": "water_treatment_plant", "city_id": hai_phong,
             "point": point, "exactness": exactness}]});
        let project = app.create("projects", site(json!({"latitude": 20.86, "longitude": 106.68}), json!("approximate"))).await;
        assert_eq!(app.get(&format!("/v1/projects/{project}")).await.body["sites"][0]["exactness"], "approximate");
        app.post("/v1/projects", &site(json!({"latitude": 91.0, "longitude": 106.68}), json!("exact")))
            .await.assert_problem(422, "/sites/0/point/latitude");
        app.post("/v1/projects", &site(json!({"latitude": 20.0, "longitude": 106.68}), Value::Null))
            .await.assert_problem(422, "/sites/0/exactness");

        let network = app.create("networks", json!({"name": "Kitakyushu Initiative Network", "kind": "network",
            "established": "2000", "secretariat_id": iges, "members": [
                {"city_id": kitakyushu, "joined": "2000"}, {"city_id": hai_phong, "joined": "2001"},
                {"organization_id": iges}]})).await;
        assert_eq!(app.list_all(&format!("/v1/networks?member_id={hai_phong}")).await.len(), 1);
        assert_eq!(app.list_all(&format!("/v1/networks?member_id={iges}")).await.len(), 1);
        assert_eq!(app.list_all("/v1/networks?q=initiative").await.len(), 1);
        app.delete(&format!("/v1/cities/{kitakyushu}")).await.assert_problem(409, "");
        for (members, field) in [
            (json!([{"city_id": hai_phong, "organization_id": iges}]), "/members/0"),
            (json!([{}]), "/members/0"),
            (json!([{"city_id": hai_phong}, {"city_id": hai_phong}]), "/members/1"),
            (json!([{"city_id": hai_phong, "joined": "2005", "left": "2001"}]), "/members/0/left"),
        ] {
            app.post("/v1/networks", &json!({"name": "N", "kind": "forum", "members": members}))
                .await.assert_problem(422, field);
        }
        let patched = app.patch(&format!("/v1/networks/{network}"), &json!({"members": []})).await;
        assert_eq!(patched.status, StatusCode::OK);
        assert_eq!(app.delete(&format!("/v1/cities/{kitakyushu}")).await.status, StatusCode::NO_CONTENT);
    }
}
