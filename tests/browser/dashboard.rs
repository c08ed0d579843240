//! The dashboard in real headless Chromium, as its three users work with it: an operator
//! signs in, filters and searches the dialogs list, pages it, opens a source card and tags
//! it; an analyst switches granularity and comparison on the reports page; an admin edits
//! the tracked numbers and creates a token. Every step is checked against the API, visitor
//! text must stay text, and any console error fails the test. Screenshots of each page go
//! to `target/screenshots` (and to `$CHATRAIL_SCREENSHOTS` when set: the README's images).
//!
//! The submodules check the dashboard on phones and wide screens (`layout`), in Russian and
//! with the language switch (`language`), from the keyboard and with failures (`feedback`),
//! on a fresh install (`first_run`), its getting-started checklist (`checklist`), the
//! conversions' destinations and delivery log in the settings (`conversions`), and with
//! axe-core, no serious or critical accessibility violation on any page (`accessibility`),
//! and people signing in with a password as each role (`accounts`).

pub(crate) mod accessibility;
mod accounts;
mod checklist;
mod conversions;
mod feedback;
mod first_run;
mod language;
mod layout;
mod live;
mod outcomes;
mod report_rows;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{ensure, Context};
use chatrail_collector::domain::token::Role;
use chatrail_collector::generate::{generate, GenerateOptions};
use chatrail_tests::app::{create_token, spawn_app, whatsapp_text, Backend, TestApp};
use chatrail_tests::browser::Browser;
use fantoccini::elements::Element;
use fantoccini::Locator;
use serde_json::Value;

/// A collector with `dialogs` synthetic dialogs over the last three months.
async fn app_with_traffic(sessions: u64, dialogs: u64) -> TestApp {
    let app = spawn_app(Backend::Sqlite).await;
    let opts = GenerateOptions {
        sessions,
        dialogs,
        months: 3,
        ..GenerateOptions::default()
    };
    generate(&app.db, &app.site, &opts, |_| {})
        .await
        .expect("synthetic traffic");
    app
}

/// Runs `walk` in a fresh Chromium window 1366 px wide, then closes it; the walk's result
/// and the console's errors.
async fn in_browser(
    walk: impl AsyncFnOnce(&Browser) -> anyhow::Result<()>,
) -> (anyhow::Result<()>, Vec<String>) {
    let browser = Browser::start().await.expect("chromium starts");
    browser
        .client
        .set_window_size(1366, 1000)
        .await
        .expect("window size");
    let result = walk(&browser).await;
    let errors = browser.console_errors().await.expect("console log");
    browser.close().await.expect("browser closes");
    (result, errors)
}

