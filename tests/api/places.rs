//! Places: levels and the places they lie in, and the maps the lists draw as GeoJSON.

use awc::http::StatusCode;
use serde_json::{json, Value};

use sea_orm::ConnectionTrait;

use crate::helpers::on_both_engines;

on_both_engines! {
    async fn places_have_levels_and_lie_in_other_places(app: TestApp) {
        // The town is made first, so its id sorts before the province's.
        let town = app.create("cities", json!({"name": "Sen Monorom", "country": "KH", "admin_level": "municipality"})).await;
        let province = app.create("cities", json!({"name": "Mondulkiri", "country": "KH", "admin_level": "province"})).await;
        let placed = app.patch(&format!("/v1/cities/{town}"), &json!({"parent_id": province})).await;
        assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
        assert!(town < province);
        let listed = app.list_all(&format!("/v1/cities?parent_id={province}")).await;
        assert_eq!(listed.iter().map(|c| c["name"].clone()).collect::<Vec<_>>(), vec![json!("Sen Monorom")]);
        assert_eq!(app.list_all("/v1/cities?admin_level=province").await.len(), 1);
        // No cycles, no place inside itself, no parent that does not exist.
        app.patch(&format!("/v1/cities/{province}"), &json!({"parent_id": town})).await.assert_problem(422, "/parent_id");
        app.patch(&format!("/v1/cities/{town}"), &json!({"parent_id": town})).await.assert_problem(422, "/parent_id");
        app.post("/v1/cities", &json!({"name": "X", "country": "KH", "parent_id": uuid::Uuid::now_v7()}))
            .await.assert_problem(422, "/parent_id");
        app.post("/v1/cities", &json!({"name": "X", "country": "KH", "admin_level": "village"}))
            .await.assert_problem(422, "/admin_level");
        app.delete(&format!("/v1/cities/{province}")).await.assert_problem(409, "");

        // Export writes the province before the town, though its id sorts after, so an import loads.
        let export = app.get("/v1/export?resource=city").await;
        let text = String::from_utf8(export.raw.clone()).unwrap();
        let position = |id: &str| text.find(id).unwrap();
        assert!(position(&province) < position(&format!("\"parent_id\":\"{province}\"")));
    }

    async fn lists_of_places_and_partnerships_are_geojson_on_request(app: TestApp) {
        let kitakyushu = app.create("cities", json!({"name": "Kitakyushu", "country": "JP",
            "latitude": 33.85181, "longitude": 130.85034})).await;
        let dalian = app.create("cities", json!({"name": "Dalian", "country": "CN",
            "latitude": 38.91222, "longitude": 121.60222})).await;
        let nowhere = app.create("cities", json!({"name": "Siheung", "country": "KR"})).await;
        let mapped = app.create("partnerships", json!({"city_ids": [kitakyushu, dalian], "kind": "friendship_city",
            "established": "1979-05"})).await;
        app.create("partnerships", json!({"city_ids": [kitakyushu, nowhere], "kind": "other"})).await;

        let geo = [("Accept", "application/geo+json")];
        let cities = app.request(awc::http::Method::GET, "/v1/cities?sort=name", None, &geo).await;
        assert_eq!(cities.status, StatusCode::OK, "{}", cities.body);
        assert_eq!(cities.header("content-type").as_deref(), Some("application/geo+json"));
        assert_eq!(cities.header("vary").as_deref(), Some("Accept, Accept-Language"));
        assert_eq!(cities.body["type"], "FeatureCollection");
        let features = cities.body["features"].as_array().unwrap();
        // GeoJSON puts longitude first.
        assert_eq!(features[0]["geometry"], json!({"type": "Point", "coordinates": [121.60222, 38.91222]}));
        assert_eq!(features[0]["properties"]["name"], "Dalian");
        assert_eq!(features[0]["id"], json!(dalian));
        assert_eq!(features[2]["geometry"], Value::Null, "Siheung has no coordinates");

        let partnerships = app.request(awc::http::Method::GET, "/v1/partnerships?limit=1", None, &geo).await;
        let line = &partnerships.body["features"][0];
        assert_eq!(line["id"], json!(mapped));
        assert_eq!(line["geometry"], json!({"type": "LineString",
            "coordinates": [[130.85034, 33.85181], [121.60222, 38.91222]]}));
        assert_eq!(line["properties"]["kind"], "friendship_city");
        let cursor = partnerships.body["next_cursor"].as_str().unwrap();
        let next = app.request(awc::http::Method::GET, &format!("/v1/partnerships?limit=1&cursor={cursor}"), None, &geo).await;
        assert_eq!(next.body["features"][0]["geometry"], Value::Null, "one city has no coordinates");
        // Plain JSON is unchanged, and a list that is not drawn answers JSON.
        assert!(app.get("/v1/cities").await.body["items"].is_array());
        let projects = app.request(awc::http::Method::GET, "/v1/projects", None, &geo).await;
        assert_eq!(projects.header("content-type").as_deref(), Some("application/json"));
    }
}

