//! Oversized input on every route, on both databases: for every operation of the API
//! description (so a new route is covered as soon as it is described) and the dashboard's
//! pages, a body just over the route's limit is a 413, sent with its length or chunked; an
//! over-long path segment or query string is a 414; a long segment or parameter within the
//! limits gets the route's own 4xx. Every refusal is a JSON error naming the problem, and
//! nothing is stored.

use chatrail_collector::domain::token::Role;
use chatrail_collector::routes::{body_limit, MAX_PATH_BYTES, MAX_QUERY_BYTES};
use chatrail_tests::app::{create_token, spawn_app, Backend, TestApp};
use chatrail_tests::on_both_backends;
use chatrail_tests::raw::{chunked, exchange};
use serde_json::Value;
use std::time::Duration;

use super::openapi::spec;

on_both_backends!(oversized_input_is_refused_everywhere_and_stores_nothing);

/// Routes served but not described (the dashboard's).
const UNDESCRIBED: [(&str, &str); 2] = [("GET", "/"), ("GET", "/dashboard/")];

/// Every route: `(METHOD, path template)`.
fn routes() -> Vec<(String, String)> {
    let mut routes = spec().operations();
    routes.extend(UNDESCRIBED.map(|(m, p)| (m.to_owned(), p.to_owned())));
    routes
}

/// What the collector holds, as the API and `/health` show it.
async fn holdings(app: &TestApp, admin: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for path in ["/api/v1/dialogs", "/api/v1/tokens", "/api/v1/site"] {
        let answer = app
            .http
            .get(format!("{}{path}", app.base))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        all.push(answer.json().await.unwrap());
    }
    all.push(app.health().await["ingest"].clone());
    all
}

/// Asserts a JSON refusal with `status` whose error contains `names`.
async fn refused(what: &str, answer: reqwest::Response, status: u16, names: &str) {
    assert_eq!(answer.status().as_u16(), status, "{what}");
    let body: Value = answer
        .json()
        .await
        .unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.contains(names), "{what}: {body}");
}

async fn oversized_input_is_refused_everywhere_and_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let before = holdings(&app, &admin).await;
    let addr: std::net::SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let send = |method: &str, uri: String| {
        app.http
            .request(method.parse().unwrap(), format!("{}{uri}", app.base))
            .bearer_auth(&admin)
            // The site's own number and bot, a real-looking id: each route gets as far as it can.
            .header("x-telegram-bot-api-secret-token", "test-telegram-secret_1")
    };
    let fill = |template: &str, value: &str| {
        template
            .split('/')
            .map(|s| match (s.find('{'), s.rfind('}')) {
                (Some(a), Some(b)) => format!("{}{value}{}", &s[..a], &s[b + 1..]),
                _ => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let routes = routes();
    assert!(routes.len() >= 25, "{routes:?}");
    for (method, template) in &routes {
        let limit = body_limit(method, template);
        let path = fill(template, "shop");
        let what = format!("{method} {template}");
        // A body one byte over the limit, with its length.
        let body = format!("{{\"pad\":\"{}\"}}", "a".repeat(limit));
        let answer = send(method, path.clone())
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        refused(&format!("{what} body"), answer, 413, "larger than").await;
        // The same body chunked, with no length to refuse it by: the routes that read a body
        // stop at their limit.
        let takes_body = spec()
            .operation(method, template)
            .is_some_and(|op| op.get("requestBody").is_some());
        if takes_body {
            let head = format!(
                "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {admin}\r\n\
                 X-Telegram-Bot-Api-Secret-Token: test-telegram-secret_1\r\n\
                 Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
                 Connection: close\r\n\r\n"
            );
            let mut request = head.into_bytes();
            request.extend(chunked(body.as_bytes(), 64 * 1024));
            let answer = exchange(addr, &request, Duration::from_secs(30))
                .await
                .unwrap_or_else(|e| panic!("{what} chunked body: {e:?}"));
            assert_eq!(answer.status, 413, "{what} chunked body");
            let error: Value = serde_json::from_slice(&answer.body).unwrap();
            assert!(
                error["error"].as_str().unwrap().contains("larger than"),
                "{what} chunked body: {error}"
            );
        }
        // A path segment over the collector's limit, and a query string over its limit.
        let long_segment = fill(template, &"s".repeat(MAX_PATH_BYTES));
        let long_segment = if long_segment == *template {
            format!("{template}/{}", "s".repeat(MAX_PATH_BYTES))
        } else {
            long_segment
        };
        let answer = send(method, long_segment).send().await.unwrap();
        refused(&format!("{what} long path"), answer, 414, "path is longer").await;
        let long_query = format!("{path}?q={}", "Ж".repeat(MAX_QUERY_BYTES / 6 + 1));
        let answer = send(method, long_query).send().await.unwrap();
        refused(&format!("{what} long query"), answer, 414, "query string").await;
        // Long, but within the limits: whatever the route answers, an error is JSON.
        let segment = "%D0%96".repeat(MAX_PATH_BYTES / 6 - 20);
        let query = format!("?utm_source={}", "y".repeat(MAX_QUERY_BYTES - 20));
        for uri in [fill(template, &segment), format!("{path}{query}")] {
            let answer = send(method, uri).send().await.unwrap();
            let status = answer.status().as_u16();
            assert!(status < 500, "{what}: {status}");
            if status >= 400 {
                let body: Value = answer.json().await.unwrap();
                assert!(body["error"].is_string(), "{what} {status}: {body}");
            }
        }
    }
    assert_eq!(
        holdings(&app, &admin).await,
        before,
        "oversized requests changed what is stored"
    );
}
