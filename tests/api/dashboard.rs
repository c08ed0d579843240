//! The endpoints behind the dashboard: who a token is (`/me`), the dialogs list's filters,
//! search and keyset pages, site settings and tokens — with roles, site isolation and bad
//! input answered by a 400 naming the problem.

use std::collections::HashSet;

use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_site, create_token, spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::on_both_backends;
use reqwest::Method;
use serde_json::{json, Value};

on_both_backends!(
    me_tells_the_role_and_what_it_opens,
    the_dialogs_list_filters_searches_and_pages_without_gaps,
    admins_change_site_settings_with_validation,
    admins_create_list_and_revoke_tokens,
    the_dashboard_benchmark_loads_every_page,
);

async fn call(
    app: &TestApp,
    method: Method,
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
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, Method::GET, path, token, None).await
}

async fn me_tells_the_role_and_what_it_opens(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, me) = get(&app, "/me", &app.token).await;
    assert_eq!(status, 200);
    assert_eq!(me["role"], "operator");
    assert_eq!(me["site"]["key"], "shop");
    assert_eq!(me["site"]["timezone"], "UTC");
    assert_eq!(
        me["can"],
        json!({"dialogs": true, "reports": false, "settings": false})
    );
    assert_eq!(me["numbers"], json!(["79001234567"]));
    assert!(me["channels"]
        .as_array()
        .unwrap()
        .contains(&json!("Paid Search")));
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let (_, me) = get(&app, "/me", &analyst).await;
    assert_eq!(
        me["can"],
        json!({"dialogs": false, "reports": true, "settings": false})
    );
    let (status, body) = get(&app, "/me", "crt_nope").await;
    assert_eq!(status, 401);
    assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
}

/// Posts a WhatsApp message from `phone` named `name`; returns the dialog id.
async fn dialog(app: &TestApp, id: &str, phone: &str, name: &str, text: &str, at: i64) -> String {
    let report: Value = app
        .post_whatsapp(&whatsapp_text(id, phone, name, text, at))
        .await
        .json()
        .await
        .unwrap();
    report["dialogs"][0].as_str().unwrap().to_owned()
}

