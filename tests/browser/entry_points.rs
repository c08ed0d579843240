//! Every way a visitor opens a chat, one fixture page each, in real headless Chromium: the
//! URL the browser was sent to carries the session code, and the collector stored the
//! beacons (read back from its database). Snippet behaviour does not depend on the
//! backend, so these run on SQLite only.

use std::time::Duration;

use anyhow::{bail, Context};
use chatrail_collector::domain::site::{NewSite, SiteInput};
use chatrail_collector::domain::token::Role;
use chatrail_core::code::find_codes;
use chatrail_core::links::{chat_link, parse_chat_link};
use chatrail_tests::app::{
    create_token, spawn_app, whatsapp_text, Backend, TestApp, APP_SECRET, PHONE_NUMBER_ID,
};
use chatrail_tests::browser::Browser;
use chatrail_tests::pages;
use fantoccini::Locator;
use serde_json::{json, Value};
use sqlx::SqlitePool;

/// A collector with the site `studio` (the tracked number, a Telegram bot, page rules), a
/// browser, and a fixture server for the pages of one test.
pub(crate) struct Fixture {
    pub(crate) app: TestApp,
    /// An operator token of the studio site, whose pages the tests open.
    pub(crate) studio_token: String,
    pub(crate) db: SqlitePool,
    pub(crate) browser: Browser,
    pub(crate) port: u16,
}

pub(crate) const TRACKED: &str = "79001234567";

pub(crate) fn page(collector: &str, body: &str) -> String {
    page_with(collector, body, "")
}

pub(crate) fn page_with(collector: &str, body: &str, script_attrs: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body>
{body}
<script async src="{collector}/t.js" data-site="studio" {script_attrs}></script>
</body></html>"#
    )
}

impl Fixture {
    pub(crate) async fn start(pages: impl FnOnce(&str) -> Vec<(&'static str, String)>) -> Fixture {
        let app = spawn_app(Backend::Sqlite).await;
        let site = NewSite::parse(SiteInput {
            key: "studio".into(),
            domains: vec!["studio.test".into()],
            // The number (and Cloud API id) the test app's webhooks are addressed to.
            numbers: vec![format!("+7 (900) 123-45-67={PHONE_NUMBER_ID}")],
            wa_app_secret: Some(APP_SECRET.into()),
            bots: vec!["@Studio_Bot".into()],
            pages: vec!["/kids/*=Kids photo shoot?".into()],
            page_templates: vec!["/ru/*={text} (код {code})".into()],
            ..SiteInput::default()
        })
        .unwrap();
        let db = SqlitePool::connect(&app.database_url).await.unwrap();
        // A number has one owner: the studio takes it from the test app's own site.
        sqlx::query("DELETE FROM tracked_numbers WHERE number = '79001234567'")
            .execute(&db)
            .await
            .unwrap();
        let studio = app.store.create_site(&site).await.unwrap();
        let studio_token = create_token(&app.store, &studio, Role::Operator).await;
        let pages = pages(&app.base)
            .into_iter()
            .map(|(path, html)| (path.to_owned(), html))
            .collect();
        let port = pages::serve(pages).await.unwrap();
        let browser = Browser::start().await.expect("chromium starts");
        Fixture {
            app,
            studio_token,
            db,
            browser,
            port,
        }
    }

    /// A WhatsApp chat `id` that starts with `text`, now, by the studio's webhook; its card.
    pub(crate) async fn chat(&self, id: &str, text: &str) -> anyhow::Result<Value> {
        let body = whatsapp_text(id, "447911123456", "Ana", text, now_s());
        let report: Value = self.app.post_whatsapp(&body).await.json().await?;
        let dialog = report["dialogs"][0].as_str().context("a dialog")?;
        let card = self
            .app
            .http
            .get(format!("{}/api/v1/dialogs/{dialog}", self.app.base))
            .bearer_auth(&self.studio_token)
            .send()
            .await?
            .json()
            .await?;
        Ok(card)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.port)
    }

    pub(crate) async fn open(&self, path: &str) -> anyhow::Result<()> {
        self.browser.client.goto(&self.url(path)).await?;
        Ok(())
    }

    pub(crate) async fn href(&self, id: &str) -> anyhow::Result<String> {
        let link = self.browser.client.find(Locator::Id(id)).await?;
        link.attr("href").await?.context("link without href")
    }

    /// Clicks `#id` as a visitor does.
    pub(crate) async fn click(&self, id: &str) -> anyhow::Result<()> {
        self.browser
            .client
            .find(Locator::Id(id))
            .await?
            .click()
            .await?;
        Ok(())
    }

