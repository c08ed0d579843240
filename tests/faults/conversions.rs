//! kill -9 between a conversion event's commit and its delivery, on both databases: chats
//! are acknowledged (their `dialog.started` events committed to the outbox), the collector
//! dies while its sender has requests in flight to a slow CRM, and the restarted collector
//! delivers every event, under the id it had (a receiver deduplicates on `webhook-id`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chatrail_collector::conversions::{DestinationKind, NewDestination};
use chatrail_collector::providers::signature::hub_signature;
use chatrail_collector::storage::{Admin, Conversions, Db};
use chatrail_tests::app::{fresh_database, whatsapp_text, Backend, APP_SECRET};
use chatrail_tests::fake_endpoint::FakeEndpoint;
use chatrail_tests::on_both_backends;
use chatrail_tests::process::SITE;

use super::chatrail;

const CHATS: usize = 30;

async fn kill_9_between_commit_and_send_loses_no_event(backend: Backend) {
    let (database_url, _dir) = fresh_database(backend).await;
    let log_dir = tempfile::tempdir().unwrap();
    let chatrail = chatrail(&database_url, log_dir.path());
    chatrail.create_site().await.unwrap();
    // The CRM takes 1.5 s to answer: requests are in flight when the collector dies.
    let crm = FakeEndpoint::start();
    crm.delay(Duration::from_millis(1500));
    let db = Db::connect(&database_url).await.unwrap();
    let site = db.site_by_key(SITE).await.unwrap().unwrap();
    let hook = NewDestination {
        kind: DestinationKind::Webhook,
        name: "CRM".into(),
        endpoint: Some(crm.base.clone()),
        settings: Default::default(),
        secret: None,
        events: None,
    }
    .check(site.id.0)
    .unwrap();
    db.add_destination(&hook).await.unwrap();

    let env = [
        ("CHATRAIL_CONVERSIONS_POLL_MS", "50"),
        ("CHATRAIL_CONVERSIONS_RETRY_MS", "200"),
        ("CHATRAIL_CONVERSIONS_TIMEOUT_MS", "3000"),
    ];
    let mut server = chatrail.serve_with(&env).await.unwrap();
    let http = reqwest::Client::new();
    let now = chrono::Utc::now().timestamp();
    for i in 0..CHATS {
        let body = whatsapp_text(
            &format!("wamid.kill9.{i}"),
            &format!("4479112{i:05}"),
            "Ann",
            "Hello",
            now,
        );
        let answer = http
            .post(format!("http://{}/webhooks/whatsapp", server.addr))
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                hub_signature(APP_SECRET.as_bytes(), body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "acknowledged");
    }
    // Some requests reach the CRM; none is answered before the kill.
    let until = Instant::now() + Duration::from_secs(10);
    while crm.received().is_empty() && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill9().await.unwrap();
    let in_flight = crm.received().len();
    assert!(in_flight > 0, "requests were in flight at the kill");

    let before_kill: Vec<String> = crm
        .received()
        .iter()
        .map(|r| r.headers["webhook-id"].clone())
        .collect();
    let times = |crm: &FakeEndpoint, id: &String| {
        crm.received()
            .iter()
            .filter(|r| &r.headers["webhook-id"] == id)
            .count()
    };

    let restarted = chatrail.serve_with(&env).await.unwrap();
    let started = Instant::now();
    let ids = |crm: &FakeEndpoint| -> HashSet<String> {
        crm.accepted()
            .iter()
            .map(|r| r.headers["webhook-id"].clone())
            .collect()
    };
    // The dead sender's leases end after 2 × 3 s + 5 s.
    let done = |crm: &FakeEndpoint| {
        ids(crm).len() == CHATS && before_kill.iter().all(|id| times(crm, id) >= 2)
    };
    while !done(&crm) && started.elapsed() < Duration::from_secs(40) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered = ids(&crm);
    assert_eq!(
        delivered.len(),
        CHATS,
        "every acknowledged chat's event delivered after the restart\n{}",
        restarted.log_tail()
    );
    // The requests in flight at the kill were sent again, under the same ids, once.
    for id in &before_kill {
        assert_eq!(
            times(&crm, id),
            2,
            "{id}: in flight at the kill, sent again after it"
        );
    }
    let requests = crm.received().len();
    eprintln!(
        "{backend:?}: {CHATS} events, {in_flight} requests in flight at the kill, all delivered \
         {:.1} s after the restart in {requests} requests (the in-flight ones again, same ids)",
        started.elapsed().as_secs_f64()
    );
}

on_both_backends!(kill_9_between_commit_and_send_loses_no_event);