/// Lays the page out `width` CSS pixels wide (a headless window is at least 500 wide, so the
/// viewport is set through DevTools; it stays for the tab's next pages).
pub(crate) async fn viewport(browser: &Browser, width: u32) -> anyhow::Result<()> {
    browser
        .cdp(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await?;
    Ok(())
}

const HOSTILE_NAME: &str = "<img src=x onerror=window.__xss=1>Eve";
const HOSTILE_TEXT: &str = "<script>window.__xss=2</script>Do you ship to Lisbon?";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_analysts_and_admins_do_their_work_in_the_dashboard() {
    let app = spawn_app(Backend::Sqlite).await;
    app.store
        .set_site_timezone(app.site.id, "Europe/Berlin")
        .await
        .unwrap();
    // History ending two hours ago: a generated chat may come up to an hour after its
    // session, and none may be newer than the hostile one below, which the list shows first.
    let opts = GenerateOptions {
        sessions: 3_000,
        dialogs: 300,
        months: 3,
        end_ms: (now_s() - 2 * 3600) * 1000,
        ..GenerateOptions::default()
    };
    generate(&app.db, &app.site, &opts, |_| {})
        .await
        .expect("synthetic traffic");
    let body = whatsapp_text(
        "wamid.xss",
        "351912345678",
        HOSTILE_NAME,
        HOSTILE_TEXT,
        now_s(),
    );
    assert_eq!(app.post_whatsapp(&body).await.status(), 200);

    let (result, errors) = in_browser(async |browser| {
        operator(&app, browser).await.context("operator")?;
        analyst(&app, browser).await.context("analyst")?;
        admin(&app, browser).await.context("admin")
    })
    .await;
    result.expect("dashboard session");
    // The only errors allowed are the refusals the test provoked on purpose: a wrong token at
    // sign-in (401) and an unknown time zone in the settings (400).
    let unexpected: Vec<String> = errors
        .into_iter()
        .filter(|e| {
            !(e.contains("/api/v1/me") && e.contains("401")
                || e.contains("/api/v1/site") && e.contains("400"))
        })
        .collect();
    assert_eq!(unexpected, Vec::<String>::new());
}

/// Runs `script` (a JS expression) in the page.
async fn js(browser: &Browser, script: &str) -> anyhow::Result<Value> {
    Ok(browser
        .client
        .execute(&format!("return ({script});"), vec![])
        .await?)
}

/// Waits until the page for the current address has rendered.
async fn settled(browser: &Browser) -> anyhow::Result<()> {
    wait_for(
        browser,
        "document.getElementById('main').dataset.view === location.hash \
         && document.getElementById('main').dataset.state !== 'loading'",
    )
    .await
}

/// The text of download `name` in `dir`, once whole. Chromium reserves the final name with
/// an empty file while it writes a `.crdownload` beside it.
async fn downloaded(dir: &tempfile::TempDir, name: &str) -> anyhow::Result<String> {
    let file = dir.path().join(name);
    let whole = || {
        let partial = std::fs::read_dir(dir.path()).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"))
        });
        !partial && std::fs::metadata(&file).is_ok_and(|m| m.len() > 0)
    };
    for _ in 0..100 {
        if whole() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    std::fs::read_to_string(&file).with_context(|| format!("{} not saved", file.display()))
}

/// Waits until the JS expression `condition` holds.
async fn wait_for(browser: &Browser, condition: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if js(browser, condition).await? == Value::Bool(true) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let main = js(browser, "document.getElementById('main').innerText").await?;
    anyhow::bail!("timed out waiting for {condition}; the page shows:\n{main}")
}

async fn find(browser: &Browser, css: &str) -> anyhow::Result<Element> {
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("no {css}"))
}

async fn texts(browser: &Browser, css: &str) -> anyhow::Result<Vec<String>> {
    let v = js(
        browser,
        &format!("[...document.querySelectorAll({css:?})].map(e => e.textContent)"),
    )
    .await?;
    Ok(serde_json::from_value(v)?)
}

/// The screenshots kept in the repository (`$CHATRAIL_SCREENSHOTS`); the others go to
/// `target/screenshots` only.
const KEPT: &[&str] = &[
    "sign-in",
    "dialogs",
    "card",
    "card-matched",
    "reports",
    "settings",
    "phone-ru-dialogs",
    "phone-ru-card",
    "phone-ru-reports",
    "card-outcome",
    "reports-money",
    "settings-outcomes",
    "phone-ru-card-outcome",
    "phone-ru-funnel",
    "conversions",
    "phone-conversions",
    "phone-sign-in",
    "people",
    "phone-people",
    "ru-people",
    "phone-ru-people",
];

async fn screenshot(browser: &Browser, name: &str) -> anyhow::Result<()> {
    let png = browser.client.screenshot().await?;
    let mut dirs = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots")];
    if let Some(dir) = std::env::var_os("CHATRAIL_SCREENSHOTS").filter(|_| KEPT.contains(&name)) {
        dirs.push(PathBuf::from(dir));
    }
    for dir in dirs {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("{name}.png")), &png)?;
    }
    Ok(())
}

