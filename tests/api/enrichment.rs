//! Enrichment over real HTTP: region from the generated GeoIP fixtures through trusted and
//! untrusted proxies, device and channel on the card, robots and referrer spam dropped.

use chatrail_collector::enrich::geo::GeoIp;
use chatrail_core::beacon::format_id;
use chatrail_core::code::SessionCode;
use chatrail_tests::app::{spawn_app_with, whatsapp_text, Backend, TestApp};
use chatrail_tests::geoip::{self, Place, COUNTRY_ONLY, LINKOPING, LONDON, MONTREAL, MOSCOW};
use chatrail_tests::on_both_backends;
use serde_json::{json, Value};

on_both_backends!(
    a_trusted_proxy_forwards_the_visitors_region_and_the_address_is_not_kept,
    forwarding_headers_from_untrusted_peers_are_ignored,
    robots_and_referrer_spam_are_dropped_and_counted,
    beacons_from_pages_off_the_site_are_dropped_and_counted,
);

const IPHONE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";

/// One visitor's browsing: ids and code as the snippet makes them.
struct Browsing {
    visitor: String,
    session: String,
    code: SessionCode,
}

impl Browsing {
    fn new() -> Browsing {
        Browsing {
            visitor: format_id(*uuid::Uuid::new_v4().as_bytes()),
            session: format_id(*uuid::Uuid::new_v4().as_bytes()),
            code: SessionCode::generate(|| (uuid::Uuid::new_v4().as_u128() >> 96) as u32),
        }
    }

