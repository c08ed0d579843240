//! The dashboard's languages: every catalogue has the same messages with the same
//! placeholders; a browser that prefers Russian gets the dashboard in Russian, with no
//! English message left on any page and dates and numbers written the Russian way; the
//! switch changes the language and the choice outlives a reload.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{ensure, Context};
use chatrail_collector::domain::account::{new_invite, Email};
use chatrail_collector::domain::token::Role;
use chatrail_collector::routes::dashboard::LANGUAGES;
use chatrail_tests::accounts::{account_with_password, PASSWORD};
use chatrail_tests::app::{create_token, TestApp};
use chatrail_tests::browser::{Browser, DESKTOP_CHROME_UA};
use fantoccini::Locator;
use serde_json::{Map, Value};

use super::{
    api, app_with_traffic, find, js, screenshot, section_screenshot, settled, sign_in, texts,
    viewport, wait_for,
};

fn catalogue(code: &str) -> Map<String, Value> {
    let (_, text) = LANGUAGES
        .iter()
        .find(|(c, _)| *c == code)
        .unwrap_or_else(|| panic!("no {code} catalogue"));
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        other => panic!("{code}.json is not a JSON object: {other:?}"),
    }
}

/// The `{placeholders}` of a message (all its plural forms together).
fn placeholders(value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let texts: Vec<&str> = match value {
        Value::String(s) => vec![s],
        Value::Object(forms) => forms.values().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    for text in texts {
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            found.insert(rest[start + 1..start + len].to_owned());
            rest = &rest[start + len..];
        }
    }
    found
}

#[test]
fn every_catalogue_has_every_message() {
    let english = catalogue("en");
    assert!(
        LANGUAGES.iter().any(|(c, _)| *c == "ru"),
        "Russian is a language"
    );
    for (code, _) in LANGUAGES {
        let other = catalogue(code);
        let keys = |m: &Map<String, Value>| m.keys().cloned().collect::<BTreeSet<_>>();
        let missing: Vec<_> = keys(&english).difference(&keys(&other)).cloned().collect();
        let extra: Vec<_> = keys(&other).difference(&keys(&english)).cloned().collect();
        assert!(missing.is_empty(), "{code}.json lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{code}.json has keys en.json lacks: {extra:?}"
        );
        for (key, value) in &other {
            match value {
                Value::String(s) => assert!(!s.is_empty(), "{code}: {key} is empty"),
                Value::Object(forms) => assert!(
                    forms.get("other").is_some_and(Value::is_string)
                        && forms.keys().all(|f| {
                            ["zero", "one", "two", "few", "many", "other"].contains(&f.as_str())
                        }),
                    "{code}: {key} needs plural forms (CLDR names) with `other`"
                ),
                _ => panic!("{code}: {key} is neither text nor plural forms"),
            }
            assert_eq!(
                placeholders(value),
                placeholders(&english[key]),
                "{code}: {key} has other placeholders than in English"
            );
        }
    }
    // Every message the scripts ask for by name is in the catalogue.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../collector/dashboard");
    for entry in std::fs::read_dir(&dir).expect("dashboard files") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "js") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("a script");
        for call in ["t('", "tn('"] {
            for (at, _) in source.match_indices(call) {
                let rest = &source[at + call.len()..];
                let key = &rest[..rest.find('\'').unwrap_or(0)];
                let word_before = source[..at]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_');
                if !word_before {
                    assert!(
                        english.contains_key(key),
                        "{} asks for {key:?}, which en.json lacks",
                        path.display()
                    );
                }
            }
        }
    }
}

/// English messages that Russian words differently: none may be left on a Russian page.
pub(super) fn untranslated() -> Vec<String> {
    let (en, ru) = (catalogue("en"), catalogue("ru"));
    let mut untranslated: BTreeMap<String, ()> = BTreeMap::new();
    // (`_language`, the language's own name, is shown in every language: the switch.)
    for (key, value) in en.iter().filter(|(k, _)| !k.starts_with('_')) {
        let forms = |v: &Value| -> Vec<String> {
            match v {
                Value::String(s) => vec![s.clone()],
                Value::Object(f) => f
                    .values()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect(),
                _ => vec![],
            }
        };
        let russian = forms(&ru[key]);
        for text in forms(value) {
            if !text.contains('{') && !russian.contains(&text) {
                untranslated.insert(text, ());
            }
        }
    }
    untranslated.into_keys().collect()
}