/// A screenshot from the top of the section `id`.
async fn section_screenshot(browser: &Browser, id: &str, name: &str) -> anyhow::Result<()> {
    js(
        browser,
        &format!("window.scrollTo(0, document.getElementById('{id}').offsetTop - 8) || true"),
    )
    .await?;
    screenshot(browser, name).await
}

async fn sign_in(app: &TestApp, browser: &Browser, token: &str) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/dashboard/", app.base))
        .await?;
    settled(browser).await?;
    if js(browser, "!!document.getElementById('signout')").await? == Value::Bool(true) {
        find(browser, "#signout").await?.click().await?;
    }
    let input = find(browser, "#signin input[name=token]").await?;
    input.clear().await?;
    input.send_keys(token).await?;
    find(browser, "#signin button[type=submit]")
        .await?
        .click()
        .await?;
    wait_for(browser, "!!document.getElementById('signout')").await?;
    settled(browser).await
}

async fn api(app: &TestApp, token: &str, path: &str) -> anyhow::Result<Value> {
    let res = app
        .http
        .get(format!("{}/api/v1{path}", app.base))
        .bearer_auth(token)
        .send()
        .await?;
    ensure!(res.status() == 200, "{path}: {}", res.status());
    Ok(res.json().await?)
}

async fn operator(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    // A wrong token is refused on the sign-in page.
    browser
        .client
        .goto(&format!("{}/dashboard/", app.base))
        .await?;
    settled(browser).await?;
    let input = find(browser, "#signin input[name=token]").await?;
    input.send_keys("crt_not-a-token").await?;
    find(browser, "#signin button[type=submit]")
        .await?
        .click()
        .await?;
    let error = find(browser, "#signin .error").await?.text().await?;
    ensure!(error.contains("not valid"), "{error}");

    sign_in(app, browser, &app.token).await?;
    // Operators see dialogs, not reports or settings.
    let nav = find(browser, "#nav").await?.text().await?;
    ensure!(
        nav.contains("Dialogs") && !nav.contains("Reports") && !nav.contains("Settings"),
        "{nav}"
    );
    let rows = texts(browser, "#dialogs tbody tr").await?;
    ensure!(
        rows.len() == 50,
        "first page has 50 rows, got {}",
        rows.len()
    );
    screenshot(browser, "dialogs").await?;

    // The list downloads as CSV: every dialog, not only the page shown.
    let downloads = tempfile::tempdir()?;
    browser
        .cdp(
            "Browser.setDownloadBehavior",
            serde_json::json!({"behavior": "allow", "downloadPath": downloads.path()}),
        )
        .await?;
    find(browser, "#dialogs-csv").await?.click().await?;
    let saved = downloaded(&downloads, "dialogs.csv").await?;
    let (stored,): (i64,) = app
        .db
        .fetch_optional("SELECT COUNT(*) FROM dialogs", vec![])
        .await?
        .context("a count")?;
    let exported = csv::Reader::from_reader(saved.as_bytes()).records().count() as i64;
    ensure!(
        exported == stored,
        "{exported} of {stored} dialogs exported"
    );

    // Visitor-supplied text shows as text and runs nothing.
    let first = texts(browser, "#dialogs tbody tr:first-child td").await?;
    ensure!(first[1].starts_with(HOSTILE_NAME), "{first:?}");
    ensure!(first[2] == HOSTILE_TEXT, "{first:?}");
    ensure!(
        js(
            browser,
            "window.__xss === undefined && !document.querySelector('main img')"
        )
        .await?
            == Value::Bool(true)
    );

    // Paging: the next page continues the list without repeats.
    find(browser, "#more").await?.click().await?;
    wait_for(
        browser,
        "document.querySelectorAll('#dialogs tbody tr').length === 100",
    )
    .await?;
    let links = texts(browser, "#dialogs tbody tr td:first-child a").await?;
    ensure!(links.len() == 100);
    let hrefs: Vec<String> = serde_json::from_value(
        js(
            browser,
            "[...document.querySelectorAll('#dialogs tbody a')].map(a => a.getAttribute('href'))",
        )
        .await?,
    )?;
    let unique: std::collections::HashSet<&String> = hrefs.iter().collect();
    ensure!(unique.len() == 100, "pages overlap");

    // Filter by a channel: every row shows it, and the count agrees with the API.
    let list = api(app, &app.token, "/dialogs?limit=20").await?;
    let channel = list["dialogs"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .find_map(|d| d["channel"].as_str().map(str::to_owned))
        })
        .context("a dialog with a channel")?;
    find(browser, "#dialog-filters select[name=channel]")
        .await?
        .select_by_value(&channel)
        .await?;
    wait_for(browser, "location.hash.includes('channel=')").await?;
    settled(browser).await?;
    let channels = texts(browser, "#dialogs tbody tr td:nth-child(4)").await?;
    ensure!(!channels.is_empty(), "no rows for {channel}");
    ensure!(
        channels.iter().all(|c| c.starts_with(&channel)),
        "{channels:?}"
    );
    let expected = api(
        app,
        &app.token,
        &format!("/dialogs?limit=50&channel={}", urlencode(&channel)),
    )
    .await?;
    ensure!(expected["dialogs"].as_array().map(Vec::len) == Some(channels.len()));

    // Search by name: only the hostile contact.
    browser
        .client
        .goto(&format!("{}/dashboard/#/dialogs", app.base))
        .await?;
    settled(browser).await?;
    let search = find(browser, "#dialog-filters input[name=q]").await?;
    search.send_keys("eve").await?;
    find(browser, "#dialog-filters button[type=submit]")
        .await?
        .click()
        .await?;
    wait_for(browser, "location.hash.includes('q=eve')").await?;
    settled(browser).await?;
    let found = texts(browser, "#dialogs tbody tr").await?;
    ensure!(found.len() == 1 && found[0].contains("Lisbon"), "{found:?}");

    // The card: every section, region unknown without a GeoIP database, and tagging.
    find(browser, "#dialogs tbody tr a").await?.click().await?;
    wait_for(browser, "location.hash.startsWith('#/dialogs/')").await?;
    settled(browser).await?;
    let title = find(browser, "#card h1").await?.text().await?;
    ensure!(title.contains(HOSTILE_NAME), "{title}");
    for section in [
        "#contact", "#dialog", "#session", "#visitor", "#device", "#history",
    ] {
        find(browser, section).await?;
    }
    let dialog = find(browser, "#dialog").await?.text().await?;
    ensure!(dialog.contains("+79001234567"), "{dialog}");
    // The thread shows the contact's message as text, and runs nothing.
    let thread = texts(browser, "#thread .message.in p").await?;
    ensure!(thread == [HOSTILE_TEXT], "{thread:?}");
    ensure!(js(browser, "window.__xss === undefined").await? == Value::Bool(true));
    let tag_input = find(browser, "#add-tag input[name=tag]").await?;
    tag_input.send_keys("wholesale").await?;
    find(browser, "#add-tag button").await?.click().await?;
    wait_for(
        browser,
        "document.getElementById('tags').textContent.includes('wholesale')",
    )
    .await?;
    let id = js(browser, "location.hash.split('/')[2]").await?;
    let id = id.as_str().context("dialog id")?;
    let tags = api(app, &app.token, &format!("/dialogs/{id}/tags")).await?;
    ensure!(tags["tags"] == serde_json::json!(["wholesale"]), "{tags}");
    screenshot(browser, "card").await?;

    // A synthetic, matched dialog's card shows its source and device.
    browser
        .client
        .goto(&format!("{}/dashboard/#/dialogs?match=exact", app.base))
        .await?;
    settled(browser).await?;
    find(browser, "#dialogs tbody tr a").await?.click().await?;
    wait_for(browser, "location.hash.startsWith('#/dialogs/')").await?;
    settled(browser).await?;
    let id = js(browser, "location.hash.split('/')[2]").await?;
    let card = api(
        app,
        &app.token,
        &format!("/dialogs/{}", id.as_str().unwrap_or_default()),
    )
    .await?;
    let session = find(browser, "#session").await?.text().await?;
    let channel = card["session"]["channel"]
        .as_str()
        .context("matched card has a session")?;
    ensure!(session.contains(channel), "{session}");
    let device = find(browser, "#device").await?.text().await?;
    // The generator places its visitors as GeoIP would (a few unknown).
    let region = card["session"]["region"].as_str().unwrap_or("unknown");
    ensure!(
        device.contains(region),
        "the session's region {region}: {device}"
    );
    screenshot(browser, "card-matched").await
}

