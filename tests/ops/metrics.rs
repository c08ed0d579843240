//! `/metrics`: only with the token, in the Prometheus text format, and its counters move
//! with real beacons and webhooks (both databases).

use std::collections::HashMap;

use chatrail_core::beacon::format_id;
use chatrail_core::code::SessionCode;
use chatrail_tests::app::{spawn_app, spawn_app_with, whatsapp_text, Backend, TestApp};
use chatrail_tests::on_both_backends;
use serde_json::json;

on_both_backends!(
    metrics_count_beacons_webhooks_and_matches,
    metrics_on_their_own_listener_need_no_token,
    metrics_parse_during_load,
);

const TOKEN: &str = "metrics-token-for-tests";

/// One scrape: every sample by `name{label="value",…}` (labels sorted), and every
/// family's `# TYPE`.
#[derive(Debug, Default)]
struct Scrape {
    samples: HashMap<String, f64>,
    types: HashMap<String, String>,
}

impl Scrape {
    /// Parses the text format (version 0.0.4), failing on any line it does not follow.
    fn parse(text: &str) -> Scrape {
        let mut scrape = Scrape::default();
        for line in text.lines().filter(|l| !l.is_empty()) {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
                scrape.types.insert(name.into(), kind.into());
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').expect("sample: series value");
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("value in {line:?}"));
            let key = match series.split_once('{') {
                None => series.to_owned(),
                Some((name, labels)) => {
                    let labels = labels.strip_suffix('}').expect("labels end with }");
                    let mut pairs: Vec<(&str, &str)> = labels
                        .split(',')
                        .filter(|p| !p.is_empty())
                        .map(|p| {
                            let (k, v) = p.split_once('=').expect("label=value");
                            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
                            (k, v.expect("quoted label value"))
                        })
                        .collect();
                    pairs.sort();
                    let pairs: Vec<String> =
                        pairs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
                    format!("{name}{{{}}}", pairs.join(","))
                }
            };
            assert!(
                scrape.samples.insert(key, value).is_none(),
                "series twice: {line}"
            );
        }
        scrape
    }

    /// A sample's value, 0 when absent (a labelled series appears at its first count).
    fn get(&self, series: &str) -> f64 {
        self.samples.get(series).copied().unwrap_or(0.0)
    }
}

