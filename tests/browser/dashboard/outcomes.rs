//! Outcomes and money in the dashboard: an operator marks a dialog won with a value on its
//! source card and finds it under the stage filter; an admin uploads a cost file in Settings
//! (a bad one is refused in place) and adds a stage; the analyst's channels report then
//! shows the won count, the revenue and the spend the API gives, and the funnel per channel
//! has the site's stages. Screenshots of the card, the settings and the reports, on a wide
//! screen in English and a phone in Russian.

use std::fmt::Write;

use anyhow::{ensure, Context};
use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_token, TestApp};
use chatrail_tests::browser::Browser;
use serde_json::{json, Value};

use super::{
    api, app_with_traffic, find, in_browser, js, screenshot, settled, sign_in, texts, viewport,
    wait_for,
};

/// Sets a dialog's outcome over the API, as a CRM would.
async fn set_outcome(app: &TestApp, id: &str, outcome: Value) -> anyhow::Result<()> {
    let res = app
        .http
        .put(format!("{}/api/v1/dialogs/{id}/outcome", app.base))
        .bearer_auth(&app.token)
        .json(&outcome)
        .send()
        .await?;
    ensure!(res.status() == 200, "{id}: {}", res.status());
    Ok(())
}

/// The channels report's row of `channel` over the dashboard's default period.
async fn channel_row(app: &TestApp, token: &str, channel: &str) -> anyhow::Result<Value> {
    channel_row_with(app, token, channel, "").await
}

/// [`channel_row`] with more query parameters (`&model=first`).
async fn channel_row_with(
    app: &TestApp,
    token: &str,
    channel: &str,
    extra: &str,
) -> anyhow::Result<Value> {
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Days::new(29);
    let report = api(
        app,
        token,
        &format!("/reports/channels?from={from}&to={today}{extra}"),
    )
    .await?;
    report["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["channel"] == channel).cloned())
        .with_context(|| format!("no {channel} row in {report}"))
}

/// The cells of the row of `#channels` whose first cell is `channel`, by column header.
async fn shown_row(browser: &Browser, channel: &str) -> anyhow::Result<Value> {
    js(
        browser,
        &format!(
            "(() => {{
              const table = document.querySelector('#channels table');
              const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
              const row = [...table.querySelectorAll('tbody tr')]
                .find((tr) => tr.cells[0].textContent === {channel:?});
              return row ? Object.fromEntries(heads.map((h, i) => [h, row.cells[i].textContent])) : null;
            }})()"
        ),
    )
    .await
}

/// Opens the dashboard at `hash` and waits for the page.
async fn open(app: &TestApp, browser: &Browser, hash: &str) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/dashboard/{hash}", app.base))
        .await?;
    settled(browser).await
}

/// Scrolls to the element `id` and takes the screenshot `name`.
async fn shot(browser: &Browser, id: &str, name: &str) -> anyhow::Result<()> {
    let script = format!("document.getElementById('{id}').scrollIntoView() || true");
    js(browser, &script).await?;
    screenshot(browser, name).await
}