async fn analyst(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    let token = create_token(&app.store, &app.site, Role::Analyst).await;
    sign_in(app, browser, &token).await?;
    wait_for(browser, "location.hash === '' || location.hash === '#/'").await?;
    find(browser, "#reports").await?;
    let from = js(
        browser,
        "document.querySelector('#report-controls [name=from]').value",
    )
    .await?;
    let to = js(
        browser,
        "document.querySelector('#report-controls [name=to]').value",
    )
    .await?;
    let range = format!(
        "from={}&to={}",
        from.as_str().unwrap_or(""),
        to.as_str().unwrap_or("")
    );
    // The totals agree with the API.
    let new_repeat = api(app, &token, &format!("/reports/new-repeat?{range}")).await?;
    let total: i64 = new_repeat["rows"]
        .as_array()
        .map_or(0, |r| r.iter().filter_map(|r| r["dialogs"].as_i64()).sum());
    let shown = find(browser, "#kpi-dialogs").await?.text().await?;
    ensure!(
        shown.replace([',', '.', ' ', '\u{a0}'], "") == total.to_string(),
        "{shown} vs {total}"
    );
    ensure!(total > 0, "the last 30 days have dialogs");
    // Against the previous period (the default), the tile says how the count changed, as the
    // API's counts give it.
    let compared = api(
        app,
        &token,
        &format!("/reports/new-repeat?{range}&compare=previous"),
    )
    .await?;
    let before: i64 = compared["rows"].as_array().map_or(0, |r| {
        r.iter()
            .filter_map(|r| r["dialogs_previous"].as_i64())
            .sum()
    });
    ensure!(before > 0, "the 30 days before have dialogs");
    let change = js(
        browser,
        "document.querySelector('#kpi-dialogs').parentElement.querySelector('.change')?.textContent",
    )
    .await?;
    let change = change
        .as_str()
        .context("the dialogs tile shows its change")?;
    let expected = js(
        browser,
        &format!(
            "new Intl.NumberFormat(document.documentElement.lang, {{style: 'percent', \
             minimumFractionDigits: 1, maximumFractionDigits: 1}}).format({} / {before})",
            total - before
        ),
    )
    .await?;
    let expected = expected.as_str().context("a formatted change")?;
    ensure!(change.contains(expected), "{change} lacks {expected}");
    // The last bucket, today's, is drawn as still filling, not as a fall.
    find(browser, "#dynamics-chart path.total.partial").await?;
    find(browser, "#dynamics .legend .partial-note").await?;
    let tiles = texts(browser, ".kpi .change").await?;
    ensure!(tiles.len() == 4, "every tile shows its change: {tiles:?}");
    // Every table has its CSV download; the channels one saves the API's CSV.
    let csv = texts(browser, "button.csv").await?;
    ensure!(csv.len() == 14, "{csv:?}");
    let downloads = tempfile::tempdir()?;
    browser
        .cdp(
            "Browser.setDownloadBehavior",
            serde_json::json!({"behavior": "allow", "downloadPath": downloads.path()}),
        )
        .await?;
    find(browser, "button.csv[data-report=channels]")
        .await?
        .click()
        .await?;
    let name = format!(
        "channels_{}_{}.csv",
        from.as_str().unwrap_or(""),
        to.as_str().unwrap_or("")
    );
    let saved = downloaded(&downloads, &name).await?;
    let expected = app
        .http
        .get(format!(
            "{}/api/v1/reports/channels?{range}&format=csv",
            app.base
        ))
        .bearer_auth(&token)
        .send()
        .await?
        .text()
        .await?;
    ensure!(
        saved == expected && saved.starts_with("channel,visits,clicks,dialogs,click_to_chat"),
        "{saved}"
    );
    // By day, with the previous period overlaid.
    let points = |n: usize| {
        format!("document.querySelectorAll('#dynamics-chart circle.point').length === {n}")
    };
    let buckets = |report: &Value| {
        report["rows"].as_array().map_or(0, |rows| {
            rows.iter()
                .filter(|r| r["period"] == "current")
                .map(|r| r["index"].as_i64().unwrap_or(0))
                .max()
                .map_or(0, |m| m as usize + 1)
        })
    };
    let days = api(
        app,
        &token,
        &format!("/reports/dynamics?{range}&granularity=day&compare=previous"),
    )
    .await?;
    wait_for(browser, &points(buckets(&days))).await?;
    find(browser, "#dynamics-chart path[data-series=comparison]").await?;
    // (The CSV button's click scrolled it into view.)
    js(browser, "window.scrollTo(0, 0) || true").await?;
    screenshot(browser, "reports").await?;

    // Switch to weeks: fewer points, as many as the API's weeks.
    find(browser, "#report-controls select[name=granularity]")
        .await?
        .select_by_value("week")
        .await?;
    wait_for(browser, "location.hash.includes('granularity=week')").await?;
    settled(browser).await?;
    let weeks = api(
        app,
        &token,
        &format!("/reports/dynamics?{range}&granularity=week&compare=previous"),
    )
    .await?;
    ensure!(buckets(&weeks) < buckets(&days));
    wait_for(browser, &points(buckets(&weeks))).await?;

    // No comparison: the dashed line goes; the same period last year: it comes back, labelled.
    find(browser, "#report-controls select[name=compare]")
        .await?
        .select_by_value("none")
        .await?;
    wait_for(browser, "location.hash.includes('compare=none')").await?;
    settled(browser).await?;
    ensure!(
        js(
            browser,
            "!document.querySelector('#dynamics-chart path[data-series=comparison]')"
        )
        .await?
            == Value::Bool(true)
    );
    find(browser, "#report-controls select[name=compare]")
        .await?
        .select_by_value("year")
        .await?;
    wait_for(browser, "location.hash.includes('compare=year')").await?;
    settled(browser).await?;
    find(browser, "#dynamics-chart path[data-series=comparison]").await?;
    let legend = find(browser, "#dynamics .legend").await?.text().await?;
    let year_ago = api(
        app,
        &token,
        &format!("/reports/dynamics?{range}&granularity=week&compare=year"),
    )
    .await?;
    let compare_from = year_ago["compare_from"].as_str().context("compare_from")?;
    let compare_to = year_ago["compare_to"].as_str().context("compare_to")?;
    // The period as the page's locale writes it (Intl), e.g. "Nov 23, 2025 – Dec 22, 2025".
    let written = js(
        browser,
        &format!(
            "new Intl.DateTimeFormat(document.documentElement.lang, {{timeZone: 'UTC', dateStyle: 'medium'}})\
             .formatRange(new Date('{compare_from}T12:00:00Z'), new Date('{compare_to}T12:00:00Z'))"
        ),
    )
    .await?;
    let written = written.as_str().context("a formatted period")?;
    ensure!(legend.contains(written), "{legend} lacks {written}");

    // A custom comparison waits for its dates: choosing it fetches nothing and says what
    // to do; with both dates, the comparison is that period.
    let hash_before = js(browser, "location.hash").await?;
    find(browser, "#report-controls select[name=compare]")
        .await?
        .select_by_value("custom")
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    ensure!(
        js(browser, "location.hash").await? == hash_before,
        "fetched before the dates"
    );
    ensure!(
        js(browser, "!document.querySelector('.custom-note').hidden").await? == Value::Bool(true),
        "the custom comparison says what to do"
    );
    ensure!(
        texts(browser, ".error").await?.is_empty(),
        "no error before the dates are typed"
    );
    js(
        browser,
        "(() => { const f = document.querySelector('#report-controls'); \
         f.elements.compare_from.value = '2020-01-01'; \
         f.elements.compare_to.value = '2020-01-31'; \
         f.requestSubmit(); return true; })()",
    )
    .await?;
    wait_for(browser, "location.hash.includes('compare_from=2020-01-01')").await?;
    settled(browser).await?;
    let legend = find(browser, "#dynamics .legend").await?.text().await?;
    ensure!(legend.contains("2020"), "{legend}");

    // Analysts have no dialogs page.
    browser
        .client
        .goto(&format!("{}/dashboard/#/dialogs", app.base))
        .await?;
    settled(browser).await?;
    let page = find(browser, "#main").await?.text().await?;
    ensure!(page.contains("Not here"), "{page}");
    Ok(())
}

