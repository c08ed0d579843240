//! Outcomes of dialogs: stages set by operators, over the API and by the site's rules, their
//! history, no-op repeats, validation, and one site's tokens seeing nothing of another's.

use chatrail_collector::domain::secret::sha256_hex;
use chatrail_collector::domain::token::{generate_token, Role};
use chatrail_tests::app::{create_site, create_token, spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(
    stages_are_set_by_operator_api_and_rules_with_history,
    outcomes_are_validated_and_site_isolated,
    stage_settings_are_validated_and_kept_consistent,
);

const T0: i64 = 1_763_805_600;

/// A call of the token API: its status and JSON answer (`null` when none).
pub(crate) async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .http
        .request(method, format!("{}/api/v1{path}", app.base))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn put_outcome(app: &TestApp, id: &str, token: &str, body: Value) -> (u16, Value) {
    let path = format!("/dialogs/{id}/outcome");
    send(app, reqwest::Method::PUT, &path, token, Some(body)).await
}

/// A message from `from` (its dialog's id).
async fn message(app: &TestApp, wamid: &str, from: &str, text: &str, at: i64) -> String {
    let body = whatsapp_text(wamid, from, "Ana", text, at);
    let report: Value = app.post_whatsapp(&body).await.json().await.unwrap();
    report["dialogs"][0].as_str().unwrap().to_owned()
}

/// A token named `name` of the test site.
async fn named_token(app: &TestApp, role: Role, name: &str) -> String {
    let token = generate_token();
    app.store
        .create_token(app.site.id, &sha256_hex(&token), role, name)
        .await
        .unwrap();
    token
}

fn changes(outcome: &Value) -> Vec<(String, String, String)> {
    outcome["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (s("stage"), s("source"), s("actor"))
        })
        .collect()
}