/// Text on the page (text nodes, placeholders, labels for assistive tools) that is an
/// English message with a different Russian one.
pub(super) async fn english_left(
    browser: &Browser,
    untranslated: &[String],
) -> anyhow::Result<Vec<String>> {
    let list = serde_json::to_string(untranslated)?;
    let found = js(
        browser,
        &format!(
            "(() => {{
              const english = new Set({list});
              const seen = [];
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              while (walker.nextNode()) seen.push(walker.currentNode.textContent.trim());
              for (const e of document.querySelectorAll('[placeholder], [aria-label], [title]')) {{
                seen.push(e.getAttribute('placeholder'), e.getAttribute('aria-label'), e.getAttribute('title'));
              }}
              return [...new Set(seen.filter((s) => s && english.has(s.trim())))];
            }})()"
        ),
    )
    .await?;
    Ok(serde_json::from_value(found)?)
}

async fn walk_in_russian(
    app: &TestApp,
    browser: &Browser,
    admin: &str,
    untranslated: &[String],
) -> anyhow::Result<()> {
    let ru = catalogue("ru");
    let word = |key: &str| ru[key].as_str().unwrap_or_default().to_owned();
    let langs = js(browser, "navigator.languages.join(',')").await?;
    ensure!(
        langs.as_str().is_some_and(|l| l.starts_with("ru")),
        "the browser does not prefer Russian: {langs}"
    );
    // The sign-in page, before any choice was made.
    browser
        .client
        .goto(&format!("{}/dashboard/", app.base))
        .await?;
    settled(browser).await?;
    let title = find(browser, "#signin h1").await?.text().await?;
    ensure!(title == word("signin.title"), "{title}");
    ensure!(js(browser, "document.documentElement.lang").await? == "ru");
    let left = english_left(browser, untranslated).await?;
    ensure!(left.is_empty(), "sign-in: English left: {left:?}");

    sign_in(app, browser, admin).await?;
    let nav = find(browser, "#nav").await?.text().await?;
    ensure!(
        nav.contains(&word("nav.dialogs")) && nav.contains(&word("nav.signout")),
        "{nav}"
    );
    let matched = api(app, admin, "/dialogs?match=exact&limit=1").await?;
    let card = matched["dialogs"][0]["dialog_id"]
        .as_str()
        .context("an exact dialog")?;
    for hash in [
        "#/dialogs".to_owned(),
        format!("#/dialogs/{card}"),
        "#/reports".to_owned(),
        "#/settings".to_owned(),
    ] {
        browser
            .client
            .goto(&format!("{}/dashboard/{hash}", app.base))
            .await?;
        settled(browser).await?;
        if hash == "#/reports" {
            wait_for(browser, "!!document.getElementById('hours-grid')").await?;
        }
        let left = english_left(browser, untranslated).await?;
        ensure!(left.is_empty(), "{hash}: English left: {left:?}");
        if hash == "#/dialogs" {
            // Dates by Intl in Russian: month names in Cyrillic.
            let dates = texts(browser, "#dialogs td.when a").await?;
            ensure!(
                dates
                    .first()
                    .is_some_and(|d| d.chars().any(|c| ('а'..='я').contains(&c))),
                "dates not in Russian: {dates:?}"
            );
        }
        if hash == "#/reports" {
            // Numbers by Intl in Russian: a decimal comma and a space before the percent sign.
            let kpis = texts(browser, ".kpi b").await?;
            ensure!(
                kpis.iter()
                    .any(|k| k.contains(',') && k.ends_with("\u{a0}%")),
                "percentages not in Russian: {kpis:?}"
            );
            let heading = find(browser, "#dynamics h2").await?.text().await?;
            ensure!(heading.starts_with(&word("reports.by.day")), "{heading}");
        }
    }
    Ok(())
}

/// On a phone, in Russian (longer words than English): nothing scrolls sideways. The README's
/// phone screenshots.
async fn phone_screenshots(app: &TestApp, browser: &Browser, admin: &str) -> anyhow::Result<()> {
    let matched = api(app, admin, "/dialogs?match=exact&limit=1").await?;
    let card = matched["dialogs"][0]["dialog_id"]
        .as_str()
        .context("an exact dialog")?;
    viewport(browser, 390).await?;
    for (name, hash) in [
        ("dialogs", "#/dialogs"),
        ("reports", "#/reports"),
        ("settings", "#/settings"),
    ] {
        browser
            .client
            .goto(&format!("{}/dashboard/{hash}", app.base))
            .await?;
        settled(browser).await?;
        fits(browser, hash).await?;
        if name == "dialogs" {
            screenshot(browser, "phone-ru-dialogs").await?;
            browser
                .client
                .goto(&format!("{}/dashboard/#/dialogs/{card}", app.base))
                .await?;
            settled(browser).await?;
            fits(browser, "the card").await?;
            screenshot(browser, "phone-ru-card").await?;
        } else if name == "reports" {
            wait_for(browser, "!!document.getElementById('hours-grid')").await?;
            fits(browser, "the reports").await?;
            // Down to the chart: the period and the key figures above it.
            js(
                browser,
                "window.scrollTo(0, document.querySelector('.kpis').offsetTop - 8) || true",
            )
            .await?;
            screenshot(browser, "phone-ru-reports").await?;
        } else {
            section_screenshot(browser, "members", "phone-ru-people").await?;
        }
    }
    viewport(browser, 1366).await?;
    browser
        .client
        .goto(&format!("{}/dashboard/#/settings", app.base))
        .await?;
    settled(browser).await?;
    section_screenshot(browser, "members", "ru-people").await
}

