//! End to end in real headless Chromium: a visitor lands from an ad on a page carrying the
//! script tag, clicks a tracked WhatsApp link, and the chat that arrives by webhook gets a
//! source card with where the visitor came from.

mod ad_platforms;
mod bench;
mod dashboard;
mod demo;
mod entry_points;
mod first_click;
mod telegram;

use std::time::Duration;

use anyhow::Context;
use chatrail_core::code::find_codes;
use chatrail_tests::app::{spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::browser::Browser;
use chatrail_tests::{on_both_backends, pages};
use fantoccini::Locator;
use serde_json::Value;

use telegram::a_telegram_chat_gets_its_page_of_contact_exact_or_probable;

on_both_backends!(
    a_click_on_the_site_becomes_a_source_card,
    a_telegram_chat_gets_its_page_of_contact_exact_or_probable,
);

const SALES_HREF: &str = "https://wa.me/79001234567?text=Is%20the%20oak%20table%20in%20stock%3F";
const API_HREF: &str = "https://api.whatsapp.com/send?phone=%2B7%20900%20123-45-67";
const SUPPORT_HREF: &str = "https://wa.me/447700900999?text=Help";

fn landing_page(collector: &str) -> String {
    format!(
        r#"<!doctype html><html><head><title>Oak tables</title></head><body>
<h1>Oak tables</h1>
<a id="sales" href="{SALES_HREF}">Ask sales</a>
<a id="api" href="{API_HREF}">Ask sales (api link)</a>
<a id="support" href="{SUPPORT_HREF}">Support</a>
<script async src="{collector}/t.js" data-site="shop"></script>
</body></html>"#
    )
}

fn referrer_page(landing: &str) -> String {
    format!(
        r#"<!doctype html><html><body><a id="ad" href="{landing}">Oak tables, 20% off</a></body></html>"#
    )
}

async fn href(browser: &Browser, id: &str) -> anyhow::Result<String> {
    let link = browser.client.find(Locator::Id(id)).await?;
    link.attr("href").await?.context("link without href")
}

/// Waits until the snippet has rewritten `#id` (its href carries a session code).
async fn rewritten_href(browser: &Browser, id: &str) -> anyhow::Result<String> {
    for _ in 0..100 {
        let h = href(browser, id).await?;
        if h.contains("ref%20") {
            return Ok(h);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("#{id} was not rewritten: {}", href(browser, id).await?)
}

fn text_param(url: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "text")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn card_for(app: &TestApp, body: &str) -> Value {
    let report: Value = app.post_whatsapp(body).await.json().await.unwrap();
    assert_eq!(report["stored"], 1, "{report}");
    let id = report["dialogs"][0].as_str().unwrap();
    app.api_get(&format!("/api/v1/dialogs/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

async fn a_click_on_the_site_becomes_a_source_card(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start().await.expect("chromium starts");
    let result = journey(&app, &browser).await;
    let errors = browser.console_errors().await;
    browser.close().await.expect("browser closes");
    result.expect("journey");
    assert_eq!(errors.expect("console log readable"), Vec::<String>::new());
}

async fn journey(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    let mut landing_html = String::new();
    landing_html.push_str(&landing_page(&app.base));
    let port = pages::serve(vec![
        ("/oak".into(), landing_html),
        ("/from".into(), String::new()),
    ])
    .await?;
    let landing = format!(
        "http://localhost:{port}/oak?utm_source=google&utm_medium=cpc&utm_campaign=oak-autumn"
    );
    // The ad page lives on another origin, so the landing page gets it as its referrer.
    let port_ad = pages::serve(vec![("/ad".into(), referrer_page(&landing))]).await?;
    let client = &browser.client;
    client
        .goto(&format!("http://127.0.0.1:{port_ad}/ad"))
        .await?;
    client.find(Locator::Id("ad")).await?.click().await?;
    client.wait().for_element(Locator::Id("sales")).await?;

    let sales = rewritten_href(browser, "sales").await?;
    let api = rewritten_href(browser, "api").await?;
    assert!(
        api.starts_with("https://api.whatsapp.com/send?phone=79001234567&text="),
        "{api}"
    );
    assert_eq!(
        href(browser, "support").await?,
        SUPPORT_HREF,
        "untracked number left alone"
    );

    let sent_to = browser.click_and_capture_navigation("#sales").await?;
    assert_eq!(sent_to, sales);
    let text = text_param(&sent_to);
    assert!(
        text.starts_with("Is the oak table in stock? (ref "),
        "{text}"
    );
    let codes = find_codes(&text);
    assert_eq!(codes.len(), 1, "{text}");
    app.wait_written(2).await; // the visit and the click

    // A forged webhook carrying the same text is refused and stores nothing.
    let body = whatsapp_text("wamid.e2e-1", "447911123456", "Tom Reid", &text, now_s());
    assert_eq!(
        app.post_whatsapp_signed(&body, "forged").await.status(),
        401
    );
    let list: Value = app.api_get("/api/v1/dialogs").await.json().await?;
    assert_eq!(list["dialogs"].as_array().map(Vec::len), Some(0));

    let card = card_for(app, &body).await;
    assert_eq!(card["kind"], "new");
    assert_eq!(card["match"]["kind"], "exact");
    assert_eq!(card["match"]["code"], codes[0].as_str());
    let s = &card["session"];
    assert_eq!(s["utm_source"], "google");
    assert_eq!(s["utm_medium"], "cpc");
    assert_eq!(s["utm_campaign"], "oak-autumn");
    assert_eq!(s["landing_page"], landing);
    assert_eq!(s["referring_domain"], "127.0.0.1");
    assert_eq!(s["channel"], "Paid Search");
    assert_eq!(s["source"], "google");
    assert_eq!(s["os"], "Linux");
    assert!(s["screen_w"].as_i64().unwrap_or(0) > 0, "{s}");
    assert!(s["screen_h"].as_i64().unwrap_or(0) > 0, "{s}");
    assert!(s["language"].as_str().is_some_and(|l| !l.is_empty()), "{s}");
    assert_eq!(card["page_of_contact"], landing);
    assert_eq!(card["contact"]["name"], "Tom Reid");

    // The same person comes back in a new session: a new code, a repeat dialog.
    client.back().await?;
    client
        .execute(
            "localStorage.removeItem('chatrail:s'); location.reload();",
            vec![],
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    client.wait().for_element(Locator::Id("sales")).await?;
    let second = rewritten_href(browser, "sales").await?;
    let second_text = text_param(&browser.click_and_capture_navigation("#sales").await?);
    assert_ne!(
        find_codes(&second_text),
        codes,
        "a new session has a new code: {second}"
    );
    app.wait_written(4).await;
    let body = whatsapp_text(
        "wamid.e2e-2",
        "447911123456",
        "Tom Reid",
        &second_text,
        now_s() + 60,
    );
    let card = card_for(app, &body).await;
    assert_eq!(card["kind"], "repeat");
    assert_eq!(card["match"]["kind"], "exact");
    assert_eq!(card["history"].as_array().map(Vec::len), Some(1));
    Ok(())
}

pub(crate) fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
