//! ETags, conditional reads and optimistic concurrency.

use awc::http::{Method, StatusCode};
use serde_json::json;

use crate::crud::fixture;
use crate::helpers::on_both_engines;

on_both_engines! {
    async fn if_none_match_gives_304(app: TestApp) {
        let f = fixture(&app).await;
        let path = format!("/v1/cities/{}", f.kitakyushu);
        let first = app.get(&path).await;
        let etag = first.header("etag").unwrap();
        let again = app.request(Method::GET, &path, None, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        assert!(again.raw.is_empty());
        assert_eq!(again.header("etag"), Some(etag.clone()));

        // Lists carry an ETag too, and it changes when the data does.
        let list = app.get("/v1/cities").await;
        let list_etag = list.header("etag").unwrap();
        let cached = app.request(Method::GET, "/v1/cities", None, &[("if-none-match", &list_etag)]).await;
        assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
        app.patch(&path, &json!({"region": "Fukuoka"})).await;
        let changed = app.request(Method::GET, "/v1/cities", None, &[("if-none-match", &list_etag)]).await;
        assert_eq!(changed.status, StatusCode::OK);
        assert_ne!(changed.header("etag").unwrap(), list_etag);
        let stale = app.request(Method::GET, &path, None, &[("if-none-match", &etag)]).await;
        assert_eq!(stale.status, StatusCode::OK);
        assert_eq!(stale.header("etag").as_deref(), Some("\"2\""));
    }

    async fn stale_if_match_is_412_and_changes_nothing(app: TestApp) {
        let f = fixture(&app).await;
        let path = format!("/v1/cities/{}", f.kitakyushu);
        let body = json!({"name": "Kitakyushu", "country": "JP", "region": "Fukuoka"}).to_string();
        let ok = app.request(Method::PUT, &path, Some(body.clone().into_bytes()), &[("if-match", "\"1\"")]).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert_eq!(ok.body["version"], 2);

        let before = app.change_count().await;
        let stale_put = app.request(Method::PUT, &path, Some(body.into_bytes()), &[("if-match", "\"1\"")]).await;
        stale_put.assert_problem(412, "");
        let stale_patch = app.request(Method::PATCH, &path,
            Some(json!({"region": "Kyushu"}).to_string().into_bytes()), &[("if-match", "\"1\"")]).await;
        stale_patch.assert_problem(412, "");
        let stale_delete = app.request(Method::DELETE, &path, None, &[("if-match", "\"1\"")]).await;
        stale_delete.assert_problem(412, "");
        // Only a quoted ETag, as the document's pattern says: an unquoted current version is refused too.
        for malformed in ["soon", "2", "\"2", "W/2", "\"\"", "\"-2\"", "\"1234567890\""] {
            app.request(Method::DELETE, &path, None, &[("if-match", malformed)]).await.assert_problem(400, "If-Match");
        }
        assert_eq!(app.change_count().await, before);
        assert_eq!(app.get(&path).await.body["region"], "Fukuoka");

        let fresh = app.request(Method::PATCH, &path,
            Some(json!({"region": "Kyushu"}).to_string().into_bytes()), &[("if-match", "\"2\"")]).await;
        assert_eq!(fresh.status, StatusCode::OK);
        assert_eq!(fresh.body["version"], 3);
    }

    async fn concurrent_writers_with_the_same_version_one_wins(app: TestApp) {
        let f = fixture(&app).await;
        let path = format!("/v1/cities/{}", f.phnom_penh);
        let writes = (0..6).map(|i| {
            let body = json!({"region": format!("region {i}")}).to_string().into_bytes();
            app.request(Method::PATCH, &path, Some(body), &[("if-match", "\"1\"")])
        });
        let replies = futures_util::future::join_all(writes).await;
        let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 5, "{statuses:?}");
        assert_eq!(app.get(&path).await.body["version"], 2);
    }
}
