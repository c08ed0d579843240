//! The conversions operations of the description driven with each status they document:
//! destinations, their delivery logs, a retry and a test event (admin only).

use chatrail_tests::openapi::{call, Driver};
use serde_json::json;

const DESTINATIONS: &str = "/api/v1/conversions/destinations";
const DESTINATION: &str = "/api/v1/conversions/destinations/{id}";
const DELIVERIES: &str = "/api/v1/conversions/destinations/{id}/deliveries";
const RETRY: &str = "/api/v1/conversions/destinations/{id}/deliveries/{event}/retry";
const TEST: &str = "/api/v1/conversions/destinations/{id}/test";
const EXPORT: &str = "/api/v1/conversions/export/{platform}";
const JSON: &str = "application/json";

/// Every conversions operation, with every refusal.
pub async fn conversions(d: &Driver<'_>, admin: &str, operator: &str, analyst: &str) {
    let export = |q: &str| call("GET", EXPORT, format!("/api/v1/conversions/export/{q}"));
    let period = "from=2025-11-01&to=2025-11-30";
    for platform in ["google-ads", "yandex-metrica"] {
        let file = d
            .expect(
                export(&format!("{platform}?{period}&name=Won")).token(analyst),
                200,
            )
            .await;
        assert_eq!(file.content_type.as_deref(), Some("text/csv"));
    }
    d.expect(
        export(&format!("bing?{period}&name=Won")).token(analyst),
        400,
    )
    .await;
    d.expect(
        export(&format!("google-ads?{period}&name=W&event=stage:x")).token(analyst),
        404,
    )
    .await;
    d.expect(
        export(&format!("google-ads?{period}&name=W")).token(operator),
        403,
    )
    .await;
    d.expect(export(&format!("google-ads?{period}&name=W")), 401)
        .await;

    let list = || call("GET", DESTINATIONS, DESTINATIONS);
    let create = || call("POST", DESTINATIONS, DESTINATIONS);
    // Nothing listens on the discard port: deliveries stay pending, retried.
    let hook = json!({"kind": "webhook", "name": "CRM", "endpoint": "http://127.0.0.1:9/hook"});
    let created = d
        .expect(create().token(admin).body(JSON, hook.to_string()), 201)
        .await
        .json();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let id = created["destination_id"].as_str().unwrap().to_owned();
    let meta = json!({"kind": "meta", "name": "Meta", "settings": {"dataset_id": "123"},
        "secret": "EAAB", "events": {"won": "Purchase"}});
    let meta = d
        .expect(create().token(admin).body(JSON, meta.to_string()), 201)
        .await
        .json();
    assert!(
        meta.get("secret").is_none(),
        "a given secret is never shown back"
    );
    for bad in [
        json!({"kind": "webhook", "name": "CRM"}),
        json!({"kind": "meta", "name": "Meta", "settings": {"dataset_id": "x1"}, "secret": "s"}),
        json!({"kind": "ga4", "name": "GA", "settings": {"measurement_id": "G-1"}}),
        json!({"kind": "sms", "name": "x"}),
        json!({"kind": "webhook", "name": "CRM", "endpoint": "ftp://crm.test/"}),
        json!({"kind": "webhook", "name": "CRM", "endpoint": "https://crm.test/", "events": {"lead": "x"}}),
        json!(["webhook"]),
    ] {
        d.expect(create().token(admin).body(JSON, bad.to_string()), 400)
            .await;
    }
    d.expect(create().token(operator).body(JSON, hook.to_string()), 403)
        .await;
    d.expect(create().token(admin).body(JSON, "x".repeat(17_000)), 413)
        .await;
    d.expect(create().body(JSON, hook.to_string()), 401).await;
    let listed = d.expect(list().token(admin), 200).await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    d.expect(list().token(operator), 403).await;
    d.expect(list(), 401).await;

    let test = |id: &str| call("POST", TEST, format!("{DESTINATIONS}/{id}/test"));
    let queued = d.expect(test(&id).token(admin), 202).await.json();
    let event = queued["event_id"].as_str().unwrap().to_owned();
    let unknown = uuid::Uuid::now_v7().to_string();
    d.expect(test("nope").token(admin), 400).await;
    d.expect(test(&unknown).token(admin), 404).await;
    d.expect(test(&id).token(operator), 403).await;
    d.expect(test(&id), 401).await;

    let log = |id: &str, q: &str| {
        call(
            "GET",
            DELIVERIES,
            format!("{DESTINATIONS}/{id}/deliveries{q}"),
        )
    };
    let shown = d
        .expect(log(&id, "?limit=10").token(admin), 200)
        .await
        .json();
    assert_eq!(shown[0]["event_id"], event.as_str());
    assert_eq!(shown[0]["event"], "test");
    d.expect(log(&id, "?limit=0").token(admin), 400).await;
    d.expect(log("nope", "").token(admin), 400).await;
    d.expect(log(&unknown, "").token(admin), 404).await;
    d.expect(log(&id, "").token(operator), 403).await;
    d.expect(log(&id, ""), 401).await;

    let retry = |id: &str, e: &str| {
        call(
            "POST",
            RETRY,
            format!("{DESTINATIONS}/{id}/deliveries/{e}/retry"),
        )
    };
    let again = d.expect(retry(&id, &event).token(admin), 202).await.json();
    assert_eq!(again["event_id"], event.as_str());
    d.expect(retry(&id, "nope").token(admin), 400).await;
    d.expect(retry(&id, &unknown).token(admin), 404).await;
    d.expect(retry(&id, &event).token(operator), 403).await;
    d.expect(retry(&id, &event), 401).await;

    let edit = |id: &str| call("PATCH", DESTINATION, format!("{DESTINATIONS}/{id}"));
    let pause = json!({"enabled": false, "name": "CRM (paused)"}).to_string();
    let changed = d
        .expect(edit(&id).token(admin).body(JSON, pause.clone()), 200)
        .await
        .json();
    assert_eq!(changed["enabled"], false);
    assert!(changed.get("secret").is_none());
    for bad in [
        json!({"kind": "meta"}),
        json!({"secret": "plain"}),
        json!(["x"]),
    ] {
        d.expect(edit(&id).token(admin).body(JSON, bad.to_string()), 400)
            .await;
    }
    d.expect(edit("nope").token(admin).body(JSON, pause.clone()), 400)
        .await;
    d.expect(edit(&unknown).token(admin).body(JSON, pause.clone()), 404)
        .await;
    d.expect(edit(&id).token(operator).body(JSON, pause.clone()), 403)
        .await;
    d.expect(edit(&id).token(admin).body(JSON, "x".repeat(17_000)), 413)
        .await;
    d.expect(edit(&id).body(JSON, pause), 401).await;

    let remove = |id: &str| call("DELETE", DESTINATION, format!("{DESTINATIONS}/{id}"));
    d.expect(remove("nope").token(admin), 400).await;
    d.expect(remove(&id).token(operator), 403).await;
    d.expect(remove(&id), 401).await;
    d.expect(remove(&id).token(admin), 204).await;
    d.expect(remove(&id).token(admin), 404).await;
}