async fn stages_are_set_by_operator_api_and_rules_with_history(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let crm = named_token(&app, Role::Operator, "crm").await;
    let id = message(&app, "wamid.o1", "5511987654321", "hello", T0).await;

    let card = app.card(&id).await;
    assert_eq!(card["outcome"]["stage"], "new", "dialogs start new");
    assert_eq!(card["outcome"]["history"], json!([]));

    // The operator, on the card; again: nothing changes, nothing is recorded.
    for (i, changed) in [true, false].into_iter().enumerate() {
        let (status, answer) = put_outcome(
            &app,
            &id,
            &app.token,
            json!({"stage": "Lead", "source": "card"}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["changed"], changed, "set #{i}");
        assert_eq!(answer["outcome"]["stage"], "lead");
    }
    // A CRM marks it won with a value: a string or a number is the same amount.
    let won = json!({"stage": "won", "value": "1500.5", "currency": "usd"});
    let (status, answer) = put_outcome(&app, &id, &crm, won).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["changed"], true);
    assert_eq!(answer["outcome"]["value"], "1500.50");
    assert_eq!(answer["outcome"]["currency"], "USD");
    assert_eq!(answer["outcome"]["kind"], "won");
    let same = json!({"stage": "WON", "value": 1500.5, "currency": "USD"});
    let (_, answer) = put_outcome(&app, &id, &crm, same).await;
    assert_eq!(
        answer["changed"], false,
        "the same outcome again is a no-op"
    );
    let other_value = json!({"stage": "won", "value": "1600", "currency": "USD"});
    let (_, answer) = put_outcome(&app, &id, &crm, other_value).await;
    assert_eq!(answer["changed"], true, "a new value is a change");
    let card = app.card(&id).await;
    assert_eq!(card["outcome"]["value"], "1600.00");
    assert_eq!(
        changes(&card["outcome"]),
        [
            ("won".into(), "api".into(), "crm".into()),
            ("won".into(), "api".into(), "crm".into()),
            ("lead".into(), "card".into(), "test".into()),
        ],
        "every change, newest first, with where from and who"
    );
    assert_eq!(card["outcome"]["history"][1]["value"], "1500.50");
    let (status, alone) = send(
        &app,
        reqwest::Method::GET,
        &format!("/dialogs/{id}/outcome"),
        &app.token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(alone, card["outcome"]);

    // Rules: a text pattern and a tag, each moving a dialog forward only.
    let rules = json!({
        "stages": [
            {"name": "new", "kind": "open"}, {"name": "lead", "kind": "open"},
            {"name": "qualified", "kind": "open"}, {"name": "won", "kind": "won"},
            {"name": "lost", "kind": "lost"}
        ],
        "rules": ["text:*price* -> lead", "text:ready to * order -> qualified", "tag:Paid -> won"]
    });
    let (status, saved) = send(
        &app,
        reqwest::Method::PUT,
        "/site/outcomes",
        &admin,
        Some(rules),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["rules"][2], "tag:paid -> won");
    let ben = "5511911112222";
    let id2 = message(&app, "wamid.o2", ben, "What is the price?", T0 + 60).await;
    assert_eq!(app.card(&id2).await["outcome"]["stage"], "lead");
    let again = message(
        &app,
        "wamid.o3",
        ben,
        "I am READY to place an order",
        T0 + 120,
    )
    .await;
    assert_eq!(again, id2, "the same dialog");
    let outcome = app.card(&id2).await["outcome"].clone();
    assert_eq!(outcome["stage"], "qualified");
    message(
        &app,
        "wamid.o4",
        ben,
        "and the price of delivery?",
        T0 + 180,
    )
    .await;
    assert_eq!(
        app.card(&id2).await["outcome"]["stage"],
        "qualified",
        "a rule never moves a dialog back"
    );
    let (status, _) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/dialogs/{id2}/tags/paid"),
        &app.token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let outcome = app.card(&id2).await["outcome"].clone();
    assert_eq!(outcome["stage"], "won");
    assert_eq!(outcome["value"], Value::Null);
    assert_eq!(
        changes(&outcome),
        [
            ("won".into(), "rule".into(), "tag:paid -> won".into()),
            (
                "qualified".into(),
                "rule".into(),
                "text:ready to * order -> qualified".into()
            ),
            ("lead".into(), "rule".into(), "text:*price* -> lead".into()),
        ]
    );
    // An operator marks a dialog lost; a matching message does not reopen it.
    let id3 = message(&app, "wamid.o5", "5511933334444", "hi", T0 + 240).await;
    put_outcome(&app, &id3, &app.token, json!({"stage": "lost"})).await;
    message(&app, "wamid.o6", "5511933334444", "price?", T0 + 300).await;
    assert_eq!(app.card(&id3).await["outcome"]["stage"], "lost");
    // A redelivered message applies nothing twice.
    let before = app.card(&id2).await["outcome"]["history"].clone();
    let redelivered = whatsapp_text("wamid.o3", ben, "Ana", "I am READY to order", T0 + 120);
    assert_eq!(app.post_whatsapp(&redelivered).await.status(), 200);
    assert_eq!(app.card(&id2).await["outcome"]["history"], before);
}

async fn outcomes_are_validated_and_site_isolated(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = message(&app, "wamid.v1", "5511987654321", "hello", T0).await;
    let refused = [
        json!({"stage": "paid"}),
        json!({"stage": "lead", "value": "10", "currency": "USD"}),
        json!({"stage": "won", "value": "10"}),
        json!({"stage": "won", "currency": "USD"}),
        json!({"stage": "won", "value": "-1", "currency": "USD"}),
        json!({"stage": "won", "value": "1.2345", "currency": "USD"}),
        json!({"stage": "won", "value": "1e3", "currency": "USD"}),
        json!({"stage": "won", "value": "10", "currency": "US$"}),
        json!({"stage": "won", "value": true, "currency": "USD"}),
        json!({"stage": "lead", "source": "crm"}),
        json!({"stage": "lead", "extra": 1}),
        json!({"stage": "x".repeat(101)}),
        json!({}),
        json!("lead"),
    ];
    for body in refused {
        let (status, answer) = put_outcome(&app, &id, &app.token, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(!answer["error"].as_str().unwrap().is_empty(), "{body}");
    }
    let resp = app
        .http
        .put(format!("{}/api/v1/dialogs/{id}/outcome", app.base))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{\"stage\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let (status, _) = put_outcome(&app, "nope", &app.token, json!({"stage": "lead"})).await;
    assert_eq!(status, 400);
    let unknown = uuid::Uuid::now_v7();
    let (status, _) = put_outcome(
        &app,
        &unknown.to_string(),
        &app.token,
        json!({"stage": "lead"}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.card(&id).await["outcome"]["history"],
        json!([]),
        "nothing was set"
    );

    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let (status, _) = put_outcome(&app, &id, &analyst, json!({"stage": "lead"})).await;
    assert_eq!(status, 403);
    let path = format!("/dialogs/{id}/outcome");
    let (status, _) = send(&app, reqwest::Method::GET, &path, &analyst, None).await;
    assert_eq!(status, 403);

    // Another site's admin: no such dialog, whatever it tries; its settings are its own.
    let other = create_site(&app.store, "other", &["+44 7700 900123"]).await;
    let outsider = create_token(&app.store, &other, Role::Admin).await;
    let (status, _) = send(&app, reqwest::Method::GET, &path, &outsider, None).await;
    assert_eq!(status, 404);
    let won = json!({"stage": "won", "value": "5", "currency": "EUR"});
    let (status, _) = put_outcome(&app, &id, &outsider, won).await;
    assert_eq!(status, 404);
    let theirs = json!({
        "stages": [{"name": "open", "kind": "open"}, {"name": "sold", "kind": "won"}],
        "rules": ["text:hello -> sold"]
    });
    let (status, _) = send(
        &app,
        reqwest::Method::PUT,
        "/site/outcomes",
        &outsider,
        Some(theirs),
    )
    .await;
    assert_eq!(status, 200);
    let (_, ours) = send(
        &app,
        reqwest::Method::GET,
        "/site/outcomes",
        &app.token,
        None,
    )
    .await;
    assert_eq!(
        ours["stages"][0]["name"], "new",
        "another site's stages are its own"
    );
    assert_eq!(ours["rules"], json!([]));
    message(&app, "wamid.v2", "5511987654321", "hello again", T0 + 60).await;
    let card = app.card(&id).await;
    assert_eq!(
        card["outcome"]["stage"], "new",
        "another site's rules do not apply"
    );
    assert_eq!(card["outcome"]["history"], json!([]));
}

async fn stage_settings_are_validated_and_kept_consistent(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let put = |token: String, body: Value| {
        let app = &app;
        async move {
            send(
                app,
                reqwest::Method::PUT,
                "/site/outcomes",
                &token,
                Some(body),
            )
            .await
        }
    };
    let stages = json!([
        {"name": "Inbox", "kind": "open"}, {"name": "Quote sent", "kind": "open"},
        {"name": "Paid", "kind": "won"}, {"name": "Gone", "kind": "lost"}
    ]);
    let (status, _) = put(app.token.clone(), json!({"stages": stages})).await;
    assert_eq!(status, 403, "operators cannot change stages");
    let refused = [
        json!({"stages": [{"name": "won", "kind": "won"}, {"name": "a", "kind": "open"}]}),
        json!({"stages": [{"name": "a", "kind": "open"}, {"name": "b", "kind": "open"}]}),
        json!({"stages": [{"name": "a", "kind": "open"}, {"name": "A", "kind": "won"}]}),
        json!({"stages": [{"name": "a<b>", "kind": "open"}, {"name": "w", "kind": "won"}]}),
        json!({"stages": [{"name": "a", "kind": "maybe"}, {"name": "w", "kind": "won"}]}),
        json!({"stages": [{"name": "a", "kind": "open"}]}),
        json!({"stages": stages, "rules": ["tag:x -> nowhere"]}),
        json!({"stages": stages, "rules": ["whenever -> paid"]}),
        json!({"stages": stages, "rules": vec!["tag:x -> paid"; 51]}),
        json!({"stages": stages, "extra": true}),
    ];
    for body in refused {
        let (status, answer) = put(admin.clone(), body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    let (status, saved) = put(
        admin.clone(),
        json!({"stages": stages, "rules": ["tag:paid -> paid"]}),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["stages"][1]["name"], "quote sent");
    let (_, shown) = send(
        &app,
        reqwest::Method::GET,
        "/site/outcomes",
        &app.token,
        None,
    )
    .await;
    assert_eq!(shown, saved);

    let id = message(&app, "wamid.s1", "5511987654321", "hello", T0).await;
    assert_eq!(app.card(&id).await["outcome"]["stage"], "inbox");
    let (status, _) = put_outcome(&app, &id, &app.token, json!({"stage": "won"})).await;
    assert_eq!(status, 400, "the default stages are gone");
    let (status, _) = put_outcome(&app, &id, &app.token, json!({"stage": "quote sent"})).await;
    assert_eq!(status, 200);
    let without = json!({"stages": [
        {"name": "Inbox", "kind": "open"}, {"name": "Paid", "kind": "won"}
    ]});
    let (status, answer) = put(admin.clone(), without.clone()).await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("quote sent"));
    put_outcome(&app, &id, &app.token, json!({"stage": "inbox"})).await;
    let (status, _) = put(admin.clone(), without).await;
    assert_eq!(status, 200, "no dialog is in the dropped stage any more");
}