async fn scrape(app: &TestApp) -> Scrape {
    let resp = app
        .http
        .get(format!("{}/metrics", app.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    Scrape::parse(&resp.text().await.unwrap())
}

async fn beacon(app: &TestApp, path: &str, body: serde_json::Value) {
    let resp = app
        .http
        .post(format!("{}{path}", app.base))
        .header("content-type", "text/plain;charset=UTF-8")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202, "{path}");
}

async fn metrics_count_beacons_webhooks_and_matches(backend: Backend) {
    // Without a token the route does not exist.
    let closed = spawn_app(backend).await;
    let resp = closed
        .http
        .get(format!("{}/metrics", closed.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    drop(closed);

    let app = spawn_app_with(backend, |s| s.metrics_token = Some(TOKEN.into())).await;
    let url = format!("{}/metrics", app.base);
    let no_token = app.http.get(&url).send().await.unwrap();
    assert_eq!(no_token.status(), 401);
    let wrong = app
        .http
        .get(&url)
        .bearer_auth("metrics-token-for-test")
        .send()
        .await;
    assert_eq!(wrong.unwrap().status(), 401);

    let before = scrape(&app).await;
    for (name, kind) in [
        ("chatrail_ingest_accepted_total", "counter"),
        ("chatrail_ingest_written_total", "counter"),
        ("chatrail_ingest_failed_total", "counter"),
        ("chatrail_ingest_refused_total", "counter"),
        ("chatrail_ingest_queue_depth", "gauge"),
        ("chatrail_ingest_commit_seconds", "histogram"),
        ("chatrail_inbound_accepted_total", "counter"),
        ("chatrail_inbound_written_total", "counter"),
        ("chatrail_inbound_queue_depth", "gauge"),
        ("chatrail_inbound_commit_seconds", "histogram"),
        ("chatrail_webhook_seconds", "histogram"),
        ("chatrail_http_responses_total", "counter"),
        ("chatrail_dialogs", "gauge"),
        ("chatrail_storage_up", "gauge"),
    ] {
        assert_eq!(
            before.types.get(name).map(String::as_str),
            Some(kind),
            "{name}"
        );
    }
    assert_eq!(before.get("chatrail_storage_up"), 1.0);

    // Three page views of one session, a click, then its chat with the code, a chat
    // without one, and a delivery with a forged signature.
    let code = SessionCode::generate(|| (uuid::Uuid::new_v4().as_u128() >> 96) as u32);
    let (visitor, session) = (
        format_id(*uuid::Uuid::new_v4().as_bytes()),
        format_id(*uuid::Uuid::new_v4().as_bytes()),
    );
    for page in ["/", "/oak-table", "/prices"] {
        let visit = json!({"site": "shop", "visitor": visitor, "session": session,
            "code": code.as_str(), "url": format!("https://shop.test{page}?utm_source=qr")});
        beacon(&app, "/collect/visit", visit).await;
    }
    let click = json!({"site": "shop", "visitor": visitor, "session": session,
        "code": code.as_str(), "page": "https://shop.test/prices", "number": "79001234567",
        "kind": "wa.me"});
    beacon(&app, "/collect/click", click).await;
    let now = chrono::Utc::now().timestamp();
    let text = format!("Is the oak table in stock? (ref {})", code.as_str());
    let coded = whatsapp_text("wamid.metrics-1", "447700900001", "Ana", &text, now);
    assert_eq!(app.post_whatsapp(&coded).await.status(), 200);
    let plain = whatsapp_text("wamid.metrics-2", "447700900002", "Bo", "Hello", now);
    assert_eq!(app.post_whatsapp(&plain).await.status(), 200);
    let forged = app.post_whatsapp_signed(&plain, "not-the-secret").await;
    assert_eq!(forged.status(), 401);

    let after = scrape(&app).await;
    let moved = |series: &str| after.get(series) - before.get(series);
    assert_eq!(moved("chatrail_ingest_accepted_total"), 4.0);
    assert_eq!(moved("chatrail_ingest_written_total"), 4.0);
    assert_eq!(moved("chatrail_ingest_failed_total"), 0.0);
    assert_eq!(moved("chatrail_ingest_refused_total"), 0.0);
    assert_eq!(after.get("chatrail_ingest_queue_depth"), 0.0);
    // The two chats went through the inbound queue (the forged delivery never reached it).
    assert_eq!(moved("chatrail_inbound_accepted_total"), 2.0);
    assert_eq!(moved("chatrail_inbound_written_total"), 2.0);
    assert_eq!(moved("chatrail_inbound_failed_total"), 0.0);
    let inbound = moved("chatrail_inbound_batches_total");
    assert!((1.0..=2.0).contains(&inbound), "{inbound} inbound batches");
    assert_eq!(moved("chatrail_inbound_commit_seconds_count"), inbound);
    let health = app.health().await;
    assert_eq!(health["inbound"]["written"], 2, "{health}");
    let batches = moved("chatrail_ingest_batches_total");
    assert!((1.0..=4.0).contains(&batches), "{batches} batches");
    // Every committed batch was timed, and its time lands in the +Inf bucket.
    assert_eq!(moved("chatrail_ingest_commit_seconds_count"), batches);
    assert_eq!(
        moved("chatrail_ingest_commit_seconds_bucket{le=\"+Inf\"}"),
        batches
    );
    assert!(moved("chatrail_ingest_commit_seconds_sum") > 0.0);
    let whatsapp = |class: &str| {
        after.get(&format!(
            "chatrail_webhook_seconds_count{{class=\"{class}\",provider=\"whatsapp\"}}"
        ))
    };
    assert_eq!(whatsapp("2xx"), 2.0);
    assert_eq!(whatsapp("4xx"), 1.0);
    assert_eq!(after.get("chatrail_dialogs{match_kind=\"exact\"}"), 1.0);
    assert_eq!(after.get("chatrail_dialogs{match_kind=\"none\"}"), 1.0);
    assert_eq!(after.get("chatrail_dialogs{match_kind=\"probable\"}"), 0.0);
    // 4 beacons, 2 deliveries and the first scrape answered 2xx; 2 refusals and the
    // forgery 4xx.
    assert_eq!(moved("chatrail_http_responses_total{class=\"2xx\"}"), 7.0);
    assert_eq!(moved("chatrail_http_responses_total{class=\"4xx\"}"), 1.0);
    assert_eq!(
        before.get("chatrail_http_responses_total{class=\"4xx\"}"),
        2.0
    );
}

async fn metrics_on_their_own_listener_need_no_token(backend: Backend) {
    let port = chatrail_tests::free_port().unwrap();
    let app = spawn_app_with(backend, |s| {
        s.metrics_listen = Some(format!("127.0.0.1:{port}"));
    })
    .await;
    let apart = format!("http://127.0.0.1:{port}");
    // No token configured: the main listener has no /metrics, the private one serves it.
    let main = app.http.get(format!("{}/metrics", app.base)).send().await;
    assert_eq!(main.unwrap().status(), 404);
    let other = app.http.get(format!("{apart}/health")).send().await;
    assert_eq!(
        other.unwrap().status(),
        404,
        "only /metrics on the metrics listener"
    );
    let visit = json!({"site": "shop", "visitor": format_id([1; 16]), "session": format_id([2; 16]),
        "code": "K7Q2M9VA", "url": "https://shop.test/"});
    beacon(&app, "/collect/visit", visit).await;
    let resp = app
        .http
        .get(format!("{apart}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let scrape = Scrape::parse(&resp.text().await.unwrap());
    assert_eq!(scrape.get("chatrail_ingest_written_total"), 1.0);
    assert_eq!(
        scrape.get("chatrail_http_responses_total{class=\"2xx\"}"),
        1.0
    );
}

/// Scraped again and again while beacons and webhooks arrive from several tasks: every
/// scrape parses, counters never go back, the pool's connections add up, and at the end
/// every beacon and delivery is counted.
async fn metrics_parse_during_load(backend: Backend) {
    let app = std::sync::Arc::new(
        spawn_app_with(backend, |s| s.metrics_token = Some(TOKEN.into())).await,
    );
    let (tasks, per_task, deliveries) = (4, 60, 24);
    let mut load = Vec::new();
    for _ in 0..tasks {
        let app = app.clone();
        load.push(tokio::spawn(async move {
            for _ in 0..per_task {
                let id = || format_id(*uuid::Uuid::new_v4().as_bytes());
                let visit = json!({"site": "shop", "visitor": id(), "session": id(),
                    "code": "K7Q2M9VA", "url": "https://shop.test/?utm_source=load"});
                beacon(&app, "/collect/visit", visit).await;
            }
        }));
    }
    let chats = app.clone();
    load.push(tokio::spawn(async move {
        let now = chrono::Utc::now().timestamp();
        for i in 0..deliveries {
            let from = format!("4477009{i:05}");
            let body = whatsapp_text(&format!("wamid.load-{i}"), &from, "Load", "Hi", now);
            assert_eq!(chats.post_whatsapp(&body).await.status(), 200);
        }
    }));
    let max = match backend {
        Backend::Sqlite => 8.0,
        Backend::Postgres => 16.0,
    };
    let series = [
        "chatrail_ingest_accepted_total",
        "chatrail_ingest_written_total",
        "chatrail_webhook_seconds_count{class=\"2xx\",provider=\"whatsapp\"}",
        "chatrail_http_responses_total{class=\"2xx\"}",
    ];
    let mut last = vec![0.0; series.len()];
    let mut during = 0;
    let check = |s: &Scrape, last: &mut Vec<f64>| {
        assert_eq!(
            s.types
                .get("chatrail_db_pool_connections")
                .map(String::as_str),
            Some("gauge")
        );
        assert_eq!(s.get("chatrail_db_pool_max_connections"), max);
        let open = s.get("chatrail_db_pool_connections{state=\"idle\"}")
            + s.get("chatrail_db_pool_connections{state=\"in_use\"}");
        assert!((0.0..=max).contains(&open), "{open} connections open");
        for (i, name) in series.iter().enumerate() {
            assert!(s.get(name) >= last[i], "{name} went back");
            last[i] = s.get(name);
        }
    };
    while load.iter().any(|t| !t.is_finished()) {
        check(&scrape(&app).await, &mut last);
        during += 1;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for task in load {
        task.await.unwrap();
    }
    assert!(during >= 2, "only {during} scrapes during the load");
    let beacons = (tasks * per_task) as u64;
    app.wait_written(beacons).await;
    let end = scrape(&app).await;
    check(&end, &mut last);
    assert_eq!(end.get(series[0]), beacons as f64);
    assert_eq!(end.get(series[1]), beacons as f64);
    assert_eq!(end.get(series[2]), deliveries as f64);
    assert_eq!(
        end.get("chatrail_dialogs{match_kind=\"none\"}"),
        deliveries as f64
    );
    assert_eq!(end.get("chatrail_storage_up"), 1.0);
}
