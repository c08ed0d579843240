//! Feedback. The dialogs filters from the keyboard: arrow keys in a drop-down step through
//! its options without reloading the page or losing the focus, the list follows once the
//! keys stop (one request, not one per step), and while that request runs the page says it
//! is loading and the old rows are dimmed rather than passed off as the answer. A report
//! that fails says so in its own widget, beside the others, and its retry brings it back.

use anyhow::ensure;
use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_token, TestApp};
use chatrail_tests::browser::Browser;
use fantoccini::key::Key;
use serde_json::Value;

use super::{api, app_with_traffic, find, in_browser, js, settled, sign_in, texts, wait_for};

const CHANNEL: &str = "#dialog-filters select[name=channel]";

async fn arrow_keys(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    sign_in(app, browser, &app.token).await?;
    browser
        .client
        .goto(&format!("{}/dashboard/#/dialogs", app.base))
        .await?;
    settled(browser).await?;
    // Marks that a reload or a rebuilt form would lose, a count of address changes, and
    // answers from the API held back 1.5 s, so the loading state can be seen.
    js(
        browser,
        "(() => {
          window.__same = true;
          document.getElementById('dialog-filters').dataset.same = 'yes';
          window.__hashes = 0;
          addEventListener('hashchange', () => { window.__hashes += 1; });
          const real = window.fetch;
          window.fetch = (...args) => new Promise((r) => setTimeout(r, 1500)).then(() => real(...args));
          document.querySelector('#dialog-filters select[name=channel]').focus();
          return true;
        })()",
    )
    .await?;
    let select = find(browser, CHANNEL).await?;
    // Three steps down: the first three channels go by, the third stays.
    let down = char::from(Key::Down).to_string();
    select.send_keys(&down.repeat(3)).await?;
    let focused = format!("document.activeElement === document.querySelector({CHANNEL:?})");
    ensure!(
        js(browser, &focused).await? == Value::Bool(true),
        "the focus left the drop-down"
    );
    let chosen = js(
        browser,
        &format!("document.querySelector({CHANNEL:?}).value"),
    )
    .await?;
    let chosen = chosen.as_str().unwrap_or_default().to_owned();
    ensure!(!chosen.is_empty(), "the arrow keys chose no channel");
    // Once the keys stop, the address follows; while the answer is on its way the page
    // says so and dims the rows it is about to replace.
    wait_for(browser, "location.hash.includes('channel=')").await?;
    wait_for(
        browser,
        "document.getElementById('main').getAttribute('aria-busy') === 'true' \
         && !document.getElementById('progress').hidden \
         && Number(getComputedStyle(document.getElementById('dialog-results')).opacity) < 0.9",
    )
    .await?;
    settled(browser).await?;
    let state = js(
        browser,
        &format!(
            "({{ focused: {focused}, same: window.__same === true \
               && document.getElementById('dialog-filters').dataset.same === 'yes', \
               hashes: window.__hashes, busy: document.getElementById('main').getAttribute('aria-busy') }})"
        ),
    )
    .await?;
    ensure!(
        state["same"] == true,
        "the page or its form was rebuilt: {state}"
    );
    ensure!(state["focused"] == true, "the focus was lost: {state}");
    ensure!(
        state["hashes"] == 1,
        "one change of address, not one per key: {state}"
    );
    ensure!(state["busy"] == "false", "{state}");
    // The list is the chosen channel's, as the API has it.
    let rows = texts(browser, "#dialogs tbody tr").await?;
    let expected = api(
        app,
        &app.token,
        &format!("/dialogs?limit=50&channel={}", super::urlencode(&chosen)),
    )
    .await?;
    ensure!(
        expected["dialogs"].as_array().map(Vec::len) == Some(rows.len()),
        "{} rows for {chosen}, the API has {}",
        rows.len(),
        expected["dialogs"]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrow_keys_in_a_filter_keep_the_focus_and_do_not_reload() {
    let app = app_with_traffic(1_500, 150).await;
    let (result, errors) = in_browser(async |browser| arrow_keys(&app, browser).await).await;
    result.expect("keyboard");
    assert_eq!(errors, Vec::<String>::new());
}

async fn failed_report(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    sign_in(app, browser, &analyst).await?;
    wait_for(browser, "!!document.getElementById('hours-grid')").await?;
    // From now on the hours report fails as a server would say it.
    js(
        browser,
        "(() => {
          const real = window.fetch;
          window.__real = real;
          window.fetch = (url, ...rest) => String(url).includes('/reports/hours')
            ? Promise.resolve(new Response(JSON.stringify({ error: 'hours are down' }),
                { status: 503, headers: { 'Content-Type': 'application/json' } }))
            : real(url, ...rest);
          return true;
        })()",
    )
    .await?;
    find(browser, "#report-controls select[name=granularity]")
        .await?
        .select_by_value("week")
        .await?;
    find(browser, "#report-controls button[type=submit]")
        .await?
        .click()
        .await?;
    wait_for(browser, "location.hash.includes('granularity=week')").await?;
    settled(browser).await?;
    let error = find(browser, "#hours .error").await?.text().await?;
    ensure!(error.contains("hours are down"), "{error}");
    ensure!(
        js(browser, "!document.getElementById('hours-grid')").await? == Value::Bool(true),
        "the old heat map passes for the new one"
    );
    // The other widgets are there, for the new parameters.
    find(browser, "#channels table").await?;
    let heading = find(browser, "#dynamics h2").await?.text().await?;
    ensure!(heading.contains("week"), "{heading}");
    // The server is back: the widget's retry fetches it again.
    js(browser, "(window.fetch = window.__real) && true").await?;
    find(browser, "#hours .error button.retry")
        .await?
        .click()
        .await?;
    wait_for(browser, "!!document.getElementById('hours-grid')").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_report_says_so_in_its_own_widget() {
    let app = app_with_traffic(1_500, 150).await;
    let (result, errors) = in_browser(async |browser| failed_report(&app, browser).await).await;
    result.expect("a failed report");
    // The 503 the page was made to see is the only console error.
    let errors: Vec<String> = errors.into_iter().filter(|e| !e.contains("503")).collect();
    assert_eq!(errors, Vec::<String>::new());
}
