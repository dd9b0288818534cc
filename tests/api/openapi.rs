//! The committed OpenAPI document is what the code produces, and it covers every route.

#[test]
fn committed_spec_matches_the_code() {
    let produced = intercity::api::openapi_json();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json is committed");
    if produced != committed {
        panic!(
            "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json` and commit it"
        );
    }
}

#[test]
fn every_operation_documents_its_errors_and_examples() {
    let document: serde_json::Value =
        serde_json::from_str(&intercity::api::openapi_json()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 46, "{:?}", paths.keys().collect::<Vec<_>>());
    assert!(document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer");
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let writes = ["post", "put", "patch", "delete"].contains(&method.as_str());
            if writes || path.contains("{id}") {
                assert!(
                    responses.contains_key("400"),
                    "{method} {path} documents no 400"
                );
            }
            if writes {
                // Every write names the role its key needs, and documents the refusals.
                let security = operation["security"].to_string();
                assert!(
                    security == r#"[{"bearer":["editor"]}]"#
                        || security == r#"[{"bearer":["admin"]}]"#,
                    "{method} {path} has the security {security}"
                );
                for status in ["401", "403", "429"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} documents no {status}"
                    );
                }
            }
            if writes && method != "delete" {
                assert!(
                    responses.contains_key("422"),
                    "{method} {path} documents no 422"
                );
            }
        }
    }
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for name in ["NewCity", "NewFunding", "NewProject", "Problem"] {
        let properties = schemas[name]["properties"].as_object().unwrap();
        assert!(
            properties
                .values()
                .any(|p| p.get("example").is_some() || p.get("examples").is_some()),
            "{name} has no examples"
        );
    }
}

/// Every `$ref` names a schema the document defines (generators skip endpoints otherwise).
#[test]
fn every_reference_resolves() {
    fn walk(value: &serde_json::Value, schemas: &serde_json::Map<String, serde_json::Value>) {
        match value {
            serde_json::Value::Object(fields) => {
                if let Some(reference) = fields.get("$ref").and_then(|r| r.as_str()) {
                    let name = reference.trim_start_matches("#/components/schemas/");
                    assert!(schemas.contains_key(name), "{reference} is not defined");
                }
                fields.values().for_each(|child| walk(child, schemas));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|child| walk(child, schemas)),
            _ => {}
        }
    }
    let document: serde_json::Value =
        serde_json::from_str(&intercity::api::openapi_json()).unwrap();
    walk(
        &document,
        document["components"]["schemas"].as_object().unwrap(),
    );
}
