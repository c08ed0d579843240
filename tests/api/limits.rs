//! Abuse limits: one client (told apart by the address a trusted proxy forwards) past its
//! rate gets `429` with `Retry-After` on beacons and `/go`, others go on; a site past its
//! rate or its daily cap refuses everyone. Nothing refused is stored.

use chatrail_collector::enrich::client_ip::TrustedProxies;
use chatrail_tests::app::{spawn_app_with, Backend, TestApp};
use chatrail_tests::inbound::Browsing;
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(
    a_flooding_client_is_held_and_others_are_not,
    a_site_past_its_rate_refuses_everyone,
    a_site_past_its_daily_cap_refuses_everyone_until_it_refills
);

const UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 \
                  (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

/// Posts a visit beacon of a fresh session as sent from `client`; status, `Retry-After`,
/// answer.
async fn visit_from(app: &TestApp, client: &str) -> (u16, Option<String>, Value) {
    let b = Browsing::random();
    let body = json!({"site": "shop", "visitor": b.visitor, "session": b.session,
        "code": b.code, "url": "https://shop.test/?utm_source=google&gclid=Cj0KCQiA"});
    let res = app
        .http
        .post(format!("{}/collect/visit", app.base))
        .header("user-agent", UA)
        .header("x-forwarded-for", client)
        .header("content-type", "text/plain")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (res.status().as_u16(), retry, res.json().await.unwrap())
}

async fn limited(backend: Backend, client_rate: u32, site_rate: u32) -> TestApp {
    limited_daily(backend, client_rate, site_rate, 0).await
}

async fn limited_daily(backend: Backend, client_rate: u32, site_rate: u32, cap: u32) -> TestApp {
    spawn_app_with(backend, |s| {
        s.trusted_proxies = "127.0.0.1/32".parse::<TrustedProxies>().unwrap();
        s.client_rate = client_rate;
        s.site_rate = site_rate;
        s.site_daily_cap = cap;
    })
    .await
}

async fn a_flooding_client_is_held_and_others_are_not(backend: Backend) {
    // 2 a second, in bursts of 10.
    let app = limited(backend, 2, 0).await;
    let flooder = "203.0.113.9";
    let mut statuses = Vec::new();
    for _ in 0..14 {
        statuses.push(visit_from(&app, flooder).await);
    }
    let accepted = statuses.iter().filter(|s| s.0 == 202).count();
    assert!((10..=11).contains(&accepted), "{accepted} of 14 accepted");
    let (status, retry, error) = statuses.last().unwrap();
    assert_eq!(*status, 429);
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(
        error["error"].as_str().unwrap().contains("client"),
        "{error}"
    );
    assert_eq!(
        visit_from(&app, "198.51.100.7").await.0,
        202,
        "another visitor"
    );
    app.assert_written(accepted as u64 + 1).await;
    assert_eq!(
        app.ingest_counter("written").await,
        accepted as u64 + 1,
        "nothing refused is stored"
    );
    // `/go` counts against the same bucket.
    let go = app
        .http
        .get(format!("{}/go/shop/+79001234567", app.base))
        .header("user-agent", UA)
        .header("x-forwarded-for", flooder)
        .send()
        .await
        .unwrap();
    assert_eq!(go.status().as_u16(), 429);
}

async fn a_site_past_its_rate_refuses_everyone(backend: Backend) {
    // 1 a second, in bursts of 10, whoever sends.
    let app = limited(backend, 0, 1).await;
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(visit_from(&app, &format!("198.51.100.{i}")).await.0);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        10,
        "{statuses:?}"
    );
    let (status, retry, error) = visit_from(&app, "192.0.2.200").await;
    assert_eq!((status, retry.as_deref()), (429, Some("1")));
    assert!(error["error"].as_str().unwrap().contains("site"), "{error}");
}

async fn a_site_past_its_daily_cap_refuses_everyone_until_it_refills(backend: Backend) {
    // 5 a day, whoever sends, beside generous rates.
    let app = limited_daily(backend, 20, 2000, 5).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(visit_from(&app, &format!("198.51.100.{i}")).await.0);
    }
    assert_eq!(statuses, [202; 5]);
    let (status, retry, error) = visit_from(&app, "192.0.2.200").await;
    assert_eq!(status, 429, "{error}");
    assert!(
        error["error"].as_str().unwrap().contains("site today"),
        "{error}"
    );
    // One more of 5 a day: in about 4.8 hours.
    let retry: u64 = retry.unwrap().parse().unwrap();
    assert!(
        (4 * 3600..=5 * 3600).contains(&retry),
        "Retry-After: {retry}"
    );
    app.assert_written(5).await;
    assert_eq!(
        app.ingest_counter("written").await,
        5,
        "nothing refused is stored"
    );
}
