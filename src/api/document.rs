//! The OpenAPI document: what the routes' annotations say, completed with what they cannot (the record and
//! patch schemas, each list's sort keys, each aggregate's group keys, the database's faults, GeoJSON).

use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use super::{geojson, routes, ApiDoc};

/// The document's header: info and tags; `routes` adds the paths.
pub fn openapi_base() -> OpenApiDoc {
    ApiDoc::openapi()
}

/// The OpenAPI document, built from `routes` without starting a server.
pub fn openapi() -> OpenApiDoc {
    let (_, document) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(openapi_base())
        .configure(routes)
        .split_for_parts();
    complete(document)
}

/// What the routes' annotations cannot say: the database faults every operation can answer, and the
/// GeoJSON of the lists drawn on a map.
fn complete(document: OpenApiDoc) -> OpenApiDoc {
    let mut document = with_database_faults(document);
    // The value rules first, so that the patch schemas copy them.
    with_value_rules(&mut document);
    with_record_schemas(&mut document);
    with_strict_parameters(&mut document);
    geojson::document(&mut document);
    with_sort_keys(&mut document);
    with_group_keys(&mut document);
    document
}

/// The query parameter `name` of `GET path`, if the document has it.
fn query_parameter<'a>(
    document: &'a mut OpenApiDoc,
    path: &str,
    name: &str,
) -> Option<&'a mut utoipa::openapi::path::Parameter> {
    use utoipa::openapi::RefOr;
    let operation = document.paths.paths.get_mut(path)?.get.as_mut()?;
    operation
        .parameters
        .iter_mut()
        .flatten()
        .find_map(|parameter| match parameter {
            RefOr::T(parameter) if parameter.name == name => Some(parameter),
            _ => None,
        })
}

/// A string of `keys` separated by single commas, each with `prefix` allowed before it.
fn key_list(keys: &[&str], prefix: &str) -> utoipa::openapi::Object {
    use utoipa::openapi::{ObjectBuilder, Type};
    let key = format!("{prefix}({})", keys.join("|"));
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^{key}(,{key})*$")))
        .build()
}

/// Gives each list's `sort` parameter the keys that list takes, as a pattern, in its description and
/// in a valid example.
fn with_sort_keys(document: &mut OpenApiDoc) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::Required;
    for kind in crate::domain::ResourceKind::ALL {
        let keys = crate::store::sort_key_names(kind);
        let path = format!("/v1/{}", kind.collection());
        if let Some(sort) = query_parameter(document, &path, "sort") {
            *sort = ParameterBuilder::new()
                .name("sort")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(format!(
                    "Comma-separated sort keys, `-` for descending; ties are broken by `id`, and a key \
                     given again adds nothing. Keys: {}.",
                    keys.join(", ")
                )))
                .schema(Some(key_list(&keys, "-?")))
                .example(Some(serde_json::json!(format!("-{},{}", keys[0], keys[1]))))
                .build();
        }
    }
}

/// Gives each aggregate's `group_by` parameter the keys it takes, as a pattern.
fn with_group_keys(document: &mut OpenApiDoc) {
    use crate::domain::{ExchangeGroup, FundingGroup, GroupKey, IndicatorGroup, ProjectGroup};
    fn codes<K: GroupKey>() -> Vec<&'static str> {
        K::ALL.iter().map(|key| key.code()).collect()
    }
    for (path, keys) in [
        ("/v1/stats/fundings", codes::<FundingGroup>()),
        ("/v1/stats/projects", codes::<ProjectGroup>()),
        ("/v1/stats/exchanges", codes::<ExchangeGroup>()),
        ("/v1/stats/indicators", codes::<IndicatorGroup>()),
    ] {
        if let Some(group_by) = query_parameter(document, path, "group_by") {
            group_by.schema = Some(key_list(&keys, "").into());
        }
    }
}

/// Adds the answers any operation that uses the database can give when the database cannot serve it:
/// 503 (unreachable, busy, read-only) with `Retry-After`, and for writes 507 (disk full).
fn with_database_faults(mut document: OpenApiDoc) -> OpenApiDoc {
    use utoipa::openapi::{
        header::HeaderBuilder, schema::Type, Content, ObjectBuilder, Ref, Response, ResponseBuilder,
    };
    let problem = |description: &str, retry: bool| -> Response {
        let mut response = ResponseBuilder::new().description(description).content(
            crate::error::PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("Problem"))),
        );
        if retry {
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(0)),
                    ))
                    .description(Some("Seconds to wait before retrying"))
                    .build(),
            );
        }
        response.build()
    };
    for (path, item) in document.paths.paths.iter_mut() {
        if !path.starts_with("/v1/") || path == "/v1/sectors" {
            continue;
        }
        let reads = [&mut item.get].into_iter().flatten();
        let writes = [
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten();
        for (operation, write) in reads.map(|o| (o, false)).chain(writes.map(|o| (o, true))) {
            let responses = &mut operation.responses.responses;
            responses.entry("503".into()).or_insert_with(|| {
                problem(
                    "The database cannot serve this now (unreachable, busy or read-only). Retry \
                     after `Retry-After` seconds; a write retried with the same `Idempotency-Key` \
                     is applied at most once",
                    true,
                )
                .into()
            });
            if write {
                responses.entry("507".into()).or_insert_with(|| {
                    problem(
                        "The database's disk is full; nothing was written. Retry once space has \
                         been freed",
                        false,
                    )
                    .into()
                });
            }
        }
    }
    document
}

