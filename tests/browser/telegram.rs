//! A Telegram bot link clicked in real Chromium: the chat that arrives by the bot's webhook
//! finds its session and its page of contact, whether it carries the code (`/start <code>`)
//! or lost it (a probable match).

use anyhow::{bail, Context};
use chatrail_core::code::find_codes;
use chatrail_tests::app::{spawn_app, Backend, TestApp, TELEGRAM_BOT};
use chatrail_tests::browser::Browser;
use chatrail_tests::inbound::fixture;
use chatrail_tests::pages;
use fantoccini::Locator;
use serde_json::Value;

use super::now_s;

fn bot_page(collector: &str) -> String {
    format!(
        r#"<!doctype html><html><head><title>Oak tables</title></head><body>
<a id="bot" href="https://t.me/{TELEGRAM_BOT}">Ask us on Telegram</a>
<script async src="{collector}/t.js" data-site="shop"></script>
</body></html>"#
    )
}

/// Opens `url`, waits for the bot link to carry a code and clicks it: where Telegram opens.
async fn click_bot(browser: &Browser, url: &str) -> anyhow::Result<String> {
    browser.client.goto(url).await?;
    browser
        .client
        .wait()
        .for_element(Locator::Id("bot"))
        .await?;
    for _ in 0..100 {
        let href = browser
            .client
            .find(Locator::Id("bot"))
            .await?
            .attr("href")
            .await?
            .context("href")?;
        if href.contains("?start=") {
            return browser.click_and_capture_navigation("#bot").await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bail!("the bot link was not tagged")
}

/// Posts a Telegram update from the fixture `name`, sent now by user `user` as update
/// `update`, with `text`; the card of its dialog.
async fn telegram_card(app: &TestApp, user: u64, update: u64, text: &str) -> anyhow::Result<Value> {
    let mut body: Value = serde_json::from_str(&fixture("telegram/text.json"))?;
    body["update_id"] = update.into();
    body["message"]["date"] = now_s().into();
    body["message"]["from"]["id"] = user.into();
    body["message"]["chat"]["id"] = user.into();
    body["message"]["text"] = text.into();
    let report: Value = app.post_telegram(&body.to_string()).await.json().await?;
    let id = report["dialogs"][0].as_str().context("a dialog")?;
    Ok(app.card(id).await)
}

async fn journey(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    let port = pages::serve(vec![("/oak".into(), bot_page(&app.base))]).await?;
    // Two visitors: each origin has its own storage, so each is a session of its own.
    let opened = click_bot(
        browser,
        &format!("http://localhost:{port}/oak?utm_source=telegram-ads&utm_campaign=oak"),
    )
    .await?;
    let codes = find_codes(&opened);
    assert!(
        opened.starts_with(&format!("https://t.me/{TELEGRAM_BOT}?start=")) && codes.len() == 1,
        "{opened}"
    );
    app.wait_written(2).await;
    let exact = telegram_card(app, 5123456789, 1, &format!("/start {}", codes[0])).await?;
    assert_eq!(exact["match"]["kind"], "exact", "{exact:#}");
    assert_eq!(exact["business_number"], format!("@{TELEGRAM_BOT}"));
    assert_eq!(exact["session"]["utm_campaign"], "oak");
    let page = exact["page_of_contact"].as_str().unwrap_or_default();
    assert!(
        page.starts_with(&format!("http://localhost:{port}/oak")),
        "{exact:#}"
    );

    click_bot(
        browser,
        &format!("http://127.0.0.1:{port}/oak?utm_source=telegram-ads&utm_campaign=pine"),
    )
    .await?;
    app.wait_written(4).await;
    // The second visitor's code was lost on the way: a plain message.
    let probable = telegram_card(app, 6234567890, 2, "Hi, do you deliver?").await?;
    assert_eq!(probable["match"]["kind"], "probable", "{probable:#}");
    assert_eq!(probable["session"]["utm_campaign"], "pine");
    let page = probable["page_of_contact"].as_str().unwrap_or_default();
    assert!(
        page.starts_with(&format!("http://127.0.0.1:{port}/oak")),
        "{probable:#}"
    );
    Ok(())
}

pub async fn a_telegram_chat_gets_its_page_of_contact_exact_or_probable(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::start().await.expect("chromium starts");
    let result = journey(&app, &browser).await;
    browser.close().await.expect("browser closes");
    result.expect("journey");
}
