//! Smoke tests for the test-support library itself: the throwaway
//! PostgreSQL server and the offline headless browser.

use std::time::Instant;

use anyhow::Context;
use chatrail_tests::browser::Browser;
use chatrail_tests::postgres;
use sqlx::{Connection, PgConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test]
async fn each_call_gets_its_own_reachable_database() -> anyhow::Result<()> {
    let started = Instant::now();
    let first = postgres::database().await?;
    eprintln!("first database after {:?}: {first}", started.elapsed());
    let second = postgres::database().await?;
    assert_ne!(first, second);

    for url in [&first, &second] {
        let mut conn = PgConnection::connect(url)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&mut conn).await?;
        assert_eq!(one, 1);
        let name: String = sqlx::query_scalar("SELECT current_database()")
            .fetch_one(&mut conn)
            .await?;
        assert!(
            url.ends_with(&format!("/{name}")),
            "{url} is connected to {name}"
        );
        sqlx::query("CREATE TABLE visits (id int)")
            .execute(&mut conn)
            .await?;
        conn.close().await?;
    }
    Ok(())
}

#[tokio::test]
async fn databases_can_be_created_concurrently() -> anyhow::Result<()> {
    let urls = create_databases(8).await?;
    let mut unique = urls.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), urls.len());
    Ok(())
}

async fn create_databases(n: usize) -> anyhow::Result<Vec<String>> {
    let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(postgres::database())).collect();
    let mut urls = Vec::new();
    for task in tasks {
        urls.push(task.await??);
    }
    Ok(urls)
}

const HREF: &str = "https://wa.me/79001234567?text=Hi%20there%20(ref%20ABCD1234)";

/// A page with WhatsApp links: a plain one, one opening a new window, one
/// whose click handler navigates from script after a delay (as a snippet
/// that sends a beacon first might), a `window.open` button, and a raw,
/// unencoded link.
fn page() -> String {
    format!(
        r#"<!doctype html><html><head><title>shop</title></head><body>
<a id="chat" href="{HREF}">Chat on WhatsApp</a>
<a id="blank" href="https://wa.me/79001234567?text=a%2Bb+c%26d" target="_blank">new window</a>
<a id="scripted" href="https://wa.me/1?text=original">scripted</a>
<button id="popup" onclick="window.open('https://wa.me/2?text=popup')">popup</button>
<a id="raw" href="https://api.whatsapp.com/send?phone=79001234567&text=Привет (ref X)">raw</a>
<script>
document.getElementById('scripted').addEventListener('click', e => {{
  e.preventDefault();
  setTimeout(() => {{ location.href = 'https://wa.me/1?text=from%20script'; }}, 300);
}});
console.error('boom from the page');
</script></body></html>"#
    )
}

/// Serves `page()` for every request on 127.0.0.1; returns its base URL.
async fn serve_page() -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let body = page();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Ok(format!("http://{addr}/"))
}

#[tokio::test]
async fn clicking_a_whatsapp_link_captures_its_url_without_network() -> anyhow::Result<()> {
    let base = serve_page().await?;
    let started = Instant::now();
    let browser = Browser::start().await?;
    eprintln!("browser started in {:?}", started.elapsed());
    let dir = browser.dir().to_path_buf();
    let result = exercise(&browser, &base).await;
    browser.close().await?;
    assert!(!dir.exists(), "{} survived close()", dir.display());
    result
}

async fn exercise(browser: &Browser, base: &str) -> anyhow::Result<()> {
    let client = &browser.client;
    client.goto(base).await?;
    let errors = browser.console_errors().await?;
    assert!(
        errors.iter().any(|e| e.contains("boom from the page")),
        "console errors: {errors:?}"
    );

    let url = browser.click_and_capture_navigation("#chat").await?;
    assert_eq!(url, HREF);
    let text = url::Url::parse(&url)?
        .query_pairs()
        .find(|(k, _)| k == "text")
        .map(|(_, v)| v.into_owned());
    assert_eq!(text.as_deref(), Some("Hi there (ref ABCD1234)"));
    // The navigation failed locally: nothing was contacted.
    assert!(browser.console_errors().await?.is_empty());

    client.back().await?;
    let url = browser.click_and_capture_navigation("#blank").await?;
    assert_eq!(url, "https://wa.me/79001234567?text=a%2Bb+c%26d");
    assert_eq!(
        client.current_url().await?.as_str(),
        base,
        "back on the page"
    );

    let url = browser.click_and_capture_navigation("#scripted").await?;
    assert_eq!(url, "https://wa.me/1?text=from%20script");

    client.back().await?;
    let url = browser.click_and_capture_navigation("#popup").await?;
    assert_eq!(url, "https://wa.me/2?text=popup");

    let link = client.find(fantoccini::Locator::Css("#raw")).await?;
    let serialized = link.prop("href").await?.context("no href")?;
    let url = browser.click_and_capture_navigation("#raw").await?;
    assert_eq!(url, serialized);
    assert_eq!(
        url,
        "https://api.whatsapp.com/send?phone=79001234567&text=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82%20(ref%20X)"
    );

    // Even a direct navigation cannot leave the machine.
    let error = client.goto("https://example.com/").await.unwrap_err();
    assert!(
        error.to_string().contains("ERR_NAME_NOT_RESOLVED"),
        "{error}"
    );
    let error = client.goto("http://1.1.1.1/").await.unwrap_err();
    assert!(
        error.to_string().contains("ERR_NAME_NOT_RESOLVED"),
        "{error}"
    );
    Ok(())
}
