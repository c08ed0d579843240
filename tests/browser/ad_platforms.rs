//! Issue 19's visit side in real headless Chromium: the snippet reads the visitor's GA4
//! and Yandex Metrica ids from those platforms' cookies on the site, and the advertising
//! consent the site declares (`data-ads-consent`, `chatrail.consent({ads})`); the collector
//! stores them on the session, which the source card shows. Snippet behaviour does not
//! depend on the backend, so these run on SQLite (the API and storage suites run the
//! collector's side on both).

use std::time::Duration;

use serde_json::Value;

use crate::entry_points::{code_of, page_with, text_of, Fixture};

/// A page with a tracked link that sets `cookies` (`name=value`, in order) before the
/// snippet loads, whose script tag has `attrs`.
fn with_cookies(collector: &str, cookies: &[&str], attrs: &str) -> String {
    let set: Vec<String> = cookies
        .iter()
        .map(|c| format!("document.cookie = {c:?} + '; path=/';"))
        .collect();
    let body = format!(
        r#"<script>{}</script><a id="l" href="https://wa.me/79001234567?text=Hi">Chat</a>"#,
        set.join("\n")
    );
    page_with(collector, &body, attrs)
}

/// A session's stored ids and consent column, once `ok` accepts them.
type Stored = (Option<String>, Option<String>, Option<String>, Option<i32>);

async fn stored_when(f: &Fixture, code: &str, ok: impl Fn(&Stored) -> bool) -> Stored {
    let mut last = None;
    for _ in 0..100 {
        let row: Option<Stored> = sqlx::query_as(
            "SELECT ga_client_id, ga_session_id, ym_client_id, ads_denied FROM sessions \
             WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(&f.db)
        .await
        .unwrap();
        if let Some(row) = row.as_ref().filter(|r| ok(r)) {
            return row.clone();
        }
        last = row;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the session {code} stored {last:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytics_cookies_reach_the_source_card() {
    let f = Fixture::start(|c| {
        let cookies = [
            // Not the analytics cookies, though their names end alike.
            "my_ga=GA1.1.555.555",
            "_ga=GA1.1.123456789.1700000000",
            // GA4's newer format; the first container's is taken.
            "_ga_ABC123=GS2.1.s1700000123$o5$g1$t1700000200$j0$l0$h0",
            "_ga_XYZ789=GS1.1.1700000999.1.0.1700000999.0.0.0",
            "_ym_uid=1700000000123456789",
        ];
        vec![("/ga", with_cookies(c, &cookies, ""))]
    })
    .await;
    let result = async {
        f.open("/ga").await?;
        let tagged = f.tagged("l").await?;
        let code = code_of(&tagged);
        stored_when(&f, &code, |s| s.0.is_some()).await;
        let card = f.chat("wamid.ga1", &text_of(&tagged)).await?;
        let s = &card["session"];
        assert_eq!(s["ga_client_id"], "123456789.1700000000", "{s}");
        assert_eq!(s["ga_session_id"], "1700000123");
        assert_eq!(s["ym_client_id"], "1700000000123456789");
        assert_eq!(s["ads_consent"], true);
        Ok(())
    }
    .await;
    f.finish(result).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_ads_consent_is_stored_and_follows_the_page() {
    let f = Fixture::start(|c| {
        let cookies = [
            "_ga=GA1.2.987654321.1600000000",
            "_ga_DEF456=GS1.1.1600000777.3.1.1600000800.0.0.0",
            // Not Metrica's digits: ignored, the rest of the visit kept.
            "_ym_uid=12ab",
        ];
        let attrs = r#"data-ads-consent="denied""#;
        vec![("/denied", with_cookies(c, &cookies, attrs))]
    })
    .await;
    let result = async {
        f.open("/denied").await?;
        let tagged = f.tagged("l").await?;
        let code = code_of(&tagged);
        let s = stored_when(&f, &code, |s| s.0.is_some()).await;
        let ids = (
            Some("987654321.1600000000".to_owned()),
            Some("1600000777".to_owned()),
            None,
        );
        assert_eq!(s, (ids.0.clone(), ids.1.clone(), ids.2.clone(), Some(1)));
        // Granted on the page: the next page view (a single-page app's) says so.
        f.js("chatrail.consent({ads: true}); history.pushState({}, '', '/denied?step=2')")
            .await?;
        f.wait_pageviews(&code, |n| n == 2).await;
        stored_when(&f, &code, |s| s.3.is_none()).await;
        // Withdrawn again, with analytics consent as it was: the click says so.
        f.js("chatrail.consent({analytics: true, ads: false})")
            .await?;
        assert_eq!(
            f.js("return chatrail.code").await?,
            Value::from(code.clone())
        );
        f.browser.click_and_capture_navigation("#l").await?;
        f.wait_clicks("/denied", 1).await;
        let s = stored_when(&f, &code, |s| s.3 == Some(1)).await;
        assert_eq!((s.0, s.1, s.2), ids, "the first ids stay");
        Ok(())
    }
    .await;
    f.finish(result).await;
}
