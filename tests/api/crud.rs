//! Create, read, upsert, merge-patch and delete on every resource.

use awc::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{on_both_engines, TestApp};

/// A small linked dataset: two cities, two organizations, and one of every other resource.
pub struct Fixture {
    pub document: String,
    pub kitakyushu: String,
    pub phnom_penh: String,
    pub jica: String,
    pub ppwsa: String,
    pub partnership: String,
    pub agreement: String,
    pub project: String,
    pub funding: String,
    pub exchange: String,
    pub indicator: String,
}

pub async fn fixture(app: &TestApp) -> Fixture {
    let document = app
        .create(
            "documents",
            json!({"title": "Actions for a Sustainable Society", "publisher": "IGES", "published": "2018",
                   "language": "en", "url": "https://www.iges.or.jp/en", "category": "B16"}),
        )
        .await;
    let kitakyushu = app
        .create(
            "cities",
            json!({"name": "Kitakyushu", "local_name": "北九州市", "country": "JP",
                   "sources": [{"document_id": document, "locator": "Foreword", "quote": "City of Kitakyushu"}]}),
        )
        .await;
    let phnom_penh = app
        .create(
            "cities",
            json!({"name": "Phnom Penh", "country": "KH", "population": 2129371}),
        )
        .await;
    let jica = app
        .create(
            "organizations",
            json!({"name": "Japan International Cooperation Agency", "acronym": "JICA",
                   "kind": "government_agency", "country": "JP", "external_ids": {"oecd": "JP-JICA"}}),
        )
        .await;
    let ppwsa = app
        .create(
            "organizations",
            json!({"name": "Phnom Penh Water Supply Authority", "acronym": "PPWSA", "kind": "utility",
                   "country": "KH", "city_id": phnom_penh}),
        )
        .await;
    let partnership = app
        .create(
            "partnerships",
            json!({"city_ids": [kitakyushu, phnom_penh], "kind": "sister_city", "status": "active",
                   "established": "2016-03", "title": "Kitakyushu–Phnom Penh"}),
        )
        .await;
    let agreement = app
        .create(
            "agreements",
            json!({"partnership_id": partnership, "title": "Sister city agreement",
                   "kind": "sister_city_agreement", "signed": "2016-03", "signatory_ids": [ppwsa]}),
        )
        .await;
    let project = app
        .create(
            "projects",
            json!({"title": "Water supply improvement", "partnership_id": partnership,
                   "city_ids": [phnom_penh], "sectors": ["water_supply", "capacity_building"],
                   "status": "completed", "start": "1999", "end": "2003-03",
                   "participants": [{"organization_id": jica, "role": "funder"},
                                    {"organization_id": ppwsa, "role": "beneficiary"}]}),
        )
        .await;
    let funding = app
        .create(
            "fundings",
            json!({"project_id": project, "kind": "commitment", "funder_id": jica, "scheme": "Technical cooperation",
                   "instrument": "grant", "amount": "800000000", "currency": "JPY", "start": "2016", "end": "2016"}),
        )
        .await;
    let exchange = app
        .create(
            "exchanges",
            json!({"kind": "trainee_acceptance", "project_id": project, "from_city_id": phnom_penh,
                   "to_city_id": kitakyushu, "start": "1999", "end": "2003", "participants": 26}),
        )
        .await;
    let indicator = app
        .create(
            "indicators",
            json!({"city_id": phnom_penh, "project_id": project, "metric": "non_revenue_water_rate",
                   "unit": "%", "period": "2006", "value": "8"}),
        )
        .await;
    Fixture {
        document,
        kitakyushu,
        phnom_penh,
        jica,
        ppwsa,
        partnership,
        agreement,
        project,
        funding,
        exchange,
        indicator,
    }
}

/// The fields a client wrote, without the server's.
fn body_of(record: &Value) -> Value {
    let mut body = record.clone();
    for key in ["id", "version", "created_at", "updated_at", "display_name"] {
        body.as_object_mut().unwrap().remove(key);
    }
    body
}