/// The document as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    to_json(&openapi())
}

/// `document` as `openapi/openapi.json` holds it: pretty, with a final newline.
pub fn to_json(document: &OpenApiDoc) -> String {
    let mut json = document
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    json.push('\n');
    json
}

/// The name of the component schema `reference` points to.
fn schema_name(reference: &utoipa::openapi::Ref) -> &str {
    reference
        .ref_location
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

/// Each record's schema as one object of its metadata's fields and its body's and no others (a derived
/// `allOf` of the two would close the body's schema to the metadata), and each resource's merge-patch
/// body, `{Record}Patch`: the body's fields, none required, and those a record may lack nullable, since
/// `null` clears them.
fn with_record_schemas(document: &mut OpenApiDoc) {
    use utoipa::openapi::schema::{
        AdditionalProperties, AnyOfBuilder, ArrayItems, Object, Schema, SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr};
    let Some(components) = document.components.as_mut() else {
        return;
    };
    let schemas = &mut components.schemas;
    let object = |schemas: &std::collections::BTreeMap<String, RefOr<Schema>>,
                  reference: &RefOr<Schema>| {
        let RefOr::Ref(reference) = reference else {
            return None;
        };
        match schemas.get(schema_name(reference)) {
            Some(RefOr::T(Schema::Object(object))) => Some(object.clone()),
            _ => None,
        }
    };
    let name_of = |reference: &RefOr<Schema>| match reference {
        RefOr::Ref(reference) => Some(schema_name(reference).to_owned()),
        RefOr::T(_) => None,
    };
    // (record, body's name, record's schema, body's schema)
    let records: Vec<(String, String, Object, Object)> = schemas
        .iter()
        .filter_map(|(name, schema)| match schema {
            RefOr::T(Schema::AllOf(all)) if all.items.len() == 2 => {
                let meta = object(schemas, &all.items[0])?;
                let body = object(schemas, &all.items[1])?;
                let mut record = body.clone();
                record.description = all.description.clone();
                let fields = std::mem::take(&mut record.properties);
                record.properties = meta.properties.into_iter().chain(fields).collect();
                let required = std::mem::take(&mut record.required);
                record.required = meta.required.into_iter().chain(required).collect();
                record.additional_properties =
                    Some(Box::new(AdditionalProperties::FreeForm(false)));
                Some((name.clone(), name_of(&all.items[1])?, record, body))
            }
            _ => None,
        })
        .collect();
    // A page's items, which the derive writes out as the same `allOf`, name the record instead.
    let record_of = |item: &RefOr<Schema>| match item {
        RefOr::T(Schema::AllOf(all)) if all.items.len() == 2 => {
            let body = name_of(&all.items[1])?;
            records
                .iter()
                .find(|(_, body_name, _, _)| *body_name == body)
                .map(|(record, _, _, _)| record.clone())
        }
        _ => None,
    };
    for schema in schemas.values_mut() {
        let RefOr::T(Schema::Object(page)) = schema else {
            continue;
        };
        let Some(RefOr::T(Schema::Array(items))) = page.properties.get_mut("items") else {
            continue;
        };
        let ArrayItems::RefOrSchema(item) = &mut items.items else {
            continue;
        };
        if let Some(record) = record_of(item) {
            **item = Ref::from_schema_name(record).into();
        }
    }
    let null_type = |object: &Object| match &object.schema_type {
        SchemaType::Type(single) => *single == Type::Null,
        SchemaType::Array(types) => types.contains(&Type::Null),
        SchemaType::AnyValue => true,
    };
    let accepts_null = |schema: &RefOr<Schema>| match schema {
        RefOr::T(Schema::Object(object)) => null_type(object),
        RefOr::T(Schema::OneOf(one)) => one
            .items
            .iter()
            .any(|item| matches!(item, RefOr::T(Schema::Object(object)) if null_type(object))),
        _ => false,
    };
    // A map (`Names`, `ExternalIds`) is merged key by key, so in a patch `null` removes a key: each
    // map gets a `{Map}Patch` whose values may be null, and patches name it instead.
    let mut map_patches = std::collections::BTreeMap::new();
    for (name, schema) in schemas.iter() {
        let RefOr::T(Schema::Object(map)) = schema else {
            continue;
        };
        let Some(value) = map.additional_properties.as_deref() else {
            continue;
        };
        let AdditionalProperties::RefOr(value) = value else {
            continue;
        };
        let mut patch = map.clone();
        patch.description = map
            .description
            .as_ref()
            .map(|description| format!("{description} In a patch, `null` removes a key."));
        patch.example = None;
        patch.additional_properties = Some(Box::new(AdditionalProperties::RefOr(
            AnyOfBuilder::new()
                .item(value.clone())
                .item(Object::with_type(Type::Null))
                .into(),
        )));
        map_patches.insert(name.clone(), patch);
    }
    let patch_of_map = |schema: &mut RefOr<Schema>| {
        let reference = match schema {
            RefOr::Ref(reference) => reference,
            RefOr::T(Schema::AnyOf(any)) => match any.items.iter_mut().find_map(|item| match item {
                RefOr::Ref(reference) => Some(reference),
                _ => None,
            }) {
                Some(reference) => reference,
                None => return,
            },
            _ => return,
        };
        let name = schema_name(reference).to_owned();
        if map_patches.contains_key(&name) {
            reference.ref_location = format!("#/components/schemas/{name}Patch");
        }
    };
    let mut patched = Vec::new();
    for (name, _, record, body) in records {
        let mut patch = body.clone();
        patch.description = Some(format!(
            "The fields of the {name} to change, as a JSON Merge Patch (RFC 7396): a field left out \
             keeps its value, and `null` clears an optional one."
        ));
        patch.required.clear();
        for (field, schema) in patch.properties.iter_mut() {
            if body.required.contains(field) || accepts_null(schema) {
                continue;
            }
            // The field's description goes on the union, where generators look for it.
            let mut value = schema.clone();
            let description = match &mut value {
                RefOr::T(Schema::Object(object)) => object.description.take(),
                RefOr::T(Schema::Array(array)) => array.description.take(),
                RefOr::Ref(reference) => Some(std::mem::take(&mut reference.description))
                    .filter(|description| !description.is_empty()),
                _ => None,
            };
            *schema = AnyOfBuilder::new()
                .item(value)
                .item(Object::with_type(Type::Null))
                .description(description)
                .into();
        }
        patch.properties.values_mut().for_each(patch_of_map);
        schemas.insert(name.clone(), Schema::Object(record).into());
        schemas.insert(format!("{name}Patch"), Schema::Object(patch).into());
        patched.push(name);
    }
    for (name, patch) in map_patches {
        schemas.insert(format!("{name}Patch"), Schema::Object(patch).into());
    }
    // A PATCH answers the record it takes a patch of.
    for item in document.paths.paths.values_mut() {
        let Some(operation) = item.patch.as_mut() else {
            continue;
        };
        let answered = match operation.responses.responses.get("200") {
            Some(RefOr::T(response)) => response
                .content
                .get("application/json")
                .and_then(|content| match content {
                    RefOr::T(content) => content.schema.as_ref(),
                    RefOr::Ref(_) => None,
                })
                .and_then(|schema| match schema {
                    RefOr::Ref(reference) => Some(schema_name(reference)),
                    RefOr::T(_) => None,
                })
                .map(str::to_owned),
            _ => None,
        };
        let Some(record) = answered.filter(|record| patched.contains(record)) else {
            continue;
        };
        if let Some(RefOr::T(body)) = operation.request_body.as_mut() {
            for content in body
                .content
                .values_mut()
                .filter_map(|content| match content {
                    RefOr::T(content) => Some(content),
                    RefOr::Ref(_) => None,
                })
            {
                content.schema = Some(Ref::from_schema_name(format!("{record}Patch")).into());
            }
        }
    }
}

/// Text the server takes: no U+0000 anywhere (PostgreSQL cannot store it).
const NO_NUL: &str = r"^[^\u0000]*$";
/// Text that is not blank either: some character that is neither U+0000 nor white space as Rust's
/// `char::is_whitespace` (Unicode `White_Space`) has it.
const NOT_BLANK: &str = r"^[^\u0000]*[^\u0000\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000]*$";

/// Gives the checked values' schemas what their checks take, so that whatever a schema allows the
/// server takes: the country and currency codes as enums (listed by asking the server's own checks of
/// every two- and three-letter code), texts that are not blank, and the keys and values of name and
/// external-id maps.
fn with_value_rules(document: &mut OpenApiDoc) {
    use crate::domain::{CountryCode, CurrencyCode, MAX_LIST};
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    use utoipa::openapi::{ObjectBuilder, Ref, RefOr, Type};
    let Some(components) = document.components.as_mut() else {
        return;
    };
    let letters = |length: u32| {
        (0..26u32.pow(length)).map(move |mut n| {
            let mut code = vec![b'A'; length as usize];
            for place in code.iter_mut().rev() {
                *place += (n % 26) as u8;
                n /= 26;
            }
            String::from_utf8(code).unwrap_or_default()
        })
    };
    let countries: Vec<_> = letters(2)
        .filter(|code| CountryCode::parse(code).is_ok())
        .collect();
    let currencies: Vec<_> = letters(3)
        .filter(|code| CurrencyCode::parse(code).is_ok())
        .collect();
    for (name, codes) in [("CountryCode", countries), ("CurrencyCode", currencies)] {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
            object.enum_values = Some(codes.into_iter().map(Into::into).collect());
        }
    }
    if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut("PartialDate") {
        object.pattern = Some(format!("^{}$", crate::domain::PARTIAL_DATE_PATTERN));
    }
    for (name, pattern) in [
        ("Decimal", crate::domain::DECIMAL_PATTERN),
        ("Amount", crate::domain::AMOUNT_PATTERN),
    ] {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
            object.pattern = Some(format!("^{pattern}$"));
            object.max_length = Some(crate::domain::MAX_DECIMAL_LENGTH);
        }
    }
    for name in ["ShortText", "LongText"] {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
            object.pattern = Some(NOT_BLANK.to_owned());
        }
    }
    let map = |keys: utoipa::openapi::Object| {
        let mut map = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property_names(Some(keys))
            .additional_properties(Some(AdditionalProperties::RefOr(
                Ref::from_schema_name("ShortText").into(),
            )))
            .build();
        map.max_properties = Some(MAX_LIST);
        map
    };
    // A name's key is a language tag, as the `LanguageTag` schema has it.
    let language_tag = match components.schemas.get("LanguageTag") {
        Some(RefOr::T(Schema::Object(tag))) => tag.pattern.clone(),
        _ => None,
    };
    let names = map(ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(language_tag)
        .build());
    let systems = map(ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(EXTERNAL_SYSTEM))
        .build());
    for (name, rules) in [("Names", names), ("ExternalIds", systems)] {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
            object.property_names = rules.property_names;
            object.additional_properties = rules.additional_properties;
            object.max_properties = rules.max_properties;
        }
    }
}

