//! axe-core, run in the page, finds no serious or critical violation on any page of the
//! dashboard (sign-in, the dialogs list, a dialog's card, the reports, the settings with
//! its People) at 390 and 1366 px, in English and in Russian, with what folds (`details`)
//! open: as an admin sees them, as an operator and an analyst do (their pages, and the page
//! a role may not see), and the page of an invite link. The demo's pages are checked by
//! `tests/browser/demo.rs` with [`serious_violations`]. Each violation
//! is listed with its rule, impact, first targets, page, width and language. Before the
//! walk, axe must find the violations of a broken fragment put in the page (an image without
//! `alt`, a nameless button, faint text), which shows that it ran. A table box that scrolls
//! must be a focusable, named region (what axe's `scrollable-region-focusable` asks), and one
//! that fits must not be a Tab stop.
//!
//! axe-core is installed from npm, pinned, by `cargo xtask setup` (and `cargo xtask test`)
//! under `target/js-tools` (`crates/xtask/src/setup.rs`); `CHATRAIL_AXE` names another
//! `axe.min.js`.

use std::path::PathBuf;

use anyhow::{ensure, Context};
use chatrail_collector::domain::account::{new_invite, Email};
use chatrail_collector::domain::token::Role;
use chatrail_tests::app::{create_token, TestApp};
use chatrail_tests::browser::Browser;

use super::layout::{every_page, exact_card, open};
use super::{app_with_traffic, js, sign_in, viewport};

/// `axe.min.js`: `$CHATRAIL_AXE`, else the one `cargo xtask setup` installs.
pub(crate) fn axe_source() -> String {
    let path = std::env::var_os("CHATRAIL_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/js-tools/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is not installed at {} ({e}): `cargo xtask setup` (or `cargo xtask \
             test`) installs it, or set CHATRAIL_AXE to an axe.min.js",
            path.display()
        )
    })
}

/// The page's violations, one line each: `rule (impact, n nodes): first targets`.
const VIOLATIONS: &str = "axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations
  .map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes): ${v.nodes.slice(0, 4)
    .map((n) => n.target.join(' ')).join(' | ')}`))";

/// What axe finds in an image without a text alternative, a button without a name and faint
/// text, put in the page for the check and removed after it: `rule/impact`.
const BROKEN: &str = "(() => {
  const probe = document.createElement('div');
  probe.id = 'axe-probe';
  const [img, faint] = [document.createElement('img'), document.createElement('p')];
  img.src = '/dashboard/favicon.svg';
  faint.textContent = 'faint';
  faint.style.setProperty('color', '#d1d5db');
  faint.style.setProperty('background', '#fff');
  probe.append(img, document.createElement('button'), faint);
  document.body.append(probe);
  return axe.run(probe, {resultTypes: ['violations']})
    .then((r) => r.violations.map((v) => `${v.id}/${v.impact}`))
    .finally(() => probe.remove());
})()";

/// Table boxes that scroll but are not a focusable, named region, or that are one but fit
/// (a needless Tab stop): `#widget (scrolls: bool)`; and how many scroll.
const SCROLL_BOXES: &str = "(() => {
  const boxes = [...document.querySelectorAll('.scroll')];
  const scrolls = (b) => b.scrollWidth > b.clientWidth + 1 || b.scrollHeight > b.clientHeight + 1;
  const region = (b) => b.tabIndex === 0 && b.getAttribute('role') === 'region' && !!b.getAttribute('aria-label');
  return [boxes.filter((b) => scrolls(b) !== region(b))
    .map((b) => `#${b.parentElement.id || b.closest('[id]')?.id} (scrolls: ${scrolls(b)})`),
    boxes.filter(scrolls).length];
})()";

/// Puts axe in the page unless it is there (a new document since the last page).
async fn inject(browser: &Browser, axe: &str) -> anyhow::Result<()> {
    if js(browser, "typeof window.axe").await? != "object" {
        browser.client.execute(axe, vec![]).await?;
    }
    ensure!(
        js(browser, "typeof window.axe?.run").await? == "function",
        "axe did not load"
    );
    Ok(())
}

async fn violations(browser: &Browser, axe: &str, script: &str) -> anyhow::Result<Vec<String>> {
    inject(browser, axe).await?;
    Ok(serde_json::from_value(js(browser, script).await?)?)
}

/// The serious and critical violations axe finds on the page as it is, with what folds
/// (`details`) opened first, each line starting with `page`; the moderate and minor ones are
/// printed, not returned.
pub(crate) async fn serious_violations(
    browser: &Browser,
    axe: &str,
    page: &str,
) -> anyhow::Result<Vec<String>> {
    js(
        browser,
        "document.querySelectorAll('details:not([open])').forEach((d) => { d.open = true; }) || true",
    )
    .await?;
    let all = violations(browser, axe, VIOLATIONS)
        .await
        .context("axe.run")?;
    let mut found = Vec::new();
    for v in all {
        let line = format!("{page}: {v}");
        if v.contains("(serious, ") || v.contains("(critical, ") {
            found.push(line);
        } else {
            eprintln!("axe (not failing): {line}");
        }
    }
    Ok(found)
}

