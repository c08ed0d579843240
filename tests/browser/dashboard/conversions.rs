//! Conversions in the settings, as an admin sets them up: an API error shown beside the form;
//! a webhook destination added, its made-up signing secret shown once; a test event that the
//! delivery log shows sent with 200; with the endpoint down (503) a delivery shown retrying,
//! then sent by the retry button once the endpoint is back; a Meta destination whose access
//! token is never on the page, and its test event dropped with the reason (cut, whole when
//! opened); removal after a confirmation; a destination paused (a test event held, the
//! "paused" state shown), resumed (the held event sent), then edited (a refusal shown in the
//! edit form, a rename saved); the focus kept where a redraw removed its button;
//! the section on a phone (390 px, no sideways scrolling, 44 px targets), in English and in
//! Russian (no English left). Screenshots: `conversions`, `conversions-paused` and
//! `conversions-edit` (1366 px), `phone-conversions` and
//! `phone-ru-conversions` (390 px; the first two kept in the repository).

use std::time::Duration;

use anyhow::{ensure, Context};
use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_token, spawn_app_with, whatsapp_text, Backend, TestApp};
use chatrail_tests::browser::Browser;
use chatrail_tests::fake_endpoint::FakeEndpoint;
use serde_json::Value;

use super::language::{english_left, untranslated};
use super::layout::{OVERFLOW, SMALL_TARGETS};
use super::{
    api, find, in_browser, js, now_s, screenshot, section_screenshot, settled, sign_in, viewport,
    wait_for,
};

/// What the admin types as the Meta access token: it must never come back.
const META_TOKEN: &str = "EAABmeta-access-token-of-the-test";

const WEBHOOK: &str = "#destinations .destination[data-kind=webhook]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_sets_up_conversions_and_reads_the_delivery_log() {
    // The sender looks for due deliveries every 50 ms. A refused delivery waits a minute
    // before its automatic retry, so what sends it in the test is the retry button.
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.conversions_poll_ms = 50;
        s.conversions_retry_ms = 60_000;
    })
    .await;
    // A dialog for the test events to be about.
    let body = whatsapp_text("wamid.conv-1", "447911123456", "Tom Reid", "Hello", now_s());
    assert_eq!(app.post_whatsapp(&body).await.status(), 200);
    let crm = FakeEndpoint::start();
    let admin = create_token(&app.store, &app.site, Role::Admin).await;

    let (result, errors) = in_browser(async |browser| {
        sign_in(&app, browser, &admin).await?;
        open_settings(&app, browser).await?;
        webhook(&app, browser, &admin, &crm)
            .await
            .context("webhook")?;
        meta(&app, browser, &admin, &crm).await.context("meta")?;
        pause_and_edit(&app, browser, &admin, &crm)
            .await
            .context("pause and edit")?;
        phone(&app, browser).await.context("phone")
    })
    .await;
    result.expect("conversions in the settings");
    // The one refusal provoked on purpose: an endpoint holding credentials (400).
    let unexpected: Vec<String> = errors
        .into_iter()
        .filter(|e| !(e.contains("/api/v1/conversions/destinations") && e.contains("400")))
        .collect();
    assert_eq!(unexpected, Vec::<String>::new());
}

async fn open_settings(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/dashboard/#/settings", app.base))
        .await?;
    // A page drawn anew (going to the same address only changes nothing).
    browser.client.refresh().await?;
    settled(browser).await?;
    find(browser, "#conversions").await?;
    Ok(())
}

/// Types `text` into the new-destination form's field `name`.
async fn fill(browser: &Browser, name: &str, text: &str) -> anyhow::Result<()> {
    let input = find(
        browser,
        &format!("#new-destination fieldset:not([disabled]) [name={name}], #new-destination > label [name={name}], #new-destination details [name={name}]"),
    )
    .await?;
    input.clear().await?;
    input.send_keys(text).await?;
    Ok(())
}

async fn submit(browser: &Browser) -> anyhow::Result<()> {
    click(browser, "#new-destination button[type=submit]").await
}

async fn click(browser: &Browser, css: &str) -> anyhow::Result<()> {
    find(browser, css).await?.click().await?;
    Ok(())
}

/// The delivery log's rows of the webhook destination in state `state` with HTTP `status`.
fn rows(state: &str, status: u16) -> String {
    format!(
        "[...document.querySelectorAll('{WEBHOOK} table.deliveries tbody tr[data-state={state}]')]\
         .filter((r) => r.children[4].textContent === '{status}').length"
    )
}