/// Uploads the cost file at `path` from Settings.
async fn upload(browser: &Browser, path: &std::path::Path) -> anyhow::Result<()> {
    let file = find(browser, "#costs-form input[type=file]").await?;
    file.send_keys(path.to_str().context("path")?).await?;
    find(browser, "#costs-form button[type=submit]")
        .await?
        .click()
        .await?;
    Ok(())
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

async fn walk(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    // A CRM has set the outcomes of some recent dialogs: the reports have money to show.
    let recent = api(app, &app.token, "/dialogs?limit=80").await?;
    let recent = recent["dialogs"].as_array().context("dialogs")?.clone();
    for (i, d) in recent.iter().enumerate().skip(1) {
        let id = d["dialog_id"].as_str().context("id")?;
        let outcome = match i % 5 {
            0 => json!({"stage": "won", "value": format!("{}", 300 + 40 * i), "currency": "USD"}),
            1 => json!({"stage": "lead"}),
            2 => json!({"stage": "qualified"}),
            3 => json!({"stage": "lost"}),
            _ => continue,
        };
        set_outcome(app, id, outcome).await?;
    }
    let chosen = api(app, &app.token, "/dialogs?match=exact&limit=1").await?;
    let chosen = chosen["dialogs"][0].clone();
    let id = chosen["dialog_id"].as_str().context("an exact dialog")?;
    let channel = chosen["channel"]
        .as_str()
        .context("its channel")?
        .to_owned();
    set_outcome(app, id, json!({"stage": "qualified"})).await?;
    let before = channel_row(app, &analyst, &channel).await?;

    // The operator marks it won with its value on the card.
    sign_in(app, browser, &app.token).await?;
    open(app, browser, &format!("#/dialogs/{id}")).await?;
    let now = find(browser, "#outcome-now").await?.text().await?;
    ensure!(now.contains("qualified"), "{now}");
    ensure!(
        js(
            browser,
            "document.querySelector('#outcome-form .outcome-money').hidden"
        )
        .await?
            == Value::Bool(true),
        "no value for an open stage"
    );
    find(browser, "#outcome-form select[name=stage]")
        .await?
        .select_by_value("won")
        .await?;
    let value = find(browser, "#outcome-form input[name=value]").await?;
    value.clear().await?;
    value.send_keys("1234.50").await?;
    let currency = find(browser, "#outcome-form input[name=currency]").await?;
    currency.clear().await?;
    currency.send_keys("usd").await?;
    find(browser, "#outcome-form button[type=submit]")
        .await?
        .click()
        .await?;
    wait_for(browser, "!!document.getElementById('outcome-value')").await?;
    let shown = find(browser, "#outcome-value").await?.text().await?;
    ensure!(shown == "$1,234.50", "{shown}");
    let stored = api(app, &app.token, &format!("/dialogs/{id}/outcome")).await?;
    ensure!(
        stored["stage"] == "won" && stored["value"] == "1234.50" && stored["currency"] == "USD",
        "{stored}"
    );
    let history = find(browser, "#outcome-history").await?.text().await?;
    ensure!(
        history.contains("test on the card") && history.contains("over the API"),
        "who changed it, and how: {history}"
    );
    shot(browser, "card", "card-outcome").await?;

    // The list by stage: every row won, as many as the API lists.
    open(app, browser, "#/dialogs?stage=won").await?;
    let stages = texts(browser, "#dialogs tbody td.stage .badge").await?;
    let listed = api(app, &app.token, "/dialogs?stage=won&limit=50").await?;
    ensure!(
        !stages.is_empty() && stages.iter().all(|s| s == "won"),
        "{stages:?}"
    );
    ensure!(listed["dialogs"].as_array().map(Vec::len) == Some(stages.len()));
    let values = texts(browser, "#dialogs tbody td.stage .value").await?;
    ensure!(values.contains(&"$1,234.50".to_owned()), "{values:?}");

    // The admin uploads the month's Google Ads costs; a file without a cost column is
    // refused in place.
    sign_in(app, browser, &admin).await?;
    open(app, browser, "#/settings").await?;
    let dir = tempfile::tempdir()?;
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "date,campaign\n2026-01-01,brand\n")?;
    upload(browser, &bad).await?;
    let error = find(browser, "#costs-message .error").await?.text().await?;
    ensure!(error.contains("cost"), "{error}");
    let today = chrono::Utc::now().date_naive();
    let mut costs = String::from("date,source,medium,campaign,cost,currency\n");
    for days in 1..=10 {
        let day = today - chrono::Days::new(days);
        writeln!(costs, "{day},google,cpc,spring-sale,120.50,USD")?;
        writeln!(costs, "{day},google,cpc,brand,30,USD")?;
    }
    let good = dir.path().join("google-ads.csv");
    std::fs::write(&good, &costs)?;
    upload(browser, &good).await?;
    let imported = find(browser, "#costs-imported").await?.text().await?;
    ensure!(
        imported.starts_with("20 rows imported: 10 days") && imported.contains("$1,505.00"),
        "{imported}"
    );
    // A stage added before won, saved with the others.
    find(browser, "#add-stage").await?.click().await?;
    find(browser, "#stages input[value='']")
        .await?
        .send_keys("Proposal")
        .await?;
    // Moved up and back down from the keyboard's point of view: the focus follows it.
    let focused_row = "(() => { const b = document.activeElement;
        return [b.dataset.move, b.closest('li').querySelector('input').value]; })()";
    find(browser, "#stages li:nth-child(4) button[data-move='-1']")
        .await?
        .click()
        .await?;
    let at = js(browser, focused_row).await?;
    ensure!(at == json!(["-1", "Proposal"]), "{at}");
    find(browser, "#stages li:nth-child(3) button[data-move='1']")
        .await?
        .click()
        .await?;
    let at = js(browser, focused_row).await?;
    ensure!(at == json!(["1", "Proposal"]), "{at}");
    find(browser, "#stages-form button[type=submit]")
        .await?
        .click()
        .await?;
    wait_for(browser, "!!document.querySelector('#stages-form .ok')").await?;
    let saved = api(app, &admin, "/site/outcomes").await?;
    let names: Vec<&str> = saved["stages"]
        .as_array()
        .context("stages")?
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    ensure!(
        names == ["new", "lead", "qualified", "proposal", "won", "lost"],
        "{saved}"
    );
    shot(browser, "stages-form", "settings-outcomes").await?;

    // The analyst's channels report: the won count and revenue grew by the card's sale, and
    // the spend shows, as the API gives them; the funnel has the channel.
    sign_in(app, browser, &analyst).await?;
    open(app, browser, "#/reports").await?;
    wait_for(browser, "!!document.querySelector('#channels table')").await?;
    let after = channel_row(app, &analyst, &channel).await?;
    ensure!(
        after["won"].as_i64() == before["won"].as_i64().map(|n| n + 1),
        "{before} → {after}"
    );
    let revenue = |r: &Value| r["revenue"].as_f64().unwrap_or(0.0);
    ensure!(
        (revenue(&after) - revenue(&before) - 1234.5).abs() < 0.001,
        "{before} → {after}"
    );
    let row = shown_row(browser, &channel).await?;
    ensure!(
        row["won"].as_str() == Some(after["won"].to_string().as_str()),
        "{row} vs {after}"
    );
    ensure!(
        digits(row["revenue"].as_str().unwrap_or_default())
            == digits(&format!("{:.2}", revenue(&after))),
        "{row} vs {after}"
    );
    let search = channel_row(app, &analyst, "Paid Search").await?;
    let spend = search["spend"].as_f64().context("Paid Search has spend")?;
    ensure!((spend - 1505.0).abs() < 0.001, "{search}");
    let shown = shown_row(browser, "Paid Search").await?;
    ensure!(shown["spend"] == "$1,505.00", "{shown}");
    let funnel = texts(browser, "#funnel tbody td.channel").await?;
    ensure!(funnel.contains(&channel), "{funnel:?}");
    let steps = texts(browser, "#funnel thead th").await?;
    ensure!(
        steps[1..] == ["new", "lead", "qualified", "proposal", "won", "lost"],
        "the site's stages in order: {steps:?}"
    );
    shot(browser, "channels", "reports-money").await?;

    // First touch in euros, chosen in the controls: the money reports are asked for them
    // (the funnel too), the others are not, and the table shows what the API answers.
    js(
        browser,
        "(() => { const f = document.querySelector('#report-controls'); \
          f.elements.model.value = 'first'; f.elements.currency.value = 'eur'; \
          performance.clearResourceTimings(); f.requestSubmit(); return true; })()",
    )
    .await?;
    wait_for(browser, "location.hash.includes('model=first')").await?;
    settled(browser).await?;
    // Resource entries appear as responses finish, in any order: wait for all five.
    wait_for(
        browser,
        "['channels', 'campaigns', 'funnel', 'hours', 'regions'].every((r) => \
           performance.getEntriesByType('resource').some((e) => e.name.includes(`/reports/${r}?`)))",
    )
    .await?;
    let asked: Vec<String> = js(
        browser,
        "performance.getEntriesByType('resource').map((e) => e.name)\
           .filter((n) => n.includes('/api/v1/reports/'))",
    )
    .await
    .map(|v: Value| serde_json::from_value(v).unwrap_or_default())?;
    for name in ["channels", "campaigns", "funnel", "hours", "regions"] {
        let url = asked
            .iter()
            .find(|u| u.contains(&format!("/reports/{name}?")))
            .with_context(|| format!("{name} fetched: {asked:?}"))?;
        let money = url.contains("model=first") && url.contains("currency=EUR");
        ensure!(money == (name != "hours" && name != "regions"), "{url}");
    }
    let first = channel_row_with(app, &analyst, &channel, "&model=first&currency=EUR").await?;
    let row = shown_row(browser, &channel).await?;
    ensure!(
        row["won"].as_str() == Some(first["won"].to_string().as_str()),
        "{row} vs {first}"
    );
    ensure!(
        first["currency"] == "EUR" && row["revenue"].as_str().is_some_and(|r| r.contains('€')),
        "{row} vs {first}"
    );

    // On a phone, in Russian: the report's funnel and the card's outcome.
    viewport(browser, 390).await?;
    js(
        browser,
        "localStorage.setItem('chatrail.lang', 'ru') || true",
    )
    .await?;
    browser.client.refresh().await?;
    open(app, browser, "#/reports").await?;
    wait_for(browser, "!!document.querySelector('#funnel table')").await?;
    shot(browser, "funnel", "phone-ru-funnel").await?;
    sign_in(app, browser, &app.token).await?;
    open(app, browser, &format!("#/dialogs/{id}")).await?;
    shot(browser, "outcome", "phone-ru-card-outcome").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_sale_and_the_admins_costs_reach_the_analysts_reports() {
    let app = app_with_traffic(3_000, 300).await;
    let (result, errors) = in_browser(async |browser| walk(&app, browser).await).await;
    result.expect("outcomes in the dashboard");
    // The bad cost file's refusal is the only error allowed.
    let unexpected: Vec<String> = errors
        .into_iter()
        .filter(|e| !(e.contains("/api/v1/costs") && e.contains("400")))
        .collect();
    assert_eq!(unexpected, Vec::<String>::new());
}
