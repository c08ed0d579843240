//! Every page of the dashboard on phones (390 and 360 px) and on wide screens (1280, 1366 and
//! 1920 px): nothing scrolls the page sideways, no report widget clips a column, the heat map
//! shows all 24 hours in text that contrasts with its cells, every chart has a legend; on a
//! phone "Sign out" is on screen, the chart's labels are at least 11 px and the touch
//! targets at least 44 px high. Screenshots of each page at 390 and 1366 px go with the
//! others (`layout-<page>-<width>.png`).

use anyhow::{ensure, Context};
use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_token, TestApp};
use chatrail_tests::browser::Browser;
use serde_json::Value;

use super::{api, app_with_traffic, js, screenshot, settled, sign_in, viewport, wait_for};

/// Elements wider than the page, as `tag#id.class (right edge)`, or an empty list.
pub(super) const OVERFLOW: &str = "(() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > width + 0.5)
    .filter((e) => !e.closest('.scroll, .heat-frame'))
    .slice(0, 8)
    .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} (${Math.round(e.getBoundingClientRect().right)} > ${width})`)
    .concat([`scrollWidth ${document.documentElement.scrollWidth} > ${width}`]);
})()";

/// Touch targets lower than 44 px, as `tag "text" (height)`.
pub(super) const SMALL_TARGETS: &str = "[...document.querySelectorAll(
    'button, select, input:not([type=checkbox]):not([type=hidden]), summary, #nav a, .presets a, a.back, #dialogs td.when a')]
  .filter((e) => e.checkVisibility() && e.getBoundingClientRect().width > 0)
  .filter((e) => e.getBoundingClientRect().height < 43.5)
  .map((e) => `${e.tagName.toLowerCase()} \"${(e.textContent || e.name || '').trim().slice(0, 30)}\" (${e.getBoundingClientRect().height.toFixed(1)})`)";

/// The dynamics chart's labels as shown, in CSS pixels: its font size times the SVG's scale.
const CHART_LABEL_PX: &str = "(() => {
  const svg = document.getElementById('dynamics-chart');
  if (!svg) return 0;
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return Math.min(...[...svg.querySelectorAll('text')]
    .map((t) => parseFloat(getComputedStyle(t).fontSize) * scale));
})()";

/// Problems of the heat map and the report widgets at the current width, or an empty list.
const REPORT_PROBLEMS: &str = "(() => {
  const problems = [];
  const grid = document.getElementById('hours-grid');
  if (!grid) return ['no heat map'];
  const hours = [...grid.querySelectorAll('.hour-label')];
  if (hours.length !== 24) problems.push(`${hours.length} hour columns`);
  const cells = [...grid.querySelectorAll('.cell')];
  if (cells.length !== 7 * 24) problems.push(`${cells.length} cells`);
  const frame = grid.parentElement.getBoundingClientRect();
  for (const e of [...hours, ...cells]) {
    const r = e.getBoundingClientRect();
    if (r.right > frame.right + 0.5 || r.left < frame.left - 0.5) {
      problems.push(`heat map cut at hour ${e.textContent || e.dataset.hour}`);
      break;
    }
  }
  const rgb = (css) => css.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m); return (x + 0.05) / (y + 0.05); };
  for (const c of cells.filter((c) => c.textContent.trim())) {
    const s = getComputedStyle(c);
    const contrast = ratio(rgb(s.color), rgb(s.backgroundColor));
    if (contrast < 3) {
      problems.push(`cell ${c.dataset.day}/${c.dataset.hour} \"${c.textContent}\" contrast ${contrast.toFixed(2)}`);
      break;
    }
  }
  for (const box of document.querySelectorAll('#report-results .widget .scroll')) {
    if (box.scrollWidth > box.clientWidth + 1) {
      problems.push(`#${box.closest('.widget').id} clips: ${box.scrollWidth} > ${box.clientWidth}`);
    }
  }
  for (const id of ['dynamics', 'new-repeat', 'match-quality', 'hours']) {
    const legend = document.querySelector(`#${id} .legend`);
    if (!legend || !legend.checkVisibility() || !legend.innerText.trim()) problems.push(`#${id} has no legend`);
  }
  return problems;
})()";

async fn strings(browser: &Browser, script: &str) -> anyhow::Result<Vec<String>> {
    Ok(serde_json::from_value(js(browser, script).await?)?)
}

