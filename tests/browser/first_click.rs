//! Issue 16, the snippet's side: every href is read as the browser resolves it, and a
//! visitor's first click gets a code even before the snippet is ready. Pages and helpers are
//! those of `entry_points`.

use std::time::Duration;

use anyhow::bail;
use chatrail_core::links::parse_chat_link;
use serde_json::{json, Value};

use crate::entry_points::{code_of, has_code, page, text_of, Fixture, TRACKED};

/// The snippet's script tag by site URL: the config comes with the script.
fn site_page(collector: &str, body: &str) -> String {
    page(collector, body).replace(r#"t.js" data-site="studio""#, r#"t.js?site=studio""#)
}

/// Links whose hrefs the browser resolves before following them: scheme-relative, upper
/// case, padded with whitespace, relative to the page's base URL.
const FORMS: &str = r#"<a id="schemeless" href="//wa.me/79001234567?text=Schemeless">1</a>
<a id="upper" href="HTTPS://WA.ME/79001234567?text=Upper">2</a>
<a id="spaced" href="
  https://wa.me/79001234567?text=Spaced	 ">3</a>
<a id="bot" href="HTTPS://T.ME/Studio_Bot">4</a>
<a id="app" href=" WHATSAPP://send?phone=%2B79001234567">5</a>
<button id="open" onclick="window.open('//wa.me/79001234567?text=Opened', '_blank')">6</button>
<form action="//api.whatsapp.com/send"><input type="hidden" name="phone" value="79001234567">
<input name="text" value="Form"><button id="form">7</button></form>
<button id="nav" onclick="location.assign(' HTTPS://WA.ME/79001234567?text=Assigned')">8</button>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hrefs_are_read_as_the_browser_resolves_them() {
    let f = Fixture::start(|c| {
        vec![
            (
                "/hrefs",
                page(
                    c,
                    &format!(
                        "{FORMS}\n<script>document.addEventListener('click', function (e) {{ \
                         if (e.target.tagName == 'A') e.preventDefault(); }});</script>"
                    ),
                ),
            ),
            ("/open", page(c, FORMS)),
            (
                // Relative to a base URL on a chat host: the browser follows it to wa.me.
                "/relative",
                page(
                    c,
                    r#"<base href="https://wa.me/"><a id="relative" href="79001234567?text=Relative">Chat</a>
<script>document.addEventListener('click', function (e) { e.preventDefault(); });</script>"#,
                ),
            ),
        ]
    })
    .await;
    let result = async {
        f.open("/hrefs").await?;
        let code = code_of(&f.tagged("schemeless").await?);
        let tagged = |text: &str| format!("https://wa.me/{TRACKED}?text={text}%20(ref%20{code})");
        // Written back absolute, as the browser resolved them (the page is http).
        assert_eq!(
            f.href("schemeless").await?,
            tagged("Schemeless").replace("https:", "http:")
        );
        assert_eq!(f.tagged("upper").await?, tagged("Upper"));
        assert_eq!(f.tagged("spaced").await?, tagged("Spaced"));
        assert_eq!(
            f.href("bot").await?,
            format!("https://t.me/Studio_Bot?start={code}")
        );
        let app = f.href("app").await?;
        assert_eq!(
            app,
            format!("whatsapp://send?phone=79001234567&text=(ref%20{code})")
        );
        // The chat a scheme-less link opens is attributed exactly.
        let card = f
            .chat("wamid.schemeless", &text_of(&tagged("Schemeless")))
            .await?;
        assert_eq!(card["match"]["kind"], "exact", "{card}");
        assert_eq!(card["match"]["code"], code.as_str(), "{card}");

        // Each click is counted (the page keeps the visitor, so they all are).
        for id in ["schemeless", "upper", "spaced", "bot", "app"] {
            f.click(id).await?;
        }
        let clicks = f.wait_clicks("/hrefs", 5).await;
        let mut kinds: Vec<(&str, &str, &str)> = clicks
            .iter()
            .map(|c| (c.0.as_str(), c.1.as_str(), c.3.as_str()))
            .collect();
        kinds.sort_unstable();
        assert_eq!(
            kinds,
            [
                (TRACKED, "wa.me", code.as_str()),
                (TRACKED, "wa.me", code.as_str()),
                (TRACKED, "wa.me", code.as_str()),
                (TRACKED, "whatsapp", code.as_str()),
                ("@studio_bot", "t.me", code.as_str()),
            ]
        );

        // window.open, a GET form and a script navigation with such URLs.
        f.open("/open").await?;
        f.tagged("upper").await?;
        // (Where the browser went, http or https: it may try https first.)
        let opened = f.browser.click_and_capture_navigation("#open").await?;
        assert_eq!(
            text_of(&opened),
            format!("Opened (ref {code})"),
            "window.open"
        );
        let sent = f.browser.click_and_capture_navigation("#form").await?;
        let form = parse_chat_link(&sent).unwrap_or_else(|| panic!("{sent}"));
        assert_eq!(form.number.as_deref(), Some(TRACKED), "{sent}");
        assert_eq!(text_of(&sent), format!("Form (ref {code})"), "{sent}");
        f.browser.client.back().await?;
        f.tagged("upper").await?;
        let sent = f.browser.click_and_capture_navigation("#nav").await?;
        assert_eq!(sent, tagged("Assigned"), "location.assign");
        let clicks = f.wait_clicks("/open", 3).await;
        assert!(
            clicks.iter().all(|c| c.0 == TRACKED && c.3 == code),
            "{clicks:?}"
        );

        // A relative href under a chat host's base URL.
        f.open("/relative").await?;
        assert_eq!(f.tagged("relative").await?, tagged("Relative"));
        f.click("relative").await?;
        let clicks = f.wait_clicks("/relative", 1).await;
        assert_eq!(
            (clicks[0].0.as_str(), clicks[0].3.as_str()),
            (TRACKED, code.as_str())
        );
        Ok(())
    }
    .await;
    f.finish(result).await;
}

/// Hrefs the browser rewrites when it resolves them (or does not), each next to a link whose
/// href is what the browser made of it (`a.href`). The snippet takes an href already as the
/// browser writes it without resolving it again (a fast path), so these check that no href
/// is tagged unlike its resolved form: dot segments, a backslash, a port, a user, spaces,
/// tabs, quotes, non-ASCII text, a host with a trailing dot or in capitals.
const TWINS: &[&str] = &[
    "https://wa.me/79001234567?text=Plain",
    "http://wa.me/79001234567?text=Http",
    "https://wa.me/x/../79001234567?text=Dots",
    "https://wa.me/./79001234567?text=Dot",
    "https://wa.me/%2e/79001234567?text=Encoded",
    "https://wa.me/79001234567/..?text=Up",
    "https://wa.me\\79001234567?text=Backslash",
    "https://wa.me:443/79001234567?text=Port",
    "https://user@wa.me/79001234567?text=User",
    "https://wa.me?text=No%20path",
    "https://wa.me/79001234567?text=It's",
    "https://wa.me/79001234567?text=a b",
    "https://wa.me/79001234567?text=tab\there",
    "https://wa.me/79001234567?text=Привет",
    "https://wa.me/79001234567?text={curly}",
    "https://wa.me/79001234567#a fragment",
    "https://wa.me./79001234567?text=Trailing%20dot",
    "https://WWW.WA.ME/79001234567?text=Www",
    "https://api.whatsapp.com/send/?phone=79001234567&text=Api",
    "https://t.me/studio_bot?start=x",
    "https://t.me/Studio_Bot/../studio_bot",
    "whatsapp://send?phone=79001234567&text=App",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_href_is_tagged_as_its_resolved_form() {
    let escape = |s: &str| s.replace('&', "&amp;").replace('"', "&quot;");
    let mut body: String = TWINS
        .iter()
        .map(|href| format!("<a class=\"h\" href=\"{}\">x</a>\n", escape(href)))
        .collect();
    // Before the snippet: each link's twin gets the href as the browser resolved it.
    body.push_str(
        "<script>document.querySelectorAll('a.h').forEach(function (a) { \
         var twin = document.createElement('a'); twin.className = 't'; \
         twin.setAttribute('href', a.href); document.body.appendChild(twin); });</script>",
    );
    let f = Fixture::start(|c| vec![("/twins", site_page(c, &body))]).await;
    let result = async {
        f.open("/twins").await?;
        let read = "return [chatrail.code, [...document.querySelectorAll('a.h')].map((a, i) => \
                    [a.getAttribute('href'), document.querySelectorAll('a.t')[i].getAttribute('href')])]";
        let mut state = Value::Null;
        for _ in 0..100 {
            state = f.js(read).await?;
            let code = state[0].as_str().unwrap_or("-");
            if state[1][0][0].as_str().is_some_and(|h| h.contains(code)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (code, pairs): (String, Vec<(String, String)>) = serde_json::from_value(state)?;
        let mut left_alone = Vec::new();
        for ((link, twin), written) in pairs.iter().zip(TWINS) {
            if twin.contains(&code) {
                assert_eq!(link, twin, "{written:?} is tagged as its resolved form");
            } else {
                assert_eq!(link, written, "{written:?} is left alone, as its resolved form");
                left_alone.push(*written);
            }
        }
        // Only those that do not resolve to a tracked chat link.
        assert_eq!(
            left_alone,
            [
                "https://wa.me/79001234567/..?text=Up",
                "https://user@wa.me/79001234567?text=User",
                "https://wa.me?text=No%20path",
                "https://wa.me./79001234567?text=Trailing%20dot",
            ]
        );
        Ok(())
    }
    .await;
    f.finish(result).await;
}

/// Every request the page makes takes `ms` longer (Chromium's network emulation), as on a
/// mobile network.
async fn latency(f: &Fixture, ms: u32) -> anyhow::Result<()> {
    f.browser.cdp("Network.enable", json!({})).await?;
    f.browser
        .cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": false, "latency": ms, "downloadThroughput": -1, "uploadThroughput": -1}),
        )
        .await?;
    Ok(())
}

/// Clicks `#l` with a real (trusted) click and returns where the browser went.
async fn click_link(f: &Fixture) -> anyhow::Result<String> {
    f.browser.click_and_capture_navigation("#l").await
}

/// Milliseconds since the page's first paint, once it has painted.
async fn since_first_paint(f: &Fixture) -> anyhow::Result<f64> {
    for _ in 0..200 {
        let times = f
            .js("var p = performance.getEntriesByName('first-paint')[0] || \
                 performance.getEntriesByName('first-contentful-paint')[0]; \
                 return p ? performance.now() - p.startTime : null")
            .await?;
        if let Some(ms) = times.as_f64() {
            return Ok(ms);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bail!("the page never painted")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_visit_click_100_ms_after_first_paint_is_tagged() {
    let link = r#"<a id="l" href="https://wa.me/79001234567?text=First">Chat</a>"#;
    let f = Fixture::start(|c| vec![("/first", site_page(c, link))]).await;
    let result = async {
        // A first visit (a fresh profile) on a network with 50 ms per request: the script
        // starts some 50 ms after the page is shown, its wasm some 50 ms later.
        latency(&f, 50).await?;
        f.open("/first").await?;
        let shown = since_first_paint(&f).await?;
        if shown < 100.0 {
            tokio::time::sleep(Duration::from_secs_f64((100.0 - shown) / 1000.0)).await;
        }
        let sent = click_link(&f).await?;
        assert!(text_of(&sent).starts_with("First (ref "), "{sent}");
        let clicks = f.wait_clicks("/first", 1).await;
        assert_eq!(
            (clicks[0].0.as_str(), clicks[0].3.as_str()),
            (TRACKED, code_of(&sent).as_str())
        );
        Ok(())
    }
    .await;
    f.finish(result).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_before_the_snippet_is_ready_waits_for_it() {
    let link = r#"<a id="l" href="https://wa.me/79001234567?text=Early">Chat</a>"#;
    let f = Fixture::start(|c| {
        vec![
            ("/site", site_page(c, link)),
            ("/tag", page(c, link)),
            ("/nowasm", site_page(c, link)),
        ]
    })
    .await;
    let result = async {
        latency(&f, 300).await?;
        // The script runs (the page's load waits for it), its wasm is still on the way.
        f.open("/site").await?;
        let before = f.js("return chatrail.code").await?;
        let sent = click_link(&f).await?;
        assert_eq!(before, Value::Null, "clicked before the snippet was ready");
        assert!(text_of(&sent).starts_with("Early (ref "), "{sent}");
        let clicks = f.wait_clicks("/site", 1).await;
        assert_eq!(clicks[0].3, code_of(&sent));

        // The script tag without the site's URL, on a first visit to this origin: the wasm
        // is in, the config still on the way (its request follows the wasm's).
        f.browser
            .client
            .goto(&format!("http://127.0.0.1:{}/tag", f.port))
            .await?;
        let mut state = Value::Null;
        for _ in 0..200 {
            state = f
                .js("return [chatrail.code, document.getElementById('l').getAttribute('href')]")
                .await?;
            if !state[0].is_null() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let sent = click_link(&f).await?;
        assert!(
            state[0].is_string() && !has_code(state[1].as_str().unwrap_or_default()),
            "clicked once started, before the config: {state}"
        );
        assert!(text_of(&sent).starts_with("Early (ref "), "{sent}");
        f.wait_clicks("/tag", 1).await;

        // No wasm (blocked): the click still goes where the site's link says, untagged.
        latency(&f, 0).await?;
        f.browser
            .cdp("Network.setBlockedURLs", json!({"urls": ["*.wasm"]}))
            .await?;
        f.browser
            .cdp("Network.clearBrowserCache", json!({}))
            .await?;
        f.open("/nowasm").await?;
        let sent = click_link(&f).await?;
        assert_eq!(sent, "https://wa.me/79001234567?text=Early");
        Ok(())
    }
    .await;
    f.finish(result).await;
}
