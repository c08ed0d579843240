//! Operators' tags on dialogs.

use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_site, create_token, spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::on_both_backends;
use serde_json::Value;

on_both_backends!(
    operators_add_and_remove_tags,
    tags_are_validated_and_site_isolated
);

async fn tag(app: &TestApp, method: reqwest::Method, path: &str, token: &str) -> reqwest::Response {
    app.http
        .request(method, format!("{}/api/v1/dialogs/{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn a_dialog(app: &TestApp) -> String {
    let body = whatsapp_text("wamid.t", "5511987654321", "Ana", "hello", 1_763_805_600);
    let report: Value = app.post_whatsapp(&body).await.json().await.unwrap();
    report["dialogs"][0].as_str().unwrap().to_owned()
}

async fn operators_add_and_remove_tags(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = a_dialog(&app).await;
    let put = tag(
        &app,
        reqwest::Method::PUT,
        &format!("{id}/tags/Oak%20Table"),
        &app.token,
    )
    .await;
    assert_eq!(put.status(), 200);
    assert_eq!(put.json::<Value>().await.unwrap()["tags"][0], "oak table");
    tag(
        &app,
        reqwest::Method::PUT,
        &format!("{id}/tags/lead:hot"),
        &app.token,
    )
    .await;
    let again = tag(
        &app,
        reqwest::Method::PUT,
        &format!("{id}/tags/LEAD:HOT"),
        &app.token,
    )
    .await;
    assert_eq!(
        again.json::<Value>().await.unwrap()["tags"],
        serde_json::json!(["lead:hot", "oak table"]),
        "adding a tag twice keeps one"
    );
    let card = app.card(&id).await;
    assert_eq!(card["tags"], serde_json::json!(["lead:hot", "oak table"]));
    let del = tag(
        &app,
        reqwest::Method::DELETE,
        &format!("{id}/tags/oak%20table"),
        &app.token,
    )
    .await;
    assert_eq!(
        del.json::<Value>().await.unwrap()["tags"],
        serde_json::json!(["lead:hot"])
    );
    let del = tag(
        &app,
        reqwest::Method::DELETE,
        &format!("{id}/tags/absent"),
        &app.token,
    )
    .await;
    assert_eq!(del.status(), 200, "removing an absent tag is not an error");
    let list = tag(
        &app,
        reqwest::Method::GET,
        &format!("{id}/tags"),
        &app.token,
    )
    .await;
    assert_eq!(
        list.json::<Value>().await.unwrap()["tags"],
        serde_json::json!(["lead:hot"])
    );
}

async fn tags_are_validated_and_site_isolated(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = a_dialog(&app).await;
    for bad in ["%20", "a%2Fb", "%3Cb%3E", &"x".repeat(51)] {
        let resp = tag(
            &app,
            reqwest::Method::PUT,
            &format!("{id}/tags/{bad}"),
            &app.token,
        )
        .await;
        assert_eq!(resp.status(), 400, "{bad}");
        assert!(!resp.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .is_empty());
    }
    let resp = tag(&app, reqwest::Method::PUT, "not-a-uuid/tags/x", &app.token).await;
    assert_eq!(resp.status(), 400);
    let unknown = uuid::Uuid::now_v7();
    let resp = tag(
        &app,
        reqwest::Method::PUT,
        &format!("{unknown}/tags/x"),
        &app.token,
    )
    .await;
    assert_eq!(resp.status(), 404);
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let resp = tag(
        &app,
        reqwest::Method::PUT,
        &format!("{id}/tags/x"),
        &analyst,
    )
    .await;
    assert_eq!(resp.status(), 403);
    let other = create_site(&app.store, "other", &["+44 7700 900123"]).await;
    let outsider = create_token(&app.store, &other, Role::Admin).await;
    for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
        let resp = tag(&app, method, &format!("{id}/tags/x"), &outsider).await;
        assert_eq!(
            resp.status(),
            404,
            "another site's dialog does not exist for it"
        );
    }
    for i in 0..50 {
        let resp = tag(
            &app,
            reqwest::Method::PUT,
            &format!("{id}/tags/t{i}"),
            &app.token,
        )
        .await;
        assert_eq!(resp.status(), 200);
    }
    let resp = tag(
        &app,
        reqwest::Method::PUT,
        &format!("{id}/tags/one-too-many"),
        &app.token,
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(app.card(&id).await["tags"].as_array().unwrap().len(), 50);
}
