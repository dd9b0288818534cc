//! Deterministic synthetic data for benchmarks and round-trip tests: `scale` of each resource, as NDJSON
//! import lines in an order `/v1/import` accepts. The same scale always gives the same bytes.

use serde_json::json;
use uuid::Uuid;

use crate::domain::ResourceKind;

const COUNTRIES: [&str; 8] = ["JP", "CN", "KH", "VN", "ID", "MM", "KR", "TH"];
const CURRENCIES: [(&str, &str); 4] = [("JPY", ""), ("USD", ".25"), ("EUR", ".50"), ("CNY", ".75")];
const SECTORS: [&str; 6] = [
    "water_supply",
    "sewerage",
    "solid_waste",
    "energy",
    "air_quality",
    "education",
];
const ORGANIZATION_KINDS: [&str; 4] = [
    "local_government",
    "government_agency",
    "company",
    "utility",
];
const PARTNERSHIP_KINDS: [&str; 3] = ["sister_city", "friendship_city", "technical_cooperation"];
const STATUSES: [&str; 3] = ["active", "completed", "planned"];
const EXCHANGE_KINDS: [&str; 3] = ["trainee_acceptance", "expert_dispatch", "seminar"];
const FUNDING_KINDS: [&str; 3] = ["commitment", "disbursement", "budget"];

fn id(kind: ResourceKind, i: u64) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("generated/{}/{i}", kind.name()).as_bytes(),
    )
}

fn line(kind: ResourceKind, data: serde_json::Value) -> String {
    json!({"resource": kind, "op": "upsert", "data": data}).to_string()
}

/// `scale` cities, organizations, partnerships, projects (every fifth starts a programme, the others are
/// its phases), fundings, exchanges and indicators.
pub fn lines(scale: u64) -> impl Iterator<Item = String> {
    use ResourceKind::*;
    let pick = |list: &[&'static str], i: u64| list[(i % list.len() as u64) as usize];
    let year = |i: u64| 1980 + (i % 40);
    let cities = (0..scale).map(move |i| {
        line(
            City,
            json!({"id": id(City, i), "name": format!("Generated City {i}"),
            "country": pick(&COUNTRIES, i), "population": i * 1000, "population_year": year(i)}),
        )
    });
    let organizations = (0..scale).map(move |i| {
        line(
            Organization,
            json!({"id": id(Organization, i), "name": format!("Generated Organization {i}"),
            "kind": pick(&ORGANIZATION_KINDS, i), "city_id": id(City, i),
            "external_ids": {"generated": format!("org-{i}")}}),
        )
    });
    let partnerships = (0..scale).filter(move |_| scale > 1).map(move |i| {
        line(Partnership, json!({"id": id(Partnership, i), "city_ids": [id(City, i), id(City, (i + 1) % scale)],
            "kind": pick(&PARTNERSHIP_KINDS, i), "status": "active", "established": format!("{}-04", year(i))}))
    });
    let projects = (0..scale).map(move |i| {
        let parent = (i % 5 != 0).then(|| id(Project, i - 1));
        let partnership = (scale > 1).then(|| id(Partnership, i));
        line(Project, json!({"id": id(Project, i), "title": format!("Generated Project {i}"),
            "city_ids": [id(City, i)], "partnership_id": partnership, "parent_id": parent,
            "sectors": [pick(&SECTORS, i)], "status": pick(&STATUSES, i), "start": year(i).to_string(),
            "participants": [{"organization_id": id(Organization, i), "role": "implementer"}]}))
    });
    let fundings = (0..scale).map(move |i| {
        let (currency, cents) = CURRENCIES[(i % 4) as usize];
        line(Funding, json!({"id": id(Funding, i), "project_id": id(Project, i), "kind": pick(&FUNDING_KINDS, i),
            "funder_id": id(Organization, i),
            "instrument": "grant", "amount": format!("{}{cents}", (i + 1) * 1000), "currency": currency,
            "start": year(i).to_string(), "end": year(i).to_string()}))
    });
    let exchanges = (0..scale).map(move |i| {
        line(Exchange, json!({"id": id(Exchange, i), "kind": pick(&EXCHANGE_KINDS, i), "project_id": id(Project, i),
            "from_city_id": id(City, i), "to_city_id": id(City, (i + 1) % scale), "start": year(i).to_string(),
            "participants": i % 50}))
    });
    let indicators = (0..scale).map(move |i| {
        line(Indicator, json!({"id": id(Indicator, i), "city_id": id(City, i), "metric": "non_revenue_water_rate",
            "unit": "%", "period": year(i).to_string(), "value": format!("{}.5", i % 60)}))
    });
    cities
        .chain(organizations)
        .chain(partnerships)
        .chain(projects)
        .chain(fundings)
        .chain(exchanges)
        .chain(indicators)
}