async fn admin(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    let token = create_token(&app.store, &app.site, Role::Admin).await;
    sign_in(app, browser, &token).await?;
    browser
        .client
        .goto(&format!("{}/dashboard/#/settings", app.base))
        .await?;
    settled(browser).await?;
    let tag = find(browser, "#script-tag").await?.text().await?;
    ensure!(
        tag.contains("/t.js") && tag.contains("data-site=\"shop\""),
        "{tag}"
    );

    // Add a tracked number.
    let numbers = find(browser, "#settings-form textarea[name=numbers]").await?;
    numbers.send_keys("\n+44 7700 900123").await?;
    find(browser, "#settings-form button[type=submit]")
        .await?
        .click()
        .await?;
    wait_for(browser, "!!document.querySelector('#settings-form .ok')").await?;
    let site = app.store.site_by_id(app.site.id).await?.context("site")?;
    let stored: Vec<&str> = site.numbers.iter().map(|n| n.number.as_str()).collect();
    ensure!(
        stored.contains(&"447700900123") && stored.contains(&"79001234567"),
        "{stored:?}"
    );
    let shown = find(browser, "#settings-form textarea[name=numbers]")
        .await?
        .prop("value")
        .await?;
    ensure!(
        shown
            .as_deref()
            .is_some_and(|s| s.contains("+447700900123")),
        "{shown:?}"
    );
    js(browser, "window.scrollTo(0, 0) || true").await?;
    screenshot(browser, "settings").await?;

    // A bad time zone is refused with the server's message, and nothing changes.
    let zone = find(browser, "#settings-form input[name=timezone]").await?;
    zone.clear().await?;
    zone.send_keys("Mars/Olympus").await?;
    find(browser, "#settings-form button[type=submit]")
        .await?
        .click()
        .await?;
    let error = find(browser, "#settings-form .error").await?.text().await?;
    ensure!(error.contains("Mars/Olympus"), "{error}");
    ensure!(app.store.site_timezone(app.site.id).await?.as_deref() == Some("Europe/Berlin"));

    // A new token is shown once and works.
    find(browser, "#new-token input[name=name]")
        .await?
        .send_keys("Maria (sales)")
        .await?;
    find(browser, "#new-token select[name=role]")
        .await?
        .select_by_value("analyst")
        .await?;
    find(browser, "#new-token button[type=submit]")
        .await?
        .click()
        .await?;
    let new_token = find(browser, "#new-token-value").await?.text().await?;
    ensure!(new_token.starts_with("crt_"), "{new_token}");
    let me = api(app, new_token.trim(), "/me").await?;
    ensure!(me["role"] == "analyst", "{me}");
    wait_for(
        browser,
        "document.getElementById('tokens').textContent.includes('Maria (sales)')",
    )
    .await?;
    Ok(())
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
