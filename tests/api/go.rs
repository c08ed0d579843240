//! Links off the site: `/go/<site>/<number>` opens a session server-side and redirects to the
//! chat with its code; the chat that arrives with that code gets the link's campaign.

use chatrail_collector::domain::site::{NewSite, SiteInput};
use chatrail_core::code::find_codes;
use chatrail_tests::app::{spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::on_both_backends;
use serde_json::Value;

on_both_backends!(
    a_go_link_redirects_with_a_code_and_records_its_campaign,
    a_go_link_passes_on_a_bounded_text_with_its_code,
);

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn go(app: &TestApp, path_and_query: &str, user_agent: &str) -> reqwest::Response {
    no_redirects()
        .get(format!("{}{path_and_query}", app.base))
        .header("user-agent", user_agent)
        .header("referer", "https://linktr.ee/oak")
        .send()
        .await
        .unwrap()
}

const BROWSER: &str = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) \
                       Chrome/130.0 Mobile Safari/537.36";

async fn a_go_link_redirects_with_a_code_and_records_its_campaign(backend: Backend) {
    let app = spawn_app(backend).await;
    let resp = go(
        &app,
        "/go/shop/+79001234567?utm_source=qr&utm_medium=print&utm_campaign=poster&text=Price%2Bsize%3F",
        BROWSER,
    )
    .await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let text = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "text")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(
        location.starts_with("https://wa.me/79001234567?text=Price%2Bsize%3F%20(ref%20"),
        "{location}"
    );
    let codes = find_codes(&text);
    assert_eq!(codes.len(), 1, "{text}");
    app.assert_written(2).await; // the visit and the click

    let body = whatsapp_text("wamid.go-1", "447911123456", "Ana", &text, 1_763_805_600);
    let report: Value = app.post_whatsapp(&body).await.json().await.unwrap();
    let id = report["dialogs"][0].as_str().unwrap();
    let card: Value = app
        .api_get(&format!("/api/v1/dialogs/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(card["match"]["kind"], "exact", "{card}");
    let s = &card["session"];
    assert_eq!(s["utm_source"], "qr");
    assert_eq!(s["utm_campaign"], "poster");
    assert_eq!(s["referring_domain"], "linktr.ee");
    assert_eq!(s["os"], "Android");
    assert!(
        s["landing_page"].as_str().unwrap().contains("/go/shop/"),
        "{s}"
    );
    assert!(
        card["page_of_contact"]
            .as_str()
            .unwrap()
            .contains("/go/shop/"),
        "{card}"
    );

    // Link previews and crawlers are sent on without a session.
    let bot = go(
        &app,
        "/go/shop/79001234567",
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
    )
    .await;
    assert_eq!(bot.status(), 302);
    for (path, status) in [
        ("/go/shop/15551234567", 404),
        ("/go/nope/79001234567", 404),
        ("/go/shop/@shop_bot", 404),
    ] {
        assert_eq!(go(&app, path, BROWSER).await.status(), status, "{path}");
    }
    assert_eq!(
        app.ingest_counter("accepted").await,
        2,
        "nothing more was recorded"
    );

    // A Telegram bot of the site gets the code as its start payload.
    let site = NewSite::parse(SiteInput {
        key: "studio".into(),
        bots: vec!["@Studio_Bot".into()],
        ..SiteInput::default()
    })
    .unwrap();
    app.store.create_site(&site).await.unwrap();
    let tg = go(&app, "/go/studio/@studio_bot?utm_source=bio", BROWSER).await;
    assert_eq!(tg.status(), 302);
    let location = tg.headers()["location"].to_str().unwrap();
    let payload = location
        .strip_prefix("https://t.me/studio_bot?start=")
        .unwrap();
    assert_eq!(find_codes(payload).len(), 1, "{location}");
    app.assert_written(4).await;
}

/// A `/go` link is not a relay for arbitrary payloads: its text is cut to 1,000 characters
/// (Cyrillic here, 2 bytes each, 6 once percent-encoded), and the code still follows it.
async fn a_go_link_passes_on_a_bounded_text_with_its_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let long: String = "ж".repeat(3_000);
    let query: String = url::form_urlencoded::byte_serialize(long.as_bytes()).collect();
    let resp = go(
        &app,
        &format!("/go/shop/+79001234567?text={query}"),
        BROWSER,
    )
    .await;
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap();
    let text = url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "text")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(text.chars().filter(|c| *c == 'ж').count(), 1000);
    assert!(location.len() < 7_000, "{} bytes", location.len());
    assert_eq!(find_codes(&text).len(), 1, "the code survives the cut");
}
