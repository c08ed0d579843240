//! Sites and numbers, conversion destinations and outcome rules are kept in memory by every
//! collector; a change made through one collector reaches it at once and the others within
//! `CONFIG_POLL`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chatrail_collector::args;
use chatrail_collector::db::{Db, CONFIG_POLL};
use chatrail_collector::domain::conversion::{DestinationKind, NewDestination};
use chatrail_collector::domain::outcome::{Rule, Stages};
use chatrail_collector::domain::site::{NewSite, Site, TrackedNumber};
use chatrail_collector::matching::DialogPolicy;
use chatrail_collector::storage::{
    self, Conversions, Dialogs, Inbound, IngestOutcome, SharedStore,
};
use chatrail_tests::app::{create_site, fresh_database, Backend, TRACKED_DIGITS};

use super::message;

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

/// Stores a message from `phone` on `store`; the dialog it went to.
async fn send(db: &Db, site: &Site, id: &str, phone: &str, text: &str) -> uuid::Uuid {
    let at = chatrail_collector::domain::now_ms();
    let m = message(site, id, phone, text, at);
    match db
        .ingest_message(&m, &DialogPolicy::default())
        .await
        .unwrap()
    {
        IngestOutcome::Stored { dialog_id, .. } => dialog_id,
        IngestOutcome::Duplicate => panic!("{id} stored before"),
    }
}

pub async fn rules_and_destinations_reach_every_collector(backend: Backend) {
    let (url, _dir) = fresh_database(backend).await;
    let here = Db::connect(&url).await.expect("first collector");
    let there = Db::connect(&url).await.expect("second collector");
    let shared: SharedStore = Arc::new(here.clone());
    let site = create_site(&shared, "shop", &[TRACKED_DIGITS]).await;
    // A dialog on the other collector, which now keeps the site's (no) rules and (no)
    // destinations in memory.
    let dialog = send(&there, &site, "wamid.c1", "5511900000001", "hello").await;
    let outcome = there.outcome(site.id, dialog).await.unwrap().unwrap();
    assert_eq!(outcome.stage, "new");
    // The same on this collector, with the text a rule will look for.
    let other = send(&here, &site, "wamid.c2", "5511900000002", "invoice paid").await;
    assert_eq!(
        here.outcome(site.id, other).await.unwrap().unwrap().stage,
        "new"
    );

    // A rule saved here moves the dialog on there, once there has seen the change.
    let rule = Rule::parse("text:*invoice paid* -> qualified").unwrap();
    let saved = here
        .save_outcome_settings(site.id, &Stages::default_set(), &[rule])
        .await
        .unwrap();
    assert!(
        matches!(saved, storage::dialogs::outcome::SettingsSaved::Saved(_)),
        "{saved:?}"
    );
    // At once on the collector that saved it.
    send(&here, &site, "wamid.c3", "5511900000002", "invoice paid").await;
    assert_eq!(
        here.outcome(site.id, other).await.unwrap().unwrap().stage,
        "qualified"
    );
    let mut n = 0;
    let took = within_polls("a new outcome rule on the other collector", async || {
        n += 1;
        let text = format!("invoice paid, #{n}");
        send(
            &there,
            &site,
            &format!("wamid.paid.{n}"),
            "5511900000001",
            &text,
        )
        .await;
        there.outcome(site.id, dialog).await.unwrap().unwrap().stage == "qualified"
    })
    .await;
    eprintln!("{backend:?}: a rule reached the other collector in {took:?}");

    // A destination added here gets the leads of dialogs started there.
    let hook = NewDestination {
        kind: DestinationKind::Webhook,
        name: "CRM".into(),
        endpoint: Some("https://crm.example/hook".into()),
        settings: Default::default(),
        secret: None,
        events: None,
    }
    .check(site.id.0)
    .unwrap();
    here.add_destination(&hook).await.unwrap();
    let deliveries = async |db: &Db| -> i64 {
        let (n,): (i64,) = db
            .fetch_optional(
                "SELECT COUNT(*) FROM conversion_deliveries WHERE site_id = $1",
                args![site.id.0],
            )
            .await
            .unwrap()
            .unwrap();
        n
    };
    // At once here, where the site's (no) destinations were remembered.
    send(&here, &site, "wamid.lead.here", "5511930000001", "hi").await;
    assert_eq!(deliveries(&here).await, 1);
    let mut n = 0;
    within_polls("a new destination on the other collector", async || {
        n += 1;
        let phone = format!("55119100{n:05}");
        send(&there, &site, &format!("wamid.lead.{n}"), &phone, "hi").await;
        deliveries(&there).await > 1
    })
    .await;
    // Removed here, at once: no delivery for the next dialog started here (where a dialog
    // start has just remembered the destination again).
    send(&here, &site, "wamid.lead.here2", "5511930000000", "hi").await;
    assert!(here
        .remove_destination(site.id, hook.destination_id)
        .await
        .unwrap());
    let before = deliveries(&here).await;
    send(&here, &site, "wamid.after", "5511920000000", "hi").await;
    assert_eq!(deliveries(&here).await, before);
}