    /// Posts a visit beacon with extra request headers; returns status and body.
    async fn visit(
        &self,
        app: &TestApp,
        url: &str,
        referrer: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let body = json!({"site": "shop", "visitor": self.visitor, "session": self.session,
            "code": self.code.as_str(), "url": url, "referrer": referrer});
        let mut req = app
            .http
            .post(format!("{}/collect/visit", app.base))
            .header("content-type", "text/plain;charset=UTF-8");
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
        {
            req = req.header("user-agent", IPHONE_UA);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.body(body.to_string()).send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    /// Sends a click on a WhatsApp link of `https://shop.test/`, with `headers`.
    async fn click(&self, app: &TestApp, headers: &[(&str, &str)]) -> (u16, Value) {
        let click = json!({"site": "shop", "visitor": self.visitor, "session": self.session,
            "code": self.code.as_str(), "page": "https://shop.test/", "number": "79001234567",
            "kind": "wa.me"});
        let mut req = app
            .http
            .post(format!("{}/collect/click", app.base))
            .header("content-type", "text/plain;charset=UTF-8");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.body(click.to_string()).send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    /// Sends the chat that carries this session's code (from a contact of its own) and
    /// returns its source card.
    async fn card(&self, app: &TestApp, message_id: &str) -> Value {
        let text = format!("Is the oak table in stock? (ref {})", self.code);
        let phone = format!("4479111{:05}", uuid::Uuid::new_v4().as_u128() % 100_000);
        let report: Value = app
            .post_whatsapp(&whatsapp_text(
                message_id,
                &phone,
                "Tom",
                &text,
                1_763_806_200,
            ))
            .await
            .json()
            .await
            .unwrap();
        let id = report["dialogs"][0].as_str().expect("a dialog").to_owned();
        app.api_get(&format!("/api/v1/dialogs/{id}"))
            .await
            .json()
            .await
            .unwrap()
    }
}

fn assert_region(session: &Value, place: &Place) {
    assert_eq!(session["country"], place.country, "{session}");
    assert_eq!(session["region"], place.region, "{session}");
    assert_eq!(session["city"], place.city, "{session}");
}

async fn a_trusted_proxy_forwards_the_visitors_region_and_the_address_is_not_kept(
    backend: Backend,
) {
    let (app, _fixtures) = geoip::app_with_regions(backend, "127.0.0.1/32").await;
    assert_eq!(app.health().await["geoip"], true);

    let london = Browsing::new();
    let xff_london = format!("6.6.6.6, {}", LONDON.ip);
    let (status, _) = london
        .visit(
            &app,
            "https://shop.test/oak?utm_source=FB&utm_medium=Paid%20Social&utm_campaign=Oak",
            Some("https://l.facebook.com/"),
            &[("x-forwarded-for", &xff_london)],
        )
        .await;
    assert_eq!(status, 202);
    let montreal = Browsing::new();
    let forwarded = format!("for=\"[{}]:4711\";proto=https", MONTREAL.ip);
    montreal
        .visit(
            &app,
            "https://shop.test/",
            Some("https://www.bing.com/search?q=oak+dining+table"),
            &[("forwarded", &forwarded)],
        )
        .await;
    let moscow = Browsing::new();
    moscow
        .visit(
            &app,
            "https://shop.test/?yclid=2438923847",
            None,
            &[("x-forwarded-for", MOSCOW.ip)],
        )
        .await;
    let linkoping = Browsing::new();
    linkoping
        .visit(
            &app,
            "https://shop.test/",
            Some("https://chatgpt.com/"),
            &[("x-forwarded-for", LINKOPING.ip)],
        )
        .await;
    app.assert_written(4).await;

    let card = london.card(&app, "wamid.geo-1").await;
    let s = &card["session"];
    assert_region(s, &LONDON);
    assert_eq!(s["channel"], "Paid Social");
    assert_eq!(s["source"], "facebook");
    assert_eq!(s["utm_source"], "FB");
    assert_eq!(s["os"], "iPhone");
    assert_eq!(s["browser"], "Safari");
    assert_eq!(s["device"], "smartphone");

    let s = &montreal.card(&app, "wamid.geo-2").await["session"];
    assert_region(s, &MONTREAL);
    assert_eq!(s["channel"], "Organic Search");
    assert_eq!(s["source"], "bing");
    assert_eq!(s["keyword"], "oak dining table");

    let s = &moscow.card(&app, "wamid.geo-3").await["session"];
    assert_region(s, &MOSCOW);
    assert_eq!(s["channel"], "Paid Search");
    assert_eq!(s["source"], "yandex");

    let s = &linkoping.card(&app, "wamid.geo-4").await["session"];
    assert_region(s, &LINKOPING);
    assert_eq!(s["channel"], "AI Assistants");
    assert_eq!(s["source"], "chatgpt");

    // The address was looked up and forgotten: no stored byte spells it.
    if let Some(dir) = app.sqlite_dir() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            for place in [LONDON, MONTREAL, MOSCOW, LINKOPING] {
                assert!(
                    !bytes
                        .windows(place.ip.len())
                        .any(|w| w == place.ip.as_bytes()),
                    "{} found in the database files",
                    place.ip
                );
            }
        }
    }
}

async fn forwarding_headers_from_untrusted_peers_are_ignored(backend: Backend) {
    // Trusts only a proxy network the test client is not in.
    let (app, _fixtures) = geoip::app_with_regions(backend, "10.0.0.0/8").await;
    let b = Browsing::new();
    b.visit(
        &app,
        "https://shop.test/",
        None,
        &[
            ("x-forwarded-for", LONDON.ip),
            ("forwarded", &format!("for={}", MOSCOW.ip)),
        ],
    )
    .await;
    app.assert_written(1).await;
    let s = &b.card(&app, "wamid.geo-5").await["session"];
    // The peer (loopback) is the client, and no database places it.
    assert_eq!(s["country"], Value::Null, "{s}");
    assert_eq!(s["region"], Value::Null);
    assert_eq!(s["city"], Value::Null);
    assert_eq!(s["channel"], "Direct");
    assert_eq!(s["source"], Value::Null);
}

async fn robots_and_referrer_spam_are_dropped_and_counted(backend: Backend) {
    // No GeoIP database: the collector starts, and regions are unknown.
    let app = spawn_app_with(backend, |_| {}).await;
    assert_eq!(app.health().await["geoip"], false);
    let b = Browsing::new();
    let robots = [
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "crawler"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.71 Safari/537.36", "headless"),
        ("python-requests/2.31.0", "crawler"),
    ];
    for (ua, reason) in robots {
        let (status, body) = b
            .visit(&app, "https://shop.test/", None, &[("user-agent", ua)])
            .await;
        assert_eq!(
            (status, body["reason"].as_str()),
            (202, Some(reason)),
            "{ua}"
        );
    }
    let (status, body) = b
        .visit(&app, "https://shop.test/", Some("http://semalt.com/"), &[])
        .await;
    assert_eq!((status, body["status"].as_str()), (202, Some("dropped")));
    let bingbot = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";
    let (status, _) = b.click(&app, &[("user-agent", bingbot)]).await;
    assert_eq!(status, 202);

    // A person's visit still goes through, and nothing dropped was queued.
    let (status, body) = b.visit(&app, "https://shop.test/", None, &[]).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("accepted")));
    app.assert_written(1).await;
    let health = app.health().await;
    assert_eq!(health["ingest"]["accepted"], 1, "{health}");
    assert_eq!(
        health["dropped"],
        json!({"crawler": 3, "headless": 1, "referrer_spam": 1, "foreign_origin": 0})
    );
    let s = &b.card(&app, "wamid.geo-6").await["session"];
    assert_eq!(s["country"], Value::Null);
}