/// Every page at each of `widths` (at 1280 and 1920 px only the reports and the list):
/// signed out, the sign-in page, then signed in as `admin`, the list, an exact dialog's card,
/// the reports (once the heat map is drawn) and the settings. `check(name, width)` runs on
/// each page once it has rendered; its failure names the page and the width.
pub(super) async fn every_page(
    app: &TestApp,
    browser: &Browser,
    admin: &str,
    widths: &[u32],
    mut check: impl AsyncFnMut(&str, u32) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let card = exact_card(app, admin).await?;
    for &width in widths {
        viewport(browser, width).await?;
        let wide_only = width == 1280 || width == 1920;
        let mut pages: Vec<(&str, &str)> = vec![("reports", "#/reports"), ("dialogs", "#/dialogs")];
        if !wide_only {
            open(app, browser, "").await?;
            if js(browser, "!!document.getElementById('signout')").await? == Value::Bool(true) {
                super::find(browser, "#signout").await?.click().await?;
                settled(browser).await?;
            }
            open(app, browser, "#/").await?;
            check("sign-in", width)
                .await
                .with_context(|| format!("sign-in at {width} px"))?;
            sign_in(app, browser, admin).await?;
            pages = vec![
                ("dialogs", "#/dialogs"),
                ("card", &card),
                ("reports", "#/reports"),
                ("settings", "#/settings"),
            ];
        }
        for (name, hash) in pages {
            open(app, browser, hash).await?;
            if name == "reports" {
                wait_for(browser, "!!document.getElementById('hours-grid')").await?;
            }
            check(name, width)
                .await
                .with_context(|| format!("{name} at {width} px"))?;
        }
    }
    Ok(())
}

/// The dashboard's hash of an exact dialog's card.
pub(super) async fn exact_card(app: &TestApp, token: &str) -> anyhow::Result<String> {
    let matched = api(app, token, "/dialogs?match=exact&limit=1").await?;
    let id = matched["dialogs"][0]["dialog_id"].as_str();
    Ok(format!("#/dialogs/{}", id.context("an exact dialog")?))
}

/// Opens the dashboard at `hash` and waits for it to settle.
pub(super) async fn open(app: &TestApp, browser: &Browser, hash: &str) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/dashboard/{hash}", app.base))
        .await?;
    settled(browser).await
}

/// Checks the page on screen at the current width (under 700 px: as a phone).
async fn page(browser: &Browser, name: &str, width: u32) -> anyhow::Result<()> {
    let phone = width < 700;
    let inner = js(browser, "innerWidth").await?;
    ensure!(inner == width, "the viewport is {inner}, not {width}");
    if name == "reports" {
        if phone {
            // The chart is drawn again at the width it gets: its labels stay readable.
            wait_for(browser, &format!("{CHART_LABEL_PX} >= 11")).await?;
        }
        let mut problems = strings(browser, REPORT_PROBLEMS).await?;
        // On a phone a wide table may scroll inside its own box.
        problems.retain(|p| !(phone && p.contains(" clips: ")));
        ensure!(problems.is_empty(), "{name} at {width}: {problems:?}");
    }
    let overflow = strings(browser, OVERFLOW).await?;
    ensure!(
        overflow.is_empty(),
        "{name} at {width} scrolls sideways: {overflow:?}"
    );
    if phone {
        let small = strings(browser, SMALL_TARGETS).await?;
        ensure!(
            small.is_empty(),
            "{name} at {width}: targets under 44 px: {small:?}"
        );
        if name != "sign-in" {
            let reachable = js(
                browser,
                "(() => { const r = document.getElementById('signout').getBoundingClientRect();
                  return r.width > 0 && r.left >= 0 && r.right <= document.documentElement.clientWidth
                    && r.top >= 0 && r.bottom <= innerHeight; })()",
            )
            .await?;
            ensure!(
                reachable == Value::Bool(true),
                "{name} at {width}: Sign out is off screen"
            );
        }
    }
    if width == 390 || width == 1366 {
        js(browser, "window.scrollTo(0, 0) || true").await?;
        screenshot(browser, &format!("layout-{name}-{width}")).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_phones_and_wide_screens() {
    let app = app_with_traffic(3_000, 300).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let browser = Browser::start().await.expect("chromium starts");
    // Every page at 390, 360 and 1366 px; the reports and the list at the other widths.
    let result = every_page(
        &app,
        &browser,
        &admin,
        &[390, 360, 1366, 1280, 1920],
        async |name: &str, width: u32| page(&browser, name, width).await,
    )
    .await;
    let errors = browser.console_errors().await;
    browser.close().await.expect("browser closes");
    result.expect("every page fits");
    assert_eq!(errors.expect("console log"), Vec::<String>::new());
}
