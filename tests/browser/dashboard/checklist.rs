//! A fresh site's getting-started checklist: every step unchecked at first; after a visit
//! beacon the script step is done with the time of the visit, the others not; after a
//! webhook message (the first dialog) the checklist gives way to the dialogs list. Looked
//! at 390 and 1366 px wide, without sideways scrolling.

use anyhow::ensure;
use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_token, spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::browser::Browser;
use chatrail_tests::inbound::Browsing;
use serde_json::{json, Value};

use super::{api, find, in_browser, js, screenshot, settled, sign_in, viewport, wait_for};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
    (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

/// `(done, text)` of each step, in order.
async fn steps(browser: &Browser) -> anyhow::Result<Vec<(String, String)>> {
    let v = js(
        browser,
        "[...document.querySelectorAll('#getting-started .step')]\
         .map(s => [s.id + ':' + s.dataset.done, s.innerText])",
    )
    .await?;
    Ok(serde_json::from_value(v)?)
}

async fn reload(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/dashboard/#/dialogs", app.base))
        .await?;
    browser.client.refresh().await?;
    settled(browser).await
}

async fn no_sideways_scroll(browser: &Browser) -> anyhow::Result<()> {
    let wide = js(
        browser,
        "document.documentElement.scrollWidth > document.documentElement.clientWidth",
    )
    .await?;
    ensure!(wide == Value::Bool(false), "the page scrolls sideways");
    Ok(())
}

async fn checklist(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    sign_in(app, browser, &admin).await?;
    // Nothing seen: every step open, and what to do for each.
    let open = steps(browser).await?;
    let ids: Vec<&str> = open.iter().map(|s| s.0.as_str()).collect();
    ensure!(
        ids == [
            "step-script:false",
            "step-click:false",
            "step-webhook:false",
            "step-dialog:false"
        ],
        "{open:?}"
    );
    ensure!(open[0].1.contains("Not yet"), "{open:?}");
    ensure!(open[2].1.contains("set up, no message yet"), "{open:?}");
    screenshot(browser, "checklist-fresh").await?;

    // A visit beacon, over HTTP as the snippet sends it: the script step is done, with when.
    let b = Browsing::random();
    let visit = json!({"site": "shop", "visitor": b.visitor, "session": b.session,
        "code": b.code, "url": "https://shop.test/"});
    let sent = app
        .beacon_from("visit", &visit, CHROME, "203.0.113.9")
        .await;
    ensure!(sent.status() == 202, "visit beacon: {}", sent.status());
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = api(app, &admin, "/site/first-steps").await?;
        if seen["visit_at"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    ensure!(
        seen["visit_at"].is_string(),
        "the visit was not stored: {seen}"
    );
    reload(app, browser).await?;
    let done = steps(browser).await?;
    ensure!(done[0].0 == "step-script:true", "{done:?}");
    ensure!(done[1].0 == "step-click:false" && done[2].0 == "step-webhook:false");
    // The time as the page writes dates, in the site's zone.
    let shown = js(
        browser,
        &format!(
            "new Intl.DateTimeFormat('en', {{timeZone: 'UTC', dateStyle: 'medium', \
             timeStyle: 'short'}}).format(new Date({:?}))",
            seen["visit_at"].as_str().unwrap()
        ),
    )
    .await?;
    let shown = shown.as_str().unwrap_or_default();
    ensure!(
        done[0].1.contains(&format!("Last visit: {shown}")),
        "{shown} missing from {done:?}"
    );
    no_sideways_scroll(browser).await?;
    screenshot(browser, "checklist-visit").await?;
    viewport(browser, 390).await?;
    reload(app, browser).await?;
    find(browser, "#step-script.done").await?;
    no_sideways_scroll(browser).await?;
    screenshot(browser, "checklist-visit-phone").await?;

    // The first message by webhook starts the first dialog: the list replaces the checklist.
    let now = chrono::Utc::now().timestamp();
    let text = format!("Hello! Is it in stock? (ref {})", b.code);
    let body = whatsapp_text("wamid.checklist-1", "447700900555", "Ann", &text, now);
    ensure!(app.post_whatsapp(&body).await.status() == 200);
    reload(app, browser).await?;
    wait_for(browser, "!!document.getElementById('dialogs')").await?;
    ensure!(
        js(browser, "!document.getElementById('getting-started')").await? == Value::Bool(true),
        "the checklist stays after the first dialog"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_site_checks_off_its_first_steps() {
    let app = spawn_app(Backend::Sqlite).await;
    let (result, errors) = in_browser(async |browser| checklist(&app, browser).await).await;
    result.expect("the checklist");
    assert_eq!(errors, Vec::<String>::new());
}
