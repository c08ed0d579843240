//! A fresh install: the empty dialogs list says what to do first (the script tag, the
//! numbers, the webhook), with links to the settings for an admin and a word to ask one for
//! anyone else; an empty filtered list says so instead. Every page has its icon.

use anyhow::ensure;
use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_token, spawn_app, Backend, TestApp};
use chatrail_tests::browser::Browser;
use serde_json::Value;

use super::{find, in_browser, js, screenshot, settled, sign_in, wait_for};

async fn fresh_site(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    // An admin: the steps, each with its way to the settings.
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    sign_in(app, browser, &admin).await?;
    let guide = find(browser, "#getting-started").await?.text().await?;
    for words in ["No dialogs yet", "script tag", "webhook", "Settings"] {
        ensure!(guide.contains(words), "{words:?} missing from: {guide}");
    }
    let links = js(
        browser,
        "document.querySelectorAll('#getting-started a[href=\"#/settings\"]').length",
    )
    .await?;
    ensure!(links.as_u64() >= Some(3), "{links} links to the settings");
    ensure!(
        js(browser, "!document.getElementById('dialogs')").await? == Value::Bool(true),
        "an empty table beside the guide"
    );
    screenshot(browser, "first-run").await?;
    find(browser, "#getting-started a[href=\"#/settings\"]")
        .await?
        .click()
        .await?;
    wait_for(browser, "location.hash === '#/settings'").await?;
    settled(browser).await?;
    find(browser, "#script-tag").await?;

    // Filters that match nothing: no guide, a way back to the whole list.
    browser
        .client
        .goto(&format!("{}/dashboard/#/dialogs?match=exact", app.base))
        .await?;
    settled(browser).await?;
    let none = find(browser, "#no-match").await?.text().await?;
    ensure!(none.contains("No dialogs match"), "{none}");
    ensure!(js(browser, "!document.getElementById('getting-started')").await? == Value::Bool(true));

    // An operator cannot open the settings: the same steps, and who to ask.
    sign_in(app, browser, &app.token).await?;
    let guide = find(browser, "#getting-started").await?.text().await?;
    ensure!(guide.contains("ask"), "{guide}");
    let links = js(
        browser,
        "document.querySelectorAll('#getting-started a').length",
    )
    .await?;
    ensure!(
        links == 0,
        "an operator gets links to settings they cannot open"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_site_says_what_to_do_first() {
    let app = spawn_app(Backend::Sqlite).await;
    let (result, errors) = in_browser(async |browser| fresh_site(&app, browser).await).await;
    result.expect("a fresh site");
    assert_eq!(errors, Vec::<String>::new());
}

#[tokio::test]
async fn every_page_has_its_icon() {
    let app = spawn_app(Backend::Sqlite).await;
    // Browsers ask for /favicon.ico whatever the page says.
    let ico = app
        .http
        .get(format!("{}/favicon.ico", app.base))
        .send()
        .await
        .expect("favicon.ico");
    assert_eq!(ico.status(), 200);
    assert_eq!(ico.headers()["content-type"], "image/x-icon");
    let bytes = ico.bytes().await.expect("body");
    assert!(bytes.starts_with(&[0, 0, 1, 0]), "not an ICO file");
    // The dashboard names its own.
    let page = app
        .http
        .get(format!("{}/dashboard/", app.base))
        .send()
        .await
        .expect("dashboard")
        .text()
        .await
        .expect("page");
    let href = page
        .split("<link rel=\"icon\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link rel=icon");
    let svg = app
        .http
        .get(format!("{}{href}", app.base))
        .send()
        .await
        .expect("the icon");
    assert_eq!(svg.status(), 200, "{href}");
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
}