async fn the_dialogs_list_filters_searches_and_pages_without_gaps(backend: Backend) {
    let app = spawn_app(backend).await;
    // Seven dialogs, three of them in the same second (ties the keyset must break by id).
    let t = 1_763_805_600;
    let mut ids = Vec::new();
    for (i, (phone, name)) in [
        ("5511900000001", "Ana Souza"),
        ("5511900000002", "Bruno Lima"),
        ("5511900000003", "Çelik Özdemir"),
        ("5511900000004", "Dora 100%_off"),
        ("5511900000005", "Eve"),
        ("5511900000006", "Ana Paula"),
        ("5511900000007", "Gil"),
    ]
    .iter()
    .enumerate()
    {
        let at = if i < 3 { t } else { t + i as i64 * 60 };
        ids.push(dialog(&app, &format!("wamid.{i}"), phone, name, "hi", at).await);
    }
    let list = |q: &'static str| {
        let app = &app;
        async move {
            let (status, body) = get(app, &format!("/dialogs{q}"), &app.token).await;
            assert_eq!(status, 200, "{q}: {body}");
            body
        }
    };
    let names = |body: &Value| -> Vec<String> {
        body["dialogs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["contact_name"].as_str().unwrap_or("").to_owned())
            .collect()
    };

    // Pages of two cover every dialog once, newest first.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/dialogs?limit=2&cursor={c}"),
            None => "/dialogs?limit=2".to_owned(),
        };
        let (_, page) = get(&app, &q, &app.token).await;
        for d in page["dialogs"].as_array().unwrap() {
            seen.push(d["dialog_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);
    assert_eq!(seen[0], ids[6], "newest first");

    // Search: any case, inside the name; by phone digits; LIKE wildcards are literal.
    assert_eq!(names(&list("?q=ana").await), ["Ana Paula", "Ana Souza"]);
    assert_eq!(
        names(&list("?q=%2B55%2011%20900000002").await),
        ["Bruno Lima"]
    );
    assert_eq!(names(&list("?q=100%25_").await), ["Dora 100%_off"]);
    assert_eq!(names(&list("?q=%25").await), ["Dora 100%_off"]);
    // Names in any script match as typed (SQLite lower-cases ASCII only).
    assert_eq!(names(&list("?q=%C3%87elik").await), ["Çelik Özdemir"]);
    assert!(names(&list("?q=zzz").await).is_empty());

    // Filters: match kind, contact type, tracked number, tag.
    assert_eq!(
        list("?match=none").await["dialogs"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    assert!(list("?match=exact").await["dialogs"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        list("?kind=new").await["dialogs"].as_array().unwrap().len(),
        7
    );
    assert_eq!(
        list("?number=%2B7%20900%20123-45-67").await["dialogs"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    assert!(list("?number=447700900123").await["dialogs"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(list("?channel=Paid%20Search").await["dialogs"]
        .as_array()
        .unwrap()
        .is_empty());
    let (status, _) = call(
        &app,
        Method::PUT,
        &format!("/dialogs/{}/tags/vip", ids[4]),
        &app.token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(names(&list("?tag=VIP").await), ["Eve"]);

    // Bad parameters are named.
    for (q, named) in [
        ("?match=maybe", "match"),
        ("?kind=old", "kind"),
        ("?number=abc", "number"),
        ("?cursor=yesterday", "cursor"),
        ("?limit=0", "limit"),
        ("?chanel=Direct", "chanel"),
    ] {
        let (status, body) = get(&app, &format!("/dialogs{q}"), &app.token).await;
        assert_eq!(status, 400, "{q}");
        assert!(
            body["error"].as_str().unwrap().contains(named),
            "{q}: {body}"
        );
    }
    let long = "a".repeat(101);
    let (status, _) = get(&app, &format!("/dialogs?q={long}"), &app.token).await;
    assert_eq!(status, 400);
}

fn settings(numbers: Value) -> Value {
    json!({
        "name": "Shop & Co",
        "timezone": "America/Sao_Paulo",
        "domains": ["Shop.test", "www.shop.test"],
        "numbers": numbers,
        "template": "{text} [{code}]",
        "pages": [{"path": "/kids/*", "text": "Kids shoot?"}, {"path": "/pt/*", "text": "", "template": "{text} (ref {code})"}],
        "bots": ["@Shop_Bot"],
        "channel_rules": ["source=partner-* -> Affiliates"],
    })
}

async fn admins_change_site_settings_with_validation(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let (status, site) = get(&app, "/site", &admin).await;
    assert_eq!(status, 200);
    assert_eq!(site["key"], "shop");
    assert_eq!(
        site["script_tag"],
        "<script async src=\"https://chatrail.example.com/t.js\" data-site=\"shop\"></script>"
    );
    assert_eq!(
        site["webhooks"]["telegram"],
        "https://chatrail.example.com/webhooks/telegram/shop"
    );
    assert!(site.get("wa_app_secret").is_none() && site.get("twilio_auth_token").is_none());

    // Operators and analysts can neither read nor change settings.
    for token in [
        app.token.clone(),
        create_token(&app.store, &app.site, Role::Analyst).await,
    ] {
        assert_eq!(get(&app, "/site", &token).await.0, 403);
        let (status, _) = call(
            &app,
            Method::PUT,
            "/site",
            &token,
            Some(settings(json!([]))),
        )
        .await;
        assert_eq!(status, 403);
    }

    let numbers = json!([{"number": "+7 900 123-45-67", "wa_phone_number_id": "221133445566778"}, {"number": "44 7700 900123"}]);
    let (status, saved) = call(&app, Method::PUT, "/site", &admin, Some(settings(numbers))).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["name"], "Shop & Co");
    assert_eq!(saved["timezone"], "America/Sao_Paulo");
    assert_eq!(saved["domains"], json!(["shop.test", "www.shop.test"]));
    assert_eq!(saved["bots"], json!(["shop_bot"]));
    assert_eq!(saved["channel_rules"].as_array().unwrap().len(), 1);
    let site = app.store.site_by_id(app.site.id).await.unwrap().unwrap();
    let stored: Vec<_> = site
        .numbers
        .iter()
        .map(|n| (n.number.as_str(), n.wa_phone_number_id.as_deref()))
        .collect();
    assert_eq!(
        stored,
        [
            ("447700900123", None),
            ("79001234567", Some("221133445566778"))
        ]
    );
    assert_eq!(site.pages.len(), 2);
    assert_eq!(
        site.pages[1].template.as_deref(),
        Some("{text} (ref {code})")
    );
    assert_eq!(
        site.wa_app_secret, app.site.wa_app_secret,
        "provider secrets stay"
    );
    assert_eq!(
        app.store.site_timezone(site.id).await.unwrap().as_deref(),
        Some("America/Sao_Paulo")
    );

    // Refused settings change nothing and say why.
    let bad = |patch: Value| {
        let mut body = settings(json!([{"number": "+79001234567"}]));
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    for (body, named) in [
        (bad(json!({"timezone": "Mars/Olympus"})), "Mars/Olympus"),
        (bad(json!({"template": "no code"})), "{code}"),
        (bad(json!({"numbers": [{"number": "12"}]})), "phone number"),
        (
            bad(json!({"numbers": [{"number": "+79001234567"}, {"number": "79001234567"}]})),
            "twice",
        ),
        (bad(json!({"name": " "})), "name"),
        (
            bad(json!({"channel_rules": ["colour=red -> Paid Search"]})),
            "unknown field",
        ),
        (bad(json!({"key": "other"})), "key"),
    ] {
        let (status, err) = call(&app, Method::PUT, "/site", &admin, Some(body)).await;
        assert_eq!(status, 400, "{err}");
        assert!(
            err["error"].as_str().unwrap().contains(named),
            "{named}: {err}"
        );
    }
    let res = app
        .http
        .put(format!("{}/api/v1/site", app.base))
        .bearer_auth(&admin)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let after = app.store.site_by_id(app.site.id).await.unwrap().unwrap();
    assert_eq!(after.numbers.len(), 2, "nothing changed");

    // Another site's admin sees only its own site.
    let other = create_site(&app.store, "other", &["+1 202 555 0100"]).await;
    let other_admin = create_token(&app.store, &other, Role::Admin).await;
    let (_, theirs) = get(&app, "/site", &other_admin).await;
    assert_eq!(theirs["key"], "other");
}

async fn admins_create_list_and_revoke_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    assert_eq!(get(&app, "/tokens", &app.token).await.0, 403);

    let (status, created) = call(
        &app,
        Method::POST,
        "/tokens",
        &admin,
        Some(json!({"name": "Maria", "role": "analyst"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("crt_"));
    assert_eq!(get(&app, "/me", &token).await.1["role"], "analyst");

    let (_, list) = get(&app, "/tokens", &admin).await;
    let tokens = list["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 3, "{list}");
    assert!(
        !list.to_string().contains(&token),
        "tokens are never shown again"
    );
    let maria = tokens.iter().find(|t| t["name"] == "Maria").unwrap();
    assert_eq!(maria["role"], "analyst");

    for (body, named) in [
        (json!({"name": "x", "role": "owner"}), "role"),
        (json!({"name": "", "role": "admin"}), "name"),
        (json!({"name": "x"}), "role"),
    ] {
        let (status, err) = call(&app, Method::POST, "/tokens", &admin, Some(body)).await;
        assert_eq!(status, 400);
        assert!(err["error"].as_str().unwrap().contains(named), "{err}");
    }

    // Revoked tokens stop working; the last admin token cannot be revoked.
    let id = maria["token_id"].as_str().unwrap();
    let (status, _) = call(&app, Method::DELETE, &format!("/tokens/{id}"), &admin, None).await;
    assert_eq!(status, 204);
    assert_eq!(get(&app, "/me", &token).await.0, 401);
    assert_eq!(
        call(&app, Method::DELETE, &format!("/tokens/{id}"), &admin, None)
            .await
            .0,
        404
    );
    let admin_id = get(&app, "/tokens", &admin).await.1["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "admin")
        .unwrap()["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, err) = call(
        &app,
        Method::DELETE,
        &format!("/tokens/{admin_id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 403, "{err}");
    assert!(
        err["error"].as_str().unwrap().contains("last admin"),
        "{err}"
    );

    // One site's admin cannot revoke another site's token.
    let other = create_site(&app.store, "other", &["+1 202 555 0100"]).await;
    let other_admin = create_token(&app.store, &other, Role::Admin).await;
    let op_id = get(&app, "/tokens", &admin).await.1["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "operator")
        .unwrap()["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &format!("/tokens/{op_id}"),
            &other_admin,
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(get(&app, "/me", &app.token).await.0, 200);
}

/// The dashboard benchmark at CI size: every page loads (all 200s) on a generated database;
/// the times are printed, not asserted (the full-size figures are in the README).
async fn the_dashboard_benchmark_loads_every_page(backend: Backend) {
    let opts = chatrail_collector::generate::GenerateOptions {
        sessions: 5_000,
        dialogs: 500,
        months: 18,
        ..Default::default()
    };
    let served = chatrail_tests::dashboard_bench::serve_filled(backend, &opts)
        .await
        .unwrap();
    let rows = chatrail_tests::dashboard_bench::run(&served, &opts, 1)
        .await
        .unwrap();
    assert_eq!(rows.len(), 10);
    for (label, time) in rows {
        println!("{backend:?} {label}: {:.1} ms", time.as_secs_f64() * 1000.0);
    }
}
