//! From a report row to its dialogs: an admin (who reads reports and dialogs) follows a
//! channel row's dialog count to the dialogs list, which says which row it shows and holds
//! that many dialogs; an analyst (who cannot read dialogs) gets no such links.

use anyhow::{ensure, Context};
use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_token, TestApp};
use chatrail_tests::browser::Browser;

use super::{api, app_with_traffic, find, in_browser, js, settled, sign_in, texts, wait_for};

async fn follow_a_row(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    sign_in(app, browser, &admin).await?;
    browser
        .client
        .goto(&format!("{}/dashboard/#/reports", app.base))
        .await?;
    settled(browser).await?;
    wait_for(browser, "!!document.querySelector('#channels td.num a')").await?;
    // The busiest channel's row, as the API reports it for the page's period.
    let href = js(
        browser,
        "document.querySelector('#channels tbody tr td.num a').getAttribute('href')",
    )
    .await?;
    let href = href.as_str().context("a link")?.to_owned();
    let params = href.split_once('?').context("parameters")?.1.to_owned();
    let range: Vec<(String, String)> = url::form_urlencoded::parse(params.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| range.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (from, to) = (get("from").context("from")?, get("to").context("to")?);
    let channels = api(
        app,
        &admin,
        &format!("/reports/channels?from={from}&to={to}"),
    )
    .await?;
    let first = &channels["rows"][0];
    let expected = first["dialogs"].as_u64().context("dialogs")?;
    ensure!(
        get("channel").as_deref() == first["channel"].as_str()
            || (first["channel"].is_null() && get("missing").as_deref() == Some("channel")),
        "{href} for {first}"
    );
    find(browser, "#channels tbody tr td.num a")
        .await?
        .click()
        .await?;
    wait_for(browser, "location.hash.startsWith('#/dialogs?')").await?;
    settled(browser).await?;
    let line = find(browser, "#row-filter").await?.text().await?;
    ensure!(line.contains(&from[..4]), "{line}");
    let listed = api(app, &admin, &format!("/dialogs?limit=500&{params}")).await?;
    let n = listed["dialogs"].as_array().map_or(0, Vec::len) as u64;
    ensure!(
        n == expected,
        "the row counts {expected}, its list holds {n}"
    );
    let rows = texts(browser, "#dialogs tbody tr").await?;
    ensure!(
        rows.len() as u64 == expected.min(50),
        "{} rows shown",
        rows.len()
    );
    // Its way out lists every dialog again.
    find(browser, "#row-filter a").await?.click().await?;
    wait_for(browser, "!document.getElementById('row-filter')").await?;

    // An analyst reads the same report without links to dialogs it may not read.
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    sign_in(app, browser, &analyst).await?;
    browser
        .client
        .goto(&format!("{}/dashboard/#/reports", app.base))
        .await?;
    settled(browser).await?;
    find(browser, "#channels table").await?;
    ensure!(
        js(
            browser,
            "document.querySelectorAll('#channels td.num a').length"
        )
        .await?
            == 0,
        "an analyst is sent to dialogs it cannot read"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_rows_dialog_count_opens_its_dialogs() {
    let app = app_with_traffic(1_500, 150).await;
    let (result, errors) = in_browser(async |browser| follow_a_row(&app, browser).await).await;
    result.expect("a report row's dialogs");
    assert_eq!(errors, Vec::<String>::new());
}
