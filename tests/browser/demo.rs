//! The quick start's demo: click a tracked link on /demo, send the filled-in message, and
//! land on a source card matched by its code — the card itself, readable on a phone, not a
//! dump of its JSON — and from there, signed in, on the same card in the dashboard. axe-core
//! finds no serious or critical violation on the demo's pages at 1366 and 390 px.

use chatrail_collector::config::Settings;
use chatrail_collector::domain::token::Role;
use chatrail_collector::routes::demo;
use chatrail_collector::startup::Application;
use chatrail_tests::app::create_token;
use chatrail_tests::browser::Browser;
use fantoccini::Locator;
use serde_json::Value;

use crate::dashboard::accessibility::{axe_source, serious_violations};
use crate::dashboard::viewport;

/// Runs `script` (a JS expression) in the page.
async fn run(c: &fantoccini::Client, script: &str) -> Result<Value, fantoccini::error::CmdError> {
    c.execute(&format!("return ({script});"), vec![]).await
}

/// axe's serious and critical violations on the page at 390 and 1366 px; the page is left
/// `then` px wide (one of the two).
async fn axe_at_both_widths(
    browser: &Browser,
    axe: &str,
    page: &str,
    then: u32,
) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    let other = if then == 390 { 1366 } else { 390 };
    for width in [other, then] {
        viewport(browser, width).await?;
        found.extend(serious_violations(browser, axe, &format!("{page} at {width} px")).await?);
    }
    Ok(found)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_a_matched_source_card() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings =
        Settings::for_database(format!("sqlite://{}", dir.path().join("demo.db").display()));
    settings.demo = true;
    let app = Application::build(settings).await.unwrap();
    let site = demo::ensure_site(app.store().as_ref()).await.unwrap();
    let token = create_token(&app.store(), &site, Role::Operator).await;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    let axe = axe_source();
    let browser = Browser::start().await.unwrap();
    let mut found = Vec::new();
    let result = async {
        let c = &browser.client;
        c.goto(&format!("{base}/demo")).await?;
        found.extend(axe_at_both_widths(&browser, &axe, "/demo", 1366).await?);
        // Wait for the snippet to tag the link, then click it: the demo fills the message.
        let link = c.find(Locator::Css("a.wa")).await?;
        for _ in 0..100 {
            if link
                .attr("href")
                .await?
                .unwrap_or_default()
                .contains("ref%20")
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        link.click().await?;
        let text = c
            .find(Locator::Css("textarea[name=text]"))
            .await?
            .prop("value")
            .await?;
        let text = text.unwrap_or_default();
        anyhow::ensure!(text.contains("(ref "), "message not filled: {text:?}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await; // let the beacons land
        c.find(Locator::Css("form button")).await?.click().await?;
        for _ in 0..100 {
            if c.current_url().await?.path().starts_with("/demo/dialogs/") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let page = c.find(Locator::Css("body")).await?.text().await?;
        let matched = c.find(Locator::Css("#match-kind")).await?.text().await?;
        anyhow::ensure!(matched == "exact", "card not matched exactly: {page}");
        let title = c.find(Locator::Css("#card h1")).await?.text().await?;
        anyhow::ensure!(title.contains("Ana Souza"), "{page}");
        // The card's sections, not the API's JSON as nested tables.
        for section in ["#contact", "#dialog", "#session", "#device"] {
            c.find(Locator::Css(section)).await?;
        }
        let session = c.find(Locator::Css("#session")).await?.text().await?;
        anyhow::ensure!(session.contains("/demo"), "landing page missing: {session}");
        anyhow::ensure!(
            run(c, "document.querySelectorAll('table').length").await? == 0,
            "a JSON dump: {page}"
        );
        anyhow::ensure!(
            !page.contains("dialog_id") && !page.contains("business_number"),
            "field names of the JSON on the page: {page}"
        );
        // Its icon is there, and the card fits a phone.
        let icon = run(
            c,
            "fetch(document.querySelector('link[rel=icon]').href).then((r) => r.status)",
        )
        .await?;
        anyhow::ensure!(icon == 200, "the icon answers {icon}");
        found.extend(axe_at_both_widths(&browser, &axe, "the demo's card", 390).await?);
        let fits = run(
            c,
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth",
        )
        .await?;
        anyhow::ensure!(
            fits == Value::Bool(true),
            "the card scrolls sideways at 390 px"
        );
        // On to the dashboard: signed in there, the same card.
        let id = c
            .current_url()
            .await?
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        c.find(Locator::Css("#open-dashboard"))
            .await?
            .click()
            .await?;
        let input = c
            .wait()
            .for_element(Locator::Css("#signin input[name=token]"))
            .await?;
        input.send_keys(&token).await?;
        c.find(Locator::Css("#signin button[type=submit]"))
            .await?
            .click()
            .await?;
        c.wait().for_element(Locator::Css("#card #dialog")).await?;
        anyhow::ensure!(
            c.current_url().await?.fragment() == Some(format!("/dialogs/{id}").as_str()),
            "the dashboard left the card"
        );
        let title = c.find(Locator::Css("#card h1")).await?.text().await?;
        anyhow::ensure!(title.contains("Ana Souza"), "{title}");
        // The demo's other pages fit the phone too.
        for path in ["/demo", "/demo/dialogs"] {
            c.goto(&format!("{base}{path}")).await?;
            let fits = run(
                c,
                "document.documentElement.scrollWidth <= document.documentElement.clientWidth",
            )
            .await?;
            anyhow::ensure!(
                fits == Value::Bool(true),
                "{path} scrolls sideways at 390 px"
            );
            found.extend(axe_at_both_widths(&browser, &axe, path, 390).await?);
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    let errors = browser.console_errors().await;
    browser.close().await.unwrap();
    result.unwrap();
    assert!(
        found.is_empty(),
        "axe found {} serious or critical violations:\n{}",
        found.len(),
        found.join("\n")
    );
    assert_eq!(errors.unwrap(), Vec::<String>::new());
}