async fn fits(browser: &Browser, page: &str) -> anyhow::Result<()> {
    let overflow: Vec<String> =
        serde_json::from_value(js(browser, super::layout::OVERFLOW).await?)?;
    ensure!(
        overflow.is_empty(),
        "{page} at 390 px in Russian: {overflow:?}"
    );
    Ok(())
}

async fn switch_languages(app: &TestApp, browser: &Browser) -> anyhow::Result<()> {
    let en = catalogue("en");
    let ru = catalogue("ru");
    browser
        .client
        .goto(&format!("{}/dashboard/#/dialogs", app.base))
        .await?;
    settled(browser).await?;
    // To English with the switch: the page follows, and the focus stays on the switch.
    find(browser, "#lang").await?.select_by_value("en").await?;
    let english_nav = en["nav.dialogs"].as_str().unwrap_or_default();
    wait_for(
        browser,
        &format!(
            "document.querySelector('#nav a').textContent === {english_nav:?} \
             && document.documentElement.lang === 'en'"
        ),
    )
    .await?;
    settled(browser).await?;
    let title = find(browser, "#main h1").await?.text().await?;
    ensure!(
        title == en["dialogs.title"].as_str().unwrap_or_default(),
        "{title}"
    );
    // Remembered on this device: a reload stays in English though the browser prefers Russian.
    browser.client.refresh().await?;
    settled(browser).await?;
    let nav = find(browser, "#nav a").await?.text().await?;
    ensure!(nav == english_nav, "after a reload: {nav}");
    ensure!(
        js(browser, "localStorage.getItem('chatrail.lang')").await? == "en",
        "the choice is not kept"
    );
    // And back to Russian.
    browser
        .client
        .find(Locator::Css("#lang"))
        .await?
        .select_by_value("ru")
        .await?;
    let russian_nav = ru["nav.dialogs"].as_str().unwrap_or_default();
    wait_for(
        browser,
        &format!("document.querySelector('#nav a').textContent === {russian_nav:?}"),
    )
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_speaks_the_browsers_language_and_switches() {
    let app = app_with_traffic(1_500, 150).await;
    let admin = create_token(&app.store, &app.site, Role::Admin).await;
    let untranslated = untranslated();
    // People in the settings: one with a password, one whose link is pending.
    account_with_password(
        &app,
        "anna@example.com",
        &[(&app.site, Role::Admin)],
        PASSWORD,
    )
    .await;
    let (_, hash, expires_at) = new_invite();
    let ivan = Email::parse("ivan@example.com").expect("an e-mail");
    app.store
        .add_member(
            &ivan,
            app.site.id,
            Role::Operator,
            (&hash, expires_at),
            None,
        )
        .await
        .expect("a member");

    let browser = Browser::start().await.expect("chromium starts");
    // What a browser set to Russian sends and says (`navigator.languages`).
    browser
        .cdp(
            "Network.setUserAgentOverride",
            serde_json::json!({"userAgent": DESKTOP_CHROME_UA, "acceptLanguage": "ru-RU,ru"}),
        )
        .await
        .expect("browser language");
    browser
        .client
        .set_window_size(1366, 1000)
        .await
        .expect("window size");
    let result = async {
        walk_in_russian(&app, &browser, &admin, &untranslated)
            .await
            .context("in Russian")?;
        phone_screenshots(&app, &browser, &admin)
            .await
            .context("on a phone")?;
        switch_languages(&app, &browser).await.context("the switch")
    }
    .await;
    let errors = browser.console_errors().await;
    browser.close().await.expect("browser closes");
    result.expect("two languages");
    assert_eq!(errors.expect("console log"), Vec::<String>::new());
}