/// The pages an operator and an analyst see (by their tokens), the page of the role they
/// lack, and the page of an invite link, at `widths`: the serious violations, and how many
/// pages were checked.
async fn other_roles(
    app: &TestApp,
    browser: &Browser,
    axe: &str,
    admin: &str,
    language: &str,
) -> anyhow::Result<(Vec<String>, u32)> {
    let analyst = create_token(&app.store, &app.site, Role::Analyst).await;
    let card = exact_card(app, admin).await?;
    let roles = [
        (
            "operator",
            app.token.as_str(),
            vec!["#/dialogs", &card, "#/reports"],
        ),
        ("analyst", analyst.as_str(), vec!["#/reports", "#/settings"]),
    ];
    let (mut found, mut checked) = (Vec::new(), 0);
    for width in [390, 1366] {
        viewport(browser, width).await?;
        for (role, token, pages) in &roles {
            sign_in(app, browser, token).await?;
            for hash in pages {
                open(app, browser, hash).await?;
                let page = format!("{role} {hash} at {width} px in {language}");
                found.extend(serious_violations(browser, axe, &page).await?);
                checked += 1;
            }
        }
        js(
            browser,
            "document.getElementById('signout')?.click() || true",
        )
        .await?;
        let (token, _, _) = new_invite();
        open(app, browser, &format!("#invite={token}")).await?;
        super::find(browser, "#invite").await?;
        let page = format!("an invite link at {width} px in {language}");
        found.extend(serious_violations(browser, axe, &page).await?);
        checked += 1;
    }
    Ok((found, checked))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_serious_or_critical_violation_on_any_page() {
    let axe = axe_source();
    let app = app_with_traffic(1_500, 150).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    // People in the settings' list, each row with its buttons.
    for (email, role) in [
        ("ann@example.com", Role::Admin),
        ("op@example.com", Role::Operator),
    ] {
        let (_, hash, expires_at) = new_invite();
        let email = Email::parse(email).expect("an e-mail");
        app.store
            .add_member(&email, app.site.id, role, (&hash, expires_at), None)
            .await
            .expect("a member");
    }
    let browser = Browser::start().await.expect("chromium starts");
    let mut found: Vec<String> = Vec::new();
    let mut checked = 0;
    let result = async {
        for language in ["en", "ru"] {
            browser
                .client
                .goto(&format!("{}/dashboard/", app.base))
                .await?;
            js(
                &browser,
                &format!("localStorage.setItem('chatrail.lang', '{language}') || true"),
            )
            .await?;
            every_page(
                &app,
                &browser,
                &admin,
                &[390, 1366],
                async |name: &str, width: u32| {
                    let lang = js(&browser, "document.documentElement.lang").await?;
                    ensure!(lang == language, "the page is in {lang}, not {language}");
                    if checked == 0 {
                        let broken = violations(&browser, &axe, BROKEN).await?;
                        ensure!(
                            [
                                "image-alt/critical",
                                "button-name/critical",
                                "color-contrast/serious",
                            ]
                            .iter()
                            .all(|v| broken.iter().any(|b| b == v)),
                            "axe missed the broken fragment's violations: {broken:?}"
                        );
                    }
                    let (wrong, scrolling): (Vec<String>, u32) =
                        serde_json::from_value(js(&browser, SCROLL_BOXES).await?)?;
                    ensure!(wrong.is_empty(), "scroll boxes: {wrong:?}");
                    // On a phone the reports' tables scroll in their boxes.
                    ensure!(
                        !(name == "reports" && width == 390) || scrolling > 0,
                        "no report table scrolls at 390 px"
                    );
                    // What folds (the filters on a phone, advanced options) is checked open.
                    let page = format!("{name} at {width} px in {language}");
                    found.extend(serious_violations(&browser, &axe, &page).await?);
                    checked += 1;
                    Ok(())
                },
            )
            .await?;
            let (more, pages) = other_roles(&app, &browser, &axe, &admin, language).await?;
            found.extend(more);
            checked += pages;
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    let errors = browser.console_errors().await;
    browser.close().await.expect("browser closes");
    result.expect("every page checked");
    // In 2 languages at 2 widths: the admin's 5 pages, the operator's 3, the analyst's 2
    // and an invite link's.
    assert_eq!(checked, 2 * 2 * (5 + 3 + 2 + 1), "pages checked");
    assert!(
        found.is_empty(),
        "axe found {} serious or critical violations:\n{}",
        found.len(),
        found.join("\n")
    );
    assert_eq!(errors.expect("console log"), Vec::<String>::new());
}
