//! The quick start's demo: click a tracked link on /demo, send the filled-in message, and
//! land on a source card matched by its code.

use chatrail_collector::config::Settings;
use chatrail_collector::routes::demo;
use chatrail_collector::startup::Application;
use chatrail_tests::browser::Browser;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_a_matched_source_card() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings =
        Settings::for_database(format!("sqlite://{}", dir.path().join("demo.db").display()));
    settings.demo = true;
    let app = Application::build(settings).await.unwrap();
    demo::ensure_site(app.store().as_ref()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    let browser = Browser::start().await.unwrap();
    let result = async {
        let c = &browser.client;
        c.goto(&format!("{base}/demo")).await?;
        // Wait for the snippet to tag the link, then click it: the demo fills the message.
        let link = c.find(Locator::Css("a.wa")).await?;
        for _ in 0..100 {
            if link
                .attr("href")
                .await?
                .unwrap_or_default()
                .contains("ref%20")
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        link.click().await?;
        let text = c
            .find(Locator::Css("textarea[name=text]"))
            .await?
            .prop("value")
            .await?;
        let text = text.unwrap_or_default();
        anyhow::ensure!(text.contains("(ref "), "message not filled: {text:?}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await; // let the beacons land
        c.find(Locator::Css("form button")).await?.click().await?;
        for _ in 0..100 {
            if c.current_url().await?.path().starts_with("/demo/dialogs/") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let page = c.find(Locator::Css("body")).await?.text().await?;
        anyhow::ensure!(page.contains("exact"), "card not matched exactly: {page}");
        anyhow::ensure!(page.contains("Ana Souza"), "{page}");
        Ok::<_, anyhow::Error>(())
    }
    .await;
    let errors = browser.console_errors().await;
    browser.close().await.unwrap();
    result.unwrap();
    assert_eq!(errors.unwrap(), Vec::<String>::new());
}