async fn beacons_from_pages_off_the_site_are_dropped_and_counted(backend: Backend) {
    // The site lists `shop.test`: its subdomains and loopback pages (a developer's machine)
    // are its own, and so is a request without `Origin` (not a browser's cross-origin POST).
    let app = spawn_app_with(backend, |_| {}).await;
    let b = Browsing::new();
    let origins = [
        (Some("https://evil.example"), "dropped"),
        (Some("https://shop.test.evil.example"), "dropped"),
        (Some("null"), "dropped"),
        (Some("https://www.shop.test"), "accepted"),
        (Some("http://localhost:8080"), "accepted"),
        (Some("http://127.0.0.1:9"), "accepted"),
        (Some("http://[::1]:9"), "accepted"),
        (None, "accepted"),
    ];
    for (origin, expected) in origins {
        let headers: Vec<(&str, &str)> = origin.iter().map(|o| ("origin", *o)).collect();
        let url = format!("https://shop.test/from/{}", origin.unwrap_or("none"));
        let (status, body) = b.visit(&app, &url, None, &headers).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (202, Some(expected)),
            "{origin:?}"
        );
        if expected == "dropped" {
            assert_eq!(body["reason"], "foreign_origin", "{origin:?}");
        }
    }
    let (_, body) = b.click(&app, &[("origin", "https://evil.example")]).await;
    assert_eq!(body["reason"], "foreign_origin", "{body}");

    app.assert_written(5).await;
    let health = app.health().await;
    assert_eq!(health["dropped"]["foreign_origin"], 4, "{health}");
    let pages: Vec<String> = app
        .db
        .fetch_all::<(String,)>("SELECT url FROM pageviews ORDER BY url", vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|(u,)| u)
        .collect();
    assert!(
        pages
            .iter()
            .all(|u| !u.contains("evil") && !u.contains("null")),
        "{pages:?}"
    );
}

#[test]
fn both_fixture_layouts_read_back_directly() {
    let dir = tempfile::tempdir().unwrap();
    let geo = GeoIp::open(&geoip::write_all(dir.path())).unwrap();
    for place in [LONDON, LINKOPING, MOSCOW, MONTREAL] {
        let r = geo.lookup(place.ip.parse().unwrap());
        assert_eq!(
            (r.country.as_deref(), r.region.as_deref(), r.city.as_deref()),
            (Some(place.country), Some(place.region), Some(place.city)),
            "{}",
            place.ip
        );
    }
    // IPv4-mapped IPv6 reads as IPv4.
    let mapped = geo.lookup(format!("::ffff:{}", LONDON.ip).parse().unwrap());
    assert_eq!(mapped.city.as_deref(), Some(LONDON.city));
    let country_only = geo.lookup(COUNTRY_ONLY.0.parse().unwrap());
    assert_eq!(country_only.country.as_deref(), Some(COUNTRY_ONLY.1));
    assert_eq!((country_only.region, country_only.city), (None, None));
    assert!(geo.lookup("8.8.4.4".parse().unwrap()).is_unknown());
    assert!(geo.lookup("2a00:1450::1".parse().unwrap()).is_unknown());
    // Not a database at all: start-up fails naming the file.
    let bogus = dir.path().join("bogus.mmdb");
    std::fs::write(&bogus, b"not a database").unwrap();
    let err = GeoIp::open(&[&bogus]).unwrap_err();
    assert!(format!("{err:#}").contains("bogus.mmdb"));
}
