//! Places: levels and the places they lie in, and the maps the lists draw as GeoJSON.

use awc::http::StatusCode;
use serde_json::{json, Value};

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
        assert_eq!(cities.header("vary").as_deref(), Some("Accept"));
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