on_both_engines! {
    async fn every_resource_round_trips(app: TestApp) {
        let f = fixture(&app).await;
        let cases = [
            ("documents", &f.document, "title", json!("Actions for a Sustainable Society (2018)")),
            ("cities", &f.kitakyushu, "name", json!("City of Kitakyushu")),
            ("organizations", &f.jica, "acronym", json!("JICA (Japan)")),
            ("partnerships", &f.partnership, "status", json!("ended")),
            ("agreements", &f.agreement, "signed", json!("2016-03-28")),
            ("projects", &f.project, "status", json!("active")),
            ("fundings", &f.funding, "amount", json!("900000000")),
            ("exchanges", &f.exchange, "participants", json!(30)),
            ("indicators", &f.indicator, "value", json!("7.5")),
        ];
        for (collection, id, field, new_value) in cases {
            let path = format!("/v1/{collection}/{id}");
            let read = app.get(&path).await;
            assert_eq!(read.status, StatusCode::OK, "{}", read.body);
            assert_eq!(read.body["version"], 1);
            assert_eq!(read.header("etag").as_deref(), Some("\"1\""));

            // PATCH changes one field and bumps the version.
            let patched = app.patch(&path, &json!({ field: new_value })).await;
            assert_eq!(patched.status, StatusCode::OK, "{collection}: {}", patched.body);
            assert_eq!(patched.body[field], new_value);
            assert_eq!(patched.body["version"], 2);
            assert_eq!(patched.body["created_at"], read.body["created_at"]);

            // PUT of the same body replaces nothing: same version.
            let same = app.put(&path, &body_of(&patched.body)).await;
            assert_eq!(same.status, StatusCode::OK);
            assert_eq!(same.body["version"], 2);

            // What GET returns equals what the write returned.
            let reread = app.get(&path).await;
            assert_eq!(reread.body, patched.body);
        }
        // Delete from the leaves up; each record is gone afterwards.
        for (collection, id) in [
            ("indicators", &f.indicator), ("exchanges", &f.exchange), ("fundings", &f.funding),
            ("agreements", &f.agreement), ("projects", &f.project), ("partnerships", &f.partnership),
            ("organizations", &f.ppwsa), ("organizations", &f.jica), ("cities", &f.kitakyushu),
            ("cities", &f.phnom_penh), ("documents", &f.document),
        ] {
            let path = format!("/v1/{collection}/{id}");
            let deleted = app.delete(&path).await;
            assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{collection}: {}", deleted.body);
            app.get(&path).await.assert_problem(404, "");
        }
    }

    async fn sources_cite_document_records(app: TestApp) {
        let f = fixture(&app).await;
        let source = |document: &str| json!([{"document_id": document, "locator": "p. 3", "quote": "Phnom Penh"}]);
        let patched = app.patch(&format!("/v1/projects/{}", f.project), &json!({"sources": source(&f.document)})).await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        // The document's citations: the city and the project, in id order, two pages of one.
        let mut expected = [f.kitakyushu.clone(), f.project.clone()];
        expected.sort();
        let first = app.get(&format!("/v1/documents/{}/citations?limit=1", f.document)).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(first.body["items"][0]["id"], json!(expected[0]));
        let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
        let second = app.get(&format!("/v1/documents/{}/citations?limit=1&cursor={cursor}", f.document)).await;
        assert_eq!(second.body["items"][0]["id"], json!(expected[1]));
        assert_eq!(second.body["items"][0]["resource"], "project");
        assert_eq!(second.body["items"][0]["href"], json!(format!("/v1/projects/{}", f.project)));
        assert_eq!(second.body["next_cursor"], Value::Null);

        // A cited document cannot go; a source naming no document is refused.
        let refused = app.delete(&format!("/v1/documents/{}", f.document)).await;
        refused.assert_problem(409, "");
        let missing = uuid::Uuid::now_v7().to_string();
        app.patch(&format!("/v1/projects/{}", f.project), &json!({"sources": source(&missing)}))
            .await.assert_problem(422, "/sources/0/document_id");
        app.patch(&format!("/v1/projects/{}", f.project), &json!({"sources": source(&f.kitakyushu)}))
            .await.assert_problem(422, "/sources/0/document_id");
        app.get(&format!("/v1/documents/{missing}/citations")).await.assert_problem(404, "");
        app.get(&format!("/v1/documents/{}/citations?limit=0", f.document)).await.assert_problem(400, "limit");
        app.get(&format!("/v1/documents/{}/citations?cursor=x", f.document)).await.assert_problem(400, "cursor");
        // Once nothing cites it, it can go.
        for (path, body) in [(format!("/v1/projects/{}", f.project), json!({"sources": []})),
                             (format!("/v1/cities/{}", f.kitakyushu), json!({"sources": []}))] {
            assert_eq!(app.patch(&path, &body).await.status, StatusCode::OK);
        }
        assert_eq!(app.delete(&format!("/v1/documents/{}", f.document)).await.status, StatusCode::NO_CONTENT);

        for (body, field) in [
            (json!({"title": "T", "language": "english"}), "/language"),
            (json!({"title": "T", "url": "ftp://example.org/x"}), "/url"),
            (json!({"title": "T", "url": "not a url"}), "/url"),
            (json!({"title": "T", "category": "C01"}), "/category"),
            (json!({"title": ""}), "/title"),
        ] {
            app.post("/v1/documents", &body).await.assert_problem(422, field);
        }
        assert_eq!(app.list_all("/v1/documents?category=B16").await.len(), 0);
    }

    async fn post_returns_location_and_etag(app: TestApp) {
        let reply = app.post("/v1/cities", &json!({"name": "Dalian", "local_name": "大连", "country": "CN"})).await;
        assert_eq!(reply.status, StatusCode::CREATED);
        let id = reply.body["id"].as_str().unwrap();
        assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
        assert_eq!(reply.header("location"), Some(format!("/v1/cities/{id}")));
        assert_eq!(reply.header("etag").as_deref(), Some("\"1\""));
        assert_eq!(reply.body["local_name"], "大连");
        assert_eq!(reply.body["external_ids"], json!({}));
        assert_eq!(reply.body["sources"], json!([]));
    }

    async fn put_creates_with_a_client_id_then_replaces(app: TestApp) {
        let id = "0e3b2c1a-5d4f-4a7b-9c8d-112233445566";
        let path = format!("/v1/cities/{id}");
        let created = app.put(&path, &json!({"name": "Surabaya", "country": "ID"})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.body["id"], id);
        assert_eq!(created.header("location"), Some(path.clone()));
        let replaced = app.put(&path, &json!({"name": "Surabaya", "country": "ID", "region": "East Java"})).await;
        assert_eq!(replaced.status, StatusCode::OK);
        assert_eq!(replaced.body["version"], 2);
        assert_eq!(replaced.body["region"], "East Java");
        // A PUT replaces: fields it leaves out are cleared.
        let cleared = app.put(&path, &json!({"name": "Surabaya", "country": "ID"})).await;
        assert_eq!(cleared.body["region"], Value::Null);
        assert_eq!(cleared.body["version"], 3);
    }

    async fn patch_null_clears_and_result_must_stay_valid(app: TestApp) {
        let f = fixture(&app).await;
        let path = format!("/v1/fundings/{}", f.funding);
        let cleared = app.patch(&path, &json!({"scheme": null})).await;
        assert_eq!(cleared.status, StatusCode::OK);
        assert_eq!(cleared.body["scheme"], Value::Null);
        // Removing the currency of an amount breaks a rule: 422, nothing written.
        let before = app.change_count().await;
        app.patch(&path, &json!({"currency": null})).await.assert_problem(422, "/currency");
        assert_eq!(app.get(&path).await.body["currency"], "JPY");
        assert_eq!(app.change_count().await, before);
        // The server's fields cannot be patched.
        app.patch(&path, &json!({"version": 9})).await.assert_problem(422, "/version");
        // A map is merged key by key: a key's null removes it, the others stay.
        let ids = app.patch(&path, &json!({"external_ids": {"odakyu": "7", "jica": "J-1"}})).await;
        assert_eq!(ids.body["external_ids"], json!({"odakyu": "7", "jica": "J-1"}), "{}", ids.body);
        let ids = app.patch(&path, &json!({"external_ids": {"odakyu": null}})).await;
        assert_eq!(ids.body["external_ids"], json!({"jica": "J-1"}), "{}", ids.body);
    }

    async fn money_is_exact_and_canonical(app: TestApp) {
        let f = fixture(&app).await;
        let usd = app.post("/v1/fundings", &json!({"project_id": f.project, "kind": "commitment", "funder_id": f.jica,
            "amount": "1234567.5", "currency": "USD"})).await;
        assert_eq!(usd.status, StatusCode::CREATED, "{}", usd.body);
        assert_eq!(usd.body["amount"], "1234567.50");
        let jpy = app.get(&format!("/v1/fundings/{}", f.funding)).await;
        assert_eq!(jpy.body["amount"], "800000000");
        // An amount may be absent when the sources give none.
        let none = app.post("/v1/fundings", &json!({"project_id": f.project, "kind": "commitment", "funder_id": f.jica,
            "scheme": "JICA Partnership Program"})).await;
        assert_eq!(none.status, StatusCode::CREATED);
        assert_eq!(none.body["amount"], Value::Null);
    }

    async fn deleting_a_referenced_record_is_a_conflict(app: TestApp) {
        let f = fixture(&app).await;
        let before = app.change_count().await;
        let reply = app.delete(&format!("/v1/cities/{}", f.phnom_penh)).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
        let referrers: Vec<(String, String)> = reply.body["referenced_by"].as_array().unwrap().iter()
            .map(|r| (r["resource"].as_str().unwrap().to_owned(), r["field"].as_str().unwrap().to_owned()))
            .collect();
        for expected in [("organization", "city_id"), ("partnership", "city_ids"), ("project", "city_ids"),
                         ("exchange", "from_city_id"), ("indicator", "city_id")] {
            assert!(referrers.contains(&(expected.0.to_owned(), expected.1.to_owned())), "{referrers:?}");
        }
        assert_eq!(referrers.len(), 5);
        assert_eq!(app.get(&format!("/v1/cities/{}", f.phnom_penh)).await.status, StatusCode::OK);
        assert_eq!(app.change_count().await, before);
        // One reference is enough.
        let utility = app.create("organizations", json!({"name": "Phnom Penh Water Supply Authority",
            "kind": "other"})).await;
        app.create("fundings", json!({"project_id": f.project, "kind": "commitment", "funder_id": f.jica,
            "receiver_id": utility})).await;
        let reply = app.delete(&format!("/v1/organizations/{utility}")).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
        assert_eq!(reply.body["referenced_by"].as_array().map(Vec::len), Some(1), "{}", reply.body);
        assert_eq!(app.get(&format!("/v1/organizations/{utility}")).await.status, StatusCode::OK);
    }

    async fn project_phases_cannot_form_a_cycle(app: TestApp) {
        let f = fixture(&app).await;
        let phase = app.create("projects", json!({"title": "Phase 2", "city_ids": [f.phnom_penh],
            "parent_id": f.project})).await;
        let path = format!("/v1/projects/{}", f.project);
        app.patch(&path, &json!({"parent_id": phase})).await.assert_problem(422, "/parent_id");
        app.patch(&path, &json!({"parent_id": f.project})).await.assert_problem(422, "/parent_id");
        let children = app.get(&format!("/v1/projects?parent_id={}", f.project)).await;
        assert_eq!(children.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(children.body["items"][0]["id"], phase.as_str());
    }

    async fn external_ids_are_unique_per_resource(app: TestApp) {
        let f = fixture(&app).await;
        let reply = app.post("/v1/organizations", &json!({"name": "Other", "kind": "other",
            "external_ids": {"oecd": "JP-JICA"}})).await;
        reply.assert_problem(409, "/external_ids/oecd");
        // The same pair on another resource type is fine.
        let city = app.post("/v1/cities", &json!({"name": "X", "country": "JP",
            "external_ids": {"oecd": "JP-JICA"}})).await;
        assert_eq!(city.status, StatusCode::CREATED);
        let found = app.get("/v1/organizations?external_id=oecd:JP-JICA").await;
        let items = found.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], f.jica.as_str());
    }
}

on_both_engines! {
    async fn participants_take_the_iati_roles(app: TestApp) {
        let f = fixture(&app).await;
        let moej = app.create("organizations", json!({"name": "Ministry of the Environment", "kind": "national_government", "country": "JP"})).await;
        let participants = json!([
            {"organization_id": moej, "role": "accountable"},
            {"organization_id": f.jica, "role": "extending"},
            {"organization_id": f.jica, "role": "implementer"},
        ]);
        let project = app.create("projects", json!({"title": "Air quality monitoring",
            "city_ids": [f.phnom_penh], "participants": participants})).await;
        let read = app.get(&format!("/v1/projects/{project}")).await;
        assert_eq!(read.body["participants"], participants);
        let listed = app.list_all(&format!("/v1/projects?organization_id={moej}")).await;
        assert_eq!(listed.len(), 1);
        let wrong = app.post("/v1/projects", &json!({"title": "X", "city_ids": [f.phnom_penh],
            "participants": [{"organization_id": moej, "role": "owner"}]})).await;
        wrong.assert_problem(422, "/participants/0/role");
    }
}
