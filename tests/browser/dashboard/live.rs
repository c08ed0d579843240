//! Live updates: with the dialogs list open, a webhook's new dialog appears at the top with
//! an unread marker, without a reload; opening it clears the marker; with its card open, a
//! second message appears in the thread (and leaves no marker: it was seen).

use anyhow::ensure;
use chatrail_tests::app::{spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::browser::Browser;
use serde_json::Value;

use super::{find, in_browser, js, settled, sign_in, wait_for};

async fn webhook(app: &TestApp, id: &str, from: &str, text: &str) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp();
    let body = whatsapp_text(id, from, "Ann", text, now);
    ensure!(app.post_whatsapp(&body).await.status() == 200);
    Ok(())
}

async fn unread(browser: &Browser) -> anyhow::Result<Value> {
    js(
        browser,
        "document.querySelectorAll('#dialogs .unread').length",
    )
    .await
}

async fn live(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    webhook(app, "wamid.live-old", "447700900111", "An older chat").await?;
    sign_in(app, browser, &app.token).await?;
    find(browser, "#dialogs").await?;
    // Marks this page: a reload would lose it.
    js(browser, "(window.notReloaded = true)").await?;
    ensure!(
        unread(browser).await? == 0,
        "an unread marker before anything arrived"
    );

    webhook(app, "wamid.live-1", "447700900555", "Is it in stock?").await?;
    wait_for(
        browser,
        "document.querySelectorAll('#dialogs tbody tr').length === 2 \
         && document.querySelector('#dialogs tbody tr').innerText.includes('Is it in stock?')",
    )
    .await?;
    let first = "document.querySelector('#dialogs tbody tr')";
    ensure!(
        js(browser, "window.notReloaded === true").await? == Value::Bool(true),
        "the page reloaded"
    );
    let marker = js(
        browser,
        &format!("{first}.querySelector('.unread')?.innerText"),
    )
    .await?;
    ensure!(
        marker == "New messages",
        "the new dialog's marker: {marker}"
    );
    ensure!(
        unread(browser).await? == 1,
        "a dialog other than the new one is marked"
    );

    // Opening it clears the marker.
    js(browser, &format!("{first}.querySelector('a').click()")).await?;
    settled(browser).await?;
    find(browser, "#thread").await?;
    webhook(app, "wamid.live-2", "447700900555", "Hello? Anyone there?").await?;
    wait_for(
        browser,
        "document.getElementById('thread').innerText.includes('Hello? Anyone there?')",
    )
    .await?;
    ensure!(
        js(browser, "window.notReloaded === true").await? == Value::Bool(true),
        "the card reloaded"
    );
    js(browser, "(location.hash = '#/dialogs')").await?;
    settled(browser).await?;
    find(browser, "#dialogs").await?;
    ensure!(
        unread(browser).await? == 0,
        "a marker stays on a dialog seen in its card"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_dialogs_and_messages_appear_without_reload() {
    let app = spawn_app(Backend::Sqlite).await;
    let (result, errors) = in_browser(async |browser| live(&app, browser).await).await;
    result.expect("live updates");
    assert_eq!(errors, Vec::<String>::new());
}
