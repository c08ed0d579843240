//! The OpenAPI description itself: it parses as OpenAPI 3.1, it names every route under
//! `/api/v1` and no route that does not exist, and the checker used against it rejects what
//! it must.

use std::collections::BTreeSet;

use chatrail_collector::domain::token::Role;
use chatrail_collector::routes::api::openapi::ApiDoc;
use chatrail_tests::app::{create_token, spawn_app, Backend, TRACKED_DIGITS};
use chatrail_tests::openapi::{Answer, Spec};
use serde_json::{json, Value};

/// The description as the code generates it.
pub fn spec() -> Spec {
    Spec::new(serde_json::from_str(ApiDoc::json()).expect("the description is JSON"))
}

#[test]
fn the_description_parses_as_openapi_3_1_with_valid_schemas() {
    let parsed = oas3::from_json(ApiDoc::json()).expect("a valid OpenAPI 3.1 document");
    assert!(parsed.openapi.starts_with("3.1"), "{}", parsed.openapi);
    assert!(!parsed.paths.unwrap_or_default().is_empty());

    let spec = spec();
    let schemas = spec.doc()["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        let mut schema = schema.clone();
        schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
            panic!("component {name} is not a JSON Schema 2020-12 schema: {e}");
        }
    }
    // Every `$ref` points at a component that exists.
    let text = ApiDoc::json();
    for r in text.split("\"$ref\": \"").skip(1) {
        let target = &r[..r.find('"').unwrap()];
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {target}"));
        assert!(schemas.contains_key(name), "dangling $ref {target}");
    }
    // Operation ids are unique, as OpenAPI requires and client generators rely on.
    let mut ids = BTreeSet::new();
    for (method, path) in spec.operations() {
        let op = spec.operation(&method, &path).unwrap();
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        assert!(ids.insert(id.clone()), "operationId {id:?} repeats");
        let secured = op
            .get("security")
            .is_some_and(|s| s.to_string().contains("token"));
        if secured {
            assert!(op["responses"].get("401").is_some(), "{method} {path}: 401");
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
}

/// `(METHOD, path)` of every route the code under `collector/src/routes/api/` registers, read
/// from the source by [`scan_routes`].
fn registered_api_routes() -> BTreeSet<(String, String)> {
    fn sources(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../collector/src/routes/api");
    let mut texts = Vec::new();
    sources(std::path::Path::new(dir), &mut texts);
    let all = texts.concat();
    assert!(
        all.contains("web::scope(\"/api/v1\")"),
        "the API scope moved"
    );
    // The scan does not follow nested scopes: one would need teaching it.
    assert_eq!(all.matches("web::scope(").count(), 1, "a nested scope");
    let routes = scan_routes(&texts);
    assert!(
        routes.len() >= 8,
        "the route scan found too little: {routes:?}"
    );
    routes
}

/// The routes registered in `texts`, sources of the `/api/v1` scope: route macros
/// (`#[get("/x")]`), `.route("/x", web::get()…)` on one line, and `web::resource("/x")`
/// followed by `.route(web::get()…)` lines up to the statement's end.
fn scan_routes(texts: &[String]) -> BTreeSet<(String, String)> {
    let quoted = |rest: &str| rest.split('"').next().unwrap_or_default().to_owned();
    let mut routes = BTreeSet::new();
    for text in texts {
        let mut resource = None;
        for line in text.lines().map(str::trim) {
            if let Some((_, rest)) = line.split_once("web::resource(\"") {
                resource = Some(quoted(rest));
            }
            for method in ["get", "put", "post", "delete", "patch"] {
                let path = if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                    Some(quoted(rest))
                } else if line.contains(".route(") && line.contains(&format!("web::{method}()")) {
                    match line.split_once(".route(\"") {
                        Some((_, rest)) => Some(quoted(rest)),
                        None => resource.clone(),
                    }
                } else {
                    None
                };
                if let Some(path) = path {
                    routes.insert((method.to_uppercase(), format!("/api/v1{path}")));
                }
            }
            if line.ends_with(';') {
                resource = None;
            }
        }
    }
    routes
}

#[test]
fn the_route_scan_reads_every_way_of_registering() {
    let source = r#"
        #[utoipa::path(tag = "x")]
        #[get("/me")]
        async fn me() {}
        cfg.route("/tokens", web::post().to(create))
            .service(
                web::resource("/site")
                    .route(web::get().to(site))
                    .route(web::put().to(update)),
            );
        cfg.route("/later", web::delete().to(gone));
        cfg.service(web::resource("/x")).route(web::patch().to(x));
    "#;
    let found = scan_routes(&[source.to_owned()]);
    let expected: BTreeSet<_> = [
        ("GET", "/me"),
        ("POST", "/tokens"),
        ("GET", "/site"),
        ("PUT", "/site"),
        ("DELETE", "/later"),
        ("PATCH", "/x"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), format!("/api/v1{p}")))
    .collect();
    assert_eq!(found, expected);
}