/// What `If-Match` takes: `*`, or one ETag this service gives (a record's version, quoted).
const IF_MATCH: &str = r#"^(\*|(W/)?"[0-9]{1,9}")$"#;
/// What `Idempotency-Key` takes: 1 to 255 printable ASCII characters.
const IDEMPOTENCY_KEY: &str = "^[!-~]{1,255}$";
/// An external system's name, as external-id keys and the `system` path parameter take it.
const EXTERNAL_SYSTEM: &str = "^[A-Za-z0-9_.-]{1,100}$";

/// Parameters as strict as the server: none is ever `null` (a header or query string holds text), and
/// free text refuses U+0000.
fn with_strict_parameters(document: &mut OpenApiDoc) {
    use utoipa::openapi::schema::{Schema, SchemaFormat, SchemaType, Type};
    use utoipa::openapi::RefOr;
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for parameter in operation.parameters.iter_mut().flatten() {
                let RefOr::T(parameter) = parameter else {
                    continue;
                };
                let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut() else {
                    continue;
                };
                if let SchemaType::Array(types) = &object.schema_type {
                    let types: Vec<Type> = types
                        .iter()
                        .filter(|t| **t != Type::Null)
                        .cloned()
                        .collect();
                    if let [single] = types.as_slice() {
                        object.schema_type = SchemaType::Type(single.clone());
                    }
                }
                match parameter.name.as_str() {
                    "If-Match" => {
                        object.pattern = Some(IF_MATCH.to_owned());
                        // A format a tool knows as opaque: schemathesis, for one, keeps header values
                        // to letters and digits unless their format is registered, and cannot quote
                        // an ETag.
                        object.format = Some(SchemaFormat::Custom("etag".to_owned()));
                    }
                    "Idempotency-Key" => object.pattern = Some(IDEMPOTENCY_KEY.to_owned()),
                    "system" => object.pattern = Some(EXTERNAL_SYSTEM.to_owned()),
                    _ => {}
                }
                let text = matches!(object.schema_type, SchemaType::Type(Type::String));
                if text
                    && object.pattern.is_none()
                    && object.format.is_none()
                    && object.enum_values.is_none()
                {
                    object.pattern = Some(NO_NUL.to_owned());
                }
            }
        }
    }
}