on_both_engines! {
    async fn names_in_every_language_and_spelling_are_found(app: TestApp) {
        let hai_phong = app.create("cities", json!({"name": "Hai Phong", "country": "VN",
            "names": {"en": "Hai Phong", "vi": "Hải Phòng", "ja": "ハイフォン"}, "aliases": ["Haiphong"]})).await;
        let kitakyushu = app.create("cities", json!({"name": "Kitakyushu", "local_name": "北九州市", "country": "JP"})).await;
        let found = |q: &str| {
            let app = &app;
            let path = format!("/v1/cities?q={}", percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC));
            async move { app.list_all(&path).await.iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>() }
        };
        for q in ["haiphong", "HAI-PHONG", "hải phòng", "ハイフォン", "Haiphong", "phong"] {
            assert_eq!(found(q).await, vec![hai_phong.clone()], "q={q}");
        }
        assert_eq!(found("北九州").await, vec![kitakyushu.clone()]);
        assert!(found("danang").await.is_empty());
        // A text with nothing to search for matches everything.
        assert_eq!(found(" - ").await.len(), 2);

        // display_name follows lang, then Accept-Language, then English, then the name.
        let path = format!("/v1/cities/{hai_phong}");
        let read = |query: &'static str, accept: &'static str| {
            let app = &app;
            let path = format!("{path}{query}");
            async move {
                let headers: Vec<(&str, &str)> = if accept.is_empty() { vec![] } else { vec![("Accept-Language", accept)] };
                app.request(awc::http::Method::GET, &path, None, &headers).await
            }
        };
        assert_eq!(read("", "").await.body["display_name"], "Hai Phong");
        assert_eq!(read("", "vi-VN, en;q=0.5").await.body["display_name"], "Hải Phòng");
        assert_eq!(read("?lang=ja", "vi").await.body["display_name"], "ハイフォン");
        assert_eq!(read("", "fr").await.body["display_name"], "Hai Phong");
        let reply = read("", "vi").await;
        assert!(reply.header("vary").unwrap().contains("Accept-Language"));
        assert_eq!(app.get(&format!("/v1/cities/{kitakyushu}")).await.body["display_name"], "Kitakyushu");
        let listed = app.get("/v1/cities?lang=vi&sort=name").await;
        assert_eq!(listed.body["items"][0]["display_name"], "Hải Phòng");
        app.get("/v1/cities?lang=vietnamese").await.assert_problem(400, "lang");
        // Records without names have no display_name.
        let partnership = app.create("partnerships", json!({"city_ids": [hai_phong, kitakyushu], "kind": "other"})).await;
        assert!(app.get(&format!("/v1/partnerships/{partnership}")).await.body.get("display_name").is_none());

        // Projects and agreements have titles in other languages, found and shown the same way.
        let project = app.create("projects", json!({"title": "Water supply cooperation", "city_ids": [hai_phong],
            "titles": {"vi": "Hợp tác cấp nước", "ja": "上水道協力"}})).await;
        let found = app.list_all("/v1/projects?q=hop%20tac%20cap%20nuoc").await;
        assert_eq!(found.iter().map(|p| p["id"].clone()).collect::<Vec<_>>(), vec![json!(project)]);
        let shown = app.get(&format!("/v1/projects/{project}?lang=ja")).await.body;
        assert_eq!(shown["display_name"], "上水道協力");
        assert_eq!(app.get(&format!("/v1/projects/{project}")).await.body["display_name"], "Water supply cooperation");

        app.post("/v1/cities", &json!({"name": "X", "country": "VN", "names": {"vietnamese": "X"}}))
            .await.assert_problem(422, "/names");
        app.post("/v1/cities", &json!({"name": "X", "country": "VN", "aliases": [""]}))
            .await.assert_problem(422, "/aliases/0");
    }

    async fn organizations_keep_their_history(app: TestApp) {
        let city = app.create("organizations", json!({"name": "City of Kitakyushu", "kind": "local_government"})).await;
        let centre = app.create("organizations", json!({"name": "Kitakyushu Asia Center for Carbon Neutrality",
            "kind": "government_agency", "parent_id": city, "founded": "2010",
            "former_names": [{"name": "Asian Center for Low Carbon Society", "from": "2010", "until": "2021"}]})).await;
        let listed = app.list_all("/v1/organizations?q=low%20carbon%20society").await;
        assert_eq!(listed.iter().map(|o| o["id"].clone()).collect::<Vec<_>>(), vec![json!(centre)]);
        assert_eq!(app.list_all(&format!("/v1/organizations?parent_id={city}")).await.len(), 1);
        app.patch(&format!("/v1/organizations/{city}"), &json!({"parent_id": centre})).await.assert_problem(422, "/parent_id");
        app.post("/v1/organizations", &json!({"name": "X", "kind": "other",
            "former_names": [{"name": "Y", "from": "2010", "until": "2001"}]})).await.assert_problem(422, "/former_names/0/until");
        // A rename is found under its new name and no longer under the old one.
        app.patch(&format!("/v1/organizations/{city}"), &json!({"name": "Kitakyushu City Government"})).await;
        assert_eq!(app.list_all("/v1/organizations?q=city%20government").await.len(), 1);
        assert!(app.list_all("/v1/organizations?q=city%20of%20kitakyushu").await.is_empty());
    }

    async fn a_text_that_thousands_of_records_hold_is_found_page_by_page(app: TestApp) {
        // More towns than SQLite gathers by their terms (it probes each record in order instead), and
        // one place that only a short text finds.
        let town = |n: u32| format!("00000000-0000-4000-8000-{n:012}");
        let mut body = String::new();
        for n in 1..=5_002 {
            body.push_str(&json!({"resource": "city", "op": "upsert",
                "data": {"id": town(n), "name": format!("Town {n}"), "country": "JP"}}).to_string());
            body.push('\n');
        }
        body.push_str(&json!({"resource": "city", "op": "upsert",
            "data": {"id": "ffffffff-0000-4000-8000-000000000000", "name": "Other place", "country": "KH"}}).to_string());
        let reply = app.request(awc::http::Method::POST, "/v1/import", Some(body.into_bytes()),
            &[("content-type", "application/x-ndjson")]).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

        let ids = |reply: &crate::helpers::Reply| reply.body["items"].as_array().unwrap().iter()
            .map(|city| city["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        let first = app.get("/v1/cities?q=town&limit=3").await;
        assert_eq!(ids(&first), [town(1), town(2), town(3)]);
        let cursor = first.body["next_cursor"].as_str().unwrap();
        let second = app.get(&format!("/v1/cities?q=town&limit=3&cursor={cursor}")).await;
        assert_eq!(ids(&second), [town(4), town(5), town(6)]);
        assert_eq!(ids(&app.get("/v1/cities?q=town&country=KH").await), Vec::<String>::new());
        assert_eq!(ids(&app.get("/v1/cities?q=town%205002").await), [town(5002)]);
        assert_eq!(ids(&app.get("/v1/cities?q=ot&limit=3").await), ["ffffffff-0000-4000-8000-000000000000"]);
        assert_eq!(app.list_all("/v1/cities?q=own&limit=500").await.len(), 5_002);
    }

    async fn the_search_index_is_built_again_when_missing(app: TestApp) {
        app.create("cities", json!({"name": "Hai Phong", "country": "VN", "aliases": ["Haiphong"]})).await;
        let db = app.store.connection();
        for sql in ["DELETE FROM search_terms", "DELETE FROM index_versions"] {
            db.execute_unprepared(sql).await.unwrap();
        }
        assert!(app.list_all("/v1/cities?q=haiphong").await.is_empty());
        app.store.migrate().await.unwrap();
        assert_eq!(app.list_all("/v1/cities?q=haiphong").await.len(), 1);
    }
}
