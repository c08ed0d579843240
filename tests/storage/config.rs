//! Sites and numbers are kept in memory by every collector; a change made through one
//! collector reaches it at once and the others within `CONFIG_POLL`.

use std::time::{Duration, Instant};

use chatrail_collector::db::CONFIG_POLL;
use chatrail_collector::domain::site::{NewSite, Site, TrackedNumber};
use chatrail_collector::storage::{self, SharedStore};
use chatrail_tests::app::{create_site, fresh_database, Backend, TRACKED_DIGITS};

const OTHER_NUMBER: &str = "447700900999";

fn numbers(site: &Site) -> Vec<String> {
    site.numbers.iter().map(|n| n.number.clone()).collect()
}

/// Waits (at most five polls: a machine busy with the other tests in parallel can delay
/// the watching task by a poll or two) until `check` holds for what `store` answers; how
/// long it took.
async fn within_polls(what: &str, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    while started.elapsed() < CONFIG_POLL * 5 {
        if check().await {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what}: not seen within {:?}", CONFIG_POLL * 5);
}

async fn numbers_of(store: &SharedStore, key: &str) -> Option<Vec<String>> {
    let site = store.site_by_key(key).await.expect("site lookup")?;
    Some(numbers(&site))
}

pub async fn site_changes_reach_every_collector(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let here = storage::connect(&url).await.expect("first collector");
    let there = storage::connect(&url).await.expect("second collector");
    let site = create_site(&here, "shop", &[TRACKED_DIGITS]).await;
    // Both now keep the site in memory.
    assert_eq!(
        numbers_of(&here, "shop").await,
        Some(vec![TRACKED_DIGITS.into()])
    );
    assert_eq!(
        numbers_of(&there, "shop").await,
        Some(vec![TRACKED_DIGITS.into()])
    );
    let whatsapp_before = there.whatsapp_sites().await.unwrap().len();

    let changed = NewSite {
        key: site.key.clone(),
        name: site.name.clone(),
        domains: site.domains.clone(),
        template: site.template.clone(),
        numbers: vec![TrackedNumber {
            number: OTHER_NUMBER.into(),
            wa_phone_number_id: None,
        }],
        channel_rules: site.channel_rules.clone(),
        bots: site.bots.clone(),
        pages: site.pages.clone(),
        wa_app_secret: site.wa_app_secret.clone(),
        wa_verify_token_hash: site.wa_verify_token_hash.clone(),
        providers: site.providers.clone(),
    };
    assert!(here.update_site(site.id, &changed).await.unwrap());
    // The collector that made the change answers with it at once.
    assert_eq!(
        numbers_of(&here, "shop").await,
        Some(vec![OTHER_NUMBER.into()])
    );
    // The other learns of it from config_version.
    let took = within_polls("the new number on the other collector", async || {
        numbers_of(&there, "shop").await == Some(vec![OTHER_NUMBER.into()])
    })
    .await;
    eprintln!("{backend:?}: a number change reached the other collector in {took:?}");

    // A site key nobody had is not remembered as missing: once created, it is found.
    assert_eq!(numbers_of(&there, "bakery").await, None);
    create_site(&here, "bakery", &["447700900555"]).await;
    within_polls("the new site on the other collector", async || {
        numbers_of(&there, "bakery").await.is_some()
    })
    .await;
    // The provider lists every webhook reads follow too.
    within_polls("the new site among WhatsApp sites", async || {
        there.whatsapp_sites().await.unwrap().len() == whatsapp_before + 1
    })
    .await;
}
