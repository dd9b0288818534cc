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

/// A record's schema holds its metadata and its body's fields and nothing else; each PATCH takes its
/// resource's patch schema, in which nothing is required; no parameter is ever `null`.
#[test]
fn records_patches_and_parameters_are_described_as_served() {
    let document: serde_json::Value =
        serde_json::from_str(&intercity::api::openapi_json()).unwrap();
    let schemas = &document["components"]["schemas"];
    for (record, body) in [
        ("City", "NewCity"),
        ("Funding", "NewFunding"),
        ("Project", "NewProject"),
    ] {
        let fields: Vec<&String> = schemas[record]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        let mut expected: Vec<&String> = schemas["Meta"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        expected.extend(schemas[body]["properties"].as_object().unwrap().keys());
        assert_eq!(fields, expected, "{record}");
        assert_eq!(schemas[record]["additionalProperties"], false, "{record}");
        for field in ["id", "version", "created_at", "updated_at"] {
            assert!(
                schemas[record]["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f == field),
                "{record} {field}"
            );
        }
        let patch = &schemas[format!("{record}Patch")];
        assert_eq!(
            patch["properties"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            schemas[body]["properties"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>()
        );
        assert!(
            patch
                .get("required")
                .is_none_or(|r| r.as_array().unwrap().is_empty()),
            "{record}Patch"
        );
    }
    // An optional field may be cleared with null, a required one may not.
    assert_eq!(
        schemas["CityPatch"]["properties"]["aliases"]["anyOf"][1]["type"],
        "null"
    );
    assert_eq!(
        schemas["CityPatch"]["properties"]["name"]["$ref"],
        "#/components/schemas/ShortText"
    );
    // A map is merged key by key: in a patch, a key's null removes it.
    assert_eq!(
        schemas["CityPatch"]["properties"]["names"]["anyOf"][0]["$ref"],
        "#/components/schemas/NamesPatch"
    );
    assert_eq!(
        schemas["NamesPatch"]["additionalProperties"]["anyOf"][1]["type"],
        "null"
    );
    assert_eq!(
        schemas["NamesPatch"]["propertyNames"],
        schemas["Names"]["propertyNames"]
    );
    assert_eq!(
        document["paths"]["/v1/cities/{id}"]["patch"]["requestBody"]["content"]
            ["application/merge-patch+json"]["schema"]["$ref"],
        "#/components/schemas/CityPatch"
    );
    assert_eq!(
        schemas["Page_City"]["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/City"
    );
    let mut parameters = 0;
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                parameters += 1;
                let schema = parameter["schema"].to_string();
                assert!(
                    !schema.contains("\"null\""),
                    "{} may be null: {schema}",
                    parameter["name"]
                );
            }
        }
    }
    assert!(parameters > 100);
    let countries = schemas["CountryCode"]["enum"].as_array().unwrap();
    assert!(countries.contains(&"KH".into()) && !countries.contains(&"XX".into()));
    assert_eq!(countries.len(), 249);
}
