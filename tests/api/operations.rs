//! Health, readiness, request ids, the sector vocabulary and the served documentation.

use awc::http::{Method, StatusCode};

use crate::helpers::on_both_engines;

on_both_engines! {
    async fn health_and_readiness(app: TestApp) {
        let health = app.get("/healthz").await;
        assert_eq!(health.status, StatusCode::OK);
        assert_eq!(health.body["status"], "ok");
        let ready = app.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK);
    }

    async fn request_ids_are_kept_or_made(app: TestApp) {
        let kept = app.request(Method::GET, "/healthz", None, &[("x-request-id", "trace-123")]).await;
        assert_eq!(kept.header("x-request-id").as_deref(), Some("trace-123"));
        let made = app.get("/v1/cities").await;
        let id = made.header("x-request-id").unwrap();
        assert!(uuid::Uuid::parse_str(&id).is_ok());
        let problem = app.get("/v1/cities/nope").await;
        assert_eq!(problem.body["request_id"].as_str(), problem.header("x-request-id").as_deref());
    }

    async fn sectors_are_listed_with_dac_codes(app: TestApp) {
        let sectors = app.get("/v1/sectors").await;
        assert_eq!(sectors.status, StatusCode::OK);
        let water = sectors.body.as_array().unwrap().iter().find(|s| s["code"] == "water_supply").unwrap();
        assert_eq!(water["dac_code"], 14021);
        assert!(sectors.header("etag").is_some());
    }

    async fn docs_and_spec_are_served(app: TestApp) {
        let spec = app.get("/openapi.json").await;
        assert_eq!(spec.status, StatusCode::OK);
        assert_eq!(spec.body["openapi"], "3.1.0");
        let committed: serde_json::Value =
            serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
        assert_eq!(spec.body, committed);
        let docs = app.get("/docs/").await;
        assert_eq!(docs.status, StatusCode::OK);
        assert!(String::from_utf8_lossy(&docs.raw).contains("swagger-ui"));
        let redirect = app.get("/docs").await;
        assert!(redirect.status.is_redirection(), "{}", redirect.status);
    }
}