async fn webhook(
    app: &TestApp,
    browser: &Browser,
    admin: &str,
    crm: &FakeEndpoint,
) -> anyhow::Result<()> {
    let empty = find(browser, "#destinations").await?.text().await?;
    ensure!(empty.contains("No destinations yet"), "{empty}");

    // The API's refusal, beside the form, in its words.
    fill(browser, "name", "CRM").await?;
    fill(browser, "endpoint", "http://user:pass@127.0.0.1/hooks").await?;
    submit(browser).await?;
    let error = find(browser, "#new-destination .message .error")
        .await?
        .text()
        .await?;
    ensure!(error.contains("credentials"), "{error}");

    // Added: the secret made up is shown once, with its copy button.
    fill(browser, "endpoint", &format!("{}/hooks/chatrail", crm.base)).await?;
    submit(browser).await?;
    let secret = find(browser, "#new-destination-secret")
        .await?
        .text()
        .await?;
    let secret = secret.trim().to_owned();
    ensure!(secret.starts_with("whsec_"), "{secret}");
    let notice = find(browser, "#destination-notice").await?.text().await?;
    ensure!(notice.contains("shown only once"), "{notice}");
    find(browser, "#destination-notice .copy button").await?;
    wait_for(browser, &format!("!!document.querySelector('{WEBHOOK}')")).await?;
    let listed = api(app, admin, "/conversions/destinations").await?;
    ensure!(listed.as_array().map(Vec::len) == Some(1), "{listed}");
    ensure!(listed[0]["name"] == "CRM", "{listed}");
    ensure!(
        !listed.to_string().contains(&secret[6..]),
        "never shown back"
    );
    let shown = find(browser, WEBHOOK).await?.text().await?;
    ensure!(
        shown.contains(&crm.base) && shown.contains("dialog.started"),
        "{shown}"
    );

    // A test event: queued, then in the log as sent with 200.
    click(browser, &format!("{WEBHOOK} .send-test")).await?;
    let queued = find(browser, &format!("{WEBHOOK} .log-message .ok"))
        .await?
        .text()
        .await?;
    ensure!(queued.contains("queued"), "{queued}");
    wait_for(browser, &format!("{} === 1", rows("sent", 200))).await?;
    let got = crm.wait_accepted(1, Duration::from_secs(10)).await;
    ensure!(got.len() == 1 && got[0].json()["type"] == "test", "{got:?}");
    let event = js(
        browser,
        &format!("document.querySelector('{WEBHOOK} tbody tr[data-state=sent] td:nth-child(2)').textContent"),
    )
    .await?;
    ensure!(event == "test event", "{event}");
    wait_for(
        browser,
        &format!("document.querySelector('{WEBHOOK} .counts [data-state=sent]')?.textContent === 'sent: 1'"),
    )
    .await?;
    // A sent delivery has no retry button.
    ensure!(
        js(
            browser,
            &format!("!document.querySelector('{WEBHOOK} button.retry')")
        )
        .await?
            == Value::Bool(true)
    );

    // The endpoint is down: the next test event is shown retrying, with the 503.
    crm.answer(503);
    click(browser, &format!("{WEBHOOK} .send-test")).await?;
    let retrying = rows("retrying", 503);
    wait_for(browser, &format!("{retrying} === 1")).await?;
    let answer = js(
        browser,
        &format!(
            "document.querySelector('{WEBHOOK} tr[data-state=retrying] td.answer').textContent"
        ),
    )
    .await?;
    ensure!(
        answer
            .as_str()
            .is_some_and(|a| a.contains("down for the test")),
        "{answer}"
    );
    section_screenshot(browser, "conversions", "conversions").await?;

    // Back up: the retry button sends it now.
    crm.answer(200);
    click(
        browser,
        &format!("{WEBHOOK} tr[data-state=retrying] button.retry"),
    )
    .await?;
    wait_for(browser, &format!("{} === 2", rows("sent", 200))).await?;
    // Its button redrawn away, the focus is on the log's refresh button, not lost.
    let focused = js(browser, "document.activeElement.className").await?;
    ensure!(focused == "link refresh", "the focus is on {focused}");
    wait_for(
        browser,
        &format!("document.querySelector('{WEBHOOK} .counts [data-state=sent]')?.textContent === 'sent: 2'"),
    )
    .await?;
    let log = api(
        app,
        admin,
        &format!(
            "/conversions/destinations/{}/deliveries",
            listed[0]["destination_id"].as_str().unwrap_or_default()
        ),
    )
    .await?;
    ensure!(
        log.as_array()
            .is_some_and(|l| l.len() == 2 && l.iter().all(|d| d["state"] == "sent")),
        "{log}"
    );

    // The secret was shown once: the settings opened again do not have it.
    open_settings(app, browser).await?;
    let page = js(browser, "document.documentElement.outerHTML").await?;
    ensure!(
        !page.as_str().unwrap_or_default().contains(&secret[6..]),
        "the secret is shown again"
    );
    Ok(())
}

