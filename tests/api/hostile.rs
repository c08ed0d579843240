//! Hostile text at the edge: NUL (which PostgreSQL cannot store) in a path, a query
//! parameter or a JSON body is a 400 naming where it was, on every kind of route, and
//! never reaches the database, so good requests around it are stored as usual.

use chatrail_collector::domain::token::Role;
use chatrail_core::beacon::format_id;
use chatrail_tests::app::{create_token, spawn_app, Backend, TestApp};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(
    nul_is_refused_where_it_stands_and_good_input_still_goes_through,
    api_answers_are_neither_sniffed_nor_stored,
    undeclared_methods_are_405_with_allow,
);

/// A described path asked with a method it does not take is a 405 naming the allowed ones
/// (in `Allow` and in the JSON error); an unknown path stays a 404.
async fn undeclared_methods_are_405_with_allow(backend: Backend) {
    let app = spawn_app(backend).await;
    use reqwest::Method;
    for (method, path, allow) in [
        (Method::DELETE, "/collect/visit", "POST"),
        (Method::GET, "/collect/click", "POST"),
        (Method::POST, "/api/v1/dialogs", "GET"),
        (
            Method::PATCH,
            "/api/v1/dialogs/0190f0c4-0000-7000-8000-000000000000",
            "GET",
        ),
        (Method::PUT, "/health", "GET"),
        (Method::POST, "/t.js", "GET"),
    ] {
        let res = app
            .http
            .request(method.clone(), format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 405, "{method} {path}");
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        let error: Value = res.json().await.unwrap();
        let message = error["error"].as_str().unwrap();
        assert!(message.contains(allow), "{method} {path}: {message}");
    }
    let (status, error) = send(&app, Method::DELETE, "/nowhere", None, None).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (404, Some("route not found"))
    );
}

/// Every API answer, an error too, carries `nosniff` and `no-store`.
async fn api_answers_are_neither_sniffed_nor_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, token, status) in [
        ("/api/v1/dialogs", Some(app.token.as_str()), 200),
        ("/api/v1/dialogs", None, 401),
        ("/api/v1/dialogs/not-a-uuid", Some(app.token.as_str()), 400),
    ] {
        let mut req = app.http.get(format!("{}{path}", app.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{path}");
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
}

/// Sends `method path` (with `token` and `body` if given); the status and the JSON answer.
async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, Value) {
    // A browser's user agent, or the beacons would be dropped as a robot's.
    let mut req = app
        .http
        .request(method, format!("{}{path}", app.base))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36",
        );
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.header("content-type", "text/plain").body(body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A request with a NUL somewhere: method, path, token, body, and what the answer names.
type Case<'a> = (
    reqwest::Method,
    String,
    Option<&'a str>,
    Option<String>,
    &'static str,
);

fn visit(site: &str, url: &str) -> String {
    json!({"site": site, "visitor": format_id([7; 16]), "session": format_id([8; 16]),
        "code": "C0DE-ABCD", "url": url, "screen_w": 390, "screen_h": 844})
    .to_string()
}

async fn nul_is_refused_where_it_stands_and_good_input_still_goes_through(backend: Backend) {
    use reqwest::Method;
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let code = chatrail_core::code::SessionCode::generate(|| 0x1234_5678);
    let good_visit =
        visit("shop", "https://shop.test/kids?gclid=Cj0").replace("C0DE-ABCD", code.as_str());
    // Where the NUL stands, and what the answer must name.
    let cases: Vec<Case> = vec![
        (Method::GET, "/sites/%00/config".into(), None, None, "path"),
        (Method::GET, "/sites/shop%00/config".into(), None, None, "path"),
        (Method::GET, "/go/shop%00/79001234567".into(), None, None, "path"),
        (Method::POST, "/webhooks/telegram/shop%00".into(), None, Some("{}".into()), "path"),
        (Method::GET, "/api/v1/dialogs?channel=Paid%00Search".into(), Some(&admin), None, "channel"),
        (Method::GET, "/api/v1/dialogs?q=%00".into(), Some(&admin), None, "\"q\""),
        (Method::GET, "/api/v1/reports/channels?campaign=a%00".into(), Some(&admin), None, "campaign"),
        (Method::GET, "/api/v1/dialogs/%00".into(), Some(&admin), None, "path"),
        (Method::POST, "/collect/visit".into(), None, Some(visit("shop", "https://shop.test/\u{0}")), "url"),
        (Method::POST, "/collect/visit".into(), None, Some(visit("sh\u{0}op", "https://shop.test/")), "site"),
        (Method::PUT, "/api/v1/site".into(), Some(&admin),
            Some(json!({"name": "Shop\u{0}", "domains": [], "numbers": ["79001234567"]}).to_string()), "name"),
        (Method::POST, "/api/v1/messages".into(), Some(&admin),
            Some(json!({"channel": "whatsapp", "message_id": "m\u{0}1", "business_number": "79001234567",
                "from": {"phone": "5511987654321"}, "text": "hi", "sent_at": "2025-11-22T10:00:00Z"}).to_string()),
            "message_id"),
        (Method::POST, "/api/v1/tokens".into(), Some(&admin),
            Some(json!({"name": "ci\u{0}", "role": "analyst"}).to_string()), "name"),
    ];
    for (method, path, token, body, names) in cases {
        let (status, answer) = send(&app, method.clone(), &path, token, body).await;
        let error = answer["error"].as_str().unwrap_or_default();
        assert_eq!(status, 400, "{method} {path}: {answer}");
        assert!(
            error.contains("NUL") && error.contains(names),
            "{method} {path}: {error}"
        );
    }
    // The writer was never handed a NUL: good beacons and messages go through.
    let (status, _) = send(&app, Method::POST, "/collect/visit", None, Some(good_visit)).await;
    assert_eq!(status, 202);
    app.assert_written(1).await;
    let (status, dialogs) = send(
        &app,
        Method::GET,
        "/api/v1/dialogs?q=ana",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(status, 200, "{dialogs}");
    let (status, _) = send(&app, Method::GET, "/sites/shop/config", None, None).await;
    assert_eq!(status, 200);
}