/// A concrete URL path for a path template.
fn concrete(template: &str) -> String {
    let mut out = String::new();
    for (i, part) in template.split(['{', '}']).enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        } else {
            out.push_str(match part {
                "id" => "0190b1a2-0000-7000-8000-000000000000",
                "name" => "pages",
                "site" | "key" | "site_key" => "shop",
                "chat" => TRACKED_DIGITS,
                _ => "x",
            });
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_is_described_and_every_described_path_exists() {
    let spec = spec();
    let described: BTreeSet<_> = spec.operations().into_iter().collect();
    let missing: Vec<_> = registered_api_routes()
        .into_iter()
        .filter(|r| !described.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a #[utoipa::path] listed in openapi.rs: {missing:?}"
    );

    let app = spawn_app(Backend::Sqlite).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    // `/go` answers a redirect off this machine: never follow one.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (method, path) in &described {
        let url = format!("{}{}", app.base, concrete(path));
        let resp = http
            .request(method.parse().unwrap(), url)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        // A stream (`/live`) never ends: its answering is enough.
        let stream = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        if stream {
            continue;
        }
        let answer = Answer::read(resp).await;
        let phantom = answer.status == 404
            && serde_json::from_slice::<Value>(&answer.body)
                .is_ok_and(|b| b["error"] == "route not found");
        assert!(!phantom, "{method} {path} is described but not served");
    }
}

/// A valid dialogs page, to spoil field by field.
fn dialog_list() -> Value {
    json!({"dialogs": [{"dialog_id": "0190b1a2-0000-7000-8000-000000000000",
        "started_at": "2025-11-22T10:00:00.000Z", "kind": "new", "match_kind": "exact",
        "contact_name": null, "contact_phone": "447911123456", "first_message": "hi",
        "channel": "organic", "utm_campaign": null, "source": null,
        "business_number": "79001234567", "stage": "won", "value": "10.00",
        "currency": "USD"}], "next_cursor": null})
}

const JSON: &str = "application/json";

fn ok(body: &Value) -> Answer {
    Answer {
        status: 200,
        content_type: Some(JSON.into()),
        body: body.to_string().into_bytes(),
    }
}

#[test]
fn the_checker_rejects_answers_that_break_the_description() {
    let spec = spec();
    let list = "/api/v1/dialogs";
    spec.check("GET", list, &ok(&dialog_list()))
        .expect("a valid page passes");

    let spoiled = [
        ("/dialogs/0/started_at", json!(1_763_805_600_000i64)),
        ("/dialogs/0/dialog_id", json!("not-a-uuid")),
        ("/dialogs/0/started_at", json!("yesterday")),
        ("/next_cursor", json!(17)),
    ];
    for (pointer, value) in spoiled {
        let mut body = dialog_list();
        *body.pointer_mut(pointer).unwrap() = value.clone();
        assert!(
            spec.check("GET", list, &ok(&body)).is_err(),
            "{pointer} = {value} must be rejected"
        );
    }
    let mut undocumented = dialog_list();
    undocumented["dialogs"][0]["surprise"] = json!(1);
    assert!(spec.check("GET", list, &ok(&undocumented)).is_err());
    let mut missing = dialog_list();
    missing.as_object_mut().unwrap().remove("dialogs");
    assert!(spec.check("GET", list, &ok(&missing)).is_err());

    // Undocumented statuses and content types, and errors that are not `{"error": "..."}`.
    let teapot = Answer {
        status: 418,
        ..ok(&dialog_list())
    };
    assert!(spec.check("GET", list, &teapot).is_err());
    let csv = Answer {
        content_type: Some("text/csv".into()),
        ..ok(&dialog_list())
    };
    assert!(
        spec.check("GET", "/api/v1/dialogs/{id}", &csv).is_err(),
        "a card is JSON only (the list may be CSV)"
    );
    let bad_error = Answer {
        status: 400,
        ..ok(&json!({"message": "bad"}))
    };
    assert!(spec.check("GET", list, &bad_error).is_err());
    let error = Answer {
        status: 400,
        ..ok(&json!({"error": "limit must be between 1 and 500"}))
    };
    spec.check("GET", list, &error)
        .expect("a JSON error passes");
    assert!(spec.check("GET", "/api/v1/nope", &ok(&json!({}))).is_err());

    // Request bodies: what the server takes must be what the description allows.
    let message = json!({"channel": "viber", "message_id": "m1", "business_number": "79001234567",
        "sender_id": "u1", "text": "hi", "sent_at": "2025-11-22T10:00:00Z"});
    let post = |ct: &str, body: &Value| {
        spec.check_request("POST", "/api/v1/messages", ct, &body.to_string())
    };
    post(JSON, &message).expect("a valid message passes");
    assert!(
        post(JSON, &json!({"channel": "viber"})).is_err(),
        "fields missing"
    );
    let mut extra = message.clone();
    extra["sender"] = json!("ana");
    assert!(post(JSON, &extra).is_err(), "an unknown field");
    assert!(
        post("text/plain", &message).is_err(),
        "an undocumented content type"
    );
    let visit = json!({"site": "shop", "visitor": "v", "session": "s", "code": "c",
        "url": "https://shop.test/", "screen_w": "wide"});
    let beacon = spec.check_request("POST", "/collect/visit", "text/plain", &visit.to_string());
    assert!(beacon.is_err(), "screen_w is a number");

    // The flattened source card is closed too: an extra field next to the dialog's fails.
    let card_schema = Spec::component("SourceCard");
    let err = spec
        .validate(&card_schema, &json!({"surprise": true}))
        .unwrap_err();
    assert!(
        err.contains("surprise") || err.contains("required"),
        "{err}"
    );
}