async fn meta(
    app: &TestApp,
    browser: &Browser,
    admin: &str,
    crm: &FakeEndpoint,
) -> anyhow::Result<()> {
    find(browser, "#new-destination select[name=kind]")
        .await?
        .select_by_value("meta")
        .await?;
    fill(browser, "name", "Meta ads").await?;
    fill(browser, "dataset_id", "1234567890").await?;
    fill(browser, "whatsapp_business_account_id", "1022901293").await?;
    fill(browser, "secret", META_TOKEN).await?;
    click(browser, "#new-destination details.advanced summary").await?;
    fill(browser, "base_url", &crm.base).await?;
    section_screenshot(browser, "conversions", "conversions-meta-form").await?;
    submit(browser).await?;
    let meta = "#destinations .destination[data-kind=meta]";
    wait_for(browser, &format!("!!document.querySelector('{meta}')")).await?;
    let shown = find(browser, meta).await?.text().await?;
    ensure!(
        shown.contains("Meta ads")
            && shown.contains("1234567890")
            && shown.contains("LeadSubmitted"),
        "{shown}"
    );
    // No secret made up for Meta, and the token typed is nowhere: not in the list, not left
    // in the form, not in the API's answer.
    ensure!(
        js(
            browser,
            "!document.getElementById('new-destination-secret')"
        )
        .await?
            == Value::Bool(true)
    );
    let page = js(
        browser,
        "document.documentElement.outerHTML + [...document.querySelectorAll('input, textarea')].map((e) => e.value).join(' ')",
    )
    .await?;
    ensure!(
        !page.as_str().unwrap_or_default().contains(META_TOKEN),
        "the access token is on the page"
    );
    let listed = api(app, admin, "/conversions/destinations").await?;
    ensure!(!listed.to_string().contains(META_TOKEN), "{listed}");
    open_settings(app, browser).await?;
    let page = find(browser, "#conversions").await?.text().await?;
    ensure!(!page.contains(META_TOKEN), "{page}");

    // A test event with nothing Meta could attribute (the dialog came from no ad): dropped,
    // nothing sent, the reason cut in the row and whole when opened; a retry is offered.
    let before = crm.received().len();
    click(browser, &format!("{meta} .send-test")).await?;
    let dropped = format!("{meta} tbody tr[data-state=dropped]");
    wait_for(browser, &format!("!!document.querySelector('{dropped}')")).await?;
    let reason = js(
        browser,
        &format!("document.querySelector('{dropped} td.answer summary').title"),
    )
    .await?;
    let reason = reason.as_str().context("the whole answer as the title")?;
    ensure!(reason.contains("ctwa_clid"), "{reason}");
    click(browser, &format!("{dropped} td.answer summary")).await?;
    let whole = find(browser, &format!("{dropped} td.answer pre"))
        .await?
        .text()
        .await?;
    ensure!(whole == reason, "{whole}");
    section_screenshot(browser, "conversions", "conversions-dropped").await?;
    find(browser, &format!("{dropped} button.retry")).await?;
    ensure!(crm.received().len() == before, "sent to Meta");

    // Removed after a confirmation naming it.
    js(
        browser,
        "(window.confirm = (m) => { window.__asked = m; return true; }) && true",
    )
    .await?;
    click(browser, &format!("{meta} button.remove")).await?;
    wait_for(browser, &format!("!document.querySelector('{meta}')")).await?;
    wait_for(
        browser,
        "document.activeElement === document.querySelector('#conversions h2')",
    )
    .await?;
    let asked = js(browser, "window.__asked").await?;
    ensure!(
        asked.as_str().is_some_and(|a| a.contains("Meta ads")),
        "{asked}"
    );
    let listed = api(app, admin, "/conversions/destinations").await?;
    ensure!(listed.as_array().map(Vec::len) == Some(1), "{listed}");
    Ok(())
}

