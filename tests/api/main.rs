//! The collector over real HTTP: a server on a free port, a fresh database per test.

mod accounts;
mod accounts_cli;
mod ad_platforms;
mod beacons;
mod compression;
mod concurrency;
mod conversions;
mod conversions_upload;
mod costs;
mod dashboard;
mod enrichment;
mod first_steps;
mod fuzz;
mod go;
mod hostile;
mod limits;
mod live;
mod members;
mod messages;
mod money;
mod openapi;
mod openapi_accounts;
mod openapi_conformance;
mod openapi_conversions;
mod openapi_outcomes;
mod openapi_privacy;
mod openapi_public;
mod outcomes;
mod oversize;
mod probable;
mod real_traffic;
mod report_rows;
mod schemathesis;
mod stages;
mod tags;
mod telegram;
mod twilio;
mod webhooks;
mod whatsapp_shapes;

use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_site, create_token, spawn_app, whatsapp_text, Backend};
use chatrail_tests::on_both_backends;
use serde_json::Value;

on_both_backends!(
    the_tracker_is_served_with_caching_headers,
    unknown_routes_and_sites_answer_json_404,
    the_api_requires_a_token_of_the_right_role_and_site,
);

async fn the_tracker_is_served_with_caching_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let js = app
        .http
        .get(format!("{}/t.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    assert_eq!(js.headers()["cache-control"], "public, max-age=300");
    let etag = js.headers()["etag"].to_str().unwrap().to_owned();
    let body = js.text().await.unwrap();
    assert!(!body.contains("__CHATRAIL_WASM_PATH__"));
    let start = body.find("/t/").expect("t.js names the wasm path");
    let wasm_path = &body[start..start + body[start..].find(".wasm").unwrap() + 5];
    let again = app
        .http
        .get(format!("{}/t.js", app.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let wasm = app
        .http
        .get(format!("{}{wasm_path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(wasm.status(), 200);
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert!(wasm.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(&wasm.bytes().await.unwrap()[..4], b"\0asm");
    let config: Value = app
        .http
        .get(format!("{}/sites/shop/config", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["numbers"][0], "79001234567");
    assert!(config["template"].as_str().unwrap().contains("{code}"));

    // A site's script carries its key and config (as the config route's JSON), with its
    // own ETag; an unknown site's carries its key only.
    let get = |path: String| app.http.get(format!("{}{path}", app.base)).send();
    let site = get("/t.js?site=shop".into()).await.unwrap();
    assert_eq!(site.status(), 200);
    assert_eq!(site.headers()["cache-control"], "public, max-age=60");
    let site_etag = site.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(site_etag, etag);
    let js = site.text().await.unwrap();
    assert!(!js.contains("__CHATRAIL_CONFIG__"));
    let preset = |js: &str| -> Value {
        let start = js.find("JSON.parse(\"").expect("the preset") + "JSON.parse(".len();
        let literal: String = serde_json::Deserializer::from_str(&js[start..])
            .into_iter::<String>()
            .next()
            .unwrap()
            .unwrap();
        serde_json::from_str(&literal).unwrap()
    };
    let preset_of_site = preset(&js);
    assert_eq!(preset_of_site[0], "shop");
    let embedded: Value = serde_json::from_str(preset_of_site[1].as_str().unwrap()).unwrap();
    assert_eq!(embedded, config);
    assert_eq!(preset(&body), serde_json::json!([]));
    assert_eq!(
        preset(
            &get("/t.js?site=nope".into())
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        ),
        serde_json::json!(["nope"])
    );
    let again = app
        .http
        .get(format!("{}/t.js?site=shop", app.base))
        .header("if-none-match", &site_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

async fn unknown_routes_and_sites_answer_json_404(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/nope", "/sites/nope/config", "/t/0000.wasm"] {
        let resp = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("not found"),
            "{path}: {body}"
        );
    }
}

async fn the_api_requires_a_token_of_the_right_role_and_site(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = whatsapp_text("wamid.a", "5511987654321", "Ana", "hello", 1_763_805_600);
    assert_eq!(app.post_whatsapp(&body).await.status(), 200);
    let list: Value = app.api_get("/api/v1/dialogs").await.json().await.unwrap();
    let id = list["dialogs"][0]["dialog_id"].as_str().unwrap().to_owned();
    let card_url = format!("{}/api/v1/dialogs/{id}", app.base);

    let anonymous = app.http.get(&card_url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = app
        .http
        .get(&card_url)
        .bearer_auth("crt_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "unknown token"
    );

    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let resp = app
        .http
        .get(&card_url)
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);

    let other_site = create_site(&app.store, "other", &["+44 7700 900123"]).await;
    let outsider = create_token(&app.store, &other_site, Role::Admin).await;
    let resp = app
        .http
        .get(&card_url)
        .bearer_auth(&outsider)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        404,
        "another site's token must not see the dialog"
    );
    let list: Value = app
        .http
        .get(format!("{}/api/v1/dialogs", app.base))
        .bearer_auth(&outsider)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["dialogs"].as_array().unwrap().len(), 0);

    let bad_id = app.api_get("/api/v1/dialogs/not-a-uuid").await;
    assert_eq!(bad_id.status(), 400);
    let bad_limit = app.api_get("/api/v1/dialogs?limit=abc").await;
    assert_eq!(bad_limit.status(), 400);
    assert!(!bad_limit.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .is_empty());
}