    /// Waits until the snippet has tagged `#id` (its href carries a session code).
    pub(crate) async fn tagged(&self, id: &str) -> anyhow::Result<String> {
        for _ in 0..100 {
            // The link may not be there yet.
            let href = self.href(id).await.unwrap_or_default();
            if parse_chat_link(&href).is_some_and(|l| l.text.is_some_and(|t| has_code(&t))) {
                return Ok(href);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("#{id} was not tagged: {}", self.href(id).await?)
    }

    /// Waits until `#id`'s href is one that `ok` accepts, and returns it.
    pub(crate) async fn href_when(
        &self,
        id: &str,
        ok: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        for _ in 0..100 {
            let href = self.href(id).await.unwrap_or_default();
            if ok(&href) {
                return Ok(href);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("#{id} kept {}", self.href(id).await?)
    }

    /// Waits until the snippet tracks the number on this page (the site's config is in),
    /// and returns a chat URL from its JS API, which carries the session code.
    pub(crate) async fn tagged_by_api(&self) -> anyhow::Result<String> {
        for _ in 0..100 {
            let url = self
                .js("return new Promise(r => chatrail.ready(() => r(chatrail.url('79001234567'))))")
                .await?;
            let url = url.as_str().unwrap_or_default();
            if has_code(&text_of(url)) {
                return Ok(url.to_owned());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the JS API gave no tracked chat URL")
    }

    pub(crate) async fn js(&self, script: &str) -> anyhow::Result<Value> {
        Ok(self.browser.client.execute(script, vec![]).await?)
    }

    /// The stored clicks whose page URL contains `page`: (number, kind, page_url, code).
    pub(crate) async fn clicks(&self, page: &str) -> Vec<(String, String, String, String)> {
        sqlx::query_as(
            "SELECT number, kind, page_url, code FROM clicks WHERE page_url LIKE '%' || $1 || '%' \
             ORDER BY clicked_at",
        )
        .bind(page)
        .fetch_all(&self.db)
        .await
        .unwrap()
    }

    /// Waits until `n` clicks from `page` are stored, and returns them.
    pub(crate) async fn wait_clicks(
        &self,
        page: &str,
        n: usize,
    ) -> Vec<(String, String, String, String)> {
        for _ in 0..100 {
            let rows = self.clicks(page).await;
            if rows.len() >= n {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{n} clicks from {page} were not stored: {:?}",
            self.clicks(page).await
        )
    }

    /// The stored sessions whose landing page contains `page`: (code, pageviews).
    pub(crate) async fn sessions(&self, page: &str) -> Vec<(String, i64)> {
        sqlx::query_as(
            "SELECT code, pageviews FROM sessions WHERE landing_page LIKE '%' || $1 || '%' \
             ORDER BY started_at",
        )
        .bind(page)
        .fetch_all(&self.db)
        .await
        .unwrap()
    }

    pub(crate) async fn wait_sessions(&self, page: &str, n: usize) -> Vec<(String, i64)> {
        for _ in 0..100 {
            let rows = self.sessions(page).await;
            if rows.len() >= n {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} sessions from {page} were not stored")
    }

    /// Waits until the session with `code` has page views that `ok` accepts; returns them.
    pub(crate) async fn wait_pageviews(&self, code: &str, ok: impl Fn(i64) -> bool) -> i64 {
        let mut last = None;
        for _ in 0..100 {
            let row: Option<(i64,)> =
                sqlx::query_as("SELECT pageviews FROM sessions WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&self.db)
                    .await
                    .unwrap();
            last = row.map(|r| r.0);
            if let Some(n) = last.filter(|&n| ok(n)) {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the session {code} has {last:?} page views")
    }

    /// Ends the test: no script errors on any page, the browser closed.
    pub(crate) async fn finish(self, result: anyhow::Result<()>) {
        let errors = self.browser.console_log().await;
        self.browser.close().await.expect("browser closes");
        result.expect("scenario");
        let script_errors: Vec<String> = errors
            .expect("console log readable")
            .into_iter()
            .filter(|e| e.level == "SEVERE" && e.source != "network")
            .map(|e| e.message)
            .collect();
        assert_eq!(script_errors, Vec::<String>::new());
    }
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub(crate) fn has_code(text: &str) -> bool {
    !find_codes(text).is_empty()
}

/// The prefilled text (or start payload) of a chat link.
pub(crate) fn text_of(url: &str) -> String {
    parse_chat_link(url)
        .and_then(|l| l.text)
        .unwrap_or_default()
}

/// The one code in a chat link.
pub(crate) fn code_of(url: &str) -> String {
    let codes = find_codes(&text_of(url));
    assert_eq!(codes.len(), 1, "{url}");
    codes[0].as_str().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_in_the_page_are_tagged_and_counted() {
    let f = Fixture::start(|c| {
        vec![
            (
                "/static",
                page(
                    c,
                    r#"<a id="plain" href="https://wa.me/79001234567">Chat</a>
<a id="existing" href="https://wa.me/+7-900-123-45-67?text=Is%20the%20oak%20table%20in%20stock%3F">Ask</a>
<a id="starter" data-chatrail-text="Is there a slot tomorrow?" href="https://wa.me/79001234567">Book</a>
<a id="untracked" href="https://wa.me/15551234567?text=Hi">Other</a>"#,
                ),
            ),
            (
                "/kids/prices",
                page(c, r#"<a id="rule" href="https://api.whatsapp.com/send/?phone=79001234567&type=phone_number&app_absent=0">Ask</a>"#),
            ),
            (
                "/landing",
                page(c, r#"<a id="l" href="https://wa.me/79001234567?text=Hi">Chat</a>"#),
            ),
            (
                "/ad",
                r#"<!doctype html><html><body><a id="go" href="">Go</a>
<script>document.getElementById("go").href = decodeURIComponent(location.hash.slice(1));</script>
</body></html>"#
                    .to_owned(),
            ),
            (
                "/blocked",
                format!(
                    r#"<!doctype html><html><body>
<script>Object.defineProperty(window, "localStorage", {{ get: function () {{ throw new Error("blocked"); }} }});</script>
<a id="l" href="https://wa.me/79001234567">Chat</a>
<script async src="{c}/t.js" data-site="studio"></script></body></html>"#
                ),
            ),
            (
                "/forms",
                page(
                    c,
                    r#"<a id="wa" href="https://wa.me/79001234567?text=a%2Bb">1</a>
<a id="api" href="https://api.whatsapp.com/send?phone=%2B79001234567&text=Hi">2</a>
<a id="web" href="https://web.whatsapp.com/send?phone=79001234567">3</a>
<a id="app" href="whatsapp://send?phone=+79001234567&text=Hi">4</a>
<a id="intent" href="intent://send?phone=79001234567#Intent;scheme=whatsapp;package=com.whatsapp;end">5</a>
<a id="tg" href="https://t.me/studio_bot">6</a>
<a id="message" href="https://wa.me/message/ABCDEFGHIJK1">7</a>
<a id="other_bot" href="https://t.me/other_bot">8</a>
<a id="tgapp" href="tg://resolve?domain=Studio_Bot">9</a>
<script>document.addEventListener("click", function (e) { e.preventDefault(); });</script>"#,
                ),
            ),
            (
                // A web component's link, in its shadow root: out of the page's DOM, so
                // neither scanned nor observed, but its click reaches the window.
                "/shadow",
                page(
                    c,
                    r#"<chat-button id="shadow"></chat-button>
<script>customElements.define("chat-button", class extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" }).innerHTML =
      '<a href="https://wa.me/79001234567" data-chatrail-text="Is it in stock?" style="display:block;padding:20px">Chat</a>';
  }
});</script>"#,
                ),
            ),
        ]
    })
    .await;
    let result = async {
        // A static link, tagged at load; a real click goes where the tag says.
        f.open("/static").await?;
        let plain = f.tagged("plain").await?;
        assert_eq!(
            f.browser.click_and_capture_navigation("#plain").await?,
            plain
        );
        let code = code_of(&plain);
        assert_eq!(text_of(&plain), format!("(ref {code})"));
        let clicks = f.wait_clicks("/static", 1).await;
        assert_eq!(clicks[0].0, TRACKED);
        assert_eq!(clicks[0].1, "wa.me");
        assert_eq!(clicks[0].2, f.url("/static"));
        assert_eq!(clicks[0].3, code);
        assert_eq!(f.wait_sessions("/static", 1).await[0].0, code);
        // The visit carries the browser's screen, language and time zone (looked up when
        // the beacon is sent, after the tagging).
        let browser_said = f
            .js("return [screen.width, navigator.language, \
                 Intl.DateTimeFormat().resolvedOptions().timeZone]")
            .await?;
        let stored: (Option<i64>, Option<String>, Option<String>) = sqlx::query_as(
            "SELECT screen_w, language, timezone FROM sessions WHERE code = $1",
        )
        .bind(&code)
        .fetch_one(&f.db)
        .await?;
        assert_eq!(
            serde_json::to_value(&stored)?,
            browser_said,
            "the visit's screen, language and time zone"
        );
        // The browser's new ids are UUIDv7s of now, so the collector's indexes take new
        // visitors, sessions and clicks at their end.
        let ids: (uuid::Uuid, uuid::Uuid, uuid::Uuid) = sqlx::query_as(
            "SELECT s.visitor_id, s.session_id, c.click_id FROM sessions s \
             JOIN clicks c ON c.session_id = s.session_id WHERE s.code = $1",
        )
        .bind(&code)
        .fetch_one(&f.db)
        .await?;
        for id in [ids.0, ids.1, ids.2] {
            let at = id.get_timestamp().map(|t| t.to_unix().0 as i64);
            assert_eq!(id.get_version_num(), 7, "{id} is not a UUIDv7");
            assert!(
                at.is_some_and(|at| (at - now_s()).abs() < 600),
                "{id} says {at:?}, not now"
            );
        }
        f.browser.client.back().await?;

        // The link's own text is kept; a starter fills a link without one; keyboard works.
        let existing = f.tagged("existing").await?;
        assert_eq!(
            text_of(&existing),
            format!("Is the oak table in stock? (ref {code})")
        );
        let starter = f.tagged("starter").await?;
        assert_eq!(
            text_of(&starter),
            format!("Is there a slot tomorrow? (ref {code})")
        );
        let link = f.browser.client.find(Locator::Id("starter")).await?;
        link.send_keys("\u{e007}").await?; // Enter
        f.wait_clicks("/static", 2).await;
        f.browser.client.back().await?;

        // An untracked number is left alone and not counted, even on a middle click.
        f.tagged("plain").await?;
        let untracked = "https://wa.me/15551234567?text=Hi";
        assert_eq!(f.href("untracked").await?, untracked);
        f.js(r#"document.getElementById("plain").dispatchEvent(new MouseEvent("auxclick", {button: 1, bubbles: true}));
document.getElementById("untracked").dispatchEvent(new MouseEvent("auxclick", {button: 1, bubbles: true}));"#)
            .await?;
        let clicks = f.wait_clicks("/static", 3).await;
        assert!(clicks.iter().all(|c| c.0 == TRACKED), "{clicks:?}");
        assert_eq!(
            f.browser.click_and_capture_navigation("#untracked").await?,
            untracked
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(f.clicks("/static").await.len(), 3);

        // A page rule's starter phrase; the api.whatsapp.com parameters are kept.
        f.open("/kids/prices").await?;
        let rule = f.tagged("rule").await?;
        assert!(
            rule.starts_with("https://api.whatsapp.com/send/?phone=79001234567&type=phone_number&app_absent=0&text=Kids%20photo%20shoot%3F%20(ref%20"),
            "{rule}"
        );
        assert_eq!(f.browser.click_and_capture_navigation("#rule").await?, rule);

        // Storage blocked: ids in memory, links tagged, the visit stored.
        f.open("/blocked").await?;
        let blocked = f.tagged("l").await?;
        assert_eq!(f.wait_sessions("/blocked", 1).await[0].0, code_of(&blocked));

        // A visitor who comes back from another campaign gets a new session (and code) on
        // another origin's storage; the card keeps both the first and the last touch.
        let landing = |campaign: &str| {
            format!(
                "http://127.0.0.1:{}/landing?utm_source=ads&utm_campaign={campaign}",
                f.port
            )
        };
        let from_ad = |campaign: &str| {
            let target: String = url::form_urlencoded::byte_serialize(landing(campaign).as_bytes()).collect();
            format!("http://localhost:{}/ad#{target}", f.port)
        };
        f.browser.client.goto(&from_ad("autumn")).await?;
        f.click("go").await?;
        let first = code_of(&f.tagged("l").await?);
        f.wait_sessions("campaign=autumn", 1).await;
        f.browser.client.goto(&landing("autumn")).await?;
        assert_eq!(code_of(&f.tagged("l").await?), first, "the same campaign goes on");
        f.browser.client.goto(&from_ad("winter")).await?;
        f.click("go").await?;
        f.wait_sessions("campaign=winter", 1).await;
        let sent = f.browser.click_and_capture_navigation("#l").await?;
        assert_ne!(code_of(&sent), first, "a new campaign starts a new session");
        f.wait_clicks("campaign=winter", 1).await;
        let card = f.chat("wamid.touch", &text_of(&sent)).await?;
        assert_eq!(card["session"]["utm_campaign"], "winter", "{card}");
        assert_eq!(card["visitor"]["first_touch"]["utm_campaign"], "autumn", "{card}");
        assert_eq!(card["visitor"]["sessions_before_chat"], 2, "{card}");

        // Every link form: tagged, and each click counted with its kind.
        f.open("/forms").await?;
        let wa = f.tagged("wa").await?;
        assert!(text_of(&wa).starts_with("a+b (ref "), "{wa}");
        assert!(wa.contains("text=a%2Bb%20(ref%20"), "+ survives as %2B: {wa}");
        for id in ["api", "web", "app", "intent"] {
            let href = f.tagged(id).await?;
            assert_eq!(parse_chat_link(&href).unwrap().number.as_deref(), Some(TRACKED));
        }
        assert!(f.href("intent").await?.ends_with("#Intent;scheme=whatsapp;package=com.whatsapp;end"));
        let tg = f.href("tg").await?;
        assert_eq!(tg, format!("https://t.me/studio_bot?start={}", code_of(&tg)));
        assert_eq!(f.href("message").await?, "https://wa.me/message/ABCDEFGHIJK1");
        assert_eq!(f.href("other_bot").await?, "https://t.me/other_bot");
        assert_eq!(
            f.href("tgapp").await?,
            format!("tg://resolve?domain=Studio_Bot&start={}", code_of(&tg))
        );
        for id in ["wa", "api", "web", "app", "intent", "tg", "message", "other_bot", "tgapp"] {
            f.click(id).await?;
        }
        let clicks = f.wait_clicks("/forms", 8).await;
        let mut kinds: Vec<(&str, &str)> = clicks.iter().map(|c| (c.0.as_str(), c.1.as_str())).collect();
        kinds.sort_unstable_by_key(|k| k.1);
        assert_eq!(
            kinds,
            [
                (TRACKED, "api.whatsapp.com"),
                (TRACKED, "intent"),
                ("@studio_bot", "t.me"),
                ("@studio_bot", "tg"),
                (TRACKED, "wa.me"),
                ("", "wa.me/message"),
                (TRACKED, "web.whatsapp.com"),
                (TRACKED, "whatsapp"),
            ]
        );

        // A link in a shadow root is tagged when clicked, with its own starter text, and
        // counted.
        f.open("/shadow").await?;
        let code = code_of(&f.tagged_by_api().await?);
        let sent = f.browser.click_and_capture_navigation("#shadow").await?;
        assert_eq!(text_of(&sent), format!("Is it in stock? (ref {code})"), "{sent}");
        let clicks = f.wait_clicks("/shadow", 1).await;
        assert_eq!((clicks[0].0.as_str(), clicks[0].3.as_str()), (TRACKED, code.as_str()));
        Ok(())
    }
    .await;
    f.finish(result).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_chats_opened_by_scripts_are_tagged() {
    let f = Fixture::start(|c| {
        vec![
            (
                "/late",
                page(
                    c,
                    r#"<div id="box"></div>
<a id="changed" href="https://example.com/contact">Contact</a>
<script>
setTimeout(function () {
  var a = document.createElement("a");
  a.id = "late"; a.href = "https://wa.me/79001234567?text=Late"; a.textContent = "late";
  document.getElementById("box").appendChild(a);
}, 400);
document.getElementById("changed").addEventListener("click", function () {
  this.href = "https://wa.me/79001234567?text=Built%20on%20click";
});
</script>"#,
                ),
            ),
            (
                "/widget",
                page(
                    c,
                    r#"<button id="widget" onclick="window.open('https://api.whatsapp.com/send?phone=79001234567&text=Widget', '_blank')">Chat</button>"#,
                ),
            ),
            (
                "/spa",
                page(
                    c,
                    r#"<a id="spa" href="https://wa.me/79001234567">Chat</a>
<button id="nav" onclick="history.pushState({}, '', '/kids/party?tab=1')">Kids</button>"#,
                ),
            ),
        ]
    })
    .await;
    let result = async {
        // A link added later (MutationObserver) and an href built in the page's own click
        // handler (after ours, in the capture phase).
        f.open("/late").await?;
        let late = f.tagged("late").await?;
        assert!(text_of(&late).starts_with("Late (ref "), "{late}");
        assert_eq!(f.browser.click_and_capture_navigation("#late").await?, late);
        f.browser.client.back().await?;
        f.tagged("late").await?;
        let sent = f.browser.click_and_capture_navigation("#changed").await?;
        assert!(text_of(&sent).starts_with("Built on click (ref "), "{sent}");
        let clicks = f.wait_clicks("/late", 2).await;
        assert_eq!(
            clicks[1].3,
            code_of(&sent),
            "the href built on click is counted"
        );

        // A chat widget that opens WhatsApp with window.open.
        f.open("/widget").await?;
        f.js("return new Promise(r => chatrail.ready(() => r(1)))")
            .await?;
        let opened = f.browser.click_and_capture_navigation("#widget").await?;
        assert!(text_of(&opened).starts_with("Widget (ref "), "{opened}");
        let clicks = f.wait_clicks("/widget", 1).await;
        assert_eq!(
            (clicks[0].1.as_str(), clicks[0].3.clone()),
            ("api.whatsapp.com", code_of(&opened))
        );

        // A single-page app: pushState is a page view of the same session, links follow the
        // new page's rule, and the page of contact is the URL at click time.
        f.open("/spa").await?;
        let before = f.tagged("spa").await?;
        let code = code_of(&before);
        assert_eq!(text_of(&before), format!("(ref {code})"));
        // The visit of this page is in (the session goes on from the pages before).
        let views = f.wait_pageviews(&code, |_| true).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let views = views.max(f.wait_pageviews(&code, |_| true).await);
        // A copy of the tagged link, put in the page after the next page view.
        f.js("window.copy = document.getElementById('spa').cloneNode(true); copy.id = 'copy'")
            .await?;
        f.click("nav").await?;
        let mut after = String::new();
        for _ in 0..100 {
            after = f.href("spa").await?;
            if text_of(&after).starts_with("Kids photo shoot?") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            text_of(&after),
            format!("Kids photo shoot? (ref {})", code_of(&before))
        );
        // The copy is recognised as the same link (its href is an old tagged one), and a
        // tagged link whose href the page changes is tagged again from the new href.
        f.js("document.body.appendChild(copy); \
              document.getElementById('spa').href = 'https://wa.me/79001234567?text=New'")
            .await?;
        assert_eq!(f.href_when("copy", |h| h != before).await?, after);
        let changed = f.href_when("spa", |h| h.contains("New")).await?;
        assert_eq!(text_of(&changed), format!("New (ref {code})"));
        f.js("document.getElementById('spa').href = copy.href")
            .await?;
        assert_eq!(f.browser.click_and_capture_navigation("#spa").await?, after);
        let clicks = f.wait_clicks("/kids/party", 1).await;
        assert_eq!(clicks[0].2, f.url("/kids/party?tab=1"));
        assert_eq!(clicks[0].3, code);
        f.wait_pageviews(&code, |n| n == views + 1).await;
        Ok(())
    }
    .await;
    f.finish(result).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_api_globals_and_an_unreachable_collector() {
    let f = Fixture::start(|c| {
        vec![
            (
                "/consent",
                page_with(
                    c,
                    r#"<a id="l" href="https://wa.me/79001234567?text=Hi">Chat</a>"#,
                    r#"data-consent="required""#,
                ),
            ),
            (
                "/api",
                format!(
                    r#"<!doctype html><html><body>
<script>window.before = Object.getOwnPropertyNames(window);
document.addEventListener("chatrail:ready", function (e) {{ window.readyEvent = !!e.detail.url; }});</script>
<a id="l" href="https://wa.me/79001234567">Chat</a>
<script async src="{c}/t.js" data-site="studio"></script>
<script async src="{c}/t.js" data-site="studio"></script>
</body></html>"#
                ),
            ),
            (
                "/down",
                page(c, r#"<a id="l" href="https://wa.me/79001234567?text=Down">Chat</a>"#),
            ),
            (
                // A site key the collector does not know: every beacon is refused (404).
                "/refused",
                page(c, r#"<a id="l" href="https://wa.me/79001234567">Chat</a>"#)
                    .replace(r#"data-site="studio""#, r#"data-site="no-such-site""#),
            ),
        ]
    })
    .await;
    let result = async {
        // Consent mode: nothing stored, sent or tagged until the page consents.
        f.open("/consent").await?;
        f.js("return new Promise(r => chatrail.ready(() => r(1)))")
            .await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(f.href("l").await?, "https://wa.me/79001234567?text=Hi");
        assert_eq!(f.js("return localStorage.length").await?, json!(0));
        assert_eq!(f.js("return chatrail.code").await?, Value::Null);
        assert!(f.sessions("/consent").await.is_empty());
        f.js("chatrail.consent(true)").await?;
        let tagged = f.tagged("l").await?;
        assert_eq!(f.js("return chatrail.code").await?, json!(code_of(&tagged)));
        assert_eq!(f.wait_sessions("/consent", 1).await[0].0, code_of(&tagged));
        assert_eq!(f.browser.click_and_capture_navigation("#l").await?, tagged);
        f.wait_clicks("/consent", 1).await;
        f.browser.client.back().await?;
        // Withdrawn: links restored, the visitor forgotten.
        f.js("return new Promise(r => chatrail.ready(() => r(1)))")
            .await?;
        f.js("chatrail.consent(true); chatrail.consent(false)")
            .await?;
        assert_eq!(f.href("l").await?, "https://wa.me/79001234567?text=Hi");
        assert_eq!(
            f.js("return localStorage.getItem('chatrail:v')").await?,
            Value::Null
        );

        // The JS API, one instance when loaded twice, and no global but `chatrail`.
        f.open("/api").await?;
        let tagged = f.tagged("l").await?;
        let code = code_of(&tagged);
        assert_eq!(f.js("return chatrail.code").await?, json!(code));
        assert_eq!(
            f.js("return chatrail.url('+7 (900) 123-45-67', 'Price?')")
                .await?,
            json!(format!(
                "https://wa.me/{TRACKED}?text=Price%3F%20(ref%20{code})"
            ))
        );
        assert_eq!(
            f.js("return chatrail.url('@studio_bot')").await?,
            json!(format!("https://t.me/studio_bot?start={code}"))
        );
        assert_eq!(
            f.js("return chatrail.url(' @Studio_Bot ', 'ignored')")
                .await?,
            json!(format!("https://t.me/studio_bot?start={code}"))
        );
        // Chats the site does not track get the plain link chatrail-core's `chat_link`
        // makes (the loader makes it in JS); neither a number nor a bot gets nothing.
        for (chat, text) in [
            ("0044 7700 900123", "Hi + bye, é & 100% ok?"),
            ("+1 (555) 123-4567", ""),
            ("@Other_Bot", "x"),
            ("12", "x"),
            ("1234567890123456", "x"),
            ("nope", "x"),
            ("@no", "x"),
            ("@@studio_bot", "x"),
            ("@studio-bot", "x"),
            ("", ""),
        ] {
            assert_eq!(
                f.js(&format!("return chatrail.url({chat:?}, {text:?})"))
                    .await?,
                json!(chat_link(chat, text)),
                "chatrail.url({chat:?}, {text:?})"
            );
        }
        assert_eq!(f.js("return window.readyEvent").await?, json!(true));
        let globals = f
            // chromedriver adds a few of its own (se_…, ret_nodes) when it runs scripts.
            .js(
                "return Object.getOwnPropertyNames(window).filter(k => !before.includes(k) \
                 && !['before', 'readyEvent', 'ret_nodes'].includes(k) && !/^(se|cdc)_/.test(k))",
            )
            .await?;
        assert_eq!(globals, json!(["chatrail"]));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            f.wait_sessions("/api", 1).await,
            [(code.clone(), 1)],
            "one page view"
        );

        // Beacons the collector refuses for good (4xx) are dropped, not kept to be sent
        // again like those of an unreachable collector (below).
        f.open("/refused").await?;
        f.tagged("l").await?;
        f.js(r#"document.getElementById("l").dispatchEvent(new MouseEvent("auxclick", {button: 1, bubbles: true}))"#)
            .await?;
        let answered = "return performance.getEntriesByType('resource').filter(e => \
                        e.name.includes('/collect/') && e.responseEnd > 0).length";
        for _ in 0..100 {
            if f.js(answered).await? == json!(2) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(f.js(answered).await?, json!(2), "the visit and the click answered");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            f.js("return localStorage.getItem('chatrail:q')").await?,
            Value::Null
        );

        // The collector unreachable (config and beacons blocked, the script cached): links
        // are still tagged from the last config, and nothing reaches the page's console.
        f.open("/down").await?;
        let first = f.tagged("l").await?;
        assert_eq!(code_of(&first), code, "the same session goes on");
        f.browser.cdp("Network.enable", json!({})).await?;
        f.browser
            .cdp(
                "Network.setBlockedURLs",
                json!({"urls": ["*/sites/*", "*/collect/*"]}),
            )
            .await?;
        f.js("localStorage.removeItem('chatrail:s')").await?;
        f.browser.client.refresh().await?;
        let again = f.tagged("l").await?;
        assert_ne!(
            code_of(&again),
            code_of(&first),
            "a new session, made in the browser"
        );
        // A middle click (the page stays), then a click that leaves it.
        f.js(r#"document.getElementById("l").dispatchEvent(new MouseEvent("auxclick", {button: 1, bubbles: true}))"#)
            .await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(f.browser.click_and_capture_navigation("#l").await?, again);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let stored = || async {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE code = $1")
                .bind(code_of(&again))
                .fetch_one(&f.db)
                .await
                .unwrap();
            n
        };
        assert_eq!(stored().await, 0, "nothing reached the collector");
        assert!(f.clicks("/down").await.is_empty());

        // The collector is back: the next page view sends what waited in storage.
        f.browser
            .cdp("Network.setBlockedURLs", json!({"urls": []}))
            .await?;
        f.open("/down").await?;
        assert_eq!(code_of(&f.tagged("l").await?), code_of(&again));
        let clicks = f.wait_clicks("/down", 1).await;
        assert_eq!((clicks[0].1.as_str(), clicks[0].3.as_str()), ("wa.me", code_of(&again).as_str()));
        assert_eq!(stored().await, 1, "the session of the queued visit");

        // A click is in storage before it is sent (the page it leaves may be gone before
        // a failure is known) and leaves it once answered; one sent again (its answer
        // lost with its page) is stored once.
        let queue = "return localStorage.getItem('chatrail:q')";
        let kept = f
            .js(&format!(
                r#"document.getElementById("l").dispatchEvent(new MouseEvent("auxclick", {{button: 1, bubbles: true}})); {queue}"#
            ))
            .await?;
        let kept = kept.as_str().unwrap_or_default().to_owned();
        assert!(kept.contains("/collect/click") && kept.contains(r#"\"id\":\""#), "{kept}");
        f.wait_clicks("/down", 2).await;
        for _ in 0..100 {
            if f.js(queue).await? == Value::Null {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(f.js(queue).await?, Value::Null, "answered, so forgotten");
        f.js(&format!("localStorage.setItem('chatrail:q', {})", json!(kept)))
            .await?;
        f.browser.client.refresh().await?;
        f.tagged("l").await?;
        for _ in 0..100 {
            if f.js(queue).await? == Value::Null {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(f.js(queue).await?, Value::Null, "sent again and answered");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(f.clicks("/down").await.len(), 2, "stored once");
        Ok(())
    }
    .await;
    f.finish(result).await;
}

/// Waits until the current window has left `from`, and returns where it went.
pub(crate) async fn navigated_from(f: &Fixture, from: &str) -> anyhow::Result<String> {
    for _ in 0..100 {
        let url = f.browser.client.current_url().await?;
        if url.as_str() != from {
            return Ok(url.into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("still at {from}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_frames_and_script_navigations_open_tagged_chats() {
    let f = Fixture::start(|c| {
        vec![
            (
                "/form",
                page(
                    c,
                    r#"<form action="https://api.whatsapp.com/send">
<input type="hidden" name="phone" value="79001234567">
<textarea name="text">Is the oak table in stock?</textarea>
<button id="send">Send</button></form>
<form action="https://wa.me/79001234567"><button id="bare">WhatsApp</button></form>
<form action="https://wa.me/15551234567"><input name="text" value="Hi"><button id="other">Other</button></form>"#,
                ),
            ),
            (
                "/assign",
                page(
                    c,
                    r#"<a id="l" href="https://wa.me/79001234567">Chat</a>
<button id="assign" onclick="location.assign('https://wa.me/79001234567?text=Assigned')">1</button>
<button id="href" onclick="location.href = 'https://api.whatsapp.com/send?phone=%2B79001234567'">2</button>
<button id="replace" onclick="location.replace('https://wa.me/79001234567?text=Replaced')">3</button>"#,
                ),
            ),
            (
                "/frame",
                page(
                    c,
                    r#"<iframe id="fr" srcdoc="<a id='in' target='_top' href='https://wa.me/79001234567?text=Framed'>Chat</a>"></iframe>
<script>setTimeout(function () {
  var f = document.createElement("iframe");
  f.id = "late";
  f.srcdoc = "<a id='in' href='https://t.me/studio_bot'>Bot</a>";
  document.body.appendChild(f);
}, 300);</script>"#,
                ),
            ),
        ]
    })
    .await;
    let result = async {
        // GET forms to chat links: the text field carries the code when the browser builds
        // the URL; a form without one gets it; an untracked number is left alone.
        f.open("/form").await?;
        let code = code_of(&f.tagged_by_api().await?);
        let sent = f.browser.click_and_capture_navigation("#send").await?;
        assert!(sent.starts_with("https://api.whatsapp.com/send?phone=79001234567&text="), "{sent}");
        assert_eq!(text_of(&sent), format!("Is the oak table in stock? (ref {code})"));
        f.browser.client.back().await?;
        f.tagged_by_api().await?;
        let sent = f.browser.click_and_capture_navigation("#bare").await?;
        assert_eq!(sent, format!("https://wa.me/79001234567?text=%28ref+{code}%29"));
        f.browser.client.back().await?;
        f.tagged_by_api().await?;
        let sent = f.browser.click_and_capture_navigation("#other").await?;
        assert_eq!(sent, "https://wa.me/15551234567?text=Hi");
        let clicks = f.wait_clicks("/form", 2).await;
        let kinds: Vec<(&str, &str, &str)> =
            clicks.iter().map(|c| (c.0.as_str(), c.1.as_str(), c.3.as_str())).collect();
        assert_eq!(kinds, [(TRACKED, "api.whatsapp.com", code.as_str()), (TRACKED, "wa.me", code.as_str())]);

        // location.assign and location.href = … from a page's script (the Navigation API).
        f.open("/assign").await?;
        f.tagged("l").await?;
        let sent = f.browser.click_and_capture_navigation("#assign").await?;
        assert_eq!(text_of(&sent), format!("Assigned (ref {code})"));
        f.browser.client.back().await?;
        f.tagged("l").await?;
        let sent = f.browser.click_and_capture_navigation("#href").await?;
        assert_eq!(
            sent,
            format!("https://api.whatsapp.com/send?phone=79001234567&text=(ref%20{code})")
        );
        f.browser.client.back().await?;
        f.tagged("l").await?;
        let sent = f.browser.click_and_capture_navigation("#replace").await?;
        assert_eq!(text_of(&sent), format!("Replaced (ref {code})"));
        let clicks = f.wait_clicks("/assign", 3).await;
        assert_eq!(
            clicks.iter().map(|c| (c.1.as_str(), c.3.as_str())).collect::<Vec<_>>(),
            [
                ("wa.me", code.as_str()),
                ("api.whatsapp.com", code.as_str()),
                ("wa.me", code.as_str())
            ]
        );

        // Same-origin iframes: links at load and in an iframe added later are tagged, and
        // a click inside one is counted on the page.
        f.open("/frame").await?;
        let inner = |id: &'static str| {
            format!("return document.getElementById('{id}').contentDocument.getElementById('in').getAttribute('href')")
        };
        let mut framed = (String::new(), String::new());
        for _ in 0..100 {
            framed = (
                f.js(&inner("fr")).await?.as_str().unwrap_or_default().to_owned(),
                f.js(&inner("late")).await.ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
            );
            if has_code(&text_of(&framed.0)) && has_code(&text_of(&framed.1)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(text_of(&framed.0), format!("Framed (ref {code})"));
        assert_eq!(framed.1, format!("https://t.me/studio_bot?start={code}"));
        let from = f.browser.client.current_url().await?;
        f.js("document.getElementById('fr').contentDocument.getElementById('in').click()").await?;
        assert_eq!(navigated_from(&f, from.as_str()).await?, framed.0);
        let clicks = f.wait_clicks("/frame", 1).await;
        assert_eq!((clicks[0].1.as_str(), clicks[0].3.as_str()), ("wa.me", code.as_str()));

        // Half an hour without a page view ends the session: a new code, the same visitor.
        f.open("/assign").await?;
        assert_eq!(code_of(&f.tagged("l").await?), code);
        let visitor = f.js("return localStorage.getItem('chatrail:v').split('|')[0]").await?;
        let idle = |minutes: u32| {
            format!(
                "var s = localStorage.getItem('chatrail:s').split('|'); \
                 s[2] = Date.now() - {minutes} * 60000; \
                 localStorage.setItem('chatrail:s', s.join('|')); location.reload();"
            )
        };
        f.js(&idle(29)).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(code_of(&f.tagged("l").await?), code, "29 minutes: the same session");
        f.js(&idle(31)).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = code_of(&f.tagged("l").await?);
        assert_ne!(after, code, "31 minutes: a new session");
        // The first session landed on /form.
        assert_eq!(f.wait_sessions("/assign", 1).await[0].0, after);
        assert_eq!(
            f.js("return localStorage.getItem('chatrail:v').split('|')[0]").await?,
            visitor
        );
        // A visitor unseen for a year is a new one.
        f.js("var v = localStorage.getItem('chatrail:v').split('|'); \
              v[1] = Date.now() - 366 * 864e5; \
              localStorage.setItem('chatrail:v', v.join('|')); location.reload();")
            .await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        f.tagged("l").await?;
        let new_visitor = f.js("return localStorage.getItem('chatrail:v').split('|')[0]").await?;
        assert_ne!(new_visitor, visitor, "a year away: a new visitor");
        assert_eq!(new_visitor.as_str().map(str::len), Some(32));
        Ok(())
    }
    .await;
    f.finish(result).await;
}