/// The webhook paused from its button (shown paused, a test event held, not sent), resumed
/// (the held one sent), then edited: a refusal in the form, then a rename, as the API says.
async fn pause_and_edit(
    app: &TestApp,
    browser: &Browser,
    admin: &str,
    crm: &FakeEndpoint,
) -> anyhow::Result<()> {
    let sent = crm.accepted().len();
    click(browser, &format!("{WEBHOOK} button.pause")).await?;
    wait_for(
        browser,
        &format!("document.querySelector('{WEBHOOK}')?.dataset.enabled === 'false'"),
    )
    .await?;
    let shown = find(browser, WEBHOOK).await?.text().await?;
    ensure!(
        shown.contains("paused") && shown.contains("Resume"),
        "{shown}"
    );
    let focused = js(browser, "document.activeElement.className").await?;
    ensure!(focused == "pause", "the focus is on {focused}");
    section_screenshot(browser, "conversions", "conversions-paused").await?;
    let listed = api(app, admin, "/conversions/destinations").await?;
    ensure!(listed[0]["enabled"] == false, "{listed}");
    click(browser, &format!("{WEBHOOK} .send-test")).await?;
    find(browser, &format!("{WEBHOOK} .log-message .ok")).await?;
    tokio::time::sleep(Duration::from_millis(700)).await;
    ensure!(crm.accepted().len() == sent, "sent while paused");

    click(browser, &format!("{WEBHOOK} button.pause")).await?;
    wait_for(
        browser,
        &format!("document.querySelector('{WEBHOOK}')?.dataset.enabled === 'true'"),
    )
    .await?;
    let listed = api(app, admin, "/conversions/destinations").await?;
    ensure!(listed[0]["enabled"] == true, "{listed}");
    let got = crm.wait_accepted(sent + 1, Duration::from_secs(10)).await;
    ensure!(
        got.len() == sent + 1,
        "the held test event sent once resumed"
    );

    let form = format!("{WEBHOOK} form.edit-destination");
    click(browser, &format!("{WEBHOOK} button.edit")).await?;
    let events = find(browser, &format!("{form} [name=events]")).await?;
    events.clear().await?;
    events.send_keys("lead = x").await?;
    click(browser, &format!("{form} button[type=submit]")).await?;
    let error = find(browser, &format!("{form} .message .error"))
        .await?
        .text()
        .await?;
    ensure!(error.contains("lead"), "{error}");
    section_screenshot(browser, "conversions", "conversions-edit").await?;
    events.clear().await?;
    events.send_keys("started = lead.new").await?;
    let name = find(browser, &format!("{form} [name=name]")).await?;
    name.clear().await?;
    name.send_keys("CRM main").await?;
    click(browser, &format!("{form} button[type=submit]")).await?;
    wait_for(
        browser,
        &format!("document.querySelector('{WEBHOOK} h3')?.textContent === 'CRM main'"),
    )
    .await?;
    let listed = api(app, admin, "/conversions/destinations").await?;
    ensure!(
        listed[0]["name"] == "CRM main" && listed[0]["events"]["started"] == "lead.new",
        "{listed}"
    );
    Ok(())
}

/// The section on a phone, the delivery log open, in English and in Russian (longer words,
/// and no English message left): nothing scrolls sideways, every target is 44 px high.
async fn phone(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    viewport(browser, 390).await?;
    open_log_on_phone(app, browser).await?;
    section_screenshot(browser, "conversions", "phone-conversions").await?;
    js(
        browser,
        "localStorage.setItem('chatrail.lang', 'ru') || true",
    )
    .await?;
    open_log_on_phone(app, browser).await?;
    let left = english_left(browser, &untranslated()).await?;
    ensure!(left.is_empty(), "English left: {left:?}");
    section_screenshot(browser, "conversions", "phone-ru-conversions").await?;
    js(
        browser,
        "document.getElementById('new-destination').scrollIntoView() || true",
    )
    .await?;
    screenshot(browser, "phone-ru-conversions-form").await?;
    js(browser, "localStorage.removeItem('chatrail.lang') || true").await?;
    viewport(browser, 1366).await
}

async fn open_log_on_phone(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    open_settings(app, browser).await?;
    click(browser, &format!("{WEBHOOK} .show-log")).await?;
    // Two test events and the one held while it was paused.
    wait_for(
        browser,
        &format!("document.querySelectorAll('{WEBHOOK} tbody tr[data-state]').length === 3"),
    )
    .await?;
    let overflow: Vec<String> = serde_json::from_value(js(browser, OVERFLOW).await?)?;
    ensure!(overflow.is_empty(), "scrolls sideways: {overflow:?}");
    let small: Vec<String> = serde_json::from_value(js(browser, SMALL_TARGETS).await?)?;
    ensure!(small.is_empty(), "targets under 44 px: {small:?}");
    Ok(())
}
