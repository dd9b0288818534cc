//! The seed dataset loads into an empty database, once, and implies the figures its documents state.

use awc::http::StatusCode;
use intercity::domain::ResourceKind;
use intercity::seed::{load_dir, seed_id};

use crate::helpers::{on_both_engines, TestApp};

fn seeds() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

/// Distinct records per resource in the seed files, read straight from the JSON.
pub fn seed_counts() -> std::collections::BTreeMap<String, usize> {
    let mut keys = std::collections::BTreeSet::new();
    for file in std::fs::read_dir(seeds()).unwrap() {
        let path = file.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let records: Vec<serde_json::Value> =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            for record in records {
                keys.insert((
                    record["resource"].as_str().unwrap().to_owned(),
                    record["key"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    let mut counts = std::collections::BTreeMap::new();
    for (resource, _) in keys {
        *counts.entry(resource).or_default() += 1;
    }
    counts
}

/// Distinct seed records whose sources cite `document` (`document/<key>`), read straight from the JSON.
fn records_citing(document: &str) -> usize {
    let mut keys = std::collections::BTreeSet::new();
    for file in std::fs::read_dir(seeds()).unwrap() {
        let path = file.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let records: Vec<serde_json::Value> =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            for record in records {
                let cites = record["data"]["sources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|source| source["document_id"] == document);
                if cites {
                    keys.insert((record["resource"].to_string(), record["key"].to_string()));
                }
            }
        }
    }
    keys.len()
}

async fn stats_row(app: &TestApp, path: &str) -> serde_json::Value {
    let reply = app.get(path).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let rows = reply.body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{path}: {rows:?}");
    rows[0].clone()
}

on_both_engines! {
    async fn seeds_load_once_with_the_documents_figures(app: TestApp) {
        let report = load_dir(&app.store, &seeds()).await.unwrap();
        assert_eq!(report.written, report.records);

        // Records per resource in seeds/*.json, duplicates across files merged.
        let expected = seed_counts();
        for (resource, count) in &expected {
            let collection = if resource == "city" { "cities".to_owned() } else { format!("{resource}s") };
            let listed = app.list_all(&format!("/v1/{collection}?limit=500")).await.len();
            assert_eq!(listed, *count, "{resource}");
        }
        assert_eq!(report.records, expected.values().sum::<usize>());

        // "Yen loans (total: ¥ 8.5 billion)" for Dalian (kido-kita).
        let loans = stats_row(&app, "/v1/stats/fundings?instrument=loan&country=CN&currency=JPY").await;
        assert_eq!(loans["total_amount"], "8500000000");
        assert_eq!(loans["count"], 2);

        // "a total of 26 trainees have come to Kawasaki as of fiscal 2008" (kawasaki-shenyang).
        let shenyang = seed_id(ResourceKind::Partnership, "kawasaki-shenyang");
        let trainees = stats_row(&app, &format!(
            "/v1/stats/exchanges?partnership_id={shenyang}&kind=trainee_acceptance")).await;
        assert_eq!(trainees["participants"], 26);

        // "Total number of advisors dispatched: 35" to Korean businesses (kido-kita).
        let korea = seed_id(ResourceKind::Project, "korea-sme-technical-training-and-advisor-dispatch");
        let advisors = stats_row(&app, &format!(
            "/v1/stats/exchanges?project_id={korea}&kind=expert_dispatch")).await;
        assert_eq!(advisors["participants"], 35);

        // The partnerships the documents name, with their fixed ids.
        for key in ["kitakyushu-dalian", "kitakyushu-phnom-penh", "kitakyushu-surabaya", "kitakyushu-hai-phong",
                    "kitakyushu-mandalay", "kawasaki-shenyang"] {
            let reply = app.get(&format!("/v1/partnerships/{}", seed_id(ResourceKind::Partnership, key))).await;
            assert_eq!(reply.status, StatusCode::OK, "{key}");
            assert!(!reply.body["sources"].as_array().unwrap().is_empty(), "{key} has no source");
        }
        let dalian = app.get(&format!("/v1/partnerships/{}", seed_id(ResourceKind::Partnership, "kitakyushu-dalian"))).await;
        assert_eq!(dalian.body["established"], "1979-05");

        // Cities are found by their names in any script or spelling.
        for (q, key) in [("haiphong", "hai-phong"), ("%E5%8C%97%E4%B9%9D%E5%B7%9E", "kitakyushu"), ("phnompenh", "phnom-penh")] {
            let found = app.list_all(&format!("/v1/cities?q={q}")).await;
            let ids: Vec<&str> = found.iter().map(|c| c["id"].as_str().unwrap()).collect();
            assert!(ids.contains(&seed_id(ResourceKind::City, key).to_string().as_str()), "q={q}: {ids:?}");
        }
        // Every seeded place is on the map but the five no packaged gazetteer holds (seeds/README.md).
        let geo = [("Accept", "application/geo+json")];
        let map = app.request(awc::http::Method::GET, "/v1/cities?limit=500", None, &geo).await;
        let mut unmapped: Vec<String> = map.body["features"].as_array().unwrap().iter()
            .filter(|feature| feature["geometry"].is_null())
            .map(|feature| feature["properties"]["name"].as_str().unwrap().to_owned())
            .collect();
        unmapped.sort();
        assert_eq!(unmapped, ["Masan", "Moji", "Nam Định", "Tiền Giang", "Wakamatsu"]);
        assert_eq!(map.body["features"].as_array().unwrap().len(), expected["city"]);
        // Every source names a document record.
        let documents = app.list_all("/v1/documents").await;
        assert_eq!(documents.len(), 5);
        let iges = seed_id(ResourceKind::Document, "iges-2018");
        let cited = app.list_all(&format!("/v1/documents/{iges}/citations?limit=500")).await;
        assert_eq!(cited.len(), records_citing("document/iges-2018"));

        // A second load changes nothing, and neither does a load over edits.
        let changes = app.change_count().await;
        let path = format!("/v1/cities/{}", seed_id(ResourceKind::City, "dalian"));
        let edited = app.patch(&path, &serde_json::json!({"region": "Liaoning"})).await;
        assert_eq!(edited.status, StatusCode::OK);
        let again = load_dir(&app.store, &seeds()).await.unwrap();
        assert_eq!(again.written, 0);
        assert_eq!(app.change_count().await, changes + 1);
        assert_eq!(app.get(&path).await.body["region"], "Liaoning");
    }
}
